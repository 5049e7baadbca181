//! The embedded catalog's compact binary form: postcard (varint) encoding of index-linked tables, with zone
//! names interned, decimals as mantissa + scale, and observations' offer indexes delta-encoded. What observations
//! share is kept once: their dates in a table of distinct times, and their kind, currency, unit, source and
//! protection period in a table of series, so an observation is its offer step, two small indexes and its amount
//! (about 7 bytes, where writing each in full took 15).
//!
//! The format is versioned by [`FORMAT`]; `cargo xtask catalog` writes it and [`decode`] reads it without I/O.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::model::{Arch, Availability, InstanceType, Offer, PriceKind, PriceObservation, Region, Source};
use super::{Catalog, CatalogError, CatalogParts};
use crate::clouds::Cloud;
use crate::money::{Currency, Money, PriceRate, TimeUnit};

/// The format version written at the start of the data; bump it on any change of the layout.
pub const FORMAT: u32 = 2;

/// Why bytes could not be read (or written) as a catalog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The bytes are not a postcard catalog of this layout.
    #[error("malformed catalog data: {0}")]
    Malformed(String),
    /// The data was written by another format version.
    #[error("catalog format {found} is not the supported format {FORMAT}")]
    Version {
        /// The version found in the data.
        found: u32,
    },
    /// A decimal does not fit the compact form (mantissa beyond 64 bits).
    #[error("decimal {0} is too precise for the compact catalog")]
    DecimalTooLarge(String),
    /// The decoded tables do not link up.
    #[error(transparent)]
    Invalid(#[from] CatalogError),
}

#[derive(Debug, Serialize, Deserialize)]
struct Wire {
    format: u32,
    sources: Vec<Source>,
    regions: Vec<Region>,
    zones: Vec<String>,
    types: Vec<WireType>,
    offers: Vec<WireOffer>,
    /// The distinct observation times (Unix seconds), ascending.
    times: Vec<i64>,
    /// The distinct series observations belong to.
    series: Vec<WireSeries>,
    observations: Vec<WireObservation>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct WireDecimal {
    mantissa: i64,
    scale: u32,
}

#[derive(Debug, Serialize, Deserialize)]
struct WireType {
    cloud: Cloud,
    name: String,
    family: String,
    vcpu: u32,
    memory_gib: WireDecimal,
    gpu_count: Option<u32>,
    gpu_model: Option<String>,
    arch: Arch,
    note: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct WireOffer {
    region: u32,
    /// 0 = no zone, otherwise index + 1 into `zones`.
    zone: u32,
    instance_type: u32,
    availability: Availability,
}

/// What many observations have in common: what they price, in which currency and unit, from which source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
struct WireSeries {
    kind: PriceKind,
    currency: Currency,
    per: TimeUnit,
    source: u32,
    spot_duration_hours: Option<u8>,
}

#[derive(Debug, Serialize, Deserialize)]
struct WireObservation {
    /// Offer index minus the previous observation's (observations are sorted by offer).
    offer_delta: u32,
    /// Index into `series`.
    series: u32,
    /// Index into `times`.
    time: u32,
    amount: WireDecimal,
}

fn to_wire_decimal(value: Decimal) -> Result<WireDecimal, DecodeError> {
    let mantissa = i64::try_from(value.mantissa()).map_err(|_| DecodeError::DecimalTooLarge(value.to_string()))?;
    Ok(WireDecimal {
        mantissa,
        scale: value.scale(),
    })
}

fn from_wire_decimal(value: WireDecimal) -> Result<Decimal, DecodeError> {
    Decimal::try_from_i128_with_scale(i128::from(value.mantissa), value.scale)
        .map_err(|error| DecodeError::Malformed(format!("decimal: {error}")))
}

/// The distinct values, ascending: a table observations point into.
fn sorted_distinct<T: Ord>(values: impl Iterator<Item = T>) -> Vec<T> {
    let mut table: Vec<T> = values.collect();
    table.sort();
    table.dedup();
    table
}

/// A value's index in a table [`sorted_distinct`] made from a list it came from (so it is always there).
fn index_in<T: Ord>(table: &[T], value: &T) -> u32 {
    table.binary_search(value).map_or(0, |index| index as u32)
}

/// Encodes a catalog compactly. Deterministic: the same catalog always gives the same bytes.
pub fn encode(catalog: &Catalog) -> Result<Vec<u8>, DecodeError> {
    let parts = catalog.parts();
    let mut zones: Vec<String> = parts
        .offers
        .iter()
        .filter_map(|offer| offer.zone.as_deref().map(str::to_owned))
        .collect();
    zones.sort();
    zones.dedup();
    let zone_index = |zone: Option<&str>| match zone {
        None => 0,
        Some(zone) => zones
            .binary_search_by(|probe| probe.as_str().cmp(zone))
            .map_or(0, |index| index as u32 + 1),
    };
    let types = parts
        .instance_types
        .iter()
        .map(|t| {
            Ok(WireType {
                cloud: t.cloud,
                name: t.name.clone(),
                family: t.family.clone(),
                vcpu: t.vcpu,
                memory_gib: to_wire_decimal(t.memory_gib)?,
                gpu_count: t.gpu_count,
                gpu_model: t.gpu_model.clone(),
                arch: t.arch,
                note: t.note.clone(),
            })
        })
        .collect::<Result<Vec<_>, DecodeError>>()?;
    let offers = parts
        .offers
        .iter()
        .map(|offer| WireOffer {
            region: offer.region,
            zone: zone_index(offer.zone.as_deref()),
            instance_type: offer.instance_type,
            availability: offer.availability,
        })
        .collect();
    let series_of = |obs: &PriceObservation| WireSeries {
        kind: obs.kind,
        currency: obs.rate.money.currency,
        per: obs.rate.per,
        source: obs.source,
        spot_duration_hours: obs.spot_duration_hours,
    };
    let times = sorted_distinct(parts.observations.iter().map(|obs| obs.observed_at));
    let series = sorted_distinct(parts.observations.iter().map(series_of));
    let mut previous_offer = 0;
    let mut observations = Vec::with_capacity(parts.observations.len());
    for obs in &parts.observations {
        observations.push(WireObservation {
            offer_delta: obs.offer - previous_offer,
            series: index_in(&series, &series_of(obs)),
            time: index_in(&times, &obs.observed_at),
            amount: to_wire_decimal(obs.rate.money.amount)?,
        });
        previous_offer = obs.offer;
    }
    let wire = Wire {
        format: FORMAT,
        sources: parts.sources.clone(),
        regions: parts.regions.clone(),
        zones,
        types,
        offers,
        times,
        series,
        observations,
    };
    postcard::to_allocvec(&wire).map_err(|error| DecodeError::Malformed(error.to_string()))
}

/// Decodes and validates a compact catalog.
pub fn decode(bytes: &[u8]) -> Result<Catalog, DecodeError> {
    let format: u32 = postcard::take_from_bytes(bytes).map(|(format, _)| format).unwrap_or(0);
    if format != FORMAT {
        return Err(DecodeError::Version { found: format });
    }
    let wire: Wire = postcard::from_bytes(bytes).map_err(|error| DecodeError::Malformed(error.to_string()))?;
    let instance_types = wire
        .types
        .into_iter()
        .map(|t| {
            Ok(InstanceType {
                cloud: t.cloud,
                name: t.name,
                family: t.family,
                vcpu: t.vcpu,
                memory_gib: from_wire_decimal(t.memory_gib)?,
                gpu_count: t.gpu_count,
                gpu_model: t.gpu_model,
                arch: t.arch,
                note: t.note,
            })
        })
        .collect::<Result<Vec<_>, DecodeError>>()?;
    let zones: Vec<std::sync::Arc<str>> = wire
        .zones
        .iter()
        .map(|zone| std::sync::Arc::from(zone.as_str()))
        .collect();
    let offers =
        wire.offers
            .into_iter()
            .map(|offer| {
                let zone =
                    match offer.zone {
                        0 => None,
                        index => Some(zones.get(index as usize - 1).cloned().ok_or_else(|| {
                            DecodeError::Malformed(format!("zone index {index} beyond {}", zones.len()))
                        })?),
                    };
                Ok(Offer {
                    region: offer.region,
                    zone,
                    instance_type: offer.instance_type,
                    availability: offer.availability,
                })
            })
            .collect::<Result<Vec<_>, DecodeError>>()?;
    let mut offer = 0_u32;
    let mut observations = Vec::with_capacity(wire.observations.len());
    for obs in wire.observations {
        offer = offer
            .checked_add(obs.offer_delta)
            .ok_or_else(|| DecodeError::Malformed("offer index overflow".into()))?;
        let series = wire.series.get(obs.series as usize).ok_or_else(|| {
            DecodeError::Malformed(format!("series index {} beyond {}", obs.series, wire.series.len()))
        })?;
        let observed_at = *wire
            .times
            .get(obs.time as usize)
            .ok_or_else(|| DecodeError::Malformed(format!("time index {} beyond {}", obs.time, wire.times.len())))?;
        observations.push(PriceObservation {
            offer,
            kind: series.kind,
            rate: PriceRate::new(Money::new(from_wire_decimal(obs.amount)?, series.currency), series.per),
            observed_at,
            source: series.source,
            spot_duration_hours: series.spot_duration_hours,
        });
    }
    let parts = CatalogParts {
        sources: wire.sources,
        regions: wire.regions,
        instance_types,
        offers,
        observations,
    };
    Ok(Catalog::new(parts)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// The embedded catalog as its tables.
    fn embedded_wire() -> Wire {
        postcard::from_bytes(super::super::EMBEDDED).expect("the embedded catalog reads")
    }

    /// The embedded catalog with one change to its tables, decoded.
    fn decoded_with(change: impl FnOnce(&mut Wire)) -> Result<Catalog, DecodeError> {
        let mut wire = embedded_wire();
        change(&mut wire);
        decode(&postcard::to_allocvec(&wire).expect("encodes"))
    }

    #[test]
    fn an_observation_pointing_past_the_shared_tables_is_malformed_not_a_panic() {
        let past_series = decoded_with(|wire| wire.observations[0].series = wire.series.len() as u32);
        assert!(
            matches!(past_series, Err(DecodeError::Malformed(message)) if message.starts_with("series index")),
            "a series index past the table"
        );
        let past_times = decoded_with(|wire| wire.observations[0].time = wire.times.len() as u32);
        assert!(
            matches!(past_times, Err(DecodeError::Malformed(message)) if message.starts_with("time index")),
            "a time index past the table"
        );
    }

    #[test]
    fn shared_tables_hold_each_value_once_and_the_embedded_catalog_reencodes_to_its_own_bytes() {
        let wire = embedded_wire();
        assert!(
            wire.times.windows(2).all(|pair| pair[0] < pair[1]),
            "times ascending, distinct"
        );
        assert!(
            wire.series.windows(2).all(|pair| pair[0] < pair[1]),
            "series ascending, distinct"
        );
        let catalog = decode(super::super::EMBEDDED).expect("decodes");
        assert_eq!(encode(&catalog).expect("encodes"), super::super::EMBEDDED);
    }
}
