//! The plan in the URL: the requirement and the chosen offer as a short query string, so a link can be shared,
//! a reload restores the plan, and back/forward walk through earlier plans. Recent plans are kept in
//! localStorage. Encoding and decoding are pure and tested natively.

use rust_decimal::Decimal;
use spotplan_core::catalog::{Arch, OfferKey};
use spotplan_core::plan::{Area, Requirement, SortKey};
use spotplan_core::{Cloud, Currency, TimeUnit};

use crate::account_sites::AccountSites;
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

fn parse_range<T: std::str::FromStr>(text: &str) -> (Option<T>, Option<T>) {
    let (min, max) = text.split_once('-').unwrap_or((text, ""));
    (min.parse().ok(), max.parse().ok())
}

/// Region or zone ids typed as a comma-separated list (ASCII or full-width commas, spaces ignored).
pub fn region_list(text: &str) -> Vec<String> {
    crate::state::comma_separated(text).map(str::to_owned).collect()
}

/// The plan a query string describes (unknown or malformed parts keep their defaults).
pub fn decode(query: &str) -> (Requirement, Option<OfferKey>) {
    let mut requirement = initial_requirement();
    let mut selected = None;
    for pair in query.trim_start_matches('?').split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = unescape(value);
        match key {
            "v" => (requirement.vcpu_min, requirement.vcpu_max) = parse_range(&value),
            "m" => (requirement.memory_min_gib, requirement.memory_max_gib) = parse_range(&value),
            "n" => requirement.instance_count = value.parse().unwrap_or(requirement.instance_count).max(1),
            "h" => {
                let max = Decimal::from(spotplan_core::plan::MAX_JOB_HOURS);
                if let Some(hours) = value
                    .parse::<Decimal>()
                    .ok()
                    .filter(|h| *h > Decimal::ZERO && *h <= max)
                {
                    requirement.hours = hours;
                }
            }
            "r" => {
                if let Ok(percent) = value.parse::<Decimal>() {
                    requirement.max_interruption = (percent / Decimal::from(100)).clamp(Decimal::ZERO, Decimal::ONE);
                }
            }
            "a" => {
                requirement.area = match value.as_str() {
                    "china" => Area::MainlandChina,
                    "outside" => Area::OutsideMainlandChina,
                    _ => Area::Anywhere,
                }
            }
            "s" => {
                let (reversed, id) = match value.strip_prefix('-') {
                    Some(id) => (true, id),
                    None => (false, value.as_str()),
                };
                if let Some(sort) = SortKey::from_id(id) {
                    (requirement.sort, requirement.sort_reversed) = (sort, reversed);
                }
            }
            "q" => requirement.text = Some(value).filter(|text| !text.is_empty()),
            "c" => requirement.clouds = comma_separated(&value).filter_map(Cloud::from_id).collect(),
            "g" => requirement.gpu_min = value.parse().ok(),
            "gm" => requirement.gpu_model = Some(value).filter(|m| !m.is_empty()),
            "ar" => {
                requirement.arch = match value.as_str() {
                    "arm64" => Some(Arch::Arm64),
                    "x86_64" => Some(Arch::X86_64),
                    _ => None,
                }
            }
            "rg" => requirement.regions = region_list(&value),
            "cu" => requirement.currency = if value == "USD" { Currency::Usd } else { Currency::Cny },
            "u" => {
                requirement.unit = match value.as_str() {
                    "minute" => TimeUnit::Minute,
                    "day" => TimeUnit::Day,
                    "month" => TimeUnit::Month,
                    _ => TimeUnit::Hour,
                }
            }
            "o" => {
                let mut fields = pair.split_once('=').map_or("", |(_, v)| v).splitn(4, ':');
                if let (Some(cloud), Some(region), Some(zone), Some(instance_type)) =
                    (fields.next(), fields.next(), fields.next(), fields.next())
                    && let Some(cloud) = Cloud::from_id(cloud)
                {
                    let zone = unescape(zone);
                    selected = Some(OfferKey {
                        cloud,
                        region: unescape(region),
                        zone: (!zone.is_empty()).then_some(zone),
                        instance_type: unescape(instance_type),
                    });
                }
            }
            _ => {}
        }
    }
    (requirement, selected)
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
    fn garbage_keeps_the_defaults() {
        let (requirement, selected) = decode("?v=x-y&n=&h=abc&o=aws:x:y:z&zz=1");
        assert_eq!(requirement.instance_count, initial_requirement().instance_count);
        assert_eq!(selected, None);
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
