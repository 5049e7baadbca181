//! The ranked offers as a table: every matching row, of which only those in view are rendered (fixed row height,
//! spacer rows above and below), so thousands of offers scroll without jank; every column sortable both ways, a
//! text filter, a remembered column picker, a Choose button per row, and CSV export of the columns in view. On a
//! phone each row is a two-line card (CSS) of the same cells.

use spotplan_core::plan::{Plan, SortKey};
use spotplan_core::{Candidate, Planner};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::columns::{Column, ColumnChoice, cell, csv_value};
use crate::draft_key::new_key;
use crate::i18n::{Key, Lang, text};
use crate::state::{Action, UiState};

/// Height of one row in pixels on a wide screen (CSS keeps rows to one line).
pub const ROW_PX: f64 = 34.0;
/// Height of one two-line row on a phone.
pub const CARD_PX: f64 = 64.0;
/// Height of the scrolling viewport in pixels.
pub const VIEWPORT_PX: f64 = 560.0;
/// Rows rendered beyond the viewport on each side.
const OVERSCAN: usize = 6;

/// The row height for a page width class.
pub fn row_height(narrow: bool) -> f64 {
    if narrow { CARD_PX } else { ROW_PX }
}

/// The rows to render for a scroll position: `(first, last_exclusive)`.
pub fn visible_range(scroll_top: f64, total: usize, row_px: f64) -> (usize, usize) {
    let first = ((scroll_top / row_px).floor().max(0.0) as usize)
        .saturating_sub(OVERSCAN)
        .min(total);
    let count = (VIEWPORT_PX / row_px).ceil() as usize + 2 * OVERSCAN;
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

/// Every matching row as CSV, one field per column in view (figures as plain numbers, the price-age column with
/// the full provenance), plus the display currency and unit.
pub fn csv(planner: &Planner, plan: &Plan, state: &UiState, columns: &ColumnChoice, today: i64) -> String {
    let columns: Vec<Column> = columns.visible().into_iter().filter(|c| *c != Column::Choose).collect();
    let mut header: Vec<&str> = columns.iter().map(|c| c.id()).collect();
    header.extend(["currency", "unit"]);
    let mut out = header.join(",");
    out.push('\n');
    let currency = state.requirement.currency.code();
    for (index, ranked) in plan.ranked.iter().enumerate() {
        let Ok(row) = planner.candidate(ranked.offer, &state.requirement, today) else {
            continue;
        };
        let mut fields: Vec<String> = columns
            .iter()
            .map(|column| csv_field(&csv_value(*column, index + 1, &row, Lang::En)))
            .collect();
        fields.extend([currency.to_owned(), "hour".to_owned()]);
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
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

const COLUMNS_KEY: &str = "spotplan-columns";

fn remembered_columns() -> ColumnChoice {
    web_sys::window()
        .and_then(|window| window.local_storage().ok().flatten())
        .and_then(|storage| storage.get_item(COLUMNS_KEY).ok().flatten())
        .map(|text| ColumnChoice::parse(&text))
        .unwrap_or_default()
}

fn remember_columns(choice: &ColumnChoice) {
    if let Some(storage) = web_sys::window().and_then(|window| window.local_storage().ok().flatten()) {
        let _ = storage.set_item(COLUMNS_KEY, &choice.to_text());
    }
}

/// Whether the page is phone-narrow (rows become two-line cards).
fn narrow_screen() -> bool {
    crate::layout::matches(crate::layout::NARROW)
}

/// The table.
#[component]
pub fn OfferTable(props: &OfferTableProps) -> Html {
    let state = props.state.clone();
    let lang = state.lang;
    let t = |key| text(lang, key);
    let scroll_top = use_state(|| 0.0_f64);
    let columns = use_state(remembered_columns);
    let narrow = use_state(narrow_screen);
    let viewport = use_node_ref();
    {
        // Rows change height when the page crosses the phone width.
        let narrow = narrow.clone();
        use_effect_with((), move |_| {
            let listener = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || narrow.set(narrow_screen()));
            let window = web_sys::window();
            if let Some(window) = &window {
                let _ = window.add_event_listener_with_callback("resize", listener.as_ref().unchecked_ref());
            }
            move || {
                if let Some(window) = window {
                    let _ = window.remove_event_listener_with_callback("resize", listener.as_ref().unchecked_ref());
                }
            }
        });
    }
    {
        // A new ranking starts at its top.
        let (scroll_top, viewport) = (scroll_top.clone(), viewport.clone());
        let plan_id = std::rc::Rc::as_ptr(&props.plan) as usize;
        use_effect_with(plan_id, move |_| {
            // Setting scrollTop forces a layout: only when the table is not at its top already.
            if *scroll_top != 0.0 {
                if let Some(element) = viewport.cast::<web_sys::Element>() {
                    element.set_scroll_top(0);
                }
                scroll_top.set(0.0);
            }
        });
    }
    let row_px = row_height(*narrow);
    let total = props.plan.ranked.len();
    let unit_label = format!(
        "{}/{}",
        state.requirement.currency.code(),
        crate::i18n::unit_name(lang, state.requirement.unit)
    );
    let (first, last) = visible_range(*scroll_top, total, row_px);
    let on_scroll = {
        let scroll_top = scroll_top.clone();
        Callback::from(move |event: Event| {
            if let Some(element) = event.target_dyn_into::<web_sys::Element>() {
                scroll_top.set(f64::from(element.scroll_top()));
            }
        })
    };
    // A GPU filter shows the GPU column whatever the picker says.
    let gpu_filter = state.requirement.gpu_min.is_some() || state.requirement.gpu_model.is_some();
    let shown = if gpu_filter && !columns.shows(Column::Gpu) {
        columns.toggled(Column::Gpu)
    } else {
        (*columns).clone()
    };
    let visible = shown.visible();
    let (sort, reversed) = (state.requirement.sort, state.requirement.sort_reversed);
    let header = |column: Column| {
        let label = column.label(lang, &unit_label);
        let Some(key) = column.sort_key() else {
            return html! {
                <th scope="col" data-col={column.id()}>
                    if column == Column::Choose { <span class="visually-hidden">{ label }</span> } else { { label } }
                </th>
            };
        };
        let active = sort == key && (column != Column::SpotNative || !columns.shows(Column::Spot));
        let descending = key.natural_descending() != reversed;
        let state = state.clone();
        html! {
            <th scope="col" data-col={column.id()} aria-sort={match (active, descending) {
                (false, _) => "none", (true, true) => "descending", (true, false) => "ascending" }}>
                <button class={classes!("sort", active.then_some("active"))}
                    onclick={Callback::from(move |_: MouseEvent| state.dispatch(Action::SetSort(key)))}>
                    { label }
                    <span class="sort-indicator" aria-hidden="true">{ match (active, descending) {
                        (false, _) => "↕", (true, true) => "▼", (true, false) => "▲" } }</span>
                </button>
            </th>
        }
    };
    let export = {
        let (planner, plan, state, today, columns) = (
            props.planner.clone(),
            props.plan.clone(),
            state.clone(),
            props.today,
            shown.clone(),
        );
        Callback::from(move |_: MouseEvent| download_csv(&csv(&planner, &plan, &state, &columns, today)))
    };
    let rows = props.plan.ranked[first..last].iter().enumerate().filter_map(|(offset, ranked)| {
        let row = props.planner.candidate(ranked.offer, &state.requirement, props.today).ok()?;
        let chosen = state.selected.as_ref() == Some(&row.key);
        let rank = first + offset + 1;
        let cells = visible.iter().map(|column| {
            if *column == Column::Choose {
                return html! { <td data-col="choose">{ choose_button(&state, &row, chosen, lang) }</td> };
            }
            let cell = cell(*column, rank, &row, lang);
            let class = classes!(
                column.numeric().then_some("num"),
                (*column == Column::Cloud).then(|| format!("cloud-badge {}", row.key.cloud.id()))
            );
            let card_label = match column {
                Column::Spot => Some(t(Key::ColSpotDisplay)),
                Column::Savings => Some(t(Key::ColSavingsShort)),
                Column::Total => Some(t(Key::ColTotalShort)),
                _ => None,
            };
            html! { <td data-col={column.id()} data-label={card_label} class={class} title={cell.title}>{ cell.text }</td> }
        });
        Some(html! { <tr class={chosen.then_some("chosen")}>{ for cells }</tr> })
    });
    let spacer = |rows: usize| {
        if rows == 0 {
            html! {}
        } else {
            html! { <tr aria-hidden="true" class="spacer" style={format!("height:{}px", rows as f64 * row_px)}><td colspan={visible.len().to_string()}></td></tr> }
        }
    };
    let on_filter = {
        let state = state.clone();
        Callback::from(move |event: InputEvent| {
            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
            let mut next = state.requirement.clone();
            // Kept as typed: the planner ignores the spaces around it, and a space typed over the old text stays.
            next.text = Some(input.value()).filter(|text| !text.is_empty());
            state.dispatch(Action::SetRequirement(next));
        })
    };
    let on_sort_select = {
        let state = state.clone();
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            if let Some(key) = SortKey::from_id(&select.value()) {
                state.dispatch(Action::SetSortDirection(key, false));
            }
        })
    };
    let on_reverse = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| state.dispatch(Action::SetSortDirection(sort, !reversed)))
    };
    let picker = Column::ALL.into_iter().filter(|c| c.hideable()).map(|column| {
        let handle = columns.clone();
        let toggle = Callback::from(move |_: Event| {
            let next = handle.toggled(column);
            remember_columns(&next);
            handle.set(next);
        });
        html! {
            <label><input type="checkbox" checked={columns.shows(column)} onchange={toggle} />{ column.label(lang, &unit_label) }</label>
        }
    });
    let sort_options = SortKey::ALL.into_iter().map(|key| {
        let column = Column::ALL
            .into_iter()
            .find(|c| c.sort_key() == Some(key) && *c != Column::SpotNative);
        let label = column.map(|c| c.label(lang, &unit_label)).unwrap_or_default();
        html! { <option value={key.id()} selected={key == sort}>{ label }</option> }
    });
    html! {
        <div class="offer-table">
            <div class="table-tools">
                <label class="table-filter">{ t(Key::FilterOffers) }
                    <input type="search" data-testid="offer-filter" placeholder="ecs.c7, guangzhou, cn-hangzhou-k"
                        value={state.requirement.text.clone().unwrap_or_default()} oninput={on_filter} />
                </label>
                <label class="sort-select">{ t(Key::SortBy) }
                    <select data-testid="sort-by" onchange={on_sort_select}>{ for sort_options }</select>
                </label>
                <button data-testid="sort-direction" onclick={on_reverse}
                    aria-label={t(Key::ReverseOrder)} title={t(Key::ReverseOrder)}>
                    { if sort.natural_descending() != reversed { "▼" } else { "▲" } }
                </button>
                <details class="column-picker" data-testid="column-picker">
                    <summary>{ t(Key::Columns) }</summary>
                    <div class="column-list">{ for picker }</div>
                </details>
                <button onclick={export} data-testid="export-csv">{ t(Key::ExportCsv) }</button>
            </div>
            <div class="table-scroll virtual" ref={viewport} style={format!("max-height:{VIEWPORT_PX}px")} onscroll={on_scroll} tabindex="0"
                 role="region" aria-label={t(Key::RankedOffers)}>
                <table data-testid="ranked-table" aria-rowcount={(total + 1).to_string()} style={format!("--row-px:{row_px}px")}>
                    <thead><tr>{ for visible.iter().map(|c| header(*c)) }</tr></thead>
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

/// What a person's Choose does (the table's buttons and the best picks): select the offer as a new draft with its
/// recommended bid, and bring its bid panel into view.
pub fn choose_offer(state: &UseReducerHandle<UiState>, row: &Candidate) -> Callback<MouseEvent> {
    let (state, key, recommended) = (state.clone(), row.key.clone(), row.bid.recommended_price());
    Callback::from(move |_: MouseEvent| {
        state.dispatch(Action::Select {
            offer: key.clone(),
            recommended,
            key: new_key(),
        });
        state.dispatch(Action::RevealBid);
    })
}

fn choose_button(state: &UseReducerHandle<UiState>, row: &Candidate, chosen: bool, lang: Lang) -> Html {
    let t = |key| text(lang, key);
    let choose = choose_offer(state, row);
    let label = format!(
        "{} {} {}",
        t(Key::Choose),
        row.key.instance_type,
        row.key.zone.clone().unwrap_or(row.key.region.clone())
    );
    html! {
        <button class={if chosen { "chosen" } else { "" }} aria-pressed={chosen.to_string()} aria-label={label} onclick={choose}>{ t(Key::Choose) }</button>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn only_the_rows_in_view_and_a_margin_are_rendered() {
        assert_eq!(visible_range(0.0, 5_000, ROW_PX), (0, 29));
        let (first, last) = visible_range(34.0 * 1_000.0, 5_000, ROW_PX);
        assert_eq!((first, last), (994, 1_023));
        assert_eq!(visible_range(34.0 * 4_990.0, 5_000, ROW_PX), (4_984, 5_000));
        assert_eq!(visible_range(0.0, 3, ROW_PX), (0, 3));
        assert_eq!(visible_range(64.0 * 100.0, 5_000, CARD_PX), (94, 115));
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("plain"), "plain");
    }
}
