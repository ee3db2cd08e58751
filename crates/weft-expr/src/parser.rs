//! A Pratt parser for the JavaScript expression subset.

use crate::ExprError;
use crate::lexer::{Tok, Token, lex};
use serde_json::Value;

/// The `$` names an expression can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Root {
    /// `$json`: the current item.
    Json,
    /// `$input`: all items on the main input.
    Input,
    /// `$node`: outputs of other nodes by name.
    Node,
    /// `$vars`: workflow variables.
    Vars,
    /// `$run`: facts about the run.
    Run,
    /// `$item` / `$itemIndex`: index of the current item.
    ItemIndex,
    /// `$now`: the step's time.
    Now,
    /// `$today`: midnight UTC of the step's day.
    Today,
    /// `$env`: allow-listed environment variables.
    Env,
    /// `$("Name")`: a node by name.
    Dollar,
}

const ROOTS: [(&str, Root); 11] = [
    ("$json", Root::Json),
    ("$input", Root::Input),
    ("$node", Root::Node),
    ("$vars", Root::Vars),
    ("$run", Root::Run),
    ("$item", Root::ItemIndex),
    ("$itemIndex", Root::ItemIndex),
    ("$now", Root::Now),
    ("$today", Root::Today),
    ("$env", Root::Env),
    ("$", Root::Dollar),
];

/// Global objects and functions.
pub const GLOBALS: [&str; 12] = [
    "Math",
    "JSON",
    "Number",
    "String",
    "Boolean",
    "Object",
    "Array",
    "parseInt",
    "parseFloat",
    "isNaN",
    "isFinite",
    "Date",
];

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    /// `!`
    Not,
    /// `-`
    Neg,
    /// `+`
    Plus,
    /// `typeof`
    TypeOf,
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
    /// `**`
    Pow,
    /// `==`
    LooseEq,
    /// `!=`
    LooseNe,
    /// `===`
    StrictEq,
    /// `!==`
    StrictNe,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `&&`
    And,
    /// `||`
    Or,
    /// `??`
    Nullish,
    /// `in`
    In,
}

/// An expression tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal.
    Lit(Value),
    /// `undefined`.
    Undef,
    /// A `$` name.
    Root(Root, usize),
    /// A global such as `Math`.
    Global(&'static str),
    /// A parameter of an enclosing arrow function, by its slot.
    Param(usize),
    /// `[a, b]`
    Array(Vec<Expr>),
    /// `{a: 1}`
    Object(Vec<(String, Expr)>),
    /// `a.b` or `a?.b`
    Member(Box<Expr>, String, bool, usize),
    /// `a[b]` or `a?.[b]`
    Index(Box<Expr>, Box<Expr>, bool, usize),
    /// `f(args)`
    Call(Box<Expr>, Vec<Expr>, usize),
    /// Unary operation.
    Unary(UnOp, Box<Expr>),
    /// Binary operation.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `c ? a : b`
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `(a, b) => body`: number of params, first slot, body.
    Arrow(usize, usize, Box<Expr>),
    /// A template literal.
    Template(Vec<(String, Option<Expr>)>),
}

/// The deepest nesting accepted, so hostile input cannot overflow the stack.
pub const MAX_DEPTH: usize = 64;

struct Parser<'s> {
    src: &'s str,
    toks: Vec<Token>,
    i: usize,
    params: Vec<String>,
    depth: usize,
}

/// Parses one expression. `base` is the offset of `src` within the whole template, for errors.
pub fn parse(src: &str, base: usize) -> Result<Expr, ExprError> {
    let toks = lex(src, base)?;
    let mut p = Parser {
        src,
        toks,
        i: 0,
        params: Vec::new(),
        depth: 0,
    };
    if matches!(p.peek(), Tok::Eof) {
        return Err(p.err(base, "empty expression"));
    }
    let e = p.expr()?;
    match p.peek() {
        Tok::Eof => Ok(e),
        _ => Err(p.unexpected()),
    }
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

impl<'s> Parser<'s> {
    fn peek(&self) -> &Tok {
        &self.toks[self.i.min(self.toks.len() - 1)].kind
    }
    fn pos(&self) -> usize {
        self.toks[self.i.min(self.toks.len() - 1)].pos
    }
    fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.i < self.toks.len() - 1 {
            self.i += 1;
        }
        t
    }
    fn eat(&mut self, p: &str) -> bool {
        if matches!(self.peek(), Tok::Punct(q) if *q == p) {
            self.bump();
            true
        } else {
            false
        }
    }
    fn err(&self, pos: usize, msg: impl Into<String>) -> ExprError {
        ExprError {
            message: msg.into(),
            expression: self.src.to_string(),
            position: pos,
        }
    }
    fn unexpected(&self) -> ExprError {
        let what = match self.peek() {
            Tok::Eof => "unexpected end of expression".to_string(),
            Tok::Punct(p) => format!("unexpected `{p}`"),
            Tok::Ident(s) => format!("unexpected `{s}`"),
            Tok::Num(n) => format!("unexpected number {n}"),
            Tok::Str(s) => format!("unexpected string {s:?}"),
            Tok::Template(_) => "unexpected template literal".to_string(),
        };
        self.err(self.pos(), what)
    }
    fn expect(&mut self, p: &str) -> Result<(), ExprError> {
        if self.eat(p) {
            Ok(())
        } else {
            let mut e = self.unexpected();
            e.message = format!("{}; expected `{p}`", e.message);
            Err(e)
        }
    }
    fn enter(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(
                self.pos(),
                format!("expression nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<Expr, ExprError> {
        self.enter()?;
        let cond = self.binary(0)?;
        let out = if self.eat("?") {
            let then = self.expr()?;
            self.expect(":")?;
            let other = self.expr()?;
            Expr::Cond(Box::new(cond), Box::new(then), Box::new(other))
        } else {
            cond
        };
        self.depth -= 1;
        Ok(out)
    }

    fn binop(&self) -> Option<(BinOp, u8, bool)> {
        let (op, prec) = match self.peek() {
            Tok::Punct("??") => (BinOp::Nullish, 1),
            Tok::Punct("||") => (BinOp::Or, 2),
            Tok::Punct("&&") => (BinOp::And, 3),
            Tok::Punct("==") => (BinOp::LooseEq, 4),
            Tok::Punct("!=") => (BinOp::LooseNe, 4),
            Tok::Punct("===") => (BinOp::StrictEq, 4),
            Tok::Punct("!==") => (BinOp::StrictNe, 4),
            Tok::Punct("<") => (BinOp::Lt, 5),
            Tok::Punct("<=") => (BinOp::Le, 5),
            Tok::Punct(">") => (BinOp::Gt, 5),
            Tok::Punct(">=") => (BinOp::Ge, 5),
            Tok::Ident(s) if s == "in" => (BinOp::In, 5),
            Tok::Punct("+") => (BinOp::Add, 6),
            Tok::Punct("-") => (BinOp::Sub, 6),
            Tok::Punct("*") => (BinOp::Mul, 7),
            Tok::Punct("/") => (BinOp::Div, 7),
            Tok::Punct("%") => (BinOp::Rem, 7),
            Tok::Punct("**") => (BinOp::Pow, 8),
            _ => return None,
        };
        Some((op, prec, op == BinOp::Pow))
    }

    fn binary(&mut self, min: u8) -> Result<Expr, ExprError> {
        let mut lhs = self.unary()?;
        while let Some((op, prec, right)) = self.binop() {
            if prec < min {
                break;
            }
            self.bump();
            self.enter()?;
            let rhs = self.binary(if right { prec } else { prec + 1 })?;
            self.depth -= 1;
            lhs = Expr::Binary(op, Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        let op = match self.peek() {
            Tok::Punct("!") => UnOp::Not,
            Tok::Punct("-") => UnOp::Neg,
            Tok::Punct("+") => UnOp::Plus,
            Tok::Ident(s) if s == "typeof" => UnOp::TypeOf,
            _ => return self.postfix(),
        };
        self.bump();
        self.enter()?;
        let e = self.unary()?;
        self.depth -= 1;
        Ok(Expr::Unary(op, Box::new(e)))
    }

    fn postfix(&mut self) -> Result<Expr, ExprError> {
        let mut e = self.primary()?;
        loop {
            let pos = self.pos();
            if self.eat(".") {
                let name = self.prop_name()?;
                e = Expr::Member(Box::new(e), name, false, pos);
            } else if self.eat("?.") {
                if self.eat("[") {
                    let idx = self.expr()?;
                    self.expect("]")?;
                    e = Expr::Index(Box::new(e), Box::new(idx), true, pos);
                } else if matches!(self.peek(), Tok::Punct("(")) {
                    // `f?.()` is treated as a plain call.
                    continue;
                } else {
                    let name = self.prop_name()?;
                    e = Expr::Member(Box::new(e), name, true, pos);
                }
            } else if self.eat("[") {
                let idx = self.expr()?;
                self.expect("]")?;
                e = Expr::Index(Box::new(e), Box::new(idx), false, pos);
            } else if self.eat("(") {
                let args = self.args()?;
                e = Expr::Call(Box::new(e), args, pos);
            } else {
                return Ok(e);
            }
            self.enter()?;
        }
    }

    fn prop_name(&mut self) -> Result<String, ExprError> {
        let at = self.i;
        match self.bump() {
            Tok::Ident(s) => Ok(s),
            _ => {
                self.i = at;
                let mut e = self.unexpected();
                e.message = format!("{}; expected a property name", e.message);
                Err(e)
            }
        }
    }

    fn args(&mut self) -> Result<Vec<Expr>, ExprError> {
        let mut args = Vec::new();
        if self.eat(")") {
            return Ok(args);
        }
        loop {
            args.push(self.expr()?);
            if self.eat(")") {
                return Ok(args);
            }
            self.expect(",")?;
        }
    }

    fn arrow_ahead(&self) -> Option<Vec<String>> {
        // At `(`: `( ident, ident ) =>` ?
        let mut j = self.i + 1;
        let mut names = Vec::new();
        loop {
            match &self.toks.get(j)?.kind {
                Tok::Punct(")") if names.is_empty() => break,
                Tok::Ident(s) => names.push(s.clone()),
                _ => return None,
            }
            j += 1;
            match &self.toks.get(j)?.kind {
                Tok::Punct(",") => j += 1,
                Tok::Punct(")") => break,
                _ => return None,
            }
        }
        matches!(self.toks.get(j + 1)?.kind, Tok::Punct("=>")).then_some(names)
    }

    fn arrow(&mut self, names: Vec<String>) -> Result<Expr, ExprError> {
        let first = self.params.len();
        let n = names.len();
        self.params.extend(names);
        let body = self.expr();
        self.params.truncate(first);
        Ok(Expr::Arrow(n, first, Box::new(body?)))
    }

    fn primary(&mut self) -> Result<Expr, ExprError> {
        let pos = self.pos();
        let at = self.i;
        match self.bump() {
            Tok::Num(n) => Ok(Expr::Lit(crate::value::number(n))),
            Tok::Str(s) => Ok(Expr::Lit(Value::String(s))),
            Tok::Template(parts) => {
                let mut out = Vec::new();
                for (text, expr) in parts {
                    let e = match expr {
                        Some((src, at)) => Some(parse(&src, at).map_err(|mut e| {
                            e.expression = self.src.to_string();
                            e
                        })?),
                        None => None,
                    };
                    out.push((text, e));
                }
                Ok(Expr::Template(out))
            }
            Tok::Punct("(") => {
                self.i = at;
                if let Some(names) = self.arrow_ahead() {
                    // skip to after `=>`
                    while !matches!(self.bump(), Tok::Punct("=>")) {}
                    return self.arrow(names);
                }
                self.bump();
                let e = self.expr()?;
                self.expect(")")?;
                Ok(e)
            }
            Tok::Punct("[") => {
                let mut items = Vec::new();
                if !self.eat("]") {
                    loop {
                        items.push(self.expr()?);
                        if self.eat("]") {
                            break;
                        }
                        self.expect(",")?;
                        if self.eat("]") {
                            break;
                        }
                    }
                }
                Ok(Expr::Array(items))
            }
            Tok::Punct("{") => {
                let mut fields = Vec::new();
                if !self.eat("}") {
                    loop {
                        let key_at = self.i;
                        let key = match self.bump() {
                            Tok::Ident(s) | Tok::Str(s) => s,
                            Tok::Num(n) => crate::value::number_to_string(n),
                            _ => {
                                self.i = key_at;
                                return Err(self.unexpected());
                            }
                        };
                        let value = if self.eat(":") {
                            self.expr()?
                        } else {
                            self.i = key_at;
                            self.primary()?
                        };
                        fields.push((key, value));
                        if self.eat("}") {
                            break;
                        }
                        self.expect(",")?;
                        if self.eat("}") {
                            break;
                        }
                    }
                }
                Ok(Expr::Object(fields))
            }
            Tok::Ident(name) => {
                if matches!(self.peek(), Tok::Punct("=>")) {
                    self.bump();
                    return self.arrow(vec![name]);
                }
                if let Some(slot) = self.params.iter().rposition(|p| *p == name) {
                    return Ok(Expr::Param(slot));
                }
                match name.as_str() {
                    "true" => return Ok(Expr::Lit(Value::Bool(true))),
                    "false" => return Ok(Expr::Lit(Value::Bool(false))),
                    "null" => return Ok(Expr::Lit(Value::Null)),
                    "undefined" => return Ok(Expr::Undef),
                    "NaN" => return Ok(Expr::Global("NaN")),
                    "Infinity" => return Ok(Expr::Global("Infinity")),
                    _ => {}
                }
                if let Some((_, root)) = ROOTS.iter().find(|(n, _)| *n == name) {
                    return Ok(Expr::Root(*root, pos));
                }
                if let Some(g) = GLOBALS.iter().find(|g| **g == name) {
                    return Ok(Expr::Global(g));
                }
                let candidates = ROOTS.iter().map(|(n, _)| *n).chain(GLOBALS.iter().copied());
                let best = candidates.map(|c| (edit_distance(&name, c), c)).min();
                let hint = match best {
                    Some((d, c)) if d <= 2 => format!(" (did you mean `{c}`?)"),
                    _ => String::new(),
                };
                Err(self.err(pos, format!("unknown name `{name}`{hint}")))
            }
            _ => {
                self.i = at;
                Err(self.unexpected())
            }
        }
    }
}
