//! The command line: help with examples and exit codes, `detect rules`, usage errors, no
//! progress bar when stderr is not a terminal.

mod common;

use detections::RULES as RULE_SET;
/// The compiled rules.
static RULES: &[sigma_runtime::Rule] = RULE_SET.rules;
use serde_json::Value;
use std::process::{Command, Output, Stdio};

const DETECT: &str = env!("CARGO_BIN_EXE_detect");

fn run(args: &[&str]) -> Output {
    Command::new(DETECT)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run detect")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn cli_help_has_examples_and_exit_codes() {
    for args in [
        &["--help"][..],
        &["scan", "--help"],
        &["serve", "--help"],
        &["help", "serve"],
    ] {
        let out = run(args);
        assert!(out.status.success(), "{args:?}");
        let help = text(&out.stdout);
        assert!(help.contains("Examples:"), "{args:?}:\n{help}");
        assert!(help.contains("Exit codes:"), "{args:?}:\n{help}");
    }
    let scan = text(&run(&["scan", "--help"]).stdout);
    for flag in [
        "--input-format",
        "--follow",
        "--alert-format",
        "--output",
        "--dedupe-stages",
        "--stats",
        "--logsource",
        "--logsource-field",
    ] {
        assert!(scan.contains(flag), "scan --help lacks {flag}");
    }
    let serve = text(&run(&["serve", "--help"]).stdout);
    for flag in [
        "--listen",
        "--tls-cert",
        "--tls-key",
        "--client-ca",
        "--auth-token-file",
        "--max-body",
        "--max-concurrent",
        "--queue",
    ] {
        assert!(serve.contains(flag), "serve --help lacks {flag}");
    }
    let rules = run(&["rules", "--help"]);
    assert!(text(&rules.stdout).contains("Examples:"));
}

#[test]
fn cli_rules_lists_the_compiled_rules() {
    let out = run(&["rules"]);
    assert!(out.status.success());
    let table = text(&out.stdout);
    let header = table.lines().next().unwrap();
    for col in ["ID", "LEVEL", "LOGSOURCE", "TITLE", "TAGS"] {
        assert!(header.contains(col), "{header}");
    }
    for rule in RULES {
        let i = rule.info;
        let row = table
            .lines()
            .find(|l| l.starts_with(i.id))
            .unwrap_or_else(|| panic!("{} not listed:\n{table}", i.id));
        assert!(row.contains(i.title), "{row}");
        assert!(row.contains(&i.tags.join(",")), "{row}");
        if let Some(level) = i.level {
            assert!(row.contains(level.as_str()), "{row}");
        }
    }
    let correlations = detections::CORRELATIONS.correlations;
    for c in correlations {
        let row = table
            .lines()
            .find(|l| l.starts_with(c.info.id))
            .unwrap_or_else(|| panic!("{} not listed:\n{table}", c.info.id));
        assert!(
            row.contains(&format!("correlation:{} of ", c.kind)),
            "{row}"
        );
        assert!(row.contains(c.info.title), "{row}");
    }
    assert!(table.ends_with(&format!(
        "{} rules, {} correlations\n",
        RULES.len(),
        correlations.len()
    )));

    let out = run(&["rules", "--json"]);
    assert!(out.status.success());
    let docs: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(docs.len(), RULES.len() + correlations.len());
    for (doc, c) in docs[RULES.len()..].iter().zip(correlations) {
        assert_eq!(doc["id"], c.info.id);
        assert_eq!(doc["correlation"]["type"], c.kind);
        assert_eq!(doc["correlation"]["generate"], c.generate);
    }
    for (doc, rule) in docs.iter().zip(RULES) {
        let i = rule.info;
        assert_eq!(doc["id"], i.id);
        assert_eq!(doc["title"], i.title);
        assert_eq!(doc["tags"], serde_json::json!(i.tags));
        assert_eq!(doc["logsource"]["product"], i.logsource.product);
        assert_eq!(doc["logsource"]["category"], i.logsource.category);
        assert_eq!(doc["logsource"]["service"], i.logsource.service);
        assert_eq!(doc["level"], serde_json::json!(i.level.map(|l| l.as_str())));
    }
}

#[test]
fn cli_usage_errors_exit_2() {
    for args in [
        &["serve"][..],
        &["serve", "--listen", "127.0.0.1:0", "--tls-cert", "c.pem"],
        &["serve", "--listen", "127.0.0.1:0", "--client-ca", "ca.pem"],
        &["serve", "--listen", "127.0.0.1:0", "--max-body", "0"],
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--max-body",
            "12 parsecs",
        ],
        &["scan", "--alert-format", "xml"],
        &["scan", "--input-format", "csv"],
        &["rules", "--nope"],
    ] {
        let out = run(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "detect {args:?}: {}",
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn cli_serve_cannot_start_exits_1() {
    let out = run(&["serve", "--listen", "not-an-address"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("cannot listen"));
}

#[test]
fn cli_no_progress_bar_when_stderr_is_not_a_terminal() {
    let example = common::root().join("examples/audit-events.ndjson");
    let out = run(&["scan", example.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    // Only the summary: no bar, no carriage returns, no escape sequences.
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(
        !stderr.contains('\r') && !stderr.contains('\x1b'),
        "{stderr:?}"
    );
}
