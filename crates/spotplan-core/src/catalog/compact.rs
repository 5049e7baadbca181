//! The embedded catalog's compact binary form: postcard (varint) encoding of index-linked tables, with zone
//! names interned, decimals as mantissa + scale, and observations' offer indexes delta-encoded.
//!
//! The format is versioned by [`FORMAT`]; `cargo xtask catalog` writes it and [`decode`] reads it without I/O.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::model::{Arch, Availability, InstanceType, Offer, PriceKind, PriceObservation, Region, Source};
use super::{Catalog, CatalogError, CatalogParts};
use crate::clouds::Cloud;
use crate::money::{Currency, Money, PriceRate, TimeUnit};

/// The format version written at the start of the data; bump it on any change of the layout.
pub const FORMAT: u32 = 1;

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

#[derive(Debug, Serialize, Deserialize)]
struct WireObservation {
    /// Offer index minus the previous observation's (observations are sorted by offer).
    offer_delta: u32,
    kind: PriceKind,
    amount: WireDecimal,
    currency: Currency,
    per: TimeUnit,
    observed_at: i64,
    source: u32,
    spot_duration_hours: Option<u8>,
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
    let mut previous_offer = 0;
    let mut observations = Vec::with_capacity(parts.observations.len());
    for obs in &parts.observations {
        observations.push(WireObservation {
            offer_delta: obs.offer - previous_offer,
            kind: obs.kind,
            amount: to_wire_decimal(obs.rate.money.amount)?,
            currency: obs.rate.money.currency,
            per: obs.rate.per,
            observed_at: obs.observed_at,
            source: obs.source,
            spot_duration_hours: obs.spot_duration_hours,
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
        observations.push(PriceObservation {
            offer,
            kind: obs.kind,
            rate: PriceRate::new(Money::new(from_wire_decimal(obs.amount)?, obs.currency), obs.per),
            observed_at: obs.observed_at,
            source: obs.source,
            spot_duration_hours: obs.spot_duration_hours,
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
