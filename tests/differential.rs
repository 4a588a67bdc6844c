//! Differential conformance: the code sigma-gen emits (a `detect` binary built for a rules
//! directory) against the reference evaluator (`../shared/tools/sigma-oracle`: pySigma 2.0.1
//! and SQLite), on the same rules and events. Any disagreement fails, each one listed: which
//! rules each side rejects, and for every accepted rule which event lines it matches.
//!
//! Three rule sets, each written into `target/conformance/<part>/rules` (what the oracle reads);
//! every file sigma-gen accepts goes into one detector, built once for the three tests:
//!
//! - `fixtures`: `tests/fixtures/conformance/`, one small rule per modifier and condition
//!   shape, over its crafted `events.ndjson` (and the real audit events);
//! - `sigmahq`: SigmaHQ's Kubernetes rules (`../shared/data/sigmahq`) and our own
//!   `detections/`, forced to the Kubernetes audit logsource, over the real audit events, the
//!   synthetic flagship cases and the oracle's own examples;
//! - `generated`: seeded rules drawn from a grammar of selections, modifiers and conditions,
//!   with events built to hit and miss each clause (see `differential/cases.rs`).
//!
//! Deliberate differences from pySigma are listed, with the reason for each, in
//! `docs/conformance.md`; this test reads that table and skips exactly the fixture files it
//! names (and fails when one of them no longer differs, so the table stays true).
//!
//! The oracle is found through `SIGMA_ORACLE_PYTHON` (see `common::oracle`): without it the
//! tests skip locally and fail under CI. `SIGMA_DIFF_SEED` and `SIGMA_DIFF_RULES` change the
//! generated part's seed and size, to explore beyond what CI runs.

#[path = "differential/cases.rs"]
mod cases;
mod common;

use common::{Alert, Oracle, OracleVerdicts};
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

/// One YAML document of a rule file, as far as this test needs to know it.
#[derive(Debug, Clone)]
struct Doc {
    /// `detection`, `filter` or `correlation`.
    kind: &'static str,
    /// The oracle's key for it: `id`, else `name`, else `title`.
    key: Option<String>,
    /// `id`, as our alerts report it.
    id: Option<String>,
}

/// The top-level scalars of each document of a rule file (a line-based reading: enough for
/// the rule files this test writes or copies).
fn documents(text: &str) -> Vec<Doc> {
    let mut docs = Vec::new();
    for doc in split_documents(text) {
        let mut top: BTreeMap<&str, String> = BTreeMap::new();
        for line in doc.lines() {
            if line.starts_with([' ', '\t', '#', '-']) {
                continue;
            }
            if let Some((key, value)) = line.split_once(':') {
                top.insert(key.trim(), scalar(value));
            }
        }
        if top.is_empty() {
            continue;
        }
        let kind = if top.contains_key("correlation") {
            "correlation"
        } else if top.contains_key("filter") {
            "filter"
        } else {
            "detection"
        };
        let id = top.get("id").filter(|s| !s.is_empty()).cloned();
        let key = id
            .clone()
            .or_else(|| top.get("name").cloned())
            .or_else(|| top.get("title").cloned());
        docs.push(Doc { kind, key, id });
    }
    docs
}

fn split_documents(text: &str) -> Vec<String> {
    let mut docs = vec![String::new()];
    for line in text.lines() {
        if line.trim_end() == "---" {
            docs.push(String::new());
        } else {
            let last = docs.last_mut().expect("one document at least");
            last.push_str(line);
            last.push('\n');
        }
    }
    docs
}

/// A YAML scalar as written after `key:` on one line: quotes and trailing comments removed.
fn scalar(raw: &str) -> String {
    let raw = raw.trim();
    if let Some(inner) = raw.strip_prefix('\'') {
        let end = inner.rfind('\'').unwrap_or(inner.len());
        return inner[..end].replace("''", "'");
    }
    if let Some(inner) = raw.strip_prefix('"') {
        let end = inner.rfind('"').unwrap_or(inner.len());
        return inner[..end].to_owned();
    }
    raw.split(" #").next().unwrap_or_default().trim().to_owned()
}

/// Replaces the top-level `logsource:` block of every detection document with [`LOGSOURCE`].
fn force_logsource(text: &str) -> String {
    let mut out = String::new();
    for (i, doc) in split_documents(text).iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        let mut skipping = false;
        let mut replaced = false;
        for line in doc.lines() {
            if skipping {
                if line.starts_with([' ', '\t']) || line.trim().is_empty() {
                    continue;
                }
                skipping = false;
            }
            if line.starts_with("logsource:") {
                out.push_str(LOGSOURCE);
                skipping = true;
                replaced = true;
                continue;
            }
            out.push_str(line);
            out.push('\n');
        }
        if !replaced && doc.lines().any(|l| l.starts_with("detection:")) {
            out.push_str(LOGSOURCE);
        }
    }
    out
}

/// Every `*.yml`/`*.yaml` below `dir`: relative path → contents.
fn read_rules(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let rel = format!("{prefix}{name}");
        if path.is_dir() {
            read_rules(&path, &format!("{rel}/"), out);
        } else if name.ends_with(".yml") || name.ends_with(".yaml") {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            out.insert(rel, text);
        }
    }
}

/// The deliberate differences documented in `docs/conformance.md`: fixture file (relative to
/// `tests/fixtures/conformance/`) → case name. Rows of the table under the heading
/// "Deliberate differences" look like `| `case` | `fixture.yml`, `other.yml` | ... |`.
fn documented_differences() -> BTreeMap<String, String> {
    let path = common::root().join("docs/conformance.md");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut in_table = false;
    let mut cases = BTreeMap::new();
    for line in text.lines() {
        if line.starts_with("## ") {
            in_table = line.contains("Deliberate differences");
            continue;
        }
        if !in_table || !line.starts_with("| `") {
            continue;
        }
        let cols: Vec<&str> = line.split('|').map(str::trim).collect();
        let case = cols[1].trim_matches('`').to_owned();
        let fixtures: Vec<&str> = cols[2]
            .split(',')
            .map(|f| f.trim().trim_matches('`'))
            .filter(|f| f.ends_with(".yml"))
            .collect();
        assert!(
            !fixtures.is_empty(),
            "{}: the deliberate difference `{case}` names no fixture file",
            path.display()
        );
        for f in fixtures {
            let previous = cases.insert(f.to_owned(), case.clone());
            assert!(
                previous.is_none(),
                "{}: {f} is listed twice",
                path.display()
            );
        }
    }
    assert!(
        !cases.is_empty(),
        "{}: no table of deliberate differences found",
        path.display()
    );
    cases
}

/// A short description of an event line for the report (its `auditID` when it has one).
fn describe_line(lines: &[String], n: usize) -> String {
    let Some(line) = lines.get(n - 1) else {
        return String::new();
    };
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
        if let Some(id) = v.get("auditID").and_then(|a| a.as_str()) {
            return format!(" [auditID {id}]");
        }
    } else if let Some(at) = line.find("\"auditID\": \"") {
        let rest = &line[at + 12..];
        let id = rest.split('"').next().unwrap_or_default();
        return format!(" [auditID {id}; the line is not valid JSON for serde_json]");
    }
    let short: String = line.chars().take(160).collect();
    format!(" {short}")
}

/// A part's rules as sigma-gen sees them.
struct Judged {
    /// `target/conformance/<part>/rules`: every rule file of the part.
    rules_dir: PathBuf,
    /// Files the build rejects → the first error line.
    rejected: BTreeMap<String, String>,
    /// Where `sigma-gen check` and the build disagree.
    check_disagreements: Vec<String>,
    /// How long `sigma-gen write` took.
    write_time: std::time::Duration,
}

/// Writes a part's rules into its directory and asks sigma-gen which it rejects: the build's
/// view (`sigma-gen write` over the whole set, so references between files resolve) and
/// `sigma-gen check`'s (each file on its own), which must agree.
fn judge(part: &Part) -> Judged {
    let work = common::root().join("target/conformance").join(part.name);
    let rules_dir = work.join("rules");
    common::sync_dir(&rules_dir, &part.rules);
    let t = Instant::now();
    let ours = common::sigma_gen_write(
        &rules_dir,
        &work.join("scratch-generated"),
        part.placeholders.as_deref(),
    );
    let write_time = t.elapsed();
    let mut rejected: BTreeMap<String, String> = BTreeMap::new();
    for (file, errors) in &ours.errors {
        let rel = file.strip_prefix("rules/").unwrap_or(file).to_owned();
        assert!(
            part.rules.contains_key(&rel),
            "sigma-gen reports an error outside the rule files:\n{}",
            errors.join("\n")
        );
        let first = errors[0].lines().next().unwrap_or_default();
        rejected.insert(rel, first.to_owned());
    }
    assert!(
        ours.success == rejected.is_empty(),
        "sigma-gen write failed without a rule error:\n{}",
        ours.text
    );
    let checked = common::sigma_gen_check(&[&rules_dir], part.placeholders.as_deref());
    let check_rejects: BTreeSet<String> = checked
        .errors
        .keys()
        .map(|f| f.strip_prefix("rules/").unwrap_or(f).to_owned())
        .collect();
    let build_rejects: BTreeSet<String> = rejected.keys().cloned().collect();
    let check_disagreements = check_rejects
        .symmetric_difference(&build_rejects)
        .map(|rel| match checked.errors.get(&format!("rules/{rel}")) {
            Some(errors) => format!(
                "[check] {rel}: `sigma-gen check` rejects it, the build accepts it\n      {}",
                errors[0].lines().next().unwrap_or_default()
            ),
            None => format!("[check] {rel}: the build rejects it, `sigma-gen check` accepts it"),
        })
        .collect();
    Judged {
        rules_dir,
        rejected,
        check_disagreements,
        write_time,
    }
}

/// The three parts, judged, and one detector built from every file sigma-gen accepts.
struct Prepared {
    parts: BTreeMap<&'static str, (Part, Judged)>,
    detect: PathBuf,
    build_time: std::time::Duration,
}

/// Builds the parts and their detector once per test process (the three tests share it: one
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

fn run_part(name: &str, prepared: &Prepared, oracle: &Oracle) -> Outcome {
    let (part, judged) = &prepared.parts[name];
    let mut outcome = Outcome {
        disagreements: judged.check_disagreements.clone(),
        ..Outcome::default()
    };
    let rejected = &judged.rejected;
    let rules_dir = &judged.rules_dir;
    let work = common::root().join("target/conformance").join(part.name);

    // Both engines over every events file. The detector holds the other parts' rules too:
    // only this part's rule ids are looked at.
    let mut detect_time = std::time::Duration::ZERO;
    let mut oracle_time = std::time::Duration::ZERO;
    let mut ours_by_file: Vec<BTreeMap<String, BTreeSet<usize>>> = Vec::new();
    let mut theirs_by_file: Vec<OracleVerdicts> = Vec::new();
    let mut event_lines: Vec<Vec<String>> = Vec::new();
    for events in &part.events {
        let t = Instant::now();
        let alerts = common::scan(&prepared.detect, &["--input-format", "raw"], &[events]);
        detect_time += t.elapsed();
        let mut ours: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
        for Alert { rule, line, .. } in alerts {
            ours.entry(rule).or_default().insert(line);
        }
        ours_by_file.push(ours);
        let t = Instant::now();
        theirs_by_file.push(oracle.run(rules_dir, events, part.placeholders.as_deref()));
        oracle_time += t.elapsed();
        let text = std::fs::read_to_string(events)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", events.display()));
        event_lines.push(text.lines().map(str::to_owned).collect());
    }
    let oracle_errors = &theirs_by_file[0].errors;

    // Rule keys, which must be unique; every detection rule needs an id (alerts carry ids).
    let mut files_of_key: BTreeMap<String, String> = BTreeMap::new();
    let mut docs_of_file: BTreeMap<&str, Vec<Doc>> = BTreeMap::new();
    for (rel, text) in &part.rules {
        let docs = documents(text);
        for doc in &docs {
            if doc.kind == "filter" {
                continue;
            }
            let key = doc
                .key
                .clone()
                .unwrap_or_else(|| panic!("{rel}: a rule without id, name or title"));
            assert!(
                doc.kind != "detection" || doc.id.is_some(),
                "{rel}: a detection rule without an id"
            );
            if let Some(other) = files_of_key.insert(key.clone(), rel.clone()) {
                panic!("rule key {key} is in both {other} and {rel}");
            }
        }
        docs_of_file.insert(rel, docs);
    }

    let mut observed: BTreeSet<&str> = BTreeSet::new();
    let mut cases = 0usize;
    let mut oracle_matches = 0usize;
    let mut pysigma_accepted = 0usize;
    let mut report = |rel: &str, line: String, outcome: &mut Outcome| {
        if part.documented.contains_key(rel) {
            observed.insert(part.documented[rel].as_str());
        } else {
            outcome.disagreements.push(line);
        }
    };
    for (rel, docs) in &docs_of_file {
        let rel = *rel;
        let load_error = oracle_errors
            .iter()
            .find(|(k, _)| k.starts_with("file:") && k.ends_with(&format!("/{rel}")))
            .map(|(_, why)| why.clone());
        let file_failed = load_error.is_some();
        let doc_error = docs
            .iter()
            .filter_map(|d| d.key.as_ref())
            .find_map(|k| oracle_errors.get(k).cloned());
        let theirs_reject = load_error.or(doc_error);
        let ours_reject = rejected.get(rel);
        if theirs_reject.is_none() {
            pysigma_accepted += 1;
        }
        match (ours_reject, &theirs_reject) {
            (Some(ours), None) => report(
                rel,
                format!("[rejects] {rel}: sigma-gen rejects it, pySigma accepts it\n      sigma-gen: {ours}"),
                &mut outcome,
            ),
            (None, Some(theirs)) => report(
                rel,
                format!(
                    "[rejects] {rel}: pySigma rejects it, sigma-gen accepts it\n      pySigma: {}",
                    theirs.lines().next().unwrap_or_default()
                ),
                &mut outcome,
            ),
            _ => {}
        }
        if ours_reject.is_some() {
            continue;
        }
        // In a multi-document file pySigma may reject one rule and evaluate the others.
        for doc in docs.iter().filter(|d| d.kind == "detection") {
            let key = doc.key.as_ref().expect("checked above");
            let id = doc.id.as_ref().expect("checked above");
            if oracle_errors.contains_key(key) || file_failed {
                continue;
            }
            let mut matched_somewhere = false;
            let mut missed_somewhere = false;
            for (i, events) in part.events.iter().enumerate() {
                let name = events
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let Some(theirs) = theirs_by_file[i].matches.get(key) else {
                    report(
                        rel,
                        format!("[missing] {rel}: pySigma gives no verdict for rule {key}"),
                        &mut outcome,
                    );
                    continue;
                };
                let theirs: BTreeSet<usize> = theirs.iter().copied().collect();
                let empty = BTreeSet::new();
                let ours = ours_by_file[i].get(id).unwrap_or(&empty);
                let events_count = event_lines[i]
                    .iter()
                    .filter(|l| !l.trim().is_empty())
                    .count();
                cases += events_count;
                matched_somewhere |= !theirs.is_empty();
                oracle_matches += theirs.len();
                missed_somewhere |= theirs.len() < events_count;
                for n in ours.symmetric_difference(&theirs) {
                    let (us, them) = if ours.contains(n) {
                        ("matches", "does not")
                    } else {
                        ("does not match", "does")
                    };
                    report(
                        rel,
                        format!(
                            "[match] rule {id} ({rel}) {name}:{n}: sigma-rs {us}, pySigma {them}{}",
                            describe_line(&event_lines[i], *n)
                        ),
                        &mut outcome,
                    );
                }
            }
            if part.lint_events && !(matched_somewhere && missed_somewhere) {
                outcome.problems.push(format!(
                    "{rel}: pySigma finds {} event: add events so that the rule both matches and misses",
                    if matched_somewhere { "no non-matching" } else { "no matching" }
                ));
            }
        }
    }
    for (file, case) in &part.documented {
        if !part.rules.contains_key(file) {
            outcome.problems.push(format!(
                "docs/conformance.md: the fixture {file} of `{case}` does not exist"
            ));
        } else if !observed.contains(case.as_str()) {
            outcome.problems.push(format!(
                "docs/conformance.md: the documented difference `{case}` ({file}) is not observed: \
                 sigma-rs and pySigma agree on it, so the table (or the implementation) is wrong"
            ));
        }
    }
    let mut summary = String::new();
    let _ = write!(
        summary,
        "{}: {} rule files ({} accepted by sigma-gen, {} by pySigma), {} event files, \
         {cases} rule×event cases of which {oracle_matches} match; sigma-gen write {:.1}s, detector build (all parts) {:.1}s, detect {:.1}s, oracle {:.1}s; \
         {} disagreement(s)",
        part.name,
        part.rules.len(),
        part.rules.len() - rejected.len(),
        pysigma_accepted,
        part.events.len(),
        judged.write_time.as_secs_f64(),
        prepared.build_time.as_secs_f64(),
        detect_time.as_secs_f64(),
        oracle_time.as_secs_f64(),
        outcome.disagreements.len(),
    );
    outcome.summary = summary;
    let mut full = outcome.summary.clone();
    full.push('\n');
    for line in outcome.disagreements.iter().chain(&outcome.problems) {
        full.push_str(line);
        full.push('\n');
    }
    common::write_if_changed(&work.join("report.txt"), &full);
    outcome
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
    let rules = found
        .into_iter()
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

/// Seeded rules from the grammar in `differential/cases.rs`, and their events.
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
