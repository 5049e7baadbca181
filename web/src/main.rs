//! The browser entry point: mounts [`spotplan_web::App`] on the page's `<body>`.

fn main() {
    yew::Renderer::<spotplan_web::App>::new().render();
}
