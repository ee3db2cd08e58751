//! Data-driven validation cases: every `tests/validate/NAME.yaml` (or `.json`) is validated
//! against the built-in catalog and its diagnostics, one per line, must equal
//! `tests/validate/NAME.expected`. Run with `UPDATE_EXPECT=1` to write the expected files after
//! a deliberate change, then review the diff.
//!
//! The built-in nodes of this crate carry `any` items, so the catalog here adds three typed
//! node types (`test.text@1`, `test.table@1`, `test.file@1`) to exercise port typing.

use serde_json::{Map, Value, json};
use std::path::Path;
use weft_model::{
    DocumentFormat, NodeCatalog, NodeTypeInfo, NodeTypeRef, ParseLimits, PortSpec, PortType,
    Purity, ResolvedPorts, parse_document, validate,
};
use weft_node_api::NodeRegistry;

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
fn validation_cases_match_their_expected_diagnostics() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/validate");
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let catalog = Catalog::new();
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("yaml" | "json")
            )
        })
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "only {} cases in {dir:?}", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let text = std::fs::read_to_string(case).unwrap();
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let format = DocumentFormat::detect(Some(&name), &text);
        let actual = match parse_document(&text, format, &ParseLimits::default()) {
            Ok(wf) => validate(&wf, &catalog)
                .iter()
                .map(|d| format!("{d}\n"))
                .collect::<String>(),
            Err(e) => format!("parse error: {e}\n"),
        };
        let expected_path = case.with_extension("expected");
        if update {
            std::fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|_| {
            panic!("{expected_path:?} is missing; run with UPDATE_EXPECT=1 to create it")
        });
        if expected != actual {
            failures.push(format!(
                "{name}\n--- expected\n{expected}--- actual\n{actual}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) differ (UPDATE_EXPECT=1 rewrites them):\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}
