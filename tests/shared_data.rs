//! The shared data sets in `../shared/data`: real audit events (none of which may raise an
//! alert) and the synthetic flagship cases with their expected verdicts.
//!
//! Locally these tests skip when `../shared` is missing; under CI they fail instead
//! (see `common::shared`).

mod common;

use detections::runtime::{Event, Rule};
use std::fs;
use std::path::Path;

const FLAGSHIP_ID: &str = "3f0b6d1e-7c42-4a8e-9d5b-2e61c8a9f470";
const REAL_EVENTS: &str = "data/real-audit-events.ndjson";
const REAL_EVENT_COUNT: usize = 316;
const CASES: &str = "data/synthetic/flagship_cases.ndjson";
const EXPECTED: &str = "data/synthetic/flagship_cases.expected.tsv";

fn read(shared: &Path, rel: &str) -> String {
    let path = shared.join(rel);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The lines of an NDJSON file, numbered from 1; a blank line is an error, not a skip.
fn ndjson_lines<'a>(text: &'a str, rel: &str) -> Vec<(usize, &'a str)> {
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            assert!(!line.trim().is_empty(), "{rel}:{}: blank line", i + 1);
            (i + 1, line)
        })
        .collect()
}

/// Parses every line, failing with the line number of each one that is not an event.
fn parse_all(text: &str, rel: &str) -> Vec<(usize, Event<'static>)> {
    let mut bad = Vec::new();
    let mut events = Vec::new();
    for (n, line) in ndjson_lines(text, rel) {
        match Event::parse(line) {
            Ok(ev) => events.push((n, ev)),
            Err(e) => bad.push(format!("  {rel}:{n}: {e}")),
        }
    }
    assert!(
        bad.is_empty(),
        "lines that are not events:\n{}",
        bad.join("\n")
    );
    events
}

fn flagship() -> &'static Rule {
    detections::RULES
        .rules
        .iter()
        .find(|r| r.info.id == FLAGSHIP_ID)
        .unwrap_or_else(|| panic!("rule {FLAGSHIP_ID} is missing from detections::RULES"))
}

#[test]
fn real_audit_events_all_parse() {
    let Some(shared) = common::shared() else {
        return;
    };
    let text = read(&shared, REAL_EVENTS);
    let events = parse_all(&text, REAL_EVENTS);
    assert_eq!(
        events.len(),
        REAL_EVENT_COUNT,
        "{REAL_EVENTS}: expected {REAL_EVENT_COUNT} events"
    );
}

#[test]
fn real_audit_events_raise_no_alert_from_any_shipped_rule() {
    if common::other_rule_set() {
        return;
    }
    let Some(shared) = common::shared() else {
        return;
    };
    assert!(!detections::RULES.rules.is_empty(), "no rules are shipped");
    flagship();
    let text = read(&shared, REAL_EVENTS);
    let events = parse_all(&text, REAL_EVENTS);
    assert_eq!(
        events.len(),
        REAL_EVENT_COUNT,
        "{REAL_EVENTS}: expected {REAL_EVENT_COUNT} events"
    );
    // A rule that only feeds correlations (none of them with `generate: true`) matches
    // routine events by design and raises no alert of its own.
    let quiet = |i: usize| {
        let readers: Vec<_> = detections::CORRELATIONS
            .correlations
            .iter()
            .filter(|c| {
                c.inputs
                    .contains(&detections::runtime::correlation::Input::Rule(i))
            })
            .collect();
        !readers.is_empty() && readers.iter().all(|c| !c.generate)
    };
    let alerts: Vec<String> = events
        .iter()
        .flat_map(|(n, ev)| {
            detections::RULES
                .rules
                .iter()
                .enumerate()
                .filter(|(i, rule)| !quiet(*i) && (rule.matches)(ev))
                .map(|(_, rule)| rule)
                .map(move |rule| {
                    format!(
                        "  line {n}: {} ({}, {})",
                        rule.info.title, rule.info.id, rule.info.source
                    )
                })
        })
        .collect();
    assert!(
        alerts.is_empty(),
        "{} alert(s) on real events, which must raise none:\n{}",
        alerts.len(),
        alerts.join("\n")
    );
}

/// One row of `flagship_cases.expected.tsv`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Verdict {
    line: usize,
    matches: bool,
    case_id: String,
}

fn expected_verdicts(text: &str) -> Vec<Verdict> {
    let mut rows = text.lines().enumerate();
    let header = rows.next().map(|(_, h)| h);
    assert_eq!(
        header,
        Some("line\texpected_match\tcase_id"),
        "{EXPECTED}: unexpected header"
    );
    rows.filter(|(_, row)| !row.trim().is_empty())
        .map(|(i, row)| {
            let cols: Vec<&str> = row.split('\t').collect();
            let [line, verdict, case_id] = cols[..] else {
                panic!(
                    "{EXPECTED}:{}: expected 3 tab-separated columns: {row:?}",
                    i + 1
                );
            };
            Verdict {
                line: line
                    .parse()
                    .unwrap_or_else(|e| panic!("{EXPECTED}:{}: bad line {line:?}: {e}", i + 1)),
                matches: match verdict {
                    "1" => true,
                    "0" => false,
                    other => panic!("{EXPECTED}:{}: bad expected_match {other:?}", i + 1),
                },
                case_id: case_id.to_string(),
            }
        })
        .collect()
}

#[test]
fn synthetic_flagship_cases_give_the_expected_verdicts() {
    if common::other_rule_set() {
        return;
    }
    let Some(shared) = common::shared() else {
        return;
    };
    let rule = flagship();
    let expected = expected_verdicts(&read(&shared, EXPECTED));
    assert_eq!(expected.len(), 20, "{EXPECTED}: expected 20 cases");
    assert_eq!(
        expected.iter().filter(|v| v.matches).count(),
        6,
        "{EXPECTED}: expected 6 matching cases"
    );
    let lines: Vec<usize> = expected.iter().map(|v| v.line).collect();
    assert_eq!(
        lines,
        (1..=expected.len()).collect::<Vec<_>>(),
        "{EXPECTED}: rows must number lines 1..=n in order"
    );

    let events = parse_all(&read(&shared, CASES), CASES);
    assert_eq!(
        events.len(),
        expected.len(),
        "{CASES} has {} events, {EXPECTED} has {} rows",
        events.len(),
        expected.len()
    );
    let actual: Vec<Verdict> = events
        .iter()
        .zip(&expected)
        .map(|((n, ev), want)| Verdict {
            line: *n,
            matches: (rule.matches)(ev),
            case_id: want.case_id.clone(),
        })
        .collect();

    let mismatches: Vec<String> = expected
        .iter()
        .zip(&actual)
        .filter(|(want, got)| want != got)
        .map(|(want, got)| {
            format!(
                "  line {} {}: expected {}, got {}",
                want.line,
                want.case_id,
                word(want.matches),
                word(got.matches)
            )
        })
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} of {} flagship cases wrong:\n{}",
        mismatches.len(),
        expected.len(),
        mismatches.join("\n")
    );
    assert_eq!(actual, expected);
    assert_eq!(actual.iter().filter(|v| v.matches).count(), 6);
}

fn word(m: bool) -> &'static str {
    if m {
        "match"
    } else {
        "no match"
    }
}
