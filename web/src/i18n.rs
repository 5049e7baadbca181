//! The UI's words in English and Chinese. Every visible string goes through [`text`], so switching the language
//! switches everything, validation messages included (the core writes those in both languages).

pub mod fleet;
pub mod proxy;
pub mod resources;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use spotplan_core::advice::NoAdvice;
use spotplan_core::plan::UnknownPrice;

/// The UI language.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// 简体中文.
    Zh,
}

impl Lang {
    /// The `lang` attribute value.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }
}

/// A piece of UI text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Tagline,
    Language,
    PlanPage,
    OrdersPage,
    /// The instances page's tab.
    InstancesPage,
    /// The instances page heading.
    InstancesHeading,
    /// No instances yet.
    NoInstances,
    /// How many instances that ended over a day ago the table leaves out (a count follows).
    EndedEarlierHidden,
    /// The same, in team mode: the count is everyone's.
    EndedEarlierHiddenEveryone,
    /// Show the instances that ended over a day ago.
    ShowEndedEarlier,
    /// Leave the instances that ended over a day ago out again.
    HideEndedEarlier,
    /// Column: state.
    ColState,
    /// Column: cost so far.
    CostSoFar,
    /// Column: at most per hour.
    AtMostPerHour,
    /// Column: running since.
    RunningSince,
    /// Column: reclaim countdown or reason.
    Notes,
    /// Column: last checked.
    LastChecked,
    /// Release one instance.
    Release,
    /// Release an order's instances.
    ReleaseOrder,
    /// Release everything.
    ReleaseAll,
    /// "Release all" for a signed-in person: their own instances only.
    ReleaseAllMine,
    /// The release confirmation heading.
    ReleaseHeading,
    /// The release confirmation body.
    ReleaseBody,
    /// Before a reclaim countdown.
    ReclaimIn,
    /// The release outcome heading.
    ReleaseResult,
    /// Release option: force.
    ReleaseForce,
    /// Release option: data disks and EIP.
    ReleaseDisks,
    /// The watch form's heading.
    WatchHeading,
    /// The instances page's group of instances watched by id (started elsewhere).
    WatchedGroup,
    /// The watch form's ids field.
    WatchIds,
    /// The watch button.
    Watch,
    /// The discover button.
    Discover,
    CompareHeading,
    VcpuFrom,
    VcpuTo,
    MemoryFrom,
    MemoryTo,
    Instances,
    Hours,
    Where,
    Anywhere,
    MainlandChina,
    OutsideChina,
    MaxInterruption,
    SortBy,
    SortCost,
    SortVcpu,
    SortSavings,
    SortRisk,
    Choose,
    BidHeading,
    NoOfferSelected,
    BidMode,
    BidMarket,
    BidLimit,
    MaxPrice,
    NativeValue,
    /// The account site select.
    AccountSite,
    /// The China site option.
    ChinaSite,
    /// The international site option.
    InternationalSite,
    /// Before the source of a proxy-set site.
    SiteSetByProxy,
    Recommended,
    LaunchDetails,
    ImageId,
    /// The image's operating system.
    OsFamily,
    Vpc,
    Subnet,
    SecurityGroup,
    SystemDiskGb,
    KeyPair,
    /// The Baidu GPU card field.
    GpuCard,
    Password,
    InstanceName,
    Hostname,
    DataDisksGb,
    Regions,
    UnknownRegions,
    BestOfEachCloud,
    Tags,
    UserData,
    Problems,
    NoProblems,
    RequestHeading,
    Copy,
    Copied,
    DownloadJson,
    DryRun,
    PlaceOrder,
    ConfirmHeading,
    ConfirmBody,
    Confirm,
    Cancel,
    Sending,
    ProxyOffline,
    SignInToSubmit,
    NoCredentials,
    Result,
    Retry,
    RetryUnknown,
    /// The orders page's button on an unknown order.
    LookUp,
    /// What a lookup that found nothing says.
    LookUpNoneFound,
    /// What a lookup that found the order's instances says (before their count).
    LookUpFound,
    RetryDryRun,
    PlacedNote,
    NewOrder,
    NotLoggedYet,
    OrdersHeading,
    NoOrders,
    Refresh,
    Status,
    Created,
    ColCloud,
    ColRegion,
    ColType,
    ColSpotNative,
    ColSpotDisplay,
    ColPerVcpu,
    ColOnDemand,
    ColSavings,
    ColExpected,
    ColWorst,
    ColBid,
    ColSource,
    ExportCsv,
    FilterOffers,
    MaxCostPerHour,
    MarketBidShort,
    InstanceWord,
    ColTotalShort,
    ColSavingsShort,
    ReverseOrder,
    Columns,
    Clouds,
    GpuMin,
    GpuModel,
    Arch,
    AnyArch,
    NoMatch,
    Unknown,
    RankedOffers,
    Zone,
    Currency,
    PriceUnit,
    CnyPerUsd,
    ProxyHeading,
    CheckingProxy,
    ProxyUnreachable,
    ProxyNotSignedIn,
    /// The sign-in form sent with its field empty.
    SignInEmpty,
    /// The sign-in form's field.
    SignInToken,
    /// The sign-in form's button.
    SignIn,
    ProxyConnected,
    CredsConfigured,
    CredsMissing,
    CostOverTime,
    PriceData,
    SnapshotNote,
    ChartsHeading,
    FixErrorsFirst,
    InstanceIds,
    OrderId,
    RequestId,
    Region,
    CloudWord,
    /// Column (team mode): who placed an order or instance.
    PlacedBy,
    /// The person filter's label (team mode).
    Person,
    /// The person filter's option that shows every row.
    Everyone,
}

/// The text of a key in a language.
pub fn text(lang: Lang, key: Key) -> &'static str {
    use Key::*;
    match (lang, key) {
        (Lang::En, Tagline) => {
            "Plan and place spot bids on Alibaba Cloud ECS, Tencent Cloud CVM and Baidu AI Cloud BCC."
        }
        (Lang::Zh, Tagline) => "在阿里云 ECS、腾讯云 CVM 和百度智能云 BCC 上规划并提交抢占式（竞价）实例出价。",
        (Lang::En, Language) => "Language",
        (Lang::Zh, Language) => "语言",
        (Lang::En, PlanPage) => "Plan",
        (Lang::Zh, PlanPage) => "规划",
        (Lang::En, OrdersPage) => "Orders",
        (Lang::Zh, OrdersPage) => "订单",
        (Lang::En, InstancesPage) => "Instances",
        (Lang::Zh, InstancesPage) => "实例",
        (Lang::En, InstancesHeading) => "Instances Spotplan placed",
        (Lang::Zh, InstancesHeading) => "Spotplan 创建的实例",
        (Lang::En, NoInstances) => "No instances yet: place an order and its instances appear here.",
        (Lang::Zh, NoInstances) => "暂无实例：提交订单后其实例会显示在这里。",
        (Lang::En, EndedEarlierHidden) => "Ended over a day ago, not shown:",
        (Lang::Zh, EndedEarlierHidden) => "一天前已结束、未显示的实例：",
        (Lang::En, EndedEarlierHiddenEveryone) => "Ended over a day ago, not shown (everyone's):",
        (Lang::Zh, EndedEarlierHiddenEveryone) => "一天前已结束、未显示的实例（所有人的）：",
        (Lang::En, ShowEndedEarlier) => "Show them",
        (Lang::Zh, ShowEndedEarlier) => "显示",
        (Lang::En, HideEndedEarlier) => "Hide instances that ended over a day ago",
        (Lang::Zh, HideEndedEarlier) => "隐藏一天前已结束的实例",
        (Lang::En, ColState) => "State",
        (Lang::Zh, ColState) => "状态",
        (Lang::En, CostSoFar) => "Cost so far (at most)",
        (Lang::Zh, CostSoFar) => "已产生费用（上限）",
        (Lang::En, AtMostPerHour) => "At most / hour",
        (Lang::Zh, AtMostPerHour) => "每小时上限",
        (Lang::En, RunningSince) => "Running for",
        (Lang::Zh, RunningSince) => "已运行",
        (Lang::En, Notes) => "Notes",
        (Lang::Zh, Notes) => "说明",
        (Lang::En, LastChecked) => "Checked",
        (Lang::Zh, LastChecked) => "检查时间",
        (Lang::En, Release) => "Release",
        (Lang::Zh, Release) => "释放",
        (Lang::En, ReleaseOrder) => "Release this order's instances",
        (Lang::Zh, ReleaseOrder) => "释放该订单的实例",
        (Lang::En, ReleaseAll) => "Release everything",
        (Lang::Zh, ReleaseAll) => "全部释放",
        (Lang::En, ReleaseAllMine) => "Release all of mine",
        (Lang::Zh, ReleaseAllMine) => "释放我的全部实例",
        (Lang::En, ReleaseHeading) => "Release these instances?",
        (Lang::Zh, ReleaseHeading) => "确认释放这些实例？",
        (Lang::En, ReleaseBody) => "They stop now and cannot be started again. So far they have cost at most",
        (Lang::Zh, ReleaseBody) => "实例将立即停止且无法恢复。目前已产生费用上限",
        (Lang::En, ReclaimIn) => "reclaimed in",
        (Lang::Zh, ReclaimIn) => "将被回收，剩余",
        (Lang::En, ReleaseForce) => "Release running instances at once (Alibaba Force; the others do anyway)",
        (Lang::Zh, ReleaseForce) => "立即释放运行中的实例（阿里云 Force；其他云默认如此）",
        (Lang::En, ReleaseDisks) => "Also release their pay-as-you-go data disks and EIP (Baidu relatedReleaseFlag)",
        (Lang::Zh, ReleaseDisks) => "同时释放按量付费数据盘和 EIP（百度 relatedReleaseFlag）",
        (Lang::En, WatchHeading) => "Watch instances started elsewhere",
        (Lang::Zh, WatchHeading) => "关注在别处创建的实例",
        (Lang::En, WatchedGroup) => "Started elsewhere",
        (Lang::Zh, WatchedGroup) => "在别处创建",
        (Lang::En, WatchIds) => "Instance ids (comma-separated)",
        (Lang::Zh, WatchIds) => "实例 ID（逗号分隔）",
        (Lang::En, Discover) => "Find this region's spot instances",
        (Lang::Zh, Discover) => "查找该地域的竞价实例",
        (Lang::En, Watch) => "Watch",
        (Lang::Zh, Watch) => "关注",
        (Lang::En, ReleaseResult) => "Release",
        (Lang::Zh, ReleaseResult) => "释放结果",
        (Lang::En, CompareHeading) => "Compare spot offers",
        (Lang::Zh, CompareHeading) => "比较竞价实例报价",
        (Lang::En, VcpuFrom) => "vCPU from",
        (Lang::Zh, VcpuFrom) => "vCPU 最少",
        (Lang::En, VcpuTo) => "vCPU to",
        (Lang::Zh, VcpuTo) => "vCPU 最多",
        (Lang::En, MemoryFrom) => "Memory from (GiB)",
        (Lang::Zh, MemoryFrom) => "内存最少（GiB）",
        (Lang::En, MemoryTo) => "Memory to (GiB)",
        (Lang::Zh, MemoryTo) => "内存最多（GiB）",
        (Lang::En, Instances) => "Instances",
        (Lang::Zh, Instances) => "实例数量",
        (Lang::En, Hours) => "Hours",
        (Lang::Zh, Hours) => "运行小时数",
        (Lang::En, Where) => "Where",
        (Lang::Zh, Where) => "地域范围",
        (Lang::En, Anywhere) => "Anywhere",
        (Lang::Zh, Anywhere) => "任意",
        (Lang::En, MainlandChina) => "Mainland China",
        (Lang::Zh, MainlandChina) => "中国内地",
        (Lang::En, OutsideChina) => "Outside mainland China",
        (Lang::Zh, OutsideChina) => "中国内地以外",
        (Lang::En, MaxInterruption) => "Accepted interruption risk (%)",
        (Lang::Zh, MaxInterruption) => "可接受的中断风险（%）",
        (Lang::En, SortBy) => "Sort by",
        (Lang::Zh, SortBy) => "排序",
        (Lang::En, SortCost) => "Expected total",
        (Lang::Zh, SortCost) => "预计总费用",
        (Lang::En, SortVcpu) => "Price per vCPU-hour",
        (Lang::Zh, SortVcpu) => "每 vCPU 小时价格",
        (Lang::En, SortSavings) => "Savings",
        (Lang::Zh, SortSavings) => "节省比例",
        (Lang::En, SortRisk) => "Risk",
        (Lang::Zh, SortRisk) => "风险",
        (Lang::En, Choose) => "Choose",
        (Lang::Zh, Choose) => "选择",
        (Lang::En, BidHeading) => "Bid",
        (Lang::Zh, BidHeading) => "出价",
        (Lang::En, NoOfferSelected) => "Choose an offer in the table to tune its bid.",
        (Lang::Zh, NoOfferSelected) => "在上表中选择一个报价以调整出价。",
        (Lang::En, BidMode) => "Bid mode",
        (Lang::Zh, BidMode) => "出价方式",
        (Lang::En, BidMarket) => "Follow the market price (up to on-demand)",
        (Lang::Zh, BidMarket) => "跟随市场价（不超过按量价格）",
        (Lang::En, BidLimit) => "Set a maximum price",
        (Lang::Zh, BidLimit) => "设置最高价格",
        (Lang::En, MaxPrice) => "Maximum price",
        (Lang::Zh, MaxPrice) => "最高价格",
        (Lang::En, NativeValue) => "Sent to the cloud as",
        (Lang::Zh, NativeValue) => "发送给云厂商的值",
        (Lang::En, AccountSite) => "Account site (the bid's currency)",
        (Lang::Zh, AccountSite) => "账户站点（出价币种）",
        (Lang::En, ChinaSite) => "China site — CNY",
        (Lang::Zh, ChinaSite) => "中国站 — 人民币",
        (Lang::En, InternationalSite) => "International site — USD",
        (Lang::Zh, InternationalSite) => "国际站 — 美元",
        (Lang::En, SiteSetByProxy) => "Set by the proxy's credentials",
        (Lang::Zh, SiteSetByProxy) => "由代理的凭证配置决定",
        (Lang::En, Recommended) => "Recommended",
        (Lang::Zh, Recommended) => "推荐",
        (Lang::En, LaunchDetails) => "Launch details",
        (Lang::Zh, LaunchDetails) => "启动配置",
        (Lang::En, ImageId) => "Image id",
        (Lang::Zh, ImageId) => "镜像 ID",
        (Lang::En, OsFamily) => "Operating system",
        (Lang::Zh, OsFamily) => "操作系统",
        (Lang::En, Vpc) => "VPC id",
        (Lang::Zh, Vpc) => "VPC ID",
        (Lang::En, Subnet) => "Subnet / vSwitch id",
        (Lang::Zh, Subnet) => "子网 / 交换机 ID",
        (Lang::En, SecurityGroup) => "Security group id",
        (Lang::Zh, SecurityGroup) => "安全组 ID",
        (Lang::En, SystemDiskGb) => "System disk (GiB)",
        (Lang::Zh, SystemDiskGb) => "系统盘（GiB）",
        (Lang::En, KeyPair) => "Key pair",
        (Lang::Zh, KeyPair) => "密钥对",
        (Lang::En, GpuCard) => "GPU card (isomerismCard)",
        (Lang::Zh, GpuCard) => "GPU 卡型（isomerismCard）",
        (Lang::En, Password) => "Password",
        (Lang::Zh, Password) => "密码",
        (Lang::En, InstanceName) => "Instance name",
        (Lang::Zh, InstanceName) => "实例名称",
        (Lang::En, Hostname) => "Host name",
        (Lang::Zh, Hostname) => "主机名",
        (Lang::En, DataDisksGb) => "Data disks (GiB each, comma-separated)",
        (Lang::Zh, DataDisksGb) => "数据盘（每块 GiB，逗号分隔）",
        (Lang::En, BestOfEachCloud) => "Best of each cloud",
        (Lang::Zh, BestOfEachCloud) => "各云最佳",
        (Lang::En, Regions) => "Regions or zones (ids, comma-separated; empty = all)",
        (Lang::Zh, Regions) => "地域或可用区（ID，逗号分隔；留空为全部）",
        (Lang::En, UnknownRegions) => "no region or zone of the three clouds has this id",
        (Lang::Zh, UnknownRegions) => "三家云都没有这个地域或可用区 ID",
        (Lang::En, Tags) => "Tags (key=value, comma-separated)",
        (Lang::Zh, Tags) => "标签（键=值，逗号分隔）",
        (Lang::En, UserData) => "User data (Base64)",
        (Lang::Zh, UserData) => "用户数据（Base64）",
        (Lang::En, Problems) => "What the cloud would refuse",
        (Lang::Zh, Problems) => "云厂商会拒绝的问题",
        (Lang::En, NoProblems) => "The order passes every documented rule of this cloud.",
        (Lang::Zh, NoProblems) => "订单符合该云厂商的全部已知规则。",
        (Lang::En, RequestHeading) => "API request",
        (Lang::Zh, RequestHeading) => "API 请求",
        (Lang::En, Copy) => "Copy",
        (Lang::Zh, Copy) => "复制",
        (Lang::En, Copied) => "Copied",
        (Lang::Zh, Copied) => "已复制",
        (Lang::En, DownloadJson) => "Download order JSON",
        (Lang::Zh, DownloadJson) => "下载订单 JSON",
        (Lang::En, DryRun) => "Dry run",
        (Lang::Zh, DryRun) => "预检",
        (Lang::En, PlaceOrder) => "Place order",
        (Lang::Zh, PlaceOrder) => "提交订单",
        (Lang::En, ConfirmHeading) => "Place this order?",
        (Lang::Zh, ConfirmHeading) => "确认提交订单？",
        (Lang::En, ConfirmBody) => "At most, per hour and in total:",
        (Lang::Zh, ConfirmBody) => "最高费用（每小时与总计）：",
        (Lang::En, Confirm) => "Confirm",
        (Lang::Zh, Confirm) => "确认",
        (Lang::En, Cancel) => "Cancel",
        (Lang::Zh, Cancel) => "取消",
        (Lang::En, Sending) => "Sending to the cloud…",
        (Lang::Zh, Sending) => "正在发送到云厂商……",
        (Lang::En, ProxyOffline) => "The proxy is not reachable: submitting needs it running (cargo xtask serve).",
        (Lang::Zh, ProxyOffline) => "代理不可用：提交订单需要运行代理（cargo xtask serve）。",
        (Lang::En, SignInToSubmit) => {
            "This browser is not signed in to the proxy: open the sign-in link it printed when it started."
        }
        (Lang::Zh, SignInToSubmit) => "此浏览器尚未登录代理：请打开代理启动时打印的登录链接。",
        (Lang::En, NoCredentials) => "The proxy has no credentials for this cloud: planning only.",
        (Lang::Zh, NoCredentials) => "代理没有该云厂商的凭证：仅可规划。",
        (Lang::En, Result) => "Result",
        (Lang::Zh, Result) => "结果",
        (Lang::En, Retry) => "Retry (same idempotency key)",
        (Lang::Zh, Retry) => "重试（相同幂等键）",
        (Lang::En, RetryDryRun) => "Retry the dry run",
        (Lang::Zh, RetryDryRun) => "重试预检",
        (Lang::En, PlacedNote) => {
            "Placed. This draft's order is spent: placing it again would only return the same order."
        }
        (Lang::Zh, PlacedNote) => "已下单。此草稿的订单已用掉：再次提交只会返回同一订单。",
        (Lang::En, NewOrder) => "Start a new order from this draft",
        (Lang::Zh, NewOrder) => "以此草稿开始新订单",
        (Lang::En, RetryUnknown) => {
            "Resend safely (same ClientToken: the cloud returns what it created; after an hour Spotplan looks the \
             order up by its tag instead)"
        }
        (Lang::Zh, RetryUnknown) => {
            "安全重发（相同 ClientToken：云厂商会返回已创建的结果；一小时后改为按标签查找该订单）"
        }
        (Lang::En, LookUp) => "Look it up at the cloud",
        (Lang::Zh, LookUp) => "到云厂商查找",
        (Lang::En, LookUpNoneFound) => {
            "No instance carries this order's tag now: it created none, or they are gone (within an hour of sending, \
             the cloud may still be creating them)"
        }
        (Lang::Zh, LookUpNoneFound) => {
            "目前没有实例带有该订单的标签：它未创建实例，或实例已不存在（发送后一小时内云厂商可能仍在创建）"
        }
        (Lang::En, LookUpFound) => "Instances found at the cloud by the order's tag:",
        (Lang::Zh, LookUpFound) => "按订单标签在云厂商找到的实例数：",
        (Lang::En, NotLoggedYet) => "The proxy could not write this outcome to its order log yet; it keeps retrying.",
        (Lang::Zh, NotLoggedYet) => "代理暂时无法把这个结果写入订单记录，正在持续重试。",
        (Lang::En, OrdersHeading) => "Order log",
        (Lang::Zh, OrdersHeading) => "订单记录",
        (Lang::En, NoOrders) => "No orders yet.",
        (Lang::Zh, NoOrders) => "暂无订单。",
        (Lang::En, Refresh) => "Refresh",
        (Lang::Zh, Refresh) => "刷新",
        (Lang::En, Status) => "Status",
        (Lang::Zh, Status) => "状态",
        (Lang::En, Created) => "Created",
        (Lang::Zh, Created) => "创建时间",
        (Lang::En, ColCloud) => "Cloud",
        (Lang::Zh, ColCloud) => "云厂商",
        (Lang::En, ColRegion) => "Region / zone",
        (Lang::Zh, ColRegion) => "地域 / 可用区",
        (Lang::En, ColType) => "Type",
        (Lang::Zh, ColType) => "规格",
        (Lang::En, ColSpotNative) => "Spot (native)",
        (Lang::Zh, ColSpotNative) => "竞价价格（原始）",
        (Lang::En, ColSpotDisplay) => "Spot",
        (Lang::Zh, ColSpotDisplay) => "竞价",
        (Lang::En, ColPerVcpu) => "per vCPU·h",
        (Lang::Zh, ColPerVcpu) => "每 vCPU·小时",
        (Lang::En, ColOnDemand) => "On-demand",
        (Lang::Zh, ColOnDemand) => "按量",
        (Lang::En, ColSavings) => "Savings",
        (Lang::Zh, ColSavings) => "节省",
        (Lang::En, ColExpected) => "Expected total",
        (Lang::Zh, ColExpected) => "预计总费用",
        (Lang::En, ColWorst) => "Worst case",
        (Lang::Zh, ColWorst) => "最高费用",
        (Lang::En, ColBid) => "Bid advice",
        (Lang::Zh, ColBid) => "出价建议",
        (Lang::En, ColSource) => "Price date / age",
        (Lang::Zh, ColSource) => "来源 / 时效",
        (Lang::En, ColTotalShort) => "Total",
        (Lang::Zh, ColTotalShort) => "总计",
        (Lang::En, ColSavingsShort) => "Save",
        (Lang::Zh, ColSavingsShort) => "省",
        (Lang::En, MarketBidShort) => "market (≤ on-demand)",
        (Lang::Zh, MarketBidShort) => "跟随市场价（≤ 按量）",
        (Lang::En, MaxCostPerHour) => "Most per hour",
        (Lang::Zh, MaxCostPerHour) => "每小时最高",
        (Lang::En, InstanceWord) => "instances",
        (Lang::Zh, InstanceWord) => "台实例",
        (Lang::En, FilterOffers) => "Filter type, region, zone",
        (Lang::Zh, FilterOffers) => "按规格、地域、可用区筛选",
        (Lang::En, ReverseOrder) => "Reverse the order",
        (Lang::Zh, ReverseOrder) => "反向排序",
        (Lang::En, Columns) => "Columns",
        (Lang::Zh, Columns) => "显示的列",
        (Lang::En, ExportCsv) => "Export CSV",
        (Lang::Zh, ExportCsv) => "导出 CSV",
        (Lang::En, Clouds) => "Clouds",
        (Lang::Zh, Clouds) => "云厂商",
        (Lang::En, GpuMin) => "GPUs at least",
        (Lang::Zh, GpuMin) => "GPU 至少",
        (Lang::En, GpuModel) => "GPU model",
        (Lang::Zh, GpuModel) => "GPU 型号",
        (Lang::En, Arch) => "Architecture",
        (Lang::Zh, Arch) => "架构",
        (Lang::En, AnyArch) => "Any",
        (Lang::Zh, AnyArch) => "任意",
        (Lang::En, NoMatch) => "No offer matches: widen the vCPU or memory range, or choose \"Anywhere\".",
        (Lang::Zh, NoMatch) => "没有符合的报价：请放宽 vCPU 或内存范围，或选择“任意”。",
        (Lang::En, Unknown) => "unknown",
        (Lang::Zh, Unknown) => "未知",
        (Lang::En, RankedOffers) => "Ranked offers",
        (Lang::Zh, RankedOffers) => "报价排名",
        (Lang::En, Zone) => "Zone",
        (Lang::Zh, Zone) => "可用区",
        (Lang::En, Currency) => "Currency",
        (Lang::Zh, Currency) => "币种",
        (Lang::En, PriceUnit) => "Price per",
        (Lang::Zh, PriceUnit) => "价格单位",
        (Lang::En, CnyPerUsd) => "CNY per USD",
        (Lang::Zh, CnyPerUsd) => "美元汇率（元/美元）",
        (Lang::En, ProxyHeading) => "Proxy",
        (Lang::Zh, ProxyHeading) => "代理",
        (Lang::En, CheckingProxy) => "Checking the proxy…",
        (Lang::Zh, CheckingProxy) => "正在检查代理……",
        (Lang::En, ProxyUnreachable) => {
            "Proxy not reachable: planning works offline; live prices and submitting need the proxy"
        }
        (Lang::Zh, ProxyUnreachable) => "代理不可用：规划可离线使用；实时价格和提交订单需要代理",
        (Lang::En, ProxyNotSignedIn) => {
            "not signed in: open the sign-in link the proxy printed when it started (…/?token=…) or sign in below; planning works without it"
        }
        (Lang::Zh, ProxyNotSignedIn) => {
            "未登录：请打开代理启动时打印的登录链接（…/?token=…），或在下方登录；不登录也可以规划"
        }
        (Lang::En, SignInEmpty) => "Nothing to sign in with: paste the token, a sign-in code or your key first",
        (Lang::Zh, SignInEmpty) => "没有可用于登录的内容：请先粘贴令牌、登录码或你的密钥",
        (Lang::En, SignInToken) => "The proxy's token, a sign-in code it printed, or your key",
        (Lang::Zh, SignInToken) => "代理的令牌、它打印的登录码，或你的密钥",
        (Lang::En, SignIn) => "Sign in",
        (Lang::Zh, SignIn) => "登录",
        (Lang::En, ProxyConnected) => "connected",
        (Lang::Zh, ProxyConnected) => "已连接",
        (Lang::En, CredsConfigured) => "credentials configured",
        (Lang::Zh, CredsConfigured) => "已配置凭证",
        (Lang::En, CredsMissing) => "no credentials (planning mode)",
        (Lang::Zh, CredsMissing) => "无凭证（仅规划）",
        (Lang::En, CostOverTime) => "Cost over time",
        (Lang::Zh, CostOverTime) => "费用随时间变化",
        (Lang::En, PriceData) => "Price data",
        (Lang::Zh, PriceData) => "价格数据",
        (Lang::En, SnapshotNote) => "Every price is a dated snapshot; live prices come through the proxy.",
        (Lang::Zh, SnapshotNote) => "所有价格都是带日期的快照；实时价格通过代理获取。",
        (Lang::En, ChartsHeading) => "Charts",
        (Lang::Zh, ChartsHeading) => "图表",
        (Lang::En, FixErrorsFirst) => "Fix the errors above to see the exact request.",
        (Lang::Zh, FixErrorsFirst) => "请先修正上面的错误，才能看到确切的请求。",
        (Lang::En, InstanceIds) => "Instance ids",
        (Lang::Zh, InstanceIds) => "实例 ID",
        (Lang::En, OrderId) => "Order id",
        (Lang::Zh, OrderId) => "订单 ID",
        (Lang::En, RequestId) => "Request id",
        (Lang::Zh, RequestId) => "请求 ID",
        (Lang::En, Region) => "Region",
        (Lang::Zh, Region) => "地域",
        (Lang::En, CloudWord) => "Cloud",
        (Lang::Zh, CloudWord) => "云厂商",
        (Lang::En, PlacedBy) => "Placed by",
        (Lang::Zh, PlacedBy) => "下单人",
        (Lang::En, Person) => "Person",
        (Lang::Zh, Person) => "人员",
        (Lang::En, Everyone) => "Everyone",
        (Lang::Zh, Everyone) => "所有人",
    }
}

/// "N offers match; showing M" and the note on unknown values, in a language.
pub fn match_summary(lang: Lang, matching: usize, excluded_unknown: usize) -> String {
    match lang {
        Lang::En => {
            let unknown = if excluded_unknown > 0 {
                format!(" {excluded_unknown} left out: a filtered value is unknown.")
            } else {
                String::new()
            };
            format!("{matching} offers match.{unknown}")
        }
        Lang::Zh => {
            let unknown = if excluded_unknown > 0 {
                format!(" {excluded_unknown} 个因筛选值未知而未列出。")
            } else {
                String::new()
            };
            format!("{matching} 个报价符合。{unknown}")
        }
    }
}

/// A cloud's name in the UI language (`Alibaba Cloud ECS`, `阿里云 ECS`).
pub fn cloud_name(lang: Lang, cloud: spotplan_core::Cloud) -> &'static str {
    match lang {
        Lang::En => cloud.display_name(),
        Lang::Zh => cloud.display_name_zh(),
    }
}

/// Where the proxy learnt an account's site, in the UI language.
pub fn site_source(lang: Lang, source: &spotplan_core::api::health::AccountSiteSource) -> String {
    use spotplan_core::api::health::SiteSourceKind::{CredentialsFile, Default, Environment};
    let name = &source.name;
    match (lang, source.kind) {
        (Lang::En, Default) => format!("China site by default ({name}=USD for an international-site account)"),
        (Lang::Zh, Default) => format!("默认中国站（国际站账户请设置 {name}=USD）"),
        (Lang::En, Environment) => format!("environment variable {name}"),
        (Lang::Zh, Environment) => format!("环境变量 {name}"),
        (Lang::En, CredentialsFile) => format!("credentials file {name}"),
        (Lang::Zh, CredentialsFile) => format!("凭证文件 {name}"),
    }
}

/// A price source's attribution line and licence in the UI language. The catalog carries each source's line in
/// English (the words its licence asks for); the embedded catalog's sources also read in Chinese here, and so does a
/// live quote a proxy fetched, from the facts it carries as values ([`spotplan_core::catalog::LiveQuote`]).
pub fn source_credit(lang: Lang, source: &spotplan_core::catalog::Source) -> (Cow<'_, str>, Cow<'_, str>) {
    if lang == Lang::En {
        return (Cow::Borrowed(&source.attribution), Cow::Borrowed(&source.licence));
    }
    if let Some(live) = &source.live {
        return (
            Cow::Owned(live_quote_zh(live)),
            Cow::Borrowed("未声明许可（来自云 API 对你账户的回答）"),
        );
    }
    let chinese = match source.key.as_str() {
        "alibaba-cloudpilot-2024-10-09" => Some((
            "阿里云价格数据来自 cloudpilot-ai/priceserver（Apache-2.0）",
            "Apache-2.0",
        )),
        "alibaba-cleanerzkp-2023" => Some((
            "阿里云竞价实例历史价格样本来自 cleanerzkp/spot-instance-comparison（ISC）；原数据未记录币种，按美元推断",
            "ISC",
        )),
        "tencent-qcloud-price-2022-05-20" => Some((
            "腾讯云 CVM 2022-05-20 的刊例价，来自 chen56/qcloud-price",
            "未声明许可（价格属于事实；已注明来源）",
        )),
        "baidu-official-examples" => Some(("百度智能云 BCC 规格来自其 API 文档；价格未知", "来自厂商文档的事实")),
        _ => None,
    };
    match chinese {
        Some((line, licence)) => (Cow::Borrowed(line), Cow::Borrowed(licence)),
        None => (Cow::Borrowed(&source.attribution), Cow::Borrowed(&source.licence)),
    }
}

/// A live quote's attribution in Chinese: the same facts as the English line the core writes.
fn live_quote_zh(live: &spotplan_core::catalog::LiveQuote) -> String {
    use spotplan_core::catalog::LiveBasis;
    let basis = match live.basis {
        LiveBasis::SpotWithoutProtection => "无保护期的抢占式实例价格（SpotDuration=0）".to_owned(),
        LiveBasis::SpotOneHourProtection => "1 小时保护期的抢占式实例价格（SpotDuration=1）".to_owned(),
        LiveBasis::SpotDefaultProtection => "API 默认 1 小时保护期的抢占式实例价格".to_owned(),
        LiveBasis::WholeConfigurationPerInstanceHour { instances: 1 } => {
            "UnitPrice 与 UnitPriceDiscount 为整套配置（含默认系统盘）每实例每小时的价格".to_owned()
        }
        LiveBasis::WholeConfigurationPerInstanceHour { instances } => format!(
            "UnitPrice 与 UnitPriceDiscount 为 {instances} 台实例的总价除以 {instances}，即整套配置（含默认系统盘）\
             每实例每小时的价格"
        ),
        LiveBasis::PerInstanceMinuteUnconfirmed { currency } => format!(
            "perMoney 按账户币种 {} 每实例每分钟读取（应答未注明单位）",
            currency.code()
        ),
    };
    format!(
        "{} {} 于 {} 通过代理回答了你的账户；{basis}",
        live.cloud.display_name_zh(),
        live.action,
        spotplan_time::format_iso8601(live.fetched_at)
    )
}

/// A price per unit in the UI language: `0.05 CNY/hour`, `0.05 CNY/小时`.
pub fn rate_text(lang: Lang, rate: spotplan_core::PriceRate) -> String {
    format!(
        "{} {}/{}",
        rate.money.amount.normalize(),
        rate.money.currency.code(),
        unit_name(lang, rate.per)
    )
}

pub fn unit_name(lang: Lang, unit: spotplan_core::TimeUnit) -> &'static str {
    use spotplan_core::TimeUnit;
    match (lang, unit) {
        (Lang::En, unit) => unit.label(),
        (Lang::Zh, TimeUnit::Second) => "秒",
        (Lang::Zh, TimeUnit::Minute) => "分钟",
        (Lang::Zh, TimeUnit::Hour) => "小时",
        (Lang::Zh, TimeUnit::Day) => "天",
        (Lang::Zh, TimeUnit::Month) => "月",
    }
}

/// The plan's price basis: currency, unit and the exchange rate with its date and source.
pub fn price_basis(
    lang: Lang,
    requirement: &spotplan_core::plan::Requirement,
    fx: &spotplan_core::ExchangeRate,
) -> String {
    let source = if lang == Lang::Zh && fx.source == spotplan_core::ExchangeRate::user(fx.cny_per_usd, "").source {
        "由你设置".to_owned()
    } else {
        fx.source.clone()
    };
    match lang {
        Lang::En => format!(
            " Prices per instance in {}/{}; exchange rate {} CNY per USD ({}, {source}).",
            requirement.currency.code(),
            unit_name(lang, requirement.unit),
            fx.cny_per_usd.normalize(),
            fx.as_of
        ),
        Lang::Zh => format!(
            "价格按每台实例计，单位 {}/{}；汇率 1 USD = {} CNY（{}，{source}）。",
            requirement.currency.code(),
            unit_name(lang, requirement.unit),
            fx.cny_per_usd.normalize(),
            fx.as_of
        ),
    }
}

/// Why the bid field's text is not a bid, in the UI language.
pub fn typed_bid_error(lang: Lang, error: &spotplan_core::order::native_bid::TypedBidError) -> String {
    use spotplan_core::order::native_bid::TypedBidError;
    match (lang, error) {
        (Lang::En, error) => error.to_string(),
        (Lang::Zh, TypedBidError::NotAPrice(not)) => {
            format!("“{}”不是价格：请输入不带符号的小数，例如 0.125", not.text)
        }
        (Lang::Zh, TypedBidError::NoConversion(error)) => format!("出价无法换算为云厂商接受的价格：{error}"),
    }
}

/// Why a price is unknown, in the UI language.
pub fn unknown_price(lang: Lang, reason: UnknownPrice) -> String {
    match (lang, reason) {
        (Lang::En, reason) => reason.to_string(),
        (Lang::Zh, UnknownPrice::NoPublicPrice(cloud)) => {
            format!(
                "{} 没有公开价格：请自行输入，或获取实时市场价",
                spotplan_core::clouds::api(cloud).names().display_zh
            )
        }
        (Lang::Zh, UnknownPrice::NoOnDemandPrice) => "数据源中没有此报价的按量价格".to_owned(),
        (Lang::Zh, UnknownPrice::NoSpotPrice) => "没有此报价的竞价价格观测".to_owned(),
    }
}

/// Why the history supports no bid advice, in the UI language.
pub fn no_advice(lang: Lang, reason: NoAdvice) -> String {
    match (lang, reason) {
        (Lang::En, reason) => reason.to_string(),
        (Lang::Zh, NoAdvice::TooFewObservations { observations }) => {
            format!("只有 {observations} 次价格观测：需要历史价格才能估计中断风险")
        }
        (Lang::Zh, NoAdvice::MixedUnits) => "历史价格混用了不同的币种或单位".to_owned(),
        (Lang::Zh, NoAdvice::JobTooLong) => "作业时长超出可估计的范围".to_owned(),
        (
            Lang::Zh,
            NoAdvice::TooFewWindows {
                observations,
                span_days,
                windows,
            },
        ) => format!(
            "历史价格（{observations} 次观测，跨 {span_days} 天）中与作业等长的时间窗口只有 {windows} 个，至少需要 {} 个",
            spotplan_core::advice::MIN_WINDOWS
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn every_source_of_the_embedded_catalog_is_credited_in_chinese_with_its_licence() {
        let catalog = spotplan_core::catalog::Catalog::embedded().expect("decodes");
        assert_eq!(catalog.sources().len(), 4);
        for source in catalog.sources() {
            let (line, licence) = source_credit(Lang::Zh, source);
            assert_ne!(line, source.attribution, "{} has no Chinese line", source.key);
            if source.licence.is_ascii() && !source.licence.contains(' ') {
                assert_eq!(licence, source.licence, "an SPDX licence name stays as it is");
                assert!(line.contains(&source.licence), "{line}");
            }
            let (line, licence) = source_credit(Lang::En, source);
            assert_eq!(
                (line.as_ref(), licence.as_ref()),
                (source.attribution.as_str(), source.licence.as_str())
            );
        }
        let unknown = spotplan_core::catalog::Source {
            key: "alibaba-live-2026-12-04".into(),
            attribution: "fetched by a Spotplan proxy".into(),
            licence: "account data".into(),
            ..catalog.sources()[0].clone()
        };
        let (line, licence) = source_credit(Lang::Zh, &unknown);
        assert_eq!(
            (line.as_ref(), licence.as_ref()),
            ("fetched by a Spotplan proxy", "account data")
        );
    }

    #[test]
    fn a_live_quote_is_credited_in_chinese_from_its_facts() {
        use spotplan_core::Cloud;
        use spotplan_core::catalog::{LiveBasis, LiveQuote, Source};
        let live = |cloud, action: &str, basis| Source {
            key: "live".into(),
            name: "live".into(),
            url: String::new(),
            licence: "none stated".into(),
            date: "2026-12-04".into(),
            attribution: "English".into(),
            live: Some(LiveQuote {
                cloud,
                action: action.into(),
                fetched_at: 1_796_385_600,
                basis,
            }),
        };
        let zh = |source: &Source| source_credit(Lang::Zh, source).0.into_owned();
        assert_eq!(
            zh(&live(
                Cloud::Alibaba,
                "DescribeSpotPriceHistory",
                LiveBasis::SpotWithoutProtection
            )),
            "阿里云 ECS DescribeSpotPriceHistory 于 2026-12-04T12:00:00Z 通过代理回答了你的账户；\
             无保护期的抢占式实例价格（SpotDuration=0）"
        );
        assert_eq!(
            zh(&live(
                Cloud::Tencent,
                "InquiryPriceRunInstances",
                LiveBasis::WholeConfigurationPerInstanceHour { instances: 3 }
            )),
            "腾讯云 CVM InquiryPriceRunInstances 于 2026-12-04T12:00:00Z 通过代理回答了你的账户；\
             UnitPrice 与 UnitPriceDiscount 为 3 台实例的总价除以 3，即整套配置（含默认系统盘）每实例每小时的价格"
        );
        let baidu = live(
            Cloud::Baidu,
            "bidPrice",
            LiveBasis::PerInstanceMinuteUnconfirmed {
                currency: spotplan_core::Currency::Cny,
            },
        );
        assert!(
            zh(&baidu).ends_with("perMoney 按账户币种 CNY 每实例每分钟读取（应答未注明单位）"),
            "{}",
            zh(&baidu)
        );
        assert_eq!(
            source_credit(Lang::Zh, &baidu).1,
            "未声明许可（来自云 API 对你账户的回答）"
        );
        assert_eq!(
            source_credit(Lang::En, &baidu).0,
            "English",
            "English keeps the core's own line"
        );
    }

    #[test]
    fn the_cores_reasons_read_in_chinese() {
        assert_eq!(
            no_advice(Lang::Zh, NoAdvice::TooFewObservations { observations: 1 }),
            "只有 1 次价格观测：需要历史价格才能估计中断风险"
        );
        assert_eq!(
            no_advice(
                Lang::Zh,
                NoAdvice::TooFewWindows {
                    observations: 5,
                    span_days: 4,
                    windows: 2
                }
            ),
            "历史价格（5 次观测，跨 4 天）中与作业等长的时间窗口只有 2 个，至少需要 10 个"
        );
        assert_eq!(
            unknown_price(Lang::Zh, UnknownPrice::NoSpotPrice),
            "没有此报价的竞价价格观测"
        );
        assert_eq!(
            unknown_price(Lang::En, UnknownPrice::NoSpotPrice),
            "no spot price observed for this offer"
        );
    }

    #[test]
    fn a_user_set_rate_says_so_in_chinese() {
        let fx = spotplan_core::ExchangeRate::user(rust_decimal::Decimal::from(7), "2026-11-23");
        let requirement = crate::state::initial_requirement();
        assert_eq!(
            price_basis(Lang::Zh, &requirement, &fx),
            "价格按每台实例计，单位 CNY/小时；汇率 1 USD = 7 CNY（2026-11-23，由你设置）。"
        );
        assert!(price_basis(Lang::En, &requirement, &fx).contains("7 CNY per USD (2026-11-23, set by you)"));
    }
}
