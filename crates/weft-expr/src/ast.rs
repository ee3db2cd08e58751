//! The expression tree the parser builds and the evaluator walks.

use serde_json::Value;

/// The `$` names an expression can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Root {
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

/// Every `$` name and what it means.
pub(crate) const ROOTS: [(&str, Root); 11] = [
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Global {
    /// `Math`
    Math,
    /// `JSON`
    Json,
    /// `Number`
    Number,
    /// `String`
    String,
    /// `Boolean`
    Boolean,
    /// `Object`
    Object,
    /// `Array`
    Array,
    /// `parseInt`
    ParseInt,
    /// `parseFloat`
    ParseFloat,
    /// `isNaN`
    IsNaN,
    /// `isFinite`
    IsFinite,
    /// `Date` (only `Date.now()`)
    Date,
}

/// Every global name and what it means.
pub(crate) const GLOBALS: [(&str, Global); 12] = [
    ("Math", Global::Math),
    ("JSON", Global::Json),
    ("Number", Global::Number),
    ("String", Global::String),
    ("Boolean", Global::Boolean),
    ("Object", Global::Object),
    ("Array", Global::Array),
    ("parseInt", Global::ParseInt),
    ("parseFloat", Global::ParseFloat),
    ("isNaN", Global::IsNaN),
    ("isFinite", Global::IsFinite),
    ("Date", Global::Date),
];

impl Global {
    /// The name as written.
    pub(crate) fn name(self) -> &'static str {
        GLOBALS
            .iter()
            .find(|(_, g)| *g == self)
            .map_or("?", |(n, _)| n)
    }

    /// True for the globals JavaScript's `typeof` calls functions.
    pub(crate) fn is_function(self) -> bool {
        !matches!(self, Global::Math | Global::Json)
    }
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnOp {
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
pub(crate) enum BinOp {
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

/// Where a member access or call is, for errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct At {
    /// Byte offset where the object's expression starts (to quote it in messages).
    pub start: usize,
    /// Byte offset of the `.`, `?.`, `[` or `(`.
    pub pos: usize,
    /// Written with `?.`.
    pub optional: bool,
}

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// A JSON literal.
    Lit(Value),
    /// `NaN` or `Infinity`.
    Num(f64),
    /// `undefined`.
    Undefined,
    /// A `$` name.
    Root(Root),
    /// A global such as `Math`.
    Global(Global),
    /// A parameter of an enclosing arrow function, by slot.
    Param(usize),
    /// `[a, ...b]`
    Array(Vec<Item>),
    /// `{a: 1, [k]: v, ...o}`
    Object(Vec<Field>),
    /// `a.b` or `a?.b`
    Member(Box<Expr>, String, At),
    /// `a[b]` or `a?.[b]`
    Index(Box<Expr>, Box<Expr>, At),
    /// `f(args)`, `a.m(args)`, `f?.(args)`
    Call(Box<Expr>, Vec<Item>, At),
    /// A unary operation.
    Unary(UnOp, Box<Expr>),
    /// A binary operation, with the operator's offset.
    Binary(BinOp, Box<Expr>, Box<Expr>, usize),
    /// `c ? a : b`
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `(a, b) => body`
    Arrow(Box<Arrow>),
    /// A template literal: text and `${…}` pieces.
    Template(Vec<Piece>),
}

/// An element of an array literal or an argument list.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    /// A single value.
    One(Expr),
    /// `...xs`
    Spread(Expr, usize),
}

/// A property of an object literal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Field {
    /// `key: value` or the shorthand `key`.
    Named(String, Expr),
    /// `[key]: value`
    Computed(Expr, Expr),
    /// `...obj`
    Spread(Expr, usize),
}

/// A piece of a template literal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Piece {
    /// Literal text, escapes resolved.
    Text(String),
    /// `${expr}`
    Expr(Expr),
}

/// An arrow function.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Arrow {
    /// How many parameters it declares.
    pub params: usize,
    /// How many parameters of enclosing arrows it sees (its first parameter's slot).
    pub captures: usize,
    /// The expression it returns.
    pub body: Expr,
}
