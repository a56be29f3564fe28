//! The param table of a population: every param of every neuron after `--set` overrides,
//! derived params recomputed from the overridden ones. It is computed by the kernel's own
//! `Params` block, so it is exactly what a run uses — there is no second implementation of
//! the override rule to drift from the first.

use crate::experiment::SimError;
use galvani_ir::step::StepProgram;
use galvani_ir::Model;
use galvani_kernel::{Kernel, Population};
use galvani_runtime::Values;

/// Param values in the model's declaration order, in internal units: one row serving every
/// neuron when no override differs between neurons, else one row per neuron.
/// `overrides` are `(layout slot, values)` as in `RunConfig::params`.
pub fn param_table<K: Kernel + ?Sized>(
    kernel: &K,
    model: &Model,
    program: &StepProgram,
    overrides: &[(usize, Values)],
    n: usize,
) -> Result<Vec<Vec<f64>>, SimError> {
    let uniform = overrides
        .iter()
        .all(|(_, values)| matches!(values, Values::Uniform(_)));
    let rows = if uniform { 1 } else { n };
    let mut population = Population::new(program, rows);
    let mut overridden = vec![false; program.layout.params.len()];
    for (slot, values) in overrides {
        let column = population.param_mut(*slot);
        match values {
            Values::Uniform(v) => column.fill(*v),
            Values::PerNeuron(per_neuron) => {
                for (cell, v) in column.iter_mut().zip(per_neuron) {
                    *cell = *v;
                }
            }
        }
        overridden[*slot] = true;
    }
    kernel.eval_params(&mut population, &overridden)?;
    let slots = model
        .params
        .iter()
        .map(|param| {
            program
                .layout
                .params
                .iter()
                .position(|slot| slot.name == param.name)
                .ok_or_else(|| SimError::MissingFromLayout(param.name.clone()))
        })
        .collect::<Result<Vec<usize>, SimError>>()?;
    Ok((0..rows)
        .map(|row| {
            slots
                .iter()
                .map(|&slot| population.param(slot)[row])
                .collect()
        })
        .collect())
}
