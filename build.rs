//! Generates the matchers from the Sigma rules into OUT_DIR; all logic lives in sigma-gen.

use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-env-changed=SIGMA_RULES_DIR");
    println!("cargo::rerun-if-env-changed=SIGMA_PLACEHOLDERS");
    let rules = std::env::var_os("SIGMA_RULES_DIR")
        .map_or_else(|| PathBuf::from("detections"), PathBuf::from);
    let placeholders = std::env::var_os("SIGMA_PLACEHOLDERS").map(PathBuf::from);
    let ecs = PathBuf::from("pipelines/kubernetes-ecs.yml");
    for input in [&rules, &ecs].into_iter().chain(&placeholders) {
        println!("cargo::rerun-if-changed={}", input.display());
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    match sigma_gen::build(&rules, placeholders.as_deref(), Some(&ecs), &out) {
        Ok(warnings) => warnings
            .0
            .iter()
            .for_each(|w| println!("cargo::warning={}", w.one_line())),
        Err(diags) => {
            diags
                .0
                .iter()
                .for_each(|d| println!("cargo::error={}", d.one_line()));
            println!("cargo::error=see each error with its source line: cargo run -p sigma-gen -- check {}", rules.display());
        }
    }
}
