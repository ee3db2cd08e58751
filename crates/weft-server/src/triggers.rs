//! What a published workflow registers: webhook routes, cron schedules, run-completed
//! listeners, read off the document's `triggers`.
//!
//! Trigger params:
//! - `webhook`: `path` (required, e.g. `orders/:id`), `method` (`GET`, `POST`, … or `ANY`;
//!   default `POST`), `responseMode` (`immediately`: 202 with the run id, the default;
//!   `lastNode`: the run's output when it finishes; `respondNode`: what a `core.respond` node
//!   produced), `signature` (`{credential, header, prefix}`: HMAC-SHA256 of the raw body with
//!   the credential's `secret` field), `maxBodyBytes`, `timeoutMs` (how long a waiting
//!   response may take; default 30 s).
//! - `cron`: `expression`, `timezone` (IANA, default UTC), `overlap` (`skip` default, `queue`,
//!   `allow`), `catchUp` (`none` default, `latest`, `all`), `input` (items of each run).
//! - `runCompleted`: `workflow` (the watched workflow's id), `status` (one or a list of
//!   `succeeded`, `failed`, `cancelled`; default any).

use crate::error::ApiError;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use weft_model::{TriggerKind, Workflow};
use weft_store_api::control::{ListenerSpec, PublishedTriggers, ScheduleSpec, WebhookRoute};

/// HTTP methods a webhook may name.
pub const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "ANY"];

/// Normalizes a webhook path: no leading/trailing `/`, no empty segments, only URL-safe
/// characters, parameters as `:name`.
pub fn normalize_path(path: &str) -> Result<String, String> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segments.is_empty() {
        return Err("the path is empty".into());
    }
    if segments.len() > 16 {
        return Err("the path has more than 16 segments".into());
    }
    for seg in &segments {
        let body = seg.strip_prefix(':').unwrap_or(seg);
        if body.is_empty()
            || !body
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~'))
            || *seg == "."
            || *seg == ".."
        {
            return Err(format!(
                "segment {seg:?} may only hold letters, digits, '-', '_', '.', '~' (a parameter is ':name')"
            ));
        }
    }
    Ok(segments.join("/"))
}

fn invalid(pointer: String, message: String) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_trigger",
        format!("{pointer}: {message}"),
    )
    .with_details(json!({ "pointer": pointer }))
}

/// The trigger rows of a document, with each schedule's first tick after `now`.
pub fn published_triggers(
    wf: &Workflow,
    now: DateTime<Utc>,
) -> Result<PublishedTriggers, ApiError> {
    let mut out = PublishedTriggers::default();
    for (i, t) in wf.triggers.iter().enumerate() {
        let p = format!("/triggers/{i}/params");
        let str_param = |name: &str| t.params.get(name).and_then(Value::as_str);
        match t.kind {
            TriggerKind::Webhook => {
                let raw = str_param("path")
                    .ok_or_else(|| invalid(format!("{p}/path"), "a webhook needs a path".into()))?;
                let path = normalize_path(raw).map_err(|m| invalid(format!("{p}/path"), m))?;
                let method = str_param("method").unwrap_or("POST").to_ascii_uppercase();
                if !METHODS.contains(&method.as_str()) {
                    return Err(invalid(
                        format!("{p}/method"),
                        format!("method {method:?} is not one of {}", METHODS.join(", ")),
                    ));
                }
                if let Some(mode) = t.params.get("responseMode")
                    && !matches!(
                        mode.as_str(),
                        Some("immediately" | "lastNode" | "respondNode")
                    )
                {
                    return Err(invalid(
                        format!("{p}/responseMode"),
                        "responseMode is immediately, lastNode or respondNode".into(),
                    ));
                }
                if let Some(sig) = t.params.get("signature")
                    && sig.get("credential").and_then(Value::as_str).is_none()
                {
                    return Err(invalid(
                        format!("{p}/signature/credential"),
                        "signature verification needs the id of a credential with a `secret` field"
                            .into(),
                    ));
                }
                out.webhooks.push(WebhookRoute {
                    method,
                    path,
                    trigger_id: t.id.clone(),
                    params: Value::Object(t.params.clone()),
                });
            }
            TriggerKind::Cron => {
                let expression = str_param("expression").unwrap_or_default();
                let timezone = str_param("timezone").unwrap_or("UTC");
                let schedule = weft_schedule::Schedule::parse(expression, timezone)
                    .map_err(|e| invalid(format!("{p}/expression"), e.to_string()))?;
                let overlap = str_param("overlap").unwrap_or("skip");
                if !matches!(overlap, "skip" | "queue" | "allow") {
                    return Err(invalid(
                        format!("{p}/overlap"),
                        "overlap is skip, queue or allow".into(),
                    ));
                }
                let catch_up = str_param("catchUp").unwrap_or("none");
                if !matches!(catch_up, "none" | "latest" | "all") {
                    return Err(invalid(
                        format!("{p}/catchUp"),
                        "catchUp is none, latest or all".into(),
                    ));
                }
                let input = match t.params.get("input") {
                    None | Some(Value::Null) => json!([{}]),
                    Some(Value::Array(a)) => Value::Array(a.clone()),
                    Some(other) => Value::Array(vec![other.clone()]),
                };
                out.schedules.push(ScheduleSpec {
                    trigger_id: t.id.clone(),
                    cron: expression.to_string(),
                    timezone: timezone.to_string(),
                    overlap: overlap.to_string(),
                    catch_up: catch_up.to_string(),
                    input,
                    next_fire_at: schedule.next_after(now),
                });
            }
            TriggerKind::RunCompleted => {
                let source = str_param("workflow").ok_or_else(|| {
                    invalid(
                        format!("{p}/workflow"),
                        "a runCompleted trigger needs the id of the workflow it watches".into(),
                    )
                })?;
                let statuses: Vec<String> = match t.params.get("status") {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::String(s)) => vec![s.clone()],
                    Some(Value::Array(a)) => a
                        .iter()
                        .map(|v| v.as_str().unwrap_or_default().to_string())
                        .collect(),
                    Some(_) => {
                        return Err(invalid(
                            format!("{p}/status"),
                            "status is a status name or a list of them".into(),
                        ));
                    }
                };
                if let Some(bad) = statuses
                    .iter()
                    .find(|s| !matches!(s.as_str(), "succeeded" | "failed" | "cancelled"))
                {
                    return Err(invalid(
                        format!("{p}/status"),
                        format!("{bad:?} is not succeeded, failed or cancelled"),
                    ));
                }
                out.listeners.push(ListenerSpec {
                    trigger_id: t.id.clone(),
                    source_workflow_id: source.to_string(),
                    statuses,
                });
            }
            TriggerKind::Manual | TriggerKind::Error => {}
        }
    }
    Ok(out)
}

/// Matches a request path against a route pattern; returns the path parameters.
pub fn match_path(pattern: &str, path: &[&str]) -> Option<serde_json::Map<String, Value>> {
    let mut params = serde_json::Map::new();
    let mut n = 0;
    for (i, seg) in pattern.split('/').enumerate() {
        let got = path.get(i)?;
        if let Some(name) = seg.strip_prefix(':') {
            params.insert(name.to_string(), Value::String((*got).to_string()));
        } else if seg != *got {
            return None;
        }
        n = i + 1;
    }
    (n == path.len()).then_some(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_normalize_and_match() {
        assert_eq!(normalize_path("/orders/:id/").unwrap(), "orders/:id");
        assert!(normalize_path("a/../b").is_err());
        assert!(normalize_path("/").is_err());
        assert!(normalize_path("a b").is_err());
        let p = match_path("orders/:id", &["orders", "42"]).unwrap();
        assert_eq!(p["id"], "42");
        assert!(match_path("orders/:id", &["orders"]).is_none());
        assert!(match_path("orders/:id", &["orders", "1", "x"]).is_none());
        assert!(match_path("orders", &["other"]).is_none());
    }
}
