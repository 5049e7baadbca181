//! The stand-in's account: the resources the clouds' list calls describe (images, VPCs, subnets, security groups,
//! key pairs), the same for every region asked, with zone and VPC filters applied as the clouds apply them. The
//! names of the calls and their API versions are written here from the clouds' SDKs, apart from the core, so a
//! request built with the wrong version is refused as the cloud would (the signing service is `verify`'s).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::{Kind, error, request_id, verify};

/// A resource of the stand-in's account: id, name, zone suffix and VPC suffix where it has them.
struct Item {
    id: String,
    name: &'static str,
    zone: Option<String>,
    vpc: Option<String>,
    default: bool,
}

/// The zone suffixes the stand-in's subnets live in, per cloud (as its pool signals name them).
fn zones(kind: Kind, region: &str) -> Vec<String> {
    match kind {
        Kind::Alibaba => ["h", "j", "k"].iter().map(|s| format!("{region}-{s}")).collect(),
        Kind::Tencent => ["3", "4", "6"].iter().map(|s| format!("{region}-{s}")).collect(),
        Kind::Baidu => ["a", "b", "c"].iter().map(|s| format!("cn-{region}-{s}")).collect(),
    }
}

fn vpc_id(kind: Kind, letter: char) -> String {
    match kind {
        Kind::Alibaba => format!("vpc-standin{letter}"),
        Kind::Tencent => format!("vpc-stand{letter}"),
        Kind::Baidu => format!("vpc-Standin{letter}"),
    }
}

fn networks(kind: Kind, region: &str) -> (Vec<Item>, Vec<Item>, Vec<Item>) {
    let vpcs = ['a', 'b']
        .into_iter()
        .map(|letter| Item {
            id: vpc_id(kind, letter),
            name: if letter == 'a' { "default" } else { "batch" },
            zone: None,
            vpc: None,
            default: letter == 'a',
        })
        .collect();
    let prefix = match kind {
        Kind::Alibaba => "vsw",
        Kind::Tencent => "subnet",
        Kind::Baidu => "sbn",
    };
    let subnets = zones(kind, region)
        .into_iter()
        .flat_map(|zone| {
            ['a', 'b'].into_iter().map(move |letter| {
                let suffix = zone.rsplit('-').next().unwrap_or_default().to_owned();
                Item {
                    id: format!("{prefix}-{suffix}{letter}"),
                    name: if letter == 'a' { "web" } else { "batch" },
                    zone: Some(zone.clone()),
                    vpc: Some(vpc_id(kind, letter)),
                    default: letter == 'a',
                }
            })
        })
        .collect();
    let group_prefix = if kind == Kind::Baidu { "g" } else { "sg" };
    let groups = ['a', 'b']
        .into_iter()
        .map(|letter| Item {
            id: format!("{group_prefix}-standin{letter}"),
            name: if letter == 'a' { "default" } else { "ssh-only" },
            zone: None,
            // Tencent's security groups belong to no VPC.
            vpc: (kind != Kind::Tencent).then(|| vpc_id(kind, letter)),
            default: letter == 'a',
        })
        .collect();
    (vpcs, subnets, groups)
}

/// Public images: two Ubuntu LTS releases for x86, one for ARM, CentOS and Windows Server; in each cloud's naming,
/// each with the field that names its OS family (Alibaba's `OSType`, Tencent's `Platform`, Baidu's `osType`).
fn public_images(kind: Kind) -> Vec<Value> {
    match kind {
        Kind::Alibaba => [
            ("centos_7_9_x64_20G_alibase_20240628.vhd", "CentOS  7.9 64位", "x86_64"),
            (
                "ubuntu_20_04_x64_20G_alibase_20240926.vhd",
                "Ubuntu  20.04 64位",
                "x86_64",
            ),
            (
                "ubuntu_22_04_arm64_20G_alibase_20240926.vhd",
                "Ubuntu  22.04 64位 ARM版",
                "arm64",
            ),
            (
                "ubuntu_22_04_x64_20G_alibase_20240926.vhd",
                "Ubuntu  22.04 64位",
                "x86_64",
            ),
            (
                "win2022_21H2_x64_dtc_zh-cn_40G_alibase_20240920.vhd",
                "Windows Server  2022 数据中心版 64位中文版",
                "x86_64",
            ),
        ]
        .iter()
        .map(|(id, os, arch)| {
            let family = if os.starts_with("Windows") { "windows" } else { "linux" };
            json!({ "ImageId": id, "ImageName": id, "OSName": os, "OSType": family, "Architecture": arch,
                    "Status": "Available", "ImageOwnerAlias": "system" })
        })
        .collect(),
        Kind::Tencent => [
            ("img-l8og963d", "CentOS 7.9 64位", "x86_64"),
            ("img-22trbn9x", "Ubuntu Server 20.04 LTS 64位", "x86_64"),
            ("img-mmytdhbn", "Ubuntu Server 22.04 LTS 64位 ARM", "arm"),
            ("img-487zeit5", "Ubuntu Server 22.04 LTS 64位", "x86_64"),
            ("img-9id7emv7", "Windows Server 2022 数据中心版 64位中文版", "x86_64"),
        ]
        .iter()
        .map(|(id, name, arch)| {
            let platform = name.split_whitespace().next().unwrap_or_default();
            json!({ "ImageId": id, "ImageName": name, "OsName": name, "Platform": platform, "Architecture": arch,
                    "ImageState": "NORMAL", "ImageType": "PUBLIC_IMAGE" })
        })
        .collect(),
        Kind::Baidu => [
            ("m-centos79", "7.9 x86_64 (64bit)", "CentOS", "7.9", "x86_64 (64bit)"),
            (
                "m-ubuntu2004",
                "20.04 LTS x86_64 (64bit)",
                "Ubuntu",
                "20.04 LTS",
                "x86_64 (64bit)",
            ),
            (
                "m-ubuntu2204",
                "22.04 LTS x86_64 (64bit)",
                "Ubuntu",
                "22.04 LTS",
                "x86_64 (64bit)",
            ),
            (
                "m-win2022",
                "2022 数据中心版 x86_64 (64bit)",
                "Windows Server",
                "2022 数据中心版",
                "x86_64 (64bit)",
            ),
        ]
        .iter()
        .map(|(id, name, os, version, arch)| {
            let family = if os.starts_with("Windows") { "windows" } else { "linux" };
            json!({ "id": id, "name": name, "type": "System", "osType": family, "osName": os,
                    "osVersion": version, "osArch": arch, "status": "Available" })
        })
        .collect(),
    }
}

fn own_image(kind: Kind) -> Value {
    match kind {
        Kind::Alibaba => json!({ "ImageId": "m-standin-golden", "ImageName": "golden", "OSName": "Ubuntu  22.04 64位",
                                 "OSType": "linux", "Architecture": "x86_64", "Status": "Available",
                                 "ImageOwnerAlias": "self" }),
        Kind::Tencent => {
            json!({ "ImageId": "img-golden01", "ImageName": "golden", "OsName": "Ubuntu Server 22.04 LTS 64位",
                    "Platform": "Ubuntu", "Architecture": "x86_64", "ImageType": "PRIVATE_IMAGE" })
        }
        Kind::Baidu => {
            json!({ "id": "m-golden01", "name": "golden", "type": "Custom", "osType": "linux", "osName": "Ubuntu",
                               "osVersion": "22.04 LTS", "osArch": "x86_64 (64bit)", "status": "Available" })
        }
    }
}

/// One image asked for by id: the account's or a public one by that id; any other id is an image of the account
/// too (the tests' images, named for the behaviour they choose), Windows when the id says `win`, Linux otherwise —
/// except an id containing `missing`, which the cloud does not list.
fn image_by_id(kind: Kind, id: &str) -> Option<Value> {
    let id_field = if kind == Kind::Baidu { "id" } else { "ImageId" };
    let known = std::iter::once(own_image(kind))
        .chain(public_images(kind))
        .find(|image| image[id_field] == id);
    if known.is_some() || id.contains("missing") {
        return known;
    }
    let windows = id.to_ascii_lowercase().contains("win");
    Some(match kind {
        Kind::Alibaba => json!({ "ImageId": id, "ImageName": id, "OSType": if windows { "windows" } else { "linux" },
                                 "Architecture": "x86_64", "Status": "Available", "ImageOwnerAlias": "self" }),
        Kind::Tencent => {
            json!({ "ImageId": id, "ImageName": id, "Platform": if windows { "Windows" } else { "Ubuntu" },
                                 "Architecture": "x86_64", "ImageType": "PRIVATE_IMAGE" })
        }
        Kind::Baidu => {
            json!({ "id": id, "name": id, "type": "Custom", "osType": if windows { "windows" } else { "linux" },
                               "osName": if windows { "Windows Server" } else { "Ubuntu" }, "status": "Available" })
        }
    })
}

/// The filters of a list call: zone and VPC.
#[derive(Default)]
struct Filters {
    zone: Option<String>,
    vpc: Option<String>,
}

impl Filters {
    fn keep(&self, item: &Item) -> bool {
        let fits = |wanted: &Option<String>, theirs: &Option<String>| match (wanted, theirs) {
            (Some(wanted), Some(theirs)) => wanted == theirs,
            (Some(_), None) => false,
            (None, _) => true,
        };
        fits(&self.zone, &item.zone) && fits(&self.vpc, &item.vpc)
    }
}

fn tencent_filters(body: &Value) -> (Filters, Option<String>) {
    let mut filters = Filters::default();
    let mut image_type = None;
    for filter in body["Filters"].as_array().into_iter().flatten() {
        let value = filter["Values"][0].as_str().map(str::to_owned);
        match filter["Name"].as_str() {
            Some("zone") => filters.zone = value,
            Some("vpc-id") => filters.vpc = value,
            Some("image-type") => image_type = value,
            _ => {}
        }
    }
    (filters, image_type)
}

/// Answers the list calls; `None` for any other action.
pub(crate) fn answer(kind: Kind, action: &str, received: &verify::Received<'_>) -> Option<Response> {
    let query = verify::query_map(received.raw_query);
    let header = |name: &str| {
        received
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let body = match kind {
        Kind::Alibaba => {
            let product_version = match action {
                "DescribeVpcs" | "DescribeVSwitches" => "2016-04-28",
                "DescribeImages" | "DescribeSecurityGroups" | "DescribeKeyPairs" => "2014-05-26",
                _ => return None,
            };
            if header("x-acs-version") != product_version {
                return Some(error(
                    kind,
                    StatusCode::BAD_REQUEST,
                    "InvalidVersion",
                    &format!("Specified parameter Version is not valid for {action}."),
                ));
            }
            let region = query.get("RegionId").cloned().unwrap_or_default();
            let filters = Filters {
                zone: query.get("ZoneId").cloned(),
                vpc: query.get("VpcId").cloned(),
            };
            match (action, query.get("ImageId")) {
                ("DescribeImages", Some(id)) if id.contains("unanswered") => {
                    return Some(error(
                        kind,
                        StatusCode::SERVICE_UNAVAILABLE,
                        "ServiceUnavailable",
                        "try later",
                    ));
                }
                ("DescribeImages", Some(id)) => {
                    // A marketplace image is listed only when the marketplace's are asked for.
                    let listed = id.contains("marketplace")
                        == (query.get("ImageOwnerAlias").map(String::as_str) == Some("marketplace"));
                    let images: Vec<Value> = image_by_id(kind, id).filter(|_| listed).into_iter().collect();
                    json!({ "RequestId": request_id(), "TotalCount": images.len(), "PageNumber": 1,
                            "Images": { "Image": images } })
                }
                _ => alibaba(
                    action,
                    &region,
                    &filters,
                    query.get("ImageOwnerAlias").map(String::as_str),
                ),
            }
        }
        Kind::Tencent => {
            if !matches!(
                action,
                "DescribeImages" | "DescribeVpcs" | "DescribeSubnets" | "DescribeSecurityGroups" | "DescribeKeyPairs"
            ) {
                return None;
            }
            let asked: Value = serde_json::from_slice(received.body).unwrap_or_default();
            let (filters, image_type) = tencent_filters(&asked);
            match (action, asked["ImageIds"].as_array()) {
                ("DescribeImages", Some(ids)) => {
                    let images: Vec<Value> = ids
                        .iter()
                        .filter_map(Value::as_str)
                        .filter_map(|id| image_by_id(kind, id))
                        .collect();
                    json!({ "Response": { "TotalCount": images.len(), "ImageSet": images, "RequestId": request_id() } })
                }
                _ => tencent(action, &header("x-tc-region"), &filters, image_type.as_deref()),
            }
        }
        Kind::Baidu => {
            if received.method != "GET" {
                return None;
            }
            // The region is in the host (`bcc.bj.baidubce.com`); reached at an override's address, the stand-in
            // plays Beijing.
            let host = header("host");
            let region = match host.strip_prefix("bcc.").and_then(|rest| rest.split('.').next()) {
                Some(region) => region.to_owned(),
                None => "bj".to_owned(),
            };
            if let Some(id) = received.path.strip_prefix("/v2/image/") {
                return Some(match image_by_id(kind, id) {
                    Some(image) => (StatusCode::OK, axum::Json(json!({ "image": image }))).into_response(),
                    None => error(
                        kind,
                        StatusCode::NOT_FOUND,
                        "NoSuchObject",
                        "The specified object is not found.",
                    ),
                });
            }
            let filters = Filters {
                zone: query.get("zoneName").cloned(),
                vpc: query.get("vpcId").cloned(),
            };
            baidu(
                received.path,
                &region,
                &filters,
                query.get("imageType").map(String::as_str),
            )?
        }
    };
    Some((StatusCode::OK, axum::Json(body)).into_response())
}

fn alibaba(action: &str, region: &str, filters: &Filters, owner: Option<&str>) -> Value {
    let (vpcs, subnets, groups) = networks(Kind::Alibaba, region);
    let wrap = |outer: &str, inner: &str, items: Vec<Value>| json!({ "RequestId": request_id(), "TotalCount": items.len(), "PageNumber": 1, outer: { inner: items } });
    match action {
        "DescribeImages" => match owner {
            Some("self") => wrap("Images", "Image", vec![own_image(Kind::Alibaba)]),
            _ => wrap("Images", "Image", public_images(Kind::Alibaba)),
        },
        "DescribeVpcs" => wrap(
            "Vpcs",
            "Vpc",
            vpcs.iter()
                .map(|v| json!({ "VpcId": v.id, "VpcName": v.name, "CidrBlock": "172.16.0.0/12", "IsDefault": v.default }))
                .collect(),
        ),
        "DescribeVSwitches" => wrap(
            "VSwitches",
            "VSwitch",
            subnets
                .iter()
                .filter(|s| filters.keep(s))
                .map(|s| {
                    json!({ "VSwitchId": s.id, "VSwitchName": s.name, "ZoneId": s.zone, "VpcId": s.vpc,
                            "CidrBlock": "172.16.0.0/24", "AvailableIpAddressCount": 252, "IsDefault": s.default })
                })
                .collect(),
        ),
        "DescribeSecurityGroups" => wrap(
            "SecurityGroups",
            "SecurityGroup",
            groups
                .iter()
                .filter(|g| filters.keep(g))
                .map(|g| json!({ "SecurityGroupId": g.id, "SecurityGroupName": g.name, "VpcId": g.vpc, "SecurityGroupType": "normal" }))
                .collect(),
        ),
        _ => wrap(
            "KeyPairs",
            "KeyPair",
            vec![json!({ "KeyPairName": "standin-key", "KeyPairFingerPrint": "89:f0:ba:00" })],
        ),
    }
}

fn tencent(action: &str, region: &str, filters: &Filters, image_type: Option<&str>) -> Value {
    let (vpcs, subnets, groups) = networks(Kind::Tencent, region);
    let (list, items): (&str, Vec<Value>) = match action {
        "DescribeImages" => match image_type {
            Some("PRIVATE_IMAGE") => ("ImageSet", vec![own_image(Kind::Tencent)]),
            _ => ("ImageSet", public_images(Kind::Tencent)),
        },
        "DescribeVpcs" => (
            "VpcSet",
            vpcs.iter()
                .map(|v| json!({ "VpcId": v.id, "VpcName": v.name, "CidrBlock": "172.16.0.0/16", "IsDefault": v.default }))
                .collect(),
        ),
        "DescribeSubnets" => (
            "SubnetSet",
            subnets
                .iter()
                .filter(|s| filters.keep(s))
                .map(|s| {
                    json!({ "SubnetId": s.id, "SubnetName": s.name, "VpcId": s.vpc, "Zone": s.zone,
                            "CidrBlock": "172.16.16.0/20", "AvailableIpAddressCount": 4093, "IsDefault": s.default })
                })
                .collect(),
        ),
        "DescribeSecurityGroups" => (
            "SecurityGroupSet",
            groups
                .iter()
                .map(|g| json!({ "SecurityGroupId": g.id, "SecurityGroupName": g.name, "SecurityGroupDesc": "", "ProjectId": "0", "IsDefault": g.default }))
                .collect(),
        ),
        _ => (
            "KeyPairSet",
            vec![json!({ "KeyId": "skey-standin1", "KeyName": "standin_key", "ProjectId": 0 })],
        ),
    };
    json!({ "Response": { "TotalCount": items.len(), list: items, "RequestId": request_id() } })
}

fn baidu(path: &str, region: &str, filters: &Filters, image_type: Option<&str>) -> Option<Value> {
    let (vpcs, subnets, groups) = networks(Kind::Baidu, region);
    let (list, items): (&str, Vec<Value>) = match path {
        "/v2/image" => match image_type {
            Some("Custom") => ("images", vec![own_image(Kind::Baidu)]),
            _ => ("images", public_images(Kind::Baidu)),
        },
        "/v1/vpc" => (
            "vpcs",
            vpcs.iter()
                .map(|v| json!({ "vpcId": v.id, "name": v.name, "cidr": "192.168.0.0/16", "isDefault": v.default }))
                .collect(),
        ),
        "/v1/subnet" => (
            "subnets",
            subnets
                .iter()
                .filter(|s| filters.keep(s))
                .map(|s| {
                    json!({ "subnetId": s.id, "name": s.name, "zoneName": s.zone, "vpcId": s.vpc,
                            "cidr": "192.168.0.0/20", "subnetType": "BCC", "availableIp": 4091 })
                })
                .collect(),
        ),
        "/v2/securityGroup" => (
            "securityGroups",
            groups
                .iter()
                .filter(|g| filters.keep(g))
                .map(|g| json!({ "id": g.id, "name": g.name, "desc": "", "vpcId": g.vpc, "rules": [] }))
                .collect(),
        ),
        "/v2/keypair" => (
            "keypairs",
            vec![json!({ "keypairId": "k-Standin01", "name": "standin-key", "description": "", "instanceCount": 0 })],
        ),
        _ => return None,
    };
    Some(json!({ "marker": "", "isTruncated": false, "maxKeys": 100, list: items }))
}
