//! The set of node types a process knows.

use crate::NodeType;
use std::collections::HashMap;
use std::sync::Arc;
use weft_model::{NodeCatalog, NodeTypeInfo, NodeTypeRef, ResolvedPorts};

/// Node types by name and version.
#[derive(Default, Clone)]
pub struct NodeRegistry {
    types: HashMap<NodeTypeRef, Arc<dyn NodeType>>,
}

impl NodeRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds a node type, replacing one with the same name and version.
    pub fn register(&mut self, node_type: Arc<dyn NodeType>) {
        self.types
            .insert(node_type.info().type_ref.clone(), node_type);
    }
    /// Finds a node type.
    pub fn get(&self, type_ref: &NodeTypeRef) -> Option<&Arc<dyn NodeType>> {
        self.types.get(type_ref)
    }
    /// Every registered type, sorted by name and version.
    pub fn all(&self) -> Vec<&NodeTypeInfo> {
        let mut v: Vec<_> = self.types.values().map(|t| t.info()).collect();
        v.sort_by(|a, b| a.type_ref.cmp(&b.type_ref));
        v
    }
    /// The catalog entry of a type, as `weft nodes --json` prints it and the API serves it:
    /// its [`NodeTypeInfo`] plus `ports`, the ports it has with default params.
    pub fn catalog_entry(&self, info: &NodeTypeInfo) -> serde_json::Value {
        let mut v = serde_json::to_value(info).unwrap_or(serde_json::Value::Null);
        if let (Some(obj), Ok(ports)) = (
            v.as_object_mut(),
            self.ports(&info.type_ref, &Default::default()),
        ) {
            obj.insert(
                "ports".into(),
                serde_json::to_value(ports).unwrap_or(serde_json::Value::Null),
            );
        }
        v
    }
}

impl NodeCatalog for NodeRegistry {
    fn info(&self, type_ref: &NodeTypeRef) -> Option<&NodeTypeInfo> {
        self.types.get(type_ref).map(|t| t.info())
    }
    fn versions(&self, name: &str) -> Vec<u32> {
        let mut v: Vec<u32> = self
            .types
            .keys()
            .filter(|k| k.name == name)
            .map(|k| k.version)
            .collect();
        v.sort_unstable();
        v
    }
    fn ports(
        &self,
        type_ref: &NodeTypeRef,
        params: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<ResolvedPorts, String> {
        match self.types.get(type_ref) {
            Some(t) => t.ports(params),
            None => Err(format!("unknown node type {type_ref}")),
        }
    }
}
