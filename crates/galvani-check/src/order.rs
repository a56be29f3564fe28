//! Dependency order: stable topological sorts (Kahn's algorithm with a min-heap on file
//! position, so declaration order is kept wherever the dependencies allow and the result
//! is deterministic), and cycle reports naming the whole cycle with the use that closes
//! each step. Everything is iterative and `O((V + E) log V)`.
//!
//! Three graphs, all over declarations, edges from a use to what it uses:
//! - params (with the functions they call): gives `Model::params`' order;
//! - intermediates among themselves: gives `Model::intermediates`' order;
//! - every definition (params, inputs, states' initial values, gates' initial values,
//!   intermediates, functions): the order in which the checker lowers definitions (so a
//!   name's dimension is known before it is used), and, restricted to states,
//!   `Model::init_order`. A cycle through a state here is an initial-value cycle.

use crate::collect::{DeclId, Decls};
use crate::error::{CheckError, CycleKind, DeclKind};
use crate::resolve::{Edge, Resolution};
use crate::sink::Sink;
use galvani_diag::Span;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

pub struct Orders {
    /// Params in dependency order (any in a cycle appended in file order).
    pub params: Vec<DeclId>,
    /// Intermediates in dependency order (any in a cycle appended in file order).
    pub intermediates: Vec<DeclId>,
    /// Every non-function declaration, in an order where each comes after what its
    /// definition uses.
    pub definitions: Vec<DeclId>,
    /// States and gates: the order in which their initial values can be computed.
    pub init: Vec<DeclId>,
}

pub fn order(decls: &Decls, res: &Resolution, sink: &mut Sink) -> Orders {
    let n = decls.decls.len();
    let kind = |id: DeclId| decls.decls[id].kind;
    let usable_fn = |id: DeclId| kind(id) == DeclKind::Function && !res.unusable_function[id];
    let all: Vec<DeclId> = (0..n).collect();

    // Params, through the functions they call.
    let param_nodes: Vec<DeclId> = all
        .iter()
        .copied()
        .filter(|&id| kind(id) == DeclKind::Param || usable_fn(id))
        .collect();
    let params = sort_and_report(&param_nodes, n, &res.deps, sink, decls, |_| {
        Some(CycleKind::Params)
    });

    let intermediate_nodes: Vec<DeclId> = all
        .iter()
        .copied()
        .filter(|&id| kind(id) == DeclKind::Intermediate)
        .collect();
    let intermediates = sort_and_report(&intermediate_nodes, n, &res.deps, sink, decls, |_| {
        Some(CycleKind::Intermediates)
    });

    // Everything: cycles that pass through a state are initial-value cycles; the others
    // were reported above.
    let definition_nodes: Vec<DeclId> = all
        .iter()
        .copied()
        .filter(|&id| kind(id) != DeclKind::Function || usable_fn(id))
        .collect();
    let definitions = sort_and_report(&definition_nodes, n, &res.deps, sink, decls, |c| {
        c.iter()
            .any(|&id| matches!(kind(id), DeclKind::State | DeclKind::Gate))
            .then_some(CycleKind::InitialValues)
    });

    let is_state = |id: &DeclId| matches!(kind(*id), DeclKind::State | DeclKind::Gate);
    Orders {
        params: params
            .iter()
            .copied()
            .filter(|&id| kind(id) == DeclKind::Param)
            .collect(),
        intermediates,
        init: definitions.iter().copied().filter(is_state).collect(),
        definitions: definitions
            .into_iter()
            .filter(|&id| kind(id) != DeclKind::Function)
            .collect(),
    }
}

/// Sorts `nodes` and reports one cycle per strongly connected component left over, for
/// the components `kind_of` assigns a kind (starting at a state, for initial values).
fn sort_and_report(
    nodes: &[DeclId],
    n: usize,
    deps: &[Vec<Edge>],
    sink: &mut Sink,
    decls: &Decls,
    kind_of: impl Fn(&[DeclId]) -> Option<CycleKind>,
) -> Vec<DeclId> {
    let mut in_set = vec![false; n];
    for &id in nodes {
        in_set[id] = true;
    }
    let edges = |id: DeclId| -> Vec<Edge> {
        deps[id]
            .iter()
            .copied()
            .filter(|(d, _)| in_set[*d])
            .collect()
    };
    let (mut sorted, left) = stable_topo(nodes, n, &|id| edges(id).iter().map(|e| e.0).collect());
    if !left.is_empty() {
        let mut left_set = vec![false; n];
        for &id in &left {
            left_set[id] = true;
        }
        let succ = |id: DeclId| -> Vec<DeclId> {
            edges(id)
                .iter()
                .map(|e| e.0)
                .filter(|d| left_set[*d])
                .collect()
        };
        for component in strongly_connected(&left, n, &succ) {
            let cyclic = component.len() > 1 || succ(component[0]).contains(&component[0]);
            if !cyclic {
                continue;
            }
            let Some(kind) = kind_of(&component) else {
                continue;
            };
            // Start an initial-value cycle at a state so that it passes through one.
            let start = if kind == CycleKind::InitialValues {
                component
                    .iter()
                    .copied()
                    .filter(|&id| matches!(decls.decls[id].kind, DeclKind::State | DeclKind::Gate))
                    .min()
            } else {
                component.iter().copied().min()
            };
            let Some(start) = start else { continue };
            let steps = cycle_from(start, &component, &edges);
            sink.push(|| CheckError::Cycle {
                kind,
                steps: steps
                    .iter()
                    .map(|(id, span)| (decls.decls[*id].name.to_string(), *span))
                    .collect(),
            });
        }
        sorted.extend(left);
    }
    sorted
}

/// Kahn's algorithm over `nodes` (ids below `n`), where `deps(v)` are the nodes `v` must
/// come after. Among the ready nodes the smallest id goes first, so the result is the
/// lexicographically smallest topological order. Returns the order and, in id order, the
/// nodes it could not place (in or behind a cycle).
pub fn stable_topo(
    nodes: &[DeclId],
    n: usize,
    deps: &dyn Fn(DeclId) -> Vec<DeclId>,
) -> (Vec<DeclId>, Vec<DeclId>) {
    let mut in_set = vec![false; n];
    for &id in nodes {
        in_set[id] = true;
    }
    let mut waiting = vec![0usize; n];
    let mut dependents: Vec<Vec<DeclId>> = vec![Vec::new(); n];
    for &v in nodes {
        let mut ds = deps(v);
        ds.retain(|d| in_set[*d]);
        ds.sort_unstable();
        ds.dedup();
        waiting[v] = ds.len();
        for d in ds {
            dependents[d].push(v);
        }
    }
    let mut ready: BinaryHeap<Reverse<DeclId>> = nodes
        .iter()
        .copied()
        .filter(|&v| waiting[v] == 0)
        .map(Reverse)
        .collect();
    let mut order = Vec::with_capacity(nodes.len());
    let mut placed = vec![false; n];
    while let Some(Reverse(v)) = ready.pop() {
        order.push(v);
        placed[v] = true;
        for &u in &dependents[v] {
            waiting[u] -= 1;
            if waiting[u] == 0 {
                ready.push(Reverse(u));
            }
        }
    }
    let mut left: Vec<DeclId> = nodes.iter().copied().filter(|&v| !placed[v]).collect();
    left.sort_unstable();
    (order, left)
}

/// Tarjan's strongly connected components of the graph `succ` restricted to what is
/// reachable from `roots`, iteratively. Components come out in reverse topological order:
/// a component after every component it reaches.
pub fn strongly_connected(
    roots: &[usize],
    n: usize,
    succ: &dyn Fn(usize) -> Vec<usize>,
) -> Vec<Vec<usize>> {
    const UNVISITED: usize = usize::MAX;
    let mut index = vec![UNVISITED; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut components = Vec::new();
    let mut counter = 0;
    for &root in roots {
        if index[root] != UNVISITED {
            continue;
        }
        let mut calls: Vec<(usize, Vec<usize>, usize)> = Vec::new();
        index[root] = counter;
        low[root] = counter;
        counter += 1;
        stack.push(root);
        on_stack[root] = true;
        calls.push((root, succ(root), 0));
        while let Some(frame) = calls.last_mut() {
            let v = frame.0;
            if frame.2 < frame.1.len() {
                let w = frame.1[frame.2];
                frame.2 += 1;
                if index[w] == UNVISITED {
                    index[w] = counter;
                    low[w] = counter;
                    counter += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    calls.push((w, succ(w), 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            calls.pop();
            if let Some(parent) = calls.last() {
                let p = parent.0;
                low[p] = low[p].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                component.sort_unstable();
                components.push(component);
            }
        }
    }
    components
}

/// A shortest cycle through the smallest node of a strongly connected `component`.
pub fn cycle_within(component: &[DeclId], edges: &dyn Fn(DeclId) -> Vec<Edge>) -> Vec<Edge> {
    match component.iter().copied().min() {
        Some(start) => cycle_from(start, component, edges),
        None => Vec::new(),
    }
}

/// A shortest cycle from `start` back to itself inside `component` (breadth-first),
/// as steps `(node, span where it uses the next node)`.
fn cycle_from(
    start: DeclId,
    component: &[DeclId],
    edges: &dyn Fn(DeclId) -> Vec<Edge>,
) -> Vec<Edge> {
    let inside: std::collections::HashSet<DeclId> = component.iter().copied().collect();
    // parent[w] = (v, span): w was reached from v by a use at span.
    let mut parent: HashMap<DeclId, (DeclId, Span)> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    let mut closing: Option<(DeclId, Span)> = None;
    'search: while let Some(v) = queue.pop_front() {
        for (w, span) in edges(v) {
            if !inside.contains(&w) {
                continue;
            }
            if w == start {
                closing = Some((v, span));
                break 'search;
            }
            if let std::collections::hash_map::Entry::Vacant(slot) = parent.entry(w) {
                slot.insert((v, span));
                queue.push_back(w);
            }
        }
    }
    let Some((mut v, span)) = closing else {
        return Vec::new();
    };
    // Walk back from the node that closes the cycle to `start`.
    let mut reversed = vec![(v, span)];
    while v != start {
        let Some(&(p, s)) = parent.get(&v) else {
            break;
        };
        reversed.push((p, s));
        v = p;
    }
    reversed.reverse();
    reversed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topo_keeps_file_order_where_free() {
        // 0 uses 2, 1 free, 2 free → 1? No: smallest ready first: 1, 2, 0.
        let deps = |v: usize| match v {
            0 => vec![2],
            _ => vec![],
        };
        let (order, left) = stable_topo(&[0, 1, 2], 3, &deps);
        assert_eq!(order, vec![1, 2, 0]);
        assert!(left.is_empty());
    }

    #[test]
    fn topo_leaves_cycles_and_their_dependents() {
        let deps = |v: usize| match v {
            0 => vec![1],
            1 => vec![0],
            2 => vec![1],
            _ => vec![],
        };
        let (order, left) = stable_topo(&[0, 1, 2, 3], 4, &deps);
        assert_eq!(order, vec![3]);
        assert_eq!(left, vec![0, 1, 2]);
        let succ = |v: usize| deps(v);
        let comps = strongly_connected(&left, 4, &succ);
        assert!(comps.contains(&vec![0, 1]));
        assert!(comps.contains(&vec![2]));
    }

    #[test]
    fn shortest_cycle_is_found() {
        let s = Span::default();
        let edges = |v: usize| -> Vec<Edge> {
            match v {
                0 => vec![(1, s), (2, s)],
                1 => vec![(3, s)],
                2 => vec![(0, s)],
                3 => vec![(0, s)],
                _ => vec![],
            }
        };
        let cycle = cycle_within(&[0, 1, 2, 3], &edges);
        let nodes: Vec<usize> = cycle.iter().map(|e| e.0).collect();
        assert_eq!(nodes, vec![0, 2]);
    }
}
