//! `ColumnLabel`: the name of one recorded column — variable, display unit and, in a
//! population, the neuron — as a value. The trace CSV header, the plot's panels and legends
//! and the terminal sketch all read it; none of them parses text back.

use galvani_runtime::Column;
use std::fmt;

/// One recorded column: `V[3] [mV]` is variable `V`, unit `mV`, neuron 3.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ColumnLabel {
    /// The state or intermediate, as declared.
    pub variable: String,
    /// The declared (display) unit; empty for a dimensionless variable.
    pub unit: String,
    /// The neuron, for a population of more than one neuron; `None` for a single neuron.
    pub neuron: Option<usize>,
}

impl ColumnLabel {
    /// The label of a runtime column in a population of `population` neurons: the neuron
    /// index is shown only when there is more than one.
    pub fn of(column: &Column, population: usize) -> ColumnLabel {
        ColumnLabel {
            variable: column.variable.clone(),
            unit: column.unit.text.clone(),
            neuron: (population > 1).then_some(column.neuron),
        }
    }

    /// A column known only by its position (`#4`).
    pub fn positional(index: usize) -> ColumnLabel {
        ColumnLabel {
            variable: format!("#{index}"),
            unit: String::new(),
            neuron: None,
        }
    }

    /// The variable with its neuron: `V[3]`, or `V` for a single neuron.
    pub fn name(&self) -> String {
        match self.neuron {
            Some(neuron) => format!("{}[{neuron}]", self.variable),
            None => self.variable.clone(),
        }
    }

    /// The variable with its unit, for an axis: `V [mV]`, `m` when dimensionless.
    pub fn axis_description(&self) -> String {
        with_unit(self.variable.clone(), &self.unit)
    }
}

/// The CSV header form: `V [mV]`, `V[3] [mV]` in a population, `m` when dimensionless.
impl fmt::Display for ColumnLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&with_unit(self.name(), &self.unit))
    }
}

fn with_unit(name: String, unit: &str) -> String {
    if unit.is_empty() {
        name
    } else {
        format!("{name} [{unit}]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use galvani_ir::dim::Dim;
    use galvani_ir::model::DisplayUnit;

    fn column(variable: &str, unit: &str, neuron: usize) -> Column {
        Column {
            variable: variable.to_string(),
            unit: DisplayUnit {
                text: unit.to_string(),
                dim: Dim::NONE,
                scale: 1.0,
            },
            neuron,
        }
    }

    #[test]
    fn labels_print_as_the_csv_header_and_keep_their_parts() {
        let label = ColumnLabel::of(&column("V", "mV", 3), 10);
        assert_eq!(label.to_string(), "V[3] [mV]");
        assert_eq!(label.name(), "V[3]");
        assert_eq!(label.axis_description(), "V [mV]");
        assert_eq!(label.neuron, Some(3));
        let single = ColumnLabel::of(&column("I_Na", "uA/cm^2", 0), 1);
        assert_eq!(single.to_string(), "I_Na [uA/cm^2]");
        assert_eq!(single.neuron, None);
        let gate = ColumnLabel::of(&column("m", "", 12), 20);
        assert_eq!(gate.to_string(), "m[12]");
        assert_eq!(gate.axis_description(), "m");
        assert_eq!(ColumnLabel::positional(4).to_string(), "#4");
    }
}
