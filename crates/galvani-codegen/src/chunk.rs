//! Splitting a large planned block into functions of bounded size. Cranelift's register
//! allocator costs more than linearly in the size of one function (a 10,000-state step as
//! one function took over 20 s to compile), so a block with more than [`MAX_CHUNK_OPS`]
//! operations and stores is compiled as an entry function (the usual loop over neurons)
//! that calls, per neuron, a sequence of helpers:
//!
//! ```text
//! entry(data, n, mask, neurons, count, t, dt):   for each neuron i:
//!     helper 0(data, n, mask, i, t, dt, scratch)   the operations of the first outputs
//!     helper 1(…)                                   the next outputs' operations
//!     …
//!     helper k(…)                                   stores that had to wait
//! ```
//!
//! Outputs are taken in order, each with the operations it needs that no earlier output
//! needed, so one equation's operations stay together. Constants, `t`, `dt` and loads are
//! recomputed by every helper that uses them; any other value computed by one helper and
//! used by a later one travels through `scratch`, a stack area of the entry, bit for bit.
//! A block still computes every new value from the old ones: a helper stores a value itself
//! only when no later helper loads the same slot and no other output writes it; otherwise
//! the store waits for the store phase, which writes in output order. This module only
//! decides the split (plain data, no Cranelift); `lower.rs` emits it, and a block of at most
//! `MAX_CHUNK_OPS` operations and stores is lowered exactly as before, as one function.

use crate::plan::{Op, Plan, Store};
use galvani_ir::step::Reg;
use std::collections::{BTreeMap, BTreeSet};

/// The most operations of a block in one function: a block of this size or less is one
/// function; a bigger one is split into chunks of this many operations (and store phases
/// of this many deferred stores).
pub const MAX_CHUNK_OPS: usize = 500;

/// How a block is split. `chunks` run in order for each neuron, then `store_phases`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Split {
    pub chunks: Vec<Chunk>,
    pub store_phases: Vec<Vec<(Store, usize)>>,
    /// Number of f64 values in the scratch area.
    pub scratch_len: usize,
}

/// One helper function: the operations `ops` of the plan (ascending indices), the values
/// it reads from scratch (`(register, scratch index)`, computed by earlier chunks), the
/// values it writes there, and the stores it makes itself.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Chunk {
    pub ops: Vec<usize>,
    pub imports: Vec<(Reg, usize)>,
    pub exports: Vec<(Reg, usize)>,
    pub stores: Vec<Store>,
}

impl Split {
    /// Number of helper functions.
    pub fn helpers(&self) -> usize {
        self.chunks.len() + self.store_phases.len()
    }
}

/// The registers an operation reads.
pub(crate) fn operands(op: &Op) -> Vec<Reg> {
    match op {
        Op::Const(_) | Op::Time | Op::Dt => Vec::new(),
        Op::Load { earlier, .. } => earlier.iter().map(|&(_, reg)| reg).collect(),
        Op::Neg(a) | Op::Not(a) => vec![*a],
        Op::Binary(_, a, b) => vec![*a, *b],
        Op::Select(c, a, b) => vec![*c, *a, *b],
        Op::Call(_, args) => args.clone(),
    }
}

/// Operations recomputed in every chunk that uses them instead of passed through scratch:
/// they cost one instruction and read nothing the block writes before its stores (a load
/// of a slot that an earlier chunk would store makes that store wait, see `split`).
pub(crate) fn rematerialized(op: &Op) -> bool {
    matches!(
        op,
        Op::Const(_) | Op::Time | Op::Dt | Op::Load { earlier: None, .. }
    )
}

/// A chunk being filled.
#[derive(Default)]
struct Filling {
    ops: BTreeSet<usize>,
    /// Indices into the plan's stores.
    stores: Vec<usize>,
}

impl Filling {
    fn cost(&self) -> usize {
        self.ops.len() + self.stores.len()
    }
}

/// Splits `plan` into chunks of about `max_ops` operations and stores, or `None` when the
/// block fits in one function. Outputs are taken in order, each with the operations it
/// needs that no earlier output needed (its cone), so an equation's operations stay
/// together and few values cross chunks — the step program loads every state first,
/// so chunks of consecutive operations would pass every state through scratch. Linear in
/// the size of the block (up to the logarithm of maps).
pub(crate) fn split(plan: &Plan, max_ops: usize) -> Option<Split> {
    let max_ops = max_ops.max(1);
    if plan.ops.len() + plan.stores.len() <= max_ops {
        return None;
    }
    let remat: Vec<bool> = plan.ops.iter().map(rematerialized).collect();
    let mut assigned: Vec<Option<usize>> = vec![None; plan.ops.len()];
    let mut filled: Vec<Filling> = Vec::new();
    let mut current = Filling::default();

    // Adds operation `r` (whose non-rematerialized operands are placed already) to the
    // current chunk, with the rematerialized operands it needs.
    let add = |r: usize, current: &mut Filling, assigned: &mut Vec<Option<usize>>, chunk: usize| {
        for operand in operands(&plan.ops[r]) {
            let o = operand.0 as usize;
            if remat[o] {
                current.ops.insert(o);
            }
        }
        current.ops.insert(r);
        if !remat[r] {
            assigned[r] = Some(chunk);
        }
    };
    let mut stack: Vec<usize> = Vec::new();
    let mut cone: Vec<usize> = Vec::new();
    for (index, store) in plan.stores.iter().enumerate() {
        // The cone: every operation this output needs that no chunk holds yet.
        cone.clear();
        stack.push(store.reg.0 as usize);
        while let Some(r) = stack.pop() {
            if remat[r] || assigned[r].is_some() {
                continue;
            }
            assigned[r] = Some(usize::MAX); // visited; placed below
            cone.push(r);
            stack.extend(operands(&plan.ops[r]).into_iter().map(|o| o.0 as usize));
        }
        cone.sort_unstable();
        for &r in &cone {
            if current.cost() >= max_ops {
                filled.push(std::mem::take(&mut current));
            }
            add(r, &mut current, &mut assigned, filled.len());
        }
        if current.cost() >= max_ops {
            filled.push(std::mem::take(&mut current));
        }
        let r = store.reg.0 as usize;
        if remat[r] {
            current.ops.insert(r);
        }
        current.stores.push(index);
    }
    if current.cost() > 0 || filled.is_empty() {
        filled.push(current);
    }

    // Where each value is, who reads it, and which stores must wait.
    let chunk_of_op = |r: usize, c: usize| {
        if remat[r] {
            c
        } else {
            assigned[r].unwrap_or(c)
        }
    };
    let mut last_load: BTreeMap<usize, usize> = BTreeMap::new();
    let mut writes: BTreeMap<usize, usize> = BTreeMap::new();
    for (c, chunk) in filled.iter().enumerate() {
        for &r in &chunk.ops {
            if let Op::Load { slot, .. } = plan.ops[r] {
                last_load.insert(slot, c);
            }
        }
    }
    for store in &plan.stores {
        *writes.entry(store.slot).or_default() += 1;
    }
    let mut scratch: BTreeMap<Reg, usize> = BTreeMap::new();
    // `(chunk, register)`: the chunk that writes the register to scratch.
    let mut exported: BTreeSet<(usize, Reg)> = BTreeSet::new();
    let mut export = |reg: Reg, from: usize, exported: &mut BTreeSet<(usize, Reg)>| -> usize {
        exported.insert((from, reg));
        let next = scratch.len();
        *scratch.entry(reg).or_insert(next)
    };
    let mut chunks = Vec::with_capacity(filled.len());
    let mut deferred = Vec::new();
    for (c, filling) in filled.iter().enumerate() {
        let mut imports: BTreeSet<Reg> = BTreeSet::new();
        for &r in &filling.ops {
            for operand in operands(&plan.ops[r]) {
                if !filling.ops.contains(&(operand.0 as usize)) {
                    imports.insert(operand);
                }
            }
        }
        let mut stores = Vec::new();
        for &index in &filling.stores {
            let store = plan.stores[index];
            let r = store.reg.0 as usize;
            let later_load = last_load.get(&store.slot).is_some_and(|&l| l > c);
            if later_load || writes[&store.slot] > 1 {
                // Exported by the chunk holding the value (this one for a recomputed one).
                deferred.push((store, chunk_of_op(r, c)));
            } else {
                if !filling.ops.contains(&r) {
                    imports.insert(store.reg);
                }
                stores.push(store);
            }
        }
        chunks.push(Chunk {
            ops: filling.ops.iter().copied().collect(),
            imports: imports.into_iter().map(|reg| (reg, 0)).collect(),
            exports: Vec::new(),
            stores,
        });
    }
    // Scratch indices: every import is exported by the chunk that computed it.
    for (c, chunk) in chunks.iter_mut().enumerate() {
        let imports = std::mem::take(&mut chunk.imports);
        chunk.imports = imports
            .into_iter()
            .map(|(reg, _)| {
                let from = chunk_of_op(reg.0 as usize, c);
                (reg, export(reg, from, &mut exported))
            })
            .collect();
    }
    let deferred: Vec<(Store, usize)> = deferred
        .into_iter()
        .map(|(store, from)| (store, export(store.reg, from, &mut exported)))
        .collect();
    for &(c, reg) in &exported {
        chunks[c].exports.push((reg, scratch[&reg]));
    }
    let store_phases = deferred.chunks(max_ops).map(<[_]>::to_vec).collect();
    Some(Split {
        chunks,
        store_phases,
        scratch_len: scratch.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use galvani_ir::model::BinOp;
    use galvani_kernel::BlockKind;

    /// `x_i ← x_i + c` for `n` slots, ops in the order load, const, add per slot.
    fn independent(n: usize) -> Plan {
        let mut ops = Vec::new();
        let mut stores = Vec::new();
        for i in 0..n {
            let base = ops.len() as u32;
            ops.push(Op::Load {
                slot: i,
                earlier: None,
            });
            ops.push(Op::Const(1.0));
            ops.push(Op::Binary(BinOp::Add, Reg(base), Reg(base + 1)));
            stores.push(Store {
                slot: i,
                reg: Reg(base + 2),
                mask: None,
            });
        }
        Plan {
            kind: BlockKind::Step,
            ops,
            stores,
        }
    }

    #[test]
    fn small_blocks_are_not_split() {
        assert_eq!(split(&independent(3), 12), None);
    }

    #[test]
    fn independent_values_store_in_their_chunk() {
        let s = split(&independent(4), 8).expect("12 ops and 4 stores split in two");
        assert_eq!(s.chunks.len(), 2);
        assert_eq!(s.scratch_len, 0);
        assert!(s.store_phases.is_empty());
        assert_eq!(s.chunks[0].ops, vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(s.chunks[1].ops, vec![6, 7, 8, 9, 10, 11]);
        assert_eq!(s.chunks[0].stores.len(), 2);
        assert_eq!(s.chunks[1].stores.len(), 2);
    }

    #[test]
    fn a_slot_loaded_later_waits_for_the_store_phase() {
        let mut plan = independent(2);
        // A third output also reads slot 0: slot 0's new value must wait.
        plan.ops.push(Op::Load {
            slot: 0,
            earlier: None,
        });
        plan.ops.push(Op::Binary(BinOp::Add, Reg(6), Reg(0)));
        plan.stores.push(Store {
            slot: 5,
            reg: Reg(7),
            mask: None,
        });
        let s = split(&plan, 4).expect("split");
        assert_eq!(s.chunks.len(), 3);
        // The third chunk loads slot 0 itself (loads are recomputed, never passed on)…
        assert_eq!(s.chunks[2].ops, vec![0, 6, 7]);
        assert!(s.chunks[2].imports.is_empty());
        // …so the first chunk hands its new value of slot 0 to the store phase.
        assert!(s.chunks[0].stores.is_empty());
        assert_eq!(s.chunks[0].exports, vec![(Reg(2), 0)]);
        assert_eq!(s.store_phases, vec![vec![(plan.stores[0], 0)]]);
        assert_eq!(s.scratch_len, 1);
    }

    #[test]
    fn a_shared_value_travels_through_scratch() {
        let mut plan = independent(2);
        // Both outputs use one sum of two loads (not recomputed: it is no load).
        plan.ops.push(Op::Binary(BinOp::Add, Reg(2), Reg(5))); // r6 = r2 + r5
        plan.ops.push(Op::Neg(Reg(6))); // r7
        plan.stores = vec![
            Store {
                slot: 7,
                reg: Reg(6),
                mask: None,
            },
            Store {
                slot: 8,
                reg: Reg(7),
                mask: None,
            },
        ];
        let s = split(&plan, 8).expect("split");
        assert_eq!(s.chunks.len(), 2);
        assert_eq!(s.chunks[1].ops, vec![7]);
        assert_eq!(s.chunks[1].imports, vec![(Reg(6), 0)]);
        assert_eq!(s.chunks[0].exports, vec![(Reg(6), 0)]);
    }
}
