//! Fault tests against the real `spotplan-proxy` process over real sockets: a foreign `Host` gets no cookie and
//! no API, the API without the token is refused, the printed sign-in link works once, remote mode without TLS or
//! a token refuses to start, HTTPS on loopback with a self-signed certificate, and slow or silent clients (or
//! running out of file descriptors) cannot take the server down.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const TOKEN: &str = "process-test-token-0123456789abcdef";

/// A running proxy process; killed when dropped.
struct Proxy {
    child: Child,
    port: u16,
    base_url: String,
    sign_in_link: String,
    stdout: mpsc::Receiver<String>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("spotplan-process-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The proxy binary with a clean environment: no credentials, no inherited settings, a fresh data folder and a
/// built-app folder with an index.html.
fn proxy_command(dir: &Path, args: &[&str]) -> Command {
    let static_dir = dir.join("dist");
    std::fs::create_dir_all(&static_dir).unwrap();
    std::fs::write(
        static_dir.join("index.html"),
        "<!doctype html><title>Spotplan</title><script type=\"module\">void 0;</script>",
    )
    .unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_spotplan-proxy"));
    command
        .env_clear()
        .env("HOME", dir)
        .env("SPOTPLAN_LOG", "warn")
        .env("SPOTPLAN_DATA_DIR", dir.join("data"))
        .env("SPOTPLAN_STATIC_DIR", &static_dir)
        .args(args);
    command
}

/// Spawns the proxy with its stdout read line by line on a thread of its own.
fn spawn_reading_lines(mut command: Command) -> (Child, mpsc::Receiver<String>) {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let (send, lines) = mpsc::channel();
    let reader = BufReader::new(child.stdout.take().unwrap());
    std::thread::spawn(move || {
        for line in reader.lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    (child, lines)
}

/// Starts the proxy and waits for its address and sign-in link on stdout.
fn start(command: Command) -> Proxy {
    let (child, stdout) = spawn_reading_lines(command);
    let mut base_url = None;
    let mut sign_in_link = None;
    while base_url.is_none() || sign_in_link.is_none() {
        let line = stdout
            .recv_timeout(Duration::from_secs(20))
            .expect("the proxy printed its address and sign-in link");
        if let Some(rest) = line.strip_prefix("Spotplan is running at ") {
            base_url = rest.split_whitespace().next().map(str::to_owned);
        }
        if let Some((_, link)) = line.split_once("): ").filter(|_| line.starts_with("Sign in")) {
            sign_in_link = Some(link.trim().to_owned());
        }
    }
    let base_url = base_url.unwrap();
    let port = base_url
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    Proxy {
        child,
        port,
        base_url,
        sign_in_link: sign_in_link.unwrap(),
        stdout,
    }
}

/// One HTTP/1.1 exchange over a fresh connection.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }
}

fn http(port: u16, method: &str, path: &str, host: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(name, value)| name == "transfer-encoding" && value.contains("chunked"));
    let body = if chunked { dechunk(body) } else { body.to_owned() };
    Answer { status, headers, body }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

fn path_and_query(link: &str) -> &str {
    let after_scheme = link.split_once("://").map_or(link, |(_, rest)| rest);
    after_scheme.find('/').map_or("/", |at| &after_scheme[at..])
}

#[test]
fn a_foreign_host_gets_no_cookie_and_no_api() {
    let dir = tempdir("foreign-host");
    let proxy = start(proxy_command(&dir, &["--listen", "127.0.0.1:0"]));
    let attacker = format!("attacker.example:{}", proxy.port);
    let page = http(proxy.port, "GET", "/", &attacker, &[], "");
    assert_eq!(page.status, 403);
    assert_eq!(page.header("set-cookie"), None);
    assert_eq!(page.json()["error"]["code"], "host_not_allowed");
    let link = path_and_query(&proxy.sign_in_link);
    let stolen_link = http(proxy.port, "GET", link, &attacker, &[], "");
    assert_eq!((stolen_link.status, stolen_link.header("set-cookie")), (403, None));
    let with_token = [("X-Spotplan-Token", TOKEN), ("Content-Type", "application/json")];
    for (method, path) in [
        ("GET", "/api/v1/orders"),
        ("POST", "/api/v1/orders"),
        ("POST", "/api/v1/resources"),
        ("POST", "/api/v1/orders/ord-0123456789abcdef/lookup"),
        ("GET", "/api/v1/health"),
    ] {
        let answer = http(proxy.port, method, path, &attacker, &with_token, "{}");
        assert_eq!(answer.status, 403, "{method} {path}");
        assert_eq!(answer.json()["error"]["code"], "host_not_allowed");
    }
    // The refused attempt did not use the link up.
    let own = format!("127.0.0.1:{}", proxy.port);
    assert!(
        http(proxy.port, "GET", link, &own, &[], "")
            .header("set-cookie")
            .is_some()
    );
}

#[test]
fn the_api_without_the_token_is_refused() {
    let dir = tempdir("no-token");
    let proxy = start(proxy_command(&dir, &["--listen", "127.0.0.1:0"]));
    let host = format!("127.0.0.1:{}", proxy.port);
    let json = [
        ("Content-Type", "application/json"),
        ("Idempotency-Key", "key-00000001"),
    ];
    for (method, path, body) in [
        ("GET", "/api/v1/orders", ""),
        ("GET", "/api/openapi.json", ""),
        ("POST", "/api/v1/orders", "{}"),
        ("POST", "/api/v1/prices", r#"{"offers":[]}"#),
        (
            "POST",
            "/api/v1/resources",
            r#"{"cloud":"alibaba","region":"cn-hangzhou","kind":"vpc"}"#,
        ),
        ("POST", "/api/v1/orders/ord-0123456789abcdef/lookup", "{}"),
    ] {
        let answer = http(proxy.port, method, path, &host, &json, body);
        assert_eq!(answer.status, 401, "{method} {path}");
        assert_eq!(answer.json()["error"]["code"], "token_required", "{method} {path}");
    }
    let health = http(proxy.port, "GET", "/api/v1/health", &host, &[], "");
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["signed_in"], false);
}

#[test]
fn the_printed_link_signs_a_browser_in_once() {
    let dir = tempdir("sign-in");
    let proxy = start(proxy_command(&dir, &["--listen", "127.0.0.1:0"]));
    assert_eq!(proxy.base_url, format!("http://127.0.0.1:{}/", proxy.port));
    assert!(proxy.sign_in_link.starts_with(&format!("{}?token=", proxy.base_url)));
    let host = format!("localhost:{}", proxy.port);
    let link = path_and_query(&proxy.sign_in_link);
    let first = http(proxy.port, "GET", link, &host, &[], "");
    assert_eq!((first.status, first.header("location")), (303, Some("/")));
    let cookie = first.header("set-cookie").unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap();
    let orders = http(proxy.port, "GET", "/api/v1/orders", &host, &[("Cookie", pair)], "");
    assert_eq!(orders.status, 200, "{}", orders.body);
    let health = http(proxy.port, "GET", "/api/v1/health", &host, &[("Cookie", pair)], "");
    assert_eq!(health.json()["signed_in"], true);
    let second = http(proxy.port, "GET", link, &host, &[], "");
    assert_eq!((second.status, second.header("set-cookie")), (303, None));
}

#[test]
fn remote_mode_without_tls_or_a_token_refuses_to_start() {
    let dir = tempdir("remote");
    let refusals = [
        (vec!["--listen", "0.0.0.0:0"], None, "without --allow-remote"),
        (
            vec!["--listen", "0.0.0.0:0", "--allow-remote"],
            None,
            "without TLS (--tls-cert FILE and --tls-key FILE, PEM) and a token of at least 32 characters in SPOTPLAN_TOKEN",
        ),
        (
            vec!["--listen", "0.0.0.0:0", "--allow-remote"],
            Some(TOKEN),
            "without TLS (--tls-cert FILE and --tls-key FILE, PEM)",
        ),
        (
            vec!["--listen", "0.0.0.0:0", "--allow-remote", "--tls-cert", "cert.pem"],
            Some(TOKEN),
            "--tls-cert and --tls-key go together",
        ),
    ];
    for (args, token, expected) in refusals {
        let mut command = proxy_command(&dir, &args);
        if let Some(token) = token {
            command.env("SPOTPLAN_TOKEN", token);
        }
        let output = command.stdin(Stdio::null()).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} started");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(
            output.stdout.is_empty(),
            "{args:?} printed {:?}",
            String::from_utf8_lossy(&output.stdout)
        );
    }
}

#[test]
fn a_refresh_budget_outside_its_range_is_refused_at_start_not_bent_into_it() {
    let dir = tempdir("budget");
    for budget in ["0", "601", "sixty"] {
        let output = proxy_command(&dir, &["--refresh-prices", "--refresh-budget-per-minute", budget])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{budget} started");
        assert!(stderr.contains("--refresh-budget-per-minute"), "{budget}: {stderr}");
    }
}

#[test]
fn remote_mode_prints_no_sign_in_code_and_no_token() {
    let dir = tempdir("remote-output");
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(dir.join("cert.pem"), certified.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), certified.signing_key.serialize_pem()).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let mut command = proxy_command(
        &dir,
        &[
            "--listen",
            "127.0.0.1:0",
            "--allow-remote",
            "--tls-cert",
            &cert.display().to_string(),
            "--tls-key",
            &key.display().to_string(),
        ],
    );
    command.env("SPOTPLAN_TOKEN", TOKEN);
    let (mut child, lines) = spawn_reading_lines(command);
    // Everything printed at start, up to its last line (where the order log is).
    let mut printed = Vec::new();
    while !printed
        .last()
        .is_some_and(|line: &String| line.starts_with("Order log:"))
    {
        printed.push(
            lines
                .recv_timeout(Duration::from_secs(20))
                .expect("the proxy printed its start-up lines"),
        );
    }
    let _ = child.kill();
    let _ = child.wait();
    let output = printed.join("\n");
    assert!(output.contains("Spotplan is running at https://"), "{output}");
    assert!(
        output.contains("enter your SPOTPLAN_TOKEN, or a person's key"),
        "remote mode says how to sign in: {output}"
    );
    assert!(
        !output.contains("?token="),
        "a sign-in link in a remote deployment's output: {output}"
    );
    assert!(!output.contains(TOKEN), "the token in the output: {output}");
}

#[tokio::test]
async fn https_on_loopback_with_a_self_signed_certificate() {
    let dir = tempdir("tls");
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    let cert_pem = certified.cert.pem();
    std::fs::write(dir.join("cert.pem"), &cert_pem).unwrap();
    std::fs::write(dir.join("key.pem"), certified.signing_key.serialize_pem()).unwrap();
    let cert = dir.join("cert.pem").display().to_string();
    let key = dir.join("key.pem").display().to_string();
    let mut command = proxy_command(
        &dir,
        &["--listen", "127.0.0.1:0", "--tls-cert", &cert, "--tls-key", &key],
    );
    command.env("SPOTPLAN_TOKEN", TOKEN);
    let proxy = start(command);
    assert_eq!(proxy.base_url, format!("https://127.0.0.1:{}/", proxy.port));

    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(cert_pem.as_bytes()).unwrap()])
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let base = format!("https://localhost:{}", proxy.port);
    let health = client.get(format!("{base}/api/v1/health")).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let orders = client
        .get(format!("{base}/api/v1/orders"))
        .header("x-spotplan-token", TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(orders.status().as_u16(), 200);
    let sign_in = client.get(format!("{base}/?token={TOKEN}")).send().await.unwrap();
    assert_eq!(sign_in.status().as_u16(), 303);
    let cookie = sign_in.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.ends_with("; Secure"), "{cookie}");

    // Plain HTTP on the TLS port gets no answer.
    let mut plain = TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
    plain.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    plain
        .write_all(format!("GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n", proxy.port).as_bytes())
        .unwrap();
    let mut raw = Vec::new();
    let _ = plain.read_to_end(&mut raw);
    assert!(!String::from_utf8_lossy(&raw).contains("spotplan-proxy"));
}

#[test]
fn a_silent_or_slow_client_is_cut_off_while_health_still_answers() {
    let dir = tempdir("header-timeout");
    let mut command = proxy_command(&dir, &["--listen", "127.0.0.1:0"]);
    command.env("SPOTPLAN_HEADER_READ_TIMEOUT_MS", "500");
    let proxy = start(command);
    let host = format!("127.0.0.1:{}", proxy.port);
    let silent = TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
    let mut slow = TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
    slow.write_all(format!("GET /api/v1/health HTTP/1.1\r\nHost: {host}\r\n").as_bytes())
        .unwrap();
    let started = Instant::now();
    let health = http(proxy.port, "GET", "/api/v1/health", &host, &[], "");
    assert_eq!(health.status, 200);
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "health waited for the idle clients"
    );
    for mut stream in [silent, slow] {
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw);
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(400) && waited < Duration::from_secs(5),
            "closed after {waited:?}"
        );
        assert!(!String::from_utf8_lossy(&raw).contains("spotplan-proxy"));
    }
}

#[test]
fn running_out_of_file_descriptors_does_not_stop_the_server() {
    let dir = tempdir("fd-limit");
    // A hard limit of 64 descriptors: the proxy cannot raise it, and 150 idle connections exhaust it.
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg("ulimit -Sn 64 && ulimit -Hn 64 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_spotplan-proxy"));
    let inner = proxy_command(&dir, &["--listen", "127.0.0.1:0"]);
    command.args(inner.get_args());
    command.env_clear();
    for (name, value) in inner.get_envs() {
        if let Some(value) = value {
            command.env(name, value);
        }
    }
    command.env("PATH", "/usr/bin:/bin");
    command.env("SPOTPLAN_HEADER_READ_TIMEOUT_MS", "300");
    let mut proxy = start(command);
    let idle: Vec<TcpStream> = (0..150)
        .map(|_| TcpStream::connect(("127.0.0.1", proxy.port)).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let host = format!("127.0.0.1:{}", proxy.port);
    let started = Instant::now();
    let health = http(proxy.port, "GET", "/api/v1/health", &host, &[], "");
    assert_eq!(
        health.status, 200,
        "the server came back once the idle connections timed out"
    );
    assert!(started.elapsed() < Duration::from_secs(15));
    assert!(proxy.child.try_wait().unwrap().is_none(), "the proxy is still running");
    drop(idle);
}

#[test]
fn ctrl_c_stops_cleanly_with_idle_connections_open() {
    let dir = tempdir("ctrl-c");
    let mut proxy = start(proxy_command(&dir, &["--listen", "127.0.0.1:0"]));
    let host = format!("127.0.0.1:{}", proxy.port);
    // A kept-alive connection that has had its answer and now sits idle.
    let mut idle = TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
    idle.write_all(format!("GET /api/v1/health HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes())
        .unwrap();
    let mut buffer = [0_u8; 1024];
    let _ = idle.read(&mut buffer).unwrap();
    let status = Command::new("kill")
        .args(["-INT", &proxy.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = proxy.child.try_wait().unwrap() {
            break exit;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the proxy did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
    let lines: Vec<String> = std::iter::from_fn(|| proxy.stdout.recv_timeout(Duration::from_secs(5)).ok()).collect();
    assert!(lines.iter().any(|line| line == "Spotplan stopped"), "{lines:?}");
}
