//! Templates: literal text with `{{ expr }}` segments.

use crate::ast::{Expr, Root};
use crate::eval::Ctx;
use crate::lexer::{LexError, Until, lex};
use crate::script::{ScriptEngine, find_close, script_engine};
use crate::val::Val;
use crate::{ExprError, MAX_STRING_BYTES, Scope};
use serde_json::Value;

/// True when the string holds a `{{`, that is, when it is a template with expressions (or a
/// malformed one).
pub fn contains_expression(s: &str) -> bool {
    s.contains("{{")
}

/// A parsed string: literal text and `{{ }}` expressions. Parse once, render per item.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
    /// The whole string is one expression: render returns its raw value.
    raw: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Expr(Box<Code>),
    /// JavaScript outside the native subset, run by the installed [`ScriptEngine`].
    Script(Box<ScriptCode>),
}

/// One `{{ }}` for the script engine.
#[derive(Debug, Clone, PartialEq)]
struct ScriptCode {
    /// The expression's source, trimmed.
    source: String,
    /// Where `source` starts in the template.
    offset: usize,
}

/// One parsed `{{ }}`.
#[derive(Debug, Clone, PartialEq)]
struct Code {
    expr: Expr,
    /// For a plain path from `$json` (`$json.a.b`, `$json["k"][0]`): its keys, resolved by
    /// reference without the evaluator when every step hits.
    path: Option<Vec<Key>>,
    /// The expression's source, trimmed.
    source: String,
    /// Where `source` starts in the template.
    offset: usize,
}

/// One step of a plain path.
#[derive(Debug, Clone, PartialEq)]
enum Key {
    Name(String),
    Index(usize),
}

/// The keys of `$json.a["b"][0]`, or `None` for anything else.
fn plain_path(e: &Expr) -> Option<Vec<Key>> {
    let mut keys = Vec::new();
    let mut e = e;
    loop {
        match e {
            Expr::Root(Root::Json) => break,
            Expr::Member(obj, name, at) if !at.optional => {
                keys.push(Key::Name(name.clone()));
                e = obj;
            }
            Expr::Index(obj, idx, at) if !at.optional => {
                keys.push(match &**idx {
                    Expr::Lit(Value::String(s)) => Key::Name(s.clone()),
                    Expr::Lit(Value::Number(n)) => Key::Index(usize::try_from(n.as_u64()?).ok()?),
                    _ => return None,
                });
                e = obj;
            }
            _ => return None,
        }
    }
    keys.reverse();
    Some(keys)
}

/// Follows a plain path; `None` when a step misses (the evaluator then gives the exact
/// JavaScript answer or error).
fn resolve<'v>(mut v: &'v Value, keys: &[Key]) -> Option<&'v Value> {
    for key in keys {
        v = match (v, key) {
            (Value::Object(m), Key::Name(k)) => m.get(k)?,
            (Value::Array(a), Key::Index(i)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(v)
}

/// The text of an expression that failed to lex: up to the next `}}`, trimmed.
fn rough_source(template: &str, start: usize) -> String {
    let rest = &template[start..];
    rest[..rest.find("}}").unwrap_or(rest.len())]
        .trim()
        .to_string()
}

impl Template {
    /// Parses a template. Syntax errors and unknown names carry their byte position within
    /// `source`.
    pub fn parse(source: &str) -> Result<Template, ExprError> {
        let mut parts = Vec::new();
        let mut rest = 0;
        while let Some(found) = source[rest..].find("{{") {
            let open = rest + found;
            if open > rest {
                parts.push(Part::Text(source[rest..open].to_string()));
            }
            let start = open + 2;
            let (toks, end) = match lex(source, start, Until::DoubleBrace, 0) {
                Ok(lexed) => lexed,
                Err(LexError::Unclosed) => {
                    return Err(ExprError {
                        message: "`{{` is never closed with `}}`".into(),
                        expression: source[start..].trim().to_string(),
                        position: open,
                    });
                }
                Err(LexError::Syntax(e)) => {
                    let script = script_engine()
                        .zip(find_close(source, start))
                        .and_then(|(engine, end)| script_part(engine, source, start, end));
                    match script {
                        Some((part, end)) => {
                            parts.push(part);
                            rest = end + 2;
                            continue;
                        }
                        None => {
                            return Err(ExprError {
                                message: e.message,
                                expression: rough_source(source, start),
                                position: e.pos,
                            });
                        }
                    }
                }
            };
            let inner = &source[start..end];
            let trimmed = inner.trim();
            if trimmed.is_empty() {
                return Err(ExprError {
                    message: "empty expression `{{ }}`".into(),
                    expression: String::new(),
                    position: open,
                });
            }
            let offset = start + (inner.len() - inner.trim_start().len());
            let expr = match crate::parser::parse(source, toks) {
                Ok(expr) => expr,
                Err(e) => {
                    // Valid JavaScript outside the subset goes to the script engine; a
                    // misspelt `$` name stays an error the editor can point at.
                    let script = script_engine()
                        .filter(|_| !e.unknown_dollar)
                        .and_then(|engine| script_part(engine, source, start, end));
                    if let Some((part, end)) = script {
                        parts.push(part);
                        rest = end + 2;
                        continue;
                    }
                    return Err(ExprError {
                        message: e.message,
                        expression: trimmed.to_string(),
                        position: e.pos,
                    });
                }
            };
            parts.push(Part::Expr(Box::new(Code {
                path: plain_path(&expr),
                expr,
                source: trimmed.to_string(),
                offset,
            })));
            rest = end + 2;
        }
        if rest < source.len() {
            parts.push(Part::Text(source[rest..].to_string()));
        }
        let exprs = parts
            .iter()
            .filter(|p| matches!(p, Part::Expr(_) | Part::Script(_)))
            .count();
        let blank_text = parts
            .iter()
            .all(|p| !matches!(p, Part::Text(t) if !t.trim().is_empty()));
        Ok(Template {
            raw: exprs == 1 && blank_text,
            parts,
        })
    }

    /// True when the template has no expression: it renders to its own text.
    pub fn is_static(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Text(_)))
    }

    /// True when the whole string is one `{{ expr }}`, so render returns the raw value.
    pub fn is_single_expression(&self) -> bool {
        self.raw
    }

    /// The source text of each expression, in order (for tooling and messages).
    pub fn expressions(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Expr(code) => Some(code.source.as_str()),
            Part::Script(code) => Some(code.source.as_str()),
            Part::Text(_) => None,
        })
    }

    /// Renders against a scope: the raw JSON value of a lone expression, else the text with
    /// every value written in.
    pub fn render(&self, scope: &Scope<'_>) -> Result<Value, ExprError> {
        let mut cx = Ctx::new(scope);
        if self.raw
            && let Some(Part::Script(code)) =
                self.parts.iter().find(|p| !matches!(p, Part::Text(_)))
        {
            return Ok(run_script(code, scope)?.unwrap_or(Value::Null));
        }
        if self.raw
            && let Some(code) = self.parts.iter().find_map(|p| match p {
                Part::Expr(code) => Some(code),
                _ => None,
            })
        {
            if let Some(v) = code.path.as_deref().and_then(|p| resolve(scope.json, p)) {
                return Ok(v.clone());
            }
            cx.at(&code.source, code.offset);
            return match cx.eval(&code.expr)? {
                // A value of the scope as it is: one clone, nothing to count.
                Val::Ref(v) => Ok(v.clone()),
                other => cx.export(other, code.offset),
            };
        }
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Script(code) => {
                    if let Some(v) = run_script(code, scope)? {
                        cx.at(&code.source, code.offset);
                        cx.write_template(&mut out, Val::Own(v), code.offset)?;
                    }
                    if out.len() > MAX_STRING_BYTES {
                        return Err(cx.err(
                            code.offset,
                            format!(
                                "the text would be longer than {} MB",
                                MAX_STRING_BYTES / 1024 / 1024
                            ),
                        ));
                    }
                }
                Part::Expr(code) => {
                    cx.at(&code.source, code.offset);
                    let v = match code.path.as_deref().and_then(|p| resolve(scope.json, p)) {
                        Some(v) => Val::Ref(v),
                        None => cx.eval(&code.expr)?,
                    };
                    cx.write_template(&mut out, v, code.offset)?;
                    if out.len() > MAX_STRING_BYTES {
                        return Err(cx.err(
                            code.offset,
                            format!(
                                "the text would be longer than {} MB",
                                MAX_STRING_BYTES / 1024 / 1024
                            ),
                        ));
                    }
                }
            }
        }
        Ok(Value::String(out))
    }
}

/// A script part for the `{{ }}` whose inside is `source[start..end]`, with the index of its
/// closing `}}`; `None` when the engine does not accept it as an expression either (the
/// native error is then the better one to show).
fn script_part(
    engine: &dyn ScriptEngine,
    source: &str,
    start: usize,
    end: usize,
) -> Option<(Part, usize)> {
    let inner = &source[start..end];
    let trimmed = inner.trim();
    if trimmed.is_empty() || engine.check(trimmed).is_err() {
        return None;
    }
    let offset = start + (inner.len() - inner.trim_start().len());
    Some((
        Part::Script(Box::new(ScriptCode {
            source: trimmed.to_string(),
            offset,
        })),
        end,
    ))
}

/// Runs a script part with the installed engine.
fn run_script(code: &ScriptCode, scope: &Scope<'_>) -> Result<Option<Value>, ExprError> {
    let err = |message: String| ExprError {
        message,
        expression: code.source.clone(),
        position: code.offset,
    };
    let engine = script_engine()
        .ok_or_else(|| err("no JavaScript engine is installed to run this expression".into()))?;
    engine.eval(&code.source, scope).map_err(err)
}
