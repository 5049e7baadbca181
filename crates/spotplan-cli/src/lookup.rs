//! `spotplan lookup ORDER_ID`: looks an order whose outcome is unknown up at the cloud by its
//! `spotplan-order` tag (its id), through the local proxy (token from `SPOTPLAN_TOKEN`). Nothing is sent to create
//! anything: found, the order succeeded with those instances; none, it stays unknown — or, an hour after it was
//! first sent and ten minutes after its last attempt, it is `not_found` (final).

use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use spotplan_core::api;
use spotplan_core::api::orders::{LookupAnswer, LookupBody, OrderRecord};
use spotplan_core::order::outcome::OrderStatus;

use crate::proxy_client::{ProxyArgs, client, endpoint, fetch, read_answer, refusal, runtime, token};

/// The exit code of a lookup that found nothing while the order stays unknown (1 is "settled: none exists").
pub(crate) const STILL_UNKNOWN: u8 = 3;

/// Arguments of `spotplan lookup`.
#[derive(Debug, Args)]
pub(crate) struct LookupArgs {
    /// The order's id (`ord-…`, as the orders page and the order log show it).
    order_id: String,
    #[command(flatten)]
    proxy: ProxyArgs,
}

/// What asking the proxy to look an order up came to.
enum LookedUp {
    /// The lookup's answer.
    Answer(LookupAnswer),
    /// The order was settled before this lookup: its record.
    Settled(OrderRecord),
    /// The lookup could not be made; the order is as unknown as before.
    StillUnknown(anyhow::Error),
}

/// Reports an order settled before the lookup, with the exit code of its status: 0 succeeded, 1 nothing of it
/// exists, [`STILL_UNKNOWN`] while it is still being sent.
fn settled(record: &OrderRecord) -> ExitCode {
    println!(
        "{}: already settled, nothing was looked up; the order is {}",
        record.id,
        record.status.as_str()
    );
    for id in &record.instance_ids {
        println!("  {id}");
    }
    match record.status {
        OrderStatus::Succeeded => ExitCode::SUCCESS,
        OrderStatus::Pending | OrderStatus::Unknown => ExitCode::from(STILL_UNKNOWN),
        OrderStatus::DryRunPassed | OrderStatus::Failed | OrderStatus::NotSent | OrderStatus::NotFound => {
            ExitCode::from(1)
        }
    }
}

/// Runs `spotplan lookup`: exit code 0 when the order's instances were found, 1 when none exists now,
/// [`STILL_UNKNOWN`] while its outcome cannot be known yet.
pub(crate) fn run(args: &LookupArgs) -> anyhow::Result<ExitCode> {
    // The id becomes a path segment: only an order id's own characters, so it cannot name another route.
    let id = &args.order_id;
    let well_formed = id.strip_prefix("ord-").is_some_and(|key| {
        (1..=64).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    if !well_formed {
        bail!(
            "ORDER_ID `{}`: an order id is `ord-` and its key (letters, digits, `-`, `_`)",
            id.escape_debug()
        );
    }
    let token = token()?;
    let looked_up = runtime()?.block_on(async {
        let path = format!("{}/{}/lookup", api::ORDERS, args.order_id);
        let response = client()?
            .post(endpoint(&args.proxy, &path)?)
            .header(api::TOKEN_HEADER, &token)
            .json(&LookupBody {})
            .send()
            .await
            .context("cannot reach the proxy (is `cargo xtask serve` running?)")?;
        let status = response.status();
        if status.is_success() {
            return read_answer(response, "a lookup answer").await.map(LookedUp::Answer);
        }
        let (code, refused) = refusal(response).await;
        if code == "order_not_unknown" {
            // Settled meanwhile (by the proxy's settler, or another lookup): its record says how.
            let record = fetch(&args.proxy, &token, &api::order_path(&args.order_id), "an order").await?;
            return Ok(LookedUp::Settled(record));
        }
        // A lookup creates nothing, so a fault on its way (`lookup_failed`: the cloud could not be asked) leaves
        // the order as it was: unknown.
        if status.is_server_error() {
            return Ok(LookedUp::StillUnknown(refused));
        }
        Err(refused)
    })?;
    let answer = match looked_up {
        LookedUp::Answer(answer) => answer,
        LookedUp::Settled(record) => return Ok(settled(&record)),
        LookedUp::StillUnknown(why) => {
            println!(
                "{}: {why}; the order stays unknown — look it up again later, and do not place it anew under \
                 another key",
                args.order_id
            );
            return Ok(ExitCode::from(STILL_UNKNOWN));
        }
    };
    let record = &answer.record;
    if answer.found.is_empty() {
        // Only a settled `not_found` means nothing exists: until then the cloud's tag list may lag behind an order
        // it is still creating, and placing the order anew could make it twice.
        if record.status == OrderStatus::Unknown {
            println!(
                "{}: no instance carries its tag yet; the order stays unknown — nothing can be concluded now: look \
                 it up again later, and do not place it anew under another key",
                record.id
            );
            return Ok(ExitCode::from(STILL_UNKNOWN));
        }
        println!(
            "{}: no instance carries its tag now (it created none, or they are gone); it is now {}",
            record.id,
            record.status.as_str()
        );
        return Ok(ExitCode::from(1));
    }
    println!(
        "{}: {} instance(s) found at the cloud by its tag; the order is {}",
        record.id,
        answer.found.len(),
        record.status.as_str()
    );
    for id in &answer.found {
        println!("  {id}");
    }
    // Some found, but not yet as many as the order asked for: the cloud may still be creating the rest, so the
    // order stays unknown — the same exit as finding none yet.
    if record.status == OrderStatus::Unknown {
        println!(
            "{}: not all of its instances are found yet; look it up again later",
            record.id
        );
        return Ok(ExitCode::from(STILL_UNKNOWN));
    }
    Ok(ExitCode::SUCCESS)
}
