//! Spotplan's web front end: Yew components that run the core in wasm and talk to the proxy with gloo-net.
//!
//! Architecture invariant: this crate never signs a request and never sees a credential; it sends typed orders
//! to the proxy, which does both.

// The crate's unit tests also run under wasm-bindgen-test, in headless Chromium.
#[cfg(all(test, target_arch = "wasm32"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

pub mod account_resources;
pub mod account_sites;
pub mod api;
pub mod app;
pub mod bench;
pub mod best_picks;
pub mod bid_panel;
pub mod charts_panel;
pub mod columns;
pub mod compare;
pub mod draft_key;
pub mod fleet_form_memory;
pub mod fleet_in_flight;
pub mod fleet_model;
pub mod fleet_orders;
pub mod fleet_page;
pub mod fleet_place;
pub mod fleet_view;
pub mod health;
pub mod highlight;
pub mod i18n;
pub mod in_flight;
pub mod instances_page;
pub mod known;
pub mod launch_memory;
pub mod layout;
pub mod link_notice;
pub mod live_prices;
pub mod number_field;
pub mod offer_table;
pub mod orders_page;
pub mod person_filter;
pub mod price_cache;
pub mod refresh_panel;
pub mod request_view;
pub mod resource_pickers;
pub mod sign_in_form;
pub mod snippet_tabs;
pub mod state;
pub mod submit;
pub mod svg_charts;
pub mod unread_text;
pub mod url_state;

pub use app::App;
