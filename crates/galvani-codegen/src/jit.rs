//! `JitKernel`: a `StepProgram` compiled to native code with Cranelift's JIT. This file
//! holds the crate's only cast of a code pointer to a callable function (`call_generated`)
//! and frees the machine code when the kernel is dropped.

use crate::blocked::{lower_blocked, vmath_signature, Phases, VMATH_SYMBOL};
use crate::chunk::{split, Split, MAX_CHUNK_OPS};
use crate::lower::{block_signature, helper_signature, lower_block, runtime_signature, Target};
use crate::math::{runtime_functions, symbol};
use crate::plan::plan_program;
use crate::CodegenError;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, FuncId, Linkage, Module};
use galvani_ir::step::Func;
use galvani_ir::step::StepProgram;
use galvani_kernel::{check_call, BlockArgs, BlockKind, Kernel, KernelError, Population};
use std::time::{Duration, Instant};

/// The generated function type (see `lower.rs`):
/// `fn(data, n, mask, neurons, count, t, dt)`.
type GeneratedFn = unsafe extern "C" fn(*mut f64, usize, *const u8, *const u32, usize, f64, f64);

/// The population's buffer, handed to the threads of `run_block_parallel`.
#[derive(Clone, Copy)]
struct SendPtr(*mut f64);

impl SendPtr {
    /// The address of neuron `first` of slot 0.
    ///
    /// # Safety
    /// `first` is within the buffer.
    unsafe fn at(self, first: usize) -> *mut f64 {
        self.0.add(first)
    }
}

// SAFETY: each thread writes a disjoint range of neurons through it (see
// `run_block_parallel`), and the borrow it comes from outlives every thread.
unsafe impl Send for SendPtr {}
unsafe impl Sync for SendPtr {}

/// A compiled program. Safe to use: every call checks the population's shape, the mask's
/// length and the neuron indices against the program before running native code.
pub struct JitKernel {
    program: StepProgram,
    /// One entry per `BlockKind::all(program)`, in that order: the function's address.
    functions: Vec<(BlockKind, *const u8)>,
    /// Owns the machine code; `None` only during `drop`.
    module: Option<JITModule>,
    compile_time: Duration,
    stats: FunctionStats,
    /// What it was compiled with (a specialised step is compiled the same way).
    options: JitOptions,
    /// Per event: whether the step writes its condition (`plan::fuse_conditions`).
    step_conditions: Vec<bool>,
    /// Whether the step is lowered blocked, and so writes the block status.
    step_status: bool,
}

/// How to compile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JitOptions {
    /// A block with more operations is split into helper functions of at most this many
    /// (see `chunk.rs`); `usize::MAX` compiles every block as one function.
    pub max_chunk_ops: usize,
    /// How the step block is lowered.
    pub kernel: KernelMode,
}

impl Default for JitOptions {
    fn default() -> Self {
        JitOptions {
            max_chunk_ops: MAX_CHUNK_OPS,
            kernel: KernelMode::default(),
        }
    }
}

impl JitOptions {
    /// The default options with the scalar reference kernel.
    pub fn reference() -> JitOptions {
        JitOptions {
            kernel: KernelMode::Reference,
            ..JitOptions::default()
        }
    }
}

/// How the step block is lowered (every other block is scalar in both modes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KernelMode {
    /// Scalar code, one neuron at a time, one call of the built-in table's value function
    /// (libm) per transcendental per neuron: the reference the blocked kernel is tested
    /// against.
    Reference,
    /// Blocks of 64 neurons, f64x2 arithmetic, one `galvani-vmath` call per vector
    /// function per transcendental level and block (`blocked.rs`). A step too large for one
    /// function keeps the scalar lowering.
    #[default]
    Blocked,
}

impl KernelMode {
    /// The phases of `plan` when this mode lowers it blocked.
    pub(crate) fn phases(self, plan: &crate::plan::Plan, max_chunk_ops: usize) -> Option<Phases> {
        match self {
            KernelMode::Reference => None,
            KernelMode::Blocked => Phases::of(plan, max_chunk_ops),
        }
    }
}

/// Counts of the generated functions: the work Cranelift was given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FunctionStats {
    /// Functions compiled (entries and helpers).
    pub functions: usize,
    /// CLIF instructions over all functions (as built, before optimisation).
    pub instructions: usize,
    /// CLIF instructions of the largest function.
    pub max_instructions: usize,
}

impl FunctionStats {
    fn add(&mut self, instructions: usize) {
        self.functions += 1;
        self.instructions += instructions;
        self.max_instructions = self.max_instructions.max(instructions);
    }
}

impl std::fmt::Debug for JitKernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JitKernel")
            .field("model", &self.program.model)
            .field("method", &self.program.method)
            .field("compile_time", &self.compile_time)
            .finish_non_exhaustive()
    }
}

impl JitKernel {
    /// Validates, lowers and compiles every block of `program` (`opt_level = speed`; the
    /// Cranelift verifier runs on every function in debug builds).
    pub fn compile(program: &StepProgram) -> Result<JitKernel, CodegenError> {
        JitKernel::compile_with(program, JitOptions::default(), None)
    }

    /// As [`JitKernel::compile`], with `options`; `progress(done, total)` is called after
    /// each function is compiled, with the functions compiled so far and in all (a library
    /// never prints: the caller decides what to show).
    pub fn compile_with(
        program: &StepProgram,
        options: JitOptions,
        mut progress: Option<&mut dyn FnMut(usize, usize)>,
    ) -> Result<JitKernel, CodegenError> {
        let started = Instant::now();
        let plans = plan_program(program)?;
        let shape = galvani_kernel::Shape::of(program);
        let step_conditions = crate::plan::step_writes_conditions(&plans, &shape);

        let mut flags = settings::builder();
        let mut set = |name: &str, value: &str| {
            flags
                .set(name, value)
                .map_err(|e| CodegenError::Settings(e.to_string()))
        };
        set("opt_level", "speed")?;
        set("is_pic", "false")?;
        set("use_colocated_libcalls", "false")?;
        // A blocked step keeps up to 128 KiB of scratch rows in its frame (`blocked.rs`):
        // frames beyond a page touch each page in order, so they cannot jump over a
        // thread's guard page.
        set("enable_probestack", "true")?;
        set("probestack_strategy", "inline")?;
        set(
            "enable_verifier",
            if cfg!(debug_assertions) {
                "true"
            } else {
                "false"
            },
        )?;
        let isa = cranelift_native::builder()
            .map_err(|e| CodegenError::UnsupportedHost(e.to_string()))?
            .finish(settings::Flags::new(flags))
            .map_err(|e| CodegenError::Settings(e.to_string()))?;

        let mut jit_builder = JITBuilder::with_isa(isa, default_libcall_names());
        for f in runtime_functions() {
            jit_builder.symbol(symbol(f), f.spec().value.address());
        }
        jit_builder.symbol(
            VMATH_SYMBOL,
            galvani_vmath::galvani_vmath_apply as *const u8,
        );
        let mut module = JITModule::new(jit_builder);
        let config = module.target_config();
        let call_conv = config.default_call_conv;

        let mut runtime_ids: Vec<(Func, FuncId)> = Vec::new();
        for f in runtime_functions() {
            let id = module
                .declare_function(
                    &symbol(f),
                    Linkage::Import,
                    &runtime_signature(call_conv, f),
                )
                .map_err(CodegenError::module)?;
            runtime_ids.push((f, id));
        }
        let phases: Vec<Option<Phases>> = plans
            .iter()
            .map(|plan| options.kernel.phases(plan, options.max_chunk_ops))
            .collect();
        let runtime_index = |f: Func| {
            runtime_ids
                .iter()
                .find(|(g, _)| *g == f)
                .map_or(0, |(_, id)| id.as_u32())
        };

        let signature = block_signature(call_conv, config.pointer_type());
        let helper_sig = helper_signature(call_conv, config.pointer_type());
        // A blocked step is one function, never split.
        let splits: Vec<Option<Split>> = plans
            .iter()
            .zip(&phases)
            .map(|(plan, phases)| match phases {
                Some(_) => None,
                None => split(plan, options.max_chunk_ops),
            })
            .collect();
        // Entries first, in block order, then every block's helpers: the names `lower_block`
        // and `clif_text` give them.
        let mut ids = Vec::with_capacity(plans.len());
        for plan in &plans {
            let name = format!("galvani_{}", plan.kind.name());
            let id = module
                .declare_function(&name, Linkage::Local, &signature)
                .map_err(CodegenError::module)?;
            ids.push((plan.kind, id));
        }
        let mut helper_ids: Vec<Vec<FuncId>> = Vec::with_capacity(plans.len());
        for (plan, split) in plans.iter().zip(&splits) {
            let count = split.as_ref().map_or(0, Split::helpers);
            let mut block_helpers = Vec::with_capacity(count);
            for j in 0..count {
                let name = format!("galvani_{}_helper{j}", plan.kind.name());
                block_helpers.push(
                    module
                        .declare_function(&name, Linkage::Local, &helper_sig)
                        .map_err(CodegenError::module)?,
                );
            }
            helper_ids.push(block_helpers);
        }
        // Declared after every block and helper, so the names of those are the same in both
        // modes (and in the CLIF text of `clif_text_with`).
        let vmath_id = module
            .declare_function(
                VMATH_SYMBOL,
                Linkage::Import,
                &vmath_signature(call_conv, config.pointer_type()),
            )
            .map_err(CodegenError::module)?;
        let target = Target {
            config,
            runtime_index: &runtime_index,
        };

        let total_functions = plans.len() + helper_ids.iter().map(Vec::len).sum::<usize>();
        let mut ctx = module.make_context();
        let mut stats = FunctionStats::default();
        for (i, plan) in plans.iter().enumerate() {
            let first_helper = helper_ids[i].first().map_or(0, |id| id.as_u32());
            let functions = match &phases[i] {
                Some(phases) => vec![lower_blocked(
                    plan,
                    phases,
                    &shape,
                    ids[i].1.as_u32(),
                    vmath_id.as_u32(),
                    &target,
                )],
                None => lower_block(
                    plan,
                    splits[i].as_ref(),
                    ids[i].1.as_u32(),
                    first_helper,
                    &target,
                )?,
            };
            let function_ids = std::iter::once(ids[i].1).chain(helper_ids[i].iter().copied());
            for (func, id) in functions.into_iter().zip(function_ids) {
                ctx.func = func;
                stats.add(ctx.func.dfg.num_insts());
                if cfg!(debug_assertions) {
                    cranelift_codegen::verify_function(&ctx.func, module.isa()).map_err(
                        |errors| CodegenError::Verifier {
                            function: format!("{} (function {})", plan.kind.name(), id.as_u32()),
                            errors: errors.to_string(),
                        },
                    )?;
                }
                module
                    .define_function(id, &mut ctx)
                    .map_err(CodegenError::module)?;
                module.clear_context(&mut ctx);
                if let Some(report) = progress.as_mut() {
                    report(stats.functions, total_functions);
                }
            }
        }
        module
            .finalize_definitions()
            .map_err(CodegenError::module)?;
        let functions = ids
            .into_iter()
            .map(|(kind, id)| (kind, module.get_finalized_function(id)))
            .collect();
        Ok(JitKernel {
            program: program.clone(),
            functions,
            module: Some(module),
            compile_time: started.elapsed(),
            stats,
            options,
            step_conditions,
            step_status: phases
                .get(BlockKind::Step.position())
                .is_some_and(Option::is_some),
        })
    }

    /// Wall time of `compile` (validation, lowering, Cranelift, linking).
    pub fn compile_time(&self) -> Duration {
        self.compile_time
    }

    /// The number of CLIF instructions generated (as built, before optimisation).
    pub fn clif_instructions(&self) -> usize {
        self.stats.instructions
    }

    /// What Cranelift compiled: functions, instructions, the largest function.
    pub fn function_stats(&self) -> FunctionStats {
        self.stats
    }

    /// Runs generated function `code` on `pop`. The only place code becomes callable.
    fn call_generated(
        &self,
        code: *const u8,
        block: BlockKind,
        pop: &mut Population,
        args: &BlockArgs<'_>,
    ) {
        let stride = pop.stride();
        let count = if block.is_indexed() {
            args.neurons.len()
        } else {
            pop.len()
        };
        let data = pop.raw_mut();
        // `bool` is one byte holding 0 or 1, so the flags can be read as bytes.
        let mask = args.overridden.as_ptr().cast::<u8>();
        let neurons = args.neurons.as_ptr();
        // SAFETY: `code` is a function of this kernel's module (alive while `self` is),
        // compiled from `lower_plan` with exactly the `GeneratedFn` signature in the
        // platform's default calling convention (that of `extern "C"`). `check_call`
        // succeeded before this call, which establishes every bound the code relies on:
        // the population has the program's `Shape`, so `data` holds `slot_count × stride`
        // values (the generated code steps `stride` values from one slot to the next) and
        // every slot the plan reads or writes is `< slot_count` (planning validated all
        // indices against the same shape); the loop runs `count` times with neuron index
        // `< n ≤ stride` (dense: `k < n`; indexed: every listed neuron was checked `< n`),
        // except a blocked step (`blocked.rs`, dense), which runs whole 64-lane blocks from
        // lane 0 while the block's first lane is `< n`: its last lane is below `n` rounded
        // up to a multiple of 64, which is `stride` (`galvani_kernel::stride_of`, fixed when
        // the population was made), and its scratch rows are on its own stack; `mask` has
        // one byte per param/state where the block reads it (length
        // checked); `neurons` has `count` entries. Nothing else aliases `data` during the
        // call (`&mut Population`).
        unsafe {
            let function = std::mem::transmute::<*const u8, GeneratedFn>(code);
            function(
                data.as_mut_ptr(),
                stride,
                mask,
                neurons,
                count,
                args.t,
                args.dt,
            );
        }
    }
}

impl JitKernel {
    /// Whether this kernel's step calls `galvani-vmath` (a blocked step), so that a value
    /// folded from constants must use its lane functions to keep the same bits.
    fn step_vector_maths(&self) -> bool {
        let Ok(plans) = plan_program(&self.program) else {
            return false;
        };
        plans
            .iter()
            .find(|p| p.kind == BlockKind::Step)
            .is_some_and(|plan| {
                self.options
                    .kernel
                    .phases(plan, self.options.max_chunk_ops)
                    .is_some()
            })
    }
}

impl Kernel for JitKernel {
    fn program(&self) -> &StepProgram {
        &self.program
    }

    fn step_writes_condition(&self, event: usize) -> bool {
        self.step_conditions.get(event).copied().unwrap_or(false)
    }

    /// A blocked step sums each block's status as it goes (`blocked.rs`, `StatusPlan`).
    fn step_writes_status(&self) -> bool {
        self.step_status
    }

    /// Recompiles the program with the step block's loads of uniform params, of uniform
    /// inputs that stay fixed and of `dt` replaced by their values and what follows from
    /// constants alone folded (`uniform_values_as_constants`), with this kernel's options.
    /// `None` when nothing changes, or should that compile fail (the general kernel
    /// computes the same bits).
    fn specialize_step(
        &self,
        pop: &Population,
        dt: f64,
        fixed_inputs: &[bool],
    ) -> Option<Box<dyn Kernel>> {
        let inputs: Vec<Option<f64>> = pop
            .uniform_inputs()
            .into_iter()
            .enumerate()
            .map(|(j, value)| value.filter(|_| fixed_inputs.get(j).copied().unwrap_or(false)))
            .collect();
        let program = uniform_values_as_constants(
            &self.program,
            &pop.uniform_params(),
            &inputs,
            dt,
            self.step_vector_maths(),
        )?;
        let kernel = JitKernel::compile_with(&program, self.options, None).ok()?;
        Some(Box::new(kernel))
    }

    /// Splits the neurons into one contiguous range of whole 64-neuron blocks per thread
    /// and runs the block's function on each range at once: the function is called with
    /// the buffer's address moved to the range's first neuron (slots stay `stride` apart)
    /// and the range's length as its count.
    fn run_block_parallel(
        &self,
        block: BlockKind,
        pop: &mut Population,
        args: &BlockArgs<'_>,
        team: &galvani_kernel::Team,
    ) -> Result<(), KernelError> {
        let n = pop.len();
        let blocks = n.div_ceil(galvani_kernel::BLOCK);
        let threads = team.threads().min(blocks);
        if block.is_indexed() || block.mask_len(&pop.shape()).is_some() || threads < 2 {
            return self.run_block(block, pop, args);
        }
        check_call(&self.program, block, pop, args)?;
        let Some(&(_, code)) = self
            .functions
            .get(block.position())
            .filter(|(kind, _)| *kind == block)
        else {
            return Err(KernelError::NoSuchBlock { block });
        };
        let stride = pop.stride();
        let base = SendPtr(pop.raw_mut().as_mut_ptr());
        let (t, dt) = (args.t, args.dt);
        // SAFETY: `code` is a function of this kernel's module with exactly this signature
        // (see `call_generated`); it stays alive while `self` does, past the scope below.
        let function = unsafe { std::mem::transmute::<*const u8, GeneratedFn>(code) };
        team.run(&|part| {
            if part >= threads {
                return;
            }
            // Blocks [part·blocks/threads, (part+1)·blocks/threads): contiguous, whole.
            let first = part * blocks / threads * galvani_kernel::BLOCK;
            let last = ((part + 1) * blocks / threads * galvani_kernel::BLOCK).min(n);
            if first >= last {
                return;
            }
            // SAFETY: as `call_generated`, for the neurons `first..last` of the same
            // population: `check_call` succeeded for the whole population; the address
            // moves to neuron `first` (a multiple of 64), so slot `s` of neuron `first + i`
            // is at `s·stride + first + i`, inside the buffer for `i < last − first`; a
            // blocked step's whole blocks end at `first` plus `last − first` rounded up to
            // 64, at most `stride`. The ranges are disjoint and every function writes only
            // its own neurons' slots (the loop index is the neuron; scratch is on the
            // stack), so the threads touch disjoint values; `team.run` returns only when
            // every part is done, within the `&mut Population` borrow. A dense block takes
            // no mask and no neuron list (refused above otherwise).
            unsafe {
                function(
                    base.at(first),
                    stride,
                    std::ptr::null(),
                    std::ptr::null(),
                    last - first,
                    t,
                    dt,
                );
            }
        });
        Ok(())
    }

    fn run_block(
        &self,
        block: BlockKind,
        pop: &mut Population,
        args: &BlockArgs<'_>,
    ) -> Result<(), KernelError> {
        check_call(&self.program, block, pop, args)?;
        let Some(&(_, code)) = self
            .functions
            .get(block.position())
            .filter(|(kind, _)| *kind == block)
        else {
            return Err(KernelError::NoSuchBlock { block });
        };
        self.call_generated(code, block, pop, args);
        Ok(())
    }
}

/// `program` with every load of a uniform param in the step block (`uniform[j] = Some(v)`),
/// of an input with `inputs[j] = Some(v)` (uniform, and fixed for the run) and of the step
/// size replaced by its value, and every operation of the step whose
/// operands are then all constants folded to its value, or `None` when nothing changes.
/// A folded value has the bits the kernel computes: arithmetic as the interpreter (and the
/// generated code) does it, and of the calls only `exp`, `expm1`, `exprel`, `φ`, `log` and
/// `pow` (not with an exponent 2, 3 or 4, which the kernel multiplies out), with
/// `galvani-vmath`'s lane function when the step calls vector maths
/// (`vector_maths`, a blocked step) and with the table's value function otherwise.
/// Nothing that feeds an exponent becomes a constant, because a constant exponent 2, 3 or
/// 4 would change how `^` is lowered (`Lowering::of_power`). For a linear equation with
/// constant coefficients this folds `φ(−B·dt)` away: no transcendental is left per
/// neuron and step.
pub(crate) fn uniform_values_as_constants(
    program: &StepProgram,
    uniform: &[Option<f64>],
    inputs: &[Option<f64>],
    dt: f64,
    vector_maths: bool,
) -> Option<StepProgram> {
    use crate::interp::{binary, boolean, truth};
    use galvani_ir::model::{BinOp, Builtin};
    use galvani_ir::step::Inst;
    use galvani_vmath::VectorFn;
    let insts = &program.step.insts;
    let mut exponent = vec![false; insts.len()];
    for inst in insts {
        let b = match inst {
            Inst::Binary(BinOp::Pow, _, b) => *b,
            Inst::Call(Func::Builtin(Builtin::Pow), args) if args.len() == 2 => args[1],
            _ => continue,
        };
        if let Some(flag) = exponent.get_mut(b.0 as usize) {
            *flag = true;
        }
    }
    let mut specialized = program.clone();
    let mut replaced = false;
    let mut known: Vec<Option<f64>> = vec![None; insts.len()];
    // `x^y` and `pow(x, y)` as the kernel computes them: an exponent 2, 3 or 4 in the
    // program is multiplications there (`Lowering::of_power`) and is left alone, any other
    // is a `pow` call (vector maths' in a blocked step, the table's otherwise).
    let power = |x: f64, y: f64, exponent: &galvani_ir::step::Reg| -> Option<f64> {
        match insts
            .get(exponent.0 as usize)
            .map(crate::math::Lowering::of_power)?
        {
            crate::math::Lowering::IntegerPower(_) => None,
            _ if vector_maths => Some(galvani_vmath::lane::pow(x, y)),
            _ => Some(galvani_ir::builtins::pow(x, y)),
        }
    };
    for (k, inst) in specialized.step.insts.iter_mut().enumerate() {
        let value = |r: &galvani_ir::step::Reg| known.get(r.0 as usize).copied().flatten();
        let folded = match &*inst {
            Inst::Const(v) => Some(*v),
            Inst::Param(j) => uniform.get(*j as usize).copied().flatten(),
            Inst::Input(j) => inputs.get(*j as usize).copied().flatten(),
            Inst::Dt => Some(dt),
            Inst::Neg(a) => value(a).map(|x| -x),
            Inst::Not(a) => value(a).map(|x| boolean(!truth(x))),
            Inst::Binary(BinOp::Pow, a, b) => match (value(a), value(b)) {
                (Some(x), Some(y)) => power(x, y, b),
                _ => None,
            },
            Inst::Binary(op, a, b) => match (value(a), value(b)) {
                (Some(x), Some(y)) => Some(binary(*op, x, y)),
                _ => None,
            },
            Inst::Call(func, args) => {
                let values: Option<Vec<f64>> = args.iter().map(value).collect();
                let vector = match func {
                    Func::Builtin(Builtin::Exp) => Some(VectorFn::Exp),
                    Func::Builtin(Builtin::Expm1) => Some(VectorFn::Expm1),
                    Func::Builtin(Builtin::Exprel) => Some(VectorFn::Exprel),
                    Func::Builtin(Builtin::Log) => Some(VectorFn::Log),
                    Func::Builtin(Builtin::Pow) => Some(VectorFn::Pow),
                    Func::Phi => Some(VectorFn::Phi),
                    _ => None,
                };
                match (values.as_deref(), vector) {
                    (Some([x]), Some(f)) if vector_maths => f.lane().map(|lane| lane(*x)),
                    (Some([x]), Some(_)) => Some(func.eval(&[*x])),
                    (Some([x, y]), Some(VectorFn::Pow)) => power(*x, *y, &args[1]),
                    _ => None,
                }
            }
            _ => None,
        };
        if exponent[k] {
            // A constant exponent is known to the power it feeds (it stays the constant it
            // is); nothing else that feeds an exponent becomes a constant.
            if let Inst::Const(v) = inst {
                known[k] = Some(*v);
            }
            continue;
        }
        if let Some(v) = folded {
            known[k] = Some(v);
            if !matches!(inst, Inst::Const(_)) {
                *inst = Inst::Const(v);
                replaced = true;
            }
        }
    }
    replaced |= forward_identities(&mut specialized.step, &known, &exponent);
    replaced.then_some(specialized)
}

/// Makes every use of `x·1`, `1·x`, `x/1`, `x − (+0)`, `x + (−0)` and `(−0) + x` (the
/// constant known, for example a uniform `c_m` of 1) read `x` instead: each is `x` bit for
/// bit, NaN and the sign of zero included, so the generated code skips an operation the
/// interpreter would compute to the same bits. A register that feeds an exponent is left
/// alone (its instruction decides how `^` is lowered). Whether anything changed.
fn forward_identities(
    block: &mut galvani_ir::step::Block,
    known: &[Option<f64>],
    exponent: &[bool],
) -> bool {
    use galvani_ir::model::BinOp;
    use galvani_ir::step::{Inst, Reg};
    let is = |r: Reg, value: f64| {
        known
            .get(r.0 as usize)
            .copied()
            .flatten()
            .is_some_and(|v| v.to_bits() == value.to_bits())
    };
    let mut alias: Vec<Reg> = (0..block.insts.len() as u32).map(Reg).collect();
    let mut changed = false;
    for k in 0..block.insts.len() {
        let inst = &mut block.insts[k];
        for operand in inst.operands_mut() {
            let to = alias[operand.0 as usize];
            changed |= to != *operand;
            *operand = to;
        }
        if exponent[k] {
            continue;
        }
        let same = match *inst {
            Inst::Binary(BinOp::Mul, a, b) if is(b, 1.0) => Some(a),
            Inst::Binary(BinOp::Mul, a, b) if is(a, 1.0) => Some(b),
            Inst::Binary(BinOp::Div, a, b) if is(b, 1.0) => Some(a),
            Inst::Binary(BinOp::Sub, a, b) if is(b, 0.0) => Some(a),
            Inst::Binary(BinOp::Add, a, b) if is(b, -0.0) => Some(a),
            Inst::Binary(BinOp::Add, a, b) if is(a, -0.0) => Some(b),
            _ => None,
        };
        if let Some(x) = same {
            alias[k] = x;
        }
    }
    for (_, reg) in &mut block.outputs {
        let to = alias[reg.0 as usize];
        changed |= to != *reg;
        *reg = to;
    }
    changed
}

impl Drop for JitKernel {
    fn drop(&mut self) {
        self.functions.clear();
        if let Some(module) = self.module.take() {
            // SAFETY: the function pointers were only stored in `self.functions` (cleared
            // above) and are never handed out; `&mut self` means no call is running.
            unsafe { module.free_memory() };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::{BlockBuilder, ProgramBuilder};
    use galvani_ir::model::Builtin;
    use galvani_ir::step::{Inst, Target};

    /// `x' = log(k)·φ(k)·pow(k, 0.5)·k^3` with `k` uniform: the three calls fold, with
    /// `galvani-vmath`'s lane functions in a blocked step (the bits its kernel computes)
    /// and with the table's value functions in a scalar one; `k^3` does not (the kernel
    /// multiplies it out).
    #[test]
    fn uniform_calls_fold_with_the_kernels_own_functions() {
        let mut program = ProgramBuilder::new("fold")
            .param("k", "")
            .state("x", "")
            .build();
        let mut b = BlockBuilder::new();
        let k = b.param(0);
        let l = b.call(Builtin::Log, &[k]);
        let f = b.phi(k);
        let y = b.mul(l, f);
        // pow(k, 0.5) folds; k^3 is multiplications in the kernel and stays.
        let half = b.konst(0.5);
        let root = b.call(Builtin::Pow, &[k, half]);
        let y = b.mul(y, root);
        let three = b.konst(3.0);
        let cube = b.bin(galvani_ir::model::BinOp::Pow, k, three);
        let y = b.mul(y, cube);
        b.output(Target::State(0), y);
        program.step = b.finish();
        // At k = 20/7 the vector log is one ulp from the table's, so the constants show
        // which function folded them.
        let k_value = 2.857142857142857;
        for vector_maths in [true, false] {
            let folded =
                uniform_values_as_constants(&program, &[Some(k_value)], &[], 0.1, vector_maths)
                    .expect("the calls fold");
            let constants: Vec<f64> = folded
                .step
                .insts
                .iter()
                .filter_map(|inst| match inst {
                    Inst::Const(v) => Some(*v),
                    _ => None,
                })
                .collect();
            let (log, phi, root) = if vector_maths {
                (
                    galvani_vmath::lane::log(k_value),
                    galvani_vmath::lane::phi(k_value),
                    galvani_vmath::lane::pow(k_value, 0.5),
                )
            } else {
                (
                    galvani_ir::builtins::log(k_value),
                    galvani_ir::builtins::phi(k_value),
                    galvani_ir::builtins::pow(k_value, 0.5),
                )
            };
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(&constants),
                bits(&[
                    k_value,
                    log,
                    phi,
                    log * phi,
                    0.5,
                    root,
                    log * phi * root,
                    3.0
                ]),
                "vector maths {vector_maths}"
            );
            // k^3 and what it feeds stay computed.
            assert!(matches!(
                folded.step.insts.last(),
                Some(Inst::Binary(galvani_ir::model::BinOp::Mul, _, _))
            ));
        }
    }

    /// `x·c`, `x/c`, `x − z`, `x + n` and `n + x` with uniform `c = 1`, `z = +0` and
    /// `n = −0` are forwarded to `x` in the specialised step (the outputs read the state
    /// itself); `c = 2`, `z = −0` and `n = +0` (not identities) are not; an exponent
    /// register stays as it is. The specialised kernel gives the general one's bits at
    /// ±0, NaN and ±∞.
    #[test]
    fn identities_are_forwarded_and_keep_the_bits() {
        use galvani_ir::model::BinOp;
        let mut program = ProgramBuilder::new("identities")
            .param("c", "")
            .param("z", "")
            .param("n", "")
            .param("e", "")
            .state("a", "")
            .state("b", "")
            .state("d", "")
            .state("f", "")
            .state("g", "")
            .state("h", "")
            .build();
        let mut b = BlockBuilder::new();
        let (c, z, n, e) = (b.param(0), b.param(1), b.param(2), b.param(3));
        let x = b.state(0);
        let times = b.mul(x, c);
        let over = b.div(x, c);
        let minus = b.sub(x, z);
        let plus = b.add(x, n);
        let plus_left = b.add(n, x);
        // x^(e·c): e·c feeds an exponent and is kept.
        let exponent = b.mul(e, c);
        let power = b.bin(BinOp::Pow, x, exponent);
        for (i, reg) in [times, over, minus, plus, plus_left, power]
            .into_iter()
            .enumerate()
        {
            b.output(Target::State(i as u32), reg);
        }
        program.step = b.finish();
        let forwarded = |uniform: [f64; 4]| {
            let values = uniform.map(Some);
            let folded = uniform_values_as_constants(&program, &values, &[], 0.1, false).unwrap();
            let outputs: Vec<bool> = folded
                .step
                .outputs
                .iter()
                .map(|&(_, reg)| reg == x)
                .collect();
            (folded, outputs)
        };
        let (identity, outputs) = forwarded([1.0, 0.0, -0.0, 3.0]);
        assert_eq!(outputs, [true, true, true, true, true, false]);
        let Some(Inst::Binary(BinOp::Pow, _, exponent_reg)) = identity
            .step
            .insts
            .get(program.step.outputs[5].1 .0 as usize)
        else {
            panic!("the power is kept");
        };
        assert!(matches!(
            identity.step.insts[exponent_reg.0 as usize],
            Inst::Binary(BinOp::Mul, _, _)
        ));
        let (_, outputs) = forwarded([2.0, -0.0, 0.0, 3.0]);
        assert_eq!(outputs, [false; 6]);

        // The specialised kernel against the general one, bit for bit.
        let general = JitKernel::compile(&program).unwrap();
        let special = JitKernel::compile(&identity).unwrap();
        let starts = [
            0.0,
            -0.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -2.5,
            1e-310,
        ];
        let run = |kernel: &JitKernel| {
            let mut pop = Population::new(kernel.program(), starts.len());
            for (param, value) in [1.0, 0.0, -0.0, 3.0].into_iter().enumerate() {
                pop.param_mut(param).fill(value);
            }
            pop.state_mut(0).copy_from_slice(&starts);
            kernel.step(&mut pop, 0.0, 0.1).unwrap();
            (0..6)
                .flat_map(|s| pop.state(s).iter().map(|v| v.to_bits()).collect::<Vec<_>>())
                .collect::<Vec<u64>>()
        };
        assert_eq!(run(&general), run(&special));
    }
}
