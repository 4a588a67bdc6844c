//! Speed never costs correctness: the fast path (byte prefilter, selective decoding, worker
//! threads) and the reference path (every line parsed fully into a JSON tree, one thread) give
//! byte-identical alerts, over every data set in `../shared/data` and a generated corpus full
//! of traps (escaped keys, decoys, duplicate keys, bad lines), for the shipped rules and for a
//! larger rule set (the SigmaHQ Kubernetes rules plus the flagship).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

struct Run {
    stdout: Vec<u8>,
    summary: String,
}

fn scan(detect: &Path, args: &[&str], file: &Path) -> Run {
    let out = Command::new(detect)
        .arg("scan")
        .args(args)
        .arg("--no-progress")
        .arg(file)
        .output()
        .expect("detect runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "{} {args:?} failed:\n{stderr}",
        file.display()
    );
    let summary = stderr.lines().last().unwrap_or_default().to_owned();
    Run {
        stdout: out.stdout,
        summary,
    }
}

/// `detect: L lines read, E events evaluated, A alerts, B bad lines`, without what follows.
fn core(summary: &str) -> String {
    summary.split(", ").take(4).collect::<Vec<_>>().join(", ")
}

fn inputs(shared: &Path, generated: &Path) -> Vec<(PathBuf, &'static str)> {
    let data = shared.join("data");
    let mut files: Vec<(PathBuf, &'static str)> = vec![
        (data.join("real-audit-events.ndjson"), "raw"),
        (data.join("synthetic/flagship_cases.ndjson"), "raw"),
        (data.join("synthetic/flagship_rule_cases.jsonl"), "auto"),
        (data.join("synthetic/flagship_cases_ecs.ndjson"), "ecs"),
        (data.join("synthetic/flagship_cases_ecs.ndjson"), "auto"),
        (data.join("synthetic/flagship_cases_aks.ndjson"), "auto"),
        (
            data.join("synthetic/flagship_cases_eventlist.ndjson"),
            "auto",
        ),
        (data.join("elastic-integrations/test-audit.log"), "auto"),
        (
            data.join("elastic-integrations/test-kube-audit.log"),
            "auto",
        ),
        (generated.to_owned(), "auto"),
        (generated.to_owned(), "raw"),
    ];
    let mut falco: Vec<PathBuf> = std::fs::read_dir(data.join("falco-trace-files"))
        .expect("falco traces")
        .map(|e| e.expect("entry").path())
        .collect();
    falco.sort();
    files.extend(falco.into_iter().map(|p| (p, "auto")));
    files
}

/// A corpus of traps built from the synthetic cases.
fn generate(shared: &Path, out: &Path) {
    let cases = std::fs::read_to_string(shared.join("data/synthetic/flagship_cases.ndjson"))
        .expect("cases");
    let real =
        std::fs::read_to_string(shared.join("data/real-audit-events.ndjson")).expect("real events");
    let mut text = String::new();
    for (i, line) in cases.lines().chain(real.lines().take(60)).enumerate() {
        text.push_str(line);
        text.push('\n');
        // The key written with escapes that hide the prefilter literal.
        text.push_str(&line.replacen("\"impersonatedUser\"", "\"\\u0069mpersonatedUser\"", 1));
        text.push('\n');
        text.push_str(&line.replace(
            "authorization.k8s.io/decision",
            "authorization.k8s.io\\/decision",
        ));
        text.push('\n');
        // The literal only inside a string value (a decoy), and the same event with CRLF.
        text.push_str(&line.replacen(
            "\"verb\":",
            "\"note\":\"impersonatedUser system:masters\",\"verb\":",
            1,
        ));
        text.push_str("\r\n");
        // Dotted keys spelled as one key at the top level.
        text.push_str(&line.replacen(
            "\"annotations\":{",
            "\"annotations.authorization.k8s.io/decision\":\"allow\",\"x\":{",
            1,
        ));
        text.push('\n');
        // A duplicate key that a rule reads (last one wins in a full parse).
        text.push_str(&line.replacen("\"verb\":", "\"verb\":\"watch\",\"verb\":", 1));
        text.push('\n');
        match i % 5 {
            0 => text.push_str("[\"impersonatedUser\"]\n"),
            1 => text.push_str(&format!("{}\n", &line[..line.len() / 2])),
            2 => text.push_str("   \n"),
            3 => text.push_str("{\"impersonatedUser\":{\"username\":\"system:admin\"},\"verb\":\"get\",\"annotations\":{\"authorization.k8s.io/decision\":\"allow\"}}\n"),
            _ => text.push_str("not json at all\n"),
        }
    }
    std::fs::write(out, text).expect("write corpus");
}

fn compare(detect: &Path, shared: &Path, label: &str) {
    let dir = common::root().join("target/fast-path").join(label);
    std::fs::create_dir_all(&dir).expect("dir");
    let generated = dir.join("traps.ndjson");
    generate(shared, &generated);
    let mut alerts = 0;
    for (file, format) in inputs(shared, &generated) {
        let fast = scan(detect, &["--input-format", format, "--threads", "2"], &file);
        let reference = scan(detect, &["--input-format", format, "--reference"], &file);
        assert_eq!(
            String::from_utf8_lossy(&fast.stdout),
            String::from_utf8_lossy(&reference.stdout),
            "{label}: alerts differ on {} ({format})",
            file.display()
        );
        // Gates forced on for these few rules (`auto` leaves them off) change no alert.
        let gated = scan(
            detect,
            &["--input-format", format, "--gates", "on", "--threads", "2"],
            &file,
        );
        assert_eq!(
            String::from_utf8_lossy(&gated.stdout),
            String::from_utf8_lossy(&reference.stdout),
            "{label}: alerts with --gates on differ on {} ({format})",
            file.display()
        );
        // Parsing every line with the fast decoder counts exactly what a full parse counts.
        let strict = scan(
            detect,
            &["--input-format", format, "--strict", "--threads", "1"],
            &file,
        );
        assert_eq!(
            strict.stdout,
            reference.stdout,
            "{label}: --strict alerts differ on {}",
            file.display()
        );
        assert_eq!(
            core(&strict.summary),
            core(&reference.summary),
            "{label}: counts differ on {}",
            file.display()
        );
        alerts += reference.stdout.iter().filter(|b| **b == b'\n').count();
    }
    assert!(
        alerts > 20,
        "{label}: only {alerts} alerts: the comparison would prove little"
    );
}

#[test]
fn fast_and_reference_paths_agree_for_the_shipped_rules() {
    if common::other_rule_set() {
        return;
    }
    let Some(shared) = common::shared() else {
        return;
    };
    compare(Path::new(env!("CARGO_BIN_EXE_detect")), &shared, "shipped");
}

#[test]
fn fast_and_reference_paths_agree_for_a_larger_rule_set() {
    let Some(shared) = common::shared() else {
        return;
    };
    let files: Vec<PathBuf> = [
        shared.join("data/sigmahq"),
        common::root().join("detections/kubernetes"),
    ]
    .iter()
    .flat_map(|dir| std::fs::read_dir(dir).expect("rules"))
    .map(|e| e.expect("entry").path())
    .filter(|e| e.extension().is_some_and(|x| x == "yml"))
    .collect();
    assert!(files.len() >= 17);
    let rules = rules_dir("rules", &files);
    let detect = common::build_detector(&rules, "fast-path");
    compare(&detect, &shared, "sigmahq");
}

/// A fresh `target/fast-path/<name>` holding copies of the rule files `files`.
fn rules_dir(name: &str, files: &[PathBuf]) -> PathBuf {
    let dir = common::root().join("target/fast-path").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("rules dir");
    for file in files {
        std::fs::copy(file, dir.join(file.file_name().expect("name"))).expect("copy rule");
    }
    dir
}

/// The `evaluated` column of `--stats` for the rule whose id starts the line.
fn evaluated(stats: &str, rule_id: &str) -> u64 {
    stats
        .lines()
        .find(|l| l.starts_with(rule_id))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no stats row for {rule_id} in:\n{stats}"))
}

#[test]
fn fast_and_reference_paths_agree_when_a_rule_has_no_literal() {
    let Some(shared) = common::shared() else {
        return;
    };
    // The flagship (one literal) beside a rule no byte string can filter: every line is
    // parsed, and the flagship runs only on events that reach every field it needs.
    let rules = rules_dir(
        "mixed-rules",
        &[
            common::root().join("detections/kubernetes/k8s_impersonating_privileged_identity.yml"),
            common::root().join("bench/rules/no-prefilter/bench_k8s_read_pods_or_secrets.yml"),
        ],
    );
    let detect = common::build_detector(&rules, "fast-path-mixed");
    compare(&detect, &shared, "mixed");
    let file = shared.join("data/real-audit-events.ndjson");
    let stats = |extra: &[&str]| {
        let out = Command::new(&detect)
            .args(["scan", "--stats", "--no-progress", "--threads", "1"])
            .args(extra)
            .arg(&file)
            .output()
            .expect("detect runs");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    // Without gates, the literal-less rule runs on every event that reaches its two fields,
    // the flagship on far fewer.
    let ungated = stats(&["--no-gates"]);
    let flagship = evaluated(&ungated, "3f0b6d1e");
    let reads = evaluated(&ungated, "e01cf2f6");
    assert!(
        reads > 100 && flagship < reads / 2,
        "the flagship ran on {flagship} events, the literal-less rule on {reads}:\n{ungated}"
    );
    // With gates (two rules are too few for them by default), it runs only on events whose
    // verb and resource are among its values: its
    // whole condition, so every evaluation is an alert.
    let gated = stats(&["--gates", "on"]);
    let reads_gated = evaluated(&gated, "e01cf2f6");
    let alerts = gated
        .lines()
        .find(|l| l.starts_with("e01cf2f6"))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|n| n.parse::<u64>().ok());
    assert!(
        reads_gated >= 10 && reads_gated < reads && alerts == Some(reads_gated),
        "gated, the literal-less rule ran on {reads_gated} events:\n{gated}"
    );
}
