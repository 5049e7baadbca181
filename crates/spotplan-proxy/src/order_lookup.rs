//! Looking an order up at the cloud: when an order that may have reached the cloud is retried after
//! [`RESEND_WINDOW`] (the cloud may have forgotten its ClientToken), the proxy does not resend
//! it. It lists the order's region for instances tagged `spotplan-order` = the order's id (the tag every order is
//! sent with, [`spotplan_core::order::lookup_tag`]) and records what it found: the instances, and
//! the order succeeded; none, and the order is `not_found` (final), the answer says so and sends nothing. Whether the tag went with the order is
//! read from the order as logged (logged as sent, before sending). An order sent without the tag (its tags were
//! full), or a lookup the cloud did not answer, stays `unknown`. `POST /api/v1/orders/{id}/lookup`
//! ([`crate::orders::lookup`]) runs the same lookup for an unknown order on request, at any time, and the settler
//! ([`crate::settler`]) in the background: both through [`crate::settler::settle`].

use spotplan_core::clouds::wire;
use spotplan_core::lifecycle::InstanceReport;
use spotplan_core::order::SpotOrder;
use spotplan_core::order::lookup_tag::ORDER_TAG_KEY;

use crate::AppState;
use crate::error::ApiError;
use crate::store::OrderStatus;
use crate::stored::StoredOrder;
use crate::upstream::now_unix_millis;

/// The most pages of a region's list read in one lookup (100 instances a page).
pub const MAX_LOOKUP_PAGES: usize = 50;

/// What a lookup found.
#[derive(Debug)]
pub enum LookedUp {
    /// The order's instances (at least one).
    Found(Vec<InstanceReport>),
    /// The whole list was read and no instance carries the order's tag.
    NoneFound,
}

/// Whether an order as logged (the order JSON of its row, logged as sent) carries the lookup tag naming
/// `order_id`.
pub fn logged_order_carries_tag(order: &serde_json::Value, order_id: &str) -> bool {
    order["tags"].as_array().is_some_and(|tags| {
        tags.iter()
            .any(|tag| tag["key"] == ORDER_TAG_KEY && tag["value"] == order_id)
    })
}

/// Lists the order's region for the instances tagged with `order_id`, page by page. `Err` says why the cloud could
/// not be asked or gave no readable list: an answer that is not a success, an error, a page without its list, or
/// a list longer than [`MAX_LOOKUP_PAGES`] — never "none", nor a part of the order as all of it, unless the whole
/// list was read.
pub async fn look_up(state: &AppState, order: &SpotOrder, order_id: &str) -> Result<LookedUp, String> {
    let cloud = order.cloud;
    let Some(credentials) = state.credentials.get(cloud).cloned() else {
        return Err(format!("the proxy holds no {} credentials", cloud.display_name()));
    };
    let mut found: Vec<InstanceReport> = Vec::new();
    let mut page: Option<String> = None;
    for _ in 0..MAX_LOOKUP_PAGES {
        let request = wire(cloud).order_list_request(&order.region, order_id, page.as_deref());
        let (status, body) = crate::read_call::answer(state, cloud, &credentials, request).await?;
        if !(200..300).contains(&status) {
            return Err(format!("{} answered the list with HTTP {status}", cloud.display_name()));
        }
        let listed = wire(cloud)
            .read_order_list(page.as_deref(), &body, order_id)
            .map_err(|error| error.to_string())?;
        for report in listed.instances {
            if !found.iter().any(|known| known.id == report.id) {
                found.push(report);
            }
        }
        match listed.next {
            Some(next) => page = Some(next),
            None if found.is_empty() => return Ok(LookedUp::NoneFound),
            None => return Ok(LookedUp::Found(found)),
        }
    }
    // Not all was read: what was found may be part of the order (recorded as all of it, the rest would bill
    // unseen), and none found proves nothing. The order stays unknown.
    Err(format!(
        "the region lists more than {} instances ({} of them carry the order's tag); not all were read",
        MAX_LOOKUP_PAGES * 100,
        found.len()
    ))
}

/// Records a lookup that found the order's instances: the order succeeded with them.
pub fn record_found(record: &mut StoredOrder, order: &SpotOrder, found: &[InstanceReport]) {
    let view = &mut record.view;
    view.status = OrderStatus::Succeeded;
    view.instance_ids = found.iter().map(|report| report.id.clone()).collect();
    view.error_code = None;
    view.error_message = None;
    view.hint = Some(format!(
        "looked up by its tag {ORDER_TAG_KEY}={}: {} of the {} instance(s) ordered exist in {}",
        view.id,
        found.len(),
        order.count,
        order.region
    ));
    view.finished_at_ms = Some(now_unix_millis());
}

/// How long after an order was first logged the proxy still resends it with the same ClientToken when it may
/// have reached the cloud; after it, the order is looked up instead. No cloud publishes how long it honours a
/// ClientToken (Alibaba's idempotency guide, help.aliyun.com/document_detail/25693.html, gives none; Tencent's and
/// Baidu's docs neither), so this is Spotplan's conservative assumption: a retry within the hour is what the
/// clouds' own SDKs do.
pub const RESEND_WINDOW: std::time::Duration = std::time::Duration::from_secs(60 * 60);

/// How long after an order's last attempt a lookup that finds none of it may conclude it is `not_found`: a cloud
/// may still be creating what the attempt asked for (Tencent creates asynchronously) and a list filtered by tag
/// may lag behind creation.
pub const LOOKUP_SETTLE: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Whether a lookup that found nothing of this order may settle it `not_found`: its ClientToken may be forgotten
/// (first logged more than [`RESEND_WINDOW`] ago) and nothing was sent for it in the last
/// [`LOOKUP_SETTLE`].
pub fn may_conclude_none(record: &StoredOrder, now_ms: i64) -> bool {
    let view = &record.view;
    let last_attempt = view
        .finished_at_ms
        .unwrap_or(view.created_at_ms)
        .max(view.created_at_ms);
    now_ms.saturating_sub(view.created_at_ms) > RESEND_WINDOW.as_millis() as i64
        && now_ms.saturating_sub(last_attempt) > LOOKUP_SETTLE.as_millis() as i64
}

/// Whether a lookup that found `found` of the `ordered` instances may settle the order `succeeded` with them: all
/// of them, or some once no more can be coming ([`may_conclude_none`]: past the resend window and
/// [`LOOKUP_SETTLE`] after the last attempt). Before that a cloud may still be creating the rest (Tencent creates
/// asynchronously, a list by tag may lag), and settling on part of the order would leave the rest billing unbooked
/// — and a fleet would order them again.
pub fn may_settle_found(record: &StoredOrder, found: usize, ordered: u32, now_ms: i64) -> bool {
    found > 0 && (found >= ordered as usize || may_conclude_none(record, now_ms))
}

/// The error code of a retry answered from a lookup that found nothing ([`none_found`]).
pub const NOT_FOUND_AT_CLOUD: &str = "order_not_found_at_cloud";

/// Records a lookup past the resend window that found nothing: the order is `not_found`, final — it created no
/// instance that exists now, and nothing is sent under its key again.
pub fn record_none_found(record: &mut StoredOrder, order: &SpotOrder) {
    let view = &mut record.view;
    view.status = OrderStatus::NotFound;
    view.instance_ids = Vec::new();
    view.hint = Some(format!(
        "looked up by its tag {ORDER_TAG_KEY}={} after the cloud may have forgotten its ClientToken: no instance in \
         {} carries it, so it created none, or they are gone; submit it under a new idempotency key to place it",
        view.id, order.region
    ));
    view.finished_at_ms = Some(now_unix_millis());
}

/// The answer to a retry of an order a lookup found nothing of: nothing is sent, and a new key places the order
/// anew.
pub fn none_found(record: &StoredOrder, order: &SpotOrder) -> ApiError {
    ApiError::Rejected {
        status: axum::http::StatusCode::CONFLICT,
        code: NOT_FOUND_AT_CLOUD,
        message: format!(
            "order {id} was first sent too long ago to resend safely, so Spotplan looked it up: no instance in {} \
             carries the tag {ORDER_TAG_KEY}={id}. It created none, or they are gone already. Nothing was sent \
             now; to place this order, submit it under a new idempotency key",
            order.region,
            id = record.view.id
        ),
        field: None,
    }
}

/// Whether an error is [`none_found`]'s answer (the order is settled `not_found`, not failed).
pub fn is_none_found(error: &ApiError) -> bool {
    matches!(error, ApiError::Rejected { code, .. } if *code == NOT_FOUND_AT_CLOUD)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_logged_order_says_whether_the_tag_naming_it_went_with_it() {
        let mut order = json!({ "cloud": "alibaba" });
        order["tags"] =
            json!([{ "key": "team", "value": "a" }, { "key": "spotplan-order", "value": "ord-00000000000000a1" }]);
        assert!(logged_order_carries_tag(&order, "ord-00000000000000a1"));
        // Another order's tag, a value that merely reads like the key, or no tags: not this order's tag.
        assert!(!logged_order_carries_tag(&order, "ord-00000000000000a2"));
        order["tags"] = json!([{ "key": "team", "value": "spotplan-order" }]);
        assert!(!logged_order_carries_tag(&order, "ord-00000000000000a1"));
        assert!(!logged_order_carries_tag(
            &json!({ "cloud": "alibaba" }),
            "ord-00000000000000a1"
        ));
    }
}
