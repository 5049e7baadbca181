//! The orders page: the proxy's order log, newest first, with status, ids and hints.

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
    Loaded(Vec<serde_json::Value>),
    Failed(String),
}

async fn fetch_orders() -> Load {
    let response = match gloo_net::http::Request::get("/api/v1/orders").send().await {
        Ok(response) => response,
        Err(error) => return Load::Failed(format!("the proxy did not answer: {error}")),
    };
    let ok = response.ok();
    let status = response.status();
    match response.json::<serde_json::Value>().await {
        Ok(json) if ok => Load::Loaded(json["orders"].as_array().cloned().unwrap_or_default()),
        // Every error answer has one shape; a 401 says how to sign in.
        Ok(json) => Load::Failed(
            json["error"]["message"]
                .as_str()
                .map_or_else(|| format!("HTTP {status} from the proxy"), str::to_owned),
        ),
        Err(error) => Load::Failed(format!("not an order log: {error}")),
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
                            let get = |name: &str| order[name].as_str().unwrap_or_default().to_owned();
                            let ids: Vec<&str> = order["instance_ids"].as_array().map(|ids| ids.iter().filter_map(|v| v.as_str()).collect()).unwrap_or_default();
                            let status = format!("{}{}", get("status"), if order["dry_run"] == true { " (dry run)" } else { "" });
                            html! {
                                <tr>
                                    <td><code>{ get("id") }</code></td><td>{ get("cloud") }</td><td>{ get("region") }</td>
                                    <td>{ status }</td><td><code>{ ids.join(", ") }</code></td>
                                    <td><code>{ get("client_token") }</code></td><td class="provenance">{ get("hint") }</td>
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
