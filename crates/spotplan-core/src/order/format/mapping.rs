//! The engine behind the Python and Terraform snippets: a cloud describes, once, how each part of its built order
//! request becomes an SDK argument or a Terraform attribute ([`Field`], a table in the cloud's `snippets.rs`),
//! and these functions render the request through that table. The request is read as JSON: a JSON body as it is,
//! an RPC query (`DataDisk.1.Size=100`) unflattened first ([`unflatten_query`]).

use std::fmt::Write;

use serde_json::{Map, Value};

use super::PASSWORD_ENV;
use super::literal::{hcl_str, python_str};

/// How one part of a request appears in a snippet. `at` is a JSON pointer into the request (`/Placement/Zone`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Field {
    /// A string.
    Text { name: &'static str, at: &'static str },
    /// A number or boolean, written bare (`10`, `0.2`, `true`).
    Bare { name: &'static str, at: &'static str },
    /// A fixed literal, written when `at` is present (`True`, `true`, `1`).
    Flag {
        name: &'static str,
        at: &'static str,
        literal: &'static str,
    },
    /// A string written upper-case (Terraform's `ONE-TIME` for the API's `one-time`).
    Upper { name: &'static str, at: &'static str },
    /// A list of strings (a lone string counts as a list of one).
    List { name: &'static str, at: &'static str },
    /// A list of objects: SDK models (`class` names the model) or Terraform nested blocks (`name` names the
    /// block), each field `(snippet name, key in the object, bare)`.
    Objects {
        name: &'static str,
        at: &'static str,
        class: &'static str,
        fields: &'static [(&'static str, &'static str, bool)],
    },
    /// One object as an SDK model (the system disk).
    Object {
        name: &'static str,
        at: &'static str,
        class: &'static str,
        fields: &'static [(&'static str, &'static str, bool)],
    },
    /// The instance password: never in the snippet, read from `$SPOTPLAN_INSTANCE_PASSWORD` (Python) or a
    /// sensitive variable (Terraform).
    Password { name: &'static str, at: &'static str },
    /// Key/value objects as a Terraform map (`tags = { "k" = "v" }`).
    Map {
        name: &'static str,
        at: &'static str,
        key: &'static str,
        value: &'static str,
    },
}

impl Field {
    /// Where in the request the field reads.
    fn at(&self) -> &'static str {
        match *self {
            Field::Text { at, .. }
            | Field::Bare { at, .. }
            | Field::Flag { at, .. }
            | Field::Upper { at, .. }
            | Field::List { at, .. }
            | Field::Objects { at, .. }
            | Field::Object { at, .. }
            | Field::Password { at, .. }
            | Field::Map { at, .. } => at,
        }
    }
}

/// The request's top-level parameters that no field of `fields` reads and `elsewhere` does not name (the region
/// goes to the provider block, say): what a snippet would otherwise drop without a word.
pub(crate) fn unmapped(request: &Value, fields: &[Field], elsewhere: &[&str]) -> Vec<String> {
    let read: Vec<&str> = fields
        .iter()
        .filter_map(|field| field.at().trim_start_matches('/').split('/').next())
        .collect();
    request
        .as_object()
        .map(|object| {
            object
                .keys()
                .filter(|key| !read.contains(&key.as_str()) && !elsewhere.contains(&key.as_str()))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// A comment naming what the Terraform resource cannot express, so the snippet says what it leaves out.
pub(crate) fn terraform_gap(resource: &str, left_out: &[String]) -> String {
    if left_out.is_empty() {
        return String::new();
    }
    format!(
        "# Left out of this snippet (no {resource} argument here carries them): {}.\n",
        left_out.join(", ")
    )
}

/// An RPC query as JSON: `Tag.2.Key=a` becomes `{"Tag": [.., {"Key": "a"}]}`, `SystemDisk.Size=40` becomes
/// `{"SystemDisk": {"Size": "40"}}`; every value stays text, as it was sent.
pub(crate) fn unflatten_query(query: &[(String, String)]) -> Value {
    let mut root = Value::Object(Map::new());
    for (name, value) in query {
        let mut node = &mut root;
        let parts: Vec<&str> = name.split('.').collect();
        for (index, part) in parts.iter().enumerate() {
            let last = index + 1 == parts.len();
            let next_is_index = parts.get(index + 1).is_some_and(|next| next.parse::<usize>().is_ok());
            node = match (part.parse::<usize>(), &mut *node) {
                (Ok(position), Value::Array(items)) => {
                    let slot = position.saturating_sub(1);
                    while items.len() <= slot {
                        items.push(Value::Null);
                    }
                    &mut items[slot]
                }
                (_, node) => {
                    if !node.is_object() {
                        *node = Value::Object(Map::new());
                    }
                    let Value::Object(map) = node else { break };
                    map.entry((*part).to_owned()).or_insert(Value::Null)
                }
            };
            if last {
                *node = Value::String(value.clone());
            } else if next_is_index && !node.is_array() {
                *node = Value::Array(Vec::new());
            } else if !next_is_index && !node.is_object() {
                *node = Value::Object(Map::new());
            }
        }
    }
    root
}

/// A scalar as text: strings as they are, numbers and booleans as JSON writes them.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().filter_map(scalar).collect(),
        other => scalar(other).into_iter().collect(),
    }
}

fn objects(value: &Value) -> Vec<&Map<String, Value>> {
    value
        .as_array()
        .map(|items| items.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default()
}

/// Renders the Python keyword arguments of `fields` found in `request`, in the table's order.
pub(crate) fn python_args(request: &Value, fields: &[Field], models: &str) -> Vec<(String, String)> {
    let model_fields = |object: &Map<String, Value>, fields: &[(&str, &str, bool)]| -> Vec<String> {
        fields
            .iter()
            .filter_map(|(name, key, bare)| {
                let value = scalar(object.get(*key)?)?;
                Some(if *bare {
                    format!("{name}={value}")
                } else {
                    format!("{name}={}", python_str(&value))
                })
            })
            .collect()
    };
    let mut args = Vec::new();
    for field in fields {
        let (name, rendered) = match *field {
            Field::Text { name, at } => (name, request.pointer(at).and_then(scalar).map(|v| python_str(&v))),
            Field::Bare { name, at } => (name, request.pointer(at).and_then(scalar)),
            Field::Flag { name, at, literal } => (name, request.pointer(at).map(|_| literal.to_owned())),
            Field::Upper { name, at } => (
                name,
                request
                    .pointer(at)
                    .and_then(scalar)
                    .map(|v| python_str(&v.to_uppercase())),
            ),
            Field::List { name, at } => (
                name,
                request.pointer(at).map(|value| {
                    let items: Vec<String> = strings(value).iter().map(|item| python_str(item)).collect();
                    format!("[{}]", items.join(", "))
                }),
            ),
            Field::Objects {
                name,
                at,
                class,
                fields,
            } => (
                name,
                request.pointer(at).map(|value| {
                    let lines: Vec<String> = objects(value)
                        .into_iter()
                        .map(|object| format!("        {models}.{class}({}),", model_fields(object, fields).join(", ")))
                        .collect();
                    format!("[\n{}\n    ]", lines.join("\n"))
                }),
            ),
            Field::Object {
                name,
                at,
                class,
                fields,
            } => (
                name,
                request
                    .pointer(at)
                    .and_then(Value::as_object)
                    .map(|object| format!("{models}.{class}({})", model_fields(object, fields).join(", "))),
            ),
            Field::Password { name, at } => (
                name,
                request.pointer(at).map(|_| format!("os.environ[\"{PASSWORD_ENV}\"]")),
            ),
            Field::Map { name, .. } => (name, None),
        };
        if let Some(rendered) = rendered {
            args.push((name.to_owned(), rendered));
        }
    }
    args
}

/// Keyword arguments, one per line, as a call's argument list.
pub(crate) fn python_call_args(args: &[(String, String)]) -> String {
    args.iter()
        .map(|(name, value)| format!("    {name}={value},"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The sensitive variable a Terraform snippet reads an instance password from.
pub(crate) const PASSWORD_VARIABLE: &str =
    "variable \"instance_password\" {\n  type      = string\n  sensitive = true\n}\n\n";

/// Renders a Terraform resource block `header { … }` from the `fields` found in `request`, in the table's order.
pub(crate) fn terraform_block(request: &Value, header: &str, fields: &[Field]) -> String {
    fn attr(text: &mut String, name: &str, value: &str) {
        let _ = writeln!(text, "  {name} = {value}");
    }
    let mut text = format!("{header} {{\n");
    for field in fields {
        match *field {
            Field::Text { name, at } => {
                if let Some(value) = request.pointer(at).and_then(scalar) {
                    attr(&mut text, name, &hcl_str(&value));
                }
            }
            Field::Bare { name, at } => {
                if let Some(value) = request.pointer(at).and_then(scalar) {
                    attr(&mut text, name, &value);
                }
            }
            Field::Flag { name, at, literal } => {
                if request.pointer(at).is_some() {
                    attr(&mut text, name, literal);
                }
            }
            Field::Upper { name, at } => {
                if let Some(value) = request.pointer(at).and_then(scalar) {
                    attr(&mut text, name, &hcl_str(&value.to_uppercase()));
                }
            }
            Field::List { name, at } => {
                if let Some(value) = request.pointer(at) {
                    let items: Vec<String> = strings(value).iter().map(|item| hcl_str(item)).collect();
                    attr(&mut text, name, &format!("[{}]", items.join(", ")));
                }
            }
            Field::Objects { name, at, fields, .. } => {
                let width = fields.iter().map(|(field, _, _)| field.len()).max().unwrap_or(0);
                for object in request.pointer(at).map(objects).unwrap_or_default() {
                    let _ = writeln!(text, "  {name} {{");
                    for (field, key, bare) in fields {
                        if let Some(value) = object.get(*key).and_then(scalar) {
                            let value = if *bare { value } else { hcl_str(&value) };
                            let _ = writeln!(text, "    {field:<width$} = {value}");
                        }
                    }
                    text.push_str("  }\n");
                }
            }
            Field::Object { .. } => {}
            Field::Password { name, at } => {
                if request.pointer(at).is_some() {
                    attr(&mut text, name, "var.instance_password");
                }
            }
            Field::Map { name, at, key, value } => {
                let entries: Vec<String> = request
                    .pointer(at)
                    .map(objects)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|object| {
                        let key = object.get(key).and_then(scalar).unwrap_or_default();
                        let value = object.get(value).and_then(scalar).unwrap_or_default();
                        format!("    {} = {}", hcl_str(&key), hcl_str(&value))
                    })
                    .collect();
                if !entries.is_empty() {
                    attr(&mut text, name, &format!("{{\n{}\n  }}", entries.join("\n")));
                }
            }
        }
    }
    text.push_str("}\n");
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn an_rpc_query_unflattens_into_objects_and_lists() {
        let json = unflatten_query(&query(&[
            ("RegionId", "cn-hangzhou"),
            ("SystemDisk.Category", "cloud_essd"),
            ("SystemDisk.Size", "40"),
            ("DataDisk.1.Size", "100"),
            ("DataDisk.2.Category", "cloud_essd"),
            ("DataDisk.2.Size", "200"),
            ("SecurityGroupIds.1", "sg-a"),
            ("SecurityGroupIds.2", "sg-b"),
            ("Tag.1.Key", "k"),
            ("Tag.1.Value", ""),
        ]));
        assert_eq!(
            json,
            serde_json::json!({
                "RegionId": "cn-hangzhou",
                "SystemDisk": {"Category": "cloud_essd", "Size": "40"},
                "DataDisk": [{"Size": "100"}, {"Category": "cloud_essd", "Size": "200"}],
                "SecurityGroupIds": ["sg-a", "sg-b"],
                "Tag": [{"Key": "k", "Value": ""}],
            })
        );
    }
}
