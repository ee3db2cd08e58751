//! What the visual editor asks of the server: the validator's verdict on a draft document
//! (with each node's ports as its params make them) and the port-type coercion table. The UI
//! mirrors validation in TypeScript for instant feedback; these answers are the authority.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiResult, Json};
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use weft_model::ports::COERCIONS;
use weft_model::{
    DocumentFormat, NodeCatalog, ParseLimits, PortType, Severity, parse_document,
    workflow_from_value,
};

/// A draft document to check.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ValidateRequest {
    /// The `weft/v1` document: a JSON object, or its JSON or YAML text.
    #[schema(value_type = Object)]
    pub document: Value,
}

/// One problem, as `weft validate` reports it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DiagnosticDto {
    /// `error` or `warning`.
    pub severity: String,
    /// Stable code, e.g. `graph.cycle`; `document.parse` when the document cannot be read.
    pub code: String,
    /// JSON pointer into the document.
    pub pointer: String,
    /// The node concerned, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_id: Option<String>,
    /// What is wrong, in plain words.
    pub message: String,
}

/// One port of a node.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PortDto {
    /// Port name.
    pub name: String,
    /// One of the ten port types.
    #[serde(rename = "type")]
    pub port_type: String,
    /// For inputs: the node cannot run unless an edge connects here.
    pub required: bool,
    /// Shown in the editor.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// A node's ports given its params, or why they cannot be worked out.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodePorts {
    /// Input ports.
    pub inputs: Vec<PortDto>,
    /// Output ports (the implicit `error` output is not listed).
    pub outputs: Vec<PortDto>,
    /// Set when the params do not give ports (the node type's message).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One node type of the catalog (`GET /api/v1/nodes`), as `weft nodes --json` prints it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeTypeEntry {
    /// `name@version`, e.g. `http.request@1`.
    #[serde(rename = "type")]
    pub type_ref: String,
    /// Name shown in the palette.
    pub display_name: String,
    /// Palette category.
    pub category: String,
    /// What it does, with an example.
    pub description: String,
    /// `pure` or `effectful`.
    pub purity: String,
    /// JSON Schema (2020-12) of the params; the editor builds its form from it.
    #[schema(value_type = Object)]
    pub params_schema: Value,
    /// The ports with default params; absent when the type's ports need params (a switch's
    /// cases): the validator then gives them per node.
    pub ports: Option<TypePorts>,
}

/// The ports of a node type with default params.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TypePorts {
    /// Input ports.
    pub inputs: Vec<PortDto>,
    /// Output ports (every node also has an implicit `error` output).
    pub outputs: Vec<PortDto>,
}

/// The validator's verdict.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValidateResult {
    /// No errors (warnings allowed): the document can be saved.
    pub valid: bool,
    /// Every problem, errors first.
    pub diagnostics: Vec<DiagnosticDto>,
    /// Each node's ports by node id (nodes of unknown types are left out).
    pub ports: std::collections::BTreeMap<String, NodePorts>,
    /// The document as the server read it (canonical JSON), when it could be read: how a
    /// YAML file looks as JSON, parsed by the same code that stores documents.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub document: Option<Value>,
}

/// One allowed conversion between two port types.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Coercion {
    /// Output port type.
    pub from: String,
    /// Input port type.
    pub to: String,
    /// How the value is converted.
    pub how: String,
}

/// The port types and the coercion table (`weft_model::ports::COERCIONS`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PortTypes {
    /// The ten port types, in display order. `any` fits every type both ways; a type fits
    /// itself; other pairs connect only when listed in `coercions`.
    pub types: Vec<String>,
    /// Allowed conversions between distinct, non-`any` types.
    pub coercions: Vec<Coercion>,
}

/// The port types and which connections between them are allowed.
pub fn port_types() -> PortTypes {
    PortTypes {
        types: PortType::ALL.iter().map(|t| t.to_string()).collect(),
        coercions: COERCIONS
            .iter()
            .map(|(from, to, how)| Coercion {
                from: from.to_string(),
                to: to.to_string(),
                how: (*how).to_string(),
            })
            .collect(),
    }
}

fn ports_dto(ports: &[weft_model::PortSpec]) -> Vec<PortDto> {
    ports
        .iter()
        .map(|p| PortDto {
            name: p.name.clone(),
            port_type: p.port_type.to_string(),
            required: p.required,
            description: p.description.clone(),
        })
        .collect()
}

/// Validates `document` (an object or JSON/YAML text) against `catalog`.
pub fn check(document: Value, catalog: &dyn NodeCatalog) -> ValidateResult {
    let limits = ParseLimits::default();
    let parsed = match document {
        Value::String(text) => {
            let format = if text.trim_start().starts_with('{') {
                DocumentFormat::Json
            } else {
                DocumentFormat::Yaml
            };
            parse_document(&text, format, &limits)
        }
        other => workflow_from_value(other, &limits),
    };
    let wf = match parsed {
        Ok(wf) => wf,
        Err(e) => {
            return ValidateResult {
                valid: false,
                diagnostics: vec![DiagnosticDto {
                    severity: "error".into(),
                    code: "document.parse".into(),
                    pointer: e.pointer().unwrap_or("").to_string(),
                    node_id: None,
                    message: e.to_string(),
                }],
                ports: Default::default(),
                document: None,
            };
        }
    };
    let diagnostics: Vec<DiagnosticDto> = weft_model::validate(&wf, catalog)
        .into_iter()
        .map(|d| DiagnosticDto {
            severity: match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            }
            .into(),
            code: d.code.into(),
            pointer: d.pointer,
            node_id: d.node_id,
            message: d.message,
        })
        .collect();
    let mut ports = std::collections::BTreeMap::new();
    for node in &wf.nodes {
        if catalog.info(&node.node_type).is_none() {
            continue;
        }
        let entry = match catalog.ports(&node.node_type, &node.params) {
            Ok(p) => NodePorts {
                inputs: ports_dto(&p.inputs),
                outputs: ports_dto(&p.outputs),
                error: None,
            },
            Err(message) => NodePorts {
                inputs: Vec::new(),
                outputs: Vec::new(),
                error: Some(message),
            },
        };
        ports.insert(node.id.clone(), entry);
    }
    ValidateResult {
        valid: !diagnostics.iter().any(|d| d.severity == "error"),
        diagnostics,
        ports,
        document: serde_json::to_value(&wf).ok(),
    }
}

/// Validates a draft document without storing it: every diagnostic with its JSON pointer, each
/// node's ports as its params make them, and the document as read (YAML becomes JSON here).
#[utoipa::path(post, path = "/api/v1/workflows/validate", tag = "workflows",
    request_body = ValidateRequest,
    responses((status = 200, body = ValidateResult), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn validate(
    State(state): State<AppState>,
    p: Principal,
    Json(body): Json<ValidateRequest>,
) -> ApiResult<Json<ValidateResult>> {
    p.require("workflows:read")?;
    let registry = state.engine.registry().clone();
    // Schema checks of a large document take a while: keep them off the async workers.
    let result = tokio::task::spawn_blocking(move || check(body.document, registry.as_ref()))
        .await
        .map_err(crate::error::ApiError::internal)?;
    Ok(Json(result))
}

/// The port types and the coercions allowed between them (the one table validation uses).
#[utoipa::path(get, path = "/api/v1/nodes/port-types", tag = "nodes",
    responses((status = 200, body = PortTypes)), security(("bearer" = [])))]
pub async fn coercions(p: Principal) -> ApiResult<Json<PortTypes>> {
    p.require("workflows:read")?;
    Ok(Json(port_types()))
}
