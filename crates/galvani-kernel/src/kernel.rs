//! The `Kernel` trait: the one interface of an executable `StepProgram`, implemented by
//! `galvani-codegen`'s JIT (`JitKernel`) and reference interpreter (`Interpreter`), so the
//! runtime is generic over both. Also `BlockKind` (which block of the program to run) and
//! `check_call`, the checks every call goes through before touching the buffers.

use crate::population::{Population, Shape};
use galvani_ir::step::{Block, StepProgram};
use thiserror::Error;

/// One block of a `StepProgram`; each is one generated function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BlockKind {
    /// Derived params; outputs for overridden params are skipped (see `BlockArgs`).
    Params,
    /// Default values of the inputs, written into the input arrays.
    InputDefaults,
    /// Initial states; outputs for overridden states are skipped.
    Init,
    /// One integration step: new states from old states, params, inputs, `t`, `dt`.
    Step,
    /// Intermediates from the current state (for recording).
    Intermediates,
    /// Event `e`'s condition (and crossing function) for every neuron.
    Condition(usize),
    /// Event `e`'s condition for the listed neurons only (the same block as `Condition`):
    /// after resets and held states, which change a few neurons of a step.
    ConditionAt(usize),
    /// Event `e`'s actions, for the listed neurons only.
    Actions(usize),
}

impl BlockKind {
    /// Every block of `program`, in the order the code generator emits them.
    pub fn all(program: &StepProgram) -> Vec<BlockKind> {
        let mut kinds = vec![
            BlockKind::Params,
            BlockKind::InputDefaults,
            BlockKind::Init,
            BlockKind::Step,
            BlockKind::Intermediates,
        ];
        for e in 0..program.events.len() {
            kinds.push(BlockKind::Condition(e));
            kinds.push(BlockKind::ConditionAt(e));
            kinds.push(BlockKind::Actions(e));
        }
        kinds
    }

    /// This block's index in `BlockKind::all(program)`: `O(1)`, so a kernel finds a
    /// block's function by indexing instead of searching (10,000 events make 20,000
    /// blocks, and the runtime calls two of them per event and step).
    pub fn position(self) -> usize {
        match self {
            BlockKind::Params => 0,
            BlockKind::InputDefaults => 1,
            BlockKind::Init => 2,
            BlockKind::Step => 3,
            BlockKind::Intermediates => 4,
            BlockKind::Condition(e) => 5 + 3 * e,
            BlockKind::ConditionAt(e) => 6 + 3 * e,
            BlockKind::Actions(e) => 7 + 3 * e,
        }
    }

    /// A stable name: `params`, `step`, `event0_condition`, …
    pub fn name(self) -> String {
        match self {
            BlockKind::Params => "params".to_string(),
            BlockKind::InputDefaults => "input_defaults".to_string(),
            BlockKind::Init => "init".to_string(),
            BlockKind::Step => "step".to_string(),
            BlockKind::Intermediates => "intermediates".to_string(),
            BlockKind::Condition(e) => format!("event{e}_condition"),
            BlockKind::ConditionAt(e) => format!("event{e}_condition_at"),
            BlockKind::Actions(e) => format!("event{e}_actions"),
        }
    }

    /// The block of `program`, `None` for an event the program does not have.
    pub fn block(self, program: &StepProgram) -> Option<&Block> {
        Some(match self {
            BlockKind::Params => &program.params,
            BlockKind::InputDefaults => &program.input_defaults,
            BlockKind::Init => &program.init,
            BlockKind::Step => &program.step,
            BlockKind::Intermediates => &program.intermediates,
            BlockKind::Condition(e) | BlockKind::ConditionAt(e) => {
                &program.events.get(e)?.condition
            }
            BlockKind::Actions(e) => &program.events.get(e)?.actions,
        })
    }

    /// The event a block belongs to.
    pub fn event(self) -> Option<usize> {
        match self {
            BlockKind::Condition(e) | BlockKind::ConditionAt(e) | BlockKind::Actions(e) => Some(e),
            _ => None,
        }
    }

    /// True when the block runs for a list of neurons rather than all of them.
    pub fn is_indexed(self) -> bool {
        matches!(self, BlockKind::ConditionAt(_) | BlockKind::Actions(_))
    }

    /// The length of the override mask the block takes (params or states), if any.
    pub fn mask_len(self, shape: &Shape) -> Option<usize> {
        match self {
            BlockKind::Params => Some(shape.params),
            BlockKind::Init => Some(shape.states),
            _ => None,
        }
    }
}

/// The arguments of one block call besides the population.
#[derive(Clone, Copy, Debug)]
pub struct BlockArgs<'a> {
    /// The value of `Inst::Time`.
    pub t: f64,
    /// The value of `Inst::Dt`.
    pub dt: f64,
    /// For `Params` (one flag per param) and `Init` (one per state): `true` marks a value
    /// the run overrides. Its output is not written (the array keeps the override), and a
    /// later instruction of the block that reads it gets the array's value. Ignored by the
    /// other blocks (pass `&[]`).
    pub overridden: &'a [bool],
    /// For `Actions` and `ConditionAt`: the neurons to run the block for. Ignored by the
    /// other blocks.
    pub neurons: &'a [u32],
}

impl BlockArgs<'_> {
    /// Arguments of a block that needs only `t` and `dt`.
    pub fn at(t: f64, dt: f64) -> BlockArgs<'static> {
        BlockArgs {
            t,
            dt,
            overridden: &[],
            neurons: &[],
        }
    }

    /// Arguments of an indexed block (`Actions`, `ConditionAt`) for `neurons`.
    pub fn listed(neurons: &[u32], t: f64, dt: f64) -> BlockArgs<'_> {
        BlockArgs {
            neurons,
            ..BlockArgs::at(t, dt)
        }
    }
}

/// A call that does not fit the program (a bug in the caller, never in the user's model).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum KernelError {
    #[error("population has shape {found:?}, the program needs {expected:?}")]
    PopulationShape { expected: Shape, found: Shape },
    #[error("block {block:?} does not exist in this program")]
    NoSuchBlock { block: BlockKind },
    #[error("block {block:?} needs {expected} override flags, got {found}")]
    MaskLength {
        block: BlockKind,
        expected: usize,
        found: usize,
    },
    #[error("neuron {neuron} out of range (population of {n})")]
    NeuronOutOfRange { neuron: u32, n: usize },
}

/// Checks a call against `program` before any buffer is touched. After `Ok`, every address
/// the block computes is inside `pop`'s buffer, the mask has the block's length, and every
/// listed neuron exists. Every `Kernel::run_block` calls it first: the JIT's generated code
/// relies on exactly these bounds.
pub fn check_call(
    program: &StepProgram,
    block: BlockKind,
    pop: &Population,
    args: &BlockArgs<'_>,
) -> Result<(), KernelError> {
    let expected = Shape::of(program);
    if pop.shape() != expected {
        return Err(KernelError::PopulationShape {
            expected,
            found: pop.shape(),
        });
    }
    if block.block(program).is_none() {
        return Err(KernelError::NoSuchBlock { block });
    }
    if let Some(len) = block.mask_len(&expected) {
        if args.overridden.len() != len {
            return Err(KernelError::MaskLength {
                block,
                expected: len,
                found: args.overridden.len(),
            });
        }
    }
    if block.is_indexed() {
        if let Some(&neuron) = args.neurons.iter().find(|&&i| i as usize >= pop.len()) {
            return Err(KernelError::NeuronOutOfRange {
                neuron,
                n: pop.len(),
            });
        }
    }
    Ok(())
}

/// An executable `StepProgram`. `run_block` is the one required method; the others name
/// the calls the runtime makes.
pub trait Kernel {
    fn program(&self) -> &StepProgram;

    /// Runs `block` for every neuron of `pop` (for `Actions`, for `args.neurons`).
    fn run_block(
        &self,
        block: BlockKind,
        pop: &mut Population,
        args: &BlockArgs<'_>,
    ) -> Result<(), KernelError>;

    /// Runs a dense `block` (every neuron: the step, a condition, the intermediates) with
    /// the work split over `team`'s threads, each taking a contiguous range of whole
    /// 64-neuron blocks (the calling thread the first). Neurons are independent within a
    /// block, so the results are the same bits as `run_block`'s for any number of
    /// threads. The default runs it on this thread; a kernel whose code may run on several
    /// threads at once overrides it.
    fn run_block_parallel(
        &self,
        block: BlockKind,
        pop: &mut Population,
        args: &BlockArgs<'_>,
        team: &crate::Team,
    ) -> Result<(), KernelError> {
        let _ = team;
        self.run_block(block, pop, args)
    }

    /// Evaluates the params block; `overridden[i]` keeps param `i`'s array as it is.
    fn eval_params(&self, pop: &mut Population, overridden: &[bool]) -> Result<(), KernelError> {
        let args = BlockArgs {
            overridden,
            ..BlockArgs::at(0.0, 0.0)
        };
        self.run_block(BlockKind::Params, pop, &args)
    }

    /// Writes every input's default into the input arrays.
    fn eval_input_defaults(&self, pop: &mut Population) -> Result<(), KernelError> {
        self.run_block(BlockKind::InputDefaults, pop, &BlockArgs::at(0.0, 0.0))
    }

    /// Params, input defaults and initial states as the program declares them, nothing
    /// overridden: a population ready for a block call, as tests and benchmarks set one
    /// up. (A run sets up through the runtime's `Stepper`, which also takes overrides and
    /// fills an `exact` program's propagator.)
    fn eval_declared(&self, pop: &mut Population) -> Result<(), KernelError> {
        let shape = pop.shape();
        self.eval_params(pop, &vec![false; shape.params])?;
        self.eval_input_defaults(pop)?;
        self.eval_init(pop, &vec![false; shape.states])
    }

    /// Writes initial states at `t = 0`; `overridden[i]` keeps state `i` as it is.
    fn eval_init(&self, pop: &mut Population, overridden: &[bool]) -> Result<(), KernelError> {
        let args = BlockArgs {
            overridden,
            ..BlockArgs::at(0.0, 0.0)
        };
        self.run_block(BlockKind::Init, pop, &args)
    }

    /// A kernel whose step block has `pop`'s uniform params (the same bits for every
    /// neuron, `Population::uniform_params`), its uniform inputs among those marked in
    /// `fixed_inputs` (`fixed_inputs[j]`: input `j` keeps its values for the whole run) and
    /// the step size `dt` compiled in as constants, or `None` when this kernel makes none
    /// (the default; the interpreter). It must compute the same bits as `self.step` on
    /// `pop` with `dt`, and is only valid for populations whose params and fixed inputs
    /// are those of `pop` and steps of `dt`: the runtime asks for it once a run's params
    /// and constant inputs are final and uses it only for that run's steps.
    fn specialize_step(
        &self,
        pop: &Population,
        dt: f64,
        fixed_inputs: &[bool],
    ) -> Option<Box<dyn Kernel>> {
        let _ = (pop, dt, fixed_inputs);
        None
    }

    /// True when the step block also writes event `event`'s condition and crossing at
    /// `t_{k+1}` from the new states (the same bits as the condition block run after the
    /// step): the runtime then skips that block after the step, and runs `ConditionAt`
    /// for the neurons whose states it puts back. False by default.
    fn step_writes_condition(&self, event: usize) -> bool {
        let _ = event;
        false
    }

    /// True when the step also writes every block's [`crate::BlockStatus`]: whether a
    /// new state of the block is not finite, and for each event the step writes the
    /// condition of (`step_writes_condition`, up to `BlockStatus::MAX_EVENTS`), whether
    /// it holds for some neuron of the block. False by default (nothing is written).
    fn step_writes_status(&self) -> bool {
        false
    }

    /// Advances every neuron by one step starting at `t`.
    fn step(&self, pop: &mut Population, t: f64, dt: f64) -> Result<(), KernelError> {
        self.run_block(BlockKind::Step, pop, &BlockArgs::at(t, dt))
    }

    /// Writes every intermediate of the current state at time `t`.
    fn eval_intermediates(&self, pop: &mut Population, t: f64, dt: f64) -> Result<(), KernelError> {
        self.run_block(BlockKind::Intermediates, pop, &BlockArgs::at(t, dt))
    }

    /// Writes event `event`'s condition (and crossing) arrays for the state at time `t`.
    fn eval_condition(
        &self,
        event: usize,
        pop: &mut Population,
        t: f64,
        dt: f64,
    ) -> Result<(), KernelError> {
        self.run_block(BlockKind::Condition(event), pop, &BlockArgs::at(t, dt))
    }

    /// Writes event `event`'s condition (and crossing) of `neurons` only, for the state
    /// at time `t`.
    fn eval_condition_at(
        &self,
        event: usize,
        pop: &mut Population,
        neurons: &[u32],
        t: f64,
        dt: f64,
    ) -> Result<(), KernelError> {
        self.run_block(
            BlockKind::ConditionAt(event),
            pop,
            &BlockArgs::listed(neurons, t, dt),
        )
    }

    /// Applies event `event`'s actions to `neurons` at time `t`.
    fn apply_actions(
        &self,
        event: usize,
        pop: &mut Population,
        neurons: &[u32],
        t: f64,
        dt: f64,
    ) -> Result<(), KernelError> {
        self.run_block(
            BlockKind::Actions(event),
            pop,
            &BlockArgs::listed(neurons, t, dt),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use galvani_ir::dim::Dim;
    use galvani_ir::model::DisplayUnit;
    use galvani_ir::step::{EventProgram, Layout, Method, Slot};

    fn slots(names: &[&str]) -> Vec<Slot> {
        names
            .iter()
            .map(|name| Slot {
                name: name.to_string(),
                unit: DisplayUnit {
                    text: String::new(),
                    dim: Dim::NONE,
                    scale: 1.0,
                },
            })
            .collect()
    }

    /// Two states, one param, one input, no intermediate, one event; every block empty
    /// (the checks look at the shape, never at the instructions).
    fn program() -> StepProgram {
        StepProgram {
            model: "contract".to_string(),
            method: Method::Euler,
            layout: Layout {
                states: slots(&["V", "w"]),
                params: slots(&["g"]),
                inputs: slots(&["I"]),
                intermediates: Vec::new(),
            },
            params: Block::default(),
            propagator: None,
            input_defaults: Block::default(),
            init: Block::default(),
            step: Block::default(),
            intermediates: Block::default(),
            events: vec![EventProgram {
                kind: galvani_ir::EventKind::Spike,
                condition: Block::default(),
                actions: Block::default(),
                held_states: Vec::new(),
                level: false,
            }],
        }
    }

    /// Kernels index their functions by `position` (constant work per call, whatever the
    /// number of events), so it must be the index in `all`.
    #[test]
    fn position_is_the_index_in_all() {
        let mut program = program();
        program.events = vec![program.events[0].clone(); 3];
        for (i, kind) in BlockKind::all(&program).into_iter().enumerate() {
            assert_eq!(kind.position(), i, "{kind:?}");
        }
    }

    #[test]
    fn every_block_is_listed_once_with_a_stable_name() {
        let names: Vec<String> = BlockKind::all(&program())
            .into_iter()
            .map(BlockKind::name)
            .collect();
        assert_eq!(
            names,
            [
                "params",
                "input_defaults",
                "init",
                "step",
                "intermediates",
                "event0_condition",
                "event0_condition_at",
                "event0_actions"
            ]
        );
    }

    #[test]
    fn calls_that_fit_the_program_pass() {
        let p = program();
        let pop = Population::new(&p, 3);
        let at = BlockArgs::at(0.0, 0.1);
        assert_eq!(check_call(&p, BlockKind::Step, &pop, &at), Ok(()));
        let params = BlockArgs {
            overridden: &[true],
            ..at
        };
        assert_eq!(check_call(&p, BlockKind::Params, &pop, &params), Ok(()));
        let actions = BlockArgs {
            neurons: &[0, 2],
            ..at
        };
        assert_eq!(
            check_call(&p, BlockKind::Actions(0), &pop, &actions),
            Ok(())
        );
    }

    #[test]
    fn calls_that_do_not_fit_the_program_are_rejected() {
        let p = program();
        let pop = Population::new(&p, 3);
        let at = BlockArgs::at(0.0, 0.1);

        let mut smaller = p.clone();
        smaller.layout.inputs.clear();
        let wrong = Population::new(&smaller, 3);
        assert_eq!(
            check_call(&p, BlockKind::Step, &wrong, &at),
            Err(KernelError::PopulationShape {
                expected: Shape::of(&p),
                found: Shape::of(&smaller),
            })
        );
        assert_eq!(
            check_call(&p, BlockKind::Condition(1), &pop, &at),
            Err(KernelError::NoSuchBlock {
                block: BlockKind::Condition(1)
            })
        );
        assert_eq!(
            check_call(&p, BlockKind::Init, &pop, &at),
            Err(KernelError::MaskLength {
                block: BlockKind::Init,
                expected: 2,
                found: 0,
            })
        );
        let actions = BlockArgs {
            neurons: &[1, 3],
            ..at
        };
        assert_eq!(
            check_call(&p, BlockKind::Actions(0), &pop, &actions),
            Err(KernelError::NeuronOutOfRange { neuron: 3, n: 3 })
        );
    }
}
