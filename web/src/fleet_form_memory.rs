//! The fleet form as typed, kept in this tab's sessionStorage so a reload (or a sign-in link opened in the tab)
//! brings back the target, caps, ceiling and name the person set rather than the defaults. Text that is not valid
//! yet is kept as typed too. (The form holds no secret.)

use spotplan_core::Currency;

use crate::fleet_model::FleetForm;

const ITEM: &str = "spotplan.fleet-form";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|window| window.session_storage().ok().flatten())
}

/// The form and the currency its amounts (cap, ceiling) were typed in.
#[derive(serde::Serialize, serde::Deserialize)]
struct Kept {
    currency: Currency,
    form: FleetForm,
}

/// Keeps the form as it stands, its amounts typed in `currency`.
pub fn remember(form: &FleetForm, currency: Currency) {
    let kept = Kept {
        currency,
        form: form.clone(),
    };
    if let (Some(storage), Ok(json)) = (storage(), serde_json::to_string(&kept)) {
        let _ = storage.set_item(ITEM, &json);
    }
}

/// The form this tab last had, if any (a form the app can no longer read is left out: the defaults then). Its
/// cap and ceiling were typed in another currency than `currency` the page shows now: they are left empty, never
/// read as amounts of the other currency.
pub fn recall(currency: Currency) -> Option<FleetForm> {
    let json = storage()?.get_item(ITEM).ok().flatten()?;
    let Kept {
        currency: typed_in,
        mut form,
    } = serde_json::from_str(&json).ok()?;
    if typed_in != currency {
        form.cap.clear();
        form.ceiling.clear();
    }
    Some(form)
}

/// Lets the form go (its fleet was placed).
pub fn forget() {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(ITEM);
    }
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
        remember(&form, Currency::Cny);
        assert_eq!(recall(Currency::Cny), Some(form.clone()));
        // Shown in dollars now: 12.5 yuan is not read as 12.5 dollars.
        let in_dollars = recall(Currency::Usd).expect("kept");
        assert_eq!((in_dollars.ceiling.as_str(), in_dollars.target.as_str()), ("", "40"));
        forget();
        assert_eq!(recall(Currency::Cny), None);
    }
}
