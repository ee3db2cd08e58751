//! JSON trees whose strings may be templates: a node's parameters, compiled once.

use crate::template::{Template, contains_expression};
use crate::{ExprError, Scope};
use serde_json::{Map, Value};
use std::fmt::Write as _;

/// A JSON value whose strings holding `{{ }}` are compiled templates. Object keys are never
/// templated.
#[derive(Debug, Clone, PartialEq)]
pub enum CompiledValue {
    /// No expression anywhere below: rendered by cloning.
    Static(Value),
    /// A templated string.
    Template(Template),
    /// An array with templates inside.
    Array(Vec<CompiledValue>),
    /// An object with templates inside.
    Object(Vec<(String, CompiledValue)>),
}

/// Appends a reference token to a JSON pointer (RFC 6901: `~` as `~0`, `/` as `~1`).
fn push_token(ptr: &mut String, token: &str) {
    ptr.push('/');
    for c in token.chars() {
        match c {
            '~' => ptr.push_str("~0"),
            '/' => ptr.push_str("~1"),
            c => ptr.push(c),
        }
    }
}

fn push_index(ptr: &mut String, i: usize) {
    let _ = write!(ptr, "/{i}");
}

impl CompiledValue {
    /// Compiles every template in a value. An error carries the JSON pointer of the string
    /// that failed to parse (`/a/0/b`).
    pub fn compile(v: &Value) -> Result<CompiledValue, (String, ExprError)> {
        fn go(v: &Value, ptr: &mut String) -> Result<CompiledValue, (String, ExprError)> {
            Ok(match v {
                Value::String(s) if contains_expression(s) => {
                    let t = Template::parse(s).map_err(|e| (ptr.clone(), e))?;
                    if t.is_static() {
                        CompiledValue::Static(v.clone())
                    } else {
                        CompiledValue::Template(t)
                    }
                }
                Value::Array(items) => {
                    let mut out = Vec::with_capacity(items.len());
                    for (i, x) in items.iter().enumerate() {
                        let len = ptr.len();
                        push_index(ptr, i);
                        out.push(go(x, ptr)?);
                        ptr.truncate(len);
                    }
                    if out.iter().all(CompiledValue::is_static) {
                        CompiledValue::Static(v.clone())
                    } else {
                        CompiledValue::Array(out)
                    }
                }
                Value::Object(m) => {
                    let mut out = Vec::with_capacity(m.len());
                    for (k, x) in m {
                        let len = ptr.len();
                        push_token(ptr, k);
                        out.push((k.clone(), go(x, ptr)?));
                        ptr.truncate(len);
                    }
                    if out.iter().all(|(_, c)| c.is_static()) {
                        CompiledValue::Static(v.clone())
                    } else {
                        CompiledValue::Object(out)
                    }
                }
                other => CompiledValue::Static(other.clone()),
            })
        }
        go(v, &mut String::new())
    }

    /// Like [`CompiledValue::compile`], but the listed top-level keys of an object are taken as
    /// written, never as templates (e.g. a Code node's JavaScript).
    pub fn compile_except(
        v: &Value,
        raw_keys: &[String],
    ) -> Result<CompiledValue, (String, ExprError)> {
        let Value::Object(m) = v else {
            return Self::compile(v);
        };
        if raw_keys.is_empty() || !m.keys().any(|k| raw_keys.contains(k)) {
            return Self::compile(v);
        }
        let mut out = Vec::with_capacity(m.len());
        for (k, x) in m {
            let c = if raw_keys.contains(k) {
                CompiledValue::Static(x.clone())
            } else {
                let mut one = Map::new();
                one.insert(k.clone(), x.clone());
                match Self::compile(&Value::Object(one))? {
                    CompiledValue::Object(mut pairs) => pairs
                        .pop()
                        .map(|(_, c)| c)
                        .unwrap_or(CompiledValue::Static(x.clone())),
                    _ => CompiledValue::Static(x.clone()),
                }
            };
            out.push((k.clone(), c));
        }
        Ok(if out.iter().all(|(_, c)| c.is_static()) {
            CompiledValue::Static(v.clone())
        } else {
            CompiledValue::Object(out)
        })
    }

    /// True when nothing below needs rendering (render then just clones).
    pub fn is_static(&self) -> bool {
        matches!(self, CompiledValue::Static(_))
    }

    /// Renders every template. An error carries the JSON pointer of the failing string.
    pub fn render(&self, scope: &Scope<'_>) -> Result<Value, (String, ExprError)> {
        fn go(
            c: &CompiledValue,
            scope: &Scope<'_>,
            ptr: &mut String,
        ) -> Result<Value, (String, ExprError)> {
            Ok(match c {
                CompiledValue::Static(v) => v.clone(),
                CompiledValue::Template(t) => t.render(scope).map_err(|e| (ptr.clone(), e))?,
                CompiledValue::Array(items) => {
                    let mut out = Vec::with_capacity(items.len());
                    for (i, x) in items.iter().enumerate() {
                        let len = ptr.len();
                        push_index(ptr, i);
                        out.push(go(x, scope, ptr)?);
                        ptr.truncate(len);
                    }
                    Value::Array(out)
                }
                CompiledValue::Object(fields) => {
                    let mut out = Map::with_capacity(fields.len());
                    for (k, x) in fields {
                        let len = ptr.len();
                        push_token(ptr, k);
                        out.insert(k.clone(), go(x, scope, ptr)?);
                        ptr.truncate(len);
                    }
                    Value::Object(out)
                }
            })
        }
        go(self, scope, &mut String::new())
    }
}
