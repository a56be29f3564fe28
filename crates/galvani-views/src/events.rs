//! The events of a model as the teaching view shows them: each `on` block's condition as
//! written, whether its firings are spikes and why (a threshold on a state, a timer, escape
//! noise, or the `spike`/`silent` marker), its actions and its refractory period.

use galvani_ir::{EventKind, ExprId, Model};
use galvani_symbolic::Linearized;

/// One event, in words and in the file's own text.
pub(crate) struct EventText {
    /// `V > V_th`
    pub condition: String,
    /// `spike` or `silent`.
    pub kind: &'static str,
    /// Why it is that kind.
    pub why: &'static str,
    /// `V = V_reset`, in order.
    pub actions: Vec<String>,
    /// `t_ref`
    pub refractory: Option<String>,
}

impl EventText {
    pub(crate) fn all(lin: &Linearized, source: Option<&str>) -> Vec<EventText> {
        let model = lin.model();
        model
            .events
            .iter()
            .map(|event| {
                let by_default = event.default_kind(model);
                let why = match (event.kind, event.kind == by_default) {
                    (EventKind::Spike, true) if event.hazard.is_some() => {
                        "escape noise: it fires in each step with probability 1 − exp(−RATE·dt), RATE taken at the step's end"
                    }
                    (EventKind::Spike, true) => "its condition reads a state",
                    (EventKind::Silent, true) => "a timer: its condition reads no state",
                    (EventKind::Spike, false) => "marked `spike`",
                    (EventKind::Silent, false) => "marked `silent`",
                };
                let condition = match event.hazard {
                    // `hazard(RATE)`: the call as written (the condition's span).
                    Some(rate) => {
                        let call = written(model, event.condition, source);
                        if call.starts_with("hazard") {
                            call
                        } else {
                            format!("hazard({})", written(model, rate, source))
                        }
                    }
                    None => written(model, event.condition, source),
                };
                EventText {
                    condition,
                    kind: match event.kind {
                        EventKind::Spike => "spike",
                        EventKind::Silent => "silent",
                    },
                    why,
                    actions: event
                        .actions
                        .iter()
                        .map(|action| {
                            let span = action.span;
                            source
                                .and_then(|t| t.get(span.start as usize..span.end as usize))
                                .filter(|text| !text.is_empty() && !text.contains('\n'))
                                .map(str::to_string)
                                .unwrap_or_else(|| {
                                    let op = match action.op {
                                        galvani_ir::AssignOp::Set => "=",
                                        galvani_ir::AssignOp::Add => "+=",
                                        galvani_ir::AssignOp::Sub => "-=",
                                    };
                                    format!(
                                        "{} {op} {}",
                                        model.states[action.state.index()].name,
                                        galvani_ir::text::expr_to_string(model, action.value)
                                    )
                                })
                        })
                        .collect(),
                    refractory: event.refractory.map(|r| written(model, r, source)),
                }
            })
            .collect()
    }

    /// What a firing of this kind does, for the reader.
    pub(crate) fn meaning(&self) -> &'static str {
        match self.kind {
            "spike" => "counted in spikes, rates and the raster",
            _ => "runs its actions, never counted as a spike",
        }
    }
}

/// An expression as the file writes it when the source is known, else the IR's text.
fn written(model: &Model, id: ExprId, source: Option<&str>) -> String {
    let span = model.exprs.span(id);
    source
        .and_then(|text| text.get(span.start as usize..span.end as usize))
        .filter(|text| !text.is_empty() && !text.contains('\n'))
        .map(str::to_string)
        .unwrap_or_else(|| galvani_ir::text::expr_to_string(model, id))
}
