//! Requirement fields whose typed text the plan does not hold: "1,000" typed in Instances is not a count, so the
//! plan keeps its last valid count (1, from the first keystroke) while the field shows the text and its problem.
//! An order placed then would differ from what the page shows, so each such field is a problem that holds Place
//! until the text is fixed. The text is kept across pages (shown again on return); back and forward, which restore
//! a whole requirement, let it go. The problem says only that the plan is not what the page shows.

use spotplan_core::order::{Problem, Severity};

use crate::i18n::{Key, Lang, text};

/// A number field of the requirement form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequirementField {
    /// vCPU, from.
    VcpuMin,
    /// vCPU, to.
    VcpuMax,
    /// Memory, from.
    MemoryMin,
    /// Memory, to.
    MemoryMax,
    /// GPUs, at least.
    GpuMin,
    /// How many instances.
    Instances,
    /// How many hours.
    Hours,
    /// The interruption the person can bear.
    MaxInterruption,
    /// The exchange rate bids typed in USD are converted with.
    CnyPerUsd,
}

impl RequirementField {
    /// The field's label.
    pub fn label(self) -> Key {
        match self {
            Self::VcpuMin => Key::VcpuFrom,
            Self::VcpuMax => Key::VcpuTo,
            Self::MemoryMin => Key::MemoryFrom,
            Self::MemoryMax => Key::MemoryTo,
            Self::GpuMin => Key::GpuMin,
            Self::Instances => Key::Instances,
            Self::Hours => Key::Hours,
            Self::MaxInterruption => Key::MaxInterruption,
            Self::CnyPerUsd => Key::CnyPerUsd,
        }
    }

    /// The field's path in a problem.
    pub fn path(self) -> &'static str {
        match self {
            Self::VcpuMin => "requirement.vcpu_min",
            Self::VcpuMax => "requirement.vcpu_max",
            Self::MemoryMin => "requirement.memory_min_gib",
            Self::MemoryMax => "requirement.memory_max_gib",
            Self::GpuMin => "requirement.gpu_min",
            Self::Instances => "requirement.instance_count",
            Self::Hours => "requirement.hours",
            Self::MaxInterruption => "requirement.max_interruption",
            Self::CnyPerUsd => "fx.cny_per_usd",
        }
    }
}

/// The requirement fields showing text the plan does not hold, each with that text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnreadText(Vec<(RequirementField, String)>);

impl UnreadText {
    /// Records what a field shows: `Some(text)` the plan does not hold, or `None` once it holds the field's value.
    pub fn set(&mut self, field: RequirementField, unread: Option<String>) {
        self.0.retain(|(other, _)| *other != field);
        if let Some(text) = unread {
            self.0.push((field, text));
        }
    }

    /// The text `field` shows that the plan does not hold, if any.
    pub fn get(&self, field: RequirementField) -> Option<String> {
        self.0
            .iter()
            .find(|(other, _)| *other == field)
            .map(|(_, text)| text.clone())
    }

    /// Whether no field shows unread text.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// One problem per field, naming the field, its text and what the plan still holds instead.
    pub fn problems(&self) -> impl Iterator<Item = Problem> + '_ {
        self.0.iter().map(|(field, typed)| {
            let typed = typed.trim();
            let (label_en, label_zh) = (text(Lang::En, field.label()), text(Lang::Zh, field.label()));
            Problem {
                field: field.path().into(),
                rule: "ui.requirement.unread_text".into(),
                value: typed.to_owned(),
                severity: Severity::Error,
                message_en: format!(
                    "{label_en} shows “{typed}”, which the plan cannot use, so the plan is not what the page shows: \
                     fix it in the requirement form before placing"
                ),
                message_zh: format!(
                    "{label_zh}中的“{typed}”无法使用，计划与页面所示不一致：请先在需求表单中改正再下单"
                ),
                prevents: None,
                source: Some("the app's number fields: only a valid value reaches the plan".into()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_is_unread_until_its_text_is_valid_again() {
        let mut unread = UnreadText::default();
        unread.set(RequirementField::Instances, Some("1,000".into()));
        unread.set(RequirementField::Hours, Some("".into()));
        let problems: Vec<Problem> = unread.problems().collect();
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].field, "requirement.instance_count");
        assert_eq!(problems[0].value, "1,000");
        assert!(
            problems[0].message_en.starts_with("Instances shows “1,000”"),
            "{}",
            problems[0].message_en
        );
        assert!(
            problems[0].message_zh.starts_with("实例数量中的“1,000”"),
            "{}",
            problems[0].message_zh
        );
        unread.set(RequirementField::Instances, Some("1,0".into()));
        assert_eq!(
            unread.problems().filter(|p| p.value == "1,0").count(),
            1,
            "the newest text replaces the old"
        );
        unread.set(RequirementField::Instances, None);
        unread.set(RequirementField::Hours, None);
        assert!(unread.is_empty());
    }
}
