//! Symbolic differentiation `∂e/∂s` of DAG expressions, for every node kind, through the
//! simplifying constructors (memoised per `(node, symbol)`). A built-in's derivative is
//! data in the built-in table (`galvani_ir::builtins`); this file turns it into nodes.
//! Intermediates were substituted when the model was lowered, so dependence through
//! them counts.

use crate::dag::{Dag, Node, NodeId, Sym};
use galvani_ir::builtins::{Derivative, Formula};
use galvani_ir::step::Func;
use galvani_ir::{BinOp, Builtin, Dim};

impl Dag {
    /// `∂id/∂wrt`, simplified. Its dimension is `dim(id)/dim(wrt)`.
    pub(crate) fn diff(&mut self, id: NodeId, wrt: Sym) -> NodeId {
        if let Some(&done) = self.derivatives.get(&(id, wrt)) {
            return done;
        }
        if !self.depends_on(id, wrt) {
            let dim = self
                .dim(id)
                .checked_div(self.sym_dim(wrt))
                .unwrap_or(Dim::NONE);
            return self.zero(dim);
        }
        let node = self.node(id).clone();
        let result = match node {
            // ∂s/∂s = 1 (a symbol that is not `wrt` does not depend on it)
            Node::Const(..) | Node::Sym(_) => self.one(),
            // (f + g)' = f' + g'
            Node::Add(terms) => {
                let parts: Vec<NodeId> = terms.iter().map(|t| self.diff(*t, wrt)).collect();
                self.add(parts)
            }
            // (f·g·h)' = f'·g·h + f·g'·h + f·g·h'
            Node::Mul(factors) => {
                let mut parts = Vec::new();
                for (i, &f) in factors.iter().enumerate() {
                    if !self.depends_on(f, wrt) {
                        continue;
                    }
                    let mut product = factors.clone();
                    product[i] = self.diff(f, wrt);
                    parts.push(self.mul(product));
                }
                self.add(parts)
            }
            Node::Pow(base, exponent) => self.diff_pow(id, base, exponent, wrt),
            Node::Call(func, args) => self.diff_call(id, func, &args, wrt),
            // (if c then a else b)' = if c then a' else b'   (the condition is unchanged)
            Node::If(condition, then, otherwise) => {
                let d_then = self.diff(then, wrt);
                let d_otherwise = self.diff(otherwise, wrt);
                self.ite(condition, d_then, d_otherwise)
            }
            // booleans are piecewise constant
            Node::Logic(..) | Node::Not(_) => self.zero(Dim::NONE),
        };
        self.derivatives.insert((id, wrt), result);
        result
    }

    fn diff_pow(&mut self, id: NodeId, base: NodeId, exponent: NodeId, wrt: Sym) -> NodeId {
        let base_varies = self.depends_on(base, wrt);
        let exponent_varies = self.depends_on(exponent, wrt);
        let d_base = self.diff(base, wrt);
        if !exponent_varies {
            // (b^e)' = e·b^(e−1)·b'
            let minus_one = self.constant(-1.0, Dim::NONE);
            let lowered = self.add(vec![exponent, minus_one]);
            let power = self.pow(base, lowered);
            return self.mul(vec![exponent, power, d_base]);
        }
        let d_exponent = self.diff(exponent, wrt);
        let log_base = self.call(Func::Builtin(Builtin::Log), vec![base]);
        if !base_varies {
            // (b^e)' = b^e·log(b)·e'
            return self.mul(vec![id, log_base, d_exponent]);
        }
        // (b^e)' = b^e·(e'·log b + e·b'/b)
        let first = self.mul(vec![d_exponent, log_base]);
        let inverse = self.powf(base, -1.0);
        let second = self.mul(vec![exponent, d_base, inverse]);
        let sum = self.add(vec![first, second]);
        self.mul(vec![id, sum])
    }

    fn diff_call(&mut self, id: NodeId, func: Func, args: &[NodeId], wrt: Sym) -> NodeId {
        match (func.spec().derivative, args) {
            (Derivative::OfPicked(op), &[a, b]) => {
                // min(a, b)' = if a <= b then a' else b';  max with >=
                let condition = self.logic(op, a, b);
                let da = self.diff(a, wrt);
                let db = self.diff(b, wrt);
                self.ite(condition, da, db)
            }
            (Derivative::Power, &[base, exponent]) => self.diff_pow(id, base, exponent, wrt),
            // piecewise constant: 0 (with the dimension of ∂f/∂wrt) off the jump, and
            // taken as 0 at it
            (Derivative::PiecewiseConstant, _) => {
                let dim = self
                    .dim(id)
                    .checked_div(self.sym_dim(wrt))
                    .unwrap_or(Dim::NONE);
                self.zero(dim)
            }
            (Derivative::Chain(outer), &[u]) => {
                // chain rule: f(u)' = f'(u)·u'
                let outer = self.formula(outer, id, u);
                let du = self.diff(u, wrt);
                self.mul(vec![outer, du])
            }
            // A call with the wrong number of arguments (rejected before it gets here).
            _ => self.zero(Dim::NONE),
        }
    }

    /// Builds the table's formula for `f'(u)`, where `id = f(u)`: children first, left to
    /// right, through the simplifying constructors (so the same nodes in the same order
    /// each time). E.g. `tanh'`, `1 + (−1)·f(u)^2`, at `id = tanh(V)` gives `1 − tanh(V)^2`.
    fn formula(&mut self, formula: &Formula, id: NodeId, u: NodeId) -> NodeId {
        match *formula {
            Formula::Arg => u,
            Formula::Result => id,
            Formula::Const(c) => self.constant(c, Dim::NONE),
            Formula::ZeroLikeArg => self.zero(self.dim(u)),
            Formula::Call(func, arg) => {
                let arg = self.formula(arg, id, u);
                self.call(func, vec![arg])
            }
            Formula::Sum(terms) => {
                let terms = terms.iter().map(|t| self.formula(t, id, u)).collect();
                self.add(terms)
            }
            Formula::Product(factors) => {
                let factors = factors.iter().map(|f| self.formula(f, id, u)).collect();
                self.mul(factors)
            }
            Formula::Neg(a) => {
                let a = self.formula(a, id, u);
                self.neg(a)
            }
            Formula::Difference(a, b) => {
                let a = self.formula(a, id, u);
                let b = self.formula(b, id, u);
                self.sub(a, b)
            }
            Formula::Power(base, k) => {
                let base = self.formula(base, id, u);
                self.powf(base, k)
            }
            Formula::Less(a, b) => {
                let a = self.formula(a, id, u);
                let b = self.formula(b, id, u);
                self.logic(BinOp::Lt, a, b)
            }
            Formula::If(c, a, b) => {
                let c = self.formula(c, id, u);
                let a = self.formula(a, id, u);
                let b = self.formula(b, id, u);
                self.ite(c, a, b)
            }
            Formula::SeriesBelow {
                below,
                series,
                otherwise,
            } => {
                let series = self.polynomial(u, series);
                let otherwise = self.formula(otherwise, id, u);
                self.series_switch(u, below, series, otherwise)
            }
        }
    }

    /// `if abs(x) < threshold then series else quotient`.
    fn series_switch(
        &mut self,
        x: NodeId,
        threshold: f64,
        series: NodeId,
        quotient: NodeId,
    ) -> NodeId {
        let magnitude = self.call(Func::Builtin(Builtin::Abs), vec![x]);
        let limit = self.constant(threshold, Dim::NONE);
        let small = self.logic(BinOp::Lt, magnitude, limit);
        self.ite(small, series, quotient)
    }

    /// `Σ cₖ·xᵏ` (dimensionless `x`).
    fn polynomial(&mut self, x: NodeId, coefficients: &[f64]) -> NodeId {
        let mut terms = Vec::new();
        for (k, &c) in coefficients.iter().enumerate() {
            if c == 0.0 {
                continue;
            }
            let coefficient = self.constant(c, Dim::NONE);
            let power = self.powf(x, k as f64);
            terms.push(self.mul(vec![coefficient, power]));
        }
        self.add(terms)
    }
}
