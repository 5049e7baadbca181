//! The instances page: every instance Spotplan placed, per order, with its state beside the cloud's own, where it
//! runs, what it costs at most per hour and has cost so far (ticking every second from the proxy's last answer),
//! a reclaim countdown, and release — one instance, an order's, or everything — after a confirmation that says
//! what stops and what it has cost. The proxy's answer is read again every few seconds.

use spotplan_core::Money;
use spotplan_core::api::instances::{InstanceRef, InstanceView, ReleaseAnswer, ReleaseBody, ReleaseResult};
use spotplan_core::display::max_money4;
use spotplan_core::lifecycle::InstanceState;
use spotplan_core::lifecycle::cost::cost_so_far;
use yew::prelude::*;

use crate::i18n::{Key, Lang, text};
use crate::person_filter::{PersonFilter, chosen_person, people, shown_for};

/// How often the page reads the instances again.
const REFRESH_MS: u32 = 3_000;
/// Instances that ended longer ago than this are left out (and counted) until asked for: a book's history grows
/// for ever, and the page reads it every few seconds.
const RECENT_HISTORY_MS: f64 = 24.0 * 3_600_000.0;
/// The height of every table line (the stylesheet holds lines to it), for rendering only the lines in view.
const ROW_PX: f64 = 36.0;
/// Lines rendered beyond the view on each side, so a scroll shows no gap before the next render.
const OVERSCAN: usize = 10;

/// A line of the table: an order's header or one of its instances.
enum Line<'a> {
    Order(&'a str, &'a [&'a InstanceView]),
    Instance(&'a InstanceView),
}

/// Properties of the instances page.
#[derive(Debug, Properties, PartialEq)]
pub struct InstancesPageProps {
    /// The UI language.
    pub lang: Lang,
    /// Team mode: the signed-in person, whose "release all" is all of theirs (the proxy releases no one else's).
    #[prop_or_default]
    pub person: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Load {
    Loading,
    /// The instances, the offset from the proxy's clock to this browser's (ms), and how many ended instances the
    /// proxy left out.
    Loaded(Vec<InstanceView>, f64, u64),
    Failed(String),
}

/// A release waiting for its confirmation, or sent.
#[derive(Debug, Clone, PartialEq)]
enum Releasing {
    Idle,
    Confirming {
        body: ReleaseBody,
        ids: Vec<String>,
        cost: Option<Money>,
        key: String,
    },
    Sending,
    Done(ReleaseAnswer),
    Failed {
        message: String,
        body: ReleaseBody,
        ids: Vec<String>,
        cost: Option<Money>,
        key: String,
    },
}

/// The line under the buttons about instances that ended over a day ago: how many are left out and a button that
/// shows them, or, once shown, one that leaves them out again. Nothing when none ended that long ago. In team mode
/// the count is everyone's (the person filter works on the rows shown), and says so.
fn ended_earlier_note(ended_earlier: u64, whole_history: &UseStateHandle<bool>, team: bool, lang: Lang) -> Html {
    let toggle = {
        let whole_history = whole_history.clone();
        Callback::from(move |_: MouseEvent| whole_history.set(!*whole_history))
    };
    if **whole_history {
        html! { <p><button data-testid="hide-ended-earlier" onclick={toggle}>{ text(lang, Key::HideEndedEarlier) }</button></p> }
    } else if ended_earlier > 0 {
        html! {
            <p class="muted" data-testid="ended-earlier">
                { format!("{} {ended_earlier} ", text(lang, if team { Key::EndedEarlierHiddenEveryone } else { Key::EndedEarlierHidden })) }
                <button data-testid="show-ended-earlier" onclick={toggle}>{ text(lang, Key::ShowEndedEarlier) }</button>
            </p>
        }
    } else {
        html! {}
    }
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// The instance's cost so far at `now` (the proxy's clock), from its price and the time it billed (its stops
/// without charge left out, as the proxy counts them).
fn cost_now(view: &InstanceView, proxy_now_ms: i64) -> Option<Money> {
    let price = view.price_per_hour?;
    let Some(billed_ms) = view.billed_span().billed_ms(proxy_now_ms) else {
        return Some(Money::new(rust_decimal::Decimal::ZERO, price.currency));
    };
    // A second begun is a second billed (the proxy's view counts the same way).
    Some(cost_so_far(view.cloud, price, (billed_ms as u64).div_ceil(1000)))
}

/// What the instances have cost together: unknown (`None`) if any one's cost is — an instance whose price
/// Spotplan does not know has not cost nothing — or if they are in different currencies.
fn total(mut costs: impl Iterator<Item = Option<Money>>) -> Option<Money> {
    costs
        .try_fold(None::<Money>, |sum, cost| {
            let cost = cost?;
            match sum {
                None => Some(Some(cost)),
                Some(sum) if sum.currency == cost.currency => {
                    Some(Some(Money::new(sum.amount.checked_add(cost.amount)?, cost.currency)))
                }
                Some(_) => None,
            }
        })
        .flatten()
}

fn time_utc(ms: i64) -> String {
    let iso = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64))
        .to_iso_string()
        .as_string()
        .unwrap_or_default();
    format!("{} UTC", iso.get(..19).unwrap_or(&iso).replace('T', " "))
}

/// How long from `ms` to `now`, compactly: `12 s`, `5 min`, `3 h`, `2 d` (`12 秒`, `5 分钟`, `3 小时`, `2 天`).
fn ago(ms: i64, now: i64, lang: Lang) -> String {
    let seconds = ((now - ms) / 1000).max(0);
    let (amount, unit) = match seconds {
        0..60 => (seconds, ("s", "秒")),
        60..3600 => (seconds / 60, ("min", "分钟")),
        3600..86_400 => (seconds / 3600, ("h", "小时")),
        _ => (seconds / 86_400, ("d", "天")),
    };
    match lang {
        Lang::En => format!("{amount} {}", unit.0),
        Lang::Zh => format!("{amount} {}", unit.1),
    }
}

pub(crate) fn state_word(state: InstanceState, lang: Lang) -> &'static str {
    match (lang, state) {
        (Lang::Zh, InstanceState::Pending) => "创建中",
        (Lang::Zh, InstanceState::Running) => "运行中",
        (Lang::Zh, InstanceState::LaunchFailed) => "启动失败",
        (Lang::Zh, InstanceState::BeingReclaimed) => "即将回收",
        (Lang::Zh, InstanceState::Stopped) => "已停止",
        (Lang::Zh, InstanceState::Releasing) => "释放中",
        (Lang::Zh, InstanceState::Released) => "已释放",
        (Lang::Zh, InstanceState::Reclaimed) => "已回收",
        (Lang::Zh, InstanceState::Gone) => "已消失",
        (Lang::En, InstanceState::Pending) => "pending",
        (Lang::En, InstanceState::Running) => "running",
        (Lang::En, InstanceState::LaunchFailed) => "launch failed",
        (Lang::En, InstanceState::BeingReclaimed) => "being reclaimed",
        (Lang::En, InstanceState::Stopped) => "stopped",
        (Lang::En, InstanceState::Releasing) => "releasing",
        (Lang::En, InstanceState::Released) => "released",
        (Lang::En, InstanceState::Reclaimed) => "reclaimed",
        (Lang::En, InstanceState::Gone) => "gone",
    }
}

fn countdown(ms: i64) -> String {
    let seconds = (ms / 1000).max(0);
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

/// The instances page.
#[component]
pub fn InstancesPage(props: &InstancesPageProps) -> Html {
    let lang = props.lang;
    let t = |key| text(lang, key);
    let load = use_state(|| Load::Loading);
    let releasing = use_state(|| Releasing::Idle);
    // Team mode: the person whose instances the table shows, or everyone.
    let person = use_state(|| None::<String>);
    let choose = {
        let person = person.clone();
        Callback::from(move |chosen: Option<String>| person.set(chosen))
    };
    let options = use_state(spotplan_core::lifecycle::ReleaseOptions::default);
    // A tick every second moves cost so far and countdowns without asking the proxy.
    let tick = use_state(|| 0_u32);
    // The table's scroll position and height, for rendering only the lines in view.
    let scroll_top = use_state(|| 0.0_f64);
    let view_height = use_state(|| 800.0_f64);
    let on_scroll = {
        let (scroll_top, view_height) = (scroll_top.clone(), view_height.clone());
        Callback::from(move |event: Event| {
            let element: web_sys::Element = event.target_unchecked_into();
            scroll_top.set(f64::from(element.scroll_top()));
            view_height.set(f64::from(element.client_height()).max(ROW_PX));
        })
    };
    // Whether instances that ended over a day ago are shown too.
    let whole_history = use_state(|| false);
    let refresh = {
        let load = load.clone();
        let whole_history = *whole_history;
        Callback::from(move |_: ()| {
            let load = load.clone();
            // A day back from each read: a page left open moves its window on.
            let ended_since_ms = (!whole_history).then(|| (now_ms() - RECENT_HISTORY_MS) as i64);
            wasm_bindgen_futures::spawn_local(async move {
                load.set(match crate::api::instances(ended_since_ms).await {
                    Ok(answer) => Load::Loaded(answer.instances, answer.now_ms as f64 - now_ms(), answer.ended_earlier),
                    Err(error) => Load::Failed(crate::i18n::proxy::api_error(lang, &error)),
                });
            });
        })
    };
    {
        // Read again at once, and polled with the new choice, when the history shown changes.
        let (refresh, tick) = (refresh.clone(), tick.clone());
        use_effect_with(*whole_history, move |_| {
            refresh.emit(());
            let poll = gloo_timers::callback::Interval::new(REFRESH_MS, move || refresh.emit(()));
            let second = gloo_timers::callback::Interval::new(1_000, move || tick.set(js_sys::Date::now() as u32));
            move || drop((poll, second))
        });
    }
    let ask = {
        let releasing = releasing.clone();
        Callback::from(move |(body, ids, cost): (ReleaseBody, Vec<String>, Option<Money>)| {
            releasing.set(Releasing::Confirming {
                body,
                ids,
                cost,
                key: crate::draft_key::new_key(),
            });
        })
    };
    let confirm = {
        let (releasing, refresh, options) = (releasing.clone(), refresh.clone(), options.clone());
        Callback::from(move |_: MouseEvent| {
            let (Releasing::Confirming {
                mut body,
                ids,
                cost,
                key,
            }
            | Releasing::Failed {
                mut body,
                ids,
                cost,
                key,
                ..
            }) = (*releasing).clone()
            else {
                return;
            };
            // The options as ticked now; a retry keeps the key, and the body it was logged with.
            if matches!(*releasing, Releasing::Confirming { .. }) {
                body.options = *options;
            }
            let (releasing, refresh) = (releasing.clone(), refresh.clone());
            releasing.set(Releasing::Sending);
            wasm_bindgen_futures::spawn_local(async move {
                // The same key on a retry: the proxy answers with what it did, and sends nothing twice.
                match crate::api::release(&body, &key).await {
                    Ok(answer) => releasing.set(Releasing::Done(answer)),
                    Err(error) => releasing.set(Releasing::Failed {
                        message: release_failure(&error, lang),
                        body,
                        ids,
                        cost,
                        key,
                    }),
                }
                refresh.emit(());
            });
        })
    };
    let cancel = {
        let releasing = releasing.clone();
        Callback::from(move |_: MouseEvent| releasing.set(Releasing::Idle))
    };
    let body = match &*load {
        Load::Loading => html! { <p role="status">{ "…" }</p> },
        Load::Failed(message) => html! { <p role="alert" class="error">{ message }</p> },
        Load::Loaded(rows, _, 0) if rows.is_empty() => html! { <p class="empty">{ t(Key::NoInstances) }</p> },
        Load::Loaded(rows, _, ended_earlier) if rows.is_empty() => {
            ended_earlier_note(*ended_earlier, &whole_history, false, lang)
        }
        Load::Loaded(rows, offset, ended_earlier) => {
            let proxy_now = (now_ms() + offset) as i64;
            let people = people(rows.iter().map(|row| row.placed_by.as_deref()));
            let team = !people.is_empty();
            let chosen = chosen_person(&person, &people);
            // Orders newest first (the rows come newest first), each with its instances (the chosen person's).
            let mut groups: Vec<(String, Vec<&InstanceView>)> = Vec::new();
            let mut group_of: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
            for row in rows.iter().filter(|row| shown_for(row.placed_by.as_deref(), chosen)) {
                let order = row.order_id.as_deref().unwrap_or_default();
                match group_of.get(order) {
                    Some(&index) => groups[index].1.push(row),
                    None => {
                        group_of.insert(order, groups.len());
                        groups.push((order.to_owned(), vec![row]));
                    }
                }
            }
            let releasable = |row: &&InstanceView| !row.state.is_final() && row.state != InstanceState::Releasing;
            // What "release all" releases: every live instance, or in team mode the signed-in person's own.
            let theirs = |row: &&InstanceView| props.person.is_none() || row.placed_by == props.person;
            let live: Vec<&InstanceView> = rows.iter().filter(releasable).filter(theirs).collect();
            let release_all = {
                let ask = ask.clone();
                let ids: Vec<String> = live.iter().map(|row| row.id.clone()).collect();
                // The instances the confirmation lists, by id: not `all`, which would also take any instance placed
                // between this render and the click on "release".
                let targets: Vec<InstanceRef> = live
                    .iter()
                    .map(|row| InstanceRef {
                        cloud: row.cloud,
                        id: row.id.clone(),
                    })
                    .collect();
                let cost = total(live.iter().map(|row| cost_now(row, proxy_now)));
                Callback::from(move |_: MouseEvent| {
                    ask.emit((
                        ReleaseBody {
                            instances: targets.clone(),
                            ..ReleaseBody::default()
                        },
                        ids.clone(),
                        cost,
                    ))
                })
            };
            let lines: Vec<Line<'_>> = groups
                .iter()
                .flat_map(|(order, members)| {
                    std::iter::once(Line::Order(order, members)).chain(members.iter().map(|row| Line::Instance(row)))
                })
                .collect();
            // Only the lines in view are rendered (each exactly one pitch tall), so a second's tick stays cheap
            // however many instances there are.
            let first = ((*scroll_top / ROW_PX).floor() as usize)
                .saturating_sub(OVERSCAN)
                .min(lines.len());
            let last = (first + (*view_height / ROW_PX).ceil() as usize + 2 * OVERSCAN).min(lines.len());
            let spacer = |count: usize| {
                (count > 0).then(|| html! { <tr aria-hidden="true" style={format!("height: {}px", count as f64 * ROW_PX)}><td colspan={(11 + usize::from(team)).to_string()}></td></tr> })
            };
            html! {
                <>
                    <p>
                        <button class="danger" data-testid="release-all" disabled={live.is_empty()} onclick={release_all}>{ t(if props.person.is_some() { Key::ReleaseAllMine } else { Key::ReleaseAll }) }</button>
                        if team {
                            <PersonFilter lang={lang} people={people.clone()} chosen={chosen.map(str::to_owned)} on_choose={choose.clone()} />
                        }
                    </p>
                    { ended_earlier_note(*ended_earlier, &whole_history, team, lang) }
                    <div class="table-scroll instances-scroll" onscroll={on_scroll}>
                        <table data-testid="instances-table" class="orders-table instances-table" aria-rowcount={(lines.len() + 1).to_string()}>
                            <thead><tr>
                                <th scope="col">{ "ID" }</th>
                                if team { <th scope="col">{ t(Key::PlacedBy) }</th> }
                                <th scope="col">{ t(Key::CloudWord) }</th>
                                <th scope="col">{ t(Key::ColState) }</th><th scope="col">{ t(Key::Region) }</th>
                                <th scope="col">{ t(Key::ColType) }</th><th scope="col">{ t(Key::RunningSince) }</th>
                                <th scope="col">{ t(Key::AtMostPerHour) }</th><th scope="col">{ t(Key::CostSoFar) }</th>
                                <th scope="col">{ t(Key::Notes) }</th><th scope="col">{ t(Key::LastChecked) }</th><th scope="col"></th>
                            </tr></thead>
                            <tbody>
                                { spacer(first).unwrap_or_default() }
                                { for lines[first..last].iter().map(|line| match line {
                                    Line::Order(order, members) => order_line(order, members, proxy_now, team, lang, &ask),
                                    Line::Instance(row) => instance_row(row, proxy_now, team, lang, &ask),
                                }) }
                                { spacer(lines.len() - last).unwrap_or_default() }
                            </tbody>
                        </table>
                    </div>
                </>
            }
        }
    };
    let dialog = match &*releasing {
        Releasing::Idle => html! {},
        Releasing::Confirming { ids, cost, .. } | Releasing::Failed { ids, cost, .. } => {
            // After a failed send, a retry repeats the release as logged under its key: the options shown are the
            // ones sent, and cannot be changed (unticking "disks" then would show a choice the retry ignores).
            let (failed, shown) = match &*releasing {
                Releasing::Failed { message, body, .. } => (Some(message.clone()), body.options),
                _ => (None, *options),
            };
            let retrying = failed.is_some();
            html! {
                <div role="dialog" aria-modal="true" aria-labelledby="release-heading" class="dialog" data-testid="release-dialog">
                    <h3 id="release-heading">{ t(Key::ReleaseHeading) }</h3>
                    <p>{ format!("{} × {}: {}", ids.len(), t(Key::InstanceWord), ids.join(", ")) }</p>
                    <p>{ format!("{} {}.", t(Key::ReleaseBody), cost.map(max_money4).unwrap_or_else(|| "?".into())) }</p>
                    <label>
                        <input type="checkbox" data-testid="release-force" checked={shown.force} disabled={retrying} onchange={{
                            let options = options.clone();
                            Callback::from(move |_: Event| options.set(spotplan_core::lifecycle::ReleaseOptions { force: !options.force, ..*options }))
                        }} />
                        { t(Key::ReleaseForce) }
                    </label>
                    <label>
                        <input type="checkbox" data-testid="release-disks" checked={shown.delete_data_disks} disabled={retrying} onchange={{
                            let options = options.clone();
                            Callback::from(move |_: Event| options.set(spotplan_core::lifecycle::ReleaseOptions { delete_data_disks: !options.delete_data_disks, ..*options }))
                        }} />
                        { t(Key::ReleaseDisks) }
                    </label>
                    if let Some(message) = failed {
                        <p role="alert" class="error">{ message }</p>
                        <p class="muted" data-testid="release-retry-note">{ if lang == Lang::Zh {
                            "重试将按原样重复这次释放（同一幂等键、同样的选项）；要改选项，请取消后重新发起。"
                        } else {
                            "A retry repeats this release as it was sent (the same key and options); to change the options, cancel and start again."
                        } }</p>
                    }
                    <button class="primary danger" onclick={confirm}>{ t(Key::Confirm) }</button>
                    <button onclick={cancel}>{ t(Key::Cancel) }</button>
                </div>
            }
        }
        Releasing::Sending => html! { <p role="status">{ "…" }</p> },
        Releasing::Done(answer) => html! {
            <div role="status" data-testid="release-outcome" class="release-outcome">
                <h3>{ t(Key::ReleaseResult) }</h3>
                <ul>
                    { for answer.outcomes.iter().map(|outcome| html! {
                        <li class={format!("release-{}", serde_json::to_value(outcome.result).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default())}>
                            { format!("{} {}: {}{}", crate::i18n::cloud_name(lang, outcome.cloud), outcome.id, result_word(outcome.result, lang),
                                outcome.code.as_ref().map(|code| format!(" [{code}] {}", outcome.message.clone().unwrap_or_default())).unwrap_or_default()) }
                        </li>
                    }) }
                </ul>
                <button onclick={cancel.clone()}>{ if lang == Lang::Zh { "确定" } else { "OK" } }</button>
            </div>
        },
    };
    let _ = *tick;
    html! {
        <section aria-labelledby="instances-heading">
            <h2 id="instances-heading">{ t(Key::InstancesHeading) }</h2>
            { dialog }
            { body }
            // Team mode: instances started elsewhere join the team's book by the operator's hand only.
            if props.person.is_none() {
                <WatchForm lang={lang} on_added={refresh.clone()} />
            }
        </section>
    }
}

/// Properties of the watch form.
#[derive(Debug, Properties, PartialEq)]
struct WatchFormProps {
    lang: Lang,
    on_added: Callback<()>,
}

/// Instances started outside Spotplan, added by cloud, region and ids, to follow and release like its own.
#[component]
fn WatchForm(props: &WatchFormProps) -> Html {
    let lang = props.lang;
    let (cloud, region, ids) = (
        use_state(|| spotplan_core::Cloud::ALL[0]),
        use_state(String::new),
        use_state(String::new),
    );
    // What the proxy said, or the problem: with the field it names (`region`, `ids`) to stand beside it.
    let said = use_state(|| None::<Result<String, (Option<String>, String)>>);
    let submit = {
        let (cloud, region, ids, said, on_added) = (
            cloud.clone(),
            region.clone(),
            ids.clone(),
            said.clone(),
            props.on_added.clone(),
        );
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let body = spotplan_core::api::instances::WatchBody {
                cloud: *cloud,
                region: region.trim().to_owned(),
                ids: crate::state::comma_separated(&ids).map(str::to_owned).collect(),
            };
            if let Some(problem) = missing(lang, &body.region, Some(&body.ids)) {
                said.set(Some(Err(problem)));
                return;
            }
            let (said, on_added) = (said.clone(), on_added.clone());
            wasm_bindgen_futures::spawn_local(async move {
                said.set(Some(match crate::api::watch(&body).await {
                    Ok(answer) => Ok(watched(&answer, &body.ids, lang)),
                    Err(error) => Err(refusal(&error, lang)),
                }));
                on_added.emit(());
            });
        })
    };
    let discover = {
        let (cloud, region, said, on_added) = (cloud.clone(), region.clone(), said.clone(), props.on_added.clone());
        Callback::from(move |_: MouseEvent| {
            let body = spotplan_core::api::instances::DiscoverBody {
                cloud: *cloud,
                region: region.trim().to_owned(),
            };
            if let Some(problem) = missing(lang, &body.region, None) {
                said.set(Some(Err(problem)));
                return;
            }
            let (said, on_added) = (said.clone(), on_added.clone());
            wasm_bindgen_futures::spawn_local(async move {
                said.set(Some(match crate::api::discover(&body).await {
                    Ok(answer) => Ok(discovered(body.cloud, &answer, lang)),
                    Err(error) => Err(refusal(&error, lang)),
                }));
                on_added.emit(());
            });
        })
    };
    let set_cloud = {
        let cloud = cloud.clone();
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            if let Some(chosen) = spotplan_core::Cloud::from_id(&select.value()) {
                cloud.set(chosen);
            }
        })
    };
    let beside = |field: &str| match &*said {
        Some(Err((Some(named), message))) if named == field || named.starts_with(&format!("{field}[")) => {
            Some(message.clone())
        }
        _ => None,
    };
    // An edit makes the last answer's problem about the edited field's text, which is gone: it goes with it (a
    // problem of the other field stays).
    let typed = |state: &UseStateHandle<String>, field: &'static str| {
        let (state, said) = (state.clone(), said.clone());
        Callback::from(move |event: InputEvent| {
            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
            state.set(input.value());
            if let Some(Err((Some(named), _))) = &*said
                && (named == field || named.starts_with(&format!("{field}[")))
            {
                said.set(None);
            }
        })
    };
    html! {
        <form class="watch-form" onsubmit={submit} aria-labelledby="watch-heading">
            <h3 id="watch-heading">{ text(lang, Key::WatchHeading) }</h3>
            <label>{ text(lang, Key::CloudWord) }
                <select onchange={set_cloud}>
                    { for spotplan_core::Cloud::ALL.iter().map(|option| html! {
                        <option value={option.id()} selected={*option == *cloud}>{ crate::i18n::cloud_name(lang, *option) }</option>
                    }) }
                </select>
            </label>
            <label>{ text(lang, Key::Region) }<input value={(*region).clone()} oninput={typed(&region, "region")}
                aria-invalid={beside("region").is_some().to_string()} aria-describedby="watch-region-problem" /></label>
            if let Some(message) = beside("region") {
                <p class="field-problems error" id="watch-region-problem" data-testid="watch-said">{ format!("✖ {message}") }</p>
            }
            <label>{ text(lang, Key::WatchIds) }<input value={(*ids).clone()} oninput={typed(&ids, "ids")}
                aria-invalid={beside("ids").is_some().to_string()} aria-describedby="watch-ids-problem" /></label>
            if let Some(message) = beside("ids") {
                <p class="field-problems error" id="watch-ids-problem" data-testid="watch-said">{ format!("✖ {message}") }</p>
            }
            <button type="submit">{ text(lang, Key::Watch) }</button>
            <button type="button" onclick={discover}>{ text(lang, Key::Discover) }</button>
            { match &*said {
                Some(Ok(line)) => html! { <p role="status" data-testid="watch-said">{ line }</p> },
                Some(Err((None, message))) => html! { <p role="alert" class="error" data-testid="watch-said">{ message }</p> },
                _ => html! {},
            } }
        </form>
    }
}

/// What the watch form lacks before anything is asked: a region, and for a watch the ids (with the field to show
/// it beside).
fn missing(lang: Lang, region: &str, ids: Option<&[String]>) -> Option<(Option<String>, String)> {
    if region.is_empty() {
        let message = match lang {
            Lang::En => "a region is needed: its id, such as cn-hangzhou, ap-guangzhou or bj",
            Lang::Zh => "请填写地域：地域 ID，例如 cn-hangzhou、ap-guangzhou 或 bj",
        };
        return Some((Some("region".into()), message.into()));
    }
    if ids.is_some_and(<[String]>::is_empty) {
        let message = match lang {
            Lang::En => {
                "instance ids are needed (comma-separated), or “Find this region's spot instances” adds them all"
            }
            Lang::Zh => "请填写实例 ID（逗号分隔），或用“查找该地域的竞价实例”全部添加",
        };
        return Some((Some("ids".into()), message.into()));
    }
    None
}

/// What a release that got no answer of its own says: with no answer, or a server error after the release may
/// have been logged, the instances may be being released — not "failed"; a retry under the same key tells.
fn release_failure(error: &crate::api::ApiError, lang: Lang) -> String {
    use crate::api::ApiError;
    match error {
        ApiError::Refused(_) => crate::i18n::proxy::api_error(lang, error),
        ApiError::NoAnswer(_) | ApiError::ServerFault { .. } | ApiError::Unreadable { .. } => match lang {
            Lang::En => format!(
                "No answer that settles it ({error}): the release may have been sent, and the instances may be \
                 stopping. Confirm asks again under the same key — the proxy never sends a release twice."
            ),
            Lang::Zh => format!(
                "没有得到确定的答复（{}）：释放请求可能已发出，实例可能正在停止。确认将以同一幂等键再次询问——代理不会重复发送释放。",
                crate::i18n::proxy::api_error(lang, error)
            ),
        },
    }
}

/// The proxy's refusal with the field it names (its region or ids check), or the reason there was no answer.
fn refusal(error: &crate::api::ApiError, lang: Lang) -> (Option<String>, String) {
    match error {
        crate::api::ApiError::Refused(body) => (
            body.error
                .field
                .clone()
                .filter(|field| field == "region" || field.starts_with("ids")),
            crate::i18n::proxy::refusal(lang, body),
        ),
        other => (None, crate::i18n::proxy::api_error(lang, other)),
    }
}

/// An order's header line: its id, how many instances, and the release of those still running, in one cell across
/// the table (the person column too in team mode, `team`) whose contents stay in the visible width as it scrolls.
fn order_line(
    order: &str,
    members: &[&InstanceView],
    proxy_now: i64,
    team: bool,
    lang: Lang,
    ask: &Callback<(ReleaseBody, Vec<String>, Option<Money>)>,
) -> Html {
    let live: Vec<&&InstanceView> = members
        .iter()
        .filter(|row| !row.state.is_final() && row.state != InstanceState::Releasing)
        .collect();
    let release = {
        let ask = ask.clone();
        let ids: Vec<String> = live.iter().map(|row| row.id.clone()).collect();
        let cost = total(live.iter().map(|row| cost_now(row, proxy_now)));
        // The instances the confirmation lists, by id, as "release all" does: not the order's id, which the proxy
        // resolves when the call arrives — an instance of the order that came back (a release that did not take)
        // or was booked meanwhile would go too, unshown and uncounted.
        let body = ReleaseBody {
            instances: live
                .iter()
                .map(|row| InstanceRef {
                    cloud: row.cloud,
                    id: row.id.clone(),
                })
                .collect(),
            ..ReleaseBody::default()
        };
        Callback::from(move |_: MouseEvent| ask.emit((body.clone(), ids.clone(), cost)))
    };
    let title = if order.is_empty() {
        text(lang, Key::WatchedGroup).to_owned()
    } else {
        order.to_owned()
    };
    let count = format!(" · {} × {}", members.len(), text(lang, Key::InstanceWord));
    // The header cells of the group read as its title and count alone, not with the button's words.
    let heading = format!("{title}{count}");
    html! {
        <tr class="order-row" data-order={order.to_owned()}>
            <th scope="rowgroup" colspan={(11 + usize::from(team)).to_string()} aria-label={heading}>
                <div class="group-title">
                    <span><span class="nowrap">{ title }</span>{ count }</span>
                    if !order.is_empty() && !live.is_empty() {
                        <button data-testid="release-order" onclick={release}>{ text(lang, Key::ReleaseOrder) }</button>
                    }
                </div>
            </th>
        </tr>
    }
}

fn result_word(result: ReleaseResult, lang: Lang) -> &'static str {
    match (lang, result) {
        (Lang::En, ReleaseResult::Accepted) => "release accepted",
        (Lang::En, ReleaseResult::AlreadyGone) => "already gone",
        (Lang::En, ReleaseResult::Refused) => "refused",
        (Lang::En, ReleaseResult::Unknown) => "unknown — the proxy checks and never sends it twice",
        (Lang::Zh, ReleaseResult::Accepted) => "已受理释放",
        (Lang::Zh, ReleaseResult::AlreadyGone) => "已不存在",
        (Lang::Zh, ReleaseResult::Refused) => "被拒绝",
        (Lang::Zh, ReleaseResult::Unknown) => "结果未知——代理会核实，不会重复发送",
    }
}

/// One instance's line; in team mode (`team`) with who placed its order.
fn instance_row(
    row: &InstanceView,
    proxy_now: i64,
    team: bool,
    lang: Lang,
    ask: &Callback<(ReleaseBody, Vec<String>, Option<Money>)>,
) -> Html {
    let cost = cost_now(row, proxy_now);
    let notes = match (row.state, row.reclaim_at_ms) {
        (InstanceState::BeingReclaimed, Some(at)) => format!(
            "{} {}{}",
            text(lang, Key::ReclaimIn),
            countdown(at - proxy_now),
            row.reason
                .as_ref()
                .map(|reason| format!(" — {reason}"))
                .unwrap_or_default()
        ),
        _ => row.reason.clone().unwrap_or_default(),
    };
    let release = {
        let ask = ask.clone();
        let body = ReleaseBody {
            instances: vec![InstanceRef {
                cloud: row.cloud,
                id: row.id.clone(),
            }],
            ..ReleaseBody::default()
        };
        let id = row.id.clone();
        Callback::from(move |_: MouseEvent| ask.emit((body.clone(), vec![id.clone()], cost)))
    };
    let releasable = !row.state.is_final() && row.state != InstanceState::Releasing;
    html! {
        <tr data-instance={row.id.clone()} data-state={row.state.id()}>
            <td><code>{ &row.id }</code></td>
            if team {
                <td data-col="placed_by">{ row.placed_by.clone().unwrap_or_default() }</td>
            }
            <td class={format!("cloud-badge {}", row.cloud.id())} title={crate::i18n::cloud_name(lang, row.cloud)}>{ crate::columns::cloud_badge(row.cloud, lang) }</td>
            <td class={format!("status {}", row.state.id())} title={row.cloud_state.clone().unwrap_or_default()}>
                { state_word(row.state, lang) }
                if let Some(own) = &row.cloud_state { <span class="muted">{ format!(" ({own})") }</span> }
            </td>
            <td>{ row.zone.clone().unwrap_or_else(|| row.region.clone()) }</td>
            <td>{ row.instance_type.clone().unwrap_or_default() }</td>
            <td title={row.running_since_ms.map(time_utc).unwrap_or_default()}>{ row.running_since_ms.map(|since| ago(since, row.ended_at_ms.unwrap_or(proxy_now), lang)).unwrap_or_default() }</td>
            <td class="num">{ row.price_per_hour.map(max_money4).unwrap_or_default() }</td>
            <td class="num" data-testid="cost-so-far">{ cost.map(max_money4).unwrap_or_default() }</td>
            <td class="provenance" data-testid="instance-notes" title={notes.clone()}>{ notes.clone() }</td>
            <td title={row.last_checked_ms.map(time_utc).unwrap_or_default()}>{ row.last_checked_ms.map(|at| ago(at, proxy_now, lang)).unwrap_or_default() }</td>
            <td>
                if releasable {
                    <button data-testid="release-one" onclick={release}>{ text(lang, Key::Release) }</button>
                }
            </td>
        </tr>
    }
}

/// What a watch did with the ids `asked`: added, already watched, and — named, so a typo or the wrong region
/// shows — left out (only a spot instance of the region can join the book, and so be released).
fn watched(answer: &spotplan_core::api::instances::WatchAnswer, asked: &[String], lang: Lang) -> String {
    let mut said = if answer.added.is_empty() {
        "+ 0".to_owned()
    } else {
        format!("+ {}", answer.added.join(", "))
    };
    if !answer.known.is_empty() {
        said.push_str(&format!(" (= {})", answer.known.join(", ")));
    }
    if answer.not_spot > 0 {
        let left_out: Vec<&str> = asked
            .iter()
            .map(String::as_str)
            .filter(|id| !answer.added.iter().chain(&answer.known).any(|taken| taken == id))
            .collect();
        let named = if left_out.is_empty() {
            answer.not_spot.to_string()
        } else {
            left_out.join(", ")
        };
        said.push_str(&match lang {
            Lang::En => format!("; left out: {named} — not a spot instance this region lists"),
            Lang::Zh => format!("；未添加：{named}——不是该地域列出的竞价实例"),
        });
    }
    said
}

/// What a region's search found: the ids added, how many were already watched and how many were not spot — and,
/// for a cloud whose list marks spot instances among others, how it marks them when none was spot.
fn discovered(cloud: spotplan_core::Cloud, answer: &spotplan_core::api::instances::WatchAnswer, lang: Lang) -> String {
    let added = if answer.added.is_empty() {
        "0".to_owned()
    } else {
        answer.added.join(", ")
    };
    let (known, not_spot) = (answer.known.len(), answer.not_spot);
    let mut said = match lang {
        Lang::En => format!("+ {added} ({known} already watched, {not_spot} not spot)"),
        Lang::Zh => format!("+ {added}（{known} 个已在关注，{not_spot} 个不是竞价实例）"),
    };
    if answer.added.is_empty()
        && answer.known.is_empty()
        && answer.not_spot > 0
        && let Some(note) = spotplan_core::clouds::api(cloud).spot_list_note()
    {
        said.push_str(". ");
        said.push_str(&note);
    }
    said
}

#[cfg(test)]
mod tests {
    use super::{Lang, discovered, watched};
    use spotplan_core::Cloud;
    use spotplan_core::api::instances::WatchAnswer;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn answer(added: &[&str], known: usize, not_spot: u32) -> WatchAnswer {
        WatchAnswer {
            added: added.iter().map(|id| (*id).to_owned()).collect(),
            known: (0..known).map(|index| format!("i-{index}")).collect(),
            not_spot,
        }
    }

    #[test]
    fn a_total_with_an_unknown_cost_is_unknown_not_the_sum_of_the_known() {
        use spotplan_core::{Currency, Money};
        let cny = |cents: i64| Some(Money::new(rust_decimal::Decimal::new(cents, 2), Currency::Cny));
        assert_eq!(super::total([cny(150), cny(25)].into_iter()), cny(175));
        assert_eq!(super::total([cny(150), None].into_iter()), None);
        let usd = Some(Money::new(rust_decimal::Decimal::ONE, Currency::Usd));
        assert_eq!(super::total([cny(150), usd].into_iter()), None);
    }

    #[test]
    fn a_search_says_what_it_added_what_was_watched_and_what_was_not_spot() {
        assert_eq!(
            discovered(Cloud::Tencent, &answer(&["ins-a", "ins-b"], 3, 1), Lang::En),
            "+ ins-a, ins-b (3 already watched, 1 not spot)"
        );
        assert_eq!(
            discovered(Cloud::Baidu, &answer(&[], 0, 0), Lang::En),
            "+ 0 (0 already watched, 0 not spot)"
        );
    }

    #[test]
    fn a_watch_names_what_it_left_out() {
        let asked = |ids: &[&str]| ids.iter().map(|id| (*id).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            watched(&answer(&["ins-a"], 0, 0), &asked(&["ins-a"]), Lang::En),
            "+ ins-a"
        );
        assert_eq!(
            watched(
                &answer(&["ins-a"], 1, 2),
                &asked(&["ins-a", "i-0", "ins-typo", "ins-elsewhere"]),
                Lang::En
            ),
            "+ ins-a (= i-0); left out: ins-typo, ins-elsewhere — not a spot instance this region lists"
        );
        assert_eq!(
            watched(
                &answer(&["ins-a"], 1, 2),
                &asked(&["ins-a", "i-0", "ins-typo", "ins-elsewhere"]),
                Lang::Zh
            ),
            "+ ins-a (= i-0)；未添加：ins-typo, ins-elsewhere——不是该地域列出的竞价实例"
        );
    }

    #[test]
    fn a_baidu_search_that_found_only_other_instances_says_which_payment_timing_counts_as_spot() {
        let said = discovered(Cloud::Baidu, &answer(&[], 0, 4), Lang::En);
        assert_eq!(
            said,
            "+ 0 (0 already watched, 4 not spot). Baidu's list marks spot instances with paymentTiming bidding or \
             Spotpaid, and only those can be watched"
        );
        assert!(!discovered(Cloud::Alibaba, &answer(&[], 0, 4), Lang::En).contains("paymentTiming"));
    }
}
