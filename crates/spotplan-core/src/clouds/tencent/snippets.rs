//! Tencent snippets, rendered from the built `RunInstances` request: the tccli command (the JSON body unfolded
//! into dotted flags), Python with tencentcloud-sdk-python (`RunInstancesRequest` from the exact body), and
//! Terraform's `tencentcloud_instance` (the table below maps the body to its attributes).

use serde_json::Value;

use crate::order::format::PASSWORD_ENV;
use crate::order::format::literal::{hcl_str, python_str, python_value, shell};
use crate::order::format::mapping::{Field, PASSWORD_VARIABLE, terraform_block, terraform_gap, unmapped};
use crate::order::request::HttpRequest;

fn body(request: &HttpRequest) -> Value {
    serde_json::from_slice(&request.body).unwrap_or(Value::Null)
}

fn region(request: &HttpRequest) -> &str {
    request.header("x-tc-region").unwrap_or_default()
}

/// `tccli cvm RunInstances --cli-unfold-argument …`.
pub(super) fn tccli(request: &HttpRequest) -> String {
    let mut flags = Vec::new();
    unfold("", &body(request), &mut flags);
    let mut lines = vec![
        "tccli cvm RunInstances --cli-unfold-argument".to_owned(),
        format!("--region {}", shell(region(request))),
    ];
    let mut password = false;
    for (name, values) in flags {
        if name == "LoginSettings.Password" {
            password = true;
            lines.push(format!("--{name} \"${PASSWORD_ENV}\""));
        } else {
            let words: Vec<String> = values.iter().map(|value| shell(value)).collect();
            lines.push(format!("--{name} {}", words.join(" ")));
        }
    }
    let header = if password {
        format!("# export {PASSWORD_ENV}=<password> first\n")
    } else {
        String::new()
    };
    format!("{header}{}\n", lines.join(" \\\n  "))
}

/// tccli's unfolded arguments: nested objects become dotted names, lists of objects get 0-based indexes, lists
/// of plain values become several words after one flag.
fn unfold(prefix: &str, value: &Value, flags: &mut Vec<(String, Vec<String>)>) {
    let name = |key: &str| {
        if prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{prefix}.{key}")
        }
    };
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                unfold(&name(key), item, flags);
            }
        }
        Value::Array(items) if items.iter().all(|item| !item.is_object()) => {
            flags.push((prefix.to_owned(), items.iter().map(scalar).collect()));
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                unfold(&format!("{prefix}.{index}"), item, flags);
            }
        }
        scalar_value => flags.push((prefix.to_owned(), vec![scalar(scalar_value)])),
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Bool(flag) => flag.to_string(),
        other => other.to_string(),
    }
}

/// Python with tencentcloud-sdk-python-cvm: the request body as a dict, deserialised into the SDK's model.
pub(super) fn python(request: &HttpRequest) -> String {
    let mut body = body(request);
    if let Some(password) = body.pointer_mut("/LoginSettings/Password") {
        *password = Value::String("__PASSWORD__".into());
    }
    let literal = python_value(&body, 0).replace("\"__PASSWORD__\"", &format!("os.environ[\"{PASSWORD_ENV}\"]"));
    format!(
        "# pip install tencentcloud-sdk-python-cvm\n\
         import os\n\n\
         from tencentcloud.common import credential\n\
         from tencentcloud.cvm.v20170312 import cvm_client, models\n\n\
         cred = credential.Credential(os.environ[\"TENCENTCLOUD_SECRET_ID\"], os.environ[\"TENCENTCLOUD_SECRET_KEY\"])\n\
         client = cvm_client.CvmClient(cred, {region})\n\
         params = {literal}\n\
         request = models.RunInstancesRequest()\n\
         request._deserialize(params)\n\
         response = client.RunInstances(request)\n\
         print(response.to_json_string())\n",
        region = python_str(region(request)),
    )
}

/// `tencentcloud_instance` attributes, in the order the snippet writes them, and where each sits in the body.
const TERRAFORM: [Field; 23] = [
    Field::Bare {
        name: "count",
        at: "/InstanceCount",
    },
    Field::Text {
        name: "availability_zone",
        at: "/Placement/Zone",
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
    Field::Upper {
        name: "spot_instance_type",
        at: "/InstanceMarketOptions/SpotOptions/SpotInstanceType",
    },
    Field::Text {
        name: "spot_max_price",
        at: "/InstanceMarketOptions/SpotOptions/MaxPrice",
    },
    Field::Text {
        name: "vpc_id",
        at: "/VirtualPrivateCloud/VpcId",
    },
    Field::Text {
        name: "subnet_id",
        at: "/VirtualPrivateCloud/SubnetId",
    },
    Field::List {
        name: "orderly_security_groups",
        at: "/SecurityGroupIds",
    },
    Field::Bare {
        name: "internet_max_bandwidth_out",
        at: "/InternetAccessible/InternetMaxBandwidthOut",
    },
    Field::Bare {
        name: "allocate_public_ip",
        at: "/InternetAccessible/PublicIpAssigned",
    },
    Field::Text {
        name: "internet_charge_type",
        at: "/InternetAccessible/InternetChargeType",
    },
    Field::Text {
        name: "system_disk_type",
        at: "/SystemDisk/DiskType",
    },
    Field::Bare {
        name: "system_disk_size",
        at: "/SystemDisk/DiskSize",
    },
    Field::Objects {
        name: "data_disks",
        at: "/DataDisks",
        class: "",
        fields: &[
            ("data_disk_type", "DiskType", false),
            ("data_disk_size", "DiskSize", true),
        ],
    },
    Field::List {
        name: "key_ids",
        at: "/LoginSettings/KeyIds",
    },
    Field::Password {
        name: "password",
        at: "/LoginSettings/Password",
    },
    Field::Text {
        name: "instance_name",
        at: "/InstanceName",
    },
    Field::Text {
        name: "hostname",
        at: "/HostName",
    },
    Field::Map {
        name: "tags",
        at: "/TagSpecification/0/Tags",
        key: "Key",
        value: "Value",
    },
    Field::Text {
        name: "user_data",
        at: "/UserData",
    },
    Field::Flag {
        name: "disable_api_termination",
        at: "/DisableApiTermination",
        literal: "true",
    },
];

/// Terraform's `tencentcloud_instance` with the request's spot settings.
pub(super) fn terraform(request: &HttpRequest) -> String {
    let body = body(request);
    let mut text = format!(
        "provider \"tencentcloud\" {{\n  region = {}\n}}\n\n",
        hcl_str(region(request))
    );
    if body.pointer("/LoginSettings/Password").is_some() {
        text.push_str(PASSWORD_VARIABLE);
    }
    text.push_str(&terraform_gap(
        "tencentcloud_instance",
        &unmapped(&body, &TERRAFORM, &[]),
    ));
    text.push_str(&terraform_block(
        &body,
        "resource \"tencentcloud_instance\" \"spot\"",
        &TERRAFORM,
    ));
    text
}
