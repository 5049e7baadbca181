//! Folding a proxy's price store into a catalog, for `cargo xtask catalog --from-store`: the store's observations
//! (each with its own source) join the catalog in a fixed order, whatever order the store kept them in, so the same
//! store always gives the same bytes; the history kept is bounded, and what the catalog cannot hold is counted, not
//! guessed.

use std::collections::HashMap;

use super::{Catalog, CatalogError, ExternalObservation, OfferKey, PriceKind};

/// What folding a store into a catalog kept and left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreFold {
    /// The catalog with the store's observations.
    pub catalog: Catalog,
    /// The observations kept, in the order they joined (the store's normalised content).
    pub kept: Vec<ExternalObservation>,
    /// Left out: older than the history window (each offer's newest price of a kind is always kept).
    pub older_than_window: usize,
    /// Left out: their region or instance type is not in the catalog (its specs are unknown, so no offer can be
    /// made for them); the distinct offers, in order.
    pub unknown_offers: Vec<OfferKey>,
    /// Left out: the same observation twice.
    pub duplicates: usize,
}

impl Catalog {
    /// This catalog with a price store's observations: every one whose region and type the catalog knows, within
    /// `window_seconds` of the store's newest observation (and each offer's newest price of a kind whatever its age),
    /// in a fixed order, duplicates once.
    pub fn with_store_history(
        &self,
        observations: &[ExternalObservation],
        window_seconds: i64,
    ) -> Result<StoreFold, CatalogError> {
        let (known, unknown_offers) = self.known_observations(observations);
        let newest_overall = known.iter().map(|o| o.observed_at).max().unwrap_or(0);
        let cutoff = newest_overall.saturating_sub(window_seconds);
        let mut newest_of: HashMap<(&OfferKey, PriceKind), i64> = HashMap::new();
        for observation in &known {
            let newest = newest_of
                .entry((&observation.offer, observation.kind))
                .or_insert(i64::MIN);
            *newest = (*newest).max(observation.observed_at);
        }
        let (in_window, old): (Vec<&ExternalObservation>, Vec<&ExternalObservation>) = known
            .into_iter()
            .partition(|o| o.observed_at >= cutoff || newest_of.get(&(&o.offer, o.kind)) == Some(&o.observed_at));
        let older_than_window = old.len();
        let mut kept: Vec<ExternalObservation> = in_window.into_iter().cloned().collect();
        kept.sort_by(|a, b| order_key(a).cmp(&order_key(b)));
        let before = kept.len();
        kept.dedup();
        let duplicates = before - kept.len();
        Ok(StoreFold {
            catalog: self.with_observations(&kept)?,
            kept,
            older_than_window,
            unknown_offers,
            duplicates,
        })
    }
}

/// The fixed order observations join in: by offer, kind and time, then by price and source for ties.
fn order_key(o: &ExternalObservation) -> impl Ord + '_ {
    (
        o.offer.cloud.id(),
        o.offer.region.as_str(),
        o.offer.zone.as_deref().unwrap_or(""),
        o.offer.instance_type.as_str(),
        o.kind == PriceKind::Spot,
        o.observed_at,
        o.rate.money.amount,
        o.source.key.as_str(),
    )
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::catalog::Source;
    use crate::clouds::Cloud;
    use crate::money::{Currency, Money, PriceRate, TimeUnit};

    const DAY: i64 = 86_400;
    const NEWEST: i64 = 1_796_083_200;

    fn source() -> Source {
        Source {
            key: "alibaba-live-2026-12-01".into(),
            name: "Alibaba DescribeSpotPriceHistory".into(),
            url: "https://ecs.aliyuncs.com".into(),
            licence: "your account's answer".into(),
            date: "2026-12-01".into(),
            attribution: "fetched by your Spotplan proxy".into(),
            live: None,
        }
    }

    fn observation(catalog: &Catalog, offer: usize, amount: &str, observed_at: i64) -> ExternalObservation {
        ExternalObservation {
            offer: catalog.key_of(offer),
            kind: PriceKind::Spot,
            rate: PriceRate::new(
                Money::new(amount.parse::<Decimal>().expect("amount"), Currency::Cny),
                TimeUnit::Hour,
            ),
            observed_at,
            source: source(),
        }
    }

    #[test]
    fn the_same_store_in_any_order_gives_the_same_catalog_and_the_newest_price_wins() {
        let base = Catalog::embedded().expect("embedded");
        let offer = (0..base.offers().len())
            .find(|&i| base.key_of(i).cloud == Cloud::Alibaba && base.key_of(i).zone.is_some())
            .expect("an Alibaba zone offer");
        let store = vec![
            observation(&base, offer, "0.31", NEWEST - 2 * DAY),
            observation(&base, offer, "0.29", NEWEST),
            observation(&base, offer, "0.31", NEWEST - 2 * DAY),
            observation(&base, offer, "0.40", NEWEST - 45 * DAY),
        ];
        let fold = base.with_store_history(&store, 30 * DAY).expect("fold");
        assert_eq!((fold.kept.len(), fold.duplicates, fold.older_than_window), (2, 1, 1));
        let mut reversed = store.clone();
        reversed.reverse();
        let again = base.with_store_history(&reversed, 30 * DAY).expect("fold");
        assert_eq!(
            crate::catalog::encode(&fold.catalog).expect("encode"),
            crate::catalog::encode(&again.catalog).expect("encode")
        );
        let latest = fold.catalog.latest(offer, PriceKind::Spot).expect("a spot price");
        assert_eq!(latest.observed_at, NEWEST);
        assert_eq!(latest.rate.money.amount, "0.29".parse::<Decimal>().expect("amount"));
        assert_eq!(fold.catalog.source_of(latest).key, "alibaba-live-2026-12-01");
    }

    #[test]
    fn an_offer_whose_type_the_catalog_lacks_is_counted_not_guessed() {
        let base = Catalog::embedded().expect("embedded");
        let mut unknown = observation(&base, 0, "1.0", NEWEST);
        unknown.offer.instance_type = "ecs.future99.xlarge".into();
        let fold = base
            .with_store_history(&[unknown.clone(), unknown.clone()], 30 * DAY)
            .expect("fold");
        assert_eq!(fold.unknown_offers, vec![unknown.offer]);
        assert!(fold.kept.is_empty());
        assert_eq!(fold.catalog.offers().len(), base.offers().len());
    }

    #[test]
    fn an_offer_priced_only_long_ago_keeps_its_newest_price() {
        let base = Catalog::embedded().expect("embedded");
        let store = vec![
            observation(&base, 0, "0.50", NEWEST - 90 * DAY),
            observation(&base, 0, "0.45", NEWEST - 80 * DAY),
            observation(&base, 1, "0.20", NEWEST),
        ];
        let fold = base.with_store_history(&store, 30 * DAY).expect("fold");
        assert_eq!(fold.older_than_window, 1);
        assert_eq!(fold.kept.len(), 2);
        assert_eq!(
            fold.catalog.latest(0, PriceKind::Spot).map(|o| o.observed_at),
            Some(NEWEST - 80 * DAY)
        );
    }
}
