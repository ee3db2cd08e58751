//! Feeds arbitrary bytes to the document parser (as JSON and as YAML) and validates whatever
//! parses, against the real built-in node catalog. Any panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use weft_model::parse::{DocumentFormat, ParseLimits, parse_document};
use weft_node_api::NodeRegistry;

fn registry() -> &'static NodeRegistry {
    static REG: OnceLock<NodeRegistry> = OnceLock::new();
    REG.get_or_init(|| {
        let mut r = NodeRegistry::new();
        weft_nodes::register_builtins(&mut r);
        r
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let limits = ParseLimits { max_bytes: 64 * 1024, ..ParseLimits::default() };
    for format in [DocumentFormat::Json, DocumentFormat::Yaml] {
        if let Ok(wf) = parse_document(text, format, &limits) {
            let diagnostics = weft_model::validate(&wf, registry());
            for d in diagnostics {
                assert!(d.pointer.is_empty() || d.pointer.starts_with('/'), "bad pointer {:?}", d.pointer);
            }
            // Round trips: what we print, as JSON or YAML, we read back identically.
            assert_eq!(serde_json_roundtrip(&wf), wf);
            assert_eq!(yaml_roundtrip(&wf), wf);
        }
    }
});

fn serde_json_roundtrip(wf: &weft_model::Workflow) -> weft_model::Workflow {
    let text = wf.to_json_pretty();
    match parse_document(&text, DocumentFormat::Json, &ParseLimits::default()) {
        Ok(back) => back,
        Err(e) => panic!("printed document does not parse back: {e}\n{text}"),
    }
}

fn yaml_roundtrip(wf: &weft_model::Workflow) -> weft_model::Workflow {
    let text = serde_yaml_ng::to_string(wf).expect("a workflow serializes to YAML");
    match parse_document(&text, DocumentFormat::Yaml, &ParseLimits::default()) {
        Ok(back) => back,
        Err(e) => panic!("printed YAML does not parse back: {e}\n{text}"),
    }
}
