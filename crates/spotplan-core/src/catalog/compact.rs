//! The embedded catalog's compact binary form: postcard (varint) encoding of index-linked tables, with zone
//! names interned, decimals as mantissa + scale, and what observations share kept once (their dates in a table of
//! distinct times; their kind, currency, unit, source and protection period in a table of series).
//!
//! The tables are stored by column, not by row, because the bundle is shipped compressed: a column of small
//! steps compresses far better than rows that mix indexes, dates and prices. Offers' region, zone and type
//! indexes are steps from the previous offer's (offers are sorted, so most steps are 0 or 1); an observation's
//! offer is a step from the previous observation's, and its time, scale and mantissa are steps from the previous
//! observation of the same offer and series (a price history changes little). Measured on the embedded catalog
//! (2026-12-04): 349.3 KB raw and 67.3 KB brotli by rows; 332.3 KB and 44.2 KB by columns.
//!
//! The format is versioned by [`FORMAT`]; `cargo xtask catalog` writes it and [`decode`] reads it without I/O.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::model::{Arch, Availability, InstanceType, Offer, PriceKind, PriceObservation, Region, Source};
use super::{Catalog, CatalogError, CatalogParts};
use crate::clouds::Cloud;
use crate::money::{Currency, Money, PriceRate, TimeUnit};

/// The format version written at the start of the data; bump it on any change of the layout.
pub const FORMAT: u32 = 3;

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
    types: WireTypes,
    offers: WireOffers,
    /// The distinct observation times (Unix seconds), ascending.
    times: Vec<i64>,
    /// The distinct series observations belong to.
    series: Vec<WireSeries>,
    observations: WireObservations,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct WireDecimal {
    mantissa: i64,
    scale: u32,
}

/// Instance types by column: names, families, and the rest of each type.
#[derive(Debug, Default, Serialize, Deserialize)]
struct WireTypes {
    names: Vec<String>,
    families: Vec<String>,
    facts: Vec<WireTypeFacts>,
}

#[derive(Debug, Serialize, Deserialize)]
struct WireTypeFacts {
    cloud: Cloud,
    vcpu: u32,
    memory_gib: WireDecimal,
    gpu_count: Option<u32>,
    gpu_model: Option<String>,
    arch: Arch,
    note: Option<String>,
}

/// Offers by column; each index is a step from the previous offer's (wrapping, so any value round-trips).
#[derive(Debug, Default, Serialize, Deserialize)]
struct WireOffers {
    region_steps: Vec<i64>,
    /// Steps of the zone column, where 0 = no zone and otherwise index + 1 into `zones`.
    zone_steps: Vec<i64>,
    type_steps: Vec<i64>,
    availability: Vec<Availability>,
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

/// Observations by column. `offer_steps` are from the previous observation's offer (observations are sorted by
/// offer); the time, scale and mantissa steps are from the previous observation of the same offer and series, or
/// from zero for its first. The mantissa is a step only when the scale did not change, and is whole otherwise.
#[derive(Debug, Default, Serialize, Deserialize)]
struct WireObservations {
    offer_steps: Vec<u32>,
    /// Indexes into `series`.
    series: Vec<u32>,
    /// Steps of indexes into `times`.
    time_steps: Vec<i64>,
    scale_steps: Vec<i64>,
    mantissa_steps: Vec<i64>,
}

/// The last observation of one series within the current offer: what the next one's steps are taken from.
#[derive(Debug, Clone, Copy, Default)]
struct SeriesCursor {
    time: i64,
    scale: i64,
    mantissa: i64,
}

impl SeriesCursor {
    /// The cursors of every series, as at the start of an offer.
    fn fresh(series: usize) -> Vec<SeriesCursor> {
        vec![SeriesCursor::default(); series]
    }
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

/// A column of values as steps from each previous value (from 0 for the first).
fn steps(values: impl Iterator<Item = u32>) -> Vec<i64> {
    let mut previous = 0_i64;
    values
        .map(|value| {
            let step = i64::from(value).wrapping_sub(previous);
            previous = i64::from(value);
            step
        })
        .collect()
}

/// The values a column of [`steps`] stands for; `what` names the column in the error.
fn unstep(steps: &[i64], what: &str) -> Result<Vec<u32>, DecodeError> {
    let mut value = 0_i64;
    steps
        .iter()
        .map(|step| {
            value = value.wrapping_add(*step);
            u32::try_from(value).map_err(|_| DecodeError::Malformed(format!("{what} index {value} out of range")))
        })
        .collect()
}

/// Checks that every column of a table has the table's length.
fn same_lengths(table: &str, lengths: &[usize]) -> Result<usize, DecodeError> {
    let rows = lengths.first().copied().unwrap_or(0);
    if lengths.iter().any(|len| *len != rows) {
        return Err(DecodeError::Malformed(format!(
            "{table} columns of lengths {lengths:?}"
        )));
    }
    Ok(rows)
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
    let mut types = WireTypes::default();
    for t in &parts.instance_types {
        types.names.push(t.name.clone());
        types.families.push(t.family.clone());
        types.facts.push(WireTypeFacts {
            cloud: t.cloud,
            vcpu: t.vcpu,
            memory_gib: to_wire_decimal(t.memory_gib)?,
            gpu_count: t.gpu_count,
            gpu_model: t.gpu_model.clone(),
            arch: t.arch,
            note: t.note.clone(),
        });
    }
    let offers = WireOffers {
        region_steps: steps(parts.offers.iter().map(|offer| offer.region)),
        zone_steps: steps(parts.offers.iter().map(|offer| zone_index(offer.zone.as_deref()))),
        type_steps: steps(parts.offers.iter().map(|offer| offer.instance_type)),
        availability: parts.offers.iter().map(|offer| offer.availability).collect(),
    };
    let series_of = |obs: &PriceObservation| WireSeries {
        kind: obs.kind,
        currency: obs.rate.money.currency,
        per: obs.rate.per,
        source: obs.source,
        spot_duration_hours: obs.spot_duration_hours,
    };
    let times = sorted_distinct(parts.observations.iter().map(|obs| obs.observed_at));
    let series = sorted_distinct(parts.observations.iter().map(series_of));
    let mut observations = WireObservations::default();
    let mut previous_offer = 0;
    let mut cursors = SeriesCursor::fresh(series.len());
    for obs in &parts.observations {
        if obs.offer != previous_offer {
            cursors.fill(SeriesCursor::default());
        }
        let series_index = index_in(&series, &series_of(obs));
        let decimal = to_wire_decimal(obs.rate.money.amount)?;
        let now = SeriesCursor {
            time: i64::from(index_in(&times, &obs.observed_at)),
            scale: i64::from(decimal.scale),
            mantissa: decimal.mantissa,
        };
        let last = &mut cursors[series_index as usize];
        observations.offer_steps.push(obs.offer - previous_offer);
        observations.series.push(series_index);
        observations.time_steps.push(now.time.wrapping_sub(last.time));
        observations.scale_steps.push(now.scale.wrapping_sub(last.scale));
        observations.mantissa_steps.push(if now.scale == last.scale {
            now.mantissa.wrapping_sub(last.mantissa)
        } else {
            now.mantissa
        });
        *last = now;
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
    let WireTypes { names, families, facts } = wire.types;
    same_lengths("instance type", &[names.len(), families.len(), facts.len()])?;
    let instance_types = names
        .into_iter()
        .zip(families)
        .zip(facts)
        .map(|((name, family), t)| {
            Ok(InstanceType {
                cloud: t.cloud,
                name,
                family,
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
    let columns = &wire.offers;
    same_lengths(
        "offer",
        &[
            columns.region_steps.len(),
            columns.zone_steps.len(),
            columns.type_steps.len(),
            columns.availability.len(),
        ],
    )?;
    let regions = unstep(&columns.region_steps, "region")?;
    let zone_column = unstep(&columns.zone_steps, "zone")?;
    let type_column = unstep(&columns.type_steps, "instance type")?;
    let offers =
        regions
            .into_iter()
            .zip(zone_column)
            .zip(type_column)
            .zip(columns.availability.iter().copied())
            .map(|(((region, zone), instance_type), availability)| {
                let zone =
                    match zone {
                        0 => None,
                        index => Some(zones.get(index as usize - 1).cloned().ok_or_else(|| {
                            DecodeError::Malformed(format!("zone index {index} beyond {}", zones.len()))
                        })?),
                    };
                Ok(Offer {
                    region,
                    zone,
                    instance_type,
                    availability,
                })
            })
            .collect::<Result<Vec<_>, DecodeError>>()?;
    let columns = &wire.observations;
    let rows = same_lengths(
        "observation",
        &[
            columns.offer_steps.len(),
            columns.series.len(),
            columns.time_steps.len(),
            columns.scale_steps.len(),
            columns.mantissa_steps.len(),
        ],
    )?;
    let mut offer = 0_u32;
    let mut cursors = SeriesCursor::fresh(wire.series.len());
    let mut observations = Vec::with_capacity(rows);
    for row in 0..rows {
        let offer_step = columns.offer_steps[row];
        if offer_step > 0 {
            cursors.fill(SeriesCursor::default());
        }
        offer = offer
            .checked_add(offer_step)
            .ok_or_else(|| DecodeError::Malformed("offer index overflow".into()))?;
        let series_index = columns.series[row] as usize;
        let series = wire.series.get(series_index).ok_or_else(|| {
            DecodeError::Malformed(format!("series index {series_index} beyond {}", wire.series.len()))
        })?;
        let last = &mut cursors[series_index];
        let time = last.time.wrapping_add(columns.time_steps[row]);
        let scale = last.scale.wrapping_add(columns.scale_steps[row]);
        let mantissa = if scale == last.scale {
            last.mantissa.wrapping_add(columns.mantissa_steps[row])
        } else {
            columns.mantissa_steps[row]
        };
        *last = SeriesCursor { time, scale, mantissa };
        let observed_at = usize::try_from(time)
            .ok()
            .and_then(|index| wire.times.get(index))
            .copied()
            .ok_or_else(|| DecodeError::Malformed(format!("time index {time} beyond {}", wire.times.len())))?;
        let scale = u32::try_from(scale).map_err(|_| DecodeError::Malformed(format!("decimal scale {scale}")))?;
        observations.push(PriceObservation {
            offer,
            kind: series.kind,
            rate: PriceRate::new(
                Money::new(from_wire_decimal(WireDecimal { mantissa, scale })?, series.currency),
                series.per,
            ),
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
        let past_series = decoded_with(|wire| wire.observations.series[0] = wire.series.len() as u32);
        assert!(
            matches!(past_series, Err(DecodeError::Malformed(message)) if message.starts_with("series index")),
            "a series index past the table"
        );
        let past_times = decoded_with(|wire| wire.observations.time_steps[0] = wire.times.len() as i64);
        assert!(
            matches!(past_times, Err(DecodeError::Malformed(message)) if message.starts_with("time index")),
            "a time index past the table"
        );
    }

    #[test]
    fn a_column_shorter_than_its_table_is_malformed_not_a_panic() {
        let short_prices = decoded_with(|wire| {
            wire.observations.mantissa_steps.pop();
        });
        assert!(
            matches!(&short_prices, Err(DecodeError::Malformed(message)) if message.starts_with("observation columns")),
            "{short_prices:?}"
        );
        let short_offers = decoded_with(|wire| {
            wire.offers.availability.pop();
        });
        assert!(
            matches!(&short_offers, Err(DecodeError::Malformed(message)) if message.starts_with("offer columns")),
            "{short_offers:?}"
        );
        let negative_type = decoded_with(|wire| wire.offers.type_steps[0] = -1);
        assert!(
            matches!(&negative_type, Err(DecodeError::Malformed(message)) if message.starts_with("instance type index -1")),
            "{negative_type:?}"
        );
    }

    #[test]
    fn a_price_history_is_stored_as_steps_and_a_change_of_scale_restarts_the_mantissa() {
        let catalog = decode(super::super::EMBEDDED).expect("decodes");
        let wire = embedded_wire();
        // Steps: most observations continue a history (their offer did not change), so most time steps are small.
        let continuing = wire.observations.offer_steps.iter().filter(|step| **step == 0).count();
        assert!(continuing > wire.observations.offer_steps.len() / 3, "{continuing}");
        // A history whose decimal places change mid-way takes the "whole mantissa" path; every price comes back
        // with its exact digits (decimal equality alone would not see a lost trailing zero).
        let scale_changes = catalog
            .observations()
            .windows(2)
            .filter(|pair| {
                pair[0].offer == pair[1].offer
                    && pair[0].kind == pair[1].kind
                    && pair[0].source == pair[1].source
                    && pair[0].rate.money.amount.scale() != pair[1].rate.money.amount.scale()
            })
            .count();
        assert!(
            scale_changes > 0,
            "the embedded catalog has histories whose decimal places change"
        );
        let again = decode(&encode(&catalog).expect("encodes")).expect("decodes");
        let digits = |catalog: &Catalog| -> Vec<String> {
            catalog
                .observations()
                .iter()
                .map(|obs| obs.rate.money.amount.to_string())
                .collect()
        };
        assert_eq!(digits(&again), digits(&catalog));
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
