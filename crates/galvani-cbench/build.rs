//! Compiles the hand-written C reference (`c/hh.c`) as the issue-12 comparison asks:
//! gcc (or the platform's cc) with -O3 -march=native -ffast-math, so the exponentials are
//! glibc's vector functions (libmvec) where the compiler vectorises the loop.

fn main() {
    println!("cargo:rerun-if-changed=c/hh.c");
    cc::Build::new()
        .file("c/hh.c")
        .opt_level(3)
        .flag_if_supported("-march=native")
        .flag_if_supported("-ffast-math")
        .compile("galvani_cbench_hh");
    // -ffast-math lets gcc call libmvec's _ZGV…_exp / _ZGV…_expm1 (glibc ≥ 2.35).
    if cfg!(target_os = "linux") {
        println!("cargo:rustc-link-lib=mvec");
    }
    println!("cargo:rustc-link-lib=m");
}
