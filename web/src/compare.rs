//! The comparison view: the requirement form (sizes, GPU, architecture, count, hours, risk, where, clouds) and
//! the ranked table the core computes in wasm on every change.

use rust_decimal::Decimal;
use spotplan_core::catalog::Arch;
use spotplan_core::plan::{Area, Requirement};
use spotplan_core::{Cloud, Planner, TimeUnit};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::i18n::{Key, Lang, match_summary, text};
use crate::number_field::{NumberField, Rule};
use crate::offer_table::OfferTable;
use crate::state::{Action, UiState};
use crate::unread_text::RequirementField;
use rust_decimal::prelude::ToPrimitive;

/// Properties: the planner built once by the app, today's date (Unix seconds) for ages, and the UI state.
#[derive(Debug, Properties)]
pub struct CompareProps {
    /// The planner over the embedded catalog.
    pub planner: std::rc::Rc<Planner>,
    /// The ranking for the state's requirement.
    pub plan: std::rc::Rc<spotplan_core::plan::Plan>,
    /// Now, in Unix seconds, for the age of figures.
    pub today: i64,
    /// The UI state (the requirement lives there).
    pub state: UseReducerHandle<UiState>,
    /// Sets the exchange rate (CNY per USD).
    pub on_fx: Callback<Decimal>,
    /// Whether the proxy can refresh prices for this page (signed in, with some cloud's credentials).
    pub can_refresh: bool,
}

impl PartialEq for CompareProps {
    fn eq(&self, other: &Self) -> bool {
        std::rc::Rc::ptr_eq(&self.planner, &other.planner)
            && std::rc::Rc::ptr_eq(&self.plan, &other.plan)
            && self.today == other.today
            && self.state == other.state
            && self.can_refresh == other.can_refresh
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
    let plan = props.plan.clone();
    let knowledge = planner.knowledge(&plan);
    let old_catalog = crate::known::old_catalog_note(lang, &knowledge, props.today, props.can_refresh);
    // The regions as typed, shown while they still say what the requirement holds (so a half-typed list is not
    // rewritten under the cursor); a plan from the URL or history shows its own list.
    let regions_typed = use_state(String::new);
    let regions_shown = if crate::url_state::region_list(&regions_typed) == requirement.regions {
        (*regions_typed).clone()
    } else {
        requirement.regions.join(", ")
    };
    let regions_changed = {
        let (state, regions_typed) = (state.clone(), regions_typed.clone());
        Callback::from(move |event: InputEvent| {
            let input: HtmlInputElement = event.target_unchecked_into();
            let mut next = state.requirement.clone();
            next.regions = crate::url_state::region_list(&input.value());
            regions_typed.set(input.value());
            state.dispatch(Action::SetRequirement(next));
        })
    };
    let unknown_regions = unknown_region_ids(&planner, &requirement.regions);
    let set = |apply: fn(&mut Requirement, Option<Decimal>)| {
        let state = state.clone();
        Callback::from(move |number: Option<Decimal>| {
            let mut next = state.requirement.clone();
            apply(&mut next, number);
            state.dispatch(Action::SetRequirement(next));
        })
    };
    let unread = |field: RequirementField| {
        let state = state.clone();
        Callback::from(move |text: Option<String>| state.dispatch(Action::RequirementText(field, text)))
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
    let select = |apply: fn(&mut Requirement, &str)| {
        let state = state.clone();
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            let mut next = state.requirement.clone();
            apply(&mut next, &select.value());
            state.dispatch(Action::SetRequirement(next));
        })
    };
    let toggle_cloud = |cloud: Cloud| {
        let state = state.clone();
        Callback::from(move |_: Event| {
            let mut next = state.requirement.clone();
            let mut clouds = if next.clouds.is_empty() {
                Cloud::ALL.to_vec()
            } else {
                next.clouds.clone()
            };
            if clouds.contains(&cloud) {
                clouds.retain(|c| *c != cloud);
            } else {
                clouds.push(cloud);
                clouds.sort();
            }
            next.clouds = if clouds.len() == Cloud::ALL.len() {
                Vec::new()
            } else {
                clouds
            };
            state.dispatch(Action::SetRequirement(next));
        })
    };
    let number = |value: Option<u32>| value.map(|v| v.to_string()).unwrap_or_default();
    let decimal = |value: Option<Decimal>| value.map(|v| v.normalize().to_string()).unwrap_or_default();
    let cloud_on = |cloud: Cloud| requirement.clouds.is_empty() || requirement.clouds.contains(&cloud);
    let percent = (requirement.max_interruption * Decimal::from(100))
        .normalize()
        .to_string();
    html! {
        <section aria-labelledby="compare-heading">
            <h2 id="compare-heading">{ t(Key::CompareHeading) }</h2>
            <form class="requirement" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
                <NumberField id="vcpu-min" on_unread={unread(RequirementField::VcpuMin)} unread={state.unread.get(RequirementField::VcpuMin)} label={t(Key::VcpuFrom)} lang={lang} rule={Rule::OptionalWhole}
                    value={number(requirement.vcpu_min)} on_value={set(|r, n| r.vcpu_min = n.and_then(|n| n.to_u32()))} />
                <NumberField id="vcpu-max" on_unread={unread(RequirementField::VcpuMax)} unread={state.unread.get(RequirementField::VcpuMax)} label={t(Key::VcpuTo)} lang={lang} rule={Rule::OptionalWhole}
                    value={number(requirement.vcpu_max)} on_value={set(|r, n| r.vcpu_max = n.and_then(|n| n.to_u32()))} />
                <NumberField id="memory-min" on_unread={unread(RequirementField::MemoryMin)} unread={state.unread.get(RequirementField::MemoryMin)} label={t(Key::MemoryFrom)} lang={lang} rule={Rule::OptionalDecimal}
                    value={decimal(requirement.memory_min_gib)} on_value={set(|r, n| r.memory_min_gib = n)} />
                <NumberField id="memory-max" on_unread={unread(RequirementField::MemoryMax)} unread={state.unread.get(RequirementField::MemoryMax)} label={t(Key::MemoryTo)} lang={lang} rule={Rule::OptionalDecimal}
                    value={decimal(requirement.memory_max_gib)} on_value={set(|r, n| r.memory_max_gib = n)} />
                if let Some(problem) = inverted_ranges(lang, &requirement) {
                    <p class="field-problems error range-problem" role="status" data-testid="range-problem">{ format!("✖ {problem}") }</p>
                }
                <NumberField id="gpu-min" on_unread={unread(RequirementField::GpuMin)} unread={state.unread.get(RequirementField::GpuMin)} zero_is_none=true label={t(Key::GpuMin)} lang={lang} rule={Rule::OptionalWhole}
                    value={number(requirement.gpu_min)} on_value={set(|r, n| r.gpu_min = n.and_then(|n| n.to_u32()).filter(|n| *n > 0))} />
                <label>{ t(Key::GpuModel) }<input type="text" value={requirement.gpu_model.clone().unwrap_or_default()}
                    oninput={update(|r, v| r.gpu_model = Some(v.to_owned()).filter(|m| !m.trim().is_empty()))} /></label>
                <label>{ t(Key::Arch) }
                    <select onchange={select(|r, v| r.arch = match v { "x86_64" => Some(Arch::X86_64), "arm64" => Some(Arch::Arm64), _ => None })}>
                        <option value="any" selected={requirement.arch.is_none()}>{ t(Key::AnyArch) }</option>
                        <option value="x86_64" selected={requirement.arch == Some(Arch::X86_64)}>{ "x86-64" }</option>
                        <option value="arm64" selected={requirement.arch == Some(Arch::Arm64)}>{ "Arm64" }</option>
                    </select>
                </label>
                <NumberField id="instances" on_unread={unread(RequirementField::Instances)} unread={state.unread.get(RequirementField::Instances)} label={t(Key::Instances)} lang={lang} rule={Rule::AtLeastOne}
                    value={requirement.instance_count.to_string()} on_value={set(|r, n| if let Some(n) = n.and_then(|n| n.to_u32()) { r.instance_count = n })} />
                <NumberField id="hours" on_unread={unread(RequirementField::Hours)} unread={state.unread.get(RequirementField::Hours)} label={t(Key::Hours)} lang={lang} rule={Rule::Hours}
                    value={requirement.hours.normalize().to_string()} on_value={set(|r, n| if let Some(n) = n { r.hours = n })} />
                <NumberField id="max-interruption" on_unread={unread(RequirementField::MaxInterruption)} unread={state.unread.get(RequirementField::MaxInterruption)} label={t(Key::MaxInterruption)} lang={lang} rule={Rule::Percent}
                    value={percent} on_value={set(|r, n| if let Some(n) = n { r.max_interruption = n / Decimal::from(100) })} />
                <label>{ t(Key::Where) }
                    <select onchange={select(|r, v| r.area = match v { "china" => Area::MainlandChina, "outside" => Area::OutsideMainlandChina, _ => Area::Anywhere })}>
                        <option value="any" selected={requirement.area == Area::Anywhere}>{ t(Key::Anywhere) }</option>
                        <option value="china" selected={requirement.area == Area::MainlandChina}>{ t(Key::MainlandChina) }</option>
                        <option value="outside" selected={requirement.area == Area::OutsideMainlandChina}>{ t(Key::OutsideChina) }</option>
                    </select>
                </label>
                <label>{ t(Key::Currency) }
                    <select onchange={select(|r, v| r.currency = if v == "USD" { spotplan_core::Currency::Usd } else { spotplan_core::Currency::Cny })}>
                        <option value="CNY" selected={requirement.currency == spotplan_core::Currency::Cny}>{ "CNY ¥" }</option>
                        <option value="USD" selected={requirement.currency == spotplan_core::Currency::Usd}>{ "USD $" }</option>
                    </select>
                </label>
                <label>{ t(Key::PriceUnit) }
                    <select onchange={select(|r, v| r.unit = match v { "minute" => TimeUnit::Minute, "day" => TimeUnit::Day, "month" => TimeUnit::Month, _ => TimeUnit::Hour })}>
                        { for [TimeUnit::Minute, TimeUnit::Hour, TimeUnit::Day, TimeUnit::Month].into_iter().map(|unit| html! {
                            <option value={unit.label()} selected={requirement.unit == unit}>{ crate::i18n::unit_name(lang, unit) }</option>
                        }) }
                    </select>
                </label>
                <NumberField id="cny-per-usd" on_unread={unread(RequirementField::CnyPerUsd)} unread={state.unread.get(RequirementField::CnyPerUsd)} label={t(Key::CnyPerUsd)} lang={lang} rule={Rule::Positive}
                    value={planner.fx().cny_per_usd.normalize().to_string()}
                    on_value={{
                        let on_fx = props.on_fx.clone();
                        Callback::from(move |rate: Option<Decimal>| if let Some(rate) = rate { on_fx.emit(rate) })
                    }} />
                if let Some(warning) = fx_warning(lang, planner.fx().cny_per_usd) {
                    <p class="field-problems warning" role="status" data-testid="fx-warning">{ format!("⚠ {warning}") }</p>
                }
                <div class="regions-field">
                    <label for="regions">{ t(Key::Regions) }</label>
                    <input id="regions" type="text" placeholder="cn-hangzhou, ap-guangzhou-6, bj" value={regions_shown}
                        oninput={regions_changed} aria-describedby="regions-problem" aria-invalid={(!unknown_regions.is_empty()).to_string()} />
                    if !unknown_regions.is_empty() {
                        <p id="regions-problem" class="field-problems error" role="status">
                            { format!("✖ {}: {}", t(Key::UnknownRegions), unknown_regions.join(", ")) }
                        </p>
                    }
                </div>
                <fieldset class="clouds-filter">
                    <legend>{ t(Key::Clouds) }</legend>
                    { for Cloud::ALL.into_iter().map(|cloud| html! {
                        <label><input type="checkbox" checked={cloud_on(cloud)} onchange={toggle_cloud(cloud)} />{ crate::i18n::cloud_name(lang, cloud) }</label>
                    }) }
                </fieldset>
            </form>
            // Prices older than a month: their ages move from the summary into a note that says what to do.
            <p role="status" data-testid="plan-summary">
                { match_summary(lang, plan.ranked.len(), plan.excluded_unknown) }
                { crate::i18n::price_basis(lang, &requirement, planner.fx()) }
                if old_catalog.is_none() {
                    <span data-testid="price-ages">{ crate::known::freshness(lang, &knowledge, props.today) }</span>
                }
            </p>
            if let Some(note) = old_catalog {
                <p class="notice" role="note">
                    <span data-testid="price-ages">{ crate::known::freshness(lang, &knowledge, props.today) }</span>
                    { " " }
                    <strong data-testid="old-catalog-note">{ note }</strong>
                </p>
            }
            if let Some(note) = crate::known::risk_note(lang, &knowledge) {
                <p class="muted" data-testid="risk-note">{ note }</p>
            }
            if plan.ranked.is_empty() {
                if let Some(wider) = crate::known::empty_explanation(lang, &planner, &requirement) {
                    <p class="muted" data-testid="empty-explanation">{ wider }</p>
                }
            }
            { recent_plans(lang) }
            <crate::best_picks::BestPicks planner={planner.clone()} plan={plan.clone()} today={props.today} state={state.clone()} />
            <OfferTable planner={planner.clone()} plan={plan.clone()} today={props.today} state={state.clone()} />
        </section>
    }
}

/// Why no offer can match a range whose lower end is above its upper end.
fn inverted_ranges(lang: Lang, requirement: &Requirement) -> Option<String> {
    let mut problems = Vec::new();
    if let (Some(min), Some(max)) = (requirement.vcpu_min, requirement.vcpu_max)
        && min > max
    {
        problems.push((
            text(lang, Key::VcpuFrom),
            min.to_string(),
            text(lang, Key::VcpuTo),
            max.to_string(),
        ));
    }
    if let (Some(min), Some(max)) = (requirement.memory_min_gib, requirement.memory_max_gib)
        && min > max
    {
        let (min, max) = (min.normalize().to_string(), max.normalize().to_string());
        problems.push((text(lang, Key::MemoryFrom), min, text(lang, Key::MemoryTo), max));
    }
    let sentences: Vec<String> = problems
        .into_iter()
        .map(|(from, min, to, max)| match lang {
            Lang::En => {
                format!("{from} ({min}) is above {to} ({max}): no offer can match; swap them or widen the range.")
            }
            Lang::Zh => format!("{from}（{min}）大于{to}（{max}）：没有报价能符合，请对调或放宽范围。"),
        })
        .collect();
    (!sentences.is_empty()).then(|| sentences.join(" "))
}

/// The typed ids that name no region or zone of the catalog.
fn unknown_region_ids(planner: &Planner, ids: &[String]) -> Vec<String> {
    let catalog = planner.catalog();
    ids.iter()
        .filter(|id| {
            !catalog.regions().iter().any(|region| region.id == **id)
                && !catalog
                    .offers()
                    .iter()
                    .any(|offer| offer.zone.as_deref() == Some(id.as_str()))
        })
        .cloned()
        .collect()
}

/// The recent plans after the current one, each with a short label; plans whose labels would read the same
/// (they differ only in what the label leaves out, such as sort order, risk or display unit) appear once, the
/// newest.
fn recent_labels(recent: &[String]) -> Vec<(String, String)> {
    let mut shown: Vec<(String, String)> = Vec::new();
    for query in recent.iter().skip(1) {
        let (requirement, offer) = crate::url_state::decode(query);
        let mut label = format!(
            "{}–{} vCPU · {}–{} GiB · ×{} · {} h",
            requirement.vcpu_min.map(|v| v.to_string()).unwrap_or_default(),
            requirement.vcpu_max.map(|v| v.to_string()).unwrap_or_default(),
            requirement
                .memory_min_gib
                .map(|v| v.normalize().to_string())
                .unwrap_or_default(),
            requirement
                .memory_max_gib
                .map(|v| v.normalize().to_string())
                .unwrap_or_default(),
            requirement.instance_count,
            requirement.hours.normalize(),
        );
        if !requirement.clouds.is_empty() {
            let clouds: Vec<&str> = requirement.clouds.iter().map(|c| c.id()).collect();
            label.push_str(&format!(" · {}", clouds.join("+")));
        }
        if !requirement.regions.is_empty() {
            label.push_str(&format!(" · {}", requirement.regions.join(",")));
        }
        if let Some(offer) = offer {
            label.push_str(&format!(" · {}", offer.instance_type));
        }
        if !shown.iter().any(|(_, seen)| *seen == label) {
            shown.push((query.clone(), label));
        }
    }
    shown
}

/// Links to the recent plans kept in localStorage.
fn recent_plans(lang: crate::i18n::Lang) -> Html {
    let recent = crate::url_state::browser::recent();
    let labels = recent_labels(&recent);
    if labels.is_empty() {
        return html! {};
    }
    html! {
        <nav class="recent" aria-label={if lang == crate::i18n::Lang::Zh { "最近的规划" } else { "Recent plans" }}>
            { if lang == crate::i18n::Lang::Zh { "最近的规划：" } else { "Recent plans: " } }
            { for labels.into_iter().map(|(query, label)| html! { <a href={query}>{ label }</a> }) }
        </nav>
    }
}

/// A rate far outside the yuan's range of the last decade (6.1–7.4 per dollar) is most likely a typo — 72 for 7.2 —
/// and every bid typed in one currency for an account paying in the other is converted with it. A warning, not a
/// refusal: nothing says what the rate must be.
pub fn fx_warning(lang: Lang, cny_per_usd: Decimal) -> Option<String> {
    let plausible = Decimal::from(5)..=Decimal::from(10);
    (!plausible.contains(&cny_per_usd)).then(|| {
        let rate = cny_per_usd.normalize();
        match lang {
            Lang::En => format!(
                "{rate} CNY per USD is far from the rates of the last decade (about 6–7.5): bids typed in one currency for an account paying in the other are converted with it"
            ),
            Lang::Zh => format!("{rate} 元/美元与近十年的汇率（约 6–7.5）相差甚远：以一种货币输入、以另一种货币结算的出价都会按它换算"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn recent_plans_read_apart_and_read_once() {
        let recent: Vec<String> = [
            "?v=4-4&m=8-8",
            "?v=2-2&m=8-8&s=risk",
            "?v=2-2&m=8-8&s=savings",
            "?v=2-2&m=8-8&c=baidu",
        ]
        .map(String::from)
        .into();
        let labels: Vec<String> = recent_labels(&recent).into_iter().map(|(_, label)| label).collect();
        assert_eq!(
            labels,
            [
                "2–2 vCPU · 8–8 GiB · ×10 · 72 h",
                "2–2 vCPU · 8–8 GiB · ×10 · 72 h · baidu"
            ],
            "the current plan is left out, the newest of two same-reading plans stays"
        );
    }

    #[test]
    fn a_rate_far_from_the_yuans_range_is_warned_about() {
        assert_eq!(fx_warning(Lang::En, Decimal::new(71286, 4)), None);
        let typo = fx_warning(Lang::En, Decimal::from(72)).unwrap();
        assert!(typo.starts_with("72 CNY per USD is far from"), "{typo}");
        assert!(
            fx_warning(Lang::Zh, Decimal::new(72, 3))
                .unwrap()
                .starts_with("0.072 元/美元")
        );
    }
}
