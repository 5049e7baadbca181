//! Bid advice from a spot price history: the maximum price that keeps the interruption risk of a job under a
//! target, and the estimated interruption probability of a given bid.
//!
//! Method (non-parametric, after Zheng, Joe-Wong, Tan, Chiang and Wang, "How to Bid the Cloud", ACM SIGCOMM
//! 2015, which derives bids from the empirical distribution of spot prices for one-time requests): treat the
//! observed market price as a step function (each observation holds until the next; of two read at the same
//! second the later-added holds, as in the catalog, and the other held for no time). For every start time in
//! the look-back window (every moment from the first observation to the last from which a whole job fits before
//! the last observation), take the *maximum* price over the job's reclaimable span — the job's duration minus any
//! protection period, during which no reclaim happens. A bid survives a start time exactly when it is at least
//! that maximum. Start times are weighed by time, not by observation: a store that keeps changes only holds many
//! observations in a volatile hour and one in a quiet week, and counting observations would let that hour outweigh
//! the week. The recommended bid is the smallest maximum that at most `max_risk` of the start times exceed (and
//! never below the newest price, which a bid must meet to be filled now); the
//! interruption probability of a bid is the share of start times whose maximum exceeds it. Unlike Zheng et al. we
//! assume no price distribution and no independence between hours: the window maximum captures the
//! autocorrelation the job actually meets. The estimate is only as good as the sampling: daily readings miss
//! intra-day spikes, and it rests on at least [`MIN_WINDOWS`] observations a whole job fits after. A gap between
//! two sources longer than [`HISTORY_BREAK_SECONDS`] breaks the history: only what follows the last one is read.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::catalog::PriceObservation;
use crate::money::PriceRate;

/// Fewer job-length windows than this and the history says nothing reliable.
pub const MIN_WINDOWS: usize = 10;

/// Two readings from different sources further apart than this break the history: neither source watched the price
/// in between, so the older reading says nothing about it, and advice reads only what follows the last such gap.
/// Without the break, a 2024 catalog reading merged with three days of live quotes would be taken to have held for
/// two years and swamp them. Within one source a long gap is kept: a store that keeps changes only (the proxy's)
/// says the price held. The embedded histories' largest gap is 3 days.
pub const HISTORY_BREAK_SECONDS: i64 = 7 * 86_400;

/// The part of `history` after its last gap between sources longer than [`HISTORY_BREAK_SECONDS`] (all of it when
/// it has none).
fn since_last_break(history: &[PriceObservation]) -> &[PriceObservation] {
    let start = history
        .windows(2)
        .rposition(|pair| {
            pair[0].source != pair[1].source && pair[1].observed_at - pair[0].observed_at > HISTORY_BREAK_SECONDS
        })
        .map_or(0, |before| before + 1);
    &history[start..]
}

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
    let risk = input.max_risk.clamp(Decimal::ZERO, Decimal::ONE);
    // Never below the newest price: the market is there now, and a lower bid would not be filled.
    let newest = history[history.len() - 1].rate.money.amount;
    let mut bid = maxima.smallest_bid_within(risk).max(newest);
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
        risk: maxima.share_above(bid),
        windows: maxima.windows,
        lookback_from: since_last_break(history)[0].observed_at,
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
    Ok((maxima.share_above(bid), maxima.windows))
}

/// The maximum price a job meets, as a function of its start time: how many seconds of start times meet each
/// maximum, so that a quiet week weighs a week and a burst of changes weighs its minutes.
#[derive(Debug)]
struct WindowMaxima {
    /// The maxima met, ascending, each once.
    maxima: Vec<Decimal>,
    /// The seconds of start times that meet each of `maxima`.
    seconds: Vec<i64>,
    /// The seconds of start times in all.
    total_seconds: i64,
    /// Observations from which a whole job fits before the last one: how many samples the estimate rests on.
    windows: usize,
}

impl WindowMaxima {
    /// The time share of start times whose job meets a price above `bid`.
    fn share_above(&self, bid: Decimal) -> Decimal {
        let first_above = self.maxima.partition_point(|max| *max <= bid);
        let above: i64 = self.seconds[first_above..].iter().sum();
        Decimal::from(above) / Decimal::from(self.total_seconds)
    }

    /// The smallest maximum that at most `risk` of the start times exceed.
    fn smallest_bid_within(&self, risk: Decimal) -> Decimal {
        let allowed_above = risk * Decimal::from(self.total_seconds);
        let mut at_or_below = 0_i64;
        for (max, seconds) in self.maxima.iter().zip(&self.seconds) {
            at_or_below += seconds;
            if Decimal::from(self.total_seconds - at_or_below) <= allowed_above {
                return *max;
            }
        }
        self.maxima.last().copied().unwrap_or_default()
    }
}

/// The maximum market price over the reclaimable span of a job started at any moment from the first observation
/// to the last moment a whole job fits. The price is a step function (each observation holds until the next), so
/// the maximum only changes where the span's start or end crosses an observation: between two such moments it is
/// constant, and each stretch counts for its length. Counting one window per observation instead would weigh a
/// burst of changes (a store keeps changes only) far above the quiet weeks around it.
fn window_maxima(
    history: &[PriceObservation],
    job_seconds: u64,
    protection_seconds: u64,
) -> Result<WindowMaxima, NoAdvice> {
    let history = since_last_break(history);
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
    let latest_start = last.observed_at.saturating_sub(job);
    let windows = history.iter().take_while(|obs| obs.observed_at <= latest_start).count();
    if windows < MIN_WINDOWS || latest_start <= first.observed_at {
        let span_days = (last.observed_at - first.observed_at) / 86_400;
        return Err(NoAdvice::TooFewWindows {
            observations: history.len(),
            span_days,
            windows,
        });
    }
    let moments = crossing_moments(history, protection, job, first.observed_at, latest_start);
    // A sliding maximum over the observations in force during the span just after each moment: from the one in
    // force when the span starts to the last one before it ends. Both ends only move forward; `candidates` from
    // `head` on holds indices of falling prices, the front the maximum.
    let amount = |index: usize| history[index].rate.money.amount;
    let (mut candidates, mut head) = (Vec::<usize>::new(), 0_usize);
    let (mut in_force, mut next_to_enter) = (0_usize, 0_usize);
    let mut stretches = Vec::with_capacity(moments.len());
    for pair in moments.windows(2) {
        let (start, next) = (pair[0], pair[1]);
        while next_to_enter < history.len() && history[next_to_enter].observed_at <= start + job {
            // A reading followed by another at the same moment held for no time at all: the later one is the
            // price from that moment on, so the earlier one never counts towards a maximum.
            let superseded_at_once = history
                .get(next_to_enter + 1)
                .is_some_and(|later| later.observed_at == history[next_to_enter].observed_at);
            if superseded_at_once {
                next_to_enter += 1;
                continue;
            }
            while candidates.len() > head
                && candidates
                    .last()
                    .is_some_and(|index| amount(*index) <= amount(next_to_enter))
            {
                candidates.pop();
            }
            candidates.push(next_to_enter);
            next_to_enter += 1;
        }
        while in_force + 1 < history.len() && history[in_force + 1].observed_at <= start + protection {
            in_force += 1;
        }
        while candidates.get(head).is_some_and(|index| *index < in_force) {
            head += 1;
        }
        let max = candidates.get(head).map_or(amount(in_force), |index| amount(*index));
        stretches.push((max, next - start));
    }
    let mut maxima: Vec<Decimal> = stretches.iter().map(|(max, _)| *max).collect();
    maxima.sort();
    maxima.dedup();
    let mut seconds = vec![0_i64; maxima.len()];
    for (max, length) in stretches {
        seconds[maxima.partition_point(|known| *known < max)] += length;
    }
    Ok(WindowMaxima {
        maxima,
        seconds,
        total_seconds: latest_start - first.observed_at,
        windows,
    })
}

/// The start times, ascending and each once, from `from` to `to`, where a job's reclaimable span starts or ends at
/// an observation: merged from the two sequences, each already in order because the history is.
fn crossing_moments(history: &[PriceObservation], protection: i64, job: i64, from: i64, to: i64) -> Vec<i64> {
    let span_starts = history.iter().map(|obs| obs.observed_at - protection);
    let mut span_ends = history.iter().map(|obs| obs.observed_at - job).peekable();
    let mut moments = vec![from];
    let mut push = |moment: i64| {
        if moment > from && moment < to && moments.last().is_some_and(|last| *last < moment) {
            moments.push(moment);
        }
    };
    for span_start in span_starts {
        while let Some(span_end) = span_ends.next_if(|end| *end <= span_start) {
            push(span_end);
        }
        push(span_start);
    }
    span_ends.for_each(&mut push);
    moments.push(to);
    moments
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

    /// From a review: one 2024 reading of 0.17, then hourly live quotes two years later (0.30, 0.30, 0.60
    /// repeating). Read whole, the old price held for two years and a bid of 0.30 looked nearly safe; after the
    /// break, the advice is what the live quotes alone say.
    #[test]
    fn a_reading_before_a_long_gap_does_not_fill_it() {
        // 70 of them, the newest 0.30 (a bid must meet the newest price).
        let live: Vec<&str> = ["0.30", "0.30", "0.60"].iter().copied().cycle().take(70).collect();
        let mut recent = history(&live, 3600);
        for observation in &mut recent {
            observation.observed_at += 770 * 86_400;
            observation.source = 1;
        }
        let mut old = history(&["0.17"], 3600);
        old.extend(recent.iter().cloned());
        let two_hours = input(7200, "0.1");
        let (whole, live_only) = (recommend(&old, two_hours), recommend(&recent, two_hours));
        assert_eq!(whole, live_only);
        match whole {
            BidAdvice::Recommended { bid, .. } => assert_eq!(bid.money.amount, Decimal::new(60, 2)),
            other => panic!("{other:?}"),
        }
        // A gap of a week or less between sources is read through, and one source's long gap too (its price held).
        let mut close = history(&["0.17"], 3600);
        let mut week_later = history(&live, 3600);
        for observation in &mut week_later {
            observation.observed_at += HISTORY_BREAK_SECONDS;
            observation.source = 1;
        }
        close.append(&mut week_later);
        assert_eq!(since_last_break(&close).len(), 71);
        let mut held = history(&["0.17"], 3600);
        held.extend(recent.into_iter().map(|observation| PriceObservation {
            source: 0,
            ..observation
        }));
        assert_eq!(since_last_break(&held).len(), 71);
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

    /// The bid and its risk for one-hour jobs at `risk`.
    fn bid_and_risk(hist: &[PriceObservation], risk: &str) -> (Decimal, Decimal, usize) {
        match recommend(hist, input(3600, risk)) {
            BidAdvice::Recommended { bid, risk, windows, .. } => (bid.money.amount, risk, windows),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_bid_covers_all_but_the_accepted_share_of_start_times() {
        // 20 hourly prices: 0.030 everywhere except two one-hour spikes of 0.050 and 0.080.
        let mut prices = vec!["0.030"; 20];
        prices[5] = "0.050";
        prices[15] = "0.080";
        let hist = history(&prices, 3600);
        // One-hour jobs start from hour 0 to hour 18. A job started anywhere in the hour before a spike, or in
        // the spike's own hour, meets it: two of the 18 hours of start times meet 0.080, two meet 0.050.
        let ninth = Decimal::from(1) / Decimal::from(9);
        assert_eq!(
            bid_and_risk(&hist, "0.1"),
            (Decimal::new(80, 3), Decimal::ZERO, 19),
            "a ninth of the start times meet 0.080: more than 10 %"
        );
        assert_eq!(bid_and_risk(&hist, "0.2"), (Decimal::new(50, 3), ninth, 19));
        assert_eq!(
            bid_and_risk(&hist, "0.25"),
            (Decimal::new(30, 3), Decimal::from(2) / Decimal::from(9), 19)
        );
        assert_eq!(bid_and_risk(&hist, "0"), (Decimal::new(80, 3), Decimal::ZERO, 19));
    }

    #[test]
    fn a_burst_of_changes_weighs_its_minutes_not_its_count() {
        // A month of daily readings at 0.030, and on day 10 a 20-minute burst the store kept change by change:
        // 0.090 and 0.030 in turn, a minute each, ending at 0.030.
        let mut hist = history(&["0.030"; 31], 86_400);
        let burst_start = 10 * 86_400 + 3600;
        let burst = history(&["0.090", "0.030"].repeat(10), 60)
            .into_iter()
            .map(|obs| PriceObservation {
                observed_at: burst_start + obs.observed_at,
                ..obs
            });
        hist.extend(burst);
        hist.sort_by_key(|obs| obs.observed_at);
        // One-hour jobs meet a 0.090 when started in the hour before the burst or during its first 19 minutes:
        // 4,740 s of the 30 days less an hour of start times. Counted per observation, 19 of the 50 windows
        // would start on a spike, and a 10 % risk would recommend 0.090.
        let (bid, risk, windows) = bid_and_risk(&hist, "0.1");
        assert_eq!(bid, Decimal::new(30, 3));
        assert_eq!(risk, Decimal::from(4740) / Decimal::from(30 * 86_400 - 3600));
        assert_eq!(windows, 50);
        assert_eq!(
            interruption_probability(&hist, 3600, 0, Decimal::new(50, 3)).unwrap(),
            (risk, 50)
        );
    }

    #[test]
    fn a_reading_replaced_at_the_same_moment_held_no_time() {
        // Hourly at 0.030; at hour 8 one source read 0.090 and another, at the same second, 0.030. The 0.090 was
        // the price for no time at all, so no job met it: the advice is as if it had never been read.
        let mut hist = history(&["0.030"; 20], 3600);
        let mut spike = hist[8].clone();
        spike.rate = PriceRate::new(Money::parse("0.090", Currency::Usd).unwrap(), TimeUnit::Hour);
        hist.insert(8, spike);
        assert_eq!(hist[8].observed_at, hist[9].observed_at);
        let (bid, risk, _) = bid_and_risk(&hist, "0");
        assert_eq!((bid, risk), (Decimal::new(30, 3), Decimal::ZERO));
        assert_eq!(
            interruption_probability(&hist, 3600, 0, Decimal::new(50, 3)).unwrap().0,
            Decimal::ZERO
        );
        // The later reading of the pair is the one that holds: a 0.090 read second is met.
        hist.swap(8, 9);
        assert_eq!(bid_and_risk(&hist, "0").0, Decimal::new(90, 3));
    }

    #[test]
    fn the_bid_is_never_below_the_newest_price() {
        // Quiet at 0.030, and the newest reading has just moved to 0.045: a bid below it would not be filled.
        let mut prices = vec!["0.030"; 20];
        prices[19] = "0.045";
        let hist = history(&prices, 3600);
        assert_eq!(bid_and_risk(&hist, "0.5"), (Decimal::new(45, 3), Decimal::ZERO, 19));
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
