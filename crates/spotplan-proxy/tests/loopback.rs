//! Real loopback tests, one set per cloud: the proxy on a port, the cloud's stand-in on another (it verifies the
//! signature of what it receives and counts what it creates), fake credentials, endpoint overrides. They prove
//! exactly-once under retries, concurrent duplicates and lost answers, and that no secret leaks anywhere.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use common::{KEYS, TOKEN, example};
use serde_json::Value;
use spotplan_core::Cloud;
use spotplan_proxy::Store;
use spotplan_proxy::endpoints::{EndpointOverride, Endpoints};
use spotplan_standin::{Kind, Standin};

/// The proxy's hint for Alibaba's and Tencent's refusal of a bid below the market price.
const BELOW_MARKET_HINT: &str = "the bid is below the current market price: refresh the live price and raise the \
                                 maximum price above it, or bid at the market price (market mode)";

/// The proxy's hint for an order whose outcome is unknown.
const UNKNOWN_HINT: &str = "the outcome is unknown: the order may exist. Retry with the same idempotency key (the \
                            same ClientToken is sent, so the cloud returns what it created rather than creating it \
                            again), or look for instances with this ClientToken in the cloud console before ordering \
                            again";

struct Rig {
    proxy: String,
    standin: Standin,
    store: Store,
}

async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    address
}

/// The proxy on a loopback port, bound first: it answers only to the Host names of the port it really listens on.
async fn serve_proxy(endpoints: Endpoints, store: Store) -> SocketAddr {
    common::serve_loopback(common::credentials(), endpoints, store).await.0
}

async fn rig(cloud: &str) -> Rig {
    let (index, kind) = match cloud {
        "alibaba" => (0, Kind::Alibaba),
        "tencent" => (1, Kind::Tencent),
        _ => (2, Kind::Baidu),
    };
    let standin = Standin::new(kind, KEYS[index].1, KEYS[index].2);
    let standin_address = serve(spotplan_standin::router(standin.clone())).await;
    let cloud = match kind {
        Kind::Alibaba => Cloud::Alibaba,
        Kind::Tencent => Cloud::Tencent,
        Kind::Baidu => Cloud::Baidu,
    };
    let endpoints = Endpoints::default().with(
        cloud,
        EndpointOverride {
            scheme: "http".into(),
            authority: standin_address.to_string(),
        },
    );
    let store = common::postgres::store_in(&common::tempdir()).await;
    let proxy_address = serve_proxy(endpoints, store.clone()).await;
    Rig {
        proxy: format!("http://{proxy_address}"),
        standin,
        store,
    }
}

impl Rig {
    async fn submit(&self, order: &Value, key: &str) -> (u16, Value) {
        let response = reqwest::Client::new()
            .post(format!("{}/api/v1/orders", self.proxy))
            .header("x-spotplan-token", TOKEN)
            .header("idempotency-key", key)
            .json(order)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    fn created(&self) -> u64 {
        self.standin.stats.lock().unwrap().created
    }

    fn requests(&self) -> u64 {
        self.standin.stats.lock().unwrap().requests
    }
}

#[tokio::test]
async fn each_cloud_places_an_order_once_and_replays_it() {
    for cloud in ["alibaba", "tencent", "baidu"] {
        let rig = rig(cloud).await;
        let order = example(cloud);
        let (status, first) = rig.submit(&order, "0b7e2c61-5d4e-4f7a-9c1b-2f0d8e6a4b13").await;
        assert_eq!(status, 201, "{cloud}: {first}");
        assert_eq!(first["status"], "succeeded", "{cloud}: {first}");
        assert_eq!(first["client_token"], "spotplan-0b7e2c61-5d4e-4f7a-9c1b-2f0d8e6a4b13");
        // The stand-in's first order: `<prefix><order 0001><index 000…>`, one id per instance ordered.
        let (prefix, count) = match cloud {
            "alibaba" => ("i-standin", 10),
            "tencent" => ("ins-standin", 10),
            _ => ("i-Standin", 2),
        };
        let expected_ids: Vec<String> = (0..count).map(|index| format!("{prefix}0001{index:03}")).collect();
        assert_eq!(
            first["instance_ids"],
            serde_json::json!(expected_ids),
            "{cloud}: {first}"
        );
        assert_eq!(
            rig.standin.stats.lock().unwrap().verified,
            1,
            "{cloud}: the stand-in verified the signature"
        );
        let (status, again) = rig.submit(&order, "0b7e2c61-5d4e-4f7a-9c1b-2f0d8e6a4b13").await;
        assert_eq!((status, &again["replayed"]), (200, &Value::Bool(true)));
        assert_eq!(again["instance_ids"], first["instance_ids"]);
        assert_eq!(
            (rig.created(), rig.requests()),
            (1, 1),
            "{cloud}: the retry never reached the cloud"
        );
        let logged = rig.store.by_id(first["id"].as_str().unwrap()).await.unwrap().unwrap();
        assert_eq!(
            logged.view.instance_ids,
            first["instance_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        );
    }
}

#[tokio::test]
async fn concurrent_duplicates_wait_for_the_first() {
    let rig = Arc::new(rig("tencent").await);
    let order = example("tencent");
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let (rig, order) = (rig.clone(), order.clone());
        tasks.push(tokio::spawn(async move { rig.submit(&order, "dup-key-0001").await }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        assert!(status == 200 || status == 201, "{body}");
        ids.push(body["instance_ids"].clone());
    }
    assert!(ids.windows(2).all(|pair| pair[0] == pair[1]));
    assert_eq!((rig.created(), rig.requests()), (1, 1));
}

#[tokio::test]
async fn the_same_key_with_a_different_order_is_a_conflict() {
    let rig = rig("alibaba").await;
    let order = example("alibaba");
    rig.submit(&order, "conflict-key-1").await;
    let mut changed = order.clone();
    changed["count"] = 3.into();
    let (status, body) = rig.submit(&changed, "conflict-key-1").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("idempotency_key_reused"))
    );
    assert_eq!(body["error"]["field"], "Idempotency-Key");
    assert_eq!(rig.requests(), 1);
}

#[tokio::test]
async fn dry_runs_and_cloud_errors_come_back_with_hints() {
    for cloud in ["alibaba", "tencent"] {
        let rig = rig(cloud).await;
        let mut order = example(cloud);
        order["dry_run"] = true.into();
        let (_, dry) = rig.submit(&order, &format!("dry-{cloud}-0001")).await;
        assert_eq!(dry["status"], "dry_run_passed", "{cloud}: {dry}");
        assert_eq!(rig.created(), 0);
        let mut low = example(cloud);
        low["bid"]["max_price"] = "0.01".into();
        let (_, failed) = rig.submit(&low, &format!("low-{cloud}-00001")).await;
        assert_eq!(failed["status"], "failed", "{cloud}: {failed}");
        assert_eq!(failed["hint"], BELOW_MARKET_HINT, "{cloud}: {failed}");
        // The stand-in numbers its request ids across the whole process, so only their shape is known.
        let request_id = failed["cloud_request_id"].as_str().unwrap();
        let number = request_id.strip_prefix("standin-").unwrap_or_default();
        assert!(
            number.len() == 8 && number.bytes().all(|byte| byte.is_ascii_digit()),
            "{cloud}: {request_id}"
        );
    }
    let rig = rig("baidu").await;
    let mut low = example("baidu");
    low["bid"]["max_price"] = "0.0005".into();
    let (_, failed) = rig.submit(&low, "low-baidu-00001").await;
    assert_eq!(
        failed["error_message"],
        spotplan_core::clouds::baidu::answer::BID_BELOW_MARKET.message
    );
    assert_eq!(
        failed["hint"],
        "the bid (CNY per minute) is not above Baidu's market price: refresh the live price and raise bidPrice, or \
         use bidModel market"
    );
}

#[tokio::test]
async fn flaky_answers_are_retried_with_the_same_client_token() {
    let rig = rig("alibaba").await;
    let mut order = example("alibaba");
    order["image_id"] = "img-flaky".into();
    let (_, body) = rig.submit(&order, "flaky-key-0001").await;
    assert_eq!(body["status"], "succeeded", "{body}");
    assert_eq!(body["attempts"], 2);
    assert_eq!((rig.created(), rig.requests()), (1, 2));
    assert_eq!(
        rig.standin.stats.lock().unwrap().by_token.len(),
        1,
        "both attempts carried one token"
    );
}

#[tokio::test]
async fn no_answer_means_unknown_and_a_retry_resends_the_same_token() {
    let rig = rig("tencent").await;
    let mut order = example("tencent");
    order["image_id"] = "img-slow".into();
    let (_, first) = rig.submit(&order, "slow-key-00001").await;
    assert_eq!(first["status"], "unknown", "{first}");
    assert_eq!(first["hint"], UNKNOWN_HINT, "{first}");
    assert_eq!(rig.created(), 1, "the cloud did create it; the proxy could not know");
    // The retry sends the same token: the cloud answers with the same instances, nothing new is created.
    let (_, second) = rig.submit(&order, "slow-key-00001").await;
    assert_eq!(second["status"], "unknown", "still slow: {second}");
    assert_eq!(rig.created(), 1);
    assert_eq!(rig.standin.stats.lock().unwrap().by_token.len(), 1);
}

#[tokio::test]
async fn an_unreadable_success_is_unknown() {
    let rig = rig("baidu").await;
    let mut order = example("baidu");
    order["image_id"] = "m-garbage".into();
    let (_, body) = rig.submit(&order, "garbage-key-001").await;
    assert_eq!(body["status"], "unknown", "{body}");
    assert_eq!(body["error_code"], "UnreadableResponse");
}

#[tokio::test]
async fn a_wrong_secret_is_refused_by_the_cloud_and_explained() {
    let standin = Standin::new(Kind::Alibaba, KEYS[0].1, "not-the-secret-the-proxy-has");
    let address = serve(spotplan_standin::router(standin.clone())).await;
    let endpoints = Endpoints::default().with(
        Cloud::Alibaba,
        EndpointOverride {
            scheme: "http".into(),
            authority: address.to_string(),
        },
    );
    let proxy = serve_proxy(endpoints, Store::in_memory().unwrap()).await;
    let rig = Rig {
        proxy: format!("http://{proxy}"),
        standin,
        store: Store::in_memory().unwrap(),
    };
    let (_, body) = rig.submit(&example("alibaba"), "wrong-secret-01").await;
    assert_eq!(body["error_code"], "SignatureDoesNotMatch");
    assert_eq!(
        body["hint"],
        "the cloud refused the credentials: check the access key the proxy uses (GET /api/v1/health shows where it \
         came from)"
    );
}

#[tokio::test]
async fn the_curl_snippet_from_the_core_submits_through_the_proxy() {
    use spotplan_core::order::format::{Format, SnippetOptions, render};
    use spotplan_core::order::{SpotOrder, ValidationContext, validate};
    for cloud in ["alibaba", "tencent", "baidu"] {
        let rig = rig(cloud).await;
        let order: SpotOrder = serde_json::from_value(example(cloud)).unwrap();
        let valid = validate(&order, &ValidationContext::default()).valid.unwrap();
        let key = format!("curl-{cloud}-key-0001");
        let options = SnippetOptions {
            client_token: format!("spotplan-{key}"),
            idempotency_key: key.clone(),
            proxy_url: rig.proxy.clone(),
        };
        let snippet = render(&valid, Format::Curl, &options);
        let output = tokio::process::Command::new("bash")
            .arg("-c")
            .arg(&snippet.text)
            .env("SPOTPLAN_TOKEN", TOKEN)
            .env("SPOTPLAN_INSTANCE_PASSWORD", "Spot2026!")
            .output()
            .await
            .unwrap();
        assert!(
            output.status.success(),
            "{cloud}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let body: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(body["status"], "succeeded", "{cloud}: {body}");
        assert_eq!(rig.created(), 1);
    }
}

/// A writer that keeps everything the proxy logs.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every form a secret could take on its way out: as is, percent-encoded (upper- and lower-case hex, as query
/// strings and signers write it), JSON-escaped, and inside a Debug string.
fn forms(secret: &str) -> Vec<String> {
    let percent = |upper: bool| {
        secret
            .bytes()
            .map(|byte| match byte {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (byte as char).to_string(),
                _ if upper => format!("%{byte:02X}"),
                _ => format!("%{byte:02x}"),
            })
            .collect::<String>()
    };
    let json = serde_json::to_string(secret).unwrap();
    vec![
        secret.to_owned(),
        percent(true),
        percent(false),
        json[1..json.len() - 1].to_owned(),
        format!("{secret:?}")[1..].trim_end_matches('"').to_owned(),
    ]
}

#[tokio::test]
async fn no_secret_appears_in_logs_responses_or_the_order_log_on_any_path() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let mut everything = String::new();
    // Passwords with characters that encode and escape differently (a quote, a percent sign, `&`, `/`).
    let passwords = [
        ("alibaba", "Sp\"ot%20&26/"),
        ("tencent", "Spot%26&pw/1"),
        ("baidu", "Spot%2026!"),
    ];
    let mut secrets: Vec<String> = KEYS.iter().map(|(_, _, secret)| (*secret).to_owned()).collect();
    for (cloud, password) in passwords {
        secrets.push(password.to_owned());
        if cloud == "baidu" {
            // Baidu's adminPass is the password encrypted with the secret key: it must not leave the proxy either.
            secrets.push(spotplan_proxy::signing::baidu_admin_pass(password, KEYS[2].2).unwrap());
        }
        let rig = rig(cloud).await;
        let mut order = example(cloud);
        order["login"] = serde_json::json!({ "password": password });
        for (key, image) in [
            ("leak-a-000001", None),
            ("leak-b-000001", Some("img-flaky")),
            ("leak-c-000001", Some("img-garbage")),
            ("leak-d-000001", Some("img-gateway502")),
            ("leak-e-000001", Some("img-internalerror")),
            ("leak-f-000001", Some("img-nostock")),
        ] {
            let mut order = order.clone();
            if let Some(image) = image {
                order["image_id"] = image.into();
            }
            let (_, body) = rig.submit(&order, key).await;
            if image.is_none() {
                // Placed: the stand-in decrypted Baidu's adminPass with the secret, as BCC does.
                assert_eq!(body["status"], "succeeded", "{cloud}: {body}");
            }
            everything.push_str(&body.to_string());
        }
        // The error paths: a changed order under a used key (409), an invalid order (422), a malformed body (400).
        let mut changed = order.clone();
        changed["count"] = (order["count"].as_u64().unwrap() + 1).into();
        let (status, body) = rig.submit(&changed, "leak-a-000001").await;
        assert_eq!(status, 409, "{body}");
        everything.push_str(&body.to_string());
        let mut invalid = order.clone();
        invalid["count"] = 0.into();
        let (status, body) = rig.submit(&invalid, "leak-g-000001").await;
        assert_eq!(status, 422, "{body}");
        everything.push_str(&body.to_string());
        let malformed = reqwest::Client::new()
            .post(format!("{}/api/v1/orders", rig.proxy))
            .header("x-spotplan-token", TOKEN)
            .header("idempotency-key", "leak-h-000001")
            .header("content-type", "application/json")
            .body(format!(
                r#"{{"cloud":"{cloud}","login":{{"password":{}}},"count":"#,
                serde_json::to_string(password).unwrap()
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(malformed.status().as_u16(), 400);
        everything.push_str(&malformed.text().await.unwrap());
        let list = reqwest::Client::new()
            .get(format!("{}/api/v1/orders", rig.proxy))
            .header("x-spotplan-token", TOKEN)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        everything.push_str(&list);
        for record in rig.store.list(100).await.unwrap() {
            everything.push_str(&serde_json::to_string(&record.view).unwrap());
            everything.push_str(record.sealed_password.as_deref().unwrap_or_default());
            everything.push_str(&format!("{record:?}"));
        }
    }
    everything.push_str(&String::from_utf8_lossy(&captured.0.lock().unwrap()));
    for outcome in ["succeeded", "unknown", "failed"] {
        assert!(everything.contains(outcome), "the run reached {outcome}");
    }
    for secret in secrets.iter().map(String::as_str).chain([TOKEN]) {
        for form in forms(secret) {
            assert!(!everything.contains(&form), "a secret leaked as `{form}`");
        }
    }
}

#[tokio::test]
async fn live_prices_come_back_in_the_catalog_shape_and_are_cached() {
    let quotes = |rig: &Rig, body: Value| {
        let url = format!("{}/api/v1/prices", rig.proxy);
        async move {
            let response = reqwest::Client::new()
                .post(url)
                .header("x-spotplan-token", TOKEN)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 200);
            response.json::<Value>().await.unwrap()
        }
    };
    let alibaba = rig("alibaba").await;
    let body = serde_json::json!({ "offers": [{ "offer": { "cloud": "alibaba", "region": "cn-hangzhou", "zone": "cn-hangzhou-k", "instance_type": "ecs.c7.xlarge" } }] });
    let first = quotes(&alibaba, body.clone()).await;
    let quote = &first["quotes"][0];
    assert_eq!(quote["error"], Value::Null, "{quote}");
    // The stand-in's two price points, each with the on-demand price beside the spot price.
    let prices: Vec<(&str, &str)> = quote["observations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["kind"].as_str().unwrap(),
                o["rate"]["money"]["amount"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        prices,
        [
            ("spot", "0.048"),
            ("on_demand", "0.45"),
            ("spot", "0.05"),
            ("on_demand", "0.45")
        ],
        "{quote}"
    );
    assert_eq!(
        quote["observations"][0]["source"]["name"],
        "live quote via the proxy (Alibaba DescribeSpotPriceHistory)"
    );
    let again = quotes(&alibaba, body).await;
    assert_eq!(again["quotes"][0]["cached"], true);
    assert_eq!(alibaba.requests(), 1, "the second answer came from the cache");

    let tencent = rig("tencent").await;
    let no_image = quotes(&tencent, serde_json::json!({ "offers": [{ "offer": { "cloud": "tencent", "region": "ap-guangzhou", "zone": "ap-guangzhou-6", "instance_type": "S6.LARGE8" } }] })).await;
    assert_eq!(no_image["quotes"][0]["error"]["code"], "needs_image");
    let priced = quotes(&tencent, serde_json::json!({ "offers": [{ "offer": { "cloud": "tencent", "region": "ap-guangzhou", "zone": "ap-guangzhou-6", "instance_type": "S6.LARGE8" }, "image_id": "img-487zeit5" }] })).await;
    assert_eq!(
        priced["quotes"][0]["observations"].as_array().unwrap().len(),
        2,
        "{priced}"
    );

    let baidu = rig("baidu").await;
    let priced = quotes(&baidu, serde_json::json!({ "offers": [{ "offer": { "cloud": "baidu", "region": "bj", "zone": "cn-bj-d", "instance_type": "bcc.g5.c2m8" }, "cpu_count": 2, "memory_gb": 8 }] })).await;
    let observation = &priced["quotes"][0]["observations"][0];
    assert_eq!(observation["rate"]["per"], "minute", "{priced}");
    assert_eq!(observation["rate"]["money"]["amount"], "0.001");
}
