//! The evaluator: walks an expression tree against a [`Scope`].
//!
//! Values borrow from the scope and the tree whenever they can, so a plain path such as
//! `$json.a.b` touches no allocator until its result is cloned at the very end. Every step,
//! every byte copied and every string or array built is counted against the limits in the
//! crate root.

use crate::ast::{At, BinOp, Expr, Field, Item, Piece, Root, UnOp};
use crate::number::to_json;
use crate::val::{Host, Prim, Val};
use crate::{
    ExprError, MAX_ARRAY_LEN, MAX_RENDER_BYTES, MAX_STEPS, MAX_STRING_BYTES, MAX_VALUE_DEPTH, Scope,
};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// The result of evaluating something.
pub(crate) type R<'a> = Result<Val<'a>, ExprError>;

/// Rough bytes of one JSON value slot, for the copy budget.
const SLOT: usize = 32;

/// Evaluation state of one render.
pub(crate) struct Ctx<'a> {
    /// The names in scope.
    pub scope: &'a Scope<'a>,
    /// Arguments of the arrow functions being called, innermost last.
    params: Vec<Val<'a>>,
    /// Where the innermost call's parameters start in `params`.
    base: usize,
    steps: u64,
    budget: usize,
    /// The expression's source, for errors.
    source: &'a str,
    /// The offset of `source` in the template.
    offset: usize,
}

/// The size of a JSON value in bytes (roughly) and whether it nests deeper than a limit.
pub(crate) fn measure(v: &Value, max_depth: usize) -> (usize, bool) {
    match v {
        Value::Array(_) | Value::Object(_) => {}
        Value::String(s) => return (SLOT + s.len(), false),
        _ => return (SLOT, false),
    }
    let mut bytes = 0;
    let mut too_deep = false;
    let mut stack = vec![(v, 1usize)];
    while let Some((v, depth)) = stack.pop() {
        bytes += SLOT;
        if depth > max_depth {
            too_deep = true;
        }
        match v {
            Value::String(s) => bytes += s.len(),
            Value::Array(a) => stack.extend(a.iter().map(|x| (x, depth + 1))),
            Value::Object(m) => {
                for (k, x) in m {
                    bytes += k.len() + SLOT;
                    stack.push((x, depth + 1));
                }
            }
            _ => {}
        }
    }
    (bytes, too_deep)
}

/// `{json: v}`, n8n's item shape.
pub(crate) fn wrap_json(v: Value) -> Value {
    let mut m = Map::new();
    m.insert("json".into(), v);
    Value::Object(m)
}

/// The array index `name` spells, in canonical form only (`"01"` is not an index).
pub(crate) fn array_index(name: &str) -> Option<usize> {
    if name.is_empty() || (name.len() > 1 && name.starts_with('0')) {
        return None;
    }
    if !name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    name.parse().ok()
}

/// JavaScript's `**`, which differs from `powf` for a NaN exponent and `±1 ** ±Infinity`.
pub(crate) fn js_pow(a: f64, b: f64) -> f64 {
    if b.is_nan() || (a.abs() == 1.0 && b.is_infinite()) {
        return f64::NAN;
    }
    a.powf(b)
}

impl<'a> Ctx<'a> {
    /// A fresh context with the full budget.
    pub(crate) fn new(scope: &'a Scope<'a>) -> Self {
        Ctx {
            scope,
            params: Vec::new(),
            base: 0,
            steps: MAX_STEPS,
            budget: MAX_RENDER_BYTES,
            source: "",
            offset: 0,
        }
    }

    /// Sets the expression being evaluated, for errors.
    pub(crate) fn at(&mut self, source: &'a str, offset: usize) {
        self.source = source;
        self.offset = offset;
    }

    /// An error at a byte offset of the template.
    pub(crate) fn err(&self, pos: usize, message: impl Into<String>) -> ExprError {
        ExprError {
            message: message.into(),
            expression: self.source.to_string(),
            position: pos,
        }
    }

    /// The source text between two offsets, to quote in messages.
    pub(crate) fn quote(&self, start: usize, end: usize) -> String {
        start
            .checked_sub(self.offset)
            .zip(end.checked_sub(self.offset))
            .and_then(|(a, b)| self.source.get(a..b))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map_or_else(|| "the value".to_string(), |s| format!("`{s}`"))
    }

    #[inline]
    fn tick(&mut self) -> Result<(), ExprError> {
        if self.steps == 0 {
            return Err(self.err(
                self.offset,
                format!("the expression takes more than {MAX_STEPS} steps"),
            ));
        }
        self.steps -= 1;
        Ok(())
    }

    /// Counts bytes against the render's budget.
    pub(crate) fn charge(&mut self, bytes: usize, pos: usize) -> Result<(), ExprError> {
        if bytes > self.budget {
            return Err(self.err(
                pos,
                format!(
                    "the expression copies more than {} MB",
                    MAX_RENDER_BYTES / 1024 / 1024
                ),
            ));
        }
        self.budget -= bytes;
        Ok(())
    }

    /// Checks the size of a string about to be built and counts it.
    pub(crate) fn check_string(&mut self, bytes: usize, pos: usize) -> Result<(), ExprError> {
        if bytes > MAX_STRING_BYTES {
            return Err(self.err(
                pos,
                format!(
                    "the string would be longer than {} MB",
                    MAX_STRING_BYTES / 1024 / 1024
                ),
            ));
        }
        self.charge(bytes, pos)
    }

    /// Checks the length of an array about to be built and counts it.
    pub(crate) fn check_array(&mut self, len: usize, pos: usize) -> Result<(), ExprError> {
        if len > MAX_ARRAY_LEN {
            return Err(self.err(
                pos,
                format!("the array would have more than {MAX_ARRAY_LEN} elements"),
            ));
        }
        self.charge(len.saturating_mul(SLOT), pos)
    }

    /// A string result, checked and counted.
    pub(crate) fn string(&mut self, s: String, pos: usize) -> R<'a> {
        self.check_string(s.len(), pos)?;
        Ok(Val::Own(Value::String(s)))
    }

    /// Clones a value, counting owned copies.
    pub(crate) fn dup(&mut self, v: &Val<'a>, pos: usize) -> R<'a> {
        if let Val::Own(x) = v {
            let (bytes, _) = measure(x, usize::MAX);
            self.charge(bytes, pos)?;
        }
        Ok(v.clone())
    }

    fn copy(&mut self, v: &Value, pos: usize) -> Result<Value, ExprError> {
        let (bytes, _) = measure(v, usize::MAX);
        self.charge(bytes, pos)?;
        Ok(v.clone())
    }

    /// The items of a node that has run.
    pub(crate) fn node_items(&self, name: &str, pos: usize) -> Result<&'a [Value], ExprError> {
        self.scope
            .nodes
            .items(name)
            .ok_or_else(|| self.err(pos, format!("no node named `{name}` has run")))
    }

    /// The item of a node paired with the current one: same index, else the first.
    pub(crate) fn paired(&self, items: &'a [Value]) -> Option<&'a Value> {
        items.get(self.scope.item_index).or(items.first())
    }

    /// The JSON value of `v`; `None` for undefined and functions. Copies are counted.
    pub(crate) fn export_opt(
        &mut self,
        v: Val<'a>,
        pos: usize,
    ) -> Result<Option<Value>, ExprError> {
        Ok(Some(match v {
            Val::Undef | Val::Arrow(..) | Val::Host(Host::Dollar) => return Ok(None),
            Val::Host(Host::Global(g)) if g.is_function() => return Ok(None),
            Val::Bool(b) => Value::Bool(b),
            Val::Num(n) => to_json(n),
            Val::Own(v) => v,
            Val::Ref(v) => self.copy(v, pos)?,
            Val::Vars(m) => {
                let bytes = m
                    .iter()
                    .map(|(k, v)| k.len() + SLOT + measure(v, usize::MAX).0)
                    .sum();
                self.charge(bytes, pos)?;
                Value::Object(m.clone())
            }
            Val::Item(v) => wrap_json(self.copy(v, pos)?),
            Val::Items(items) => self.items_value(items, pos)?,
            Val::Host(Host::Node(name)) => {
                let items = self.node_items(&name, pos)?;
                let json = match self.paired(items) {
                    Some(v) => self.copy(v, pos)?,
                    None => Value::Object(Map::new()),
                };
                let mut m = Map::new();
                m.insert("json".into(), json);
                m.insert("items".into(), self.items_value(items, pos)?);
                Value::Object(m)
            }
            Val::Host(_) => Value::Object(Map::new()),
        }))
    }

    fn items_value(&mut self, items: &'a [Value], pos: usize) -> Result<Value, ExprError> {
        self.check_array(items.len(), pos)?;
        let mut out = Vec::with_capacity(items.len());
        for v in items {
            out.push(wrap_json(self.copy(v, pos)?));
        }
        Ok(Value::Array(out))
    }

    /// The JSON value of `v`, with `null` for undefined and functions.
    pub(crate) fn export(&mut self, v: Val<'a>, pos: usize) -> Result<Value, ExprError> {
        Ok(self.export_opt(v, pos)?.unwrap_or(Value::Null))
    }

    /// The JSON value of `v` for putting inside an array or object: checked for depth.
    pub(crate) fn element(&mut self, v: Val<'a>, pos: usize) -> Result<Option<Value>, ExprError> {
        let Some(v) = self.export_opt(v, pos)? else {
            return Ok(None);
        };
        if measure(&v, MAX_VALUE_DEPTH - 1).1 {
            return Err(self.err(
                pos,
                format!("the value would nest deeper than {MAX_VALUE_DEPTH} levels"),
            ));
        }
        Ok(Some(v))
    }

    /// Turns values that only exist in expressions (items, `$vars`, nodes) into JSON, so
    /// that equality can compare them with JSON values.
    fn plain(&mut self, v: Val<'a>, pos: usize) -> R<'a> {
        match v {
            Val::Vars(_) | Val::Item(_) | Val::Items(_) | Val::Host(Host::Node(_)) => {
                Ok(Val::Own(self.export(v, pos)?))
            }
            other => Ok(other),
        }
    }

    /// Evaluates an expression.
    pub(crate) fn eval(&mut self, e: &'a Expr) -> R<'a> {
        self.tick()?;
        match e {
            Expr::Lit(v) => Ok(Val::Ref(v)),
            Expr::Num(n) => Ok(Val::Num(*n)),
            Expr::Undefined => Ok(Val::Undef),
            Expr::Root(r) => Ok(self.root(*r)),
            Expr::Global(g) => Ok(Val::Host(Host::Global(*g))),
            Expr::Param(slot) => self.param(*slot),
            Expr::Array(items) => {
                let vals = self.items(items)?;
                self.array(vals, self.offset)
            }
            Expr::Object(fields) => self.object(fields),
            Expr::Member(..) | Expr::Index(..) | Expr::Call(..) => {
                Ok(self.chain(e)?.unwrap_or(Val::Undef))
            }
            Expr::Unary(op, x) => self.unary(*op, x),
            Expr::Binary(op, a, b, pos) => self.binary(*op, a, b, *pos),
            Expr::Cond(c, a, b) => {
                if self.eval(c)?.truthy() {
                    self.eval(a)
                } else {
                    self.eval(b)
                }
            }
            Expr::Arrow(def) => {
                let from = self.base.min(self.params.len());
                let to = (from + def.captures).min(self.params.len());
                Ok(Val::Arrow(def, self.params[from..to].to_vec()))
            }
            Expr::Template(pieces) => self.template(pieces),
        }
    }

    fn param(&mut self, slot: usize) -> R<'a> {
        let v = self
            .params
            .get(self.base + slot)
            .cloned()
            .unwrap_or(Val::Undef);
        if let Val::Own(x) = &v {
            let (bytes, _) = measure(x, usize::MAX);
            self.charge(bytes, self.offset)?;
        }
        Ok(v)
    }

    fn unary(&mut self, op: UnOp, x: &'a Expr) -> R<'a> {
        let v = self.eval(x)?;
        Ok(match op {
            UnOp::Not => Val::Bool(!v.truthy()),
            UnOp::Neg => Val::Num(-v.to_number()),
            UnOp::Plus => Val::Num(v.to_number()),
            UnOp::TypeOf => Val::Own(Value::String(v.type_of().into())),
        })
    }

    fn template(&mut self, pieces: &'a [Piece]) -> R<'a> {
        let mut s = String::new();
        for piece in pieces {
            match piece {
                Piece::Text(t) => s.push_str(t),
                Piece::Expr(x) => {
                    let v = self.eval(x)?;
                    let text = v.to_str();
                    if s.len() + text.len() > MAX_STRING_BYTES {
                        return self
                            .check_string(s.len() + text.len(), self.offset)
                            .map(|()| Val::Undef);
                    }
                    s.push_str(&text);
                }
            }
        }
        self.string(s, self.offset)
    }

    fn root(&self, root: Root) -> Val<'a> {
        let s = self.scope;
        match root {
            Root::Json => Val::Ref(s.json),
            Root::Input => Val::Host(Host::Input),
            Root::Node => Val::Host(Host::NodeMap),
            Root::Vars => Val::Vars(s.vars),
            Root::Run => Val::Ref(s.run),
            Root::ItemIndex => Val::Num(s.item_index as f64),
            Root::Now => Val::Own(Value::String(crate::time::iso(s.now_ms))),
            Root::Today => Val::Own(Value::String(crate::time::iso(
                s.now_ms - s.now_ms.rem_euclid(86_400_000),
            ))),
            Root::Env => Val::Host(Host::Env),
            Root::Dollar => Val::Host(Host::Dollar),
        }
    }

    /// Evaluates a list with spread elements.
    pub(crate) fn items(&mut self, items: &'a [Item]) -> Result<Vec<Val<'a>>, ExprError> {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Item::One(e) => out.push(self.eval(e)?),
                Item::Spread(e, pos) => {
                    let v = self.eval(e)?;
                    self.spread(v, *pos, &mut out)?;
                }
            }
        }
        Ok(out)
    }

    fn spread(&mut self, v: Val<'a>, pos: usize, out: &mut Vec<Val<'a>>) -> Result<(), ExprError> {
        let added = match &v {
            Val::Ref(Value::Array(a)) | Val::Own(Value::Array(a)) => a.len(),
            Val::Items(items) => items.len(),
            Val::Ref(Value::String(s)) | Val::Own(Value::String(s)) => s.chars().count(),
            other => {
                return Err(self.err(
                    pos,
                    format!("cannot spread {}: it is not an array", describe_type(other)),
                ));
            }
        };
        self.check_array(out.len().saturating_add(added), pos)?;
        match v {
            Val::Ref(Value::Array(a)) => out.extend(a.iter().map(Val::Ref)),
            Val::Own(Value::Array(a)) => out.extend(a.into_iter().map(Val::Own)),
            Val::Items(items) => out.extend(items.iter().map(Val::Item)),
            Val::Ref(Value::String(s)) => {
                out.extend(s.chars().map(|c| Val::Own(Value::String(c.to_string()))));
            }
            Val::Own(Value::String(s)) => {
                out.extend(s.chars().map(|c| Val::Own(Value::String(c.to_string()))));
            }
            _ => {}
        }
        Ok(())
    }

    /// Builds an array from values; undefined becomes null.
    pub(crate) fn array(&mut self, vals: Vec<Val<'a>>, pos: usize) -> R<'a> {
        self.check_array(vals.len(), pos)?;
        let mut out = Vec::with_capacity(vals.len());
        for v in vals {
            out.push(self.element(v, pos)?.unwrap_or(Value::Null));
        }
        Ok(Val::Own(Value::Array(out)))
    }

    fn object(&mut self, fields: &'a [Field]) -> R<'a> {
        let mut m = Map::new();
        for field in fields {
            match field {
                Field::Named(k, e) => {
                    let v = self.eval(e)?;
                    if let Some(v) = self.element(v, self.offset)? {
                        m.insert(k.clone(), v);
                    }
                }
                Field::Computed(k, e) => {
                    let key = self.eval(k)?.to_str().into_owned();
                    let v = self.eval(e)?;
                    if let Some(v) = self.element(v, self.offset)? {
                        m.insert(key, v);
                    }
                }
                Field::Spread(e, pos) => {
                    let v = self.eval(e)?;
                    let v = self.plain(v, *pos)?;
                    match v {
                        Val::Ref(Value::Object(src)) => {
                            for (k, x) in src {
                                let x = self.copy(x, *pos)?;
                                m.insert(k.clone(), x);
                            }
                        }
                        Val::Own(Value::Object(src)) => m.extend(src),
                        Val::Ref(Value::Array(a)) => {
                            for (i, x) in a.iter().enumerate() {
                                let x = self.copy(x, *pos)?;
                                m.insert(i.to_string(), x);
                            }
                        }
                        Val::Own(Value::Array(a)) => {
                            m.extend(a.into_iter().enumerate().map(|(i, x)| (i.to_string(), x)));
                        }
                        Val::Ref(Value::String(s)) => {
                            for (i, c) in s.chars().enumerate() {
                                m.insert(i.to_string(), Value::String(c.to_string()));
                            }
                        }
                        Val::Own(Value::String(s)) => {
                            for (i, c) in s.chars().enumerate() {
                                m.insert(i.to_string(), Value::String(c.to_string()));
                            }
                        }
                        // Spreading null, undefined or a primitive adds nothing, as in JS.
                        _ => {}
                    }
                }
            }
            if m.len() > MAX_ARRAY_LEN {
                return Err(self.err(
                    self.offset,
                    format!("the object would have more than {MAX_ARRAY_LEN} properties"),
                ));
            }
        }
        Ok(Val::Own(Value::Object(m)))
    }

    /// Evaluates a member access, index or call. `None` when an optional link (`?.`) met
    /// null or undefined: the rest of the chain is skipped, as in JavaScript.
    fn chain(&mut self, e: &'a Expr) -> Result<Option<Val<'a>>, ExprError> {
        match e {
            Expr::Member(obj, name, at) => {
                let Some(o) = self.link(obj)? else {
                    return Ok(None);
                };
                if at.optional && o.is_nullish() {
                    return Ok(None);
                }
                self.get(o, Cow::Borrowed(name), at).map(Some)
            }
            Expr::Index(obj, idx, at) => {
                let Some(o) = self.link(obj)? else {
                    return Ok(None);
                };
                if at.optional && o.is_nullish() {
                    return Ok(None);
                }
                let key = self.eval(idx)?;
                self.get_index(o, key, at).map(Some)
            }
            Expr::Call(callee, args, at) => self.call(callee, args, at),
            other => self.eval(other).map(Some),
        }
    }

    fn link(&mut self, e: &'a Expr) -> Result<Option<Val<'a>>, ExprError> {
        match e {
            Expr::Member(..) | Expr::Index(..) | Expr::Call(..) => {
                self.tick()?;
                self.chain(e)
            }
            other => self.eval(other).map(Some),
        }
    }

    fn get_index(&mut self, o: Val<'a>, key: Val<'a>, at: &At) -> R<'a> {
        if let Some(n) = key.as_f64()
            && n >= 0.0
            && n.fract() == 0.0
            && n < 4_294_967_295.0
        {
            let i = n as usize;
            match &o {
                Val::Ref(Value::Array(a)) => return Ok(a.get(i).map_or(Val::Undef, Val::Ref)),
                Val::Items(items) => return Ok(items.get(i).map_or(Val::Undef, Val::Item)),
                _ => {}
            }
        }
        let name = match key {
            Val::Ref(Value::String(s)) => Cow::Borrowed(s.as_str()),
            other => Cow::Owned(other.to_str().into_owned()),
        };
        self.get(o, name, at)
    }

    /// Reads property `name` of `o`.
    pub(crate) fn get(&mut self, o: Val<'a>, name: Cow<'a, str>, at: &At) -> R<'a> {
        Ok(match o {
            Val::Undef | Val::Ref(Value::Null) | Val::Own(Value::Null) => {
                let what = if matches!(o, Val::Undef) {
                    "undefined"
                } else {
                    "null"
                };
                return Err(self.err(
                    at.pos,
                    format!(
                        "cannot read property `{name}` of {what} ({} is {what})",
                        self.quote(at.start, at.pos)
                    ),
                ));
            }
            Val::Ref(v) => match v {
                Value::Object(m) => m.get(name.as_ref()).map_or(Val::Undef, Val::Ref),
                Value::Array(a) if name == "length" => Val::Num(a.len() as f64),
                Value::Array(a) => array_index(&name)
                    .and_then(|i| a.get(i))
                    .map_or(Val::Undef, Val::Ref),
                Value::String(s) => string_prop(s, &name),
                _ => Val::Undef,
            },
            Val::Own(v) => match v {
                Value::Object(mut m) => m.remove(name.as_ref()).map_or(Val::Undef, Val::Own),
                Value::Array(a) if name == "length" => Val::Num(a.len() as f64),
                Value::Array(mut a) => match array_index(&name) {
                    Some(i) if i < a.len() => Val::Own(a.swap_remove(i)),
                    _ => Val::Undef,
                },
                Value::String(s) => string_prop(&s, &name),
                _ => Val::Undef,
            },
            Val::Vars(m) => m.get(name.as_ref()).map_or(Val::Undef, Val::Ref),
            Val::Item(v) if name == "json" => Val::Ref(v),
            Val::Items(items) if name == "length" => Val::Num(items.len() as f64),
            Val::Items(items) => array_index(&name)
                .and_then(|i| items.get(i))
                .map_or(Val::Undef, Val::Item),
            Val::Host(h) => self.host_get(h, name, at)?,
            Val::Item(_) | Val::Bool(_) | Val::Num(_) | Val::Arrow(..) => Val::Undef,
        })
    }

    fn host_get(&mut self, h: Host<'a>, name: Cow<'a, str>, at: &At) -> R<'a> {
        Ok(match h {
            Host::Input => match name.as_ref() {
                "item" => Val::Item(self.scope.json),
                _ => Val::Undef,
            },
            Host::NodeMap => Val::Host(Host::Node(name)),
            Host::Node(node) => match name.as_ref() {
                "json" => {
                    let items = self.node_items(&node, at.pos)?;
                    match self.paired(items) {
                        Some(v) => Val::Ref(v),
                        None => Val::Own(Value::Object(Map::new())),
                    }
                }
                "item" => {
                    let items = self.node_items(&node, at.pos)?;
                    match self.paired(items) {
                        Some(v) => Val::Item(v),
                        None => Val::Undef,
                    }
                }
                "items" => Val::Items(self.node_items(&node, at.pos)?),
                "isExecuted" => Val::Bool(self.scope.nodes.items(&node).is_some()),
                _ => Val::Undef,
            },
            Host::Env => (self.scope.env)(&name).map_or(Val::Undef, |v| Val::Own(Value::String(v))),
            Host::Global(g) => crate::globals::constant(g, &name).map_or(Val::Undef, Val::Num),
            Host::Dollar => Val::Undef,
        })
    }

    fn binary(&mut self, op: BinOp, a: &'a Expr, b: &'a Expr, pos: usize) -> R<'a> {
        let l = self.eval(a)?;
        let take_left = match op {
            BinOp::And => !l.truthy(),
            BinOp::Or => l.truthy(),
            BinOp::Nullish => !l.is_nullish(),
            _ => {
                let r = self.eval(b)?;
                return self.operate(op, l, r, pos);
            }
        };
        if take_left { Ok(l) } else { self.eval(b) }
    }

    /// Applies a (non-short-circuit) binary operator.
    fn operate(&mut self, op: BinOp, l: Val<'a>, r: Val<'a>, pos: usize) -> R<'a> {
        let arith = |f: fn(f64, f64) -> f64| Ok(Val::Num(f(l.to_number(), r.to_number())));
        match op {
            BinOp::Add => self.add(l, r, pos),
            BinOp::Sub => arith(|x, y| x - y),
            BinOp::Mul => arith(|x, y| x * y),
            BinOp::Div => arith(|x, y| x / y),
            BinOp::Rem => arith(|x, y| x % y),
            BinOp::Pow => arith(js_pow),
            BinOp::LooseEq | BinOp::LooseNe | BinOp::StrictEq | BinOp::StrictNe => {
                let (l, r) = (self.plain(l, pos)?, self.plain(r, pos)?);
                let eq = match op {
                    BinOp::LooseEq | BinOp::LooseNe => l.loose_eq(&r),
                    _ => l.strict_eq(&r),
                };
                Ok(Val::Bool(
                    eq == matches!(op, BinOp::LooseEq | BinOp::StrictEq),
                ))
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let ord = l.compare(&r);
                Ok(Val::Bool(ord.is_some_and(|o| match op {
                    BinOp::Lt => o.is_lt(),
                    BinOp::Le => o.is_le(),
                    BinOp::Gt => o.is_gt(),
                    _ => o.is_ge(),
                })))
            }
            BinOp::In => self.has(l, r, pos),
            BinOp::And | BinOp::Or | BinOp::Nullish => Ok(Val::Undef),
        }
    }

    /// `+`: numbers add, anything with a string concatenates.
    fn add(&mut self, l: Val<'a>, r: Val<'a>, pos: usize) -> R<'a> {
        if let (Some(x), Some(y)) = (l.as_f64(), r.as_f64()) {
            return Ok(Val::Num(x + y));
        }
        let (pa, pb) = (l.to_prim(), r.to_prim());
        if !matches!(pa, Prim::Str(_)) && !matches!(pb, Prim::Str(_)) {
            return Ok(Val::Num(pa.to_number() + pb.to_number()));
        }
        let (x, y) = (pa.into_str(), pb.into_str());
        self.check_string(x.len() + y.len(), pos)?;
        let mut s = String::with_capacity(x.len() + y.len());
        s.push_str(&x);
        s.push_str(&y);
        Ok(Val::Own(Value::String(s)))
    }

    /// `key in object`.
    fn has(&mut self, l: Val<'a>, r: Val<'a>, pos: usize) -> R<'a> {
        let key = l.to_str();
        let index_in = |len: usize| key == "length" || array_index(&key).is_some_and(|i| i < len);
        let found = match &r {
            Val::Ref(Value::Object(m)) => m.contains_key(key.as_ref()),
            Val::Own(Value::Object(m)) => m.contains_key(key.as_ref()),
            Val::Vars(m) => m.contains_key(key.as_ref()),
            Val::Ref(Value::Array(a)) => index_in(a.len()),
            Val::Own(Value::Array(a)) => index_in(a.len()),
            Val::Items(items) => index_in(items.len()),
            Val::Item(_) => key == "json",
            Val::Host(Host::Env) => (self.scope.env)(&key).is_some(),
            other => {
                return Err(self.err(
                    pos,
                    format!(
                        "the right side of `in` must be an object, not {}",
                        describe_type(other)
                    ),
                ));
            }
        };
        Ok(Val::Bool(found))
    }

    fn call(
        &mut self,
        callee: &'a Expr,
        args: &'a [Item],
        at: &'a At,
    ) -> Result<Option<Val<'a>>, ExprError> {
        let (obj, name, mat) = match callee {
            Expr::Member(obj, name, mat) => (obj, Cow::Borrowed(name.as_str()), mat),
            Expr::Index(obj, idx, mat) => {
                let Some(target) = self.link(obj)? else {
                    return Ok(None);
                };
                if mat.optional && target.is_nullish() {
                    return Ok(None);
                }
                let name = self.eval(idx)?.to_str().into_owned();
                let args = self.items(args)?;
                return crate::methods::call(self, target, &name, args, mat).map(Some);
            }
            _ => {
                let Some(f) = self.link(callee)? else {
                    return Ok(None);
                };
                if at.optional && f.is_nullish() {
                    return Ok(None);
                }
                let args = self.items(args)?;
                return self.call_value(f, args, at).map(Some);
            }
        };
        let Some(target) = self.link(obj)? else {
            return Ok(None);
        };
        if mat.optional && target.is_nullish() {
            return Ok(None);
        }
        let args = self.items(args)?;
        crate::methods::call(self, target, &name, args, mat).map(Some)
    }

    fn call_value(&mut self, f: Val<'a>, args: Vec<Val<'a>>, at: &At) -> R<'a> {
        match f {
            Val::Arrow(..) => self.call_fn(&f, args, at.pos),
            Val::Host(Host::Dollar) => match args.into_iter().next() {
                Some(Val::Ref(Value::String(s))) => Ok(Val::Host(Host::Node(Cow::Borrowed(s)))),
                Some(Val::Own(Value::String(s))) => Ok(Val::Host(Host::Node(Cow::Owned(s)))),
                _ => Err(self.err(
                    at.pos,
                    "$() takes the name of a node, e.g. $(\"HTTP Request\")",
                )),
            },
            Val::Host(Host::Global(g)) if g.is_function() => {
                crate::globals::call(self, g, args, at.pos)
            }
            Val::Host(Host::Global(g)) => Err(self.err(
                at.pos,
                format!("`{}` is not a function; call one of its methods", g.name()),
            )),
            other => Err(self.err(
                at.pos,
                format!(
                    "{} is not a function (it is {})",
                    self.quote(at.start, at.pos),
                    describe_type(&other)
                ),
            )),
        }
    }

    /// Calls an arrow function.
    pub(crate) fn call_fn(
        &mut self,
        f: &Val<'a>,
        args: impl IntoIterator<Item = Val<'a>>,
        pos: usize,
    ) -> R<'a> {
        let Val::Arrow(def, captured) = f else {
            return Err(self.err(
                pos,
                format!(
                    "expected a function such as `x => x.price`, got {}",
                    describe_type(f)
                ),
            ));
        };
        let def: &'a crate::ast::Arrow = def;
        let base = self.params.len();
        self.params.extend(captured.iter().cloned());
        self.params.resize(base + def.captures, Val::Undef);
        let mut args = args.into_iter();
        for _ in 0..def.params {
            self.params.push(args.next().unwrap_or(Val::Undef));
        }
        let outer = std::mem::replace(&mut self.base, base);
        let r = self.eval(&def.body);
        self.params.truncate(base);
        self.base = outer;
        r
    }

    /// Writes a value into a string template: undefined as nothing, objects and arrays as
    /// JSON, everything else as JavaScript prints it.
    pub(crate) fn write_template(
        &mut self,
        out: &mut String,
        v: Val<'a>,
        pos: usize,
    ) -> Result<(), ExprError> {
        match v {
            Val::Undef | Val::Arrow(..) | Val::Host(Host::Dollar) => {}
            Val::Ref(Value::String(s)) => out.push_str(s),
            Val::Own(Value::String(s)) => out.push_str(&s),
            Val::Ref(v @ (Value::Array(_) | Value::Object(_))) => push_json(out, v),
            Val::Own(ref v @ (Value::Array(_) | Value::Object(_))) => push_json(out, v),
            Val::Vars(_) | Val::Item(_) | Val::Items(_) | Val::Host(_) => {
                let v = self.export(v, pos)?;
                push_json(out, &v);
            }
            other => out.push_str(&other.to_str()),
        }
        Ok(())
    }
}

fn push_json(out: &mut String, v: &Value) {
    out.push_str(&serde_json::to_string(v).unwrap_or_default());
}

/// "a string", "an array", … for messages.
pub(crate) fn describe_type(v: &Val<'_>) -> &'static str {
    match v {
        Val::Undef => "undefined",
        Val::Ref(Value::Null) | Val::Own(Value::Null) => "null",
        Val::Ref(Value::Array(_)) | Val::Own(Value::Array(_)) | Val::Items(_) => "an array",
        _ if v.is_function() => "a function",
        _ => match v.type_of() {
            "boolean" => "a boolean",
            "number" => "a number",
            "string" => "a string",
            _ => "an object",
        },
    }
}

fn string_prop<'a>(s: &str, name: &str) -> Val<'a> {
    if name == "length" {
        return Val::Num(s.chars().count() as f64);
    }
    array_index(name)
        .and_then(|i| s.chars().nth(i))
        .map_or(Val::Undef, |c| Val::Own(Value::String(c.to_string())))
}
