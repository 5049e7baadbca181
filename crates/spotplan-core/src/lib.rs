//! Spotplan's core: the three clouds, exact money, the embedded price catalog, planning and bid advice, bid
//! validation, request construction and the snippets, the typed API between the browser and the proxy, fleets
//! and the instance lifecycle's readings.
//!
//! Architecture invariant: this crate does no I/O, reads no clock and draws no randomness. Time, nonces and
//! tokens are arguments. It builds natively and for `wasm32-unknown-unknown`, where the browser runs it.

// The crate's unit tests also run under wasm-bindgen-test, in headless Chromium.
#[cfg(all(test, target_arch = "wasm32"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

pub mod advice;
pub mod api;
pub mod billing;
pub mod catalog;
pub mod cloud_id;
pub mod clouds;
pub mod display;
pub mod fleet;
pub mod fx;
pub mod lifecycle;
pub mod money;
pub mod order;
pub mod plan;
pub mod quote;

/// UTC calendar time (the workspace's one calendar module).
pub use spotplan_time as time;

pub use clouds::Cloud;
pub use fx::ExchangeRate;
pub use money::{Currency, Money, MoneyError, PriceRate, TimeUnit};
pub use plan::{Candidate, Plan, Planner, Requirement};
