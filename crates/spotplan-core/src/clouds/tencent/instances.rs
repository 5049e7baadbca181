//! Tencent CVM after the order: `DescribeInstances` by `InstanceIds` (≤100, never with `Filters`), reading
//! `InstanceState` — `LAUNCH_FAILED` with `LatestOperationErrorMsg` is a failure, however the order answered — and
//! `TerminateInstances` (≤100 ids; no ClientToken, no DryRun) to release. Source: tencentcloud-sdk-python-cvm
//! 3.1.178 `cvm/v20170312/models.py` (`DescribeInstancesRequest`, `Instance`, `TerminateInstancesRequest`).

use serde_json::{Value, json};

use super::order::api_request;
use crate::lifecycle::{DescribeReading, InstanceReport, InstanceState, ReleaseOptions, ReleaseReading};
use crate::order::lookup_tag::{ORDER_TAG_KEY, tags_carry_order_tag};
use crate::order::request::HttpRequest;
use crate::quote::CloudError;
use crate::quote::json::{Object, parse_object};

/// `DescribeInstances` for up to 100 ids.
pub fn describe_instances(region: &str, ids: &[String]) -> HttpRequest {
    api_request(
        region,
        "DescribeInstances",
        &json!({ "InstanceIds": ids, "Limit": 100 }),
    )
}

/// Reads a `DescribeInstances` answer: `Response.InstanceSet[] {InstanceId, InstanceState, Placement.Zone,
/// InstanceType, CreatedTime, LatestOperationErrorMsg}` and `Response.TotalCount` (more than listed: a page, which
/// reports nothing), or `Response.Error`.
pub fn read_instances(body: &[u8]) -> DescribeReading {
    let response = match parse_object(body) {
        Ok(answer) => answer
            .get("Response")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        Err(_) => return DescribeReading::Refused(unreadable(body)),
    };
    if let Some(error) = error(&response) {
        return DescribeReading::Refused(error);
    }
    let Some(instances) = response.get("InstanceSet").and_then(Value::as_array).map(Vec::as_slice) else {
        // An answer without its list (a gateway's page, an empty object) reports nothing: read as "every
        // instance gone" it would end the following of instances that still bill.
        return DescribeReading::Refused(unreadable(body));
    };
    let reports = instances
        .iter()
        .filter_map(Value::as_object)
        .filter_map(report)
        .collect();
    // `TotalCount`: the instances matching the call, of which one page is listed.
    let total = response.get("TotalCount").and_then(Value::as_u64);
    if total.is_some_and(|total| total > instances.len() as u64) {
        return DescribeReading::Page(reports);
    }
    DescribeReading::Reported(reports)
}

fn report(instance: &Object) -> Option<InstanceReport> {
    let text = |key: &str| {
        instance
            .get(key)
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    let cloud_state = text("InstanceState").unwrap_or_default();
    let state = match cloud_state.as_str() {
        "PENDING" | "STARTING" => InstanceState::Pending,
        "LAUNCH_FAILED" => InstanceState::LaunchFailed,
        "STOPPED" | "STOPPING" | "SHUTDOWN" => InstanceState::Stopped,
        "TERMINATING" => InstanceState::Releasing,
        _ => InstanceState::Running,
    };
    // `StopChargingMode` (tencentcloud-sdk-python-cvm 3.1.178 `Instance`): `STOP_CHARGING` only for some
    // pay-as-you-go types; anything else (a spot instance's `NOT_APPLICABLE`, `KEEP_CHARGING`) keeps billing.
    let stopped_without_charge =
        cloud_state == "STOPPED" && text("StopChargingMode").as_deref() == Some("STOP_CHARGING");
    Some(InstanceReport {
        id: text("InstanceId")?,
        state,
        stopped_without_charge,
        zone: instance
            .get("Placement")
            .and_then(|placement| placement.get("Zone"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        instance_type: text("InstanceType"),
        created_at: text("CreatedTime").and_then(|time| spotplan_time::parse_iso8601(&time)),
        reason: (state == InstanceState::LaunchFailed)
            .then(|| text("LatestOperationErrorMsg").unwrap_or_else(|| "LAUNCH_FAILED with no message".into())),
        cloud_state,
    })
}

/// `DescribeInstances` of a region, 100 a page from offset `page` on (`Offset`/`Limit`; no filter, since the
/// `instance-charge-type` filter is not documented to take `SPOTPAID`): spot ones are told apart by
/// `InstanceChargeType` in the answer (tencentcloud-sdk-python-cvm 3.1.178 `models.py`,
/// `DescribeInstancesRequest.Filters`, `Instance.InstanceChargeType`).
pub fn spot_list(region: &str, page: Option<&str>) -> HttpRequest {
    let offset: u64 = page.and_then(|page| page.parse().ok()).unwrap_or(0);
    api_request(region, "DescribeInstances", &json!({ "Offset": offset, "Limit": 100 }))
}

/// Reads a page of [`spot_list`]: the `SPOTPAID` instances, and the next offset while `TotalCount` says more.
pub fn read_spot_list(page: Option<&str>, body: &[u8]) -> Result<crate::lifecycle::InstancePage, CloudError> {
    read_list(page, body, |instance| {
        instance.get("InstanceChargeType").and_then(Value::as_str) == Some("SPOTPAID")
    })
}

/// `DescribeInstances` of a region's instances tagged [`ORDER_TAG_KEY`] = the order's id, with the
/// `tag:<key>` filter (tencentcloud-sdk-python-cvm 3.1.178 `DescribeInstancesRequest.Filters`: "tag:tag-key …
/// 按照【标签键值对】进行过滤"), 100 a page from offset `page` on.
pub fn order_list(region: &str, order_id: &str, page: Option<&str>) -> HttpRequest {
    let offset: u64 = page.and_then(|page| page.parse().ok()).unwrap_or(0);
    api_request(
        region,
        "DescribeInstances",
        &json!({
            "Filters": [{ "Name": format!("tag:{ORDER_TAG_KEY}"), "Values": [order_id] }],
            "Offset": offset,
            "Limit": 100
        }),
    )
}

/// Reads a page of [`order_list`]: the instances whose own `Tags` carry the order's tag (checked here too, so a
/// filter the cloud ignored cannot claim other instances), and the next offset while `TotalCount` says more.
pub fn read_order_list(
    page: Option<&str>,
    body: &[u8],
    order_id: &str,
) -> Result<crate::lifecycle::InstancePage, CloudError> {
    read_list(page, body, |instance| {
        tags_carry_order_tag(instance.get("Tags"), "Key", "Value", order_id)
    })
}

/// Reads one page (from offset `page`) of a region's list, keeping the instances `wanted` picks, and the next
/// offset while `TotalCount` says more.
fn read_list(
    page: Option<&str>,
    body: &[u8],
    wanted: impl Fn(&Object) -> bool,
) -> Result<crate::lifecycle::InstancePage, CloudError> {
    let answer = parse_object(body).map_err(|_| unreadable(body))?;
    let response = answer
        .get("Response")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if let Some(error) = error(&response) {
        return Err(error);
    }
    // A page without its list or its total is no list, and an empty page short of the total is a broken one:
    // neither is ever read as "none" (a lookup must not conclude from it).
    let (Some(set), Some(total)) = (
        response.get("InstanceSet").and_then(Value::as_array),
        response.get("TotalCount").and_then(Value::as_u64),
    ) else {
        return Err(unreadable(body));
    };
    let kept: Vec<InstanceReport> = set
        .iter()
        .filter_map(Value::as_object)
        .filter(|instance| wanted(instance))
        .filter_map(report)
        .collect();
    let offset: u64 = page.and_then(|page| page.parse().ok()).unwrap_or(0);
    let seen = offset + set.len() as u64;
    if set.is_empty() && seen < total {
        return Err(unreadable(body));
    }
    Ok(crate::lifecycle::InstancePage {
        left_out: set.len() - kept.len(),
        instances: kept,
        next: (seen < total).then(|| seen.to_string()),
    })
}

/// `TerminateInstances` for up to 100 ids (Tencent takes no ClientToken here; a retried release that finds the
/// instances gone is read as done).
pub fn release_instances(region: &str, ids: &[String], _token: &str, _options: ReleaseOptions) -> HttpRequest {
    api_request(region, "TerminateInstances", &json!({ "InstanceIds": ids }))
}

/// Reads a `TerminateInstances` answer. `InvalidInstanceId.NotFound` and `UnsupportedOperation.InstanceStateTerminat*`
/// after a retried release mean the instances are gone already (the codes: tencentcloud-sdk-python-cvm 3.1.178
/// `errorcodes.py`; reading them as "gone" is our inference).
pub fn read_release(body: &[u8]) -> ReleaseReading {
    let Ok(answer) = parse_object(body) else {
        return ReleaseReading::Refused(unreadable(body));
    };
    let response = answer
        .get("Response")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    match error(&response) {
        // Acceptance is the cloud's answer (`Response.RequestId`), not a body without an error: a gateway's `{}`
        // says nothing, and unreadable means "may have acted" (unknown), never "accepted".
        None if !response.get("RequestId").is_some_and(Value::is_string) => ReleaseReading::Refused(unreadable(body)),
        None => ReleaseReading::Accepted,
        Some(error)
            if error.code == "InvalidInstanceId.NotFound"
                || error.code.starts_with("UnsupportedOperation.InstanceStateTerminat") =>
        {
            ReleaseReading::AlreadyGone(error)
        }
        Some(error) => ReleaseReading::Refused(error),
    }
}

fn error(response: &Object) -> Option<CloudError> {
    let error = response.get("Error")?;
    Some(CloudError {
        cloud: crate::Cloud::Tencent,
        code: error
            .get("Code")
            .and_then(Value::as_str)
            .unwrap_or("Unknown")
            .to_owned(),
        message: error
            .get("Message")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        request_id: response.get("RequestId").and_then(Value::as_str).map(str::to_owned),
    })
}

fn unreadable(body: &[u8]) -> CloudError {
    crate::lifecycle::unreadable(crate::Cloud::Tencent, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn launch_failed_is_a_failure_with_its_reason() {
        let body = json!({ "Response": { "RequestId": "r", "InstanceSet": [
            { "InstanceId": "ins-1", "InstanceState": "RUNNING", "Placement": { "Zone": "ap-guangzhou-6" },
              "InstanceType": "S5.MEDIUM4", "CreatedTime": "2026-11-30T10:00:00Z" },
            { "InstanceId": "ins-2", "InstanceState": "LAUNCH_FAILED", "LatestOperationErrorMsg": "ResourceInsufficient" },
            { "InstanceId": "ins-3", "InstanceState": "PENDING" }
        ] } });
        let DescribeReading::Reported(reports) = read_instances(body.to_string().as_bytes()) else {
            panic!("refused")
        };
        assert_eq!(reports[0].state, InstanceState::Running);
        assert_eq!(reports[0].zone.as_deref(), Some("ap-guangzhou-6"));
        assert_eq!(reports[1].state, InstanceState::LaunchFailed);
        assert_eq!(reports[1].reason.as_deref(), Some("ResourceInsufficient"));
        assert_eq!(reports[2].state, InstanceState::Pending);
        let throttled =
            br#"{"Response":{"Error":{"Code":"RequestLimitExceeded","Message":"slow down"},"RequestId":"r"}}"#;
        let DescribeReading::Refused(error) = read_instances(throttled) else {
            panic!("not refused")
        };
        assert!(crate::clouds::wire(crate::Cloud::Tencent).is_throttled(&error.code));
    }

    #[test]
    fn a_stopped_instance_bills_unless_its_stop_charging_mode_says_otherwise() {
        let body = json!({ "Response": { "RequestId": "r", "InstanceSet": [
            { "InstanceId": "ins-1", "InstanceState": "STOPPED", "StopChargingMode": "STOP_CHARGING" },
            { "InstanceId": "ins-2", "InstanceState": "STOPPED", "StopChargingMode": "NOT_APPLICABLE" },
            { "InstanceId": "ins-3", "InstanceState": "STOPPED" }
        ] } });
        let DescribeReading::Reported(reports) = read_instances(body.to_string().as_bytes()) else {
            panic!("refused")
        };
        let without_charge: Vec<bool> = reports.iter().map(|report| report.stopped_without_charge).collect();
        assert_eq!(without_charge, [true, false, false]);
    }

    #[test]
    fn the_spot_list_keeps_spotpaid_instances_and_pages_by_offset() {
        let request = spot_list("ap-guangzhou", Some("100"));
        assert_eq!(request.body_text(), r#"{"Limit":100,"Offset":100}"#);
        let body = json!({ "Response": { "TotalCount": 201, "RequestId": "r", "InstanceSet": [
            { "InstanceId": "ins-spot", "InstanceState": "RUNNING", "InstanceChargeType": "SPOTPAID" },
            { "InstanceId": "ins-paid", "InstanceState": "RUNNING", "InstanceChargeType": "POSTPAID_BY_HOUR" }
        ] } });
        let page = read_spot_list(Some("100"), body.to_string().as_bytes()).unwrap();
        assert_eq!(
            page.instances.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
            ["ins-spot"]
        );
        assert_eq!(page.next.as_deref(), Some("102"));
        let last =
            json!({ "Response": { "TotalCount": 2, "InstanceSet": [{ "InstanceId": "a" }, { "InstanceId": "b" }] } });
        assert_eq!(read_spot_list(None, last.to_string().as_bytes()).unwrap().next, None);
    }

    #[test]
    fn release_is_terminate_instances_and_a_gone_instance_counts_as_released() {
        let request = release_instances("ap-guangzhou", &["ins-1".into()], "tok", ReleaseOptions::default());
        assert_eq!(request.action, "TerminateInstances");
        assert_eq!(request.body_text(), r#"{"InstanceIds":["ins-1"]}"#);
        assert_eq!(
            read_release(br#"{"Response":{"RequestId":"r"}}"#),
            ReleaseReading::Accepted
        );
        // No request id, no answer of the cloud's: unreadable (a release that may have acted is unknown).
        for body in [&br#"{}"#[..], br#"{"Response":{}}"#] {
            assert!(
                matches!(read_release(body), ReleaseReading::Refused(ref error) if error.code == "Unreadable"),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        assert!(matches!(
            read_release(br#"{"Response":{"Error":{"Code":"InvalidInstanceId.NotFound","Message":"x"}}}"#),
            ReleaseReading::AlreadyGone(_)
        ));
    }
}
