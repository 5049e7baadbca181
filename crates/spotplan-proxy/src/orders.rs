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
use spotplan_core::order::idempotency::client_token_for;

use crate::AppState;
use crate::error::ApiError;
use crate::exactly_once::{Submission, process};
use crate::security::Caller;
use crate::store::OrderStatus;

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
    // A fleet's order keys are its own: another person taking one first would stall that fleet (its next order
    // answered "the key belongs to another") or claim its instances. The fleet's creator may use them (the web's
    // fleet panel prints each order of a fleet placed by hand with them).
    // In any case: the order's ClientToken would differ from the fleet's only in case.
    let fleets_of_key = match crate::fleets::fleet_of_order_key(&key) {
        Some(fleet_key) => crate::fleet_book::by_key_in_any_case(&state.store, fleet_key).await?,
        None => Vec::new(),
    };
    if let Some(fleet) = fleets_of_key.iter().find(|fleet| fleet.created_by != caller.name()) {
        return Err(ApiError::BadRequest {
            code: "idempotency_key_reserved",
            message: format!(
                "idempotency key {key} is an order key of fleet {} (its key, `_s`, a step), which another person \
                 placed: use a key of your own, such as a UUID",
                fleet.id
            ),
            field: Some("Idempotency-Key".into()),
        });
    }
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
    let permits = state.detached_work_permits.clone();
    let processed = crate::detached::run(&permits, "order", async move { process(&state, submission).await }).await?;
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

/// An order as `caller` may see it: in team mode another person's order keeps what a team shares (where it
/// stands, what it created, what it may cost) but not its launch script (`user_data`, often a bootstrap secret)
/// nor the request that carried it; the person who placed it and the operator see it all.
fn as_seen_by(mut view: OrderRecord, caller: &Caller) -> OrderRecord {
    if let Caller::Person(person) = caller
        && view.placed_by.as_deref() != Some(person.as_str())
    {
        if let Some(user_data) = view.order.get_mut("user_data")
            && !user_data.is_null()
        {
            *user_data = serde_json::Value::String("<redacted: another person's order>".into());
        }
        view.request = None;
    }
    view
}

/// Handles `GET /api/v1/orders`.
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<ListQuery>,
) -> Result<Json<OrderList>, ApiError> {
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
        orders: orders
            .into_iter()
            .map(|stored| as_seen_by(stored.view, &caller))
            .collect(),
    }))
}

/// Handles `GET /api/v1/orders/{id}`.
pub async fn get(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<OrderRecord>, ApiError> {
    let stored = state.store.by_id(&id).await?.ok_or(ApiError::OrderNotFound { id })?;
    Ok(Json(as_seen_by(stored.view, &caller)))
}

/// Handles `POST /api/v1/orders/{id}/lookup`: looks an `unknown` order up by its tag, under its key's lock (so it
/// cannot race a retry). Found: the order succeeded with those instances. None: within the resend window, or within
/// [`crate::order_lookup::LOOKUP_SETTLE`] of its last attempt, the order stays `unknown` (the cloud may still be creating
/// it, and a retry under its key stays safe); after both it is `not_found`, final.
pub async fn lookup(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Json(_body): Json<LookupBody>,
) -> Result<Json<LookupAnswer>, ApiError> {
    // A person settles their own orders (the lookup takes the order's key and may settle it `not_found`); the
    // operator, any.
    if let Caller::Person(person) = &caller {
        let stored = state
            .store
            .by_id(&id)
            .await?
            .ok_or_else(|| ApiError::OrderNotFound { id: id.clone() })?;
        if stored.view.placed_by.as_deref() != Some(person.as_str()) {
            return Err(ApiError::Rejected {
                status: StatusCode::FORBIDDEN,
                code: "not_yours",
                message: format!(
                    "order {id} was not placed by {person}: only the person who placed it, or the operator, can \
                     look it up; nothing was sent"
                ),
                field: None,
            });
        }
    }
    // In its own task, as an order's placing is: a client that goes away mid-lookup does not cut the outcome's
    // write (the cloud's answer read, the order booked) in two.
    let permits = state.detached_work_permits.clone();
    crate::detached::run(
        &permits,
        "lookup",
        async move { crate::settler::settle(&state, &id).await },
    )
    .await
    .map(Json)
}
