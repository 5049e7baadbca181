//! The `spotplan-proxy` binary: parses flags, loads credentials, opens the order log, binds (loopback unless told
//! otherwise), serves [`spotplan_proxy::app`] and stops cleanly on Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Parser;
use spotplan_proxy::at_rest::prepare_data_dir;
use spotplan_proxy::credentials::{Sources, load};
use spotplan_proxy::endpoints::Endpoints;
use spotplan_proxy::spend::SpendLimits;
use spotplan_proxy::upstream::random_hex;
use spotplan_proxy::{AppState, Config, InstallKey, Store, app};
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
    /// Calls to the clouds in flight at once, across every request.
    #[arg(long, env = "SPOTPLAN_UPSTREAM_IN_FLIGHT", default_value_t = 32)]
    upstream_in_flight: usize,
    /// An HTTP(S) proxy to reach the clouds through (the usual HTTPS_PROXY variables are ignored).
    #[arg(long, env = "SPOTPLAN_UPSTREAM_PROXY")]
    upstream_proxy: Option<String>,
    /// The most one order may cost per hour (instances × hourly bid), e.g. `50 CNY`.
    #[arg(long, env = "SPOTPLAN_MAX_ORDER_PER_HOUR", value_parser = spotplan_proxy::spend::parse_ceiling)]
    max_order_per_hour: Option<spotplan_core::Money>,
    /// The most all orders placed in the last hour may cost per hour together, e.g. `200 CNY`.
    #[arg(long, env = "SPOTPLAN_MAX_SPEND_PER_HOUR", value_parser = spotplan_proxy::spend::parse_ceiling)]
    max_spend_per_hour: Option<spotplan_core::Money>,
    /// The most instances one order may start.
    #[arg(long, env = "SPOTPLAN_MAX_INSTANCES_PER_ORDER", default_value_t = 100)]
    max_instances_per_order: u32,
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
    let token = match std::env::var("SPOTPLAN_TOKEN") {
        Ok(token) if token.len() >= 16 => token,
        Ok(_) => bail!("SPOTPLAN_TOKEN must be at least 16 characters"),
        Err(_) => random_hex(16).context("no randomness for the API token")?,
    };
    let endpoints = Endpoints::from_env(|name| std::env::var(name).ok())?;
    let credentials = load(&Sources::from_process(args.credentials_file.clone()))?;
    let data_dir = args.data_dir.clone().unwrap_or_else(default_data_dir);
    prepare_data_dir(&data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
    let install_key = InstallKey::load_or_create(&data_dir).context("cannot read the install key")?;
    let store = Store::open(&data_dir.join("orders.sqlite3"), &|order| install_key.order_hash(order))
        .context("cannot open the order log")?;
    let mut config = Config::new(args.static_dir, Secret::new(token.clone()));
    config.listen = args.listen;
    config.endpoints = endpoints;
    config.upstream_timeout = std::time::Duration::from_secs(args.upstream_timeout);
    config.upstream_in_flight = args.upstream_in_flight;
    config.upstream_proxy = args.upstream_proxy.clone();
    config.spend = SpendLimits {
        max_order_per_hour: args.max_order_per_hour,
        max_spend_per_hour: args.max_spend_per_hour,
        max_instances_per_order: args.max_instances_per_order,
    };
    for cloud in spotplan_core::Cloud::ALL {
        match credentials.get(cloud) {
            Some(loaded) => tracing::info!(%cloud, source = %loaded.source, "credentials found: orders can be placed"),
            None => tracing::info!(%cloud, "no credentials: planning mode"),
        }
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let local = listener.local_addr().context("listener has no local address")?;
    let state = AppState::new(config, credentials, store, install_key)?;
    // Orders a crash left pending are resolved in the background, while the proxy already answers.
    let reconciling = state.clone();
    tokio::spawn(async move {
        match spotplan_proxy::exactly_once::reconcile_pending(&reconciling).await {
            Ok(0) => {}
            Ok(resolved) => tracing::info!(resolved, "orders left pending by an earlier run are resolved"),
            Err(error) => tracing::error!(%error, "could not resolve the orders left pending by an earlier run"),
        }
    });
    println!("Spotplan is running at http://{local}/  (Ctrl-C stops it)");
    println!("API token for scripts (X-Spotplan-Token): {token}");
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
