//! "Best of each cloud": one button per cloud for its top-ranked matching offer, so a person can bid on the
//! winner of each cloud without scrolling the table for it.

use spotplan_core::display::money2;
use spotplan_core::plan::Plan;
use spotplan_core::{Cloud, Planner};
use yew::prelude::*;

use crate::i18n::{Key, text};
use crate::state::UiState;

/// Properties of the picks.
#[derive(Debug, Properties)]
pub struct BestPicksProps {
    /// The planner.
    pub planner: std::rc::Rc<Planner>,
    /// The ranked plan.
    pub plan: std::rc::Rc<Plan>,
    /// Now (Unix seconds).
    pub today: i64,
    /// The UI state.
    pub state: UseReducerHandle<UiState>,
}

impl PartialEq for BestPicksProps {
    fn eq(&self, other: &Self) -> bool {
        std::rc::Rc::ptr_eq(&self.planner, &other.planner)
            && std::rc::Rc::ptr_eq(&self.plan, &other.plan)
            && self.today == other.today
            && self.state == other.state
    }
}

/// The top-ranked offer of each cloud, in ranking order (at most one per cloud).
pub fn best_of_each_cloud(planner: &Planner, plan: &Plan) -> Vec<u32> {
    let catalog = planner.catalog();
    let mut seen: Vec<Cloud> = Vec::with_capacity(Cloud::ALL.len());
    let mut best = Vec::with_capacity(Cloud::ALL.len());
    for ranked in &plan.ranked {
        let offer = &catalog.offers()[ranked.offer as usize];
        let cloud = catalog.regions()[offer.region as usize].cloud;
        if !seen.contains(&cloud) {
            seen.push(cloud);
            best.push(ranked.offer);
            if seen.len() == Cloud::ALL.len() {
                break;
            }
        }
    }
    best
}

/// The buttons.
#[component]
pub fn BestPicks(props: &BestPicksProps) -> Html {
    let state = props.state.clone();
    let lang = state.lang;
    let picks = best_of_each_cloud(&props.planner, &props.plan)
        .into_iter()
        .filter_map(|offer| props.planner.candidate(offer, &state.requirement, props.today).ok());
    let buttons = picks.map(|candidate| {
        let chosen = state.selected.as_ref() == Some(&candidate.key);
        let total = candidate
            .expected_total
            .map(money2)
            .unwrap_or_else(|| text(lang, Key::Unknown).to_owned());
        let label = format!(
            "{} · {} · {} · {total}",
            crate::i18n::cloud_name(lang, candidate.key.cloud),
            candidate.key.instance_type,
            candidate
                .key
                .zone
                .clone()
                .unwrap_or_else(|| candidate.key.region.clone()),
        );
        let onclick = crate::offer_table::choose_offer(&state, &candidate);
        html! { <button type="button" aria-pressed={chosen.to_string()} {onclick}>{ label }</button> }
    });
    html! {
        <nav class="best-picks" aria-label={text(lang, Key::BestOfEachCloud)}>
            <span>{ text(lang, Key::BestOfEachCloud) }{ ": " }</span>
            { for buttons }
        </nav>
    }
}
