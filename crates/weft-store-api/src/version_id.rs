//! The content address of a workflow version, the same on every backend.

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// The id of a workflow version: hex SHA-256 of the org id, a NUL byte and the canonical
/// (sorted-key, whitespace-free) document JSON. Every backend uses this one rule, so a
/// document has the same id wherever it is stored.
pub fn workflow_version_id(org_id: &str, document: &Value) -> String {
    let mut hasher = Sha256::new();
    hasher.update(org_id.as_bytes());
    hasher.update([0u8]);
    hasher.update(canonical_json(document).as_bytes());
    let mut s = String::with_capacity(64);
    for b in hasher.finalize() {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Canonical JSON: object keys sorted bytewise at every level, no whitespace.
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    let text = |v: &Value| serde_json::to_string(v).unwrap_or_else(|_| "null".to_owned());
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&text(&Value::String(k.clone())));
                out.push(':');
                if let Some(child) = map.get(k) {
                    write_canonical(child, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&text(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let a = json!({"b": 1, "a": {"y": [1, {"d": 2, "c": 3}], "x": "s"}});
        assert_eq!(
            canonical_json(&a),
            r#"{"a":{"x":"s","y":[1,{"c":3,"d":2}]},"b":1}"#
        );
    }

    #[test]
    fn version_id_ignores_key_order_and_depends_on_org() {
        let a = json!({"name": "w", "steps": [{"id": "a", "x": 1}]});
        let b: Value =
            serde_json::from_str(r#"{"steps":[{"x":1,"id":"a"}],"name":"w"}"#).unwrap_or_default();
        assert_eq!(workflow_version_id("o", &a), workflow_version_id("o", &b));
        assert_ne!(workflow_version_id("o", &a), workflow_version_id("p", &a));
        assert_eq!(workflow_version_id("o", &a).len(), 64);
        assert!(
            workflow_version_id("o", &a)
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
    }
}
