//! Baidu BCC `POST /v2/instance/bid` rules: Baidu's "Create spot instances" API reference
//! (https://intl.cloud.baidu.com/en/doc/BCC/s/Lk5eof6mj-intl-en, updated 2025-10-20) and the `create_instance_of_bid`
//! docstring in `baidubce/services/bcc/bcc_client.py` of the PyPI package bce-python-sdk 0.9.79. Baidu's errors are
//! `BadRequest` with a message; the message is the code.

use crate::TimeUnit;
use crate::order::ValidationContext;
use crate::order::checks::{char_len, is_printable_ascii};
use crate::order::model::{BidMode, SpotOrder};
use crate::order::problem::{Problems, rule};
use crate::order::shared_rules::{BidMust, comparable_quote, hostname_problem, undocumented_bid_precision};

/// Where each Baidu rule comes from, by rule id: the seed (Baidu's "Create spot instances" API reference, request
/// parameters and error table) and the bce-python-sdk 0.9.79 `create_instance_of_bid` docstring. Every error-level
/// rule has an entry.
pub(crate) const SOURCES: &[(&str, &str)] = &[
    (
        "baidu.zone.in_region",
        "Baidu \"Create spot instances\" (seed), zoneName: \"lowercase country-region-availability zone sequence\", e.g. cn-bj-a",
    ),
    (
        "baidu.bid_price.above_market",
        "Baidu \"Create spot instances\" (seed), bidPrice: \"if your bid is lower than the market price, creation will be rejected\" (compared with a market figure of unconfirmed unit, so a warning)",
    ),
    (
        "baidu.bid_price.currency",
        "Baidu \"Create spot instances\" (seed, international edition), bidPrice: \"Specify the price in RMB/minute\"; that an account pays in its site's currency is our reading (Alibaba documents it: alibabacloud-ecs20140526 7.11.8 DescribePrice Currency)",
    ),
    (
        "baidu.isomerism_card.for_gpu_spec",
        "Baidu \"Create spot instances\" (seed), isomerismCard: \"Information about heterogeneous cards to be carried \
         by the instance to be created\"",
    ),
    (
        "baidu.root_disk.range",
        "Baidu \"Create spot instances\" (seed), rootDiskSizeInGb: \"a range of [40 to 2,048]GB\"",
    ),
    (
        "baidu.network_capacity.range",
        "Baidu \"Create spot instances\" (seed), networkCapacityInMbps: \"an integer from 0 to 200\"; bce-python-sdk 0.9.79 docstring: \"It must among 0 and 200\"",
    ),
    (
        "baidu.name.format",
        "Baidu \"Create spot instances\" (seed), name: letters, numbers, Chinese characters and -_/, \"starting with a letter and a length of 1-65\"",
    ),
    (
        "baidu.hostname.format",
        "Baidu \"Create spot instances\" (seed), hostname: lower-case letters, numbers and -_/, starting with a letter, 2-64, no consecutive, leading or trailing specials; bce-python-sdk 0.9.79 docstring allows - and . (refused only where both refuse)",
    ),
    (
        "baidu.admin_pass.format",
        "Baidu \"Create spot instances\" (seed), adminPass: \"8-16 characters; it must contain English letters, numbers, and symbols (limited to !@#$%^*()) simultaneously\"",
    ),
    (
        "baidu.client_token.format",
        "Baidu \"Create spot instances\" (seed), clientToken: \"an ASCII string with a length not exceeding 64\"",
    ),
    (
        "baidu.shape.required",
        "Baidu \"Create spot instances\" (seed), request parameters: cpuCount and memoryCapacityInGB are required",
    ),
    (
        "baidu.shape.valid_pair",
        "Baidu \"Create spot instances\" (seed), cpuCount and memoryCapacityInGB (positive integers) and error Instance.InvalidateConfiguration",
    ),
    (
        "baidu.shape.matches_spec",
        "Baidu \"Create spot instances\" (seed), error Instance.InvalidateConfiguration; that a spec named c<N>m<N> has N vCPUs and N GB is Spotplan's reading (so a warning)",
    ),
];

const PASSWORD_SPECIALS: &str = "!@#$%^*()";

/// Checks the order; returns the CPU count and memory (GB) the request will carry.
pub(crate) fn check(order: &SpotOrder, context: &ValidationContext, problems: &mut Problems) -> (u32, u32) {
    let shape = check_shape(order, problems);
    // zoneName is "country-region-availability zone sequence", e.g. `cn-bj-a` for region `bj` (Create spot instances,
    // request parameters): a zone whose middle part is another region is not in this one.
    if let Some(zone) = &order.zone
        && zone.split('-').nth(1) != Some(order.region.as_str())
    {
        problems.error(
            rule("zone", "baidu.zone.in_region", None),
            zone,
            format!(
                "zone {zone} is not in region {} (Baidu zones are country-region-letter, e.g. cn-{}-a)",
                order.region, order.region
            ),
            format!(
                "可用区 {zone} 不属于地域 {}（百度智能云可用区为 国家-地域-字母，例如 cn-{}-a）",
                order.region, order.region
            ),
        );
    }
    undocumented_bid_precision(
        order,
        "baidu.bid_price.decimals",
        "bidPrice",
        super::BID_DECIMALS,
        problems,
    );
    if let (BidMode::Limit, Some(bid)) = (order.bid.mode, order.bid.max_price)
        && let (text, price) = (bid.to_string(), bid.amount())
        && let text = text.as_str()
        && let Some(quote) = &context.market_price
        && let Some(compared) = comparable_quote(
            quote,
            "market price",
            BidMust::Reach,
            TimeUnit::Minute,
            order,
            context,
            problems,
        )
        && price <= compared.amount
    {
        let (market, currency) = (compared.amount, compared.currency);
        // A warning until the unit is confirmed: Baidu refuses a bid not above the market (the seed's error table),
        // but the market price compared with is `bidPrice`'s `perMoney` read as the account's currency per minute,
        // a unit no source states.
        problems.warning(
            rule(
                "bid.max_price",
                "baidu.bid_price.above_market",
                Some(BID_BELOW_MARKET_SHOWN),
            ),
            text,
            format!(
                "bidPrice {text} {currency}/minute is not above the market price {market} {currency}/minute ({}), if \
                 Baidu's `perMoney` is per minute as Spotplan reads it (no source states its unit): Baidu refuses a \
                 bid not above the market",
                compared.provenance_en
            ),
            format!(
                "出价 {text} {currency}/分钟不高于市场价 {market} {currency}/分钟（{}）——前提是百度的 perMoney 按分钟计（没有资料说明其单位）：百度会拒绝不高于市场价的出价",
                compared.provenance_zh
            ),
        );
    }
    if order.bid.mode == BidMode::Limit && order.account_currency != crate::Currency::Cny {
        // The seed's international edition gives bidPrice "in RMB/minute"; Spotplan sends the account's currency,
        // the safer reading (a dollar figure read as yuan is a bid 7× too low, never 7× too high).
        let currency = order.account_currency.code();
        problems.warning(
            rule("bid.max_price", "baidu.bid_price.currency", None),
            currency,
            format!(
                "Baidu's spot API reference gives bidPrice \"in RMB/minute\", even in its international edition; \
                 Spotplan sends the bid in the account's currency ({currency}): if Baidu reads it as RMB, the bid is \
                 lower than meant and may not be filled"
            ),
            format!(
                "百度竞价实例 API 文档（含国际版）写明 bidPrice 以“人民币/分钟”计；Spotplan 按账户币种（{currency}）发送出价：若百度按人民币解读，出价会低于预期，可能无法成交"
            ),
        );
    }
    if let Some(disk) = &order.system_disk
        && let Some(size) = disk.size_gb
        && !(40..=2048).contains(&size)
    {
        problems.error(
            rule(
                "system_disk.size_gb",
                "baidu.root_disk.range",
                Some("Instance.InsufficientRootDiskSize"),
            ),
            size.to_string(),
            format!("rootDiskSizeInGb must be 40–2048, not {size}"),
            format!("系统盘大小（rootDiskSizeInGb）必须为 40–2048 GB，当前为 {size}"),
        );
    }
    if let Some(bandwidth) = order.network.bandwidth_mbps
        && bandwidth > 200
    {
        problems.error(
            rule(
                "network.bandwidth_mbps",
                "baidu.network_capacity.range",
                Some("BadRequest"),
            ),
            bandwidth.to_string(),
            format!("networkCapacityInMbps must be 0–200, not {bandwidth}"),
            format!("公网带宽（networkCapacityInMbps）必须为 0–200 Mbps，当前为 {bandwidth}"),
        );
    }
    if let Some(name) = &order.name {
        let length = char_len(name);
        let starts_with_letter = name.chars().next().is_some_and(|c| c.is_alphabetic());
        let allowed = name.chars().all(|c| c.is_alphanumeric() || "-_/.".contains(c));
        if !(1..=65).contains(&length) || !starts_with_letter || !allowed {
            problems.error(
                rule("name", "baidu.name.format", Some("BadRequest")),
                name,
                "the name must be 1–65 characters of letters, digits, Chinese characters and - _ / ., starting with a \
                 letter"
                    .into(),
                "名称须为 1–65 个字符，可含字母、数字、中文及 - _ / .，并以字母开头".into(),
            );
        }
    }
    if let Some(hostname) = &order.hostname {
        // Refused only where both sources refuse: the seed (Create spot instances, `hostname`) allows lower-case
        // letters, digits and `-_/`, the SDK docstring (bce-python-sdk, `create_instance_of_bid`) `-` and `.`.
        let problem = hostname_problem(
            hostname,
            64,
            |c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_/.".contains(c),
            &['-', '_', '/', '.'],
        )
        .or_else(|| {
            (!hostname.starts_with(|c: char| c.is_ascii_lowercase())).then(|| {
                (
                    "the host name must start with a lower-case letter".to_owned(),
                    "主机名必须以小写字母开头".to_owned(),
                )
            })
        });
        if let Some((en, zh)) = problem {
            problems.error(
                rule("hostname", "baidu.hostname.format", Some("BadRequest")),
                hostname,
                en,
                zh,
            );
        }
    }
    if let Some(password) = &order.login.password {
        let length = char_len(password);
        let letter = password.chars().any(|c| c.is_ascii_alphabetic());
        let digit = password.chars().any(|c| c.is_ascii_digit());
        let special = password.chars().any(|c| PASSWORD_SPECIALS.contains(c));
        let only_allowed = password
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || PASSWORD_SPECIALS.contains(c));
        if !(8..=16).contains(&length) || !letter || !digit || !special || !only_allowed {
            problems.error(
                rule("login.password", "baidu.admin_pass.format", Some("BadRequest")),
                "<hidden>",
                "adminPass must be 8–16 characters with letters, digits and at least one of !@#$%^*() (and no other \
                 characters)"
                    .into(),
                "adminPass 须为 8–16 个字符，同时包含字母、数字和 !@#$%^*() 中的至少一个符号（不能含其他字符）".into(),
            );
        }
    }
    if let Some(token) = &order.client_token
        // "an ASCII string with a length not exceeding 64" (Create spot instances, request parameters): 64 is allowed.
        && (token.len() > 64 || !is_printable_ascii(token) || token.is_empty())
    {
        problems.error(
            rule("client_token", "baidu.client_token.format", Some("BadRequest")),
            token,
            "the client token must be printable ASCII of at most 64 characters".into(),
            "clientToken 必须是不超过 64 个字符的可打印 ASCII".into(),
        );
    }
    if order.dry_run {
        problems.warning(
            rule("dry_run", "baidu.dry_run.unsupported", None),
            "true",
            "Baidu has no dry run: a dry run checks the order locally and sends nothing".into(),
            "百度智能云没有预检（dry run）：预检只在本地校验订单，不会发送请求".into(),
        );
    }
    for (field, set) in [
        ("min_count", order.min_count.is_some()),
        ("bid.spot_duration_hours", order.bid.spot_duration_hours.is_some()),
        ("auto_release_time", order.auto_release_time.is_some()),
        ("bid.interruption_behavior", order.bid.interruption_behavior.is_some()),
        // The bid order takes a subnet (`subnetId`), which implies its VPC; the VPC itself is not a field.
        ("network.vpc_id", order.network.vpc_id.is_some()),
    ] {
        if set {
            problems.warning(
                rule(field, "baidu.field.unsupported", None),
                "",
                format!("{field} is not a Baidu setting; it is not sent"),
                format!("{field} 不是百度智能云的设置，不会发送"),
            );
        }
    }
    shape
}

/// cpuCount and memoryCapacityInGB: given, or read from a `bcc.<family>.c<cpu>m<mem>` spec; they must agree.
fn check_shape(order: &SpotOrder, problems: &mut Problems) -> (u32, u32) {
    let shape = order.baidu.clone().unwrap_or_default();
    let from_spec = shape.spec.as_deref().and_then(spec_shape);
    // No source fixes the spec's form: a spec Spotplan cannot read is a warning (its size is then taken from
    // cpuCount and memoryCapacityInGB, which are required below when it cannot be read).
    if let (Some(spec), None) = (&shape.spec, from_spec) {
        problems.warning(
            rule("baidu.spec", "baidu.spec.format", None),
            spec,
            format!(
                "spec `{spec}` does not follow bcc.<family>.c<vCPU>m<GB> (e.g. bcc.g5.c2m8), so Spotplan cannot \
                 check it against cpuCount and memoryCapacityInGB"
            ),
            format!("规格 `{spec}` 不符合 bcc.<系列>.c<核数>m<内存GB> 格式（例如 bcc.g5.c2m8），无法与 cpuCount 和 memoryCapacityInGB 核对"),
        );
    }
    // A fourth part names the cards (`bcc.lgn1.c12m40.1p40`: one P40), as the catalog reads Baidu's spec names.
    if let Some(spec) = &shape.spec
        && spec.split('.').count() >= 4
        && shape
            .isomerism_card
            .as_deref()
            .is_none_or(|card| card.trim().is_empty())
    {
        problems.warning(
            rule("baidu.isomerism_card", "baidu.isomerism_card.for_gpu_spec", None),
            spec,
            format!(
                "`{spec}` names GPU or FPGA cards; Baidu's isomerismCard carries \"information about heterogeneous \
                 cards\" for such instances: give the card type Baidu lists for this spec"
            ),
            format!(
                "`{spec}` 含 GPU/FPGA 卡；百度的 isomerismCard 用于此类实例的异构卡信息：请填写百度为该规格列出的卡型"
            ),
        );
    }
    let cpu = shape.cpu_count.or(from_spec.map(|(cpu, _)| cpu));
    let memory = shape.memory_gb.or(from_spec.map(|(_, memory)| memory));
    let (Some(cpu), Some(memory)) = (cpu, memory) else {
        problems.error(
            rule(
                "baidu.cpu_count",
                "baidu.shape.required",
                Some("Instance.InvalidateConfiguration"),
            ),
            "",
            "Baidu needs cpuCount and memoryCapacityInGB (or a spec such as bcc.g5.c2m8 to read them from)".into(),
            "百度智能云需要 cpuCount 和 memoryCapacityInGB（或可从中读取的规格，如 bcc.g5.c2m8）".into(),
        );
        return (0, 0);
    };
    if let Some((spec_cpu, spec_memory)) = from_spec
        && (spec_cpu, spec_memory) != (cpu, memory)
    {
        // A warning: that `c2m8` means 2 vCPUs and 8 GB is Spotplan's reading of the name, not a source's.
        problems.warning(
            rule("baidu.memory_gb", "baidu.shape.matches_spec", Some("Instance.InvalidateConfiguration")),
            format!("{cpu} vCPU / {memory} GB"),
            format!(
                "cpuCount {cpu} and memoryCapacityInGB {memory} differ from the {spec_cpu} vCPU / {spec_memory} GB \
                 the spec's name reads as: Baidu refuses a configuration that is not the spec's"
            ),
            format!("cpuCount {cpu} 和 memoryCapacityInGB {memory} 与规格名称所示的 {spec_cpu} 核 / {spec_memory} GB 不符：百度会拒绝与规格不符的配置"),
        );
    }
    if cpu == 0 || memory == 0 {
        problems.error(
            rule(
                "baidu.memory_gb",
                "baidu.shape.valid_pair",
                Some("Instance.InvalidateConfiguration"),
            ),
            format!("{cpu} vCPU / {memory} GB"),
            format!("{cpu} vCPU with {memory} GB is not a machine: both must be positive"),
            format!("{cpu} 核 {memory} GB 不是有效配置：两者都必须为正数"),
        );
    } else if memory < cpu / 2 {
        // No source states a minimum memory per vCPU: a warning that names the doubt.
        problems.warning(
            rule("baidu.memory_gb", "baidu.shape.memory_per_vcpu", None),
            format!("{cpu} vCPU / {memory} GB"),
            format!(
                "{cpu} vCPU with {memory} GB is less than 0.5 GB per vCPU, smaller than any Baidu spec Spotplan \
                 knows; no source states the limit, so it is not refused"
            ),
            format!(
                "{cpu} 核 {memory} GB 每核不足 0.5 GB，小于 Spotplan 已知的任何百度规格；没有资料说明此限制，因此不拒绝"
            ),
        );
    }
    (cpu, memory)
}

/// `bcc.g5.c2m8` → (2, 8); `bcc.hgn5IB.c116m978.8A100-80g` → (116, 978).
fn spec_shape(spec: &str) -> Option<(u32, u32)> {
    let size = spec.strip_prefix("bcc.")?.split('.').nth(1)?;
    let (cpu, memory) = size.strip_prefix('c')?.split_once('m')?;
    Some((cpu.parse().ok()?, memory.parse().ok()?))
}

/// Baidu's refusal of a low bid as the rules show it: code and message (see [`super::answer::BID_BELOW_MARKET`]).
const BID_BELOW_MARKET_SHOWN: &str = "BadRequest: bid price should be greater than market price";

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_low_bid_rule_names_the_documented_refusal() {
        let documented = super::super::answer::BID_BELOW_MARKET;
        assert_eq!(
            super::BID_BELOW_MARKET_SHOWN,
            format!("{}: {}", documented.code, documented.message.trim_end_matches('.'))
        );
    }
}
