//! The three clouds Spotplan plans for, with their display names in English and Chinese.

use serde::{Deserialize, Serialize};

/// One of the three clouds whose spot instances Spotplan plans and places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Cloud {
    /// Alibaba Cloud Elastic Compute Service (preemptible instances).
    Alibaba,
    /// Tencent Cloud Cloud Virtual Machine (spot instances, `SPOTPAID`).
    Tencent,
    /// Baidu AI Cloud Baidu Cloud Compute (spot instances, `/v2/instance/bid`).
    Baidu,
}

impl Cloud {
    /// Every cloud, in the order Spotplan shows them.
    pub const ALL: [Cloud; 3] = [Cloud::Alibaba, Cloud::Tencent, Cloud::Baidu];

    /// The stable identifier used in URLs, JSON and CLI flags.
    pub fn id(self) -> &'static str {
        match self {
            Cloud::Alibaba => "alibaba",
            Cloud::Tencent => "tencent",
            Cloud::Baidu => "baidu",
        }
    }

    /// The cloud and its compute product, as the vendor names them in English.
    pub fn display_name(self) -> &'static str {
        match self {
            Cloud::Alibaba => "Alibaba Cloud ECS",
            Cloud::Tencent => "Tencent Cloud CVM",
            Cloud::Baidu => "Baidu AI Cloud BCC",
        }
    }

    /// The cloud and its compute product, as the vendor names them in Chinese.
    pub fn display_name_zh(self) -> &'static str {
        match self {
            Cloud::Alibaba => "阿里云 ECS",
            Cloud::Tencent => "腾讯云 CVM",
            Cloud::Baidu => "百度智能云 BCC",
        }
    }

    /// What the vendor calls a spot instance, in English.
    pub fn spot_term(self) -> &'static str {
        match self {
            Cloud::Alibaba => "preemptible instance",
            Cloud::Tencent | Cloud::Baidu => "spot instance",
        }
    }

    /// Parses [`Cloud::id`] back into a cloud.
    pub fn from_id(id: &str) -> Option<Cloud> {
        Cloud::ALL.into_iter().find(|cloud| cloud.id() == id)
    }
}

impl std::fmt::Display for Cloud {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.display_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn ids_round_trip_for_every_cloud() {
        for cloud in Cloud::ALL {
            assert_eq!(Cloud::from_id(cloud.id()), Some(cloud));
        }
        assert_eq!(Cloud::from_id("aws"), None);
    }

    #[test]
    fn serde_uses_the_stable_ids() {
        let json = serde_json::to_string(&Cloud::ALL).unwrap();
        assert_eq!(json, r#"["alibaba","tencent","baidu"]"#);
    }

    #[test]
    fn display_names_name_the_product() {
        assert_eq!(Cloud::Baidu.to_string(), "Baidu AI Cloud BCC");
        assert_eq!(Cloud::Tencent.display_name_zh(), "腾讯云 CVM");
    }
}
