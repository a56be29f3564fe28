//! The JIT against the reference interpreter: every hand-built program, every method the
//! hand discretiser has, a population with per-neuron params and inputs, 1,000 steps; and
//! one program that uses every instruction and function, on awkward values (NaN, ±∞, ±0).
//! The reference kernel must agree with the interpreter to 1e-12 relative; the blocked
//! kernel (vector maths within 2 ulp per call) to the tolerance derived at `BLOCKED_TOL`.

use galvani_codegen::builder::{BlockBuilder, ProgramBuilder};
use galvani_codegen::{examples, Interpreter, JitKernel, JitOptions};
use galvani_ir::model::{BinOp, Builtin};
use galvani_ir::step::{EventProgram, Func, Inst, Method, StepProgram, Target};
use galvani_kernel::{EventArray, Kernel, Population};

/// The blocked kernel against the interpreter: each vector call is within 2 ulp
/// (2·2⁻⁵² ≈ 4.4e-16 relative) of the scalar function; HH rk4, the largest program here,
/// makes 24 such calls a step, so one step moves a value by ≤ 24 · 4.4e-16 ≈ 1.1e-14
/// relative, and 1,000 steps add ≤ 1.1e-11 when errors add without growth. The dynamics
/// amplify a perturbation near threshold; 100× margin: 1e-9, relative to max(|a|, |b|, 1)
/// (values crossing zero, such as currents, are compared on the scale of 1).
const BLOCKED_TOL: f64 = 1e-9;

/// True when `a` and `b` agree to `tol` relative (or both are NaN, or are equal).
fn agree(a: f64, b: f64, tol: f64, floor: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan()) || (a - b).abs() <= tol * a.abs().max(b.abs()).max(floor)
}

fn assert_same(jit: &Population, interp: &Population, what: &str, tol: f64, floor: f64) {
    let shape = jit.shape();
    let compare = |name: String, x: &[f64], y: &[f64]| {
        for (i, (a, b)) in x.iter().zip(y).enumerate() {
            assert!(
                agree(*a, *b, tol, floor),
                "{what}: {name}[{i}] jit {a} vs interpreter {b}"
            );
        }
    };
    for s in 0..shape.states {
        compare(format!("state {s}"), jit.state(s), interp.state(s));
    }
    for p in 0..shape.params {
        compare(format!("param {p}"), jit.param(p), interp.param(p));
    }
    for i in 0..shape.inputs {
        compare(format!("input {i}"), jit.input(i), interp.input(i));
    }
    for m in 0..shape.intermediates {
        compare(
            format!("intermediate {m}"),
            jit.intermediate(m),
            interp.intermediate(m),
        );
    }
    for e in 0..shape.events {
        for array in [
            EventArray::Condition,
            EventArray::Crossing,
            EventArray::Refractory,
        ] {
            compare(
                format!("event {e} {array:?}"),
                jit.event(e, array),
                interp.event(e, array),
            );
        }
    }
}

/// Runs `program` through both back ends for `steps` steps and compares everything after
/// every block call. Neuron `i` gets its params scaled by `1 + 0.01·i` (param 0 overridden)
/// and input `I·(1 + i)` with `I = input`.
fn differential(
    program: &StepProgram,
    options: JitOptions,
    (n, steps, input, dt): (usize, usize, f64, f64),
    (tol, floor): (f64, f64),
) {
    let jit = JitKernel::compile_with(program, options, None).expect("compiles");
    let interp = Interpreter::new(program).expect("valid");
    let mut pops = [Population::new(program, n), Population::new(program, n)];
    let shape = pops[0].shape();
    let mut overridden = vec![false; shape.params];
    if let Some(first) = overridden.first_mut() {
        *first = true;
    }
    let no_state_override = vec![false; shape.states];
    for (k, kernel) in [&jit as &dyn Kernel, &interp].into_iter().enumerate() {
        let pop = &mut pops[k];
        // Overridden param 0: the declared value is computed into a scratch run first.
        kernel.eval_params(pop, &vec![false; shape.params]).unwrap();
        if shape.params > 0 {
            for (i, x) in pop.param_mut(0).iter_mut().enumerate() {
                *x *= 1.0 + 0.01 * i as f64;
            }
        }
        kernel.eval_params(pop, &overridden).unwrap();
        kernel.eval_input_defaults(pop).unwrap();
        kernel.eval_init(pop, &no_state_override).unwrap();
    }
    assert_same(&pops[0], &pops[1], "setup", tol, floor);
    for step in 0..steps {
        let t = step as f64 * dt;
        for (k, kernel) in [&jit as &dyn Kernel, &interp].into_iter().enumerate() {
            let pop = &mut pops[k];
            for j in 0..shape.inputs {
                for (i, x) in pop.input_mut(j).iter_mut().enumerate() {
                    *x = input * (1.0 + i as f64) * if t > 5.0 { 1.0 } else { 0.5 };
                }
            }
            kernel.step(pop, t, dt).unwrap();
            kernel.eval_intermediates(pop, t + dt, dt).unwrap();
            for e in 0..shape.events {
                kernel.eval_condition(e, pop, t + dt, dt).unwrap();
                let fired: Vec<u32> = (0..n as u32)
                    .filter(|&i| pop.event(e, EventArray::Condition)[i as usize] != 0.0)
                    .collect();
                kernel.apply_actions(e, pop, &fired, t + dt, dt).unwrap();
            }
        }
        assert_same(
            &pops[0],
            &pops[1],
            &format!("{} {:?} step {step}", program.model, options.kernel),
            tol,
            floor,
        );
    }
}

#[test]
fn hand_built_models_agree_over_1000_steps() {
    for method in Method::GENERAL {
        for (options, tolerance) in [
            (JitOptions::reference(), (1e-12, 0.0)),
            (JitOptions::default(), (BLOCKED_TOL, 1.0)),
        ] {
            let passive = examples::passive(method).unwrap();
            differential(&passive, options, (5, 1000, 1.0, 0.1), tolerance);
            let lif = examples::lif(method).unwrap();
            differential(&lif, options, (5, 1000, 2.0, 0.1), tolerance);
            // 70 neurons: one whole block and a part of the next.
            let hh = examples::hh(method).unwrap();
            differential(&hh, options, (70, 1000, 8.0, 0.025), tolerance);
        }
    }
}

/// A program that uses every instruction, operator and function.
fn kitchen_sink() -> StepProgram {
    let mut p = ProgramBuilder::new("sink")
        .param("k", "")
        .input("u", "")
        .state("x", "")
        .state("y", "")
        .intermediate("z", "")
        .build();
    let mut b = BlockBuilder::new();
    let x = b.state(0);
    let y = b.state(1);
    let k = b.param(0);
    let u = b.input(0);
    let t = b.time();
    let dt = b.dt();
    let mut acc = b.konst(0.0);
    let mut values = vec![x, y, k, u, t, dt];
    for builtin in Builtin::ALL {
        let args: Vec<_> = if builtin.arity() == 2 {
            vec![x, y]
        } else {
            vec![x]
        };
        values.push(b.call(builtin, &args));
    }
    values.push(b.push(Inst::Call(Func::Phi, vec![x])));
    for op in [
        BinOp::Add,
        BinOp::Sub,
        BinOp::Mul,
        BinOp::Div,
        BinOp::Pow,
        BinOp::Lt,
        BinOp::Le,
        BinOp::Gt,
        BinOp::Ge,
        BinOp::Eq,
        BinOp::Ne,
        BinOp::And,
        BinOp::Or,
    ] {
        values.push(b.bin(op, x, y));
    }
    for power in [2.0, 3.0, 4.0, 0.5] {
        let c = b.konst(power);
        values.push(b.bin(BinOp::Pow, y, c));
        values.push(b.call(Builtin::Pow, &[x, c]));
    }
    let not = b.not(x);
    values.push(not);
    let neg = b.neg(y);
    values.push(neg);
    let sel = b.select(x, y, k);
    values.push(sel);
    // Fold into one value with distinct weights so every term matters.
    for (i, v) in values.iter().enumerate() {
        let w = b.konst(1.0 + i as f64 * 1e-3);
        let term = b.mul(w, *v);
        acc = b.add(acc, term);
    }
    b.output(Target::Intermediate(0), acc);
    p.intermediates = b.finish();
    p
}

/// Two identical populations of `program` holding every pair of awkward values (zeros of
/// both signs, ±1, tiny, huge, ±∞, NaN) as states 0 and 1 (and input 0 = the second),
/// param 0 = 0.25: one for each back end.
fn awkward_pairs(program: &StepProgram) -> (usize, [Population; 2]) {
    let values = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        -2.5,
        3.0,
        1e-7,
        -1e-7,
        700.0,
        -700.0,
        1e300,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
    ];
    let n = values.len() * values.len();
    let mut pops = [Population::new(program, n), Population::new(program, n)];
    for pop in &mut pops {
        for (i, &a) in values.iter().enumerate() {
            for (j, &b) in values.iter().enumerate() {
                pop.state_mut(0)[i * values.len() + j] = a;
                pop.state_mut(1)[i * values.len() + j] = b;
                pop.param_mut(0)[i * values.len() + j] = 0.25;
                pop.input_mut(0)[i * values.len() + j] = b;
            }
        }
    }
    (n, pops)
}

#[test]
fn every_instruction_agrees_on_awkward_values() {
    let program = kitchen_sink();
    let jit = JitKernel::compile_with(&program, JitOptions::reference(), None).unwrap();
    let interp = Interpreter::new(&program).unwrap();
    let (n, mut pops) = awkward_pairs(&program);
    jit.eval_intermediates(&mut pops[0], 1.5, 0.1).unwrap();
    interp.eval_intermediates(&mut pops[1], 1.5, 0.1).unwrap();
    for i in 0..n {
        let (a, b) = (pops[0].intermediate(0)[i], pops[1].intermediate(0)[i]);
        assert!(
            a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
            "neuron {i}: jit {a} vs interpreter {b}"
        );
    }
}

/// The kitchen sink as a step block, blocked (f64x2 lanes, vector calls, the scalar calls
/// per lane): every instruction on the awkward values gives the interpreter's bits, or NaN
/// where it gives NaN, or a value within 2 ulp per vector call on the way (1e-13 relative).
#[test]
fn blocked_step_agrees_on_awkward_values() {
    let mut program = kitchen_sink();
    let mut step = program.intermediates.clone();
    for (target, _) in &mut step.outputs {
        *target = Target::State(0);
    }
    program.step = step;
    let jit = JitKernel::compile(&program).unwrap();
    let interp = Interpreter::new(&program).unwrap();
    let (n, mut pops) = awkward_pairs(&program);
    jit.step(&mut pops[0], 1.5, 0.1).unwrap();
    interp.step(&mut pops[1], 1.5, 0.1).unwrap();
    for i in 0..n {
        let (a, b) = (pops[0].state(0)[i], pops[1].state(0)[i]);
        assert!(
            agree(a, b, 1e-13, 0.0),
            "neuron {i}: blocked {a} vs interpreter {b}"
        );
    }
}

#[test]
fn each_comparison_and_logic_gives_one_or_zero() {
    let cases = [
        (BinOp::Lt, 1.0, 2.0, 1.0),
        (BinOp::Lt, 2.0, 1.0, 0.0),
        (BinOp::Le, 2.0, 2.0, 1.0),
        (BinOp::Gt, f64::NAN, 1.0, 0.0),
        (BinOp::Ge, 2.0, 2.0, 1.0),
        (BinOp::Eq, 0.0, -0.0, 1.0),
        (BinOp::Ne, f64::NAN, f64::NAN, 1.0),
        (BinOp::And, 1.0, 0.0, 0.0),
        (BinOp::And, 2.0, -1.0, 1.0),
        (BinOp::Or, 0.0, 0.0, 0.0),
        (BinOp::Or, 0.0, 3.0, 1.0),
    ];
    for (op, a, c, expected) in cases {
        let mut p = ProgramBuilder::new("cmp")
            .state("a", "")
            .state("b", "")
            .intermediate("r", "")
            .build();
        let mut b = BlockBuilder::new();
        let (x, y) = (b.state(0), b.state(1));
        let r = b.bin(op, x, y);
        b.output(Target::Intermediate(0), r);
        p.intermediates = b.finish();
        for kernel in [
            Box::new(JitKernel::compile(&p).unwrap()) as Box<dyn Kernel>,
            Box::new(Interpreter::new(&p).unwrap()),
        ] {
            let mut pop = Population::new(&p, 1);
            pop.state_mut(0)[0] = a;
            pop.state_mut(1)[0] = c;
            kernel.eval_intermediates(&mut pop, 0.0, 0.1).unwrap();
            assert_eq!(pop.intermediate(0)[0], expected, "{op:?} {a} {c}");
        }
    }
}

#[test]
fn actions_touch_only_listed_neurons() {
    let p = examples::lif(Method::Euler).unwrap();
    for kernel in [
        Box::new(JitKernel::compile(&p).unwrap()) as Box<dyn Kernel>,
        Box::new(Interpreter::new(&p).unwrap()),
    ] {
        let mut pop = Population::new(&p, 4);
        kernel.eval_params(&mut pop, &[false; 6]).unwrap();
        pop.state_mut(0).copy_from_slice(&[1.0, 2.0, 3.0, 4.0]);
        kernel
            .apply_actions(0, &mut pop, &[3, 1], 0.0, 0.1)
            .unwrap();
        assert_eq!(pop.state(0), &[1.0, -65.0, 3.0, -65.0]);
        assert_eq!(pop.event(0, EventArray::Refractory), &[0.0, 2.0, 0.0, 2.0]);
    }
}

/// The indexed condition block writes the listed neurons' condition and crossing, the
/// same values the dense block writes, and leaves every other neuron's as it was.
#[test]
fn condition_at_touches_only_listed_neurons() {
    let p = examples::lif(Method::Euler).unwrap();
    for kernel in [
        Box::new(JitKernel::compile(&p).unwrap()) as Box<dyn Kernel>,
        Box::new(Interpreter::new(&p).unwrap()),
    ] {
        let mut pop = Population::new(&p, 5);
        kernel.eval_params(&mut pop, &[false; 6]).unwrap();
        pop.state_mut(0)
            .copy_from_slice(&[-70.0, -40.0, -60.0, -45.0, -30.0]);
        let mut dense = pop.clone();
        kernel.eval_condition(0, &mut dense, 0.0, 0.1).unwrap();
        pop.event_mut(0, EventArray::Condition).fill(7.0);
        pop.event_mut(0, EventArray::Crossing).fill(7.0);
        kernel
            .eval_condition_at(0, &mut pop, &[3, 1], 0.0, 0.1)
            .unwrap();
        for array in [EventArray::Condition, EventArray::Crossing] {
            let (listed, all) = (pop.event(0, array), dense.event(0, array));
            for i in 0..5 {
                let expected = if i == 1 || i == 3 { all[i] } else { 7.0 };
                assert_eq!(listed[i], expected, "{array:?} of neuron {i}");
            }
        }
        assert_eq!(pop.event(0, EventArray::Condition)[1], 1.0);
        assert!(kernel
            .eval_condition_at(0, &mut pop, &[5], 0.0, 0.1)
            .is_err());
    }
}

/// The step writes the condition and crossing of an event whose condition reads only
/// states, params and constants: the same bits as the condition block run after the step,
/// in both kernels and both JIT lowerings. A condition that reads the time or an input
/// (whose values at `t_{k+1}` the step does not have) is left to its own block.
#[test]
fn step_writes_the_conditions_that_follow_it() {
    use galvani_codegen::KernelMode;
    let p = examples::hh(Method::ExpEuler).unwrap();
    let kernels: Vec<Box<dyn Kernel>> = vec![
        Box::new(Interpreter::new(&p).unwrap()),
        Box::new(
            JitKernel::compile_with(
                &p,
                JitOptions {
                    kernel: KernelMode::Reference,
                    ..JitOptions::default()
                },
                None,
            )
            .unwrap(),
        ),
        Box::new(JitKernel::compile(&p).unwrap()),
    ];
    for kernel in &kernels {
        assert!(kernel.step_writes_condition(0));
        let mut pop = Population::new(&p, 70);
        kernel.eval_declared(&mut pop).unwrap();
        for (i, v) in pop.state_mut(0).iter_mut().enumerate() {
            *v = -80.0 + 2.0 * i as f64;
        }
        pop.fill_padding();
        kernel.step(&mut pop, 0.0, 0.025).unwrap();
        let fused = pop.clone();
        kernel.eval_condition(0, &mut pop, 0.025, 0.025).unwrap();
        for array in [EventArray::Condition, EventArray::Crossing] {
            let (a, b) = (&fused.event(0, array)[..70], &pop.event(0, array)[..70]);
            assert!(
                a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()),
                "{array:?}: {a:?} against {b:?}"
            );
        }
        assert!(fused.event(0, EventArray::Condition)[..70].contains(&1.0));
        assert!(fused.event(0, EventArray::Condition)[..70].contains(&0.0));
    }
    // `t > 5`: the time at the step's end is the runtime's, not the step's.
    let mut timed = examples::lif(Method::Euler).unwrap();
    let mut c = BlockBuilder::new();
    let (t, five) = (c.time(), c.konst(5.0));
    let cond = c.bin(BinOp::Gt, t, five);
    c.output(Target::Condition, cond);
    timed.events[0].condition = c.finish();
    // `V > I_e`: an input.
    let mut input = examples::lif(Method::Euler).unwrap();
    let mut c = BlockBuilder::new();
    let (v, i) = (c.state(0), c.input(0));
    let cond = c.bin(BinOp::Gt, v, i);
    c.output(Target::Condition, cond);
    input.events[0].condition = c.finish();
    for program in [timed, input] {
        assert!(!JitKernel::compile(&program)
            .unwrap()
            .step_writes_condition(0));
        assert!(!Interpreter::new(&program).unwrap().step_writes_condition(0));
    }
}

#[test]
fn simultaneous_update_reads_old_values() {
    // x' = y, y' = x: a swap, only right if every new value comes from the old state.
    let mut p = ProgramBuilder::new("swap")
        .state("x", "")
        .state("y", "")
        .build();
    let mut b = BlockBuilder::new();
    let (x, y) = (b.state(0), b.state(1));
    b.output(Target::State(0), y);
    b.output(Target::State(1), x);
    p.step = b.finish();
    for kernel in [
        Box::new(JitKernel::compile(&p).unwrap()) as Box<dyn Kernel>,
        Box::new(Interpreter::new(&p).unwrap()),
    ] {
        let mut pop = Population::new(&p, 2);
        pop.state_mut(0).copy_from_slice(&[1.0, 10.0]);
        pop.state_mut(1).copy_from_slice(&[2.0, 20.0]);
        kernel.step(&mut pop, 0.0, 0.1).unwrap();
        assert_eq!(pop.state(0), &[2.0, 20.0]);
        assert_eq!(pop.state(1), &[1.0, 10.0]);
    }
}

#[test]
fn event_program_without_crossing_leaves_crossing_untouched() {
    let mut p = examples::lif(Method::Euler).unwrap();
    let mut c = BlockBuilder::new();
    let v = c.state(0);
    let th = c.param(3);
    let cond = c.bin(BinOp::Gt, v, th);
    c.output(Target::Condition, cond);
    p.events = vec![EventProgram {
        kind: galvani_ir::EventKind::Spike,
        condition: c.finish(),
        actions: Default::default(),
        held_states: vec![],
        level: false,
    }];
    let jit = JitKernel::compile(&p).unwrap();
    let mut pop = Population::new(&p, 1);
    pop.event_mut(0, EventArray::Crossing)[0] = 7.0;
    jit.eval_params(&mut pop, &[false; 6]).unwrap();
    pop.state_mut(0)[0] = -70.0;
    jit.eval_condition(0, &mut pop, 0.0, 0.1).unwrap();
    assert_eq!(pop.event(0, EventArray::Crossing)[0], 7.0);
    assert_eq!(pop.event(0, EventArray::Condition)[0], 0.0);
}

/// The blocked step computes the padding lane that shares a lane pair with the last
/// neuron: left at 0.0, LIF's `(E_L − V + R·I)/τ` is 0/0 there; filled with neuron 0's
/// values (`Population::fill_padding`, as the runtime does) every lane stays finite, and
/// the neurons get the reference kernel's values (to 1e-12: φ is vector maths in one, libm
/// in the other).
#[test]
fn padding_lanes_stay_finite_once_filled() {
    let p = examples::lif(Method::ExpEuler2).unwrap();
    let blocked = JitKernel::compile(&p).unwrap();
    let reference = JitKernel::compile_with(&p, JitOptions::reference(), None).unwrap();
    let setup = |kernel: &JitKernel, fill: bool| {
        let mut pop = Population::new(&p, 3);
        kernel.eval_params(&mut pop, &[false; 6]).unwrap();
        kernel.eval_input_defaults(&mut pop).unwrap();
        kernel.eval_init(&mut pop, &[false]).unwrap();
        pop.input_mut(0).copy_from_slice(&[1.0, 1.5, 2.0]);
        if fill {
            pop.fill_padding();
        }
        for k in 0..100 {
            kernel.step(&mut pop, k as f64 * 0.1, 0.1).unwrap();
        }
        pop
    };
    let mut unfilled = setup(&blocked, false);
    assert!(unfilled.raw_mut()[..64].iter().any(|v| v.is_nan()));
    let mut filled = setup(&blocked, true);
    assert!(filled.raw_mut().iter().all(|v| v.is_finite()));
    let expected = setup(&reference, true);
    for pop in [&filled, &unfilled] {
        for (a, b) in pop.state(0).iter().zip(expected.state(0)) {
            assert!(agree(*a, *b, 1e-12, 0.0), "blocked {a} vs reference {b}");
        }
    }
}
