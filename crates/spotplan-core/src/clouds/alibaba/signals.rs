//! Alibaba ECS `DescribeSpotAdvice` (2014-05-26): per zone and type, the 30-day interruption-rate bucket and the
//! average spot price as a share of pay-as-you-go (alibabacloud-ecs20140526 7.0.17 response model:
//! `AvailableSpotZones.AvailableSpotZone[] { ZoneId, AvailableSpotResources.AvailableSpotResource[] { InstanceType,
//! AverageSpotDiscount, InterruptionRate, InterruptRateDesc } }`; request `RegionId`, `InstanceTypes` ≤ 10).

use serde_json::Value;

use super::order::rpc_request;
use crate::api::signals::PoolSignal;
use crate::clouds::Cloud;
use crate::fleet::AlibabaBucket;
use crate::order::request::HttpRequest;
use crate::quote::QuoteError;
use crate::quote::json;

/// The request for `instance_types` in `region`; the list becomes `InstanceTypes.N`, as the SDK flattens it.
pub fn describe_spot_advice(region: &str, instance_types: &[String]) -> HttpRequest {
    let mut query = vec![("RegionId".to_owned(), region.to_owned())];
    for (index, instance_type) in instance_types.iter().enumerate() {
        query.push((format!("InstanceTypes.{}", index + 1), instance_type.clone()));
    }
    rpc_request(region, "DescribeSpotAdvice", query)
}

fn list<'v>(value: &'v Value, outer: &str, inner: &str) -> &'v [Value] {
    value
        .get(outer)
        .and_then(|v| v.get(inner))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Reads the answer; a resource without a type, or a zone without an id, is left out.
pub fn parse_describe_spot_advice(body: &[u8]) -> Result<Vec<PoolSignal>, QuoteError> {
    let root = Value::Object(json::parse_answer(Cloud::Alibaba, body)?);
    if root.get("AvailableSpotZones").is_none() {
        return Err(QuoteError::MissingField {
            field: "AvailableSpotZones".into(),
        });
    }
    let mut signals = Vec::new();
    for zone in list(&root, "AvailableSpotZones", "AvailableSpotZone") {
        let Some(zone_id) = zone.get("ZoneId").and_then(Value::as_str) else {
            continue;
        };
        for resource in list(zone, "AvailableSpotResources", "AvailableSpotResource") {
            let Some(instance_type) = resource.get("InstanceType").and_then(Value::as_str) else {
                continue;
            };
            signals.push(PoolSignal {
                zone: zone_id.to_owned(),
                instance_type: instance_type.to_owned(),
                interruption: resource
                    .get("InterruptRateDesc")
                    .and_then(Value::as_str)
                    .and_then(AlibabaBucket::from_desc),
                average_spot_percent: resource
                    .get("AverageSpotDiscount")
                    .and_then(Value::as_u64)
                    .and_then(|n| u32::try_from(n).ok())
                    .filter(|n| (1..=100).contains(n)),
                stock: None,
            });
        }
    }
    Ok(signals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_request_names_the_types_and_the_answer_gives_a_bucket_per_zone_and_type() {
        let request = describe_spot_advice("cn-hangzhou", &["ecs.c7.xlarge".into(), "ecs.g7.xlarge".into()]);
        assert_eq!(request.action, "DescribeSpotAdvice");
        assert_eq!(request.query_value("InstanceTypes.2"), Some("ecs.g7.xlarge"));
        let answer = br#"{"RequestId":"r","RegionId":"cn-hangzhou","AvailableSpotZones":{"AvailableSpotZone":[
            {"ZoneId":"cn-hangzhou-k","AvailableSpotResources":{"AvailableSpotResource":[
                {"InstanceType":"ecs.c7.xlarge","AverageSpotDiscount":22,"InterruptionRate":2.5,"InterruptRateDesc":"0-3%"},
                {"InstanceType":"ecs.g7.xlarge","AverageSpotDiscount":35,"InterruptionRate":12,"InterruptRateDesc":"10-100%"},
                {"AverageSpotDiscount":35}]}}]}}"#;
        let signals = parse_describe_spot_advice(answer).unwrap_or_default();
        assert_eq!(signals.len(), 2);
        assert_eq!(signals[0].interruption, Some(AlibabaBucket::UpTo3));
        assert_eq!(signals[0].average_spot_percent, Some(22));
        assert_eq!(signals[1].interruption, Some(AlibabaBucket::Over10));
        let refused =
            br#"{"Code":"Throttling.User","Message":"Request was denied due to user flow control.","RequestId":"x"}"#;
        assert!(matches!(parse_describe_spot_advice(refused), Err(QuoteError::Cloud(_))));
    }
}
