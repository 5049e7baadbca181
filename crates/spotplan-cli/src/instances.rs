//! `spotplan instances` and `spotplan release`: the instance book and releases through the local proxy, with the
//! proxy's token from `SPOTPLAN_TOKEN` — the same typed API the web app uses. A release names what stops and what
//! it has cost, and is sent only with `--yes`, under an idempotency key the command prints so a retry is safe.

use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use spotplan_core::api::instances::{
    InstanceRef, InstanceView, InstancesAnswer, ReleaseAnswer, ReleaseBody, ReleaseResult,
};
use spotplan_core::lifecycle::{InstanceState, ReleaseOptions};
use spotplan_core::{Cloud, Money, api};

use crate::proxy_client::{ProxyArgs, client, endpoint, failure, fetch, refusal, runtime, token};

/// Arguments of `spotplan instances`.
#[derive(Debug, Args)]
pub(crate) struct InstancesArgs {
    #[command(flatten)]
    proxy: ProxyArgs,
    /// Print the proxy's answer as JSON.
    #[arg(long)]
    json: bool,
}

/// Arguments of `spotplan release`.
#[derive(Debug, Args)]
pub(crate) struct ReleaseArgs {
    #[command(flatten)]
    proxy: ProxyArgs,
    /// An instance as CLOUD:ID (repeatable), e.g. alibaba:i-bp1abc.
    #[arg(long = "instance")]
    instances: Vec<String>,
    /// Every instance of one Spotplan order.
    #[arg(long)]
    order: Option<String>,
    /// Every instance Spotplan placed that is not gone.
    #[arg(long)]
    all: bool,
    /// Release only instances that are stopped (Alibaba; the others release running instances anyway).
    #[arg(long)]
    no_force: bool,
    /// Keep the pay-as-you-go data disks and EIP (Baidu's relatedReleaseFlag).
    #[arg(long)]
    keep_data_disks: bool,
    /// The idempotency key: reuse it to retry a release that got no answer (a new one is made otherwise).
    #[arg(long, value_parser = crate::number_args::idempotency_key)]
    idempotency_key: Option<String>,
    /// Send the release (without it the command only says what would stop).
    #[arg(long)]
    yes: bool,
}

async fn fetch_health(proxy: &ProxyArgs, token: &str) -> anyhow::Result<spotplan_core::api::health::Health> {
    fetch(proxy, token, api::HEALTH, "a health answer").await
}

async fn fetch_instances(proxy: &ProxyArgs, token: &str) -> anyhow::Result<InstancesAnswer> {
    fetch(proxy, token, api::INSTANCES, "an instances list").await
}

fn money(money: Option<Money>) -> String {
    money
        // Upper bounds (a bid's price, a cost at that price): rounded up, never shown below themselves.
        .map(|money| {
            let up = money
                .amount
                .round_dp_with_strategy(4, rust_decimal::RoundingStrategy::ToPositiveInfinity);
            format!("{up:.4} {}", money.currency)
        })
        .unwrap_or_default()
}

/// `spotplan instances`.
pub(crate) fn list(args: &InstancesArgs) -> anyhow::Result<ExitCode> {
    let token = token()?;
    let answer = runtime()?.block_on(fetch_instances(&args.proxy, &token))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&answer)?);
        return Ok(ExitCode::SUCCESS);
    }
    if answer.instances.is_empty() {
        println!("no instances yet");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<8} {:<24} {:<16} {:<16} {:<16} {:>16} {:>18}  order · notes",
        "cloud", "id", "state", "cloud state", "zone", "at most/hour", "cost so far"
    );
    for row in &answer.instances {
        println!(
            "{:<8} {:<24} {:<16} {:<16} {:<16} {:>16} {:>18}  {}{}",
            row.cloud.id(),
            row.id,
            row.state.id(),
            row.cloud_state.clone().unwrap_or_default(),
            row.zone.clone().unwrap_or_else(|| row.region.clone()),
            money(row.price_per_hour),
            money(row.cost_so_far),
            row.order_id.clone().unwrap_or_default(),
            row.reason
                .as_ref()
                .map(|reason| format!(" · {reason}"))
                .unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_instance(text: &str) -> anyhow::Result<InstanceRef> {
    let (cloud, id) = text
        .split_once(':')
        .with_context(|| format!("--instance `{text}` is not CLOUD:ID"))?;
    let cloud = Cloud::from_id(cloud)
        .with_context(|| format!("--instance `{text}`: `{cloud}` is not alibaba, tencent or baidu"))?;
    Ok(InstanceRef {
        cloud,
        id: id.to_owned(),
    })
}

fn new_key() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    format!("cli-release-{nanos:x}-{:x}", std::process::id())
}

/// `spotplan release`.
pub(crate) fn release(args: &ReleaseArgs) -> anyhow::Result<ExitCode> {
    let token = token()?;
    let body = ReleaseBody {
        instances: args
            .instances
            .iter()
            .map(|text| parse_instance(text))
            .collect::<anyhow::Result<_>>()?,
        order_id: args.order.clone(),
        all: args.all,
        options: ReleaseOptions {
            force: !args.no_force,
            delete_data_disks: !args.keep_data_disks,
        },
    };
    let selectors =
        usize::from(!body.instances.is_empty()) + usize::from(body.order_id.is_some()) + usize::from(body.all);
    if selectors != 1 {
        bail!("name what to release with one of --instance CLOUD:ID (repeatable), --order ORDER_ID or --all");
    }
    let runtime = runtime()?;
    let book = runtime.block_on(fetch_instances(&args.proxy, &token))?;
    let health = runtime.block_on(fetch_health(&args.proxy, &token))?;
    // Health is open to anyone: an answer that does not know the token would take a person's key for nobody's.
    if !health.signed_in {
        bail!(
            "the proxy does not take SPOTPLAN_TOKEN (health says not signed in): check the token or key — or the proxy \
             could not check it just now (its database): try again"
        );
    }
    // Team mode: a person releases only their own; the operator's token, anything.
    let person = health.person;
    let theirs = |row: &&InstanceView| person.is_none() || row.placed_by == person;
    // Named instances the proxy does not follow at all (a typo, another cloud) are named before anything is sent.
    let unknown: Vec<String> = body
        .instances
        .iter()
        .filter(|wanted| {
            !book
                .instances
                .iter()
                .any(|row| row.cloud == wanted.cloud && row.id == wanted.id)
        })
        .map(|wanted| format!("{}:{}", wanted.cloud.id(), wanted.id))
        .collect();
    if !unknown.is_empty() {
        bail!(
            "--instance {}: not an instance the proxy follows (see `spotplan instances`)",
            unknown.join(", ")
        );
    }
    // An order id that names no instance at all (a typo, or an order whose instances are not known yet) is said,
    // not answered "nothing to release" with a clean exit while the real order bills on.
    if let Some(order) = &body.order_id
        && !book
            .instances
            .iter()
            .any(|row| row.order_id.as_deref() == Some(order.as_str()))
    {
        bail!(
            "--order {order}: no instance of that order is in the proxy's book (a mistyped id, or an order whose \
             outcome is not known yet: see `spotplan lookup {order}`)"
        );
    }
    // What --order or --instance names.
    let named = |row: &&InstanceView| {
        body.order_id
            .as_deref()
            .is_some_and(|order| row.order_id.as_deref() == Some(order))
            || body
                .instances
                .iter()
                .any(|wanted| wanted.cloud == row.cloud && wanted.id == row.id)
    };
    // Another person's instance or order is theirs to release: refused here, before anything is sent.
    let named_others: Vec<String> = book
        .instances
        .iter()
        .filter(|row| !theirs(row))
        .filter(named)
        .map(|row| format!("{}:{}", row.cloud.id(), row.id))
        .collect();
    if let (Some(person), false) = (&person, named_others.is_empty()) {
        bail!(
            "{}: not placed by {person}; only the person who placed it, or the operator, can release it (nothing \
             was sent)",
            named_others.join(", ")
        );
    }
    let chosen: Vec<_> = book
        .instances
        .iter()
        .filter(|row| !row.state.is_final() && row.state != InstanceState::Releasing)
        .filter(theirs)
        .filter(|row| body.all || named(row))
        .collect();
    let cost: Vec<String> = chosen.iter().map(|row| money(row.cost_so_far)).collect();
    println!("{} instance(s) stop now and cannot be started again:", chosen.len());
    for (row, cost) in chosen.iter().zip(&cost) {
        println!(
            "  {}:{} ({}), cost so far at most {cost}",
            row.cloud.id(),
            row.id,
            row.state.id()
        );
    }
    // Nothing live to release, and no earlier request to ask about again (a retry names its key). An instance
    // whose release is out with no outcome yet is neither released nor gone: it may still bill.
    if chosen.is_empty() && args.idempotency_key.is_none() {
        let in_flight: Vec<String> = book
            .instances
            .iter()
            .filter(|row| row.state == InstanceState::Releasing)
            .filter(theirs)
            .filter(|row| body.all || named(row))
            .map(|row| format!("{}:{}", row.cloud.id(), row.id))
            .collect();
        if in_flight.is_empty() {
            println!("nothing to release");
            return Ok(ExitCode::SUCCESS);
        }
        println!(
            "{}: a release was sent and its outcome is not known yet — it may still bill; the proxy reads it at the \
             cloud (see `spotplan instances`), or retry the release that sent it with its --idempotency-key",
            in_flight.join(", ")
        );
        return Ok(ExitCode::from(crate::lookup::STILL_UNKNOWN));
    }
    if !args.yes {
        println!("nothing was sent: add --yes to release them");
        return Ok(ExitCode::SUCCESS);
    }
    let key = args.idempotency_key.clone().unwrap_or_else(new_key);
    println!("idempotency key {key} (give it with --idempotency-key to retry safely)");
    let may_have_gone_out = |what: &str| {
        format!(
            "{what}: the release may or may not have gone out — retry with --idempotency-key {key} to learn which \
             (the proxy never sends one release twice)"
        )
    };
    let sent = runtime.block_on(async {
        let response = client()?
            .post(endpoint(&args.proxy, api::RELEASE)?)
            .header(api::TOKEN_HEADER, &token)
            .header(api::IDEMPOTENCY_KEY, &key)
            .json(&body)
            .send()
            .await;
        let Ok(response) = response else {
            return Ok::<_, anyhow::Error>(Err(may_have_gone_out("no answer from the proxy")));
        };
        // A server fault may follow calls that went out; so may an answer cut off on its way.
        if response.status().is_server_error() {
            let fault = failure(response).await;
            return Ok(Err(may_have_gone_out(&fault.to_string())));
        }
        if !response.status().is_success() {
            let (code, refused) = refusal(response).await;
            // A release under this key is running (another run of this command, a retry racing it): it may
            // have gone out — not an error that sent nothing.
            if code == "release_in_progress" {
                return Ok(Err(may_have_gone_out(&refused.to_string())));
            }
            return Err(refused);
        }
        Ok(response
            .json::<ReleaseAnswer>()
            .await
            .map_err(|error| may_have_gone_out(&format!("the proxy's answer could not be read ({error})"))))
    })?;
    let answer = match sent {
        Ok(answer) => answer,
        Err(may_have) => {
            eprintln!("{may_have}");
            return Ok(ExitCode::from(crate::lookup::STILL_UNKNOWN));
        }
    };
    // Refused (exit 1), or not known to be released (exit 3: the proxy settles it with the cloud).
    let (mut refused, mut unknown) = (false, false);
    for outcome in &answer.outcomes {
        let word = match outcome.result {
            ReleaseResult::Accepted => "release accepted",
            ReleaseResult::AlreadyGone => "already gone",
            ReleaseResult::Refused => {
                refused = true;
                "refused"
            }
            ReleaseResult::Unknown => {
                unknown = true;
                "unknown: the proxy checks with the cloud and never sends it twice"
            }
        };
        println!(
            "{}:{}: {word}{}",
            outcome.cloud.id(),
            outcome.id,
            outcome
                .code
                .as_ref()
                .map(|code| format!(" [{code}] {}", outcome.message.clone().unwrap_or_default()))
                .unwrap_or_default()
        );
    }
    if answer.replayed {
        println!("(the logged outcome of an earlier request with this key: nothing was sent now)");
    }
    Ok(if unknown {
        ExitCode::from(crate::lookup::STILL_UNKNOWN)
    } else if refused {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
