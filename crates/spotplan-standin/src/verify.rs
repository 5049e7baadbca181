//! Server-side checks of what a stand-in received: the signature (rebuilt from the raw target, the signed
//! headers and the body, then signed again with the stand-in's copy of the secret) and the order parameters.

use axum::http::HeaderMap;
use serde_json::Value;
use spotplan_sign::{Credentials, SignableRequest, acs3, bce, tc3};

use crate::{Kind, Params};

/// The parts of a request as it arrived.
pub(crate) struct Received<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) raw_query: &'a str,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
}

fn header<'a>(received: &'a Received<'_>, name: &str) -> Option<&'a str> {
    received.headers.get(name).and_then(|value| value.to_str().ok())
}

/// Percent-decodes a query component (`+` stays `+`: the clouds' signers encode space as `%20`). A `%` without
/// two hex digits after it stays as it is (the signers write a literal `%` as `%25`, so none of ours sends one).
fn decode(text: &str) -> Result<String, String> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(std::borrow::Cow::into_owned)
        .map_err(|_| "query is not UTF-8".to_owned())
}

fn query_pairs(raw: &str) -> Result<Vec<(String, String)>, String> {
    raw.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode(name)?, decode(value)?))
        })
        .collect()
}

/// The decoded query as a map (last value wins).
pub(crate) fn query_map(raw: &str) -> std::collections::HashMap<String, String> {
    query_pairs(raw).unwrap_or_default().into_iter().collect()
}

/// How old a signing time may be (and how far ahead): Alibaba refuses a `Timestamp` more than 15 minutes off
/// (`InvalidTimeStamp.Expired`), Tencent one more than 5 minutes off (`AuthFailure.SignatureExpire`); Baidu
/// honours a signature for its own expiration (1800 s from the SDK) and then answers `RequestExpired`.
const ALIBABA_SKEW: i64 = 15 * 60;
const TENCENT_SKEW: i64 = 5 * 60;

/// Checks the signing time against `now`: `Err((code, message))` when it is stale or in the future.
pub(crate) fn fresh(kind: Kind, received: &Received<'_>, now: i64) -> Result<(), (&'static str, String)> {
    let (signed_at, before, after, code) = match kind {
        Kind::Alibaba => (
            header(received, "x-acs-date")
                .and_then(|text| spotplan_core::time::parse_exact_utc(text).and_then(|at| u64::try_from(at).ok())),
            ALIBABA_SKEW,
            ALIBABA_SKEW,
            "InvalidTimeStamp.Expired",
        ),
        Kind::Tencent => (
            header(received, "x-tc-timestamp").and_then(|t| t.parse().ok()),
            TENCENT_SKEW,
            TENCENT_SKEW,
            "AuthFailure.SignatureExpire",
        ),
        Kind::Baidu => {
            let expiration = header(received, "authorization")
                .and_then(|auth| auth.split('/').nth(3))
                .and_then(|seconds| seconds.parse::<i64>().ok())
                .unwrap_or(0);
            (
                header(received, "x-bce-date")
                    .and_then(|text| spotplan_core::time::parse_exact_utc(text).and_then(|at| u64::try_from(at).ok())),
                expiration,
                ALIBABA_SKEW,
                "RequestExpired",
            )
        }
    };
    let Some(signed_at) = signed_at.map(|at| at as i64) else {
        return Err((code, "no signing time".into()));
    };
    if signed_at < now - before || signed_at > now + after {
        return Err((
            code,
            format!(
                "the request was signed at {signed_at}, {} seconds from now ({now})",
                signed_at - now
            ),
        ));
    }
    Ok(())
}

/// Tencent's calls served by its VPC API (tencentcloud-sdk-python-vpc's `VpcClient`), written here apart from the
/// core; every other is CVM's.
const TENCENT_VPC_CALLS: [&str; 3] = ["DescribeVpcs", "DescribeSubnets", "DescribeSecurityGroups"];

/// The service TC3's scope must name for a Tencent action.
fn tencent_service(action: &str) -> &'static str {
    if TENCENT_VPC_CALLS.contains(&action) {
        "vpc"
    } else {
        "cvm"
    }
}

/// Checks the request's signature; `Err` says why it does not verify.
pub(crate) fn check(kind: Kind, received: &Received<'_>, access_key_id: &str, secret: &str) -> Result<(), String> {
    let authorization = header(received, "authorization").ok_or("no Authorization header")?;
    let host = header(received, "host").ok_or("no Host header")?;
    let query = query_pairs(received.raw_query)?;
    let credentials = Credentials::new(access_key_id, secret);
    let expected = match kind {
        Kind::Alibaba => {
            let signed = authorization
                .split(',')
                .find_map(|part| part.trim().strip_prefix("SignedHeaders="))
                .ok_or("no SignedHeaders")?;
            let added = ["x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"];
            let headers = signed_headers(received, signed.split(';').filter(|name| !added.contains(name)));
            let date = header(received, "x-acs-date")
                .and_then(|text| spotplan_core::time::parse_exact_utc(text).and_then(|at| u64::try_from(at).ok()))
                .ok_or("bad x-acs-date")?;
            let nonce = header(received, "x-acs-signature-nonce").ok_or("no nonce")?;
            let request = signable(received, host, &query, &headers);
            let output = acs3::sign(
                &request,
                &credentials,
                &acs3::Params {
                    unix_seconds: date,
                    nonce,
                },
            )
            .map_err(|e| e.to_string())?;
            output.header("authorization").map(str::to_owned)
        }
        Kind::Tencent => {
            let headers = signed_headers(received, ["content-type", "host"].into_iter());
            let timestamp: u64 = header(received, "x-tc-timestamp")
                .and_then(|t| t.parse().ok())
                .ok_or("bad X-TC-Timestamp")?;
            let request = signable(received, host, &query, &headers);
            let output = tc3::sign(
                &request,
                &credentials,
                // The stand-in plays CVM and VPC: it checks the scope against the service of the action, as Tencent
                // does, whatever host it was reached at.
                &tc3::Params {
                    unix_seconds: timestamp,
                    service: tencent_service(header(received, "x-tc-action").unwrap_or_default()),
                },
            )
            .map_err(|e| e.to_string())?;
            output.header("authorization").map(str::to_owned)
        }
        Kind::Baidu => {
            use sha2::Digest;
            let body_hash = header(received, "x-bce-content-sha256")
                .ok_or("no x-bce-content-sha256: the body is not bound to the signature")?;
            if body_hash != hex::encode(sha2::Sha256::digest(received.body)) {
                return Err("x-bce-content-sha256 does not match the body received".into());
            }
            let names: Vec<String> = received
                .headers
                .keys()
                .map(|name| name.as_str().to_owned())
                .filter(|name| name != "authorization" && name != "x-bce-date")
                .collect();
            let headers = signed_headers(received, names.iter().map(String::as_str));
            let date = header(received, "x-bce-date")
                .and_then(|text| spotplan_core::time::parse_exact_utc(text).and_then(|at| u64::try_from(at).ok()))
                .ok_or("bad x-bce-date")?;
            let request = signable(received, host, &query, &headers);
            let output = bce::sign(&request, &credentials, &bce::Params::new(date)).map_err(|e| e.to_string())?;
            output.header("authorization").map(str::to_owned)
        }
    };
    match expected {
        Some(expected) if expected == authorization => Ok(()),
        Some(_) => Err("the signature does not match what was received".into()),
        None => Err("could not compute a signature".into()),
    }
}

fn signed_headers<'a>(received: &Received<'_>, names: impl Iterator<Item = &'a str>) -> Vec<(String, String)> {
    names
        .filter_map(|name| header(received, name).map(|value| (name.to_owned(), value.to_owned())))
        .collect()
}

fn signable<'a>(
    received: &'a Received<'_>,
    host: &'a str,
    query: &'a [(String, String)],
    headers: &'a [(String, String)],
) -> SignableRequest<'a> {
    SignableRequest {
        method: received.method,
        host,
        path: received.path,
        query,
        headers,
        body: received.body,
    }
}

/// The order parameters the stand-in needs.
pub(crate) fn params(kind: Kind, received: &Received<'_>) -> Result<Params, String> {
    let query = query_pairs(received.raw_query)?;
    let get = |name: &str| {
        query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let mut params = Params::default();
    match kind {
        Kind::Alibaba => {
            for required in ["RegionId", "InstanceType", "ImageId", "SpotStrategy", "ZoneId"] {
                if get(required).is_none() {
                    params.missing.push(required);
                }
            }
            params.client_token = get("ClientToken");
            params.image = get("ImageId");
            params.zone = get("ZoneId");
            params.count = get("Amount").and_then(|n| n.parse().ok()).unwrap_or(1);
            params.dry_run = get("DryRun").is_some_and(|flag| flag.eq_ignore_ascii_case("true"));
            params.max_price = get("SpotPriceLimit").and_then(|price| price.parse().ok());
            params.tags = (1..=20)
                .map_while(|n| get(&format!("Tag.{n}.Key")).map(|key| (key, get(&format!("Tag.{n}.Value")))))
                .map(|(key, value)| (key, value.unwrap_or_default()))
                .collect();
        }
        Kind::Tencent => {
            let body: Value = serde_json::from_slice(received.body).map_err(|_| "the body is not JSON")?;
            if body["InstanceChargeType"] != "SPOTPAID" {
                params.missing.push("InstanceChargeType=SPOTPAID");
            }
            if body["Placement"]["Zone"].as_str().is_none() {
                params.missing.push("Placement.Zone");
            }
            params.client_token = body["ClientToken"].as_str().map(str::to_owned);
            params.image = body["ImageId"].as_str().map(str::to_owned);
            params.zone = body["Placement"]["Zone"].as_str().map(str::to_owned);
            params.count = body["InstanceCount"]
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(1);
            params.dry_run = body["DryRun"].as_bool().unwrap_or(false);
            params.max_price = body["InstanceMarketOptions"]["SpotOptions"]["MaxPrice"]
                .as_str()
                .and_then(|p| p.parse().ok());
            params.tags = body["TagSpecification"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|spec| spec["ResourceType"] == "instance")
                .flat_map(|spec| spec["Tags"].as_array().cloned().unwrap_or_default())
                .map(|tag| tag_pair(&tag, "Key", "Value"))
                .collect();
        }
        Kind::Baidu => {
            let body: Value = serde_json::from_slice(received.body).map_err(|_| "the body is not JSON")?;
            for (field, name) in [
                ("cpuCount", "cpuCount"),
                ("memoryCapacityInGB", "memoryCapacityInGB"),
                ("imageId", "imageId"),
                ("bidModel", "bidModel"),
            ] {
                if body[field].is_null() {
                    params.missing.push(name);
                }
            }
            params.client_token = get("clientToken");
            params.image = body["imageId"].as_str().map(str::to_owned);
            params.zone = body["zoneName"].as_str().map(str::to_owned);
            params.count = body["purchaseCount"]
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(1);
            params.max_price = body["bidPrice"].as_str().and_then(|p| p.parse().ok());
            params.tags = body["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|tag| tag_pair(tag, "tagKey", "tagValue"))
                .collect();
        }
    }
    Ok(params)
}

/// One tag of a JSON body as (key, value).
fn tag_pair(tag: &Value, key: &str, value: &str) -> (String, String) {
    let text = |name: &str| tag[name].as_str().unwrap_or_default().to_owned();
    (text(key), text(value))
}
