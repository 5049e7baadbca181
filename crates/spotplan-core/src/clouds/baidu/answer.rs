//! Reading Baidu BCC answers: the error envelope (`{"requestId", "code", "message"}`, HTTP 4xx/5xx; a success
//! has no `code`), the ids and order id `/v2/instance/bid` returns, and what to do about its bid messages
//! (Baidu gives these as messages under the generic `BadRequest` code, so the hints read the message).

use serde_json::Value;

use crate::clouds::{Cloud, DocumentedError};
use crate::quote::CloudError;
use crate::quote::json::Object;

/// A custom `bidPrice` not above the market price: the error table of Baidu AI Cloud's BCC API reference,
/// "Create spot instances" (`POST /v2/instance/bid`).
pub const BID_BELOW_MARKET: DocumentedError = DocumentedError {
    code: "BadRequest",
    message: "bid price should be greater than market price.",
    http_status: 400,
    source: "Baidu AI Cloud BCC API reference, Create spot instances (POST /v2/instance/bid), error codes",
};

fn text(answer: &Object, key: &str) -> Option<String> {
    answer.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// The error envelope, when the answer is one.
pub(super) fn error_in(answer: &Object) -> Option<CloudError> {
    let code = text(answer, "code").filter(|code| !code.is_empty())?;
    Some(CloudError {
        cloud: Cloud::Baidu,
        code,
        message: text(answer, "message").unwrap_or_default(),
        request_id: text(answer, "requestId"),
    })
}

/// `instanceIds[]` and `orderId` of a bid order's success.
pub(super) fn created(answer: &Object) -> (Vec<String>, Option<String>) {
    let ids = answer
        .get("instanceIds")
        .and_then(Value::as_array)
        .map(|ids| ids.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    (ids, text(answer, "orderId"))
}

/// Codes that say the pool cannot take the order: `Instance.NotSupportInstanceTypeException` ("This machine type is
/// not supported", 403, seed `baidu-bcc-create-spot-instances.md`). Baidu documents no stock code, so this is the one
/// a fleet moves on from.
pub(super) const POOL_UNAVAILABLE: &[&str] = &["Instance.NotSupportInstanceTypeException"];

/// What a person should change for a Baidu bid error (messages from the seed's error table).
pub(super) fn hint(_code: &str, message: &str) -> Option<&'static str> {
    if message.contains(BID_BELOW_MARKET.message.trim_end_matches('.')) {
        Some(
            "the bid (CNY per minute) is not above Baidu's market price: refresh the live price and raise bidPrice, \
             or use bidModel market",
        )
    } else if message.contains("bidPrice can not be null") {
        Some("a custom bid needs a bid price (CNY per minute)")
    } else if message.contains("Cds count must be multiple") {
        Some("the number of data disks must be a multiple of the instance count")
    } else {
        None
    }
}
