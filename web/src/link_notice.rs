//! The note over the plan when a link's parts could not be used (`n=-3`, `c=alibab`): each is named with the
//! rule it broke and what is shown instead, so a shared link never quietly turns into another plan.

use yew::prelude::*;

use crate::i18n::Lang;
use crate::url_state::{Ignored, ignored_link_part};

/// Properties: the parts not used, the language, and what "dismiss" does.
#[derive(Debug, Clone, PartialEq, Properties)]
pub struct LinkNoticeProps {
    /// The link's parts the plan could not use.
    pub ignored: Vec<Ignored>,
    /// The UI language.
    pub lang: Lang,
    /// The person has read the note.
    pub on_dismiss: Callback<()>,
}

/// The note, or nothing when every part was used.
#[component]
pub fn LinkNotice(props: &LinkNoticeProps) -> Html {
    if props.ignored.is_empty() {
        return html! {};
    }
    let lang = props.lang;
    let dismiss = props.on_dismiss.reform(|_: MouseEvent| ());
    html! {
        <div class="link-notice warning" role="status" data-testid="link-ignored">
            <ul>
                { for props.ignored.iter().map(|ignored| html! { <li>{ format!("⚠ {}", ignored_link_part(lang, ignored)) }</li> }) }
            </ul>
            <button onclick={dismiss}>{ if lang == Lang::Zh { "知道了" } else { "Dismiss" } }</button>
        </div>
    }
}
