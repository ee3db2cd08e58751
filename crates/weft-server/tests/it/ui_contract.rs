//! The files the web UI (`ui/`) is generated from, checked against the server:
//!
//! - `ui/src/api/openapi.json`: the OpenAPI document; `npm run gen:api` turns it into the
//!   TypeScript types the UI's API client uses (`ui/src/api/schema.gen.ts`).
//! - `ui/src/validation/corpus.gen.json`: the validation cases of
//!   `crates/weft-nodes/tests/validate/` as the server reads them (the documents as JSON, each
//!   node's ports, the node types they use, and the diagnostics of `weft_model::validate`), so
//!   that a Vitest test can prove the UI's TypeScript mirror of validation agrees.
//!
//! When either is stale the test fails and says how to regenerate it:
//! `UPDATE_UI_FIXTURES=1 cargo test -p weft-server --test it ui_contract`, then
//! `cd ui && npm run gen:api`.

use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use weft_model::{
    DocumentFormat, NodeCatalog, NodeTypeInfo, NodeTypeRef, ParseLimits, PortSpec, PortType,
    Purity, ResolvedPorts, parse_document, validate,
};
use weft_node_api::NodeRegistry;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const HOW: &str = "regenerate with `UPDATE_UI_FIXTURES=1 cargo test -p weft-server --test it ui_contract`, \
     then `cd ui && npm run gen:api`, and commit the changed files";

/// Compares `actual` with the committed file, or writes it with `UPDATE_UI_FIXTURES=1`.
fn check_file(path: &Path, actual: &str) {
    if std::env::var_os("UPDATE_UI_FIXTURES").is_some() {
        std::fs::write(path, actual).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == actual,
        "{} is stale (the server changed): {HOW}",
        path.display()
    );
}

#[test]
fn the_ui_openapi_document_is_current() {
    let doc = weft_server::openapi::document().to_pretty_json().unwrap();
    check_file(&repo().join("ui/src/api/openapi.json"), &format!("{doc}\n"));
}

/// The built-in catalog plus the three typed test node types of the corpus (the same as in
/// `crates/weft-nodes/tests/it/validate.rs`; the test below checks that this catalog gives
/// exactly the `.expected` diagnostics, so the two cannot drift).
struct Catalog {
    builtins: NodeRegistry,
    typed: Vec<(NodeTypeInfo, ResolvedPorts)>,
}

impl Catalog {
    fn new() -> Self {
        let mut builtins = NodeRegistry::new();
        weft_nodes::register_builtins(&mut builtins);
        let typed_node = |name: &str, inputs: Vec<PortSpec>, outputs: Vec<PortSpec>| {
            (
                NodeTypeInfo {
                    type_ref: NodeTypeRef::new(name, 1),
                    display_name: name.into(),
                    category: "test".into(),
                    description: "A typed node for validation tests.".into(),
                    purity: Purity::Pure,
                    params_schema: json!({"type": "object"}),
                },
                ResolvedPorts { inputs, outputs },
            )
        };
        let typed = vec![
            typed_node(
                "test.text",
                vec![
                    PortSpec::new("main", PortType::String).required(),
                    PortSpec::new("extra", PortType::Number),
                ],
                vec![PortSpec::new("main", PortType::String)],
            ),
            typed_node(
                "test.table",
                vec![PortSpec::new("main", PortType::Table)],
                vec![PortSpec::new("main", PortType::Table)],
            ),
            typed_node(
                "test.file",
                vec![],
                vec![PortSpec::new("main", PortType::Binary)],
            ),
        ];
        Catalog { builtins, typed }
    }

    fn typed(&self, type_ref: &NodeTypeRef) -> Option<&(NodeTypeInfo, ResolvedPorts)> {
        self.typed.iter().find(|(i, _)| &i.type_ref == type_ref)
    }

    /// Every type of this name, as catalog entries (`type`, `paramsSchema`, …).
    fn entries(&self, name: &str) -> Vec<Value> {
        let mut out: Vec<Value> = self
            .builtins
            .all()
            .into_iter()
            .filter(|i| i.type_ref.name == name)
            .map(|i| serde_json::to_value(i).unwrap())
            .collect();
        out.extend(
            self.typed
                .iter()
                .filter(|(i, _)| i.type_ref.name == name)
                .map(|(i, _)| serde_json::to_value(i).unwrap()),
        );
        out
    }
}

impl NodeCatalog for Catalog {
    fn info(&self, type_ref: &NodeTypeRef) -> Option<&NodeTypeInfo> {
        self.typed(type_ref)
            .map(|(i, _)| i)
            .or_else(|| self.builtins.info(type_ref))
    }
    fn versions(&self, name: &str) -> Vec<u32> {
        let mut v = self.builtins.versions(name);
        v.extend(
            self.typed
                .iter()
                .filter(|(i, _)| i.type_ref.name == name)
                .map(|(i, _)| i.type_ref.version),
        );
        v
    }
    fn ports(
        &self,
        type_ref: &NodeTypeRef,
        params: &Map<String, Value>,
    ) -> Result<ResolvedPorts, String> {
        match self.typed(type_ref) {
            Some((_, p)) => Ok(p.clone()),
            None => self.builtins.ports(type_ref, params),
        }
    }
}

#[test]
fn the_ui_validation_corpus_is_current() {
    let dir = repo().join("crates/weft-nodes/tests/validate");
    let catalog = Catalog::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("yaml" | "json")
            )
        })
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(path).unwrap();
        let format = DocumentFormat::detect(Some(&name), &text);
        let expected_text = std::fs::read_to_string(path.with_extension("expected")).unwrap();
        let case = match parse_document(&text, format, &ParseLimits::default()) {
            Err(e) => {
                assert_eq!(expected_text, format!("parse error: {e}\n"), "{name}");
                json!({ "name": name, "parseError": e.to_string() })
            }
            Ok(wf) => {
                let diags = validate(&wf, &catalog);
                let shown: String = diags.iter().map(|d| format!("{d}\n")).collect();
                assert_eq!(
                    shown, expected_text,
                    "{name}: this test's catalog no longer matches crates/weft-nodes/tests/it/validate.rs"
                );
                // By node index: a corpus case may repeat an id on purpose.
                let mut ports = Vec::new();
                let mut names = BTreeSet::new();
                for node in &wf.nodes {
                    names.insert(node.node_type.name.clone());
                    if catalog.info(&node.node_type).is_none() {
                        ports.push(Value::Null);
                        continue;
                    }
                    ports.push(match catalog.ports(&node.node_type, &node.params) {
                        Ok(p) => json!({ "inputs": p.inputs, "outputs": p.outputs }),
                        Err(e) => json!({ "inputs": [], "outputs": [], "error": e }),
                    });
                }
                let types: Vec<Value> = names.iter().flat_map(|n| catalog.entries(n)).collect();
                json!({
                    "name": name,
                    "document": serde_json::to_value(&wf).unwrap(),
                    "ports": ports,
                    "types": types,
                    "diagnostics": diags,
                })
            }
        };
        cases.push(case);
    }
    let fixture = json!({
        "generatedBy": "crates/weft-server/tests/it/ui_contract.rs",
        "portTypes": weft_server::api::editor::port_types(),
        "cases": cases,
    });
    let text = serde_json::to_string_pretty(&fixture).unwrap();
    check_file(
        &repo().join("ui/src/validation/corpus.gen.json"),
        &format!("{text}\n"),
    );
}
