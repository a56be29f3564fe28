//! The hash-consed expression DAG: galvani's own symbolic representation. Every node is
//! interned once (`HashMap<Node, NodeId>`), so structurally equal expressions are the
//! same `NodeId` and common subexpressions are shared by construction. Node ids are
//! handed out in interning order, which is deterministic (no hash order leaks anywhere).
//!
//! Representation: `a − b` is `a + (−1)·b`, `a / b` is `a · b^(−1)`, `−a` is `(−1)·a`;
//! sums and products are n-ary with their operands in a canonical, structural order
//! (see [`Dag::cmp_struct`]) that does not depend on the order nodes were created in.
//! Each node carries its physical dimension, its tree size, its depth and the sorted set
//! of symbols it depends on, all computed once when it is interned.
//!
//! The rewrite rules live in `simplify.rs`, differentiation in `diff.rs`.

use galvani_ir::builtins::DimRule;
use galvani_ir::dim::exponent_from_f64;
use galvani_ir::step::Func;
use galvani_ir::{BinOp, Builtin, Dim};
use std::cmp::Ordering;
use std::collections::HashMap;

/// Index of a node in its [`Dag`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

impl NodeId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A field of a gate, used as a named placeholder (`α_m`, `β_m`, `m∞`, `τ_m`) in the
/// teaching forms of a gate's `A` and `B`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GateField {
    Alpha,
    Beta,
    Inf,
    Tau,
}

/// A leaf that is not a number. The derived order (params, inputs, gate fields, states,
/// time, …, each
/// by index, i.e. declaration order) is the order in which products list their factors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sym {
    Param(u32),
    Input(u32),
    /// A gate's named rate or field (only in teaching forms, never in a step program);
    /// ordered before states so that `β_m·m` reads as in textbooks.
    Gate(u32, GateField),
    State(u32),
    /// Simulated time `t`.
    Time,
    /// The step size (only in update rules).
    Dt,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Node {
    /// A constant in internal units: its `f64` bits (`-0.0` is stored as `0.0`) and its
    /// dimension, so that `40 mV` and `40` are different nodes.
    Const(u64, Dim),
    Sym(Sym),
    /// n-ary sum, at least two terms in canonical order (after simplification).
    Add(Vec<NodeId>),
    /// n-ary product, at least two factors, the constant coefficient first.
    Mul(Vec<NodeId>),
    Pow(NodeId, NodeId),
    /// A built-in (never `Builtin::Pow`, which becomes `Pow`) or `φ`.
    Call(Func, Vec<NodeId>),
    /// `if c then a else b`
    If(NodeId, NodeId, NodeId),
    /// A comparison, `and` or `or` (result 1.0/0.0).
    Logic(BinOp, NodeId, NodeId),
    Not(NodeId),
}

/// What every node knows about itself, computed when it is interned.
#[derive(Clone, Debug)]
struct Info {
    dim: Dim,
    /// Number of nodes of the expression written out as a tree (saturating).
    size: u64,
    depth: u32,
    /// Sorted, deduplicated.
    syms: Vec<Sym>,
    facts: Facts,
}

/// What is known of a node's value for every finite value of the symbols (states, params,
/// inputs and `t` are finite whenever a step is computed: a non-finite state stops the
/// run, and params and inputs are checked), barring overflow and underflow of finite
/// arithmetic. The simplifier applies a rule that could absorb an infinity or a NaN
/// (`0·x => 0`, `x − x => 0`, `x/x => 1`) only where these facts say it cannot occur.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Facts {
    /// Never ±∞ or NaN (`log(x)` can be −∞, `1/x` can be ±∞, `sqrt(x)` NaN).
    pub finite: bool,
    /// Never 0 and never NaN (a non-zero constant, `exp(x)` of a finite `x`).
    pub nonzero: bool,
    /// Never below 0 (NaN is allowed: it is not negative): `exp`, `abs`, `sqrt`, `x²`.
    pub nonnegative: bool,
}

impl Facts {
    const NONE: Facts = Facts {
        finite: false,
        nonzero: false,
        nonnegative: false,
    };
    /// A comparison's 1.0 or 0.0.
    const BOOLEAN: Facts = Facts {
        finite: true,
        nonzero: false,
        nonnegative: true,
    };

    fn of_constant(value: f64) -> Facts {
        Facts {
            finite: value.is_finite(),
            nonzero: value != 0.0 && !value.is_nan(),
            nonnegative: value >= 0.0 || value.is_nan(),
        }
    }

    /// All of `facts` hold together (a sum or product of finite values is finite, …).
    fn all(facts: impl Iterator<Item = Facts>) -> Facts {
        facts.fold(
            Facts {
                finite: true,
                nonzero: true,
                nonnegative: true,
            },
            |acc, f| Facts {
                finite: acc.finite && f.finite,
                nonzero: acc.nonzero && f.nonzero,
                nonnegative: acc.nonnegative && f.nonnegative,
            },
        )
    }

    /// `base ^ exponent` for a constant exponent `e`.
    fn of_power(base: Facts, e: f64) -> Facts {
        let integral = e.fract() == 0.0;
        let even = integral && e.rem_euclid(2.0) == 0.0;
        if e == 0.0 {
            // x^0 = 1 for every x, NaN included
            return Facts::of_constant(1.0);
        }
        if integral {
            // x^n: finite for finite x (and non-zero x when n < 0); 1/x is never 0
            // for a finite x
            let finite = base.finite && (e > 0.0 || base.nonzero);
            let nonzero = if e > 0.0 { base.nonzero } else { base.finite };
            return Facts {
                finite,
                nonzero: nonzero && finite,
                nonnegative: base.nonnegative || even,
            };
        }
        // x^e, e not an integer: NaN for x < 0, ≥ 0 otherwise
        let positive = base.finite && base.nonzero && base.nonnegative;
        Facts {
            finite: base.finite && base.nonnegative && (e > 0.0 || base.nonzero),
            nonzero: positive,
            nonnegative: true,
        }
    }
}

/// The dimensions of the symbols of one model.
#[derive(Clone, Debug)]
pub struct SymDims {
    pub params: Vec<Dim>,
    pub inputs: Vec<Dim>,
    pub states: Vec<Dim>,
    /// `Dim::TIME`, or `Dim::NONE` in a dimensionless model.
    pub time: Dim,
}

/// One application of the removable-singularity rule, recorded by `simplify.rs`.
#[derive(Clone, Debug, PartialEq)]
pub struct SingularHit {
    /// The raw (unsimplified) node being simplified when the rule fired, if any.
    pub context: Option<NodeId>,
    /// The product before the rewrite.
    pub before: NodeId,
    /// The `exprel` form.
    pub after: NodeId,
    /// The factor `x` whose zero is the singular point.
    pub numerator: NodeId,
}

/// The expression DAG of one model.
#[derive(Clone, Debug)]
pub struct Dag {
    nodes: Vec<Node>,
    info: Vec<Info>,
    index: HashMap<Node, NodeId>,
    pub(crate) sym_dims: SymDims,
    /// Memo of `simplify`: raw node → simplified node.
    pub(crate) simplified: HashMap<NodeId, NodeId>,
    /// Memo of `diff`.
    pub(crate) derivatives: HashMap<(NodeId, Sym), NodeId>,
    /// The raw node currently being simplified (for locating singularity rewrites).
    pub(crate) context: Option<NodeId>,
    pub(crate) singular_hits: Vec<SingularHit>,
}

/// Budget of node pairs one structural comparison may visit before falling back to id
/// order (which is still deterministic): keeps sorting linear on adversarial DAGs.
const CMP_BUDGET: u32 = 4_096;

impl Dag {
    pub(crate) fn new(sym_dims: SymDims) -> Dag {
        Dag {
            nodes: Vec::new(),
            info: Vec::new(),
            index: HashMap::new(),
            sym_dims,
            simplified: HashMap::new(),
            derivatives: HashMap::new(),
            context: None,
            singular_hits: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }

    pub fn dim(&self, id: NodeId) -> Dim {
        self.info[id.index()].dim
    }

    /// Tree size (shared subexpressions counted every time they occur), saturating.
    pub fn size(&self, id: NodeId) -> u64 {
        self.info[id.index()].size
    }

    pub fn depth(&self, id: NodeId) -> u32 {
        self.info[id.index()].depth
    }

    /// The symbols `id` depends on, sorted.
    pub fn syms(&self, id: NodeId) -> &[Sym] {
        &self.info[id.index()].syms
    }

    pub fn depends_on(&self, id: NodeId, sym: Sym) -> bool {
        self.syms(id).binary_search(&sym).is_ok()
    }

    /// The value of a constant node.
    pub fn const_value(&self, id: NodeId) -> Option<f64> {
        match self.node(id) {
            Node::Const(bits, _) => Some(f64::from_bits(*bits)),
            _ => None,
        }
    }

    pub fn is_const(&self, id: NodeId, value: f64) -> bool {
        self.const_value(id) == Some(value)
    }

    /// The dimension of a symbol in this model (`Dim::NONE` for an unknown index).
    pub fn sym_dim(&self, sym: Sym) -> Dim {
        let table = &self.sym_dims;
        let rate = Dim::NONE.checked_div(table.time).unwrap_or(Dim::NONE);
        match sym {
            Sym::Param(i) => table.params.get(i as usize).copied().unwrap_or(Dim::NONE),
            Sym::Input(i) => table.inputs.get(i as usize).copied().unwrap_or(Dim::NONE),
            Sym::State(i) => table.states.get(i as usize).copied().unwrap_or(Dim::NONE),
            Sym::Time | Sym::Dt => table.time,
            Sym::Gate(_, GateField::Alpha | GateField::Beta) => rate,
            Sym::Gate(_, GateField::Inf) => Dim::NONE,
            Sym::Gate(_, GateField::Tau) => table.time,
        }
    }

    /// Interns `node` exactly as given (no rewriting): the raw form of lowered model
    /// expressions, and the final step of every simplifying constructor.
    pub(crate) fn intern(&mut self, node: Node) -> NodeId {
        if let Some(&id) = self.index.get(&node) {
            return id;
        }
        let info = self.compute_info(&node);
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(node.clone());
        self.info.push(info);
        self.index.insert(node, id);
        id
    }

    /// A constant; `-0.0` is normalised to `0.0` so that `0` has one node per dimension.
    pub(crate) fn constant(&mut self, value: f64, dim: Dim) -> NodeId {
        let value = if value == 0.0 { 0.0 } else { value };
        self.intern(Node::Const(value.to_bits(), dim))
    }

    /// Zero of the given dimension.
    pub(crate) fn zero(&mut self, dim: Dim) -> NodeId {
        self.constant(0.0, dim)
    }

    /// The dimensionless constant 1.
    pub(crate) fn one(&mut self) -> NodeId {
        self.constant(1.0, Dim::NONE)
    }

    pub(crate) fn sym(&mut self, sym: Sym) -> NodeId {
        self.intern(Node::Sym(sym))
    }

    fn compute_info(&self, node: &Node) -> Info {
        let children = children_of(node);
        let mut size: u64 = 1;
        let mut depth: u32 = 0;
        let mut syms: Vec<Sym> = Vec::new();
        for child in &children {
            let info = &self.info[child.index()];
            size = size.saturating_add(info.size);
            depth = depth.max(info.depth);
            syms.extend_from_slice(&info.syms);
        }
        if let Node::Sym(sym) = node {
            syms.push(*sym);
        }
        syms.sort_unstable();
        syms.dedup();
        Info {
            dim: self.compute_dim(node),
            size,
            depth: depth.saturating_add(1),
            syms,
            facts: self.compute_facts(node),
        }
    }

    /// What is known of a node's value (see [`Facts`]), from its children's facts.
    fn compute_facts(&self, node: &Node) -> Facts {
        let of = |id: &NodeId| self.info[id.index()].facts;
        match node {
            Node::Const(bits, _) => Facts::of_constant(f64::from_bits(*bits)),
            // A param is taken to be non-zero as well: it is a constant of the model, and
            // a model that divides by a param (`/tau_m`, `/C`) is undefined where it is 0
            // anyway; so `tau_m·x/tau_m => x` (steady states read A/B without the
            // param cancelled otherwise). So is a gate's named `τ` (a placeholder of the
            // teaching forms only, never in a step program: `m∞·τ/τ` reads `m∞`).
            // States, inputs and `t` can be 0.
            Node::Sym(sym) => Facts {
                finite: true,
                nonzero: matches!(sym, Sym::Param(_) | Sym::Gate(_, GateField::Tau)),
                nonnegative: false,
            },
            Node::Add(terms) => {
                let all = Facts::all(terms.iter().map(of));
                // a finite sum of non-negative terms, one of them positive, is positive
                // (`1 + exp(−V/k)`, the denominator of every sigmoid)
                let positive_term = terms.iter().map(of).any(|f| f.nonzero && f.nonnegative);
                Facts {
                    nonzero: all.finite && all.nonnegative && positive_term,
                    ..all
                }
            }
            Node::Mul(factors) => Facts::all(factors.iter().map(of)),
            Node::Pow(base, exponent) => match self.const_value(*exponent) {
                Some(e) => Facts::of_power(of(base), e),
                // x^y for a variable y: ≥ 0 (or NaN) when x is
                None => Facts {
                    nonnegative: of(base).nonnegative,
                    ..Facts::NONE
                },
            },
            Node::Call(func, args) => {
                let arg = args.first().map(of).unwrap_or(Facts::NONE);
                let all = Facts::all(args.iter().map(of));
                match func {
                    // exp(x) > 0 and exprel(x) > 0 for a finite x
                    Func::Builtin(Builtin::Exp | Builtin::Exprel) | Func::Phi => Facts {
                        finite: arg.finite,
                        nonzero: arg.finite,
                        nonnegative: true,
                    },
                    Func::Builtin(Builtin::Expm1) => Facts {
                        finite: arg.finite,
                        nonzero: false,
                        nonnegative: arg.nonnegative,
                    },
                    Func::Builtin(Builtin::Sqrt) => Facts::of_power(arg, 0.5),
                    Func::Builtin(Builtin::Abs) => Facts {
                        nonnegative: true,
                        ..arg
                    },
                    Func::Builtin(Builtin::Min | Builtin::Max) => Facts {
                        nonzero: false,
                        ..all
                    },
                    Func::Builtin(Builtin::Sin | Builtin::Cos | Builtin::Tanh) => Facts {
                        finite: arg.finite,
                        nonzero: false,
                        nonnegative: false,
                    },
                    // log(0) = −∞, log(−1) = NaN, log1p(−1) = −∞; pow is never a call
                    Func::Builtin(Builtin::Log | Builtin::Log1p | Builtin::Pow) => Facts::NONE,
                    // cosh(x) ≥ 1
                    Func::Builtin(Builtin::Cosh) => Facts {
                        finite: arg.finite,
                        nonzero: true,
                        nonnegative: true,
                    },
                    // odd, increasing, zero only at 0: the sign and zeros of the argument
                    Func::Builtin(Builtin::Sinh | Builtin::Atan | Builtin::Erf) => Facts {
                        finite: arg.finite,
                        ..arg
                    },
                    // 0, ½ or 1
                    Func::Builtin(Builtin::Heaviside) => Facts {
                        finite: arg.finite,
                        nonzero: false,
                        nonnegative: true,
                    },
                }
            }
            Node::If(_, then, otherwise) => Facts::all([of(then), of(otherwise)].into_iter()),
            Node::Logic(..) | Node::Not(_) => Facts::BOOLEAN,
        }
    }

    /// What is known of a node's value for finite symbols (see [`Facts`]).
    pub fn facts(&self, id: NodeId) -> Facts {
        self.info[id.index()].facts
    }

    pub(crate) fn compute_dim(&self, node: &Node) -> Dim {
        let dim_of = |id: &NodeId| self.info[id.index()].dim;
        match node {
            Node::Const(_, dim) => *dim,
            Node::Sym(sym) => self.sym_dim(*sym),
            Node::Add(terms) => terms.first().map(dim_of).unwrap_or(Dim::NONE),
            Node::Mul(factors) => factors.iter().fold(Dim::NONE, |acc, f| {
                acc.checked_mul(dim_of(f)).unwrap_or(Dim::NONE)
            }),
            Node::Pow(base, exponent) => {
                let base_dim = dim_of(base);
                if base_dim.is_none() {
                    return Dim::NONE;
                }
                self.const_value(*exponent)
                    .and_then(exponent_from_f64)
                    .and_then(|e| base_dim.checked_pow(e))
                    .unwrap_or(Dim::NONE)
            }
            Node::Call(func, args) => match func.spec().dims {
                DimRule::SameAsArguments => args.first().map(dim_of).unwrap_or(Dim::NONE),
                DimRule::SquareRoot => args
                    .first()
                    .map(dim_of)
                    .and_then(|d| d.checked_pow(exponent_from_f64(0.5)?))
                    .unwrap_or(Dim::NONE),
                // `pow` never is a call here (it becomes `Node::Pow`).
                DimRule::Dimensionless | DimRule::Power | DimRule::SignOfArgument => Dim::NONE,
            },
            Node::If(_, then, _) => dim_of(then),
            Node::Logic(..) | Node::Not(_) => Dim::NONE,
        }
    }

    /// The total structural order that makes sums and products canonical: smaller trees
    /// first, then by kind (constants, symbols, powers, products, sums, calls, …), then
    /// by value, symbol order or children. It depends only on structure, never on node
    /// ids, except after [`CMP_BUDGET`] steps (huge, nearly equal trees) where the id
    /// order (deterministic too) breaks the tie.
    pub(crate) fn cmp_struct(&self, a: NodeId, b: NodeId) -> Ordering {
        let mut budget = CMP_BUDGET;
        self.cmp_budget(a, b, &mut budget)
    }

    fn cmp_budget(&self, a: NodeId, b: NodeId, budget: &mut u32) -> Ordering {
        if a == b {
            return Ordering::Equal;
        }
        if *budget == 0 {
            return a.cmp(&b);
        }
        *budget -= 1;
        let first = self
            .size(a)
            .cmp(&self.size(b))
            .then_with(|| kind_rank(self.node(a)).cmp(&kind_rank(self.node(b))));
        if first != Ordering::Equal {
            return first;
        }
        let ordering = match (self.node(a), self.node(b)) {
            (Node::Const(x, dx), Node::Const(y, dy)) => f64::from_bits(*x)
                .total_cmp(&f64::from_bits(*y))
                .then_with(|| dx.cmp(dy)),
            (Node::Sym(x), Node::Sym(y)) => x.cmp(y),
            (Node::Call(f, xs), Node::Call(g, ys)) => {
                f.cmp(g).then_with(|| self.cmp_lists(xs, ys, budget))
            }
            (Node::Logic(p, x1, x2), Node::Logic(q, y1, y2)) => p
                .cmp(q)
                .then_with(|| self.cmp_lists(&[*x1, *x2], &[*y1, *y2], budget)),
            _ => {
                let xs = children_of(self.node(a));
                let ys = children_of(self.node(b));
                self.cmp_lists(&xs, &ys, budget)
            }
        };
        ordering.then_with(|| a.cmp(&b))
    }

    fn cmp_lists(&self, xs: &[NodeId], ys: &[NodeId], budget: &mut u32) -> Ordering {
        for (x, y) in xs.iter().zip(ys) {
            let o = self.cmp_budget(*x, *y, budget);
            if o != Ordering::Equal {
                return o;
            }
        }
        xs.len().cmp(&ys.len())
    }

    /// Evaluates `root` with `env` giving every symbol's value. Booleans are 1.0/0.0;
    /// calls use the value functions of the built-in table, as every other stage.
    pub fn eval(&self, root: NodeId, env: &dyn Fn(Sym) -> f64) -> f64 {
        let mut memo: HashMap<NodeId, f64> = HashMap::new();
        self.eval_memo(root, env, &mut memo)
    }

    /// [`Dag::eval`] sharing a memo across calls (every node's value at one point).
    pub(crate) fn eval_memo(
        &self,
        id: NodeId,
        env: &dyn Fn(Sym) -> f64,
        memo: &mut HashMap<NodeId, f64>,
    ) -> f64 {
        self.eval_inner(id, env, memo, None)
    }

    /// [`Dag::eval`] with every zero that is divided by (the base of a negative power)
    /// read with the sign of `sign`, whatever sign IEEE arithmetic gave it. The simplifier
    /// keeps values but not the signs of zeros (`y·0 => 0` is +0 where `y < 0`), so where
    /// an expression divides by zero, the infinity's sign, and what `min` or `0·x` make of
    /// it, is one of these readings (the simplifier's tests accept any of them).
    #[cfg(test)]
    pub(crate) fn eval_zero_signed(
        &self,
        root: NodeId,
        env: &dyn Fn(Sym) -> f64,
        sign: f64,
    ) -> f64 {
        self.eval_inner(root, env, &mut HashMap::new(), Some(sign))
    }

    fn eval_inner(
        &self,
        id: NodeId,
        env: &dyn Fn(Sym) -> f64,
        memo: &mut HashMap<NodeId, f64>,
        zero_sign: Option<f64>,
    ) -> f64 {
        if let Some(v) = memo.get(&id) {
            return *v;
        }
        let value = match self.node(id) {
            Node::Const(bits, _) => f64::from_bits(*bits),
            Node::Sym(sym) => env(*sym),
            Node::Add(terms) => terms
                .iter()
                .map(|t| self.eval_inner(*t, env, memo, zero_sign))
                .sum(),
            Node::Mul(factors) => factors
                .iter()
                .map(|f| self.eval_inner(*f, env, memo, zero_sign))
                .product(),
            Node::Pow(base, exponent) => {
                let b = self.eval_inner(*base, env, memo, zero_sign);
                let e = self.eval_inner(*exponent, env, memo, zero_sign);
                let b = match zero_sign {
                    Some(sign) if b == 0.0 && e < 0.0 => 0.0f64.copysign(sign),
                    _ => b,
                };
                if e == -1.0 {
                    1.0 / b
                } else {
                    b.powf(e)
                }
            }
            Node::Call(func, args) => {
                let values: Vec<f64> = args
                    .iter()
                    .map(|a| self.eval_inner(*a, env, memo, zero_sign))
                    .collect();
                func.eval(&values)
            }
            Node::If(c, a, b) => {
                if self.eval_inner(*c, env, memo, zero_sign) != 0.0 {
                    self.eval_inner(*a, env, memo, zero_sign)
                } else {
                    self.eval_inner(*b, env, memo, zero_sign)
                }
            }
            Node::Logic(op, a, b) => {
                let x = self.eval_inner(*a, env, memo, zero_sign);
                let y = self.eval_inner(*b, env, memo, zero_sign);
                apply_logic(*op, x, y)
            }
            Node::Not(a) => truth(self.eval_inner(*a, env, memo, zero_sign) == 0.0),
        };
        memo.insert(id, value);
        value
    }
}

/// The children of a node, in order.
pub fn children_of(node: &Node) -> Vec<NodeId> {
    match node {
        Node::Const(..) | Node::Sym(_) => Vec::new(),
        Node::Add(xs) | Node::Mul(xs) | Node::Call(_, xs) => xs.clone(),
        Node::Pow(a, b) | Node::Logic(_, a, b) => vec![*a, *b],
        Node::If(c, a, b) => vec![*c, *a, *b],
        Node::Not(a) => vec![*a],
    }
}

fn kind_rank(node: &Node) -> u8 {
    match node {
        Node::Const(..) => 0,
        Node::Sym(_) => 1,
        Node::Pow(..) => 2,
        Node::Mul(_) => 3,
        Node::Add(_) => 4,
        Node::Call(..) => 5,
        Node::If(..) => 6,
        Node::Logic(..) => 7,
        Node::Not(_) => 8,
    }
}

fn truth(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

/// The value of a comparison or logic operator on 1.0/0.0 booleans (arithmetic
/// operators, which never appear in `Node::Logic`, give NaN).
pub fn apply_logic(op: BinOp, x: f64, y: f64) -> f64 {
    match op {
        BinOp::Lt => truth(x < y),
        BinOp::Le => truth(x <= y),
        BinOp::Gt => truth(x > y),
        BinOp::Ge => truth(x >= y),
        BinOp::Eq => truth(x == y),
        BinOp::Ne => truth(x != y),
        BinOp::And => truth(x != 0.0 && y != 0.0),
        BinOp::Or => truth(x != 0.0 || y != 0.0),
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Pow => f64::NAN,
    }
}
