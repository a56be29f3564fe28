//! The reference evaluator of a checked `ir::Model`: evaluates expressions in internal
//! units from given params, inputs, states, intermediates and `t`. The JIT is tested
//! against it, and `galvani explain` uses it for initial values.
//!
//! Evaluation is iterative (an explicit post-order stack, never recursion), memoised per
//! call so a DAG of shared nodes costs its number of nodes, and never panics: an id out of
//! range, or a child id not smaller than its parent's (which `verify` rejects), gives NaN.
//! Booleans are 1.0 / 0.0.

use crate::model::{BinOp, ExprId, ExprKind, Model, StateId};

/// Everything an expression can refer to, in internal units, indexed by id.
#[derive(Clone, Copy, Debug)]
pub struct Values<'a> {
    pub params: &'a [f64],
    pub inputs: &'a [f64],
    pub states: &'a [f64],
    pub intermediates: &'a [f64],
    pub t: f64,
}

/// Evaluates one expression. For many evaluations on one model, an [`Evaluator`] reuses
/// its memo table.
pub fn eval(model: &Model, expr: ExprId, values: &Values) -> f64 {
    Evaluator::new(model).eval(expr, values)
}

fn truth(x: bool) -> f64 {
    if x {
        1.0
    } else {
        0.0
    }
}

/// A reusable evaluator for one model: memo slots for every arena node, invalidated per
/// evaluation by a generation stamp (so an evaluation costs only the nodes it reaches).
pub struct Evaluator<'m> {
    model: &'m Model,
    stamp: Vec<u32>,
    value: Vec<f64>,
    generation: u32,
    stack: Vec<(ExprId, bool)>,
}

impl<'m> Evaluator<'m> {
    pub fn new(model: &'m Model) -> Evaluator<'m> {
        let n = model.exprs.len();
        Evaluator {
            model,
            stamp: vec![0; n],
            value: vec![0.0; n],
            generation: 0,
            stack: Vec::new(),
        }
    }

    fn known(&self, id: ExprId) -> Option<f64> {
        match self.stamp.get(id.index()) {
            Some(s) if *s == self.generation => Some(self.value[id.index()]),
            _ => None,
        }
    }

    /// A child's value; NaN when the child does not precede its parent (malformed arena).
    fn child(&self, parent: ExprId, child: ExprId) -> f64 {
        if child.0 >= parent.0 {
            return f64::NAN;
        }
        self.known(child).unwrap_or(f64::NAN)
    }

    /// Evaluates `root`: post-order over the reachable nodes, children (which always have
    /// smaller ids) before parents, each node once.
    pub fn eval(&mut self, root: ExprId, values: &Values) -> f64 {
        if root.index() >= self.stamp.len() {
            return f64::NAN;
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.generation = 1;
        }
        self.stack.clear();
        self.stack.push((root, false));
        while let Some((id, ready)) = self.stack.pop() {
            if self.known(id).is_some() {
                continue;
            }
            let kind = &self.model.exprs.nodes[id.index()].kind;
            if !ready {
                self.stack.push((id, true));
                for_each_child(kind, |c| {
                    if c.0 < id.0 && self.known(c).is_none() {
                        self.stack.push((c, false));
                    }
                });
                continue;
            }
            let v = self.compute(id, kind, values);
            self.value[id.index()] = v;
            self.stamp[id.index()] = self.generation;
        }
        self.known(root).unwrap_or(f64::NAN)
    }

    fn compute(&self, id: ExprId, kind: &ExprKind, values: &Values) -> f64 {
        let get = |slice: &[f64], i: usize| slice.get(i).copied().unwrap_or(f64::NAN);
        let c = |child: ExprId| self.child(id, child);
        match kind {
            ExprKind::Const(v) => *v,
            ExprKind::Param(p) => get(values.params, p.index()),
            ExprKind::Input(i) => get(values.inputs, i.index()),
            ExprKind::State(s) => get(values.states, s.index()),
            ExprKind::Intermediate(m) => get(values.intermediates, m.index()),
            ExprKind::Time => values.t,
            ExprKind::Neg(x) => -c(*x),
            ExprKind::Not(x) => truth(c(*x) == 0.0),
            ExprKind::Binary(op, a, b) => {
                let (a, b) = (c(*a), c(*b));
                match op {
                    BinOp::Add => a + b,
                    BinOp::Sub => a - b,
                    BinOp::Mul => a * b,
                    BinOp::Div => a / b,
                    BinOp::Pow => a.powf(b),
                    BinOp::Lt => truth(a < b),
                    BinOp::Le => truth(a <= b),
                    BinOp::Gt => truth(a > b),
                    BinOp::Ge => truth(a >= b),
                    BinOp::Eq => truth(a == b),
                    BinOp::Ne => truth(a != b),
                    BinOp::And => truth(a != 0.0 && b != 0.0),
                    BinOp::Or => truth(a != 0.0 || b != 0.0),
                }
            }
            ExprKind::If(cond, a, b) => {
                if c(*cond) != 0.0 {
                    c(*a)
                } else {
                    c(*b)
                }
            }
            // The table's value function: the same bits as the JIT and the interpreter.
            ExprKind::Call(f, args) => {
                let value = f.spec().value;
                match args.as_slice() {
                    [x] => value.call(&[c(*x)]),
                    [x, y] => value.call(&[c(*x), c(*y)]),
                    _ => f64::NAN,
                }
            }
        }
    }
}

/// Calls `f` on every direct child of a node, in operand order.
pub fn for_each_child(kind: &ExprKind, mut f: impl FnMut(ExprId)) {
    match kind {
        ExprKind::Const(_)
        | ExprKind::Param(_)
        | ExprKind::Input(_)
        | ExprKind::State(_)
        | ExprKind::Intermediate(_)
        | ExprKind::Time => {}
        ExprKind::Neg(x) | ExprKind::Not(x) => f(*x),
        ExprKind::Binary(_, a, b) => {
            f(*a);
            f(*b);
        }
        ExprKind::If(c, a, b) => {
            f(*c);
            f(*a);
            f(*b);
        }
        ExprKind::Call(_, args) => args.iter().for_each(|a| f(*a)),
    }
}

impl Model {
    /// The declared param values, in `params` order (each refers only to earlier ones).
    pub fn param_values(&self) -> Vec<f64> {
        let mut ev = Evaluator::new(self);
        let mut out = Vec::with_capacity(self.params.len());
        for p in &self.params {
            let v = ev.eval(
                p.value,
                &Values {
                    params: &out,
                    inputs: &[],
                    states: &[],
                    intermediates: &[],
                    t: 0.0,
                },
            );
            out.push(v);
        }
        out
    }

    /// The default value of every input, from the given param values.
    pub fn input_defaults(&self, params: &[f64]) -> Vec<f64> {
        let mut ev = Evaluator::new(self);
        let values = Values {
            params,
            inputs: &[],
            states: &[],
            intermediates: &[],
            t: 0.0,
        };
        self.inputs
            .iter()
            .map(|i| ev.eval(i.default, &values))
            .collect()
    }

    /// Every intermediate, in dependency order, at one point of the state space.
    pub fn intermediate_values(
        &self,
        params: &[f64],
        inputs: &[f64],
        states: &[f64],
        t: f64,
    ) -> Vec<f64> {
        let mut ev = Evaluator::new(self);
        let mut out = Vec::with_capacity(self.intermediates.len());
        for m in &self.intermediates {
            let v = ev.eval(
                m.value,
                &Values {
                    params,
                    inputs,
                    states,
                    intermediates: &out,
                    t,
                },
            );
            out.push(v);
        }
        out
    }

    /// The initial state at `t = 0`: each state's `init` in `init_order`. An init that
    /// uses an intermediate gets it computed on demand from the states initialised so far
    /// (the checker's ordering guarantees those are all it needs); each intermediate is
    /// computed at most once. States not yet initialised read as NaN.
    pub fn initial_state(&self, params: &[f64], inputs: &[f64]) -> Vec<f64> {
        let mut ev = Evaluator::new(self);
        let mut states = vec![f64::NAN; self.states.len()];
        let mut intermediates = vec![f64::NAN; self.intermediates.len()];
        let mut computed = vec![false; self.intermediates.len()];
        let mut seen = vec![false; self.exprs.len()];
        for &StateId(s) in &self.init_order {
            let Some(state) = self.states.get(s as usize) else {
                continue;
            };
            // The intermediates this init needs, transitively, not yet computed.
            let mut needed: Vec<usize> = Vec::new();
            let mut stack = vec![state.init];
            while let Some(id) = stack.pop() {
                let Some(node) = self.exprs.nodes.get(id.index()) else {
                    continue;
                };
                if std::mem::replace(&mut seen[id.index()], true) {
                    continue;
                }
                if let ExprKind::Intermediate(m) = node.kind {
                    if let Some(inter) = self.intermediates.get(m.index()) {
                        if !computed[m.index()] {
                            computed[m.index()] = true;
                            needed.push(m.index());
                            stack.push(inter.value);
                        }
                    }
                }
                for_each_child(&node.kind, |c| stack.push(c));
            }
            // Intermediates are in dependency order: ascending index is a valid order.
            needed.sort_unstable();
            for m in needed {
                let v = ev.eval(
                    self.intermediates[m].value,
                    &Values {
                        params,
                        inputs,
                        states: &states,
                        intermediates: &intermediates,
                        t: 0.0,
                    },
                );
                intermediates[m] = v;
            }
            states[s as usize] = ev.eval(
                state.init,
                &Values {
                    params,
                    inputs,
                    states: &states,
                    intermediates: &intermediates,
                    t: 0.0,
                },
            );
        }
        states
    }

    /// `dX/dt` for every state, in `states` order.
    pub fn derivatives(&self, params: &[f64], inputs: &[f64], states: &[f64], t: f64) -> Vec<f64> {
        let intermediates = self.intermediate_values(params, inputs, states, t);
        let mut ev = Evaluator::new(self);
        let values = Values {
            params,
            inputs,
            states,
            intermediates: &intermediates,
            t,
        };
        self.states
            .iter()
            .map(|s| ev.eval(s.derivative, &values))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dim::Dim;
    use crate::model::{Builtin, ExprArena};
    use galvani_diag::Span;

    fn model_with(exprs: ExprArena) -> Model {
        Model {
            name: "m".into(),
            description: None,
            dimensionless: true,
            exprs,
            params: vec![],
            inputs: vec![],
            states: vec![],
            intermediates: vec![],
            events: vec![],
            init_order: vec![],
            noises: vec![],
        }
    }

    const NO: Values<'static> = Values {
        params: &[],
        inputs: &[],
        states: &[],
        intermediates: &[],
        t: 0.0,
    };

    #[test]
    fn evaluates_shared_dags_once_and_never_panics() {
        // x = 2; each level doubles: y_k = y_{k-1} + y_{k-1}; 200 levels would be 2^200
        // tree nodes but is 201 DAG nodes.
        let mut a = ExprArena::default();
        let mut y = a.add(ExprKind::Const(1.0), Span::default(), Dim::NONE);
        for _ in 0..200 {
            y = a.add(
                ExprKind::Binary(BinOp::Add, y, y),
                Span::default(),
                Dim::NONE,
            );
        }
        let m = model_with(a);
        assert_eq!(eval(&m, y, &NO), 2f64.powi(200));
        assert!(eval(&m, ExprId(10_000), &NO).is_nan());
    }

    #[test]
    fn malformed_child_order_gives_nan() {
        let mut a = ExprArena::default();
        // node 0 refers to node 1: a forward reference
        a.add(ExprKind::Neg(ExprId(1)), Span::default(), Dim::NONE);
        a.add(ExprKind::Const(3.0), Span::default(), Dim::NONE);
        let m = model_with(a);
        assert!(eval(&m, ExprId(0), &NO).is_nan());
    }

    #[test]
    fn booleans_and_branches() {
        let mut a = ExprArena::default();
        let s = Span::default();
        let one = a.add(ExprKind::Const(1.0), s, Dim::NONE);
        let two = a.add(ExprKind::Const(2.0), s, Dim::NONE);
        let lt = a.add(ExprKind::Binary(BinOp::Lt, one, two), s, Dim::NONE);
        let not = a.add(ExprKind::Not(lt), s, Dim::NONE);
        let pick = a.add(ExprKind::If(not, one, two), s, Dim::NONE);
        let min = a.add(ExprKind::Call(Builtin::Min, vec![one, two]), s, Dim::NONE);
        let m = model_with(a);
        assert_eq!(eval(&m, lt, &NO), 1.0);
        assert_eq!(eval(&m, not, &NO), 0.0);
        assert_eq!(eval(&m, pick, &NO), 2.0);
        assert_eq!(eval(&m, min, &NO), 1.0);
    }
}
