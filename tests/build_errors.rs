//! A broken rules directory fails the build with one cargo error per rule problem, each with
//! file:line:column, and never with a panic trace from the build script.

mod common;

#[test]
fn rule_errors_become_cargo_errors_with_positions() {
    let rules = common::root().join("generator/tests/fixtures/invalid");
    let target = common::root().join("target/rulesets/invalid");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["build", "--locked", "--bin", "detect", "--manifest-path"])
        .arg(common::root().join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .env("SIGMA_RULES_DIR", &rules)
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the build must fail:\n{stderr}");
    assert!(
        !stderr.contains("panicked"),
        "build script panicked:\n{stderr}"
    );
    for needle in [
        "invalid/unknown_modifier.yml:8:23: unknown modifier `contians`",
        "help: did you mean `contains`?",
        "invalid/undefined_selection.yml:11:34: undefined selection `fitler`",
        "invalid/bad_level_status.yml:6:8: bad level `hihg`",
        "invalid/invalid_yaml.yml:9:7: invalid YAML",
        "cargo run -p sigma-gen -- check",
    ] {
        assert!(stderr.contains(needle), "missing `{needle}` in:\n{stderr}");
    }
    let errors = stderr
        .lines()
        .filter(|l| l.starts_with("error: detections"))
        .count();
    assert!(
        errors >= 30,
        "expected every problem reported, got {errors} lines:\n{stderr}"
    );
}
