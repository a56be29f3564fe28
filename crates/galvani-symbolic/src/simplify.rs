//! The simplifier: smart constructors that build every node in canonical, simplified
//! form, and `simplify`, which rebuilds a raw (as-lowered) expression through them.
//!
//! Every rule carries its algebra in a comment and never grows the expression: each one
//! either removes nodes outright or is applied only when the tree size (`Dag::size`)
//! does not increase.
//!
//! Rules keep IEEE semantics: for every finite value of the symbols (params non-zero,
//! see `dag::Facts`), the simplified expression is NaN exactly where the expression as
//! written is, the same infinity where it is infinite, and the same value up to rounding
//! elsewhere (barring overflow and underflow, and the sign of a zero). Subexpressions
//! can take any IEEE value (`log(0) = −∞`, `0/0 = NaN`), so a rule that could absorb one
//! — `0·x => 0`, `x − x => 0`, `x/x => 1`, `(x^0.5)^2 => x` — is applied only where the
//! known facts of its operands exclude it. The one rule that changes a value on
//! purpose is the removable-singularity rule, marked "(domain)": it fills
//! `x/(1 − exp(−x/k))` at `x = 0` with its limit, and each use is reported (W0601).
//! `tests/ieee.rs` checks all this against the IR reference evaluator.
//!
//! The constructors assume their operands are already simplified.

use crate::dag::{children_of, Dag, Node, NodeId, SingularHit, Sym};
use galvani_ir::dim::exponent_from_f64;
use galvani_ir::step::Func;
use galvani_ir::{BinOp, Builtin, Dim};
use std::cmp::Ordering;
use std::collections::HashMap;

impl Dag {
    /// Rebuilds a raw expression bottom-up through the simplifying constructors
    /// (memoised, so a shared subexpression is simplified once).
    pub(crate) fn simplify(&mut self, raw: NodeId) -> NodeId {
        if let Some(&done) = self.simplified.get(&raw) {
            return done;
        }
        let node = self.node(raw).clone();
        let result = match &node {
            Node::Const(..) | Node::Sym(_) => raw,
            _ => {
                let kids: Vec<NodeId> = children_of(&node)
                    .into_iter()
                    .map(|k| self.simplify(k))
                    .collect();
                let saved = self.context.replace(raw);
                let built = self.rebuild(&node, kids);
                self.context = saved;
                built
            }
        };
        self.simplified.insert(raw, result);
        result
    }

    /// The node of the same kind as `node` with new children, through the constructors.
    pub(crate) fn rebuild(&mut self, node: &Node, kids: Vec<NodeId>) -> NodeId {
        match node {
            Node::Const(..) | Node::Sym(_) => self.intern(node.clone()),
            Node::Add(_) => self.add(kids),
            Node::Mul(_) => self.mul(kids),
            Node::Pow(..) => self.pow(kids[0], kids[1]),
            Node::Call(func, _) => self.call(*func, kids),
            Node::If(..) => self.ite(kids[0], kids[1], kids[2]),
            Node::Logic(op, ..) => self.logic(*op, kids[0], kids[1]),
            Node::Not(_) => self.not(kids[0]),
        }
    }

    /// Replaces symbols by expressions and simplifies what changes:
    /// `substitute(f, {V ↦ 0})` is `f` at `V = 0`.
    pub(crate) fn substitute(&mut self, root: NodeId, map: &HashMap<Sym, NodeId>) -> NodeId {
        let mut memo = HashMap::new();
        self.substitute_memo(root, map, &mut memo)
    }

    fn substitute_memo(
        &mut self,
        id: NodeId,
        map: &HashMap<Sym, NodeId>,
        memo: &mut HashMap<NodeId, NodeId>,
    ) -> NodeId {
        if let Some(&done) = memo.get(&id) {
            return done;
        }
        if !self.syms(id).iter().any(|s| map.contains_key(s)) {
            return id;
        }
        let node = self.node(id).clone();
        let result = match &node {
            Node::Sym(sym) => map.get(sym).copied().unwrap_or(id),
            _ => {
                let kids: Vec<NodeId> = children_of(&node)
                    .into_iter()
                    .map(|k| self.substitute_memo(k, map, memo))
                    .collect();
                self.rebuild(&node, kids)
            }
        };
        memo.insert(id, result);
        result
    }

    /// `−x`, as `(−1)·x`.
    pub(crate) fn neg(&mut self, x: NodeId) -> NodeId {
        let minus_one = self.constant(-1.0, Dim::NONE);
        self.mul(vec![minus_one, x])
    }

    /// `a − b`, as `a + (−1)·b`.
    pub(crate) fn sub(&mut self, a: NodeId, b: NodeId) -> NodeId {
        let minus_b = self.neg(b);
        self.add(vec![a, minus_b])
    }

    /// `a / b`, as `a · b^(−1)`.
    pub(crate) fn div(&mut self, a: NodeId, b: NodeId) -> NodeId {
        let inverse = self.powf(b, -1.0);
        self.mul(vec![a, inverse])
    }

    /// `x^e` for a constant (dimensionless) exponent.
    pub(crate) fn powf(&mut self, base: NodeId, exponent: f64) -> NodeId {
        let e = self.constant(exponent, Dim::NONE);
        self.pow(base, e)
    }

    /// A term as `coefficient · rest`: `0.1·(V + 40)` → `(0.1, (V + 40))`, `x` → `(1, x)`.
    /// The rest of a canonical product is interned as is (it is canonical already).
    pub(crate) fn split_coefficient(&mut self, term: NodeId) -> (f64, Dim, NodeId) {
        if let Node::Mul(factors) = self.node(term) {
            if let Some(c) = self.const_value(factors[0]) {
                let coefficient_dim = self.dim(factors[0]);
                let rest: Vec<NodeId> = factors[1..].to_vec();
                let rest = if rest.len() == 1 {
                    rest[0]
                } else {
                    self.intern(Node::Mul(rest))
                };
                return (c, coefficient_dim, rest);
            }
        }
        (1.0, Dim::NONE, term)
    }

    /// A term is negative when its coefficient (or its value, for a constant) is.
    pub fn is_negative_term(&self, term: NodeId) -> bool {
        match self.node(term) {
            Node::Const(bits, _) => f64::from_bits(*bits) < 0.0,
            Node::Mul(factors) => self.const_value(factors[0]).is_some_and(|c| c < 0.0),
            _ => false,
        }
    }

    /// A sum all of whose terms are negative (`−a − 2·b − 3`).
    fn is_negative_sum(&self, id: NodeId) -> bool {
        match self.node(id) {
            Node::Add(terms) => terms.iter().all(|t| self.is_negative_term(*t)),
            _ => false,
        }
    }

    /// `−(sum)` with the sign pushed into every term.
    fn negate_sum(&mut self, id: NodeId) -> NodeId {
        let terms = match self.node(id) {
            Node::Add(terms) => terms.clone(),
            _ => return self.neg(id),
        };
        let negated: Vec<NodeId> = terms.into_iter().map(|t| self.neg(t)).collect();
        self.add(negated)
    }

    /// n-ary sum.
    pub(crate) fn add(&mut self, terms: Vec<NodeId>) -> NodeId {
        let dim = terms.first().map(|t| self.dim(*t)).unwrap_or(Dim::NONE);
        // (a + b) + c => a + b + c
        let mut flat = Vec::with_capacity(terms.len());
        for t in terms {
            match self.node(t) {
                Node::Add(inner) => flat.extend(inner.iter().copied()),
                _ => flat.push(t),
            }
        }
        let mut constant = 0.0;
        let mut constant_dim: Option<Dim> = None;
        let mut kept: Vec<NodeId> = Vec::new();
        // (rest, coefficient, coefficient dim, the term itself while it is alone, every
        // term of the group with its coefficient)
        type Group = (NodeId, f64, Dim, Option<NodeId>, Vec<(f64, NodeId)>);
        let mut groups: Vec<Group> = Vec::new();
        let mut group_of: HashMap<NodeId, usize> = HashMap::new();
        for t in flat {
            if let Some(c) = self.const_value(t) {
                // c1 + c2 => c (folded while the sum stays finite)
                if c.is_finite() && (constant + c).is_finite() {
                    constant += c;
                    constant_dim.get_or_insert(self.dim(t));
                } else {
                    kept.push(t);
                }
                continue;
            }
            // c·x + d·x => (c + d)·x   (so x − x => 0), where IEEE agrees: for a finite
            // x, or for coefficients of one sign (then ∞ + ∞ = ∞ and NaN stays NaN; but
            // log(s) − log(s) is NaN at s = 0, where it is −∞ + ∞, not 0)
            let (c, c_dim, rest) = self.split_coefficient(t);
            match group_of.get(&rest) {
                Some(&k) => {
                    groups[k].1 += c;
                    groups[k].3 = None;
                    groups[k].4.push((c, t));
                }
                None => {
                    group_of.insert(rest, groups.len());
                    groups.push((rest, c, c_dim, Some(t), vec![(c, t)]));
                }
            }
        }
        for (rest, c, c_dim, alone, members) in groups {
            let finite = self.facts(rest).finite;
            let one_sign =
                members.iter().all(|(c, _)| *c > 0.0) || members.iter().all(|(c, _)| *c < 0.0);
            if !finite && !one_sign {
                kept.extend(members.iter().map(|(_, t)| *t));
                continue;
            }
            // 0·x + y => y
            if c == 0.0 {
                continue;
            }
            let term = match alone {
                Some(t) => t,
                None => {
                    let coefficient = self.constant(c, c_dim);
                    self.mul(vec![coefficient, rest])
                }
            };
            if !self.is_const(term, 0.0) {
                kept.push(term);
            }
        }
        // x + 0 => x
        if constant != 0.0 {
            let c = self.constant(constant, constant_dim.unwrap_or(dim));
            kept.push(c);
        }
        match kept.len() {
            0 => self.zero(constant_dim.unwrap_or(dim)),
            1 => kept[0],
            _ => {
                self.sort_terms(&mut kept);
                self.intern(Node::Add(kept))
            }
        }
    }

    /// Canonical order of a sum: by the term without its coefficient (structural
    /// order), then by coefficient; constants last (`V + 40 mV`).
    fn sort_terms(&mut self, terms: &mut [NodeId]) {
        let keys: Vec<(NodeId, bool, NodeId, f64)> = terms
            .iter()
            .map(|&t| {
                let is_const = self.const_value(t).is_some();
                let (c, _, rest) = self.split_coefficient(t);
                (t, is_const, rest, c)
            })
            .collect();
        let mut keys = keys;
        keys.sort_by(|a, b| {
            a.1.cmp(&b.1)
                .then_with(|| self.cmp_struct(a.2, b.2))
                .then_with(|| a.3.total_cmp(&b.3))
                .then_with(|| self.cmp_struct(a.0, b.0))
        });
        for (slot, key) in terms.iter_mut().zip(keys) {
            *slot = key.0;
        }
    }

    /// A factor as `base^exponent` (`x` is `x^1`).
    fn base_and_exponent(&mut self, factor: NodeId) -> (NodeId, NodeId) {
        match self.node(factor) {
            Node::Pow(base, exponent) => (*base, *exponent),
            _ => (factor, self.one()),
        }
    }

    /// Tree size of `coefficient · factors` as `mul` would intern it.
    fn product_size(&self, has_coefficient: bool, factors: &[NodeId]) -> u64 {
        let count = factors.len() + usize::from(has_coefficient);
        let own = u64::from(count > 1) + u64::from(has_coefficient);
        factors
            .iter()
            .fold(own, |acc, f| acc.saturating_add(self.size(*f)))
    }

    /// n-ary product.
    pub(crate) fn mul(&mut self, factors: Vec<NodeId>) -> NodeId {
        // (a·b)·c => a·b·c
        let mut flat = Vec::with_capacity(factors.len());
        for f in factors {
            match self.node(f) {
                Node::Mul(inner) => flat.extend(inner.iter().copied()),
                _ => flat.push(f),
            }
        }
        let dim = flat.iter().fold(Dim::NONE, |acc, f| {
            acc.checked_mul(self.dim(*f)).unwrap_or(Dim::NONE)
        });
        // x·0 => 0 where x is known finite. IEEE: 0·∞ = 0·NaN = NaN, so a constant factor
        // that is ±∞ or NaN makes the product NaN (`0/0` stays NaN), and a factor that can
        // be ±∞ or NaN is kept, as `0·x` (`0·log(s)` is NaN at s ≤ 0, not 0).
        if flat.iter().any(|f| self.is_const(*f, 0.0)) {
            let poisoned = flat
                .iter()
                .any(|f| self.syms(*f).is_empty() && !self.eval(*f, &|_| f64::NAN).is_finite());
            if poisoned {
                return self.constant(f64::NAN, dim);
            }
            let others: Vec<NodeId> = flat
                .iter()
                .copied()
                .filter(|f| !self.is_const(*f, 0.0))
                .collect();
            let rest = self.mul(others);
            if self.facts(rest).finite {
                return self.zero(dim);
            }
            // 0·c·x => 0·x (c is a finite coefficient)
            let (_, _, bare) = self.split_coefficient(rest);
            let zero_dim = dim.checked_div(self.dim(bare)).unwrap_or(Dim::NONE);
            let mut factors = vec![self.zero(zero_dim)];
            match self.node(bare) {
                Node::Mul(inner) => factors.extend(inner.iter().copied()),
                _ => factors.push(bare),
            }
            return self.intern(Node::Mul(factors));
        }
        // c1·c2 => c (folded while the product stays finite and non-zero)
        let mut coefficient = 1.0;
        let mut coefficient_dim = Dim::NONE;
        let mut rest: Vec<NodeId> = Vec::new();
        for f in flat {
            match self.const_value(f) {
                Some(c) if (coefficient * c).is_finite() && coefficient * c != 0.0 => {
                    coefficient *= c;
                    coefficient_dim = coefficient_dim
                        .checked_mul(self.dim(f))
                        .unwrap_or(Dim::NONE);
                }
                _ => rest.push(f),
            }
        }
        // x^a · x^b => x^(a+b)   (so x·x => x^2 and x/x => 1), where IEEE agrees: see
        // `powers_merge`
        let mut groups: Vec<(NodeId, Vec<NodeId>, Vec<NodeId>)> = Vec::new();
        let mut group_of: HashMap<NodeId, usize> = HashMap::new();
        for f in rest {
            let (base, exponent) = self.base_and_exponent(f);
            match group_of.get(&base) {
                Some(&k) => {
                    groups[k].1.push(exponent);
                    groups[k].2.push(f);
                }
                None => {
                    group_of.insert(base, groups.len());
                    groups.push((base, vec![exponent], vec![f]));
                }
            }
        }
        let mut collected: Vec<NodeId> = Vec::with_capacity(groups.len());
        let mut changed = false;
        for (base, exponents, factors) in groups {
            if exponents.len() == 1 || !self.powers_merge(base, &exponents) {
                collected.extend(factors);
            } else {
                changed = true;
                let exponent = self.add(exponents);
                collected.push(self.pow(base, exponent));
            }
        }
        // exp(a)·exp(b) => exp(a + b), exp(a)/exp(b) => exp(a − b), when no larger
        let exp_parts: Vec<(usize, NodeId, f64)> = collected
            .iter()
            .enumerate()
            .filter_map(|(k, f)| self.exp_form(*f).map(|(u, p)| (k, u, p)))
            .collect();
        if exp_parts.len() >= 2 {
            let old_size = exp_parts.iter().fold(0u64, |acc, (k, _, _)| {
                acc.saturating_add(self.size(collected[*k]))
            });
            let mut arguments = Vec::with_capacity(exp_parts.len());
            for &(_, u, p) in &exp_parts {
                let power = self.constant(p, Dim::NONE);
                arguments.push(self.mul(vec![power, u]));
            }
            let sum = self.add(arguments);
            let combined = self.call(Func::Builtin(Builtin::Exp), vec![sum]);
            if self.size(combined) <= old_size {
                let merged: Vec<usize> = exp_parts.iter().map(|(k, _, _)| *k).collect();
                collected = collected
                    .into_iter()
                    .enumerate()
                    .filter(|(k, _)| !merged.contains(k))
                    .map(|(_, f)| f)
                    .collect();
                collected.push(combined);
                changed = true;
            }
        }
        let has_coefficient = coefficient != 1.0 || !coefficient_dim.is_none();
        if changed {
            // The merged powers may be constants or products: simplify once more (the
            // product is strictly smaller, so this terminates).
            if has_coefficient {
                collected.push(self.constant(coefficient, coefficient_dim));
            }
            return self.mul(collected);
        }
        if collected.is_empty() {
            return self.constant(coefficient, coefficient_dim);
        }
        // −1·X·(−a − b) => X·(a + b) and −1·X·(a − b) => X·(b − a): a sum absorbs the
        // sign of a negative coefficient (or gives its own), when that makes the product
        // strictly smaller (so repeating it until nothing changes terminates, and the
        // result is a fixed point: simplifying again changes nothing).
        let mut flipped_any = true;
        let mut any_flip = false;
        while flipped_any {
            flipped_any = false;
            for k in 0..collected.len() {
                let is_sum = matches!(self.node(collected[k]), Node::Add(_));
                if !is_sum || !(coefficient < 0.0 || self.is_negative_sum(collected[k])) {
                    continue;
                }
                let flipped = self.negate_sum(collected[k]);
                let mut candidate = collected.clone();
                candidate[k] = flipped;
                let new_coefficient = -coefficient;
                let new_has = new_coefficient != 1.0 || !coefficient_dim.is_none();
                let has = coefficient != 1.0 || !coefficient_dim.is_none();
                if self.product_size(new_has, &candidate) < self.product_size(has, &collected) {
                    collected = candidate;
                    coefficient = new_coefficient;
                    flipped_any = true;
                    any_flip = true;
                }
            }
        }
        if any_flip {
            // A flipped sum can collapse into a product (`−(−2·x)` → `2·x`) or into a
            // factor that combines with another (`−2·(y − (a + y))·a⁻¹` → `2·a·a⁻¹` → `2`):
            // simplify the product once more (it is strictly smaller, so this terminates).
            if coefficient != 1.0 || !coefficient_dim.is_none() {
                collected.push(self.constant(coefficient, coefficient_dim));
            }
            return self.mul(collected);
        }
        self.sort_factors(&mut collected);
        let has_coefficient = coefficient != 1.0 || !coefficient_dim.is_none();
        let mut all = Vec::with_capacity(collected.len() + 1);
        if has_coefficient {
            all.push(self.constant(coefficient, coefficient_dim));
        }
        all.extend(collected.iter().copied());
        if all.len() == 1 {
            return all[0];
        }
        let product = self.intern(Node::Mul(all));
        self.try_exprel(product, coefficient, coefficient_dim, &collected)
            .unwrap_or(product)
    }

    /// Whether `x^a · x^b · …` equals `x^(a + b + …)` under IEEE for every value `x` can
    /// take (barring overflow):
    /// - for a finite positive `x`, always (`x^a·x^b = e^((a+b)·ln x)`);
    /// - for constant exponents of one sign, all integers or `x ≥ 0`: no `0·∞` can arise
    ///   (`x·x = x²` even at x = ±∞ or NaN; but `x^0.5·x^0.5` is NaN at x < 0, not x);
    /// - for integer exponents of both signs, a finite non-zero `x` (`x·x⁻¹` is NaN at
    ///   x = 0, where `0·∞` arises, not 1).
    fn powers_merge(&self, base: NodeId, exponents: &[NodeId]) -> bool {
        let facts = self.facts(base);
        if facts.finite && facts.nonzero && facts.nonnegative {
            return true;
        }
        let Some(values) = exponents
            .iter()
            .map(|e| self.const_value(*e))
            .collect::<Option<Vec<f64>>>()
        else {
            return false;
        };
        let integral = values.iter().all(|e| e.fract() == 0.0);
        let one_sign = values.iter().all(|e| *e > 0.0) || values.iter().all(|e| *e < 0.0);
        (one_sign && (integral || facts.nonnegative)) || (integral && facts.finite && facts.nonzero)
    }

    /// Canonical order of a product's factors: by base, then exponent (`g_Na·m^3·h`:
    /// params before states, states in declaration order).
    fn sort_factors(&mut self, factors: &mut [NodeId]) {
        let keys: Vec<(NodeId, NodeId, NodeId)> = factors
            .iter()
            .map(|&f| {
                let (b, e) = self.base_and_exponent(f);
                (f, b, e)
            })
            .collect();
        let mut keys = keys;
        keys.sort_by(|a, b| {
            self.cmp_struct(a.1, b.1)
                .then_with(|| self.cmp_struct(a.2, b.2))
        });
        for (slot, key) in factors.iter_mut().zip(keys) {
            *slot = key.0;
        }
    }

    /// The removable-singularity rule, on a canonical product `c · … · N · D^(−1)` with
    /// `D = s·expm1(u)` (`exp(u) − 1` gives s = 1, `1 − exp(u)` gives s = −1, `expm1(u)`
    /// itself s = 1) and `u = λ·N` for some `λ` free of `N`'s symbols:
    ///
    /// `N / (s·expm1(u)) = s · (u/λ) / expm1(u) = s · exprel(u) / λ`   (domain: at N = 0)
    ///
    /// e.g. `0.1·(V + 40)/(1 − exp(−(V + 40)/10))` => `exprel(−(V + 40)/10)` (λ = −0.1,
    /// s = −1, c = 0.1). Applied when the result is no larger; recorded for the warning.
    fn try_exprel(
        &mut self,
        product: NodeId,
        coefficient: f64,
        coefficient_dim: Dim,
        factors: &[NodeId],
    ) -> Option<NodeId> {
        for (j, &factor) in factors.iter().enumerate() {
            let Node::Pow(denominator, exponent) = self.node(factor).clone() else {
                continue;
            };
            if !self.is_const(exponent, -1.0) {
                continue;
            }
            let Some((sign, u)) = self.expm1_form(denominator) else {
                continue;
            };
            for (i, &numerator) in factors.iter().enumerate() {
                if i == j || self.syms(numerator).is_empty() {
                    continue;
                }
                // u = λ·N, or u = λ'·(−N) when the two sums carry opposite signs
                // (`(25 − V)` against `(V − 25)/9`); then λ = −λ'.
                let Some((lambda, numerator_sign)) = self.proportionality(u, numerator) else {
                    continue;
                };
                let mut new_factors: Vec<NodeId> = factors
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| *k != i && *k != j)
                    .map(|(_, f)| *f)
                    .collect();
                new_factors
                    .push(self.constant(coefficient * sign * numerator_sign, coefficient_dim));
                new_factors.push(self.call(Func::Builtin(Builtin::Exprel), vec![u]));
                new_factors.push(self.powf(lambda, -1.0));
                let rewritten = self.mul(new_factors);
                if self.size(rewritten) > self.size(product) {
                    continue;
                }
                self.singular_hits.push(SingularHit {
                    context: self.context,
                    before: product,
                    after: rewritten,
                    numerator,
                });
                return Some(rewritten);
            }
        }
        None
    }

    /// `λ` and `σ = ±1` with `u = λ·σ·N` and `λ` free of `N`'s symbols (and not 0): `u`
    /// is `σ·N` itself or a product with the factor `σ·N` (read off the factors, not by
    /// dividing: `N·N⁻¹` is not 1 where N = 0, so the quotient would not simplify).
    fn proportionality(&mut self, u: NodeId, numerator: NodeId) -> Option<(NodeId, f64)> {
        let mut candidates = vec![(numerator, 1.0)];
        if matches!(self.node(numerator), Node::Add(_)) {
            candidates.push((self.negate_sum(numerator), -1.0));
        }
        let factors = match self.node(u) {
            Node::Mul(factors) => factors.clone(),
            _ => vec![u],
        };
        for (n, sign) in candidates {
            let Some(k) = factors.iter().position(|f| *f == n) else {
                continue;
            };
            let others: Vec<NodeId> = factors
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != k)
                .map(|(_, f)| *f)
                .collect();
            let lambda = self.mul(others);
            let shares_symbol = self
                .syms(lambda)
                .iter()
                .any(|s| self.syms(numerator).contains(s));
            if !shares_symbol && !self.is_const(lambda, 0.0) {
                return Some((lambda, sign));
            }
        }
        None
    }

    /// A factor `exp(u)^p` (integer `p`, `p = 1` for `exp(u)` itself) as `(u, p)`.
    fn exp_form(&self, factor: NodeId) -> Option<(NodeId, f64)> {
        match self.node(factor) {
            Node::Call(Func::Builtin(Builtin::Exp), args) => Some((args[0], 1.0)),
            Node::Pow(base, exponent) => {
                let p = self.const_value(*exponent)?;
                match self.node(*base) {
                    Node::Call(Func::Builtin(Builtin::Exp), args) if p.fract() == 0.0 => {
                        Some((args[0], p))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// `D` as `s·expm1(u)`: `(s, u)` for `expm1(u)`, `exp(u) − 1` and `1 − exp(u)`.
    fn expm1_form(&self, d: NodeId) -> Option<(f64, NodeId)> {
        match self.node(d) {
            Node::Call(Func::Builtin(Builtin::Expm1), args) if args.len() == 1 => {
                Some((1.0, args[0]))
            }
            Node::Add(terms) if terms.len() == 2 => {
                let k = self.const_value(terms[1])?;
                if !self.dim(terms[1]).is_none() {
                    return None;
                }
                match self.node(terms[0]) {
                    // exp(u) − 1 = expm1(u)
                    Node::Call(Func::Builtin(Builtin::Exp), args) if k == -1.0 => {
                        Some((1.0, args[0]))
                    }
                    // 1 − exp(u) = −expm1(u)
                    Node::Mul(factors)
                        if k == 1.0 && factors.len() == 2 && self.is_const(factors[0], -1.0) =>
                    {
                        match self.node(factors[1]) {
                            Node::Call(Func::Builtin(Builtin::Exp), args) => Some((-1.0, args[0])),
                            _ => None,
                        }
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// `base ^ exponent`.
    pub(crate) fn pow(&mut self, base: NodeId, exponent: NodeId) -> NodeId {
        if let Some(e) = self.const_value(exponent) {
            // x^0 => 1
            if e == 0.0 {
                return self.one();
            }
            // x^1 => x
            if e == 1.0 {
                return base;
            }
            // c1^c2 => c (folded when finite)
            if let Some(b) = self.const_value(base) {
                let value = if e == -1.0 {
                    1.0 / b
                } else if e == 2.0 {
                    b * b
                } else {
                    b.powf(e)
                };
                let dim = if self.dim(base).is_none() {
                    Some(Dim::NONE)
                } else {
                    exponent_from_f64(e).and_then(|p| self.dim(base).checked_pow(p))
                };
                if let (true, Some(dim)) = (value.is_finite(), dim) {
                    return self.constant(value, dim);
                }
            }
            let integral = e.fract() == 0.0 && e.abs() < 1e9;
            if integral {
                match self.node(base).clone() {
                    // (x^a)^n => x^(a·n), for an integer a or x ≥ 0 (`(x^0.5)^2` is NaN at
                    // x < 0, not x)
                    Node::Pow(inner, a)
                        if self.facts(inner).nonnegative
                            || self.const_value(a).is_some_and(|a| a.fract() == 0.0) =>
                    {
                        let product = self.mul(vec![a, exponent]);
                        return self.pow(inner, product);
                    }
                    // (a·b)^n => a^n·b^n, when that is no larger
                    Node::Mul(factors) => {
                        let powered: Vec<NodeId> =
                            factors.iter().map(|f| self.pow(*f, exponent)).collect();
                        let candidate = self.mul(powered);
                        let original = 1 + self.size(base) + self.size(exponent);
                        if self.size(candidate) <= original {
                            return candidate;
                        }
                    }
                    // (−a − b)^n => (−1)^n·(a + b)^n, when that is no larger
                    Node::Add(_) if self.is_negative_sum(base) => {
                        let positive = self.negate_sum(base);
                        let sign = if e.rem_euclid(2.0) == 0.0 { 1.0 } else { -1.0 };
                        let powered = self.pow(positive, exponent);
                        let sign = self.constant(sign, Dim::NONE);
                        let candidate = self.mul(vec![sign, powered]);
                        let original = 1 + self.size(base) + self.size(exponent);
                        if self.size(candidate) <= original {
                            return candidate;
                        }
                    }
                    _ => {}
                }
            }
        }
        // 1^x => 1
        if self.is_const(base, 1.0) && self.dim(base).is_none() {
            return base;
        }
        self.intern(Node::Pow(base, exponent))
    }

    /// A call of a built-in or `φ`.
    pub(crate) fn call(&mut self, func: Func, mut args: Vec<NodeId>) -> NodeId {
        if func == Func::Builtin(Builtin::Pow) && args.len() == 2 {
            return self.pow(args[0], args[1]);
        }
        // f(c) => c (folded when finite)
        let values: Option<Vec<f64>> = args.iter().map(|a| self.const_value(*a)).collect();
        if let Some(values) = values {
            let value = func.eval(&values);
            if value.is_finite() {
                let dim = self.compute_dim(&Node::Call(func, args.clone()));
                return self.constant(value, dim);
            }
        }
        if let (Func::Builtin(builtin), [x]) = (func, args.as_slice()) {
            match (builtin, self.node(*x)) {
                // abs(abs(x)) => abs(x)
                (Builtin::Abs, Node::Call(Func::Builtin(Builtin::Abs), _)) => return *x,
                // log(exp(u)) => u
                (Builtin::Log, Node::Call(Func::Builtin(Builtin::Exp), inner)) => {
                    return inner[0];
                }
                _ => {}
            }
        }
        if let (Func::Builtin(Builtin::Min | Builtin::Max), [a, b]) = (func, args.as_slice()) {
            // min(x, x) => x, max(x, x) => x
            if a == b {
                return *a;
            }
            // min(a, b) = min(b, a): canonical operand order
            if self.cmp_struct(*a, *b) == Ordering::Greater {
                args.swap(0, 1);
            }
        }
        self.intern(Node::Call(func, args))
    }

    /// `if c then a else b`.
    pub(crate) fn ite(&mut self, condition: NodeId, then: NodeId, otherwise: NodeId) -> NodeId {
        // if true then a else b => a;  if false then a else b => b
        if let Some(c) = self.const_value(condition) {
            return if c != 0.0 { then } else { otherwise };
        }
        // if c then x else x => x
        if then == otherwise {
            return then;
        }
        // if not c then a else b => if c then b else a
        if let Node::Not(inner) = *self.node(condition) {
            return self.ite(inner, otherwise, then);
        }
        self.intern(Node::If(condition, then, otherwise))
    }

    /// A comparison, `and` or `or`.
    pub(crate) fn logic(&mut self, op: BinOp, a: NodeId, b: NodeId) -> NodeId {
        let (x, y) = (self.const_value(a), self.const_value(b));
        // c1 < c2 => 1.0 or 0.0 (and every other operator on two constants)
        if let (Some(x), Some(y)) = (x, y) {
            return self.constant(crate::dag::apply_logic(op, x, y), Dim::NONE);
        }
        match (op, x, y) {
            // true and x => x;  false and x => false
            (BinOp::And, Some(c), _) => return if c != 0.0 { b } else { self.zero(Dim::NONE) },
            (BinOp::And, _, Some(c)) => return if c != 0.0 { a } else { self.zero(Dim::NONE) },
            // false or x => x;  true or x => true
            (BinOp::Or, Some(c), _) => return if c != 0.0 { self.one() } else { b },
            (BinOp::Or, _, Some(c)) => return if c != 0.0 { self.one() } else { a },
            _ => {}
        }
        self.intern(Node::Logic(op, a, b))
    }

    /// Logical `not`.
    pub(crate) fn not(&mut self, a: NodeId) -> NodeId {
        // not c => 1.0 or 0.0
        if let Some(c) = self.const_value(a) {
            return self.constant(if c == 0.0 { 1.0 } else { 0.0 }, Dim::NONE);
        }
        // not not x => x
        if let Node::Not(inner) = *self.node(a) {
            return inner;
        }
        self.intern(Node::Not(a))
    }
}
