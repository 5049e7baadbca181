//! Snapshot tests of every format for the shipped example orders and an order full of awkward values, plus
//! checks that the quoting survives a round trip. Snapshots live in `snapshots/`; review changes with
//! `cargo insta review` (they are never written on CI).

use super::*;
use crate::clouds::Cloud;
use crate::order::model::{SpotOrder, Tag};
use crate::order::tests::example;
use crate::order::{ValidationContext, validate};

fn options() -> SnippetOptions {
    SnippetOptions {
        client_token: "spotplan-0b7e2c".into(),
        idempotency_key: "0b7e2c61-5d4e-4f7a-9c1b-2f0d8e6a4b13".into(),
        proxy_url: "http://127.0.0.1:8787".into(),
    }
}

fn valid(order: &SpotOrder) -> ValidOrder {
    let validation = validate(order, &ValidationContext::default());
    validation.valid.unwrap_or_else(|| panic!("{:#?}", validation.problems))
}

/// Chinese names, tags with spaces, `=`, `&`, `+`, `*`, `~`, `/`, quotes, `$`, emoji, and a password.
fn awkward(cloud: Cloud) -> SpotOrder {
    let mut order = example(cloud);
    order.tags = vec![
        Tag {
            key: "项目".into(),
            value: "渲染 任务 #42".into(),
        },
        Tag {
            key: "expr".into(),
            value: "a=b&c+d*e~f/g".into(),
        },
        Tag {
            key: "quote".into(),
            value: "it's \"$HOME\" `x` ${y} 🚀".into(),
        },
        Tag {
            key: "empty".into(),
            value: String::new(),
        },
    ];
    order.name = Some(match cloud {
        Cloud::Baidu => "worker-渲染".into(),
        _ => "渲染节点 ✓".into(),
    });
    order.login.key_pair = None;
    order.login.password = Some(if cloud == Cloud::Baidu {
        "Spot2026!".into()
    } else {
        "Spot-2026!pw".into()
    });
    order.dry_run = cloud != Cloud::Baidu;
    order
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn every_format_of_every_example() {
    for cloud in Cloud::ALL {
        for (label, order) in [("example", example(cloud)), ("awkward", awkward(cloud))] {
            let valid = valid(&order);
            for snippet in render_all(&valid, &options()) {
                let name = format!("{}_{label}_{}", cloud.id(), snippet.format.id());
                insta::assert_snapshot!(name, snippet.text);
            }
        }
    }
}

#[test]
fn no_snippet_contains_a_password() {
    for cloud in Cloud::ALL {
        let order = awkward(cloud);
        let password = order.login.password.clone().unwrap();
        for snippet in render_all(&valid(&order), &options()) {
            assert!(
                !snippet.text.contains(&password),
                "{cloud} {:?} leaks the password",
                snippet.format
            );
        }
    }
}

#[test]
fn the_curl_body_parses_back_to_the_order() {
    for cloud in Cloud::ALL {
        let order = example(cloud);
        let snippet = render(&valid(&order), Format::Curl, &options());
        let text = &snippet.text;
        // The token's here-document on descriptor 3 comes first, then the body's.
        let token_doc = "X-Spotplan-Token: $SPOTPLAN_TOKEN\nSPOTPLAN_TOKEN_HEADER\n";
        let body = match text.split_once("<<'JSON'\n") {
            // Quoted here-document: the shell passes the text as is.
            Some((_, rest)) => rest
                .strip_prefix(token_doc)
                .unwrap()
                .split("\nJSON\n")
                .next()
                .unwrap()
                .to_owned(),
            // Unquoted (a password variable to expand): undo the escapes the shell would undo, expand the variable.
            None => {
                let rest = text.split_once("<<JSON\n").unwrap().1;
                let rest = rest.strip_prefix(token_doc).unwrap().split("\nJSON\n").next().unwrap();
                let password = order.login.password.clone().unwrap();
                rest.replace(&format!("${{{PASSWORD_ENV}}}"), &password)
                    .replace("\\$", "$")
                    .replace("\\`", "`")
                    .replace("\\\\", "\\")
            }
        };
        let parsed: SpotOrder = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed, order, "{cloud}");
    }
}

#[test]
fn the_raw_http_query_decodes_back_to_the_request() {
    let order = awkward(Cloud::Alibaba);
    let valid = valid(&order);
    let snippet = render(&valid, Format::Http, &options());
    let first_line = snippet.text.lines().next().unwrap();
    let target = first_line.split(' ').nth(1).unwrap();
    let query = target.split_once('?').unwrap().1;
    let decoded: Vec<(String, String)> = query
        .split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap();
            (percent_decode(name), percent_decode(value))
        })
        .collect();
    let request = unsigned_request(&valid, &options());
    assert_eq!(decoded, request.query);
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .unwrap()
        .into_owned()
}
