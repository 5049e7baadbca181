//! `spotplan fleet`: plan a fleet over the embedded catalog — the split by strategy with the reason for each pool,
//! the cost per hour and for the job with reclaims counted — as a table or JSON; with `--apg FORMAT`, Alibaba's own
//! `CreateAutoProvisioningGroup` request for an Alibaba-only fleet in one region.

use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use rust_decimal::Decimal;
use spotplan_core::catalog::OfferKey;
use spotplan_core::clouds::alibaba::fleet::{auto_provisioning_group, auto_provisioning_snippets};
use spotplan_core::display::money2;
use spotplan_core::fleet::orders::fleet_orders;
use spotplan_core::fleet::{
    AlibabaBucket, FleetRequest, InterruptionEstimate, JobEstimate, PoolSignals, Simulation, Strategy, TargetUnit,
    plan_fleet,
};
use spotplan_core::order::format::Format;
use spotplan_core::order::{Severity, ValidationContext};
use spotplan_core::{Cloud, Currency, Money};

use crate::compare::{CompareArgs, planner, requirement};

/// Arguments of `spotplan fleet`.
#[derive(Debug, Args)]
pub(crate) struct FleetArgs {
    /// Which offers may be pools, the job's hours and the target (--count, in --unit).
    #[command(flatten)]
    pools: CompareArgs,
    /// What --count counts.
    #[arg(long, value_enum, default_value = "instances")]
    unit: UnitArg,
    /// lowest-price, diversified or price-and-risk.
    #[arg(long, value_enum, default_value = "lowest-price")]
    strategy: StrategyArg,
    /// Diversified: the fewest pools (K).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    min_pools: u32,
    /// The most instances one pool gets (M; required for diversified).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    max_per_pool: Option<u32>,
    /// The most one unit may cost per hour, in --currency (each order bids this times its weight).
    #[arg(long, value_parser = crate::number_args::positive)]
    cap: Option<Decimal>,
    /// The most the fleet may cost per hour at its bids, in --currency.
    #[arg(long, value_parser = crate::number_args::positive)]
    ceiling: Option<Decimal>,
    /// Units kept on pay-as-you-go instances (never reclaimed); planned and priced, and carried by --apg's group
    /// request as its pay-as-you-go capacity (the proxy places spot orders only).
    #[arg(long, default_value_t = 0)]
    on_demand_base: u32,
    /// Minutes of work between checkpoints (none: a reclaim loses everything).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    checkpoint_minutes: Option<u32>,
    /// Minutes from a reclaim until the replacement works.
    #[arg(long, default_value_t = 10)]
    restart_minutes: u32,
    /// An interruption estimate: ZONE:TYPE=BUCKET with Alibaba's bucket (0-3%, 3-5%, 5-10%, 10-100%); repeatable.
    #[arg(long)]
    risk: Vec<String>,
    /// Monte Carlo runs.
    #[arg(long, default_value_t = spotplan_core::fleet::job::DEFAULT_RUNS)]
    runs: u32,
    /// Monte Carlo seed (one seed, one answer).
    #[arg(long, default_value_t = spotplan_core::fleet::job::DEFAULT_SEED)]
    seed: u64,
    /// Print Alibaba's CreateAutoProvisioningGroup request for the fleet in this format (http, cli, python,
    /// terraform) instead of the plan.
    #[arg(long)]
    apg: Option<String>,
    /// With --apg: the group request's ClientToken, one per intended fleet (a UUID works), used again only to
    /// retry that fleet — a fixed token would make a second fleet look like a retry of the first.
    #[arg(long, requires = "apg")]
    client_token: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum UnitArg {
    Instances,
    Vcpus,
    Gib,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum StrategyArg {
    LowestPrice,
    Diversified,
    PriceAndRisk,
}

fn strategy(args: &FleetArgs) -> anyhow::Result<Strategy> {
    Ok(match args.strategy {
        StrategyArg::LowestPrice => Strategy::LowestPrice {
            max_per_pool: args.max_per_pool,
        },
        StrategyArg::Diversified => Strategy::Diversified {
            min_pools: args.min_pools,
            max_per_pool: args
                .max_per_pool
                .context("--max-per-pool: diversified needs M, the most instances one pool gets")?,
        },
        StrategyArg::PriceAndRisk => Strategy::PriceAndRisk {
            max_per_pool: args.max_per_pool,
        },
    })
}

/// Reads `--risk ZONE:TYPE=BUCKET` into estimates by catalog offer.
fn signals(args: &FleetArgs, planner: &spotplan_core::Planner) -> anyhow::Result<PoolSignals> {
    let mut signals = PoolSignals::default();
    for given in &args.risk {
        let (pool, bucket) = given.split_once('=').with_context(|| {
            format!("--risk `{given}`: expected ZONE:TYPE=BUCKET, e.g. cn-hangzhou-k:ecs.c7.xlarge=0-3%")
        })?;
        let (zone, instance_type) = pool
            .split_once(':')
            .with_context(|| format!("--risk `{given}`: expected ZONE:TYPE before `=`"))?;
        let bucket = AlibabaBucket::from_desc(bucket)
            .with_context(|| format!("--risk `{given}`: `{bucket}` is not 0-3%, 3-5%, 5-10% or 10-100%"))?;
        let offer = planner
            .catalog()
            .offers()
            .iter()
            .enumerate()
            .find(|(index, _)| {
                let key = planner.catalog().key_of(*index);
                key.cloud == Cloud::Alibaba && key.zone.as_deref() == Some(zone) && key.instance_type == instance_type
            })
            .map(|(index, _)| index as u32)
            .with_context(|| format!("--risk `{given}`: no Alibaba offer {instance_type} in {zone} in the catalog"))?;
        signals
            .risk
            .insert(offer, InterruptionEstimate::AlibabaBucket { bucket });
    }
    Ok(signals)
}

fn money(amount: Option<Decimal>, currency: Currency) -> Option<Money> {
    amount.map(|amount| Money::new(amount, currency))
}

pub(crate) fn run(args: &FleetArgs) -> anyhow::Result<ExitCode> {
    let mut requirement = requirement(&args.pools)?;
    requirement.instance_count = 1;
    let currency = requirement.currency;
    let planner = planner(&args.pools)?;
    let request = FleetRequest {
        requirement,
        target: args.pools.count,
        unit: match args.unit {
            UnitArg::Instances => TargetUnit::Instances,
            UnitArg::Vcpus => TargetUnit::Vcpus,
            UnitArg::Gib => TargetUnit::MemoryGib,
        },
        strategy: strategy(args)?,
        price_cap_per_unit: money(args.cap, currency),
        ceiling_per_hour: money(args.ceiling, currency),
        on_demand_base: args.on_demand_base,
        checkpoint_minutes: args.checkpoint_minutes,
        restart_minutes: args.restart_minutes,
    };
    let signals = signals(args, &planner)?;
    let plan = plan_fleet(
        &planner,
        &request,
        &signals,
        Simulation {
            runs: args.runs,
            seed: args.seed,
        },
    )?;
    if let Some(format) = &args.apg {
        let format =
            Format::from_id(format).with_context(|| format!("--apg `{format}`: http, cli, python or terraform"))?;
        let token = args.client_token.as_deref().context(
            "--apg needs --client-token TOKEN: one per intended fleet (a UUID works), used again only to retry it",
        )?;
        if token.is_empty() || token.len() > 64 || !token.is_ascii() {
            bail!(
                "--client-token `{}`: ASCII, 1–64 characters (Alibaba's ClientToken)",
                token.escape_debug()
            );
        }
        // A plan that cannot be placed as it stands (over its ceiling, short of its target…) prints no request.
        if !plan.problems.is_empty() {
            for problem in &plan.problems {
                eprintln!("✖ {problem}");
            }
            eprintln!("no group request printed: the plan cannot be placed as it stands");
            return Ok(ExitCode::from(1));
        }
        let weight_of = |key: &OfferKey| {
            planner
                .catalog()
                .find_offer(key)
                .map(|offer| planner.catalog().type_of(&planner.catalog().offers()[offer]))
                .map_or(1, |kind| request.unit.weight_of(kind))
        };
        let orders = fleet_orders(
            &plan,
            &request,
            planner.fx(),
            &|_| None,
            &weight_of,
            &ValidationContext::default(),
        );
        // What the orders' own checks warn of (a bid rounded up from the cap…) goes with the request, on stderr.
        for order in &orders {
            for warning in order.problems.iter().filter(|p| p.severity == Severity::Warning) {
                eprintln!("⚠ {}: {}: {}", order.pool, warning.field, warning.message_en);
            }
        }
        let group = auto_provisioning_group(&plan, &request, &orders, planner.fx(), true, token)?;
        let Some(snippet) = auto_provisioning_snippets(&group)
            .into_iter()
            .find(|snippet| snippet.format == format)
        else {
            bail!(
                "--apg `{}`: the group request has http, cli, python and terraform",
                format.id()
            );
        };
        print!("{}", snippet.text);
        return Ok(ExitCode::SUCCESS);
    }
    if args.pools.json {
        println!("{}", serde_json::to_string_pretty(&plan)?);
        return Ok(if plan.problems.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    println!(
        "{} pools match, {} eligible ({} unpriced, {} over the cap, {} sold out); {} of {} {}s in {} instances",
        plan.matched,
        plan.eligible,
        plan.excluded.unpriced,
        plan.excluded.over_cap,
        plan.excluded.sold_out,
        plan.reached,
        plan.target,
        request.unit.label(),
        plan.instances
    );
    println!(
        "{:<8} {:<18} {:<24} {:>5} {:>6} {:>12} {:>12}  {:<34} reason",
        "cloud", "zone", "type", "count", "units", "per unit/h", "hourly", "risk"
    );
    for allocation in &plan.allocations {
        println!(
            "{:<8} {:<18} {:<24} {:>5} {:>6} {:>12} {:>12}  {:<34} {}",
            if allocation.on_demand {
                format!("{}*", allocation.key.cloud.id())
            } else {
                allocation.key.cloud.id().to_owned()
            },
            allocation.key.zone.as_deref().unwrap_or(&allocation.key.region),
            allocation.key.instance_type,
            allocation.count,
            u64::from(allocation.count) * u64::from(allocation.weight),
            format!("{}{}", currency.symbol(), allocation.per_unit.rounded(4)),
            format!("{}{}", currency.symbol(), allocation.hourly.rounded(4)),
            allocation.risk.describe(),
            allocation.reason
        );
    }
    if plan.allocations.iter().any(|allocation| allocation.on_demand) {
        println!(
            "* on demand (pay-as-you-go): place it with --apg's group request or the cloud's console; the proxy places spot orders only"
        );
    }
    println!(
        "per hour {} (at most {} at the bids); plain job {}",
        money2(plan.hourly),
        plan.worst_hourly
            .map_or_else(|| "unbounded".to_owned(), spotplan_core::display::max_money2),
        money2(plan.plain_job_cost)
    );
    match (&plan.job, plan.expected_job_cost) {
        (
            JobEstimate::Estimated {
                completion, runs, seed, ..
            },
            Some(expected),
        ) => println!(
            "with reclaims: expected {} ; done in {:.1} h (median), {:.1} h (p90) — {runs} runs, seed {seed}",
            money2(expected),
            completion.p50,
            completion.p90
        ),
        _ => println!("with reclaims: unknown — some chosen pool's interruption risk is unknown (never taken as zero)"),
    }
    for problem in &plan.problems {
        println!("problem: {problem}");
    }
    Ok(if plan.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
