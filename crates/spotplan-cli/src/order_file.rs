//! `spotplan validate`, `spotplan request` and `spotplan schema`: reading an order file and reporting on it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use spotplan_core::order::format::{Format, SnippetOptions, render, unsigned_request};
use spotplan_core::order::idempotency::client_token_for;
use spotplan_core::order::{PriceQuote, Severity, SpotOrder, ValidationContext, validate};
use spotplan_core::{Cloud, Currency, ExchangeRate, Money, PriceRate, TimeUnit};

use crate::display;

/// Arguments of `spotplan validate`.
#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// The order JSON file (see `spotplan schema`; examples in examples/orders/).
    order: PathBuf,
    /// The current market price, in the cloud's bid unit (per hour; Baidu: per minute) and `--quote-currency`.
    #[arg(long)]
    market_price: Option<String>,
    /// The pay-as-you-go price, in the cloud's bid unit and `--quote-currency`.
    #[arg(long)]
    on_demand_price: Option<String>,
    /// The currency of the prices given (CNY or USD); the order's `account_currency` when absent.
    #[arg(long)]
    quote_currency: Option<String>,
    /// Yuan per US dollar, for comparing the bid with a price in the other currency (default: the embedded rate).
    #[arg(long, value_parser = crate::number_args::cny_per_usd)]
    cny_per_usd: Option<rust_decimal::Decimal>,
    /// Print the problems as JSON.
    #[arg(long)]
    json: bool,
    /// Exit 1 on warnings too.
    #[arg(long)]
    deny_warnings: bool,
}

/// Output formats of `spotplan request`.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum OutputFormat {
    /// The raw HTTP request, unsigned.
    Http,
    /// curl through the local proxy.
    Curl,
    /// The official CLI.
    Cli,
    /// The official Python SDK.
    Python,
    /// Terraform.
    Terraform,
    /// The neutral request as JSON (method, host, path, query, headers, body), for tools.
    Wire,
}

/// Arguments of `spotplan request`.
#[derive(Debug, Args)]
pub(crate) struct RequestArgs {
    /// The order JSON file.
    order: PathBuf,
    /// Which format to print.
    #[arg(long, value_enum, default_value = "http")]
    format: OutputFormat,
    /// The idempotency key the client token is derived from (a UUID is a good key): one per order — the same for
    /// a retry of it, a new one for another order. Required: a fixed default would make a second order look to
    /// the cloud like a retry of the first (answered with the first's instances, or refused).
    #[arg(long)]
    idempotency_key: String,
    /// The proxy URL the curl format submits to.
    #[arg(long, env = "SPOTPLAN_PROXY_URL", default_value = "http://127.0.0.1:8787", value_parser = crate::proxy_client::printed_proxy_url)]
    proxy_url: String,
}

fn read_order(path: &Path) -> anyhow::Result<SpotOrder> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read order file {}", display(path)))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a Spotplan order (run `spotplan schema` for the format)",
            display(path)
        )
    })
}

/// The unit a price given on the command line is in: the cloud's bid unit (per minute for Baidu's `bidPrice`).
fn unit_of(cloud: Cloud) -> TimeUnit {
    spotplan_core::clouds::api(cloud).bid_unit().per
}

fn quote(text: Option<&str>, currency: Currency, cloud: Cloud, flag: &str) -> anyhow::Result<Option<PriceQuote>> {
    let Some(text) = text else { return Ok(None) };
    // Above zero: a price of 0 would silence the bid-below-market rule and report an order as sound.
    let amount = crate::number_args::positive(text).map_err(|why| anyhow::anyhow!("--{flag}: {why}"))?;
    let money = Money::new(amount, currency);
    Ok(Some(PriceQuote {
        rate: PriceRate::new(money, unit_of(cloud)),
        observed_on: "given on the command line".into(),
    }))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or(0)
}

pub(crate) fn validate_file(args: &ValidateArgs) -> anyhow::Result<ExitCode> {
    let order = read_order(&args.order)?;
    let quote_currency = match &args.quote_currency {
        Some(code) => {
            Currency::from_code(code).with_context(|| format!("--quote-currency `{code}` is not CNY or USD"))?
        }
        None => order.account_currency,
    };
    let context = ValidationContext {
        now: now(),
        market_price: quote(
            args.market_price.as_deref(),
            quote_currency,
            order.cloud,
            "market-price",
        )?,
        on_demand_price: quote(
            args.on_demand_price.as_deref(),
            quote_currency,
            order.cloud,
            "on-demand-price",
        )?,
        exchange_rate: Some(match args.cny_per_usd {
            Some(rate) => ExchangeRate::user(rate, "given on the command line"),
            None => ExchangeRate::default(),
        }),
    };
    let validation = validate(&order, &context);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&validation.problems)?);
    } else if validation.problems.is_empty() {
        println!(
            "{}: valid {} order, no problems",
            display(&args.order),
            order.cloud.display_name()
        );
    } else {
        for problem in &validation.problems {
            let severity = if problem.severity == Severity::Error {
                "error"
            } else {
                "warning"
            };
            let prevents = problem
                .prevents
                .as_deref()
                .map(|code| format!(" [prevents {code}]"))
                .unwrap_or_default();
            println!("{severity}: {}: {}{prevents}", problem.field, problem.message_en);
            println!("    {}", problem.message_zh);
            if let Some(source) = &problem.source {
                println!("    source: {source}");
            }
        }
    }
    let failing = validation
        .problems
        .iter()
        .any(|problem| problem.severity == Severity::Error || args.deny_warnings);
    Ok(if failing { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

pub(crate) fn request_file(args: &RequestArgs) -> anyhow::Result<ExitCode> {
    let order = read_order(&args.order)?;
    let validation = validate(
        &order,
        &ValidationContext {
            now: now(),
            ..ValidationContext::default()
        },
    );
    // An invalid order exits 1, as `validate` does; what the rules warn of goes with a request printed, on stderr
    // (a market bid's max_price left out, a spec the cloud refuses): nothing said is dropped on the way.
    let Some(valid) = validation.valid else {
        eprintln!("{} is not a valid order:", display(&args.order));
        for problem in validation
            .problems
            .iter()
            .filter(|problem| problem.severity == Severity::Error)
        {
            eprintln!("  ✖ {}: {}", problem.field, problem.message_en);
        }
        return Ok(ExitCode::from(1));
    };
    for warning in validation
        .problems
        .iter()
        .filter(|problem| problem.severity == Severity::Warning)
    {
        eprintln!("⚠ {}: {}", warning.field, warning.message_en);
    }
    let client_token = client_token_for(&args.idempotency_key)?;
    let options = SnippetOptions {
        client_token,
        idempotency_key: args.idempotency_key.clone(),
        proxy_url: args.proxy_url.clone(),
    };
    let text = match args.format {
        // As the snippets show it: the password is never printed.
        OutputFormat::Wire => serde_json::to_string_pretty(&unsigned_request(&valid, &options))?,
        other => {
            let format = match other {
                OutputFormat::Http => Format::Http,
                OutputFormat::Curl => Format::Curl,
                OutputFormat::Cli => Format::Cli,
                OutputFormat::Python => Format::Python,
                OutputFormat::Terraform | OutputFormat::Wire => Format::Terraform,
            };
            render(&valid, format, &options).text
        }
    };
    println!("{}", text.trim_end());
    Ok(ExitCode::SUCCESS)
}

/// The JSON Schema of [`SpotOrder`], pretty-printed.
pub(crate) fn schema_json() -> String {
    let schema = schemars::schema_for!(SpotOrder);
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published schema never drifts from the code.
    #[test]
    fn the_committed_schema_is_current() {
        let committed = include_str!("../../../schemas/spot-order.schema.json");
        assert!(
            committed.trim_end() == schema_json().trim_end(),
            "schemas/spot-order.schema.json is stale: run `cargo run -q -p spotplan-cli -- schema > schemas/spot-order.schema.json`"
        );
    }
}
