//! The teaching view (`galvani explain FILE`) in four formats, and the deterministic text
//! of the linear stage (`--stage linear`).
//!
//! For each state: the equation as written, its class (and why), `A` and `B`, the steady
//! state and time constant, gates written with their named rates (`A = α_m`,
//! `B = α_m + β_m`, rates defined below), the update rule the method executes; then the
//! rewrites applied. JSON follows `docs/cli.md` (`--format json`): `{"model", "states": [{"name", "class",
//! "reason", "A", "B", "steady_state", "tau"}], "method", "rewrites"}`, expressions in the
//! language's own syntax (full forms, no named rates).

use crate::events::EventText;
use crate::exact::ExactSystem;
use crate::print::{gate_field_name, latex_name, latex_subscript, Printer, Style};
use crate::rewrite::RewriteText;
use galvani_ir::step::Method;
use galvani_symbolic::{Class, GateField, GateKind, Linearized, NodeId, StateForm};
use serde_json::{json, Value};
use std::fmt::Write;

/// An output format of `explain`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
    Latex,
    Json,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Text, Format::Markdown, Format::Latex, Format::Json];

    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Markdown => "markdown",
            Format::Latex => "latex",
            Format::Json => "json",
        }
    }

    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// The teaching view of a linearized model for one method; places in the model file are
/// byte ranges.
pub fn explain(lin: &Linearized, method: Method, format: Format) -> String {
    explain_in(lin, method, format, None)
}

/// The teaching view, with places in the model file given as line and column of `source`
/// (the file's text) when it is known.
pub fn explain_in(
    lin: &Linearized,
    method: Method,
    format: Format,
    source: Option<&str>,
) -> String {
    match format {
        Format::Text => human(lin, method, false, source),
        Format::Markdown => human(lin, method, true, source),
        Format::Latex => latex(lin, method, source),
        Format::Json => json_view(lin, method, source),
    }
}

/// A heading and its labelled rows: a Markdown list (a row without a label continues the
/// one before), or text with the labels in a column of `width`.
fn write_section(
    out: &mut String,
    heading: &str,
    rows: Vec<(String, String)>,
    markdown: bool,
    width: usize,
) {
    let _ = writeln!(out, "{heading}");
    for (label, text) in rows {
        let _ = match (markdown, label.is_empty()) {
            (true, true) => writeln!(out, "  {text}  "),
            (true, false) => writeln!(out, "- **{label}:** {text}  "),
            (false, _) => writeln!(out, "  {label:<width$}{text}"),
        };
    }
    out.push('\n');
}

/// Under `exact`: the linear system and its propagator, shown after the states.
fn exact_system(lin: &Linearized, method: Method, style: Style) -> Option<ExactSystem> {
    match method {
        Method::Exact => ExactSystem::of(lin, style),
        _ => None,
    }
}

/// One line describing a method.
pub fn method_summary(method: Method) -> &'static str {
    match method {
        Method::Euler => "forward Euler, first order",
        Method::Rk4 => "classical Runge–Kutta, fourth order",
        Method::ExpEuler => {
            "exponential Euler, first order; exact for linear equations with A, B frozen over the step; nonlinear equations get exponential Rosenbrock–Euler"
        }
        Method::ExpEuler2 => {
            "second-order Rush–Larsen (Perego & Veneziani 2009): an exponential half step gives the midpoint, A and B there drive the full exponential step (an equation nonlinear in its own state is linearised at its old value, the other states at the midpoint)"
        }
        Method::Exact => {
            "exact for linear equations with constant coefficients, dy/dt = M·y + c: y' = E·y + F·c with the propagator E = e^(M·dt), F = ∫₀^dt e^(M·s) ds, computed once per run (inputs held over the step)"
        }
    }
}

/// The update rule one state gets under `method`, in Unicode text.
pub fn update_rule(method: Method, y: &str, linear: bool, rate_is_zero: bool) -> String {
    match (method, linear) {
        (Method::Euler, _) => format!("{y}' = {y} + dt·f(t, {y})"),
        (Method::Rk4, _) => format!(
            "{y}' = {y} + dt/6·(k₁ + 2·k₂ + 2·k₃ + k₄), k₁ = f(t, {y}), k₂ = f(t + dt/2, {y} + dt/2·k₁), k₃ = f(t + dt/2, {y} + dt/2·k₂), k₄ = f(t + dt, {y} + dt·k₃)"
        ),
        (Method::ExpEuler, true) if rate_is_zero => {
            format!("{y}' = {y} + dt·A   (B ≡ 0: φ(0) = 1, the exact integral)")
        }
        (Method::ExpEuler, true) => format!(
            "{y}' = {y} + dt·(A − B·{y})·φ(−B·dt), φ(x) = expm1(x)/x   (exact for A, B frozen over the step)"
        ),
        (Method::ExpEuler, false) => format!(
            "{y}' = {y} + dt·f({y})·φ(−B({y})·dt), B({y}) = −∂f/∂{y} at the current state   (exponential Rosenbrock–Euler)"
        ),
        (Method::ExpEuler2, true) => format!(
            "{y}½ = {y} + dt/2·(A − B·{y})·φ(−B·dt/2); A*, B* = A, B at (t + dt/2, {y}½); {y}' = {y} + dt·(A* − B*·{y})·φ(−B*·dt)"
        ),
        (Method::ExpEuler2, false) => format!(
            "{y}½ = {y} + dt/2·f({y})·φ(−B({y})·dt/2) (every state); f*, B* = f, B at t + dt/2 with the other states at their midpoint and {y} at its old value; {y}' = {y} + dt·f*·φ(−B*·dt)   (second order, exponential Rosenbrock in {y})"
        ),
        (Method::Exact, _) => format!(
            "{y}' = Σⱼ E[{y},j]·yⱼ + Σⱼ F[{y},j]·cⱼ, E = e^(M·dt), F = ∫₀^dt e^(M·s) ds, M = ∂f/∂y, c = f at y = 0   (exact)"
        ),
    }
}

fn class_text(form: &StateForm) -> String {
    match &form.class {
        Class::Linear => format!(
            "linear in {} (B = −∂f/∂{} does not depend on {})",
            form.name, form.name, form.name
        ),
        Class::Nonlinear { reason, .. } => format!("nonlinear: {reason}"),
    }
}

fn unit_suffix(lin: &Linearized, form: &StateForm) -> String {
    let unit = &lin.model().states[form.state.index()].unit.text;
    if unit.is_empty() {
        String::new()
    } else {
        format!(" [{unit}]")
    }
}

/// The forms shown for one state: `(f, A, B, steady state, τ)` and the named fields
/// defined below, in the named (gate) form when there is one.
struct Shown {
    f: Option<NodeId>,
    a: NodeId,
    b: NodeId,
    steady_state: Option<NodeId>,
    tau: Option<NodeId>,
    /// `(field, definition)` for named gate fields.
    defined: Vec<(GateField, NodeId)>,
}

fn shown(form: &StateForm) -> Shown {
    if let Some(gate) = &form.gate {
        if let Some(named) = &gate.named {
            return Shown {
                f: Some(named.f),
                a: named.a,
                b: named.b,
                steady_state: Some(named.steady_state),
                tau: Some(named.tau),
                defined: gate.fields.clone(),
            };
        }
    }
    Shown {
        f: None,
        a: form.a,
        b: form.b,
        steady_state: form.steady_state,
        tau: form.tau,
        defined: Vec::new(),
    }
}

/// Names of the steady state and time constant: `m∞`, `τ_m` for gates, `V∞`, `τ` else.
fn steady_names(form: &StateForm, style: Style) -> (String, String) {
    if form.gate.is_some() {
        (
            gate_field_name(&form.name, GateField::Inf, style),
            gate_field_name(&form.name, GateField::Tau, style),
        )
    } else {
        match style {
            Style::Latex => (
                latex_subscript(&latex_name(&form.name), "\\infty"),
                "\\tau".to_string(),
            ),
            Style::Unicode => (format!("{}∞", form.name), "τ".to_string()),
            Style::Lang => ("steady_state".to_string(), "tau".to_string()),
        }
    }
}

/// The equation (or a gate's fields) as the file writes it: the source text at each
/// expression's span when the source is known, else the IR's text form (which writes
/// constants in internal units, `0.02/(mV*ms)` for a written `0.02/(ms*mV)`).
fn as_written(lin: &Linearized, form: &StateForm, source: Option<&str>) -> Vec<String> {
    let model = lin.model();
    let state = &model.states[form.state.index()];
    let text = |id| {
        let span = model.exprs.span(id);
        source
            .and_then(|text| text.get(span.start as usize..span.end as usize))
            .filter(|written| !written.is_empty() && !written.contains('\n'))
            .map(str::to_string)
            .unwrap_or_else(|| galvani_ir::text::expr_to_string(model, id))
    };
    match &state.gate {
        Some(galvani_ir::GateForm::AlphaBeta { alpha, beta }) => vec![
            format!("alpha = {}", text(*alpha)),
            format!("beta = {}", text(*beta)),
        ],
        Some(galvani_ir::GateForm::InfTau { inf, tau }) => vec![
            format!("inf = {}", text(*inf)),
            format!("tau = {}", text(*tau)),
        ],
        // A noisy equation as the file writes it: the whole `dX/dt = …` line (the
        // deterministic part alone is `form.written`).
        None if !state.noise.is_empty() => {
            let line = source
                .and_then(|t| t.get(state.ode_span.start as usize..state.ode_span.end as usize))
                .map(str::trim_end)
                .filter(|w| !w.is_empty() && !w.contains('\n'));
            vec![match line {
                Some(line) => line.to_string(),
                None => format!("d{}/dt = {} + noise", form.name, text(form.written)),
            }]
        }
        None => vec![format!("d{}/dt = {}", form.name, text(form.written))],
    }
}

/// `line L, column C` of a byte offset (both from 1; columns count characters).
fn line_and_column(source: &str, offset: u32) -> String {
    let offset = (offset as usize).min(source.len());
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    format!("line {line}, column {column}")
}

/// What sharing common subexpressions saved, in words that fit the count.
fn cse_line(lin: &Linearized) -> String {
    let c = lin.cse;
    let sizes = format!("{} nodes as trees, {} distinct", c.tree_nodes, c.dag_nodes);
    match c.shared {
        0 => format!("common subexpressions: none shared across all A and B ({sizes})"),
        1 => format!(
            "common subexpressions: 1 shared and computed once ({sizes}) across all A and B"
        ),
        n => format!(
            "common subexpressions: {n} shared and computed once each ({sizes}) across all A and B"
        ),
    }
}

fn rewrites_lines(lin: &Linearized, source: Option<&str>) -> Vec<String> {
    let mut lines = Vec::new();
    for r in RewriteText::all(lin, source) {
        let place = match source {
            Some(text) => line_and_column(text, r.span.start),
            None => format!("bytes {}..{}", r.span.start, r.span.end),
        };
        let at = r
            .singular_at
            .as_ref()
            .map(|a| format!(" (0/0 at {a})"))
            .unwrap_or_default();
        lines.push(format!(
            "removable singularity, {place}{at}: rewritten with exprel"
        ));
        lines.push(format!("  before: {}", r.before));
        lines.push(format!("  after:  {}", r.after));
    }
    lines.push(cse_line(lin));
    lines
}

/// Text (Unicode) and Markdown views.
fn human(lin: &Linearized, method: Method, markdown: bool, source: Option<&str>) -> String {
    let model = lin.model();
    let p = Printer::new(lin, Style::Unicode);
    let code = |s: String| if markdown { format!("`{s}`") } else { s };
    let mut out = String::new();
    let title = match &model.description {
        Some(d) => format!("{} — {d}", model.name),
        None => model.name.clone(),
    };
    if markdown {
        let _ = writeln!(out, "# {title}\n");
        let _ = writeln!(
            out,
            "Method: **{}** — {}.\n",
            method.name(),
            method_summary(method)
        );
        let _ = writeln!(
            out,
            "Every equation is written `dy/dt = A − B·y` with `B = −∂f/∂y` and `A = f + B·y`.\n"
        );
    } else {
        let _ = writeln!(out, "{title}");
        let _ = writeln!(
            out,
            "method: {} — {}",
            method.name(),
            method_summary(method)
        );
        let _ = writeln!(
            out,
            "Every equation is written dy/dt = A − B·y with B = −∂f/∂y and A = f + B·y.\n"
        );
    }
    for form in &lin.states {
        let s = shown(form);
        let kind = if form.gate.is_some() { " (gate)" } else { "" };
        let heading = format!("{}{}{kind}", form.name, unit_suffix(lin, form));
        let mut rows: Vec<(String, String)> = Vec::new();
        for (k, line) in as_written(lin, form, source).into_iter().enumerate() {
            let label = if k == 0 { "as written" } else { "" };
            rows.push((label.to_string(), code(line)));
        }
        if let Some(f) = s.f {
            rows.push((
                String::new(),
                code(format!("d{}/dt = {}", form.name, p.print(f))),
            ));
        }
        rows.push(("class".to_string(), class_text(form)));
        rows.push(("A".to_string(), code(p.print(s.a))));
        rows.push(("B".to_string(), code(p.print(s.b))));
        for (k, term) in crate::noise::terms(lin, form, &p, " · ", false)
            .into_iter()
            .enumerate()
        {
            let label = if k == 0 { "noise" } else { "" };
            rows.push((label.to_string(), code(term)));
        }
        let (steady_name, tau_name) = steady_names(form, Style::Unicode);
        if let Some(steady) = s.steady_state {
            rows.push((
                "steady state".to_string(),
                code(format!("{steady_name} = A/B = {}", p.print(steady))),
            ));
        }
        if let Some(tau) = s.tau {
            rows.push((
                "time constant".to_string(),
                code(format!("{tau_name} = 1/B = {}", p.print(tau))),
            ));
        }
        for (k, (field, node)) in s.defined.iter().enumerate() {
            let label = if k == 0 { "where" } else { "" };
            let name = gate_field_name(&form.name, *field, Style::Unicode);
            rows.push((
                label.to_string(),
                code(format!("{name} = {}", p.print(*node))),
            ));
        }
        let rate_is_zero = lin.dag().is_const(form.b, 0.0);
        rows.push((
            "update".to_string(),
            code(update_rule(
                method,
                &form.name,
                form.class.is_linear(),
                rate_is_zero,
            )),
        ));
        if !form.noise.is_empty() {
            rows.push((
                String::new(),
                code(crate::noise::update(
                    method,
                    &form.name,
                    form.class.is_linear(),
                    rate_is_zero,
                )),
            ));
        }
        let heading = if markdown {
            format!("## {heading}\n")
        } else {
            heading
        };
        write_section(&mut out, &heading, rows, markdown, 14);
    }
    if let Some(system) = exact_system(lin, method, Style::Unicode) {
        let rows = system
            .rows()
            .into_iter()
            .map(|(label, text)| (label, code(text)))
            .collect();
        let heading = if markdown {
            "## Linear system\n"
        } else {
            "linear system"
        };
        write_section(&mut out, heading, rows, markdown, 16);
    }
    let events = EventText::all(lin, source);
    if !events.is_empty() {
        let _ = writeln!(out, "{}", if markdown { "## Events\n" } else { "events" });
        for event in &events {
            let head = format!(
                "on {} — {} ({}): {}",
                code(event.condition.clone()),
                event.kind,
                event.why,
                event.meaning()
            );
            let mut lines: Vec<String> = event.actions.iter().map(|a| code(a.clone())).collect();
            if let Some(refractory) = &event.refractory {
                lines.push(format!(
                    "refractory {}: the states set with `=` are held, and the event cannot fire again",
                    code(refractory.clone())
                ));
            }
            if markdown {
                let _ = writeln!(out, "- {head}");
                for line in lines {
                    let _ = writeln!(out, "  - {line}");
                }
            } else {
                let _ = writeln!(out, "  {head}");
                for line in lines {
                    let _ = writeln!(out, "    {line}");
                }
            }
        }
        let escape = if lin.model().events.iter().any(|e| e.hazard.is_some()) {
            " Escape noise (`on hazard`) fires instead at the end of a step, with its probability, whatever the step before did."
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "{}An event fires when its condition is false at the start of a step and true at its end; a spike's time is the linear interpolation of the crossing (for `a > b`, where `a − b` crosses 0); resets apply at the end of the step.{escape}\n",
            if markdown { "\n" } else { "  " }
        );
    }
    if markdown {
        let _ = writeln!(out, "## Rewrites\n");
        for line in rewrites_lines(lin, source) {
            match line.strip_prefix("  ") {
                Some(rest) => {
                    let (label, body) = rest.split_once(':').unwrap_or((rest, ""));
                    let _ = writeln!(out, "  - {label}: `{}`", body.trim());
                }
                None => {
                    let _ = writeln!(out, "- {line}");
                }
            }
        }
    } else {
        let _ = writeln!(out, "rewrites");
        for line in rewrites_lines(lin, source) {
            let _ = writeln!(out, "  {line}");
        }
    }
    out
}

fn latex_escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' | '%' | '$' | '#' | '_' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            // In LaTeX's default OT1 text encoding `<`, `>` and `|` print as `¡`, `¿`, `—`.
            '<' => out.push_str("\\textless{}"),
            '>' => out.push_str("\\textgreater{}"),
            '|' => out.push_str("\\textbar{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            '\\' => out.push_str("\\textbackslash{}"),
            _ => out.push(c),
        }
    }
    out
}

/// The update rule as a LaTeX equation.
fn latex_update(method: Method, y: &str, linear: bool) -> String {
    let half = latex_subscript(y, "1/2");
    match (method, linear) {
        (Method::Euler, _) => format!("{y}' = {y} + \\Delta t\\, f(t, {y})"),
        (Method::Rk4, _) => format!(
            "{y}' = {y} + \\frac{{\\Delta t}}{{6}}\\left(k_1 + 2k_2 + 2k_3 + k_4\\right)"
        ),
        (Method::ExpEuler, true) => format!(
            "{y}' = {y} + \\Delta t\\,(A - B\\,{y})\\,\\varphi(-B\\,\\Delta t), \\quad \\varphi(x) = \\frac{{e^x - 1}}{{x}}"
        ),
        (Method::ExpEuler, false) => format!(
            "{y}' = {y} + \\Delta t\\, f({y})\\,\\varphi\\!\\left(-B({y})\\,\\Delta t\\right), \\quad B({y}) = -\\frac{{\\partial f}}{{\\partial {y}}}"
        ),
        (Method::ExpEuler2, true) => format!(
            "{y}' = {y} + \\Delta t\\,(A^* - B^*\\,{y})\\,\\varphi(-B^*\\Delta t), \\quad A^*, B^* \\text{{ at }} \\left(t + \\tfrac{{\\Delta t}}{{2}}, {half}\\right)"
        ),
        (Method::ExpEuler2, false) => format!(
            "{y}' = {y} + \\Delta t\\, f^*\\,\\varphi(-B^*\\Delta t), \\quad f^*, B^* \\text{{ at }} \\left(t + \\tfrac{{\\Delta t}}{{2}}, {y}, \\text{{other states at their midpoint}}\\right)"
        ),
        (Method::Exact, _) => format!(
            "{y}' = \\sum_j E_{{{y} j}}\\, y_j + \\sum_j F_{{{y} j}}\\, c_j, \\quad E = e^{{M \\Delta t}}, \\quad F = \\int_0^{{\\Delta t}} e^{{M s}}\\, ds"
        ),
    }
}

fn latex(lin: &Linearized, method: Method, source: Option<&str>) -> String {
    let model = lin.model();
    let p = Printer::new(lin, Style::Latex);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "% galvani explain {} (method {})\n% needs \\usepackage{{amsmath}} (align*, cases, \\text, \\tfrac, \\operatorname)",
        model.name,
        method.name()
    );
    let title = match &model.description {
        Some(d) => format!("{}: {}", model.name, d),
        None => model.name.clone(),
    };
    let _ = writeln!(out, "\\section*{{{}}}", latex_escape_text(&title));
    let _ = writeln!(
        out,
        "Every equation is written $\\frac{{dy}}{{dt}} = A - B\\,y$ with $B = -\\partial f/\\partial y$ and $A = f + B\\,y$. Method: \\texttt{{{}}} ({}).\n",
        method.name(),
        latex_escape_text(method_summary(method))
    );
    for form in &lin.states {
        let s = shown(form);
        let y = latex_name(&form.name);
        let _ = writeln!(out, "\\subsection*{{${y}$}}");
        let class = match &form.class {
            Class::Linear => format!("Linear in ${y}$."),
            Class::Nonlinear { reason, .. } => {
                format!("Nonlinear: {}.", latex_escape_text(reason))
            }
        };
        let _ = writeln!(out, "{class}");
        let _ = writeln!(out, "\\begin{{align*}}");
        let f = s.f.unwrap_or(form.f);
        let mut lines = vec![format!("\\frac{{d{y}}}{{dt}} &= {}", p.print(f))];
        lines.push(format!("A &= {}", p.print(s.a)));
        lines.push(format!("B &= {}", p.print(s.b)));
        let noise = crate::noise::terms(lin, form, &p, "\\,", true);
        if !noise.is_empty() {
            let joined = noise.join(" ");
            let joined = joined.strip_prefix("+ ").unwrap_or(&joined);
            lines.push(format!("\\text{{noise}} &= {joined}"));
        }
        let (steady_name, tau_name) = steady_names(form, Style::Latex);
        if let Some(steady) = s.steady_state {
            lines.push(format!(
                "{steady_name} &= \\frac{{A}}{{B}} = {}",
                p.print(steady)
            ));
        }
        if let Some(tau) = s.tau {
            lines.push(format!("{tau_name} &= \\frac{{1}}{{B}} = {}", p.print(tau)));
        }
        for (field, node) in &s.defined {
            let name = gate_field_name(&form.name, *field, Style::Latex);
            lines.push(format!("{name} &= {}", p.print(*node)));
        }
        let _ = writeln!(out, "{}", lines.join(" \\\\\n"));
        let _ = writeln!(out, "\\end{{align*}}");
        let _ = writeln!(
            out,
            "Update (\\texttt{{{}}}): \\[ {} \\]\n",
            method.name(),
            latex_update(method, &y, form.class.is_linear())
        );
        if !form.noise.is_empty() {
            let rate_is_zero = lin.dag().is_const(form.b, 0.0);
            let _ = writeln!(
                out,
                "Noise (\\texttt{{{}}}): \\[ {} \\]\n",
                method.name(),
                crate::noise::latex_update(method, &y, form.class.is_linear(), rate_is_zero)
            );
        }
    }
    if let Some(system) = exact_system(lin, method, Style::Latex) {
        out.push_str(&system.latex());
    }
    let events = EventText::all(lin, source);
    if !events.is_empty() {
        let _ = writeln!(out, "\\subsection*{{Events}}");
        let _ = writeln!(out, "\\begin{{itemize}}");
        for event in &events {
            let mut parts: Vec<String> = event
                .actions
                .iter()
                .map(|a| format!("\\texttt{{{}}}", latex_escape_text(a)))
                .collect();
            if let Some(refractory) = &event.refractory {
                parts.push(format!(
                    "refractory \\texttt{{{}}}",
                    latex_escape_text(refractory)
                ));
            }
            let actions = if parts.is_empty() {
                String::new()
            } else {
                format!(" {}.", parts.join(", "))
            };
            let _ = writeln!(
                out,
                "\\item \\texttt{{on {}}}: {} ({}; {}).{actions}",
                latex_escape_text(&event.condition),
                event.kind,
                latex_escape_text(event.why),
                event.meaning(),
            );
        }
        let _ = writeln!(out, "\\end{{itemize}}");
    }
    if !lin.rewrites.is_empty() {
        let _ = writeln!(out, "\\subsection*{{Rewrites}}");
        let _ = writeln!(out, "\\begin{{itemize}}");
        for r in RewriteText::all(lin, source) {
            let at = r
                .singular_at
                .as_ref()
                .map(|a| format!(" (0/0 at {})", latex_escape_text(a)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "\\item Removable singularity{at}: \\texttt{{{}}} becomes \\texttt{{{}}}.",
                latex_escape_text(&r.before),
                latex_escape_text(&r.after)
            );
        }
        let _ = writeln!(out, "\\end{{itemize}}");
    }
    out
}

fn json_view(lin: &Linearized, method: Method, source: Option<&str>) -> String {
    let p = Printer::new(lin, Style::Lang);
    let states: Vec<Value> = lin
        .states
        .iter()
        .map(|form| {
            let (class, reason) = match &form.class {
                Class::Linear => ("linear", Value::Null),
                Class::Nonlinear { reason, .. } => ("nonlinear", Value::String(reason.clone())),
            };
            let opt = |n: Option<NodeId>| match n {
                Some(n) => Value::String(p.print(n)),
                None => Value::Null,
            };
            let mut state = json!({
                "name": form.name,
                "class": class,
                "reason": reason,
                "A": p.print(form.a),
                "B": p.print(form.b),
                "steady_state": opt(form.steady_state),
                "tau": opt(form.tau),
            });
            // Only a state with noise has the noise fields.
            if !form.noise.is_empty() {
                let terms: Vec<Value> = crate::noise::named_terms(lin, form, &p)
                    .into_iter()
                    .map(|(name, factor)| json!({"noise": name, "factor": factor}))
                    .collect();
                let rate_is_zero = lin.dag().is_const(form.b, 0.0);
                state["noise"] = Value::Array(terms);
                state["noise_update"] = Value::String(crate::noise::update(
                    method,
                    &form.name,
                    form.class.is_linear(),
                    rate_is_zero,
                ));
            }
            state
        })
        .collect();
    let mut rewrites: Vec<Value> = RewriteText::all(lin, source)
        .into_iter()
        .map(|r| {
            json!({
                "kind": "exprel",
                "span": {"start": r.span.start, "end": r.span.end},
                "singular_at": r.singular_at,
                "before": r.before,
                "after": r.after,
            })
        })
        .collect();
    rewrites.push(json!({
        "kind": "cse",
        "shared": lin.cse.shared,
        "tree_nodes": lin.cse.tree_nodes,
        "dag_nodes": lin.cse.dag_nodes,
    }));
    let events: Vec<Value> = EventText::all(lin, source)
        .into_iter()
        .map(|event| {
            json!({
                "condition": event.condition,
                "kind": event.kind,
                "why": event.why,
                "actions": event.actions,
                "refractory": event.refractory,
            })
        })
        .collect();
    let mut value = json!({
        "model": lin.model().name,
        "states": states,
        "events": events,
        "method": method.name(),
        "rewrites": rewrites,
    });
    if let Some(system) = exact_system(lin, method, Style::Lang) {
        value["linear_system"] = system.json();
    }
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_else(|_| "{}".to_string());
    text.push('\n');
    text
}

/// The deterministic text of the linear stage (`galvani explain --stage linear`): per
/// state its class, `f`, `A`, `B`, steady state and time constant, gates in their named
/// form with the rates defined, then the rewrites and the CSE statistics.
pub fn linear_text(lin: &Linearized) -> String {
    let p = Printer::new(lin, Style::Lang);
    let mut out = String::new();
    let _ = writeln!(out, "linear {}", lin.model().name);
    for form in &lin.states {
        let state_kind = match form.gate.as_ref().map(|g| g.kind) {
            Some(GateKind::AlphaBeta) => "gate alpha/beta",
            Some(GateKind::InfTau) => "gate inf/tau",
            None => "state",
        };
        let class = match &form.class {
            Class::Linear => "linear".to_string(),
            Class::Nonlinear { reason, span } => {
                format!("nonlinear ({reason}; bytes {}..{})", span.start, span.end)
            }
        };
        let _ = writeln!(
            out,
            "{state_kind} {}{}: {class}",
            form.name,
            unit_suffix(lin, form)
        );
        let s = shown(form);
        for (field, node) in &s.defined {
            let name = gate_field_name(&form.name, *field, Style::Lang);
            let _ = writeln!(out, "  {name} = {}", p.print(*node));
        }
        match s.f {
            Some(named_f) => {
                let _ = writeln!(out, "  f = {}", p.print(named_f));
            }
            None => {
                let _ = writeln!(out, "  f = {}", p.print(form.f));
            }
        }
        let _ = writeln!(out, "  A = {}", p.print(s.a));
        let _ = writeln!(out, "  B = {}", p.print(s.b));
        for term in crate::noise::terms(lin, form, &p, " * ", false) {
            let _ = writeln!(out, "  noise {term}");
        }
        let (steady_name, tau_name) = steady_names(form, Style::Lang);
        if let Some(steady) = s.steady_state {
            let _ = writeln!(out, "  {steady_name} = {}", p.print(steady));
        }
        if let Some(tau) = s.tau {
            let _ = writeln!(out, "  {tau_name} = {}", p.print(tau));
        }
        if !s.defined.is_empty() {
            // The concrete forms the step program computes, for review.
            let _ = writeln!(out, "  A (expanded) = {}", p.print(form.a));
            let _ = writeln!(out, "  B (expanded) = {}", p.print(form.b));
        }
    }
    let _ = writeln!(out, "rewrites");
    for line in rewrites_lines(lin, None) {
        let _ = writeln!(out, "  {line}");
    }
    out
}
