//! The `spotplan-proxy` binary: parses flags, checks the listen policy (remote mode needs TLS and a fixed token),
//! loads credentials, opens the order log, binds (loopback unless told otherwise), prints the one-time sign-in
//! link, serves [`spotplan_proxy::app`] and stops cleanly on Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use spotplan_proxy::at_rest::prepare_data_dir;
use spotplan_proxy::credentials::{Sources, load};
use spotplan_proxy::endpoints::Endpoints;
use spotplan_proxy::host_check::ConfiguredHost;
use spotplan_proxy::listen_policy::{self, Exposure, ListenRequest};
use spotplan_proxy::serve::{ServeOptions, raise_open_file_limit, serve};
use spotplan_proxy::sign_in::{SIGN_IN_LINK_LIFETIME, TOKEN_PARAMETER};
use spotplan_proxy::spend::{SpendLimits, UnpricedAllowance};
use spotplan_proxy::upstream::random_hex;
use spotplan_proxy::{AppState, Config, InstallKey, Store, app};
use spotplan_sign::Secret;

/// mimalloc, not the system allocator: see the proxy's Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Spotplan's signing proxy: serves the planner app and, with credentials, signs and places spot orders.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on. Non-loopback addresses also need --allow-remote.
    #[arg(long, env = "SPOTPLAN_LISTEN", default_value = spotplan_proxy::config::DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// Accept a non-loopback --listen address (remote mode: also needs --tls-cert, --tls-key and a SPOTPLAN_TOKEN
    /// of at least 32 characters).
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
    /// PEM certificate chain: serve HTTPS (required in remote mode).
    #[arg(long, env = "SPOTPLAN_TLS_CERT", value_name = "FILE")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "SPOTPLAN_TLS_KEY", value_name = "FILE")]
    tls_key: Option<PathBuf>,
    /// Milliseconds a client may take to send a request's headers (or finish a TLS handshake) before its
    /// connection is closed.
    #[arg(long, env = "SPOTPLAN_HEADER_READ_TIMEOUT_MS", default_value_t = 10_000)]
    header_read_timeout_ms: u64,
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
    /// How often (milliseconds) the proxy reads the instances it placed until they are gone.
    #[arg(long, env = "SPOTPLAN_INSTANCE_POLL_MS", default_value_t = 5000)]
    instance_poll_ms: u64,
    /// How long (milliseconds) an instance the cloud reported running goes between reads; pending, releasing and
    /// noticed instances are read at every poll.
    #[arg(long, env = "SPOTPLAN_RUNNING_RECHECK_MS", default_value_t = 30_000)]
    running_recheck_ms: u64,
    /// How often (milliseconds) the proxy looks up, by their tag, orders whose outcome is unknown (read-only; each
    /// at most once per period, starting a period after its last attempt).
    #[arg(long, env = "SPOTPLAN_SETTLE_EVERY_MS", default_value_t = 300_000)]
    settle_every_ms: u64,
    /// Keep prices fresh: walk the pools the app last sent (PUT /api/v1/refresh) through each cloud's price
    /// queries, keeping what changed.
    #[arg(long, env = "SPOTPLAN_REFRESH_PRICES")]
    refresh_prices: bool,
    /// Price queries a minute the refresher may send (1–600; default 60). A value outside is refused at start,
    /// naming the range, rather than bent into it.
    #[arg(long, env = "SPOTPLAN_REFRESH_BUDGET_PER_MINUTE",
        value_parser = clap::value_parser!(u32).range(1..=i64::from(spotplan_core::api::refresh::MAX_BUDGET_PER_MINUTE)))]
    refresh_budget_per_minute: Option<u32>,
    /// An HTTP(S) proxy to reach the clouds through (the usual HTTPS_PROXY variables are ignored).
    #[arg(long, env = "SPOTPLAN_UPSTREAM_PROXY")]
    upstream_proxy: Option<String>,
    /// The most one order may cost per hour (instances × hourly bid), e.g. `50 CNY`.
    #[arg(long, env = "SPOTPLAN_MAX_ORDER_PER_HOUR", value_parser = spotplan_proxy::spend::parse_ceiling)]
    max_order_per_hour: Option<spotplan_core::Money>,
    /// The most all orders placed in the last hour may cost per hour together, e.g. `200 CNY`.
    #[arg(long, env = "SPOTPLAN_MAX_SPEND_PER_HOUR", value_parser = spotplan_proxy::spend::parse_ceiling)]
    max_spend_per_hour: Option<spotplan_core::Money>,
    /// Yuan per US dollar, for comparing amounts in different currencies against the spend ceilings, the
    /// budgets and fleet ceilings (a USD account under a CNY ceiling), e.g. `7.2`. Without it, the core's dated
    /// default rate.
    #[arg(long, env = "SPOTPLAN_CNY_PER_USD", value_parser = spotplan_proxy::spend::parse_cny_per_usd)]
    cny_per_usd: Option<rust_decimal::Decimal>,
    /// Send orders without the `spotplan-order` lookup tag, for accounts whose policy may not tag instances. An
    /// order whose outcome stays unknown past the one-hour resend window can then not be looked up at the cloud.
    #[arg(long, env = "SPOTPLAN_NO_ORDER_TAG")]
    no_order_tag: bool,
    /// The most instances one order may start.
    #[arg(long, env = "SPOTPLAN_MAX_INSTANCES_PER_ORDER", default_value_t = 100)]
    max_instances_per_order: u32,
    /// While a ceiling or a budget applies, the most GiB of disk one instance of an order may carry (disks bill
    /// besides the instance, and no ceiling counts them).
    #[arg(long, env = "SPOTPLAN_MAX_UNPRICED_DISK_GIB", default_value_t = UnpricedAllowance::default().disk_gib_per_instance)]
    max_unpriced_disk_gib: u32,
    /// While a ceiling or a budget applies, the most public bandwidth (Mbps) one instance of an order may carry.
    #[arg(long, env = "SPOTPLAN_MAX_UNPRICED_BANDWIDTH_MBPS", default_value_t = UnpricedAllowance::default().bandwidth_mbps)]
    max_unpriced_bandwidth_mbps: u32,
    /// Team mode: keep orders in this PostgreSQL database, shared by every proxy given the same URL (and the same
    /// install key: copy `install.key` into each replica's data folder). Without it, the embedded SQLite log.
    #[arg(
        long,
        env = "SPOTPLAN_DATABASE_URL",
        value_name = "postgres://…",
        hide_env_values = true
    )]
    database_url: Option<String>,
    /// Team mode with `sslmode=require` in the database URL: trust the CA certificates in this PEM file, besides
    /// the platform's, to verify the database server's certificate.
    #[arg(long, env = "SPOTPLAN_DATABASE_CA", value_name = "FILE")]
    database_ca: Option<PathBuf>,
    /// Instead of serving: a maintenance task on the data folder.
    #[command(subcommand)]
    task: Option<Task>,
}

/// Maintenance tasks run instead of serving.
#[derive(Debug, clap::Subcommand)]
enum Task {
    /// Write every price the store kept (changes and history, with their sources) to a JSON file, the input of
    /// `cargo xtask catalog --from-store FILE`.
    ExportPrices {
        /// Where to write it.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Team mode: the people who may call the proxy, each with an API key, and their budgets.
    Users {
        #[command(subcommand)]
        action: UsersAction,
    },
    /// Orders in the log.
    Orders {
        #[command(subcommand)]
        action: OrdersAction,
    },
}

/// What `spotplan-proxy orders` does.
#[derive(Debug, clap::Subcommand)]
enum OrdersAction {
    /// Settles by hand an order whose outcome is unknown and that the proxy cannot look up (sent without its
    /// lookup tag), from what the cloud's console shows: --none-exists, or --instances with its instance ids.
    Settle {
        /// The order's id (`ord-…`).
        id: String,
        /// No instance of the order exists: it becomes `not_found`.
        #[arg(long, conflicts_with = "instances", required_unless_present = "instances")]
        none_exists: bool,
        /// Its instances, comma-separated: it becomes `succeeded` and they are followed.
        #[arg(long, value_delimiter = ',', num_args = 1..)]
        instances: Vec<String>,
    },
}

/// What `spotplan-proxy users` does.
#[derive(Debug, clap::Subcommand)]
enum UsersAction {
    /// Adds a person and prints their API key (shown once: only its hash is kept).
    Add {
        /// Their name (letters, digits, '.', '-', '_', '@').
        name: String,
    },
    /// Revokes a person's key: from now on it is refused.
    Revoke {
        /// Their name.
        name: String,
    },
    /// Lists everyone with their budgets.
    List,
    /// Sets a person's budgets, or the team's with --team (an amount like `10 CNY`; omit one to remove it).
    Budget {
        /// Their name.
        #[arg(required_unless_present = "team", conflicts_with = "team")]
        name: Option<String>,
        /// The team's budgets instead of a person's.
        #[arg(long)]
        team: bool,
        /// The most what may be running may cost per hour.
        #[arg(long, value_parser = spotplan_proxy::spend::parse_ceiling)]
        per_hour: Option<spotplan_core::Money>,
        /// The most this month may cost (spent so far, plus what may be running until the month's end).
        #[arg(long, value_parser = spotplan_proxy::spend::parse_ceiling)]
        per_month: Option<spotplan_core::Money>,
    },
}

/// `spotplan-proxy users …`.
async fn users(store: &Store, action: &UsersAction) -> anyhow::Result<()> {
    use spotplan_proxy::people::{self, Budget};
    let now_ms = spotplan_proxy::upstream::now_unix_millis();
    match action {
        UsersAction::Add { name } => {
            let key = people::add(store, name, now_ms).await?;
            println!("{key}");
            eprintln!(
                "{name} added: give them this API key now (it is not shown again); they send it as `Authorization: Bearer …` or sign in with ?token=…"
            );
        }
        UsersAction::Revoke { name } => {
            people::revoke(store, name, now_ms).await?;
            eprintln!("{name}'s key is revoked");
        }
        UsersAction::List => {
            let shown = |money: &Option<spotplan_core::Money>| {
                money.map_or_else(|| "-".to_owned(), |m| format!("{} {}", m.amount, m.currency))
            };
            let team = people::team_budget(store).await?;
            println!(
                "team: per hour {}, per month {}",
                shown(&team.per_hour),
                shown(&team.per_month)
            );
            for person in people::list(store).await? {
                println!(
                    "{}: {}, per hour {}, per month {}",
                    person.name,
                    if person.revoked_at_ms.is_some() {
                        "revoked"
                    } else {
                        "active"
                    },
                    shown(&person.budget.per_hour),
                    shown(&person.budget.per_month)
                );
            }
        }
        UsersAction::Budget {
            name,
            team: _,
            per_hour,
            per_month,
        } => {
            let budget = Budget {
                per_hour: *per_hour,
                per_month: *per_month,
            };
            people::set_budget(store, name.as_deref(), &budget).await?;
            eprintln!("budget set for {}", name.as_deref().unwrap_or("the team"));
        }
    }
    Ok(())
}

/// Runs a maintenance task on the data folder (the order log's database, opened as the proxy opens it).
async fn run_task(task: &Task, args: &Args) -> anyhow::Result<()> {
    let data_dir = args.data_dir.clone().unwrap_or_else(default_data_dir);
    let database = data_dir.join("orders.sqlite3");
    anyhow::ensure!(
        database.is_file() || args.database_url.is_some(),
        "no order log at {}",
        database.display()
    );
    prepare_data_dir(&data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
    let install_key = InstallKey::load_or_create(&data_dir).context("cannot read the install key")?;
    let store = Store::open(&database, &|order| install_key.order_hash(order))
        .with_context(|| format!("cannot open {}", database.display()))?;
    let store = match &args.database_url {
        Some(url) => store.with_shared(
            spotplan_proxy::shared_log::SharedLog::connect_trusting(url, args.database_ca.as_deref())
                .await
                .context("cannot open the shared database (SPOTPLAN_DATABASE_URL)")?,
        ),
        None => store,
    };
    match task {
        Task::Users { action } => users(&store, action).await?,
        Task::Orders {
            action:
                OrdersAction::Settle {
                    id,
                    none_exists,
                    instances,
                },
        } => {
            use spotplan_proxy::settle_by_hand::{Evidence, settle_by_hand};
            let evidence = if *none_exists {
                Evidence::NoneExists
            } else {
                Evidence::Instances(instances.clone())
            };
            let now_ms = spotplan_proxy::upstream::now_unix_millis();
            let settled = settle_by_hand(&store, id, evidence, now_ms).await?;
            println!(
                "{}: {} ({})",
                settled.view.id,
                settled.view.status.as_str(),
                settled.view.hint.unwrap_or_default()
            );
        }
        Task::ExportPrices { out } => {
            let export = spotplan_proxy::price_store::export(&store).await?;
            let json = serde_json::to_vec(&export)?;
            std::fs::write(out, json).with_context(|| format!("cannot write {}", out.display()))?;
            eprintln!(
                "{} price observations from {} sources -> {}",
                export.rows.len(),
                export.sources.len(),
                out.display()
            );
        }
    }
    Ok(())
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
        // Colours only on a terminal: a container's log or a file gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let args = Args::parse();
    if let Some(task) = &args.task {
        return run_task(task, &args).await;
    }
    let fixed_token = std::env::var("SPOTPLAN_TOKEN").ok();
    let exposure = listen_policy::check(&ListenRequest {
        listen: args.listen,
        allow_remote: args.allow_remote,
        tls_cert: args.tls_cert.is_some(),
        tls_key: args.tls_key.is_some(),
        fixed_token: fixed_token.as_deref(),
    })?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(spotplan_proxy::tls::server_config(cert, key)?),
        _ => None,
    };
    if exposure == Exposure::Remote {
        tracing::warn!(listen = %args.listen, "remote mode: anyone who can reach this port and holds the token can place orders with your credentials");
        if args.allowed_hosts.is_empty() && args.listen.ip().is_unspecified() {
            tracing::warn!(
                "no --allowed-host: other machines must use this machine's name; add it with --allowed-host NAME"
            );
        }
    }
    if !args.static_dir.join("index.html").is_file() {
        tracing::warn!(dir = %args.static_dir.display(), "no built web app here; the API still works (build it with `cargo xtask serve`)");
    }
    let token_is_fixed = fixed_token.is_some();
    let token = match fixed_token {
        Some(token) => token,
        None => random_hex(16).context("no randomness for the API token")?,
    };
    let endpoints = Endpoints::from_env(|name| std::env::var(name).ok())?;
    let credentials = load(&Sources::from_process(args.credentials_file.clone()))?;
    let data_dir = args.data_dir.clone().unwrap_or_else(default_data_dir);
    prepare_data_dir(&data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
    let install_key = InstallKey::load_or_create(&data_dir).context("cannot read the install key")?;
    let store = Store::open(&data_dir.join("orders.sqlite3"), &|order| install_key.order_hash(order))
        .context("cannot open the order log")?;
    let store = match &args.database_url {
        Some(url) => {
            let shared = spotplan_proxy::shared_log::SharedLog::connect_trusting(url, args.database_ca.as_deref())
                .await
                .context("cannot open the shared order log (SPOTPLAN_DATABASE_URL)")?;
            tracing::info!("team mode: orders are kept in the shared PostgreSQL database");
            store.with_shared(shared)
        }
        None => store,
    };
    for cloud in spotplan_core::Cloud::ALL {
        match credentials.get(cloud) {
            Some(loaded) => tracing::info!(%cloud, source = %loaded.source, "credentials found: orders can be placed"),
            None => tracing::info!(%cloud, "no credentials: planning mode"),
        }
    }
    match raise_open_file_limit() {
        Ok(limit) => tracing::debug!(limit, "open file limit"),
        Err(error) => tracing::warn!(%error, "cannot raise the open file limit"),
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let mut config = Config::new(args.static_dir, Secret::new(token.clone()));
    config.listen = listener.local_addr().context("listener has no local address")?;
    config.tls = tls.is_some();
    config.allowed_hosts = args.allowed_hosts;
    config.endpoints = endpoints;
    config.upstream_timeout = Duration::from_secs(args.upstream_timeout);
    config.upstream_in_flight = args.upstream_in_flight;
    config.upstream_proxy = args.upstream_proxy.clone();
    config.instance_poll = Duration::from_millis(args.instance_poll_ms.max(100));
    config.running_recheck = Duration::from_millis(args.running_recheck_ms);
    config.order_tag = !args.no_order_tag;
    config.settle_every = Duration::from_millis(args.settle_every_ms.max(100));
    if let Some(cny_per_usd) = args.cny_per_usd {
        let today = spotplan_time::format_date(spotplan_proxy::upstream::now_unix_millis() / 1000);
        config.exchange_rate = spotplan_core::ExchangeRate::user(cny_per_usd, &today);
    }
    config.spend = SpendLimits {
        max_order_per_hour: args.max_order_per_hour,
        max_spend_per_hour: args.max_spend_per_hour,
        max_instances_per_order: args.max_instances_per_order,
        unpriced: UnpricedAllowance {
            disk_gib_per_instance: args.max_unpriced_disk_gib,
            bandwidth_mbps: args.max_unpriced_bandwidth_mbps,
        },
    };
    let started_ms = spotplan_proxy::upstream::now_unix_millis();
    let state = AppState::new(config, credentials, store, install_key)?;
    // Orders a crash left pending are resolved in the background, while the proxy already answers.
    let reconciling = state.clone();
    tokio::spawn(async move {
        match spotplan_proxy::exactly_once::reconcile_pending(&reconciling).await {
            Ok(0) => {}
            Ok(resolved) => tracing::info!(resolved, "orders left pending by an earlier run are resolved"),
            Err(error) => tracing::error!(%error, "could not resolve the orders left pending by an earlier run"),
        }
        match spotplan_proxy::instances::resume_unanswered(&reconciling, started_ms).await {
            Ok(0) => {}
            Ok(settled) => tracing::info!(settled, "releases an earlier run left unanswered are settled"),
            Err(error) => tracing::error!(%error, "could not settle the releases an earlier run left unanswered"),
        }
    });
    // Orders left pending with no one working on them (in team mode, by a replica that died) are resolved; one
    // replica at a time runs the background work below.
    spotplan_proxy::exactly_once::spawn_reconciler(state.clone());
    // The live prices stored so far, read once now so the first market order does not wait for them.
    tokio::spawn({
        let state = state.clone();
        async move { state.catch_up_live_prices().await }
    });
    if let Some(shared) = state.store.shared() {
        spotplan_proxy::leader::campaign(shared.clone(), state.leadership.clone());
    }
    // Every instance placed is followed until it is gone.
    spotplan_proxy::follower::spawn(state.clone());
    spotplan_proxy::instances::spawn_release_resumer(state.clone());
    spotplan_proxy::fleet_keeper::spawn(state.clone());
    // Orders whose outcome is unknown are looked up at the cloud until settled.
    spotplan_proxy::settler::spawn(state.clone());
    if args.refresh_prices {
        spotplan_proxy::refresher::enable(&state.store, args.refresh_budget_per_minute).await?;
    }
    spotplan_proxy::refresher::spawn(state.clone());
    let base_url = state.allowed_hosts.base_url().to_owned();
    println!("Spotplan is running at {base_url}  (Ctrl-C stops it)");
    if args.allow_remote {
        // A remote deployment's output goes to logs others read (a container's, a service's): no sign-in code in
        // it. The operator signs in with the token they set; people with their own keys.
        println!(
            "Sign in: open {base_url} and enter your SPOTPLAN_TOKEN, or a person's key from `spotplan-proxy users add`, in its form"
        );
    } else {
        let code = state.sign_in.issue(SIGN_IN_LINK_LIFETIME)?;
        println!(
            "Sign in with this link (it works once, within {} minutes): {base_url}?{TOKEN_PARAMETER}={code}",
            SIGN_IN_LINK_LIFETIME.as_secs() / 60
        );
    }
    if token_is_fixed {
        println!("API token for scripts (X-Spotplan-Token): the SPOTPLAN_TOKEN you set");
    } else {
        println!(
            "API token for scripts (X-Spotplan-Token, or {base_url}?{TOKEN_PARAMETER}=… to sign in again): {token}"
        );
    }
    if args.database_url.is_some() {
        println!("Order log: the shared PostgreSQL database (SPOTPLAN_DATABASE_URL)");
    } else {
        println!("Order log: {}", data_dir.join("orders.sqlite3").display());
    }
    let options = ServeOptions {
        header_read_timeout: Duration::from_millis(args.header_read_timeout_ms),
        tls,
        ..ServeOptions::default()
    };
    serve(listener, app(state), options, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    println!("Spotplan stopped");
    Ok(())
}
