//! A draft's request before every id is known: where the only errors are missing launch ids (image, VPC, subnet,
//! security group — things of the person's account the planner cannot know), the request is built with a
//! placeholder in each (`<ImageId>`, `<VSwitchId>`…, named by the cloud's own parameter), so the person sees and
//! copies the exact shape at once. Placing still waits for the real ids: the order itself is unchanged.

use super::{SpotOrder, ValidOrder, Validation, ValidationContext, validate};
use crate::clouds::{LaunchId, api};

/// A request built with placeholders, and the placeholders it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceheldOrder {
    /// The order with each missing id replaced by its placeholder, valid otherwise.
    pub order: ValidOrder,
    /// The placeholders, as they appear in the request (`<ImageId>`).
    pub placeholders: Vec<String>,
}

/// Where each launch id sits in the order (the problems' field paths).
const FIELDS: [(LaunchId, &str); 4] = [
    (LaunchId::Image, "image_id"),
    (LaunchId::Vpc, "network.vpc_id"),
    (LaunchId::Subnet, "network.subnet_id"),
    (LaunchId::SecurityGroup, "network.security_group_ids"),
];

fn is_empty(order: &SpotOrder, id: LaunchId) -> bool {
    match id {
        LaunchId::Image => order.image_id.trim().is_empty(),
        LaunchId::Vpc => order.network.vpc_id.is_none(),
        LaunchId::Subnet => order.network.subnet_id.is_none(),
        LaunchId::SecurityGroup => order.network.security_group_ids.is_empty(),
    }
}

/// The order's request with placeholders for the missing launch ids its validation names, when those are its only
/// errors; `None` when the order is valid already or has other errors.
pub fn with_placeholders(
    order: &SpotOrder,
    validation: &Validation,
    context: &ValidationContext,
) -> Option<PlaceheldOrder> {
    if validation.valid.is_some() {
        return None;
    }
    let cloud = api(order.cloud);
    let mut filled = order.clone();
    let mut placeholders = Vec::new();
    for (id, field) in FIELDS {
        let named = validation
            .problems
            .iter()
            .any(|p| p.field == field && p.severity == super::Severity::Error);
        if !named || !is_empty(order, id) {
            continue;
        }
        let placeholder = format!("<{}>", cloud.launch_id_parameter(id));
        match id {
            LaunchId::Image => filled.image_id = placeholder.clone(),
            LaunchId::Vpc => filled.network.vpc_id = Some(placeholder.clone()),
            LaunchId::Subnet => filled.network.subnet_id = Some(placeholder.clone()),
            LaunchId::SecurityGroup => filled.network.security_group_ids = vec![placeholder.clone()],
        }
        placeholders.push(placeholder);
    }
    if placeholders.is_empty() {
        return None;
    }
    let order = validate(&filled, context).valid?;
    Some(PlaceheldOrder { order, placeholders })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clouds::Cloud;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn context() -> ValidationContext {
        ValidationContext {
            now: spotplan_time::parse_date("2026-11-23").unwrap_or_default(),
            ..ValidationContext::default()
        }
    }

    #[test]
    fn each_cloud_shows_its_request_with_its_own_placeholder_names() {
        for (cloud, expected) in [
            (Cloud::Alibaba, vec!["<ImageId>", "<VSwitchId>", "<SecurityGroupId>"]),
            // Tencent falls back to the default VPC and subnet: only the image is missing.
            (Cloud::Tencent, vec!["<ImageId>"]),
            (Cloud::Baidu, vec!["<imageId>"]),
        ] {
            let mut order = crate::order::tests::example(cloud);
            order.image_id = String::new();
            order.network.vpc_id = None;
            order.network.subnet_id = None;
            order.network.security_group_ids = Vec::new();
            let validation = validate(&order, &context());
            let held = with_placeholders(&order, &validation, &context());
            let Some(held) = held else {
                panic!("{cloud}: {:#?}", validation.problems);
            };
            assert_eq!(held.placeholders, expected, "{cloud}");
            assert_eq!(held.order.order().image_id, expected[0]);
        }
    }

    #[test]
    fn other_errors_show_no_request_and_a_valid_order_needs_none() {
        let mut order = crate::order::tests::example(Cloud::Alibaba);
        assert!(with_placeholders(&order, &validate(&order, &context()), &context()).is_none());
        order.image_id = String::new();
        order.count = 0;
        assert!(with_placeholders(&order, &validate(&order, &context()), &context()).is_none());
    }
}
