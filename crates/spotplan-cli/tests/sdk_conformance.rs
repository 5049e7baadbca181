//! Conformance with the official cloud SDKs: for the shipped example orders and awkward variants, the request
//! Spotplan builds equals, parameter by parameter, what the cloud's official Python SDK puts on the wire for the same
//! order (tests/sdk/capture_order.py), and the Python snippet `spotplan request --format python` prints runs as is
//! and sends the same (tests/sdk/run_snippet.py).
//!
//! Run with the feature `sdk-conformance` and `SPOTPLAN_SDK_PYTHON` set to the Python of a virtualenv made from
//! tests/sdk/requirements.txt:
//!
//! ```text
//! SPOTPLAN_SDK_PYTHON=/tmp/sdk-venv/bin/python cargo test -p spotplan-cli --features sdk-conformance --test sdk_conformance
//! ```
//!
//! What is compared, per cloud:
//! * Alibaba, against both SDK generations (alibabacloud_ecs20140526 and the legacy aliyun-python-sdk-ecs): method,
//!   path, the query as a map (names and exact values: `True`, `0.2`) apart from [`ALIBABA_SIGNING_QUERY`], the
//!   headers in [`ALIBABA_HEADERS`], the empty body;
//! * Tencent: method, path, the JSON bodies as values (null = absent) and the headers in [`TENCENT_HEADERS`];
//! * Baidu: method, path, the `clientToken` query parameter (the only one), the JSON bodies as values (null =
//!   absent, the SDK's always-sent defaults in [`baidu_sdk_defaults`]), `adminPass` by presence only against
//!   Spotplan (the SDK encrypts it with the secret key; Spotplan's snippet shows a placeholder) and exactly between
//!   the snippet and the SDK (both encrypt with the same fake key).
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use spotplan_core::Cloud;
use spotplan_core::order::idempotency::client_token_for;
use spotplan_core::order::request::{AdminPass, BuildOptions, HttpRequest, build_order_request};
use spotplan_core::order::{SpotOrder, ValidationContext, validate};

/// The idempotency key of every order here; the client token is `spotplan-<key>` on all sides.
const IDEMPOTENCY_KEY: &str = "conformance-0001";

/// Fake credentials, given to both scripts so that the snippet and capture_order.py sign and encrypt alike.
const FAKE_CREDENTIALS: [(&str, &str); 6] = [
    ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tFakeKeyForSpotplanTests"),
    ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "fakeAlibabaSecretForSpotplanTests1"),
    ("TENCENTCLOUD_SECRET_ID", "AKIDFakeSecretIdForSpotplanTests00"),
    ("TENCENTCLOUD_SECRET_KEY", "fakeTencentSecretKeyForSpotplanTest"),
    ("BCE_ACCESS_KEY_ID", "fakebceaccesskeyid0000000000000000"),
    ("BCE_SECRET_ACCESS_KEY", "fakebcesecretkey00000000000000000"),
];

/// The password the snippets read when the order has none (they only read it when the order has one).
const UNUSED_PASSWORD: &str = "Unused-Passw0rd";

/// Query parameters an Alibaba SDK adds for signing and routing, never part of an order. The Tea SDK (ACS3) sends
/// none of them in the query (action, version, date and nonce travel in `x-acs-*` headers, the signature in
/// `Authorization`); the legacy RPC signature (aliyun-python-sdk-core) puts all of them there.
const ALIBABA_SIGNING_QUERY: [&str; 11] = [
    "AccessKeyId",
    "Action",
    "Format",
    "SecurityToken",
    "Signature",
    "SignatureMethod",
    "SignatureNonce",
    "SignatureType",
    "SignatureVersion",
    "Timestamp",
    "Version",
];

/// Alibaba headers that name the call rather than sign it; the rest (`x-acs-date`, `x-acs-signature-nonce`,
/// `x-acs-content-sha256`, `x-acs-credentials-provider`, `authorization`, `user-agent`, `host`) is signature and
/// transport machinery.
const ALIBABA_HEADERS: [&str; 3] = ["x-acs-action", "x-acs-version", "accept"];
/// The same for the legacy SDK, which sends `Accept: */*` and asks for JSON with the `Format=JSON` parameter.
const ALIBABA_LEGACY_HEADERS: [&str; 2] = ["x-acs-action", "x-acs-version"];

/// Tencent headers compared: the call, the region and the signed content type. `X-TC-Timestamp`, `Authorization`,
/// `X-TC-RequestClient`, `X-TC-TraceId` and `X-TC-Language` are the SDK's signature and telemetry.
const TENCENT_HEADERS: [&str; 4] = ["content-type", "x-tc-action", "x-tc-version", "x-tc-region"];

// Baidu headers are not compared: the SDK sends only Host, Content-Length, x-bce-date, User-Agent and
// Authorization. Spotplan also sends `Content-Type: application/json`, which Baidu's API reference puts on every
// JSON request; the signer covers it (bce-auth-v1 signs content-type when present).

/// Fields `create_instance_of_bid` always sends at a default value while Spotplan omits them: (field, the SDK's
/// value, why Spotplan keeps omitting it). A field is only excused when Spotplan omits it and the SDK sends exactly
/// this value; anything else is a difference.
fn baidu_sdk_defaults() -> Vec<(&'static str, Value, &'static str)> {
    vec![
        (
            "autoSeqSuffix",
            json!(false),
            "the keyword default of the SDK; off is also the service's default (no serial suffix on name/hostname)",
        ),
        (
            "isOpenHostnameDomain",
            json!(false),
            "the keyword default of the SDK; off is also the service's default (no hostname domain)",
        ),
        (
            "relationTag",
            json!(false),
            "the keyword default of the SDK; off is the service's default (tags are created, not only related)",
        ),
        (
            "isOpenIpv6",
            json!(false),
            "omitting it lets Baidu follow the image's and subnet's IPv6 support (SDK docstring: 'no transmission \
             indicates automatic adaptation'); the SDK's false would switch IPv6 off",
        ),
        (
            "cdsAutoRenew",
            json!(false),
            "auto-renewal is a prepaid setting; spot instances are postpaid",
        ),
        (
            "autoRenewTimeUnit",
            json!("month"),
            "auto-renewal is a prepaid setting; the SDK sends the unit even when autoRenewTime is absent",
        ),
        (
            "isEipAutoRelatedDelete",
            json!(false),
            "the keyword default of the SDK; false is the service's default and the order creates no named EIP",
        ),
    ]
}

#[test]
fn alibaba_orders_match_the_sdk_and_the_snippets_run() {
    check_cloud(Cloud::Alibaba, &alibaba_orders());
}

#[test]
fn tencent_orders_match_the_sdk_and_the_snippets_run() {
    check_cloud(Cloud::Tencent, &tencent_orders());
}

#[test]
fn baidu_orders_match_the_sdk_and_the_snippets_run() {
    check_cloud(Cloud::Baidu, &baidu_orders());
}

/// The comparison can fail: one tampered value per cloud is reported, with its name and both values.
#[test]
fn a_tampered_sdk_request_is_reported() {
    let ours = Sent {
        method: "POST".into(),
        path: "/".into(),
        query: vec![("Tag.1.Value".into(), "a b".into())],
        headers: BTreeMap::new(),
        body: String::new(),
    };
    let mut signed = ours.clone();
    signed
        .query
        .push(("Signature".into(), "xGZQF728UPE+ItM9i0mTQKhkmWI=".into()));
    signed.query.push(("Timestamp".into(), "2026-11-23T17:12:08Z".into()));
    assert_eq!(
        differences(Cloud::Alibaba, &ours, &signed, Labels::SPOTPLAN_VS_LEGACY),
        Vec::<String>::new()
    );
    let mut tampered = signed.clone();
    tampered.query[0].1 = "a+b".into();
    tampered.query.push(("DryRun".into(), "True".into()));
    assert_eq!(
        differences(Cloud::Alibaba, &ours, &tampered, Labels::SPOTPLAN_VS_LEGACY),
        vec![
            r#"query DryRun: only the legacy SDK sends it ("True")"#.to_owned(),
            r#"query Tag.1.Value: Spotplan "a b", legacy SDK "a+b""#.to_owned(),
        ]
    );
    assert_eq!(
        differences(Cloud::Alibaba, &tampered, &signed, Labels::SNIPPET),
        vec![
            r#"query DryRun: only snippet sends it ("True")"#.to_owned(),
            r#"query Tag.1.Value: snippet "a+b", SDK "a b""#.to_owned(),
        ]
    );

    let body = |value: Value| Sent {
        method: "POST".into(),
        path: "/v2/instance/bid".into(),
        query: vec![("clientToken".into(), "t".into())],
        headers: BTreeMap::new(),
        body: value.to_string(),
    };
    let ours = body(json!({"tags": [{"tagKey": "k", "tagValue": ""}], "name": "n"}));
    let same = body(json!({"tags": [{"tagKey": "k", "tagValue": ""}], "name": "n", "isOpenIpv6": false, "x": null}));
    assert_eq!(
        differences(Cloud::Baidu, &ours, &same, Labels::SPOTPLAN),
        Vec::<String>::new()
    );
    let wrong_default = body(json!({"tags": [{"tagKey": "k", "tagValue": ""}], "name": "n", "isOpenIpv6": true}));
    let found = differences(Cloud::Baidu, &ours, &wrong_default, Labels::SPOTPLAN);
    assert!(found.iter().any(|line| line.contains("/isOpenIpv6")), "{found:?}");
    let tampered = body(json!({"tags": [{"tagKey": "k", "tagValue": " "}], "name": "n"}));
    let found = differences(Cloud::Baidu, &ours, &tampered, Labels::SPOTPLAN);
    assert!(found.iter().any(|line| line.contains("/tags/0/tagValue")), "{found:?}");
}

// ---------------------------------------------------------------------------------------------------------------
// The orders.

/// A named order: the shipped example, or a variant of it.
struct Case {
    name: String,
    order: Value,
}

fn example(cloud: &str) -> Value {
    let path = workspace().join(format!("examples/orders/{cloud}.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Tags with every character class that needs care in a query string or a JSON string.
fn awkward_tags() -> Value {
    json!([
        { "key": "项目", "value": "渲染 批次 42" },
        { "key": "with space", "value": "a b  c " },
        { "key": "eq=amp&plus+", "value": "x=1&y=2+3" },
        { "key": "star*tilde~slash/", "value": "*~/ 100%" },
        { "key": "quotes\"'", "value": "say \"hi\" it's" },
        { "key": "dollar$", "value": "$HOME ${x} `id`" },
        { "key": "emoji", "value": "🚀 spot ✓" },
        { "key": "empty-value", "value": "" },
        { "key": "backslash\\", "value": "C:\\temp\\ #hash ?q <tag>" }
    ])
}

/// The date two days from now, at 08:00 UTC (Alibaba's release time must be 30 minutes to 3 years ahead).
/// An order from an international-site account (billed in USD) in Singapore, with its bid in dollars: the bid goes
/// out as given, in the account's currency, never converted.
fn international(cloud: &str) -> Value {
    let mut order = example(cloud);
    order["account_currency"] = json!("USD");
    let (region, zone, price) = match cloud {
        "alibaba" => ("ap-southeast-1", Some("ap-southeast-1a"), "0.014"),
        "tencent" => ("ap-singapore", Some("ap-singapore-3"), "0.0123"),
        // Baidu zones are optional; no source names a Singapore zone.
        _ => ("sin", None, "0.000205"),
    };
    order["region"] = json!(region);
    order["zone"] = json!(zone);
    order["bid"]["max_price"] = json!(price);
    order
}

/// A Baidu GPU spec from the catalog, with the card type Baidu needs for it.
fn baidu_gpu() -> Value {
    let mut order = example("baidu");
    order["baidu"] = json!({ "spec": "bcc.lgn1.c12m40.1p40", "isomerism_card": "Nvidia P40" });
    order["instance_type"] = json!("G1");
    order
}

fn release_time_in_two_days() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    format!("{}T08:00:00Z", spotplan_core::time::format_date(now + 2 * 86_400))
}

fn case(name: &str, order: Value) -> Case {
    Case {
        name: name.into(),
        order,
    }
}

fn alibaba_orders() -> Vec<Case> {
    let base = example("alibaba");
    let mut awkward = base.clone();
    awkward["name"] = json!("渲染节点 一号 🚀");
    awkward["tags"] = awkward_tags();
    awkward["network"]["security_group_ids"] = json!(["sg-bp1aaaaaaaaaaaaaaaa1", "sg-bp1bbbbbbbbbbbbbbbb2", "sg-3"]);
    awkward["network"]["bandwidth_mbps"] = json!(5);
    awkward["network"]["internet_charge_type"] = json!("PayByTraffic");
    awkward["login"] = json!({ "password": "Ab1~!@#$%^&*-_+=|{}[]:;\"<>,.?/" });
    awkward["dry_run"] = json!(true);
    awkward["deletion_protection"] = json!(true);
    awkward["auto_release_time"] = json!(release_time_in_two_days());
    awkward["bid"] =
        json!({ "mode": "limit", "max_price": "1.500", "spot_duration_hours": 0, "interruption_behavior": "Stop" });
    awkward["user_data"] = json!("Pz8/Pj4+Cg==");
    awkward["data_disks"] = json!([{ "category": "cloud_essd", "size_gb": 100 }, { "category": "cloud_auto", "size_gb": 40 }, { "size_gb": 20 }]);

    let mut market = base.clone();
    market["bid"] = json!({ "mode": "market" });
    market["min_count"] = json!(1);
    market["count"] = json!(1);
    market["client_token"] = json!("own-token_with.dots-0001");
    market["os"] = json!("windows");
    market["hostname"] = json!("WIN-SPOT-01");
    market["login"] = json!({ "password": "Windows-Pass1" });

    let minimal = json!({
        "cloud": "alibaba",
        "region": "cn-beijing",
        "zone": "cn-beijing-h",
        "instance_type": "ecs.u1-c1m2.large",
        "image_id": "ubuntu_22_04_x64_20G_alibase_20240130.vhd",
        "count": 1,
        "bid": { "mode": "limit", "max_price": "12" },
        "network": { "subnet_id": "vsw-2zeaaaaaaaaaaaaaaaaaa", "security_group_ids": ["sg-2zeaaaaaaaaaaaaaaaaa"] },
        "system_disk": {},
        "data_disks": [{ "size_gb": 20 }],
        "tags": [{ "key": "only-key" }]
    });
    let mut small_price = minimal.clone();
    small_price["bid"]["max_price"] = json!("0.005");
    small_price["region"] = json!("ap-southeast-1");
    small_price["zone"] = json!("ap-southeast-1a");

    vec![
        case("alibaba example", base),
        case(
            "alibaba awkward (tags, Chinese, 3 security groups, password, dry run, protection, release)",
            awkward,
        ),
        case("alibaba market bid, own client token, Windows", market),
        case(
            "alibaba minimal with empty disks and an empty tag value, price 12",
            minimal,
        ),
        case("alibaba small price 0.005 in ap-southeast-1", small_price),
        case(
            "alibaba international-site account: USD bid in Singapore",
            international("alibaba"),
        ),
    ]
}

fn tencent_orders() -> Vec<Case> {
    let base = example("tencent");
    let mut awkward = base.clone();
    awkward["name"] = json!("渲染节点 {R:1} \"q\" & 🚀");
    awkward["tags"] = awkward_tags();
    awkward["network"]["security_group_ids"] = json!(["sg-1a2b3c4d", "sg-5e6f7g8h", "sg-9i0j1k2l"]);
    awkward["network"]["bandwidth_mbps"] = json!(0);
    awkward["login"] = json!({ "password": "Ab1()`~!@#$%^&*-+=|{}[]:;',.?/" });
    awkward["dry_run"] = json!(true);
    awkward["deletion_protection"] = json!(true);
    awkward["min_count"] = json!(3);
    awkward["data_disks"] =
        json!([{ "category": "CLOUD_SSD", "size_gb": 100 }, { "category": "CLOUD_PREMIUM", "size_gb": 200 }]);
    awkward["user_data"] = json!("IyEvYmluL3NoCmVjaG8gIuS9oOWlvSIK");

    let mut market = base.clone();
    market["bid"] = json!({ "mode": "market" });
    market["count"] = json!(1);
    market["client_token"] = json!("own-token-0001");

    let minimal = json!({
        "cloud": "tencent",
        "region": "ap-shanghai",
        "zone": "ap-shanghai-2",
        "image_id": "img-eb30mz89",
        "count": 2,
        "bid": { "mode": "limit", "max_price": "0.0923" },
        "network": { "subnet_id": "subnet-abcdefgh", "internet_charge_type": "BANDWIDTH_POSTPAID_BY_HOUR" },
        "system_disk": {},
        "data_disks": [{ "size_gb": 50 }],
        "name": "",
        "tags": [{ "key": "only-key" }, { "key": "空值", "value": "" }]
    });

    vec![
        case("tencent example", base),
        case(
            "tencent awkward (tags, Chinese, 3 security groups, password, dry run, protection, min count)",
            awkward,
        ),
        case("tencent market bid, own client token", market),
        case(
            "tencent minimal: no type, empty name, subnet only, empty tag values",
            minimal,
        ),
        case(
            "tencent international-site account: USD bid in Singapore",
            international("tencent"),
        ),
    ]
}

fn baidu_orders() -> Vec<Case> {
    let base = example("baidu");
    let mut awkward = base.clone();
    awkward["name"] = json!("批处理-节点/一号.v2");
    awkward["tags"] = awkward_tags();
    awkward["network"]["security_group_ids"] = json!(["g-twh19p9mvn4z", "g-aaaaaaaaaaaa", "g-bbbbbbbbbbbb"]);
    awkward["network"]["bandwidth_mbps"] = json!(5);
    awkward["network"]["internet_charge_type"] = json!("BANDWIDTH_POSTPAID_BY_HOUR");
    awkward["login"] = json!({ "password": "Ab1!@#$%^*()" });
    awkward["deletion_protection"] = json!(true);
    awkward["user_data"] = json!("IyEvYmluL3NoCg==");

    let mut market = base.clone();
    market["bid"] = json!({ "mode": "market" });
    market["baidu"] = json!({ "cpu_count": 4, "memory_gb": 16 });
    market["count"] = json!(1);
    market["data_disks"] = json!([{ "size_gb": 100 }]);
    market["login"] = json!({ "key_pair": "k-3uvaaaaa" });
    market["client_token"] = json!("own-token-0001");
    market["dry_run"] = json!(true);

    let minimal = json!({
        "cloud": "baidu",
        "region": "gz",
        "baidu": { "spec": "bcc.g4.c8m32" },
        "image_id": "m-abcdefgh",
        "count": 1,
        "bid": { "mode": "limit", "max_price": "0.01" },
        "network": { "bandwidth_mbps": 0 },
        "data_disks": [{ "size_gb": 20 }],
        "tags": [{ "key": "only-key" }]
    });

    vec![
        case("baidu example", base),
        case(
            "baidu awkward (tags, Chinese name, 3 security groups, password, protection, bandwidth)",
            awkward,
        ),
        case(
            "baidu market bid, cpu/memory without spec, key pair, own client token, dry run",
            market,
        ),
        case(
            "baidu minimal: no zone, bandwidth 0, empty data disk, empty tag value",
            minimal,
        ),
        case(
            "baidu international-site account: USD bid in Singapore",
            international("baidu"),
        ),
        case("baidu GPU spec with its card (isomerismCard)", baidu_gpu()),
    ]
}

// ---------------------------------------------------------------------------------------------------------------
// Running one cloud's cases.

fn check_cloud(cloud: Cloud, cases: &[Case]) {
    let python = sdk_python();
    let mut report = Vec::new();
    let mut compared = 0;
    for case in cases {
        let order: SpotOrder = serde_json::from_value(case.order.clone())
            .unwrap_or_else(|error| panic!("{}: not a SpotOrder: {error}", case.name));
        assert_eq!(order.cloud, cloud, "{}", case.name);
        let validation = validate(
            &order,
            &ValidationContext {
                now: now(),
                ..ValidationContext::default()
            },
        );
        let Some(valid) = validation.valid else {
            panic!("{}: the test order is invalid: {:#?}", case.name, validation.problems);
        };
        let token = client_token_for(IDEMPOTENCY_KEY).unwrap();
        let ours = Sent::from_request(&build_order_request(
            &valid,
            &BuildOptions {
                client_token: token.clone(),
                baidu_admin_pass: AdminPass::Placeholder,
            },
        ));
        let sdk = capture(&python, &case.order, &token, "tea", &case.name);
        let found = differences(cloud, &ours, &sdk, Labels::SPOTPLAN);
        compared += 1;
        if !found.is_empty() {
            report.push(format!(
                "{}: Spotplan's request differs from the SDK's:\n  {}",
                case.name,
                found.join("\n  ")
            ));
        }
        if cloud == Cloud::Alibaba {
            let legacy = capture(&python, &case.order, &token, "legacy", &case.name);
            let found = differences(cloud, &ours, &legacy, Labels::SPOTPLAN_VS_LEGACY);
            compared += 1;
            if !found.is_empty() {
                report.push(format!(
                    "{}: Spotplan's request differs from the legacy SDK's (aliyun-python-sdk-ecs):\n  {}",
                    case.name,
                    found.join("\n  ")
                ));
            }
        }

        let password = order.login.password.as_deref().unwrap_or(UNUSED_PASSWORD);
        let snippet = python_snippet(&case.order, &case.name);
        match run_snippet(&python, cloud, &snippet, password, &case.name) {
            Err(failure) => report.push(format!(
                "{}: the Python snippet failed:\n{failure}\n{snippet}",
                case.name
            )),
            Ok(sent) => {
                let found = differences(cloud, &sent, &sdk, Labels::SNIPPET);
                compared += 1;
                if !found.is_empty() {
                    report.push(format!(
                        "{}: the Python snippet sends something else than the SDK call:\n  {}\n{snippet}",
                        case.name,
                        found.join("\n  ")
                    ));
                }
            }
        }
    }
    // The other clouds' tests may still use the folder; it goes with the last of them.
    let _ = std::fs::remove_dir(scratch_dir());
    println!("{cloud:?}: {} orders, {compared} comparisons", cases.len());
    assert!(report.is_empty(), "{}", report.join("\n\n"));
}

fn sdk_python() -> PathBuf {
    match std::env::var_os("SPOTPLAN_SDK_PYTHON") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => panic!(
            "SPOTPLAN_SDK_PYTHON is not set: point it at the Python of a virtualenv with the official SDKs, e.g.\n  \
             python3 -m venv /tmp/sdk-venv && /tmp/sdk-venv/bin/pip install -r tests/sdk/requirements.txt\n  \
             SPOTPLAN_SDK_PYTHON=/tmp/sdk-venv/bin/python cargo test -p spotplan-cli --features sdk-conformance \
             --test sdk_conformance"
        ),
    }
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The folder of this process's scratch files (removed once empty).
fn scratch_dir() -> PathBuf {
    std::env::temp_dir().join(format!("spotplan-sdk-conformance-{}", std::process::id()))
}

/// A scratch file for one case, unique per process and case; the caller removes it.
fn scratch_file(case: &str, suffix: &str) -> PathBuf {
    let dir = scratch_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let slug: String = case
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(40)
        .collect();
    dir.join(format!("{slug}{suffix}"))
}

/// What capture_order.py saw the official SDK send for the order; `alibaba_sdk` picks the Alibaba generation
/// (`tea` or `legacy`).
fn capture(python: &Path, order: &Value, token: &str, alibaba_sdk: &str, case: &str) -> Sent {
    let mut child = Command::new(python)
        .arg(workspace().join("tests/sdk/capture_order.py"))
        .args(["--client-token", token, "--alibaba-sdk", alibaba_sdk])
        .envs(FAKE_CREDENTIALS)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", python.display()));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(order.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{case}: capture_order.py failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Sent::from_capture(&output.stdout)
}

/// The Python snippet exactly as `spotplan request ORDER --format python` prints it.
fn python_snippet(order: &Value, case: &str) -> String {
    let path = scratch_file(case, ".json");
    std::fs::write(&path, order.to_string()).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_spotplan"))
        .arg("request")
        .arg(&path)
        .args(["--format", "python", "--idempotency-key", IDEMPOTENCY_KEY])
        .output()
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(
        output.status.success(),
        "{case}: spotplan request --format python failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// What the snippet sent, or why it did not run.
fn run_snippet(python: &Path, cloud: Cloud, snippet: &str, password: &str, case: &str) -> Result<Sent, String> {
    let path = scratch_file(case, ".py");
    std::fs::write(&path, snippet).unwrap();
    let output = Command::new(python)
        .arg(workspace().join("tests/sdk/run_snippet.py"))
        .arg(cloud_id(cloud))
        .arg(&path)
        .envs(FAKE_CREDENTIALS)
        .env("SPOTPLAN_INSTANCE_PASSWORD", password)
        .output()
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    if !output.status.success() {
        return Err(format!(
            "exit status {}:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(Sent::from_capture(&output.stdout))
}

fn cloud_id(cloud: Cloud) -> &'static str {
    match cloud {
        Cloud::Alibaba => "alibaba",
        Cloud::Tencent => "tencent",
        Cloud::Baidu => "baidu",
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The comparison.

/// One request as sent: Spotplan's [`HttpRequest`], or what a script recorded.
#[derive(Debug, Clone)]
struct Sent {
    method: String,
    path: String,
    /// Decoded, in order.
    query: Vec<(String, String)>,
    /// Lower-case names.
    headers: BTreeMap<String, String>,
    body: String,
}

impl Sent {
    fn from_request(request: &HttpRequest) -> Sent {
        Sent {
            method: request.method.clone(),
            path: request.path.clone(),
            query: request.query.clone(),
            headers: request
                .headers
                .iter()
                .map(|(name, value)| (name.to_ascii_lowercase(), value.clone()))
                .collect(),
            body: request.body_text(),
        }
    }

    fn from_capture(stdout: &[u8]) -> Sent {
        let value: Value = serde_json::from_slice(stdout).unwrap_or_else(|error| {
            panic!(
                "the script printed no JSON ({error}): {}",
                String::from_utf8_lossy(stdout)
            )
        });
        let text = |name: &str| value[name].as_str().unwrap_or_default().to_owned();
        Sent {
            method: text("method"),
            path: text("path"),
            query: value["query"]
                .as_array()
                .unwrap()
                .iter()
                .map(|pair| {
                    (
                        pair[0].as_str().unwrap().to_owned(),
                        pair[1].as_str().unwrap().to_owned(),
                    )
                })
                .collect(),
            headers: value["headers"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(name, value)| (name.to_ascii_lowercase(), value.as_str().unwrap_or_default().to_owned()))
                .collect(),
            body: text("body"),
        }
    }
}

/// What is compared with what: the names of the two sides in messages (the second side is always the official
/// SDK's own call, made by capture_order.py) and the per-side details.
#[derive(Debug, Clone, Copy)]
struct Labels {
    ours: &'static str,
    sdk: &'static str,
    /// Compare Baidu's adminPass exactly (both sides encrypted by the SDK) rather than by presence.
    exact_admin_pass: bool,
    /// The Alibaba headers compared.
    alibaba_headers: &'static [&'static str],
}

impl Labels {
    const SPOTPLAN: Labels = Labels {
        ours: "Spotplan",
        sdk: "SDK",
        exact_admin_pass: false,
        alibaba_headers: &ALIBABA_HEADERS,
    };
    const SPOTPLAN_VS_LEGACY: Labels = Labels {
        ours: "Spotplan",
        sdk: "legacy SDK",
        exact_admin_pass: false,
        alibaba_headers: &ALIBABA_LEGACY_HEADERS,
    };
    const SNIPPET: Labels = Labels {
        ours: "snippet",
        sdk: "SDK",
        exact_admin_pass: true,
        alibaba_headers: &ALIBABA_HEADERS,
    };
}

/// Every difference between `ours` (Spotplan's request, or the snippet's) and `sdk` (capture_order.py's call), one
/// line each, naming the parameter and both values.
fn differences(cloud: Cloud, ours: &Sent, sdk: &Sent, labels: Labels) -> Vec<String> {
    let mut out = Vec::new();
    let (name, sdk_name) = (labels.ours, labels.sdk);
    if ours.method != sdk.method {
        out.push(format!("method: {name} {}, {sdk_name} {}", ours.method, sdk.method));
    }
    if ours.path != sdk.path {
        out.push(format!("path: {name} {}, {sdk_name} {}", ours.path, sdk.path));
    }
    match cloud {
        Cloud::Alibaba => {
            let ignored = |key: &str| ALIBABA_SIGNING_QUERY.contains(&key);
            compare_query(&ours.query, &sdk.query, &ignored, labels, &mut out);
            compare_headers(labels.alibaba_headers, ours, sdk, labels, &mut out);
            if !ours.body.is_empty() || !sdk.body.is_empty() {
                out.push(format!(
                    "body: {name} {:?}, {sdk_name} {:?} (both should be empty)",
                    ours.body, sdk.body
                ));
            }
        }
        Cloud::Tencent => {
            compare_query(&ours.query, &sdk.query, &|_| false, labels, &mut out);
            compare_headers(&TENCENT_HEADERS, ours, sdk, labels, &mut out);
            compare_json_bodies(ours, sdk, labels, &mut out, |_, _| {});
        }
        Cloud::Baidu => {
            compare_query(&ours.query, &sdk.query, &|_| false, labels, &mut out);
            if ours.query.len() != 1 || ours.query[0].0 != "clientToken" {
                out.push(format!("query: {name} {:?}, expected clientToken only", ours.query));
            }
            compare_json_bodies(ours, sdk, labels, &mut out, |ours_body, sdk_body| {
                excuse_baidu_defaults(ours_body, sdk_body);
                if !labels.exact_admin_pass {
                    // Spotplan cannot encrypt without the secret key: compare presence only.
                    let ours_has = ours_body
                        .as_object_mut()
                        .and_then(|map| map.remove("adminPass"))
                        .is_some();
                    let sdk_has = sdk_body
                        .as_object_mut()
                        .and_then(|map| map.remove("adminPass"))
                        .is_some();
                    if ours_has != sdk_has {
                        ours_body["adminPass(presence)"] = json!(ours_has);
                        sdk_body["adminPass(presence)"] = json!(sdk_has);
                    }
                }
            });
        }
    }
    out
}

/// Removes from the SDK's body the always-sent defaults of [`baidu_sdk_defaults`] that Spotplan omits.
fn excuse_baidu_defaults(ours: &mut Value, sdk: &mut Value) {
    let (Some(ours), Some(sdk)) = (ours.as_object(), sdk.as_object_mut()) else {
        return;
    };
    for (field, default, _reason) in baidu_sdk_defaults() {
        if !ours.contains_key(field) && sdk.get(field) == Some(&default) {
            sdk.remove(field);
        }
    }
}

fn compare_query(
    ours: &[(String, String)],
    sdk: &[(String, String)],
    ignored: &dyn Fn(&str) -> bool,
    labels: Labels,
    out: &mut Vec<String>,
) {
    let (name, sdk_name) = (labels.ours, labels.sdk);
    let as_map = |query: &[(String, String)], side: &str, out: &mut Vec<String>| {
        let mut map = BTreeMap::new();
        for (key, value) in query.iter().filter(|(key, _)| !ignored(key)) {
            if map.insert(key.clone(), value.clone()).is_some() {
                out.push(format!("query {key}: sent twice by {side}"));
            }
        }
        map
    };
    let ours = as_map(ours, name, out);
    let sdk = as_map(sdk, sdk_name, out);
    for key in ours.keys().chain(sdk.keys()).collect::<std::collections::BTreeSet<_>>() {
        match (ours.get(key), sdk.get(key)) {
            (Some(a), Some(b)) if a == b => {}
            (Some(a), Some(b)) => out.push(format!("query {key}: {name} {a:?}, {sdk_name} {b:?}")),
            (Some(a), None) => out.push(format!("query {key}: only {name} sends it ({a:?})")),
            (None, Some(b)) => out.push(format!("query {key}: only the {sdk_name} sends it ({b:?})")),
            (None, None) => {}
        }
    }
}

fn compare_headers(names: &[&str], ours: &Sent, sdk: &Sent, labels: Labels, out: &mut Vec<String>) {
    for header in names {
        let (a, b) = (ours.headers.get(*header), sdk.headers.get(*header));
        if a != b {
            out.push(format!("header {header}: {} {a:?}, {} {b:?}", labels.ours, labels.sdk));
        }
    }
}

/// Parses both bodies, drops nulls (null = absent), lets `adjust` excuse what it must, and lists every difference
/// by JSON pointer.
fn compare_json_bodies(
    ours: &Sent,
    sdk: &Sent,
    labels: Labels,
    out: &mut Vec<String>,
    adjust: impl FnOnce(&mut Value, &mut Value),
) {
    let (name, sdk_name) = (labels.ours, labels.sdk);
    let parse = |side: &str, text: &str, out: &mut Vec<String>| match serde_json::from_str::<Value>(text) {
        Ok(value) => Some(without_nulls(value)),
        Err(error) => {
            out.push(format!("body: {side}'s body is not JSON ({error}): {text:?}"));
            None
        }
    };
    let (Some(mut ours_body), Some(mut sdk_body)) = (parse(name, &ours.body, out), parse(sdk_name, &sdk.body, out))
    else {
        return;
    };
    adjust(&mut ours_body, &mut sdk_body);
    json_differences("", &ours_body, &sdk_body, labels, out);
}

fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, value)| !value.is_null())
                .map(|(key, value)| (key, without_nulls(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

fn json_differences(path: &str, ours: &Value, sdk: &Value, labels: Labels, out: &mut Vec<String>) {
    let (name, sdk_name) = (labels.ours, labels.sdk);
    match (ours, sdk) {
        (Value::Object(a), Value::Object(b)) => {
            for key in a.keys().chain(b.keys()).collect::<std::collections::BTreeSet<_>>() {
                let here = format!("{path}/{key}");
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => json_differences(&here, x, y, labels, out),
                    (Some(x), None) => out.push(format!("body {here}: only {name} sends it ({x})")),
                    (None, Some(y)) => out.push(format!("body {here}: only the {sdk_name} sends it ({y})")),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                out.push(format!(
                    "body {path}: {name} has {} items, {sdk_name} {}",
                    a.len(),
                    b.len()
                ));
            }
            for (index, (x, y)) in a.iter().zip(b).enumerate() {
                json_differences(&format!("{path}/{index}"), x, y, labels, out);
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(format!(
            "body {}: {name} {a}, {sdk_name} {b}",
            if path.is_empty() { "/" } else { path }
        )),
    }
}
