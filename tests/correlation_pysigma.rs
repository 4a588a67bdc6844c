//! Correlation windows against pySigma-backend-sqlite 2.1.1 (the oracle's virtualenv, through
//! `SIGMA_ORACLE_PYTHON`): the SQL it writes for `event_count`, `value_count` and
//! `temporal_ordered` rules runs over generated timelines (`correlation_pysigma/run_sql.py`),
//! and the runtime's windows (driven as the generated code drives them) over the same.
//!
//! pySigma's SQL alerts at every event time where the window qualifies; we restart a group's
//! window after it alerts (docs/correlation.md). So on timelines without the documented
//! differences (distinct times, lower-case values: docs/conformance.md) the comparison is:
//! every alert of ours is a qualifying time of pySigma's, and each group's first qualifying
//! time is our first alert for it.

mod common;

use detections::runtime::correlation::{
    Aggregate, Condition, Count, Distinct, EventRef, Groups, Limits, Ordered, Val, MICROS_PER_SEC,
};
use detections::runtime::test_rng::Rng;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    EventCount,
    ValueCount,
    Ordered,
}

#[derive(Debug, Clone)]
struct Ev {
    t: i64,
    user: u8,
    a: bool,
    b: bool,
    ns: Option<u8>,
}

const RULES: &str = "title: A
id: 11111111-1111-4111-8111-111111111111
name: rule_a
logsource:
    product: test
detection:
    sel:
        a: '1'
    condition: sel
---
title: B
id: 22222222-2222-4222-8222-222222222222
name: rule_b
logsource:
    product: test
detection:
    sel:
        b: '1'
    condition: sel
";

const BASE: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn yaml(kind: Kind, span: i64, k: u32) -> String {
    let body = match kind {
        Kind::EventCount => format!("type: event_count\n    rules: [rule_a]\n    group-by: [user]\n    timespan: {span}s\n    condition:\n        gte: {k}"),
        Kind::ValueCount => format!("type: value_count\n    rules: [rule_a]\n    group-by: [user]\n    timespan: {span}s\n    condition:\n        field: ns\n        gte: {k}"),
        Kind::Ordered => format!("type: temporal_ordered\n    rules: [rule_a, rule_b]\n    group-by: [user]\n    timespan: {span}s"),
    };
    format!("{RULES}---\ntitle: C\ncorrelation:\n    {body}\n")
}

/// pySigma's qualifying (group, time in seconds) pairs.
fn theirs(
    python: &std::path::Path,
    dir: &std::path::Path,
    yaml: &str,
    evs: &[Ev],
) -> BTreeSet<(String, i64)> {
    let rules = dir.join("rules.yml");
    let events = dir.join("events.ndjson");
    std::fs::write(&rules, yaml).unwrap();
    let mut text = String::new();
    for e in evs {
        let s = e.t - BASE;
        let mut v = json!({
            "timestamp": format!("2026-01-01 {:02}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60),
            "user": format!("u{}", e.user),
        });
        if e.a {
            v["a"] = json!("1");
        }
        if e.b {
            v["b"] = json!("1");
        }
        if let Some(ns) = e.ns {
            v["ns"] = json!(format!("ns{ns}"));
        }
        text.push_str(&v.to_string());
        text.push('\n');
    }
    std::fs::write(&events, text).unwrap();
    let script = common::root().join("tests/correlation_pysigma/run_sql.py");
    let out = std::process::Command::new(python)
        .arg(&script)
        .arg(&rules)
        .arg(&events)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["group"].as_str().unwrap().to_owned(),
                v["end"].as_f64().unwrap().round() as i64,
            )
        })
        .collect()
}

/// Our alerts: (group, time in seconds), in order.
fn ours(kind: Kind, span: i64, k: u32, evs: &[Ev]) -> Vec<(String, i64)> {
    fn go<A: Aggregate>(
        mut g: Groups<(Val,), A>,
        evs: &[Ev],
        reads: impl Fn(&Ev) -> u64,
        input: impl Fn(&Ev, u64) -> A::Input,
    ) -> Vec<(String, i64)> {
        let mut out = Vec::new();
        for (i, e) in evs.iter().enumerate() {
            let inputs = reads(e);
            if inputs == 0 {
                continue;
            }
            let key = (Val(format!("u{}", e.user).into()),);
            let event = EventRef {
                file: "t".into(),
                line: i as u64,
                item: None,
            };
            if let Some(f) = g.observe(key, e.t * MICROS_PER_SEC, input(e, inputs), event) {
                out.push((f.group[0].as_str().to_owned(), e.t));
            }
        }
        out
    }
    let gte = |n: f64| Condition::Range {
        lo: Some((n, true)),
        hi: None,
    };
    let l = Limits::default();
    let span = span * MICROS_PER_SEC;
    match kind {
        Kind::EventCount => go(
            Groups::new(l, Count, span, gte(f64::from(k))),
            evs,
            |e| u64::from(e.a),
            |_, _| (),
        ),
        Kind::ValueCount => go(
            Groups::new(l, Distinct::default(), span, gte(f64::from(k))),
            evs,
            |e| u64::from(e.a),
            |e, _| e.ns.map(|n| Val(format!("ns{n}").into())),
        ),
        Kind::Ordered => go(
            Groups::new(l, Ordered(2), span, gte(2.0)),
            evs,
            |e| u64::from(e.a) | u64::from(e.b) << 1,
            |_, m| m,
        ),
    }
}

#[test]
fn correlation_windows_agree_with_pysigma_sql() {
    let Some(oracle) = common::oracle() else {
        return;
    };
    let dir = common::root().join("target/conformance/correlation-pysigma");
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = Rng(0x9a5e_57a1);
    let mut compared = 0;
    let mut alerts = 0;
    for round in 0..90 {
        let kind = [Kind::EventCount, Kind::ValueCount, Kind::Ordered][round % 3];
        let span = 1 + rng.below(10) as i64;
        let k = 1 + rng.below(4) as u32;
        // Distinct times (one event per second at most), many at exact window edges.
        let mut t = BASE;
        let evs: Vec<Ev> = (0..5 + rng.below(40))
            .map(|_| {
                t += [1, 1, 2, span, span + 1][rng.below(5)];
                let (a, b) = if kind == Kind::Ordered {
                    [(true, false), (false, true)][rng.below(2)]
                } else {
                    (rng.below(5) > 0, false)
                };
                Ev {
                    t,
                    user: rng.below(3) as u8,
                    a,
                    b,
                    ns: (rng.below(5) > 0).then(|| rng.below(4) as u8),
                }
            })
            .collect();
        let qualifying = theirs(&oracle.python, &dir, &yaml(kind, span, k), &evs);
        let got = ours(kind, span, k, &evs);
        for a in &got {
            assert!(
                qualifying.contains(a),
                "round {round}: {kind:?} span {span} k {k}: our alert {a:?} is not a qualifying time of pySigma's {qualifying:?}\n{evs:?}"
            );
        }
        let first = |pairs: &mut dyn Iterator<Item = (String, i64)>| {
            let mut m: BTreeMap<String, i64> = BTreeMap::new();
            for (g, t) in pairs {
                m.entry(g).or_insert(t);
            }
            m
        };
        let mut sorted: Vec<(String, i64)> = qualifying.iter().cloned().collect();
        sorted.sort_by_key(|(_, t)| *t);
        assert_eq!(
            first(&mut got.iter().cloned()),
            first(&mut sorted.into_iter()),
            "round {round}: {kind:?} span {span} k {k}: first alerts differ\n{evs:?}"
        );
        compared += 1;
        alerts += got.len();
    }
    eprintln!("{compared} timelines, {alerts} alerts of ours, each a qualifying time of pySigma's");
    assert!(alerts > 100, "{alerts}");
}
