//! Lowering of `ir::Model` expressions into the DAG: each arena expression becomes a raw
//! node (`a − b` → `a + (−1)·b`, `a / b` → `a·b^(−1)`, `pow(a, b)` → `a^b`), with every
//! intermediate replaced by its defining expression, so that dependence through
//! intermediates is visible to differentiation. The walk is iterative (an explicit
//! stack), and the result's depth is bounded by [`MAX_DEPTH`] so that the recursive
//! passes after it cannot exhaust the stack.

use crate::dag::{Dag, Node, NodeId, Sym};
use crate::SymbolicError;
use galvani_ir::step::Func;
use galvani_ir::{BinOp, Builtin, ExprId, ExprKind, Model};
use std::collections::HashMap;

/// The deepest lowered expression accepted (intermediates substituted). Real models stay
/// below 60; the limit keeps the recursive simplifier within a 2 MiB thread stack.
pub const MAX_DEPTH: u32 = 600;

/// Lowers the expressions of one model into one DAG.
pub(crate) struct Lowerer<'m> {
    model: &'m Model,
    raw: Vec<Option<NodeId>>,
    /// Expressions on the current walk's path (cycle detection). Allocated once: a fresh
    /// arena-sized vector per lowered expression made lowering quadratic in model size.
    /// Every walk that succeeds leaves it all false.
    visiting: Vec<bool>,
    /// The first arena expression each raw node came from (to place warnings).
    pub(crate) origin: HashMap<NodeId, ExprId>,
}

impl<'m> Lowerer<'m> {
    pub(crate) fn new(model: &'m Model) -> Lowerer<'m> {
        Lowerer {
            model,
            raw: vec![None; model.exprs.len()],
            visiting: vec![false; model.exprs.len()],
            origin: HashMap::new(),
        }
    }

    /// The simplified DAG node of an arena expression.
    pub(crate) fn lower(&mut self, dag: &mut Dag, expr: ExprId) -> Result<NodeId, SymbolicError> {
        let raw = self.lower_raw(dag, expr)?;
        Ok(dag.simplify(raw))
    }

    /// The raw (unsimplified) DAG node of an arena expression.
    pub(crate) fn lower_raw(
        &mut self,
        dag: &mut Dag,
        root: ExprId,
    ) -> Result<NodeId, SymbolicError> {
        self.check_id(root)?;
        let mut visiting = std::mem::take(&mut self.visiting);
        let result = self.walk(dag, root, &mut visiting);
        if result.is_err() {
            // A failed walk may leave marks; errors are rare, so clear them all.
            visiting.fill(false);
        }
        self.visiting = visiting;
        result
    }

    /// Post-order walk from `root`: a node is built once all its children are.
    fn walk(
        &mut self,
        dag: &mut Dag,
        root: ExprId,
        visiting: &mut [bool],
    ) -> Result<NodeId, SymbolicError> {
        let mut stack: Vec<(ExprId, bool)> = vec![(root, false)];
        while let Some((id, children_done)) = stack.pop() {
            if self.raw[id.index()].is_some() {
                continue;
            }
            let children = self.children(id)?;
            if !children_done {
                if visiting[id.index()] {
                    return Err(SymbolicError::MalformedModel {
                        what: format!("expression #{} refers to itself", id.0),
                    });
                }
                visiting[id.index()] = true;
                stack.push((id, true));
                for child in children.into_iter().rev() {
                    if self.raw[child.index()].is_none() {
                        stack.push((child, false));
                    }
                }
                continue;
            }
            let node = self.build(dag, id)?;
            visiting[id.index()] = false;
            if dag.depth(node) > MAX_DEPTH {
                return Err(SymbolicError::TooDeep {
                    span: self.model.exprs.span(root),
                    depth: dag.depth(node),
                });
            }
            self.origin.entry(node).or_insert(id);
            self.raw[id.index()] = Some(node);
        }
        self.built(root)
    }

    fn check_id(&self, id: ExprId) -> Result<(), SymbolicError> {
        if id.index() < self.model.exprs.len() {
            Ok(())
        } else {
            Err(SymbolicError::MalformedModel {
                what: format!("expression id #{} out of range", id.0),
            })
        }
    }

    fn built(&self, id: ExprId) -> Result<NodeId, SymbolicError> {
        self.raw[id.index()].ok_or_else(|| SymbolicError::MalformedModel {
            what: format!("expression #{} was not lowered", id.0),
        })
    }

    /// The arena expressions `id` is built from (an intermediate's value counts).
    fn children(&self, id: ExprId) -> Result<Vec<ExprId>, SymbolicError> {
        let children = match self.model.exprs.kind(id) {
            ExprKind::Const(_)
            | ExprKind::Param(_)
            | ExprKind::Input(_)
            | ExprKind::State(_)
            | ExprKind::Time => Vec::new(),
            ExprKind::Intermediate(i) => match self.model.intermediates.get(i.index()) {
                Some(m) => vec![m.value],
                None => {
                    return Err(SymbolicError::MalformedModel {
                        what: format!("intermediate id #{} out of range", i.0),
                    })
                }
            },
            ExprKind::Neg(a) | ExprKind::Not(a) => vec![*a],
            ExprKind::Binary(_, a, b) => vec![*a, *b],
            ExprKind::If(c, a, b) => vec![*c, *a, *b],
            ExprKind::Call(_, args) => args.clone(),
        };
        for child in &children {
            self.check_id(*child)?;
        }
        Ok(children)
    }

    fn build(&mut self, dag: &mut Dag, id: ExprId) -> Result<NodeId, SymbolicError> {
        let model = self.model;
        let node = model.exprs.node(id);
        let index_check = |len: usize, index: usize, what: &str| {
            if index < len {
                Ok(index as u32)
            } else {
                Err(SymbolicError::MalformedModel {
                    what: format!("{what} id #{index} out of range"),
                })
            }
        };
        Ok(match &node.kind {
            ExprKind::Const(value) => dag.constant(*value, node.dim),
            ExprKind::Param(p) => {
                let i = index_check(model.params.len(), p.index(), "param")?;
                dag.sym(Sym::Param(i))
            }
            ExprKind::Input(p) => {
                let i = index_check(model.inputs.len(), p.index(), "input")?;
                dag.sym(Sym::Input(i))
            }
            ExprKind::State(p) => {
                let i = index_check(model.states.len(), p.index(), "state")?;
                dag.sym(Sym::State(i))
            }
            ExprKind::Time => dag.sym(Sym::Time),
            ExprKind::Intermediate(i) => self.built(model.intermediates[i.index()].value)?,
            ExprKind::Neg(a) => {
                let minus_one = dag.constant(-1.0, galvani_ir::Dim::NONE);
                let a = self.built(*a)?;
                dag.intern(Node::Mul(vec![minus_one, a]))
            }
            ExprKind::Not(a) => {
                let a = self.built(*a)?;
                dag.intern(Node::Not(a))
            }
            ExprKind::Binary(op, a, b) => {
                let (a, b) = (self.built(*a)?, self.built(*b)?);
                match op {
                    BinOp::Add => dag.intern(Node::Add(vec![a, b])),
                    BinOp::Sub => {
                        let minus_one = dag.constant(-1.0, galvani_ir::Dim::NONE);
                        let minus_b = dag.intern(Node::Mul(vec![minus_one, b]));
                        dag.intern(Node::Add(vec![a, minus_b]))
                    }
                    BinOp::Mul => dag.intern(Node::Mul(vec![a, b])),
                    BinOp::Div => {
                        let minus_one = dag.constant(-1.0, galvani_ir::Dim::NONE);
                        let inverse = dag.intern(Node::Pow(b, minus_one));
                        dag.intern(Node::Mul(vec![a, inverse]))
                    }
                    BinOp::Pow => dag.intern(Node::Pow(a, b)),
                    _ => dag.intern(Node::Logic(*op, a, b)),
                }
            }
            ExprKind::If(c, a, b) => {
                let (c, a, b) = (self.built(*c)?, self.built(*a)?, self.built(*b)?);
                dag.intern(Node::If(c, a, b))
            }
            ExprKind::Call(builtin, args) => {
                if args.len() != builtin.arity() {
                    return Err(SymbolicError::MalformedModel {
                        what: format!("{} called with {} arguments", builtin.name(), args.len()),
                    });
                }
                let args: Vec<NodeId> = args
                    .iter()
                    .map(|a| self.built(*a))
                    .collect::<Result<_, _>>()?;
                if *builtin == Builtin::Pow {
                    dag.intern(Node::Pow(args[0], args[1]))
                } else {
                    dag.intern(Node::Call(Func::Builtin(*builtin), args))
                }
            }
        })
    }
}
