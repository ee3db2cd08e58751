//! The HTTP exchange every provider shares: POST a JSON body, bounded by the call's time
//! limit and cancellation; classify failures; read a JSON body or an event stream.

use crate::provider::CallOptions;
use crate::sse::{SseEvent, SseParser};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use std::future::Future;
use std::time::{Duration, SystemTime};
use weft_node_api::NodeError;

/// The most bytes of an error body kept in an error's details.
const ERROR_EXCERPT: usize = 2000;

/// The error of a cancelled call.
pub fn cancelled() -> NodeError {
    weft_nodes::common::cancelled()
}

/// Runs `exchange` within the call's time limit, stopping at once when the call is cancelled.
pub async fn bounded<T>(
    options: CallOptions<'_>,
    endpoint: &str,
    exchange: impl Future<Output = Result<T, NodeError>>,
) -> Result<T, NodeError> {
    tokio::select! {
        r = tokio::time::timeout(options.timeout, exchange) => match r {
            Ok(r) => r,
            Err(_) => Err(NodeError::transient(
                "ai.timeout",
                format!(
                    "the model endpoint {endpoint} did not finish answering within {}",
                    humanize(options.timeout)
                ),
            )),
        },
        _ = options.cancel.cancelled() => Err(cancelled()),
    }
}

fn humanize(d: Duration) -> String {
    weft_model::Millis(d.as_millis().min(u64::MAX as u128) as u64).to_string()
}

/// A transport failure: always transient.
pub fn network_error(endpoint: &str, e: reqwest::Error) -> NodeError {
    let e = e.without_url();
    if e.is_timeout() {
        NodeError::transient(
            "ai.timeout",
            format!("the model endpoint {endpoint} timed out: {e}"),
        )
    } else {
        NodeError::transient(
            "ai.network",
            format!("cannot reach the model endpoint {endpoint}: {e}"),
        )
    }
}

/// The delay a `Retry-After` header asks for: seconds or an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::from_secs_f64(secs.min(3600.0)));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// The error for a non-2xx answer: 408, 409, 429 and 5xx are transient (with `Retry-After`),
/// every other status permanent. The provider's own message is quoted.
pub fn status_error(
    endpoint: &str,
    status: u16,
    body: &[u8],
    retry_after: Option<Duration>,
) -> NodeError {
    let text = String::from_utf8_lossy(body);
    let parsed: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let detail = parsed["error"]["message"]
        .as_str()
        .or_else(|| parsed["error"].as_str())
        .or_else(|| parsed["message"].as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| text.chars().take(300).collect());
    let message = format!(
        "the model endpoint {endpoint} answered HTTP {status}{}",
        if detail.trim().is_empty() {
            String::new()
        } else {
            format!(": {}", detail.trim())
        }
    );
    let body_excerpt = if parsed.is_null() {
        Value::String(text.chars().take(ERROR_EXCERPT).collect())
    } else {
        parsed
    };
    let details = json!({ "status": status, "body": body_excerpt });
    if matches!(status, 408 | 409 | 429) || status >= 500 {
        let e = NodeError::transient("ai.status", message).with_details(details);
        match retry_after {
            Some(d) => e.with_retry_after(d),
            None => e,
        }
    } else {
        NodeError::permanent("ai.status", message).with_details(details)
    }
}

/// Sends a JSON POST; a non-2xx status becomes [`status_error`].
pub async fn post(
    client: &reqwest::Client,
    endpoint: &str,
    url: &str,
    headers: HeaderMap,
    body: &Value,
) -> Result<reqwest::Response, NodeError> {
    let send = || client.post(url).headers(headers.clone()).json(body).send();
    let resp = match send().await {
        Ok(resp) => resp,
        // A keep-alive connection that the server closed as it was picked from the pool fails
        // before the request got anywhere: one immediate try on a fresh connection, as
        // browsers do. (Anything slower is the retry policy's business.)
        Err(e) if !e.is_timeout() && (e.is_request() || e.is_connect()) => {
            tracing::debug!(endpoint, error = %e, "sending to the model failed; trying once more");
            send().await.map_err(|e| network_error(endpoint, e))?
        }
        Err(e) => return Err(network_error(endpoint, e)),
    };
    let status = resp.status().as_u16();
    if (200..300).contains(&status) {
        return Ok(resp);
    }
    let after = retry_after(resp.headers());
    let bytes = resp.bytes().await.unwrap_or_default();
    Err(status_error(endpoint, status, &bytes, after))
}

/// Reads a whole JSON body.
pub async fn json_body(endpoint: &str, resp: reqwest::Response) -> Result<Value, NodeError> {
    let bytes = resp.bytes().await.map_err(|e| network_error(endpoint, e))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        NodeError::permanent(
            "ai.invalid_response",
            format!("the model endpoint {endpoint} answered with something that is not JSON: {e}"),
        )
        .with_details(json!({ "body": String::from_utf8_lossy(&bytes).chars().take(ERROR_EXCERPT).collect::<String>() }))
    })
}

/// Reads an event stream, handing each event to `on_event` until it returns `false` or the
/// stream ends.
pub async fn events(
    endpoint: &str,
    mut resp: reqwest::Response,
    mut on_event: impl FnMut(SseEvent) -> Result<bool, NodeError>,
) -> Result<(), NodeError> {
    let mut parser = SseParser::new();
    let stream_error = |m: String| NodeError::transient("ai.stream", format!("{endpoint}: {m}"));
    while let Some(chunk) = resp.chunk().await.map_err(|e| network_error(endpoint, e))? {
        for event in parser.push(&chunk).map_err(stream_error)? {
            if !on_event(event)? {
                return Ok(());
            }
        }
    }
    if let Some(event) = parser.finish() {
        on_event(event)?;
    }
    Ok(())
}

/// Parses the JSON of one streamed event.
pub fn event_json(endpoint: &str, data: &str) -> Result<Value, NodeError> {
    serde_json::from_str(data).map_err(|e| {
        NodeError::transient(
            "ai.stream",
            format!("{endpoint} streamed an event that is not JSON: {e}"),
        )
        .with_details(json!({ "data": data.chars().take(ERROR_EXCERPT).collect::<String>() }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderValue, RETRY_AFTER};

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("0.5"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(500)));
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
        h.insert(RETRY_AFTER, HeaderValue::from_str(&later).unwrap());
        let d = retry_after(&h).unwrap();
        assert!(
            d > Duration::from_secs(25) && d <= Duration::from_secs(30),
            "{d:?}"
        );
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO), "a date in the past");
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn statuses_are_classified_and_quote_the_provider() {
        let e = status_error(
            "x",
            429,
            br#"{"error":{"message":"slow down"}}"#,
            Some(Duration::from_secs(2)),
        );
        assert!(e.is_transient());
        assert_eq!(e.retry_after, Some(Duration::from_secs(2)));
        assert!(e.message.ends_with("HTTP 429: slow down"), "{}", e.message);
        assert!(status_error("x", 503, b"", None).is_transient());
        let e = status_error("x", 400, br#"{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: required"}}"#, None);
        assert!(!e.is_transient());
        assert!(e.message.contains("max_tokens: required"), "{}", e.message);
        let e = status_error("x", 404, b"no such model", None);
        assert_eq!(e.details["body"], "no such model");
    }
}
