//! The price store: every price the proxy fetched from a cloud, changes only — an observation is kept when the
//! offer's price differs from the one in force just before it, plus the newest time an unchanged price was seen —
//! with its source and when it was stored, in the order
//! log's database through its one writer. `GET /api/v1/catalog?since=` hands the app what was stored after a point.

use axum::Json;
use axum::extract::{Query, State};
use rusqlite::{OptionalExtension, params};
use spotplan_core::api::catalog::{CatalogDelta, DeltaQuery, MAX_DELTA_ROWS};
use spotplan_core::catalog::{ExternalObservation, OfferKey, PriceKind};
use spotplan_core::{Cloud, Currency, Money, PriceRate, TimeUnit};

use crate::AppState;
use crate::error::ApiError;
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
    let stored = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = stored.clone();
    store
        .apply(move |connection| {
            let mut added = 0;
            for observation in &observations {
                let offer = &observation.offer;
                let zone = offer.zone.clone().unwrap_or_default();
                let kind = kind_id(observation.kind);
                let amount = observation.rate.money.amount.normalize().to_string();
                let before: Option<(String, String, String)> = connection
                    .prepare_cached(
                        "SELECT amount, currency, per FROM price_changes WHERE cloud = ?1 AND region = ?2 AND zone = ?3 \
                         AND instance_type = ?4 AND kind = ?5 AND observed_at <= ?6 ORDER BY observed_at DESC LIMIT 1",
                    )?
                    .query_row(
                        params![offer.cloud.id(), offer.region, zone, offer.instance_type, kind, observation.observed_at],
                        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                    )
                    .optional()?;
                let currency = observation.rate.money.currency.code();
                let per = serde_json::to_value(observation.rate.per)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let key = params![offer.cloud.id(), offer.region, zone, offer.instance_type, kind];
                let unchanged = before.as_ref().is_some_and(|(a, c, p)| *a == amount && c == currency && *p == per);
                if unchanged && newest.get(&(offer.clone(), observation.kind)) != Some(&observation.observed_at) {
                    continue;
                }
                if unchanged {
                    // The same price seen later: it becomes the offer's one confirmation row when it is the newest
                    // word on the offer, so a price that has not moved for a month is not shown as a month old.
                    let newer: Option<i64> = connection
                        .prepare_cached(
                            "SELECT observed_at FROM price_changes WHERE cloud = ?1 AND region = ?2 AND zone = ?3 \
                             AND instance_type = ?4 AND kind = ?5 AND observed_at >= ?6 LIMIT 1",
                        )?
                        .query_row(
                            params![offer.cloud.id(), offer.region, zone, offer.instance_type, kind, observation.observed_at],
                            |row| row.get(0),
                        )
                        .optional()?;
                    if newer.is_some() {
                        continue;
                    }
                    connection
                        .prepare_cached(
                            "DELETE FROM price_changes WHERE cloud = ?1 AND region = ?2 AND zone = ?3 \
                             AND instance_type = ?4 AND kind = ?5 AND confirmation = 1",
                        )?
                        .execute(key)?;
                } else {
                    // A change ends what the last confirmation said.
                    connection
                        .prepare_cached(
                            "DELETE FROM price_changes WHERE cloud = ?1 AND region = ?2 AND zone = ?3 \
                             AND instance_type = ?4 AND kind = ?5 AND confirmation = 1 AND observed_at < ?6",
                        )?
                        .execute(params![
                            offer.cloud.id(),
                            offer.region,
                            zone,
                            offer.instance_type,
                            kind,
                            observation.observed_at
                        ])?;
                }
                let source = serde_json::to_string(&observation.source).unwrap_or_default();
                let inserted = connection
                    .prepare_cached(
                        "INSERT OR IGNORE INTO price_changes (cloud, region, zone, instance_type, kind, observed_at, \
                         amount, currency, per, source_json, stored_at_ms, confirmation) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                    )?
                    .execute(params![
                        offer.cloud.id(),
                        offer.region,
                        zone,
                        offer.instance_type,
                        kind,
                        observation.observed_at,
                        amount,
                        currency,
                        per,
                        source,
                        now_ms,
                        i64::from(unchanged)
                    ])?;
                if !unchanged {
                    added += inserted;
                }
            }
            counted.store(added, std::sync::atomic::Ordering::Relaxed);
            Ok(())
        })
        .await?;
    Ok(stored.load(std::sync::atomic::Ordering::Relaxed))
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    String,
    String,
    String,
    i64,
);

/// What was stored after the point `since` (a row's sequence number, an earlier answer's `until`), oldest first, at most `limit` rows (and whether more wait).
pub async fn since(store: &Store, since: i64, limit: u32) -> Result<CatalogDelta, StoreError> {
    store
        .read(move |connection| {
            let mut statement = connection.prepare_cached(
                "SELECT cloud, region, zone, instance_type, kind, observed_at, amount, currency, per, source_json, \
                 rowid FROM price_changes WHERE rowid > ?1 ORDER BY rowid LIMIT ?2",
            )?;
            let rows: Vec<Row> = statement
                .query_map(params![since, i64::from(limit) + 1], |row| {
                    Ok((
                        row.get(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                        row.get(5)?,
                        row.get(6)?,
                        row.get(7)?,
                        row.get(8)?,
                        row.get(9)?,
                        row.get(10)?,
                    ))
                })?
                .collect::<Result<_, _>>()?;
            let more = rows.len() > limit as usize;
            let mut delta = CatalogDelta {
                until: since,
                more,
                ..CatalogDelta::default()
            };
            for (cloud, region, zone, instance_type, kind, observed_at, amount, currency, per, source, stored) in
                rows.into_iter().take(limit as usize)
            {
                let corrupt = |column| StoreError::Corrupt { column };
                let observation = ExternalObservation {
                    offer: OfferKey {
                        cloud: Cloud::from_id(&cloud).ok_or(corrupt("cloud"))?,
                        region,
                        zone: (!zone.is_empty()).then_some(zone),
                        instance_type,
                    },
                    kind: if kind == "spot" {
                        PriceKind::Spot
                    } else {
                        PriceKind::OnDemand
                    },
                    rate: PriceRate::new(
                        Money::new(
                            amount.parse().map_err(|_| corrupt("amount"))?,
                            Currency::from_code(&currency).ok_or(corrupt("currency"))?,
                        ),
                        serde_json::from_value::<TimeUnit>(serde_json::Value::String(per))
                            .map_err(|_| corrupt("per"))?,
                    ),
                    observed_at,
                    source: serde_json::from_str(&source).map_err(|_| corrupt("source_json"))?,
                };
                delta.push(&observation);
                delta.until = stored;
            }
            Ok(delta)
        })
        .await
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
