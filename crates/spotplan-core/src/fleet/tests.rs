//! Fleet tests on a fixed five-pool catalog whose splits are worked out by hand in the comments, and the job
//! estimate against the closed form computed here independently.

use rust_decimal::Decimal;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
use crate::catalog::{
    Arch, Availability, Catalog, CatalogParts, InstanceType, Offer, OfferKey, PriceKind, PriceObservation, Region,
    RegionStatus, Source,
};
use crate::clouds::Cloud;
use crate::fx::ExchangeRate;
use crate::money::{PriceRate, TimeUnit};

/// Pools (Alibaba cn-hangzhou), spot / on-demand CNY per hour:
/// P0 zone h, A (2 vCPU, 4 GiB) 0.20 / 1.00 · P1 zone i, A 0.10 / 1.00 · P2 zone j, A 0.30 / 1.00 ·
/// P3 zone k, B (4 vCPU, 8 GiB) 0.36 / 2.00 · P4 zone h, B: on-demand 2.00 only (unpriced spot) ·
/// P5 zone i, B: on-demand 1.60 only (the cheapest on demand per vCPU: 0.40).
fn planner() -> Planner {
    planner_with_zone_i_spot("0.10")
}

/// The pools above, P1's spot price (zone i, type A) set to `spot`.
fn planner_with_zone_i_spot(spot: &str) -> Planner {
    let source = Source {
        key: "fixed".into(),
        name: "fixed".into(),
        url: String::new(),
        licence: String::new(),
        date: "2026-01-01".into(),
        attribution: "test".into(),
        live: None,
    };
    let kind = |name: &str, vcpu: u32, gib: i64| InstanceType {
        cloud: Cloud::Alibaba,
        name: name.into(),
        family: "t".into(),
        vcpu,
        memory_gib: Decimal::from(gib),
        gpu_count: Some(0),
        gpu_model: None,
        arch: Arch::X86_64,
        note: None,
    };
    let offer = |zone: &str, instance_type: u32| Offer {
        region: 0,
        zone: Some(zone.into()),
        instance_type,
        availability: Availability::Listed,
    };
    let price = |offer: u32, kind: PriceKind, amount: &str| PriceObservation {
        offer,
        kind,
        rate: PriceRate::new(Money::parse(amount, Currency::Cny).unwrap(), TimeUnit::Hour),
        observed_at: 1_767_225_600,
        source: 0,
        spot_duration_hours: None,
    };
    let parts = CatalogParts {
        sources: vec![source],
        regions: vec![Region {
            cloud: Cloud::Alibaba,
            id: "cn-hangzhou".into(),
            name_en: "Hangzhou".into(),
            name_zh: "杭州".into(),
            status: RegionStatus::Open,
        }],
        instance_types: vec![kind("ecs.a.large", 2, 4), kind("ecs.b.xlarge", 4, 8)],
        offers: vec![
            offer("cn-hangzhou-h", 0),
            offer("cn-hangzhou-i", 0),
            offer("cn-hangzhou-j", 0),
            offer("cn-hangzhou-k", 1),
            offer("cn-hangzhou-h", 1),
            offer("cn-hangzhou-i", 1),
        ],
        observations: vec![
            price(0, PriceKind::Spot, "0.20"),
            price(0, PriceKind::OnDemand, "1.00"),
            price(1, PriceKind::Spot, spot),
            price(1, PriceKind::OnDemand, "1.00"),
            price(2, PriceKind::Spot, "0.30"),
            price(2, PriceKind::OnDemand, "1.00"),
            price(3, PriceKind::Spot, "0.36"),
            price(3, PriceKind::OnDemand, "2.00"),
            price(4, PriceKind::OnDemand, "2.00"),
            price(5, PriceKind::OnDemand, "1.60"),
        ],
    };
    Planner::new(Catalog::new(parts).unwrap(), ExchangeRate::default())
}

fn request(target: u32, unit: TargetUnit, strategy: Strategy, hours: i64) -> FleetRequest {
    FleetRequest {
        requirement: Requirement {
            hours: Decimal::from(hours),
            ..Requirement::default()
        },
        target,
        unit,
        strategy,
        price_cap_per_unit: None,
        ceiling_per_hour: None,
        on_demand_base: 0,
        checkpoint_minutes: None,
        restart_minutes: 0,
    }
}

fn cny(text: &str) -> Money {
    Money::parse(text, Currency::Cny).unwrap()
}

/// (zone, type, count) of each allocation.
fn split_of(plan: &FleetPlan) -> Vec<(String, String, u32)> {
    plan.allocations
        .iter()
        .map(|a| {
            (
                a.key.zone.clone().unwrap_or_default(),
                a.key.instance_type.clone(),
                a.count,
            )
        })
        .collect()
}

fn row(zone: &str, kind: &str, count: u32) -> (String, String, u32) {
    (format!("cn-hangzhou-{zone}"), format!("ecs.{kind}"), count)
}

fn planned(request: &FleetRequest, signals: &PoolSignals) -> FleetPlan {
    plan_fleet(&planner(), request, signals, Simulation { runs: 200, seed: 7 }).unwrap()
}

#[test]
fn lowest_price_fills_the_cheapest_pool_then_the_next_when_capped_per_pool() {
    let none = PoolSignals::default();
    // Ten instances, no limit a pool: all in P1 (0.10), 1.00 CNY/h.
    let plan = planned(
        &request(
            10,
            TargetUnit::Instances,
            Strategy::LowestPrice { max_per_pool: None },
            10,
        ),
        &none,
    );
    assert_eq!(split_of(&plan), [row("i", "a.large", 10)]);
    assert_eq!(plan.hourly, cny("1.00"));
    assert_eq!(plan.excluded.unpriced, 2, "P4 and P5 have no spot price");
    assert!(plan.problems.is_empty(), "{:?}", plan.problems);
    // At most 4 a pool: P1 4, P0 4, P2 2 → 0.4 + 0.8 + 0.6 = 1.8 CNY/h; ten hours cost 18.
    let plan = planned(
        &request(
            10,
            TargetUnit::Instances,
            Strategy::LowestPrice { max_per_pool: Some(4) },
            10,
        ),
        &none,
    );
    assert_eq!(
        split_of(&plan),
        [row("i", "a.large", 4), row("h", "a.large", 4), row("j", "a.large", 2)]
    );
    assert_eq!(plan.hourly, cny("1.8"));
    assert_eq!(plan.plain_job_cost.amount, Decimal::from(18));
    assert_eq!(plan.allocations[1].reason, Reason::Cheapest { rank: 2 });
    assert_eq!(plan.standby.len(), 1, "P3 waits");
}

#[test]
fn a_vcpu_target_weighs_each_pool_by_its_size() {
    // Per vCPU: P1 0.05, P3 0.09, P0 0.10, P2 0.15. Ten vCPUs, at most 2 a pool: P1 2 (4 vCPUs), P3 2 (8): 12.
    let plan = planned(
        &request(
            10,
            TargetUnit::Vcpus,
            Strategy::LowestPrice { max_per_pool: Some(2) },
            1,
        ),
        &PoolSignals::default(),
    );
    assert_eq!(split_of(&plan), [row("i", "a.large", 2), row("k", "b.xlarge", 2)]);
    assert_eq!((plan.reached, plan.instances), (12, 4));
    assert_eq!(plan.allocations[1].per_unit, cny("0.09"));
}

#[test]
fn diversified_spreads_round_robin_over_k_pools_and_adds_pools_when_full() {
    let none = PoolSignals::default();
    // K = 3, M = 4: P1, P0, P2 take turns: 4, 3, 3.
    let spread = Strategy::Diversified {
        min_pools: 3,
        max_per_pool: 4,
    };
    let plan = planned(&request(10, TargetUnit::Instances, spread, 1), &none);
    assert_eq!(
        split_of(&plan),
        [row("i", "a.large", 4), row("h", "a.large", 3), row("j", "a.large", 3)]
    );
    assert_eq!(plan.allocations[2].reason, Reason::Spread { rank: 3, pools: 3 });
    // K = 2, M = 4: P1 and P0 fill to 4 each, then P2 joins for the last 2.
    let two = Strategy::Diversified {
        min_pools: 2,
        max_per_pool: 4,
    };
    let plan = planned(&request(10, TargetUnit::Instances, two, 1), &none);
    assert_eq!(
        split_of(&plan),
        [row("i", "a.large", 4), row("h", "a.large", 4), row("j", "a.large", 2)]
    );
    // K = 5 with four priced pools, M = 2: everything eligible holds 8 of 10.
    let too_many = Strategy::Diversified {
        min_pools: 5,
        max_per_pool: 2,
    };
    let plan = planned(&request(10, TargetUnit::Instances, too_many, 1), &none);
    assert_eq!(plan.reached, 8);
    assert!(
        plan.problems
            .contains(&FleetProblem::TooFewPools { wanted: 5, found: 4 })
    );
    assert!(plan.problems.iter().any(|p| matches!(
        p,
        FleetProblem::Shortfall {
            target: 10,
            reached: 8,
            ..
        }
    )));
}

/// λ for a daily share p: −ln(1 − p) / 24; billed hours of H unbroken hours: (e^{λH} − 1) / λ.
fn billed_factor(daily: f64, hours: f64) -> f64 {
    let rate = -(1.0f64 - daily).ln() / 24.0;
    ((rate * hours).exp() - 1.0) / rate / hours
}

fn risky_signals() -> PoolSignals {
    let mut signals = PoolSignals::default();
    signals.risk.insert(
        1,
        InterruptionEstimate::AlibabaBucket {
            bucket: AlibabaBucket::Over10,
        },
    );
    signals.risk.insert(
        0,
        InterruptionEstimate::AlibabaBucket {
            bucket: AlibabaBucket::UpTo3,
        },
    );
    signals.risk.insert(
        3,
        InterruptionEstimate::Seen {
            reclaims: 0,
            instance_hours: Decimal::from(500),
        },
    );
    signals
}

#[test]
fn price_and_risk_prefers_the_pool_that_costs_least_once_reruns_are_counted() {
    // A 200-hour job that never checkpoints. Expected cost per instance-hour of work:
    // P1 0.10 × 4.17 = 0.417 (25 % a day), P0 0.20 × 1.138 = 0.228 (3 % a day), P3 0.36 × 1 (none seen in 500 h),
    // P2 unknown: last.
    let (p1, p0) = (billed_factor(0.25, 200.0), billed_factor(0.03, 200.0));
    assert!((p1 - 4.168).abs() < 0.01 && (p0 - 1.138).abs() < 0.01, "{p1} {p0}");
    let strategy = Strategy::PriceAndRisk { max_per_pool: Some(3) };
    let plan = planned(&request(10, TargetUnit::Instances, strategy, 200), &risky_signals());
    assert_eq!(
        split_of(&plan),
        [
            row("h", "a.large", 3),
            row("k", "b.xlarge", 3),
            row("i", "a.large", 3),
            row("j", "a.large", 1)
        ]
    );
    let Reason::LowestExpectedCost { rank: 1, rerun_factor } = plan.allocations[0].reason else {
        panic!("{:?}", plan.allocations[0].reason);
    };
    assert!((rerun_factor - p0).abs() < 1e-9);
    assert_eq!(plan.allocations[3].reason, Reason::UnknownRiskAfterKnown { rank: 4 });
    // One pool of unknown risk makes the fleet's job unknown, never free of risk.
    assert!(matches!(plan.job, JobEstimate::Unknown { .. }));
    assert_eq!(plan.expected_job_cost, None);
    // Lowest price on the same pools puts P1 first.
    let cheap = planned(
        &request(
            10,
            TargetUnit::Instances,
            Strategy::LowestPrice { max_per_pool: Some(3) },
            200,
        ),
        &risky_signals(),
    );
    assert_eq!(cheap.allocations[0].key.zone.as_deref(), Some("cn-hangzhou-i"));
}

/// A market fleet (no cap) is bounded at the pay-as-you-go price, or at the spot price where that is higher, as
/// the proxy bounds each of its orders.
#[test]
fn a_market_fleets_worst_case_takes_a_spot_price_above_the_list() {
    let mut market = request(
        2,
        TargetUnit::Instances,
        Strategy::LowestPrice { max_per_pool: None },
        1,
    );
    market.requirement.regions = vec!["cn-hangzhou-i".into()];
    let worst = |spot: &str| {
        let plan = plan_fleet(
            &planner_with_zone_i_spot(spot),
            &market,
            &PoolSignals::default(),
            Simulation { runs: 200, seed: 7 },
        )
        .unwrap();
        assert_eq!(split_of(&plan), [row("i", "a.large", 2)]);
        plan.worst_hourly
    };
    assert_eq!(worst("0.10"), Some(cny("2.00")), "2 × the list price, 1.00");
    assert_eq!(
        worst("1.50"),
        Some(cny("3.00")),
        "2 × the newest spot price, above the list"
    );
}

/// A cap above on-demand bounds the fleet at the bids its orders send (what the proxy checks against the
/// ceiling), not at the lower on-demand price: the plan names the ceiling the proxy would refuse.
#[test]
fn a_cap_above_on_demand_is_checked_at_the_bids_the_orders_send() {
    let mut capped = request(
        8,
        TargetUnit::Instances,
        Strategy::LowestPrice { max_per_pool: Some(4) },
        1,
    );
    // 1.2345 a unit-hour is sent as Alibaba's 1.235 (3 decimals, rounded up): 8 × 1.235 = 9.88.
    capped.price_cap_per_unit = Some(cny("1.2345"));
    capped.ceiling_per_hour = Some(cny("9.00"));
    let plan = planned(&capped, &PoolSignals::default());
    assert_eq!(plan.worst_hourly, Some(cny("9.880")));
    assert_eq!(
        plan.problems,
        [FleetProblem::OverCeiling {
            worst: cny("9.880"),
            ceiling: cny("9.00")
        }]
    );
    let planner = planner();
    let orders = orders::fleet_orders(&plan, &capped, planner.fx(), &launch_for, &|_| 1, &validation_context());
    let sent: Decimal = orders
        .iter()
        .filter(|order| !order.standby)
        .map(|order| {
            let price = order.order.bid.max_price.unwrap().amount();
            price * Decimal::from(order.order.count)
        })
        .sum();
    assert_eq!(sent, Decimal::new(9880, 3), "the bids the orders send");

    // From an international-site account the bid is converted to dollars and rounded up there: the plan's worst is
    // what those bids come to.
    capped.requirement.account_currencies.set(Cloud::Alibaba, Currency::Usd);
    let plan = planned(&capped, &PoolSignals::default());
    let in_dollars = |pool: &OfferKey| {
        launch_for(pool).map(|mut launch| {
            launch.account_currency = Currency::Usd;
            launch
        })
    };
    let orders = orders::fleet_orders(&plan, &capped, planner.fx(), &in_dollars, &|_| 1, &validation_context());
    let mut sent = Money::zero(Currency::Usd);
    for order in orders.iter().filter(|order| !order.standby) {
        let price = order.order.bid.max_price.unwrap().amount();
        sent = sent
            .checked_add(Money::new(price * Decimal::from(order.order.count), Currency::Usd))
            .unwrap();
    }
    let sent_in_yuan = planner.fx().convert(sent, Currency::Cny).unwrap();
    assert!(sent_in_yuan.amount > Decimal::new(9880, 3), "{sent_in_yuan:?}");
    assert_eq!(plan.worst_hourly.unwrap().amount, sent_in_yuan.amount);
}

/// A fleet's plain job cost: each pool's hourly cost for the job's hours (on Alibaba, billed by the second).
#[test]
fn the_plain_job_cost_is_the_hourly_cost_for_the_jobs_hours() {
    let plan = planned(
        &request(
            2,
            TargetUnit::Instances,
            Strategy::LowestPrice { max_per_pool: Some(1) },
            3,
        ),
        &PoolSignals::default(),
    );
    // P1 0.10 + P0 0.20 for 3 hours.
    assert_eq!(plan.plain_job_cost.amount.normalize(), Decimal::new(9, 1));
}

#[test]
fn the_price_cap_leaves_pools_out_and_the_ceiling_is_checked_at_the_bids() {
    // Cap 0.25 a unit-hour: P2 (0.30) and P3 (0.36) are out. Eight instances at most 4 a pool: P1 4, P0 4, each
    // bounded by min(cap, on-demand) = 0.25, so the fleet may cost up to 2.00 an hour: over a 1.50 ceiling.
    let mut capped = request(
        8,
        TargetUnit::Instances,
        Strategy::LowestPrice { max_per_pool: Some(4) },
        1,
    );
    capped.price_cap_per_unit = Some(cny("0.25"));
    capped.ceiling_per_hour = Some(cny("1.50"));
    let plan = planned(&capped, &PoolSignals::default());
    assert_eq!(plan.excluded.over_cap, 2);
    assert_eq!(split_of(&plan), [row("i", "a.large", 4), row("h", "a.large", 4)]);
    assert_eq!(plan.worst_hourly, Some(cny("2.00")));
    assert_eq!(
        plan.problems,
        [FleetProblem::OverCeiling {
            worst: cny("2.00"),
            ceiling: cny("1.50")
        }]
    );
    capped.ceiling_per_hour = Some(cny("2.00"));
    assert!(planned(&capped, &PoolSignals::default()).problems.is_empty());
    // Sold-out pools are skipped.
    let mut sold_out = PoolSignals::default();
    sold_out.sold_out.insert(1);
    let plan = planned(&capped, &sold_out);
    assert_eq!(plan.excluded.sold_out, 1);
    assert_eq!(split_of(&plan), [row("h", "a.large", 4)]);
}

/// The closed form, written out here: n whole segments of c hours and a remainder r, each taking
/// (e^{λs} − 1)/λ billed hours and e^{λs} − 1 reclaims, each reclaim waiting the restart.
fn independent(hours: f64, checkpoint: f64, restart: f64, rate: f64) -> (f64, f64) {
    let whole = (hours / checkpoint).floor();
    let rest = hours - whole * checkpoint;
    let segment = |s: f64| ((rate * s).exp() - 1.0, ((rate * s).exp() - 1.0) / rate);
    let (reclaims_c, billed_c) = segment(checkpoint);
    let (reclaims_r, billed_r) = segment(rest);
    let billed = whole * billed_c + billed_r;
    let reclaims = whole * reclaims_c + reclaims_r;
    (billed, billed + reclaims * restart)
}

#[test]
fn the_job_estimate_on_a_fixed_seed_matches_the_closed_form() {
    // 30 hours of work, checkpoints every 45 minutes, 6 minutes to restart, reclaimed 0.2 times an hour.
    let spec = JobSpec {
        hours: Decimal::from(30),
        checkpoint_minutes: Some(45),
        restart_minutes: 6,
    };
    let (billed, wall) = independent(30.0, 0.75, 0.1, 0.2);
    let JobEstimate::Estimated {
        expected_billed_hours,
        expected_hours,
        completion,
        billed: billed_spread,
        ..
    } = job::estimate_pool(&spec, Some(0.2), 4_000, 11)
    else {
        panic!("a known rate gives an estimate");
    };
    assert!(
        (expected_billed_hours - billed).abs() < 1e-9,
        "{expected_billed_hours} vs {billed}"
    );
    assert!((expected_hours - wall).abs() < 1e-9);
    // The simulation's median sits near the mean (the spread is narrow with frequent checkpoints), and its
    // percentiles are ordered and above the plain 30 hours.
    assert!(
        billed_spread.p10 >= 30.0 && billed_spread.p10 <= billed_spread.p50 && billed_spread.p50 <= billed_spread.p90
    );
    assert!(
        (billed_spread.p50 - billed).abs() / billed < 0.03,
        "{} vs {billed}",
        billed_spread.p50
    );
    assert!(completion.p50 > billed_spread.p50, "restarts add waiting time");
    // One seed, one answer.
    assert_eq!(
        job::estimate_pool(&spec, Some(0.2), 500, 3),
        job::estimate_pool(&spec, Some(0.2), 500, 3)
    );
    // A job that never checkpoints and is reclaimed often costs far more than its plain hours.
    let unbroken = JobSpec {
        checkpoint_minutes: None,
        ..spec
    };
    let (plain_billed, _) = independent(30.0, 30.0, 0.1, 0.2);
    assert!((job::expected_one(&unbroken, 0.2).0 - plain_billed).abs() < 1e-6);
    assert!(plain_billed > 30.0 * 60.0);
    // Unknown stays unknown.
    assert!(matches!(
        job::estimate_pool(&spec, None, 100, 1),
        JobEstimate::Unknown { .. }
    ));
}

#[test]
fn a_fleet_job_sums_billed_hours_and_waits_for_its_slowest_instance() {
    let mut request = request(
        6,
        TargetUnit::Instances,
        Strategy::LowestPrice { max_per_pool: Some(3) },
        12,
    );
    request.checkpoint_minutes = Some(30);
    let mut signals = PoolSignals::default();
    for offer in [0, 1] {
        signals.risk.insert(
            offer,
            InterruptionEstimate::Seen {
                reclaims: 3,
                instance_hours: Decimal::from(100),
            },
        );
    }
    let plan = planned(&request, &signals);
    let (billed, _) = independent(12.0, 0.5, 0.0, 0.03);
    let JobEstimate::Estimated {
        expected_billed_hours,
        completion,
        ..
    } = &plan.job
    else {
        panic!("both pools have a known rate");
    };
    assert!((expected_billed_hours - 6.0 * billed).abs() < 1e-9);
    assert!(completion.p50 >= 12.0);
    // Expected cost: 3 × 0.10 + 3 × 0.20 per hour times the expected billed hours of one instance.
    let expected = plan.expected_job_cost.unwrap().amount;
    let by_hand = 0.9 * billed;
    assert!(
        (expected.to_string().parse::<f64>().unwrap() - by_hand).abs() < 0.001,
        "{expected} vs {by_hand}"
    );
    assert!(expected > plan.plain_job_cost.amount);
}

fn launch_for(pool: &OfferKey) -> Option<crate::order::SpotOrder> {
    let mut launch = crate::order::draft::draft_order(pool, 1);
    launch.image_id = "ubuntu_24_04_x64_20G_alibase_20250101.vhd".into();
    launch.network.vpc_id = Some("vpc-fleet".into());
    launch.network.subnet_id = Some(format!("vsw-{}", pool.zone.as_deref().unwrap_or("none")));
    launch.network.security_group_ids = vec!["sg-fleet".into()];
    launch.login.key_pair = Some("fleet-key".into());
    launch.name = Some("render-fleet".into());
    Some(launch)
}

fn validation_context() -> crate::order::ValidationContext {
    crate::order::ValidationContext {
        now: 1_767_225_600,
        ..crate::order::ValidationContext::default()
    }
}

#[test]
fn a_plan_becomes_valid_orders_with_limit_bids_at_the_cap_times_the_weight() {
    let planner = planner();
    let mut vcpus = request(
        10,
        TargetUnit::Vcpus,
        Strategy::LowestPrice { max_per_pool: Some(2) },
        1,
    );
    vcpus.price_cap_per_unit = Some(cny("0.12"));
    let plan = plan_fleet(&planner, &vcpus, &PoolSignals::default(), Simulation::default()).unwrap();
    let weight = |key: &OfferKey| if key.instance_type == "ecs.b.xlarge" { 4 } else { 2 };
    let orders = orders::fleet_orders(&plan, &vcpus, planner.fx(), &launch_for, &weight, &validation_context());
    // P1 (2 × 2 vCPU) and P3 (2 × 4 vCPU) chosen; P0 (0.20 for 2 vCPUs ≤ 0.24) stands by; P2 is over the cap.
    let summary: Vec<(String, u32, bool, String)> = orders
        .iter()
        .map(|o| {
            (
                o.pool.zone.clone().unwrap_or_default(),
                o.order.count,
                o.standby,
                o.order
                    .bid
                    .max_price
                    .map(|p| p.amount().to_string())
                    .unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("cn-hangzhou-i".to_owned(), 2, false, "0.24".to_owned()),
            ("cn-hangzhou-k".to_owned(), 2, false, "0.48".to_owned()),
            ("cn-hangzhou-h".to_owned(), 1, true, "0.24".to_owned()),
        ]
    );
    for order in &orders {
        let errors: Vec<_> = order
            .problems
            .iter()
            .filter(|p| p.severity == crate::order::Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", order.pool);
        assert_eq!(order.order.bid.mode, crate::order::BidMode::Limit);
    }
    assert!(
        orders
            .iter()
            .all(|order| order.problems.iter().all(|p| p.rule != "fleet.price_cap.rounded_up")),
        "0.12 × 2 and × 4 fit Alibaba's three decimals: nothing rounded"
    );
    // A cap with more decimals than the cloud takes: each bid is rounded up, and each order says so.
    let mut fine = vcpus.clone();
    fine.price_cap_per_unit = Some(cny("0.1234"));
    let fine_plan = plan_fleet(&planner, &fine, &PoolSignals::default(), Simulation::default()).unwrap();
    let fine_orders = orders::fleet_orders(
        &fine_plan,
        &fine,
        planner.fx(),
        &launch_for,
        &weight,
        &validation_context(),
    );
    let first = &fine_orders[0];
    assert_eq!(
        first.order.bid.max_price.map(|p| p.amount().to_string()).as_deref(),
        Some("0.247")
    );
    let said: Vec<&str> = first
        .problems
        .iter()
        .filter(|p| p.rule == "fleet.price_cap.rounded_up")
        .map(|p| p.message_en.as_str())
        .collect();
    assert_eq!(
        said,
        [
            "the price cap for one instance of this pool is 0.2468 CNY per hour; the cloud takes fewer decimals, so \
             the bid sent is 0.247 CNY per hour, a fraction above the cap"
        ]
    );
    // The same plan as Alibaba's own group: one template config per pool, standby ones after the chosen.
    let group = crate::clouds::alibaba::fleet::auto_provisioning_group(
        &plan,
        &vcpus,
        &orders,
        planner.fx(),
        true,
        "fleet-token-1",
    )
    .unwrap();
    assert_eq!(group.query_value("TotalTargetCapacity"), Some("10"));
    assert_eq!(group.query_value("SpotInstancePoolsToUseCount"), Some("2"));
    assert_eq!(
        group.query_value("LaunchTemplateConfig.2.WeightedCapacity"),
        Some("4.0")
    );
    assert_eq!(
        group.query_value("LaunchTemplateConfig.2.VSwitchId"),
        Some("vsw-cn-hangzhou-k")
    );
    assert_eq!(group.query_value("LaunchTemplateConfig.3.MaxPrice"), Some("0.24"));
    #[cfg(not(target_arch = "wasm32"))]
    for snippet in crate::clouds::alibaba::fleet::auto_provisioning_snippets(&group) {
        insta::assert_snapshot!(format!("alibaba_fleet_{}", snippet.format.id()), snippet.text);
    }
    // Without a cap there is no MaxPrice, which the group requires.
    let uncapped = request(
        4,
        TargetUnit::Instances,
        Strategy::LowestPrice { max_per_pool: None },
        1,
    );
    let plan = plan_fleet(&planner, &uncapped, &PoolSignals::default(), Simulation::default()).unwrap();
    let orders = orders::fleet_orders(
        &plan,
        &uncapped,
        planner.fx(),
        &launch_for,
        &weight,
        &validation_context(),
    );
    assert_eq!(
        crate::clouds::alibaba::fleet::auto_provisioning_group(&plan, &uncapped, &orders, planner.fx(), false, "t"),
        Err(crate::clouds::alibaba::fleet::AutoProvisioningError::NoMaxPrice)
    );
}

#[test]
fn an_on_demand_base_takes_the_cheapest_pay_as_you_go_pool_and_spot_fills_the_rest() {
    // 20 vCPUs with 8 on demand: P5 (1.60 for 4 vCPUs, 0.40 each) × 2; the other 12 on spot in P1 (0.05 a vCPU) × 6.
    let mut vcpus = request(20, TargetUnit::Vcpus, Strategy::LowestPrice { max_per_pool: None }, 1);
    vcpus.on_demand_base = 8;
    vcpus.price_cap_per_unit = Some(cny("0.1"));
    let planner = planner();
    let plan = plan_fleet(&planner, &vcpus, &PoolSignals::default(), Simulation::default()).unwrap();
    assert_eq!(split_of(&plan), [row("i", "b.xlarge", 2), row("i", "a.large", 6)]);
    assert!(plan.allocations[0].on_demand && !plan.allocations[1].on_demand);
    assert_eq!(plan.allocations[0].reason, Reason::OnDemandBase);
    assert_eq!(plan.hourly, cny("3.80"));
    // The base is never reclaimed: its own job estimate is the plain one.
    assert_eq!(plan.allocations[0].job.expected_billed_hours(), Some(1.0));
    // Spot orders only; Alibaba's group carries the base as pay-as-you-go capacity with its own template.
    let weight = |key: &OfferKey| if key.instance_type == "ecs.b.xlarge" { 4 } else { 2 };
    let orders = orders::fleet_orders(&plan, &vcpus, planner.fx(), &launch_for, &weight, &validation_context());
    assert!(
        orders
            .iter()
            .all(|o| o.pool.instance_type == "ecs.a.large" || o.standby),
        "{orders:?}"
    );
    let group = crate::clouds::alibaba::fleet::auto_provisioning_group(
        &plan,
        &vcpus,
        &orders,
        planner.fx(),
        true,
        "fleet-token-2",
    )
    .unwrap();
    assert_eq!(group.query_value("PayAsYouGoTargetCapacity"), Some("8"));
    assert_eq!(group.query_value("SpotTargetCapacity"), Some("12"));
    let base_template = (1..=20)
        .find(|n| {
            group.query_value(&format!("LaunchTemplateConfig.{n}.InstanceType")) == Some("ecs.b.xlarge")
                && group.query_value(&format!("LaunchTemplateConfig.{n}.VSwitchId")) == Some("vsw-cn-hangzhou-i")
        })
        .unwrap();
    assert_eq!(
        group.query_value(&format!("LaunchTemplateConfig.{base_template}.MaxPrice")),
        Some("1.6")
    );
    // The proxy places the spot part only: its ceiling is what the base leaves (4 base instances at 1.6 an hour).
    let base_cost: Decimal = plan
        .allocations
        .iter()
        .filter(|allocation| allocation.on_demand)
        .map(|allocation| allocation.hourly.amount * Decimal::from(allocation.count))
        .sum();
    assert!(base_cost > Decimal::ZERO);
    let ceiling = Money::new(Decimal::from(20), Currency::Cny);
    assert_eq!(
        plan.spot_ceiling(Some(ceiling)),
        Some(Money::new(Decimal::from(20) - base_cost, Currency::Cny))
    );
    assert_eq!(plan.spot_ceiling(None), None);
    // Planned in dollars for a yuan account: the template's MaxPrice is still the yuan pay-as-you-go price, at
    // Alibaba's three decimals, never the dollar figure read as yuan.
    let mut in_dollars = vcpus.clone();
    in_dollars.requirement.currency = Currency::Usd;
    let plan = plan_fleet(&planner, &in_dollars, &PoolSignals::default(), Simulation::default()).unwrap();
    let orders = orders::fleet_orders(
        &plan,
        &in_dollars,
        planner.fx(),
        &launch_for,
        &weight,
        &validation_context(),
    );
    let group = crate::clouds::alibaba::fleet::auto_provisioning_group(
        &plan,
        &in_dollars,
        &orders,
        planner.fx(),
        true,
        "fleet-token-3",
    )
    .unwrap();
    let max_price: Decimal = group
        .query_value(&format!("LaunchTemplateConfig.{base_template}.MaxPrice"))
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (Decimal::new(16, 1)..=Decimal::new(1601, 3)).contains(&max_price),
        "{max_price}"
    );
    // A base above the target, or with no pay-as-you-go price anywhere, is a problem.
    vcpus.on_demand_base = 21;
    let plan = plan_fleet(&planner, &vcpus, &PoolSignals::default(), Simulation::default()).unwrap();
    assert!(
        plan.problems
            .contains(&FleetProblem::BaseAboveTarget { base: 21, target: 20 })
    );
}

/// 30 days of hourly Alibaba prices for P1: 0.10, with a spike to 0.50 lasting two hours every 40 hours.
fn with_history() -> Planner {
    let base = planner();
    let mut parts = base.catalog().parts().clone();
    let start = 1_767_225_600 - 30 * 86_400;
    for hour in 0..(30 * 24) {
        let amount = if hour % 40 < 2 { "0.50" } else { "0.10" };
        parts.observations.push(PriceObservation {
            offer: 1,
            kind: PriceKind::Spot,
            rate: PriceRate::new(Money::parse(amount, Currency::Cny).unwrap(), TimeUnit::Hour),
            observed_at: start + hour * 3600,
            source: 0,
            spot_duration_hours: None,
        });
    }
    Planner::new(Catalog::new(parts).unwrap(), ExchangeRate::default())
}

#[test]
fn price_history_gives_a_price_driven_estimate_equal_to_an_independent_count_of_windows() {
    let planner = with_history();
    // A 6-hour job bidding the cap of 0.30 (weight 1): interrupted in a window when a spike falls after the first,
    // protected hour and before the end. Counted here hour by hour over the same windows.
    let mut capped = request(
        2,
        TargetUnit::Instances,
        Strategy::LowestPrice { max_per_pool: None },
        6,
    );
    capped.price_cap_per_unit = Some(cny("0.30"));
    let plan = plan_fleet(&planner, &capped, &PoolSignals::default(), Simulation::default()).unwrap();
    let chosen = &plan.allocations[0];
    assert_eq!(chosen.key.zone.as_deref(), Some("cn-hangzhou-i"));
    let InterruptionEstimate::PriceHistory {
        probability, windows, ..
    } = chosen.risk
    else {
        panic!("{:?}", chosen.risk);
    };
    let hours = 30 * 24;
    let price = |hour: i64| if hour % 40 < 2 { 0.50 } else { 0.10 };
    // The catalog's own observation of P1 (0.10) closes the history at hour 720; a job may start at any moment
    // whose job ends by then, hours 0 to 714, and every hour of them meets the same prices throughout: counted at
    // each hour's middle, s + 0.5, whose reclaimable span [s + 1.5, s + 6.5) meets hours s + 1 to s + 6.
    let start_hours = hours - 6;
    let interrupted = (0..start_hours)
        .filter(|start| (*start + 1..=*start + 6).any(|hour| price(hour) > 0.30))
        .count();
    // The windows the estimate rests on: the observations a whole job fits after, hours 0 to 714.
    let starts = start_hours as usize + 1;
    assert_eq!(windows as usize, starts);
    let expected = Decimal::from(interrupted as u64) / Decimal::from(start_hours as u64);
    assert_eq!(
        expected,
        Decimal::from(120) / Decimal::from(714),
        "{interrupted} of {start_hours}"
    );
    assert_eq!(probability, expected, "{interrupted} of {start_hours}");
    // λ from it: surviving the 6 hours has probability 1 − p.
    let hazard = chosen.risk.hazard_per_hour().unwrap();
    let p: f64 = expected.to_string().parse().unwrap();
    assert!(((-hazard * 6.0).exp() - (1.0 - p)).abs() < 1e-9);
    // Bid advice over the same 30 days, computed independently: the window maxima are 0.10 or 0.50; accepting
    // 20 % risk, the smallest maximum exceeded by at most 20 % of the windows is 0.10, with the share computed above.
    let requirement = Requirement {
        hours: Decimal::from(6),
        max_interruption: Decimal::new(2, 1),
        ..Requirement::default()
    };
    let candidate = planner.candidate(1, &requirement, 1_767_225_600).unwrap();
    let crate::advice::BidAdvice::Recommended {
        bid,
        risk,
        windows: advised,
        ..
    } = candidate.bid
    else {
        panic!("{:?}", candidate.bid);
    };
    assert!(expected <= Decimal::new(2, 1), "{expected}");
    assert_eq!(
        (bid.money.amount, risk, advised),
        (Decimal::new(10, 2), expected, starts)
    );
    // Tencent reclaims on stock, not price; signals given win over history.
    let mut signals = PoolSignals::default();
    signals.risk.insert(
        1,
        InterruptionEstimate::AlibabaBucket {
            bucket: AlibabaBucket::UpTo3,
        },
    );
    let plan = plan_fleet(&planner, &capped, &signals, Simulation::default()).unwrap();
    assert!(matches!(
        plan.allocations[0].risk,
        InterruptionEstimate::AlibabaBucket { .. }
    ));
}

#[test]
fn a_pool_reclaimed_far_faster_than_its_job_is_planned_at_once_without_a_finite_cost() {
    // 500 reclaims in 24 instance-hours (λ ≈ 21 an hour) and a 48-hour job that never checkpoints: it cannot
    // finish; the plan says so (no expected cost) instead of simulating every loss or failing.
    let mut signals = PoolSignals::default();
    signals.risk.insert(
        1,
        InterruptionEstimate::Seen {
            reclaims: 500,
            instance_hours: Decimal::from(24),
        },
    );
    let plan = planned(
        &request(
            2,
            TargetUnit::Instances,
            Strategy::LowestPrice { max_per_pool: None },
            48,
        ),
        &signals,
    );
    assert_eq!(plan.allocations[0].key.zone.as_deref(), Some("cn-hangzhou-i"));
    assert_eq!(plan.expected_job_cost, None);
    let JobEstimate::Estimated { runs, .. } = plan.allocations[0].job else {
        panic!("the rate is known");
    };
    assert_eq!(runs, 0, "not simulated");
}
