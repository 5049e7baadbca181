//! A number input that keeps what the person types: clearing it and typing anew never snaps to a default, a value
//! that is not valid yet stays in the field with the problem beside it (naming the field, the rule and the value),
//! and only a valid value reaches the plan. A value set elsewhere (the URL, a recent plan, back and forward)
//! replaces the text unless the person is mid-correction.

use rust_decimal::Decimal;
use spotplan_core::plan::MAX_JOB_HOURS;
use yew::prelude::*;

use crate::i18n::Lang;

/// Typed text the field's rule does not accept (the field names the rule and the value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the text does not meet the field's rule")]
pub struct NotValid;

/// What a field accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// A whole number, 0 or more; empty means "no limit".
    OptionalWhole,
    /// A decimal, 0 or more; empty means "no limit".
    OptionalDecimal,
    /// A whole number, 1 or more; required.
    AtLeastOne,
    /// A decimal above 0; required.
    Positive,
    /// A percentage from 0 to 100; required.
    Percent,
    /// A whole number, 0 or more; required.
    Whole,
    /// A whole number, 1 or more; empty means "none".
    OptionalAtLeastOne,
    /// A decimal above 0; empty means "none".
    OptionalPositive,
    /// A job's hours: above 0, at most [`MAX_JOB_HOURS`]; required.
    Hours,
}

impl Rule {
    /// What the rule accepts, in words.
    pub fn describe(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Rule::OptionalWhole, Lang::En) => "a whole number of 0 or more, or empty for no limit",
            (Rule::OptionalWhole, Lang::Zh) => "须为 0 或以上的整数，留空表示不限",
            (Rule::OptionalDecimal, Lang::En) => "a number of 0 or more, or empty for no limit",
            (Rule::OptionalDecimal, Lang::Zh) => "须为 0 或以上的数字，留空表示不限",
            (Rule::AtLeastOne, Lang::En) => "a whole number of 1 or more",
            (Rule::AtLeastOne, Lang::Zh) => "须为 1 或以上的整数",
            (Rule::Hours, Lang::En) => "a number of hours above 0 and at most 87,600 (ten years)",
            (Rule::Hours, Lang::Zh) => "须为大于 0 且不超过 87,600（十年）的小时数",
            (Rule::Positive, Lang::En) => "a number above 0",
            (Rule::Positive, Lang::Zh) => "须为大于 0 的数字",
            (Rule::Percent, Lang::En) => "a percentage from 0 to 100",
            (Rule::Percent, Lang::Zh) => "须为 0 到 100 之间的百分数",
            (Rule::Whole, Lang::En) => "a whole number of 0 or more",
            (Rule::Whole, Lang::Zh) => "须为 0 或以上的整数",
            (Rule::OptionalAtLeastOne, Lang::En) => "a whole number of 1 or more, or empty for none",
            (Rule::OptionalAtLeastOne, Lang::Zh) => "须为 1 或以上的整数，留空表示不设",
            (Rule::OptionalPositive, Lang::En) => "a number above 0, or empty for none",
            (Rule::OptionalPositive, Lang::Zh) => "须为大于 0 的数字，留空表示不设",
        }
    }

    /// Reads typed text: `Ok(None)` for an empty optional field, the number when valid.
    pub fn read(self, text: &str) -> Result<Option<Decimal>, NotValid> {
        let text = text.trim();
        if text.is_empty() {
            return match self {
                Rule::OptionalWhole | Rule::OptionalDecimal | Rule::OptionalAtLeastOne | Rule::OptionalPositive => {
                    Ok(None)
                }
                _ => Err(NotValid),
            };
        }
        // A plain decimal only: the parser would also take "1_0" as 10, a digit group nobody meant as one.
        let plain = text
            .trim_start_matches(['-', '+'])
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.');
        if !plain {
            return Err(NotValid);
        }
        let number: Decimal = text.parse().map_err(|_| NotValid)?;
        let whole = number.fract().is_zero();
        let valid = match self {
            Rule::OptionalWhole | Rule::Whole => whole && number >= Decimal::ZERO && number <= Decimal::from(u32::MAX),
            Rule::AtLeastOne | Rule::OptionalAtLeastOne => {
                whole && number >= Decimal::ONE && number <= Decimal::from(u32::MAX)
            }
            Rule::OptionalDecimal => number >= Decimal::ZERO,
            Rule::Positive | Rule::OptionalPositive => number > Decimal::ZERO,
            Rule::Hours => number > Decimal::ZERO && number <= Decimal::from(MAX_JOB_HOURS),
            Rule::Percent => number >= Decimal::ZERO && number <= Decimal::from(100),
        };
        if valid {
            Ok(Some(number.normalize()))
        } else {
            Err(NotValid)
        }
    }

    /// The problem with typed text, naming the field, the rule and the value; `None` when it is valid.
    pub fn problem(self, lang: Lang, field: &str, text: &str) -> Option<String> {
        self.read(text).err().map(|NotValid| {
            let rule = self.describe(lang);
            match lang {
                Lang::En if text.trim().is_empty() => format!("{field} is needed: {rule}"),
                Lang::En => format!("{field} must be {rule}, not “{}”", text.trim()),
                Lang::Zh if text.trim().is_empty() => format!("请填写{field}：{rule}"),
                Lang::Zh => format!("{field}{rule}，而不是“{}”", text.trim()),
            }
        })
    }
}

/// Properties of a number field.
#[derive(Debug, Clone, PartialEq, Properties)]
pub struct NumberFieldProps {
    /// The visible label (also names the field in problems).
    pub label: AttrValue,
    /// The input's id (the problem's id derives from it).
    pub id: AttrValue,
    /// The value the plan holds, as text (empty for none).
    pub value: AttrValue,
    /// What the field accepts.
    pub rule: Rule,
    /// The UI language.
    pub lang: Lang,
    /// Receives a valid value (`None` for an empty optional field).
    pub on_value: Callback<Option<Decimal>>,
    /// Receives the text shown when the plan cannot hold it (`Some`), and `None` once it does again.
    #[prop_or_default]
    pub on_unread: Callback<Option<String>>,
    /// The text the field showed that the plan does not hold, as the app kept it: shown again when the field
    /// comes back (another page and back), so what was typed is neither lost nor silently replaced.
    #[prop_or_default]
    pub unread: Option<String>,
    /// Whether the plan holds 0 as "none" (GPUs at least: 0 is no GPU filter), so a typed "0" stays shown while the
    /// plan holds none rather than vanish under the cursor.
    #[prop_or_default]
    pub zero_is_none: bool,
}

/// The field.
#[component]
pub fn NumberField(props: &NumberFieldProps) -> Html {
    // The text as typed: shown while it is not valid yet (kept by the app across pages), or while it says what the
    // plan holds (so "0.50" is not rewritten to "0.5" under the cursor); a value the plan takes from elsewhere
    // replaces valid text, and text the plan could not use goes once the app lets it go (back or forward).
    let typed = use_state(|| props.unread.clone());
    {
        let (typed, rule) = (typed.clone(), props.rule);
        use_effect_with(props.unread.clone(), move |unread| {
            if unread.is_none() && typed.as_deref().is_some_and(|text| rule.read(text).is_err()) {
                typed.set(None);
            }
        });
    }
    let problem = typed
        .as_deref()
        .and_then(|text| props.rule.problem(props.lang, &props.label, text));
    let held = |text: &str| match props.rule.read(text) {
        Ok(Some(number)) if props.zero_is_none && number.is_zero() => Ok(None),
        read => read,
    };
    let shown = match typed.as_deref() {
        Some(text) if problem.is_some() || held(text) == held(&props.value) => text.to_owned(),
        _ => props.value.to_string(),
    };
    let oninput = {
        let (typed, rule) = (typed.clone(), props.rule);
        let (on_value, on_unread) = (props.on_value.clone(), props.on_unread.clone());
        Callback::from(move |event: InputEvent| {
            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
            let text = input.value();
            match rule.read(&text) {
                Ok(number) => {
                    on_value.emit(number);
                    on_unread.emit(None);
                }
                Err(NotValid) => on_unread.emit(Some(text.clone())),
            }
            typed.set(Some(text));
        })
    };
    let problem_id = format!("{}-problem", props.id);
    html! {
        <label class="number-field">{ &props.label }
            <input id={props.id.clone()} type="text" inputmode="decimal" autocomplete="off" value={shown}
                aria-invalid={problem.is_some().to_string()} aria-describedby={problem.is_some().then(|| problem_id.clone())}
                oninput={oninput} />
            if let Some(problem) = problem {
                <span id={problem_id} class="field-problem error" role="status">{ format!("✖ {problem}") }</span>
            }
        </label>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn typed_text_is_read_by_the_rule_and_bad_text_is_named() {
        assert_eq!(Rule::Positive.read("48"), Ok(Some(Decimal::from(48))));
        assert_eq!(Rule::Positive.read(" 0.50 "), Ok(Some(Decimal::new(5, 1))));
        assert_eq!(Rule::Positive.read(""), Err(NotValid));
        assert_eq!(Rule::Positive.read("0"), Err(NotValid));
        for not_plain in ["1_0", "1,000", "1e3", "0x10", "1 000"] {
            assert_eq!(Rule::Whole.read(not_plain), Err(NotValid), "{not_plain}");
        }
        assert_eq!(Rule::Hours.read("87600"), Ok(Some(Decimal::from(87_600))));
        assert_eq!(Rule::Hours.read("87600.5"), Err(NotValid));
        assert_eq!(Rule::Hours.read("1e30"), Err(NotValid));
        assert_eq!(Rule::Hours.read("0"), Err(NotValid));
        assert_eq!(Rule::OptionalWhole.read(""), Ok(None));
        assert_eq!(Rule::OptionalWhole.read("-5"), Err(NotValid));
        assert_eq!(Rule::OptionalWhole.read("2.5"), Err(NotValid));
        assert_eq!(Rule::AtLeastOne.read("0"), Err(NotValid));
        assert_eq!(Rule::Percent.read("101"), Err(NotValid));
        assert_eq!(Rule::Percent.read("12.5"), Ok(Some(Decimal::new(125, 1))));
        assert_eq!(
            Rule::OptionalWhole.problem(Lang::En, "vCPU from", "-5").as_deref(),
            Some("vCPU from must be a whole number of 0 or more, or empty for no limit, not “-5”")
        );
        assert_eq!(
            Rule::Positive.problem(Lang::En, "Hours", " ").as_deref(),
            Some("Hours is needed: a number above 0")
        );
        assert_eq!(Rule::Positive.problem(Lang::En, "Hours", "48"), None);
    }
}
