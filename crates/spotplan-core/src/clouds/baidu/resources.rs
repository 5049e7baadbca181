//! Baidu's lists of an account's resources in a region, on the compute host `bcc.{region}.baidubce.com` and signed
//! as the order is (bce-auth-v1): `GET /v2/image` (`imageType` `Custom` or `System`), `GET /v1/vpc`,
//! `GET /v1/subnet` (`vpcId`, `zoneName`), `GET /v2/securityGroup` (`vpcId`) and `GET /v2/keypair` (a key pair is
//! named by `keypairId`, which the bid order takes), each paged by `marker` and `maxKeys` (≤ 1000) and answering
//! `isTruncated` — bce-python-sdk 0.9.79 (`bcc_client.list_images`, `list_security_groups`, `list_keypairs`,
//! `vpc_client.list_vpcs`, `subnet_client.list_subnets`) with the response fields of bce-sdk-go's models.

use serde_json::Value;

use crate::api::resources::{AccountResource, MAX_RESOURCES, ResourceKind, ResourcePage, ResourcesBody};
use crate::clouds::Cloud;
use crate::clouds::resource_list::{ItemFields, items_at, read_items};
use crate::order::request::HttpRequest;
use crate::quote::QuoteError;
use crate::quote::json;

/// The path, the action's name (for logs), the list's key in the answer and the item's fields.
fn shape(kind: ResourceKind) -> Option<(&'static str, &'static str, &'static str, ItemFields)> {
    Some(match kind {
        ResourceKind::OwnImage | ResourceKind::PublicImage => (
            "/v2/image",
            "ListImages",
            "images",
            ItemFields {
                detail: &["osName", "osVersion", "osArch"],
                os: Some("osType"),
                ..ItemFields::named("id", "name")
            },
        ),
        ResourceKind::Vpc => (
            "/v1/vpc",
            "ListVpcs",
            "vpcs",
            ItemFields {
                detail: &["cidr"],
                is_default: Some("isDefault"),
                ..ItemFields::named("vpcId", "name")
            },
        ),
        ResourceKind::Subnet => (
            "/v1/subnet",
            "ListSubnets",
            "subnets",
            ItemFields {
                detail: &["cidr"],
                zone: Some("zoneName"),
                vpc: Some("vpcId"),
                ..ItemFields::named("subnetId", "name")
            },
        ),
        ResourceKind::SecurityGroup => (
            "/v2/securityGroup",
            "ListSecurityGroups",
            "securityGroups",
            ItemFields {
                detail: &["desc"],
                vpc: Some("vpcId"),
                ..ItemFields::named("id", "name")
            },
        ),
        ResourceKind::KeyPair => (
            "/v2/keypair",
            "ListKeypairs",
            "keypairs",
            ItemFields {
                detail: &["description"],
                ..ItemFields::named("keypairId", "name")
            },
        ),
    })
}

/// The first page of the list `ask` names.
pub fn request(ask: &ResourcesBody) -> Option<HttpRequest> {
    let (path, action, _, _) = shape(ask.kind)?;
    let mut query = vec![("maxKeys".to_owned(), MAX_RESOURCES.to_string())];
    match ask.kind {
        ResourceKind::OwnImage => query.push(("imageType".into(), "Custom".into())),
        ResourceKind::PublicImage => query.push(("imageType".into(), "System".into())),
        ResourceKind::Subnet => {
            query.extend(ask.vpc_id.clone().map(|vpc| ("vpcId".to_owned(), vpc)));
            query.extend(ask.zone.clone().map(|zone| ("zoneName".to_owned(), zone)));
        }
        ResourceKind::SecurityGroup => query.extend(ask.vpc_id.clone().map(|vpc| ("vpcId".to_owned(), vpc))),
        ResourceKind::Vpc | ResourceKind::KeyPair => {}
    }
    Some(super::order::get(&ask.region, path, action, query))
}

/// `GET /v2/image/{imageId}` (bce-python-sdk 0.9.79 `bcc_client.get_image`), answered `{"image": {…}}`. The id goes
/// into the path as it is: the caller passes only ids [`crate::cloud_id::is_cloud_id`] takes, which need no escaping.
pub fn image_request(region: &str, image_id: &str) -> HttpRequest {
    super::order::get(region, &format!("/v2/image/{image_id}"), "GetImage", Vec::new())
}

/// The error code BCE answers for a path naming nothing (HTTP 404).
pub const NO_SUCH_OBJECT: &str = "NoSuchObject";

/// Reads the answer to [`image_request`]: the image, if its id is `image_id`; `None` when Baidu answers that no
/// such image exists ([`NO_SUCH_OBJECT`]).
pub fn read_image(image_id: &str, body: &[u8]) -> Result<Option<AccountResource>, QuoteError> {
    let Some((_, _, _, fields)) = shape(ResourceKind::OwnImage) else {
        return Ok(None);
    };
    let root = match json::parse_answer(Cloud::Baidu, body) {
        Err(QuoteError::Cloud(error)) if error.code == NO_SUCH_OBJECT => return Ok(None),
        other => other?,
    };
    let Some(image) = root.get("image") else {
        return Err(QuoteError::MissingField { field: "image".into() });
    };
    let images = read_items(std::slice::from_ref(image), &fields);
    Ok(images.into_iter().find(|image| image.id == image_id))
}

/// Reads a page: the list, and whether `isTruncated` says there is more.
pub fn read(kind: ResourceKind, body: &[u8]) -> Result<ResourcePage, QuoteError> {
    let Some((_, _, list, fields)) = shape(kind) else {
        return Ok(ResourcePage::default());
    };
    let root = Value::Object(json::parse_answer(Cloud::Baidu, body)?);
    if root.get(list).is_none() {
        return Err(QuoteError::MissingField { field: list.into() });
    }
    let items = items_at(&root, list);
    let resources = read_items(items, &fields);
    Ok(ResourcePage {
        truncated: root.get("isTruncated").and_then(Value::as_bool).unwrap_or(false) || items.len() > resources.len(),
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
            cloud: Cloud::Baidu,
            region: "bj".into(),
            kind,
            zone: Some("cn-bj-a".into()),
            vpc_id: Some("vpc-IyrqYIQ7".into()),
        }
    }

    #[test]
    fn each_list_is_a_get_on_the_compute_host() {
        let Some(subnets) = request(&ask(ResourceKind::Subnet)) else {
            panic!("Baidu lists subnets");
        };
        assert_eq!(
            (subnets.method.as_str(), subnets.host.as_str()),
            ("GET", "bcc.bj.baidubce.com")
        );
        assert_eq!(subnets.path, "/v1/subnet");
        assert_eq!(subnets.query_value("zoneName"), Some("cn-bj-a"));
        assert_eq!(subnets.query_value("vpcId"), Some("vpc-IyrqYIQ7"));
        let images = request(&ask(ResourceKind::PublicImage));
        assert_eq!(images.as_ref().and_then(|r| r.query_value("imageType")), Some("System"));
        assert_eq!(images.map(|r| r.path), Some("/v2/image".into()));
        assert_eq!(
            request(&ask(ResourceKind::KeyPair)).map(|r| r.path),
            Some("/v2/keypair".into())
        );
    }

    #[test]
    fn answers_are_read_with_their_truncation_and_errors_carry_the_code() {
        let answer = br#"{"marker":"sbn-IyWRnII7","isTruncated":true,"nextMarker":"sbn-2","maxKeys":1,"subnets":[
            {"subnetId":"sbn-IyWRnII7","name":"default","zoneName":"cn-bj-a","cidr":"192.168.0.0/20","vpcId":"vpc-IyrqYIQ7","availableIp":4091}]}"#;
        let page = read(ResourceKind::Subnet, answer).unwrap_or_default();
        assert!(page.truncated);
        assert_eq!(page.resources[0].zone.as_deref(), Some("cn-bj-a"));
        let images = br#"{"marker":"","isTruncated":false,"maxKeys":100,"images":[{"id":"m-nky7qeom","name":"22.04 x86_64 (64bit)","osName":"Ubuntu","osVersion":"22.04","osArch":"x86_64 (64bit)"}]}"#;
        let page = read(ResourceKind::PublicImage, images).unwrap_or_default();
        assert_eq!(page.resources[0].detail.as_deref(), Some("Ubuntu 22.04 x86_64 (64bit)"));
        let keys = br#"{"marker":"k-IyWRtII7","isTruncated":false,"maxKeys":1,"keypairs":[{"keypairId":"k-IyWRtII7","name":"ops","description":"console","instanceCount":3}]}"#;
        let page = read(ResourceKind::KeyPair, keys).unwrap_or_default();
        assert_eq!(
            (page.resources[0].id.as_str(), page.resources[0].name.as_str()),
            ("k-IyWRtII7", "ops")
        );
        let refused = br#"{"requestId":"r","code":"AccessDenied","message":"Access denied."}"#;
        assert!(
            matches!(read(ResourceKind::Vpc, refused), Err(QuoteError::Cloud(error)) if error.code == "AccessDenied")
        );
    }

    #[test]
    fn one_image_is_a_get_of_its_path_and_read_with_its_os_type() {
        let asked = image_request("bj", "m-Golden01");
        assert_eq!(
            (asked.method.as_str(), asked.path.as_str(), asked.host.as_str()),
            ("GET", "/v2/image/m-Golden01", "bcc.bj.baidubce.com")
        );
        let answer = br#"{"image":{"id":"m-Golden01","name":"w","osType":"windows","osName":"Windows"}}"#;
        let image = read_image("m-Golden01", answer).unwrap_or_default();
        assert_eq!(
            image.and_then(|image| image.os),
            Some(crate::order::model::OsFamily::Windows)
        );
        assert!(matches!(
            read_image("m-Golden01", b"{}"),
            Err(QuoteError::MissingField { .. })
        ));
        let none = br#"{"requestId":"r","code":"NoSuchObject","message":"The specified object is not found."}"#;
        assert_eq!(
            read_image("m-Golden01", none).unwrap_or_default(),
            None,
            "no such image"
        );
        let refused = br#"{"requestId":"r","code":"AccessDenied","message":"no"}"#;
        assert!(
            matches!(read_image("m-Golden01", refused), Err(QuoteError::Cloud(_))),
            "not a reading"
        );
    }
}
