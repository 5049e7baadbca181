//! Releasing a fleet's instances, each set exactly once: a stopped fleet's (a person's stop, or the keeper's sweep
//! that releases what orders unknown at the stop turned out to have created) and a maintained fleet's surplus (the
//! keeper's trim). Each set is released under a key of the fleet's key, the purpose and a digest of the set, then a
//! numbered chain when the cloud refused or a release got no answer; the keeper's retries back off in time.

use spotplan_core::api::instances::{InstanceRef, ReleaseBody};
use spotplan_core::order::outcome::OrderStatus;

use crate::AppState;
use crate::error::ApiError;
use crate::fleet_book::{self, FleetRow};
use crate::upstream::now_unix_millis;

/// Why a fleet releases a set of its instances: the word in the set's release key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReleasePurpose {
    /// The fleet was stopped with release (`{fleet_key}_stop_…`).
    Stop,
    /// A maintained fleet ran above its target (`{fleet_key}_trim_…`).
    Trim,
}

impl ReleasePurpose {
    const ALL: [ReleasePurpose; 2] = [ReleasePurpose::Stop, ReleasePurpose::Trim];

    /// What follows the fleet's key in a release key of this purpose.
    fn infix(self) -> &'static str {
        match self {
            ReleasePurpose::Stop => "_stop_",
            ReleasePurpose::Trim => "_trim_",
        }
    }
}

/// The fleet keys a release key may be one of the fleets' own release keys of (`{fleet_key}_stop_…` or
/// `{fleet_key}_trim_…`): such keys are the fleets', and a person's release may not take one (it would sit in the
/// fleet's chain and answer its next round "the key was used for a different release").
pub fn fleet_keys_of_release_key(key: &str) -> Vec<&str> {
    ReleasePurpose::ALL
        .iter()
        // Every place the infix occurs: a fleet key may hold `_stop_` itself (`a_stop_b`'s keys are `a_stop_b_stop_…`).
        .flat_map(|purpose| key.match_indices(purpose.infix()).map(|(at, _)| &key[..at]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_release_key_names_every_fleet_key_it_may_belong_to() {
        assert_eq!(
            fleet_keys_of_release_key("a_stop_b_stop_0123456789ab_1"),
            ["a", "a_stop_b"]
        );
        assert_eq!(fleet_keys_of_release_key("render_trim_0123456789ab"), ["render"]);
        assert!(fleet_keys_of_release_key("my-own-key").is_empty());
    }
}

/// The key of a fleet's release of `targets` for `purpose`: the fleet's key, the purpose and a digest of the set,
/// so the same set is one release and a set grown since (orders settled after an earlier stop) is another.
fn set_release_key(fleet_key: &str, purpose: ReleasePurpose, targets: &[InstanceRef]) -> String {
    use sha2::{Digest, Sha256};
    let mut ids: Vec<String> = targets
        .iter()
        .map(|target| format!("{}:{}", target.cloud.id(), target.id))
        .collect();
    ids.sort();
    let digest = Sha256::digest(ids.join(",").as_bytes());
    let hex: String = digest.iter().take(6).map(|byte| format!("{byte:02x}")).collect();
    format!("{fleet_key}{}{hex}", purpose.infix())
}

/// A fleet's instances as its orders name them, and the ids of its orders whose outcome is not known yet.
pub(crate) async fn fleet_instances(
    state: &AppState,
    fleet: &FleetRow,
) -> Result<(Vec<InstanceRef>, Vec<String>), ApiError> {
    let mut targets = Vec::new();
    let mut open = Vec::new();
    for step in fleet_book::steps(&state.store, &fleet.id).await? {
        // Only the fleet's own orders (placed in its creator's name): another person's order under one of its keys
        // is never released with it.
        if let Some(order) = state.store.by_key(&step.order_key).await?
            && order.view.placed_by == fleet.created_by
        {
            if matches!(
                order.view.status,
                OrderStatus::Pending | OrderStatus::Unknown | OrderStatus::NotSent
            ) {
                open.push(order.view.id.clone());
            }
            targets.extend(order.view.instance_ids.iter().map(|id| InstanceRef {
                cloud: order.view.cloud,
                id: id.clone(),
            }));
        }
    }
    Ok((targets, open))
}

/// Who asks for a fleet's release: a person asking for the stop (again), or the keeper's round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReleaseAsker {
    /// A person's `POST …/stop`: a release the cloud refused is sent again under the next key.
    Person,
    /// The keeper, every round: an answered release (refused, throttled, unknown) is replayed from the log until
    /// it is as old as the time since the chain's first (at least 10 minutes), then sent again under the next key
    /// ([`release_key_now`]) — a refusal that lasts (deletion protection, a policy without the delete action,
    /// a proxy without the cloud's credentials) costs a call after 10 minutes, then 20, 40… at most every 42
    /// hours, not one every round for good; a passing one (throttling, no answer) is sent again within minutes
    /// without anyone asking.
    Keeper,
}

/// Releases what of `targets` is still live and not being released: each distinct set under its own key, derived
/// from it ([`release_key_now`]), so the same set is released once however often this runs. Returns the set asked
/// for (none: nothing of `targets` was left to release).
pub(crate) async fn release_live(
    state: &AppState,
    fleet_key: &str,
    purpose: ReleasePurpose,
    mut targets: Vec<InstanceRef>,
    requested_by: Option<String>,
    asker: ReleaseAsker,
) -> Result<Vec<InstanceRef>, ApiError> {
    let book = crate::instance_book::all(&state.store).await?;
    targets.retain(|target| {
        book.iter().any(|row| {
            row.cloud == target.cloud
                && row.id == target.id
                && !row.state.is_final()
                && row.state != spotplan_core::lifecycle::InstanceState::Releasing
        })
    });
    if targets.is_empty() {
        return Ok(targets);
    }
    let key = release_key_now(state, fleet_key, purpose, &targets, asker).await?;
    let release = ReleaseBody {
        instances: targets.clone(),
        ..ReleaseBody::default()
    };
    crate::instances::release_once(state, key, release, requested_by, crate::instances::KeyOwner::Fleet).await?;
    Ok(targets)
}

/// Releases, for every fleet stopped with release, the live instances its orders turned out to have created
/// after the stop (an order whose outcome was unknown then, settled since). Run by the keeper each round; returns
/// how many fleets it released for.
pub async fn release_after_stop(state: &AppState) -> Result<usize, ApiError> {
    let ids = fleet_book::stopped_with_live_instances(&state.store).await?;
    for id in &ids {
        let claim = state.key_locks.claim(&format!("fleet:{id}"));
        let held = claim.lock().await;
        let replicas = state.store.hold_key(&format!("fleet:{id}")).await?;
        let Some(fleet) = fleet_book::by_id(&state.store, id).await? else {
            continue;
        };
        let (targets, _) = fleet_instances(state, &fleet).await?;
        drop((held, replicas));
        tracing::info!(fleet = %fleet.id, "a fleet stopped with release has instances found since: releasing them");
        // One fleet's refused release (throttled, or not theirs to release) must not keep the fleets after it
        // from releasing theirs.
        if let Err(error) = release_live(
            state,
            &fleet.key,
            ReleasePurpose::Stop,
            targets,
            fleet.created_by.clone(),
            ReleaseAsker::Keeper,
        )
        .await
        {
            tracing::warn!(fleet = %fleet.id, %error, "a stopped fleet's instances could not be released; the keeper tries again later");
        }
    }
    Ok(ids.len())
}

/// The key to release `targets` under now, from the chain of keys its set was released under for `purpose` (the
/// set's key, [`set_release_key`], then `_1`, `_2`…), read in one query:
/// - none logged yet: the set's key;
/// - the newest logged but not answered: replayed while it may be in flight; once it is older than the follower's
///   release settle time it is not (the call it made, if any, has long timed out, and the follower has found the
///   instances still there), so the next key sends it again — replayed, it would answer "unknown" every round
///   while they bill on;
/// - the newest answered while these instances are still live (refused, throttled, did not take): a person's stop
///   sends it again under the next key at once; the keeper does once the newest is as old as the time since the
///   first (at least the settle time, at most 256 times it) — so its retries back off in time, doubling, however
///   often a person asked meanwhile.
async fn release_key_now(
    state: &AppState,
    fleet_key: &str,
    purpose: ReleasePurpose,
    targets: &[InstanceRef],
    asker: ReleaseAsker,
) -> Result<String, ApiError> {
    use crate::follower::RELEASE_SETTLE_MS;
    let base = set_release_key(fleet_key, purpose, targets);
    let key_of = |round: u32| match round {
        0 => base.clone(),
        round => format!("{base}_{round}"),
    };
    let chain = crate::instance_book::release_chain(&state.store, &base).await?;
    let (Some(first), Some(newest)) = (chain.first(), chain.last()) else {
        return Ok(base);
    };
    let now_ms = now_unix_millis();
    let age = now_ms - newest.asked_ms;
    let send_again = match (newest.answered, asker) {
        (false, _) => age >= RELEASE_SETTLE_MS,
        (true, ReleaseAsker::Person) => true,
        (true, ReleaseAsker::Keeper) => {
            age >= (newest.asked_ms - first.asked_ms).clamp(RELEASE_SETTLE_MS, RELEASE_SETTLE_MS << 8)
        }
    };
    let round = if send_again {
        newest.round.checked_add(1).ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!(
                "fleet {fleet_key} has sent its release {base} {} times",
                u32::MAX
            ))
        })?
    } else {
        newest.round
    };
    Ok(key_of(round))
}
