//! Alibaba ECS rows of the 2024-10-09 cloudpilot-ai price file (CNY per hour) and the 2023 spot history sample.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::str::FromStr;

use anyhow::{Context, bail};
use rust_decimal::Decimal;
use spotplan_core::Cloud;
use spotplan_core::catalog::{
    Arch, Availability, CatalogParts, InstanceType, Offer, PriceKind, PriceObservation, Source,
};
use spotplan_core::time::parse_date;
use spotplan_core::{Currency, Money, PriceRate, TimeUnit};

use super::regions::{self, ALIBABA};
use super::{add_source, read_csv};

/// When the spot prices were read (DescribeSpotPriceHistory around 06:00 UTC that day).
const OBSERVED: &str = "2024-10-09";
const OBSERVED_HOUR_UTC: i64 = 6;

/// GPU models of three GPU families, per Alibaba's instance family documentation
/// (https://www.alibabacloud.com/help/en/elastic-compute-service/latest/instance-type-families); other GPU families
/// keep the count without a model.
const GPU_MODELS: &[(&str, &str)] = &[("gn7i", "NVIDIA A10"), ("gn6i", "NVIDIA T4"), ("gn6v", "NVIDIA V100")];

pub fn add(parts: &mut CatalogParts, data: &Path) -> anyhow::Result<()> {
    let price_file = add_source(
        parts,
        Source {
            key: "alibaba-cloudpilot-2024-10-09".into(),
            name: "cloudpilot-ai/priceserver built-in Alibaba Cloud prices (commit 30e3e8d)".into(),
            url: "https://github.com/cloudpilot-ai/priceserver".into(),
            licence: "Apache-2.0".into(),
            date: OBSERVED.into(),
            attribution: "Alibaba Cloud price data from cloudpilot-ai/priceserver (Apache-2.0)".into(),
            live: None,
        },
    );
    let history = add_source(
        parts,
        Source {
            key: "alibaba-cleanerzkp-2023".into(),
            name: "cleanerzkp/spot-instance-comparison daily DescribeSpotPriceHistory readings (commit 7de56d7)".into(),
            url: "https://github.com/cleanerzkp/spot-instance-comparison".into(),
            licence: "ISC".into(),
            date: "2023-11-27".into(),
            attribution: "Alibaba Cloud spot price history sample from cleanerzkp/spot-instance-comparison (ISC); \
                          currency not stored, USD inferred"
                .into(),
            live: None,
        },
    );
    let region_base = parts.regions.len() as u32;
    for (id, en, zh, status) in ALIBABA {
        parts.regions.push(regions::region(Cloud::Alibaba, id, en, zh, *status));
    }
    let region_index: HashMap<&str, u32> = ALIBABA
        .iter()
        .enumerate()
        .map(|(i, (id, ..))| (*id, region_base + i as u32))
        .collect();
    let zones = zones_per_row(&data.join("alicloud_price_cloudpilot_30e3e8d_ondemand_spot.json"))?;
    let day = parse_date(OBSERVED).context("bad observation date")?;
    let observed_at = day + OBSERVED_HOUR_UTC * 3600;

    // Types, offers (one per zone) and on-demand prices, in the file's order.
    let mut type_index: HashMap<String, u32> = HashMap::new();
    let mut offer_index: HashMap<(String, String, String), u32> = HashMap::new();
    for row in read_csv(&data.join("alicloud_ondemand_cny_2024-10-09.csv"), b',')? {
        let (region, name) = (&row[0], &row[1]);
        let region_id = *region_index
            .get(region)
            .with_context(|| format!("unmapped Alibaba region `{region}`"))?;
        let type_id = match type_index.get(name) {
            Some(id) => *id,
            None => {
                parts.instance_types.push(instance_type(&row)?);
                let id = (parts.instance_types.len() - 1) as u32;
                type_index.insert(name.to_owned(), id);
                id
            }
        };
        let on_demand = positive_price(&row[6]).or_else(|| positive_price(&row[7]));
        let row_zones = zones
            .get(&(region.to_owned(), name.to_owned()))
            .cloned()
            .unwrap_or_default();
        for zone in row_zones {
            parts.offers.push(Offer {
                region: region_id,
                zone: Some(zone.as_str().into()),
                instance_type: type_id,
                availability: Availability::Listed,
            });
            let offer = (parts.offers.len() - 1) as u32;
            offer_index.insert((region.to_owned(), zone, name.to_owned()), offer);
            if let Some(amount) = on_demand {
                parts.observations.push(observation(
                    offer,
                    PriceKind::OnDemand,
                    amount,
                    Currency::Cny,
                    day,
                    price_file,
                ));
            }
        }
    }
    for row in read_csv(&data.join("alicloud_spot_cny_2024-10-09.csv"), b',')? {
        let key = (row[0].to_owned(), row[1].to_owned(), row[2].to_owned());
        let offer = *offer_index
            .get(&key)
            .with_context(|| format!("spot row for an unlisted offer {key:?}"))?;
        if let Some(amount) = positive_price(&row[6]) {
            let mut spot = observation(offer, PriceKind::Spot, amount, Currency::Cny, observed_at, price_file);
            spot.spot_duration_hours = Some(1);
            parts.observations.push(spot);
        }
    }
    add_history(parts, data, &region_index, &type_index, history)
}

/// The 2023 daily spot series, attached to region-level offers of types the 2024 data also lists there. Series
/// for regions or types outside the 2024 data are left out rather than given invented specs or names.
fn add_history(
    parts: &mut CatalogParts,
    data: &Path,
    region_index: &HashMap<&str, u32>,
    type_index: &HashMap<String, u32>,
    source: u32,
) -> anyhow::Result<()> {
    let mut series: BTreeMap<(String, String), Vec<(i64, Decimal)>> = BTreeMap::new();
    for row in read_csv(&data.join("alicloud_spot_cleanerzkp_7de56d7_2023.csv"), b';')? {
        if &row[9] != "ALB" {
            continue;
        }
        let instance_type = row[1].split('-').next().unwrap_or_default().to_owned();
        let region = row[2].trim_start_matches("ALB-").to_owned();
        let at = parse_timestamp(&row[3]).with_context(|| format!("bad date `{}`", &row[3]))?;
        let price = positive_price(&row[4]).with_context(|| format!("bad price `{}`", &row[4]))?;
        series.entry((region, instance_type)).or_default().push((at, price));
    }
    for ((region, name), points) in series {
        let (Some(region_id), Some(type_id)) = (region_index.get(region.as_str()), type_index.get(&name)) else {
            continue;
        };
        let listed_here = parts
            .offers
            .iter()
            .any(|o| o.region == *region_id && o.instance_type == *type_id);
        if !listed_here {
            continue;
        }
        parts.offers.push(Offer {
            region: *region_id,
            zone: None,
            instance_type: *type_id,
            availability: Availability::Listed,
        });
        let offer = (parts.offers.len() - 1) as u32;
        // The region's on-demand price (the same for every zone) also prices the region-level offer, so its
        // savings and the bid's on-demand cap are known.
        let on_demand = parts
            .observations
            .iter()
            .find(|obs| {
                obs.kind == PriceKind::OnDemand && {
                    let o = &parts.offers[obs.offer as usize];
                    o.region == *region_id && o.instance_type == *type_id
                }
            })
            .cloned();
        if let Some(mut on_demand) = on_demand {
            on_demand.offer = offer;
            parts.observations.push(on_demand);
        }
        for (at, price) in points {
            let mut spot = observation(offer, PriceKind::Spot, price, Currency::Usd, at, source);
            spot.spot_duration_hours = Some(1);
            parts.observations.push(spot);
        }
    }
    Ok(())
}

fn instance_type(row: &csv::StringRecord) -> anyhow::Result<InstanceType> {
    let name = &row[1];
    let family = name
        .split('.')
        .nth(1)
        .with_context(|| format!("type `{name}` has no family"))?;
    let family_prefix = family.split('-').next().unwrap_or(family);
    let gpu_count: u32 = row[5].parse().with_context(|| format!("gpu `{}`", &row[5]))?;
    let gpu_model = GPU_MODELS
        .iter()
        .find(|(f, _)| *f == family_prefix)
        .map(|(_, model)| (*model).to_owned());
    // The source lists every type as amd64; the 8y families (Yitian 710) and g6r/c6r (Ampere Altra) are Arm.
    let arm = family_prefix.ends_with("8y") || matches!(family_prefix, "g6r" | "c6r");
    if &row[2] != "amd64" {
        bail!("unexpected arch `{}` for {name}", &row[2]);
    }
    Ok(InstanceType {
        cloud: Cloud::Alibaba,
        name: name.to_owned(),
        family: family_prefix.to_owned(),
        vcpu: row[3].parse().with_context(|| format!("vcpu `{}`", &row[3]))?,
        memory_gib: Decimal::from_str(&row[4]).with_context(|| format!("memory `{}`", &row[4]))?,
        gpu_count: Some(gpu_count),
        gpu_model: if gpu_count > 0 { gpu_model } else { None },
        arch: if arm { Arch::Arm64 } else { Arch::X86_64 },
        note: arm.then(|| "Arm: the price source says amd64, corrected by family".to_owned()),
    })
}

fn zones_per_row(path: &Path) -> anyhow::Result<HashMap<(String, String), Vec<String>>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text)?;
    let mut zones = HashMap::new();
    for (region, body) in json.as_object().context("top level is not an object")? {
        for (name, row) in body["instanceTypePrices"]
            .as_object()
            .context("no instanceTypePrices")?
        {
            let list = row["zones"].as_array().context("no zones")?;
            let list = list
                .iter()
                .filter_map(|zone| zone.as_str().map(str::to_owned))
                .collect();
            zones.insert((region.clone(), name.clone()), list);
        }
    }
    Ok(zones)
}

fn positive_price(text: &str) -> Option<Decimal> {
    Decimal::from_str(text.trim())
        .ok()
        .filter(|price| *price > Decimal::ZERO)
        .map(|price| price.normalize())
}

fn observation(
    offer: u32,
    kind: PriceKind,
    amount: Decimal,
    currency: Currency,
    at: i64,
    source: u32,
) -> PriceObservation {
    PriceObservation {
        offer,
        kind,
        rate: PriceRate::new(Money::new(amount, currency), TimeUnit::Hour),
        observed_at: at,
        source,
        spot_duration_hours: None,
    }
}

/// `2023-10-02 02:00:00+02` → Unix seconds.
fn parse_timestamp(text: &str) -> Option<i64> {
    let (date, rest) = text.split_once(' ')?;
    let (time, offset) = rest.split_at(8);
    let mut hms = time.split(':').map(|part| part.parse::<i64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    let offset_hours: i64 = offset.parse().ok()?;
    Some(parse_date(date)? + h * 3600 + m * 60 + s - offset_hours * 3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_with_offsets_become_utc() {
        assert_eq!(parse_timestamp("2023-10-02 02:00:00+02"), parse_date("2023-10-02"));
    }

    #[test]
    fn zero_and_empty_prices_are_unknown() {
        assert_eq!(positive_price("0"), None);
        assert_eq!(positive_price(""), None);
        assert_eq!(positive_price("0.2130"), Some(Decimal::new(213, 3)));
    }
}
