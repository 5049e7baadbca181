//! Baidu AI Cloud BCC: its API facts (`bcc.<region>.baidubce.com`, `/v2/instance/bid` with a JSON body), and the
//! modules that hold the rest — the order request ([`order`]), its answers ([`answer`]), its market queries
//! ([`prices`]), its instances' describe and release calls ([`instances`]), its account's resource lists
//! ([`resources`]), its validation rules (`rules`) and its snippet mappings (`snippets`). [`Baidu`] is its
//! [`CloudApi`] and [`CloudWire`].

pub mod answer;
pub mod instances;
pub mod order;
pub mod prices;
pub mod resources;
pub(crate) mod rules;
mod snippets;

use std::num::NonZeroU32;

use crate::billing::SpotRules;
use crate::clouds::{
    BidPriceCodes, Cloud, CloudApi, CloudWire, CredentialNames, LaunchId, Names, NoAdviceReason, PasswordPlace,
    ResolvedShape, host_with_one_label,
};
use crate::money::{Currency, TimeUnit};
use crate::order::native_bid::BidUnit;
use crate::order::problem::Problems;
use crate::order::request::{AdminPass, HttpRequest};
use crate::order::{SpotOrder, ValidOrder, ValidationContext};
use crate::quote::json::Object;
use crate::quote::{CloudError, QuoteAsk, QuoteFailure, QuoteReading};

/// The decimals Spotplan sends in `bidPrice` (per instance-minute). Baidu documents no precision for it; six
/// keep a per-hour price exact to the fen and below.
pub(crate) const BID_DECIMALS: u32 = 6;

/// Baidu AI Cloud BCC.
#[derive(Debug, Clone, Copy)]
pub struct Baidu;

impl CloudApi for Baidu {
    fn cloud(&self) -> Cloud {
        Cloud::Baidu
    }

    fn names(&self) -> Names {
        Names {
            id: "baidu",
            display: "Baidu AI Cloud BCC",
            display_zh: "百度智能云 BCC",
            vendor: "Baidu",
            spot_term: "spot instance",
            product: "BCC",
            badge: ("BD", "百度"),
        }
    }

    fn billing(&self) -> SpotRules {
        SpotRules {
            billing_granularity_seconds: 60,
            protection_seconds: 0,
            capped_at_on_demand: true,
            cap_documented: false,
            reclaims_on_price: true,
            reclaim_note: "market bids are reclaimed only for stock; custom bids also when the market price \
                           exceeds the bid; 5-minute SMS notice (Baidu spot overview)",
        }
    }

    /// `bidPrice` is per instance-**minute** (the seed's spot guide); no precision is documented, so Spotplan
    /// sends at most 6 decimals.
    fn bid_unit(&self) -> BidUnit {
        BidUnit {
            per: TimeUnit::Minute,
            decimals: BID_DECIMALS,
        }
    }

    fn password_place(&self) -> PasswordPlace {
        PasswordPlace::Body("/adminPass")
    }

    /// Hong Kong and Singapore are outside the mainland; every other documented endpoint region is inside.
    fn in_mainland_china(&self, region: &str) -> bool {
        !matches!(region, "hkg" | "sin")
    }

    /// The proxy binds the body with its SHA-256 in a signed `x-bce-*` header (bce-auth-v1 does not sign the
    /// body by itself).
    fn signing_placeholders(&self, request: &HttpRequest) -> Vec<(&'static str, String)> {
        vec![
            ("x-bce-content-sha256", "<SHA-256 of the body as sent, hex>".into()),
            ("x-bce-date", "<UTC time, e.g. 2026-11-23T08:00:00Z>".into()),
            (
                "authorization",
                format!(
                    "bce-auth-v1/<AccessKeyId>/<UTC time>/1800//<signature over {} {}, computed by the proxy>",
                    request.method, request.path
                ),
            ),
        ]
    }

    fn quote_ask(
        &self,
        offer: crate::catalog::OfferKey,
        instance_type: &crate::catalog::InstanceType,
        _draft: &crate::quote::QuoteDraft,
    ) -> crate::quote::QuoteAsk {
        // The market price query takes the spec's size (whole GB of memory).
        crate::quote::QuoteAsk {
            cpu_count: Some(instance_type.vcpu),
            memory_gb: instance_type.memory_gib.normalize().to_string().parse::<u32>().ok(),
            ..crate::quote::QuoteAsk::new(offer)
        }
    }

    /// Its order call has no dry run (the seed's "Create spot instances" lists no such parameter).
    fn has_dry_run(&self) -> bool {
        false
    }

    /// It documents no interruption or stock signal for BCC spot.
    fn has_pool_signals(&self) -> bool {
        false
    }

    /// BCC publishes no price list Spotplan can embed: prices come from the account (a live quote) or are typed.
    fn publishes_prices(&self) -> bool {
        false
    }

    /// Its bid order names a spec (`spec`, e.g. `bcc.g5.c2m8`) where the others name an instance type.
    fn draft_order(&self, offer: &crate::catalog::OfferKey, count: u32) -> SpotOrder {
        let mut draft = crate::order::draft::shared_draft(offer, count);
        draft.instance_type = None;
        draft.baidu = Some(crate::order::model::BaiduShape {
            spec: Some(offer.instance_type.clone()),
            cpu_count: None,
            memory_gb: None,
            isomerism_card: None,
        });
        draft
    }

    /// Its instance list holds every instance; `paymentTiming` marks the spot ones ([`instances::SPOT_PAYMENT_TIMINGS`]).
    fn spot_list_note(&self) -> Option<String> {
        Some(format!(
            "Baidu's list marks spot instances with paymentTiming {}, and only those can be watched",
            instances::SPOT_PAYMENT_TIMINGS.join(" or ")
        ))
    }

    fn no_advice_reason(&self) -> NoAdviceReason {
        NoAdviceReason {
            short: "no public prices",
            detail: "Baidu publishes no BCC spot prices: fetch the live market price or type a bid above it.",
            short_zh: "未公开价格",
            detail_zh: "百度未公开 BCC 竞价价格：请获取实时市场价，或输入高于市场价的出价。",
        }
    }

    fn launch_id_parameter(&self, id: LaunchId) -> &'static str {
        match id {
            LaunchId::Image => "imageId",
            LaunchId::Vpc => "vpcId",
            LaunchId::Subnet => "subnetId",
            LaunchId::SecurityGroup => "securityGroupId",
        }
    }

    fn bid_price_codes(&self) -> BidPriceCodes {
        BidPriceCodes {
            missing: "BadRequest: bidPrice can not be null when bidModel is custom",
            invalid: "BadRequest: bidPrice is invalid",
            below_market: answer::BID_BELOW_MARKET,
        }
    }

    fn rule_sources(&self) -> &'static [(&'static str, &'static str)] {
        rules::SOURCES
    }

    fn check(&self, order: &SpotOrder, context: &ValidationContext, problems: &mut Problems) -> ResolvedShape {
        let (cpu_count, memory_gb) = rules::check(order, context, problems);
        ResolvedShape {
            cpu_count: Some(cpu_count),
            memory_gb: Some(memory_gb),
        }
    }

    fn order_request(&self, order: &ValidOrder, client_token: &str, admin_pass: &AdminPass) -> HttpRequest {
        order::create_bid_instance(order, client_token, admin_pass)
    }

    fn cli_snippet(&self, request: &HttpRequest) -> String {
        snippets::cli(request)
    }

    fn python_snippet(&self, request: &HttpRequest) -> String {
        snippets::python(request)
    }

    fn terraform_snippet(&self, request: &HttpRequest) -> String {
        snippets::terraform(request)
    }
}

impl CloudWire for Baidu {
    /// `bcc.<region>.baidubce.com`.
    fn is_api_host(&self, host: &str) -> bool {
        host_with_one_label(host, &["bcc."], ".baidubce.com")
    }

    fn api_domain(&self) -> &'static str {
        "baidubce.com"
    }

    /// Five minutes: BCC notifies by SMS and Cloud Monitor event five minutes before it releases a spot instance
    /// (https://intl.cloud.baidu.com/doc/BCC/s/fkag7tev6-en).
    fn reclaim_notice_ms(&self) -> i64 {
        5 * 60_000
    }

    /// Baidu documents no throttling code for BCC; these two are our guess at its envelope's (an HTTP 429 counts
    /// on every cloud anyway).
    fn is_throttled(&self, code: &str) -> bool {
        code == "TooManyRequests" || code == "Throttling"
    }

    /// `adminPass` is AES-128-ECB encrypted with the first 16 characters of the secret key (bce-python-sdk 0.9.79
    /// `aes128_encrypt_16char_key`; the seed's "Create spot instances", adminPass).
    fn encrypts_password(&self) -> bool {
        true
    }

    fn credential_names(&self) -> CredentialNames {
        CredentialNames {
            key_id_env: "BCE_ACCESS_KEY_ID",
            secret_env: "BCE_SECRET_ACCESS_KEY",
            file_fields: ("access_key_id", "secret_access_key"),
            cli_file: None,
            hint: "BCE_ACCESS_KEY_ID and BCE_SECRET_ACCESS_KEY",
        }
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

    /// Baidu documents no interruption or stock signal for BCC spot (none found in its BCC API reference).
    fn pool_signals_request(&self, _region: &str, _instance_types: &[String]) -> Option<HttpRequest> {
        None
    }

    fn read_pool_signals(&self, _body: &[u8]) -> Result<Vec<crate::api::signals::PoolSignal>, QuoteFailure> {
        Err(QuoteFailure::new(
            "no_signals",
            "Baidu documents no interruption or stock signal for BCC spot",
        ))
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

    fn quote_request(&self, ask: &QuoteAsk, _now: i64, token: &str) -> Result<HttpRequest, QuoteFailure> {
        Ok(prices::bid_price(
            &bid_price_query(ask, Currency::Cny)?,
            &format!("spotplan-quote-{token}"),
        ))
    }

    fn read_quote(
        &self,
        ask: &QuoteAsk,
        account: Currency,
        now: i64,
        body: &[u8],
    ) -> Result<QuoteReading, QuoteFailure> {
        Ok(prices::parse_bid_price(body, &bid_price_query(ask, account)?, now)?.into())
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

    fn cancel_unfulfilled_order(&self, region: &str, cloud_order_id: &str, token: &str) -> Option<HttpRequest> {
        Some(instances::cancel_bid_order(region, cloud_order_id, token))
    }

    fn spot_list_request(&self, region: &str, page: Option<&str>) -> HttpRequest {
        instances::spot_list(region, page)
    }

    fn read_spot_list(&self, _page: Option<&str>, body: &[u8]) -> Result<crate::lifecycle::InstancePage, CloudError> {
        instances::read_spot_list(body)
    }

    /// The whole region's list: the order's instances are picked from it by their `tags`.
    fn order_list_request(&self, region: &str, _order_id: &str, page: Option<&str>) -> HttpRequest {
        instances::order_list(region, page)
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

/// The `bidPrice` query of one offer: one instance of the spec, which Baidu wants as vCPUs and memory too.
fn bid_price_query(ask: &QuoteAsk, account: Currency) -> Result<prices::BidPriceQuery, QuoteFailure> {
    let (Some(cpu_count), Some(memory_gb)) = (ask.cpu_count, ask.memory_gb) else {
        return Err(QuoteFailure::new(
            "needs_shape",
            "Baidu's bidPrice needs the spec's cpu_count and memory_gb",
        ));
    };
    Ok(prices::BidPriceQuery {
        region: ask.offer.region.clone(),
        zone: ask.offer.zone.clone(),
        spec: ask.offer.instance_type.clone(),
        instance_type: ask.instance_class.clone().unwrap_or_else(|| "N5".into()),
        cpu_count,
        memory_gb,
        root_disk_size_gb: None,
        root_disk_storage_type: None,
        currency: account,
        purchase_count: NonZeroU32::MIN,
    })
}
