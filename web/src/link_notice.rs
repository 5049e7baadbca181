//! The note over the plan when a link's parts could not be used (`n=-3`, `c=alibab`): each is named with the
//! rule it broke and what is shown instead, so a shared link never quietly turns into another plan.

use yew::prelude::*;

use crate::i18n::Lang;
use crate::url_state::{Ignored, IgnoredBecause};

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

/// A part of the link the plan could not use, in the UI language.
pub fn ignored_link_part(lang: Lang, ignored: &Ignored) -> String {
    let part = &ignored.part;
    let clouds = || spotplan_core::Cloud::ALL.map(|cloud| cloud.id()).join(", ");
    match (lang, &ignored.because) {
        (Lang::En, IgnoredBecause::Number(rule)) => {
            format!(
                "The link's “{part}” was not used: it must be {}. The default is shown instead.",
                rule.describe(lang)
            )
        }
        (Lang::En, IgnoredBecause::OneOf(words)) => format!(
            "The link's “{part}” was not used: it must be one of {}. The default is shown instead.",
            words.join(", ")
        ),
        (Lang::En, IgnoredBecause::UnknownClouds { unknown, none_left }) => format!(
            "The link's “{part}” names clouds Spotplan does not know: {} (it knows {}).{}",
            unknown.join(", "),
            clouds(),
            if *none_left {
                " No known cloud is left, so every cloud is shown."
            } else {
                " They are left out."
            }
        ),
        (Lang::En, IgnoredBecause::Offer) => format!(
            "The link's “{part}” was not used: a chosen offer is cloud:region:zone:type, the cloud one of {}.",
            clouds()
        ),
        (Lang::Zh, IgnoredBecause::Number(rule)) => {
            format!("链接中的“{part}”未被采用：{}。已改用默认值。", rule.describe(lang))
        }
        (Lang::Zh, IgnoredBecause::OneOf(words)) => {
            format!(
                "链接中的“{part}”未被采用：须为 {} 之一。已改用默认值。",
                words.join("、")
            )
        }
        (Lang::Zh, IgnoredBecause::UnknownClouds { unknown, none_left }) => format!(
            "链接中的“{part}”含有未知的云：{}（可用：{}）。{}",
            unknown.join("、"),
            clouds(),
            if *none_left {
                "没有剩下已知的云，因此显示所有云。"
            } else {
                "已略去。"
            }
        ),
        (Lang::Zh, IgnoredBecause::Offer) => format!(
            "链接中的“{part}”未被采用：所选报价须写成 云:地域:可用区:实例规格，云为 {} 之一。",
            clouds()
        ),
        (Lang::En, IgnoredBecause::AccountSite) => format!(
            "The link's “{part}” was not all used: an account site is cloud:currency, the cloud one of {} and the \
             currency CNY or USD. A cloud not named right is read as a China-site account (CNY).",
            clouds()
        ),
        (Lang::Zh, IgnoredBecause::AccountSite) => format!(
            "链接中的“{part}”未被全部采用：账号站点须写成 云:币种，云为 {} 之一，币种为 CNY 或 USD。未正确写出的云按中国站账号（人民币）处理。",
            clouds()
        ),
    }
}
