//! The proxy's HTTP surface driven through `app()` with `oneshot`: no socket, no process, no cloud.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{TOKEN, example, state, state_with, tempdir};
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

fn get_with_token(path: &str) -> Request<Body> {
    Request::get(path)
        .header("host", "127.0.0.1:8787")
        .header("x-spotplan-token", TOKEN)
        .body(Body::empty())
        .unwrap()
}

fn get_from_host(path: &str, host: Option<&str>) -> Request<Body> {
    let mut builder = Request::get(path).header("x-spotplan-token", TOKEN);
    if let Some(host) = host {
        builder = builder.header("host", host);
    }
    builder.body(Body::empty()).unwrap()
}

/// A built-app folder: an index.html with an inline module script (as Trunk writes it) and one hashed asset.
fn app_dir() -> std::path::PathBuf {
    let dir = tempdir();
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><title>Spotplan</title><script type=\"module\">import init from '/app-0123abcd.js';</script>",
    )
    .unwrap();
    std::fs::write(dir.join("app-0123abcd.js"), "console.log(1)").unwrap();
    dir
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
    // Without the token: the modes, but not where the credentials are.
    let open = call(plain_app(&tempdir(), common::credentials()), get("/api/v1/health")).await;
    let open = open.json();
    assert_eq!(open["signed_in"], false);
    assert!(
        open["clouds"].as_array().unwrap().iter().all(|c| c["mode"] == "submit"
            && c["credentials_source"].is_null()
            && c["account_currency_source"].is_null()),
        "{open}"
    );
    let answer = call(
        plain_app(&tempdir(), common::credentials()),
        get_with_token("/api/v1/health"),
    )
    .await;
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
async fn serves_the_app_with_cache_and_security_headers_and_no_cookie() {
    let dir = app_dir();
    let index = call(plain_app(&dir, CloudCredentials::default()), get("/")).await;
    assert_eq!(index.status, StatusCode::OK);
    assert_eq!(index.header("cache-control"), Some("no-cache"));
    assert_eq!(index.header("set-cookie"), None, "loading the page hands out nothing");
    let policy = index.header("content-security-policy").unwrap();
    // echo -n "import init from '/app-0123abcd.js';" | openssl dgst -sha256 -binary | base64
    assert!(
        policy.starts_with(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'sha256-JfSpu0pvX06g7Z0/Z1hC9ZVuCRboWiiZ9PsguraxZE0='; "
        ),
        "{policy}"
    );
    for directive in [
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "connect-src 'self'",
    ] {
        assert!(policy.contains(directive), "{directive}");
    }
    assert_eq!(index.header("x-frame-options"), Some("DENY"));
    assert_eq!(index.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(index.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(index.header("cross-origin-resource-policy"), Some("same-origin"));
    let asset = call(plain_app(&dir, CloudCredentials::default()), get("/app-0123abcd.js")).await;
    assert_eq!(asset.header("content-type"), Some("text/javascript"));
    assert_eq!(
        asset.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(asset.header("set-cookie"), None);
    assert_eq!(asset.header("x-content-type-options"), Some("nosniff"));
    let route = call(plain_app(&dir, CloudCredentials::default()), get("/orders")).await;
    assert_eq!(
        (route.status, route.header("cache-control")),
        (StatusCode::OK, Some("no-cache"))
    );
    let api = call(plain_app(&dir, CloudCredentials::default()), get("/api/v1/health")).await;
    assert_eq!(api.header("cache-control"), Some("no-store"));
    assert_eq!(
        api.header("content-security-policy"),
        Some("default-src 'none'; frame-ancestors 'none'")
    );
    assert_eq!(api.header("x-frame-options"), Some("DENY"));
}

#[tokio::test]
async fn an_asset_compressed_at_build_time_is_served_as_it_is() {
    let dir = app_dir();
    // Stand-in bytes: the proxy must hand the file over untouched, not compress anything itself.
    std::fs::write(dir.join("app-0123abcd_bg.wasm"), vec![0_u8; 4096]).unwrap();
    std::fs::write(dir.join("app-0123abcd_bg.wasm.br"), b"built brotli").unwrap();
    let request = Request::get("/app-0123abcd_bg.wasm")
        .header("host", "127.0.0.1:8787")
        .header("accept-encoding", "br, gzip")
        .body(Body::empty())
        .unwrap();
    let answer = call(plain_app(&dir, CloudCredentials::default()), request).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.header("content-encoding"), Some("br"));
    assert_eq!(answer.header("content-type"), Some("application/wasm"));
    assert_eq!(answer.body, b"built brotli");
}

#[tokio::test]
async fn a_foreign_or_missing_host_is_refused_on_every_route_without_a_cookie() {
    let router = plain_app(&app_dir(), common::credentials());
    let paths = [
        "/",
        "/index.html",
        "/app-0123abcd.js",
        "/orders",
        &*format!("/?token={TOKEN}"),
        "/api/v1/health",
        "/api/v1/live",
        "/api/v1/ready",
        "/metrics",
        "/api/v1/orders",
        "/api/openapi.json",
        "/api/v1/nope",
    ];
    let hosts = [
        Some("attacker.example:8787"),
        Some("rebind.example:8787"),
        Some("127.0.0.1:9999"),
        Some("localhost"),
        Some("127.0.0.1:8787.attacker.example"),
        None,
    ];
    for path in paths {
        for host in hosts {
            let answer = call(router.clone(), get_from_host(path, host)).await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path} {host:?}");
            assert_eq!(answer.json()["error"]["code"], "host_not_allowed", "{path} {host:?}");
            assert_eq!(answer.json()["error"]["field"], "Host", "{path} {host:?}");
            assert_eq!(answer.header("set-cookie"), None, "{path} {host:?}");
        }
    }
    let refused = call(router.clone(), get_from_host("/", Some("attacker.example:8787"))).await;
    assert_eq!(
        refused.json()["error"]["message"],
        "this proxy does not answer to host attacker.example:8787: open it at http://127.0.0.1:8787/, or start it with --allowed-host NAME to add a name"
    );
    // An absolute-form request line names the host too; both must be allowed.
    let absolute = call(
        router.clone(),
        get_from_host("http://attacker.example:8787/api/v1/orders", Some("127.0.0.1:8787")),
    )
    .await;
    assert_eq!(absolute.status, StatusCode::FORBIDDEN);
    let mut twice = get_from_host("/api/v1/orders", Some("127.0.0.1:8787"));
    twice
        .headers_mut()
        .append("host", "attacker.example:8787".parse().unwrap());
    assert_eq!(call(router, twice).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn loopback_names_on_the_port_and_configured_names_are_served() {
    let dir = app_dir();
    let mut config = common::config(&dir);
    config.allowed_hosts = vec!["planner.example:8787".parse().unwrap(), "gpu-box".parse().unwrap()];
    let router = app(state_with(
        config,
        CloudCredentials::default(),
        Store::in_memory().unwrap(),
    ));
    let app = || router.clone();
    for host in [
        "127.0.0.1:8787",
        "localhost:8787",
        "LocalHost:8787",
        "[::1]:8787",
        "planner.example:8787",
        "gpu-box",
        "gpu-box:8787",
    ] {
        for path in ["/", "/api/v1/health", "/api/v1/orders"] {
            let answer = call(app(), get_from_host(path, Some(host))).await;
            assert_eq!(answer.status, StatusCode::OK, "{path} {host}");
        }
    }
    let origin = |origin: &str| {
        let mut request = get_from_host("/api/v1/orders", Some("planner.example:8787"));
        request.headers_mut().insert("origin", origin.parse().unwrap());
        request
    };
    assert_eq!(
        call(app(), origin("http://planner.example:8787")).await.status,
        StatusCode::OK
    );
    assert_eq!(call(app(), origin("http://gpu-box")).await.status, StatusCode::OK);
    assert_eq!(
        call(app(), origin("http://other.example:8787")).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_sign_in_link_works_once_and_the_api_token_link_works_again() {
    let dir = app_dir();
    let state = state(
        &dir,
        CloudCredentials::default(),
        Endpoints::default(),
        Store::in_memory().unwrap(),
    );
    let code = state.sign_in.issue(std::time::Duration::from_secs(900)).unwrap();
    let router = app(state.clone());
    let app = || router.clone();
    let cookie = format!("spotplan_token_8787={TOKEN}; Path=/; SameSite=Strict; HttpOnly");

    let first = call(app(), get(&format!("/?v=2-2&token={code}&m=8-8"))).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    assert_eq!(
        first.header("location"),
        Some("/?v=2-2&m=8-8"),
        "the plan in the URL is kept"
    );
    assert_eq!(first.header("set-cookie"), Some(&*cookie));
    assert_eq!(first.header("cache-control"), Some("no-store"));
    assert_eq!(first.header("referrer-policy"), Some("no-referrer"));
    let again = call(app(), get(&format!("/?token={code}"))).await;
    assert_eq!(
        (again.status, again.header("location"), again.header("set-cookie")),
        (StatusCode::SEE_OTHER, Some("/"), None),
        "a used code signs nobody in"
    );

    for _ in 0..2 {
        let with_token = call(app(), get(&format!("/orders?token={TOKEN}"))).await;
        assert_eq!(with_token.status, StatusCode::SEE_OTHER);
        assert_eq!(with_token.header("location"), Some("/orders"));
        assert_eq!(with_token.header("set-cookie"), Some(&*cookie));
    }
    for wrong in ["nope", &TOKEN[1..], "", &format!("{TOKEN}x")] {
        let answer = call(app(), get(&format!("/?token={wrong}"))).await;
        assert_eq!(answer.header("set-cookie"), None, "{wrong}");
    }
    // One credential a link: the right token among guesses signs nothing in (a link is not a batch of guesses).
    let guesses = call(app(), get(&format!("/?token=nope&token={TOKEN}&token=nah"))).await;
    assert_eq!(guesses.status, StatusCode::SEE_OTHER);
    assert_eq!(guesses.header("set-cookie"), None);
    let expired = state.sign_in.issue(std::time::Duration::ZERO).unwrap();
    assert_eq!(
        call(app(), get(&format!("/?token={expired}")))
            .await
            .header("set-cookie"),
        None
    );
    let open_redirect = call(app(), get("//attacker.example/?token=nope")).await;
    assert_eq!(open_redirect.header("location"), Some("/attacker.example/"));

    // A HEAD (a link checker, a preview) does not use a code up.
    let unused = state.sign_in.issue(std::time::Duration::from_secs(900)).unwrap();
    let head = Request::head(format!("/?token={unused}"))
        .header("host", "127.0.0.1:8787")
        .body(Body::empty())
        .unwrap();
    assert_eq!(call(app(), head).await.header("set-cookie"), None);
    let after_head = call(app(), get(&format!("/?token={unused}"))).await;
    assert_eq!(after_head.header("set-cookie"), Some(&*cookie));

    // Without a token the page still loads (planning works without the proxy).
    assert_eq!(call(app(), get("/?v=2-2")).await.status, StatusCode::OK);

    // The cookie opens the API; health says whether the caller is signed in.
    let with_cookie = |path: &str| {
        let mut request = get(path);
        request.headers_mut().insert(
            "cookie",
            format!("other=1; spotplan_token_8787={TOKEN}").parse().unwrap(),
        );
        request
    };
    assert_eq!(call(app(), with_cookie("/api/v1/orders")).await.status, StatusCode::OK);
    assert_eq!(
        call(app(), with_cookie("/api/v1/health")).await.json()["signed_in"],
        true
    );
    assert_eq!(call(app(), get("/api/v1/health")).await.json()["signed_in"], false);
    let mut other_port = get("/api/v1/orders");
    other_port
        .headers_mut()
        .insert("cookie", format!("spotplan_token_9999={TOKEN}").parse().unwrap());
    assert_eq!(call(app(), other_port).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn over_https_the_cookie_is_secure() {
    let dir = app_dir();
    let mut config = common::config(&dir);
    config.tls = true;
    let app = app(state_with(
        config,
        CloudCredentials::default(),
        Store::in_memory().unwrap(),
    ));
    let answer = call(app.clone(), get(&format!("/?token={TOKEN}"))).await;
    assert_eq!(
        answer.header("set-cookie"),
        Some(&*format!(
            "__Host-spotplan_token_8787={TOKEN}; Path=/; SameSite=Strict; HttpOnly; Secure"
        ))
    );
    // It signs API calls in; a plain-named cookie (which any page of the host could plant) does not.
    for (cookie, status) in [
        (format!("__Host-spotplan_token_8787={TOKEN}"), StatusCode::OK),
        (format!("spotplan_token_8787={TOKEN}"), StatusCode::UNAUTHORIZED),
    ] {
        let request = Request::get("/api/v1/orders")
            .header("host", "127.0.0.1:8787")
            .header("cookie", cookie)
            .body(Body::empty())
            .unwrap();
        assert_eq!(call(app.clone(), request).await.status, status);
    }
}

#[tokio::test]
async fn every_api_call_but_health_needs_the_token() {
    let router = plain_app(&tempdir(), common::credentials());
    let app = || router.clone();
    let prices = serde_json::json!({ "offers": [] });
    let refused = [
        get("/api/v1/orders"),
        get("/api/v1/orders/some-id"),
        get("/api/openapi.json"),
        get("/metrics"),
        post_order(&example("tencent"), Some("key-00000001"), None),
        Request::post("/api/v1/prices")
            .header("host", "127.0.0.1:8787")
            .header("content-type", "application/json")
            .body(Body::from(prices.to_string()))
            .unwrap(),
    ];
    for request in refused {
        let path = request.uri().to_string();
        let answer = call(app(), request).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(answer.json()["error"]["code"], "token_required", "{path}");
        assert_eq!(answer.json()["error"]["field"], "X-Spotplan-Token", "{path}");
    }
    assert_eq!(call(app(), get("/api/v1/health")).await.status, StatusCode::OK);
    // The probes are open: they say nothing but whether the process answers and its database takes orders.
    for (path, status) in [("/api/v1/live", "live"), ("/api/v1/ready", "ready")] {
        let answer = call(app(), get(path)).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        assert_eq!(
            answer.json(),
            serde_json::json!({ "status": status, "database": "sqlite" })
        );
    }
    let answer = call(app(), get_with_token("/api/v1/orders")).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json()["orders"], serde_json::json!([]));
}

/// The limit on API calls handled at once binds all routes together, and only calls that carry the token count:
/// with every permit taken (as that many calls in flight on any routes would), a call on any route waits, while a
/// call without the token is still refused at once, and a release (stopping spend) has places of its own.
#[tokio::test]
async fn one_limit_holds_every_routes_calls_together_and_only_calls_with_the_token_count() {
    let dir = tempdir();
    let state = state(
        &dir,
        common::credentials(),
        Endpoints::default(),
        Store::in_memory().unwrap(),
    );
    let router = app(state.clone());
    let wait = std::time::Duration::from_millis(300);
    let all = u32::try_from(spotplan_proxy::MAX_CONCURRENT_API_CALLS).unwrap();
    let taken = state.api_call_permits.clone().acquire_many_owned(all).await.unwrap();
    for path in [
        "/api/v1/orders",
        "/api/v1/instances",
        "/api/v1/fleets",
        "/api/openapi.json",
    ] {
        let answer = tokio::time::timeout(wait, call(router.clone(), get_with_token(path))).await;
        assert!(answer.is_err(), "{path} was served past the limit");
    }
    let answered_by = std::time::Duration::from_secs(10);
    let refused = tokio::time::timeout(answered_by, call(router.clone(), get("/api/v1/orders")))
        .await
        .expect("a call without the token waits for no permit");
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    // Releases and fleet stops have places of their own: stopping spend never waits behind the other calls.
    let release = Request::post("/api/v1/instances/release")
        .header("host", "127.0.0.1:8787")
        .header("x-spotplan-token", TOKEN)
        .header("content-type", "application/json")
        .header("idempotency-key", "release-while-busy-0001")
        .body(Body::from(r#"{"instances":[]}"#))
        .unwrap();
    let released = tokio::time::timeout(answered_by, call(router.clone(), release))
        .await
        .expect("a release waits for no other call");
    assert!(released.json()["error"]["code"] != "timeout", "{:?}", released.json());
    drop(taken);
    let served = tokio::time::timeout(answered_by, call(router.clone(), get_with_token("/api/v1/orders")))
        .await
        .expect("served once permits are free");
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(
        state.api_call_permits.available_permits(),
        spotplan_proxy::MAX_CONCURRENT_API_CALLS,
        "each call gave its permit back"
    );
}

/// Every operation of the OpenAPI document (so every route the proxy serves: a test in `openapi.rs` holds the
/// document to the router) is refused without the token, with a foreign Origin, a cross-site fetch or a rebinding
/// Host — a route added later is covered without anyone listing it here. The open ones are the document's
/// `security: []` operations and the sign-in form, which the Host and Origin checks still guard.
#[tokio::test]
async fn every_documented_operation_refuses_callers_without_the_token_or_from_elsewhere() {
    let router = plain_app(&tempdir(), common::credentials());
    let document = spotplan_proxy::openapi::document();
    let mut checked = 0;
    for (path, operations) in document["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let open = operation["security"] == serde_json::json!([]) || path == spotplan_core::api::SIGN_IN;
            let uri = path.replace("{id}", "ord-someone-else").replace('\'', "");
            let request = |headers: &[(&str, &str)]| {
                let mut builder = Request::builder()
                    .method(method.to_uppercase().as_str())
                    .uri(uri.as_str());
                for (name, value) in headers {
                    builder = builder.header(*name, *value);
                }
                let body = if method == "get" {
                    Body::empty()
                } else {
                    Body::from("{}")
                };
                builder.header("content-type", "application/json").body(body).unwrap()
            };
            let at = format!("{method} {path}");
            if !open {
                let answer = call(router.clone(), request(&[("host", "127.0.0.1:8787")])).await;
                assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{at}: no token");
                assert_eq!(answer.json()["error"]["code"], "token_required", "{at}");
            }
            for (headers, code) in [
                (
                    vec![
                        ("host", "127.0.0.1:8787"),
                        ("x-spotplan-token", TOKEN),
                        ("origin", "http://evil.example"),
                    ],
                    "foreign_origin",
                ),
                (
                    vec![
                        ("host", "127.0.0.1:8787"),
                        ("x-spotplan-token", TOKEN),
                        ("sec-fetch-site", "cross-site"),
                    ],
                    "foreign_origin",
                ),
                (
                    vec![("host", "rebind.example:8787"), ("x-spotplan-token", TOKEN)],
                    "host_not_allowed",
                ),
            ] {
                if open && method == "get" && code == "foreign_origin" {
                    continue; // health, live and ready answer any page: they say nothing
                }
                let answer = call(router.clone(), request(&headers)).await;
                assert_eq!(answer.status, StatusCode::FORBIDDEN, "{at}: {headers:?}");
                assert_eq!(answer.json()["error"]["code"], code, "{at}: {headers:?}");
                let named = match headers
                    .iter()
                    .find(|(name, _)| *name == "origin" || *name == "sec-fetch-site")
                {
                    Some(("origin", _)) => "Origin",
                    Some(_) => "Sec-Fetch-Site",
                    None => "Host",
                };
                assert_eq!(answer.json()["error"]["field"], named, "{at}: {headers:?}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 23, "{checked} operations");
}

/// The bounds the handlers check but nothing else reached: a page size outside its range, too many offers or
/// pools, an unknown fleet — each named with its field.
#[tokio::test]
async fn out_of_range_lists_and_unknown_ids_are_named() {
    let router = plain_app(&tempdir(), common::credentials());
    for (path, code) in [
        ("/api/v1/orders?limit=0", "invalid_limit"),
        ("/api/v1/orders?limit=1001", "invalid_limit"),
        ("/api/v1/catalog?limit=50001", "invalid_limit"),
    ] {
        let answer = call(router.clone(), get_with_token(path)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(
            (
                answer.json()["error"]["code"].as_str(),
                answer.json()["error"]["field"].as_str()
            ),
            (Some(code), Some("limit")),
            "{path}"
        );
    }
    for (path, code, field) in [
        ("/api/v1/fleets/flt-nobody", "fleet_not_found", Some("id")),
        ("/api/v1/orders/ord-nobody", "order_not_found", None),
    ] {
        let answer = call(router.clone(), get_with_token(path)).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            (
                answer.json()["error"]["code"].as_str(),
                answer.json()["error"]["field"].as_str()
            ),
            (Some(code), field),
            "{path}"
        );
    }
    let json = |method: &str, path: &str, body: serde_json::Value| {
        Request::builder()
            .method(method)
            .uri(path)
            .header("host", "127.0.0.1:8787")
            .header("x-spotplan-token", TOKEN)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let offer = serde_json::json!({
        "offer": { "cloud": "alibaba", "region": "cn-hangzhou", "zone": "cn-hangzhou-k", "instance_type": "ecs.c7.xlarge" }
    });
    let stop = call(
        router.clone(),
        json(
            "POST",
            "/api/v1/fleets/flt-nobody/stop",
            serde_json::json!({ "release": true }),
        ),
    )
    .await;
    assert_eq!(stop.status, StatusCode::NOT_FOUND);
    assert_eq!(
        (
            stop.json()["error"]["code"].as_str(),
            stop.json()["error"]["field"].as_str()
        ),
        (Some("fleet_not_found"), Some("id"))
    );
    let too_many = vec![offer.clone(); spotplan_core::api::prices::MAX_OFFERS + 1];
    let answer = call(
        router.clone(),
        json("POST", "/api/v1/prices", serde_json::json!({ "offers": too_many })),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        (
            answer.json()["error"]["code"].as_str(),
            answer.json()["error"]["field"].as_str()
        ),
        (Some("too_many_offers"), Some("offers"))
    );
    let most = spotplan_core::api::refresh::MAX_REFRESH_POOLS;
    // The longest list it takes fits the body limit (Tencent's pools carry an image too).
    let tencent = serde_json::json!({
        "offer": { "cloud": "tencent", "region": "ap-guangzhou", "zone": "ap-guangzhou-6", "instance_type": "SA2.LARGE8" },
        "image_id": "img-487zeit5"
    });
    let answer = call(
        router.clone(),
        json(
            "PUT",
            "/api/v1/refresh",
            serde_json::json!({ "enabled": false, "pools": vec![tencent; most] }),
        ),
    )
    .await;
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    assert_eq!(answer.json()["pools"].as_u64(), Some(most as u64));
    let pools = vec![offer; most + 1];
    let answer = call(
        router.clone(),
        json(
            "PUT",
            "/api/v1/refresh",
            serde_json::json!({ "enabled": true, "pools": pools }),
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        (
            answer.json()["error"]["code"].as_str(),
            answer.json()["error"]["field"].as_str()
        ),
        (Some("invalid_refresh"), Some("pools"))
    );
    let progress = call(router.clone(), get_with_token("/api/v1/refresh")).await;
    assert_eq!(
        (progress.json()["enabled"].as_bool(), progress.json()["pools"].as_u64()),
        (Some(false), Some(most as u64)),
        "nothing of the refused list was kept"
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
    let mut reading = get_with_token("/api/v1/orders");
    reading
        .headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    assert_eq!(
        call(plain_app(&tempdir(), common::credentials()), reading).await.status,
        StatusCode::FORBIDDEN
    );
    // Another port of the same host is the same site, and a rebinding page agrees with its own Host.
    for origin in ["http://127.0.0.1:3000", "http://rebind.example:8787"] {
        let mut request = get_with_token("/api/v1/orders");
        request.headers_mut().insert("origin", origin.parse().unwrap());
        let answer = call(plain_app(&tempdir(), common::credentials()), request).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{origin}");
    }
    let mut same_site = get_with_token("/api/v1/orders");
    same_site
        .headers_mut()
        .insert("sec-fetch-site", "same-site".parse().unwrap());
    assert_eq!(
        call(plain_app(&tempdir(), common::credentials()), same_site)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let mut own = get_with_token("/api/v1/orders");
    own.headers_mut()
        .insert("origin", "http://127.0.0.1:8787".parse().unwrap());
    assert_eq!(
        call(plain_app(&tempdir(), common::credentials()), own).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn every_error_has_the_json_shape() {
    let router = plain_app(&tempdir(), common::credentials());
    let app = || router.clone();
    let shape = |answer: &Answer| {
        assert_eq!(
            answer.header("content-type"),
            Some("application/json"),
            "{}",
            answer.status
        );
        let json = answer.json();
        assert!(
            json["error"]["code"].is_string() && json["error"]["message"].is_string(),
            "{json}"
        );
        json
    };
    let bad_query = call(app(), get_with_token("/api/v1/orders?limit=abc")).await;
    assert_eq!(bad_query.status, StatusCode::BAD_REQUEST);
    let json = shape(&bad_query);
    assert_eq!(json["error"]["code"], "invalid_query");
    assert_eq!(json["error"]["field"], "limit");

    let mut text_body = post_order(&example("alibaba"), Some("key-00000010"), Some(TOKEN));
    text_body
        .headers_mut()
        .insert("content-type", "text/plain".parse().unwrap());
    let not_json = call(app(), text_body).await;
    assert_eq!(not_json.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(shape(&not_json)["error"]["code"], "unsupported_media_type");
    assert_eq!(shape(&not_json)["error"]["field"], "Content-Type");

    let prices = |body: &str| {
        Request::post("/api/v1/prices")
            .header("host", "127.0.0.1:8787")
            .header("x-spotplan-token", TOKEN)
            .header("content-type", "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap()
    };
    let wrong_type = call(app(), prices(r#"{"offers": [{"offer": {"cloud": "aws"}}]}"#)).await;
    assert_eq!(wrong_type.status, StatusCode::UNPROCESSABLE_ENTITY);
    let json = shape(&wrong_type);
    assert_eq!(json["error"]["code"], "invalid_json");
    assert_eq!(json["error"]["field"], "offers[0].offer.cloud");
    let syntax = call(app(), prices("{not json")).await;
    assert_eq!(syntax.status, StatusCode::BAD_REQUEST);
    shape(&syntax);

    let oversized = "x".repeat(spotplan_proxy::BODY_LIMIT_BYTES + 1);
    let too_large = call(app(), prices(&oversized)).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(shape(&too_large)["error"]["code"], "body_too_large");
    let mut too_large_order = post_order(&serde_json::json!(oversized), Some("key-00000011"), Some(TOKEN));
    too_large_order.headers_mut().remove("content-length");
    assert_eq!(call(app(), too_large_order).await.status, StatusCode::PAYLOAD_TOO_LARGE);

    let put_health = call(
        app(),
        Request::put("/api/v1/health")
            .header("host", "127.0.0.1:8787")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(put_health.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(shape(&put_health)["error"]["code"], "method_not_allowed");
    assert_eq!(put_health.header("allow"), Some("GET,HEAD"));

    let post_page = call(
        app(),
        Request::post("/")
            .header("host", "127.0.0.1:8787")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(post_page.status.is_client_error(), "{}", post_page.status);
    shape(&post_page);
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
    assert_eq!(
        answer.json()["error"]["message"],
        "no credentials for Tencent Cloud CVM (planning mode): set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY \
         (or tccli's credential file) and restart the proxy; nothing was sent"
    );
}

#[tokio::test]
async fn a_bid_in_another_currency_than_the_account_pays_in_is_refused_before_anything_is_logged() {
    // The Tencent account is on the international site (USD); the order's bid is in CNY (the default).
    let mut international = common::credentials();
    let tencent = international.get(spotplan_core::Cloud::Tencent).unwrap().clone();
    international = international.with(
        spotplan_core::Cloud::Tencent,
        spotplan_proxy::credentials::Loaded {
            account_currency: spotplan_core::Currency::Usd,
            account_currency_source: spotplan_core::api::health::AccountSiteSource::environment(
                "SPOTPLAN_ACCOUNT_CURRENCY_TENCENT".into(),
            ),
            ..tencent
        },
    );
    let store = Store::in_memory().unwrap();
    let app = app(state(&tempdir(), international, Endpoints::default(), store.clone()));
    let answer = call(
        app.clone(),
        post_order(&example("tencent"), Some("key-currency-1"), Some(TOKEN)),
    )
    .await;
    assert_eq!(
        answer.status,
        StatusCode::BAD_REQUEST,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let error = &answer.json()["error"];
    assert_eq!(error["code"], "account_currency_mismatch");
    assert_eq!(error["field"], "account_currency");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("in CNY but the Tencent Cloud CVM account this proxy holds pays in USD"),
        "{message}"
    );
    assert!(store.list(10).await.unwrap().is_empty(), "nothing logged, nothing sent");
    // The health answer says which site the account is on, and (to those signed in) where that was set.
    let health = call(app, get_with_token("/api/v1/health")).await.json();
    let line = health["clouds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|line| line["cloud"] == "tencent")
        .unwrap()
        .clone();
    assert_eq!(line["account_currency"], "USD");
    assert_eq!(
        line["account_currency_source"],
        serde_json::json!({ "kind": "environment", "name": "SPOTPLAN_ACCOUNT_CURRENCY_TENCENT" })
    );
    assert!(
        message.contains("pays in USD (environment (SPOTPLAN_ACCOUNT_CURRENCY_TENCENT))"),
        "{message}"
    );
}

/// A market bid is bounded by the newest price the proxy knows: a live quote stored after the catalog's list price
/// counts, so a ceiling the catalog's older price passes refuses the order once a higher price is stored, before
/// anything is logged or sent.
#[tokio::test]
async fn a_market_bid_is_bounded_by_a_stored_live_price_newer_than_the_catalogs() {
    use spotplan_core::catalog::Catalog;
    let dir = tempdir();
    let mut body = example("alibaba");
    body["bid"] = serde_json::json!({ "mode": "market", "spot_duration_hours": 1 });
    body["dry_run"] = serde_json::json!(true);
    let order: spotplan_core::order::SpotOrder = serde_json::from_value(body.clone()).unwrap();
    let catalog = Catalog::embedded().unwrap();
    let fx = spotplan_core::ExchangeRate::default();
    let listed = spotplan_proxy::spend::hourly_bound(&order, order.account_currency, Some(&catalog), &fx)
        .expect("the catalog prices ecs.c7.xlarge");
    assert!(listed.basis.contains("pay-as-you-go"), "{}", listed.basis);
    let mut config = common::config(&dir);
    // Half again the catalog's bound: the catalog's price alone passes it.
    config.spend.max_order_per_hour = Some(listed.per_hour.checked_mul(rust_decimal::Decimal::new(15, 1)).unwrap());
    let store = Store::in_memory().unwrap();
    let state = state_with(config, common::credentials(), store.clone());
    // The cloud described the image as Linux a moment ago (the market bid is bounded at a Linux price only then).
    state.image_os.put(
        (
            spotplan_core::Cloud::Alibaba,
            "cn-hangzhou".into(),
            order.image_id.clone(),
        ),
        Some(spotplan_core::order::OsFamily::Linux),
    );
    // The account's API answered a list price twice the catalog's, today.
    common::raise_list_price(&store, "cn-hangzhou-k", rust_decimal::Decimal::TWO).await;
    let answer = call(app(state), post_order(&body, Some("key-live-bound-1"), Some(TOKEN))).await;
    assert_eq!(
        (answer.status, answer.json()["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("spend_ceiling")),
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let message = answer.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let doubled = listed.per_hour.amount * rust_decimal::Decimal::TWO;
    assert!(
        message.contains(&format!("may cost up to {} CNY per hour", doubled.normalize())),
        "bounded at the stored price: {message}"
    );
    assert!(store.list(10).await.unwrap().is_empty(), "nothing logged, nothing sent");
}

/// A team budget binds orders placed with the operator's token on the embedded log too — not only people's keys,
/// and not only on PostgreSQL (it was skipped there, and such orders went out past the team's budget). A dry run
/// of the same order is refused the same way: it says whether the order would be placed (it passed before).
#[tokio::test]
async fn a_team_budget_binds_the_operators_token_on_the_embedded_log() {
    use spotplan_proxy::people::{self, Budget};
    let store = Store::in_memory().unwrap();
    let cent = spotplan_core::Money::new(rust_decimal::Decimal::new(1, 2), spotplan_core::Currency::Cny);
    let budget = Budget {
        per_hour: Some(cent),
        per_month: None,
    };
    people::set_budget(&store, None, &budget).await.unwrap();
    // Nothing may reach a cloud: every endpoint is a closed local port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut endpoints = Endpoints::default();
    for cloud in spotplan_core::Cloud::ALL {
        endpoints = endpoints.with(
            cloud,
            spotplan_proxy::endpoints::EndpointOverride {
                scheme: "http".into(),
                authority: closed.to_string(),
            },
        );
    }
    let app = app(state(&tempdir(), common::credentials(), endpoints, store.clone()));
    for (dry_run, key) in [(false, "key-team-budget-1"), (true, "key-team-budget-2")] {
        let mut order = example("tencent");
        order["dry_run"] = dry_run.into();
        let answer = call(app.clone(), post_order(&order, Some(key), Some(TOKEN))).await;
        let error = &answer.json()["error"];
        assert_eq!(
            (answer.status, &error["code"], &error["field"]),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                &serde_json::json!("spend_ceiling"),
                &serde_json::json!("budget.team.per_hour")
            ),
            "dry run {dry_run}: {error}"
        );
    }
    assert!(store.list(10).await.unwrap().is_empty(), "nothing logged, nothing sent");
}

/// A budget counts an order's instances at their price, and the clouds bill disks and public bandwidth besides,
/// which no price Spotplan holds bounds. So while a budget applies, an order may carry only the proxy's allowance of
/// them: a 0.05 CNY/h instance with sixteen 32,768 GiB disks was counted at 0.05 against a 10 CNY/h budget and
/// went out. It is refused with the field, the figure and the setting, before anything is logged or sent; within
/// the allowance the same order passes the budget, and with no budget or ceiling the allowance does not apply.
#[tokio::test]
async fn a_budgeted_order_carries_no_more_unpriced_disk_or_bandwidth_than_the_allowance() {
    use spotplan_proxy::people::{self, Budget};
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut endpoints = Endpoints::default();
    for cloud in spotplan_core::Cloud::ALL {
        endpoints = endpoints.with(
            cloud,
            spotplan_proxy::endpoints::EndpointOverride {
                scheme: "http".into(),
                authority: closed.to_string(),
            },
        );
    }
    let mut cheap = example("alibaba");
    cheap["count"] = 1.into();
    cheap["min_count"] = serde_json::Value::Null;
    cheap["bid"]["max_price"] = "0.05".into();
    cheap["dry_run"] = true.into();
    let mut huge_disks = cheap.clone();
    huge_disks["data_disks"] = (0..16)
        .map(|_| serde_json::json!({ "category": "cloud_essd", "size_gb": 32768 }))
        .collect();
    let mut wide_link = cheap.clone();
    wide_link["network"]["bandwidth_mbps"] = 100.into();
    wide_link["network"]["internet_charge_type"] = "PayByTraffic".into();

    let budgeted = Store::in_memory().unwrap();
    let ten = spotplan_core::Money::new(rust_decimal::Decimal::TEN, spotplan_core::Currency::Cny);
    people::set_budget(
        &budgeted,
        None,
        &Budget {
            per_hour: Some(ten),
            per_month: None,
        },
    )
    .await
    .unwrap();
    let budgeted_app = app(state(
        &tempdir(),
        common::credentials(),
        endpoints.clone(),
        budgeted.clone(),
    ));
    let refusal = |answer: &Answer| {
        let error = answer.json()["error"].clone();
        (
            answer.status,
            error["code"].clone(),
            error["field"].clone(),
            error["message"].as_str().unwrap_or_default().to_owned(),
        )
    };
    let over: [(&serde_json::Value, &str, &str, &[&str]); 2] = [
        // 40 GiB of system disk and 16 × 32,768 GiB of data disks.
        (
            &huge_disks,
            "key-unpriced-1",
            "data_disks",
            &["524328 GiB", "above the 1024 GiB", "SPOTPLAN_MAX_UNPRICED_DISK_GIB"],
        ),
        (
            &wide_link,
            "key-unpriced-2",
            "network.bandwidth_mbps",
            &["100 is above the 10 Mbps", "SPOTPLAN_MAX_UNPRICED_BANDWIDTH_MBPS"],
        ),
    ];
    for (order, key, expected_field, words) in over {
        let answer = call(budgeted_app.clone(), post_order(order, Some(key), Some(TOKEN))).await;
        let (status, code, field, message) = refusal(&answer);
        assert_eq!(
            (status, code, field),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "spend_ceiling".into(),
                expected_field.into()
            ),
            "{message}"
        );
        for word in words {
            assert!(message.contains(word), "{word}: {message}");
        }
    }
    assert!(
        budgeted.list(10).await.unwrap().is_empty(),
        "nothing logged, nothing sent"
    );
    // Within the allowance, the budget passes it (the dry run then meets the closed port).
    let answer = call(budgeted_app, post_order(&cheap, Some("key-unpriced-3"), Some(TOKEN))).await;
    assert_ne!(
        refusal(&answer).1,
        serde_json::json!("spend_ceiling"),
        "{}",
        refusal(&answer).3
    );
    assert_eq!(budgeted.list(10).await.unwrap().len(), 1, "logged and sent");

    // No budget and no ceiling: nothing bounds the order, so the allowance does not apply either.
    let unbudgeted = Store::in_memory().unwrap();
    let open_app = app(state(&tempdir(), common::credentials(), endpoints, unbudgeted.clone()));
    let answer = call(open_app, post_order(&huge_disks, Some("key-unpriced-4"), Some(TOKEN))).await;
    assert_ne!(
        refusal(&answer).1,
        serde_json::json!("spend_ceiling"),
        "{}",
        refusal(&answer).3
    );
    assert_eq!(unbudgeted.list(10).await.unwrap().len(), 1, "logged and sent");
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
    assert_eq!(
        answer.json()["hint"],
        "Baidu AI Cloud BCC has no dry run: the order passed Spotplan's checks of its rules; nothing was sent"
    );
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
        get_with_token("/api/openapi.json"),
    )
    .await
    .json();
    assert_eq!(json["openapi"], "3.0.3");
    for path in ["/api/v1/health", "/api/v1/orders", "/api/v1/orders/{id}"] {
        assert!(json["paths"][path].is_object(), "{path}");
    }
    let spot_order = &json["components"]["schemas"]["SpotOrder"];
    for field in ["cloud", "region", "instance_type", "bid"] {
        assert!(
            spot_order["properties"][field].is_object(),
            "SpotOrder.{field}: {spot_order}"
        );
    }
}

/// `/metrics`: Prometheus' text format with the log's orders by cloud and outcome, the unresolved ones, and each
/// call to a cloud by how long it took — never a secret, and never for a foreign origin.
#[tokio::test]
async fn metrics_count_orders_by_cloud_and_outcome_and_hold_no_secret() {
    let router = plain_app(&tempdir(), common::credentials());
    // A Baidu dry run: checked by the proxy itself (Baidu has no dry run), nothing leaves the process.
    let mut order = example("baidu");
    order["dry_run"] = true.into();
    let placed = call(
        router.clone(),
        post_order(&order, Some("metrics-key-0001"), Some(TOKEN)),
    )
    .await;
    let status = placed.json()["status"].as_str().unwrap_or_default().to_owned();
    assert!(!status.is_empty(), "{:?}", placed.json());
    let answer = call(router.clone(), get_with_token("/metrics")).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer
            .header("content-type")
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = String::from_utf8(answer.body.clone()).unwrap();
    assert!(
        text.contains(&format!("spotplan_orders{{cloud=\"baidu\",state=\"{status}\"}} 1")),
        "{text}"
    );
    assert!(text.contains("spotplan_orders_unresolved "), "{text}");
    assert!(text.contains("spotplan_background_leader 1"), "{text}");
    assert!(
        text.contains("# TYPE spotplan_upstream_call_seconds histogram"),
        "{text}"
    );
    assert!(text.ends_with("# EOF\n"), "{text}");
    for (_, id, secret) in common::KEYS {
        assert!(
            !text.contains(secret) && !text.contains(id),
            "a credential in the metrics"
        );
    }
    assert!(!text.contains(TOKEN));
    let foreign = Request::get("/metrics")
        .header("host", "127.0.0.1:8787")
        .header("x-spotplan-token", TOKEN)
        .header("origin", "http://attacker.example")
        .body(Body::empty())
        .unwrap();
    assert_eq!(call(router, foreign).await.status, StatusCode::FORBIDDEN);
}

fn sign_in(body: &str, content_type: &str, extra: &[(&str, &str)]) -> Request<Body> {
    let mut builder = Request::post("/api/v1/sign-in")
        .header("host", "127.0.0.1:8787")
        .header("content-type", content_type);
    for (name, value) in extra {
        builder = builder.header(*name, *value);
    }
    builder.body(Body::from(body.to_owned())).unwrap()
}

/// The app's sign-in form: the token (or a one-time code, once) in a body gets the cookie; anything else, a foreign
/// page, or a body that is not JSON gets none — and the token is never echoed.
#[tokio::test]
async fn the_sign_in_form_sets_the_cookie_only_for_a_right_token_from_this_app() {
    let state = state(
        &tempdir(),
        CloudCredentials::default(),
        Endpoints::default(),
        Store::in_memory().unwrap(),
    );
    let router = app(state.clone());
    let cookie_of = |answer: &Answer| answer.header("set-cookie").map(str::to_owned);
    let body = |token: &str| serde_json::json!({ "token": token }).to_string();

    let signed = call(router.clone(), sign_in(&body(TOKEN), "application/json", &[])).await;
    assert_eq!(signed.status, StatusCode::NO_CONTENT);
    let cookie = cookie_of(&signed).unwrap();
    assert!(cookie.starts_with(&format!("spotplan_token_8787={TOKEN};")), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    let code = state.sign_in.issue(std::time::Duration::from_secs(60)).unwrap();
    let first = call(router.clone(), sign_in(&body(&code), "application/json", &[])).await;
    assert_eq!(first.status, StatusCode::NO_CONTENT, "a printed code works once");
    assert!(cookie_of(&first).unwrap().contains(TOKEN));
    let again = call(router.clone(), sign_in(&body(&code), "application/json", &[])).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED, "and only once");

    let wrong = call(
        router.clone(),
        sign_in(&body("not-the-token-0123456789"), "application/json", &[]),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.json()["error"]["code"], "sign_in_refused");
    assert_eq!(wrong.json()["error"]["field"], "token");
    assert!(cookie_of(&wrong).is_none());
    assert!(
        !String::from_utf8_lossy(&wrong.body).contains("not-the-token"),
        "never echoed"
    );

    // Hostile: a foreign page (Origin, or Sec-Fetch-Site), a form post, a body of another shape, a foreign Host.
    for (request, status) in [
        (
            sign_in(&body(TOKEN), "application/json", &[("origin", "http://evil.example")]),
            StatusCode::FORBIDDEN,
        ),
        (
            sign_in(&body(TOKEN), "application/json", &[("sec-fetch-site", "cross-site")]),
            StatusCode::FORBIDDEN,
        ),
        (
            sign_in(&format!("token={TOKEN}"), "application/x-www-form-urlencoded", &[]),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            sign_in(r#"{"token": 42}"#, "application/json", &[]),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            Request::post("/api/v1/sign-in")
                .header("host", "attacker.example:8787")
                .header("content-type", "application/json")
                .body(Body::from(body(TOKEN)))
                .unwrap(),
            StatusCode::FORBIDDEN,
        ),
    ] {
        let answer = call(router.clone(), request).await;
        assert_eq!(answer.status, status, "{}", String::from_utf8_lossy(&answer.body));
        assert!(cookie_of(&answer).is_none());
    }
}
