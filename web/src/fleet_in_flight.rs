//! The fleet draft's send that is on its way or whose outcome is unknown, kept in this tab's sessionStorage
//! (its idempotency key and the body as sent) until the proxy answers it — so a reload does not forget a fleet
//! that may exist: the page comes back saying so, and "Place" sends that fleet again under its key, which the
//! proxy answers with the fleet it placed rather than placing a second. (The body holds no secret: fleet orders
//! carry no password.)

const ITEM: &str = "spotplan.fleet-in-flight";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|window| window.session_storage().ok().flatten())
}

/// `json` is on its way under `key`.
pub fn remember(key: &str, json: &str) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(ITEM, &format!("{key}\n{json}"));
    }
}

/// The send has an answer that settles it (placed, or refused before anything was logged).
pub fn forget() {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(ITEM);
    }
}

/// The key and body of a send the page was reloaded without an answer to. (Keys hold no line break.)
pub fn recall() -> Option<(String, String)> {
    let text = storage()?.get_item(ITEM).ok().flatten()?;
    let (key, json) = text.split_once('\n')?;
    Some((key.to_owned(), json.to_owned()))
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_send_is_recalled_until_it_is_forgotten() {
        forget();
        assert_eq!(recall(), None);
        remember("k1a2b3c4d", r#"{"target":2}"#);
        assert_eq!(recall(), Some(("k1a2b3c4d".to_owned(), r#"{"target":2}"#.to_owned())));
        forget();
        assert_eq!(recall(), None);
    }
}
