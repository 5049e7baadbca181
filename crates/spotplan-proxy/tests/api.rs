//! The proxy's HTTP surface driven through `app()` with `oneshot`: no socket, no process.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use spotplan_proxy::{AppState, Config, app};
use tower::ServiceExt;

fn test_app(static_dir: &std::path::Path) -> axum::Router {
    app(AppState::new(Config::new(static_dir.to_path_buf())))
}

async fn get(app: axum::Router, path: &str) -> (StatusCode, Vec<(String, String)>, Vec<u8>) {
    let response = app
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap_or("").to_owned()))
        .collect();
    let body = response.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, headers, body)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

#[tokio::test]
async fn health_lists_every_cloud_in_planning_mode() {
    let dir = tempdir();
    let (status, _, body) = get(test_app(&dir), "/api/v1/health").await;
    assert_eq!(status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
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
            .all(|c| c["credentials_configured"] == false)
    );
}

#[tokio::test]
async fn unknown_api_path_is_a_json_404() {
    let dir = tempdir();
    let (status, _, body) = get(test_app(&dir), "/api/v1/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["error"]["code"], "not_found");
    assert_eq!(json["error"]["message"], "no API endpoint at /api/v1/nope");
}

#[tokio::test]
async fn serves_index_without_cache_and_hashed_assets_immutable() {
    let dir = tempdir();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>Spotplan</title>").unwrap();
    std::fs::write(dir.join("app-0123abcd.js"), "console.log(1)").unwrap();
    let (status, headers, body) = get(test_app(&dir), "/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "cache-control"), Some("no-cache"));
    assert!(String::from_utf8(body).unwrap().contains("Spotplan"));
    let (status, headers, _) = get(test_app(&dir), "/app-0123abcd.js").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "content-type"), Some("text/javascript"));
    assert_eq!(
        header(&headers, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let (status, headers, _) = get(test_app(&dir), "/plans/some-client-route").await;
    assert_eq!(status, StatusCode::OK, "client routes fall back to index.html");
    assert_eq!(header(&headers, "cache-control"), Some("no-cache"));
}

/// A fresh folder under the target directory (no extra crate needed for a temp dir).
fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "spotplan-proxy-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
