//! `GET /api/openapi.json`: the OpenAPI 3 description of the proxy's API, with the order schema generated from
//! the core's `SpotOrder` type so it cannot drift.

use axum::Json;
use serde_json::{Value, json};
use spotplan_core::order::SpotOrder;

/// The OpenAPI document.
pub fn document() -> Value {
    let order_schema = serde_json::to_value(schemars::schema_for!(SpotOrder)).unwrap_or(Value::Null);
    let error = json!({ "$ref": "#/components/schemas/Error" });
    let record = json!({ "$ref": "#/components/schemas/OrderRecord" });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Spotplan proxy",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Signs and places spot orders on Alibaba Cloud ECS, Tencent Cloud CVM and Baidu AI Cloud BCC with the credentials the proxy holds. Every call but GET /api/v1/health needs the proxy's token in X-Spotplan-Token (or the cookie a browser gets from the sign-in link the proxy prints); request bodies must be application/json. Requests for another Host than 127.0.0.1, localhost, [::1] (on the proxy's port) or a name given with --allowed-host are refused with 403 host_not_allowed; foreign origins with 403 foreign_origin. Every error answer has the Error shape."
        },
        "servers": [{ "url": "http://127.0.0.1:8787" }],
        "security": [{ "token": [] }],
        "components": {
            "securitySchemes": { "token": { "type": "apiKey", "in": "header", "name": "X-Spotplan-Token" } },
            "schemas": {
                "SpotOrder": order_schema,
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": { "error": {
                        "type": "object",
                        "required": ["code", "message"],
                        "properties": {
                            "code": { "type": "string" },
                            "message": { "type": "string" },
                            "field": { "type": "string" },
                            "problems": { "type": "array", "items": { "type": "object" } }
                        }
                    } }
                },
                "OrderRecord": {
                    "type": "object",
                    "required": ["id", "idempotency_key", "cloud", "region", "status", "client_token"],
                    "properties": {
                        "id": { "type": "string" },
                        "idempotency_key": { "type": "string" },
                        "cloud": { "type": "string", "enum": ["alibaba", "tencent", "baidu"] },
                        "region": { "type": "string" },
                        "dry_run": { "type": "boolean" },
                        "status": { "type": "string", "enum": ["pending", "succeeded", "dry_run_passed", "failed", "unknown"] },
                        "client_token": { "type": "string" },
                        "cloud_request_id": { "type": ["string", "null"] },
                        "instance_ids": { "type": "array", "items": { "type": "string" } },
                        "cloud_order_id": { "type": ["string", "null"] },
                        "error_code": { "type": ["string", "null"] },
                        "error_message": { "type": ["string", "null"] },
                        "hint": { "type": ["string", "null"] },
                        "attempts": { "type": "integer" },
                        "replayed": { "type": "boolean" }
                    }
                }
            }
        },
        "paths": {
            "/api/v1/health": { "get": {
                "summary": "Version, whether the caller presented the token (signed_in) and, per cloud, whether credentials are configured and where they came from",
                "security": [],
                "responses": { "200": { "description": "health", "content": { "application/json": { "schema": { "type": "object" } } } } }
            } },
            "/api/v1/orders": {
                "post": {
                    "summary": "Validate, sign and place a spot order exactly once (dry_run in the order asks the cloud to check only)",
                    "security": [{ "token": [] }],
                    "parameters": [{ "name": "Idempotency-Key", "in": "header", "required": true,
                        "description": "8–48 letters, digits, - or _ (a UUID); reuse it on retries", "schema": { "type": "string" } }],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "oneOf": [
                        { "$ref": "#/components/schemas/SpotOrder" },
                        { "type": "object", "required": ["order"], "properties": {
                            "order": { "$ref": "#/components/schemas/SpotOrder" }, "quoted_price": { "type": "string" } } }
                    ] } } } },
                    "responses": {
                        "200": { "description": "the stored or new outcome (failed and unknown outcomes included)", "content": { "application/json": { "schema": record } } },
                        "201": { "description": "instances created", "content": { "application/json": { "schema": record } } },
                        "400": { "description": "malformed request", "content": { "application/json": { "schema": error } } },
                        "401": { "description": "token missing", "content": { "application/json": { "schema": error } } },
                        "403": { "description": "foreign origin or host", "content": { "application/json": { "schema": error } } },
                        "413": { "description": "body over 256 KiB", "content": { "application/json": { "schema": error } } },
                        "415": { "description": "body not declared as application/json", "content": { "application/json": { "schema": error } } },
                        "409": { "description": "key reused for a different order", "content": { "application/json": { "schema": error } } },
                        "412": { "description": "no credentials for the cloud (planning mode)", "content": { "application/json": { "schema": error } } },
                        "422": { "description": "the order breaks the cloud's rules (problems listed)", "content": { "application/json": { "schema": error } } }
                    }
                },
                "get": {
                    "summary": "The order log, newest first",
                    "parameters": [{ "name": "limit", "in": "query", "schema": { "type": "integer", "maximum": 1000 } }],
                    "responses": {
                        "200": { "description": "orders", "content": { "application/json": { "schema": {
                            "type": "object", "properties": { "orders": { "type": "array", "items": record } } } } } },
                        "400": { "description": "malformed query", "content": { "application/json": { "schema": error } } },
                        "401": { "description": "token missing", "content": { "application/json": { "schema": error } } }
                    }
                }
            },
            "/api/v1/orders/{id}": { "get": {
                "summary": "One logged order",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }],
                "responses": {
                    "200": { "description": "the order", "content": { "application/json": { "schema": record } } },
                    "401": { "description": "token missing", "content": { "application/json": { "schema": error } } },
                    "404": { "description": "no such order", "content": { "application/json": { "schema": error } } }
                }
            } }
        }
    })
}

/// Handles `GET /api/openapi.json`.
pub async fn openapi() -> Json<Value> {
    Json(document())
}
