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
//! * Baidu: the specs known from official examples, in the SDK's regions, availability unverified, no price.

mod alibaba;
mod baidu;
mod regions;
mod tencent;

use std::path::{Path, PathBuf};

use anyhow::Context;
use spotplan_core::catalog::{Catalog, CatalogParts, Source, encode};

/// Where the committed compact catalog lives.
pub const OUTPUT: &str = "crates/spotplan-core/catalog/catalog.bin";

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

/// Converts the raw data into catalog bytes.
pub fn convert(data: &Path) -> anyhow::Result<Vec<u8>> {
    let mut parts = CatalogParts::default();
    alibaba::add(&mut parts, data).context("converting the Alibaba data")?;
    tencent::add(&mut parts, data).context("converting the Tencent data")?;
    baidu::add(&mut parts);
    let catalog = Catalog::new(parts).context("linking the catalog")?;
    Ok(encode(&catalog)?)
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
}
