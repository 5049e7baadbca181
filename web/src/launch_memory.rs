//! Launch details remembered per cloud and region in the browser's storage — image and its OS, network, security group, key
//! pair, disks, name, host name, tags, user data; never the password — so a reload, or another offer in the same
//! region, starts with what the person typed last time. A subnet (vSwitch) lives in one zone, so it is remembered
//! per zone: an offer in another zone of the region never starts with a subnet the cloud would refuse there.

use crate::state::OrderField;
use spotplan_core::Cloud;

/// The fields remembered (the zone comes from the offer; the password is never stored).
const REMEMBERED: [OrderField; 12] = [
    OrderField::Image,
    OrderField::Os,
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
        OrderField::Os => "os",
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

/// The key a field is stored under: the subnet's names its zone.
fn stored_id(field: OrderField, zone: Option<&str>) -> Option<String> {
    let id = id(field)?;
    Some(match (field, zone.filter(|zone| !zone.is_empty())) {
        (OrderField::Subnet, Some(zone)) => format!("{id}@{zone}"),
        _ => id.to_owned(),
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

/// Remembers one typed field for an offer in `zone` of `region` (an empty value forgets it). The password and zone
/// are never stored.
pub fn remember(cloud: Cloud, region: &str, zone: Option<&str>, field: OrderField, value: &str) {
    let Some(id) = stored_id(field, zone) else { return };
    let mut saved = read(cloud, region);
    if value.trim().is_empty() {
        saved.remove(&id);
    } else {
        saved.insert(id, serde_json::Value::String(value.to_owned()));
    }
    if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(&saved)) {
        let _ = storage.set_item(&storage_key(cloud, region), &text);
    }
}

/// The remembered fields for an offer in `zone` of a cloud's region.
pub fn recall(cloud: Cloud, region: &str, zone: Option<&str>) -> Vec<(OrderField, String)> {
    let saved = read(cloud, region);
    REMEMBERED
        .into_iter()
        .filter_map(|field| {
            let value = saved.get(&stored_id(field, zone)?)?.as_str()?;
            Some((field, value.to_owned()))
        })
        .collect()
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_subnet_is_remembered_for_its_zone_and_the_rest_for_the_region() {
        let region = "cn-test-launch-memory";
        remember(Cloud::Alibaba, region, Some("cn-test-k"), OrderField::Subnet, "vsw-k");
        remember(Cloud::Alibaba, region, Some("cn-test-k"), OrderField::Image, "img-1");
        let in_k = recall(Cloud::Alibaba, region, Some("cn-test-k"));
        assert!(in_k.contains(&(OrderField::Subnet, "vsw-k".into())));
        assert!(in_k.contains(&(OrderField::Image, "img-1".into())));
        let in_j = recall(Cloud::Alibaba, region, Some("cn-test-j"));
        assert!(
            !in_j.iter().any(|(field, _)| *field == OrderField::Subnet),
            "no subnet of zone k in zone j"
        );
        assert!(
            in_j.contains(&(OrderField::Image, "img-1".into())),
            "the image serves the whole region"
        );
        remember(Cloud::Alibaba, region, Some("cn-test-k"), OrderField::Subnet, "");
        assert!(
            !recall(Cloud::Alibaba, region, Some("cn-test-k"))
                .iter()
                .any(|(field, _)| *field == OrderField::Subnet)
        );
        if let Some(storage) = storage() {
            let _ = storage.remove_item(&storage_key(Cloud::Alibaba, region));
        }
    }
}
