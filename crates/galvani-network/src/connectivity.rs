//! Synapses from connection rules: which presynaptic neuron connects to which postsynaptic
//! one, stored as compressed rows by presynaptic neuron (`u32` targets, one offset per
//! presynaptic neuron: 4 bytes per synapse plus 8 per neuron, no per-synapse objects).
//!
//! Every random choice is drawn from a stream keyed by (seed, connection, neuron)
//! (`galvani_runtime::rng`), so the same seed gives the same synapses whatever order or
//! thread builds them. The rules, for `n_pre` × `n_post` neurons (self-connections i → i
//! of a population onto itself left out unless `autapses`):
//! - `all_to_all`: every pair;
//! - `one_to_one`: i → i (the two populations have one size);
//! - `probability(p)`: each ordered pair independently with probability p — drawn by
//!   geometric skips (the gap to the next chosen target is `⌊ln u / ln(1 − p)⌋`), so the
//!   cost is that of the synapses made, not of the pairs tried;
//! - `fixed_indegree(K)`: each post neuron draws K distinct pre neurons;
//! - `fixed_outdegree(K)`: each pre neuron draws K distinct post neurons;
//! - `file(…)`: the edges a file lists ([`from_edges`]; the caller reads the file);
//!   distinct draws by Floyd's algorithm (K draws for K of n, every K-subset equally
//!   likely).

use std::collections::HashSet;

use galvani_runtime::rng::Xoshiro256;

use crate::Rule;

/// The synapses of one connection from one pre to one post population.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Synapses {
    pub n_pre: usize,
    pub n_post: usize,
    /// `targets[offsets[i]..offsets[i + 1]]` are pre neuron i's post neurons, ascending.
    pub offsets: Vec<u64>,
    pub targets: Vec<u32>,
}

impl Synapses {
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// The post neurons of pre neuron `pre`, ascending.
    pub fn targets_of(&self, pre: usize) -> &[u32] {
        &self.targets[self.offsets[pre] as usize..self.offsets[pre + 1] as usize]
    }

    /// Bytes the synapses take (targets and offsets).
    pub fn bytes(&self) -> usize {
        self.targets.len() * std::mem::size_of::<u32>()
            + self.offsets.len() * std::mem::size_of::<u64>()
    }

    /// Each post neuron's number of incoming synapses.
    pub fn indegrees(&self) -> Vec<u32> {
        let mut counts = vec![0; self.n_post];
        for &post in &self.targets {
            counts[post as usize] += 1;
        }
        counts
    }
}

/// Why a rule cannot be applied to two populations.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ConnectError {
    #[error(
        "{k} distinct {side} neurons are asked for, but only {candidates} are there to draw from"
    )]
    TooFew {
        k: u64,
        candidates: usize,
        side: &'static str,
    },
    #[error("one_to_one needs populations of one size, not {n_pre} and {n_post}")]
    SizesDiffer { n_pre: usize, n_post: usize },
    #[error("a population of {0} neurons is more than a synapse index holds (2³² − 1)")]
    TooLarge(usize),
    #[error("the memory for the synapses ran out after {made} synapses")]
    OutOfMemory { made: usize },
    #[error("connections from a file are read by the network builder, not drawn")]
    FromFile,
    #[error("edge {edge}: {pre} → {post} is outside the populations ({n_pre} → {n_post} neurons)")]
    EdgeOutOfRange {
        edge: usize,
        pre: u32,
        post: u32,
        n_pre: usize,
        n_post: usize,
    },
}

/// What one connection joins.
#[derive(Clone, Copy, Debug)]
pub struct Pairing {
    pub n_pre: usize,
    pub n_post: usize,
    /// Pre and post are one population: i → i is a self-connection.
    pub same_population: bool,
    pub autapses: bool,
}

impl Pairing {
    fn excludes(&self, pre: usize, post: usize) -> bool {
        self.same_population && !self.autapses && pre == post
    }
}

/// The synapses `rule` makes between the two populations of `pairing`, drawn from the
/// streams of `(seed, connection)`.
pub fn connect(
    rule: &Rule,
    pairing: Pairing,
    seed: u64,
    connection: u64,
) -> Result<Synapses, ConnectError> {
    for n in [pairing.n_pre, pairing.n_post] {
        if n > u32::MAX as usize {
            return Err(ConnectError::TooLarge(n));
        }
    }
    let stream = |side: u64, neuron: usize| {
        Xoshiro256::for_stream(seed, &[0x5f_6e_65_74, connection, side, neuron as u64])
    };
    let mut rows = Rows::new(pairing.n_pre);
    match *rule {
        Rule::AllToAll => {
            for pre in 0..pairing.n_pre {
                let row: Vec<u32> = (0..pairing.n_post)
                    .filter(|&post| !pairing.excludes(pre, post))
                    .map(|post| post as u32)
                    .collect();
                rows.push_row(&row)?;
            }
        }
        Rule::OneToOne => {
            if pairing.n_pre != pairing.n_post {
                return Err(ConnectError::SizesDiffer {
                    n_pre: pairing.n_pre,
                    n_post: pairing.n_post,
                });
            }
            for pre in 0..pairing.n_pre {
                let row: Vec<u32> = if pairing.excludes(pre, pre) {
                    Vec::new()
                } else {
                    vec![pre as u32]
                };
                rows.push_row(&row)?;
            }
        }
        Rule::Probability(p) => {
            for pre in 0..pairing.n_pre {
                let mut rng = stream(0, pre);
                let mut row = Vec::new();
                if p >= 1.0 {
                    row.extend(
                        (0..pairing.n_post)
                            .filter(|&post| !pairing.excludes(pre, post))
                            .map(|post| post as u32),
                    );
                } else if p > 0.0 {
                    // ln(1 − p) by ln_1p for accuracy at small p.
                    let log_q = (-p).ln_1p();
                    let mut next: f64 = -1.0;
                    loop {
                        // u ∈ (0, 1]: the logarithm is finite.
                        let u = 1.0 - rng.uniform();
                        next += (u.ln() / log_q).floor() + 1.0;
                        if next >= pairing.n_post as f64 {
                            break;
                        }
                        let post = next as usize;
                        if !pairing.excludes(pre, post) {
                            row.push(post as u32);
                        }
                    }
                }
                rows.push_row(&row)?;
            }
        }
        Rule::FixedOutdegree(k) => {
            for pre in 0..pairing.n_pre {
                let excluded =
                    (pairing.same_population && !pairing.autapses && pre < pairing.n_post)
                        .then_some(pre);
                let mut rng = stream(0, pre);
                let row = draw_distinct(&mut rng, k, pairing.n_post, excluded, "post")?;
                rows.push_row(&row)?;
            }
        }
        Rule::FixedIndegree(k) => {
            // Drawn per post neuron, then sorted into rows by pre neuron (a counting sort).
            let mut sources: Vec<Vec<u32>> = Vec::with_capacity(pairing.n_post);
            for post in 0..pairing.n_post {
                let excluded =
                    (pairing.same_population && !pairing.autapses && post < pairing.n_pre)
                        .then_some(post);
                let mut rng = stream(1, post);
                sources.push(draw_distinct(&mut rng, k, pairing.n_pre, excluded, "pre")?);
            }
            return Ok(transpose(&sources, pairing.n_pre, pairing.n_post));
        }
        Rule::File(_) => return Err(ConnectError::FromFile),
    }
    Ok(rows.finish(pairing.n_post))
}

/// Rows of targets, appended one pre neuron at a time, with fallible growth.
/// The synapses listed as `(pre, post)` edges (a `file(…)` rule), and for each synapse the
/// index of its edge in the list: rows by presynaptic neuron, targets ascending (edges of
/// one pair in list order), so per-edge values follow their synapse. An edge may repeat
/// (two synapses of one pair).
pub fn from_edges(
    edges: &[(u32, u32)],
    n_pre: usize,
    n_post: usize,
) -> Result<(Synapses, Vec<usize>), ConnectError> {
    if let Some((edge, &(pre, post))) = edges
        .iter()
        .enumerate()
        .find(|(_, &(pre, post))| pre as usize >= n_pre || post as usize >= n_post)
    {
        return Err(ConnectError::EdgeOutOfRange {
            edge,
            pre,
            post,
            n_pre,
            n_post,
        });
    }
    let mut order: Vec<usize> = (0..edges.len()).collect();
    // Stable: edges of one pair keep the file's order.
    order.sort_by_key(|&e| edges[e]);
    let mut offsets = vec![0u64; n_pre + 1];
    for &(pre, _) in edges {
        offsets[pre as usize + 1] += 1;
    }
    for i in 0..n_pre {
        offsets[i + 1] += offsets[i];
    }
    let targets = order.iter().map(|&e| edges[e].1).collect();
    Ok((
        Synapses {
            n_pre,
            n_post,
            offsets,
            targets,
        },
        order,
    ))
}

struct Rows {
    offsets: Vec<u64>,
    targets: Vec<u32>,
}

impl Rows {
    fn new(n_pre: usize) -> Rows {
        let mut offsets = Vec::with_capacity(n_pre + 1);
        offsets.push(0);
        Rows {
            offsets,
            targets: Vec::new(),
        }
    }

    fn push_row(&mut self, row: &[u32]) -> Result<(), ConnectError> {
        self.targets
            .try_reserve(row.len())
            .map_err(|_| ConnectError::OutOfMemory {
                made: self.targets.len(),
            })?;
        self.targets.extend_from_slice(row);
        self.offsets.push(self.targets.len() as u64);
        Ok(())
    }

    fn finish(self, n_post: usize) -> Synapses {
        Synapses {
            n_pre: self.offsets.len() - 1,
            n_post,
            offsets: self.offsets,
            targets: self.targets,
        }
    }
}

/// `k` distinct indices of `0..n` without `excluded`, ascending, every such set equally
/// likely (Floyd's algorithm on the `n − 1` or `n` candidates).
fn draw_distinct(
    rng: &mut Xoshiro256,
    k: u64,
    n: usize,
    excluded: Option<usize>,
    side: &'static str,
) -> Result<Vec<u32>, ConnectError> {
    let candidates = n - usize::from(excluded.is_some());
    if k > candidates as u64 {
        return Err(ConnectError::TooFew {
            k,
            candidates,
            side,
        });
    }
    let k = k as usize;
    let mut chosen: HashSet<usize> = HashSet::with_capacity(k);
    for j in (candidates - k)..candidates {
        // Uniform in 0..=j by a 128-bit multiply (bias below 2⁻³²).
        let t = ((rng.next_u64() as u128 * (j as u128 + 1)) >> 64) as usize;
        if !chosen.insert(t) {
            chosen.insert(j);
        }
    }
    // Candidate c stands for neuron c, or c + 1 at and after the excluded neuron.
    let mut drawn: Vec<u32> = chosen
        .into_iter()
        .map(|c| match excluded {
            Some(e) if c >= e => (c + 1) as u32,
            _ => c as u32,
        })
        .collect();
    drawn.sort_unstable();
    Ok(drawn)
}

/// Rows by pre neuron from lists of pre neurons by post neuron.
fn transpose(sources: &[Vec<u32>], n_pre: usize, n_post: usize) -> Synapses {
    let mut offsets = vec![0u64; n_pre + 1];
    for list in sources {
        for &pre in list {
            offsets[pre as usize + 1] += 1;
        }
    }
    for i in 0..n_pre {
        offsets[i + 1] += offsets[i];
    }
    let mut fill: Vec<u64> = offsets[..n_pre].to_vec();
    let mut targets = vec![0u32; offsets[n_pre] as usize];
    // Posts in ascending order, so each row comes out ascending.
    for (post, list) in sources.iter().enumerate() {
        for &pre in list {
            targets[fill[pre as usize] as usize] = post as u32;
            fill[pre as usize] += 1;
        }
    }
    Synapses {
        n_pre,
        n_post,
        offsets,
        targets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairing(n_pre: usize, n_post: usize, same_population: bool, autapses: bool) -> Pairing {
        Pairing {
            n_pre,
            n_post,
            same_population,
            autapses,
        }
    }

    fn every_row_ascending_and_distinct(s: &Synapses) {
        for pre in 0..s.n_pre {
            let row = s.targets_of(pre);
            assert!(row.windows(2).all(|w| w[0] < w[1]), "row {pre}: {row:?}");
            assert!(row.iter().all(|&post| (post as usize) < s.n_post));
        }
    }

    #[test]
    fn all_to_all_and_one_to_one_count_exactly() {
        let s = connect(&Rule::AllToAll, pairing(30, 20, false, false), 1, 0).unwrap();
        assert_eq!(s.len(), 600);
        let s = connect(&Rule::AllToAll, pairing(30, 30, true, false), 1, 0).unwrap();
        assert_eq!(s.len(), 30 * 29, "no i → i");
        assert!((0..30).all(|i| !s.targets_of(i).contains(&(i as u32))));
        let s = connect(&Rule::AllToAll, pairing(30, 30, true, true), 1, 0).unwrap();
        assert_eq!(s.len(), 900, "autapses = true keeps i → i");
        let s = connect(&Rule::OneToOne, pairing(25, 25, false, false), 1, 0).unwrap();
        assert!((0..25).all(|i| s.targets_of(i) == [i as u32]));
        assert_eq!(
            connect(&Rule::OneToOne, pairing(3, 4, false, false), 1, 0),
            Err(ConnectError::SizesDiffer {
                n_pre: 3,
                n_post: 4
            })
        );
    }

    /// The number of synapses of probability(p) is Binomial(pairs, p): within 4 standard
    /// deviations; each row's count is Binomial(n_post, p) too, so its mean over rows is
    /// n_post·p within 4 standard errors.
    #[test]
    fn probability_makes_binomially_many_synapses() {
        let (n, p) = (2000usize, 0.02);
        let s = connect(&Rule::Probability(p), pairing(n, n, true, false), 7, 3).unwrap();
        every_row_ascending_and_distinct(&s);
        let pairs = (n * (n - 1)) as f64;
        let mean = pairs * p;
        let sd = (pairs * p * (1.0 - p)).sqrt();
        assert!(
            ((s.len() as f64) - mean).abs() < 4.0 * sd,
            "{} synapses, expected {mean} ± {sd}",
            s.len()
        );
        assert!((0..n).all(|i| !s.targets_of(i).contains(&(i as u32))));
        // The same seed gives the same synapses; another seed other ones.
        assert_eq!(
            s,
            connect(&Rule::Probability(p), pairing(n, n, true, false), 7, 3).unwrap()
        );
        assert_ne!(
            s,
            connect(&Rule::Probability(p), pairing(n, n, true, false), 8, 3).unwrap()
        );
        // The edges of p.
        assert!(
            connect(&Rule::Probability(0.0), pairing(50, 50, false, false), 1, 0)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            connect(&Rule::Probability(1.0), pairing(50, 50, true, false), 1, 0)
                .unwrap()
                .len(),
            50 * 49
        );
    }

    /// Each target column of a uniform choice is hit equally often: with probability p
    /// every post neuron's indegree is Binomial(n_pre, p); the mean indegree is
    /// n_pre·p within 4 standard errors.
    #[test]
    fn probability_spreads_over_every_target() {
        let (n_pre, n_post, p) = (4000usize, 500usize, 0.05);
        let s = connect(
            &Rule::Probability(p),
            pairing(n_pre, n_post, false, false),
            11,
            0,
        )
        .unwrap();
        let indegrees = s.indegrees();
        let mean = indegrees.iter().map(|&d| d as f64).sum::<f64>() / n_post as f64;
        let expected = n_pre as f64 * p;
        let standard_error = (n_pre as f64 * p * (1.0 - p) / n_post as f64).sqrt();
        assert!(
            (mean - expected).abs() < 4.0 * standard_error,
            "{mean} vs {expected}"
        );
        // Both halves of the targets get their share (the skips do not drift).
        let first_half: u32 = indegrees[..n_post / 2].iter().sum();
        let second_half: u32 = indegrees[n_post / 2..].iter().sum();
        let half_sd = (s.len() as f64 / 4.0).sqrt();
        assert!((first_half as f64 - second_half as f64).abs() < 8.0 * half_sd);
    }

    #[test]
    fn fixed_degrees_are_exact_and_distinct() {
        let s = connect(
            &Rule::FixedIndegree(80),
            pairing(1000, 250, false, false),
            3,
            1,
        )
        .unwrap();
        every_row_ascending_and_distinct(&s);
        assert!(s.indegrees().iter().all(|&d| d == 80));
        assert_eq!(s.len(), 250 * 80);
        // Onto itself without autapses: K of the other n − 1.
        let s = connect(
            &Rule::FixedIndegree(99),
            pairing(100, 100, true, false),
            3,
            1,
        )
        .unwrap();
        assert!(s.indegrees().iter().all(|&d| d == 99));
        assert!((0..100).all(|i| !s.targets_of(i).contains(&(i as u32))));
        let s = connect(
            &Rule::FixedOutdegree(30),
            pairing(200, 60, false, false),
            5,
            2,
        )
        .unwrap();
        every_row_ascending_and_distinct(&s);
        assert!((0..200).all(|i| s.targets_of(i).len() == 30));
        assert_eq!(
            connect(
                &Rule::FixedIndegree(100),
                pairing(100, 100, true, false),
                3,
                1
            ),
            Err(ConnectError::TooFew {
                k: 100,
                candidates: 99,
                side: "pre"
            })
        );
        assert_eq!(
            connect(
                &Rule::FixedOutdegree(61),
                pairing(10, 60, false, false),
                3,
                1
            ),
            Err(ConnectError::TooFew {
                k: 61,
                candidates: 60,
                side: "post"
            })
        );
    }

    /// Floyd's algorithm picks every neuron equally often: over 2000 draws of 5 of 20,
    /// each neuron is chosen 500 times on average (± 4 standard deviations).
    #[test]
    fn distinct_draws_are_uniform() {
        let mut counts = [0u32; 20];
        for draw in 0..2000u64 {
            let mut rng = Xoshiro256::for_stream(1, &[draw]);
            for i in draw_distinct(&mut rng, 5, 20, None, "pre").unwrap() {
                counts[i as usize] += 1;
            }
        }
        // Each count is Binomial(2000, 1/4): sd ≈ 19.4.
        assert!(
            counts
                .iter()
                .all(|&c| (c as f64 - 500.0).abs() < 4.0 * 19.4),
            "{counts:?}"
        );
    }

    /// 4 bytes per synapse plus 8 per pre neuron: with 80 inputs per neuron at most 4.2
    /// bytes per synapse (Brunel's 800 inputs: 4.01), far below the 12-byte target.
    #[test]
    fn memory_per_synapse_is_small() {
        let s = connect(
            &Rule::FixedIndegree(80),
            pairing(1000, 1000, true, false),
            1,
            0,
        )
        .unwrap();
        let per_synapse = s.bytes() as f64 / s.len() as f64;
        assert!(per_synapse <= 4.2, "{per_synapse} bytes per synapse");
    }
}
