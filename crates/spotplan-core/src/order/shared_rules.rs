//! Rules every cloud shares: a region and an image, a positive count, non-empty tag keys, Base64 user data,
//! and a limit price that is a plain positive decimal exactly when the bid mode says so.

use crate::order::checks::{base64_decoded_len, significant_decimals};
use crate::order::model::{BidMode, SpotOrder};
use crate::order::problem::{Problems, rule};

/// Where each shared rule comes from, by rule id. Every error-level rule has an entry.
pub(crate) const SOURCES: &[(&str, &str)] = &[
    (
        "region.required",
        "every cloud's API names a region: Alibaba RegionId (RunInstancesRequest.region_id docstring, required), Tencent X-TC-Region (common parameters), Baidu the regional endpoint bcc.<region>.baidubce.com (https://cloud.baidu.com/doc/BCC/s/0jwvyo603-en)",
    ),
    (
        "region.format",
        "every documented region id is lower-case letters, digits and -, and the endpoint host names are built from it (ecs.<region>.aliyuncs.com: alibabacloud-ecs20140526 7.11.8 Client endpoint rule \"regional\"; bcc.<region>.baidubce.com: https://cloud.baidu.com/doc/BCC/s/0jwvyo603-en)",
    ),
    (
        "zone.format",
        "every documented zone id is lower-case letters, digits and - (Alibaba cn-hangzhou-k, Tencent ap-guangzhou-6, Baidu zoneName \"lowercase country-region-availability zone sequence\", seed)",
    ),
    (
        "image.required",
        "Alibaba RunInstancesRequest.image_id docstring (required unless a launch template gives it), Tencent RunInstancesRequest.ImageId docstring (required), Baidu imageId (seed, required)",
    ),
    (
        "count.positive",
        "Alibaba Amount \"Valid values: 1 to 100\" (RunInstancesRequest.amount docstring), Tencent InstanceCount [1, 500], Baidu purchaseCount (seed error \"invalid purchaseNum\")",
    ),
    (
        "data_disk.size.required",
        "Spotplan's order format: a data disk without a size gives the request nothing to send (the order has no snapshot field that could size it)",
    ),
    (
        "tag.key.required",
        "Alibaba RunInstancesRequestTag.key docstring: \"The tag key cannot be an empty string\"; Tencent errorcodes.py InvalidTagKey.Malformed; Baidu TagModel.tagKey",
    ),
    (
        "user_data.base64",
        "Alibaba RunInstancesRequest.user_data, Tencent RunInstancesRequest.UserData (\"需要以 base64 方式编码\") and Baidu userData docstrings: Base64-encoded",
    ),
    (
        "bid.max_price.required",
        "Alibaba SpotPriceLimit with SpotWithPriceLimit, Tencent MaxPrice, Baidu seed error \"bidPrice can not be null when bidModel is custom\"",
    ),
    (
        "bid.max_price.positive_decimal",
        "each cloud's price is a decimal number (Alibaba SpotPriceLimit Float, Tencent MaxPrice string of a price, Baidu bidPrice; seed error \"bidPrice is invalid\")",
    ),
];

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

/// A limit bid with more decimal places than Spotplan sends for a cloud that documents no precision for its bid
/// field (Tencent `MaxPrice`, Baidu `bidPrice`): a warning, not an error — no source says the cloud refuses it, but
/// none says it keeps every digit either. The app rounds a bid to `decimals`; an order posted to the API is sent as
/// given.
pub(crate) fn undocumented_bid_precision(
    order: &SpotOrder,
    rule_id: &str,
    field_name: &str,
    decimals: u32,
    problems: &mut Problems,
) {
    let (BidMode::Limit, Some(bid)) = (order.bid.mode, order.bid.max_price) else {
        return;
    };
    let text = bid.to_string();
    let places = significant_decimals(&text);
    if places <= decimals as usize {
        return;
    }
    let (cloud, cloud_zh) = (order.cloud.display_name(), order.cloud.display_name_zh());
    problems.warning(
        rule("bid.max_price", rule_id, None),
        text.clone(),
        format!(
            "{field_name} {text} has {places} decimal places; {cloud} documents no precision for {field_name} and \
             Spotplan's app sends at most {decimals}: the cloud may refuse the bid or drop the extra digits"
        ),
        format!(
            "{field_name} {text} 有 {places} 位小数；{cloud_zh} 未说明 {field_name} 的精度，Spotplan 应用最多发送 {decimals} 位：云可能拒绝该出价或舍去多余的位数"
        ),
    );
}

/// A long value shortened for a message.
pub(crate) fn truncate(text: &str) -> String {
    if text.chars().count() <= 40 {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(40).collect::<String>())
    }
}

/// A quote as the bid is compared with it: its amount per the cloud's bid unit in the account's currency, and
/// where the figure comes from (its date, and the conversion when the quote is in another currency).
pub(crate) struct ComparableQuote {
    /// The amount per bid unit, in the account's currency.
    pub(crate) amount: rust_decimal::Decimal,
    /// The account's currency code.
    pub(crate) currency: &'static str,
    /// The date, and the conversion used, in English.
    pub(crate) provenance_en: String,
    /// The same in Chinese.
    pub(crate) provenance_zh: String,
}

/// Which side of a quote a bid must stay on: under a cap (a pay-as-you-go price), or at least a market price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BidMust {
    /// Stay at or under it: a converted cap is rounded down.
    StayUnder,
    /// Reach it: a converted market price is rounded up.
    Reach,
}

/// The quote in the account's currency per `unit` (the cloud's bid unit). A quote in another currency is converted
/// with the plan's exchange rate, saying so, and rounded to 6 decimals on the careful side for `bid_must` (a bid
/// the check passes is never one the exact figure would refuse); without a rate it is not compared, and a warning
/// says why.
pub(crate) fn comparable_quote(
    quote: &crate::order::PriceQuote,
    what: &str,
    bid_must: BidMust,
    unit: crate::TimeUnit,
    order: &SpotOrder,
    context: &crate::order::ValidationContext,
    problems: &mut Problems,
) -> Option<ComparableQuote> {
    let rate = quote.rate.in_unit(unit).ok()?;
    let account = order.account_currency;
    let currency = account.code();
    if rate.money.currency == account {
        return Some(ComparableQuote {
            amount: rate.money.amount.normalize(),
            currency,
            provenance_en: quote.observed_on.clone(),
            provenance_zh: quote.observed_on.clone(),
        });
    }
    let Some(fx) = &context.exchange_rate else {
        problems.warning(
            rule("account_currency", "quote.currency.no_rate", None),
            account.code(),
            format!(
                "the {what} ({}, {}) is in {}, the account pays in {currency}, and no exchange rate is set: the bid is \
                 not compared with it",
                rate.money,
                quote.observed_on,
                rate.money.currency.code()
            ),
            format!(
                "{what}（{}，{}）以 {} 计价，账户以 {currency} 结算，且未设置汇率：未将出价与其比较",
                rate.money,
                quote.observed_on,
                rate.money.currency.code()
            ),
        );
        return None;
    };
    let converted = fx.convert(rate.money, account).ok()?;
    let careful = match bid_must {
        BidMust::StayUnder => rust_decimal::RoundingStrategy::ToZero,
        BidMust::Reach => rust_decimal::RoundingStrategy::AwayFromZero,
    };
    let amount = converted.amount.round_dp_with_strategy(6, careful).normalize();
    Some(ComparableQuote {
        amount,
        currency,
        provenance_en: format!(
            "{}; converted from {} at {} CNY per USD ({}, {})",
            quote.observed_on, rate.money, fx.cny_per_usd, fx.as_of, fx.source
        ),
        provenance_zh: format!(
            "{}；由 {} 按 {} 元/美元（{}，{}）换算",
            quote.observed_on, rate.money, fx.cny_per_usd, fx.as_of, fx.source
        ),
    })
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
