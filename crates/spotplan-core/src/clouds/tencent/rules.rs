//! Tencent CVM RunInstances rules for spot orders: the docstrings of `RunInstancesRequest` and
//! `InstanceMarketOptionsRequest` in `tencentcloud/cvm/v20170312/models.py` and the codes in `errorcodes.py` of the
//! PyPI package tencentcloud-sdk-python-cvm 3.1.178. Spot is always sent as `InstanceChargeType=SPOTPAID`, and a limit
//! bid with `InstanceMarketOptions` (`MarketType=spot`, `SpotInstanceType=one-time`).

use crate::TimeUnit;
use crate::order::ValidationContext;
use crate::order::checks::{base64_decoded_len, char_len, is_printable_ascii, password_classes};
use crate::order::model::{BidMode, OsFamily, SpotOrder};
use crate::order::problem::{Problems, rule};
use crate::order::shared_rules::{
    BidMust, comparable_quote, hostname_problem, min_count_in_range, truncate, undocumented_bid_precision,
};

/// Where each Tencent rule comes from, by rule id: the docstrings of tencentcloud-sdk-python-cvm 3.1.178
/// (`tencentcloud/cvm/v20170312/models.py`) and its `errorcodes.py`. Every error-level rule has an entry.
pub(crate) const SOURCES: &[(&str, &str)] = &[
    (
        "tencent.placement.zone.required",
        "tencentcloud-sdk-python-cvm 3.1.178, RunInstancesRequest.Placement / Placement.Zone docstrings: the zone is required",
    ),
    (
        "tencent.placement.zone.in_region",
        "tencentcloud-sdk-python-cvm 3.1.178, errorcodes.py InvalidZone.MismatchRegion, and the zone ids of the region (ap-guangzhou-6 in ap-guangzhou)",
    ),
    (
        "tencent.instance_count.range",
        "tencentcloud-sdk-python-cvm 3.1.178, RunInstancesRequest.InstanceCount docstring: \"按量计费实例取值范围：[1，500]\"",
    ),
    (
        "tencent.min_count.range",
        "tencentcloud-sdk-python-cvm 3.1.178, RunInstancesRequest.MinCount docstring: \"取值范围为不大于InstanceCount的正整数\"",
    ),
    (
        "tencent.max_price.below_market",
        "Tencent spot guide (seed tencent-cvm-spot-instances.en.md): a bid below the market price fails (compared with a dated price that includes the system disk, so a warning)",
    ),
    (
        "tencent.client_token.length",
        "tencentcloud-sdk-python-cvm 3.1.178, RunInstancesRequest.ClientToken docstring: \"最大值不超过64个ASCII字符\"",
    ),
    (
        "tencent.client_token.ascii",
        "tencentcloud-sdk-python-cvm 3.1.178, RunInstancesRequest.ClientToken docstring: \"最大值不超过64个ASCII字符\"",
    ),
    (
        "tencent.password.format",
        "tencentcloud-sdk-python-cvm 3.1.178, LoginSettings.Password docstring: Linux 8–30 characters of two kinds, Windows 12–30 of three, the listed specials",
    ),
    (
        "tencent.hostname.format",
        "tencentcloud-sdk-python-cvm 3.1.178, RunInstancesRequest.HostName docstring: Linux 2–60 characters of letters, digits, . and - (no leading, trailing or doubled . or -), Windows 2–15 of letters, digits and -, not all digits; {R:x} sequence patterns allowed",
    ),
    (
        "tencent.instance_name.length",
        "tencentcloud-sdk-python-cvm 3.1.178, RunInstancesRequest.InstanceName docstring: \"最多支持128个字符（含模式串）\"",
    ),
    (
        "tencent.user_data.size",
        "tencentcloud-sdk-python-cvm 3.1.178, RunInstancesRequest.UserData docstring: Base64-encoded, \"支持的最大数据大小为 16KB\"",
    ),
    (
        "tencent.data_disks.count",
        "tencentcloud-sdk-python-cvm 3.1.178, RunInstancesRequest.DataDisks docstring: \"支持购买的时候指定21块数据盘\"",
    ),
];

const PASSWORD_SPECIALS: &str = "()`~!@#$%^&*-+=|{}[]:;',.?/";
const USER_DATA_MAX_BYTES: usize = 16 * 1024;

pub(crate) fn check(order: &SpotOrder, context: &ValidationContext, problems: &mut Problems) {
    if order.zone.as_deref().is_none_or(|zone| zone.trim().is_empty()) {
        problems.error(
            rule("zone", "tencent.placement.zone.required", Some("MissingParameter")),
            "",
            "Tencent needs a zone (Placement.Zone), e.g. ap-guangzhou-6".into(),
            "腾讯云必须指定可用区（Placement.Zone），例如 ap-guangzhou-6".into(),
        );
    } else if let Some(zone) = &order.zone
        && !zone.starts_with(&format!("{}-", order.region))
    {
        problems.error(
            rule(
                "zone",
                "tencent.placement.zone.in_region",
                Some("InvalidZone.MismatchRegion"),
            ),
            zone,
            format!("zone {zone} is not in region {}", order.region),
            format!("可用区 {zone} 不属于地域 {}", order.region),
        );
    }
    if order.instance_type.as_deref().is_none_or(|name| name.trim().is_empty()) {
        problems.warning(
            rule("instance_type", "tencent.instance_type.missing", None),
            "",
            "no instance type: Tencent would pick one, so the price cannot be planned".into(),
            "未指定实例规格：腾讯云会自动选择，价格无法预估".into(),
        );
    }
    if !(1..=500).contains(&order.count) {
        problems.error(
            rule(
                "count",
                "tencent.instance_count.range",
                Some("InvalidParameterValue.Range"),
            ),
            order.count.to_string(),
            format!("InstanceCount must be 1–500, not {}", order.count),
            format!("实例数量（InstanceCount）必须为 1–500，当前为 {}", order.count),
        );
    } else if order.count > 100 {
        problems.warning(
            rule("count", "tencent.instance_count.inquiry_limit", None),
            order.count.to_string(),
            "price inquiry (InquiryPriceRunInstances) covers at most 100 instances; live prices will be per 100".into(),
            "询价接口最多支持 100 台实例".into(),
        );
    }
    min_count_in_range(
        order,
        "tencent.min_count.range",
        "MinCount",
        "InvalidParameterValue.Range",
        problems,
    );
    undocumented_bid_precision(
        order,
        "tencent.max_price.decimals",
        "MaxPrice",
        super::BID_DECIMALS,
        problems,
    );
    if let (BidMode::Limit, Some(bid)) = (order.bid.mode, order.bid.max_price)
        && let (text, price) = (bid.to_string(), bid.amount())
        && let text = text.as_str()
    {
        if let Some(quote) = &context.market_price
            && let Some(compared) = comparable_quote(
                quote,
                "market price",
                BidMust::Reach,
                TimeUnit::Hour,
                order,
                context,
                problems,
            )
            && price < compared.amount
        {
            let (market, currency) = (compared.amount, compared.currency);
            // The least bid Tencent takes at or above it: its four decimals, rounded up (0.35643 → 0.3565).
            let at_least = market
                .round_dp_with_strategy(super::BID_DECIMALS, rust_decimal::RoundingStrategy::AwayFromZero)
                .normalize();
            // A warning: the market figure is InquiryPriceRunInstances' `UnitPriceDiscount`, which prices the
            // system disk with the instance, while MaxPrice caps the instance alone.
            problems.warning(
                rule(
                    "bid.max_price",
                    "tencent.max_price.below_market",
                    Some(super::answer::BID_BELOW_MARKET.code),
                ),
                text,
                format!(
                    "MaxPrice {text} {currency} is below the market price {market} {currency} per hour ({}), a figure \
                     that includes the system disk: Tencent refuses a bid below the instance's own market price; bid \
                     at least {at_least} to be sure",
                    compared.provenance_en
                ),
                format!(
                    "出价 {text} {currency} 低于市场价 {market} {currency}/小时（{}，含系统盘）：腾讯云会拒绝低于实例市场价的出价；出价至少 {at_least} 可确保成功",
                    compared.provenance_zh
                ),
            );
        }
        if let Some(quote) = &context.on_demand_price
            && let Some(compared) = comparable_quote(
                quote,
                "pay-as-you-go price",
                BidMust::StayUnder,
                TimeUnit::Hour,
                order,
                context,
                problems,
            )
            && price > compared.amount
        {
            let (list, currency) = (compared.amount, compared.currency);
            problems.warning(
                rule("bid.max_price", "tencent.max_price.above_on_demand", None),
                text,
                format!(
                    "MaxPrice {text} {currency} is above the pay-as-you-go price {list} {currency} per hour ({}); the \
                     market price never exceeds it",
                    compared.provenance_en
                ),
                format!(
                    "出价 {text} {currency} 高于按量计费价格 {list} {currency}/小时（{}），市场价不会超过该价格",
                    compared.provenance_zh
                ),
            );
        }
    }
    if order.bid.spot_duration_hours.is_some() || order.bid.interruption_behavior.is_some() {
        problems.warning(
            rule("bid.spot_duration_hours", "tencent.alibaba_only_fields", None),
            "",
            "the protection period and interruption behaviour are Alibaba settings; Tencent ignores them".into(),
            "保护期和中断行为是阿里云的设置，腾讯云会忽略".into(),
        );
    }
    if let Some(token) = &order.client_token {
        if token.len() > 64 {
            problems.error(
                rule(
                    "client_token",
                    "tencent.client_token.length",
                    Some("InvalidClientToken.TooLong"),
                ),
                token,
                format!("the client token is {} characters; at most 64", token.len()),
                format!("ClientToken 长度为 {}，最多 64 个字符", token.len()),
            );
        } else if !is_printable_ascii(token) || token.is_empty() {
            problems.error(
                rule(
                    "client_token",
                    "tencent.client_token.ascii",
                    Some("InvalidParameterValue"),
                ),
                token,
                "the client token must be printable ASCII".into(),
                "ClientToken 必须是可打印 ASCII 字符".into(),
            );
        }
    }
    if let Some(password) = &order.login.password {
        let length = char_len(password);
        let (classes, only_allowed) = password_classes(password, PASSWORD_SPECIALS);
        let (min_length, min_classes) = match order.os {
            OsFamily::Linux => (8, 2),
            OsFamily::Windows => (12, 3),
        };
        if !(min_length..=30).contains(&length) || classes < min_classes || !only_allowed {
            problems.error(
                rule("login.password", "tencent.password.format", Some("InvalidPassword")),
                "<hidden>",
                format!(
                    "the password must be {min_length}–30 characters with at least {min_classes} of: lower case, upper \
                     case, digits, and ()`~!@#$%^&*-+=|{{}}[]:;',.?/"
                ),
                format!(
                    "密码须为 {min_length}–30 个字符，至少包含小写字母、大写字母、数字和特殊字符中的 {min_classes} 类"
                ),
            );
        }
    }
    if let Some(hostname) = &order.hostname {
        // HostName may carry `{R:x}` patterns (a sequence number from x, documented for RunInstances' HostName):
        // each is checked as the digits it becomes.
        let hostname = &expand_sequence_patterns(hostname);
        let problem = match order.os {
            OsFamily::Linux => hostname_problem(
                hostname,
                60,
                |c| c.is_ascii_alphanumeric() || c == '-' || c == '.',
                &['.', '-'],
            ),
            OsFamily::Windows => hostname_problem(hostname, 15, |c| c.is_ascii_alphanumeric() || c == '-', &['-']),
        };
        if let Some((en, zh)) = problem {
            problems.error(
                rule("hostname", "tencent.hostname.format", Some("InvalidHostName")),
                hostname,
                en,
                zh,
            );
        }
    }
    if let Some(name) = &order.name
        && char_len(name) > 128
    {
        problems.error(
            rule(
                "name",
                "tencent.instance_name.length",
                Some("InvalidParameterValue.TooLong"),
            ),
            truncate(name),
            "the instance name is at most 128 characters".into(),
            "实例名称最多 128 个字符".into(),
        );
    }
    if let Some(user_data) = &order.user_data
        && let Some(length) = base64_decoded_len(user_data)
        && user_data.len() > USER_DATA_MAX_BYTES
    {
        problems.error(
            rule(
                "user_data",
                "tencent.user_data.size",
                Some("InvalidParameterValue.UserDataSizeExceeded"),
            ),
            truncate(user_data),
            format!(
                "encoded user data is {} bytes ({length} decoded); Tencent allows {USER_DATA_MAX_BYTES}",
                user_data.len()
            ),
            format!(
                "编码后的用户数据为 {} 字节，腾讯云上限为 {USER_DATA_MAX_BYTES} 字节",
                user_data.len()
            ),
        );
    }
    if order.data_disks.len() > 21 {
        problems.error(
            rule(
                "data_disks",
                "tencent.data_disks.count",
                Some("InvalidParameterValue.LimitExceeded"),
            ),
            order.data_disks.len().to_string(),
            format!("at most 21 data disks, not {}", order.data_disks.len()),
            format!("数据盘最多 21 块，当前 {} 块", order.data_disks.len()),
        );
    }
    if order.auto_release_time.is_some() {
        problems.warning(
            rule("auto_release_time", "tencent.auto_release_time.unsupported", None),
            order.auto_release_time.clone().unwrap_or_default(),
            "automatic release is an Alibaba setting; it is not sent to Tencent".into(),
            "自动释放时间是阿里云的设置，不会发送给腾讯云".into(),
        );
    }
}

/// `web{R:3}` → `web3`: each `{R:<digits>}` as the digits that stand in for it.
fn expand_sequence_patterns(hostname: &str) -> String {
    let mut expanded = String::with_capacity(hostname.len());
    let mut rest = hostname;
    while let Some(start) = rest.find("{R:") {
        let after = &rest[start + 3..];
        match after.find('}') {
            Some(end) if end > 0 && after[..end].bytes().all(|byte| byte.is_ascii_digit()) => {
                expanded.push_str(&rest[..start]);
                expanded.push_str(&after[..end]);
                rest = &after[end + 1..];
            }
            _ => break,
        }
    }
    expanded.push_str(rest);
    expanded
}
