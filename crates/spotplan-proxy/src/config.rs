//! The proxy's configuration: where it listens and where the built web app lives.

use std::net::SocketAddr;
use std::path::PathBuf;

/// The address the proxy binds to unless told otherwise: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";

/// How the proxy was asked to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// The socket address to bind.
    pub listen: SocketAddr,
    /// The folder holding the release build of the web app (`index.html` and hashed assets).
    pub static_dir: PathBuf,
}

impl Config {
    /// A configuration serving `static_dir` on the default loopback address.
    pub fn new(static_dir: PathBuf) -> Config {
        let listen = DEFAULT_LISTEN
            .parse()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 8787)));
        Config { listen, static_dir }
    }
}
