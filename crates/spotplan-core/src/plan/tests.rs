//! Planner tests: the realistic requirement of the issue on the embedded catalog, ordering rules, and honesty
//! about unknown prices.

use rust_decimal::Decimal;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
use spotplan_time::parse_date;

fn planner() -> Planner {
    Planner::new(Catalog::embedded().unwrap(), ExchangeRate::default())
}

fn four_by_eight_in_china() -> Requirement {
    Requirement {
        vcpu_min: Some(4),
        vcpu_max: Some(4),
        memory_min_gib: Some(Decimal::from(8)),
        memory_max_gib: Some(Decimal::from(8)),
        instance_count: 10,
        hours: Decimal::from(72),
        area: Area::MainlandChina,
        ..Requirement::default()
    }
}

/// Whether the planner recommends a bid for `offer` (its history holds enough windows).
fn has_recommendation(planner: &Planner, offer: usize, requirement: &Requirement) -> bool {
    matches!(
        planner
            .candidate(offer as u32, requirement, today())
            .map(|candidate| candidate.bid),
        Ok(BidAdvice::Recommended { .. })
    )
}

/// The source of the prices a test adds as live quotes.
fn live_quote_source() -> crate::catalog::Source {
    crate::catalog::Source {
        key: "test-quotes".into(),
        name: "live quotes".into(),
        url: "https://ecs.aliyuncs.com/".into(),
        licence: "test".into(),
        date: "2026-11-22".into(),
        attribution: "test".into(),
        live: None,
    }
}

fn today() -> i64 {
    parse_date("2026-11-23").unwrap()
}

#[test]
fn four_vcpu_eight_gib_times_ten_for_72_hours_in_china() {
    let planner = planner();
    let requirement = four_by_eight_in_china();
    let plan = planner.plan(&requirement);
    assert!(plan.ranked.len() > 100, "{}", plan.ranked.len());
    let clouds: std::collections::BTreeSet<Cloud> = plan
        .ranked
        .iter()
        .map(|r| {
            planner
                .catalog()
                .type_of(&planner.catalog().offers()[r.offer as usize])
                .cloud
        })
        .collect();
    // No known Baidu spec is 4 vCPU / 8 GiB, so only Alibaba and Tencent can match.
    assert_eq!(clouds.into_iter().collect::<Vec<_>>(), [Cloud::Alibaba, Cloud::Tencent]);
    let best = planner.candidate(plan.ranked[0].offer, &requirement, today()).unwrap();
    assert_eq!((best.vcpu, best.memory_gib), (4, Decimal::from(8)));
    assert!(in_mainland_china(best.key.cloud, &best.key.region));
    // The expected total is exactly price × 10 instances × 72 h for a per-second cloud.
    let hourly = best.spot_display.unwrap().in_unit(TimeUnit::Hour).unwrap().money.amount;
    assert_eq!(best.expected_total.unwrap().amount, hourly * Decimal::from(720));
    assert_eq!(best.billed_seconds, 72 * 3600);
    // Every figure carries its age and source.
    let PriceFigure::Observed {
        observed_on,
        source,
        age_days,
        ..
    } = &best.spot
    else {
        panic!("best offer should be an observed price: {:?}", best.spot)
    };
    assert_eq!(observed_on, "2024-10-09");
    assert!(source.contains("cloudpilot-ai/priceserver"));
    assert_eq!(
        *age_days, 774,
        "observed 2024-10-09 06:00 UTC, today 2026-11-23 00:00 UTC"
    );
    // Costs are ordered: expected ≤ on-demand for a discounted offer.
    assert!(best.expected_total.unwrap().amount < best.on_demand_total.unwrap().amount);
    assert!(best.savings_percent.unwrap() > Decimal::from(50));
}

/// The worst case is what the bid field sends can reach: the recommendation rounded up to the cloud's decimals
/// (Alibaba 3, Tencent 4), never the unrounded recommendation below it.
#[test]
fn the_worst_case_bills_the_recommended_bid_as_the_cloud_takes_it() {
    // Every known spot price of the cheapest Alibaba offer observed again a second later, 0.00005 CNY/h above
    // its highest (a live quote's precision): the recommendation has more decimals than Alibaba's bid takes.
    let catalog = Catalog::embedded().unwrap();
    let requirement = four_by_eight_in_china();
    let first = Planner::new(catalog.clone(), ExchangeRate::default());
    let alibaba = (0..catalog.offers().len())
        .find(|&offer| {
            // Below its on-demand price, which caps a recommendation.
            let highest = catalog
                .spot_history(offer)
                .iter()
                .map(|obs| obs.rate.money.amount)
                .max();
            let list = catalog
                .latest(offer, PriceKind::OnDemand)
                .map(|obs| obs.rate.money.amount);
            catalog.key_of(offer).cloud == Cloud::Alibaba
                && matches!((highest, list), (Some(spot), Some(list)) if spot + Decimal::new(1, 4) < list)
                && has_recommendation(&first, offer, &requirement)
        })
        .unwrap();
    let source = live_quote_source();
    let highest = catalog
        .spot_history(alibaba)
        .iter()
        .map(|obs| obs.rate.money.amount)
        .max()
        .unwrap();
    let quote = highest + Decimal::new(5, 5);
    let quotes: Vec<crate::catalog::ExternalObservation> = catalog
        .spot_history(alibaba)
        .iter()
        .map(|obs| crate::catalog::ExternalObservation {
            offer: catalog.key_of(alibaba),
            kind: PriceKind::Spot,
            rate: PriceRate::new(Money::new(quote, obs.rate.money.currency), obs.rate.per),
            observed_at: obs.observed_at + 1,
            source: source.clone(),
        })
        .collect();
    let planner = Planner::new(catalog.with_observations(&quotes).unwrap(), ExchangeRate::default());
    let plan = planner.plan(&requirement);
    let mut rounded_up = 0;
    // From China-site accounts, then from an international-site Alibaba account (its bid sent in dollars).
    let mut from_dollars = requirement.clone();
    from_dollars.account_currencies.set(Cloud::Alibaba, Currency::Usd);
    for requirement in [&requirement, &from_dollars] {
        let offers = plan.ranked.iter().take(200).map(|ranked| ranked.offer);
        for offer in offers.chain([alibaba as u32]) {
            let candidate = planner.candidate(offer, requirement, today()).unwrap();
            let BidAdvice::Recommended { bid, .. } = &candidate.bid else {
                continue;
            };
            let cloud = candidate.key.cloud;
            let account = requirement.account_currencies.of(cloud);
            let (sent, _) = candidate.worst_case_bid.unwrap();
            let native = crate::order::native_bid::native_bid(*bid, cloud, account, planner.fx()).unwrap();
            assert_eq!(sent, native.price.rate(cloud, account));
            let fx = planner.fx();
            // Beside the bid field, the advice is that bid in the display's currency and unit.
            let shown = candidate.bid_display.unwrap();
            assert_eq!(
                (shown.money.currency, shown.per),
                (requirement.currency, requirement.unit)
            );
            let sent_in_display = PriceRate::new(fx.convert(sent.money, requirement.currency).unwrap(), sent.per);
            assert_eq!(shown, sent_in_display.in_unit(requirement.unit).unwrap());
            let in_display = |rate: PriceRate| fx.convert(rate.in_unit(TimeUnit::Hour).unwrap().money, Currency::Cny);
            assert!(in_display(sent).unwrap().amount >= in_display(*bid).unwrap().amount);
            let unrounded = in_display(*bid).unwrap().amount * Decimal::from(720);
            assert!(candidate.worst_case_total.unwrap().amount >= unrounded);
            rounded_up += usize::from(native.rounded);
        }
    }
    assert!(
        rounded_up > 0,
        "some recommendation has more decimals than its cloud takes"
    );
}

#[test]
fn ranking_is_sorted_by_expected_total_with_unpriced_last() {
    let planner = planner();
    let requirement = four_by_eight_in_china();
    let plan = planner.plan(&requirement);
    let first_unpriced = plan.ranked.iter().position(|r| !r.priced).unwrap();
    assert!(plan.ranked[first_unpriced..].iter().all(|r| !r.priced));
    let totals: Vec<Decimal> = plan.ranked[..first_unpriced]
        .iter()
        .map(|r| {
            planner
                .candidate(r.offer, &requirement, today())
                .unwrap()
                .expected_total
                .unwrap()
                .amount
        })
        .collect();
    // Keys are exact to 1e-9 CNY per hour; allow that resolution.
    let tolerance = Decimal::new(1, 9) * Decimal::from(720 * 4);
    assert!(totals.windows(2).all(|pair| pair[0] <= pair[1] + tolerance));
}

/// A value to check the order of, per sort key, read from the candidate's exact figures.
#[derive(Debug, PartialEq, PartialOrd)]
enum Shown {
    Number(Decimal),
    Text(String),
}

fn shown(planner: &Planner, key: SortKey, candidate: &Candidate) -> Option<Shown> {
    let catalog = planner.catalog();
    let cny_hourly = |figure: &PriceFigure| {
        figure.native().map(|rate| {
            let money = planner.fx().convert(rate.money, Currency::Cny).unwrap();
            PriceRate::new(money, rate.per)
                .in_unit(TimeUnit::Hour)
                .unwrap()
                .money
                .amount
        })
    };
    match key {
        SortKey::Cloud => Some(Shown::Number(Decimal::from(candidate.key.cloud as u8))),
        SortKey::Place => Some(Shown::Text(
            candidate.key.zone.clone().unwrap_or(candidate.key.region.clone()),
        )),
        SortKey::InstanceType => Some(Shown::Text(candidate.key.instance_type.clone())),
        SortKey::Vcpu => Some(Shown::Number(Decimal::from(candidate.vcpu))),
        SortKey::Memory => Some(Shown::Number(candidate.memory_gib)),
        SortKey::Gpu => candidate.gpu_count.map(|n| Shown::Number(Decimal::from(n))),
        SortKey::SpotPrice => cny_hourly(&candidate.spot).map(Shown::Number),
        SortKey::OnDemandPrice => cny_hourly(&candidate.on_demand).map(Shown::Number),
        SortKey::PriceAge => {
            let offer = catalog.find_offer(&candidate.key).unwrap();
            catalog
                .latest(offer, PriceKind::Spot)
                .map(|obs| Shown::Number(-Decimal::from(obs.observed_at)))
        }
        _ => None,
    }
}

#[test]
fn every_column_sorts_both_ways_with_unknown_values_last() {
    let planner = planner();
    let keys = [
        SortKey::Cloud,
        SortKey::Place,
        SortKey::InstanceType,
        SortKey::Vcpu,
        SortKey::Memory,
        SortKey::Gpu,
        SortKey::SpotPrice,
        SortKey::OnDemandPrice,
        SortKey::PriceAge,
    ];
    for key in keys {
        for reversed in [false, true] {
            let requirement = Requirement {
                vcpu_min: Some(2),
                vcpu_max: Some(16),
                sort: key,
                sort_reversed: reversed,
                ..Requirement::default()
            };
            let plan = planner.plan(&requirement);
            assert!(plan.ranked.len() > 1_000, "{key:?}");
            for priced in [true, false] {
                let values: Vec<Option<Shown>> = plan
                    .ranked
                    .iter()
                    .filter(|r| r.priced == priced)
                    .map(|r| {
                        shown(
                            &planner,
                            key,
                            &planner.candidate(r.offer, &requirement, today()).unwrap(),
                        )
                    })
                    .collect();
                let known = values.iter().take_while(|v| v.is_some()).count();
                assert!(
                    values[known..].iter().all(Option::is_none),
                    "{key:?} reversed={reversed}: unknown last"
                );
                // Keys are exact to 1e-9 CNY per hour: neighbours closer than that may swap.
                let tolerance = Decimal::new(1, 8);
                let in_order = |a: &Shown, b: &Shown| match (a, b) {
                    (Shown::Number(a), Shown::Number(b)) if reversed => *a + tolerance >= *b,
                    (Shown::Number(a), Shown::Number(b)) => *a <= *b + tolerance,
                    (a, b) if reversed => a >= b,
                    (a, b) => a <= b,
                };
                let known: Vec<&Shown> = values[..known].iter().flatten().collect();
                assert!(
                    known.windows(2).all(|pair| in_order(pair[0], pair[1])),
                    "{key:?} reversed={reversed} priced={priced}"
                );
            }
        }
    }
}

#[test]
fn savings_sort_largest_first_and_reverses() {
    let planner = planner();
    for reversed in [false, true] {
        let requirement = Requirement {
            sort: SortKey::Savings,
            sort_reversed: reversed,
            ..four_by_eight_in_china()
        };
        let savings: Vec<Decimal> = planner
            .plan(&requirement)
            .ranked
            .iter()
            .filter_map(|r| {
                planner
                    .candidate(r.offer, &requirement, today())
                    .unwrap()
                    .savings_percent
            })
            .collect();
        let tolerance = Decimal::new(1, 6);
        assert!(savings.len() > 100);
        assert!(savings.windows(2).all(|p| if reversed {
            p[0] <= p[1] + tolerance
        } else {
            p[0] + tolerance >= p[1]
        }));
    }
}

#[test]
fn the_text_filter_matches_type_region_names_and_zone() {
    let planner = planner();
    let matching = |text: &str| {
        let requirement = Requirement {
            text: Some(text.into()),
            ..Requirement::default()
        };
        planner
            .plan(&requirement)
            .ranked
            .iter()
            .map(|r| planner.candidate(r.offer, &requirement, today()).unwrap())
            .collect::<Vec<_>>()
    };
    let c7 = matching("ECS.C7.");
    assert!(!c7.is_empty() && c7.iter().all(|c| c.key.instance_type.starts_with("ecs.c7.")));
    let zone = matching("cn-hangzhou-k");
    assert!(!zone.is_empty() && zone.iter().all(|c| c.key.zone.as_deref() == Some("cn-hangzhou-k")));
    let hangzhou = matching("杭州");
    assert!(hangzhou.iter().any(|c| c.key.cloud == Cloud::Alibaba));
    assert!(hangzhou.iter().all(|c| c.region_zh.contains("杭州")));
    assert!(matching("no such thing").is_empty());
    assert_eq!(matching("  ").len(), planner.plan(&Requirement::default()).ranked.len());
}

#[test]
fn baidu_prices_are_unknown_never_zero() {
    let planner = planner();
    let requirement = Requirement {
        clouds: vec![Cloud::Baidu],
        ..Requirement::default()
    };
    let plan = planner.plan(&requirement);
    assert!(!plan.ranked.is_empty());
    assert!(plan.ranked.iter().all(|r| !r.priced));
    let candidate = planner.candidate(plan.ranked[0].offer, &requirement, today()).unwrap();
    assert!(matches!(candidate.spot, PriceFigure::Unknown { .. }));
    assert_eq!(candidate.expected_total, None);
    assert_eq!(candidate.worst_case_total, None);
    assert!(candidate.notes.iter().any(|note| note.contains("not verified")));
}

#[test]
fn tencent_spot_is_a_labelled_estimate_of_twenty_percent() {
    let planner = planner();
    let requirement = Requirement {
        clouds: vec![Cloud::Tencent],
        regions: vec!["ap-guangzhou-6".into()],
        vcpu_min: Some(2),
        vcpu_max: Some(2),
        memory_min_gib: Some(Decimal::from(4)),
        memory_max_gib: Some(Decimal::from(4)),
        ..Requirement::default()
    };
    let plan = planner.plan(&requirement);
    let candidate = plan
        .ranked
        .iter()
        .map(|r| planner.candidate(r.offer, &requirement, today()).unwrap())
        .find(|c| c.key.instance_type == "S6.MEDIUM4")
        .unwrap();
    let PriceFigure::Estimated {
        native,
        range_low,
        range_high,
        assumed,
        ..
    } = candidate.spot
    else {
        panic!()
    };
    assert_eq!(native.money.amount, Decimal::new(62, 3));
    assert_eq!(
        (range_low, range_high, assumed),
        (Decimal::new(3, 2), Decimal::new(20, 2), Decimal::new(20, 2))
    );
    assert_eq!(candidate.savings_percent.unwrap().normalize(), Decimal::from(80));
}

#[test]
fn baidu_bills_whole_minutes() {
    let planner = planner();
    let requirement = Requirement {
        clouds: vec![Cloud::Baidu],
        hours: Decimal::new(1001, 3),
        ..Requirement::default()
    };
    let offer = planner.plan(&requirement).ranked[0].offer;
    assert_eq!(
        planner.candidate(offer, &requirement, today()).unwrap().billed_seconds,
        61 * 60
    );
}

#[test]
fn history_gives_bid_advice_and_single_observations_do_not() {
    let planner = planner();
    let requirement = Requirement {
        clouds: vec![Cloud::Alibaba],
        regions: vec!["us-east-1".into()],
        vcpu_min: Some(4),
        vcpu_max: Some(4),
        memory_min_gib: Some(Decimal::from(8)),
        memory_max_gib: Some(Decimal::from(8)),
        hours: Decimal::from(24),
        sort: SortKey::Risk,
        ..Requirement::default()
    };
    let plan = planner.plan(&requirement);
    let first = planner.candidate(plan.ranked[0].offer, &requirement, today()).unwrap();
    assert_eq!(
        first.key.instance_type, "ecs.c6.xlarge",
        "the offer with a history ranks first by risk"
    );
    assert_eq!(first.key.zone, None);
    let BidAdvice::Recommended { bid, windows, .. } = &first.bid else {
        panic!("{:?}", first.bid)
    };
    assert_eq!(bid.money.currency, Currency::Usd);
    assert!(*windows >= 10);
    let second = planner.candidate(plan.ranked[1].offer, &requirement, today()).unwrap();
    assert!(matches!(second.bid, BidAdvice::Unknown { .. }));
}

#[test]
fn unknown_gpu_counts_are_excluded_and_counted() {
    let planner = planner();
    let requirement = Requirement {
        clouds: vec![Cloud::Tencent],
        gpu_min: Some(1),
        ..Requirement::default()
    };
    let plan = planner.plan(&requirement);
    assert!(plan.ranked.is_empty());
    assert!(plan.excluded_unknown > 0);
}

#[test]
fn closed_regions_never_appear() {
    let planner = planner();
    let plan = planner.plan(&Requirement::default());
    assert!(plan.ranked.iter().all(|r| {
        let offer = &planner.catalog().offers()[r.offer as usize];
        planner.catalog().region_of(offer).status != RegionStatus::Closed
    }));
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn requirement() -> impl Strategy<Value = Requirement> {
        (
            proptest::option::of(0_u32..200),
            proptest::option::of(0_u32..200),
            proptest::option::of(0_i64..2000),
            proptest::option::of(0_u32..3),
            0_usize..4,
            1_u32..500,
            0_i64..100_000,
            0_usize..SortKey::ALL.len(),
            proptest::option::of("[a-zA-Z0-9]{0,4}"),
            any::<bool>(),
            proptest::option::of("[a-z0-9.-]{0,3}"),
        )
            .prop_map(
                |(vmin, vmax, mem, gpu, area, count, hours, sort, model, reversed, text)| Requirement {
                    vcpu_min: vmin,
                    vcpu_max: vmax,
                    memory_min_gib: mem.map(Decimal::from),
                    gpu_min: gpu,
                    gpu_model: model,
                    area: [
                        Area::Anywhere,
                        Area::MainlandChina,
                        Area::OutsideMainlandChina,
                        Area::Anywhere,
                    ][area],
                    instance_count: count,
                    hours: Decimal::new(hours, 2),
                    sort: SortKey::ALL[sort],
                    sort_reversed: reversed,
                    text,
                    ..Requirement::default()
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// Filters are sound (everything returned matches) and complete (everything matching is returned), the
        /// order is deterministic, and no offer appears twice.
        #[test]
        fn filters_are_sound_and_complete_and_order_is_stable(requirement in requirement()) {
            let planner = planner();
            let plan = planner.plan(&requirement);
            let again = planner.plan(&requirement);
            prop_assert_eq!(&plan, &again);
            let mut seen = std::collections::HashSet::new();
            for ranked in &plan.ranked {
                prop_assert!(seen.insert(ranked.offer));
            }
            for (index, offer) in planner.catalog().offers().iter().enumerate() {
                let t = planner.catalog().type_of(offer);
                let region = planner.catalog().region_of(offer);
                let matches = region.status != RegionStatus::Closed
                    && requirement.vcpu_min.is_none_or(|min| t.vcpu >= min)
                    && requirement.vcpu_max.is_none_or(|max| t.vcpu <= max)
                    && requirement.memory_min_gib.is_none_or(|min| t.memory_gib >= min)
                    && match requirement.area {
                        Area::Anywhere => true,
                        Area::MainlandChina => in_mainland_china(t.cloud, &region.id),
                        Area::OutsideMainlandChina => !in_mainland_china(t.cloud, &region.id),
                    }
                    && requirement.text.as_deref().map(str::trim).filter(|t| !t.is_empty()).is_none_or(|text| {
                        let text = text.to_lowercase();
                        t.name.to_lowercase().contains(&text)
                            || format!("{} {} {}", region.id, region.name_en, region.name_zh).to_lowercase().contains(&text)
                            || offer.zone.as_deref().is_some_and(|z| z.to_lowercase().contains(&text))
                    })
                    && (requirement.gpu_min.is_none() && requirement.gpu_model.as_deref().is_none_or(str::is_empty)
                        || t.gpu_count.is_some_and(|n| requirement.gpu_min.is_none_or(|min| n >= min))
                            && requirement.gpu_model.as_deref().filter(|m| !m.is_empty()).is_none_or(|m| {
                                t.gpu_model.as_deref().is_some_and(|g| g.to_lowercase().contains(&m.to_lowercase()))
                            }));
                prop_assert_eq!(matches, seen.contains(&(index as u32)), "offer {}", index);
            }
        }

        /// Computing a candidate's figures never panics, whatever the requirement.
        #[test]
        fn candidates_never_panic(requirement in requirement()) {
            let planner = planner();
            let plan = planner.plan(&requirement);
            for ranked in plan.ranked.iter().take(20).chain(plan.ranked.iter().rev().take(5)) {
                let _ = planner.candidate(ranked.offer, &requirement, today());
            }
        }
    }
}

#[test]
fn a_job_too_long_to_count_in_seconds_does_not_panic() {
    let mut requirement = four_by_eight_in_china();
    requirement.hours = Decimal::MAX;
    assert_eq!(requirement.job_seconds(), u64::MAX);
    requirement.hours = Decimal::from(MAX_JOB_HOURS);
    assert_eq!(requirement.job_seconds(), u64::from(MAX_JOB_HOURS) * 3600);
    requirement.hours = Decimal::new(15, 1);
    assert_eq!(requirement.job_seconds(), 5_400);
}

/// Where the newest spot price is above the on-demand figure (an on-demand price older than the market's), the
/// cap on a recommendation is that spot price, not the lower on-demand one: a bid under the market fails.
#[test]
fn a_recommendation_is_capped_no_lower_than_the_newest_spot_price() {
    let catalog = Catalog::embedded().unwrap();
    let requirement = Requirement {
        hours: Decimal::from(1),
        max_interruption: Decimal::ZERO,
        ..Requirement::default()
    };
    let first = Planner::new(catalog.clone(), ExchangeRate::default());
    let offer = (0..catalog.offers().len())
        .find(|&offer| {
            catalog.key_of(offer).cloud == Cloud::Alibaba
                && catalog.latest(offer, PriceKind::OnDemand).is_some()
                && has_recommendation(&first, offer, &requirement)
        })
        .unwrap();
    // A newer spot price 10 % above on-demand, in the history's own currency and unit.
    let newest = catalog.spot_history(offer).last().unwrap().clone();
    let list = catalog.latest(offer, PriceKind::OnDemand).unwrap().rate;
    let list_in = ExchangeRate::default()
        .convert(list.money, newest.rate.money.currency)
        .unwrap();
    let list_in = PriceRate::new(list_in, list.per)
        .in_unit(newest.rate.per)
        .unwrap()
        .money
        .amount;
    let above = (list_in * Decimal::new(11, 1)).round_dp(5);
    let quote = crate::catalog::ExternalObservation {
        offer: catalog.key_of(offer),
        kind: PriceKind::Spot,
        rate: PriceRate::new(Money::new(above, newest.rate.money.currency), newest.rate.per),
        observed_at: newest.observed_at + 3600,
        source: live_quote_source(),
    };
    // The recommended bid and whether it says "capped at on-demand", with these prices added to the catalog.
    let recommended = |added: &[crate::catalog::ExternalObservation]| {
        let planner = Planner::new(catalog.with_observations(added).unwrap(), ExchangeRate::default());
        match planner.candidate(offer as u32, &requirement, today()).unwrap().bid {
            BidAdvice::Recommended {
                bid,
                capped_at_on_demand,
                ..
            } => (bid, capped_at_on_demand),
            other => panic!("{other:?}"),
        }
    };
    let (bid, capped_at_on_demand) = recommended(std::slice::from_ref(&quote));
    assert_eq!(
        bid.money.amount, above,
        "no window's maximum is allowed above the bid at 0 % risk"
    );
    assert!(!capped_at_on_demand);
    // Twice as high an hour after the old newest, then back to `above` half an hour later: the window that starts
    // at the old newest ends at twice as high, and the bid is capped at the newest price — which is not "capped at
    // on-demand".
    let higher = crate::catalog::ExternalObservation {
        rate: PriceRate::new(
            Money::new(above * Decimal::from(2), newest.rate.money.currency),
            newest.rate.per,
        ),
        ..quote.clone()
    };
    let later = crate::catalog::ExternalObservation {
        observed_at: newest.observed_at + 5400,
        ..quote
    };
    let (bid, capped_at_on_demand) = recommended(&[higher, later]);
    assert_eq!(bid.money.amount, above);
    assert!(!capped_at_on_demand, "capped at the newest spot price, above on-demand");
}

/// The GPU model filter is kept as typed (its spaces too) and matched trimmed, case-insensitively.
#[test]
fn the_gpu_model_filter_matches_trimmed_and_keeps_its_inner_spaces() {
    let planner = planner();
    let matched = |model: &str| {
        planner
            .plan(&Requirement {
                gpu_model: Some(model.into()),
                ..Requirement::default()
            })
            .ranked
            .len()
    };
    let a10 = matched("A10");
    assert!(a10 > 0);
    assert_eq!(matched(" a10 "), a10);
    let spelled = planner
        .catalog()
        .instance_types()
        .iter()
        .filter_map(|kind| kind.gpu_model.clone())
        .find(|model| model.contains(' '))
        .expect("a GPU model with a space in its name");
    assert!(matched(&format!("{spelled} ")) > 0, "{spelled}");
}

/// A market bid's worst case is its bound as the order dialog and the proxy take it (`market_bid_bound`): the list
/// price, or the newest spot price where that is higher — never below the expected cost. From the embedded data
/// (a review found it): ecs.c7nex.2xlarge in ap-northeast-1b, spot 3.356 and on-demand 2.987062 CNY/h.
#[test]
fn a_market_bids_worst_case_is_never_below_its_expected_cost() {
    let catalog = Catalog::embedded().unwrap();
    let planner = Planner::new(catalog.clone(), ExchangeRate::default());
    let requirement = Requirement {
        instance_count: 1,
        hours: Decimal::from(10),
        ..Requirement::default()
    };
    let mut above_list = 0;
    for offer in 0..catalog.offers().len() as u32 {
        let Ok(candidate) = planner.candidate(offer, &requirement, today()) else {
            continue;
        };
        if let (Some(worst), Some(expected)) = (candidate.worst_case_total, candidate.expected_total) {
            assert!(
                worst.amount >= expected.amount,
                "{:?}: {worst} < {expected}",
                candidate.key
            );
        }
        above_list += usize::from(matches!(
            candidate.worst_case_bid,
            Some((_, WorstCaseBasis::NewestSpotAboveList))
        ));
    }
    assert!(
        above_list > 0,
        "the catalog has offers whose newest spot price is above the list"
    );
    let offer = (0..catalog.offers().len())
        .find(|&offer| {
            let key = catalog.key_of(offer);
            key.instance_type == "ecs.c7nex.2xlarge" && key.zone.as_deref() == Some("ap-northeast-1b")
        })
        .unwrap();
    let candidate = planner.candidate(offer as u32, &requirement, today()).unwrap();
    assert_eq!(
        candidate.worst_case_total.map(|total| total.to_string()),
        Some("33.56 CNY".to_owned())
    );
}
