//! Reading a document from JSON or YAML, with limits, into a [`Workflow`]. Every failure names
//! where it happened: a line and column for syntax, a JSON pointer for structure.

use crate::document::{API_VERSION, Workflow};
use serde_json::Value;

/// Limits that keep hostile or broken input from costing much.
#[derive(Debug, Clone, Copy)]
pub struct ParseLimits {
    /// Largest document accepted, in bytes.
    pub max_bytes: usize,
    /// Deepest nesting of arrays and objects accepted.
    pub max_depth: usize,
    /// Most nodes accepted in one workflow.
    pub max_nodes: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            max_bytes: 16 * 1024 * 1024,
            max_depth: 64,
            max_nodes: 10_000,
        }
    }
}

/// The syntax a document is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentFormat {
    /// JSON (canonical).
    Json,
    /// YAML 1.2, for hand-written files.
    Yaml,
}

impl DocumentFormat {
    /// Guesses from a file name: `.yaml`/`.yml` are YAML, everything else is JSON unless the
    /// content does not start like JSON.
    pub fn detect(file_name: Option<&str>, text: &str) -> DocumentFormat {
        if let Some(name) = file_name {
            let lower = name.to_ascii_lowercase();
            if lower.ends_with(".yaml") || lower.ends_with(".yml") {
                return DocumentFormat::Yaml;
            }
            if lower.ends_with(".json") {
                return DocumentFormat::Json;
            }
        }
        match text.trim_start().chars().next() {
            Some('{') | Some('[') => DocumentFormat::Json,
            _ => DocumentFormat::Yaml,
        }
    }
}

/// Why a document could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParseError {
    /// Larger than [`ParseLimits::max_bytes`].
    #[error("document is {size} bytes, more than the limit of {limit} bytes")]
    TooLarge {
        /// Size of the input.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Not valid JSON or YAML.
    #[error("{format} syntax error at line {line}, column {column}: {message}")]
    Syntax {
        /// "JSON" or "YAML".
        format: &'static str,
        /// 1-based line, 0 when unknown.
        line: usize,
        /// 1-based column, 0 when unknown.
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// Nested deeper than [`ParseLimits::max_depth`].
    #[error("document nests deeper than {limit} levels at {pointer}")]
    TooDeep {
        /// Where the limit was crossed.
        pointer: String,
        /// The limit.
        limit: usize,
    },
    /// Well-formed, but not a `weft/v1` workflow.
    #[error("{pointer}: {message}")]
    Structure {
        /// JSON pointer to the offending value ("" is the whole document).
        pointer: String,
        /// What is wrong there.
        message: String,
    },
}

impl ParseError {
    /// The JSON pointer of the error when it has one.
    pub fn pointer(&self) -> Option<&str> {
        match self {
            ParseError::TooDeep { pointer, .. } | ParseError::Structure { pointer, .. } => {
                Some(pointer)
            }
            _ => None,
        }
    }
}

/// Parses text into a generic JSON value, enforcing the size and depth limits.
pub fn parse_value(
    text: &str,
    format: DocumentFormat,
    limits: &ParseLimits,
) -> Result<Value, ParseError> {
    if text.len() > limits.max_bytes {
        return Err(ParseError::TooLarge {
            size: text.len(),
            limit: limits.max_bytes,
        });
    }
    let value = match format {
        DocumentFormat::Json => {
            serde_json::from_str::<Value>(text).map_err(|e| ParseError::Syntax {
                format: "JSON",
                line: e.line(),
                column: e.column(),
                message: strip_position(&e.to_string()),
            })?
        }
        DocumentFormat::Yaml => {
            crate::yaml_guard::check_flow_depth(text, limits.max_depth).map_err(|at| {
                ParseError::Syntax {
                    format: "YAML",
                    line: at.line,
                    column: at.column,
                    message: format!("brackets nest deeper than {} levels", limits.max_depth),
                }
            })?;
            let v: Value = serde_yaml_ng::from_str(text).map_err(|e| {
                let (line, column) = e
                    .location()
                    .map(|l| (l.line(), l.column()))
                    .unwrap_or((0, 0));
                ParseError::Syntax {
                    format: "YAML",
                    line,
                    column,
                    message: strip_position(&e.to_string()),
                }
            })?;
            v
        }
    };
    check_depth(&value, limits.max_depth)?;
    Ok(value)
}

fn strip_position(message: &str) -> String {
    // serde_json appends " at line L column C"; we report those separately.
    let message = match message.find(" at line ") {
        Some(i) => &message[..i],
        None => message,
    };
    if message.contains("recursion limit exceeded") {
        return "the document nests deeper than 128 levels".to_string();
    }
    message.to_string()
}

fn check_depth(root: &Value, limit: usize) -> Result<(), ParseError> {
    // Iterative walk: hostile input must not be able to overflow our stack either.
    let mut stack: Vec<(&Value, usize, String)> = vec![(root, 0, String::new())];
    while let Some((v, depth, ptr)) = stack.pop() {
        if depth > limit {
            return Err(ParseError::TooDeep {
                pointer: ptr,
                limit,
            });
        }
        match v {
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    if x.is_array() || x.is_object() {
                        stack.push((x, depth + 1, format!("{ptr}/{i}")));
                    }
                }
            }
            Value::Object(m) => {
                for (k, x) in m {
                    if x.is_array() || x.is_object() {
                        stack.push((x, depth + 1, format!("{ptr}/{}", escape_pointer(k))));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Escapes one JSON pointer segment (RFC 6901).
pub fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Turns a generic value into a workflow, reporting the first structural problem by pointer.
pub fn workflow_from_value(value: Value, limits: &ParseLimits) -> Result<Workflow, ParseError> {
    let Value::Object(ref map) = value else {
        return Err(ParseError::Structure {
            pointer: String::new(),
            message: "a workflow document must be an object".into(),
        });
    };
    match map.get("apiVersion") {
        Some(Value::String(v)) if v == API_VERSION => {}
        Some(Value::String(v)) => {
            return Err(ParseError::Structure {
                pointer: "/apiVersion".into(),
                message: format!("unsupported apiVersion {v:?}; this build reads {API_VERSION:?}"),
            });
        }
        Some(_) => {
            return Err(ParseError::Structure {
                pointer: "/apiVersion".into(),
                message: format!("apiVersion must be the string {API_VERSION:?}"),
            });
        }
        None => {
            return Err(ParseError::Structure {
                pointer: String::new(),
                message: format!("missing apiVersion; add \"apiVersion\": {API_VERSION:?}"),
            });
        }
    }
    if let Some(Value::Array(nodes)) = map.get("nodes")
        && nodes.len() > limits.max_nodes
    {
        return Err(ParseError::Structure {
            pointer: "/nodes".into(),
            message: format!(
                "{} nodes is more than the limit of {}",
                nodes.len(),
                limits.max_nodes
            ),
        });
    }
    serde_path_to_error::deserialize::<_, Workflow>(value).map_err(|e| ParseError::Structure {
        pointer: path_to_pointer(e.path()),
        message: e.inner().to_string(),
    })
}

fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } => out.push_str(&format!("/{}", escape_pointer(key))),
            Segment::Enum { variant } => out.push_str(&format!("/{}", escape_pointer(variant))),
            Segment::Unknown => out.push_str("/?"),
        }
    }
    out
}

/// Parses a document in the given format with the given limits.
pub fn parse_document(
    text: &str,
    format: DocumentFormat,
    limits: &ParseLimits,
) -> Result<Workflow, ParseError> {
    let value = parse_value(text, format, limits)?;
    workflow_from_value(value, limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_json(s: &str) -> Result<Workflow, ParseError> {
        parse_document(s, DocumentFormat::Json, &ParseLimits::default())
    }

    #[test]
    fn names_the_pointer_of_a_typo() {
        let err = parse_json(
            r#"{"apiVersion":"weft/v1","name":"x","nodes":[{"id":"a","type":"core.noop@1","settings":{"retires":3}}]}"#,
        )
        .unwrap_err();
        assert_eq!(err.pointer(), Some("/nodes/0/settings/retires"), "{err}");
        assert!(err.to_string().contains("unknown field `retires`"), "{err}");
    }

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let err = parse_json("{\n  \"apiVersion\": \"weft/v1\",\n  \"name\": }").unwrap_err();
        match err {
            ParseError::Syntax { line, column, .. } => assert_eq!((line, column), (3, 11)),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_crashed() {
        let deep = format!(
            "{{\"apiVersion\":\"weft/v1\",\"name\":\"x\",\"nodes\":[],\"variables\":{{\"v\":{}1{}}}}}",
            "[".repeat(100),
            "]".repeat(100)
        );
        assert!(matches!(parse_json(&deep), Err(ParseError::TooDeep { .. })));
        let very_deep = "[".repeat(100_000);
        assert!(matches!(
            parse_json(&very_deep),
            Err(ParseError::Syntax { .. })
        ));
    }

    #[test]
    fn too_large_is_refused() {
        let limits = ParseLimits {
            max_bytes: 10,
            ..Default::default()
        };
        let err = parse_document(
            "{\"apiVersion\": \"weft/v1\"}",
            DocumentFormat::Json,
            &limits,
        )
        .unwrap_err();
        assert!(matches!(err, ParseError::TooLarge { .. }));
    }

    #[test]
    fn yaml_is_accepted() {
        let y = "apiVersion: weft/v1\nname: hello\nnodes:\n  - id: a\n    type: core.noop@1\n";
        let wf = parse_document(y, DocumentFormat::Yaml, &ParseLimits::default()).unwrap();
        assert_eq!(wf.nodes[0].node_type.to_string(), "core.noop@1");
        let bad = "apiVersion: weft/v1\nname: [unclosed\n";
        assert!(matches!(
            parse_document(bad, DocumentFormat::Yaml, &ParseLimits::default()),
            Err(ParseError::Syntax { format: "YAML", .. })
        ));
    }

    #[test]
    fn wrong_api_version() {
        let err = parse_json(r#"{"apiVersion":"weft/v9","name":"x","nodes":[]}"#).unwrap_err();
        assert_eq!(err.pointer(), Some("/apiVersion"));
    }
}
