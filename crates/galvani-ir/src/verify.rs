//! `Model::verify`: the invariants every stage may rely on after `check`, re-established
//! from scratch (a failure is a bug in galvani, never a user error). Checked:
//!
//! - every id is in range, and every child id is smaller than its parent's (so a forward
//!   pass over the arena meets children first);
//! - every node's stored dimension equals the one recomputed from its operator and its
//!   operands' stored dimensions, booleans appear only where conditions belong, and a
//!   dimensioned base of `^`/`pow` has a constant rational exponent;
//! - params refer only to earlier params; input defaults only to params; intermediates
//!   only to earlier intermediates; `init_order` is a permutation of the states in which
//!   every initial value uses only states before it (through intermediates, too);
//! - declared units have the dimension of their values; `dX/dt` has dim(X)/time, gate
//!   fields, actions and refractory periods have their required dimensions; a
//!   dimensionless model has no dimension anywhere.
//!
//! Linear in the arena size (one forward pass plus one memoised walk for the init order).

use crate::builtins::DimRule;
use crate::dim::{exponent_from_f64, Dim};
use crate::eval::for_each_child;
use crate::model::{BinOp, ExprId, ExprKind, GateForm, Model};
use num_rational::Ratio;

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum VerifyError {
    #[error("{owner} refers to expression #{index}, which does not exist")]
    RootOutOfRange { owner: String, index: u32 },
    #[error("expression #{expr} refers to {what} #{index}, which does not exist")]
    RefOutOfRange {
        expr: u32,
        what: &'static str,
        index: u32,
    },
    #[error("expression #{parent} has operand #{child}, which does not precede it")]
    ChildOrder { parent: u32, child: u32 },
    #[error("expression #{expr} stores dimension {stored}, but its operands give {expected}")]
    Dimension {
        expr: u32,
        stored: Dim,
        expected: Dim,
    },
    #[error("expression #{expr}: {problem}")]
    Type { expr: u32, problem: &'static str },
    #[error("{owner}: {problem}")]
    Order { owner: String, problem: String },
    #[error("init_order is not a permutation of the {states} states")]
    InitOrderNotPermutation { states: usize },
    #[error("{owner} has dimension {found}, expected {expected}")]
    RootDimension {
        owner: String,
        found: Box<Dim>,
        expected: Box<Dim>,
    },
}

/// What the forward pass learns about each node.
#[derive(Clone, Copy)]
struct Facts {
    dim: Dim,
    boolean: bool,
    /// Largest param index referenced directly or below, or -1.
    max_param: i64,
    /// Largest intermediate index referenced directly (not through intermediates), or -1.
    max_intermediate: i64,
    /// Refers to an input, a state, an intermediate or `t` (so it is not constant).
    varies: bool,
    /// Refers to a state, an intermediate or `t` (so it is not a valid input default).
    state_like: bool,
}

impl Model {
    /// Checks the invariants listed in the module documentation.
    pub fn verify(&self) -> Result<(), VerifyError> {
        self.check_roots_in_range()?;
        let facts = self.forward_pass()?;
        self.check_declarations(&facts)?;
        self.check_init_order()?;
        Ok(())
    }

    fn roots(&self) -> Vec<(String, ExprId)> {
        let mut roots = Vec::new();
        for p in &self.params {
            roots.push((format!("param {}", p.name), p.value));
        }
        for i in &self.inputs {
            roots.push((format!("input {}", i.name), i.default));
        }
        for s in &self.states {
            roots.push((format!("initial value of {}", s.name), s.init));
            roots.push((format!("d{}/dt", s.name), s.derivative));
            for term in &s.noise {
                roots.push((format!("noise factor in d{}/dt", s.name), term.scale));
            }
            match &s.gate {
                Some(GateForm::AlphaBeta { alpha, beta }) => {
                    roots.push((format!("alpha of gate {}", s.name), *alpha));
                    roots.push((format!("beta of gate {}", s.name), *beta));
                }
                Some(GateForm::InfTau { inf, tau }) => {
                    roots.push((format!("inf of gate {}", s.name), *inf));
                    roots.push((format!("tau of gate {}", s.name), *tau));
                }
                None => {}
            }
        }
        for m in &self.intermediates {
            roots.push((format!("intermediate {}", m.name), m.value));
        }
        for (k, e) in self.events.iter().enumerate() {
            roots.push((format!("condition of event {k}"), e.condition));
            if let Some(rate) = e.hazard {
                roots.push((format!("hazard rate of event {k}"), rate));
            }
            for a in &e.actions {
                roots.push((format!("action of event {k}"), a.value));
            }
            if let Some(r) = e.refractory {
                roots.push((format!("refractory period of event {k}"), r));
            }
        }
        roots
    }

    fn check_roots_in_range(&self) -> Result<(), VerifyError> {
        for (owner, id) in self.roots() {
            if id.index() >= self.exprs.len() {
                return Err(VerifyError::RootOutOfRange { owner, index: id.0 });
            }
        }
        for e in &self.events {
            for a in &e.actions {
                if a.state.index() >= self.states.len() {
                    return Err(VerifyError::Order {
                        owner: "an event action".into(),
                        problem: format!("assigns state #{}, which does not exist", a.state.0),
                    });
                }
            }
        }
        Ok(())
    }

    fn time_dim(&self) -> Dim {
        if self.dimensionless {
            Dim::NONE
        } else {
            Dim::TIME
        }
    }

    /// One pass over the arena in id order: children are always already known.
    fn forward_pass(&self) -> Result<Vec<Facts>, VerifyError> {
        let nodes = &self.exprs.nodes;
        let mut facts: Vec<Facts> = Vec::with_capacity(nodes.len());
        for (index, node) in nodes.iter().enumerate() {
            let expr = index as u32;
            let mut children = Vec::new();
            for_each_child(&node.kind, |c| children.push(c));
            for c in &children {
                if c.0 >= expr {
                    return Err(VerifyError::ChildOrder {
                        parent: expr,
                        child: c.0,
                    });
                }
            }
            let f = |c: ExprId| facts[c.index()];
            let mut out = Facts {
                dim: Dim::NONE,
                boolean: false,
                max_param: -1,
                max_intermediate: -1,
                varies: false,
                state_like: false,
            };
            for c in &children {
                let cf = f(*c);
                out.max_param = out.max_param.max(cf.max_param);
                out.max_intermediate = out.max_intermediate.max(cf.max_intermediate);
                out.varies |= cf.varies;
                out.state_like |= cf.state_like;
            }
            let type_error = |problem| Err(VerifyError::Type { expr, problem });
            let number = |c: ExprId| -> Result<Dim, VerifyError> {
                if f(c).boolean {
                    Err(VerifyError::Type {
                        expr,
                        problem: "a condition is used as a number",
                    })
                } else {
                    Ok(f(c).dim)
                }
            };
            let condition = |c: ExprId| -> Result<(), VerifyError> {
                if f(c).boolean {
                    Ok(())
                } else {
                    Err(VerifyError::Type {
                        expr,
                        problem: "a number is used as a condition",
                    })
                }
            };
            let same = |a: Dim, b: Dim| -> Result<Dim, VerifyError> {
                if a == b {
                    Ok(a)
                } else {
                    Err(VerifyError::Type {
                        expr,
                        problem: "operands of different dimensions",
                    })
                }
            };
            let overflow = VerifyError::Type {
                expr,
                problem: "dimension exponent overflow",
            };
            let out_of_range = |what, i: u32| VerifyError::RefOutOfRange {
                expr,
                what,
                index: i,
            };
            let root_dim = |id: ExprId| nodes.get(id.index()).map(|n| n.dim);
            let expected = match &node.kind {
                ExprKind::Const(v) => {
                    if !v.is_finite() {
                        return type_error("a constant is not finite");
                    }
                    node.dim
                }
                ExprKind::Param(p) => {
                    out.max_param = out.max_param.max(i64::from(p.0));
                    let param = self
                        .params
                        .get(p.index())
                        .ok_or(out_of_range("param", p.0))?;
                    root_dim(param.value).ok_or(out_of_range("expression", param.value.0))?
                }
                ExprKind::Input(i) => {
                    out.varies = true;
                    let input = self
                        .inputs
                        .get(i.index())
                        .ok_or(out_of_range("input", i.0))?;
                    root_dim(input.default).ok_or(out_of_range("expression", input.default.0))?
                }
                ExprKind::State(s) => {
                    out.varies = true;
                    out.state_like = true;
                    self.states
                        .get(s.index())
                        .ok_or(out_of_range("state", s.0))?
                        .unit
                        .dim
                }
                ExprKind::Intermediate(m) => {
                    out.varies = true;
                    out.state_like = true;
                    out.max_intermediate = out.max_intermediate.max(i64::from(m.0));
                    let inter = self
                        .intermediates
                        .get(m.index())
                        .ok_or(out_of_range("intermediate", m.0))?;
                    root_dim(inter.value).ok_or(out_of_range("expression", inter.value.0))?
                }
                ExprKind::Time => {
                    out.varies = true;
                    out.state_like = true;
                    self.time_dim()
                }
                ExprKind::Neg(x) => number(*x)?,
                ExprKind::Not(x) => {
                    condition(*x)?;
                    out.boolean = true;
                    Dim::NONE
                }
                ExprKind::Binary(op, a, b) => match op {
                    BinOp::Add | BinOp::Sub => same(number(*a)?, number(*b)?)?,
                    BinOp::Mul => number(*a)?.checked_mul(number(*b)?).ok_or(overflow)?,
                    BinOp::Div => number(*a)?.checked_div(number(*b)?).ok_or(overflow)?,
                    BinOp::Pow => self.power_dim(expr, number(*a)?, *b, number(*b)?)?,
                    BinOp::And | BinOp::Or => {
                        condition(*a)?;
                        condition(*b)?;
                        out.boolean = true;
                        Dim::NONE
                    }
                    _ => {
                        same(number(*a)?, number(*b)?)?;
                        out.boolean = true;
                        Dim::NONE
                    }
                },
                ExprKind::If(c, a, b) => {
                    condition(*c)?;
                    same(number(*a)?, number(*b)?)?
                }
                ExprKind::Call(func, args) => {
                    if args.len() != func.arity() {
                        return type_error("a built-in called with the wrong number of arguments");
                    }
                    let x = number(args[0])?;
                    match func.spec().dims {
                        DimRule::SquareRoot => x.checked_pow(Ratio::new(1, 2)).ok_or(overflow)?,
                        DimRule::SameAsArguments => {
                            let mut common = x;
                            for a in &args[1..] {
                                common = same(common, number(*a)?)?;
                            }
                            common
                        }
                        DimRule::Power => self.power_dim(expr, x, args[1], number(args[1])?)?,
                        DimRule::SignOfArgument => Dim::NONE,
                        DimRule::Dimensionless => {
                            for a in args {
                                if !number(*a)?.is_none() {
                                    return type_error(
                                        "a transcendental function of a dimensioned value",
                                    );
                                }
                            }
                            Dim::NONE
                        }
                    }
                }
            };
            if expected != node.dim {
                return Err(VerifyError::Dimension {
                    expr,
                    stored: node.dim,
                    expected,
                });
            }
            if self.dimensionless && !node.dim.is_none() {
                return type_error("a dimension in a dimensionless model");
            }
            out.dim = expected;
            facts.push(out);
        }
        Ok(facts)
    }

    /// `[base]^p`: a dimensionless base takes any dimensionless exponent; a dimensioned
    /// base needs a constant exponent that is a small rational (`Const(0.333…)` = 1/3).
    fn power_dim(
        &self,
        expr: u32,
        base: Dim,
        exponent: ExprId,
        exponent_dim: Dim,
    ) -> Result<Dim, VerifyError> {
        let bad = |problem| VerifyError::Type { expr, problem };
        if !exponent_dim.is_none() {
            return Err(bad("a dimensioned exponent"));
        }
        if base.is_none() {
            return Ok(Dim::NONE);
        }
        let ExprKind::Const(v) = self.exprs.kind(exponent) else {
            return Err(bad("a dimensioned base with a non-constant exponent"));
        };
        let p = exponent_from_f64(*v).ok_or(bad("an exponent that is not a small rational"))?;
        base.checked_pow(p)
            .ok_or(bad("dimension exponent overflow"))
    }

    fn check_declarations(&self, facts: &[Facts]) -> Result<(), VerifyError> {
        let nodes = &self.exprs.nodes;
        let numeric = |owner: &str, id: ExprId| -> Result<Dim, VerifyError> {
            if facts[id.index()].boolean {
                return Err(VerifyError::Order {
                    owner: owner.to_string(),
                    problem: "is a condition, not a number".into(),
                });
            }
            Ok(nodes[id.index()].dim)
        };
        let expect = |owner: String, found: Dim, expected: Dim| {
            if found == expected {
                Ok(())
            } else {
                Err(VerifyError::RootDimension {
                    owner,
                    found: Box::new(found),
                    expected: Box::new(expected),
                })
            }
        };
        let time = self.time_dim();
        let per_time = |d: Dim| {
            if self.dimensionless {
                Some(Dim::NONE)
            } else {
                d.checked_div(Dim::TIME)
            }
        };
        let order = |owner: String, problem: String| Err(VerifyError::Order { owner, problem });

        for (k, p) in self.params.iter().enumerate() {
            let owner = format!("param {}", p.name);
            let f = facts[p.value.index()];
            if f.varies {
                return order(owner, "is not constant".into());
            }
            if f.max_param >= k as i64 {
                return order(
                    owner,
                    format!("refers to param #{}, which is not earlier", f.max_param),
                );
            }
            let d = numeric(&owner, p.value)?;
            expect(format!("the unit of {owner}"), p.unit.dim, d)?;
        }
        for i in &self.inputs {
            let owner = format!("input {}", i.name);
            let f = facts[i.default.index()];
            if f.state_like || f.varies {
                return order(
                    owner,
                    "default refers to something other than params".into(),
                );
            }
            let d = numeric(&owner, i.default)?;
            expect(format!("the unit of {owner}"), i.unit.dim, d)?;
        }
        for (k, m) in self.intermediates.iter().enumerate() {
            let owner = format!("intermediate {}", m.name);
            let f = facts[m.value.index()];
            if f.max_intermediate >= k as i64 {
                return order(
                    owner,
                    format!(
                        "refers to intermediate #{}, which is not earlier",
                        f.max_intermediate
                    ),
                );
            }
            let d = numeric(&owner, m.value)?;
            expect(format!("the unit of {owner}"), m.unit.dim, d)?;
        }
        for s in &self.states {
            let init = numeric(&format!("initial value of {}", s.name), s.init)?;
            expect(format!("initial value of {}", s.name), init, s.unit.dim)?;
            let deriv = numeric(&format!("d{}/dt", s.name), s.derivative)?;
            let wanted = per_time(s.unit.dim).ok_or(VerifyError::Order {
                owner: s.name.clone(),
                problem: "dimension exponent overflow".into(),
            })?;
            expect(format!("d{}/dt", s.name), deriv, wanted)?;
            for term in &s.noise {
                let owner = format!("noise factor in d{}/dt", s.name);
                if term.noise.index() >= self.noises.len() {
                    return Err(VerifyError::Order {
                        owner,
                        problem: format!("noise #{} out of range", term.noise.0),
                    });
                }
                if self.reads_a_state(term.scale) {
                    return Err(VerifyError::Order {
                        owner,
                        problem: "reads a state".into(),
                    });
                }
                // g·ξ has the dimension of dX/dt and ξ has time^(-1/2): g is X/time^(1/2).
                let g = numeric(&owner, term.scale)?;
                if let Some(expected) = wanted.checked_div(self.noise_dim()) {
                    expect(owner, g, expected)?;
                }
            }
            if let Some(gate) = &s.gate {
                expect(format!("gate {}", s.name), s.unit.dim, Dim::NONE)?;
                let rate = per_time(Dim::NONE).unwrap_or(Dim::NONE);
                match gate {
                    GateForm::AlphaBeta { alpha, beta } => {
                        expect(
                            format!("alpha of gate {}", s.name),
                            nodes[alpha.index()].dim,
                            rate,
                        )?;
                        expect(
                            format!("beta of gate {}", s.name),
                            nodes[beta.index()].dim,
                            rate,
                        )?;
                    }
                    GateForm::InfTau { inf, tau } => {
                        expect(
                            format!("inf of gate {}", s.name),
                            nodes[inf.index()].dim,
                            Dim::NONE,
                        )?;
                        expect(
                            format!("tau of gate {}", s.name),
                            nodes[tau.index()].dim,
                            time,
                        )?;
                    }
                }
            }
        }
        for (k, e) in self.events.iter().enumerate() {
            if !facts[e.condition.index()].boolean {
                return order(format!("event {k}"), "condition is not a condition".into());
            }
            for a in &e.actions {
                let owner = format!(
                    "action on {} in event {k}",
                    self.states[a.state.index()].name
                );
                let d = numeric(&owner, a.value)?;
                expect(owner, d, self.states[a.state.index()].unit.dim)?;
            }
            if let Some(r) = e.refractory {
                let owner = format!("refractory period of event {k}");
                let d = numeric(&owner, r)?;
                expect(owner, d, time)?;
            }
        }
        Ok(())
    }

    /// `init_order` is a permutation, and each state's initial value refers (directly or
    /// through intermediates) only to states earlier in it. One memoised walk: `latest`
    /// of a node is the largest init position among the states it reaches.
    fn check_init_order(&self) -> Result<(), VerifyError> {
        let n = self.states.len();
        let mut position = vec![usize::MAX; n];
        if self.init_order.len() != n {
            return Err(VerifyError::InitOrderNotPermutation { states: n });
        }
        for (k, s) in self.init_order.iter().enumerate() {
            match position.get_mut(s.index()) {
                Some(slot) if *slot == usize::MAX => *slot = k,
                _ => return Err(VerifyError::InitOrderNotPermutation { states: n }),
            }
        }
        const UNSEEN: i64 = -2;
        const IN_PROGRESS: i64 = -3;
        let mut latest = vec![UNSEEN; self.exprs.len()];
        for (k, s) in self.init_order.iter().enumerate() {
            let state = &self.states[s.index()];
            let mut stack = vec![(state.init, false)];
            while let Some((id, ready)) = stack.pop() {
                let node = &self.exprs.nodes[id.index()];
                let mut next = Vec::new();
                for_each_child(&node.kind, |c| next.push(c));
                if let ExprKind::Intermediate(m) = node.kind {
                    next.push(self.intermediates[m.index()].value);
                }
                if !ready {
                    match latest[id.index()] {
                        UNSEEN => {
                            latest[id.index()] = IN_PROGRESS;
                            stack.push((id, true));
                            stack.extend(next.into_iter().map(|c| (c, false)));
                        }
                        IN_PROGRESS => {
                            return Err(VerifyError::Order {
                                owner: format!("initial value of {}", state.name),
                                problem: "intermediates refer to each other in a cycle".into(),
                            })
                        }
                        _ => {}
                    }
                    continue;
                }
                let mut value = next
                    .iter()
                    .map(|c| latest[c.index()])
                    .max()
                    .unwrap_or(-1)
                    .max(-1);
                if let ExprKind::State(t) = node.kind {
                    value = value.max(position[t.index()] as i64);
                }
                latest[id.index()] = value;
            }
            if latest[state.init.index()] >= k as i64 {
                return Err(VerifyError::Order {
                    owner: format!("initial value of {}", state.name),
                    problem: "uses a state that init_order initialises later".into(),
                });
            }
        }
        Ok(())
    }
}
