//! The top-level component: the page frame, the comparison table, the proxy status, and a chart.

use std::rc::Rc;

use spotplan_core::catalog::Catalog;
use spotplan_core::{Cloud, ExchangeRate, Planner};
use yew::prelude::*;

use crate::bid_panel::BidPanel;
use crate::charts_panel::Charts;
use crate::compare::Compare;
use crate::fleet_page::FleetPage;
use crate::health::{ProxyStatus, fetch_health};
use crate::i18n::{self, Key, Lang, text};
use crate::instances_page::InstancesPage;
use crate::live_prices::LivePrices;
use crate::orders_page::OrdersPage;
use crate::request_view::RequestView;
use crate::state::{Action, UiState};
use crate::submit::SubmitPanel;
use crate::url_state;
use wasm_bindgen::JsCast;

/// The planner over the embedded catalog, or why it could not be read.
fn load_planner() -> Result<Rc<Planner>, String> {
    let catalog =
        Catalog::embedded().map_err(|error| format!("the embedded price catalog could not be read: {error}"))?;
    Ok(Rc::new(Planner::new(catalog, ExchangeRate::default())))
}

/// How long a plan stands still before it counts as settled and joins the recent plans.
const SETTLED_MS: u32 = 1_500;

fn today_unix_seconds() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

fn bench_requested() -> bool {
    web_sys::window()
        .and_then(|window| window.location().search().ok())
        .is_some_and(|search| search.contains("bench"))
}

/// The language chosen last time (English at first), set on the document too: its content is read (by screen
/// readers, for fonts) in the language it is written in.
fn initial_lang() -> Lang {
    let stored = web_sys::window()
        .and_then(|window| window.local_storage().ok().flatten())
        .and_then(|storage| storage.get_item("spotplan-lang").ok().flatten());
    let lang = if stored.as_deref() == Some("zh") {
        Lang::Zh
    } else {
        Lang::En
    };
    if let Some(root) = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.document_element())
    {
        let _ = root.set_attribute("lang", lang.code());
    }
    lang
}

/// Why the plan cannot be shown: the catalog (or the live prices merged into it) unusable.
fn catalog_unusable(lang: Lang, error: &str) -> String {
    match lang {
        Lang::En => format!("The prices cannot be used: {error}"),
        Lang::Zh => format!("价格数据不可用：{error}"),
    }
}

/// Chooses an offer (from the URL or history) the way the table's Choose button does.
fn select_offer(
    state: &UseReducerHandle<UiState>,
    planner: &Planner,
    offer: spotplan_core::catalog::OfferKey,
    today: i64,
) {
    if state.selected.as_ref() == Some(&offer) {
        return;
    }
    let recommended = planner
        .catalog()
        .find_offer(&offer)
        .and_then(|index| planner.candidate(index as u32, &state.requirement, today).ok())
        .and_then(|candidate| candidate.bid.recommended_price());
    state.dispatch(Action::Select {
        offer,
        recommended,
        key: crate::draft_key::new_key(),
    });
}

/// The app's pages, each with its address fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
    /// `#`: plan and order.
    Plan,
    /// `#orders`: the order log.
    Orders,
    /// `#instances`: the instances placed.
    Instances,
    /// `#fleet`: plan and place a fleet over many pools.
    Fleet,
}

impl Page {
    fn fragment(self) -> &'static str {
        match self {
            Page::Plan => "",
            Page::Orders => "orders",
            Page::Instances => "instances",
            Page::Fleet => "fleet",
        }
    }
}

fn current_page() -> Page {
    let hash = web_sys::window()
        .and_then(|window| window.location().hash().ok())
        .unwrap_or_default();
    match hash.as_str() {
        "#orders" => Page::Orders,
        "#instances" => Page::Instances,
        "#fleet" => Page::Fleet,
        _ => Page::Plan,
    }
}

/// The live quotes and stored prices the page has merged into the catalog (newest wins, provenance kept): each
/// batch is added to what is there when it lands — not to what a callback saw when it was made, which a batch
/// landing meanwhile would have lost.
#[derive(Debug, Default, PartialEq)]
struct MergedPrices(Vec<spotplan_core::catalog::ExternalObservation>);

impl Reducible for MergedPrices {
    type Action = Vec<spotplan_core::catalog::ExternalObservation>;

    fn reduce(self: Rc<Self>, more: Self::Action) -> Rc<Self> {
        let mut all = self.0.clone();
        all.extend(more);
        Rc::new(MergedPrices(all))
    }
}

/// The application root.
#[component]
pub fn App() -> Html {
    let proxy = use_state(|| ProxyStatus::Checking);
    let fleet_draft = crate::fleet_place::use_fleet_draft(matches!(*proxy, ProxyStatus::Reachable(_)));
    {
        let proxy = proxy.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move { proxy.set(fetch_health().await) });
        });
    }
    let state = use_reducer(|| {
        let query = url_state::browser::current_query();
        let mut state = UiState::with_requirement(initial_lang(), url_state::decode(&query).0);
        state.account_sites = url_state::decode_account_sites(&query);
        state.requirement.account_currencies = state.account_sites.currencies();
        state
    });
    // The link's parts the plan could not use: named over the plan until dismissed (back and forward name theirs).
    let link_ignored = use_state(|| url_state::decode_checked(&url_state::browser::current_query()).ignored);
    {
        // A real order whose outcome was not known when this tab was reloaded: named until dismissed.
        let state = state.clone();
        use_effect_with((), move |_| {
            for key in crate::in_flight::recall() {
                state.dispatch(Action::RecallEarlier(key));
            }
        });
    }
    {
        // The proxy's word on each account's site (currency) decides over the URL's.
        let state = state.clone();
        use_effect_with((*proxy).clone(), move |proxy| {
            if let ProxyStatus::Reachable(health) | ProxyStatus::NotSignedIn(health) = proxy {
                state.dispatch(Action::ProxyReported(Box::new(health.clone())));
            }
        });
    }
    // Signed in through the form: ask the proxy again (no reload, so the page keeps what was typed).
    let on_signed_in = {
        let proxy = proxy.clone();
        Callback::from(move |()| {
            let proxy = proxy.clone();
            wasm_bindgen_futures::spawn_local(async move { proxy.set(fetch_health().await) });
        })
    };
    let page = use_state(current_page);
    let base = use_memo((), |_| load_planner());
    // Decided once at mount: the plan's URL state rewrites the query string right after.
    let bench_report = use_memo((), |_| bench_requested().then(crate::bench::run));
    // Live quotes from the proxy, merged into the embedded catalog (newest wins, provenance kept).
    let live = use_reducer(MergedPrices::default);
    // The exchange rate lives in the UI state (the dated default until the person sets one).
    let planner = {
        let (base, live) = (base.clone(), live.clone());
        use_memo((live.0.len(), state.fx.clone()), move |(_, fx)| match &*base {
            Ok(planner) if !live.0.is_empty() || *fx != *planner.fx() => {
                // Prices for an offer the embedded catalog does not know (a region or type newer than it) are
                // left out: merged, they would refuse the whole batch and blank the plan on every reload.
                let (known, _unknown) = planner.catalog().known_observations(&live.0);
                let known: Vec<_> = known.into_iter().cloned().collect();
                match planner.catalog().with_observations(&known) {
                    Ok(catalog) => Ok(Rc::new(Planner::new(catalog, fx.clone()))),
                    Err(error) => Err(format!(
                        "live prices could not be merged into the embedded catalog: {error}"
                    )),
                }
            }
            other => other.clone(),
        })
    };
    let on_fx = {
        let state = state.clone();
        Callback::from(move |rate: rust_decimal::Decimal| {
            let today = js_sys::Date::new_0().to_iso_string().as_string().unwrap_or_default();
            state.dispatch(Action::SetExchangeRate(ExchangeRate::user(
                rate,
                today.get(..10).unwrap_or(""),
            )));
        })
    };
    let on_quotes = {
        let live = live.clone();
        Callback::from(move |observations: Vec<spotplan_core::catalog::ExternalObservation>| {
            live.dispatch(observations)
        })
    };
    let on_stored = {
        // The prices the proxy keeps (its live quotes and its refresher's history, changes only) join the catalog
        // once signed in: a reload starts from the newest prices the proxy knows, and bid advice reads their history.
        let on_quotes = on_quotes.clone();
        let signed_in = matches!(*proxy, ProxyStatus::Reachable(_));
        // The browser's cache first (no network), then only what the proxy stored since, written back — at
        // sign-in, and whenever the refresher stores more.
        let feed = (*use_memo((), |_| crate::price_cache::PriceFeed::default())).clone();
        {
            let (on_quotes, feed) = (on_quotes.clone(), feed.clone());
            use_effect_with((), move |_| {
                wasm_bindgen_futures::spawn_local(async move {
                    let cached = feed.load().await;
                    if !cached.is_empty() {
                        on_quotes.emit(cached);
                    }
                });
            });
        }
        {
            let (on_quotes, feed) = (on_quotes.clone(), feed.clone());
            use_effect_with(signed_in, move |signed_in| {
                if *signed_in {
                    feed.catch_up(on_quotes);
                }
            });
        }
        let on_quotes = on_quotes.clone();
        Callback::from(move |()| feed.catch_up(on_quotes.clone()))
    };
    let plan = {
        let planner = planner.clone();
        use_memo(
            (state.requirement.clone(), live.0.len()),
            move |(requirement, _)| match &*planner {
                Ok(planner) => Some(std::rc::Rc::new(planner.plan(requirement))),
                Err(_) => None,
            },
        )
    };
    // The charts follow the table one task later: a new ranking's rows reach the page first, and drawing the
    // charts (plotters SVG) does not hold them up.
    let chart_plan = use_state(|| None::<std::rc::Rc<spotplan_core::plan::Plan>>);
    {
        let (chart_plan, next) = (chart_plan.clone(), (*plan).clone());
        let identity = next.as_ref().map(|plan| std::rc::Rc::as_ptr(plan) as usize);
        use_effect_with(identity, move |_| {
            let timeout = gloo_timers::callback::Timeout::new(0, move || chart_plan.set(next));
            move || drop(timeout)
        });
    }
    let lang = state.lang;
    let t = |key| text(lang, key);
    let today = today_unix_seconds();
    {
        // An offer named in the URL is chosen once the catalog is there.
        let (state, planner) = (state.clone(), planner.clone());
        use_effect_with((), move |_| {
            if let (Some(offer), Ok(planner)) = (url_state::decode(&url_state::browser::current_query()).1, &*planner) {
                select_offer(&state, planner, offer, today);
            }
        });
    }
    {
        // Every plan goes to the address bar; a burst of typing makes one history entry. A plan joins the recent
        // plans once it has stood still for a moment (a newer plan cancels the pending one).
        let last_push = use_mut_ref(|| 0.0_f64);
        let pending_recent = use_mut_ref(|| None::<gloo_timers::callback::Timeout>);
        let query = url_state::encode(&state.requirement, state.selected.as_ref(), &state.account_sites);
        use_effect_with(query, move |query| {
            let now = js_sys::Date::now();
            let replace = now - *last_push.borrow() < 1_000.0;
            url_state::browser::write(query, replace);
            *last_push.borrow_mut() = now;
            let settled = query.clone();
            *pending_recent.borrow_mut() = Some(gloo_timers::callback::Timeout::new(SETTLED_MS, move || {
                url_state::browser::remember_recent(&settled)
            }));
        });
    }
    {
        // Back and forward restore the plan of that entry.
        let (state, planner, link_ignored) = (state.clone(), planner.clone(), link_ignored.clone());
        use_effect_with((), move |_| {
            let listener = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || {
                let decoded = url_state::decode_checked(&url_state::browser::current_query());
                let (requirement, offer) = (decoded.requirement, decoded.selected);
                link_ignored.set(decoded.ignored);
                state.dispatch(Action::RestoreRequirement(requirement));
                match (offer, &*planner) {
                    (Some(offer), Ok(planner)) => select_offer(&state, planner, offer, today_unix_seconds()),
                    (None, _) => state.dispatch(Action::Deselect),
                    _ => {}
                }
            });
            let window = web_sys::window();
            if let Some(window) = &window {
                let _ = window.add_event_listener_with_callback("popstate", listener.as_ref().unchecked_ref());
            }
            move || {
                if let Some(window) = window {
                    let _ = window.remove_event_listener_with_callback("popstate", listener.as_ref().unchecked_ref());
                }
            }
        });
    }
    {
        // A chosen offer starts with the launch details last typed for its cloud and region, and its zone's subnet
        // (never a password).
        let state = state.clone();
        use_effect_with(state.selected.clone(), move |selected| {
            if let Some(offer) = selected {
                for (field, value) in crate::launch_memory::recall(offer.cloud, &offer.region, offer.zone.as_deref()) {
                    state.dispatch(Action::SetField(field, value));
                }
            }
        });
    }
    let candidate = match (&*planner, &state.selected) {
        (Ok(planner), Some(key)) => planner
            .catalog()
            .find_offer(key)
            .and_then(|offer| planner.candidate(offer as u32, &state.requirement, today).ok()),
        _ => None,
    };
    let context = crate::bid_panel::validation_context(candidate.as_ref(), today, &state.fx);
    let valid = state
        .order
        .as_ref()
        .is_some_and(|order| spotplan_core::order::validate(order, &context).valid.is_some())
        && state.entry_problems().is_empty();
    let set_lang = {
        let state = state.clone();
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            let lang = if select.value() == "zh" { Lang::Zh } else { Lang::En };
            if let Some(storage) = web_sys::window().and_then(|window| window.local_storage().ok().flatten()) {
                let _ = storage.set_item("spotplan-lang", if lang == Lang::Zh { "zh" } else { "en" });
            }
            if let Some(root) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.document_element())
            {
                let _ = root.set_attribute("lang", lang.code());
            }
            state.dispatch(Action::SetLang(lang));
        })
    };
    let go = |target: Page| {
        let page = page.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(window) = web_sys::window() {
                let _ = window.location().set_hash(target.fragment());
            }
            page.set(target);
        })
    };
    // Wide screens: the table on the left, the chosen offer's bid, request and submit in a sticky panel on the
    // right; narrow screens: the panel follows the table.
    let plan_sections = match &*planner {
        Ok(planner) => html! {
            <>
                <div class="plan-main">
                    <crate::link_notice::LinkNotice ignored={(*link_ignored).clone()} lang={state.lang}
                        on_dismiss={{ let link_ignored = link_ignored.clone(); Callback::from(move |()| link_ignored.set(Vec::new())) }} />
                    if let Some(plan) = (*plan).clone() {
                        <LivePrices planner={planner.clone()} plan={plan.clone()} state={state.clone()} proxy={(*proxy).clone()} on_quotes={on_quotes.clone()} />
                        <crate::refresh_panel::RefreshPanel planner={planner.clone()} plan={plan.clone()} lang={state.lang} proxy={(*proxy).clone()} on_stored={on_stored.clone()} />
                        <Compare planner={planner.clone()} plan={plan.clone()} today={today} state={state.clone()} on_fx={on_fx.clone()}
                            can_refresh={Cloud::ALL.into_iter().any(|cloud| proxy.can_submit(cloud))} />
                    }
                </div>
                <aside class="order-side" aria-label={t(Key::BidHeading)}>
                    <BidPanel state={state.clone()} candidate={candidate.clone()} now={today} proxy={(*proxy).clone()} />
                    <RequestView state={state.clone()} context={context.clone()} />
                    if state.order.is_some() {
                        <SubmitPanel state={state.clone()} candidate={candidate.clone()} proxy={(*proxy).clone()} valid={valid} />
                    }
                </aside>
                <div class="plan-more">
                    if let Some(plan) = (*chart_plan).clone() {
                        <Charts planner={planner.clone()} plan={plan} candidate={candidate.clone()} state={state.clone()} today={today} />
                    }
                </div>
            </>
        },
        Err(error) => {
            html! { <p class="error" role="alert">{ catalog_unusable(state.lang, error) }</p> }
        }
    };
    let sources = match &*planner {
        Ok(planner) => planner.catalog().sources().to_vec(),
        Err(_) => Vec::new(),
    };
    html! {
        <>
            <header class="topbar">
                <div class="brand">
                    <h1>{ "Spotplan" }</h1>
                    <p class="tagline">{ t(Key::Tagline) }</p>
                </div>
                <nav aria-label={if state.lang == Lang::Zh { "页面" } else { "Pages" }}>
                    <button aria-current={(*page == Page::Plan).then_some("page")} onclick={go(Page::Plan)}>{ t(Key::PlanPage) }</button>
                    <button aria-current={(*page == Page::Orders).then_some("page")} onclick={go(Page::Orders)}>{ t(Key::OrdersPage) }</button>
                    <button aria-current={(*page == Page::Instances).then_some("page")} onclick={go(Page::Instances)}>{ t(Key::InstancesPage) }</button>
                    <button id="nav-fleet" aria-current={(*page == Page::Fleet).then_some("page")} onclick={go(Page::Fleet)}>{ crate::i18n::fleet::fleet_text(lang, crate::i18n::fleet::FleetText::Page) }</button>
                </nav>
                <label class="lang">{ t(Key::Language) }
                    <select onchange={set_lang}>
                        <option value="en" selected={lang == Lang::En}>{ "English" }</option>
                        <option value="zh" selected={lang == Lang::Zh}>{ "中文" }</option>
                    </select>
                </label>
            </header>
            <main class={classes!((*page == Page::Plan).then_some("planner"), (*page == Page::Fleet).then_some("fleet-page"))}>
                if *page == Page::Orders {
                    <OrdersPage lang={lang} />
                } else if *page == Page::Instances {
                    <InstancesPage lang={lang} person={match &*proxy {
                        ProxyStatus::Reachable(health) => health.person.clone(),
                        _ => None,
                    }} />
                } else if *page == Page::Fleet {
                    { match &*planner {
                        Ok(planner) => html! { <FleetPage planner={planner.clone()} state={state.clone()} proxy={(*proxy).clone()} draft={fleet_draft.clone()} /> },
                        Err(error) => html! { <p class="error" role="alert">{ catalog_unusable(state.lang, error) }</p> },
                    } }
                } else {
                    { plan_sections }
                    if let Some(report) = (*bench_report).clone() {
                        <section aria-labelledby="bench-heading">
                            <h2 id="bench-heading">{ "In-browser benchmark" }</h2>
                            <pre data-testid="wasm-bench">{ report }</pre>
                        </section>
                    }
                    <section class="proxy-section" aria-labelledby="proxy-heading">
                        <h2 id="proxy-heading">{ t(Key::ProxyHeading) }</h2>
                        <ProxyPanel status={(*proxy).clone()} lang={lang} on_signed_in={on_signed_in} />
                    </section>
                }
            </main>
            <footer>
                <h2>{ t(Key::PriceData) }</h2>
                <ul data-testid="attribution">
                    { for sources.iter().map(|source| {
                        let (line, licence) = i18n::source_credit(lang, source);
                        html! {
                            <li>{ &*line }{ " — " }<a href={source.url.clone()}>{ &source.url }</a>{ format!(" ({}, {licence})", source.date) }</li>
                        }
                    }) }
                </ul>
                <p class="muted">{ t(Key::SnapshotNote) }</p>
                <ul class="clouds">
                    { for Cloud::ALL.iter().map(|cloud| html! {
                        <li data-cloud={cloud.id()}>{ cloud.display_name() }{ " · " }{ cloud.display_name_zh() }</li>
                    }) }
                </ul>
            </footer>
        </>
    }
}

#[derive(Debug, Properties, PartialEq)]
struct ProxyPanelProps {
    status: ProxyStatus,
    lang: Lang,
    /// Signed in through the form: the proxy is asked again.
    on_signed_in: Callback<()>,
}

#[component]
fn ProxyPanel(props: &ProxyPanelProps) -> Html {
    let t = |key| text(props.lang, key);
    match &props.status {
        ProxyStatus::Checking => html! { <p role="status" data-testid="proxy-status">{ t(Key::CheckingProxy) }</p> },
        ProxyStatus::Unreachable(reason) => html! {
            <p role="status" data-testid="proxy-status" class="warning">
                { t(Key::ProxyUnreachable) }{ " (" }{ reason }{ ")." }
            </p>
        },
        ProxyStatus::NotSignedIn(health) => html! {
            <>
                <p role="status" data-testid="proxy-status" class="warning">
                    { format!("{} {}: {}.", t(Key::ProxyHeading), health.version, t(Key::ProxyNotSignedIn)) }
                </p>
                <crate::sign_in_form::SignInForm lang={props.lang} on_signed_in={props.on_signed_in.clone()} />
            </>
        },
        ProxyStatus::Reachable(health) => html! {
            <div role="status" data-testid="proxy-status">
                <p>{ format!("{} {} {}.", t(Key::ProxyHeading), health.version, t(Key::ProxyConnected)) }</p>
                <ul>
                    { for health.clouds.iter().map(|cloud| html! {
                        <li data-cloud={cloud.cloud.id()}>
                            { crate::i18n::cloud_name(props.lang, cloud.cloud) }{ ": " }
                            { if cloud.credentials_configured { t(Key::CredsConfigured) } else { t(Key::CredsMissing) } }
                            { match cloud.account_currency {
                                Some(spotplan_core::Currency::Usd) => format!(" · {}", t(Key::InternationalSite)),
                                Some(spotplan_core::Currency::Cny) => format!(" · {}", t(Key::ChinaSite)),
                                None => String::new(),
                            } }
                        </li>
                    }) }
                </ul>
            </div>
        },
    }
}
