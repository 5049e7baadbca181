//! `GET /api/openapi.json`: the OpenAPI 3.0 description of the proxy's API. Every request and answer schema is
//! generated from the core's API types ([`spotplan_core::api`]) — the same types the proxy serialises and the web
//! app reads — so the document cannot drift from what is served; every status a route can answer is listed.

use axum::Json;
use schemars::JsonSchema;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use serde_json::{Map, Value, json};
use spotplan_core::api;
use spotplan_core::api::catalog::{CatalogDelta, MAX_DELTA_ROWS};
use spotplan_core::api::error::ErrorBody;
use spotplan_core::api::fleets::{FleetAnswer, FleetList, FleetSubmission, StopFleet};
use spotplan_core::api::health::{Health, Probe};
use spotplan_core::api::instances::{
    DiscoverBody, InstancesAnswer, ReclaimsAnswer, ReleaseAnswer, ReleaseBody, WatchAnswer, WatchBody,
};
use spotplan_core::api::orders::{
    LookupAnswer, LookupBody, MAX_LIST, OrderList, OrderRecord, OrderSubmission, SubmitAnswer,
};
use spotplan_core::api::prices::{PricesAnswer, PricesBody};
use spotplan_core::api::refresh::{MAX_BUDGET_PER_MINUTE, MAX_REFRESH_POOLS, RefreshProgress, RefreshSettings};
use spotplan_core::api::resources::{ResourcesAnswer, ResourcesBody};
use spotplan_core::api::sign_in::SignInBody;
use spotplan_core::api::signals::{SignalsAnswer, SignalsBody};

/// The schemas, generated once per document into `#/components/schemas`.
struct Schemas {
    generator: SchemaGenerator,
}

impl Schemas {
    fn new() -> Schemas {
        Schemas {
            generator: SchemaSettings::openapi3().into_generator(),
        }
    }

    /// A reference to `T`'s schema (generated with everything it refers to).
    fn of<T: JsonSchema>(&mut self) -> Value {
        self.generator.subschema_for::<T>().to_value()
    }

    fn components(mut self) -> Map<String, Value> {
        self.generator.take_definitions(true)
    }
}

fn content(schema: &Value) -> Value {
    json!({ "application/json": { "schema": schema } })
}

/// The error answers every route may give, besides its own.
fn errors(error: &Value, statuses: &[(&str, &str)]) -> Map<String, Value> {
    let common = [
        ("403", "a foreign Host or origin (host_not_allowed, foreign_origin)"),
        ("500", "an internal error (details in the proxy's log only)"),
    ];
    common
        .iter()
        .chain(statuses)
        .map(|(status, description)| {
            (
                (*status).to_owned(),
                json!({ "description": description, "content": content(error) }),
            )
        })
        .collect()
}

const TOKEN_ERRORS: [(&str, &str); 3] = [
    ("401", "the token is missing or wrong (token_required)"),
    (
        "503",
        "the order log is unavailable (order_log_unavailable), or its database stopped answering before confirming a new row, which may be logged (order_log_unconfirmed), or a fleet's calls may have gone out but their answers could not be logged (log_failed_after_sending: retry under the same key)",
    ),
    ("504", "the call took longer than the proxy's limit"),
];

const BODY_ERRORS: [(&str, &str); 4] = [
    ("400", "a malformed body or header, naming the field"),
    (
        "422",
        "a JSON body of the wrong shape (naming the field), or an order a rule refuses",
    ),
    ("413", "a body over 256 KiB"),
    ("415", "a body not declared as application/json"),
];

fn responses(ok: &[(&str, &str, &Value)], error: &Value, extra: &[(&str, &str)]) -> Value {
    let mut responses = errors(error, extra);
    for (status, description, schema) in ok {
        responses.insert(
            (*status).to_owned(),
            json!({ "description": description, "content": content(schema) }),
        );
    }
    Value::Object(responses)
}

/// The OpenAPI document.
pub fn document() -> Value {
    let mut schemas = Schemas::new();
    let error = schemas.of::<ErrorBody>();
    let health = schemas.of::<Health>();
    let probe = schemas.of::<Probe>();
    let submission = schemas.of::<OrderSubmission>();
    let answer = schemas.of::<SubmitAnswer>();
    let record = schemas.of::<OrderRecord>();
    let list = schemas.of::<OrderList>();
    let prices_body = schemas.of::<PricesBody>();
    let prices_answer = schemas.of::<PricesAnswer>();
    let token_errors: Vec<(&str, &str)> = TOKEN_ERRORS.to_vec();
    let with_body = |more: &[(&'static str, &'static str)]| -> Vec<(&'static str, &'static str)> {
        TOKEN_ERRORS
            .iter()
            .chain(BODY_ERRORS.iter())
            .chain(more)
            .copied()
            .collect()
    };
    let submit_errors = with_body(&[
        (
            "409",
            "the key was used for a different order; or the order may exist and is too old to resend: looked up by \
             its tag, none of its instances exists (order_not_found_at_cloud), or it could not be looked up \
             (outcome_unknown)",
        ),
        (
            "412",
            "no credentials for the cloud (planning mode); a retry of an order an earlier attempt may have sent \
             answers 200 unknown instead, with a hint",
        ),
        (
            "424",
            "a ceiling or a budget applies to a market bid, and the cloud did not describe its image \
             (image_unchecked): nothing was sent",
        ),
    ]);
    let list_errors: Vec<(&str, &str)> = TOKEN_ERRORS
        .iter()
        .copied()
        .chain([("400", "a malformed query, naming the field")])
        .collect();
    let get_errors: Vec<(&str, &str)> = TOKEN_ERRORS.iter().copied().chain([("404", "no such order")]).collect();
    let lookup_body = schemas.of::<LookupBody>();
    let lookup_answer = schemas.of::<LookupAnswer>();
    let lookup_errors = with_body(&[
        ("404", "no such order"),
        (
            "409",
            "the order's outcome is not unknown (order_not_unknown), or it was sent without the tag (order_not_tagged)",
        ),
        ("412", "no credentials for the order's cloud (planning mode)"),
        ("502", "the cloud refused or did not answer the list (lookup_failed)"),
    ]);
    let prices_errors = with_body(&[]);
    let instances = schemas.of::<InstancesAnswer>();
    let release_body = schemas.of::<ReleaseBody>();
    let release_answer = schemas.of::<ReleaseAnswer>();
    let watch_body = schemas.of::<WatchBody>();
    let watch_answer = schemas.of::<WatchAnswer>();
    let watch_errors = with_body(&[("412", "no credentials for the cloud (planning mode)")]);
    let discover_body = schemas.of::<DiscoverBody>();
    let reclaims = schemas.of::<ReclaimsAnswer>();
    let discover_errors = with_body(&[
        ("412", "no credentials for the cloud (planning mode)"),
        ("502", "the cloud refused or did not answer the list"),
    ]);
    let release_errors = with_body(&[
        ("404", "no such order (order_id)"),
        (
            "409",
            "the key was used for a different release, or a release with this key is running",
        ),
    ]);
    let fleet_submission = schemas.of::<FleetSubmission>();
    let fleet_answer = schemas.of::<FleetAnswer>();
    let fleet_list = schemas.of::<FleetList>();
    let stop_body = schemas.of::<StopFleet>();
    let fleet_errors = with_body(&[
        ("409", "the key was used for a different fleet"),
        ("412", "no credentials for a pool's cloud (planning mode)"),
        (
            "424",
            "a ceiling or a budget bounds the fleet, and the cloud did not describe a market pool's image \
             (image_unchecked): nothing was logged",
        ),
        (
            "422",
            "a pool's order is not valid: every problem, each naming pools[i].order.<field>",
        ),
    ]);
    let fleet_get_errors: Vec<(&str, &str)> = TOKEN_ERRORS.iter().copied().chain([("404", "no such fleet")]).collect();
    let fleet_stop_errors = with_body(&[("404", "no such fleet")]);
    let signals_body = schemas.of::<SignalsBody>();
    let signals_answer = schemas.of::<SignalsAnswer>();
    let signals_errors = with_body(&[
        ("412", "no credentials for the cloud (planning mode)"),
        ("422", "the cloud documents no pool signals (Baidu)"),
        ("502", "the cloud refused or did not answer"),
    ]);
    let resources_body = schemas.of::<ResourcesBody>();
    let resources_answer = schemas.of::<ResourcesAnswer>();
    let resources_errors = with_body(&[
        ("412", "no credentials for the cloud (planning mode)"),
        ("422", "the cloud's orders take no such resource"),
        ("502", "the cloud refused or did not answer"),
    ]);
    let sign_in_body = schemas.of::<SignInBody>();
    let sign_in_errors: Vec<(&str, &str)> = BODY_ERRORS
        .iter()
        .copied()
        .chain([
            (
                "401",
                "not the proxy's token, a sign-in code it printed or an active person's key (sign_in_refused)",
            ),
            ("503", "the order log is unavailable (order_log_unavailable), or its database stopped answering before confirming a new row, which may be logged (order_log_unconfirmed)"),
            ("504", "the call took longer than the proxy's limit"),
        ])
        .collect();
    let mut sign_in_responses = responses(&[], &error, &sign_in_errors);
    sign_in_responses["204"] = json!({ "description": "signed in: the session cookie is set (Set-Cookie)" });
    let delta = schemas.of::<CatalogDelta>();
    let refresh_settings = schemas.of::<RefreshSettings>();
    let refresh_progress = schemas.of::<RefreshProgress>();
    let refresh_put = format!(
        "Turn the price refresher on or off, give it the pools to walk (at most {MAX_REFRESH_POOLS}; empty keeps its \
         list) and a budget of price queries a minute (1–{MAX_BUDGET_PER_MINUTE}); anything else is a 400 \
         invalid_refresh naming the field. In team mode only the operator's token sets it (a person's key: 403 \
         operator_only)"
    );
    let refresh_errors = with_body(&[]);
    let id_parameter = json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }]);
    let paths = json!({
        api::HEALTH: { "get": {
            "operationId": "health",
            "summary": "Version, whether the caller presented the token (signed_in), each cloud's mode and credential source, and the spend ceilings",
            "security": [],
            "responses": responses(&[("200", "health", &health)], &error, &[])
        } },
        api::LIVE: { "get": {
            "operationId": "live",
            "summary": "Liveness: the process answers",
            "security": [],
            "responses": responses(&[("200", "live", &probe)], &error, &[])
        } },
        api::READY: { "get": {
            "operationId": "ready",
            "summary": "Readiness: the order log's database answers with every migration applied",
            "security": [],
            "responses": responses(&[("200", "ready", &probe)], &error, &[("503", "the database cannot take orders (order_log_unavailable)")])
        } },
        api::ORDERS: {
            "post": {
                "operationId": "submitOrder",
                "summary": "Validate, sign and place a spot order exactly once (dry_run in the order asks the cloud to check only)",
                "parameters": [{ "name": api::IDEMPOTENCY_KEY, "in": "header", "required": true,
                    "description": "8–48 letters, digits, - or _ (a UUID); reuse it on retries",
                    "schema": { "type": "string", "minLength": 8, "maxLength": 48, "pattern": "^[A-Za-z0-9_-]{8,48}$" } }],
                "requestBody": { "required": true, "content": content(&submission) },
                "responses": responses(&[
                    ("200", "the stored or new outcome (failed, not_sent and unknown outcomes included)", &answer),
                    ("201", "instances created", &answer),
                ], &error, &submit_errors)
            },
            "get": {
                "operationId": "listOrders",
                "summary": "The order log, newest first",
                "parameters": [{ "name": "limit", "in": "query", "required": false,
                    "schema": { "type": "integer", "minimum": 1, "maximum": MAX_LIST, "default": 100 } },
                    { "name": "placed_by", "in": "query", "required": false,
                      "description": "only the orders this person placed (team mode)", "schema": { "type": "string" } }],
                "responses": responses(&[("200", "orders", &list)], &error, &list_errors)
            }
        },
        "/api/v1/orders/{id}": { "get": {
            "operationId": "getOrder",
            "summary": "One logged order",
            "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }],
            "responses": responses(&[("200", "the order", &record)], &error, &get_errors)
        } },
        "/api/v1/orders/{id}/lookup": { "post": {
            "operationId": "lookUpOrder",
            "summary": "Look an order whose outcome is unknown up at the cloud by its spotplan-order tag (= the order id): found, it succeeded with those instances; none, it stays unknown. Nothing is sent to create anything",
            "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }],
            "requestBody": { "required": true, "content": content(&lookup_body) },
            "responses": responses(&[("200", "the order after the lookup and the ids found", &lookup_answer)], &error, &lookup_errors)
        } },
        api::SIGN_IN: { "post": {
            "operationId": "signIn",
            "summary": "The app's sign-in form: the proxy's token, a one-time sign-in code or a person's key in the body (kept out of URLs), for the session cookie",
            "security": [],
            "requestBody": { "required": true, "content": content(&sign_in_body) },
            "responses": sign_in_responses
        } },
        api::PRICES: { "post": {
            "operationId": "quotePrices",
            "summary": "Live quotes of up to 50 offers through each cloud's own price query, cached five minutes",
            "requestBody": { "required": true, "content": content(&prices_body) },
            "responses": responses(&[("200", "one quote per offer, in order (an offer without a quote says why)", &prices_answer)], &error, &prices_errors)
        } },
        api::INSTANCES: { "get": {
            "operationId": "listInstances",
            "summary": "Every instance Spotplan placed (or the live ones and those ended since a time), newest first: state (and the cloud's own), zone, type, at most per hour, cost so far, reclaim notice, who placed it",
            "parameters": [{ "name": "placed_by", "in": "query", "required": false,
                "description": "only the instances of orders this person placed (team mode)", "schema": { "type": "string" } },
                { "name": "ended_since_ms", "in": "query", "required": false,
                "description": "leave out the instances that ended (never started: were placed) before this time, ms since the Unix epoch, and count them in ended_earlier; live instances always come",
                "schema": { "type": "integer", "format": "int64" } }],
            "responses": responses(&[("200", "instances", &instances)], &error, &list_errors)
        } },
        api::RECLAIMS: { "get": {
            "operationId": "listReclaims",
            "summary": "Every instance the cloud took back, newest first, with when it was first seen running, the notice, and how long it ran",
            "responses": responses(&[("200", "reclaims", &reclaims)], &error, &token_errors)
        } },
        api::DISCOVER: { "post": {
            "operationId": "discoverInstances",
            "summary": "List a region's spot instances with the cloud's own call and add those the book lacks (spot told apart by Alibaba's SpotStrategy, Tencent's InstanceChargeType, Baidu's paymentTiming); in team mode the operator's token only (a person's key: 403 operator_only)",
            "requestBody": { "required": true, "content": content(&discover_body) },
            "responses": responses(&[("200", "ids added and ids already known", &watch_answer)], &error, &discover_errors)
        } },
        api::WATCH: { "post": {
            "operationId": "watchInstances",
            "summary": "Add instances started outside Spotplan (by cloud, region and id) to the instance book, to follow and release; in team mode the operator's token only (a person's key: 403 operator_only)",
            "requestBody": { "required": true, "content": content(&watch_body) },
            "responses": responses(&[("200", "ids added and ids already known", &watch_answer)], &error, &watch_errors)
        } },
        api::RELEASE: { "post": {
            "operationId": "releaseInstances",
            "summary": "Release listed instances, an order's, or all, exactly once: logged under the idempotency key before anything is sent; a retry with the key answers what was done and sends nothing",
            "parameters": [{ "name": api::IDEMPOTENCY_KEY, "in": "header", "required": true,
                "description": "8–48 letters, digits, - or _ (a UUID); reuse it on retries",
                "schema": { "type": "string", "minLength": 8, "maxLength": 48, "pattern": "^[A-Za-z0-9_-]{8,48}$" } }],
            "requestBody": { "required": true, "content": content(&release_body) },
            "responses": responses(&[("200", "one outcome per instance (accepted, already_gone, refused, unknown)", &release_answer)], &error, &release_errors)
        } },
        api::FLEETS: {
            "post": {
                "operationId": "submitFleet",
                "summary": "Place a fleet: one order per pool in the strategy's order under the fleet's key (each order's key is the fleet's and its step); with maintain, reclaimed or failed instances are replaced from the first pool with stock, never above the ceiling",
                "parameters": [{ "name": api::IDEMPOTENCY_KEY, "in": "header", "required": true,
                    "description": "8–40 letters, digits, - or _ (a UUID); reuse it on retries",
                    "schema": { "type": "string", "minLength": 8, "maxLength": 40, "pattern": "^[A-Za-z0-9_-]{8,40}$" } }],
                "requestBody": { "required": true, "content": content(&fleet_submission) },
                "responses": responses(&[
                    ("200", "the fleet this key placed, answered again", &fleet_answer),
                    ("201", "the fleet, after its first orders", &fleet_answer),
                ], &error, &fleet_errors)
            },
            "get": {
                "operationId": "listFleets",
                "summary": "Every fleet, newest first: target against running, instances by state, replacements, hourly bound, cost so far",
                "responses": responses(&[("200", "fleets", &fleet_list)], &error, &token_errors)
            }
        },
        "/api/v1/fleets/{id}": { "get": {
            "operationId": "getFleet",
            "summary": "One fleet",
            "parameters": id_parameter.clone(),
            "responses": responses(&[("200", "the fleet", &fleet_answer)], &error, &fleet_get_errors)
        } },
        "/api/v1/fleets/{id}/stop": { "post": {
            "operationId": "stopFleet",
            "summary": "Stop maintaining a fleet; with release, its instances are released once under the key <fleet key>_stop",
            "parameters": id_parameter,
            "requestBody": { "required": true, "content": content(&stop_body) },
            "responses": responses(&[("200", "the fleet, stopped", &fleet_answer)], &error, &fleet_stop_errors)
        } },
        api::CATALOG: { "get": {
            "operationId": "catalogDelta",
            "summary": "The price observations the proxy stored after a point (changes only), each source once, each observation one array; ask again with since = until",
            "parameters": [
                { "name": "since", "in": "query", "required": false, "schema": { "type": "integer", "format": "int64", "default": 0 } },
                { "name": "limit", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1, "maximum": MAX_DELTA_ROWS } }
            ],
            "responses": responses(&[("200", "observations stored after since", &delta)], &error, &list_errors)
        } },
        api::REFRESH: {
            "get": {
                "operationId": "refreshProgress",
                "summary": "Where the price refresher stands: on or off, its pools, where it got to, queries sent, changes stored, its budget and last failure",
                "responses": responses(&[("200", "the refresher's progress", &refresh_progress)], &error, &token_errors)
            },
            "put": {
                "operationId": "setRefresh",
                "summary": refresh_put,
                "requestBody": { "required": true, "content": content(&refresh_settings) },
                "responses": responses(&[("200", "the refresher's progress after the change", &refresh_progress)], &error, &refresh_errors)
            }
        },
        api::SIGNALS: { "post": {
            "operationId": "poolSignals",
            "summary": "What the cloud says of its spot pools in a region besides prices: Alibaba's 30-day interruption-rate buckets (DescribeSpotAdvice), Tencent's selling or sold-out status (DescribeZoneInstanceConfigInfos); cached five minutes",
            "requestBody": { "required": true, "content": content(&signals_body) },
            "responses": responses(&[("200", "one signal per zone and type the cloud reported", &signals_answer)], &error, &signals_errors)
        } },
        api::RESOURCES: { "post": {
            "operationId": "accountResources",
            "summary": "One list of the account's own resources in a region, for the launch details: its own or the cloud's public images, VPCs, subnets (vSwitches) of a zone and VPC, security groups, key pairs — one page of the cloud's describe call, cached a minute",
            "requestBody": { "required": true, "content": content(&resources_body) },
            "responses": responses(&[("200", "the resources the cloud listed", &resources_answer)], &error, &resources_errors)
        } },
        api::OPENAPI: { "get": {
            "operationId": "openapi",
            "summary": "This document",
            "responses": responses(&[("200", "the OpenAPI document", &json!({ "type": "object" }))], &error, &token_errors)
        } }
    });
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Spotplan proxy",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Signs and places spot orders on Alibaba Cloud ECS, Tencent Cloud CVM and Baidu AI Cloud BCC with the credentials the proxy holds. Every call but GET /api/v1/health, /api/v1/live and /api/v1/ready needs the proxy's token in X-Spotplan-Token (or the cookie a browser gets from the sign-in link the proxy prints); request bodies must be application/json. Requests for another Host than 127.0.0.1, localhost, [::1] (on the proxy's port) or a name given with --allowed-host are refused with 403 host_not_allowed; foreign origins with 403 foreign_origin. Every error answer has the ErrorBody shape."
        },
        "servers": [{ "url": "http://127.0.0.1:8787" }],
        "security": [{ "token": [] }],
        "components": {
            "securitySchemes": { "token": { "type": "apiKey", "in": "header", "name": api::TOKEN_HEADER } },
            "schemas": schemas.components()
        },
        "paths": paths
    })
}

/// Handles `GET /api/openapi.json`.
pub async fn openapi() -> Json<Value> {
    Json(document())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `$ref` in the document resolves inside it (a dangling `#/$defs/…` made the order schema unusable).
    #[test]
    fn every_reference_resolves() {
        let document = document();
        fn walk(value: &Value, document: &Value, refs: &mut usize) {
            match value {
                Value::Object(map) => {
                    if let Some(Value::String(reference)) = map.get("$ref") {
                        let pointer = reference.strip_prefix('#').unwrap_or(reference);
                        assert!(document.pointer(pointer).is_some(), "dangling $ref {reference}");
                        *refs += 1;
                    }
                    map.values().for_each(|item| walk(item, document, refs));
                }
                Value::Array(items) => items.iter().for_each(|item| walk(item, document, refs)),
                _ => {}
            }
        }
        let mut refs = 0;
        walk(&document, &document, &mut refs);
        assert!(refs > 20, "{refs} references");
        let schemas = document["components"]["schemas"].as_object().unwrap();
        for name in [
            "SpotOrder",
            "OrderRecord",
            "Health",
            "ErrorBody",
            "PricesAnswer",
            "InterruptionBehavior",
            "OrderStatus",
        ] {
            assert!(schemas.contains_key(name), "{name} is in the components");
        }
    }

    /// Every API route `lib.rs` serves is documented, so the contract test fuzzes it too (the refresher's was
    /// missing); the routes are read from the router's source, so a new one cannot be forgotten here.
    #[test]
    fn every_served_route_is_documented() {
        let router = include_str!("lib.rs");
        let document = document();
        let paths = document["paths"].as_object().unwrap();
        let mut served = 0;
        for line in router.lines() {
            let line = line.trim();
            let Some(start) = line.find("\"/v1/").or_else(|| line.find("\"/openapi.json")) else {
                continue;
            };
            let rest = &line[start + 1..];
            let path = &rest[..rest.find('"').unwrap()];
            served += 1;
            assert!(
                paths.contains_key(&format!("/api{path}")),
                "/api{path} is served but not documented"
            );
        }
        assert!(served >= 20, "{served} routes read from lib.rs");
    }

    /// The answers the proxy serialises validate against the document's schemas (so they cannot drift apart).
    #[test]
    fn served_shapes_match_their_schemas() {
        let document = document();
        // Variants with their own docs come as `oneOf` of one-value enums.
        let schema = &document["components"]["schemas"]["OrderStatus"];
        let values: Vec<&Value> = match schema["oneOf"].as_array() {
            Some(variants) => variants
                .iter()
                .flat_map(|variant| {
                    variant["enum"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .chain(variant.get("const"))
                })
                .collect(),
            None => schema["enum"].as_array().into_iter().flatten().collect(),
        };
        let statuses: Vec<String> = spotplan_core::order::outcome::OrderStatus::ALL
            .iter()
            .map(|status| serde_json::to_value(status).unwrap().as_str().unwrap().to_owned())
            .collect();
        assert_eq!(values.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>(), statuses);
        let limit = &document["paths"][api::ORDERS]["get"]["parameters"][0]["schema"];
        assert_eq!(
            (limit["minimum"].clone(), limit["maximum"].clone()),
            (json!(1), json!(1000))
        );
    }
}
