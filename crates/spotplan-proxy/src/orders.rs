//! `POST /api/v1/orders` and the order log (`GET /api/v1/orders`, `GET /api/v1/orders/{id}`): the HTTP side of
//! orders. Every submission carries an `Idempotency-Key`; what happens to it is [`crate::exactly_once`]. The
//! work runs in its own task, so a client that disconnects cannot leave an order half-done.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use spotplan_core::order::SpotOrder;
use spotplan_core::order::idempotency::client_token_for;

use crate::AppState;
use crate::error::ApiError;
use crate::exactly_once::{Processed, Submission, process};
use crate::store::{OrderRecord, OrderStatus};

/// The most orders one `GET /api/v1/orders` lists.
pub const MAX_LIST: u32 = 1000;

fn parse_order(body: &[u8]) -> Result<(SpotOrder, Option<String>), ApiError> {
    let bad = |message: String| ApiError::BadRequest {
        code: "malformed_order",
        message,
        field: None,
    };
    let json: serde_json::Value =
        serde_json::from_slice(body).map_err(|error| bad(format!("the body is not JSON: {error}")))?;
    let (order, quoted_price) = match json.get("order") {
        Some(order) => (
            order.clone(),
            json.get("quoted_price")
                .and_then(|price| price.as_str())
                .map(str::to_owned),
        ),
        None => (json, None),
    };
    let order: SpotOrder = serde_json::from_value(order).map_err(|error| {
        bad(format!(
            "the body is not a Spotplan order ({error}); see /api/openapi.json"
        ))
    })?;
    Ok((order, quoted_price))
}

/// Handles `POST /api/v1/orders`.
pub async fn submit(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
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
    let (order, quoted_price) = parse_order(&body)?;
    let submission = Submission {
        key,
        client_token,
        order,
        quoted_price,
    };
    // The work runs in its own task: it finishes and is logged even if this client goes away.
    let task = tokio::spawn(async move { process(&state, submission).await });
    let processed = task
        .await
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("order task failed: {error}")))??;
    let status = if processed.created && processed.record.status == OrderStatus::Succeeded {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(answer(&processed, status))
}

fn answer(processed: &Processed, status: StatusCode) -> Response {
    let mut json = record_json(&processed.record);
    if let Some(object) = json.as_object_mut() {
        object.insert("replayed".into(), processed.replayed.into());
        object.insert(
            "warnings".into(),
            serde_json::to_value(&processed.warnings).unwrap_or_default(),
        );
        object.insert("logged".into(), processed.logged.into());
    }
    (status, Json(json)).into_response()
}

fn record_json(record: &OrderRecord) -> serde_json::Value {
    serde_json::to_value(record).unwrap_or_default()
}

/// Query of `GET /api/v1/orders`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// How many, newest first (default 100, 1 to [`MAX_LIST`]).
    limit: Option<u32>,
}

/// Handles `GET /api/v1/orders`.
pub async fn list(State(state): State<AppState>, Query(query): Query<ListQuery>) -> Result<Response, ApiError> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_LIST).contains(&limit) {
        return Err(ApiError::BadRequest {
            code: "invalid_limit",
            message: format!("limit {limit} is not between 1 and {MAX_LIST}"),
            field: Some("limit".into()),
        });
    }
    let orders = state.store.list(limit).await?;
    Ok(Json(serde_json::json!({ "orders": orders })).into_response())
}

/// Handles `GET /api/v1/orders/{id}`.
pub async fn get(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let record = state.store.by_id(&id).await?.ok_or(ApiError::OrderNotFound { id })?;
    Ok((StatusCode::OK, Json(record_json(&record))).into_response())
}
