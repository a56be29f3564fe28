//! Unit and property tests of the symbolic engine, and the helpers they share: model
//! loading (parse + check, or the real `models/*.gal`), and a small `StepProgram`
//! interpreter with the semantics of `galvani_ir::step` (the JIT and the runtime are
//! another crate's; this one exists to measure what the programs compute).

mod builtins;
mod exact;
mod ieee;
mod jacobian;
mod models;
mod orders;
mod props;
mod rules;

use galvani_ir::step::{Block, Inst, StepProgram, Target};
use galvani_ir::{BinOp, Model};

/// Parses and checks a model text (test input is trusted to be valid).
pub(crate) fn model_from_source(source: &str) -> Model {
    let ast = galvani_syntax::parse(source, galvani_diag::FileId(0))
        .unwrap_or_else(|e| panic!("parse error: {e:?}\n{source}"));
    match galvani_check::check(&ast) {
        Ok(checked) => checked.model,
        Err(errors) => panic!("check errors: {errors}\n{source}"),
    }
}

/// The directory of the project's model library.
pub(crate) fn models_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models")
}

/// One model of `models/`.
pub(crate) fn library_model(name: &str) -> Model {
    let path = models_dir().join(format!("{name}.gal"));
    let source =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    model_from_source(&source)
}

/// Every model of `models/`, by name, sorted.
pub(crate) fn all_library_models() -> Vec<(String, Model)> {
    let mut names: Vec<String> = std::fs::read_dir(models_dir())
        .expect("models/ exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter_map(|n| n.strip_suffix(".gal").map(str::to_string))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let m = library_model(&n);
            (n, m)
        })
        .collect()
}

/// Linearizes and verifies (every test that linearizes goes through here).
pub(crate) fn linearized(model: &Model) -> crate::Linearized {
    let lin = crate::linearize(model).expect("linearize");
    lin.verify().expect("verify");
    lin
}

/// Runs one block. In the sequential blocks (params, init) a load of `Param(j)` /
/// `State(j)` after the output of `j` reads that output, as `galvani_ir::step` and the
/// code generator define it; elsewhere loads read the arrays.
pub(crate) fn exec(
    block: &Block,
    sequential: bool,
    states: &[f64],
    params: &[f64],
    inputs: &[f64],
    t: f64,
    dt: f64,
) -> Vec<(Target, f64)> {
    let mut regs: Vec<f64> = Vec::with_capacity(block.insts.len());
    let output_reg = |target: Target| {
        block
            .outputs
            .iter()
            .find(|(t, _)| *t == target)
            .map(|(_, r)| r.0 as usize)
    };
    for (k, inst) in block.insts.iter().enumerate() {
        let r = |reg: &galvani_ir::step::Reg| regs[reg.0 as usize];
        let earlier = |target: Target| {
            if sequential {
                output_reg(target).filter(|&o| o < k)
            } else {
                None
            }
        };
        let value = match inst {
            Inst::Const(v) => *v,
            Inst::State(i) => match earlier(Target::State(*i)) {
                Some(o) => regs[o],
                None => states[*i as usize],
            },
            Inst::Param(i) => match earlier(Target::Param(*i)) {
                Some(o) => regs[o],
                None => params[*i as usize],
            },
            Inst::Input(i) => inputs[*i as usize],
            Inst::Time => t,
            Inst::Dt => dt,
            Inst::Neg(a) => -r(a),
            Inst::Not(a) => {
                if r(a) == 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Inst::Binary(op, a, b) => {
                let (x, y) = (r(a), r(b));
                match op {
                    BinOp::Add => x + y,
                    BinOp::Sub => x - y,
                    BinOp::Mul => x * y,
                    BinOp::Div => x / y,
                    BinOp::Pow => x.powf(y),
                    _ => crate::dag::apply_logic(*op, x, y),
                }
            }
            Inst::Select(c, a, b) => {
                if r(c) != 0.0 {
                    r(a)
                } else {
                    r(b)
                }
            }
            Inst::Call(f, args) => {
                let values: Vec<f64> = args.iter().map(r).collect();
                f.eval(&values)
            }
        };
        regs.push(value);
    }
    block
        .outputs
        .iter()
        .map(|(t, r)| (*t, regs[r.0 as usize]))
        .collect()
}

/// A program ready to run: params, input defaults and initial states evaluated.
pub(crate) struct Machine {
    pub program: StepProgram,
    pub params: Vec<f64>,
    pub inputs: Vec<f64>,
    pub states: Vec<f64>,
}

impl Machine {
    pub fn new(program: StepProgram) -> Machine {
        let mut params = vec![f64::NAN; program.layout.params.len()];
        for (target, v) in exec(&program.params, true, &[], &params.clone(), &[], 0.0, 0.0) {
            if let Target::Param(i) = target {
                params[i as usize] = v;
            }
        }
        let mut inputs = vec![f64::NAN; program.layout.inputs.len()];
        let mut defaults = 0;
        for (target, v) in exec(&program.input_defaults, false, &[], &params, &[], 0.0, 0.0) {
            if let Target::Input(i) = target {
                inputs[i as usize] = v;
                defaults += 1;
            }
        }
        // The white-noise slots follow the model's inputs (which all have defaults): a
        // draw of 0 gives the deterministic part of the step.
        for x in inputs.iter_mut().skip(defaults) {
            *x = 0.0;
        }
        let mut states = vec![f64::NAN; program.layout.states.len()];
        for (target, v) in exec(
            &program.init,
            true,
            &states.clone(),
            &params,
            &inputs,
            0.0,
            0.0,
        ) {
            if let Target::State(i) = target {
                states[i as usize] = v;
            }
        }
        Machine {
            program,
            params,
            inputs,
            states,
        }
    }

    /// The params a step of `dt` reads: with `exact`'s propagator filled in.
    fn params_for(&self, dt: f64) -> Vec<f64> {
        let mut params = self.params.clone();
        if let Some(propagator) = &self.program.propagator {
            for (slot, value) in propagator.fill(|slot| self.params[slot as usize], dt) {
                params[slot as usize] = value;
            }
        }
        params
    }

    /// The new state after one step from `states` at `t`.
    pub fn step_from(&self, states: &[f64], t: f64, dt: f64) -> Vec<f64> {
        let mut out = states.to_vec();
        let params = self.params_for(dt);
        for (target, v) in exec(
            &self.program.step,
            false,
            states,
            &params,
            &self.inputs,
            t,
            dt,
        ) {
            if let Target::State(i) = target {
                out[i as usize] = v;
            }
        }
        out
    }

    /// Integrates from the initial state to `t_end` with `steps` steps (no events).
    pub fn integrate(&self, t_end: f64, steps: usize) -> Vec<f64> {
        let dt = t_end / steps as f64;
        let mut y = self.states.clone();
        for k in 0..steps {
            y = self.step_from(&y, k as f64 * dt, dt);
        }
        y
    }
}
