//! Percent-encoding and form decoding, written out per rule because each cloud canonicalises differently.
//!
//! Every encoder leaves exactly the RFC 3986 unreserved set `A-Z a-z 0-9 - _ . ~` bare and writes everything else
//! as `%XX` with upper-case hex over the UTF-8 bytes. That one set is what all four schemes agree on (Alibaba RPC
//! and ACS3 through Python's `quote(v, safe='~')`, Baidu's `normalize_string`, Tencent's `quote_plus`); they differ
//! only in `/` (kept in paths), space (`+` in Tencent's form encoding) and in what gets encoded and sorted where,
//! which the scheme modules decide.

use crate::error::SigningError;

/// Appends `input` percent-encoded: unreserved bytes bare, everything else `%XX` (so space is `%20`, `*` is `%2A`).
pub(crate) fn rfc3986_into(out: &mut String, input: &str) {
    encode_into(out, input, Space::Percent, Slash::Encode);
}

/// Like [`rfc3986_into`] but keeps `/` bare: the rule for canonical URIs (paths).
pub(crate) fn rfc3986_path_into(out: &mut String, input: &str) {
    encode_into(out, input, Space::Percent, Slash::Keep);
}

/// Appends `input` encoded as Python's `urllib.parse.quote_plus` does (what `urlencode` sends): like
/// [`rfc3986_into`] except that space becomes `+`.
pub(crate) fn form_into(out: &mut String, input: &str) {
    encode_into(out, input, Space::Plus, Slash::Encode);
}

/// Returns the path percent-encoded with [`rfc3986_path_into`].
pub(crate) fn rfc3986_path(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + 8);
    rfc3986_path_into(&mut out, input);
    out
}

/// Decodes an `application/x-www-form-urlencoded` body the way Python's `parse_qsl(body, keep_blank_values=True)`
/// does for well-formed input: pairs split on `&`, empty pairs skipped, a pair without `=` has an empty value, `+` is
/// a space, `%XX` a byte, and a `%` not followed by two hex digits is kept literally. The decoded bytes must be UTF-8.
pub(crate) fn decode_form(body: &[u8]) -> Result<Vec<(String, String)>, SigningError> {
    let mut pairs = Vec::new();
    for segment in body.split(|&byte| byte == b'&') {
        if segment.is_empty() {
            continue;
        }
        let (name, value) = match segment.iter().position(|&byte| byte == b'=') {
            Some(at) => (&segment[..at], &segment[at + 1..]),
            None => (segment, &b""[..]),
        };
        pairs.push((decode_component(name, body)?, decode_component(value, body)?));
    }
    Ok(pairs)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Space {
    Percent,
    Plus,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Slash {
    Encode,
    Keep,
}

const UPPER_HEX: &[u8; 16] = b"0123456789ABCDEF";

fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~')
}

fn encode_into(out: &mut String, input: &str, space: Space, slash: Slash) {
    for &byte in input.as_bytes() {
        if is_unreserved(byte) || (byte == b'/' && slash == Slash::Keep) {
            out.push(char::from(byte));
        } else if byte == b' ' && space == Space::Plus {
            out.push('+');
        } else {
            out.push('%');
            out.push(char::from(UPPER_HEX[usize::from(byte >> 4)]));
            out.push(char::from(UPPER_HEX[usize::from(byte & 0x0f)]));
        }
    }
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

fn decode_component(component: &[u8], body: &[u8]) -> Result<String, SigningError> {
    let mut bytes = Vec::with_capacity(component.len());
    let mut index = 0;
    while index < component.len() {
        let byte = component[index];
        let escaped = match (byte, component.get(index + 1), component.get(index + 2)) {
            (b'%', Some(&high), Some(&low)) => hex_value(high).zip(hex_value(low)),
            _ => None,
        };
        if let Some((high, low)) = escaped {
            bytes.push(high << 4 | low);
            index += 3;
        } else {
            bytes.push(if byte == b'+' { b' ' } else { byte });
            index += 1;
        }
    }
    String::from_utf8(bytes).map_err(|error| SigningError::NonUtf8Body {
        // Report where in the component decoding failed; the body itself may be large, so only its length is kept.
        valid_up_to: error.utf8_error().valid_up_to(),
        body_len: body.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc3986(input: &str) -> String {
        let mut out = String::new();
        rfc3986_into(&mut out, input);
        out
    }

    #[test]
    fn rfc3986_leaves_only_unreserved_bare() {
        assert_eq!(rfc3986("AZaz09-_.~"), "AZaz09-_.~");
        assert_eq!(rfc3986("a b"), "a%20b");
        assert_eq!(rfc3986("+*~%/=&"), "%2B%2A~%25%2F%3D%26");
        assert_eq!(rfc3986(""), "");
        assert_eq!(rfc3986("未命名"), "%E6%9C%AA%E5%91%BD%E5%90%8D");
        assert_eq!(rfc3986("😀"), "%F0%9F%98%80");
        assert_eq!(rfc3986("!'()"), "%21%27%28%29");
    }

    #[test]
    fn path_encoding_keeps_slash_only() {
        assert_eq!(
            rfc3986_path("/v1/test/my folder/读我.txt"),
            "/v1/test/my%20folder/%E8%AF%BB%E6%88%91.txt"
        );
        assert_eq!(rfc3986_path("/a+b=c&d%e*f~"), "/a%2Bb%3Dc%26d%25e%2Af~");
        assert_eq!(rfc3986_path("/"), "/");
    }

    #[test]
    fn form_encoding_turns_space_into_plus() {
        let mut out = String::new();
        form_into(&mut out, "a b+c*d~e/f=g&h%i 未");
        assert_eq!(out, "a+b%2Bc%2Ad~e%2Ff%3Dg%26h%25i+%E6%9C%AA");
    }

    #[test]
    fn form_decoding_matches_parse_qsl_with_blank_values() {
        let pairs = decode_form(b"a=1&&b=&c&d=x+y%20z&e=%E6%9C%AA&f=100%&g=%zz&h=a=b").unwrap();
        let expected = [
            ("a", "1"),
            ("b", ""),
            ("c", ""),
            ("d", "x y z"),
            ("e", "未"),
            ("f", "100%"),
            ("g", "%zz"),
            ("h", "a=b"),
        ];
        let pairs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        assert_eq!(pairs, expected);
        assert!(decode_form(b"").unwrap().is_empty());
    }

    #[test]
    fn form_decoding_rejects_non_utf8() {
        assert_eq!(
            decode_form(b"ok=1&bad=%FF%FE"),
            Err(SigningError::NonUtf8Body {
                valid_up_to: 0,
                body_len: 15
            })
        );
    }
}
