//! `POST /api/v1/orders` and the order log (`GET /api/v1/orders`, `GET /api/v1/orders/{id}`).
//!
//! Exactly once: every submission carries an `Idempotency-Key`; the cloud's ClientToken is derived from it; the
//! order is written to the log before anything is sent; a retry with the same key returns the stored outcome (or,
//! when no outcome is known, resends with the *same* ClientToken, which the cloud deduplicates); a concurrent
//! duplicate waits for the first; the same key with a different order is refused. The upstream call runs in its
//! own task, so a client that disconnects cannot leave an order half-done.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use spotplan_core::Cloud;
use spotplan_core::order::idempotency::client_token_for;
use spotplan_core::order::request::{AdminPass, BuildOptions, build_order_request};
use spotplan_core::order::{Severity, SpotOrder, ValidationContext, validate};

use crate::AppState;
use crate::error::ApiError;
use crate::outcome::{Outcome, interpret};
use crate::signing::baidu_admin_pass;
use crate::store::{OrderRecord, OrderStatus};
use crate::upstream::{Exchange, now_unix_millis, now_unix_seconds, random_hex};

/// One async lock per idempotency key, so concurrent duplicates wait for the first.
#[derive(Debug, Default, Clone)]
pub struct KeyLocks {
    locks: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

impl KeyLocks {
    fn get(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        locks.entry(key.to_owned()).or_default().clone()
    }
}

/// The body of a submission: the order alone, or `{"order": …, "quoted_price": "…"}`.
#[derive(Debug)]
struct Submission {
    order: SpotOrder,
    quoted_price: Option<String>,
}

fn parse_submission(body: &[u8]) -> Result<Submission, ApiError> {
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
    Ok(Submission { order, quoted_price })
}

/// A stable hash of the order as submitted.
fn order_hash(order: &SpotOrder) -> String {
    let canonical = serde_json::to_vec(order).unwrap_or_default();
    hex::encode(Sha256::digest(canonical))
}

/// The order as logged: the password replaced.
fn loggable(order: &SpotOrder) -> serde_json::Value {
    let mut order = order.clone();
    if order.login.password.is_some() {
        order.login.password = Some("<redacted>".into());
    }
    serde_json::to_value(order).unwrap_or_default()
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
    let submission = parse_submission(&body)?;
    // The work runs in its own task: it finishes and is logged even if this client goes away.
    let task = tokio::spawn(async move { process(state, key, client_token, submission).await });
    task.await
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("order task failed: {error}")))?
}

async fn process(
    state: AppState,
    key: String,
    client_token: String,
    submission: Submission,
) -> Result<Response, ApiError> {
    let order = submission.order;
    let hash = order_hash(&order);
    let lock = state.key_locks.get(&key);
    let _held = lock.lock().await;
    let existing = state.store.by_key(&key)?;
    if let Some(existing) = &existing {
        if existing.order_hash != hash {
            return Err(ApiError::KeyConflict { key });
        }
        if !resend_is_needed(existing) {
            return Ok(answer(existing, true, StatusCode::OK));
        }
    }
    let validation = validate(
        &order,
        &ValidationContext {
            now: now_unix_seconds() as i64,
            ..ValidationContext::default()
        },
    );
    let Some(valid) = validation.valid else {
        return Err(ApiError::InvalidOrder {
            problems: validation.problems,
        });
    };
    let warnings: Vec<_> = validation
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Warning)
        .cloned()
        .collect();
    let local_dry_run = order.dry_run && order.cloud == Cloud::Baidu;
    let credentials = state.credentials.get(order.cloud).cloned();
    if credentials.is_none() && !local_dry_run {
        return Err(ApiError::NoCredentials {
            cloud: order.cloud,
            hint: credential_hint(order.cloud),
        });
    }
    let mut record = match existing {
        Some(existing) => existing,
        None => {
            let record = OrderRecord {
                id: format!(
                    "ord-{}",
                    random_hex(8).map_err(|error| ApiError::Internal(error.into()))?
                ),
                idempotency_key: key.clone(),
                order_hash: hash,
                cloud: order.cloud.id().into(),
                region: order.region.clone(),
                dry_run: order.dry_run,
                status: OrderStatus::Pending,
                client_token: order.client_token.clone().unwrap_or(client_token),
                order: loggable(&order),
                quoted_price: submission.quoted_price,
                request: None,
                response: None,
                cloud_request_id: None,
                instance_ids: Vec::new(),
                cloud_order_id: None,
                error_code: None,
                error_message: None,
                hint: None,
                attempts: 0,
                created_at_ms: now_unix_millis(),
                finished_at_ms: None,
                upstream_us: None,
            };
            // Written before anything is sent: from here on the order cannot be lost or duplicated.
            state.store.insert(&record).await?;
            record
        }
    };
    let created = record.attempts == 0 && record.status == OrderStatus::Pending;
    if local_dry_run {
        record.status = OrderStatus::DryRunPassed;
        record.hint =
            Some("Baidu has no dry run: the order passed Spotplan's checks of Baidu's rules; nothing was sent".into());
        record.finished_at_ms = Some(now_unix_millis());
        state.store.finish(&record).await?;
        return Ok(answer_with_warnings(&record, false, StatusCode::OK, &warnings));
    }
    let Some(credentials) = credentials else {
        return Err(ApiError::NoCredentials {
            cloud: order.cloud,
            hint: credential_hint(order.cloud),
        });
    };
    let admin_pass = match (&order.login.password, order.cloud) {
        (Some(password), Cloud::Baidu) => AdminPass::Encrypted(
            baidu_admin_pass(password, credentials.credentials.secret.expose_secret())
                .map_err(|error| ApiError::Internal(error.into()))?,
        ),
        _ => AdminPass::Placeholder,
    };
    let mut request = build_order_request(
        &valid,
        &BuildOptions {
            client_token: record.client_token.clone(),
            baidu_admin_pass: admin_pass,
        },
    );
    state
        .config
        .endpoints
        .route(order.cloud, &mut request)
        .map_err(|error| ApiError::BadRequest {
            code: "endpoint_refused",
            message: error.to_string(),
            field: Some("region".into()),
        })?;
    let sent = state
        .upstream
        .send(order.cloud, &request, &credentials.credentials)
        .await
        .map_err(|error| ApiError::Internal(error.into()))?;
    let outcome = match sent.exchange {
        Exchange::Answered { status, body } => interpret(order.cloud, order.dry_run, status, &body),
        Exchange::NoAnswer { reason } => no_outcome(reason),
        Exchange::NotSent { reason } => Outcome {
            status: OrderStatus::Failed,
            request_id: None,
            instance_ids: Vec::new(),
            order_id: None,
            error_code: Some(UNREACHABLE.into()),
            error_message: Some(reason),
            hint: Some(
                "the cloud could not be reached, so nothing was created; retry with the same idempotency key".into(),
            ),
            body: None,
        },
    };
    record.request = sent.request.as_ref().map(|request| request.redacted());
    record.response = outcome.body;
    record.status = outcome.status;
    record.cloud_request_id = outcome.request_id;
    record.instance_ids = outcome.instance_ids;
    record.cloud_order_id = outcome.order_id;
    record.error_code = outcome.error_code;
    record.error_message = outcome.error_message;
    record.hint = outcome.hint;
    record.attempts += sent.attempts;
    record.finished_at_ms = Some(now_unix_millis());
    record.upstream_us = Some(sent.elapsed.as_micros() as i64);
    state.store.finish(&record).await?;
    tracing::info!(id = %record.id, cloud = %record.cloud, status = ?record.status, attempts = record.attempts, "order processed");
    let status = if created && record.status == OrderStatus::Succeeded {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(answer_with_warnings(&record, false, status, &warnings))
}

/// The error code of a request that never left the proxy.
const UNREACHABLE: &str = "Unreachable";

fn no_outcome(reason: String) -> Outcome {
    Outcome {
        status: OrderStatus::Unknown,
        request_id: None,
        instance_ids: Vec::new(),
        order_id: None,
        error_code: Some("NoAnswer".into()),
        error_message: Some(reason),
        hint: Some(
            "no answer from the cloud: the order may exist. Check the console for this ClientToken, or retry with the \
             same idempotency key (the same ClientToken is sent again, so the cloud cannot create a duplicate)"
                .into(),
        ),
        body: None,
    }
}

/// A stored order whose outcome is not known (or that certainly never left) is sent again with the same token.
fn resend_is_needed(record: &OrderRecord) -> bool {
    match record.status {
        OrderStatus::Pending | OrderStatus::Unknown => true,
        OrderStatus::Failed => record.error_code.as_deref() == Some(UNREACHABLE),
        OrderStatus::Succeeded | OrderStatus::DryRunPassed => false,
    }
}

fn credential_hint(cloud: Cloud) -> &'static str {
    match cloud {
        Cloud::Alibaba => "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (or an aliyun CLI profile)",
        Cloud::Tencent => "TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY (or tccli's credential file)",
        Cloud::Baidu => "BCE_ACCESS_KEY_ID and BCE_SECRET_ACCESS_KEY",
    }
}

fn answer(record: &OrderRecord, replayed: bool, status: StatusCode) -> Response {
    answer_with_warnings(record, replayed, status, &[])
}

fn answer_with_warnings(
    record: &OrderRecord,
    replayed: bool,
    status: StatusCode,
    warnings: &[spotplan_core::order::Problem],
) -> Response {
    let mut json = serde_json::to_value(record).unwrap_or_default();
    if let Some(object) = json.as_object_mut() {
        object.insert("replayed".into(), replayed.into());
        object.insert("warnings".into(), serde_json::to_value(warnings).unwrap_or_default());
    }
    (status, Json(json)).into_response()
}

/// Query of `GET /api/v1/orders`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// How many, newest first (default 100, at most 1000).
    limit: Option<u32>,
}

/// Handles `GET /api/v1/orders`.
pub async fn list(State(state): State<AppState>, Query(query): Query<ListQuery>) -> Result<Response, ApiError> {
    let orders = state.store.list(query.limit.unwrap_or(100).min(1000))?;
    Ok(Json(serde_json::json!({ "orders": orders })).into_response())
}

/// Handles `GET /api/v1/orders/{id}`.
pub async fn get(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let record = state.store.by_id(&id)?.ok_or(ApiError::OrderNotFound { id })?;
    Ok(answer(&record, false, StatusCode::OK))
}
