//! The one shared, idempotent setup step: installs only what is missing and checks that pinned versions agree.
//!
//! * the wasm32 standard library ([`crate::toolchain`]);
//! * `trunk` and `wasm-bindgen-cli` with `cargo install --locked`, wasm-bindgen pinned to the version in
//!   `Cargo.lock` (and in `Trunk.toml`), so Trunk never downloads a tool;
//! * for tests: Debian's `chromium` and `chromium-driver`, the end-to-end tests' npm packages, and Debian's
//!   `postgresql` (team mode's tests start a throwaway cluster of it, see [`crate::postgres`]).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::apt::{self, Recommends};
use crate::process::{self, output_of};
use crate::toolchain::{self, WasmRoute};

/// The Trunk version that builds with this machine's rustc (0.22 needs a newer one).
pub const TRUNK_VERSION: &str = "0.21.14";

/// Where the browser tests find Chromium and its driver (Debian's packages; never a downloaded browser).
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Debian's ChromeDriver, used by wasm-bindgen-test-runner.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// What a command needs the setup for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Building and running the product.
    Serve,
    /// Everything `Serve` needs plus the browsers and test packages.
    Test,
}

/// The installed tools and the wasm route, ready for the build and test steps.
#[derive(Debug, Clone)]
pub struct Env {
    /// How wasm32 builds get their standard library.
    pub route: WasmRoute,
    /// The folder holding `trunk`, `wasm-bindgen` and `wasm-bindgen-test-runner`.
    pub tool_bin: PathBuf,
    /// The Python with the official cloud SDKs (tests only).
    pub sdk_python: Option<PathBuf>,
    /// The Python with schemathesis, for the API contract test (tests only).
    pub contract_python: Option<PathBuf>,
}

impl Env {
    /// A `cargo` command for a wasm32 build on this route.
    pub fn wasm_cargo(&self) -> Command {
        let mut command = Command::new("cargo");
        self.route.apply(&mut command);
        command
    }
}

/// Installs whatever is missing for `purpose`; a second run installs nothing.
pub fn ensure_all(purpose: Purpose) -> anyhow::Result<Env> {
    ensure_rustup_components()?;
    let route = toolchain::ensure_wasm_std()?;
    let wasm_bindgen_version = locked_version("wasm-bindgen")?;
    check_trunk_toml_pin(&wasm_bindgen_version)?;
    let tool_bin = cargo_bin_dir();
    ensure_cargo_tool(
        &tool_bin,
        "trunk",
        "trunk",
        TRUNK_VERSION,
        &format!("trunk {TRUNK_VERSION}"),
    )?;
    ensure_cargo_tool(
        &tool_bin,
        "wasm-bindgen-cli",
        "wasm-bindgen",
        &wasm_bindgen_version,
        &format!("wasm-bindgen {wasm_bindgen_version}"),
    )?;
    let (mut sdk_python, mut contract_python) = (None, None);
    if purpose == Purpose::Test {
        ensure_chromium()?;
        crate::postgres::ensure_installed()?;
        ensure_npm_packages(Path::new("tests/e2e"))?;
        sdk_python = Some(ensure_venv(Path::new(SDK_VENV), Path::new(SDK_REQUIREMENTS))?);
        contract_python = Some(ensure_venv(Path::new(CONTRACT_VENV), Path::new(CONTRACT_REQUIREMENTS))?);
    }
    Ok(Env {
        route,
        tool_bin,
        sdk_python,
        contract_python,
    })
}

/// `cargo fmt` and `cargo clippy` (the test command's first layers): a rustup toolchain installed with the
/// `minimal` profile has neither.
fn ensure_rustup_components() -> anyhow::Result<()> {
    let missing: Vec<&str> = [("rustfmt", "fmt"), ("clippy", "clippy")]
        .into_iter()
        .filter(|(_, subcommand)| {
            !Command::new("cargo")
                .args([subcommand, "--version"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        })
        .map(|(component, _)| component)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    process::run(Command::new("rustup").args(["component", "add"]).args(&missing))
        .with_context(|| format!("installing the rustup components {}", missing.join(", ")))
}

fn cargo_bin_dir() -> PathBuf {
    // `cargo install` puts tools under CARGO_INSTALL_ROOT when it is set, else under CARGO_HOME.
    if let Some(root) = std::env::var_os("CARGO_INSTALL_ROOT") {
        return PathBuf::from(root).join("bin");
    }
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"));
    home.join("bin")
}

/// The version of `package` recorded in `Cargo.lock`.
pub fn locked_version(package: &str) -> anyhow::Result<String> {
    let lock = std::fs::read_to_string("Cargo.lock").context("reading Cargo.lock")?;
    let needle = format!("name = \"{package}\"\nversion = \"");
    let start = lock
        .find(&needle)
        .with_context(|| format!("{package} is not in Cargo.lock"))?
        + needle.len();
    let version = lock[start..].split('"').next().context("malformed Cargo.lock")?;
    Ok(version.to_owned())
}

fn check_trunk_toml_pin(lock_version: &str) -> anyhow::Result<()> {
    let trunk_toml = std::fs::read_to_string("Trunk.toml").context("reading Trunk.toml")?;
    let pinned = trunk_toml
        .lines()
        .find_map(|line| line.trim().strip_prefix("wasm_bindgen = \""))
        .and_then(|rest| rest.split('"').next())
        .context("Trunk.toml has no [tools] wasm_bindgen pin")?;
    if pinned != lock_version {
        bail!(
            "wasm-bindgen versions drifted: Cargo.lock has {lock_version} but Trunk.toml pins {pinned}; \
             make them equal (Trunk would otherwise try to download a wasm-bindgen)"
        );
    }
    Ok(())
}

fn ensure_cargo_tool(bin_dir: &Path, krate: &str, binary: &str, version: &str, expected: &str) -> anyhow::Result<()> {
    let path = bin_dir.join(binary);
    let found = output_of(Command::new(&path).arg("--version"));
    if found.as_deref() == Some(expected) {
        return Ok(());
    }
    match &found {
        Some(other) => eprintln!("{binary}: found `{other}`, need `{expected}`; installing"),
        None => eprintln!("{binary}: not installed; installing {krate} {version} (takes minutes, once)"),
    }
    process::run(Command::new("cargo").args(["install", "--locked", krate, "--version", version]))?;
    let installed = output_of(Command::new(&path).arg("--version"));
    if installed.as_deref() != Some(expected) {
        bail!("{binary} reports {installed:?} after installing {krate} {version}");
    }
    Ok(())
}

fn ensure_chromium() -> anyhow::Result<()> {
    // A CJK font, so screenshots of the Chinese UI show characters rather than boxes.
    let has_cjk_font = output_of(Command::new("fc-list").arg(":lang=zh")).is_some_and(|fonts| !fonts.is_empty());
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() && has_cjk_font {
        return Ok(());
    }
    eprintln!("browser tests: installing Debian's chromium, chromium-driver and a CJK font");
    apt::install(&["chromium", "chromium-driver", "fonts-wqy-zenhei"], Recommends::Skip)
}

/// Where the official cloud SDKs are installed for the cross-checks.
const SDK_VENV: &str = "target/sdk-venv";
/// The pinned SDK packages.
const SDK_REQUIREMENTS: &str = "tests/sdk/requirements.txt";

/// Where schemathesis is installed for the API contract test.
const CONTRACT_VENV: &str = "target/contract-venv";
/// Schemathesis and its dependencies, pinned.
const CONTRACT_REQUIREMENTS: &str = "tests/contract/requirements.txt";

/// A virtualenv with pinned packages (reinstalled only when the requirements change).
fn ensure_venv(venv: &Path, requirements: &Path) -> anyhow::Result<PathBuf> {
    let python = std::env::current_dir()?.join(venv).join("bin/python");
    let wanted =
        std::fs::read_to_string(requirements).with_context(|| format!("reading {}", requirements.display()))?;
    let stamp = venv.join(".installed-requirements");
    if python.exists() && std::fs::read_to_string(&stamp).is_ok_and(|installed| installed == wanted) {
        return Ok(python);
    }
    let has_pip = |python: &Path| {
        Command::new(python)
            .args(["-m", "pip", "--version"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    if python.exists() && !has_pip(&python) {
        // Left half-made by an interrupted run: made again rather than failing on every run.
        std::fs::remove_dir_all(venv).with_context(|| format!("removing the half-made {}", venv.display()))?;
    }
    if !python.exists() {
        let created = process::run(Command::new("python3").args(["-m", "venv"]).arg(venv));
        if created.is_err() {
            // Debian's python3 keeps `venv` in a package of its own; when `python3` is another (pyenv's), Debian's
            // is the one that package completes.
            let _ = std::fs::remove_dir_all(venv);
            apt::install(&["python3-venv"], Recommends::Skip)?;
            let again = process::run(Command::new("python3").args(["-m", "venv"]).arg(venv));
            if again.is_err() {
                let _ = std::fs::remove_dir_all(venv);
                process::run(Command::new("/usr/bin/python3").args(["-m", "venv"]).arg(venv))?;
            }
        }
    }
    process::run(
        Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(requirements),
    )?;
    std::fs::write(&stamp, wanted)?;
    Ok(python)
}

/// The oldest Node.js the e2e tests run on (playwright-core's `engines`, in tests/e2e/package-lock.json).
const NODE_MAJOR: u32 = 20;

fn ensure_npm_packages(dir: &Path) -> anyhow::Result<()> {
    // Node.js and npm come with the machine (README: prerequisites); Debian's own nodejs is too old to install.
    let version = output_of(Command::new("node").arg("--version"));
    let major = version
        .as_deref()
        .and_then(|text| text.trim_start_matches('v').split('.').next()?.parse::<u32>().ok());
    if major.is_none_or(|major| major < NODE_MAJOR) {
        bail!(
            "the end-to-end tests need Node.js {NODE_MAJOR} or newer with npm (found: {}); install it, e.g. from \
             https://nodejs.org, and run the command again",
            version.as_deref().unwrap_or("no `node`")
        );
    }
    let lock = dir.join("package-lock.json");
    let installed = dir.join("node_modules/.package-lock.json");
    let fresh = match (std::fs::metadata(&lock), std::fs::metadata(&installed)) {
        (Ok(lock), Ok(installed)) => installed.modified()? >= lock.modified()?,
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    process::run(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(dir),
    )
}
