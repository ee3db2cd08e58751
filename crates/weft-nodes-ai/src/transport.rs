//! One JSON POST to a model endpoint, live, recorded or replayed.

use crate::cassette::{self, LlmMode};
use serde_json::Value;
use std::time::Duration;
use weft_model::Millis;
use weft_node_api::{NodeError, StepContext};
use weft_nodes::common::cancelled;

/// What to send.
pub(crate) struct Call<'a> {
    /// The endpoint's path, part of the cassette key (the host is not).
    pub key_path: &'a str,
    /// The full URL.
    pub url: String,
    /// The JSON body.
    pub body: &'a Value,
    /// A bearer token, if any.
    pub token: Option<&'a str>,
    /// Time allowed.
    pub timeout: Millis,
    /// The base URL, for messages.
    pub endpoint: &'a str,
}

/// Sends the call (or replays it); returns the status, the JSON body (a string when the body
/// is not JSON) and the `Retry-After` delay.
pub(crate) async fn post_json(
    client: &Result<reqwest::Client, String>,
    mode: &LlmMode,
    ctx: &StepContext,
    call: Call<'_>,
) -> Result<(u16, Value, Option<Duration>), NodeError> {
    let key = cassette::key(call.key_path, call.body);
    if let LlmMode::Replay(dir) = mode {
        return match cassette::load(dir, &key)
            .map_err(|e| NodeError::permanent("ai.cassette", e))?
        {
            Some((status, body)) => Ok((status, body, None)),
            None => Err(NodeError::permanent(
                "ai.cassette",
                format!(
                    "no recorded response for this request (key {key}) in {}; record it with WEFT_LLM_MODE=record",
                    dir.display()
                ),
            )),
        };
    }
    let client = client
        .as_ref()
        .map_err(|e| NodeError::permanent("ai.client", e.clone()))?;
    let mut request = client
        .post(&call.url)
        .json(call.body)
        .timeout(call.timeout.as_duration());
    if let Some(token) = call.token {
        request = request.bearer_auth(token);
    }
    let (timeout, endpoint) = (call.timeout, call.endpoint);
    let exchange = async {
        let resp = request.send().await.map_err(|e| {
            let e = e.without_url();
            if e.is_timeout() {
                NodeError::transient(
                    "ai.timeout",
                    format!("the model endpoint did not answer within {timeout}"),
                )
            } else {
                NodeError::transient(
                    "ai.network",
                    format!("cannot reach the model endpoint {endpoint}: {e}"),
                )
            }
        })?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let bytes = resp.bytes().await.map_err(|e| {
            NodeError::transient(
                "ai.network",
                format!("reading the model's answer failed: {}", e.without_url()),
            )
        })?;
        let body: Value = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            Value::String(String::from_utf8_lossy(&bytes).chars().take(2000).collect())
        });
        Ok::<_, NodeError>((status, body, retry_after))
    };
    let (status, resp, retry_after) = tokio::select! {
        r = exchange => r?,
        _ = ctx.cancel.cancelled() => return Err(cancelled()),
    };
    if let LlmMode::Record(dir) = mode {
        cassette::save(dir, &key, call.body, status, &resp)
            .map_err(|e| NodeError::permanent("ai.cassette", e))?;
    }
    Ok((status, resp, retry_after))
}

/// An error for a non-2xx answer: 429, 503 and 5xx are transient.
pub(crate) fn status_error(status: u16, body: &Value, retry_after: Option<Duration>) -> NodeError {
    let detail = body["error"]["message"]
        .as_str()
        .or_else(|| body["error"].as_str())
        .or_else(|| body.as_str())
        .unwrap_or("");
    let message = format!(
        "the model endpoint answered HTTP {status}{}",
        if detail.is_empty() {
            String::new()
        } else {
            format!(": {detail}")
        }
    );
    let details = serde_json::json!({ "status": status, "body": body });
    if status == 429 || status >= 500 {
        // Hugging Face says how long a cold model takes to load.
        let retry_after = retry_after.or_else(|| {
            body["estimated_time"]
                .as_f64()
                .map(|s| Duration::from_secs_f64(s.clamp(1.0, 600.0)))
        });
        let e = NodeError::transient("ai.status", message).with_details(details);
        match retry_after {
            Some(d) => e.with_retry_after(d),
            None => e,
        }
    } else {
        NodeError::permanent("ai.status", message).with_details(details)
    }
}
