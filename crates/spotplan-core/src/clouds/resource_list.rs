//! Reading one page of a cloud's resource list (images, VPCs, subnets, security groups, key pairs) into the
//! shared [`AccountResource`] shape: each cloud folder names where its list is and which of an item's fields hold
//! the id, the name and the rest; this reads them the same way for all.

use serde_json::Value;

use crate::api::resources::{AccountResource, MAX_RESOURCES};
use crate::order::model::OsFamily;

/// Which fields of a listed item hold what (top-level keys of the item).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ItemFields {
    /// The id an order takes.
    pub id: &'static str,
    /// The name.
    pub name: &'static str,
    /// Fields joined, in order, into the detail (OS and architecture, CIDR block…).
    pub detail: &'static [&'static str],
    /// The zone, for subnets.
    pub zone: Option<&'static str>,
    /// The VPC, for subnets and security groups.
    pub vpc: Option<&'static str>,
    /// Whether it is the default (a boolean, or the text `true`).
    pub is_default: Option<&'static str>,
    /// For images: the field naming the operating system's family or platform (`windows`, `Windows`, `CentOS`…).
    pub os: Option<&'static str>,
}

impl ItemFields {
    /// Fields with an id and a name only.
    pub const fn named(id: &'static str, name: &'static str) -> ItemFields {
        ItemFields {
            id,
            name,
            detail: &[],
            zone: None,
            vpc: None,
            is_default: None,
            os: None,
        }
    }
}

fn text(item: &Value, field: &str) -> Option<String> {
    match item.get(field)? {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// The resources of `items`, at most [`MAX_RESOURCES`]; an item without an id is left out.
pub(crate) fn read_items(items: &[Value], fields: &ItemFields) -> Vec<AccountResource> {
    items
        .iter()
        .filter_map(|item| {
            let id = text(item, fields.id)?;
            let detail: Vec<String> = fields.detail.iter().filter_map(|field| text(item, field)).collect();
            Some(AccountResource {
                id,
                name: text(item, fields.name).unwrap_or_default(),
                detail: (!detail.is_empty()).then(|| detail.join(" ")),
                zone: fields.zone.and_then(|field| text(item, field)),
                vpc_id: fields.vpc.and_then(|field| text(item, field)),
                is_default: fields.is_default.is_some_and(|field| match item.get(field) {
                    Some(Value::Bool(flag)) => *flag,
                    Some(Value::String(flag)) => flag.eq_ignore_ascii_case("true"),
                    _ => false,
                }),
                os: fields.os.and_then(|field| text(item, field)).map(|platform| {
                    if platform.to_ascii_lowercase().contains("windows") {
                        OsFamily::Windows
                    } else {
                        OsFamily::Linux
                    }
                }),
            })
        })
        .take(MAX_RESOURCES)
        .collect()
}

/// The array at `path` (dotted keys) below `root`, or an empty one.
pub(crate) fn items_at<'v>(root: &'v Value, path: &str) -> &'v [Value] {
    path.split('.')
        .try_fold(root, |value, key| value.get(key))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn items_are_read_by_their_fields_and_items_without_an_id_are_left_out() {
        let root = json!({ "Outer": { "Inner": [
            { "Id": "vsw-1", "Name": "web", "Cidr": "10.0.0.0/24", "Zone": "z-a", "Vpc": "vpc-1", "IsDefault": true,
              "Platform": "Windows" },
            { "Id": "  ", "Name": "blank id" },
            { "Id": "vsw-2", "Cidr": "10.0.1.0/24", "Ips": 250, "IsDefault": "false", "Platform": "TencentOS" },
            { "Id": "vsw-3" }
        ] } });
        let fields = ItemFields {
            id: "Id",
            name: "Name",
            detail: &["Cidr", "Ips"],
            zone: Some("Zone"),
            vpc: Some("Vpc"),
            is_default: Some("IsDefault"),
            os: Some("Platform"),
        };
        let read = read_items(items_at(&root, "Outer.Inner"), &fields);
        assert_eq!(read.len(), 3);
        let os: Vec<Option<OsFamily>> = read.iter().map(|resource| resource.os).collect();
        assert_eq!(os, [Some(OsFamily::Windows), Some(OsFamily::Linux), None]);
        assert_eq!(read[0].detail.as_deref(), Some("10.0.0.0/24"));
        assert!(read[0].is_default);
        assert_eq!(read[1].name, "");
        assert_eq!(read[1].detail.as_deref(), Some("10.0.1.0/24 250"));
        assert!(!read[1].is_default);
        assert!(items_at(&root, "Outer.Missing").is_empty());
    }
}
