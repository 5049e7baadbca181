//! `GET /api/v1/health`: the proxy's version, whether the caller presented the token, each cloud's mode and
//! where its credentials came from (never the credentials), and the spend ceilings in force.

use serde::{Deserialize, Serialize};

use crate::clouds::Cloud;
use crate::money::Money;

/// The health answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Health {
    /// Always `spotplan-proxy`.
    pub service: String,
    /// The proxy's version.
    pub version: String,
    /// Whether this request carried the proxy's token (header or sign-in cookie): without it every other API
    /// call is refused, and the app tells the person to open the sign-in link.
    pub signed_in: bool,
    /// Team mode: the person whose key this request carried (their "release all" is all of theirs); none for the
    /// proxy's own token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
    /// One entry per cloud, in [`Cloud::ALL`] order.
    pub clouds: Vec<CloudHealth>,
    /// The spend ceilings orders are checked against.
    pub spend: SpendCeilings,
}

impl Health {
    /// A cloud's line.
    pub fn cloud(&self, cloud: Cloud) -> Option<&CloudHealth> {
        self.clouds.iter().find(|line| line.cloud == cloud)
    }
}

/// Whether one cloud can be used for submitting, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CloudHealth {
    /// The cloud.
    pub cloud: Cloud,
    /// The cloud's display name.
    pub name: String,
    /// Whether credentials are configured for the cloud.
    pub credentials_configured: bool,
    /// Where the credentials came from (an environment variable or file name), when configured.
    pub credentials_source: Option<String>,
    /// Whether orders can be placed or the cloud is plan-only.
    pub mode: CloudMode,
    /// The endpoint override in force, when one is set (a base URL, never a secret).
    pub endpoint_override: Option<String>,
    /// The currency the configured account is billed in (CNY on the China sites, USD on the international sites):
    /// bids sent through this proxy must be in it. `None` in planning mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_currency: Option<crate::money::Currency>,
    /// Where the account currency was set (an environment variable, the credentials file, or the default); told
    /// only to those signed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_currency_source: Option<AccountSiteSource>,
}

/// Where the proxy learnt which site a cloud's account is on (and so the currency its bids are sent in): a typed
/// value each page words in its own language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AccountSiteSource {
    /// How it was set.
    pub kind: SiteSourceKind,
    /// The variable that set it (or, by default, the one that would), or the credentials file's path.
    pub name: String,
}

/// How an account's site was set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SiteSourceKind {
    /// Nothing said otherwise: the China site (`name` is the variable that would say otherwise).
    Default,
    /// An environment variable of the proxy's.
    Environment,
    /// The proxy's credentials file.
    CredentialsFile,
}

impl AccountSiteSource {
    /// The China site by default; `variable` would set another.
    pub fn default_site(variable: String) -> AccountSiteSource {
        AccountSiteSource {
            kind: SiteSourceKind::Default,
            name: variable,
        }
    }

    /// Set by the environment variable `variable`.
    pub fn environment(variable: String) -> AccountSiteSource {
        AccountSiteSource {
            kind: SiteSourceKind::Environment,
            name: variable,
        }
    }

    /// Set in the credentials file at `path`.
    pub fn credentials_file(path: String) -> AccountSiteSource {
        AccountSiteSource {
            kind: SiteSourceKind::CredentialsFile,
            name: path,
        }
    }
}

impl std::fmt::Display for AccountSiteSource {
    /// In English, for the proxy's log and its error messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = &self.name;
        match self.kind {
            SiteSourceKind::Default => {
                write!(
                    f,
                    "China site (the default; set {name}=USD for an international-site account)"
                )
            }
            SiteSourceKind::Environment => write!(f, "environment ({name})"),
            SiteSourceKind::CredentialsFile => write!(f, "config file {name}"),
        }
    }
}

/// What the proxy can do for a cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CloudMode {
    /// Credentials are configured: orders can be placed.
    Submit,
    /// No credentials: planning only.
    Planning,
}

/// The spend ceilings of the proxy (see README, "Configure").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SpendCeilings {
    /// The most one order may cost per hour.
    pub max_order_per_hour: Option<Money>,
    /// The most all orders of the last hour may cost per hour together.
    pub max_spend_per_hour: Option<Money>,
    /// The most instances one order may start.
    pub max_instances_per_order: u32,
}

/// `GET /api/v1/live` and `GET /api/v1/ready`: whether the process answers, and whether it can take orders (its
/// database reachable, every migration applied) — for a load balancer or an orchestrator's probes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Probe {
    /// `live` or `ready`.
    pub status: String,
    /// Where orders are kept: `sqlite` (this machine) or `postgresql` (shared by a team's replicas).
    pub database: String,
}
