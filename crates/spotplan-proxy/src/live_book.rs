//! The newest live price the store holds for each offer and kind, in memory. The spend check reads it, synchronously,
//! beside the embedded catalog: a market bid is bounded by the price the clouds answered last, not by an older
//! catalog figure. It catches up from the store's price sequence (rows are only ever added after the last one read)
//! before the reads that may need it, so quotes another replica stored count too.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use spotplan_core::catalog::{OfferKey, PriceKind};
use spotplan_core::{Cloud, Currency, Money, PriceRate, TimeUnit};

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
    /// Reads what the store added since the last catch-up. A row it cannot read (a currency or unit this build does
    /// not know, written by a newer replica) is passed over and counted, never a reason to stop reading.
    pub async fn catch_up(&self, store: &Store) -> Result<(), StoreError> {
        loop {
            let since = self.book.read().unwrap_or_else(PoisonError::into_inner).until;
            let rows = store
                .select(
                    "SELECT cloud, region, zone, instance_type, kind, observed_at, amount, currency, per, seq \
                     FROM price_changes WHERE seq > ?1 ORDER BY seq LIMIT ?2",
                    vec![since.into(), i64::from(PAGE).into()],
                )
                .await?;
            let Some(until) = rows.iter().filter_map(|row| row.int(9)).max() else {
                return Ok(());
            };
            let read: Vec<_> = rows.iter().filter_map(dated_row).collect();
            if read.len() < rows.len() {
                tracing::warn!(
                    unreadable = rows.len() - read.len(),
                    "stored live prices this build cannot read were passed over"
                );
            }
            self.merge(since, until, read);
            if rows.len() < PAGE as usize {
                return Ok(());
            }
        }
    }

    /// The newest stored price of `key` and `kind`, if the store has one.
    pub fn newest(&self, key: &OfferKey, kind: PriceKind) -> Option<Dated> {
        let book = self.book.read().unwrap_or_else(PoisonError::into_inner);
        book.newest.get(&(key.clone(), kind)).copied()
    }

    /// Takes in the prices read after `since`, up to the store's row `until`, unless another catch-up already read
    /// past them.
    pub(crate) fn merge(&self, since: i64, until: i64, prices: Vec<(OfferKey, PriceKind, Dated)>) {
        let mut book = self.book.write().unwrap_or_else(PoisonError::into_inner);
        if until <= book.until || since > book.until {
            return;
        }
        for (offer, kind, dated) in prices {
            book.newest
                .entry((offer, kind))
                .and_modify(|held| {
                    if dated.1 >= held.1 {
                        *held = dated;
                    }
                })
                .or_insert(dated);
        }
        book.until = until;
    }
}

/// One stored price row as an offer, a kind and a dated price; `None` when a column does not read.
fn dated_row(row: &crate::sql::SqlRow) -> Option<(OfferKey, PriceKind, Dated)> {
    let offer = OfferKey {
        cloud: Cloud::from_id(&row.text(0)?)?,
        region: row.text(1)?,
        zone: row.text(2).filter(|zone| !zone.is_empty()),
        instance_type: row.text(3)?,
    };
    let kind = match row.text(4)?.as_str() {
        "spot" => PriceKind::Spot,
        "on_demand" => PriceKind::OnDemand,
        _ => return None,
    };
    let per: TimeUnit = serde_json::from_value(serde_json::Value::String(row.text(8)?)).ok()?;
    let money = Money::new(row.text(6)?.parse().ok()?, Currency::from_code(&row.text(7)?)?);
    Some((offer, kind, (PriceRate::new(money, per), row.int(5)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observed(amount: &str, at: i64) -> (OfferKey, PriceKind, Dated) {
        let key = OfferKey {
            cloud: Cloud::Alibaba,
            region: "cn-hangzhou".into(),
            zone: Some("cn-hangzhou-k".into()),
            instance_type: "ecs.c7.xlarge".into(),
        };
        let rate = PriceRate::new(Money::parse(amount, Currency::Cny).expect("money"), TimeUnit::Hour);
        (key, PriceKind::OnDemand, (rate, at))
    }

    #[test]
    fn the_newest_observation_wins_and_a_read_overtaken_by_another_changes_nothing() {
        let book = LiveBook::default();
        let key = observed("1", 0).0;
        book.merge(0, 2, vec![observed("1.10", 200), observed("1.05", 100)]);
        let newest = |book: &LiveBook| {
            book.newest(&key, PriceKind::OnDemand)
                .map(|(rate, at)| (rate.money.amount.to_string(), at))
        };
        assert_eq!(
            newest(&book),
            Some(("1.10".into(), 200)),
            "by when it was observed, not by the order read"
        );
        // A read that began before the last one ended (it started at 0) adds nothing older.
        book.merge(0, 1, vec![observed("0.90", 50)]);
        assert_eq!(newest(&book), Some(("1.10".into(), 200)));
        book.merge(2, 3, vec![observed("1.20", 300)]);
        assert_eq!(newest(&book), Some(("1.20".into(), 300)));
        assert_eq!(book.newest(&key, PriceKind::Spot), None);
    }

    /// A stored row this build cannot read (a newer replica's currency) is passed over; the rows after it are read.
    #[tokio::test]
    async fn an_unreadable_stored_row_is_passed_over_and_reading_goes_on() {
        use spotplan_core::catalog::{ExternalObservation, Source};
        let store = Store::in_memory().expect("store");
        let stored = |instance_type: &str, amount: &str| {
            let (mut offer, kind, (rate, at)) = observed(amount, 1_796_000_000);
            offer.instance_type = instance_type.into();
            ExternalObservation {
                offer,
                kind,
                rate,
                observed_at: at,
                source: Source {
                    key: "live".into(),
                    name: "live".into(),
                    url: String::new(),
                    licence: String::new(),
                    date: "2026-12-01".into(),
                    attribution: String::new(),
                    live: None,
                },
            }
        };
        let first = stored("ecs.c7.large", "0.5");
        crate::price_store::record(&store, vec![first.clone()], 1)
            .await
            .expect("stored");
        store
            .transaction(|tx| tx.execute("UPDATE price_changes SET currency = 'XYZ'", &[]))
            .await
            .expect("spoilt");
        let second = stored("ecs.c7.xlarge", "1.1");
        crate::price_store::record(&store, vec![second.clone()], 2)
            .await
            .expect("stored");
        let book = LiveBook::default();
        book.catch_up(&store).await.expect("read");
        assert_eq!(book.newest(&first.offer, PriceKind::OnDemand), None);
        assert_eq!(
            book.newest(&second.offer, PriceKind::OnDemand),
            Some((second.rate, second.observed_at))
        );
        // Read past both: nothing is read again.
        assert_eq!(book.book.read().unwrap_or_else(PoisonError::into_inner).until, 2);
    }
}
