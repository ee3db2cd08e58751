//! Values during evaluation and JavaScript's conversions between them.
//!
//! A value borrows from the scope or the expression whenever it can ([`Val::Ref`], [`Val::Item`],
//! [`Val::Items`], [`Val::Vars`]); only computed values are owned.

use crate::ast::{Arrow, Global};
use crate::number::{parse_number, to_js_string};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::cmp::Ordering;

/// A value during evaluation.
#[derive(Debug, Clone)]
pub(crate) enum Val<'a> {
    /// `undefined`.
    Undef,
    /// A computed boolean.
    Bool(bool),
    /// A computed number (maybe NaN or infinite).
    Num(f64),
    /// A JSON value borrowed from the scope or the expression.
    Ref(&'a Value),
    /// A computed JSON value.
    Own(Value),
    /// An object borrowed from the scope (`$vars`).
    Vars(&'a Map<String, Value>),
    /// The n8n item `{json: v}`, not built until needed.
    Item(&'a Value),
    /// An array of n8n items `[{json: v}, …]`, not built until needed.
    Items(&'a [Value]),
    /// An object or function that only exists in expressions.
    Host(Host<'a>),
    /// An arrow function and the parameters of the arrows around it.
    Arrow(&'a Arrow, Vec<Val<'a>>),
}

/// Objects and functions that only exist in expressions.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Host<'a> {
    /// `$input`
    Input,
    /// `$node`
    NodeMap,
    /// `$node["Name"]` or `$("Name")`
    Node(Cow<'a, str>),
    /// `$env`
    Env,
    /// A global object or function.
    Global(Global),
    /// `$` before it is called.
    Dollar,
}

/// A primitive, as JavaScript's `ToPrimitive` leaves it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Prim<'v> {
    /// `undefined`
    Undef,
    /// `null`
    Null,
    /// A boolean.
    Bool(bool),
    /// A number.
    Num(f64),
    /// A string.
    Str(Cow<'v, str>),
}

impl<'v> Prim<'v> {
    /// `ToString`.
    pub(crate) fn into_str(self) -> Cow<'v, str> {
        match self {
            Prim::Undef => Cow::Borrowed("undefined"),
            Prim::Null => Cow::Borrowed("null"),
            Prim::Bool(b) => Cow::Borrowed(if b { "true" } else { "false" }),
            Prim::Num(n) => Cow::Owned(to_js_string(n)),
            Prim::Str(s) => s,
        }
    }

    /// `ToNumber`.
    pub(crate) fn to_number(&self) -> f64 {
        match self {
            Prim::Undef => f64::NAN,
            Prim::Null => 0.0,
            Prim::Bool(b) => f64::from(u8::from(*b)),
            Prim::Num(n) => *n,
            Prim::Str(s) => parse_number(s),
        }
    }
}

/// `Array.prototype.join` of JSON values with `sep`: null becomes empty.
pub(crate) fn join_values(items: &[Value], sep: &str) -> String {
    let mut out = String::new();
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        match x {
            Value::Null => {}
            Value::String(s) => out.push_str(s),
            other => out.push_str(&Val::Ref(other).to_str()),
        }
    }
    out
}

/// Structural equality of JSON values; numbers compare by value (`1` equals `1.0`).
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    fn go(a: &Value, b: &Value, depth: usize) -> bool {
        if depth > 256 {
            return false;
        }
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
            (Value::Array(x), Value::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| go(p, q, depth + 1))
            }
            (Value::Object(x), Value::Object(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .all(|(k, p)| y.get(k).is_some_and(|q| go(p, q, depth + 1)))
            }
            _ => a == b,
        }
    }
    go(a, b, 0)
}

/// What equality looks at.
enum Class<'v> {
    Undef,
    Null,
    Bool(bool),
    Num(f64),
    Str(&'v str),
    Json(&'v Value),
    Other,
}

impl<'a> Val<'a> {
    /// The number, when it is one.
    pub(crate) fn as_f64(&self) -> Option<f64> {
        match self {
            Val::Num(n) => Some(*n),
            Val::Ref(Value::Number(n)) | Val::Own(Value::Number(n)) => n.as_f64(),
            _ => None,
        }
    }

    /// The string, when it is one.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Val::Ref(Value::String(s)) | Val::Own(Value::String(s)) => Some(s),
            _ => None,
        }
    }

    /// `undefined` or `null`.
    pub(crate) fn is_nullish(&self) -> bool {
        matches!(
            self,
            Val::Undef | Val::Ref(Value::Null) | Val::Own(Value::Null)
        )
    }

    /// True for arrow functions and callable globals.
    pub(crate) fn is_function(&self) -> bool {
        match self {
            Val::Arrow(..) | Val::Host(Host::Dollar) => true,
            Val::Host(Host::Global(g)) => g.is_function(),
            _ => false,
        }
    }

    /// JavaScript truthiness.
    pub(crate) fn truthy(&self) -> bool {
        match self {
            Val::Undef => false,
            Val::Bool(b) => *b,
            Val::Num(n) => *n != 0.0 && !n.is_nan(),
            Val::Ref(v) => json_truthy(v),
            Val::Own(v) => json_truthy(v),
            _ => true,
        }
    }

    /// `typeof`.
    pub(crate) fn type_of(&self) -> &'static str {
        if self.is_function() {
            return "function";
        }
        match self {
            Val::Undef => "undefined",
            Val::Bool(_) | Val::Ref(Value::Bool(_)) | Val::Own(Value::Bool(_)) => "boolean",
            Val::Num(_) | Val::Ref(Value::Number(_)) | Val::Own(Value::Number(_)) => "number",
            Val::Ref(Value::String(_)) | Val::Own(Value::String(_)) => "string",
            _ => "object",
        }
    }

    /// `ToPrimitive`: arrays become their joined elements, objects `[object Object]`.
    pub(crate) fn to_prim(&self) -> Prim<'_> {
        match self {
            Val::Undef => Prim::Undef,
            Val::Bool(b) => Prim::Bool(*b),
            Val::Num(n) => Prim::Num(*n),
            Val::Ref(v) => json_prim(v),
            Val::Own(v) => json_prim(v),
            Val::Items(items) => {
                Prim::Str(Cow::Owned(vec!["[object Object]"; items.len()].join(",")))
            }
            Val::Vars(_) | Val::Item(_) => Prim::Str(Cow::Borrowed("[object Object]")),
            Val::Host(Host::Global(Global::Math)) => Prim::Str(Cow::Borrowed("[object Math]")),
            Val::Host(Host::Global(Global::Json)) => Prim::Str(Cow::Borrowed("[object JSON]")),
            Val::Host(Host::Global(g)) => Prim::Str(Cow::Owned(format!(
                "function {}() {{ [native code] }}",
                g.name()
            ))),
            Val::Arrow(..) | Val::Host(Host::Dollar) => Prim::Str(Cow::Borrowed("function")),
            Val::Host(_) => Prim::Str(Cow::Borrowed("[object Object]")),
        }
    }

    /// `ToNumber`.
    pub(crate) fn to_number(&self) -> f64 {
        match self {
            Val::Num(n) => *n,
            Val::Ref(Value::Number(n)) | Val::Own(Value::Number(n)) => {
                n.as_f64().unwrap_or(f64::NAN)
            }
            other => other.to_prim().to_number(),
        }
    }

    /// `ToString`.
    pub(crate) fn to_str(&self) -> Cow<'_, str> {
        self.to_prim().into_str()
    }

    fn class(&self) -> Class<'_> {
        match self {
            Val::Undef => Class::Undef,
            Val::Bool(b) => Class::Bool(*b),
            Val::Num(n) => Class::Num(*n),
            Val::Ref(v) => json_class(v),
            Val::Own(v) => json_class(v),
            _ => Class::Other,
        }
    }

    /// `===`. Objects and arrays compare by structure; host objects by what they are.
    pub(crate) fn strict_eq(&self, other: &Val<'_>) -> bool {
        match (self.class(), other.class()) {
            (Class::Undef, Class::Undef) | (Class::Null, Class::Null) => true,
            (Class::Bool(a), Class::Bool(b)) => a == b,
            (Class::Num(a), Class::Num(b)) => a == b,
            (Class::Str(a), Class::Str(b)) => a == b,
            (Class::Json(a), Class::Json(b)) => json_eq(a, b),
            (Class::Other, Class::Other) => match (self, other) {
                (Val::Host(a), Val::Host(b)) => a == b,
                (Val::Arrow(a, _), Val::Arrow(b, _)) => std::ptr::eq(*a, *b),
                (Val::Item(a), Val::Item(b)) => json_eq(a, b),
                (Val::Vars(a), Val::Vars(b)) => std::ptr::eq(*a, *b),
                (Val::Items(a), Val::Items(b)) => {
                    a.len() == b.len() && a.iter().zip(*b).all(|(x, y)| json_eq(x, y))
                }
                _ => false,
            },
            _ => false,
        }
    }

    /// `==`: `null == undefined`, numbers, strings and booleans coerce to numbers, objects
    /// to primitives.
    pub(crate) fn loose_eq(&self, other: &Val<'_>) -> bool {
        let (a, b) = (self.class(), other.class());
        let nullish = |c: &Class<'_>| matches!(c, Class::Undef | Class::Null);
        if nullish(&a) || nullish(&b) {
            return nullish(&a) && nullish(&b);
        }
        let compound = |c: &Class<'_>| matches!(c, Class::Json(_) | Class::Other);
        match (&a, &b) {
            (Class::Str(_), Class::Str(_))
            | (Class::Num(_), Class::Num(_))
            | (Class::Bool(_), Class::Bool(_)) => self.strict_eq(other),
            _ if compound(&a) && compound(&b) => self.strict_eq(other),
            _ if compound(&a) || compound(&b) => {
                let (pa, pb) = (self.to_prim(), other.to_prim());
                match (&pa, &pb) {
                    (Prim::Str(x), Prim::Str(y)) => x == y,
                    _ => pa.to_number() == pb.to_number(),
                }
            }
            _ => self.to_number() == other.to_number(),
        }
    }

    /// `<` and friends: strings compare by code point, everything else as numbers (NaN is
    /// unordered).
    pub(crate) fn compare(&self, other: &Val<'_>) -> Option<Ordering> {
        match (self.to_prim(), other.to_prim()) {
            (Prim::Str(a), Prim::Str(b)) => Some(a.cmp(&b)),
            (a, b) => a.to_number().partial_cmp(&b.to_number()),
        }
    }
}

fn json_prim(v: &Value) -> Prim<'_> {
    match v {
        Value::Null => Prim::Null,
        Value::Bool(b) => Prim::Bool(*b),
        Value::Number(n) => Prim::Num(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => Prim::Str(Cow::Borrowed(s)),
        Value::Array(a) => Prim::Str(Cow::Owned(join_values(a, ","))),
        Value::Object(_) => Prim::Str(Cow::Borrowed("[object Object]")),
    }
}

fn json_truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

fn json_class(v: &Value) -> Class<'_> {
    match v {
        Value::Null => Class::Null,
        Value::Bool(b) => Class::Bool(*b),
        Value::Number(n) => Class::Num(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => Class::Str(s),
        other => Class::Json(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn own(v: Value) -> Val<'static> {
        Val::Own(v)
    }

    #[test]
    fn truthiness_and_typeof() {
        for (v, t) in [
            (Val::Undef, false),
            (own(json!(null)), false),
            (own(json!(0)), false),
            (Val::Num(f64::NAN), false),
            (own(json!("")), false),
            (own(json!("0")), true),
            (own(json!([])), true),
            (own(json!({})), true),
            (Val::Num(-1.0), true),
        ] {
            assert_eq!(v.truthy(), t, "{v:?}");
        }
        assert_eq!(own(json!(null)).type_of(), "object");
        assert_eq!(Val::Num(1.0).type_of(), "number");
        assert_eq!(Val::Host(Host::Global(Global::Math)).type_of(), "object");
        assert_eq!(
            Val::Host(Host::Global(Global::String)).type_of(),
            "function"
        );
    }

    #[test]
    fn conversions() {
        assert_eq!(own(json!([1, null, [2, 3]])).to_str(), "1,,2,3");
        assert_eq!(own(json!({"a": 1})).to_str(), "[object Object]");
        assert_eq!(own(json!(" 12 ")).to_number(), 12.0);
        assert_eq!(own(json!([5])).to_number(), 5.0);
        assert_eq!(own(json!([])).to_number(), 0.0);
        assert!(own(json!([1, 2])).to_number().is_nan());
        assert_eq!(own(json!(true)).to_number(), 1.0);
        assert_eq!(own(json!(null)).to_number(), 0.0);
        assert!(Val::Undef.to_number().is_nan());
        assert_eq!(Val::Num(1e21).to_str(), "1e+21");
    }

    #[test]
    fn equality() {
        let eq = |a: Val<'_>, b: Val<'_>| (a.loose_eq(&b), a.strict_eq(&b));
        assert_eq!(eq(Val::Num(1.0), own(json!("1"))), (true, false));
        assert_eq!(eq(own(json!(null)), Val::Undef), (true, false));
        assert_eq!(eq(own(json!(0)), own(json!(false))), (true, false));
        assert_eq!(eq(own(json!("")), own(json!(0))), (true, false));
        assert_eq!(eq(own(json!(null)), own(json!(0))), (false, false));
        assert_eq!(eq(Val::Num(f64::NAN), Val::Num(f64::NAN)), (false, false));
        assert_eq!(eq(Val::Num(f64::NAN), Val::Undef), (false, false));
        assert_eq!(
            eq(Val::Num(f64::INFINITY), Val::Num(f64::NEG_INFINITY)),
            (false, false)
        );
        assert_eq!(eq(own(json!([1, 2])), own(json!("1,2"))), (true, false));
        assert_eq!(eq(own(json!([1.0])), own(json!([1]))), (true, true));
        assert_eq!(
            eq(own(json!({"a": [1]})), own(json!({"a": [1]}))),
            (true, true)
        );
        assert_eq!(eq(own(json!("1")), own(json!(true))), (true, false));
        assert_eq!(eq(own(json!("true")), own(json!(true))), (false, false));
    }

    #[test]
    fn ordering() {
        assert_eq!(
            own(json!("b")).compare(&own(json!("a"))),
            Some(Ordering::Greater)
        );
        assert_eq!(
            own(json!("10")).compare(&own(json!("9"))),
            Some(Ordering::Less)
        );
        assert_eq!(
            own(json!("10")).compare(&Val::Num(9.0)),
            Some(Ordering::Greater)
        );
        assert_eq!(
            own(json!(null)).compare(&Val::Num(1.0)),
            Some(Ordering::Less)
        );
        assert_eq!(Val::Undef.compare(&Val::Num(1.0)), None);
        assert_eq!(
            own(json!([2])).compare(&Val::Num(1.0)),
            Some(Ordering::Greater)
        );
    }
}
