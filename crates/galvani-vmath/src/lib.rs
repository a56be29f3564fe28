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
//! (`examples/speed.rs`, a shared Zen 4): about 0.87 ns `exp`, 1.05 `expm1`, 1.18 `φ`,
//! 1.17 `exprel`, 1.4 `log`; libm one value at a time takes 5–9 ns.

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

/// One block loop per instruction set: the same inlined lane function compiled three
/// times, with the target features enabled so that the loop vectorises and `mul_add`
/// becomes an FMA instruction.
macro_rules! dispatch {
    ($isa:expr, $lane:path, $values:expr) => {{
        #[inline(always)]
        fn each(values: &mut [f64]) {
            for value in values.iter_mut() {
                *value = $lane(*value);
            }
        }
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        fn avx2(values: &mut [f64]) {
            each(values)
        }
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f,avx512dq,fma")]
        fn avx512(values: &mut [f64]) {
            each(values)
        }
        match $isa {
            Isa::Baseline => each($values),
            // SAFETY: `apply_with` only passes an instruction set `Isa::available` found
            // on this host.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => unsafe { avx2($values) },
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => unsafe { avx512($values) },
            #[cfg(not(target_arch = "x86_64"))]
            _ => each($values),
        }
    }};
}

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
    match function {
        VectorFn::Exp => dispatch!(isa, lane::exp, values),
        VectorFn::Expm1 => dispatch!(isa, lane::expm1, values),
        VectorFn::Phi => dispatch!(isa, lane::phi, values),
        VectorFn::Exprel => dispatch!(isa, lane::exprel, values),
        VectorFn::Log => dispatch!(isa, lane::log, values),
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

/// `apply_pow_with` for an instruction set known to be available on this host.
fn apply_pow_checked(isa: Isa, x: &mut [f64], y: &[f64]) {
    #[inline(always)]
    fn each(x: &mut [f64], y: &[f64]) {
        for (a, &b) in x.iter_mut().zip(y) {
            *a = lane::pow(*a, b);
        }
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn avx2(x: &mut [f64], y: &[f64]) {
        each(x, y)
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512dq,fma")]
    fn avx512(x: &mut [f64], y: &[f64]) {
        each(x, y)
    }
    match isa {
        Isa::Baseline => each(x, y),
        // SAFETY: only an instruction set `Isa::available` found on this host comes here.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { avx2(x, y) },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe { avx512(x, y) },
        #[cfg(not(target_arch = "x86_64"))]
        _ => each(x, y),
    }
}
