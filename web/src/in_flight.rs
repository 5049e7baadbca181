//! The key of a real order that is on its way or whose outcome is unknown, kept in this tab's sessionStorage until
//! its outcome is final — so a reload does not forget an order that may exist: the page comes back with a note
//! naming it (see [`crate::state::EarlierOrder`]) until the person dismisses it.

const ITEM: &str = "spotplan.order-in-flight";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|window| window.session_storage().ok().flatten())
}

/// `key`'s real order is on its way.
pub fn remember(key: &str) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(ITEM, key);
    }
}

/// `key`'s order has a final outcome (or the person dismissed the note): nothing to recall for it.
pub fn forget(key: &str) {
    if let Some(storage) = storage()
        && storage.get_item(ITEM).ok().flatten().as_deref() == Some(key)
    {
        let _ = storage.remove_item(ITEM);
    }
}

/// The key of an order the page was reloaded without knowing the outcome of.
pub fn recall() -> Option<String> {
    storage()?.get_item(ITEM).ok().flatten()
}
