//! JavaScript conversions over JSON values.

use serde_json::{Number, Value};

/// A JSON number from an f64: whole numbers within ±2^53 become integers, NaN and infinities
/// become null (as `JSON.stringify` does).
pub fn number(n: f64) -> Value {
    if n.is_finite() && n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_992.0 {
        if n == 0.0 {
            return Value::from(0);
        }
        return Value::from(n as i64);
    }
    Number::from_f64(n)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// JavaScript's `Number → String`.
pub fn number_to_string(n: f64) -> String {
    if n.is_nan() {
        "NaN".into()
    } else if n.is_infinite() {
        if n > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        }
    } else if n.fract() == 0.0 && n.abs() < 1e21 {
        format!("{}", n as i128)
    } else {
        let s = format!("{n}");
        s
    }
}

/// JavaScript's `ToNumber` (with undefined as `None`).
pub fn to_number(v: Option<&Value>) -> f64 {
    match v {
        None => f64::NAN,
        Some(Value::Null) => 0.0,
        Some(Value::Bool(b)) => f64::from(u8::from(*b)),
        Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
        Some(Value::String(s)) => {
            let t = s.trim();
            if t.is_empty() {
                0.0
            } else if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                u64::from_str_radix(h, 16)
                    .map(|v| v as f64)
                    .unwrap_or(f64::NAN)
            } else if t == "Infinity" || t == "+Infinity" {
                f64::INFINITY
            } else if t == "-Infinity" {
                f64::NEG_INFINITY
            } else if t
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
            {
                t.parse().unwrap_or(f64::NAN)
            } else {
                f64::NAN
            }
        }
        Some(Value::Array(a)) if a.is_empty() => 0.0,
        Some(Value::Array(a)) if a.len() == 1 => {
            to_number(Some(&Value::String(to_js_string(Some(&a[0])))))
        }
        Some(_) => f64::NAN,
    }
}

/// JavaScript's `ToString` (with undefined as `None`).
pub fn to_js_string(v: Option<&Value>) -> String {
    match v {
        None => "undefined".into(),
        Some(Value::Null) => "null".into(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => number_to_string(n.as_f64().unwrap_or(f64::NAN)),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| {
                if x.is_null() {
                    String::new()
                } else {
                    to_js_string(Some(x))
                }
            })
            .collect::<Vec<_>>()
            .join(","),
        Some(Value::Object(_)) => "[object Object]".into(),
    }
}

/// How a value appears inside a string template: like JavaScript, except that objects and
/// arrays are written as JSON (as n8n does) and undefined as nothing.
pub fn to_template_string(v: Option<&Value>) -> String {
    match v {
        None => String::new(),
        Some(v @ (Value::Array(_) | Value::Object(_))) => {
            serde_json::to_string(v).unwrap_or_default()
        }
        other => to_js_string(other),
    }
}

/// JavaScript truthiness.
pub fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

/// `typeof`.
pub fn type_of(v: Option<&Value>) -> &'static str {
    match v {
        None => "undefined",
        Some(Value::Bool(_)) => "boolean",
        Some(Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(_) => "object",
    }
}

/// `===`: same type and value; objects and arrays compare by structure (there is no identity
/// between JSON values).
pub fn strict_eq(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(Value::Number(x)), Some(Value::Number(y))) => x.as_f64() == y.as_f64(),
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// `==`: JavaScript's loose equality for JSON values.
pub fn loose_eq(a: Option<&Value>, b: Option<&Value>) -> bool {
    let nullish = |v: Option<&Value>| matches!(v, None | Some(Value::Null));
    if nullish(a) || nullish(b) {
        return nullish(a) && nullish(b);
    }
    match (a, b) {
        (Some(Value::String(_)), Some(Value::String(_))) => strict_eq(a, b),
        (
            Some(Value::Number(_) | Value::Bool(_) | Value::String(_)),
            Some(Value::Number(_) | Value::Bool(_) | Value::String(_)),
        ) => to_number(a) == to_number(b),
        (Some(Value::Array(_) | Value::Object(_)), Some(Value::Array(_) | Value::Object(_))) => {
            strict_eq(a, b)
        }
        (Some(x @ (Value::Array(_) | Value::Object(_))), y)
        | (y, Some(x @ (Value::Array(_) | Value::Object(_)))) => {
            let s = Value::String(to_js_string(Some(x)));
            loose_eq(Some(&s), y)
        }
        _ => false,
    }
}
