//! The tag that lets Spotplan find an order's instances after the cloud may have forgotten its ClientToken: the
//! proxy sends each order with one more tag, `spotplan-order` = the order's id in its log (`ord-…`, unique per
//! logged order, unlike a ClientToken a person may reuse), and when an order's outcome is still unknown past the
//! resend window it lists the region for instances carrying that tag (Alibaba `DescribeInstances` `Tag.N`,
//! Tencent's `tag:<key>` filter, Baidu's `tags` on each listed instance) before any new attempt. The planner's own
//! requests and snippets carry only the person's tags.

use crate::order::model::{SpotOrder, Tag};

/// The tag key: letters and hyphens only, which every cloud's tag rules accept (Alibaba's may not start with
/// `aliyun` or `acs:`).
pub const ORDER_TAG_KEY: &str = "spotplan-order";

/// The order with the lookup tag (its value the order's id). The tag is Spotplan's own: one an order already
/// carries (copied from a logged order, say) is replaced, so it can never name another order.
pub fn with_order_tag(order: &SpotOrder, order_id: &str) -> SpotOrder {
    let mut tagged = order.clone();
    tagged.tags.retain(|tag| tag.key != ORDER_TAG_KEY);
    tagged.tags.push(Tag {
        key: ORDER_TAG_KEY.to_owned(),
        value: order_id.to_owned(),
    });
    tagged
}

/// Whether a listed instance's tags — a JSON array of `{<key_field>: …, <value_field>: …}` as each cloud names
/// them — include the lookup tag naming `order_id`.
pub fn tags_carry_order_tag(
    tags: Option<&serde_json::Value>,
    key_field: &str,
    value_field: &str,
    order_id: &str,
) -> bool {
    tags.and_then(serde_json::Value::as_array).is_some_and(|tags| {
        tags.iter().any(|tag| {
            tag.get(key_field).and_then(serde_json::Value::as_str) == Some(ORDER_TAG_KEY)
                && tag.get(value_field).and_then(serde_json::Value::as_str) == Some(order_id)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Cloud;
    use crate::order::request::{AdminPass, BuildOptions, HttpRequest, build_order_request};
    use crate::order::{ValidationContext, validate};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Whether a built request carries the lookup tag: as a query value (Alibaba `Tag.N.Key`) or a JSON string in
    /// the body (Tencent `TagSpecification`, Baidu `tags`).
    fn carries_order_tag(request: &HttpRequest) -> bool {
        request.query.iter().any(|(_, value)| value == ORDER_TAG_KEY)
            || request.body_text().contains(&format!("\"{ORDER_TAG_KEY}\""))
    }

    #[test]
    fn every_clouds_order_carries_the_tag_where_its_list_can_find_it() {
        for cloud in Cloud::ALL {
            let order = crate::order::tests::example(cloud);
            let plain = validate(&order, &ValidationContext::default()).valid.unwrap();
            let options = BuildOptions {
                client_token: "spotplan-key-0001".into(),
                baidu_admin_pass: AdminPass::Placeholder,
            };
            assert!(!carries_order_tag(&build_order_request(&plain, &options)), "{cloud}");
            let tagged = with_order_tag(&order, "ord-00000000000000a1");
            assert_eq!(
                with_order_tag(&tagged, "ord-00000000000000a1").tags,
                tagged.tags,
                "{cloud}: added once"
            );
            let copied = with_order_tag(&tagged, "ord-00000000000000a2");
            assert_eq!(
                copied.tags.len(),
                tagged.tags.len(),
                "{cloud}: a stale tag is replaced, not doubled"
            );
            assert_eq!(
                copied.tags.last().map(|tag| tag.value.as_str()),
                Some("ord-00000000000000a2")
            );
            let valid = validate(&tagged, &ValidationContext::default()).valid.unwrap();
            let request = build_order_request(&valid, &options);
            assert!(carries_order_tag(&request), "{cloud}: {request:?}");
            let text = format!("{:?}{}", request.query, request.body_text());
            assert!(text.contains("ord-00000000000000a1"), "{cloud}: {text}");
        }
    }

    #[test]
    fn each_clouds_list_keeps_only_the_instances_that_carry_the_orders_tag() {
        let order_id = "ord-00000000000000a1";
        let tag = |key: &str, value: &str, cloud: Cloud| match cloud {
            Cloud::Alibaba => serde_json::json!({ "TagKey": key, "TagValue": value }),
            Cloud::Tencent => serde_json::json!({ "Key": key, "Value": value }),
            Cloud::Baidu => serde_json::json!({ "tagKey": key, "tagValue": value }),
        };
        for cloud in Cloud::ALL {
            // The order's instance; one of another order; one with the key but not the value; one untagged.
            let tags = [
                vec![tag("team", "x", cloud), tag(ORDER_TAG_KEY, order_id, cloud)],
                vec![tag(ORDER_TAG_KEY, "ord-00000000000000a2", cloud)],
                vec![tag("ord-00000000000000a1", ORDER_TAG_KEY, cloud)],
                vec![],
            ];
            let rows: Vec<serde_json::Value> = tags
                .iter()
                .enumerate()
                .map(|(index, tags)| match cloud {
                    Cloud::Alibaba => serde_json::json!({ "InstanceId": format!("i-{index}"), "Status": "Running",
                                                          "Tags": { "Tag": tags } }),
                    Cloud::Tencent => serde_json::json!({ "InstanceId": format!("i-{index}"),
                                                          "InstanceState": "RUNNING", "Tags": tags }),
                    Cloud::Baidu => {
                        serde_json::json!({ "id": format!("i-{index}"), "status": "Running", "tags": tags })
                    }
                })
                .collect();
            let body = match cloud {
                Cloud::Alibaba => serde_json::json!({ "RequestId": "r", "Instances": { "Instance": rows } }),
                Cloud::Tencent => {
                    serde_json::json!({ "Response": { "TotalCount": 4, "InstanceSet": rows, "RequestId": "r" } })
                }
                Cloud::Baidu => serde_json::json!({ "isTruncated": false, "instances": rows }),
            };
            let page = crate::clouds::wire(cloud)
                .read_order_list(None, body.to_string().as_bytes(), order_id)
                .unwrap();
            let ids: Vec<&str> = page.instances.iter().map(|report| report.id.as_str()).collect();
            assert_eq!((ids, page.left_out, page.next), (vec!["i-0"], 3, None), "{cloud}");
            let request = crate::clouds::wire(cloud).order_list_request("cn-hangzhou", order_id, None);
            let text = format!("{:?}{}", request.query, request.body_text());
            match cloud {
                Cloud::Baidu => assert_eq!(request.query, [("maxKeys".to_owned(), "100".to_owned())]),
                _ => assert!(
                    text.contains(ORDER_TAG_KEY) && text.contains(order_id),
                    "{cloud}: {text}"
                ),
            }
        }
    }

    #[test]
    fn a_page_without_its_list_or_short_of_its_total_is_never_read_as_none() {
        let broken: [(Cloud, serde_json::Value); 6] = [
            (Cloud::Alibaba, serde_json::json!({})),
            (
                Cloud::Alibaba,
                serde_json::json!({ "RequestId": "r", "message": "bad gateway" }),
            ),
            (Cloud::Tencent, serde_json::json!({ "Response": { "RequestId": "r" } })),
            (
                Cloud::Tencent,
                serde_json::json!({ "Response": { "InstanceSet": [], "TotalCount": 5, "RequestId": "r" } }),
            ),
            (Cloud::Baidu, serde_json::json!({ "message": "bad gateway" })),
            (
                Cloud::Baidu,
                serde_json::json!({ "isTruncated": true, "instances": [] }),
            ),
        ];
        for (cloud, body) in broken {
            let wire = crate::clouds::wire(cloud);
            let read = wire.read_order_list(None, body.to_string().as_bytes(), "ord-00000000000000a1");
            assert!(read.is_err(), "{cloud}: {body} was read as {read:?}");
            assert!(
                wire.read_spot_list(None, body.to_string().as_bytes()).is_err(),
                "{cloud}: {body}"
            );
        }
    }
}
