//! The spanned, owned abstract syntax tree of one `.gal` file: what the parser hands to
//! the checker. It records what was written, not what it means: names are unresolved,
//! units are unchecked, and statements that are only legal elsewhere (`refractory` at top
//! level, `dV/dt` inside `on`) are kept so the checker can explain why they are wrong.

use galvani_diag::Span;

/// A name as written, with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// One model file.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// The name after `model`.
    pub name: Ident,
    /// The optional quoted description, without quotes, with the span of the literal.
    pub description: Option<(String, Span)>,
    /// Every declaration after the `model` line, in file order.
    pub items: Vec<Item>,
    /// The span of the `model …` line.
    pub header_span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub kind: ItemKind,
    /// The whole declaration (a block includes its braces).
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ItemKind {
    /// `param NAME = EXPR`
    Param { name: Ident, value: Expr },
    /// `input NAME = EXPR`
    Input { name: Ident, value: Expr },
    /// `state NAME = EXPR`
    State { name: Ident, value: Expr },
    /// `gate NAME { field = EXPR … }`
    Gate { name: Ident, fields: Vec<GateField> },
    /// `NAME = EXPR` at top level (an intermediate), or `NAME += EXPR` / `NAME -= EXPR`
    /// written at top level by mistake (the checker rejects any operator but `=`).
    Assign {
        target: Ident,
        op: AssignOp,
        value: Expr,
        /// `: UNIT` after the value: the unit an intermediate is reported in.
        unit: Option<UnitAnnotation>,
    },
    /// `dNAME/dt = EXPR`; `state` is `NAME` with the span of the name inside `dNAME`.
    Ode { state: Ident, value: Expr },
    /// `fn NAME(a, b) = EXPR`
    Function {
        name: Ident,
        params: Vec<Ident>,
        body: Expr,
    },
    /// `on COND { … }`, `on COND spike { … }`, `on COND silent { … }`
    On {
        condition: Expr,
        /// The word after the condition, when written.
        marker: Option<EventMarker>,
        body: Vec<Item>,
    },
    /// `refractory EXPR`: legal only inside an `on` block.
    Refractory { duration: Expr },
}

/// `spike` or `silent` written after an event's condition: whether the event's firings
/// are spikes (the checker decides when neither is written).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventMarker {
    pub spike: bool,
    pub span: Span,
}

/// One `field = EXPR` line of a gate block. The field name is kept as written
/// (`alpha`, `beta`, `inf`, `tau`, `init`, or a misspelling the checker reports).
#[derive(Clone, Debug, PartialEq)]
pub struct GateField {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignOp {
    /// `=`
    Set,
    /// `+=`
    Add,
    /// `-=`
    Sub,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A bare number such as `0.5` or `1e-3`; `text` is the literal as written.
    Number {
        value: f64,
        text: String,
    },
    /// A number directly followed by a unit name, with the unit's own optional integer
    /// exponent: `-65 mV` is `Neg(Quantity 65 mV)`, `20000 um^2` is one quantity with
    /// `exponent = 2`.
    Quantity {
        value: f64,
        text: String,
        unit: UnitSuffix,
    },
    /// A name: a param, input, state, intermediate, `t`, a function parameter, or a unit
    /// name used as a value (`0.1/(ms*mV)`). Resolved by the checker.
    Name(String),
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `if COND then A else B`
    If {
        condition: Box<Expr>,
        then_branch: Box<Expr>,
        else_branch: Box<Expr>,
    },
    /// `NAME(args…)`: a built-in or a user `fn`.
    Call {
        function: Ident,
        args: Vec<Expr>,
    },
}

/// The unit after `:` in `NAME = EXPR : UNIT`: `nA`, `uA/cm^2`, `1/ms`.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitAnnotation {
    /// The unit names with their powers, in order; `divide` for a factor after `/`.
    /// A written `1` contributes nothing and is not kept.
    pub factors: Vec<UnitFactor>,
    /// The unit as written, without spaces (`uA/cm^2`): how values are labelled.
    pub text: String,
    /// Covers the unit after the colon.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct UnitFactor {
    pub unit: UnitSuffix,
    pub divide: bool,
}

/// The unit written directly after a number: `mV`, `um^2`, `ms^-1`.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitSuffix {
    pub name: String,
    /// `1` unless written as `unit^N`.
    pub exponent: i32,
    /// Covers the unit name and its exponent.
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `not x`
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    /// `^`, right-associative, binds tighter than unary minus.
    Pow,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

impl BinaryOp {
    /// The operator as written in the language.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Pow => "^",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::And => "and",
            BinaryOp::Or => "or",
        }
    }

    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Eq | BinaryOp::Ne
        )
    }

    pub fn is_logical(self) -> bool {
        matches!(self, BinaryOp::And | BinaryOp::Or)
    }
}

impl UnaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            UnaryOp::Neg => "-",
            UnaryOp::Not => "not",
        }
    }
}

/// One network file: populations of model files, the connections between them and the
/// Poisson drives into them (`network NAME "…"` first).
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    /// The name after `network`.
    pub name: Ident,
    pub description: Option<(String, Span)>,
    /// Every declaration after the `network` line, in file order.
    pub items: Vec<NetworkItem>,
    /// The span of the `network …` line.
    pub header_span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NetworkItem {
    pub kind: NetworkItemKind,
    /// The whole declaration (a block includes its braces).
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NetworkItemKind {
    /// `param NAME = VALUE`, visible in every expression of the file.
    Param { name: Ident, value: Expr },
    /// `population NAME { … }`
    Population { name: Ident, fields: Vec<Field> },
    /// `connect PRE -> POST, POST2 { … }`
    Connect {
        pre: Ident,
        posts: Vec<Ident>,
        fields: Vec<Field>,
    },
    /// `drive POP, POP2 { … }`
    Drive {
        targets: Vec<Ident>,
        fields: Vec<Field>,
    },
}

/// One line of a network block (or an `on pre` block spanning lines).
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub kind: FieldKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FieldKind {
    /// `NAME = VALUE`: `model = "lif.gal"`, `size = 100`, `rule = fixed_indegree(800)`, …
    Set { key: Ident, value: FieldValue },
    /// `param NAME = VALUE`: a population's override or a synapse's param.
    Param { name: Ident, value: Expr },
    /// `init NAME = VALUE`: a state's initial value in a population.
    Init { name: Ident, value: Expr },
    /// `state NAME = VALUE`: a per-synapse state.
    State { name: Ident, value: Expr },
    /// `dNAME/dt = EXPR`: a synapse state's equation.
    Ode { state: Ident, value: Expr },
    /// `on pre { … }`: assignments run when a presynaptic spike arrives.
    OnPre { body: Vec<Item> },
}

/// The value of a `NAME = VALUE` field.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldValue {
    /// A quoted text (a file name), without quotes, with the span of the literal.
    Text(String, Span),
    /// `file("edges.csv")`: the file name, with the span of the whole call.
    File(String, Span),
    Expr(Expr),
}
