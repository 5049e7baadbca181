//! DOM tests: mount the real app in a browser page and read what a person would see. wasm32 only.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn app_renders_title_core_example_and_chart() {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<spotplan_web::App>::with_root(root.clone()).render();
    yew::platform::time::sleep(std::time::Duration::from_millis(50)).await;
    let text = root.text_content().unwrap();
    assert!(text.contains("Spotplan"), "{text}");
    assert!(text.contains("0.0052 CNY/minute = 0.312 CNY/hour"), "{text}");
    assert!(root.query_selector("[data-testid=cost-chart] svg").unwrap().is_some());
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
    for _ in 0..100 {
        if root
            .query_selector("[data-testid=ranked-table] tbody tr td")
            .unwrap()
            .is_some()
        {
            break;
        }
        yew::platform::time::sleep(std::time::Duration::from_millis(20)).await;
    }
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
    click(&root, "[data-testid=ranked-table] tbody tr td button");
    yew::platform::time::sleep(std::time::Duration::from_millis(50)).await;
    let heading = root
        .query_selector("#bid-heading")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap();
    assert!(heading.starts_with("Bid: "), "{heading}");
    let problems = root
        .query_selector("#problems-image_id")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap();
    assert!(
        problems.contains("an image id is required [MissingParameter]"),
        "{problems}"
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
    yew::platform::time::sleep(std::time::Duration::from_millis(50)).await;
    let text = root.text_content().unwrap();
    assert!(text.contains("比较竞价实例报价"), "heading");
    assert!(text.contains("预计总费用"), "table header");
}
