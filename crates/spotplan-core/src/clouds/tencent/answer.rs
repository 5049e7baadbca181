//! Reading Tencent CVM answers: every answer is HTTP 200, an error sits in `{"Response": {"Error": {"Code",
//! "Message"}, "RequestId"}}`; `RunInstances` returns `Response.InstanceIdSet[]`; and what to do about its bid,
//! stock and quota codes (`cvm/v20170312/errorcodes.py`, tencentcloud-sdk-python-cvm 3.1.178).

use serde_json::Value;

use crate::clouds::{Cloud, DocumentedError};
use crate::quote::CloudError;
use crate::quote::json::Object;

/// A `MaxPrice` below the current market price: `InvalidParameterValue.InsufficientPrice` in
/// `cvm/v20170312/errorcodes.py` (tencentcloud-sdk-python-cvm 3.1.178), which documents the code only; the message
/// is the one CVM answers with. Tencent answers every error with HTTP 200.
pub const BID_BELOW_MARKET: DocumentedError = DocumentedError {
    code: "InvalidParameterValue.InsufficientPrice",
    message: "The bid price is lower than the current market price.",
    http_status: 200,
    source: "tencentcloud-sdk-python-cvm 3.1.178, cvm/v20170312/errorcodes.py",
};

/// The error envelope, when the answer is one.
pub(super) fn error_in(answer: &Object) -> Option<CloudError> {
    let response = answer.get("Response")?;
    let error = response.get("Error")?.as_object()?;
    let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_owned);
    Some(CloudError {
        cloud: Cloud::Tencent,
        code: text(error.get("Code")).unwrap_or_else(|| "(no code)".into()),
        message: text(error.get("Message")).unwrap_or_default(),
        request_id: text(response.get("RequestId")),
    })
}

/// `Response.InstanceIdSet[]` of a `RunInstances` success (Tencent has no order id).
pub(super) fn created(answer: &Object) -> (Vec<String>, Option<String>) {
    let ids = answer
        .get("Response")
        .and_then(|response| response.get("InstanceIdSet"))
        .and_then(Value::as_array)
        .map(|ids| ids.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    (ids, None)
}

/// Codes that say the pool (this type in this zone) is sold out: a fleet moves on to its next pool
/// (`cvm/v20170312/errorcodes.py`, tencentcloud-sdk-python-cvm 3.1.178).
pub(super) const POOL_UNAVAILABLE: &[&str] = &[
    "InvalidParameterValue.InsufficientOffering",
    "ResourceInsufficient.SpecifiedInstanceType",
    "ResourceInsufficient.ZoneSoldOutForSpecifiedInstance",
    "ResourceInsufficient.AvailabilityZoneSoldOut",
    "ResourcesSoldOut.SpecifiedInstanceType",
];

/// What a person should change for a Tencent error code.
pub(super) fn hint(code: &str, _message: &str) -> Option<&'static str> {
    Some(match code {
        code if code == BID_BELOW_MARKET.code => {
            "the bid is below the current market price: refresh the live price and raise the maximum price above it, \
             or bid at the market price (market mode)"
        }
        code if POOL_UNAVAILABLE.contains(&code) => {
            "no spot stock for this type in this zone: try another zone or a similar type"
        }
        "LimitExceeded.SpotQuota"
        | "LimitExceeded.UserSpotQuota"
        | "LimitExceeded.InstanceQuota"
        | "InstancesQuotaLimitExceeded" => {
            "your spot quota is used up: lower the instance count or ask Tencent Cloud for more quota"
        }
        "UnsupportedOperation.NoInstanceTypeSupportSpot" | "UnsupportedOperation.SpotUnsupportedRegion" => {
            "this type or region does not offer spot instances: pick another"
        }
        _ => return None,
    })
}
