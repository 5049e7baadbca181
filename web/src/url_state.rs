//! The plan in the URL: the requirement and the chosen offer as a short query string, so a link can be shared,
//! a reload restores the plan, and back/forward walk through earlier plans. Recent plans are kept in
//! localStorage. Encoding and decoding are pure and tested natively.

use rust_decimal::Decimal;
use spotplan_core::catalog::{Arch, OfferKey};
use spotplan_core::plan::{Area, Requirement, SortKey};
use spotplan_core::{Cloud, Currency, TimeUnit};

use rust_decimal::prelude::ToPrimitive;

use crate::account_sites::AccountSites;
use crate::i18n::Lang;
use crate::number_field::Rule;
use crate::state::{comma_separated, initial_requirement};

/// How many recent plans are kept.
pub const RECENT: usize = 6;

fn range<T: ToString>(min: Option<T>, max: Option<T>) -> String {
    format!(
        "{}-{}",
        min.map(|v| v.to_string()).unwrap_or_default(),
        max.map(|v| v.to_string()).unwrap_or_default()
    )
}

fn escape(text: &str) -> String {
    js_free_encode(text)
}

/// Percent-encodes what would break a query value (the rest stays readable).
fn js_free_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~,".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn unescape(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        match (
            bytes[index],
            text.get(index + 1..index + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok()),
        ) {
            (b'%', Some(byte)) => {
                out.push(byte);
                index += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                index += 1;
            }
            (byte, _) => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The query string (with `?`) for a plan and the account sites the person chose.
pub fn encode(requirement: &Requirement, selected: Option<&OfferKey>, sites: &AccountSites) -> String {
    let mut parts = vec![
        format!("v={}", range(requirement.vcpu_min, requirement.vcpu_max)),
        format!(
            "m={}",
            range(
                requirement.memory_min_gib.map(|m| m.normalize()),
                requirement.memory_max_gib.map(|m| m.normalize())
            )
        ),
        format!("n={}", requirement.instance_count),
        format!("h={}", requirement.hours.normalize()),
        format!("r={}", (requirement.max_interruption * Decimal::from(100)).normalize()),
        format!(
            "a={}",
            match requirement.area {
                Area::Anywhere => "any",
                Area::MainlandChina => "china",
                Area::OutsideMainlandChina => "outside",
            }
        ),
        format!(
            "s={}{}",
            if requirement.sort_reversed { "-" } else { "" },
            requirement.sort.id()
        ),
    ];
    if let Some(text) = requirement.text.as_deref().filter(|text| !text.is_empty()) {
        parts.push(format!("q={}", escape(text)));
    }
    if !requirement.clouds.is_empty() {
        parts.push(format!(
            "c={}",
            requirement.clouds.iter().map(|c| c.id()).collect::<Vec<_>>().join(",")
        ));
    }
    if let Some(gpu) = requirement.gpu_min {
        parts.push(format!("g={gpu}"));
    }
    if let Some(model) = &requirement.gpu_model {
        parts.push(format!("gm={}", escape(model)));
    }
    if let Some(arch) = requirement.arch {
        parts.push(format!("ar={}", if arch == Arch::Arm64 { "arm64" } else { "x86_64" }));
    }
    if !requirement.regions.is_empty() {
        parts.push(format!("rg={}", escape(&requirement.regions.join(","))));
    }
    if requirement.currency != Currency::Cny {
        parts.push(format!("cu={}", requirement.currency.code()));
    }
    if requirement.unit != TimeUnit::Hour {
        parts.push(format!("u={}", requirement.unit.label()));
    }
    let chosen_sites = sites.url_value();
    if !chosen_sites.is_empty() {
        parts.push(format!("acct={chosen_sites}"));
    }
    if let Some(offer) = selected {
        parts.push(format!(
            "o={}:{}:{}:{}",
            offer.cloud.id(),
            escape(&offer.region),
            escape(offer.zone.as_deref().unwrap_or("")),
            escape(&offer.instance_type)
        ));
    }
    format!("?{}", parts.join("&"))
}

/// A range `min-max` whose ends each meet `rule` (either may be empty: no limit).
fn parse_range(text: &str, rule: Rule) -> Option<(Option<Decimal>, Option<Decimal>)> {
    let (min, max) = text.split_once('-').unwrap_or((text, ""));
    Some((rule.read(min).ok()?, rule.read(max).ok()?))
}

/// Region or zone ids typed as a comma-separated list (ASCII or full-width commas, spaces ignored).
pub fn region_list(text: &str) -> Vec<String> {
    crate::state::comma_separated(text).map(str::to_owned).collect()
}

/// Why a part of a link was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IgnoredBecause {
    /// A number (or a range's end) that does not meet the field's rule.
    Number(Rule),
    /// A word that is not one of these.
    OneOf(Vec<&'static str>),
    /// Cloud ids Spotplan does not know (left out; with none known left, every cloud is shown).
    UnknownClouds {
        /// The ids not known.
        unknown: Vec<String>,
        /// Whether no known cloud was left (so the filter shows every cloud).
        none_left: bool,
    },
    /// A chosen offer that is not `cloud:region:zone:type` with a known cloud.
    Offer,
    /// Account sites that are not `cloud:currency` with a known cloud and currency (those parts are left out: the
    /// cloud's bids are read as CNY).
    AccountSite,
}

/// A part of a link the plan could not use: the field shows its default instead, and the page says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignored {
    /// The part as it stands in the link, decoded (`n=-3`).
    pub part: String,
    /// Why.
    pub because: IgnoredBecause,
}

/// A part of the link the plan could not use, in the UI language.
pub fn ignored_link_part(lang: Lang, ignored: &Ignored) -> String {
    let part = &ignored.part;
    let clouds = || spotplan_core::Cloud::ALL.map(|cloud| cloud.id()).join(", ");
    match (lang, &ignored.because) {
        (Lang::En, IgnoredBecause::Number(rule)) => {
            format!(
                "The link's “{part}” was not used: it must be {}. The default is shown instead.",
                rule.describe(lang)
            )
        }
        (Lang::En, IgnoredBecause::OneOf(words)) => format!(
            "The link's “{part}” was not used: it must be one of {}. The default is shown instead.",
            words.join(", ")
        ),
        (Lang::En, IgnoredBecause::UnknownClouds { unknown, none_left }) => format!(
            "The link's “{part}” names clouds Spotplan does not know: {} (it knows {}).{}",
            unknown.join(", "),
            clouds(),
            if *none_left {
                " No known cloud is left, so every cloud is shown."
            } else {
                " They are left out."
            }
        ),
        (Lang::En, IgnoredBecause::Offer) => format!(
            "The link's “{part}” was not used: a chosen offer is cloud:region:zone:type, the cloud one of {}.",
            clouds()
        ),
        (Lang::Zh, IgnoredBecause::Number(rule)) => {
            format!("链接中的“{part}”未被采用：{}。已改用默认值。", rule.describe(lang))
        }
        (Lang::Zh, IgnoredBecause::OneOf(words)) => {
            format!(
                "链接中的“{part}”未被采用：须为 {} 之一。已改用默认值。",
                words.join("、")
            )
        }
        (Lang::Zh, IgnoredBecause::UnknownClouds { unknown, none_left }) => format!(
            "链接中的“{part}”含有未知的云：{}（可用：{}）。{}",
            unknown.join("、"),
            clouds(),
            if *none_left {
                "没有剩下已知的云，因此显示所有云。"
            } else {
                "已略去。"
            }
        ),
        (Lang::Zh, IgnoredBecause::Offer) => format!(
            "链接中的“{part}”未被采用：所选报价须写成 云:地域:可用区:实例规格，云为 {} 之一。",
            clouds()
        ),
        (Lang::En, IgnoredBecause::AccountSite) => format!(
            "The link's “{part}” was not all used: an account site is cloud:currency, the cloud one of {} and the \
             currency CNY or USD. A cloud not named right is read as a China-site account (CNY).",
            clouds()
        ),
        (Lang::Zh, IgnoredBecause::AccountSite) => format!(
            "链接中的“{part}”未被全部采用：账号站点须写成 云:币种，云为 {} 之一，币种为 CNY 或 USD。未正确写出的云按中国站账号（人民币）处理。",
            clouds()
        ),
    }
}

/// A link's plan: the requirement, the chosen offer, and the parts it could not use.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The requirement (defaults where a part was missing or not usable).
    pub requirement: Requirement,
    /// The chosen offer.
    pub selected: Option<OfferKey>,
    /// The parts not used, in the link's order.
    pub ignored: Vec<Ignored>,
}

/// The plan a query string describes (missing or unusable parts keep their defaults).
pub fn decode(query: &str) -> (Requirement, Option<OfferKey>) {
    let Decoded {
        requirement, selected, ..
    } = decode_checked(query);
    (requirement, selected)
}

/// The plan a query string describes, and each part it could not use (unknown keys are a newer link's, skipped
/// without a word).
pub fn decode_checked(query: &str) -> Decoded {
    let mut requirement = initial_requirement();
    let mut selected = None;
    let mut ignored = Vec::new();
    for pair in query.trim_start_matches('?').split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = unescape(value);
        let number = |rule: Rule| rule.read(&value).ok();
        let used = match key {
            "v" => parse_range(&value, Rule::OptionalWhole)
                .map(|(min, max)| (requirement.vcpu_min, requirement.vcpu_max) = (whole(min), whole(max)))
                .ok_or(IgnoredBecause::Number(Rule::OptionalWhole)),
            "m" => parse_range(&value, Rule::OptionalDecimal)
                .map(|range| (requirement.memory_min_gib, requirement.memory_max_gib) = range)
                .ok_or(IgnoredBecause::Number(Rule::OptionalDecimal)),
            "n" => number(Rule::AtLeastOne)
                .flatten()
                .and_then(|count| count.to_u32())
                .map(|count| requirement.instance_count = count)
                .ok_or(IgnoredBecause::Number(Rule::AtLeastOne)),
            "h" => number(Rule::Hours)
                .flatten()
                .map(|hours| requirement.hours = hours)
                .ok_or(IgnoredBecause::Number(Rule::Hours)),
            "r" => number(Rule::Percent)
                .flatten()
                .map(|percent| requirement.max_interruption = percent / Decimal::from(100))
                .ok_or(IgnoredBecause::Number(Rule::Percent)),
            "g" => number(Rule::OptionalWhole)
                .map(|gpus| requirement.gpu_min = whole(gpus).filter(|gpus| *gpus > 0))
                .ok_or(IgnoredBecause::Number(Rule::OptionalWhole)),
            "a" => match value.as_str() {
                "any" => Some(Area::Anywhere),
                "china" => Some(Area::MainlandChina),
                "outside" => Some(Area::OutsideMainlandChina),
                _ => None,
            }
            .map(|area| requirement.area = area)
            .ok_or_else(|| IgnoredBecause::OneOf(vec!["any", "china", "outside"])),
            "s" => {
                let (reversed, id) = match value.strip_prefix('-') {
                    Some(id) => (true, id),
                    None => (false, value.as_str()),
                };
                SortKey::from_id(id)
                    .map(|sort| (requirement.sort, requirement.sort_reversed) = (sort, reversed))
                    .ok_or_else(|| IgnoredBecause::OneOf(SortKey::ALL.iter().map(|key| key.id()).collect()))
            }
            "q" => {
                requirement.text = Some(value.clone()).filter(|text| !text.is_empty());
                Ok(())
            }
            "c" => {
                let named: Vec<&str> = comma_separated(&value).collect();
                let clouds: Vec<Cloud> = named.iter().copied().filter_map(Cloud::from_id).collect();
                // Known clouds among unknown ones are used; the unknown are named.
                requirement.clouds = clouds.clone();
                let unknown: Vec<String> = named
                    .iter()
                    .filter(|id| Cloud::from_id(id).is_none())
                    .map(|id| (*id).to_owned())
                    .collect();
                if unknown.is_empty() {
                    Ok(())
                } else {
                    Err(IgnoredBecause::UnknownClouds {
                        unknown,
                        none_left: clouds.is_empty(),
                    })
                }
            }
            "gm" => {
                requirement.gpu_model = Some(value.clone()).filter(|m| !m.is_empty());
                Ok(())
            }
            "ar" => match value.as_str() {
                "arm64" => Some(Arch::Arm64),
                "x86_64" => Some(Arch::X86_64),
                _ => None,
            }
            .map(|arch| requirement.arch = Some(arch))
            .ok_or_else(|| IgnoredBecause::OneOf(vec!["arm64", "x86_64"])),
            "rg" => {
                requirement.regions = region_list(&value);
                Ok(())
            }
            "cu" => match value.as_str() {
                "USD" => Some(Currency::Usd),
                "CNY" => Some(Currency::Cny),
                _ => None,
            }
            .map(|currency| requirement.currency = currency)
            .ok_or_else(|| IgnoredBecause::OneOf(vec!["CNY", "USD"])),
            "u" => match value.as_str() {
                "minute" => Some(TimeUnit::Minute),
                "hour" => Some(TimeUnit::Hour),
                "day" => Some(TimeUnit::Day),
                "month" => Some(TimeUnit::Month),
                _ => None,
            }
            .map(|unit| requirement.unit = unit)
            .ok_or_else(|| IgnoredBecause::OneOf(vec!["minute", "hour", "day", "month"])),
            "acct" => value
                .split(',')
                .map(str::trim)
                .filter(|part| !part.is_empty())
                .all(|part| {
                    part.split_once(':').is_some_and(|(cloud, currency)| {
                        Cloud::from_id(cloud).is_some() && spotplan_core::Currency::from_code(currency).is_some()
                    })
                })
                .then_some(())
                .ok_or(IgnoredBecause::AccountSite),
            "o" => {
                let mut fields = pair.split_once('=').map_or("", |(_, v)| v).splitn(4, ':');
                match (fields.next(), fields.next(), fields.next(), fields.next()) {
                    (Some(cloud), Some(region), Some(zone), Some(instance_type)) => Cloud::from_id(cloud)
                        .map(|cloud| {
                            let zone = unescape(zone);
                            selected = Some(OfferKey {
                                cloud,
                                region: unescape(region),
                                zone: (!zone.is_empty()).then_some(zone),
                                instance_type: unescape(instance_type),
                            });
                        })
                        .ok_or(IgnoredBecause::Offer),
                    _ => Err(IgnoredBecause::Offer),
                }
            }
            _ => Ok(()),
        };
        if let Err(because) = used {
            ignored.push(Ignored {
                part: format!("{key}={value}"),
                because,
            });
        }
    }
    Decoded {
        requirement,
        selected,
        ignored,
    }
}

/// A whole number a [`Rule`] accepted as one (at most `u32::MAX`).
fn whole(number: Option<Decimal>) -> Option<u32> {
    number.and_then(|number| number.to_u32())
}

/// The account sites a query string names (`acct=tencent:USD`); CNY for every cloud it does not name.
pub fn decode_account_sites(query: &str) -> AccountSites {
    query
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix("acct="))
        .map(|value| AccountSites::from_url_value(&unescape(value)))
        .unwrap_or_default()
}

/// Adds a plan to the recent list (newest first, no duplicates, at most [`RECENT`]).
pub fn remember(recent: &[String], query: &str) -> Vec<String> {
    std::iter::once(query.to_owned())
        .chain(recent.iter().filter(|q| q.as_str() != query).cloned())
        .take(RECENT)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_plan_survives_the_url() {
        let mut requirement = initial_requirement();
        requirement.clouds = vec![Cloud::Tencent, Cloud::Baidu];
        requirement.gpu_model = Some("A10 & co".into());
        requirement.sort = SortKey::Savings;
        requirement.sort_reversed = true;
        requirement.text = Some("c7 & 杭州".into());
        requirement.hours = Decimal::new(125, 1);
        requirement.regions = vec!["ap-guangzhou".into(), "cn-hangzhou-k".into()];
        requirement.currency = Currency::Usd;
        requirement.unit = TimeUnit::Minute;
        let offer = OfferKey {
            cloud: Cloud::Tencent,
            region: "ap-guangzhou".into(),
            zone: Some("ap-guangzhou-6".into()),
            instance_type: "S6.LARGE8".into(),
        };
        let query = encode(&requirement, Some(&offer), &AccountSites::from_url_value("baidu:USD"));
        assert!(query.contains("acct=baidu:USD"), "{query}");
        assert_eq!(decode_account_sites(&query).currency(Cloud::Baidu), Currency::Usd);
        assert!(query.starts_with("?v=4-4&m=8-8&n=10&h=12.5"), "{query}");
        let (back, selected) = decode(&query);
        assert_eq!(back, requirement);
        assert_eq!(selected, Some(offer));
    }

    #[test]
    fn hours_outside_zero_to_ten_years_keep_the_default() {
        let default = initial_requirement().hours;
        for bad in ["-5", "0", "1e30", "87600.5", "99999999999999999999999999"] {
            assert_eq!(decode(&format!("?h={bad}")).0.hours, default, "h={bad}");
        }
        assert_eq!(decode("?h=87600").0.hours, Decimal::from(87_600));
    }

    #[test]
    fn garbage_keeps_the_defaults_and_each_part_not_used_is_named() {
        let decoded = decode_checked("?v=x-y&n=&h=abc&o=aws:x:y:z&zz=1");
        let default = initial_requirement();
        assert_eq!(
            (decoded.requirement.vcpu_min, decoded.requirement.vcpu_max),
            (default.vcpu_min, default.vcpu_max)
        );
        assert_eq!(decoded.requirement.instance_count, default.instance_count);
        assert_eq!(decoded.selected, None);
        let parts: Vec<&str> = decoded.ignored.iter().map(|i| i.part.as_str()).collect();
        assert_eq!(
            parts,
            ["v=x-y", "n=", "h=abc", "o=aws:x:y:z"],
            "zz is a newer link's key, skipped"
        );
    }

    #[test]
    fn a_link_outside_a_fields_rule_is_named_not_bent_into_range() {
        let default = initial_requirement();
        for (query, because) in [
            ("?n=-3", IgnoredBecause::Number(Rule::AtLeastOne)),
            ("?n=0", IgnoredBecause::Number(Rule::AtLeastOne)),
            ("?r=150", IgnoredBecause::Number(Rule::Percent)),
            ("?g=1.5", IgnoredBecause::Number(Rule::OptionalWhole)),
            ("?m=-8-8", IgnoredBecause::Number(Rule::OptionalDecimal)),
            ("?u=week", IgnoredBecause::OneOf(vec!["minute", "hour", "day", "month"])),
        ] {
            let decoded = decode_checked(query);
            assert_eq!(decoded.requirement, default, "{query} keeps the defaults");
            assert_eq!(
                decoded.ignored,
                [Ignored {
                    part: query[1..].to_owned(),
                    because
                }],
                "{query}"
            );
        }
        let clouds = decode_checked("?c=alibab,tencent");
        assert_eq!(clouds.requirement.clouds, [Cloud::Tencent], "the known cloud is used");
        assert_eq!(
            clouds.ignored[0].because,
            IgnoredBecause::UnknownClouds {
                unknown: vec!["alibab".into()],
                none_left: false
            }
        );
        let none = decode_checked("?c=alibab");
        assert!(none.requirement.clouds.is_empty(), "no filter: every cloud");
        assert!(matches!(
            none.ignored[0].because,
            IgnoredBecause::UnknownClouds { none_left: true, .. }
        ));
        assert_eq!(
            ignored_link_part(Lang::En, &none.ignored[0]),
            "The link's “c=alibab” names clouds Spotplan does not know: alibab (it knows alibaba, tencent, baidu). No \
             known cloud is left, so every cloud is shown."
        );
        assert!(
            decode_checked(&encode(&default, None, &AccountSites::default()))
                .ignored
                .is_empty()
        );
    }

    #[test]
    fn an_account_site_the_app_cannot_read_is_named_not_dropped_silently() {
        let typo = decode_checked("?acct=baidu:EUR,tencent:USD");
        assert_eq!(typo.ignored.len(), 1);
        assert_eq!(typo.ignored[0].because, IgnoredBecause::AccountSite);
        assert!(ignored_link_part(Lang::En, &typo.ignored[0]).contains("acct=baidu:EUR,tencent:USD"));
        assert_eq!(
            decode_account_sites("?acct=baidu:EUR,tencent:USD").currency(Cloud::Tencent),
            spotplan_core::Currency::Usd
        );
        let mut sites = AccountSites::default();
        sites.choose(Cloud::Tencent, spotplan_core::Currency::Usd);
        assert!(
            decode_checked(&encode(&Requirement::default(), None, &sites))
                .ignored
                .is_empty()
        );
    }

    #[test]
    fn recent_plans_are_newest_first_and_unique() {
        let recent = remember(&["?a".into(), "?b".into()], "?b");
        assert_eq!(recent, ["?b", "?a"]);
        let many: Vec<String> = (0..10).map(|i| format!("?{i}")).collect();
        assert_eq!(remember(&many, "?new").len(), RECENT);
    }
}

/// Browser side: reading and writing the address bar and the recent-plan list.
pub mod browser {
    use super::remember;

    const RECENT_KEY: &str = "spotplan-recent-plans";

    /// The current query string (with `?`, or empty).
    pub fn current_query() -> String {
        web_sys::window()
            .and_then(|w| w.location().search().ok())
            .unwrap_or_default()
    }

    /// Puts a plan in the address bar: a new history entry, or replacing the current one when `replace`.
    pub fn write(query: &str, replace: bool) {
        let Some(window) = web_sys::window() else { return };
        if current_query() == query {
            return;
        }
        let Ok(history) = window.history() else { return };
        let hash = window.location().hash().unwrap_or_default();
        let url = format!("{query}{hash}");
        let _ = if replace {
            history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
        } else {
            history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
        };
    }

    /// Adds a settled plan to the recent list (the app calls this once a plan has stopped changing, so the
    /// keystroke states of typing "48" are never recorded).
    pub fn remember_recent(query: &str) {
        let recent = remember(&recent(), query);
        if let Some(storage) = web_sys::window().and_then(|window| window.local_storage().ok().flatten()) {
            let _ = storage.set_item(RECENT_KEY, &recent.join("\n"));
        }
    }

    /// Recent plans, newest first.
    pub fn recent() -> Vec<String> {
        web_sys::window()
            .and_then(|w| w.local_storage().ok().flatten())
            .and_then(|storage| storage.get_item(RECENT_KEY).ok().flatten())
            .map(|text| text.lines().filter(|l| l.starts_with('?')).map(str::to_owned).collect())
            .unwrap_or_default()
    }
}
