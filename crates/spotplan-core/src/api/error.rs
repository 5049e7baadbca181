//! The one shape of every error answer: `{"error": {"code", "message", "field"?, "problems"?}}`.

use serde::{Deserialize, Serialize};

use crate::order::Problem;

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// What went wrong, for a person and for a program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ErrorDetail {
    /// A stable code (`invalid_order`, `token_required`, `spend_ceiling`…).
    pub code: String,
    /// What happened and what to do, in words.
    pub message: String,
    /// The request field at fault (a JSON path such as `bid.max_price`), or the header (`Idempotency-Key`, `Host`,
    /// `Origin`…; headers are named as HTTP writes them, with capitals), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every problem of an invalid order, with its field, rule and the cloud error it prevents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problems: Option<Vec<Problem>>,
}
