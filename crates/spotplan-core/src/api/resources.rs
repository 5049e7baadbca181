//! `POST /api/v1/resources`: the account's own resources in a region — images (its own and the cloud's public
//! ones), VPCs, subnets (vSwitches on Alibaba), security groups and key pairs — listed through the cloud's own
//! describe calls, so a person picks the ids an order needs instead of knowing them by heart. Which call lists
//! what is each cloud folder's (`resources.rs`); this module is the shape the proxy answers and the page reads,
//! and the choice of a default public image.

use serde::{Deserialize, Serialize};

use crate::clouds::Cloud;

/// The most resources one answer carries (one page of the clouds' lists; Alibaba's and Tencent's image lists
/// take at most 100 a page).
pub const MAX_RESOURCES: usize = 100;

/// What kind of resource to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    /// The account's own (custom) images.
    OwnImage,
    /// The images the cloud publishes for everyone (public, system images).
    PublicImage,
    /// VPCs.
    Vpc,
    /// Subnets (Alibaba's vSwitches), in a zone and VPC when given.
    Subnet,
    /// Security groups, in a VPC when given.
    SecurityGroup,
    /// SSH key pairs.
    KeyPair,
}

impl ResourceKind {
    /// Every kind, in the order the launch details show them.
    pub const ALL: [ResourceKind; 6] = [
        ResourceKind::OwnImage,
        ResourceKind::PublicImage,
        ResourceKind::Vpc,
        ResourceKind::Subnet,
        ResourceKind::SecurityGroup,
        ResourceKind::KeyPair,
    ];

    /// The stable identifier, as JSON writes it.
    pub fn id(self) -> &'static str {
        match self {
            ResourceKind::OwnImage => "own_image",
            ResourceKind::PublicImage => "public_image",
            ResourceKind::Vpc => "vpc",
            ResourceKind::Subnet => "subnet",
            ResourceKind::SecurityGroup => "security_group",
            ResourceKind::KeyPair => "key_pair",
        }
    }
}

/// The body of `POST /api/v1/resources`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ResourcesBody {
    /// The cloud.
    pub cloud: Cloud,
    /// The region.
    pub region: String,
    /// What to list.
    pub kind: ResourceKind,
    /// Only subnets of this zone (ignored for other kinds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Only subnets and security groups of this VPC (ignored for other kinds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
}

/// One resource of the account, as the cloud described it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AccountResource {
    /// The id an order takes (for Alibaba key pairs, the key pair's name, which `RunInstances` takes).
    pub id: String,
    /// The name the account gave it (or the cloud's, for public images); may be empty.
    #[serde(default)]
    pub name: String,
    /// What else tells it apart: an image's OS and architecture, a network's CIDR block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The zone a subnet lives in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// The VPC a subnet or security group belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    /// Whether the cloud marks it as the default (the region's default VPC or subnet, a default security group).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_default: bool,
    /// An image's operating system family, from the cloud's own field (Alibaba's `OSType`, Tencent's `Platform`,
    /// Baidu's `osType`): an order's rules and its market (a Windows price includes the licence) depend on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<crate::order::model::OsFamily>,
}

/// The answer of `POST /api/v1/resources`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ResourcesAnswer {
    /// What was listed.
    pub kind: ResourceKind,
    /// The resources, in the cloud's order (at most [`MAX_RESOURCES`]).
    pub resources: Vec<AccountResource>,
    /// Whether the cloud has more than this page (type the id of one not shown).
    pub truncated: bool,
    /// The call that answered (`DescribeImages`, `DescribeVSwitches`, `ListSubnets`…).
    pub source: String,
    /// When it was fetched (Unix seconds).
    pub fetched_at: i64,
    /// Whether it came from the proxy's short cache.
    pub cached: bool,
}

/// One page of a cloud's list, as its folder read it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResourcePage {
    /// The resources on the page (at most [`MAX_RESOURCES`]).
    pub resources: Vec<AccountResource>,
    /// Whether the cloud has more.
    pub truncated: bool,
}

/// The public image to start from when a person has not chosen one: the newest-looking 64-bit x86 Ubuntu LTS
/// (24.04, else 22.04, else any Ubuntu), else the first image listed. Every cloud publishes Ubuntu; an ARM image
/// would not boot on the x86 types the planner mostly offers. Ties go to the greatest id, which on Alibaba carries
/// the image's build date (`ubuntu_22_04_x64_20G_alibase_20240926.vhd`).
pub fn default_public_image(images: &[AccountResource]) -> Option<&AccountResource> {
    fn score(image: &AccountResource) -> u8 {
        let text = format!(
            "{} {} {}",
            image.id,
            image.name,
            image.detail.as_deref().unwrap_or_default()
        )
        .to_ascii_lowercase();
        let arm = ["arm", "aarch64"].iter().any(|word| text.contains(word));
        if !text.contains("ubuntu") || arm {
            return 0;
        }
        let release = |dotted: &str, underscored: &str| text.contains(dotted) || text.contains(underscored);
        if release("24.04", "24_04") {
            3
        } else if release("22.04", "22_04") {
            2
        } else {
            1
        }
    }
    images
        .iter()
        .max_by(|a, b| score(a).cmp(&score(b)).then_with(|| a.id.cmp(&b.id)))
        .filter(|best| score(best) > 0)
        .or_else(|| images.first())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn image(id: &str, name: &str, detail: &str) -> AccountResource {
        AccountResource {
            id: id.into(),
            name: name.into(),
            detail: Some(detail.into()),
            ..AccountResource::default()
        }
    }

    #[test]
    fn the_default_image_is_the_newest_x86_ubuntu_lts() {
        let images = [
            image(
                "centos_7_9_x64_20G_alibase_20240628.vhd",
                "CentOS 7.9 64位",
                "CentOS x86_64",
            ),
            image(
                "ubuntu_22_04_arm64_20G_alibase_20240926.vhd",
                "Ubuntu 22.04 ARM",
                "Ubuntu arm64",
            ),
            image(
                "ubuntu_22_04_x64_20G_alibase_20240508.vhd",
                "Ubuntu 22.04 64位",
                "Ubuntu x86_64",
            ),
            image(
                "ubuntu_22_04_x64_20G_alibase_20240926.vhd",
                "Ubuntu 22.04 64位",
                "Ubuntu x86_64",
            ),
            image(
                "ubuntu_20_04_x64_20G_alibase_20240926.vhd",
                "Ubuntu 20.04 64位",
                "Ubuntu x86_64",
            ),
        ];
        let chosen = default_public_image(&images).map(|image| image.id.as_str());
        assert_eq!(chosen, Some("ubuntu_22_04_x64_20G_alibase_20240926.vhd"));
        let mut newer = images.to_vec();
        newer.push(image("img-24", "Ubuntu Server 24.04 LTS 64bit", "Ubuntu x86_64"));
        assert_eq!(default_public_image(&newer).map(|i| i.id.as_str()), Some("img-24"));
    }

    #[test]
    fn without_ubuntu_the_first_image_is_the_default_and_none_without_images() {
        let images = [
            image("img-b", "Debian 12", "Debian"),
            image("img-a", "CentOS", "CentOS"),
        ];
        assert_eq!(default_public_image(&images).map(|i| i.id.as_str()), Some("img-b"));
        assert_eq!(default_public_image(&[]), None);
    }

    #[test]
    fn the_body_refuses_unknown_fields_and_kinds_read_their_ids() {
        let body: Result<ResourcesBody, _> =
            serde_json::from_str(r#"{"cloud":"alibaba","region":"cn-hangzhou","kind":"vpc","extra":1}"#);
        assert!(body.is_err());
        for kind in ResourceKind::ALL {
            let json = serde_json::to_string(&kind).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", kind.id()));
        }
    }
}
