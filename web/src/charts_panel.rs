//! The charts panel: the best candidates' totals side by side, the chosen offer's cost against duration (expected,
//! on-demand, worst case at the bid), and its price history with the bid, the on-demand level and the look-back
//! window. Drawn by plotters into SVG; the amounts come exactly from the core.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use spotplan_core::catalog::PriceKind;
use spotplan_core::plan::Plan;
use spotplan_core::{Candidate, Cloud, Money, Planner, PriceRate, TimeUnit};
use yew::prelude::*;

use crate::state::UiState;
use crate::svg_charts::{CostBar, CostSeries, cost_bars_svg, cost_over_time_svg, history_svg};

/// Properties of the charts panel.
#[derive(Debug, Clone, Properties)]
pub struct ChartsProps {
    /// The planner.
    pub planner: std::rc::Rc<Planner>,
    /// The ranked plan.
    pub plan: std::rc::Rc<Plan>,
    /// The chosen offer's figures.
    pub candidate: Option<Candidate>,
    /// The UI state.
    pub state: UseReducerHandle<UiState>,
    /// Now (Unix seconds).
    pub today: i64,
}

impl PartialEq for ChartsProps {
    fn eq(&self, other: &Self) -> bool {
        std::rc::Rc::ptr_eq(&self.planner, &other.planner)
            && std::rc::Rc::ptr_eq(&self.plan, &other.plan)
            && self.candidate == other.candidate
            && self.state == other.state
    }
}

/// A drawn chart as a labelled figure with its caption, or why it could not be drawn.
pub fn svg_figure(svg: Result<String, String>, label: &str, test_id: &str, caption: String) -> Html {
    match svg {
        Ok(svg) => html! {
            <figure class="chart" role="img" aria-label={label.to_owned()} data-testid={test_id.to_owned()}>
                { Html::from_html_unchecked(AttrValue::from(svg)) }
                <figcaption>{ caption }</figcaption>
            </figure>
        },
        Err(error) => html! { <p class="error">{ format!("chart failed: {error}") }</p> },
    }
}

/// The best priced candidate of each cloud, then the next best overall, up to six. Offers are picked by their
/// cloud and rank alone (cheap), so only the six shown are computed in full.
fn best_candidates(props: &ChartsProps) -> Vec<Candidate> {
    let catalog = props.planner.catalog();
    let priced: Vec<u32> = props
        .plan
        .ranked
        .iter()
        .filter(|r| r.priced)
        .map(|r| r.offer)
        .take(200)
        .collect();
    let cloud_of = |offer: u32| catalog.type_of(&catalog.offers()[offer as usize]).cloud;
    let mut picked: Vec<u32> = spotplan_core::Cloud::ALL
        .into_iter()
        .filter_map(|cloud| priced.iter().copied().find(|offer| cloud_of(*offer) == cloud))
        .collect();
    for offer in &priced {
        if picked.len() >= 6 {
            break;
        }
        if !picked.contains(offer) {
            picked.push(*offer);
        }
    }
    let mut chosen: Vec<Candidate> = picked
        .into_iter()
        .filter_map(|offer| {
            props
                .planner
                .candidate(offer, &props.state.requirement, props.today)
                .ok()
        })
        .collect();
    chosen.sort_by(|a, b| {
        a.expected_total
            .map(|m| m.amount)
            .cmp(&b.expected_total.map(|m| m.amount))
    });
    chosen
}

fn amount(money: Option<Money>) -> Option<f64> {
    money.and_then(|m| m.amount.to_f64())
}

/// What the charts are drawn from: they are redrawn only when one of these changes (plotters measures every label
/// in the page, forcing a layout each time, so a redraw on every state change cost ~20 ms per keystroke).
#[derive(Debug, PartialEq)]
struct Drawn {
    planner: usize,
    plan: usize,
    candidate: Option<Candidate>,
    /// What the figures depend on besides the plan: currency, unit, count, hours, accepted risk (as text).
    figures: String,
    lang: crate::i18n::Lang,
    bid: Option<spotplan_core::order::Bid>,
}

/// The charts panel.
#[component]
pub fn Charts(props: &ChartsProps) -> Html {
    let drawn = Drawn {
        planner: std::rc::Rc::as_ptr(&props.planner) as usize,
        plan: std::rc::Rc::as_ptr(&props.plan) as usize,
        candidate: props.candidate.clone(),
        figures: {
            let r = &props.state.requirement;
            format!(
                "{:?} {:?} {} {} {}",
                r.currency, r.unit, r.instance_count, r.hours, r.max_interruption
            )
        },
        lang: props.state.lang,
        bid: props.state.order.as_ref().map(|order| order.bid.clone()),
    };
    let props = props.clone();
    (*use_memo(drawn, move |_| draw(&props))).clone()
}

/// A bar's name under it: the instance type (Alibaba's without its `ecs.`), after the cloud's product name when the
/// bars are of several clouds — of one cloud, the caption names it and the names stay short enough not to overlap.
fn bar_name(cloud: Cloud, instance_type: &str, one_cloud: bool) -> String {
    let instance_type = instance_type.trim_start_matches("ecs.");
    if one_cloud {
        instance_type.to_owned()
    } else {
        format!("{} {instance_type}", spotplan_core::clouds::api(cloud).names().product)
    }
}

fn draw(props: &ChartsProps) -> Html {
    let requirement = &props.state.requirement;
    let lang = props.state.lang;
    let zh = lang == crate::i18n::Lang::Zh;
    let say = |en: &str, zh_text: &str| if zh { zh_text.to_owned() } else { en.to_owned() };
    let best = best_candidates(props);
    let one_cloud = best
        .first()
        .map(|c| c.key.cloud)
        .filter(|cloud| best.iter().all(|c| c.key.cloud == *cloud));
    let bars: Vec<CostBar> = best
        .into_iter()
        .filter_map(|c| {
            Some(CostBar {
                place: c.key.zone.clone().unwrap_or_else(|| c.key.region.clone()),
                label: bar_name(c.key.cloud, &c.key.instance_type, one_cloud.is_some()),
                expected: amount(c.expected_total)?,
                on_demand: amount(c.on_demand_total),
            })
        })
        .collect();
    let of_one_cloud = one_cloud.map_or(String::new(), |cloud| {
        if zh {
            format!("{}：", cloud.display_name_zh())
        } else {
            format!("{}: ", cloud.display_name())
        }
    });
    let bars_chart = svg_figure(
        cost_bars_svg(&bars, requirement.currency.code(), lang, 760, 320),
        &say("Total cost of the best candidates", "最佳候选的总费用"),
        "chart-best",
        if zh {
            format!(
                "{of_one_cloud}{} 台 × {} 小时：预期竞价费用（按市场价计费）与按量费用并列。",
                requirement.instance_count,
                requirement.hours.normalize()
            )
        } else {
            format!(
                "{of_one_cloud}{} instances × {} h: expected spot cost (market price billed) beside on-demand.",
                requirement.instance_count,
                requirement.hours.normalize()
            )
        },
    );
    let chosen = props.candidate.as_ref().map(|candidate| {
        let count = Decimal::from(requirement.instance_count.max(1));
        let scale = |rate: Option<PriceRate>, label: &str| {
            rate.and_then(|r| Some(CostSeries { label: label.to_owned(), rate: PriceRate::new(r.money.checked_mul(count).ok()?, r.per) }))
        };
        let worst = candidate.worst_case_bid.as_ref().and_then(|(rate, _)| {
            // In the display currency, like the other two lines.
            let shown = props.planner.fx().convert(rate.money, requirement.currency).ok()?;
            Some(PriceRate::new(shown, rate.per))
        });
        let series: Vec<CostSeries> = [
            scale(candidate.spot_display, &say("expected spot", "预期竞价")),
            scale(candidate.on_demand_display, &say("on-demand", "按量")),
            scale(worst, &say("worst case (bid)", "最坏情况（出价）")),
        ]
        .into_iter()
        .flatten()
        .collect();
        let hours = (requirement.hours * Decimal::from(2)).ceil().to_u32().unwrap_or(24).clamp(1, 24 * 60);
        let duration = svg_figure(
            cost_over_time_svg(&series, hours, requirement.hours.to_f64(), requirement.currency.code(), lang, 760, 320),
            &say("Cost against duration", "费用与运行时长"),
            "chart-duration",
            if zh {
                format!("{}：{} 台实例的总费用随运行小时变化。", candidate.key.instance_type, requirement.instance_count)
            } else {
                format!("{}: total for {} instances against running hours.", candidate.key.instance_type, requirement.instance_count)
            },
        );
        let offer = props.planner.catalog().find_offer(&candidate.key);
        let history = offer.map(|offer| props.planner.catalog().spot_history(offer)).unwrap_or_default();
        let history_chart = if history.len() >= 2 {
            let start = history[0].observed_at;
            let currency = history[0].rate.money.currency;
            let points: Vec<(f64, f64)> =
                history.iter().filter_map(|o| Some(((o.observed_at - start) as f64 / 86_400.0, o.rate.in_unit(TimeUnit::Hour).ok()?.money.amount.to_f64()?))).collect();
            let in_history = |money: Money| props.planner.fx().convert(money, currency).ok().and_then(|m| m.amount.to_f64());
            let bid = props
                .state
                .order
                .as_ref()
                .and_then(|order| order.bid.max_price.map(|price| price.rate(order.cloud, order.account_currency)))
                .and_then(|rate| rate.in_unit(TimeUnit::Hour).ok())
                .and_then(|rate| in_history(rate.money));
            let on_demand = offer
                .and_then(|o| props.planner.catalog().latest(o, PriceKind::OnDemand))
                .and_then(|o| PriceRate::new(o.rate.money, o.rate.per).in_unit(TimeUnit::Hour).ok())
                .and_then(|r| in_history(r.money));
            svg_figure(
                history_svg(&points, bid, on_demand, &if zh { format!("{currency}/小时") } else { format!("{currency} per hour") }, lang, 760, 320),
                &say("Price history", "历史价格"),
                "chart-history",
                {
                    let (first, last) = (spotplan_core::time::format_date(start), spotplan_core::time::format_date(history[history.len() - 1].observed_at));
                    if zh {
                        format!("{} 次观测，{first} 至 {last}。", history.len())
                    } else {
                        format!("{} observations, {first} to {last}.", history.len())
                    }
                },
            )
        } else {
            html! { <p class="muted" data-testid="chart-history-empty">{ say("No price history for this offer: one observation at most, so no history chart (and no bid advice).", "该报价没有历史价格（至多一次观测），因此没有历史图表，也没有出价建议。") }</p> }
        };
        html! { <>{ duration }{ history_chart }</> }
    });
    html! {
        <section aria-labelledby="charts-heading">
            <h2 id="charts-heading">{ crate::i18n::text(props.state.lang, crate::i18n::Key::ChartsHeading) }</h2>
            if bars.is_empty() { <p class="empty">{ say("No priced offer to chart.", "没有可绘制的有价报价。") }</p> } else { { bars_chart } }
            { chosen.unwrap_or_default() }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn bars_of_one_cloud_are_named_by_type_and_of_several_with_the_product_too() {
        assert_eq!(bar_name(Cloud::Alibaba, "ecs.t5-c1m2.xlarge", true), "t5-c1m2.xlarge");
        assert_eq!(
            bar_name(Cloud::Alibaba, "ecs.t5-c1m2.xlarge", false),
            "ECS t5-c1m2.xlarge"
        );
        assert_eq!(bar_name(Cloud::Tencent, "S5.MEDIUM4", false), "CVM S5.MEDIUM4");
    }
}
