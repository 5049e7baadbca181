//! The real `spotplan-proxy` process for the suites that start it (faults, replicas): started with the stand-ins'
//! addresses and a fixed token, its URL read from what it prints, killed when dropped; and stand-ins served in the
//! test's own process.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use spotplan_standin::{Kind, Standin};

use super::{KEYS, tempdir};

/// The token every started proxy takes.
pub const TOKEN: &str = "fault-suite-token-0123456789abcdef";

/// How long a `slow` order takes at the stand-ins here: long enough to act while it is in flight.
pub const SLOW: Duration = Duration::from_millis(1500);

/// A stand-in served in this process until it decides to go (`thengone`).
pub async fn standin(kind: Kind) -> (Standin, SocketAddr) {
    let index = match kind {
        Kind::Alibaba => 0,
        Kind::Tencent => 1,
        Kind::Baidu => 2,
    };
    let mut standin = Standin::new(kind, KEYS[index].1, KEYS[index].2);
    standin.slow = SLOW;
    serve_standin(standin).await
}

pub async fn serve_standin(standin: Standin) -> (Standin, SocketAddr) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let served = standin.clone();
    tokio::spawn(async move { spotplan_standin::serve(listener, served, std::future::pending()).await });
    (standin, address)
}

/// The real proxy process.
pub struct Proxy {
    /// The process.
    pub child: Child,
    /// Its base URL.
    pub url: String,
    /// Its data folder.
    pub data_dir: PathBuf,
}

impl Proxy {
    pub fn start(data_dir: &Path, endpoints: &[(Kind, SocketAddr)], extra_env: &[(&str, &str)]) -> Proxy {
        let static_dir = tempdir();
        std::fs::write(static_dir.join("index.html"), "<!doctype html><title>Spotplan</title>").unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_spotplan-proxy"));
        command
            .args(["--listen", "127.0.0.1:0", "--static-dir"])
            .arg(&static_dir)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", data_dir)
            .env("SPOTPLAN_DATA_DIR", data_dir)
            .env("SPOTPLAN_TOKEN", TOKEN)
            .env("SPOTPLAN_LOG", "warn")
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", KEYS[0].1)
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", KEYS[0].2)
            .env("TENCENTCLOUD_SECRET_ID", KEYS[1].1)
            .env("TENCENTCLOUD_SECRET_KEY", KEYS[1].2)
            .env("BCE_ACCESS_KEY_ID", KEYS[2].1)
            .env("BCE_SECRET_ACCESS_KEY", KEYS[2].2)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (kind, address) in endpoints {
            let name = match kind {
                Kind::Alibaba => "SPOTPLAN_ENDPOINT_ALIBABA",
                Kind::Tencent => "SPOTPLAN_ENDPOINT_TENCENT",
                Kind::Baidu => "SPOTPLAN_ENDPOINT_BAIDU",
            };
            command.env(name, format!("http://{address}"));
        }
        for (name, value) in extra_env {
            command.env(name, value);
        }
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
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
        let url = url
            .recv_timeout(Duration::from_secs(20))
            .expect("the proxy printed its URL");
        Proxy {
            child,
            url,
            data_dir: data_dir.to_path_buf(),
        }
    }

    /// One client for the whole suite (building one loads the platform's roots: slow to do per request).
    pub fn client() -> reqwest::Client {
        static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
        CLIENT
            .get_or_init(|| {
                let _ = rustls::crypto::ring::default_provider().install_default();
                reqwest::Client::builder().no_proxy().build().unwrap()
            })
            .clone()
    }

    pub async fn submit(&self, order: &Value, key: &str) -> (u16, Value) {
        let response = Proxy::client()
            .post(format!("{}/api/v1/orders", self.url))
            .header("x-spotplan-token", TOKEN)
            .header("idempotency-key", key)
            .json(order)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = Proxy::client()
            .get(format!("{}{path}", self.url))
            .header("x-spotplan-token", TOKEN)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// `POST /api/v1/orders/{id}/lookup`: the status and the answer.
    pub async fn look_up(&self, order_id: &str) -> (u16, Value) {
        let response = Proxy::client()
            .post(format!("{}/api/v1/orders/{order_id}/lookup", self.url))
            .header("x-spotplan-token", TOKEN)
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    pub async fn orders(&self) -> Vec<Value> {
        self.get("/api/v1/orders?limit=1000").await.1["orders"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn kill_hard(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    pub fn resident_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
            .unwrap()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
