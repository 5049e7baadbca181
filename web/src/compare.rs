//! The first comparison view: a requirement form and the ranked table the core computes in wasm, with the
//! price sources' attribution. (The full planner UI grows from here.)

use rust_decimal::Decimal;
use spotplan_core::advice::BidAdvice;
use spotplan_core::plan::{Area, PriceFigure, Requirement};
use spotplan_core::{Candidate, Cloud, Planner};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use spotplan_core::display::{money2, rate4};

/// Rows shown at once.
const SHOWN: usize = 50;

/// Properties: the planner built once by the app, and today's date (Unix seconds) for ages.
#[derive(Debug, Properties)]
pub struct CompareProps {
    /// The planner over the embedded catalog.
    pub planner: std::rc::Rc<Planner>,
    /// Now, in Unix seconds, for the age of figures.
    pub today: i64,
}

impl PartialEq for CompareProps {
    fn eq(&self, other: &Self) -> bool {
        std::rc::Rc::ptr_eq(&self.planner, &other.planner) && self.today == other.today
    }
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
    let requirement = use_state(initial_requirement);
    let planner = props.planner.clone();
    let plan = {
        let planner = planner.clone();
        use_memo((*requirement).clone(), move |requirement| planner.plan(requirement))
    };
    let update = |apply: fn(&mut Requirement, &str)| {
        let requirement = requirement.clone();
        Callback::from(move |event: InputEvent| {
            let input: HtmlInputElement = event.target_unchecked_into();
            let mut next = (*requirement).clone();
            apply(&mut next, &input.value());
            requirement.set(next);
        })
    };
    let area_changed = {
        let requirement = requirement.clone();
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            let mut next = (*requirement).clone();
            next.area = match select.value().as_str() {
                "china" => Area::MainlandChina,
                "outside" => Area::OutsideMainlandChina,
                _ => Area::Anywhere,
            };
            requirement.set(next);
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
            <h2 id="compare-heading">{ "Compare spot offers" }</h2>
            <form class="requirement" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
                <label>{ "vCPU from" }<input type="number" min="0" value={number(requirement.vcpu_min)}
                    oninput={update(|r, v| r.vcpu_min = v.parse().ok())} /></label>
                <label>{ "vCPU to" }<input type="number" min="0" value={number(requirement.vcpu_max)}
                    oninput={update(|r, v| r.vcpu_max = v.parse().ok())} /></label>
                <label>{ "Memory from (GiB)" }<input type="number" min="0" step="any" value={decimal(requirement.memory_min_gib)}
                    oninput={update(|r, v| r.memory_min_gib = v.parse().ok())} /></label>
                <label>{ "Memory to (GiB)" }<input type="number" min="0" step="any" value={decimal(requirement.memory_max_gib)}
                    oninput={update(|r, v| r.memory_max_gib = v.parse().ok())} /></label>
                <label>{ "Instances" }<input type="number" min="1" value={requirement.instance_count.to_string()}
                    oninput={update(|r, v| r.instance_count = v.parse().unwrap_or(1))} /></label>
                <label>{ "Hours" }<input type="number" min="0" step="any" value={requirement.hours.normalize().to_string()}
                    oninput={update(|r, v| r.hours = v.parse().unwrap_or(Decimal::ONE))} /></label>
                <label>{ "Where" }
                    <select onchange={area_changed}>
                        <option value="any" selected={requirement.area == Area::Anywhere}>{ "Anywhere" }</option>
                        <option value="china" selected={requirement.area == Area::MainlandChina}>{ "Mainland China" }</option>
                        <option value="outside" selected={requirement.area == Area::OutsideMainlandChina}>{ "Outside mainland China" }</option>
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
                        <th scope="col">{ "Bid advice" }</th><th scope="col">{ "Source / age" }</th>
                    </tr></thead>
                    <tbody>
                        { for rows.iter().enumerate().map(|(index, row)| candidate_row(index + 1, row)) }
                    </tbody>
                </table>
            </div>
            { if rows.is_empty() { html! { <p class="empty">{ "No offer matches: widen the vCPU or memory range, or choose \"Anywhere\"." }</p> } } else { html! {} } }
        </section>
    }
}

fn candidate_row(rank: usize, row: &Candidate) -> Html {
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
        </tr>
    }
}
