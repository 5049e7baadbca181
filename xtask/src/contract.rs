//! The API contract layer: the real proxy (with its endpoints on the stand-ins) fuzzed by schemathesis from the
//! OpenAPI document it serves — every answer must have a documented status and validate against its schema, and
//! the token must not be ignorable. A fixed seed makes a run repeatable.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Context;

use crate::process::run_capturing;
use crate::summary::Layer;

/// The token the proxy is started with for the run.
const TOKEN: &str = "contract-test-token-0123456789abcdef";
/// Test keys the stand-ins accept (not secrets).
const KEYS: [(&str, &str, &str, &str, &str); 3] = [
    (
        "alibaba",
        "LTAIContractTest01",
        "AlibabaContractSecret-1",
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    ),
    (
        "tencent",
        "AKIDContractTest001",
        "TencentContractSecret-1",
        "TENCENTCLOUD_SECRET_ID",
        "TENCENTCLOUD_SECRET_KEY",
    ),
    (
        "baidu",
        "bcecontracttest0123456789abcdef",
        "BaiduContractSecret-01x",
        "BCE_ACCESS_KEY_ID",
        "BCE_SECRET_ACCESS_KEY",
    ),
];

/// Children stopped when dropped.
struct Running(Vec<Child>);

impl Drop for Running {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Starts a command and reads its stdout until a line holds `http://127.0.0.1:PORT`.
fn start(mut command: Command, running: &mut Running) -> anyhow::Result<String> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting a server for the contract test")?;
    let stdout = child.stdout.take().context("no stdout")?;
    running.0.push(child);
    let (found, url) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if !sent && let Some(start) = line.find("http://127.0.0.1:") {
                let rest = &line[start..];
                let end = rest[7..].find(['/', ' ', '?']).map_or(rest.len(), |end| end + 7);
                let _ = found.send(rest[..end].to_owned());
                sent = true;
            }
        }
    });
    url.recv_timeout(Duration::from_secs(20))
        .context("a server did not print its URL")
}

/// Runs the contract layer.
pub fn run(python: &Path, root: &Path) -> anyhow::Result<Layer> {
    let mut running = Running(Vec::new());
    let data = root.join("target/contract-data");
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data)?;
    let mut proxy = Command::new(root.join("target/debug/spotplan-proxy"));
    proxy
        .args(["--listen", "127.0.0.1:0", "--static-dir"])
        .arg(root.join("target/dist"))
        .env("SPOTPLAN_DATA_DIR", &data)
        .env("SPOTPLAN_TOKEN", TOKEN)
        .env("SPOTPLAN_LOG", "error");
    for (cloud, id, secret, id_env, secret_env) in KEYS {
        let mut standin = Command::new(root.join("target/debug/spotplan-standin"));
        standin.args(["--cloud", cloud, "--access-key-id", id, "--secret", secret]);
        let url = start(standin, &mut running)?;
        proxy
            .env(format!("SPOTPLAN_ENDPOINT_{}", cloud.to_ascii_uppercase()), url)
            .env(id_env, id)
            .env(secret_env, secret);
    }
    let proxy_url = start(proxy, &mut running)?;
    let schemathesis = python.with_file_name("schemathesis");
    // Schemathesis keeps a cache in its working directory; keep it under target/, out of the source tree.
    let work_dir = root.join("target/contract");
    std::fs::create_dir_all(&work_dir)?;
    let mut command = Command::new(schemathesis);
    command
        .current_dir(&work_dir)
        .arg("--config-file")
        .arg(root.join("tests/contract/schemathesis.toml"))
        .args(["run", &format!("{proxy_url}/api/openapi.json")])
        .args(["-H", &format!("X-Spotplan-Token: {TOKEN}")])
        .args(["--checks", "all", "--max-examples", "25", "--seed", "1", "--no-color"]);
    let (ok, output) = run_capturing(&mut command)?;
    drop(running);
    let generated = output
        .lines()
        .find_map(|line| {
            let line = line.trim();
            let count = line.split(" generated").next()?;
            line.contains(" generated").then(|| count.trim().parse::<u64>().ok())?
        })
        .unwrap_or(0);
    if generated == 0 {
        return Ok(Layer {
            name: "API contract (schemathesis)".into(),
            passed: 0,
            failed: 1,
            note: "ran no test".into(),
        });
    }
    Ok(Layer {
        name: "API contract (schemathesis)".into(),
        passed: u64::from(ok),
        failed: u64::from(!ok),
        note: format!("{generated} generated requests against the served OpenAPI document"),
    })
}
