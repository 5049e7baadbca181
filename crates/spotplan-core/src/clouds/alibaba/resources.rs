//! Alibaba's lists of an account's resources in a region, each RPC call signed as the order is. ECS 2014-05-26
//! (alibabacloud-ecs20140526 7.11.8 request and response models): `DescribeImages` (`ImageOwnerAlias` `self` or
//! `system`, `PageSize` ≤ 100), `DescribeSecurityGroups` (`MaxResults` ≤ 100; `PageSize` is "to be offline
//! soon") and `DescribeKeyPairs` (`PageSize` ≤ 50; a key pair is named by `KeyPairName`, which `RunInstances`
//! takes). VPC 2016-04-28 on the VPC host (alibabacloud-vpc20160428 7.2.2; ECS's own `DescribeVpcs` and
//! `DescribeVSwitches` are deprecated in favour of these): `DescribeVpcs` and `DescribeVSwitches` (`PageSize` ≤ 50).

use serde_json::Value;

use super::order::{rpc_request, rpc_request_to};
use crate::api::resources::{AccountResource, ResourceKind, ResourcePage, ResourcesBody};
use crate::clouds::Cloud;
use crate::clouds::resource_list::{ItemFields, items_at, read_items};
use crate::order::request::HttpRequest;
use crate::quote::QuoteError;
use crate::quote::json;

/// The VPC API's version.
pub const VPC_API_VERSION: &str = "2016-04-28";
/// The VPC API's host for cn-hangzhou, the one region its SDK's endpoint map names apart from the regional
/// pattern `vpc.{region}.aliyuncs.com`.
pub const VPC_HOST_HANGZHOU: &str = "vpc.aliyuncs.com";

/// The VPC API's host of a region.
pub fn vpc_host(region: &str) -> String {
    if region == "cn-hangzhou" {
        VPC_HOST_HANGZHOU.into()
    } else {
        format!("vpc.{region}.aliyuncs.com")
    }
}

/// The call, its list's path in the answer, the item's fields and the largest page it takes.
fn shape(kind: ResourceKind) -> (&'static str, &'static str, ItemFields, u32) {
    match kind {
        ResourceKind::OwnImage | ResourceKind::PublicImage => (
            "DescribeImages",
            "Images.Image",
            ItemFields {
                detail: &["OSName", "Architecture"],
                os: Some("OSType"),
                ..ItemFields::named("ImageId", "ImageName")
            },
            100,
        ),
        ResourceKind::Vpc => (
            "DescribeVpcs",
            "Vpcs.Vpc",
            ItemFields {
                detail: &["CidrBlock"],
                is_default: Some("IsDefault"),
                ..ItemFields::named("VpcId", "VpcName")
            },
            50,
        ),
        ResourceKind::Subnet => (
            "DescribeVSwitches",
            "VSwitches.VSwitch",
            ItemFields {
                detail: &["CidrBlock"],
                zone: Some("ZoneId"),
                vpc: Some("VpcId"),
                is_default: Some("IsDefault"),
                ..ItemFields::named("VSwitchId", "VSwitchName")
            },
            50,
        ),
        ResourceKind::SecurityGroup => (
            "DescribeSecurityGroups",
            "SecurityGroups.SecurityGroup",
            ItemFields {
                detail: &["Description"],
                vpc: Some("VpcId"),
                ..ItemFields::named("SecurityGroupId", "SecurityGroupName")
            },
            100,
        ),
        ResourceKind::KeyPair => (
            "DescribeKeyPairs",
            "KeyPairs.KeyPair",
            ItemFields {
                detail: &["KeyPairFingerPrint"],
                ..ItemFields::named("KeyPairName", "KeyPairName")
            },
            50,
        ),
    }
}

/// The first page of the list `ask` names.
pub fn request(ask: &ResourcesBody) -> Option<HttpRequest> {
    let (action, _, _, page_size) = shape(ask.kind);
    let page = if ask.kind == ResourceKind::SecurityGroup {
        "MaxResults"
    } else {
        "PageSize"
    };
    let mut query = vec![
        ("RegionId".to_owned(), ask.region.clone()),
        (page.to_owned(), page_size.to_string()),
    ];
    match ask.kind {
        ResourceKind::OwnImage => query.push(("ImageOwnerAlias".into(), "self".into())),
        ResourceKind::PublicImage => {
            query.push(("ImageOwnerAlias".into(), "system".into()));
        }
        ResourceKind::Subnet => {
            query.extend(ask.zone.clone().map(|zone| ("ZoneId".to_owned(), zone)));
            query.extend(ask.vpc_id.clone().map(|vpc| ("VpcId".to_owned(), vpc)));
        }
        ResourceKind::SecurityGroup => query.extend(ask.vpc_id.clone().map(|vpc| ("VpcId".to_owned(), vpc))),
        ResourceKind::Vpc | ResourceKind::KeyPair => {}
    }
    Some(match ask.kind {
        ResourceKind::Vpc | ResourceKind::Subnet => {
            rpc_request_to(vpc_host(&ask.region), VPC_API_VERSION, action, query)
        }
        _ => rpc_request(&ask.region, action, query),
    })
}

/// `DescribeImages` of one image by `ImageId`: first with no `ImageOwnerAlias`, which lists the account's own, the
/// cloud's and shared images, then with `marketplace`, which that leaves out (alibabacloud-ecs20140526 7.11.8,
/// `DescribeImagesRequest.image_owner_alias`).
pub fn image_requests(region: &str, image_id: &str) -> Vec<HttpRequest> {
    [None, Some("marketplace")]
        .into_iter()
        .map(|owner| {
            let mut query = vec![
                ("RegionId".to_owned(), region.to_owned()),
                ("ImageId".to_owned(), image_id.to_owned()),
                ("PageSize".to_owned(), "10".to_owned()),
            ];
            query.extend(owner.map(|owner| ("ImageOwnerAlias".to_owned(), owner.to_owned())));
            rpc_request(region, "DescribeImages", query)
        })
        .collect()
}

/// Reads the answer to one of [`image_requests`]: the image whose id is `image_id`, if listed.
pub fn read_image(image_id: &str, body: &[u8]) -> Result<Option<AccountResource>, QuoteError> {
    let page = read(ResourceKind::OwnImage, body)?;
    Ok(page.resources.into_iter().find(|image| image.id == image_id))
}

/// Reads a page: the list, and whether `TotalCount` (or a `NextToken`) says there is more than it holds.
pub fn read(kind: ResourceKind, body: &[u8]) -> Result<ResourcePage, QuoteError> {
    let (_, path, fields, _) = shape(kind);
    let root = Value::Object(json::parse_answer(Cloud::Alibaba, body)?);
    let list_name = path.split('.').next().unwrap_or(path);
    if root.get(list_name).is_none() {
        return Err(QuoteError::MissingField {
            field: list_name.into(),
        });
    }
    let items = items_at(&root, path);
    let total = root
        .get("TotalCount")
        .and_then(Value::as_u64)
        .unwrap_or(items.len() as u64);
    let resources = read_items(items, &fields);
    let next_token = root
        .get("NextToken")
        .and_then(Value::as_str)
        .is_some_and(|token| !token.is_empty());
    Ok(ResourcePage {
        truncated: next_token || total > resources.len() as u64,
        resources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn ask(kind: ResourceKind) -> ResourcesBody {
        ResourcesBody {
            cloud: Cloud::Alibaba,
            region: "cn-hangzhou".into(),
            kind,
            zone: Some("cn-hangzhou-k".into()),
            vpc_id: Some("vpc-bp1".into()),
        }
    }

    #[test]
    fn each_list_is_its_own_call_with_the_filters_it_takes() {
        let Some(public) = request(&ask(ResourceKind::PublicImage)) else {
            panic!("Alibaba lists public images")
        };
        assert_eq!(public.action, "DescribeImages");
        assert_eq!(public.host, "ecs-cn-hangzhou.aliyuncs.com");
        assert_eq!(public.query_value("ImageOwnerAlias"), Some("system"));
        assert_eq!(public.query_value("PageSize"), Some("100"));
        assert_eq!(public.query_value("VpcId"), None);
        let Some(subnets) = request(&ask(ResourceKind::Subnet)) else {
            panic!("Alibaba lists vSwitches")
        };
        assert_eq!(subnets.action, "DescribeVSwitches");
        assert_eq!(subnets.host, "vpc.aliyuncs.com", "the VPC API's own host");
        assert!(
            subnets
                .headers
                .contains(&("x-acs-version".into(), VPC_API_VERSION.into()))
        );
        assert_eq!(subnets.query_value("ZoneId"), Some("cn-hangzhou-k"));
        assert_eq!(subnets.query_value("VpcId"), Some("vpc-bp1"));
        assert_eq!(subnets.query_value("PageSize"), Some("50"));
        let own = request(&ask(ResourceKind::OwnImage));
        assert_eq!(
            own.as_ref().and_then(|r| r.query_value("ImageOwnerAlias")),
            Some("self")
        );
        assert_eq!(
            request(&ask(ResourceKind::KeyPair)).map(|r| r.action),
            Some("DescribeKeyPairs".to_owned())
        );
        let groups = request(&ask(ResourceKind::SecurityGroup));
        assert_eq!(groups.as_ref().and_then(|r| r.query_value("MaxResults")), Some("100"));
        assert_eq!(groups.as_ref().and_then(|r| r.query_value("VpcId")), Some("vpc-bp1"));
        assert_eq!(vpc_host("cn-beijing"), "vpc.cn-beijing.aliyuncs.com");
    }

    #[test]
    fn answers_are_read_into_resources_and_refusals_carry_the_code() {
        let answer = br#"{"RequestId":"r","TotalCount":3,"PageNumber":1,"PageSize":50,"VSwitches":{"VSwitch":[
            {"VSwitchId":"vsw-bp1a","VSwitchName":"web","VpcId":"vpc-bp1","ZoneId":"cn-hangzhou-k","CidrBlock":"172.16.0.0/24","IsDefault":true},
            {"VSwitchId":"vsw-bp1b","VSwitchName":"","VpcId":"vpc-bp1","ZoneId":"cn-hangzhou-j","CidrBlock":"172.16.1.0/24","IsDefault":false}]}}"#;
        let page = read(ResourceKind::Subnet, answer).unwrap_or_default();
        assert_eq!(page.resources.len(), 2);
        assert!(page.truncated, "TotalCount 3 is more than the 2 listed");
        assert_eq!(page.resources[0].zone.as_deref(), Some("cn-hangzhou-k"));
        assert!(page.resources[0].is_default);
        let keys = br#"{"TotalCount":1,"KeyPairs":{"KeyPair":[{"KeyPairName":"ops","KeyPairFingerPrint":"ab:cd"}]}}"#;
        let page = read(ResourceKind::KeyPair, keys).unwrap_or_default();
        assert_eq!(page.resources[0].id, "ops");
        assert!(!page.truncated);
        let refused = br#"{"Code":"Forbidden.RAM","Message":"User not authorized to operate on the specified resource.","RequestId":"x"}"#;
        assert!(
            matches!(read(ResourceKind::Vpc, refused), Err(QuoteError::Cloud(error)) if error.code == "Forbidden.RAM")
        );
        assert!(matches!(
            read(ResourceKind::Vpc, b"{}"),
            Err(QuoteError::MissingField { .. })
        ));
    }

    #[test]
    fn one_image_is_asked_by_id_of_every_owner_and_read_with_its_os() {
        let asked = image_requests("cn-hangzhou", "win2022_x64.vhd");
        let owners: Vec<Option<&str>> = asked
            .iter()
            .map(|request| {
                assert_eq!(request.action, "DescribeImages");
                assert!(request.query.contains(&("ImageId".into(), "win2022_x64.vhd".into())));
                request
                    .query
                    .iter()
                    .find(|(name, _)| name == "ImageOwnerAlias")
                    .map(|(_, owner)| owner.as_str())
            })
            .collect();
        assert_eq!(
            owners,
            [None, Some("marketplace")],
            "every owner's, then the marketplace's"
        );
        let answer = br#"{"RequestId":"r","TotalCount":1,"Images":{"Image":[{"ImageId":"win2022_x64.vhd","ImageName":"w","OSType":"windows"}]}}"#;
        let image = read_image("win2022_x64.vhd", answer).unwrap_or_default();
        assert_eq!(
            image.and_then(|image| image.os),
            Some(crate::order::model::OsFamily::Windows)
        );
        assert_eq!(read_image("other.vhd", answer).unwrap_or_default(), None);
        let none = br#"{"RequestId":"r","TotalCount":0,"Images":{"Image":[]}}"#;
        assert_eq!(read_image("win2022_x64.vhd", none).unwrap_or_default(), None);
    }
}
