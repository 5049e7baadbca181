//! Alibaba ECS after the order: `DescribeInstances` by ids (a JSON-array string of ≤100, `MaxResults=100`),
//! reading `Status` and the `Recycling` operation lock that announces a reclaim, and `DeleteInstances` (≤100 ids,
//! `Force`, `ClientToken`) to release. Sources: alibabacloud-ecs20140526 7.11.8 `DescribeInstancesRequest`,
//! `DeleteInstancesRequest` docstrings; 7.0.17 `DescribeInstancesResponseBodyInstancesInstanceOperationLocks…`
//! `LockReason` (`Recycling`).

use serde_json::Value;

use super::order::rpc_request;
use crate::lifecycle::{DescribeReading, InstanceReport, InstanceState, ReleaseReading};
use crate::order::lookup_tag::{ORDER_TAG_KEY, tags_carry_order_tag};
use crate::order::request::HttpRequest;
use crate::quote::CloudError;
use crate::quote::json::{Object, parse_object};

use crate::lifecycle::ReleaseOptions;

/// `DescribeInstances` for up to 100 ids.
pub fn describe_instances(region: &str, ids: &[String]) -> HttpRequest {
    let list = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    rpc_request(
        region,
        "DescribeInstances",
        vec![
            ("RegionId".into(), region.into()),
            ("InstanceIds".into(), list),
            ("MaxResults".into(), "100".into()),
        ],
    )
}

/// Reads a `DescribeInstances` answer: `Instances.Instance[] {InstanceId, Status, ZoneId, InstanceType,
/// CreationTime, SpotInterruptionBehavior, OperationLocks.LockReason[] {LockReason, LockMsg}}`. A `Recycling` lock
/// (any case) on a running instance is a reclaim notice; on a stopped one the reclaim has happened — the instance
/// is released next (`Terminate`, the default), or, with `SpotInterruptionBehavior=Stop`, it stays stopped in
/// economical mode: it still exists, its disks still bill, and it can be started again or released
/// (`lifecycle-apis` §4: alibabacloud-ecs20140526 7.11.8 `StopInstances.StoppedMode`), so it is `Stopped`, not
/// final.
pub fn read_instances(body: &[u8]) -> DescribeReading {
    let answer = match parse_object(body) {
        Ok(answer) => answer,
        Err(_) => return DescribeReading::Refused(unreadable(body)),
    };
    if let Some(error) = super::answer::error_in(&answer) {
        return DescribeReading::Refused(error);
    }
    let Some(instances) = answer
        .get("Instances")
        .and_then(|instances| instances.get("Instance"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    else {
        // An answer without its list (a gateway's page, an empty object) reports nothing: read as "every
        // instance gone" it would end the following of instances that still bill.
        return DescribeReading::Refused(unreadable(body));
    };
    let reports = instances
        .iter()
        .filter_map(Value::as_object)
        .filter_map(report)
        .collect();
    // `NextToken`: empty on the last page (alibabacloud-ecs20140526 7.11.8 `DescribeInstancesResponseBody`).
    if answer
        .get("NextToken")
        .and_then(Value::as_str)
        .is_some_and(|token| !token.is_empty())
    {
        return DescribeReading::Page(reports);
    }
    DescribeReading::Reported(reports)
}

fn report(instance: &Object) -> Option<InstanceReport> {
    let text = |key: &str| instance.get(key).and_then(Value::as_str).map(str::to_owned);
    let status = text("Status").unwrap_or_default();
    let recycling = instance
        .get("OperationLocks")
        .and_then(|locks| locks.get("LockReason"))
        .and_then(Value::as_array)
        .and_then(|locks| {
            locks.iter().find(|lock| {
                lock.get("LockReason")
                    .and_then(Value::as_str)
                    .is_some_and(|reason| reason.eq_ignore_ascii_case("recycling"))
            })
        });
    let kept_when_reclaimed = instance
        .get("SpotInterruptionBehavior")
        .and_then(Value::as_str)
        .is_some_and(|behavior| behavior.eq_ignore_ascii_case("stop"));
    let state = match (status.as_str(), recycling.is_some()) {
        ("Stopped" | "Stopping", true) if kept_when_reclaimed => InstanceState::Stopped,
        ("Stopped" | "Stopping", true) => InstanceState::Reclaimed,
        (_, true) => InstanceState::BeingReclaimed,
        ("Pending" | "Starting", false) => InstanceState::Pending,
        ("Running", false) => InstanceState::Running,
        ("Stopped" | "Stopping", false) => InstanceState::Stopped,
        _ => InstanceState::Running,
    };
    // Economical mode: a reclaim that stopped it, or a stop that asked for it (`StoppedMode`, lifecycle-apis §1.1
    // and §4: alibabacloud-ecs20140526 7.11.8 `StopInstances.StoppedMode`).
    // While `Stopping` its compute may still bill: only `Stopped` is left out.
    let stopped_without_charge = status == "Stopped"
        && state == InstanceState::Stopped
        && (recycling.is_some() || text("StoppedMode").is_some_and(|mode| mode.eq_ignore_ascii_case("StopCharging")));
    Some(InstanceReport {
        id: text("InstanceId")?,
        cloud_state: status,
        state,
        stopped_without_charge,
        zone: text("ZoneId"),
        instance_type: text("InstanceType"),
        created_at: text("CreationTime").and_then(|time| spotplan_time::parse_iso8601(&time)),
        reason: recycling.and_then(|lock| lock.get("LockMsg").and_then(Value::as_str).map(str::to_owned)),
    })
}

/// `DescribeInstances` of a region's pay-as-you-go instances, 100 a page from `page` (`NextToken`) on; spot ones
/// are told apart by `SpotStrategy` in the answer (alibabacloud-ecs20140526 7.0.17
/// `DescribeInstancesResponseBodyInstancesInstance.spot_strategy`).
pub fn spot_list(region: &str, page: Option<&str>) -> HttpRequest {
    list(region, vec![("InstanceChargeType".into(), "PostPaid".into())], page)
}

/// Reads a page of [`spot_list`]: the instances whose `SpotStrategy` is not `NoSpot`, and `NextToken`.
pub fn read_spot_list(_page: Option<&str>, body: &[u8]) -> Result<crate::lifecycle::InstancePage, CloudError> {
    read_list(body, |instance| {
        instance
            .get("SpotStrategy")
            .and_then(Value::as_str)
            .is_some_and(|strategy| strategy != "NoSpot")
    })
}

/// `DescribeInstances` of a region's instances tagged `Tag.1.Key` = [`ORDER_TAG_KEY`], `Tag.1.Value` = the
/// order's id (alibabacloud-ecs20140526 7.11.8 `DescribeInstancesRequestTag`), 100 a page.
pub fn order_list(region: &str, order_id: &str, page: Option<&str>) -> HttpRequest {
    let filter = vec![
        ("Tag.1.Key".into(), ORDER_TAG_KEY.to_owned()),
        ("Tag.1.Value".into(), order_id.to_owned()),
    ];
    list(region, filter, page)
}

/// Reads a page of [`order_list`]: the instances whose own `Tags.Tag` carry the order's tag (checked here too, so
/// a filter the cloud ignored cannot claim other instances), and `NextToken`.
pub fn read_order_list(body: &[u8], order_id: &str) -> Result<crate::lifecycle::InstancePage, CloudError> {
    read_list(body, |instance| {
        tags_carry_order_tag(
            instance.get("Tags").and_then(|tags| tags.get("Tag")),
            "TagKey",
            "TagValue",
            order_id,
        )
    })
}

/// `DescribeInstances` of a region with `filter`, 100 a page from `page` (`NextToken`) on.
fn list(region: &str, filter: Vec<(String, String)>, page: Option<&str>) -> HttpRequest {
    let mut query = vec![("RegionId".into(), region.to_owned())];
    query.extend(filter);
    query.push(("MaxResults".into(), "100".into()));
    if let Some(token) = page {
        query.push(("NextToken".into(), token.to_owned()));
    }
    rpc_request(region, "DescribeInstances", query)
}

/// Reads one page of a region's list, keeping the instances `wanted` picks, and `NextToken`.
fn read_list(body: &[u8], wanted: impl Fn(&Object) -> bool) -> Result<crate::lifecycle::InstancePage, CloudError> {
    let answer = parse_object(body).map_err(|_| unreadable(body))?;
    if let Some(error) = super::answer::error_in(&answer) {
        return Err(error);
    }
    // A page without its list is no list: never read as "none" (a lookup must not conclude from it).
    let instances = answer
        .get("Instances")
        .and_then(|instances| instances.get("Instance"))
        .and_then(Value::as_array)
        .ok_or_else(|| unreadable(body))?;
    let kept: Vec<InstanceReport> = instances
        .iter()
        .filter_map(Value::as_object)
        .filter(|instance| wanted(instance))
        .filter_map(report)
        .collect();
    let next = answer
        .get("NextToken")
        .and_then(Value::as_str)
        .filter(|token| !token.is_empty())
        .map(str::to_owned);
    Ok(crate::lifecycle::InstancePage {
        left_out: instances.len() - kept.len(),
        instances: kept,
        next,
    })
}

/// `DeleteInstances` for up to 100 ids with a ClientToken (`DeleteInstance` has none): `Force=true` releases running
/// instances too.
pub fn release_instances(region: &str, ids: &[String], token: &str, options: ReleaseOptions) -> HttpRequest {
    let mut query = vec![("RegionId".into(), region.to_owned())];
    query.extend(
        ids.iter()
            .enumerate()
            .map(|(index, id)| (format!("InstanceId.{}", index + 1), id.clone())),
    );
    query.push(("Force".into(), options.force.to_string()));
    query.push(("ClientToken".into(), token.to_owned()));
    rpc_request(region, "DeleteInstances", query)
}

/// Reads a `DeleteInstances` answer (`{RequestId}` on success). `InvalidInstanceId.NotFound` means the ids are gone
/// already (our inference: the SDK names no release error codes).
pub fn read_release(body: &[u8]) -> ReleaseReading {
    let Ok(answer) = parse_object(body) else {
        return ReleaseReading::Refused(unreadable(body));
    };
    match super::answer::error_in(&answer) {
        // Acceptance is the cloud's answer (`RequestId`), not a body without an error: a gateway's `{}` says
        // nothing, and unreadable means "may have acted" (unknown), never "accepted".
        None if !answer.get("RequestId").is_some_and(Value::is_string) => ReleaseReading::Refused(unreadable(body)),
        None => ReleaseReading::Accepted,
        Some(error) if error.code == "InvalidInstanceId.NotFound" => ReleaseReading::AlreadyGone(error),
        Some(error) => ReleaseReading::Refused(error),
    }
}

fn unreadable(body: &[u8]) -> CloudError {
    crate::lifecycle::unreadable(crate::Cloud::Alibaba, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// A describe answer in ECS's shape.
    fn example_answer(instances: &[(&str, &str, Option<&str>)]) -> Value {
        json!({
            "RequestId": "req",
            "Instances": { "Instance": instances.iter().map(|(id, status, lock)| json!({
                "InstanceId": id, "Status": status, "ZoneId": "cn-hangzhou-k", "InstanceType": "ecs.c7.large",
                "CreationTime": "2026-11-30T10:00Z",
                "OperationLocks": { "LockReason": lock.map(|reason| vec![json!({"LockReason": reason, "LockMsg": "spot reclaim"})]).unwrap_or_default() }
            })).collect::<Vec<_>>() }
        })
    }

    #[test]
    fn describe_asks_for_the_ids_as_one_json_array() {
        let request = describe_instances("cn-hangzhou", &["i-1".into(), "i-2".into()]);
        assert_eq!(request.action, "DescribeInstances");
        assert!(
            request
                .query
                .contains(&("InstanceIds".into(), r#"["i-1","i-2"]"#.into()))
        );
    }

    #[test]
    fn a_recycling_lock_is_a_reclaim() {
        let body = example_answer(&[
            ("i-1", "Running", None),
            ("i-2", "Running", Some("Recycling")),
            ("i-3", "Stopped", Some("recycling")),
            ("i-4", "Pending", None),
        ]);
        let DescribeReading::Reported(reports) = read_instances(body.to_string().as_bytes()) else {
            panic!("refused")
        };
        let states: Vec<InstanceState> = reports.iter().map(|report| report.state).collect();
        assert_eq!(
            states,
            [
                InstanceState::Running,
                InstanceState::BeingReclaimed,
                InstanceState::Reclaimed,
                InstanceState::Pending
            ]
        );
        assert_eq!(reports[1].reason.as_deref(), Some("spot reclaim"));
        assert_eq!(
            reports[0].created_at,
            spotplan_time::parse_iso8601("2026-11-30T10:00:00Z")
        );
    }

    #[test]
    fn a_spot_stopped_by_its_reclaim_with_the_stop_behaviour_still_exists() {
        let mut body = example_answer(&[
            ("i-1", "Stopped", Some("Recycling")),
            ("i-2", "Stopped", Some("Recycling")),
        ]);
        body["Instances"]["Instance"][0]["SpotInterruptionBehavior"] = json!("Stop");
        body["Instances"]["Instance"][1]["SpotInterruptionBehavior"] = json!("Terminate");
        let DescribeReading::Reported(reports) = read_instances(body.to_string().as_bytes()) else {
            panic!("refused")
        };
        let states: Vec<InstanceState> = reports.iter().map(|report| report.state).collect();
        assert_eq!(states, [InstanceState::Stopped, InstanceState::Reclaimed]);
        assert!(!states[0].is_final(), "followed, and released by a fleet's stop");
        assert!(
            reports[0].stopped_without_charge,
            "economical mode: its compute bills no more"
        );
    }

    #[test]
    fn a_stopped_instance_bills_unless_the_answer_says_economical_mode() {
        let mut body = example_answer(&[
            ("i-1", "Stopped", None),
            ("i-2", "Stopped", None),
            ("i-3", "Stopped", None),
            ("i-4", "Running", None),
            ("i-5", "Stopping", None),
        ]);
        body["Instances"]["Instance"][0]["StoppedMode"] = json!("StopCharging");
        body["Instances"]["Instance"][1]["StoppedMode"] = json!("KeepCharging");
        body["Instances"]["Instance"][3]["StoppedMode"] = json!("StopCharging");
        // Still stopping: its compute may bill until it has stopped.
        body["Instances"]["Instance"][4]["StoppedMode"] = json!("StopCharging");
        let DescribeReading::Reported(reports) = read_instances(body.to_string().as_bytes()) else {
            panic!("refused")
        };
        let without_charge: Vec<bool> = reports.iter().map(|report| report.stopped_without_charge).collect();
        assert_eq!(without_charge, [true, false, false, false, false]);
    }

    #[test]
    fn the_spot_list_keeps_spot_instances_and_follows_next_token() {
        let request = spot_list("cn-hangzhou", Some("tok-2"));
        for pair in [
            ("InstanceChargeType", "PostPaid"),
            ("MaxResults", "100"),
            ("NextToken", "tok-2"),
        ] {
            assert!(request.query.contains(&(pair.0.into(), pair.1.into())), "{pair:?}");
        }
        let body = json!({ "RequestId": "r", "NextToken": "tok-3", "Instances": { "Instance": [
            { "InstanceId": "i-spot", "Status": "Running", "SpotStrategy": "SpotAsPriceGo" },
            { "InstanceId": "i-paid", "Status": "Running", "SpotStrategy": "NoSpot" }
        ] } });
        let page = read_spot_list(None, body.to_string().as_bytes()).unwrap();
        assert_eq!(
            page.instances.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
            ["i-spot"]
        );
        assert_eq!(page.next.as_deref(), Some("tok-3"));
    }

    #[test]
    fn release_carries_each_id_force_and_the_token() {
        let request = release_instances(
            "cn-hangzhou",
            &["i-1".into(), "i-2".into()],
            "tok",
            ReleaseOptions::default(),
        );
        assert_eq!(request.action, "DeleteInstances");
        for pair in [("InstanceId.2", "i-2"), ("Force", "true"), ("ClientToken", "tok")] {
            assert!(request.query.contains(&(pair.0.into(), pair.1.into())), "{pair:?}");
        }
        assert_eq!(read_release(br#"{"RequestId":"r"}"#), ReleaseReading::Accepted);
        // No request id, no answer of the cloud's: unreadable (a release that may have acted is unknown).
        for body in [&br#"{}"#[..], br#"{"status":"ok"}"#] {
            assert!(
                matches!(read_release(body), ReleaseReading::Refused(ref error) if error.code == "Unreadable"),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        assert!(matches!(
            read_release(br#"{"Code":"InvalidInstanceId.NotFound","Message":"x"}"#),
            ReleaseReading::AlreadyGone(_)
        ));
        assert!(matches!(
            read_release(br#"{"Code":"Throttling","Message":"x"}"#),
            ReleaseReading::Refused(_)
        ));
    }
}
