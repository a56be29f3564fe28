//! Symbolic differentiation `∂e/∂s` of DAG expressions, for every node kind and every
//! built-in, through the simplifying constructors (memoised per `(node, symbol)`).
//! Intermediates were substituted when the model was lowered, so dependence through
//! them counts.

use crate::dag::{Dag, Node, NodeId, Sym};
use galvani_ir::step::Func;
use galvani_ir::{BinOp, Builtin, Dim};

/// Below this |u| the derivative of `exprel` uses its Taylor series: the quotient form
/// loses about `ε/|u|` relative accuracy (2e-14 at the switch), the series' first
/// omitted term `u⁷/1 209 600` is below 1e-20 there.
const EXPREL_SERIES_BELOW: f64 = 0.01;
/// The same for `φ`: quotient error `ε/|x|` ≈ 2e-13, omitted term `x⁵/840` ≈ 1e-18.
const PHI_SERIES_BELOW: f64 = 1e-3;

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
        let u = args.first().copied().unwrap_or(id);
        match func {
            Func::Builtin(Builtin::Min | Builtin::Max) if args.len() == 2 => {
                // min(a, b)' = if a <= b then a' else b';  max with >=
                let (a, b) = (args[0], args[1]);
                let op = if func == Func::Builtin(Builtin::Min) {
                    BinOp::Le
                } else {
                    BinOp::Ge
                };
                let condition = self.logic(op, a, b);
                let da = self.diff(a, wrt);
                let db = self.diff(b, wrt);
                self.ite(condition, da, db)
            }
            Func::Builtin(Builtin::Pow) if args.len() == 2 => {
                self.diff_pow(id, args[0], args[1], wrt)
            }
            _ => {
                // chain rule: f(u)' = f'(u)·u'
                let outer = self.outer_derivative(id, func, u);
                let du = self.diff(u, wrt);
                self.mul(vec![outer, du])
            }
        }
    }

    /// `f'(u)` for a one-argument function `f`, where `id = f(u)`.
    fn outer_derivative(&mut self, id: NodeId, func: Func, u: NodeId) -> NodeId {
        let one = self.one();
        match func {
            // exp' = exp
            Func::Builtin(Builtin::Exp) => id,
            // expm1'(u) = exp(u)
            Func::Builtin(Builtin::Expm1) => self.call(Func::Builtin(Builtin::Exp), vec![u]),
            // log'(u) = 1/u
            Func::Builtin(Builtin::Log) => self.powf(u, -1.0),
            // log1p'(u) = 1/(1 + u)
            Func::Builtin(Builtin::Log1p) => {
                let shifted = self.add(vec![one, u]);
                self.powf(shifted, -1.0)
            }
            // sqrt'(u) = 1/(2·sqrt(u))
            Func::Builtin(Builtin::Sqrt) => {
                let half = self.constant(0.5, Dim::NONE);
                let inverse = self.powf(id, -1.0);
                self.mul(vec![half, inverse])
            }
            // abs'(u) = sign(u) = if u < 0 then −1 else 1
            Func::Builtin(Builtin::Abs) => {
                let zero = self.zero(self.dim(u));
                let negative = self.logic(BinOp::Lt, u, zero);
                let minus_one = self.constant(-1.0, Dim::NONE);
                self.ite(negative, minus_one, one)
            }
            // sin' = cos
            Func::Builtin(Builtin::Sin) => self.call(Func::Builtin(Builtin::Cos), vec![u]),
            // cos' = −sin
            Func::Builtin(Builtin::Cos) => {
                let sin = self.call(Func::Builtin(Builtin::Sin), vec![u]);
                self.neg(sin)
            }
            // tanh' = 1 − tanh²
            Func::Builtin(Builtin::Tanh) => {
                let square = self.powf(id, 2.0);
                let minus_square = self.neg(square);
                self.add(vec![one, minus_square])
            }
            Func::Builtin(Builtin::Exprel) => self.exprel_derivative(u),
            Func::Phi => self.phi_derivative(u),
            // two-argument functions are handled by the caller
            Func::Builtin(Builtin::Min | Builtin::Max | Builtin::Pow) => self.zero(Dim::NONE),
        }
    }

    /// `exprel'(u) = (expm1(u) − u·exp(u))/expm1(u)²`, which is 0/0 at `u = 0` (limit
    /// −1/2) and loses digits near it; there the series of `exprel(u) = Σ Bₙuⁿ/n!`
    /// differentiated: `−1/2 + u/6 − u³/180 + u⁵/5040`.
    ///
    /// `if abs(u) < 0.01 then −1/2 + u/6 − u³/180 + u⁵/5040
    ///  else (expm1(u) − u·exp(u))/expm1(u)^2`
    fn exprel_derivative(&mut self, u: NodeId) -> NodeId {
        let series = self.polynomial(u, &[-0.5, 1.0 / 6.0, 0.0, -1.0 / 180.0, 0.0, 1.0 / 5040.0]);
        let expm1 = self.call(Func::Builtin(Builtin::Expm1), vec![u]);
        let exp = self.call(Func::Builtin(Builtin::Exp), vec![u]);
        let u_exp = self.mul(vec![u, exp]);
        let numerator = self.sub(expm1, u_exp);
        let denominator = self.powf(expm1, -2.0);
        let quotient = self.mul(vec![numerator, denominator]);
        self.series_switch(u, EXPREL_SERIES_BELOW, series, quotient)
    }

    /// `φ'(x) = (x·exp(x) − expm1(x))/x²`, near 0 the series of `φ(x) = Σ xᵏ/(k+1)!`
    /// differentiated: `1/2 + x/3 + x²/8 + x³/30 + x⁴/144`.
    fn phi_derivative(&mut self, x: NodeId) -> NodeId {
        let series = self.polynomial(x, &[0.5, 1.0 / 3.0, 1.0 / 8.0, 1.0 / 30.0, 1.0 / 144.0]);
        let expm1 = self.call(Func::Builtin(Builtin::Expm1), vec![x]);
        let exp = self.call(Func::Builtin(Builtin::Exp), vec![x]);
        let x_exp = self.mul(vec![x, exp]);
        let numerator = self.sub(x_exp, expm1);
        let denominator = self.powf(x, -2.0);
        let quotient = self.mul(vec![numerator, denominator]);
        self.series_switch(x, PHI_SERIES_BELOW, series, quotient)
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
