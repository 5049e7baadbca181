//! `POST /api/v1/orders`, the order log (`GET /api/v1/orders`, `GET /api/v1/orders/{id}`) and the lookup of an
//! unknown order (`POST /api/v1/orders/{id}/lookup`, [`crate::order_lookup`]): the HTTP side of orders, in the core's API types ([`spotplan_core::api::orders`]). Every submission carries an
//! `Idempotency-Key`; what happens to it is [`crate::exactly_once`]. The work runs in its own task, so a client
//! that disconnects cannot leave an order half-done.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use spotplan_core::api::orders::{
    ListQuery, LookupAnswer, LookupBody, MAX_LIST, OrderList, OrderRecord, OrderSubmission, SubmitAnswer,
};
use spotplan_core::order::SpotOrder;
use spotplan_core::order::idempotency::client_token_for;
use spotplan_core::order::lookup_tag::ORDER_TAG_KEY;

use crate::AppState;
use crate::error::ApiError;
use crate::exactly_once::{Submission, process};
use crate::order_lookup;
use crate::security::Caller;
use crate::store::OrderStatus;
use crate::upstream::now_unix_millis;

/// Handles `POST /api/v1/orders`.
pub async fn submit(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let key = headers
        .get("idempotency-key")
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| ApiError::BadRequest {
            code: "idempotency_key_required",
            message: "an Idempotency-Key header is required (a UUID per intended order; reuse it on retries)".into(),
            field: Some("Idempotency-Key".into()),
        })?
        .to_owned();
    let client_token = client_token_for(&key).map_err(|error| ApiError::BadRequest {
        code: "idempotency_key_invalid",
        message: error.to_string(),
        field: Some("Idempotency-Key".into()),
    })?;
    let (order, quoted_price) = OrderSubmission::from_json(&body)
        .map_err(|message| ApiError::BadRequest {
            code: "malformed_order",
            message: format!("{message}; see /api/openapi.json"),
            field: None,
        })?
        .into_parts();
    let submission = Submission {
        key,
        client_token,
        order,
        quoted_price,
        placed_by: caller.name(),
    };
    // The work runs in its own task: it finishes and is logged even if this client goes away.
    let task = tokio::spawn(async move { process(&state, submission).await });
    let processed = task
        .await
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("order task failed: {error}")))??;
    let record = processed.record.view;
    let status = if processed.created && record.status == OrderStatus::Succeeded {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let answer = SubmitAnswer {
        record,
        replayed: processed.replayed,
        warnings: processed.warnings,
        logged: processed.logged,
    };
    Ok((status, Json(answer)).into_response())
}

/// Handles `GET /api/v1/orders`.
pub async fn list(State(state): State<AppState>, Query(query): Query<ListQuery>) -> Result<Json<OrderList>, ApiError> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_LIST).contains(&limit) {
        return Err(ApiError::BadRequest {
            code: "invalid_limit",
            message: format!("limit {limit} is not between 1 and {MAX_LIST}"),
            field: Some("limit".into()),
        });
    }
    let orders = match &query.placed_by {
        Some(person) => state.store.list_placed_by(limit, person).await?,
        None => state.store.list(limit).await?,
    };
    Ok(Json(OrderList {
        orders: orders.into_iter().map(|stored| stored.view).collect(),
    }))
}

/// Handles `GET /api/v1/orders/{id}`.
pub async fn get(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<OrderRecord>, ApiError> {
    let stored = state.store.by_id(&id).await?.ok_or(ApiError::OrderNotFound { id })?;
    Ok(Json(stored.view))
}

/// Handles `POST /api/v1/orders/{id}/lookup`: looks an `unknown` order up by its tag, under its key's lock (so it
/// cannot race a retry). Found: the order succeeded with those instances. None: within the resend window, or within
/// [`order_lookup::LOOKUP_SETTLE`] of its last attempt, the order stays `unknown` (the cloud may still be creating
/// it, and a retry under its key stays safe); after both it is `not_found`, final.
pub async fn lookup(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(_body): Json<LookupBody>,
) -> Result<Json<LookupAnswer>, ApiError> {
    let logged = state
        .store
        .by_id(&id)
        .await?
        .ok_or_else(|| ApiError::OrderNotFound { id: id.clone() })?;
    let claim = state.key_locks.claim(&logged.view.idempotency_key);
    let _held = claim.lock().await;
    let _replicas = state.store.hold_key(&logged.view.idempotency_key).await?;
    // Read again under the lock: a retry may have settled it meanwhile.
    let mut record = state.store.by_id(&id).await?.ok_or(ApiError::OrderNotFound { id })?;
    let refused = |code: &'static str, message: String| ApiError::Rejected {
        status: StatusCode::CONFLICT,
        code,
        message,
        field: None,
    };
    if record.view.status != OrderStatus::Unknown {
        return Err(refused(
            "order_not_unknown",
            format!(
                "order {} is {}: only an order whose outcome is unknown is looked up",
                record.view.id,
                serde_json::to_value(record.view.status).unwrap_or_default()
            ),
        ));
    }
    if !order_lookup::logged_order_carries_tag(&record.view.order, &record.view.id) {
        return Err(refused(
            "order_not_tagged",
            format!(
                "order {} was sent without the {} tag (its tags filled the cloud's limit, or the proxy runs \
                 with --no-order-tag), so the cloud cannot list it by tag: look for instances with ClientToken {} \
                 in the cloud console",
                record.view.id, ORDER_TAG_KEY, record.view.client_token
            ),
        ));
    }
    let order: SpotOrder = serde_json::from_value(record.view.order.clone())
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("the logged order does not read: {error}")))?;
    if state.credentials.get(order.cloud).is_none() {
        return Err(ApiError::NoCredentials {
            cloud: order.cloud,
            hint: crate::exactly_once::credential_hint(order.cloud),
        });
    }
    let found = match order_lookup::look_up(&state, &order, &record.view.id).await {
        Ok(order_lookup::LookedUp::Found(found)) => found,
        Ok(order_lookup::LookedUp::NoneFound) => Vec::new(),
        Err(reason) => {
            return Err(ApiError::Rejected {
                status: StatusCode::BAD_GATEWAY,
                code: "lookup_failed",
                message: format!(
                    "{} could not be asked for order {}'s instances: {reason}; its outcome is still unknown",
                    order.cloud.display_name(),
                    record.view.id
                ),
                field: None,
            });
        }
    };
    // Within the resend window the cloud may still be creating the rest (Tencent creates asynchronously): an order
    // is settled by a lookup only once all it asked for are there, or once the window has passed.
    let age_ms = now_unix_millis().saturating_sub(record.view.created_at_ms);
    let settled = found.len() >= order.count as usize || age_ms > crate::exactly_once::RESEND_WINDOW.as_millis() as i64;
    if !found.is_empty() && settled {
        order_lookup::record_found(&mut record, &order, &found);
        crate::exactly_once::record_outcome(&state, &record).await;
        tracing::info!(id = %record.view.id, found = found.len(), "an unknown order was found at the cloud by its tag");
    } else if found.is_empty() && order_lookup::may_conclude_none(&record, now_unix_millis()) {
        order_lookup::record_none_found(&mut record, &order);
        crate::exactly_once::record_outcome(&state, &record).await;
        tracing::info!(id = %record.view.id, "an unknown order was looked up at the cloud: none of its instances exists");
    }
    Ok(Json(LookupAnswer {
        found: found.into_iter().map(|report| report.id).collect(),
        record: record.view,
    }))
}
