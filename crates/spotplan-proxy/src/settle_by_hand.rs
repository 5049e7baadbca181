//! Settling by hand an order whose outcome stays unknown and that the proxy cannot look up itself — sent without
//! its lookup tag (the person's tags filled the cloud's limit, or `--no-order-tag`), or in a region too large to
//! list — from what the operator saw in the cloud's console: it created no instance (`not_found`), or these are
//! its instances (`succeeded`, and they join the instance book to be followed). Until then an unknown order counts
//! against the spend ceilings and budgets at its full bound, so one that can never settle would hold them for
//! good. `spotplan-proxy orders settle`.

use spotplan_core::order::outcome::OrderStatus;

use crate::exactly_once::placed_rows;
use crate::instance_book;
use crate::store::Store;
use crate::stored::{StoreError, StoredOrder};

/// What the operator found in the cloud's console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    /// No instance of the order exists.
    NoneExists,
    /// These are the order's instances.
    Instances(Vec<String>),
}

/// Why an order was not settled.
#[derive(Debug, thiserror::Error)]
pub enum SettleError {
    /// No order has this id.
    #[error("no order with id {0} in the order log")]
    NoSuchOrder(String),
    /// Only an unknown order is settled by hand.
    #[error("order {id} is {status}, not unknown: only an order whose outcome is unknown is settled by hand")]
    NotUnknown {
        /// The order.
        id: String,
        /// Its status.
        status: &'static str,
    },
    /// An instance id that no cloud uses.
    #[error("instance id {0:?} is not an instance id ({rule})", rule = spotplan_core::cloud_id::RULE)]
    BadInstanceId(String),
    /// `--instances` with no id.
    #[error("name at least one instance, or say --none-exists")]
    NoInstances,
    /// The order log failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Records the outcome of unknown order `id` from `evidence`, at `now_ms`, and books its instances; returns the
/// order as logged.
pub async fn settle_by_hand(
    store: &Store,
    id: &str,
    evidence: Evidence,
    now_ms: i64,
) -> Result<StoredOrder, SettleError> {
    if let Evidence::Instances(ids) = &evidence {
        if ids.is_empty() {
            return Err(SettleError::NoInstances);
        }
        if let Some(bad) = ids.iter().find(|id| !spotplan_core::cloud_id::is_cloud_id(id)) {
            return Err(SettleError::BadInstanceId(bad.clone()));
        }
    }
    let no_such_order = || SettleError::NoSuchOrder(id.to_owned());
    let key = store.by_id(id).await?.ok_or_else(no_such_order)?.view.idempotency_key;
    // Team mode: not while a replica is processing the order; read again once held.
    let _replicas = store.hold_key(&key).await?;
    let mut record = store.by_id(id).await?.ok_or_else(no_such_order)?;
    if record.view.status != OrderStatus::Unknown {
        return Err(SettleError::NotUnknown {
            id: id.to_owned(),
            status: record.view.status.as_str(),
        });
    }
    let view = &mut record.view;
    match evidence {
        Evidence::NoneExists => {
            view.status = OrderStatus::NotFound;
            view.instance_ids = Vec::new();
            view.hint = Some(
                "settled by hand (spotplan-proxy orders settle --none-exists): the operator found no instance of it \
                 in the cloud's console, so it bills nothing; submit it under a new idempotency key to place it"
                    .into(),
            );
        }
        Evidence::Instances(ids) => {
            view.status = OrderStatus::Succeeded;
            view.hint = Some(format!(
                "settled by hand (spotplan-proxy orders settle --instances): the operator named its {} instance(s) \
                 from the cloud's console; they are followed like any placed instance",
                ids.len()
            ));
            view.instance_ids = ids;
            view.error_code = None;
            view.error_message = None;
        }
    }
    view.finished_at_ms = Some(now_ms);
    // Only if it is still unknown when written: on the embedded log the running proxy is another process, which
    // holds no lock this command sees — its settler or a retry may have recorded the cloud's answer meanwhile,
    // and that answer stands (the operator is told, and nothing is booked on top of it).
    let written = store
        .execute(
            "UPDATE orders SET status = ?2, instance_ids = ?3, error_code = ?4, error_message = ?5, hint = ?6, \
             finished_at_ms = ?7 WHERE id = ?1 AND status = 'unknown'"
                .into(),
            vec![
                id.into(),
                view.status.as_str().into(),
                serde_json::Value::from(view.instance_ids.clone()).to_string().into(),
                (&view.error_code).into(),
                (&view.error_message).into(),
                (&view.hint).into(),
                now_ms.into(),
            ],
        )
        .await?;
    if written != 1 {
        let status = store.by_id(id).await?.ok_or_else(no_such_order)?.view.status;
        return Err(SettleError::NotUnknown {
            id: id.to_owned(),
            status: status.as_str(),
        });
    }
    instance_book::add_placed(store, placed_rows(&record.view)).await?;
    Ok(record)
}
