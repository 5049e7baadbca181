//! `POST /api/v1/resources`: the account's own images, VPCs, subnets, security groups and key pairs in a region,
//! through the cloud's own describe call — built and read by its folder in the core — and cached for a minute, so
//! the launch details offer ids to pick instead of ids to know. Read-only: the calls list, they never change.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use spotplan_core::api::resources::{ResourcesAnswer, ResourcesBody};
use spotplan_core::clouds::wire;

use crate::AppState;
use crate::error::ApiError;
use crate::upstream::now_unix_seconds;

/// How long a listing is served from the cache: long enough for a person moving between fields and offers, short
/// enough that a network made a moment ago in the console shows up.
pub const CACHE_FOR: Duration = Duration::from_secs(60);

/// The listings of the last minute, by what was asked.
pub type ResourcesCache = crate::short_cache::ShortCache<ResourcesBody, ResourcesAnswer>;

fn bad(code: &'static str, field: &str, message: String) -> ApiError {
    ApiError::BadRequest {
        code,
        message,
        field: Some(field.into()),
    }
}

/// Handles `POST /api/v1/resources`.
pub async fn resources(
    State(state): State<AppState>,
    Json(body): Json<ResourcesBody>,
) -> Result<Json<ResourcesAnswer>, ApiError> {
    crate::endpoints::check_region(&body.region).map_err(|error| bad("invalid_region", "region", error.to_string()))?;
    if let Some(zone) = &body.zone {
        crate::endpoints::check_region(zone).map_err(|_| {
            bad(
                "invalid_zone",
                "zone",
                format!(
                    "zone `{}` is not a zone id (lower-case letters, digits and single hyphens)",
                    zone.escape_debug()
                ),
            )
        })?;
    }
    if let Some(vpc) = body
        .vpc_id
        .as_deref()
        .filter(|vpc| !spotplan_core::cloud_id::is_cloud_id(vpc))
    {
        return Err(bad(
            "invalid_vpc_id",
            "vpc_id",
            format!(
                "`{}` is not a VPC id ({})",
                spotplan_core::cloud_id::shown(vpc),
                spotplan_core::cloud_id::RULE
            ),
        ));
    }
    let cloud = wire(body.cloud);
    let Some(request) = cloud.resources_request(&body) else {
        return Err(ApiError::Rejected {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "no_such_list",
            message: format!(
                "Spotplan's {} orders take no {} to list",
                body.cloud.display_name(),
                body.kind.id().replace('_', " ")
            ),
            field: Some("kind".into()),
        });
    };
    let Some(credentials) = state.credentials.get(body.cloud).cloned() else {
        return Err(ApiError::NoCredentials {
            cloud: body.cloud,
            hint: crate::exactly_once::credential_hint(body.cloud),
        });
    };
    if let Some(cached) = state.resources.get(&body) {
        return Ok(Json(ResourcesAnswer { cached: true, ..cached }));
    }
    let source = request.action.clone();
    let unavailable = |message: String| ApiError::Rejected {
        status: StatusCode::BAD_GATEWAY,
        code: "resources_unavailable",
        message: format!("{} {source}: {message}", body.cloud.display_name()),
        field: None,
    };
    let answer_body = crate::read_call::answer_body(&state, body.cloud, &credentials, request)
        .await
        .map_err(unavailable)?;
    let page = cloud
        .read_resources(body.kind, &answer_body)
        .map_err(|failure| unavailable(format!("{}: {}", failure.code, failure.message)))?;
    let answer = ResourcesAnswer {
        kind: body.kind,
        resources: page.resources,
        truncated: page.truncated,
        source,
        fetched_at: now_unix_seconds() as i64,
        cached: false,
    };
    state.resources.put(body, answer.clone());
    Ok(Json(answer))
}
