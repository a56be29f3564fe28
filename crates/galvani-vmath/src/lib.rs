//! Blocked vector maths for the step kernels: `exp`, `expm1`, `φ`, `exprel` and `log`
//! applied in place to a slice of doubles, and `pow` over two, one call per transcendental
//! per block instead of one scalar libm call per value.
//!
//! Each function is a branch-free, straight-line polynomial per lane ([`lane`]) that the
//! compiler vectorises; [`Isa`] picks, once per process, the widest instruction set the
//! host has (AVX-512, AVX2 + FMA, or the portable baseline). Every lane computes the same
//! sequence of fused multiply-adds (`f64::mul_add`: a hardware FMA where there is one, the
//! exactly rounded software `fma` elsewhere), so the results are the same bits on every
//! host and at every width; the tests check that against each instruction set the host
//! has, and check each function against the scalar value functions of galvani's built-in
//! table (`galvani_ir::builtins`) in ulps and at every special value.
//!
//! Measured (`examples/ulps.rs`, dense and seeded random sweeps): at most 1 ulp from the
//! table for `exp` and `log`, 2 ulp for `expm1`, `φ` and `exprel`; `pow` ([`apply_pow`],
//! two arguments) 1 ulp while `|y·ln x| ≤ 10`, 2 up to 100, 9 up to 745. Per value on AVX-512
//! (`examples/speed.rs`, a shared Zen 4): about 0.87 ns `exp`, 1.15 `expm1`, 1.28 `φ`,
//! 1.26 `exprel` and 1.4 `log` over `[−20, 20]`; libm one value at a time takes 5–9 ns.
//!
//! `expm1`, `φ` and `exprel` have two fast paths, each giving the general path's bits
//! where it is taken (tested): a block whose every argument lies in the series' interval
//! around 0 (the gates' `φ(−B·dt)` in an exponential-Euler step) skips the reduction,
//! scaling and selects, and `φ` its division (0.78 ns per value, `exprel` 0.89); a block
//! wholly on one side beyond it skips the clamp and selects. One pass over the block picks
//! the path.

pub mod lane;

use std::sync::OnceLock;

/// A function this crate applies to blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VectorFn {
    /// `eˣ`
    Exp,
    /// `eˣ − 1`
    Expm1,
    /// `φ(x) = (eˣ − 1)/x`, `φ(0) = 1`
    Phi,
    /// `exprel(x) = x/(eˣ − 1)`, `exprel(0) = 1`
    Exprel,
    /// `ln x`
    Log,
    /// `xʸ`, the one function of two arguments: not in [`VectorFn::ALL`] (the functions
    /// [`apply`] takes); [`apply_pow`] over two slices, and in `galvani_vmath_apply` rows
    /// in pairs (`x` then `y`).
    Pow,
}

impl VectorFn {
    /// The functions of one argument.
    pub const ALL: [VectorFn; 5] = [
        VectorFn::Exp,
        VectorFn::Expm1,
        VectorFn::Phi,
        VectorFn::Exprel,
        VectorFn::Log,
    ];

    /// The function of one lane, for a function of one argument (`None` for `Pow`, whose
    /// lane function is [`lane::pow`]).
    pub fn lane(self) -> Option<fn(f64) -> f64> {
        Some(match self {
            VectorFn::Exp => lane::exp,
            VectorFn::Expm1 => lane::expm1,
            VectorFn::Phi => lane::phi,
            VectorFn::Exprel => lane::exprel,
            VectorFn::Log => lane::log,
            VectorFn::Pow => return None,
        })
    }

    /// Its number of arguments.
    pub fn arity(self) -> usize {
        match self {
            VectorFn::Pow => 2,
            _ => 1,
        }
    }

    /// The number `galvani_vmath_apply` takes for this function: its position in
    /// [`VectorFn::ALL`] (part of the ABI of generated code).
    pub fn id(self) -> u32 {
        match self {
            VectorFn::Exp => 0,
            VectorFn::Expm1 => 1,
            VectorFn::Phi => 2,
            VectorFn::Exprel => 3,
            VectorFn::Log => 4,
            VectorFn::Pow => 5,
        }
    }

    /// The function of number `id`, if there is one.
    pub fn from_id(id: u32) -> Option<VectorFn> {
        VectorFn::ALL
            .into_iter()
            .chain([VectorFn::Pow])
            .find(|f| f.id() == id)
    }

    pub fn name(self) -> &'static str {
        match self {
            VectorFn::Exp => "exp",
            VectorFn::Expm1 => "expm1",
            VectorFn::Phi => "phi",
            VectorFn::Exprel => "exprel",
            VectorFn::Log => "log",
            VectorFn::Pow => "pow",
        }
    }
}

/// An instruction set the block loops are compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Isa {
    /// Whatever the build target guarantees (SSE2 on x86-64); FMA in software.
    Baseline,
    /// AVX2 with hardware FMA: four lanes.
    Avx2,
    /// AVX-512F/DQ: eight lanes.
    Avx512,
}

impl Isa {
    /// The widest instruction set this host has, detected once.
    pub fn host() -> Isa {
        static HOST: OnceLock<Isa> = OnceLock::new();
        *HOST.get_or_init(|| {
            let supported = Isa::available();
            *supported.last().unwrap_or(&Isa::Baseline)
        })
    }

    /// Every instruction set this host can run, narrowest first.
    pub fn available() -> Vec<Isa> {
        let mut isas = vec![Isa::Baseline];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                isas.push(Isa::Avx2);
            }
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512dq")
                && std::arch::is_x86_feature_detected!("fma")
            {
                isas.push(Isa::Avx512);
            }
        }
        isas
    }
}

/// A function compiled once per instruction set, with a dispatcher that takes the
/// [`Isa`] first: the same inlined body three times, with the target features enabled so
/// that its loops vectorise and `mul_add` becomes an FMA instruction. Each compiled copy
/// is a function of its own (not inlined into its caller), so that each block loop is
/// compiled and register-allocated alone.
macro_rules! per_isa {
    ($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*) $(-> $ret:ty)? $body:block) => {
        $(#[$doc])*
        fn $name(isa: Isa, $($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn body($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            #[inline(never)]
            fn avx2($($arg: $ty),*) $(-> $ret)? {
                body($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f,avx512dq,fma")]
            #[inline(never)]
            fn avx512($($arg: $ty),*) $(-> $ret)? {
                body($($arg),*)
            }
            match isa {
                Isa::Baseline => body($($arg),*),
                // SAFETY: only an instruction set `Isa::available` found on this host
                // comes here (`apply_with` and `Isa::host` see to it).
                #[cfg(target_arch = "x86_64")]
                Isa::Avx2 => unsafe { avx2($($arg),*) },
                #[cfg(target_arch = "x86_64")]
                Isa::Avx512 => unsafe { avx512($($arg),*) },
                #[cfg(not(target_arch = "x86_64"))]
                _ => body($($arg),*),
            }
        }
    };
}

/// `values[i] = lane(values[i])` for every `i`, one function per lane function and
/// instruction set.
macro_rules! block_loop {
    ($name:ident, $lane:path) => {
        per_isa! {
            fn $name(values: &mut [f64]) {
                for value in values.iter_mut() {
                    *value = $lane(*value);
                }
            }
        }
    };
}

/// The smallest and the largest value of a block, and whether every value is finite: one
/// pass of a minimum, a maximum and a sum or compare per vector. Written with the
/// instruction sets' own operations because the compiler keeps a running minimum scalar
/// (it may not reorder the comparisons of a floating-point reduction). `vminpd`/`vmaxpd`
/// drop a NaN (they return their second operand when unordered); the sum or the
/// ordered-compare mask catches it.
fn value_range(isa: Isa, values: &[f64]) -> ValueRange {
    match isa {
        // SAFETY: only an instruction set `Isa::available` found on this host comes here.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe { value_range_avx512(values) },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { value_range_avx2(values) },
        _ => value_range_scalar(values),
    }
}

fn value_range_scalar(values: &[f64]) -> ValueRange {
    let mut range = ValueRange::EMPTY;
    range.include(values);
    range
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn value_range_avx512(values: &[f64]) -> ValueRange {
    use std::arch::x86_64::*;
    // Four vectors per step, each with its own running values: the minimum, maximum and
    // sum of one are a chain of dependent operations, four of them overlap. The sum is
    // NaN when a value is (or infinite, then conservatively "not finite").
    let mut chunks = values.chunks_exact(32);
    let mut lowest = [_mm512_set1_pd(f64::INFINITY); 4];
    let mut highest = [_mm512_set1_pd(f64::NEG_INFINITY); 4];
    let mut sum = [_mm512_setzero_pd(); 4];
    for chunk in &mut chunks {
        for part in 0..4 {
            // SAFETY: `chunk` holds 32 doubles; the load needs no alignment.
            let x = unsafe { _mm512_loadu_pd(chunk.as_ptr().add(8 * part)) };
            lowest[part] = _mm512_min_pd(x, lowest[part]);
            highest[part] = _mm512_max_pd(x, highest[part]);
            sum[part] = _mm512_add_pd(sum[part], x);
        }
    }
    let lowest = _mm512_min_pd(
        _mm512_min_pd(lowest[0], lowest[1]),
        _mm512_min_pd(lowest[2], lowest[3]),
    );
    let highest = _mm512_max_pd(
        _mm512_max_pd(highest[0], highest[1]),
        _mm512_max_pd(highest[2], highest[3]),
    );
    let sum = _mm512_add_pd(_mm512_add_pd(sum[0], sum[1]), _mm512_add_pd(sum[2], sum[3]));
    let mut range = ValueRange {
        lowest: _mm512_reduce_min_pd(lowest),
        highest: _mm512_reduce_max_pd(highest),
        finite: _mm512_reduce_add_pd(sum).is_finite(),
    };
    range.include(chunks.remainder());
    range
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn value_range_avx2(values: &[f64]) -> ValueRange {
    use std::arch::x86_64::*;
    let mut chunks = values.chunks_exact(4);
    let mut lowest = _mm256_set1_pd(f64::INFINITY);
    let mut highest = _mm256_set1_pd(f64::NEG_INFINITY);
    let mut ordered = _mm256_castsi256_pd(_mm256_set1_epi64x(-1));
    for chunk in &mut chunks {
        // SAFETY: `chunk` holds 4 doubles; the load needs no alignment.
        let x = unsafe { _mm256_loadu_pd(chunk.as_ptr()) };
        lowest = _mm256_min_pd(x, lowest);
        highest = _mm256_max_pd(x, highest);
        ordered = _mm256_and_pd(ordered, _mm256_cmp_pd::<_CMP_ORD_Q>(x, x));
    }
    let mut lanes = [0.0; 4];
    let mut range = ValueRange {
        lowest: {
            // SAFETY: `lanes` holds 4 doubles.
            unsafe { _mm256_storeu_pd(lanes.as_mut_ptr(), lowest) };
            lanes.into_iter().fold(f64::INFINITY, f64::min)
        },
        highest: {
            // SAFETY: as above.
            unsafe { _mm256_storeu_pd(lanes.as_mut_ptr(), highest) };
            lanes.into_iter().fold(f64::NEG_INFINITY, f64::max)
        },
        finite: _mm256_movemask_pd(ordered) == 0b1111,
    };
    range.include(chunks.remainder());
    range
}

/// What [`value_range`] found: `finite` is false when a value is NaN, and may be when one
/// is infinite (the AVX-512 pass sums the values); an infinite value shows in `lowest` or
/// `highest` as well.
struct ValueRange {
    lowest: f64,
    highest: f64,
    finite: bool,
}

impl ValueRange {
    const EMPTY: ValueRange = ValueRange {
        lowest: f64::INFINITY,
        highest: f64::NEG_INFINITY,
        finite: true,
    };

    /// Widens the range to `values` (one at a time).
    fn include(&mut self, values: &[f64]) {
        for &x in values {
            self.lowest = self.lowest.min(x);
            self.highest = self.highest.max(x);
            self.finite &= !x.is_nan();
        }
    }

    /// Every value is in `[low, high]` (neither of them infinite).
    fn within(&self, low: f64, high: f64) -> bool {
        self.finite && low <= self.lowest && self.highest <= high
    }
}

/// Which path a block of `expm1`, `φ` or `exprel` takes: every value [`lane::is_near_zero`],
/// every value [`lane::is_far`] (on one side of 0: a block straddling the series' interval
/// takes the general path), or the general path.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expm1Path {
    NearZero,
    Far,
    General,
}

fn expm1_path(isa: Isa, values: &[f64]) -> Expm1Path {
    let range = value_range(isa, values);
    let near = range.finite
        && lane::NEAR_ZERO_BELOW < range.lowest
        && range.highest < lane::NEAR_ZERO_ABOVE;
    if near {
        Expm1Path::NearZero
    } else if range.within(lane::EXPM1_ARGUMENT_MIN, lane::NEAR_ZERO_BELOW)
        || range.within(lane::NEAR_ZERO_ABOVE, lane::EXP_ARGUMENT_MAX)
    {
        Expm1Path::Far
    } else {
        Expm1Path::General
    }
}

block_loop!(exp_loop, lane::exp);
block_loop!(expm1_loop, lane::expm1);
block_loop!(expm1_near_zero_loop, lane::expm1_near_zero);
block_loop!(expm1_far_loop, lane::expm1_far);
block_loop!(phi_loop, lane::phi);
block_loop!(phi_near_zero_loop, lane::phi_near_zero);
block_loop!(phi_far_loop, lane::phi_far);
block_loop!(exprel_loop, lane::exprel);
block_loop!(exprel_near_zero_loop, lane::exprel_near_zero);
block_loop!(exprel_far_loop, lane::exprel_far);
block_loop!(log_loop, lane::log);

/// Applies `function` to every value of `values` in place, with the host's widest
/// instruction set (`Pow`, which needs a second slice, leaves `values` untouched).
pub fn apply(function: VectorFn, values: &mut [f64]) {
    // `Isa::host` is one of `Isa::available` by construction: no re-check per call (this
    // is on the hot path of every blocked kernel, once per block and transcendental).
    apply_checked(Isa::host(), function, values);
}

/// The entry point generated code calls (registered with the JIT under this name):
/// applies function number `function` ([`VectorFn::id`]) in place to the first `lanes`
/// values of each of `rows` rows of `stride` values starting at `values` — the rows of a
/// blocked kernel's scratch area, of which a partial last block uses only the first lanes.
/// Whole rows (`lanes == stride`) are done as one slice. For `pow` (two arguments) the rows
/// come in pairs, `x` then `y`, and the result replaces `x`; an odd number of rows leaves
/// the last one untouched. An unknown number, a null pointer, `lanes > stride` or nothing
/// to do leaves memory untouched.
///
/// # Safety
///
/// `values` must point to `rows · stride` initialised `f64`s that nothing else reads or
/// writes during the call.
pub unsafe extern "C" fn galvani_vmath_apply(
    function: u32,
    values: *mut f64,
    rows: usize,
    stride: usize,
    lanes: usize,
) {
    let Some(function) = VectorFn::from_id(function) else {
        return;
    };
    let Some(len) = rows.checked_mul(stride) else {
        return;
    };
    if values.is_null() || len == 0 || lanes == 0 || lanes > stride {
        return;
    }
    // SAFETY: the caller guarantees `rows · stride` initialised, unaliased values.
    let values = unsafe { std::slice::from_raw_parts_mut(values, len) };
    if function == VectorFn::Pow {
        for pair in values.chunks_exact_mut(2 * stride) {
            let (x, y) = pair.split_at_mut(stride);
            apply_pow(&mut x[..lanes], &y[..lanes]);
        }
        return;
    }
    if lanes == stride {
        apply(function, values);
    } else {
        for row in values.chunks_exact_mut(stride) {
            apply(function, &mut row[..lanes]);
        }
    }
}

/// Applies `function` in place with the given instruction set. An instruction set the
/// host does not have falls back to the baseline (the results are the same bits).
pub fn apply_with(isa: Isa, function: VectorFn, values: &mut [f64]) {
    let isa = if Isa::available().contains(&isa) {
        isa
    } else {
        Isa::Baseline
    };
    apply_checked(isa, function, values);
}

/// `apply_with` for an instruction set known to be available on this host.
fn apply_checked(isa: Isa, function: VectorFn, values: &mut [f64]) {
    // A block whose every value lies where a fast path gives the general path's bits
    // (`lane::phi_near_zero`, `lane::phi_far`, … — tested) takes it, so each value is what
    // it would be alone, whatever its neighbours. One pass over the block finds the path
    // (about 0.1 ns per value); near 0 `φ` then costs 0.7 ns per value instead of 1.2.
    match function {
        VectorFn::Exp => exp_loop(isa, values),
        VectorFn::Expm1 => match expm1_path(isa, values) {
            Expm1Path::NearZero => expm1_near_zero_loop(isa, values),
            Expm1Path::Far => expm1_far_loop(isa, values),
            Expm1Path::General => expm1_loop(isa, values),
        },
        VectorFn::Phi => match expm1_path(isa, values) {
            Expm1Path::NearZero => phi_near_zero_loop(isa, values),
            Expm1Path::Far => phi_far_loop(isa, values),
            Expm1Path::General => phi_loop(isa, values),
        },
        VectorFn::Exprel => match expm1_path(isa, values) {
            Expm1Path::NearZero => exprel_near_zero_loop(isa, values),
            Expm1Path::Far => exprel_far_loop(isa, values),
            Expm1Path::General => exprel_loop(isa, values),
        },
        VectorFn::Log => log_loop(isa, values),
        VectorFn::Pow => {}
    }
}

/// `x[i] = pow(x[i], y[i])` ([`lane::pow`]) for every `i` below the shorter length, with
/// the host's widest instruction set (generated code reaches it through
/// `galvani_vmath_apply` with rows in pairs).
pub fn apply_pow(x: &mut [f64], y: &[f64]) {
    apply_pow_checked(Isa::host(), x, y);
}

/// [`apply_pow`] with the given instruction set (the baseline when the host lacks it).
pub fn apply_pow_with(isa: Isa, x: &mut [f64], y: &[f64]) {
    let isa = if Isa::available().contains(&isa) {
        isa
    } else {
        Isa::Baseline
    };
    apply_pow_checked(isa, x, y);
}

per_isa! {
    /// `apply_pow_with` for an instruction set known to be available on this host.
    fn apply_pow_checked(x: &mut [f64], y: &[f64]) {
        for (a, &b) in x.iter_mut().zip(y) {
            *a = lane::pow(*a, b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks of every length up to 70 (vector remainders included), each with a NaN, an
    /// infinity or nothing odd at every position: each instruction set's pass finds the
    /// scalar pass's minimum and maximum, and never calls a block with a NaN finite.
    #[test]
    fn every_instruction_set_finds_the_range_of_a_block() {
        for len in 0..=70usize {
            let base: Vec<f64> = (0..len)
                .map(|i| ((i * 37) % 71) as f64 * 0.1 - 3.0)
                .collect();
            let mut cases = vec![base.clone()];
            for at in 0..len {
                for odd in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                    let mut case = base.clone();
                    case[at] = odd;
                    cases.push(case);
                }
            }
            for case in &cases {
                let scalar = value_range_scalar(case);
                for isa in Isa::available() {
                    let range = value_range(isa, case);
                    let has_nan = case.iter().any(|x| x.is_nan());
                    assert_eq!(scalar.finite, !has_nan);
                    if has_nan {
                        assert!(
                            !range.finite,
                            "{isa:?}: a NaN block called finite: {case:?}"
                        );
                    } else {
                        assert_eq!(range.lowest, scalar.lowest, "{isa:?}: {case:?}");
                        assert_eq!(range.highest, scalar.highest, "{isa:?}: {case:?}");
                    }
                }
            }
        }
    }

    /// The path a block of `expm1`/`φ`/`exprel` takes, at and around each bound.
    #[test]
    fn a_block_takes_a_fast_path_only_when_every_value_is_inside_it() {
        let block = |values: &[f64]| {
            let mut block = vec![values[0]; 64];
            block[..values.len()].copy_from_slice(values);
            block
        };
        let below = lane::NEAR_ZERO_BELOW;
        let above = lane::NEAR_ZERO_ABOVE;
        let cases: [(&[f64], Expm1Path); 12] = [
            (&[0.0, -0.0, 1e-300, -0.2, 0.5], Expm1Path::NearZero),
            (&[-0.2, below], Expm1Path::General),
            (&[0.5, above], Expm1Path::General),
            (&[below, -1.0, -45.0], Expm1Path::Far),
            (&[above, 2.0, lane::EXP_ARGUMENT_MAX], Expm1Path::Far),
            (&[-1.0, 1.0], Expm1Path::General),
            (&[-1.0, -45.000001], Expm1Path::General),
            (&[1.0, 709.9], Expm1Path::General),
            (&[0.1, f64::NAN], Expm1Path::General),
            (&[-1.0, f64::NAN], Expm1Path::General),
            (&[-1.0, f64::NEG_INFINITY], Expm1Path::General),
            (&[1.0, f64::INFINITY], Expm1Path::General),
        ];
        for (values, path) in cases {
            for isa in Isa::available() {
                assert!(
                    expm1_path(isa, &block(values)) == path,
                    "{isa:?}: {values:?} should take the {} path",
                    match path {
                        Expm1Path::NearZero => "near-zero",
                        Expm1Path::Far => "far",
                        Expm1Path::General => "general",
                    }
                );
            }
        }
    }
}
