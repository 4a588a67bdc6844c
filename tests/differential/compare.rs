//! Comparing the engines on one part: sigma-gen's verdict on each rule file (`write` and
//! `check`, which must agree), then both engines over every events file, and the report of
//! every disagreement.

use super::rules::{documents, Doc};
use super::{Outcome, Part, Prepared};
use crate::common::{self, Alert, Oracle, OracleVerdicts};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

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
pub(super) struct Judged {
    /// `target/conformance/<part>/rules`: every rule file of the part.
    rules_dir: PathBuf,
    /// Files the build rejects → the first error line.
    pub(super) rejected: BTreeMap<String, String>,
    /// Where `sigma-gen check` and the build disagree.
    check_disagreements: Vec<String>,
    /// How long `sigma-gen write` took.
    write_time: std::time::Duration,
}

/// Writes a part's rules into its directory and asks sigma-gen which it rejects: the build's
/// view (`sigma-gen write` over the whole set, so references between files resolve) and
/// `sigma-gen check`'s (each file on its own), which must agree.
pub(super) fn judge(part: &Part) -> Judged {
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

pub(super) fn run_part(name: &str, prepared: &Prepared, oracle: &Oracle) -> Outcome {
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
