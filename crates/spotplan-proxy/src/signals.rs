//! `POST /api/v1/signals`: what a cloud says of its spot pools in a region besides prices (Alibaba's interruption
//! buckets, Tencent's sold-out status), through the cloud's own call — built and read by its folder in the core —
//! cached for five minutes. The fleet planner reads them as interruption estimates and sold-out pools.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use spotplan_core::api::signals::{MAX_SIGNAL_TYPES, SignalsAnswer, SignalsBody};
use spotplan_core::clouds::wire;

use crate::AppState;
use crate::error::ApiError;
use crate::upstream::now_unix_seconds;

/// The signals of the last five minutes, by what was asked.
pub type SignalsCache = crate::short_cache::ShortCache<String, SignalsAnswer>;

fn bad(code: &'static str, field: &str, message: String) -> ApiError {
    ApiError::BadRequest {
        code,
        message,
        field: Some(field.into()),
    }
}

/// Handles `POST /api/v1/signals`.
pub async fn signals(
    State(state): State<AppState>,
    Json(body): Json<SignalsBody>,
) -> Result<Json<SignalsAnswer>, ApiError> {
    if body.instance_types.is_empty() || body.instance_types.len() > MAX_SIGNAL_TYPES {
        return Err(bad(
            "invalid_signals",
            "instance_types",
            format!(
                "ask about 1–{MAX_SIGNAL_TYPES} instance types, not {}",
                body.instance_types.len()
            ),
        ));
    }
    if let Some(bad_type) = body
        .instance_types
        .iter()
        .find(|t| !spotplan_core::cloud_id::is_cloud_id(t))
    {
        return Err(bad(
            "invalid_signals",
            "instance_types",
            format!(
                "`{}` is not an instance type ({})",
                spotplan_core::cloud_id::shown(bad_type),
                spotplan_core::cloud_id::RULE
            ),
        ));
    }
    crate::endpoints::check_region(&body.region).map_err(|error| bad("invalid_region", "region", error.to_string()))?;
    let cloud = wire(body.cloud);
    let Some(request) = cloud.pool_signals_request(&body.region, &body.instance_types) else {
        return Err(ApiError::Rejected {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "no_signals",
            message: format!(
                "{} documents no interruption or stock signal for spot instances",
                body.cloud.display_name()
            ),
            field: Some("cloud".into()),
        });
    };
    let Some(credentials) = state.credentials.get(body.cloud).cloned() else {
        return Err(ApiError::NoCredentials {
            cloud: body.cloud,
            hint: crate::exactly_once::credential_hint(body.cloud),
        });
    };
    let key = format!("{}|{}|{}", body.cloud.id(), body.region, body.instance_types.join(","));
    if let Some(cached) = state.signals.get(&key) {
        return Ok(Json(SignalsAnswer { cached: true, ..cached }));
    }
    let unreachable = |message: String| ApiError::Rejected {
        status: StatusCode::BAD_GATEWAY,
        code: "signals_unavailable",
        message,
        field: None,
    };
    let source = request.action.clone();
    let answer_body = crate::read_call::answer_body(&state, body.cloud, &credentials, request)
        .await
        .map_err(unreachable)?;
    let signals = cloud
        .read_pool_signals(&answer_body)
        .map_err(|failure| unreachable(format!("{}: {}", failure.code, failure.message)))?;
    let answer = SignalsAnswer {
        signals,
        source,
        fetched_at: now_unix_seconds() as i64,
        cached: false,
    };
    state.signals.put(key, answer.clone());
    Ok(Json(answer))
}
