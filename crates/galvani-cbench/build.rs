//! Compiles the hand-written C reference (`c/hh.c`) as the issue-12 comparison asks:
//! gcc (or the platform's cc) with -O3 -march=native -ffast-math, so the exponentials are
//! glibc's vector functions (libmvec) where the compiler vectorises the loop.

use std::path::Path;

/// Where a Linux system keeps libmvec's link-time library (glibc's development files).
const LIBMVEC: [&str; 4] = [
    "/usr/lib/x86_64-linux-gnu/libmvec.so",
    "/lib/x86_64-linux-gnu/libmvec.so",
    "/usr/lib64/libmvec.so",
    "/usr/lib/libmvec.so",
];

fn main() {
    println!("cargo:rerun-if-changed=c/hh.c");
    // -ffast-math lets gcc call libmvec's _ZGV…_exp / _ZGV…_expm1 (glibc ≥ 2.35); without
    // libmvec to link against, the C is compiled without it (scalar libm calls), and the
    // bench's ratio is then to slower C — said in a build warning.
    let mvec = cfg!(target_os = "linux") && LIBMVEC.iter().any(|p| Path::new(p).exists());
    let mut build = cc::Build::new();
    build
        .file("c/hh.c")
        .opt_level(3)
        .flag_if_supported("-march=native");
    if mvec {
        build.flag_if_supported("-ffast-math");
        println!("cargo:rustc-link-lib=mvec");
    } else {
        println!("cargo:warning=libmvec not found: the C reference is built without -ffast-math");
    }
    build.compile("galvani_cbench_hh");
    println!("cargo:rustc-link-lib=m");
}
