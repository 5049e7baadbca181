//! `cargo xtask`: the project's two README commands and the steps they share.
//!
//! * `serve` — install what is missing, build the web app (release) and the proxy, run the proxy on 127.0.0.1:8787.
//! * `test`  — install what is missing, then every check: fmt, clippy (native and wasm32), native tests, wasm tests
//!   in headless Chromium, the release build, and end-to-end tests in headless Chromium; one summary line per
//!   layer and a final `N passed, N failed`.
//!
//! Both start with the same idempotent setup ([`setup::ensure_all`]), so either may be the first command run on a
//! fresh machine.

mod apt;
mod catalog;
mod contract;
mod postgres;
mod postgres_tls;
mod precompress;
mod process;
mod scratch;
mod setup;
mod summary;
mod tasks;
mod toolchain;

use anyhow::bail;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  serve   install what is missing, build the app and the proxy, serve on http://127.0.0.1:8787
          (SPOTPLAN_LISTEN=ADDR to change the address; Ctrl-C stops it)
  test    install what is missing and run every test layer; exits non-zero on any failure
  setup   only install what is missing (both commands do this first)
  bench   run the benchmarks and print their figures
  postgres  start a throwaway PostgreSQL for running team-mode tests by hand (prints its URL; Enter stops it)
  precompress DIR  write .br and .gz beside the built app's assets in DIR (the Containerfile's build does this)
  catalog rebuild the embedded price catalog from ../shared/data (commit the result)
          --from-store FILE: with the prices a proxy stored (`spotplan-proxy export-prices --out FILE`)

environment:
  SPOTPLAN_WASM_ROUTE=debian   force the Debian rustc-web/-Zbuild-std route for the wasm32 build";

/// Where the test command keeps its temporary files (see [`scratch`]).
const SCRATCH: &str = "target/test-tmp";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = args.first().map(String::as_str);
    let invoked_from = std::env::current_dir()?;
    let workspace = process::workspace_root()?;
    std::env::set_current_dir(&workspace)?;
    match command {
        Some("serve") => tasks::serve(&setup::ensure_all(setup::Purpose::Serve)?),
        Some("test") => match scratch::Scratch::for_this_run(std::path::Path::new(SCRATCH))? {
            Some(scratch) => {
                let status = scratch.run_again_inside()?;
                drop(scratch);
                std::process::exit(status.code().unwrap_or(1))
            }
            None => tasks::test(&setup::ensure_all(setup::Purpose::Test)?),
        },
        Some("setup") => setup::ensure_all(setup::Purpose::Test).map(drop),
        Some("catalog") => match args.get(1..).unwrap_or_default() {
            [] => catalog::write(),
            [flag, file] if flag == "--from-store" => catalog::write_from_store(&invoked_from.join(file)),
            _ => bail!("usage: cargo xtask catalog [--from-store FILE]"),
        },
        Some("postgres") => {
            let cluster = postgres::Cluster::start()?;
            println!("{}={}", postgres::URL_ENV, cluster.url);
            println!("{}={}", postgres::CA_ENV, cluster.ca_file.display());
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            Ok(())
        }
        Some("precompress") => match args.get(1..).unwrap_or_default() {
            [dir] => precompress::precompress(&invoked_from.join(dir)).map(drop),
            _ => bail!("usage: cargo xtask precompress DIR"),
        },
        Some("bench") => tasks::bench(&setup::ensure_all(setup::Purpose::Test)?),
        Some("help" | "--help" | "-h") | None => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown command `{other}`\n\n{USAGE}"),
    }
}
