//! The fleet form as typed, kept in this tab's sessionStorage so a reload (or a sign-in link opened in the tab)
//! brings back the target, caps, ceiling and name the person set rather than the defaults. Text that is not valid
//! yet is kept as typed too. (The form holds no secret.)

use crate::fleet_model::FleetForm;

const ITEM: &str = "spotplan.fleet-form";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|window| window.session_storage().ok().flatten())
}

/// Keeps the form as it stands.
pub fn remember(form: &FleetForm) {
    if let (Some(storage), Ok(json)) = (storage(), serde_json::to_string(form)) {
        let _ = storage.set_item(ITEM, &json);
    }
}

/// The form this tab last had, if any (a form the app can no longer read is left out: the defaults then).
pub fn recall() -> Option<FleetForm> {
    let json = storage()?.get_item(ITEM).ok().flatten()?;
    serde_json::from_str(&json).ok()
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_form_is_recalled_as_typed_even_where_it_is_not_valid_yet() {
        let form = FleetForm {
            target: "40".into(),
            ceiling: "12,5".into(),
            name: "render fleet".into(),
            ..FleetForm::default()
        };
        remember(&form);
        assert_eq!(recall(), Some(form));
    }
}
