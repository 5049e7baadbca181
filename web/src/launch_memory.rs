//! Launch details remembered per cloud and region in the browser's storage — image, network, security group, key
//! pair, disks, name, host name, tags, user data; never the password — so a reload, or another offer in the same
//! region, starts with what the person typed last time.

use crate::state::OrderField;
use spotplan_core::Cloud;

/// The fields remembered (the zone comes from the offer; the password is never stored).
const REMEMBERED: [OrderField; 11] = [
    OrderField::Image,
    OrderField::Vpc,
    OrderField::Subnet,
    OrderField::SecurityGroup,
    OrderField::SystemDiskGb,
    OrderField::KeyPair,
    OrderField::Name,
    OrderField::Hostname,
    OrderField::Tags,
    OrderField::UserData,
    OrderField::DataDisksGb,
];

fn id(field: OrderField) -> Option<&'static str> {
    Some(match field {
        OrderField::Image => "image",
        OrderField::Vpc => "vpc",
        OrderField::Subnet => "subnet",
        OrderField::SecurityGroup => "security_group",
        OrderField::SystemDiskGb => "system_disk_gb",
        OrderField::KeyPair => "key_pair",
        OrderField::Name => "name",
        OrderField::Hostname => "hostname",
        OrderField::Tags => "tags",
        OrderField::UserData => "user_data",
        OrderField::DataDisksGb => "data_disks_gb",
        // The card belongs to the spec, not to the account and region.
        OrderField::Password | OrderField::Zone | OrderField::IsomerismCard => return None,
    })
}

fn storage_key(cloud: Cloud, region: &str) -> String {
    format!("spotplan-launch:{}:{region}", cloud.id())
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|window| window.local_storage().ok().flatten())
}

fn read(cloud: Cloud, region: &str) -> serde_json::Map<String, serde_json::Value> {
    storage()
        .and_then(|storage| storage.get_item(&storage_key(cloud, region)).ok().flatten())
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

/// Remembers one typed field (an empty value forgets it). The password and zone are never stored.
pub fn remember(cloud: Cloud, region: &str, field: OrderField, value: &str) {
    let Some(id) = id(field) else { return };
    let mut saved = read(cloud, region);
    if value.trim().is_empty() {
        saved.remove(id);
    } else {
        saved.insert(id.to_owned(), serde_json::Value::String(value.to_owned()));
    }
    if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(&saved)) {
        let _ = storage.set_item(&storage_key(cloud, region), &text);
    }
}

/// The remembered fields for a cloud and region.
pub fn recall(cloud: Cloud, region: &str) -> Vec<(OrderField, String)> {
    let saved = read(cloud, region);
    REMEMBERED
        .into_iter()
        .filter_map(|field| {
            let value = saved.get(id(field)?)?.as_str()?;
            Some((field, value.to_owned()))
        })
        .collect()
}
