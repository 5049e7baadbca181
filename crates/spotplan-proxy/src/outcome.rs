//! Reads each cloud's answer to an order call into one outcome — created instances, a passed dry run, the
//! cloud's refusal with its code and a hint a person can act on, or "unknown" — and tells which answers are worth
//! another attempt with the same ClientToken.
//!
//! The rule that keeps money safe: an answer that may mean the cloud acted is **unknown**, never "failed". A 5xx,
//! a gateway page, `InternalError`/`ServiceUnavailable`, an unreadable or oversized body and a lost answer all
//! may follow a request the cloud carried out. Only a readable refusal with the cloud's own error code (or a 429 /
//! throttling code, which the gateway answers before the service acts) is a definite "no". Across attempts,
//! [`settle`] keeps an order unknown once any attempt may have reached the cloud, unless a later answer shows
//! what exists.

use serde_json::Value;
use spotplan_core::Cloud;

use crate::store::OrderStatus;

/// What the cloud said, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Where the order stands now.
    pub status: OrderStatus,
    /// The cloud's request id.
    pub request_id: Option<String>,
    /// Instance ids created.
    pub instance_ids: Vec<String>,
    /// Baidu's order id.
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

impl Outcome {
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

/// Whether an answer is worth another attempt with the same ClientToken: throttling (the cloud did nothing) and
/// the transient server errors Alibaba's idempotency guide names for a retry with the same token (500
/// `InternalError`, 503 `ServiceUnavailable`; help.aliyun.com/document_detail/25693.html).
pub fn retryable(cloud: Cloud, status: u16, body: &[u8]) -> bool {
    if status >= 500 || status == 429 {
        return true;
    }
    let code = error_fields(cloud, &serde_json::from_slice(body).unwrap_or(Value::Null)).0;
    code.as_deref()
        .is_some_and(|code| is_throttling(code) || matches!(code, "InternalError" | "ServiceUnavailable"))
}

/// The outcome of a request whose answer never came back, or came back broken: it may have reached the cloud.
pub fn unanswered(code: &str, reason: String, dry_run: bool) -> Outcome {
    outcome(
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
pub fn settle(last: Outcome, earlier_maybe_acted: bool) -> Outcome {
    match last.status {
        OrderStatus::Failed | OrderStatus::NotSent if earlier_maybe_acted => {
            let said = match (&last.error_code, &last.error_message) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code.clone(),
                (None, Some(message)) => message.clone(),
                (None, None) => "no answer".into(),
            };
            Outcome {
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

/// Interprets a complete answer.
pub fn interpret(cloud: Cloud, dry_run: bool, status: u16, body: &[u8]) -> Outcome {
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        // No readable answer (a gateway page, a cut-off body): whatever the status, the order may exist.
        return unanswered(
            "UnreadableResponse",
            format!("HTTP {status} with an unreadable body ({} bytes)", body.len()),
            dry_run,
        );
    };
    let (code, message, request_id) = error_fields(cloud, &json);
    let mut result = match code {
        Some(code) if is_dry_run_pass(&code) && dry_run => Outcome {
            status: OrderStatus::DryRunPassed,
            error_code: None,
            error_message: message,
            ..outcome(OrderStatus::DryRunPassed, request_id, None, None, None)
        },
        // A server-side error may follow work the service did: unknown, never failed.
        Some(code) if status >= 500 || matches!(code.as_str(), "InternalError" | "ServiceUnavailable") => outcome(
            OrderStatus::Unknown,
            request_id,
            Some(code),
            message,
            Some(unknown_hint(dry_run)),
        ),
        Some(code) => {
            let hint = hint(cloud, &code, message.as_deref().unwrap_or_default());
            outcome(OrderStatus::Failed, request_id, Some(code), message, hint)
        }
        None if status >= 500 => outcome(
            OrderStatus::Unknown,
            request_id,
            Some(format!("HTTP{status}")),
            Some(format!("HTTP {status} without an error code")),
            Some(unknown_hint(dry_run)),
        ),
        None if !(200..300).contains(&status) => outcome(
            OrderStatus::Failed,
            request_id,
            Some(format!("HTTP{status}")),
            Some(format!("HTTP {status}")),
            None,
        ),
        None => {
            let (instance_ids, order_id) = success_fields(cloud, &json);
            if dry_run {
                outcome(OrderStatus::DryRunPassed, request_id, None, None, None)
            } else if instance_ids.is_empty() && order_id.is_none() {
                outcome(
                    OrderStatus::Unknown,
                    request_id,
                    Some("NoInstanceIds".into()),
                    Some("the cloud accepted the call but returned no instance ids".into()),
                    Some(unknown_hint(false)),
                )
            } else {
                Outcome {
                    instance_ids,
                    order_id,
                    ..outcome(OrderStatus::Succeeded, request_id, None, None, None)
                }
            }
        }
    };
    result.body = Some(json);
    result
}

fn outcome(
    status: OrderStatus,
    request_id: Option<String>,
    code: Option<String>,
    message: Option<String>,
    hint: Option<String>,
) -> Outcome {
    Outcome {
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

fn unknown_hint(dry_run: bool) -> String {
    if dry_run {
        return "the check did not complete; a dry run creates nothing, so retry it".into();
    }
    "the outcome is unknown: the order may exist. Retry with the same idempotency key (the same ClientToken is \
     sent, so the cloud returns what it created rather than creating it again), or look for instances with this \
     ClientToken in the cloud console before ordering again"
        .into()
}

fn is_dry_run_pass(code: &str) -> bool {
    code == "DryRunOperation"
}

fn text(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned)
}

/// (error code, message, request id) of an answer.
fn error_fields(cloud: Cloud, json: &Value) -> (Option<String>, Option<String>, Option<String>) {
    match cloud {
        Cloud::Alibaba => (text(&json["Code"]), text(&json["Message"]), text(&json["RequestId"])),
        Cloud::Tencent => {
            let response = &json["Response"];
            (
                text(&response["Error"]["Code"]),
                text(&response["Error"]["Message"]),
                text(&response["RequestId"]),
            )
        }
        Cloud::Baidu => (text(&json["code"]), text(&json["message"]), text(&json["requestId"])),
    }
}

/// (instance ids, order id) of a success.
fn success_fields(cloud: Cloud, json: &Value) -> (Vec<String>, Option<String>) {
    let ids = |value: &Value| {
        value
            .as_array()
            .map(|items| items.iter().filter_map(text).collect())
            .unwrap_or_default()
    };
    match cloud {
        Cloud::Alibaba => (ids(&json["InstanceIdSets"]["InstanceIdSet"]), text(&json["OrderId"])),
        Cloud::Tencent => (ids(&json["Response"]["InstanceIdSet"]), None),
        Cloud::Baidu => (ids(&json["instanceIds"]), text(&json["orderId"])),
    }
}

/// What a person should change for a cloud error.
pub fn hint(cloud: Cloud, code: &str, message: &str) -> Option<String> {
    let text = match (cloud, code) {
        (Cloud::Alibaba, "InvalidSpotPriceLimit.LowerThanPublicPrice")
        | (Cloud::Tencent, "InvalidParameterValue.InsufficientPrice") => {
            "the bid is below the current market price: refresh the live price and raise the maximum price above it, \
             or bid at the market price (market mode)"
        }
        (Cloud::Baidu, _) if message.contains("bid price should be greater than market price") => {
            "the bid (CNY per minute) is not above Baidu's market price: refresh the live price and raise bidPrice, or \
             use bidModel market"
        }
        (Cloud::Baidu, _) if message.contains("bidPrice can not be null") => {
            "a custom bid needs a bid price (CNY per minute)"
        }
        (Cloud::Baidu, _) if message.contains("Cds count must be multiple") => {
            "the number of data disks must be a multiple of the instance count"
        }
        (Cloud::Alibaba, "InvalidSpotPriceLimit") => {
            "the maximum price is malformed or above the pay-as-you-go price: at most 3 decimals, not above on-demand"
        }
        (Cloud::Alibaba, "InvalidSpotDuration") => "SpotDuration must be 1 (one protected hour) or 0",
        (Cloud::Alibaba, "InvalidSpotParam.EmptyZoneID") => "choose a zone: spot orders need one",
        (Cloud::Alibaba, "IdempotentParameterMismatch") => {
            "this ClientToken was used for a different order: submit the changed order with a new idempotency key"
        }
        (Cloud::Alibaba, "OperationDenied.NoStock" | "InvalidResourceType.NotSupported")
        | (
            Cloud::Tencent,
            "InvalidParameterValue.InsufficientOffering"
            | "ResourceInsufficient.SpecifiedInstanceType"
            | "ResourceInsufficient.ZoneSoldOutForSpecifiedInstance"
            | "ResourceInsufficient.AvailabilityZoneSoldOut"
            | "ResourcesSoldOut.SpecifiedInstanceType",
        ) => "no spot stock for this type in this zone: try another zone or a similar type",
        (
            Cloud::Tencent,
            "LimitExceeded.SpotQuota"
            | "LimitExceeded.UserSpotQuota"
            | "LimitExceeded.InstanceQuota"
            | "InstancesQuotaLimitExceeded",
        ) => "your spot quota is used up: lower the instance count or ask Tencent Cloud for more quota",
        (
            Cloud::Tencent,
            "UnsupportedOperation.NoInstanceTypeSupportSpot" | "UnsupportedOperation.SpotUnsupportedRegion",
        ) => "this type or region does not offer spot instances: pick another",
        (
            _,
            "SignatureDoesNotMatch"
            | "IncompleteSignature"
            | "InvalidAccessKeyId.NotFound"
            | "InvalidAccessKeySecret"
            | "AuthFailure.SignatureFailure"
            | "AuthFailure.SecretIdNotFound"
            | "AuthFailure.InvalidSecretId"
            | "InvalidAccessKeyId"
            | "AccessDenied",
        ) => {
            "the cloud refused the credentials: check the access key the proxy uses (GET /api/v1/health shows where it came from)"
        }
        (_, "InvalidTimeStamp.Expired" | "AuthFailure.SignatureExpire" | "RequestExpired") => {
            "the machine's clock is off: fix the system time"
        }
        _ => return None,
    };
    Some(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alibaba_success_and_errors() {
        let ok = interpret(
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
        let low = interpret(Cloud::Alibaba, false, 400, br#"{"RequestId":"r2","Code":"InvalidSpotPriceLimit.LowerThanPublicPrice","Message":"The specified parameter spotPriceLimit can't be lower than current public price."}"#);
        assert_eq!(low.status, OrderStatus::Failed);
        assert!(low.hint.unwrap().contains("raise the maximum price"));
        let dry = interpret(Cloud::Alibaba, true, 400, br#"{"RequestId":"r3","Code":"DryRunOperation","Message":"Request validation has been passed with DryRun flag set."}"#);
        assert_eq!(dry.status, OrderStatus::DryRunPassed);
        assert_eq!(dry.error_code, None);
    }

    #[test]
    fn tencent_errors_come_with_http_200() {
        let error = interpret(Cloud::Tencent, false, 200, br#"{"Response":{"Error":{"Code":"InvalidParameterValue.InsufficientPrice","Message":"bid failed"},"RequestId":"t1"}}"#);
        assert_eq!(
            (error.status, error.error_code.as_deref()),
            (OrderStatus::Failed, Some("InvalidParameterValue.InsufficientPrice"))
        );
        let dry = interpret(Cloud::Tencent, true, 200, br#"{"Response":{"RequestId":"t2"}}"#);
        assert_eq!(dry.status, OrderStatus::DryRunPassed);
        let ok = interpret(
            Cloud::Tencent,
            false,
            200,
            br#"{"Response":{"InstanceIdSet":["ins-1"],"RequestId":"t3"}}"#,
        );
        assert_eq!(ok.instance_ids, ["ins-1"]);
    }

    #[test]
    fn baidu_answers() {
        let ok = interpret(Cloud::Baidu, false, 200, br#"{"orderId":"o-1","instanceIds":["i-T1"]}"#);
        assert_eq!(
            (ok.order_id.as_deref(), ok.status),
            (Some("o-1"), OrderStatus::Succeeded)
        );
        let low = interpret(
            Cloud::Baidu,
            false,
            400,
            br#"{"requestId":"b1","code":"BadRequest","message":"bid price should be greater than market price."}"#,
        );
        assert!(low.hint.unwrap().contains("CNY per minute"));
    }

    #[test]
    fn garbage_after_success_is_unknown_never_failed() {
        let unknown = interpret(Cloud::Alibaba, false, 200, b"<html>gateway</html>");
        assert_eq!(unknown.status, OrderStatus::Unknown);
        assert!(unknown.hint.unwrap().contains("same ClientToken"));
    }

    #[test]
    fn answers_that_may_follow_work_are_unknown_never_failed() {
        // A gateway page, a 5xx with or without the cloud's envelope, InternalError/ServiceUnavailable in a 200.
        assert_eq!(
            interpret(Cloud::Baidu, false, 502, b"bad gateway").status,
            OrderStatus::Unknown
        );
        assert_eq!(
            interpret(
                Cloud::Alibaba,
                false,
                504,
                br#"{"RequestId":"r","Code":"GatewayTimeout","Message":"x"}"#
            )
            .status,
            OrderStatus::Unknown
        );
        assert_eq!(
            interpret(Cloud::Baidu, false, 500, br#"{"requestId":"r"}"#).status,
            OrderStatus::Unknown
        );
        let internal = interpret(
            Cloud::Tencent,
            false,
            200,
            br#"{"Response":{"Error":{"Code":"InternalError","Message":"x"},"RequestId":"t"}}"#,
        );
        assert_eq!(
            (internal.status, internal.error_code.as_deref()),
            (OrderStatus::Unknown, Some("InternalError"))
        );
        // A readable refusal is definite; throttling too (the gateway answered before the service acted).
        let throttled = interpret(
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
        let refused = interpret(
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
        let ok = interpret(
            Cloud::Tencent,
            false,
            200,
            br#"{"Response":{"InstanceIdSet":["ins-1"],"RequestId":"t"}}"#,
        );
        assert_eq!(settle(ok, true).status, OrderStatus::Succeeded);
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
