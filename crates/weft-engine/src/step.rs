//! Executing one attempt of one step: params, timeout, cancellation, node concurrency limits,
//! and the retry decision.

use crate::env::RunEnv;
use crate::graph::CompiledNode;
use chrono::{DateTime, Utc};
use rand::Rng;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use weft_model::RetryPolicy;
use weft_node_api::{
    EngineServices, LogLine, NodeError, NodeInput, NodeOutput, StepContext, StepIdentity,
    StepResult,
};

/// How one attempt ended.
#[derive(Debug)]
pub enum AttemptOutcome {
    /// Finished with output.
    Succeeded(NodeOutput),
    /// Asked for a durable timer.
    Sleeping {
        /// Until when.
        until: DateTime<Utc>,
        /// Output then.
        output: NodeOutput,
        /// Set when the step waits for a decision (`until` is its time limit).
        awaiting: Option<crate::journal::Awaiting>,
    },
    /// Failed; `retry_at` is set when another attempt will follow.
    Failed {
        /// Why.
        error: NodeError,
        /// When to retry, if at all.
        retry_at: Option<DateTime<Utc>>,
    },
}

/// The result of one attempt, reported back to the run's executor.
#[derive(Debug)]
pub struct AttemptDone {
    /// Node index.
    pub node: usize,
    /// Attempt number.
    pub attempt: u32,
    /// Incoming edges used, when not all.
    pub used_edges: Option<Vec<usize>>,
    /// The input, kept for a retry.
    pub input: NodeInput,
    /// When the attempt started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
    /// Its log lines.
    pub logs: Vec<LogLine>,
    /// How it ended.
    pub outcome: AttemptOutcome,
}

/// Everything an attempt needs.
pub struct AttemptPlan {
    /// Node index.
    pub node: usize,
    /// The compiled node.
    pub spec: Arc<CompiledNode>,
    /// Attempt number from 1.
    pub attempt: u32,
    /// Do not start before this (retry backoff).
    pub not_before: Option<DateTime<Utc>>,
    /// Input items.
    pub input: NodeInput,
    /// Incoming edges used, when not all.
    pub used_edges: Option<Vec<usize>>,
    /// Run id.
    pub run_id: String,
    /// Cancelled with the run.
    pub cancel: CancellationToken,
    /// Expression environment.
    pub env: Arc<RunEnv>,
    /// Child runs.
    pub services: Arc<dyn EngineServices>,
    /// Per-node concurrency limit, shared across runs.
    pub limit: Option<Arc<Semaphore>>,
    /// The engine's cache of pure, cacheable results.
    pub cache: Arc<crate::cache::StepCache>,
}

/// The delay before attempt `next_attempt` (2 for the first retry) under a policy: exponential
/// backoff capped at the maximum, reduced by up to `jitter` of itself, never less than the
/// remote side's `Retry-After`.
pub fn retry_delay(
    policy: &RetryPolicy,
    next_attempt: u32,
    retry_after: Option<Duration>,
    unit_random: f64,
) -> Duration {
    let exp = next_attempt.saturating_sub(2).min(62) as i32;
    let base = policy.initial_interval.0 as f64 * policy.backoff_coefficient.max(1.0).powi(exp);
    let capped = base.min(policy.max_interval.0 as f64).max(0.0);
    let jitter = policy.jitter.clamp(0.0, 1.0);
    let jittered = capped * (1.0 - jitter * unit_random.clamp(0.0, 1.0));
    let delay = Duration::from_millis(jittered.round() as u64);
    match retry_after {
        Some(ra) if ra > delay => ra,
        _ => delay,
    }
}

/// Runs one attempt to its end.
pub async fn run_attempt(mut plan: AttemptPlan) -> AttemptDone {
    if let Some(at) = plan.not_before {
        let wait = (at - Utc::now()).to_std().unwrap_or(Duration::ZERO);
        if !wait.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = plan.cancel.cancelled() => {}
            }
        }
    }
    let _permit = match &plan.limit {
        Some(sem) => tokio::select! {
            p = sem.clone().acquire_owned() => p.ok(),
            _ = plan.cancel.cancelled() => None,
        },
        None => None,
    };
    let started_at = Utc::now();
    let spec = &plan.spec;
    if spec.disabled {
        let output = NodeOutput::main(plan.input.main_items().to_vec());
        return done(
            plan,
            started_at,
            Vec::new(),
            AttemptOutcome::Succeeded(output),
        );
    }
    let ctx = StepContext::new(
        StepIdentity {
            run_id: plan.run_id.clone(),
            node_id: spec.id.clone(),
            node_name: spec.name.clone(),
            attempt: plan.attempt,
            idempotency_key: format!("{}/{}", plan.run_id, spec.id),
        },
        // The attempt's own token (a child of the run's): cancelling it when the step ends
        // stops what the node left running, and nothing else.
        plan.cancel.clone(),
        started_at.timestamp_millis(),
        spec.params.clone(),
        spec.compiled.clone(),
        plan.env.clone(),
        plan.services.clone(),
    );
    let cache_key = (spec.settings.cacheable && spec.purity == weft_model::Purity::Pure)
        .then(|| {
            crate::cache::StepCache::key(
                &spec.node_type.info().type_ref.to_string(),
                &ctx,
                &plan.input,
            )
        })
        .flatten();
    if let Some(hit) = cache_key.as_deref().and_then(|k| plan.cache.get(k)) {
        ctx.log(
            weft_node_api::LogLevel::Debug,
            "result taken from the step cache",
        );
        let logs = ctx.take_logs();
        return done(
            plan,
            started_at,
            logs,
            AttemptOutcome::Succeeded((*hit).clone()),
        );
    }
    // The input is kept for a retry; a step that cannot be retried hands it over.
    let may_retry = spec
        .settings
        .retry
        .as_ref()
        .is_some_and(|p| p.max_attempts > 1);
    let input = if may_retry {
        plan.input.clone()
    } else {
        std::mem::take(&mut plan.input)
    };
    let exec = spec.node_type.execute(&ctx, input);
    let result = tokio::select! {
        r = async {
            match spec.settings.timeout {
                Some(t) => match tokio::time::timeout(t.as_duration(), exec).await {
                    Ok(r) => r,
                    Err(_) => Err(NodeError::transient("timeout", format!("the step did not finish within {t}"))),
                },
                None => exec.await,
            }
        } => r,
        _ = plan.cancel.cancelled() => Err(NodeError::permanent("cancelled", "the step was cancelled")),
    };
    // Whether the run was cancelled, read before the attempt's token is cancelled below.
    let run_cancelled = plan.cancel.is_cancelled();
    ctx.cancel.cancel();
    let mut logs = ctx.take_logs();
    let mut result = result;
    let secrets = ctx.take_secrets();
    if !secrets.is_empty() {
        redact(&secrets, &mut result, &mut logs);
    }
    let outcome = match result {
        Ok(StepResult::Done(output)) => {
            if let Some(key) = cache_key {
                plan.cache.put(key, output.clone());
            }
            AttemptOutcome::Succeeded(output)
        }
        Ok(StepResult::Sleep { until, output }) => AttemptOutcome::Sleeping {
            until,
            output,
            awaiting: None,
        },
        Ok(StepResult::Await {
            until,
            on_timeout,
            request,
            items,
        }) => AttemptOutcome::Sleeping {
            until: until.unwrap_or_else(crate::journal::no_time_limit),
            output: on_timeout,
            awaiting: Some(crate::journal::Awaiting { request, items }),
        },
        Err(error) => {
            let policy = spec
                .settings
                .retry
                .clone()
                .unwrap_or_else(|| RetryPolicy::with_attempts(1));
            let retry_at = (error.is_transient()
                && plan.attempt < policy.max_attempts
                && !run_cancelled)
                .then(|| {
                    let r: f64 = rand::rng().random();
                    let delay = retry_delay(&policy, plan.attempt + 1, error.retry_after, r);
                    Utc::now() + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX)
                });
            AttemptOutcome::Failed { error, retry_at }
        }
    };
    done(plan, started_at, logs, outcome)
}

/// Removes every secret value the step saw from its result and logs, before anything is
/// journaled or cached.
fn redact(secrets: &[String], result: &mut Result<StepResult, NodeError>, logs: &mut [LogLine]) {
    let mut redactor = weft_secrets::Redactor::new();
    for s in secrets {
        redactor.add(s);
    }
    let output_ports = |output: &mut NodeOutput| {
        for (_, items) in &mut output.ports {
            for item in items {
                redactor.value(item);
            }
        }
    };
    match result {
        Ok(StepResult::Done(output)) | Ok(StepResult::Sleep { output, .. }) => output_ports(output),
        Ok(StepResult::Await {
            on_timeout,
            request,
            items,
            ..
        }) => {
            output_ports(on_timeout);
            redactor.value(request);
            for item in items {
                redactor.value(item);
            }
        }
        Err(error) => {
            error.message = redactor.text(&error.message).into_owned();
            redactor.value(&mut error.details);
        }
    }
    for line in logs {
        line.message = redactor.text(&line.message).into_owned();
    }
}

fn done(
    plan: AttemptPlan,
    started_at: DateTime<Utc>,
    logs: Vec<LogLine>,
    outcome: AttemptOutcome,
) -> AttemptDone {
    AttemptDone {
        node: plan.node,
        attempt: plan.attempt,
        used_edges: plan.used_edges,
        input: plan.input,
        started_at,
        finished_at: Utc::now(),
        logs,
        outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use weft_model::Millis;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 10,
            initial_interval: Millis(100),
            backoff_coefficient: 2.0,
            max_interval: Millis(1000),
            jitter: 0.5,
        }
    }

    #[test]
    fn backoff_grows_and_caps() {
        let p = policy();
        assert_eq!(retry_delay(&p, 2, None, 0.0), Duration::from_millis(100));
        assert_eq!(retry_delay(&p, 3, None, 0.0), Duration::from_millis(200));
        assert_eq!(retry_delay(&p, 4, None, 0.0), Duration::from_millis(400));
        assert_eq!(retry_delay(&p, 9, None, 0.0), Duration::from_millis(1000));
        assert_eq!(
            retry_delay(&p, 1000, None, 0.0),
            Duration::from_millis(1000)
        );
    }

    #[test]
    fn jitter_only_shortens_within_bounds() {
        let p = policy();
        assert_eq!(retry_delay(&p, 3, None, 1.0), Duration::from_millis(100));
        let d = retry_delay(&p, 3, None, 0.5);
        assert!(d >= Duration::from_millis(100) && d <= Duration::from_millis(200));
    }

    #[test]
    fn retry_after_wins_when_longer() {
        let p = policy();
        assert_eq!(
            retry_delay(&p, 2, Some(Duration::from_secs(5)), 0.0),
            Duration::from_secs(5)
        );
        assert_eq!(
            retry_delay(&p, 2, Some(Duration::from_millis(1)), 0.0),
            Duration::from_millis(100)
        );
    }
}
