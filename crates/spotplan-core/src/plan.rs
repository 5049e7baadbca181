//! Planning: filter the catalog's offers by a requirement and rank them, then compute each candidate's costs,
//! savings, bid advice and provenance on demand.
//!
//! [`Planner::new`] normalises every offer's newest prices once (to CNY per hour, as exact integers of 1e-9 CNY
//! used only as ordering keys); [`Planner::plan`] filters and sorts with those integers (no decimal arithmetic per
//! offer), so ranking tens of thousands of offers takes milliseconds; [`Planner::candidate`] computes a row's
//! exact decimal figures when it is shown or exported. Offers with no known spot price rank after priced ones,
//! with the reason; a price is never taken as zero.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use crate::advice::{self, AdviceInput, BidAdvice};
use crate::billing::{billed_seconds, spot_rules};
use crate::catalog::{Arch, Availability, Catalog, OfferKey, PriceKind, PriceObservation, RegionStatus};
use crate::clouds::Cloud;
use crate::fx::ExchangeRate;
use crate::money::{Currency, Money, MoneyError, PriceRate, TimeUnit};
use crate::order::native_bid::AccountCurrencies;
use spotplan_time::{age_in_days, format_date};

mod knowledge;
mod sort;
pub use knowledge::CloudKnowledge;
pub use sort::SortKey;

/// Where offers may be.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    /// Any region.
    #[default]
    Anywhere,
    /// Regions in mainland China.
    MainlandChina,
    /// Regions outside mainland China.
    OutsideMainlandChina,
}

/// What a person needs. Every filter is exact: an offer whose value is unknown does not match a filter on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Requirement {
    /// Fewest vCPUs per instance.
    pub vcpu_min: Option<u32>,
    /// Most vCPUs per instance.
    pub vcpu_max: Option<u32>,
    /// Least memory per instance, GiB.
    pub memory_min_gib: Option<Decimal>,
    /// Most memory per instance, GiB.
    pub memory_max_gib: Option<Decimal>,
    /// Fewest GPUs per instance.
    pub gpu_min: Option<u32>,
    /// Most GPUs per instance.
    pub gpu_max: Option<u32>,
    /// Text the GPU model must contain (case-insensitive), e.g. `A10`.
    pub gpu_model: Option<String>,
    /// CPU architecture.
    pub arch: Option<Arch>,
    /// Clouds to include; empty means all.
    pub clouds: Vec<Cloud>,
    /// Region or zone ids to include; empty means all.
    pub regions: Vec<String>,
    /// Geographic area.
    pub area: Area,
    /// Instances needed.
    pub instance_count: u32,
    /// Job duration in hours.
    pub hours: Decimal,
    /// Interruption probability the job accepts over its duration (0–1).
    pub max_interruption: Decimal,
    /// Order of the result.
    pub sort: SortKey,
    /// Whether the order is the reverse of the sort key's natural one (unknown values still come last).
    pub sort_reversed: bool,
    /// Text an offer's instance type, region (id or name) or zone must contain (case-insensitive).
    pub text: Option<String>,
    /// Currency figures are shown in.
    pub currency: Currency,
    /// Time unit unit prices are shown per.
    pub unit: TimeUnit,
    /// The currency each cloud's bids are sent in (a recommendation's worst case is what the bid sent from that
    /// account can reach). Not a filter: set from the account sites, never from a link.
    #[serde(skip_serializing_if = "AccountCurrencies::is_default")]
    pub account_currencies: AccountCurrencies,
}

impl Default for Requirement {
    fn default() -> Requirement {
        Requirement {
            vcpu_min: None,
            vcpu_max: None,
            memory_min_gib: None,
            memory_max_gib: None,
            gpu_min: None,
            gpu_max: None,
            gpu_model: None,
            arch: None,
            clouds: Vec::new(),
            regions: Vec::new(),
            area: Area::Anywhere,
            instance_count: 1,
            hours: Decimal::ONE,
            max_interruption: Decimal::new(1, 1),
            sort: SortKey::TotalExpectedCost,
            sort_reversed: false,
            text: None,
            currency: Currency::Cny,
            unit: TimeUnit::Hour,
            account_currencies: AccountCurrencies::default(),
        }
    }
}

/// The longest job the planner is asked for: ten years of hours (a longer one is a typo; the page and a URL refuse
/// it).
pub const MAX_JOB_HOURS: u32 = 87_600;

impl Requirement {
    /// The job's duration in whole seconds (rounded up); `u64::MAX` for hours too many to count (a decimal's
    /// product would overflow, and that must not panic the page).
    pub fn job_seconds(&self) -> u64 {
        self.hours
            .max(Decimal::ZERO)
            .checked_mul(Decimal::from(3600))
            .and_then(|seconds| seconds.ceil().to_u64())
            .unwrap_or(u64::MAX)
    }
}

/// Mainland China regions of the three clouds (Hong Kong and overseas are not).
pub fn in_mainland_china(cloud: Cloud, region: &str) -> bool {
    crate::clouds::api(cloud).in_mainland_china(region)
}

/// Per offer: what filtering and ordering need, as plain integers.
#[derive(Debug, Clone, Copy)]
struct OfferFacts {
    cloud: Cloud,
    vcpu: u32,
    gpu_count: Option<u32>,
    arch: Arch,
    region: u32,
    closed: bool,
    mainland: bool,
    /// Newest spot price (observed or estimated), 1e-9 CNY per hour.
    spot_nano: Option<i128>,
    /// Newest on-demand price, 1e-9 CNY per hour.
    on_demand_nano: Option<i128>,
    has_history: bool,
    /// Memory in 1/1000 GiB.
    memory_milli: i64,
    /// When the newest spot price was observed (Unix seconds).
    spot_observed_at: Option<i64>,
    /// When the newest on-demand price was observed (Unix seconds).
    on_demand_observed_at: Option<i64>,
    /// The offer's place (zone, else region) and instance type in alphabetical order among all offers.
    place_rank: u32,
    type_rank: u32,
}

/// One ranked offer: its index and the reason it is unpriced, if it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ranked {
    /// Index into the catalog's offers.
    pub offer: u32,
    /// Whether a spot price (observed or estimated) is known.
    pub priced: bool,
}

/// The result of planning: ranked offers, and what the filters left out for unknown values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Matching offers, best first; unpriced ones last.
    pub ranked: Vec<Ranked>,
    /// Offers left out because a filtered value (e.g. GPU count) is unknown.
    pub excluded_unknown: usize,
}

/// Ranks offers of a catalog; build once per catalog and exchange rate.
#[derive(Debug, Clone)]
pub struct Planner {
    catalog: Catalog,
    fx: ExchangeRate,
    facts: Vec<OfferFacts>,
    /// Per instance type: its name in lower case, for the text filter.
    type_text: Vec<String>,
    /// Per region: its id and names in lower case, for the text filter.
    region_text: Vec<String>,
}

/// A price as shown: observed, estimated, or unknown with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PriceFigure {
    /// An observed price with its provenance.
    Observed {
        /// The native price.
        native: PriceRate,
        /// When it was observed (`YYYY-MM-DD`).
        observed_on: String,
        /// Its age in days at planning time.
        age_days: i64,
        /// The source's attribution line.
        source: String,
    },
    /// An estimate from a documented rule.
    Estimated {
        /// The estimated native price.
        native: PriceRate,
        /// The low end of the documented range, as a share of on-demand.
        range_low: Decimal,
        /// The high end of the range.
        range_high: Decimal,
        /// The point the estimate assumes.
        assumed: Decimal,
        /// The rule and its source.
        basis: String,
        /// Age of the on-demand price it is derived from, in days.
        age_days: i64,
    },
    /// Unknown.
    Unknown {
        /// Why.
        reason: UnknownPrice,
    },
}

/// Why a price is unknown: a typed value the CLI prints in English and the web translates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownPrice {
    /// The cloud publishes no price: the person types one or fetches the live market price.
    NoPublicPrice(Cloud),
    /// The catalog's sources hold no on-demand price for the offer.
    NoOnDemandPrice,
    /// No spot price was observed for the offer.
    NoSpotPrice,
}

impl std::fmt::Display for UnknownPrice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UnknownPrice::NoPublicPrice(cloud) => {
                let names = crate::clouds::api(*cloud).names();
                return write!(
                    f,
                    "no public {} {} price exists: type one, or fetch the live market price",
                    names.vendor, names.product
                );
            }
            UnknownPrice::NoOnDemandPrice => "no on-demand price in the sources for this offer",
            UnknownPrice::NoSpotPrice => "no spot price observed for this offer",
        })
    }
}

impl PriceFigure {
    /// The native price, when known or estimated.
    pub fn native(&self) -> Option<PriceRate> {
        match self {
            PriceFigure::Observed { native, .. } | PriceFigure::Estimated { native, .. } => Some(*native),
            PriceFigure::Unknown { .. } => None,
        }
    }
}

/// What the worst case bills every second at (a value the UI words in its language).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorstCaseBasis {
    /// The recommended bid, rounded up to the cloud's decimals as the order sends it.
    RecommendedBid,
    /// The on-demand price, on a cloud whose market price never exceeds it.
    OnDemandCap,
    /// The newest spot price, where it is above the on-demand price (the list is then not what the market reaches).
    NewestSpotAboveList,
}

impl std::fmt::Display for WorstCaseBasis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WorstCaseBasis::RecommendedBid => "the recommended bid, as the cloud takes it",
            WorstCaseBasis::OnDemandCap => "the on-demand price, where the market is capped",
            WorstCaseBasis::NewestSpotAboveList => "the newest spot price, above the on-demand price",
        })
    }
}

/// A ranked offer with every figure, in the display currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// The offer's stable key.
    pub key: OfferKey,
    /// Region display names.
    pub region_en: String,
    /// Region display name in Chinese.
    pub region_zh: String,
    /// Region status (closed regions are filtered out before this).
    pub region_status: RegionStatus,
    /// Type facts.
    pub vcpu: u32,
    /// Memory in GiB.
    pub memory_gib: Decimal,
    /// GPU count, when known.
    pub gpu_count: Option<u32>,
    /// GPU model, when known.
    pub gpu_model: Option<String>,
    /// CPU architecture.
    pub arch: Arch,
    /// Whether the offer is known to be sold.
    pub availability: Availability,
    /// The spot price (native).
    pub spot: PriceFigure,
    /// The on-demand price (native).
    pub on_demand: PriceFigure,
    /// Spot price per instance in the display currency and unit.
    pub spot_display: Option<PriceRate>,
    /// On-demand price per instance in the display currency and unit.
    pub on_demand_display: Option<PriceRate>,
    /// Seconds billed for the job (the cloud's granularity).
    pub billed_seconds: u64,
    /// On-demand cost of the whole job (all instances).
    pub on_demand_total: Option<Money>,
    /// Expected spot cost: the market price is billed, not the bid.
    pub expected_total: Option<Money>,
    /// Worst case: every second billed at the bid.
    pub worst_case_total: Option<Money>,
    /// Savings of expected spot against on-demand, percent.
    pub savings_percent: Option<Decimal>,
    /// Spot price per vCPU-hour, display currency.
    pub per_vcpu_hour: Option<Money>,
    /// Spot price per GiB-hour, display currency.
    pub per_gib_hour: Option<Money>,
    /// The bid advice (native currency and unit of the history).
    pub bid: BidAdvice,
    /// The bid the worst case assumes (native), and what it is.
    pub worst_case_bid: Option<(PriceRate, WorstCaseBasis)>,
    /// The recommended bid as the order sends it (rounded up to the cloud's decimals, in the account's currency),
    /// in the display currency and unit: the figure beside the bid field, which shows the bid in that display.
    pub bid_display: Option<PriceRate>,
    /// Short notes a user should see (no discount, estimate, unverified availability, reclaim rule).
    pub notes: Vec<String>,
}

const NANO: i64 = 1_000_000_000;

impl Planner {
    /// Prepares a catalog for planning with an exchange rate.
    pub fn new(catalog: Catalog, fx: ExchangeRate) -> Planner {
        let mut facts: Vec<OfferFacts> = (0..catalog.offers().len())
            .map(|offer| offer_facts(&catalog, &fx, offer))
            .collect();
        sort::rank_names(&catalog, &mut facts);
        let type_text = catalog.instance_types().iter().map(|t| t.name.to_lowercase()).collect();
        let region_text = catalog
            .regions()
            .iter()
            .map(|r| format!("{} {} {}", r.id, r.name_en, r.name_zh).to_lowercase())
            .collect();
        Planner {
            catalog,
            fx,
            facts,
            type_text,
            region_text,
        }
    }

    /// The catalog planned over.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The exchange rate in use.
    pub fn fx(&self) -> &ExchangeRate {
        &self.fx
    }

    /// Filters and ranks the offers. Deterministic: ties are broken by catalog order.
    pub fn plan(&self, requirement: &Requirement) -> Plan {
        let catalog = &self.catalog;
        // Kept as typed (a space typed between words stays in the field); matched trimmed.
        let gpu_model = requirement
            .gpu_model
            .as_deref()
            .map(|model| model.trim().to_lowercase())
            .filter(|m| !m.is_empty());
        let text = requirement
            .text
            .as_deref()
            .map(|text| text.trim().to_lowercase())
            .filter(|text| !text.is_empty());
        let memory_min = requirement.memory_min_gib;
        let memory_max = requirement.memory_max_gib;
        let region_match: Option<Vec<bool>> = (!requirement.regions.is_empty()).then(|| {
            catalog
                .regions()
                .iter()
                .map(|region| requirement.regions.contains(&region.id))
                .collect()
        });
        let mut excluded_unknown = 0;
        let mut ranked = Vec::new();
        for (index, facts) in self.facts.iter().enumerate() {
            if facts.closed
                || !requirement.clouds.is_empty() && !requirement.clouds.contains(&facts.cloud)
                || requirement.vcpu_min.is_some_and(|min| facts.vcpu < min)
                || requirement.vcpu_max.is_some_and(|max| facts.vcpu > max)
                || requirement.arch.is_some_and(|arch| arch != facts.arch)
            {
                continue;
            }
            match requirement.area {
                Area::Anywhere => {}
                Area::MainlandChina if !facts.mainland => continue,
                Area::OutsideMainlandChina if facts.mainland => continue,
                _ => {}
            }
            let offer = &catalog.offers()[index];
            if let Some(text) = &text
                && !self.type_text[offer.instance_type as usize].contains(text.as_str())
                && !self.region_text[offer.region as usize].contains(text.as_str())
                && !offer
                    .zone
                    .as_deref()
                    .is_some_and(|zone| zone.to_lowercase().contains(text.as_str()))
            {
                continue;
            }
            if let Some(matches) = &region_match
                && !matches[facts.region as usize]
                && !offer
                    .zone
                    .as_deref()
                    .is_some_and(|zone| requirement.regions.iter().any(|r| r == zone))
            {
                continue;
            }
            if memory_min.is_some() || memory_max.is_some() {
                let memory = catalog.type_of(offer).memory_gib;
                if memory_min.is_some_and(|min| memory < min) || memory_max.is_some_and(|max| memory > max) {
                    continue;
                }
            }
            if requirement.gpu_min.is_some() || requirement.gpu_max.is_some() || gpu_model.is_some() {
                let Some(count) = facts.gpu_count else {
                    excluded_unknown += 1;
                    continue;
                };
                if requirement.gpu_min.is_some_and(|min| count < min)
                    || requirement.gpu_max.is_some_and(|max| count > max)
                {
                    continue;
                }
                if let Some(wanted) = &gpu_model {
                    match &catalog.type_of(offer).gpu_model {
                        Some(model) if model.to_lowercase().contains(wanted.as_str()) => {}
                        Some(_) => continue,
                        None => {
                            excluded_unknown += 1;
                            continue;
                        }
                    }
                }
            }
            ranked.push(Ranked {
                offer: index as u32,
                priced: facts.spot_nano.is_some(),
            });
        }
        let job_seconds = requirement.job_seconds();
        // One integer key per row, then an unstable sort of the keys: each comparison is a few integer compares.
        // The offer index ends every key, so the order is total and deterministic.
        let mut keyed: Vec<(u8, i128, i128, u32)> = ranked
            .iter()
            .map(|r| {
                let facts = &self.facts[r.offer as usize];
                let (primary, secondary) = self.sort_keys(requirement, facts, r.offer, job_seconds);
                let primary = if requirement.sort_reversed {
                    sort::reversed(primary)
                } else {
                    primary
                };
                (u8::from(!r.priced), primary, secondary, r.offer)
            })
            .collect();
        keyed.sort_unstable();
        let ranked = keyed
            .into_iter()
            .map(|(class, _, _, offer)| Ranked {
                offer,
                priced: class == 0,
            })
            .collect();
        Plan {
            ranked,
            excluded_unknown,
        }
    }

    /// An offer's newest spot and on-demand prices per instance-hour, in exact integers of 1e-9 CNY (the ranking
    /// keys; Tencent's spot price is the labelled estimate). The fleet planner sorts with these.
    pub fn hourly_nano(&self, offer: u32) -> (Option<i128>, Option<i128>) {
        let facts = &self.facts[offer as usize];
        (facts.spot_nano, facts.on_demand_nano)
    }

    /// The empirical probability that a job of `job_seconds` on `offer` is interrupted by the price at a bid of
    /// `bid_cny_nano` (1e-9 CNY per hour), from the offer's price history (window maxima, as bid advice reads it),
    /// with the windows it rests on; `None` without enough history or where the cloud does not reclaim on price.
    pub fn history_interruption(&self, offer: u32, job_seconds: u64, bid_cny_nano: i128) -> Option<(Decimal, usize)> {
        let index = offer as usize;
        let facts = &self.facts[index];
        let rules = spot_rules(facts.cloud);
        if !facts.has_history || !rules.reclaims_on_price {
            return None;
        }
        let history = self.catalog.spot_history(index);
        let sample = history.first()?;
        let cny = Money::new(Decimal::from_i128_with_scale(bid_cny_nano, 9), Currency::Cny);
        let money = self.fx.convert(cny, sample.rate.money.currency).ok()?;
        let bid = PriceRate::new(money, TimeUnit::Hour).in_unit(sample.rate.per).ok()?;
        let (probability, windows) =
            advice::interruption_probability(history, job_seconds, rules.protection_seconds, bid.money.amount).ok()?;
        (windows >= advice::MIN_WINDOWS).then_some((probability, windows))
    }

    fn risk_of(&self, offer: usize, job_seconds: u64, max_risk: Decimal) -> Option<Decimal> {
        if !self.facts[offer].has_history {
            return None;
        }
        match self.advice(offer, job_seconds, max_risk) {
            BidAdvice::Recommended { risk, .. } => Some(risk),
            BidAdvice::Unknown { .. } => None,
        }
    }

    fn advice(&self, offer: usize, job_seconds: u64, max_risk: Decimal) -> BidAdvice {
        let history = self.catalog.spot_history(offer);
        let cloud = self.facts[offer].cloud;
        let rules = spot_rules(cloud);
        let caps = self.cap_in(offer, history);
        let mut advice = advice::recommend(
            history,
            AdviceInput {
                job_seconds,
                max_risk,
                protection_seconds: rules.protection_seconds,
                cap: caps.map(|(cap, _)| cap),
            },
        );
        // Capped at the newest spot price above on-demand: not "capped at on-demand".
        if let BidAdvice::Recommended {
            bid,
            capped_at_on_demand,
            ..
        } = &mut advice
            && caps.is_some_and(|(_, on_demand)| bid.money.amount > on_demand)
        {
            *capped_at_on_demand = false;
        }
        advice
    }

    /// A recommended bid as the bid field sends it from an account billed in `account`: converted, then rounded up
    /// to the cloud's decimals in its own unit.
    fn as_sent(&self, cloud: Cloud, bid: PriceRate, account: Currency) -> Result<PriceRate, MoneyError> {
        let sent = crate::order::native_bid::native_bid(bid, cloud, account, &self.fx)?;
        Ok(sent.price.rate(cloud, account))
    }

    /// The on-demand price in the history's currency and unit, as the bid's cap (Alibaba and Tencent cap the
    /// market at pay-as-you-go) — or the newest spot price where that is higher (an on-demand figure older than
    /// the market's: 534 of the embedded catalog's Alibaba spot prices are above it), so the recommendation is
    /// never one the market is already above.
    /// Gives the cap and the on-demand price it came from.
    fn cap_in(&self, offer: usize, history: &[PriceObservation]) -> Option<(Decimal, Decimal)> {
        let sample = history.first()?;
        let on_demand = self.catalog.latest(offer, PriceKind::OnDemand)?;
        let money = self.fx.convert(on_demand.rate.money, sample.rate.money.currency).ok()?;
        let rate = PriceRate::new(money, on_demand.rate.per)
            .in_unit(sample.rate.per)
            .ok()?;
        let newest = history.last().map_or(Decimal::ZERO, |obs| obs.rate.money.amount);
        Some((rate.money.amount.max(newest), rate.money.amount))
    }

    /// Every figure of one offer for a requirement, exact.
    pub fn candidate(&self, offer: u32, requirement: &Requirement, today: i64) -> Result<Candidate, MoneyError> {
        let index = offer as usize;
        let catalog = &self.catalog;
        let record = &catalog.offers()[index];
        let instance_type = catalog.type_of(record);
        let region = catalog.region_of(record);
        let cloud = instance_type.cloud;
        let rules = spot_rules(cloud);
        let job_seconds = requirement.job_seconds();
        let billed = billed_seconds(cloud, job_seconds);
        let count = Decimal::from(requirement.instance_count);
        let mut notes = Vec::new();

        let on_demand = match catalog.latest(index, PriceKind::OnDemand) {
            Some(obs) => observed(catalog, obs, today),
            None => PriceFigure::Unknown {
                reason: unknown_reason(cloud, PriceKind::OnDemand),
            },
        };
        let spot = match catalog.latest(index, PriceKind::Spot) {
            Some(obs) => observed(catalog, obs, today),
            None => match (crate::clouds::api(cloud).spot_estimate(), on_demand.native()) {
                (Some(model), Some(list)) => {
                    let age_days = match &on_demand {
                        PriceFigure::Observed { age_days, .. } => *age_days,
                        _ => 0,
                    };
                    PriceFigure::Estimated {
                        native: PriceRate::new(list.money.checked_mul(model.assumed)?, list.per),
                        range_low: model.low,
                        range_high: model.high,
                        assumed: model.assumed,
                        basis: model.basis.into(),
                        age_days,
                    }
                }
                _ => PriceFigure::Unknown {
                    reason: unknown_reason(cloud, PriceKind::Spot),
                },
            },
        };
        let display = |rate: PriceRate| -> Result<PriceRate, MoneyError> {
            let money = self.fx.convert(rate.money, requirement.currency)?;
            PriceRate::new(money, rate.per).in_unit(requirement.unit)
        };
        let hourly = |rate: PriceRate| -> Result<PriceRate, MoneyError> {
            let money = self.fx.convert(rate.money, requirement.currency)?;
            PriceRate::new(money, rate.per).in_unit(TimeUnit::Hour)
        };
        let total = |rate: PriceRate| -> Result<Money, MoneyError> {
            let money = self.fx.convert(rate.money, requirement.currency)?;
            PriceRate::new(money, rate.per)
                .cost_for_seconds(billed)?
                .checked_mul(count)
        };
        let spot_display = spot.native().map(display).transpose()?;
        let on_demand_display = on_demand.native().map(display).transpose()?;
        let expected_total = spot.native().map(total).transpose()?;
        let on_demand_total = on_demand.native().map(total).transpose()?;
        let savings_percent = match (expected_total, on_demand_total) {
            (Some(spot), Some(list)) if list.amount > Decimal::ZERO => {
                Some((Decimal::ONE - spot.amount / list.amount) * Decimal::from(100))
            }
            _ => None,
        };
        if let (Some(spot), Some(list)) = (spot.native(), on_demand.native())
            && hourly(spot)?.money.amount >= hourly(list)?.money.amount
        {
            notes.push("no discount: the observed spot price is not below on-demand".into());
        }
        let spot_hourly = spot.native().map(hourly).transpose()?;
        let per_vcpu_hour = spot_hourly
            .map(|rate| rate.money.checked_div(Decimal::from(instance_type.vcpu.max(1))))
            .transpose()?;
        let per_gib_hour = match spot_hourly {
            Some(rate) if instance_type.memory_gib > Decimal::ZERO => {
                Some(rate.money.checked_div(instance_type.memory_gib)?)
            }
            _ => None,
        };
        let bid = self.advice(index, job_seconds, requirement.max_interruption);
        let worst_case_bid = match &bid {
            // What the bid field sends: the recommendation rounded up to the cloud's decimals (0.1234 → 0.124 on
            // Alibaba), so the worst case is the one the order can reach, never below it.
            BidAdvice::Recommended { bid, .. } => Some((
                self.as_sent(cloud, *bid, requirement.account_currencies.of(cloud))?,
                WorstCaseBasis::RecommendedBid,
            )),
            // A market bid: bounded as the order dialog and the proxy bound it (`market_bid_bound`), by the list
            // price or the newest spot price where that is higher.
            BidAdvice::Unknown { .. } if rules.capped_at_on_demand => match on_demand.native() {
                Some(list) => {
                    let newest_spot = spot
                        .native()
                        .map(|rate| {
                            let money = self.fx.convert(rate.money, list.money.currency)?;
                            PriceRate::new(money, rate.per).in_unit(list.per)
                        })
                        .transpose()?;
                    let bound = crate::billing::market_bid_bound(list.money, newest_spot.map(|rate| rate.money));
                    let basis = if bound == list.money {
                        WorstCaseBasis::OnDemandCap
                    } else {
                        WorstCaseBasis::NewestSpotAboveList
                    };
                    Some((PriceRate::new(bound, list.per), basis))
                }
                None => None,
            },
            BidAdvice::Unknown { .. } => None,
        };
        let worst_case_total = worst_case_bid.as_ref().map(|(rate, _)| total(*rate)).transpose()?;
        let bid_display = match &worst_case_bid {
            Some((rate, WorstCaseBasis::RecommendedBid)) => Some(display(*rate)?),
            _ => None,
        };
        if record.availability == Availability::Unverified {
            notes.push("availability in this region not verified: check with the cloud's spot spec query".into());
        }
        if region.status == RegionStatus::IdUnconfirmed {
            notes.push("region id follows the cloud's naming but is unconfirmed".into());
        }
        notes.push(rules.reclaim_note.into());
        Ok(Candidate {
            key: catalog.key_of(index),
            region_en: region.name_en.clone(),
            region_zh: region.name_zh.clone(),
            region_status: region.status,
            vcpu: instance_type.vcpu,
            memory_gib: instance_type.memory_gib,
            gpu_count: instance_type.gpu_count,
            gpu_model: instance_type.gpu_model.clone(),
            arch: instance_type.arch,
            availability: record.availability,
            spot,
            on_demand,
            spot_display,
            on_demand_display,
            billed_seconds: billed,
            on_demand_total,
            expected_total,
            worst_case_total,
            savings_percent,
            per_vcpu_hour,
            per_gib_hour,
            bid,
            worst_case_bid,
            bid_display,
            notes,
        })
    }
}

fn observed(catalog: &Catalog, obs: &PriceObservation, today: i64) -> PriceFigure {
    PriceFigure::Observed {
        native: obs.rate,
        observed_on: format_date(obs.observed_at),
        age_days: age_in_days(obs.observed_at, today),
        source: catalog.source_of(obs).attribution.clone(),
    }
}

fn unknown_reason(cloud: Cloud, kind: PriceKind) -> UnknownPrice {
    match (cloud, kind) {
        _ if !crate::clouds::api(cloud).publishes_prices() => UnknownPrice::NoPublicPrice(cloud),
        (_, PriceKind::OnDemand) => UnknownPrice::NoOnDemandPrice,
        (_, PriceKind::Spot) => UnknownPrice::NoSpotPrice,
    }
}

/// A price as an ordering key: 1e-9 CNY per hour, rounded at that resolution.
fn nano_cny_per_hour(fx: &ExchangeRate, rate: PriceRate) -> Option<i128> {
    let cny = fx.convert(rate.money, Currency::Cny).ok()?;
    let hourly = PriceRate::new(cny, rate.per).in_unit(TimeUnit::Hour).ok()?;
    (hourly.money.amount * Decimal::from(NANO)).round().to_i128()
}

fn offer_facts(catalog: &Catalog, fx: &ExchangeRate, offer: usize) -> OfferFacts {
    let record = &catalog.offers()[offer];
    let instance_type = catalog.type_of(record);
    let region = catalog.region_of(record);
    let on_demand_nano = catalog
        .latest(offer, PriceKind::OnDemand)
        .and_then(|obs| nano_cny_per_hour(fx, obs.rate));
    let spot_nano = match catalog.latest(offer, PriceKind::Spot) {
        Some(obs) => nano_cny_per_hour(fx, obs.rate),
        None => crate::clouds::api(instance_type.cloud)
            .spot_estimate()
            .zip(on_demand_nano)
            .and_then(|(model, list)| (Decimal::from(list) * model.assumed).round().to_i128()),
    };
    OfferFacts {
        cloud: instance_type.cloud,
        vcpu: instance_type.vcpu,
        gpu_count: instance_type.gpu_count,
        arch: instance_type.arch,
        region: record.region,
        closed: region.status == RegionStatus::Closed,
        mainland: in_mainland_china(instance_type.cloud, &region.id),
        spot_nano,
        on_demand_nano,
        has_history: catalog.spot_history(offer).len() >= 2,
        memory_milli: (instance_type.memory_gib * Decimal::from(1000))
            .round()
            .to_i64()
            .unwrap_or(i64::MAX),
        spot_observed_at: catalog.latest(offer, PriceKind::Spot).map(|obs| obs.observed_at),
        on_demand_observed_at: catalog.latest(offer, PriceKind::OnDemand).map(|obs| obs.observed_at),
        place_rank: 0,
        type_rank: 0,
    }
}

#[cfg(test)]
mod tests;
