//! The price catalog: every known offer of the three clouds with its dated, sourced price observations.
//!
//! A [`Catalog`] is validated on construction (every index points somewhere), keeps its observations sorted by
//! offer, kind and time, and answers "the newest price of this offer" in O(1). The default catalog is embedded
//! in the binary ([`Catalog::embedded`]), built reproducibly from the raw data by `cargo xtask catalog`.
//! Users' own prices and live quotes are merged with [`Catalog::with_observations`]: newest wins, provenance kept.

mod compact;
mod model;
mod store_history;

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

pub use compact::{DecodeError, decode, encode};
pub use model::{
    Arch, Availability, InstanceType, LiveBasis, LiveQuote, Offer, PriceKind, PriceObservation, Region, RegionStatus,
    Source,
};
pub use store_history::StoreFold;

use crate::clouds::Cloud;
use crate::money::PriceRate;

/// The compact catalog `cargo xtask catalog` builds from public price datasets (sources and licences in
/// `xtask/src/catalog/mod.rs`, and in every [`Source`] of the catalog).
static EMBEDDED: &[u8] = include_bytes!("../../catalog/catalog.bin");

/// Why a catalog could not be built or extended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// A record points at a record that does not exist.
    #[error("{record} {index} refers to {target} {target_index}, but there are only {len}")]
    DanglingIndex {
        /// The kind of record holding the reference.
        record: &'static str,
        /// Its position.
        index: usize,
        /// The kind of record referred to.
        target: &'static str,
        /// The index referred to.
        target_index: u32,
        /// How many such records exist.
        len: usize,
    },
    /// An offer key names no region or instance type of the catalog.
    #[error("no {what} `{value}` for {cloud} in the catalog")]
    UnknownOfferPart {
        /// `"region"` or `"instance type"`.
        what: &'static str,
        /// The value given.
        value: String,
        /// The cloud it was looked up in.
        cloud: Cloud,
    },
    /// A price observation with a zero or negative amount (a price is unknown, never zero).
    #[error("price {value} for {offer} is not positive (an unknown price is left out, never zero)")]
    NonPositivePrice {
        /// The offer, as text.
        offer: String,
        /// The amount given.
        value: String,
    },
}

/// Names an offer from outside the catalog (a user's price, a live quote): stable across catalog versions.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct OfferKey {
    /// The cloud.
    pub cloud: Cloud,
    /// The region's API id.
    pub region: String,
    /// The zone, when the price is per zone.
    pub zone: Option<String>,
    /// The instance type (Baidu: spec) name.
    pub instance_type: String,
}

impl std::fmt::Display for OfferKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let place = self.zone.as_deref().unwrap_or(&self.region);
        write!(f, "{} {} in {place}", self.cloud.id(), self.instance_type)
    }
}

/// A price from outside the embedded data, with its own provenance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ExternalObservation {
    /// Which offer it prices.
    pub offer: OfferKey,
    /// On-demand or spot.
    pub kind: PriceKind,
    /// The price in its native currency and unit.
    pub rate: PriceRate,
    /// When it was observed (Unix seconds, UTC).
    pub observed_at: i64,
    /// Where it came from (e.g. "typed by you", "live quote via the proxy").
    pub source: Source,
}

/// Where an offer's observations sit in [`Catalog::observations`], and its newest prices.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct OfferPrices {
    start: u32,
    end: u32,
    latest_on_demand: Option<u32>,
    latest_spot: Option<u32>,
}

/// The raw parts of a catalog, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogParts {
    /// Sources of figures.
    pub sources: Vec<Source>,
    /// Regions of all clouds.
    pub regions: Vec<Region>,
    /// Instance types of all clouds.
    pub instance_types: Vec<InstanceType>,
    /// Offers (type × region/zone).
    pub offers: Vec<Offer>,
    /// Price observations of offers.
    pub observations: Vec<PriceObservation>,
}

/// A validated catalog with an index of each offer's prices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    parts: CatalogParts,
    prices: Vec<OfferPrices>,
}

impl Catalog {
    /// Validates `parts` and indexes the observations. Observations are sorted by offer, kind and time; equal
    /// times keep their given order, so a later-added observation wins a tie.
    pub fn new(mut parts: CatalogParts) -> Result<Catalog, CatalogError> {
        validate(&parts)?;
        let prices = index_prices(&mut parts);
        Ok(Catalog { parts, prices })
    }

    /// The catalog shipped inside Spotplan.
    pub fn embedded() -> Result<Catalog, DecodeError> {
        decode(EMBEDDED)
    }

    /// The size of the embedded compact catalog in bytes.
    pub fn embedded_size() -> usize {
        EMBEDDED.len()
    }

    /// All sources.
    pub fn sources(&self) -> &[Source] {
        &self.parts.sources
    }

    /// All regions.
    pub fn regions(&self) -> &[Region] {
        &self.parts.regions
    }

    /// All instance types.
    pub fn instance_types(&self) -> &[InstanceType] {
        &self.parts.instance_types
    }

    /// All offers.
    pub fn offers(&self) -> &[Offer] {
        &self.parts.offers
    }

    /// All observations, sorted by offer, kind (on-demand first) and time.
    pub fn observations(&self) -> &[PriceObservation] {
        &self.parts.observations
    }

    /// The raw parts (for encoding).
    pub fn parts(&self) -> &CatalogParts {
        &self.parts
    }

    /// The region of an offer.
    pub fn region_of(&self, offer: &Offer) -> &Region {
        &self.parts.regions[offer.region as usize]
    }

    /// The instance type of an offer.
    pub fn type_of(&self, offer: &Offer) -> &InstanceType {
        &self.parts.instance_types[offer.instance_type as usize]
    }

    /// The source of an observation.
    pub fn source_of(&self, observation: &PriceObservation) -> &Source {
        &self.parts.sources[observation.source as usize]
    }

    /// Every observation of an offer.
    pub fn observations_of(&self, offer: usize) -> &[PriceObservation] {
        let entry = self.prices[offer];
        &self.parts.observations[entry.start as usize..entry.end as usize]
    }

    /// The spot price history of an offer, oldest first.
    pub fn spot_history(&self, offer: usize) -> &[PriceObservation] {
        let all = self.observations_of(offer);
        let first_spot = all.partition_point(|obs| obs.kind == PriceKind::OnDemand);
        &all[first_spot..]
    }

    /// The newest observation of a kind for an offer.
    pub fn latest(&self, offer: usize, kind: PriceKind) -> Option<&PriceObservation> {
        let entry = self.prices.get(offer)?;
        let index = match kind {
            PriceKind::OnDemand => entry.latest_on_demand,
            PriceKind::Spot => entry.latest_spot,
        }?;
        self.parts.observations.get(index as usize)
    }

    /// The stable key of an offer.
    pub fn key_of(&self, offer: usize) -> OfferKey {
        let record = &self.parts.offers[offer];
        let instance_type = self.type_of(record);
        OfferKey {
            cloud: instance_type.cloud,
            region: self.region_of(record).id.clone(),
            zone: record.zone.as_deref().map(str::to_owned),
            instance_type: instance_type.name.clone(),
        }
    }

    /// Finds the offer a key names.
    pub fn find_offer(&self, key: &OfferKey) -> Option<usize> {
        self.parts.offers.iter().position(|offer| {
            let instance_type = self.type_of(offer);
            let region = self.region_of(offer);
            instance_type.cloud == key.cloud
                && instance_type.name == key.instance_type
                && region.id == key.region
                && offer.zone.as_deref() == key.zone.as_deref()
        })
    }

    /// A larger catalog for benchmarks: this catalog's offers and observations repeated (as if more zones
    /// existed) until there are exactly `offers` offers.
    pub fn replicated(&self, offers: usize) -> Catalog {
        let mut parts = self.parts.clone();
        let original = self.parts.offers.len().max(1);
        let mut copy = 1;
        while parts.offers.len() < offers && !self.parts.offers.is_empty() {
            let offset = (original * copy) as u32;
            parts.offers.extend(self.parts.offers.iter().cloned());
            parts
                .observations
                .extend(self.parts.observations.iter().map(|obs| PriceObservation {
                    offer: obs.offer + offset,
                    ..obs.clone()
                }));
            copy += 1;
        }
        parts.offers.truncate(offers);
        parts.observations.retain(|obs| (obs.offer as usize) < offers);
        Catalog {
            prices: index_prices(&mut parts),
            parts,
        }
    }

    /// Splits `observations` into those whose region and instance type this catalog knows — which
    /// [`Catalog::with_observations`] merges — and the distinct offers it does not know (a region or type newer
    /// than the catalog, or a name the cloud spelled otherwise), which it would refuse as a whole batch.
    pub fn known_observations<'a>(
        &self,
        observations: &'a [ExternalObservation],
    ) -> (Vec<&'a ExternalObservation>, Vec<OfferKey>) {
        let regions: HashSet<(Cloud, &str)> = self.regions().iter().map(|r| (r.cloud, r.id.as_str())).collect();
        let types: HashSet<(Cloud, &str)> = self
            .instance_types()
            .iter()
            .map(|t| (t.cloud, t.name.as_str()))
            .collect();
        let mut unknown: Vec<OfferKey> = Vec::new();
        let mut known = Vec::new();
        for observation in observations {
            let offer = &observation.offer;
            if regions.contains(&(offer.cloud, offer.region.as_str()))
                && types.contains(&(offer.cloud, offer.instance_type.as_str()))
            {
                known.push(observation);
            } else if !unknown.contains(offer) {
                unknown.push(offer.clone());
            }
        }
        (known, unknown)
    }

    /// This catalog plus outside observations (a user's prices, live quotes). An observation for an offer the
    /// catalog lacks creates it when its region and type exist. Newest observation wins; on equal times the
    /// outside one wins. Every observation keeps its own source.
    pub fn with_observations(&self, extra: &[ExternalObservation]) -> Result<Catalog, CatalogError> {
        let mut parts = self.parts.clone();
        let mut source_index: HashMap<String, u32> = parts
            .sources
            .iter()
            .enumerate()
            .map(|(i, source)| (source.key.clone(), i as u32))
            .collect();
        // Offers by key, built once: a lookup per observation (20,000 of them after a reload) stays constant time.
        let mut offer_index: HashMap<OfferKey, u32> = if extra.is_empty() {
            HashMap::new()
        } else {
            // In reverse, so the first offer of a key wins, as `find_offer` finds it.
            (0..parts.offers.len())
                .rev()
                .map(|i| (self.key_of(i), i as u32))
                .collect()
        };
        for observation in extra {
            if observation.rate.money.amount <= rust_decimal::Decimal::ZERO {
                return Err(CatalogError::NonPositivePrice {
                    offer: observation.offer.to_string(),
                    value: observation.rate.money.amount.to_string(),
                });
            }
            let offer = match offer_index.get(&observation.offer) {
                Some(offer) => *offer,
                None => {
                    let added = add_offer(&mut parts, &observation.offer)?;
                    offer_index.insert(observation.offer.clone(), added);
                    added
                }
            };
            let source = *source_index.entry(observation.source.key.clone()).or_insert_with(|| {
                parts.sources.push(observation.source.clone());
                (parts.sources.len() - 1) as u32
            });
            parts.observations.push(PriceObservation {
                offer,
                kind: observation.kind,
                rate: observation.rate,
                observed_at: observation.observed_at,
                source,
                spot_duration_hours: None,
            });
        }
        Catalog::new(parts)
    }
}

fn add_offer(parts: &mut CatalogParts, key: &OfferKey) -> Result<u32, CatalogError> {
    let region = parts
        .regions
        .iter()
        .position(|region| region.cloud == key.cloud && region.id == key.region);
    let region = region.ok_or_else(|| CatalogError::UnknownOfferPart {
        what: "region",
        value: key.region.clone(),
        cloud: key.cloud,
    })?;
    let instance_type = parts
        .instance_types
        .iter()
        .position(|instance_type| instance_type.cloud == key.cloud && instance_type.name == key.instance_type);
    let instance_type = instance_type.ok_or_else(|| CatalogError::UnknownOfferPart {
        what: "instance type",
        value: key.instance_type.clone(),
        cloud: key.cloud,
    })?;
    parts.offers.push(Offer {
        region: region as u32,
        zone: key.zone.as_deref().map(Into::into),
        instance_type: instance_type as u32,
        availability: Availability::Listed,
    });
    Ok((parts.offers.len() - 1) as u32)
}

/// Sorts observations by offer, kind and time (stable: later-added wins ties) and indexes each offer's range.
fn index_prices(parts: &mut CatalogParts) -> Vec<OfferPrices> {
    parts
        .observations
        .sort_by_key(|obs| (obs.offer, obs.kind == PriceKind::Spot, obs.observed_at));
    let mut prices = vec![OfferPrices::default(); parts.offers.len()];
    let mut index = 0;
    for (offer, entry) in prices.iter_mut().enumerate() {
        entry.start = index as u32;
        while let Some(obs) = parts.observations.get(index).filter(|obs| obs.offer as usize == offer) {
            match obs.kind {
                PriceKind::OnDemand => entry.latest_on_demand = Some(index as u32),
                PriceKind::Spot => entry.latest_spot = Some(index as u32),
            }
            index += 1;
        }
        entry.end = index as u32;
    }
    prices
}

fn validate(parts: &CatalogParts) -> Result<(), CatalogError> {
    let check = |record, index, target, target_index: u32, len: usize| {
        if (target_index as usize) < len {
            Ok(())
        } else {
            Err(CatalogError::DanglingIndex {
                record,
                index,
                target,
                target_index,
                len,
            })
        }
    };
    for (index, offer) in parts.offers.iter().enumerate() {
        check("offer", index, "region", offer.region, parts.regions.len())?;
        check(
            "offer",
            index,
            "instance type",
            offer.instance_type,
            parts.instance_types.len(),
        )?;
    }
    for (index, observation) in parts.observations.iter().enumerate() {
        check("observation", index, "offer", observation.offer, parts.offers.len())?;
        check("observation", index, "source", observation.source, parts.sources.len())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
