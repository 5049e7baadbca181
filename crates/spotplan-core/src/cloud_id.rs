//! What a cloud's id looks like — zones, instance types and classes, images, VPCs, instances — for the routes
//! that pass ids through to a cloud or into a store: 1–128 ASCII letters, digits, `.`, `_` or `-`. Every id the
//! three clouds document and every id of the embedded catalog is made of these; text that is not (a header, a
//! second parameter, a path) could only be a mistake or a probe, and is refused naming its field.

/// The longest id taken.
pub const MAX_LEN: usize = 128;

/// [`is_cloud_id`] in words, for errors.
pub const RULE: &str = "1–128 ASCII letters, digits, '.', '_' or '-'";

/// Whether `text` looks like a cloud id.
pub fn is_cloud_id(text: &str) -> bool {
    (1..=MAX_LEN).contains(&text.len())
        && text
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-'))
}

/// `text` as an error shows it: at most [`MAX_LEN`] characters, control characters escaped.
pub fn shown(text: &str) -> String {
    text.chars()
        .take(MAX_LEN)
        .collect::<String>()
        .escape_default()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn ids_of_every_kind_pass_and_probes_do_not() {
        for id in [
            "cn-hangzhou-k",
            "ecs.g7.large",
            "S5.LARGE8",
            "bcc.gn5.c8m32.1v100-16g",
            "aliyun_3_x64_20G_alibase_20240819.vhd",
            "img-487zeit5",
            "i-bp67acfmxazb4p****".trim_end_matches('*'),
        ] {
            assert!(is_cloud_id(id), "{id}");
        }
        for probe in [
            "",
            "a b",
            "x\r\nHost: evil",
            "t&Action=Delete",
            "../x",
            "ü",
            &"a".repeat(MAX_LEN + 1),
        ] {
            assert!(!is_cloud_id(probe), "{probe:?}");
        }
        assert!(RULE.starts_with(&format!("1–{MAX_LEN} ")), "{RULE}");
        assert_eq!(shown("a\r\nb"), "a\\r\\nb");
        assert_eq!(shown(&"a".repeat(300)).len(), MAX_LEN);
    }
}
