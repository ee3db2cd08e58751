//! Webhooks: `/webhook/<path>` starts the published workflow whose webhook trigger has that
//! path and method. No authentication (the URL is the capability, optionally with an HMAC
//! signature); everything else about the request goes into the run's input item:
//! `{method, path, params, query, headers, body}` (`authorization` and `cookie` headers are
//! left out so they do not end up in run data).
//!
//! The routing table is cached in memory ([`crate::trigger_cache::TriggerCache`]) and reloaded
//! when the store's routes generation changes (checked at most every 500 ms, and at once after
//! a publish in this process).

use crate::AppState;
use crate::error::ApiError;
use crate::triggers::match_path;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::Sha256;
use std::time::{Duration, Instant};
use tokio::sync::broadcast;
use weft_engine::{RunEventKind, StartOptions};
use weft_store_api::control::RouteEntry;
use weft_store_api::{RunId, RunStatus, TenantScope};

/// The webhook routes.
pub fn router(max_body: usize) -> Router<AppState> {
    Router::new()
        .route("/webhook/{*path}", any(handle))
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
}

fn specificity(pattern: &str) -> usize {
    pattern.split('/').filter(|s| !s.starts_with(':')).count()
}

/// Finds the route for a request: the most specific path (most literal segments), an exact
/// method before `ANY`.
fn find<'r>(
    routes: &'r [RouteEntry],
    method: &Method,
    segments: &[&str],
) -> Result<(&'r RouteEntry, Map<String, Value>), ApiError> {
    // (route, its path parameters, its rank: literal segments, exact method)
    type Candidate<'r> = (&'r RouteEntry, Map<String, Value>, (usize, bool));
    let mut best: Option<Candidate<'r>> = None;
    let mut allowed = Vec::new();
    for r in routes {
        let Some(params) = match_path(&r.route.path, segments) else {
            continue;
        };
        let exact = r.route.method == method.as_str();
        if !exact && r.route.method != "ANY" {
            allowed.push(r.route.method.clone());
            continue;
        }
        let rank = (specificity(&r.route.path), exact);
        if best.as_ref().is_none_or(|(_, _, b)| rank > *b) {
            best = Some((r, params, rank));
        }
    }
    match best {
        Some((r, p, _)) => Ok((r, p)),
        None if !allowed.is_empty() => {
            allowed.sort();
            allowed.dedup();
            Err(ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!("this webhook accepts {}, not {method}", allowed.join(", ")),
            )
            .with_details(json!({ "allowed": allowed })))
        }
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "webhook_not_found",
            format!(
                "no published workflow listens on {method} /webhook/{}",
                segments.join("/")
            ),
        )),
    }
}

fn query_object(query: Option<&str>) -> Value {
    let mut out = Map::new();
    let Some(q) = query else {
        return Value::Object(out);
    };
    for (k, v) in form_pairs(q.as_bytes()) {
        match out.get_mut(&k) {
            Some(Value::Array(a)) => a.push(Value::String(v)),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, Value::String(v)]);
            }
            None => {
                out.insert(k, Value::String(v));
            }
        }
    }
    Value::Object(out)
}

fn form_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    fn decode(s: &str) -> String {
        let s = s.replace('+', " ");
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%'
                && i + 2 < bytes.len()
                && let (Some(h), Some(l)) = (
                    (bytes[i + 1] as char).to_digit(16),
                    (bytes[i + 2] as char).to_digit(16),
                )
            {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    String::from_utf8_lossy(bytes)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

fn headers_object(headers: &HeaderMap) -> Value {
    let mut out = Map::new();
    for (name, value) in headers {
        if matches!(
            name.as_str(),
            "authorization" | "cookie" | "proxy-authorization"
        ) {
            continue;
        }
        let v = Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned());
        match out.get_mut(name.as_str()) {
            Some(Value::Array(a)) => a.push(v),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, v]);
            }
            None => {
                out.insert(name.as_str().to_string(), v);
            }
        }
    }
    Value::Object(out)
}

fn body_value(headers: &HeaderMap, bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let essence = ct.split(';').next().unwrap_or("").trim().to_string();
    if essence == "application/json" || essence.ends_with("+json") {
        return serde_json::from_slice(bytes).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                format!("the body is not valid JSON: {e}"),
            )
            .with_details(json!({ "line": e.line(), "column": e.column() }))
        });
    }
    if essence == "application/x-www-form-urlencoded" {
        let mut m = Map::new();
        for (k, v) in form_pairs(bytes) {
            m.insert(k, Value::String(v));
        }
        return Ok(Value::Object(m));
    }
    if (essence.starts_with("text/") || essence == "application/xml" || essence.is_empty())
        && let Ok(s) = std::str::from_utf8(bytes)
    {
        return Ok(Value::String(s.to_string()));
    }
    Ok(json!({
        "binary": {
            "mimeType": if essence.is_empty() { "application/octet-stream".to_string() } else { essence },
            "size": bytes.len(),
            "data": base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }))
}

async fn verify_signature(
    state: &AppState,
    scope: &TenantScope,
    sig: &Value,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), ApiError> {
    let unauthorized = |m: &str| ApiError::new(StatusCode::UNAUTHORIZED, "invalid_signature", m);
    let cred_id = sig.get("credential").and_then(Value::as_str).unwrap_or("");
    let header_name = sig
        .get("header")
        .and_then(Value::as_str)
        .unwrap_or("x-weft-signature");
    let prefix = sig
        .get("prefix")
        .and_then(Value::as_str)
        .unwrap_or("sha256=");
    let vault = state
        .vault
        .as_ref()
        .ok_or_else(|| ApiError::internal("no master key to open the signature credential"))?;
    let (_, sealed) = state
        .store
        .get_credential(scope, cred_id)
        .await?
        .ok_or_else(|| ApiError::internal(format!("signature credential {cred_id} is missing")))?;
    let fields = vault
        .open_fields(&scope.org_id, cred_id, &sealed)
        .map_err(ApiError::internal)?;
    let secret = fields
        .get("secret")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::internal(format!("credential {cred_id} has no `secret` field")))?;
    let given = headers
        .get(header_name)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| unauthorized(&format!("the {header_name} signature header is missing")))?;
    let hex = given.strip_prefix(prefix).unwrap_or(given).trim();
    let mut expected = Vec::with_capacity(32);
    if hex.len() != 64 {
        return Err(unauthorized("the signature is not a hex HMAC-SHA256"));
    }
    for i in (0..64).step_by(2) {
        let b = u8::from_str_radix(&hex[i..i + 2], 16)
            .map_err(|_| unauthorized("the signature is not a hex HMAC-SHA256"))?;
        expected.push(b);
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .map_err(|_| ApiError::internal("bad HMAC key"))?;
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| unauthorized("the signature does not match the body"))
}

fn output_response(output: Option<Value>) -> Response {
    let body = match output {
        Some(Value::Array(mut items)) if items.len() == 1 => items.remove(0),
        Some(v) => v,
        None => Value::Null,
    };
    (StatusCode::OK, axum::Json(body)).into_response()
}

fn respond_node_response(item: &Value) -> Response {
    let status = item
        .get("status")
        .and_then(Value::as_u64)
        .and_then(|s| StatusCode::from_u16(s as u16).ok())
        .unwrap_or(StatusCode::OK);
    let mut headers = HeaderMap::new();
    let mut json_body = false;
    if let Some(Value::Object(h)) = item.get("headers") {
        for (k, v) in h {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if let (Ok(name), Ok(value)) = (
                HeaderName::try_from(k.as_str()),
                HeaderValue::try_from(v.as_str()),
            ) {
                if name == header::CONTENT_TYPE && v.contains("json") {
                    json_body = true;
                }
                headers.insert(name, value);
            }
        }
    }
    let empty = item.get("empty").and_then(Value::as_bool).unwrap_or(false);
    let body = match item.get("body") {
        _ if empty => Body::empty(),
        Some(Value::String(s)) if !json_body => Body::from(s.clone()),
        Some(v) => Body::from(serde_json::to_vec(v).unwrap_or_default()),
        None => Body::empty(),
    };
    let mut r = Response::new(body);
    *r.status_mut() = status;
    *r.headers_mut() = headers;
    r
}

async fn respond_item(state: &AppState, scope: &TenantScope, run_id: RunId) -> Option<Value> {
    let details = weft_engine::run_details(state.store.as_ref(), scope, run_id)
        .await
        .ok()??;
    details.steps.iter().find_map(|s| {
        s.output.as_ref()?.ports.iter().find_map(|(port, items)| {
            (port == "response" && s.node_type.starts_with("core.respond@"))
                .then(|| items.first().cloned())
                .flatten()
        })
    })
}

async fn handle(State(state): State<AppState>, req: Request) -> Response {
    let started = Instant::now();
    let resp = match handle_inner(&state, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    state
        .metrics
        .webhook(resp.status().as_u16(), started.elapsed().as_secs_f64());
    resp
}

async fn handle_inner(state: &AppState, req: Request) -> Result<Response, ApiError> {
    if state.shutdown.is_cancelled() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "the server is shutting down",
        ));
    }
    let (parts, body) = req.into_parts();
    let raw_path = parts
        .uri
        .path()
        .strip_prefix("/webhook/")
        .unwrap_or_default()
        .to_string();
    let segments: Vec<&str> = raw_path.split('/').filter(|s| !s.is_empty()).collect();
    let routes = state.triggers.routes(state.control.as_ref()).await?;
    let (entry, params) = find(&routes, &parts.method, &segments)?;
    let rp = &entry.route.params;
    let limit = rp
        .get("maxBodyBytes")
        .and_then(Value::as_u64)
        .map(|n| n as usize)
        .unwrap_or(state.config.max_webhook_body_bytes)
        .min(state.config.max_webhook_body_bytes);
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body is larger than this webhook's limit of {limit} bytes"),
        )
    })?;
    if let Some(sig) = rp.get("signature") {
        verify_signature(state, &entry.scope, sig, &parts.headers, &bytes).await?;
    }
    let item = json!({
        "method": parts.method.as_str(),
        "path": format!("/{}", segments.join("/")),
        "params": params,
        "query": query_object(parts.uri.query()),
        "headers": headers_object(&parts.headers),
        "body": body_value(&parts.headers, &bytes)?,
    });
    let mode = rp
        .get("responseMode")
        .and_then(Value::as_str)
        .unwrap_or("immediately");
    let timeout = Duration::from_millis(
        rp.get("timeoutMs")
            .and_then(Value::as_u64)
            .unwrap_or(30_000)
            .min(600_000),
    );
    let key = parts
        .headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.is_empty() && k.len() <= 255)
        .map(|k| format!("webhook/{}/{k}", entry.workflow_id));
    // Subscribe before starting, so no event of the run is missed.
    let mut events = (mode == "respondNode").then(|| state.engine.subscribe());
    let record = state
        .engine
        .start_run(
            &entry.scope,
            &entry.version_id,
            Value::Array(vec![item]),
            StartOptions {
                idempotency_key: key,
                workflow_id: Some(entry.workflow_id.clone()),
                // Answered only when the run has finished: a run of pure steps is written
                // once, when it ends, and the answer follows that commit.
                create_lazily: mode == "lastNode",
                ..Default::default()
            },
        )
        .await?;
    state.metrics.run_started(&record.workflow_name);
    let run_id = record.id;
    let accepted = || {
        (
            StatusCode::ACCEPTED,
            axum::Json(json!({ "runId": run_id, "status": "running" })),
        )
            .into_response()
    };
    match mode {
        "lastNode" => {
            match tokio::time::timeout(timeout, state.engine.wait_for(&entry.scope, run_id)).await {
                Ok(Ok(r)) if r.status == RunStatus::Succeeded => Ok(output_response(r.output)),
                Ok(Ok(r)) => Err(run_failed(run_id, r.status, r.error)),
                Ok(Err(e)) => Err(e.into()),
                Err(_) => Ok(accepted()),
            }
        }
        "respondNode" => {
            let Some(rx) = events.as_mut() else {
                return Ok(accepted());
            };
            // The respond step's event comes before its journal entry is written, and a run
            // driven by another process sends no event here at all: the journal is the truth,
            // events only say when to look.
            let wait = async {
                let mut tick = tokio::time::interval(Duration::from_millis(200));
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                let mut look = false;
                loop {
                    if look {
                        look = false;
                        if let Some(item) = respond_item(state, &entry.scope, run_id).await {
                            return Some(item);
                        }
                        let status = state
                            .store
                            .get_run(&entry.scope, run_id)
                            .await
                            .ok()
                            .flatten()
                            .map(|r| r.status);
                        if status.is_none_or(|s| s.is_terminal()) {
                            return None;
                        }
                    }
                    tokio::select! {
                        event = rx.recv() => match event {
                            Ok(e) if e.run_id == run_id => match &e.kind {
                                RunEventKind::StepSucceeded { node_type, .. }
                                    if node_type.starts_with("core.respond@") =>
                                {
                                    // The executor keeps pure steps' results back for a few
                                    // milliseconds: have them written now, then read.
                                    state.engine.flush(run_id).await;
                                    if let Some(item) =
                                        respond_item(state, &entry.scope, run_id).await
                                    {
                                        return Some(item);
                                    }
                                    look = true;
                                }
                                RunEventKind::RunFinished { .. } => look = true,
                                _ => {}
                            },
                            Ok(_) => {}
                            Err(broadcast::error::RecvError::Lagged(_)) => look = true,
                            Err(broadcast::error::RecvError::Closed) => return None,
                        },
                        _ = tick.tick() => look = true,
                    }
                }
            };
            match tokio::time::timeout(timeout, wait).await {
                Err(_) => return Ok(accepted()),
                Ok(Some(item)) => return Ok(respond_node_response(&item)),
                Ok(None) => {}
            }
            // No respond node ran: answer like lastNode.
            let r = state
                .store
                .get_run(&entry.scope, run_id)
                .await?
                .ok_or_else(|| ApiError::not_found("run", &run_id.to_string()))?;
            match r.status {
                RunStatus::Succeeded => Ok(output_response(r.output)),
                s if s.is_terminal() => Err(run_failed(run_id, s, r.error)),
                _ => Ok(accepted()),
            }
        }
        _ => Ok(accepted()),
    }
}

fn run_failed(run_id: RunId, status: RunStatus, error: Option<Value>) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "run_failed",
        format!("the workflow run {run_id} {status}"),
    )
    .with_details(json!({ "runId": run_id, "status": status, "error": error }))
}
