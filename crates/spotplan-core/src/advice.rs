//! Bid advice from a spot price history: the maximum price that keeps the interruption risk of a job under a
//! target, and the estimated interruption probability of a given bid.
//!
//! Method (non-parametric, after Zheng, Joe-Wong, Tan, Chiang and Wang, "How to Bid the Cloud", ACM SIGCOMM
//! 2015, which derives bids from the empirical distribution of spot prices for one-time requests): treat the
//! observed market price as a step function (each observation holds until the next). For every start time in
//! the look-back window (each observation time from which a whole job fits before the last observation), take
//! the *maximum* price over the job's reclaimable span — the job's duration minus any protection period, during
//! which no reclaim happens. A bid survives a start time exactly when it is at least that maximum. The
//! recommended bid is the smallest such maximum that at most `max_risk` of the windows exceed; the interruption
//! probability of a bid is the share of windows whose maximum exceeds it. Unlike Zheng et al. we assume no
//! price distribution and no independence between hours: the window maximum captures the autocorrelation the
//! job actually meets. The estimate is only as good as the sampling: daily readings miss intra-day spikes.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::catalog::PriceObservation;
use crate::money::PriceRate;

/// Fewer job-length windows than this and the history says nothing reliable.
pub const MIN_WINDOWS: usize = 10;

/// The advice for one offer and job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum BidAdvice {
    /// A recommendation the history supports.
    Recommended {
        /// The recommended maximum price (native currency and unit of the history).
        bid: PriceRate,
        /// The empirical interruption probability of that bid (0–1).
        risk: Decimal,
        /// How many job-length windows the estimate rests on.
        windows: usize,
        /// The look-back window: first observation (Unix seconds).
        lookback_from: i64,
        /// The look-back window: last observation (Unix seconds).
        lookback_to: i64,
        /// Whether the quantile exceeded the on-demand cap and the bid was lowered to it.
        capped_at_on_demand: bool,
    },
    /// No recommendation, and why.
    Unknown {
        /// Why.
        reason: NoAdvice,
    },
}

/// Why the history supports no recommendation: a typed value the CLI prints in English and the web translates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum NoAdvice {
    /// Fewer than two observations: no history at all.
    TooFewObservations {
        /// How many there are.
        observations: usize,
    },
    /// The history mixes currencies or units.
    MixedUnits,
    /// The job is longer than any history could cover.
    JobTooLong,
    /// Fewer job-length windows than [`MIN_WINDOWS`].
    TooFewWindows {
        /// Observations in the history.
        observations: usize,
        /// The days they span.
        span_days: i64,
        /// Job-length windows they hold.
        windows: usize,
    },
}

impl std::fmt::Display for NoAdvice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            NoAdvice::TooFewObservations { observations } => write!(
                f,
                "only {observations} price observation{}: a history is needed to estimate interruption risk",
                if observations == 1 { "" } else { "s" }
            ),
            NoAdvice::MixedUnits => f.write_str("the history mixes currencies or units"),
            NoAdvice::JobTooLong => f.write_str("job too long"),
            NoAdvice::TooFewWindows {
                observations,
                span_days,
                windows,
            } => write!(
                f,
                "the history ({observations} observations over {span_days} days) holds {windows} windows as long as \
                 the job; {MIN_WINDOWS} are needed"
            ),
        }
    }
}

impl BidAdvice {
    /// The recommended maximum price, when the history supports one.
    pub fn recommended_price(&self) -> Option<PriceRate> {
        match self {
            BidAdvice::Recommended { bid, .. } => Some(*bid),
            BidAdvice::Unknown { .. } => None,
        }
    }
}

/// What the advice needs to know besides the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdviceInput {
    /// The job's duration in seconds.
    pub job_seconds: u64,
    /// The interruption probability the user accepts (0–1).
    pub max_risk: Decimal,
    /// Seconds at the start that cannot be reclaimed.
    pub protection_seconds: u64,
    /// The price the bid never needs to exceed (on-demand, or the newest spot price where that is higher), in the
    /// history's currency and unit.
    pub cap: Option<Decimal>,
}

/// Recommends a maximum price from a spot history (oldest first, one currency and unit).
pub fn recommend(history: &[PriceObservation], input: AdviceInput) -> BidAdvice {
    let maxima = match window_maxima(history, input.job_seconds, input.protection_seconds) {
        Ok(maxima) => maxima,
        Err(reason) => return BidAdvice::Unknown { reason },
    };
    let mut sorted = maxima.clone();
    sorted.sort();
    let windows = sorted.len();
    let risk = input.max_risk.clamp(Decimal::ZERO, Decimal::ONE);
    // The smallest maximum with at most `risk` of windows above it.
    let allowed_above = (risk * Decimal::from(windows)).floor();
    let allowed_above = usize::try_from(allowed_above.mantissa() / 10_i128.pow(allowed_above.scale())).unwrap_or(0);
    let index = windows.saturating_sub(allowed_above + 1);
    let mut bid = sorted[index];
    let mut capped = false;
    if let Some(cap) = input.cap
        && bid > cap
    {
        bid = cap;
        capped = true;
    }
    let template = history[0].rate;
    BidAdvice::Recommended {
        bid: PriceRate::new(crate::money::Money::new(bid, template.money.currency), template.per),
        risk: share_above(&maxima, bid),
        windows,
        lookback_from: history[0].observed_at,
        lookback_to: history[history.len() - 1].observed_at,
        capped_at_on_demand: capped,
    }
}

/// The empirical probability that a bid (in the history's currency and unit) is exceeded during the job, with
/// the number of windows it rests on; an error in words when the history is too short.
pub fn interruption_probability(
    history: &[PriceObservation],
    job_seconds: u64,
    protection_seconds: u64,
    bid: Decimal,
) -> Result<(Decimal, usize), NoAdvice> {
    let maxima = window_maxima(history, job_seconds, protection_seconds)?;
    Ok((share_above(&maxima, bid), maxima.len()))
}

fn share_above(maxima: &[Decimal], bid: Decimal) -> Decimal {
    let above = maxima.iter().filter(|max| **max > bid).count();
    Decimal::from(above) / Decimal::from(maxima.len())
}

/// The maximum market price over each job-length window's reclaimable span.
fn window_maxima(
    history: &[PriceObservation],
    job_seconds: u64,
    protection_seconds: u64,
) -> Result<Vec<Decimal>, NoAdvice> {
    if history.len() < 2 {
        return Err(NoAdvice::TooFewObservations {
            observations: history.len(),
        });
    }
    let (first, last) = (&history[0], &history[history.len() - 1]);
    if history
        .iter()
        .any(|obs| obs.rate.money.currency != first.rate.money.currency || obs.rate.per != first.rate.per)
    {
        return Err(NoAdvice::MixedUnits);
    }
    let job = i64::try_from(job_seconds).map_err(|_| NoAdvice::JobTooLong)?;
    let protection = i64::try_from(protection_seconds.min(job_seconds)).unwrap_or(0);
    let mut maxima = Vec::new();
    for (start_index, start) in history.iter().enumerate() {
        let end = start.observed_at.saturating_add(job);
        if end > last.observed_at {
            break;
        }
        let reclaim_from = start.observed_at + protection;
        // The price in force at `reclaim_from`, then every change before the job ends.
        let in_force = history[start_index..]
            .iter()
            .take_while(|obs| obs.observed_at <= reclaim_from)
            .last();
        let mut max = in_force.map_or(start.rate.money.amount, |obs| obs.rate.money.amount);
        for obs in history[start_index..]
            .iter()
            .filter(|obs| obs.observed_at > reclaim_from && obs.observed_at < end)
        {
            max = max.max(obs.rate.money.amount);
        }
        maxima.push(max);
    }
    if maxima.len() < MIN_WINDOWS {
        let span_days = (last.observed_at - first.observed_at) / 86_400;
        return Err(NoAdvice::TooFewWindows {
            observations: history.len(),
            span_days,
            windows: maxima.len(),
        });
    }
    Ok(maxima)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::PriceKind;
    use crate::money::{Currency, Money, TimeUnit};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn history(prices: &[&str], step_seconds: i64) -> Vec<PriceObservation> {
        prices
            .iter()
            .enumerate()
            .map(|(i, price)| PriceObservation {
                offer: 0,
                kind: PriceKind::Spot,
                rate: PriceRate::new(Money::parse(price, Currency::Usd).unwrap(), TimeUnit::Hour),
                observed_at: i as i64 * step_seconds,
                source: 0,
                spot_duration_hours: Some(1),
            })
            .collect()
    }

    fn input(job_seconds: u64, risk: &str) -> AdviceInput {
        AdviceInput {
            job_seconds,
            max_risk: risk.parse().unwrap(),
            protection_seconds: 0,
            cap: None,
        }
    }

    #[test]
    fn one_observation_is_unknown_with_a_reason() {
        let advice = recommend(&history(&["0.04"], 3600), input(3600, "0.1"));
        assert_eq!(
            advice,
            BidAdvice::Unknown {
                reason: NoAdvice::TooFewObservations { observations: 1 }
            }
        );
    }

    #[test]
    fn the_bid_covers_all_but_the_accepted_share_of_windows() {
        // 20 hourly prices: 0.030 everywhere except two spikes of 0.050 and 0.080.
        let mut prices = vec!["0.030"; 20];
        prices[5] = "0.050";
        prices[15] = "0.080";
        let hist = history(&prices, 3600);
        // One-hour jobs: 19 windows, each the price at its start; maxima sorted: 17×0.030, 0.050, 0.080.
        let advice = recommend(&hist, input(3600, "0.1"));
        let BidAdvice::Recommended { bid, risk, windows, .. } = advice else {
            panic!("{advice:?}")
        };
        assert_eq!(windows, 19);
        assert_eq!(
            bid.money.amount,
            Decimal::new(50, 3),
            "1 of 19 windows may exceed: the 0.080 spike"
        );
        assert_eq!(risk, Decimal::from(1) / Decimal::from(19));
        let zero_risk = recommend(&hist, input(3600, "0"));
        let BidAdvice::Recommended { bid, risk, .. } = zero_risk else {
            panic!()
        };
        assert_eq!((bid.money.amount, risk), (Decimal::new(80, 3), Decimal::ZERO));
    }

    #[test]
    fn longer_jobs_meet_more_spikes() {
        let mut prices = vec!["0.030"; 30];
        prices[10] = "0.090";
        let hist = history(&prices, 3600);
        let (short, _) = interruption_probability(&hist, 3600, 0, Decimal::new(50, 3)).unwrap();
        let (long, _) = interruption_probability(&hist, 5 * 3600, 0, Decimal::new(50, 3)).unwrap();
        assert!(long > short, "{long} > {short}");
    }

    #[test]
    fn protection_hides_a_spike_at_the_start() {
        let mut prices = vec!["0.030"; 30];
        prices[0] = "0.090";
        let hist = history(&prices, 3600);
        let (unprotected, _) = interruption_probability(&hist, 2 * 3600, 0, Decimal::new(50, 3)).unwrap();
        let (protected, _) = interruption_probability(&hist, 2 * 3600, 3600, Decimal::new(50, 3)).unwrap();
        assert!(unprotected > Decimal::ZERO);
        assert_eq!(protected, Decimal::ZERO);
    }

    #[test]
    fn the_bid_is_capped_at_on_demand() {
        let hist = history(
            &[
                "0.030", "0.200", "0.030", "0.200", "0.030", "0.200", "0.030", "0.200", "0.030", "0.200", "0.030",
                "0.2",
            ],
            3600,
        );
        let mut capped_input = input(3600, "0");
        capped_input.cap = Some(Decimal::new(10, 2));
        let BidAdvice::Recommended {
            bid,
            capped_at_on_demand,
            risk,
            ..
        } = recommend(&hist, capped_input)
        else {
            panic!()
        };
        assert_eq!(bid.money.amount, Decimal::new(10, 2));
        assert!(capped_at_on_demand);
        assert!(risk > Decimal::ZERO);
    }

    #[test]
    fn too_short_a_history_says_how_short() {
        let hist = history(&["0.03"; 5], 86_400);
        let BidAdvice::Unknown { reason } = recommend(&hist, input(72 * 3600, "0.1")) else {
            panic!()
        };
        assert_eq!(
            reason,
            NoAdvice::TooFewWindows {
                observations: 5,
                span_days: 4,
                windows: 2
            }
        );
        assert_eq!(
            reason.to_string(),
            "the history (5 observations over 4 days) holds 2 windows as long as the job; 10 are needed"
        );
    }
}
