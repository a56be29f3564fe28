//! Second pass: resolves every name in every expression exactly once (function bodies
//! included, once each, however often they are called) and reports every name-level
//! error: unknown names and units, wrong arity, calling a non-function, using a function
//! as a value, and references a context forbids (a param may use only params, …).
//!
//! It also records what the later passes need: each declaration's references (the edges
//! of the dependency graphs, with the span of each use), which functions are recursive,
//! and whether any unit name appears at all (if none does, the model is dimensionless).
//!
//! Scopes, innermost first: a function's parameters (inside its body), model names,
//! `t`, built-in functions, unit names. Walks are iterative (no recursion on the AST).

use crate::collect::{DeclBody, DeclId, Decls, GateRates};
use crate::error::{CheckError, DeclKind, NameRole, RefContext, RefKind};
use crate::order::strongly_connected;
use crate::sink::Sink;
use galvani_diag::suggest::suggest;
use galvani_diag::Span;
use galvani_ir::{units, Builtin};
use galvani_syntax::ast::{Expr, ExprKind, Ident, UnitSuffix};

/// A use of a declaration (model name or function) at a span.
pub type Edge = (DeclId, Span);

pub struct Resolution {
    /// True when a unit name appears anywhere (as a quantity's unit or as a value).
    pub uses_units: bool,
    /// For each declaration, what its defining expression uses: for a gate, what its
    /// initial value uses (its `init`, or else `alpha`+`beta` / `inf`); for a function,
    /// its body. Includes calls of functions (edges to function declarations).
    pub deps: Vec<Vec<Edge>>,
    /// Functions that are recursive or call a recursive function: never inlined.
    pub unusable_function: Vec<bool>,
    /// Functions called anywhere.
    pub function_used: Vec<bool>,
}

struct Resolver<'d, 'a> {
    decls: &'d Decls<'a>,
    sink: &'d mut Sink,
    uses_units: bool,
    function_used: Vec<bool>,
}

/// The context of one walk: whose expression it is and what it may refer to.
#[derive(Clone, Copy)]
struct Walk<'a> {
    owner: &'a str,
    restriction: Option<RefContext>,
    fn_params: &'a [Ident],
    /// A `dX/dt` right-hand side: white noise may be named (its shape is checked when the
    /// equation is built).
    noise: bool,
}

pub fn resolve(decls: &Decls, sink: &mut Sink) -> Resolution {
    let n = decls.decls.len();
    let mut r = Resolver {
        decls,
        sink,
        uses_units: false,
        function_used: vec![false; n],
    };
    let mut deps: Vec<Vec<Edge>> = vec![Vec::new(); n];
    for (id, decl) in decls.decls.iter().enumerate() {
        let plain = Walk {
            owner: decl.name,
            restriction: None,
            fn_params: &[],
            noise: false,
        };
        match decl.body {
            DeclBody::Param(e) => {
                let walk = Walk {
                    restriction: Some(RefContext::ParamValue),
                    ..plain
                };
                deps[id] = r.walk(e, walk);
            }
            DeclBody::Input(e) => {
                let walk = Walk {
                    restriction: Some(RefContext::InputDefault),
                    ..plain
                };
                deps[id] = r.walk(e, walk);
            }
            DeclBody::State(e) => deps[id] = r.walk(e, plain),
            DeclBody::Intermediate(e) => {
                deps[id] = r.walk(e, plain);
                for factor in decl.display_unit.iter().flat_map(|a| &a.factors) {
                    r.unit(&factor.unit);
                }
            }
            DeclBody::Function { params, body } => {
                let walk = Walk {
                    restriction: Some(RefContext::FunctionBody),
                    fn_params: params,
                    ..plain
                };
                deps[id] = r.walk(body, walk);
            }
            DeclBody::Gate(spec) => {
                // What the initial value needs: `init`, or the steady state of the rates.
                let needed: Vec<&Expr> = match (spec.init, spec.rates) {
                    (Some(init), _) => vec![init],
                    (None, Some(GateRates::AlphaBeta { alpha, beta })) => vec![alpha, beta],
                    (None, Some(GateRates::InfTau { inf, .. })) => vec![inf],
                    (None, None) => vec![],
                };
                for field in spec.fields {
                    let edges = r.walk(&field.value, plain);
                    if needed.iter().any(|e| std::ptr::eq(*e, &field.value)) {
                        deps[id].extend(edges);
                    }
                }
            }
        }
    }
    for (id, ode) in decls.odes.iter().enumerate() {
        if let Some(ode) = ode {
            let walk = Walk {
                owner: decls.decls[id].name,
                restriction: None,
                fn_params: &[],
                noise: true,
            };
            r.walk(ode.value, walk);
        }
    }
    for event in &decls.events {
        let walk = Walk {
            owner: "on",
            restriction: None,
            fn_params: &[],
            noise: false,
        };
        // `on hazard(RATE)`: escape noise; only RATE is an expression.
        match crate::noise::hazard_rate(event.condition) {
            Some(Ok(rate)) => {
                r.walk(rate, walk);
            }
            Some(Err(found)) => {
                if let galvani_syntax::ast::ExprKind::Call { function, args } =
                    &event.condition.kind
                {
                    r.sink.push(|| CheckError::Arity {
                        function: "hazard".to_string(),
                        span: function.span,
                        expected: 1,
                        found,
                    });
                    for arg in args {
                        r.walk(arg, walk);
                    }
                }
            }
            None => {
                r.walk(event.condition, walk);
            }
        }
        for action in &event.actions {
            r.walk(action.value, walk);
        }
        if let Some(duration) = event.refractory {
            r.walk(duration, walk);
        }
    }
    let unusable_function = recursive_functions(decls, &deps, r.sink);
    Resolution {
        uses_units: r.uses_units,
        deps,
        unusable_function,
        function_used: r.function_used,
    }
}

impl Resolver<'_, '_> {
    /// A unit written after a number or an intermediate's `:`: the file uses units, and
    /// an unknown name is reported with the nearest known one.
    fn unit(&mut self, unit: &UnitSuffix) {
        self.uses_units = true;
        if units::lookup(&unit.name).is_none() {
            self.sink.push(|| CheckError::UnknownUnit {
                name: unit.name.clone(),
                span: unit.span,
                suggestion: suggest(
                    &unit.name,
                    units::all_unit_names().iter().map(String::as_str),
                ),
            });
        }
    }

    /// Resolves every name in `expr`; returns the declarations it uses (in order of
    /// appearance, repeats removed).
    fn walk(&mut self, expr: &Expr, walk: Walk) -> Vec<Edge> {
        let mut edges: Vec<Edge> = Vec::new();
        let mut stack: Vec<&Expr> = vec![expr];
        while let Some(e) = stack.pop() {
            match &e.kind {
                ExprKind::Number { .. } => {}
                ExprKind::Quantity { unit, .. } => self.unit(unit),
                ExprKind::Name(name) => self.value_name(name, e.span, walk, &mut edges),
                ExprKind::Unary { operand, .. } => stack.push(operand),
                ExprKind::Binary { lhs, rhs, .. } => {
                    stack.push(rhs);
                    stack.push(lhs);
                }
                ExprKind::If {
                    condition,
                    then_branch,
                    else_branch,
                } => {
                    stack.push(else_branch);
                    stack.push(then_branch);
                    stack.push(condition);
                }
                ExprKind::Call { function, args } => {
                    self.call(function, args.len(), walk, &mut edges);
                    stack.extend(args.iter().rev());
                }
            }
        }
        // Keep the first use of each declaration.
        let mut seen = std::collections::HashSet::new();
        edges.retain(|(id, _)| seen.insert(*id));
        edges
    }

    fn value_name(&mut self, name: &str, span: Span, walk: Walk, edges: &mut Vec<Edge>) {
        if walk.fn_params.iter().any(|p| p.name == name) {
            return;
        }
        if galvani_syntax::is_noise_name(name) {
            if !walk.noise {
                self.sink.push(|| CheckError::NoiseOutsideEquation {
                    name: name.to_string(),
                    span,
                });
            }
            return;
        }
        let decls = self.decls;
        if let Some(id) = decls.lookup(name) {
            let kind = decls.decls[id].kind;
            if kind == DeclKind::Function {
                self.sink.push(|| CheckError::FunctionAsValue {
                    name: name.to_string(),
                    span,
                    builtin: false,
                });
                return;
            }
            if let Some(context) = walk.restriction {
                if kind != DeclKind::Param {
                    self.forbidden(name, span, RefKind::Decl(kind), context, walk.owner);
                    return;
                }
            }
            edges.push((id, span));
            return;
        }
        if name == "t" {
            if let Some(context) = walk.restriction {
                self.forbidden(name, span, RefKind::Time, context, walk.owner);
            }
            return;
        }
        if Builtin::from_name(name).is_some() {
            self.sink.push(|| CheckError::FunctionAsValue {
                name: name.to_string(),
                span,
                builtin: true,
            });
            return;
        }
        if units::lookup(name).is_some() {
            self.uses_units = true;
            return;
        }
        self.sink.push(|| {
            let unit_names = units::all_unit_names();
            let candidates = walk
                .fn_params
                .iter()
                .map(|p| p.name.as_str())
                .chain(decls.value_names())
                .chain(unit_names.iter().map(String::as_str));
            CheckError::UnknownName {
                name: name.to_string(),
                span,
                role: NameRole::Value,
                suggestion: suggest(name, candidates),
            }
        });
    }

    fn forbidden(
        &mut self,
        name: &str,
        span: Span,
        kind: RefKind,
        context: RefContext,
        owner: &str,
    ) {
        self.sink.push(|| CheckError::ForbiddenReference {
            name: name.to_string(),
            span,
            kind,
            context,
            owner: owner.to_string(),
        });
    }

    fn call(&mut self, function: &Ident, found: usize, walk: Walk, edges: &mut Vec<Edge>) {
        let name = function.name.as_str();
        let span = function.span;
        if name == "hazard" {
            self.sink.push(|| CheckError::HazardMisplaced { span });
            return;
        }
        let arity = |sink: &mut Sink, expected: usize| {
            if expected != found {
                sink.push(|| CheckError::Arity {
                    function: name.to_string(),
                    span,
                    expected,
                    found,
                });
            }
        };
        if walk.fn_params.iter().any(|p| p.name == name) {
            self.sink.push(|| CheckError::NotAFunction {
                name: name.to_string(),
                span,
                kind: Some(DeclKind::FunctionParam),
            });
            return;
        }
        let decls = self.decls;
        if let Some(id) = decls.lookup(name) {
            let decl = decls.decls[id];
            match decl.body {
                DeclBody::Function { params, .. } => {
                    arity(self.sink, params.len());
                    self.function_used[id] = true;
                    edges.push((id, span));
                }
                _ => self.sink.push(|| CheckError::NotAFunction {
                    name: name.to_string(),
                    span,
                    kind: Some(decl.kind),
                }),
            }
            return;
        }
        if let Some(builtin) = Builtin::from_name(name) {
            arity(self.sink, builtin.arity());
            return;
        }
        if units::lookup(name).is_some() {
            self.uses_units = true;
            self.sink.push(|| CheckError::NotAFunction {
                name: name.to_string(),
                span,
                kind: None,
            });
            return;
        }
        self.sink.push(|| {
            let candidates = decls
                .function_names()
                .chain(Builtin::ALL.iter().map(|b| b.name()));
            CheckError::UnknownName {
                name: name.to_string(),
                span,
                role: NameRole::Function,
                suggestion: suggest(name, candidates),
            }
        });
    }
}

/// Finds cycles among function calls and reports each once; returns, per declaration,
/// whether it is a function that cannot be inlined (in a cycle, or calling one).
fn recursive_functions(decls: &Decls, deps: &[Vec<Edge>], sink: &mut Sink) -> Vec<bool> {
    let n = decls.decls.len();
    let is_function = |id: DeclId| decls.decls[id].kind == DeclKind::Function;
    let calls = |id: DeclId| -> Vec<DeclId> {
        if !is_function(id) {
            return Vec::new();
        }
        deps[id]
            .iter()
            .map(|e| e.0)
            .filter(|&c| is_function(c))
            .collect()
    };
    let mut unusable = vec![false; n];
    let functions: Vec<DeclId> = (0..n).filter(|&id| is_function(id)).collect();
    let components = strongly_connected(&functions, n, &calls);
    // Components come callees-first (Tarjan's order), so "calls an unusable function"
    // is known for every callee before its callers.
    for component in &components {
        let cyclic = component.len() > 1 || calls(component[0]).contains(&component[0]);
        if cyclic {
            let cycle = crate::order::cycle_within(component, &|id| {
                deps[id]
                    .iter()
                    .filter(|e| is_function(e.0))
                    .copied()
                    .collect()
            });
            sink.push(|| CheckError::RecursiveFunction {
                cycle: cycle
                    .iter()
                    .map(|(id, span)| (decls.decls[*id].name.to_string(), *span))
                    .collect(),
            });
        }
        let calls_unusable = component
            .iter()
            .any(|&id| calls(id).iter().any(|&c| unusable[c]));
        if cyclic || calls_unusable {
            for &id in component {
                unusable[id] = true;
            }
        }
    }
    unusable
}
