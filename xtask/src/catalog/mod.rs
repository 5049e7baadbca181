//! `cargo xtask catalog`: converts raw price data into the core's compact embedded catalog, reproducibly (same input
//! → same bytes; a test checks the committed file against a fresh conversion).
//!
//! The raw data is not in the repository: it is read from a folder on the machine, `../shared/data/` beside the
//! workspace or `$SPOTPLAN_SHARED_DATA`, holding copies of public datasets (each also named, with its licence, in
//! the catalog's sources):
//! * `alicloud_price_cloudpilot_30e3e8d_ondemand_spot.json` and its flattened CSVs: Alibaba ECS on-demand and
//!   per-zone spot prices of 2024-10-09, `pkg/client/builtin-data/alibabacloud_price.json` of
//!   https://github.com/cloudpilot-ai/priceserver at commit 30e3e8d (Apache-2.0);
//! * `alicloud_spot_cleanerzkp_7de56d7_2023.csv`: daily Alibaba spot price readings of 2023, the ALB rows of
//!   `SpotPricings.csv` of https://github.com/cleanerzkp/spot-instance-comparison at commit 7de56d7 (ISC);
//! * `tencent_cvm_ondemand_cny_2022-05-20.csv`: Tencent CVM's pay-as-you-go list of 2022-05-20, `data/cvm-price.csv`
//!   of https://github.com/chen56/qcloud-price at commit 162b20e (no licence stated).
//!
//! What goes in:
//! * Alibaba: every region × type row of the 2024-10-09 data with its on-demand price (empty or 0 = unknown, left
//!   out), one offer per zone the type is sold in, every per-zone spot observation (SpotDuration 1), and the 2023
//!   daily spot history (USD, inferred) for the types and regions the 2024 data also has;
//! * Tencent: the 2022-05-20 on-demand list, Linux, tier T1, with Chinese region and zone names mapped to API ids
//!   (the conversion fails on any unmapped name); no spot price (the core estimates it, labelled as such);
//! * Baidu: the specs known from official examples, in the SDK's regions, availability unverified, no price;
//! * when [`STORE_INPUT`] exists (written by `cargo xtask catalog --from-store FILE` from a proxy's
//!   `spotplan-proxy export-prices --out FILE`): the prices a maintainer's proxy fetched from the clouds, each with
//!   its own source, the last [`STORE_WINDOW_DAYS`] days of history before the store's newest (and every offer's
//!   newest price), for regions and types the data above has.

mod alibaba;
mod baidu;
mod regions;
mod tencent;

use std::path::{Path, PathBuf};

use anyhow::Context;
use spotplan_core::api::catalog::CatalogDelta;
use spotplan_core::catalog::{Catalog, CatalogParts, Source, StoreFold, encode};

/// Where the committed compact catalog lives.
pub const OUTPUT: &str = "crates/spotplan-core/catalog/catalog.bin";

/// The normalised price-store export folded into the catalog, when a maintainer made one (see the module docs).
pub const STORE_INPUT: &str = "crates/spotplan-core/catalog/from-store.json";
/// Days of a store's history the catalog keeps, counted back from the store's newest observation.
pub const STORE_WINDOW_DAYS: i64 = 30;

/// Finds the raw price data folder (see the module docs): `../shared/data` beside the workspace, or
/// `$SPOTPLAN_SHARED_DATA`.
pub fn data_dir() -> Option<PathBuf> {
    let dir = expected_data_dir();
    dir.join("README.md").is_file().then_some(dir)
}

/// Where the raw price data (see the module docs) should be: `$SPOTPLAN_SHARED_DATA`, else `../shared/data` beside
/// the workspace.
fn expected_data_dir() -> PathBuf {
    std::env::var_os("SPOTPLAN_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            crate::process::workspace_root()
                .unwrap_or_default()
                .join("../shared/data")
        })
}

/// Converts the raw data (and the committed store export, when there is one) into catalog bytes.
pub fn convert(data: &Path) -> anyhow::Result<Vec<u8>> {
    let store = crate::process::workspace_root()?.join(STORE_INPUT);
    let store = store.is_file().then_some(store);
    convert_with(data, store.as_deref())
}

/// Converts the raw data and, given one, a store export.
fn convert_with(data: &Path, store: Option<&Path>) -> anyhow::Result<Vec<u8>> {
    let mut catalog = raw_catalog(data)?;
    if let Some(store) = store {
        catalog = fold_store(&catalog, &read_store(store)?)?.catalog;
    }
    Ok(encode(&catalog)?)
}

/// The catalog of the raw data alone.
fn raw_catalog(data: &Path) -> anyhow::Result<Catalog> {
    let mut parts = CatalogParts::default();
    alibaba::add(&mut parts, data).context("converting the Alibaba data")?;
    tencent::add(&mut parts, data).context("converting the Tencent data")?;
    baidu::add(&mut parts);
    Catalog::new(parts).context("linking the catalog")
}

/// Reads a store export (`spotplan-proxy export-prices`: the `GET /api/v1/catalog` answer, every page).
fn read_store(path: &Path) -> anyhow::Result<CatalogDelta> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| {
        format!(
            "{} is not a price-store export (write one with `spotplan-proxy export-prices --out FILE`)",
            path.display()
        )
    })
}

/// Folds a store export into a catalog; a row that cannot be read is an error, not a silent gap.
fn fold_store(catalog: &Catalog, store: &CatalogDelta) -> anyhow::Result<StoreFold> {
    let observations = store.observations();
    anyhow::ensure!(
        observations.len() == store.rows.len(),
        "{} of the export's {} rows have an unreadable amount or source",
        store.rows.len() - observations.len(),
        store.rows.len()
    );
    Ok(catalog.with_store_history(&observations, STORE_WINDOW_DAYS * 86_400)?)
}

/// `cargo xtask catalog --from-store FILE`: keeps the export's usable rows, normalised, as [`STORE_INPUT`] (commit
/// it with the catalog: the committed catalog stays reproducible from what is in the repository and the raw data),
/// then rebuilds the catalog.
pub fn write_from_store(file: &Path) -> anyhow::Result<()> {
    let data = data_dir().context("no ../shared/data beside the workspace (set SPOTPLAN_SHARED_DATA)")?;
    let fold = fold_store(&raw_catalog(&data)?, &read_store(file)?)?;
    let mut normalised = CatalogDelta::default();
    for observation in &fold.kept {
        normalised.push(observation);
    }
    std::fs::write(STORE_INPUT, serde_json::to_vec(&normalised)?)?;
    eprintln!(
        "store: {} observations kept from {} sources; left out: {} older than {STORE_WINDOW_DAYS} days, {} duplicates, \
         {} offers whose region or type the catalog lacks{} -> {STORE_INPUT}",
        fold.kept.len(),
        normalised.sources.len(),
        fold.older_than_window,
        fold.duplicates,
        fold.unknown_offers.len(),
        match fold.unknown_offers.first() {
            Some(first) => format!(" (e.g. {first})"),
            None => String::new(),
        }
    );
    write()
}

/// `cargo xtask catalog`: writes the compact catalog and reports its size.
pub fn write() -> anyhow::Result<()> {
    let data = data_dir().context("no ../shared/data beside the workspace (set SPOTPLAN_SHARED_DATA)")?;
    let bytes = convert(&data)?;
    std::fs::create_dir_all(Path::new(OUTPUT).parent().context("output has no parent")?)?;
    std::fs::write(OUTPUT, &bytes)?;
    let catalog = spotplan_core::catalog::decode(&bytes)?;
    eprintln!(
        "catalog: {} bytes, {} regions, {} types, {} offers, {} observations -> {OUTPUT}",
        bytes.len(),
        catalog.regions().len(),
        catalog.instance_types().len(),
        catalog.offers().len(),
        catalog.observations().len()
    );
    Ok(())
}

/// Adds a source and returns its index.
fn add_source(parts: &mut CatalogParts, source: Source) -> u32 {
    parts.sources.push(source);
    (parts.sources.len() - 1) as u32
}

/// Reads a CSV file's rows as string records (header skipped), with the given delimiter.
fn read_csv(path: &Path, delimiter: u8) -> anyhow::Result<Vec<csv::StringRecord>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    reader
        .records()
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("parsing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed catalog is exactly what the converter makes from the raw data. The raw data must be there
    /// (this machine and CI have it): without it nothing would be compared, so the test fails rather than pass.
    #[test]
    fn committed_catalog_matches_a_fresh_conversion() -> anyhow::Result<()> {
        let Some(data) = data_dir() else {
            anyhow::bail!(
                "the raw price data is missing: no README.md in {} (put ../shared/data beside the workspace or set \
                 SPOTPLAN_SHARED_DATA); without it the committed catalog cannot be checked against a fresh conversion",
                expected_data_dir().display()
            );
        };
        let fresh = convert(&data)?;
        let root = crate::process::workspace_root()?;
        let committed = std::fs::read(root.join(OUTPUT)).with_context(|| format!("reading {OUTPUT}"))?;
        assert!(
            fresh == committed,
            "the committed catalog is stale: run `cargo xtask catalog` and commit it"
        );
        Ok(())
    }

    /// A store export joins the raw data's catalog the same way whatever order its rows come in, its prices become
    /// the offers' newest with their own source, and an export with an unreadable row is refused.
    #[test]
    fn a_store_export_folds_in_reproducibly() -> anyhow::Result<()> {
        let Some(data) = data_dir() else {
            anyhow::bail!("the raw price data is missing (see committed_catalog_matches_a_fresh_conversion)");
        };
        let raw = raw_catalog(&data)?;
        let offer = (0..raw.offers().len())
            .find(|&i| raw.key_of(i).cloud == spotplan_core::Cloud::Alibaba && raw.key_of(i).zone.is_some())
            .context("an Alibaba zone offer")?;
        let source = Source {
            key: "alibaba-store-test".into(),
            name: "Alibaba DescribePrice through a Spotplan proxy".into(),
            url: "https://ecs.aliyuncs.com/".into(),
            licence: "the account holder's own answers".into(),
            date: "2026-12-01".into(),
            attribution: "fetched by a Spotplan proxy".into(),
            live: None,
        };
        let mut export = CatalogDelta::default();
        for (amount, at) in [("0.52", 1_796_000_000), ("0.48", 1_796_083_200)] {
            export.push(&spotplan_core::catalog::ExternalObservation {
                offer: raw.key_of(offer),
                kind: spotplan_core::catalog::PriceKind::Spot,
                rate: spotplan_core::PriceRate::new(
                    spotplan_core::Money::new(amount.parse()?, spotplan_core::Currency::Cny),
                    spotplan_core::TimeUnit::Hour,
                ),
                observed_at: at,
                source: source.clone(),
            });
        }
        let dir = std::env::temp_dir().join(format!("spotplan-xtask-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let forward = dir.join("forward.json");
        std::fs::write(&forward, serde_json::to_vec(&export)?)?;
        export.rows.reverse();
        let backward = dir.join("backward.json");
        std::fs::write(&backward, serde_json::to_vec(&export)?)?;
        let once = convert_with(&data, Some(&forward))?;
        assert_eq!(once, convert_with(&data, Some(&backward))?);
        let catalog = spotplan_core::catalog::decode(&once)?;
        let latest = catalog
            .latest(offer, spotplan_core::catalog::PriceKind::Spot)
            .context("a spot price")?;
        assert_eq!(
            (latest.observed_at, latest.rate.money.amount.to_string()),
            (1_796_083_200, "0.48".into())
        );
        assert_eq!(catalog.source_of(latest), &source);

        export.rows[0].5 = "not a number".into();
        std::fs::write(&forward, serde_json::to_vec(&export)?)?;
        let refused = convert_with(&data, Some(&forward)).expect_err("an unreadable row is refused");
        assert!(refused.to_string().contains("1 of the export's 2 rows"), "{refused}");
        std::fs::write(&forward, b"{\"orders\": []}")?;
        let refused = convert_with(&data, Some(&forward)).expect_err("not an export");
        assert!(
            format!("{refused:#}").contains("is not a price-store export"),
            "{refused:#}"
        );
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
