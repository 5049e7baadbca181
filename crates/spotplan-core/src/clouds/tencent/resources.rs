//! Tencent's lists of an account's resources in a region, API 3.0 signed as the order is (TC3), the region in
//! `X-TC-Region`. CVM 2017-03-12 (tencentcloud-sdk-python-cvm 3.1.178 models): `DescribeImages` (filter
//! `image-type` `PRIVATE_IMAGE` or `PUBLIC_IMAGE`, `Limit` ≤ 100) and `DescribeKeyPairs` (`Limit` ≤ 100; a key pair
//! is named by `KeyId`, which `LoginSettings.KeyIds` takes). VPC 2017-03-12 on the VPC host and service
//! (tencentcloud-sdk-python-vpc 3.1.193 models, whose `Offset` and `Limit` are strings): `DescribeVpcs`,
//! `DescribeSubnets` (filters `vpc-id`, `zone`) and `DescribeSecurityGroups` — Tencent's security groups belong to
//! no VPC, so they are not filtered by one.

use serde_json::{Value, json};

use super::order::api_request_to;
use crate::api::resources::{AccountResource, MAX_RESOURCES, ResourceKind, ResourcePage, ResourcesBody};
use crate::clouds::Cloud;
use crate::clouds::resource_list::{ItemFields, items_at, read_items};
use crate::order::request::HttpRequest;
use crate::quote::QuoteError;
use crate::quote::json;

/// The VPC API's host (the SDK's `VpcClient._endpoint`).
pub const VPC_HOST: &str = "vpc.tencentcloudapi.com";
/// The VPC API's service name, which TC3's credential scope carries (the SDK's `VpcClient._service`).
pub const VPC_SERVICE: &str = "vpc";
/// The calls served by the VPC API rather than CVM's.
pub const VPC_ACTIONS: [&str; 3] = ["DescribeVpcs", "DescribeSubnets", "DescribeSecurityGroups"];

/// The call, its list's name in `Response`, and the item's fields.
fn shape(kind: ResourceKind) -> (&'static str, &'static str, ItemFields) {
    match kind {
        ResourceKind::OwnImage | ResourceKind::PublicImage => (
            "DescribeImages",
            "ImageSet",
            ItemFields {
                detail: &["OsName", "Architecture"],
                os: Some("Platform"),
                ..ItemFields::named("ImageId", "ImageName")
            },
        ),
        ResourceKind::Vpc => (
            "DescribeVpcs",
            "VpcSet",
            ItemFields {
                detail: &["CidrBlock"],
                is_default: Some("IsDefault"),
                ..ItemFields::named("VpcId", "VpcName")
            },
        ),
        ResourceKind::Subnet => (
            "DescribeSubnets",
            "SubnetSet",
            ItemFields {
                detail: &["CidrBlock"],
                zone: Some("Zone"),
                vpc: Some("VpcId"),
                is_default: Some("IsDefault"),
                ..ItemFields::named("SubnetId", "SubnetName")
            },
        ),
        ResourceKind::SecurityGroup => (
            "DescribeSecurityGroups",
            "SecurityGroupSet",
            ItemFields {
                detail: &["SecurityGroupDesc"],
                is_default: Some("IsDefault"),
                ..ItemFields::named("SecurityGroupId", "SecurityGroupName")
            },
        ),
        ResourceKind::KeyPair => (
            "DescribeKeyPairs",
            "KeyPairSet",
            ItemFields {
                detail: &["Description"],
                ..ItemFields::named("KeyId", "KeyName")
            },
        ),
    }
}

fn filter(name: &str, value: &str) -> Value {
    json!({ "Name": name, "Values": [value] })
}

/// The first page of the list `ask` names.
pub fn request(ask: &ResourcesBody) -> Option<HttpRequest> {
    let (action, _, _) = shape(ask.kind);
    let limit = MAX_RESOURCES;
    let body = match ask.kind {
        ResourceKind::OwnImage => json!({ "Filters": [filter("image-type", "PRIVATE_IMAGE")], "Limit": limit }),
        ResourceKind::PublicImage => json!({ "Filters": [filter("image-type", "PUBLIC_IMAGE")], "Limit": limit }),
        ResourceKind::KeyPair => json!({ "Limit": limit }),
        ResourceKind::Subnet => {
            let filters: Vec<Value> = [("vpc-id", &ask.vpc_id), ("zone", &ask.zone)]
                .into_iter()
                .filter_map(|(name, value)| value.as_deref().map(|value| filter(name, value)))
                .collect();
            let mut body = json!({ "Offset": "0", "Limit": limit.to_string() });
            if !filters.is_empty() {
                body["Filters"] = Value::Array(filters);
            }
            body
        }
        ResourceKind::Vpc | ResourceKind::SecurityGroup => json!({ "Offset": "0", "Limit": limit.to_string() }),
    };
    let host = if VPC_ACTIONS.contains(&action) {
        VPC_HOST
    } else {
        super::order::TENCENT_HOST
    };
    Some(api_request_to(host, &ask.region, action, &body))
}

/// `DescribeImages` of one image by `ImageIds` (the SDK's model: "cannot be specified together with Filters"),
/// whatever its type.
pub fn image_request(region: &str, image_id: &str) -> HttpRequest {
    api_request_to(
        super::order::TENCENT_HOST,
        region,
        "DescribeImages",
        &json!({ "ImageIds": [image_id] }),
    )
}

/// Reads the answer to [`image_request`]: the image whose id is `image_id`, if listed.
pub fn read_image(image_id: &str, body: &[u8]) -> Result<Option<AccountResource>, QuoteError> {
    let page = read(ResourceKind::OwnImage, body)?;
    Ok(page.resources.into_iter().find(|image| image.id == image_id))
}

/// Reads a page: the list, and whether `TotalCount` says there is more than it holds.
pub fn read(kind: ResourceKind, body: &[u8]) -> Result<ResourcePage, QuoteError> {
    let (_, list, fields) = shape(kind);
    let root = Value::Object(json::parse_answer(Cloud::Tencent, body)?);
    let Some(response) = root.get("Response").filter(|response| response.get(list).is_some()) else {
        return Err(QuoteError::MissingField {
            field: format!("Response.{list}"),
        });
    };
    let items = items_at(response, list);
    let total = response
        .get("TotalCount")
        .and_then(Value::as_u64)
        .unwrap_or(items.len() as u64);
    let resources = read_items(items, &fields);
    Ok(ResourcePage {
        truncated: total > resources.len() as u64,
        resources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn ask(kind: ResourceKind, vpc: Option<&str>) -> ResourcesBody {
        ResourcesBody {
            cloud: Cloud::Tencent,
            region: "ap-guangzhou".into(),
            kind,
            zone: Some("ap-guangzhou-3".into()),
            vpc_id: vpc.map(str::to_owned),
        }
    }

    fn body(request: &HttpRequest) -> Value {
        serde_json::from_slice(&request.body).unwrap_or_default()
    }

    #[test]
    fn networks_are_asked_of_the_vpc_api_and_images_and_key_pairs_of_cvm() {
        let Some(subnets) = request(&ask(ResourceKind::Subnet, Some("vpc-2at5y1pn"))) else {
            panic!("Tencent lists subnets");
        };
        assert_eq!(subnets.host, VPC_HOST);
        assert_eq!(subnets.action, "DescribeSubnets");
        assert!(subnets.headers.contains(&("x-tc-region".into(), "ap-guangzhou".into())));
        let sent = body(&subnets);
        assert_eq!(sent["Limit"], "100", "the VPC API's Limit is a string");
        assert_eq!(
            sent["Filters"][0],
            json!({ "Name": "vpc-id", "Values": ["vpc-2at5y1pn"] })
        );
        assert_eq!(
            sent["Filters"][1],
            json!({ "Name": "zone", "Values": ["ap-guangzhou-3"] })
        );
        let Some(public) = request(&ask(ResourceKind::PublicImage, None)) else {
            panic!("Tencent lists images");
        };
        assert_eq!(public.host, super::super::order::TENCENT_HOST);
        assert_eq!(body(&public)["Limit"], 100);
        assert_eq!(body(&public)["Filters"][0]["Values"][0], "PUBLIC_IMAGE");
        let groups = request(&ask(ResourceKind::SecurityGroup, Some("vpc-x"))).map(|r| body(&r));
        assert_eq!(
            groups.and_then(|b| b.get("Filters").cloned()),
            None,
            "security groups belong to no VPC"
        );
    }

    #[test]
    fn answers_are_read_and_the_error_envelope_is_a_cloud_error() {
        let answer = br#"{"Response":{"TotalCount":1,"KeyPairSet":[{"KeyId":"skey-11112222","KeyName":"my_key","ProjectId":0}],"RequestId":"r"}}"#;
        let page = read(ResourceKind::KeyPair, answer).unwrap_or_default();
        assert_eq!(page.resources[0].id, "skey-11112222");
        assert_eq!(page.resources[0].name, "my_key");
        assert!(!page.truncated);
        let subnets = br#"{"Response":{"TotalCount":120,"SubnetSet":[{"SubnetId":"subnet-otu92seu","SubnetName":"Default","VpcId":"vpc-2at5y1pn","Zone":"ap-guangzhou-2","CidrBlock":"172.16.16.0/20","IsDefault":true}],"RequestId":"r"}}"#;
        let page = read(ResourceKind::Subnet, subnets).unwrap_or_default();
        assert!(page.truncated);
        assert_eq!(page.resources[0].vpc_id.as_deref(), Some("vpc-2at5y1pn"));
        let refused =
            br#"{"Response":{"Error":{"Code":"UnauthorizedOperation","Message":"no permission"},"RequestId":"r"}}"#;
        assert!(
            matches!(read(ResourceKind::Vpc, refused), Err(QuoteError::Cloud(error)) if error.code == "UnauthorizedOperation")
        );
        assert!(matches!(
            read(ResourceKind::Vpc, br#"{"Response":{"RequestId":"r"}}"#),
            Err(QuoteError::MissingField { .. })
        ));
    }

    #[test]
    fn one_image_is_asked_by_id_and_read_with_its_platform() {
        let asked = image_request("ap-guangzhou", "img-9qabwvbn");
        assert_eq!(asked.action, "DescribeImages");
        assert_eq!(
            body(&asked),
            json!({ "ImageIds": ["img-9qabwvbn"] }),
            "no filter beside the id"
        );
        let answer = br#"{"Response":{"TotalCount":1,"ImageSet":[{"ImageId":"img-9qabwvbn","ImageName":"w","Platform":"Windows"}],"RequestId":"r"}}"#;
        let image = read_image("img-9qabwvbn", answer).unwrap_or_default();
        assert_eq!(
            image.and_then(|image| image.os),
            Some(crate::order::model::OsFamily::Windows)
        );
        let none = br#"{"Response":{"TotalCount":0,"ImageSet":[],"RequestId":"r"}}"#;
        assert_eq!(read_image("img-9qabwvbn", none).unwrap_or_default(), None);
    }
}
