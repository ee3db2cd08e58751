//! Retries with exponential backoff and jitter (honouring `Retry-After`), and a fallback chain
//! of models and providers.

use crate::chat::{ChatRequest, ChatResponse};
use crate::provider::{CallOptions, ChatProvider};
use async_trait::async_trait;
use rand::Rng;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use weft_node_api::NodeError;

/// How a provider call is retried.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all (1 = no retry).
    pub max_attempts: u32,
    /// Delay before the first retry.
    pub initial: Duration,
    /// Growth per retry.
    pub multiplier: f64,
    /// Longest delay (a longer `Retry-After` still wins).
    pub max: Duration,
    /// Fraction of a delay taken off at random (0..=1), so callers do not retry in lockstep.
    pub jitter: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial: Duration::from_millis(500),
            multiplier: 2.0,
            max: Duration::from_secs(30),
            jitter: 0.3,
        }
    }
}

impl RetryPolicy {
    /// The delay after failed attempt `attempt` (1 for the first), given a random number in
    /// 0..1 and the server's `Retry-After`.
    pub fn delay(&self, attempt: u32, unit_random: f64, retry_after: Option<Duration>) -> Duration {
        let exp = attempt.saturating_sub(1).min(62) as i32;
        let base = self.initial.as_secs_f64() * self.multiplier.max(1.0).powi(exp);
        let capped = base.min(self.max.as_secs_f64()).max(0.0);
        let jittered = capped * (1.0 - self.jitter.clamp(0.0, 1.0) * unit_random.clamp(0.0, 1.0));
        let delay = Duration::from_secs_f64(jittered);
        match retry_after {
            Some(ra) if ra > delay => ra,
            _ => delay,
        }
    }
}

/// A provider whose transient failures are retried.
pub struct Retrying {
    inner: Arc<dyn ChatProvider>,
    policy: RetryPolicy,
}

impl Retrying {
    /// Retries `inner` under `policy`.
    pub fn new(inner: Arc<dyn ChatProvider>, policy: RetryPolicy) -> Self {
        Retrying { inner, policy }
    }
}

#[async_trait]
impl ChatProvider for Retrying {
    fn kind(&self) -> &str {
        self.inner.kind()
    }

    fn endpoint(&self) -> &str {
        self.inner.endpoint()
    }

    async fn chat(
        &self,
        request: &ChatRequest,
        options: CallOptions<'_>,
    ) -> Result<ChatResponse, NodeError> {
        let mut attempt = 1;
        loop {
            match self.inner.chat(request, options).await {
                Ok(r) => return Ok(r),
                Err(e) if e.is_transient() && attempt < self.policy.max_attempts => {
                    let r: f64 = rand::rng().random();
                    let wait = self.policy.delay(attempt, r, e.retry_after);
                    tracing::info!(
                        endpoint = self.inner.endpoint(),
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        error = %e.message,
                        "retrying a model call"
                    );
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = options.cancel.cancelled() => return Err(crate::http::cancelled()),
                    }
                    attempt += 1;
                }
                Err(mut e) => {
                    if attempt > 1
                        && let Some(details) = e.details.as_object_mut()
                    {
                        details.insert("attempts".into(), json!(attempt));
                    }
                    return Err(e);
                }
            }
        }
    }
}

/// One link of a fallback chain: a provider and the model to ask there.
#[derive(Clone)]
pub struct Link {
    /// The provider (usually already [`Retrying`]).
    pub provider: Arc<dyn ChatProvider>,
    /// The model name at that provider.
    pub model: String,
}

/// Sees every provider call of a fallback chain: before (to reserve against budgets; an
/// error stops the chain) and after (to account for it, failed or not).
#[async_trait]
pub trait CallHook: Send + Sync {
    /// Before asking `link` for `request` (its model already set).
    async fn before(&self, link: &Link, request: &ChatRequest) -> Result<(), NodeError>;
    /// After `link` answered or failed.
    async fn after(
        &self,
        link: &Link,
        request: &ChatRequest,
        result: Result<&ChatResponse, &NodeError>,
        elapsed_ms: u64,
    ) -> Result<(), NodeError>;
}

/// Tries each link in turn until one answers. Any error moves on to the next link (a rate
/// limit, an outage, a model that is gone, a request too long for this model) except
/// cancellation; when every link failed, the last error is returned with all of them in its
/// details.
pub struct Fallback {
    links: Vec<Link>,
}

impl Fallback {
    /// A chain; the request's own model is replaced by each link's.
    pub fn new(links: Vec<Link>) -> Self {
        Fallback { links }
    }

    /// Sends the request down the chain.
    pub async fn chat(
        &self,
        request: &ChatRequest,
        options: CallOptions<'_>,
    ) -> Result<ChatResponse, NodeError> {
        self.chat_with(request, options, None).await
    }

    /// Sends the request down the chain, telling `hook` about every link's call.
    pub async fn chat_with(
        &self,
        request: &ChatRequest,
        options: CallOptions<'_>,
        hook: Option<&dyn CallHook>,
    ) -> Result<ChatResponse, NodeError> {
        let mut failures = Vec::new();
        let mut last = None;
        for (i, link) in self.links.iter().enumerate() {
            let mut req = request.clone();
            req.model = link.model.clone();
            if let Some(h) = hook {
                h.before(link, &req).await?;
            }
            let started = std::time::Instant::now();
            let result = link.provider.chat(&req, options).await;
            if let Some(h) = hook {
                let ms = started.elapsed().as_millis() as u64;
                h.after(link, &req, result.as_ref(), ms).await?;
            }
            match result {
                Ok(r) => {
                    if i > 0 {
                        tracing::info!(model = %link.model, "a fallback model answered");
                    }
                    return Ok(r);
                }
                Err(e) if e.code == "cancelled" => return Err(e),
                Err(e) => {
                    failures.push(json!({
                        "provider": link.provider.kind(),
                        "endpoint": link.provider.endpoint(),
                        "model": link.model,
                        "code": e.code,
                        "message": e.message,
                    }));
                    last = Some(e);
                }
            }
        }
        let mut e = last.unwrap_or_else(|| {
            NodeError::permanent("ai.no_model", "no model is configured for this call")
        });
        if failures.len() > 1 {
            e.message = format!(
                "{} (every model of the fallback chain failed: {})",
                e.message,
                failures
                    .iter()
                    .map(|f| f["model"].as_str().unwrap_or("?").to_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let mut details = match e.details.take() {
                serde_json::Value::Object(m) => m,
                serde_json::Value::Null => Default::default(),
                other => {
                    let mut m = serde_json::Map::new();
                    m.insert("last".into(), other);
                    m
                }
            };
            details.insert("fallbacks".into(), json!(failures));
            e.details = serde_json::Value::Object(details);
        }
        Err(e)
    }

    /// The links, in order.
    pub fn links(&self) -> &[Link] {
        &self.links
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_jitters_and_yields_to_retry_after() {
        let p = RetryPolicy {
            max_attempts: 9,
            initial: Duration::from_millis(100),
            multiplier: 2.0,
            max: Duration::from_millis(1000),
            jitter: 0.5,
        };
        assert_eq!(p.delay(1, 0.0, None), Duration::from_millis(100));
        assert_eq!(p.delay(2, 0.0, None), Duration::from_millis(200));
        assert_eq!(p.delay(3, 0.0, None), Duration::from_millis(400));
        assert_eq!(p.delay(8, 0.0, None), Duration::from_millis(1000));
        assert_eq!(p.delay(2, 1.0, None), Duration::from_millis(100));
        assert_eq!(
            p.delay(1, 0.0, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            p.delay(3, 0.0, Some(Duration::from_millis(10))),
            Duration::from_millis(400)
        );
    }
}
