//! Tests of the catalog: linking, newest-wins merging, and the embedded data's facts.

use rust_decimal::Decimal;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
use crate::money::{Currency, Money, TimeUnit};

fn source(key: &str) -> Source {
    Source {
        key: key.into(),
        name: key.into(),
        url: String::new(),
        licence: String::new(),
        date: "2024-01-01".into(),
        attribution: String::new(),
        live: None,
    }
}

fn tiny() -> CatalogParts {
    CatalogParts {
        sources: vec![source("list")],
        regions: vec![Region {
            cloud: Cloud::Tencent,
            id: "ap-guangzhou".into(),
            name_en: "South China (Guangzhou)".into(),
            name_zh: "广州".into(),
            status: RegionStatus::Open,
        }],
        instance_types: vec![InstanceType {
            cloud: Cloud::Tencent,
            name: "S6.LARGE8".into(),
            family: "S6".into(),
            vcpu: 4,
            memory_gib: Decimal::from(8),
            gpu_count: Some(0),
            gpu_model: None,
            arch: Arch::X86_64,
            note: None,
        }],
        offers: vec![Offer {
            region: 0,
            zone: Some("ap-guangzhou-6".into()),
            instance_type: 0,
            availability: Availability::Listed,
        }],
        observations: vec![PriceObservation {
            offer: 0,
            kind: PriceKind::OnDemand,
            rate: PriceRate::new(Money::parse("0.63", Currency::Cny).unwrap(), TimeUnit::Hour),
            observed_at: 1_000,
            source: 0,
            spot_duration_hours: None,
        }],
    }
}

fn external(price: &str, at: i64, key: &str) -> ExternalObservation {
    ExternalObservation {
        offer: OfferKey {
            cloud: Cloud::Tencent,
            region: "ap-guangzhou".into(),
            zone: Some("ap-guangzhou-6".into()),
            instance_type: "S6.LARGE8".into(),
        },
        kind: PriceKind::OnDemand,
        rate: PriceRate::new(Money::parse(price, Currency::Cny).unwrap(), TimeUnit::Hour),
        observed_at: at,
        source: source(key),
    }
}

#[test]
fn dangling_indexes_are_refused() {
    let mut parts = tiny();
    parts.offers[0].region = 3;
    assert_eq!(
        Catalog::new(parts),
        Err(CatalogError::DanglingIndex {
            record: "offer",
            index: 0,
            target: "region",
            target_index: 3,
            len: 1
        })
    );
}

#[test]
fn newest_observation_wins_and_keeps_its_source() {
    let catalog = Catalog::new(tiny()).unwrap();
    let merged = catalog
        .with_observations(&[external("0.70", 2_000, "typed by you")])
        .unwrap();
    let latest = merged.latest(0, PriceKind::OnDemand).unwrap();
    assert_eq!(latest.rate.money.amount, Decimal::new(70, 2));
    assert_eq!(merged.source_of(latest).key, "typed by you");
    assert_eq!(merged.observations_of(0).len(), 2, "the older observation is kept");
    let older = catalog.with_observations(&[external("0.50", 500, "old note")]).unwrap();
    assert_eq!(
        older.latest(0, PriceKind::OnDemand).unwrap().rate.money.amount,
        Decimal::new(63, 2)
    );
}

#[test]
fn a_tie_goes_to_the_outside_observation() {
    let catalog = Catalog::new(tiny()).unwrap();
    let merged = catalog
        .with_observations(&[external("0.66", 1_000, "live quote")])
        .unwrap();
    assert_eq!(
        merged.source_of(merged.latest(0, PriceKind::OnDemand).unwrap()).key,
        "live quote"
    );
}

#[test]
fn zero_prices_are_refused_not_stored() {
    let catalog = Catalog::new(tiny()).unwrap();
    assert!(matches!(
        catalog.with_observations(&[external("0", 2_000, "x")]),
        Err(CatalogError::NonPositivePrice { .. })
    ));
}

/// One stored price for an offer the catalog does not know (a type newer than it) must not keep the others out:
/// the web merges what the catalog knows and leaves the rest (it used to refuse the whole batch and blank the plan).
#[test]
fn observations_of_unknown_offers_are_told_apart_from_those_it_can_merge() {
    let catalog = Catalog::new(tiny()).unwrap();
    let known = external("0.70", 2_000, "live quote");
    let mut unknown = external("1", 2_000, "live quote");
    unknown.offer.instance_type = "S9.HUGE".into();
    let all = [unknown.clone(), known.clone(), unknown.clone()];
    let (mergeable, left_out) = catalog.known_observations(&all);
    assert_eq!(mergeable, [&known]);
    assert_eq!(left_out, [unknown.offer]);
    assert!(catalog.with_observations(&[known]).is_ok());
}

#[test]
fn unknown_offers_name_the_missing_part() {
    let catalog = Catalog::new(tiny()).unwrap();
    let mut observation = external("1", 1, "x");
    observation.offer.instance_type = "S9.HUGE".into();
    assert_eq!(
        catalog.with_observations(&[observation]),
        Err(CatalogError::UnknownOfferPart {
            what: "instance type",
            value: "S9.HUGE".into(),
            cloud: Cloud::Tencent
        })
    );
}

#[test]
fn encode_decode_round_trips() {
    let catalog = Catalog::new(tiny()).unwrap();
    let bytes = encode(&catalog).unwrap();
    assert_eq!(decode(&bytes).unwrap(), catalog);
    assert!(matches!(
        decode(&bytes[..bytes.len() / 2]),
        Err(DecodeError::Malformed(_))
    ));
    assert_eq!(decode(&[9]), Err(DecodeError::Version { found: 9 }));
}

#[test]
fn embedded_catalog_holds_all_three_clouds_honestly() {
    let catalog = Catalog::embedded().unwrap();
    for cloud in Cloud::ALL {
        assert!(
            catalog
                .offers()
                .iter()
                .any(|offer| catalog.type_of(offer).cloud == cloud),
            "{cloud}"
        );
    }
    // Baidu: specs without any price.
    let baidu_priced = catalog
        .observations()
        .iter()
        .any(|obs| catalog.type_of(&catalog.offers()[obs.offer as usize]).cloud == Cloud::Baidu);
    assert!(!baidu_priced, "no Baidu price exists in any source");
    // No zero prices anywhere.
    assert!(
        catalog
            .observations()
            .iter()
            .all(|obs| obs.rate.money.amount > Decimal::ZERO)
    );
    // Sydney is closed, not free.
    let sydney = catalog
        .regions()
        .iter()
        .find(|region| region.id == "ap-southeast-2")
        .unwrap();
    assert_eq!(sydney.status, RegionStatus::Closed);
    // A known row: Tencent S6.MEDIUM4 in Guangzhou zone 6 at 0.31 CNY/hour on 2022-05-20.
    let key = OfferKey {
        cloud: Cloud::Tencent,
        region: "ap-guangzhou".into(),
        zone: Some("ap-guangzhou-6".into()),
        instance_type: "S6.MEDIUM4".into(),
    };
    let offer = catalog.find_offer(&key).unwrap();
    let price = catalog.latest(offer, PriceKind::OnDemand).unwrap();
    assert_eq!(price.rate.to_string(), "0.31 CNY/hour");
    assert_eq!(spotplan_time::format_date(price.observed_at), "2022-05-20");
}

#[test]
fn baidu_has_every_documented_endpoint_region_and_singapore_is_outside_the_mainland() {
    let catalog = Catalog::embedded().unwrap();
    let baidu: Vec<&str> = catalog
        .regions()
        .iter()
        .filter(|region| region.cloud == Cloud::Baidu)
        .map(|region| region.id.as_str())
        .collect();
    // https://cloud.baidu.com/doc/BCC/s/0jwvyo603-en: bcc.{bj,gz,su,hkg,fwh,bd,sin,fsh}.baidubce.com.
    for id in ["bj", "gz", "su", "hkg", "fwh", "bd", "sin", "fsh"] {
        assert!(baidu.contains(&id), "{id} missing from {baidu:?}");
    }
    assert!(!crate::plan::in_mainland_china(Cloud::Baidu, "sin"));
    assert!(!crate::plan::in_mainland_china(Cloud::Baidu, "hkg"));
    assert!(crate::plan::in_mainland_china(Cloud::Baidu, "fsh"));
}
