//! Percent-encoding per rule (on the `percent-encoding` crate), because each cloud canonicalises differently.
//!
//! Every encoder leaves exactly the RFC 3986 unreserved set `A-Z a-z 0-9 - _ . ~` bare and writes everything else
//! as `%XX` with upper-case hex over the UTF-8 bytes. That one set is what all three schemes agree on (Alibaba
//! ACS3 through Python's `quote(v, safe='~')`, Baidu's `normalize_string`, Tencent's `quote_plus`); they differ
//! only in `/` (kept in paths), space (`+` in Tencent's form encoding) and in what gets encoded and sorted where,
//! which the scheme modules decide.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but the RFC 3986 unreserved set `A-Z a-z 0-9 - _ . ~` (non-ASCII bytes are always encoded).
const RESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
/// [`RESERVED`] less `/`: what a canonical URI (path) encodes.
const RESERVED_IN_PATH: &AsciiSet = &RESERVED.remove(b'/');
/// [`RESERVED`] less space, which form encoding writes as `+` instead.
const RESERVED_IN_FORM: &AsciiSet = &RESERVED.remove(b' ');

/// Appends `input` percent-encoded: unreserved bytes bare, everything else `%XX` (so space is `%20`, `*` is `%2A`).
pub(crate) fn rfc3986_into(out: &mut String, input: &str) {
    out.extend(utf8_percent_encode(input, RESERVED));
}

/// Like [`rfc3986_into`] but keeps `/` bare: the rule for canonical URIs (paths).
pub(crate) fn rfc3986_path_into(out: &mut String, input: &str) {
    out.extend(utf8_percent_encode(input, RESERVED_IN_PATH));
}

/// Appends `input` encoded as Python's `urllib.parse.quote_plus` does (what `urlencode` sends): like
/// [`rfc3986_into`] except that space becomes `+` (a `+` in the input is `%2B`, so the two cannot be confused).
pub(crate) fn form_into(out: &mut String, input: &str) {
    for chunk in utf8_percent_encode(input, RESERVED_IN_FORM) {
        out.extend(chunk.chars().map(|c| if c == ' ' { '+' } else { c }));
    }
}

/// Returns the path percent-encoded with [`rfc3986_path_into`].
pub(crate) fn rfc3986_path(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + 8);
    rfc3986_path_into(&mut out, input);
    out
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
}
