//! Hand-building `StepProgram`s, for tests and benchmarks: `BlockBuilder` appends SSA
//! instructions and returns their registers, `ProgramBuilder` makes the layout, and
//! `ode_step` discretises a system given as `dy/dt = A − B·y` with euler, expeuler or rk4
//! — the same formulas as the symbolic middle, written independently so the back ends can
//! be tested before (and against) it. The real discretiser is `galvani-symbolic`.

use galvani_ir::dim::Dim;
use galvani_ir::model::{BinOp, Builtin, DisplayUnit};
use galvani_ir::step::{Block, Func, Inst, Layout, Method, Reg, Slot, StepProgram, Target};

/// Appends instructions to one block; every method returns the new register.
#[derive(Clone, Debug, Default)]
pub struct BlockBuilder {
    block: Block,
}

impl BlockBuilder {
    pub fn new() -> BlockBuilder {
        BlockBuilder::default()
    }

    pub fn push(&mut self, inst: Inst) -> Reg {
        self.block.insts.push(inst);
        Reg(self.block.insts.len() as u32 - 1)
    }

    pub fn konst(&mut self, value: f64) -> Reg {
        self.push(Inst::Const(value))
    }
    pub fn state(&mut self, i: u32) -> Reg {
        self.push(Inst::State(i))
    }
    pub fn param(&mut self, i: u32) -> Reg {
        self.push(Inst::Param(i))
    }
    pub fn input(&mut self, i: u32) -> Reg {
        self.push(Inst::Input(i))
    }
    pub fn time(&mut self) -> Reg {
        self.push(Inst::Time)
    }
    pub fn dt(&mut self) -> Reg {
        self.push(Inst::Dt)
    }
    pub fn neg(&mut self, a: Reg) -> Reg {
        self.push(Inst::Neg(a))
    }
    pub fn not(&mut self, a: Reg) -> Reg {
        self.push(Inst::Not(a))
    }
    pub fn bin(&mut self, op: BinOp, a: Reg, b: Reg) -> Reg {
        self.push(Inst::Binary(op, a, b))
    }
    pub fn add(&mut self, a: Reg, b: Reg) -> Reg {
        self.bin(BinOp::Add, a, b)
    }
    pub fn sub(&mut self, a: Reg, b: Reg) -> Reg {
        self.bin(BinOp::Sub, a, b)
    }
    pub fn mul(&mut self, a: Reg, b: Reg) -> Reg {
        self.bin(BinOp::Mul, a, b)
    }
    pub fn div(&mut self, a: Reg, b: Reg) -> Reg {
        self.bin(BinOp::Div, a, b)
    }
    pub fn select(&mut self, c: Reg, a: Reg, b: Reg) -> Reg {
        self.push(Inst::Select(c, a, b))
    }
    pub fn call(&mut self, func: Builtin, args: &[Reg]) -> Reg {
        self.push(Inst::Call(Func::Builtin(func), args.to_vec()))
    }
    pub fn exp(&mut self, x: Reg) -> Reg {
        self.call(Builtin::Exp, &[x])
    }
    pub fn phi(&mut self, x: Reg) -> Reg {
        self.push(Inst::Call(Func::Phi, vec![x]))
    }
    /// `c·x` with a constant `c`.
    pub fn scale(&mut self, c: f64, x: Reg) -> Reg {
        let c = self.konst(c);
        self.mul(c, x)
    }

    /// Adds an output, written after every instruction ran.
    pub fn output(&mut self, target: Target, reg: Reg) {
        self.block.outputs.push((target, reg));
    }

    pub fn finish(self) -> Block {
        self.block
    }
}

fn unit(text: &str) -> DisplayUnit {
    DisplayUnit {
        text: text.to_string(),
        dim: Dim::NONE,
        scale: 1.0,
    }
}

/// Builds a program's layout; the blocks start empty and are set by the caller.
#[derive(Clone, Debug)]
pub struct ProgramBuilder {
    name: String,
    method: Method,
    layout: Layout,
}

impl ProgramBuilder {
    pub fn new(model: &str) -> ProgramBuilder {
        ProgramBuilder {
            name: model.to_string(),
            method: Method::Euler,
            layout: Layout::default(),
        }
    }
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }
    /// Adds a state named `name`, displayed in `unit` (dimension not tracked here).
    pub fn state(mut self, name: &str, unit_text: &str) -> Self {
        self.layout.states.push(Slot {
            name: name.to_string(),
            unit: unit(unit_text),
        });
        self
    }
    pub fn param(mut self, name: &str, unit_text: &str) -> Self {
        self.layout.params.push(Slot {
            name: name.to_string(),
            unit: unit(unit_text),
        });
        self
    }
    pub fn input(mut self, name: &str, unit_text: &str) -> Self {
        self.layout.inputs.push(Slot {
            name: name.to_string(),
            unit: unit(unit_text),
        });
        self
    }
    pub fn intermediate(mut self, name: &str, unit_text: &str) -> Self {
        self.layout.intermediates.push(Slot {
            name: name.to_string(),
            unit: unit(unit_text),
        });
        self
    }
    pub fn build(self) -> StepProgram {
        StepProgram {
            model: self.name,
            method: self.method,
            layout: self.layout,
            params: Block::default(),
            input_defaults: Block::default(),
            init: Block::default(),
            step: Block::default(),
            intermediates: Block::default(),
            events: Vec::new(),
            propagator: None,
        }
    }
}

/// A block that writes the constants `values` to `target(i)` (params, input defaults or
/// initial states given as numbers).
pub fn constants_block(values: &[f64], target: fn(u32) -> Target) -> Block {
    let mut b = BlockBuilder::new();
    for (i, &v) in values.iter().enumerate() {
        let r = b.konst(v);
        b.output(target(i as u32), r);
    }
    b.finish()
}

/// The step block of `method` for the system `dyᵢ/dt = Aᵢ − Bᵢ·yᵢ`, where `ab(b, y, t)`
/// emits `(Aᵢ, Bᵢ)` for the state registers `y` at time register `t` (inputs are read by
/// the closure; they are held through the step). `None` for `exact`, whose propagator is
/// filled by the runtime from a linear system this form does not give.
///
/// - euler: `y' = y + dt·(A − B·y)`
/// - expeuler: `y' = y + dt·(A − B·y)·φ(−B·dt)`, `φ(x) = expm1(x)/x`
/// - expeuler2 (second-order Rush–Larsen, Perego & Veneziani 2009): `y* = y +
///   dt/2·(A − B·y)·φ(−B·dt/2)`, then `y' = y + dt·(A* − B*·y)·φ(−B*·dt)` with `A*, B*`
///   at `(y*, t + dt/2)`
/// - rk4: `kⱼ = f(y + cⱼ·dt·kⱼ₋₁, t + cⱼ·dt)`, `y' = y + dt/6·(k₁ + 2k₂ + 2k₃ + k₄)`
pub fn ode_step<F>(method: Method, states: usize, mut ab: F) -> Option<Block>
where
    F: FnMut(&mut BlockBuilder, &[Reg], Reg) -> Vec<(Reg, Reg)>,
{
    let mut b = BlockBuilder::new();
    let y: Vec<Reg> = (0..states as u32).map(|i| b.state(i)).collect();
    let t = b.time();
    let dt = b.dt();
    let mut derivative = |b: &mut BlockBuilder, y: &[Reg], t: Reg| -> Vec<Reg> {
        ab(b, y, t)
            .into_iter()
            .zip(y)
            .map(|((a, bb), &yi)| {
                let by = b.mul(bb, yi);
                b.sub(a, by)
            })
            .collect()
    };
    let new: Vec<Reg> = match method {
        // The propagator is the runtime's, from a linear system this builder has not.
        Method::Exact => return None,
        Method::Euler => {
            let f = derivative(&mut b, &y, t);
            y.iter()
                .zip(f)
                .map(|(&yi, fi)| {
                    let step = b.mul(dt, fi);
                    b.add(yi, step)
                })
                .collect()
        }
        Method::ExpEuler => {
            let coefficients = ab(&mut b, &y, t);
            y.iter()
                .zip(coefficients)
                .map(|(&yi, (a, bb))| {
                    let by = b.mul(bb, yi);
                    let f = b.sub(a, by);
                    let bdt = b.mul(bb, dt);
                    let minus_bdt = b.neg(bdt);
                    let weight = b.phi(minus_bdt);
                    let dtf = b.mul(dt, f);
                    let step = b.mul(dtf, weight);
                    b.add(yi, step)
                })
                .collect()
        }
        Method::Rk4 => {
            let half = b.konst(0.5);
            let half_dt = b.mul(half, dt);
            let t_half = b.add(t, half_dt);
            let t_end = b.add(t, dt);
            let advance = |b: &mut BlockBuilder, by: Reg, k: &[Reg]| -> Vec<Reg> {
                y.iter()
                    .zip(k)
                    .map(|(&yi, &ki)| {
                        let d = b.mul(by, ki);
                        b.add(yi, d)
                    })
                    .collect()
            };
            let k1 = derivative(&mut b, &y, t);
            let y2 = advance(&mut b, half_dt, &k1);
            let k2 = derivative(&mut b, &y2, t_half);
            let y3 = advance(&mut b, half_dt, &k2);
            let k3 = derivative(&mut b, &y3, t_half);
            let y4 = advance(&mut b, dt, &k3);
            let k4 = derivative(&mut b, &y4, t_end);
            let two = b.konst(2.0);
            let sixth = b.konst(1.0 / 6.0);
            let dt6 = b.mul(dt, sixth);
            (0..states)
                .map(|i| {
                    let k2x2 = b.mul(two, k2[i]);
                    let k3x2 = b.mul(two, k3[i]);
                    let s = b.add(k1[i], k2x2);
                    let s = b.add(s, k3x2);
                    let s = b.add(s, k4[i]);
                    let d = b.mul(dt6, s);
                    b.add(y[i], d)
                })
                .collect()
        }
        Method::ExpEuler2 => {
            // Half an exponential-Euler step, then the full step from y with A, B taken
            // at the midpoint (y*, t + dt/2).
            let half = b.konst(0.5);
            let half_dt = b.mul(half, dt);
            let t_half = b.add(t, half_dt);
            let exp_euler = |b: &mut BlockBuilder, y: Reg, a: Reg, bb: Reg, h: Reg| {
                let by = b.mul(bb, y);
                let f = b.sub(a, by);
                let bh = b.mul(bb, h);
                let minus_bh = b.neg(bh);
                let weight = b.phi(minus_bh);
                let hf = b.mul(h, f);
                let step = b.mul(hf, weight);
                b.add(y, step)
            };
            let start = ab(&mut b, &y, t);
            let mid: Vec<Reg> = y
                .iter()
                .zip(start)
                .map(|(&yi, (a, bb))| exp_euler(&mut b, yi, a, bb, half_dt))
                .collect();
            let at_mid = ab(&mut b, &mid, t_half);
            y.iter()
                .zip(at_mid)
                .map(|(&yi, (a, bb))| exp_euler(&mut b, yi, a, bb, dt))
                .collect()
        }
    };
    for (i, r) in new.into_iter().enumerate() {
        b.output(Target::State(i as u32), r);
    }
    Some(b.finish())
}
