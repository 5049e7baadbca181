//! Dry run and submission: a confirmation that states the most the order can cost per hour and in total, the
//! request to the proxy with the draft's idempotency key (kept on retries), progress while waiting, and the
//! outcome — instance ids, order id, request id, or the cloud's error with the proxy's hint.

use rust_decimal::Decimal;
use spotplan_core::api::orders::{QuotedOrder, SubmitAnswer};
use spotplan_core::display::max_money2;
use spotplan_core::order::outcome::OrderStatus;
use spotplan_core::{Candidate, Money, PriceRate, TimeUnit};
use yew::prelude::*;

use crate::health::ProxyStatus;
use crate::i18n::{Key, text};
use crate::state::{Action, Submission, UiState};

/// Properties of the submit panel.
#[derive(Debug, Properties, PartialEq)]
pub struct SubmitProps {
    /// The UI state.
    pub state: UseReducerHandle<UiState>,
    /// The chosen offer's figures.
    pub candidate: Option<Candidate>,
    /// Whether the proxy is there and which clouds it can submit to.
    pub proxy: ProxyStatus,
    /// Whether the order passes validation.
    pub valid: bool,
}

/// The most the order can cost: per hour (bid or on-demand cap, for all instances) and for the whole job. A market
/// bid is bounded as the proxy bounds it (`billing::market_bid_bound`); a Windows image's (its licence included)
/// is not known.
pub fn maximum_cost(state: &UiState, candidate: Option<&Candidate>) -> Option<(Money, Money)> {
    let order = state.order.as_ref()?;
    let count = Decimal::from(order.count);
    let hourly = match order.bid.max_price {
        Some(price) => price
            .rate(order.cloud, order.account_currency)
            .in_unit(TimeUnit::Hour)
            .ok()?,
        None if order.os == spotplan_core::order::OsFamily::Windows => return None,
        None => {
            let candidate = candidate?;
            let on_demand = candidate.on_demand.native()?.in_unit(TimeUnit::Hour).ok()?;
            let spot = candidate
                .spot
                .native()
                .and_then(|spot| spot.in_unit(TimeUnit::Hour).ok())
                .and_then(|spot| state.fx.convert(spot.money, on_demand.money.currency).ok());
            PriceRate::new(
                spotplan_core::billing::market_bid_bound(on_demand.money, spot),
                TimeUnit::Hour,
            )
        }
    };
    let per_hour = hourly.money.checked_mul(count).ok()?;
    // Billed in the cloud's granularity: Baidu bills every begun minute.
    let billed = spotplan_core::billing::billed_seconds(order.cloud, state.requirement.job_seconds());
    let total = hourly.cost_for_seconds(billed).ok()?.checked_mul(count).ok()?;
    Some((per_hour, total))
}

/// The submit panel.
#[component]
pub fn SubmitPanel(props: &SubmitProps) -> Html {
    let state = props.state.clone();
    let lang = state.lang;
    let t = |key| text(lang, key);
    let Some(order) = state.order.clone() else {
        return html! {};
    };
    let can_submit = props.proxy.can_submit(order.cloud);
    let reason = match &props.proxy {
        ProxyStatus::Reachable(_) if !can_submit => Some(t(Key::NoCredentials)),
        ProxyStatus::Reachable(_) => None,
        ProxyStatus::NotSignedIn(_) => Some(t(Key::SignInToSubmit)),
        _ => Some(t(Key::ProxyOffline)),
    };
    let ask = |dry_run: bool| {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| state.dispatch(Action::AskSubmit { dry_run }))
    };
    let confirm = {
        let state = state.clone();
        let quoted = props
            .candidate
            .as_ref()
            .and_then(|c| c.spot.native())
            .map(|rate| rate.to_string());
        Callback::from(move |_: MouseEvent| {
            let Submission::Confirming { dry_run } = state.submission else {
                return;
            };
            let Some(mut order) = state.order.clone() else { return };
            order.dry_run = dry_run;
            let submission = QuotedOrder {
                order,
                quoted_price: quoted.clone(),
            };
            let key = if dry_run {
                format!("{}-dry", state.idempotency_key)
            } else {
                state.idempotency_key.clone()
            };
            state.dispatch(Action::Confirmed);
            // Sent before under this key (its outcome not final yet): a refusal that comes before the proxy looks
            // at the key then says nothing of that earlier send. The tab's storage says so across a reload; the
            // state says so where the storage cannot be used.
            let resending = crate::in_flight::recall().contains(&key) || (!dry_run && state.has_unsettled_send());
            if !dry_run {
                crate::in_flight::remember(&key);
            }
            let (state, lang) = (state.clone(), state.lang);
            wasm_bindgen_futures::spawn_local(async move {
                // Each answer names the key it was sent under: if the draft changed meanwhile, it is the earlier
                // order's answer, not this draft's.
                let action = match crate::api::submit_order(&submission, &key).await {
                    Ok(answer) => Action::Answered {
                        key,
                        answer: Box::new(answer),
                    },
                    // Looked up at the cloud and not found: that key's order is settled; retrying it is useless.
                    Err(crate::api::ApiError::Refused(body)) if body.error.code == "order_not_found_at_cloud" => {
                        Action::KeySpent {
                            key,
                            message: crate::i18n::proxy::refusal(lang, &body),
                        }
                    }
                    Err(error) => Action::Refused {
                        key,
                        dry_run,
                        message: crate::i18n::proxy::api_error(lang, &error),
                        problems: refusal_problems(&error),
                        placed_nothing: error.placed_nothing(resending),
                    },
                };
                // Only a final outcome lets the tab forget the order (an unknown one, or no answer, may exist).
                match &action {
                    Action::Answered { key, answer } if answer.record.status != OrderStatus::Unknown => {
                        crate::in_flight::forget(key)
                    }
                    Action::KeySpent { key, .. }
                    | Action::Refused {
                        key,
                        placed_nothing: true,
                        ..
                    } => crate::in_flight::forget(key),
                    _ => {}
                }
                state.dispatch(action);
            });
        })
    };
    let cancel = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| state.dispatch(Action::Cancelled))
    };
    let busy = matches!(
        state.submission,
        Submission::Sending { .. } | Submission::Confirming { .. }
    );
    // A placed order is spent: placing it again would only show the same result; a new order takes a new key.
    // So is one the proxy settled as not found at the cloud.
    let placed = state.submission.placed();
    let disabled = !can_submit || !props.valid || busy || state.submission.key_spent();
    let new_order = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| state.dispatch(Action::NewOrder))
    };
    html! {
        <section aria-labelledby="submit-heading" class="submit-panel">
            <h2 id="submit-heading">{ t(Key::PlaceOrder) }</h2>
            if let Some(reason) = reason { <p class="warning" role="note">{ reason }</p> }
            { for state.earlier.iter().map(|earlier| html! {
                <>
                    { earlier_note(earlier, lang) }
                    <button data-testid="dismiss-earlier" onclick={{
                        let (state, key) = (state.clone(), earlier.key.clone());
                        Callback::from(move |_: MouseEvent| {
                            crate::in_flight::forget(&key);
                            state.dispatch(Action::DismissEarlier(key.clone()));
                        })
                    }}>{ if lang == crate::i18n::Lang::Zh { "我已查看" } else { "I have checked it" } }</button>
                </>
            }) }
            <div class="actions">
                <button onclick={ask(true)} disabled={disabled}>{ t(Key::DryRun) }</button>
                <button class="primary" onclick={ask(false)} disabled={disabled}>{ t(Key::PlaceOrder) }</button>
            </div>
            { match &state.submission {
                Submission::Confirming { dry_run } => {
                    let cost = maximum_cost(&state, props.candidate.as_ref())
                        .map(|(hour, total)| if lang == crate::i18n::Lang::Zh {
                            format!("{} / 小时 · {} 共 {} 小时", max_money2(hour), max_money2(total), state.requirement.hours.normalize())
                        } else {
                            format!("{} / hour · {} for {} h", max_money2(hour), max_money2(total), state.requirement.hours.normalize())
                        })
                        .unwrap_or_else(|| if lang == crate::i18n::Lang::Zh { "未知（无价格也无出价）".into() } else { "unknown (no price and no bid)".into() });
                    html! {
                        <div role="dialog" aria-modal="true" aria-labelledby="confirm-heading" class="dialog">
                            <h3 id="confirm-heading">{ if *dry_run { t(Key::DryRun) } else { t(Key::ConfirmHeading) } }</h3>
                            <p>{ t(Key::ConfirmBody) }{ " " }<strong data-testid="max-cost">{ cost }</strong></p>
                            <p class="muted">{ format!(
                                "{} × {} · {}",
                                order.count,
                                order.instance_type.clone().or_else(|| order.baidu.as_ref().and_then(|shape| shape.spec.clone())).unwrap_or_default(),
                                order.zone.clone().unwrap_or(order.region.clone())
                            ) }</p>
                            <p class="muted" data-testid="max-cost-scope">{ if lang == crate::i18n::Lang::Zh {
                                "仅为实例价格：云盘和带宽另行计费。"
                            } else {
                                "The instances' price only: disks and bandwidth are billed apart."
                            } }</p>
                            <button class="primary" onclick={confirm}>{ t(Key::Confirm) }</button>
                            <button onclick={cancel}>{ t(Key::Cancel) }</button>
                        </div>
                    }
                }
                Submission::Sending { .. } => html! { <p role="status" aria-live="polite" class="progress">{ t(Key::Sending) }</p> },
                Submission::Answered { record } => html! {
                    <>
                        { outcome(record, lang) }
                        // The cloud may have acted (unknown) or nothing left (not sent): resending under the same key
                        // carries the same ClientToken, so it cannot create a second order.
                        if matches!(record.record.status, OrderStatus::Unknown | OrderStatus::NotSent) {
                            <button onclick={ask(record.record.dry_run)}>{ t(Key::RetryUnknown) }</button>
                        }
                        if placed {
                            <p class="ok" data-testid="placed-note">{ t(Key::PlacedNote) }</p>
                            <button data-testid="new-order" onclick={new_order}>{ t(Key::NewOrder) }</button>
                        } else if state.submission.failed_for_good() {
                            // Placing again under this key would only replay the refusal from the log.
                            <button data-testid="new-order" onclick={new_order}>{ t(Key::NewOrder) }</button>
                        }
                    </>
                },
                // A retry repeats what was asked: a refused dry run is retried as a dry run.
                Submission::Refused { message, dry_run, key_spent, .. } => html! {
                    <div role="alert" class="error">
                        <p>{ message }</p>
                        if *key_spent {
                            <button data-testid="new-order" onclick={new_order.clone()}>{ t(Key::NewOrder) }</button>
                        } else {
                            <button onclick={ask(*dry_run)}>{ if *dry_run { t(Key::RetryDryRun) } else { t(Key::Retry) } }</button>
                        }
                    </div>
                },
                Submission::Idle => html! {},
            } }
        </section>
    }
}

/// The note on a real order sent under an earlier key of the draft that may exist: placing the changed draft is
/// a second order.
fn earlier_note(earlier: &crate::state::EarlierOrder, lang: crate::i18n::Lang) -> Html {
    let key = &earlier.key;
    if earlier.from_before_reload {
        let text = if lang == crate::i18n::Lang::Zh {
            format!(
                "页面重新加载时，以幂等键 {key} 发送的订单结果未知：它可能已创建实例。请先查看“订单”页；提交草稿将是新订单。"
            )
        } else {
            format!(
                "An order sent under key {key} had no known outcome when this page was reloaded: it may have \
                 created instances. Check the Orders page first; placing a draft is a new order."
            )
        };
        return html! { <p class="warning" role="note" data-testid="earlier-order">{ text }</p> };
    }
    let created_nothing = matches!(earlier.outcome.as_deref(), Some("failed" | "not_sent" | "not_found"));
    let placed = earlier.outcome.as_deref() == Some("succeeded");
    let text = match (&earlier.outcome, lang) {
        (Some(_), crate::i18n::Lang::Zh) if placed => {
            format!("以幂等键 {key} 发送的较早订单已成功下单并创建了实例，见“订单”页；提交此草稿将是第二个订单。")
        }
        (Some(_), _) if placed => format!(
            "The earlier order sent under key {key} came back: succeeded — it created instances (see the Orders \
             page); placing this draft is a second order."
        ),
        (Some(outcome), crate::i18n::Lang::Zh) if created_nothing => {
            format!("以幂等键 {key} 发送的较早订单结果：{outcome}，未创建任何实例。")
        }
        (Some(outcome), _) if created_nothing => {
            format!("The earlier order sent under key {key} came back: {outcome}; it created nothing.")
        }
        (None, crate::i18n::Lang::Zh) => format!(
            "您修改草稿时，以幂等键 {key} 发送的订单仍在发送中：它可能已创建实例。请先查看“订单”页；提交此草稿将是第二个订单。"
        ),
        (None, _) => format!(
            "An order sent under key {key} was still being sent when you changed the draft: it may have created \
             instances. Check the Orders page first; placing this draft is a second order."
        ),
        (Some(outcome), crate::i18n::Lang::Zh) => format!(
            "以幂等键 {key} 发送的较早订单结果：{outcome}。它可能已创建实例，请查看“订单”页；提交此草稿将是第二个订单。"
        ),
        (Some(outcome), _) => format!(
            "The earlier order sent under key {key} came back: {outcome}. It may have created instances — see the \
             Orders page; placing this draft is a second order."
        ),
    };
    html! { <p class="warning" role="note" data-testid="earlier-order">{ text }</p> }
}

fn outcome(answer: &SubmitAnswer, lang: crate::i18n::Lang) -> Html {
    let record = &answer.record;
    let status = record.status.as_str();
    let optional = |value: &Option<String>| value.clone().filter(|text| !text.is_empty());
    html! {
        <div role="status" aria-live="polite" class={format!("outcome {status}")} data-testid="order-outcome">
            <h3>{ text(lang, Key::Result) }{ ": " }{ crate::i18n::proxy::status_word(lang, record.status) }</h3>
            if !record.instance_ids.is_empty() { <p>{ text(lang, Key::InstanceIds) }{ ": " }<code data-testid="instance-ids">{ record.instance_ids.join(", ") }</code></p> }
            if let Some(id) = optional(&record.cloud_order_id) { <p>{ text(lang, Key::OrderId) }{ ": " }<code>{ id }</code></p> }
            if let Some(id) = optional(&record.cloud_request_id) { <p>{ text(lang, Key::RequestId) }{ ": " }<code>{ id }</code></p> }
            if let Some(code) = optional(&record.error_code) { <p class="error">{ format!("{code}: {}", record.error_message.clone().unwrap_or_default()) }</p> }
            if let Some(hint) = optional(&record.hint) { <p class="hint">{ hint }</p> }
            if !answer.logged { <p class="warning">{ text(lang, Key::NotLoggedYet) }</p> }
            if answer.replayed {
                <p class="muted" data-testid="replayed-note">{ if lang == crate::i18n::Lang::Zh {
                    "此结果来自订单日志：此幂等键下的订单已有结果，因此未再次发送。"
                } else {
                    "Answered from the order log: an order was already sent under this key, so nothing was sent again."
                } }</p>
            }
            <p class="muted">{ match lang {
                crate::i18n::Lang::Zh => format!("ClientToken {} · 订单 {}", record.client_token, record.id),
                crate::i18n::Lang::En => format!("ClientToken {} · order {}", record.client_token, record.id),
            } }</p>
        </div>
    }
}

/// The proxy's refusal as problems to show beside the fields they name: its own list (an order a rule refuses),
/// else the one field its error names (a spend ceiling on `bid.max_price`, a region); none for an error that names
/// no field or a header (`Idempotency-Key`, `X-Spotplan-Token`: the submit panel says those), or no answer at all.
fn refusal_problems(error: &crate::api::ApiError) -> Vec<spotplan_core::order::Problem> {
    let crate::api::ApiError::Refused(body) = error else {
        return Vec::new();
    };
    if let Some(problems) = &body.error.problems {
        return problems.clone();
    }
    body.error
        .field
        .iter()
        .filter(|field| !field.starts_with(|c: char| c.is_ascii_uppercase()))
        .map(|field| spotplan_core::order::Problem {
            field: field.clone(),
            rule: format!("proxy.{}", body.error.code),
            value: String::new(),
            severity: spotplan_core::order::Severity::Error,
            message_en: body.error.message.clone(),
            message_zh: crate::i18n::proxy::refusal(crate::i18n::Lang::Zh, body),
            prevents: None,
            source: Some(format!("the proxy refused the order ({})", body.error.code)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use spotplan_core::catalog::OfferKey;
    use spotplan_core::{Cloud, Currency};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_market_bids_maximum_is_bounded_as_the_proxy_bounds_it() {
        let planner = spotplan_core::plan::Planner::new(
            spotplan_core::catalog::Catalog::embedded().unwrap(),
            spotplan_core::ExchangeRate::default(),
        );
        let state = UiState::new(crate::i18n::Lang::En);
        let offer = planner.plan(&state.requirement).ranked[0].offer;
        let mut candidate = planner.candidate(offer, &state.requirement, 0).unwrap();
        let state = std::rc::Rc::new(state).reduce(Action::Select {
            offer: candidate.key.clone(),
            recommended: None,
            key: "k1a2b3c4d".into(),
        });
        let mut state = (*state).clone();
        let order = state.order.as_mut().unwrap();
        order.bid.mode = spotplan_core::order::BidMode::Market;
        order.bid.max_price = None;
        order.count = 10;
        let hourly = |amount: &str, currency| spotplan_core::plan::PriceFigure::Observed {
            native: PriceRate::new(Money::parse(amount, currency).unwrap(), TimeUnit::Hour),
            observed_on: "2026-12-04".into(),
            age_days: 0,
            source: "test".into(),
        };
        candidate.on_demand = hourly("13.92584", Currency::Cny);
        candidate.spot = hourly("1.2", Currency::Cny);
        let per_hour = |state: &UiState, candidate: &Candidate| {
            maximum_cost(state, Some(candidate)).map(|(per_hour, _)| per_hour.amount.normalize().to_string())
        };
        assert_eq!(
            per_hour(&state, &candidate).as_deref(),
            Some("139.2584"),
            "the pay-as-you-go cap"
        );
        // A newest spot price above the list price (in another currency, at the rate the page uses) is the bound.
        candidate.spot = hourly("2.5", Currency::Usd);
        let rate = state.fx.cny_per_usd;
        assert_eq!(
            per_hour(&state, &candidate),
            Some((Decimal::new(25, 0) * rate).normalize().to_string())
        );
        assert!(Decimal::new(25, 0) * rate > Decimal::new(1392584, 4));
        state.order.as_mut().unwrap().os = spotplan_core::order::OsFamily::Windows;
        assert_eq!(
            per_hour(&state, &candidate),
            None,
            "a Windows image's cap includes its licence: unknown"
        );
    }

    #[test]
    fn the_maximum_for_the_job_counts_baidus_begun_minute_whole() {
        let chosen = std::rc::Rc::new(UiState::new(crate::i18n::Lang::En)).reduce(Action::Select {
            offer: OfferKey {
                cloud: Cloud::Baidu,
                region: "bj".into(),
                zone: None,
                instance_type: "bcc.g5.c2m8".into(),
            },
            recommended: Some(PriceRate::new(
                Money::parse("0.312", Currency::Cny).unwrap(),
                TimeUnit::Hour,
            )),
            key: "k1a2b3c4d".into(),
        });
        let mut state = (*chosen).clone();
        // 100 instances for 36 seconds: Baidu bills each a whole minute at 0.0052 CNY → 0.52, not 0.312.
        state.requirement.hours = Decimal::new(1, 2);
        if let Some(order) = state.order.as_mut() {
            order.count = 100;
        }
        let (per_hour, total) = maximum_cost(&state, None).unwrap();
        assert_eq!(per_hour.amount.normalize().to_string(), "31.2");
        assert_eq!(total.amount.normalize().to_string(), "0.52");
    }
}
