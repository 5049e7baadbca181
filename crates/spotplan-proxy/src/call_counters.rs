//! What the proxy counts as it happens, for `/metrics` ([`crate::metrics`] renders it): each call to a cloud's
//! API by how long it took and what it came to, and the throttling answers. A leaf the HTTP client
//! ([`crate::upstream`]) writes to, so the client does not depend on the metrics page and its readers.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use spotplan_core::Cloud;

/// A cloud's label.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CloudLabel {
    /// `alibaba`, `tencent`, `baidu`.
    pub cloud: String,
}

/// A cloud and what a call to it came to.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CallLabel {
    /// The cloud.
    pub cloud: String,
    /// `answered`, `no_answer` (the outcome may be anything) or `not_sent`.
    pub result: String,
}

fn histogram() -> Histogram {
    // 5 ms … ~40 s: a cloud answers in tens of milliseconds, and the upstream timeout is 30 s by default.
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.005, 2.0, 14,
    ))
}

/// What this process counts as it happens (cheap to clone: the families are shared).
#[derive(Debug, Clone)]
pub struct Counters {
    /// Seconds each call to a cloud's API took.
    pub upstream_seconds: Family<CallLabel, Histogram, fn() -> Histogram>,
    /// Answers that said the cloud throttles.
    pub throttled: Family<CloudLabel, Counter>,
}

impl Default for Counters {
    fn default() -> Counters {
        Counters {
            upstream_seconds: Family::new_with_constructor(histogram),
            throttled: Family::default(),
        }
    }
}

impl Counters {
    /// Records one call to `cloud`.
    pub fn call(&self, cloud: Cloud, result: &str, seconds: f64) {
        self.upstream_seconds
            .get_or_create(&CallLabel {
                cloud: cloud.id().into(),
                result: result.into(),
            })
            .observe(seconds);
    }

    /// Records a throttling answer from `cloud`.
    pub fn throttled(&self, cloud: Cloud) {
        self.throttled
            .get_or_create(&CloudLabel {
                cloud: cloud.id().into(),
            })
            .inc();
    }
}
