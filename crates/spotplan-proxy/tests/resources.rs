//! `POST /api/v1/resources` against the real proxy and each cloud's stand-in, which checks every call's signature
//! (Tencent's VPC calls under the `vpc` service's scope), Alibaba's API version per product, and applies zone and
//! VPC filters as the clouds do: each list comes from its own call, filters reach the cloud, a second ask is
//! served from the cache, and hostile or impossible asks are refused, naming the field, before anything is sent.
//! Under a budget, a market bid is bounded only once the cloud describes its image as Linux.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

mod common;

use std::net::SocketAddr;

use common::proxy_process::standin;
use common::{KEYS, TOKEN, credentials};
use serde_json::{Value, json};
use spotplan_proxy::credentials::CloudCredentials;
use spotplan_proxy::endpoints::{EndpointOverride, Endpoints};
use spotplan_standin::{Kind, Standin};

struct Rig {
    proxy: String,
    standin: Standin,
}

async fn rig_with(kind: Kind, standin: Standin, address: SocketAddr, credentials: CloudCredentials) -> Rig {
    let endpoints = Endpoints::default().with(
        kind.cloud(),
        EndpointOverride {
            scheme: "http".into(),
            authority: address.to_string(),
        },
    );
    let (listen, _) = common::serve_loopback(credentials, endpoints, common::file_store()).await;
    Rig {
        proxy: format!("http://{listen}"),
        standin,
    }
}

async fn rig(kind: Kind) -> Rig {
    let (standin, address) = standin(kind).await;
    rig_with(kind, standin, address, credentials()).await
}

impl Rig {
    async fn ask(&self, body: Value) -> (u16, Value) {
        let response = reqwest::Client::new()
            .post(format!("{}/api/v1/resources", self.proxy))
            .header("x-spotplan-token", TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The ids listed for `body`, asserting it was answered.
    async fn ids(&self, body: Value) -> Vec<String> {
        let (status, answer) = self.ask(body.clone()).await;
        assert_eq!(status, 200, "{body}: {answer}");
        answer["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    }

    fn requests(&self) -> u64 {
        self.standin.stats().requests
    }
}

#[tokio::test]
async fn alibaba_lists_images_networks_groups_and_key_pairs_each_from_its_own_call() {
    let rig = rig(Kind::Alibaba).await;
    let ask = |kind: &str, extra: Value| {
        let mut body = json!({ "cloud": "alibaba", "region": "cn-hangzhou", "kind": kind });
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    let (status, public) = rig.ask(ask("public_image", json!({}))).await;
    assert_eq!(status, 200, "{public}");
    assert_eq!(public["source"], "DescribeImages");
    assert_eq!(public["resources"].as_array().unwrap().len(), 5);
    assert_eq!(public["resources"][3]["detail"], "Ubuntu  22.04 64位 x86_64");
    // Each image says its OS family, from the cloud's `OSType`: an order's rules and market depend on it.
    assert_eq!(public["resources"][3]["os"], "linux");
    assert_eq!(public["resources"][4]["os"], "windows", "{}", public["resources"][4]);
    assert_eq!(public["cached"], false);
    assert_eq!(rig.ids(ask("own_image", json!({}))).await, ["m-standin-golden"]);
    // VPCs and vSwitches come from the VPC API (the stand-in refuses them under ECS's version).
    assert_eq!(rig.ids(ask("vpc", json!({}))).await, ["vpc-standina", "vpc-standinb"]);
    assert_eq!(rig.ids(ask("subnet", json!({}))).await.len(), 6);
    assert_eq!(
        rig.ids(ask("subnet", json!({ "zone": "cn-hangzhou-k" }))).await,
        ["vsw-ka", "vsw-kb"],
        "the zone filter reaches the cloud"
    );
    assert_eq!(
        rig.ids(ask(
            "subnet",
            json!({ "zone": "cn-hangzhou-k", "vpc_id": "vpc-standinb" })
        ))
        .await,
        ["vsw-kb"]
    );
    assert_eq!(
        rig.ids(ask("security_group", json!({ "vpc_id": "vpc-standinb" })))
            .await,
        ["sg-standinb"]
    );
    assert_eq!(rig.ids(ask("key_pair", json!({}))).await, ["standin-key"]);
    // The same ask again within the minute is the cache's.
    let before = rig.requests();
    let (_, again) = rig.ask(ask("public_image", json!({}))).await;
    assert_eq!(again["cached"], true);
    assert_eq!(again["resources"], public["resources"]);
    assert_eq!(rig.requests(), before, "nothing was sent for a cached list");
}

#[tokio::test]
async fn tencent_asks_networks_of_its_vpc_service_and_images_of_cvm() {
    let rig = rig(Kind::Tencent).await;
    let ask = |kind: &str| json!({ "cloud": "tencent", "region": "ap-guangzhou", "kind": kind });
    let (status, subnets) = rig
        .ask(json!({ "cloud": "tencent", "region": "ap-guangzhou", "kind": "subnet",
                     "zone": "ap-guangzhou-3", "vpc_id": "vpc-standa" }))
        .await;
    assert_eq!(status, 200, "signed under the vpc service's scope: {subnets}");
    assert_eq!(subnets["source"], "DescribeSubnets");
    assert_eq!(subnets["resources"][0]["id"], "subnet-3a");
    assert_eq!(subnets["resources"][0]["vpc_id"], "vpc-standa");
    assert_eq!(subnets["resources"][0]["is_default"], true);
    assert_eq!(subnets["resources"].as_array().unwrap().len(), 1);
    assert_eq!(rig.ids(ask("vpc")).await, ["vpc-standa", "vpc-standb"]);
    assert_eq!(rig.ids(ask("security_group")).await, ["sg-standina", "sg-standinb"]);
    assert_eq!(rig.ids(ask("key_pair")).await, ["skey-standin1"]);
    assert_eq!(rig.ids(ask("own_image")).await, ["img-golden01"]);
    let (_, public) = rig.ask(ask("public_image")).await;
    assert_eq!(
        os_of_images(&public),
        [
            ("img-l8og963d", "linux"),
            ("img-22trbn9x", "linux"),
            ("img-mmytdhbn", "linux"),
            ("img-487zeit5", "linux"),
            ("img-9id7emv7", "windows")
        ],
        "from each image's Platform"
    );
}

/// Each listed image's id and OS family.
fn os_of_images(answer: &Value) -> Vec<(&str, &str)> {
    answer["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|image| (image["id"].as_str().unwrap(), image["os"].as_str().unwrap_or("none")))
        .collect()
}

#[tokio::test]
async fn baidu_lists_from_its_compute_host() {
    let rig = rig(Kind::Baidu).await;
    let ask = |kind: &str| json!({ "cloud": "baidu", "region": "bj", "kind": kind });
    assert_eq!(
        rig.ids(json!({ "cloud": "baidu", "region": "bj", "kind": "subnet", "zone": "cn-bj-b" }))
            .await,
        ["sbn-ba", "sbn-bb"]
    );
    assert_eq!(
        rig.ids(json!({ "cloud": "baidu", "region": "bj", "kind": "security_group", "vpc_id": "vpc-Standina" }))
            .await,
        ["g-standina"]
    );
    assert_eq!(rig.ids(ask("own_image")).await, ["m-golden01"]);
    let (_, public) = rig.ask(ask("public_image")).await;
    assert_eq!(
        os_of_images(&public),
        [
            ("m-centos79", "linux"),
            ("m-ubuntu2004", "linux"),
            ("m-ubuntu2204", "linux"),
            ("m-win2022", "windows")
        ],
        "from each image's osType"
    );
    assert_eq!(rig.ids(ask("vpc")).await, ["vpc-Standina", "vpc-Standinb"]);
    assert_eq!(rig.ids(ask("key_pair")).await, ["k-Standin01"]);
}

#[tokio::test]
async fn hostile_or_impossible_asks_are_refused_before_anything_is_sent() {
    let rig = rig(Kind::Alibaba).await;
    let cases = [
        (
            json!({ "cloud": "alibaba", "region": "evil.example.com/x", "kind": "vpc" }),
            400,
            "region",
        ),
        (
            json!({ "cloud": "alibaba", "region": "cn-hangzhou", "kind": "subnet", "zone": "k&Action=DeleteInstances" }),
            400,
            "zone",
        ),
        (
            json!({ "cloud": "alibaba", "region": "cn-hangzhou", "kind": "subnet", "vpc_id": "vpc-1&Action=DeleteInstances" }),
            400,
            "vpc_id",
        ),
        (
            json!({ "cloud": "alibaba", "region": "cn-hangzhou", "kind": "subnet", "vpc_id": "v".repeat(spotplan_core::cloud_id::MAX_LEN + 1) }),
            400,
            "vpc_id",
        ),
    ];
    for (body, status, field) in cases {
        let (got, answer) = rig.ask(body.clone()).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert_eq!(answer["error"]["field"], field, "{body}: {answer}");
    }
    for body in [
        json!({ "cloud": "alibaba", "region": "cn-hangzhou", "kind": "instances" }),
        json!({ "cloud": "alibaba", "region": "cn-hangzhou", "kind": "vpc", "action": "DeleteVpc" }),
        json!({ "cloud": "aws", "region": "us-east-1", "kind": "vpc" }),
    ] {
        let (got, answer) = rig.ask(body.clone()).await;
        assert!(got == 400 || got == 422, "{body}: {got} {answer}");
        assert!(answer["error"]["code"].is_string(), "{body}: {answer}");
    }
    let client = reqwest::Client::new();
    let url = format!("{}/api/v1/resources", rig.proxy);
    let body = json!({ "cloud": "alibaba", "region": "cn-hangzhou", "kind": "vpc" });
    let without_token = client.post(&url).json(&body).send().await.unwrap();
    assert_eq!(without_token.status().as_u16(), 401, "no token, no list");
    let foreign = client
        .post(&url)
        .header("x-spotplan-token", TOKEN)
        .header("origin", "https://evil.example")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status().as_u16(), 403, "a foreign page cannot read the account");
    let rebound = client
        .post(&url)
        .header("host", "rebind.example:8787")
        .header("x-spotplan-token", TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status().as_u16(), 403, "a rebinding host is refused");
    assert_eq!(rig.requests(), 0, "nothing reached the cloud");
}

#[tokio::test]
async fn a_refusal_is_named_with_the_clouds_code_and_no_credentials_mean_planning_mode() {
    // The stand-in holds another secret: the cloud refuses the signature; the answer names the call and the code,
    // and carries no secret.
    let (refusing, address) =
        common::proxy_process::serve_standin(Standin::new(Kind::Tencent, KEYS[1].1, "another-secret")).await;
    let rig = rig_with(Kind::Tencent, refusing, address, credentials()).await;
    let (status, answer) = rig
        .ask(json!({ "cloud": "tencent", "region": "ap-guangzhou", "kind": "vpc" }))
        .await;
    assert_eq!(status, 502, "{answer}");
    assert_eq!(answer["error"]["code"], "resources_unavailable");
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("DescribeVpcs") && message.contains("AuthFailure.SignatureFailure"),
        "{message}"
    );
    assert!(!answer.to_string().contains(KEYS[1].2), "no secret in the answer");
    let (_, again) = rig
        .ask(json!({ "cloud": "tencent", "region": "ap-guangzhou", "kind": "vpc" }))
        .await;
    assert_eq!(
        again["error"]["code"], "resources_unavailable",
        "a refusal is not cached"
    );
    let (baidu, address) = standin(Kind::Baidu).await;
    let planning = rig_with(Kind::Baidu, baidu, address, CloudCredentials::default()).await;
    let (status, answer) = planning
        .ask(json!({ "cloud": "baidu", "region": "bj", "kind": "vpc" }))
        .await;
    assert_eq!(status, 412, "{answer}");
    assert_eq!(planning.requests(), 0);
}

/// Under a budget, a market bid is bounded by a Linux pay-as-you-go price only once the cloud says its image is
/// Linux: an order whose `os` was left at `linux` under a Windows image was bounded at the Linux price and passed a
/// budget its licence may break. On each cloud: a Windows image is refused naming `os`, an image the cloud does not
/// list is refused naming `bid.max_price`, a Linux one passes and is described once in ten minutes, and with no
/// budget nothing is asked. On Alibaba, a marketplace image is found by a second call, and an unanswered describe is
/// a 424 `image_unchecked`, never a pass.
#[tokio::test]
async fn a_market_bid_under_a_budget_is_bounded_only_once_the_cloud_says_its_image_is_linux() {
    for kind in [Kind::Alibaba, Kind::Tencent, Kind::Baidu] {
        let cloud = kind.cloud();
        let (standin, address) = standin(kind).await;
        let endpoints = Endpoints::default().with(
            cloud,
            EndpointOverride {
                scheme: "http".into(),
                authority: address.to_string(),
            },
        );
        let store = common::file_store();
        let plenty = spotplan_core::Money::new(rust_decimal::Decimal::from(1000), spotplan_core::Currency::Cny);
        let budget = spotplan_proxy::people::Budget {
            per_hour: Some(plenty),
            per_month: None,
        };
        spotplan_proxy::people::set_budget(&store, None, &budget).await.unwrap();
        let (listen, _) = common::serve_loopback(credentials(), endpoints.clone(), store).await;
        let (open, _) = common::serve_loopback(credentials(), endpoints, common::file_store()).await;
        let place = |proxy: SocketAddr, image: &str, key: String| {
            let mut order = common::example(cloud.id());
            order["image_id"] = json!(image);
            order["count"] = json!(1);
            order.as_object_mut().unwrap().remove("min_count");
            order["bid"] = json!({ "mode": "market" });
            order["dry_run"] = json!(true);
            async move {
                let response = reqwest::Client::new()
                    .post(format!("http://{proxy}/api/v1/orders"))
                    .header("x-spotplan-token", TOKEN)
                    .header("idempotency-key", key)
                    .json(&order)
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                (status, response.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        let said = |answer: &Value, what: &str| answer["error"][what].as_str().unwrap_or_default().to_owned();
        let requests = || standin.stats().requests;

        let (status, windows) = place(listen, "img-win-0001", format!("{}-image-win", cloud.id())).await;
        assert_eq!(
            (status, said(&windows, "code"), said(&windows, "field")),
            (422, "spend_ceiling".into(), "os".into()),
            "{cloud}: {windows}"
        );
        assert!(
            said(&windows, "message").contains("is a Windows image"),
            "{cloud}: {windows}"
        );
        let (status, missing) = place(listen, "img-missing-0001", format!("{}-image-missing", cloud.id())).await;
        assert_eq!(
            (status, said(&missing, "code"), said(&missing, "field")),
            (422, "spend_ceiling".into(), "bid.max_price".into()),
            "{cloud}: {missing}"
        );
        assert!(
            said(&missing, "message").contains("image img-missing-0001"),
            "{cloud}: {missing}"
        );

        if kind == Kind::Alibaba {
            // A marketplace image, which the first call (every owner but the marketplace) does not list: asked of
            // the marketplace next.
            let (status, marketplace) = place(listen, "img-marketplace-win", "alibaba-image-marketplace".into()).await;
            assert_eq!(
                (status, said(&marketplace, "field")),
                (422, "os".into()),
                "{marketplace}"
            );
            // No answer: nothing is known of the image, and asked again it may answer.
            let (status, unanswered) = place(listen, "img-unanswered-1", "alibaba-image-unanswered".into()).await;
            assert_eq!(
                (status, said(&unanswered, "code"), said(&unanswered, "field")),
                (424, "image_unchecked".into(), "image_id".into()),
                "{unanswered}"
            );
        }
        let before = requests();
        let (_, first) = place(listen, "img-lin-0001", format!("{}-image-linux-1", cloud.id())).await;
        assert_ne!(said(&first, "field"), "os", "{cloud}: {first}");
        assert!(!said(&first, "message").contains("describe"), "{cloud}: {first}");
        let first_calls = requests() - before;
        let before = requests();
        let (_, second) = place(listen, "img-lin-0001", format!("{}-image-linux-2", cloud.id())).await;
        assert_eq!(first["status"], second["status"], "{cloud}: {first} {second}");
        assert_eq!(
            requests() - before,
            first_calls - 1,
            "{cloud}: the image was described once"
        );

        // No budget, no ceiling: nothing to bound, nothing asked.
        let before = requests();
        let (_, unbudgeted) = place(open, "img-win-0002", format!("{}-image-open", cloud.id())).await;
        assert_ne!(said(&unbudgeted, "code"), "spend_ceiling", "{cloud}: {unbudgeted}");
        assert_eq!(
            requests() - before,
            first_calls - 1,
            "{cloud}: only the order's own calls"
        );
    }
}
