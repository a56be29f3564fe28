//! `Population`: the structure-of-arrays buffers of N neurons that every kernel (JIT or
//! interpreter) reads and writes, and `Shape`, the mapping from a `StepProgram`'s layout to
//! array ("slot") numbers inside one contiguous buffer.
//!
//! All arrays live in one `Vec<f64>` of `slots × stride` values; slot `s` of neuron `i` is
//! at `s·stride + i`, where the stride is `n` rounded up to a whole number of
//! [`BLOCK`]-neuron blocks (see `docs/design-blocks.md`: blocked kernels will process whole
//! blocks; the padding lanes `n ≤ i < stride` stay 0.0 and no kernel reads or writes them
//! yet). Slots are numbered states, params, inputs, intermediates, then three per event
//! (condition, crossing, refractory duration), then the status slot a blocked step writes
//! per block ([`BlockStatus`]). The generated code computes the same
//! address, so the buffer layout is the ABI between this file and `galvani-codegen`'s
//! `lower.rs`.

use galvani_ir::propagator::Propagator;
use galvani_ir::step::{StepProgram, Target};

/// Neurons per block: every array's length (the stride) is a multiple of it.
pub const BLOCK: usize = 64;

/// `n` rounded up to a whole number of blocks; `None` on overflow.
pub fn stride_of(n: usize) -> Option<usize> {
    n.checked_next_multiple_of(BLOCK)
}

/// How many arrays of each kind a program needs (one f64 per neuron each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub states: usize,
    pub params: usize,
    pub inputs: usize,
    pub intermediates: usize,
    pub events: usize,
}

/// The per-event arrays a kernel writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EventArray {
    /// The condition (1.0/0.0), written by the event's condition block.
    Condition = 0,
    /// The crossing function (`a − b` for `a > b`), written by the condition block when the
    /// condition is a single comparison; otherwise left untouched.
    Crossing = 1,
    /// The refractory duration, written by the actions block for the neurons that fired.
    Refractory = 2,
}

const EVENT_ARRAYS: usize = 3;

/// What a blocked step learns about each block of [`BLOCK`] neurons as it computes it
/// (`Kernel::step_writes_status`), so that the runtime need not look at every neuron
/// again: kept in the status slot, in the lanes of the block's own neurons (a kernel run
/// on a range of whole blocks writes its blocks' entries where they belong).
///
/// - lane 0 ([`BlockStatus::NONFINITE`]): `s − s` with `s` the sum of every new state of
///   the block's computed lanes: 0 when all are finite, NaN when one is ±∞ or NaN (or
///   when the sum overflows: a flag raised for nothing);
/// - lane `1 + e` ([`BlockStatus::fired`]): `Σ c` over the condition of fused event `e`
///   (1.0/0.0): 0 when no computed lane's condition holds.
///
/// A block's computed lanes are its neurons and the padding lanes of its last lane pair,
/// which hold neuron 0's values: a flag may be raised for them, never lowered, so the
/// runtime takes a flag as "look at this block" and a clear entry as a fact.
pub struct BlockStatus;

impl BlockStatus {
    pub const NONFINITE: usize = 0;
    /// Fused events with a status lane: `e < MAX_EVENTS`.
    pub const MAX_EVENTS: usize = BLOCK - 1;

    /// The lane of fused event `e`'s condition sum.
    pub fn fired(event: usize) -> usize {
        1 + event
    }
}

impl Shape {
    pub fn of(program: &StepProgram) -> Shape {
        Shape {
            states: program.layout.states.len(),
            params: program.layout.params.len(),
            inputs: program.layout.inputs.len(),
            intermediates: program.layout.intermediates.len(),
            events: program.events.len(),
        }
    }

    /// The number of arrays (slots) in a population of this shape: the program's, then
    /// the status slot.
    pub fn slot_count(&self) -> usize {
        self.status_slot() + 1
    }

    /// The slot of the per-block status a blocked step writes ([`BlockStatus`]), after
    /// every slot of the program.
    pub fn status_slot(&self) -> usize {
        self.states + self.params + self.inputs + self.intermediates + EVENT_ARRAYS * self.events
    }

    pub fn state_slot(&self, i: usize) -> usize {
        i
    }
    pub fn param_slot(&self, i: usize) -> usize {
        self.states + i
    }
    pub fn input_slot(&self, i: usize) -> usize {
        self.states + self.params + i
    }
    pub fn intermediate_slot(&self, i: usize) -> usize {
        self.states + self.params + self.inputs + i
    }
    pub fn event_slot(&self, event: usize, array: EventArray) -> usize {
        self.states
            + self.params
            + self.inputs
            + self.intermediates
            + EVENT_ARRAYS * event
            + array as usize
    }

    /// The slot a block output writes. `event` is the event whose block it is (needed for
    /// `Condition`, `Crossing`, `Refractory`); `None` when the target does not exist in this
    /// shape or needs an event the block does not have.
    pub fn target_slot(&self, target: Target, event: Option<usize>) -> Option<usize> {
        let in_range = |i: u32, len: usize| (i as usize) < len;
        match target {
            Target::State(i) if in_range(i, self.states) => Some(self.state_slot(i as usize)),
            Target::Param(i) if in_range(i, self.params) => Some(self.param_slot(i as usize)),
            Target::Input(i) if in_range(i, self.inputs) => Some(self.input_slot(i as usize)),
            Target::Intermediate(i) if in_range(i, self.intermediates) => {
                Some(self.intermediate_slot(i as usize))
            }
            Target::Condition => event
                .filter(|&e| e < self.events)
                .map(|e| self.event_slot(e, EventArray::Condition)),
            Target::Crossing => event
                .filter(|&e| e < self.events)
                .map(|e| self.event_slot(e, EventArray::Crossing)),
            Target::Refractory => event
                .filter(|&e| e < self.events)
                .map(|e| self.event_slot(e, EventArray::Refractory)),
            _ => None,
        }
    }
}

/// The buffers of `n` neurons of one program, structure of arrays. Every array holds
/// `stride ≥ n` values by construction (the storage is private and never resized), which
/// is what makes the kernels' raw-pointer loops safe once the shape is checked; the
/// accessors show the first `n`.
///
/// Accessors panic on an index outside the program's layout, like slice indexing: indices
/// come from the layout (resolved names), never directly from user input.
#[derive(Clone, Debug, PartialEq)]
pub struct Population {
    shape: Shape,
    n: usize,
    /// The length of every array: `n` rounded up to whole blocks.
    stride: usize,
    data: Vec<f64>,
}

impl Population {
    /// A population for `program` with every value 0.0.
    pub fn new(program: &StepProgram, n: usize) -> Population {
        Population::with_shape(Shape::of(program), n)
    }

    /// Like `new`, but `None` instead of aborting when `slots × stride` values cannot be
    /// allocated (a population size from the command line).
    pub fn try_new(program: &StepProgram, n: usize) -> Option<Population> {
        let shape = Shape::of(program);
        let stride = stride_of(n)?;
        let len = shape.slot_count().checked_mul(stride)?;
        let mut data = Vec::new();
        data.try_reserve_exact(len).ok()?;
        data.resize(len, 0.0);
        Some(Population {
            shape,
            n,
            stride,
            data,
        })
    }

    pub fn with_shape(shape: Shape, n: usize) -> Population {
        let stride = stride_of(n).expect("a population size that fits in memory");
        Population {
            shape,
            n,
            stride,
            data: vec![0.0; shape.slot_count() * stride],
        }
    }

    /// The length of every array (`n` rounded up to whole [`BLOCK`]s): the distance between
    /// one slot's values and the next in [`raw_mut`](Self::raw_mut).
    pub fn stride(&self) -> usize {
        self.stride
    }

    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// The number of neurons.
    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    fn slot(&self, slot: usize) -> &[f64] {
        let start = slot * self.stride;
        &self.data[start..start + self.n]
    }

    fn slot_mut(&mut self, slot: usize) -> &mut [f64] {
        let start = slot * self.stride;
        &mut self.data[start..start + self.n]
    }

    fn check(index: usize, len: usize, what: &str) {
        assert!(index < len, "{what} index {index} out of range ({len})");
    }

    pub fn state(&self, i: usize) -> &[f64] {
        Self::check(i, self.shape.states, "state");
        self.slot(self.shape.state_slot(i))
    }
    pub fn state_mut(&mut self, i: usize) -> &mut [f64] {
        Self::check(i, self.shape.states, "state");
        self.slot_mut(self.shape.state_slot(i))
    }
    pub fn param(&self, i: usize) -> &[f64] {
        Self::check(i, self.shape.params, "param");
        self.slot(self.shape.param_slot(i))
    }
    pub fn param_mut(&mut self, i: usize) -> &mut [f64] {
        Self::check(i, self.shape.params, "param");
        self.slot_mut(self.shape.param_slot(i))
    }
    pub fn input(&self, i: usize) -> &[f64] {
        Self::check(i, self.shape.inputs, "input");
        self.slot(self.shape.input_slot(i))
    }
    pub fn input_mut(&mut self, i: usize) -> &mut [f64] {
        Self::check(i, self.shape.inputs, "input");
        self.slot_mut(self.shape.input_slot(i))
    }
    pub fn intermediate(&self, i: usize) -> &[f64] {
        Self::check(i, self.shape.intermediates, "intermediate");
        self.slot(self.shape.intermediate_slot(i))
    }
    pub fn intermediate_mut(&mut self, i: usize) -> &mut [f64] {
        Self::check(i, self.shape.intermediates, "intermediate");
        self.slot_mut(self.shape.intermediate_slot(i))
    }
    pub fn event(&self, event: usize, array: EventArray) -> &[f64] {
        Self::check(event, self.shape.events, "event");
        self.slot(self.shape.event_slot(event, array))
    }
    pub fn event_mut(&mut self, event: usize, array: EventArray) -> &mut [f64] {
        Self::check(event, self.shape.events, "event");
        self.slot_mut(self.shape.event_slot(event, array))
    }

    /// The value of `slot` for neuron `i`: access by slot number, for a kernel that
    /// executes resolved slots (the interpreter). Panics outside the buffer.
    pub fn get(&self, slot: usize, i: usize) -> f64 {
        assert!(i < self.n, "neuron {i} out of range ({})", self.n);
        self.data[slot * self.stride + i]
    }

    /// Writes `value` into `slot` for neuron `i` (the counterpart of `get`).
    pub fn set(&mut self, slot: usize, i: usize, value: f64) {
        assert!(i < self.n, "neuron {i} out of range ({})", self.n);
        self.data[slot * self.stride + i] = value;
    }

    /// The status slot ([`BlockStatus`]): `stride` values, block `b`'s lane `l` at
    /// `b·BLOCK + l`.
    pub fn status(&self) -> &[f64] {
        &self.data[self.shape.status_slot() * self.stride..][..self.stride]
    }

    /// The status slot, to raise a flag the step could not know of (a condition changed
    /// after it).
    pub fn status_mut(&mut self) -> &mut [f64] {
        let start = self.shape.status_slot() * self.stride;
        &mut self.data[start..][..self.stride]
    }

    /// Lane `lane` of every block's status ([`BlockStatus`]), block by block.
    pub fn block_status(&self, lane: usize) -> impl Iterator<Item = f64> + '_ {
        self.status().iter().skip(lane).step_by(BLOCK).copied()
    }

    /// Per param, its value when every neuron has the same bits, else `None` (all `None`
    /// for an empty population).
    pub fn uniform_params(&self) -> Vec<Option<f64>> {
        (0..self.shape.params)
            .map(|p| uniform(self.param(p)))
            .collect()
    }

    /// Writes every neuron's propagator (`E`, `F` of [`Propagator`]) for steps of `dt`
    /// from its matrix params, which the params block has computed. A neuron whose matrix
    /// has the same bits as the neuron before it takes that neuron's values: uniform
    /// params cost one matrix exponential.
    pub fn fill_propagator(&mut self, propagator: &Propagator, dt: f64) {
        let matrix_bits = |pop: &Population, i: usize| -> Vec<u64> {
            propagator
                .matrix
                .iter()
                .map(|entry| pop.param(entry.param as usize)[i].to_bits())
                .collect()
        };
        // The previous neuron's matrix bits and its `(slot, value)` pairs.
        let mut last_bits: Option<Vec<u64>> = None;
        let mut values: Vec<(u32, f64)> = Vec::new();
        for i in 0..self.n {
            let bits = matrix_bits(self, i);
            if last_bits.as_ref() != Some(&bits) {
                values = propagator.fill(|slot| self.param(slot as usize)[i], dt);
                last_bits = Some(bits);
            }
            for &(slot, value) in &values {
                self.param_mut(slot as usize)[i] = value;
            }
        }
    }

    /// Per input: its value when every neuron has the same bits, else `None` (as
    /// [`Population::uniform_params`]).
    pub fn uniform_inputs(&self) -> Vec<Option<f64>> {
        (0..self.shape.inputs)
            .map(|j| uniform(self.input(j)))
            .collect()
    }

    /// Copies neuron 0's value of every array into the padding lanes `n ≤ i < stride`, so a
    /// blocked kernel, which computes whole blocks, computes finite values there from
    /// finite params and states (`docs/design-blocks.md`). Nothing reads those lanes back:
    /// the accessors show the first `n`. Does nothing for an empty population.
    pub fn fill_padding(&mut self) {
        if self.n == 0 {
            return;
        }
        for row in self.data.chunks_exact_mut(self.stride) {
            let first = row[0];
            row[self.n..].fill(first);
        }
    }

    /// The whole buffer, for the JIT call (`slot_count × stride` values, slot `s` of
    /// neuron `i` at `s·stride + i`). A slice cannot be resized, so the length invariant
    /// still holds.
    pub fn raw_mut(&mut self) -> &mut [f64] {
        &mut self.data
    }
}

/// The value of `values` when every one has the same bits (and there is one).
fn uniform(values: &[f64]) -> Option<f64> {
    let first = values.first()?.to_bits();
    values
        .iter()
        .all(|v| v.to_bits() == first)
        .then(|| f64::from_bits(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The slot numbering is the ABI of the generated code: states, params, inputs,
    /// intermediates, three arrays per event, then the status slot.
    #[test]
    fn slots_follow_the_documented_order() {
        let shape = Shape {
            states: 2,
            params: 3,
            inputs: 1,
            intermediates: 1,
            events: 2,
        };
        assert_eq!(shape.slot_count(), 14);
        assert_eq!(shape.status_slot(), 13);
        assert_eq!(shape.param_slot(0), 2);
        assert_eq!(shape.input_slot(0), 5);
        assert_eq!(shape.intermediate_slot(0), 6);
        assert_eq!(shape.event_slot(1, EventArray::Refractory), 12);
        assert_eq!(shape.target_slot(Target::Crossing, Some(1)), Some(11));
        assert_eq!(shape.target_slot(Target::Crossing, Some(2)), None);
        assert_eq!(shape.target_slot(Target::Condition, None), None);
        assert_eq!(shape.target_slot(Target::State(2), None), None);
    }

    #[test]
    fn slot_access_and_named_access_see_the_same_values() {
        let shape = Shape {
            states: 1,
            params: 1,
            inputs: 0,
            intermediates: 0,
            events: 1,
        };
        let mut pop = Population::with_shape(shape, 2);
        pop.param_mut(0).copy_from_slice(&[4.0, 5.0]);
        pop.set(shape.event_slot(0, EventArray::Crossing), 1, -1.5);
        assert_eq!(pop.get(shape.param_slot(0), 1), 5.0);
        assert_eq!(pop.event(0, EventArray::Crossing), &[0.0, -1.5]);
        // Two neurons, padded to one block per array; slot 1 starts one stride in.
        assert_eq!(pop.stride(), BLOCK);
        assert_eq!(pop.raw_mut().len(), shape.slot_count() * BLOCK);
        assert_eq!(pop.raw_mut()[shape.param_slot(0) * BLOCK + 1], 5.0);
    }

    #[test]
    fn strides_are_whole_blocks() {
        assert_eq!(stride_of(1), Some(BLOCK));
        assert_eq!(stride_of(BLOCK), Some(BLOCK));
        assert_eq!(stride_of(BLOCK + 1), Some(2 * BLOCK));
        assert_eq!(stride_of(10_000), Some(10_048));
        assert_eq!(stride_of(usize::MAX), None);
        // The accessors show n values; the padding is not part of any array's view.
        let shape = Shape {
            states: 2,
            params: 0,
            inputs: 0,
            intermediates: 0,
            events: 0,
        };
        let mut pop = Population::with_shape(shape, 65);
        assert_eq!(pop.stride(), 128);
        assert_eq!(pop.state(1).len(), 65);
        pop.state_mut(1)[64] = 7.0;
        assert_eq!(pop.raw_mut()[128 + 64], 7.0);
    }

    #[test]
    fn uniform_params_are_those_every_neuron_shares() {
        let shape = Shape {
            states: 0,
            params: 3,
            inputs: 0,
            intermediates: 0,
            events: 0,
        };
        let mut pop = Population::with_shape(shape, 3);
        pop.param_mut(0).fill(2.5);
        pop.param_mut(1).copy_from_slice(&[1.0, 1.0, 2.0]);
        pop.param_mut(2).copy_from_slice(&[0.0, -0.0, 0.0]);
        assert_eq!(pop.uniform_params(), vec![Some(2.5), None, None]);
        assert_eq!(
            Population::with_shape(shape, 0).uniform_params(),
            vec![None; 3]
        );
    }

    #[test]
    fn padding_lanes_get_neuron_zero() {
        let shape = Shape {
            states: 2,
            params: 0,
            inputs: 0,
            intermediates: 0,
            events: 0,
        };
        let mut pop = Population::with_shape(shape, 3);
        pop.state_mut(0).copy_from_slice(&[1.0, 2.0, 3.0]);
        pop.state_mut(1).copy_from_slice(&[4.0, 5.0, 6.0]);
        pop.fill_padding();
        assert_eq!(pop.state(0), &[1.0, 2.0, 3.0]);
        let raw = pop.raw_mut();
        assert!(raw[3..BLOCK].iter().all(|&x| x == 1.0));
        assert!(raw[BLOCK + 3..2 * BLOCK].iter().all(|&x| x == 4.0));
        Population::with_shape(shape, 0).fill_padding();
    }
}
