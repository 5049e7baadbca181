//! `POST /api/v1/orders` (an order under an `Idempotency-Key`), `GET /api/v1/orders` (the log, newest first) and
//! `GET /api/v1/orders/{id}`: the submission, the logged order as the API shows it, and the answers.

use serde::{Deserialize, Serialize};

use crate::clouds::Cloud;
use crate::money::Money;
use crate::order::outcome::OrderStatus;
use crate::order::{Problem, SpotOrder};

/// The most orders one list answers.
pub const MAX_LIST: u32 = 1000;

/// What `POST /api/v1/orders` takes: `{"order": …, "quoted_price"?: …}`, or the order alone (as the curl snippet
/// sends it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum OrderSubmission {
    /// The order with the price the UI showed.
    Quoted(QuotedOrder),
    /// The order alone.
    Bare(SpotOrder),
}

/// An order with the price the UI showed when it was submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct QuotedOrder {
    /// The order.
    pub order: SpotOrder,
    /// The quoted price at submission (native unit), logged beside the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quoted_price: Option<String>,
}

impl OrderSubmission {
    /// Reads a body: the wrapped shape when it has an `order` key, else a bare order — each with the reader's
    /// own error, which names the field (an untagged enum would only say that nothing matched).
    pub fn from_json(body: &[u8]) -> Result<OrderSubmission, String> {
        let json: serde_json::Value =
            serde_json::from_slice(body).map_err(|error| format!("the body is not JSON: {error}"))?;
        if json.get("order").is_some() {
            serde_json::from_value(json)
                .map(OrderSubmission::Quoted)
                .map_err(|error| format!("the body is not a Spotplan order ({error})"))
        } else {
            serde_json::from_value(json)
                .map(OrderSubmission::Bare)
                .map_err(|error| format!("the body is not a Spotplan order ({error})"))
        }
    }

    /// The order and the quoted price.
    pub fn into_parts(self) -> (SpotOrder, Option<String>) {
        match self {
            OrderSubmission::Quoted(quoted) => (quoted.order, quoted.quoted_price),
            OrderSubmission::Bare(order) => (order, None),
        }
    }
}

/// A logged order as the API shows it: what was asked, what the cloud said, and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct OrderRecord {
    /// Spotplan's id for the order.
    pub id: String,
    /// The idempotency key it was submitted with.
    pub idempotency_key: String,
    /// The cloud.
    pub cloud: Cloud,
    /// The region.
    pub region: String,
    /// Whether it was a dry run.
    pub dry_run: bool,
    /// Where it stands.
    pub status: OrderStatus,
    /// The ClientToken sent to the cloud.
    pub client_token: String,
    /// The order as submitted, with any password removed.
    pub order: serde_json::Value,
    /// The quoted price at submission, when the UI sent one.
    pub quoted_price: Option<String>,
    /// The request sent, with secrets removed (signature, credentials, password).
    pub request: Option<serde_json::Value>,
    /// The cloud's answer (body as JSON when it was JSON), secrets never included.
    pub response: Option<serde_json::Value>,
    /// The cloud's request id.
    pub cloud_request_id: Option<String>,
    /// Instance ids created.
    pub instance_ids: Vec<String>,
    /// The cloud's order id (Baidu).
    pub cloud_order_id: Option<String>,
    /// The cloud's error code.
    pub error_code: Option<String>,
    /// The cloud's error message.
    pub error_message: Option<String>,
    /// What to change, in words a person can act on.
    pub hint: Option<String>,
    /// How many HTTP attempts were made (network retries reuse the ClientToken).
    pub attempts: u32,
    /// When it was recorded (Unix milliseconds).
    pub created_at_ms: i64,
    /// When the outcome was recorded (Unix milliseconds).
    pub finished_at_ms: Option<i64>,
    /// Time spent waiting for the cloud, microseconds.
    pub upstream_us: Option<i64>,
    /// Whether any attempt so far may have reached the cloud (then a later refusal does not prove nothing exists).
    pub may_have_reached_cloud: bool,
    /// The most this order can cost per hour (instances × the hourly bid, or the on-demand cap of a market bid),
    /// when known: what the spend ceilings count.
    pub max_cost_per_hour: Option<Money>,
    /// Who placed it, in team mode (the person whose API key sent it); absent for the proxy's own token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placed_by: Option<String>,
}

/// The body of `POST /api/v1/orders/{id}/lookup` (nothing to say: the order names all the lookup needs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LookupBody {}

/// The answer of `POST /api/v1/orders/{id}/lookup`: what the cloud lists under an unknown order's tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LookupAnswer {
    /// The order as logged after the lookup: `succeeded` with the instances found; `not_found` when none exists,
    /// the resend window has passed and the last attempt is ten minutes old; else still `unknown`.
    pub record: OrderRecord,
    /// The instance ids carrying the order's tag now (empty: none exists now).
    pub found: Vec<String>,
}

/// The answer to a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SubmitAnswer {
    /// The order as logged, with its outcome.
    #[serde(flatten)]
    pub record: OrderRecord,
    /// A stored final outcome answered again (the key was used before).
    pub replayed: bool,
    /// Validation's warnings.
    pub warnings: Vec<Problem>,
    /// Whether the outcome is on disk already (otherwise the proxy keeps retrying the write; reads see it).
    pub logged: bool,
}

/// The query of `GET /api/v1/orders`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// How many, newest first (default 100).
    #[cfg_attr(feature = "schema", schemars(range(min = 1, max = 1000)))]
    pub limit: Option<u32>,
    /// Only the orders this person placed (team mode).
    #[serde(default)]
    pub placed_by: Option<String>,
}

/// The order log, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct OrderList {
    /// The orders.
    pub orders: Vec<OrderRecord>,
}
