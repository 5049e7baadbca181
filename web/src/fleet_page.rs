//! The fleet page (`#fleet`): a target in instances, vCPUs or GiB spread over the pools the Plan page's requirement
//! matches, by a strategy, within a price cap and an hourly ceiling. It plans with the core's `plan_fleet` on every
//! input (risk from the instances the proxy followed and from the clouds' own signals — Alibaba's interruption
//! buckets, Tencent's sold-out pools — when signed in), shows the split, its totals with the job's
//! expected cost once reclaims are counted, two charts, the orders ([`crate::fleet_orders`]) and the fleets the
//! proxy keeps ([`crate::fleet_view`]).

use std::rc::Rc;

use rust_decimal::prelude::ToPrimitive;
use spotplan_core::api::fleets::FleetSubmission;
use spotplan_core::api::instances::InstancesAnswer;
use spotplan_core::api::signals::{SignalsAnswer, SignalsBody};
use spotplan_core::display::{max_money2, money2};
use spotplan_core::fleet::job::cost_of_hours;
use spotplan_core::fleet::{
    Allocation, FleetPlan, FleetRequest, JobEstimate, PoolSignals, Simulation, TargetUnit, plan_fleet,
};
use spotplan_core::plan::{Area, Requirement};
use spotplan_core::{Money, Planner};
use yew::prelude::*;

use crate::charts_panel::svg_figure;
use crate::fleet_model::{self, FleetForm, InputProblem, StrategyKind, field, problem_field};
use crate::fleet_orders::FleetOrders;
use crate::fleet_view::FleetLive;
use crate::health::ProxyStatus;
use crate::i18n::Lang;
use crate::i18n::fleet::{self as words, FleetText, fleet_text};
use crate::state::UiState;
use crate::svg_charts::{FrontierDot, SplitBar, frontier_svg, split_bars_svg};

/// How often the instances are read again for the risk signals.
const SIGNALS_REFRESH_MS: u32 = 30_000;

/// Properties of the fleet page.
#[derive(Debug, Clone, Properties)]
pub struct FleetPageProps {
    /// The planner (the catalog with live prices and the exchange rate).
    pub planner: Rc<Planner>,
    /// The app's state: the requirement whose offers are the pools, the language, the account sites.
    pub state: UseReducerHandle<UiState>,
    /// The proxy's status.
    pub proxy: ProxyStatus,
    /// The fleet draft: the form, its key and where placing stands (the app's, so it outlives this page).
    pub draft: crate::fleet_place::FleetDraft,
}

impl PartialEq for FleetPageProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.planner, &other.planner)
            && self.state == other.state
            && self.proxy == other.proxy
            && self.draft == other.draft
    }
}

/// The plan of a request, or why it could not be computed.
pub type Planned = Option<Result<Rc<FleetPlan>, String>>;

/// The fleet page.
#[component]
pub fn FleetPage(props: &FleetPageProps) -> Html {
    let lang = props.state.lang;
    let t = |key| fleet_text(lang, key);
    let currency = props.state.requirement.currency;
    // The app's form; after a reload, the one this tab kept (its amounts only if typed in the currency shown now).
    let form = use_state(|| {
        let kept = props.draft.form.borrow().clone();
        if kept == FleetForm::default() {
            crate::fleet_form_memory::recall(currency).unwrap_or(kept)
        } else {
            kept
        }
    });
    {
        let saved = props.draft.form.clone();
        use_effect_with(((*form).clone(), currency), move |(typed, currency)| {
            crate::fleet_form_memory::remember(typed, *currency);
            *saved.borrow_mut() = typed.clone();
        });
    }
    let instances = use_state(|| None::<Rc<InstancesAnswer>>);
    let signed_in = matches!(props.proxy, ProxyStatus::Reachable(_));
    {
        // Risk signals: the instances the proxy followed, read now and every half minute while signed in.
        let instances = instances.clone();
        use_effect_with(signed_in, move |signed_in| {
            let poll = signed_in.then(|| {
                let read = move || {
                    let instances = instances.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        // The risk signals' window: a book's whole history is not read every half minute.
                        let since = js_sys::Date::now() as i64 - fleet_model::SIGNALS_WINDOW_MS;
                        if let Ok(answer) = crate::api::instances(Some(since)).await {
                            instances.set(Some(Rc::new(answer)));
                        }
                    });
                };
                read();
                gloo_timers::callback::Interval::new(SIGNALS_REFRESH_MS, read)
            });
            move || drop(poll)
        });
    }
    let planner_id = Rc::as_ptr(&props.planner) as usize;
    // The clouds' own signals for the regions the requirement's cheapest offers are in: asked again when the
    // requirement changes (the proxy caches each answer five minutes).
    let cloud_signals = use_state(|| Rc::new(Vec::<(SignalsBody, SignalsAnswer)>::new()));
    {
        let (cloud_signals, planner) = (cloud_signals.clone(), props.planner.clone());
        let requirement = props.state.requirement.clone();
        use_effect_with(
            (signed_in, planner_id, requirement),
            move |(signed_in, _, requirement)| {
                if *signed_in {
                    let asks = fleet_model::signal_asks(&planner, requirement);
                    wasm_bindgen_futures::spawn_local(async move {
                        let mut answered = Vec::new();
                        for ask in asks {
                            // A cloud without credentials or signals answers with an error: its pools stay as they are.
                            if let Ok(answer) = crate::api::signals(&ask).await {
                                answered.push((ask, answer));
                            }
                        }
                        cloud_signals.set(Rc::new(answered));
                    });
                }
            },
        );
    }
    let signals = {
        let planner = props.planner.clone();
        let answer = (*instances).clone().filter(|_| signed_in);
        let answer_id = answer.as_ref().map(|a| Rc::as_ptr(a) as usize);
        let clouds = (*cloud_signals).clone();
        let clouds_id = Rc::as_ptr(&clouds) as usize;
        use_memo((planner_id, answer_id, clouds_id), move |_| {
            let mut signals = match answer {
                Some(answer) => {
                    fleet_model::signals_from_instances(planner.catalog(), &answer.instances, answer.now_ms)
                }
                None => PoolSignals::default(),
            };
            for (ask, answer) in clouds.iter() {
                fleet_model::merge_cloud_signals(planner.catalog(), &mut signals, ask, answer);
            }
            (fleet_model::stamp(), Rc::new(signals))
        })
    };
    let read = fleet_model::read_form(&form, &props.state.requirement, lang);
    let request = read.as_ref().ok().cloned();
    let planned: Rc<(u64, Planned)> = {
        let (planner, (signals_stamp, signals)) = (props.planner.clone(), (*signals).clone());
        use_memo((planner_id, request.clone(), signals_stamp), move |(_, request, _)| {
            let plan = request.as_ref().map(|request| {
                plan_fleet(&planner, request, &signals, Simulation::default())
                    .map(Rc::new)
                    .map_err(|error| error.to_string())
            });
            (fleet_model::stamp(), plan)
        })
    };
    let (plan_stamp, plan) = (planned.0, &planned.1);
    let input_problems: Vec<InputProblem> = read.err().unwrap_or_default();
    let plan_ok = match plan {
        Some(Ok(plan)) => Some(plan.clone()),
        _ => None,
    };
    let plan_problems: Vec<(&'static str, String)> = plan_ok
        .iter()
        .flat_map(|plan| plan.problems.iter())
        .map(|problem| (problem_field(problem), words::fleet_problem(lang, problem)))
        .collect();
    // The proxy's refusal of the last send, when it names a field the form has an input for — beside that input
    // until the form is edited (the form as it stood when the refusal first showed is kept to tell).
    let form_at_refusal = use_mut_ref(|| None::<(Rc<FleetSubmission>, FleetForm)>);
    let refused: Option<(&'static str, String)> = match &*props.draft.placing {
        crate::fleet_place::Placing::Refused(crate::api::ApiError::Refused(body), sent) => {
            let mut kept = form_at_refusal.borrow_mut();
            if !kept.as_ref().is_some_and(|(refused, _)| Rc::ptr_eq(refused, sent)) {
                *kept = Some((sent.clone(), (*form).clone()));
            }
            let unchanged = kept.as_ref().is_some_and(|(_, then)| *then == *form);
            body.error
                .field
                .as_deref()
                .and_then(fleet_model::refusal_field)
                .filter(|_| unchanged)
                .map(|id| {
                    (
                        id,
                        format!("{} ({})", crate::i18n::proxy::refusal(lang, body), body.error.code),
                    )
                })
        }
        _ => None,
    };
    // Beside each input: its own typed-value problem, then the plan's problems that name its field, then the
    // proxy's refusal of the last send.
    let beside = |id: &'static str| -> Html {
        let messages: Vec<String> = input_problems
            .iter()
            .filter(|problem| problem.field == id)
            .map(|problem| problem.message.clone())
            .chain(
                plan_problems
                    .iter()
                    .filter(|(field, _)| *field == id)
                    .map(|(_, m)| m.clone()),
            )
            .chain(refused.iter().filter(|(field, _)| *field == id).map(|(_, m)| m.clone()))
            .collect();
        if messages.is_empty() {
            return html! {};
        }
        html! {
            <span class="field-problem error" role="status" id={format!("{id}-problem")}>
                { for messages.into_iter().map(|message| html! { <span class="message">{ format!("✖ {message}") }</span> }) }
            </span>
        }
    };
    let set_text = |pick: fn(&mut FleetForm) -> &mut String| {
        let form = form.clone();
        Callback::from(move |event: InputEvent| {
            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
            let mut next = (*form).clone();
            *pick(&mut next) = input.value();
            form.set(next);
        })
    };
    let number = |id: &'static str,
                  label: String,
                  value: &str,
                  pick: fn(&mut FleetForm) -> &mut String,
                  disabled: bool| {
        let invalid =
            input_problems.iter().any(|p| p.field == id) || refused.as_ref().is_some_and(|(field, _)| *field == id);
        html! {
            <label class="number-field">{ label }
                <input id={id} type="text" inputmode="decimal" autocomplete="off" value={value.to_owned()} disabled={disabled}
                    aria-invalid={invalid.to_string()} oninput={set_text(pick)} />
                { beside(id) }
            </label>
        }
    };
    let on_unit = {
        let form = form.clone();
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            if let Some(unit) = fleet_model::unit_from_id(&select.value()) {
                form.set(FleetForm {
                    unit,
                    ..(*form).clone()
                });
            }
        })
    };
    let on_strategy = {
        let form = form.clone();
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            if let Some(strategy) = StrategyKind::from_id(&select.value()) {
                form.set(FleetForm {
                    strategy,
                    ..(*form).clone()
                });
            }
        })
    };
    let on_maintain = {
        let form = form.clone();
        Callback::from(move |_: Event| {
            form.set(FleetForm {
                maintain: !form.maintain,
                ..(*form).clone()
            })
        })
    };
    let currency = props.state.requirement.currency.code();
    let strategy_label = |kind: StrategyKind| match kind {
        StrategyKind::LowestPrice => t(FleetText::LowestPrice),
        StrategyKind::Diversified => t(FleetText::Diversified),
        StrategyKind::PriceAndRisk => t(FleetText::PriceAndRisk),
    };
    let inputs = html! {
        <section aria-labelledby="fleet-inputs-heading" class="fleet-inputs-section">
            <h2 id="fleet-inputs-heading">{ t(FleetText::Heading) }</h2>
            <p class="muted" data-testid="fleet-pools-from">{ words::pools_from(lang, &requirement_summary(lang, &props.state.requirement)) }</p>
            <div class="requirement fleet-inputs">
                { number(field::TARGET, t(FleetText::Target).to_owned(), &form.target, |f| &mut f.target, false) }
                <label>{ t(FleetText::Unit) }
                    <select id="fleet-unit" onchange={on_unit}>
                        { for [TargetUnit::Instances, TargetUnit::Vcpus, TargetUnit::MemoryGib].into_iter().map(|unit| html! {
                            <option value={fleet_model::unit_id(unit)} selected={form.unit == unit}>{ words::unit_name(lang, unit) }</option>
                        }) }
                    </select>
                </label>
                <label>{ t(FleetText::Strategy) }
                    <select id="fleet-strategy" onchange={on_strategy}>
                        { for StrategyKind::ALL.into_iter().map(|kind| html! {
                            <option value={kind.id()} selected={form.strategy == kind}>{ strategy_label(kind) }</option>
                        }) }
                    </select>
                </label>
                { number(field::MIN_POOLS, t(FleetText::MinPools).to_owned(), &form.min_pools, |f| &mut f.min_pools, form.strategy != StrategyKind::Diversified) }
                { number(field::MAX_PER_POOL, t(FleetText::MaxPerPool).to_owned(), &form.max_per_pool, |f| &mut f.max_per_pool, false) }
                { number(field::CAP, format!("{} ({currency})", t(FleetText::Cap)), &form.cap, |f| &mut f.cap, false) }
                { number(field::CEILING, format!("{} ({currency})", t(FleetText::Ceiling)), &form.ceiling, |f| &mut f.ceiling, false) }
                { number(field::ON_DEMAND_BASE, t(FleetText::OnDemandBase).to_owned(), &form.on_demand_base, |f| &mut f.on_demand_base, false) }
                { number(field::CHECKPOINT, t(FleetText::Checkpoint).to_owned(), &form.checkpoint, |f| &mut f.checkpoint, false) }
                { number(field::RESTART, t(FleetText::Restart).to_owned(), &form.restart, |f| &mut f.restart, false) }
                <label class="checkbox">
                    <input id="fleet-maintain" type="checkbox" checked={form.maintain} onchange={on_maintain} />
                    { t(FleetText::Maintain) }
                </label>
                <label>{ t(FleetText::Name) }
                    <input id="fleet-name" type="text" autocomplete="off" value={form.name.clone()} oninput={set_text(|f| &mut f.name)} />
                </label>
            </div>
        </section>
    };
    let problems = html! {
        <div id="fleet-problems" role="status" aria-live="polite">
            if !plan_problems.is_empty() {
                <h3>{ t(FleetText::ProblemsHeading) }</h3>
                <ul class="problems">
                    { for plan_problems.iter().map(|(field, message)| html! {
                        <li class="error" data-field={*field}>{ format!("✖ {message}") }</li>
                    }) }
                </ul>
            }
        </div>
    };
    let body = match plan {
        None => html! { <>{ problems }<p class="muted">{ t(FleetText::FixInputs) }</p></> },
        Some(Err(error)) => html! { <>{ problems }<p class="error" role="alert">{ error.clone() }</p></> },
        Some(Ok(plan)) => html! {
            <>
                { problems }
                <p class="muted" data-testid="fleet-excluded">{ words::excluded_line(lang, plan.matched, plan.eligible, &plan.excluded) }</p>
                { split_table(plan, lang) }
                if plan.allocations.is_empty() { <p class="empty">{ t(FleetText::NoPools) }</p> }
                if plan.allocations.iter().any(|a| a.on_demand) {
                    <p class="note" role="note" data-testid="fleet-on-demand-note">{ t(FleetText::OnDemandNote) }</p>
                }
                { totals(plan, request.as_ref(), lang) }
                <p class="muted fleet-model" data-testid="fleet-job-model">{ t(FleetText::JobModel) }</p>
            </>
        },
    };
    let charts = {
        let plan = plan_ok.clone();
        (*use_memo((plan_stamp, lang), move |(_, lang)| {
            plan.map(|plan| charts(&plan, *lang)).unwrap_or_default()
        }))
        .clone()
    };
    html! {
        <>
            { inputs }
            <section aria-labelledby="fleet-split-heading" class="fleet-plan">
                <h2 id="fleet-split-heading">{ t(FleetText::SplitHeading) }</h2>
                { body }
            </section>
            { charts }
            if let (Some(plan), Some(request)) = (plan_ok, request) {
                <FleetOrders planner={props.planner.clone()} plan={plan} plan_stamp={plan_stamp} request={request} state={props.state.clone()}
                    proxy={props.proxy.clone()} maintain={form.maintain} name={form.name.clone()} draft={props.draft.clone()} />
            } else {
                <section class="fleet-orders" aria-label={t(FleetText::PlaceFleet)}>
                    <div class="fleet-submit">
                        <button id="fleet-place" class="primary" disabled={true} aria-describedby="fleet-place-blockers">{ t(FleetText::PlaceFleet) }</button>
                        <ul id="fleet-place-blockers" class="problems">
                            <li class="warning">{ format!("⚠ {}", t(if input_problems.is_empty() { FleetText::NoPools } else { FleetText::BlockedInputs })) }</li>
                        </ul>
                        // A send without an answer stays said while the form cannot be placed: that fleet may exist.
                        if props.draft.key.borrow().unsettled() {
                            <p class="warning" data-testid="fleet-unsettled">{ t(FleetText::UnsettledNote) }</p>
                        }
                    </div>
                </section>
            }
            <FleetLive lang={lang} proxy={props.proxy.clone()} />
        </>
    }
}

/// The Plan page's requirement in a few words: sizes, place, clouds, hours, currency.
fn requirement_summary(lang: Lang, requirement: &Requirement) -> String {
    let range = |min: Option<String>, max: Option<String>, unit: &str| match (min, max) {
        (Some(min), Some(max)) if min == max => Some(format!("{min} {unit}")),
        (Some(min), Some(max)) => Some(format!("{min}–{max} {unit}")),
        (Some(min), None) => Some(format!("≥ {min} {unit}")),
        (None, Some(max)) => Some(format!("≤ {max} {unit}")),
        (None, None) => None,
    };
    let zh = lang == Lang::Zh;
    let mut parts: Vec<String> = [
        range(
            requirement.vcpu_min.map(|v| v.to_string()),
            requirement.vcpu_max.map(|v| v.to_string()),
            "vCPU",
        ),
        range(
            requirement.memory_min_gib.map(|v| v.normalize().to_string()),
            requirement.memory_max_gib.map(|v| v.normalize().to_string()),
            "GiB",
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    match requirement.area {
        Area::Anywhere => {}
        Area::MainlandChina => parts.push(if zh { "中国内地" } else { "mainland China" }.into()),
        Area::OutsideMainlandChina => parts.push(
            if zh {
                "中国内地以外"
            } else {
                "outside mainland China"
            }
            .into(),
        ),
    }
    if !requirement.clouds.is_empty() {
        parts.push(requirement.clouds.iter().map(|c| c.id()).collect::<Vec<_>>().join("/"));
    }
    if !requirement.regions.is_empty() {
        parts.push(requirement.regions.join(", "));
    }
    parts.push(match lang {
        Lang::En => format!("{} h", requirement.hours.normalize()),
        Lang::Zh => format!("{} 小时", requirement.hours.normalize()),
    });
    parts.push(requirement.currency.code().to_owned());
    parts.join(", ")
}

/// A price per unit-hour, to four decimals.
fn money4(money: Money) -> String {
    format!("{}{}", money.currency.symbol(), money.rounded(4))
}

/// The expected job cost of a pool's instances, when its risk is known.
fn pool_job_cost(allocation: &Allocation) -> Option<Money> {
    let billed = allocation.job.expected_billed_hours()? * f64::from(allocation.count);
    cost_of_hours(allocation.hourly, billed).ok()
}

fn split_table(plan: &FleetPlan, lang: Lang) -> Html {
    let t = |key| fleet_text(lang, key);
    html! {
        <div class="table-scroll">
            <table id="fleet-split" class="fleet-split">
                <thead><tr>
                    <th scope="col">{ t(FleetText::ColPool) }</th><th scope="col">{ t(FleetText::ColInstances) }</th>
                    <th scope="col">{ t(FleetText::ColUnits) }</th><th scope="col">{ t(FleetText::ColPerUnit) }</th>
                    <th scope="col">{ t(FleetText::ColHourly) }</th><th scope="col">{ t(FleetText::ColWorst) }</th>
                    <th scope="col">{ t(FleetText::ColRisk) }</th><th scope="col">{ t(FleetText::ColJob) }</th>
                    <th scope="col">{ t(FleetText::ColReason) }</th>
                </tr></thead>
                <tbody>
                    { for plan.allocations.iter().map(|allocation| {
                        let key = &allocation.key;
                        html! {
                            <tr class={classes!(allocation.on_demand.then_some("on-demand"))} data-on-demand={allocation.on_demand.to_string()} data-cloud={key.cloud.id()} data-zone={key.zone.clone().unwrap_or_default()} data-type={key.instance_type.clone()}>
                                <td class="pool">
                                    <span class={format!("cloud-badge {}", key.cloud.id())} title={crate::i18n::cloud_name(lang, key.cloud)}>{ crate::columns::cloud_badge(key.cloud, lang) }</span>
                                    { " " }{ key.zone.clone().unwrap_or_else(|| key.region.clone()) }{ " · " }<strong>{ &key.instance_type }</strong>
                                    if allocation.on_demand { { " " }<span class="tag on-demand">{ t(FleetText::OnDemandTag) }</span> }
                                </td>
                                <td class="num" data-col="instances" data-label={t(FleetText::ColInstances)}>{ allocation.count }</td>
                                <td class="num" data-col="units" data-label={t(FleetText::ColUnits)}>{ u64::from(allocation.count) * u64::from(allocation.weight) }</td>
                                <td class="num" data-label={t(FleetText::ColPerUnit)}>{ money4(allocation.per_unit) }</td>
                                <td class="num" data-label={t(FleetText::ColHourly)}>{ money4(allocation.hourly) }</td>
                                <td class="num" data-label={t(FleetText::ColWorst)}>{ allocation.worst_hourly.map(spotplan_core::display::max_money4).unwrap_or_else(|| t(FleetText::Unknown).to_owned()) }</td>
                                <td class="risk" data-label={t(FleetText::ColRisk)}>{ words::risk(lang, &allocation.risk) }</td>
                                <td class="num" data-label={t(FleetText::ColJob)}>{ pool_job_cost(allocation).map(money2).unwrap_or_else(|| t(FleetText::Unknown).to_owned()) }</td>
                                <td class="reason" data-label={t(FleetText::ColReason)}>{ words::reason(lang, &allocation.reason) }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
        </div>
    }
}

fn hours(value: f64) -> String {
    if value.is_finite() {
        format!("{value:.1}")
    } else {
        "∞".into()
    }
}

fn totals(plan: &FleetPlan, request: Option<&FleetRequest>, lang: Lang) -> Html {
    let t = |key| fleet_text(lang, key);
    let ceiling = request
        .and_then(|request| request.ceiling_per_hour)
        .map(money2)
        .unwrap_or_else(|| t(FleetText::NoCeiling).to_owned());
    let worst = plan
        .worst_hourly
        .map(max_money2)
        .unwrap_or_else(|| t(FleetText::Unbounded).to_owned());
    let expected = plan
        .expected_job_cost
        .map(money2)
        .unwrap_or_else(|| t(FleetText::UnknownJob).to_owned());
    let completion = match &plan.job {
        JobEstimate::Estimated { completion, runs, .. } => format!(
            "{} / {} ({runs} {})",
            hours(completion.p50),
            hours(completion.p90),
            if lang == Lang::Zh { "次模拟" } else { "runs" }
        ),
        JobEstimate::Unknown { .. } => t(FleetText::UnknownJob).to_owned(),
    };
    let unit = request.map_or(TargetUnit::Instances, |request| request.unit);
    let row = |label: FleetText, value: String, id: &str| {
        html! { <div class="total" data-total={id.to_owned()}><dt>{ t(label) }</dt><dd>{ value }</dd></div> }
    };
    html! {
        <dl id="fleet-totals" class="fleet-totals">
            { row(FleetText::Reached, format!("{} / {} {}", plan.reached, plan.target, words::unit_name(lang, unit)), "reached") }
            { row(FleetText::InstancesTotal, format!("{} · {} {}", plan.instances, plan.allocations.len(), if lang == Lang::Zh { "个资源池" } else { "pools" }), "instances") }
            { row(FleetText::Hourly, money2(plan.hourly), "hourly") }
            { row(FleetText::WorstVsCeiling, format!("{worst} / {ceiling}"), "worst") }
            { row(FleetText::JobCost, format!("{} / {expected}", money2(plan.plain_job_cost)), "job") }
            { row(FleetText::Completion, completion, "completion") }
        </dl>
    }
}

fn charts(plan: &FleetPlan, lang: Lang) -> Html {
    if plan.allocations.is_empty() && plan.frontier.is_empty() {
        return html! {};
    }
    let t = |key| fleet_text(lang, key);
    let bars: Vec<SplitBar> = plan
        .allocations
        .iter()
        .map(|a| SplitBar {
            label: a.key.instance_type.clone(),
            place: a.key.zone.clone().unwrap_or_else(|| a.key.region.clone()),
            instances: a.count,
        })
        .collect();
    let dots: Vec<FrontierDot> = plan
        .frontier
        .iter()
        .filter_map(|point| {
            Some(FrontierDot {
                hazard_per_hour: point.hazard_per_hour,
                per_unit: point.per_unit.amount.to_f64()?,
                chosen: point.chosen,
            })
        })
        .collect();
    let currency = plan.hourly.currency.code();
    html! {
        <section aria-labelledby="fleet-charts-heading" class="fleet-charts">
            <h2 id="fleet-charts-heading">{ crate::i18n::text(lang, crate::i18n::Key::ChartsHeading) }</h2>
            if !bars.is_empty() {
                { svg_figure(split_bars_svg(&bars, lang, 760, 320), t(FleetText::ChartSplit), "fleet-chart-split", t(FleetText::ChartSplit).to_owned()) }
            }
            { svg_figure(
                frontier_svg(
                    &dots,
                    &match lang {
                        Lang::En => format!("{currency} per unit-hour"),
                        Lang::Zh => format!("{currency}/单位·小时"),
                    },
                    lang,
                    760,
                    360,
                ),
                t(FleetText::ChartFrontier),
                "fleet-chart-frontier",
                t(FleetText::ChartFrontierCaption).to_owned(),
            ) }
        </section>
    }
}
