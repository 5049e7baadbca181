//! The bid panel for the chosen offer: the cloud's bid modes, the recommended maximum price with its risk and
//! method, the bid typed in the display currency and unit with the exact value the cloud receives (in the
//! account's currency, per hour — per minute for Baidu), the launch details, and every problem the core finds —
//! next to its field, in the UI language, with the cloud error it prevents.

use rust_decimal::Decimal;
use spotplan_core::advice::BidAdvice;
use spotplan_core::order::native_bid::bid_unit;
use spotplan_core::order::{BidMode, OsFamily, PriceQuote, Problem, Severity, SpotOrder, ValidationContext, validate};
use spotplan_core::plan::PriceFigure;
use spotplan_core::{Candidate, ExchangeRate};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::account_resources::{Scope, use_account_resources};
use crate::i18n::{Key, Lang, text};
use crate::resource_pickers::Pickers;
use crate::state::{Action, OrderField, UiState};

/// Properties of the bid panel.
#[derive(Debug, Properties, PartialEq)]
pub struct BidPanelProps {
    /// The UI state.
    pub state: UseReducerHandle<UiState>,
    /// The chosen offer's figures.
    pub candidate: Option<Candidate>,
    /// Now (Unix seconds), for validation.
    pub now: i64,
    /// The proxy: with the chosen cloud's credentials, the launch details offer the account's own resources.
    pub proxy: crate::health::ProxyStatus,
}

/// The prices validation compares the bid with: the offer's spot and on-demand prices, in the native unit, with
/// the plan's exchange rate for a quote in another currency than the account's.
pub fn validation_context(candidate: Option<&Candidate>, now: i64, fx: &ExchangeRate) -> ValidationContext {
    let quote = |figure: &PriceFigure| match figure {
        PriceFigure::Observed {
            native, observed_on, ..
        } => Some(PriceQuote {
            rate: *native,
            observed_on: observed_on.clone(),
        }),
        _ => None,
    };
    ValidationContext {
        now,
        market_price: candidate.and_then(|c| quote(&c.spot)),
        on_demand_price: candidate.and_then(|c| quote(&c.on_demand)),
        exchange_rate: Some(fx.clone()),
    }
}

fn message(problem: &Problem, lang: Lang) -> String {
    let text = if lang == Lang::Zh {
        &problem.message_zh
    } else {
        &problem.message_en
    };
    match &problem.prevents {
        Some(code) => format!("{text} [{code}]"),
        None => text.clone(),
    }
}

/// The fields with an input in the panel, whose problems appear beside it rather than in the general list.
const FIELDS_WITH_INPUTS: [&str; 16] = [
    "baidu.isomerism_card",
    "account_currency",
    "zone",
    "image_id",
    "network.vpc_id",
    "network.subnet_id",
    "network.security_group_ids",
    "system_disk.size_gb",
    "login.key_pair",
    "login.password",
    "name",
    "hostname",
    "bid.max_price",
    "data_disks",
    "tags",
    "user_data",
];

fn shown_beside_a_field(field: &str) -> bool {
    FIELDS_WITH_INPUTS
        .iter()
        .any(|input| field == *input || field.strip_prefix(input).is_some_and(|rest| rest.starts_with('[')))
}

/// The id an OS is written as in the order (and in the launch details remembered).
fn os_id(os: OsFamily) -> &'static str {
    match os {
        OsFamily::Linux => "linux",
        OsFamily::Windows => "windows",
    }
}

/// The choice of the image's operating system, set by itself when the image is one the account lists.
fn os_field(state: &UseReducerHandle<UiState>, order: &SpotOrder, lang: Lang) -> Html {
    let (state, cloud, region, zone) = (state.clone(), order.cloud, order.region.clone(), order.zone.clone());
    let onchange = Callback::from(move |event: Event| {
        let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
        crate::launch_memory::remember(cloud, &region, zone.as_deref(), OrderField::Os, &select.value());
        state.dispatch(Action::SetField(OrderField::Os, select.value()));
    });
    html! {
        <div class="field">
            <label for="order-os">{ text(lang, Key::OsFamily) }</label>
            <select id="order-os" {onchange}>
                { for [OsFamily::Linux, OsFamily::Windows].map(|os| html! {
                    <option value={os_id(os)} selected={order.os == os}>{ if os == OsFamily::Linux { "Linux" } else { "Windows" } }</option>
                }) }
            </select>
        </div>
    }
}

/// Problems of a field, rendered under it.
fn field_problems(problems: &[Problem], field: &str, lang: Lang) -> Html {
    let mine: Vec<&Problem> = problems
        .iter()
        .filter(|p| p.field == field || p.field.starts_with(&format!("{field}[")))
        .collect();
    if mine.is_empty() {
        return html! {};
    }
    html! {
        <ul class="field-problems" id={format!("problems-{}", field.replace('.', "-"))}>
            { for mine.iter().map(|p| html! {
                <li class={if p.severity == Severity::Error { "error" } else { "warning" }} title={p.source.clone().unwrap_or_default()}>
                    { if p.severity == Severity::Error { "✖ " } else { "⚠ " } }{ message(p, lang) }
                </li>
            }) }
        </ul>
    }
}

/// A zone typed over the chosen offer's: the order goes there, but every figure shown (prices, bid advice, the
/// cost bound) is still the chosen offer's — said beside the zone (a warning: the cloud takes the order).
fn zone_moved(state: &UiState, order: &SpotOrder) -> Option<Problem> {
    let chosen = state.selected.as_ref()?;
    let (from, to) = (chosen.zone.as_deref()?, order.zone.as_deref()?);
    (from != to).then(|| Problem {
        field: "zone".into(),
        rule: "ui.zone.prices_of_the_chosen_offer".into(),
        value: to.to_owned(),
        severity: Severity::Warning,
        message_en: format!(
            "the prices, bid advice and cost shown are {from}'s (the offer chosen), not {to}'s: choose {} in {to} in the table for its own",
            chosen.instance_type
        ),
        message_zh: format!(
            "显示的价格、出价建议和费用属于 {from}（所选报价），而不是 {to}：请在表中选择 {to} 的 {} 以查看其自身数据",
            chosen.instance_type
        ),
        prevents: None,
        source: Some("the offer chosen in the table".into()),
    })
}

/// The bid panel.
#[component]
pub fn BidPanel(props: &BidPanelProps) -> Html {
    let state = props.state.clone();
    let lang = state.lang;
    let t = |key| text(lang, key);
    // Choosing an offer brings its bid into view and moves focus to it: on a narrow page the panel is below the
    // table and the page scrolls to it; on a wide one the panel is beside the table, scrolled to its top, and the
    // page stays where it is.
    let heading = use_node_ref();
    {
        let heading = heading.clone();
        use_effect_with(state.bid_reveals, move |reveals| {
            if *reveals > 0
                && let Some(element) = heading.cast::<web_sys::HtmlElement>()
            {
                if crate::layout::matches(crate::layout::SIDE_PANEL) {
                    if let Ok(Some(side)) = element.closest(".order-side") {
                        side.set_scroll_top(0);
                    }
                    let options = web_sys::FocusOptions::new();
                    options.set_prevent_scroll(true);
                    let _ = element.focus_with_options(&options);
                } else {
                    element.scroll_into_view();
                    let _ = element.focus();
                }
            }
        });
    }
    let listings = {
        let scope = state.order.as_ref().map(|order| Scope {
            cloud: order.cloud,
            region: order.region.clone(),
        });
        let enabled = scope.as_ref().is_some_and(|scope| props.proxy.can_submit(scope.cloud));
        use_account_resources(enabled, scope)
    };
    {
        // A listed image says its OS: the order takes it (its rules and its market depend on it); choosing the
        // other OS afterwards holds until another image is picked.
        let listed_os = state
            .order
            .as_ref()
            .and_then(|order| listings.image_os(&order.image_id));
        let state = state.clone();
        use_effect_with(listed_os, move |os| {
            if let Some(os) = *os
                && let Some(order) = state.order.as_ref().filter(|order| order.os != os)
            {
                let (cloud, zone) = (order.cloud, order.zone.as_deref());
                crate::launch_memory::remember(cloud, &order.region, zone, OrderField::Os, os_id(os));
                state.dispatch(Action::SetField(OrderField::Os, os_id(os).into()));
            }
        });
    }
    let Some(order) = state.order.clone() else {
        return html! { <section aria-labelledby="bid-heading"><h2 id="bid-heading">{ t(Key::BidHeading) }</h2><p class="empty">{ t(Key::NoOfferSelected) }</p></section> };
    };
    let validation = validate(
        &order,
        &validation_context(props.candidate.as_ref(), props.now, &state.fx),
    );
    let bid_entry_error = state.bid.error().cloned();
    let entry_problems = state.entry_problems();
    // A text that is not a bid is named beside the field; "a limit bid needs a price" would only repeat it. So
    // does a field's typed text the core never saw ("big" as a data disk size): it replaces the core's problem there.
    let problems: Vec<Problem> = validation
        .problems
        .iter()
        .filter(|p| bid_entry_error.is_none() || p.rule != "bid.max_price.required")
        .filter(|p| !entry_problems.iter().any(|entry| entry.field == p.field))
        .cloned()
        .chain(entry_problems.iter().cloned())
        .chain(state.submission.refused_problems().iter().cloned())
        .chain(zone_moved(&state, &order))
        .collect();
    let cloud = order.cloud;
    let unit = bid_unit(cloud);
    let display = state.display();
    let shown_bid = state.bid_text_shown();
    let pickers = Pickers::new(&listings, &order, lang);
    let field = |label: Key, id: &str, path: &str, value: String, which: OrderField, kind: &'static str| {
        let value = state.shown_text(which, value);
        let picker = pickers.for_field(which, &state);
        let state = state.clone();
        let (cloud, region, zone) = (order.cloud, order.region.clone(), order.zone.clone());
        let oninput = Callback::from(move |event: InputEvent| {
            let input: HtmlInputElement = event.target_unchecked_into();
            crate::launch_memory::remember(cloud, &region, zone.as_deref(), which, &input.value());
            state.dispatch(Action::SetField(which, input.value()));
        });
        let described = format!("problems-{}", path.replace('.', "-"));
        html! {
            <div class="field">
                <label for={id.to_owned()}>{ t(label) }</label>
                <input id={id.to_owned()} type={kind} value={value} {oninput} aria-describedby={described}
                    list={picker.as_ref().map(|picker| picker.list_id.clone())}
                    aria-invalid={problems.iter().any(|p| p.field == path && p.severity == Severity::Error).to_string()} />
                { picker.map(|picker| picker.html).unwrap_or_default() }
                { field_problems(&problems, path, lang) }
            </div>
        }
    };
    let mode_changed = |mode: BidMode| {
        let state = state.clone();
        Callback::from(move |_: Event| state.dispatch(Action::SetBidMode(mode)))
    };
    let typed_changed = {
        let state = state.clone();
        Callback::from(move |event: InputEvent| {
            let input: HtmlInputElement = event.target_unchecked_into();
            state.dispatch(Action::SetTypedBid(input.value()));
        })
    };
    // The recommendation as the bid field would show it: the bid the order sends, in the field's currency and unit.
    let advised = |bid: &spotplan_core::PriceRate| {
        let shown = props.candidate.as_ref().and_then(|candidate| candidate.bid_display);
        spotplan_core::display::max_unit_price(shown.unwrap_or(*bid))
    };
    let zh_recommendation = |bid: &spotplan_core::PriceRate, risk: &Decimal, windows: usize, capped: bool| {
        format!(
            "{}：≤ {}（在 {windows} 个与作业等长的窗口中中断风险 {}%；方法：窗口最高价的经验分位数{}）",
            t(Key::Recommended),
            advised(bid),
            spotplan_core::display::percent1(*risk * Decimal::from(100)),
            if capped { "，已封顶于按量价格" } else { "" }
        )
    };
    let recommendation = props.candidate.as_ref().map(|candidate| match &candidate.bid {
        BidAdvice::Recommended {
            bid,
            risk,
            windows,
            capped_at_on_demand,
            ..
        } if lang == Lang::Zh => zh_recommendation(bid, risk, *windows, *capped_at_on_demand),
        BidAdvice::Recommended {
            bid,
            risk,
            windows,
            capped_at_on_demand,
            ..
        } => format!(
            "{}: ≤ {} ({}% risk over {windows} windows of the job's length; empirical quantile of window maxima{})",
            t(Key::Recommended),
            advised(bid),
            spotplan_core::display::percent1(*risk * Decimal::from(100)),
            if *capped_at_on_demand {
                ", capped at on-demand"
            } else {
                ""
            }
        ),
        BidAdvice::Unknown { reason } => format!(
            "{}{}{} — {}",
            t(Key::Recommended),
            if lang == Lang::Zh { "：" } else { ": " },
            t(Key::Unknown),
            crate::i18n::no_advice(lang, *reason)
        ),
    });
    let native_line = match (order.bid.mode, order.bid.max_price) {
        (BidMode::Limit, Some(price)) => {
            let mut line = format!(
                "{}: {price} {}/{}",
                t(Key::NativeValue),
                order.account_currency.code(),
                crate::i18n::unit_name(lang, unit.per)
            );
            // Rounding up to the cloud's decimals can multiply a tiny bid: say so, with the exact figure.
            if let Some(Ok(reading)) = &state.bid.reading
                && reading.rounded
            {
                // Four places past the cloud's is enough to show what rounding did (a bid converted from a
                // dollar hour to Baidu's minute has 28): "≈" says when it is shortened.
                let full = reading.exact.money.amount.normalize();
                let shown = full.round_dp(unit.decimals + 4).normalize();
                let exact = if shown == full {
                    full.to_string()
                } else {
                    format!("≈{shown}")
                };
                line.push_str(&match lang {
                    Lang::En => format!(
                        " — rounded up from {exact}: {} takes {} decimal places",
                        cloud.display_name(),
                        unit.decimals
                    ),
                    Lang::Zh => format!(
                        "——由 {exact} 向上取整：{} 只接受 {} 位小数",
                        cloud.display_name_zh(),
                        unit.decimals
                    ),
                });
            }
            // Typed in one currency, sent in the account's: say which rate made the figure.
            if state.bid.typed_in.0 != order.account_currency {
                let fx = &state.fx;
                line.push_str(&match lang {
                    Lang::En => format!(
                        " (the account pays in {}; converted from {} at {} CNY per USD, {}, {})",
                        order.account_currency.code(),
                        state.bid.typed_in.0.code(),
                        fx.cny_per_usd,
                        fx.as_of,
                        fx.source
                    ),
                    Lang::Zh => format!(
                        "（账户以 {} 结算；由 {} 按 {} 元/美元换算，{}，{}）",
                        order.account_currency.code(),
                        state.bid.typed_in.0.code(),
                        fx.cny_per_usd,
                        fx.as_of,
                        fx.source
                    ),
                });
            }
            line
        }
        _ => String::new(),
    };
    let site = {
        let account = order.account_currency;
        let set_by_proxy = state.account_sites.set_by_proxy(cloud).map(|source| source.cloned());
        let chosen = {
            let state = state.clone();
            Callback::from(move |event: Event| {
                let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
                if let Some(currency) = spotplan_core::Currency::from_code(&select.value()) {
                    state.dispatch(Action::SetAccountCurrency(cloud, currency));
                }
            })
        };
        html! {
            <div class="field">
                <label for="account-site">{ t(Key::AccountSite) }</label>
                <select id="account-site" data-testid="account-site" disabled={set_by_proxy.is_some()} onchange={chosen}
                    aria-describedby="problems-account_currency account-site-source">
                    <option value="CNY" selected={account == spotplan_core::Currency::Cny}>{ t(Key::ChinaSite) }</option>
                    <option value="USD" selected={account == spotplan_core::Currency::Usd}>{ t(Key::InternationalSite) }</option>
                </select>
                if let Some(source) = set_by_proxy {
                    // Where it was set is told only to those signed in.
                    <p id="account-site-source" class="muted" data-testid="account-site-source">{
                        match source {
                            Some(source) => format!("{}: {}", t(Key::SiteSetByProxy), crate::i18n::site_source(lang, &source)),
                            None => t(Key::SiteSetByProxy).to_owned(),
                        }
                    }</p>
                }
                { field_problems(&problems, "account_currency", lang) }
            </div>
        }
    };
    let entry_invalid = bid_entry_error.is_some();
    let entry_problem = bid_entry_error.map(|error| {
        html! { <p class="field-problems error" id="bid-entry-error" data-testid="bid-entry-error">{ "✖ " }{ crate::i18n::typed_bid_error(lang, &error) }</p> }
    });
    let general: Vec<&Problem> = problems.iter().filter(|p| !shown_beside_a_field(&p.field)).collect();
    let sg = order.network.security_group_ids.first().cloned().unwrap_or_default();
    html! {
        <section aria-labelledby="bid-heading" class="bid-panel">
            <h2 id="bid-heading" ref={heading} tabindex="-1">{ t(Key::BidHeading) }{ format!(": {} {} · {}", crate::i18n::cloud_name(lang, cloud), order.instance_type.clone().or(order.baidu.as_ref().and_then(|b| b.spec.clone())).unwrap_or_default(), order.zone.clone().unwrap_or(order.region.clone())) }</h2>
            <fieldset>
                <legend>{ t(Key::BidMode) }</legend>
                <label><input type="radio" name="bid-mode" checked={order.bid.mode == BidMode::Market} onchange={mode_changed(BidMode::Market)} />{ t(Key::BidMarket) }</label>
                <label><input type="radio" name="bid-mode" checked={order.bid.mode == BidMode::Limit} onchange={mode_changed(BidMode::Limit)} />{ t(Key::BidLimit) }</label>
            </fieldset>
            // A market bid has no price field: what names the maximum price (the proxy's spend ceiling: "set a
            // maximum price") stands under the choice that would show it.
            if order.bid.mode != BidMode::Limit { { field_problems(&problems, "bid.max_price", lang) } }
            { site }
            if order.bid.mode == BidMode::Limit {
                <div class="field">
                    <label for="bid-price">{ format!("{} ({} / {})", t(Key::MaxPrice), display.0.code(), crate::i18n::unit_name(lang, display.1)) }</label>
                    <input id="bid-price" inputmode="decimal" value={shown_bid} oninput={typed_changed} aria-describedby="problems-bid-max_price bid-native bid-entry-error"
                        aria-invalid={(entry_invalid || problems.iter().any(|p| p.field == "bid.max_price" && p.severity == Severity::Error)).to_string()} />
                    <p id="bid-native" class="muted" data-testid="bid-native">{ native_line }</p>
                    { entry_problem.unwrap_or_default() }
                    { field_problems(&problems, "bid.max_price", lang) }
                </div>
            }
            if let Some(line) = recommendation { <p class="muted" data-testid="bid-advice">{ line }</p> }
            <h3>{ t(Key::LaunchDetails) }</h3>
            if !props.proxy.can_submit(cloud) {
                <p class="muted" data-testid="pickers-need-credentials">{ crate::i18n::resources::needs_credentials(lang) }</p>
            }
            <div class="launch-grid">
                { field(Key::Zone, "order-zone", "zone", order.zone.clone().unwrap_or_default(), OrderField::Zone, "text") }
                { field(Key::ImageId, "order-image", "image_id", order.image_id.clone(), OrderField::Image, "text") }
                { os_field(&state, &order, lang) }
                if spotplan_core::clouds::api(cloud).order_takes_vpc() { { field(Key::Vpc, "order-vpc", "network.vpc_id", order.network.vpc_id.clone().unwrap_or_default(), OrderField::Vpc, "text") } }
                { field(Key::Subnet, "order-subnet", "network.subnet_id", order.network.subnet_id.clone().unwrap_or_default(), OrderField::Subnet, "text") }
                { field(Key::SecurityGroup, "order-sg", "network.security_group_ids", sg, OrderField::SecurityGroup, "text") }
                { field(Key::SystemDiskGb, "order-disk", "system_disk.size_gb", state.system_disk_text.clone().unwrap_or_else(|| order.system_disk.as_ref().and_then(|d| d.size_gb).map(|s| s.to_string()).unwrap_or_default()), OrderField::SystemDiskGb, "text") }
                { field(Key::KeyPair, "order-keypair", "login.key_pair", order.login.key_pair.clone().unwrap_or_default(), OrderField::KeyPair, "text") }
                if let Some(shape) = order.baidu.as_ref().filter(|shape| shape.spec.as_deref().is_some_and(|spec| spec.split('.').count() >= 4)) {
                    { field(Key::GpuCard, "order-card", "baidu.isomerism_card", shape.isomerism_card.clone().unwrap_or_default(), OrderField::IsomerismCard, "text") }
                }
                { field(Key::Password, "order-password", "login.password", order.login.password.clone().unwrap_or_default(), OrderField::Password, "password") }
                { field(Key::InstanceName, "order-name", "name", order.name.clone().unwrap_or_default(), OrderField::Name, "text") }
                { field(Key::Hostname, "order-hostname", "hostname", order.hostname.clone().unwrap_or_default(), OrderField::Hostname, "text") }
                { field(Key::DataDisksGb, "order-data-disks", "data_disks", state.data_disks_text.clone(), OrderField::DataDisksGb, "text") }
                { field(Key::Tags, "order-tags", "tags", state.tags_text.clone(), OrderField::Tags, "text") }
                { field(Key::UserData, "order-user-data", "user_data", order.user_data.clone().unwrap_or_default(), OrderField::UserData, "text") }
            </div>
            <h3>{ t(Key::Problems) }</h3>
            if problems.is_empty() {
                <p role="status" class="ok" data-testid="order-valid">{ "✔ " }{ t(Key::NoProblems) }</p>
            } else {
                <ul class="problems" role="status" data-testid="order-problems">
                    { for general.iter().map(|p| html! {
                        <li class={if p.severity == Severity::Error { "error" } else { "warning" }} title={p.source.clone().unwrap_or_default()}>
                            <code>{ &p.field }</code>{ ": " }{ message(p, lang) }
                        </li>
                    }) }
                    if general.len() < problems.len() {
                        <li class="muted">{ if lang == Lang::Zh { format!("另有 {} 项显示在对应字段旁", problems.len() - general.len()) } else { format!("+ {} beside their fields above", problems.len() - general.len()) } }</li>
                    }
                </ul>
            }
        </section>
    }
}
