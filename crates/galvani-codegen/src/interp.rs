//! The reference interpreter: executes a `StepProgram`'s plans neuron by neuron with the
//! same semantics (and the same math functions) as the generated code. It is the oracle
//! of the JIT's differential tests and a fallback where no JIT exists.

use crate::math::Lowering;
use crate::plan::{plan_program, Op, Plan};
use crate::CodegenError;
use galvani_ir::builtins;
use galvani_ir::model::BinOp;
use galvani_ir::step::StepProgram;
use galvani_kernel::{check_call, BlockArgs, BlockKind, Kernel, KernelError, Population};

/// A `Kernel` that interprets the program.
#[derive(Clone, Debug)]
pub struct Interpreter {
    program: StepProgram,
    plans: Vec<Plan>,
    /// Per event: whether the step writes its condition (`plan::fuse_conditions`).
    step_conditions: Vec<bool>,
}

impl Interpreter {
    /// Validates `program` (the same checks as `JitKernel::compile`).
    pub fn new(program: &StepProgram) -> Result<Interpreter, CodegenError> {
        let plans = plan_program(program)?;
        let step_conditions =
            crate::plan::step_writes_conditions(&plans, &galvani_kernel::Shape::of(program));
        Ok(Interpreter {
            plans,
            program: program.clone(),
            step_conditions,
        })
    }
}

pub(crate) fn truth(x: f64) -> bool {
    x != 0.0
}

pub(crate) fn boolean(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

/// `a op b` for every operator but `Pow` (a call after planning).
pub(crate) fn binary(op: BinOp, a: f64, b: f64) -> f64 {
    match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::Div => a / b,
        BinOp::Pow => builtins::pow(a, b),
        BinOp::Lt => boolean(a < b),
        BinOp::Le => boolean(a <= b),
        BinOp::Gt => boolean(a > b),
        BinOp::Ge => boolean(a >= b),
        BinOp::Eq => boolean(a == b),
        BinOp::Ne => boolean(a != b),
        BinOp::And => boolean(truth(a) && truth(b)),
        BinOp::Or => boolean(truth(a) || truth(b)),
    }
}

fn call(lowering: Lowering, args: &[f64]) -> f64 {
    match (lowering, args) {
        // The table's value functions: the JIT calls the same functions or emits an
        // instruction that computes the same bits.
        (Lowering::Runtime(f), _) => f.eval(args),
        (Lowering::Sqrt, [x]) => builtins::sqrt(*x),
        (Lowering::Abs, [x]) => builtins::abs(*x),
        (Lowering::Min, [a, b]) => builtins::min(*a, *b),
        (Lowering::Max, [a, b]) => builtins::max(*a, *b),
        // ((x·x)·x)·… with k − 1 multiplications, as the generated code does.
        (Lowering::IntegerPower(k), [x, _]) => {
            let mut p = *x;
            for _ in 1..k {
                p *= x;
            }
            p
        }
        _ => f64::NAN,
    }
}

impl Kernel for Interpreter {
    fn program(&self) -> &StepProgram {
        &self.program
    }

    fn step_writes_condition(&self, event: usize) -> bool {
        self.step_conditions.get(event).copied().unwrap_or(false)
    }

    fn run_block(
        &self,
        block: BlockKind,
        pop: &mut Population,
        args: &BlockArgs<'_>,
    ) -> Result<(), KernelError> {
        check_call(&self.program, block, pop, args)?;
        let Some(plan) = self.plans.get(block.position()).filter(|p| p.kind == block) else {
            return Err(KernelError::NoSuchBlock { block });
        };
        let masked = |m: usize| args.overridden.get(m).copied().unwrap_or(false);
        let mut regs: Vec<f64> = Vec::with_capacity(plan.ops.len());
        let mut arguments: Vec<f64> = Vec::with_capacity(2);
        let mut run_neuron = |pop: &mut Population, i: usize| {
            regs.clear();
            for op in &plan.ops {
                let r = |reg: galvani_ir::step::Reg| regs[reg.0 as usize];
                let value = match op {
                    Op::Const(c) => *c,
                    Op::Load { slot, earlier } => match earlier {
                        Some((m, reg)) if !masked(*m) => r(*reg),
                        _ => pop.get(*slot, i),
                    },
                    Op::Time => args.t,
                    Op::Dt => args.dt,
                    Op::Neg(a) => -r(*a),
                    Op::Not(a) => boolean(!truth(r(*a))),
                    Op::Binary(op, a, b) => binary(*op, r(*a), r(*b)),
                    Op::Select(c, a, b) => {
                        if truth(r(*c)) {
                            r(*a)
                        } else {
                            r(*b)
                        }
                    }
                    Op::Call(lowering, operands) => {
                        arguments.clear();
                        arguments.extend(operands.iter().map(|&reg| r(reg)));
                        call(*lowering, &arguments)
                    }
                };
                regs.push(value);
            }
            // Outputs after every instruction: simultaneous update.
            for store in &plan.stores {
                if store.mask.is_some_and(masked) {
                    continue;
                }
                pop.set(store.slot, i, regs[store.reg.0 as usize]);
            }
        };
        if block.is_indexed() {
            for &i in args.neurons {
                run_neuron(pop, i as usize);
            }
        } else {
            for i in 0..pop.len() {
                run_neuron(pop, i);
            }
        }
        Ok(())
    }
}
