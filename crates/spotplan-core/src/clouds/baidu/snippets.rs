//! Baidu snippets, rendered from the built `/v2/instance/bid` request: Python with bce-python-sdk's
//! `create_instance_of_bid` (the table below maps the body to its arguments); Baidu's CLI has no spot command
//! and its Terraform provider no spot resource, which the other two formats say instead of inventing one.

use serde_json::Value;

use crate::order::format::literal::python_str;
use crate::order::format::mapping::{Field, python_args, python_call_args};
use crate::order::request::HttpRequest;

/// `create_instance_of_bid` arguments (bce-python-sdk 0.9.79), in the order the snippet writes them, and where
/// each sits in the body.
const PYTHON: [Field; 25] = [
    Field::Bare {
        name: "cpu_count",
        at: "/cpuCount",
    },
    Field::Bare {
        name: "memory_capacity_in_gb",
        at: "/memoryCapacityInGB",
    },
    Field::Text {
        name: "image_id",
        at: "/imageId",
    },
    Field::Text {
        name: "instance_type",
        at: "/instanceType",
    },
    Field::Text {
        name: "spec",
        at: "/spec",
    },
    Field::Text {
        name: "isomerism_card",
        at: "/isomerismCard",
    },
    Field::Text {
        name: "bid_model",
        at: "/bidModel",
    },
    Field::Text {
        name: "bid_price",
        at: "/bidPrice",
    },
    Field::Bare {
        name: "purchase_count",
        at: "/purchaseCount",
    },
    Field::Bare {
        name: "root_disk_size_in_gb",
        at: "/rootDiskSizeInGb",
    },
    Field::Text {
        name: "root_disk_storage_type",
        at: "/rootDiskStorageType",
    },
    Field::Objects {
        name: "create_cds_list",
        at: "/createCdsList",
        class: "CreateCdsModel",
        fields: &[
            ("cdsSizeInGB", "cdsSizeInGB", true),
            ("storageType", "storageType", false),
        ],
    },
    Field::Bare {
        name: "network_capacity_in_mbps",
        at: "/networkCapacityInMbps",
    },
    Field::Text {
        name: "internet_charge_type",
        at: "/internetChargeType",
    },
    Field::Text {
        name: "name",
        at: "/name",
    },
    Field::Text {
        name: "hostname",
        at: "/hostname",
    },
    Field::Password {
        name: "admin_pass",
        at: "/adminPass",
    },
    Field::Text {
        name: "zone_name",
        at: "/zoneName",
    },
    Field::Text {
        name: "subnet_id",
        at: "/subnetId",
    },
    Field::Text {
        name: "security_group_id",
        at: "/securityGroupId",
    },
    Field::List {
        name: "security_group_ids",
        at: "/securityGroupIds",
    },
    Field::Text {
        name: "key_pair_id",
        at: "/keypairId",
    },
    Field::Objects {
        name: "tags",
        at: "/tags",
        class: "TagModel",
        fields: &[("tagKey", "tagKey", false), ("tagValue", "tagValue", false)],
    },
    Field::Text {
        name: "user_data",
        at: "/userData",
    },
    Field::Bare {
        name: "deletion_protection",
        at: "/deletionProtection",
    },
];

/// Python with bce-python-sdk's `BccClient.create_instance_of_bid`.
pub(super) fn python(request: &HttpRequest) -> String {
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let mut args = python_args(&body, &PYTHON, "bcc_model");
    if let Some(token) = request.query_value("clientToken") {
        args.push(("client_token".into(), python_str(token)));
    }
    format!(
        "# pip install bce-python-sdk\n\
         import os\n\n\
         from baidubce.auth.bce_credentials import BceCredentials\n\
         from baidubce.bce_client_configuration import BceClientConfiguration\n\
         from baidubce.services.bcc import bcc_client, bcc_model\n\n\
         config = BceClientConfiguration(\n    \
             credentials=BceCredentials(os.environ[\"BCE_ACCESS_KEY_ID\"], os.environ[\"BCE_SECRET_ACCESS_KEY\"]),\n    \
             endpoint={endpoint},\n\
         )\n\
         client = bcc_client.BccClient(config)\n\
         # bid_price is in CNY per minute; the SDK encrypts admin_pass with your secret key.\n\
         response = client.create_instance_of_bid(\n{args}\n)\n\
         print(response)\n",
        endpoint = python_str(&format!("https://{}", request.host)),
        args = python_call_args(&args),
    )
}

/// Baidu's CLI has no command for spot (bid) instances: the Python SDK code instead.
pub(super) fn cli(request: &HttpRequest) -> String {
    format!(
        "# Baidu's bce CLI has no command for spot (bid) instances; this is the official Python SDK\n\
         # (pip install bce-python-sdk) doing the same call:\n{}",
        python(request)
    )
}

/// Baidu's Terraform provider has no spot resource: say so.
pub(super) fn terraform(_request: &HttpRequest) -> String {
    "# The Baidu Cloud Terraform provider (baidubce/baiducloud) has no spot (bid) instance support:\n\
     # its baiducloud_instance resource creates prepaid or postpaid instances only. Use the\n\
     # curl, Python SDK or raw HTTP formats to place this order.\n"
        .to_owned()
}
