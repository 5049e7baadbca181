//! Saying what is known when a figure is not: how old each cloud's prices are (in the summary line), why the
//! accepted risk changes nothing while no offer has a price history, why a cloud's bid advice is unknown, and —
//! when nothing matches — which cloud would match without the size limits.

use spotplan_core::Cloud;
use spotplan_core::Planner;
use spotplan_core::plan::{CloudKnowledge, Plan, Requirement};
use spotplan_time::{age_in_days, format_date};

use crate::i18n::Lang;

fn dated(at: i64, today: i64, lang: Lang) -> String {
    match lang {
        Lang::En => format!("{}, {} days old", format_date(at), age_in_days(at, today)),
        Lang::Zh => format!("{}，{} 天前", format_date(at), age_in_days(at, today)),
    }
}

/// One sentence per cloud in the plan: where its prices come from and how old the newest is.
pub fn freshness(lang: Lang, known: &[CloudKnowledge], today: i64) -> String {
    let parts: Vec<String> = known
        .iter()
        .map(|k| {
            let name = match lang {
                Lang::En => spotplan_core::clouds::api(k.cloud).names().vendor.to_owned(),
                Lang::Zh => k.cloud.display_name_zh().to_owned(),
            };
            match (k.newest_spot, k.newest_on_demand, lang) {
                (Some(at), _, Lang::En) => format!("{name} spot prices from {}", dated(at, today, lang)),
                (Some(at), _, Lang::Zh) => format!("{name}竞价价格来自 {}", dated(at, today, lang)),
                (None, Some(at), Lang::En) => {
                    format!(
                        "{name} list prices from {} (spot estimated from them)",
                        dated(at, today, lang)
                    )
                }
                (None, Some(at), Lang::Zh) => {
                    format!("{name}目录价来自 {}（竞价价格据此估算）", dated(at, today, lang))
                }
                (None, None, Lang::En) => format!("{name} publishes no prices"),
                (None, None, Lang::Zh) => format!("{name}未公开价格"),
            }
        })
        .collect();
    if parts.is_empty() {
        return String::new();
    }
    // Only a figure older than today is worth refreshing ("0 days old — refresh for today's" said both).
    let dated_before_today = known
        .iter()
        .filter_map(|k| k.newest_spot.or(k.newest_on_demand))
        .any(|at| age_in_days(at, today) > 0);
    match (lang, dated_before_today) {
        (Lang::En, true) => format!(" {} — refresh live prices for today's.", parts.join("; ")),
        (Lang::En, false) => format!(" {}.", parts.join("; ")),
        (Lang::Zh, true) => format!("{}——可刷新实时价格获取今日价格。", parts.join("；")),
        (Lang::Zh, false) => format!("{}。", parts.join("；")),
    }
}

/// After this many days without a newer figure, the whole plan's prices are called old at the top of the page.
pub const OLD_CATALOG_DAYS: i64 = 30;

/// A page-level note when every price the plan uses is older than [`OLD_CATALOG_DAYS`] (the embedded catalog on a
/// machine that never refreshed), saying what to do about it; `None` while any cloud has a newer figure or nothing
/// matches. `signed_in`: whether the proxy can refresh prices for this page.
pub fn old_catalog_note(lang: Lang, known: &[CloudKnowledge], today: i64, signed_in: bool) -> Option<String> {
    let newest = known
        .iter()
        .filter_map(|k| k.newest_spot.max(k.newest_on_demand))
        .max()?;
    let days = age_in_days(newest, today);
    if days <= OLD_CATALOG_DAYS {
        return None;
    }
    let when = format_date(newest);
    Some(match (lang, signed_in) {
        (Lang::En, true) => format!(
            "Every price here is over {OLD_CATALOG_DAYS} days old (newest {when}, {days} days): turn on \"Keep prices \
             fresh\" above or refresh live prices."
        ),
        (Lang::En, false) => format!(
            "Every price here is over {OLD_CATALOG_DAYS} days old (newest {when}, {days} days): run the proxy with \
             your cloud credentials and sign in to refresh them."
        ),
        (Lang::Zh, true) => {
            format!(
                "此处所有价格均超过 {OLD_CATALOG_DAYS} 天（最新 {when}，{days} 天）：请开启上方“保持价格最新”或刷新实时价格。"
            )
        }
        (Lang::Zh, false) => {
            format!(
                "此处所有价格均超过 {OLD_CATALOG_DAYS} 天（最新 {when}，{days} 天）：请用您的云凭证运行代理并登录以刷新价格。"
            )
        }
    })
}

/// Why the accepted interruption risk changes nothing, when no matching offer has a history to estimate it from.
pub fn risk_note(lang: Lang, known: &[CloudKnowledge]) -> Option<String> {
    if known.is_empty() || known.iter().any(|k| k.with_history > 0) {
        return None;
    }
    Some(match lang {
        Lang::En => "No matching offer has a price history yet, so the accepted risk changes nothing: it picks a bid \
                     from history. Alibaba's history comes with live prices (30 days per query); Tencent reclaims on \
                     stock, not on price; Baidu publishes no prices."
            .to_owned(),
        Lang::Zh => "没有任何符合的报价有历史价格，因此“可接受中断风险”暂不起作用：它依据历史价格选择出价。阿里云的历史价格随实时价格获取（每次查询 30 天）；腾讯云按库存而非价格回收；百度未公开价格。".to_owned(),
    })
}

/// Why a cloud's bid advice is unknown, short (for the table cell) and in full (on hover), from its folder.
pub fn no_advice(cloud: Cloud, lang: Lang) -> (&'static str, &'static str) {
    let reason = spotplan_core::clouds::api(cloud).no_advice_reason();
    match lang {
        Lang::En => (reason.short, reason.detail),
        Lang::Zh => (reason.short_zh, reason.detail_zh),
    }
}

/// When nothing matches: per cloud, how many offers would match without the vCPU, memory and GPU limits.
pub fn empty_explanation(lang: Lang, planner: &Planner, requirement: &Requirement) -> Option<String> {
    let relaxed = Requirement {
        vcpu_min: None,
        vcpu_max: None,
        memory_min_gib: None,
        memory_max_gib: None,
        gpu_min: None,
        gpu_max: None,
        gpu_model: None,
        ..requirement.clone()
    };
    let wider: Plan = planner.plan(&relaxed);
    let known = planner.knowledge(&wider);
    if known.is_empty() {
        return None;
    }
    let parts: Vec<String> = known
        .iter()
        .map(|k| {
            // A cloud whose offers carry no spot price at all (Baidu publishes none) says so.
            let unpriced = match (k.observed_spot + k.estimated_spot, lang) {
                (0, Lang::En) => " (no published spot prices: they show unpriced, last)",
                (0, Lang::Zh) => "（未公开竞价价格：这些报价无价格，排在最后）",
                _ => "",
            };
            match lang {
                Lang::En => format!("{} {} offers{unpriced}", k.offers, k.cloud.display_name()),
                Lang::Zh => format!("{} 个{}报价{unpriced}", k.offers, k.cloud.display_name_zh()),
            }
        })
        .collect();
    Some(match lang {
        Lang::En => format!(
            "Without the vCPU, memory and GPU limits these would match: {}.",
            parts.join(", ")
        ),
        Lang::Zh => format!("去掉 vCPU、内存和 GPU 限制后可匹配：{}。", parts.join("，")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const DAY: i64 = 86_400;
    const TODAY: i64 = 1_796_083_200; // 2026-12-01

    fn knowledge(cloud: Cloud, spot: Option<i64>, on_demand: Option<i64>) -> CloudKnowledge {
        CloudKnowledge {
            cloud,
            offers: 1,
            observed_spot: usize::from(spot.is_some()),
            estimated_spot: 0,
            with_history: 0,
            newest_spot: spot,
            newest_on_demand: on_demand,
        }
    }

    #[test]
    fn the_page_says_so_when_every_price_is_older_than_thirty_days() {
        let old = [
            knowledge(Cloud::Alibaba, Some(TODAY - 40 * DAY), Some(TODAY - 50 * DAY)),
            knowledge(Cloud::Tencent, None, Some(TODAY - 31 * DAY)),
        ];
        let note = old_catalog_note(Lang::En, &old, TODAY, false).expect("a note");
        assert!(note.contains("newest 2026-10-31, 31 days)"), "{note}");
        assert!(note.contains("sign in"), "{note}");
        let signed_in = old_catalog_note(Lang::En, &old, TODAY, true).expect("a note");
        assert!(signed_in.contains("Keep prices fresh"), "{signed_in}");
    }

    #[test]
    fn one_fresh_figure_on_any_cloud_or_no_match_means_no_note() {
        let one_fresh = [
            knowledge(Cloud::Alibaba, Some(TODAY - 2 * DAY), None),
            knowledge(Cloud::Tencent, None, Some(TODAY - 400 * DAY)),
        ];
        assert_eq!(old_catalog_note(Lang::En, &one_fresh, TODAY, true), None);
        let exactly_thirty = [knowledge(Cloud::Alibaba, Some(TODAY - 30 * DAY), None)];
        assert_eq!(old_catalog_note(Lang::Zh, &exactly_thirty, TODAY, false), None);
        assert_eq!(old_catalog_note(Lang::En, &[], TODAY, false), None);
        let unpriced = [knowledge(Cloud::Baidu, None, None)];
        assert_eq!(old_catalog_note(Lang::En, &unpriced, TODAY, false), None);
    }

    #[test]
    fn only_prices_older_than_today_are_sent_to_be_refreshed() {
        let todays = [
            knowledge(Cloud::Alibaba, Some(TODAY), None),
            knowledge(Cloud::Baidu, None, None),
        ];
        assert_eq!(
            freshness(Lang::En, &todays, TODAY),
            " Alibaba spot prices from 2026-12-01, 0 days old; Baidu publishes no prices."
        );
        let older = [knowledge(Cloud::Tencent, None, Some(TODAY - 2 * DAY))];
        assert!(
            freshness(Lang::En, &older, TODAY)
                .ends_with("2 days old (spot estimated from them) — refresh live prices for today's."),
            "{}",
            freshness(Lang::En, &older, TODAY)
        );
    }
}
