//! Trimming a maintained fleet back to its target. A fleet replaces an instance that stops; when that instance runs
//! again (started by hand, or back from the cloud's error state), the fleet runs above its target — and, when the
//! stop billed nothing, above its ceiling too, which left room for the replacement. The keeper then releases what
//! runs above the target: running instances only (a pending one cannot be released yet and may still fail to
//! launch), never so many that fewer units than the target run, the ones costing most per unit first and, among
//! equals, the newest (the least work lost). Each set is released once under the fleet's `_trim_` key
//! ([`crate::fleet_release`]); a release that does not take is asked again with the keeper's back-off.

use rust_decimal::Decimal;
use spotplan_core::api::fleet_reason::FleetReason;
use spotplan_core::api::instances::InstanceRef;

use crate::AppState;
use crate::error::ApiError;
use crate::fleet_book::{self, FleetRow};
use crate::fleet_keeper::Tally;
use crate::fleet_release::{ReleaseAsker, ReleasePurpose, release_live};

/// One running instance of a fleet, as trimming weighs it.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    /// The instance.
    pub instance: InstanceRef,
    /// Units it brings.
    pub weight: u64,
    /// What one of its units may cost per hour, in the fleet's money (`None`: nothing bounds it).
    pub per_unit_hour: Option<Decimal>,
    /// When its order placed it (Unix ms).
    pub placed_at_ms: i64,
}

/// The running members to release so that the units running come down toward `target` and never below it: the
/// ones costing most per unit first (an unbounded one before any bounded), then the newest, then by id so the choice
/// is the same each round; one whose weight would take the fleet below its target is passed over.
pub(crate) fn surplus(members: &[Member], running_units: u64, target: u64) -> Vec<InstanceRef> {
    let mut over = running_units.saturating_sub(target);
    if over == 0 {
        return Vec::new();
    }
    let mut ranked: Vec<&Member> = members.iter().collect();
    ranked.sort_by(|a, b| {
        let dearer = match (a.per_unit_hour, b.per_unit_hour) {
            (None, None) => std::cmp::Ordering::Equal,
            (None, Some(_)) => std::cmp::Ordering::Less,
            (Some(_), None) => std::cmp::Ordering::Greater,
            (Some(a), Some(b)) => b.cmp(&a),
        };
        dearer
            .then(b.placed_at_ms.cmp(&a.placed_at_ms))
            .then_with(|| a.instance.id.cmp(&b.instance.id))
    });
    let mut chosen = Vec::new();
    for member in ranked {
        if member.weight <= over {
            over -= member.weight;
            chosen.push(member.instance.clone());
        }
        if over == 0 {
            break;
        }
    }
    chosen
}

/// Releases what of a maintained fleet runs above its target, and says so in its reason. Returns whether a release
/// was asked for now (false: nothing runs above it, or what does is being released already).
pub(crate) async fn trim(state: &AppState, fleet: &mut FleetRow, tally: &Tally) -> Result<bool, ApiError> {
    let target = u64::from(fleet.spec.target);
    let chosen = surplus(&tally.running, tally.running_units, target);
    if chosen.is_empty() {
        return Ok(false);
    }
    tracing::info!(fleet = %fleet.id, running = tally.running_units, target, count = chosen.len(), "a maintained fleet runs above its target: releasing what runs above it");
    let released = release_live(
        state,
        &fleet.key,
        ReleasePurpose::Trim,
        chosen,
        fleet.created_by.clone(),
        ReleaseAsker::Keeper,
    )
    .await?;
    if released.is_empty() {
        return Ok(false);
    }
    fleet.reason = Some(FleetReason::Trimmed {
        instances: released.into_iter().map(|instance| instance.id).collect(),
        running: tally.running_units,
        target,
    });
    fleet_book::update_active(&state.store, fleet).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use spotplan_core::Cloud;

    fn member(id: &str, weight: u64, per_unit_hour: Option<&str>, placed_at_ms: i64) -> Member {
        Member {
            instance: InstanceRef {
                cloud: Cloud::Alibaba,
                id: id.into(),
            },
            weight,
            per_unit_hour: per_unit_hour.map(|price| price.parse().unwrap_or_default()),
            placed_at_ms,
        }
    }

    fn ids(chosen: &[InstanceRef]) -> Vec<&str> {
        chosen.iter().map(|instance| instance.id.as_str()).collect()
    }

    #[test]
    fn nothing_is_released_at_or_below_the_target() {
        let members = [member("i-a", 1, Some("0.2"), 1), member("i-b", 1, Some("0.2"), 2)];
        assert!(surplus(&members, 2, 2).is_empty());
        assert!(surplus(&members, 2, 3).is_empty());
    }

    #[test]
    fn the_dearest_per_unit_goes_first_then_the_newest() {
        let members = [
            member("i-old-cheap", 1, Some("0.2"), 1),
            member("i-new-cheap", 1, Some("0.2"), 5),
            member("i-dear", 1, Some("0.3"), 2),
            member("i-mid", 1, Some("0.25"), 3),
        ];
        assert_eq!(ids(&surplus(&members, 4, 2)), ["i-dear", "i-mid"]);
        assert_eq!(ids(&surplus(&members, 4, 1)), ["i-dear", "i-mid", "i-new-cheap"]);
        let equal = [member("i-1", 1, Some("0.2"), 1), member("i-2", 1, Some("0.2"), 9)];
        assert_eq!(ids(&surplus(&equal, 2, 1)), ["i-2"]);
    }

    #[test]
    fn an_unbounded_member_goes_before_any_bounded_one() {
        let members = [member("i-bounded", 1, Some("9"), 1), member("i-unbounded", 1, None, 0)];
        assert_eq!(ids(&surplus(&members, 2, 1)), ["i-unbounded"]);
    }

    #[test]
    fn a_member_whose_weight_would_take_the_fleet_below_its_target_is_passed_over() {
        // Target 10 units, 12 running: two of 4 units and four of 1.
        let members = [
            member("i-big", 4, Some("0.5"), 1),
            member("i-s1", 1, Some("0.2"), 2),
            member("i-s2", 1, Some("0.2"), 3),
            member("i-s3", 1, Some("0.2"), 4),
            member("i-s4", 4, Some("0.1"), 5),
            member("i-s5", 1, Some("0.1"), 6),
        ];
        // The dearest (4 units) would leave 8, so two of 1 go: the dearer ones, the newest first.
        assert_eq!(ids(&surplus(&members, 12, 10)), ["i-s3", "i-s2"]);
        // A rounding surplus smaller than any member's weight keeps everything.
        let weighted = [member("i-w1", 4, Some("0.5"), 1), member("i-w2", 4, Some("0.5"), 2)];
        assert!(surplus(&weighted, 8, 6).is_empty());
    }
}
