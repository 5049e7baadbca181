//! Alibaba's own fleet: the `CreateAutoProvisioningGroup` request (ECS 2014-05-26) for an Alibaba-only fleet plan
//! in one region, and its snippets (aliyun CLI, Python with the Tea SDK's models, Terraform's
//! `alicloud_auto_provisioning_group` with an `alicloud_ecs_launch_template`).
//!
//! Facts (alibabacloud-ecs20140526 7.11.8, `_create_auto_provisioning_group_request.py`): `TotalTargetCapacity`
//! is required; `LaunchTemplateConfig.N` (N 1–20) takes `InstanceType`, `VSwitchId` (required, sets the zone),
//! `MaxPrice` (required once any template config is given), `WeightedCapacity` (> 0) and `Priority` (0 highest);
//! `SpotAllocationStrategy` is `lowest-price`, `diversified` or `capacity-optimized`;
//! `SpotInstancePoolsToUseCount` acts for `lowest-price` only and must be below the number of template configs;
//! `SpotInstanceInterruptionBehavior` is lower case; `LaunchConfiguration.*` stands in for a launch template.
//! The request carries no password: the group's instances log in with the launch's key pair.

use crate::clouds::Cloud;
use crate::fleet::orders::FleetOrder;
use crate::fleet::{FleetPlan, FleetRequest, Strategy};
use crate::order::format::literal::hcl_str;
use crate::order::format::mapping::{Field, python_args, terraform_block, unflatten_query};
use crate::order::format::{Format, Snippet};
use crate::order::request::HttpRequest;

use super::order::{ALIBABA_API_VERSION, alibaba_host};

/// The most template configs one group takes.
pub const MAX_TEMPLATE_CONFIGS: usize = 20;

/// Why a fleet has no `CreateAutoProvisioningGroup` request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AutoProvisioningError {
    /// A pool of another cloud.
    #[error("the fleet uses {0} pools: CreateAutoProvisioningGroup is Alibaba's, for Alibaba-only fleets")]
    NotAlibabaOnly(&'static str),
    /// Pools in several regions.
    #[error("the fleet spans regions {0}: an auto provisioning group lives in one region")]
    SeveralRegions(String),
    /// No price cap: `MaxPrice` is required.
    #[error(
        "price_cap_per_unit: LaunchTemplateConfig.N.MaxPrice is required once template configs are given (SDK 7.11.8 docstring); set a price cap"
    )]
    NoMaxPrice,
    /// Nothing planned.
    #[error("the plan has no pools")]
    Empty,
}

fn template_fields(order: &FleetOrder, index: usize, priority: usize, query: &mut Vec<(String, String)>) {
    let prefix = format!("LaunchTemplateConfig.{}", index + 1);
    let mut put = |name: &str, value: String| query.push((format!("{prefix}.{name}"), value));
    put("InstanceType", order.order.instance_type.clone().unwrap_or_default());
    put(
        "VSwitchId",
        order.order.network.subnet_id.clone().unwrap_or_else(|| {
            format!(
                "<VSwitchId:{}>",
                order.pool.zone.as_deref().unwrap_or(&order.pool.region)
            )
        }),
    );
    if let Some(price) = order.order.bid.max_price {
        put("MaxPrice", super::order::python_float(price.amount()));
    }
    put("WeightedCapacity", format!("{}.0", order.weight));
    put("Priority", priority.to_string());
}

/// The request for `orders` (the plan's chosen pools first, then standby ones, at most 20), or why there is none.
pub fn auto_provisioning_group(
    plan: &FleetPlan,
    request: &FleetRequest,
    orders: &[FleetOrder],
    fx: &crate::fx::ExchangeRate,
    maintain: bool,
    client_token: &str,
) -> Result<HttpRequest, AutoProvisioningError> {
    let first = orders.first().ok_or(AutoProvisioningError::Empty)?;
    if let Some(other) = orders.iter().find(|o| o.pool.cloud != Cloud::Alibaba) {
        return Err(AutoProvisioningError::NotAlibabaOnly(other.pool.cloud.id()));
    }
    let mut regions: Vec<&str> = orders.iter().map(|o| o.pool.region.as_str()).collect();
    regions.sort_unstable();
    regions.dedup();
    if regions.len() > 1 {
        return Err(AutoProvisioningError::SeveralRegions(regions.join(", ")));
    }
    if orders.iter().any(|o| o.order.bid.max_price.is_none()) {
        return Err(AutoProvisioningError::NoMaxPrice);
    }
    let used: Vec<&FleetOrder> = orders.iter().take(MAX_TEMPLATE_CONFIGS).collect();
    let chosen = used.iter().filter(|o| !o.standby).count();
    let launch = &first.order;
    let mut query: Vec<(String, String)> = Vec::new();
    let mut put = |name: &str, value: String| query.push((name.to_owned(), value));
    put("RegionId", first.pool.region.clone());
    put(
        "AutoProvisioningGroupType",
        if maintain { "maintain" } else { "instant" }.into(),
    );
    let base: u64 = plan
        .allocations
        .iter()
        .filter(|allocation| allocation.on_demand)
        .map(|allocation| u64::from(allocation.count) * u64::from(allocation.weight))
        .sum::<u64>()
        .min(plan.target);
    put("TotalTargetCapacity", plan.target.to_string());
    put("SpotTargetCapacity", (plan.target - base).to_string());
    put("PayAsYouGoTargetCapacity", base.to_string());
    put("DefaultTargetCapacityType", "Spot".into());
    if base > 0 {
        put("PayAsYouGoAllocationStrategy", "lowest-price".into());
    }
    match request.strategy {
        Strategy::Diversified { .. } => put("SpotAllocationStrategy", "diversified".into()),
        Strategy::LowestPrice { .. } | Strategy::PriceAndRisk { .. } => {
            put("SpotAllocationStrategy", "lowest-price".into());
            if chosen < used.len() {
                put("SpotInstancePoolsToUseCount", chosen.to_string());
            }
        }
    }
    put("SpotInstanceInterruptionBehavior", "terminate".into());
    put("TerminateInstances", "True".into());
    // A launch id not given yet stays a placeholder named by the parameter, as in the single-order snippets.
    let image = launch.image_id.trim();
    put(
        "LaunchConfiguration.ImageId",
        if image.is_empty() {
            "<ImageId>".into()
        } else {
            image.to_owned()
        },
    );
    put(
        "LaunchConfiguration.SecurityGroupId",
        launch
            .network
            .security_group_ids
            .first()
            .cloned()
            .unwrap_or_else(|| "<SecurityGroupId>".into()),
    );
    if let Some(key_pair) = &launch.login.key_pair {
        put("LaunchConfiguration.KeyPairName", key_pair.clone());
    }
    if let Some(disk) = &launch.system_disk {
        if let Some(category) = &disk.category {
            put("LaunchConfiguration.SystemDiskCategory", category.clone());
        }
        if let Some(size) = disk.size_gb {
            put("LaunchConfiguration.SystemDiskSize", size.to_string());
        }
    }
    if let Some(name) = &launch.name {
        put("LaunchConfiguration.InstanceName", name.clone());
    }
    if let Some(bandwidth) = launch.network.bandwidth_mbps {
        put("LaunchConfiguration.InternetMaxBandwidthOut", bandwidth.to_string());
    }
    for (index, order) in used.iter().enumerate() {
        template_fields(order, index, index, &mut query);
    }
    // The on-demand base's pool, when no spot template has its type and zone: a template whose MaxPrice is its
    // pay-as-you-go price (MaxPrice is required once templates are given), in a vSwitch of its zone.
    for allocation in plan.allocations.iter().filter(|allocation| allocation.on_demand) {
        let index = used.len();
        if index >= MAX_TEMPLATE_CONFIGS
            || used.iter().any(|o| {
                o.pool.zone == allocation.key.zone
                    && o.order.instance_type.as_deref() == Some(&allocation.key.instance_type)
            })
        {
            continue;
        }
        let vswitch = used
            .iter()
            .find(|o| o.pool.zone == allocation.key.zone)
            .and_then(|o| o.order.network.subnet_id.clone())
            .unwrap_or_else(|| {
                format!(
                    "<VSwitchId:{}>",
                    allocation.key.zone.as_deref().unwrap_or(&allocation.key.region)
                )
            });
        let prefix = format!("LaunchTemplateConfig.{}", index + 1);
        query.push((format!("{prefix}.InstanceType"), allocation.key.instance_type.clone()));
        query.push((format!("{prefix}.VSwitchId"), vswitch));
        // The plan's prices are in the display currency (converted at `fx`); a MaxPrice is in the account's, at
        // Alibaba's bid precision, rounded up so the cap never falls below the pay-as-you-go price.
        let cap = crate::order::native_bid::native_bid(
            crate::money::PriceRate::new(allocation.hourly, crate::money::TimeUnit::Hour),
            Cloud::Alibaba,
            first.order.account_currency,
            fx,
        )
        .map_err(|_| AutoProvisioningError::NoMaxPrice)?;
        query.push((
            format!("{prefix}.MaxPrice"),
            super::order::python_float(cap.price.amount()),
        ));
        query.push((format!("{prefix}.WeightedCapacity"), format!("{}.0", allocation.weight)));
        query.push((format!("{prefix}.Priority"), index.to_string()));
    }
    query.push(("ClientToken".into(), client_token.to_owned()));
    Ok(HttpRequest {
        method: "POST".into(),
        scheme: "https".into(),
        host: alibaba_host(&first.pool.region),
        path: "/".into(),
        query,
        headers: vec![
            ("x-acs-action".into(), "CreateAutoProvisioningGroup".into()),
            ("x-acs-version".into(), ALIBABA_API_VERSION.into()),
        ],
        body: Vec::new(),
        action: "CreateAutoProvisioningGroup".into(),
    })
}

/// `CreateAutoProvisioningGroupRequest` arguments (alibabacloud-ecs20140526 7.11.8).
const PYTHON: [Field; 14] = [
    Field::Text {
        name: "region_id",
        at: "/RegionId",
    },
    Field::Text {
        name: "auto_provisioning_group_type",
        at: "/AutoProvisioningGroupType",
    },
    Field::Text {
        name: "total_target_capacity",
        at: "/TotalTargetCapacity",
    },
    Field::Text {
        name: "spot_target_capacity",
        at: "/SpotTargetCapacity",
    },
    Field::Text {
        name: "pay_as_you_go_target_capacity",
        at: "/PayAsYouGoTargetCapacity",
    },
    Field::Text {
        name: "default_target_capacity_type",
        at: "/DefaultTargetCapacityType",
    },
    Field::Text {
        name: "pay_as_you_go_allocation_strategy",
        at: "/PayAsYouGoAllocationStrategy",
    },
    Field::Text {
        name: "spot_allocation_strategy",
        at: "/SpotAllocationStrategy",
    },
    Field::Bare {
        name: "spot_instance_pools_to_use_count",
        at: "/SpotInstancePoolsToUseCount",
    },
    Field::Text {
        name: "spot_instance_interruption_behavior",
        at: "/SpotInstanceInterruptionBehavior",
    },
    Field::Flag {
        name: "terminate_instances",
        at: "/TerminateInstances",
        literal: "True",
    },
    Field::Object {
        name: "launch_configuration",
        at: "/LaunchConfiguration",
        class: "CreateAutoProvisioningGroupRequestLaunchConfiguration",
        fields: &[
            ("image_id", "ImageId", false),
            ("security_group_id", "SecurityGroupId", false),
            ("key_pair_name", "KeyPairName", false),
            ("system_disk_category", "SystemDiskCategory", false),
            ("system_disk_size", "SystemDiskSize", true),
            ("instance_name", "InstanceName", false),
            ("internet_max_bandwidth_out", "InternetMaxBandwidthOut", true),
        ],
    },
    Field::Objects {
        name: "launch_template_config",
        at: "/LaunchTemplateConfig",
        class: "CreateAutoProvisioningGroupRequestLaunchTemplateConfig",
        fields: &[
            ("instance_type", "InstanceType", false),
            ("v_switch_id", "VSwitchId", false),
            ("max_price", "MaxPrice", true),
            ("weighted_capacity", "WeightedCapacity", true),
            ("priority", "Priority", true),
        ],
    },
    Field::Text {
        name: "client_token",
        at: "/ClientToken",
    },
];

/// `alicloud_auto_provisioning_group` attributes.
const TERRAFORM: [Field; 9] = [
    Field::Text {
        name: "total_target_capacity",
        at: "/TotalTargetCapacity",
    },
    Field::Text {
        name: "pay_as_you_go_allocation_strategy",
        at: "/PayAsYouGoAllocationStrategy",
    },
    Field::Text {
        name: "spot_target_capacity",
        at: "/SpotTargetCapacity",
    },
    Field::Text {
        name: "pay_as_you_go_target_capacity",
        at: "/PayAsYouGoTargetCapacity",
    },
    Field::Text {
        name: "spot_allocation_strategy",
        at: "/SpotAllocationStrategy",
    },
    Field::Bare {
        name: "spot_instance_pools_to_use_count",
        at: "/SpotInstancePoolsToUseCount",
    },
    Field::Text {
        name: "spot_instance_interruption_behavior",
        at: "/SpotInstanceInterruptionBehavior",
    },
    Field::Flag {
        name: "terminate_instances",
        at: "/TerminateInstances",
        literal: "true",
    },
    Field::Objects {
        name: "launch_template_config",
        at: "/LaunchTemplateConfig",
        class: "",
        fields: &[
            ("instance_type", "InstanceType", false),
            ("vswitch_id", "VSwitchId", false),
            ("max_price", "MaxPrice", false),
            ("weighted_capacity", "WeightedCapacity", false),
            ("priority", "Priority", true),
        ],
    },
];

/// `alicloud_ecs_launch_template` attributes, read from `LaunchConfiguration.*`.
const TERRAFORM_TEMPLATE: [Field; 6] = [
    Field::Text {
        name: "image_id",
        at: "/LaunchConfiguration/ImageId",
    },
    Field::Text {
        name: "security_group_id",
        at: "/LaunchConfiguration/SecurityGroupId",
    },
    Field::Text {
        name: "key_pair_name",
        at: "/LaunchConfiguration/KeyPairName",
    },
    Field::Text {
        name: "system_disk_category",
        at: "/LaunchConfiguration/SystemDiskCategory",
    },
    Field::Bare {
        name: "system_disk_size",
        at: "/LaunchConfiguration/SystemDiskSize",
    },
    Field::Text {
        name: "instance_name",
        at: "/LaunchConfiguration/InstanceName",
    },
];

fn python(request: &HttpRequest) -> String {
    let args = python_args(&unflatten_query(&request.query), &PYTHON, "ecs_models");
    super::snippets::python_program(
        request,
        "CreateAutoProvisioningGroupRequest",
        "create_auto_provisioning_group",
        &args,
    )
}

fn terraform(request: &HttpRequest) -> String {
    let json = unflatten_query(&request.query);
    let mut text = format!(
        "provider \"alicloud\" {{\n  region = {}\n}}\n\n",
        hcl_str(request.query_value("RegionId").unwrap_or_default())
    );
    text.push_str(&terraform_block(
        &json,
        "resource \"alicloud_ecs_launch_template\" \"fleet\"",
        &TERRAFORM_TEMPLATE,
    ));
    text.push('\n');
    let group = terraform_block(
        &json,
        "resource \"alicloud_auto_provisioning_group\" \"fleet\"",
        &TERRAFORM,
    );
    text.push_str(&group.replacen(
        "{\n",
        "{\n  launch_template_id = alicloud_ecs_launch_template.fleet.id\n",
        1,
    ));
    text
}

/// The snippets of a `CreateAutoProvisioningGroup` request: raw HTTP, the aliyun CLI, Python and Terraform.
pub fn auto_provisioning_snippets(request: &HttpRequest) -> Vec<Snippet> {
    let snippet = |format: Format, language: &str, text: String| Snippet {
        format,
        language: language.into(),
        text,
    };
    vec![
        snippet(
            Format::Http,
            "http",
            crate::order::format::http_text(request, Cloud::Alibaba),
        ),
        snippet(Format::Cli, "bash", super::snippets::aliyun(request)),
        snippet(Format::Python, "python", python(request)),
        snippet(Format::Terraform, "hcl", terraform(request)),
    ]
}
