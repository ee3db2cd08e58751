//! Expressions beyond the native subset, on a warm QuickJS context per thread.
//!
//! The Code node pays for a fresh runtime on every run; an expression is evaluated once per
//! item and must cost microseconds, so each thread keeps one runtime and context and reuses
//! them. What makes reuse safe:
//! - every intrinsic reachable from the global object (constructors, prototypes, iterator and
//!   generator prototypes) and the global object itself are frozen before any expression runs,
//!   and expressions run in strict mode, so nothing one evaluation does (prototype pollution, a
//!   new global) is visible to the next;
//! - `eval` and the `Function` constructors are gone, as in the Code node;
//! - the `$` names are getters that read the evaluation's [`Scope`] through a host function,
//!   only while that evaluation runs; there is no other host object;
//! - a memory limit, a stack limit and a deadline bound each evaluation; after it runs out of
//!   time or memory, or leaves promise jobs behind, the runtime is thrown away and the next
//!   evaluation starts on a fresh one.
//!
//! Compiled expressions are cached per thread by source text.

use crate::{JsError, LIFECYCLE, Limits, caught};
use rquickjs::{CatchResultExt, Context, Ctx, Function, Persistent, Runtime};
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::{Duration, Instant};
use weft_expr::{Scope, ScriptEngine};

/// Heap of each thread's expression runtime.
pub const EXPR_MEMORY_BYTES: usize = 32 * 1024 * 1024;
/// Native stack one evaluation may use.
pub const EXPR_STACK_BYTES: usize = 256 * 1024;
/// Wall-clock time one evaluation may take.
pub const EXPR_TIME: Duration = Duration::from_secs(1);
/// Largest result, as JSON text.
pub const EXPR_MAX_OUTPUT_BYTES: usize = 16 * 1024 * 1024;
/// Compiled expressions kept per thread; the cache starts over when full.
const CACHE_ENTRIES: usize = 1024;

const LIMITS: Limits = Limits {
    memory_bytes: EXPR_MEMORY_BYTES,
    stack_bytes: EXPR_STACK_BYTES,
    time: EXPR_TIME,
    max_output_bytes: EXPR_MAX_OUTPUT_BYTES,
    max_log_lines: 0,
    max_log_line_bytes: 0,
};

/// Defines the `$` names over the host function, then freezes every intrinsic and the global
/// object. Runs once per runtime, before any user expression.
const EXPR_PRELUDE: &str = r#"
(() => {
  'use strict';
  const H = globalThis.__weft_host;
  delete globalThis.__weft_host;
  const wrap = (j) => (j === undefined ? undefined : { json: j });
  // `$json` is one object for the whole evaluation (as in JavaScript), and a new one for the
  // next: the cache is keyed by the evaluation's number.
  let jsonOf = -1;
  let json;
  const currentJson = () => {
    const n = H('evaluation');
    if (n !== jsonOf) { json = H('json'); jsonOf = n; }
    return json;
  };
  const nodeItems = (name) => {
    const items = H('node', String(name));
    if (items === undefined) throw new Error('no node named `' + name + '` has run');
    return items;
  };
  const paired = (items) => {
    const i = H('item');
    return i < items.length ? items[i] : items[0];
  };
  const nodeView = (name) => Object.freeze({
    get json() { const v = paired(nodeItems(name)); return v === undefined ? {} : v; },
    get item() { return wrap(paired(nodeItems(name))); },
    get items() { return nodeItems(name).map(wrap); },
    get isExecuted() { return H('node', String(name)) !== undefined; },
  });
  const dollar = (name) => Object.freeze({
    get item() { return wrap(paired(nodeItems(name))); },
    all: () => nodeItems(name).map(wrap),
    first: () => wrap(nodeItems(name)[0]),
    last: () => { const a = nodeItems(name); return wrap(a[a.length - 1]); },
    itemMatching: (i) => wrap(nodeItems(name)[i]),
    get isExecuted() { return H('node', String(name)) !== undefined; },
  });
  const readOnly = { set: () => false, defineProperty: () => false, deleteProperty: () => false };
  const nodeMap = new Proxy({}, {
    ...readOnly,
    get: (_, name) => (typeof name === 'string' ? nodeView(name) : undefined),
    has: (_, name) => typeof name === 'string' && H('node', name) !== undefined,
  });
  const env = new Proxy({}, {
    ...readOnly,
    get: (_, name) => (typeof name === 'string' ? H('env', name) : undefined),
    has: (_, name) => typeof name === 'string' && H('env', name) !== undefined,
  });
  const input = Object.freeze({
    all: () => H('input').map(wrap),
    first: () => wrap(H('input')[0]),
    last: () => { const a = H('input'); return wrap(a[a.length - 1]); },
    get item() { return wrap(currentJson()); },
  });
  const iso = (ms) => new Date(ms).toISOString();
  const day = 86400000;
  const names = {
    $json: currentJson,
    $input: () => input,
    $node: () => nodeMap,
    $vars: () => H('vars'),
    $run: () => H('run'),
    $item: () => H('item'),
    $itemIndex: () => H('item'),
    $now: () => iso(H('now')),
    $today: () => { const ms = H('now'); return iso(ms - (((ms % day) + day) % day)); },
    $env: () => env,
  };
  for (const [name, get] of Object.entries(names)) {
    Object.defineProperty(globalThis, name, { get, enumerable: false, configurable: false });
  }
  Object.defineProperty(globalThis, '$', { value: dollar, writable: false, configurable: false });

  // Freeze everything an expression can reach without creating it: the global object's
  // properties, transitively, and the intrinsics that are only reachable through syntax.
  const roots = [
    globalThis,
    Object.getPrototypeOf(function* () {}),
    Object.getPrototypeOf(async function () {}),
    Object.getPrototypeOf(async function* () {}),
    Object.getPrototypeOf([][Symbol.iterator]()),
    Object.getPrototypeOf(new Map()[Symbol.iterator]()),
    Object.getPrototypeOf(new Set()[Symbol.iterator]()),
    Object.getPrototypeOf(''[Symbol.iterator]()),
    Object.getPrototypeOf(/a/[Symbol.matchAll]('')),
    Object.getPrototypeOf((function* () {})()),
    Object.getPrototypeOf((async function* () {})()),
  ];
  const seen = new Set();
  const freeze = (o) => {
    if ((typeof o !== 'object' && typeof o !== 'function') || o === null || seen.has(o)) return;
    seen.add(o);
    Object.freeze(o);
    for (const key of Reflect.ownKeys(o)) {
      const d = Reflect.getOwnPropertyDescriptor(o, key);
      if (d === undefined) continue;
      if ('value' in d) freeze(d.value); else { freeze(d.get); freeze(d.set); }
    }
    freeze(Object.getPrototypeOf(o));
  };
  for (const r of roots) freeze(r);
})();
"#;

thread_local! {
    /// This thread's warm runtime.
    static SLOT: RefCell<Option<ExprRuntime>> = const { RefCell::new(None) };
    /// The scope of the evaluation running on this thread (null between evaluations).
    static CURRENT: Cell<*const Scope<'static>> = const { Cell::new(std::ptr::null()) };
    /// Counts evaluations on this thread.
    static EVALUATION: Cell<u64> = const { Cell::new(0) };
    /// When the running evaluation must stop.
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// The QuickJS expression engine; install it with [`install_expression_engine`].
pub struct QuickJsExpressions;

static ENGINE: QuickJsExpressions = QuickJsExpressions;

/// Makes `{{ }}` expressions outside the native subset run on QuickJS in this process.
/// Idempotent.
pub fn install_expression_engine() {
    weft_expr::install_script_engine(&ENGINE);
}

impl ScriptEngine for QuickJsExpressions {
    fn check(&self, source: &str) -> Result<(), String> {
        with_runtime(|rt| rt.compile(source).map(drop)).map_err(|e| e.to_string())
    }

    fn eval(&self, source: &str, scope: &Scope<'_>) -> Result<Option<Value>, String> {
        with_runtime(|rt| rt.eval(source, scope)).map_err(|e| e.to_string())
    }
}

/// Runs `f` on this thread's runtime, creating it first if needed and discarding it when `f`
/// left it in a state that must not be reused.
fn with_runtime<T>(f: impl FnOnce(&mut ExprRuntime) -> Result<T, JsError>) -> Result<T, JsError> {
    SLOT.with(|slot| {
        let mut slot = slot
            .try_borrow_mut()
            .map_err(|_| JsError::Engine("an expression cannot evaluate another".into()))?;
        if slot.is_none() {
            *slot = Some(ExprRuntime::new()?);
        }
        let rt = slot
            .as_mut()
            .ok_or_else(|| JsError::Engine("no runtime".into()))?;
        let result = f(rt);
        let spoiled = matches!(
            result,
            Err(JsError::Timeout(_) | JsError::OutOfMemory(_) | JsError::Engine(_))
        ) || rt.rt.as_ref().is_none_or(Runtime::is_job_pending);
        if spoiled {
            *slot = None;
        }
        result
    })
}

/// Sets the thread's current scope and deadline for the duration of an evaluation.
struct Running;

impl Running {
    fn start(scope: &Scope<'_>) -> Running {
        // The pointer is only read by the host function while this guard lives, on this
        // thread, and is cleared when the guard drops (also on unwind).
        let ptr = (scope as *const Scope<'_>).cast::<Scope<'static>>();
        CURRENT.with(|c| c.set(ptr));
        EVALUATION.with(|n| n.set(n.get() + 1));
        DEADLINE.with(|d| d.set(Some(Instant::now() + EXPR_TIME)));
        Running
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(std::ptr::null()));
        DEADLINE.with(|d| d.set(None));
    }
}

/// Calls `f` with the scope of the running evaluation, or `None` outside one.
fn with_scope<R>(f: impl FnOnce(&Scope<'_>) -> R) -> Option<R> {
    let ptr = CURRENT.with(Cell::get);
    if ptr.is_null() {
        return None;
    }
    // SAFETY: `ptr` was set from a live `&Scope` by `Running::start` on this thread and is
    // reset to null before that borrow ends; QuickJS calls host functions synchronously on the
    // thread that runs the evaluation, so the scope outlives this call. `f` cannot keep the
    // reference: it is only valid for the call.
    let scope = unsafe { &*ptr };
    Some(f(scope))
}

/// One thread's runtime, context and compiled expressions.
struct ExprRuntime {
    /// Compiled expressions by source; dropped before the context.
    cache: HashMap<String, Persistent<Function<'static>>>,
    /// Always `Some` until dropped.
    ctx: Option<Context>,
    /// Always `Some` until dropped.
    rt: Option<Runtime>,
}

impl Drop for ExprRuntime {
    fn drop(&mut self) {
        self.cache.clear();
        let _guard = LIFECYCLE.lock().unwrap_or_else(|p| p.into_inner());
        self.ctx = None;
        self.rt = None;
    }
}

impl ExprRuntime {
    fn new() -> Result<ExprRuntime, JsError> {
        let engine = |e: rquickjs::Error| JsError::Engine(e.to_string());
        let guard = LIFECYCLE.lock().unwrap_or_else(|p| p.into_inner());
        let rt = Runtime::new().map_err(engine)?;
        rt.set_memory_limit(EXPR_MEMORY_BYTES);
        rt.set_max_stack_size(EXPR_STACK_BYTES);
        rt.set_interrupt_handler(Some(Box::new(deadline_passed)));
        let ctx = Context::full(&rt).map_err(engine)?;
        drop(guard);
        ctx.with(|ctx| -> Result<(), JsError> {
            let host = Function::new(ctx.clone(), host).map_err(engine)?;
            ctx.globals().set("__weft_host", host).map_err(engine)?;
            ctx.eval::<(), _>(crate::HARDEN).map_err(engine)?;
            ctx.eval::<(), _>(EXPR_PRELUDE).map_err(engine)?;
            Ok(())
        })?;
        Ok(ExprRuntime {
            cache: HashMap::new(),
            ctx: Some(ctx),
            rt: Some(rt),
        })
    }

    fn context(&self) -> Result<&Context, JsError> {
        self.ctx
            .as_ref()
            .ok_or_else(|| JsError::Engine("the context is gone".into()))
    }

    /// Compiles `source` into a function returning the expression's value (cached).
    fn compile(&mut self, source: &str) -> Result<Persistent<Function<'static>>, JsError> {
        if let Some(f) = self.cache.get(source) {
            return Ok(f.clone());
        }
        let ctx = self.context()?.clone();
        let f = ctx.with(|ctx| -> Result<_, JsError> {
            update_stack_top(&ctx);
            let wrapped = format!("(function () {{ 'use strict'; return (\n{source}\n); }})");
            let _deadline = DeadlineOnly::start();
            let f: Function = ctx.eval(wrapped).catch(&ctx).map_err(failure)?;
            Ok(Persistent::save(&ctx, f))
        })?;
        if self.cache.len() >= CACHE_ENTRIES {
            self.cache.clear();
        }
        self.cache.insert(source.to_string(), f.clone());
        Ok(f)
    }

    fn eval(&mut self, source: &str, scope: &Scope<'_>) -> Result<Option<Value>, JsError> {
        let f = self.compile(source)?;
        let ctx = self.context()?.clone();
        let _running = Running::start(scope);
        ctx.with(|ctx| {
            update_stack_top(&ctx);
            let f = f
                .restore(&ctx)
                .map_err(|e| JsError::Engine(e.to_string()))?;
            let v: rquickjs::Value = f.call(()).catch(&ctx).map_err(failure)?;
            from_js(&ctx, v)
        })
    }
}

/// Why an evaluation failed: the deadline, or what QuickJS reports.
fn failure(e: rquickjs::CaughtError<'_>) -> JsError {
    if deadline_passed() {
        return JsError::Timeout(EXPR_TIME);
    }
    // An expression is one line for the user: line numbers would only confuse.
    match caught(e, &Rc::new(RefCell::new(None)), &LIMITS) {
        JsError::Thrown { message, .. } => JsError::Thrown {
            message,
            line: None,
        },
        other => other,
    }
}

fn deadline_passed() -> bool {
    DEADLINE.with(|d| d.get().is_some_and(|at| Instant::now() >= at))
}

/// A deadline without a scope, for compiling (a source can run code while it compiles by
/// closing the wrapper early; it then meets the same limits).
struct DeadlineOnly;

impl DeadlineOnly {
    fn start() -> DeadlineOnly {
        DEADLINE.with(|d| d.set(Some(Instant::now() + EXPR_TIME)));
        DeadlineOnly
    }
}

impl Drop for DeadlineOnly {
    fn drop(&mut self) {
        DEADLINE.with(|d| d.set(None));
    }
}

/// QuickJS measures its stack limit from the stack position recorded at runtime creation;
/// the same thread may evaluate at another depth later, so record the current one.
fn update_stack_top(ctx: &Ctx<'_>) {
    // SAFETY: the context pointer is valid for the duration of `ctx.with`, and updating the
    // runtime's stack top is what QuickJS expects a host to do when it calls in from a
    // different stack position.
    unsafe {
        let rt = rquickjs::qjs::JS_GetRuntime(ctx.as_raw().as_ptr());
        rquickjs::qjs::JS_UpdateStackTop(rt);
    }
}

/// The host function behind the `$` names: `H(op, name?)`.
fn host<'js>(
    ctx: Ctx<'js>,
    op: String,
    name: rquickjs::function::Opt<String>,
) -> rquickjs::Result<rquickjs::Value<'js>> {
    let out = with_scope(|s| -> rquickjs::Result<rquickjs::Value<'js>> {
        match op.as_str() {
            "json" => to_js(&ctx, s.json),
            "input" => array_to_js(&ctx, s.input),
            "node" => match name.0.as_deref().and_then(|n| s.nodes.items(n)) {
                Some(items) => array_to_js(&ctx, items),
                None => Ok(rquickjs::Value::new_undefined(ctx.clone())),
            },
            "vars" => {
                let text = serde_json::to_string(s.vars)
                    .map_err(|e| rquickjs::Exception::throw_internal(&ctx, &e.to_string()))?;
                ctx.json_parse(text)
            }
            "run" => to_js(&ctx, s.run),
            "env" => match name.0.as_deref().and_then(|n| (s.env)(n)) {
                Some(v) => rquickjs::String::from_str(ctx.clone(), &v).map(|s| s.into_value()),
                None => Ok(rquickjs::Value::new_undefined(ctx.clone())),
            },
            "evaluation" => Ok(rquickjs::Value::new_number(
                ctx.clone(),
                EVALUATION.with(Cell::get) as f64,
            )),
            "now" => Ok(rquickjs::Value::new_number(ctx.clone(), s.now_ms as f64)),
            "item" => Ok(rquickjs::Value::new_number(
                ctx.clone(),
                s.item_index as f64,
            )),
            other => Err(rquickjs::Exception::throw_internal(
                &ctx,
                &format!("unknown host operation {other}"),
            )),
        }
    });
    out.unwrap_or_else(|| {
        Err(rquickjs::Exception::throw_internal(
            &ctx,
            "`$` names are only available while an expression is evaluated",
        ))
    })
}

fn to_js<'js>(ctx: &Ctx<'js>, v: &Value) -> rquickjs::Result<rquickjs::Value<'js>> {
    Ok(match v {
        Value::Null => rquickjs::Value::new_null(ctx.clone()),
        Value::Bool(b) => rquickjs::Value::new_bool(ctx.clone(), *b),
        Value::Number(n) => rquickjs::Value::new_number(ctx.clone(), n.as_f64().unwrap_or(0.0)),
        Value::String(s) => rquickjs::String::from_str(ctx.clone(), s)?.into_value(),
        Value::Array(_) | Value::Object(_) => {
            let text = serde_json::to_string(v)
                .map_err(|e| rquickjs::Exception::throw_internal(ctx, &e.to_string()))?;
            ctx.json_parse(text)?
        }
    })
}

fn array_to_js<'js>(ctx: &Ctx<'js>, items: &[Value]) -> rquickjs::Result<rquickjs::Value<'js>> {
    let text = serde_json::to_string(items)
        .map_err(|e| rquickjs::Exception::throw_internal(ctx, &e.to_string()))?;
    ctx.json_parse(text)
}

/// The JSON value of an expression's result; `None` for undefined, functions and symbols.
fn from_js<'js>(ctx: &Ctx<'js>, v: rquickjs::Value<'js>) -> Result<Option<Value>, JsError> {
    if v.is_undefined() || v.is_function() || v.is_symbol() {
        return Ok(None);
    }
    if v.is_null() {
        return Ok(Some(Value::Null));
    }
    if let Some(b) = v.as_bool() {
        return Ok(Some(Value::Bool(b)));
    }
    if let Some(i) = v.as_int() {
        return Ok(Some(Value::from(i)));
    }
    if let Some(f) = v.as_float() {
        // Integral doubles are integers in JSON, as JSON.stringify writes them.
        const SAFE: f64 = 9_007_199_254_740_991.0;
        if f.fract() == 0.0 && f.abs() <= SAFE {
            return Ok(Some(Value::from(f as i64)));
        }
        return Ok(Some(
            serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        ));
    }
    if let Some(s) = v.as_string() {
        let s = s.to_string().map_err(|e| JsError::Engine(e.to_string()))?;
        return Ok(Some(Value::String(s)));
    }
    if v.is_promise() {
        return Err(JsError::NotJson(
            "the expression returned a Promise; expressions are synchronous".into(),
        ));
    }
    let text = ctx
        .json_stringify(v)
        .catch(ctx)
        .map_err(|e| match failure(e) {
            JsError::Thrown { message, .. } => JsError::NotJson(message),
            other => other,
        })?;
    let Some(text) = text else { return Ok(None) };
    let text = text
        .to_string()
        .map_err(|e| JsError::Engine(e.to_string()))?;
    if text.len() > EXPR_MAX_OUTPUT_BYTES {
        return Err(JsError::OutputTooLarge {
            size: text.len(),
            limit: EXPR_MAX_OUTPUT_BYTES,
        });
    }
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| JsError::NotJson(e.to_string()))
}
