//! After the order: what a placed instance is doing, read from each cloud's describe answer and normalised across
//! clouds ([`InstanceState`] beside the cloud's own state), the release call, and what an instance has cost so far.
//! Each cloud's calls and readings live in its folder (`clouds/<cloud>/instances.rs`); this module holds what they
//! share. Each cloud's file cites its sources.

pub mod cost;

use serde::{Deserialize, Serialize};

use crate::clouds::Cloud;
use crate::quote::CloudError;

/// The most instance ids one describe or release call takes, on every cloud (Alibaba `InstanceIds` ≤100, Tencent
/// `InstanceIds` ≤100, Baidu `instanceIds` ≤100: alibabacloud-ecs20140526 7.11.8 `DescribeInstancesRequest`,
/// tencentcloud-sdk-python-cvm 3.1.178 `models.py`, https://cloud.baidu.com/doc/BCC/s/Xjwvyodmx).
pub const MAX_IDS_PER_CALL: usize = 100;

/// An instance's state, the same words for every cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum InstanceState {
    /// Created, not running yet.
    Pending,
    /// Running (and billing).
    Running,
    /// The cloud could not start it (Tencent `LAUNCH_FAILED`); it never ran.
    LaunchFailed,
    /// The cloud has announced the reclaim (Alibaba's `Recycling` operation lock); it will go soon.
    BeingReclaimed,
    /// Stopped (an Alibaba spot stopped by reclaim with `SpotInterruptionBehavior=Stop` stays locked `Recycling`).
    Stopped,
    /// Spotplan (or the person) asked the cloud to release it; not confirmed gone yet.
    Releasing,
    /// Released on request.
    Released,
    /// Taken back by the cloud.
    Reclaimed,
    /// The cloud no longer knows it and Spotplan did not release it, nor saw a reclaim notice.
    Gone,
}

impl InstanceState {
    /// Whether nothing more will happen to it (it is not billing and polling it is pointless).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            InstanceState::LaunchFailed | InstanceState::Released | InstanceState::Reclaimed | InstanceState::Gone
        )
    }

    /// Whether it surely bills while in this state (compute: running, or announced but not yet taken back). A
    /// stopped instance may bill too: see [`InstanceReport::stopped_without_charge`] and
    /// [`crate::api::instances::InstanceView::bills_now`].
    pub fn bills(self) -> bool {
        matches!(
            self,
            InstanceState::Running | InstanceState::BeingReclaimed | InstanceState::Releasing
        )
    }

    /// The state's id, as the API writes it.
    pub fn id(self) -> &'static str {
        match self {
            InstanceState::Pending => "pending",
            InstanceState::Running => "running",
            InstanceState::LaunchFailed => "launch_failed",
            InstanceState::BeingReclaimed => "being_reclaimed",
            InstanceState::Stopped => "stopped",
            InstanceState::Releasing => "releasing",
            InstanceState::Released => "released",
            InstanceState::Reclaimed => "reclaimed",
            InstanceState::Gone => "gone",
        }
    }

    /// The state of an id (`None` for anything else).
    pub fn from_id(id: &str) -> Option<InstanceState> {
        [
            InstanceState::Pending,
            InstanceState::Running,
            InstanceState::LaunchFailed,
            InstanceState::BeingReclaimed,
            InstanceState::Stopped,
            InstanceState::Releasing,
            InstanceState::Released,
            InstanceState::Reclaimed,
            InstanceState::Gone,
        ]
        .into_iter()
        .find(|state| state.id() == id)
    }
}

/// One instance as a describe answer reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceReport {
    /// The instance id.
    pub id: String,
    /// The cloud's own state word (`Running`, `LAUNCH_FAILED`, `Recycled`…).
    pub cloud_state: String,
    /// The state in Spotplan's words.
    pub state: InstanceState,
    /// The zone it is in, when the answer says.
    pub zone: Option<String>,
    /// Its type or spec, when the answer says.
    pub instance_type: Option<String>,
    /// When it was created (Unix seconds, UTC), when the answer says.
    pub created_at: Option<i64>,
    /// Why it failed or is being taken back, in the cloud's words (Tencent `LatestOperationErrorMsg`, Alibaba
    /// `LockMsg`).
    pub reason: Option<String>,
    /// A stopped instance whose compute the answer says no longer bills (its disks still do): Alibaba's
    /// economical mode — a spot stopped by its reclaim with `SpotInterruptionBehavior=Stop`, or `StoppedMode`
    /// `StopCharging` — or Tencent's `StopChargingMode` `STOP_CHARGING`. Any other stopped instance is counted as
    /// billing: a cost is never understated.
    pub stopped_without_charge: bool,
}

/// What a describe answer says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DescribeReading {
    /// The instances it reports (ids asked for and not reported are unknown to the cloud).
    Reported(Vec<InstanceReport>),
    /// One page of a longer answer (Alibaba `NextToken`, Tencent `TotalCount` above the list, Baidu
    /// `isTruncated`): the instances it lists are reported, but an id it leaves out may be on another page, so it
    /// says nothing of those.
    Page(Vec<InstanceReport>),
    /// The cloud refused the call.
    Refused(CloudError),
}

/// What a release answer says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReleaseReading {
    /// The cloud accepted the release of every id asked.
    Accepted,
    /// The cloud says the ids are already gone: released before (a retried release), nothing left to do.
    AlreadyGone(CloudError),
    /// The cloud refused (the instances stay).
    Refused(CloudError),
}

/// How a release is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ReleaseOptions {
    /// Release a running instance at once (Alibaba `Force`; Tencent and Baidu release running instances anyway).
    pub force: bool,
    /// Also release the pay-as-you-go data disks (and EIP) attached to it (Baidu `relatedReleaseFlag`; Alibaba and
    /// Tencent release disks created with the instance by themselves).
    pub delete_data_disks: bool,
}

impl Default for ReleaseOptions {
    /// What releasing a spot instance usually means: gone now, with what was created for it.
    fn default() -> ReleaseOptions {
        ReleaseOptions {
            force: true,
            delete_data_disks: true,
        }
    }
}

/// Whether a refused release (HTTP `status`, the `error` read from its body) may hide an act, and so is
/// unknown, never refused: a 5xx, an answer that is not the cloud's JSON, or a server-side error code
/// ([`crate::order::outcome::is_server_side_error`]), as the order path reads them.
pub fn release_may_have_acted(status: u16, error: &CloudError) -> bool {
    status >= 500 || error.code == "Unreadable" || crate::order::outcome::is_server_side_error(&error.code)
}

/// The error for an answer that is not the cloud's JSON (a gateway page, a cut body), quoting its start.
pub(crate) fn unreadable(cloud: Cloud, body: &[u8]) -> CloudError {
    CloudError {
        cloud,
        code: "Unreadable".into(),
        message: format!(
            "not a {} answer: {}",
            cloud.display_name(),
            String::from_utf8_lossy(&body[..body.len().min(120)])
        ),
        request_id: None,
    }
}

/// One page of a region's instance list, read for what was asked: its spot instances, or the instances of one
/// order (tagged with its ClientToken).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstancePage {
    /// The instances on the page that were asked for.
    pub instances: Vec<InstanceReport>,
    /// How many instances on the page were left out (not spot; not the order's).
    pub left_out: usize,
    /// Where the next page starts, when there is one.
    pub next: Option<String>,
}

/// Splits ids into batches one call takes.
pub fn batches(ids: &[String]) -> impl Iterator<Item = &[String]> {
    ids.chunks(MAX_IDS_PER_CALL)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_release_refused_by_the_server_side_may_have_acted() {
        let refusal = |code: &str| CloudError {
            cloud: Cloud::Tencent,
            code: code.into(),
            message: String::new(),
            request_id: None,
        };
        for (status, code) in [
            (200, "InternalError"),
            (200, "InternalError.TradeUnknownError"),
            (200, "ServiceUnavailable"),
            (500, "InternalServerError"),
            (502, "Whatever"),
            (200, "Unreadable"),
        ] {
            assert!(release_may_have_acted(status, &refusal(code)), "{status} {code}");
        }
        for (status, code) in [
            (200, "UnauthorizedOperation"),
            (400, "InvalidInstanceId.Malformed"),
            (400, "Throttling.User"),
        ] {
            assert!(!release_may_have_acted(status, &refusal(code)), "{status} {code}");
        }
    }

    #[test]
    fn states_round_trip_and_say_what_bills() {
        for state in [
            InstanceState::Pending,
            InstanceState::Running,
            InstanceState::LaunchFailed,
            InstanceState::BeingReclaimed,
            InstanceState::Stopped,
            InstanceState::Releasing,
            InstanceState::Released,
            InstanceState::Reclaimed,
            InstanceState::Gone,
        ] {
            assert_eq!(InstanceState::from_id(state.id()), Some(state));
            assert_eq!(serde_json::to_value(state).unwrap(), state.id());
        }
        assert!(InstanceState::Running.bills() && !InstanceState::Pending.bills());
        assert!(InstanceState::LaunchFailed.is_final() && !InstanceState::BeingReclaimed.is_final());
    }

    #[test]
    fn a_thousand_ids_take_ten_calls() {
        let ids: Vec<String> = (0..1000).map(|i| format!("i-{i}")).collect();
        assert_eq!(batches(&ids).count(), 10);
        assert!(batches(&ids).all(|batch| batch.len() == 100));
    }

    #[test]
    fn throttling_codes_by_cloud() {
        use crate::clouds::wire;
        assert!(wire(Cloud::Alibaba).is_throttled("Throttling.User"));
        assert!(!wire(Cloud::Alibaba).is_throttled("ThrottlingX"));
        assert!(wire(Cloud::Tencent).is_throttled("RequestLimitExceeded.UinLimitExceeded"));
        assert!(!wire(Cloud::Tencent).is_throttled("InvalidInstanceId.NotFound"));
        assert!(wire(Cloud::Baidu).is_throttled("TooManyRequests"));
        assert!(!wire(Cloud::Baidu).is_throttled("RequestLimitExceeded"));
    }
}
