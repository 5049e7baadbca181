//! The orders page: the proxy's order log, newest first, with status, ids and hints, and what became of each
//! order's instances (a Tencent order the cloud accepted can still fail to launch).

use spotplan_core::api::orders::OrderRecord;
use spotplan_core::display::max_money2;
use spotplan_core::lifecycle::InstanceState;
use spotplan_core::order::outcome::OrderStatus;
use spotplan_core::order::{BidMode, SpotOrder};
use yew::prelude::*;

use crate::i18n::{Key, Lang, text};
use crate::person_filter::{PersonFilter, chosen_person, people, shown_for};

/// Properties of the orders page.
#[derive(Debug, Properties, PartialEq)]
pub struct OrdersPageProps {
    /// The UI language.
    pub lang: Lang,
}

#[derive(Debug, Clone, PartialEq)]
enum Load {
    Loading,
    /// The orders, and the instance book's states per order id.
    Loaded(Vec<OrderRecord>, std::collections::BTreeMap<String, Vec<InstanceState>>),
    Failed(String),
}

async fn fetch_orders(lang: Lang) -> Load {
    // Every error answer has one shape; a 401 says how to sign in.
    match crate::api::orders().await {
        Ok(list) => {
            // The instance states are extra: without them the orders still show.
            let mut states: std::collections::BTreeMap<String, Vec<InstanceState>> = std::collections::BTreeMap::new();
            // An order's instances are booked after it was logged, so those that ended before the oldest order
            // listed are none of these orders' (a long history is not read for a page of orders). An hour's margin
            // for replicas' clocks apart (team mode: the order logged on one, its instances booked on another).
            const CLOCKS_APART_MS: i64 = 3_600_000;
            let oldest = list
                .orders
                .iter()
                .map(|order| order.created_at_ms - CLOCKS_APART_MS)
                .min();
            if let Some(Ok(book)) = match oldest {
                Some(oldest) => Some(crate::api::instances(Some(oldest)).await),
                None => None,
            } {
                for instance in book.instances {
                    if let Some(order) = instance.order_id {
                        states.entry(order).or_default().push(instance.state);
                    }
                }
            }
            Load::Loaded(list.orders, states)
        }
        Err(error) => Load::Failed(crate::i18n::proxy::api_error(lang, &error)),
    }
}

/// When an order was recorded, in UTC to the minute.
fn recorded_at(ms: i64) -> String {
    let iso = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64))
        .to_iso_string()
        .as_string()
        .unwrap_or_default();
    format!("{} UTC", iso.get(..16).unwrap_or(&iso).replace('T', " "))
}

/// What became of an order's instances, e.g. `2 running · 1 launch failed`.
fn instance_summary(states: &[InstanceState], lang: Lang) -> String {
    let mut counts: Vec<(InstanceState, usize)> = Vec::new();
    for state in states {
        match counts.iter_mut().find(|(known, _)| known == state) {
            Some((_, count)) => *count += 1,
            None => counts.push((*state, 1)),
        }
    }
    counts
        .iter()
        .map(|(state, count)| match lang {
            Lang::En => format!("{count} {}", crate::instances_page::state_word(*state, lang)),
            Lang::Zh => format!("{} {count}", crate::instances_page::state_word(*state, lang)),
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// One order: when, (in team mode) who placed it, status, where, what, how many, the bid and the most it costs
/// per hour; instance ids collapsed behind their count; Spotplan's id and the ClientToken on hover.
fn row(record: &OrderRecord, states: &[InstanceState], team: bool, lang: Lang, lookup: &Lookup) -> Html {
    let order: Option<SpotOrder> = serde_json::from_value(record.order.clone()).ok();
    let status = format!(
        "{}{}",
        crate::i18n::proxy::status_word(lang, record.status),
        // "dry_run_passed" says it already.
        match (record.dry_run && record.status != OrderStatus::DryRunPassed, lang) {
            (false, _) => "",
            (true, Lang::En) => " (dry run)",
            (true, Lang::Zh) => "（预检）",
        }
    );
    let place = order
        .as_ref()
        .and_then(|o| o.zone.clone())
        .unwrap_or_else(|| record.region.clone());
    let instance_type = order
        .as_ref()
        .and_then(|o| {
            o.instance_type
                .clone()
                .or_else(|| o.baidu.as_ref().and_then(|b| b.spec.clone()))
        })
        .unwrap_or_default();
    let count = order.as_ref().map(|o| o.count.to_string()).unwrap_or_default();
    let bid = order
        .as_ref()
        .map_or_else(String::new, |o| match (o.bid.mode, o.bid.max_price) {
            (BidMode::Limit, Some(price)) => format!(
                "≤ {}",
                crate::i18n::rate_text(lang, price.rate(o.cloud, o.account_currency))
            ),
            _ => text(lang, Key::MarketBidShort).to_owned(),
        });
    let max_cost = record.max_cost_per_hour.map(max_money2).unwrap_or_default();
    let ids = &record.instance_ids;
    let hover = format!("{} · ClientToken {}", record.id, record.client_token);
    html! {
        <tr>
            <td title={hover}>{ recorded_at(record.created_at_ms) }</td>
            // The status before who placed it: on a phone the first columns are the ones in view.
            <td class={format!("status {}", record.status.as_str())}>
                { status }
                // The action beside the status, so a phone shows it without scrolling the table sideways.
                if record.status == OrderStatus::Unknown {
                    <button data-testid="lookup-order" onclick={lookup.ask.reform({
                        let id = record.id.clone();
                        move |_: MouseEvent| id.clone()
                    })}>{ text(lang, Key::LookUp) }</button>
                }
                // What to do about it beside the status too: for an unknown order it is what keeps a person from
                // placing it twice, and a last column sat off-screen.
                if let Some(hint) = &record.hint {
                    <p class="order-hint">{ hint.clone() }</p>
                }
                if let Some(said) = lookup.said.get(&record.id) {
                    <p data-testid="lookup-said" class={classes!(said.is_err().then_some("error"))}>
                        { said.clone().unwrap_or_else(|error| error) }
                    </p>
                }
            </td>
            if team {
                <td data-col="placed_by">{ record.placed_by.clone().unwrap_or_default() }</td>
            }
            <td>{ crate::i18n::cloud_name(lang, record.cloud) }</td>
            <td>{ place }</td>
            <td>{ instance_type }</td>
            <td class="num">{ count }</td>
            <td>{ bid }</td>
            <td class="num">{ max_cost }</td>
            <td>
                if !ids.is_empty() {
                    <details>
                        <summary>{ format!("{} × {}", ids.len(), text(lang, Key::InstanceWord)) }</summary>
                        <code data-testid="order-instance-ids">{ ids.join(", ") }</code>
                    </details>
                }
            </td>
            <td data-testid="order-instance-states" class={classes!(states.contains(&InstanceState::LaunchFailed).then_some("error"))}>{ instance_summary(states, lang) }</td>
        </tr>
    }
}

/// The orders page's lookups: how to ask for one, and what each said (by order id).
#[derive(Clone, PartialEq)]
struct Lookup {
    ask: Callback<String>,
    said: std::collections::HashMap<String, Result<String, String>>,
}

/// What a lookup's answer says to the person.
fn lookup_said(answer: &spotplan_core::api::orders::LookupAnswer, lang: Lang) -> String {
    if answer.found.is_empty() {
        text(lang, Key::LookUpNoneFound).to_owned()
    } else {
        format!("{} {}", text(lang, Key::LookUpFound), answer.found.len())
    }
}

/// The orders page.
#[component]
pub fn OrdersPage(props: &OrdersPageProps) -> Html {
    let lang = props.lang;
    let load = use_state(|| Load::Loading);
    let person = use_state(|| None::<String>);
    let choose = {
        let person = person.clone();
        Callback::from(move |chosen: Option<String>| person.set(chosen))
    };
    let refresh = {
        let load = load.clone();
        Callback::from(move |_: ()| {
            let load = load.clone();
            load.set(Load::Loading);
            wasm_bindgen_futures::spawn_local(async move { load.set(fetch_orders(lang).await) });
        })
    };
    {
        let refresh = refresh.clone();
        use_effect_with((), move |_| refresh.emit(()));
    }
    let looked = use_state(std::collections::HashMap::<String, Result<String, String>>::new);
    let lookup = Lookup {
        ask: {
            let (looked, refresh) = (looked.clone(), refresh.clone());
            Callback::from(move |id: String| {
                let (looked, refresh) = (looked.clone(), refresh.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    let said = match crate::api::lookup_order(&id).await {
                        Ok(answer) => Ok(lookup_said(&answer, lang)),
                        Err(error) => Err(crate::i18n::proxy::api_error(lang, &error)),
                    };
                    let mut all = (*looked).clone();
                    all.insert(id, said);
                    looked.set(all);
                    refresh.emit(());
                });
            })
        },
        said: (*looked).clone(),
    };
    let body = match &*load {
        Load::Loading => html! { <p role="status">{ "…" }</p> },
        Load::Failed(message) => html! { <p role="alert" class="error">{ message }</p> },
        Load::Loaded(orders, _) if orders.is_empty() => html! { <p class="empty">{ text(lang, Key::NoOrders) }</p> },
        Load::Loaded(orders, states) => {
            let people = people(orders.iter().map(|order| order.placed_by.as_deref()));
            let team = !people.is_empty();
            let chosen = chosen_person(&person, &people);
            let shown = orders
                .iter()
                .filter(|order| shown_for(order.placed_by.as_deref(), chosen));
            html! {
                <>
                    if team {
                        <PersonFilter lang={lang} people={people.clone()} chosen={chosen.map(str::to_owned)} on_choose={choose.clone()} />
                    }
                    <div class="table-scroll">
                        <table data-testid="orders-table" class="orders-table order-log">
                            <thead><tr>
                                <th scope="col">{ text(lang, Key::Created) }</th>
                                <th scope="col">{ text(lang, Key::Status) }</th>
                                if team { <th scope="col">{ text(lang, Key::PlacedBy) }</th> }
                                <th scope="col">{ text(lang, Key::CloudWord) }</th><th scope="col">{ text(lang, Key::ColRegion) }</th>
                                <th scope="col">{ text(lang, Key::ColType) }</th><th scope="col">{ text(lang, Key::Instances) }</th>
                                <th scope="col">{ text(lang, Key::BidHeading) }</th><th scope="col">{ text(lang, Key::MaxCostPerHour) }</th>
                                <th scope="col">{ text(lang, Key::InstanceIds) }</th><th scope="col">{ text(lang, Key::ColState) }</th>
                            </tr></thead>
                            <tbody>
                                { for shown.map(|order| row(order, states.get(&order.id).map(Vec::as_slice).unwrap_or_default(), team, lang, &lookup)) }
                            </tbody>
                        </table>
                    </div>
                </>
            }
        }
    };
    html! {
        <section aria-labelledby="orders-heading">
            <h2 id="orders-heading">{ text(lang, Key::OrdersHeading) }</h2>
            <button onclick={Callback::from(move |_: MouseEvent| refresh.emit(()))}>{ text(lang, Key::Refresh) }</button>
            { body }
        </section>
    }
}
