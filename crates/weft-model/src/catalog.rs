//! What validation needs to know about node types, without depending on their implementations.

use crate::document::NodeTypeRef;
use crate::ports::PortType;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Whether a node type's output depends only on its input and params.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Purity {
    /// Output depends only on input and params; may be recomputed after a crash.
    Pure,
    /// Has side effects (network, files, databases, time); its result is committed before
    /// anything downstream starts and is never recomputed once committed.
    Effectful,
}

/// One input or output port of a node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortSpec {
    /// Port name, unique among the node's inputs (or outputs).
    pub name: String,
    /// Type of the items on this port.
    #[serde(rename = "type")]
    pub port_type: PortType,
    /// For inputs: the node cannot run unless an edge connects here.
    #[serde(default)]
    pub required: bool,
    /// Shown in the editor.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

impl PortSpec {
    /// A port of the given type, not required.
    pub fn new(name: impl Into<String>, port_type: PortType) -> Self {
        PortSpec {
            name: name.into(),
            port_type,
            required: false,
            description: String::new(),
        }
    }
    /// Marks an input as required.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    /// Adds a description.
    pub fn describe(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }
}

/// The ports of one node, which may depend on its params (a switch has one output per case).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ResolvedPorts {
    /// Input ports.
    pub inputs: Vec<PortSpec>,
    /// Output ports. Every node also has an implicit `error` output of type `error`.
    pub outputs: Vec<PortSpec>,
}

impl ResolvedPorts {
    /// The implicit output port that receives a step's error when an edge leaves it.
    pub const ERROR_PORT: &'static str = "error";

    /// Finds an input port.
    pub fn input(&self, name: &str) -> Option<&PortSpec> {
        self.inputs.iter().find(|p| p.name == name)
    }
    /// Finds an output port, including the implicit `error` port.
    pub fn output(&self, name: &str) -> Option<PortSpec> {
        self.outputs
            .iter()
            .find(|p| p.name == name)
            .cloned()
            .or_else(|| {
                (name == Self::ERROR_PORT).then(|| PortSpec::new(Self::ERROR_PORT, PortType::Error))
            })
    }
}

/// What the catalog knows of one node type version.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeTypeInfo {
    /// Type and version.
    #[serde(rename = "type")]
    pub type_ref: NodeTypeRef,
    /// Name shown in the palette.
    pub display_name: String,
    /// Palette category.
    pub category: String,
    /// What it does, with an example.
    pub description: String,
    /// Pure or effectful.
    pub purity: Purity,
    /// JSON Schema (2020-12) of the params.
    pub params_schema: Value,
}

/// Looks up node types by name and version; implemented by the node registry.
pub trait NodeCatalog {
    /// The type, if this name and version exist.
    fn info(&self, type_ref: &NodeTypeRef) -> Option<&NodeTypeInfo>;
    /// The versions that exist for a type name, for "did you mean" messages.
    fn versions(&self, name: &str) -> Vec<u32>;
    /// The node's ports given its params, or a message saying which param is wrong.
    fn ports(
        &self,
        type_ref: &NodeTypeRef,
        params: &Map<String, Value>,
    ) -> Result<ResolvedPorts, String>;
}

/// The params a node type takes as written, never as `{{ }}` templates: top-level properties
/// of its params schema marked `"x-weft-raw": true` (e.g. a Code node's source).
pub fn raw_param_keys(params_schema: &Value) -> Vec<String> {
    params_schema["properties"]
        .as_object()
        .map(|props| {
            props
                .iter()
                .filter(|(_, p)| p["x-weft-raw"] == Value::Bool(true))
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default()
}
