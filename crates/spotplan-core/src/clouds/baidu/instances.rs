//! Baidu BCC after the order: `GET /v2/instance?instanceIds=a,b` (≤100) reading `status`, the same list paged by
//! `marker` to find a region's spot instances, and `POST /v2/instance/batchDelete?clientToken=` (≤100 ids,
//! post-paid) to release, with `relatedReleaseFlag` for the disks and EIP created with it. Baidu exposes no reclaim
//! flag (5-minute SMS notice only), so a Baidu reclaim shows as an instance that is gone without Spotplan releasing
//! it. Sources: https://cloud.baidu.com/doc/BCC/s/Xjwvyodmx (`GET /v2/instance`), …/s/jlfkihltg (`batchDelete`),
//! https://intl.cloud.baidu.com/doc/BCC/s/fkag7tev6-en (the SMS 5 minutes before release); that no reclaim flag
//! exists is our reading of those pages, not a documented fact.

use serde_json::{Map, Value, json};

use crate::lifecycle::{DescribeReading, InstanceReport, InstanceState, ReleaseOptions, ReleaseReading};
use crate::order::lookup_tag::tags_carry_order_tag;
use crate::order::request::HttpRequest;
use crate::quote::CloudError;
use crate::quote::json::{Object, parse_object};

/// `GET /v2/instance?instanceIds=…` for up to 100 ids.
pub fn describe_instances(region: &str, ids: &[String]) -> HttpRequest {
    let query = vec![
        ("instanceIds".into(), ids.join(",")),
        ("maxKeys".into(), ids.len().max(1).to_string()),
    ];
    super::order::get(region, "/v2/instance", "ListInstances", query)
}

/// The `paymentTiming` values that mark a spot instance: bce-sdk-go's `PaymentTimingType`
/// (`services/bcc/api/model.go`) names `bidding` (the v2 bid order Spotplan places) and `Spotpaid` (the v3 spot
/// order) beside `Prepaid` and `Postpaid`. Baidu's list reference documents only the latter two as filter values,
/// so the list is read unfiltered and told apart here.
pub const SPOT_PAYMENT_TIMINGS: [&str; 2] = ["bidding", "Spotpaid"];

/// `GET /v2/instance?maxKeys=100[&marker=…]`: a region's instances, 100 a page from `page` (the `nextMarker` of
/// the page before) on.
pub fn spot_list(region: &str, page: Option<&str>) -> HttpRequest {
    let mut request = describe_instances(region, &[]);
    request.query = vec![("maxKeys".into(), "100".into())];
    if let Some(marker) = page {
        request.query.push(("marker".into(), marker.to_owned()));
    }
    request
}

/// Reads a page of [`spot_list`]: the instances whose `paymentTiming` is one of [`SPOT_PAYMENT_TIMINGS`], and
/// `nextMarker` while `isTruncated`.
pub fn read_spot_list(body: &[u8]) -> Result<crate::lifecycle::InstancePage, CloudError> {
    read_list(body, |instance| {
        instance
            .get("paymentTiming")
            .and_then(Value::as_str)
            .is_some_and(|timing| SPOT_PAYMENT_TIMINGS.contains(&timing))
    })
}

/// A region's instances, to find those tagged [`crate::order::lookup_tag::ORDER_TAG_KEY`] = the order's
/// id: the same paged list as [`spot_list`] (the `tags` filter's syntax is not documented), read by
/// [`read_order_list`].
pub fn order_list(region: &str, page: Option<&str>) -> HttpRequest {
    spot_list(region, page)
}

/// Reads a page of [`order_list`]: the instances whose `tags` (`[{tagKey, tagValue}]`, bce-sdk-go
/// `InstanceModel.Tags`) carry the order's tag, and `nextMarker` while `isTruncated`.
pub fn read_order_list(body: &[u8], order_id: &str) -> Result<crate::lifecycle::InstancePage, CloudError> {
    read_list(body, |instance| {
        tags_carry_order_tag(instance.get("tags"), "tagKey", "tagValue", order_id)
    })
}

/// Reads one page of the region's list, keeping the instances `wanted` picks.
fn read_list(body: &[u8], wanted: impl Fn(&Object) -> bool) -> Result<crate::lifecycle::InstancePage, CloudError> {
    let answer = parse_object(body).map_err(|_| unreadable(body))?;
    if let Some(error) = error(&answer) {
        return Err(error);
    }
    // A page without its list is no list, and a truncated one without the next marker a broken one: neither is
    // ever read as "none" (a lookup must not conclude from it).
    let listed = answer
        .get("instances")
        .and_then(Value::as_array)
        .ok_or_else(|| unreadable(body))?;
    let kept: Vec<InstanceReport> = listed
        .iter()
        .filter_map(Value::as_object)
        .filter(|instance| wanted(instance))
        .filter_map(report)
        .collect();
    // Nor is a page that does not say whether more follow (Baidu's list always carries `isTruncated`).
    let truncated = answer
        .get("isTruncated")
        .and_then(Value::as_bool)
        .ok_or_else(|| unreadable(body))?;
    let next = match truncated {
        true => Some(
            answer
                .get("nextMarker")
                .and_then(Value::as_str)
                .filter(|marker| !marker.is_empty())
                .ok_or_else(|| unreadable(body))?
                .to_owned(),
        ),
        false => None,
    };
    Ok(crate::lifecycle::InstancePage {
        left_out: listed.len() - kept.len(),
        instances: kept,
        next,
    })
}

/// Reads a `GET /v2/instance` answer: `instances[] {id, status, zoneName, spec, createTime}`, or Baidu's error
/// `{code, message, requestId}`.
pub fn read_instances(body: &[u8]) -> DescribeReading {
    let answer = match parse_object(body) {
        Ok(answer) => answer,
        Err(_) => return DescribeReading::Refused(unreadable(body)),
    };
    if let Some(error) = error(&answer) {
        return DescribeReading::Refused(error);
    }
    let Some(instances) = answer.get("instances").and_then(Value::as_array).map(Vec::as_slice) else {
        // An answer without its list (a gateway's page, an empty object) reports nothing: read as "every
        // instance gone" it would end the following of instances that still bill.
        return DescribeReading::Refused(unreadable(body));
    };
    let reports = instances
        .iter()
        .filter_map(Value::as_object)
        .filter_map(report)
        .collect();
    // `isTruncated`/`nextMarker`: the list is paged, and this is not its last page.
    if answer.get("isTruncated").and_then(Value::as_bool) == Some(true) {
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
    let cloud_state = text("status").unwrap_or_default();
    let state = match cloud_state.as_str() {
        "Starting" => InstanceState::Pending,
        "Stopping" | "Stopped" => InstanceState::Stopped,
        "Deleted" | "Recycled" => InstanceState::Gone,
        // An instance in `Error` still exists (lifecycle-apis §3.1 lists it among an existing instance's states,
        // with nothing saying it never ran or bills nothing): not final, so it is followed, counted and releasable.
        "Error" => InstanceState::Stopped,
        _ => InstanceState::Running,
    };
    Some(InstanceReport {
        id: text("id")?,
        reason: (cloud_state == "Error").then(|| {
            "BCC reports status Error: the instance still exists and may bill — release it unless it recovers"
                .to_owned()
        }),
        state,
        zone: text("zoneName"),
        instance_type: text("spec"),
        created_at: text("createTime").and_then(|time| spotplan_time::parse_iso8601(&time)),
        cloud_state,
        // Baidu's stop can ask for `stopWithNoCharge`, but its spot support is unknown and the describe answer does
        // not say (lifecycle-apis §3 and §4): a stopped instance is counted as billing.
        stopped_without_charge: false,
    })
}

/// `POST /v2/instance/batchDelete?clientToken=…` with `instanceIds`, `relatedReleaseFlag` and
/// `deleteCdsSnapshotFlag` (both required by the API reference).
pub fn release_instances(region: &str, ids: &[String], token: &str, options: ReleaseOptions) -> HttpRequest {
    let mut body = Map::new();
    body.insert("instanceIds".into(), json!(ids));
    body.insert("relatedReleaseFlag".into(), json!(options.delete_data_disks));
    body.insert("deleteCdsSnapshotFlag".into(), json!(false));
    super::order::post(region, "/v2/instance/batchDelete", "BatchDeleteInstances", token, body)
}

/// `POST /v2/instance/cancelBidOrder?clientToken=…` with `{orderId}`: cancels a bid order not yet fulfilled
/// (https://intl.cloud.baidu.com/en/doc/BCC/s/Qk5eoojd6-intl-en); the answer `{orderId}` is read by [`read_release`]
/// (no error code: accepted — our reading).
pub fn cancel_bid_order(region: &str, order_id: &str, token: &str) -> HttpRequest {
    let mut body = Map::new();
    body.insert("orderId".into(), json!(order_id));
    super::order::post(region, "/v2/instance/cancelBidOrder", "CancelBidOrder", token, body)
}

/// Reads a `batchDelete` answer (an empty or `{}` body on success). The codes Baidu's own Terraform provider treats
/// as "already gone" mean the same here (baidubce/terraform-provider-baiducloud `baiducloud/error.go`,
/// `NotFoundErrorList`).
pub fn read_release(body: &[u8]) -> ReleaseReading {
    if body.iter().all(u8::is_ascii_whitespace) {
        return ReleaseReading::Accepted;
    }
    let Ok(answer) = parse_object(body) else {
        return ReleaseReading::Refused(unreadable(body));
    };
    match error(&answer) {
        None => ReleaseReading::Accepted,
        Some(error)
            if [
                "InvalidInstanceId.NotFound",
                "Forbidden.InstanceNotFound",
                "InstanceNotFound",
                "InstanceNotExist",
            ]
            .contains(&error.code.as_str()) =>
        {
            ReleaseReading::AlreadyGone(error)
        }
        Some(error) => ReleaseReading::Refused(error),
    }
}

fn error(answer: &Object) -> Option<CloudError> {
    let code = answer.get("code").and_then(Value::as_str)?;
    Some(CloudError {
        cloud: crate::Cloud::Baidu,
        code: code.to_owned(),
        message: answer
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        request_id: answer.get("requestId").and_then(Value::as_str).map(str::to_owned),
    })
}

fn unreadable(body: &[u8]) -> CloudError {
    crate::lifecycle::unreadable(crate::Cloud::Baidu, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn describe_is_a_get_by_ids_and_reads_each_status() {
        let request = describe_instances("bj", &["i-a".into(), "i-b".into()]);
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            ("GET", "/v2/instance")
        );
        assert_eq!(request.host, "bcc.bj.baidubce.com");
        assert!(request.query.contains(&("instanceIds".into(), "i-a,i-b".into())));
        let body = json!({ "instances": [
            { "id": "i-a", "status": "Starting", "zoneName": "cn-bj-d", "spec": "bcc.g5.c2m8" },
            { "id": "i-b", "status": "Running", "createTime": "2026-11-30T10:00:00Z" }
        ] });
        let DescribeReading::Reported(reports) = read_instances(body.to_string().as_bytes()) else {
            panic!("refused")
        };
        assert_eq!(
            (reports[0].state, reports[1].state),
            (InstanceState::Pending, InstanceState::Running)
        );
        assert_eq!(reports[0].instance_type.as_deref(), Some("bcc.g5.c2m8"));
    }

    #[test]
    fn an_instance_in_error_still_exists_and_stays_followed() {
        let body = json!({ "instances": [{ "id": "i-a", "status": "Error" }] });
        let DescribeReading::Reported(reports) = read_instances(body.to_string().as_bytes()) else {
            panic!("refused")
        };
        assert!(!reports[0].state.is_final(), "{:?}", reports[0].state);
        assert!(
            reports[0]
                .reason
                .as_deref()
                .is_some_and(|reason| reason.contains("status Error"))
        );
    }

    #[test]
    fn a_regions_list_pages_by_marker_and_keeps_the_instances_paid_as_spot() {
        let first = spot_list("bj", None);
        assert_eq!(first.path, "/v2/instance");
        assert_eq!(first.query, [("maxKeys".to_owned(), "100".to_owned())]);
        assert_eq!(
            spot_list("bj", Some("i-next")).query,
            [
                ("maxKeys".to_owned(), "100".to_owned()),
                ("marker".to_owned(), "i-next".to_owned())
            ]
        );
        let body = json!({ "marker": "", "isTruncated": true, "nextMarker": "i-e", "maxKeys": 100, "instances": [
            { "id": "i-a", "status": "Running", "paymentTiming": "bidding" },
            { "id": "i-b", "status": "Running", "paymentTiming": "Postpaid" },
            { "id": "i-c", "status": "Starting", "paymentTiming": "Spotpaid" },
            { "id": "i-d", "status": "Running", "paymentTiming": "Prepaid" },
            { "id": "i-x", "status": "Running" }
        ] });
        let page = read_spot_list(body.to_string().as_bytes()).unwrap();
        let ids: Vec<&str> = page.instances.iter().map(|report| report.id.as_str()).collect();
        assert_eq!(ids, ["i-a", "i-c"]);
        assert_eq!((page.left_out, page.next.as_deref()), (3, Some("i-e")));
        let last = json!({ "isTruncated": false, "nextMarker": "i-z", "instances": [] });
        assert_eq!(read_spot_list(last.to_string().as_bytes()).unwrap().next, None);
        // A page that does not say whether more follow is not read as the last one.
        for unsure in [
            json!({ "instances": [] }),
            json!({ "isTruncated": "false", "instances": [] }),
        ] {
            assert!(read_spot_list(unsure.to_string().as_bytes()).is_err(), "{unsure}");
            assert!(
                read_order_list(unsure.to_string().as_bytes(), "ord-1").is_err(),
                "{unsure}"
            );
        }
        let refused = json!({ "code": "AccessDenied", "message": "no", "requestId": "r-1" });
        assert_eq!(
            read_spot_list(refused.to_string().as_bytes()).unwrap_err().code,
            "AccessDenied"
        );
    }

    #[test]
    fn an_unfulfilled_bid_order_is_cancelled_by_its_id() {
        let request = cancel_bid_order("bj", "order-1a2b", "tok");
        assert_eq!(request.path, "/v2/instance/cancelBidOrder");
        assert_eq!(request.query, [("clientToken".to_owned(), "tok".to_owned())]);
        assert_eq!(request.body_text(), r#"{"orderId":"order-1a2b"}"#);
        assert_eq!(read_release(br#"{"orderId":"order-1a2b"}"#), ReleaseReading::Accepted);
    }

    #[test]
    fn release_is_batch_delete_with_the_token_and_the_flags() {
        let request = release_instances("bj", &["i-a".into()], "tok", ReleaseOptions::default());
        assert_eq!(request.path, "/v2/instance/batchDelete");
        assert_eq!(request.query, [("clientToken".to_owned(), "tok".to_owned())]);
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(
            body,
            json!({ "instanceIds": ["i-a"], "relatedReleaseFlag": true, "deleteCdsSnapshotFlag": false })
        );
        assert_eq!(read_release(b""), ReleaseReading::Accepted);
        assert!(matches!(
            read_release(br#"{"code":"InstanceNotFound","message":"x","requestId":"r"}"#),
            ReleaseReading::AlreadyGone(_)
        ));
    }
}
