//! The official CLI command: `aliyun ecs RunInstances --Name value …` (RPC parameters as flags),
//! `tccli cvm RunInstances --cli-unfold-argument …` (the JSON body unfolded into dotted flags); Baidu's CLI has
//! no command for spot instances, so the snippet says so and gives the Python SDK code.

use serde_json::Value;

use super::{PASSWORD_ENV, literal::shell, python};
use crate::cloud::Cloud;
use crate::order::ValidOrder;
use crate::order::request::HttpRequest;

pub(super) fn render(order: &ValidOrder, request: &HttpRequest) -> String {
    match order.cloud() {
        Cloud::Alibaba => aliyun(request),
        Cloud::Tencent => tccli(order, request),
        Cloud::Baidu => format!(
            "# Baidu's bce CLI has no command for spot (bid) instances; this is the official Python SDK\n\
             # (pip install bce-python-sdk) doing the same call:\n{}",
            python::render(order, request)
        ),
    }
}

fn aliyun(request: &HttpRequest) -> String {
    let mut lines = vec!["aliyun ecs RunInstances".to_owned()];
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

fn tccli(order: &ValidOrder, request: &HttpRequest) -> String {
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let mut flags = Vec::new();
    unfold("", &body, &mut flags);
    let mut lines = vec![
        "tccli cvm RunInstances --cli-unfold-argument".to_owned(),
        format!("--region {}", shell(&order.order().region)),
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
