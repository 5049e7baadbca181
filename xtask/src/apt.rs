//! Installing Debian packages with apt-get (as root, or through sudo when it needs no password).
//!
//! Both the setup ([`crate::setup`]) and the wasm32 toolchain's Debian route ([`crate::toolchain`]) install
//! packages this way; neither imports the other for it.

use std::process::Command;

use anyhow::bail;

use crate::process::{self, output_of};

/// Whether apt also installs the packages' recommendations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recommends {
    /// `--no-install-recommends`: only the packages and their dependencies.
    Skip,
    /// With their recommendations (rustc-web recommends `cargo-web` and `rust-web-llvm`).
    Install,
}

/// Installs Debian packages (`apt-get update`, then `apt-get install -y`), non-interactively.
pub fn install(packages: &[&str], recommends: Recommends) -> anyhow::Result<()> {
    let is_root = output_of(Command::new("id").arg("-u")).is_some_and(|uid| uid == "0");
    let apt = |args: &[&str]| {
        let mut command = if is_root {
            let mut command = Command::new("apt-get");
            command.env("DEBIAN_FRONTEND", "noninteractive");
            command
        } else {
            // sudo resets the environment: the setting goes on its command line instead.
            let mut command = Command::new("sudo");
            command.args(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]);
            command
        };
        command.args(args);
        command
    };
    if !is_root && output_of(Command::new("sudo").args(["-n", "true"])).is_none() {
        bail!(
            "need root to install {} (run `sudo apt-get install {}` once)",
            packages.join(" "),
            packages.join(" ")
        );
    }
    process::run(&mut apt(&["update", "-qq"]))?;
    let mut install = match recommends {
        Recommends::Install => apt(&["install", "-y", "-qq"]),
        Recommends::Skip => apt(&["install", "-y", "-qq", "--no-install-recommends"]),
    };
    install.args(packages);
    process::run(&mut install)
}
