//! Differential of the correlation windows against rsigma-eval 0.23's correlation engine
//! over generated timelines. Ours is driven exactly as the generated code drives it (a
//! `Groups` keyed by the group-by tuple, the aggregate of the type); rsigma runs the same
//! Sigma YAML with `action: reset` (our restart after an alert) and integer-second times.
//!
//! Clean timelines (every event has its group-by field, at most one match per group and
//! second, no event matching two rules) must agree exactly for every type. Full timelines
//! may differ only where a documented cause is present (docs/conformance.md, "Correlation
//! rules"): an event lacking the group-by field (rsigma groups it under a missing value), an
//! event matching two rules (rsigma feeds each match on its own: `event_count` counts it
//! twice, and after a restart the second match starts the new window), equal timestamps
//! (rsigma's `temporal_ordered` takes non-decreasing times as in order).

#![cfg(feature = "rsigma")]

use rsigma_eval::{
    CorrelationAction, CorrelationConfig, CorrelationEngine, JsonEvent, ProcessResultExt,
};
use serde_json::{json, Value};
use sigma_runtime::correlation::{
    Aggregate, Condition, Count, Distinct, EventRef, Groups, Limits, Numeric, NumericKind, Ordered,
    Temporal, Val, MICROS_PER_SEC,
};
use sigma_runtime::test_rng::Rng;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    EventCount,
    /// `event_count` over both rules.
    EventCountTwo,
    ValueCount,
    Temporal,
    Ordered,
    Sum,
}

#[derive(Debug, Clone)]
struct Ev {
    t: i64,
    user: Option<u8>,
    a: bool,
    b: bool,
    ns: Option<u8>,
    n: Option<u8>,
}

impl Ev {
    fn json(&self) -> Value {
        let mut v = json!({});
        if let Some(u) = self.user {
            v["user"] = json!(format!("u{u}"));
        }
        if self.a {
            v["a"] = json!("1");
        }
        if self.b {
            v["b"] = json!("1");
        }
        if let Some(ns) = self.ns {
            v["ns"] = json!(format!("ns{ns}"));
        }
        if let Some(n) = self.n {
            v["n"] = json!(n);
        }
        v
    }
}

const RULES: &str = "
title: A
id: rule-a
name: rule_a
logsource:
    product: test
detection:
    sel:
        a: '1'
    condition: sel
---
title: B
id: rule-b
name: rule_b
logsource:
    product: test
detection:
    sel:
        b: '1'
    condition: sel
";

fn yaml(kind: Kind, span: i64, gt: bool, k: u32) -> String {
    let op = if gt { "gt" } else { "gte" };
    let (ty, rules, cond) = match kind {
        Kind::EventCount => (
            "event_count",
            "[rule_a]",
            format!("condition:\n        {op}: {k}"),
        ),
        Kind::EventCountTwo => (
            "event_count",
            "[rule_a, rule_b]",
            format!("condition:\n        {op}: {k}"),
        ),
        Kind::ValueCount => (
            "value_count",
            "[rule_a]",
            format!("condition:\n        field: ns\n        {op}: {k}"),
        ),
        // Written out: rsigma's default for a temporal condition is not pySigma's
        // `gte: <number of rules>` (see `rsigma_defaults_a_temporal_condition_to_one_rule`).
        Kind::Temporal => (
            "temporal",
            "[rule_a, rule_b]",
            "condition:\n        gte: 2".to_owned(),
        ),
        Kind::Ordered => (
            "temporal_ordered",
            "[rule_a, rule_b]",
            "condition:\n        gte: 2".to_owned(),
        ),
        Kind::Sum => (
            "value_sum",
            "[rule_a]",
            format!("condition:\n        field: n\n        {op}: {k}"),
        ),
    };
    format!(
        "{RULES}---\ntitle: C\nid: corr\ncorrelation:\n    type: {ty}\n    rules: {rules}\n    group-by: [user]\n    timespan: {span}s\n    {cond}\n"
    )
}

/// rsigma: (event index, group value) of every firing.
fn theirs(kind: Kind, span: i64, gt: bool, k: u32, evs: &[Ev]) -> Vec<(usize, String)> {
    let collection = rsigma_parser::parse_sigma_yaml(&yaml(kind, span, gt, k)).expect("parses");
    let config = CorrelationConfig {
        action_on_match: CorrelationAction::Reset,
        ..CorrelationConfig::default()
    };
    let mut engine = CorrelationEngine::new(config);
    engine.add_collection(&collection).expect("compiles");
    let mut out = Vec::new();
    for (i, e) in evs.iter().enumerate() {
        let v = e.json();
        let r = engine.process_event_at(&JsonEvent::borrow(&v), e.t);
        for c in r.correlations() {
            let body = c.as_correlation().expect("a correlation");
            let user = body
                .group_key
                .iter()
                .find(|(f, _)| f == "user")
                .map_or_else(String::new, |(_, v)| v.clone());
            out.push((i, user));
        }
    }
    out
}

/// Ours, as the generated update function drives the runtime.
fn ours(kind: Kind, span: i64, gt: bool, k: u32, evs: &[Ev]) -> Vec<(usize, String)> {
    let cond = Condition::Range {
        lo: Some((f64::from(k), !gt)),
        hi: None,
    };
    let all = Condition::Range {
        lo: Some((2.0, true)),
        hi: None,
    };
    let span = span * MICROS_PER_SEC;
    fn go<A: Aggregate>(
        mut g: Groups<(Val,), A>,
        evs: &[Ev],
        reads: impl Fn(&Ev) -> u64,
        input: impl Fn(&Ev, u64) -> A::Input,
    ) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        for (i, e) in evs.iter().enumerate() {
            let inputs = reads(e);
            // Not a match of a rule it reads, or no group-by value: nothing to correlate.
            let (true, Some(u)) = (inputs != 0, e.user) else {
                continue;
            };
            let key = (Val(format!("u{u}").into()),);
            let event = EventRef {
                file: "t".into(),
                line: i as u64,
                item: None,
            };
            if let Some(f) = g.observe(key, e.t * MICROS_PER_SEC, input(e, inputs), event) {
                out.push((i, f.group[0].as_str().to_owned()));
            }
        }
        out
    }
    let l = Limits::default();
    let a = |e: &Ev| u64::from(e.a);
    let ab = |e: &Ev| u64::from(e.a) | u64::from(e.b) << 1;
    match kind {
        Kind::EventCount => go(Groups::new(l, Count, span, cond), evs, a, |_, _| ()),
        Kind::EventCountTwo => go(Groups::new(l, Count, span, cond), evs, ab, |_, _| ()),
        Kind::ValueCount => go(
            Groups::new(l, Distinct::default(), span, cond),
            evs,
            a,
            |e, _| e.ns.map(|n| Val(format!("ns{n}").into())),
        ),
        Kind::Temporal => go(
            Groups::new(l, Temporal::default(), span, all),
            evs,
            ab,
            |_, m| m,
        ),
        Kind::Ordered => go(Groups::new(l, Ordered(2), span, all), evs, ab, |_, m| m),
        Kind::Sum => go(
            Groups::new(l, Numeric(NumericKind::Sum), span, cond),
            evs,
            a,
            |e, _| e.n.map(f64::from),
        ),
    }
}

fn timeline(rng: &mut Rng, span: i64, clean: bool) -> Vec<Ev> {
    let mut t = 1000;
    let mut evs = Vec::new();
    let mut last_of: [i64; 3] = [i64::MIN; 3];
    for _ in 0..rng.below(50) {
        t += [0, 0, 1, 1, 2, span, span + 1][rng.below(7)];
        let user = (clean || rng.below(8) > 0).then(|| rng.below(3) as u8);
        let (a, b) = match rng.below(if clean { 2 } else { 3 }) {
            0 => (true, false),
            1 => (false, true),
            _ => (true, true),
        };
        if clean {
            // At most one match per group and second.
            let u = usize::from(user.unwrap_or(0));
            if last_of[u] == t {
                continue;
            }
            last_of[u] = t;
        }
        evs.push(Ev {
            t,
            user,
            a,
            b,
            ns: (rng.below(5) > 0).then(|| rng.below(4) as u8),
            n: (rng.below(5) > 0).then(|| rng.below(5) as u8),
        });
    }
    evs
}

/// The documented causes present in a timeline, for the pairs (kind, cause) that explain a
/// difference.
fn explained(kind: Kind, evs: &[Ev]) -> Vec<&'static str> {
    let mut causes = Vec::new();
    if evs
        .iter()
        .any(|e| e.user.is_none() && (e.a || (e.b && kind != Kind::EventCount)))
    {
        causes.push("missing group-by field");
    }
    let two_rules = matches!(kind, Kind::EventCountTwo | Kind::Temporal | Kind::Ordered);
    if two_rules && evs.iter().any(|e| e.a && e.b) {
        causes.push("one event matching two rules is two matches in rsigma");
    }
    if kind == Kind::Ordered {
        let tie = evs
            .iter()
            .enumerate()
            .any(|(i, e)| evs[..i].iter().any(|p| p.t == e.t && p.user == e.user));
        if tie {
            causes.push("temporal_ordered: equal times count as in order in rsigma");
        }
    }
    causes
}

#[test]
fn correlation_windows_agree_with_rsigma() {
    let mut rng = Rng(0xc0_44e1_a7e5);
    let kinds = [
        Kind::EventCount,
        Kind::EventCountTwo,
        Kind::ValueCount,
        Kind::Temporal,
        Kind::Ordered,
        Kind::Sum,
    ];
    let mut compared = 0;
    let mut alerts = 0;
    let mut differing = std::collections::BTreeMap::<String, usize>::new();
    for round in 0..1200 {
        let kind = kinds[round % kinds.len()];
        // Every kind gets clean and full timelines in turn.
        let clean = (round / kinds.len()).is_multiple_of(2);
        let span = 1 + rng.below(15) as i64;
        let gt = rng.below(2) == 0;
        let k = 1 + rng.below(4) as u32;
        let evs = timeline(&mut rng, span, clean);
        let want = theirs(kind, span, gt, k, &evs);
        let got = ours(kind, span, gt, k, &evs);
        compared += 1;
        alerts += want.len();
        if got == want {
            continue;
        }
        let causes = explained(kind, &evs);
        assert!(
            !clean && !causes.is_empty(),
            "round {round}: {kind:?} span {span} gt {gt} k {k}: unexplained difference\nours   {got:?}\nrsigma {want:?}\n{evs:?}"
        );
        *differing
            .entry(format!("{kind:?}: {}", causes.join(" / ")))
            .or_default() += 1;
    }
    eprintln!("{compared} timelines, {alerts} rsigma alerts; differences by cause: {differing:#?}");
    assert!(alerts > 1000, "the comparison is not vacuous: {alerts}");
}

/// Found by the differential: without a condition, rsigma alerts on a `temporal`
/// correlation as soon as one of its rules matched; pySigma (and we) default to
/// `gte: <number of rules>`.
#[test]
fn rsigma_defaults_a_temporal_condition_to_one_rule() {
    let yaml = format!(
        "{RULES}---\ntitle: C\nid: corr\ncorrelation:\n    type: temporal\n    rules: [rule_a, rule_b]\n    group-by: [user]\n    timespan: 10s\n"
    );
    let collection = rsigma_parser::parse_sigma_yaml(&yaml).expect("parses");
    let mut engine = CorrelationEngine::new(CorrelationConfig::default());
    engine.add_collection(&collection).expect("compiles");
    let v = json!({"user": "u0", "a": "1"});
    let r = engine.process_event_at(&JsonEvent::borrow(&v), 1000);
    assert_eq!(
        r.correlations().count(),
        1,
        "rsigma's default changed: update docs/conformance.md"
    );
}
