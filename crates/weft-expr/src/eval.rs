//! Evaluation. Values borrow from the scope whenever they can, so a plain path such as
//! `$json.a.b` clones only its result.

use crate::parser::{BinOp, Expr, Root, UnOp};
use crate::value::{
    loose_eq, number, number_to_string, strict_eq, to_js_string, to_number, to_template_string,
    truthy, type_of,
};
use crate::{ExprError, Scope};
use serde_json::{Map, Value};
use std::cell::{Cell, RefCell};

/// Largest string or array an expression may build.
pub const MAX_RESULT_BYTES: usize = 10 * 1024 * 1024;
/// Most evaluation steps one render may take.
pub const MAX_STEPS: u64 = 5_000_000;

/// A value during evaluation.
#[derive(Debug, Clone)]
pub enum Val<'a> {
    /// `undefined`.
    Undef,
    /// Borrowed from the scope or the expression.
    Ref(&'a Value),
    /// Computed.
    Own(Value),
    /// An object that only exists in expressions (`$input`, `Math`, `$("Name")` …).
    Special(Special),
    /// An arrow function.
    Arrow(&'a Expr),
    /// NaN or an infinity: numbers that JSON cannot hold (they render as null).
    NonFinite(f64),
}

/// A JavaScript number as an evaluation value.
pub fn num<'a>(n: f64) -> Val<'a> {
    if n.is_finite() {
        Val::Own(number(n))
    } else {
        Val::NonFinite(n)
    }
}

/// `ToNumber` of an evaluation value.
pub fn num_val(v: &Val<'_>) -> f64 {
    match v {
        Val::NonFinite(n) => *n,
        other => to_number(other.json()),
    }
}

/// Objects that only exist inside expressions.
#[derive(Debug, Clone, PartialEq)]
pub enum Special {
    /// `$input`.
    Input,
    /// `$node`.
    NodeMap,
    /// `$node["Name"]` or `$("Name")`.
    NodeRef(String),
    /// `$env`.
    Env,
    /// A global object or function by name.
    Global(&'static str),
    /// `$`, before it is called.
    Dollar,
}

impl<'a> Val<'a> {
    /// The JSON value, if it is one (undefined and functions are not).
    pub fn json(&self) -> Option<&Value> {
        match self {
            Val::Ref(v) => Some(v),
            Val::Own(v) => Some(v),
            _ => None,
        }
    }
    /// Converts into an owned JSON value; undefined and functions become null.
    pub fn into_value(self) -> Value {
        match self {
            Val::Ref(v) => v.clone(),
            Val::Own(v) => v,
            _ => Value::Null,
        }
    }
    fn is_nullish(&self) -> bool {
        matches!(
            self,
            Val::Undef | Val::Ref(Value::Null) | Val::Own(Value::Null)
        )
    }
}

/// Evaluation state of one render.
pub struct Ctx<'a, 's> {
    /// The names in scope.
    pub scope: &'s Scope<'a>,
    /// Arrow-function parameters.
    pub params: RefCell<Vec<Value>>,
    /// Steps left.
    pub steps: Cell<u64>,
    /// The expression source, for errors.
    pub source: &'s str,
}

type R<'a> = Result<Val<'a>, ExprError>;

impl<'a, 's> Ctx<'a, 's>
where
    's: 'a,
{
    fn err(&self, pos: usize, msg: impl Into<String>) -> ExprError {
        ExprError {
            message: msg.into(),
            expression: self.source.to_string(),
            position: pos,
        }
    }

    fn tick(&self, pos: usize) -> Result<(), ExprError> {
        let left = self.steps.get();
        if left == 0 {
            return Err(self.err(pos, format!("expression took more than {MAX_STEPS} steps")));
        }
        self.steps.set(left - 1);
        Ok(())
    }

    /// Evaluates an expression.
    pub fn eval(&self, e: &'a Expr, pos: usize) -> R<'a> {
        self.tick(pos)?;
        Ok(match e {
            Expr::Lit(v) => Val::Ref(v),
            Expr::Undef => Val::Undef,
            Expr::Global("NaN") => Val::NonFinite(f64::NAN),
            Expr::Global("Infinity") => Val::NonFinite(f64::INFINITY),
            Expr::Global(g) => Val::Special(Special::Global(g)),
            Expr::Root(root, p) => self.root(*root, *p)?,
            Expr::Param(slot) => match self.params.borrow().get(*slot) {
                Some(v) => Val::Own(v.clone()),
                None => Val::Undef,
            },
            Expr::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.eval(i, pos)?.into_value());
                }
                Val::Own(Value::Array(out))
            }
            Expr::Object(fields) => {
                let mut out = Map::new();
                for (k, v) in fields {
                    let v = self.eval(v, pos)?;
                    if !matches!(v, Val::Undef) {
                        out.insert(k.clone(), v.into_value());
                    }
                }
                Val::Own(Value::Object(out))
            }
            Expr::Member(obj, name, optional, p) => {
                let o = self.eval(obj, *p)?;
                if *optional && o.is_nullish() {
                    return Ok(Val::Undef);
                }
                self.member(o, name, *p, obj)?
            }
            Expr::Index(obj, idx, optional, p) => {
                let o = self.eval(obj, *p)?;
                if *optional && o.is_nullish() {
                    return Ok(Val::Undef);
                }
                let key = self.eval(idx, *p)?;
                let name = match key.json() {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Number(n)) => number_to_string(n.as_f64().unwrap_or(f64::NAN)),
                    other => to_js_string(other),
                };
                self.member(o, &name, *p, obj)?
            }
            Expr::Call(callee, args, p) => self.call(callee, args, *p)?,
            Expr::Unary(op, x) => {
                let v = self.eval(x, pos)?;
                match op {
                    UnOp::Not => Val::Own(Value::Bool(!truthy_val(&v))),
                    UnOp::Neg => num(-num_val(&v)),
                    UnOp::Plus => num(num_val(&v)),
                    UnOp::TypeOf => Val::Own(Value::String(
                        match v {
                            Val::Special(_) | Val::Arrow(_) => "function",
                            Val::NonFinite(_) => "number",
                            _ => type_of(v.json()),
                        }
                        .into(),
                    )),
                }
            }
            Expr::Binary(op, a, b) => self.binary(*op, a, b, pos)?,
            Expr::Cond(c, a, b) => {
                if truthy_val(&self.eval(c, pos)?) {
                    self.eval(a, pos)?
                } else {
                    self.eval(b, pos)?
                }
            }
            Expr::Arrow(..) => Val::Arrow(e),
            Expr::Template(parts) => {
                let mut s = String::new();
                for (text, expr) in parts {
                    s.push_str(text);
                    if let Some(x) = expr {
                        s.push_str(&to_js_string_val(&self.eval(x, pos)?));
                    }
                    self.check_len(s.len(), pos)?;
                }
                Val::Own(Value::String(s))
            }
        })
    }

    fn check_len(&self, len: usize, pos: usize) -> Result<(), ExprError> {
        if len > MAX_RESULT_BYTES {
            return Err(self.err(
                pos,
                format!(
                    "the result would exceed {} MB",
                    MAX_RESULT_BYTES / 1024 / 1024
                ),
            ));
        }
        Ok(())
    }

    fn root(&self, root: Root, pos: usize) -> R<'a> {
        let s = self.scope;
        Ok(match root {
            Root::Json => Val::Ref(s.json),
            Root::Input => Val::Special(Special::Input),
            Root::Node => Val::Special(Special::NodeMap),
            Root::Vars => Val::Own(Value::Object(s.vars.clone())),
            Root::Run => Val::Ref(s.run),
            Root::ItemIndex => Val::Own(Value::from(s.item_index)),
            Root::Now => Val::Own(Value::String(crate::time::iso(s.now_ms))),
            Root::Today => Val::Own(Value::String(crate::time::iso(
                s.now_ms - s.now_ms.rem_euclid(86_400_000),
            ))),
            Root::Env => Val::Special(Special::Env),
            Root::Dollar => {
                let _ = pos;
                Val::Special(Special::Dollar)
            }
        })
    }

    fn node_items(&self, name: &str, pos: usize) -> Result<&'a [Value], ExprError> {
        self.scope
            .nodes
            .items(name)
            .ok_or_else(|| self.err(pos, format!("no node named `{name}` has run")))
    }

    fn paired(&self, items: &'a [Value]) -> Val<'a> {
        match items.get(self.scope.item_index).or_else(|| items.first()) {
            Some(v) => Val::Ref(v),
            None => Val::Own(Value::Object(Map::new())),
        }
    }

    fn member(&self, o: Val<'a>, name: &str, pos: usize, obj_expr: &Expr) -> R<'a> {
        match o {
            Val::Undef | Val::Ref(Value::Null) | Val::Own(Value::Null) => {
                let what = if matches!(o, Val::Undef) {
                    "undefined"
                } else {
                    "null"
                };
                let path = describe(obj_expr);
                Err(self.err(
                    pos,
                    format!("cannot read property `{name}` of {what} (`{path}` is {what})"),
                ))
            }
            Val::Ref(v) => Ok(match v {
                Value::Object(m) => m.get(name).map(Val::Ref).unwrap_or(Val::Undef),
                Value::Array(a) if name == "length" => Val::Own(Value::from(a.len())),
                Value::Array(a) => name
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| a.get(i))
                    .map(Val::Ref)
                    .unwrap_or(Val::Undef),
                Value::String(s) => string_member(s, name),
                _ => Val::Undef,
            }),
            Val::Own(v) => Ok(match v {
                Value::Object(mut m) => m.remove(name).map(Val::Own).unwrap_or(Val::Undef),
                Value::Array(a) if name == "length" => Val::Own(Value::from(a.len())),
                Value::Array(mut a) => match name.parse::<usize>() {
                    Ok(i) if i < a.len() => Val::Own(a.swap_remove(i)),
                    _ => Val::Undef,
                },
                Value::String(s) => string_member(&s, name),
                _ => Val::Undef,
            }),
            Val::Special(sp) => Ok(match sp {
                Special::Input => match name {
                    "item" => Val::Own(wrap_json(self.scope.json.clone())),
                    _ => Val::Undef,
                },
                Special::NodeMap => Val::Special(Special::NodeRef(name.to_string())),
                Special::NodeRef(node) => match name {
                    "json" => self.paired(self.node_items(&node, pos)?),
                    "item" => Val::Own(wrap_json(
                        self.paired(self.node_items(&node, pos)?).into_value(),
                    )),
                    "isExecuted" => Val::Own(Value::Bool(self.scope.nodes.items(&node).is_some())),
                    _ => Val::Undef,
                },
                Special::Env => (self.scope.env)(name)
                    .map(|v| Val::Own(Value::String(v)))
                    .unwrap_or(Val::Undef),
                Special::Global("Math") => match name {
                    "PI" => Val::Own(number(std::f64::consts::PI)),
                    "E" => Val::Own(number(std::f64::consts::E)),
                    _ => Val::Undef,
                },
                Special::Global("Number") => match name {
                    "MAX_SAFE_INTEGER" => Val::Own(number(9_007_199_254_740_991.0)),
                    "MIN_SAFE_INTEGER" => Val::Own(number(-9_007_199_254_740_991.0)),
                    _ => Val::Undef,
                },
                _ => Val::Undef,
            }),
            Val::Arrow(_) | Val::NonFinite(_) => Ok(Val::Undef),
        }
    }

    fn binary(&self, op: BinOp, a: &'a Expr, b: &'a Expr, pos: usize) -> R<'a> {
        match op {
            BinOp::And => {
                let l = self.eval(a, pos)?;
                return if truthy_val(&l) {
                    self.eval(b, pos)
                } else {
                    Ok(l)
                };
            }
            BinOp::Or => {
                let l = self.eval(a, pos)?;
                return if truthy_val(&l) {
                    Ok(l)
                } else {
                    self.eval(b, pos)
                };
            }
            BinOp::Nullish => {
                let l = self.eval(a, pos)?;
                return if l.is_nullish() {
                    self.eval(b, pos)
                } else {
                    Ok(l)
                };
            }
            _ => {}
        }
        let l = self.eval(a, pos)?;
        let r = self.eval(b, pos)?;
        let (x, y) = (l.json(), r.json());
        let (xn, yn) = (num_val(&l), num_val(&r));
        let arith = |f: fn(f64, f64) -> f64| num(f(xn, yn));
        Ok(match op {
            BinOp::Add => {
                let stringy = |v: Option<&Value>| {
                    matches!(
                        v,
                        Some(Value::String(_) | Value::Array(_) | Value::Object(_))
                    )
                };
                if stringy(x) || stringy(y) {
                    let s = to_js_string_val(&l) + &to_js_string_val(&r);
                    self.check_len(s.len(), pos)?;
                    Val::Own(Value::String(s))
                } else {
                    arith(|a, b| a + b)
                }
            }
            BinOp::Sub => arith(|a, b| a - b),
            BinOp::Mul => arith(|a, b| a * b),
            BinOp::Div => arith(|a, b| a / b),
            BinOp::Rem => arith(|a, b| a % b),
            BinOp::Pow => arith(f64::powf),
            BinOp::LooseEq => Val::Own(Value::Bool(loose_eq(x, y))),
            BinOp::LooseNe => Val::Own(Value::Bool(!loose_eq(x, y))),
            BinOp::StrictEq => Val::Own(Value::Bool(strict_eq(x, y))),
            BinOp::StrictNe => Val::Own(Value::Bool(!strict_eq(x, y))),
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let ord = match (x, y) {
                    (Some(Value::String(p)), Some(Value::String(q))) => Some(p.cmp(q)),
                    _ => xn.partial_cmp(&yn),
                };
                let res = match ord {
                    None => false,
                    Some(o) => match op {
                        BinOp::Lt => o.is_lt(),
                        BinOp::Le => o.is_le(),
                        BinOp::Gt => o.is_gt(),
                        _ => o.is_ge(),
                    },
                };
                Val::Own(Value::Bool(res))
            }
            BinOp::In => {
                let key = to_js_string(x);
                let found = match y {
                    Some(Value::Object(m)) => m.contains_key(&key),
                    Some(Value::Array(a)) => {
                        key.parse::<usize>().is_ok_and(|i| i < a.len()) || key == "length"
                    }
                    _ => return Err(self.err(pos, "the right side of `in` must be an object")),
                };
                Val::Own(Value::Bool(found))
            }
            BinOp::And | BinOp::Or | BinOp::Nullish => Val::Undef,
        })
    }

    /// Calls an arrow function with arguments.
    pub fn call_arrow(
        &self,
        f: &Val<'a>,
        args: Vec<Value>,
        pos: usize,
    ) -> Result<Value, ExprError> {
        let Val::Arrow(Expr::Arrow(n, first, body)) = f else {
            return Err(self.err(pos, "expected a function such as `x => x.price`"));
        };
        let saved = {
            let mut p = self.params.borrow_mut();
            let at = (*first).min(p.len());
            let saved = p.split_off(at);
            p.resize(*first, Value::Null);
            let mut args = args.into_iter();
            for _ in 0..*n {
                p.push(args.next().unwrap_or(Value::Null));
            }
            saved
        };
        let result = self.eval(body, pos).map(Val::into_value);
        let mut p = self.params.borrow_mut();
        p.truncate(*first);
        p.extend(saved);
        result
    }

    fn call(&self, callee: &'a Expr, args: &'a [Expr], pos: usize) -> R<'a> {
        let mut vals = Vec::with_capacity(args.len());
        for a in args {
            vals.push(self.eval(a, pos)?);
        }
        let (obj, name, optional, p) = match callee {
            Expr::Member(obj, name, optional, p) => (obj, name.clone(), *optional, *p),
            Expr::Index(obj, idx, optional, p) => {
                (obj, to_js_string(self.eval(idx, *p)?.json()), *optional, *p)
            }
            _ => {
                let f = self.eval(callee, pos)?;
                return crate::builtins::function(self, f, vals, pos);
            }
        };
        let target = self.eval(obj, p)?;
        if optional && target.is_nullish() {
            return Ok(Val::Undef);
        }
        crate::builtins::method(self, target, &name, vals, p, obj)
    }
}

fn describe(e: &Expr) -> String {
    match e {
        Expr::Root(r, _) => format!("${}", format!("{r:?}").to_lowercase()),
        Expr::Member(o, n, _, _) => format!("{}.{n}", describe(o)),
        Expr::Index(o, i, _, _) => match &**i {
            Expr::Lit(Value::String(s)) => format!("{}[{s:?}]", describe(o)),
            Expr::Lit(v) => format!("{}[{v}]", describe(o)),
            _ => format!("{}[…]", describe(o)),
        },
        Expr::Call(c, _, _) => format!("{}(…)", describe(c)),
        Expr::Param(_) => "the parameter".into(),
        _ => "the value".into(),
    }
}

fn string_member<'a>(s: &str, name: &str) -> Val<'a> {
    if name == "length" {
        return Val::Own(Value::from(s.chars().count()));
    }
    match name.parse::<usize>() {
        Ok(i) => s
            .chars()
            .nth(i)
            .map(|c| Val::Own(Value::String(c.to_string())))
            .unwrap_or(Val::Undef),
        Err(_) => Val::Undef,
    }
}

/// `{ json: v }`, n8n's item shape.
pub fn wrap_json(v: Value) -> Value {
    let mut m = Map::new();
    m.insert("json".into(), v);
    Value::Object(m)
}

/// Truthiness of an evaluation value.
pub fn truthy_val(v: &Val<'_>) -> bool {
    match v {
        Val::NonFinite(n) => !n.is_nan(),
        Val::Special(_) | Val::Arrow(_) => true,
        other => truthy(other.json()),
    }
}

/// JavaScript `ToString` of an evaluation value.
pub fn to_js_string_val(v: &Val<'_>) -> String {
    match v {
        Val::NonFinite(n) => number_to_string(*n),
        Val::Special(_) | Val::Arrow(_) => "[function]".into(),
        other => to_js_string(other.json()),
    }
}

/// How a value is written into a string template.
pub fn to_template_string_val(v: &Val<'_>) -> String {
    match v {
        Val::NonFinite(n) => number_to_string(*n),
        Val::Special(_) | Val::Arrow(_) => "[function]".into(),
        other => to_template_string(other.json()),
    }
}
