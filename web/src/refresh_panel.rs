//! "Keep prices fresh": the switch for the proxy's price refresher (`PUT /api/v1/refresh`) with the pools of the
//! current plan and the recent plans — their best priced offers on the clouds the proxy can quote — and its progress (`GET
//! /api/v1/refresh`, read every few seconds while it runs). What it stores reaches the page as it comes (`GET
//! /api/v1/catalog?since=`), merged newest-wins like live quotes.

use std::rc::Rc;

use spotplan_core::api::refresh::{RefreshProgress, RefreshSettings};
use spotplan_core::clouds::api;
use spotplan_core::plan::Plan;
use spotplan_core::quote::{QuoteAsk, QuoteDraft};
use spotplan_core::{Cloud, Planner};
use yew::prelude::*;

use crate::health::ProxyStatus;
use crate::i18n::Lang;

/// Pools of the current plan the refresher is given at most.
pub const REFRESH_POOLS: usize = 200;
/// Pools each recent plan adds at most (its best priced offers not already in).
pub const RECENT_PLAN_POOLS: usize = 25;
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
    /// Called when the refresher has stored or confirmed prices since the last poll: the app catches up with them.
    pub on_stored: Callback<()>,
}

impl PartialEq for RefreshPanelProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.planner, &other.planner)
            && Rc::ptr_eq(&self.plan, &other.plan)
            && self.lang == other.lang
            && self.proxy == other.proxy
    }
}

/// The pools to keep fresh: the current plan's best [`REFRESH_POOLS`] priced offers on `clouds`, then each recent
/// plan's best [`RECENT_PLAN_POOLS`] not already in (newest plan first), each asked as its cloud's price query wants.
pub fn pools(planner: &Planner, current: &Plan, recent: &[Plan], clouds: &[Cloud]) -> Vec<QuoteAsk> {
    let catalog = planner.catalog();
    let mut taken = std::collections::HashSet::new();
    let mut asks = Vec::new();
    let plans = std::iter::once((current, REFRESH_POOLS)).chain(recent.iter().map(|plan| (plan, RECENT_PLAN_POOLS)));
    for (plan, most) in plans {
        let fresh = plan
            .ranked
            .iter()
            .filter(|ranked| ranked.priced)
            .filter(|ranked| {
                let cloud = catalog.type_of(&catalog.offers()[ranked.offer as usize]).cloud;
                // Tencent prices only with an image, which a plan does not have: its pools wait for a draft.
                clouds.contains(&cloud) && !api(cloud).quote_needs_image()
            })
            .filter(|ranked| taken.insert(ranked.offer))
            .take(most);
        for ranked in fresh {
            let instance_type = catalog.type_of(&catalog.offers()[ranked.offer as usize]);
            asks.push(api(instance_type.cloud).quote_ask(
                catalog.key_of(ranked.offer as usize),
                instance_type,
                &QuoteDraft::default().for_cloud(instance_type.cloud, None),
            ));
        }
    }
    asks
}

/// The plans of the recent-plan list (the browser's), computed when the refresher is turned on.
fn recent_plans(planner: &Planner) -> Vec<Plan> {
    crate::url_state::browser::recent()
        .iter()
        .map(|query| planner.plan(&crate::url_state::decode(query).0))
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
    // How many times the switch was turned: a progress read asked before the last turn is older than it, and
    // would put the switch back.
    let turns = use_mut_ref(|| 0_u32);
    let signed_in = matches!(props.proxy, ProxyStatus::Reachable(_));
    {
        // Progress now and every few seconds; what was stored (a change) or confirmed (a query that found the same
        // price: not counted as stored) since the last poll joins the page.
        let (progress, on_stored, turns) = (progress.clone(), props.on_stored.clone(), turns.clone());
        use_effect_with(signed_in, move |signed_in| {
            let poll = signed_in.then(|| {
                let read = move || {
                    let (progress, on_stored, turns) = (progress.clone(), on_stored.clone(), turns.clone());
                    let asked_at = *turns.borrow();
                    wasm_bindgen_futures::spawn_local(async move {
                        let Ok(now) = crate::api::refresh_progress().await else {
                            return;
                        };
                        if *turns.borrow() != asked_at {
                            return;
                        }
                        let moved = progress
                            .as_ref()
                            .is_some_and(|before| now.stored != before.stored || now.calls != before.calls);
                        progress.set(Some(now));
                        if moved {
                            on_stored.emit(());
                        }
                    });
                };
                read();
                gloo_timers::callback::Interval::new(PROGRESS_EVERY_MS, read)
            });
            move || drop(poll)
        });
    }
    let clouds: Vec<Cloud> = Cloud::ALL
        .into_iter()
        .filter(|cloud| props.proxy.can_submit(*cloud))
        .collect();
    // Without any cloud's credentials the proxy has nothing to ask with: no switch to offer.
    if !signed_in || clouds.is_empty() {
        return html! {};
    }
    let enabled = progress.as_ref().is_some_and(|p| p.enabled);
    // Team mode: the refresher is the team's, set by the operator's token only; a person sees where it stands.
    let settable = !matches!(&props.proxy, ProxyStatus::Reachable(health) if health.person.is_some());
    let toggle = {
        let (progress, failure, turns) = (progress.clone(), failure.clone(), turns.clone());
        let (planner, plan) = (props.planner.clone(), props.plan.clone());
        Callback::from(move |event: Event| {
            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
            let on = input.checked();
            let asks = if on {
                pools(&planner, &plan, &recent_plans(&planner), &clouds)
            } else {
                Vec::new()
            };
            // Switched on with nothing to ask, the proxy would keep (and re-ask) an earlier plan's list: said here.
            if on && asks.is_empty() {
                input.set_checked(false);
                failure.set(Some(
                    match lang {
                        Lang::Zh => "没有可保持最新的报价：本计划及最近计划中没有代理能够重新询价的报价（需有该云的凭证，且询价无需镜像）。",
                        Lang::En => "Nothing to keep fresh: no offer of this plan or of your recent plans is one the proxy \
                                     can re-ask (a cloud it holds credentials for, whose price query needs no image).",
                    }
                    .to_owned(),
                ));
                return;
            }
            let settings = RefreshSettings {
                enabled: on,
                pools: asks,
                budget_per_minute: None,
            };
            // The switch shows what was asked for until the proxy answers: on, with this plan's pools (not the
            // earlier list's count, which the page would otherwise show as this plan's for a moment).
            *turns.borrow_mut() += 1;
            let asked_pools = u32::try_from(settings.pools.len()).unwrap_or(u32::MAX);
            if let Some(before) = progress.as_ref() {
                progress.set(Some(RefreshProgress {
                    enabled: on,
                    pools: if on { asked_pools } else { before.pools },
                    ..before.clone()
                }));
            }
            let (progress, failure) = (progress.clone(), failure.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match crate::api::set_refresh(&settings).await {
                    Ok(now) => {
                        failure.set(None);
                        progress.set(Some(now));
                    }
                    Err(error) => failure.set(Some(crate::i18n::proxy::api_error(lang, &error))),
                }
            });
        })
    };
    let label = match lang {
        Lang::Zh => format!(
            "保持价格最新：代理持续询价本计划前 {REFRESH_POOLS} 个报价及最近各计划前 {RECENT_PLAN_POOLS} 个报价"
        ),
        Lang::En => format!(
            "Keep prices fresh: the proxy re-asks this plan's best {REFRESH_POOLS} offers and your recent plans' best \
             {RECENT_PLAN_POOLS} each"
        ),
    };
    html! {
        <div class="refresh-panel">
            if settable {
                <label>
                    <input id="refresh-enabled" type="checkbox" checked={enabled} onchange={toggle} />
                    { label }
                </label>
            }
            if let Some(now) = &*progress {
                if now.enabled || now.calls > 0 {
                    <p role="status" class="muted" data-testid="refresh-progress">{ progress_text(lang, now) }</p>
                }
            }
            if let Some(message) = &*failure { <p role="alert" class="error">{ message }</p> }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spotplan_core::ExchangeRate;
    use spotplan_core::catalog::Catalog;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn plan(planner: &Planner, query: &str) -> Plan {
        planner.plan(&crate::url_state::decode(query).0)
    }

    #[test]
    fn the_current_plan_comes_first_then_each_recent_plan_adds_its_best_new_pools() {
        let catalog = Catalog::embedded().expect("the embedded catalog");
        let planner = Planner::new(catalog, ExchangeRate::default());
        let current = plan(&planner, "?c=alibaba&rg=cn-hangzhou&v=4-4&m=8-8");
        let recent = [
            plan(&planner, "?c=alibaba&rg=cn-beijing&v=8-8&m=16-16"),
            // Overlaps the current plan entirely: adds nothing.
            plan(&planner, "?c=alibaba&rg=cn-hangzhou&v=4-4&m=8-8"),
            // Tencent needs an image to be priced: never a pool here.
            plan(&planner, "?c=tencent&rg=ap-guangzhou"),
        ];
        let clouds = [Cloud::Alibaba, Cloud::Tencent];
        let alone = pools(&planner, &current, &[], &clouds);
        let with_recent = pools(&planner, &current, &recent, &clouds);
        let current_priced = current.ranked.iter().filter(|r| r.priced).count();
        assert_eq!(alone.len(), current_priced.min(REFRESH_POOLS));
        assert!(!alone.is_empty());
        assert_eq!(
            with_recent[..alone.len()],
            alone[..],
            "the current plan's pools come first, in rank order"
        );
        let added = &with_recent[alone.len()..];
        assert_eq!(
            added.len(),
            RECENT_PLAN_POOLS,
            "one recent plan adds its best {RECENT_PLAN_POOLS}"
        );
        assert!(added.iter().all(|ask| ask.offer.region == "cn-beijing"), "{added:?}");
        let distinct: std::collections::HashSet<_> = with_recent.iter().map(|ask| ask.offer.clone()).collect();
        assert_eq!(distinct.len(), with_recent.len(), "no pool twice");
        assert!(pools(&planner, &current, &recent, &[Cloud::Tencent]).is_empty());
    }
}
