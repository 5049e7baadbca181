//! The proxy's configuration: where it listens (and whether over TLS), the extra host names it answers to, the
//! built web app, the API token, endpoint overrides, upstream bounds and spend ceilings. Credentials live apart,
//! in [`crate::credentials`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use spotplan_sign::Secret;

use crate::endpoints::Endpoints;
use crate::host_check::ConfiguredHost;
use crate::spend::SpendLimits;

/// The address the proxy binds to unless told otherwise: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";

/// How the proxy was asked to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// The socket address the proxy listens on: once bound, the real one (never port 0), since the allowed
    /// `Host` names and the cookie name carry its port.
    pub listen: SocketAddr,
    /// Whether the proxy serves HTTPS (the cookie is then `Secure`).
    pub tls: bool,
    /// Names the proxy answers to besides loopback and its listen address (`--allowed-host`).
    pub allowed_hosts: Vec<ConfiguredHost>,
    /// The folder holding the release build of the web app (`index.html` and hashed assets).
    pub static_dir: PathBuf,
    /// The token every API call but health must carry (random per start unless `SPOTPLAN_TOKEN` fixes it).
    pub token: Secret,
    /// Endpoint overrides per cloud.
    pub endpoints: Endpoints,
    /// How long one upstream call may take before its outcome is "unknown".
    pub upstream_timeout: Duration,
    /// Calls to the clouds in flight at once, across every request.
    pub upstream_in_flight: usize,
    /// An HTTP(S) proxy to reach the clouds through; none unless configured (`HTTPS_PROXY` is ignored).
    pub upstream_proxy: Option<String>,
    /// The spend ceilings.
    pub spend: SpendLimits,
    /// How often the follower reads the instances it watches (doubled while a cloud throttles, up to a minute).
    pub instance_poll: Duration,
    /// How long an instance the cloud reported running goes between describes (pending, releasing and noticed
    /// instances are read every poll). The default, 30 s, sits well inside the shortest reclaim notice (Tencent's
    /// two minutes), and spares a large book most of its calls and writes.
    pub running_recheck: Duration,
    /// Whether each order is sent with the `spotplan-order` lookup tag (`--no-order-tag` turns it off for accounts
    /// whose policy may not tag; such orders stay `unknown` past the resend window instead of being looked up).
    pub order_tag: bool,
    /// How often the settler looks up orders whose outcome is unknown ([`crate::settler`]).
    pub settle_every: Duration,
    /// The rate at which spend ceilings, budgets and fleet ceilings compare amounts in different currencies
    /// (`--cny-per-usd`; the core's dated default unless set).
    pub exchange_rate: spotplan_core::ExchangeRate,
}

impl Config {
    /// A configuration serving `static_dir` on the default loopback address with the given token.
    pub fn new(static_dir: PathBuf, token: Secret) -> Config {
        let listen = DEFAULT_LISTEN
            .parse()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 8787)));
        Config {
            listen,
            tls: false,
            allowed_hosts: Vec::new(),
            static_dir,
            token,
            endpoints: Endpoints::default(),
            upstream_timeout: Duration::from_secs(30),
            upstream_in_flight: 32,
            upstream_proxy: None,
            spend: SpendLimits::default(),
            instance_poll: Duration::from_secs(5),
            running_recheck: Duration::from_secs(30),
            order_tag: true,
            settle_every: Duration::from_secs(300),
            exchange_rate: spotplan_core::ExchangeRate::default(),
        }
    }
}
