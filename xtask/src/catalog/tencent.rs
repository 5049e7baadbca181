//! Tencent CVM's 2022-05-20 pay-as-you-go list (Linux, tier T1, CNY per hour), Chinese names mapped to API ids.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use anyhow::Context;
use rust_decimal::Decimal;
use spotplan_core::Cloud;
use spotplan_core::catalog::{
    Arch, Availability, CatalogParts, InstanceType, Offer, PriceKind, PriceObservation, Source,
};
use spotplan_core::time::parse_date;
use spotplan_core::{Currency, Money, PriceRate, TimeUnit};

use super::regions::{self, TENCENT, tencent_zone_id};
use super::{add_source, read_csv};

const OBSERVED: &str = "2022-05-20";

pub fn add(parts: &mut CatalogParts, data: &Path) -> anyhow::Result<()> {
    let source = add_source(
        parts,
        Source {
            key: "tencent-qcloud-price-2022-05-20".into(),
            name: "chen56/qcloud-price CVM price list (commit 162b20e), from Tencent's price pages".into(),
            url: "https://github.com/chen56/qcloud-price".into(),
            licence: "none stated (prices are facts; source cited)".into(),
            date: OBSERVED.into(),
            attribution: "Tencent Cloud CVM list prices of 2022-05-20 via chen56/qcloud-price".into(),
            live: None,
        },
    );
    let region_base = parts.regions.len() as u32;
    for (_, id, en, status) in TENCENT {
        let zh = TENCENT.iter().find(|(_, i, ..)| i == id).map_or("", |(name, ..)| *name);
        parts.regions.push(regions::region(Cloud::Tencent, id, en, zh, *status));
    }
    let day = parse_date(OBSERVED).context("bad date")?;
    let mut type_index: HashMap<String, u32> = HashMap::new();
    for row in read_csv(&data.join("tencent_cvm_ondemand_cny_2022-05-20.csv"), b',')? {
        if &row[2] != "LINUX" {
            continue;
        }
        let position = TENCENT.iter().position(|(name, ..)| *name == &row[0]);
        let position = position.with_context(|| format!("unmapped Tencent region `{}`", &row[0]))?;
        let region_id = TENCENT[position].1;
        let zone =
            tencent_zone_id(region_id, &row[1]).with_context(|| format!("unmapped Tencent zone `{}`", &row[1]))?;
        let name = &row[4];
        let type_id = match type_index.get(name) {
            Some(id) => *id,
            None => {
                parts.instance_types.push(instance_type(&row)?);
                let id = (parts.instance_types.len() - 1) as u32;
                type_index.insert(name.to_owned(), id);
                id
            }
        };
        parts.offers.push(Offer {
            region: region_base + position as u32,
            zone: Some(zone.into()),
            instance_type: type_id,
            availability: Availability::Listed,
        });
        let offer = (parts.offers.len() - 1) as u32;
        // "-" means the type has no pay-as-you-go price in that zone: unknown, left out.
        if let Some(price) = Decimal::from_str(&row[7]).ok().filter(|price| *price > Decimal::ZERO) {
            parts.observations.push(PriceObservation {
                offer,
                kind: PriceKind::OnDemand,
                rate: PriceRate::new(Money::new(price.normalize(), Currency::Cny), TimeUnit::Hour),
                observed_at: day,
                source,
                spot_duration_hours: None,
            });
        }
    }
    Ok(())
}

fn instance_type(row: &csv::StringRecord) -> anyhow::Result<InstanceType> {
    let family_label = &row[3];
    let family: String = family_label
        .chars()
        .skip_while(|c| !c.is_ascii_alphanumeric())
        .collect();
    let is_gpu = family_label.contains("GPU");
    // SR1 runs on Ampere Altra (Arm); every other family in the 2022 list is x86-64.
    let arm = family == "SR1";
    Ok(InstanceType {
        cloud: Cloud::Tencent,
        name: row[4].to_owned(),
        family,
        vcpu: row[5].parse().with_context(|| format!("cpu `{}`", &row[5]))?,
        memory_gib: Decimal::from_str(&row[6]).with_context(|| format!("memory `{}`", &row[6]))?,
        // The list does not give GPU counts: unknown for GPU families, never guessed.
        gpu_count: if is_gpu { None } else { Some(0) },
        gpu_model: None,
        arch: if arm { Arch::Arm64 } else { Arch::X86_64 },
        note: is_gpu.then(|| format!("{family_label}: GPU count not in the price list")),
    })
}
