//! The newest live price the store holds for each offer and kind, in memory. The spend check reads it, synchronously,
//! beside the embedded catalog: a market bid is bounded by the price the clouds answered last, not by an older
//! catalog figure. It catches up from the store's price sequence (rows are only ever added after the last one read)
//! before the reads that may need it, so quotes another replica stored count too.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use spotplan_core::PriceRate;
use spotplan_core::api::catalog::CatalogDelta;
use spotplan_core::catalog::{OfferKey, PriceKind};

use crate::store::{Store, StoreError};

/// Rows read from the store at a time.
const PAGE: u32 = 10_000;

/// A price and when it was observed (Unix seconds).
pub type Dated = (PriceRate, i64);

/// The newest stored live price of each offer and kind.
#[derive(Debug, Clone, Default)]
pub struct LiveBook {
    book: Arc<RwLock<Book>>,
}

#[derive(Debug, Default)]
struct Book {
    newest: HashMap<(OfferKey, PriceKind), Dated>,
    /// The store's sequence number of the last row read.
    until: i64,
}

impl LiveBook {
    /// Reads what the store added since the last catch-up.
    pub async fn catch_up(&self, store: &Store) -> Result<(), StoreError> {
        loop {
            let since = self.book.read().unwrap_or_else(PoisonError::into_inner).until;
            let delta = crate::price_store::since(store, since, PAGE).await?;
            let more = delta.more;
            self.merge(since, &delta);
            if !more {
                return Ok(());
            }
        }
    }

    /// The newest stored price of `key` and `kind`, if the store has one.
    pub fn newest(&self, key: &OfferKey, kind: PriceKind) -> Option<Dated> {
        let book = self.book.read().unwrap_or_else(PoisonError::into_inner);
        book.newest.get(&(key.clone(), kind)).copied()
    }

    /// Takes in the rows read after `since`, unless another catch-up already read past them.
    pub(crate) fn merge(&self, since: i64, delta: &CatalogDelta) {
        let mut book = self.book.write().unwrap_or_else(PoisonError::into_inner);
        if delta.until <= book.until || since > book.until {
            return;
        }
        for observation in delta.observations() {
            let dated = (observation.rate, observation.observed_at);
            book.newest
                .entry((observation.offer, observation.kind))
                .and_modify(|held| {
                    if dated.1 >= held.1 {
                        *held = dated;
                    }
                })
                .or_insert(dated);
        }
        book.until = delta.until;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spotplan_core::catalog::{ExternalObservation, Source};
    use spotplan_core::{Cloud, Currency, Money, TimeUnit};

    fn observed(amount: &str, at: i64) -> ExternalObservation {
        ExternalObservation {
            offer: OfferKey {
                cloud: Cloud::Alibaba,
                region: "cn-hangzhou".into(),
                zone: Some("cn-hangzhou-k".into()),
                instance_type: "ecs.c7.xlarge".into(),
            },
            kind: PriceKind::OnDemand,
            rate: PriceRate::new(Money::parse(amount, Currency::Cny).expect("money"), TimeUnit::Hour),
            observed_at: at,
            source: Source {
                key: "live".into(),
                name: "live".into(),
                url: String::new(),
                licence: String::new(),
                date: "2026-12-04".into(),
                attribution: String::new(),
                live: None,
            },
        }
    }

    fn delta(until: i64, rows: &[ExternalObservation]) -> CatalogDelta {
        let mut delta = CatalogDelta {
            until,
            ..CatalogDelta::default()
        };
        for row in rows {
            delta.push(row);
        }
        delta
    }

    #[test]
    fn the_newest_observation_wins_and_a_read_overtaken_by_another_changes_nothing() {
        let book = LiveBook::default();
        let key = observed("1", 0).offer;
        book.merge(0, &delta(2, &[observed("1.10", 200), observed("1.05", 100)]));
        let newest = |book: &LiveBook| {
            book.newest(&key, PriceKind::OnDemand)
                .map(|(rate, at)| (rate.money.amount.to_string(), at))
        };
        assert_eq!(
            newest(&book),
            Some(("1.1".into(), 200)),
            "by when it was observed, not by the order read"
        );
        // A read that began before the last one ended (it started at 0) adds nothing older.
        book.merge(0, &delta(1, &[observed("0.90", 50)]));
        assert_eq!(newest(&book), Some(("1.1".into(), 200)));
        book.merge(2, &delta(3, &[observed("1.20", 300)]));
        assert_eq!(newest(&book), Some(("1.2".into(), 300)));
        assert_eq!(book.newest(&key, PriceKind::Spot), None);
    }
}
