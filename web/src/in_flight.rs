//! The keys of real orders that are on their way or whose outcome is unknown, kept in this tab's sessionStorage
//! until each outcome is final — so a reload does not forget an order that may exist: the page comes back with a
//! note naming each (see [`crate::state::EarlierOrder`]) until the person dismisses it. Every such order is kept,
//! not only the last: a second order placed (and settled) after a first whose outcome is unknown must not make a
//! reload forget the first.

const ITEM: &str = "spotplan.orders-in-flight";

/// At most this many keys are kept (the oldest go first): the Orders page lists every order anyway.
const MAX_KEYS: usize = 20;

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|window| window.session_storage().ok().flatten())
}

fn write(keys: &[String]) {
    if let Some(storage) = storage() {
        let _ = if keys.is_empty() {
            storage.remove_item(ITEM)
        } else {
            storage.set_item(ITEM, &keys.join(" "))
        };
    }
}

/// `key`'s real order is on its way.
pub fn remember(key: &str) {
    let mut keys = recall();
    if !keys.iter().any(|known| known == key) {
        keys.push(key.to_owned());
    }
    let excess = keys.len().saturating_sub(MAX_KEYS);
    write(&keys[excess..]);
}

/// `key`'s order has a final outcome (or the person dismissed the note): nothing to recall for it.
pub fn forget(key: &str) {
    let mut keys = recall();
    let before = keys.len();
    keys.retain(|known| known != key);
    if keys.len() != before {
        write(&keys);
    }
}

/// The keys of orders the page was reloaded without knowing the outcome of, oldest first. (Keys are letters,
/// digits, `-` and `_`, so a space separates them.)
pub fn recall() -> Vec<String> {
    storage()
        .and_then(|storage| storage.get_item(ITEM).ok().flatten())
        .map(|text| text.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn every_unsettled_order_is_kept_and_a_settled_one_forgets_only_itself() {
        for key in recall() {
            forget(&key);
        }
        remember("k1a2b3c4d");
        remember("k5e6f7g8h");
        remember("k5e6f7g8h");
        forget("k5e6f7g8h");
        assert_eq!(recall(), ["k1a2b3c4d"], "the first order, still unknown, is recalled");
        for index in 0..MAX_KEYS + 3 {
            remember(&format!("k{index:08}"));
        }
        let kept = recall();
        assert_eq!(kept.len(), MAX_KEYS);
        assert_eq!(
            kept.last().map(String::as_str),
            Some(format!("k{:08}", MAX_KEYS + 2).as_str())
        );
        for key in kept {
            forget(&key);
        }
        assert_eq!(recall(), Vec::<String>::new());
    }
}
