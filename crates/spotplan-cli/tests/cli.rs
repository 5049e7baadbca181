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

#[test]
fn every_shipped_example_validates_and_renders_every_format() {
    for cloud in ["alibaba", "tencent", "baidu"] {
        let path = format!("examples/orders/{cloud}.json");
        let output = spotplan(&["validate", &path]);
        assert_eq!(output.status.code(), Some(0), "{cloud}: {}", stdout(&output));
        for format in ["http", "curl", "cli", "python", "terraform", "wire"] {
            let output = spotplan(&["request", &path, "--format", format]);
            assert_eq!(
                output.status.code(),
                Some(0),
                "{cloud} {format}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            assert!(!stdout(&output).trim().is_empty());
        }
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
    assert!(
        text.contains("error: bid.max_price: SpotPriceLimit takes at most 3 decimal places"),
        "{text}"
    );
    let json = spotplan(&["validate", path.to_str().unwrap(), "--json"]);
    let problems: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(problems[0]["field"], "zone");
    let request = spotplan(&["request", path.to_str().unwrap()]);
    assert_eq!(request.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&request.stderr).contains("is not a valid order"));
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
}

#[test]
fn help_explains_each_command_with_an_example() {
    for command in ["compare", "validate", "request"] {
        let output = spotplan(&["help", command]);
        assert!(stdout(&output).contains("Example: spotplan"), "{command}");
    }
}
