//! The fleet's orders and placing them: one order per pool (the core's `fleet_orders`, with the launch details
//! remembered for each cloud and region and the account's currency), each validated against its own pool's prices
//! with its problems shown and its request in every format; Alibaba's own `CreateAutoProvisioningGroup` for an
//! Alibaba-only fleet in one region (or why not); the curl command; and "Place fleet" ([`crate::fleet_place`]).
//! A pool whose zone has no subnet remembered offers the account's subnets of that zone (listed through the proxy)
//! to choose from; the choice is remembered for the zone.

use std::collections::BTreeMap;
use std::rc::Rc;

use spotplan_core::api::resources::{AccountResource, ResourceKind, ResourcesBody};
use spotplan_core::catalog::OfferKey;
use spotplan_core::catalog::PriceKind;
use spotplan_core::clouds::alibaba::fleet::{auto_provisioning_group, auto_provisioning_snippets};
use spotplan_core::fleet::orders::{FleetOrder, fleet_orders};
use spotplan_core::fleet::{FleetPlan, FleetRequest};
use spotplan_core::order::format::{Format, Snippet, SnippetOptions, render_all};
use spotplan_core::order::idempotency::client_token_for;
use spotplan_core::order::placeholders::with_placeholders;
use spotplan_core::order::{PriceQuote, Problem, Severity, ValidationContext, validate};
use spotplan_core::{Cloud, Planner};
use yew::prelude::*;

use crate::fleet_model;
use crate::fleet_place::{FleetDraft, PlaceFleet};
use crate::health::ProxyStatus;
use crate::i18n::fleet::{self as words, FleetText, fleet_text};
use crate::i18n::{Key, Lang, text};
use crate::snippet_tabs::{LazySnippets, SnippetTabs};
use crate::state::{OrderField, UiState};

/// Properties of the orders section.
#[derive(Debug, Clone, Properties)]
pub struct FleetOrdersProps {
    /// The planner.
    pub planner: Rc<Planner>,
    /// The plan.
    pub plan: Rc<FleetPlan>,
    /// The plan's identity ([`fleet_model::stamp`]).
    pub plan_stamp: u64,
    /// The request it was planned for.
    pub request: FleetRequest,
    /// The app's state (language, account sites).
    pub state: UseReducerHandle<UiState>,
    /// The proxy's status.
    pub proxy: ProxyStatus,
    /// Whether the fleet is maintained.
    pub maintain: bool,
    /// The fleet's name.
    pub name: String,
    /// The fleet draft (the app's).
    pub draft: FleetDraft,
}

impl PartialEq for FleetOrdersProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.planner, &other.planner)
            && Rc::ptr_eq(&self.plan, &other.plan)
            && self.plan_stamp == other.plan_stamp
            && self.request == other.request
            && self.state == other.state
            && self.proxy == other.proxy
            && self.maintain == other.maintain
            && self.name == other.name
            && self.draft == other.draft
    }
}

/// One order with the context it was validated in (its own pool's market and on-demand prices).
#[derive(Debug, Clone, PartialEq)]
struct PoolOrder {
    order: FleetOrder,
    context: ValidationContext,
}

fn now_seconds() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

fn proxy_origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_else(|| "http://127.0.0.1:8787".into())
}

/// Where launch details are remembered for a pool: its cloud, region and zone.
type Place = (Cloud, String, Option<String>);

/// The fleet's orders, each validated with its pool's prices.
fn build_orders(planner: &Planner, plan: &FleetPlan, request: &FleetRequest, state: &UiState) -> Vec<PoolOrder> {
    let catalog = planner.catalog();
    let now = now_seconds();
    let keys = plan.allocations.iter().map(|a| &a.key).chain(plan.standby.iter());
    // Each pool starts with its region's launch details and its zone's subnet.
    let mut remembered: BTreeMap<Place, Vec<(OrderField, String)>> = BTreeMap::new();
    for key in keys {
        remembered
            .entry((key.cloud, key.region.clone(), key.zone.clone()))
            .or_insert_with(|| crate::launch_memory::recall(key.cloud, &key.region, key.zone.as_deref()));
    }
    let launch = |key: &OfferKey| {
        let fields = remembered
            .get(&(key.cloud, key.region.clone(), key.zone.clone()))
            .map(Vec::as_slice)
            .unwrap_or_default();
        Some(fleet_model::launch_order(
            key,
            state.account_sites.currency(key.cloud),
            fields,
        ))
    };
    let weight = |key: &OfferKey| fleet_model::unit_weight(catalog, key, request.unit);
    let context = ValidationContext {
        now,
        exchange_rate: Some(planner.fx().clone()),
        ..ValidationContext::default()
    };
    // The launch details as the Plan page remembered them, typed: text in the app's own syntax that the order
    // could not take (a tag without "=", a disk of "40G") is named, never sent as a default.
    let typed = |key: &OfferKey, which: OrderField| -> String {
        remembered
            .get(&(key.cloud, key.region.clone(), key.zone.clone()))
            .and_then(|fields| fields.iter().rev().find(|(field, _)| *field == which))
            .map(|(_, text)| text.clone())
            .unwrap_or_default()
    };
    fleet_orders(plan, request, planner.fx(), &launch, &weight, &context)
        .into_iter()
        .map(|mut order| {
            let context = pool_context(planner, &order.pool, now);
            order.problems = validate(&order.order, &context).problems;
            order.problems.extend(crate::state::launch_text_problems(
                &typed(&order.pool, OrderField::Tags),
                &typed(&order.pool, OrderField::SystemDiskGb),
                &typed(&order.pool, OrderField::DataDisksGb),
            ));
            PoolOrder { order, context }
        })
        .collect()
}

/// What an order for `pool` is validated against: the pool's newest observed spot and on-demand prices (an
/// estimated price is not compared, as on the Plan page) and the plan's exchange rate.
fn pool_context(planner: &Planner, pool: &OfferKey, now: i64) -> ValidationContext {
    let catalog = planner.catalog();
    let offer = catalog.find_offer(pool);
    let quote = |kind: PriceKind| {
        let observation = catalog.latest(offer?, kind)?;
        Some(PriceQuote {
            rate: observation.rate,
            observed_on: spotplan_core::time::format_date(observation.observed_at),
        })
    };
    ValidationContext {
        now,
        market_price: quote(PriceKind::Spot),
        on_demand_price: quote(PriceKind::OnDemand),
        exchange_rate: Some(planner.fx().clone()),
    }
}

/// The orders section.
#[component]
pub fn FleetOrders(props: &FleetOrdersProps) -> Html {
    let lang = props.state.lang;
    let t = |key| fleet_text(lang, key);
    // The account's subnets of each (cloud, region) of the plan's pools the proxy can list, and a count of the
    // subnets chosen here (each one changes the remembered launch details the orders are built from).
    let subnets = use_state(|| Rc::new(BTreeMap::<(Cloud, String), Vec<AccountResource>>::new()));
    let subnets_chosen = use_state(|| 0_u32);
    {
        let scopes: Vec<(Cloud, String)> = props
            .plan
            .allocations
            .iter()
            .map(|allocation| &allocation.key)
            .chain(props.plan.standby.iter())
            .filter(|key| props.proxy.can_submit(key.cloud))
            .map(|key| (key.cloud, key.region.clone()))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let subnets = subnets.clone();
        use_effect_with(scopes, move |scopes| {
            let scopes = scopes.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let mut listed = BTreeMap::new();
                for (cloud, region) in scopes {
                    let ask = ResourcesBody {
                        cloud,
                        region: region.clone(),
                        kind: ResourceKind::Subnet,
                        zone: None,
                        vpc_id: None,
                    };
                    if let Ok(answer) = crate::api::resources(&ask).await {
                        listed.insert((cloud, region), answer.resources);
                    }
                }
                subnets.set(Rc::new(listed));
            });
        });
    }
    let on_subnet = {
        let subnets_chosen = subnets_chosen.clone();
        Callback::from(move |(key, subnet): (OfferKey, String)| {
            crate::launch_memory::remember(key.cloud, &key.region, key.zone.as_deref(), OrderField::Subnet, &subnet);
            subnets_chosen.set(*subnets_chosen + 1);
        })
    };
    let orders = {
        let (planner, plan, request, state) = (
            props.planner.clone(),
            props.plan.clone(),
            props.request.clone(),
            (*props.state).clone(),
        );
        // A new planner or request makes a new plan, so the plan's stamp stands for all three.
        let deps = (props.plan_stamp, props.state.account_sites.clone(), *subnets_chosen);
        use_memo(deps, move |_| {
            (fleet_model::stamp(), build_orders(&planner, &plan, &request, &state))
        })
    };
    let (draft, placing) = (props.draft.key.clone(), props.draft.placing.clone());
    let body = {
        let (orders, request, plan) = (orders.clone(), props.request.clone(), props.plan.clone());
        use_memo(
            (orders.0, props.maintain, props.name.clone()),
            move |(_, maintain, name)| {
                let list: Vec<FleetOrder> = orders.1.iter().map(|o| o.order.clone()).collect();
                let body = fleet_model::submission(
                    &request,
                    fleet_model::spot_target(&plan),
                    plan.spot_ceiling(request.ceiling_per_hour),
                    *maintain,
                    name,
                    &list,
                );
                let json = serde_json::to_string(&body).unwrap_or_default();
                (fleet_model::stamp(), body, json)
            },
        )
    };
    let key = draft
        .borrow_mut()
        .key_for(&body.2, crate::draft_key::new_key)
        .to_owned();
    let orders = &orders.1;
    let list: Vec<FleetOrder> = orders.iter().map(|o| o.order.clone()).collect();
    let (apg, curl) = {
        let (plan, request, body, list) = (props.plan.clone(), props.request.clone(), body.clone(), list.clone());
        let fx = props.planner.fx().clone();
        let deps = (body.0, key.clone(), lang);
        (*use_memo(deps, move |(_, key, lang)| {
            let apg = match client_token_for(key) {
                Ok(token) => auto_provisioning_group(&plan, &request, &list, &fx, body.1.maintain, &token)
                    .map(|request| {
                        (
                            Rc::new(auto_provisioning_snippets(&request)),
                            Rc::new(placeholder_marks(&request)),
                        )
                    })
                    .map_err(|error| words::no_auto_provisioning(*lang, &error)),
                Err(error) => Err(error.to_string()),
            };
            let curl = Snippet {
                format: Format::Curl,
                language: "bash".into(),
                text: fleet_model::curl_snippet(&proxy_origin(), key, &body.1),
            };
            (apg, Rc::new(vec![curl]))
        }))
        .clone()
    };
    let shared = Rc::new(shared_problems(orders));
    let mut blockers = blockers(&props.plan, orders, &props.proxy, lang);
    // The pools come from the Plan page's requirement: a field there showing text the plan cannot use means these
    // pools are not what that page shows.
    blockers.extend(props.state.unread.problems().map(|problem| match lang {
        Lang::Zh => problem.message_zh,
        Lang::En => problem.message_en,
    }));
    html! {
        <section aria-labelledby="fleet-orders-heading" class="fleet-orders">
            <h2 id="fleet-orders-heading">{ t(FleetText::OrdersHeading) }</h2>
            { for fleet_model::shared_subnets(&list).iter().map(|shared| html! {
                <p class="warning" role="note" data-testid="fleet-shared-subnet">{ format!("⚠ {}", words::shared_subnet(lang, &shared.subnet, &shared.zones)) }</p>
            }) }
            if !shared.is_empty() {
                <div class="fleet-shared-problems" data-testid="fleet-shared-problems">
                    <p>{ t(FleetText::EveryOrder) }</p>
                    { problem_list(&shared, lang) }
                </div>
            }
            <p class="muted">{ t(FleetText::StandbyNote) }</p>
            <ol class="fleet-order-list">
                { for orders.iter().enumerate().map(|(step, order)| html! {
                    <OrderItem order={order.clone()} step={step} fleet_key={key.clone()} shared={shared.clone()} lang={lang}
                        subnet_choices={subnet_choices(&subnets, &order.order)} on_subnet={on_subnet.clone()} />
                }) }
            </ol>
            { match apg {
                Ok((snippets, marks)) => html! {
                    <LazySnippets summary={t(FleetText::ApgHeading)} snippets={snippets} marks={marks} id_prefix="fleet-apg" lang={lang} />
                },
                Err(why) => html! { <><h3>{ t(FleetText::ApgHeading) }</h3><p class="muted" data-testid="fleet-apg-why">{ why }</p></> },
            } }
            <LazySnippets summary={t(FleetText::CurlHeading)} snippets={curl} marks={Rc::new(Vec::new())} id_prefix="fleet-curl" lang={lang} />
            <PlaceFleet plan={props.plan.clone()} body={Rc::new(body.1.clone())} json={body.2.clone()} draft={draft.clone()}
                placing={placing.clone()} blockers={blockers} lang={lang} />
        </section>
    }
}

/// The account's subnets a pool's order can take when it has none: those listed in the pool's zone (and the
/// order's VPC, when it names one); `None` when the order has a subnet or none is listed there.
fn subnet_choices(
    subnets: &BTreeMap<(Cloud, String), Vec<AccountResource>>,
    order: &FleetOrder,
) -> Option<Rc<Vec<AccountResource>>> {
    if order.order.network.subnet_id.is_some() {
        return None;
    }
    let key = &order.pool;
    let listed = subnets.get(&(key.cloud, key.region.clone()))?;
    let choices: Vec<AccountResource> =
        crate::account_resources::subnets_for(listed, key.zone.as_deref(), order.order.network.vpc_id.as_deref())
            .into_iter()
            .cloned()
            .collect();
    (!choices.is_empty()).then(|| Rc::new(choices))
}

/// The `<ImageId>`-style placeholders in a request's query (launch ids not given yet), as typed and as a URL's query
/// writes them, for the snippets to mark.
fn placeholder_marks(request: &spotplan_core::order::request::HttpRequest) -> Vec<String> {
    let mut marks: Vec<String> = Vec::new();
    for (_, value) in &request.query {
        if value.starts_with('<') && value.ends_with('>') && !marks.contains(value) {
            marks.push(value.clone());
            marks.push(String::from(js_sys::encode_uri_component(value)));
        }
    }
    marks
}

/// Problems every order has (the same field, rule and severity), shown once above the list.
fn shared_problems(orders: &[PoolOrder]) -> Vec<Problem> {
    let Some((first, rest)) = orders.split_first() else {
        return Vec::new();
    };
    first
        .order
        .problems
        .iter()
        .filter(|problem| {
            rest.iter()
                .all(|other| other.order.problems.iter().any(|p| same_rule(p, problem)))
        })
        .cloned()
        .collect()
}

/// The same problem in two orders: the same rule on the same field saying the same (a problem whose figures are
/// its own order's — a bid rounded up from the cap — is not one to share).
fn same_rule(a: &Problem, b: &Problem) -> bool {
    a.field == b.field && a.rule == b.rule && a.severity == b.severity && a.message_en == b.message_en
}

/// Problems as a list, errors marked ✖ and warnings ⚠, each with the cloud error it prevents.
fn problem_list(problems: &[Problem], lang: Lang) -> Html {
    html! {
        <ul class="problems">
            { for problems.iter().map(|problem| html! {
                <li class={if problem.severity == Severity::Error { "error" } else { "warning" }} data-field={problem.field.clone()}>
                    { format!("{} {}: {}{}",
                        if problem.severity == Severity::Error { "✖" } else { "⚠" },
                        problem.field,
                        if lang == Lang::Zh { &problem.message_zh } else { &problem.message_en },
                        problem.prevents.as_ref().map(|code| format!(" [{code}]")).unwrap_or_default()) }
                </li>
            }) }
        </ul>
    }
}

/// Why the fleet cannot be placed now; empty when it can.
fn blockers(plan: &FleetPlan, orders: &[PoolOrder], proxy: &ProxyStatus, lang: Lang) -> Vec<String> {
    let mut reasons = Vec::new();
    if plan.allocations.is_empty() {
        reasons.push(fleet_text(lang, FleetText::BlockedNoPools).to_owned());
    }
    if !plan.problems.is_empty() {
        reasons.push(fleet_text(lang, FleetText::BlockedPlan).to_owned());
    }
    if !plan.allocations.is_empty() && fleet_model::spot_target(plan) == 0 {
        reasons.push(fleet_text(lang, FleetText::BlockedAllOnDemand).to_owned());
    }
    let with_errors: Vec<(&PoolOrder, &Problem)> = orders
        .iter()
        .filter_map(|order| {
            let first = order.order.problems.iter().find(|p| p.severity == Severity::Error)?;
            Some((order, first))
        })
        .collect();
    if let Some((order, first)) = with_errors.first() {
        let message = if lang == Lang::Zh {
            &first.message_zh
        } else {
            &first.message_en
        };
        reasons.push(words::orders_block(
            lang,
            with_errors.len(),
            orders.len(),
            &words::pool_name(lang, &order.order.pool),
            &format!("{}: {message}", first.field),
        ));
    }
    match proxy {
        ProxyStatus::Reachable(_) => {
            let mut clouds: Vec<Cloud> = orders.iter().map(|o| o.order.pool.cloud).collect();
            clouds.sort();
            clouds.dedup();
            for cloud in clouds.into_iter().filter(|cloud| !proxy.can_submit(*cloud)) {
                reasons.push(words::no_credentials(lang, crate::i18n::cloud_name(lang, cloud)));
            }
        }
        ProxyStatus::NotSignedIn(_) => reasons.push(text(lang, Key::SignInToSubmit).to_owned()),
        ProxyStatus::Checking => reasons.push(text(lang, Key::CheckingProxy).to_owned()),
        ProxyStatus::Unreachable(_) => reasons.push(text(lang, Key::ProxyOffline).to_owned()),
    }
    reasons
}

/// Properties of one order's line.
#[derive(Debug, Clone, PartialEq, Properties)]
struct OrderItemProps {
    order: PoolOrder,
    /// Its place in the submission (the proxy's step).
    step: usize,
    /// The fleet draft's key (the order's snippets use the key and the step).
    fleet_key: String,
    /// Problems every order has, listed once above the list.
    shared: Rc<Vec<Problem>>,
    lang: Lang,
    /// The account's subnets the order can take, when it has none.
    subnet_choices: Option<Rc<Vec<AccountResource>>>,
    /// Called with the pool and the subnet chosen for it.
    on_subnet: Callback<(OfferKey, String)>,
}

/// One order: its pool, count and bid, its problems, and (opened) its request in every format.
#[component]
fn OrderItem(props: &OrderItemProps) -> Html {
    let lang = props.lang;
    let open = use_state(|| false);
    let order = &props.order.order;
    let errors = order.problems.iter().filter(|p| p.severity == Severity::Error).count();
    let warnings = order.problems.len() - errors;
    let status = if errors == 0 && warnings == 0 {
        fleet_text(lang, FleetText::Ready).to_owned()
    } else if lang == Lang::Zh {
        format!("{errors} 个错误，{warnings} 个警告")
    } else {
        format!("{errors} error(s), {warnings} warning(s)")
    };
    let bid = order
        .order
        .bid
        .max_price
        .map(|price| format!("≤ {price} {}", order.order.account_currency.code()))
        .unwrap_or_else(|| text(lang, Key::MarketBidShort).to_owned());
    let count = if order.standby {
        fleet_text(lang, FleetText::Standby).to_owned()
    } else {
        format!("{} × {}", order.order.count, text(lang, Key::InstanceWord))
    };
    let on_toggle = {
        let open = open.clone();
        Callback::from(move |event: Event| {
            let details: web_sys::Element = event.target_unchecked_into();
            open.set(details.has_attribute("open"));
        })
    };
    let own: Vec<Problem> = order
        .problems
        .iter()
        .filter(|problem| !props.shared.iter().any(|shared| same_rule(shared, problem)))
        .cloned()
        .collect();
    let key = &order.pool;
    html! {
        <li class={classes!("fleet-order", (errors > 0).then_some("has-errors"))} data-pool={key.to_string()} data-standby={order.standby.to_string()}>
            <div class="fleet-order-head">
                <span class={format!("cloud-badge {}", key.cloud.id())}>{ crate::columns::cloud_badge(key.cloud, lang) }</span>
                <strong>{ &key.instance_type }</strong>
                <span>{ key.zone.clone().unwrap_or_else(|| key.region.clone()) }</span>
                <span>{ count }</span>
                <span class="muted">{ bid }</span>
                <span class={if errors > 0 { "error" } else if warnings > 0 { "warning" } else { "ok" }} data-testid="fleet-order-status">{ status }</span>
            </div>
            if let Some(choices) = &props.subnet_choices {
                <label class="fleet-pool-subnet">
                    { crate::i18n::resources::subnet_for_zone(lang, key.zone.as_deref().unwrap_or(&key.region)) }
                    <select data-testid="fleet-pool-subnet" onchange={{
                        let (on_subnet, key) = (props.on_subnet.clone(), key.clone());
                        Callback::from(move |event: Event| {
                            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
                            if !select.value().is_empty() {
                                on_subnet.emit((key.clone(), select.value()));
                            }
                        })
                    }}>
                        <option value="" selected=true>{ crate::i18n::resources::choose(lang) }</option>
                        { for choices.iter().map(|subnet| html! {
                            <option value={subnet.id.clone()}>{ format!("{} — {}", subnet.id, crate::account_resources::label(subnet, lang)) }</option>
                        }) }
                    </select>
                </label>
            }
            if !own.is_empty() {
                { problem_list(&own, lang) }
            }
            <details ontoggle={on_toggle}>
                <summary>{ fleet_text(lang, FleetText::Snippets) }</summary>
                if *open { { order_snippets(&props.order, props.step, &props.fleet_key, lang) } }
            </details>
        </li>
    }
}

/// An order's request in every format: as it stands when valid, with placeholders when only launch ids are missing.
fn order_snippets(pool: &PoolOrder, step: usize, fleet_key: &str, lang: Lang) -> Html {
    let validation = validate(&pool.order.order, &pool.context);
    let (valid, placeholders) = match validation.valid.clone() {
        Some(valid) => (valid, Vec::new()),
        None => match with_placeholders(&pool.order.order, &validation, &pool.context) {
            Some(held) => (held.order, held.placeholders),
            None => return html! { <p class="muted">{ fleet_text(lang, FleetText::NoSnippet) }</p> },
        },
    };
    let key = format!("{fleet_key}_s{step}");
    let options = SnippetOptions {
        client_token: client_token_for(&key).unwrap_or_else(|_| "spotplan-fleet".into()),
        idempotency_key: key,
        proxy_url: proxy_origin(),
    };
    let marks: Vec<String> = placeholders
        .iter()
        .flat_map(|p| [p.clone(), p.replace('<', "%3C").replace('>', "%3E")])
        .collect();
    html! {
        <>
            if !placeholders.is_empty() {
                <p class="placeholder-note" role="note">{ match lang {
                    Lang::En => format!("Still missing: {}. The request shows a placeholder in each.", placeholders.join(", ")),
                    Lang::Zh => format!("尚缺：{}。请求中以占位符标出。", placeholders.join("、")),
                } }</p>
            }
            <SnippetTabs snippets={Rc::new(render_all(&valid, &options))} marks={Rc::new(marks)}
                id_prefix={format!("fleet-order-{step}")} lang={lang} />
        </>
    }
}
