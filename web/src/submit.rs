//! Dry run and submission: a confirmation that states the most the order can cost per hour and in total, the
//! request to the proxy with the draft's idempotency key (kept on retries), progress while waiting, and the
//! outcome — instance ids, order id, request id, or the cloud's error with the proxy's hint.

use rust_decimal::Decimal;
use spotplan_core::display::money2;
use spotplan_core::{Candidate, Money, TimeUnit};
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

/// The most the order can cost: per hour (bid or on-demand cap, for all instances) and for the whole job.
pub fn maximum_cost(state: &UiState, candidate: Option<&Candidate>) -> Option<(Money, Money)> {
    let order = state.order.as_ref()?;
    let count = Decimal::from(order.count);
    let hourly = match order.bid.max_price {
        Some(price) => price
            .rate(order.cloud, order.account_currency)
            .in_unit(TimeUnit::Hour)
            .ok()?,
        None => candidate?.on_demand.native()?.in_unit(TimeUnit::Hour).ok()?,
    };
    let per_hour = hourly.money.checked_mul(count).ok()?;
    let total = hourly
        .cost_for_seconds(state.requirement.job_seconds())
        .ok()?
        .checked_mul(count)
        .ok()?;
    Some((per_hour, total))
}

async fn post_order(
    order: spotplan_core::order::SpotOrder,
    key: String,
    quoted: Option<String>,
) -> Result<serde_json::Value, String> {
    let body = serde_json::json!({ "order": order, "quoted_price": quoted });
    let request = gloo_net::http::Request::post("/api/v1/orders")
        .header("Idempotency-Key", &key)
        .json(&body)
        .map_err(|error| error.to_string())?;
    let response = request
        .send()
        .await
        .map_err(|error| format!("the proxy did not answer: {error}"))?;
    let json: serde_json::Value = response
        .json()
        .await
        .map_err(|error| format!("unreadable answer: {error}"))?;
    match json.get("error") {
        Some(error) => Err(error["message"]
            .as_str()
            .unwrap_or("the proxy refused the order")
            .to_owned()),
        None => Ok(json),
    }
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
    let can_submit = match &props.proxy {
        ProxyStatus::Reachable(health) => health
            .clouds
            .iter()
            .any(|c| c.cloud == order.cloud && c.credentials_configured),
        _ => false,
    };
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
            let key = if dry_run {
                format!("{}-dry", state.idempotency_key)
            } else {
                state.idempotency_key.clone()
            };
            state.dispatch(Action::Confirmed);
            let (state, quoted) = (state.clone(), quoted.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match post_order(order, key, quoted).await {
                    Ok(record) => state.dispatch(Action::Answered(record)),
                    Err(message) => state.dispatch(Action::Refused(message)),
                }
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
    let disabled = !can_submit || !props.valid || busy;
    html! {
        <section aria-labelledby="submit-heading" class="submit-panel">
            <h2 id="submit-heading">{ t(Key::PlaceOrder) }</h2>
            if let Some(reason) = reason { <p class="warning" role="note">{ reason }</p> }
            <div class="actions">
                <button onclick={ask(true)} disabled={disabled}>{ t(Key::DryRun) }</button>
                <button class="primary" onclick={ask(false)} disabled={disabled}>{ t(Key::PlaceOrder) }</button>
            </div>
            { match &state.submission {
                Submission::Confirming { dry_run } => {
                    let cost = maximum_cost(&state, props.candidate.as_ref())
                        .map(|(hour, total)| if lang == crate::i18n::Lang::Zh {
                            format!("{} / 小时 · {} 共 {} 小时", money2(hour), money2(total), state.requirement.hours.normalize())
                        } else {
                            format!("{} / hour · {} for {} h", money2(hour), money2(total), state.requirement.hours.normalize())
                        })
                        .unwrap_or_else(|| if lang == crate::i18n::Lang::Zh { "未知（无价格也无出价）".into() } else { "unknown (no price and no bid)".into() });
                    html! {
                        <div role="dialog" aria-modal="true" aria-labelledby="confirm-heading" class="dialog">
                            <h3 id="confirm-heading">{ if *dry_run { t(Key::DryRun) } else { t(Key::ConfirmHeading) } }</h3>
                            <p>{ t(Key::ConfirmBody) }{ " " }<strong data-testid="max-cost">{ cost }</strong></p>
                            <p class="muted">{ format!("{} × {} · {}", order.count, order.instance_type.clone().unwrap_or_default(), order.zone.clone().unwrap_or(order.region.clone())) }</p>
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
                        if matches!(record["status"].as_str(), Some("unknown" | "not_sent")) {
                            <button onclick={ask(record["dry_run"].as_bool().unwrap_or(false))}>{ t(Key::RetryUnknown) }</button>
                        }
                    </>
                },
                Submission::Refused { message } => html! {
                    <div role="alert" class="error">
                        <p>{ message }</p>
                        <button onclick={ask(false)}>{ t(Key::Retry) }</button>
                    </div>
                },
                Submission::Idle => html! {},
            } }
        </section>
    }
}

fn outcome(record: &serde_json::Value, lang: crate::i18n::Lang) -> Html {
    let field = |name: &str| record[name].as_str().unwrap_or_default().to_owned();
    let ids: Vec<String> = record["instance_ids"]
        .as_array()
        .map(|ids| ids.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    let status = field("status");
    html! {
        <div role="status" aria-live="polite" class={format!("outcome {status}")} data-testid="order-outcome">
            <h3>{ text(lang, Key::Result) }{ ": " }{ &status }</h3>
            if !ids.is_empty() { <p>{ text(lang, Key::InstanceIds) }{ ": " }<code data-testid="instance-ids">{ ids.join(", ") }</code></p> }
            if !field("cloud_order_id").is_empty() { <p>{ text(lang, Key::OrderId) }{ ": " }<code>{ field("cloud_order_id") }</code></p> }
            if !field("cloud_request_id").is_empty() { <p>{ text(lang, Key::RequestId) }{ ": " }<code>{ field("cloud_request_id") }</code></p> }
            if !field("error_code").is_empty() { <p class="error">{ format!("{}: {}", field("error_code"), field("error_message")) }</p> }
            if !field("hint").is_empty() { <p class="hint">{ field("hint") }</p> }
            if record["logged"] == serde_json::Value::Bool(false) { <p class="warning">{ text(lang, Key::NotLoggedYet) }</p> }
            <p class="muted">{ format!("ClientToken {} · order {}", field("client_token"), field("id")) }</p>
        </div>
    }
}
