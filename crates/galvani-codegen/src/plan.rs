//! Validation of a `StepProgram` and its translation into `Plan`s: one per block, with
//! every load and store resolved to a buffer slot and every call to a `Lowering`. The JIT
//! (`lower.rs`) and the interpreter (`interp.rs`) both execute plans, so the decisions that
//! give a block its meaning are made once, here.
//!
//! Sequential blocks. In `Params` and `Init`, a value may be defined from earlier ones
//! (`param V_peak = V_T + 5·Delta_T`; a gate's initial value from `V`'s). A load of
//! `Param(j)` (resp. `State(j)`) at instruction `k` therefore reads, when the block has an
//! output to `j` whose register comes before `k`, that register — unless `j` is
//! overridden, in which case it reads the array (the override). Without such an output it
//! reads the array. The output of an overridden value is skipped. Every other block is
//! simultaneous: loads read the arrays as they were before the block.

use crate::math::Lowering;
use galvani_ir::model::BinOp;
use galvani_ir::step::{Inst, Reg, StepProgram, Target};
use galvani_kernel::{BlockKind, Shape};
use thiserror::Error;

/// Why a `StepProgram` cannot be executed (a bug in whatever built it).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ProgramDefect {
    #[error("instruction {inst} uses register {reg}, which is not defined before it")]
    ForwardRegister { inst: usize, reg: u32 },
    #[error("instruction {inst} reads {what} {index}, which the layout does not have")]
    IndexOutOfRange {
        inst: usize,
        what: &'static str,
        index: u32,
    },
    #[error("instruction {inst} calls {func} with {found} arguments, it takes {expected}")]
    Arity {
        inst: usize,
        func: String,
        expected: usize,
        found: usize,
    },
    #[error("output {output} uses register {reg}, which the block does not define")]
    OutputRegister { output: usize, reg: u32 },
    #[error("output {output} writes {target}, which this block may not write")]
    TargetNotAllowed { output: usize, target: String },
    #[error("held state {state} does not exist")]
    HeldState { state: u32 },
}

/// One resolved instruction; operands are registers of the same block.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Op {
    Const(f64),
    /// Load `slot` of the current neuron; in a sequential block, `earlier` is
    /// `(mask index, register)`: the value is that register unless the mask flag is set.
    Load {
        slot: usize,
        earlier: Option<(usize, Reg)>,
    },
    Time,
    Dt,
    Neg(Reg),
    Not(Reg),
    /// Arithmetic, comparison or logic, never `Pow` (that is a `Call`).
    Binary(BinOp, Reg, Reg),
    Select(Reg, Reg, Reg),
    Call(Lowering, Vec<Reg>),
}

/// One output: `reg` is written to `slot`; with `mask = Some(m)` only when flag `m` is
/// not set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Store {
    pub slot: usize,
    pub reg: Reg,
    pub mask: Option<usize>,
}

/// A block ready to execute.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Plan {
    pub kind: BlockKind,
    pub ops: Vec<Op>,
    pub stores: Vec<Store>,
}

/// Validates `program` and plans every block, in `BlockKind::all` order.
pub(crate) fn plan_program(program: &StepProgram) -> Result<Vec<Plan>, crate::CodegenError> {
    let shape = Shape::of(program);
    for event in &program.events {
        if let Some(&state) = event
            .held_states
            .iter()
            .find(|&&s| s as usize >= shape.states)
        {
            return Err(crate::CodegenError::InvalidProgram {
                block: "held_states".to_string(),
                defect: ProgramDefect::HeldState { state },
            });
        }
    }
    let mut plans = BlockKind::all(program)
        .into_iter()
        .map(|kind| {
            plan_block(program, &shape, kind).map_err(|defect| {
                crate::CodegenError::InvalidProgram {
                    block: kind.name(),
                    defect,
                }
            })
        })
        .collect::<Result<Vec<Plan>, _>>()?;
    fuse_conditions(program, &shape, &mut plans);
    for plan in &mut plans {
        divisions_by_powers_of_two_as_products(plan);
    }
    Ok(plans)
}

/// The reciprocal of `c` when multiplying by it gives exactly what dividing by `c` gives:
/// `c = ±2ᵏ` with `1/c` a normal number (`x/2ᵏ` and `x·2⁻ᵏ` are the same real number, so
/// they round to the same double, subnormal, overflowing or not; NaN, ±∞ and ±0 behave
/// alike).
fn exact_reciprocal(c: f64) -> Option<f64> {
    const MANTISSA: u64 = (1 << 52) - 1;
    let reciprocal = 1.0 / c;
    (c.is_normal() && c.to_bits() & MANTISSA == 0 && reciprocal.is_normal()).then_some(reciprocal)
}

/// Turns each division by a constant power of two (`x / 2`, and `x / c_m` once a uniform
/// `c_m = 1` is compiled in) into a multiplication by its reciprocal, which gives the same
/// bits (`exact_reciprocal`) at a fraction of the cost (a division is 13 cycles of latency
/// and one per 5 cycles on the hardware in use; a multiplication 3, and two per cycle).
/// The constant's register is changed to the reciprocal in place, so only a constant used
/// as nothing but a divisor is changed.
fn divisions_by_powers_of_two_as_products(plan: &mut Plan) {
    let n = plan.ops.len();
    let (mut as_divisor, mut otherwise) = (vec![false; n], vec![false; n]);
    for op in &plan.ops {
        match op {
            Op::Binary(BinOp::Div, a, b) => {
                otherwise[a.0 as usize] = true;
                as_divisor[b.0 as usize] = true;
            }
            op => {
                for reg in crate::chunk::operands(op) {
                    otherwise[reg.0 as usize] = true;
                }
            }
        }
    }
    for store in &plan.stores {
        otherwise[store.reg.0 as usize] = true;
    }
    let mut reciprocal = vec![false; n];
    for (k, op) in plan.ops.iter_mut().enumerate() {
        if let Op::Const(c) = op {
            if as_divisor[k] && !otherwise[k] {
                if let Some(r) = exact_reciprocal(*c) {
                    *op = Op::Const(r);
                    reciprocal[k] = true;
                }
            }
        }
    }
    for op in &mut plan.ops {
        if let Op::Binary(BinOp::Div, a, b) = *op {
            if reciprocal[b.0 as usize] {
                *op = Op::Binary(BinOp::Mul, a, b);
            }
        }
    }
}

/// Whether event `e`'s condition reads only states, params, constants and `dt` — not the
/// time, not an input (both are those of `t_{k+1}` only after the step) — so that the
/// step can compute it from the states it writes.
fn condition_follows_step(program: &StepProgram, e: usize) -> bool {
    program.events.get(e).is_some_and(|event| {
        !event
            .condition
            .insts
            .iter()
            .any(|inst| matches!(inst, Inst::Time | Inst::Input(_)))
    })
}

/// Per event: whether the step's plan writes its condition (`fuse_conditions` did).
pub(crate) fn step_writes_conditions(plans: &[Plan], shape: &Shape) -> Vec<bool> {
    let step = &plans[BlockKind::Step.position()];
    (0..shape.events)
        .map(|e| {
            let slot = shape.event_slot(e, galvani_kernel::EventArray::Condition);
            step.stores.iter().any(|store| store.slot == slot)
        })
        .collect()
}

/// Appends to the step's plan the condition of every event that
/// `condition_follows_step`: its operations, with each load of a state
/// replaced by the register the step stores to that state, and its stores of the
/// condition and crossing after the step's stores. The step then leaves, besides the new
/// states, the conditions at `t_{k+1}` of the new states — the values the condition block
/// computes after the step, from the same registers — and the runtime need not make a
/// second pass over the population for them (`Kernel::step_writes_conditions`).
fn fuse_conditions(program: &StepProgram, shape: &Shape, plans: &mut [Plan]) {
    let step_position = BlockKind::Step.position();
    // The register each state's new value is in: the last store to its slot.
    let mut new_state: Vec<Option<Reg>> = vec![None; shape.states];
    for store in &plans[step_position].stores {
        if let Some(s) = (0..shape.states).find(|&s| shape.state_slot(s) == store.slot) {
            new_state[s] = Some(store.reg);
        }
    }
    for e in 0..program.events.len() {
        if !condition_follows_step(program, e) {
            continue;
        }
        let condition = &plans[BlockKind::Condition(e).position()];
        // Every state the condition loads must have a new value in the step.
        let state_of = |slot: usize| (0..shape.states).find(|&s| shape.state_slot(s) == slot);
        let loads_ok = condition.ops.iter().all(|op| match op {
            Op::Load { slot, .. } => match state_of(*slot) {
                Some(s) => new_state[s].is_some(),
                None => true,
            },
            _ => true,
        });
        if !loads_ok {
            continue;
        }
        let (condition_ops, condition_stores) = (condition.ops.clone(), condition.stores.clone());
        let step = &mut plans[step_position];
        let mut renamed: Vec<Reg> = Vec::with_capacity(condition_ops.len());
        let map = |renamed: &[Reg], r: Reg| renamed[r.0 as usize];
        for op in condition_ops {
            let op = match op {
                Op::Load { slot, earlier } => match state_of(slot).and_then(|s| new_state[s]) {
                    Some(reg) => {
                        renamed.push(reg);
                        continue;
                    }
                    None => Op::Load { slot, earlier },
                },
                Op::Neg(a) => Op::Neg(map(&renamed, a)),
                Op::Not(a) => Op::Not(map(&renamed, a)),
                Op::Binary(op, a, b) => Op::Binary(op, map(&renamed, a), map(&renamed, b)),
                Op::Select(c, a, b) => {
                    Op::Select(map(&renamed, c), map(&renamed, a), map(&renamed, b))
                }
                Op::Call(lowering, args) => Op::Call(
                    lowering,
                    args.into_iter().map(|a| map(&renamed, a)).collect(),
                ),
                op @ (Op::Const(_) | Op::Time | Op::Dt) => op,
            };
            renamed.push(Reg(step.ops.len() as u32));
            step.ops.push(op);
        }
        step.stores
            .extend(condition_stores.into_iter().map(|store| Store {
                reg: map(&renamed, store.reg),
                ..store
            }));
    }
}

/// Whether `kind` may write `target`.
fn target_allowed(kind: BlockKind, target: Target) -> bool {
    match kind {
        BlockKind::Params => matches!(target, Target::Param(_)),
        BlockKind::InputDefaults => matches!(target, Target::Input(_)),
        BlockKind::Init | BlockKind::Step => matches!(target, Target::State(_)),
        BlockKind::Intermediates => matches!(target, Target::Intermediate(_)),
        BlockKind::Condition(_) | BlockKind::ConditionAt(_) => {
            matches!(target, Target::Condition | Target::Crossing)
        }
        BlockKind::Actions(_) => matches!(target, Target::State(_) | Target::Refractory),
    }
}

/// For a sequential block, the mask index of a load, if the load is of the block's kind.
fn sequential_index(kind: BlockKind, inst: &Inst) -> Option<u32> {
    match (kind, inst) {
        (BlockKind::Params, Inst::Param(j)) | (BlockKind::Init, Inst::State(j)) => Some(*j),
        _ => None,
    }
}

/// For a sequential block, the mask index of an output target.
fn sequential_target(kind: BlockKind, target: Target) -> Option<u32> {
    match (kind, target) {
        (BlockKind::Params, Target::Param(j)) | (BlockKind::Init, Target::State(j)) => Some(j),
        _ => None,
    }
}

fn plan_block(
    program: &StepProgram,
    shape: &Shape,
    kind: BlockKind,
) -> Result<Plan, ProgramDefect> {
    // `BlockKind::all` only yields blocks that exist.
    let Some(block) = kind.block(program) else {
        return Ok(Plan {
            kind,
            ops: Vec::new(),
            stores: Vec::new(),
        });
    };
    let defined = |inst: usize, reg: Reg| -> Result<Reg, ProgramDefect> {
        if (reg.0 as usize) < inst {
            Ok(reg)
        } else {
            Err(ProgramDefect::ForwardRegister { inst, reg: reg.0 })
        }
    };
    let in_range = |inst: usize, what: &'static str, index: u32, len: usize| {
        if (index as usize) < len {
            Ok(index as usize)
        } else {
            Err(ProgramDefect::IndexOutOfRange { inst, what, index })
        }
    };

    let mut stores = Vec::with_capacity(block.outputs.len());
    for (output, &(target, reg)) in block.outputs.iter().enumerate() {
        if reg.0 as usize >= block.insts.len() {
            return Err(ProgramDefect::OutputRegister { output, reg: reg.0 });
        }
        let slot = shape
            .target_slot(target, kind.event())
            .filter(|_| target_allowed(kind, target))
            .ok_or_else(|| ProgramDefect::TargetNotAllowed {
                output,
                target: format!("{target:?}"),
            })?;
        stores.push(Store {
            slot,
            reg,
            mask: sequential_target(kind, target).map(|j| j as usize),
        });
    }

    let mut visible = SequentialOutputs::new(kind, &block.outputs);
    let mut ops = Vec::with_capacity(block.insts.len());
    for (k, inst) in block.insts.iter().enumerate() {
        let op = match inst {
            Inst::Const(c) => Op::Const(*c),
            Inst::State(i) => Op::Load {
                slot: shape.state_slot(in_range(k, "state", *i, shape.states)?),
                earlier: None,
            },
            Inst::Param(i) => Op::Load {
                slot: shape.param_slot(in_range(k, "param", *i, shape.params)?),
                earlier: None,
            },
            Inst::Input(i) => Op::Load {
                slot: shape.input_slot(in_range(k, "input", *i, shape.inputs)?),
                earlier: None,
            },
            Inst::Time => Op::Time,
            Inst::Dt => Op::Dt,
            Inst::Neg(a) => Op::Neg(defined(k, *a)?),
            Inst::Not(a) => Op::Not(defined(k, *a)?),
            Inst::Binary(BinOp::Pow, a, b) => {
                let (a, b) = (defined(k, *a)?, defined(k, *b)?);
                Op::Call(Lowering::of_power(&block.insts[b.0 as usize]), vec![a, b])
            }
            Inst::Binary(op, a, b) => Op::Binary(*op, defined(k, *a)?, defined(k, *b)?),
            Inst::Select(c, a, b) => Op::Select(defined(k, *c)?, defined(k, *a)?, defined(k, *b)?),
            Inst::Call(func, args) => {
                let args = args
                    .iter()
                    .map(|&r| defined(k, r))
                    .collect::<Result<Vec<_>, _>>()?;
                let mut lowering = Lowering::of_func(*func);
                if let (galvani_ir::step::Func::Builtin(galvani_ir::model::Builtin::Pow), [_, b]) =
                    (func, args.as_slice())
                {
                    lowering = Lowering::of_power(&block.insts[b.0 as usize]);
                }
                if args.len() != lowering.arity() {
                    return Err(ProgramDefect::Arity {
                        inst: k,
                        func: format!("{func:?}"),
                        expected: lowering.arity(),
                        found: args.len(),
                    });
                }
                Op::Call(lowering, args)
            }
        };
        // Sequential blocks: a load sees the latest earlier output to the same value.
        let op = match (op, sequential_index(kind, inst)) {
            (Op::Load { slot, .. }, Some(j)) => {
                let earlier = visible.visible_at(k, j).map(|reg| (j as usize, reg));
                Op::Load { slot, earlier }
            }
            (op, _) => op,
        };
        ops.push(op);
    }
    Ok(Plan { kind, ops, stores })
}

/// Which output of a sequential block a load at instruction `k` sees: of the outputs to
/// the same value whose register comes before `k`, the last one in output order. Loads
/// are visited in instruction order, so the outputs become visible in register order and
/// the whole block costs `O((insts + outputs)·log outputs)` — not a scan of the outputs
/// per load, which made a 10,000-param chain quadratic.
struct SequentialOutputs {
    /// `(register, output index, value index)` of every sequential output, by register.
    pending: Vec<(u32, usize, u32)>,
    next: usize,
    /// Per value index, the visible output with the greatest output index.
    latest: std::collections::BTreeMap<u32, (usize, Reg)>,
}

impl SequentialOutputs {
    fn new(kind: BlockKind, outputs: &[(Target, Reg)]) -> SequentialOutputs {
        let mut pending: Vec<(u32, usize, u32)> = outputs
            .iter()
            .enumerate()
            .filter_map(|(o, &(target, reg))| {
                sequential_target(kind, target).map(|j| (reg.0, o, j))
            })
            .collect();
        pending.sort_unstable();
        SequentialOutputs {
            pending,
            next: 0,
            latest: std::collections::BTreeMap::new(),
        }
    }

    /// The register a load of value `j` at instruction `k` reads, if an output precedes
    /// it; `k` never decreases between calls.
    fn visible_at(&mut self, k: usize, j: u32) -> Option<Reg> {
        while let Some(&(reg, output, value)) = self.pending.get(self.next) {
            if reg as usize >= k {
                break;
            }
            let entry = self.latest.entry(value).or_insert((output, Reg(reg)));
            if output >= entry.0 {
                *entry = (output, Reg(reg));
            }
            self.next += 1;
        }
        self.latest.get(&j).map(|&(_, reg)| reg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::{BlockBuilder, ProgramBuilder};
    use crate::CodegenError;

    /// `x / c` and `x · exact_reciprocal(c)` are the same bits for every x — normal,
    /// subnormal, huge, ±0, ±∞, NaN — and every power of two it accepts; other divisors
    /// are refused.
    #[test]
    fn a_power_of_two_divisor_is_exactly_its_reciprocal() {
        let mut xs = vec![
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            5e-324,
            -3e-310,
            f64::MAX,
            -f64::MAX,
            1.0,
            -65.0,
            0.1,
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..20_000 {
            // xorshift: random bit patterns, so every exponent and mantissa.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            xs.push(f64::from_bits(state));
        }
        for k in -1022..=1022 {
            for sign in [1.0, -1.0] {
                let c = sign * 2f64.powi(k);
                let r = exact_reciprocal(c).expect("a power of two");
                for &x in &xs {
                    let (q, p) = (x / c, x * r);
                    assert!(
                        q.to_bits() == p.to_bits() || (q.is_nan() && p.is_nan()),
                        "{x:e} / {c:e} = {q:e}, · {r:e} = {p:e}"
                    );
                }
            }
        }
        for c in [
            3.0,
            0.1,
            20.0,
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NAN,
            5e-324,
            2f64.powi(1023),
        ] {
            assert_eq!(exact_reciprocal(c), None, "{c:e}");
        }
    }

    /// A constant used only as a divisor becomes its reciprocal and its divisions
    /// products; a constant also used otherwise, and other divisors, stay.
    #[test]
    fn divisions_by_a_power_of_two_become_products() {
        let mut plan = Plan {
            kind: BlockKind::Step,
            ops: vec![
                Op::Dt,                                 // r0
                Op::Const(4.0),                         // r1: only a divisor
                Op::Binary(BinOp::Div, Reg(0), Reg(1)), // r2
                Op::Const(2.0),                         // r3: a divisor and a factor
                Op::Binary(BinOp::Div, Reg(2), Reg(3)), // r4
                Op::Binary(BinOp::Mul, Reg(4), Reg(3)), // r5
                Op::Const(3.0),                         // r6: not a power of two
                Op::Binary(BinOp::Div, Reg(5), Reg(6)), // r7
            ],
            stores: vec![],
        };
        divisions_by_powers_of_two_as_products(&mut plan);
        assert_eq!(plan.ops[1], Op::Const(0.25));
        assert_eq!(plan.ops[2], Op::Binary(BinOp::Mul, Reg(0), Reg(1)));
        assert_eq!(plan.ops[3], Op::Const(2.0));
        assert_eq!(plan.ops[4], Op::Binary(BinOp::Div, Reg(2), Reg(3)));
        assert_eq!(plan.ops[6], Op::Const(3.0));
        assert_eq!(plan.ops[7], Op::Binary(BinOp::Div, Reg(5), Reg(6)));
    }

    #[test]
    fn forward_register_is_rejected() {
        let mut p = ProgramBuilder::new("bad").state("x", "mV").build();
        p.step.insts = vec![Inst::Neg(Reg(0))];
        p.step.outputs = vec![(Target::State(0), Reg(0))];
        let err = plan_program(&p).unwrap_err();
        assert!(matches!(
            err,
            CodegenError::InvalidProgram {
                defect: ProgramDefect::ForwardRegister { inst: 0, reg: 0 },
                ..
            }
        ));
    }

    #[test]
    fn wrong_target_and_index_are_rejected() {
        let mut p = ProgramBuilder::new("bad").state("x", "mV").build();
        let mut b = BlockBuilder::new();
        let x = b.state(0);
        b.output(Target::Condition, x);
        p.step = b.finish();
        assert!(plan_program(&p).is_err());

        let mut b = BlockBuilder::new();
        let x = b.param(3);
        b.output(Target::State(0), x);
        p.step = b.finish();
        assert!(matches!(
            plan_program(&p),
            Err(CodegenError::InvalidProgram {
                defect: ProgramDefect::IndexOutOfRange { what: "param", .. },
                ..
            })
        ));
    }

    #[test]
    fn sequential_loads_see_earlier_outputs() {
        let mut p = ProgramBuilder::new("seq")
            .param("a", "mV")
            .param("b", "mV")
            .build();
        let mut b = BlockBuilder::new();
        let three = b.konst(3.0); // r0
        b.output(Target::Param(0), three);
        let a = b.param(0); // r1: sees r0 unless overridden
        let two = b.konst(2.0);
        let twice = b.mul(a, two);
        b.output(Target::Param(1), twice);
        p.params = b.finish();
        let plans = plan_program(&p).unwrap();
        assert_eq!(plans[0].kind, BlockKind::Params);
        assert_eq!(
            plans[0].ops[1],
            Op::Load {
                slot: 0, // no states: param 0 is the first slot
                earlier: Some((0, Reg(0)))
            }
        );
        assert_eq!(plans[0].stores[0].mask, Some(0));
    }

    /// Of several earlier outputs to one param, a load sees the last in output order,
    /// whatever their registers; an output after the load is not seen.
    #[test]
    fn sequential_loads_see_the_last_earlier_output() {
        let mut p = ProgramBuilder::new("seq").param("a", "mV").build();
        let mut b = BlockBuilder::new();
        let one = b.konst(1.0); // r0
        let two = b.konst(2.0); // r1
        let _a = b.param(0); // r2: sees r0 only (r1 is output first, but r1 < 2 too)
        let three = b.konst(3.0); // r3
        let _a2 = b.param(0); // r4
        b.output(Target::Param(0), two);
        b.output(Target::Param(0), one);
        b.output(Target::Param(0), three);
        p.params = b.finish();
        let plans = plan_program(&p).unwrap();
        let earlier = |k: usize| match &plans[0].ops[k] {
            Op::Load { earlier, .. } => *earlier,
            other => panic!("{other:?}"),
        };
        // At r2: outputs with registers before 2 are r1 (output 0) and r0 (output 1): the
        // later output, r0, wins. At r4 the last output, r3, is visible.
        assert_eq!(earlier(2), Some((0, Reg(0))));
        assert_eq!(earlier(4), Some((0, Reg(3))));
    }
}
