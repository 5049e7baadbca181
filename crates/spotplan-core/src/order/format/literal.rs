//! Quoting for the languages snippets are written in: POSIX shell, Python and HCL string literals.

/// A word safe to paste into a POSIX shell: bare when it only holds safe characters, otherwise single-quoted
/// (a `'` inside becomes `'\''`).
pub(crate) fn shell(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.,:/@%+=".contains(c));
    if safe {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// A Python string literal (double quotes; backslash, quote and control characters escaped; other Unicode kept).
pub(crate) fn python_str(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A Python literal for a JSON value (dicts, lists, strings, numbers, True/False/None), indented.
pub(crate) fn python_value(value: &serde_json::Value, indent: usize) -> String {
    use serde_json::Value;
    let pad = "    ".repeat(indent + 1);
    let close = "    ".repeat(indent);
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(number) => number.to_string(),
        Value::String(text) => python_str(text),
        Value::Array(items) if items.is_empty() => "[]".into(),
        Value::Array(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|item| format!("{pad}{},", python_value(item, indent + 1)))
                .collect();
            format!("[\n{}\n{close}]", items.join("\n"))
        }
        Value::Object(map) if map.is_empty() => "{}".into(),
        Value::Object(map) => {
            let items: Vec<String> = map
                .iter()
                .map(|(key, item)| format!("{pad}{}: {},", python_str(key), python_value(item, indent + 1)))
                .collect();
            format!("{{\n{}\n{close}}}", items.join("\n"))
        }
    }
}

/// An HCL string literal (`"`, `\` and control characters escaped; `${` and `%{` escaped so nothing is
/// interpolated).
pub(crate) fn hcl_str(text: &str) -> String {
    python_str(text).replace("${", "$${").replace("%{", "%%{")
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell("cn-hangzhou"), "cn-hangzhou");
        assert_eq!(shell("ops team"), "'ops team'");
        assert_eq!(shell("it's"), r"'it'\''s'");
        assert_eq!(shell("渲染"), "'渲染'");
        assert_eq!(shell("$HOME"), "'$HOME'");
        assert_eq!(shell(""), "''");
    }

    #[test]
    fn python_and_hcl_strings_escape() {
        assert_eq!(python_str("a\"b\\c\n"), r#""a\"b\\c\n""#);
        assert_eq!(hcl_str("${var.x} %{if}"), r#""$${var.x} %%{if}""#);
    }
}
