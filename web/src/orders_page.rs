//! The orders page: the proxy's order log, newest first, with status, ids and hints.

use spotplan_core::api::orders::OrderRecord;
use yew::prelude::*;

use crate::i18n::{Key, Lang, text};

/// Properties of the orders page.
#[derive(Debug, Properties, PartialEq)]
pub struct OrdersPageProps {
    /// The UI language.
    pub lang: Lang,
}

#[derive(Debug, Clone, PartialEq)]
enum Load {
    Loading,
    Loaded(Vec<OrderRecord>),
    Failed(String),
}

async fn fetch_orders() -> Load {
    // Every error answer has one shape; a 401 says how to sign in.
    match crate::api::orders().await {
        Ok(list) => Load::Loaded(list.orders),
        Err(error) => Load::Failed(error.to_string()),
    }
}

/// The orders page.
#[component]
pub fn OrdersPage(props: &OrdersPageProps) -> Html {
    let lang = props.lang;
    let load = use_state(|| Load::Loading);
    let refresh = {
        let load = load.clone();
        Callback::from(move |_: ()| {
            let load = load.clone();
            load.set(Load::Loading);
            wasm_bindgen_futures::spawn_local(async move { load.set(fetch_orders().await) });
        })
    };
    {
        let refresh = refresh.clone();
        use_effect_with((), move |_| refresh.emit(()));
    }
    let body = match &*load {
        Load::Loading => html! { <p role="status">{ "…" }</p> },
        Load::Failed(message) => html! { <p role="alert" class="error">{ message }</p> },
        Load::Loaded(orders) if orders.is_empty() => html! { <p class="empty">{ text(lang, Key::NoOrders) }</p> },
        Load::Loaded(orders) => html! {
            <div class="table-scroll">
                <table data-testid="orders-table">
                    <thead><tr>
                        <th scope="col">{ "id" }</th><th scope="col">{ text(lang, Key::CloudWord) }</th><th scope="col">{ text(lang, Key::Region) }</th>
                        <th scope="col">{ text(lang, Key::Status) }</th><th scope="col">{ text(lang, Key::InstanceIds) }</th>
                        <th scope="col">{ "ClientToken" }</th><th scope="col">{ text(lang, Key::Hint) }</th>
                    </tr></thead>
                    <tbody>
                        { for orders.iter().map(|order| {
                            let status = format!("{}{}", order.status.as_str(), if order.dry_run { " (dry run)" } else { "" });
                            html! {
                                <tr>
                                    <td><code>{ &order.id }</code></td><td>{ order.cloud.id() }</td><td>{ &order.region }</td>
                                    <td>{ status }</td><td><code>{ order.instance_ids.join(", ") }</code></td>
                                    <td><code>{ &order.client_token }</code></td><td class="provenance">{ order.hint.clone().unwrap_or_default() }</td>
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
            </div>
        },
    };
    html! {
        <section aria-labelledby="orders-heading">
            <h2 id="orders-heading">{ text(lang, Key::OrdersHeading) }</h2>
            <button onclick={Callback::from(move |_: MouseEvent| refresh.emit(()))}>{ text(lang, Key::Refresh) }</button>
            { body }
        </section>
    }
}
