//! `spotplan`: the core on the command line — rank spot offers, plan a fleet, validate an order file, print an order's API
//! request in any format, print the order JSON Schema; list and release the instances placed and look an unknown
//! order up, through the proxy.

mod compare;
mod fleet;
mod instances;
mod lookup;
mod number_args;
mod order_file;
mod proxy_client;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Plan spot instances on Alibaba Cloud ECS, Tencent Cloud CVM and Baidu AI Cloud BCC.
#[derive(Debug, Parser)]
#[command(name = "spotplan", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Rank matching spot offers of the three clouds from the embedded price catalog.
    ///
    /// Example: spotplan compare --vcpu 4 --memory 8 --count 10 --hours 72 --area china
    Compare(compare::CompareArgs),
    /// Plan a fleet: spread --count units over the matching pools by a strategy, within a cap and a ceiling, with
    /// the job's cost once reclaims are counted; exit code 1 when the plan cannot be placed as it stands.
    ///
    /// Example: spotplan fleet --vcpu 4 --memory 8 --count 20 --hours 48 --area china --strategy diversified
    /// --max-per-pool 5
    Fleet(fleet::FleetArgs),
    /// Check an order file against every documented rule of its cloud; exit code 1 when any error is found
    /// (or any warning, with --deny-warnings).
    ///
    /// Example: spotplan validate examples/orders/alibaba.json --on-demand-price 0.405
    Validate(order_file::ValidateArgs),
    /// Print the exact API request for an order, in one format.
    ///
    /// Example: spotplan request examples/orders/tencent.json --format cli --idempotency-key "$(uuidgen)"
    Request(order_file::RequestArgs),
    /// Print the JSON Schema of the order file format.
    Schema,
    /// List the instances Spotplan placed, through the local proxy (token in SPOTPLAN_TOKEN).
    ///
    /// Example: SPOTPLAN_TOKEN=… spotplan instances
    Instances(instances::InstancesArgs),
    /// Release instances through the local proxy, exactly once (token in SPOTPLAN_TOKEN): listed ones, an order's,
    /// or all (in team mode, all of one's own); without --yes it only says what would stop. Exit code 0: released
    /// or gone (or nothing to release); 1: the cloud refused some; 3: some outcome not known yet, or no answer —
    /// retry with the key it printed; 2: an error, nothing sent.
    ///
    /// Example: SPOTPLAN_TOKEN=… spotplan release --order ord-1a2b3c4d --yes
    Release(instances::ReleaseArgs),
    /// Look an order whose outcome is unknown up at the cloud by its tag, through the local proxy (token in
    /// SPOTPLAN_TOKEN). Exit code 0: found, or settled as succeeded; 1: none exists (settled `not_found`, or it
    /// failed); 3: none or not all found yet, or the cloud could not be asked: still unknown (do not place it
    /// anew); 2: an error.
    ///
    /// Example: SPOTPLAN_TOKEN=… spotplan lookup ord-1a2b3c4d5e6f7a8b
    Lookup(lookup::LookupArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Compare(args) => compare::run(&args),
        Command::Fleet(args) => fleet::run(&args),
        Command::Validate(args) => order_file::validate_file(&args),
        Command::Request(args) => order_file::request_file(&args),
        Command::Instances(args) => instances::list(&args),
        Command::Release(args) => instances::release(&args),
        Command::Lookup(args) => lookup::run(&args),
        Command::Schema => {
            println!("{}", order_file::schema_json());
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// Where the tool looks for files named relative to the invocation.
pub(crate) fn display(path: &std::path::Path) -> String {
    PathBuf::from(path).display().to_string()
}
