//! `GET /api/v1/catalog?since=…`: the price observations the proxy stored after a point (changes only: a row when a
//! price moved), compact — each source once, each observation one array — so the app can keep them and merge them
//! newest-wins into its catalog after a reload.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::catalog::{ExternalObservation, OfferKey, PriceKind, Source};
use crate::clouds::Cloud;
use crate::money::{Currency, Money, PriceRate, TimeUnit};

/// Rows one answer holds at most.
pub const MAX_DELTA_ROWS: u32 = 50_000;

/// The query of `GET /api/v1/catalog`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DeltaQuery {
    /// Only what was stored after this point (an earlier answer's `until`; 0 for everything). Points are the
    /// store's sequence numbers, not times: rows stored in the same millisecond are never skipped.
    #[serde(default)]
    pub since: i64,
    /// Rows at most (default and maximum 50,000).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// One observation: `[cloud, region, zone ("" for none), type, kind, amount, currency, per, observed_at, source]`,
/// `source` an index into [`CatalogDelta::sources`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DeltaRow(
    pub Cloud,
    pub String,
    pub String,
    pub String,
    pub PriceKind,
    pub String,
    pub Currency,
    pub TimeUnit,
    pub i64,
    pub u32,
);

/// The answer of `GET /api/v1/catalog`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CatalogDelta {
    /// Each source once.
    pub sources: Vec<Source>,
    /// The observations, oldest stored first.
    pub rows: Vec<DeltaRow>,
    /// Ask again with `since` = this for what comes next.
    pub until: i64,
    /// Whether more rows were stored after `until` than this answer holds.
    pub more: bool,
    /// Which store the points belong to (a proxy with another data folder has other points): a client that kept
    /// points of another store starts again from 0.
    #[serde(default)]
    pub store: String,
}

impl CatalogDelta {
    /// Adds one observation, its source kept once.
    pub fn push(&mut self, observation: &ExternalObservation) {
        let source = match self.sources.iter().position(|s| s.key == observation.source.key) {
            Some(index) => index,
            None => {
                self.sources.push(observation.source.clone());
                self.sources.len() - 1
            }
        };
        let offer = &observation.offer;
        self.rows.push(DeltaRow(
            offer.cloud,
            offer.region.clone(),
            offer.zone.clone().unwrap_or_default(),
            offer.instance_type.clone(),
            observation.kind,
            observation.rate.money.amount.normalize().to_string(),
            observation.rate.money.currency,
            observation.rate.per,
            observation.observed_at,
            source as u32,
        ));
    }

    /// The observations again (a row with an unreadable amount or source is left out).
    pub fn observations(&self) -> Vec<ExternalObservation> {
        self.rows
            .iter()
            .filter_map(|row| {
                let amount: Decimal = row.5.parse().ok()?;
                Some(ExternalObservation {
                    offer: OfferKey {
                        cloud: row.0,
                        region: row.1.clone(),
                        zone: (!row.2.is_empty()).then(|| row.2.clone()),
                        instance_type: row.3.clone(),
                    },
                    kind: row.4,
                    rate: PriceRate::new(Money::new(amount, row.6), row.7),
                    observed_at: row.8,
                    source: self.sources.get(row.9 as usize)?.clone(),
                })
            })
            .collect()
    }
}
