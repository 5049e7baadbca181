//! The `spotplan-proxy` binary: parses flags, loads credentials, opens the order log, binds (loopback unless told
//! otherwise), prints the one-time sign-in link, serves [`spotplan_proxy::app`] and stops cleanly on Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Parser;
use spotplan_proxy::credentials::{Sources, load};
use spotplan_proxy::endpoints::Endpoints;
use spotplan_proxy::host_check::ConfiguredHost;
use spotplan_proxy::sign_in::{SIGN_IN_LINK_LIFETIME, TOKEN_PARAMETER};
use spotplan_proxy::upstream::random_hex;
use spotplan_proxy::{AppState, Config, Store, app};
use spotplan_sign::Secret;

/// Spotplan's signing proxy: serves the planner app and, with credentials, signs and places spot orders.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on. Non-loopback addresses also need --allow-remote.
    #[arg(long, env = "SPOTPLAN_LISTEN", default_value = spotplan_proxy::config::DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// Accept a non-loopback --listen address (anyone who can reach it can use your credentials).
    #[arg(long)]
    allow_remote: bool,
    /// Another name this proxy answers to besides 127.0.0.1, localhost and [::1] (the Host header browsers send);
    /// NAME or NAME:PORT, repeatable or comma-separated.
    #[arg(
        long = "allowed-host",
        env = "SPOTPLAN_ALLOWED_HOSTS",
        value_delimiter = ',',
        value_name = "NAME[:PORT]"
    )]
    allowed_hosts: Vec<ConfiguredHost>,
    /// Folder with the built web app (Trunk's output).
    #[arg(long, env = "SPOTPLAN_STATIC_DIR", default_value = "target/dist")]
    static_dir: PathBuf,
    /// Folder for the order log (default: the user's data directory, e.g. ~/.local/share/spotplan).
    #[arg(long, env = "SPOTPLAN_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// A JSON credentials file (see README); the clouds' own environment variables and CLI files also work.
    #[arg(long, env = "SPOTPLAN_CREDENTIALS_FILE")]
    credentials_file: Option<PathBuf>,
    /// Seconds one call to a cloud may take before its outcome counts as unknown.
    #[arg(long, env = "SPOTPLAN_UPSTREAM_TIMEOUT", default_value_t = 30)]
    upstream_timeout: u64,
}

fn default_data_dir() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("spotplan")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SPOTPLAN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    if !args.listen.ip().is_loopback() {
        if !args.allow_remote {
            bail!(
                "refusing to listen on non-loopback address {} without --allow-remote",
                args.listen
            );
        }
        tracing::warn!(listen = %args.listen, "listening beyond loopback: anyone who can reach this port can use your credentials");
    }
    if !args.static_dir.join("index.html").is_file() {
        tracing::warn!(dir = %args.static_dir.display(), "no built web app here; the API still works (build it with `cargo xtask serve`)");
    }
    let token_is_fixed = std::env::var_os("SPOTPLAN_TOKEN").is_some();
    let token = match std::env::var("SPOTPLAN_TOKEN") {
        Ok(token) if token.len() >= 16 => token,
        Ok(_) => bail!("SPOTPLAN_TOKEN must be at least 16 characters"),
        Err(_) => random_hex(16).context("no randomness for the API token")?,
    };
    let endpoints = Endpoints::from_env(|name| std::env::var(name).ok())?;
    let credentials = load(&Sources::from_process(args.credentials_file.clone()))?;
    let data_dir = args.data_dir.clone().unwrap_or_else(default_data_dir);
    std::fs::create_dir_all(&data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
    let store = Store::open(&data_dir.join("orders.sqlite3")).context("cannot open the order log")?;
    for cloud in spotplan_core::Cloud::ALL {
        match credentials.get(cloud) {
            Some(loaded) => tracing::info!(%cloud, source = %loaded.source, "credentials found: orders can be placed"),
            None => tracing::info!(%cloud, "no credentials: planning mode"),
        }
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let mut config = Config::new(args.static_dir, Secret::new(token.clone()));
    // The real address: the allowed Host names and the cookie name carry the bound port.
    config.listen = listener.local_addr().context("listener has no local address")?;
    config.allowed_hosts = args.allowed_hosts;
    config.endpoints = endpoints;
    config.upstream_timeout = std::time::Duration::from_secs(args.upstream_timeout);
    let state = AppState::new(config, credentials, store)?;
    let code = state.sign_in.issue(SIGN_IN_LINK_LIFETIME)?;
    let base_url = state.allowed_hosts.base_url().to_owned();
    println!("Spotplan is running at {base_url}  (Ctrl-C stops it)");
    println!(
        "Sign in with this link (it works once, within {} minutes): {base_url}?{TOKEN_PARAMETER}={code}",
        SIGN_IN_LINK_LIFETIME.as_secs() / 60
    );
    if token_is_fixed {
        println!("API token for scripts (X-Spotplan-Token): the SPOTPLAN_TOKEN you set");
    } else {
        println!(
            "API token for scripts (X-Spotplan-Token, or {base_url}?{TOKEN_PARAMETER}=… to sign in again): {token}"
        );
    }
    println!("Order log: {}", data_dir.join("orders.sqlite3").display());
    axum::serve(listener, app(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("server failed")?;
    println!("Spotplan stopped");
    Ok(())
}
