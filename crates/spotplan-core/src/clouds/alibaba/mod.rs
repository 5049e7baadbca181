//! Alibaba Cloud ECS: its API facts (RPC style on `ecs.<region>.aliyuncs.com`, version 2014-05-26), and the
//! modules that hold the rest — the order request ([`order`]), its answers ([`answer`]), its price queries
//! ([`prices`]), its pool signals ([`signals`]), its instances' describe and release calls ([`instances`]), its
//! account's resource lists ([`resources`]), its auto-provisioning group request ([`fleet`]), its validation rules
//! (`rules`) and its snippet mappings (`snippets`). [`Alibaba`] is its [`CloudApi`] and [`CloudWire`].

pub mod answer;
pub mod fleet;
pub mod instances;
pub mod order;
pub mod prices;
pub mod resources;
pub(crate) mod rules;
pub mod signals;
mod snippets;

use crate::billing::SpotRules;
use crate::clouds::{
    BidPriceCodes, CliCredentials, Cloud, CloudApi, CloudWire, CredentialNames, LaunchId, Names, NoAdviceReason,
    PasswordPlace, ResolvedShape, host_with_one_label,
};
use crate::money::{Currency, TimeUnit};
use crate::order::native_bid::BidUnit;
use crate::order::problem::Problems;
use crate::order::request::{AdminPass, HttpRequest};
use crate::order::{SpotOrder, ValidOrder, ValidationContext};
use crate::quote::json::Object;
use crate::quote::{CloudError, QuoteAsk, QuoteFailure, QuoteReading};

/// Alibaba Cloud ECS.
#[derive(Debug, Clone, Copy)]
pub struct Alibaba;

impl CloudApi for Alibaba {
    fn cloud(&self) -> Cloud {
        Cloud::Alibaba
    }

    /// The draft keeps the one protected hour (`SpotDuration` 1, the API's default: alibabacloud-ecs20140526
    /// 7.11.8 `RunInstancesRequest.spot_duration`), said out loud so the request and the quote name it.
    fn draft_order(&self, offer: &crate::catalog::OfferKey, count: u32) -> SpotOrder {
        let mut draft = crate::order::draft::shared_draft(offer, count);
        draft.bid.spot_duration_hours = Some(1);
        draft
    }

    fn names(&self) -> Names {
        Names {
            id: "alibaba",
            display: "Alibaba Cloud ECS",
            display_zh: "阿里云 ECS",
            vendor: "Alibaba",
            spot_term: "preemptible instance",
            product: "ECS",
            badge: ("ALI", "阿里"),
        }
    }

    fn billing(&self) -> SpotRules {
        SpotRules {
            billing_granularity_seconds: 1,
            protection_seconds: 3_600,
            capped_at_on_demand: true,
            // The seed's "Create a preemptible instance": "the highest price is the price for the Pay-As-You-Go
            // instance of the same configuration".
            cap_documented: true,
            reclaims_on_price: true,
            reclaim_note: "reclaimed when the market price exceeds the bid or stock runs out, after the 1-hour \
                           protection period (SpotDuration 1); 5-minute notice (Alibaba ECS docs)",
        }
    }

    /// `SpotPriceLimit` is per instance-hour; its docstring allows "up to three decimal places"
    /// (alibabacloud-ecs20140526 7.11.8, `RunInstancesRequest.spot_price_limit`).
    fn bid_unit(&self) -> BidUnit {
        BidUnit {
            per: TimeUnit::Hour,
            decimals: 3,
        }
    }

    fn password_place(&self) -> PasswordPlace {
        PasswordPlace::Query("Password")
    }

    fn in_mainland_china(&self, region: &str) -> bool {
        region.starts_with("cn-") && region != "cn-hongkong"
    }

    fn signing_placeholders(&self, _request: &HttpRequest) -> Vec<(&'static str, String)> {
        vec![
            ("x-acs-date", "<UTC time, e.g. 2026-11-23T08:00:00Z>".into()),
            ("x-acs-signature-nonce", "<a unique nonce>".into()),
            ("x-acs-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into()),
            (
                "authorization",
                "ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=accept;host;x-acs-action;x-acs-content-sha256;\
                 x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=<signature, computed by the proxy>"
                    .into(),
            ),
        ]
    }

    fn quote_ask(
        &self,
        offer: crate::catalog::OfferKey,
        _instance_type: &crate::catalog::InstanceType,
        draft: &crate::quote::QuoteDraft,
    ) -> crate::quote::QuoteAsk {
        // DescribeSpotPriceHistory is per OS and per protection period: the market the draft's order joins.
        crate::quote::QuoteAsk {
            os: draft.os,
            one_hour_protection: draft.one_hour_protection,
            ..crate::quote::QuoteAsk::new(offer)
        }
    }

    fn no_advice_reason(&self) -> NoAdviceReason {
        NoAdviceReason {
            short: "no history",
            detail: "One price observation in the catalog: live prices via a proxy with Alibaba credentials bring 30 days (DescribeSpotPriceHistory) to estimate a bid's interruption risk.",
            short_zh: "无历史价格",
            detail_zh: "目录中只有一次价格观测：经持有阿里云凭证的代理获取实时价格，可得 30 天历史（DescribeSpotPriceHistory），用以估算中断风险。",
        }
    }

    fn launch_id_parameter(&self, id: LaunchId) -> &'static str {
        match id {
            LaunchId::Image => "ImageId",
            LaunchId::Vpc => "VpcId",
            LaunchId::Subnet => "VSwitchId",
            LaunchId::SecurityGroup => "SecurityGroupId",
        }
    }

    fn bid_price_codes(&self) -> BidPriceCodes {
        BidPriceCodes {
            missing: "InvalidSpotPriceLimit",
            invalid: "InvalidSpotPriceLimit",
            below_market: answer::BID_BELOW_MARKET,
        }
    }

    fn rule_sources(&self) -> &'static [(&'static str, &'static str)] {
        rules::SOURCES
    }

    fn check(&self, order: &SpotOrder, context: &ValidationContext, problems: &mut Problems) -> ResolvedShape {
        rules::check(order, context, problems);
        ResolvedShape::default()
    }

    fn order_request(&self, order: &ValidOrder, client_token: &str, _admin_pass: &AdminPass) -> HttpRequest {
        order::run_instances(order.order(), client_token)
    }

    fn cli_snippet(&self, request: &HttpRequest) -> String {
        snippets::aliyun(request)
    }

    fn python_snippet(&self, request: &HttpRequest) -> String {
        snippets::python(request)
    }

    fn terraform_snippet(&self, request: &HttpRequest) -> String {
        snippets::terraform(request)
    }
}

impl CloudWire for Alibaba {
    /// `ecs.<region>.aliyuncs.com`, and `ecs-cn-hangzhou.aliyuncs.com` (the SDKs' endpoint map).
    fn is_api_host(&self, host: &str) -> bool {
        host == resources::VPC_HOST_HANGZHOU || host_with_one_label(host, &["ecs.", "ecs-", "vpc."], ".aliyuncs.com")
    }

    fn api_domain(&self) -> &'static str {
        "aliyuncs.com"
    }

    /// Five minutes (alibabacloud-ecs20140526 7.11.8 `RunInstancesRequest.spot_duration` docstring: the interruption
    /// notice comes five minutes ahead).
    fn reclaim_notice_ms(&self) -> i64 {
        5 * 60_000
    }

    /// `Throttling` (https://help.aliyun.com/zh/ecs/developer-reference/api-throttling) and its `.User`, `.Api`
    /// (other Alibaba products' error tables; their use by ECS is our inference).
    fn is_throttled(&self, code: &str) -> bool {
        code == "Throttling" || code.starts_with("Throttling.")
    }

    /// The `Recycling` operation lock (alibabacloud-ecs20140526 7.0.17
    /// `DescribeInstancesResponseBodyInstancesInstanceOperationLocksLockReason`).
    fn flags_reclaims(&self) -> bool {
        true
    }

    fn credential_names(&self) -> CredentialNames {
        CredentialNames {
            key_id_env: "ALIBABA_CLOUD_ACCESS_KEY_ID",
            secret_env: "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            file_fields: ("access_key_id", "access_key_secret"),
            cli_file: Some(".aliyun/config.json"),
            hint: "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (or an aliyun CLI profile)",
        }
    }

    /// The aliyun CLI's `~/.aliyun/config.json`: the profile `ALIBABA_CLOUD_PROFILE` names, else `current`, in AK
    /// mode.
    fn read_cli_credentials(&self, text: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<CliCredentials> {
        let json: serde_json::Value = serde_json::from_str(text).ok()?;
        let wanted = env("ALIBABA_CLOUD_PROFILE").or_else(|| json["current"].as_str().map(str::to_owned))?;
        let profile = json["profiles"]
            .as_array()?
            .iter()
            .find(|profile| profile["name"].as_str() == Some(wanted.as_str()))?;
        let key_id = profile["access_key_id"].as_str().filter(|value| !value.is_empty())?;
        let secret = profile["access_key_secret"]
            .as_str()
            .filter(|value| !value.is_empty())?;
        Some(CliCredentials {
            key_id: key_id.to_owned(),
            secret: secret.to_owned(),
            profile: Some(wanted),
        })
    }

    fn error_in(&self, answer: &Object) -> Option<CloudError> {
        answer::error_in(answer)
    }

    fn created(&self, answer: &Object) -> (Vec<String>, Option<String>) {
        answer::created(answer)
    }

    fn hint(&self, code: &str, message: &str) -> Option<&'static str> {
        answer::hint(code, message)
    }

    fn pool_unavailable(&self, code: &str) -> bool {
        answer::POOL_UNAVAILABLE.contains(&code)
    }

    fn pool_signals_request(&self, region: &str, instance_types: &[String]) -> Option<HttpRequest> {
        Some(signals::describe_spot_advice(region, instance_types))
    }

    fn read_pool_signals(&self, body: &[u8]) -> Result<Vec<crate::api::signals::PoolSignal>, QuoteFailure> {
        Ok(signals::parse_describe_spot_advice(body)?)
    }

    fn resources_request(&self, ask: &crate::api::resources::ResourcesBody) -> Option<HttpRequest> {
        resources::request(ask)
    }

    fn read_resources(
        &self,
        kind: crate::api::resources::ResourceKind,
        body: &[u8],
    ) -> Result<crate::api::resources::ResourcePage, QuoteFailure> {
        Ok(resources::read(kind, body)?)
    }

    fn image_requests(&self, region: &str, image_id: &str) -> Vec<HttpRequest> {
        resources::image_requests(region, image_id)
    }

    fn read_image(
        &self,
        image_id: &str,
        body: &[u8],
    ) -> Result<Option<crate::api::resources::AccountResource>, QuoteFailure> {
        Ok(resources::read_image(image_id, body)?)
    }

    fn quote_request(&self, ask: &QuoteAsk, now: i64, _token: &str) -> Result<HttpRequest, QuoteFailure> {
        Ok(prices::describe_spot_price_history(&prices::live_history_query(
            ask, now,
        )?))
    }

    fn read_quote(
        &self,
        ask: &QuoteAsk,
        _account: Currency,
        now: i64,
        body: &[u8],
    ) -> Result<QuoteReading, QuoteFailure> {
        let page = prices::parse_describe_spot_price_history(body, &prices::live_history_query(ask, now)?, now)?;
        let mut skipped: Vec<String> = page.skipped.iter().map(ToString::to_string).collect();
        // The history comes oldest first: a quote that read one page of several may lack the newest prices.
        if let Some(next) = page.next_offset {
            skipped.push(format!(
                "the answer has more pages (NextOffset {next}) and a live quote reads one: prices after its last \
                 record were not read"
            ));
        }
        Ok(QuoteReading {
            observations: page.observations,
            skipped,
        })
    }

    /// `DescribeSpotPriceHistory` keeps 30 days, read in pages by `Offset`.
    fn has_price_history(&self) -> bool {
        true
    }

    fn history_request(
        &self,
        ask: &QuoteAsk,
        now: i64,
        since: i64,
        page: Option<u32>,
    ) -> Result<HttpRequest, QuoteFailure> {
        Ok(prices::describe_spot_price_history(&prices::history_query(
            ask, now, since, page,
        )?))
    }

    fn read_history_page(
        &self,
        ask: &QuoteAsk,
        now: i64,
        since: i64,
        page: Option<u32>,
        body: &[u8],
    ) -> Result<crate::quote::HistoryPage, QuoteFailure> {
        let query = prices::history_query(ask, now, since, page)?;
        let page = prices::parse_describe_spot_price_history(body, &query, now)?;
        Ok(crate::quote::HistoryPage {
            observations: page.observations,
            next_page: page.next_offset,
        })
    }

    fn describe_instances(&self, region: &str, ids: &[String]) -> HttpRequest {
        instances::describe_instances(region, ids)
    }

    fn read_instances(&self, body: &[u8]) -> crate::lifecycle::DescribeReading {
        instances::read_instances(body)
    }

    fn release_instances(
        &self,
        region: &str,
        ids: &[String],
        token: &str,
        options: crate::lifecycle::ReleaseOptions,
    ) -> HttpRequest {
        instances::release_instances(region, ids, token, options)
    }

    fn read_release(&self, body: &[u8]) -> crate::lifecycle::ReleaseReading {
        instances::read_release(body)
    }

    /// None: an order has no handle of its own here; its instances are released one by one.
    fn cancel_unfulfilled_order(&self, _region: &str, _cloud_order_id: &str, _token: &str) -> Option<HttpRequest> {
        None
    }

    fn spot_list_request(&self, region: &str, page: Option<&str>) -> HttpRequest {
        instances::spot_list(region, page)
    }

    fn read_spot_list(&self, page: Option<&str>, body: &[u8]) -> Result<crate::lifecycle::InstancePage, CloudError> {
        instances::read_spot_list(page, body)
    }

    fn order_list_request(&self, region: &str, order_id: &str, page: Option<&str>) -> HttpRequest {
        instances::order_list(region, order_id, page)
    }

    fn read_order_list(
        &self,
        _page: Option<&str>,
        body: &[u8],
        order_id: &str,
    ) -> Result<crate::lifecycle::InstancePage, CloudError> {
        instances::read_order_list(body, order_id)
    }
}
