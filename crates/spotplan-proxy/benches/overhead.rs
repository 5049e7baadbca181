//! The proxy's overhead under an **open-loop** load: orders arrive at a fixed rate whether or not earlier ones
//! have been answered (as users' orders do), and each latency is measured from the moment the order was due,
//! so a stall is counted in full (no coordinated omission). The proxy is the real release binary in its own
//! process with its SQLite log (WAL, `synchronous = FULL`, two durable writes per order); the Tencent stand-in
//! answers at once in this process.
//!
//! Overhead here is everything between the client and the cloud: the HTTP request to the proxy, parsing,
//! validation, both log writes, signing, the HTTP client and the call to the stand-in (whose own handling — a
//! signature check and a small JSON answer, tens of microseconds — is included). It prints, per rate: p50,
//! p99 and max overhead, errors, and the proxy's CPU time per order (from `/proc`), then the highest rate held
//! with p99 ≤ 5 ms and no error. Client, stand-in and proxy share the machine's cores.
//!
//! Team mode: with `SPOTPLAN_TEST_DATABASE_URL` (a PostgreSQL cluster, e.g. from `cargo xtask postgres`) it then
//! runs the same load at 200 orders/s spread over **two replicas** sharing one fresh database, against the team
//! budget of p99 ≤ 10 ms (`SPOTPLAN_BENCH_TEAM_ONLY=1` runs that alone).
//!
//! Run with `cargo bench -p spotplan-proxy --bench overhead` (`SPOTPLAN_BENCH_SECONDS` shortens each rate).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use spotplan_standin::{Kind, Standin};

const TOKEN: &str = "bench-token-0123456789abcdef";
const KEY_ID: &str = "AKIDbench";
const SECRET: &str = "bench-secret-0123456789";
/// The rates of the table, then the search for the highest rate held.
const TABLE_RATES: [u32; 3] = [50, 200, 500];
const SEARCH_RATES: [u32; 6] = [100, 300, 400, 600, 800, 1000];
/// The p99 overhead a rate must stay under to count as held.
const HELD_P99: Duration = Duration::from_millis(5);

struct Proxy {
    child: Child,
    url: String,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_proxy(data: &std::path::Path, standin: std::net::SocketAddr, database_url: Option<&str>) -> Proxy {
    let mut command = Command::new(env!("CARGO_BIN_EXE_spotplan-proxy"));
    if let Some(url) = database_url {
        command.env("SPOTPLAN_DATABASE_URL", url);
    }
    let mut child = command
        .args(["--listen", "127.0.0.1:0", "--static-dir"])
        .arg(data)
        .env("SPOTPLAN_DATA_DIR", data)
        .env("SPOTPLAN_TOKEN", TOKEN)
        .env("SPOTPLAN_LOG", "error")
        .env("TENCENTCLOUD_SECRET_ID", KEY_ID)
        .env("TENCENTCLOUD_SECRET_KEY", SECRET)
        .env("SPOTPLAN_ENDPOINT_TENCENT", format!("http://{standin}"))
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_ID")
        .env_remove("BCE_ACCESS_KEY_ID")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the proxy starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines.next().expect("the proxy printed its URL").expect("a line");
        if let Some(start) = line.find("http://127.0.0.1:") {
            let rest = &line[start..];
            let end = rest[7..].find(['/', ' ', '?']).map_or(rest.len(), |end| end + 7);
            break rest[..end].to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Proxy { child, url }
}

/// User plus system CPU time of a process so far.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc stat");
    let fields: Vec<&str> = stat.rsplit_once(')').expect("comm").1.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    // Linux reports clock ticks of 1/100 s on every platform Rust targets here.
    Duration::from_millis(ticks * 10)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

struct RateResult {
    rate: u32,
    orders: usize,
    errors: usize,
    p50: Duration,
    p99: Duration,
    max: Duration,
    cpu_per_order: Duration,
}

/// Runs `rate` requests a second for `seconds`: orders when `order` is given, else `GET /api/v1/health` (the floor:
/// the load generator, HTTP and the proxy's checks, with no log, signing or cloud call).
async fn run_rate(
    client: &reqwest::Client,
    proxies: &[Proxy],
    order: Option<&serde_json::Value>,
    rate: u32,
    seconds: u64,
    run: &str,
) -> RateResult {
    let path = if order.is_some() {
        "/api/v1/orders"
    } else {
        "/api/v1/health"
    };
    let urls: Vec<String> = proxies.iter().map(|proxy| format!("{}{path}", proxy.url)).collect();
    let total = (u64::from(rate) * seconds) as usize;
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate));
    let cpu_of = || -> Duration { proxies.iter().map(|proxy| cpu_time(proxy.child.id())).sum() };
    let cpu_before = cpu_of();
    let start = Instant::now() + Duration::from_millis(50);
    // A pacer thread releases each order at its due time (the runtime's timer ticks in whole milliseconds, which
    // would add up to one to every latency).
    let (release, mut released) = tokio::sync::mpsc::unbounded_channel::<(usize, Instant)>();
    std::thread::spawn(move || {
        for index in 0..total {
            let due = start + interval * index as u32;
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            if release.send((index, due)).is_err() {
                return;
            }
        }
    });
    let mut tasks = Vec::with_capacity(total);
    while let Some((index, due)) = released.recv().await {
        let (client, url, order) = (client.clone(), urls[index % urls.len()].clone(), order.cloned());
        let key = format!("bench-{run}-{rate:04}-{index:06}");
        tasks.push(tokio::spawn(async move {
            let request = match &order {
                Some(order) => client
                    .post(&url)
                    .header("x-spotplan-token", TOKEN)
                    .header("idempotency-key", key)
                    .json(order),
                None => client.get(&url),
            };
            let ok = match request.send().await {
                Ok(response) if order.is_none() => response.status().is_success() && response.bytes().await.is_ok(),
                Ok(response) => response
                    .json::<serde_json::Value>()
                    .await
                    .is_ok_and(|body| body["status"] == "succeeded"),
                Err(_) => false,
            };
            (due.elapsed(), ok)
        }));
    }
    let mut latencies = Vec::with_capacity(total);
    let mut errors = 0;
    for task in tasks {
        let (latency, ok) = task.await.expect("task");
        latencies.push(latency);
        errors += usize::from(!ok);
    }
    let cpu = cpu_of().saturating_sub(cpu_before);
    latencies.sort();
    RateResult {
        rate,
        orders: total,
        errors,
        p50: percentile(&latencies, 0.5),
        p99: percentile(&latencies, 0.99),
        max: *latencies.last().expect("samples"),
        cpu_per_order: cpu / total as u32,
    }
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1e3)
}

fn main() {
    let seconds: u64 = std::env::var("SPOTPLAN_BENCH_SECONDS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(30);
    let standin_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("stand-in runtime");
    let standin_address = standin_runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let standin = Standin::new(Kind::Tencent, KEY_ID, SECRET);
        tokio::spawn(spotplan_standin::serve(listener, standin, std::future::pending()));
        address
    });
    let data = std::env::temp_dir().join(format!("spotplan-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data).expect("temp dir");
    let proxy = [start_proxy(&data, standin_address, None)];
    let order: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/orders/tencent.json"
        ))
        .expect("example"),
    )
    .expect("json");
    let client_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("client runtime");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(1024)
        .build()
        .expect("client");
    let team_only = std::env::var_os("SPOTPLAN_BENCH_TEAM_ONLY").is_some();
    client_runtime.block_on(async {
        if team_only {
            return;
        }
        let warm = run_rate(&client, &proxy, Some(&order), 100, 2, "warm").await;
        println!("warm-up: {} orders, {} errors", warm.orders, warm.errors);
        let floor = run_rate(&client, &proxy, None, 200, seconds.min(10), "floor").await;
        println!(
            "floor — GET /api/v1/health at 200/s, {} s (load generator, HTTP, the proxy's checks; no log, signing or \
             cloud call): p50 {}, p99 {}, max {}, {} errors",
            seconds.min(10),
            ms(floor.p50),
            ms(floor.p99),
            ms(floor.max),
            floor.errors
        );
        println!("open-loop overhead, {seconds} s per rate (latency from the moment each order was due):");
        println!("| rate | orders | errors | p50 | p99 | max | proxy CPU per order |");
        println!("| --- | --- | --- | --- | --- | --- | --- |");
        let mut held = None;
        // `SPOTPLAN_BENCH_RATES=50,200` runs only those rates (comparing two builds at the rate that matters).
        let only: Option<Vec<u32>> = std::env::var("SPOTPLAN_BENCH_RATES")
            .ok()
            .map(|list| list.split(',').filter_map(|rate| rate.trim().parse().ok()).collect());
        let table = only.clone().unwrap_or_else(|| TABLE_RATES.to_vec());
        for rate in table {
            let result = run_rate(&client, &proxy, Some(&order), rate, seconds, "table").await;
            print_row(&result);
            if result.errors == 0 && result.p99 <= HELD_P99 {
                held = Some(held.map_or(rate, |best: u32| best.max(rate)));
            }
        }
        let search_seconds = seconds.min(10);
        for rate in SEARCH_RATES.into_iter().filter(|_| only.is_none()) {
            if held.is_some_and(|best| best >= rate) {
                continue;
            }
            let result = run_rate(&client, &proxy, Some(&order), rate, search_seconds, "search").await;
            print_row(&result);
            if result.errors == 0 && result.p99 <= HELD_P99 {
                held = Some(held.map_or(rate, |best: u32| best.max(rate)));
            } else {
                break;
            }
        }
        match held {
            Some(rate) => println!(
                "highest rate held with p99 ≤ {} and no error: {rate} orders/s",
                ms(HELD_P99)
            ),
            None => println!("no rate held with p99 ≤ {} and no error", ms(HELD_P99)),
        }
    });
    drop(proxy);
    if let Ok(url) = std::env::var("SPOTPLAN_TEST_DATABASE_URL") {
        team_mode(&client_runtime, &client, &url, standin_address, &order, seconds);
    }
    let _ = std::fs::remove_dir_all(data);
}

/// The same open-loop load at 200 orders/s over two replicas on one fresh PostgreSQL database.
fn team_mode(
    runtime: &tokio::runtime::Runtime,
    client: &reqwest::Client,
    cluster_url: &str,
    standin: std::net::SocketAddr,
    order: &serde_json::Value,
    seconds: u64,
) {
    let name = format!("bench_{}", std::process::id());
    let url = runtime.block_on(async {
        let (admin, connection) = tokio_postgres::connect(cluster_url, tokio_postgres::NoTls)
            .await
            .expect("the cluster answers");
        tokio::spawn(connection);
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("a fresh database");
        format!(
            "{}/{name}",
            cluster_url.rsplit_once('/').expect("a database in the URL").0
        )
    });
    let key = std::env::temp_dir().join(format!("spotplan-bench-team-{}", std::process::id()));
    let dirs: Vec<std::path::PathBuf> = (0..2).map(|n| key.join(n.to_string())).collect();
    for dir in &dirs {
        std::fs::create_dir_all(dir).expect("temp dir");
    }
    let first = start_proxy(&dirs[0], standin, Some(&url));
    // Replicas share the install key, as a team's deployment does.
    std::fs::copy(dirs[0].join("install.key"), dirs[1].join("install.key")).expect("the install key");
    let proxies = [first, start_proxy(&dirs[1], standin, Some(&url))];
    runtime.block_on(async {
        let warm = run_rate(client, &proxies, Some(order), 100, 2, "team-warm").await;
        println!(
            "team mode, two replicas on PostgreSQL — warm-up: {} orders, {} errors",
            warm.orders, warm.errors
        );
        println!("| rate | orders | errors | p50 | p99 | max | proxies' CPU per order |");
        println!("| --- | --- | --- | --- | --- | --- | --- |");
        let result = run_rate(client, &proxies, Some(order), 200, seconds, "team").await;
        print_row(&result);
        println!(
            "team budget (200 orders/s through two replicas, p99 ≤ 10 ms): {}",
            if result.errors == 0 && result.p99 <= Duration::from_millis(10) {
                "met"
            } else {
                "not met"
            }
        );
    });
    drop(proxies);
    let _ = std::fs::remove_dir_all(key);
}

fn print_row(result: &RateResult) {
    println!(
        "| {}/s | {} | {} | {} | {} | {} | {} |",
        result.rate,
        result.orders,
        result.errors,
        ms(result.p50),
        ms(result.p99),
        ms(result.max),
        format_args!("{:.0} µs", result.cpu_per_order.as_secs_f64() * 1e6)
    );
}
