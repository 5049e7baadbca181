//! Reading the clouds' JSON answers defensively: parse, walk dotted paths, read decimals (from JSON numbers or
//! strings) without `f64` arithmetic, and recognise each cloud's error envelope.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::{CloudError, QuoteError, SkipReason, Skipped};
use crate::clouds::Cloud;
use crate::money::Currency;

/// A JSON object.
pub type Object = Map<String, Value>;

/// Parses a body that must be a JSON object.
pub(crate) fn parse_object(body: &[u8]) -> Result<Object, QuoteError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(other) => Err(QuoteError::UnexpectedValue {
            field: "(the whole response)".into(),
            value: show(&other),
            expected: "a JSON object".into(),
        }),
        Err(error) => Err(QuoteError::NotJson {
            reason: error.to_string(),
            start: String::from_utf8_lossy(body).chars().take(40).collect(),
        }),
    }
}

/// The error envelope of `cloud` in a parsed answer, if it is one.
pub(crate) fn cloud_error_in(cloud: Cloud, value: &Object) -> Option<CloudError> {
    crate::clouds::wire(cloud).error_in(value)
}

/// Parses the body and returns the cloud's error when it is an error envelope.
pub(crate) fn parse_answer(cloud: Cloud, body: &[u8]) -> Result<Object, QuoteError> {
    let object = parse_object(body)?;
    match cloud_error_in(cloud, &object) {
        Some(error) => Err(QuoteError::Cloud(error)),
        None => Ok(object),
    }
}

/// The value at a dotted path below `object` (`null` counts as absent).
pub(crate) fn at<'v>(object: &'v Object, path: &str) -> Option<&'v Value> {
    let mut parts = path.split('.');
    let mut value = object.get(parts.next()?)?;
    for part in parts {
        value = value.get(part)?;
    }
    (!value.is_null()).then_some(value)
}

/// The object at `path` below `object`; `shown` is how the path is named in errors (with its parents).
pub(crate) fn require_object<'v>(object: &'v Object, path: &str, shown: &str) -> Result<&'v Object, QuoteError> {
    match at(object, path) {
        None => Err(QuoteError::MissingField { field: shown.into() }),
        Some(Value::Object(found)) => Ok(found),
        Some(other) => Err(unexpected(shown, other, "an object")),
    }
}

/// The array at `path` below `object`.
pub(crate) fn require_array<'v>(object: &'v Object, path: &str, shown: &str) -> Result<&'v [Value], QuoteError> {
    match at(object, path) {
        None => Err(QuoteError::MissingField { field: shown.into() }),
        Some(Value::Array(found)) => Ok(found),
        Some(other) => Err(unexpected(shown, other, "an array")),
    }
}

/// The currency code at `path`.
pub(crate) fn require_currency(object: &Object, path: &str, shown: &str) -> Result<Currency, QuoteError> {
    let code = match at(object, path) {
        None => return Err(QuoteError::MissingField { field: shown.into() }),
        Some(Value::String(code)) if code.trim().is_empty() => {
            return Err(QuoteError::MissingField { field: shown.into() });
        }
        Some(Value::String(code)) => code.trim(),
        Some(other) => return Err(unexpected(shown, other, "a currency code such as CNY")),
    };
    match code.to_ascii_uppercase().as_str() {
        "CNY" | "RMB" => Ok(Currency::Cny),
        "USD" => Ok(Currency::Usd),
        _ => Err(QuoteError::UnsupportedCurrency {
            field: shown.into(),
            value: code.to_owned(),
        }),
    }
}

/// A non-empty text field of a record.
pub(crate) fn text<'v>(object: &'v Object, key: &str) -> Result<&'v str, SkipReason> {
    match object.get(key) {
        None | Some(Value::Null) => Err(SkipReason::Missing),
        Some(Value::String(text)) if text.trim().is_empty() => Err(SkipReason::Missing),
        Some(Value::String(text)) => Ok(text.trim()),
        Some(other) => Err(malformed(other, "text")),
    }
}

/// A decimal from a JSON number or a numeric string, any sign.
///
/// JSON numbers are read through their shortest decimal text (what `serde_json` prints for the parsed value), so
/// `0.354` becomes exactly `0.354`; no arithmetic is done in floating point.
pub(crate) fn decimal(object: &Object, key: &str) -> Result<Decimal, SkipReason> {
    let value = match object.get(key) {
        None | Some(Value::Null) => return Err(SkipReason::Missing),
        Some(value) => value,
    };
    let parsed = match value {
        Value::Number(number) => decimal_text(&number.to_string()),
        Value::String(text) if text.trim().is_empty() => return Err(SkipReason::Missing),
        Value::String(text) => plain_decimal(text.trim()),
        _ => None,
    };
    parsed.ok_or_else(|| malformed(value, "a decimal number"))
}

/// A price: a positive decimal. Zero and negative amounts are reasons to leave it out, never prices.
pub(crate) fn price(object: &Object, key: &str) -> Result<Decimal, SkipReason> {
    let amount = decimal(object, key)?;
    if amount.is_zero() {
        Err(SkipReason::Zero)
    } else if amount.is_sign_negative() {
        Err(SkipReason::Negative {
            value: amount.to_string(),
        })
    } else {
        Ok(amount)
    }
}

/// A positive whole number (a count of vCPUs, GB, an offset) from a JSON number or a numeric string.
pub(crate) fn positive_count(object: &Object, key: &str) -> Result<u32, SkipReason> {
    let number = decimal(object, key)?;
    if number.is_zero() {
        return Err(SkipReason::Zero);
    }
    if number.is_sign_negative() {
        return Err(SkipReason::Negative {
            value: number.to_string(),
        });
    }
    let whole = number.normalize();
    if whole.scale() != 0 {
        return Err(SkipReason::Malformed {
            value: number.to_string(),
            expected: "a whole number".into(),
        });
    }
    u32::try_from(whole.mantissa()).map_err(|_| SkipReason::Malformed {
        value: number.to_string(),
        expected: "a whole number below 4294967296".into(),
    })
}

/// Records that one value was left out.
pub(crate) fn report(skipped: &mut Vec<Skipped>, field: String, reason: SkipReason, left_out: String) {
    skipped.push(Skipped {
        field,
        reason,
        left_out,
    });
}

/// Records that one value was left out and returns `None`, for `match` arms that produce an `Option`.
pub(crate) fn skip<T>(skipped: &mut Vec<Skipped>, field: String, reason: SkipReason, left_out: String) -> Option<T> {
    report(skipped, field, reason, left_out);
    None
}

/// A decimal written plainly (`0.125`, `-3`, `12.`), as the clouds write prices in strings.
fn plain_decimal(text: &str) -> Option<Decimal> {
    let plain = text.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-')
        && text.chars().any(|c| c.is_ascii_digit())
        && text.len() <= 40;
    plain.then(|| Decimal::from_str(text).ok()).flatten()
}

/// A decimal from a JSON number's text, which may use an exponent (`1e-7`).
fn decimal_text(text: &str) -> Option<Decimal> {
    if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).ok()
    } else {
        plain_decimal(text)
    }
}

fn malformed(value: &Value, expected: &str) -> SkipReason {
    SkipReason::Malformed {
        value: show(value),
        expected: expected.into(),
    }
}

fn unexpected(field: &str, value: &Value, expected: &str) -> QuoteError {
    QuoteError::UnexpectedValue {
        field: field.into(),
        value: show(value),
        expected: expected.into(),
    }
}

/// A value as compact JSON, shortened to 60 characters for messages.
pub(crate) fn show(value: &Value) -> String {
    let text = match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    if text.chars().count() > 60 {
        let mut short: String = text.chars().take(59).collect();
        short.push('…');
        short
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn object(text: &str) -> Object {
        parse_object(text.as_bytes()).unwrap()
    }

    #[test]
    fn numbers_and_strings_become_exact_decimals() {
        let record = object(r#"{"a": 0.354, "b": "0.00528", "c": 20, "d": 1e-7, "e": "1e3", "f": true, "g": ""}"#);
        assert_eq!(decimal(&record, "a"), Ok(Decimal::new(354, 3)));
        assert_eq!(decimal(&record, "b"), Ok(Decimal::new(528, 5)));
        assert_eq!(decimal(&record, "c"), Ok(Decimal::from(20)));
        assert_eq!(decimal(&record, "d"), Ok(Decimal::new(1, 7)));
        assert!(
            matches!(decimal(&record, "e"), Err(SkipReason::Malformed { .. })),
            "no exponent in strings"
        );
        assert!(matches!(decimal(&record, "f"), Err(SkipReason::Malformed { .. })));
        assert_eq!(decimal(&record, "g"), Err(SkipReason::Missing));
        assert_eq!(decimal(&record, "absent"), Err(SkipReason::Missing));
    }

    #[test]
    fn prices_are_positive_or_skipped() {
        let record = object(r#"{"zero": 0, "zero_text": "0.000", "negative": -0.5, "ok": "0.1"}"#);
        assert_eq!(price(&record, "zero"), Err(SkipReason::Zero));
        assert_eq!(price(&record, "zero_text"), Err(SkipReason::Zero));
        assert_eq!(
            price(&record, "negative"),
            Err(SkipReason::Negative { value: "-0.5".into() })
        );
        assert_eq!(price(&record, "ok"), Ok(Decimal::new(1, 1)));
    }

    #[test]
    fn counts_are_positive_whole_numbers() {
        let record = object(r#"{"a": 2, "b": "8", "c": 2.5, "d": 0, "e": 1e12}"#);
        assert_eq!(positive_count(&record, "a"), Ok(2));
        assert_eq!(positive_count(&record, "b"), Ok(8));
        assert!(matches!(
            positive_count(&record, "c"),
            Err(SkipReason::Malformed { .. })
        ));
        assert_eq!(positive_count(&record, "d"), Err(SkipReason::Zero));
        assert!(matches!(
            positive_count(&record, "e"),
            Err(SkipReason::Malformed { .. })
        ));
    }

    #[test]
    fn paths_walk_objects_and_treat_null_as_absent() {
        let root = object(r#"{"A": {"B": {"C": 1}, "N": null}}"#);
        assert_eq!(at(&root, "A.B.C"), Some(&Value::from(1)));
        assert_eq!(at(&root, "A.N"), None);
        assert_eq!(at(&root, "A.B.C.D"), None);
        assert_eq!(
            require_object(&root, "A.B.C", "A.B.C"),
            Err(QuoteError::UnexpectedValue {
                field: "A.B.C".into(),
                value: "1".into(),
                expected: "an object".into()
            })
        );
    }

    #[test]
    fn bodies_that_are_not_objects_are_named() {
        assert!(matches!(
            parse_object(b"[1, 2]"),
            Err(QuoteError::UnexpectedValue { .. })
        ));
        let Err(QuoteError::NotJson { start, .. }) = parse_object(b"<html>502 Bad Gateway</html>") else {
            panic!("HTML is not JSON");
        };
        assert_eq!(start, "<html>502 Bad Gateway</html>");
    }

    #[test]
    fn long_values_are_shortened_in_messages() {
        let long = Value::String("x".repeat(100));
        assert_eq!(show(&long).chars().count(), 60);
    }
}
