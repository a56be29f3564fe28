//! The white-noise terms of an equation and the noise part of each method's update, as
//! `explain` shows them. With `g` the factor of a term, `N` a standard normal draw per
//! neuron and step, and `φ(x) = expm1(x)/x`:
//!
//! | method | noise update |
//! |---|---|
//! | `euler` | `+ g·√dt·N` (Euler–Maruyama) |
//! | `expeuler`, linear, `B ≢ 0` | `+ g·√(dt·φ(−2B·dt))·N`: the exact Ornstein–Uhlenbeck step, variance `g²·(1 − e^{−2B·dt})/(2B)` |
//! | `expeuler`, `B ≡ 0` or nonlinear | `+ g·√dt·N` |

use crate::print::{latex_name, Printer};
use galvani_ir::step::Method;
use galvani_symbolic::{Linearized, StateForm};

/// Each noise term of `form` with its sign, `+ g · xi_NAME` or `- g · xi_NAME` (a factor
/// printed with a leading minus gives `-`), the factor printed by `p`; `times` joins
/// factor and noise; in LaTeX the noise is `\xi_{NAME}`.
pub fn terms(
    lin: &Linearized,
    form: &StateForm,
    p: &Printer,
    times: &str,
    latex: bool,
) -> Vec<String> {
    let model = lin.model();
    form.noise
        .iter()
        .map(|term| {
            let name = &model.noise(term.noise).name;
            let name = if latex {
                latex_name(name)
            } else {
                name.clone()
            };
            let factor = p.print(term.scale);
            let negated = factor
                .strip_prefix('-')
                .or_else(|| factor.strip_prefix('−'))
                .filter(|rest| !is_sum(rest));
            let (sign, factor) = match negated {
                Some(rest) => ("-", rest.trim_start().to_string()),
                None => ("+", factor.clone()),
            };
            format!("{sign} {factor}{times}{name}")
        })
        .collect()
}

/// Whether printed `text` has a `+` or `-` outside parentheses (after its first
/// character, and not in a number's exponent such as `1e-3`): then a leading minus
/// belongs to its first term only.
fn is_sum(text: &str) -> bool {
    let mut depth = 0i32;
    let mut previous: [char; 2] = [' ', ' '];
    for (k, c) in text.chars().enumerate() {
        match c {
            '(' | '{' | '[' => depth += 1,
            ')' | '}' | ']' => depth -= 1,
            '+' | '-' | '−' if depth == 0 && k > 0 => {
                let exponent = matches!(previous[1], 'e' | 'E') && previous[0].is_ascii_digit();
                if !exponent {
                    return true;
                }
            }
            _ => {}
        }
        previous = [previous[1], c];
    }
    false
}

/// The names of the noises of `form` with their factors, for JSON.
pub fn named_terms(lin: &Linearized, form: &StateForm, p: &Printer) -> Vec<(String, String)> {
    let model = lin.model();
    form.noise
        .iter()
        .map(|term| (model.noise(term.noise).name.clone(), p.print(term.scale)))
        .collect()
}

/// Whether `method` integrates this state's noise with the exact Ornstein–Uhlenbeck step.
fn exact(method: Method, linear: bool, rate_is_zero: bool) -> bool {
    method == Method::ExpEuler && linear && !rate_is_zero
}

/// The noise part of the update of `y` (Unicode), when the state has noise.
pub fn update(method: Method, y: &str, linear: bool, rate_is_zero: bool) -> String {
    if exact(method, linear, rate_is_zero) {
        format!(
            "{y}' += g·√(dt·φ(−2B·dt))·N, N ~ N(0,1) per neuron and step   (the exact Ornstein–Uhlenbeck step: variance g²·(1 − e^(−2B·dt))/(2B), → g²·dt as B → 0)"
        )
    } else {
        format!("{y}' += g·√dt·N, N ~ N(0,1) per neuron and step   (Euler–Maruyama)")
    }
}

/// The noise part of the update of `y` in LaTeX.
pub fn latex_update(method: Method, y: &str, linear: bool, rate_is_zero: bool) -> String {
    if exact(method, linear, rate_is_zero) {
        format!(
            "{y}' \\mathrel{{+}}= g\\,\\sqrt{{\\Delta t\\,\\varphi(-2B\\,\\Delta t)}}\\,N = g\\,\\sqrt{{\\frac{{1 - e^{{-2B\\,\\Delta t}}}}{{2B}}}}\\,N, \\quad N \\sim \\mathcal{{N}}(0, 1)"
        )
    } else {
        format!(
            "{y}' \\mathrel{{+}}= g\\,\\sqrt{{\\Delta t}}\\,N, \\quad N \\sim \\mathcal{{N}}(0, 1)"
        )
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sums_are_told_from_products() {
        assert!(!super::is_sum("0.5·sigma"));
        assert!(!super::is_sum("1e-3·sigma"));
        assert!(!super::is_sum("(a - b)·s"));
        assert!(super::is_sum("a + b"));
        assert!(super::is_sum("a·b - c"));
    }
}
