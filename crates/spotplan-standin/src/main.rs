//! The `spotplan-standin` binary: serves one cloud's stand-in on a loopback port and prints its URL, for the
//! end-to-end tests (`--cloud alibaba --access-key-id … --secret …`).

use anyhow::{Context, bail};
use clap::Parser;
use spotplan_standin::{Kind, Standin, router};

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
    axum::serve(listener, router(Standin::new(kind, &args.access_key_id, &args.secret)))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
