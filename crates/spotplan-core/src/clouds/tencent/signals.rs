//! Tencent CVM `DescribeZoneInstanceConfigInfos` (2017-03-12) for spot: per zone and type, whether spot
//! instances are on sale (`Status` `SELL`/`SOLD_OUT`, `StatusCategory`, `SoldOutReason`), filtered with
//! `instance-charge-type=SPOTPAID` and `instance-type` (≤ 100 values a filter; tencentcloud-sdk-python-cvm 3.1.178).

use serde_json::{Value, json};

use super::order::api_request;
use crate::api::signals::{PoolSignal, Stock};
use crate::clouds::Cloud;
use crate::order::request::HttpRequest;
use crate::quote::QuoteError;
use crate::quote::json as answer;

/// The request for `instance_types` in `region`.
pub fn describe_zone_instance_config_infos(region: &str, instance_types: &[String]) -> HttpRequest {
    let body = json!({
        "Filters": [
            { "Name": "instance-charge-type", "Values": ["SPOTPAID"] },
            { "Name": "instance-type", "Values": instance_types },
        ]
    });
    api_request(region, "DescribeZoneInstanceConfigInfos", &body)
}

/// Reads the answer: `Response.InstanceTypeQuotaSet[]`; an item without a zone, type or status is left out.
pub fn parse_describe_zone_instance_config_infos(body: &[u8]) -> Result<Vec<PoolSignal>, QuoteError> {
    let root = answer::parse_answer(Cloud::Tencent, body)?;
    let items = answer::require_array(&root, "Response.InstanceTypeQuotaSet", "Response.InstanceTypeQuotaSet")?;
    let text = |item: &Value, key: &str| item.get(key).and_then(Value::as_str).map(str::to_owned);
    Ok(items
        .iter()
        .filter_map(|item| {
            let stock = match text(item, "Status")?.as_str() {
                "SELL" => Stock::Selling {
                    category: text(item, "StatusCategory"),
                },
                "SOLD_OUT" => Stock::SoldOut {
                    reason: text(item, "SoldOutReason").filter(|reason| !reason.is_empty()),
                },
                _ => return None,
            };
            Some(PoolSignal {
                zone: text(item, "Zone")?,
                instance_type: text(item, "InstanceType")?,
                interruption: None,
                average_spot_percent: None,
                stock: Some(stock),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn sold_out_pools_are_read_with_their_reason() {
        let request = describe_zone_instance_config_infos("ap-guangzhou", &["S5.LARGE8".into()]);
        assert!(
            request
                .body_text()
                .contains(r#"{"Name":"instance-charge-type","Values":["SPOTPAID"]}"#)
        );
        let body = r#"{"Response":{"RequestId":"r","InstanceTypeQuotaSet":[
            {"Zone":"ap-guangzhou-6","InstanceType":"S5.LARGE8","InstanceChargeType":"SPOTPAID","Status":"SELL","StatusCategory":"UnderStock"},
            {"Zone":"ap-guangzhou-3","InstanceType":"S5.LARGE8","InstanceChargeType":"SPOTPAID","Status":"SOLD_OUT","SoldOutReason":"资源不足"},
            {"Zone":"ap-guangzhou-4","InstanceType":"S5.LARGE8","Status":"UNKNOWN"}]}}"#;
        let signals = parse_describe_zone_instance_config_infos(body.as_bytes()).unwrap_or_default();
        assert_eq!(signals.len(), 2);
        assert_eq!(
            signals[1].stock,
            Some(Stock::SoldOut {
                reason: Some("资源不足".into())
            })
        );
    }
}
