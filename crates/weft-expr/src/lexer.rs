//! Tokens of the expression language, read straight from the template source so that every
//! position is a byte offset into the whole template.
//!
//! The lexer also finds where an expression ends: the `}}` that closes a `{{` (or the `}` that
//! closes a `${` in a template literal) is the first one outside string literals and outside
//! braces opened by the expression itself, so `{{ '}}' }}` and `{{ {a: {b: 1}} }}` work.

use crate::MAX_DEPTH;
use crate::number::scan_decimal;

/// A syntax error at a byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    /// Byte offset in the template.
    pub pos: usize,
    /// What is wrong.
    pub message: String,
    /// The error is a misspelt `$` name: a script engine must not be asked to run it instead.
    pub unknown_dollar: bool,
}

impl SyntaxError {
    /// An error at `pos`.
    pub(crate) fn new(pos: usize, message: impl Into<String>) -> Self {
        SyntaxError {
            pos,
            message: message.into(),
            unknown_dollar: false,
        }
    }
}

/// Why lexing stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LexError {
    /// The input ended before the closing `}}`.
    Unclosed,
    /// Anything else.
    Syntax(SyntaxError),
}

impl From<SyntaxError> for LexError {
    fn from(e: SyntaxError) -> Self {
        LexError::Syntax(e)
    }
}

/// A token with its byte offset.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    /// What it is.
    pub kind: Tok,
    /// Byte offset in the template.
    pub pos: usize,
}

/// Token kinds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// A number literal.
    Num(f64),
    /// A string literal, escapes resolved.
    Str(String),
    /// A template literal.
    Template(Vec<TplPart>),
    /// An identifier or keyword.
    Ident(String),
    /// Punctuation or an operator.
    Punct(&'static str),
    /// The end of the expression.
    Eof,
}

/// A piece of a template literal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TplPart {
    /// Text, escapes resolved.
    Text(String),
    /// The tokens of a `${…}`, ending with `Eof`.
    Expr(Vec<Token>),
}

/// What ends the token stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Until {
    /// `}}`, closing a `{{`.
    DoubleBrace,
    /// `}`, closing a `${`.
    Brace,
}

/// Longest first, so that `===` wins over `==` and `=`.
const PUNCTS: [&str; 37] = [
    "===", "!==", "...", "**", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "=>", "(", ")", "[",
    "]", "{", "}", ",", ".", ":", "?", "+", "-", "*", "/", "%", "<", ">", "!", "=", ";", "&", "|",
    "^", "~",
];

fn is_ident_start(c: char) -> bool {
    c == '$' || c == '_' || c.is_ascii_alphabetic() || (!c.is_ascii() && c.is_alphabetic())
}

fn is_ident_char(c: char) -> bool {
    c == '$' || c == '_' || c.is_ascii_alphanumeric() || (!c.is_ascii() && c.is_alphanumeric())
}

fn char_at(src: &str, i: usize) -> Option<char> {
    src.get(i..).and_then(|s| s.chars().next())
}

/// Lexes from `start` until the terminator; returns the tokens (ending with `Eof` at the
/// terminator) and the terminator's offset. `depth` counts enclosing template literals.
pub(crate) fn lex(
    src: &str,
    start: usize,
    until: Until,
    depth: usize,
) -> Result<(Vec<Token>, usize), LexError> {
    if depth > MAX_DEPTH {
        return Err(SyntaxError::new(
            start,
            format!("expression nests deeper than {MAX_DEPTH} levels"),
        )
        .into());
    }
    let b = src.as_bytes();
    let mut toks = Vec::new();
    let mut braces = 0usize;
    let mut i = start;
    loop {
        let Some(c) = char_at(src, i) else {
            return Err(match until {
                Until::DoubleBrace => LexError::Unclosed,
                Until::Brace => SyntaxError::new(
                    start.saturating_sub(2),
                    "`${` in a template literal is never closed with `}`",
                )
                .into(),
            });
        };
        if c.is_whitespace() || c == '\u{feff}' {
            i += c.len_utf8();
            continue;
        }
        let pos = i;
        let kind =
            if c.is_ascii_digit() || (c == '.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) {
                let (n, end) = number(src, i)?;
                i = end;
                Tok::Num(n)
            } else if c == '"' || c == '\'' {
                let (s, end) = string(src, i)?;
                i = end;
                Tok::Str(s)
            } else if c == '`' {
                let (parts, end) = template(src, i, depth)?;
                i = end;
                Tok::Template(parts)
            } else if is_ident_start(c) {
                let mut end = i;
                while let Some(d) = char_at(src, end).filter(|d| is_ident_char(*d)) {
                    end += d.len_utf8();
                }
                let name = src[i..end].to_string();
                i = end;
                Tok::Ident(name)
            } else {
                if c == '{' {
                    braces += 1;
                } else if c == '}' {
                    if braces > 0 {
                        braces -= 1;
                    } else if until == Until::Brace
                        || (until == Until::DoubleBrace && b.get(i + 1) == Some(&b'}'))
                    {
                        toks.push(Token {
                            kind: Tok::Eof,
                            pos,
                        });
                        return Ok((toks, pos));
                    }
                }
                let Some(p) = PUNCTS.iter().find(|p| src[i..].starts_with(**p)) else {
                    return Err(SyntaxError::new(i, format!("unexpected character `{c}`")).into());
                };
                // `a?.5:1` is a conditional, as in JavaScript.
                let p = if *p == "?." && b.get(i + 2).is_some_and(u8::is_ascii_digit) {
                    "?"
                } else {
                    p
                };
                i += p.len();
                Tok::Punct(p)
            };
        toks.push(Token { kind, pos });
    }
}

fn number(src: &str, i: usize) -> Result<(f64, usize), SyntaxError> {
    let b = src.as_bytes();
    let radix = match (b.get(i), b.get(i + 1)) {
        (Some(b'0'), Some(b'x' | b'X')) => 16,
        (Some(b'0'), Some(b'o' | b'O')) => 8,
        (Some(b'0'), Some(b'b' | b'B')) => 2,
        _ => 10,
    };
    let malformed = || SyntaxError::new(i, "malformed number");
    let (value, end) = if radix == 10 {
        let len = scan_decimal(&src[i..]);
        let value = src[i..i + len].parse::<f64>().map_err(|_| malformed())?;
        (value, i + len)
    } else {
        let mut j = i + 2;
        let mut v = 0f64;
        while let Some(d) = b.get(j).and_then(|c| char::from(*c).to_digit(radix)) {
            v = v * f64::from(radix) + f64::from(d);
            j += 1;
        }
        if j == i + 2 {
            return Err(malformed());
        }
        (v, j)
    };
    if char_at(src, end).is_some_and(is_ident_char) {
        return Err(malformed());
    }
    Ok((value, end))
}

fn hex_digits(src: &str, at: usize, n: usize) -> Option<u32> {
    let s = src.get(at..at + n)?;
    if !s.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

/// Resolves the escape after a backslash at `i - 1`; returns the offset after it.
fn escape(src: &str, i: usize, out: &mut String) -> Result<usize, SyntaxError> {
    let bad = |what: &str| SyntaxError::new(i - 1, format!("malformed {what} escape"));
    let Some(c) = char_at(src, i) else {
        return Err(SyntaxError::new(i - 1, "unterminated string"));
    };
    let next = i + c.len_utf8();
    match c {
        'n' => out.push('\n'),
        't' => out.push('\t'),
        'r' => out.push('\r'),
        'b' => out.push('\u{8}'),
        'f' => out.push('\u{c}'),
        'v' => out.push('\u{b}'),
        '0' => out.push('\0'),
        'x' => {
            let code = hex_digits(src, next, 2).ok_or_else(|| bad("\\x"))?;
            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
            return Ok(next + 2);
        }
        'u' => {
            let (code, mut end) = if src[next..].starts_with('{') {
                let close = src[next..].find('}').ok_or_else(|| bad("\\u{…}"))?;
                let digits = &src[next + 1..next + close];
                if digits.is_empty() || digits.len() > 6 {
                    return Err(bad("\\u{…}"));
                }
                let code = hex_digits(src, next + 1, digits.len()).ok_or_else(|| bad("\\u{…}"))?;
                (code, next + close + 1)
            } else {
                (
                    hex_digits(src, next, 4).ok_or_else(|| bad("\\u"))?,
                    next + 4,
                )
            };
            let mut code = code;
            if (0xD800..0xDC00).contains(&code)
                && src[end..].starts_with("\\u")
                && let Some(low) =
                    hex_digits(src, end + 2, 4).filter(|l| (0xDC00..0xE000).contains(l))
            {
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                end += 6;
            }
            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
            return Ok(end);
        }
        // A line continuation.
        '\n' | '\u{2028}' | '\u{2029}' => {}
        '\r' => {
            return Ok(if src[next..].starts_with('\n') {
                next + 1
            } else {
                next
            });
        }
        other => out.push(other),
    }
    Ok(next)
}

fn string(src: &str, i: usize) -> Result<(String, usize), SyntaxError> {
    let quote = src.as_bytes()[i];
    let mut out = String::new();
    let mut j = i + 1;
    while let Some(c) = char_at(src, j) {
        if c as u32 == u32::from(quote) {
            return Ok((out, j + 1));
        }
        if c == '\\' {
            j = escape(src, j + 1, &mut out)?;
        } else {
            out.push(c);
            j += c.len_utf8();
        }
    }
    Err(SyntaxError::new(i, "unterminated string"))
}

fn template(src: &str, i: usize, depth: usize) -> Result<(Vec<TplPart>, usize), LexError> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut j = i + 1;
    while let Some(c) = char_at(src, j) {
        match c {
            '`' => {
                if !text.is_empty() {
                    parts.push(TplPart::Text(text));
                }
                return Ok((parts, j + 1));
            }
            '\\' => j = escape(src, j + 1, &mut text)?,
            '$' if src[j + 1..].starts_with('{') => {
                if !text.is_empty() {
                    parts.push(TplPart::Text(std::mem::take(&mut text)));
                }
                let (toks, close) = lex(src, j + 2, Until::Brace, depth + 1)?;
                parts.push(TplPart::Expr(toks));
                j = close + 1;
            }
            c => {
                text.push(c);
                j += c.len_utf8();
            }
        }
    }
    Err(SyntaxError::new(i, "unterminated template literal").into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        match lex(src, 0, Until::DoubleBrace, 0) {
            Ok((toks, _)) => toks.into_iter().map(|t| t.kind).collect(),
            Err(e) => panic!("{src}: {e:?}"),
        }
    }

    fn error(src: &str) -> SyntaxError {
        match lex(src, 0, Until::DoubleBrace, 0) {
            Err(LexError::Syntax(e)) => e,
            other => panic!("{src}: {other:?}"),
        }
    }

    #[test]
    fn numbers() {
        let n = |s: &str| match kinds(&format!("{s} }}}}")).first() {
            Some(Tok::Num(n)) => *n,
            other => panic!("{s}: {other:?}"),
        };
        assert_eq!(n("42"), 42.0);
        assert_eq!(n("3.25"), 3.25);
        assert_eq!(n(".5"), 0.5);
        assert_eq!(n("1."), 1.0);
        assert_eq!(n("1e3"), 1000.0);
        assert_eq!(n("2.5E-1"), 0.25);
        assert_eq!(n("0x1F"), 31.0);
        assert_eq!(n("0o17"), 15.0);
        assert_eq!(n("0b101"), 5.0);
        assert_eq!(n("0xFFFFFFFFFFFFFFFFFFFF"), 1.2089258196146292e24);
        assert_eq!(error("1abc }}").message, "malformed number");
        assert_eq!(error("0x }}").message, "malformed number");
        assert_eq!(error("1e }}").message, "malformed number");
    }

    #[test]
    fn strings_and_escapes() {
        assert_eq!(
            kinds(r#"'a\'b' "c\"d" 'tab\there' '\x41\u0042\u{43}' '\uD83D\uDE00' }}"#)[..5],
            [
                Tok::Str("a'b".into()),
                Tok::Str("c\"d".into()),
                Tok::Str("tab\there".into()),
                Tok::Str("ABC".into()),
                Tok::Str("😀".into()),
            ]
        );
        assert_eq!(kinds("'}}' }}")[0], Tok::Str("}}".into()));
        let e = error("'abc }}");
        assert_eq!((e.pos, e.message.as_str()), (0, "unterminated string"));
        assert_eq!(error(r"'\u12' }}").message, "malformed \\u escape");
    }

    #[test]
    fn punctuation_and_the_end() {
        let (toks, end) = lex("{{ a?.b ?? c === d }} tail", 2, Until::DoubleBrace, 0)
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(end, 19);
        let kinds: Vec<_> = toks.into_iter().map(|t| (t.kind, t.pos)).collect();
        assert_eq!(
            kinds,
            [
                (Tok::Ident("a".into()), 3),
                (Tok::Punct("?."), 4),
                (Tok::Ident("b".into()), 6),
                (Tok::Punct("??"), 8),
                (Tok::Ident("c".into()), 11),
                (Tok::Punct("==="), 13),
                (Tok::Ident("d".into()), 17),
                (Tok::Eof, 19),
            ]
        );
        assert_eq!(kinds_of("a?.5:1 }}")[1], Tok::Punct("?"));
        assert_eq!(
            lex("{a: {b: 1}} }}", 0, Until::DoubleBrace, 0).map(|(_, end)| end),
            Ok(12)
        );
        assert_eq!(
            lex("1 + 2", 0, Until::DoubleBrace, 0),
            Err(LexError::Unclosed)
        );
        assert_eq!(error("a # b }}").pos, 2);
        assert_eq!(error("a ¤ b }}").message, "unexpected character `¤`");
    }

    fn kinds_of(src: &str) -> Vec<Tok> {
        kinds(src)
    }

    #[test]
    fn template_literals_nest() {
        let toks = kinds("`a${ `b${1}` }c` }}");
        let Tok::Template(parts) = &toks[0] else {
            panic!("{toks:?}")
        };
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], TplPart::Text("a".into()));
        assert_eq!(parts[2], TplPart::Text("c".into()));
        assert_eq!(error("`a${1 }}").message, "unterminated template literal");
        let deep = format!("{}1{} }}}}", "`${".repeat(200), "}`".repeat(200));
        assert!(error(&deep).message.contains("nests deeper"));
    }

    #[test]
    fn identifiers() {
        assert_eq!(
            kinds("$json $ _x é1 }}")[..4],
            [
                Tok::Ident("$json".into()),
                Tok::Ident("$".into()),
                Tok::Ident("_x".into()),
                Tok::Ident("é1".into()),
            ]
        );
    }
}
