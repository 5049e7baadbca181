//! Where an order stands, and reading a cloud's answer to an order call into it: created instances, a passed
//! dry run, the cloud's refusal with its code and a hint a person can act on, or "unknown". The cloud-specific
//! parts (the envelope, the ids, the hints) come from the cloud's folder through [`crate::clouds::api`].
//!
//! The rule that keeps money safe: an answer that may mean the cloud acted is **unknown**, never "failed". A 5xx,
//! a gateway page, `InternalError`/`ServiceUnavailable`, an unreadable or oversized body and a lost answer all
//! may follow a request the cloud carried out. Only a readable refusal with the cloud's own error code (or a 429 /
//! throttling code, which the gateway answers before the service acts) is a definite "no". Across attempts,
//! [`settle`] keeps an order unknown once any attempt may have reached the cloud, unless a later answer shows
//! what exists.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clouds::{Cloud, wire};

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Recorded; the request is being sent.
    Pending,
    /// The cloud accepted it (instances or an order id came back).
    Succeeded,
    /// A dry run the cloud (or, for Baidu, the local checks) passed; nothing was created.
    DryRunPassed,
    /// The cloud refused it, with its error code, and no attempt may have reached it otherwise.
    Failed,
    /// It certainly never reached the cloud (no connection, or refused inside the proxy before sending):
    /// nothing was created; a retry with the same idempotency key sends it.
    NotSent,
    /// The cloud may have acted (no answer, a 5xx, an unreadable answer, a refusal after an attempt that may have
    /// acted): it may or may not exist. A retry with the same idempotency key resends the same ClientToken, which
    /// the cloud deduplicates.
    Unknown,
    /// Its outcome was unknown, and past the window in which the cloud honours its ClientToken it was looked up
    /// by its tag: no instance in its region carries the tag, so it created none, or they are gone. Final: nothing
    /// of it bills, nothing is sent under its key again, and a new key places it anew.
    NotFound,
}

impl OrderStatus {
    /// Every status.
    pub const ALL: [OrderStatus; 7] = [
        OrderStatus::Pending,
        OrderStatus::Succeeded,
        OrderStatus::DryRunPassed,
        OrderStatus::Failed,
        OrderStatus::NotSent,
        OrderStatus::Unknown,
        OrderStatus::NotFound,
    ];

    /// The stored and serialised text.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Succeeded => "succeeded",
            OrderStatus::DryRunPassed => "dry_run_passed",
            OrderStatus::Failed => "failed",
            OrderStatus::NotSent => "not_sent",
            OrderStatus::Unknown => "unknown",
            OrderStatus::NotFound => "not_found",
        }
    }

    /// Reads [`OrderStatus::as_str`] back; anything else is `Pending` (an order never reads as final by accident).
    pub fn parse(text: &str) -> OrderStatus {
        match text {
            "succeeded" => OrderStatus::Succeeded,
            "dry_run_passed" => OrderStatus::DryRunPassed,
            "failed" => OrderStatus::Failed,
            "not_sent" => OrderStatus::NotSent,
            "unknown" => OrderStatus::Unknown,
            "not_found" => OrderStatus::NotFound,
            _ => OrderStatus::Pending,
        }
    }
}

/// What the cloud said about an order, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderOutcome {
    /// Where the order stands now.
    pub status: OrderStatus,
    /// The cloud's request id.
    pub request_id: Option<String>,
    /// Instance ids created.
    pub instance_ids: Vec<String>,
    /// The cloud's order id (Baidu).
    pub order_id: Option<String>,
    /// The cloud's error code.
    pub error_code: Option<String>,
    /// The cloud's error message.
    pub error_message: Option<String>,
    /// What to change.
    pub hint: Option<String>,
    /// The answer's body, as JSON when it was JSON.
    pub body: Option<Value>,
}

impl OrderOutcome {
    /// An outcome with no ids, no body.
    pub fn new(
        status: OrderStatus,
        request_id: Option<String>,
        code: Option<String>,
        message: Option<String>,
        hint: Option<String>,
    ) -> OrderOutcome {
        OrderOutcome {
            status,
            request_id,
            instance_ids: Vec::new(),
            order_id: None,
            error_code: code,
            error_message: message,
            hint,
            body: None,
        }
    }

    /// Whether the cloud may have acted on the request this outcome answers (the status is unknown).
    pub fn maybe_acted(&self) -> bool {
        self.status == OrderStatus::Unknown
    }
}

/// The throttling codes: the gateway refused before the service acted. Alibaba `Throttling`, `Throttling.User`,
/// `Throttling.Api` (help.aliyun.com/zh/ecs/developer-reference/api-throttling); Tencent `RequestLimitExceeded`
/// and its sub-codes (tencentcloud-sdk-python-common 3.1.195, common error codes).
pub fn is_throttling(code: &str) -> bool {
    code.starts_with("Throttling") || code.starts_with("RequestLimitExceeded")
}

/// Whether an error code names a server-side failure that may follow work the service did — so an answer carrying
/// it is unknown, never a refusal: the clouds' `InternalError` and `ServiceUnavailable` (Alibaba's idempotency
/// guide, help.aliyun.com/document_detail/25693.html), Tencent's `InternalError.*` sub-codes such as
/// `InternalError.TradeUnknownError`, and `InternalServerError`, which Tencent answers in an HTTP 200
/// (tencentcloud-sdk-python-cvm 3.1.178, `cvm/v20170312/errorcodes.py`: "内部错误", "操作内部错误";
/// tencentcloud-sdk-python-common 3.1.195, common error codes).
pub fn is_server_side_error(code: &str) -> bool {
    code == "InternalError"
        || code.starts_with("InternalError.")
        || code == "InternalServerError"
        || code.starts_with("ServiceUnavailable")
}

/// Whether an answer is worth another attempt with the same ClientToken: throttling (the cloud did nothing) and
/// the transient server errors Alibaba's idempotency guide names for a retry with the same token (500
/// `InternalError`, 503 `ServiceUnavailable`; help.aliyun.com/document_detail/25693.html) and the other
/// [`is_server_side_error`] codes — the same ClientToken makes the retry safe.
pub fn retryable(cloud: Cloud, status: u16, body: &[u8]) -> bool {
    if status >= 500 || status == 429 {
        return true;
    }
    let Ok(Value::Object(answer)) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    wire(cloud)
        .error_in(&answer)
        .is_some_and(|error| is_throttling(&error.code) || is_server_side_error(&error.code))
}

/// The outcome of a request whose answer never came back, or came back broken: it may have reached the cloud.
pub fn unanswered(code: &str, reason: String, dry_run: bool) -> OrderOutcome {
    OrderOutcome::new(
        OrderStatus::Unknown,
        None,
        Some(code.into()),
        Some(reason),
        Some(unknown_hint(dry_run)),
    )
}

/// The final outcome of an order from its last answer and whether an earlier attempt (of this request or of an
/// earlier one under the same idempotency key) may have reached the cloud: a refusal after an attempt that may
/// have acted does not prove nothing exists, so the order stays unknown.
pub fn settle(last: OrderOutcome, earlier_maybe_acted: bool) -> OrderOutcome {
    match last.status {
        OrderStatus::Failed | OrderStatus::NotSent if earlier_maybe_acted => {
            let said = match (&last.error_code, &last.error_message) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code.clone(),
                (None, Some(message)) => message.clone(),
                (None, None) => "no answer".into(),
            };
            OrderOutcome {
                status: OrderStatus::Unknown,
                hint: Some(format!(
                    "an earlier attempt may have reached the cloud, so this order may exist although the last attempt \
                     ended with {said}. {}",
                    unknown_hint(false)
                )),
                ..last
            }
        }
        _ => last,
    }
}

/// Reads a complete answer to an order call.
pub fn read_order_answer(cloud: Cloud, dry_run: bool, status: u16, body: &[u8]) -> OrderOutcome {
    let Ok(Value::Object(answer)) = serde_json::from_slice::<Value>(body) else {
        // No readable answer (a gateway page, a cut-off body): whatever the status, the order may exist.
        return unanswered(
            "UnreadableResponse",
            format!("HTTP {status} with an unreadable body ({} bytes)", body.len()),
            dry_run,
        );
    };
    let cloud_wire = wire(cloud);
    let error = cloud_wire.error_in(&answer);
    let request_id = error
        .as_ref()
        .and_then(|error| error.request_id.clone())
        .or_else(|| request_id_of(&answer));
    let mut result = match error {
        Some(error) if error.code == "DryRunOperation" && dry_run => OrderOutcome {
            error_message: Some(error.message).filter(|message| !message.is_empty()),
            ..OrderOutcome::new(OrderStatus::DryRunPassed, request_id, None, None, None)
        },
        // A server-side error may follow work the service did: unknown, never failed.
        Some(error) if status >= 500 || is_server_side_error(&error.code) => OrderOutcome::new(
            OrderStatus::Unknown,
            request_id,
            Some(error.code),
            Some(error.message).filter(|message| !message.is_empty()),
            Some(unknown_hint(dry_run)),
        ),
        Some(error) => {
            let hint = cloud_wire
                .hint(&error.code, &error.message)
                .or_else(|| shared_hint(&error.code))
                .map(str::to_owned);
            OrderOutcome::new(
                OrderStatus::Failed,
                request_id,
                Some(error.code),
                Some(error.message).filter(|message| !message.is_empty()),
                hint,
            )
        }
        None if status >= 500 => OrderOutcome::new(
            OrderStatus::Unknown,
            request_id,
            Some(format!("HTTP{status}")),
            Some(format!("HTTP {status} without an error code")),
            Some(unknown_hint(dry_run)),
        ),
        None if !(200..300).contains(&status) => OrderOutcome::new(
            OrderStatus::Failed,
            request_id,
            Some(format!("HTTP{status}")),
            Some(format!("HTTP {status}")),
            None,
        ),
        None => {
            let (instance_ids, order_id) = cloud_wire.created(&answer);
            if dry_run && instance_ids.is_empty() && order_id.is_none() {
                OrderOutcome::new(OrderStatus::DryRunPassed, request_id, None, None, None)
            } else if instance_ids.is_empty() {
                // Accepted, but no instance named — with or without an order id (Baidu's answer documents both
                // `orderId` and `instanceIds`: BCC API reference, "Create spot instances", `POST /v2/instance/bid`):
                // what it created is not known, so it is looked up rather than read as a success with nothing to
                // follow.
                OrderOutcome {
                    order_id,
                    ..OrderOutcome::new(
                        OrderStatus::Unknown,
                        request_id,
                        Some("NoInstanceIds".into()),
                        Some("the cloud accepted the call but returned no instance ids".into()),
                        Some(unknown_hint(false)),
                    )
                }
            } else {
                // Instances named — even for a dry run the cloud did not honour — are instances that bill.
                OrderOutcome {
                    instance_ids,
                    order_id,
                    ..OrderOutcome::new(OrderStatus::Succeeded, request_id, None, None, None)
                }
            }
        }
    };
    result.body = Some(Value::Object(answer));
    result
}

/// The request id of an answer in any of the clouds' shapes.
fn request_id_of(answer: &serde_json::Map<String, Value>) -> Option<String> {
    ["RequestId", "requestId"]
        .iter()
        .find_map(|key| answer.get(*key))
        .or_else(|| answer.get("Response").and_then(|response| response.get("RequestId")))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn unknown_hint(dry_run: bool) -> String {
    if dry_run {
        return "the check did not complete; a dry run creates nothing, so retry it".into();
    }
    "the outcome is unknown: the order may exist. Retry with the same idempotency key (the same ClientToken is \
     sent, so the cloud returns what it created rather than creating it again), or look for instances with this \
     ClientToken in the cloud console before ordering again"
        .into()
}

/// Advice for the error codes every cloud shares in spirit: refused credentials, a clock that is off.
fn shared_hint(code: &str) -> Option<&'static str> {
    match code {
        "SignatureDoesNotMatch"
        | "IncompleteSignature"
        | "InvalidAccessKeyId.NotFound"
        | "InvalidAccessKeySecret"
        | "AuthFailure.SignatureFailure"
        | "AuthFailure.SecretIdNotFound"
        | "AuthFailure.InvalidSecretId"
        | "InvalidAccessKeyId"
        | "AccessDenied" => Some(
            "the cloud refused the credentials: check the access key the proxy uses (GET /api/v1/health shows \
             where it came from)",
        ),
        "InvalidTimeStamp.Expired" | "AuthFailure.SignatureExpire" | "RequestExpired" => {
            Some("the machine's clock is off: fix the system time")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn alibaba_success_and_errors() {
        let ok = read_order_answer(
            Cloud::Alibaba,
            false,
            200,
            br#"{"RequestId":"r1","InstanceIdSets":{"InstanceIdSet":["i-1","i-2"]}}"#,
        );
        assert_eq!(
            (ok.status, ok.instance_ids.clone(), ok.request_id.as_deref()),
            (
                OrderStatus::Succeeded,
                vec!["i-1".to_owned(), "i-2".to_owned()],
                Some("r1")
            )
        );
        let low = read_order_answer(Cloud::Alibaba, false, 400, br#"{"RequestId":"r2","Code":"InvalidSpotPriceLimit.LowerThanPublicPrice","Message":"The specified parameter spotPriceLimit can't be lower than current public price."}"#);
        assert_eq!(low.status, OrderStatus::Failed);
        assert!(low.hint.unwrap().contains("raise the maximum price"));
        let dry = read_order_answer(Cloud::Alibaba, true, 400, br#"{"RequestId":"r3","Code":"DryRunOperation","Message":"Request validation has been passed with DryRun flag set."}"#);
        assert_eq!(dry.status, OrderStatus::DryRunPassed);
        assert_eq!(dry.error_code, None);
    }

    #[test]
    fn tencent_errors_come_with_http_200() {
        let error = read_order_answer(Cloud::Tencent, false, 200, br#"{"Response":{"Error":{"Code":"InvalidParameterValue.InsufficientPrice","Message":"bid failed"},"RequestId":"t1"}}"#);
        assert_eq!(
            (error.status, error.error_code.as_deref()),
            (OrderStatus::Failed, Some("InvalidParameterValue.InsufficientPrice"))
        );
        let dry = read_order_answer(Cloud::Tencent, true, 200, br#"{"Response":{"RequestId":"t2"}}"#);
        assert_eq!(dry.status, OrderStatus::DryRunPassed);
        let ok = read_order_answer(
            Cloud::Tencent,
            false,
            200,
            br#"{"Response":{"InstanceIdSet":["ins-1"],"RequestId":"t3"}}"#,
        );
        assert_eq!(ok.instance_ids, ["ins-1"]);
    }

    #[test]
    fn baidu_answers() {
        let ok = read_order_answer(Cloud::Baidu, false, 200, br#"{"orderId":"o-1","instanceIds":["i-T1"]}"#);
        assert_eq!(
            (ok.order_id.as_deref(), ok.status),
            (Some("o-1"), OrderStatus::Succeeded)
        );
        let low = read_order_answer(
            Cloud::Baidu,
            false,
            400,
            br#"{"requestId":"b1","code":"BadRequest","message":"bid price should be greater than market price."}"#,
        );
        assert!(low.hint.unwrap().contains("CNY per minute"));
    }

    #[test]
    fn garbage_after_success_is_unknown_never_failed() {
        let unknown = read_order_answer(Cloud::Alibaba, false, 200, b"<html>gateway</html>");
        assert_eq!(unknown.status, OrderStatus::Unknown);
        assert!(unknown.hint.unwrap().contains("same ClientToken"));
    }

    #[test]
    fn answers_that_may_follow_work_are_unknown_never_failed() {
        // A gateway page, a 5xx with or without the cloud's envelope, InternalError/ServiceUnavailable in a 200.
        assert_eq!(
            read_order_answer(Cloud::Baidu, false, 502, b"bad gateway").status,
            OrderStatus::Unknown
        );
        assert_eq!(
            read_order_answer(
                Cloud::Alibaba,
                false,
                504,
                br#"{"RequestId":"r","Code":"GatewayTimeout","Message":"x"}"#
            )
            .status,
            OrderStatus::Unknown
        );
        assert_eq!(
            read_order_answer(Cloud::Baidu, false, 500, br#"{"requestId":"r"}"#).status,
            OrderStatus::Unknown
        );
        let internal = read_order_answer(
            Cloud::Tencent,
            false,
            200,
            br#"{"Response":{"Error":{"Code":"InternalError","Message":"x"},"RequestId":"t"}}"#,
        );
        assert_eq!(
            (internal.status, internal.error_code.as_deref()),
            (OrderStatus::Unknown, Some("InternalError"))
        );
        // Tencent's sub-codes of an internal error, in an HTTP 200: the trade's outcome is not known.
        for code in [
            "InternalError.TradeUnknownError",
            "InternalServerError",
            "ServiceUnavailable",
        ] {
            let body = format!(r#"{{"Response":{{"Error":{{"Code":"{code}","Message":"x"}},"RequestId":"t"}}}}"#);
            let read = read_order_answer(Cloud::Tencent, false, 200, body.as_bytes());
            assert_eq!(read.status, OrderStatus::Unknown, "{code}");
            assert!(read.maybe_acted(), "{code}");
            assert!(retryable(Cloud::Tencent, 200, body.as_bytes()), "{code}");
        }
        // A readable refusal is definite; throttling too (the gateway answered before the service acted).
        let throttled = read_order_answer(
            Cloud::Alibaba,
            false,
            400,
            br#"{"RequestId":"r","Code":"Throttling.User","Message":"x"}"#,
        );
        assert_eq!(throttled.status, OrderStatus::Failed);
        assert!(!throttled.maybe_acted());
    }

    #[test]
    fn a_refusal_after_an_attempt_that_may_have_acted_stays_unknown() {
        let refused = read_order_answer(
            Cloud::Alibaba,
            false,
            400,
            br#"{"RequestId":"r","Code":"InvalidSpotPriceLimit.LowerThanPublicPrice","Message":"x"}"#,
        );
        assert_eq!(settle(refused.clone(), false).status, OrderStatus::Failed);
        let after_503 = settle(refused, true);
        assert_eq!(after_503.status, OrderStatus::Unknown);
        assert!(
            after_503
                .hint
                .unwrap()
                .contains("earlier attempt may have reached the cloud")
        );
        let ok = read_order_answer(
            Cloud::Tencent,
            false,
            200,
            br#"{"Response":{"InstanceIdSet":["ins-1"],"RequestId":"t"}}"#,
        );
        assert_eq!(settle(ok, true).status, OrderStatus::Succeeded);
    }

    #[test]
    fn an_accepted_answer_without_instance_ids_is_unknown_and_a_dry_run_that_created_is_a_success() {
        let order_only = read_order_answer(
            Cloud::Baidu,
            false,
            200,
            br#"{"orderId":"d1ace996973643b299ea506a80dae4da","instanceIds":[]}"#,
        );
        assert_eq!(
            (order_only.status, order_only.order_id.as_deref()),
            (OrderStatus::Unknown, Some("d1ace996973643b299ea506a80dae4da"))
        );
        let created = read_order_answer(
            Cloud::Tencent,
            true,
            200,
            br#"{"Response":{"InstanceIdSet":["ins-1"],"RequestId":"t"}}"#,
        );
        assert_eq!(
            (created.status, created.instance_ids),
            (OrderStatus::Succeeded, vec!["ins-1".to_owned()])
        );
        let checked = read_order_answer(Cloud::Tencent, true, 200, br#"{"Response":{"RequestId":"t"}}"#);
        assert_eq!(checked.status, OrderStatus::DryRunPassed);
    }

    #[test]
    fn which_failures_are_retried() {
        assert!(retryable(Cloud::Alibaba, 503, b""));
        assert!(retryable(
            Cloud::Tencent,
            200,
            br#"{"Response":{"Error":{"Code":"RequestLimitExceeded"}}}"#
        ));
        assert!(!retryable(
            Cloud::Tencent,
            200,
            br#"{"Response":{"Error":{"Code":"InvalidParameterValue.InsufficientPrice"}}}"#
        ));
    }
}
