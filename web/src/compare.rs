//! The first comparison view: a requirement form and the ranked table the core computes in wasm, with the
//! price sources' attribution. (The full planner UI grows from here.)

use rust_decimal::Decimal;
use spotplan_core::advice::BidAdvice;
use spotplan_core::plan::{Area, PriceFigure, Requirement, SortKey};
use spotplan_core::{Candidate, Cloud, Planner};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::i18n::{Key, text};
use crate::state::{Action, UiState};

use spotplan_core::display::{money2, rate4};

/// Rows shown at once.
const SHOWN: usize = 50;

/// Properties: the planner built once by the app, today's date (Unix seconds) for ages, and the UI state.
#[derive(Debug, Properties)]
pub struct CompareProps {
    /// The planner over the embedded catalog.
    pub planner: std::rc::Rc<Planner>,
    /// Now, in Unix seconds, for the age of figures.
    pub today: i64,
    /// The UI state (the requirement lives there).
    pub state: UseReducerHandle<UiState>,
}

impl PartialEq for CompareProps {
    fn eq(&self, other: &Self) -> bool {
        std::rc::Rc::ptr_eq(&self.planner, &other.planner) && self.today == other.today && self.state == other.state
    }
}

/// A new idempotency key (a random UUID from the browser).
pub fn new_key() -> String {
    web_sys::window()
        .and_then(|window| window.crypto().ok())
        .map(|crypto| crypto.random_uuid())
        .unwrap_or_else(|| format!("draft-{:016x}", (js_sys::Math::random() * 1e16) as u64))
}

/// The bid to suggest for a candidate: the recommended price in CNY per hour (rounded up), when known.
pub fn suggested_bid(candidate: &Candidate, planner: &Planner) -> Option<String> {
    let BidAdvice::Recommended { bid, .. } = &candidate.bid else {
        return None;
    };
    let cny = planner.fx().convert(bid.money, spotplan_core::Currency::Cny).ok()?;
    let hourly = spotplan_core::PriceRate::new(cny, bid.per)
        .in_unit(spotplan_core::TimeUnit::Hour)
        .ok()?;
    Some(
        hourly
            .money
            .amount
            .round_dp_with_strategy(4, rust_decimal::RoundingStrategy::AwayFromZero)
            .normalize()
            .to_string(),
    )
}

/// The default requirement the page opens with: 4 vCPU / 8 GiB × 10 for 72 h in mainland China.
pub fn initial_requirement() -> Requirement {
    Requirement {
        vcpu_min: Some(4),
        vcpu_max: Some(4),
        memory_min_gib: Some(Decimal::from(8)),
        memory_max_gib: Some(Decimal::from(8)),
        instance_count: 10,
        hours: Decimal::from(72),
        area: Area::MainlandChina,
        ..Requirement::default()
    }
}

/// The requirement form and the ranked table.
#[component]
pub fn Compare(props: &CompareProps) -> Html {
    let state = props.state.clone();
    let lang = state.lang;
    let t = |key| text(lang, key);
    let requirement = state.requirement.clone();
    let planner = props.planner.clone();
    let plan = {
        let planner = planner.clone();
        use_memo(requirement.clone(), move |requirement| planner.plan(requirement))
    };
    let update = |apply: fn(&mut Requirement, &str)| {
        let state = state.clone();
        Callback::from(move |event: InputEvent| {
            let input: HtmlInputElement = event.target_unchecked_into();
            let mut next = state.requirement.clone();
            apply(&mut next, &input.value());
            state.dispatch(Action::SetRequirement(next));
        })
    };
    let area_changed = {
        let state = state.clone();
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            let mut next = state.requirement.clone();
            next.area = match select.value().as_str() {
                "china" => Area::MainlandChina,
                "outside" => Area::OutsideMainlandChina,
                _ => Area::Anywhere,
            };
            state.dispatch(Action::SetRequirement(next));
        })
    };
    let sort_changed = {
        let state = state.clone();
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            let sort = match select.value().as_str() {
                "vcpu" => SortKey::PricePerVcpuHour,
                "savings" => SortKey::Savings,
                "risk" => SortKey::Risk,
                _ => SortKey::TotalExpectedCost,
            };
            state.dispatch(Action::SetSort(sort));
        })
    };
    let rows: Vec<Candidate> = plan
        .ranked
        .iter()
        .take(SHOWN)
        .filter_map(|ranked| planner.candidate(ranked.offer, &requirement, props.today).ok())
        .collect();
    let number = |value: Option<u32>| value.map(|v| v.to_string()).unwrap_or_default();
    let decimal = |value: Option<Decimal>| value.map(|v| v.normalize().to_string()).unwrap_or_default();
    html! {
        <section aria-labelledby="compare-heading">
            <h2 id="compare-heading">{ t(Key::CompareHeading) }</h2>
            <form class="requirement" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
                <label>{ t(Key::VcpuFrom) }<input type="number" min="0" value={number(requirement.vcpu_min)}
                    oninput={update(|r, v| r.vcpu_min = v.parse().ok())} /></label>
                <label>{ t(Key::VcpuTo) }<input type="number" min="0" value={number(requirement.vcpu_max)}
                    oninput={update(|r, v| r.vcpu_max = v.parse().ok())} /></label>
                <label>{ t(Key::MemoryFrom) }<input type="number" min="0" step="any" value={decimal(requirement.memory_min_gib)}
                    oninput={update(|r, v| r.memory_min_gib = v.parse().ok())} /></label>
                <label>{ t(Key::MemoryTo) }<input type="number" min="0" step="any" value={decimal(requirement.memory_max_gib)}
                    oninput={update(|r, v| r.memory_max_gib = v.parse().ok())} /></label>
                <label>{ t(Key::Instances) }<input type="number" min="1" value={requirement.instance_count.to_string()}
                    oninput={update(|r, v| r.instance_count = v.parse().unwrap_or(1))} /></label>
                <label>{ t(Key::Hours) }<input type="number" min="0" step="any" value={requirement.hours.normalize().to_string()}
                    oninput={update(|r, v| r.hours = v.parse().unwrap_or(Decimal::ONE))} /></label>
                <label>{ t(Key::Where) }
                    <select onchange={area_changed}>
                        <option value="any" selected={requirement.area == Area::Anywhere}>{ t(Key::Anywhere) }</option>
                        <option value="china" selected={requirement.area == Area::MainlandChina}>{ t(Key::MainlandChina) }</option>
                        <option value="outside" selected={requirement.area == Area::OutsideMainlandChina}>{ t(Key::OutsideChina) }</option>
                    </select>
                </label>
                <label>{ t(Key::SortBy) }
                    <select onchange={sort_changed}>
                        <option value="cost" selected={requirement.sort == SortKey::TotalExpectedCost}>{ t(Key::SortCost) }</option>
                        <option value="vcpu" selected={requirement.sort == SortKey::PricePerVcpuHour}>{ t(Key::SortVcpu) }</option>
                        <option value="savings" selected={requirement.sort == SortKey::Savings}>{ t(Key::SortSavings) }</option>
                        <option value="risk" selected={requirement.sort == SortKey::Risk}>{ t(Key::SortRisk) }</option>
                    </select>
                </label>
            </form>
            <p role="status" data-testid="plan-summary">
                { format!("{} offers match; showing the best {}.", plan.ranked.len(), rows.len().min(SHOWN)) }
                { if plan.excluded_unknown > 0 { format!(" {} left out: a filtered value is unknown.", plan.excluded_unknown) } else { String::new() } }
                { format!(" Prices in CNY per instance-hour; USD converted at {} CNY/USD ({}, {}).",
                    planner.fx().cny_per_usd, planner.fx().as_of, planner.fx().source) }
            </p>
            <div class="table-scroll">
                <table data-testid="ranked-table">
                    <thead><tr>
                        <th scope="col">{ "#" }</th><th scope="col">{ "Cloud" }</th><th scope="col">{ "Region / zone" }</th>
                        <th scope="col">{ "Type" }</th><th scope="col">{ "vCPU" }</th><th scope="col">{ "GiB" }</th>
                        <th scope="col">{ "Spot (native)" }</th><th scope="col">{ "Spot CNY/h" }</th>
                        <th scope="col">{ "On-demand CNY/h" }</th><th scope="col">{ "Savings" }</th>
                        <th scope="col">{ "Expected total" }</th><th scope="col">{ "Worst case" }</th>
                        <th scope="col">{ "Bid advice" }</th><th scope="col">{ "Source / age" }</th><th scope="col"><span class="visually-hidden">{ t(Key::Choose) }</span></th>
                    </tr></thead>
                    <tbody>
                        { for rows.iter().enumerate().map(|(index, row)| {
                            let chosen = state.selected.as_ref() == Some(&row.key);
                            let choose = {
                                let (state, key, bid) = (state.clone(), row.key.clone(), suggested_bid(row, &planner));
                                Callback::from(move |_: MouseEvent| state.dispatch(Action::Select { offer: key.clone(), suggested_bid: bid.clone(), key: new_key() }))
                            };
                            let label = format!("{} {} {}", t(Key::Choose), row.key.instance_type, row.key.zone.clone().unwrap_or(row.key.region.clone()));
                            candidate_row(index + 1, row, html! {
                                <button class={if chosen { "chosen" } else { "" }} aria-pressed={chosen.to_string()} aria-label={label} onclick={choose}>{ t(Key::Choose) }</button>
                            })
                        }) }
                    </tbody>
                </table>
            </div>
            { if rows.is_empty() { html! { <p class="empty">{ "No offer matches: widen the vCPU or memory range, or choose \"Anywhere\"." }</p> } } else { html! {} } }
        </section>
    }
}

fn candidate_row(rank: usize, row: &Candidate, choose: Html) -> Html {
    let place = row
        .key
        .zone
        .clone()
        .unwrap_or_else(|| format!("{} (region)", row.key.region));
    let spot_native = match &row.spot {
        PriceFigure::Observed { native, .. } => native.to_string(),
        PriceFigure::Estimated { native, .. } => format!("≈ {native} (estimate)"),
        PriceFigure::Unknown { .. } => "unknown".into(),
    };
    let provenance = match &row.spot {
        PriceFigure::Observed {
            observed_on, age_days, ..
        } => format!("observed {observed_on}, {age_days} days old"),
        PriceFigure::Estimated {
            assumed,
            range_low,
            range_high,
            age_days,
            ..
        } => format!(
            "estimate: {}% of list (documented {}%–{}%); list {age_days} days old",
            (*assumed * Decimal::from(100)).normalize(),
            (*range_low * Decimal::from(100)).normalize(),
            (*range_high * Decimal::from(100)).normalize()
        ),
        PriceFigure::Unknown { reason } => reason.clone(),
    };
    let bid = match &row.bid {
        BidAdvice::Recommended { bid, risk, windows, .. } => format!(
            "≤ {} ({}% risk, {windows} windows)",
            rate4(*bid),
            (*risk * Decimal::from(100)).round_dp(1).normalize()
        ),
        BidAdvice::Unknown { .. } => "unknown: no history".into(),
    };
    let cloud_class = match row.key.cloud {
        Cloud::Alibaba => "cloud alibaba",
        Cloud::Tencent => "cloud tencent",
        Cloud::Baidu => "cloud baidu",
    };
    html! {
        <tr>
            <td>{ rank }</td>
            <td class={cloud_class}>{ row.key.cloud.display_name() }</td>
            <td title={row.region_en.clone()}>{ place }</td>
            <td>{ &row.key.instance_type }</td>
            <td class="num">{ row.vcpu }</td>
            <td class="num">{ row.memory_gib.normalize().to_string() }</td>
            <td>{ spot_native }</td>
            <td class="num">{ row.spot_display.map(rate4).unwrap_or_else(|| "unknown".into()) }</td>
            <td class="num">{ row.on_demand_display.map(rate4).unwrap_or_else(|| "unknown".into()) }</td>
            <td class="num">{ row.savings_percent.map(|s| format!("{}%", s.round_dp(1).normalize())).unwrap_or_else(|| "unknown".into()) }</td>
            <td class="num">{ row.expected_total.map(money2).unwrap_or_else(|| "unknown".into()) }</td>
            <td class="num">{ row.worst_case_total.map(money2).unwrap_or_else(|| "unknown".into()) }</td>
            <td>{ bid }</td>
            <td class="provenance">{ provenance }</td>
            <td>{ choose }</td>
        </tr>
    }
}
