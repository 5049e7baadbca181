//! Rules every cloud shares: a region and an image, a positive count, non-empty tag keys, Base64 user data,
//! and a limit price that is a plain positive decimal exactly when the bid mode says so.

use crate::order::checks::base64_decoded_len;
use crate::order::model::{BidMode, SpotOrder};
use crate::order::problem::{Problems, rule};

pub(crate) fn check(order: &SpotOrder, problems: &mut Problems) {
    if order.region.trim().is_empty() {
        problems.error(
            rule("region", "region.required", Some("MissingParameter")),
            "",
            "a region is required".into(),
            "必须指定地域".into(),
        );
    }
    let id_like = |text: &str| {
        (2..=40).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if !order.region.trim().is_empty() && !id_like(&order.region) {
        problems.error(
            rule("region", "region.format", Some("InvalidRegionId")),
            truncate(&order.region),
            format!(
                "`{}` is not a region id (lower-case letters, digits and -, e.g. cn-hangzhou)",
                truncate(&order.region)
            ),
            format!(
                "`{}` 不是地域 ID（小写字母、数字和 -，例如 cn-hangzhou）",
                truncate(&order.region)
            ),
        );
    }
    if let Some(zone) = &order.zone
        && !zone.is_empty()
        && !id_like(zone)
    {
        problems.error(
            rule("zone", "zone.format", Some("InvalidZoneId")),
            truncate(zone),
            format!(
                "`{}` is not a zone id (lower-case letters, digits and -, e.g. cn-hangzhou-k)",
                truncate(zone)
            ),
            format!(
                "`{}` 不是可用区 ID（小写字母、数字和 -，例如 cn-hangzhou-k）",
                truncate(zone)
            ),
        );
    }
    if order.image_id.trim().is_empty() {
        problems.error(
            rule("image_id", "image.required", Some("MissingParameter")),
            "",
            "an image id is required".into(),
            "必须指定镜像 ID".into(),
        );
    }
    if order.count == 0 {
        problems.error(
            rule("count", "count.positive", Some("InvalidParameter")),
            "0",
            "the instance count must be at least 1".into(),
            "实例数量至少为 1".into(),
        );
    }
    for (index, disk) in order.data_disks.iter().enumerate() {
        if disk.size_gb.is_none_or(|size| size == 0) {
            problems.error(
                rule(
                    &format!("data_disks[{index}].size_gb"),
                    "data_disk.size.required",
                    Some("MissingParameter"),
                ),
                disk.size_gb.map(|size| size.to_string()).unwrap_or_default(),
                format!("data disk {} needs a size in GiB", index + 1),
                format!("第 {} 块数据盘需要填写容量（GiB）", index + 1),
            );
        }
    }
    for (index, tag) in order.tags.iter().enumerate() {
        if tag.key.trim().is_empty() {
            problems.error(
                rule(
                    &format!("tags[{index}].key"),
                    "tag.key.required",
                    Some("InvalidTagKey.Malformed"),
                ),
                &tag.key,
                format!("tag {} has an empty key", index + 1),
                format!("第 {} 个标签的键为空", index + 1),
            );
        }
    }
    if let Some(user_data) = &order.user_data
        && base64_decoded_len(user_data).is_none()
    {
        problems.error(
            rule("user_data", "user_data.base64", Some("InvalidUserData.Malformed")),
            truncate(user_data),
            "user data must be standard Base64 (A–Z, a–z, 0–9, +, /, with = padding); encode the script first".into(),
            "用户数据必须是标准 Base64 编码（A–Z、a–z、0–9、+、/，以 = 补齐），请先编码脚本".into(),
        );
    }
    match (order.bid.mode, order.bid.max_price) {
        (BidMode::Limit, None) => problems.error(
            rule("bid.max_price", "bid.max_price.required", Some(required_code(order))),
            "",
            "a limit bid needs a maximum price".into(),
            "限价出价必须填写最高价格".into(),
        ),
        (BidMode::Limit, Some(price)) => {
            if price.amount() <= rust_decimal::Decimal::ZERO {
                problems.error(
                    rule(
                        "bid.max_price",
                        "bid.max_price.positive_decimal",
                        Some(invalid_code(order)),
                    ),
                    price.to_string(),
                    format!("the maximum price `{price}` must be a positive decimal such as 0.125"),
                    format!("最高价格 `{price}` 必须是正的十进制数，例如 0.125"),
                );
            }
        }
        // The clouds ignore a price in market mode, and the request builders leave it out: say so, refuse nothing.
        (BidMode::Market, Some(price)) => problems.warning(
            rule("bid.max_price", "bid.max_price.only_with_limit", None),
            price.to_string(),
            format!("a market bid takes no maximum price: `{price}` is not sent; switch the bid to limit to cap it"),
            format!("市场价出价不使用最高价格：`{price}` 不会发送；如需限价请改为限价出价"),
        ),
        (BidMode::Market, None) => {}
    }
}

/// The least instances to accept (`min_count`) must be 1 to the instance count: `parameter` is the cloud's name for
/// it (`MinAmount`, `MinCount`), `code` the error it answers otherwise.
pub(crate) fn min_count_in_range(
    order: &SpotOrder,
    rule_id: &str,
    parameter: &str,
    code: &str,
    problems: &mut Problems,
) {
    if let Some(min) = order.min_count
        && (min == 0 || min > order.count)
    {
        problems.error(
            rule("min_count", rule_id, Some(code)),
            min.to_string(),
            format!("{parameter} must be 1 to the instance count {}, not {min}", order.count),
            format!(
                "最小数量（{parameter}）必须在 1 到实例数量 {} 之间，当前为 {min}",
                order.count
            ),
        );
    }
}

fn required_code(order: &SpotOrder) -> &'static str {
    crate::clouds::api(order.cloud).bid_price_codes().missing
}

fn invalid_code(order: &SpotOrder) -> &'static str {
    crate::clouds::api(order.cloud).bid_price_codes().invalid
}

/// A long value shortened for a message.
pub(crate) fn truncate(text: &str) -> String {
    if text.chars().count() <= 40 {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(40).collect::<String>())
    }
}

/// A quote's amount per `unit` (the cloud's bid unit).
pub(crate) fn quote_amount(quote: &crate::order::PriceQuote, unit: crate::TimeUnit) -> Option<rust_decimal::Decimal> {
    quote.rate.in_unit(unit).ok().map(|rate| rate.money.amount.normalize())
}

/// Checks a host name: `max` characters at most (2 at least), the allowed characters, and no special character
/// at either end or twice in a row. Returns the problem text (English, Chinese) when it fails.
pub(crate) fn hostname_problem(
    hostname: &str,
    max: usize,
    allowed: impl Fn(char) -> bool,
    specials: &[char],
) -> Option<(String, String)> {
    let length = hostname.chars().count();
    if !(2..=max).contains(&length) {
        return Some((
            format!("the host name must be 2–{max} characters (it has {length})"),
            format!("主机名长度必须为 2–{max} 个字符（当前 {length} 个）"),
        ));
    }
    if let Some(bad) = hostname.chars().find(|c| !allowed(*c)) {
        return Some((
            format!("the host name may not contain `{bad}`"),
            format!("主机名不能包含 `{bad}`"),
        ));
    }
    if crate::order::checks::has_edge_or_double_special(hostname, specials) {
        let list: String = specials.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(" ");
        return Some((
            format!("the host name may not start or end with {list} or have two of them in a row"),
            format!("主机名不能以 {list} 开头或结尾，也不能连续出现"),
        ));
    }
    None
}
