//! The ranked offers as a table: every matching row, of which only those in view are rendered (fixed row height,
//! spacer rows above and below), so thousands of offers scroll without jank; sortable column headers; each figure
//! with its source and age; a Choose button per row; CSV export of every matching row.

use rust_decimal::Decimal;
use spotplan_core::advice::BidAdvice;
use spotplan_core::display::{money2, rate4};
use spotplan_core::plan::{Plan, PriceFigure, SortKey};
use spotplan_core::{Candidate, Planner, TimeUnit};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::draft_key::new_key;
use crate::i18n::{Key, Lang, text};
use crate::state::{Action, UiState};

/// Height of one row in pixels (CSS keeps rows to one line).
pub const ROW_PX: f64 = 34.0;
/// Height of the scrolling viewport in pixels.
pub const VIEWPORT_PX: f64 = 560.0;
/// Rows rendered beyond the viewport on each side.
const OVERSCAN: usize = 6;

/// The rows to render for a scroll position: `(first, last_exclusive)`.
pub fn visible_range(scroll_top: f64, total: usize) -> (usize, usize) {
    let first = ((scroll_top / ROW_PX).floor().max(0.0) as usize)
        .saturating_sub(OVERSCAN)
        .min(total);
    let count = (VIEWPORT_PX / ROW_PX).ceil() as usize + 2 * OVERSCAN;
    (first, (first + count).min(total))
}

/// Properties of the table.
#[derive(Debug, Properties)]
pub struct OfferTableProps {
    /// The planner.
    pub planner: std::rc::Rc<Planner>,
    /// The ranked plan.
    pub plan: std::rc::Rc<Plan>,
    /// Now (Unix seconds).
    pub today: i64,
    /// The UI state.
    pub state: UseReducerHandle<UiState>,
}

impl PartialEq for OfferTableProps {
    fn eq(&self, other: &Self) -> bool {
        std::rc::Rc::ptr_eq(&self.planner, &other.planner)
            && std::rc::Rc::ptr_eq(&self.plan, &other.plan)
            && self.today == other.today
            && self.state == other.state
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// Every matching row as CSV (native units and display figures, with provenance).
pub fn csv(planner: &Planner, plan: &Plan, state: &UiState, today: i64) -> String {
    let mut out = String::from(
        "rank,cloud,region,zone,instance_type,vcpu,memory_gib,gpu_count,spot_native,currency,spot_per_hour,on_demand_per_hour,savings_percent,expected_total,worst_case_total,spot_source,on_demand_source\n",
    );
    for (index, ranked) in plan.ranked.iter().enumerate() {
        let Ok(row) = planner.candidate(ranked.offer, &state.requirement, today) else {
            continue;
        };
        let hourly = |rate: Option<spotplan_core::PriceRate>| {
            rate.and_then(|r| r.in_unit(TimeUnit::Hour).ok())
                .map(|r| r.money.amount.normalize().to_string())
                .unwrap_or_default()
        };
        let fields = [
            (index + 1).to_string(),
            row.key.cloud.id().to_owned(),
            row.key.region.clone(),
            row.key.zone.clone().unwrap_or_default(),
            row.key.instance_type.clone(),
            row.vcpu.to_string(),
            row.memory_gib.normalize().to_string(),
            row.gpu_count.map(|g| g.to_string()).unwrap_or_default(),
            row.spot
                .native()
                .map(|r| r.to_string())
                .unwrap_or_else(|| "unknown".into()),
            hourly(row.spot_display),
            hourly(row.on_demand_display),
            row.savings_percent
                .map(|s| s.round_dp(2).normalize().to_string())
                .unwrap_or_default(),
            row.expected_total.map(|m| m.rounded(2).to_string()).unwrap_or_default(),
            row.worst_case_total
                .map(|m| m.rounded(2).to_string())
                .unwrap_or_default(),
            provenance(&row, Lang::En),
            on_demand_provenance(&row, Lang::En),
        ];
        out.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}

/// The GPU cell: a count with its model, `0` for none, "unknown" where the catalog does not say.
fn gpus(count: Option<u32>, model: Option<&str>, lang: Lang) -> String {
    match (count, model) {
        (None, _) => text(lang, Key::Unknown).to_owned(),
        (Some(count), Some(model)) if count > 0 => format!("{count} × {model}"),
        (Some(count), _) => count.to_string(),
    }
}

/// Where the on-demand figure comes from and how old it is.
fn on_demand_provenance(row: &Candidate, lang: Lang) -> String {
    match (&row.on_demand, lang) {
        (
            PriceFigure::Observed {
                observed_on, age_days, ..
            },
            Lang::En,
        ) => format!("on-demand: list price of {observed_on}, {age_days} days old"),
        (
            PriceFigure::Observed {
                observed_on, age_days, ..
            },
            Lang::Zh,
        ) => format!("按量：{observed_on} 目录价，{age_days} 天前"),
        (PriceFigure::Estimated { basis, .. }, Lang::En) => format!("on-demand: estimate ({basis})"),
        (PriceFigure::Estimated { basis, .. }, Lang::Zh) => format!("按量：估算（{basis}）"),
        (PriceFigure::Unknown { reason }, Lang::En) => format!("on-demand unknown: {reason}"),
        (PriceFigure::Unknown { reason }, Lang::Zh) => {
            format!("按量价格未知：{}", crate::i18n::unknown_price(lang, *reason))
        }
    }
}

/// Where the spot figure comes from and how old it is.
fn provenance(row: &Candidate, lang: Lang) -> String {
    match &row.spot {
        PriceFigure::Observed {
            observed_on, age_days, ..
        } => match lang {
            Lang::En => format!("observed {observed_on}, {age_days} days old"),
            Lang::Zh => format!("{observed_on} 观测，{age_days} 天前"),
        },
        PriceFigure::Estimated {
            assumed,
            range_low,
            range_high,
            ..
        } => format!(
            "{} {}% ({}%–{}%)",
            if lang == Lang::Zh {
                "估算：按量价格的"
            } else {
                "estimate:"
            },
            (*assumed * Decimal::from(100)).normalize(),
            (*range_low * Decimal::from(100)).normalize(),
            (*range_high * Decimal::from(100)).normalize()
        ),
        PriceFigure::Unknown { reason } => crate::i18n::unknown_price(lang, *reason),
    }
}

fn download_csv(text: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let href = format!("data:text/csv;charset=utf-8,{}", js_sys::encode_uri_component(text));
    if let Ok(element) = document.create_element("a")
        && let Ok(anchor) = element.dyn_into::<web_sys::HtmlAnchorElement>()
    {
        anchor.set_href(&href);
        anchor.set_download("spotplan-offers.csv");
        anchor.click();
    }
}

/// The table.
#[component]
pub fn OfferTable(props: &OfferTableProps) -> Html {
    let state = props.state.clone();
    let lang = state.lang;
    let t = |key| text(lang, key);
    let scroll_top = use_state(|| 0.0_f64);
    let viewport = use_node_ref();
    {
        // A new ranking starts at its top.
        let (scroll_top, viewport) = (scroll_top.clone(), viewport.clone());
        let plan_id = std::rc::Rc::as_ptr(&props.plan) as usize;
        use_effect_with(plan_id, move |_| {
            if let Some(element) = viewport.cast::<web_sys::Element>() {
                element.set_scroll_top(0);
            }
            scroll_top.set(0.0);
        });
    }
    let total = props.plan.ranked.len();
    let unit_label = format!(
        "{}/{}",
        state.requirement.currency.code(),
        crate::i18n::unit_name(lang, state.requirement.unit)
    );
    let (first, last) = visible_range(*scroll_top, total);
    let on_scroll = {
        let scroll_top = scroll_top.clone();
        Callback::from(move |event: Event| {
            if let Some(element) = event.target_dyn_into::<web_sys::Element>() {
                scroll_top.set(f64::from(element.scroll_top()));
            }
        })
    };
    let sort_header = |label: Key, key: SortKey| {
        let state = state.clone();
        let active = state.requirement.sort == key;
        let direction = if key == SortKey::Savings {
            "descending"
        } else {
            "ascending"
        };
        html! {
            <th scope="col" aria-sort={if active { direction } else { "none" }}>
                <button class="sort" onclick={Callback::from(move |_: MouseEvent| state.dispatch(Action::SetSort(key)))}>
                    { t(label) }{ if active { if key == SortKey::Savings { " ▼" } else { " ▲" } } else { "" } }
                </button>
            </th>
        }
    };
    let export = {
        let (planner, plan, state, today) = (props.planner.clone(), props.plan.clone(), state.clone(), props.today);
        Callback::from(move |_: MouseEvent| download_csv(&csv(&planner, &plan, &state, today)))
    };
    let rows = props.plan.ranked[first..last].iter().enumerate().filter_map(|(offset, ranked)| {
        let row = props.planner.candidate(ranked.offer, &state.requirement, props.today).ok()?;
        let chosen = state.selected.as_ref() == Some(&row.key);
        let choose = {
            let (state, key, recommended) = (state.clone(), row.key.clone(), row.bid.recommended_price());
            Callback::from(move |_: MouseEvent| {
                state.dispatch(Action::Select { offer: key.clone(), recommended, key: new_key() });
                state.dispatch(Action::RevealBid);
            })
        };
        let label = format!("{} {} {}", t(Key::Choose), row.key.instance_type, row.key.zone.clone().unwrap_or(row.key.region.clone()));
        Some(row_html(first + offset + 1, &row, lang, chosen, html! {
            <button class={if chosen { "chosen" } else { "" }} aria-pressed={chosen.to_string()} aria-label={label} onclick={choose}>{ t(Key::Choose) }</button>
        }))
    });
    let spacer = |rows: usize| {
        if rows == 0 {
            html! {}
        } else {
            html! { <tr aria-hidden="true" style={format!("height:{}px", rows as f64 * ROW_PX)}><td colspan="16"></td></tr> }
        }
    };
    html! {
        <div class="offer-table">
            <div class="table-tools">
                <button onclick={export} data-testid="export-csv">{ t(Key::ExportCsv) }</button>
            </div>
            <div class="table-scroll virtual" ref={viewport} style={format!("max-height:{VIEWPORT_PX}px")} onscroll={on_scroll} tabindex="0"
                 role="region" aria-label={t(Key::RankedOffers)}>
                <table data-testid="ranked-table" aria-rowcount={(total + 1).to_string()}>
                    <thead><tr>
                        <th scope="col">{ "#" }</th>
                        <th scope="col">{ t(Key::ColCloud) }</th>
                        <th scope="col">{ t(Key::ColRegion) }</th>
                        <th scope="col">{ t(Key::ColType) }</th>
                        <th scope="col">{ "vCPU" }</th>
                        <th scope="col">{ "GiB" }</th>
                        <th scope="col">{ "GPU" }</th>
                        <th scope="col">{ t(Key::ColSpotNative) }</th>
                        <th scope="col">{ format!("{} {unit_label}", t(Key::ColSpotDisplay)) }</th>
                        { sort_header(Key::ColPerVcpu, SortKey::PricePerVcpuHour) }
                        <th scope="col">{ format!("{} {unit_label}", t(Key::ColOnDemand)) }</th>
                        { sort_header(Key::ColSavings, SortKey::Savings) }
                        { sort_header(Key::ColExpected, SortKey::TotalExpectedCost) }
                        <th scope="col">{ t(Key::ColWorst) }</th>
                        { sort_header(Key::ColBid, SortKey::Risk) }
                        <th scope="col">{ t(Key::ColSource) }</th>
                        <th scope="col"><span class="visually-hidden">{ t(Key::Choose) }</span></th>
                    </tr></thead>
                    <tbody>
                        { spacer(first) }
                        { for rows }
                        { spacer(total - last) }
                    </tbody>
                </table>
            </div>
            if total == 0 { <p class="empty">{ t(Key::NoMatch) }</p> }
        </div>
    }
}

fn row_html(rank: usize, row: &Candidate, lang: Lang, chosen: bool, choose: Html) -> Html {
    let unknown = || text(lang, Key::Unknown).to_owned();
    let zh = lang == Lang::Zh;
    let place = row.key.zone.clone().unwrap_or_else(|| {
        if zh {
            format!("{}（整个地域）", row.key.region)
        } else {
            format!("{} (region)", row.key.region)
        }
    });
    let spot_native = match &row.spot {
        PriceFigure::Observed { native, .. } => native.to_string(),
        PriceFigure::Estimated { native, .. } if zh => format!("≈ {native}（估算）"),
        PriceFigure::Estimated { native, .. } => format!("≈ {native} (estimate)"),
        PriceFigure::Unknown { .. } => unknown(),
    };
    let bid = match &row.bid {
        BidAdvice::Recommended { bid, risk, windows, .. } => {
            let risk = (*risk * Decimal::from(100)).round_dp(1).normalize();
            if zh {
                format!("≤ {}（风险 {risk}%，{windows} 个窗口）", rate4(*bid))
            } else {
                format!("≤ {} ({risk}% risk, {windows} windows)", rate4(*bid))
            }
        }
        BidAdvice::Unknown { .. } if zh => "未知：无历史价格".to_owned(),
        BidAdvice::Unknown { .. } => format!("{}: no history", unknown()),
    };
    let cloud_class = format!("cloud {}", row.key.cloud.id());
    let per_vcpu = row
        .per_vcpu_hour
        .map(|m| format!("{}{}", m.currency.symbol(), m.rounded(4)))
        .unwrap_or_else(unknown);
    let on_demand_source = on_demand_provenance(row, lang);
    let source = format!("{} · {on_demand_source}", provenance(row, lang));
    html! {
        <tr class={chosen.then_some("chosen")}>
            <td>{ rank }</td>
            <td class={cloud_class}>{ row.key.cloud.display_name() }</td>
            <td title={row.region_en.clone()}>{ place }</td>
            <td>{ &row.key.instance_type }</td>
            <td class="num">{ row.vcpu }</td>
            <td class="num">{ row.memory_gib.normalize().to_string() }</td>
            <td class="num">{ gpus(row.gpu_count, row.gpu_model.as_deref(), lang) }</td>
            <td>{ spot_native }</td>
            <td class="num">{ row.spot_display.map(rate4).unwrap_or_else(unknown) }</td>
            <td class="num">{ per_vcpu }</td>
            <td class="num" title={on_demand_source}>{ row.on_demand_display.map(rate4).unwrap_or_else(unknown) }</td>
            <td class="num">{ row.savings_percent.map(|s| format!("{}%", s.round_dp(1).normalize())).unwrap_or_else(unknown) }</td>
            <td class="num">{ row.expected_total.map(money2).unwrap_or_else(unknown) }</td>
            <td class="num">{ row.worst_case_total.map(money2).unwrap_or_else(unknown) }</td>
            <td>{ bid }</td>
            <td class="provenance" title={source.clone()}>{ source }</td>
            <td>{ choose }</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn only_the_rows_in_view_and_a_margin_are_rendered() {
        assert_eq!(visible_range(0.0, 5_000), (0, 29));
        let (first, last) = visible_range(34.0 * 1_000.0, 5_000);
        assert_eq!((first, last), (994, 1_023));
        assert_eq!(visible_range(34.0 * 4_990.0, 5_000), (4_984, 5_000));
        assert_eq!(visible_range(0.0, 3), (0, 3));
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("plain"), "plain");
    }
}
