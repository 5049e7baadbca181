//! The live fleet view under the planner: every fleet the proxy keeps (`GET /api/v1/fleets`, read every 3 s while
//! the page is open), with its state and reason, running units against the target, pending units, instances by
//! state, replacements, the hourly bound against the ceiling, cost so far and pools out of stock; and Stop, with
//! "release its instances" and a confirmation (`POST /api/v1/fleets/{id}/stop`).

use std::collections::BTreeSet;

use spotplan_core::api::fleets::{FleetAnswer, FleetList, FleetState, FleetView};
use spotplan_core::display::{max_money2, money2};
use yew::prelude::*;

use crate::health::ProxyStatus;
use crate::i18n::fleet::{self as words, FleetText, fleet_text};
use crate::i18n::{Key, Lang, text};

/// How often the fleets are read again.
const REFRESH_MS: u32 = 3_000;

/// Properties of the live view.
#[derive(Debug, Clone, PartialEq, Properties)]
pub struct FleetLiveProps {
    /// The UI language.
    pub lang: Lang,
    /// The proxy's status: the view reads the fleets only when signed in.
    pub proxy: ProxyStatus,
}

#[derive(Debug, Clone, PartialEq)]
enum Load {
    Loading,
    Loaded(FleetList),
    Failed(String),
}

/// A stop waiting for its confirmation, in flight, refused or answered.
#[derive(Debug, Clone, PartialEq)]
enum Stopping {
    Idle,
    Confirming { id: String, release: bool },
    Sending { id: String },
    Failed { id: String, release: bool, message: String },
    Done(Box<FleetAnswer>),
}

/// The live view.
#[component]
pub fn FleetLive(props: &FleetLiveProps) -> Html {
    let lang = props.lang;
    let t = |key| fleet_text(lang, key);
    let load = use_state(|| Load::Loading);
    let stopping = use_state(|| Stopping::Idle);
    // Fleets whose "release its instances" box is ticked.
    let release = use_state(BTreeSet::<String>::new);
    let signed_in = matches!(props.proxy, ProxyStatus::Reachable(_));
    let refresh = {
        let load = load.clone();
        Callback::from(move |_: ()| {
            let load = load.clone();
            wasm_bindgen_futures::spawn_local(async move {
                load.set(match crate::api::fleets().await {
                    Ok(list) => Load::Loaded(list),
                    Err(error) => Load::Failed(crate::i18n::proxy::api_error(lang, &error)),
                });
            });
        })
    };
    {
        let refresh = refresh.clone();
        use_effect_with(signed_in, move |signed_in| {
            let poll = signed_in.then(|| {
                refresh.emit(());
                gloo_timers::callback::Interval::new(REFRESH_MS, move || refresh.emit(()))
            });
            move || drop(poll)
        });
    }
    let send = {
        let (stopping, refresh) = (stopping.clone(), refresh.clone());
        Callback::from(move |(id, release): (String, bool)| {
            stopping.set(Stopping::Sending { id: id.clone() });
            let (stopping, refresh) = (stopping.clone(), refresh.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match crate::api::stop_fleet(&id, release).await {
                    Ok(answer) => stopping.set(Stopping::Done(Box::new(answer))),
                    Err(error) => stopping.set(Stopping::Failed {
                        id,
                        release,
                        message: stop_failure(&error, lang),
                    }),
                }
                refresh.emit(());
            });
        })
    };
    let body = if !signed_in {
        let why = match props.proxy {
            ProxyStatus::Checking => Key::CheckingProxy,
            ProxyStatus::NotSignedIn(_) => Key::SignInToSubmit,
            _ => Key::ProxyOffline,
        };
        html! { <p class="muted" data-testid="fleets-offline">{ text(lang, why) }</p> }
    } else {
        match &*load {
            Load::Loading => html! { <p role="status">{ "…" }</p> },
            Load::Failed(message) => html! { <p role="alert" class="error" data-testid="fleets-error">{ message }</p> },
            Load::Loaded(list) if list.fleets.is_empty() => html! { <p class="empty">{ t(FleetText::NoFleets) }</p> },
            Load::Loaded(list) => html! {
                <ul class="fleet-live-list">
                    { for list.fleets.iter().map(|fleet| fleet_card(fleet, lang, &stopping, &release, &send)) }
                </ul>
            },
        }
    };
    let done = match &*stopping {
        Stopping::Done(answer) => html! {
            <p role="status" class="ok" data-testid="fleet-stopped">
                { format!("{}: {}", answer.fleet.id, words::state_word(lang, answer.fleet.state)) }
            </p>
        },
        _ => html! {},
    };
    html! {
        <section aria-labelledby="fleet-live-heading" class="fleet-live-section">
            <h2 id="fleet-live-heading">{ t(FleetText::LiveHeading) }</h2>
            { done }
            { body }
        </section>
    }
}

/// One fleet: what runs against its target, its instances, its cost, and its Stop button.
/// What a stop with no answer of its own says: with no answer, or a server error, the fleet may be stopped (and its
/// instances being released) — the list shows where it stands, and asking again is safe.
fn stop_failure(error: &crate::api::ApiError, lang: Lang) -> String {
    use crate::api::ApiError;
    match (error, lang) {
        (ApiError::Refused(_), _) => crate::i18n::proxy::api_error(lang, error),
        (_, Lang::En) => format!(
            "No answer that settles it ({error}): the fleet may be stopped already — its state in this list says; \
             stopping it again is safe."
        ),
        (_, Lang::Zh) => {
            format!(
                "没有得到确定的答复（{}）：机群可能已停止——以本列表中的状态为准；再次停止是安全的。",
                crate::i18n::proxy::api_error(lang, error)
            )
        }
    }
}

fn fleet_card(
    fleet: &FleetView,
    lang: Lang,
    stopping: &UseStateHandle<Stopping>,
    release: &UseStateHandle<BTreeSet<String>>,
    send: &Callback<(String, bool)>,
) -> Html {
    let t = |key| fleet_text(lang, key);
    let id = fleet.id.clone();
    let releasing = release.contains(&id);
    let toggle = {
        let (release, id) = (release.clone(), id.clone());
        Callback::from(move |_: Event| {
            let mut next = (*release).clone();
            if !next.remove(&id) {
                next.insert(id.clone());
            }
            release.set(next);
        })
    };
    let ask = {
        let (stopping, id) = (stopping.clone(), id.clone());
        Callback::from(move |_: MouseEvent| {
            stopping.set(Stopping::Confirming {
                id: id.clone(),
                release: releasing,
            })
        })
    };
    let cancel = {
        let stopping = stopping.clone();
        Callback::from(move |_: MouseEvent| stopping.set(Stopping::Idle))
    };
    let stopped = fleet.state == FleetState::Stopped;
    // A stop that got no answer of its own is settled by the list once it shows the fleet stopped: its dialog
    // ("the fleet may be stopped already") has said all it can.
    let stopping_shown = match &**stopping {
        Stopping::Failed { id: asked, .. } if *asked == id && stopped => &Stopping::Idle,
        other => other,
    };
    // While this fleet's stop is being confirmed or sent, the box shows the choice the dialog carries and cannot
    // change it (ticked after "Stop", it would say "release" while "keeps" is sent).
    let (asked_release, asking) = match stopping_shown {
        Stopping::Confirming { id: asked, release } | Stopping::Failed { id: asked, release, .. } if *asked == id => {
            (*release, true)
        }
        Stopping::Sending { id: asked } if *asked == id => (releasing, true),
        _ => (releasing, false),
    };
    let dialog = match stopping_shown {
        Stopping::Confirming { id: asked, release } | Stopping::Failed { id: asked, release, .. } if *asked == id => {
            let failed = match stopping_shown {
                Stopping::Failed { message, .. } => Some(message.clone()),
                _ => None,
            };
            let confirm = {
                let (send, id, release) = (send.clone(), id.clone(), *release);
                Callback::from(move |_: MouseEvent| send.emit((id.clone(), release)))
            };
            html! {
                <div role="dialog" aria-modal="true" class="dialog" aria-labelledby={format!("fleet-stop-heading-{id}")}>
                    <h3 id={format!("fleet-stop-heading-{id}")}>{ t(FleetText::StopHeading) }</h3>
                    <p>{ if *release { t(FleetText::StopReleases) } else { t(FleetText::StopKeeps) } }</p>
                    if let Some(message) = failed { <p role="alert" class="error">{ message }</p> }
                    <button class="primary danger fleet-stop-confirm" onclick={confirm}>{ text(lang, Key::Confirm) }</button>
                    <button class="fleet-stop-cancel" onclick={cancel}>{ text(lang, Key::Cancel) }</button>
                </div>
            }
        }
        Stopping::Sending { id: asked } if *asked == id => html! { <p role="status">{ "…" }</p> },
        _ => html! {},
    };
    let running = fleet.running_units;
    let counts = &fleet.instances;
    let by_state = [
        (FleetText::Running, counts.running),
        (FleetText::Pending, counts.pending),
        (FleetText::BeingReclaimed, counts.being_reclaimed),
        (FleetText::Reclaimed, counts.reclaimed),
        (FleetText::Failed, counts.failed),
        (FleetText::Stopped, counts.stopped),
        (FleetText::Released, counts.released),
    ]
    .iter()
    .map(|(word, count)| format!("{} {count}", t(*word)))
    .collect::<Vec<_>>()
    .join(" · ");
    let hourly = format!(
        "{} / {}",
        fleet
            .hourly_bound
            .map(max_money2)
            .unwrap_or_else(|| t(FleetText::Unknown).to_owned()),
        fleet
            .ceiling_per_hour
            .map(money2)
            .unwrap_or_else(|| t(FleetText::NoCeiling).to_owned())
    );
    html! {
        <li class={format!("fleet-live state-{}", fleet.state.id())} data-fleet-id={fleet.id.clone()}>
            <div class="fleet-live-head">
                <strong>{ fleet.name.clone().unwrap_or_else(|| fleet.id.clone()) }</strong>
                if fleet.name.is_some() { <code class="muted">{ &fleet.id }</code> }
                <span class={format!("fleet-state {}", fleet.state.id())}>
                    { words::state_word(lang, fleet.state) }
                    if let Some(reason) = &fleet.reason { { format!(" — {}", if lang == Lang::Zh { &reason.zh } else { &reason.en }) } }
                </span>
                <span class="muted">{ if fleet.maintain { t(FleetText::Maintained) } else { t(FleetText::NotMaintained) } }</span>
            </div>
            <div class="fleet-progress-line">
                <progress max={fleet.target.max(1).to_string()} value={running.min(fleet.target).to_string()}
                    aria-label={format!("{running} / {}", fleet.target)}></progress>
                <span class="fleet-running">{ format!("{running} / {}", fleet.target) }</span>
                <span>{ words::unit_name(lang, fleet.unit) }</span>
                <span class="muted">{ format!("· {} {}", t(FleetText::Pending), fleet.pending_units) }</span>
            </div>
            <dl class="fleet-live-figures">
                <div><dt>{ t(FleetText::Instances) }</dt><dd class="fleet-instances">{ by_state }</dd></div>
                <div><dt>{ t(FleetText::Replacements) }</dt><dd class="fleet-replacements">{ fleet.replacements }</dd></div>
                <div><dt>{ format!("{} / {}", t(FleetText::HourlyBound), t(FleetText::CeilingShort)) }</dt><dd class="fleet-hourly">{ hourly }</dd></div>
                <div><dt>{ t(FleetText::CostSoFar) }</dt><dd class="fleet-cost">{ fleet.cost_so_far.map(max_money2).unwrap_or_else(|| t(FleetText::Unknown).to_owned()) }</dd></div>
                if !fleet.exhausted_pools.is_empty() {
                    <div><dt>{ t(FleetText::Exhausted) }</dt><dd class="fleet-exhausted">{ fleet.exhausted_pools.iter().map(|pool| words::pool_name(lang, pool)).collect::<Vec<_>>().join(", ") }</dd></div>
                }
            </dl>
            <div class="fleet-stop-line">
                <label>
                    <input type="checkbox" class="fleet-release" checked={asked_release} onchange={toggle} disabled={stopped || asking} />
                    { t(FleetText::ReleaseToo) }
                </label>
                <button class="danger fleet-stop" onclick={ask} disabled={stopped}>{ t(FleetText::Stop) }</button>
            </div>
            { dialog }
        </li>
    }
}
