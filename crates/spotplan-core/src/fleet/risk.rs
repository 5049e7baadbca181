//! How likely a pool is to be reclaimed: the interruption estimate of one (cloud, zone, type) pool, from Alibaba's
//! interruption-rate buckets (`DescribeSpotAdvice`), from the reclaims Spotplan has seen there, or unknown — and
//! the one model that turns an estimate into a reclaim rate per hour.
//!
//! Model: an instance of the pool is reclaimed at a constant rate λ per hour (exponential lifetimes, independent of
//! each other and of the bid). Reclaims seen: λ = reclaims ÷ instance-hours observed. Alibaba's `InterruptionRate`
//! is "the 30-day average release rate" (alibabacloud-ecs20140526 7.0.17, `DescribeSpotAdvice`); Spotplan reads
//! the bucket's upper bound as the share of instances reclaimed per day — an assumption the UI states — and
//! plans the open bucket (`10-100%`) at 25 % a day. Price history (where the cloud reclaims on price): the share p of
//! job-length windows whose highest price passed the bid, read as λ = −ln(1 − p) / H — the price-driven part only.
//! Unknown stays unknown: it is never a rate of zero.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

/// Alibaba's `InterruptRateDesc` buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AlibabaBucket {
    /// `0-3%`.
    #[serde(rename = "0-3%")]
    UpTo3,
    /// `3-5%`.
    #[serde(rename = "3-5%")]
    UpTo5,
    /// `5-10%`.
    #[serde(rename = "5-10%")]
    UpTo10,
    /// `10-100%`.
    #[serde(rename = "10-100%")]
    Over10,
}

impl AlibabaBucket {
    /// Reads `InterruptRateDesc` as the cloud writes it.
    pub fn from_desc(text: &str) -> Option<AlibabaBucket> {
        match text.trim() {
            "0-3%" => Some(AlibabaBucket::UpTo3),
            "3-5%" => Some(AlibabaBucket::UpTo5),
            "5-10%" => Some(AlibabaBucket::UpTo10),
            "10-100%" | ">10%" => Some(AlibabaBucket::Over10),
            _ => None,
        }
    }

    /// The share of instances reclaimed per day the planner assumes for the bucket.
    pub fn planned_daily_share(self) -> f64 {
        match self {
            AlibabaBucket::UpTo3 => 0.03,
            AlibabaBucket::UpTo5 => 0.05,
            AlibabaBucket::UpTo10 => 0.10,
            AlibabaBucket::Over10 => 0.25,
        }
    }

    /// The bucket as Alibaba writes it.
    pub fn label(self) -> &'static str {
        match self {
            AlibabaBucket::UpTo3 => "0-3%",
            AlibabaBucket::UpTo5 => "3-5%",
            AlibabaBucket::UpTo10 => "5-10%",
            AlibabaBucket::Over10 => "10-100%",
        }
    }
}

/// Fewer instance-hours than this, and what Spotplan has seen says nothing.
pub const MIN_SEEN_HOURS: u32 = 24;

/// The interruption estimate of one pool.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InterruptionEstimate {
    /// Alibaba's 30-day interruption-rate bucket for the zone and type.
    AlibabaBucket {
        /// The bucket.
        bucket: AlibabaBucket,
    },
    /// What Spotplan's own instances in the pool went through.
    Seen {
        /// Reclaims recorded.
        reclaims: u32,
        /// Instance-hours run in the pool.
        instance_hours: Decimal,
    },
    /// The pool's price history: the share of job-length windows whose highest price passed the bid (where the
    /// cloud reclaims on price).
    PriceHistory {
        /// The probability the job is interrupted by the price (0–1).
        probability: Decimal,
        /// Job-length windows it rests on.
        windows: u32,
        /// The job's hours it is for.
        hours: Decimal,
    },
    /// Pay-as-you-go: the cloud does not reclaim it.
    NotReclaimed,
    /// Nothing is known.
    #[default]
    Unknown,
}

impl InterruptionEstimate {
    /// The reclaim rate per instance-hour the model assumes, or `None` when unknown.
    pub fn hazard_per_hour(&self) -> Option<f64> {
        match *self {
            InterruptionEstimate::AlibabaBucket { bucket } => Some(-(1.0 - bucket.planned_daily_share()).ln() / 24.0),
            InterruptionEstimate::Seen {
                reclaims,
                instance_hours,
            } => {
                let hours = instance_hours.to_f64()?;
                // Too little exposure says nothing either way: one reclaim in a few minutes is not a rate of
                // hundreds an hour, and none in a few minutes is not safety.
                if hours < f64::from(MIN_SEEN_HOURS) {
                    return None;
                }
                Some(f64::from(reclaims) / hours)
            }
            InterruptionEstimate::PriceHistory { probability, hours, .. } => {
                // P(interrupted within H) = 1 − e^{−λH}; a certain interruption is read as 99.9 %.
                let probability = probability.to_f64()?.clamp(0.0, 0.999);
                let hours = hours.to_f64().filter(|hours| *hours > 0.0)?;
                Some(-(1.0 - probability).ln() / hours)
            }
            InterruptionEstimate::NotReclaimed => Some(0.0),
            InterruptionEstimate::Unknown => None,
        }
    }

    /// The better of two estimates: what Spotplan saw, once it has seen enough, over the cloud's bucket.
    pub fn or(self, other: InterruptionEstimate) -> InterruptionEstimate {
        match (self.hazard_per_hour(), other.hazard_per_hour()) {
            (Some(_), _) => self,
            (None, Some(_)) => other,
            (None, None) => InterruptionEstimate::Unknown,
        }
    }

    /// In words, for a table cell: "0-3% (Alibaba, 30 days)", "2 reclaims in 130 h", "unknown".
    pub fn describe(&self) -> String {
        match self {
            InterruptionEstimate::AlibabaBucket { bucket } => {
                format!("{} a day (Alibaba, 30-day bucket)", bucket.label())
            }
            InterruptionEstimate::Seen {
                reclaims,
                instance_hours,
            } => {
                let hours = instance_hours.round_dp(1).normalize();
                if self.hazard_per_hour().is_none() {
                    format!("unknown: only {hours} instance-hours seen")
                } else {
                    format!("{reclaims} reclaims in {hours} instance-hours seen")
                }
            }
            InterruptionEstimate::PriceHistory {
                probability, windows, ..
            } => format!(
                "{}% by price over the job ({windows} windows of price history)",
                crate::display::percent1(*probability * Decimal::from(100))
            ),
            InterruptionEstimate::NotReclaimed => "on demand: not reclaimed".into(),
            InterruptionEstimate::Unknown => "unknown".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_bucket_reads_as_a_daily_share() {
        let hazard = InterruptionEstimate::AlibabaBucket {
            bucket: AlibabaBucket::UpTo5,
        }
        .hazard_per_hour()
        .unwrap_or_default();
        // Surviving 24 hours at that rate leaves 95 %.
        assert!(((-hazard * 24.0).exp() - 0.95).abs() < 1e-12);
        assert_eq!(AlibabaBucket::from_desc("10-100%"), Some(AlibabaBucket::Over10));
        assert_eq!(AlibabaBucket::from_desc("about 3"), None);
    }

    #[test]
    fn reclaims_seen_need_exposure_and_unknown_is_never_zero() {
        let short = InterruptionEstimate::Seen {
            reclaims: 0,
            instance_hours: Decimal::from(5),
        };
        assert_eq!(short.hazard_per_hour(), None);
        let seen = InterruptionEstimate::Seen {
            reclaims: 2,
            instance_hours: Decimal::from(100),
        };
        assert_eq!(seen.hazard_per_hour(), Some(0.02));
        // One reclaim after minutes is not a rate of hundreds an hour.
        let early = InterruptionEstimate::Seen {
            reclaims: 1,
            instance_hours: Decimal::new(5, 2),
        };
        assert_eq!(early.hazard_per_hour(), None);
        assert_eq!(InterruptionEstimate::Unknown.hazard_per_hour(), None);
        let bucket = InterruptionEstimate::AlibabaBucket {
            bucket: AlibabaBucket::UpTo3,
        };
        assert_eq!(short.or(bucket), bucket);
        assert_eq!(seen.or(bucket), seen);
        assert_eq!(short.or(InterruptionEstimate::Unknown), InterruptionEstimate::Unknown);
    }
}
