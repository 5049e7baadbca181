//! The test run's scratch folder: every temporary file of one `cargo xtask test` run lives under
//! `target/test-tmp`, emptied when the run starts and removed when it ends.
//!
//! Tests, Chromium (the wasm runner's and the end-to-end tests' profiles) and the SDK checks all create their
//! temporary folders under `TMPDIR`. A run used to leave gigabytes in `/tmp`, which the next run, or the next
//! build on a shared disk, then lacked. The workspace forbids `unsafe`, so xtask does not change its own
//! environment: it runs itself again with `TMPDIR` pointing here, and cleans up when that run ends.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

use anyhow::Context;

/// The scratch folder of the running test command; removed (with everything in it) when dropped.
#[derive(Debug)]
pub struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    /// `None` when this process already runs inside the scratch folder (it is the run started by
    /// [`Scratch::run_again_inside`]); otherwise empties and creates `dir`, writable by everyone with the sticky
    /// bit like `/tmp` (the PostgreSQL cluster runs as an unprivileged user when the run is root's).
    pub fn for_this_run(dir: &Path) -> anyhow::Result<Option<Self>> {
        let dir = std::path::absolute(dir)?;
        if std::env::var_os("TMPDIR").is_some_and(|current| Path::new(&current) == dir) {
            return Ok(None);
        }
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o1777))
                .with_context(|| format!("opening {} to the cluster's user", dir.display()))?;
        }
        Ok(Some(Self { dir }))
    }

    /// Runs this xtask again with the same arguments and `TMPDIR` set to the scratch folder; its exit status.
    pub fn run_again_inside(&self) -> anyhow::Result<ExitStatus> {
        let xtask = std::env::current_exe().context("finding the running xtask")?;
        Command::new(xtask)
            .args(std::env::args_os().skip(1))
            .env("TMPDIR", &self.dir)
            .status()
            .context("running the tests inside the scratch folder")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_dir_all(&self.dir) {
            eprintln!(
                "cannot remove the test run's scratch folder {}: {error}",
                self.dir.display()
            );
        }
    }
}
