//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared` beside the checkout. When it is missing the calling test should return early:
/// locally it prints why; under CI (`CI` set) it fails, so CI never passes having checked nothing.
pub fn shared() -> Option<PathBuf> {
    let dir = root().join("..").join("shared");
    if dir.join("data").is_dir() {
        return Some(dir);
    }
    skip_or_fail(&format!("{} is missing", dir.display()))
}

/// Tests about the shipped rules cannot run against another rule set. Returns true (and says
/// so) when `SIGMA_RULES_DIR` was set at build time.
pub fn other_rule_set() -> bool {
    match option_env!("SIGMA_RULES_DIR") {
        Some(dir) => {
            eprintln!("skipped: built from SIGMA_RULES_DIR={dir}, not the shipped detections/");
            true
        }
        None => false,
    }
}

/// Skips with a message locally; panics under CI.
pub fn skip_or_fail<T>(why: &str) -> Option<T> {
    if std::env::var_os("CI").is_some() {
        panic!("{why} (CI is set, so this test may not skip)");
    }
    eprintln!("skipped: {why}");
    None
}

/// Builds the `detect` binary for another rules directory (`SIGMA_RULES_DIR`) in its own
/// target directory under `target/rulesets/<name>`, so the main build is left alone, and
/// returns the binary's path. The first call compiles the dependencies once (about a minute
/// on two cores); later calls only rebuild what changed.
pub fn build_detector(rules_dir: &std::path::Path, name: &str) -> PathBuf {
    let target = root().join("target").join("rulesets").join(name);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "--locked",
            "--bin",
            "detect",
            "--manifest-path",
        ])
        .arg(root().join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .env("SIGMA_RULES_DIR", rules_dir)
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "building a detector for {} failed:\n{}",
        rules_dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    target.join("debug").join("detect")
}
