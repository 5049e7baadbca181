//! Baidu BCC after the order: `GET /v2/instance?instanceIds=a,b` (≤100) reading `status`, and
//! `POST /v2/instance/batchDelete?clientToken=` (≤100 ids, post-paid) to release, with `relatedReleaseFlag` for the
//! disks and EIP created with it. Baidu exposes no reclaim flag (5-minute SMS notice only), so a Baidu reclaim shows
//! as an instance that is gone without Spotplan releasing it. Facts: lifecycle-apis.md §3.1, §3.3.

use serde_json::{Map, Value, json};

use super::order::baidu_host;
use crate::lifecycle::{DescribeReading, InstanceReport, InstanceState, ReleaseOptions, ReleaseReading};
use crate::order::request::HttpRequest;
use crate::quote::CloudError;
use crate::quote::json::{Object, parse_object};

/// `GET /v2/instance?instanceIds=…` for up to 100 ids.
pub fn describe_instances(region: &str, ids: &[String]) -> HttpRequest {
    let host = baidu_host(region);
    HttpRequest {
        method: "GET".into(),
        scheme: "https".into(),
        headers: vec![("host".into(), host.clone())],
        host,
        path: "/v2/instance".into(),
        query: vec![
            ("instanceIds".into(), ids.join(",")),
            ("maxKeys".into(), ids.len().max(1).to_string()),
        ],
        body: Vec::new(),
        action: "ListInstances".into(),
    }
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
    let instances = answer
        .get("instances")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    DescribeReading::Reported(
        instances
            .iter()
            .filter_map(Value::as_object)
            .filter_map(report)
            .collect(),
    )
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
        "Error" => InstanceState::LaunchFailed,
        _ => InstanceState::Running,
    };
    Some(InstanceReport {
        id: text("id")?,
        reason: (state == InstanceState::LaunchFailed).then(|| "BCC reports status Error".to_owned()),
        state,
        zone: text("zoneName"),
        instance_type: text("spec"),
        created_at: text("createTime").and_then(|time| spotplan_time::parse_iso8601(&time)),
        cloud_state,
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
/// (cloud-apis.md §3.2); the answer `{orderId}` is read by [`read_release`] (no error code: accepted).
pub fn cancel_bid_order(region: &str, order_id: &str, token: &str) -> HttpRequest {
    let mut body = Map::new();
    body.insert("orderId".into(), json!(order_id));
    super::order::post(region, "/v2/instance/cancelBidOrder", "CancelBidOrder", token, body)
}

/// Reads a `batchDelete` answer (an empty or `{}` body on success). The codes Baidu's own Terraform provider treats
/// as "already gone" mean the same here (lifecycle-apis.md §3.3).
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
