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
    build_detector_with_env(rules_dir, name, &[])
}

// ---------------------------------------------------------------------------------------------
// The reference evaluator, `sigma-gen`, and `detect` runs, for the differential and corpus
// tests.
// ---------------------------------------------------------------------------------------------

/// The reference evaluator (`../shared/tools/sigma-oracle`: pySigma + SQLite), found through
/// `SIGMA_ORACLE_PYTHON` (the python of the virtualenv that `setup.sh` creates).
pub struct Oracle {
    /// The virtualenv's python.
    pub python: PathBuf,
    /// `sigma_oracle.py`.
    pub script: PathBuf,
}

/// What the reference evaluator says about a rules directory and an events file.
#[derive(Debug, Default)]
pub struct OracleVerdicts {
    /// Rule key (`id`, else `name`, else `title`) → matching event lines, **1-based** (the
    /// oracle prints 0-based indexes; they are converted here).
    pub matches: std::collections::BTreeMap<String, Vec<usize>>,
    /// Rule key, or `file:<path>` for a file that did not load, → why pySigma rejected it.
    pub errors: std::collections::BTreeMap<String, String>,
}

/// The reference evaluator, or `None` (after saying why) when it is not installed; under CI
/// its absence fails the calling test.
pub fn oracle() -> Option<Oracle> {
    let script = root().join("../shared/tools/sigma-oracle/sigma_oracle.py");
    let how = "create it with `../shared/tools/sigma-oracle/setup.sh target/oracle-venv` and \
               export SIGMA_ORACLE_PYTHON=$PWD/target/oracle-venv/bin/python (what .ci/run does)";
    let python = match std::env::var_os("SIGMA_ORACLE_PYTHON") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => return skip_or_fail(&format!("SIGMA_ORACLE_PYTHON is not set: {how}")),
    };
    if !python.is_file() {
        return skip_or_fail(&format!(
            "SIGMA_ORACLE_PYTHON={} is not a file: {how}",
            python.display()
        ));
    }
    if !script.is_file() {
        return skip_or_fail(&format!("{} is missing", script.display()));
    }
    Some(Oracle { python, script })
}

impl Oracle {
    /// Runs the oracle over every rule file below `rules` and the NDJSON `events`.
    pub fn run(
        &self,
        rules: &std::path::Path,
        events: &std::path::Path,
        placeholders: Option<&std::path::Path>,
    ) -> OracleVerdicts {
        let mut cmd = std::process::Command::new(&self.python);
        cmd.arg(&self.script)
            .arg(rules)
            .arg(events)
            .args(["--format", "json"]);
        if let Some(p) = placeholders {
            cmd.arg("--placeholders").arg(p);
        }
        let out = cmd.output().expect("the oracle's python runs");
        assert!(
            out.status.success(),
            "the oracle failed on {} and {}:\n{}",
            rules.display(),
            events.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "the oracle's output is not JSON ({e}):\n{}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        let mut verdicts = OracleVerdicts::default();
        for (key, value) in json.as_object().expect("the oracle prints an object") {
            if key == "__errors__" {
                for (rule, why) in value.as_object().expect("__errors__ is an object") {
                    let why = why.as_str().unwrap_or_default().to_owned();
                    verdicts.errors.insert(rule.clone(), why);
                }
                continue;
            }
            let lines = value
                .as_array()
                .expect("a rule's lines are an array")
                .iter()
                .map(|n| n.as_u64().expect("a line index") as usize + 1)
                .collect();
            verdicts.matches.insert(key.clone(), lines);
        }
        verdicts
    }
}

/// The `sigma-gen` binary, built once per test process with the cargo that runs the tests
/// (in the workspace's target directory, where `cargo test --workspace` has usually built it
/// already).
pub fn sigma_gen() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let out = std::process::Command::new(cargo)
            .args([
                "build",
                "--quiet",
                "--locked",
                "-p",
                "sigma-gen",
                "--bin",
                "sigma-gen",
                "--message-format=json-render-diagnostics",
                "--manifest-path",
            ])
            .arg(root().join("Cargo.toml"))
            .output()
            .expect("cargo runs");
        assert!(
            out.status.success(),
            "building sigma-gen failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "sigma-gen")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo names the sigma-gen executable")
    })
    .clone()
}

/// Rule diagnostics as `sigma-gen` prints them: `FILE[:LINE:COL]: error|warning: MESSAGE`
/// followed by indented detail lines.
#[derive(Debug, Default)]
pub struct Diagnosed {
    /// Everything printed (stdout, then stderr).
    pub text: String,
    /// Whether the command succeeded.
    pub success: bool,
    /// File (as printed: `<rules dir name>/<path>`) → each error, header line plus details.
    pub errors: std::collections::BTreeMap<String, Vec<String>>,
    /// File → each warning's header line.
    pub warnings: std::collections::BTreeMap<String, Vec<String>>,
}

impl Diagnosed {
    fn parse(stdout: &[u8], stderr: &[u8], success: bool) -> Diagnosed {
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(stdout),
            String::from_utf8_lossy(stderr)
        );
        let mut d = Diagnosed {
            success,
            ..Diagnosed::default()
        };
        let mut current: Option<(String, bool)> = None;
        for line in text.lines() {
            if line.starts_with(char::is_whitespace) {
                if let Some((file, true)) = &current {
                    if let Some(last) = d.errors.get_mut(file).and_then(|v| v.last_mut()) {
                        last.push('\n');
                        last.push_str(line);
                    }
                }
                continue;
            }
            current = None;
            for (marker, is_error) in [(": error: ", true), (": warning: ", false)] {
                let Some(at) = line.find(marker) else {
                    continue;
                };
                let file = strip_position(&line[..at]).to_owned();
                let map = if is_error {
                    &mut d.errors
                } else {
                    &mut d.warnings
                };
                map.entry(file.clone()).or_default().push(line.to_owned());
                current = Some((file, is_error));
                break;
            }
        }
        d.text = text;
        d
    }
}

/// `path:12:5` → `path`; anything else unchanged.
pub fn strip_position(s: &str) -> &str {
    let mut parts = s.rsplitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(c), Some(l), Some(file))
            if !c.is_empty()
                && !l.is_empty()
                && c.bytes().all(|b| b.is_ascii_digit())
                && l.bytes().all(|b| b.is_ascii_digit()) =>
        {
            file
        }
        _ => s,
    }
}

/// `sigma-gen check [--placeholders FILE] DIR...`: validates each rule file on its own.
pub fn sigma_gen_check(
    dirs: &[&std::path::Path],
    placeholders: Option<&std::path::Path>,
) -> Diagnosed {
    let mut cmd = std::process::Command::new(sigma_gen());
    cmd.arg("check");
    if let Some(p) = placeholders {
        cmd.arg("--placeholders").arg(p);
    }
    let out = cmd.args(dirs).output().expect("sigma-gen runs");
    Diagnosed::parse(&out.stdout, &out.stderr, out.status.success())
}

/// `sigma-gen write --rules DIR --out OUT [--placeholders FILE]`: generates the whole rule set
/// as the build does (so references between files resolve), into a scratch directory.
pub fn sigma_gen_write(
    rules: &std::path::Path,
    out_dir: &std::path::Path,
    placeholders: Option<&std::path::Path>,
) -> Diagnosed {
    let mut cmd = std::process::Command::new(sigma_gen());
    cmd.arg("write")
        .arg("--rules")
        .arg(rules)
        .arg("--out")
        .arg(out_dir);
    if let Some(p) = placeholders {
        cmd.arg("--placeholders").arg(p);
    }
    let out = cmd.output().expect("sigma-gen runs");
    Diagnosed::parse(&out.stdout, &out.stderr, out.status.success())
}

/// Like [`build_detector`], with more environment for the build (e.g. `SIGMA_PLACEHOLDERS`).
pub fn build_detector_with_env(
    rules_dir: &std::path::Path,
    name: &str,
    env: &[(&str, &std::ffi::OsStr)],
) -> PathBuf {
    let target = root().join("target").join("rulesets").join(name);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = std::process::Command::new(cargo);
    cmd.args([
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
    .env_remove("SIGMA_PLACEHOLDERS");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("cargo runs");
    assert!(
        out.status.success(),
        "building a detector for {} failed:\n{}",
        rules_dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    target.join("debug").join("detect")
}

/// One alert of `detect scan`: the rule's id and where the event was.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Alert {
    /// `rule.id`
    pub rule: String,
    /// `input.file`, as given on the command line.
    pub file: String,
    /// `input.line`, 1-based.
    pub line: usize,
}

/// Runs `detect scan ARGS... FILES...` and returns its per-event alerts (it must exit 0).
pub fn scan(detect: &std::path::Path, args: &[&str], files: &[&std::path::Path]) -> Vec<Alert> {
    let out = std::process::Command::new(detect)
        .arg("scan")
        .args(args)
        .args(files)
        .output()
        .expect("detect runs");
    assert!(
        out.status.success(),
        "detect scan failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("alerts are UTF-8")
        .lines()
        // Correlation alerts (no `input`: docs/correlation.md) are not per-event alerts.
        .filter(|line| !line.contains(",\"correlation\":{\"type\":"))
        .map(|line| {
            // The event is embedded as its original bytes, which may hold what serde_json does
            // not read (a number beyond f64): only `rule` and `input` are parsed.
            let head = line
                .find(",\"event\":")
                .map_or(line.to_owned(), |i| format!("{}}}", &line[..i]));
            let alert: serde_json::Value = serde_json::from_str(&head).expect("an alert is JSON");
            Alert {
                rule: alert["rule"]["id"].as_str().expect("rule.id").to_owned(),
                file: alert["input"]["file"]
                    .as_str()
                    .expect("input.file")
                    .to_owned(),
                line: alert["input"]["line"].as_u64().expect("input.line") as usize,
            }
        })
        .collect()
}

/// Writes `text` to `path` unless it already holds exactly that (so that a detector built from
/// the directory is not rebuilt for nothing), creating parent directories.
pub fn write_if_changed(path: &std::path::Path, text: &str) {
    if std::fs::read(path).is_ok_and(|old| old == text.as_bytes()) {
        return;
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// Makes `dir` hold exactly `files` (relative path → contents), touching only what changed.
pub fn sync_dir(dir: &std::path::Path, files: &std::collections::BTreeMap<String, String>) {
    fn walk(dir: &std::path::Path, rel: &str, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            if entry.path().is_dir() {
                walk(&entry.path(), &rel, found);
            } else {
                found.push(rel);
            }
        }
    }
    let mut existing = Vec::new();
    walk(dir, "", &mut existing);
    for rel in existing {
        if !files.contains_key(&rel) {
            let _ = std::fs::remove_file(dir.join(&rel));
        }
    }
    for (rel, text) in files {
        write_if_changed(&dir.join(rel), text);
    }
}

/// The ids of the detection rules compiled into a detector (`detect rules --json`, which
/// lists correlations too), in its order.
pub fn compiled_rules(detect: &std::path::Path) -> Vec<String> {
    let out = std::process::Command::new(detect)
        .args(["rules", "--json"])
        .output()
        .expect("detect runs");
    assert!(
        out.status.success(),
        "detect rules failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .filter_map(|line| {
            let rule: serde_json::Value = serde_json::from_str(line).expect("a rule is JSON");
            // Correlations are listed too; these are the detection rules.
            let detection = rule.get("correlation").is_none();
            detection.then(|| rule["id"].as_str().expect("id").to_owned())
        })
        .collect()
}

/// Runs `detect ARGS...` with `input` on its standard input and waits for it.
pub fn run_with_stdin(
    detect: &std::path::Path,
    args: &[&str],
    input: &[u8],
) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(detect)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("detect runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write events");
    child.wait_with_output().expect("detect finishes")
}
