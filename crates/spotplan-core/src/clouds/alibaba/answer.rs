//! Reading Alibaba ECS answers: the error envelope (`{"RequestId", "HostId", "Code", "Message", "Recommend"}`,
//! HTTP 4xx/5xx; a success has no `Code`), the ids `RunInstances` returns, and what to do about its bid codes.

use serde_json::Value;

use crate::clouds::{Cloud, DocumentedError};
use crate::quote::CloudError;
use crate::quote::json::Object;

/// A `SpotPriceLimit` below the current public (spot) price. The code is in the error table of `RunInstances`
/// (Alibaba Cloud ECS API reference, 2014-05-26); the message is the one ECS answers with.
pub const BID_BELOW_MARKET: DocumentedError = DocumentedError {
    code: "InvalidSpotPriceLimit.LowerThanPublicPrice",
    message: "The specified parameter spotPriceLimit can't be lower than current public price.",
    http_status: 400,
    source: "Alibaba Cloud ECS API reference, RunInstances (2014-05-26), error codes",
};

fn text(answer: &Object, key: &str) -> Option<String> {
    answer.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// The error envelope, when the answer is one.
pub(super) fn error_in(answer: &Object) -> Option<CloudError> {
    let code = text(answer, "Code").filter(|code| !code.is_empty())?;
    Some(CloudError {
        cloud: Cloud::Alibaba,
        code,
        message: text(answer, "Message").unwrap_or_default(),
        request_id: text(answer, "RequestId"),
    })
}

/// `InstanceIdSets.InstanceIdSet[]` and `OrderId` of a `RunInstances` success.
pub(super) fn created(answer: &Object) -> (Vec<String>, Option<String>) {
    let ids = answer
        .get("InstanceIdSets")
        .and_then(|sets| sets.get("InstanceIdSet"))
        .and_then(Value::as_array)
        .map(|ids| ids.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    (ids, text(answer, "OrderId"))
}

/// Codes that say the pool (this type in this zone) has no spot stock or does not sell the type: a fleet moves on
/// to its next pool (alibabacloud-ecs20140526 7.11.8 `RunInstances` error codes).
pub(super) const POOL_UNAVAILABLE: &[&str] = &["OperationDenied.NoStock", "InvalidResourceType.NotSupported"];

/// What a person should change for an Alibaba error code (codes from the RunInstances error table).
pub(super) fn hint(code: &str, _message: &str) -> Option<&'static str> {
    Some(match code {
        code if code == BID_BELOW_MARKET.code => {
            "the bid is below the current market price: refresh the live price and raise the maximum price above it, \
             or bid at the market price (market mode)"
        }
        "InvalidSpotPriceLimit" => {
            "the maximum price is not valid: a positive decimal with at most 3 decimal places (ECS may also refuse \
             a limit above the pay-as-you-go price)"
        }
        "InvalidSpotDuration" => "SpotDuration must be 1 (one protected hour) or 0",
        "InvalidSpotParam.EmptyZoneID" => "choose a zone: spot orders need one",
        "IdempotentParameterMismatch" => {
            "this ClientToken was used for a different order: submit the changed order with a new idempotency key"
        }
        code if POOL_UNAVAILABLE.contains(&code) => {
            "no spot stock for this type in this zone: try another zone or a similar type"
        }
        _ => return None,
    })
}
