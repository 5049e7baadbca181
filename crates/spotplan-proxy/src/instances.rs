//! `GET /api/v1/instances` and `POST /api/v1/instances/release`: the instance book as the API shows it (cost so
//! far as of the answer), and releases sent exactly once — logged under their idempotency key before anything is
//! sent, each cloud's release call sent once per batch of ≤100 ids (never retried: Tencent's takes no token), an
//! answer that may mean the cloud acted recorded as unknown and settled by the follower's next describe.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::{Extension, Json};
use spotplan_core::Cloud;
use spotplan_core::api::instances::{
    DiscoverBody, InstanceRef, InstancesAnswer, InstancesQuery, ReclaimRecord, ReclaimsAnswer, ReleaseAnswer,
    ReleaseBody, ReleaseOutcome, ReleaseResult, WatchAnswer, WatchBody, is_instance_id,
};
use spotplan_core::clouds::wire;
use spotplan_core::lifecycle::{InstanceState, ReleaseOptions, ReleaseReading, batches};
use spotplan_core::order::idempotency::check_idempotency_key;

use crate::AppState;
use crate::error::ApiError;
use crate::instance_book::{self, InstanceRow};
use crate::security::Caller;
use crate::store::StoreError;
use crate::upstream::{Exchange, now_unix_millis};

/// Handles `GET /api/v1/instances?placed_by=…`: each instance with who placed its order (team mode).
pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<InstancesQuery>,
) -> Result<Json<InstancesAnswer>, ApiError> {
    let now_ms = now_unix_millis();
    let listing = instance_book::Listing {
        placed_by: query.placed_by.as_deref(),
        ended_since_ms: query.ended_since_ms,
    };
    let (rows, ended_earlier) = instance_book::listed(&state.store, listing).await?;
    let instances = rows
        .into_iter()
        .map(|(row, placed_by)| spotplan_core::api::instances::InstanceView {
            placed_by,
            ..row.view(now_ms)
        })
        .collect();
    Ok(Json(InstancesAnswer {
        instances,
        now_ms,
        ended_earlier,
    }))
}

/// Handles `POST /api/v1/instances/watch`: spot instances started outside Spotplan join the book (no order, no
/// price) once the region's spot list shows them, and the follower reads them from its next poll. An id the list
/// does not show (an on-demand instance, a typo, another region's) is left out and counted in `not_spot`.
pub async fn watch(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<WatchBody>,
) -> Result<Json<WatchAnswer>, ApiError> {
    operator_only(&caller, "add instances started elsewhere to the team's instance book")?;
    let bad = |field: &str, message: String| ApiError::BadRequest {
        code: "invalid_watch",
        message,
        field: Some(field.into()),
    };
    crate::endpoints::check_region(&body.region).map_err(|error| bad("region", error.to_string()))?;
    if !(1..=spotplan_core::lifecycle::MAX_IDS_PER_CALL).contains(&body.ids.len()) {
        return Err(bad(
            "ids",
            format!("give 1 to 100 instance ids, not {}", body.ids.len()),
        ));
    }
    if let Some(id) = body.ids.iter().find(|id| !is_instance_id(id)) {
        return Err(bad(
            "ids",
            format!(
                "`{}` is not an instance id (1–128 letters, digits, -, _ or .)",
                id.chars().take(40).collect::<String>()
            ),
        ));
    }
    let Some(credentials) = state.credentials.get(body.cloud) else {
        return Err(ApiError::NoCredentials {
            cloud: body.cloud,
            hint: wire(body.cloud).credential_names().hint,
        });
    };
    let book = instance_book::all(&state.store).await?;
    let (known, asked): (Vec<String>, Vec<String>) = body
        .ids
        .iter()
        .cloned()
        .partition(|id| book.iter().any(|row| row.cloud == body.cloud && &row.id == id));
    if asked.is_empty() {
        return Ok(Json(WatchAnswer {
            added: Vec::new(),
            known,
            not_spot: 0,
        }));
    }
    // Only a spot instance the cloud lists in that region joins the book: the book is what a release may act on,
    // and an id typed in must not make an on-demand server (or another account's id) releasable.
    let listed = list_spot(&state, body.cloud, &body.region, &credentials.credentials).await?;
    let spot = listed.spot;
    let missing: Vec<&String> = asked
        .iter()
        .filter(|id| !spot.iter().any(|report| &report.id == *id))
        .collect();
    if !listed.complete && !missing.is_empty() {
        // Not found in a list read only in part: it may be a spot instance further on, so "not spot" would be a
        // guess.
        return Err(list_incomplete(
            body.cloud,
            &body.region,
            &format!("{missing:?} not in what was read"),
        ));
    }
    let now = now_unix_millis();
    let (mut added, mut rows) = (Vec::new(), Vec::new());
    for id in &asked {
        let Some(report) = spot.iter().find(|report| &report.id == id) else {
            continue;
        };
        let mut row = InstanceRow::placed(body.cloud, &body.region, id, "", None, now);
        row.order_id = None;
        rows.push(crate::follower::apply_report(&row, report, now));
        added.push(id.clone());
    }
    // Added if absent: a row booked or released while the list was read stays as it is.
    instance_book::add_found(&state.store, rows).await?;
    Ok(Json(WatchAnswer {
        not_spot: u32::try_from(asked.len() - added.len()).unwrap_or(u32::MAX),
        added,
        known,
    }))
}

/// The most pages a region's list is read to (100 instances a page).
pub const MAX_DISCOVER_PAGES: usize = 50;

/// A region's list as read: its spot instances, how many it showed that are not spot, and whether every page was
/// read (at most [`MAX_DISCOVER_PAGES`]).
struct SpotList {
    spot: Vec<spotplan_core::lifecycle::InstanceReport>,
    not_spot: usize,
    complete: bool,
}

/// The refusal of a watch or discovery whose region lists more than Spotplan reads: nothing is added.
fn list_incomplete(cloud: Cloud, region: &str, what: &str) -> ApiError {
    ApiError::Rejected {
        status: StatusCode::BAD_GATEWAY,
        code: "list_incomplete",
        message: format!(
            "{} lists more than {} instances in {region}; Spotplan read that many ({what}): nothing was added",
            cloud.display_name(),
            MAX_DISCOVER_PAGES * 100
        ),
        field: Some("region".into()),
    }
}

/// The region's spot instances, with the cloud's own list call (100 a page, at most [`MAX_DISCOVER_PAGES`]), and how
/// many instances the list showed that are not spot. Refused (502) when the cloud does not answer or refuses.
async fn list_spot(
    state: &AppState,
    cloud: Cloud,
    region: &str,
    credentials: &spotplan_sign::Credentials,
) -> Result<SpotList, ApiError> {
    let (mut found, mut not_spot) = (Vec::new(), 0usize);
    let mut page: Option<String> = None;
    for _ in 0..MAX_DISCOVER_PAGES {
        let mut request = wire(cloud).spot_list_request(region, page.as_deref());
        state
            .config
            .endpoints
            .route(cloud, &mut request)
            .map_err(|error| ApiError::Internal(error.into()))?;
        let exchange = state
            .upstream
            .send_once(cloud, &request, credentials)
            .await
            .map_err(|error| ApiError::Internal(error.into()))?;
        let Exchange::Answered { body: answer, .. } = exchange else {
            return Err(ApiError::Rejected {
                status: StatusCode::BAD_GATEWAY,
                code: "cloud_unreachable",
                message: format!(
                    "{} did not answer the instance list; nothing was added",
                    cloud.display_name()
                ),
                field: None,
            });
        };
        let listed = wire(cloud)
            .read_spot_list(page.as_deref(), &answer)
            .map_err(|error| ApiError::Rejected {
                status: StatusCode::BAD_GATEWAY,
                code: "cloud_refused",
                message: format!(
                    "{} refused the instance list: {error}; nothing was added",
                    cloud.display_name()
                ),
                field: None,
            })?;
        not_spot += listed.left_out;
        // A list that changes between pages can repeat an instance: each counts once.
        for report in listed.instances {
            if !found
                .iter()
                .any(|known: &spotplan_core::lifecycle::InstanceReport| known.id == report.id)
            {
                found.push(report);
            }
        }
        match listed.next {
            Some(next) => page = Some(next),
            None => {
                return Ok(SpotList {
                    spot: found,
                    not_spot,
                    complete: true,
                });
            }
        }
    }
    Ok(SpotList {
        spot: found,
        not_spot,
        complete: false,
    })
}

/// Handles `POST /api/v1/instances/discover`: lists the region's instances with the cloud's own call, 100 a page,
/// and adds the spot ones the book does not have (no order, no price), counting those left out as not spot.
pub async fn discover(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<DiscoverBody>,
) -> Result<Json<WatchAnswer>, ApiError> {
    operator_only(&caller, "add a region's spot instances to the team's instance book")?;
    crate::endpoints::check_region(&body.region).map_err(|error| ApiError::BadRequest {
        code: "invalid_discover",
        message: error.to_string(),
        field: Some("region".into()),
    })?;
    let cloud = body.cloud;
    let Some(credentials) = state.credentials.get(cloud) else {
        return Err(ApiError::NoCredentials {
            cloud,
            hint: wire(cloud).credential_names().hint,
        });
    };
    let listed = list_spot(&state, cloud, &body.region, &credentials.credentials).await?;
    if !listed.complete {
        // A part presented as the region would leave its other spot instances unwatched without a word: watch
        // them by id instead.
        return Err(list_incomplete(
            cloud,
            &body.region,
            "watch instances by their ids instead",
        ));
    }
    let (found, not_spot) = (listed.spot, listed.not_spot);
    let book = instance_book::all(&state.store).await?;
    let now = now_unix_millis();
    let (mut added, mut known, mut rows) = (Vec::new(), Vec::new(), Vec::new());
    for report in found {
        if book.iter().any(|row| row.cloud == cloud && row.id == report.id) {
            known.push(report.id);
            continue;
        }
        let mut row = InstanceRow::placed(cloud, &body.region, &report.id, "", None, now);
        row.order_id = None;
        row = crate::follower::apply_report(&row, &report, now);
        added.push(report.id);
        rows.push(row);
    }
    // Added if absent: a row booked or released while the list was read stays as it is.
    instance_book::add_found(&state.store, rows).await?;
    Ok(Json(WatchAnswer {
        added,
        known,
        not_spot: u32::try_from(not_spot).unwrap_or(u32::MAX),
    }))
}

/// Handles `GET /api/v1/reclaims`: every instance the book ended as reclaimed, with how long it ran.
pub async fn reclaims(State(state): State<AppState>) -> Result<Json<ReclaimsAnswer>, ApiError> {
    let rows = instance_book::all(&state.store).await?;
    let reclaims = rows
        .into_iter()
        .filter(|row| row.state == InstanceState::Reclaimed)
        .filter_map(|row| {
            let reclaimed_at_ms = row.ended_at_ms?;
            Some(ReclaimRecord {
                // Its time stopped without charge is no time at the market's risk.
                ran_seconds: row.billed_span().billed_ms(reclaimed_at_ms).map(|ms| ms / 1000),
                cloud: row.cloud,
                id: row.id,
                region: row.region,
                zone: row.zone,
                instance_type: row.instance_type,
                running_since_ms: row.running_since_ms,
                notice_at_ms: row.notice_at_ms,
                reclaimed_at_ms,
            })
        })
        .collect();
    Ok(Json(ReclaimsAnswer { reclaims }))
}

/// Team mode: instances started elsewhere join the shared book only by the operator's hand — a person's would
/// be the team's to release with "release all", whoever started them (another team's spot nodes), and each
/// search costs the account's describe quota the follower needs.
fn operator_only(caller: &Caller, what: &str) -> Result<(), ApiError> {
    match caller {
        Caller::Operator => Ok(()),
        Caller::Person(person) => Err(ApiError::Rejected {
            status: StatusCode::FORBIDDEN,
            code: "operator_only",
            message: format!("only the operator's token can {what}, not {person}'s key; nothing changed"),
            field: None,
        }),
    }
}

/// Handles `POST /api/v1/instances/release`.
pub async fn release(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Json(body): Json<ReleaseBody>,
) -> Result<Json<ReleaseAnswer>, ApiError> {
    let key = headers
        .get("idempotency-key")
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| ApiError::BadRequest {
            code: "idempotency_key_required",
            message: "an Idempotency-Key header is required (one per intended release; reuse it on retries)".into(),
            field: Some("Idempotency-Key".into()),
        })?
        .to_owned();
    check_idempotency_key(&key).map_err(|error| ApiError::BadRequest {
        code: "idempotency_key_invalid",
        message: error.to_string(),
        field: Some("Idempotency-Key".into()),
    })?;
    // A fleet's release keys are its own (whoever stopped it): taken first by a person's release, the fleet's next
    // release round would be answered "the key was used for a different release" and its instances would bill on.
    for fleet_key in crate::fleet_release::fleet_keys_of_release_key(&key) {
        if let Some(fleet) = crate::fleet_book::by_key(&state.store, fleet_key).await? {
            return Err(ApiError::BadRequest {
                code: "idempotency_key_reserved",
                message: format!(
                    "idempotency key {key} is a release key of fleet {} (its key, then `_stop_` or `_trim_`, …): \
                     stop the fleet with POST /api/v1/fleets/{}/stop, or release under a key of your own, such as a \
                     UUID",
                    fleet.id, fleet.id
                ),
                field: Some("Idempotency-Key".into()),
            });
        }
    }
    // The work runs in its own task, as an order's does: a client that goes away, or the route's timeout, cannot
    // cut a release off between batches (its rows already say `releasing`, so a new release would skip them).
    let permits = state.detached_release_permits.clone();
    crate::detached::run(&permits, "release", async move {
        release_once(&state, key, body, caller.name(), KeyOwner::Requester).await
    })
    .await
    .map(Json)
}

/// Whose a release key is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOwner {
    /// The person who first asked under it: anyone else's retry is refused.
    Requester,
    /// A fleet's: whoever stops the fleet (its creator, then the operator) asks under the same keys, and the API
    /// refuses them to everyone else before this.
    Fleet,
}

/// Releases what `body` names exactly once under `key`: logged before anything is sent, answered from the log when
/// the key is known (the fleets' stop uses it too).
pub async fn release_once(
    state: &AppState,
    key: String,
    body: ReleaseBody,
    requested_by: Option<String>,
    owner: KeyOwner,
) -> Result<ReleaseAnswer, ApiError> {
    let hash = state
        .install_key
        .order_hash(&serde_json::to_value(&body).map_err(|error| ApiError::Internal(error.into()))?);
    // One release per key at a time, like orders.
    let claim = state.key_locks.claim(&format!("release:{key}"));
    let _guard = claim.lock().await;
    // Team mode: and one replica at a time.
    let _replicas = state.store.hold_key(&format!("release:{key}")).await?;
    if let Some(logged) = instance_book::logged_release(&state.store, &key).await? {
        // A key is its requester's: another person's retry under it is refused before anything is compared or
        // replayed — checked under the key's locks, so a release logged by another person a moment ago counts.
        if owner == KeyOwner::Requester && logged.requested_by != requested_by {
            return Err(conflict(
                "idempotency_key_of_another",
                format!(
                    "idempotency key {key} belongs to a release asked for by {}: only they can retry it; use a key \
                     of your own",
                    logged.requested_by.as_deref().unwrap_or("the operator")
                ),
            ));
        }
        if logged.request_hash != hash {
            return Err(conflict(
                "idempotency_key_reused",
                format!("idempotency key {key} was already used for a different release; use a new key"),
            ));
        }
        return match logged.answer {
            Some(answer) => Ok(ReleaseAnswer {
                replayed: true,
                ..answer
            }),
            // Logged, never answered: the proxy stopped mid-release. The instances stay "releasing" and the
            // follower settles them; nothing is sent twice.
            None => Ok(ReleaseAnswer {
                idempotency_key: key,
                outcomes: logged
                    .targets
                    .into_iter()
                    .map(|target| {
                        unknown(
                            target,
                            "this release's answers are not in the log (the proxy stopped while sending it, or \
                             could not write them yet); the next describe tells",
                        )
                    })
                    .collect(),
                replayed: true,
            }),
        };
    }
    let targets = resolve(state, &body, requested_by.as_deref()).await?;
    let (mut to_send, done): (Vec<InstanceRow>, Vec<InstanceRow>) = targets
        .into_iter()
        .partition(|row| !row.state.is_final() && row.state != InstanceState::Releasing);
    // An order none of whose instances has started is cancelled whole where the cloud can (Baidu's cancelBidOrder);
    // decided before the release is logged, while the book still says pending.
    let cancellable = unfulfilled_orders(state, &mut to_send).await?;
    let logged: Vec<InstanceRow> = to_send
        .iter()
        .chain(cancellable.iter().flat_map(|(_, rows)| rows))
        .cloned()
        .collect();
    let now_ms = now_unix_millis();
    match instance_book::log_release(&state.store, &key, &hash, logged, body.options, now_ms, requested_by).await {
        Err(StoreError::DuplicateKey) => {
            return Err(conflict(
                "release_in_progress",
                format!("a release with key {key} is already running"),
            ));
        }
        other => other?,
    }
    let mut outcomes: Vec<ReleaseOutcome> = done
        .iter()
        .map(|row| ReleaseOutcome {
            cloud: row.cloud,
            id: row.id.clone(),
            result: ReleaseResult::AlreadyGone,
            code: None,
            message: Some(format!("already {}", row.state.id())),
        })
        .collect();
    let mut after = Vec::new();
    for (cloud_order_id, rows) in cancellable {
        let Some(first) = rows.first() else { continue };
        let (cloud, region) = (first.cloud, first.region.clone());
        let token = release_token(
            &key,
            cloud,
            &format!("cancel-{region}"),
            std::slice::from_ref(&cloud_order_id),
        );
        let Some(request) = wire(cloud).cancel_unfulfilled_order(&region, &cloud_order_id, &token) else {
            continue;
        };
        let results = send_once(state, cloud, request, rows.len()).await;
        for (row, (result, code, message)) in rows.iter().zip(results) {
            after.push(after_release(row, &key, result));
            outcomes.push(outcome(cloud, &row.id, result, code, message));
        }
    }
    let mut groups: BTreeMap<(Cloud, String), Vec<InstanceRow>> = BTreeMap::new();
    for row in to_send {
        groups.entry((row.cloud, row.region.clone())).or_default().push(row);
    }
    for ((cloud, region), rows) in groups {
        let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
        for batch in batches(&ids) {
            let results = send_release(state, cloud, &region, batch, &key, body.options).await;
            for (id, (result, code, message)) in batch.iter().zip(results) {
                let Some(row) = rows.iter().find(|row| &row.id == id) else {
                    continue;
                };
                after.push(after_release(row, &key, result));
                outcomes.push(outcome(cloud, id, result, code, message));
            }
        }
    }
    let answer = ReleaseAnswer {
        idempotency_key: key.clone(),
        outcomes,
        replayed: false,
    };
    if let Err(error) = instance_book::finish_release(&state.store, &key, &answer, after.clone()).await {
        // The calls went out: the answer says what the clouds said, and the book takes it once it can (until
        // then a retry under this key reads the release as unanswered and sends nothing again, and this process's
        // resumer leaves it alone). Should another replica's resumer settle it first, its answer stands.
        tracing::error!(%key, %error, "the release's answers are not in the book yet; retrying");
        let (store, answer) = (state.store.clone(), answer.clone());
        crate::write_retry::until_it_lands(&state.pending_writes, release_answer_write(&key), move || {
            let (store, key, answer, after) = (store.clone(), key.clone(), answer.clone(), after.clone());
            async move {
                instance_book::finish_release(&store, &key, &answer, after)
                    .await
                    .map(|_| ())
            }
        });
    }
    Ok(answer)
}

/// The key of the background write of a release's answers in [`crate::write_retry::PendingWrites`].
fn release_answer_write(key: &str) -> String {
    format!("the answers of release {key}")
}

/// How old an unanswered release must be before the background settles it: far past the few seconds its own
/// sending takes (whose key it holds anyway), so only a release whose sender stopped is taken.
pub const RESUME_RELEASES_AFTER: std::time::Duration = std::time::Duration::from_secs(120);

/// Settles unanswered releases every minute for the life of the process, on the replica that leads: a release a
/// crash left unanswered that could not be settled at start (its instances could not be described then), or that
/// another replica left when it died, is sent once it can be — not left billing.
pub fn spawn_release_resumer(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            if !state.leadership.is_leader() {
                continue;
            }
            let before = now_unix_millis() - RESUME_RELEASES_AFTER.as_millis() as i64;
            match resume_unanswered(&state, before).await {
                Ok(0) => {}
                Ok(settled) => tracing::info!(settled, "unanswered releases are settled"),
                Err(error) => tracing::warn!(%error, "could not settle the unanswered releases; retrying"),
            }
        }
    })
}

/// Settles releases logged but never answered (a proxy stopped mid-release, here or on another replica). Their
/// instances are described first: one the cloud no longer reports, or reports terminating, got the release —
/// nothing is sent again; one still running never got it, and it is sent now, once. Only releases logged before
/// `logged_before_ms` are taken, and none whose key is held (being sent, in this process or another replica); one
/// whose instances cannot all be described now (throttled, unreachable) is left for a later call — answered
/// "unknown", it would never be sent, and its instances would bill on; one for a cloud the proxy has no
/// credentials for is answered "unknown" (nothing can be asked). Returns how many releases were settled.
pub async fn resume_unanswered(state: &AppState, logged_before_ms: i64) -> Result<usize, StoreError> {
    let unanswered = instance_book::unanswered_releases(&state.store, logged_before_ms).await?;
    let mut settled = 0;
    for (key, logged) in unanswered {
        // This process's holder of the key is a replay of it (answered "unknown" from the log: it holds the key a
        // moment) or a send of it begun here, older than `logged_before_ms`: waited for, not skipped — skipped, a
        // client retrying the release every moment could keep it from ever being settled at start, and its
        // instances would wait for the minute's resumer. A send that finished meanwhile is seen below.
        let claim = state.key_locks.claim(&format!("release:{key}"));
        let _guard = claim.lock().await;
        // Its answers went back to the caller and are still being written here: sent again, the clouds would get
        // a second call for what the caller was already told.
        if state.pending_writes.contains(&release_answer_write(&key)) {
            continue;
        }
        // Team mode: a replica that is sending this release holds its key; one that died let go of it.
        let Some(_replicas) = state.store.try_hold_key(&format!("release:{key}")).await? else {
            continue;
        };
        // It may have been answered meanwhile.
        if instance_book::logged_release(&state.store, &key)
            .await?
            .is_none_or(|release| release.answer.is_some())
        {
            continue;
        }
        let book = instance_book::all(&state.store).await?;
        let mut groups: BTreeMap<(Cloud, String), Vec<InstanceRow>> = BTreeMap::new();
        for target in &logged.targets {
            // Only rows this release still holds: one a later release took over (the person released it again
            // after this one did not take) is that release's, with its options.
            if let Some(row) = book.iter().find(|row| {
                row.cloud == target.cloud && row.id == target.id && row.release_key.as_deref() == Some(key.as_str())
            }) {
                groups
                    .entry((row.cloud, row.region.clone()))
                    .or_default()
                    .push(row.clone());
            }
        }
        let mut described_groups = Vec::with_capacity(groups.len());
        let mut unreadable = false;
        for ((cloud, region), rows) in groups {
            let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
            // No credentials for the cloud (`None`): nothing can be asked or sent, now or on a later look — the
            // release is answered unknown, its instances left to the follower's note. An incomplete answer
            // (throttled, unreachable) is worth a later look.
            let described = match crate::follower::describe(state, cloud, &region, &ids).await {
                Some(described) => {
                    // A new instance the cloud does not list yet is not gone: it gets the follower's grace to
                    // appear before a missing one reads as released.
                    let now = now_unix_millis();
                    let too_new = rows.iter().any(|row| {
                        !described.reports.contains_key(&row.id)
                            && row.running_since_ms.is_none()
                            && now - row.placed_at_ms < crate::follower::CREATION_LAG_MS
                    });
                    unreadable |= !described.complete || too_new;
                    described
                }
                None => crate::follower::Described::default(),
            };
            described_groups.push((cloud, region, rows, described));
        }
        if unreadable {
            tracing::warn!(%key, "an unanswered release's instances cannot all be described now; tried again later");
            continue;
        }
        settled += 1;
        let (mut outcomes, mut after) = (Vec::new(), Vec::new());
        for (cloud, region, rows, described) in described_groups {
            let now = now_unix_millis();
            let mut resend = Vec::new();
            for row in rows {
                let result = match described.reports.get(&row.id) {
                    None if described.complete => {
                        let mut gone = row.clone();
                        gone.state = InstanceState::Released;
                        crate::follower::end_pause(&mut gone, &row);
                        gone.ended_at_ms.get_or_insert(now);
                        after.push(gone);
                        ReleaseResult::AlreadyGone
                    }
                    None => ReleaseResult::Unknown,
                    Some(report) if matches!(report.state, InstanceState::Releasing | InstanceState::Gone) => {
                        ReleaseResult::Accepted
                    }
                    Some(_) => {
                        resend.push(row);
                        continue;
                    }
                };
                outcomes.push(outcome(cloud, &row.id, result, None, None));
            }
            let resend_ids: Vec<String> = resend.iter().map(|row| row.id.clone()).collect();
            for batch in batches(&resend_ids) {
                let results = send_release(state, cloud, &region, batch, &key, logged.options).await;
                for (id, (result, code, message)) in batch.iter().zip(results) {
                    if let Some(row) = resend.iter().find(|row| &row.id == id) {
                        let mut next = after_release(row, &key, result);
                        // Refused while the cloud describes it running or pending, it is not being released: as
                        // the cloud described it just now, not "releasing" as the log left it (a new release would
                        // find it releasing and send nothing). Stopping or stopped, the first send may have taken
                        // (Alibaba's `Stopping` on the way out), and it stays releasing.
                        if let (ReleaseResult::Refused, Some(report)) = (result, described.reports.get(id))
                            && matches!(report.state, InstanceState::Running | InstanceState::Pending)
                        {
                            let before = InstanceRow {
                                state: if row.running_since_ms.is_some() {
                                    InstanceState::Running
                                } else {
                                    InstanceState::Pending
                                },
                                ..row.clone()
                            };
                            next = InstanceRow {
                                release_key: next.release_key,
                                ..crate::follower::apply_report(&before, report, now)
                            };
                        }
                        after.push(next);
                    }
                    outcomes.push(outcome(cloud, id, result, code, message));
                }
            }
        }
        let answer = ReleaseAnswer {
            idempotency_key: key.clone(),
            outcomes,
            replayed: false,
        };
        instance_book::finish_release(&state.store, &key, &answer, after).await?;
    }
    Ok(settled)
}

/// An instance after its release call: refused, it stays as it was; otherwise it is releasing until a describe
/// confirms it gone.
fn after_release(row: &InstanceRow, key: &str, result: ReleaseResult) -> InstanceRow {
    let mut next = row.clone();
    next.release_key = Some(key.to_owned());
    if result != ReleaseResult::Refused {
        next.state = InstanceState::Releasing;
    }
    next
}

fn outcome(
    cloud: Cloud,
    id: &str,
    result: ReleaseResult,
    code: Option<String>,
    message: Option<String>,
) -> ReleaseOutcome {
    ReleaseOutcome {
        cloud,
        id: id.to_owned(),
        result,
        code,
        message,
    }
}

/// The instances a release names: listed (each must be in the book), an order's, or all that are not gone. Asked
/// by a person (team mode), only instances of orders they placed: `all` means all of theirs, and naming another's
/// instance or order is refused (403) — a person acts on their own; the operator's token on anything.
async fn resolve(state: &AppState, body: &ReleaseBody, person: Option<&str>) -> Result<Vec<InstanceRow>, ApiError> {
    let rows = resolve_all(state, body).await?;
    let Some(person) = person else {
        return Ok(rows);
    };
    let theirs: std::collections::HashSet<String> = state
        .store
        .select(
            "SELECT id FROM orders WHERE placed_by = ?1",
            vec![person.to_owned().into()],
        )
        .await?
        .iter()
        .filter_map(|row| row.text(0))
        .collect();
    let owned = |row: &InstanceRow| row.order_id.as_ref().is_some_and(|id| theirs.contains(id));
    if body.all {
        return Ok(rows.into_iter().filter(owned).collect());
    }
    if let Some(row) = rows.iter().find(|row| !owned(row)) {
        return Err(ApiError::Rejected {
            status: StatusCode::FORBIDDEN,
            code: "not_yours",
            message: format!(
                "{} instance `{}` was not placed by {person}: only the person who placed it, or the operator, can \
                 release it; nothing was sent",
                row.cloud.display_name(),
                row.id
            ),
            field: Some(
                if body.order_id.is_some() {
                    "order_id"
                } else {
                    "instances"
                }
                .into(),
            ),
        });
    }
    Ok(rows)
}

async fn resolve_all(state: &AppState, body: &ReleaseBody) -> Result<Vec<InstanceRow>, ApiError> {
    let asked = usize::from(!body.instances.is_empty()) + usize::from(body.order_id.is_some()) + usize::from(body.all);
    if asked != 1 {
        return Err(ApiError::BadRequest {
            code: "release_target",
            message: "name exactly one of: instances (a list of {cloud, id}), order_id, or all = true".into(),
            field: Some("instances".into()),
        });
    }
    if body.instances.len() > spotplan_core::api::instances::MAX_RELEASE_TARGETS {
        return Err(ApiError::BadRequest {
            code: "too_many_instances",
            message: format!(
                "a release names at most {} instances by id, got {}: name an order's by order_id, or all = true",
                spotplan_core::api::instances::MAX_RELEASE_TARGETS,
                body.instances.len()
            ),
            field: Some("instances".into()),
        });
    }
    let book = instance_book::all(&state.store).await?;
    if let Some(order) = &body.order_id {
        let rows: Vec<InstanceRow> = book
            .into_iter()
            .filter(|row| row.order_id.as_deref() == Some(order))
            .collect();
        if rows.is_empty() {
            return Err(ApiError::OrderNotFound { id: order.clone() });
        }
        return Ok(rows);
    }
    if body.all {
        return Ok(book.into_iter().filter(|row| !row.state.is_final()).collect());
    }
    // Each instance once, however often it is named: a cloud may refuse a release call naming an id twice. The
    // book is indexed once, so a long list costs its length, not its length times the book's.
    let by_ref: std::collections::HashMap<(Cloud, &str), &InstanceRow> =
        book.iter().map(|row| ((row.cloud, row.id.as_str()), row)).collect();
    let mut seen = std::collections::HashSet::new();
    let mut chosen: Vec<InstanceRow> = Vec::new();
    for wanted in &body.instances {
        let row = by_ref
            .get(&(wanted.cloud, wanted.id.as_str()))
            .ok_or_else(|| ApiError::BadRequest {
                code: "unknown_instance",
                message: format!(
                    "{} instance `{}` is not in Spotplan's instance book; only instances it placed can be released",
                    wanted.cloud.display_name(),
                    wanted.id.chars().take(64).collect::<String>()
                ),
                field: Some("instances".into()),
            })?;
        if seen.insert((row.cloud, row.id.as_str())) {
            chosen.push((*row).clone());
        }
    }
    Ok(chosen)
}

/// Sends one release call once, under the token the release `key` gives this batch; the result for each id of
/// the batch. A batch the cloud refuses as a whole because one id is gone or going ("already gone" for every id)
/// released none of them (the clouds refuse the call, not the id: lifecycle-apis §2.3, §5.2), so each id is then
/// asked for on its own, under its own token: the gone ones answer "already gone", the rest are released — read
/// as gone, they would bill on while shown as released. So too a batch the cloud refused for one id's state (a
/// pending one: Tencent `UnsupportedOperation.InstanceStatePending`): the other 99 would bill on until the release
/// is asked again. Asking one by one stops at the cloud's throttling answer, and the ids not asked yet are refused
/// with it (a refusal of the account, a permission, is met by every id, and the throttle bounds how many calls that
/// costs).
async fn send_release(
    state: &AppState,
    cloud: Cloud,
    region: &str,
    ids: &[String],
    key: &str,
    options: ReleaseOptions,
) -> Vec<(ReleaseResult, Option<String>, Option<String>)> {
    let token = release_token(key, cloud, region, ids);
    let request = wire(cloud).release_instances(region, ids, &token, options);
    let results = send_once(state, cloud, request, ids.len()).await;
    let all_gone = results.iter().all(|(result, ..)| *result == ReleaseResult::AlreadyGone);
    let refused_by_the_cloud = |(result, code, _): &(ReleaseResult, Option<String>, Option<String>)| {
        *result == ReleaseResult::Refused
            && code
                .as_deref()
                .is_some_and(|code| !LOCAL_REFUSALS.contains(&code) && !wire(cloud).is_throttled(code))
    };
    let refused = results.iter().all(refused_by_the_cloud);
    if ids.len() < 2 || !(all_gone || refused) {
        return results;
    }
    let mut each = Vec::with_capacity(ids.len());
    for (index, id) in ids.iter().enumerate() {
        let one = std::slice::from_ref(id);
        let token = release_token(key, cloud, region, one);
        let request = wire(cloud).release_instances(region, one, &token, options);
        let answer = send_once(state, cloud, request, 1).await;
        let throttled = answer
            .iter()
            .find(|(result, code, _)| {
                *result == ReleaseResult::Refused && code.as_deref().is_some_and(|code| wire(cloud).is_throttled(code))
            })
            .cloned();
        each.extend(answer);
        // The ids not asked yet are refused as this one was (released none, releasable again): never the batch's
        // "already gone", which would read them as released while they bill.
        if let Some(throttled) = throttled {
            each.extend(std::iter::repeat_n(throttled, ids.len() - index - 1));
            break;
        }
    }
    each
}

/// The refusal codes `send_once` gives without asking the cloud: asking again id by id changes nothing.
const LOCAL_REFUSALS: [&str; 4] = ["no_credentials", "endpoint_refused", "signing", "unreachable"];

/// Sends a release-like call (a release, or the cancellation of an unfulfilled order) once and reads its answer:
/// the same result for each of the `count` instances it covers.
async fn send_once(
    state: &AppState,
    cloud: Cloud,
    mut request: spotplan_core::order::request::HttpRequest,
    count: usize,
) -> Vec<(ReleaseResult, Option<String>, Option<String>)> {
    let every = |result: ReleaseResult, code: Option<String>, message: Option<String>| {
        (0..count)
            .map(|_| (result, code.clone(), message.clone()))
            .collect::<Vec<_>>()
    };
    let Some(credentials) = state.credentials.get(cloud) else {
        return every(
            ReleaseResult::Refused,
            Some("no_credentials".into()),
            Some(format!("no credentials for {cloud}; nothing was sent")),
        );
    };
    if let Err(error) = state.config.endpoints.route(cloud, &mut request) {
        return every(
            ReleaseResult::Refused,
            Some("endpoint_refused".into()),
            Some(error.to_string()),
        );
    }
    match state
        .upstream
        .send_once(cloud, &request, &credentials.credentials)
        .await
    {
        Err(error) => every(
            ReleaseResult::Refused,
            Some("signing".into()),
            Some(format!("{error}; nothing was sent")),
        ),
        Ok(Exchange::NotSent { reason }) => every(
            ReleaseResult::Refused,
            Some("unreachable".into()),
            Some(format!("{reason}; nothing was sent")),
        ),
        Ok(Exchange::NoAnswer { reason }) => every(ReleaseResult::Unknown, None, Some(reason)),
        Ok(Exchange::Answered { status, body }) => match wire(cloud).read_release(&body) {
            ReleaseReading::Accepted if status < 300 => every(ReleaseResult::Accepted, None, None),
            ReleaseReading::AlreadyGone(error) => {
                every(ReleaseResult::AlreadyGone, Some(error.code), Some(error.message))
            }
            // A 5xx, an unreadable answer or a server-side error code may mean the cloud acted: unknown, never
            // "refused" (the row would go back to running and the release that took would read as a reclaim).
            ReleaseReading::Refused(error) if spotplan_core::lifecycle::release_may_have_acted(status, &error) => {
                every(ReleaseResult::Unknown, Some(error.code), Some(error.message))
            }
            ReleaseReading::Refused(error) => every(ReleaseResult::Refused, Some(error.code), Some(error.message)),
            ReleaseReading::Accepted => every(
                ReleaseResult::Unknown,
                None,
                Some(format!("HTTP {status} with no error in the body")),
            ),
        },
    }
}

/// The orders among `rows` the cloud can cancel whole, because none of their instances has started and every one
/// of them is being released: (the order's cloud id, its rows). The rest stay in `rows`.
async fn unfulfilled_orders(
    state: &AppState,
    rows: &mut Vec<InstanceRow>,
) -> Result<Vec<(String, Vec<InstanceRow>)>, StoreError> {
    let mut orders: Vec<String> = rows.iter().filter_map(|row| row.order_id.clone()).collect();
    orders.sort();
    orders.dedup();
    let book = instance_book::all(&state.store).await?;
    let mut cancellable = Vec::new();
    for order in orders {
        let Some(record) = state.store.by_id(&order).await? else {
            continue;
        };
        let Some(cloud_order_id) = record.view.cloud_order_id.clone() else {
            continue;
        };
        let members: Vec<&InstanceRow> = book
            .iter()
            .filter(|row| row.order_id.as_deref() == Some(&order))
            .collect();
        let all_pending_and_asked = members.iter().all(|member| {
            member.state == InstanceState::Pending
                && rows.iter().any(|row| row.cloud == member.cloud && row.id == member.id)
        });
        let cloud = record.view.cloud;
        // Building the call is pure: it tells whether the cloud has one.
        let cloud_cancels = wire(cloud)
            .cancel_unfulfilled_order(&record.view.region, &cloud_order_id, "-")
            .is_some();
        if all_pending_and_asked && !members.is_empty() && cloud_cancels {
            let (taken, rest): (Vec<InstanceRow>, Vec<InstanceRow>) =
                rows.drain(..).partition(|row| row.order_id.as_deref() == Some(&order));
            *rows = rest;
            cancellable.push((cloud_order_id, taken));
        }
    }
    Ok(cancellable)
}

/// The idempotency token of one release batch: stable for the key, so a resend is the same release (≤64 ASCII).
/// The ClientToken of one release call: derived from the release's key and exactly what the call covers (its
/// ids, or the order it cancels), so the same call sent again carries the same token and a call covering other
/// instances — a resume after a crash resending only what still runs — never reuses a token the cloud would
/// answer from its memory of another call.
fn release_token(key: &str, cloud: Cloud, scope: &str, covers: &[String]) -> String {
    use sha2::{Digest, Sha256};
    let mut covers = covers.to_vec();
    covers.sort();
    let digest = Sha256::digest(format!("{key}\n{}\n{scope}\n{}", cloud.id(), covers.join(",")).as_bytes());
    let hex: String = digest.iter().take(20).map(|byte| format!("{byte:02x}")).collect();
    format!("spotplan-release-{hex}")
}

fn unknown(target: InstanceRef, why: &str) -> ReleaseOutcome {
    ReleaseOutcome {
        cloud: target.cloud,
        id: target.id,
        result: ReleaseResult::Unknown,
        code: None,
        message: Some(why.into()),
    }
}

fn conflict(code: &'static str, message: String) -> ApiError {
    ApiError::Rejected {
        status: StatusCode::CONFLICT,
        code,
        message,
        field: Some("Idempotency-Key".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_release_calls_token_follows_what_it_covers() {
        let ids = |list: &[&str]| list.iter().map(|id| (*id).to_owned()).collect::<Vec<_>>();
        let token = |covers: &[String]| release_token("rel-1", Cloud::Baidu, "bj", covers);
        assert_eq!(
            token(&ids(&["i-a", "i-b"])),
            token(&ids(&["i-b", "i-a"])),
            "the same call, the same token"
        );
        assert_ne!(
            token(&ids(&["i-a", "i-b"])),
            token(&ids(&["i-b"])),
            "a resume of part of it: another"
        );
        assert_ne!(
            token(&ids(&["i-a"])),
            release_token("rel-2", Cloud::Baidu, "bj", &ids(&["i-a"])),
            "another release: another"
        );
    }
}
