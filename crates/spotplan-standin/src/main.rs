//! The `spotplan-standin` binary: serves one cloud's stand-in on a loopback port and prints its URL, for the
//! end-to-end tests (`--cloud alibaba --access-key-id … --secret …`).

use anyhow::{Context, bail};
use clap::Parser;
use spotplan_standin::{Kind, Standin, serve};

/// A local stand-in for one cloud's order API.
#[derive(Debug, Parser)]
struct Args {
    /// alibaba, tencent or baidu.
    #[arg(long)]
    cloud: String,
    /// The access key id it accepts.
    #[arg(long)]
    access_key_id: String,
    /// The secret it verifies signatures with (test credentials only).
    #[arg(long)]
    secret: String,
    /// Where to listen (loopback only).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: std::net::SocketAddr,
    /// Milliseconds each price query takes to answer.
    #[arg(long, default_value_t = 0)]
    price_delay_ms: u64,
    /// Milliseconds a new instance stays pending.
    #[arg(long, default_value_t = 2000)]
    pending_ms: u64,
    /// Milliseconds a reclaim notice runs before the instance is gone.
    #[arg(long, default_value_t = 300_000)]
    notice_ms: u64,
    /// Milliseconds a release takes to answer after it has acted (to stop the proxy in between).
    #[arg(long, default_value_t = 0)]
    release_delay_ms: u64,
    /// Reclaim at a rate: every this many milliseconds the oldest running instance gets a notice (0: never).
    #[arg(long, default_value_t = 0)]
    reclaim_every_ms: u64,
    /// Answer price queries from the synthetic market (moves, spikes, pools with no market) instead of one fixed
    /// price.
    #[arg(long)]
    market: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if !args.listen.ip().is_loopback() {
        bail!("a stand-in listens on loopback only");
    }
    let kind = match args.cloud.as_str() {
        "alibaba" => Kind::Alibaba,
        "tencent" => Kind::Tencent,
        "baidu" => Kind::Baidu,
        other => bail!("--cloud `{other}` is not alibaba, tencent or baidu"),
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .context("cannot listen")?;
    let local = listener.local_addr()?;
    println!("stand-in for {} at http://{local}", args.cloud);
    let mut standin = Standin::new(kind, &args.access_key_id, &args.secret);
    standin.price_delay = std::time::Duration::from_millis(args.price_delay_ms);
    standin.lifecycle.pending_for = std::time::Duration::from_millis(args.pending_ms);
    standin.market = args.market;
    standin.lifecycle.notice_for = std::time::Duration::from_millis(args.notice_ms);
    standin.lifecycle.release_delay = std::time::Duration::from_millis(args.release_delay_ms);
    standin
        .lifecycle
        .reclaim_every(Some(std::time::Duration::from_millis(args.reclaim_every_ms)));
    serve(listener, standin, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
