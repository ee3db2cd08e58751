//! Step errors and their classification for retries.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::time::Duration;

/// Whether retrying may help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorKind {
    /// Network failures, timeouts, HTTP 429 and 5xx: retried under the node's retry policy.
    Transient,
    /// Validation errors, HTTP 4xx, explicit stops: never retried.
    Permanent,
}

/// An error from a step, shown to users and routed to the node's `error` port.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
#[error("{message}")]
#[serde(rename_all = "camelCase")]
pub struct NodeError {
    /// Transient or permanent.
    pub kind: ErrorKind,
    /// Stable machine-readable code, e.g. `http.status`, `timeout`, `params.invalid`.
    pub code: String,
    /// Plain message for people.
    pub message: String,
    /// Structured details (status code, response excerpt, pointer …).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub details: Value,
    /// Wait at least this long before retrying (from `Retry-After`).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_millis")]
    pub retry_after: Option<Duration>,
}

impl NodeError {
    /// A permanent error.
    pub fn permanent(code: impl Into<String>, message: impl Into<String>) -> Self {
        NodeError {
            kind: ErrorKind::Permanent,
            code: code.into(),
            message: message.into(),
            details: Value::Null,
            retry_after: None,
        }
    }
    /// A transient error.
    pub fn transient(code: impl Into<String>, message: impl Into<String>) -> Self {
        NodeError {
            kind: ErrorKind::Transient,
            ..Self::permanent(code, message)
        }
    }
    /// Adds details.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
    /// Sets the minimum delay before a retry.
    pub fn with_retry_after(mut self, after: Duration) -> Self {
        self.retry_after = Some(after);
        self
    }
    /// An invalid-parameter error naming the parameter's JSON pointer.
    pub fn invalid_params(pointer: &str, message: impl std::fmt::Display) -> Self {
        Self::permanent("params.invalid", format!("parameter {pointer}: {message}"))
            .with_details(json!({ "pointer": pointer }))
    }
    /// Whether a retry may help.
    pub fn is_transient(&self) -> bool {
        self.kind == ErrorKind::Transient
    }
    /// The error as an item for the `error` port or continue-on-fail.
    pub fn to_item(&self) -> Value {
        json!({ "error": { "code": self.code, "message": self.message, "details": self.details } })
    }
}

mod opt_millis {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_u64(d.as_millis() as u64),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_millis))
    }
}
