//! The books beside the order log — instances and releases, fleets and their steps, the price store and the
//! refresher's state — on both backends: the embedded SQLite log and the shared PostgreSQL database. Each book's
//! SQL is written once (`spotplan_proxy::sql`); this suite checks it means the same on each.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

mod common;

use common::postgres::backends;
use spotplan_core::api::fleet_reason::FleetReason;
use spotplan_core::api::fleets::{FleetState, FleetSubmission};
use spotplan_core::api::instances::ReleaseAnswer;
use spotplan_core::catalog::{ExternalObservation, OfferKey, PriceKind, Source};
use spotplan_core::lifecycle::{InstanceState, ReleaseOptions};
use spotplan_core::{Cloud, Currency, Money, PriceRate, TimeUnit};
use spotplan_proxy::fleet_book::{self, FleetRow, StepRow};
use spotplan_proxy::instance_book::{self, InstanceRow};
use spotplan_proxy::store::StoreError;
use spotplan_proxy::{price_store, refresher};

/// The budgets' verdict on an order at the default exchange rate.
async fn budgets(
    store: &spotplan_proxy::Store,
    person: Option<&str>,
    order_per_hour: Option<&Money>,
    now_ms: i64,
) -> Result<(), spotplan_proxy::people::OverBudget> {
    spotplan_proxy::people::check_budgets(
        store,
        person,
        order_per_hour,
        now_ms,
        &spotplan_core::ExchangeRate::default(),
    )
    .await
    .unwrap()
}

/// `person`'s order of `order` an hour passes under an hourly budget of `within`, and is refused under one of
/// `over`, naming the person's hourly budget.
async fn hourly_budget_lets_through_then_refuses(
    store: &spotplan_proxy::Store,
    backend: &str,
    person: &str,
    order: &Money,
    [within, over]: [Money; 2],
    now_ms: i64,
) {
    use spotplan_proxy::people::{self, Budget};
    let budget = |per_hour: Money| Budget {
        per_hour: Some(per_hour),
        per_month: None,
    };
    people::set_budget(store, Some(person), &budget(within)).await.unwrap();
    assert_eq!(
        budgets(store, Some(person), Some(order), now_ms).await,
        Ok(()),
        "{backend}"
    );
    people::set_budget(store, Some(person), &budget(over)).await.unwrap();
    let refused = budgets(store, Some(person), Some(order), now_ms)
        .await
        .expect_err(backend);
    assert_eq!(refused.field, "budget.person.per_hour", "{backend}");
}

/// An order `id` of `person`'s, bounded at 1 CNY an hour, placed and succeeded at `at_ms` with `instance_ids`.
async fn succeeded_order(store: &spotplan_proxy::Store, person: &str, id: &str, instance_ids: Vec<String>, at_ms: i64) {
    let mut order = common::pending_order(&format!("key-{id}-0001"), at_ms);
    order.view.id = id.into();
    order.view.max_cost_per_hour = Some(money(100));
    order.view.placed_by = Some(person.into());
    store.insert(&order).await.unwrap();
    order.view.status = spotplan_core::order::outcome::OrderStatus::Succeeded;
    order.view.instance_ids = instance_ids;
    order.view.finished_at_ms = Some(at_ms);
    store.finish(&order).await.unwrap();
}

fn money(cents: i64) -> Money {
    Money::new(rust_decimal::Decimal::new(cents, 2), Currency::Cny)
}

/// An instance of `order` booked at 1 s, at 0.25 CNY an hour, running since 2 s.
async fn book_running(store: &spotplan_proxy::Store, cloud: Cloud, region: &str, id: &str, order: &str) -> InstanceRow {
    let mut running = InstanceRow::placed(cloud, region, id, order, Some(money(25)), 1_000);
    running.state = InstanceState::Running;
    running.running_since_ms = Some(2_000);
    instance_book::add_placed(store, vec![running.clone()]).await.unwrap();
    instance_book::save(store, vec![running.clone()]).await.unwrap();
    running
}

/// Logs a release of one instance under `key` (at 5,000 ms, by the operator), as a release does before sending.
async fn log_one_release(store: &spotplan_proxy::Store, key: &str, row: &InstanceRow) {
    instance_book::log_release(
        store,
        key,
        "hash",
        vec![row.clone()],
        ReleaseOptions::default(),
        5_000,
        None,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn many_instances_are_written_in_batches_and_one_named_twice_ends_as_its_last_row() {
    for (backend, store) in backends().await {
        let placed = |index: usize| {
            InstanceRow::placed(
                Cloud::Tencent,
                "ap-guangzhou",
                &format!("ins-{index:03}"),
                "ord-many",
                Some(money(5)),
                1_000,
            )
        };
        // 250 instances: written 100 to a statement, on either database.
        instance_book::add_placed(&store, (0..250).map(placed).collect())
            .await
            .unwrap();
        let mut rows: Vec<InstanceRow> = (0..250)
            .map(|index| InstanceRow {
                state: InstanceState::Running,
                running_since_ms: Some(2_000 + index as i64),
                ..placed(index)
            })
            .collect();
        // The same instance twice in one save: its last row wins.
        rows.push(InstanceRow {
            state: InstanceState::Reclaimed,
            ended_at_ms: Some(9_000),
            ..placed(7)
        });
        instance_book::save(&store, rows).await.unwrap();
        let all = instance_book::all(&store).await.unwrap();
        assert_eq!(all.len(), 250, "{backend}");
        let seventh = all.iter().find(|row| row.id == "ins-007").unwrap();
        assert_eq!(
            (seventh.state, seventh.ended_at_ms),
            (InstanceState::Reclaimed, Some(9_000)),
            "{backend}"
        );
        let last = all.iter().find(|row| row.id == "ins-249").unwrap();
        assert_eq!(
            (last.state, last.running_since_ms),
            (InstanceState::Running, Some(2_249)),
            "{backend}"
        );
        assert_eq!(last.price_per_hour, Some(money(5)), "{backend}");
        // Checks that found nothing new record only their time, and only for the instances named.
        let ids: Vec<String> = ["ins-001", "ins-002"].map(String::from).to_vec();
        instance_book::mark_checked(&store, Cloud::Tencent, &ids, 12_345)
            .await
            .unwrap();
        instance_book::mark_checked(&store, Cloud::Alibaba, &["ins-003".to_owned()], 99_999)
            .await
            .unwrap();
        let all = instance_book::all(&store).await.unwrap();
        let checked = |id: &str| all.iter().find(|row| row.id == id).unwrap().clone();
        assert_eq!(checked("ins-001").last_checked_ms, Some(12_345), "{backend}");
        assert_eq!(
            checked("ins-002").state,
            InstanceState::Running,
            "{backend}: nothing else changed"
        );
        assert_eq!(
            checked("ins-003").last_checked_ms,
            None,
            "{backend}: another cloud's id is another instance"
        );
    }
}

/// The ids the follower reads now, group by group and page by page, `page` ids a page — as a poll does.
async fn followed(store: &spotplan_proxy::Store, running_checked_by_ms: i64, page: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for group in instance_book::watched_groups(store).await.unwrap() {
        let mut after = String::new();
        loop {
            let rows = instance_book::due_page(store, running_checked_by_ms, group.cloud, &group.region, &after, page)
                .await
                .unwrap();
            let Some(last) = rows.last() else { break };
            after.clone_from(&last.id);
            ids.extend(rows.into_iter().map(|row| row.id));
        }
    }
    ids
}

#[tokio::test]
async fn the_follower_reads_the_due_instances_page_by_page_and_counts_the_watched_by_region() {
    for (backend, store) in backends().await {
        let mut rows = Vec::new();
        for (cloud, region, id) in [
            (Cloud::Alibaba, "cn-hangzhou", "i-c"),
            (Cloud::Alibaba, "cn-hangzhou", "i-a"),
            (Cloud::Alibaba, "cn-hangzhou", "i-b"),
            (Cloud::Alibaba, "cn-beijing", "i-d"),
            (Cloud::Tencent, "ap-guangzhou", "ins-e"),
        ] {
            rows.push(InstanceRow::placed(cloud, region, id, "ord-1", Some(money(25)), 1_000));
        }
        // Running and checked at 5,000: due only when running instances checked by then are.
        let mut checked = InstanceRow::placed(Cloud::Alibaba, "cn-hangzhou", "i-f", "ord-1", None, 1_000);
        checked.state = InstanceState::Running;
        checked.last_checked_ms = Some(5_000);
        rows.push(checked);
        // Ended: counted nowhere, read never.
        let mut released = InstanceRow::placed(Cloud::Alibaba, "cn-hangzhou", "i-0", "ord-1", None, 1_000);
        released.state = InstanceState::Released;
        released.ended_at_ms = Some(2_000);
        rows.push(released);
        instance_book::add_placed(&store, rows.clone()).await.unwrap();
        instance_book::save(&store, rows).await.unwrap();

        let groups: Vec<(Cloud, String, usize)> = instance_book::watched_groups(&store)
            .await
            .unwrap()
            .into_iter()
            .map(|group| (group.cloud, group.region, group.watched))
            .collect();
        assert_eq!(
            groups,
            [
                (Cloud::Alibaba, "cn-beijing".to_owned(), 1),
                (Cloud::Alibaba, "cn-hangzhou".to_owned(), 4),
                (Cloud::Tencent, "ap-guangzhou".to_owned(), 1),
            ],
            "{backend}"
        );
        // Two ids a page: each id once, in id order within a region, across page boundaries.
        assert_eq!(
            followed(&store, 4_999, 2).await,
            ["i-d", "i-a", "i-b", "i-c", "ins-e"],
            "{backend}: a running instance checked after the cut is not due"
        );
        assert_eq!(
            followed(&store, 5_000, 2).await,
            ["i-d", "i-a", "i-b", "i-c", "i-f", "ins-e"],
            "{backend}: checked at the cut, it is due"
        );
    }
}

#[tokio::test]
async fn instances_are_added_once_followed_until_final_and_released_exactly_once() {
    for (backend, store) in backends().await {
        let placed = |id: &str| InstanceRow::placed(Cloud::Alibaba, "cn-hangzhou", id, "ord-1", Some(money(25)), 1_000);
        instance_book::add_placed(&store, vec![placed("i-1"), placed("i-2")])
            .await
            .unwrap();
        let mut running = placed("i-1");
        running.state = InstanceState::Running;
        running.running_since_ms = Some(2_000);
        running.zone = Some("cn-hangzhou-k".into());
        instance_book::save(&store, vec![running.clone()]).await.unwrap();
        // Placing again (a replayed order) keeps what the follower learnt.
        instance_book::add_placed(&store, vec![placed("i-1")]).await.unwrap();
        let all = instance_book::all(&store).await.unwrap();
        assert_eq!(all.len(), 2, "{backend}");
        let first = all.iter().find(|row| row.id == "i-1").unwrap();
        assert_eq!(first, &running, "{backend}");
        assert_eq!(first.price_per_hour, Some(money(25)), "{backend}");

        let mut gone = placed("i-2");
        gone.state = InstanceState::Reclaimed;
        gone.ended_at_ms = Some(3_000);
        instance_book::save(&store, vec![gone]).await.unwrap();
        assert_eq!(
            followed(&store, i64::MAX, 100).await,
            ["i-1"],
            "{backend}: a reclaimed instance is not followed"
        );

        instance_book::log_release(
            &store,
            "rel-0001",
            "hash",
            vec![running.clone()],
            ReleaseOptions::default(),
            5_000,
            Some("alice".into()),
        )
        .await
        .unwrap();
        let again = instance_book::log_release(
            &store,
            "rel-0001",
            "hash",
            vec![running.clone()],
            ReleaseOptions::default(),
            6_000,
            Some("alice".into()),
        )
        .await;
        assert!(matches!(again, Err(StoreError::DuplicateKey)), "{backend}: {again:?}");
        // The follower read the row before the release was logged; what it saw then does not undo the release.
        let mut seen_before = running.clone();
        seen_before.state = InstanceState::Stopped;
        seen_before.last_checked_ms = Some(5_500);
        instance_book::save_observed(&store, vec![seen_before]).await.unwrap();
        let releasing = instance_book::all(&store).await.unwrap();
        let releasing = releasing.iter().find(|row| row.id == "i-1").unwrap();
        assert_eq!(
            (releasing.state, releasing.release_key.as_deref()),
            (InstanceState::Releasing, Some("rel-0001")),
            "{backend}"
        );
        assert_eq!(
            instance_book::unanswered_releases(&store, 5_001).await.unwrap().len(),
            1,
            "{backend}"
        );
        assert!(
            instance_book::unanswered_releases(&store, 5_000)
                .await
                .unwrap()
                .is_empty(),
            "{backend}"
        );
        let answer = ReleaseAnswer {
            idempotency_key: "rel-0001".into(),
            outcomes: Vec::new(),
            replayed: false,
        };
        let mut released = releasing.clone();
        released.state = InstanceState::Released;
        instance_book::finish_release(&store, "rel-0001", &answer, vec![released])
            .await
            .unwrap();
        let logged = instance_book::logged_release(&store, "rel-0001")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(logged.answer, Some(answer), "{backend}");
        assert_eq!(logged.targets.len(), 1, "{backend}");
        assert_eq!(
            logged.requested_by.as_deref(),
            Some("alice"),
            "{backend}: who asked is kept"
        );
        assert!(followed(&store, i64::MAX, 100).await.is_empty(), "{backend}");
        assert!(
            instance_book::logged_release(&store, "rel-none")
                .await
                .unwrap()
                .is_none(),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_fleet_is_logged_once_and_its_steps_and_state_read_back() {
    for (backend, store) in backends().await {
        let fleet = FleetRow {
            id: "flt-1".into(),
            key: "fleet-key-0001".into(),
            request_hash: "hash".into(),
            created_at_ms: 1_000,
            spec: FleetSubmission {
                name: Some("batch".into()),
                target: 4,
                unit: Default::default(),
                maintain: true,
                ceiling_per_hour: Some(money(500)),
                pools: Vec::new(),
            },
            state: FleetState::Placing,
            reason: None,
            exhausted: Vec::new(),
            release_on_stop: false,
            created_by: Some("alice".into()),
        };
        fleet_book::insert(&store, &fleet).await.unwrap();
        let mut twin = fleet.clone();
        twin.id = "flt-2".into();
        assert!(
            matches!(fleet_book::insert(&store, &twin).await, Err(StoreError::DuplicateKey)),
            "{backend}"
        );
        assert!(
            fleet_book::any_active_or_stopped_with_release(&store).await.unwrap(),
            "{backend}"
        );
        for step in 0..3 {
            let _: bool = fleet_book::add_step(
                &store,
                "flt-1",
                &StepRow {
                    step,
                    pool: step as usize,
                    count: 2,
                    replacement: step > 0,
                    order_key: format!("fleet-key-0001_s{step}"),
                },
            )
            .await
            .unwrap();
        }
        let steps = fleet_book::steps(&store, "flt-1").await.unwrap();
        assert_eq!(steps.len(), 3, "{backend}");
        assert_eq!((steps[2].pool, steps[2].replacement), (2, true), "{backend}");
        let mut stalled = fleet.clone();
        stalled.state = FleetState::Stalled;
        stalled.reason = Some(FleetReason::OutOfStock { live: 1, target: 4 });
        stalled.exhausted = vec![0, 2];
        stalled.release_on_stop = true;
        fleet_book::update(&store, &stalled).await.unwrap();
        assert_eq!(
            fleet_book::by_key(&store, "fleet-key-0001").await.unwrap(),
            Some(stalled.clone()),
            "{backend}"
        );
        assert_eq!(
            fleet_book::by_id(&store, "flt-1").await.unwrap(),
            Some(stalled),
            "{backend}"
        );
        assert!(fleet_book::active(&store).await.unwrap().is_empty(), "{backend}");
        assert!(
            !fleet_book::any_active_or_stopped_with_release(&store).await.unwrap(),
            "{backend}"
        );
        // Stopped with release, it still has the keeper's attention (orders may settle with instances to release).
        let mut stopped = fleet_book::by_id(&store, "flt-1").await.unwrap().unwrap();
        stopped.state = FleetState::Stopped;
        fleet_book::update(&store, &stopped).await.unwrap();
        assert!(
            fleet_book::any_active_or_stopped_with_release(&store).await.unwrap(),
            "{backend}"
        );
        assert!(
            fleet_book::stopped_with_live_instances(&store)
                .await
                .unwrap()
                .is_empty(),
            "{backend}: none of its orders has instances"
        );
        assert_eq!(fleet_book::all(&store).await.unwrap().len(), 1, "{backend}");
        // A keeper that read the fleet before the stop (its lock lost without its knowing) neither undoes the stop
        // nor records a step to order.
        let mut stale = fleet.clone();
        stale.reason = Some(FleetReason::StepLimit { max: 1 });
        assert!(!fleet_book::update_active(&store, &stale).await.unwrap(), "{backend}");
        let late_step = StepRow {
            step: 3,
            pool: 0,
            count: 1,
            replacement: true,
            order_key: "fleet-key-0001_s3".into(),
        };
        assert!(
            !fleet_book::add_step(&store, "flt-1", &late_step).await.unwrap(),
            "{backend}"
        );
        let read = fleet_book::by_id(&store, "flt-1").await.unwrap().unwrap();
        assert_eq!(
            (read.state, read.release_on_stop),
            (FleetState::Stopped, true),
            "{backend}"
        );
        assert_eq!(fleet_book::steps(&store, "flt-1").await.unwrap().len(), 3, "{backend}");
    }
}

fn observation(amount: i64, at: i64) -> ExternalObservation {
    ExternalObservation {
        offer: OfferKey {
            cloud: Cloud::Alibaba,
            region: "cn-hangzhou".into(),
            zone: Some("cn-hangzhou-k".into()),
            instance_type: "ecs.c7.xlarge".into(),
        },
        kind: PriceKind::Spot,
        rate: PriceRate::new(money(amount), TimeUnit::Hour),
        observed_at: at,
        source: Source {
            key: "alibaba-live".into(),
            name: "DescribeSpotPriceHistory".into(),
            url: "https://ecs.aliyuncs.com/".into(),
            licence: "your account's answer".into(),
            date: "2026-12-01".into(),
            attribution: "fetched by your Spotplan proxy".into(),
            live: None,
        },
    }
}

#[tokio::test]
async fn the_price_store_keeps_changes_only_and_hands_them_back_in_order() {
    for (backend, store) in backends().await {
        let history = vec![
            observation(30, 100),
            observation(30, 200),
            observation(32, 300),
            observation(32, 400),
        ];
        let changes = price_store::record(&store, history.clone(), 1).await.unwrap();
        assert_eq!(changes, 2, "{backend}: 0.30 then 0.32");
        assert_eq!(
            price_store::record(&store, history, 2).await.unwrap(),
            0,
            "{backend}: nothing new"
        );
        let delta = price_store::since(&store, 0, 100).await.unwrap();
        let seen: Vec<(i64, String)> = delta
            .observations()
            .iter()
            .map(|o| (o.observed_at, o.rate.money.amount.to_string()))
            .collect();
        // The two changes, and the newest unchanged sighting as the offer's confirmation.
        assert_eq!(
            seen,
            [(100, "0.3".into()), (300, "0.32".into()), (400, "0.32".into())],
            "{backend}"
        );
        let first = price_store::since(&store, 0, 1).await.unwrap();
        assert!(first.more, "{backend}");
        let rest = price_store::since(&store, first.until, 100).await.unwrap();
        assert_eq!(rest.rows.len(), 2, "{backend}: paging by the store's points");
        // A later sighting replaces the confirmation; the new row comes after every point already handed out.
        price_store::record(&store, vec![observation(32, 500)], 3)
            .await
            .unwrap();
        let newer = price_store::since(&store, delta.until, 100).await.unwrap();
        assert_eq!(newer.observations()[0].observed_at, 500, "{backend}");
    }
}

/// A change that arrives late, before a confirmation already stored, does not take the confirmation away: that
/// sighting is now where the price went back.
#[tokio::test]
async fn a_late_change_keeps_the_later_confirmation_as_the_way_back() {
    for (backend, store) in backends().await {
        price_store::record(&store, vec![observation(30, 100)], 1)
            .await
            .unwrap();
        price_store::record(&store, vec![observation(30, 200)], 2)
            .await
            .unwrap();
        price_store::record(&store, vec![observation(35, 150)], 3)
            .await
            .unwrap();
        price_store::record(&store, vec![observation(40, 300)], 4)
            .await
            .unwrap();
        let delta = price_store::since(&store, 0, 100).await.unwrap();
        let mut seen: Vec<(i64, String)> = delta
            .observations()
            .iter()
            .map(|o| (o.observed_at, o.rate.money.amount.to_string()))
            .collect();
        seen.sort();
        assert_eq!(
            seen,
            [
                (100, "0.3".into()),
                (150, "0.35".into()),
                (200, "0.3".into()),
                (300, "0.4".into())
            ],
            "{backend}: 0.30, 0.35 from 150, back to 0.30 at 200, then 0.40"
        );
    }
}

/// Two batches over the same offers in opposite orders, at the same moment, both land (the store's sequence is
/// locked first: no deadlock on PostgreSQL).
#[tokio::test]
async fn concurrent_price_batches_over_the_same_offers_both_land() {
    for (backend, store) in backends().await {
        let other = |amount: i64, at: i64| {
            let mut observation = observation(amount, at);
            observation.offer.zone = Some("cn-hangzhou-j".into());
            observation
        };
        price_store::record(&store, vec![observation(30, 100), other(30, 100)], 1)
            .await
            .unwrap();
        for round in 0..20 {
            let at = 200 + round * 10;
            let first = price_store::record(&store, vec![observation(30, at), other(31 + round, at)], 2);
            let second = price_store::record(&store, vec![other(30, at + 5), observation(32 + round, at + 5)], 2);
            let (first, second) = tokio::join!(first, second);
            first.unwrap_or_else(|error| panic!("{backend}: {error}"));
            second.unwrap_or_else(|error| panic!("{backend}: {error}"));
        }
    }
}

#[tokio::test]
async fn the_refresher_state_is_kept() {
    for (backend, store) in backends().await {
        refresher::enable(&store, Some(120)).await.unwrap();
        let progress = refresher::progress_of(&store).await.unwrap();
        assert!(progress.enabled, "{backend}");
        assert_eq!((progress.budget_per_minute, progress.pools), (120, 0), "{backend}");
    }
}

/// A month's budget counts what the person's instances placed this month have cost so far, plus what may be
/// running until the month's end — and what may be running must fit a whole next month too; another person's
/// instances do not count.
#[tokio::test]
async fn a_months_budget_counts_the_persons_own_spend_and_run_rate() {
    use spotplan_proxy::people::{self, Budget};
    // 2026-12-31 12:00 UTC: half a day left in the month.
    let now = 1_798_718_400_000;
    let month_start = 1_796_083_200_000;
    for (backend, store) in backends().await {
        people::add(&store, "alice", 1).await.unwrap();
        people::add(&store, "bob", 1).await.unwrap();
        for (person, id) in [("alice", "ord-a"), ("bob", "ord-b")] {
            let mut order = common::pending_order(&format!("key-{id}-0001"), month_start);
            order.view.id = id.into();
            order.view.cloud = Cloud::Alibaba;
            order.view.region = "cn-hangzhou".into();
            order.view.max_cost_per_hour = Some(money(100));
            order.view.placed_by = Some(person.into());
            store.insert(&order).await.unwrap();
            // Running since the month began at 1 CNY an hour: 30.5 days, 732 CNY so far.
            let mut row = InstanceRow::placed(
                Cloud::Alibaba,
                "cn-hangzhou",
                &format!("i-{id}"),
                id,
                Some(money(100)),
                month_start,
            );
            row.state = InstanceState::Running;
            row.running_since_ms = Some(month_start);
            instance_book::add_placed(&store, vec![row.clone()]).await.unwrap();
            instance_book::save(&store, vec![row]).await.unwrap();
        }
        // Alice: 732 spent + (1 running + 1 new) × 12 h = 756: a 750 budget refuses, 760 lets it through.
        let budget = |amount: i64| Budget {
            per_hour: None,
            per_month: Some(money(amount * 100)),
        };
        people::set_budget(&store, Some("alice"), &budget(750)).await.unwrap();
        let refused = budgets(&store, Some("alice"), Some(&money(100)), now).await;
        let over = refused.expect_err(backend);
        assert_eq!(over.field, "budget.person.per_month", "{backend}");
        assert!(over.message.contains("spent so far 732"), "{backend}: {}", over.message);
        // 760 holds this month's 756, but not what the two would cost over January's 744 hours (1,488): they run
        // on past the month's end, and an order placed late in a month must not pass for its last hours' cost.
        people::set_budget(&store, Some("alice"), &budget(760)).await.unwrap();
        let over = budgets(&store, Some("alice"), Some(&money(100)), now)
            .await
            .expect_err(backend);
        assert_eq!(over.field, "budget.person.per_month", "{backend}");
        assert!(
            over.message.contains("1488.00 CNY over next month's 744 hours"),
            "{backend}: {}",
            over.message
        );
        people::set_budget(&store, Some("alice"), &budget(1_490)).await.unwrap();
        assert_eq!(
            budgets(&store, Some("alice"), Some(&money(100)), now).await,
            Ok(()),
            "{backend}: bob's spend is not hers"
        );
        // An order too costly for a decimal's range is refused, not a panic.
        let huge = Money::new(rust_decimal::Decimal::MAX, Currency::Cny);
        let over = budgets(&store, Some("alice"), Some(&huge), now)
            .await
            .expect_err(backend);
        assert_eq!(over.field, "budget.person.per_month", "{backend}");
        // The team's counts everyone: 1,464 spent + 3 × 12 h = 1,500 > 1,490.
        people::set_budget(&store, None, &budget(1_490)).await.unwrap();
        let over = budgets(&store, Some("alice"), Some(&money(100)), now)
            .await
            .expect_err(backend);
        assert_eq!(over.field, "budget.team.per_month", "{backend}");
    }
}

/// A succeeded order counts against an hourly budget before its instances are in the book (its outcome and its
/// booking are written side by side, and another replica may check in between) — for its first hour, so an order
/// whose instances never get booked does not hold the budget forever.
#[tokio::test]
async fn a_succeeded_order_counts_against_budgets_before_its_instances_are_booked() {
    use spotplan_proxy::people::{self, Budget};
    let now = 1_798_718_400_000;
    for (backend, store) in backends().await {
        people::add(&store, "carol", 1).await.unwrap();
        succeeded_order(&store, "carol", "ord-c", vec!["i-c".into()], now - 60_000).await;
        let budget = Budget {
            per_hour: Some(money(150)),
            per_month: None,
        };
        people::set_budget(&store, Some("carol"), &budget).await.unwrap();
        let over = budgets(&store, Some("carol"), Some(&money(100)), now)
            .await
            .expect_err(backend);
        assert_eq!(over.field, "budget.person.per_hour", "{backend}");
        assert_eq!(
            budgets(&store, Some("carol"), Some(&money(100)), now + 2 * 3_600_000).await,
            Ok(()),
            "{backend}: an hour on, an order with nothing booked no longer counts"
        );
    }
}

/// A succeeded order counts against an hourly budget instance by instance, while each may bill: nine of ten
/// released (or one stopped without charge) leave their room, where the whole order used to count while any one
/// of its instances lived.
#[tokio::test]
async fn an_hourly_budget_counts_a_succeeded_orders_instances_that_may_still_bill() {
    use spotplan_proxy::people;
    let now = 1_798_718_400_000;
    for (backend, store) in backends().await {
        people::add(&store, "dan", 1).await.unwrap();
        let ids = (0..10).map(|index| format!("i-d{index}")).collect();
        succeeded_order(&store, "dan", "ord-d", ids, now - 7_200_000).await;
        // Ten at 0.10 CNY an hour: nine released, one running — and then that one stopped without charge.
        let mut rows: Vec<InstanceRow> = (0..10)
            .map(|index| {
                let mut row = InstanceRow::placed(
                    Cloud::Alibaba,
                    "cn-hangzhou",
                    &format!("i-d{index}"),
                    "ord-d",
                    Some(money(10)),
                    now - 7_200_000,
                );
                row.running_since_ms = Some(now - 7_000_000);
                row.state = InstanceState::Released;
                row.ended_at_ms = Some(now - 3_600_000);
                row
            })
            .collect();
        rows[0].state = InstanceState::Running;
        rows[0].ended_at_ms = None;
        instance_book::add_placed(&store, rows.clone()).await.unwrap();
        instance_book::save(&store, rows.clone()).await.unwrap();
        // 0.10 running + 0.30 new = 0.40: within 0.45, over 0.35.
        hourly_budget_lets_through_then_refuses(&store, backend, "dan", &money(30), [money(45), money(35)], now).await;
        rows[0].state = InstanceState::Stopped;
        rows[0].paused_since_ms = Some(now - 60_000);
        instance_book::save(&store, vec![rows[0].clone()]).await.unwrap();
        assert_eq!(
            budgets(&store, Some("dan"), Some(&money(30)), now).await,
            Ok(()),
            "{backend}: stopped without charge, it leaves its room"
        );
    }
}

/// A release the cloud refused leaves the row as it was (with the release's key); the follower, which read it
/// "releasing" while the call was out, does not write "releasing" back over the refusal — only a release's log
/// puts a row in that state.
#[tokio::test]
async fn a_refused_release_is_not_undone_by_what_the_follower_read_while_it_was_out() {
    for (backend, store) in backends().await {
        let mut row = InstanceRow::placed(Cloud::Tencent, "ap-guangzhou", "i-race", "ord-race", None, 1_000);
        row.state = InstanceState::Pending;
        instance_book::add_placed(&store, vec![row.clone()]).await.unwrap();
        instance_book::log_release(
            &store,
            "rel-race-0001",
            "hash",
            vec![row.clone()],
            ReleaseOptions::default(),
            2_000,
            None,
        )
        .await
        .unwrap();
        // The follower reads it now: releasing, under the key; the cloud then seen running.
        let read = instance_book::all(&store)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.id == "i-race")
            .unwrap();
        assert_eq!(read.state, InstanceState::Releasing, "{backend}");
        let mut observed = read.clone();
        observed.running_since_ms = Some(2_500);
        observed.last_checked_ms = Some(2_500);
        // The release is refused: the row goes back to what it was, keeping the key.
        let mut refused = read.clone();
        refused.state = InstanceState::Pending;
        let answer = ReleaseAnswer {
            idempotency_key: "rel-race-0001".into(),
            outcomes: Vec::new(),
            replayed: false,
        };
        instance_book::finish_release(&store, "rel-race-0001", &answer, vec![refused])
            .await
            .unwrap();
        instance_book::save_observed(&store, vec![observed]).await.unwrap();
        let after = instance_book::all(&store)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.id == "i-race")
            .unwrap();
        assert_eq!(after.state, InstanceState::Pending, "{backend}: the refusal stands");
    }
}

/// A succeeded order whose instances never reached the book (its replica died between writing the outcome and the
/// booking) is booked by the sweep, once, on both backends — one of them already watched without an order (a
/// region's search found it first) takes the order and its price share.
#[tokio::test]
async fn a_succeeded_orders_missing_instances_are_booked_by_the_sweep_once() {
    use spotplan_core::order::outcome::OrderStatus;
    let now = spotplan_proxy::upstream::now_unix_millis();
    for (backend, store) in backends().await {
        let mut order = common::pending_order("key-ord-m-0001", now - 60_000);
        order.view.id = "ord-m".into();
        order.view.max_cost_per_hour = Some(money(200));
        store.insert(&order).await.unwrap();
        order.view.status = OrderStatus::Succeeded;
        order.view.instance_ids = vec!["i-m1".into(), "i-m2".into()];
        order.view.finished_at_ms = Some(now - 60_000);
        store.finish(&order).await.unwrap();
        let mut watched = InstanceRow::placed(Cloud::Tencent, "ap-guangzhou", "i-m1", "", None, now);
        watched.order_id = None;
        instance_book::add_found(&store, vec![watched]).await.unwrap();
        // Another succeeded order, booked as usual: not the sweep's.
        let mut booked = common::pending_order("key-ord-b-0001", now - 120_000);
        booked.view.id = "ord-b".into();
        store.insert(&booked).await.unwrap();
        booked.view.status = OrderStatus::Succeeded;
        booked.view.instance_ids = vec!["i-b1".into()];
        store.finish(&booked).await.unwrap();
        let row = InstanceRow::placed(Cloud::Alibaba, "cn-hangzhou", "i-b1", "ord-b", None, now);
        instance_book::add_placed(&store, vec![row]).await.unwrap();
        let dir = common::tempdir();
        let state = common::state_with(common::config(&dir), Default::default(), store.clone());
        assert_eq!(
            spotplan_proxy::exactly_once::book_missing(&state, now).await.unwrap(),
            1,
            "{backend}"
        );
        let mut ids: Vec<(String, Option<String>)> = instance_book::all(&store)
            .await
            .unwrap()
            .into_iter()
            .map(|row| (row.id, row.order_id))
            .collect();
        ids.sort();
        assert_eq!(
            ids,
            [
                ("i-b1".to_owned(), Some("ord-b".to_owned())),
                ("i-m1".to_owned(), Some("ord-m".to_owned())),
                ("i-m2".to_owned(), Some("ord-m".to_owned()))
            ],
            "{backend}"
        );
        let share = instance_book::all(&store)
            .await
            .unwrap()
            .into_iter()
            .find(|row| row.id == "i-m1")
            .unwrap()
            .price_per_hour;
        assert_eq!(share, Some(money(100)), "{backend}: booked at its share of the bound");
        assert_eq!(
            spotplan_proxy::exactly_once::book_missing(&state, now).await.unwrap(),
            0,
            "{backend}: once"
        );
    }
}

/// A dry run the cloud did not honour — its answer named instances — bills like any order: its instances are
/// booked (they used to be left out of the book, so never followed, released or counted by a budget).
#[tokio::test]
async fn the_instances_of_a_dry_run_the_cloud_did_not_honour_are_booked() {
    use spotplan_core::order::outcome::OrderStatus;
    let now = spotplan_proxy::upstream::now_unix_millis();
    for (backend, store) in backends().await {
        let mut order = common::pending_order("key-ord-dry-0001", now - 60_000);
        order.view.id = "ord-dry".into();
        order.view.dry_run = true;
        order.view.max_cost_per_hour = Some(money(100));
        store.insert(&order).await.unwrap();
        order.view.status = OrderStatus::Succeeded;
        order.view.instance_ids = vec!["i-dry1".into()];
        order.view.finished_at_ms = Some(now - 60_000);
        store.finish(&order).await.unwrap();
        let state = common::state_with(common::config(&common::tempdir()), Default::default(), store.clone());
        assert_eq!(
            spotplan_proxy::exactly_once::book_missing(&state, now).await.unwrap(),
            1,
            "{backend}"
        );
        let booked: Vec<String> = instance_book::all(&store)
            .await
            .unwrap()
            .into_iter()
            .filter(|row| row.order_id.as_deref() == Some("ord-dry"))
            .map(|row| row.id)
            .collect();
        assert_eq!(booked, ["i-dry1"], "{backend}");
        // Its instances bill: the dry run counts toward the hourly ceiling and the budgets like any order.
        let committed = store.committed_hourly_costs(now - 3_600_000).await.unwrap();
        assert!(
            committed.iter().any(|(id, _)| id == "ord-dry"),
            "{backend}: {committed:?}"
        );
        spotplan_proxy::people::set_budget(
            &store,
            None,
            &spotplan_proxy::people::Budget {
                per_hour: Some(money(100)),
                per_month: None,
            },
        )
        .await
        .unwrap();
        let over = budgets(&store, None, Some(&money(1)), now).await.expect_err(backend);
        assert_eq!(over.field, "budget.team.per_hour", "{backend}: {over:?}");
    }
}

/// An order in dollars under a budget in yuan counts at the proxy's rate — it does not block every later order.
#[tokio::test]
async fn an_order_in_another_currency_counts_against_a_budget_converted() {
    use spotplan_proxy::people;
    let now = 1_798_718_400_000;
    for (backend, store) in backends().await {
        people::add(&store, "dave", 1).await.unwrap();
        let mut order = common::pending_order("key-ord-d-0001", now - 60_000);
        order.view.id = "ord-d".into();
        order.view.max_cost_per_hour = Some(Money::new(rust_decimal::Decimal::ONE, Currency::Usd));
        order.view.placed_by = Some("dave".into());
        store.insert(&order).await.unwrap();
        // 1 USD ≈ 7.13 CNY pending, plus 1 CNY asked: 8.13.
        hourly_budget_lets_through_then_refuses(&store, backend, "dave", &money(100), [money(1_000), money(800)], now)
            .await;
    }
}

/// An order logged with no hourly bound (placed before any budget was set, for a type nothing prices) is not
/// counted as costing nothing once a budget is set: the budget cannot be checked while it may run, and the
/// refusal names it.
#[tokio::test]
async fn an_order_with_no_known_cost_is_never_counted_as_zero_by_a_budget() {
    use spotplan_proxy::people::{self, Budget};
    let now = 1_798_718_400_000;
    for (backend, store) in backends().await {
        people::add(&store, "alice", 1).await.unwrap();
        let mut order = common::pending_order("key-ord-u-0001", now - 60_000);
        order.view.id = "ord-unbounded".into();
        order.view.max_cost_per_hour = None;
        store.insert(&order).await.unwrap();
        let team = Budget {
            per_hour: Some(money(100)),
            per_month: None,
        };
        people::set_budget(&store, None, &team).await.unwrap();
        let refused = budgets(&store, Some("alice"), Some(&money(90)), now)
            .await
            .expect_err(backend);
        assert_eq!(
            (refused.field, refused.message.as_str()),
            (
                "budget.team.per_hour",
                "the team's budget cannot be checked while order ord-unbounded may be running and has no known \
                 hourly cost (no maximum price, and no pay-as-you-go price Spotplan knows): release it (or settle \
                 its order) to order again"
            ),
            "{backend}"
        );
        // Once it failed (nothing of it runs), the budget counts what it knows again.
        order.view.status = spotplan_proxy::store::OrderStatus::Failed;
        store.finish(&order).await.unwrap();
        assert_eq!(
            budgets(&store, Some("alice"), Some(&money(90)), now).await,
            Ok(()),
            "{backend}"
        );
    }
}

/// An instance placed last month and running on counts toward this month's budget from the month's start — not
/// at all before, and not with last month's hours.
#[tokio::test]
async fn an_instance_running_since_last_month_counts_this_months_hours() {
    use spotplan_proxy::people::{self, Budget};
    // 2026-12-31 12:00 UTC: half a day left in the month.
    let now = 1_798_718_400_000;
    let month_start = 1_796_083_200_000;
    let week_ms = 7 * 24 * 3_600_000;
    for (backend, store) in backends().await {
        people::add(&store, "eve", 1).await.unwrap();
        let mut order = common::pending_order("key-ord-e-0001", month_start - week_ms);
        order.view.id = "ord-e".into();
        order.view.cloud = Cloud::Alibaba;
        order.view.region = "cn-hangzhou".into();
        order.view.max_cost_per_hour = Some(money(100));
        order.view.placed_by = Some("eve".into());
        store.insert(&order).await.unwrap();
        let mut row = InstanceRow::placed(
            Cloud::Alibaba,
            "cn-hangzhou",
            "i-ord-e",
            "ord-e",
            Some(money(100)),
            month_start - week_ms,
        );
        row.state = InstanceState::Running;
        row.running_since_ms = Some(month_start - week_ms);
        instance_book::add_placed(&store, vec![row.clone()]).await.unwrap();
        instance_book::save(&store, vec![row]).await.unwrap();
        // This month: 30.5 days at 1 CNY an hour = 732, plus 1 running (and a new order of no cost) × 12 h = 744
        // by the month's end — 912 if last month's week counted; January's 744 hours at 1 CNY: 744.
        let budget = |amount: i64| Budget {
            per_hour: None,
            per_month: Some(money(amount * 100)),
        };
        people::set_budget(&store, Some("eve"), &budget(740)).await.unwrap();
        let over = budgets(&store, Some("eve"), Some(&money(0)), now)
            .await
            .expect_err(backend);
        assert!(over.message.contains("spent so far 732"), "{backend}: {}", over.message);
        people::set_budget(&store, Some("eve"), &budget(750)).await.unwrap();
        assert_eq!(
            budgets(&store, Some("eve"), Some(&money(0)), now).await,
            Ok(()),
            "{backend}: last month's week is not this month's"
        );
    }
}

/// An instance stopped without charge (Alibaba's economical mode) counts only the hours it billed: one stopped
/// since last month counts nothing this month, one that came back from a stop counts its hours less the stop —
/// its stop kept by the book on either database.
#[tokio::test]
async fn an_instance_stopped_without_charge_counts_only_the_hours_it_billed() {
    use spotplan_proxy::people::{self, Budget};
    // 2026-12-31 12:00 UTC; the month began 30.5 days (732 h) before.
    let now = 1_798_718_400_000;
    let month_start = 1_796_083_200_000;
    let hour = 3_600_000;
    for (backend, store) in backends().await {
        people::add(&store, "gus", 1).await.unwrap();
        let mut rows = Vec::new();
        for (id, since) in [
            ("ord-g1", month_start - 100 * hour),
            ("ord-g2", month_start + 700 * hour),
        ] {
            let mut order = common::pending_order(&format!("key-{id}-0001"), since);
            order.view.id = id.into();
            order.view.cloud = Cloud::Alibaba;
            order.view.region = "cn-hangzhou".into();
            order.view.max_cost_per_hour = Some(money(100));
            order.view.placed_by = Some("gus".into());
            store.insert(&order).await.unwrap();
            let mut row = InstanceRow::placed(
                Cloud::Alibaba,
                "cn-hangzhou",
                &format!("i-{id}"),
                id,
                Some(money(100)),
                since,
            );
            row.state = InstanceState::Running;
            row.running_since_ms = Some(since);
            rows.push(row);
        }
        // The first stopped by its reclaim 98 h before the month and never started again.
        rows[0].state = InstanceState::Stopped;
        rows[0].paused_since_ms = Some(month_start - 98 * hour);
        // The second ran 32 h of this month, 10 of them stopped without charge: 22 h billed.
        rows[1].paused_ms = 10 * hour;
        instance_book::add_placed(&store, rows.clone()).await.unwrap();
        instance_book::save(&store, rows.clone()).await.unwrap();
        let all = instance_book::all(&store).await.unwrap();
        let kept = |id: &str| {
            let row = all.iter().find(|row| row.id == id).unwrap();
            (row.paused_ms, row.paused_since_ms)
        };
        assert_eq!(kept("i-ord-g1"), (0, Some(month_start - 98 * hour)), "{backend}");
        assert_eq!(kept("i-ord-g2"), (10 * hour, None), "{backend}");
        people::set_budget(
            &store,
            Some("gus"),
            &Budget {
                per_hour: None,
                per_month: Some(money(2_100)),
            },
        )
        .await
        .unwrap();
        let over = budgets(&store, Some("gus"), Some(&money(0)), now)
            .await
            .expect_err(backend);
        assert!(
            over.message.contains("spent so far 22.00 CNY"),
            "{backend}: {}",
            over.message
        );
    }
}

/// A release's answer does not turn back into "releasing" an instance the follower saw end meanwhile: the
/// reclaim it recorded stays.
#[tokio::test]
async fn a_release_answer_keeps_what_the_follower_learnt_while_it_was_sent() {
    for (backend, store) in backends().await {
        let running = book_running(&store, Cloud::Tencent, "ap-guangzhou", "ins-r1", "ord-r").await;
        log_one_release(&store, "rel-race-01", &running).await;
        // While the call is out, the follower sees it reclaimed.
        let mut releasing = instance_book::all(&store).await.unwrap()[0].clone();
        assert_eq!(releasing.state, InstanceState::Releasing, "{backend}");
        let mut reclaimed = releasing.clone();
        reclaimed.state = InstanceState::Reclaimed;
        reclaimed.ended_at_ms = Some(5_500);
        instance_book::save_observed(&store, vec![reclaimed.clone()])
            .await
            .unwrap();
        // The answer comes back with the row as it was sent.
        releasing.release_key = Some("rel-race-01".into());
        let answer = ReleaseAnswer {
            idempotency_key: "rel-race-01".into(),
            outcomes: Vec::new(),
            replayed: false,
        };
        instance_book::finish_release(&store, "rel-race-01", &answer, vec![releasing])
            .await
            .unwrap();
        let row = instance_book::all(&store).await.unwrap()[0].clone();
        assert_eq!(
            (row.state, row.ended_at_ms),
            (InstanceState::Reclaimed, Some(5_500)),
            "{backend}"
        );
    }
}

/// A release's answers written late (retried in the background while the book refused them) put back nothing the
/// follower learnt meanwhile — a notice, a pause, its last look — and an answer already recorded (the resumer
/// settled the release first) stands: the late write changes nothing, neither the answer nor the rows.
#[tokio::test]
async fn a_late_release_answer_keeps_the_followers_readings_and_never_replaces_a_recorded_answer() {
    for (backend, store) in backends().await {
        let running = book_running(&store, Cloud::Alibaba, "cn-hangzhou", "i-late1", "ord-late").await;
        log_one_release(&store, "rel-late-01", &running).await;
        let sent = instance_book::all(&store).await.unwrap()[0].clone();
        // The release is refused; while its answer waits, the follower records a notice and a pause.
        let mut refused = sent.clone();
        refused.state = running.state;
        let mut observed = sent.clone();
        observed.notice_at_ms = Some(6_000);
        observed.paused_ms = 120_000;
        observed.last_checked_ms = Some(6_500);
        instance_book::save_observed(&store, vec![observed]).await.unwrap();
        let answer = |message: &str| ReleaseAnswer {
            idempotency_key: "rel-late-01".into(),
            outcomes: vec![spotplan_core::api::instances::ReleaseOutcome {
                cloud: Cloud::Alibaba,
                id: "i-late1".into(),
                result: spotplan_core::api::instances::ReleaseResult::Refused,
                code: Some("IncorrectInstanceStatus".into()),
                message: Some(message.into()),
            }],
            replayed: false,
        };
        let recorded = instance_book::finish_release(&store, "rel-late-01", &answer("first"), vec![refused.clone()])
            .await
            .unwrap();
        assert!(recorded, "{backend}");
        let row = instance_book::all(&store).await.unwrap()[0].clone();
        assert_eq!(
            (
                row.state,
                row.notice_at_ms,
                row.paused_ms,
                row.last_checked_ms,
                row.release_key.as_deref()
            ),
            (running.state, Some(6_000), 120_000, Some(6_500), Some("rel-late-01")),
            "{backend}: the refusal puts the state back and leaves the follower's readings"
        );
        // A second write of the same release (another replica's resumer settled it, or a retry landed twice).
        let mut releasing = sent.clone();
        releasing.state = InstanceState::Releasing;
        let again = instance_book::finish_release(&store, "rel-late-01", &answer("second"), vec![releasing])
            .await
            .unwrap();
        assert!(!again, "{backend}");
        let logged = instance_book::logged_release(&store, "rel-late-01")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            logged.answer,
            Some(answer("first")),
            "{backend}: the first answer stands"
        );
        assert_eq!(
            instance_book::all(&store).await.unwrap()[0].state,
            running.state,
            "{backend}"
        );
    }
}

/// A release the resumer settles with an instance already gone ends that instance in the book: released, when,
/// and its open pause closed — or its cost so far, and the budgets, would count it as billing for ever.
#[tokio::test]
async fn a_release_that_finds_an_instance_gone_records_when_it_ended_and_closes_its_pause() {
    for (backend, store) in backends().await {
        let mut running = book_running(&store, Cloud::Tencent, "ap-guangzhou", "ins-gone1", "ord-gone").await;
        running.paused_since_ms = Some(3_000);
        instance_book::save(&store, vec![running.clone()]).await.unwrap();
        log_one_release(&store, "rel-gone-01", &running).await;
        let mut gone = instance_book::all(&store).await.unwrap()[0].clone();
        gone.state = InstanceState::Released;
        gone.ended_at_ms = Some(9_000);
        gone.paused_ms = 1_500;
        gone.paused_since_ms = None;
        let answer = ReleaseAnswer {
            idempotency_key: "rel-gone-01".into(),
            outcomes: Vec::new(),
            replayed: false,
        };
        assert!(
            instance_book::finish_release(&store, "rel-gone-01", &answer, vec![gone])
                .await
                .unwrap()
        );
        let row = instance_book::all(&store).await.unwrap()[0].clone();
        assert_eq!(
            (row.state, row.ended_at_ms, row.paused_ms, row.paused_since_ms),
            (InstanceState::Released, Some(9_000), 1_500, None),
            "{backend}"
        );
    }
}

/// A release logged with the row as it was read before the follower recorded its reclaim leaves the reclaim as
/// it is: the log sets only "releasing" and the key, and only over a row that has not ended.
#[tokio::test]
async fn a_release_logged_with_a_row_read_before_a_reclaim_keeps_the_reclaim() {
    for (backend, store) in backends().await {
        let running = book_running(&store, Cloud::Tencent, "ap-guangzhou", "ins-r2", "ord-r2").await;
        let mut reclaimed = running.clone();
        reclaimed.state = InstanceState::Reclaimed;
        reclaimed.ended_at_ms = Some(4_000);
        instance_book::save_observed(&store, vec![reclaimed]).await.unwrap();
        instance_book::log_release(
            &store,
            "rel-race-02",
            "hash",
            vec![running.clone()],
            ReleaseOptions::default(),
            5_000,
            None,
        )
        .await
        .unwrap();
        let row = instance_book::all(&store).await.unwrap()[0].clone();
        assert_eq!(
            (row.state, row.ended_at_ms),
            (InstanceState::Reclaimed, Some(4_000)),
            "{backend}"
        );
    }
}

/// What the follower read before an instance ended never overwrites the end (a replica that lost its
/// leadership without knowing writes late): a reclaim recorded stays a reclaim.
#[tokio::test]
async fn a_stale_reading_does_not_bring_an_ended_instance_back() {
    for (backend, store) in backends().await {
        let running = book_running(&store, Cloud::Alibaba, "cn-hangzhou", "i-stale1", "ord-stale").await;
        let mut reclaimed = running.clone();
        reclaimed.state = InstanceState::Reclaimed;
        reclaimed.ended_at_ms = Some(9_000);
        instance_book::save_observed(&store, vec![reclaimed]).await.unwrap();
        let mut stale = running.clone();
        stale.last_checked_ms = Some(8_000);
        instance_book::save_observed(&store, vec![stale]).await.unwrap();
        let row = instance_book::all(&store).await.unwrap()[0].clone();
        assert_eq!(
            (row.state, row.ended_at_ms),
            (InstanceState::Reclaimed, Some(9_000)),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_listing_keeps_live_instances_and_recent_history_and_counts_the_rest() {
    use instance_book::Listing;
    for (backend, store) in backends().await {
        succeeded_order(&store, "alice", "ord-a", Vec::new(), 1_000).await;
        succeeded_order(&store, "bob", "ord-b", Vec::new(), 1_000).await;
        // (id, order, placed at, state, ended at)
        let book = [
            ("a-live-old", "ord-a", 1_000, InstanceState::Running, None),
            ("a-released-early", "ord-a", 1_500, InstanceState::Released, Some(5_000)),
            (
                "a-reclaimed-late",
                "ord-a",
                2_000,
                InstanceState::Reclaimed,
                Some(20_000),
            ),
            ("a-never-started", "ord-a", 3_000, InstanceState::LaunchFailed, None),
            (
                "a-never-started-late",
                "ord-a",
                12_000,
                InstanceState::LaunchFailed,
                None,
            ),
            ("b-gone-early", "ord-b", 1_200, InstanceState::Gone, Some(2_000)),
            ("b-live", "ord-b", 4_000, InstanceState::Running, None),
        ];
        let rows: Vec<InstanceRow> = book
            .iter()
            .map(|(id, order, placed_at, state, ended_at)| InstanceRow {
                state: *state,
                ended_at_ms: *ended_at,
                ..InstanceRow::placed(Cloud::Alibaba, "cn-hangzhou", id, order, Some(money(25)), *placed_at)
            })
            .collect();
        instance_book::add_placed(&store, rows.clone()).await.unwrap();
        instance_book::save(&store, rows).await.unwrap();
        let listed = |listing| {
            let store = store.clone();
            async move {
                let (rows, ended_earlier) = instance_book::listed(&store, listing).await.unwrap();
                let ids: Vec<(String, Option<String>)> = rows.into_iter().map(|(row, by)| (row.id, by)).collect();
                (ids, ended_earlier)
            }
        };
        let named = |ids: &[(&str, &str)]| -> Vec<(String, Option<String>)> {
            ids.iter()
                .map(|(id, by)| ((*id).to_owned(), Some((*by).to_owned())))
                .collect()
        };
        // Everything, newest first, each with who placed its order.
        let (all, ended_earlier) = listed(Listing::default()).await;
        assert_eq!(all.len(), 7, "{backend}");
        assert_eq!(
            all[0],
            ("a-never-started-late".to_owned(), Some("alice".to_owned())),
            "{backend}"
        );
        assert_eq!(ended_earlier, 0, "{backend}");
        // Since 10 s: the live ones however old, the ended ones since then (never started: placed since), and a
        // count of the rest.
        let since = Listing {
            ended_since_ms: Some(10_000),
            ..Listing::default()
        };
        assert_eq!(
            listed(since).await,
            (
                named(&[
                    ("a-never-started-late", "alice"),
                    ("b-live", "bob"),
                    ("a-reclaimed-late", "alice"),
                    ("a-live-old", "alice")
                ]),
                3
            ),
            "{backend}"
        );
        // One person's: their instances only, and only theirs counted.
        let alices = Listing {
            placed_by: Some("alice"),
            ended_since_ms: Some(10_000),
        };
        assert_eq!(
            listed(alices).await,
            (
                named(&[
                    ("a-never-started-late", "alice"),
                    ("a-reclaimed-late", "alice"),
                    ("a-live-old", "alice")
                ]),
                2
            ),
            "{backend}"
        );
        let bobs_all = Listing {
            placed_by: Some("bob"),
            ended_since_ms: None,
        };
        assert_eq!(
            listed(bobs_all).await,
            (named(&[("b-live", "bob"), ("b-gone-early", "bob")]), 0),
            "{backend}"
        );
    }
}
