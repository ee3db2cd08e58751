//! Sandboxed JavaScript for the Code node, on QuickJS.
//!
//! Every call gets a fresh runtime, so nothing one script does (prototype pollution, globals)
//! can be seen by the next. The runtime has no module loader and no host functions except the
//! `console` methods: no file system, network, process or timers. A memory limit, a stack
//! limit, a deadline and a cancellation flag (checked by QuickJS's interrupt hook) bound what a
//! script can cost; its result must be JSON and is capped in size. `eval` and the `Function`
//! constructors are removed before user code runs.
#![warn(missing_docs)]

mod expr;

pub use expr::{
    EXPR_MAX_OUTPUT_BYTES, EXPR_MEMORY_BYTES, EXPR_STACK_BYTES, EXPR_TIME, QuickJsExpressions,
    install_expression_engine,
};

use rquickjs::{CatchResultExt, CaughtError, Context, Function, Runtime};
use serde_json::Value;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What a script may cost.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Heap limit of the runtime.
    pub memory_bytes: usize,
    /// Native stack the interpreter may use (bounds recursion).
    pub stack_bytes: usize,
    /// Wall-clock time allowed.
    pub time: Duration,
    /// Largest result, as JSON text.
    pub max_output_bytes: usize,
    /// Most `console` lines kept; later lines are counted, not kept.
    pub max_log_lines: usize,
    /// Longest `console` line kept (longer ones are cut).
    pub max_log_line_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 64 * 1024 * 1024,
            stack_bytes: 512 * 1024,
            time: Duration::from_secs(5),
            max_output_bytes: 16 * 1024 * 1024,
            max_log_lines: 1000,
            max_log_line_bytes: 4096,
        }
    }
}

/// A `console` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// `log`, `info`, `warn`, `error` or `debug`.
    pub level: String,
    /// The text.
    pub text: String,
}

/// What a script produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The value it returned, as JSON (`null` for `undefined`).
    pub value: Value,
    /// Its console output.
    pub logs: Vec<LogLine>,
    /// Console lines dropped over [`Limits::max_log_lines`].
    pub dropped_log_lines: usize,
}

/// Why a script failed. Positions are in the user's code (1-based).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JsError {
    /// The code does not parse.
    #[error("syntax error at line {line}: {message}")]
    Syntax {
        /// The parser's message.
        message: String,
        /// Line in the user's code.
        line: usize,
    },
    /// The code threw.
    #[error("{message}{}", line.map(|l| format!(" (line {l})")).unwrap_or_default())]
    Thrown {
        /// `Name: message` of the thrown error, or the thrown value.
        message: String,
        /// Line in the user's code where it was thrown, when known.
        line: Option<usize>,
    },
    /// Ran longer than [`Limits::time`].
    #[error("the code ran longer than {0:?} and was stopped")]
    Timeout(Duration),
    /// Stopped from outside (the step was cancelled).
    #[error("the code was stopped because the step was cancelled")]
    Cancelled,
    /// Used more than [`Limits::memory_bytes`] (or the stack limit).
    #[error("the code used more than {0} MB of memory (or recursed too deeply) and was stopped")]
    OutOfMemory(usize),
    /// The result is larger than [`Limits::max_output_bytes`].
    #[error("the result is {size} bytes of JSON, more than the limit of {limit}")]
    OutputTooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The result cannot be JSON (a function, a cycle, a BigInt…).
    #[error("the result cannot be turned into JSON: {0}")]
    NotJson(String),
    /// The engine itself failed to start.
    #[error("the JavaScript engine failed: {0}")]
    Engine(String),
}

/// QuickJS keeps a little process-wide state (class ids) that runtime creation and teardown
/// touch without a lock; those two steps are serialized here. Running scripts is not.
static LIFECYCLE: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Lines the wrapper puts before the user's code.
const WRAP_LINES: usize = 1;

/// Runs before user code: console.
const PRELUDE: &str = r#"
(() => {
  const log = globalThis.__weft_log;
  delete globalThis.__weft_log;
  const show = (v) => {
    if (typeof v === 'string') return v;
    if (v instanceof Error) return String(v);
    try { const s = JSON.stringify(v); return s === undefined ? String(v) : s; }
    catch (e) { return String(v); }
  };
  const method = (level) => (...args) => { log(level, args.map(show).join(' ')); };
  globalThis.console = Object.freeze({
    log: method('log'), info: method('info'), warn: method('warn'),
    error: method('error'), debug: method('debug'),
  });
})();
"#;

/// Runs before user code and expressions: no way to compile code from strings.
const HARDEN: &str = r#"
(() => {
  const refuse = function () { throw new EvalError('compiling code from strings is not allowed'); };
  const kinds = [
    Function,
    Object.getPrototypeOf(function* () {}).constructor,
    Object.getPrototypeOf(async function () {}).constructor,
    Object.getPrototypeOf(async function* () {}).constructor,
  ];
  for (const F of kinds) {
    Object.defineProperty(F.prototype, 'constructor', { value: refuse, writable: false, configurable: false });
  }
  globalThis.Function = refuse;
  delete globalThis.eval;
})();
"#;

/// Runs `code` as the body of a function (it may `return` a value). `globals` are defined as
/// global variables first (e.g. `$json`, `$input`, `items`); `setup` is trusted JavaScript run
/// after them and before the user's code (to build helpers such as `$input.all()`).
///
/// Runs on a thread of its own with a known native stack (QuickJS's stack limit is measured on
/// it), and blocks until the script ends; call it from `spawn_blocking` in async code.
pub fn run(
    code: &str,
    globals: &serde_json::Map<String, Value>,
    setup: &str,
    limits: &Limits,
    cancel: &Arc<AtomicBool>,
) -> Result<Outcome, JsError> {
    let (code, globals, setup, limits, cancel) = (
        code.to_string(),
        globals.clone(),
        setup.to_string(),
        *limits,
        cancel.clone(),
    );
    std::thread::Builder::new()
        .name("weft-js".into())
        .stack_size(limits.stack_bytes + 8 * 1024 * 1024)
        .spawn(move || run_here(&code, &globals, &setup, &limits, &cancel))
        .map_err(|e| JsError::Engine(format!("cannot start the script thread: {e}")))?
        .join()
        .map_err(|_| JsError::Engine("the script thread panicked".into()))?
}

fn run_here(
    code: &str,
    globals: &serde_json::Map<String, Value>,
    setup: &str,
    limits: &Limits,
    cancel: &Arc<AtomicBool>,
) -> Result<Outcome, JsError> {
    let engine = |e: rquickjs::Error| JsError::Engine(e.to_string());
    let guard = LIFECYCLE.lock().unwrap_or_else(|p| p.into_inner());
    let rt = Runtime::new().map_err(engine)?;
    rt.set_memory_limit(limits.memory_bytes);
    rt.set_max_stack_size(limits.stack_bytes);
    let deadline = Instant::now() + limits.time;
    let stop = Rc::new(RefCell::new(None::<JsError>));
    {
        let (stop, cancel, time) = (stop.clone(), cancel.clone(), limits.time);
        rt.set_interrupt_handler(Some(Box::new(move || {
            if cancel.load(Ordering::Relaxed) {
                *stop.borrow_mut() = Some(JsError::Cancelled);
                return true;
            }
            if Instant::now() >= deadline {
                *stop.borrow_mut() = Some(JsError::Timeout(time));
                return true;
            }
            false
        })));
    }
    let ctx = Context::full(&rt).map_err(engine)?;
    drop(guard);
    let logs = Rc::new(RefCell::new((Vec::<LogLine>::new(), 0usize)));
    let result = ctx.with(|ctx| -> Result<String, JsError> {
        let g = ctx.globals();
        {
            let (logs, max_lines, max_len) =
                (logs.clone(), limits.max_log_lines, limits.max_log_line_bytes);
            let f = Function::new(ctx.clone(), move |level: String, mut text: String| {
                let mut l = logs.borrow_mut();
                if l.0.len() >= max_lines {
                    l.1 += 1;
                    return;
                }
                if text.len() > max_len {
                    let mut cut = max_len;
                    while !text.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    text.truncate(cut);
                    text.push('…');
                }
                l.0.push(LogLine { level, text });
            })
            .map_err(engine)?;
            g.set("__weft_log", f).map_err(engine)?;
        }
        ctx.eval::<(), _>(PRELUDE).map_err(engine)?;
        ctx.eval::<(), _>(HARDEN).map_err(engine)?;
        for (name, value) in globals {
            let text = serde_json::to_string(value).map_err(|e| JsError::Engine(e.to_string()))?;
            let v = ctx.json_parse(text).map_err(engine)?;
            g.set(name.as_str(), v).map_err(engine)?;
        }
        if !setup.is_empty() {
            ctx.eval::<(), _>(setup).map_err(engine)?;
        }
        let wrapped = format!("\"use strict\";(function () {{\n{code}\n}})()");
        let returned = ctx
            .eval::<rquickjs::Value, _>(wrapped)
            .catch(&ctx)
            .map_err(|e| caught(e, &stop, limits))?;
        if returned.is_promise() {
            return Err(JsError::NotJson(
                "the code returned a Promise; code runs synchronously here (there is no I/O to wait for), so return the value itself".into(),
            ));
        }
        if returned.is_undefined() {
            return Ok("null".to_string());
        }
        let text = ctx
            .json_stringify(returned)
            .catch(&ctx)
            .map_err(|e| match caught(e, &stop, limits) {
                JsError::Thrown { message, .. } => JsError::NotJson(message),
                other => other,
            })?;
        match text {
            Some(s) => s.to_string().map_err(engine),
            None => Err(JsError::NotJson(
                "the value is a function or a symbol".into(),
            )),
        }
    });
    // QuickJS sometimes reports running out of memory by throwing null.
    let result = match result {
        Err(JsError::Thrown { message, .. })
            if message == "uncaught a null was thrown"
                && rt.memory_usage().malloc_size as usize >= limits.memory_bytes / 2 =>
        {
            Err(JsError::OutOfMemory(limits.memory_bytes / (1024 * 1024)))
        }
        other => other,
    };
    // Tear down under the lock as well.
    let guard = LIFECYCLE.lock().unwrap_or_else(|p| p.into_inner());
    drop(ctx);
    drop(rt);
    drop(guard);
    let text = result?;
    if text.len() > limits.max_output_bytes {
        return Err(JsError::OutputTooLarge {
            size: text.len(),
            limit: limits.max_output_bytes,
        });
    }
    let value: Value = serde_json::from_str(&text).map_err(|e| JsError::NotJson(e.to_string()))?;
    let (lines, dropped) = std::mem::take(&mut *logs.borrow_mut());
    Ok(Outcome {
        value,
        logs: lines,
        dropped_log_lines: dropped,
    })
}

fn caught(e: CaughtError<'_>, stop: &Rc<RefCell<Option<JsError>>>, limits: &Limits) -> JsError {
    if let Some(reason) = stop.borrow_mut().take() {
        return reason;
    }
    match e {
        CaughtError::Exception(ex) => thrown_value(ex.into_value(), limits),
        CaughtError::Value(v) => thrown_value(v, limits),
        CaughtError::Error(rquickjs::Error::Allocation) => {
            JsError::OutOfMemory(limits.memory_bytes / (1024 * 1024))
        }
        CaughtError::Error(e) => {
            let text = e.to_string();
            if text.contains("out of memory") || text.contains("stack overflow") {
                JsError::OutOfMemory(limits.memory_bytes / (1024 * 1024))
            } else {
                JsError::Engine(text)
            }
        }
    }
}

/// Describes a thrown (or rejected) value.
fn thrown_value(v: rquickjs::Value<'_>, limits: &Limits) -> JsError {
    match v.clone().into_exception() {
        Some(ex) => {
            let name: String = ex.get::<_, String>("name").unwrap_or_default();
            let message = ex.message().unwrap_or_default();
            let line = ex.stack().as_deref().and_then(user_line);
            if name == "SyntaxError" {
                return JsError::Syntax {
                    message,
                    line: line.unwrap_or(0),
                };
            }
            if name == "InternalError"
                && (message.contains("out of memory") || message.contains("stack overflow"))
            {
                return JsError::OutOfMemory(limits.memory_bytes / (1024 * 1024));
            }
            let message = if name.is_empty() {
                message
            } else {
                format!("{name}: {message}")
            };
            JsError::Thrown { message, line }
        }
        None => {
            let message = if let Some(s) = v.as_string() {
                s.to_string().unwrap_or_default()
            } else {
                format!("a {} was thrown", v.type_name())
            };
            JsError::Thrown {
                message: format!("uncaught {message}"),
                line: None,
            }
        }
    }
}

/// The first line number of the evaluated script in a QuickJS stack trace, in the user's code.
fn user_line(stack: &str) -> Option<usize> {
    stack.lines().find_map(|l| {
        let at = l.find("eval_script:")?;
        let rest = &l[at + "eval_script:".len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits
            .parse::<usize>()
            .ok()
            .map(|n| n.saturating_sub(WRAP_LINES))
    })
}
