//! Global functions and objects: `Math`, `JSON`, `Number`, `String`, `Boolean`, `Object`,
//! `Array`, `parseInt`, `parseFloat`, `isNaN`, `isFinite`, `Date.now()`.

use crate::ast::Global;
use crate::eval::{Ctx, R, describe_type, measure};
use crate::number::{parse_float, parse_int};
use crate::val::{Host, Val};
use crate::{ExprError, MAX_VALUE_DEPTH};
use serde_json::{Map, Value};
use std::borrow::Cow;

static UNDEF: Val<'static> = Val::Undef;

/// Argument `i`, undefined when missing.
pub(crate) fn arg<'v, 'a>(args: &'v [Val<'a>], i: usize) -> &'v Val<'a> {
    args.get(i).unwrap_or(&UNDEF)
}

/// Argument `i` as a number.
pub(crate) fn num_arg(args: &[Val<'_>], i: usize) -> f64 {
    arg(args, i).to_number()
}

/// Argument `i` as an integer (JavaScript's `ToIntegerOrInfinity`, clamped to i64), or
/// `default` when it is missing or undefined.
pub(crate) fn int_arg(args: &[Val<'_>], i: usize, default: i64) -> i64 {
    match arg(args, i) {
        Val::Undef => default,
        v => {
            let n = v.to_number();
            if n.is_nan() {
                0
            } else {
                // `as` saturates at the i64 bounds.
                n.trunc() as i64
            }
        }
    }
}

/// Argument `i` as a string (`"undefined"` when missing).
pub(crate) fn str_arg<'v>(args: &'v [Val<'_>], i: usize) -> Cow<'v, str> {
    arg(args, i).to_str()
}

/// A constant of a global object (`Math.PI`, `Number.MAX_SAFE_INTEGER`).
pub(crate) fn constant(g: Global, name: &str) -> Option<f64> {
    use std::f64::consts;
    Some(match (g, name) {
        (Global::Math, "PI") => consts::PI,
        (Global::Math, "E") => consts::E,
        (Global::Math, "LN2") => consts::LN_2,
        (Global::Math, "LN10") => consts::LN_10,
        (Global::Math, "LOG2E") => consts::LOG2_E,
        (Global::Math, "LOG10E") => consts::LOG10_E,
        (Global::Math, "SQRT2") => consts::SQRT_2,
        (Global::Math, "SQRT1_2") => consts::FRAC_1_SQRT_2,
        (Global::Number, "MAX_SAFE_INTEGER") => 9_007_199_254_740_991.0,
        (Global::Number, "MIN_SAFE_INTEGER") => -9_007_199_254_740_991.0,
        (Global::Number, "EPSILON") => f64::EPSILON,
        (Global::Number, "MAX_VALUE") => f64::MAX,
        (Global::Number, "MIN_VALUE") => 5e-324,
        (Global::Number, "POSITIVE_INFINITY") => f64::INFINITY,
        (Global::Number, "NEGATIVE_INFINITY") => f64::NEG_INFINITY,
        (Global::Number, "NaN") => f64::NAN,
        _ => return None,
    })
}

/// Calls a global function: `Number(v)`, `String(v)`, `parseInt(s)`, …
pub(crate) fn call<'a>(cx: &mut Ctx<'a>, g: Global, args: Vec<Val<'a>>, pos: usize) -> R<'a> {
    Ok(match g {
        Global::Number if args.is_empty() => Val::Num(0.0),
        Global::Number => Val::Num(num_arg(&args, 0)),
        Global::String if args.is_empty() => Val::Own(Value::String(String::new())),
        Global::String => {
            let s = str_arg(&args, 0).into_owned();
            cx.string(s, pos)?
        }
        Global::Boolean => Val::Bool(arg(&args, 0).truthy()),
        Global::ParseInt => {
            let radix = match arg(&args, 1) {
                Val::Undef => 0,
                v => {
                    let n = v.to_number();
                    if n.is_finite() { n.trunc() as i64 } else { 0 }
                }
            };
            Val::Num(parse_int(&str_arg(&args, 0), radix))
        }
        Global::ParseFloat => Val::Num(parse_float(&str_arg(&args, 0))),
        Global::IsNaN => Val::Bool(num_arg(&args, 0).is_nan()),
        Global::IsFinite => Val::Bool(num_arg(&args, 0).is_finite()),
        other => {
            return Err(cx.err(
                pos,
                format!(
                    "`{}` cannot be called here; use its functions, e.g. {}",
                    other.name(),
                    match other {
                        Global::Object => "Object.keys(o)",
                        Global::Array => "Array.isArray(v)",
                        Global::Date => "Date.now()",
                        Global::Math => "Math.round(x)",
                        _ => "JSON.stringify(v)",
                    }
                ),
            ));
        }
    })
}

/// Calls a function of a global object: `Math.max(…)`, `JSON.parse(s)`, `Object.keys(o)`, …
pub(crate) fn method<'a>(
    cx: &mut Ctx<'a>,
    g: Global,
    name: &str,
    args: Vec<Val<'a>>,
    pos: usize,
) -> R<'a> {
    let unknown = |cx: &Ctx<'a>| cx.err(pos, format!("{} has no function `{name}`", g.name()));
    match g {
        Global::Math => math(cx, name, &args, pos),
        Global::Json => match name {
            "stringify" => stringify(cx, args, pos),
            "parse" => {
                let s = str_arg(&args, 0);
                cx.charge(s.len().saturating_mul(2), pos)?;
                let v: Value = serde_json::from_str(&s).map_err(|e| {
                    cx.err(pos, format!("JSON.parse could not read its input: {e}"))
                })?;
                if measure(&v, MAX_VALUE_DEPTH).1 {
                    return Err(cx.err(
                        pos,
                        format!("JSON.parse: the value nests deeper than {MAX_VALUE_DEPTH} levels"),
                    ));
                }
                Ok(Val::Own(v))
            }
            _ => Err(unknown(cx)),
        },
        Global::Object => object(cx, name, args, pos),
        Global::Array => match name {
            "isArray" => Ok(Val::Bool(matches!(
                arg(&args, 0),
                Val::Ref(Value::Array(_)) | Val::Own(Value::Array(_)) | Val::Items(_)
            ))),
            _ => Err(unknown(cx)),
        },
        Global::Number => {
            let n = arg(&args, 0).as_f64();
            Ok(match name {
                "isInteger" => Val::Bool(n.is_some_and(|n| n.is_finite() && n.fract() == 0.0)),
                "isSafeInteger" => Val::Bool(
                    n.is_some_and(|n| n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0),
                ),
                "isFinite" => Val::Bool(n.is_some_and(f64::is_finite)),
                "isNaN" => Val::Bool(n.is_some_and(f64::is_nan)),
                "parseFloat" => return call(cx, Global::ParseFloat, args, pos),
                "parseInt" => return call(cx, Global::ParseInt, args, pos),
                _ => return Err(unknown(cx)),
            })
        }
        Global::Date => match name {
            "now" => Ok(Val::Num(cx.scope.now_ms as f64)),
            _ => Err(cx.err(
                pos,
                format!("Date has no function `{name}` here; use $now for the current time"),
            )),
        },
        _ => Err(unknown(cx)),
    }
}

fn math<'a>(cx: &mut Ctx<'a>, name: &str, args: &[Val<'a>], pos: usize) -> R<'a> {
    let x = num_arg(args, 0);
    let r = match name {
        "abs" => x.abs(),
        "ceil" => x.ceil(),
        "floor" => x.floor(),
        "round" => {
            let f = x.floor();
            if x - f >= 0.5 { f + 1.0 } else { f }
        }
        "trunc" => x.trunc(),
        "sign" => {
            if x == 0.0 || x.is_nan() {
                x
            } else {
                x.signum()
            }
        }
        "sqrt" => x.sqrt(),
        "cbrt" => x.cbrt(),
        "log" => x.ln(),
        "log10" => x.log10(),
        "log2" => x.log2(),
        "exp" => x.exp(),
        "pow" => crate::eval::js_pow(x, num_arg(args, 1)),
        "min" | "max" => {
            let mut acc = if name == "min" {
                f64::INFINITY
            } else {
                f64::NEG_INFINITY
            };
            for v in args {
                let v = v.to_number();
                if v.is_nan() {
                    return Ok(Val::Num(f64::NAN));
                }
                acc = if name == "min" {
                    acc.min(v)
                } else {
                    acc.max(v)
                };
            }
            acc
        }
        "random" => {
            return Err(cx.err(
                pos,
                "Math.random is not available: expressions are deterministic",
            ));
        }
        _ => return Err(cx.err(pos, format!("Math has no function `{name}`"))),
    };
    Ok(Val::Num(r))
}

fn stringify<'a>(cx: &mut Ctx<'a>, args: Vec<Val<'a>>, pos: usize) -> R<'a> {
    let indent: String = match arg(&args, 2) {
        v if v.as_f64().is_some() => " ".repeat(v.to_number().clamp(0.0, 10.0) as usize),
        v => v
            .as_str()
            .map_or(String::new(), |s| s.chars().take(10).collect()),
    };
    let mut args = args.into_iter();
    let Some(v) = args
        .next()
        .map(|v| cx.export_opt(v, pos))
        .transpose()?
        .flatten()
    else {
        return Ok(Val::Undef);
    };
    let text = if indent.is_empty() {
        serde_json::to_string(&v).map_err(|e| cx.err(pos, format!("JSON.stringify failed: {e}")))?
    } else {
        let mut out = String::new();
        pretty(&v, &indent, 0, &mut out);
        out
    };
    cx.string(text, pos)
}

/// `JSON.stringify(v, null, indent)`'s layout.
fn pretty(v: &Value, indent: &str, level: usize, out: &mut String) {
    let newline = |out: &mut String, level: usize| {
        out.push('\n');
        for _ in 0..level {
            out.push_str(indent);
        }
    };
    match v {
        Value::Array(a) if !a.is_empty() => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, level + 1);
                pretty(x, indent, level + 1, out);
            }
            newline(out, level);
            out.push(']');
        }
        Value::Object(m) if !m.is_empty() => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, level + 1);
                out.push_str(&Value::String(k.clone()).to_string());
                out.push_str(": ");
                pretty(x, indent, level + 1, out);
            }
            newline(out, level);
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn object<'a>(cx: &mut Ctx<'a>, name: &str, args: Vec<Val<'a>>, pos: usize) -> R<'a> {
    if name == "fromEntries" {
        return from_entries(cx, args, pos);
    }
    if !matches!(name, "keys" | "values" | "entries") {
        return Err(cx.err(pos, format!("Object has no function `{name}`")));
    }
    let target = args.into_iter().next().unwrap_or(Val::Undef);
    // Pairs of key and value, borrowed where possible.
    let pairs: Vec<(Cow<'a, str>, Val<'a>)> = match target {
        Val::Ref(Value::Object(m)) | Val::Vars(m) => m
            .iter()
            .map(|(k, v)| (Cow::Borrowed(k.as_str()), Val::Ref(v)))
            .collect(),
        Val::Own(Value::Object(m)) => m
            .into_iter()
            .map(|(k, v)| (Cow::Owned(k), Val::Own(v)))
            .collect(),
        Val::Ref(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (Cow::Owned(i.to_string()), Val::Ref(v)))
            .collect(),
        Val::Own(Value::Array(a)) => a
            .into_iter()
            .enumerate()
            .map(|(i, v)| (Cow::Owned(i.to_string()), Val::Own(v)))
            .collect(),
        Val::Items(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (Cow::Owned(i.to_string()), Val::Item(v)))
            .collect(),
        Val::Item(v) => vec![(Cow::Borrowed("json"), Val::Ref(v))],
        Val::Ref(Value::String(s)) => s
            .chars()
            .enumerate()
            .map(|(i, c)| (Cow::Owned(i.to_string()), Val::Own(Value::String(c.into()))))
            .collect(),
        ref v @ (Val::Undef | Val::Ref(Value::Null) | Val::Own(Value::Null)) => {
            return Err(cx.err(
                pos,
                format!("Object.{name}() needs an object, got {}", describe_type(v)),
            ));
        }
        Val::Host(Host::Node(_)) => {
            let v = cx.export(target, pos)?;
            return object(cx, name, vec![Val::Own(v)], pos);
        }
        _ => Vec::new(),
    };
    cx.check_array(pairs.len(), pos)?;
    let mut out = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        let item = match name {
            "keys" => Value::String(k.into_owned()),
            "values" => cx.element(v, pos)?.unwrap_or(Value::Null),
            _ => {
                let v = cx.element(v, pos)?.unwrap_or(Value::Null);
                Value::Array(vec![Value::String(k.into_owned()), v])
            }
        };
        out.push(item);
    }
    Ok(Val::Own(Value::Array(out)))
}

fn from_entries<'a>(cx: &mut Ctx<'a>, args: Vec<Val<'a>>, pos: usize) -> R<'a> {
    let bad = |cx: &Ctx<'a>| {
        cx.err(
            pos,
            "Object.fromEntries() needs an array of [key, value] pairs",
        )
    };
    let entries = match args.into_iter().next() {
        Some(Val::Own(Value::Array(a))) => a,
        Some(Val::Ref(Value::Array(a))) => {
            let mut out = Vec::with_capacity(a.len());
            for v in a {
                out.push(cx.export(Val::Ref(v), pos)?);
            }
            out
        }
        _ => return Err(bad(cx)),
    };
    let mut m = Map::new();
    for entry in entries {
        let Value::Array(pair) = entry else {
            return Err(bad(cx));
        };
        let mut pair = pair.into_iter();
        let key = Val::Own(pair.next().unwrap_or(Value::Null))
            .to_str()
            .into_owned();
        let value = pair.next().unwrap_or(Value::Null);
        if measure(&value, MAX_VALUE_DEPTH - 1).1 {
            return Err(deep(cx, pos));
        }
        m.insert(key, value);
    }
    Ok(Val::Own(Value::Object(m)))
}

fn deep(cx: &Ctx<'_>, pos: usize) -> ExprError {
    cx.err(
        pos,
        format!("the value would nest deeper than {MAX_VALUE_DEPTH} levels"),
    )
}
