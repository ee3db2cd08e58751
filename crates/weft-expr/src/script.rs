//! The hand-off to a full JavaScript engine for expressions outside the native subset.
//!
//! The native evaluator covers plain paths and everyday expressions. Anything else that is
//! valid JavaScript (regular expressions, `new Date(…)`, block-bodied arrow functions, `let`
//! inside an IIFE, bitwise operators, …) runs in a sandboxed engine that the process installs
//! once with [`install_script_engine`] (the `weft` binary installs QuickJS from `weft-js`).
//! Without one, such expressions are reported with the native parser's error, as before.

use crate::Scope;
use serde_json::Value;
use std::sync::OnceLock;

/// A JavaScript engine that can check and run one expression against a [`Scope`].
///
/// It must offer the same names as the native evaluator (`$json`, `$input`, `$node`, `$()`,
/// `$vars`, `$run`, `$item`, `$itemIndex`, `$now`, `$today`, `$env`) with the same meaning, and
/// must be a sandbox: no file system, network, process or timers; memory and time caps; no
/// state that one evaluation can leave for the next.
pub trait ScriptEngine: Send + Sync {
    /// Checks that `source` is a JavaScript expression, without running it. The error is the
    /// engine's message.
    fn check(&self, source: &str) -> Result<(), String>;
    /// Evaluates `source` as an expression. `Ok(None)` is `undefined`; non-JSON numbers
    /// (`NaN`, `±Infinity`) come back as `null`, as `JSON.stringify` writes them.
    fn eval(&self, source: &str, scope: &Scope<'_>) -> Result<Option<Value>, String>;
}

static ENGINE: OnceLock<&'static dyn ScriptEngine> = OnceLock::new();

/// Installs the process's script engine. Only the first call has an effect; it returns false
/// when an engine was already installed.
pub fn install_script_engine(engine: &'static dyn ScriptEngine) -> bool {
    ENGINE.set(engine).is_ok()
}

/// The installed script engine, if any.
pub fn script_engine() -> Option<&'static dyn ScriptEngine> {
    ENGINE.get().copied()
}

/// Where the `}}` closing an expression that starts at `start` is, for sources the native
/// lexer could not read: the first `}}` outside string literals, template literals and braces
/// opened by the expression. `None` when there is none.
pub(crate) fn find_close(src: &str, start: usize) -> Option<usize> {
    let b = src.as_bytes();
    let mut i = start;
    // Open braces; `true` marks a `${` inside a template literal (closing it resumes the literal).
    let mut braces: Vec<bool> = Vec::new();
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"') => i = skip_quoted(b, i + 1, q)?,
            b'`' => i = skip_template(b, i + 1, &mut braces)?,
            b'{' => {
                braces.push(false);
                i += 1;
            }
            b'}' => match braces.pop() {
                None if b.get(i + 1) == Some(&b'}') => return Some(i),
                None => i += 1,
                Some(true) => i = skip_template(b, i + 1, &mut braces)?,
                Some(false) => i += 1,
            },
            _ => i += 1,
        }
    }
    None
}

/// Skips a quoted string whose body starts at `i`; returns the index after its closing quote.
fn skip_quoted(b: &[u8], mut i: usize, quote: u8) -> Option<usize> {
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            c if c == quote => return Some(i + 1),
            b'\n' => return None,
            _ => i += 1,
        }
    }
    None
}

/// Skips template-literal text starting at `i`, up to its closing backtick (returns the index
/// after it) or a `${` (pushes a marker and returns the index after it).
fn skip_template(b: &[u8], mut i: usize, braces: &mut Vec<bool>) -> Option<usize> {
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'`' => return Some(i + 1),
            b'$' if b.get(i + 1) == Some(&b'{') => {
                braces.push(true);
                return Some(i + 2);
            }
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::find_close;

    fn close(s: &str) -> Option<&str> {
        find_close(s, 2).map(|i| &s[2..i])
    }

    #[test]
    fn finds_the_closing_braces_outside_strings_and_blocks() {
        assert_eq!(close("{{ a }} b"), Some(" a "));
        assert_eq!(close("{{ '}}' }}"), Some(" '}}' "));
        assert_eq!(close("{{ \"a\\\"}}\" }}"), Some(" \"a\\\"}}\" "));
        assert_eq!(
            close("{{ (() => { return {a: 1}; })() }}"),
            Some(" (() => { return {a: 1}; })() ")
        );
        assert_eq!(close("{{ `x${ {a:1}.a }}` }}"), Some(" `x${ {a:1}.a }}` "));
        assert_eq!(close("{{ `a` + `}}` }}"), Some(" `a` + `}}` "));
        assert_eq!(close("{{ a"), None);
        assert_eq!(close("{{ 'open }}"), None);
    }
}
