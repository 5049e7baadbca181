//! Exactly once: how a submission becomes at most one order at the cloud, whatever the network, the cloud or
//! the proxy itself does. The states and every transition are in ARCHITECTURE.md ("The exactly-once protocol").
//!
//! 1. One lock per idempotency key: concurrent duplicates wait for the first, then replay its outcome.
//! 2. The order is logged `pending` before anything is sent, with its ClientToken (derived from the key), the
//!    instance password sealed with the install key, and what it may cost per hour.
//! 3. Every attempt is signed afresh with the same ClientToken. An answer that may mean the cloud acted makes
//!    the order `unknown`; only a readable refusal is `failed`; a request that certainly never left is
//!    `not_sent`. Once any attempt may have reached the cloud, the order stays `unknown` until an answer shows
//!    what exists.
//! 4. A retry under the same key replays a final outcome and resends `pending`, `unknown` and `not_sent` orders
//!    with the same ClientToken — within [`RESEND_WINDOW`] of the first attempt for an order that may have
//!    reached the cloud; after it, the proxy does not resend (the cloud may have forgotten the token): it looks
//!    the order up by the tag it was sent with ([`crate::order_lookup`]). A resend rebuilds the request from the order as first validated: time-dependent
//!    rules are checked at the original time, so a release time that has since passed cannot turn a
//!    possibly-placed order into "refused, nothing sent".
//! 5. At start, orders left `pending` by a crash are resent the same way (or marked `unknown` when that is not
//!    possible), and every [`RECONCILE_EVERY`] after it, so none stays pending: not one a crash left, nor one a
//!    failed write or lookup left behind while the proxy ran on. An order being sent holds its key, so the sweep
//!    waits for it and then finds it settled. In team mode (one PostgreSQL database, several replicas) the key
//!    lock of step 1 is also held in the database, so every replica's sweep also resolves the pending orders whose
//!    key no replica holds (its replica died mid-order).
//! 6. The outcome is written before it is answered; if that write fails, the answer still carries what the cloud
//!    said and the write is retried until it lands ([`crate::store::Store::finish_eventually`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use spotplan_core::order::lookup_tag::with_order_tag;
use spotplan_core::order::request::{AdminPass, BuildOptions, build_order_request};
use spotplan_core::order::{BidMode, Problem, Severity, SpotOrder, ValidOrder, ValidationContext, validate};
use spotplan_core::{Cloud, Currency};

use crate::AppState;
use crate::error::ApiError;
use crate::order_lookup::{self, LookedUp};
use crate::signing::baidu_admin_pass;
use crate::store::{OrderRecord, OrderStatus, StoredOrder};
use crate::upstream::{Exchange, now_unix_millis, random_hex};
use spotplan_core::order::outcome::{OrderOutcome as Outcome, read_order_answer, settle, unanswered};

/// The resend window (kept beside the lookup that takes over after it, which must not depend on this module).
pub use crate::order_lookup::RESEND_WINDOW;

/// The cross-replica lock the spend checks run under. The colon keeps it apart from every idempotency key (keys
/// are letters, digits, `-` and `_`), so no order's key can take or wait on it.
const SPEND_GATE_LOCK: &str = "gate:spend";

/// How often the proxy (each replica, in team mode) looks for orders left pending with no one working on them.
pub const RECONCILE_EVERY: Duration = Duration::from_secs(5);

/// Resolves, every [`RECONCILE_EVERY`], the pending orders no request (and, in team mode, no replica) is working on.
pub fn spawn_reconciler(state: AppState) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(RECONCILE_EVERY).await;
            match reconcile_pending(&state).await {
                Ok(0) => {}
                Ok(resolved) => tracing::info!(resolved, "orders left pending are resolved"),
                Err(error) => tracing::warn!(%error, "could not look for orders left pending"),
            }
        }
    });
}

/// One async lock per idempotency key, so concurrent duplicates wait for the first. An entry lives only while
/// someone holds or waits for it.
#[derive(Debug, Default, Clone)]
pub struct KeyLocks {
    locks: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

/// A claim on one key's lock; dropping the last claim removes the entry.
#[derive(Debug)]
pub struct KeyClaim {
    locks: KeyLocks,
    key: String,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl KeyLocks {
    /// Claims the lock of `key` (lock it with [`KeyClaim::lock`]).
    pub fn claim(&self, key: &str) -> KeyClaim {
        let lock = self.map().entry(key.to_owned()).or_default().clone();
        KeyClaim {
            locks: self.clone(),
            key: key.to_owned(),
            lock,
        }
    }

    /// How many claims `key` has now (its holder and those waiting): what a test waits for before it lets a held
    /// key go.
    pub fn claims(&self, key: &str) -> usize {
        self.map()
            .get(key)
            .map_or(0, |lock| Arc::strong_count(lock).saturating_sub(1))
    }

    /// Keys with a lock entry (held or waited for).
    pub fn len(&self) -> usize {
        self.map().len()
    }

    /// Whether no key has a lock entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<tokio::sync::Mutex<()>>>> {
        self.locks.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl KeyClaim {
    /// Waits for the key's lock.
    pub async fn lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.lock.lock().await
    }
}

impl Drop for KeyClaim {
    fn drop(&mut self) {
        let mut map = self.locks.map();
        // The map's reference and this claim's: nobody else holds or waits for the lock.
        if Arc::strong_count(&self.lock) == 2 {
            map.remove(&self.key);
        }
    }
}

/// A submission: the order and the price the UI showed, under an idempotency key.
#[derive(Debug)]
pub struct Submission {
    /// The idempotency key.
    pub key: String,
    /// The ClientToken derived from it.
    pub client_token: String,
    /// The order as submitted (with its password, if any).
    pub order: SpotOrder,
    /// The quoted price at submission, when the UI sent one.
    pub quoted_price: Option<String>,
    /// Who sends it (team mode: the person whose API key it came with), whose budget it must fit.
    pub placed_by: Option<String>,
}

/// What processing a submission came to: the record, whether it was replayed, whether this call created it,
/// the warnings of validation and whether its outcome is on disk yet.
#[derive(Debug)]
pub struct Processed {
    /// The order as logged.
    pub record: StoredOrder,
    /// A stored final outcome answered again.
    pub replayed: bool,
    /// This call logged it.
    pub created: bool,
    /// Validation's warnings.
    pub warnings: Vec<Problem>,
    /// Whether the outcome is on disk (otherwise it is being retried and reads already see it).
    pub logged: bool,
}

/// The order as logged: the password replaced.
pub fn loggable(order: &SpotOrder) -> serde_json::Value {
    let mut order = order.clone();
    if order.login.password.is_some() {
        order.login.password = Some("<redacted>".into());
    }
    serde_json::to_value(order).unwrap_or_default()
}

/// Processes a submission under its key's lock. A new key is logged at once (the log's unique key says whether
/// it is new, so the usual path reads nothing first); a known key — or any refusal, which must not hide a
/// logged order — is answered from the log.
pub async fn process(state: &AppState, submission: Submission) -> Result<Processed, ApiError> {
    let claim = state.key_locks.claim(&submission.key);
    let _held = claim.lock().await;
    // Team mode: replicas sharing the database wait for each other on the key too.
    let replicas = state.store.hold_key(&submission.key).await?;
    let processed = process_held(state, submission).await;
    if let Ok(processed) = &processed {
        hold_until_landed(state, &processed.record.view.id, replicas);
    }
    processed
}

/// Keeps the other replicas off an order's key until its outcome is on disk: until then the shared log still says
/// `pending`, which another replica's reconciler would take for an order nobody works on and send again — after
/// this one was answered, perhaps `failed`. (This replica's own reads see the outcome meanwhile.) At most
/// [`HOLD_UNTIL_LANDED_AT_MOST`]: each hold keeps a connection of the lock pool, which a database refusing writes
/// for long must not drain, and a key must not stay held for good by a write that can never land.
fn hold_until_landed(state: &AppState, id: &str, hold: crate::store::ReplicaHold) {
    if !state.store.is_unlanded(id) {
        return;
    }
    let (store, id) = (state.store.clone(), id.to_owned());
    tokio::spawn(async move {
        let deadline = tokio::time::Instant::now() + HOLD_UNTIL_LANDED_AT_MOST;
        while store.is_unlanded(&id) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        if store.is_unlanded(&id) {
            tracing::warn!(%id, "the order's outcome is still not on disk; its key is let go (the write keeps retrying)");
        }
        drop(hold);
    });
}

/// How long [`hold_until_landed`] keeps a key at most.
const HOLD_UNTIL_LANDED_AT_MOST: Duration = Duration::from_secs(120);

async fn process_held(state: &AppState, submission: Submission) -> Result<Processed, ApiError> {
    let hash = state.install_key.order_hash(&loggable(&submission.order));
    let key = submission.key.clone();
    let placed_by = submission.placed_by.clone();
    let refusal = match first_attempt(state, submission, hash.clone()).await {
        Ok(processed) => return Ok(processed),
        Err(ApiError::Store(crate::store::StoreError::DuplicateKey)) => None,
        Err(refusal) => Some(refusal),
    };
    let existing = match state.store.by_key(&key).await {
        Ok(existing) => existing,
        Err(error) => return Err(unreadable_after(refusal, error)),
    };
    match (existing, refusal) {
        // Team mode: a key is its placer's. Another person's retry under it would replay their order, or resend it
        // — as theirs, on their budget — so it is refused before anything about the order is compared or said.
        (Some(existing), _) if existing.view.placed_by != placed_by => Err(ApiError::Rejected {
            status: axum::http::StatusCode::CONFLICT,
            code: "idempotency_key_of_another",
            message: format!(
                "idempotency key {key} belongs to an order placed by {}: only they can retry it; use a key of your own",
                existing.view.placed_by.as_deref().unwrap_or("the operator")
            ),
            field: Some("Idempotency-Key".into()),
        }),
        (Some(existing), _) if existing.order_hash != hash => Err(ApiError::KeyConflict { key }),
        (Some(existing), _) if existing.view.status == OrderStatus::NotFound => {
            let order = stored_order(state, &existing).map_err(|error| ApiError::Internal(anyhow::anyhow!(error)))?;
            Err(order_lookup::none_found(&existing, &order))
        }
        // An outcome still on its way to the log is replayed as it reads until then (a refusal as unknown), never
        // sent again here: the write that is being retried would race the resend's.
        (Some(existing), _) if state.store.is_unlanded(&existing.view.id) => Ok(Processed {
            record: existing,
            replayed: true,
            created: false,
            warnings: Vec::new(),
            logged: false,
        }),
        (Some(existing), _) if !resend_is_needed(&existing) => Ok(Processed {
            record: existing,
            replayed: true,
            created: false,
            warnings: Vec::new(),
            logged: true,
        }),
        // What is sent again is the order as logged, with the password sealed when it was first logged (the hash
        // leaves passwords out, so a retry's own password must not replace it).
        (Some(existing), _) => {
            let order = stored_order(state, &existing).map_err(|error| ApiError::Internal(anyhow::anyhow!(error)))?;
            resend(state, existing, &order).await
        }
        (None, Some(refusal)) => Err(refusal),
        (None, None) => Err(ApiError::Internal(anyhow::anyhow!(
            "the order log reported key {key} as taken but holds no order under it"
        ))),
    }
}

/// The answer when the log cannot be read after the first attempt was refused: an insert whose write was never
/// confirmed may still have landed (and a logged order is sent), which the answer must keep saying — not the
/// read's "nothing was sent".
fn unreadable_after(refusal: Option<ApiError>, read_error: crate::store::StoreError) -> ApiError {
    match refusal {
        Some(unconfirmed @ ApiError::Store(crate::store::StoreError::WriteUnconfirmed(_))) => unconfirmed,
        _ => ApiError::Store(read_error),
    }
}

/// Whether a logged order is sent again on a retry: it never reached a final answer.
fn resend_is_needed(record: &StoredOrder) -> bool {
    matches!(
        record.view.status,
        OrderStatus::Pending | OrderStatus::Unknown | OrderStatus::NotSent
    )
}

async fn first_attempt(state: &AppState, submission: Submission, hash: String) -> Result<Processed, ApiError> {
    let order = &submission.order;
    let now_ms = now_unix_millis();
    let validation = validate(
        order,
        &ValidationContext {
            now: now_ms / 1000,
            ..ValidationContext::default()
        },
    );
    if validation.valid.is_none() {
        return Err(ApiError::InvalidOrder {
            problems: validation.problems,
        });
    }
    crate::endpoints::check_region(&order.region).map_err(|error| ApiError::BadRequest {
        code: "invalid_region",
        message: error.to_string(),
        field: Some("region".into()),
    })?;
    if let Some(token) = &order.client_token {
        check_written_client_token(token, &submission)?;
    }
    // Orders whose ClientTokens differ only in case hold different keys' locks: they are checked and logged one at a
    // time under the token's own, so two people's cannot both pass the check before either is logged.
    let folded_token = format!(
        "client-token:{}",
        order
            .client_token
            .as_deref()
            .unwrap_or(&submission.client_token)
            .to_ascii_lowercase()
    );
    // In this process only: a replica's lock would take a second connection of the lock pool per order, which
    // every order already holds one of for its key (64 orders at once would each wait for a 65th).
    let token_claim = state.key_locks.claim(&folded_token);
    let _token_held = token_claim.lock().await;
    check_client_token_of_another(state, &submission).await?;
    let warnings: Vec<Problem> = validation
        .problems
        .into_iter()
        .filter(|problem| problem.severity == Severity::Warning)
        .collect();
    let local_dry_run = order.dry_run && !spotplan_core::clouds::api(order.cloud).has_dry_run();
    match state.credentials.get(order.cloud) {
        None if !local_dry_run => {
            return Err(ApiError::NoCredentials {
                cloud: order.cloud,
                hint: credential_hint(order.cloud),
            });
        }
        Some(loaded) if loaded.account_currency != order.account_currency => {
            return Err(account_currency_mismatch(
                order,
                loaded.account_currency,
                &loaded.account_currency_source,
            ));
        }
        _ => {}
    }
    let sealed_password = match order.login.password.as_deref() {
        Some(password) => Some(
            state
                .install_key
                .seal(password)
                .map_err(|error| ApiError::Internal(error.into()))?,
        ),
        None => None,
    };
    if order.bid.mode == BidMode::Market {
        state.catch_up_live_prices().await;
    }
    let bound = crate::spend::hourly_bound(
        order,
        order.account_currency,
        state.known_prices(),
        &state.config.exchange_rate,
    );
    let client_token = order.client_token.clone().unwrap_or(submission.client_token);
    let id = format!(
        "ord-{}",
        random_hex(8).map_err(|error| ApiError::Internal(error.into()))?
    );
    // The order is logged as it will be sent: with the lookup tag naming it when the tag fits (and was not turned
    // off, `--no-order-tag`), so every resend is the same request and a lookup — even of an order a crash left
    // pending, whose request was never recorded — knows whether the cloud can find it by the tag.
    let tagged = state.config.order_tag.then(|| as_sent(order, &id, now_ms)).flatten();
    let logged_order = loggable(tagged.as_ref().map_or(order, ValidOrder::order));
    let record = StoredOrder {
        view: OrderRecord {
            id,
            idempotency_key: submission.key.clone(),
            cloud: order.cloud,
            region: order.region.clone(),
            dry_run: order.dry_run,
            status: OrderStatus::Pending,
            client_token,
            order: logged_order,
            quoted_price: submission.quoted_price,
            request: None,
            response: None,
            cloud_request_id: None,
            instance_ids: Vec::new(),
            cloud_order_id: None,
            error_code: None,
            error_message: None,
            hint: None,
            attempts: 0,
            created_at_ms: now_ms,
            finished_at_ms: None,
            upstream_us: None,
            may_have_reached_cloud: false,
            max_cost_per_hour: bound.as_ref().map(|bound| bound.per_hour),
            placed_by: submission.placed_by.clone(),
        },
        order_hash: hash,
        sealed_password,
    };
    {
        // Checking the ceiling and logging the order are one step, so two orders cannot both fit the last
        // slice of an hourly ceiling.
        let _gate = pass_spend_gate(state, order, record.view.placed_by.as_deref(), bound.as_ref(), now_ms).await?;
        // Written before anything is sent: from here on the order cannot be lost or duplicated.
        state.store.insert(&record).await?;
    }
    let mut processed = attempt(state, record, order).await?;
    processed.created = true;
    processed.warnings = warnings;
    Ok(processed)
}

/// The spend checks' gate, held while an order is checked against the ceilings and budgets and made to count
/// (logged, or a not-sent one made pending again), so two orders cannot both fit the last slice of a ceiling.
struct SpendGate<'a> {
    _local: tokio::sync::MutexGuard<'a, ()>,
    _replicas: Option<crate::store::ReplicaHold>,
}

/// Takes the spend gate and checks `order` (bounded by `bound` an hour) against the proxy's ceilings and, in team
/// mode, the person's and the team's budgets; refused with the field and the figures when it does not fit.
async fn pass_spend_gate<'a>(
    state: &'a AppState,
    order: &SpotOrder,
    placed_by: Option<&str>,
    bound: Option<&crate::spend::HourlyBound>,
    now_ms: i64,
) -> Result<SpendGate<'a>, ApiError> {
    // Where a budget or the hourly ceiling applies, replicas take the same gate in the database and the person's
    // and the team's budgets are checked under it — on either database, and for the operator's token too (a team
    // budget set on the embedded log binds every order placed through it). Whether any budget applies is read
    // before the gate: it holds the gate for no order that has none.
    let budgets = crate::people::any_budget(&state.store, placed_by).await?;
    if budgets || state.config.spend.has_cost_ceiling() {
        crate::spend::check_unpriced(&state.config.spend.unpriced, order).map_err(|error| ApiError::SpendCeiling {
            field: error.field(),
            message: error.to_string(),
            lifts_by_itself: None,
        })?;
        crate::image_os::confirm_market_bid_image(state, order).await?;
    }
    let local = state.spend_gate.lock().await;
    let replicas = if budgets || state.config.spend.max_spend_per_hour.is_some() {
        Some(state.store.hold_gate(SPEND_GATE_LOCK).await?)
    } else {
        None
    };
    if budgets {
        let per_hour = bound.map(|bound| bound.per_hour);
        if let Err(over) = crate::people::check_budgets(
            &state.store,
            placed_by,
            per_hour.as_ref(),
            now_ms,
            &state.config.exchange_rate,
        )
        .await?
        {
            return Err(ApiError::SpendCeiling {
                field: over.field,
                message: over.message,
                lifts_by_itself: Some(over.field),
            });
        }
    }
    let committed = if state.config.spend.max_spend_per_hour.is_some() {
        state.store.committed_hourly_costs(now_ms - 3_600_000).await?
    } else {
        Vec::new()
    };
    crate::spend::check(
        &state.config.spend,
        order,
        bound,
        &committed,
        &state.config.exchange_rate,
    )
    .map_err(|error| ApiError::SpendCeiling {
        field: error.field(),
        message: error.to_string(),
        lifts_by_itself: error.lifts_by_itself(),
    })?;
    Ok(SpendGate {
        _local: local,
        _replicas: replicas,
    })
}

/// The refusal of an order whose bid is in another currency than the account pays in: sent as is, the cloud would
/// read a CNY bid as dollars (about 7× too high) or a USD bid as yuan.
fn account_currency_mismatch(
    order: &SpotOrder,
    account: Currency,
    source: &spotplan_core::api::health::AccountSiteSource,
) -> ApiError {
    ApiError::BadRequest {
        code: "account_currency_mismatch",
        message: format!(
            "the order's bid is in {} but the {} account this proxy holds pays in {account} ({source}): set the \
             order's account_currency to {account} and give the bid in {account}",
            order.account_currency,
            order.cloud.display_name()
        ),
        field: Some("account_currency".into()),
    }
}

/// Refuses a written `client_token` in the proxy's own form (`spotplan-` and a key) that is not this order's own.
fn check_written_client_token(token: &str, submission: &Submission) -> Result<(), ApiError> {
    use spotplan_core::order::idempotency::CLIENT_TOKEN_PREFIX;
    // In any case: whether a cloud tells `SPOTPLAN-…` from `spotplan-…` is not documented.
    let proxys_own = token
        .get(..CLIENT_TOKEN_PREFIX.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(CLIENT_TOKEN_PREFIX));
    if proxys_own && !token.eq_ignore_ascii_case(&submission.client_token) {
        return Err(ApiError::BadRequest {
            code: "client_token_reserved",
            message: format!(
                "client_token {token} starts with {CLIENT_TOKEN_PREFIX}, which the proxy's own tokens use ({CLIENT_TOKEN_PREFIX} \
                 and an order's idempotency key): leave client_token out and the proxy derives it from the \
                 Idempotency-Key, or use another prefix"
            ),
            field: Some("client_token".into()),
        });
    }
    Ok(())
}

/// Refuses an order whose ClientToken — written, or derived from its Idempotency-Key — another person's order
/// already used, compared without case: whether a cloud tells `spotplan-ABC` from `spotplan-abc` is not documented,
/// and one that does not would answer with that person's instances.
async fn check_client_token_of_another(state: &AppState, submission: &Submission) -> Result<(), ApiError> {
    let written = submission.order.client_token.as_deref();
    let token = written.unwrap_or(&submission.client_token);
    // Another person's order under the token in any case (reported first); or the person's own under it in another
    // case. A written token the person uses again exactly stays theirs to reuse.
    let clashes = state
        .store
        .select(
            "SELECT client_token, placed_by FROM orders WHERE LOWER(client_token) = LOWER(CAST(?1 AS TEXT)) \
             AND (COALESCE(placed_by, '') <> COALESCE(CAST(?2 AS TEXT), '') OR client_token <> CAST(?1 AS TEXT)) \
             ORDER BY COALESCE(placed_by, '') = COALESCE(CAST(?2 AS TEXT), '') LIMIT 1",
            vec![token.into(), submission.placed_by.clone().into()],
        )
        .await?;
    let Some(clash) = clashes.first() else {
        return Ok(());
    };
    let conflict = |code: &'static str, message: String| ApiError::Rejected {
        status: axum::http::StatusCode::CONFLICT,
        code,
        message,
        field: Some(
            if written.is_some() {
                "client_token"
            } else {
                "Idempotency-Key"
            }
            .into(),
        ),
    };
    let named = match written {
        Some(_) => format!("client_token {token}"),
        None => format!(
            "Idempotency-Key {} gives the ClientToken {token}, which",
            submission.key
        ),
    };
    if clash.text(1) != submission.placed_by {
        return Err(match written {
            Some(_) => conflict(
                "client_token_of_another",
                format!(
                    "{named} was used by an order another person placed: the cloud would answer with that order's \
                     instances; use a token of your own"
                ),
            ),
            None => conflict(
                "client_token_of_another",
                format!(
                    "{named} an order another person placed uses (keys that differ only in case: a cloud may not \
                     tell them apart) — the cloud would answer with that order's instances; use a key of your own, \
                     such as a UUID"
                ),
            ),
        });
    }
    let yours = clash.text(0).unwrap_or_default();
    Err(conflict(
        "client_token_case_variant",
        match written {
            Some(_) => format!(
                "{named} differs only in case from {yours}, the token of an earlier order of yours: a cloud may not \
                 tell them apart and would answer with that order's instances; use another token"
            ),
            None => format!(
                "{named} differs only in case from {yours}, the token of an earlier order of yours: a cloud may not \
                 tell them apart and would answer with that order's instances; use another key, such as a UUID"
            ),
        },
    ))
}

/// Sends a logged order that has no final answer again, with the same ClientToken.
async fn resend(state: &AppState, mut record: StoredOrder, order: &SpotOrder) -> Result<Processed, ApiError> {
    let now_ms = now_unix_millis();
    let age = Duration::from_millis(now_ms.saturating_sub(record.view.created_at_ms).max(0) as u64);
    let may_exist = record.view.may_have_reached_cloud || record.view.status == OrderStatus::Pending;
    if may_exist && age > RESEND_WINDOW {
        return look_up_instead_of_resending(state, record, order).await;
    }
    if record.view.status == OrderStatus::NotSent && !record.view.may_have_reached_cloud {
        // Nothing of it exists, so it counted against no ceiling or budget while it was not sent: sending it now
        // is placing it now, checked like a new order, and it counts again (pending) before it goes out. What
        // would stop it before it leaves (its rules as of now, the cloud's credentials) is checked first: marked
        // pending and then refused, it would stay pending and be read as "may exist" at the next start.
        if let Some(refusal) = refusal_before_sending(state, order, now_ms) {
            return Err(refusal);
        }
        if order.bid.mode == BidMode::Market {
            state.catch_up_live_prices().await;
        }
        let bound = crate::spend::hourly_bound(
            order,
            order.account_currency,
            state.known_prices(),
            &state.config.exchange_rate,
        );
        let _gate = pass_spend_gate(state, order, record.view.placed_by.as_deref(), bound.as_ref(), now_ms).await?;
        // Counted from now, at its bound as of now: the ceiling counts the last hour's orders by when they were
        // placed, and this one is placed now (kept at its first logging time, it would count for no hour at all).
        record.view.status = OrderStatus::Pending;
        record.view.created_at_ms = now_ms;
        record.view.max_cost_per_hour = bound.as_ref().map(|bound| bound.per_hour);
        state
            .store
            .place_again(&record.view.id, now_ms, record.view.max_cost_per_hour.as_ref())
            .await?;
        state.store.finish(&record).await?;
    }
    if may_exist || record.view.status == OrderStatus::Unknown {
        // A row found pending was logged by a run that stopped, perhaps after sending it: whatever this attempt
        // hears, it is never "nothing was created". And the attempt's time is on disk before it leaves.
        record.view.may_have_reached_cloud = true;
        record.view.finished_at_ms = Some(now_ms);
        state.store.resending(&record.view.id, now_ms).await?;
    }
    attempt(state, record, order).await
}

/// What [`attempt`] would refuse `order` for before sending it, were it logged at `at_ms`: its rules, or no
/// credentials for its cloud.
fn refusal_before_sending(state: &AppState, order: &SpotOrder, at_ms: i64) -> Option<ApiError> {
    let validation = validate(
        order,
        &ValidationContext {
            now: at_ms / 1000,
            ..ValidationContext::default()
        },
    );
    if validation.valid.is_none() {
        return Some(ApiError::InvalidOrder {
            problems: validation.problems,
        });
    }
    let local_dry_run = order.dry_run && !spotplan_core::clouds::api(order.cloud).has_dry_run();
    match state.credentials.get(order.cloud) {
        None if !local_dry_run => Some(ApiError::NoCredentials {
            cloud: order.cloud,
            hint: credential_hint(order.cloud),
        }),
        Some(loaded) if !local_dry_run && loaded.account_currency != order.account_currency => Some(
            account_currency_mismatch(order, loaded.account_currency, &loaded.account_currency_source),
        ),
        _ => None,
    }
}

/// Past the resend window: the order is looked up by its tag rather than sent again ([`crate::order_lookup`]).
async fn look_up_instead_of_resending(
    state: &AppState,
    mut record: StoredOrder,
    order: &SpotOrder,
) -> Result<Processed, ApiError> {
    let still_unknown = |record: &StoredOrder| ApiError::OutcomeUnknown {
        id: record.view.id.clone(),
        client_token: record.view.client_token.clone(),
    };
    if !order_lookup::logged_order_carries_tag(&record.view.order, &record.view.id) {
        return Err(still_unknown(&record));
    }
    match order_lookup::look_up(state, order, &record.view.id).await {
        Ok(LookedUp::Found(found))
            if !order_lookup::may_settle_found(&record, found.len(), order.count, now_unix_millis()) =>
        {
            tracing::info!(id = %record.view.id, found = found.len(), "an unknown order was looked up at the cloud: part of it is listed, but it was sent too recently to conclude the rest will not come");
            Err(still_unknown(&record))
        }
        Ok(LookedUp::Found(found)) => {
            order_lookup::record_found(&mut record, order, &found);
            let logged = record_outcome(state, &record).await;
            tracing::info!(id = %record.view.id, found = found.len(), "an unknown order was found at the cloud by its tag");
            Ok(processed(record, logged))
        }
        Ok(LookedUp::NoneFound) if !order_lookup::may_conclude_none(&record, now_unix_millis()) => {
            tracing::info!(id = %record.view.id, "an unknown order was looked up at the cloud: none of its instances is listed yet, but it was sent too recently to conclude");
            Err(still_unknown(&record))
        }
        Ok(LookedUp::NoneFound) => {
            tracing::info!(id = %record.view.id, "an unknown order was looked up at the cloud: none of its instances exists");
            order_lookup::record_none_found(&mut record, order);
            record_outcome(state, &record).await;
            Err(order_lookup::none_found(&record, order))
        }
        Err(reason) => {
            tracing::warn!(id = %record.view.id, %reason, "an unknown order could not be looked up");
            Err(still_unknown(&record))
        }
    }
}

/// The order with the lookup tag naming `order_id` ([`spotplan_core::order::lookup_tag`]) when the cloud's tag
/// rules leave room for it, checked as of `at_ms`; `None` when they do not (the order then goes as the person
/// wrote it).
fn as_sent(order: &SpotOrder, order_id: &str, at_ms: i64) -> Option<ValidOrder> {
    let context = ValidationContext {
        now: at_ms / 1000,
        ..ValidationContext::default()
    };
    validate(&with_order_tag(order, order_id), &context).valid
}

/// The answer for a logged order an earlier attempt may have sent that this attempt cannot send: unknown, with
/// why, never "nothing was sent" (true of this attempt only).
async fn stays_unknown(state: &AppState, mut record: StoredOrder, hint: String) -> Result<Processed, ApiError> {
    record.view.status = OrderStatus::Unknown;
    record.view.hint = Some(hint);
    record.view.finished_at_ms = Some(now_unix_millis());
    let logged = state.store.finish_eventually(&record).await;
    Ok(processed(record, logged))
}

/// One round of attempts for a logged order, its outcome recorded.
async fn attempt(state: &AppState, mut record: StoredOrder, order: &SpotOrder) -> Result<Processed, ApiError> {
    // Rules are checked as of the order's first logging, so time cannot refuse a resend.
    let validation = validate(
        order,
        &ValidationContext {
            now: record.view.created_at_ms / 1000,
            ..ValidationContext::default()
        },
    );
    let Some(valid) = validation.valid else {
        // Logged, it passed its rules; refused now (a stricter rule of a newer version), it is not sent again —
        // but one an earlier attempt may have sent stays unknown.
        if record.view.may_have_reached_cloud {
            return stays_unknown(
                state,
                record,
                "its rules as this version reads them refuse it, so it was not sent again: an earlier attempt may \
                 have created it — look it up before placing it anew"
                    .into(),
            )
            .await;
        }
        return Err(ApiError::InvalidOrder {
            problems: validation.problems,
        });
    };
    // Every attempt is the request first logged: tagged only when the order was logged with its tag (an order
    // logged by an earlier version, untagged, must not change under its ClientToken).
    let valid = if order_lookup::logged_order_carries_tag(&record.view.order, &record.view.id) {
        as_sent(order, &record.view.id, record.view.created_at_ms).unwrap_or(valid)
    } else {
        valid
    };
    if order.dry_run && !spotplan_core::clouds::api(order.cloud).has_dry_run() {
        record.view.status = OrderStatus::DryRunPassed;
        let cloud = order.cloud.display_name();
        record.view.hint = Some(format!(
            "{cloud} has no dry run: the order passed Spotplan's checks of its rules; nothing was sent"
        ));
        record.view.finished_at_ms = Some(now_unix_millis());
        let logged = state.store.finish_eventually(&record).await;
        return Ok(processed(record, logged));
    }
    let Some(credentials) = state.credentials.get(order.cloud).cloned() else {
        // An order an earlier attempt may have sent (a retry of an unknown one, a pending row after a restart)
        // stays unknown: "nothing was sent" is true of this attempt only, and the order may exist.
        if record.view.may_have_reached_cloud {
            let cloud = order.cloud.display_name();
            let hint = format!(
                "the proxy holds no {cloud} credentials now, so it could not send this order again: an earlier \
                 attempt may have created it — give the proxy its credentials and retry under the same key ({})",
                credential_hint(order.cloud)
            );
            return stays_unknown(state, record, hint).await;
        }
        return Err(ApiError::NoCredentials {
            cloud: order.cloud,
            hint: credential_hint(order.cloud),
        });
    };
    // The account may have changed since the order was logged (credentials of the other site's account): its bid
    // is a number in the currency it was logged in, which the new account would read in its own.
    if credentials.account_currency != order.account_currency {
        if record.view.may_have_reached_cloud {
            let hint = format!(
                "the {} account the proxy holds now pays in {}, but this order's bid is in {}, so it was not sent \
                 again: an earlier attempt may have created it — give the proxy the account it was placed with and \
                 retry under the same key",
                order.cloud.display_name(),
                credentials.account_currency,
                order.account_currency
            );
            return stays_unknown(state, record, hint).await;
        }
        return Err(account_currency_mismatch(
            order,
            credentials.account_currency,
            &credentials.account_currency_source,
        ));
    }
    let admin_pass = match &order.login.password {
        Some(password) if spotplan_core::clouds::wire(order.cloud).encrypts_password() => {
            match baidu_admin_pass(password, credentials.credentials.secret.expose_secret()) {
                Ok(encrypted) => AdminPass::Encrypted(encrypted),
                Err(error) => return finish_not_sent(state, record, "PasswordEncryption", error.to_string()).await,
            }
        }
        _ => AdminPass::Placeholder,
    };
    let mut request = build_order_request(
        &valid,
        &BuildOptions {
            client_token: record.view.client_token.clone(),
            baidu_admin_pass: admin_pass,
        },
    );
    if let Err(error) = state.config.endpoints.route(order.cloud, &mut request) {
        return finish_not_sent(state, record, "EndpointRefused", error.to_string()).await;
    }
    let sent = match state
        .upstream
        .send(order.cloud, &request, &credentials.credentials)
        .await
    {
        Ok(sent) => sent,
        Err(error) => return finish_not_sent(state, record, "SigningFailed", error.to_string()).await,
    };
    let last = match sent.exchange {
        Exchange::Answered { status, body } => read_order_answer(order.cloud, order.dry_run, status, &body),
        Exchange::NoAnswer { reason } => unanswered("NoAnswer", reason, order.dry_run),
        Exchange::NotSent { reason } => not_sent_outcome("Unreachable", reason),
    };
    let earlier = sent.earlier_maybe_acted || record.view.may_have_reached_cloud;
    record.view.may_have_reached_cloud = earlier || last.maybe_acted();
    let outcome = settle(last, earlier);
    record.view.request = sent.request.as_ref().map(|request| request.redacted());
    record.view.attempts += sent.attempts;
    record.view.upstream_us = Some(sent.elapsed.as_micros() as i64);
    apply(&mut record.view, outcome);
    let logged = record_outcome(state, &record).await;
    let record = as_logged(state, record, logged).await;
    tracing::info!(id = %record.view.id, cloud = %record.view.cloud, status = ?record.view.status, attempts = record.view.attempts, logged, "order processed");
    Ok(processed(record, logged))
}

/// The order as the log keeps it, when the log dropped this attempt's refusal (`failed`, `not_sent`) because the
/// row may have reached the cloud meanwhile (another replica's resend, after this one lost its hold on the key;
/// [`crate::stored::outcome_is_kept`]): the answer must say what the log says — "may exist" — not "failed".
///
/// And when the refusal could not be written at all (the log busy or unreachable): the log still says `pending`,
/// which a restart here, or another replica once this one's hold on the key ends, sends again under the same
/// ClientToken — so the answer is `unknown`, with the cloud's refusal kept beside it, not a final "failed" a person
/// would answer with a new order under a new key.
async fn as_logged(state: &AppState, record: StoredOrder, logged: bool) -> StoredOrder {
    if !matches!(record.view.status, OrderStatus::Failed | OrderStatus::NotSent) {
        return record;
    }
    if !logged {
        return record.read_while_unlanded();
    }
    match state.store.by_id(&record.view.id).await {
        Ok(Some(kept)) if kept.view.status != record.view.status => kept,
        _ => record,
    }
}

/// Writes an order's outcome and books its instances at the same time, so on SQLite both land in one group commit
/// (one fsync on the answer's path, not two) and on PostgreSQL they run side by side. Returns whether the outcome
/// is on disk.
pub(crate) async fn record_outcome(state: &AppState, record: &StoredOrder) -> bool {
    let (logged, ()) = tokio::join!(
        state.store.finish_eventually(record),
        book_instances(state, &record.view)
    );
    logged
}

/// How far back [`book_missing`] looks for succeeded orders whose instances the book does not have.
pub const BOOKING_SWEEP_WINDOW_MS: i64 = 7 * 24 * 3_600_000;

/// Books the instances of succeeded orders of the last week that have none in the instance book (at most 100 a
/// call): an order's outcome and its booking are written side by side, and a replica that died between the two —
/// or a booking still retrying in a process that stopped — left instances that bill unwatched and uncounted by the
/// budgets. Returns how many orders it booked.
pub async fn book_missing(state: &AppState, now_ms: i64) -> Result<usize, crate::store::StoreError> {
    let rows = state
        .store
        .select(
            "SELECT o.id FROM orders o WHERE o.status = 'succeeded' AND o.created_at_ms >= ?1 \
             AND o.instance_ids <> '[]' AND NOT EXISTS (SELECT 1 FROM instances i WHERE i.order_id = o.id) \
             ORDER BY o.created_at_ms LIMIT 100",
            vec![(now_ms - BOOKING_SWEEP_WINDOW_MS).into()],
        )
        .await?;
    let mut booked = 0;
    for id in rows.iter().filter_map(|row| row.text(0)) {
        if let Some(record) = state.store.by_id(&id).await?
            && record.view.status == OrderStatus::Succeeded
        {
            tracing::warn!(%id, "a succeeded order's instances were missing from the instance book: booking them now");
            book_instances(state, &record.view).await;
            booked += 1;
        }
    }
    Ok(booked)
}

/// Puts a placed order's instances in the instance book, pending, for the follower to read: each at most its
/// share of the order's hourly bound (the bound over the count asked for).
async fn book_instances(state: &AppState, order: &OrderRecord) {
    let rows = placed_rows(order);
    if rows.is_empty() {
        return;
    }
    if let Err(error) = crate::instance_book::add_placed(&state.store, rows.clone()).await {
        // Like an outcome, the booking retries in the background until it lands: a locked or full disk must not
        // lose instances that bill, and the order's answer does not wait for the disk.
        tracing::error!(id = %order.id, %error, "the order's instances are not in the instance book yet; retrying");
        let store = state.store.clone();
        let key = format!("the instances of order {}", order.id);
        crate::write_retry::until_it_lands(&state.pending_writes, key, move || {
            let (store, rows) = (store.clone(), rows.clone());
            async move { crate::instance_book::add_placed(&store, rows).await }
        });
    }
}

/// The instance-book rows of a succeeded order's instances, pending until the follower reads them (none for an
/// order without instances). A dry run has none — unless the cloud did not honour it and named instances, which
/// bill like any others ([`spotplan_core::order::outcome::read_order_answer`]).
pub(crate) fn placed_rows(order: &OrderRecord) -> Vec<crate::instance_book::InstanceRow> {
    if order.instance_ids.is_empty() {
        return Vec::new();
    }
    // The bound is for the count asked for: each instance's share is the bound over that count, not over the
    // instances a partial fill (`min_count`) created — which would make each look dearer than its bid.
    let asked = order
        .order
        .get("count")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0);
    let count = asked.max(order.instance_ids.len() as u64).max(1);
    let share = order
        .max_cost_per_hour
        .map(|bound| spotplan_core::Money::new(bound.amount / rust_decimal::Decimal::from(count), bound.currency));
    let at = order.finished_at_ms.unwrap_or(order.created_at_ms);
    order
        .instance_ids
        .iter()
        .map(|id| crate::instance_book::InstanceRow::placed(order.cloud, &order.region, id, &order.id, share, at))
        .collect()
}

fn processed(record: StoredOrder, logged: bool) -> Processed {
    Processed {
        record,
        replayed: false,
        created: false,
        warnings: Vec::new(),
        logged,
    }
}

fn apply(record: &mut OrderRecord, outcome: Outcome) {
    record.response = outcome.body;
    record.status = outcome.status;
    record.cloud_request_id = outcome.request_id;
    record.instance_ids = outcome.instance_ids;
    record.cloud_order_id = outcome.order_id;
    record.error_code = outcome.error_code;
    record.error_message = outcome.error_message;
    record.hint = outcome.hint;
    record.finished_at_ms = Some(now_unix_millis());
}

fn not_sent_outcome(code: &str, reason: String) -> Outcome {
    Outcome {
        status: OrderStatus::NotSent,
        request_id: None,
        instance_ids: Vec::new(),
        order_id: None,
        error_code: Some(code.into()),
        error_message: Some(reason),
        hint: Some(
            "nothing reached the cloud, so nothing was created; retry with the same idempotency key once the \
             cause is fixed"
                .into(),
        ),
        body: None,
    }
}

/// Records that an order was refused inside the proxy between logging and sending (bad secret, refused
/// endpoint, signing error): it never left, unless an earlier attempt may have reached the cloud.
async fn finish_not_sent(
    state: &AppState,
    mut record: StoredOrder,
    code: &str,
    reason: String,
) -> Result<Processed, ApiError> {
    tracing::warn!(id = %record.view.id, code, %reason, "order refused before sending");
    let outcome = settle(not_sent_outcome(code, reason), record.view.may_have_reached_cloud);
    apply(&mut record.view, outcome);
    let logged = state.store.finish_eventually(&record).await;
    let record = as_logged(state, record, logged).await;
    Ok(processed(record, logged))
}

/// Resolves the orders a crash left `pending`: each is resent with its ClientToken from the stored order and
/// sealed password within [`RESEND_WINDOW`], or marked `unknown` with the reason. Returns how many it resolved.
pub async fn reconcile_pending(state: &AppState) -> Result<usize, ApiError> {
    let pending = state.store.pending().await?;
    let mut resolved = 0;
    for record in pending {
        let claim = state.key_locks.claim(&record.view.idempotency_key);
        let _held = claim.lock().await;
        // Team mode: a replica holding the key is working on the order (a replica that died let go of it).
        let replicas = match state.store.try_hold_key(&record.view.idempotency_key).await {
            Ok(Some(replicas)) => replicas,
            Ok(None) => continue,
            Err(error) => {
                tracing::warn!(id = %record.view.id, %error, "could not hold a pending order's key; trying it next time");
                continue;
            }
        };
        let id = record.view.id.clone();
        let was_pending = resolve_pending(state, record).await;
        hold_until_landed(state, &id, replicas);
        // One order that cannot be resolved now does not hold up the others: the next sweep tries it again.
        match was_pending {
            Ok(was_pending) => resolved += usize::from(was_pending),
            Err(error) => tracing::warn!(%id, %error, "a pending order could not be resolved; trying it next time"),
        }
    }
    Ok(resolved)
}

/// Resolves one order found pending, under its key's hold: resent, or marked `unknown` with the reason. Returns
/// whether it was still pending.
async fn resolve_pending(state: &AppState, record: StoredOrder) -> Result<bool, ApiError> {
    // A retry may have resolved it meanwhile.
    let Some(record) = state.store.by_id(&record.view.id).await? else {
        return Ok(false);
    };
    if record.view.status != OrderStatus::Pending {
        return Ok(false);
    }
    tracing::info!(id = %record.view.id, "an order was left pending by an earlier run: resolving it");
    // The run that died may have sent it: whatever the resend hears, it is never "nothing was created".
    let mut record = record;
    record.view.may_have_reached_cloud = true;
    let result = match stored_order(state, &record) {
        Ok(order) => resend(state, record.clone(), &order).await.map(|_| ()),
        Err(reason) => Err(ApiError::Internal(anyhow::anyhow!(reason))),
    };
    // A lookup that found nothing settled the order `not_found` itself.
    if let Err(error) = result
        && !order_lookup::is_none_found(&error)
    {
        let mut unknown = record;
        unknown.view.may_have_reached_cloud = true;
        let client_token = unknown.view.client_token.clone();
        apply(
            &mut unknown.view,
            Outcome {
                status: OrderStatus::Unknown,
                request_id: None,
                instance_ids: Vec::new(),
                order_id: None,
                error_code: Some("Interrupted".into()),
                error_message: Some(format!(
                    "the proxy stopped while this order was being sent, and it could not be resent: {error}"
                )),
                hint: Some(format!(
                    "the order may exist: look for instances with ClientToken {client_token} in the cloud console before \
                     ordering again"
                )),
                body: None,
            },
        );
        state.store.finish_eventually(&unknown).await;
    }
    Ok(true)
}

/// The order a logged record holds, with its password unsealed.
fn stored_order(state: &AppState, record: &StoredOrder) -> Result<SpotOrder, String> {
    let mut order: SpotOrder = serde_json::from_value(record.view.order.clone())
        .map_err(|error| format!("the logged order does not read: {error}"))?;
    order.login.password = match &record.sealed_password {
        Some(sealed) => Some(
            state
                .install_key
                .unseal(sealed)
                .map_err(|error| error.to_string())?
                .to_string(),
        ),
        None => None,
    };
    Ok(order)
}

pub(crate) fn credential_hint(cloud: Cloud) -> &'static str {
    spotplan_core::clouds::wire(cloud).credential_names().hint
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unconfirmed_insert_stays_unconfirmed_when_the_log_cannot_be_read_after_it() {
        use crate::store::StoreError;
        let unconfirmed = Some(ApiError::Store(StoreError::WriteUnconfirmed(
            "connection closed".into(),
        )));
        let answer = unreadable_after(unconfirmed, StoreError::Shared("connection refused".into()));
        assert!(
            matches!(answer, ApiError::Store(StoreError::WriteUnconfirmed(_))),
            "{answer:?}"
        );
        assert!(!answer.to_string().contains("nothing was sent"), "{answer}");
        let refused = Some(ApiError::TokenRequired);
        let answer = unreadable_after(refused, StoreError::Shared("connection refused".into()));
        assert!(matches!(answer, ApiError::Store(StoreError::Shared(_))), "{answer:?}");
    }

    #[tokio::test]
    async fn key_locks_are_pruned_when_nobody_holds_or_waits() {
        let locks = KeyLocks::default();
        {
            let first = locks.claim("key-aaaaaaaa");
            let held = first.lock().await;
            let second = locks.claim("key-aaaaaaaa");
            assert_eq!(locks.len(), 1);
            drop(held);
            let _again = second.lock().await;
            drop(first);
            assert_eq!(locks.len(), 1, "the second claim still holds it");
        }
        assert!(locks.is_empty());
        for index in 0..1000 {
            let claim = locks.claim(&format!("key-{index:08}"));
            let _held = claim.lock().await;
        }
        assert!(locks.is_empty(), "a thousand finished keys leave no lock behind");
    }
}
