//! `http.request@1`: one HTTP request per item.

use crate::common::{cancelled, escape_pointer, main_in_main_out, node_info, object_schema};
use async_trait::async_trait;
use reqwest::header::{
    AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER,
};
use reqwest::{Client, Method, StatusCode, Url};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};
use weft_model::Millis;
use weft_node_api::{
    Item, LogLevel, NodeError, NodeInput, NodeOutput, NodeType, NodeTypeInfo, Purity,
    ResolvedPorts, StepContext, StepResult,
};

/// Default response size limit: 10 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 10 * 1024 * 1024;
/// Default timeout of one request.
pub const DEFAULT_TIMEOUT: &str = "30s";
/// How much of an error response's body goes into the error details.
pub const ERROR_BODY_EXCERPT: usize = 2048;
/// Longest `Retry-After` honoured; longer values are capped.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);
/// Most redirects followed.
pub const MAX_REDIRECTS: usize = 10;

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// `http.request@1`: sends one request per input item (once with `$json = {}` when there is
/// none) and emits `{status, headers, body}` per request. Holds one pooled client.
#[derive(Debug)]
pub struct HttpRequestNode {
    client: Result<Client, String>,
    /// OAuth2 access tokens by credential (id and a digest of its fields), until they expire.
    tokens: std::sync::Mutex<std::collections::HashMap<String, (String, std::time::Instant)>>,
}

impl HttpRequestNode {
    /// A node type with its own connection pool.
    pub fn new() -> Self {
        let client = Client::builder()
            .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
            .user_agent(concat!("weft/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("could not set up the HTTP client: {e}"));
        HttpRequestNode {
            client,
            tokens: Default::default(),
        }
    }
}

impl HttpRequestNode {
    /// An access token for an OAuth2 client-credentials credential, from the cache or fetched
    /// from its token URL (client authentication with HTTP Basic, RFC 6749 §2.3.1).
    async fn oauth2_token(
        &self,
        client: &Client,
        credential: &weft_node_api::Credential,
        ctx: &StepContext,
    ) -> Result<String, NodeError> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        Value::Object(credential.fields.clone())
            .to_string()
            .hash(&mut h);
        let key = format!("{}/{:x}", credential.id, h.finish());
        let now = std::time::Instant::now();
        if let Some((token, until)) = self
            .tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            && *until > now
        {
            ctx.remember_secret(token);
            return Ok(token.clone());
        }
        let token_url = credential.text("tokenUrl")?;
        let fail = |message: String| {
            NodeError::permanent(
                "credential.oauth2",
                format!("credential {:?}: {message}", credential.name),
            )
        };
        let url = Url::parse(token_url).map_err(|e| fail(format!("tokenUrl is not a URL: {e}")))?;
        let mut form = vec![("grant_type", "client_credentials".to_string())];
        if let Some(scope) = credential.fields.get("scope").and_then(Value::as_str) {
            form.push(("scope", scope.to_string()));
        }
        let resp = client
            .post(url)
            .basic_auth(
                credential.text("clientId")?,
                Some(credential.text("clientSecret")?),
            )
            .form(&form)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|e| network_error(e, "the OAuth2 token request", Millis(30_000)))?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| network_error(e, "the OAuth2 token request", Millis(30_000)))?;
        if !status.is_success() {
            let err = fail(format!("the token URL answered HTTP {}", status.as_u16()))
                .with_details(json!({ "status": status.as_u16(), "body": excerpt(&body) }));
            return Err(if status.is_server_error() || status.as_u16() == 429 {
                NodeError {
                    kind: weft_node_api::ErrorKind::Transient,
                    ..err
                }
            } else {
                err
            });
        }
        let parsed: Value = serde_json::from_slice(&body)
            .map_err(|e| fail(format!("the token response is not JSON: {e}")))?;
        let token = parsed["access_token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| fail("the token response has no access_token".into()))?
            .to_string();
        ctx.remember_secret(&token);
        let lifetime = parsed["expires_in"].as_u64().unwrap_or(3600);
        // Renew a little before it expires.
        let until = now + Duration::from_secs(lifetime.saturating_sub(30).max(1));
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, (token.clone(), until));
        Ok(token)
    }
}

impl Default for HttpRequestNode {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct HttpParams {
    #[serde(default = "default_method")]
    method: String,
    url: String,
    #[serde(default)]
    query: Map<String, Value>,
    #[serde(default)]
    headers: Map<String, Value>,
    #[serde(default)]
    body: Option<Value>,
    #[serde(default)]
    body_type: BodyType,
    #[serde(default = "default_timeout")]
    timeout: Millis,
    #[serde(default)]
    response_format: ResponseFormat,
    #[serde(default = "default_max_bytes")]
    max_response_bytes: u64,
    #[serde(default = "yes")]
    fail_on_status: bool,
    #[serde(default)]
    credential: Option<String>,
    #[serde(default)]
    pagination: Option<Pagination>,
}

#[derive(Debug, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "mode",
    deny_unknown_fields
)]
enum Pagination {
    /// The next page's cursor is read from the response body and sent as a query parameter.
    Cursor {
        cursor_path: String,
        #[serde(default = "default_cursor_param")]
        cursor_param: String,
        #[serde(default)]
        items_path: Option<String>,
        #[serde(default = "default_max_pages")]
        max_pages: u32,
    },
    /// `offset` and `limit` query parameters; stops at a page shorter than `limit`.
    Offset {
        #[serde(default = "default_offset_param")]
        offset_param: String,
        #[serde(default = "default_limit_param")]
        limit_param: String,
        limit: u64,
        items_path: String,
        #[serde(default = "default_max_pages")]
        max_pages: u32,
    },
    /// Follows the `Link: <…>; rel="next"` response header (RFC 8288).
    Link {
        #[serde(default)]
        items_path: Option<String>,
        #[serde(default = "default_max_pages")]
        max_pages: u32,
    },
}

fn default_cursor_param() -> String {
    "cursor".into()
}
fn default_offset_param() -> String {
    "offset".into()
}
fn default_limit_param() -> String {
    "limit".into()
}
fn default_max_pages() -> u32 {
    10
}
/// Most pages one request may follow.
pub const MAX_PAGES: u32 = 1000;

fn default_method() -> String {
    "GET".into()
}
fn default_timeout() -> Millis {
    Millis(30_000)
}
fn default_max_bytes() -> u64 {
    DEFAULT_MAX_RESPONSE_BYTES
}
fn yes() -> bool {
    true
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum BodyType {
    #[default]
    Json,
    Text,
    Form,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum ResponseFormat {
    #[default]
    Auto,
    Json,
    Text,
    Binary,
}

fn info() -> &'static NodeTypeInfo {
    static INFO: OnceLock<NodeTypeInfo> = OnceLock::new();
    INFO.get_or_init(|| {
        let example = json!({
            "method": "POST",
            "url": "https://api.example.com/orders",
            "query": { "dryRun": false },
            "headers": { "Authorization": "Bearer {{ $vars.token }}" },
            "body": { "id": "{{ $json.id }}", "total": "{{ $json.total }}" },
            "timeout": "10s",
        });
        let scalar = json!({ "type": ["string", "number", "boolean"] });
        let schema = object_schema(
            "http.request params",
            json!({
                "method": {
                    "type": "string",
                    "enum": METHODS,
                    "description": "The HTTP method.",
                    "default": "GET",
                },
                "url": {
                    "type": "string",
                    "minLength": 1,
                    "pattern": "^[hH][tT][tT][pP][sS]?://",
                    "description": "An http:// or https:// URL; other schemes are refused.",
                },
                "query": {
                    "type": "object",
                    "additionalProperties": { "anyOf": [scalar, { "type": "array", "items": scalar }] },
                    "description": "Query parameters added to the URL (an array repeats the parameter).",
                    "default": {},
                },
                "headers": {
                    "type": "object",
                    "additionalProperties": { "anyOf": [scalar, { "type": "array", "items": scalar }] },
                    "description": "Request headers. Their values are never logged. An Idempotency-Key header is added unless set here.",
                    "default": {},
                },
                "body": {
                    "description": "The request body, sent for every method but GET and HEAD, encoded by `bodyType`.",
                },
                "bodyType": {
                    "type": "string",
                    "enum": ["json", "text", "form"],
                    "description": "json: the body as JSON; text: the body must be a string; form: the body must be an object, sent as application/x-www-form-urlencoded.",
                    "default": "json",
                },
                "timeout": {
                    "type": ["string", "number"],
                    "minimum": 1,
                    "description": "Time allowed for the whole request, response body included: \"30s\", \"2m\" or milliseconds.",
                    "default": DEFAULT_TIMEOUT,
                },
                "responseFormat": {
                    "type": "string",
                    "enum": ["auto", "json", "text", "binary"],
                    "description": "auto: JSON when the response's content-type says json, else text; json: parse as JSON (an error if it is not); text: the body as a string; binary: {data (base64), mimeType, size}.",
                    "default": "auto",
                },
                "maxResponseBytes": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "A larger response body fails the step with http.too_large.",
                    "default": DEFAULT_MAX_RESPONSE_BYTES,
                },
                "pagination": {
                    "description": "Follow pages: cursor (read `cursorPath` from each body, send it as `cursorParam`), offset (`offsetParam`/`limitParam` query parameters, stops at a page shorter than `limit`) or link (the Link rel=\"next\" header). With `itemsPath` every element of that array in each page becomes an output item; without it each page is one item. Stops after `maxPages` (default 10).",
                    "oneOf": [
                        {
                            "type": "object",
                            "additionalProperties": false,
                            "required": ["mode", "cursorPath"],
                            "properties": {
                                "mode": { "const": "cursor" },
                                "cursorPath": { "type": "string", "minLength": 1, "description": "Dotted path of the next cursor in the response body; pagination stops when it is missing, null or empty." },
                                "cursorParam": { "type": "string", "minLength": 1, "default": "cursor", "description": "Query parameter that carries the cursor." },
                                "itemsPath": { "type": "string", "minLength": 1, "description": "Dotted path of the array of items in each page." },
                                "maxPages": { "type": "integer", "minimum": 1, "maximum": MAX_PAGES, "default": 10, "description": "Most pages fetched." },
                            },
                        },
                        {
                            "type": "object",
                            "additionalProperties": false,
                            "required": ["mode", "limit", "itemsPath"],
                            "properties": {
                                "mode": { "const": "offset" },
                                "offsetParam": { "type": "string", "minLength": 1, "default": "offset", "description": "Query parameter of the offset (starts at 0)." },
                                "limitParam": { "type": "string", "minLength": 1, "default": "limit", "description": "Query parameter of the page size." },
                                "limit": { "type": "integer", "minimum": 1, "description": "Page size." },
                                "itemsPath": { "type": "string", "minLength": 1, "description": "Dotted path of the array of items in each page." },
                                "maxPages": { "type": "integer", "minimum": 1, "maximum": MAX_PAGES, "default": 10, "description": "Most pages fetched." },
                            },
                        },
                        {
                            "type": "object",
                            "additionalProperties": false,
                            "required": ["mode"],
                            "properties": {
                                "mode": { "const": "link" },
                                "itemsPath": { "type": "string", "minLength": 1, "description": "Dotted path of the array of items in each page." },
                                "maxPages": { "type": "integer", "minimum": 1, "maximum": MAX_PAGES, "default": 10, "description": "Most pages fetched." },
                            },
                        },
                    ],
                },
                "credential": {
                    "type": "string",
                    "minLength": 1,
                    "description": "Id of a stored credential applied to the request by its kind: bearer {token} → Authorization: Bearer; basic {username, password} → basic auth; header {name, value} → that header; apiKey {in: header|query, name, value}; oauth2ClientCredentials {tokenUrl, clientId, clientSecret, scope?} → a cached access token. Its values are removed from the step's output, logs and errors.",
                },
                "failOnStatus": {
                    "type": "boolean",
                    "description": "true: a non-2xx status is an error (429 and 5xx retryable, other 4xx not); false: it is an output like any other.",
                    "default": true,
                },
            }),
            &["url"],
            vec![example.clone(), json!({ "url": "https://example.com/health" })],
        );
        node_info(
            "http.request",
            "HTTP request",
            "Integration",
            &format!(
                "Sends one HTTP request per input item and emits {{status, headers, body}}. Network \
                 errors, timeouts, 429 and 5xx are retryable; other 4xx are not. Sends an \
                 Idempotency-Key header stable across retries. Example params: {example}"
            ),
            Purity::Effectful,
            schema,
        )
    })
}

/// What a request is called in messages and logs: method and origin only, because paths and
/// queries may carry secrets.
fn target(method: &Method, url: &Url) -> String {
    format!("{method} {}", url.origin().ascii_serialization())
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The scalar values of a query or header entry: a scalar, or an array of scalars; null gives none.
fn scalar_values(v: &Value, pointer: &str) -> Result<Vec<String>, NodeError> {
    let bad = || {
        NodeError::invalid_params(
            pointer,
            "must be a string, number or boolean, or an array of them",
        )
    };
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(a) => a.iter().map(|x| scalar_string(x).ok_or_else(bad)).collect(),
        other => Ok(vec![scalar_string(other).ok_or_else(bad)?]),
    }
}

#[derive(Clone)]
struct Prepared {
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Option<PreparedBody>,
}

#[derive(Clone)]
enum PreparedBody {
    Bytes(Vec<u8>),
    Form(Vec<(String, String)>),
}

fn prepare(
    p: &HttpParams,
    idempotency_key: &str,
    ctx: &StepContext,
) -> Result<Prepared, NodeError> {
    let upper = p.method.trim().to_ascii_uppercase();
    if !METHODS.contains(&upper.as_str()) {
        return Err(NodeError::invalid_params(
            "/params/method",
            format!("{:?} is not one of {}", p.method, METHODS.join(", ")),
        ));
    }
    let method = Method::from_bytes(upper.as_bytes()).map_err(|_| {
        NodeError::invalid_params("/params/method", format!("{:?} is not a method", p.method))
    })?;
    let mut url = Url::parse(p.url.trim())
        .map_err(|e| NodeError::invalid_params("/params/url", format!("not a valid URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(NodeError::invalid_params(
            "/params/url",
            format!(
                "only http:// and https:// URLs are allowed, not {}://",
                url.scheme()
            ),
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(NodeError::invalid_params(
            "/params/url",
            "the URL has no host",
        ));
    }
    let mut pairs = Vec::new();
    for (k, v) in &p.query {
        for value in scalar_values(v, &format!("/params/query/{}", escape_pointer(k)))? {
            pairs.push((k.clone(), value));
        }
    }
    if !pairs.is_empty() {
        url.query_pairs_mut().extend_pairs(pairs);
    }

    let mut headers = HeaderMap::new();
    for (k, v) in &p.headers {
        let pointer = format!("/params/headers/{}", escape_pointer(k));
        let name = HeaderName::from_bytes(k.trim().as_bytes()).map_err(|_| {
            NodeError::invalid_params(&pointer, format!("{k:?} is not a valid header name"))
        })?;
        for value in scalar_values(v, &pointer)? {
            // The value is deliberately left out of the message: it may be a secret.
            let value = HeaderValue::from_str(&value).map_err(|_| {
                NodeError::invalid_params(&pointer, "the value is not a valid header value")
            })?;
            headers.append(name.clone(), value);
        }
    }
    if !headers.contains_key(IDEMPOTENCY_KEY) {
        let value = HeaderValue::from_str(idempotency_key).map_err(|_| {
            NodeError::permanent(
                "http.invalid_request",
                "the step's idempotency key is not a valid header value",
            )
        })?;
        headers.insert(IDEMPOTENCY_KEY, value);
    }

    let body = match &p.body {
        None => None,
        Some(_) if method == Method::GET || method == Method::HEAD => {
            ctx.log(
                LogLevel::Warn,
                format!("the body is not sent with a {method} request"),
            );
            None
        }
        Some(body) => Some(match p.body_type {
            BodyType::Json => {
                let bytes = serde_json::to_vec(body).map_err(|e| {
                    NodeError::invalid_params(
                        "/params/body",
                        format!("cannot be written as JSON: {e}"),
                    )
                })?;
                if !headers.contains_key(CONTENT_TYPE) {
                    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                }
                PreparedBody::Bytes(bytes)
            }
            BodyType::Text => {
                let Value::String(text) = body else {
                    return Err(NodeError::invalid_params(
                        "/params/body",
                        "must be a string when bodyType is \"text\"",
                    ));
                };
                if !headers.contains_key(CONTENT_TYPE) {
                    headers.insert(
                        CONTENT_TYPE,
                        HeaderValue::from_static("text/plain; charset=utf-8"),
                    );
                }
                PreparedBody::Bytes(text.clone().into_bytes())
            }
            BodyType::Form => {
                let Value::Object(fields) = body else {
                    return Err(NodeError::invalid_params(
                        "/params/body",
                        "must be an object when bodyType is \"form\"",
                    ));
                };
                let mut form = Vec::new();
                for (k, v) in fields {
                    for value in scalar_values(v, &format!("/params/body/{}", escape_pointer(k)))? {
                        form.push((k.clone(), value));
                    }
                }
                PreparedBody::Form(form)
            }
        }),
    };
    Ok(Prepared {
        method,
        url,
        headers,
        body,
    })
}

/// The error's message with its causes ("connection refused" lives in a source).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if parts.last().is_none_or(|last| !last.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    parts.join(": ")
}

fn network_error(e: reqwest::Error, what: &str, timeout: Millis) -> NodeError {
    let e = e.without_url();
    let chain = error_chain(&e);
    if e.is_timeout() {
        NodeError::transient(
            "http.timeout",
            format!("{what} did not finish within {timeout}: {chain}"),
        )
    } else if e.is_redirect() {
        NodeError::permanent("http.redirect", format!("{what}: {chain}"))
    } else if e.is_builder() {
        NodeError::permanent("http.invalid_request", format!("{what}: {chain}"))
    } else {
        NodeError::transient("http.network", format!("{what} failed: {chain}"))
    }
}

/// `Retry-After` as seconds or an HTTP date, capped at [`MAX_RETRY_AFTER`].
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = match v.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => {
            let at = httpdate::parse_http_date(v).ok()?;
            at.duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO)
        }
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

fn excerpt(body: &[u8]) -> String {
    let cut = &body[..body.len().min(ERROR_BODY_EXCERPT)];
    let text = String::from_utf8_lossy(cut);
    // A multi-byte character cut in half shows as one replacement character at the end: fine.
    text.into_owned()
}

fn too_large(what: &str, max: u64) -> NodeError {
    NodeError::permanent(
        "http.too_large",
        format!("the response to {what} is larger than maxResponseBytes ({max} bytes)"),
    )
    .with_details(json!({ "maxResponseBytes": max }))
}

/// Reads the body up to `max` bytes; the flag says whether it went past.
async fn read_body(
    resp: &mut reqwest::Response,
    max: u64,
    what: &str,
    timeout: Millis,
) -> Result<(Vec<u8>, bool), NodeError> {
    let mut buf = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| network_error(e, what, timeout))?
    {
        if (buf.len() + chunk.len()) as u64 > max {
            let room = usize::try_from(max)
                .unwrap_or(usize::MAX)
                .saturating_sub(buf.len());
            buf.extend_from_slice(&chunk[..room.min(chunk.len())]);
            return Ok((buf, true));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok((buf, false))
}

fn headers_object(headers: &HeaderMap) -> Value {
    let mut out = Map::new();
    for name in headers.keys() {
        let values: Vec<String> = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        out.insert(name.as_str().to_string(), Value::String(values.join(", ")));
    }
    Value::Object(out)
}

fn says_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|mime| mime.contains("json"))
}

fn decode_body(
    bytes: Vec<u8>,
    format: ResponseFormat,
    headers: &HeaderMap,
    what: &str,
    ctx: &StepContext,
) -> Result<Value, NodeError> {
    let parse = |bytes: &[u8]| -> Result<Value, serde_json::Error> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            Ok(Value::Null)
        } else {
            serde_json::from_slice(bytes)
        }
    };
    match format {
        ResponseFormat::Binary => {
            use base64::Engine;
            let mime = headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/octet-stream");
            Ok(json!({
                "data": base64::engine::general_purpose::STANDARD.encode(&bytes),
                "mimeType": mime,
                "size": bytes.len(),
            }))
        }
        ResponseFormat::Text => Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned())),
        ResponseFormat::Json => parse(&bytes).map_err(|e| {
            NodeError::permanent(
                "http.invalid_json",
                format!("the response to {what} is not JSON: {e}"),
            )
            .with_details(json!({ "body": excerpt(&bytes) }))
        }),
        ResponseFormat::Auto if says_json(headers) => match parse(&bytes) {
            Ok(v) => Ok(v),
            Err(e) => {
                ctx.log(
                    LogLevel::Warn,
                    format!("the response to {what} says JSON but is not ({e}); kept as text"),
                );
                Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
            }
        },
        ResponseFormat::Auto => Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned())),
    }
}

fn status_error(status: StatusCode, headers: &HeaderMap, body: &[u8], what: &str) -> NodeError {
    let code = status.as_u16();
    let reason = status.canonical_reason().unwrap_or("");
    let message = format!("{what} answered HTTP {code} {reason}")
        .trim_end()
        .to_string();
    let details = json!({ "status": code, "body": excerpt(body) });
    if code == 429 || status.is_server_error() {
        let err = NodeError::transient("http.status", message).with_details(details);
        match retry_after(headers) {
            Some(after) => err.with_retry_after(after),
            None => err,
        }
    } else {
        NodeError::permanent("http.status", message).with_details(details)
    }
}

/// Adds a credential to a prepared request according to its kind.
async fn apply_credential(
    node: &HttpRequestNode,
    client: &Client,
    prepared: &mut Prepared,
    credential: &weft_node_api::Credential,
    ctx: &StepContext,
) -> Result<(), NodeError> {
    let header = |value: &str| {
        HeaderValue::from_str(value).map_err(|_| {
            NodeError::permanent(
                "credential.invalid",
                format!(
                    "credential {:?} holds a value that is not a valid header value",
                    credential.name
                ),
            )
        })
    };
    let name = |n: &str| {
        HeaderName::from_bytes(n.trim().as_bytes()).map_err(|_| {
            NodeError::permanent(
                "credential.invalid",
                format!(
                    "credential {:?}: {n:?} is not a header name",
                    credential.name
                ),
            )
        })
    };
    match credential.kind.as_str() {
        "bearer" => {
            let token = credential.text("token")?;
            prepared
                .headers
                .insert(AUTHORIZATION, header(&format!("Bearer {token}"))?);
        }
        "basic" => {
            use base64::Engine;
            let pair = format!(
                "{}:{}",
                credential.text("username")?,
                credential.text("password")?
            );
            ctx.remember_secret(&pair);
            let encoded = base64::engine::general_purpose::STANDARD.encode(&pair);
            prepared
                .headers
                .insert(AUTHORIZATION, header(&format!("Basic {encoded}"))?);
        }
        "header" => {
            let n = name(credential.text("name")?)?;
            prepared
                .headers
                .insert(n, header(credential.text("value")?)?);
        }
        "apiKey" => {
            let key = credential.text("name")?;
            let value = credential.text("value")?;
            match credential
                .fields
                .get("in")
                .and_then(Value::as_str)
                .unwrap_or("header")
            {
                "query" => {
                    prepared.url.query_pairs_mut().append_pair(key, value);
                }
                _ => {
                    prepared.headers.insert(name(key)?, header(value)?);
                }
            }
        }
        "oauth2ClientCredentials" => {
            let token = node.oauth2_token(client, credential, ctx).await?;
            prepared
                .headers
                .insert(AUTHORIZATION, header(&format!("Bearer {token}"))?);
        }
        other => {
            return Err(NodeError::permanent(
                "credential.kind",
                format!(
                    "credential {:?} is of kind {other:?}, which http.request cannot apply; use bearer, basic, header, apiKey or oauth2ClientCredentials",
                    credential.name
                ),
            ));
        }
    }
    Ok(())
}

/// Sends the request of one item, following pages when asked; returns its output items.
async fn send_one(
    node: &HttpRequestNode,
    client: &Client,
    ctx: &StepContext,
    p: &HttpParams,
    idempotency_key: &str,
) -> Result<Vec<Item>, NodeError> {
    if p.timeout.0 == 0 {
        return Err(NodeError::invalid_params(
            "/params/timeout",
            "must be longer than zero",
        ));
    }
    let mut prepared = prepare(p, idempotency_key, ctx)?;
    if let Some(id) = &p.credential {
        apply_credential(node, client, &mut prepared, &ctx.credential(id).await?, ctx).await?;
    }
    let Some(pagination) = &p.pagination else {
        return Ok(vec![exchange(client, ctx, p, prepared).await?.0]);
    };
    let (items_path, max_pages) = match pagination {
        Pagination::Cursor {
            items_path,
            max_pages,
            ..
        }
        | Pagination::Link {
            items_path,
            max_pages,
        } => (items_path.as_deref(), *max_pages),
        Pagination::Offset {
            items_path,
            max_pages,
            ..
        } => (Some(items_path.as_str()), *max_pages),
    };
    if max_pages == 0 || max_pages > MAX_PAGES {
        return Err(NodeError::invalid_params(
            "/params/pagination/maxPages",
            format!("must be between 1 and {MAX_PAGES}"),
        ));
    }
    let mut out = Vec::new();
    let mut next: Option<Url> = None;
    let mut cursor: Option<String> = None;
    let mut offset: u64 = 0;
    for page in 0..max_pages {
        let mut req = prepared.clone();
        match pagination {
            Pagination::Cursor { cursor_param, .. } => {
                if let Some(c) = &cursor {
                    set_query(&mut req.url, cursor_param, c);
                }
            }
            Pagination::Offset {
                offset_param,
                limit_param,
                limit,
                ..
            } => {
                set_query(&mut req.url, offset_param, &offset.to_string());
                set_query(&mut req.url, limit_param, &limit.to_string());
            }
            Pagination::Link { .. } => {
                if let Some(u) = next.take() {
                    req.url = u;
                }
            }
        }
        if page > 0
            && let Ok(v) = HeaderValue::from_str(&format!("{idempotency_key}/page/{page}"))
            && req
                .headers
                .get(IDEMPOTENCY_KEY)
                .and_then(|h| h.to_str().ok())
                == Some(idempotency_key)
        {
            req.headers.insert(IDEMPOTENCY_KEY, v);
        }
        let page_url = req.url.clone();
        let (item, headers) = exchange(client, ctx, p, req).await?;
        let body = &item["body"];
        let page_items = match items_path {
            Some(path) => match crate::common::get_path(body, path) {
                Some(Value::Array(a)) => Some(a.clone()),
                Some(other) => {
                    return Err(NodeError::permanent(
                        "http.pagination",
                        format!(
                            "page {} of {}: `{path}` is {}, not an array",
                            page + 1,
                            target(&prepared.method, &page_url),
                            crate::common::json_kind(other)
                        ),
                    ));
                }
                None => Some(Vec::new()),
            },
            None => None,
        };
        let count = page_items.as_ref().map(Vec::len);
        match page_items {
            Some(items) => out.extend(items),
            None => out.push(item.clone()),
        }
        let more = match pagination {
            Pagination::Cursor { cursor_path, .. } => {
                cursor = match crate::common::get_path(body, cursor_path) {
                    Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                    Some(Value::Number(n)) => Some(n.to_string()),
                    _ => None,
                };
                cursor.is_some()
            }
            Pagination::Offset { limit, .. } => {
                offset += *limit;
                count.is_some_and(|n| n as u64 >= *limit)
            }
            Pagination::Link { .. } => {
                next = next_link(&headers, &page_url);
                next.is_some()
            }
        };
        if !more {
            return Ok(out);
        }
    }
    ctx.log(
        LogLevel::Warn,
        format!("stopped after {max_pages} pages (maxPages); more pages were available"),
    );
    Ok(out)
}

/// Sets a query parameter, replacing any value it had.
fn set_query(url: &mut Url, name: &str, value: &str) {
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair(name, value);
}

/// The `rel="next"` target of the Link headers (RFC 8288), resolved against the page's URL.
fn next_link(headers: &HeaderMap, base: &Url) -> Option<Url> {
    for value in headers.get_all(reqwest::header::LINK) {
        let text = value.to_str().ok()?;
        for link in text.split(',') {
            let (target, params) = link.split_once(';').unwrap_or((link, ""));
            let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
            let is_next = params.split(';').any(|p| {
                let p = p.trim().to_ascii_lowercase();
                p == "rel=\"next\""
                    || p == "rel=next"
                    || (p.starts_with("rel=\"")
                        && p.trim_end_matches('"')[5..].split(' ').any(|r| r == "next"))
            });
            if is_next {
                let url = base.join(target).ok()?;
                if matches!(url.scheme(), "http" | "https") {
                    return Some(url);
                }
            }
        }
    }
    None
}

/// One request and its response.
async fn exchange(
    client: &Client,
    ctx: &StepContext,
    p: &HttpParams,
    prepared: Prepared,
) -> Result<(Item, HeaderMap), NodeError> {
    let what = target(&prepared.method, &prepared.url);
    let is_head = prepared.method == Method::HEAD;
    let mut request = client
        .request(prepared.method, prepared.url)
        .headers(prepared.headers);
    request = match prepared.body {
        Some(PreparedBody::Bytes(b)) => request.body(b),
        Some(PreparedBody::Form(f)) => request.form(&f),
        None => request,
    };
    let timeout = p.timeout;
    let exchange = async {
        let mut resp = request
            .send()
            .await
            .map_err(|e| network_error(e, &what, timeout))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let will_fail = p.fail_on_status && !status.is_success();
        if !will_fail
            && !is_head
            && resp
                .content_length()
                .is_some_and(|n| n > p.max_response_bytes)
        {
            return Err(too_large(&what, p.max_response_bytes));
        }
        // An error response is only needed for its excerpt.
        let limit = if will_fail {
            ERROR_BODY_EXCERPT as u64
        } else {
            p.max_response_bytes
        };
        let (body, over) = read_body(&mut resp, limit, &what, timeout).await?;
        Ok((status, headers, body, over && !will_fail))
    };
    let (status, headers, body, over) = tokio::select! {
        r = tokio::time::timeout(timeout.as_duration(), exchange) => match r {
            Ok(r) => r?,
            Err(_) => {
                return Err(NodeError::transient("http.timeout", format!("{what} did not finish within {timeout}")));
            }
        },
        _ = ctx.cancel.cancelled() => return Err(cancelled()),
    };
    ctx.log(
        LogLevel::Info,
        format!("{what} answered {} ({} bytes)", status.as_u16(), body.len()),
    );
    tracing::debug!(node = %ctx.node_id, request = %what, status = status.as_u16(), "http request done");
    if p.fail_on_status && !status.is_success() {
        return Err(status_error(status, &headers, &body, &what));
    }
    if over {
        return Err(too_large(&what, p.max_response_bytes));
    }
    let body = decode_body(body, p.response_format, &headers, &what, ctx)?;
    let item =
        json!({ "status": status.as_u16(), "headers": headers_object(&headers), "body": body });
    Ok((item, headers))
}

#[async_trait]
impl NodeType for HttpRequestNode {
    fn info(&self) -> &NodeTypeInfo {
        info()
    }

    fn ports(&self, _params: &Map<String, Value>) -> Result<ResolvedPorts, String> {
        Ok(main_in_main_out())
    }

    async fn execute(&self, ctx: &StepContext, input: NodeInput) -> Result<StepResult, NodeError> {
        let client = self
            .client
            .as_ref()
            .map_err(|e| NodeError::permanent("http.client", e.clone()))?;
        let items = input.main_items();
        let runs = items.len().max(1);
        let mut out = Vec::with_capacity(runs);
        for i in 0..runs {
            if ctx.cancel.is_cancelled() {
                return Err(cancelled());
            }
            let p: HttpParams = ctx.params_for(items, i)?;
            let key = if items.len() > 1 {
                format!("{}/{i}", ctx.idempotency_key)
            } else {
                ctx.idempotency_key.clone()
            };
            out.extend(send_one(self, client, ctx, &p, &key).await?);
        }
        Ok(StepResult::Done(NodeOutput::main(out)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("99999999"));
        assert_eq!(retry_after(&h), Some(MAX_RETRY_AFTER));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_str(&later).unwrap_or(HeaderValue::from_static("0")),
        );
        let d = retry_after(&h).unwrap_or_default();
        assert!(
            d > Duration::from_secs(100) && d <= Duration::from_secs(120),
            "{d:?}"
        );
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn json_content_types() {
        let mut h = HeaderMap::new();
        assert!(!says_json(&h));
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json; charset=utf-8"),
        );
        assert!(says_json(&h));
        h.insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
        assert!(!says_json(&h));
    }
}
