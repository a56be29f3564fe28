//! Building a network's synapses: one [`Projection`] per (connection, post population) —
//! the compressed rows the connection's rule draws (`galvani_network::connectivity`), the
//! delays in steps, per-synapse param columns (only for params drawn per synapse), synapse
//! state columns with the grid index of their last update, and the `on pre` block sorted
//! into the additive fast path or the general per-arrival path. Also the memory estimate
//! made before anything is built.

use galvani_network::connectivity::{connect, from_edges, Pairing, Synapses};
use galvani_network::{
    CheckedNetwork, Connection, Distribution, Formula, Leaf, PreAction, Rule, Target,
};
use galvani_runtime::rng::Xoshiro256;
use galvani_syntax::ast::AssignOp;

use crate::{EdgeFile, NetworkRunError};

/// A value per synapse: one for all, or one each.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Column {
    Constant(f64),
    PerSynapse(Vec<f64>),
}

impl Column {
    pub(crate) fn get(&self, synapse: usize) -> f64 {
        match self {
            Column::Constant(v) => *v,
            Column::PerSynapse(values) => values[synapse],
        }
    }

    fn bytes(&self) -> usize {
        match self {
            Column::Constant(_) => 0,
            Column::PerSynapse(values) => values.len() * 8,
        }
    }
}

/// Conduction delays in steps (each ≥ 1).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Delays {
    Constant(u32),
    PerSynapse(Vec<u32>),
}

impl Delays {
    pub(crate) fn max(&self) -> u32 {
        match self {
            Delays::Constant(d) => *d,
            Delays::PerSynapse(d) => d.iter().copied().max().unwrap_or(1),
        }
    }
}

/// A synapse state's values, each exact at the grid index `last[s]`.
#[derive(Clone, Debug)]
pub(crate) struct StateColumn {
    pub(crate) values: Vec<f64>,
    pub(crate) last: Vec<u64>,
}

/// What an arrival does.
#[derive(Clone, Debug)]
pub(crate) enum Effect {
    /// Every statement is `X += w` / `X -= w` on a post state with `w` made of constants
    /// and per-synapse params: `(state index, signed weight)`, applied in order.
    Additive(Vec<(usize, Column)>),
    /// Anything else: the statements run in order for each arrival.
    General(Vec<PreAction>),
}

/// The synapses of one connection onto one of its post populations.
pub(crate) struct Projection {
    pub(crate) connection: usize,
    pub(crate) pre: usize,
    pub(crate) post: usize,
    pub(crate) synapses: Synapses,
    pub(crate) delays: Delays,
    /// One per synapse param of the connection.
    pub(crate) params: Vec<Column>,
    /// One per synapse state of the connection.
    pub(crate) states: Vec<StateColumn>,
    /// Each synapse state's `A − B·y` constants when they are one pair for all synapses
    /// (`None`: evaluated per synapse from its params).
    pub(crate) relaxations: Vec<Option<galvani_network::Relaxation>>,
    /// Some synapse state's equation reads another: the states are advanced together as
    /// one linear system (`linear.rs`).
    pub(crate) coupled: bool,
    pub(crate) effect: Effect,
    /// Whether an arrival can change a state the post population's event conditions read
    /// (set when the network starts running).
    pub(crate) reaches_conditions: bool,
    /// For per-synapse delays: `buckets[a % len]` holds the synapses whose spike arrives
    /// at grid index `a`.
    pub(crate) buckets: Vec<Vec<u32>>,
}

impl Projection {
    /// Bytes of everything stored per synapse (and per presynaptic neuron).
    pub(crate) fn bytes(&self) -> usize {
        let delays = match &self.delays {
            Delays::Constant(_) => 0,
            Delays::PerSynapse(d) => d.len() * 4,
        };
        let states: usize = self
            .states
            .iter()
            .map(|s| s.values.len() * 8 + s.last.len() * 8)
            .sum();
        let weights: usize = match &self.effect {
            Effect::Additive(w) => w.iter().map(|(_, c)| c.bytes()).sum(),
            Effect::General(_) => 0,
        };
        self.synapses.bytes()
            + delays
            + self.params.iter().map(Column::bytes).sum::<usize>()
            + states
            + weights
    }
}

/// The number of synapses `rule` is expected to make (exact except for `probability`,
/// whose mean it gives).
fn expected_synapses(rule: &Rule, pairing: Pairing) -> f64 {
    let (pre, post) = (pairing.n_pre as f64, pairing.n_post as f64);
    let pairs = if pairing.same_population && !pairing.autapses {
        pre * (post - 1.0).max(0.0)
    } else {
        pre * post
    };
    match *rule {
        Rule::AllToAll => pairs,
        Rule::OneToOne => pre.min(post),
        Rule::Probability(p) => p * pairs,
        Rule::FixedIndegree(k) => k as f64 * post,
        Rule::FixedOutdegree(k) => k as f64 * pre,
        Rule::File(_) => 0.0,
    }
}

/// Bytes per synapse of `connection` besides the 4-byte target: per-synapse params,
/// drawn delays, synapse states (value and last update) and per-synapse weights.
fn bytes_per_synapse(connection: &Connection) -> f64 {
    let drawn = |d: &Distribution| !matches!(d, Distribution::Constant(_));
    let params = connection
        .synapse_params
        .iter()
        .filter(|p| drawn(&p.value))
        .count();
    let delay = if connection.delay.as_ref().is_some_and(drawn) {
        4
    } else {
        0
    };
    4.0 + 8.0 * params as f64 * 2.0 + delay as f64 + 16.0 * connection.synapse_states.len() as f64
}

/// The memory the synapses of `network` will take, in bytes, estimated from the rules
/// before any is drawn.
pub(crate) fn estimate_bytes(network: &CheckedNetwork, sizes: &[usize], edges: &[EdgeFile]) -> f64 {
    let mut total = 0.0;
    for (c, connection) in network.connections.iter().enumerate() {
        if let Rule::File(_) = connection.rule {
            let listed = edges
                .iter()
                .find(|e| e.connection == c)
                .map_or(0, |e| e.edges.len());
            total += listed as f64 * (bytes_per_synapse(connection) + 8.0)
                + 8.0 * (sizes[connection.pre] as f64 + 1.0);
            continue;
        }
        for &post in &connection.posts {
            let pairing = Pairing {
                n_pre: sizes[connection.pre],
                n_post: sizes[post],
                same_population: connection.pre == post,
                autapses: connection.autapses,
            };
            total += expected_synapses(&connection.rule, pairing) * bytes_per_synapse(connection)
                + 8.0 * (sizes[connection.pre] as f64 + 1.0);
        }
    }
    total
}

/// `D = floor(d/dt + 1/2 + 1e-9)` steps, refused below one step.
fn delay_steps(delay: f64, dt: f64, connection: usize) -> Result<u32, NetworkRunError> {
    let steps = (delay / dt + 0.5 + 1e-9).floor();
    if steps.is_nan() || steps < 1.0 || delay < dt * (1.0 - 1e-9) {
        return Err(NetworkRunError::DelayTooShort {
            connection,
            delay,
            dt,
        });
    }
    if steps > u32::MAX as f64 / 2.0 {
        return Err(NetworkRunError::DelayTooLong { connection, delay });
    }
    Ok(steps as u32)
}

/// One draw of `distribution` (a constant needs no generator).
pub(crate) fn draw(distribution: &Distribution, rng: &mut Xoshiro256) -> f64 {
    match *distribution {
        Distribution::Constant(v) => v,
        Distribution::Uniform { low, high } => low + (high - low) * rng.uniform(),
        Distribution::Normal { mean, sd } => mean + sd * rng.normal(),
        // Per synapse `linspace` has no order to follow: the checker allows it only for
        // neurons, where it is handled by the caller.
        Distribution::Linspace { first, last } => first + (last - first) * rng.uniform(),
    }
}

/// A column of one value per synapse drawn from `distribution` (stream keyed by
/// connection, post population position, what and presynaptic neuron: the same values
/// for the same seed, whatever builds them).
fn synapse_column(
    distribution: &Distribution,
    synapses: &Synapses,
    seed: u64,
    keys: [u64; 3],
) -> Column {
    if let Distribution::Constant(v) = distribution {
        return Column::Constant(*v);
    }
    let mut values = Vec::with_capacity(synapses.len());
    for pre in 0..synapses.n_pre {
        let mut rng =
            Xoshiro256::for_stream(seed, &[0x73_79_6e, keys[0], keys[1], keys[2], pre as u64]);
        for _ in synapses.targets_of(pre) {
            values.push(draw(distribution, &mut rng));
        }
    }
    Column::PerSynapse(values)
}

/// Builds the projections of every connection, in file order (connection, then post
/// population), drawing from `seed`.
pub(crate) fn projections(
    network: &CheckedNetwork,
    sizes: &[usize],
    dt: f64,
    seed: u64,
    edge_files: &[EdgeFile],
) -> Result<Vec<Projection>, NetworkRunError> {
    let mut out = Vec::new();
    for (c, connection) in network.connections.iter().enumerate() {
        for (position, &post) in connection.posts.iter().enumerate() {
            let pairing = Pairing {
                n_pre: sizes[connection.pre],
                n_post: sizes[post],
                same_population: connection.pre == post,
                autapses: connection.autapses,
            };
            let key = ((c as u64) << 32) | position as u64;
            let connect_error = |error| NetworkRunError::Connect {
                connection: c,
                error,
            };
            // A file's edges, with the edge of each synapse.
            let listed = match connection.rule {
                Rule::File(_) => {
                    let file = edge_files
                        .iter()
                        .find(|e| e.connection == c)
                        .ok_or(NetworkRunError::MissingEdges { connection: c })?;
                    let (synapses, order) = from_edges(&file.edges, pairing.n_pre, pairing.n_post)
                        .map_err(connect_error)?;
                    Some((synapses, order, file))
                }
                _ => None,
            };
            let (synapses, listed) = match listed {
                Some((synapses, order, file)) => (synapses, Some((order, file))),
                None => (
                    connect(&connection.rule, pairing, seed, key).map_err(connect_error)?,
                    None,
                ),
            };
            let file_delays = listed.as_ref().and_then(|(order, file)| {
                file.delays
                    .as_ref()
                    .map(|d| order.iter().map(|&e| d[e]).collect::<Vec<f64>>())
            });
            let delays = match connection.delay {
                _ if file_delays.is_some() => {
                    let values = file_delays.unwrap_or_default();
                    Delays::PerSynapse(
                        values
                            .iter()
                            .map(|&d| delay_steps(d, dt, c))
                            .collect::<Result<Vec<u32>, _>>()?,
                    )
                }
                None => Delays::Constant(1),
                Some(Distribution::Constant(d)) => Delays::Constant(delay_steps(d, dt, c)?),
                Some(ref distribution) => {
                    let Column::PerSynapse(values) = synapse_column(
                        distribution,
                        &synapses,
                        seed,
                        [c as u64, position as u64, u64::MAX],
                    ) else {
                        unreachable!("a drawn distribution gives a column per synapse")
                    };
                    let steps = values
                        .iter()
                        .map(|&d| delay_steps(d, dt, c))
                        .collect::<Result<Vec<u32>, _>>()?;
                    Delays::PerSynapse(steps)
                }
            };
            let params: Vec<Column> = connection
                .synapse_params
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    // A file's column of this param wins over the block's value.
                    let listed_column = listed.as_ref().and_then(|(order, file)| {
                        file.params
                            .iter()
                            .find(|(j, _)| *j == i)
                            .map(|(_, values)| {
                                Column::PerSynapse(order.iter().map(|&e| values[e]).collect())
                            })
                    });
                    listed_column.unwrap_or_else(|| {
                        synapse_column(
                            &p.value,
                            &synapses,
                            seed,
                            [c as u64, position as u64, i as u64],
                        )
                    })
                })
                .collect();
            let states = connection
                .synapse_states
                .iter()
                .map(|state| {
                    let values = (0..synapses.len())
                        .map(|s| {
                            state.init_formula.eval(&|leaf| match leaf {
                                Leaf::SynapseParam(i) => params[i].get(s),
                                // The checker allows only params and constants here.
                                _ => f64::NAN,
                            })
                        })
                        .collect();
                    StateColumn {
                        values,
                        last: vec![0; synapses.len()],
                    }
                })
                .collect();
            let effect = effect(&connection.on_pre, &params, synapses.len());
            // Params a file gives per edge change the equations' constants per synapse.
            let per_edge_params = listed
                .as_ref()
                .is_some_and(|(_, file)| !file.params.is_empty());
            let relaxations = connection
                .synapse_states
                .iter()
                .map(|state| state.relaxation.filter(|_| !per_edge_params))
                .collect();
            let buckets = match &delays {
                Delays::PerSynapse(_) => vec![Vec::new(); delays.max() as usize + 1],
                Delays::Constant(_) => Vec::new(),
            };
            let coupled = connection
                .synapse_states
                .iter()
                .enumerate()
                .any(|(i, state)| {
                    state.derivative_formula.as_ref().is_some_and(|f| {
                        f.reads(&|leaf| matches!(leaf, Leaf::SynapseState(j) if j != i))
                    })
                });
            out.push(Projection {
                coupled,
                connection: c,
                pre: connection.pre,
                post,
                synapses,
                delays,
                params,
                states,
                relaxations,
                effect,
                reaches_conditions: true,
                buckets,
            });
        }
    }
    Ok(out)
}

/// Sorts an `on pre` block into the additive fast path when it can: every statement
/// adds to or subtracts from a post state a weight that reads only constants and synapse
/// params (evaluated now, once per synapse when a param is drawn per synapse).
pub(crate) fn effect(actions: &[PreAction], params: &[Column], synapses: usize) -> Effect {
    let additive = actions.iter().all(|a| {
        matches!(a.target, Target::PostState(_))
            && a.op != AssignOp::Set
            && !a
                .formula
                .reads(&|leaf| !matches!(leaf, Leaf::SynapseParam(_)))
    });
    if !additive {
        return Effect::General(actions.to_vec());
    }
    let weights = actions
        .iter()
        .map(|a| {
            let Target::PostState(state) = a.target else {
                unreachable!("checked above")
            };
            let sign = if a.op == AssignOp::Sub { -1.0 } else { 1.0 };
            // One weight for all when every param it reads is one value for all.
            let constant = !a.formula.reads(&|leaf| {
                matches!(leaf, Leaf::SynapseParam(i) if matches!(params[i], Column::PerSynapse(_)))
            });
            let column = if constant {
                Column::Constant(sign * weight_of(&a.formula, params, 0))
            } else {
                Column::PerSynapse(
                    (0..synapses)
                        .map(|s| sign * weight_of(&a.formula, params, s))
                        .collect(),
                )
            };
            (state.index(), column)
        })
        .collect();
    Effect::Additive(weights)
}

fn weight_of(formula: &Formula, params: &[Column], synapse: usize) -> f64 {
    formula.eval(&|leaf| match leaf {
        Leaf::SynapseParam(i) => params[i].get(synapse),
        _ => f64::NAN,
    })
}
