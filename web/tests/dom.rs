//! DOM tests: mount the real app in a browser page and read what a person would see. wasm32 only.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

use std::time::Duration;

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// How long a test waits for the page to reach the state it expects before it fails.
const STATE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often it looks.
const POLL_EVERY: Duration = Duration::from_millis(10);

/// Waits until `ready` holds, looking every [`POLL_EVERY`]; fails naming `what` after [`STATE_TIMEOUT`], with the
/// beginning of the text of `root` at that moment.
async fn wait_until(root: &web_sys::Element, what: &str, ready: impl Fn(&web_sys::Element) -> bool) {
    let tries = STATE_TIMEOUT.as_millis() / POLL_EVERY.as_millis();
    for _ in 0..tries {
        if ready(root) {
            return;
        }
        yew::platform::time::sleep(POLL_EVERY).await;
    }
    let shown: String = root.text_content().unwrap_or_default().chars().take(500).collect();
    panic!("waited {STATE_TIMEOUT:?} for {what}; the page begins: {shown}");
}

/// Whether `root` holds an element matching `selector`.
fn has(root: &web_sys::Element, selector: &str) -> bool {
    root.query_selector(selector).ok().flatten().is_some()
}

/// The text of the element matching `selector` in `root`, if there is one.
fn text_of(root: &web_sys::Element, selector: &str) -> Option<String> {
    root.query_selector(selector).ok().flatten()?.text_content()
}

#[wasm_bindgen_test]
async fn app_renders_title_ranked_offers_and_a_chart_of_the_plan() {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<spotplan_web::App>::with_root(root.clone()).render();
    wait_until(&root, "the first ranked row and the best candidates' chart", |root| {
        has(root, "[data-testid=ranked-table] tbody tr td") && has(root, "[data-testid=chart-best] svg")
    })
    .await;
    assert_eq!(text_of(&root, "h1").as_deref(), Some("Spotplan"));
    let summary = text_of(&root, "[data-testid=plan-summary]").unwrap();
    assert!(summary.starts_with("470 offers match."), "{summary}");
}

/// Mounts the app in a fresh element, with no remembered language and no plan in the URL (the tests share one
/// page), and waits for its first ranked rows.
async fn mounted() -> web_sys::Element {
    let window = web_sys::window().unwrap();
    window.local_storage().unwrap().unwrap().clear().unwrap();
    let path = window.location().pathname().unwrap();
    window
        .history()
        .unwrap()
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path))
        .unwrap();
    let document = window.document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<spotplan_web::App>::with_root(root.clone()).render();
    wait_until(&root, "the first ranked row", |root| {
        has(root, "[data-testid=ranked-table] tbody tr td")
    })
    .await;
    root
}

fn click(root: &web_sys::Element, selector: &str) {
    use wasm_bindgen::JsCast;
    let element = root
        .query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("no {selector}"));
    element.dyn_ref::<web_sys::HtmlElement>().unwrap().click();
}

#[wasm_bindgen_test]
async fn choosing_an_offer_opens_its_bid_panel_with_the_cores_problems() {
    let root = mounted().await;
    // The first row's cloud, place and type name the offer in the panel's heading.
    let row = "[data-testid=ranked-table] tbody tr:not([aria-hidden])";
    let cell = |column: &str| {
        let cell = root
            .query_selector(&format!("{row} td[data-col={column}]"))
            .unwrap()
            .unwrap();
        (
            cell.text_content().unwrap(),
            cell.get_attribute("title").unwrap_or_default(),
        )
    };
    // The cloud's badge carries its full name on hover.
    let expected_heading = format!(
        "Bid: {} {} · {}",
        cell("cloud").1,
        cell("instance_type").0,
        cell("place").0
    );
    click(&root, "[data-testid=ranked-table] tbody tr td button");
    wait_until(&root, "the bid panel with the image id's problem", |root| {
        has(root, "#bid-heading") && has(root, "#problems-image_id")
    })
    .await;
    assert_eq!(text_of(&root, "#bid-heading"), Some(expected_heading));
    assert_eq!(
        text_of(&root, "#problems-image_id").as_deref(),
        Some("✖ an image id is required [MissingParameter]")
    );
}

#[wasm_bindgen_test]
async fn switching_to_chinese_translates_the_form_and_the_table() {
    use wasm_bindgen::JsCast;
    let root = mounted().await;
    let select = root
        .query_selector(".lang select")
        .unwrap()
        .unwrap()
        .dyn_into::<web_sys::HtmlSelectElement>()
        .unwrap();
    select.set_value("zh");
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    select
        .dispatch_event(&web_sys::Event::new_with_event_init_dict("change", &init).unwrap())
        .unwrap();
    wait_until(&root, "the Chinese heading", |root| {
        root.text_content()
            .is_some_and(|text| text.contains("比较竞价实例报价"))
    })
    .await;
    let text = root.text_content().unwrap();
    assert!(text.contains("预计总费用"), "table header: {text}");
}

/// Types `value` into the input matching `selector` as a person would (an `input` event that bubbles).
fn type_into(root: &web_sys::Element, selector: &str, value: &str) {
    use wasm_bindgen::JsCast;
    let input = root
        .query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("no {selector}"))
        .dyn_into::<web_sys::HtmlInputElement>()
        .unwrap();
    input.set_value(value);
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    input
        .dispatch_event(&web_sys::Event::new_with_event_init_dict("input", &init).unwrap())
        .unwrap();
}

#[wasm_bindgen_test]
async fn the_fleet_page_splits_the_target_and_names_a_bad_target() {
    let root = mounted().await;
    click(&root, "#nav-fleet");
    wait_until(&root, "the fleet's split and totals", |root| {
        has(root, "#fleet-split tbody tr") && has(root, "#fleet-totals")
    })
    .await;
    let reached = text_of(&root, "#fleet-totals [data-total=reached] dd").unwrap();
    assert!(reached.starts_with("10 / 10"), "{reached}");
    // No proxy answers in the test runner: placing waits, and says why.
    let place = root.query_selector("#fleet-place").unwrap().unwrap();
    assert!(place.has_attribute("disabled"));
    assert!(has(&root, "#fleet-place-blockers li"));
    type_into(&root, "#fleet-target", "0");
    wait_until(&root, "the target's problem", |root| has(root, "#fleet-target-problem")).await;
    assert_eq!(
        text_of(&root, "#fleet-target-problem").as_deref(),
        Some("✖ Target must be a whole number of 1 or more, not “0”")
    );
    assert!(!has(&root, "#fleet-split"), "no plan while the target is not valid");
    // Back to the Plan page for the tests that share this page's address.
    let window = web_sys::window().unwrap();
    window.location().set_hash("").unwrap();
}
