//! Methods: of strings, arrays, numbers, booleans and objects, of the global objects, and the
//! n8n accessors `$input.all()`, `$("Name").first()`, ….
//!
//! Strings are indexed by Unicode scalar values. Array methods never mutate: `sort` and
//! `reverse` return copies. Callbacks get `(element, index)`.

use crate::ast::At;
use crate::eval::{Ctx, R, describe_type};
use crate::globals::{arg, int_arg, str_arg};
use crate::number::{to_fixed, to_radix_string};
use crate::val::{Host, Val};
use crate::{ExprError, MAX_STRING_BYTES};
use serde_json::Value;
use std::cmp::Ordering;

/// Calls method `name` on `target`.
pub(crate) fn call<'a>(
    cx: &mut Ctx<'a>,
    target: Val<'a>,
    name: &str,
    args: Vec<Val<'a>>,
    at: &At,
) -> R<'a> {
    let pos = at.pos;
    match target {
        Val::Ref(Value::String(s)) => string(cx, s, name, &args, pos),
        Val::Own(Value::String(s)) => string(cx, &s, name, &args, pos),
        Val::Ref(Value::Array(a)) => array(cx, Seq::Refs(a), name, args, pos),
        Val::Own(Value::Array(a)) => {
            let vals = a.into_iter().map(Val::Own).collect();
            array(cx, Seq::Vals(vals), name, args, pos)
        }
        Val::Items(items) => array(cx, Seq::Items(items), name, args, pos),
        Val::Host(host) => host_method(cx, host, name, args, at),
        other => scalar_method(cx, other, name, &args, at),
    }
}

fn host_method<'a>(
    cx: &mut Ctx<'a>,
    host: Host<'a>,
    name: &str,
    args: Vec<Val<'a>>,
    at: &At,
) -> R<'a> {
    let pos = at.pos;
    match host {
        Host::Global(g) => crate::globals::method(cx, g, name, args, pos),
        Host::Input => {
            let input = cx.scope.input;
            items_method(cx, "$input", input, name, &args, pos)
        }
        Host::Node(node) => {
            let items = cx.node_items(&node, pos)?;
            items_method(cx, &format!("$(\"{node}\")"), items, name, &args, pos)
        }
        _ => Err(cx.err(
            pos,
            format!("{} has no method `{name}`", cx.quote(at.start, at.pos)),
        )),
    }
}

/// Methods of numbers, booleans and objects, and the error for null and undefined.
fn scalar_method<'a>(
    cx: &mut Ctx<'a>,
    target: Val<'a>,
    name: &str,
    args: &[Val<'a>],
    at: &At,
) -> R<'a> {
    let pos = at.pos;
    match target {
        Val::Undef | Val::Ref(Value::Null) | Val::Own(Value::Null) => {
            let what = describe_type(&target);
            Err(cx.err(
                pos,
                format!(
                    "cannot call `{name}()` on {what} ({} is {what})",
                    cx.quote(at.start, at.pos)
                ),
            ))
        }
        Val::Num(n) => number(cx, n, name, args, pos),
        Val::Ref(Value::Number(n)) => number(cx, n.as_f64().unwrap_or(f64::NAN), name, args, pos),
        Val::Own(Value::Number(n)) => number(cx, n.as_f64().unwrap_or(f64::NAN), name, args, pos),
        Val::Bool(b) | Val::Ref(&Value::Bool(b)) | Val::Own(Value::Bool(b)) => match name {
            "toString" => Ok(Val::Own(Value::String(b.to_string()))),
            "valueOf" => Ok(Val::Bool(b)),
            _ => Err(cx.err(pos, format!("booleans have no method `{name}`"))),
        },
        Val::Ref(Value::Object(_)) | Val::Own(Value::Object(_)) | Val::Vars(_) | Val::Item(_) => {
            object(cx, target, name, args, at)
        }
        _ => Err(cx.err(
            pos,
            format!("{} has no method `{name}`", describe_type(&target)),
        )),
    }
}

fn items_method<'a>(
    cx: &mut Ctx<'a>,
    what: &str,
    items: &'a [Value],
    name: &str,
    args: &[Val<'a>],
    pos: usize,
) -> R<'a> {
    Ok(match name {
        "all" => Val::Items(items),
        "first" => items.first().map_or(Val::Undef, Val::Item),
        "last" => items.last().map_or(Val::Undef, Val::Item),
        "itemMatching" => {
            let i = int_arg(args, 0, 0);
            usize::try_from(i)
                .ok()
                .and_then(|i| items.get(i))
                .map_or(Val::Undef, Val::Item)
        }
        _ => {
            return Err(cx.err(
                pos,
                format!("{what} has no method `{name}`; use all(), first(), last() or .item"),
            ));
        }
    })
}

fn object<'a>(cx: &mut Ctx<'a>, target: Val<'a>, name: &str, args: &[Val<'a>], at: &At) -> R<'a> {
    match name {
        "hasOwnProperty" => {
            let key = str_arg(args, 0).into_owned();
            let found = match &target {
                Val::Ref(Value::Object(m)) => m.contains_key(&key),
                Val::Vars(m) => m.contains_key(&key),
                Val::Own(Value::Object(m)) => m.contains_key(&key),
                Val::Item(_) => key == "json",
                _ => false,
            };
            Ok(Val::Bool(found))
        }
        "toString" => Ok(Val::Own(Value::String("[object Object]".into()))),
        _ => {
            let is_key = match &target {
                Val::Ref(Value::Object(m)) => m.contains_key(name),
                Val::Vars(m) => m.contains_key(name),
                Val::Own(Value::Object(m)) => m.contains_key(name),
                _ => false,
            };
            let hint = if is_key {
                format!(" (`{name}` is a property, not a function)")
            } else {
                String::new()
            };
            Err(cx.err(at.pos, format!("objects have no method `{name}`{hint}")))
        }
    }
}

fn number<'a>(cx: &mut Ctx<'a>, n: f64, name: &str, args: &[Val<'a>], pos: usize) -> R<'a> {
    match name {
        "toFixed" => {
            let digits = int_arg(args, 0, 0);
            if !(0..=100).contains(&digits) {
                return Err(cx.err(pos, "toFixed() takes 0 to 100 digits"));
            }
            Ok(Val::Own(Value::String(to_fixed(n, digits as usize))))
        }
        "toString" => {
            let radix = int_arg(args, 0, 10);
            if !(2..=36).contains(&radix) {
                return Err(cx.err(pos, "toString() takes a radix from 2 to 36"));
            }
            Ok(Val::Own(Value::String(to_radix_string(n, radix as u32))))
        }
        "valueOf" => Ok(Val::Num(n)),
        _ => Err(cx.err(pos, format!("numbers have no method `{name}`"))),
    }
}

/// Byte offset of char index `i` in `s` (or its length).
fn byte_at(s: &str, i: usize) -> usize {
    s.char_indices().nth(i).map_or(s.len(), |(b, _)| b)
}

/// A relative index (negative counts from the end) clamped to `0..=len`.
fn rel(i: i64, len: usize) -> usize {
    let len = len as i64;
    (if i < 0 { (len + i).max(0) } else { i.min(len) }) as usize
}

fn is_js_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

fn text<'a>(cx: &mut Ctx<'a>, s: String, pos: usize) -> R<'a> {
    cx.string(s, pos)
}

/// Expands `$$`, `$&`, `` $` `` and `$'` in a replacement string.
fn expand(replacement: &str, whole: &str, start: usize, matched: &str) -> String {
    if !replacement.contains('$') {
        return replacement.to_string();
    }
    let mut out = String::new();
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('$') => out.push('$'),
            Some('&') => out.push_str(matched),
            Some('`') => out.push_str(&whole[..start]),
            Some('\'') => out.push_str(&whole[start + matched.len()..]),
            _ => {
                out.push('$');
                continue;
            }
        }
        chars.next();
    }
    out
}

fn replace<'a>(cx: &mut Ctx<'a>, s: &str, all: bool, args: &[Val<'a>], pos: usize) -> R<'a> {
    let pattern = str_arg(args, 0).into_owned();
    let with = arg(args, 1).clone();
    let mut out = String::new();
    let mut last = 0;
    let mut at = 0;
    loop {
        let found = if pattern.is_empty() {
            (at <= s.len()).then_some(at)
        } else {
            s[at..].find(&pattern).map(|i| at + i)
        };
        let Some(start) = found else { break };
        out.push_str(&s[last..start]);
        if with.is_function() {
            let r = cx.call_fn(
                &with,
                [
                    Val::Own(Value::String(pattern.clone())),
                    Val::Num(s[..start].chars().count() as f64),
                ],
                pos,
            )?;
            out.push_str(&r.to_str());
        } else {
            out.push_str(&expand(&with.to_str(), s, start, &pattern));
        }
        if out.len() > MAX_STRING_BYTES {
            return cx.string(out, pos);
        }
        last = start + pattern.len();
        if !all {
            break;
        }
        at = if pattern.is_empty() {
            // Step over one character so an empty pattern matches between every two.
            match s[start..].chars().next() {
                Some(c) => start + c.len_utf8(),
                None => s.len() + 1,
            }
        } else {
            last
        };
    }
    out.push_str(&s[last.min(s.len())..]);
    text(cx, out, pos)
}

fn string<'a>(cx: &mut Ctx<'a>, s: &str, name: &str, args: &[Val<'a>], pos: usize) -> R<'a> {
    let char_len = || s.chars().count();
    let bool_ = |b: bool| Ok(Val::Bool(b));
    match name {
        "toUpperCase" | "toLocaleUpperCase" => text(cx, s.to_uppercase(), pos),
        "toLowerCase" | "toLocaleLowerCase" => text(cx, s.to_lowercase(), pos),
        "trim" => text(cx, s.trim_matches(is_js_space).to_string(), pos),
        "trimStart" => text(cx, s.trim_start_matches(is_js_space).to_string(), pos),
        "trimEnd" => text(cx, s.trim_end_matches(is_js_space).to_string(), pos),
        "includes" => {
            let from = byte_at(s, int_arg(args, 1, 0).max(0) as usize);
            bool_(s[from..].contains(str_arg(args, 0).as_ref()))
        }
        "startsWith" => {
            let from = byte_at(s, int_arg(args, 1, 0).max(0) as usize);
            bool_(s[from..].starts_with(str_arg(args, 0).as_ref()))
        }
        "endsWith" => {
            let end = match arg(args, 1) {
                Val::Undef => s.len(),
                _ => byte_at(s, int_arg(args, 1, 0).max(0) as usize),
            };
            bool_(s[..end].ends_with(str_arg(args, 0).as_ref()))
        }
        "indexOf" => {
            let needle = str_arg(args, 0);
            let from = byte_at(s, int_arg(args, 1, 0).max(0) as usize);
            Ok(Val::Num(
                s[from..]
                    .find(needle.as_ref())
                    .map_or(-1.0, |b| s[..from + b].chars().count() as f64),
            ))
        }
        "lastIndexOf" => {
            let needle = str_arg(args, 0);
            Ok(Val::Num(
                s.rfind(needle.as_ref())
                    .map_or(-1.0, |b| s[..b].chars().count() as f64),
            ))
        }
        "slice" | "substring" | "substr" => {
            let len = char_len();
            let (a, b) = match name {
                "slice" => (
                    rel(int_arg(args, 0, 0), len),
                    rel(int_arg(args, 1, len as i64), len),
                ),
                "substring" => {
                    let a = int_arg(args, 0, 0).clamp(0, len as i64) as usize;
                    let b = int_arg(args, 1, len as i64).clamp(0, len as i64) as usize;
                    (a.min(b), a.max(b))
                }
                _ => {
                    let a = rel(int_arg(args, 0, 0), len);
                    let n = int_arg(args, 1, len as i64).max(0) as usize;
                    (a, a.saturating_add(n).min(len))
                }
            };
            if a >= b {
                return text(cx, String::new(), pos);
            }
            let (ba, bb) = (byte_at(s, a), byte_at(s, b));
            text(cx, s[ba..bb].to_string(), pos)
        }
        "charAt" | "at" => {
            let i = int_arg(args, 0, 0);
            let i = if name == "at" && i < 0 {
                i + char_len() as i64
            } else {
                i
            };
            let c = usize::try_from(i).ok().and_then(|i| s.chars().nth(i));
            match (c, name) {
                (Some(c), _) => text(cx, c.to_string(), pos),
                (None, "at") => Ok(Val::Undef),
                (None, _) => text(cx, String::new(), pos),
            }
        }
        "charCodeAt" | "codePointAt" => {
            let i = int_arg(args, 0, 0);
            let c = usize::try_from(i).ok().and_then(|i| s.chars().nth(i));
            Ok(c.map_or(
                if name == "charCodeAt" {
                    Val::Num(f64::NAN)
                } else {
                    Val::Undef
                },
                |c| Val::Num(f64::from(u32::from(c))),
            ))
        }
        "split" => {
            let limit = match arg(args, 1) {
                Val::Undef => usize::MAX,
                _ => int_arg(args, 1, 0).max(0) as usize,
            };
            let parts: Vec<Value> = match arg(args, 0) {
                Val::Undef => vec![Value::String(s.to_string())],
                sep => {
                    let sep = sep.to_str();
                    let count = if sep.is_empty() {
                        char_len()
                    } else {
                        s.matches(sep.as_ref()).count() + 1
                    };
                    cx.check_array(count.min(limit), pos)?;
                    cx.charge(s.len(), pos)?;
                    if sep.is_empty() {
                        s.chars()
                            .take(limit)
                            .map(|c| Value::String(c.to_string()))
                            .collect()
                    } else {
                        s.split(sep.as_ref())
                            .take(limit)
                            .map(|p| Value::String(p.to_string()))
                            .collect()
                    }
                }
            };
            Ok(Val::Own(Value::Array(parts)))
        }
        "replace" => replace(cx, s, false, args, pos),
        "replaceAll" => replace(cx, s, true, args, pos),
        "repeat" => {
            let n = arg(args, 0).to_number();
            let n = if n.is_nan() { 0.0 } else { n.trunc() };
            if n < 0.0 || n.is_infinite() {
                return Err(cx.err(pos, "repeat() needs a count of 0 or more"));
            }
            let bytes = (s.len() as f64) * n;
            if bytes > MAX_STRING_BYTES as f64 {
                return Err(too_long(cx, pos));
            }
            text(cx, s.repeat(n as usize), pos)
        }
        "padStart" | "padEnd" => {
            let target = int_arg(args, 0, 0).max(0) as usize;
            let fill = match arg(args, 1) {
                Val::Undef => " ".into(),
                v => v.to_str().into_owned(),
            };
            let len = char_len();
            if target <= len || fill.is_empty() {
                return text(cx, s.to_string(), pos);
            }
            let widest = fill.chars().map(char::len_utf8).max().unwrap_or(1);
            if (target - len)
                .saturating_mul(widest)
                .saturating_add(s.len())
                > MAX_STRING_BYTES
            {
                return Err(too_long(cx, pos));
            }
            let pad: String = fill.chars().cycle().take(target - len).collect();
            text(
                cx,
                if name == "padStart" {
                    pad + s
                } else {
                    s.to_string() + &pad
                },
                pos,
            )
        }
        "concat" => {
            let mut out = s.to_string();
            for a in args {
                out.push_str(&a.to_str());
                if out.len() > MAX_STRING_BYTES {
                    return Err(too_long(cx, pos));
                }
            }
            text(cx, out, pos)
        }
        "localeCompare" => {
            let other = str_arg(args, 0);
            Ok(Val::Num(match s.cmp(other.as_ref()) {
                Ordering::Less => -1.0,
                Ordering::Equal => 0.0,
                Ordering::Greater => 1.0,
            }))
        }
        "toString" | "valueOf" => text(cx, s.to_string(), pos),
        "match" | "matchAll" | "search" | "test" => Err(cx.err(
            pos,
            format!("`{name}()` needs regular expressions, which are not supported"),
        )),
        _ => Err(cx.err(pos, format!("strings have no method `{name}`"))),
    }
}

fn too_long(cx: &Ctx<'_>, pos: usize) -> ExprError {
    cx.err(
        pos,
        format!(
            "the string would be longer than {} MB",
            MAX_STRING_BYTES / 1024 / 1024
        ),
    )
}

/// The elements of an array, borrowed where possible.
enum Seq<'a> {
    /// A JSON array in the scope or the expression.
    Refs(&'a [Value]),
    /// Items, each seen as `{json: item}`.
    Items(&'a [Value]),
    /// Computed elements.
    Vals(Vec<Val<'a>>),
}

impl<'a> Seq<'a> {
    fn len(&self) -> usize {
        match self {
            Seq::Refs(a) | Seq::Items(a) => a.len(),
            Seq::Vals(v) => v.len(),
        }
    }

    /// Element `i`; computed elements are copied (and counted).
    fn get(&self, cx: &mut Ctx<'a>, i: usize, pos: usize) -> R<'a> {
        Ok(match self {
            Seq::Refs(a) => a.get(i).map_or(Val::Undef, Val::Ref),
            Seq::Items(a) => a.get(i).map_or(Val::Undef, Val::Item),
            Seq::Vals(v) => match v.get(i) {
                Some(x) => cx.dup(x, pos)?,
                None => Val::Undef,
            },
        })
    }

    /// All elements, moved out.
    fn into_vals(self) -> Vec<Val<'a>> {
        match self {
            Seq::Refs(a) => a.iter().map(Val::Ref).collect(),
            Seq::Items(a) => a.iter().map(Val::Item).collect(),
            Seq::Vals(v) => v,
        }
    }
}

/// A stable merge sort that never panics, whatever the comparator answers, and stops at the
/// comparator's first error.
fn merge_sort<T, E>(
    items: Vec<T>,
    mut less: impl FnMut(&T, &T) -> Result<bool, E>,
) -> Result<Vec<T>, E> {
    let n = items.len();
    let mut src: Vec<usize> = (0..n).collect();
    let mut dst = vec![0; n];
    let mut width = 1;
    while width < n {
        let mut start = 0;
        while start < n {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut i, mut j, mut k) = (start, mid, start);
            while i < mid && j < end {
                if less(&items[src[j]], &items[src[i]])? {
                    dst[k] = src[j];
                    j += 1;
                } else {
                    dst[k] = src[i];
                    i += 1;
                }
                k += 1;
            }
            dst[k..k + mid - i].copy_from_slice(&src[i..mid]);
            let k = k + mid - i;
            dst[k..k + end - j].copy_from_slice(&src[j..end]);
            start = end;
        }
        std::mem::swap(&mut src, &mut dst);
        width *= 2;
    }
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    Ok(src.into_iter().filter_map(|i| slots[i].take()).collect())
}

fn array<'a>(cx: &mut Ctx<'a>, seq: Seq<'a>, name: &str, args: Vec<Val<'a>>, pos: usize) -> R<'a> {
    match name {
        "map" | "flatMap" | "filter" | "find" | "findIndex" | "findLast" | "findLastIndex"
        | "some" | "every" | "reduce" => {
            let f = arg(&args, 0);
            if !f.is_function() {
                return Err(cx.err(
                    pos,
                    format!(
                        "{name}() needs a function such as `x => x.price`, got {}",
                        describe_type(f)
                    ),
                ));
            }
            if name == "reduce" {
                reduce(cx, seq, args, pos)
            } else {
                iterate(cx, seq, name, &args, pos)
            }
        }
        "sort" | "toSorted" => sort(cx, seq, &args, pos),
        _ => array_plain(cx, seq, name, args, pos),
    }
}

/// Array methods that call no function.
fn array_plain<'a>(
    cx: &mut Ctx<'a>,
    seq: Seq<'a>,
    name: &str,
    args: Vec<Val<'a>>,
    pos: usize,
) -> R<'a> {
    let len = seq.len();
    match name {
        "includes" | "indexOf" | "lastIndexOf" => {
            let needle = arg(&args, 0);
            let hit = |v: &Val<'_>| v.strict_eq(needle);
            let found = if name == "lastIndexOf" {
                (0..len).rev().find(|i| seq_hit(&seq, *i, &hit))
            } else {
                (0..len).find(|i| seq_hit(&seq, *i, &hit))
            };
            Ok(if name == "includes" {
                Val::Bool(found.is_some())
            } else {
                Val::Num(found.map_or(-1.0, |i| i as f64))
            })
        }
        "join" | "toString" => {
            let sep = match (name, arg(&args, 0)) {
                ("toString", _) | (_, Val::Undef) => ",".into(),
                (_, v) => v.to_str().into_owned(),
            };
            let mut out = String::new();
            for (i, v) in seq.into_vals().iter().enumerate() {
                if i > 0 {
                    out.push_str(&sep);
                }
                if !v.is_nullish() {
                    out.push_str(&v.to_str());
                }
                if out.len() > MAX_STRING_BYTES {
                    return Err(too_long(cx, pos));
                }
            }
            cx.string(out, pos)
        }
        "slice" => {
            let a = rel(int_arg(&args, 0, 0), len);
            let b = rel(int_arg(&args, 1, len as i64), len);
            let vals = seq.into_vals();
            let picked = if a < b {
                vals.into_iter().skip(a).take(b - a).collect()
            } else {
                Vec::new()
            };
            cx.array(picked, pos)
        }
        "at" => {
            let i = int_arg(&args, 0, 0);
            let i = if i < 0 { i + len as i64 } else { i };
            match usize::try_from(i) {
                Ok(i) if i < len => seq.get(cx, i, pos),
                _ => Ok(Val::Undef),
            }
        }
        "first" => seq.get(cx, 0, pos),
        "last" => match len {
            0 => Ok(Val::Undef),
            n => seq.get(cx, n - 1, pos),
        },
        "concat" => {
            let mut vals = seq.into_vals();
            for a in args {
                match a {
                    Val::Ref(Value::Array(more)) => vals.extend(more.iter().map(Val::Ref)),
                    Val::Own(Value::Array(more)) => vals.extend(more.into_iter().map(Val::Own)),
                    Val::Items(more) => vals.extend(more.iter().map(Val::Item)),
                    other => vals.push(other),
                }
                cx.check_array(vals.len(), pos)?;
            }
            cx.array(vals, pos)
        }
        "reverse" | "toReversed" => {
            let mut vals = seq.into_vals();
            vals.reverse();
            cx.array(vals, pos)
        }
        "flat" => {
            let depth = match arg(&args, 0) {
                Val::Undef => 1,
                v => v.to_number().clamp(0.0, 1000.0) as usize,
            };
            let mut out = Vec::new();
            for v in seq.into_vals() {
                let v = cx.export(v, pos)?;
                flatten(cx, v, depth, &mut out, pos)?;
            }
            Ok(Val::Own(Value::Array(out)))
        }
        _ => Err(cx.err(pos, format!("arrays have no method `{name}`"))),
    }
}

/// map, flatMap, filter, find, findIndex, findLast, findLastIndex, some, every.
fn iterate<'a>(cx: &mut Ctx<'a>, seq: Seq<'a>, name: &str, args: &[Val<'a>], pos: usize) -> R<'a> {
    let f = arg(args, 0);
    let len = seq.len();
    match name {
        "map" | "flatMap" => {
            let mut out = Vec::with_capacity(len);
            for i in 0..len {
                let x = seq.get(cx, i, pos)?;
                let r = cx.call_fn(f, [x, Val::Num(i as f64)], pos)?;
                let r = cx.element(r, pos)?.unwrap_or(Value::Null);
                if name == "flatMap" {
                    flatten(cx, r, 1, &mut out, pos)?;
                } else {
                    out.push(r);
                }
            }
            cx.check_array(out.len(), pos)?;
            Ok(Val::Own(Value::Array(out)))
        }
        "filter" => {
            let mut kept = Vec::new();
            for i in 0..len {
                let x = seq.get(cx, i, pos)?;
                if cx
                    .call_fn(f, [x.clone(), Val::Num(i as f64)], pos)?
                    .truthy()
                {
                    kept.push(x);
                }
            }
            cx.array(kept, pos)
        }
        "find" | "findIndex" | "findLast" | "findLastIndex" | "some" | "every" => {
            let backwards = name.starts_with("findLast");
            for k in 0..len {
                let i = if backwards { len - 1 - k } else { k };
                let x = seq.get(cx, i, pos)?;
                let hit = cx
                    .call_fn(f, [x.clone(), Val::Num(i as f64)], pos)?
                    .truthy();
                match (name, hit) {
                    ("find" | "findLast", true) => return Ok(x),
                    ("findIndex" | "findLastIndex", true) => return Ok(Val::Num(i as f64)),
                    ("some", true) => return Ok(Val::Bool(true)),
                    ("every", false) => return Ok(Val::Bool(false)),
                    _ => {}
                }
            }
            Ok(match name {
                "find" | "findLast" => Val::Undef,
                "findIndex" | "findLastIndex" => Val::Num(-1.0),
                "some" => Val::Bool(false),
                _ => Val::Bool(true),
            })
        }
        _ => Err(cx.err(pos, format!("arrays have no method `{name}`"))),
    }
}

fn reduce<'a>(cx: &mut Ctx<'a>, seq: Seq<'a>, args: Vec<Val<'a>>, pos: usize) -> R<'a> {
    let len = seq.len();
    let mut args = args.into_iter();
    let f = args.next().unwrap_or(Val::Undef);
    let mut start = 0;
    let mut acc = match args.next() {
        Some(init) => init,
        None if len == 0 => {
            return Err(cx.err(
                pos,
                "reduce() of an empty array needs an initial value, e.g. reduce((a, x) => a + x, 0)",
            ));
        }
        None => {
            start = 1;
            seq.get(cx, 0, pos)?
        }
    };
    for i in start..len {
        let x = seq.get(cx, i, pos)?;
        acc = cx.call_fn(&f, [acc, x, Val::Num(i as f64)], pos)?;
    }
    Ok(acc)
}

fn sort<'a>(cx: &mut Ctx<'a>, seq: Seq<'a>, args: &[Val<'a>], pos: usize) -> R<'a> {
    let vals = seq.into_vals();
    let sorted = match arg(args, 0) {
        Val::Undef => {
            // Undefined last, everything else by its string form.
            let mut keyed: Vec<(Option<String>, Val<'a>)> = vals
                .into_iter()
                .map(|v| {
                    let key = (!matches!(v, Val::Undef)).then(|| v.to_str().into_owned());
                    (key, v)
                })
                .collect();
            keyed.sort_by(|(a, _), (b, _)| match (a, b) {
                (Some(a), Some(b)) => a.cmp(b),
                (None, None) => Ordering::Equal,
                (None, _) => Ordering::Greater,
                (_, None) => Ordering::Less,
            });
            keyed.into_iter().map(|(_, v)| v).collect()
        }
        cmp if cmp.is_function() => merge_sort(vals, |a, b| {
            let r = cx.call_fn(cmp, [a.clone(), b.clone()], pos)?;
            Ok::<bool, ExprError>(r.to_number() < 0.0)
        })?,
        other => {
            return Err(cx.err(
                pos,
                format!(
                    "sort() takes a function such as `(a, b) => a - b`, got {}",
                    describe_type(other)
                ),
            ));
        }
    };
    cx.array(sorted, pos)
}

fn seq_hit(seq: &Seq<'_>, i: usize, hit: &impl Fn(&Val<'_>) -> bool) -> bool {
    match seq {
        Seq::Refs(a) => hit(&Val::Ref(&a[i])),
        Seq::Items(a) => hit(&Val::Item(&a[i])),
        Seq::Vals(v) => hit(&v[i]),
    }
}

fn flatten(
    cx: &mut Ctx<'_>,
    v: Value,
    depth: usize,
    out: &mut Vec<Value>,
    pos: usize,
) -> Result<(), ExprError> {
    match v {
        Value::Array(inner) if depth > 0 => {
            for x in inner {
                flatten(cx, x, depth - 1, out, pos)?;
            }
        }
        other => {
            out.push(other);
            if out.len() > crate::MAX_ARRAY_LEN {
                cx.check_array(out.len(), pos)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_sort_is_stable_and_survives_any_comparator() {
        let v = vec![(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd'), (1, 'e')];
        let sorted = merge_sort(v, |a, b| Ok::<_, ()>(a.0 < b.0));
        assert_eq!(
            sorted,
            Ok(vec![(1, 'b'), (1, 'e'), (2, 'd'), (3, 'a'), (3, 'c')])
        );
        let mut flip = false;
        let chaos = merge_sort((0..100).collect::<Vec<_>>(), |_, _| {
            flip = !flip;
            Ok::<_, ()>(flip)
        });
        assert_eq!(chaos.map(|v| v.len()), Ok(100));
        assert_eq!(merge_sort(vec![1, 2], |_, _| Err("stop")), Err("stop"));
        assert_eq!(
            merge_sort(Vec::<i32>::new(), |_, _| Ok::<_, ()>(true)),
            Ok(vec![])
        );
    }

    #[test]
    fn replacement_patterns() {
        assert_eq!(expand("[$&]", "abc", 1, "b"), "[b]");
        assert_eq!(expand("$`|$'", "abc", 1, "b"), "a|c");
        assert_eq!(expand("$$1 $x", "abc", 1, "b"), "$1 $x");
    }
}
