//! Baidu BCC specs known from official examples: the API references of bidFlavor
//! (https://intl.cloud.baidu.com/en/doc/BCC/s/Ik5eoi0fr-intl-en), bidPrice
//! (https://intl.cloud.baidu.com/en/doc/BCC/s/vk5eol7io-intl-en) and flavorSpec
//! (https://cloud.baidu.com/doc/BCC/s/Xk3pb75k1), and the Python SDK doc (https://cloud.baidu.com/doc/BCC/s/njwvympu0);
//! each spec below names where it appears. No price exists in any source: the catalog carries the specs without
//! prices, and their sale in each region is unverified.

use rust_decimal::Decimal;
use spotplan_core::Cloud;
use spotplan_core::catalog::{Arch, Availability, CatalogParts, InstanceType, Offer, RegionStatus, Source};

use super::add_source;
use super::regions::{self, BAIDU};

/// A spec named in Baidu's official material: (spec, vCPU, memory GiB, GPU count, GPU model, where it appears).
type KnownSpec = (&'static str, u32, i64, u32, Option<&'static str>, &'static str);

const SPECS: &[KnownSpec] = &[
    ("bcc.g5.c2m8", 2, 8, 0, None, "official SDK docs and flavorSpec example"),
    ("bcc.g5.c1m4", 1, 4, 0, None, "Python SDK doc"),
    ("bcc.g4.c1m4", 1, 4, 0, None, "flavorSpec doc parameter example"),
    (
        "bcc.g7.c2m8",
        2,
        8,
        0,
        None,
        "bidPrice (spot market price) request example, 2025-11-03",
    ),
    ("bcc.c1.c1m2", 1, 2, 0, None, "bidFlavor response example (spot)"),
    (
        "bcc.hgn5IB.c116m978.8A100-80g",
        116,
        978,
        8,
        Some("NVIDIA A100 80GB"),
        "flavorSpec response; GPUs read from the name",
    ),
    (
        "bcc.lgn1.c12m40.1p40",
        12,
        40,
        1,
        Some("NVIDIA P40"),
        "instance-price example; sizes and GPU read from the name",
    ),
];

pub fn add(parts: &mut CatalogParts) {
    add_source(
        parts,
        Source {
            key: "baidu-official-examples".into(),
            name: "Baidu AI Cloud BCC official API and SDK examples (specs only; no public prices)".into(),
            url: "https://cloud.baidu.com/doc/BCC/index.html".into(),
            licence: "facts from vendor documentation".into(),
            date: "2025-11-03".into(),
            attribution: "Baidu BCC specs from Baidu AI Cloud's API documentation; prices unknown".into(),
            live: None,
        },
    );
    let region_base = parts.regions.len() as u32;
    for (id, en, zh) in BAIDU {
        parts
            .regions
            .push(regions::region(Cloud::Baidu, id, en, zh, RegionStatus::Open));
    }
    for (spec, vcpu, memory, gpus, model, evidence) in SPECS {
        let family = spec.split('.').nth(1).unwrap_or_default().to_owned();
        parts.instance_types.push(InstanceType {
            cloud: Cloud::Baidu,
            name: (*spec).to_owned(),
            family,
            vcpu: *vcpu,
            memory_gib: Decimal::from(*memory),
            gpu_count: Some(*gpus),
            gpu_model: model.map(str::to_owned),
            arch: Arch::X86_64,
            note: Some(format!("spec from {evidence}; sale in each region not verified")),
        });
        let type_id = (parts.instance_types.len() - 1) as u32;
        for region in 0..BAIDU.len() as u32 {
            parts.offers.push(Offer {
                region: region_base + region,
                zone: None,
                instance_type: type_id,
                availability: Availability::Unverified,
            });
        }
    }
}
