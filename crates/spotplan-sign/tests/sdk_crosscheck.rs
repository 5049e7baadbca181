//! Cross-checks every scheme byte for byte against the official Python SDKs' own signing functions, on a few
//! hundred deterministic, deliberately awkward requests per scheme (Chinese text, emoji, spaces, `+ * ~ % / = &`,
//! empty values, empty bodies, empty queries).
//!
//! Needs cargo feature `sdk-crosscheck` and `SPOTPLAN_SDK_PYTHON` naming a Python with tests/sdk/requirements.txt
//! installed; the SDK side is tests/sdk/sign_check.py (paths from the workspace root):
//!
//! ```text
//! python3 -m venv /tmp/sdk-venv && /tmp/sdk-venv/bin/pip install -r tests/sdk/requirements.txt
//! SPOTPLAN_SDK_PYTHON=/tmp/sdk-venv/bin/python cargo test -p spotplan-sign --features sdk-crosscheck
//! ```
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};
use spotplan_sign::{Credentials, SignableRequest, acs3, bce, tc3};

/// Cases generated per scheme.
const CASES_PER_SCHEME: usize = 250;

/// Pieces that values (query values, header values, bodies) are built from.
#[rustfmt::skip]
const VALUE_PIECES: &[&str] = &[
    "cn-hangzhou", "未命名", "测试实例", " ", " ", "+", "*", "~", "%", "/", "=", "&", "😀", "🚀", "a", "Z", "0", "9", "-", "_",
    ".", "100%", "%2F", "%zz", "\u{3000}", "é", "?", "#", "\"", "'", "(", ")", ",", ";", ":", "@", "!", "$", "[", "]",
    "\\", "\t", "ecs.g7.large", "SpotWithPriceLimit", "0.125",
];

/// Pieces that parameter names are built from.
#[rustfmt::skip]
const NAME_PIECES: &[&str] = &[
    "Action", "RegionId", "Tag", ".", "1", "Key", "Value", "a", "b", "A", "-", "_", "~", "名", "😀", " ", "+", "*", "%",
    "/", "=", "&", "SpotPriceLimit", "clientToken",
];

/// Characters the generated cases must contain somewhere, per scheme, so the check covers them.
const MUST_COVER: &[&str] = &["未", " ", "+", "*", "~", "%", "/", "=", "&", "😀"];

#[test]
fn acs3_matches_the_alibaba_tea_sdk() {
    crosscheck("acs3", generate_acs3);
}

#[test]
fn tc3_matches_the_tencent_sdk() {
    crosscheck("tc3", generate_tc3);
}

#[test]
fn bce_matches_the_baidu_sdk() {
    crosscheck("bce", generate_bce);
}

/// One generated request with its credentials, time and nonce.
#[derive(Debug, Clone, Default)]
struct Case {
    method: &'static str,
    host: &'static str,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    access_key_id: String,
    secret: String,
    unix_seconds: u64,
    nonce: String,
    expiration_seconds: u32,
    /// TC3: the API's service name.
    service: &'static str,
}

impl Case {
    fn request(&self) -> SignableRequest<'_> {
        SignableRequest {
            method: self.method,
            host: self.host,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
        }
    }

    fn credentials(&self) -> Credentials {
        Credentials::new(self.access_key_id.clone(), self.secret.clone())
    }

    fn to_json(&self, id: usize, scheme: &str) -> Value {
        json!({
            "id": id,
            "scheme": scheme,
            "method": self.method,
            "host": self.host,
            "path": self.path,
            "query": self.query.iter().map(|(name, value)| [name, value]).collect::<Vec<_>>(),
            "headers": self.headers.iter().map(|(name, value)| [name, value]).collect::<Vec<_>>(),
            "body_b64": BASE64.encode(&self.body),
            "access_key_id": self.access_key_id,
            "secret": self.secret,
            "timestamp": self.unix_seconds,
            "nonce": self.nonce,
            "expiration": self.expiration_seconds,
            "service": self.service,
        })
    }
}

/// What our signer produced for a case, compared field by field with the SDK's answer.
type Ours = Vec<(&'static str, String)>;

/// Generates the scheme's cases, signs them here and with the SDK, and asserts equality byte for byte.
fn crosscheck(scheme: &str, generate: fn(&mut Rng) -> (Case, Ours)) {
    let mut rng = Rng::new(
        0x5107_9a7e_0000_0001
            ^ scheme
                .bytes()
                .fold(0, |hash: u64, byte| hash.wrapping_mul(31).wrapping_add(u64::from(byte))),
    );
    let cases: Vec<(Case, Ours)> = (0..CASES_PER_SCHEME).map(|_| generate(&mut rng)).collect();
    assert_coverage(scheme, &cases);

    let input: String = cases
        .iter()
        .enumerate()
        .map(|(id, (case, _))| format!("{}\n", case.to_json(id, scheme)))
        .collect();
    let answers = run_sdk(&input);

    let mut failures = Vec::new();
    for (id, (case, ours)) in cases.iter().enumerate() {
        let Some(answer) = answers.get(&id) else {
            failures.push(format!(
                "case {id}: no answer from the SDK\n  case: {}",
                case.to_json(id, scheme)
            ));
            continue;
        };
        if let Some(error) = answer.get("error") {
            failures.push(format!(
                "case {id}: the SDK failed: {error}\n  case: {}",
                case.to_json(id, scheme)
            ));
            continue;
        }
        for (field, our_value) in ours {
            let sdk_value = answer.get(*field).and_then(Value::as_str).unwrap_or("<missing>");
            if sdk_value != our_value {
                failures.push(format!(
                    "case {id}: {field} differs\n  ours: {our_value}\n  sdk:  {sdk_value}\n  case: {}",
                    case.to_json(id, scheme)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{scheme}: {} of {} cases differ from the SDK; first ones:\n{}",
        failures.len(),
        cases.len(),
        failures.iter().take(8).cloned().collect::<Vec<_>>().join("\n")
    );
}

/// Runs tests/sdk/sign_check.py on `input` (JSON lines) and returns its answers by case id.
fn run_sdk(input: &str) -> HashMap<usize, Value> {
    let python = std::env::var_os("SPOTPLAN_SDK_PYTHON").unwrap_or_else(|| {
        panic!(
            "SPOTPLAN_SDK_PYTHON is not set: it must name a Python with the official SDKs installed, e.g.\n  \
             python3 -m venv /tmp/sdk-venv && /tmp/sdk-venv/bin/pip install -r tests/sdk/requirements.txt\n  \
             SPOTPLAN_SDK_PYTHON=/tmp/sdk-venv/bin/python cargo test -p spotplan-sign --features sdk-crosscheck"
        )
    });
    let script: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "..", "tests", "sdk", "sign_check.py"]
        .iter()
        .collect();
    let mut child = Command::new(&python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot run {python:?} {}: {error}", script.display()));
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_owned();
    // Write from another thread: the script answers while it reads, and both pipes have bounded buffers.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let mut answers = HashMap::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let answer: Value = serde_json::from_str(&line.unwrap()).unwrap();
        let id = answer["id"].as_u64().unwrap();
        answers.insert(usize::try_from(id).unwrap(), answer);
    }
    writer.join().unwrap().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{} exited with {status}", script.display());
    answers
}

/// The generator must have produced the awkward inputs the check is for.
fn assert_coverage(scheme: &str, cases: &[(Case, Ours)]) {
    assert!(cases.len() >= 200, "{scheme}: only {} cases", cases.len());
    let mut text = String::new();
    for (case, _) in cases {
        text.push_str(&case.path);
        for (name, value) in case.query.iter().chain(&case.headers) {
            text.push_str(name);
            text.push_str(value);
        }
        text.push_str(&String::from_utf8_lossy(&case.body));
    }
    for wanted in MUST_COVER {
        assert!(text.contains(wanted), "{scheme}: no case contains {wanted:?}");
    }
    assert!(
        cases.iter().any(|(case, _)| case.body.is_empty()),
        "{scheme}: no empty body"
    );
    assert!(cases.iter().any(|(case, _)| !case.body.is_empty()), "{scheme}: no body");
    assert!(
        cases.iter().any(|(case, _)| case.query.is_empty()),
        "{scheme}: no empty query"
    );
    assert!(
        cases
            .iter()
            .any(|(case, _)| case.query.iter().any(|(_, value)| value.is_empty())),
        "{scheme}: no empty value"
    );
}

fn generate_acs3(rng: &mut Rng) -> (Case, Ours) {
    let mut case = common_case(rng);
    case.method = *rng.pick(&["GET", "POST", "POST", "PUT", "DELETE"]);
    case.host = *rng.pick(&[
        "ecs.cn-hangzhou.aliyuncs.com",
        "ecs-cn-hangzhou.aliyuncs.com",
        "ecs.ap-southeast-1.aliyuncs.com",
    ]);
    case.path = if rng.chance(60) {
        "/".to_owned()
    } else {
        random_path(rng)
    };
    case.query = random_query(rng, 8, &[]);
    case.headers = random_headers(
        rng,
        &[
            "x-acs-action",
            "x-acs-version",
            "Content-Type",
            "accept",
            "user-agent",
            "x-acs-credentials-provider",
            "X-Acs-Meta",
            "x-acs-meta",
            "x-acs-security-token",
        ],
    );
    case.body = random_body(rng);
    let output = acs3::sign(
        &case.request(),
        &case.credentials(),
        &acs3::Params {
            unix_seconds: case.unix_seconds,
            nonce: &case.nonce,
        },
    )
    .unwrap_or_else(|error| panic!("generated an unsignable case: {error}: {case:?}"));
    let authorization = output.header("Authorization").unwrap().to_owned();
    (case, vec![("result", authorization)])
}

fn generate_tc3(rng: &mut Rng) -> (Case, Ours) {
    let mut case = common_case(rng);
    case.method = *rng.pick(&["GET", "POST", "POST"]);
    // The service comes from the API (the SDK's client), never from the host: overridden endpoints included.
    case.host = *rng.pick(&[
        "cvm.tencentcloudapi.com",
        "cvm.ap-guangzhou.tencentcloudapi.com",
        "cvm.intl.tencentcloudapi.com",
        "vpc.tencentcloudapi.com",
        "127.0.0.1:8443",
        "cvm-private.example.internal",
    ]);
    // CVM's calls, and VPC's network lists (the SDK's `VpcClient._service = "vpc"`).
    case.service = *rng.pick(&["cvm", "vpc"]);
    case.path = "/".to_owned();
    let content_type = if case.method == "GET" {
        "application/x-www-form-urlencoded"
    } else {
        *rng.pick(&[
            "application/json",
            "application/json; charset=utf-8",
            "text/plain; x=未",
            " application/json ",
        ])
    };
    case.headers = random_headers(rng, &["X-TC-Action", "X-TC-Version", "X-TC-Region", "X-TC-Language"]);
    let content_type_name = *rng.pick(&["Content-Type", "content-type"]);
    let at = rng.below(case.headers.len() + 1);
    case.headers
        .insert(at, (content_type_name.to_owned(), content_type.to_owned()));
    if case.method == "GET" {
        case.query = random_query(rng, 8, &[]);
    } else {
        case.body = random_body(rng);
    }
    let output = tc3::sign(
        &case.request(),
        &case.credentials(),
        &tc3::Params {
            unix_seconds: case.unix_seconds,
            service: case.service,
        },
    )
    .unwrap_or_else(|error| panic!("generated an unsignable case: {error}: {case:?}"));
    let authorization = output.header("Authorization").unwrap().to_owned();
    (case, vec![("result", authorization)])
}

fn generate_bce(rng: &mut Rng) -> (Case, Ours) {
    let mut case = common_case(rng);
    case.method = *rng.pick(&["GET", "POST", "POST", "PUT", "DELETE"]);
    case.host = *rng.pick(&[
        "bcc.bj.baidubce.com",
        "bcc.gz.baidubce.com",
        "bcc.bj.baidubce.com:8080",
        "bj.bcebos.com",
    ]);
    case.path = if rng.chance(40) {
        "/v2/instance/bid".to_owned()
    } else {
        random_path(rng)
    };
    case.query = random_query(rng, 8, &[]);
    case.headers = random_headers(
        rng,
        &[
            "Content-Type",
            "content-md5",
            "x-bce-meta-name",
            "X-Bce-Meta-Name",
            "x-bce-request-id",
            "User-Agent",
            "Accept",
            "x-bce-content-sha256",
        ],
    );
    case.body = random_body(rng);
    if rng.chance(30) {
        case.headers
            .push(("Content-Length".to_owned(), case.body.len().to_string()));
    }
    case.expiration_seconds = *rng.pick(&[1800, 1800, 3600, 60]);
    let params = bce::Params {
        unix_seconds: case.unix_seconds,
        expiration_seconds: case.expiration_seconds,
    };
    let output = bce::sign(&case.request(), &case.credentials(), &params)
        .unwrap_or_else(|error| panic!("generated an unsignable case: {error}: {case:?}"));
    let authorization = output.header("Authorization").unwrap().to_owned();
    (case, vec![("result", authorization)])
}

/// Credentials, time and nonce.
fn common_case(rng: &mut Rng) -> Case {
    const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let access_key_id: String = (0..24).map(|_| char::from(*rng.pick(ALPHANUMERIC))).collect();
    let mut secret: String = (0..30).map(|_| char::from(*rng.pick(ALPHANUMERIC))).collect();
    if rng.chance(10) {
        let suffix: &&str = rng.pick(&["秘密", "+/=", "&", " "]);
        secret.push_str(suffix);
    }
    Case {
        access_key_id,
        secret,
        // 2001-09-09 to 2036-07-18.
        unix_seconds: 1_000_000_000 + rng.next() % 1_100_000_000,
        nonce: format!("{:016x}{:016x}", rng.next(), rng.next()),
        expiration_seconds: 1800,
        ..Case::default()
    }
}

/// Up to `max` pairs with distinct names, none of them in `reserved`; values may be empty.
fn random_query(rng: &mut Rng, max: usize, reserved: &[&str]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for _ in 0..rng.below(max + 1) {
        let mut name = random_text(rng, NAME_PIECES, 4);
        if name.is_empty() {
            name.push('k');
        }
        if reserved.contains(&name.as_str()) || pairs.iter().any(|(taken, _)| *taken == name) {
            continue;
        }
        let value = if rng.chance(15) {
            String::new()
        } else {
            random_text(rng, VALUE_PIECES, 6)
        };
        pairs.push((name, value));
    }
    pairs
}

/// Up to five headers with distinct names from `names`; values have no control characters other than tab, and
/// may be empty or carry leading and trailing white space.
fn random_headers(rng: &mut Rng, names: &[&str]) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for _ in 0..rng.below(6) {
        let name = *rng.pick(names);
        if headers.iter().any(|(taken, _)| taken == name) {
            continue;
        }
        let mut value = if rng.chance(10) {
            String::new()
        } else {
            random_text(rng, VALUE_PIECES, 5)
        };
        if rng.chance(20) {
            value = format!(" {value}\t ");
        }
        headers.push((name.to_owned(), value));
    }
    headers
}

/// An absolute path with awkward characters.
fn random_path(rng: &mut Rng) -> String {
    let mut path = String::new();
    for _ in 0..=rng.below(4) {
        path.push('/');
        path.push_str(&random_text(rng, VALUE_PIECES, 3).replace(['\t', '?', '#'], ""));
    }
    path
}

/// Empty, JSON-like text with Chinese and emoji, or arbitrary bytes.
fn random_body(rng: &mut Rng) -> Vec<u8> {
    match rng.below(4) {
        0 => Vec::new(),
        1 => (0..rng.below(300))
            .map(|_| u8::try_from(rng.next() & 0xff).unwrap())
            .collect(),
        _ => format!(
            "{{\"InstanceName\": \"{}\", \"Limit\": {}, \"Note\": \"{}\"}}",
            random_text(rng, VALUE_PIECES, 5).replace(['"', '\\'], ""),
            rng.below(100),
            random_text(rng, VALUE_PIECES, 8).replace(['"', '\\'], "")
        )
        .into_bytes(),
    }
}

/// Up to `max_pieces` pieces glued together.
fn random_text(rng: &mut Rng, pieces: &[&str], max_pieces: usize) -> String {
    (0..=rng.below(max_pieces)).map(|_| *rng.pick(pieces)).collect()
}

/// xorshift64* (Vigna): a tiny deterministic generator, so every run checks the same cases.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(bound.max(1)).unwrap()).unwrap()
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}
