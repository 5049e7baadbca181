//! The fleet page's words in English and Chinese, and the core's typed fleet values (plan problems, reasons,
//! interruption estimates, fleet states, why there is no auto provisioning group) in both.

use spotplan_core::api::fleets::FleetState;
use spotplan_core::clouds::alibaba::fleet::AutoProvisioningError;
use spotplan_core::display::money2;
use spotplan_core::fleet::{Excluded, FleetProblem, InterruptionEstimate, Reason, TargetUnit};

use super::Lang;

/// A piece of the fleet page's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FleetText {
    Page,
    Heading,
    Target,
    Unit,
    Strategy,
    LowestPrice,
    Diversified,
    PriceAndRisk,
    MinPools,
    MaxPerPool,
    Cap,
    Ceiling,
    CeilingShort,
    Checkpoint,
    OnDemandBase,
    OnDemandTag,
    OnDemandNote,
    BlockedAllOnDemand,
    Restart,
    Maintain,
    Name,
    InputsHeading,
    ProblemsHeading,
    SplitHeading,
    ColPool,
    ColInstances,
    ColUnits,
    ColPerUnit,
    ColHourly,
    ColWorst,
    ColRisk,
    ColJob,
    ColReason,
    Reached,
    InstancesTotal,
    Hourly,
    WorstVsCeiling,
    NoCeiling,
    Unbounded,
    JobCost,
    UnknownJob,
    Completion,
    Unknown,
    FixInputs,
    NoPools,
    JobModel,
    ChartSplit,
    ChartFrontier,
    ChartFrontierCaption,
    OrdersHeading,
    Standby,
    StandbyNote,
    Ready,
    Snippets,
    EveryOrder,
    NoSnippet,
    ApgHeading,
    CurlHeading,
    PlaceFleet,
    ConfirmHeading,
    PlanChanged,
    ShowNewPlan,
    Maintained,
    NotMaintained,
    BlockedInputs,
    BlockedPlan,
    BlockedNoPools,
    Sending,
    Replayed,
    RetryNote,
    /// After a send without an answer: Place resends that fleet as sent.
    UnsettledNote,
    DiscardUnsettled,
    LiveHeading,
    NoFleets,
    Pending,
    Replacements,
    HourlyBound,
    CostSoFar,
    Exhausted,
    Stop,
    ReleaseToo,
    StopHeading,
    StopKeeps,
    StopReleases,
    Instances,
    Running,
    BeingReclaimed,
    Reclaimed,
    Failed,
    Stopped,
    Released,
}

/// The text of a fleet key in a language.
pub fn fleet_text(lang: Lang, key: FleetText) -> &'static str {
    use FleetText::*;
    let (en, zh) = match key {
        Page => ("Fleet", "机群"),
        Heading => ("Plan a fleet", "规划机群"),
        Target => ("Target", "目标数量"),
        Unit => ("Unit", "单位"),
        Strategy => ("Strategy", "分配策略"),
        LowestPrice => ("Lowest price", "最低价格"),
        Diversified => (
            "Diversified (at least K pools, at most M each)",
            "分散（至少 K 个池，每池至多 M 台）",
        ),
        PriceAndRisk => (
            "Price and risk (expected cost with re-runs)",
            "价格与风险（计入重跑的预期费用）",
        ),
        MinPools => ("Fewest pools (K)", "最少池数（K）"),
        MaxPerPool => ("Most instances a pool (M)", "每池最多实例数（M）"),
        Cap => ("Price cap per unit-hour", "每单位小时价格上限"),
        Ceiling => ("Ceiling per hour", "每小时费用上限"),
        CeilingShort => ("ceiling", "上限"),
        Checkpoint => (
            "Checkpoint every (minutes; empty = never)",
            "检查点间隔（分钟；留空 = 从不）",
        ),
        OnDemandBase => (
            "On-demand base (units, never reclaimed)",
            "按量基础容量（单位，不会被回收）",
        ),
        OnDemandTag => ("on demand", "按量"),
        OnDemandNote => (
            "The on-demand base is pay-as-you-go: Spotplan's proxy places spot orders only, so “Place fleet” keeps the spot part and the base is yours to place (Alibaba's group request below carries it as pay-as-you-go capacity, or use the cloud's console).",
            "按量基础容量为按量付费：Spotplan 代理只提交竞价订单，因此“提交机群”只维持竞价部分，基础容量需自行创建（下方阿里云弹性供应组请求会把它作为按量容量，或使用云控制台）。",
        ),
        BlockedAllOnDemand => (
            "the whole target is the on-demand base: no spot part for the proxy to place",
            "整个目标都是按量基础容量：没有可由代理提交的竞价部分",
        ),
        Restart => ("Restart wait (minutes)", "重启等待（分钟）"),
        Maintain => (
            "Maintain the target (replace what is reclaimed, release what runs above it)",
            "维持目标（补充被回收的实例，释放超出目标的实例）",
        ),
        Name => ("Name (optional)", "名称（可选）"),
        InputsHeading => ("What the fleet needs", "机群需求"),
        ProblemsHeading => ("Why this fleet cannot be placed as it stands", "此机群暂不能提交的原因"),
        SplitHeading => ("Pools and instances", "资源池与实例分配"),
        ColPool => ("Pool", "资源池"),
        ColInstances => ("Instances", "实例"),
        ColUnits => ("Units", "单位数"),
        ColPerUnit => ("Per unit-hour", "每单位小时"),
        ColHourly => ("Per instance-hour", "每实例小时"),
        ColWorst => ("Worst per instance-hour at the bid", "按出价每实例小时最高"),
        ColRisk => ("Interruption estimate", "中断估计"),
        ColJob => ("Expected job cost", "预期作业费用"),
        ColReason => ("Why", "原因"),
        Reached => ("Units reached / target", "已达单位 / 目标"),
        InstancesTotal => ("Instances", "实例数"),
        Hourly => ("Spot cost per hour (newest prices)", "每小时竞价费用（最新价格）"),
        WorstVsCeiling => ("Worst per hour at the bids / ceiling", "按出价每小时最高 / 上限"),
        NoCeiling => ("no ceiling", "未设上限"),
        Unbounded => (
            "unbounded: a pool has no cap and no on-demand bound",
            "无上界：有资源池既无价格上限也无按量价格约束",
        ),
        JobCost => (
            "Job cost: plain / expected with reclaims",
            "作业费用：不计回收 / 计入回收的预期",
        ),
        UnknownJob => ("unknown: some pool's risk is unknown", "未知：有资源池的风险未知"),
        Completion => ("Completion, hours (p50 / p90)", "完成时间，小时（p50 / p90）"),
        Unknown => ("unknown", "未知"),
        FixInputs => (
            "Fix the inputs above to plan the fleet.",
            "请先修正上面的输入，才能规划机群。",
        ),
        NoPools => (
            "No pool is chosen: widen the Plan page's requirement or the price cap.",
            "没有选中任何资源池：请放宽规划页的需求或价格上限。",
        ),
        JobModel => (
            "How the job is estimated: each instance is reclaimed at a constant rate per hour (its pool's estimate); a reclaim loses the work since the last checkpoint (all of it when the job never checkpoints); the replacement, in the same pool at the same price, starts working after the restart minutes, which are waited but not billed. Alibaba's 30-day interruption buckets are read as the share of instances reclaimed per day (its upper bound; 25 % for 10-100 %). Reclaims Spotplan saw in a pool over the last 30 days set its rate (reclaims ÷ instance-hours run); a pool where none was seen counts only after 24 instance-hours. A pool whose risk is unknown is never taken as risk-free. Completion comes from seeded simulation runs (1,000, fewer for a large fleet; the count is shown).",
            "作业估算方法：每台实例按其资源池的估计以恒定的每小时速率被回收；一次回收会丢失自上次检查点以来的工作（从不设检查点则全部丢失）；替换实例在同一资源池、以同一价格，在重启等待（计时但不计费）之后开始工作。阿里云 30 天中断率区间按每天被回收的实例比例理解（取区间上限；10-100% 按 25%）。Spotplan 近 30 天在资源池中观察到的回收决定其速率（回收次数 ÷ 运行的实例小时）；未观察到回收的资源池需累计运行 24 实例小时后才计入。风险未知的资源池绝不当作无风险。完成时间来自固定种子的模拟（1,000 次，大机群更少；次数见结果）。",
        ),
        ChartSplit => ("Instances per pool", "各资源池的实例数"),
        ChartFrontier => (
            "Price per unit-hour against reclaims per hour",
            "每单位小时价格与每小时回收率",
        ),
        ChartFrontierCaption => (
            "Each dot is an eligible pool (the first 50 in the strategy's order); filled dots are the chosen ones. Pools whose risk is unknown sit in the grey band on the right, never at zero.",
            "每个点是一个可用资源池（按策略顺序的前 50 个）；实心点为选中的资源池。风险未知的资源池画在右侧灰色区域，绝不画在 0 处。",
        ),
        OrdersHeading => ("Orders, one per pool", "订单（每个资源池一个）"),
        Standby => ("standby", "备用"),
        StandbyNote => (
            "The chosen pools come first with their instances; then standby pools, in the strategy's order, each drafted for one instance: the proxy orders from them for shortfalls and replacements.",
            "先列出选中的资源池及其实例数；其后是按策略顺序排列的备用资源池，每个按一台实例起草：代理在数量不足或需要替换时从中下单。",
        ),
        Ready => ("passes every documented rule", "符合全部已知规则"),
        Snippets => ("Requests", "请求"),
        EveryOrder => ("Every order:", "所有订单均有："),
        NoSnippet => (
            "Fix this order's errors to see its request.",
            "请先修正此订单的错误，才能看到其请求。",
        ),
        ApgHeading => (
            "Alibaba's own fleet: CreateAutoProvisioningGroup",
            "阿里云原生机群：CreateAutoProvisioningGroup",
        ),
        CurlHeading => (
            "Place the fleet through the proxy with curl",
            "用 curl 通过代理提交机群",
        ),
        PlaceFleet => ("Place fleet", "提交机群"),
        ConfirmHeading => ("Place this fleet?", "确认提交此机群？"),
        PlanChanged => (
            "The plan changed while this was open (prices, the instances' poll or the form): Confirm is off until you look at the new one.",
            "此对话框打开期间规划已变化（价格、实例轮询或表单）：查看新规划之前无法确认。",
        ),
        ShowNewPlan => ("Show the new plan", "查看新规划"),
        Maintained => (
            "maintained: the proxy replaces reclaimed instances",
            "维持：代理会补充被回收的实例",
        ),
        NotMaintained => ("placed once: nothing is replaced", "一次性提交：不做补充"),
        BlockedInputs => ("the inputs above have problems", "上面的输入有问题"),
        BlockedPlan => (
            "the plan has problems (listed above the table)",
            "规划有问题（见表格上方）",
        ),
        BlockedNoPools => ("no pool is chosen", "没有选中的资源池"),
        Sending => ("Sending the fleet to the proxy…", "正在把机群发送给代理……"),
        Replayed => (
            "the proxy answered with the fleet this key placed before",
            "代理返回的是此幂等键之前提交的机群",
        ),
        RetryNote => (
            "Placing again sends the same idempotency key while the fleet is unchanged: the proxy never places it twice.",
            "机群不变时再次提交会使用相同的幂等键：代理不会重复提交。",
        ),
        UnsettledNote => (
            "No answer came, so the proxy may have the fleet already: Place resends it exactly as it was sent, under \
             the same key (never a second fleet), however the plan moved since. Check the Fleets list below.",
            "未收到应答，代理可能已收到该机群：再次提交会以相同幂等键、按原样重发（不会产生第二个机群），无论方案之后如何变化。请查看下方机群列表。",
        ),
        DiscardUnsettled => (
            "It is not in the Fleets list: discard it (a new key for the next fleet)",
            "机群列表中没有它：放弃（下一个机群使用新的幂等键）",
        ),
        LiveHeading => ("Fleets", "机群状态"),
        NoFleets => ("No fleets yet.", "暂无机群。"),
        Pending => ("pending", "待启动"),
        Replacements => ("replacements", "替换次数"),
        HourlyBound => ("at most per hour", "每小时上限"),
        CostSoFar => ("cost so far (at most)", "已产生费用（上限）"),
        Exhausted => ("pools out of stock", "已售罄的资源池"),
        Stop => ("Stop", "停止"),
        ReleaseToo => ("release its instances", "同时释放其实例"),
        StopHeading => ("Stop this fleet?", "确认停止此机群？"),
        StopKeeps => (
            "The proxy stops maintaining it; its instances keep running.",
            "代理将停止维持它；其实例继续运行。",
        ),
        StopReleases => (
            "The proxy stops maintaining it and releases its instances.",
            "代理将停止维持它并释放其实例。",
        ),
        Instances => ("instances", "实例"),
        Running => ("running", "运行中"),
        BeingReclaimed => ("being reclaimed", "即将回收"),
        Reclaimed => ("reclaimed", "已回收"),
        Failed => ("failed", "失败"),
        Stopped => ("stopped", "已停止"),
        Released => ("released", "已释放"),
    };
    match lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

/// A target unit's name.
pub fn unit_name(lang: Lang, unit: TargetUnit) -> &'static str {
    match (lang, unit) {
        (Lang::En, TargetUnit::Instances) => "instances",
        (Lang::En, TargetUnit::Vcpus) => "vCPUs",
        (Lang::En, TargetUnit::MemoryGib) => "GiB of memory",
        (Lang::Zh, TargetUnit::Instances) => "台实例",
        (Lang::Zh, TargetUnit::Vcpus) => "个 vCPU",
        (Lang::Zh, TargetUnit::MemoryGib) => "GiB 内存",
    }
}

/// A plan problem (its field first, as the core writes it).
pub fn fleet_problem(lang: Lang, problem: &FleetProblem) -> String {
    match (lang, problem) {
        (Lang::En, problem) => problem.to_string(),
        (Lang::Zh, FleetProblem::EmptyTarget) => "target：机群至少需要 1 个单位（当前为 0）".into(),
        (Lang::Zh, FleetProblem::Shortfall { target, reached, limit }) => {
            let limit = match limit {
                spotplan_core::fleet::ShortfallLimit::PerPool { max } => format!("每个资源池至多 {max} 台实例"),
                spotplan_core::fleet::ShortfallLimit::NoEligiblePool => "可用资源池不足".to_owned(),
            };
            format!("target：可用资源池只能达到 {reached} / {target} 个单位（{limit}）")
        }
        (Lang::Zh, FleetProblem::TooFewPools { wanted, found }) => {
            format!("min_pools：分散策略要求 {wanted} 个资源池，只有 {found} 个可用")
        }
        (Lang::Zh, FleetProblem::OverCeiling { worst, ceiling }) => format!(
            "ceiling_per_hour：按出价计，机群每小时最高可能花费 {}，超过上限 {}",
            spotplan_core::display::max_money2(*worst),
            money2(*ceiling)
        ),
        (Lang::Zh, FleetProblem::CeilingUncheckable { pool }) => {
            format!(
                "ceiling_per_hour：{} 既无价格上限也无按量价格约束；请设置每单位价格上限以检查费用上限",
                pool_name(lang, pool)
            )
        }
        (Lang::Zh, FleetProblem::Money(message)) => format!("price_cap_per_unit：{message}"),
        (Lang::Zh, FleetProblem::NoOnDemandPool) => "on_demand_base：没有符合条件的资源池有按量价格".into(),
        (Lang::Zh, FleetProblem::BaseAboveTarget { base, target }) => {
            format!("on_demand_base：基础容量 {base} 个单位超过目标 {target}")
        }
    }
}

/// Why a pool was chosen.
pub fn reason(lang: Lang, reason: &Reason) -> String {
    match (lang, reason) {
        (Lang::En, reason) => reason.to_string(),
        (Lang::Zh, Reason::Cheapest { rank: 1 }) => "每单位最便宜".into(),
        (Lang::Zh, Reason::Cheapest { rank }) => format!("每单位第 {rank} 便宜（更便宜的资源池已满）"),
        (Lang::Zh, Reason::Spread { rank, pools }) => format!("每单位第 {rank} 便宜，分散到 {pools} 个资源池"),
        (Lang::Zh, Reason::LowestExpectedCost { rank, rerun_factor }) => {
            format!("计入重跑后的预期费用第 {rank} 低（为不计回收时长的 ×{rerun_factor:.3}）")
        }
        (Lang::Zh, Reason::OnDemandBase) => "按量基础容量：每单位按量价格最低，不会被回收".into(),
        (Lang::Zh, Reason::UnknownRiskAfterKnown { rank }) => {
            format!("第 {rank}：风险未知，排在所有风险已知的资源池之后")
        }
    }
}

/// An interruption estimate in words.
pub fn risk(lang: Lang, estimate: &InterruptionEstimate) -> String {
    match (lang, estimate) {
        (Lang::En, estimate) => estimate.describe(),
        (Lang::Zh, InterruptionEstimate::AlibabaBucket { bucket }) => {
            format!("每天 {}（阿里云 30 天区间）", bucket.label())
        }
        (
            Lang::Zh,
            InterruptionEstimate::Seen {
                reclaims,
                instance_hours,
            },
        ) => {
            let hours = instance_hours.round_dp(1).normalize();
            if estimate.hazard_per_hour().is_none() {
                format!("未知：只观察了 {hours} 实例小时")
            } else {
                format!("观察 {hours} 实例小时内回收 {reclaims} 次")
            }
        }
        (
            Lang::Zh,
            InterruptionEstimate::PriceHistory {
                probability, windows, ..
            },
        ) => format!(
            "作业期间因价格被回收的概率 {}%（{windows} 个价格历史窗口）",
            spotplan_core::display::percent1(*probability * rust_decimal::Decimal::from(100))
        ),
        (Lang::Zh, InterruptionEstimate::NotReclaimed) => "按量：不会被回收".into(),
        (Lang::Zh, InterruptionEstimate::Unknown) => "未知".into(),
    }
}

/// Why there is no `CreateAutoProvisioningGroup` request.
pub fn no_auto_provisioning(lang: Lang, error: &AutoProvisioningError) -> String {
    let why = match (lang, error) {
        (Lang::En, error) => error.to_string(),
        (Lang::Zh, AutoProvisioningError::NotAlibabaOnly(cloud)) => {
            format!("机群包含 {cloud} 的资源池：CreateAutoProvisioningGroup 是阿里云的接口，只适用于纯阿里云机群")
        }
        (Lang::Zh, AutoProvisioningError::SeveralRegions(regions)) => {
            format!("机群跨越多个地域 {regions}：弹性供应组只能在一个地域内")
        }
        (Lang::Zh, AutoProvisioningError::NoMaxPrice) => {
            "price_cap_per_unit：给出模板配置后 LaunchTemplateConfig.N.MaxPrice 为必填（SDK 7.11.8 文档）；请设置价格上限".into()
        }
        (Lang::Zh, AutoProvisioningError::Empty) => "规划中没有资源池".into(),
    };
    match lang {
        Lang::En => format!("No CreateAutoProvisioningGroup request: {why}."),
        Lang::Zh => format!("没有 CreateAutoProvisioningGroup 请求：{why}。"),
    }
}

/// A fleet's state.
pub fn state_word(lang: Lang, state: FleetState) -> &'static str {
    match (lang, state) {
        (Lang::En, state) => state.id(),
        (Lang::Zh, FleetState::Placing) => "提交中",
        (Lang::Zh, FleetState::Maintaining) => "维持中",
        (Lang::Zh, FleetState::Placed) => "已提交",
        (Lang::Zh, FleetState::Stalled) => "受阻",
        (Lang::Zh, FleetState::Stopped) => "已停止",
    }
}

/// What the plan left out, in one line.
pub fn excluded_line(lang: Lang, matched: usize, eligible: usize, excluded: &Excluded) -> String {
    match lang {
        Lang::En => format!(
            "{matched} pools match the requirement, {eligible} eligible; left out: {} without a spot price, {} over the price cap, {} sold out, {} weighing no whole unit.",
            excluded.unpriced, excluded.over_cap, excluded.sold_out, excluded.no_whole_unit
        ),
        Lang::Zh => format!(
            "{matched} 个资源池符合需求，{eligible} 个可用；排除：{} 个无竞价价格，{} 个超过价格上限，{} 个已售罄，{} 个不足一个完整单位。",
            excluded.unpriced, excluded.over_cap, excluded.sold_out, excluded.no_whole_unit
        ),
    }
}

/// Orders with errors block placing: how many, and the first one's pool and error.
pub fn orders_block(lang: Lang, with_errors: usize, orders: usize, pool: &str, first: &str) -> String {
    match lang {
        Lang::En => format!("{with_errors} of {orders} orders have errors; the first, for {pool}: {first}"),
        Lang::Zh => format!("{orders} 个订单中有 {with_errors} 个有错误；第一个（{pool}）：{first}"),
    }
}

/// A pool for people: `alibaba ecs.c7.large in cn-hangzhou-k`, `alibaba ecs.c7.large（cn-hangzhou-k）`.
pub fn pool_name(lang: Lang, pool: &spotplan_core::catalog::OfferKey) -> String {
    match lang {
        Lang::En => pool.to_string(),
        Lang::Zh => format!(
            "{} {}（{}）",
            pool.cloud.id(),
            pool.instance_type,
            pool.zone.as_deref().unwrap_or(&pool.region)
        ),
    }
}

/// The proxy holds no credentials for a cloud the fleet uses.
pub fn no_credentials(lang: Lang, cloud: &str) -> String {
    match lang {
        Lang::En => format!("the proxy has no credentials for {cloud}"),
        Lang::Zh => format!("代理没有 {cloud} 的凭证"),
    }
}

/// One subnet given to several zones.
pub fn shared_subnet(lang: Lang, subnet: &str, zones: &[String]) -> String {
    match lang {
        Lang::En => format!(
            "network.subnet_id: {subnet} is given to zones {}: a subnet (vSwitch) lives in one zone; choose an offer in each zone on the Plan page and give it that zone's own (a subnet is remembered per zone)",
            zones.join(", ")
        ),
        Lang::Zh => format!(
            "network.subnet_id：{subnet} 被用于可用区 {}：子网（交换机）只属于一个可用区；请在规划页为各可用区的报价分别设置（子网按可用区记忆）",
            zones.join("、")
        ),
    }
}

/// The confirmation's summary.
pub fn confirm_summary(lang: Lang, target: &str, instances: u32, pools: usize, worst: &str, ceiling: &str) -> String {
    match lang {
        Lang::En => format!(
            "Target {target}: {instances} instances in {pools} pools. At most {worst} per hour at the bids (ceiling: {ceiling})."
        ),
        Lang::Zh => format!(
            "目标 {target}：{instances} 台实例，分布在 {pools} 个资源池。按出价每小时最多 {worst}（上限：{ceiling}）。"
        ),
    }
}

/// The confirmation when the last send had no answer: what is sent again is that fleet, not the form now.
pub fn resend_summary(
    lang: Lang,
    target: &str,
    instances: u32,
    pools: usize,
    ceiling: &str,
    maintained: bool,
) -> String {
    match lang {
        Lang::En => format!(
            "No answer came for the last send, so Confirm sends that fleet again under its key — target {target}: \
             {instances} instances in {pools} pools, ceiling {ceiling}, {} — not the form as it stands now.",
            if maintained { "maintained" } else { "not maintained" }
        ),
        Lang::Zh => format!(
            "上次发送没有收到回应，因此“确认”会以同一幂等键重发那个机群——目标 {target}：{instances} 台实例，分布在 {pools} \
             个资源池，上限 {ceiling}，{}——而不是表单当前的内容。",
            if maintained { "保持规模" } else { "不保持规模" }
        ),
    }
}

/// The proxy's answer to a placed fleet.
pub fn placed(lang: Lang, id: &str, state: FleetState) -> String {
    match lang {
        Lang::En => format!("Fleet {id} placed: {}.", state_word(lang, state)),
        Lang::Zh => format!("机群 {id} 已提交：{}。", state_word(lang, state)),
    }
}

/// Where the pools come from: the Plan page's requirement.
pub fn pools_from(lang: Lang, summary: &str) -> String {
    match lang {
        Lang::En => format!("Pools: every offer matching the Plan page's requirement ({summary}); change it there."),
        Lang::Zh => format!("资源池：符合规划页需求的全部报价（{summary}）；请在规划页修改。"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spotplan_core::{Currency, Money};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_fleets_worst_over_its_ceiling_is_never_shown_at_or_below_the_ceiling() {
        let cny = |text| Money::parse(text, Currency::Cny).unwrap();
        let problem = FleetProblem::OverCeiling {
            worst: cny("10.004"),
            ceiling: cny("10"),
        };
        let zh = fleet_problem(Lang::Zh, &problem);
        assert!(zh.contains("最高可能花费 ¥10.01，超过上限 ¥10.00"), "{zh}");
    }
}
