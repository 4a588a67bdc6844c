//! Generates the matchers from the Sigma rules into OUT_DIR; all logic lives in sigma-gen.

use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-env-changed=SIGMA_RULES_DIR");
    let rules = std::env::var_os("SIGMA_RULES_DIR")
        .map_or_else(|| PathBuf::from("detections"), PathBuf::from);
    println!("cargo::rerun-if-changed={}", rules.display());
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    match sigma_gen::build(&rules, &out) {
        Ok(warnings) => warnings
            .0
            .iter()
            .for_each(|w| println!("cargo::warning={}", w.to_string().replace('\n', " | "))),
        Err(diags) => diags
            .to_string()
            .lines()
            .for_each(|l| println!("cargo::error={l}")),
    }
}
