//! `POST /api/v1/fleets`, `GET /api/v1/fleets`, `GET /api/v1/fleets/{id}` and `POST /api/v1/fleets/{id}/stop`: the
//! HTTP side of fleets, in the core's API types ([`spotplan_core::api::fleets`]). A submission is checked whole —
//! every pool's order valid, real (no dry runs), for a cloud this proxy holds credentials for, in that account's
//! currency, and its first orders within its ceiling — then logged under its idempotency key before any order is
//! placed; [`crate::fleet_keeper`] places and keeps it, and [`crate::fleet_release`] releases a stopped fleet's
//! instances.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use rust_decimal::Decimal;
use spotplan_core::Money;
use spotplan_core::api::fleet_reason::FleetReason;
use spotplan_core::api::fleets::{FleetAnswer, FleetList, FleetState, FleetSubmission, FleetView, StopFleet};
use spotplan_core::order::{Problem, Severity, ValidationContext, validate};

/// The highest hourly ceiling a fleet may have: far above any real fleet, far below where the ceiling arithmetic
/// (decimals up to about 7.9e28) could overflow.
const MAX_CEILING_PER_HOUR: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

use crate::AppState;
use crate::error::ApiError;
use crate::fleet_book::{self, FleetRow};
use crate::fleet_keeper;
use crate::fleet_release::{ReleaseAsker, ReleasePurpose, fleet_instances, release_live};
use crate::security::Caller;
use crate::store::StoreError;
use crate::upstream::{now_unix_millis, random_hex};

/// The most units one fleet may target.
pub const MAX_TARGET: u32 = 10_000;
/// The most pools one fleet may name.
pub const MAX_POOLS: usize = 100;
/// A fleet's key is at most this long, so each order's key (`<key>_s9999`) fits the 48 characters keys may have.
pub const MAX_FLEET_KEY: usize = 40;

fn bad(code: &'static str, field: impl Into<String>, message: String) -> ApiError {
    ApiError::BadRequest {
        code,
        message,
        field: Some(field.into()),
    }
}

fn fleet_key(headers: &HeaderMap) -> Result<String, ApiError> {
    let key = headers
        .get("idempotency-key")
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| {
            bad(
                "idempotency_key_required",
                "Idempotency-Key",
                "an Idempotency-Key header is required (one per intended fleet; reuse it on retries)".into(),
            )
        })?
        .to_owned();
    let ok = (8..=MAX_FLEET_KEY).contains(&key.len())
        && key
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"-_".contains(&byte));
    if !ok {
        return Err(bad(
            "idempotency_key_invalid",
            "Idempotency-Key",
            format!(
                "a fleet's idempotency key must be 8–{MAX_FLEET_KEY} characters of letters, digits, `-` and `_` (a \
                 UUID works; each order's key adds `_s<step>`), got {} characters",
                key.len()
            ),
        ));
    }
    Ok(key)
}

/// Every reason the submission cannot be placed as it stands, checked before anything is logged.
fn check(state: &AppState, spec: &FleetSubmission, now_s: i64) -> Result<(), ApiError> {
    if spec.target == 0 || spec.target > MAX_TARGET {
        return Err(bad(
            "invalid_fleet",
            "target",
            format!("target must be 1–{MAX_TARGET} units, got {}", spec.target),
        ));
    }
    if spec.pools.is_empty() || spec.pools.len() > MAX_POOLS {
        return Err(bad(
            "invalid_fleet",
            "pools",
            format!("a fleet needs 1–{MAX_POOLS} pools, got {}", spec.pools.len()),
        ));
    }
    let mut problems: Vec<Problem> = Vec::new();
    for (index, pool) in spec.pools.iter().enumerate() {
        let field = |name: &str| format!("pools[{index}].{name}");
        let order = &pool.order;
        if pool.weight == 0 {
            return Err(bad(
                "invalid_fleet",
                field("weight"),
                "weight must be at least 1, got 0".into(),
            ));
        }
        // The keeper counts a pool's instances at its weight: one overstated by a script would keep a fleet of
        // 64 vCPUs at 64 four-vCPU instances. Checked against the catalog where it knows the type.
        let known_type = state.catalog().and_then(|catalog| {
            catalog
                .instance_types()
                .iter()
                .find(|known| known.cloud == pool.pool.cloud && known.name == pool.pool.instance_type)
        });
        let expected = match (spec.unit, known_type) {
            (spotplan_core::fleet::TargetUnit::Instances, _) => Some(1),
            (unit, Some(known)) => Some(unit.weight_of(known)),
            (_, None) => None,
        };
        if expected == Some(0) {
            return Err(bad(
                "invalid_fleet",
                field("pool.instance_type"),
                format!(
                    "one {} instance brings less than one whole GiB, so it cannot count toward a target in GiB",
                    pool.pool.instance_type
                ),
            ));
        }
        // A type the catalog does not know: its weight cannot be checked. Taken as given only where the fleet's
        // own ceiling bounds what a wrong one would cost (a weight of 1 for a 16-vCPU type keeps sixteen times the
        // instances). The proxy's ceilings do not: one bounds an order (the keeper places many), the other the
        // last hour's orders (older ones run on uncounted).
        if expected.is_none() && spec.ceiling_per_hour.is_none() {
            return Err(bad(
                "weight_unverifiable",
                field("weight"),
                format!(
                    "the catalog does not know {} {}, so a weight of {} {}s cannot be checked, and no ceiling bounds \
                     what a wrong one would cost: set the fleet's ceiling_per_hour, or target instances",
                    pool.pool.cloud.display_name(),
                    pool.pool.instance_type,
                    pool.weight,
                    spec.unit.label()
                ),
            ));
        }
        if let Some(expected) = expected
            && pool.weight != expected
        {
            return Err(bad(
                "invalid_fleet",
                field("weight"),
                format!(
                    "weight must be {expected} for a target in {}s (what one {} instance brings), got {}",
                    spec.unit.label(),
                    pool.pool.instance_type,
                    pool.weight
                ),
            ));
        }
        // A pool's first order is one order: it must fit the proxy's per-order limit, or the fleet stalls half
        // placed.
        let cap = state.config.spend.max_instances_per_order;
        if pool.count > cap {
            return Err(bad(
                "invalid_fleet",
                field("count"),
                format!(
                    "a pool's first order may start at most {cap} instances (the proxy's per-order limit), got {}",
                    pool.count
                ),
            ));
        }
        // And what it may cost an hour: over the proxy's ceiling for one order, or alone over its hourly ceiling, it
        // would be refused every time it goes out.
        if state.config.spend.has_cost_ceiling() && pool.count > 0 {
            let per_order = state.config.spend.clone();
            let mut first = order.clone();
            first.count = pool.count;
            let fx = &state.config.exchange_rate;
            let bound = crate::spend::hourly_bound(&first, first.account_currency, state.known_prices(), fx);
            if let Err(over) = crate::spend::check(&per_order, &first, bound.as_ref(), &[], fx) {
                let at = match over.field() {
                    "count" => field("count"),
                    other => field(&format!("order.{other}")),
                };
                return Err(bad("fleet_over_ceiling", at, format!("a pool's first order: {over}")));
            }
        }
        if order.dry_run {
            return Err(bad(
                "invalid_fleet",
                field("order.dry_run"),
                "a fleet's orders are real: dry-run a pool's order on its own first".into(),
            ));
        }
        let spec_of = |o: &spotplan_core::order::SpotOrder| {
            o.instance_type
                .clone()
                .or_else(|| o.baidu.as_ref().and_then(|b| b.spec.clone()))
        };
        let unset = || "(none)".to_owned();
        let differences = [
            ("cloud", order.cloud.id().to_owned(), pool.pool.cloud.id().to_owned()),
            ("region", order.region.clone(), pool.pool.region.clone()),
            (
                "zone",
                order.zone.clone().unwrap_or_else(unset),
                pool.pool.zone.clone().unwrap_or_else(unset),
            ),
            (
                "instance_type",
                spec_of(order).unwrap_or_else(unset),
                pool.pool.instance_type.clone(),
            ),
        ];
        if let Some((name, ordered, pooled)) = differences.into_iter().find(|(_, ordered, pooled)| ordered != pooled) {
            return Err(bad(
                "invalid_fleet",
                field(&format!("order.{name}")),
                format!(
                    "the order is not for its pool {}: its {name} is {ordered}, the pool's {pooled}",
                    pool.pool
                ),
            ));
        }
        match state.credentials.get(order.cloud) {
            None => {
                return Err(ApiError::NoCredentials {
                    cloud: order.cloud,
                    hint: crate::exactly_once::credential_hint(order.cloud),
                });
            }
            Some(loaded) if loaded.account_currency != order.account_currency => {
                return Err(bad(
                    "account_currency_mismatch",
                    field("order.account_currency"),
                    format!(
                        "the order's bid is in {} but the {} account pays in {}",
                        order.account_currency,
                        order.cloud.display_name(),
                        loaded.account_currency
                    ),
                ));
            }
            Some(_) => {}
        }
        let mut one = order.clone();
        one.count = pool.count.max(1);
        let validation = validate(
            &one,
            &ValidationContext {
                now: now_s,
                ..ValidationContext::default()
            },
        );
        problems.extend(
            validation
                .problems
                .into_iter()
                .filter(|problem| problem.severity == Severity::Error)
                .map(|mut problem| {
                    problem.field = field(&format!("order.{}", problem.field));
                    problem
                }),
        );
    }
    if !problems.is_empty() {
        return Err(ApiError::InvalidOrder { problems });
    }
    // The first orders are placed whole: together they may pass the target by less than one instance of the
    // heaviest pool (a weight does not divide every target), never by more.
    let first_units: u64 = spec
        .pools
        .iter()
        .map(|pool| u64::from(pool.count) * u64::from(pool.weight))
        .sum();
    let heaviest = spec.pools.iter().map(|pool| u64::from(pool.weight)).max().unwrap_or(1);
    if first_units >= u64::from(spec.target) + heaviest {
        return Err(bad(
            "invalid_fleet",
            "pools",
            format!(
                "the pools' first orders add up to {first_units} units, more than the target of {} needs: lower the \
                 pools' counts",
                spec.target
            ),
        ));
    }
    if let Some(ceiling) = spec.ceiling_per_hour {
        if ceiling.amount <= Decimal::ZERO || ceiling.amount > MAX_CEILING_PER_HOUR {
            return Err(bad(
                "invalid_fleet",
                "ceiling_per_hour",
                format!("the ceiling must be above zero and at most {MAX_CEILING_PER_HOUR} an hour, got {ceiling}"),
            ));
        }
        let mut first = Money::zero(ceiling.currency);
        for (index, pool) in spec.pools.iter().enumerate() {
            let mut one = pool.order.clone();
            one.count = 1;
            let Some(bound) = crate::spend::hourly_bound(
                &one,
                one.account_currency,
                state.known_prices(),
                &state.config.exchange_rate,
            ) else {
                return Err(bad(
                    "ceiling_uncheckable",
                    format!("pools[{index}].order.bid.max_price"),
                    format!(
                        "a ceiling is set, but nothing bounds what {} may cost per hour: give its order a maximum price",
                        pool.pool
                    ),
                ));
            };
            let each = state
                .config
                .exchange_rate
                .convert(bound.per_hour, ceiling.currency)
                .map_err(|error| bad("invalid_fleet", "ceiling_per_hour", error.to_string()))?;
            let pool_first = each.amount.checked_mul(Decimal::from(pool.count)).ok_or_else(|| {
                bad(
                    "invalid_fleet",
                    format!("pools[{index}].order.bid.max_price"),
                    format!(
                        "{} × {} instances per hour is beyond what Spotplan can count",
                        each, pool.count
                    ),
                )
            })?;
            first = first
                .checked_add(Money::new(pool_first, ceiling.currency))
                .map_err(|error| bad("invalid_fleet", "ceiling_per_hour", error.to_string()))?;
        }
        if first.amount > ceiling.amount {
            return Err(bad(
                "fleet_over_ceiling",
                "ceiling_per_hour",
                format!(
                    "the fleet's first orders may cost up to {first} per hour at their bids, above its ceiling of {ceiling}"
                ),
            ));
        }
    }
    Ok(())
}

/// The submission as logged: each password sealed with the install key.
fn sealed(state: &AppState, mut spec: FleetSubmission) -> Result<FleetSubmission, ApiError> {
    for pool in &mut spec.pools {
        if let Some(password) = pool.order.login.password.take() {
            let sealed = state
                .install_key
                .seal(&password)
                .map_err(|error| ApiError::Internal(error.into()))?;
            pool.order.login.password = Some(sealed);
        }
        pool.order.client_token = None;
    }
    Ok(spec)
}

/// The submission as hashed: passwords redacted, so the hash depends on no secret.
fn redacted(spec: &FleetSubmission) -> serde_json::Value {
    let mut spec = spec.clone();
    for pool in &mut spec.pools {
        if pool.order.login.password.is_some() {
            pool.order.login.password = Some("<redacted>".into());
        }
    }
    serde_json::to_value(spec).unwrap_or_default()
}

pub(crate) async fn shown(state: &AppState, fleet: &FleetRow) -> Result<FleetView, ApiError> {
    let steps = fleet_book::steps(&state.store, &fleet.id).await?;
    let tally = fleet_keeper::tally(state, fleet, &steps).await?;
    Ok(fleet_keeper::view(fleet, tally))
}

/// Handles `POST /api/v1/fleets`.
pub async fn submit(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let key = fleet_key(&headers)?;
    let spec: FleetSubmission = serde_json::from_slice(&body).map_err(|error| ApiError::BadRequest {
        code: "malformed_fleet",
        message: format!("the fleet is not a FleetSubmission: {error}; see /api/openapi.json"),
        field: None,
    })?;
    let hash = state.install_key.order_hash(&redacted(&spec));
    // The work runs in its own task: it finishes even if this client goes away.
    let permits = state.detached_work_permits.clone();
    let submitted = crate::detached::run(&permits, "fleet", async move {
        // In any case: two fleets whose keys differ only in case must not both pass the check below.
        let folded = format!("fleet-key:{}", key.to_ascii_lowercase());
        let claim = state.key_locks.claim(&folded);
        let held = claim.lock().await;
        // Team mode: a duplicate sent to another replica waits for this one.
        let replicas = state.store.hold_key(&folded).await?;
        if let Some(existing) = fleet_book::by_key(&state.store, &key).await? {
            drop(replicas);
            drop(held);
            // A key is its creator's: another person's retry under it is refused before anything is compared.
            if existing.created_by != caller.name() {
                return Err(ApiError::Rejected {
                    status: StatusCode::CONFLICT,
                    code: "idempotency_key_of_another",
                    message: format!(
                        "idempotency key {key} belongs to a fleet created by {}: only they can retry it; use a key \
                         of your own",
                        existing.created_by.as_deref().unwrap_or("the operator")
                    ),
                    field: Some("Idempotency-Key".into()),
                });
            }
            if existing.request_hash != hash {
                return Err(ApiError::KeyConflict { key });
            }
            return Ok((StatusCode::OK, advance_and_show(&state, existing).await?, true));
        }
        // A fleet (anyone's: the exact key was answered above) under the key in another case: the two fleets'
        // orders would carry ClientTokens a cloud may not tell apart.
        if let Some(other) = fleet_book::by_key_in_any_case(&state.store, &key)
            .await?
            .into_iter()
            .next()
        {
            let whose = if other.created_by == caller.name() {
                "your fleet".to_owned()
            } else {
                "another person's fleet".to_owned()
            };
            return Err(ApiError::Rejected {
                status: StatusCode::CONFLICT,
                code: "fleet_key_taken",
                message: format!(
                    "{whose} {} uses the key {}, which differs from {key} only in case: the two fleets' orders would \
                     carry ClientTokens a cloud may not tell apart; use another fleet key, such as a UUID",
                    other.id, other.key
                ),
                field: Some("Idempotency-Key".into()),
            });
        }
        if let Some(taken) = order_key_of_another(&state, &key, caller.name().as_deref()).await? {
            return Err(ApiError::Rejected {
                status: StatusCode::CONFLICT,
                code: "fleet_key_taken",
                message: format!(
                    "another person's order already uses {taken}, an order key of this fleet ({key}_s and a step): \
                     the fleet would count and release that order's instances as its own; use another fleet key, \
                     such as a UUID"
                ),
                field: Some("Idempotency-Key".into()),
            });
        }
        let now_ms = now_unix_millis();
        state.catch_up_live_prices().await;
        check(&state, &spec, now_ms / 1000)?;
        check_bounded_pools(&state, &spec, caller.name().as_deref()).await?;
        let fleet = FleetRow {
            id: format!(
                "flt-{}",
                random_hex(8).map_err(|error| ApiError::Internal(error.into()))?
            ),
            key: key.clone(),
            request_hash: hash,
            created_at_ms: now_ms,
            spec: sealed(&state, spec)?,
            state: FleetState::Placing,
            reason: None,
            exhausted: Vec::new(),
            release_on_stop: false,
            created_by: caller.name(),
        };
        match fleet_book::insert(&state.store, &fleet).await {
            Err(StoreError::DuplicateKey) => return Err(ApiError::KeyConflict { key }),
            other => other?,
        }
        drop((held, replicas));
        Ok((StatusCode::CREATED, advance_and_show(&state, fleet).await?, false))
    });
    let (status, fleet, replayed) = submitted.await?;
    Ok((status, Json(FleetAnswer { fleet, replayed })).into_response())
}

/// Where a ceiling (the fleet's, or the proxy's) or a budget bounds the fleet, each pool's order must be one its
/// bound holds for, as each of its orders must when it goes out: disks and public bandwidth within the allowance
/// ([`crate::spend::check_unpriced`]), and a market bid's image one the cloud describes as Linux
/// ([`crate::image_os`]). Refused at submission, not stalled at the first order.
async fn check_bounded_pools(state: &AppState, spec: &FleetSubmission, creator: Option<&str>) -> Result<(), ApiError> {
    let bounded = spec.ceiling_per_hour.is_some()
        || state.config.spend.has_cost_ceiling()
        || crate::people::any_budget(&state.store, creator).await?;
    if !bounded {
        return Ok(());
    }
    for (index, pool) in spec.pools.iter().enumerate() {
        if let Err(over) = crate::spend::check_unpriced(&state.config.spend.unpriced, &pool.order) {
            return Err(bad(
                "fleet_over_ceiling",
                format!("pools[{index}].order.{}", over.field()),
                over.to_string(),
            ));
        }
        match crate::image_os::confirm_market_bid_image(state, &pool.order).await {
            Ok(()) => {}
            Err(ApiError::SpendCeiling { field, message, .. }) => {
                return Err(bad(
                    "ceiling_uncheckable",
                    format!("pools[{index}].order.{field}"),
                    format!("{}: {message}", pool.pool),
                ));
            }
            Err(ApiError::Rejected {
                status,
                code,
                message,
                field,
            }) => {
                return Err(ApiError::Rejected {
                    status,
                    code,
                    message: format!("{}: {message}", pool.pool),
                    field: field.map(|field| format!("pools[{index}].order.{field}")),
                });
            }
            Err(other) => return Err(other),
        }
    }
    Ok(())
}

/// Advances a logged fleet once and shows it as it then stands. From here a failed write may follow orders the
/// cloud took: a log failure says the cloud may have acted.
async fn advance_and_show(state: &AppState, fleet: FleetRow) -> Result<FleetView, ApiError> {
    let logged = after_sending("fleet");
    fleet_keeper::advance(state, &fleet.id).await.map_err(&logged)?;
    let fleet = fleet_book::by_id(&state.store, &fleet.id)
        .await
        .map_err(|source| logged(source.into()))?
        .unwrap_or(fleet);
    shown(state, &fleet).await.map_err(logged)
}

/// Maps a log failure after calls may have gone out (a fleet's orders, a stop's release) to the answer that says
/// so; any other error as it is.
fn after_sending(what: &'static str) -> impl Fn(ApiError) -> ApiError {
    move |error| match error {
        ApiError::Store(source) => ApiError::StoreAfterSending { what, source },
        other => other,
    }
}

/// Handles `GET /api/v1/fleets`.
pub async fn list(State(state): State<AppState>) -> Result<Json<FleetList>, ApiError> {
    let mut fleets = Vec::new();
    for fleet in fleet_book::all(&state.store).await? {
        fleets.push(shown(&state, &fleet).await?);
    }
    Ok(Json(FleetList { fleets }))
}

/// An order key of fleet `fleet_key` (`{fleet_key}_s{step}`) that an order of someone other than `creator` already
/// uses. Orders under a fleet's keys are refused to others once the fleet exists (`orders::submit`); one placed
/// before it would be counted, and released, as the fleet's own.
async fn order_key_of_another(
    state: &AppState,
    fleet_key: &str,
    creator: Option<&str>,
) -> Result<Option<String>, StoreError> {
    let rows = state
        .store
        .select(
            "SELECT idempotency_key FROM orders WHERE LOWER(substr(idempotency_key, 1, length(CAST(?1 AS TEXT)))) = \
             LOWER(CAST(?1 AS TEXT)) AND COALESCE(placed_by, '') <> COALESCE(CAST(?2 AS TEXT), '')",
            vec![format!("{fleet_key}_s").into(), creator.map(str::to_owned).into()],
        )
        .await?;
    Ok(rows
        .iter()
        .filter_map(|row| row.text(0))
        .find(|key| fleet_of_order_key(key).is_some_and(|theirs| theirs.eq_ignore_ascii_case(fleet_key))))
}

/// The fleet key of a fleet order's key (`{fleet key}_s{step}`, the `s` in either case: a key that differs from a
/// fleet's only in case derives a ClientToken that differs only in case), if `key` has that shape.
pub fn fleet_of_order_key(key: &str) -> Option<&str> {
    // ASCII lower-casing keeps every byte where it was, so the split falls at the same place in `key`.
    let at = key.to_ascii_lowercase().rfind("_s")?;
    let (fleet, step) = (&key[..at], &key[at + 2..]);
    (!fleet.is_empty() && !step.is_empty() && step.bytes().all(|b| b.is_ascii_digit())).then_some(fleet)
}

fn not_found(id: &str) -> ApiError {
    ApiError::Rejected {
        status: StatusCode::NOT_FOUND,
        code: "fleet_not_found",
        message: format!("no fleet with id {id}"),
        field: Some("id".into()),
    }
}

/// Handles `GET /api/v1/fleets/{id}`.
pub async fn get(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<FleetAnswer>, ApiError> {
    let fleet = fleet_book::by_id(&state.store, &id)
        .await?
        .ok_or_else(|| not_found(&id))?;
    Ok(Json(FleetAnswer {
        fleet: shown(&state, &fleet).await?,
        replayed: false,
    }))
}

/// Handles `POST /api/v1/fleets/{id}/stop`: no more orders; with `release` (now or at an earlier stop), its live
/// instances are released — each set once, however often the stop is asked for, unless the cloud refused that
/// release (then a stop asked again sends it again) — and a stop asked again releases what orders settled since
/// created. Orders whose outcome is not known yet are named in the fleet's reason.
pub async fn stop(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Json(body): Json<StopFleet>,
) -> Result<Json<FleetAnswer>, ApiError> {
    // A made-up id takes no lock, here or in a shared database: only a fleet that exists is locked (and read again
    // under the lock).
    if fleet_book::by_id(&state.store, &id).await?.is_none() {
        return Err(not_found(&id));
    }
    // The work runs in its own task, as an order's does: a client that goes away, or the route's timeout, cannot
    // cut the stop's release off between batches.
    let permits = state.detached_release_permits.clone();
    crate::detached::run(&permits, "fleet stop", async move {
        stop_held(state, caller, id, body).await
    })
    .await
    .map(Json)
}

/// The stop of fleet `id`, under its lock.
async fn stop_held(state: AppState, caller: Caller, id: String, body: StopFleet) -> Result<FleetAnswer, ApiError> {
    let claim = state.key_locks.claim(&format!("fleet:{id}"));
    let held = claim.lock().await;
    let replicas = state.store.hold_key(&format!("fleet:{id}")).await?;
    let mut fleet = fleet_book::by_id(&state.store, &id)
        .await?
        .ok_or_else(|| not_found(&id))?;
    // A person stops their own fleets; the operator's token any.
    if let Caller::Person(name) = &caller
        && fleet.created_by.as_deref() != Some(name.as_str())
    {
        return Err(ApiError::Rejected {
            status: StatusCode::FORBIDDEN,
            code: "not_yours",
            message: format!(
                "fleet {id} was created by {}: only they, or the operator, can stop it; nothing changed",
                fleet.created_by.as_deref().unwrap_or("the operator")
            ),
            field: None,
        });
    }
    if fleet.state != FleetState::Stopped {
        fleet.state = FleetState::Stopped;
        fleet.reason = Some(FleetReason::Stopped {
            released: body.release,
            open_orders: Vec::new(),
        });
    }
    fleet.release_on_stop |= body.release;
    let release_now = fleet.release_on_stop;
    // Orders whose outcome is not known yet: what they created, if anything, cannot be named to release now.
    let (targets, open) = fleet_instances(&state, &fleet).await?;
    if release_now && !open.is_empty() {
        fleet.reason = Some(FleetReason::Stopped {
            released: true,
            open_orders: open,
        });
    }
    fleet_book::update(&state.store, &fleet).await?;
    drop((held, replicas));
    if release_now {
        release_live(
            &state,
            &fleet.key,
            ReleasePurpose::Stop,
            targets,
            caller.name(),
            ReleaseAsker::Person,
        )
        .await?;
    }
    // The stop is logged and its release may have gone out: a failed read now must not say "nothing was sent".
    Ok(FleetAnswer {
        fleet: shown(&state, &fleet).await.map_err(after_sending("fleet stop"))?,
        replayed: false,
    })
}
