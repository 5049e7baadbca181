//! A throwaway PostgreSQL cluster for the tests of team mode: Debian's `postgresql` package (installed when
//! missing), `initdb` into `target/postgres/` — as the unprivileged `nobody` when the tests run as root, since
//! PostgreSQL refuses to run as root — listening on loopback only at a free port, trust authentication for one
//! database user, TLS offered with a certificate of an authority made for the run (`crate::postgres_tls`), and stopped (`pg_ctl stop -m immediate`) when the [`Cluster`] is dropped. Each run starts from
//! an empty data folder.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::apt::{self, Recommends};
use crate::process;

/// Where the cluster's data, socket and log live (inside the one `target/`).
const ROOT: &str = "target/postgres";
/// The variable the tests read the cluster's URL from.
pub const URL_ENV: &str = "SPOTPLAN_TEST_DATABASE_URL";
/// The variable the tests read the cluster's CA certificate (PEM) from.
pub const CA_ENV: &str = "SPOTPLAN_TEST_DATABASE_CA";
/// Set by the test command: without a URL, the team-mode tests fail instead of skipping.
pub const REQUIRED_ENV: &str = "SPOTPLAN_REQUIRE_POSTGRES";
/// The database and user the tests use.
pub const DATABASE: &str = "spotplan";

/// A running cluster; stopped when dropped.
#[derive(Debug)]
pub struct Cluster {
    bin: PathBuf,
    root: PathBuf,
    data: PathBuf,
    as_nobody: bool,
    /// The URL the tests connect with (`SPOTPLAN_TEST_DATABASE_URL`).
    pub url: String,
    /// The certificate of the authority that signed the server's (`SPOTPLAN_TEST_DATABASE_CA`).
    pub ca_file: PathBuf,
}

/// Installs Debian's PostgreSQL server when no `initdb` is there.
pub fn ensure_installed() -> anyhow::Result<()> {
    if server_bin().is_some() {
        return Ok(());
    }
    eprintln!("team-mode tests: installing Debian's postgresql");
    apt::install(&["postgresql"], Recommends::Skip)?;
    server_bin()
        .map(drop)
        .context("postgresql is installed but no initdb is found")
}

/// The newest `/usr/lib/postgresql/N/bin` holding `initdb`.
fn server_bin() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn running_as_root() -> bool {
    process::output_of(Command::new("id").arg("-u")).is_some_and(|uid| uid.trim() == "0")
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Cluster {
    /// Starts an empty cluster.
    pub fn start() -> anyhow::Result<Cluster> {
        ensure_installed()?;
        let bin = server_bin().context("no PostgreSQL server binaries")?;
        let as_nobody = running_as_root();
        let parent = std::env::current_dir()?.join(ROOT);
        remove_abandoned(&parent, &bin);
        // One folder per run, so two runs at once do not stop each other's cluster.
        let mut root = parent.join(std::process::id().to_string());
        if as_nobody && !others_can_reach(&parent) {
            // `nobody` cannot reach `target/` (a home folder closed to others): the cluster goes to a folder of
            // its own under the system's temporary folder rather than opening the user's folders.
            // (`/tmp` itself: the test command points TMPDIR into `target/`, which `nobody` cannot reach either.)
            root = PathBuf::from("/tmp").join(format!("spotplan-postgres-{}", std::process::id()));
        }
        if root.exists() {
            stop_and_remove(&root, &bin);
        }
        std::fs::create_dir_all(&root)?;
        if as_nobody {
            // PostgreSQL refuses root: the cluster belongs to `nobody`, who must also reach its folder.
            process::run(Command::new("chown").arg("nobody").arg(&root))?;
            if root.starts_with(&parent) {
                process::run(Command::new("chmod").arg("o+x").arg(&parent))?;
            }
        }
        let data = root.join("data");
        let cluster_command = |program: &str| server_command(&bin, program, as_nobody);
        process::run_capturing(
            cluster_command("initdb")
                .args(["--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"])
                .arg(format!("--username={DATABASE}"))
                .arg("-D")
                .arg(&data),
        )
        .and_then(|(ok, output)| if ok { Ok(()) } else { bail!("initdb failed:\n{output}") })?;
        let certificates = crate::postgres_tls::write_into(&root)?;
        if as_nobody {
            process::run(
                Command::new("chown")
                    .arg("nobody")
                    .arg(&certificates.server_certificate)
                    .arg(&certificates.server_key),
            )?;
        }
        let port = free_port()?;
        let options = format!(
            "-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={} -c fsync=off \
             -c max_connections=400 -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
            root.display(),
            certificates.server_certificate.display(),
            certificates.server_key.display(),
        );
        process::run_capturing(
            cluster_command("pg_ctl")
                .args(["start", "-w", "-t", "60", "-D"])
                .arg(&data)
                .arg("-l")
                .arg(root.join("log"))
                .args(["-o", &options]),
        )
        .and_then(|(ok, output)| {
            if ok {
                Ok(())
            } else {
                bail!("pg_ctl start failed:\n{output}")
            }
        })?;
        let cluster = Cluster {
            bin: bin.clone(),
            root: root.clone(),
            data,
            as_nobody,
            url: format!("postgres://{DATABASE}@127.0.0.1:{port}/{DATABASE}"),
            ca_file: certificates.ca,
        };
        process::run_capturing(Command::new(bin.join("createdb")).args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            DATABASE,
            DATABASE,
        ]))
        .and_then(|(ok, output)| {
            if ok {
                Ok(())
            } else {
                bail!("createdb failed:\n{output}")
            }
        })?;
        eprintln!(
            "team-mode tests: PostgreSQL running at 127.0.0.1:{port} (data in {})",
            root.display()
        );
        Ok(cluster)
    }
}

/// A command running one of the server's programs, as `nobody` when asked (PostgreSQL refuses root).
fn server_command(bin: &Path, program: &str, as_nobody: bool) -> Command {
    if as_nobody {
        let mut command = Command::new("setpriv");
        command
            .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"])
            .arg(bin.join(program));
        command
    } else {
        Command::new(bin.join(program))
    }
}

/// Stops and removes the clusters of runs that are gone (their folder is named by their process id).
fn remove_abandoned(parent: &Path, bin: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let alive = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<u32>().ok())
            .is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
        if !alive {
            stop_and_remove(&entry.path(), bin);
        }
    }
}

/// Stops a cluster (if it runs) and removes its folder.
fn stop_and_remove(root: &Path, bin: &Path) {
    let _ = server_command(bin, "pg_ctl", running_as_root())
        .args(["stop", "-m", "immediate", "-D"])
        .arg(root.join("data"))
        .output();
    let _ = std::fs::remove_dir_all(root);
}

/// Whether every folder above `path` lets others through (`o+x`), so `nobody` can reach it.
fn others_can_reach(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.ancestors()
        .skip(1)
        .all(|dir| std::fs::metadata(dir).map_or(true, |metadata| metadata.permissions().mode() & 0o001 != 0))
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let stopped = server_command(&self.bin, "pg_ctl", self.as_nobody)
            .args(["stop", "-m", "immediate", "-D"])
            .arg(&self.data)
            .output();
        if stopped.is_ok_and(|output| output.status.success()) {
            let _ = std::fs::remove_dir_all(&self.root);
        } else {
            eprintln!(
                "team-mode tests: could not stop the PostgreSQL cluster in {}",
                self.root.display()
            );
        }
    }
}
