//! Writes one generated model of `galvani::scaling` to stdout, for profiling by hand:
//! `cargo run --release --example scaling_model -- states 10000 > /tmp/states.gal`.

use galvani::scaling::{generate, Family};

fn main() {
    let mut args = std::env::args().skip(1);
    let family = args.next().unwrap_or_default();
    let n: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let Some(family) = Family::ALL.into_iter().find(|f| f.name() == family) else {
        let names: Vec<_> = Family::ALL.iter().map(|f| f.name()).collect();
        eprintln!(
            "usage: scaling_model FAMILY N   (FAMILY: {})",
            names.join(", ")
        );
        std::process::exit(1);
    };
    print!("{}", generate(family, n));
}
