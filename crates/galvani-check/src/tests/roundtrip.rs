//! `expr_to_string` prints expressions that re-parse to the same values: a checked model
//! is printed back into model source (gates become plain states with their expanded
//! equations), checked again, and every value — params, input defaults, initial state,
//! intermediates and derivatives — must agree bit for bit.

use super::*;
use galvani_ir::text::expr_to_string;
use galvani_ir::AssignOp;

/// The checked model as source text in the language.
pub fn ir_to_source(m: &Model) -> String {
    let mut s = format!("model {}\n", m.name);
    let e = |id| expr_to_string(m, id);
    for p in &m.params {
        s.push_str(&format!("param {} = {}\n", p.name, e(p.value)));
    }
    for i in &m.inputs {
        s.push_str(&format!("input {} = {}\n", i.name, e(i.default)));
    }
    for st in &m.states {
        s.push_str(&format!("state {} = {}\n", st.name, e(st.init)));
        s.push_str(&format!("d{}/dt = {}\n", st.name, e(st.derivative)));
    }
    for x in &m.intermediates {
        s.push_str(&format!("{} = {}\n", x.name, e(x.value)));
    }
    for ev in &m.events {
        s.push_str(&format!("on {} {{\n", e(ev.condition)));
        for a in &ev.actions {
            let op = match a.op {
                AssignOp::Set => "=",
                AssignOp::Add => "+=",
                AssignOp::Sub => "-=",
            };
            let target = &m.states[a.state.index()].name;
            s.push_str(&format!("    {target} {op} {}\n", e(a.value)));
        }
        if let Some(r) = ev.refractory {
            s.push_str(&format!("    refractory {}\n", e(r)));
        }
        s.push_str("}\n");
    }
    s
}

fn same(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
}

/// Prints `m`, checks the text, and compares every value. Panics with both texts on a
/// difference.
pub fn assert_round_trip(m: &Model) {
    let src = ir_to_source(m);
    let ast = match galvani_syntax::parse(&src, FileId(0)) {
        Ok(ast) => ast,
        Err(e) => panic!(
            "printed model does not parse: {:?}\n{src}",
            e.to_diagnostic()
        ),
    };
    let again = match check(&ast) {
        Ok(c) => c.model,
        Err(e) => panic!(
            "printed model does not check: {:#?}\n{src}",
            e.to_diagnostics()
        ),
    };
    // A unit used only where the IR keeps nothing (an unused function) makes the
    // original dimensioned and the printed model dimensionless; otherwise they agree.
    if m.exprs.nodes.iter().any(|n| !n.dim.is_none()) {
        assert_eq!(again.dimensionless, m.dimensionless, "{src}");
    }
    let (p1, p2) = (m.param_values(), again.param_values());
    assert!(same(&p1, &p2), "params {p1:?} vs {p2:?}\n{src}");
    let (i1, i2) = (m.input_defaults(&p1), again.input_defaults(&p2));
    assert!(same(&i1, &i2), "inputs {i1:?} vs {i2:?}\n{src}");
    let (y1, y2) = (m.initial_state(&p1, &i1), again.initial_state(&p2, &i2));
    assert!(same(&y1, &y2), "initial state {y1:?} vs {y2:?}\n{src}");
    // Intermediates may be reordered by the second check only if the first order was
    // not the stable one; compare by name.
    let y: Vec<f64> = y1
        .iter()
        .map(|v| if v.is_finite() { v * 1.01 + 0.1 } else { 0.3 })
        .collect();
    let (x1, x2) = (
        m.intermediate_values(&p1, &i1, &y, 1.5),
        again.intermediate_values(&p2, &i2, &y, 1.5),
    );
    for (k, inter) in m.intermediates.iter().enumerate() {
        let j = again
            .find_intermediate(&inter.name)
            .expect("same names")
            .index();
        assert!(
            same(&[x1[k]], &[x2[j]]),
            "{}: {} vs {}\n{src}",
            inter.name,
            x1[k],
            x2[j]
        );
    }
    let (d1, d2) = (
        m.derivatives(&p1, &i1, &y, 1.5),
        again.derivatives(&p2, &i2, &y, 1.5),
    );
    assert!(same(&d1, &d2), "derivatives {d1:?} vs {d2:?}\n{src}");
    for (e1, e2) in m.events.iter().zip(&again.events) {
        let v1 = galvani_ir::eval::Values {
            params: &p1,
            inputs: &i1,
            states: &y,
            intermediates: &x1,
            t: 1.5,
        };
        let v2 = galvani_ir::eval::Values {
            params: &p2,
            inputs: &i2,
            states: &y,
            intermediates: &x2,
            t: 1.5,
        };
        let c1 = galvani_ir::eval::eval(m, e1.condition, &v1);
        let c2 = galvani_ir::eval::eval(&again, e2.condition, &v2);
        assert!(same(&[c1], &[c2]), "condition\n{src}");
    }
}

/// The spec's two models and every file of `models/`.
#[test]
fn shipped_and_spec_models_round_trip() {
    for src in [models::HH, models::LIF] {
        assert_round_trip(&ok(src));
    }
    for (stem, src) in super::library_sources() {
        let model = ok(&src);
        assert_eq!(model.name, stem);
        assert_round_trip(&model);
    }
}

#[test]
fn awkward_expressions_round_trip() {
    let m = ok(&model(
        "param ms = 3\nparam a = 2 mV\nparam k = 0.1/(mV*s)\nparam A = 20000 um^2\n\
         param r = A^(1/3)\nparam q = -(-a)\nparam big = 1e300 mV\nparam tiny = 1e-300 ms\n\
         state x = -a^2 / a\ndx/dt = (a - x) / (1 s) * (if x > a or not (x < -a) then 1 else 2)^-2\n\
         y = -x^2 / (1 mV) / (1 mV) - (x - (a - x)) * k * 1 ms + ms * exprel(x / a) + min(x, -a) / a\n\
         on x > 2 mV and x != a {\n    x -= -1 mV\n    refractory 2 * (1 s)\n}",
    ));
    assert_round_trip(&m);
}
