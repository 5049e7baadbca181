//! The proxy's HTTP surface driven through `app()` with `oneshot`: no socket, no process, no cloud.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{TOKEN, example, state, tempdir};
use http_body_util::BodyExt;
use spotplan_proxy::credentials::CloudCredentials;
use spotplan_proxy::endpoints::Endpoints;
use spotplan_proxy::{Store, app};
use tower::ServiceExt;

struct Answer {
    status: StatusCode,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

fn plain_app(dir: &std::path::Path, credentials: CloudCredentials) -> axum::Router {
    app(state(
        dir,
        credentials,
        Endpoints::default(),
        Store::in_memory().unwrap(),
    ))
}

async fn call(app: axum::Router, request: Request<Body>) -> Answer {
    let response = app.oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let body = response.into_body().collect().await.unwrap().to_bytes().to_vec();
    Answer { status, headers, body }
}

fn get(path: &str) -> Request<Body> {
    Request::get(path)
        .header("host", "127.0.0.1:8787")
        .body(Body::empty())
        .unwrap()
}

fn post_order(body: &serde_json::Value, key: Option<&str>, token: Option<&str>) -> Request<Body> {
    let mut builder = Request::post("/api/v1/orders")
        .header("host", "127.0.0.1:8787")
        .header("content-type", "application/json");
    if let Some(key) = key {
        builder = builder.header("idempotency-key", key);
    }
    if let Some(token) = token {
        builder = builder.header("x-spotplan-token", token);
    }
    builder.body(Body::from(body.to_string())).unwrap()
}

#[tokio::test]
async fn health_lists_every_cloud_with_its_mode_and_source() {
    let answer = call(plain_app(&tempdir(), common::credentials()), get("/api/v1/health")).await;
    assert_eq!(answer.status, StatusCode::OK);
    let json = answer.json();
    assert_eq!(json["service"], "spotplan-proxy");
    let clouds: Vec<&str> = json["clouds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cloud"].as_str().unwrap())
        .collect();
    assert_eq!(clouds, ["alibaba", "tencent", "baidu"]);
    assert!(
        json["clouds"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["mode"] == "submit" && c["credentials_source"] == "test")
    );
    let text = String::from_utf8(answer.body).unwrap();
    for (_, _, secret) in common::KEYS {
        assert!(!text.contains(secret));
    }
    let planning = call(
        plain_app(&tempdir(), CloudCredentials::default()),
        get("/api/v1/health"),
    )
    .await
    .json();
    assert!(
        planning["clouds"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["mode"] == "planning" && c["credentials_configured"] == false)
    );
}

#[tokio::test]
async fn unknown_api_path_is_a_json_404() {
    let answer = call(plain_app(&tempdir(), CloudCredentials::default()), get("/api/v1/nope")).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.json()["error"]["code"], "not_found");
    assert_eq!(answer.json()["error"]["message"], "no API endpoint at /api/v1/nope");
}

#[tokio::test]
async fn serves_the_app_with_cache_headers_and_the_token_cookie() {
    let dir = tempdir();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>Spotplan</title>").unwrap();
    std::fs::write(dir.join("app-0123abcd.js"), "console.log(1)").unwrap();
    let index = call(plain_app(&dir, CloudCredentials::default()), get("/")).await;
    assert_eq!(index.status, StatusCode::OK);
    assert_eq!(index.header("cache-control"), Some("no-cache"));
    assert_eq!(
        index.header("set-cookie"),
        Some(&*format!(
            "spotplan_token={TOKEN}; Path=/api; SameSite=Strict; HttpOnly"
        ))
    );
    let asset = call(plain_app(&dir, CloudCredentials::default()), get("/app-0123abcd.js")).await;
    assert_eq!(asset.header("content-type"), Some("text/javascript"));
    assert_eq!(
        asset.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(asset.header("set-cookie"), None);
    let route = call(plain_app(&dir, CloudCredentials::default()), get("/orders")).await;
    assert_eq!(
        (route.status, route.header("cache-control")),
        (StatusCode::OK, Some("no-cache"))
    );
}

#[tokio::test]
async fn mutating_calls_need_the_token_and_foreign_origins_are_refused() {
    let order = example("tencent");
    let no_token = call(
        plain_app(&tempdir(), common::credentials()),
        post_order(&order, Some("key-00000001"), None),
    )
    .await;
    assert_eq!(
        (no_token.status, no_token.json()["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("token_required"))
    );
    let wrong = call(
        plain_app(&tempdir(), common::credentials()),
        post_order(&order, Some("key-00000001"), Some("nope")),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let mut foreign = post_order(&order, Some("key-00000001"), Some(TOKEN));
    foreign
        .headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    let refused = call(plain_app(&tempdir(), common::credentials()), foreign).await;
    assert_eq!(
        (refused.status, refused.json()["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("foreign_origin"))
    );
    assert_eq!(refused.header("access-control-allow-origin"), None, "no CORS");
    let mut reading = get("/api/v1/orders");
    reading
        .headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    assert_eq!(
        call(plain_app(&tempdir(), common::credentials()), reading).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn bad_submissions_get_structured_errors_and_nothing_is_stored() {
    let store = Store::in_memory().unwrap();
    let app = || {
        app(state(
            &tempdir(),
            common::credentials(),
            Endpoints::default(),
            store.clone(),
        ))
    };
    let order = example("alibaba");
    let missing_key = call(app(), post_order(&order, None, Some(TOKEN))).await;
    assert_eq!(missing_key.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing_key.json()["error"]["field"], "Idempotency-Key");
    let bad_key = call(app(), post_order(&order, Some("bad key!"), Some(TOKEN))).await;
    assert_eq!(bad_key.json()["error"]["code"], "idempotency_key_invalid");
    let mut invalid = order.clone();
    invalid["bid"]["max_price"] = "0.1234".into();
    invalid.as_object_mut().unwrap().remove("zone");
    let answer = call(app(), post_order(&invalid, Some("key-00000002"), Some(TOKEN))).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let json = answer.json();
    assert_eq!(json["error"]["code"], "invalid_order");
    let fields: Vec<&str> = json["error"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"zone") && fields.contains(&"bid.max_price"),
        "{fields:?}"
    );
    let mut unknown_field = order.clone();
    unknown_field["colour"] = "blue".into();
    let malformed = call(app(), post_order(&unknown_field, Some("key-00000003"), Some(TOKEN))).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert!(
        malformed.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown field `colour`")
    );
    assert!(
        store.list(10).await.unwrap().is_empty(),
        "refused submissions leave no trace"
    );
}

#[tokio::test]
async fn without_credentials_a_cloud_is_in_planning_mode() {
    let answer = call(
        plain_app(&tempdir(), CloudCredentials::default()),
        post_order(&example("tencent"), Some("key-00000004"), Some(TOKEN)),
    )
    .await;
    assert_eq!(answer.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(answer.json()["error"]["code"], "no_credentials");
    assert!(
        answer.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("TENCENTCLOUD_SECRET_ID")
    );
}

#[tokio::test]
async fn a_baidu_dry_run_is_checked_locally_without_credentials() {
    let mut order = example("baidu");
    order["dry_run"] = true.into();
    let answer = call(
        plain_app(&tempdir(), CloudCredentials::default()),
        post_order(&order, Some("key-00000005"), Some(TOKEN)),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json()["status"], "dry_run_passed");
    assert!(answer.json()["hint"].as_str().unwrap().contains("nothing was sent"));
    assert!(
        answer.json()["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["rule"] == "baidu.dry_run.unsupported")
    );
}

#[tokio::test]
async fn the_openapi_document_describes_the_api() {
    let json = call(
        plain_app(&tempdir(), CloudCredentials::default()),
        get("/api/openapi.json"),
    )
    .await
    .json();
    assert_eq!(json["openapi"], "3.1.0");
    for path in ["/api/v1/health", "/api/v1/orders", "/api/v1/orders/{id}"] {
        assert!(json["paths"][path].is_object(), "{path}");
    }
    assert_eq!(json["components"]["schemas"]["SpotOrder"]["title"], "SpotOrder");
}
