//! Helpers shared by the data nodes: reading and writing item fields, literal params that decide
//! port types, and single-byte options.

use serde_json::{Map, Value};
use weft_node_api::{Item, NodeError};
use weft_nodes::common::{as_object, get_path, set_path, split_path};

/// A param as written, for deciding port types before anything runs: `None` when it holds an
/// expression (its value is unknown until it renders), `default` when it is absent.
pub(crate) fn literal<'a>(
    params: &'a Map<String, Value>,
    key: &str,
    default: &'a str,
) -> Option<&'a str> {
    match params.get(key) {
        None => Some(default),
        Some(Value::String(s)) if !weft_expr::contains_expression(s) => Some(s),
        _ => None,
    }
}

/// Checks a field name or dotted path, naming the param on error.
pub(crate) fn check_field(path: &str, pointer: &str) -> Result<(), NodeError> {
    if split_path(path).is_none() {
        return Err(NodeError::invalid_params(
            pointer,
            format!("{path:?} is not a field name or dotted path (a segment is empty)"),
        ));
    }
    Ok(())
}

/// Reads a field (by exact name, else by dotted path) of an item.
pub(crate) fn read_field<'a>(item: &'a Item, path: &str) -> Option<&'a Value> {
    get_path(item, path)
}

/// Writes `value` into `item` at a dotted path; a non-object item becomes `{"value": item}`
/// first. With no path, `value` replaces the item.
pub(crate) fn write_field(item: Item, path: Option<&str>, value: Value) -> Item {
    let Some(path) = path else {
        return value;
    };
    let mut obj = as_object(item);
    // A field that already exists under its exact (dotted) name is overwritten in place, as
    // `read_field` would have read it.
    if let Some(slot) = obj.get_mut(path) {
        *slot = value;
        return Value::Object(obj);
    }
    match split_path(path) {
        Some(segs) => set_path(&mut obj, &segs, value),
        None => {
            obj.insert(path.to_string(), value);
        }
    }
    Value::Object(obj)
}

/// The JSON type name of a value, for messages.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A single ASCII character option (`delimiter`, `quote`); `"tab"` and `"\t"` (backslash, t)
/// both mean a tab.
pub(crate) fn single_byte(text: &str, pointer: &str) -> Result<u8, NodeError> {
    let c = match text {
        "tab" | "\\t" => '\t',
        _ => {
            let mut chars = text.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => c,
                _ => {
                    return Err(NodeError::invalid_params(
                        pointer,
                        format!("{text:?} must be exactly one character (or \"tab\")"),
                    ));
                }
            }
        }
    };
    if !c.is_ascii() || c == '\n' || c == '\r' {
        return Err(NodeError::invalid_params(
            pointer,
            format!("{c:?} must be an ASCII character other than a line break"),
        ));
    }
    Ok(c as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn single_bytes() {
        assert_eq!(single_byte(",", "/p").unwrap(), b',');
        assert_eq!(single_byte("\t", "/p").unwrap(), b'\t');
        assert_eq!(single_byte("tab", "/p").unwrap(), b'\t');
        assert_eq!(single_byte("\\t", "/p").unwrap(), b'\t');
        assert!(single_byte("", "/p").is_err());
        assert!(single_byte(";;", "/p").is_err());
        assert!(single_byte("é", "/p").unwrap_err().message.contains("/p"));
        assert!(single_byte("\n", "/p").is_err());
    }

    #[test]
    fn writes_fields() {
        assert_eq!(write_field(json!({"a": 1}), None, json!(2)), json!(2));
        assert_eq!(
            write_field(json!({"a": 1}), Some("b.c"), json!(2)),
            json!({"a": 1, "b": {"c": 2}})
        );
        assert_eq!(
            write_field(json!({"b.c": 1}), Some("b.c"), json!(2)),
            json!({"b.c": 2})
        );
        assert_eq!(
            write_field(json!(5), Some("x"), json!(2)),
            json!({"value": 5, "x": 2})
        );
    }
}
