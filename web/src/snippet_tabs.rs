//! Snippets in tabs — highlighted, placeholders marked, each with a copy button, as the request view shows an
//! order's — and the same behind a `details` summary, rendered only once opened (a fleet's JSON is long to
//! highlight).

use std::rc::Rc;

use spotplan_core::order::format::Snippet;
use yew::prelude::*;

use crate::i18n::{Key, Lang, text};
use crate::request_view::{copy_text, highlighted, tab_label};

/// Properties of snippets behind a summary.
#[derive(Debug, Clone, PartialEq, Properties)]
pub struct LazySnippetsProps {
    /// The summary's text.
    pub summary: AttrValue,
    /// The snippets, one tab each.
    pub snippets: Rc<Vec<Snippet>>,
    /// Placeholders to mark in them.
    pub marks: Rc<Vec<String>>,
    /// Makes the ids unique on the page.
    pub id_prefix: AttrValue,
    /// The UI language.
    pub lang: Lang,
}

/// Snippets in a `details` element, rendered only once it is opened (a fleet's JSON is long to highlight).
#[component]
pub fn LazySnippets(props: &LazySnippetsProps) -> Html {
    let open = use_state(|| false);
    let on_toggle = {
        let open = open.clone();
        Callback::from(move |event: Event| {
            let details: web_sys::Element = event.target_unchecked_into();
            open.set(details.has_attribute("open"));
        })
    };
    html! {
        <details class="fleet-snippets" id={format!("{}-details", props.id_prefix)} ontoggle={on_toggle}>
            <summary>{ props.summary.clone() }</summary>
            if *open {
                <SnippetTabs snippets={props.snippets.clone()} marks={props.marks.clone()} id_prefix={props.id_prefix.clone()} lang={props.lang} />
            }
        </details>
    }
}

/// Properties of a set of snippets in tabs.
#[derive(Debug, Clone, PartialEq, Properties)]
pub struct SnippetTabsProps {
    /// The snippets, one tab each.
    pub snippets: Rc<Vec<Snippet>>,
    /// Placeholders to mark in them.
    pub marks: Rc<Vec<String>>,
    /// Makes the tabs' ids unique on the page.
    pub id_prefix: AttrValue,
    /// The UI language.
    pub lang: Lang,
}

/// Snippets in tabs, highlighted, each with a copy button, as the request view shows an order's.
#[component]
pub fn SnippetTabs(props: &SnippetTabsProps) -> Html {
    let shown = use_state(|| 0_usize);
    let copied = use_state(|| None::<usize>);
    let index = (*shown).min(props.snippets.len().saturating_sub(1));
    let Some(snippet) = props.snippets.get(index) else {
        return html! {};
    };
    let prefix = &props.id_prefix;
    let on_copy = {
        let (copied, text) = (copied.clone(), snippet.text.clone());
        Callback::from(move |_: MouseEvent| {
            let (copied, text) = (copied.clone(), text.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if copy_text(text).await {
                    copied.set(Some(index));
                }
            });
        })
    };
    html! {
        <div class="snippet-tabs">
            if props.snippets.len() > 1 {
                <div role="tablist" class="tabs">
                    { for props.snippets.iter().enumerate().map(|(i, s)| {
                        let (shown, copied) = (shown.clone(), copied.clone());
                        html! {
                            <button role="tab" id={format!("{prefix}-tab-{}", s.format.id())} aria-selected={(i == index).to_string()}
                                aria-controls={format!("{prefix}-panel")}
                                onclick={Callback::from(move |_: MouseEvent| { copied.set(None); shown.set(i) })}>
                                { tab_label(s.format) }
                            </button>
                        }
                    }) }
                </div>
            }
            <div role="tabpanel" id={format!("{prefix}-panel")}>
                <div class="snippet-actions">
                    <button onclick={on_copy} aria-label={format!("{} {}", text(props.lang, Key::Copy), tab_label(snippet.format))} data-testid={format!("{prefix}-copy")}>
                        { if *copied == Some(index) { text(props.lang, Key::Copied) } else { text(props.lang, Key::Copy) } }
                    </button>
                </div>
                <pre class={format!("snippet lang-{}", snippet.language)} data-testid={format!("{prefix}-snippet")}><code>
                    { highlighted(&snippet.text, &snippet.language, &props.marks) }
                </code></pre>
            </div>
        </div>
    }
}
