//! Alibaba snippets, rendered from the built `RunInstances` request: the aliyun CLI command (every query
//! parameter as a flag), Python with the Tea SDK's typed models, and Terraform's `alicloud_instance`. The two
//! tables below are the one mapping from request parameters to SDK arguments and Terraform attributes.

use crate::order::format::PASSWORD_ENV;
use crate::order::format::literal::{hcl_str, python_str, shell};
use crate::order::format::mapping::{
    Field, PASSWORD_VARIABLE, python_args, python_call_args, terraform_block, terraform_gap, unflatten_query, unmapped,
};
use crate::order::request::HttpRequest;

/// The aliyun CLI command: `aliyun ecs RunInstances --Name value …` (or the request's other action).
pub(super) fn aliyun(request: &HttpRequest) -> String {
    let mut lines = vec![format!("aliyun ecs {}", request.action)];
    let mut password = false;
    for (name, value) in &request.query {
        if name == "Password" {
            password = true;
            lines.push(format!("--Password \"${PASSWORD_ENV}\""));
        } else {
            lines.push(format!("--{name} {}", shell(value)));
        }
    }
    let header = if password {
        format!("# export {PASSWORD_ENV}=<password> first\n")
    } else {
        String::new()
    };
    format!("{header}{}\n", lines.join(" \\\n  "))
}

/// `RunInstancesRequest` arguments (alibabacloud-ecs20140526 7.11.8), in the order of the request.
const PYTHON: [Field; 27] = [
    Field::Text {
        name: "region_id",
        at: "/RegionId",
    },
    Field::Text {
        name: "zone_id",
        at: "/ZoneId",
    },
    Field::Text {
        name: "instance_type",
        at: "/InstanceType",
    },
    Field::Text {
        name: "image_id",
        at: "/ImageId",
    },
    Field::Text {
        name: "instance_charge_type",
        at: "/InstanceChargeType",
    },
    Field::Text {
        name: "spot_strategy",
        at: "/SpotStrategy",
    },
    Field::Bare {
        name: "spot_price_limit",
        at: "/SpotPriceLimit",
    },
    Field::Bare {
        name: "spot_duration",
        at: "/SpotDuration",
    },
    Field::Text {
        name: "spot_interruption_behavior",
        at: "/SpotInterruptionBehavior",
    },
    Field::Bare {
        name: "amount",
        at: "/Amount",
    },
    Field::Bare {
        name: "min_amount",
        at: "/MinAmount",
    },
    Field::Text {
        name: "v_switch_id",
        at: "/VSwitchId",
    },
    Field::Text {
        name: "security_group_id",
        at: "/SecurityGroupId",
    },
    Field::List {
        name: "security_group_ids",
        at: "/SecurityGroupIds",
    },
    Field::Bare {
        name: "internet_max_bandwidth_out",
        at: "/InternetMaxBandwidthOut",
    },
    Field::Text {
        name: "internet_charge_type",
        at: "/InternetChargeType",
    },
    // The SDK models the system disk size as a string, the data disk size as a number.
    Field::Object {
        name: "system_disk",
        at: "/SystemDisk",
        class: "RunInstancesRequestSystemDisk",
        fields: &[("category", "Category", false), ("size", "Size", false)],
    },
    Field::Objects {
        name: "data_disk",
        at: "/DataDisk",
        class: "RunInstancesRequestDataDisk",
        fields: &[("category", "Category", false), ("size", "Size", true)],
    },
    Field::Text {
        name: "key_pair_name",
        at: "/KeyPairName",
    },
    Field::Password {
        name: "password",
        at: "/Password",
    },
    Field::Text {
        name: "instance_name",
        at: "/InstanceName",
    },
    Field::Text {
        name: "host_name",
        at: "/HostName",
    },
    Field::Objects {
        name: "tag",
        at: "/Tag",
        class: "RunInstancesRequestTag",
        fields: &[("key", "Key", false), ("value", "Value", false)],
    },
    Field::Text {
        name: "user_data",
        at: "/UserData",
    },
    Field::Flag {
        name: "deletion_protection",
        at: "/DeletionProtection",
        literal: "True",
    },
    Field::Text {
        name: "auto_release_time",
        at: "/AutoReleaseTime",
    },
    Field::Flag {
        name: "dry_run",
        at: "/DryRun",
        literal: "True",
    },
];

/// Python with alibabacloud_ecs20140526's `RunInstancesRequest`.
pub(super) fn python(request: &HttpRequest) -> String {
    let json = unflatten_query(&request.query);
    let mut args = python_args(&json, &PYTHON, "ecs_models");
    if let Some(token) = request.query_value("ClientToken") {
        args.push(("client_token".into(), python_str(token)));
    }
    python_program(request, "RunInstancesRequest", "run_instances", &args)
}

/// A Python program that calls one ECS action with the Tea SDK: the client from the environment's credentials in
/// the request's region, `ecs_models.<model>(args)`, `client.<method>(request)`.
pub(super) fn python_program(request: &HttpRequest, model: &str, method: &str, args: &[(String, String)]) -> String {
    format!(
        "# pip install alibabacloud_ecs20140526\n\
         import os\n\n\
         from alibabacloud_ecs20140526 import models as ecs_models\n\
         from alibabacloud_ecs20140526.client import Client\n\
         from alibabacloud_tea_openapi import utils_models as open_api_models\n\n\
         config = open_api_models.Config(\n    \
             access_key_id=os.environ[\"ALIBABA_CLOUD_ACCESS_KEY_ID\"],\n    \
             access_key_secret=os.environ[\"ALIBABA_CLOUD_ACCESS_KEY_SECRET\"],\n    \
             region_id={region},\n\
         )\n\
         client = Client(config)\n\
         request = ecs_models.{model}(\n{args}\n)\n\
         response = client.{method}(request)\n\
         print(response.body.to_map())\n",
        region = python_str(request.query_value("RegionId").unwrap_or_default()),
        args = python_call_args(args),
    )
}

/// `alicloud_instance` attributes, in the order the snippet writes them.
const TERRAFORM: [Field; 25] = [
    Field::Bare {
        name: "count",
        at: "/Amount",
    },
    Field::Text {
        name: "availability_zone",
        at: "/ZoneId",
    },
    Field::Text {
        name: "instance_type",
        at: "/InstanceType",
    },
    Field::Text {
        name: "image_id",
        at: "/ImageId",
    },
    Field::Text {
        name: "instance_charge_type",
        at: "/InstanceChargeType",
    },
    Field::Text {
        name: "spot_strategy",
        at: "/SpotStrategy",
    },
    Field::Bare {
        name: "spot_price_limit",
        at: "/SpotPriceLimit",
    },
    Field::Bare {
        name: "spot_duration",
        at: "/SpotDuration",
    },
    Field::Text {
        name: "vswitch_id",
        at: "/VSwitchId",
    },
    Field::List {
        name: "security_groups",
        at: "/SecurityGroupId",
    },
    Field::List {
        name: "security_groups",
        at: "/SecurityGroupIds",
    },
    Field::Bare {
        name: "internet_max_bandwidth_out",
        at: "/InternetMaxBandwidthOut",
    },
    Field::Text {
        name: "internet_charge_type",
        at: "/InternetChargeType",
    },
    Field::Text {
        name: "system_disk_category",
        at: "/SystemDisk/Category",
    },
    Field::Bare {
        name: "system_disk_size",
        at: "/SystemDisk/Size",
    },
    Field::Objects {
        name: "data_disks",
        at: "/DataDisk",
        class: "",
        fields: &[("category", "Category", false), ("size", "Size", true)],
    },
    Field::Text {
        name: "key_name",
        at: "/KeyPairName",
    },
    Field::Password {
        name: "password",
        at: "/Password",
    },
    Field::Text {
        name: "instance_name",
        at: "/InstanceName",
    },
    Field::Text {
        name: "host_name",
        at: "/HostName",
    },
    Field::Map {
        name: "tags",
        at: "/Tag",
        key: "Key",
        value: "Value",
    },
    Field::Text {
        name: "user_data",
        at: "/UserData",
    },
    Field::Flag {
        name: "deletion_protection",
        at: "/DeletionProtection",
        literal: "true",
    },
    Field::Text {
        name: "auto_release_time",
        at: "/AutoReleaseTime",
    },
    Field::Flag {
        name: "dry_run",
        at: "/DryRun",
        literal: "true",
    },
];

/// Terraform's `alicloud_instance` with the request's spot settings.
pub(super) fn terraform(request: &HttpRequest) -> String {
    let json = unflatten_query(&request.query);
    let mut text = format!(
        "provider \"alicloud\" {{\n  region = {}\n}}\n\n",
        hcl_str(request.query_value("RegionId").unwrap_or_default())
    );
    if request.query_value("Password").is_some() {
        text.push_str(PASSWORD_VARIABLE);
    }
    // ClientToken: Terraform's state, not a token, keeps a re-applied plan from creating the instances twice.
    text.push_str(&terraform_gap(
        "alicloud_instance",
        &unmapped(&json, &TERRAFORM, &["RegionId"]),
    ));
    text.push_str(&terraform_block(
        &json,
        "resource \"alicloud_instance\" \"spot\"",
        &TERRAFORM,
    ));
    text
}
