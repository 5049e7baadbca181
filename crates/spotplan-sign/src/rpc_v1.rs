//! Alibaba Cloud RPC signing with HMAC-SHA1, `SignatureVersion=1.0` (what Alibaba's docs now call "V2"), as
//! the Tea SDK's `get_rpcsignature` and the legacy core's `rpc_signature_composer` compute it (cloud-apis.md §1.8).
//!
//! Steps: [`CanonicalizedQuery`] → [`StringToSign`] → [`Signature`] → the `Signature` query parameter. All
//! parameters, query plus form body, are sorted by (unencoded) name and encoded with only `A-Z a-z 0-9 - _ . ~`
//! left bare (space `%20`, `*` `%2A`); the string to sign is `METHOD&%2F&` + that string encoded once more. The
//! HMAC key is the secret followed by `&`, and the signature is Base64.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::digest::hmac_sha1;
use crate::encode::{decode_form, rfc3986_into};
use crate::error::SigningError;
use crate::request::{Credentials, Secret, SignableRequest, SigningOutput, check_nonce, check_unique_names};
use spotplan_time::UtcTime;

/// The `SignatureMethod` parameter.
pub const SIGNATURE_METHOD: &str = "HMAC-SHA1";

/// The `SignatureVersion` parameter (the scheme Alibaba's docs call "V2").
pub const SIGNATURE_VERSION: &str = "1.0";

/// The parameters this signer adds; a request that already carries one is rejected.
pub const SIGNER_PARAMETERS: [&str; 6] = [
    "AccessKeyId",
    "Signature",
    "SignatureMethod",
    "SignatureNonce",
    "SignatureVersion",
    "Timestamp",
];

const SCHEME: &str = "Alibaba RPC HMAC-SHA1";

/// Time and nonce of one signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params<'a> {
    /// The signing instant, sent as `Timestamp` (`YYYY-MM-DDTHH:MM:SSZ`).
    pub unix_seconds: u64,
    /// A value never used before, sent as `SignatureNonce` (the SDKs use 32 hex digits).
    pub nonce: &'a str,
}

/// The intermediate steps of one RPC signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Steps {
    /// The sorted, encoded `name=value&…` string.
    pub canonicalized_query: CanonicalizedQuery,
    /// `METHOD&%2F&` + the canonicalized query encoded again.
    pub string_to_sign: StringToSign,
    /// The Base64 signature.
    pub signature: Signature,
}

/// Signs `request` (path `/`, GET or POST; a body must be a form whose fields join the signed set). Returns the
/// query parameters to add: `AccessKeyId`, `SignatureMethod`, `SignatureVersion`, `SignatureNonce`, `Timestamp`
/// and `Signature`. `Action`, `Version`, `Format`, `RegionId` and the business parameters are the caller's.
pub fn sign(
    request: &SignableRequest<'_>,
    credentials: &Credentials,
    params: &Params<'_>,
) -> Result<SigningOutput<Steps>, SigningError> {
    request.validate()?;
    if !matches!(request.method, "GET" | "POST") {
        return Err(SigningError::UnsupportedMethod {
            scheme: SCHEME,
            method: request.method.to_owned(),
        });
    }
    if request.path != "/" {
        return Err(SigningError::UnsupportedPath {
            scheme: SCHEME,
            path: request.path.to_owned(),
        });
    }
    check_nonce(params.nonce)?;
    let body_parameters = form_body_parameters(request)?;
    let caller_parameters = request.query.iter().chain(&body_parameters);
    if let Some((name, _)) = caller_parameters
        .clone()
        .find(|(name, _)| SIGNER_PARAMETERS.contains(&name.as_str()))
    {
        return Err(SigningError::ReservedParameter {
            scheme: SCHEME,
            name: name.clone(),
        });
    }
    check_unique_names(caller_parameters.clone().map(|(name, _)| name.as_str()))?;

    let timestamp = UtcTime::from_unix_seconds(params.unix_seconds)?.to_string();
    let added = [
        ("AccessKeyId", credentials.access_key_id.as_str()),
        ("SignatureMethod", SIGNATURE_METHOD),
        ("SignatureVersion", SIGNATURE_VERSION),
        ("SignatureNonce", params.nonce),
        ("Timestamp", timestamp.as_str()),
    ];
    let mut signed: Vec<(&str, &str)> = caller_parameters
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    signed.extend(added);

    let canonicalized_query = CanonicalizedQuery::new(&signed);
    let string_to_sign = StringToSign::new(request.method, &canonicalized_query);
    let signature = Signature::compute(&string_to_sign, &credentials.secret);

    let mut query: Vec<(String, String)> = added
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    query.push(("Signature".to_owned(), signature.as_str().to_owned()));
    let mut path_and_query = String::from("/");
    for (index, (name, value)) in request.query.iter().chain(&query).enumerate() {
        path_and_query.push(if index == 0 { '?' } else { '&' });
        rfc3986_into(&mut path_and_query, name);
        path_and_query.push('=');
        rfc3986_into(&mut path_and_query, value);
    }

    Ok(SigningOutput {
        headers: Vec::new(),
        query,
        path_and_query,
        steps: Steps {
            canonicalized_query,
            string_to_sign,
            signature,
        },
    })
}

/// Every parameter except `Signature`, sorted by unencoded name, as `enc(name)=enc(value)` joined by `&`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalizedQuery(String);

impl CanonicalizedQuery {
    /// Canonicalises the complete parameter set (query and form body and the common parameters); a `Signature`
    /// entry is ignored.
    pub fn new(parameters: &[(&str, &str)]) -> Self {
        let mut sorted: Vec<&(&str, &str)> = parameters.iter().filter(|(name, _)| *name != "Signature").collect();
        sorted.sort_by(|left, right| left.0.cmp(right.0));
        let mut out = String::with_capacity(
            parameters
                .iter()
                .map(|(name, value)| name.len() + value.len() * 3 + 2)
                .sum(),
        );
        for (index, (name, value)) in sorted.into_iter().enumerate() {
            if index > 0 {
                out.push('&');
            }
            rfc3986_into(&mut out, name);
            out.push('=');
            rfc3986_into(&mut out, value);
        }
        CanonicalizedQuery(out)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

display_as_str!(CanonicalizedQuery);

/// `METHOD&%2F&` + percent-encoded canonicalized query (so `=` → `%3D`, `&` → `%26`, `%` → `%25`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringToSign(String);

impl StringToSign {
    /// Builds the string to sign for `method` (the path is always `/`).
    pub fn new(method: &str, canonicalized_query: &CanonicalizedQuery) -> Self {
        let mut text = String::with_capacity(method.len() + 5 + canonicalized_query.as_str().len() * 5 / 4);
        text.push_str(method);
        text.push_str("&%2F&");
        rfc3986_into(&mut text, canonicalized_query.as_str());
        StringToSign(text)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

display_as_str!(StringToSign);

/// Base64 of HMAC-SHA1 keyed with `secret + "&"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature(String);

impl Signature {
    /// Computes the signature.
    pub fn compute(string_to_sign: &StringToSign, secret: &Secret) -> Self {
        let mut key = String::with_capacity(secret.expose_secret().len() + 1);
        key.push_str(secret.expose_secret());
        key.push('&');
        Signature(BASE64.encode(hmac_sha1(key.as_bytes(), string_to_sign.as_str().as_bytes())))
    }

    /// The Base64 text (to be percent-encoded in the query: `+`, `/` and `=` occur).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

display_as_str!(Signature);

/// The fields of a form body; an empty body has none. Any other body would go unsigned, so it is refused.
fn form_body_parameters(request: &SignableRequest<'_>) -> Result<Vec<(String, String)>, SigningError> {
    if request.body.is_empty() {
        return Ok(Vec::new());
    }
    let content_type = request.header_values("content-type").next().unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(SigningError::UnsupportedBody {
            scheme: SCHEME,
            content_type: content_type.to_owned(),
        });
    }
    decode_form(request.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    fn request<'a>(
        query: &'a [(String, String)],
        headers: &'a [(String, String)],
        body: &'a [u8],
    ) -> SignableRequest<'a> {
        SignableRequest {
            method: "POST",
            host: "ecs.cn-beijing.aliyuncs.com",
            path: "/",
            query,
            headers,
            body,
        }
    }

    const PARAMS: Params<'static> = Params {
        unix_seconds: 1_456_231_584,
        nonce: "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    };

    #[test]
    fn canonicalized_query_encodes_awkward_characters() {
        let query = CanonicalizedQuery::new(&[
            ("Name", "未命名 a+b*c~d%e/f=g&h"),
            ("Empty", ""),
            ("Emoji", "😀"),
            ("Signature", "ignored"),
        ]);
        assert_eq!(
            query.as_str(),
            "Emoji=%F0%9F%98%80&Empty=&Name=%E6%9C%AA%E5%91%BD%E5%90%8D%20a%2Bb%2Ac~d%25e%2Ff%3Dg%26h"
        );
        let string_to_sign = StringToSign::new("POST", &query);
        assert_eq!(
            string_to_sign.as_str(),
            "POST&%2F&Emoji%3D%25F0%259F%2598%2580%26Empty%3D%26Name%3D%25E6%259C%25AA%25E5%2591%25BD%25E5%2590%258D\
             %2520a%252Bb%252Ac~d%2525e%252Ff%253Dg%2526h"
        );
        assert_eq!(
            StringToSign::new("GET", &CanonicalizedQuery::new(&[])).as_str(),
            "GET&%2F&"
        );
    }

    #[test]
    fn sign_adds_the_common_parameters_and_signature() {
        let query = pairs(&[
            ("Action", "DescribeRegions"),
            ("Version", "2014-05-26"),
            ("Format", "XML"),
        ]);
        let output = sign(
            &request(&query, &[], b""),
            &Credentials::new("testid", "testsecret"),
            &PARAMS,
        )
        .unwrap();
        let names: Vec<&str> = output.query.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            [
                "AccessKeyId",
                "SignatureMethod",
                "SignatureVersion",
                "SignatureNonce",
                "Timestamp",
                "Signature"
            ]
        );
        assert!(output.headers.is_empty());
        assert!(output.path_and_query.starts_with(
            "/?Action=DescribeRegions&Version=2014-05-26&Format=XML&AccessKeyId=testid&SignatureMethod=HMAC-SHA1&\
             SignatureVersion=1.0&SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&\
             Timestamp=2016-02-23T12%3A46%3A24Z&Signature="
        ));
        assert_eq!(
            output.steps.canonicalized_query.as_str(),
            "AccessKeyId=testid&Action=DescribeRegions&Format=XML&SignatureMethod=HMAC-SHA1&\
             SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&SignatureVersion=1.0&\
             Timestamp=2016-02-23T12%3A46%3A24Z&Version=2014-05-26"
        );
    }

    #[test]
    fn form_body_fields_are_signed_with_the_query() {
        let query = pairs(&[("Action", "RunInstances")]);
        let form = pairs(&[("content-type", "application/x-www-form-urlencoded; charset=utf-8")]);
        let credentials = Credentials::new("id", "secret");
        let output = sign(
            &request(&query, &form, b"InstanceName=web+1&Tag.1.Key=%E6%9C%AA"),
            &credentials,
            &PARAMS,
        );
        let canonical = output.unwrap().steps.canonicalized_query;
        assert!(canonical.as_str().contains("InstanceName=web%201&"), "{canonical}");
        assert!(canonical.as_str().contains("Tag.1.Key=%E6%9C%AA&"), "{canonical}");

        let json = pairs(&[("content-type", "application/json")]);
        assert_eq!(
            sign(&request(&query, &json, b"{}"), &credentials, &PARAMS).unwrap_err(),
            SigningError::UnsupportedBody {
                scheme: SCHEME,
                content_type: "application/json".into()
            }
        );
        assert_eq!(
            sign(&request(&query, &form, b"Action=Twice"), &credentials, &PARAMS).unwrap_err(),
            SigningError::DuplicateParameter { name: "Action".into() }
        );
        assert!(matches!(
            sign(&request(&query, &form, b"bad=%FF"), &credentials, &PARAMS),
            Err(SigningError::NonUtf8Body { .. })
        ));
    }

    #[test]
    fn rejects_what_the_scheme_cannot_sign() {
        let credentials = Credentials::new("id", "secret");
        let reserved = pairs(&[("Timestamp", "2016-02-23T12:46:24Z")]);
        assert_eq!(
            sign(&request(&reserved, &[], b""), &credentials, &PARAMS).unwrap_err(),
            SigningError::ReservedParameter {
                scheme: SCHEME,
                name: "Timestamp".into()
            }
        );
        let mut put = request(&[], &[], b"");
        put.method = "PUT";
        assert_eq!(
            sign(&put, &credentials, &PARAMS).unwrap_err(),
            SigningError::UnsupportedMethod {
                scheme: SCHEME,
                method: "PUT".into()
            }
        );
        let mut deep = request(&[], &[], b"");
        deep.path = "/v2";
        assert_eq!(
            sign(&deep, &credentials, &PARAMS).unwrap_err(),
            SigningError::UnsupportedPath {
                scheme: SCHEME,
                path: "/v2".into()
            }
        );
    }
}
