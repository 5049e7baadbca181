//! Idempotency keys for draft orders: one per draft, kept across retries so the proxy never places it twice.

/// A new idempotency key (a random UUID from the browser's crypto, or a random number where that is missing).
pub fn new_key() -> String {
    web_sys::window()
        .and_then(|window| window.crypto().ok())
        .map(|crypto| crypto.random_uuid())
        .unwrap_or_else(|| format!("draft-{:016x}", (js_sys::Math::random() * 1e16) as u64))
}
