//! The `spotplan` binary run as a person would: on the shipped example orders, a broken order, and a compare.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

use std::path::PathBuf;
use std::process::{Command, Output};

fn spotplan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spotplan"))
        .args(args)
        .current_dir(workspace())
        .output()
        .unwrap()
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Each text format of each shipped example: its exact first line and one exact line that carries the order (the
/// action, the bid or the ClientToken), so a format that prints the wrong thing, or another cloud's, fails.
const RENDERED: &[(&str, &str, &str, &str)] = &[
    (
        "alibaba",
        "http",
        "POST /?RegionId=cn-hangzhou&ZoneId=cn-hangzhou-k&InstanceType=ecs.c7.xlarge&ImageId=aliyun_3_x64_20G_alibase_20240819.vhd&InstanceChargeType=PostPaid&SpotStrategy=SpotWithPriceLimit&SpotPriceLimit=0.2&SpotDuration=1&SpotInterruptionBehavior=Terminate&Amount=10&MinAmount=5&VSwitchId=vsw-bp1s5fnvk4gn2tws03624&SecurityGroupId=sg-bp15ed6xe1yxeycg7o3n&InternetMaxBandwidthOut=0&SystemDisk.Category=cloud_essd&SystemDisk.Size=40&DataDisk.1.Category=cloud_essd&DataDisk.1.Size=100&KeyPairName=batch-workers&InstanceName=render-worker&HostName=render-worker&Tag.1.Key=project&Tag.1.Value=%E6%B8%B2%E6%9F%93%20batch%2042&Tag.2.Key=owner&Tag.2.Value=ops%20team&UserData=IyEvYmluL3NoCmVjaG8gcmVhZHkK&ClientToken=spotplan-00000000-0000-4000-8000-000000000000 HTTP/1.1",
        "x-acs-action: RunInstances",
    ),
    (
        "alibaba",
        "curl",
        "# Submits through the local Spotplan proxy; it signs with your credentials.",
        r#"    "max_price": "0.2","#,
    ),
    (
        "alibaba",
        "cli",
        r"aliyun ecs RunInstances \",
        r"  --SpotPriceLimit 0.2 \",
    ),
    (
        "alibaba",
        "python",
        "# pip install alibabacloud_ecs20140526",
        "    spot_price_limit=0.2,",
    ),
    (
        "alibaba",
        "terraform",
        r#"provider "alicloud" {"#,
        "  spot_price_limit = 0.2",
    ),
    ("tencent", "http", "POST / HTTP/1.1", "x-tc-action: RunInstances"),
    (
        "tencent",
        "curl",
        "# Submits through the local Spotplan proxy; it signs with your credentials.",
        r#"    "max_price": "0.14""#,
    ),
    (
        "tencent",
        "cli",
        r"tccli cvm RunInstances --cli-unfold-argument \",
        r"  --InstanceMarketOptions.SpotOptions.MaxPrice 0.14 \",
    ),
    (
        "tencent",
        "python",
        "# pip install tencentcloud-sdk-python-cvm",
        r#"            "MaxPrice": "0.14","#,
    ),
    (
        "tencent",
        "terraform",
        r#"provider "tencentcloud" {"#,
        r#"  spot_max_price = "0.14""#,
    ),
    (
        "baidu",
        "http",
        "POST /v2/instance/bid?clientToken=spotplan-00000000-0000-4000-8000-000000000000 HTTP/1.1",
        "host: bcc.bj.baidubce.com",
    ),
    (
        "baidu",
        "curl",
        "# Submits through the local Spotplan proxy; it signs with your credentials.",
        r#"    "max_price": "0.0052""#,
    ),
    (
        "baidu",
        "cli",
        "# Baidu's bce CLI has no command for spot (bid) instances; this is the official Python SDK",
        r#"    bid_price="0.0052","#,
    ),
    (
        "baidu",
        "python",
        "# pip install bce-python-sdk",
        r#"    bid_price="0.0052","#,
    ),
    (
        "baidu",
        "terraform",
        "# The Baidu Cloud Terraform provider (baidubce/baiducloud) has no spot (bid) instance support:",
        "# curl, Python SDK or raw HTTP formats to place this order.",
    ),
];

/// The wire format of each shipped example: what the cloud receives.
struct Wire {
    cloud: &'static str,
    action: &'static str,
    host: &'static str,
    path: &'static str,
    /// The bid, as a `name=value` query pair (Alibaba) or as it appears in the JSON body.
    bid: &'static str,
}

const WIRE: &[Wire] = &[
    Wire {
        cloud: "alibaba",
        action: "RunInstances",
        host: "ecs-cn-hangzhou.aliyuncs.com",
        path: "/",
        bid: "SpotPriceLimit=0.2",
    },
    Wire {
        cloud: "tencent",
        action: "RunInstances",
        host: "cvm.tencentcloudapi.com",
        path: "/",
        bid: r#""MaxPrice":"0.14""#,
    },
    Wire {
        cloud: "baidu",
        action: "CreateBidInstance",
        host: "bcc.bj.baidubce.com",
        path: "/v2/instance/bid",
        bid: r#""bidPrice":"0.0052""#,
    },
];

fn request(cloud: &str, format: &str) -> String {
    let path = format!("examples/orders/{cloud}.json");
    let output = spotplan(&[
        "request",
        &path,
        "--format",
        format,
        "--idempotency-key",
        "00000000-0000-4000-8000-000000000000",
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{cloud} {format}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout(&output)
}

#[test]
fn every_shipped_example_validates_and_renders_every_format() {
    for cloud in ["alibaba", "tencent", "baidu"] {
        let path = format!("examples/orders/{cloud}.json");
        let output = spotplan(&["validate", &path]);
        assert_eq!(output.status.code(), Some(0), "{cloud}: {}", stdout(&output));
    }
    for (cloud, format, first, line) in RENDERED {
        let text = request(cloud, format);
        assert_eq!(text.lines().next(), Some(*first), "{cloud} {format}:\n{text}");
        assert!(
            text.lines().any(|candidate| candidate == *line),
            "{cloud} {format} has no line `{line}`:\n{text}"
        );
    }
    for expected in WIRE {
        let cloud = expected.cloud;
        let wire: serde_json::Value = serde_json::from_str(&request(cloud, "wire")).unwrap();
        let field = |name: &str| wire[name].as_str().unwrap_or_default().to_owned();
        assert_eq!(
            [
                field("method"),
                field("scheme"),
                field("action"),
                field("host"),
                field("path")
            ],
            ["POST", "https", expected.action, expected.host, expected.path],
            "{cloud}"
        );
        // The bid travels in the query (Alibaba) or in the JSON body, which the wire format gives as bytes.
        let query: Vec<String> = wire["query"]
            .as_array()
            .unwrap()
            .iter()
            .map(|pair| format!("{}={}", pair[0].as_str().unwrap(), pair[1].as_str().unwrap()))
            .collect();
        let body: Vec<u8> = wire["body"]
            .as_array()
            .unwrap()
            .iter()
            .map(|byte| u8::try_from(byte.as_u64().unwrap()).unwrap())
            .collect();
        let body = String::from_utf8(body).unwrap();
        assert!(
            query.iter().any(|pair| pair == expected.bid) || body.contains(expected.bid),
            "{cloud}: the wire request carries no `{}`: {query:?} {body}",
            expected.bid
        );
    }
}

#[test]
fn a_bad_order_exits_1_naming_field_rule_and_code() {
    let dir = std::env::temp_dir().join(format!("spotplan-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.json");
    let mut order: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(workspace().join("examples/orders/alibaba.json")).unwrap())
            .unwrap();
    order["bid"]["max_price"] = "0.1234".into();
    order.as_object_mut().unwrap().remove("zone");
    std::fs::write(&path, order.to_string()).unwrap();
    let output = spotplan(&["validate", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains("error: zone: Alibaba needs a zone (ZoneId)"), "{text}");
    assert!(text.contains("[prevents InvalidSpotParam.EmptyZoneID]"), "{text}");
    // Each error names where its rule comes from.
    assert!(
        text.contains(
            "    source: RunInstances API reference (older edition), error InvalidSpotParam.EmptyZoneID: \"ZoneId is \
             empty when SpotStrategy is set\""
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "    source: alibabacloud-ecs20140526 7.11.8, RunInstancesRequest.spot_price_limit docstring: \"The value \
             can have up to three decimal places\""
        ),
        "{text}"
    );
    assert!(
        text.contains("error: bid.max_price: SpotPriceLimit takes at most 3 decimal places"),
        "{text}"
    );
    let json = spotplan(&["validate", path.to_str().unwrap(), "--json"]);
    let problems: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(problems[0]["field"], "zone");
    assert!(
        problems[0]["source"]
            .as_str()
            .unwrap()
            .contains("InvalidSpotParam.EmptyZoneID")
    );
    let request = spotplan(&[
        "request",
        path.to_str().unwrap(),
        "--idempotency-key",
        "7a4c9e10-0000-4000-8000-000000000cli",
    ]);
    assert_eq!(request.status.code(), Some(1), "as validate");
    assert!(String::from_utf8_lossy(&request.stderr).contains("is not a valid order"));
    // A warning goes with the request printed: a market bid's max_price is not sent, and the person is told.
    order["zone"] = "cn-hangzhou-k".into();
    order["bid"]["mode"] = "market".into();
    order["bid"]["max_price"] = "0.2".into();
    std::fs::write(&path, order.to_string()).unwrap();
    let warned = spotplan(&[
        "request",
        path.to_str().unwrap(),
        "--format",
        "cli",
        "--idempotency-key",
        "7a4c9e10-0000-4000-8000-000000000cl2",
    ]);
    let said = String::from_utf8_lossy(&warned.stderr);
    assert_eq!(warned.status.code(), Some(0), "{said}");
    assert!(said.contains("⚠ bid.max_price: "), "{said}");
    assert!(!stdout(&warned).contains("SpotPriceLimit"), "{}", stdout(&warned));
}

#[test]
fn validate_compares_a_bid_with_a_price_in_another_currency_at_the_rate_given() {
    let dir = std::env::temp_dir().join(format!("spotplan-cli-currency-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("international.json");
    let mut order: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(workspace().join("examples/orders/tencent.json")).unwrap())
            .unwrap();
    order["account_currency"] = "USD".into();
    order["bid"]["max_price"] = "0.05".into();
    std::fs::write(&path, order.to_string()).unwrap();
    let path = path.to_str().unwrap();
    // 0.7 CNY at 7 CNY per USD is 0.1 USD: the bid of 0.05 USD is below it.
    let args = [
        "validate",
        path,
        "--market-price",
        "0.7",
        "--quote-currency",
        "CNY",
        "--cny-per-usd",
        "7",
    ];
    let text = stdout(&spotplan(&args));
    assert!(
        text.contains("MaxPrice 0.05 USD is below the market price 0.1 USD per hour (given on the command line; converted from 0.7 CNY at 7 CNY per USD"),
        "{text}"
    );
    // A price given without a currency is in the account's (USD here): 0.05 USD is above 0.04 USD.
    let text = stdout(&spotplan(&["validate", path, "--market-price", "0.04"]));
    assert!(text.contains("no problems"), "0.05 USD is above 0.04 USD: {text}");
    let wrong = spotplan(&["validate", path, "--market-price", "1", "--quote-currency", "EUR"]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("--quote-currency `EUR` is not CNY or USD"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_token_goes_only_to_a_proxy_on_this_machine_and_an_order_id_names_no_other_route() {
    // A listener that records whether anything connected: nothing may, for any of the refusals below.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_spotplan"))
            .args(args)
            .env("SPOTPLAN_TOKEN", "a-token-that-must-not-leave-this-machine")
            .env_remove("SPOTPLAN_PROXY_URL")
            .output()
            .unwrap()
    };
    for url in [
        format!("http://127.0.0.1:{port}@evil.example/"),
        format!("http://evil.example:{port}/"),
        format!("http://127.0.0.1:{port}/elsewhere"),
        format!("https://127.0.0.1:{port}/"),
        format!("http://user:pass@127.0.0.1:{port}/"),
    ] {
        let output = run(&["instances", "--proxy-url", &url]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{url}: {stderr}");
        assert!(
            stderr.contains("--proxy-url (or SPOTPLAN_PROXY_URL)"),
            "{url}: {stderr}"
        );
    }
    for id in ["../fleets/flt-1/stop?", "ord-1/../../fleets", "flt-1", "ord-"] {
        let output = run(&["lookup", id, "--proxy-url", &format!("http://127.0.0.1:{port}")]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{id}: {stderr}");
        assert!(
            stderr.contains("ORDER_ID") && stderr.contains("an order id is `ord-`"),
            "{id}: {stderr}"
        );
    }
    assert!(listener.accept().is_err(), "nothing reached the port");
}

#[test]
fn a_rate_probability_or_price_outside_its_range_is_refused_naming_the_flag() {
    for (args, flag, said) in [
        (
            &["compare", "--cny-per-usd", "0"][..],
            "--cny-per-usd",
            "yuan per US dollar is outside 1–100",
        ),
        // An inverted rate (dollars per yuan) is a slip, not a rate: the proxy refuses it too.
        (
            &["compare", "--cny-per-usd", "0.14"][..],
            "--cny-per-usd",
            "yuan per US dollar is outside 1–100",
        ),
        (
            &["compare", "--cny-per-usd", "7.00000000000000000000000000001"][..],
            "--cny-per-usd",
            "more digits than a decimal holds exactly",
        ),
        (
            &[
                "request",
                "examples/orders/tencent.json",
                "--format",
                "curl",
                "--idempotency-key",
                "abcdefgh-1234",
                "--proxy-url",
                "not a url",
            ][..],
            "--proxy-url",
            "`not a url` is not a proxy's address",
        ),
        (
            &["compare", "--max-interruption", "10"][..],
            "--max-interruption",
            "must be from 0 to 1",
        ),
        (
            &["compare", "--memory=-8"][..],
            "--memory",
            "is not a plain decimal number",
        ),
        (
            &["fleet", "--count", "2", "--cap", "0_2"][..],
            "--cap",
            "is not a plain decimal number",
        ),
        // A requirement no offer can meet is said, not answered "0 offers match".
        (
            &["compare", "--vcpu", "8", "--vcpu-max", "4"][..],
            "--vcpu 8 is above --vcpu-max 4",
            "no offer can match",
        ),
        (
            &["compare", "--memory", "16", "--memory-max", "8"][..],
            "--memory 16 is above --memory-max 8",
            "no offer can match",
        ),
        (
            &["compare", "--region", "cn-hangzou"][..],
            "--region `cn-hangzou`",
            "is no region or zone of the embedded catalog",
        ),
        (&["compare", "--count", "0"][..], "--count 0", "at least one"),
        // A key the proxy would refuse, or one that cannot travel in a header, is refused before anything is sent.
        (
            &[
                "release",
                "--order",
                "ord-1a2b3c4d5e6f7a8b",
                "--yes",
                "--idempotency-key",
                "abcdefgh\n1234",
            ][..],
            "--idempotency-key",
            "must be 8–48 characters",
        ),
        (
            &["release", "--all", "--yes", "--idempotency-key", "short"][..],
            "--idempotency-key",
            "`short`",
        ),
        (
            &[
                "fleet",
                "--count",
                "3",
                "--strategy",
                "diversified",
                "--max-per-pool",
                "0",
            ][..],
            "--max-per-pool",
            "0 is not in 1..",
        ),
        (
            &["fleet", "--count", "3", "--min-pools", "0"][..],
            "--min-pools",
            "0 is not in 1..",
        ),
        (
            &["fleet", "--count", "3", "--checkpoint-minutes", "0"][..],
            "--checkpoint-minutes",
            "0 is not in 1..",
        ),
    ] {
        let output = spotplan(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(flag) && stderr.contains(said), "{args:?}: {stderr}");
    }
}

#[test]
fn unreadable_and_malformed_files_get_clear_errors() {
    let output = spotplan(&["validate", "no/such/order.json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read order file no/such/order.json"));
    let output = spotplan(&["validate", "Cargo.toml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not a Spotplan order"));
}

#[test]
fn compare_ranks_the_embedded_catalog_as_json() {
    let output = spotplan(&[
        "compare", "--vcpu", "4", "--memory", "8", "--count", "10", "--hours", "72", "--area", "china", "--limit", "3",
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let rows: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 3);
    assert_eq!(rows[0]["vcpu"], 4);
    let output = spotplan(&["compare", "--cloud", "aws"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--cloud `aws` is not alibaba, tencent or baidu"));
    for hours in ["0", "1e30", "87601"] {
        let output = spotplan(&["compare", "--hours", hours]);
        assert_eq!(output.status.code(), Some(2), "{hours}");
        let said = String::from_utf8_lossy(&output.stderr);
        assert!(
            said.contains(&format!(
                "`{hours}` is not a number of hours above 0 and at most 87600 (ten years)"
            )),
            "{said}"
        );
    }
}

#[test]
fn help_explains_each_command_with_an_example() {
    for command in ["compare", "validate", "request"] {
        let output = spotplan(&["help", command]);
        assert!(stdout(&output).contains("Example: spotplan"), "{command}");
    }
}

#[test]
fn fleet_spreads_a_target_by_strategy_and_writes_alibabas_own_group_request() {
    let output = spotplan(&[
        "fleet",
        "--vcpu",
        "4",
        "--memory",
        "8",
        "--count",
        "20",
        "--hours",
        "48",
        "--area",
        "china",
        "--strategy",
        "diversified",
        "--min-pools",
        "3",
        "--max-per-pool",
        "5",
        "--cap",
        "0.2",
        "--ceiling",
        "5",
    ]);
    let text = stdout(&output);
    assert!(output.status.success(), "{text}");
    // Five a pool at most: four pools of five, each with its reason.
    let rows: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("spread over 4 pools"))
        .collect();
    assert_eq!(rows.len(), 4, "{text}");
    assert!(
        rows.iter().all(|row| row.split_whitespace().nth(3) == Some("5")),
        "{text}"
    );
    assert!(
        text.contains("with reclaims: unknown"),
        "no pool has a known risk: {text}"
    );
    // A ceiling the bids exceed is a problem, with exit code 1.
    let over = spotplan(&[
        "fleet",
        "--vcpu",
        "4",
        "--memory",
        "8",
        "--count",
        "20",
        "--hours",
        "48",
        "--area",
        "china",
        "--cap",
        "0.2",
        "--ceiling",
        "1",
    ]);
    assert_eq!(over.status.code(), Some(1), "{}", stdout(&over));
    assert!(stdout(&over).contains("problem: ceiling_per_hour"), "{}", stdout(&over));
    // Alibaba's own group for an Alibaba fleet in one region, with a placeholder for what is not given yet.
    let alibaba_fleet = |count: &str, more: &[&str]| {
        let mut args = vec![
            "fleet",
            "--vcpu",
            "4",
            "--memory",
            "8",
            "--count",
            count,
            "--hours",
            "48",
            "--cloud",
            "alibaba",
            "--region",
            "cn-hangzhou",
        ];
        args.extend_from_slice(more);
        spotplan(&args)
    };
    let group = alibaba_fleet(
        "6",
        &[
            "--cap",
            "0.3",
            "--apg",
            "python",
            "--client-token",
            "fleet-2026-12-02-a",
        ],
    );
    let python = stdout(&group);
    assert!(group.status.success(), "{python}");
    assert!(python.contains("client_token=\"fleet-2026-12-02-a\""), "{python}");
    assert!(
        python.contains("ecs_models.CreateAutoProvisioningGroupRequest("),
        "{python}"
    );
    assert!(python.contains("total_target_capacity=\"6\""), "{python}");
    assert!(python.contains("image_id=\"<ImageId>\""), "{python}");
    // No token, or a plan over its ceiling: no request is printed.
    let no_token = alibaba_fleet("6", &["--cap", "0.3", "--apg", "python"]);
    assert_eq!(no_token.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_token.stderr).contains("--apg needs --client-token TOKEN"));
    assert!(stdout(&no_token).is_empty());
    let over_group = alibaba_fleet(
        "20",
        &[
            "--cap",
            "0.2",
            "--ceiling",
            "1",
            "--apg",
            "http",
            "--client-token",
            "fleet-over-1",
        ],
    );
    assert_eq!(over_group.status.code(), Some(1));
    let said = String::from_utf8_lossy(&over_group.stderr);
    assert!(
        said.contains("ceiling_per_hour") && said.contains("no group request printed"),
        "{said}"
    );
    assert!(stdout(&over_group).is_empty(), "{}", stdout(&over_group));
    // A cap in USD: sent in CNY to a China-site account (0.0501 × 7.2, rounded up to Alibaba's 3 decimals), in USD
    // as typed to an account billed in USD.
    let max_prices = |more: &[&str]| {
        let mut args = vec![
            "--currency",
            "USD",
            "--cny-per-usd",
            "7.2",
            "--cap",
            "0.0501",
            "--apg",
            "http",
            "--client-token",
            "fleet-usd-1",
        ];
        args.extend_from_slice(more);
        let output = alibaba_fleet("6", &args);
        assert!(output.status.success(), "{}", stdout(&output));
        let mut prices: Vec<String> = stdout(&output)
            .split(['&', '\n', '?'])
            .filter_map(|part| part.split_once("MaxPrice=").map(|(_, price)| price.trim().to_owned()))
            .collect();
        prices.dedup();
        prices
    };
    assert_eq!(max_prices(&[]), ["0.361"]);
    assert_eq!(max_prices(&["--account-currency", "alibaba:USD"]), ["0.051"]);
    let bad = alibaba_fleet("6", &["--account-currency", "alibaba-USD"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("`alibaba-USD` is not CLOUD:CURRENCY"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

/// A lookup that finds no instance while the order stays unknown (the cloud's tag list may lag behind an order it
/// is still creating) exits 3 and says nothing can be concluded — not 1, "none exists", which a script would take
/// as leave to place the order anew.
#[test]
fn a_lookup_that_finds_nothing_yet_is_not_read_as_nothing_exists() {
    let answer = |status: &str| serde_json::json!({ "record": order_record(status, &[]), "found": [] }).to_string();
    for (status, code, said) in [
        ("unknown", 3, "nothing can be concluded now"),
        ("not_found", 1, "it is now not_found"),
    ] {
        let output = against_stub_proxy(&["lookup", "ord-1a2b3c4d5e6f7a8b"], vec![Some(answer(status))]);
        let said_out = stdout(&output);
        assert_eq!(
            output.status.code(),
            Some(code),
            "{status}: {said_out} {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(said_out.contains(said), "{status}: {said_out}");
        assert_eq!(
            said_out.contains("created none"),
            status == "not_found",
            "{status}: {said_out}"
        );
    }
}

/// The stub proxy's record of order `ord-1a2b3c4d5e6f7a8b` in `status`, with `instance_ids`.
fn order_record(status: &str, instance_ids: &[&str]) -> serde_json::Value {
    serde_json::json!({
        "id": "ord-1a2b3c4d5e6f7a8b", "idempotency_key": "k-lookup-0001", "cloud": "tencent",
        "region": "ap-guangzhou", "dry_run": false, "status": status, "client_token": "spotplan-k-lookup-0001",
        "order": {}, "quoted_price": null, "request": null, "response": null, "cloud_request_id": null,
        "instance_ids": instance_ids, "cloud_order_id": null, "error_code": null, "error_message": null, "hint": null,
        "attempts": 1, "created_at_ms": 1, "finished_at_ms": 2, "upstream_us": null,
        "may_have_reached_cloud": true, "max_cost_per_hour": null, "placed_by": null
    })
}

/// A lookup the cloud could not answer (502 `lookup_failed`) leaves the order unknown: exit 3, not an error's 2
/// that a script may read as "give up". An order settled before the lookup is reported by its record: succeeded
/// exits 0 with its instances, `not_found` 1.
#[test]
fn a_failed_lookup_stays_unknown_and_a_settled_order_is_read_from_its_record() {
    let error = |status: u16, code: &str, message: &str| {
        Some((
            status,
            serde_json::json!({ "error": { "code": code, "message": message } }).to_string(),
        ))
    };
    let failed = against_stub_proxy_with_status(
        &["lookup", "ord-1a2b3c4d5e6f7a8b"],
        vec![error(
            502,
            "lookup_failed",
            "Tencent Cloud could not be asked for order ord-1a2b3c4d5e6f7a8b's instances: timed out; its outcome is \
             still unknown",
        )],
    );
    let said = stdout(&failed);
    assert_eq!(
        failed.status.code(),
        Some(3),
        "{said} {}",
        String::from_utf8_lossy(&failed.stderr)
    );
    assert!(
        said.contains("lookup_failed") && said.contains("the order stays unknown"),
        "{said}"
    );
    for (status, ids, code, said_of_it) in [
        ("succeeded", vec!["ins-found001"], 0, "the order is succeeded"),
        ("not_found", vec![], 1, "the order is not_found"),
    ] {
        let settled = against_stub_proxy_with_status(
            &["lookup", "ord-1a2b3c4d5e6f7a8b"],
            vec![
                error(409, "order_not_unknown", "order ord-1a2b3c4d5e6f7a8b is settled"),
                Some((200, order_record(status, &ids).to_string())),
            ],
        );
        let said = stdout(&settled);
        assert_eq!(
            settled.status.code(),
            Some(code),
            "{status}: {said} {}",
            String::from_utf8_lossy(&settled.stderr)
        );
        assert!(
            said.contains("already settled") && said.contains(said_of_it),
            "{status}: {said}"
        );
        assert_eq!(said.contains("ins-found001"), status == "succeeded", "{said}");
    }
}

/// An instance whose release went out with no outcome yet is not "nothing to release" (exit 0): it may still
/// bill, so `release` names it and exits 3.
#[test]
fn an_instance_whose_release_is_out_is_named_as_not_known_yet() {
    let mut book: serde_json::Value = serde_json::from_str(&book_of_one_order()).unwrap();
    book["instances"][0]["state"] = serde_json::json!("releasing");
    let output = against_stub_proxy(
        &["release", "--order", "ord-1a2b3c4d5e6f7a8b", "--yes"],
        vec![Some(book.to_string()), Some(health(None))],
    );
    let said = stdout(&output);
    assert_eq!(
        output.status.code(),
        Some(3),
        "{said} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        said.contains("tencent:ins-cli00001: a release was sent and its outcome is not known yet"),
        "{said}"
    );
    assert!(!said.contains("nothing to release"), "{said}");
}

/// `request` needs an idempotency key (one per order: a fixed default would make a second order a "retry" of the
/// first at the cloud), and its wire format never prints the instance's password.
#[test]
fn request_needs_a_key_and_its_wire_format_never_prints_the_password() {
    for price in ["0", "-0.1"] {
        let zero = spotplan(&[
            "validate",
            "examples/orders/alibaba.json",
            &format!("--market-price={price}"),
        ]);
        assert_eq!(zero.status.code(), Some(2), "{price}");
        assert!(
            String::from_utf8_lossy(&zero.stderr).contains("--market-price"),
            "{price}"
        );
    }
    let without = spotplan(&["request", "examples/orders/alibaba.json", "--format", "cli"]);
    assert_eq!(without.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&without.stderr).contains("--idempotency-key"));
    let dir = std::env::temp_dir().join(format!("spotplan-cli-wire-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for cloud in ["alibaba", "tencent"] {
        let mut order: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(format!(
                "{}/../../examples/orders/{cloud}.json",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap(),
        )
        .unwrap();
        order["login"] = serde_json::json!({ "password": "Zz9!secretpw" });
        let path = dir.join(format!("{cloud}.json"));
        std::fs::write(&path, order.to_string()).unwrap();
        let wire = spotplan(&[
            "request",
            path.to_str().unwrap(),
            "--format",
            "wire",
            "--idempotency-key",
            "7a4c9e10-0000-4000-8000-00000000wire",
        ]);
        assert_eq!(
            wire.status.code(),
            Some(0),
            "{cloud}: {}",
            String::from_utf8_lossy(&wire.stderr)
        );
        assert!(!stdout(&wire).contains("Zz9!secretpw"), "{cloud}: {}", stdout(&wire));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Each spot figure `compare` prints says where it comes from and how old it is: a quote's date and source, an
/// estimate as an estimate with the age of the list price it is taken from.
#[test]
fn compare_names_each_spot_figures_source_and_age() {
    let output = spotplan(&[
        "compare", "--vcpu", "4", "--memory", "8", "--count", "2", "--hours", "10", "--area", "china",
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = stdout(&output);
    assert!(
        text.lines()
            .any(|line| line.contains("observed 2024-10-09 (Alibaba Cloud price data from")),
        "{text}"
    );
    assert!(
        text.lines()
            .filter(|line| line.contains(" tencent "))
            .all(
                |line| line.contains("estimate: ") && line.contains("% of a list price ") || line.contains("observed ")
            ),
        "{text}"
    );
}

/// A release that gets no answer says it may or may not have gone out and names the key to retry it with — not
/// "nothing was sent".
#[test]
fn a_release_without_an_answer_names_its_key_and_claims_nothing() {
    // The proxy lists nothing, then takes the release and closes without an answer.
    let output = against_stub_proxy(
        &[
            "release",
            "--order",
            "ord-1a2b3c4d5e6f7a8b",
            "--yes",
            "--idempotency-key",
            "release-cli-00000001",
        ],
        vec![Some(book_of_one_order()), Some(health(None)), None],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("may or may not have gone out"), "{stderr}");
    assert!(stderr.contains("--idempotency-key release-cli-00000001"), "{stderr}");
}

/// The stub proxy's book: one running Tencent instance of order `ord-1a2b3c4d5e6f7a8b`, placed by alice.
fn book_of_one_order() -> String {
    serde_json::json!({
        "instances": [{
            "cloud": "tencent", "id": "ins-cli00001", "order_id": "ord-1a2b3c4d5e6f7a8b", "region": "ap-guangzhou",
            "zone": "ap-guangzhou-6", "instance_type": "S5.LARGE8", "state": "running", "cloud_state": "RUNNING",
            "placed_at_ms": 0, "running_since_ms": 0, "last_seen_ms": 1, "checked_at_ms": 1,
            "cost_so_far": { "amount": "0.5", "currency": "CNY" }, "placed_by": "alice"
        }],
        "now_ms": 1
    })
    .to_string()
}

/// The stub proxy's health answer for a caller (`person` in team mode).
fn health(person: Option<&str>) -> String {
    let mut health = serde_json::json!({
        "service": "spotplan-proxy", "version": "0", "signed_in": true, "clouds": [],
        "spend": { "max_order_per_hour": null, "max_spend_per_hour": null, "max_instances_per_order": 100 }
    });
    if let Some(person) = person {
        health["person"] = serde_json::json!(person);
    }
    health.to_string()
}

/// A mistyped order id says so (exit 2), not "nothing to release" with a clean exit; another person's order is
/// theirs to release, refused before anything is sent; a server fault after the release was sent, and an
/// outcome not known yet, exit 3 — "retry with the key", not the refusal's 1 nor an error's 2.
#[test]
fn a_release_names_a_mistyped_order_refuses_anothers_and_exits_3_when_it_may_have_gone_out() {
    let release = |order: &str, answers: Vec<Option<String>>| {
        against_stub_proxy(
            &[
                "release",
                "--order",
                order,
                "--yes",
                "--idempotency-key",
                "release-cli-00000002",
            ],
            answers,
        )
    };
    let typo = release(
        "ord-1a2b3c4d5e6f7a8",
        vec![Some(book_of_one_order()), Some(health(None))],
    );
    let said = String::from_utf8_lossy(&typo.stderr);
    assert_eq!(typo.status.code(), Some(2), "{said}");
    assert!(
        said.contains("--order ord-1a2b3c4d5e6f7a8: no instance of that order"),
        "{said}"
    );
    let bobs = release(
        "ord-1a2b3c4d5e6f7a8b",
        vec![Some(book_of_one_order()), Some(health(Some("bob")))],
    );
    let said = String::from_utf8_lossy(&bobs.stderr);
    assert_eq!(bobs.status.code(), Some(2), "{said}");
    assert!(said.contains("tencent:ins-cli00001: not placed by bob"), "{said}");
    let unknown = release(
        "ord-1a2b3c4d5e6f7a8b",
        vec![
            Some(book_of_one_order()),
            Some(health(Some("alice"))),
            Some(
                serde_json::json!({
                    "idempotency_key": "release-cli-00000002",
                    "outcomes": [{ "cloud": "tencent", "id": "ins-cli00001", "result": "unknown" }],
                    "replayed": false
                })
                .to_string(),
            ),
        ],
    );
    assert_eq!(unknown.status.code(), Some(3), "{}", stdout(&unknown));
    assert!(
        stdout(&unknown).contains("tencent:ins-cli00001: unknown"),
        "{}",
        stdout(&unknown)
    );
}

/// Runs `spotplan args…` against a stub proxy that answers its connections in turn: each with its JSON body, or
/// (`None`) by closing without an answer once it has read the request.
fn against_stub_proxy(args: &[&str], answers: Vec<Option<String>>) -> Output {
    let answers = answers.into_iter().map(|body| body.map(|body| (200, body))).collect();
    against_stub_proxy_with_status(args, answers)
}

/// [`against_stub_proxy`] with each answer's HTTP status.
fn against_stub_proxy_with_status(args: &[&str], answers: Vec<Option<(u16, String)>>) -> Output {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        for answer in answers {
            let (mut connection, _) = listener.accept().unwrap();
            let mut request = [0u8; 8192];
            let _ = connection.read(&mut request).unwrap();
            if let Some((status, body)) = answer {
                let reply = format!(
                    "HTTP/1.1 {status} Stub\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                connection.write_all(reply.as_bytes()).unwrap();
            }
        }
    });
    let output = Command::new(env!("CARGO_BIN_EXE_spotplan"))
        .args(args)
        .args(["--proxy-url", &format!("http://127.0.0.1:{port}")])
        .env("SPOTPLAN_TOKEN", "a-token-for-the-stub")
        .env_remove("SPOTPLAN_PROXY_URL")
        .output()
        .unwrap();
    server.join().unwrap();
    output
}
