//! Unit names and galvani's coherent internal unit system.
//!
//! Every value is converted once, at check time, into one coherent system chosen so that
//! the units neuron models are written in come out exactly as written:
//!
//! | base quantity | internal unit |
//! |---|---|
//! | time | ms |
//! | length | cm |
//! | current | uA |
//! | voltage (fixes mass) | mV |
//! | amount | umol (so that mM = umol/cm³ is 1) |
//! | temperature, luminous intensity | K, cd |
//!
//! Coherence gives the derived units for free: mV/uA = kohm, uA/mV = mS, uA·ms/mV = uF,
//! so `120 mS/cm^2`, `1 uF/cm^2`, `0.1/(ms*mV)` and `-65 mV` are all stored unchanged.
//! Every unit's scale is a power of ten, so a conversion is one multiplication or
//! division by an exactly representable `10^k`, correctly rounded.

use crate::dim::{Dim, Exponent, AMOUNT, CURRENT, LENGTH, LUMINOUS, MASS, TEMPERATURE, TIME};
use crate::model::DisplayUnit;
use num_rational::Ratio;

/// log10 of each internal base unit expressed in SI base units, in `Dim` order
/// `[m, kg, s, A, K, mol, cd]`. Mass: mV·uA·ms³/cm² = 10^(−3−6−9+4) kg = 10^−14 kg.
const INTERNAL_BASE_EXP10: [i32; 7] = {
    let mut e = [0; 7];
    e[LENGTH] = -2;
    e[MASS] = -14;
    e[TIME] = -3;
    e[CURRENT] = -6;
    e[TEMPERATURE] = 0;
    e[AMOUNT] = -6;
    e[LUMINOUS] = 0;
    e
};

/// A unit: its dimension and its size as a power of ten relative to the internal unit of
/// that dimension (`mV` → 0, `V` → 3, `nA` → −3, `um^2` → −8).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Unit {
    pub dim: Dim,
    /// `1 unit = 10^exp10` internal units.
    pub exp10: Exponent,
}

impl Unit {
    /// The unit raised to an integer power (`um^2`). `None` on exponent overflow.
    pub fn powi(self, power: i32) -> Option<Unit> {
        let p = Ratio::from_integer(power);
        Some(Unit {
            dim: self.dim.checked_pow(p)?,
            exp10: Ratio::new(self.exp10.numer().checked_mul(power)?, *self.exp10.denom()),
        })
    }

    /// The internal value of `1 unit`.
    pub fn scale(self) -> f64 {
        pow10(self.exp10)
    }

    /// Converts `value` written in this unit to internal units, correctly rounded when
    /// the exponent is an integer: `value · 10^k` for k ≥ 0, `value / 10^−k` otherwise.
    pub fn to_internal(self, value: f64) -> f64 {
        if self.exp10.is_integer() {
            let k = *self.exp10.numer();
            if k >= 0 {
                value * 10f64.powi(k)
            } else {
                value / 10f64.powi(-k)
            }
        } else {
            value * pow10(self.exp10)
        }
    }

    /// Converts an internal value to this unit (the inverse of [`Unit::to_internal`]).
    pub fn from_internal(self, value: f64) -> f64 {
        if self.exp10.is_integer() {
            let k = *self.exp10.numer();
            if k >= 0 {
                value / 10f64.powi(k)
            } else {
                value * 10f64.powi(-k)
            }
        } else {
            value / pow10(self.exp10)
        }
    }
}

fn pow10(exp: Exponent) -> f64 {
    if exp.is_integer() {
        10f64.powi(*exp.numer())
    } else {
        10f64.powf(*exp.numer() as f64 / *exp.denom() as f64)
    }
}

/// Base unit symbols with their dimension and their size in coherent SI as a power of ten.
const BASE_UNITS: &[(&str, Dim, i32)] = &[
    ("V", Dim::VOLTAGE, 0),
    ("A", Dim::CURRENT, 0),
    // S = A/V
    ("S", Dim::from_ints([-2, -1, 3, 2, 0, 0, 0]), 0),
    // F = A·s/V
    ("F", Dim::from_ints([-2, -1, 4, 2, 0, 0, 0]), 0),
    // ohm = V/A
    ("ohm", Dim::from_ints([2, 1, -3, -2, 0, 0, 0]), 0),
    ("s", Dim::TIME, 0),
    ("m", Dim::LENGTH, 0),
    // M = mol/L = 10^3 mol/m³
    ("M", Dim::from_ints([-3, 0, 0, 0, 0, 1, 0]), 3),
    ("Hz", Dim::from_ints([0, 0, -1, 0, 0, 0, 0]), 0),
    ("mol", Dim::from_ints([0, 0, 0, 0, 0, 1, 0]), 0),
    ("K", Dim::from_ints([0, 0, 0, 0, 1, 0, 0]), 0),
    // C = A·s
    ("C", Dim::from_ints([0, 0, 1, 1, 0, 0, 0]), 0),
    // J = kg·m²/s²
    ("J", Dim::from_ints([2, 1, -2, 0, 0, 0, 0]), 0),
    ("g", Dim::from_ints([0, 1, 0, 0, 0, 0, 0]), -3),
];

/// SI prefixes from pico to mega, with their power of ten.
const PREFIXES: &[(&str, i32)] = &[
    ("p", -12),
    ("n", -9),
    ("u", -6),
    ("m", -3),
    ("c", -2),
    ("d", -1),
    ("k", 3),
    ("M", 6),
];

/// log10 of the internal unit of `dim` in coherent SI: `Σ eᵢ · INTERNAL_BASE_EXP10[i]`.
fn internal_exp10(dim: Dim) -> Exponent {
    let mut total = Ratio::from_integer(0);
    for (i, e) in dim.0.iter().enumerate() {
        total += *e * Ratio::from_integer(INTERNAL_BASE_EXP10[i]);
    }
    total
}

fn si_unit(dim: Dim, si_exp10: i32) -> Unit {
    Unit {
        dim,
        exp10: Ratio::from_integer(si_exp10) - internal_exp10(dim),
    }
}

/// Looks a unit name up: a base symbol (`mV` is not one, `V` is), or an SI prefix from p
/// to M followed by a base symbol. Exact base symbols win (`m` is metre, `M` molar).
pub fn lookup(name: &str) -> Option<Unit> {
    if let Some((_, dim, e)) = BASE_UNITS.iter().find(|(s, _, _)| *s == name) {
        return Some(si_unit(*dim, *e));
    }
    for (prefix, p) in PREFIXES {
        if let Some(rest) = name.strip_prefix(prefix) {
            if let Some((_, dim, e)) = BASE_UNITS.iter().find(|(s, _, _)| *s == rest) {
                return Some(si_unit(*dim, *e + *p));
            }
        }
    }
    None
}

/// Every unit name `lookup` accepts, for "did you mean" hints. Deterministic order.
pub fn all_unit_names() -> Vec<String> {
    let mut names = Vec::new();
    for (base, _, _) in BASE_UNITS {
        names.push(base.to_string());
        for (prefix, _) in PREFIXES {
            names.push(format!("{prefix}{base}"));
        }
    }
    names
}

/// Named internal units that an internal-unit text may use, with their dimensions.
/// Order matters only for ties.
fn named_internal_units() -> [(&'static str, Dim); 9] {
    [
        ("mV", Dim::VOLTAGE),
        ("uA", Dim::CURRENT),
        ("ms", Dim::TIME),
        ("cm", Dim::LENGTH),
        ("mS", Dim::from_ints([-2, -1, 3, 2, 0, 0, 0])),
        ("uF", Dim::from_ints([-2, -1, 4, 2, 0, 0, 0])),
        ("kohm", Dim::from_ints([2, 1, -3, -2, 0, 0, 0])),
        ("mM", Dim::from_ints([-3, 0, 0, 0, 0, 1, 0])),
        ("K", Dim::from_ints([0, 0, 0, 0, 1, 0, 0])),
    ]
}

/// Writes the internal unit of `dim` as a user would (`mV`, `uA/cm^2`, `mS/cm^2`, `1/ms`,
/// `1/(ms*mV)`), choosing among products of named internal units the one with the fewest
/// factors. Empty for dimensionless.
///
/// Method: `mV, uA, ms, cm, K, umol, cd` form a basis, so every dimension has a unique
/// expression over it; each way of first taking out up to ±2 powers of the derived units
/// `mS, uF, kohm, mM` leaves a residual over the basis, and the shortest total wins.
pub fn internal_unit_text(dim: Dim) -> String {
    if dim.is_none() {
        return String::new();
    }
    // The search below tries 625 factorings; a model prints the same few dimensions over
    // and over (every constant of every warning and explain line), so remember them.
    thread_local! {
        static KNOWN: std::cell::RefCell<std::collections::HashMap<Dim, String>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    if let Some(text) = KNOWN.with(|known| known.borrow().get(&dim).cloned()) {
        return text;
    }
    let text = search_unit_text(dim);
    KNOWN.with(|known| known.borrow_mut().insert(dim, text.clone()));
    text
}

fn search_unit_text(dim: Dim) -> String {
    let named = named_internal_units();
    let basis: [(&str, Dim); 7] = [
        ("mV", Dim::VOLTAGE),
        ("uA", Dim::CURRENT),
        ("ms", Dim::TIME),
        ("cm", Dim::LENGTH),
        ("K", Dim::from_ints([0, 0, 0, 0, 1, 0, 0])),
        ("umol", Dim::from_ints([0, 0, 0, 0, 0, 1, 0])),
        ("cd", Dim::from_ints([0, 0, 0, 0, 0, 0, 1])),
    ];
    let derived = &named[4..8];
    // derived[k]^p for p in −2..=2, computed once rather than in the 625-way loop.
    let powers: Vec<[Dim; 5]> = derived
        .iter()
        .map(|(_, d)| [d.powi(-2), d.powi(-1), Dim::NONE, *d, d.powi(2)])
        .collect();
    let mut best: Option<(i64, Vec<(&str, Exponent)>)> = None;
    let range = -2..=2;
    for a in range.clone() {
        for b in range.clone() {
            for c in range.clone() {
                for d in range.clone() {
                    let picks = [a, b, c, d];
                    let mut residual = dim;
                    let mut factors: Vec<(&str, Exponent)> = Vec::new();
                    let mut ok = true;
                    for (k, &p) in picks.iter().enumerate() {
                        if p != 0 {
                            match residual.checked_div(powers[k][(p + 2) as usize]) {
                                Some(r) => residual = r,
                                None => ok = false,
                            }
                            factors.push((derived[k].0, Ratio::from_integer(p)));
                        }
                    }
                    if !ok {
                        continue;
                    }
                    // Express the residual over the basis: voltage exponent = mass
                    // exponent (V = kg m² s⁻³ A⁻¹), then the rest.
                    let e = residual.0;
                    let volt = e[MASS];
                    let two = Ratio::from_integer(2);
                    let three = Ratio::from_integer(3);
                    let coords = [
                        volt,
                        e[CURRENT] + volt,
                        e[TIME] + three * volt,
                        e[LENGTH] - two * volt,
                        e[TEMPERATURE],
                        e[AMOUNT],
                        e[LUMINOUS],
                    ];
                    for (k, c) in coords.iter().enumerate() {
                        if *c.numer() != 0 {
                            factors.push((basis[k].0, *c));
                        }
                    }
                    // Fewest and smallest powers first; among equals prefer derived units
                    // with positive powers (`mS/cm^2`, not `1/(kohm*cm^2)`).
                    let cost: i64 = factors
                        .iter()
                        .map(|(_, e)| (e.numer().abs() as i64 + *e.denom() as i64 - 1) * 4 + 1)
                        .sum::<i64>()
                        + picks.iter().filter(|&&p| p < 0).count() as i64 * 2;
                    if best.as_ref().is_none_or(|(c, _)| cost < *c) {
                        best = Some((cost, factors));
                    }
                }
            }
        }
    }
    let factors = best.map(|(_, f)| f).unwrap_or_default();
    format_factors(&factors)
}

fn format_power(name: &str, e: Exponent) -> String {
    if e == Ratio::from_integer(1) {
        name.to_string()
    } else if e.is_integer() {
        format!("{name}^{}", e.numer())
    } else {
        format!("{name}^({}/{})", e.numer(), e.denom())
    }
}

/// `[(mS,1),(cm,-2)]` → `mS/cm^2`; `[(ms,-1),(mV,-1)]` → `1/(ms*mV)`.
fn format_factors(factors: &[(&str, Exponent)]) -> String {
    let zero = Ratio::from_integer(0);
    let num: Vec<String> = factors
        .iter()
        .filter(|(_, e)| *e > zero)
        .map(|(n, e)| format_power(n, *e))
        .collect();
    let den: Vec<String> = factors
        .iter()
        .filter(|(_, e)| *e < zero)
        .map(|(n, e)| format_power(n, -*e))
        .collect();
    let numerator = if num.is_empty() {
        "1".to_string()
    } else {
        num.join("*")
    };
    match den.len() {
        0 => numerator,
        1 => format!("{numerator}/{}", den[0]),
        _ => format!("{numerator}/({})", den.join("*")),
    }
}

/// The display unit for a value that has no declared unit of its own: the internal unit
/// of its dimension (scale 1).
pub fn internal_display_unit(dim: Dim) -> DisplayUnit {
    DisplayUnit {
        text: internal_unit_text(dim),
        dim,
        scale: 1.0,
    }
}

/// Human names of the dimensions neuron models use most, for diagnostics.
pub fn dimension_name(dim: Dim) -> Option<&'static str> {
    let area = Dim::LENGTH.powi(2);
    let named = named_internal_units();
    let table: [(&str, Dim); 15] = [
        ("voltage", Dim::VOLTAGE),
        ("current", Dim::CURRENT),
        ("time", Dim::TIME),
        ("length", Dim::LENGTH),
        ("area", area),
        ("conductance", named[4].1),
        ("capacitance", named[5].1),
        ("resistance", named[6].1),
        ("concentration", named[7].1),
        ("temperature", named[8].1),
        ("frequency", Dim::TIME.powi(-1)),
        ("current density", Dim::CURRENT.div(area)),
        ("conductance density", named[4].1.div(area)),
        ("capacitance density", named[5].1.div(area)),
        ("voltage per time", Dim::VOLTAGE.div(Dim::TIME)),
    ];
    table.iter().find(|(_, d)| *d == dim).map(|(n, _)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(name: &str) -> f64 {
        lookup(name).unwrap().scale()
    }

    #[test]
    fn neuro_units_are_internal() {
        for name in ["mV", "ms", "uA", "mS", "uF", "kohm", "cm", "mM"] {
            assert_eq!(k(name), 1.0, "{name}");
        }
    }

    #[test]
    fn scales_are_powers_of_ten() {
        assert_eq!(k("V"), 1e3);
        assert_eq!(k("nA"), 1e-3);
        assert_eq!(k("Mohm"), 1e3);
        assert_eq!(k("s"), 1e3);
        assert_eq!(k("Hz"), 1e-3);
        assert_eq!(k("um"), 1e-4);
        assert_eq!(k("pF"), 1e-6);
        assert_eq!(k("nS"), 1e-6);
        assert_eq!(k("M"), 1e3);
        assert_eq!(lookup("um").unwrap().powi(2).unwrap().scale(), 1e-8);
    }

    #[test]
    fn conversions_are_correctly_rounded() {
        let na = lookup("nA").unwrap();
        assert_eq!(na.to_internal(1.5), 0.0015);
        assert_eq!(na.from_internal(0.0015), 1.5);
        assert_eq!(lookup("Mohm").unwrap().to_internal(10.0), 10000.0);
    }

    #[test]
    fn coherence_mohm_times_na_is_mv() {
        let r = lookup("Mohm").unwrap();
        let i = lookup("nA").unwrap();
        assert_eq!(r.dim.mul(i.dim), Dim::VOLTAGE);
        assert_eq!(r.scale() * i.scale(), 1.0);
    }

    #[test]
    fn unknown_units() {
        assert!(lookup("mv").is_none());
        assert!(lookup("Gohm").is_none());
        assert!(lookup("").is_none());
    }

    #[test]
    fn internal_unit_texts() {
        let u = |s: &str| lookup(s).unwrap().dim;
        assert_eq!(internal_unit_text(Dim::VOLTAGE), "mV");
        assert_eq!(internal_unit_text(u("mS").div(u("cm").powi(2))), "mS/cm^2");
        assert_eq!(internal_unit_text(u("uA").div(u("cm").powi(2))), "uA/cm^2");
        assert_eq!(internal_unit_text(u("uF").div(u("cm").powi(2))), "uF/cm^2");
        assert_eq!(internal_unit_text(Dim::TIME.powi(-1)), "1/ms");
        assert_eq!(
            internal_unit_text(Dim::TIME.mul(Dim::VOLTAGE).powi(-1)),
            "1/(mV*ms)"
        );
        assert_eq!(internal_unit_text(u("Mohm")), "kohm");
        assert_eq!(internal_unit_text(Dim::NONE), "");
    }

    #[test]
    fn dimension_names() {
        assert_eq!(dimension_name(Dim::VOLTAGE), Some("voltage"));
        let u = |s: &str| lookup(s).unwrap().dim;
        assert_eq!(
            dimension_name(u("uA").div(u("cm").powi(2))),
            Some("current density")
        );
    }
}
