//! The follower: reads the instances the book still watches with each cloud's describe call — at most 100 ids a
//! call, grouped by cloud and region, so 1,000 instances cost 10 calls — and records what changed: pending to
//! running, Tencent's `LAUNCH_FAILED` with its reason, a reclaim notice and the reclaim, a release confirmed.
//! Pending, releasing and noticed instances are read at every poll; an instance already seen running, every
//! `running_recheck` (30 s): a large book then costs a sixth of the calls and writes, and a reclaim is still seen
//! within the shortest notice. A poll's calls are spread over half the pause between polls (at most 100 ms apart)
//! and each call's changes written as it is read, so a large book never holds the CPU and the order log's writer in
//! one burst. It backs off while a cloud throttles and makes no call while nothing is watched.

use std::collections::BTreeMap;
use std::time::Duration;

use spotplan_core::Cloud;
use spotplan_core::clouds::wire;
use spotplan_core::lifecycle::{DescribeReading, InstanceReport, InstanceState, MAX_IDS_PER_CALL, batches};

use crate::AppState;
use crate::instance_book::{self, InstanceRow};
use crate::store::StoreError;
use crate::upstream::{Exchange, now_unix_millis};

/// How long a new instance may be missing from describe answers before it counts as gone (the clouds' describe
/// lags creation by a few seconds).
pub const CREATION_LAG_MS: i64 = 60_000;
/// The longest pause between polls while a cloud throttles.
pub const MAX_PAUSE: Duration = Duration::from_secs(60);

/// What one poll did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Poll {
    /// Describe calls made, per cloud.
    pub calls: BTreeMap<Cloud, u32>,
    /// Clouds that answered with a throttling code.
    pub throttled: Vec<Cloud>,
    /// Instances whose row changed.
    pub changed: usize,
}

/// Starts the follower for the life of the process.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let base = state.config.instance_poll;
        let mut pause = base;
        loop {
            tokio::time::sleep(pause).await;
            if !state.leadership.is_leader() {
                continue;
            }
            // Spread over half the pause, so a large book's reading ends well before the next poll is due.
            match poll_spread(&state, base / 2).await {
                Ok(poll) if !poll.throttled.is_empty() => {
                    pause = (pause * 2).min(MAX_PAUSE);
                    tracing::warn!(throttled = ?poll.throttled, ?pause, "a cloud throttles describe calls; polling slower");
                }
                Ok(_) => pause = base,
                Err(error) => tracing::warn!(%error, "the instance book could not be read or written; retrying"),
            }
        }
    })
}

/// What describe calls said of some instances of one cloud and region.
#[derive(Debug, Default)]
pub struct Described {
    /// The instances reported, by id.
    pub reports: BTreeMap<String, InstanceReport>,
    /// Whether every call answered (only then does a missing id mean the cloud no longer knows it).
    pub complete: bool,
    /// Whether the cloud answered with a throttling code.
    pub throttled: bool,
    /// Calls made.
    pub calls: u32,
}

/// Describes `ids` of one cloud and region, ≤100 a call, each call sent once; `None` without credentials.
pub async fn describe(state: &AppState, cloud: Cloud, region: &str, ids: &[String]) -> Option<Described> {
    let credentials = state.credentials.get(cloud)?;
    let mut described = Described {
        complete: true,
        ..Described::default()
    };
    for batch in batches(ids) {
        let mut request = wire(cloud).describe_instances(region, batch);
        if state.config.endpoints.route(cloud, &mut request).is_err() {
            described.complete = false;
            break;
        }
        described.calls += 1;
        // Once: the follower itself decides when to ask again (and backs off while the cloud throttles).
        let exchange = match state
            .upstream
            .send_once(cloud, &request, &credentials.credentials)
            .await
        {
            Ok(exchange) => exchange,
            Err(error) => {
                tracing::warn!(%cloud, %error, "describe could not be sent");
                described.complete = false;
                break;
            }
        };
        let Exchange::Answered { body, status } = exchange else {
            described.complete = false;
            break;
        };
        let reading = wire(cloud).read_instances(&body);
        let page = matches!(reading, DescribeReading::Page(_));
        match reading {
            // Only a successful answer reports which instances exist; a list in any other is no report at all.
            DescribeReading::Reported(_) | DescribeReading::Page(_) if !(200..300).contains(&status) => {
                tracing::warn!(%cloud, status, "describe answered with an HTTP error");
                described.throttled |= status == 429;
                described.complete = false;
                break;
            }
            DescribeReading::Reported(found) | DescribeReading::Page(found) => {
                // A page of more says nothing of the ids it leaves out — unless it lists every id asked for. And
                // an answer listing instances not asked for was not filtered by the ids (a region's list): what it
                // leaves out says nothing, and what it adds is not this call's to book.
                let paged = page && !batch.iter().all(|id| found.iter().any(|report| &report.id == id));
                if paged || found.iter().any(|report| !batch.contains(&report.id)) {
                    tracing::warn!(%cloud, paged, "describe answered with a page of more, or instances not asked for: read as incomplete");
                    described.complete = false;
                }
                described.reports.extend(
                    found
                        .into_iter()
                        .filter(|report| batch.contains(&report.id))
                        .map(|report| (report.id.clone(), report)),
                );
            }
            DescribeReading::Refused(error) => {
                if spotplan_core::clouds::wire(cloud).is_throttled(&error.code) || status == 429 {
                    described.throttled = true;
                } else {
                    tracing::warn!(%cloud, code = %error.code, message = %error.message, "describe refused");
                }
                described.complete = false;
                break;
            }
        }
    }
    Some(described)
}

/// The longest wait between two describe calls of one poll (see [`poll_spread`]).
pub const MAX_CALL_GAP: Duration = Duration::from_millis(100);

/// Reads the watched instances due — every one but those running and checked within
/// [`crate::config::Config::running_recheck`] — and records what changed, one describe call after another with no
/// wait between them (tests drive the follower poll by poll with this).
pub async fn poll_once(state: &AppState) -> Result<Poll, StoreError> {
    poll_spread(state, Duration::ZERO).await
}

/// [`poll_once`] with its describe calls spread over up to `spread` (at most [`MAX_CALL_GAP`] between two), the
/// book read a page (one call's ids) at a time and each call's changes written as soon as it is read. A large
/// book is work in bulk — 15,000 instances are 150 calls, their answers and as many rows to read and write — and
/// done in one burst it held the CPU and the order log's one writer for a third of a second every poll, so orders
/// that arrived meanwhile waited behind it; spread out, they interleave with it. The gap divides `spread` by the
/// calls the watched instances would take were all of them due, so a poll ends within `spread`. A small book (one
/// call) is read at once.
pub async fn poll_spread(state: &AppState, spread: Duration) -> Result<Poll, StoreError> {
    let recheck_ms = i64::try_from(state.config.running_recheck.as_millis()).unwrap_or(i64::MAX);
    let checked_by = now_unix_millis().saturating_sub(recheck_ms);
    let groups = instance_book::watched_groups(&state.store).await?;
    let most_calls = groups
        .iter()
        .map(|group| group.watched.div_ceil(MAX_IDS_PER_CALL))
        .sum::<usize>();
    let gap = spread
        .checked_div(u32::try_from(most_calls).unwrap_or(u32::MAX).max(1))
        .unwrap_or_default()
        .min(MAX_CALL_GAP);
    let mut poll = Poll::default();
    let mut first_call = true;
    for group in groups {
        let mut after = String::new();
        while !poll.throttled.contains(&group.cloud) {
            if !first_call && !gap.is_zero() {
                tokio::time::sleep(gap).await;
            }
            let rows = instance_book::due_page(
                &state.store,
                checked_by,
                group.cloud,
                &group.region,
                &after,
                MAX_IDS_PER_CALL,
            )
            .await?;
            let Some(last) = rows.last() else {
                break;
            };
            after.clone_from(&last.id);
            first_call = false;
            let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
            // Without credentials for the cloud, none of its instances can be read.
            let Some(described) = describe(state, group.cloud, &group.region, &ids).await else {
                break;
            };
            *poll.calls.entry(group.cloud).or_default() += described.calls;
            if described.throttled {
                state.upstream.counters.throttled(group.cloud);
                poll.throttled.push(group.cloud);
            }
            poll.changed += record(state, group.cloud, &rows, described).await?;
            if rows.len() < MAX_IDS_PER_CALL {
                break;
            }
        }
    }
    Ok(poll)
}

/// Records what one describe call said of `rows` (the ids it asked for): the rows that changed in full, the time
/// of the check alone for the others. Returns how many changed.
async fn record(
    state: &AppState,
    cloud: Cloud,
    rows: &[InstanceRow],
    described: Described,
) -> Result<usize, StoreError> {
    let (reports, complete) = (described.reports, described.complete);
    let now = now_unix_millis();
    let (mut changed, mut unchanged) = (Vec::new(), Vec::new());
    for row in rows {
        let next = match reports.get(&row.id) {
            Some(report) if row.state == InstanceState::Releasing => {
                let asked = match &row.release_key {
                    Some(key) => instance_book::release_asked_at(&state.store, key).await?,
                    None => None,
                };
                asked
                    .and_then(|asked| release_not_taken(row, report, asked, now))
                    .unwrap_or_else(|| apply_report(row, report, now))
            }
            Some(report) => apply_report(row, report, now),
            // Only a complete answer says an instance is missing.
            None if complete => apply_missing(row, now),
            None => continue,
        };
        if next
            == (InstanceRow {
                last_checked_ms: next.last_checked_ms,
                ..row.clone()
            })
        {
            unchanged.push(next.id);
        } else {
            changed.push(next);
        }
    }
    let count = changed.len();
    // A check that found nothing new records only its time; each row stands alone, so none waits for another's
    // transaction (on SQLite every write goes through one writer, which orders share).
    if !unchanged.is_empty() {
        instance_book::mark_checked(&state.store, cloud, &unchanged, now).await?;
    }
    if !changed.is_empty() {
        instance_book::save_observed(&state.store, changed).await?;
    }
    Ok(count)
}

/// How long after a release was asked for an instance the cloud still reports running stops reading as
/// "releasing": the release did not take (a batch the cloud refused as a whole for one id already gone, an answer
/// lost), and the instance bills on.
pub const RELEASE_SETTLE_MS: i64 = 10 * 60 * 1000;

/// The row of an instance Spotplan asked to release at `asked_ms` that the cloud still reports running (or
/// noticed for reclaim) [`RELEASE_SETTLE_MS`] later: back to what the cloud says, named as a release that did not
/// take, so it counts as billing again and can be released again. `None` while the release may still be taking.
pub fn release_not_taken(
    row: &InstanceRow,
    report: &InstanceReport,
    asked_ms: i64,
    now_ms: i64,
) -> Option<InstanceRow> {
    // Any state of an instance that still exists: a stopped one (an Alibaba spot stopped by its reclaim, a
    // Tencent or Baidu instance shut down) keeps its disks billing, and left "releasing" it could never be
    // released again.
    if row.state != InstanceState::Releasing
        || !matches!(
            report.state,
            InstanceState::Running | InstanceState::BeingReclaimed | InstanceState::Stopped | InstanceState::Pending
        )
        || now_ms - asked_ms < RELEASE_SETTLE_MS
    {
        return None;
    }
    let mut released = row.clone();
    released.state = InstanceState::Running;
    let mut next = apply_report(&released, report, now_ms);
    next.reason = Some(format!(
        "the release ({}) did not take: {} still reports it {} {} minutes later; it exists and bills — release it \
         again",
        row.release_key.as_deref().unwrap_or("unnamed"),
        row.cloud.display_name(),
        report.cloud_state,
        (now_ms - asked_ms) / 60_000
    ));
    // The key stays: the follower's writes never change a row's release key (see `instance_book::save_observed`).
    Some(next)
}

/// How much earlier than its booking the cloud must have created an instance for Spotplan to count its cost from
/// the creation time: more than the minute Alibaba's whole-minute creation times can be off by, and the seconds an
/// order's answer takes. Also how long a gap between two polls of a pending instance must be for its start to
/// count from the earlier poll (far longer than the polls' rhythm).
const BOOKED_LATE_MS: i64 = 5 * 60 * 1000;

/// The row after a describe reported the instance.
pub fn apply_report(row: &InstanceRow, report: &InstanceReport, now_ms: i64) -> InstanceRow {
    let mut next = row.clone();
    next.cloud_state = Some(report.cloud_state.clone());
    next.zone = report.zone.clone().or(next.zone);
    next.instance_type = report.instance_type.clone().or(next.instance_type);
    next.last_checked_ms = Some(now_ms);
    if report.reason.is_some() {
        next.reason = report.reason.clone();
    }
    // When it started running: at this poll — or, when Spotplan sees it for the first time already running and the
    // cloud created it well before Spotplan booked it (found by the settler an hour on, booked by the sweep, watched
    // from elsewhere), when the cloud says it was created, so its cost so far and a month's budget count the hours
    // before it was booked (never after now). An ordinary order's instance, created about when it was booked, starts
    // at the poll as before (Alibaba's creation time has whole minutes only).
    let created_before_booking = report
        .created_at
        .map(|created_s| created_s.saturating_mul(1000))
        .filter(|created_ms| row.last_checked_ms.is_none() && *created_ms < row.placed_at_ms - BOOKED_LATE_MS);
    // Seen pending before, but not for longer than the polls' rhythm allows (the proxy was stopped, leadership
    // moved, throttling backed off): it started running somewhere in the gap, so from the last poll that saw it
    // pending — or its creation, when later — not from this poll, which would leave the gap's hours out.
    let after_a_gap = row
        .last_checked_ms
        .filter(|checked_ms| row.running_since_ms.is_none() && now_ms - checked_ms > BOOKED_LATE_MS)
        .map(|checked_ms| {
            report
                .created_at
                .map_or(checked_ms, |created_s| checked_ms.max(created_s.saturating_mul(1000)))
        });
    let since = created_before_booking
        .or(after_a_gap)
        .map_or(now_ms, |start_ms| start_ms.min(now_ms));
    let started = |next: &mut InstanceRow| {
        next.running_since_ms.get_or_insert(since);
    };
    match report.state {
        // A release asked for stays "releasing" until the cloud no longer reports the instance (and an instance
        // seen running or stopped meanwhile exists: its cost counts from then).
        _ if row.state == InstanceState::Releasing && report.state != InstanceState::Gone => {
            if matches!(
                report.state,
                InstanceState::Running | InstanceState::BeingReclaimed | InstanceState::Stopped
            ) {
                started(&mut next);
            }
        }
        // The cloud is ending an instance Spotplan did not release (Tencent's `TERMINATING`): a reclaim, or a release
        // from elsewhere — never recorded as Spotplan's own release.
        InstanceState::Releasing => {
            next.notice_at_ms.get_or_insert(now_ms);
            next.reason.get_or_insert_with(|| {
                format!(
                    "{} is ending it ({}) without a release from Spotplan: read as a reclaim",
                    row.cloud.display_name(),
                    report.cloud_state
                )
            });
            next.state = InstanceState::BeingReclaimed;
        }
        InstanceState::Running => {
            started(&mut next);
            next.state = InstanceState::Running;
        }
        InstanceState::BeingReclaimed => {
            started(&mut next);
            next.notice_at_ms.get_or_insert(now_ms);
            next.state = InstanceState::BeingReclaimed;
        }
        // Taken back (Alibaba: stopped, locked `Recycling`): it ran, so its clock starts if no poll saw it running.
        InstanceState::Reclaimed => {
            started(&mut next);
            next.notice_at_ms.get_or_insert(now_ms);
            next.ended_at_ms.get_or_insert(now_ms);
            next.state = InstanceState::Reclaimed;
        }
        InstanceState::LaunchFailed => {
            next.ended_at_ms.get_or_insert(now_ms);
            next.state = InstanceState::LaunchFailed;
        }
        InstanceState::Gone => {
            // An open stop ends at its last sighting, before `next` carries this poll's time.
            end_pause(&mut next, row);
            return apply_missing(&next, now_ms);
        }
        // A stopped instance exists and, unless the cloud says otherwise, bills: seen first stopped, its clock
        // starts too (its time stopped without charge is then left out).
        InstanceState::Stopped => {
            started(&mut next);
            next.state = InstanceState::Stopped;
        }
        other => next.state = other,
    }
    // A stop without charge (Alibaba's economical mode) is not billed from the poll that first saw it — once the
    // clock runs, so every stop lies inside the time counted; whatever the cloud reports next ends it, at the last
    // poll that still saw it stopped — the time after is counted, so a cost is never understated.
    if report.state == InstanceState::Stopped && report.stopped_without_charge && next.running_since_ms.is_some() {
        next.paused_since_ms.get_or_insert(now_ms);
    } else {
        end_pause(&mut next, row);
    }
    next
}

/// Ends a stop without charge at `row`'s last check: the last poll that saw it stopped (so the time after, which
/// the cloud may have billed, is counted).
pub fn end_pause(next: &mut InstanceRow, row: &InstanceRow) {
    if let Some(since) = next.paused_since_ms.take() {
        let last_seen_stopped = row.last_checked_ms.unwrap_or(since);
        next.paused_ms = next.paused_ms.saturating_add((last_seen_stopped - since).max(0));
    }
}

/// The row after a complete describe did not report the instance: released if Spotplan released it, reclaimed if
/// a notice was seen, or (on Tencent and Baidu, which expose no reclaim flag) a spot instance that vanished without
/// a release reads as reclaimed; gone otherwise. A new instance gets [`CREATION_LAG_MS`] to appear.
pub fn apply_missing(row: &InstanceRow, now_ms: i64) -> InstanceRow {
    let mut next = row.clone();
    next.last_checked_ms = Some(now_ms);
    end_pause(&mut next, row);
    if row.state == InstanceState::Pending && now_ms - row.placed_at_ms < CREATION_LAG_MS {
        return next;
    }
    next.ended_at_ms.get_or_insert(now_ms);
    // The cloud no longer reports it: it has no state of its own to show any more.
    next.cloud_state = None;
    next.state = match row.state {
        InstanceState::Releasing => InstanceState::Released,
        InstanceState::BeingReclaimed => InstanceState::Reclaimed,
        _ if !spotplan_core::clouds::wire(row.cloud).flags_reclaims() && row.running_since_ms.is_some() => {
            next.reason.get_or_insert_with(|| {
                format!(
                    "gone without a release from Spotplan; {} exposes no reclaim flag, so this reads as a reclaim",
                    row.cloud.display_name()
                )
            });
            InstanceState::Reclaimed
        }
        _ => InstanceState::Gone,
    };
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cloud: Cloud, state: InstanceState) -> InstanceRow {
        InstanceRow {
            state,
            ..InstanceRow::placed(cloud, "r", "i-1", "ord-1", None, 1_000)
        }
    }

    fn report(state: InstanceState) -> InstanceReport {
        InstanceReport {
            id: "i-1".into(),
            cloud_state: "X".into(),
            state,
            zone: Some("z".into()),
            instance_type: None,
            created_at: None,
            reason: None,
            stopped_without_charge: false,
        }
    }

    #[test]
    fn an_instance_first_seen_running_counts_from_when_the_cloud_created_it() {
        let created = InstanceReport {
            created_at: Some(60),
            ..report(InstanceState::Running)
        };
        // Booked an hour late (found by the settler, the sweep, a watch): its hours before the booking count.
        let mut booked_late = row(Cloud::Tencent, InstanceState::Pending);
        booked_late.placed_at_ms = 3_660_000;
        let late = apply_report(&booked_late, &created, 7_200_000);
        assert_eq!(late.running_since_ms, Some(60_000));
        // Seen pending before: it started running at the poll that first saw it running.
        let mut seen = booked_late.clone();
        seen.last_checked_ms = Some(7_000_000);
        assert_eq!(
            apply_report(&seen, &created, 7_200_000).running_since_ms,
            Some(7_200_000)
        );
        // Seen pending, then nothing for hours (the proxy stopped): from the last poll that saw it pending, or its
        // creation when later — not from the first poll after the gap.
        let mut gap = booked_late.clone();
        gap.last_checked_ms = Some(30_000);
        assert_eq!(apply_report(&gap, &created, 8 * HOUR).running_since_ms, Some(60_000));
        gap.last_checked_ms = Some(90_000);
        assert_eq!(apply_report(&gap, &created, 8 * HOUR).running_since_ms, Some(90_000));
        let unknown_creation = report(InstanceState::Running);
        assert_eq!(
            apply_report(&gap, &unknown_creation, 8 * HOUR).running_since_ms,
            Some(90_000)
        );
        // First seen after the gap already taken back: it ran in the gap, and that counts.
        let taken = apply_report(&gap, &report(InstanceState::Reclaimed), 8 * HOUR);
        assert_eq!(
            (taken.running_since_ms, taken.ended_at_ms),
            (Some(90_000), Some(8 * HOUR))
        );
        // An ordinary order's instance, created about when it was booked: from the poll, never before placement.
        let mut ordinary = row(Cloud::Tencent, InstanceState::Pending);
        ordinary.placed_at_ms = 100_000;
        assert_eq!(
            apply_report(&ordinary, &created, 7_200_000).running_since_ms,
            Some(7_200_000)
        );
    }

    const HOUR: i64 = 3_600_000;

    #[test]
    fn a_stop_without_charge_is_not_billed_and_its_end_is_the_last_poll_that_saw_it() {
        let price = spotplan_core::Money::parse("0.50", spotplan_core::Currency::Cny).unwrap();
        let mut placed = row(Cloud::Alibaba, InstanceState::Pending);
        placed.price_per_hour = Some(price);
        let running = apply_report(&placed, &report(InstanceState::Running), 0);
        let economical = InstanceReport {
            stopped_without_charge: true,
            ..report(InstanceState::Stopped)
        };
        // Reclaimed with the Stop behaviour at 2 h, still stopped at 12 h: 2 h billed, 1.00 CNY.
        let stopped = apply_report(&running, &economical, 2 * HOUR);
        let still = apply_report(&stopped, &economical, 12 * HOUR);
        let cost = |row: &InstanceRow, at: i64| row.view(at).cost_so_far.unwrap().amount.normalize().to_string();
        assert_eq!(cost(&still, 12 * HOUR), "1");
        assert_eq!(still.state, InstanceState::Stopped);
        // Started again, first seen running at 13 h: the hour since the last poll that saw it stopped counts.
        let back = apply_report(&still, &report(InstanceState::Running), 13 * HOUR);
        assert_eq!((back.paused_ms, back.paused_since_ms), (10 * HOUR, None));
        assert_eq!(cost(&back, 15 * HOUR), "2.5");
        // Stopped without charge again, then gone: the stop ends at its last sighting, the end at the first poll
        // that missed it.
        let again = apply_report(&back, &economical, 15 * HOUR);
        let gone = apply_missing(&apply_report(&again, &economical, 20 * HOUR), 21 * HOUR);
        assert_eq!(gone.ended_at_ms, Some(21 * HOUR));
        assert_eq!(cost(&gone, 30 * HOUR), "3");
        // A stop the cloud does not say is without charge (Tencent's spot, Baidu) bills on.
        let billing = apply_report(&running, &report(InstanceState::Stopped), 2 * HOUR);
        assert_eq!(cost(&billing, 12 * HOUR), "6");
        assert!(billing.view(12 * HOUR).bills_now() && !still.view(12 * HOUR).bills_now());
    }

    #[test]
    fn a_release_that_finds_it_stopped_without_charge_starts_its_clock_before_any_stop() {
        let price = spotplan_core::Money::parse("1", spotplan_core::Currency::Cny).unwrap();
        let mut releasing = row(Cloud::Alibaba, InstanceState::Releasing);
        releasing.price_per_hour = Some(price);
        let economical = InstanceReport {
            stopped_without_charge: true,
            ..report(InstanceState::Stopped)
        };
        let stopped = apply_report(&releasing, &economical, HOUR);
        assert_eq!(
            (stopped.state, stopped.running_since_ms, stopped.paused_since_ms),
            (InstanceState::Releasing, Some(HOUR), Some(HOUR))
        );
        assert!(
            !stopped.view(2 * HOUR).bills_now(),
            "being released, stopped without charge"
        );
        // The release did not take; it is started again and first seen running at 3 h, last seen stopped at 2 h.
        let seen = apply_report(&stopped, &economical, 2 * HOUR);
        let mut back = seen.clone();
        back.state = InstanceState::Running;
        let back = apply_report(&back, &report(InstanceState::Running), 3 * HOUR);
        assert_eq!(back.paused_ms, HOUR);
        assert_eq!(
            back.view(4 * HOUR).cost_so_far.unwrap().amount.normalize().to_string(),
            "2"
        );
    }

    #[test]
    fn an_instance_first_seen_stopped_bills_from_then() {
        let price = spotplan_core::Money::parse("1.20", spotplan_core::Currency::Cny).unwrap();
        let mut placed = row(Cloud::Tencent, InstanceState::Pending);
        placed.price_per_hour = Some(price);
        let stopped = apply_report(&placed, &report(InstanceState::Stopped), HOUR);
        assert_eq!(stopped.running_since_ms, Some(HOUR));
        assert_eq!(
            stopped
                .view(3 * HOUR)
                .cost_so_far
                .unwrap()
                .amount
                .normalize()
                .to_string(),
            "2.4"
        );
    }

    #[test]
    fn running_starts_the_clock_once_and_a_notice_is_kept() {
        let running = apply_report(
            &row(Cloud::Alibaba, InstanceState::Pending),
            &report(InstanceState::Running),
            5_000,
        );
        assert_eq!(
            (running.state, running.running_since_ms),
            (InstanceState::Running, Some(5_000))
        );
        let again = apply_report(&running, &report(InstanceState::Running), 9_000);
        assert_eq!(again.running_since_ms, Some(5_000));
        let notice = apply_report(&again, &report(InstanceState::BeingReclaimed), 10_000);
        assert_eq!(
            (notice.state, notice.notice_at_ms),
            (InstanceState::BeingReclaimed, Some(10_000))
        );
        let gone = apply_missing(&notice, 400_000);
        assert_eq!(
            (gone.state, gone.ended_at_ms),
            (InstanceState::Reclaimed, Some(400_000))
        );
    }

    #[test]
    fn an_instance_the_cloud_ends_without_a_release_from_spotplan_is_reclaimed_not_released() {
        let mut running = row(Cloud::Tencent, InstanceState::Running);
        running.running_since_ms = Some(2_000);
        let ending = apply_report(&running, &report(InstanceState::Releasing), 5_000);
        assert_eq!(
            (ending.state, ending.notice_at_ms),
            (InstanceState::BeingReclaimed, Some(5_000))
        );
        assert_eq!(apply_missing(&ending, 9_000).state, InstanceState::Reclaimed);
        // A release Spotplan asked for that the cloud still reports running: the clock starts.
        let releasing = apply_report(
            &row(Cloud::Tencent, InstanceState::Releasing),
            &report(InstanceState::Running),
            6_000,
        );
        assert_eq!(
            (releasing.state, releasing.running_since_ms),
            (InstanceState::Releasing, Some(6_000))
        );
    }

    #[test]
    fn a_release_the_cloud_never_acted_on_is_named_and_bills_again_after_ten_minutes() {
        let mut releasing = row(Cloud::Tencent, InstanceState::Releasing);
        releasing.release_key = Some("rel-1".into());
        releasing.running_since_ms = Some(1_000);
        let running = report(InstanceState::Running);
        assert_eq!(
            release_not_taken(&releasing, &running, 2_000, 2_000 + RELEASE_SETTLE_MS - 1),
            None
        );
        let back = release_not_taken(&releasing, &running, 2_000, 2_000 + RELEASE_SETTLE_MS).unwrap();
        assert_eq!(
            (back.state, back.release_key.as_deref()),
            (InstanceState::Running, Some("rel-1"))
        );
        assert!(back.reason.unwrap().contains("rel-1"));
        // A stopped instance still exists (its disks bill): left releasing, it could never be released again.
        let stopped = release_not_taken(
            &releasing,
            &report(InstanceState::Stopped),
            2_000,
            2_000 + RELEASE_SETTLE_MS,
        )
        .unwrap();
        assert_eq!(stopped.state, InstanceState::Stopped);
        // Terminating, or not releasing at all: nothing to undo.
        assert_eq!(
            release_not_taken(&releasing, &report(InstanceState::Releasing), 0, RELEASE_SETTLE_MS * 2),
            None
        );
        assert_eq!(
            release_not_taken(
                &row(Cloud::Tencent, InstanceState::Running),
                &running,
                0,
                RELEASE_SETTLE_MS * 2
            ),
            None
        );
    }

    #[test]
    fn a_release_is_confirmed_when_the_instance_is_gone() {
        let releasing = row(Cloud::Tencent, InstanceState::Releasing);
        let still = apply_report(&releasing, &report(InstanceState::Running), 2_000);
        assert_eq!(still.state, InstanceState::Releasing);
        let released = apply_missing(&releasing, 2_000);
        assert_eq!((released.state, released.cloud_state), (InstanceState::Released, None));
    }

    #[test]
    fn a_new_instance_gets_time_to_appear_and_a_vanished_one_is_named_honestly() {
        let pending = row(Cloud::Baidu, InstanceState::Pending);
        assert_eq!(apply_missing(&pending, 2_000).state, InstanceState::Pending);
        assert_eq!(
            apply_missing(&pending, 1_000 + CREATION_LAG_MS).state,
            InstanceState::Gone
        );
        let mut running = row(Cloud::Baidu, InstanceState::Running);
        running.running_since_ms = Some(1_500);
        let vanished = apply_missing(&running, 90_000);
        assert_eq!(vanished.state, InstanceState::Reclaimed);
        assert!(vanished.reason.unwrap().contains("exposes no reclaim flag"));
        let mut alibaba = row(Cloud::Alibaba, InstanceState::Running);
        alibaba.running_since_ms = Some(1_500);
        assert_eq!(apply_missing(&alibaba, 90_000).state, InstanceState::Gone);
    }
}
