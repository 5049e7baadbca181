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
