//! A curl command that submits the order through the local Spotplan proxy, which signs it with the
//! credentials it holds. The order JSON travels in a quoted here-document, so no character needs escaping.

use super::{PASSWORD_ENV, SnippetOptions, literal::shell};
use crate::order::ValidOrder;

pub(super) fn render(order: &ValidOrder, options: &SnippetOptions) -> String {
    let mut body = order.order().clone();
    let has_password = body.login.password.is_some();
    if has_password {
        body.login.password = Some(format!("${{{PASSWORD_ENV}}}"));
    }
    let json = serde_json::to_string_pretty(&body).unwrap_or_default();
    let url = format!("{}/api/v1/orders", options.proxy_url.trim_end_matches('/'));
    let mut text = String::new();
    text.push_str("# Submits through the local Spotplan proxy; it signs with your credentials.\n");
    text.push_str("# The proxy printed its token at start: export SPOTPLAN_TOKEN=<token>\n");
    if has_password {
        text.push_str(&format!(
            "# The password comes from ${PASSWORD_ENV}: export {PASSWORD_ENV}=<password>\n"
        ));
    }
    text.push_str(&format!("curl -sS -X POST {} \\\n", shell(&url)));
    text.push_str("  -H 'Content-Type: application/json' \\\n");
    text.push_str(TOKEN_HEADER_ARG);
    text.push_str(&format!(
        "  -H {} \\\n",
        shell(&format!("Idempotency-Key: {}", options.idempotency_key))
    ));
    if has_password {
        // An unquoted delimiter lets the shell expand the password variable; nothing else in JSON is `$`-special
        // once every literal `$`, backtick and backslash is escaped.
        let escaped = json.replace('\\', "\\\\").replace('`', "\\`").replace('$', "\\$");
        let escaped = escaped.replace(&format!("\\${{{PASSWORD_ENV}}}"), &format!("${{{PASSWORD_ENV}}}"));
        text.push_str(&body_with_token("<<JSON", &escaped));
    } else {
        text.push_str(&body_with_token("<<'JSON'", &json));
    }
    text
}

/// The argument that has curl read the proxy token's header from file descriptor 3 ([`body_with_token`] fills it
/// from `$SPOTPLAN_TOKEN`): the token never appears among curl's arguments, which other users of the machine can
/// read (`ps`, `/proc/*/cmdline`).
pub const TOKEN_HEADER_ARG: &str = "  -H @/dev/fd/3 \\\n";

/// The command's last line and what follows it: the body from standard input (a here-document opened with
/// `opening`, `<<'JSON'` or `<<JSON`, holding `body`), and before it — POSIX shells read here-documents in the
/// order they are opened — the token's header on descriptor 3, for [`TOKEN_HEADER_ARG`].
pub fn body_with_token(opening: &str, body: &str) -> String {
    format!(
        "  --data-binary @- 3<<SPOTPLAN_TOKEN_HEADER {opening}\n{}: $SPOTPLAN_TOKEN\nSPOTPLAN_TOKEN_HEADER\n{body}\nJSON\n",
        crate::api::TOKEN_HEADER
    )
}
