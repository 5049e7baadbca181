//! The wasm32 standard library and the environment every wasm32 command runs in.
//!
//! Route A (normal): the active rustup toolchain with its `wasm32-unknown-unknown` std — already installed, or
//! `rustup target add` (bounded by a timeout). Route B (fallback, offline machines): Debian's `rustc-web`,
//! `cargo-web`, `rust-web-src` and `rust-web-llvm`, building std from source with `-Zbuild-std`. Only the wasm32
//! commands get route B's environment; native builds and tests always use the normal toolchain.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::apt::{self, Recommends};
use crate::process::{self, output_of};

/// The target the browser build uses.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Which wasm32 standard library the wasm builds use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WasmRoute {
    /// The rustup toolchain's prebuilt std.
    Rustup,
    /// Debian's `rustc-web` building std from `rust-web-src`.
    DebianBuildStd,
}

impl WasmRoute {
    /// Environment variables a wasm32 command needs on this route.
    pub fn env(self) -> Vec<(String, String)> {
        match self {
            WasmRoute::Rustup => Vec::new(),
            WasmRoute::DebianBuildStd => {
                let path = std::env::var("PATH").unwrap_or_default();
                vec![
                    ("PATH".into(), format!("/usr/bin:{path}")),
                    ("RUSTC_BOOTSTRAP".into(), "1".into()),
                    ("CARGO_UNSTABLE_BUILD_STD".into(), "std,panic_abort".into()),
                    // rustup's proxies must not pick the toolchain for these commands.
                    ("RUSTUP_TOOLCHAIN".into(), String::new()),
                ]
            }
        }
    }

    /// Applies this route's environment to a command that builds for wasm32.
    pub fn apply(self, command: &mut Command) {
        for (key, value) in self.env() {
            if value.is_empty() {
                command.env_remove(&key);
            } else {
                command.env(key, value);
            }
        }
        if self == WasmRoute::DebianBuildStd {
            command.env_remove("CARGO").env_remove("RUSTC").env_remove("RUSTDOC");
        }
    }

    /// Whether this route can run clippy for wasm32 (on Debian's, when `rust-web-clippy` could be installed).
    pub fn has_clippy(self) -> bool {
        self == WasmRoute::Rustup || Path::new("/usr/bin/cargo-clippy").exists()
    }
}

/// Picks and, if needed, installs the wasm32 standard library.
pub fn ensure_wasm_std() -> anyhow::Result<WasmRoute> {
    let forced = std::env::var("SPOTPLAN_WASM_ROUTE").unwrap_or_default();
    if forced == "debian" {
        eprintln!("wasm32: SPOTPLAN_WASM_ROUTE=debian forces the Debian build-std route");
        return ensure_debian_route();
    }
    if !forced.is_empty() && forced != "rustup" {
        bail!("SPOTPLAN_WASM_ROUTE must be `rustup` or `debian`, not `{forced}`");
    }
    if rustup_has_wasm_std() {
        return Ok(WasmRoute::Rustup);
    }
    eprintln!("wasm32: no standard library for the active toolchain; trying `rustup target add {WASM_TARGET}`");
    let added = Command::new("timeout")
        .args(["120", "rustup", "target", "add", WASM_TARGET])
        .status()
        .is_ok_and(|status| status.success());
    if added && rustup_has_wasm_std() {
        return Ok(WasmRoute::Rustup);
    }
    eprintln!("wasm32: rustup could not fetch the target; falling back to Debian's rustc-web with -Zbuild-std");
    ensure_debian_route()
}

/// The Debian package of the `lld` a (possibly dangling) `rust-lld` link points to: `lld-22` for a link into
/// `/usr/lib/llvm-22/`.
fn lld_package_for(link: &Path) -> Option<String> {
    let target = std::fs::read_link(link).ok()?;
    let target = if target.is_absolute() {
        target
    } else {
        link.parent()?.join(target)
    };
    target.components().find_map(|part| {
        let part = part.as_os_str().to_str()?;
        let version = part.strip_prefix("llvm-")?;
        (!version.is_empty() && version.bytes().all(|b| b.is_ascii_digit())).then(|| format!("lld-{version}"))
    })
}

fn rustup_has_wasm_std() -> bool {
    let Some(sysroot) = output_of(Command::new("rustc").args(["--print", "sysroot"])) else {
        return false;
    };
    let lib = PathBuf::from(sysroot).join("lib/rustlib").join(WASM_TARGET).join("lib");
    std::fs::read_dir(lib).is_ok_and(|entries| {
        entries.flatten().any(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            name.starts_with("libstd-") && name.ends_with(".rlib")
        })
    })
}

fn ensure_debian_route() -> anyhow::Result<WasmRoute> {
    // rust-web-clippy: the wasm32 clippy layer on this route (without it the layer can only `cargo check`).
    let packages = [
        "rustc-web",
        "cargo-web",
        "rust-web-src",
        "rust-web-llvm",
        "rust-web-clippy",
    ];
    // `exists()` follows links: a `rust-lld` whose `lld-22` target is missing counts as not installed.
    let installed = [
        "/usr/bin/rustc",
        "/usr/bin/cargo",
        "/usr/bin/rust-lld",
        "/usr/bin/cargo-clippy",
    ]
    .iter()
    .all(|path| Path::new(path).exists());
    let has_src = output_of(Command::new("dpkg-query").args(["-W", "-f=${Status}", "rust-web-src"]))
        .is_some_and(|status| status.contains("install ok installed"));
    if !(installed && has_src) {
        apt::install(&packages, Recommends::Install).context("installing Debian's rustc-web toolchain for wasm32")?;
    }
    if !Path::new("/usr/bin/rust-lld").exists() {
        // rust-web-llvm's `rust-lld` links into its LLVM (`/usr/lib/llvm-22/bin/lld`), but neither it nor anything
        // rustc-web depends on or recommends installs that LLVM's `lld-22`: install the one the link names.
        let lld = lld_package_for(Path::new("/usr/bin/rust-lld")).context(
            "/usr/bin/rust-lld is missing or does not point into /usr/lib/llvm-N (is rust-web-llvm installed?)",
        )?;
        apt::install(&[&lld], Recommends::Skip).with_context(|| format!("installing {lld} for rust-lld"))?;
    }
    let version = output_of(Command::new("/usr/bin/rustc").arg("-V")).unwrap_or_default();
    eprintln!("wasm32: Debian route with {version}");
    // build-std needs the std sources' dependencies in the local registry before any --offline build.
    let mut fetch = Command::new("cargo");
    fetch.args(["fetch", "--target", WASM_TARGET]);
    WasmRoute::DebianBuildStd.apply(&mut fetch);
    process::run(&mut fetch)?;
    Ok(WasmRoute::DebianBuildStd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lld_package_is_the_one_of_the_llvm_rust_lld_points_into() {
        let dir = std::env::temp_dir().join(format!("xtask-lld-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let absolute = dir.join("absolute");
        std::os::unix::fs::symlink("/usr/lib/llvm-22/bin/lld", &absolute).unwrap();
        let relative = dir.join("relative");
        std::os::unix::fs::symlink("../lib/llvm-19/bin/lld", &relative).unwrap();
        let elsewhere = dir.join("elsewhere");
        std::os::unix::fs::symlink("/opt/lld", &elsewhere).unwrap();
        assert_eq!(lld_package_for(&absolute).as_deref(), Some("lld-22"));
        assert_eq!(lld_package_for(&relative).as_deref(), Some("lld-19"));
        assert_eq!(lld_package_for(&elsewhere), None);
        assert_eq!(lld_package_for(&dir.join("missing")), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
