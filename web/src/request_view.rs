//! The request view: one tab per format (raw HTTP, curl via the proxy, official CLI, Python SDK, Terraform),
//! syntax-highlighted, each with a copy button (Clipboard API, falling back to a selected textarea and
//! `execCommand("copy")`) that shows "Copied", and a download of the order JSON.

use spotplan_core::order::format::{Format, SnippetOptions, render};
use spotplan_core::order::idempotency::client_token_for;
use spotplan_core::order::placeholders::with_placeholders;
use spotplan_core::order::{ValidationContext, validate};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::highlight::tokens;
use crate::i18n::{Key, Lang, text};
use crate::state::{Action, UiState};

/// Properties of the request view.
#[derive(Debug, Properties, PartialEq)]
pub struct RequestViewProps {
    /// The UI state.
    pub state: UseReducerHandle<UiState>,
    /// Validation context (prices, now).
    pub context: ValidationContext,
}

/// A format's tab label.
pub fn tab_label(format: Format) -> &'static str {
    match format {
        Format::Http => "HTTP",
        Format::Curl => "curl",
        Format::Cli => "CLI",
        Format::Python => "Python",
        Format::Terraform => "Terraform",
    }
}

/// Copies text: the Clipboard API when the page may use it, otherwise a hidden textarea and `execCommand`.
pub async fn copy_text(text: String) -> bool {
    let Some(window) = web_sys::window() else { return false };
    let clipboard = window.navigator().clipboard();
    if wasm_bindgen_futures::JsFuture::from(clipboard.write_text(&text))
        .await
        .is_ok()
    {
        return true;
    }
    let Some(document) = window.document() else {
        return false;
    };
    let Ok(element) = document.create_element("textarea") else {
        return false;
    };
    let Ok(area) = element.dyn_into::<web_sys::HtmlTextAreaElement>() else {
        return false;
    };
    area.set_value(&text);
    let _ = area.set_attribute("style", "position:fixed;top:-1000px");
    let Some(body) = document.body() else { return false };
    let _ = body.append_child(&area);
    area.select();
    let copied = document
        .dyn_ref::<web_sys::HtmlDocument>()
        .is_some_and(|html| html.exec_command("copy").unwrap_or(false));
    let _ = body.remove_child(&area);
    copied
}

fn download(name: &str, json: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let href = format!(
        "data:application/json;charset=utf-8,{}",
        js_sys::encode_uri_component(json)
    );
    if let Ok(element) = document.create_element("a")
        && let Ok(anchor) = element.dyn_into::<web_sys::HtmlAnchorElement>()
    {
        anchor.set_href(&href);
        anchor.set_download(name);
        anchor.click();
    }
}

/// The snippet's text in pieces: `(piece, is_placeholder)`, splitting at every occurrence of a mark.
fn split_marks(text: &str, marks: &[String]) -> Vec<(String, bool)> {
    let mut pieces = Vec::new();
    let mut rest = text;
    loop {
        let next = marks
            .iter()
            .filter_map(|mark| rest.find(mark.as_str()).map(|at| (at, mark)))
            .min_by_key(|(at, _)| *at);
        let Some((at, mark)) = next else {
            if !rest.is_empty() {
                pieces.push((rest.to_owned(), false));
            }
            return pieces;
        };
        if at > 0 {
            pieces.push((rest[..at].to_owned(), false));
        }
        pieces.push((mark.clone(), true));
        rest = &rest[at + mark.len()..];
    }
}

/// The highlighted snippet, each placeholder marked.
pub fn highlighted(text: &str, language: &str, marks: &[String]) -> Html {
    html! {
        <>{ for split_marks(text, marks).into_iter().map(|(piece, mark)| if mark {
            html! { <mark class="placeholder">{ piece }</mark> }
        } else {
            html! { <>{ for tokens(&piece, language).into_iter().map(|token| {
                if token.class.is_empty() { html! { { token.text } } } else { html! { <span class={token.class}>{ token.text }</span> } }
            }) }</> }
        }) }</>
    }
}

/// The request view.
#[component]
pub fn RequestView(props: &RequestViewProps) -> Html {
    let state = props.state.clone();
    let lang = state.lang;
    let copied = use_state(|| None::<Format>);
    let Some(order) = state.order.clone() else {
        return html! {};
    };
    let validation = validate(&order, &props.context);
    // Missing ids of the person's account do not hide the request: it shows with a placeholder in each.
    let (valid, placeholders) = match validation.valid.clone() {
        Some(valid) => (valid, Vec::new()),
        None => match with_placeholders(&order, &validation, &props.context) {
            Some(held) => (held.order, held.placeholders),
            None => {
                return html! {
                    <section aria-labelledby="request-heading">
                        <h2 id="request-heading">{ text(lang, Key::RequestHeading) }</h2>
                        <p class="muted">{ text(lang, Key::FixErrorsFirst) }</p>
                    </section>
                };
            }
        },
    };
    let key = if state.idempotency_key.is_empty() {
        "00000000-0000-4000-8000-000000000000".to_owned()
    } else {
        state.idempotency_key.clone()
    };
    let client_token = client_token_for(&key).unwrap_or_else(|_| "spotplan-draft".into());
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_else(|| "http://127.0.0.1:8787".into());
    let options = SnippetOptions {
        client_token,
        idempotency_key: key,
        proxy_url: origin,
    };
    let snippet = render(&valid, state.format, &options);
    // A placeholder reads as typed in most formats and percent-encoded in a URL's query: mark both.
    let marks: Vec<String> = placeholders
        .iter()
        .flat_map(|p| [p.clone(), p.replace('<', "%3C").replace('>', "%3E")])
        .collect();
    let on_copy = {
        let (copied, snippet_text, format) = (copied.clone(), snippet.text.clone(), state.format);
        Callback::from(move |_: MouseEvent| {
            let (copied, text) = (copied.clone(), snippet_text.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if copy_text(text).await {
                    copied.set(Some(format));
                }
            });
        })
    };
    let on_download = {
        let order = order.clone();
        Callback::from(move |_: MouseEvent| {
            let json = serde_json::to_string_pretty(&order).unwrap_or_default();
            download(&format!("spotplan-{}-order.json", order.cloud.id()), &json);
        })
    };
    html! {
        <section aria-labelledby="request-heading" class="request-view">
            <h2 id="request-heading">{ text(lang, Key::RequestHeading) }</h2>
            <div role="tablist" aria-label={text(lang, Key::RequestHeading)} class="tabs">
                { for Format::ALL.into_iter().map(|format| {
                    let state = state.clone();
                    let copied = copied.clone();
                    let selected = state.format == format;
                    html! {
                        <button role="tab" id={format!("tab-{}", format.id())} aria-selected={selected.to_string()}
                            aria-controls="snippet" tabindex={if selected { "0" } else { "-1" }}
                            onclick={Callback::from(move |_: MouseEvent| { copied.set(None); state.dispatch(Action::SetFormat(format)) })}>
                            { tab_label(format) }
                        </button>
                    }
                }) }
            </div>
            <div role="tabpanel" id="snippet" aria-labelledby={format!("tab-{}", state.format.id())}>
                <div class="snippet-actions">
                    <button onclick={on_copy} data-testid="copy-snippet">
                        { if *copied == Some(state.format) { text(lang, Key::Copied) } else { text(lang, Key::Copy) } }
                    </button>
                    <span role="status" class="muted">{ if *copied == Some(state.format) { "✔" } else { "" } }</span>
                    <button onclick={on_download}>{ text(lang, Key::DownloadJson) }</button>
                </div>
                if !placeholders.is_empty() {
                    <p class="placeholder-note" role="note" data-testid="placeholder-note">
                        { match lang {
                            Lang::En => format!("Still missing: {}. The request shows a placeholder in each — copy it and fill them in, or type them above to place the order.", placeholders.join(", ")),
                            Lang::Zh => format!("尚缺：{}。请求中以占位符标出——可复制后自行填写，或在上方填写后下单。", placeholders.join("、")),
                        } }
                    </p>
                }
                <pre class={format!("snippet lang-{}", snippet.language)} data-testid="snippet"><code>
                    { highlighted(&snippet.text, &snippet.language, &marks) }
                </code></pre>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn placeholders_are_split_out_wherever_they_are() {
        let marks = ["<ImageId>".to_owned(), "%3CImageId%3E".to_owned()];
        assert_eq!(
            split_marks("a=%3CImageId%3E&b='<ImageId>'", &marks),
            [
                ("a=".to_owned(), false),
                ("%3CImageId%3E".to_owned(), true),
                ("&b='".to_owned(), false),
                ("<ImageId>".to_owned(), true),
                ("'".to_owned(), false),
            ]
        );
        assert_eq!(split_marks("plain", &marks), [("plain".to_owned(), false)]);
    }
}
