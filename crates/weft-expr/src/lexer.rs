//! Tokens of the expression language.

use crate::ExprError;

/// A token with its byte offset in the expression source.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// What it is.
    pub kind: Tok,
    /// Byte offset.
    pub pos: usize,
}

/// Token kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A number literal.
    Num(f64),
    /// A string literal, unescaped.
    Str(String),
    /// A template literal's raw parts: text and `${…}` sources with their offsets.
    Template(Vec<(String, Option<(String, usize)>)>),
    /// An identifier or keyword.
    Ident(String),
    /// Punctuation or operator.
    Punct(&'static str),
    /// End of input.
    Eof,
}

const PUNCTS: [&str; 40] = [
    "===", "!==", "...", "**", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "=>", "(", ")", "[",
    "]", "{", "}", ",", ".", ":", "?", "+", "-", "*", "/", "%", "<", ">", "!", "=", ";", "&", "|",
    "^", "~", "@", "#", "\\",
];

/// Splits an expression into tokens. `base` is added to every position.
pub fn lex(src: &str, base: usize) -> Result<Vec<Token>, ExprError> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if c.is_ascii_digit() || (c == b'.' && bytes.get(i + 1).is_some_and(|b| b.is_ascii_digit()))
        {
            let (n, len) = number(&src[i..])
                .ok_or_else(|| ExprError::at(src, base + i, "malformed number"))?;
            out.push(Token {
                kind: Tok::Num(n),
                pos: base + start,
            });
            i += len;
            continue;
        }
        if c == b'"' || c == b'\'' {
            let (s, len) = string(&src[i..], c).map_err(|m| ExprError::at(src, base + i, m))?;
            out.push(Token {
                kind: Tok::Str(s),
                pos: base + start,
            });
            i += len;
            continue;
        }
        if c == b'`' {
            let (parts, len) =
                template(&src[i..], base + i).map_err(|m| ExprError::at(src, base + i, m))?;
            out.push(Token {
                kind: Tok::Template(parts),
                pos: base + start,
            });
            i += len;
            continue;
        }
        if c == b'$' || c == b'_' || c.is_ascii_alphabetic() {
            let mut j = i + 1;
            while j < bytes.len()
                && (bytes[j] == b'$' || bytes[j] == b'_' || bytes[j].is_ascii_alphanumeric())
            {
                j += 1;
            }
            out.push(Token {
                kind: Tok::Ident(src[i..j].to_string()),
                pos: base + start,
            });
            i = j;
            continue;
        }
        match PUNCTS.iter().find(|p| src[i..].starts_with(**p)) {
            // `?.` followed by a digit is a ternary and a number, as in JavaScript.
            Some(&"?.") if bytes.get(i + 2).is_some_and(|b| b.is_ascii_digit()) => {
                out.push(Token {
                    kind: Tok::Punct("?"),
                    pos: base + start,
                });
                i += 1;
            }
            Some(p) => {
                out.push(Token {
                    kind: Tok::Punct(p),
                    pos: base + start,
                });
                i += p.len();
            }
            None => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return Err(ExprError::at(
                    src,
                    base + i,
                    format!("unexpected character `{ch}`"),
                ));
            }
        }
    }
    out.push(Token {
        kind: Tok::Eof,
        pos: base + src.len(),
    });
    Ok(out)
}

fn number(s: &str) -> Option<(f64, usize)> {
    let b = s.as_bytes();
    if s.len() > 2 && (s.starts_with("0x") || s.starts_with("0X")) {
        let end = 2 + b[2..].iter().take_while(|c| c.is_ascii_hexdigit()).count();
        return u64::from_str_radix(&s[2..end], 16)
            .ok()
            .map(|v| (v as f64, end));
    }
    let mut j = 0;
    while j < b.len() && b[j].is_ascii_digit() {
        j += 1;
    }
    if j < b.len() && b[j] == b'.' {
        j += 1;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
    }
    if j < b.len() && (b[j] == b'e' || b[j] == b'E') {
        let mut k = j + 1;
        if k < b.len() && (b[k] == b'+' || b[k] == b'-') {
            k += 1;
        }
        if k < b.len() && b[k].is_ascii_digit() {
            while k < b.len() && b[k].is_ascii_digit() {
                k += 1;
            }
            j = k;
        }
    }
    s[..j].parse().ok().map(|v| (v, j))
}

fn escape(
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
    out: &mut String,
) -> Result<(), String> {
    let Some((_, e)) = chars.next() else {
        return Err("unterminated string".into());
    };
    match e {
        'n' => out.push('\n'),
        't' => out.push('\t'),
        'r' => out.push('\r'),
        '0' => out.push('\0'),
        'b' => out.push('\u{8}'),
        'f' => out.push('\u{c}'),
        'v' => out.push('\u{b}'),
        'u' => {
            let mut hex = String::new();
            for _ in 0..4 {
                match chars.next() {
                    Some((_, h)) if h.is_ascii_hexdigit() => hex.push(h),
                    _ => return Err("malformed \\u escape".into()),
                }
            }
            let code =
                u32::from_str_radix(&hex, 16).map_err(|_| "malformed \\u escape".to_string())?;
            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
        }
        other => out.push(other),
    }
    Ok(())
}

fn string(s: &str, quote: u8) -> Result<(String, usize), String> {
    let mut out = String::new();
    let mut chars = s.char_indices().peekable();
    chars.next();
    while let Some((i, c)) = chars.next() {
        if c as u32 == quote as u32 {
            return Ok((out, i + 1));
        }
        if c == '\\' {
            escape(&mut chars, &mut out)?;
        } else {
            out.push(c);
        }
    }
    Err("unterminated string".into())
}

type TemplateParts = Vec<(String, Option<(String, usize)>)>;

fn template(s: &str, base: usize) -> Result<(TemplateParts, usize), String> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut chars = s.char_indices().peekable();
    chars.next();
    while let Some((i, c)) = chars.next() {
        match c {
            '`' => {
                parts.push((text, None));
                return Ok((parts, i + 1));
            }
            '\\' => escape(&mut chars, &mut text)?,
            '$' if chars.peek().is_some_and(|(_, n)| *n == '{') => {
                chars.next();
                let start = i + 2;
                let mut depth = 1;
                let mut end = None;
                for (j, d) in chars.by_ref() {
                    match d {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = Some(j);
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let end = end.ok_or("unterminated `${` in template literal")?;
                parts.push((
                    std::mem::take(&mut text),
                    Some((s[start..end].to_string(), base + start)),
                ));
            }
            c => text.push(c),
        }
    }
    Err("unterminated template literal".into())
}
