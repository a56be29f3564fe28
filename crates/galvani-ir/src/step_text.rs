//! The deterministic text form of a `StepProgram` (what `galvani explain --stage step`
//! prints and what the step snapshots contain). Registers print as `%k = …`, loads name
//! the slot they read, outputs print as `state V <- %12`, and every `f64` prints as the
//! shortest text that reads back to the same bits. Never panics, even on a malformed
//! program (out-of-range indices print as `#i`), so it is usable for debugging.
//!
//! Example (one Euler step of `dV/dt = (E_L - V)/tau`):
//!
//! ```text
//! block step
//!   %0 = state V
//!   %1 = param E_L
//!   %2 = %1 - %0
//!   %3 = param tau
//!   %4 = %2 / %3
//!   %5 = dt
//!   %6 = %5 * %4
//!   %7 = %0 + %6
//!   state V <- %7
//! ```

use crate::model::EventKind;
use crate::step::{Block, EventProgram, Inst, Layout, Reg, Slot, StepProgram, Target};
use std::fmt::Write;

/// The whole program: header, layout, then every block in a fixed order.
pub fn step_to_text(program: &StepProgram) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "step_program {} method={}",
        program.model,
        program.method.name()
    );
    write_layout(&mut out, &program.layout);
    let layout = &program.layout;
    write_block(&mut out, "params", &program.params, layout, "");
    write_block(
        &mut out,
        "input_defaults",
        &program.input_defaults,
        layout,
        "",
    );
    write_block(&mut out, "init", &program.init, layout, "");
    write_block(&mut out, "step", &program.step, layout, "");
    write_block(
        &mut out,
        "intermediates",
        &program.intermediates,
        layout,
        "",
    );
    for (index, event) in program.events.iter().enumerate() {
        write_event(&mut out, index, event, layout);
    }
    out
}

/// One block alone (no layout header), for debugging and focused snapshots.
pub fn block_to_text(name: &str, block: &Block, layout: &Layout) -> String {
    let mut out = String::new();
    write_block(&mut out, name, block, layout, "");
    out
}

/// Shortest round-trip decimal form of `x`: `1`, `-65`, `0.1`, `1e-7`, `2.5e20`, `NaN`,
/// `inf`. Integral values print without `.0`.
pub fn fmt_f64(x: f64) -> String {
    // `{:?}` is Rust's shortest round-trip formatting (with an exponent for very large
    // or very small magnitudes); only the redundant `.0` of integral values is dropped.
    let text = format!("{x:?}");
    match text.strip_suffix(".0") {
        Some(stripped) => stripped.to_string(),
        None => text,
    }
}

fn write_layout(out: &mut String, layout: &Layout) {
    out.push_str("layout\n");
    let groups: [(&str, &Vec<Slot>); 4] = [
        ("state", &layout.states),
        ("param", &layout.params),
        ("input", &layout.inputs),
        ("intermediate", &layout.intermediates),
    ];
    for (kind, slots) in groups {
        for (index, slot) in slots.iter().enumerate() {
            let _ = write!(out, "  {kind} {index} {}", slot.name);
            if !slot.unit.text.is_empty() {
                let _ = write!(out, " [{}]", slot.unit.text);
            }
            if slot.unit.scale != 1.0 {
                let _ = write!(out, " scale={}", fmt_f64(slot.unit.scale));
            }
            out.push('\n');
        }
    }
}

fn write_event(out: &mut String, index: usize, event: &EventProgram, layout: &Layout) {
    // Only a silent event says its kind, as in the model's text form.
    let kind = match event.kind {
        EventKind::Spike => "",
        EventKind::Silent => " silent",
    };
    // An escape-noise event says it is level-triggered.
    let level = if event.level { " level" } else { "" };
    let _ = writeln!(out, "event {index}{kind}{level}");
    write_block(out, "condition", &event.condition, layout, "  ");
    write_block(out, "actions", &event.actions, layout, "  ");
    let held: Vec<String> = event
        .held_states
        .iter()
        .map(|&i| slot_name(&layout.states, i))
        .collect();
    let _ = writeln!(out, "  held_states [{}]", held.join(", "));
}

fn write_block(out: &mut String, name: &str, block: &Block, layout: &Layout, indent: &str) {
    let _ = writeln!(out, "{indent}block {name}");
    for (index, inst) in block.insts.iter().enumerate() {
        let _ = writeln!(out, "{indent}  %{index} = {}", inst_text(inst, layout));
    }
    for (target, reg) in &block.outputs {
        let _ = writeln!(
            out,
            "{indent}  {} <- {}",
            target_text(*target, layout),
            reg_text(*reg)
        );
    }
}

fn reg_text(reg: Reg) -> String {
    format!("%{}", reg.0)
}

fn slot_name(slots: &[Slot], index: u32) -> String {
    match slots.get(index as usize) {
        Some(slot) => slot.name.clone(),
        None => format!("#{index}"),
    }
}

/// The right-hand side of one instruction.
pub fn inst_text(inst: &Inst, layout: &Layout) -> String {
    match inst {
        Inst::Const(value) => format!("const {}", fmt_f64(*value)),
        Inst::State(i) => format!("state {}", slot_name(&layout.states, *i)),
        Inst::Param(i) => format!("param {}", slot_name(&layout.params, *i)),
        Inst::Input(i) => format!("input {}", slot_name(&layout.inputs, *i)),
        Inst::Time => "time".to_string(),
        Inst::Dt => "dt".to_string(),
        Inst::Neg(a) => format!("-{}", reg_text(*a)),
        Inst::Not(a) => format!("not {}", reg_text(*a)),
        Inst::Binary(op, a, b) => {
            format!("{} {} {}", reg_text(*a), op.symbol(), reg_text(*b))
        }
        Inst::Select(c, a, b) => format!(
            "if {} then {} else {}",
            reg_text(*c),
            reg_text(*a),
            reg_text(*b)
        ),
        Inst::Call(func, args) => {
            let args: Vec<String> = args.iter().map(|r| reg_text(*r)).collect();
            format!("{}({})", func.name(), args.join(", "))
        }
    }
}

fn target_text(target: Target, layout: &Layout) -> String {
    match target {
        Target::State(i) => format!("state {}", slot_name(&layout.states, i)),
        Target::Intermediate(i) => {
            format!("intermediate {}", slot_name(&layout.intermediates, i))
        }
        Target::Param(i) => format!("param {}", slot_name(&layout.params, i)),
        Target::Input(i) => format!("input {}", slot_name(&layout.inputs, i)),
        Target::Condition => "condition".to_string(),
        Target::Crossing => "crossing".to_string(),
        Target::Refractory => "refractory".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BinOp, Builtin, DisplayUnit};
    use crate::step::{Func, Method};
    use crate::Dim;

    fn slot(name: &str, text: &str) -> Slot {
        Slot {
            name: name.to_string(),
            unit: DisplayUnit {
                text: text.to_string(),
                dim: Dim::NONE,
                scale: 1.0,
            },
        }
    }

    #[test]
    fn floats_round_trip_shortest() {
        for x in [1.0, -65.0, 0.1, 1e-7, 2.5e20, 0.3 + 0.6, -0.0, 54.387] {
            let text = fmt_f64(x);
            assert_eq!(
                text.parse::<f64>().unwrap().to_bits(),
                x.to_bits(),
                "{text}"
            );
        }
        assert_eq!(fmt_f64(1.0), "1");
        assert_eq!(fmt_f64(0.1), "0.1");
        assert_eq!(fmt_f64(f64::NAN), "NaN");
    }

    #[test]
    fn program_text_names_slots_and_registers() {
        let layout = Layout {
            states: vec![slot("V", "mV")],
            params: vec![slot("tau", "ms")],
            inputs: vec![],
            intermediates: vec![],
        };
        let step = Block {
            insts: vec![
                Inst::State(0),
                Inst::Param(0),
                Inst::Binary(BinOp::Div, Reg(0), Reg(1)),
                Inst::Call(Func::Phi, vec![Reg(2)]),
                Inst::Call(Func::Builtin(Builtin::Exp), vec![Reg(3)]),
                Inst::Select(Reg(4), Reg(0), Reg(1)),
                Inst::State(7),
            ],
            outputs: vec![(Target::State(0), Reg(5))],
        };
        let program = StepProgram {
            model: "m".to_string(),
            method: Method::Euler,
            layout,
            params: Block::default(),
            input_defaults: Block::default(),
            init: Block::default(),
            step,
            intermediates: Block::default(),
            propagator: None,
            events: vec![EventProgram {
                kind: EventKind::Spike,
                condition: Block::default(),
                actions: Block::default(),
                held_states: vec![0],
                level: false,
            }],
        };
        let text = step_to_text(&program);
        assert!(text.starts_with("step_program m method=euler\nlayout\n  state 0 V [mV]\n"));
        assert!(text.contains("  %2 = %0 / %1\n"));
        assert!(text.contains("  %3 = phi(%2)\n"));
        assert!(text.contains("  %4 = exp(%3)\n"));
        assert!(text.contains("  %5 = if %4 then %0 else %1\n"));
        assert!(text.contains("  %6 = state #7\n"));
        assert!(text.contains("  state V <- %5\n"));
        assert!(text.contains("event 0\n  block condition\n"));
        assert!(text.contains("  held_states [V]\n"));
        assert_eq!(text, step_to_text(&program));
    }
}
