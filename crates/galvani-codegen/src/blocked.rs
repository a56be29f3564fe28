//! The blocked lowering of the step block (issue 12, `docs/design-blocks.md`): one loop over
//! blocks of [`LANES`] = `galvani_kernel::BLOCK` neurons; inside a block, the step program
//! split into phases at each level of transcendental dependency. A phase is a loop of f64x2
//! arithmetic over the block's lanes (two neurons an iteration); between two phases, one
//! call of `galvani_vmath_apply` per vector function over the block's arguments of that
//! function (one scratch row of 64 values per call site, the rows of one function and
//! level contiguous, so `k` calls of `exp` at one level are one call over `64·k` values).
//!
//! ```text
//! fn(data, n, mask, neurons, count, t, dt):          (the signature of every block)
//!   for lane0 in (0..count).step_by(64):             whole blocks: lane0 + 64 ≤ stride
//!     m = min(count − lane0 rounded up to even, 64)   (64 but in a last, partial block)
//!     phase 0: for j in (0..m).step_by(2): ops of level 0 on lanes lane0+j, lane0+j+1;
//!              values later phases need → scratch; arguments of level-1 calls → scratch
//!     galvani_vmath_apply(exp, scratch + …, k rows, 64, m) … one call per function
//!     phase 1: …
//!     last phase: every output value, then every store (all loads of a lane come before
//!                 any store to it: new values are computed from the old state)
//! ```
//!
//! The level of an operation: 0 for constants, `t`, `dt` and loads (recomputed in every
//! phase that uses them, as in `chunk.rs`: a block stores only in its last phase, so a
//! load in a later phase still reads the old state); the maximum of its operands' levels
//! for arithmetic; one more than its arguments' level for a vector call (`exp`, `expm1`,
//! `φ`, `exprel`, `log`, and `pow` — `x^y` and `pow(x, y)` but for an exponent 2, 3 or 4,
//! which stay multiplications — what `galvani-vmath` has; a `pow` call site has two
//! scratch rows, `x` then `y`). Other calls (`sin`, `tanh`, …) stay scalar calls of the
//! table's value function, one per lane, inside the phase.
//!
//! Padding lanes `n ≤ i < stride` that share a lane pair with a neuron (`n` odd) are
//! computed like the others — the runtime fills every padding lane with copies of neuron
//! 0, `Population::fill_padding`, so they stay finite — and never read by anything the
//! user sees. In a partial last block the vector calls cover the same `m` lanes of each
//! row, so a population of one neuron costs about what the scalar kernel costs. This module decides the phases as plain data (`Phases::of`) and emits them;
//! a step too large for one function (`MAX_CHUNK_OPS`) or for the scratch area keeps the
//! scalar lowering (`lower.rs`, `chunk.rs`).

use crate::chunk::{operands, rematerialized};
use crate::lower::{block_signature, import_runtime, Target};
use crate::math::Lowering;
use crate::plan::{Op, Plan};
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    types, AbiParam, BlockArg, ExtFuncData, ExternalName, FuncRef, Function, InstBuilder,
    MemFlagsData, Signature, StackSlotData, StackSlotKind, UserExternalName, UserFuncName, Value,
};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use galvani_ir::model::{BinOp, Builtin};
use galvani_ir::step::{Func, Reg};
use galvani_kernel::{BlockKind, BlockStatus, EventArray, Shape};
use galvani_vmath::VectorFn;
use std::collections::BTreeMap;

/// Neurons per block: the blocked loop's step and the length of every scratch row.
pub const LANES: usize = galvani_kernel::BLOCK;

/// Bytes of one scratch row (one value for every lane of a block).
const ROW_BYTES: usize = LANES * 8;

/// The most scratch rows a blocked step may use: 256 rows of 512 bytes, 128 KiB of stack.
/// A step that needs more keeps the scalar lowering.
pub const MAX_SCRATCH_ROWS: usize = 256;

/// The symbol the JIT links `galvani_vmath::galvani_vmath_apply` under.
pub const VMATH_SYMBOL: &str = "galvani_vmath_apply";

/// The order of the vector calls after a phase: the functions of one argument, then `pow`.
const VECTOR_ORDER: [VectorFn; 6] = [
    VectorFn::Exp,
    VectorFn::Expm1,
    VectorFn::Phi,
    VectorFn::Exprel,
    VectorFn::Log,
    VectorFn::Pow,
];

/// The vector function a call is done with, when `galvani-vmath` has it.
pub fn vector_fn(lowering: Lowering) -> Option<VectorFn> {
    match lowering {
        Lowering::Runtime(Func::Builtin(Builtin::Exp)) => Some(VectorFn::Exp),
        Lowering::Runtime(Func::Builtin(Builtin::Expm1)) => Some(VectorFn::Expm1),
        Lowering::Runtime(Func::Builtin(Builtin::Exprel)) => Some(VectorFn::Exprel),
        Lowering::Runtime(Func::Builtin(Builtin::Log)) => Some(VectorFn::Log),
        Lowering::Runtime(Func::Builtin(Builtin::Pow)) => Some(VectorFn::Pow),
        Lowering::Runtime(Func::Phi) => Some(VectorFn::Phi),
        _ => None,
    }
}

/// The phase structure of a blocked step: plain data, decided before any CLIF is built.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Phases {
    /// Per operation: `None` when recomputed wherever it is used; otherwise the phase that
    /// computes it (for a vector call: the first phase its result is available in).
    pub phase: Vec<Option<usize>>,
    /// Per operation: its scratch row, when it crosses phases (every vector call has one:
    /// it holds the argument, then the result; `pow` has the next row too, for `y`).
    pub row: Vec<Option<usize>>,
    /// Per operation: the vector function of a vector call.
    pub vector: Vec<Option<VectorFn>>,
    /// Number of phases (at least 1).
    pub count: usize,
    /// After phase `p`: `(function, first row, rows)`, one call each, in `VECTOR_ORDER`
    /// (`pow`: two rows per call site).
    pub calls: Vec<Vec<(VectorFn, usize, usize)>>,
    /// Scratch rows in all.
    pub rows: usize,
}

impl Phases {
    /// The phases of `plan`, or `None` when the block keeps the scalar lowering: it is not
    /// the step block, it has more than `max_ops` operations and stores (it would be split
    /// into helpers), or it needs more than [`MAX_SCRATCH_ROWS`] scratch rows.
    pub(crate) fn of(plan: &Plan, max_ops: usize) -> Option<Phases> {
        if plan.kind != BlockKind::Step || plan.ops.len() + plan.stores.len() > max_ops {
            return None;
        }
        let len = plan.ops.len();
        let mut phase: Vec<Option<usize>> = vec![None; len];
        let mut vector: Vec<Option<VectorFn>> = vec![None; len];
        for (k, op) in plan.ops.iter().enumerate() {
            if let Op::Load {
                earlier: Some(_), ..
            } = op
            {
                // Only sequential blocks (params, init) have these.
                return None;
            }
            if rematerialized(op) {
                continue;
            }
            let level = operands(op)
                .iter()
                .map(|r| phase[r.0 as usize].unwrap_or(0))
                .max()
                .unwrap_or(0);
            phase[k] = Some(match op {
                Op::Call(lowering, _) => match vector_fn(*lowering) {
                    Some(f) => {
                        vector[k] = Some(f);
                        level + 1
                    }
                    None => level,
                },
                _ => level,
            });
        }
        let count = phase.iter().flatten().max().map_or(1, |&p| p + 1);
        let last = count - 1;

        // The phase each value is last needed in: a vector call needs its argument in the
        // phase before its own, a store needs its value in the last phase.
        let mut needed: Vec<usize> = vec![0; len];
        for (k, op) in plan.ops.iter().enumerate() {
            let at = match (vector[k], phase[k]) {
                (Some(_), Some(p)) => p - 1,
                (None, Some(p)) => p,
                _ => continue,
            };
            for r in operands(op) {
                let r = r.0 as usize;
                needed[r] = needed[r].max(at);
            }
        }
        for store in &plan.stores {
            needed[store.reg.0 as usize] = last;
        }

        let mut row: Vec<Option<usize>> = vec![None; len];
        let mut rows = 0;
        // Vector calls first, grouped by the phase they follow and by function, so each
        // group is one contiguous run of rows and one call.
        let mut calls: Vec<Vec<(VectorFn, usize, usize)>> = vec![Vec::new(); count];
        for (p, after) in calls.iter_mut().enumerate().take(last) {
            for f in VECTOR_ORDER {
                let first = rows;
                for k in 0..len {
                    if vector[k] == Some(f) && phase[k] == Some(p + 1) {
                        row[k] = Some(rows);
                        rows += f.arity();
                    }
                }
                if rows > first {
                    after.push((f, first, rows - first));
                }
            }
        }
        for k in 0..len {
            if let (None, Some(p)) = (vector[k], phase[k]) {
                if needed[k] > p {
                    row[k] = Some(rows);
                    rows += 1;
                }
            }
        }
        if rows > MAX_SCRATCH_ROWS {
            return None;
        }
        Some(Phases {
            phase,
            row,
            vector,
            count,
            calls,
            rows,
        })
    }

    /// Number of `galvani_vmath_apply` calls per block.
    pub(crate) fn vector_calls(&self) -> usize {
        self.calls.iter().map(Vec::len).sum()
    }
}

/// The signature of `galvani_vmath_apply`:
/// `fn(function: u32, values: *mut f64, rows: usize, stride: usize, lanes: usize)`.
pub(crate) fn vmath_signature(call_conv: CallConv, pointer: types::Type) -> Signature {
    let mut sig = Signature::new(call_conv);
    sig.params.push(AbiParam::new(types::I32));
    for _ in 0..4 {
        sig.params.push(AbiParam::new(pointer));
    }
    sig
}

/// Builds the blocked function of the step block `plan` with the phases `phases`;
/// `name_index` is its `u0:N` name and `vmath_index` that of `galvani_vmath_apply`.
pub(crate) fn lower_blocked(
    plan: &Plan,
    phases: &Phases,
    shape: &Shape,
    name_index: u32,
    vmath_index: u32,
    target: &Target<'_>,
) -> Function {
    let pointer = target.config.pointer_type();
    let call_conv = target.config.default_call_conv;
    let mut func = Function::with_name_signature(
        UserFuncName::user(0, name_index),
        block_signature(call_conv, pointer),
    );
    let mut fb_ctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut func, &mut fb_ctx);
    // The population buffer is a `Vec<f64>`: 8-byte aligned, not necessarily 16, so its
    // vector loads and stores are not marked aligned; the scratch rows are.
    let data_flags = MemFlagsData::new().with_notrap();
    let scratch_flags = MemFlagsData::trusted();

    let entry = b.create_block();
    let outer = b.create_block();
    let exit = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let params = b.block_params(entry).to_vec();
    let (data, n, count, t, dt) = (params[0], params[1], params[4], params[5], params[6]);

    // Base address of every slot used: data + slot·n·8.
    let bases = crate::lower::slot_bases(&mut b, plan, data, n);
    let status = StatusPlan::of(plan, shape);
    let status_base = {
        let row_bytes = b.ins().ishl_imm_u(n, 3);
        let offset = b.ins().imul_imm_u(row_bytes, shape.status_slot() as i64);
        b.ins().iadd(data, offset)
    };
    let scratch = if phases.rows > 0 {
        let bytes = u32::try_from(phases.rows * ROW_BYTES).unwrap_or(u32::MAX);
        let slot =
            b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, bytes, 4));
        b.ins().stack_addr(pointer, slot, 0)
    } else {
        b.ins().iconst(pointer, 0)
    };
    // Scalar calls (per lane) of the functions vmath lacks.
    let scalar_ops: Vec<Op> = plan
        .ops
        .iter()
        .zip(&phases.vector)
        .filter(|(_, v)| v.is_none())
        .map(|(op, _)| op.clone())
        .collect();
    let imports = import_runtime(&mut b, &scalar_ops, target);
    let vmath = (phases.vector_calls() > 0).then(|| {
        let signature = b.func.import_signature(vmath_signature(call_conv, pointer));
        let name = b.func.declare_imported_user_function(UserExternalName {
            namespace: 0,
            index: vmath_index,
        });
        b.func.import_function(ExtFuncData {
            name: ExternalName::user(name),
            signature,
            colocated: false,
            patchable: false,
        })
    });
    let t2 = b.ins().splat(types::F64X2, t);
    let dt2 = b.ins().splat(types::F64X2, dt);
    let zero_index = b.ins().iconst(pointer, 0);
    b.ins().jump(outer, &[BlockArg::Value(zero_index)]);

    // outer(lane0): lane0 < count ? phase 0 : exit
    let lane0 = b.append_block_param(outer, pointer);
    b.switch_to_block(outer);
    let first = b.create_block();
    let more = b.ins().icmp(IntCC::UnsignedLessThan, lane0, count);
    b.ins().brif(more, first, &[], exit, &[]);
    b.switch_to_block(first);
    let block_offset = b.ins().ishl_imm_u(lane0, 3);
    // The lane pairs this block computes: all 32, except in the last block of a population
    // that does not fill it, where only the pairs holding a neuron (a small population
    // would otherwise pay for 64 lanes a step). In bytes:
    // min(((count − lane0)·8 + 8) & ~15, 512).
    let remaining = b.ins().isub(count, lane0);
    let remaining_bytes = b.ins().ishl_imm_u(remaining, 3);
    let rounded = b.ins().iadd_imm_u(remaining_bytes, 8);
    let pairs_bytes = b.ins().band_imm_s(rounded, -16);
    let full = b.ins().iconst(pointer, ROW_BYTES as i64);
    let limit = b.ins().umin(pairs_bytes, full);
    let lanes = b.ins().ushr_imm_u(limit, 3);

    let env = BodyEnv {
        plan,
        phases,
        bases: &bases,
        imports: &imports,
        t2,
        dt2,
        data_flags,
        scratch_flags,
    };
    for p in 0..phases.count {
        // header(jb, sums…): jb < 512 ? body : after, jb the byte offset of the lane pair;
        // in the last phase also the block's status sums (`StatusPlan`), carried over
        // the lane pairs.
        let last = p + 1 == phases.count;
        let sums = if last { status.sums() } else { 0 };
        let header = b.create_block();
        let body = b.create_block();
        let after = b.create_block();
        let zero = b.ins().iconst(pointer, 0);
        let zero2 = b.ins().f64const(0.0);
        let zero2 = b.ins().splat(types::F64X2, zero2);
        let mut start = vec![BlockArg::Value(zero)];
        start.extend((0..sums).map(|_| BlockArg::Value(zero2)));
        b.ins().jump(header, &start);
        let jb = b.append_block_param(header, pointer);
        let carried: Vec<Value> = (0..sums)
            .map(|_| b.append_block_param(header, types::F64X2))
            .collect();
        b.switch_to_block(header);
        let more = b.ins().icmp(IntCC::UnsignedLessThan, jb, limit);
        b.ins().brif(more, body, &[], after, &[]);
        b.switch_to_block(body);
        let offset = b.ins().iadd(block_offset, jb);
        // Without scratch rows nothing reads `scratch_lane`.
        let scratch_lane = if phases.rows > 0 {
            b.ins().iadd(scratch, jb)
        } else {
            scratch
        };
        let stored = env.phase_body(&mut b, p, offset, scratch_lane);
        let next = b.ins().iadd_imm_u(jb, 16);
        let mut args = vec![BlockArg::Value(next)];
        if last {
            args.extend(
                status
                    .accumulate(&mut b, &stored, &carried)
                    .into_iter()
                    .map(BlockArg::Value),
            );
        }
        b.ins().jump(header, &args);

        b.switch_to_block(after);
        if last {
            status.store(&mut b, &carried, status_base, block_offset, data_flags);
        }
        if let Some(vmath) = vmath {
            for &(f, first_row, rows) in &phases.calls[p] {
                let id = b.ins().iconst(types::I32, i64::from(f.id()));
                let values = b.ins().iadd_imm_u(scratch, (first_row * ROW_BYTES) as i64);
                let rows = b.ins().iconst(pointer, rows as i64);
                let stride = b.ins().iconst(pointer, LANES as i64);
                b.ins().call(vmath, &[id, values, rows, stride, lanes]);
            }
        }
    }
    let next = b.ins().iadd_imm_u(lane0, LANES as i64);
    b.ins().jump(outer, &[BlockArg::Value(next)]);
    b.switch_to_block(exit);
    b.ins().return_(&[]);
    b.seal_all_blocks();
    b.finalize(target.config);
    func
}

/// The block status the last phase sums over the lane pairs and stores after them
/// (`galvani_kernel::BlockStatus`): `s − s` with `s = Σ y` over the new states (0 when
/// all are finite; NaN when one is ±∞ or NaN, and when the sum overflows, which only
/// sends the runtime to look), and `Σ c` over the condition of each event the step
/// writes (0 when it holds for no lane). Lane pairs past the population's last neuron
/// are not computed, so they add nothing.
struct StatusPlan {
    /// The slots of the new states the step stores.
    states: Vec<usize>,
    /// `(condition slot, status lane)` of each fused event with a status lane.
    conditions: Vec<(usize, usize)>,
}

impl StatusPlan {
    fn of(plan: &Plan, shape: &Shape) -> StatusPlan {
        let stored = |slot: usize| plan.stores.iter().any(|s| s.slot == slot);
        StatusPlan {
            states: (0..shape.states)
                .map(|i| shape.state_slot(i))
                .filter(|&slot| stored(slot))
                .collect(),
            conditions: (0..shape.events.min(BlockStatus::MAX_EVENTS))
                .map(|e| {
                    (
                        shape.event_slot(e, EventArray::Condition),
                        BlockStatus::fired(e),
                    )
                })
                .filter(|&(slot, _)| stored(slot))
                .collect(),
        }
    }

    /// The sums carried over the lane pairs: the non-finite sum, then one per condition.
    fn sums(&self) -> usize {
        1 + self.conditions.len()
    }

    /// The sums after one more lane pair whose stores are `stored`.
    fn accumulate(
        &self,
        b: &mut FunctionBuilder,
        stored: &[(usize, Value)],
        sums: &[Value],
    ) -> Vec<Value> {
        let value = |slot: usize| {
            stored
                .iter()
                .rev()
                .find(|(s, _)| *s == slot)
                .map(|(_, v)| *v)
        };
        // Σ y, pairwise within the lane pair (so that the sum carried over the pairs
        // waits on one addition per pair): finite when every y is (barring overflow, which
        // only raises the flag), ±∞ or NaN otherwise.
        let mut terms: Vec<Value> = self.states.iter().filter_map(|&slot| value(slot)).collect();
        while terms.len() > 1 {
            terms = terms
                .chunks(2)
                .map(|pair| match pair {
                    [x, y] => b.ins().fadd(*x, *y),
                    [x] => *x,
                    _ => unreachable!("chunks of two"),
                })
                .collect();
        }
        let nonfinite = match terms.first() {
            Some(&term) => b.ins().fadd(sums[0], term),
            None => sums[0],
        };
        let mut next = vec![nonfinite];
        for (k, &(slot, _)) in self.conditions.iter().enumerate() {
            next.push(match value(slot) {
                Some(c) => b.ins().fadd(sums[1 + k], c),
                None => sums[1 + k],
            });
        }
        next
    }

    /// Each sum's two lanes added and stored at its lane of the block's status.
    fn store(
        &self,
        b: &mut FunctionBuilder,
        sums: &[Value],
        status_base: Value,
        block_offset: Value,
        flags: MemFlagsData,
    ) {
        let lanes =
            std::iter::once(BlockStatus::NONFINITE).chain(self.conditions.iter().map(|c| c.1));
        let address = b.ins().iadd(status_base, block_offset);
        for (k, (&sum, lane)) in sums.iter().zip(lanes).enumerate() {
            let low = b.ins().extractlane(sum, 0);
            let high = b.ins().extractlane(sum, 1);
            let mut total = b.ins().fadd(low, high);
            if k == 0 {
                // The sum of the states less itself: 0 when it is finite, NaN otherwise.
                total = b.ins().fsub(total, total);
            }
            b.ins().store(flags, total, address, (lane * 8) as i32);
        }
    }
}

/// What the body of every phase needs.
struct BodyEnv<'a> {
    plan: &'a Plan,
    phases: &'a Phases,
    bases: &'a BTreeMap<usize, Value>,
    imports: &'a BTreeMap<Func, FuncRef>,
    t2: Value,
    dt2: Value,
    data_flags: MemFlagsData,
    scratch_flags: MemFlagsData,
}

/// Constants splatted to f64x2, created once per phase body.
#[derive(Default)]
struct Splats(BTreeMap<u64, Value>);

impl Splats {
    fn get(&mut self, b: &mut FunctionBuilder, c: f64) -> Value {
        *self.0.entry(c.to_bits()).or_insert_with(|| {
            let scalar = b.ins().f64const(c);
            b.ins().splat(types::F64X2, scalar)
        })
    }

    /// An f64x2 comparison mask (all-ones lanes where true) as 1.0 / 0.0: the bits of 1.0
    /// where the mask is set, +0.0 elsewhere.
    fn boolean(&mut self, b: &mut FunctionBuilder, mask: Value) -> Value {
        let one = self.get(b, 1.0);
        let bits = b.ins().bitcast(types::F64X2, MemFlagsData::new(), mask);
        b.ins().band(bits, one)
    }
}

impl BodyEnv<'_> {
    /// The body of phase `p` for the lane pair at byte `offset` of every slot row and at
    /// `scratch_lane` of the first scratch row.
    /// Emits phase `p` for one lane pair; in the last phase also its stores, and returns
    /// them as `(slot, value)` (empty for the other phases).
    fn phase_body(
        &self,
        b: &mut FunctionBuilder,
        p: usize,
        offset: Value,
        scratch_lane: Value,
    ) -> Vec<(usize, Value)> {
        let phases = self.phases;
        let mut values: BTreeMap<Reg, Value> = BTreeMap::new();
        let mut splats = Splats::default();
        for k in 0..self.plan.ops.len() {
            if phases.phase[k] != Some(p) || phases.vector[k].is_some() {
                continue;
            }
            let value = self.lower_op(b, &mut values, &mut splats, p, k, offset, scratch_lane);
            values.insert(Reg(k as u32), value);
        }
        // Arguments of the vector calls that follow this phase, into the calls' rows.
        for k in 0..self.plan.ops.len() {
            if phases.vector[k].is_none() || phases.phase[k] != Some(p + 1) {
                continue;
            }
            if let (Op::Call(_, args), Some(row)) = (&self.plan.ops[k], phases.row[k]) {
                // One row per argument (pow: x, then y in the next row).
                for (i, &arg) in args.iter().enumerate() {
                    let x = self.value(b, &mut values, &mut splats, p, arg, offset, scratch_lane);
                    b.ins().store(
                        self.scratch_flags,
                        x,
                        scratch_lane,
                        ((row + i) * ROW_BYTES) as i32,
                    );
                }
            }
        }
        // Values later phases need.
        for k in 0..self.plan.ops.len() {
            if phases.vector[k].is_some() || phases.phase[k] != Some(p) {
                continue;
            }
            if let Some(row) = phases.row[k] {
                let x = values[&Reg(k as u32)];
                b.ins().store(
                    self.scratch_flags,
                    x,
                    scratch_lane,
                    (row * ROW_BYTES) as i32,
                );
            }
        }
        if p + 1 == phases.count {
            // Every output's value before any store: a store to a slot must not be seen by
            // a later load of the same slot in this lane pair.
            let outputs: Vec<Value> = self
                .plan
                .stores
                .iter()
                .map(|s| self.value(b, &mut values, &mut splats, p, s.reg, offset, scratch_lane))
                .collect();
            for (store, value) in self.plan.stores.iter().zip(&outputs) {
                let addr = b.ins().iadd(self.bases[&store.slot], offset);
                b.ins().store(self.data_flags, *value, addr, 0);
            }
            return self
                .plan
                .stores
                .iter()
                .map(|s| s.slot)
                .zip(outputs)
                .collect();
        }
        Vec::new()
    }

    /// The value of `reg` in phase `p`: recomputed (constants, `t`, `dt`, loads), computed
    /// earlier in this phase, or read from its scratch row.
    #[allow(clippy::too_many_arguments)]
    fn value(
        &self,
        b: &mut FunctionBuilder,
        values: &mut BTreeMap<Reg, Value>,
        splats: &mut Splats,
        p: usize,
        reg: Reg,
        offset: Value,
        scratch_lane: Value,
    ) -> Value {
        if let Some(&v) = values.get(&reg) {
            return v;
        }
        let k = reg.0 as usize;
        let v = match (&self.plan.ops[k], self.phases.row[k]) {
            (Op::Const(c), _) => splats.get(b, *c),
            (Op::Time, _) => self.t2,
            (Op::Dt, _) => self.dt2,
            (Op::Load { slot, .. }, _) => {
                let addr = b.ins().iadd(self.bases[slot], offset);
                b.ins().load(types::F64X2, self.data_flags, addr, 0)
            }
            (_, Some(row)) => b.ins().load(
                types::F64X2,
                self.scratch_flags,
                scratch_lane,
                (row * ROW_BYTES) as i32,
            ),
            // `Phases::of` gave a row to every value used after its phase, and operations
            // of a phase are lowered in order: unreachable for a valid plan.
            _ => splats.get(b, f64::NAN),
        };
        debug_assert!(self.phases.phase[k].is_none_or(|q| q <= p));
        values.insert(reg, v);
        v
    }

    /// Lowers operation `k` of phase `p` on a lane pair.
    #[allow(clippy::too_many_arguments)]
    fn lower_op(
        &self,
        b: &mut FunctionBuilder,
        values: &mut BTreeMap<Reg, Value>,
        splats: &mut Splats,
        p: usize,
        k: usize,
        offset: Value,
        scratch_lane: Value,
    ) -> Value {
        let op = &self.plan.ops[k];
        let args: Vec<Value> = operands(op)
            .into_iter()
            .map(|reg| self.value(b, values, splats, p, reg, offset, scratch_lane))
            .collect();
        match (op, args.as_slice()) {
            (Op::Neg(_), [x]) => b.ins().fneg(*x),
            (Op::Not(_), [x]) => {
                // not a = (a == 0) ? 1 : 0
                let zero = splats.get(b, 0.0);
                let mask = b.ins().fcmp(FloatCC::Equal, *x, zero);
                splats.boolean(b, mask)
            }
            (Op::Binary(op, _, _), [x, y]) => self.binary(b, splats, *op, *x, *y),
            (Op::Select(..), [c, x, y]) => {
                let zero = splats.get(b, 0.0);
                let mask = b.ins().fcmp(FloatCC::NotEqual, *c, zero);
                let mask = b.ins().bitcast(types::F64X2, MemFlagsData::new(), mask);
                b.ins().bitselect(mask, *x, *y)
            }
            (Op::Call(lowering, _), args) => self.call(b, *lowering, args),
            // Rematerialised operations are produced by `value`.
            _ => self.value(b, values, splats, p, Reg(k as u32), offset, scratch_lane),
        }
    }

    fn binary(
        &self,
        b: &mut FunctionBuilder,
        splats: &mut Splats,
        op: BinOp,
        x: Value,
        y: Value,
    ) -> Value {
        let compare = |b: &mut FunctionBuilder, splats: &mut Splats, cc: FloatCC| {
            let mask = b.ins().fcmp(cc, x, y);
            splats.boolean(b, mask)
        };
        match op {
            BinOp::Add => b.ins().fadd(x, y),
            BinOp::Sub => b.ins().fsub(x, y),
            BinOp::Mul => b.ins().fmul(x, y),
            BinOp::Div => b.ins().fdiv(x, y),
            // Planning turns `^` into a call; kept total for safety.
            BinOp::Pow => self.call(b, Lowering::Runtime(Func::Builtin(Builtin::Pow)), &[x, y]),
            BinOp::Lt => compare(b, splats, FloatCC::LessThan),
            BinOp::Le => compare(b, splats, FloatCC::LessThanOrEqual),
            BinOp::Gt => compare(b, splats, FloatCC::GreaterThan),
            BinOp::Ge => compare(b, splats, FloatCC::GreaterThanOrEqual),
            BinOp::Eq => compare(b, splats, FloatCC::Equal),
            BinOp::Ne => compare(b, splats, FloatCC::NotEqual),
            BinOp::And | BinOp::Or => {
                // Truth of each operand: x != 0 (NaN counts as true, as in the scalar code).
                let zero = splats.get(b, 0.0);
                let tx = b.ins().fcmp(FloatCC::NotEqual, x, zero);
                let ty = b.ins().fcmp(FloatCC::NotEqual, y, zero);
                let both = if op == BinOp::And {
                    b.ins().band(tx, ty)
                } else {
                    b.ins().bor(tx, ty)
                };
                splats.boolean(b, both)
            }
        }
    }

    /// A call that is not a vector call, on a lane pair: an instruction with the table's
    /// bits, or the table's value function called once per lane.
    fn call(&self, b: &mut FunctionBuilder, lowering: Lowering, args: &[Value]) -> Value {
        match (lowering, args) {
            (Lowering::Sqrt, [x]) => b.ins().sqrt(*x),
            (Lowering::Abs, [x]) => b.ins().fabs(*x),
            (Lowering::Min, [x, y]) => b.ins().fmin(*x, *y),
            (Lowering::Max, [x, y]) => b.ins().fmax(*x, *y),
            (Lowering::IntegerPower(k), [x, _]) => {
                // ((x·x)·x)·… : k − 1 multiplications, left to right, as the scalar code.
                let mut p = *x;
                for _ in 1..k {
                    p = b.ins().fmul(p, *x);
                }
                p
            }
            (Lowering::Runtime(f), _) => match self.imports.get(&f) {
                Some(&func_ref) => {
                    let lane = |b: &mut FunctionBuilder, lane: u8| {
                        let scalars: Vec<Value> =
                            args.iter().map(|&v| b.ins().extractlane(v, lane)).collect();
                        let inst = b.ins().call(func_ref, &scalars);
                        b.inst_results(inst)[0]
                    };
                    let low = lane(b, 0);
                    let high = lane(b, 1);
                    let v = b.ins().splat(types::F64X2, low);
                    b.ins().insertlane(v, high, 1)
                }
                // Every scalar call of the plan was imported.
                None => {
                    let nan = b.ins().f64const(f64::NAN);
                    b.ins().splat(types::F64X2, nan)
                }
            },
            // Arity was validated by planning.
            _ => {
                let nan = b.ins().f64const(f64::NAN);
                b.ins().splat(types::F64X2, nan)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::{BlockBuilder, ProgramBuilder};
    use crate::plan::plan_program;

    /// The phases of a two-state program whose step `step` builds.
    fn phases_of(step: impl FnOnce(&mut BlockBuilder)) -> Phases {
        let mut p = ProgramBuilder::new("levels")
            .state("x", "")
            .state("y", "")
            .build();
        let mut b = BlockBuilder::new();
        step(&mut b);
        p.step = b.finish();
        let plans = plan_program(&p).unwrap();
        let plan = plans.iter().find(|p| p.kind == BlockKind::Step).unwrap();
        Phases::of(plan, usize::MAX).expect("the step is blocked")
    }

    /// `x' = exp(exp(x)) + exp(x) + sin(x) + x`, `y' = φ(y)`: `exp(x)` and `φ(y)` are level
    /// 1, `exp(exp(x))` level 2; `sin` is a scalar call at level 0 whose value crosses to
    /// the last phase through a row.
    #[test]
    fn phases_split_at_each_level_of_transcendental_dependency() {
        let phases = phases_of(|b| {
            let x = b.state(0); // r0
            let e = b.exp(x); // r1: level 1
            let ee = b.exp(e); // r2: level 2
            let l = b.call(Builtin::Sin, &[x]); // r3: scalar, level 0
            let s = b.add(ee, e); // r4: level 2
            let s = b.add(s, l); // r5: level 2, needs r3 from phase 0
            let s = b.add(s, x); // r6
            b.output(galvani_ir::step::Target::State(0), s);
            let y = b.state(1); // r7
            let f = b.phi(y); // r8: level 1
            b.output(galvani_ir::step::Target::State(1), f);
        });
        assert_eq!(phases.count, 3);
        assert_eq!(
            phases.phase,
            vec![
                None,
                Some(1),
                Some(2),
                Some(0),
                Some(2),
                Some(2),
                Some(2),
                None,
                Some(1)
            ]
        );
        // After phase 0: exp(x) and φ(y), one call each (in VectorFn::ALL order); after
        // phase 1: exp(exp(x)).
        assert_eq!(
            phases.calls,
            vec![
                vec![(VectorFn::Exp, 0, 1), (VectorFn::Phi, 1, 1)],
                vec![(VectorFn::Exp, 2, 1)],
                vec![]
            ]
        );
        // Rows: the three calls, then sin(x), which crosses from phase 0 to phase 2.
        assert_eq!(
            phases.row,
            vec![
                None,
                Some(0),
                Some(2),
                Some(3),
                None,
                None,
                None,
                None,
                Some(1)
            ]
        );
        assert_eq!(phases.rows, 4);
        assert_eq!(phases.vector_calls(), 3);
    }

    /// `log` and `pow` are vector calls like the exponentials (a level of their own, one
    /// call per function and level, `pow` with two rows per call site: `x`, then `y`);
    /// `x^3` stays multiplications (`Lowering::of_power`), no call at all.
    #[test]
    fn log_and_pow_are_vector_calls() {
        let phases = phases_of(|b| {
            let x = b.state(0); // r0
            let l = b.call(Builtin::Log, &[x]); // r1: level 1
            let ll = b.call(Builtin::Log, &[l]); // r2: level 2
            let y = b.state(1); // r3
            let p = b.call(Builtin::Pow, &[x, y]); // r4: level 1
            let three = b.konst(3.0); // r5
            let cube = b.bin(BinOp::Pow, ll, three); // r6: level 2
            let s = b.add(cube, p); // r7
            b.output(galvani_ir::step::Target::State(0), s);
        });
        assert_eq!(phases.count, 3);
        assert_eq!(phases.vector[1], Some(VectorFn::Log));
        assert_eq!(phases.vector[2], Some(VectorFn::Log));
        assert_eq!(phases.vector[4], Some(VectorFn::Pow));
        assert_eq!(phases.vector[6], None);
        // After phase 0: log(x) in row 0, pow(x, y) in rows 1 (x) and 2 (y); after phase
        // 1: log(log(x)) in row 3.
        assert_eq!(
            phases.calls,
            vec![
                vec![(VectorFn::Log, 0, 1), (VectorFn::Pow, 1, 2)],
                vec![(VectorFn::Log, 3, 1)],
                vec![]
            ]
        );
        assert_eq!(
            (phases.row[1], phases.row[2], phases.row[4]),
            (Some(0), Some(3), Some(1))
        );
        assert_eq!(phases.rows, 4);
    }

    #[test]
    fn calls_of_one_function_at_one_level_share_one_call() {
        let phases = phases_of(|b| {
            let x = b.state(0);
            let y = b.state(1);
            let ex = b.exp(x);
            let ey = b.exp(y);
            b.output(galvani_ir::step::Target::State(0), ex);
            b.output(galvani_ir::step::Target::State(1), ey);
        });
        assert_eq!(phases.count, 2);
        assert_eq!(phases.calls[0], vec![(VectorFn::Exp, 0, 2)]);
    }

    #[test]
    fn arithmetic_only_is_one_phase_without_scratch() {
        let phases = phases_of(|b| {
            let x = b.state(0);
            let two = b.konst(2.0);
            let y = b.mul(x, two);
            b.output(galvani_ir::step::Target::State(0), y);
        });
        assert_eq!(
            (phases.count, phases.rows, phases.vector_calls()),
            (1, 0, 0)
        );
    }
}
