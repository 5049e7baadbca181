//! Tencent Cloud CVM: its API facts (JSON over `cvm.tencentcloudapi.com`, version 2017-03-12, the region in a
//! header), and the modules that hold the rest — the order request ([`order`]), its answers ([`answer`]), its
//! price inquiry ([`prices`]), its pool signals ([`signals`]), its instances' describe and release calls
//! ([`instances`]), its account's resource lists ([`resources`]), its validation rules (`rules`) and its snippet
//! mappings (`snippets`). [`Tencent`] is its [`CloudApi`] and [`CloudWire`].

pub mod answer;
pub mod instances;
pub mod order;
pub mod prices;
pub mod resources;
pub(crate) mod rules;
pub mod signals;
mod snippets;

use std::num::NonZeroU32;

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

/// The decimals Spotplan sends in `MaxPrice` (per instance-hour). Tencent documents no precision for it; four
/// carries a hundredth of a fen.
pub(crate) const BID_DECIMALS: u32 = 4;

/// Tencent Cloud CVM.
#[derive(Debug, Clone, Copy)]
pub struct Tencent;

/// "In the vast majority of cases … 3%–20% of the pay-as-you-go price" (CVM FAQ 213/17817, 2025-09-05): no data
/// source carries Tencent spot prices, so the planner estimates them at the top of that range, which never flatters
/// the savings.
pub const SPOT_ESTIMATE: crate::billing::SpotEstimateModel = crate::billing::SpotEstimateModel {
    low: rust_decimal::Decimal::from_parts(3, 0, 0, false, 2),
    high: rust_decimal::Decimal::from_parts(20, 0, 0, false, 2),
    assumed: rust_decimal::Decimal::from_parts(20, 0, 0, false, 2),
    basis: "Tencent documents spot prices of 3%–20% of pay-as-you-go in most cases (CVM FAQ 213/17817, \
            2025-09-05); this estimate assumes 20%, the top of the range",
};

impl CloudApi for Tencent {
    fn cloud(&self) -> Cloud {
        Cloud::Tencent
    }

    fn names(&self) -> Names {
        Names {
            id: "tencent",
            display: "Tencent Cloud CVM",
            display_zh: "腾讯云 CVM",
            vendor: "Tencent",
            spot_term: "spot instance",
            product: "CVM",
            badge: ("TC", "腾讯"),
        }
    }

    fn billing(&self) -> SpotRules {
        SpotRules {
            billing_granularity_seconds: 1,
            protection_seconds: 0,
            capped_at_on_demand: true,
            cap_documented: false,
            reclaims_on_price: false,
            reclaim_note: "reclaimed only when spot stock runs out, at any time, with a 2-minute notice; Tencent \
                           documents no price-based reclaim today (CVM doc 213/17816, 2024-06-02)",
        }
    }

    /// `MaxPrice` is per instance-hour; no precision is documented, so Spotplan sends at most 4 decimals.
    fn bid_unit(&self) -> BidUnit {
        BidUnit {
            per: TimeUnit::Hour,
            decimals: BID_DECIMALS,
        }
    }

    fn password_place(&self) -> PasswordPlace {
        PasswordPlace::Body("/LoginSettings/Password")
    }

    fn in_mainland_china(&self, region: &str) -> bool {
        matches!(
            region,
            "ap-guangzhou" | "ap-shanghai" | "ap-nanjing" | "ap-beijing" | "ap-chengdu" | "ap-chongqing"
        )
    }

    fn signing_placeholders(&self, _request: &HttpRequest) -> Vec<(&'static str, String)> {
        vec![
            ("x-tc-timestamp", "<Unix seconds>".into()),
            (
                "authorization",
                "TC3-HMAC-SHA256 Credential=<SecretId>/<UTC date>/cvm/tc3_request, SignedHeaders=content-type;host, \
                 Signature=<signature, computed by the proxy>"
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
        // InquiryPriceRunInstances prices a launch, and a launch needs an image.
        crate::quote::QuoteAsk {
            image_id: draft.image_id.clone(),
            ..crate::quote::QuoteAsk::new(offer)
        }
    }

    /// `VirtualPrivateCloud.VpcId` beside `SubnetId` (tencentcloud-sdk-python-cvm 3.1.178 `VirtualPrivateCloud`).
    fn order_takes_vpc(&self) -> bool {
        true
    }

    fn quote_needs_image(&self) -> bool {
        true
    }

    fn spot_estimate(&self) -> Option<crate::billing::SpotEstimateModel> {
        Some(SPOT_ESTIMATE)
    }

    fn no_advice_reason(&self) -> NoAdviceReason {
        NoAdviceReason {
            short: "reclaimed on stock, not price",
            detail: "Tencent reclaims spot instances when capacity runs short, whatever the bid; the price is capped at pay-as-you-go, so a market bid never loses on price.",
            short_zh: "按库存回收，与出价无关",
            detail_zh: "腾讯云在库存不足时回收竞价实例，与出价无关；价格不超过按量价格，因此跟随市场价的出价不会因价格被回收。",
        }
    }

    fn launch_id_parameter(&self, id: LaunchId) -> &'static str {
        match id {
            LaunchId::Image => "ImageId",
            LaunchId::Vpc => "VpcId",
            LaunchId::Subnet => "SubnetId",
            LaunchId::SecurityGroup => "SecurityGroupIds",
        }
    }

    fn bid_price_codes(&self) -> BidPriceCodes {
        BidPriceCodes {
            missing: "MissingParameter",
            invalid: "InvalidParameterValue",
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
        snippets::tccli(request)
    }

    fn python_snippet(&self, request: &HttpRequest) -> String {
        snippets::python(request)
    }

    fn terraform_snippet(&self, request: &HttpRequest) -> String {
        snippets::terraform(request)
    }
}

impl CloudWire for Tencent {
    /// `cvm.tencentcloudapi.com` or `cvm.<region>.tencentcloudapi.com`.
    fn is_api_host(&self, host: &str) -> bool {
        host == order::TENCENT_HOST
            || host == resources::VPC_HOST
            || host_with_one_label(host, &["cvm.", "vpc."], ".tencentcloudapi.com")
    }

    fn api_domain(&self) -> &'static str {
        "tencentcloudapi.com"
    }

    /// Two minutes: the metadata's `spot/termination-time` is set two minutes before the instance is reclaimed
    /// (https://www.tencentcloud.com/document/product/213/17817).
    fn reclaim_notice_ms(&self) -> i64 {
        2 * 60_000
    }

    /// `RequestLimitExceeded` and its `.UinLimitExceeded`, `.IPLimitExceeded`, `.GlobalRegionUinLimitExceeded`
    /// (tencentcloud-sdk-python-common 3.1.195 `common/retry.py` retries `RequestLimitExceeded`; the suffixes are
    /// Tencent's common error table).
    fn is_throttled(&self, code: &str) -> bool {
        code == "RequestLimitExceeded" || code.starts_with("RequestLimitExceeded.")
    }

    fn credential_names(&self) -> CredentialNames {
        CredentialNames {
            key_id_env: "TENCENTCLOUD_SECRET_ID",
            secret_env: "TENCENTCLOUD_SECRET_KEY",
            file_fields: ("secret_id", "secret_key"),
            cli_file: Some(".tccli/default.credential"),
            hint: "TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY (or tccli's credential file)",
        }
    }

    /// tccli's `~/.tccli/default.credential` (`{"secretId", "secretKey"}`).
    fn read_cli_credentials(&self, text: &str, _env: &dyn Fn(&str) -> Option<String>) -> Option<CliCredentials> {
        let json: serde_json::Value = serde_json::from_str(text).ok()?;
        Some(CliCredentials {
            key_id: json["secretId"].as_str().filter(|value| !value.is_empty())?.to_owned(),
            secret: json["secretKey"].as_str().filter(|value| !value.is_empty())?.to_owned(),
            profile: None,
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
        Some(signals::describe_zone_instance_config_infos(region, instance_types))
    }

    fn read_pool_signals(&self, body: &[u8]) -> Result<Vec<crate::api::signals::PoolSignal>, QuoteFailure> {
        Ok(signals::parse_describe_zone_instance_config_infos(body)?)
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
        vec![resources::image_request(region, image_id)]
    }

    fn read_image(
        &self,
        image_id: &str,
        body: &[u8],
    ) -> Result<Option<crate::api::resources::AccountResource>, QuoteFailure> {
        Ok(resources::read_image(image_id, body)?)
    }

    fn quote_request(&self, ask: &QuoteAsk, _now: i64, _token: &str) -> Result<HttpRequest, QuoteFailure> {
        Ok(prices::inquiry_price_run_instances(&inquiry(ask, Currency::Cny)?))
    }

    fn read_quote(
        &self,
        ask: &QuoteAsk,
        account: Currency,
        now: i64,
        body: &[u8],
    ) -> Result<QuoteReading, QuoteFailure> {
        Ok(prices::parse_inquiry_price_run_instances(body, &inquiry(ask, account)?, now)?.into())
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
        page: Option<&str>,
        body: &[u8],
        order_id: &str,
    ) -> Result<crate::lifecycle::InstancePage, CloudError> {
        instances::read_order_list(page, body, order_id)
    }
}

/// The spot price inquiry of one offer: one instance, with the image the app names (Tencent prices a whole
/// configuration and needs one); its prices are in the account's currency.
fn inquiry(ask: &QuoteAsk, account: Currency) -> Result<prices::SpotInquiry, QuoteFailure> {
    let image_id = ask.image_id.clone().filter(|id| !id.is_empty()).ok_or_else(|| {
        QuoteFailure::new(
            "needs_image",
            "Tencent's price inquiry prices a full configuration: give an image id",
        )
    })?;
    let zone = ask
        .offer
        .zone
        .clone()
        .ok_or_else(|| QuoteFailure::new("needs_zone", "Tencent prices per zone: give a zone"))?;
    Ok(prices::SpotInquiry {
        region: ask.offer.region.clone(),
        zone,
        instance_type: ask.offer.instance_type.clone(),
        image_id,
        instance_count: NonZeroU32::MIN,
        currency: account,
    })
}
