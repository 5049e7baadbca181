//! The person filter of the orders and instances pages (team mode): who placed the loaded rows, the person chosen
//! while they are among them, and the select that chooses.

use yew::prelude::*;

use crate::i18n::{Key, Lang, text};

/// The people who placed `placers` (team mode), each once and sorted; empty when nobody is named (single-user
/// mode, where the page shows no person column and no filter).
pub(crate) fn people<'a>(placers: impl Iterator<Item = Option<&'a str>>) -> Vec<String> {
    let names: std::collections::BTreeSet<&str> = placers.flatten().collect();
    names.into_iter().map(str::to_owned).collect()
}

/// The person chosen in the filter while they are among `people`; otherwise everyone (`None`), so a choice left
/// over from an earlier answer never hides rows the filter does not show as chosen.
pub(crate) fn chosen_person<'a>(chosen: &'a Option<String>, people: &[String]) -> Option<&'a str> {
    chosen
        .as_deref()
        .filter(|name| people.iter().any(|person| person == name))
}

/// Whether a row placed by `placed_by` passes the person filter.
pub(crate) fn shown_for(placed_by: Option<&str>, chosen: Option<&str>) -> bool {
    chosen.is_none_or(|name| placed_by == Some(name))
}

/// Properties of the person filter.
#[derive(Debug, Properties, PartialEq)]
pub(crate) struct PersonFilterProps {
    /// The UI language.
    pub lang: Lang,
    /// The people to choose from, sorted.
    pub people: Vec<String>,
    /// The person chosen, or everyone.
    pub chosen: Option<String>,
    /// Called with the new choice (`None` for everyone).
    pub on_choose: Callback<Option<String>>,
}

/// Team mode: a select of "Everyone" and each person who placed a loaded row.
#[component]
pub(crate) fn PersonFilter(props: &PersonFilterProps) -> Html {
    let lang = props.lang;
    let on_change = {
        let on_choose = props.on_choose.clone();
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            let value = select.value();
            on_choose.emit((!value.is_empty()).then_some(value));
        })
    };
    html! {
        <label class="person-filter">{ text(lang, Key::Person) }
            <select id="person-filter" data-testid="person-filter" onchange={on_change}>
                <option value="" selected={props.chosen.is_none()}>{ text(lang, Key::Everyone) }</option>
                { for props.people.iter().map(|person| html! {
                    <option key={person.clone()} value={person.clone()} selected={props.chosen.as_ref() == Some(person)}>{ person }</option>
                }) }
            </select>
        </label>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_people_are_each_named_once_and_sorted() {
        let placers = [Some("bob"), None, Some("alice"), Some("bob")];
        assert_eq!(people(placers.into_iter()), ["alice", "bob"]);
        assert!(
            people([None, None].into_iter()).is_empty(),
            "single-user mode names nobody"
        );
    }

    #[test]
    fn the_filter_shows_the_chosen_persons_rows_or_everyones() {
        let known = vec!["alice".to_owned(), "bob".to_owned()];
        let bob = Some("bob".to_owned());
        assert_eq!(chosen_person(&bob, &known), Some("bob"));
        assert_eq!(
            chosen_person(&Some("carol".to_owned()), &known),
            None,
            "gone from the answer: everyone"
        );
        assert!(shown_for(Some("bob"), Some("bob")));
        assert!(!shown_for(Some("alice"), Some("bob")));
        assert!(!shown_for(None, Some("bob")));
        assert!(shown_for(None, None) && shown_for(Some("alice"), None));
    }
}
