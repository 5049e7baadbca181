//! A validation problem, reported to people and programs alike: the field, the rule, the offending value, a
//! message in English and Chinese, and the cloud error code the check prevents.

use serde::{Deserialize, Serialize};

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The cloud would reject the order (or the order cannot be built): it cannot be submitted.
    Error,
    /// The order can be submitted, but a person should know this first.
    Warning,
}

/// One problem with an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Problem {
    /// The field's path in the order JSON, e.g. `bid.max_price` or `data_disks[1].size_gb`.
    pub field: String,
    /// A stable rule id, e.g. `alibaba.spot_price_limit.decimals`.
    pub rule: String,
    /// The offending value as given (secrets shown as `<hidden>`).
    pub value: String,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong and how to fix it, in English.
    pub message_en: String,
    /// The same in Chinese.
    pub message_zh: String,
    /// The cloud error code this check prevents, when one is documented.
    pub prevents: Option<String>,
    /// Where the rule comes from: the seed section or the SDK package and docstring. Every error-level problem a
    /// cloud rule reports names one; a warning may instead say in its message what is in doubt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Collects problems while checking an order (a cloud's rules add to it; only the core reads it back).
#[derive(Debug, Default)]
pub struct Problems {
    pub(crate) list: Vec<Problem>,
}

/// The parts of a problem a rule states.
pub(crate) struct Rule<'a> {
    pub(crate) field: &'a str,
    pub(crate) rule: &'a str,
    pub(crate) prevents: Option<&'a str>,
}

impl Problems {
    pub(crate) fn error(&mut self, rule: Rule<'_>, value: impl Into<String>, en: String, zh: String) {
        self.push(rule, value.into(), Severity::Error, en, zh);
    }

    pub(crate) fn warning(&mut self, rule: Rule<'_>, value: impl Into<String>, en: String, zh: String) {
        self.push(rule, value.into(), Severity::Warning, en, zh);
    }

    fn push(&mut self, rule: Rule<'_>, value: String, severity: Severity, message_en: String, message_zh: String) {
        self.list.push(Problem {
            field: rule.field.to_owned(),
            rule: rule.rule.to_owned(),
            value,
            severity,
            message_en,
            message_zh,
            prevents: rule.prevents.map(str::to_owned),
            source: source_of(rule.rule).map(str::to_owned),
        });
    }

    pub(crate) fn has_errors(&self) -> bool {
        self.list.iter().any(|problem| problem.severity == Severity::Error)
    }
}

/// Shorthand for a [`Rule`].
pub(crate) fn rule<'a>(field: &'a str, rule: &'a str, prevents: Option<&'a str>) -> Rule<'a> {
    Rule { field, rule, prevents }
}

/// Where a rule comes from: the shared rules' table, then the table of the cloud its id starts with.
pub(crate) fn source_of(rule_id: &str) -> Option<&'static str> {
    let find = |table: &'static [(&'static str, &'static str)]| {
        table.iter().find(|(id, _)| *id == rule_id).map(|(_, source)| *source)
    };
    find(crate::order::shared_rules::SOURCES).or_else(|| {
        let cloud = crate::clouds::Cloud::ALL.into_iter().find(|cloud| {
            rule_id
                .strip_prefix(cloud.id())
                .is_some_and(|rest| rest.starts_with('.'))
        })?;
        find(crate::clouds::api(cloud).rule_sources())
    })
}
