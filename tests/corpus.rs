//! The SigmaHQ corpus (`../shared/data/sigmahq-full`: 3,780 rules, with pySigma 2.0.1's
//! verdict on each in `PYSIGMA_BASELINE.tsv`): sigma-gen accepts every rule pySigma converts,
//! rejects the `expand` rules that have no placeholder values with an error naming each
//! placeholder, accepts them too with a placeholder file, and a detector built from the whole
//! corpus compiles. Prints how long checking, generating and building take.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

const CORPUS: &str = "data/sigmahq-full";
const RULES: usize = 3780;
const CONVERTED: usize = 3755;

/// `PYSIGMA_BASELINE.tsv`: rule path (relative to the corpus) → whether the reference
/// evaluator converts it, and why not.
fn baseline(corpus: &Path) -> BTreeMap<String, (bool, String)> {
    let path = corpus.join("PYSIGMA_BASELINE.tsv");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header").split('\t').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("{}: no column {name}", path.display()))
    };
    let (path_col, ok_col, err_col) = (col("path"), col("oracle_converted"), col("oracle_error"));
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            let ok = match cols[ok_col] {
                "yes" => true,
                "no" => false,
                other => panic!("{}: bad oracle_converted {other:?}", path.display()),
            };
            let why = cols.get(err_col).copied().unwrap_or_default().to_owned();
            (cols[path_col].to_owned(), (ok, why))
        })
        .collect()
}

/// The `%name%` placeholders a rule uses with `|expand` (on the key's line, or in the list
/// under it).
fn expand_placeholders(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut list_indent: Option<usize> = None;
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        let in_list = list_indent.is_some_and(|i| indent > i && line.trim_start().starts_with('-'));
        if line.contains("|expand") || in_list {
            let mut rest = line;
            while let Some(start) = rest.find('%') {
                let after = &rest[start + 1..];
                let Some(end) = after.find('%') else { break };
                if end > 0 {
                    names.insert(after[..end].to_owned());
                }
                rest = &after[end + 1..];
            }
            if line.contains("|expand") {
                list_indent = Some(indent);
            }
        } else {
            list_indent = None;
        }
    }
    names
}

/// Every line of `sigma-gen check` output is a diagnostic header, an indented detail line, a
/// blank line, or (last) the summary.
fn format_problems(text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let last = lines.iter().rposition(|l| !l.trim().is_empty());
    let mut in_diagnostic = false;
    for (i, line) in lines.iter().enumerate() {
        if Some(i) == last || line.trim().is_empty() {
            in_diagnostic = false;
            continue;
        }
        if line.starts_with("    ") {
            if !in_diagnostic {
                problems.push(format!("detail outside a diagnostic: {line:?}"));
            }
            continue;
        }
        let header = [": error: ", ": warning: "]
            .iter()
            .find_map(|m| line.find(m).map(|at| &line[..at]));
        match header {
            Some(place) => {
                let mut parts = place.rsplitn(3, ':');
                let (col, row) = (parts.next(), parts.next());
                let numbered =
                    |s: Option<&str>| s.is_some_and(|s| s.parse::<usize>().is_ok_and(|n| n > 0));
                if !(numbered(col) && numbered(row) && parts.next().is_some()) {
                    problems.push(format!("no file:line:column: {line:?}"));
                }
                in_diagnostic = true;
            }
            None => problems.push(format!("not a diagnostic: {line:?}")),
        }
    }
    problems
}

#[test]
fn sigma_gen_accepts_what_pysigma_converts_and_names_missing_placeholders() {
    let Some(shared) = common::shared() else {
        return;
    };
    let corpus = shared.join(CORPUS);
    let verdicts = baseline(&corpus);
    assert_eq!(verdicts.len(), RULES, "rules in PYSIGMA_BASELINE.tsv");
    let converted = verdicts.values().filter(|(ok, _)| *ok).count();
    assert_eq!(converted, CONVERTED, "rules pySigma converts");

    let t = Instant::now();
    let check = common::sigma_gen_check(&[&corpus], None);
    eprintln!(
        "sigma-gen check over {RULES} rules: {:.1}s",
        t.elapsed().as_secs_f64()
    );
    let mut failures = Vec::new();
    for problem in format_problems(&check.text) {
        failures.push(format!("output format: {problem}"));
    }
    let summary = check.text.lines().last().unwrap_or_default();
    let want = format!(
        "checked {RULES} rules: {CONVERTED} ok, {} rejected",
        RULES - CONVERTED
    );
    if summary != want {
        failures.push(format!("summary is {summary:?}, want {want:?}"));
    }
    if check.success {
        failures.push("`sigma-gen check` succeeded although rules are rejected".into());
    }
    let label = "sigmahq-full/";
    for file in check.errors.keys() {
        let rel = file.strip_prefix(label).unwrap_or(file);
        if !verdicts.contains_key(rel) {
            failures.push(format!("an error about {file}, which is not a corpus rule"));
        }
    }
    let mut rejected_by_cause: BTreeMap<String, usize> = BTreeMap::new();
    for (rel, (ok, why)) in &verdicts {
        let errors = check.errors.get(&format!("{label}{rel}"));
        match (ok, errors) {
            (true, None) => {}
            (true, Some(errors)) => {
                for e in errors {
                    let head = e.lines().next().unwrap_or_default();
                    let cause = head.split(": error: ").nth(1).unwrap_or(head);
                    let cause: String = cause.split('`').step_by(2).collect::<Vec<_>>().join("`…`");
                    *rejected_by_cause.entry(cause).or_default() += 1;
                }
                failures.push(format!(
                    "pySigma converts {rel}, sigma-gen rejects it:\n{}",
                    errors.join("\n")
                ));
            }
            (false, None) => failures.push(format!(
                "pySigma rejects {rel} ({why}), sigma-gen accepts it without placeholder values"
            )),
            (false, Some(errors)) => {
                let text = std::fs::read_to_string(corpus.join(rel)).expect("corpus rule");
                let names = expand_placeholders(&text);
                if names.is_empty() {
                    failures.push(format!("{rel}: no `|expand` placeholder found ({why})"));
                }
                let all = errors.join("\n");
                for name in names {
                    if !all.contains(&name) {
                        failures.push(format!(
                            "{rel}: no error names the placeholder `{name}`:\n{all}"
                        ));
                    }
                }
            }
        }
    }
    if !rejected_by_cause.is_empty() {
        let mut causes: Vec<_> = rejected_by_cause.into_iter().collect();
        causes.sort_by_key(|c| std::cmp::Reverse(c.1));
        let table: Vec<String> = causes
            .iter()
            .map(|(c, n)| format!("  {n:5}  {c}"))
            .collect();
        failures.insert(
            0,
            format!(
                "errors on rules pySigma converts, by cause:\n{}",
                table.join("\n")
            ),
        );
    }
    assert!(
        failures.is_empty(),
        "{} problem(s) with `sigma-gen check {}`:\n{}",
        failures.len(),
        corpus.display(),
        failures.join("\n")
    );
}

#[test]
fn with_placeholder_values_the_whole_corpus_checks_generates_and_builds() {
    let Some(shared) = common::shared() else {
        return;
    };
    let corpus = shared.join(CORPUS);
    let placeholders = common::root().join("tests/fixtures/corpus/placeholders.json");

    let t = Instant::now();
    let check = common::sigma_gen_check(&[&corpus], Some(&placeholders));
    let check_time = t.elapsed();
    let summary = check.text.lines().last().unwrap_or_default().to_owned();
    assert!(
        check.success && summary == format!("checked {RULES} rules: {RULES} ok, 0 rejected"),
        "with {}, every corpus rule must be accepted; got {summary:?}:\n{}",
        placeholders.display(),
        check
            .errors
            .values()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );

    let t = Instant::now();
    let out = common::root().join("target/conformance/corpus-generated");
    let write = common::sigma_gen_write(&corpus, &out, Some(&placeholders));
    let write_time = t.elapsed();
    assert!(write.success, "sigma-gen write failed:\n{}", write.text);

    let t = Instant::now();
    let detect = common::build_detector_with_env(
        &corpus,
        "corpus",
        &[("SIGMA_PLACEHOLDERS", placeholders.as_os_str())],
    );
    let build_time = t.elapsed();
    let rules = common::compiled_rules(&detect);
    eprintln!(
        "corpus: sigma-gen check {:.1}s, sigma-gen write {:.1}s, detector build {:.1}s (debug, \
         including the dependencies on a first build), {} rules compiled",
        check_time.as_secs_f64(),
        write_time.as_secs_f64(),
        build_time.as_secs_f64(),
        rules.len()
    );
    assert_eq!(rules.len(), RULES, "rules in the corpus detector");

    // It runs: the Kubernetes rules of the corpus over the real audit events.
    let events = shared.join("data/real-audit-events.ndjson");
    let alerts = common::scan(&detect, &["--input-format", "raw"], &[&events]);
    eprintln!(
        "corpus detector: {} alerts on the real audit events",
        alerts.len()
    );

    gates_change_nothing_but_work(&detect);
}

/// Over events of the corpus's log sources (`tests/fixtures/corpus/events.ndjson`: the first
/// 2,000 of `sigma-bench`'s case (d) stream, Windows, Linux and CloudTrail events with values
/// drawn from the rules, each routed by its shape), the gates change no alert: the fast path
/// gives the same alerts as with `--no-gates` and as the reference path, while running far
/// fewer rules.
fn gates_change_nothing_but_work(detect: &Path) {
    let events = common::root().join("tests/fixtures/corpus/events.ndjson");
    let json = ["--input-format", "json"];
    let gated = common::scan(detect, &json, &[&events]);
    let ungated = common::scan(detect, &[&json[..], &["--no-gates"]].concat(), &[&events]);
    let reference = common::scan(detect, &[&json[..], &["--reference"]].concat(), &[&events]);
    let rules: BTreeSet<&str> = gated.iter().map(|a| a.rule.as_str()).collect();
    eprintln!(
        "corpus events: {} alerts of {} rules, gated, ungated and on the reference path",
        gated.len(),
        rules.len()
    );
    assert!(
        gated.len() >= 200 && rules.len() >= 50,
        "the corpus events match too little to prove anything: {} alerts of {} rules",
        gated.len(),
        rules.len()
    );
    assert_eq!(gated, ungated, "the gates changed the alerts");
    assert_eq!(
        gated, reference,
        "the fast path and the reference path disagree"
    );
    // What the gates spare: the evaluations (`--stats`' total of the evaluated column).
    let evaluated = |extra: &[&str]| -> u64 {
        let out = std::process::Command::new(detect)
            .args(["scan", "--stats", "--input-format", "json"])
            .args(extra)
            .arg(&events)
            .output()
            .expect("detect runs");
        let stats = String::from_utf8_lossy(&out.stderr);
        stats
            .lines()
            .skip_while(|l| !l.starts_with("rule id"))
            .skip(1)
            .filter_map(|l| {
                l.split_whitespace()
                    .nth(1)?
                    .replace(',', "")
                    .parse::<u64>()
                    .ok()
            })
            .sum()
    };
    let (with, without) = (evaluated(&[]), evaluated(&["--no-gates"]));
    eprintln!("corpus events: {with} rule evaluations with gates, {without} without");
    assert!(
        with * 10 < without,
        "the gates spared too little: {with} evaluations against {without}"
    );
}

#[test]
fn placeholders_are_found_in_expand_values_only() {
    let text = "detection:\n    a:\n        x|expand: '%one%'\n        y: '%not_this%'\n    b:\n        z|contains|expand:\n            - '%two%'\n            - 'lit'\n        w: '%nor_this%'\n";
    let names: Vec<String> = expand_placeholders(text).into_iter().collect();
    assert_eq!(names, ["one", "two"]);
    let ok = "a/b.yml:3:5: error: bad\n    at: x\n    3 | y\n\nchecked 1 rules: 0 ok, 1 rejected\n";
    assert!(format_problems(ok).is_empty(), "{:?}", format_problems(ok));
    assert_eq!(format_problems("a/b.yml: error: bad\nsummary\n").len(), 1);
}
