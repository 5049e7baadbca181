//! The price store: every price the proxy fetched from a cloud, changes only — an observation is kept when the
//! offer's price differs from the one in force just before it, plus the newest time an unchanged price was seen —
//! with its source and when it was stored, in the order
//! log's database through its one writer. `GET /api/v1/catalog?since=` hands the app what was stored after a point.

use axum::Json;
use axum::extract::{Query, State};
use spotplan_core::api::catalog::{CatalogDelta, DeltaQuery, MAX_DELTA_ROWS};
use spotplan_core::catalog::{ExternalObservation, OfferKey, PriceKind};
use spotplan_core::{Cloud, Currency, Money, PriceRate, TimeUnit};

use crate::AppState;
use crate::error::ApiError;
use crate::sql::SqlValue;
use crate::store::{Store, StoreError};

fn kind_id(kind: PriceKind) -> &'static str {
    match kind {
        PriceKind::OnDemand => "on_demand",
        PriceKind::Spot => "spot",
    }
}

/// Stores the observations that change a price, and the newest unchanged one as the offer's confirmation; returns
/// how many changes it stored.
pub async fn record(store: &Store, observations: Vec<ExternalObservation>, now_ms: i64) -> Result<usize, StoreError> {
    if observations.is_empty() {
        return Ok(0);
    }
    let mut observations = observations;
    observations.sort_by_key(|o| o.observed_at);
    // Only the newest observation of an offer and kind in the batch can confirm its price.
    let mut newest: std::collections::HashMap<(OfferKey, PriceKind), i64> = std::collections::HashMap::new();
    for observation in &observations {
        newest.insert((observation.offer.clone(), observation.kind), observation.observed_at);
    }
    store
        .transaction(move |tx| {
            // The store's sequence is locked first, before any offer's rows: every writer takes the same lock in
            // the same order, so two batches over the same offers in another order cannot deadlock on PostgreSQL,
            // and each reads what the one before it committed.
            tx.execute("UPDATE price_sequence SET last = last WHERE id = 1", &[])?;
            let mut added = 0;
            for observation in &observations {
                let offer = &observation.offer;
                let zone = offer.zone.clone().unwrap_or_default();
                let kind = kind_id(observation.kind);
                let amount = observation.rate.money.amount.normalize().to_string();
                let key: [SqlValue; 5] = [
                    offer.cloud.id().into(),
                    (&offer.region).into(),
                    (&zone).into(),
                    (&offer.instance_type).into(),
                    kind.into(),
                ];
                let key_at = |at: i64| -> Vec<SqlValue> { key.iter().cloned().chain([at.into()]).collect() };
                let before = tx.query(
                    "SELECT amount, currency, per FROM price_changes WHERE cloud = ?1 AND region = ?2 AND zone = ?3 \
                     AND instance_type = ?4 AND kind = ?5 AND observed_at <= ?6 ORDER BY observed_at DESC LIMIT 1",
                    &key_at(observation.observed_at),
                )?;
                let currency = observation.rate.money.currency.code();
                let per = serde_json::to_value(observation.rate.per)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let unchanged = before.first().is_some_and(|row| {
                    row.text(0).as_deref() == Some(amount.as_str())
                        && row.text(1).as_deref() == Some(currency)
                        && row.text(2).as_deref() == Some(per.as_str())
                });
                if unchanged && newest.get(&(offer.clone(), observation.kind)) != Some(&observation.observed_at) {
                    continue;
                }
                if unchanged {
                    // The same price seen later: it becomes the offer's one confirmation row when it is the newest
                    // word on the offer, so a price that has not moved for a month is not shown as a month old.
                    let newer = tx.query(
                        "SELECT observed_at FROM price_changes WHERE cloud = ?1 AND region = ?2 AND zone = ?3 \
                         AND instance_type = ?4 AND kind = ?5 AND observed_at >= ?6 LIMIT 1",
                        &key_at(observation.observed_at),
                    )?;
                    if !newer.is_empty() {
                        continue;
                    }
                    tx.execute(
                        "DELETE FROM price_changes WHERE cloud = ?1 AND region = ?2 AND zone = ?3 \
                         AND instance_type = ?4 AND kind = ?5 AND confirmation = 1",
                        &key,
                    )?;
                } else {
                    // A change ends what the last confirmation said. A confirmation after it (this change arrived
                    // late) is now where the price went back: it stays, as a change.
                    tx.execute(
                        "DELETE FROM price_changes WHERE cloud = ?1 AND region = ?2 AND zone = ?3 \
                         AND instance_type = ?4 AND kind = ?5 AND confirmation = 1 AND observed_at < ?6",
                        &key_at(observation.observed_at),
                    )?;
                    tx.execute(
                        "UPDATE price_changes SET confirmation = 0 WHERE cloud = ?1 AND region = ?2 AND zone = ?3 \
                         AND instance_type = ?4 AND kind = ?5 AND confirmation = 1 AND observed_at > ?6 \
                         AND NOT EXISTS (SELECT 1 FROM price_changes b WHERE b.cloud = ?1 AND b.region = ?2 \
                         AND b.zone = ?3 AND b.instance_type = ?4 AND b.kind = ?5 AND b.observed_at > ?6 \
                         AND b.observed_at < price_changes.observed_at)",
                        &key_at(observation.observed_at),
                    )?;
                }
                let source = serde_json::to_string(&observation.source).unwrap_or_default();
                // The next point of the store's sequence (never reused, unlike a rowid after a delete): what the
                // app asks `since`.
                let seq = tx
                    .query(
                        "UPDATE price_sequence SET last = last + 1 WHERE id = 1 RETURNING last",
                        &[],
                    )?
                    .first()
                    .and_then(|row| row.int(0))
                    .ok_or(StoreError::Corrupt {
                        column: "price_sequence",
                    })?;
                let row: Vec<SqlValue> = key_at(observation.observed_at)
                    .into_iter()
                    .chain([
                        amount.into(),
                        currency.into(),
                        per.into(),
                        source.into(),
                        now_ms.into(),
                        unchanged.into(),
                        seq.into(),
                    ])
                    .collect();
                let inserted = tx.execute(
                    "INSERT INTO price_changes (cloud, region, zone, instance_type, kind, observed_at, amount, \
                     currency, per, source_json, stored_at_ms, confirmation, seq) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) \
                     ON CONFLICT (cloud, region, zone, instance_type, kind, observed_at) DO NOTHING",
                    &row,
                )?;
                if !unchanged {
                    added += inserted as usize;
                }
            }
            Ok(added)
        })
        .await
}

/// What was stored after the point `since` (a row's sequence number, an earlier answer's `until`), oldest first, at most `limit` rows (and whether more wait).
pub async fn since(store: &Store, since: i64, limit: u32) -> Result<CatalogDelta, StoreError> {
    let rows = store
        .select(
            "SELECT cloud, region, zone, instance_type, kind, observed_at, amount, currency, per, source_json, \
             seq FROM price_changes WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            vec![since.into(), (i64::from(limit) + 1).into()],
        )
        .await?;
    let more = rows.len() > limit as usize;
    let mut delta = CatalogDelta {
        until: since,
        more,
        ..CatalogDelta::default()
    };
    for row in rows.iter().take(limit as usize) {
        let corrupt = |column| StoreError::Corrupt { column };
        let text = |index, column| row.required_text(index, column);
        let observation = ExternalObservation {
            offer: OfferKey {
                cloud: Cloud::from_id(&text(0, "cloud")?).ok_or(corrupt("cloud"))?,
                region: text(1, "region")?,
                zone: Some(text(2, "zone")?).filter(|zone| !zone.is_empty()),
                instance_type: text(3, "instance_type")?,
            },
            kind: if text(4, "kind")? == "spot" {
                PriceKind::Spot
            } else {
                PriceKind::OnDemand
            },
            rate: PriceRate::new(
                Money::new(
                    text(6, "amount")?.parse().map_err(|_| corrupt("amount"))?,
                    Currency::from_code(&text(7, "currency")?).ok_or(corrupt("currency"))?,
                ),
                serde_json::from_value::<TimeUnit>(serde_json::Value::String(text(8, "per")?))
                    .map_err(|_| corrupt("per"))?,
            ),
            observed_at: row.required_int(5, "observed_at")?,
            source: serde_json::from_str(&text(9, "source_json")?).map_err(|_| corrupt("source_json"))?,
        };
        delta.push(&observation);
        delta.until = row.required_int(10, "seq")?;
    }
    Ok(delta)
}

/// Everything the store kept, in one answer (every page of [`since`] joined): what `spotplan-proxy export-prices`
/// writes for `cargo xtask catalog --from-store`.
pub async fn export(store: &Store) -> Result<CatalogDelta, StoreError> {
    let mut all = CatalogDelta::default();
    loop {
        let page = since(store, all.until, MAX_DELTA_ROWS).await?;
        for observation in page.observations() {
            all.push(&observation);
        }
        all.until = page.until;
        if !page.more {
            return Ok(all);
        }
    }
}

/// Handles `GET /api/v1/catalog?since=…&limit=…`.
pub async fn catalog(
    State(state): State<AppState>,
    Query(query): Query<DeltaQuery>,
) -> Result<Json<CatalogDelta>, ApiError> {
    let limit = query.limit.unwrap_or(MAX_DELTA_ROWS);
    if limit == 0 || limit > MAX_DELTA_ROWS {
        return Err(ApiError::BadRequest {
            code: "invalid_limit",
            message: format!("limit must be 1–{MAX_DELTA_ROWS}, got {limit}"),
            field: Some("limit".into()),
        });
    }
    let mut delta = since(&state.store, query.since, limit).await?;
    // Keyed by the install's own key: stable for this data folder, meaningless anywhere else.
    delta.store = state
        .install_key
        .order_hash(&serde_json::json!("price-store"))
        .chars()
        .take(16)
        .collect();
    Ok(Json(delta))
}
