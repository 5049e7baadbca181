//! The clouds Spotplan plans for and places orders on. Each lives in a folder of its own — [`alibaba`],
//! [`tencent`], [`baidu`] — that owns everything that is that cloud's: its API hosts, version and headers, the
//! order request, reading its answers (orders and prices), its price queries, its bid unit and precision, where
//! an instance password travels, its validation rules, its billing facts and its snippet mappings.
//!
//! What every cloud offers the rest of the workspace is the [`CloudApi`] trait (planning and building orders), and
//! to the proxy alone [`CloudWire`] (talking to the live cloud); [`Cloud`], [`api`] and [`wire`] below are the one
//! place a cloud is registered (ARCHITECTURE.md, "How to add a cloud").

pub mod alibaba;
pub mod baidu;
pub(crate) mod resource_list;
pub mod tencent;

use serde::{Deserialize, Serialize};

use crate::billing::SpotRules;
use crate::money::Currency;
use crate::order::native_bid::BidUnit;
use crate::order::problem::Problems;
use crate::order::request::{AdminPass, HttpRequest};
use crate::order::{SpotOrder, ValidOrder, ValidationContext};
use crate::quote::json::Object;
use crate::quote::{CloudError, QuoteAsk, QuoteFailure, QuoteReading};

/// One of the clouds whose spot instances Spotplan plans and places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Cloud {
    /// Alibaba Cloud Elastic Compute Service (preemptible instances).
    Alibaba,
    /// Tencent Cloud Cloud Virtual Machine (spot instances, `SPOTPAID`).
    Tencent,
    /// Baidu AI Cloud Baidu Cloud Compute (spot instances, `/v2/instance/bid`).
    Baidu,
}

impl Cloud {
    /// Every cloud, in the order Spotplan shows them.
    pub const ALL: [Cloud; 3] = [Cloud::Alibaba, Cloud::Tencent, Cloud::Baidu];

    /// The stable identifier used in URLs, JSON and CLI flags.
    pub fn id(self) -> &'static str {
        api(self).names().id
    }

    /// The cloud and its compute product, as the vendor names them in English.
    pub fn display_name(self) -> &'static str {
        api(self).names().display
    }

    /// The cloud and its compute product, as the vendor names them in Chinese.
    pub fn display_name_zh(self) -> &'static str {
        api(self).names().display_zh
    }

    /// The vendor's short name (`Alibaba`).
    pub fn vendor(self) -> &'static str {
        api(self).names().vendor
    }

    /// What the vendor calls a spot instance, in English.
    pub fn spot_term(self) -> &'static str {
        api(self).names().spot_term
    }

    /// Parses [`Cloud::id`] back into a cloud.
    pub fn from_id(id: &str) -> Option<Cloud> {
        Cloud::ALL.into_iter().find(|cloud| cloud.id() == id)
    }
}

impl std::fmt::Display for Cloud {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.display_name())
    }
}

/// The cloud's implementation of [`CloudApi`]: the registry.
pub fn api(cloud: Cloud) -> &'static dyn CloudApi {
    match cloud {
        Cloud::Alibaba => &alibaba::Alibaba,
        Cloud::Tencent => &tencent::Tencent,
        Cloud::Baidu => &baidu::Baidu,
    }
}

/// The cloud's implementation of [`CloudWire`]: the registry's other half.
pub fn wire(cloud: Cloud) -> &'static dyn CloudWire {
    match cloud {
        Cloud::Alibaba => &alibaba::Alibaba,
        Cloud::Tencent => &tencent::Tencent,
        Cloud::Baidu => &baidu::Baidu,
    }
}

/// A cloud's names, as people and the workspace use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Names {
    /// The stable identifier used in URLs, JSON and CLI flags (`alibaba`).
    pub id: &'static str,
    /// The cloud and its compute product, as the vendor names them in English.
    pub display: &'static str,
    /// The cloud and its compute product, as the vendor names them in Chinese.
    pub display_zh: &'static str,
    /// The vendor's short name (`Alibaba`), as sources and messages cite it.
    pub vendor: &'static str,
    /// What the vendor calls a spot instance, in English.
    pub spot_term: &'static str,
    /// The compute product's short name (`ECS`), for labels with little room.
    pub product: &'static str,
    /// A badge of a few letters for dense tables, in English (`ALI`) and Chinese (`阿里`).
    pub badge: (&'static str, &'static str),
}

/// Why a cloud's offers have no bid advice from the embedded catalog, in a few words and in full, in English and
/// Chinese: what is known instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoAdviceReason {
    /// A few words (a table cell), English.
    pub short: &'static str,
    /// The full reason (on hover), English.
    pub detail: &'static str,
    /// A few words, Chinese.
    pub short_zh: &'static str,
    /// The full reason, Chinese.
    pub detail_zh: &'static str,
}

/// An id a person must give before an order can go (the planner cannot know their account's resources).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaunchId {
    /// The image.
    Image,
    /// The VPC.
    Vpc,
    /// The subnet (vSwitch on Alibaba).
    Subnet,
    /// The security group.
    SecurityGroup,
}

/// Where an instance password travels in a cloud's order request (so snippets and logs can hide it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordPlace {
    /// A query parameter (Alibaba `Password`).
    Query(&'static str),
    /// A JSON pointer into the body (Tencent `/LoginSettings/Password`, Baidu `/adminPass`).
    Body(&'static str),
}

/// Where a cloud's credentials come from by convention: its environment variables, its entry in Spotplan's
/// credentials file, and its CLI's own file (read by [`CloudWire::read_cli_credentials`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CredentialNames {
    /// The environment variable of the key id.
    pub key_id_env: &'static str,
    /// The environment variable of the secret.
    pub secret_env: &'static str,
    /// The key id's and the secret's field names in the cloud's object of Spotplan's credentials file.
    pub file_fields: (&'static str, &'static str),
    /// The cloud's CLI credentials file, relative to the home directory, when it has one.
    pub cli_file: Option<&'static str>,
    /// What to set, in one line.
    pub hint: &'static str,
}

/// A key pair read from a cloud CLI's own file, and the profile it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliCredentials {
    /// The key id.
    pub key_id: String,
    /// The secret.
    pub secret: String,
    /// The profile, when the file has several.
    pub profile: Option<String>,
}

/// What Spotplan knows of one cloud for planning and building orders — in the browser as in the proxy.
/// Implemented once per cloud folder; looked up with [`api`].
pub trait CloudApi: Sync {
    /// Which cloud this is.
    fn cloud(&self) -> Cloud;
    /// Its names.
    fn names(&self) -> Names;
    /// How it bills and reclaims spot instances.
    fn billing(&self) -> SpotRules;
    /// The unit and decimals of its bid field.
    fn bid_unit(&self) -> BidUnit;
    /// Where an instance password travels in its order request.
    fn password_place(&self) -> PasswordPlace;
    /// Whether a region of this cloud is in mainland China (Hong Kong and overseas are not).
    fn in_mainland_china(&self, region: &str) -> bool;
    /// What its signer adds to a request, as placeholders for the raw HTTP snippet.
    fn signing_placeholders(&self, request: &HttpRequest) -> Vec<(&'static str, String)>;
    /// The error codes it answers for a missing and for a malformed bid price.
    fn bid_price_codes(&self) -> BidPriceCodes;
    /// The live price query's ask for one of its offers, with what its query needs from the draft.
    fn quote_ask(
        &self,
        offer: crate::catalog::OfferKey,
        instance_type: &crate::catalog::InstanceType,
        draft: &crate::quote::QuoteDraft,
    ) -> crate::quote::QuoteAsk {
        let _ = (instance_type, draft);
        crate::quote::QuoteAsk::new(offer)
    }
    /// Whether its price query needs an image (the page then asks for one once).
    fn quote_needs_image(&self) -> bool {
        false
    }
    /// Whether it publishes prices at all (where not, a price is typed or fetched live from the account).
    fn publishes_prices(&self) -> bool {
        true
    }
    /// How the planner estimates its spot price where no source carries one (`None`: the price stays unknown).
    fn spot_estimate(&self) -> Option<crate::billing::SpotEstimateModel> {
        None
    }
    /// The draft order a person starts from for `count` instances of `offer`: the shared defaults
    /// ([`crate::order::draft::shared_draft`]) and what the cloud's own order adds or shapes differently.
    fn draft_order(&self, offer: &crate::catalog::OfferKey, count: u32) -> SpotOrder {
        crate::order::draft::shared_draft(offer, count)
    }
    /// Whether its order names a VPC beside the subnet (elsewhere the subnet implies it).
    fn order_takes_vpc(&self) -> bool {
        false
    }
    /// Whether its order call takes a dry run (where not, a dry run is Spotplan's own check and sends nothing).
    fn has_dry_run(&self) -> bool {
        true
    }
    /// Whether it says anything of its pools besides prices ([`CloudWire::pool_signals_request`]).
    fn has_pool_signals(&self) -> bool {
        true
    }
    /// How its instance list tells a spot instance from others, when a search of a region found instances but
    /// none of them spot and that is worth saying (`None`: its list asks for spot instances only).
    fn spot_list_note(&self) -> Option<String> {
        None
    }
    /// Why its offers have no bid advice without a price history, and what is known instead.
    fn no_advice_reason(&self) -> NoAdviceReason;
    /// The request parameter that carries a launch id (`VSwitchId`, `SubnetId`, `subnetId`…), for placeholders.
    fn launch_id_parameter(&self, id: LaunchId) -> &'static str;

    /// Checks an order against the cloud's own documented rules (the shared rules have run already).
    fn check(&self, order: &SpotOrder, context: &ValidationContext, problems: &mut Problems) -> ResolvedShape;
    /// Where each of the cloud's rules comes from, by rule id (every error-level rule has an entry).
    fn rule_sources(&self) -> &'static [(&'static str, &'static str)];
    /// The order call for a valid order, with this ClientToken and password form.
    fn order_request(&self, order: &ValidOrder, client_token: &str, admin_pass: &AdminPass) -> HttpRequest;

    /// The official CLI command for the order request.
    fn cli_snippet(&self, request: &HttpRequest) -> String;
    /// Python code with the official SDK for the order request.
    fn python_snippet(&self, request: &HttpRequest) -> String;
    /// Terraform for the order request (or why the provider cannot express it).
    fn terraform_snippet(&self, request: &HttpRequest) -> String;
}

/// What Spotplan knows of one cloud for talking to it live — its hosts, where its credentials are, reading its
/// answers and its price queries. The proxy uses it; the browser does not, so none of it is in the
/// wasm bundle. Implemented once per cloud folder, beside [`CloudApi`]; looked up with [`wire`].
pub trait CloudWire: Sync {
    /// Whether `host` is one of its API hosts (the proxy contacts no other).
    fn is_api_host(&self, host: &str) -> bool;
    /// The DNS domain every one of its API hosts is under: the proxy resolves no name outside the clouds' domains,
    /// whatever a region or zone id says.
    fn api_domain(&self) -> &'static str;
    /// How long before a reclaim its notice is given (the time from the notice to the instance's end).
    fn reclaim_notice_ms(&self) -> i64;
    /// Whether its error code means "slow down" (an HTTP 429 counts on every cloud, outside this).
    fn is_throttled(&self, code: &str) -> bool;
    /// Whether its describe answer flags an instance being reclaimed; where not, an instance that is gone without a
    /// release reads as reclaimed.
    fn flags_reclaims(&self) -> bool {
        false
    }
    /// Whether the login password travels encrypted with the account's secret key rather than as typed.
    fn encrypts_password(&self) -> bool {
        false
    }
    /// Where its credentials come from by convention.
    fn credential_names(&self) -> CredentialNames;
    /// Reads a key pair from the text of its CLI's credentials file ([`CredentialNames::cli_file`]), choosing
    /// `profile` when the file has several; `env` looks up an environment variable.
    fn read_cli_credentials(&self, _text: &str, _env: &dyn Fn(&str) -> Option<String>) -> Option<CliCredentials> {
        None
    }
    /// The cloud's error envelope in a parsed answer, if the answer is one.
    fn error_in(&self, answer: &Object) -> Option<CloudError>;
    /// The instance ids and order id of a successful order answer.
    fn created(&self, answer: &Object) -> (Vec<String>, Option<String>);
    /// What a person should change for one of its error codes (`None` for codes without advice).
    fn hint(&self, code: &str, message: &str) -> Option<&'static str>;

    /// Whether an order's error code says its pool (type and zone) has no stock or does not sell the type: a fleet
    /// moves to its next pool.
    fn pool_unavailable(&self, code: &str) -> bool;

    /// The cloud's call for what it says of its spot pools besides prices (interruption buckets, stock), for
    /// `instance_types` in `region`; `None` when it documents none.
    fn pool_signals_request(&self, region: &str, instance_types: &[String]) -> Option<HttpRequest>;
    /// Reads the answer to [`CloudWire::pool_signals_request`].
    fn read_pool_signals(&self, body: &[u8]) -> Result<Vec<crate::api::signals::PoolSignal>, QuoteFailure>;

    /// The call listing what `ask` asks for of the account's resources in a region, one page of at most
    /// [`crate::api::resources::MAX_RESOURCES`]; `None` when the cloud's orders take no such resource.
    fn resources_request(&self, ask: &crate::api::resources::ResourcesBody) -> Option<HttpRequest>;
    /// Reads the answer to [`CloudWire::resources_request`] for `kind`.
    fn read_resources(
        &self,
        kind: crate::api::resources::ResourceKind,
        body: &[u8],
    ) -> Result<crate::api::resources::ResourcePage, QuoteFailure>;

    /// The calls describing one image by id, whoever owns it (the account, the cloud, a marketplace), to be asked
    /// in order until one lists it: its OS family bounds a market bid (a Windows image's pay-as-you-go price
    /// includes the licence).
    fn image_requests(&self, region: &str, image_id: &str) -> Vec<HttpRequest>;
    /// Reads the answer to one of [`CloudWire::image_requests`]: the image, or `None` when it lists none by that id.
    fn read_image(
        &self,
        image_id: &str,
        body: &[u8],
    ) -> Result<Option<crate::api::resources::AccountResource>, QuoteFailure>;

    /// The live price query for one offer; `token` is a fresh idempotency token for clouds that want one.
    fn quote_request(&self, ask: &QuoteAsk, now: i64, token: &str) -> Result<HttpRequest, QuoteFailure>;
    /// Reads the answer to [`CloudWire::quote_request`] into dated observations; `account` is the currency the
    /// account pays in, which a cloud's answer may not name.
    fn read_quote(
        &self,
        ask: &QuoteAsk,
        account: Currency,
        now: i64,
        body: &[u8],
    ) -> Result<QuoteReading, QuoteFailure>;

    /// Whether it keeps a price history the refresher reads in pages ([`CloudWire::history_request`]); where not,
    /// the refresher asks its live quote, one query a pool.
    fn has_price_history(&self) -> bool {
        false
    }
    /// Page `page` (`None`: the first) of the offer's price history from `since` to `now` (Unix seconds).
    fn history_request(
        &self,
        ask: &QuoteAsk,
        now: i64,
        since: i64,
        page: Option<u32>,
    ) -> Result<HttpRequest, QuoteFailure> {
        let _ = (ask, now, since, page);
        Err(QuoteFailure::new(
            "no_history",
            "this cloud keeps no price history Spotplan reads",
        ))
    }
    /// Reads a page of [`CloudWire::history_request`] (asked with the same arguments).
    fn read_history_page(
        &self,
        ask: &QuoteAsk,
        now: i64,
        since: i64,
        page: Option<u32>,
        body: &[u8],
    ) -> Result<crate::quote::HistoryPage, QuoteFailure> {
        let _ = (ask, now, since, page, body);
        Err(QuoteFailure::new(
            "no_history",
            "this cloud keeps no price history Spotplan reads",
        ))
    }

    /// The describe call for up to [`crate::lifecycle::MAX_IDS_PER_CALL`] instance ids in one region.
    fn describe_instances(&self, region: &str, ids: &[String]) -> HttpRequest;
    /// Reads the answer to [`CloudWire::describe_instances`].
    fn read_instances(&self, body: &[u8]) -> crate::lifecycle::DescribeReading;
    /// The release call for up to [`crate::lifecycle::MAX_IDS_PER_CALL`] ids in one region; `token` is the
    /// idempotency token for clouds that take one.
    fn release_instances(
        &self,
        region: &str,
        ids: &[String],
        token: &str,
        options: crate::lifecycle::ReleaseOptions,
    ) -> HttpRequest;
    /// Reads the answer to [`CloudWire::release_instances`].
    fn read_release(&self, body: &[u8]) -> crate::lifecycle::ReleaseReading;
    /// The call cancelling a whole order none of whose instances has started yet (Baidu's `cancelBidOrder`), when
    /// the cloud has one; its answer is read with [`CloudWire::read_release`].
    fn cancel_unfulfilled_order(&self, region: &str, cloud_order_id: &str, token: &str) -> Option<HttpRequest>;
    /// The call listing a region's instances from `page` on (`None`: the first page); its answer says which are
    /// spot.
    fn spot_list_request(&self, region: &str, page: Option<&str>) -> HttpRequest;
    /// Reads the answer to [`CloudWire::spot_list_request`] for `page`: the spot instances and the next page.
    fn read_spot_list(&self, page: Option<&str>, body: &[u8]) -> Result<crate::lifecycle::InstancePage, CloudError>;
    /// The call listing a region's instances tagged with an order's id
    /// ([`crate::order::lookup_tag`]), from `page` on.
    fn order_list_request(&self, region: &str, order_id: &str, page: Option<&str>) -> HttpRequest;
    /// Reads the answer to [`CloudWire::order_list_request`] for `page`: the instances carrying the order's tag.
    fn read_order_list(
        &self,
        page: Option<&str>,
        body: &[u8],
        order_id: &str,
    ) -> Result<crate::lifecycle::InstancePage, CloudError>;
}

/// The errors a cloud answers for a bid price that is missing, malformed or below the market.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BidPriceCodes {
    /// A limit bid without a price.
    pub missing: &'static str,
    /// A price that is not a positive decimal.
    pub invalid: &'static str,
    /// A limit price below the current market price: the refusal the rules warn of, the answers' hints explain
    /// and the stand-ins give, written once here.
    pub below_market: DocumentedError,
}

/// An error as a cloud's answer carries it, with where it is documented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentedError {
    /// The error code.
    pub code: &'static str,
    /// The message, as the documentation words it.
    pub message: &'static str,
    /// The HTTP status the cloud answers it with.
    pub http_status: u16,
    /// Where the code and message are documented (a public page or an SDK package and version).
    pub source: &'static str,
}

/// What a cloud's checks resolved about the machine shape, for the request (Baidu sends `cpuCount` and
/// `memoryCapacityInGB`, read from the spec when not given).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResolvedShape {
    /// vCPUs, when the cloud's request carries them.
    pub cpu_count: Option<u32>,
    /// Memory in GB, when the cloud's request carries it.
    pub memory_gb: Option<u32>,
}

/// Whether `host` is `<prefix><label><suffix>` with one DNS label in the middle: the shape of every cloud's
/// regional API host (`ecs.cn-beijing.aliyuncs.com`).
pub(crate) fn host_with_one_label(host: &str, prefixes: &[&str], suffix: &str) -> bool {
    let label_ok = |label: &str| {
        !label.is_empty()
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    host.strip_suffix(suffix).is_some_and(|rest| {
        prefixes
            .iter()
            .any(|prefix| rest.strip_prefix(prefix).is_some_and(label_ok))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// The proxy resolves only names under the clouds' [`CloudWire::api_domain`]s: every host a cloud's calls go
    /// to must be under its own, or the call could never be made.
    #[test]
    fn every_call_goes_to_a_host_under_its_clouds_domain() {
        for cloud in Cloud::ALL {
            let wire = wire(cloud);
            let ids = ["i-1".to_owned()];
            let hosts = [
                wire.describe_instances("cn-beijing", &ids).host,
                wire.spot_list_request("cn-beijing", None).host,
                wire.order_list_request("cn-beijing", "order-1", None).host,
            ];
            for host in hosts {
                let domain = format!(".{}", wire.api_domain());
                assert!(host.ends_with(&domain), "{cloud}: {host} is outside {domain}");
                assert!(wire.is_api_host(&host), "{cloud}: {host}");
            }
            assert!(!wire.is_api_host(&format!("evil.com#.{}", wire.api_domain())));
        }
    }

    #[test]
    fn a_cloud_has_pool_signals_exactly_when_it_has_their_call() {
        for cloud in Cloud::ALL {
            let call = wire(cloud).pool_signals_request("cn-beijing", &["t.small".to_owned()]);
            assert_eq!(api(cloud).has_pool_signals(), call.is_some(), "{cloud}");
        }
    }

    #[test]
    fn ids_round_trip_for_every_cloud() {
        for cloud in Cloud::ALL {
            assert_eq!(Cloud::from_id(cloud.id()), Some(cloud));
        }
        assert_eq!(Cloud::from_id("aws"), None);
    }

    #[test]
    fn serde_uses_the_stable_ids() {
        let json = serde_json::to_string(&Cloud::ALL).unwrap();
        assert_eq!(json, r#"["alibaba","tencent","baidu"]"#);
    }

    #[test]
    fn display_names_name_the_product() {
        assert_eq!(Cloud::Baidu.to_string(), "Baidu AI Cloud BCC");
        assert_eq!(Cloud::Tencent.display_name_zh(), "腾讯云 CVM");
    }
}
