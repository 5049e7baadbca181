//! The steps behind `serve`, `test` and `bench`: builds, test layers, and running the proxy.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::process::{self, run_capturing};
use crate::setup::{CHROMEDRIVER, CHROMIUM, Env};
use crate::summary::{self, Layer};
use crate::toolchain::WASM_TARGET;

/// Where Trunk writes the built web app (also set in Trunk.toml).
const DIST: &str = "target/dist";
/// Where browser tests leave screenshots and timings.
const ARTIFACTS: &str = "target/e2e-artifacts";

/// Builds the web app with Trunk in release mode, offline, with the pinned tools on PATH.
pub fn build_web(env: &Env) -> anyhow::Result<()> {
    // Trunk's own `cargo metadata` wants every platform's crates before an --offline build.
    process::run(Command::new("cargo").arg("fetch"))?;
    let mut trunk = Command::new(env.tool_bin.join("trunk"));
    trunk.args(["build", "--release", "--offline"]);
    env.route.apply(&mut trunk);
    // Trunk runs `cargo` from PATH: on the Debian route /usr/bin must come first (Debian's cargo), then the
    // folder with the pinned wasm-bindgen; on the rustup route the tool folder first is enough.
    let path = std::env::var("PATH").unwrap_or_default();
    let path = match env.route {
        crate::toolchain::WasmRoute::DebianBuildStd => format!("/usr/bin:{}:{path}", env.tool_bin.display()),
        crate::toolchain::WasmRoute::Rustup => format!("{}:{path}", env.tool_bin.display()),
    };
    trunk.env("PATH", path);
    process::run(&mut trunk)?;
    if let Some((raw, gzip, brotli)) = crate::precompress::precompress(Path::new(DIST))? {
        eprintln!(
            "web: wasm precompressed: {:.1} KB raw, {:.1} KB gzip, {:.1} KB brotli",
            raw as f64 / 1000.0,
            gzip as f64 / 1000.0,
            brotli as f64 / 1000.0
        );
    }
    report_wasm_size(Path::new(DIST))
}

fn report_wasm_size(dist: &Path) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dist).context("reading the dist folder")?.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|ext| ext == "wasm") {
            let raw = std::fs::metadata(&path)?.len();
            let gzip = Command::new("gzip")
                .args(["-9", "-c"])
                .arg(&path)
                .output()
                .map(|out| out.stdout.len());
            let gzip = gzip.map_or_else(|_| "?".to_owned(), |n| format!("{:.1} KB", n as f64 / 1000.0));
            eprintln!(
                "web: {} is {:.1} KB raw, {gzip} gzip -9",
                path.display(),
                raw as f64 / 1000.0
            );
        }
    }
    Ok(())
}

/// `cargo xtask serve`: build everything, then become the proxy (Ctrl-C stops it cleanly).
pub fn serve(env: &Env) -> anyhow::Result<()> {
    build_web(env)?;
    process::run(Command::new("cargo").args(["build", "--release", "-p", "spotplan-proxy"]))?;
    let mut proxy = Command::new("target/release/spotplan-proxy");
    proxy.args(["--static-dir", DIST]);
    eprintln!("$ {}", process::describe(&proxy));
    exec(proxy)
}

#[cfg(unix)]
fn exec(mut command: Command) -> anyhow::Result<()> {
    use std::os::unix::process::CommandExt;
    Err(command.exec()).context("cannot start the proxy")
}

#[cfg(not(unix))]
fn exec(mut command: Command) -> anyhow::Result<()> {
    process::run(&mut command)
}

/// `cargo xtask test`: every layer, even after a failure, then the summary; non-zero exit on any failure.
pub fn test(env: &Env) -> anyhow::Result<()> {
    let mut layers = Vec::new();
    let fmt = process::run(Command::new("cargo").args(["fmt", "--all", "--check"])).is_ok();
    layers.push(Layer::check("fmt", fmt));

    let clippy_native =
        process::run(Command::new("cargo").args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]));
    layers.push(Layer::check("clippy (native)", clippy_native.is_ok()));
    layers.push(clippy_wasm(env));

    // Team mode's tests run against a real PostgreSQL: a throwaway cluster for this run, stopped at the end.
    let postgres = crate::postgres::Cluster::start();
    layers.push(Layer::check("PostgreSQL cluster (team mode)", postgres.is_ok()));
    if let Err(error) = &postgres {
        eprintln!("cannot start PostgreSQL for the team-mode tests: {error:#}");
    }
    let mut native = Command::new("cargo");
    native.args(["test", "--workspace", "--no-fail-fast"]);
    // Without a cluster the team-mode tests fail rather than skip: they are required here.
    native.env(crate::postgres::REQUIRED_ENV, "1");
    if let Ok(cluster) = &postgres {
        native
            .env(crate::postgres::URL_ENV, &cluster.url)
            .env(crate::postgres::CA_ENV, &cluster.ca_file);
    }
    layers.push(libtest_layer("native tests", &mut native)?);
    // The proxy's integration suites once more with every book on PostgreSQL (team mode's store).
    match &postgres {
        Ok(cluster) => {
            let mut shared = Command::new("cargo");
            shared.args(["test", "-p", "spotplan-proxy", "--no-fail-fast"]);
            // (The 500-pool refresher run takes minutes on PostgreSQL's round trips; the books suite covers its
            // state on both databases.)
            for suite in ["fleets", "lifecycle", "loopback", "price_store"] {
                shared.args(["--test", suite]);
            }
            shared
                .env("SPOTPLAN_TEST_BACKEND", "postgresql")
                .env(crate::postgres::URL_ENV, &cluster.url)
                .env(crate::postgres::REQUIRED_ENV, "1");
            layers.push(libtest_layer("proxy suites on PostgreSQL", &mut shared)?);
        }
        Err(_) => layers.push(Layer::check("proxy suites on PostgreSQL", false)),
    }
    layers.push(wasm_tests(env)?);
    layers.push(sdk_checks(env)?);

    let built = build_web(env).is_ok();
    layers.push(Layer::check("web release build", built));
    let proxy_built = process::run(Command::new("cargo").args([
        "build",
        "-p",
        "spotplan-proxy",
        "-p",
        "spotplan-standin",
        "-p",
        "spotplan-cli",
    ]))
    .is_ok();
    layers.push(Layer::check("proxy build", proxy_built));
    if proxy_built {
        match &env.contract_python {
            Some(python) => layers.push(crate::contract::run(python, &std::env::current_dir()?)?),
            None => layers.push(Layer::check("API contract (schemathesis)", false)),
        }
    }
    if built && proxy_built {
        layers.push(e2e_tests(postgres.as_ref().ok())?);
    } else {
        layers.push(Layer {
            name: "e2e (chromium)".into(),
            passed: 0,
            failed: 1,
            note: "not run: build failed".into(),
        });
    }
    if !summary::print(&layers) {
        bail!("some tests failed");
    }
    Ok(())
}

fn clippy_wasm(env: &Env) -> Layer {
    let mut command = env.wasm_cargo();
    let name = "clippy (wasm32: core, web)";
    if env.route.has_clippy() {
        command.args([
            "clippy",
            "-p",
            "spotplan-core",
            "-p",
            "spotplan-web",
            "--all-targets",
            "--target",
            WASM_TARGET,
        ]);
        command.args(["--", "-D", "warnings"]);
        Layer::check(name, process::run(&mut command).is_ok())
    } else {
        command.args([
            "check",
            "-p",
            "spotplan-core",
            "-p",
            "spotplan-web",
            "--all-targets",
            "--target",
            WASM_TARGET,
        ]);
        let mut layer = Layer::check(name, process::run(&mut command).is_ok());
        layer.note = "Debian route has no clippy: cargo check only".into();
        layer
    }
}

fn libtest_layer(name: &str, command: &mut Command) -> anyhow::Result<Layer> {
    let (ok, output) = run_capturing(command)?;
    Ok(Layer::tests(name, ok, summary::count_libtest(&output)))
}

fn wasm_tests(env: &Env) -> anyhow::Result<Layer> {
    let mut command = env.wasm_cargo();
    command.args([
        "test",
        "--no-fail-fast",
        "-p",
        "spotplan-core",
        "-p",
        "spotplan-web",
        "--target",
        WASM_TARGET,
    ]);
    command.env(
        "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
        env.tool_bin.join("wasm-bindgen-test-runner"),
    );
    command.env("CHROMEDRIVER", CHROMEDRIVER);
    command.env("WASM_BINDGEN_TEST_TIMEOUT", "120");
    libtest_layer("wasm tests (headless chromium)", &mut command)
}

/// Our signatures, order requests and Python snippets checked against the official Python SDKs' own code.
fn sdk_checks(env: &Env) -> anyhow::Result<Layer> {
    let mut command = Command::new("cargo");
    command.args(["test", "--no-fail-fast", "-p", "spotplan-sign", "-p", "spotplan-cli"]);
    command.args([
        "--features",
        "spotplan-sign/sdk-crosscheck,spotplan-cli/sdk-conformance",
    ]);
    command.args(["--test", "sdk_crosscheck", "--test", "sdk_conformance"]);
    if let Some(python) = &env.sdk_python {
        command.env("SPOTPLAN_SDK_PYTHON", python);
    }
    libtest_layer("SDK cross-checks (official Python SDKs)", &mut command)
}

fn e2e_tests(postgres: Option<&crate::postgres::Cluster>) -> anyhow::Result<Layer> {
    std::fs::create_dir_all(ARTIFACTS)?;
    let root = std::env::current_dir()?;
    let mut command = Command::new("node");
    command.args(["--test", "--test-reporter=tap", "--test-concurrency=1"]);
    command.args(e2e_files(Path::new("tests/e2e"))?);
    command
        .env("SPOTPLAN_PROXY_BIN", root.join("target/debug/spotplan-proxy"))
        .env("SPOTPLAN_STANDIN_BIN", root.join("target/debug/spotplan-standin"))
        .env("SPOTPLAN_CLI_BIN", root.join("target/debug/spotplan"))
        .env("SPOTPLAN_DIST", root.join(DIST))
        .env("SPOTPLAN_ARTIFACTS", root.join(ARTIFACTS))
        .env("CHROMIUM", CHROMIUM)
        // The team-mode page test runs on the cluster's own database (the native tests use databases of their own).
        .env(crate::postgres::REQUIRED_ENV, "1");
    if let Some(cluster) = postgres {
        command.env(crate::postgres::URL_ENV, &cluster.url);
    }
    let (ok, output) = run_capturing(&mut command)?;
    let mut layer = Layer::tests("e2e (headless chromium)", ok, summary::count_node_tap(&output));
    if layer.note.is_empty() {
        layer.note = format!("screenshots in {ARTIFACTS}");
    }
    Ok(layer)
}

fn e2e_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("no end-to-end tests found in {}", dir.display());
    }
    Ok(files)
}

/// `cargo xtask bench`: the native benchmarks.
pub fn bench(_env: &Env) -> anyhow::Result<()> {
    process::run(Command::new("cargo").args(["bench", "--workspace"]))
}
