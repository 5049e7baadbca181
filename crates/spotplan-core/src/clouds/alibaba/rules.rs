//! Alibaba ECS RunInstances rules for spot orders: the parameter docstrings of `RunInstancesRequest` in the PyPI
//! package alibabacloud-ecs20140526 7.11.8 (`alibabacloud_ecs20140526/models/_run_instances_request.py`) and the error
//! table of the RunInstances API reference (https://api.alibabacloud.com/document/Ecs/2014-05-26/RunInstances). Spot is
//! always sent with `InstanceChargeType=PostPaid`, so `InvalidSpotPrepaid` cannot happen by construction.

use crate::TimeUnit;
use crate::order::ValidationContext;
use crate::order::checks::{base64_decoded_len, char_len, is_printable_ascii, password_classes, significant_decimals};
use crate::order::model::{BidMode, OsFamily, SpotOrder};
use crate::order::problem::{Problems, rule};
use crate::order::shared_rules::{BidMust, comparable_quote, hostname_problem, min_count_in_range, truncate};

/// Where each Alibaba rule comes from, by rule id: the SDK docstring (alibabacloud-ecs20140526 7.11.8,
/// `RunInstancesRequest`) or the RunInstances API reference's error table. Every error-level rule has an entry (a
/// test reads this file to make sure).
pub(crate) const SOURCES: &[(&str, &str)] = &[
    (
        "alibaba.zone.required_for_spot",
        "RunInstances API reference (older edition), error InvalidSpotParam.EmptyZoneID: \"ZoneId is empty when SpotStrategy is set\"",
    ),
    (
        "alibaba.instance_type.required",
        "alibabacloud-ecs20140526 7.11.8, RunInstancesRequest.instance_type docstring: required unless a launch template gives it",
    ),
    (
        "alibaba.vswitch.required",
        "alibabacloud-ecs20140526 7.11.8, RunInstancesRequest.v_switch_id docstring: \"If you create a VPC-type ECS instance, you must specify a vSwitch ID\"",
    ),
    (
        "alibaba.security_group.required",
        "alibabacloud-ecs20140526 7.11.8, RunInstancesRequest.security_group_id docstring: required unless a launch template gives it",
    ),
    (
        "alibaba.amount.range",
        "alibabacloud-ecs20140526 7.11.8, RunInstancesRequest.amount docstring: \"Valid values: 1 to 100\"",
    ),
    (
        "alibaba.min_amount.range",
        "alibabacloud-ecs20140526 7.11.8, RunInstancesRequest.min_amount docstring: \"Valid values: 1 to 100\", and no more than Amount",
    ),
    (
        "alibaba.hostname.format",
        "alibabacloud-ecs20140526 7.11.8, RunInstancesRequest.host_name docstring: Windows 2–15 characters, not only digits; others 2–64, no leading, trailing or doubled . or -",
    ),
    (
        "alibaba.instance_name.length",
        "alibabacloud-ecs20140526 7.11.8, RunInstancesRequest.instance_name docstring: \"2 to 128 characters in length\"",
    ),
    (
        "alibaba.user_data.size",
        "alibabacloud-ecs20140526 7.11.8, RunInstancesRequest.user_data docstring: \"cannot exceed 32 KB before Base64 encoding\"",
    ),
    (
        "alibaba.client_token.format",
        "alibabacloud-ecs20140526 7.11.8, RunInstancesRequest.client_token docstring: ASCII only, at most 64 characters",
    ),
    (
        "alibaba.data_disks.count",
        "alibabacloud-ecs20140526 7.11.8, RunInstancesRequestDataDisk docstring: \"Valid values of N: 1 to 16\"",
    ),
    (
        "alibaba.tags.count",
        "alibabacloud-ecs20140526 7.11.8, RunInstancesRequestTag docstring: \"Valid values of N: 1 to 20\"",
    ),
    (
        "alibaba.tag.key.format",
        "alibabacloud-ecs20140526 7.11.8, RunInstancesRequestTag.key docstring: up to 128 characters, cannot start with aliyun or acs:",
    ),
    (
        "alibaba.tag.value.length",
        "alibabacloud-ecs20140526 7.11.8, RunInstancesRequestTag.value docstring: up to 128 characters",
    ),
    (
        "alibaba.system_disk.size",
        "alibabacloud-ecs20140526 7.11.8, RunInstancesRequestSystemDisk.size docstring: basic disk 20–500, other categories at most 1–2048",
    ),
    (
        "alibaba.spot_duration.range",
        "alibabacloud-ecs20140526 7.11.8, RunInstancesRequest.spot_duration docstring: \"This parameter can only be set to 0 or 1\"",
    ),
    (
        "alibaba.spot_price_limit.decimals",
        "alibabacloud-ecs20140526 7.11.8, RunInstancesRequest.spot_price_limit docstring: \"The value can have up to three decimal places\"",
    ),
    (
        "alibaba.spot_price_limit.below_market",
        "RunInstances API reference, error InvalidSpotPriceLimit.LowerThanPublicPrice (compared with a dated price, so a warning)",
    ),
    (
        "alibaba.password.format",
        "alibabacloud-ecs20140526 7.11.8, RunInstancesRequest.password docstring: 8–30 characters of at least three kinds, the listed specials, a Windows password not starting with /",
    ),
    (
        "alibaba.auto_release_time.format",
        "alibabacloud-ecs20140526 7.11.8, RunInstancesRequest.auto_release_time docstring: yyyy-MM-ddTHH:mm:ssZ in UTC",
    ),
    (
        "alibaba.auto_release_time.too_soon",
        "alibabacloud-ecs20140526 7.11.8, RunInstancesRequest.auto_release_time docstring: \"The earliest release time is half an hour after the current time\"",
    ),
    (
        "alibaba.auto_release_time.too_late",
        "alibabacloud-ecs20140526 7.11.8, RunInstancesRequest.auto_release_time docstring: \"cannot be more than three years after the current time\"",
    ),
];

/// Specials allowed in an Alibaba password.
const PASSWORD_SPECIALS: &str = "()`~!@#$%^&*-_+=|{}[]:;\"<>,.?/";
/// User data limit before Base64 encoding.
const USER_DATA_MAX_BYTES: usize = 32 * 1024;

pub(crate) fn check(order: &SpotOrder, context: &ValidationContext, problems: &mut Problems) {
    if order.zone.as_deref().is_none_or(|zone| zone.trim().is_empty()) {
        problems.error(
            rule(
                "zone",
                "alibaba.zone.required_for_spot",
                Some("InvalidSpotParam.EmptyZoneID"),
            ),
            "",
            "Alibaba needs a zone (ZoneId) for a spot order; spot prices differ per zone".into(),
            "阿里云抢占式实例必须指定可用区（ZoneId），各可用区价格不同".into(),
        );
    } else if let Some(zone) = &order.zone
        && !(zone.starts_with(order.region.as_str()) && zone.len() > order.region.len())
    {
        // ECS zone ids are the region id and a letter (`cn-hangzhou-h`, `ap-southeast-1a`) by convention; no source
        // in hand states the form, so a zone that does not follow it is a warning.
        problems.warning(
            rule("zone", "alibaba.zone.in_region", None),
            zone,
            format!(
                "zone {zone} does not look like a zone of region {} (ECS zones are the region id and a letter, e.g. \
                 {}-h); a zone of another region is refused",
                order.region, order.region
            ),
            format!(
                "可用区 {zone} 看起来不属于地域 {}（ECS 可用区为地域 ID 加字母，例如 {}-h）；其他地域的可用区会被拒绝",
                order.region, order.region
            ),
        );
    }
    if order.instance_type.as_deref().is_none_or(|name| name.trim().is_empty()) {
        problems.error(
            rule(
                "instance_type",
                "alibaba.instance_type.required",
                Some("MissingParameter"),
            ),
            "",
            "an instance type (e.g. ecs.g7.xlarge) is required".into(),
            "必须指定实例规格（例如 ecs.g7.xlarge）".into(),
        );
    }
    if order.network.subnet_id.as_deref().is_none_or(|id| id.trim().is_empty()) {
        problems.error(
            rule(
                "network.subnet_id",
                "alibaba.vswitch.required",
                Some("MissingParameter"),
            ),
            "",
            "a vSwitch (VSwitchId) is required: VPC is the only network type".into(),
            "必须指定交换机（VSwitchId）：仅支持专有网络 VPC".into(),
        );
    }
    if order.network.security_group_ids.is_empty() {
        problems.error(
            rule(
                "network.security_group_ids",
                "alibaba.security_group.required",
                Some("MissingParameter"),
            ),
            "",
            "at least one security group is required".into(),
            "至少需要一个安全组".into(),
        );
    }
    if !(1..=100).contains(&order.count) {
        problems.error(
            rule("count", "alibaba.amount.range", Some("InvalidParameter.Amount")),
            order.count.to_string(),
            format!("Amount must be 1–100, not {}", order.count),
            format!("实例数量（Amount）必须为 1–100，当前为 {}", order.count),
        );
    }
    min_count_in_range(
        order,
        "alibaba.min_amount.range",
        "MinAmount",
        "InvalidParameter.MinAmount",
        problems,
    );
    check_bid(order, context, problems);
    if let Some(password) = &order.login.password {
        check_password(password, order.os, problems);
    }
    if let Some(hostname) = &order.hostname {
        let problem = match order.os {
            OsFamily::Linux => hostname_problem(
                hostname,
                64,
                |c| c.is_ascii_alphanumeric() || c == '-' || c == '.',
                &['.', '-'],
            ),
            // alibabacloud-ecs20140526 7.11.8, RunInstancesRequest.host_name: Windows 2–15 characters, "cannot
            // contain only digits"; others 2–64, segments of letters, digits and hyphens.
            OsFamily::Windows => hostname_problem(hostname, 15, |c| c.is_ascii_alphanumeric() || c == '-', &['-'])
                .or_else(|| {
                    hostname.chars().all(|c| c.is_ascii_digit()).then(|| {
                        (
                            "a Windows host name may not be all digits".to_owned(),
                            "Windows 主机名不能全为数字".to_owned(),
                        )
                    })
                }),
        };
        if let Some((en, zh)) = problem {
            problems.error(
                rule("hostname", "alibaba.hostname.format", Some("InvalidHostName.Malformed")),
                hostname,
                en,
                zh,
            );
        }
    }
    if let Some(name) = &order.name {
        // alibabacloud-ecs20140526 7.11.8, RunInstancesRequest.instance_name: "2 to 128 characters in length".
        let length = char_len(name);
        if !(2..=128).contains(&length) {
            problems.error(
                rule(
                    "name",
                    "alibaba.instance_name.length",
                    Some("InvalidInstanceName.Malformed"),
                ),
                name,
                format!("the instance name must be 2–128 characters (it has {length})"),
                format!("实例名称须为 2–128 个字符（当前 {length} 个）"),
            );
        }
        // Older ECS docs also asked for a leading letter and no http:// or https:// prefix; the current SDK
        // docstring does not, so these are warnings.
        let starts_well = name.chars().next().is_some_and(|c| c.is_alphabetic());
        if !starts_well || name.starts_with("http://") || name.starts_with("https://") {
            problems.warning(
                rule("name", "alibaba.instance_name.format", None),
                name,
                "older ECS documents ask for an instance name that starts with a letter or Chinese character and not \
                 with http:// or https://; the current SDK does not, so it is sent as it is"
                    .into(),
                "旧版 ECS 文档要求实例名称以字母或中文开头，且不以 http:// 或 https:// 开头；当前 SDK 未作此要求，将按原样发送".into(),
            );
        }
    }
    if let Some(user_data) = &order.user_data
        && let Some(length) = base64_decoded_len(user_data)
        && length > USER_DATA_MAX_BYTES
    {
        problems.error(
            rule(
                "user_data",
                "alibaba.user_data.size",
                Some("InvalidUserData.SizeExceeded"),
            ),
            truncate(user_data),
            format!("user data is {length} bytes before encoding; Alibaba allows {USER_DATA_MAX_BYTES}"),
            format!("用户数据编码前为 {length} 字节，阿里云上限为 {USER_DATA_MAX_BYTES} 字节"),
        );
    }
    if let Some(release) = &order.auto_release_time {
        check_auto_release(release, context.now, problems);
    }
    if let Some(token) = &order.client_token
        && (token.len() > 64 || !is_printable_ascii(token) || token.is_empty())
    {
        problems.error(
            rule(
                "client_token",
                "alibaba.client_token.format",
                Some("InvalidClientToken.Malformed"),
            ),
            token,
            "the client token must be 1–64 printable ASCII characters".into(),
            "ClientToken 必须为 1–64 个可打印 ASCII 字符".into(),
        );
    }
    // alibabacloud-ecs20140526 7.11.8, RunInstancesRequestDataDisk: "Valid values of N: 1 to 16".
    if order.data_disks.len() > 16 {
        problems.error(
            rule("data_disks", "alibaba.data_disks.count", Some("InvalidDataDiskCount")),
            order.data_disks.len().to_string(),
            format!("at most 16 data disks, not {}", order.data_disks.len()),
            format!("数据盘最多 16 块，当前 {} 块", order.data_disks.len()),
        );
    }
    check_system_disk(order, problems);
    // alibabacloud-ecs20140526 7.11.8, RunInstancesRequestTag: "Valid values of N: 1 to 20", a key "up to 128
    // characters … cannot start with aliyun or acs:", a value "up to 128 characters".
    if order.tags.len() > 20 {
        problems.error(
            rule("tags", "alibaba.tags.count", Some("InvalidTagCount")),
            order.tags.len().to_string(),
            format!("at most 20 tags, not {}", order.tags.len()),
            format!("标签最多 20 个，当前 {} 个", order.tags.len()),
        );
    }
    for (index, tag) in order.tags.iter().enumerate() {
        let key = tag.key.to_lowercase();
        if char_len(&tag.key) > 128 || key.starts_with("aliyun") || key.starts_with("acs:") {
            problems.error(
                rule(
                    &format!("tags[{index}].key"),
                    "alibaba.tag.key.format",
                    Some("InvalidTagKey.Malformed"),
                ),
                &tag.key,
                "a tag key is at most 128 characters and may not start with aliyun or acs:".into(),
                "标签键最多 128 个字符，且不能以 aliyun 或 acs: 开头".into(),
            );
        }
        if char_len(&tag.value) > 128 {
            problems.error(
                rule(
                    &format!("tags[{index}].value"),
                    "alibaba.tag.value.length",
                    Some("InvalidTagValue.Malformed"),
                ),
                truncate(&tag.value),
                "a tag value is at most 128 characters".into(),
                "标签值最多 128 个字符".into(),
            );
        }
    }
}

/// alibabacloud-ecs20140526 7.11.8, RunInstancesRequestSystemDisk.size: "Basic disk: 20 to 500. Enterprise
/// SSD: PL0: 1 to 2048, PL1: 20 to 2048, PL2: 461 to 2048, PL3: 1261 to 2048. ESSD AutoPL disk: 1 to 2048. Other
/// disk categories: 20 to 2048", and at least the image's size. The range depends on the category (and the ESSD
/// performance level, which Spotplan does not send): outside 1–2048 is refused whatever the category, the basic
/// disk's 20–500 is refused when the category is `cloud`, and below 20 GiB is otherwise a warning (only PL0 and
/// AutoPL disks take it).
fn check_system_disk(order: &SpotOrder, problems: &mut Problems) {
    let Some(disk) = &order.system_disk else { return };
    let Some(size) = disk.size_gb else { return };
    let category = disk.category.as_deref();
    let (low, high) = if category == Some("cloud") {
        (20, 500)
    } else {
        (1, 2048)
    };
    if !(low..=high).contains(&size) {
        problems.error(
            rule(
                "system_disk.size_gb",
                "alibaba.system_disk.size",
                Some("InvalidSystemDiskSize"),
            ),
            size.to_string(),
            format!(
                "a{} system disk is {low}–{high} GiB, not {size}",
                if category == Some("cloud") {
                    " basic"
                } else {
                    "n Alibaba"
                }
            ),
            format!(
                "{}系统盘大小须为 {low}–{high} GiB，当前为 {size}",
                if category == Some("cloud") {
                    "普通云盘"
                } else {
                    "阿里云"
                }
            ),
        );
    } else if size < 20 && category != Some("cloud_auto") {
        problems.warning(
            rule("system_disk.size_gb", "alibaba.system_disk.small", None),
            size.to_string(),
            format!(
                "a {size} GiB system disk is accepted only as an ESSD at performance level PL0 or an ESSD AutoPL disk \
                 (other categories need 20 GiB or more), and never below the image's size; 40 GiB is the default"
            ),
            format!("{size} GiB 的系统盘仅 PL0 级别 ESSD 或 ESSD AutoPL 云盘接受（其他类型至少 20 GiB），且不能小于镜像大小；默认为 40 GiB"),
        );
    }
}

fn check_bid(order: &SpotOrder, context: &ValidationContext, problems: &mut Problems) {
    if let Some(duration) = order.bid.spot_duration_hours
        && duration > 1
    {
        problems.error(
            rule(
                "bid.spot_duration_hours",
                "alibaba.spot_duration.range",
                Some("InvalidSpotDuration"),
            ),
            duration.to_string(),
            format!("SpotDuration is 1 (one protected hour) or 0 (none), not {duration}"),
            format!("保护期（SpotDuration）只能为 1（保护一小时）或 0（不保护），当前为 {duration}"),
        );
    }
    let (BidMode::Limit, Some(bid)) = (order.bid.mode, order.bid.max_price) else {
        return;
    };
    let (text, price) = (bid.to_string(), bid.amount());
    let text = text.as_str();
    // Precision is what the digits say: `0.2000` is 0.2, one decimal (trailing zeros are not refused).
    if significant_decimals(text) > 3 {
        problems.error(
            rule(
                "bid.max_price",
                "alibaba.spot_price_limit.decimals",
                Some("InvalidSpotPriceLimit"),
            ),
            text,
            format!(
                "SpotPriceLimit takes at most 3 decimal places, `{text}` has {}",
                significant_decimals(text)
            ),
            format!(
                "SpotPriceLimit 最多 3 位小数，`{text}` 有 {} 位",
                significant_decimals(text)
            ),
        );
    }
    match &context.on_demand_price {
        Some(quote) => {
            if let Some(compared) = comparable_quote(
                quote,
                "pay-as-you-go price",
                BidMust::StayUnder,
                TimeUnit::Hour,
                order,
                context,
                problems,
            ) && price > compared.amount
            {
                let (cap, currency) = (compared.amount, compared.currency);
                // A warning, not an error: no source (the RunInstances docs, the ECS SDKs' docstrings) says ECS
                // refuses a limit above the pay-as-you-go price, and spot has been observed above on-demand (534 of
                // the embedded catalog's 11,587 zone observations), where a bid at the market would be above it.
                problems.warning(
                    rule("bid.max_price", "alibaba.spot_price_limit.above_on_demand", None),
                    text,
                    format!(
                        "the maximum price {text} {currency} is above the pay-as-you-go price {cap} {currency} per hour \
                         ({}): you may pay up to it, more than on-demand; no source says ECS refuses such a limit",
                        compared.provenance_en
                    ),
                    format!(
                        "最高价格 {text} {currency} 高于按量付费价格 {cap} {currency}/小时（{}）：可能按此价格计费，高于按量付费；没有资料表明 ECS 会拒绝此出价",
                        compared.provenance_zh
                    ),
                );
            }
        }
        None => problems.warning(
            rule(
                "bid.max_price",
                "alibaba.spot_price_limit.cap_unknown",
                Some("InvalidSpotPriceLimit"),
            ),
            text,
            "the pay-as-you-go price of this type and zone is unknown, so the cap on the bid cannot be checked; \
             fetch a live price first"
                .into(),
            "该规格和可用区的按量付费价格未知，无法检查出价上限；请先获取实时价格".into(),
        ),
    }
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
        // The least bid Alibaba takes at or above it: its three decimals, rounded up (0.1234 → 0.124).
        let at_least = market
            .round_dp_with_strategy(
                crate::order::native_bid::bid_unit(crate::Cloud::Alibaba).decimals,
                rust_decimal::RoundingStrategy::AwayFromZero,
            )
            .normalize();
        problems.warning(
            rule(
                "bid.max_price",
                "alibaba.spot_price_limit.below_market",
                Some(super::answer::BID_BELOW_MARKET.code),
            ),
            text,
            format!(
                "the maximum price {text} {currency} is below the market price {market} {currency} per hour ({}): the \
                 order will fail; bid at least {at_least}",
                compared.provenance_en
            ),
            format!(
                "最高价格 {text} {currency} 低于市场价 {market} {currency}/小时（{}）：订单将失败；出价至少 {at_least}",
                compared.provenance_zh
            ),
        );
    }
}

fn check_password(password: &str, os: OsFamily, problems: &mut Problems) {
    let length = char_len(password);
    let (classes, only_allowed) = password_classes(password, PASSWORD_SPECIALS);
    let windows_slash = os == OsFamily::Windows && password.starts_with('/');
    if !(8..=30).contains(&length) || classes < 3 || !only_allowed || windows_slash {
        problems.error(
            rule(
                "login.password",
                "alibaba.password.format",
                Some("InvalidPassword.Malformed"),
            ),
            "<hidden>",
            "the password must be 8–30 characters with at least three of: upper case, lower case, digits, and \
             ()`~!@#$%^&*-_+=|{}[]:;\"<>,.?/ (a Windows password may not start with /)"
                .into(),
            "密码须为 8–30 个字符，至少包含大写字母、小写字母、数字和特殊字符 ()`~!@#$%^&*-_+=|{}[]:;\"<>,.?/ 中的三类\
             （Windows 密码不能以 / 开头）"
                .into(),
        );
    }
}

fn check_auto_release(release: &str, now: i64, problems: &mut Problems) {
    let field = "auto_release_time";
    match spotplan_time::parse_exact_utc(release) {
        None => problems.error(
            rule(
                field,
                "alibaba.auto_release_time.format",
                Some("InvalidAutoReleaseTime.Malformed"),
            ),
            release,
            format!("`{release}` is not a UTC time like 2026-12-01T08:00:00Z"),
            format!("`{release}` 不是 UTC 时间格式，例如 2026-12-01T08:00:00Z"),
        ),
        Some(at) if at < now + 30 * 60 => problems.error(
            rule(
                field,
                "alibaba.auto_release_time.too_soon",
                Some("InvalidAutoReleaseTime"),
            ),
            release,
            "the automatic release time must be at least 30 minutes from now".into(),
            "自动释放时间必须至少在 30 分钟之后".into(),
        ),
        Some(at) if at > now + 3 * 365 * 86_400 => problems.error(
            rule(
                field,
                "alibaba.auto_release_time.too_late",
                Some("InvalidAutoReleaseTime"),
            ),
            release,
            "the automatic release time must be within 3 years".into(),
            "自动释放时间必须在 3 年之内".into(),
        ),
        Some(_) => {}
    }
}
