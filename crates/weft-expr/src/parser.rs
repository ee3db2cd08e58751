//! A Pratt parser for the JavaScript expression subset.
//!
//! Two bounds keep hostile input from overflowing the stack: the height of the tree it builds
//! (every node checks its height against [`MAX_DEPTH`], so evaluating and dropping the tree
//! recurse at most that deep) and the recursion of the parser itself (parentheses nest without
//! adding tree height, so they are counted separately).

use crate::MAX_DEPTH;
use crate::ast::{Arrow, At, BinOp, Expr, Field, GLOBALS, Item, Piece, ROOTS, UnOp};
use crate::lexer::{SyntaxError, Tok, Token, TplPart};
use crate::number::{to_js_string, to_json};
use serde_json::Value;

type PResult<T> = Result<T, SyntaxError>;
/// An expression and the height of its tree.
type Node = (Expr, usize);

/// Deepest recursion of the parser (parentheses nest without adding tree height, so they
/// are bounded by this instead).
const MAX_RECURSION: usize = MAX_DEPTH;
/// Binding power of `? :`.
const TERNARY: u8 = 1;
/// Binding power of unary operators' operands: tighter than every binary operator.
const PREFIX: u8 = 18;

/// Names JavaScript reserves that expressions do not support.
const KEYWORDS: [&str; 32] = [
    "async",
    "await",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "export",
    "extends",
    "finally",
    "for",
    "function",
    "if",
    "import",
    "instanceof",
    "let",
    "new",
    "return",
    "super",
    "switch",
    "this",
    "throw",
    "try",
    "var",
    "void",
    "while",
];

/// Parses the tokens of one expression. `src` is the whole template, for messages.
pub(crate) fn parse(src: &str, toks: Vec<Token>) -> PResult<Expr> {
    let mut p = Parser {
        src,
        toks,
        i: 0,
        params: Vec::new(),
        recursion: 0,
    };
    if matches!(p.peek(), Tok::Eof) {
        return Err(SyntaxError::new(p.pos(), "empty expression"));
    }
    let (e, _) = p.expr(0)?;
    if !matches!(p.peek(), Tok::Eof) {
        return Err(p.unexpected());
    }
    Ok(e)
}

struct Parser<'s> {
    src: &'s str,
    toks: Vec<Token>,
    i: usize,
    /// Parameters of the enclosing arrow functions, outermost first.
    params: Vec<String>,
    recursion: usize,
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        self.toks.get(self.i).map_or(&Tok::Eof, |t| &t.kind)
    }

    fn peek_at(&self, ahead: usize) -> &Tok {
        self.toks.get(self.i + ahead).map_or(&Tok::Eof, |t| &t.kind)
    }

    fn pos(&self) -> usize {
        self.toks
            .get(self.i)
            .or(self.toks.last())
            .map_or(0, |t| t.pos)
    }

    /// Takes the current token and moves on (staying on `Eof`).
    fn bump(&mut self) -> Tok {
        match self.toks.get_mut(self.i) {
            Some(t) if t.kind != Tok::Eof => {
                self.i += 1;
                std::mem::replace(&mut t.kind, Tok::Eof)
            }
            _ => Tok::Eof,
        }
    }

    fn is(&self, p: &str) -> bool {
        matches!(self.peek(), Tok::Punct(q) if *q == p)
    }

    fn eat(&mut self, p: &str) -> bool {
        let hit = self.is(p);
        if hit {
            self.bump();
        }
        hit
    }

    fn expect(&mut self, p: &str) -> PResult<()> {
        if self.eat(p) {
            return Ok(());
        }
        let mut e = self.unexpected();
        e.message = format!("{}; expected `{p}`", e.message);
        Err(e)
    }

    fn unexpected(&self) -> SyntaxError {
        self.describe(self.peek(), self.pos())
    }

    fn describe(&self, tok: &Tok, pos: usize) -> SyntaxError {
        let message = match tok {
            Tok::Eof => "unexpected end of expression".to_string(),
            Tok::Punct("=") => "assignment is not supported (did you mean `==` or `===`?)".into(),
            Tok::Punct(";") => "an expression cannot contain `;`".into(),
            Tok::Punct("=>") => {
                "arrow function parameters must be plain names, e.g. `(a, b) => a + b`".into()
            }
            Tok::Punct(p @ ("&" | "|")) => {
                format!(
                    "unexpected `{p}` (did you mean `{p}{p}`? bitwise operators are not supported)"
                )
            }
            Tok::Punct(p) => format!("unexpected `{p}`"),
            Tok::Ident(s) if KEYWORDS.contains(&s.as_str()) => {
                format!("`{s}` is not supported in expressions")
            }
            Tok::Ident(s) => format!("unexpected `{s}`"),
            Tok::Num(_) if self.src[pos..].starts_with('.') => {
                let digits: String = self.src[pos + 1..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                format!("unexpected `.{digits}`; write `[{digits}]` to read an array element")
            }
            Tok::Num(n) => format!("unexpected number {}", to_js_string(*n)),
            Tok::Str(s) => format!("unexpected string {s:?}"),
            Tok::Template(_) => "unexpected template literal".into(),
        };
        SyntaxError::new(pos, message)
    }

    /// Checks a new node's height.
    fn height(&self, h: usize, pos: usize) -> PResult<usize> {
        if h > MAX_DEPTH {
            return Err(SyntaxError::new(
                pos,
                format!("expression nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(h)
    }

    fn expr(&mut self, min: u8) -> PResult<Node> {
        self.recursion += 1;
        let r = if self.recursion > MAX_RECURSION {
            Err(SyntaxError::new(
                self.pos(),
                format!("expression nests deeper than {MAX_DEPTH} levels"),
            ))
        } else {
            self.expr_inner(min)
        };
        self.recursion -= 1;
        r
    }

    fn prefix_op(&self) -> Option<UnOp> {
        Some(match self.peek() {
            Tok::Punct("!") => UnOp::Not,
            Tok::Punct("-") => UnOp::Neg,
            Tok::Punct("+") => UnOp::Plus,
            Tok::Ident(s) if s == "typeof" => UnOp::TypeOf,
            _ => return None,
        })
    }

    fn binop(&self) -> Option<(BinOp, u8, u8)> {
        Some(match self.peek() {
            Tok::Punct("??") => (BinOp::Nullish, 2, 3),
            Tok::Punct("||") => (BinOp::Or, 4, 5),
            Tok::Punct("&&") => (BinOp::And, 6, 7),
            Tok::Punct("==") => (BinOp::LooseEq, 8, 9),
            Tok::Punct("!=") => (BinOp::LooseNe, 8, 9),
            Tok::Punct("===") => (BinOp::StrictEq, 8, 9),
            Tok::Punct("!==") => (BinOp::StrictNe, 8, 9),
            Tok::Punct("<") => (BinOp::Lt, 10, 11),
            Tok::Punct("<=") => (BinOp::Le, 10, 11),
            Tok::Punct(">") => (BinOp::Gt, 10, 11),
            Tok::Punct(">=") => (BinOp::Ge, 10, 11),
            Tok::Ident(s) if s == "in" => (BinOp::In, 10, 11),
            Tok::Punct("+") => (BinOp::Add, 12, 13),
            Tok::Punct("-") => (BinOp::Sub, 12, 13),
            Tok::Punct("*") => (BinOp::Mul, 14, 15),
            Tok::Punct("/") => (BinOp::Div, 14, 15),
            Tok::Punct("%") => (BinOp::Rem, 14, 15),
            // Right-associative: `2 ** 3 ** 2` is `2 ** 9`.
            Tok::Punct("**") => (BinOp::Pow, 17, 16),
            _ => return None,
        })
    }

    fn expr_inner(&mut self, min: u8) -> PResult<Node> {
        let (mut lhs, mut h, mut unary) = match self.prefix_op() {
            Some(op) => {
                let (e, h) = self.unary(op)?;
                (e, h, true)
            }
            None => {
                let (e, h) = self.postfix()?;
                (e, h, false)
            }
        };
        loop {
            let pos = self.pos();
            let (e, h2) = if self.is("?") {
                if min > TERNARY {
                    break;
                }
                self.bump();
                self.conditional(lhs)?
            } else {
                let Some((op, lbp, rbp)) = self.binop() else {
                    break;
                };
                if lbp < min {
                    break;
                }
                if op == BinOp::Pow && unary {
                    return Err(SyntaxError::new(
                        pos,
                        "put the unary expression in parentheses before `**`, e.g. `(-2) ** 2`",
                    ));
                }
                self.bump();
                self.binary(op, lhs, rbp, pos)?
            };
            lhs = e;
            h = self.height(h.max(h2) + 1, pos)?;
            unary = false;
        }
        Ok((lhs, h))
    }

    /// A unary operator and its operand.
    fn unary(&mut self, op: UnOp) -> PResult<Node> {
        let start = self.pos();
        self.bump();
        let (operand, h) = self.expr(PREFIX)?;
        Ok((
            Expr::Unary(op, Box::new(operand)),
            self.height(h + 1, start)?,
        ))
    }

    /// After `?`: both branches. Returns the node and its branches' height.
    fn conditional(&mut self, cond: Expr) -> PResult<Node> {
        let (then, h1) = self.expr(0)?;
        self.expect(":")?;
        let (other, h2) = self.expr(TERNARY)?;
        Ok((
            Expr::Cond(Box::new(cond), Box::new(then), Box::new(other)),
            h1.max(h2),
        ))
    }

    /// After a binary operator: the right side. Returns the node and the right side's height.
    fn binary(&mut self, op: BinOp, lhs: Expr, rbp: u8, pos: usize) -> PResult<Node> {
        let (rhs, h) = self.expr(rbp)?;
        Ok((Expr::Binary(op, Box::new(lhs), Box::new(rhs), pos), h))
    }

    fn postfix(&mut self) -> PResult<Node> {
        let start = self.pos();
        let (mut e, mut h) = self.primary()?;
        loop {
            let pos = self.pos();
            let at = At {
                start,
                pos,
                optional: self.is("?."),
            };
            let link = match self.peek() {
                Tok::Punct(".") => {
                    self.bump();
                    self.member(e, at)?
                }
                Tok::Punct("?.") => {
                    self.bump();
                    if self.eat("[") {
                        self.index(e, at)?
                    } else if self.eat("(") {
                        self.call(e, at)?
                    } else {
                        self.member(e, at)?
                    }
                }
                Tok::Punct("[") => {
                    self.bump();
                    self.index(e, at)?
                }
                Tok::Punct("(") => {
                    self.bump();
                    self.call(e, at)?
                }
                _ => return Ok((e, h)),
            };
            e = link.0;
            h = self.height(h.max(link.1) + 1, pos)?;
        }
    }

    /// After `.` or `?.`: the property name. Returns the node and its children's height
    /// beside the object.
    fn member(&mut self, obj: Expr, at: At) -> PResult<Node> {
        let name = self.prop_name()?;
        Ok((Expr::Member(Box::new(obj), name, at), 0))
    }

    /// After `[`: the index and `]`.
    fn index(&mut self, obj: Expr, at: At) -> PResult<Node> {
        let (idx, h) = self.expr(0)?;
        self.expect("]")?;
        Ok((Expr::Index(Box::new(obj), Box::new(idx), at), h))
    }

    /// After `(`: the arguments and `)`.
    fn call(&mut self, callee: Expr, at: At) -> PResult<Node> {
        let (args, h) = self.items(")")?;
        Ok((Expr::Call(Box::new(callee), args, at), h))
    }

    fn prop_name(&mut self) -> PResult<String> {
        if let Tok::Ident(_) = self.peek()
            && let Tok::Ident(s) = self.bump()
        {
            return Ok(s);
        }
        let mut e = self.unexpected();
        e.message = format!("{}; expected a property name", e.message);
        Err(e)
    }

    /// Comma-separated items with optional spread, up to `close`; returns the tallest height.
    fn items(&mut self, close: &str) -> PResult<(Vec<Item>, usize)> {
        let mut out = Vec::new();
        let mut h = 0;
        while !self.eat(close) {
            let pos = self.pos();
            if self.eat("...") {
                let (e, h2) = self.expr(0)?;
                out.push(Item::Spread(e, pos));
                h = h.max(h2);
            } else {
                let (e, h2) = self.expr(0)?;
                out.push(Item::One(e));
                h = h.max(h2);
            }
            if !self.is(close) {
                self.expect(",")?;
            }
        }
        Ok((out, h))
    }

    fn object(&mut self) -> PResult<(Vec<Field>, usize)> {
        let mut out = Vec::new();
        let mut h = 0;
        while !self.eat("}") {
            let pos = self.pos();
            let key = match self.peek() {
                Tok::Punct("...") => {
                    self.bump();
                    let (e, h2) = self.expr(0)?;
                    out.push(Field::Spread(e, pos));
                    h = h.max(h2);
                    None
                }
                Tok::Punct("[") => {
                    self.bump();
                    let (k, h1) = self.expr(0)?;
                    self.expect("]")?;
                    self.expect(":")?;
                    let (v, h2) = self.expr(0)?;
                    out.push(Field::Computed(k, v));
                    h = h.max(h1).max(h2);
                    None
                }
                Tok::Ident(_) if matches!(self.peek_at(1), Tok::Punct("," | "}")) => {
                    let Tok::Ident(name) = self.bump() else {
                        return Err(self.unexpected());
                    };
                    let (v, h2) = self.name(name.clone(), pos)?;
                    out.push(Field::Named(name, v));
                    h = h.max(h2);
                    None
                }
                Tok::Ident(_) | Tok::Str(_) => match self.bump() {
                    Tok::Ident(s) | Tok::Str(s) => Some(s),
                    _ => None,
                },
                Tok::Num(n) => {
                    let key = to_js_string(*n);
                    self.bump();
                    Some(key)
                }
                _ => return Err(self.unexpected()),
            };
            if let Some(key) = key {
                if self.is("(") {
                    return Err(SyntaxError::new(
                        self.pos(),
                        "methods in object literals are not supported",
                    ));
                }
                self.expect(":")?;
                let (v, h2) = self.expr(0)?;
                out.push(Field::Named(key, v));
                h = h.max(h2);
            }
            if !self.is("}") {
                self.expect(",")?;
            }
        }
        Ok((out, h))
    }

    /// At the token after `(`: `) =>`, `a) =>` or `a, b) =>` ahead?
    fn arrow_params_ahead(&self) -> Option<Vec<String>> {
        let mut names = Vec::new();
        let mut j = 0;
        loop {
            match self.peek_at(j) {
                Tok::Punct(")") => break,
                Tok::Ident(s) => names.push(s.clone()),
                _ => return None,
            }
            j += 1;
            match self.peek_at(j) {
                Tok::Punct(",") => j += 1,
                Tok::Punct(")") => break,
                _ => return None,
            }
        }
        matches!(self.peek_at(j + 1), Tok::Punct("=>")).then_some(names)
    }

    fn arrow(&mut self, names: Vec<String>, pos: usize) -> PResult<Node> {
        for (k, n) in names.iter().enumerate() {
            if matches!(
                n.as_str(),
                "true" | "false" | "null" | "undefined" | "NaN" | "Infinity" | "typeof" | "in"
            ) || KEYWORDS.contains(&n.as_str())
            {
                return Err(SyntaxError::new(
                    pos,
                    format!("`{n}` cannot be a parameter name"),
                ));
            }
            if names[..k].contains(n) {
                return Err(SyntaxError::new(
                    pos,
                    format!("duplicate parameter name `{n}`"),
                ));
            }
        }
        if self.is("{") {
            return Err(SyntaxError::new(
                self.pos(),
                "arrow functions need an expression body: write `x => x.total`, \
                 or `x => ({ total: x.total })` to return an object",
            ));
        }
        let captures = self.params.len();
        let params = names.len();
        self.params.extend(names);
        let body = self.expr(0);
        self.params.truncate(captures);
        let (body, h) = body?;
        let arrow = Arrow {
            params,
            captures,
            body,
        };
        Ok((Expr::Arrow(Box::new(arrow)), self.height(h + 1, pos)?))
    }

    /// Parses the tokens of a `${…}` with this parser's bounds.
    fn sub_expr(&mut self, toks: Vec<Token>, pos: usize) -> PResult<Node> {
        let outer = std::mem::replace(&mut self.toks, toks);
        let outer_i = std::mem::replace(&mut self.i, 0);
        let r = if matches!(self.peek(), Tok::Eof) {
            Err(SyntaxError::new(pos, "empty `${}` in template literal"))
        } else {
            self.expr(0).and_then(|node| {
                if matches!(self.peek(), Tok::Eof) {
                    Ok(node)
                } else {
                    Err(self.unexpected())
                }
            })
        };
        self.toks = outer;
        self.i = outer_i;
        r
    }

    fn primary(&mut self) -> PResult<Node> {
        let pos = self.pos();
        match self.bump() {
            Tok::Num(n) if n.is_finite() => Ok((Expr::Lit(to_json(n)), 1)),
            Tok::Num(n) => Ok((Expr::Num(n), 1)),
            Tok::Str(s) => Ok((Expr::Lit(Value::String(s)), 1)),
            Tok::Template(parts) => self.template(parts, pos),
            Tok::Punct("(") => self.paren(pos),
            Tok::Punct("[") => self.array(pos),
            Tok::Punct("{") => self.object_literal(pos),
            Tok::Ident(name) => self.ident(name, pos),
            other => Err(self.primary_error(&other, pos)),
        }
    }

    fn primary_error(&self, tok: &Tok, pos: usize) -> SyntaxError {
        match tok {
            Tok::Punct("/") => SyntaxError::new(pos, "regular expressions are not supported"),
            Tok::Punct("...") => SyntaxError::new(
                pos,
                "`...` is only allowed in arrays, objects and call arguments",
            ),
            other => self.describe(other, pos),
        }
    }

    fn template(&mut self, parts: Vec<TplPart>, pos: usize) -> PResult<Node> {
        let mut pieces = Vec::with_capacity(parts.len());
        let mut h = 0;
        for part in parts {
            match part {
                TplPart::Text(t) => pieces.push(Piece::Text(t)),
                TplPart::Expr(toks) => {
                    let (e, h2) = self.sub_expr(toks, pos)?;
                    pieces.push(Piece::Expr(e));
                    h = h.max(h2);
                }
            }
        }
        Ok((Expr::Template(pieces), self.height(h + 1, pos)?))
    }

    fn paren(&mut self, pos: usize) -> PResult<Node> {
        if let Some(names) = self.arrow_params_ahead() {
            while !matches!(self.bump(), Tok::Punct("=>") | Tok::Eof) {}
            return self.arrow(names, pos);
        }
        let node = self.expr(0)?;
        self.expect(")")?;
        Ok(node)
    }

    fn array(&mut self, pos: usize) -> PResult<Node> {
        let (items, h) = self.items("]")?;
        Ok((Expr::Array(items), self.height(h + 1, pos)?))
    }

    fn object_literal(&mut self, pos: usize) -> PResult<Node> {
        let (fields, h) = self.object()?;
        Ok((Expr::Object(fields), self.height(h + 1, pos)?))
    }

    fn ident(&mut self, name: String, pos: usize) -> PResult<Node> {
        if self.is("=>") {
            self.bump();
            return self.arrow(vec![name], pos);
        }
        self.name(name, pos)
    }

    /// Resolves an identifier used as a value.
    fn name(&self, name: String, pos: usize) -> PResult<Node> {
        if let Some(slot) = self.params.iter().rposition(|p| *p == name) {
            return Ok((Expr::Param(slot), 1));
        }
        let e = match name.as_str() {
            "true" => Expr::Lit(Value::Bool(true)),
            "false" => Expr::Lit(Value::Bool(false)),
            "null" => Expr::Lit(Value::Null),
            "undefined" => Expr::Undefined,
            "NaN" => Expr::Num(f64::NAN),
            "Infinity" => Expr::Num(f64::INFINITY),
            "function" => {
                return Err(SyntaxError::new(
                    pos,
                    "`function` is not supported; use an arrow function such as `x => x * 2`",
                ));
            }
            n if KEYWORDS.contains(&n) => {
                return Err(SyntaxError::new(
                    pos,
                    format!("`{n}` is not supported in expressions"),
                ));
            }
            n => {
                if let Some((_, root)) = ROOTS.iter().find(|(r, _)| *r == n) {
                    Expr::Root(*root)
                } else if let Some((_, g)) = GLOBALS.iter().find(|(g, _)| *g == n) {
                    Expr::Global(*g)
                } else {
                    return Err(SyntaxError {
                        unknown_dollar: n.starts_with('$'),
                        ..SyntaxError::new(pos, self.unknown_name(n))
                    });
                }
            }
        };
        Ok((e, 1))
    }

    fn unknown_name(&self, name: &str) -> String {
        let candidates = ROOTS
            .iter()
            .map(|(n, _)| *n)
            .chain(GLOBALS.iter().map(|(n, _)| *n))
            .chain(["true", "false", "null", "undefined"])
            .chain(self.params.iter().map(String::as_str))
            .filter(|c| c.len() > 1);
        let limit = (name.chars().count() / 3).clamp(1, 2);
        let best = candidates
            .map(|c| (edit_distance(name, c), c))
            .filter(|(d, _)| *d <= limit)
            .min();
        match best {
            Some((_, c)) => format!("unknown name `{name}` (did you mean `{c}`?)"),
            None => format!("unknown name `{name}`"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::{LexError, Until, lex};

    fn parse_str(src: &str) -> PResult<Expr> {
        let full = format!("{src} }}}}");
        match lex(&full, 0, Until::DoubleBrace, 0) {
            Ok((toks, _)) => parse(&full, toks),
            Err(LexError::Syntax(e)) => Err(e),
            Err(LexError::Unclosed) => Err(SyntaxError::new(0, "unclosed")),
        }
    }

    fn ok(src: &str) -> Expr {
        parse_str(src).unwrap_or_else(|e| panic!("{src}: {e:?}"))
    }

    fn err(src: &str) -> SyntaxError {
        match parse_str(src) {
            Ok(e) => panic!("{src} parsed as {e:?}"),
            Err(e) => e,
        }
    }

    fn lit(v: i64) -> Box<Expr> {
        Box::new(Expr::Lit(Value::from(v)))
    }

    #[test]
    fn precedence_and_associativity() {
        let Expr::Binary(BinOp::Add, a, b, 2) = ok("1 + 2 * 3") else {
            panic!()
        };
        assert_eq!(a, lit(1));
        assert_eq!(*b, Expr::Binary(BinOp::Mul, lit(2), lit(3), 6));
        let Expr::Binary(BinOp::Sub, a, _, _) = ok("1 - 2 - 3") else {
            panic!()
        };
        assert_eq!(*a, Expr::Binary(BinOp::Sub, lit(1), lit(2), 2));
        let Expr::Binary(BinOp::Pow, _, b, _) = ok("2 ** 3 ** 2") else {
            panic!()
        };
        assert!(matches!(*b, Expr::Binary(BinOp::Pow, ..)));
        assert!(matches!(ok("a => a ? 1 : 2"), Expr::Arrow(_)));
        assert!(
            matches!(ok("1 ? 2 : 3 ? 4 : 5"), Expr::Cond(_, _, c) if matches!(*c, Expr::Cond(..)))
        );
        assert!(
            matches!(ok("-1 * 2"), Expr::Binary(BinOp::Mul, a, _, _) if matches!(*a, Expr::Unary(UnOp::Neg, _)))
        );
        assert!(
            matches!(ok("!$json.a"), Expr::Unary(UnOp::Not, a) if matches!(*a, Expr::Member(..)))
        );
        assert!(matches!(ok("1 || 2 && 3"), Expr::Binary(BinOp::Or, ..)));
        assert!(matches!(
            ok("1 ?? 2 || 3"),
            Expr::Binary(BinOp::Nullish, ..)
        ));
        assert!(matches!(
            ok("1 < 2 == true"),
            Expr::Binary(BinOp::LooseEq, ..)
        ));
        assert!(matches!(
            ok("'a' in $json && true"),
            Expr::Binary(BinOp::And, ..)
        ));
    }

    #[test]
    fn members_calls_and_literals() {
        let Expr::Call(callee, args, at) = ok("$json.a?.b[0](1, ...$json.x)") else {
            panic!()
        };
        assert_eq!(args.len(), 2);
        assert_eq!(at.start, 0);
        assert!(matches!(*callee, Expr::Index(..)));
        assert!(
            matches!(ok("{a: 1, 'b': 2, 3: 4, [$vars.k]: 5, ...$json.o, $json}"), Expr::Object(f) if f.len() == 6)
        );
        assert!(matches!(ok("[1, ...[2], 3,]"), Expr::Array(i) if i.len() == 3));
        assert!(matches!(ok("`a${1}b`"), Expr::Template(p) if p.len() == 3));
        assert!(matches!(
            ok("xs => xs.map((x, i) => x + i)"),
            Expr::Arrow(_)
        ));
        assert!(matches!(ok("() => 1"), Expr::Arrow(a) if a.params == 0));
        assert_eq!(ok("1e999"), Expr::Num(f64::INFINITY));
    }

    #[test]
    fn arrow_parameters_get_slots() {
        let Expr::Arrow(outer) = ok("a => b => a + b") else {
            panic!()
        };
        let Expr::Arrow(inner) = &outer.body else {
            panic!()
        };
        assert_eq!((outer.captures, inner.captures), (0, 1));
        assert_eq!(
            inner.body,
            Expr::Binary(
                BinOp::Add,
                Box::new(Expr::Param(0)),
                Box::new(Expr::Param(1)),
                12
            )
        );
        assert!(err("x => y").message.starts_with("unknown name `y`"));
    }

    #[test]
    fn errors_are_plain() {
        assert_eq!(err("1 +").message, "unexpected end of expression");
        assert_eq!(
            err("(1").message,
            "unexpected end of expression; expected `)`"
        );
        let e = err("1)");
        assert_eq!((e.pos, e.message.as_str()), (1, "unexpected `)`"));
        assert_eq!(
            err("$json.").message,
            "unexpected end of expression; expected a property name"
        );
        assert_eq!(
            err("$jsn").message,
            "unknown name `$jsn` (did you mean `$json`?)"
        );
        assert_eq!(
            err("json").message,
            "unknown name `json` (did you mean `$json`?)"
        );
        assert_eq!(
            err("math.x").message,
            "unknown name `math` (did you mean `Math`?)"
        );
        assert_eq!(err("process").message, "unknown name `process`");
        assert_eq!(err("x => x + y1").message, "unknown name `y1`");
        assert!(err("a = 1").message.starts_with("unknown name"));
        assert!(err("$json.a = 1").message.contains("assignment"));
        assert!(err("new Date()").message.contains("`new` is not supported"));
        assert!(err("function() {}").message.contains("arrow function"));
        assert!(err("x => { return x }").message.contains("expression body"));
        assert!(err("-2 ** 2").message.contains("parentheses"));
        assert!(err("/a/.test('a')").message.contains("regular expressions"));
        assert!(err("$json.list.0").message.contains("`[0]`"));
        assert!(err("1 & 2").message.contains("`&&`"));
        assert!(err("(a, a) => a").message.contains("duplicate"));
        assert!(err("(true) => 1").message.contains("parameter name"));
        assert!(err("`${}`").message.contains("empty"));
        assert!(err("{f() {}}").message.contains("methods"));
        assert!(err("1; 2").message.contains("`;`"));
    }

    #[test]
    fn depth_is_bounded() {
        let deep =
            |open: &str, close: &str, n: usize| format!("{}1{}", open.repeat(n), close.repeat(n));
        assert!(parse_str(&deep("[", "]", 60)).is_ok());
        assert!(err(&deep("[", "]", 70)).message.contains("nests deeper"));
        assert!(err(&deep("-", "", 100)).message.contains("nests deeper"));
        assert!(
            err(&deep("(", ")", 100_000))
                .message
                .contains("nests deeper")
        );
        assert!(
            parse_str(&deep("(", ")", 60)).is_ok(),
            "parentheses add no height"
        );
        assert!(parse_str(&format!("[{}]", deep("(", ")", 60))).is_ok());
        assert!(
            err(&vec!["1"; 100].join(" + "))
                .message
                .contains("nests deeper")
        );
        assert!(
            err(&format!("$json{}", ".a".repeat(100)))
                .message
                .contains("nests deeper")
        );
        assert!(
            err(&format!("{}1{}", "`${".repeat(100), "}`".repeat(100)))
                .message
                .contains("nests deeper")
        );
        assert!(parse_str(&format!("[{}]", vec!["$json.a.b"; 1000].join(", "))).is_ok());
    }
}
