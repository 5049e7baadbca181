//! "Keep prices fresh": the switch for the proxy's price refresher (`PUT /api/v1/refresh`) with the pools of the
//! current plan — its best priced offers on the clouds the proxy can quote — and its progress (`GET
//! /api/v1/refresh`, read every few seconds while it runs). What it stores reaches the page as it comes (`GET
//! /api/v1/catalog?since=`), merged newest-wins like live quotes.

use std::rc::Rc;

use spotplan_core::api::refresh::{RefreshProgress, RefreshSettings};
use spotplan_core::catalog::ExternalObservation;
use spotplan_core::clouds::api;
use spotplan_core::plan::Plan;
use spotplan_core::quote::{QuoteAsk, QuoteDraft};
use spotplan_core::{Cloud, Planner};
use yew::prelude::*;

use crate::health::ProxyStatus;
use crate::i18n::Lang;

/// Offers of the plan the refresher is given at most.
pub const REFRESH_POOLS: usize = 200;
/// How often the progress is read while the refresher runs.
const PROGRESS_EVERY_MS: u32 = 4_000;

/// Properties of the panel.
#[derive(Debug, Clone, Properties)]
pub struct RefreshPanelProps {
    /// The planner.
    pub planner: Rc<Planner>,
    /// The ranked plan: its best priced offers are the pools.
    pub plan: Rc<Plan>,
    /// The language.
    pub lang: Lang,
    /// The proxy's status.
    pub proxy: ProxyStatus,
    /// Called with the prices the refresher stored since the last read.
    pub on_prices: Callback<Vec<ExternalObservation>>,
}

impl PartialEq for RefreshPanelProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.planner, &other.planner)
            && Rc::ptr_eq(&self.plan, &other.plan)
            && self.lang == other.lang
            && self.proxy == other.proxy
    }
}

/// The pools to keep fresh: the plan's best priced offers on `clouds`, each asked as its cloud's price query wants.
pub fn pools(planner: &Planner, plan: &Plan, clouds: &[Cloud]) -> Vec<QuoteAsk> {
    let catalog = planner.catalog();
    plan.ranked
        .iter()
        .filter(|ranked| ranked.priced)
        .filter_map(|ranked| {
            let instance_type = catalog.type_of(&catalog.offers()[ranked.offer as usize]);
            let cloud = instance_type.cloud;
            // Tencent prices only with an image, which a plan does not have: its pools wait for a draft.
            (clouds.contains(&cloud) && !api(cloud).quote_needs_image()).then(|| {
                api(cloud).quote_ask(
                    catalog.key_of(ranked.offer as usize),
                    instance_type,
                    &QuoteDraft::default().for_cloud(cloud, None),
                )
            })
        })
        .take(REFRESH_POOLS)
        .collect()
}

/// The progress in words.
pub fn progress_text(lang: Lang, progress: &RefreshProgress) -> String {
    let state = match (lang, progress.enabled) {
        (Lang::Zh, true) => "运行中",
        (Lang::Zh, false) => "已停止",
        (Lang::En, true) => "on",
        (Lang::En, false) => "off",
    };
    let problem = progress.last_error.as_deref().unwrap_or("");
    match lang {
        Lang::Zh => format!(
            "价格刷新：{state} — {} 个资源池，第 {} 轮，下一个第 {} 个；共 {} 次查询，保存 {} 次价格变化；每分钟最多 {} 次。{}",
            progress.pools,
            progress.rounds + 1,
            progress.cursor + 1,
            progress.calls,
            progress.stored,
            progress.budget_per_minute,
            if problem.is_empty() {
                String::new()
            } else {
                format!("最近的问题：{problem}")
            }
        ),
        Lang::En => format!(
            "Price refresher: {state} — {} pools, round {}, next pool {}; {} queries, {} price changes kept; at most {} queries a minute.{}",
            progress.pools,
            progress.rounds + 1,
            progress.cursor + 1,
            progress.calls,
            progress.stored,
            progress.budget_per_minute,
            if problem.is_empty() {
                String::new()
            } else {
                format!(" Last problem: {problem}")
            }
        ),
    }
}

/// The panel.
#[component]
pub fn RefreshPanel(props: &RefreshPanelProps) -> Html {
    let lang = props.lang;
    let progress = use_state(|| None::<RefreshProgress>);
    let failure = use_state(|| None::<String>);
    let seen = use_mut_ref(|| 0i64);
    let signed_in = matches!(props.proxy, ProxyStatus::Reachable(_));
    {
        // Progress now and every few seconds; what was stored since the last read joins the page.
        let (progress, on_prices, seen) = (progress.clone(), props.on_prices.clone(), seen.clone());
        use_effect_with(signed_in, move |signed_in| {
            let poll = signed_in.then(|| {
                let read = move || {
                    let (progress, on_prices, seen) = (progress.clone(), on_prices.clone(), seen.clone());
                    wasm_bindgen_futures::spawn_local(async move {
                        let Ok(now) = crate::api::refresh_progress().await else {
                            return;
                        };
                        let grew = progress.as_ref().is_some_and(|before| now.stored > before.stored);
                        progress.set(Some(now));
                        if grew {
                            let since = *seen.borrow();
                            if let Ok(delta) = crate::api::catalog_delta(since).await {
                                *seen.borrow_mut() = delta.until;
                                on_prices.emit(delta.observations());
                            }
                        }
                    });
                };
                read();
                gloo_timers::callback::Interval::new(PROGRESS_EVERY_MS, read)
            });
            move || drop(poll)
        });
    }
    if !signed_in {
        return html! {};
    }
    let clouds: Vec<Cloud> = Cloud::ALL
        .into_iter()
        .filter(|cloud| props.proxy.can_submit(*cloud))
        .collect();
    let enabled = progress.as_ref().is_some_and(|p| p.enabled);
    let toggle = {
        let (progress, failure) = (progress.clone(), failure.clone());
        let pools = pools(&props.planner, &props.plan, &clouds);
        Callback::from(move |event: Event| {
            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
            let on = input.checked();
            let settings = RefreshSettings {
                enabled: on,
                pools: if on { pools.clone() } else { Vec::new() },
                budget_per_minute: None,
            };
            let (progress, failure) = (progress.clone(), failure.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match crate::api::set_refresh(&settings).await {
                    Ok(now) => {
                        failure.set(None);
                        progress.set(Some(now));
                    }
                    Err(error) => failure.set(Some(error.to_string())),
                }
            });
        })
    };
    let label = match lang {
        Lang::Zh => format!("让代理持续刷新本计划前 {REFRESH_POOLS} 个有价报价的价格（保存价格变化与历史）"),
        Lang::En => format!(
            "Keep the prices of this plan's best {REFRESH_POOLS} priced offers fresh in the proxy (price changes and history kept)"
        ),
    };
    html! {
        <div class="refresh-panel">
            <label>
                <input id="refresh-enabled" type="checkbox" checked={enabled} onchange={toggle} />
                { label }
            </label>
            if let Some(now) = &*progress {
                if now.enabled || now.calls > 0 {
                    <p role="status" class="muted" data-testid="refresh-progress">{ progress_text(lang, now) }</p>
                }
            }
            if let Some(message) = &*failure { <p role="alert" class="error">{ message }</p> }
        </div>
    }
}
