//! The teaching view of a network file (`galvani explain NET.gal`): each population's
//! neurons and values, each connection's rule with the number of synapses it makes,
//! its delay, what an arriving spike does, and each synapse state's exact update between
//! spikes, then the Poisson drives. Statements are quoted from the file.

use std::fmt::Write as _;

use galvani_ir::units;
use galvani_ir::Dim;
use galvani_network::{
    CheckedNetwork, Connection, Distribution, PreAction, Relaxation, Rule, Source,
};

/// The view as text; `source` is the network file's text (statements are quoted from it).
pub fn explain_network(network: &CheckedNetwork, source: &str) -> String {
    let mut out = String::new();
    let _ = match &network.description {
        Some(d) => writeln!(out, "{} — {d}", network.name),
        None => writeln!(out, "{}", network.name),
    };
    let _ = writeln!(out, "\npopulations");
    for population in &network.populations {
        let size = population
            .size
            .map_or("the neurons of its file".to_string(), |n| {
                format!("{n} neurons")
            });
        let what = match &population.source {
            Source::Model { path, model } => format!("{size} of model {} ({path})", model.name),
            Source::Poisson {
                rate_of_time: Some(r),
                ..
            } => format!(
                "{size}: Poisson sources at rate(t) = {} (evaluated at each step's start)",
                quoted(source, r.span)
            ),
            Source::Poisson { rate, .. } => {
                format!("{size}: Poisson sources at {} Hz", number(rate * 1000.0))
            }
            Source::Spikes { path } => format!("{size}: spikes read from {path}"),
        };
        let _ = writeln!(out, "  {}: {what}", population.name);
        if let Source::Model { model, .. } = &population.source {
            for (param, value) in &population.overrides {
                let p = &model.params[param.index()];
                let _ = writeln!(
                    out,
                    "    param {} = {}",
                    p.name,
                    distribution(value, p.unit.dim)
                );
            }
            for (state, value) in &population.inits {
                let s = &model.states[state.index()];
                let _ = writeln!(
                    out,
                    "    init {} = {}",
                    s.name,
                    distribution(value, s.unit.dim)
                );
            }
        }
    }
    if !network.connections.is_empty() {
        let _ = writeln!(out, "\nconnections");
    }
    for connection in &network.connections {
        connection_text(&mut out, network, connection, source);
    }
    if !network.drives.is_empty() {
        let _ = writeln!(out, "\ndrives");
    }
    for drive in &network.drives {
        let targets: Vec<&str> = drive
            .targets
            .iter()
            .map(|&t| network.populations[t].name.as_str())
            .collect();
        let rate = match &drive.rate_of_time {
            Some(r) => format!(
                "rate(t) = {} (evaluated at each step's start)",
                quoted(source, r.span)
            ),
            None => format!("{} Hz", number(drive.rate * 1000.0)),
        };
        let _ = writeln!(
            out,
            "  {}: each neuron its own Poisson train at {rate}",
            targets.join(", ")
        );
        actions_text(&mut out, &drive.on_pre, source);
    }
    out
}

fn connection_text(
    out: &mut String,
    network: &CheckedNetwork,
    connection: &Connection,
    source: &str,
) {
    let pre = &network.populations[connection.pre];
    let posts: Vec<&str> = connection
        .posts
        .iter()
        .map(|&p| network.populations[p].name.as_str())
        .collect();
    let _ = writeln!(out, "  {} → {}", pre.name, posts.join(", "));
    let n_pre = pre.size.unwrap_or(0);
    let mut expected = 0.0;
    for &post in &connection.posts {
        let n_post = network.populations[post].size.unwrap_or(0) as f64;
        let self_pairs = if post == connection.pre && !connection.autapses {
            n_post
        } else {
            0.0
        };
        expected += match connection.rule {
            Rule::AllToAll => n_pre as f64 * n_post - self_pairs,
            Rule::OneToOne => n_post - self_pairs,
            Rule::Probability(p) => p * (n_pre as f64 * n_post - self_pairs),
            Rule::FixedIndegree(k) => k as f64 * n_post,
            Rule::FixedOutdegree(k) => k as f64 * n_pre as f64,
            Rule::File(_) => f64::NAN,
        };
    }
    let rule = match &connection.rule {
        Rule::AllToAll => "all_to_all: every pair".to_string(),
        Rule::OneToOne => "one_to_one: neuron i to neuron i".to_string(),
        Rule::Probability(p) => format!(
            "probability({}): each ordered pair independently",
            number(*p)
        ),
        Rule::FixedIndegree(k) => {
            format!("fixed_indegree({k}): each post neuron draws {k} distinct pre neurons")
        }
        Rule::FixedOutdegree(k) => {
            format!("fixed_outdegree({k}): each pre neuron draws {k} distinct post neurons")
        }
        Rule::File(path) => format!("file({path})"),
    };
    let count = if expected.is_nan() {
        "as many synapses as the file lists".to_string()
    } else if matches!(connection.rule, Rule::Probability(_)) {
        format!("about {} synapses", number(expected.round()))
    } else {
        format!("{} synapses", number(expected))
    };
    let _ = writeln!(out, "    rule      {rule}; {count}");
    let delay = match &connection.delay {
        Some(d) => distribution(d, Dim::TIME),
        None => "one time step".to_string(),
    };
    let _ = writeln!(out, "    delay     {delay}");
    if connection.autapses {
        let _ = writeln!(out, "    autapses  kept (i → i within a population)");
    }
    for param in &connection.synapse_params {
        let _ = writeln!(
            out,
            "    param     {} = {}",
            param.name,
            match &param.unit {
                Some(written) => written_distribution(&param.value, written),
                None => distribution(&param.value, param.dim),
            }
        );
    }
    for state in &connection.synapse_states {
        let written = state
            .derivative
            .as_ref()
            .map_or(String::new(), |d| quoted(source, d.span));
        let _ = writeln!(
            out,
            "    state     {}: d{}/dt = {written}",
            state.name, state.name
        );
        let update = match state.relaxation {
            Some(relaxation) => exact_update(&state.name, relaxation, state.dim),
            None => "depends on another synapse state or a per-synapse distribution".to_string(),
        };
        let _ = writeln!(out, "              between spikes, exactly: {update}");
    }
    actions_text(out, &connection.on_pre, source);
}

fn actions_text(out: &mut String, actions: &[PreAction], source: &str) {
    for action in actions {
        let _ = writeln!(out, "    on pre    {}", quoted(source, action.span));
    }
}

/// `y(t+Δ) = y∞ + (y − y∞)·exp(−Δ/τ)` with the numbers of `relaxation`.
fn exact_update(name: &str, relaxation: Relaxation, dim: Dim) -> String {
    let Relaxation { a, b } = relaxation;
    if b == 0.0 {
        return format!(
            "{name}(t + Δ) = {name} + Δ·{} {}/ms",
            number(a),
            unit_text(dim)
        );
    }
    let steady = a / b;
    let tau = 1.0 / b;
    let unit = unit_text(dim);
    let with_unit = |v: f64| {
        if unit.is_empty() {
            number(v)
        } else {
            format!("{} {unit}", number(v))
        }
    };
    if steady == 0.0 {
        format!("{name}(t + Δ) = {name}·exp(−Δ/{} ms)", number(tau))
    } else {
        format!(
            "{name}(t + Δ) = {s} + ({name} − {s})·exp(−Δ/{} ms)   (relaxes to {s} with τ = {} ms)",
            number(tau),
            number(tau),
            s = with_unit(steady)
        )
    }
}

fn distribution(value: &Distribution, dim: Dim) -> String {
    let unit = unit_text(dim);
    let v = |x: f64| {
        if unit.is_empty() {
            number(x)
        } else {
            format!("{} {unit}", number(x))
        }
    };
    match *value {
        Distribution::Constant(x) => v(x),
        Distribution::Uniform { low, high } => format!("uniform({}, {})", v(low), v(high)),
        Distribution::Normal { mean, sd } => format!("normal({}, {})", v(mean), v(sd)),
        Distribution::Linspace { first, last } => format!("linspace({}, {})", v(first), v(last)),
    }
}

/// A distribution in the unit its file wrote it in (`2 nS`, not `2e-6 mS`).
fn written_distribution(value: &Distribution, written: &galvani_network::WrittenUnit) -> String {
    let v = |x: f64| format!("{} {}", number(written.unit.from_internal(x)), written.text);
    match *value {
        Distribution::Constant(x) => v(x),
        Distribution::Uniform { low, high } => format!("uniform({}, {})", v(low), v(high)),
        Distribution::Normal { mean, sd } => format!("normal({}, {})", v(mean), v(sd)),
        Distribution::Linspace { first, last } => format!("linspace({}, {})", v(first), v(last)),
    }
}

fn unit_text(dim: Dim) -> String {
    if dim.is_none() {
        String::new()
    } else {
        units::internal_unit_text(dim)
    }
}

/// A number for people: at most 12 significant digits, no float noise.
fn number(x: f64) -> String {
    galvani_ir::text::format_for_people(x)
}

fn quoted(source: &str, span: galvani_diag::Span) -> String {
    source
        .get(span.start as usize..span.end as usize)
        .unwrap_or("")
        .to_string()
}
