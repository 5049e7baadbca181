//! `spotplan compare`: rank the embedded catalog's spot offers for a requirement, as a table or JSON.

use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use rust_decimal::Decimal;
use spotplan_core::advice::BidAdvice;
use spotplan_core::catalog::Catalog;
use spotplan_core::display::{max_unit_price, money2, unit_price};
use spotplan_core::order::native_bid::AccountCurrencies;
use spotplan_core::plan::{Area, PriceFigure, Requirement, SortKey};
use spotplan_core::{Cloud, Currency, ExchangeRate, Planner};

/// Arguments of `spotplan compare`.
#[derive(Debug, Args)]
pub(crate) struct CompareArgs {
    /// Fewest vCPUs (also the most, unless --vcpu-max is given).
    #[arg(long)]
    vcpu: Option<u32>,
    /// Most vCPUs.
    #[arg(long)]
    vcpu_max: Option<u32>,
    /// Least memory in GiB (also the most, unless --memory-max is given).
    #[arg(long, value_parser = crate::number_args::non_negative)]
    memory: Option<Decimal>,
    /// Most memory in GiB.
    #[arg(long, value_parser = crate::number_args::non_negative)]
    memory_max: Option<Decimal>,
    /// Fewest GPUs.
    #[arg(long)]
    gpu: Option<u32>,
    /// Instances needed (for `fleet`: the target, in --unit).
    #[arg(long, default_value_t = 1)]
    pub(crate) count: u32,
    /// Job duration in hours (above 0, at most 87,600: ten years).
    #[arg(long, default_value = "1", value_parser = crate::number_args::hours)]
    hours: Decimal,
    /// Where: any, china (mainland) or outside.
    #[arg(long, value_enum, default_value = "any")]
    area: AreaArg,
    /// Clouds to include (repeat or comma-separate): alibaba, tencent, baidu.
    #[arg(long, value_delimiter = ',')]
    cloud: Vec<String>,
    /// Region or zone ids to include (repeat or comma-separate).
    #[arg(long, value_delimiter = ',')]
    region: Vec<String>,
    /// Accepted interruption probability over the job (0–1), for bid advice.
    #[arg(long, default_value = "0.1", value_parser = crate::number_args::fraction)]
    max_interruption: Decimal,
    /// Order: cost, vcpu (price per vCPU-hour), savings, risk, cloud, type, place, cpus, memory, gpu, spot,
    /// on_demand, worst or age.
    #[arg(long, default_value = "cost", value_parser = parse_sort)]
    sort: SortKey,
    /// Reverse the order (unknown values stay last).
    #[arg(long)]
    reverse: bool,
    /// Only offers whose instance type, region or zone contains this text.
    #[arg(long)]
    filter: Option<String>,
    /// Display currency.
    #[arg(long, default_value = "CNY")]
    pub(crate) currency: String,
    /// A cloud account billed in another currency than CNY (an international-site account), as CLOUD:CURRENCY,
    /// e.g. alibaba:USD (repeat or comma-separate): its bids and worst cases are in that currency, as sent.
    #[arg(long, value_delimiter = ',', value_parser = parse_account_currency)]
    account_currency: Vec<(Cloud, Currency)>,
    /// CNY per USD (default: the dated rate shipped with Spotplan).
    #[arg(long, value_parser = crate::number_args::cny_per_usd)]
    cny_per_usd: Option<Decimal>,
    /// Rows to print.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum AreaArg {
    Any,
    China,
    Outside,
}

fn parse_account_currency(text: &str) -> Result<(Cloud, Currency), String> {
    let (cloud, currency) = text
        .split_once(':')
        .ok_or_else(|| format!("`{text}` is not CLOUD:CURRENCY (e.g. alibaba:USD)"))?;
    let cloud = Cloud::from_id(cloud.trim()).ok_or_else(|| format!("`{cloud}` is not alibaba, tencent or baidu"))?;
    let currency = Currency::from_code(currency.trim()).ok_or_else(|| format!("`{currency}` is not CNY or USD"))?;
    Ok((cloud, currency))
}

fn parse_sort(id: &str) -> Result<SortKey, String> {
    SortKey::from_id(id).ok_or_else(|| {
        let ids: Vec<&str> = SortKey::ALL.iter().map(|key| key.id()).collect();
        format!("`{id}` is not one of {}", ids.join(", "))
    })
}

pub(crate) fn requirement(args: &CompareArgs) -> anyhow::Result<Requirement> {
    let clouds = args
        .cloud
        .iter()
        .map(|id| Cloud::from_id(id).with_context(|| format!("--cloud `{id}` is not alibaba, tencent or baidu")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let currency = Currency::from_code(&args.currency)
        .with_context(|| format!("--currency `{}` is not CNY or USD", args.currency))?;
    for (flag, min, max) in [
        ("--vcpu", args.vcpu.map(Decimal::from), args.vcpu_max.map(Decimal::from)),
        ("--memory", args.memory, args.memory_max),
    ] {
        if let (Some(min), Some(max)) = (min, max)
            && min > max
        {
            bail!("{flag} {min} is above {flag}-max {max}: no offer can match (the least must not exceed the most)");
        }
    }
    if args.count == 0 {
        bail!("--count 0: at least one instance (or unit) is needed");
    }
    let mut account_currencies = AccountCurrencies::default();
    for (cloud, account_currency) in &args.account_currency {
        account_currencies.set(*cloud, *account_currency);
    }
    Ok(Requirement {
        vcpu_min: args.vcpu,
        vcpu_max: args.vcpu_max.or(args.vcpu),
        memory_min_gib: args.memory,
        memory_max_gib: args.memory_max.or(args.memory),
        gpu_min: args.gpu,
        clouds,
        regions: args.region.clone(),
        area: match args.area {
            AreaArg::Any => Area::Anywhere,
            AreaArg::China => Area::MainlandChina,
            AreaArg::Outside => Area::OutsideMainlandChina,
        },
        instance_count: args.count,
        hours: args.hours,
        max_interruption: args.max_interruption,
        sort: args.sort,
        sort_reversed: args.reverse,
        text: args.filter.clone(),
        currency,
        account_currencies,
        ..Requirement::default()
    })
}

/// The planner over the embedded catalog, at the given or the shipped exchange rate; a `--region` the catalog
/// knows as no region or zone is named (a typo would otherwise read as "0 offers match").
pub(crate) fn planner(args: &CompareArgs) -> anyhow::Result<Planner> {
    let fx = match args.cny_per_usd {
        Some(rate) => ExchangeRate::user(rate, "given on the command line"),
        None => ExchangeRate::default(),
    };
    let catalog = Catalog::embedded().context("the embedded catalog does not decode")?;
    let known = |place: &str| {
        catalog.regions().iter().any(|region| region.id == place)
            || catalog
                .offers()
                .iter()
                .any(|offer| offer.zone.as_deref() == Some(place))
    };
    if let Some(unknown) = args.region.iter().find(|place| !known(place.as_str())) {
        bail!(
            "--region `{unknown}` is no region or zone of the embedded catalog (e.g. cn-hangzhou, ap-guangzhou-6, bj)"
        );
    }
    Ok(Planner::new(catalog, fx))
}

pub(crate) fn run(args: &CompareArgs) -> anyhow::Result<ExitCode> {
    let requirement = requirement(args)?;
    let planner = planner(args)?;
    let plan = planner.plan(&requirement);
    let today = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or(0);
    let candidates = plan
        .ranked
        .iter()
        .take(args.limit)
        .map(|ranked| planner.candidate(ranked.offer, &requirement, today))
        .collect::<Result<Vec<_>, _>>()?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&candidates)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} offers match{}; exchange rate {} CNY/USD ({}, {})",
        plan.ranked.len(),
        if plan.excluded_unknown > 0 {
            format!(" ({} left out: a filtered value is unknown)", plan.excluded_unknown)
        } else {
            String::new()
        },
        planner.fx().cny_per_usd,
        planner.fx().as_of,
        planner.fx().source
    );
    println!(
        "{:>3}  {:<8} {:<18} {:<24} {:>4} {:>6}  {:>10} {:>10} {:>8} {:>12}  spot price source",
        "#", "cloud", "region/zone", "type", "vCPU", "GiB", "spot/h", "od/h", "savings", "expected",
    );
    for (index, row) in candidates.iter().enumerate() {
        let place = row
            .key
            .zone
            .clone()
            .unwrap_or_else(|| format!("{} (region)", row.key.region));
        // Where each spot figure comes from and how old it is: an estimate is not a quote.
        let source = match &row.spot {
            PriceFigure::Observed {
                observed_on, source, ..
            } => format!("observed {observed_on} ({source})"),
            PriceFigure::Estimated { assumed, age_days, .. } => format!(
                "estimate: {}% of a list price {age_days} days old",
                (*assumed * Decimal::from(100)).normalize()
            ),
            PriceFigure::Unknown { reason } => format!("unknown: {reason}"),
        };
        let advice = match &row.bid {
            BidAdvice::Recommended { bid, risk, .. } => format!(
                "; bid ≤ {} ({}% risk)",
                max_unit_price(*bid),
                spotplan_core::display::percent1(*risk * Decimal::from(100))
            ),
            BidAdvice::Unknown { .. } => String::new(),
        };
        let unknown = || "unknown".to_owned();
        println!(
            "{:>3}  {:<8} {:<18} {:<24} {:>4} {:>6}  {:>10} {:>10} {:>8} {:>12}  {source}{advice}",
            index + 1,
            row.key.cloud.id(),
            place,
            row.key.instance_type,
            row.vcpu,
            row.memory_gib.normalize(),
            row.spot_display
                .map(|rate| unit_price(rate.in_unit(spotplan_core::TimeUnit::Hour).unwrap_or(rate)))
                .unwrap_or_else(unknown),
            row.on_demand_display
                .map(|rate| unit_price(rate.in_unit(spotplan_core::TimeUnit::Hour).unwrap_or(rate)))
                .unwrap_or_else(unknown),
            row.savings_percent
                .map(|s| format!("{}%", spotplan_core::display::percent1(s)))
                .unwrap_or_else(unknown),
            row.expected_total.map(money2).unwrap_or_else(unknown),
        );
    }
    Ok(ExitCode::SUCCESS)
}
