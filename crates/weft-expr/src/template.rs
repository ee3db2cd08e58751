//! Templates (`text {{ expr }} text`) and compiled JSON trees of them.

use crate::eval::{Ctx, MAX_STEPS, to_template_string_val};
use crate::parser::{Expr, parse};
use crate::{ExprError, Scope};
use serde_json::{Map, Value};
use std::cell::{Cell, RefCell};

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Expr { expr: Expr, source: String },
}

/// A parsed string: literal text and `{{ }}` expressions.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
    /// The whole string is one expression: render returns its raw value.
    raw: bool,
}

/// True when the string holds a `{{`.
pub fn contains_expression(s: &str) -> bool {
    s.contains("{{")
}

/// Finds the `}}` that closes an expression starting at `start`, skipping string literals
/// and nested braces.
fn closing(s: &str, start: usize) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = start;
    let mut depth = 0usize;
    while i < b.len() {
        match b[i] {
            q @ (b'"' | b'\'' | b'`') => {
                i += 1;
                while i < b.len() && b[i] != q {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'{' => depth += 1,
            b'}' if depth > 0 => depth -= 1,
            b'}' if b.get(i + 1) == Some(&b'}') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

impl Template {
    /// Parses a template; errors carry the byte position within `source`.
    pub fn parse(source: &str) -> Result<Template, ExprError> {
        let mut parts = Vec::new();
        let mut rest = 0;
        while let Some(off) = source[rest..].find("{{") {
            let open = rest + off;
            if open > rest {
                parts.push(Part::Text(source[rest..open].to_string()));
            }
            let start = open + 2;
            let end = closing(source, start).ok_or_else(|| ExprError {
                message: "`{{` is never closed with `}}`".into(),
                expression: source[start..].trim().to_string(),
                position: open,
            })?;
            let inner = &source[start..end];
            if inner.trim().is_empty() {
                return Err(ExprError {
                    message: "empty expression `{{ }}`".into(),
                    expression: String::new(),
                    position: open,
                });
            }
            let expr = parse(inner, start).map_err(|mut e| {
                e.expression = inner.trim().to_string();
                e
            })?;
            parts.push(Part::Expr {
                expr,
                source: inner.trim().to_string(),
            });
            rest = end + 2;
        }
        if rest < source.len() {
            parts.push(Part::Text(source[rest..].to_string()));
        }
        let raw = match parts.as_slice() {
            [Part::Expr { .. }] => true,
            [Part::Text(a), Part::Expr { .. }] => a.trim().is_empty(),
            [Part::Expr { .. }, Part::Text(b)] => b.trim().is_empty(),
            [Part::Text(a), Part::Expr { .. }, Part::Text(b)] => {
                a.trim().is_empty() && b.trim().is_empty()
            }
            _ => false,
        };
        Ok(Template { parts, raw })
    }

    /// True when the template has no expression.
    pub fn is_static(&self) -> bool {
        !self.parts.iter().any(|p| matches!(p, Part::Expr { .. }))
    }

    /// Renders: the raw value of a lone expression, else the text with every value written in.
    pub fn render(&self, scope: &Scope<'_>) -> Result<Value, ExprError> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) if !self.raw => out.push_str(t),
                Part::Text(_) => {}
                Part::Expr { expr, source } => {
                    let cx = Ctx {
                        scope,
                        params: RefCell::new(Vec::new()),
                        steps: Cell::new(MAX_STEPS),
                        source,
                    };
                    let v = cx.eval(expr, 0)?;
                    if self.raw {
                        return Ok(v.into_value());
                    }
                    out.push_str(&to_template_string_val(&v));
                }
            }
        }
        Ok(Value::String(out))
    }
}

/// A JSON value whose strings holding `{{ }}` are compiled templates.
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

fn escape(seg: &str) -> String {
    seg.replace('~', "~0").replace('/', "~1")
}

impl CompiledValue {
    /// Compiles every template in a value; an error names the JSON pointer of the string.
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
                        ptr.push_str(&format!("/{i}"));
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
                        ptr.push('/');
                        ptr.push_str(&escape(k));
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

    /// True when nothing needs rendering.
    pub fn is_static(&self) -> bool {
        matches!(self, CompiledValue::Static(_))
    }

    /// Renders every template; an error names the JSON pointer of the failing string.
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
                        ptr.push_str(&format!("/{i}"));
                        out.push(go(x, scope, ptr)?);
                        ptr.truncate(len);
                    }
                    Value::Array(out)
                }
                CompiledValue::Object(fields) => {
                    let mut out = Map::with_capacity(fields.len());
                    for (k, x) in fields {
                        let len = ptr.len();
                        ptr.push('/');
                        ptr.push_str(&escape(k));
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
