//! Built-in functions and methods: Math, JSON, conversions, string, array and number methods,
//! and the n8n accessors (`$input.all()`, `$("Name").first()` …).

use crate::ExprError;
use crate::eval::{
    Ctx, MAX_RESULT_BYTES, Special, Val, num, num_val, to_js_string_val, truthy_val, wrap_json,
};
use crate::parser::Expr;
use crate::value::{number, number_to_string, strict_eq, to_js_string, to_number};
use serde_json::Value;

type R<'a> = Result<Val<'a>, ExprError>;

fn own<'a>(v: Value) -> R<'a> {
    Ok(Val::Own(v))
}

fn arg<'b>(args: &'b [Val<'_>], i: usize) -> Option<&'b Value> {
    args.get(i).and_then(|v| v.json())
}

fn num_arg(args: &[Val<'_>], i: usize) -> f64 {
    args.get(i).map(num_val).unwrap_or(f64::NAN)
}

fn int_arg(args: &[Val<'_>], i: usize, default: i64) -> i64 {
    match args.get(i) {
        None | Some(Val::Undef) => default,
        Some(v) => {
            let n = num_val(v);
            if n.is_nan() {
                0
            } else {
                n.trunc().clamp(i64::MIN as f64, i64::MAX as f64) as i64
            }
        }
    }
}

fn str_arg(args: &[Val<'_>], i: usize) -> String {
    args.get(i)
        .map(to_js_string_val)
        .unwrap_or_else(|| "undefined".into())
}

/// Resolves a relative index as `slice` does.
fn rel(i: i64, len: usize) -> usize {
    let len = len as i64;
    (if i < 0 { (len + i).max(0) } else { i.min(len) }) as usize
}

fn limit<'a, 's>(cx: &Ctx<'a, 's>, bytes: usize, pos: usize) -> Result<(), ExprError>
where
    's: 'a,
{
    if bytes > MAX_RESULT_BYTES {
        return Err(ExprError {
            message: format!(
                "the result would exceed {} MB",
                MAX_RESULT_BYTES / 1024 / 1024
            ),
            expression: cx.source.to_string(),
            position: pos,
        });
    }
    Ok(())
}

fn err<'a, 's>(cx: &Ctx<'a, 's>, pos: usize, msg: impl Into<String>) -> ExprError
where
    's: 'a,
{
    ExprError {
        message: msg.into(),
        expression: cx.source.to_string(),
        position: pos,
    }
}

/// Calls a function value: a global function or `$("Name")`.
pub fn function<'a, 's>(cx: &Ctx<'a, 's>, f: Val<'a>, args: Vec<Val<'a>>, pos: usize) -> R<'a>
where
    's: 'a,
{
    let Val::Special(sp) = f else {
        return Err(err(cx, pos, "this value is not a function"));
    };
    match sp {
        Special::Dollar => match arg(&args, 0) {
            Some(Value::String(name)) => Ok(Val::Special(Special::NodeRef(name.clone()))),
            _ => Err(err(
                cx,
                pos,
                "$() takes a node name, e.g. $(\"HTTP Request\")",
            )),
        },
        Special::Global("Number") => own(number(
            args.first().map(|v| to_number(v.json())).unwrap_or(0.0),
        )),
        Special::Global("String") => own(Value::String(
            args.first().map(to_js_string_val).unwrap_or_default(),
        )),
        Special::Global("Boolean") => own(Value::Bool(args.first().is_some_and(truthy_val))),
        Special::Global("parseFloat") => {
            let s = str_arg(&args, 0);
            let t = s.trim_start();
            let end = t
                .char_indices()
                .take_while(|(i, c)| {
                    c.is_ascii_digit()
                        || *c == '.'
                        || ((*c == '-' || *c == '+') && *i == 0)
                        || *c == 'e'
                        || *c == 'E'
                })
                .map(|(i, c)| i + c.len_utf8())
                .last()
                .unwrap_or(0);
            let mut n = f64::NAN;
            for e in (1..=end).rev() {
                if let Ok(v) = t[..e].parse::<f64>() {
                    n = v;
                    break;
                }
            }
            own(number(n))
        }
        Special::Global("parseInt") => {
            let s = str_arg(&args, 0);
            let radix = int_arg(&args, 1, 10);
            let t = s.trim();
            let (neg, t) = match t.strip_prefix('-') {
                Some(r) => (true, r),
                None => (false, t.strip_prefix('+').unwrap_or(t)),
            };
            let (radix, t) = if (radix == 16 || radix == 10 && args.len() < 2)
                && (t.starts_with("0x") || t.starts_with("0X"))
            {
                (16, &t[2..])
            } else {
                (radix, t)
            };
            if !(2..=36).contains(&radix) {
                return own(Value::Null);
            }
            let digits: String = t.chars().take_while(|c| c.is_digit(radix as u32)).collect();
            match i64::from_str_radix(&digits, radix as u32) {
                Ok(v) => own(number(if neg { -(v as f64) } else { v as f64 })),
                Err(_) => own(Value::Null),
            }
        }
        Special::Global("isNaN") => own(Value::Bool(num_arg(&args, 0).is_nan())),
        Special::Global("isFinite") => own(Value::Bool(num_arg(&args, 0).is_finite())),
        Special::Global(g) => Err(err(
            cx,
            pos,
            format!("`{g}` is not a function; call one of its methods, e.g. {g}.…()"),
        )),
        _ => Err(err(cx, pos, "this value is not a function")),
    }
}

/// Calls a method on a value.
pub fn method<'a, 's>(
    cx: &Ctx<'a, 's>,
    target: Val<'a>,
    name: &str,
    args: Vec<Val<'a>>,
    pos: usize,
    obj: &Expr,
) -> R<'a>
where
    's: 'a,
{
    match &target {
        Val::Special(sp) => return special_method(cx, sp.clone(), name, args, pos),
        Val::Undef | Val::Ref(Value::Null) | Val::Own(Value::Null) => {
            let what = if matches!(target, Val::Undef) {
                "undefined"
            } else {
                "null"
            };
            let _ = obj;
            return Err(err(cx, pos, format!("cannot call `{name}()` on {what}")));
        }
        Val::Arrow(_) => return Err(err(cx, pos, format!("functions have no method `{name}`"))),
        Val::NonFinite(n) if name == "toString" || name == "toFixed" => {
            return own(Value::String(number_to_string(*n)));
        }
        _ => {}
    }
    let value = target.into_value();
    match value {
        Value::String(s) => string_method(cx, &s, name, &args, pos),
        Value::Array(a) => array_method(cx, a, name, args, pos),
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            match name {
                "toFixed" => {
                    let digits = int_arg(&args, 0, 0).clamp(0, 100) as usize;
                    own(Value::String(format!("{f:.digits$}")))
                }
                "toString" => own(Value::String(number_to_string(f))),
                _ => Err(err(cx, pos, format!("numbers have no method `{name}`"))),
            }
        }
        Value::Bool(b) if name == "toString" => own(Value::String(b.to_string())),
        Value::Object(m) => match name {
            "hasOwnProperty" => own(Value::Bool(m.contains_key(&str_arg(&args, 0)))),
            _ => Err(err(cx, pos, format!("objects have no method `{name}`"))),
        },
        _ => Err(err(cx, pos, format!("this value has no method `{name}`"))),
    }
}

fn special_method<'a, 's>(
    cx: &Ctx<'a, 's>,
    sp: Special,
    name: &str,
    args: Vec<Val<'a>>,
    pos: usize,
) -> R<'a>
where
    's: 'a,
{
    let items_of = |items: &[Value]| Value::Array(items.iter().cloned().map(wrap_json).collect());
    match sp {
        Special::Input => match name {
            "all" => own(items_of(cx.scope.input)),
            "first" => own(cx
                .scope
                .input
                .first()
                .cloned()
                .map(wrap_json)
                .unwrap_or(Value::Null)),
            "last" => own(cx
                .scope
                .input
                .last()
                .cloned()
                .map(wrap_json)
                .unwrap_or(Value::Null)),
            _ => Err(err(
                cx,
                pos,
                format!("$input has no method `{name}`; use all(), first(), last() or .item"),
            )),
        },
        Special::NodeRef(node) => {
            let items = cx
                .scope
                .nodes
                .items(&node)
                .ok_or_else(|| err(cx, pos, format!("no node named `{node}` has run")))?;
            match name {
                "all" => own(items_of(items)),
                "first" => own(items.first().cloned().map(wrap_json).unwrap_or(Value::Null)),
                "last" => own(items.last().cloned().map(wrap_json).unwrap_or(Value::Null)),
                _ => Err(err(
                    cx,
                    pos,
                    format!(
                        "$(\"{node}\") has no method `{name}`; use all(), first(), last() or .item"
                    ),
                )),
            }
        }
        Special::Global("Math") => {
            let x = num_arg(&args, 0);
            let r = match name {
                "abs" => x.abs(),
                "ceil" => x.ceil(),
                "floor" => x.floor(),
                "round" => (x + 0.5).floor(),
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
                "pow" => x.powf(num_arg(&args, 1)),
                "min" | "max" => {
                    let mut acc = if name == "min" {
                        f64::INFINITY
                    } else {
                        f64::NEG_INFINITY
                    };
                    for i in 0..args.len() {
                        let v = num_arg(&args, i);
                        if v.is_nan() {
                            acc = f64::NAN;
                            break;
                        }
                        acc = if name == "min" {
                            acc.min(v)
                        } else {
                            acc.max(v)
                        };
                    }
                    acc
                }
                _ => return Err(err(cx, pos, format!("Math has no function `{name}`"))),
            };
            Ok(num(r))
        }
        Special::Global("JSON") => match name {
            "stringify" => {
                let v = args
                    .into_iter()
                    .next()
                    .map(Val::into_value)
                    .unwrap_or(Value::Null);
                let s = serde_json::to_string(&v).unwrap_or_default();
                own(Value::String(s))
            }
            "parse" => {
                let s = str_arg(&args, 0);
                serde_json::from_str::<Value>(&s)
                    .map(Val::Own)
                    .map_err(|e| err(cx, pos, format!("JSON.parse: {e}")))
            }
            _ => Err(err(cx, pos, format!("JSON has no function `{name}`"))),
        },
        Special::Global("Object") => {
            let Some(Value::Object(m)) = arg(&args, 0) else {
                return Err(err(cx, pos, format!("Object.{name}() needs an object")));
            };
            match name {
                "keys" => own(Value::Array(m.keys().cloned().map(Value::String).collect())),
                "values" => own(Value::Array(m.values().cloned().collect())),
                "entries" => own(Value::Array(
                    m.iter()
                        .map(|(k, v)| Value::Array(vec![Value::String(k.clone()), v.clone()]))
                        .collect(),
                )),
                _ => Err(err(cx, pos, format!("Object has no function `{name}`"))),
            }
        }
        Special::Global("Array") => match name {
            "isArray" => own(Value::Bool(matches!(arg(&args, 0), Some(Value::Array(_))))),
            _ => Err(err(cx, pos, format!("Array has no function `{name}`"))),
        },
        Special::Global("Number") => match name {
            "isInteger" => own(Value::Bool(
                matches!(arg(&args, 0), Some(Value::Number(n)) if n.as_f64().is_some_and(|f| f.fract() == 0.0)),
            )),
            "isFinite" => own(Value::Bool(matches!(arg(&args, 0), Some(Value::Number(_))))),
            "parseFloat" | "parseInt" => function(
                cx,
                Val::Special(Special::Global(if name == "parseInt" {
                    "parseInt"
                } else {
                    "parseFloat"
                })),
                args,
                pos,
            ),
            _ => Err(err(cx, pos, format!("Number has no function `{name}`"))),
        },
        Special::Global("Date") => match name {
            "now" => own(Value::from(cx.scope.now_ms)),
            _ => Err(err(
                cx,
                pos,
                format!("Date has no function `{name}` here; use $now"),
            )),
        },
        other => Err(err(cx, pos, format!("{other:?} has no method `{name}`"))),
    }
}

fn string_method<'a, 's>(
    cx: &Ctx<'a, 's>,
    s: &str,
    name: &str,
    args: &[Val<'a>],
    pos: usize,
) -> R<'a>
where
    's: 'a,
{
    let chars = || s.chars().collect::<Vec<char>>();
    let text = |v: String| own(Value::String(v));
    match name {
        "toUpperCase" => text(s.to_uppercase()),
        "toLowerCase" => text(s.to_lowercase()),
        "trim" => text(s.trim().to_string()),
        "trimStart" => text(s.trim_start().to_string()),
        "trimEnd" => text(s.trim_end().to_string()),
        "includes" => own(Value::Bool(s.contains(&str_arg(args, 0)))),
        "startsWith" => own(Value::Bool(s.starts_with(&str_arg(args, 0)))),
        "endsWith" => own(Value::Bool(s.ends_with(&str_arg(args, 0)))),
        "indexOf" => {
            let needle = str_arg(args, 0);
            own(number(
                s.find(&needle)
                    .map(|b| s[..b].chars().count() as f64)
                    .unwrap_or(-1.0),
            ))
        }
        "slice" | "substring" => {
            let c = chars();
            let (mut a, mut b) = (int_arg(args, 0, 0), int_arg(args, 1, c.len() as i64));
            if name == "substring" {
                a = a.max(0);
                b = b.max(0);
                if a > b {
                    std::mem::swap(&mut a, &mut b);
                }
            }
            let (a, b) = (rel(a, c.len()), rel(b, c.len()));
            text(if a < b {
                c[a..b].iter().collect()
            } else {
                String::new()
            })
        }
        "charAt" => {
            let i = int_arg(args, 0, 0);
            text(if i >= 0 {
                s.chars()
                    .nth(i as usize)
                    .map(String::from)
                    .unwrap_or_default()
            } else {
                String::new()
            })
        }
        "split" => {
            let parts: Vec<Value> = match args.first() {
                None | Some(Val::Undef) => vec![Value::String(s.to_string())],
                Some(sep) => {
                    let sep = to_js_string_val(sep);
                    if sep.is_empty() {
                        s.chars().map(|c| Value::String(c.to_string())).collect()
                    } else {
                        s.split(sep.as_str())
                            .map(|p| Value::String(p.to_string()))
                            .collect()
                    }
                }
            };
            own(Value::Array(parts))
        }
        "replace" => text(s.replacen(&str_arg(args, 0), &str_arg(args, 1), 1)),
        "replaceAll" => {
            let out = s.replace(&str_arg(args, 0), &str_arg(args, 1));
            limit(cx, out.len(), pos)?;
            text(out)
        }
        "repeat" => {
            let n = int_arg(args, 0, 0);
            if n < 0 {
                return Err(err(cx, pos, "repeat count must not be negative"));
            }
            limit(cx, s.len().saturating_mul(n as usize), pos)?;
            text(s.repeat(n as usize))
        }
        "padStart" | "padEnd" => {
            let target = int_arg(args, 0, 0).max(0) as usize;
            limit(cx, target, pos)?;
            let fill = match args.get(1) {
                None | Some(Val::Undef) => " ".to_string(),
                Some(v) => to_js_string_val(v),
            };
            let len = s.chars().count();
            if target <= len || fill.is_empty() {
                return text(s.to_string());
            }
            let pad: String = fill.chars().cycle().take(target - len).collect();
            text(if name == "padStart" {
                pad + s
            } else {
                s.to_string() + &pad
            })
        }
        "concat" => {
            let mut out = s.to_string();
            for a in args {
                out.push_str(&to_js_string_val(a));
            }
            limit(cx, out.len(), pos)?;
            text(out)
        }
        "toString" => text(s.to_string()),
        _ => Err(err(cx, pos, format!("strings have no method `{name}`"))),
    }
}

fn array_method<'a, 's>(
    cx: &Ctx<'a, 's>,
    a: Vec<Value>,
    name: &str,
    args: Vec<Val<'a>>,
    pos: usize,
) -> R<'a>
where
    's: 'a,
{
    let f = args.first().cloned().unwrap_or(Val::Undef);
    let call = |item: &Value, i: usize| cx.call_arrow(&f, vec![item.clone(), Value::from(i)], pos);
    match name {
        "includes" => own(Value::Bool(
            a.iter().any(|x| strict_eq(Some(x), arg(&args, 0))),
        )),
        "indexOf" => own(number(
            a.iter()
                .position(|x| strict_eq(Some(x), arg(&args, 0)))
                .map(|i| i as f64)
                .unwrap_or(-1.0),
        )),
        "join" => {
            let sep = match args.first() {
                None | Some(Val::Undef) => ",".to_string(),
                Some(v) => to_js_string_val(v),
            };
            let out = a
                .iter()
                .map(|x| {
                    if x.is_null() {
                        String::new()
                    } else {
                        to_js_string(Some(x))
                    }
                })
                .collect::<Vec<_>>()
                .join(&sep);
            limit(cx, out.len(), pos)?;
            own(Value::String(out))
        }
        "slice" => {
            let (s, e) = (
                rel(int_arg(&args, 0, 0), a.len()),
                rel(int_arg(&args, 1, a.len() as i64), a.len()),
            );
            own(Value::Array(if s < e {
                a[s..e].to_vec()
            } else {
                Vec::new()
            }))
        }
        "concat" => {
            let mut out = a;
            for v in args {
                match v.into_value() {
                    Value::Array(more) => out.extend(more),
                    other => out.push(other),
                }
            }
            own(Value::Array(out))
        }
        "reverse" => own(Value::Array(a.into_iter().rev().collect())),
        "flat" => own(Value::Array(
            a.into_iter()
                .flat_map(|x| match x {
                    Value::Array(inner) => inner,
                    other => vec![other],
                })
                .collect(),
        )),
        "first" => own(a.into_iter().next().unwrap_or(Value::Null)),
        "last" => own(a.into_iter().last().unwrap_or(Value::Null)),
        "map" => {
            let mut out = Vec::with_capacity(a.len());
            for (i, x) in a.iter().enumerate() {
                out.push(call(x, i)?);
            }
            own(Value::Array(out))
        }
        "filter" => {
            let mut out = Vec::new();
            for (i, x) in a.iter().enumerate() {
                if crate::value::truthy(Some(&call(x, i)?)) {
                    out.push(x.clone());
                }
            }
            own(Value::Array(out))
        }
        "find" | "findIndex" | "some" | "every" => {
            for (i, x) in a.iter().enumerate() {
                let hit = crate::value::truthy(Some(&call(x, i)?));
                match (name, hit) {
                    ("find", true) => return own(x.clone()),
                    ("findIndex", true) => return own(Value::from(i)),
                    ("some", true) => return own(Value::Bool(true)),
                    ("every", false) => return own(Value::Bool(false)),
                    _ => {}
                }
            }
            match name {
                "find" => Ok(Val::Undef),
                "findIndex" => own(number(-1.0)),
                "some" => own(Value::Bool(false)),
                _ => own(Value::Bool(true)),
            }
        }
        "reduce" => {
            let mut iter = a.iter().enumerate();
            let mut acc = match args.get(1) {
                Some(v) => v.clone().into_value(),
                None => match iter.next() {
                    Some((_, first)) => first.clone(),
                    None => {
                        return Err(err(
                            cx,
                            pos,
                            "reduce of an empty array with no initial value",
                        ));
                    }
                },
            };
            for (i, x) in iter {
                acc = cx.call_arrow(&f, vec![acc, x.clone(), Value::from(i)], pos)?;
            }
            own(acc)
        }
        "sort" => {
            let mut out = a;
            let mut failure = None;
            if matches!(f, Val::Arrow(_)) {
                out.sort_by(|x, y| {
                    if failure.is_some() {
                        return std::cmp::Ordering::Equal;
                    }
                    match cx.call_arrow(&f, vec![x.clone(), y.clone()], pos) {
                        Ok(v) => to_number(Some(&v))
                            .partial_cmp(&0.0)
                            .unwrap_or(std::cmp::Ordering::Equal),
                        Err(e) => {
                            failure = Some(e);
                            std::cmp::Ordering::Equal
                        }
                    }
                });
            } else {
                out.sort_by_key(|x| to_js_string(Some(x)));
            }
            match failure {
                Some(e) => Err(e),
                None => own(Value::Array(out)),
            }
        }
        "toString" => own(Value::String(to_js_string(Some(&Value::Array(a))))),
        _ => Err(err(cx, pos, format!("arrays have no method `{name}`"))),
    }
}
