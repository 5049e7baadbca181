//! A small syntax highlighter for the snippet formats: strings, comments, flags, keywords and numbers become
//! spans with a class, everything else plain text. It never changes the text, only wraps it.

/// A piece of highlighted text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The CSS class (`str`, `com`, `flag`, `kw`, `num`) or empty for plain text.
    pub class: &'static str,
    /// The text.
    pub text: String,
}

const KEYWORDS: &[&str] = &[
    "import", "from", "as", "def", "return", "print", "True", "False", "None", "resource", "provider", "variable",
    "true", "false", "curl", "aliyun", "tccli", "POST", "HTTP/1.1",
];

/// Splits `text` into tokens for `language` (`http`, `bash`, `python`, `hcl`). Concatenating the tokens' text
/// gives back `text` exactly.
pub fn tokens(text: &str, language: &str) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::new();
    let mut push = |class: &'static str, text: &str| {
        if text.is_empty() {
            return;
        }
        match out.last_mut() {
            Some(last) if last.class == class => last.text.push_str(text),
            _ => out.push(Token {
                class,
                text: text.to_owned(),
            }),
        }
    };
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    let slice = |from: usize, to: usize| -> &str {
        let start = chars.get(from).map_or(text.len(), |(at, _)| *at);
        let end = chars.get(to).map_or(text.len(), |(at, _)| *at);
        &text[start..end]
    };
    while i < chars.len() {
        let c = chars[i].1;
        let at_line_start = i == 0 || chars[i - 1].1 == '\n';
        if c == '#' && language != "http" && (at_line_start || chars[i - 1].1 == ' ') {
            let end = (i..chars.len()).find(|&j| chars[j].1 == '\n').unwrap_or(chars.len());
            push("com", slice(i, end));
            i = end;
        } else if c == '\\' && language == "bash" {
            // Outside quotes a backslash escapes the next character (as in `'\''`).
            push("", slice(i, (i + 2).min(chars.len())));
            i = (i + 2).min(chars.len());
        } else if c == '"' || (c == '\'' && language == "bash") {
            let mut j = i + 1;
            while j < chars.len() && chars[j].1 != c {
                if chars[j].1 == '\\' && c == '"' {
                    j += 1;
                }
                j += 1;
            }
            let end = (j + 1).min(chars.len());
            push("str", slice(i, end));
            i = end;
        } else if c == '-' && i + 1 < chars.len() && chars[i + 1].1 == '-' && (i == 0 || chars[i - 1].1.is_whitespace())
        {
            let end = (i..chars.len())
                .find(|&j| chars[j].1.is_whitespace())
                .unwrap_or(chars.len());
            push("flag", slice(i, end));
            i = end;
        } else if c.is_ascii_digit() && (i == 0 || !chars[i - 1].1.is_alphanumeric()) {
            let end = (i..chars.len())
                .find(|&j| !(chars[j].1.is_ascii_digit() || chars[j].1 == '.'))
                .unwrap_or(chars.len());
            push("num", slice(i, end));
            i = end;
        } else if c.is_alphabetic() || c == '/' {
            let end = (i..chars.len())
                .find(|&j| !(chars[j].1.is_alphanumeric() || "_/.".contains(chars[j].1)))
                .unwrap_or(chars.len());
            let word = slice(i, end);
            push(if KEYWORDS.contains(&word) { "kw" } else { "" }, word);
            i = end;
        } else {
            push("", slice(i, i + 1));
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn tokens_reassemble_the_text_exactly() {
        let text = "# comment\ntccli cvm RunInstances --region ap-guangzhou \\\n  --Name '渲染 it'\\''s' --Count 10\n";
        let joined: String = tokens(text, "bash").iter().map(|t| t.text.as_str()).collect();
        assert_eq!(joined, text);
        let classes: Vec<&str> = tokens(text, "bash").iter().map(|t| t.class).collect();
        for class in ["com", "flag", "str", "num"] {
            assert!(
                classes.contains(&class),
                "{class} missing in {:?}",
                tokens(text, "bash")
            );
        }
    }

    #[test]
    fn python_strings_and_keywords() {
        let tokens = tokens("import os\nx = \"a \\\"b\\\"\"\n", "python");
        assert_eq!(
            tokens[0],
            Token {
                class: "kw",
                text: "import".into()
            }
        );
        assert!(tokens.iter().any(|t| t.class == "str" && t.text == "\"a \\\"b\\\"\""));
    }
}
