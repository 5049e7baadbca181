//! The `spotplan-proxy` binary: parses flags, binds (loopback unless told otherwise), serves [`spotplan_proxy::app`]
//! and stops cleanly on Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Parser;
use spotplan_proxy::{AppState, Config, app};

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
    let mut config = Config::new(args.static_dir);
    config.listen = args.listen;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let local = listener.local_addr().context("listener has no local address")?;
    println!("Spotplan is running at http://{local}/  (Ctrl-C stops it)");
    axum::serve(listener, app(AppState::new(config)))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("server failed")?;
    println!("Spotplan stopped");
    Ok(())
}
