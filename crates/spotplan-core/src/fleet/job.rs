//! What a job really costs on spot: the expected completion time and billed time of H hours of work that
//! checkpoints every C minutes (or never), on instances reclaimed at a pool's rate, with the spread.
//!
//! Model (stated in the UI): an instance is reclaimed at a constant rate λ per hour (see [`super::risk`]); a reclaim
//! loses the work since the last checkpoint (checkpoints themselves are free); a replacement in the same pool, at
//! the same price, starts after `restart_minutes`, which are waited but not billed. For one instance the expected
//! figures have a closed form — a segment of c hours takes `(e^{λc} − 1)/λ` billed hours with `e^{λc} − 1`
//! reclaims, each adding the restart wait — and a seeded Monte Carlo gives the spread (p10/p50/p90) and, for a
//! fleet, the completion of its slowest instance. Draws come from SplitMix64 (a few lines, seeded by the caller:
//! the core draws no randomness of its own), so one seed gives one answer on every machine.
//!
//! Times are `f64` hours: they are durations, never money. Costs multiply a decimal price by hours rounded to the
//! second.

use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;
use serde::{Deserialize, Serialize};

use crate::money::{Money, MoneyError};

/// The runs a Monte Carlo estimate uses by default.
pub const DEFAULT_RUNS: u32 = 1_000;
/// Reclaims one simulated run follows at most (a pool reclaimed far more often than its job's checkpoints cannot
/// finish it; its closed form says so without simulating every loss).
pub const MAX_SIMULATED_RECLAIMS: u32 = 10_000;
/// The seed the app and the CLI use unless told otherwise.
pub const DEFAULT_SEED: u64 = 20_261_201;

/// The job each instance of a fleet runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSpec {
    /// Hours of work per instance.
    pub hours: Decimal,
    /// Minutes of work between checkpoints; `None`: the job never checkpoints and a reclaim loses everything.
    pub checkpoint_minutes: Option<u32>,
    /// Minutes from a reclaim until the replacement works (waited, not billed).
    pub restart_minutes: u32,
}

impl JobSpec {
    fn work_hours(&self) -> f64 {
        self.hours.to_string().parse::<f64>().unwrap_or(0.0).max(0.0)
    }

    /// Hours of work between checkpoints (the whole job when it never checkpoints).
    fn segment_hours(&self) -> f64 {
        let work = self.work_hours();
        match self.checkpoint_minutes {
            Some(minutes) if minutes > 0 => (f64::from(minutes) / 60.0).min(work),
            _ => work,
        }
    }
}

/// Percentiles of a simulated quantity, in hours.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// 10th percentile.
    pub p10: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
}

/// The estimate for one instance of a pool, or for a fleet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum JobEstimate {
    /// The pool's reclaim rate is known.
    Estimated {
        /// Hours of work (the plain figure).
        work_hours: f64,
        /// Expected hours until the work is done (closed form; for a fleet, the simulated mean of the slowest).
        expected_hours: f64,
        /// Expected billed instance-hours (closed form; for a fleet, summed over instances).
        expected_billed_hours: f64,
        /// Expected reclaims (for a fleet, summed).
        expected_reclaims: f64,
        /// Completion time, simulated.
        completion: Spread,
        /// Billed instance-hours, simulated.
        billed: Spread,
        /// Runs simulated.
        runs: u32,
        /// The seed.
        seed: u64,
    },
    /// The reclaim rate (of a pool, or of any pool of a fleet) is unknown: no estimate, not zero risk.
    Unknown {
        /// Hours of work (the plain figure).
        work_hours: f64,
    },
}

impl JobEstimate {
    /// Expected billed hours, when estimated.
    pub fn expected_billed_hours(&self) -> Option<f64> {
        match self {
            JobEstimate::Estimated {
                expected_billed_hours, ..
            } => Some(*expected_billed_hours),
            JobEstimate::Unknown { .. } => None,
        }
    }

    /// Expected completion hours, when estimated.
    pub fn expected_hours(&self) -> Option<f64> {
        match self {
            JobEstimate::Estimated { expected_hours, .. } => Some(*expected_hours),
            JobEstimate::Unknown { .. } => None,
        }
    }
}

/// Expected billed hours, completion hours and reclaims for one instance, in closed form.
pub fn expected_one(spec: &JobSpec, hazard_per_hour: f64) -> (f64, f64, f64) {
    let work = spec.work_hours();
    if hazard_per_hour <= 0.0 || work <= 0.0 {
        return (work, work, 0.0);
    }
    let segment = spec.segment_hours();
    let whole = (work / segment).floor();
    let rest = work - whole * segment;
    let reclaims_in = |hours: f64| (hazard_per_hour * hours).exp_m1();
    let reclaims = whole * reclaims_in(segment) + reclaims_in(rest);
    let billed = reclaims / hazard_per_hour;
    let restart = f64::from(spec.restart_minutes) / 60.0;
    (billed, billed + reclaims * restart, reclaims)
}

/// SplitMix64 (Steele, Lea and Flood, 2014): a tiny, well-mixed generator for reproducible simulation.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }
}

/// One simulated instance's run: (completion hours, billed hours, reclaims).
fn simulate_one(work: f64, segment: f64, restart: f64, hazard: f64, rng: &mut SplitMix64) -> (f64, f64, u32) {
    if hazard <= 0.0 {
        return (work, work, 0);
    }
    let (mut done, mut wall, mut billed, mut reclaims) = (0.0f64, 0.0f64, 0.0f64, 0u32);
    loop {
        let lifetime = -rng.unit().ln() / hazard;
        if done + lifetime >= work {
            let left = work - done;
            return (wall + left, billed + left, reclaims);
        }
        wall += lifetime + restart;
        billed += lifetime;
        reclaims += 1;
        done += (lifetime / segment).floor() * segment;
        if reclaims >= MAX_SIMULATED_RECLAIMS {
            return (f64::INFINITY, f64::INFINITY, reclaims);
        }
    }
}

fn spread(values: &mut [f64]) -> Spread {
    values.sort_by(f64::total_cmp);
    let at = |share: f64| {
        let index = ((values.len() as f64 - 1.0) * share).round() as usize;
        values.get(index).copied().unwrap_or(0.0)
    };
    Spread {
        p10: at(0.1),
        p50: at(0.5),
        p90: at(0.9),
    }
}

/// The estimate for one instance of a pool with reclaim rate `hazard_per_hour` (`None`: unknown).
pub fn estimate_pool(spec: &JobSpec, hazard_per_hour: Option<f64>, runs: u32, seed: u64) -> JobEstimate {
    estimate_fleet(spec, &[(1, hazard_per_hour)], runs, seed)
}

/// The estimate for a fleet: `pools` are (instances, reclaim rate) pairs, every instance running the job. The
/// completion is the slowest instance's; billed hours and reclaims are summed. Unknown if any pool's rate is.
pub fn estimate_fleet(spec: &JobSpec, pools: &[(u32, Option<f64>)], runs: u32, seed: u64) -> JobEstimate {
    let work_hours = spec.work_hours();
    let Some(rates) = pools
        .iter()
        .filter(|(count, _)| *count > 0)
        .map(|(count, rate)| rate.map(|rate| (*count, rate)))
        .collect::<Option<Vec<(u32, f64)>>>()
    else {
        return JobEstimate::Unknown { work_hours };
    };
    let runs = runs.max(1);
    let segment = spec.segment_hours().max(f64::MIN_POSITIVE);
    let restart = f64::from(spec.restart_minutes) / 60.0;
    let (mut expected_billed, mut expected_reclaims, mut slowest_expected) = (0.0, 0.0, 0.0f64);
    for (count, rate) in &rates {
        let (billed, wall, reclaims) = expected_one(spec, *rate);
        expected_billed += billed * f64::from(*count);
        expected_reclaims += reclaims * f64::from(*count);
        slowest_expected = slowest_expected.max(wall);
    }
    let one_instance = rates.len() == 1 && rates[0].0 == 1;
    // A pool whose instance expects more reclaims than a run may follow, or whose expectation is not finite, is
    // not simulated: its spread is its closed form.
    let simulable = rates.iter().all(|(_, rate)| {
        let (billed, _, reclaims) = expected_one(spec, *rate);
        billed.is_finite() && reclaims < f64::from(MAX_SIMULATED_RECLAIMS) / 10.0
    });
    if !simulable {
        let point = |hours: f64| Spread {
            p10: hours,
            p50: hours,
            p90: hours,
        };
        return JobEstimate::Estimated {
            work_hours,
            expected_hours: slowest_expected,
            expected_billed_hours: expected_billed,
            expected_reclaims,
            completion: point(slowest_expected),
            billed: point(expected_billed),
            runs: 0,
            seed,
        };
    }
    let mut rng = SplitMix64(seed);
    let mut completions = Vec::with_capacity(runs as usize);
    let mut billed_runs = Vec::with_capacity(runs as usize);
    let mut completion_sum = 0.0;
    for _ in 0..runs {
        let (mut slowest, mut billed) = (0.0f64, 0.0f64);
        for (count, rate) in &rates {
            for _ in 0..*count {
                let (wall, hours, _) = simulate_one(work_hours, segment, restart, *rate, &mut rng);
                slowest = slowest.max(wall);
                billed += hours;
            }
        }
        completion_sum += slowest;
        completions.push(slowest);
        billed_runs.push(billed);
    }
    JobEstimate::Estimated {
        work_hours,
        // One instance: the exact expectation; a fleet's slowest instance has no closed form, so its mean is
        // simulated (never below the slowest pool's own expectation).
        expected_hours: if one_instance {
            slowest_expected
        } else {
            (completion_sum / f64::from(runs)).max(slowest_expected)
        },
        expected_billed_hours: expected_billed,
        expected_reclaims,
        completion: spread(&mut completions),
        billed: spread(&mut billed_runs),
        runs,
        seed,
    }
}

/// What `hours` of an hourly price cost, the hours rounded to the second.
pub fn cost_of_hours(hourly: Money, hours: f64) -> Result<Money, MoneyError> {
    if !hours.is_finite() || hours < 0.0 {
        return Err(MoneyError::Overflow);
    }
    let seconds = Decimal::from_f64((hours * 3600.0).round()).ok_or(MoneyError::Overflow)?;
    hourly.checked_mul(seconds / Decimal::from(3600))
}
