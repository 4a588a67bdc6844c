//! Differential conformance: the code sigma-gen emits (a `detect` binary built for a rules
//! directory) against the reference evaluator (`../shared/tools/sigma-oracle`: pySigma 2.0.1
//! and SQLite), on the same rules and events. Any disagreement fails, each one listed: which
//! rules each side rejects, and for every accepted rule which event lines it matches.
//!
//! Four rule sets, each written into `target/conformance/<part>/rules` (what the oracle reads);
//! every file sigma-gen accepts goes into one detector, built once for the four tests:
//!
//! - `fixtures`: `tests/fixtures/conformance/`, one small rule per modifier and condition
//!   shape, over its crafted `events.ndjson` (and the real audit events);
//! - `sigmahq`: SigmaHQ's Kubernetes rules (`../shared/data/sigmahq`) and our own
//!   `detections/`, forced to the Kubernetes audit logsource, over the real audit events, the
//!   synthetic flagship cases and the oracle's own examples;
//! - `generated`: seeded rules drawn from a grammar of selections, modifiers and conditions,
//!   with events built to hit and miss each clause (see `differential/cases/`);
//! - `corpus`: a sample of the SigmaHQ corpus (every twelfth rule pySigma converts), forced to
//!   the Kubernetes audit logsource, over events of the corpus's Windows, Linux and CloudTrail
//!   shapes (`tests/fixtures/corpus/events.ndjson`).
//!
//! Deliberate differences from pySigma are listed, with the reason for each, in
//! `docs/conformance.md`; this test reads that table and skips exactly the fixture files it
//! names (and fails when one of them no longer differs, so the table stays true).
//!
//! The oracle is found through `SIGMA_ORACLE_PYTHON` (see `common::oracle`): without it the
//! tests skip locally and fail under CI. `SIGMA_DIFF_SEED` and `SIGMA_DIFF_RULES` change the
//! generated part's seed and size, to explore beyond what CI runs.

#[path = "differential/cases/mod.rs"]
mod cases;
mod common;
#[path = "differential/compare.rs"]
mod compare;
#[path = "differential/rules.rs"]
mod rules;

use common::Oracle;
use compare::{judge, run_part, Judged};
use rules::{
    documented_differences, documents, force_logsource, read_rules, scalar, split_documents,
};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Every rule here carries this logsource, so that logsource routing never hides a rule.
const LOGSOURCE: &str =
    "logsource:\n    product: 'kubernetes'\n    category: 'application'\n    service: 'audit'\n";

/// One rule set to compare.
struct Part {
    /// `fixtures`, `sigmahq` or `generated`: names the work directory and the detector.
    name: &'static str,
    /// Rule files: path relative to the rules directory → contents.
    rules: BTreeMap<String, String>,
    /// NDJSON event files, each given to both engines.
    events: Vec<PathBuf>,
    /// Values for `|expand` placeholders (a JSON object, which is also YAML).
    placeholders: Option<PathBuf>,
    /// Fixture files whose difference from pySigma is documented: file → case name.
    documented: BTreeMap<String, String>,
    /// Check that every rule pySigma accepts matches some event and not every event.
    lint_events: bool,
}

/// What a part found.
#[derive(Default)]
struct Outcome {
    /// Every disagreement, one line each.
    disagreements: Vec<String>,
    /// Problems with the test data itself (fixtures that prove nothing, stale documentation).
    problems: Vec<String>,
    /// A one-paragraph summary with counts and timings.
    summary: String,
}

/// The four parts, judged, and one detector built from every file sigma-gen accepts.
struct Prepared {
    parts: BTreeMap<&'static str, (Part, Judged)>,
    detect: PathBuf,
    build_time: std::time::Duration,
}

/// Builds the parts and their detector once per test process (the four tests share it: one
/// build, one set of compiled dependencies). Only the fixtures use placeholders; their `rules:
/// any` filter reaches every rule of the detector, and no event outside the fixtures' own
/// carries the field it tests.
fn prepared(shared: &Path) -> &'static Prepared {
    static PREPARED: std::sync::OnceLock<Result<Prepared, String>> = std::sync::OnceLock::new();
    let result = PREPARED.get_or_init(|| {
        let shared = shared.to_owned();
        std::panic::catch_unwind(move || prepare(&shared)).map_err(|e| {
            e.downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "preparing the rule sets failed".to_owned())
        })
    });
    match result {
        Ok(p) => p,
        Err(msg) => panic!("{msg}"),
    }
}

fn prepare(shared: &Path) -> Prepared {
    let mut parts = BTreeMap::new();
    let mut accepted: BTreeMap<String, String> = BTreeMap::new();
    for part in [
        fixtures_part(shared),
        sigmahq_part(shared),
        generated_part(),
        corpus_part(shared),
    ] {
        let judged = judge(&part);
        for (rel, text) in &part.rules {
            if !judged.rejected.contains_key(rel) {
                accepted.insert(format!("{}/{rel}", part.name), text.clone());
            }
        }
        parts.insert(part.name, (part, judged));
    }
    let accepted_dir = common::root().join("target/conformance/detector-rules");
    common::sync_dir(&accepted_dir, &accepted);
    let placeholders = common::root().join("tests/fixtures/conformance/placeholders.json");
    let t = Instant::now();
    let detect = common::build_detector_with_env(
        &accepted_dir,
        "conformance",
        &[("SIGMA_PLACEHOLDERS", placeholders.as_os_str())],
    );
    let build_time = t.elapsed();
    let compiled: BTreeSet<String> = common::compiled_rules(&detect).into_iter().collect();
    let expected: BTreeSet<String> = accepted
        .values()
        .flat_map(|text| documents(text))
        .filter(|d| d.kind == "detection")
        .filter_map(|d| d.id)
        .collect();
    assert_eq!(
        compiled,
        expected,
        "the detector built from {} must hold exactly its detection rules",
        accepted_dir.display()
    );
    Prepared {
        parts,
        detect,
        build_time,
    }
}

/// Runs a part and fails with every disagreement.
fn check(name: &str, shared: &Path, oracle: &Oracle) {
    let outcome = run_part(name, prepared(shared), oracle);
    eprintln!("{}", outcome.summary);
    if outcome.disagreements.is_empty() && outcome.problems.is_empty() {
        return;
    }
    let mut msg = format!(
        "{} disagreement(s) between sigma-rs and pySigma in `{}` (also in target/conformance/{}/report.txt):\n",
        outcome.disagreements.len(),
        name,
        name
    );
    for line in &outcome.disagreements {
        let _ = writeln!(msg, "  {line}");
    }
    if !outcome.problems.is_empty() {
        let _ = writeln!(msg, "problems with the test data:");
        for line in &outcome.problems {
            let _ = writeln!(msg, "  {line}");
        }
    }
    panic!("{msg}");
}

/// `tests/fixtures/conformance/`: one rule per modifier and condition shape.
fn fixtures_part(shared: &Path) -> Part {
    let dir = common::root().join("tests/fixtures/conformance");
    let mut rules = BTreeMap::new();
    read_rules(&dir.join("rules"), "", &mut rules);
    for (rel, text) in &rules {
        for doc in split_documents(text) {
            if doc.lines().any(|l| l.starts_with("detection:")) {
                assert!(
                    doc.contains(LOGSOURCE),
                    "{rel}: every fixture rule has the Kubernetes audit logsource, written as\n{LOGSOURCE}"
                );
            }
        }
    }
    Part {
        name: "fixtures",
        rules,
        events: vec![
            dir.join("events.ndjson"),
            shared.join("data/real-audit-events.ndjson"),
        ],
        placeholders: Some(dir.join("placeholders.json")),
        documented: documented_differences(),
        lint_events: true,
    }
}

/// SigmaHQ's Kubernetes rules and ours, with the Kubernetes audit logsource.
fn sigmahq_part(shared: &Path) -> Part {
    let mut found = BTreeMap::new();
    read_rules(&shared.join("data/sigmahq"), "sigmahq/", &mut found);
    read_rules(
        &common::root().join("detections"),
        "detections/",
        &mut found,
    );
    assert!(
        found.len() >= 17,
        "expected the SigmaHQ Kubernetes rules and ours"
    );
    // Our correlations are checked against pySigma's correlation SQL in
    // tests/correlation_pysigma.rs; left out here, the rules they read raise their own alerts
    // (a quiet rule, `generate: false`, would raise none to compare).
    let rules = found
        .into_iter()
        .filter(|(_, text)| !documents(text).iter().any(|d| d.kind == "correlation"))
        .map(|(rel, text)| (rel, force_logsource(&text)))
        .collect();
    Part {
        name: "sigmahq",
        rules,
        events: vec![
            shared.join("data/real-audit-events.ndjson"),
            shared.join("data/synthetic/flagship_cases.ndjson"),
            shared.join("tools/sigma-oracle/examples/events.ndjson"),
        ],
        placeholders: None,
        documented: BTreeMap::new(),
        lint_events: false,
    }
}

/// Every `CORPUS_STRIDE`-th rule of the SigmaHQ corpus (`../shared/data/sigmahq-full`, sorted
/// by path) that pySigma converts and that needs no placeholder, with the Kubernetes audit
/// logsource, over the corpus events (`tests/fixtures/corpus/events.ndjson`: Windows, Linux and
/// CloudTrail events whose values are drawn from the corpus rules): the rule-set compiler's
/// gates and literals, on real rules and events of their shapes, against pySigma.
fn corpus_part(shared: &Path) -> Part {
    const CORPUS_STRIDE: usize = 12;
    let corpus = shared.join("data/sigmahq-full");
    let baseline = std::fs::read_to_string(corpus.join("PYSIGMA_BASELINE.tsv"))
        .unwrap_or_else(|e| panic!("cannot read the corpus baseline: {e}"));
    let mut lines = baseline.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("PYSIGMA_BASELINE.tsv: no column {name}"))
    };
    let (path_col, ok_col) = (col("path"), col("oracle_converted"));
    let mut converted: Vec<&str> = lines
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|c| c.get(ok_col) == Some(&"yes"))
        .filter_map(|c| c.get(path_col).copied())
        .collect();
    converted.sort_unstable();
    let mut rules = BTreeMap::new();
    for rel in converted.iter().step_by(CORPUS_STRIDE) {
        let text = std::fs::read_to_string(corpus.join(rel))
            .unwrap_or_else(|e| panic!("cannot read {rel}: {e}"));
        if text.contains("|expand") {
            continue;
        }
        rules.insert(format!("corpus/{rel}"), force_logsource(&text));
    }
    assert!(
        rules.len() >= 250,
        "the corpus sample holds {} rules",
        rules.len()
    );
    Part {
        name: "corpus",
        rules,
        events: vec![common::root().join("tests/fixtures/corpus/events.ndjson")],
        placeholders: None,
        documented: BTreeMap::new(),
        lint_events: false,
    }
}

/// Seeded rules from the grammar in `differential/cases/`, and their events.
fn generated_part() -> Part {
    let seed = std::env::var("SIGMA_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(cases::DEFAULT_SEED);
    let count = std::env::var("SIGMA_DIFF_RULES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(cases::DEFAULT_RULES);
    let set = cases::generate(seed, count, LOGSOURCE);
    let events = common::root().join("target/conformance/generated/events.ndjson");
    let mut text = set.events.join("\n");
    text.push('\n');
    common::write_if_changed(&events, &text);
    eprintln!(
        "generated: seed {seed}, {count} rules, {} events",
        set.events.len()
    );
    Part {
        name: "generated",
        rules: set.rules,
        events: vec![events],
        placeholders: None,
        documented: BTreeMap::new(),
        lint_events: false,
    }
}

#[test]
fn fixtures_agree_with_pysigma() {
    let (Some(oracle), Some(shared)) = (common::oracle(), common::shared()) else {
        return;
    };
    check("fixtures", &shared, &oracle);
}

#[test]
fn sigmahq_kubernetes_rules_agree_with_pysigma() {
    let (Some(oracle), Some(shared)) = (common::oracle(), common::shared()) else {
        return;
    };
    check("sigmahq", &shared, &oracle);
}

#[test]
fn generated_cases_agree_with_pysigma() {
    let (Some(oracle), Some(shared)) = (common::oracle(), common::shared()) else {
        return;
    };
    check("generated", &shared, &oracle);
}

#[test]
fn corpus_sample_agrees_with_pysigma() {
    let (Some(oracle), Some(shared)) = (common::oracle(), common::shared()) else {
        return;
    };
    check("corpus", &shared, &oracle);
}

#[test]
fn logsource_is_forced_and_documents_are_read() {
    let text = "title: x\nid: 1234 # the id\nlogsource:\n    product: aws\n    service: cloudtrail\ndetection:\n    sel:\n        a: b\n    condition: sel\n---\ntitle: 'y'\nname: \"n\"\ncorrelation:\n    type: event_count\n";
    let forced = force_logsource(text);
    assert!(forced.contains(LOGSOURCE), "{forced}");
    assert!(!forced.contains("aws"), "{forced}");
    let docs = documents(&forced);
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0].kind, "detection");
    assert_eq!(docs[0].id.as_deref(), Some("1234"));
    assert_eq!(docs[1].kind, "correlation");
    assert_eq!(docs[1].key.as_deref(), Some("n"));
    assert_eq!(scalar(" 'it''s' "), "it's");
    assert_eq!(common::strip_position("rules/a.yml:12:5"), "rules/a.yml");
    assert_eq!(common::strip_position("rules/a:b.yml"), "rules/a:b.yml");
}
