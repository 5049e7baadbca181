//! Small reusable checks: lengths, character classes, Base64, decimal places that carry a digit.

/// Characters, not bytes.
pub(crate) fn char_len(text: &str) -> usize {
    text.chars().count()
}

/// Whether every character is printable ASCII.
pub(crate) fn is_printable_ascii(text: &str) -> bool {
    text.bytes().all(|byte| (0x20..0x7f).contains(&byte))
}

/// Decimal places that carry a digit: `0.2000` has 1, `0.125` has 3 (trailing zeros say nothing of precision).
pub(crate) fn significant_decimals(text: &str) -> usize {
    text.split_once('.')
        .map_or(0, |(_, fraction)| fraction.trim_end_matches('0').len())
}

/// The decoded length of standard Base64 text, or `None` if it is not valid standard Base64 with padding.
pub(crate) fn base64_decoded_len(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let padding = bytes.iter().rev().take_while(|byte| **byte == b'=').count();
    if padding > 2 {
        return None;
    }
    let body = &bytes[..bytes.len() - padding];
    if !body
        .iter()
        .all(|byte| byte.is_ascii_alphanumeric() || *byte == b'+' || *byte == b'/')
    {
        return None;
    }
    Some(bytes.len() / 4 * 3 - padding)
}

/// Counts the character classes (upper, lower, digit, one of `specials`) in a password, and whether it holds
/// only those.
pub(crate) fn password_classes(password: &str, specials: &str) -> (usize, bool) {
    let upper = password.chars().any(|c| c.is_ascii_uppercase());
    let lower = password.chars().any(|c| c.is_ascii_lowercase());
    let digit = password.chars().any(|c| c.is_ascii_digit());
    let special = password.chars().any(|c| specials.contains(c));
    let only_allowed = password
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || specials.contains(c));
    (
        usize::from(upper) + usize::from(lower) + usize::from(digit) + usize::from(special),
        only_allowed,
    )
}

/// Whether a host-name-like text has a special character at either end or two in a row.
pub(crate) fn has_edge_or_double_special(text: &str, specials: &[char]) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let special = |c: &char| specials.contains(c);
    chars.first().is_some_and(special)
        || chars.last().is_some_and(special)
        || chars.windows(2).any(|pair| special(&pair[0]) && special(&pair[1]))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn decimals_count_the_digits_that_matter() {
        assert_eq!(significant_decimals("0.100"), 1);
        assert_eq!(significant_decimals("0.125"), 3);
        assert_eq!(significant_decimals("0.1250"), 3);
        assert_eq!(significant_decimals("12"), 0);
        assert_eq!(significant_decimals("12.000"), 0);
    }

    #[test]
    fn base64_lengths() {
        assert_eq!(base64_decoded_len("aGVsbG8="), Some(5));
        assert_eq!(base64_decoded_len(""), Some(0));
        assert_eq!(base64_decoded_len("aGVsbG8"), None);
        assert_eq!(base64_decoded_len("aGV*bG8="), None);
    }

    #[test]
    fn utc_timestamps() {}

    #[test]
    fn password_classes_count() {
        assert_eq!(password_classes("Abc12345", "!@#"), (3, true));
        assert_eq!(password_classes("abc 1234", "!@#"), (2, false));
    }
}
