//! "Place fleet": the button, disabled with the reasons while anything blocks it; the confirmation stating the
//! target, instances, pools, the worst hourly cost against the ceiling and whether the fleet is maintained; the
//! submission under the fleet draft's idempotency key (the same key for a resend of the same body, a new one after
//! the proxy placed it); and the proxy's answer or its structured error.

use std::cell::RefCell;
use std::rc::Rc;

use spotplan_core::api::fleets::{FleetAnswer, FleetSubmission};
use spotplan_core::display::{max_money2, money2};
use spotplan_core::fleet::FleetPlan;
use yew::prelude::*;

use crate::api::ApiError;
use crate::fleet_model::{DraftKey, FleetForm};
use crate::i18n::fleet::{self as words, FleetText, fleet_text};
use crate::i18n::{Key, Lang, text};

/// Where placing stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Placing {
    /// Nothing asked.
    Idle,
    /// The confirmation is open, showing this body (as JSON too): Confirm sends exactly it, and only while the
    /// plan still builds it — the plan moves while the dialog is open (live prices, the instances' poll, the form),
    /// and what is sent must be what was read.
    Confirming(Rc<FleetSubmission>, String),
    /// Sent; no answer yet.
    Sending,
    /// The proxy placed the fleet (or answered with the one this key placed before).
    Answered(Box<FleetAnswer>),
    /// The proxy refused, or no answer came; with the body that was sent (its pools are what a refusal's
    /// `pools[i]` names, whatever the form became since).
    Refused(ApiError, Rc<FleetSubmission>),
}

/// The fleet draft: the form as typed, its key and where placing stands. The app keeps them, not the fleet page:
/// an input made invalid (which takes the orders section away) or a visit to another page must not forget a fleet
/// that may exist — or the next "Place" would send it again under a new key — nor put back a default target
/// nobody typed.
#[derive(Debug, Clone)]
pub struct FleetDraft {
    /// The form as typed, as the fleet page last left it (the page edits its own copy and writes it back, so a
    /// keystroke re-renders the page, not the app).
    pub form: Rc<RefCell<FleetForm>>,
    /// The key, and the body last sent under it.
    pub key: Rc<RefCell<DraftKey<Rc<FleetSubmission>>>>,
    /// Where placing stands.
    pub placing: UseStateHandle<Placing>,
}

impl PartialEq for FleetDraft {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.key, &other.key) && self.placing == other.placing && Rc::ptr_eq(&self.form, &other.form)
    }
}

/// The app's one fleet draft — after a reload, the send the tab had no answer to (its key and body as sent), so
/// the page says the fleet may exist and "Place" sends it again under its key.
#[hook]
pub fn use_fleet_draft(signed_in: bool) -> FleetDraft {
    let recovered = use_memo((), |()| {
        let (key, json) = crate::fleet_in_flight::recall()?;
        let body: FleetSubmission = serde_json::from_str(&json).ok()?;
        Some((key, json, Rc::new(body)))
    });
    let draft = FleetDraft {
        form: use_mut_ref(FleetForm::default),
        key: use_mut_ref(|| match recovered.as_ref() {
            Some((key, json, body)) => DraftKey::recovered(key.clone(), json.clone(), body.clone()),
            None => DraftKey::new(crate::draft_key::new_key()),
        }),
        placing: use_state(|| match recovered.as_ref() {
            Some((_, _, body)) => Placing::Refused(ApiError::NoAnswer(RELOADED_BEFORE_THE_ANSWER.into()), body.clone()),
            None => Placing::Idle,
        }),
    };
    {
        // The proxy may have placed it: its list names the fleet by its key, and then that is the answer. Asked
        // again once signed in (a tab signed out at load is signed in through the form, with no reload).
        let (key, placing) = (draft.key.clone(), draft.placing.clone());
        let sent_key = recovered.as_ref().as_ref().map(|(key, ..)| key.clone());
        use_effect_with(signed_in, move |signed_in| {
            if let (Some(sent_key), true) = (sent_key, *signed_in) {
                wasm_bindgen_futures::spawn_local(async move {
                    let Ok(list) = crate::api::fleets().await else {
                        return;
                    };
                    let still_unsettled = key.borrow().unsettled() && key.borrow().key() == sent_key;
                    if let Some(fleet) = list.fleets.into_iter().find(|fleet| fleet.idempotency_key == sent_key)
                        && still_unsettled
                    {
                        crate::fleet_in_flight::forget();
                        key.borrow_mut().placed(crate::draft_key::new_key());
                        placing.set(Placing::Answered(Box::new(FleetAnswer { fleet, replayed: true })));
                    }
                });
            }
        });
    }
    draft
}

/// Lets go of a send with no answer, after the person checked the fleets list does not show it (it never reached
/// the proxy): the draft gets a new key. Placed after all, a fleet placed next would be a second one.
pub fn discard_unsettled(draft: &Rc<RefCell<DraftKey<Rc<FleetSubmission>>>>, placing: &UseStateHandle<Placing>) {
    crate::fleet_in_flight::forget();
    draft.borrow_mut().placed(crate::draft_key::new_key());
    placing.set(Placing::Idle);
}

/// Properties of the place button and its confirmation.
#[derive(Debug, Clone, Properties)]
pub struct PlaceFleetProps {
    /// The plan.
    pub plan: Rc<FleetPlan>,
    /// The body to send.
    pub body: Rc<FleetSubmission>,
    /// The body as JSON (what the draft's key was sent with).
    pub json: String,
    /// The fleet draft's key.
    pub draft: Rc<RefCell<DraftKey<Rc<FleetSubmission>>>>,
    /// Where placing stands.
    pub placing: UseStateHandle<Placing>,
    /// Why the fleet cannot be placed now (empty: it can).
    pub blockers: Vec<String>,
    /// The UI language.
    pub lang: Lang,
}

impl PartialEq for PlaceFleetProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.plan, &other.plan)
            && self.json == other.json
            && self.placing == other.placing
            && self.blockers == other.blockers
            && self.lang == other.lang
    }
}

/// "Place fleet": disabled with the reasons while anything blocks it; a confirmation; the proxy's answer.
#[component]
pub fn PlaceFleet(props: &PlaceFleetProps) -> Html {
    let lang = props.lang;
    let t = |key| fleet_text(lang, key);
    let placing = props.placing.clone();
    let busy = matches!(*placing, Placing::Confirming(..) | Placing::Sending);
    let ask = {
        let (placing, body, json) = (placing.clone(), props.body.clone(), props.json.clone());
        Callback::from(move |_: MouseEvent| placing.set(Placing::Confirming(body.clone(), json.clone())))
    };
    // The body the dialog shows, and whether the plan still builds it.
    let (shown_body, plan_moved) = match &*placing {
        Placing::Confirming(body, json) => (body.clone(), *json != props.json),
        _ => (props.body.clone(), false),
    };
    let cancel = {
        let placing = placing.clone();
        Callback::from(move |_: MouseEvent| placing.set(Placing::Idle))
    };
    // A send without an answer is resent as it was sent; otherwise the form's body, which must be placeable now
    // (the dialog is not modal: an input changed while it is open can block the plan).
    let resend = props.draft.borrow().unsettled_body().map(|(_, sent)| sent.clone());
    let blocked = resend.is_none() && (!props.blockers.is_empty() || plan_moved);
    let confirm = {
        let (placing, draft) = (placing.clone(), props.draft.clone());
        let (body, json) = match &*placing {
            Placing::Confirming(body, json) => (body.clone(), json.clone()),
            _ => (props.body.clone(), props.json.clone()),
        };
        Callback::from(move |_: MouseEvent| {
            if blocked {
                return;
            }
            // The same key for the same body: a retry after a lost answer places nothing twice — and while the
            // last send's outcome is unknown, the retry is that body, however the plan moved since.
            let key = draft.borrow_mut().key_for(&json, crate::draft_key::new_key).to_owned();
            let (sent_json, body, resending) = match draft.borrow().unsettled_body() {
                Some((sent_json, sent)) => (sent_json.to_owned(), sent.clone(), true),
                None => (json.clone(), body.clone(), false),
            };
            draft.borrow_mut().sending(&sent_json, body.clone());
            crate::fleet_in_flight::remember(&key, &sent_json);
            placing.set(Placing::Sending);
            let (placing, draft, sent) = (placing.clone(), draft.clone(), body.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match crate::api::submit_fleet(&body, &key).await {
                    Ok(answer) => {
                        crate::fleet_in_flight::forget();
                        draft.borrow_mut().placed(crate::draft_key::new_key());
                        // Placed: a reload starts the next fleet from the defaults, not this one's form (Place
                        // then would order the same fleet a second time under a new key).
                        crate::fleet_form_memory::forget();
                        placing.set(Placing::Answered(Box::new(answer)));
                    }
                    Err(error) => {
                        match &error {
                            // Refused before the proxy looked at the key (not signed in, another site or host): a
                            // resend's refusal says nothing of the earlier send, which may still have placed it.
                            ApiError::Refused(refusal) if resending && refused_before_the_key(&refusal.error.code) => {
                                draft.borrow_mut().outcome_unknown()
                            }
                            ApiError::Refused(_) => {
                                crate::fleet_in_flight::forget();
                                draft.borrow_mut().refused()
                            }
                            // No answer, or the proxy failed after it may have saved the fleet: the outcome is
                            // unknown and the retry is this body under this key, however the form moves.
                            ApiError::NoAnswer(_) | ApiError::ServerFault { .. } | ApiError::Unreadable { .. } => {
                                draft.borrow_mut().outcome_unknown()
                            }
                        }
                        placing.set(Placing::Refused(error, sent));
                    }
                }
            });
        })
    };
    let plan = &props.plan;
    // The spot part beside the spot ceiling the body carries: the pay-as-you-go base is not the proxy's to place.
    let worst = plan
        .spot_worst_hourly()
        .map(max_money2)
        .unwrap_or_else(|| t(FleetText::Unbounded).to_owned());
    let ceiling = props
        .body
        .ceiling_per_hour
        .map(money2)
        .unwrap_or_else(|| t(FleetText::NoCeiling).to_owned());
    let target = format!("{} {}", props.body.target, words::unit_name(lang, props.body.unit));
    let spot_instances: u32 = plan.allocations.iter().filter(|a| !a.on_demand).map(|a| a.count).sum();
    let spot_pools = plan.allocations.iter().filter(|a| !a.on_demand).count();
    let with_base = plan.allocations.iter().any(|a| a.on_demand);
    html! {
        <div class="fleet-submit" aria-live="polite">
            <button id="fleet-place" class="primary" disabled={blocked || busy} onclick={ask}
                aria-describedby={blocked.then_some("fleet-place-blockers")}>
                { t(FleetText::PlaceFleet) }
            </button>
            if !props.blockers.is_empty() {
                <ul id="fleet-place-blockers" class="problems">
                    { for props.blockers.iter().map(|reason| html! { <li class="warning">{ format!("⚠ {reason}") }</li> }) }
                </ul>
            }
            { match &*placing {
                Placing::Idle => html! {},
                Placing::Confirming(..) => html! {
                    <div role="dialog" aria-modal="true" aria-labelledby="fleet-confirm-heading" class="dialog" data-testid="fleet-confirm-dialog">
                        <h3 id="fleet-confirm-heading">{ t(FleetText::ConfirmHeading) }</h3>
                        if let Some(sent) = &resend {
                            <p class="warning" data-testid="fleet-resend-summary">{ words::resend_summary(
                                lang,
                                &format!("{} {}", sent.target, words::unit_name(lang, sent.unit)),
                                sent.pools.iter().map(|pool| pool.count).sum(),
                                sent.pools.iter().filter(|pool| pool.count > 0).count(),
                                &sent.ceiling_per_hour.map(money2).unwrap_or_else(|| t(FleetText::NoCeiling).to_owned()),
                                sent.maintain,
                            ) }</p>
                        } else {
                            <p>{ words::confirm_summary(lang, &target, spot_instances, spot_pools, &worst, &ceiling) }</p>
                            <ul class="fleet-confirm-pools" data-testid="fleet-confirm-pools">
                                { for shown_body.pools.iter().filter(|pool| pool.count > 0).map(|pool| html! {
                                    <li>{ pool_line(pool, lang) }</li>
                                }) }
                            </ul>
                            if with_base { <p class="note">{ t(FleetText::OnDemandNote) }</p> }
                            <p>{ if shown_body.maintain { t(FleetText::Maintained) } else { t(FleetText::NotMaintained) } }</p>
                            if plan_moved {
                                <p class="warning" role="alert" data-testid="fleet-plan-moved">{ t(FleetText::PlanChanged) }</p>
                                <button id="fleet-show-new" onclick={{
                                    let (placing, body, json) = (placing.clone(), props.body.clone(), props.json.clone());
                                    Callback::from(move |_: MouseEvent| placing.set(Placing::Confirming(body.clone(), json.clone())))
                                }}>{ t(FleetText::ShowNewPlan) }</button>
                            }
                        }
                        <button id="fleet-confirm" class="primary" onclick={confirm} disabled={blocked}
                            aria-describedby={blocked.then_some("fleet-place-blockers")}>{ text(lang, Key::Confirm) }</button>
                        <button id="fleet-cancel" onclick={cancel}>{ text(lang, Key::Cancel) }</button>
                    </div>
                },
                Placing::Sending => html! { <p role="status" class="progress">{ t(FleetText::Sending) }</p> },
                Placing::Answered(answer) => html! {
                    <div role="status" class="outcome succeeded" data-testid="fleet-placed" data-fleet-id={answer.fleet.id.clone()}>
                        <p>{ words::placed(lang, &answer.fleet.id, answer.fleet.state) }</p>
                        if answer.replayed { <p class="muted">{ t(FleetText::Replayed) }</p> }
                    </div>
                },
                Placing::Refused(error, sent) => html! {
                    <div role="alert" class="error" data-testid="fleet-refused">
                        { match error {
                            ApiError::Refused(body) => html! {
                                <p>
                                    <code>{ &body.error.code }</code>{ ": " }{ crate::i18n::proxy::refusal(lang, body) }
                                    if let Some(field) = &body.error.field { { format!(" ({})", refused_where(sent, field, lang)) } }
                                </p>
                            },
                            ApiError::NoAnswer(detail) if detail == RELOADED_BEFORE_THE_ANSWER && lang == Lang::Zh => html! {
                                <p>{ "代理没有应答：代理应答前页面已重新加载" }</p>
                            },
                            other => html! { <p>{ crate::i18n::proxy::api_error(lang, other) }</p> },
                        } }
                        if let ApiError::Refused(body) = error {
                            if let Some(problems) = &body.error.problems {
                                <ul class="problems">
                                    { for problems.iter().map(|p| html! {
                                        <li>{ refused_where(sent, &p.field, lang) }{ ": " }{ if lang == Lang::Zh { &p.message_zh } else { &p.message_en } }</li>
                                    }) }
                                </ul>
                            }
                        }
                        if props.draft.borrow().unsettled() {
                            <p class="warning" data-testid="fleet-unsettled">{ t(FleetText::UnsettledNote) }</p>
                            <button id="fleet-discard" onclick={{
                                let (draft, placing) = (props.draft.clone(), placing.clone());
                                Callback::from(move |_: MouseEvent| discard_unsettled(&draft, &placing))
                            }}>{ t(FleetText::DiscardUnsettled) }</button>
                        } else {
                            <p class="muted">{ t(FleetText::RetryNote) }</p>
                        }
                    </div>
                },
            } }
        </div>
    }
}

/// One pool of the confirmation: how many of which type where, and the most each may cost — its bid in the
/// cloud's own unit and the account's currency, rounded up, or the market's price for a market bid.
fn pool_line(pool: &spotplan_core::api::fleets::FleetPool, lang: Lang) -> String {
    let bid = match (pool.order.bid.max_price, lang) {
        (Some(price), _) => format!(
            " ≤ {}",
            spotplan_core::display::max_unit_price(price.rate(pool.pool.cloud, pool.order.account_currency))
        ),
        (None, Lang::En) => " (market price)".to_owned(),
        (None, Lang::Zh) => "（市场价）".to_owned(),
    };
    let place = pool.pool.zone.as_deref().unwrap_or(&pool.pool.region);
    let within = if lang == Lang::Zh { "位于" } else { "in" };
    format!(
        "{} × {} {} {within} {place}{bid}",
        pool.count,
        pool.pool.cloud.id(),
        pool.pool.instance_type,
    )
}

/// Why a fleet send restored after a reload has no answer.
const RELOADED_BEFORE_THE_ANSWER: &str = "the page was reloaded before the proxy answered";

/// Whether a refusal came before the proxy looked at the request's idempotency key: who may call, from where, in
/// what form — not what the fleet is.
fn refused_before_the_key(code: &str) -> bool {
    matches!(
        code,
        "token_required" | "host_not_allowed" | "foreign_origin" | "unsupported_media_type" | "body_too_large"
    )
}

/// Where a refused fleet's problem is, for people: `pools[2].order.network.subnet_id` names the pool the way the
/// plan shows it ("pool 3, tencent S5.LARGE8 in ap-guangzhou-6: network.subnet_id"); any other field as it is.
pub fn refused_where(body: &FleetSubmission, field: &str, lang: Lang) -> String {
    let pool = field
        .strip_prefix("pools[")
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(index, rest)| Some((index.parse::<usize>().ok()?, rest.trim_start_matches('.'))));
    match pool.and_then(|(index, rest)| Some((index, body.pools.get(index)?, rest))) {
        Some((index, pool, rest)) => {
            let within = rest.strip_prefix("order.").unwrap_or(rest);
            let offer = &pool.pool;
            let place = offer.zone.as_deref().unwrap_or(&offer.region);
            let pool_name = match lang {
                Lang::En => format!("pool {}, {offer}", index + 1),
                Lang::Zh => format!(
                    "第 {} 个资源池（{} {}，{place}）",
                    index + 1,
                    offer.cloud.id(),
                    offer.instance_type
                ),
            };
            if within.is_empty() {
                pool_name
            } else {
                format!("{pool_name}: {within}")
            }
        }
        None => field.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spotplan_core::Cloud;
    use spotplan_core::api::fleets::FleetPool;
    use spotplan_core::catalog::OfferKey;
    use spotplan_core::fleet::TargetUnit;
    use spotplan_core::order::draft::draft_order;

    #[test]
    fn a_refused_pool_field_names_the_pool_not_its_index_path() {
        let offer = OfferKey {
            cloud: Cloud::Tencent,
            region: "ap-guangzhou".into(),
            zone: Some("ap-guangzhou-6".into()),
            instance_type: "S5.LARGE8".into(),
        };
        let body = FleetSubmission {
            name: None,
            target: 2,
            unit: TargetUnit::Instances,
            maintain: false,
            ceiling_per_hour: None,
            pools: vec![FleetPool {
                order: draft_order(&offer, 2),
                pool: offer,
                weight: 1,
                count: 2,
            }],
        };
        assert_eq!(
            refused_where(&body, "pools[0].order.network.subnet_id", Lang::En),
            "pool 1, tencent S5.LARGE8 in ap-guangzhou-6: network.subnet_id"
        );
        assert_eq!(
            refused_where(&body, "pools[0].count", Lang::En),
            "pool 1, tencent S5.LARGE8 in ap-guangzhou-6: count"
        );
        assert_eq!(
            refused_where(&body, "pools[0]", Lang::Zh),
            "第 1 个资源池（tencent S5.LARGE8，ap-guangzhou-6）"
        );
        assert_eq!(
            refused_where(&body, "pools[7].count", Lang::En),
            "pools[7].count",
            "no such pool: the path"
        );
        assert_eq!(refused_where(&body, "ceiling_per_hour", Lang::En), "ceiling_per_hour");
    }
}
