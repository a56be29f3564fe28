//! Lowering of planned blocks to Cranelift IR, and the CLIF text of a program.
//!
//! Every block becomes one function with the signature
//!
//! ```text
//! fn(data: *mut f64, n: usize, mask: *const u8, neurons: *const u32, count: usize,
//!    t: f64, dt: f64)
//! ```
//!
//! `data` is the `Population` buffer (slot `s` of neuron `i` at `data[s·n + i]`), `mask`
//! the override flags of `Params`/`Init`, `neurons` the neuron list of `Actions`. The loop
//! over neurons is inside: `for k in 0..count { i = indexed ? neurons[k] : k; … }`. Slot
//! base addresses and mask flags are computed once before the loop. Inside, every
//! instruction becomes a value and every output a store after all of them, so a block that
//! reads and writes the same arrays still computes every new value from the old ones.
//!
//! A block that `chunk::split` splits becomes an entry with the same signature and loop,
//! calling per neuron helpers `fn(data, n, mask, neuron, t, dt, scratch)` of straight-line
//! code (`lower_block`); `clif_text` prints the helpers after their entry, named after
//! every block's entry, as the JIT declares them.

use crate::chunk::{Chunk, Split};
use crate::math::{runtime_functions, Lowering};
use crate::plan::{Op, Plan, Store};
use crate::CodegenError;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    types, AbiParam, Block, BlockArg, ExtFuncData, ExternalName, FuncRef, Function, InstBuilder,
    MemFlagsData, Signature, StackSlotData, StackSlotKind, Type, UserExternalName, UserFuncName,
    Value,
};
use cranelift_codegen::isa::{CallConv, TargetFrontendConfig};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use galvani_ir::model::{BinOp, Builtin};
use galvani_ir::step::{Func, StepProgram};
use std::collections::BTreeMap;

/// The signature every generated function has.
pub(crate) fn block_signature(call_conv: CallConv, pointer: types::Type) -> Signature {
    let mut sig = Signature::new(call_conv);
    sig.params.push(AbiParam::new(pointer)); // data
    sig.params.push(AbiParam::new(pointer)); // n
    sig.params.push(AbiParam::new(pointer)); // mask
    sig.params.push(AbiParam::new(pointer)); // neurons
    sig.params.push(AbiParam::new(pointer)); // count
    sig.params.push(AbiParam::new(types::F64)); // t
    sig.params.push(AbiParam::new(types::F64)); // dt
    sig
}

/// The signature of a runtime math function: `f64 × arity → f64`.
pub(crate) fn runtime_signature(call_conv: CallConv, f: Func) -> Signature {
    let mut sig = Signature::new(call_conv);
    for _ in 0..f.arity() {
        sig.params.push(AbiParam::new(types::F64));
    }
    sig.returns.push(AbiParam::new(types::F64));
    sig
}

/// What the lowering needs to know about the target and the names of functions.
pub(crate) struct Target<'a> {
    pub config: TargetFrontendConfig,
    /// `UserExternalName` index (namespace 0) of each runtime function.
    pub runtime_index: &'a dyn Fn(Func) -> u32,
}

/// The loop over neurons every block function runs: its parameters (`GeneratedFn`'s
/// order) and the blocks `entry → header(k) → body → header(k + 1) … → exit`.
struct NeuronLoop {
    data: Value,
    n: Value,
    mask: Value,
    neurons: Value,
    count: Value,
    t: Value,
    dt: Value,
    header: Block,
    body: Block,
    exit: Block,
}

impl NeuronLoop {
    /// Creates the blocks and leaves the builder in the entry block, where the caller
    /// emits what runs once (slot bases, flags, imports).
    fn open(b: &mut FunctionBuilder) -> NeuronLoop {
        let entry = b.create_block();
        let header = b.create_block();
        let body = b.create_block();
        let exit = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let params = b.block_params(entry).to_vec();
        NeuronLoop {
            data: params[0],
            n: params[1],
            mask: params[2],
            neurons: params[3],
            count: params[4],
            t: params[5],
            dt: params[6],
            header,
            body,
            exit,
        }
    }

    /// Ends the entry block, emits `header(k): k < count ? body : exit`, and leaves the
    /// builder in the body. Returns `k` and the neuron of iteration k (`neurons[k]` for an
    /// indexed block; `uload32` zero-extends the u32 index to i64).
    fn enter_body(
        &self,
        b: &mut FunctionBuilder,
        indexed: bool,
        pointer: Type,
        flags: MemFlagsData,
    ) -> (Value, Value) {
        let zero_index = b.ins().iconst(pointer, 0);
        b.ins().jump(self.header, &[BlockArg::Value(zero_index)]);
        let k = b.append_block_param(self.header, pointer);
        b.switch_to_block(self.header);
        let more = b.ins().icmp(IntCC::UnsignedLessThan, k, self.count);
        b.ins().brif(more, self.body, &[], self.exit, &[]);
        b.switch_to_block(self.body);
        let neuron = if indexed {
            let index_offset = b.ins().ishl_imm_u(k, 2);
            let index_addr = b.ins().iadd(self.neurons, index_offset);
            if pointer == types::I32 {
                b.ins().load(types::I32, flags, index_addr, 0)
            } else {
                b.ins().uload32(flags, index_addr, 0)
            }
        } else {
            k
        };
        (k, neuron)
    }

    /// Ends the body (on to iteration k + 1) and returns from the exit block.
    fn close(&self, b: &mut FunctionBuilder, k: Value) {
        let next = b.ins().iadd_imm_u(k, 1);
        b.ins().jump(self.header, &[BlockArg::Value(next)]);
        b.switch_to_block(self.exit);
        b.ins().return_(&[]);
        b.seal_all_blocks();
    }
}

/// Builds the function of one planned block. `name_index` is its `u0:N` name.
pub(crate) fn lower_plan(
    plan: &Plan,
    name_index: u32,
    target: &Target<'_>,
) -> Result<Function, CodegenError> {
    let pointer = target.config.pointer_type();
    let call_conv = target.config.default_call_conv;
    let mut func = Function::with_name_signature(
        UserFuncName::user(0, name_index),
        block_signature(call_conv, pointer),
    );
    let mut fb_ctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut func, &mut fb_ctx);
    let flags = MemFlagsData::trusted();

    let l = NeuronLoop::open(&mut b);
    let (data, n, mask, t, dt) = (l.data, l.n, l.mask, l.t, l.dt);

    let bases = slot_bases(&mut b, plan, data, n);

    // Override flags (i8, nonzero = overridden), loaded once.
    let mut mask_indices: Vec<usize> = plan
        .ops
        .iter()
        .filter_map(|op| match op {
            Op::Load {
                earlier: Some((m, _)),
                ..
            } => Some(*m),
            _ => None,
        })
        .chain(plan.stores.iter().filter_map(|s| s.mask))
        .collect();
    mask_indices.sort_unstable();
    mask_indices.dedup();
    let mut masks = BTreeMap::new();
    for &m in &mask_indices {
        let byte = b.ins().uload8(types::I32, flags, mask, m as i32);
        masks.insert(m, b.ins().icmp_imm_u(IntCC::NotEqual, byte, 0));
    }

    let imports = import_runtime(&mut b, &plan.ops, target);

    let (k, neuron) = l.enter_body(&mut b, plan.kind.is_indexed(), pointer, flags);
    let offset = b.ins().ishl_imm_u(neuron, 3);
    let address = |b: &mut FunctionBuilder, slot: usize| b.ins().iadd(bases[&slot], offset);

    let mut regs: Vec<Value> = Vec::with_capacity(plan.ops.len());
    let mut env = OpEnv {
        constants: Constants::default(),
        imports: &imports,
        t,
        dt,
    };
    for op in &plan.ops {
        let value = lower_op(
            &mut b,
            &mut env,
            op,
            &|reg| regs[reg.0 as usize],
            &mut |b, slot| address(b, slot),
            &mut |_, m| masks[&m],
        );
        regs.push(value);
    }
    for store in &plan.stores {
        let addr = address(&mut b, store.slot);
        let mut value = regs[store.reg.0 as usize];
        if let Some(m) = store.mask {
            // An overridden value keeps what the array holds.
            let old = b.ins().load(types::F64, flags, addr, 0);
            value = b.ins().select(masks[&m], old, value);
        }
        b.ins().store(flags, value, addr, 0);
    }
    l.close(&mut b, k);
    b.finalize(target.config);
    Ok(func)
}

/// Imports, in a fixed order, the runtime functions that `ops` call.
pub(crate) fn import_runtime(
    b: &mut FunctionBuilder,
    ops: &[Op],
    target: &Target<'_>,
) -> BTreeMap<Func, FuncRef> {
    let call_conv = target.config.default_call_conv;
    let mut used: Vec<Func> = ops
        .iter()
        .filter_map(|op| match op {
            Op::Call(Lowering::Runtime(f), _) => Some(*f),
            _ => None,
        })
        .collect();
    used.sort_unstable();
    used.dedup();
    let mut imports: BTreeMap<Func, FuncRef> = BTreeMap::new();
    for f in used {
        let signature = b.func.import_signature(runtime_signature(call_conv, f));
        let name = b.func.declare_imported_user_function(UserExternalName {
            namespace: 0,
            index: (target.runtime_index)(f),
        });
        let func_ref = b.func.import_function(ExtFuncData {
            name: ExternalName::user(name),
            signature,
            colocated: false,
            patchable: false,
        });
        imports.insert(f, func_ref);
    }
    imports
}

/// What lowering one operation needs besides its operands.
struct OpEnv<'a> {
    constants: Constants,
    imports: &'a BTreeMap<Func, FuncRef>,
    t: Value,
    dt: Value,
}

/// Lowers one planned operation; `reg` gives an operand's value, `address` a slot's address
/// for the current neuron and `mask` the truth of an override flag.
fn lower_op(
    b: &mut FunctionBuilder,
    env: &mut OpEnv<'_>,
    op: &Op,
    reg: &dyn Fn(galvani_ir::step::Reg) -> Value,
    address: &mut dyn FnMut(&mut FunctionBuilder, usize) -> Value,
    mask: &mut dyn FnMut(&mut FunctionBuilder, usize) -> Value,
) -> Value {
    let r = reg;
    let flags = MemFlagsData::trusted();
    match op {
        Op::Const(c) => b.ins().f64const(*c),
        Op::Load { slot, earlier } => {
            let addr = address(b, *slot);
            let loaded = b.ins().load(types::F64, flags, addr, 0);
            match earlier {
                // overridden ? array : the block's earlier value
                Some((m, reg)) => {
                    let overridden = mask(b, *m);
                    b.ins().select(overridden, loaded, r(*reg))
                }
                None => loaded,
            }
        }
        Op::Time => env.t,
        Op::Dt => env.dt,
        Op::Neg(a) => b.ins().fneg(r(*a)),
        Op::Not(a) => {
            // not a = (a == 0) ? 1 : 0
            let zero = env.constants.zero(b);
            let is_zero = b.ins().fcmp(FloatCC::Equal, r(*a), zero);
            env.constants.boolean(b, is_zero)
        }
        Op::Binary(op, a, c) => binary(b, &mut env.constants, env.imports, *op, r(*a), r(*c)),
        Op::Select(c, a, e) => {
            let zero = env.constants.zero(b);
            let cond = b.ins().fcmp(FloatCC::NotEqual, r(*c), zero);
            b.ins().select(cond, r(*a), r(*e))
        }
        Op::Call(lowering, operands) => {
            let args: Vec<Value> = operands.iter().map(|&reg| r(reg)).collect();
            call(b, env.imports, *lowering, &args)
        }
    }
}

/// `0.0` and `1.0`, created once per body on first use.
#[derive(Default)]
struct Constants {
    zero: Option<Value>,
    one: Option<Value>,
}

impl Constants {
    fn zero(&mut self, b: &mut FunctionBuilder) -> Value {
        *self.zero.get_or_insert_with(|| b.ins().f64const(0.0))
    }
    fn one(&mut self, b: &mut FunctionBuilder) -> Value {
        *self.one.get_or_insert_with(|| b.ins().f64const(1.0))
    }
    /// An `i8` truth value as 1.0 / 0.0.
    fn boolean(&mut self, b: &mut FunctionBuilder, cond: Value) -> Value {
        let one = self.one(b);
        let zero = self.zero(b);
        b.ins().select(cond, one, zero)
    }
}

fn binary(
    b: &mut FunctionBuilder,
    constants: &mut Constants,
    imports: &BTreeMap<Func, FuncRef>,
    op: BinOp,
    x: Value,
    y: Value,
) -> Value {
    let compare = |b: &mut FunctionBuilder, constants: &mut Constants, cc: FloatCC| {
        let cond = b.ins().fcmp(cc, x, y);
        constants.boolean(b, cond)
    };
    match op {
        BinOp::Add => b.ins().fadd(x, y),
        BinOp::Sub => b.ins().fsub(x, y),
        BinOp::Mul => b.ins().fmul(x, y),
        BinOp::Div => b.ins().fdiv(x, y),
        // Planning turns `^` into a call; kept total for safety.
        BinOp::Pow => call(
            b,
            imports,
            Lowering::Runtime(Func::Builtin(Builtin::Pow)),
            &[x, y],
        ),
        BinOp::Lt => compare(b, constants, FloatCC::LessThan),
        BinOp::Le => compare(b, constants, FloatCC::LessThanOrEqual),
        BinOp::Gt => compare(b, constants, FloatCC::GreaterThan),
        BinOp::Ge => compare(b, constants, FloatCC::GreaterThanOrEqual),
        BinOp::Eq => compare(b, constants, FloatCC::Equal),
        BinOp::Ne => compare(b, constants, FloatCC::NotEqual),
        BinOp::And | BinOp::Or => {
            // Truth of each operand: x != 0 (NaN counts as true, as in the interpreter).
            let zero = constants.zero(b);
            let tx = b.ins().fcmp(FloatCC::NotEqual, x, zero);
            let ty = b.ins().fcmp(FloatCC::NotEqual, y, zero);
            let both = if op == BinOp::And {
                b.ins().band(tx, ty)
            } else {
                b.ins().bor(tx, ty)
            };
            constants.boolean(b, both)
        }
    }
}

fn call(
    b: &mut FunctionBuilder,
    imports: &BTreeMap<Func, FuncRef>,
    lowering: Lowering,
    args: &[Value],
) -> Value {
    match (lowering, args) {
        (Lowering::Sqrt, [x]) => b.ins().sqrt(*x),
        (Lowering::Abs, [x]) => b.ins().fabs(*x),
        (Lowering::Min, [x, y]) => b.ins().fmin(*x, *y),
        (Lowering::Max, [x, y]) => b.ins().fmax(*x, *y),
        (Lowering::IntegerPower(k), [x, _]) => {
            // ((x·x)·x)·… : k − 1 multiplications, left to right.
            let mut p = *x;
            for _ in 1..k {
                p = b.ins().fmul(p, *x);
            }
            p
        }
        (Lowering::Runtime(f), _) => match imports.get(&f) {
            Some(&func_ref) => {
                let inst = b.ins().call(func_ref, args);
                b.inst_results(inst)[0]
            }
            // Every runtime call of the plan was imported above.
            None => b.ins().f64const(f64::NAN),
        },
        // Arity was validated by planning.
        _ => b.ins().f64const(f64::NAN),
    }
}

/// The target `clif_text` describes: System V calling convention, 64-bit pointers — what
/// the JIT uses on Linux (x86-64 and aarch64), so the text matches the compiled IR there,
/// and fixed so snapshots do not depend on the machine.
pub(crate) fn text_target_config() -> TargetFrontendConfig {
    TargetFrontendConfig {
        default_call_conv: CallConv::SystemV,
        pointer_width: target_lexicon::PointerWidth::U64,
        page_size_align_log2: 12,
    }
}

/// Name indices in a module: runtime functions first (in `runtime_functions` order), then
/// the program's blocks in `BlockKind::all` order. The JIT declares them in the same order.
pub(crate) fn text_runtime_index(f: Func) -> u32 {
    runtime_functions().position(|g| g == f).unwrap_or(0) as u32
}

/// The CLIF text of every function of `program` in the reference kernel mode — the IR as
/// built, before Cranelift's optimisation — each preceded by a comment line naming its
/// block:
///
/// ```text
/// ; galvani hh expeuler: step
/// function u0:13(i64, i64, i64, i64, i64, f64, f64) system_v { … }
/// ```
///
/// Deterministic: the same program gives the same text on every machine.
pub fn clif_text(program: &StepProgram) -> Result<String, CodegenError> {
    clif_text_with(
        program,
        &crate::JitOptions {
            kernel: crate::KernelMode::Reference,
            ..crate::JitOptions::default()
        },
    )
}

/// As [`clif_text`], for the functions `JitKernel::compile_with(program, options)`
/// compiles: with `KernelMode::Blocked`, the step block's blocked function
/// (`blocked.rs`), marked `(blocked)` in its comment line.
pub fn clif_text_with(
    program: &StepProgram,
    options: &crate::JitOptions,
) -> Result<String, CodegenError> {
    let plans = crate::plan::plan_program(program)?;
    let target = Target {
        config: text_target_config(),
        runtime_index: &text_runtime_index,
    };
    let phases: Vec<Option<crate::blocked::Phases>> = plans
        .iter()
        .map(|plan| options.kernel.phases(plan, options.max_chunk_ops))
        .collect();
    let splits: Vec<Option<Split>> = plans
        .iter()
        .zip(&phases)
        .map(|(plan, phases)| match phases {
            Some(_) => None,
            None => crate::chunk::split(plan, options.max_chunk_ops),
        })
        .collect();
    // Helpers of split blocks are named after every block, as the JIT declares them, and
    // `galvani_vmath_apply` after every helper.
    let mut next_helper = block_name_index(plans.len());
    let vmath_index = next_helper
        + splits
            .iter()
            .map(|s| s.as_ref().map_or(0, |s| s.helpers() as u32))
            .sum::<u32>();
    let mut text = String::new();
    for (i, plan) in plans.iter().enumerate() {
        let functions = match &phases[i] {
            Some(phases) => vec![crate::blocked::lower_blocked(
                plan,
                phases,
                &galvani_kernel::Shape::of(program),
                block_name_index(i),
                vmath_index,
                &target,
            )],
            None => lower_block(
                plan,
                splits[i].as_ref(),
                block_name_index(i),
                next_helper,
                &target,
            )?,
        };
        next_helper += splits[i].as_ref().map_or(0, |s| s.helpers() as u32);
        for (j, func) in functions.iter().enumerate() {
            if i > 0 || j > 0 {
                text.push('\n');
            }
            let helper = if j > 0 {
                format!(" helper {}", j - 1)
            } else if phases[i].is_some() {
                " (blocked)".to_string()
            } else {
                String::new()
            };
            text.push_str(&format!(
                "; galvani {} {}: {}{helper}\n{}\n",
                program.model,
                program.method.name(),
                plan.kind.name(),
                func.display()
            ));
        }
    }
    Ok(text)
}

/// The `u0:N` name index of the program's `position`-th block (see `text_runtime_index`).
pub(crate) fn block_name_index(position: usize) -> u32 {
    (runtime_functions().count() + position) as u32
}

// ---- Blocks split into helpers (see `chunk.rs`) ----

/// The signature of a helper of a split block: `fn(data, n, mask, neuron, t, dt, scratch)`,
/// run for one neuron.
pub(crate) fn helper_signature(call_conv: CallConv, pointer: types::Type) -> Signature {
    let mut sig = Signature::new(call_conv);
    sig.params.push(AbiParam::new(pointer)); // data
    sig.params.push(AbiParam::new(pointer)); // n
    sig.params.push(AbiParam::new(pointer)); // mask
    sig.params.push(AbiParam::new(pointer)); // neuron
    sig.params.push(AbiParam::new(types::F64)); // t
    sig.params.push(AbiParam::new(types::F64)); // dt
    sig.params.push(AbiParam::new(pointer)); // scratch
    sig
}

/// Every function of one block: the entry, named `name_index`, then — when `split` —
/// its helpers in call order, named `first_helper`, `first_helper + 1`, ….
pub(crate) fn lower_block(
    plan: &Plan,
    split: Option<&Split>,
    name_index: u32,
    first_helper: u32,
    target: &Target<'_>,
) -> Result<Vec<Function>, CodegenError> {
    let Some(split) = split else {
        return Ok(vec![lower_plan(plan, name_index, target)?]);
    };
    let mut functions = vec![lower_entry(plan, split, name_index, first_helper, target)];
    let mut name = first_helper;
    for chunk in &split.chunks {
        functions.push(lower_helper(plan, Helper::Chunk(chunk), name, target));
        name += 1;
    }
    for stores in &split.store_phases {
        functions.push(lower_helper(plan, Helper::Stores(stores), name, target));
        name += 1;
    }
    Ok(functions)
}

/// The entry of a split block: the loop over neurons, calling every helper per neuron
/// with a scratch area of `split.scratch_len` values on its stack.
fn lower_entry(
    plan: &Plan,
    split: &Split,
    name_index: u32,
    first_helper: u32,
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
    let flags = MemFlagsData::trusted();

    let l = NeuronLoop::open(&mut b);
    let (data, n, mask, t, dt) = (l.data, l.n, l.mask, l.t, l.dt);
    let scratch = if split.scratch_len > 0 {
        let bytes = u32::try_from(split.scratch_len * 8).unwrap_or(u32::MAX);
        let slot =
            b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, bytes, 3));
        b.ins().stack_addr(pointer, slot, 0)
    } else {
        b.ins().iconst(pointer, 0)
    };
    let helper_sig = b
        .func
        .import_signature(helper_signature(call_conv, pointer));
    let helpers: Vec<FuncRef> = (0..split.helpers() as u32)
        .map(|j| {
            let name = b.func.declare_imported_user_function(UserExternalName {
                namespace: 0,
                index: first_helper + j,
            });
            b.func.import_function(ExtFuncData {
                name: ExternalName::user(name),
                signature: helper_sig,
                colocated: true,
                patchable: false,
            })
        })
        .collect();
    let (k, neuron) = l.enter_body(&mut b, plan.kind.is_indexed(), pointer, flags);
    for &helper in &helpers {
        b.ins()
            .call(helper, &[data, n, mask, neuron, t, dt, scratch]);
    }
    l.close(&mut b, k);
    b.finalize(target.config);
    func
}

/// What one helper does: a chunk of operations, or a phase of deferred stores.
enum Helper<'a> {
    Chunk(&'a Chunk),
    Stores(&'a [(Store, usize)]),
}

/// One helper of a split block, straight-line code for one neuron.
fn lower_helper(plan: &Plan, helper: Helper<'_>, name_index: u32, target: &Target<'_>) -> Function {
    let pointer = target.config.pointer_type();
    let call_conv = target.config.default_call_conv;
    let mut func = Function::with_name_signature(
        UserFuncName::user(0, name_index),
        helper_signature(call_conv, pointer),
    );
    let mut fb_ctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut func, &mut fb_ctx);
    let flags = MemFlagsData::trusted();
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let params = b.block_params(entry).to_vec();
    let (data, n, mask, neuron, t, dt, scratch) = (
        params[0], params[1], params[2], params[3], params[4], params[5], params[6],
    );
    let row_bytes = b.ins().ishl_imm_u(n, 3);
    let offset = b.ins().ishl_imm_u(neuron, 3);
    // Addresses and override flags, computed on first use.
    let mut addresses: BTreeMap<usize, Value> = BTreeMap::new();
    let mut address = |b: &mut FunctionBuilder, slot: usize| -> Value {
        *addresses.entry(slot).or_insert_with(|| {
            let slot_offset = b.ins().imul_imm_u(row_bytes, slot as i64);
            let base = b.ins().iadd(data, slot_offset);
            b.ins().iadd(base, offset)
        })
    };
    let mut flags_of: BTreeMap<usize, Value> = BTreeMap::new();
    let mut overridden = |b: &mut FunctionBuilder, m: usize| -> Value {
        *flags_of.entry(m).or_insert_with(|| {
            let byte = b.ins().uload8(types::I32, flags, mask, m as i32);
            b.ins().icmp_imm_u(IntCC::NotEqual, byte, 0)
        })
    };
    let scratch_offset = |index: usize| (index * 8) as i32;

    let store = |b: &mut FunctionBuilder,
                 address: &mut dyn FnMut(&mut FunctionBuilder, usize) -> Value,
                 overridden: &mut dyn FnMut(&mut FunctionBuilder, usize) -> Value,
                 store: &Store,
                 mut value: Value| {
        let addr = address(b, store.slot);
        if let Some(m) = store.mask {
            // An overridden value keeps what the array holds.
            let old = b.ins().load(types::F64, flags, addr, 0);
            let is_overridden = overridden(b, m);
            value = b.ins().select(is_overridden, old, value);
        }
        b.ins().store(flags, value, addr, 0);
    };

    match helper {
        Helper::Chunk(chunk) => {
            let ops: Vec<Op> = chunk.ops.iter().map(|&k| plan.ops[k].clone()).collect();
            let imports = import_runtime(&mut b, &ops, target);
            let mut values: BTreeMap<galvani_ir::step::Reg, Value> = BTreeMap::new();
            for &(reg, index) in &chunk.imports {
                let value = b
                    .ins()
                    .load(types::F64, flags, scratch, scratch_offset(index));
                values.insert(reg, value);
            }
            let mut env = OpEnv {
                constants: Constants::default(),
                imports: &imports,
                t,
                dt,
            };
            for (&k, op) in chunk.ops.iter().zip(&ops) {
                // `split` placed or imported every operand of the chunk's operations.
                let value = lower_op(
                    &mut b,
                    &mut env,
                    op,
                    &|reg| values[&reg],
                    &mut address,
                    &mut overridden,
                );
                values.insert(galvani_ir::step::Reg(k as u32), value);
            }
            let value_of = |reg: galvani_ir::step::Reg| values[&reg];
            for &(reg, index) in &chunk.exports {
                b.ins()
                    .store(flags, value_of(reg), scratch, scratch_offset(index));
            }
            for s in &chunk.stores {
                store(&mut b, &mut address, &mut overridden, s, value_of(s.reg));
            }
        }
        Helper::Stores(stores) => {
            for (s, index) in stores {
                let value = b
                    .ins()
                    .load(types::F64, flags, scratch, scratch_offset(*index));
                store(&mut b, &mut address, &mut overridden, s, value);
            }
        }
    }
    b.ins().return_(&[]);
    b.seal_all_blocks();
    b.finalize(target.config);
    func
}

/// The base address of every slot `plan` loads or stores, `data + slot·n·8`, emitted in
/// slot order (deterministic CLIF text); shared by the scalar and the blocked lowering.
pub(crate) fn slot_bases(
    b: &mut FunctionBuilder,
    plan: &Plan,
    data: Value,
    n: Value,
) -> BTreeMap<usize, Value> {
    let mut slots: Vec<usize> = plan
        .ops
        .iter()
        .filter_map(|op| match op {
            Op::Load { slot, .. } => Some(*slot),
            _ => None,
        })
        .chain(plan.stores.iter().map(|s| s.slot))
        .collect();
    slots.sort_unstable();
    slots.dedup();
    let row_bytes = b.ins().ishl_imm_u(n, 3);
    let mut bases = BTreeMap::new();
    for &slot in &slots {
        let offset = b.ins().imul_imm_u(row_bytes, slot as i64);
        bases.insert(slot, b.ins().iadd(data, offset));
    }
    bases
}
