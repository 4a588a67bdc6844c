//! Every correlation type as generated code, compiled and run: `detect` built from the
//! generator's correlation fixture (`generator/tests/fixtures/correlation/kinds.yml`, the
//! rules its snapshots show) and run over hand-derived timelines (chaining, aliases, the
//! extended temporal condition, distinct tuples, order, two group-by fields, the numeric
//! aggregates and a range), then over random timelines against a brute-force reference that
//! recomputes every window from scratch.

mod common;

use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

fn detect() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let rules = common::root().join("generator/tests/fixtures/correlation");
        common::build_detector(&rules, "correlation-kinds")
    })
}

/// `t` seconds after 2026-01-01T00:00:00Z.
fn time(t: u64) -> String {
    let (d, s) = (t / 86_400, t % 86_400);
    format!(
        "2026-01-{:02}T{:02}:{:02}:{:02}Z",
        d + 1,
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

fn secret_read(user: &str, t: u64, extra: Value) -> Value {
    let mut e = json!({
        "verb": "get", "objectRef": {"resource": "secrets"},
        "user": {"username": user}, "requestReceivedTimestamp": time(t),
    });
    for (k, v) in extra.as_object().unwrap() {
        e[k] = v.clone();
    }
    e
}

fn pod_exec(user: &str, impersonated: &str, t: u64) -> Value {
    json!({
        "verb": "create", "objectRef": {"resource": "pods", "subresource": "exec"},
        "user": {"username": user}, "impersonatedUser": {"username": impersonated},
        "requestReceivedTimestamp": time(t),
    })
}

/// The correlation alerts of the correlation titled `title`: (group, value, event lines).
fn run(events: &[Value], title: &str) -> Vec<(Value, Value, Vec<u64>)> {
    let mut child = Command::new(detect())
        .args(["scan", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = Vec::new();
    for e in events {
        input.extend_from_slice(e.to_string().as_bytes());
        input.push(b'\n');
    }
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|a| a["rule"]["title"] == title && a.get("correlation").is_some())
        .map(|a| {
            let c = &a["correlation"];
            let lines = c["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["line"].as_u64().unwrap())
                .collect();
            (c["group"].clone(), c["value"].clone(), lines)
        })
        .collect()
}

#[test]
fn chained_correlation_over_an_aliased_temporal_one() {
    // Three times 10 minutes apart: alice reads a secret, then bob execs impersonating alice
    // (the alias `caller` is user.username for the read, impersonatedUser.username for the
    // exec). The temporal correlation alerts three times; the chained event_count (eq 3 in a
    // day) alerts at the third.
    let mut events = Vec::new();
    for k in 0..3 {
        events.push(secret_read("alice", k * 600, json!({})));
        events.push(pod_exec("bob", "alice", k * 600 + 10));
    }
    let caller = json!({"caller": "alice"});
    // The temporal correlation's own alerts are withheld: the chained one reads it without
    // `generate: true`.
    assert!(run(&events, "Secret read then exec, either order").is_empty());
    // The chained alert lists the events at which the inner one alerted.
    assert_eq!(
        run(&events, "Repeated read-and-exec"),
        [(caller, json!(3), vec![2, 4, 6])]
    );
}

#[test]
fn extended_temporal_condition() {
    // `secret_read and not pod_exec` over 5 minutes, one global group: at 100 s the exec of
    // 0 s is still in the window; at 400 s it has left.
    let events = [
        pod_exec("bob", "x", 0),
        secret_read("alice", 100, json!({})),
        secret_read("alice", 400, json!({})),
    ];
    assert_eq!(
        run(&events, "Secret read, not followed by exec"),
        [(json!({}), json!(1), vec![2, 3])]
    );
}

#[test]
fn value_count_of_a_tuple_with_a_range() {
    // gt 5 and lte 50 distinct (namespace, name) pairs: the 7th read brings the 6th pair.
    let pairs = [
        ("a", "1"),
        ("a", "2"),
        ("a", "1"),
        ("b", "1"),
        ("b", "2"),
        ("c", "1"),
        ("c", "2"),
    ];
    let events: Vec<Value> = pairs
        .iter()
        .enumerate()
        .map(|(i, (ns, name))| {
            secret_read(
                "alice",
                i as u64,
                json!({"objectRef": {"resource": "secrets", "namespace": ns, "name": name}}),
            )
        })
        .collect();
    let got = run(&events, "Secrets of many namespaces");
    assert_eq!(
        got,
        [(
            json!({"user.username": "alice"}),
            json!(6),
            (1..=7).collect()
        )]
    );
}

#[test]
fn temporal_ordered_and_two_group_by_fields() {
    // alice: exec, read, exec: in order (read, then exec) at the third.
    let events = [
        pod_exec("alice", "x", 0),
        secret_read("alice", 10, json!({})),
        pod_exec("alice", "x", 20),
    ];
    assert_eq!(
        run(&events, "Secret read then exec, in order"),
        [(json!({"user.username": "alice"}), json!(2), vec![1, 2, 3])]
    );
    // event_count gte 100 grouped by user and source IP (an array: its first element).
    let events: Vec<Value> = (0..101)
        .map(|i| secret_read("alice", i, json!({"sourceIPs": ["10.0.0.1", "10.0.0.2"]})))
        .collect();
    let got = run(&events, "Many secret reads");
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].0,
        json!({"user.username": "alice", "sourceIPs": "10.0.0.1"})
    );
    assert_eq!(got[0].1, json!(100));
    assert_eq!(
        got[0].2.len(),
        16,
        "the alert lists the first 16 of its 100 events"
    );
}

#[test]
fn numeric_aggregates() {
    // Percentile 95 (nearest rank) of the response sizes, gt 1e6: at the 3rd the rank is 3.
    let sizes = [10, 20, 5_000_000];
    let events: Vec<Value> = sizes
        .iter()
        .enumerate()
        .map(|(i, s)| secret_read("alice", i as u64, json!({"responseObject": {"size": s}})))
        .collect();
    assert_eq!(
        run(&events, "Large responses"),
        [(json!({}), json!(5_000_000), vec![1, 2, 3])]
    );
    // No bytes, no latency: no sum, mean or median, so none of `lt`, `neq`, `gte` holds.
    for title in ["Sum and median", "Median", "Mean latency"] {
        assert!(run(&events, title).is_empty(), "{title}");
    }
    // Sum lt 10.5 over 30 s, evaluated at each match, the window restarting after each
    // alert: 4 alerts at once; 20 does not; 20 + 4 = 24 does not; at 40 s the 20 (at 5 s)
    // has left the window: 4 alerts.
    let bytes = |b: u32, t: u64| secret_read("alice", t, json!({"bytes": b, "latency": "0"}));
    let events = [bytes(4, 0), bytes(20, 5), bytes(4, 6), bytes(4, 40)];
    assert_eq!(
        run(&events, "Sum and median"),
        [
            (json!({}), json!(4), vec![1]),
            (json!({}), json!(4), vec![4])
        ]
    );
    // The median of 4 is 4 ≥ −2: it holds at the first match already.
    assert_eq!(
        run(&events, "Median").first().map(|a| a.1.clone()),
        Some(json!(4))
    );
    // Latency "0" (a numeric string): the mean 0 is never ≠ 0.
    assert!(run(&events, "Mean latency").is_empty());
}

// ---- The compiled correlations against a brute-force reference on random timelines ----

/// One generated event, and what the fixture's rules and correlations read of it.
#[derive(Debug, Clone)]
struct Gen {
    t: u64,
    user: Option<&'static str>,
    impersonated: Option<&'static str>,
    read: bool,
    exec: bool,
    ns: Option<&'static str>,
    name: Option<&'static str>,
    bytes: Option<u32>,
    latency: Option<u32>,
    size: Option<u32>,
}

impl Gen {
    fn json(&self) -> Value {
        let mut e = json!({"requestReceivedTimestamp": time(self.t)});
        let mut object = serde_json::Map::new();
        if self.read {
            e["verb"] = json!("get");
            object.insert("resource".into(), json!("secrets"));
        } else {
            e["verb"] = json!("create");
            object.insert("resource".into(), json!("pods"));
        }
        if self.exec {
            object.insert("subresource".into(), json!("exec"));
        }
        if let Some(ns) = self.ns {
            object.insert("namespace".into(), json!(ns));
        }
        if let Some(n) = self.name {
            object.insert("name".into(), json!(n));
        }
        e["objectRef"] = Value::Object(object);
        if let Some(u) = self.user {
            e["user"] = json!({"username": u});
        }
        if let Some(u) = self.impersonated {
            e["impersonatedUser"] = json!({"username": u});
        }
        if let Some(b) = self.bytes {
            e["bytes"] = json!(b);
        }
        if let Some(l) = self.latency {
            e["latency"] = json!(l);
        }
        if let Some(s) = self.size {
            e["responseObject"] = json!({"size": s});
        }
        e
    }
}

/// One match fed to a correlation: time, inputs bitmask, group values, field value(s).
#[derive(Debug, Clone)]
struct M {
    t: u64,
    inputs: u64,
    key: Vec<String>,
    values: Option<Vec<String>>,
}

/// An alert as compared: (time of the last match, group values, value, matches counted).
type Fire = (u64, Vec<String>, Option<f64>, usize);
/// Per event: the inputs it matched (bit) and their group value (`None`: the field is missing).
type Inputs<'a> = &'a dyn Fn(&Gen) -> Vec<(u64, Option<String>)>;
/// Per event: the `condition.field` values.
type Values<'a> = &'a dyn Fn(&Gen) -> Option<Vec<String>>;

#[derive(Debug, Clone, Copy)]
enum Agg {
    Count,
    Distinct,
    Present,
    Ordered(u32),
    Sum,
    Avg,
    Pct(u8),
    Rules(fn(u64) -> bool),
}

/// Brute force: at each match, its group's matches since the group last alerted with time in
/// [t − span, t], aggregated from scratch; (time, group, value, count) of each alert.
fn reference(ms: &[M], span: u64, agg: Agg, cond: &dyn Fn(Option<f64>) -> bool) -> Vec<Fire> {
    let mut restart: BTreeMap<Vec<String>, usize> = BTreeMap::new();
    let mut out = Vec::new();
    for (i, m) in ms.iter().enumerate() {
        let from = restart.get(&m.key).copied().unwrap_or(0);
        let w: Vec<&M> = ms[from..=i]
            .iter()
            .filter(|x| x.key == m.key && x.t + span >= m.t)
            .collect();
        let nums = || -> Vec<f64> {
            w.iter()
                .filter_map(|x| x.values.as_ref().and_then(|v| v[0].parse::<f64>().ok()))
                .collect()
        };
        let present = w.iter().fold(0, |p, x| p | x.inputs);
        let (value, holds) = match agg {
            Agg::Count => (Some(w.len() as f64), None),
            Agg::Distinct => {
                let s: BTreeSet<&Vec<String>> =
                    w.iter().filter_map(|x| x.values.as_ref()).collect();
                (Some(s.len() as f64), None)
            }
            Agg::Present => (Some(f64::from(present.count_ones())), None),
            Agg::Rules(f) => (Some(f64::from(present.count_ones())), Some(f(present))),
            Agg::Ordered(n) => {
                let mut k = 0;
                for x in &w {
                    if k < n && x.inputs & (1 << k) != 0 {
                        k += 1;
                    }
                }
                (Some(f64::from(k)), None)
            }
            Agg::Sum => {
                let v = nums();
                ((!v.is_empty()).then(|| v.iter().sum()), None)
            }
            Agg::Avg => {
                let v = nums();
                (
                    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64),
                    None,
                )
            }
            Agg::Pct(p) => {
                let mut v = nums();
                v.sort_by(f64::total_cmp);
                let rank = (usize::from(p) * v.len()).div_ceil(100).max(1);
                ((!v.is_empty()).then(|| v[rank - 1]), None)
            }
        };
        if holds.unwrap_or_else(|| cond(value)) {
            out.push((m.t, m.key.clone(), value, w.len()));
            restart.insert(m.key.clone(), i + 1);
        }
    }
    out
}

/// The alerts of `title` in `detect`'s output: (last, group values in group-by order, value,
/// count).
fn compiled(alerts: &[Value], title: &str, group_by: &[&str]) -> Vec<Fire> {
    alerts
        .iter()
        .filter(|a| a["rule"]["title"] == title && a.get("correlation").is_some())
        .map(|a| {
            let c = &a["correlation"];
            let last = c["last"].as_str().unwrap();
            // 2026-01-DDTHH:MM:SS.ffffffZ back to seconds after the 1st.
            let n = |r: std::ops::Range<usize>| last[r].parse::<u64>().unwrap();
            let t = (n(8..10) - 1) * 86_400 + n(11..13) * 3600 + n(14..16) * 60 + n(17..19);
            let group = group_by
                .iter()
                .map(|g| c["group"][*g].as_str().unwrap().to_owned())
                .collect();
            (
                t,
                group,
                c["value"].as_f64(),
                c["count"].as_u64().unwrap() as usize,
            )
        })
        .collect()
}

#[test]
fn compiled_correlations_agree_with_a_brute_force_reference() {
    let mut rng = detections::runtime::test_rng::Rng(0x6e4e_c0de);
    let pick = |rng: &mut detections::runtime::test_rng::Rng,
                xs: &[&'static str]|
     -> Option<&'static str> {
        let i = rng.below(xs.len() + 1);
        xs.get(i).copied()
    };
    let mut checked = 0;
    for round in 0..12 {
        let mut t = 0;
        let evs: Vec<Gen> = (0..150)
            .map(|_| {
                t += [0, 1, 1, 5, 30, 299, 300, 301][rng.below(8)];
                let kind = rng.below(10);
                Gen {
                    t,
                    user: pick(&mut rng, &["alice", "bob", "Alice"]),
                    impersonated: pick(&mut rng, &["alice", "bob"]),
                    read: kind < 6,
                    exec: (5..9).contains(&kind),
                    ns: pick(&mut rng, &["a", "b", "c"]),
                    name: pick(&mut rng, &["1", "2"]),
                    bytes: (rng.below(3) > 0).then(|| rng.below(8) as u32),
                    latency: (rng.below(3) > 0).then(|| rng.below(3) as u32),
                    size: (rng.below(3) > 0).then(|| [10, 2_000_000][rng.below(2)]),
                }
            })
            .collect();
        // One scan of the whole timeline.
        let mut child = Command::new(detect())
            .args(["scan", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = Vec::new();
        for e in &evs {
            input.extend_from_slice(e.json().to_string().as_bytes());
            input.push(b'\n');
        }
        child.stdin.take().unwrap().write_all(&input).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        let alerts: Vec<Value> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();

        // What each correlation is fed: the matches of its rules, group-by fields present.
        let s = |x: Option<&str>| x.map(str::to_owned);
        let feed = |inputs: Inputs<'_>, values: Values<'_>| -> Vec<M> {
            let mut ms = Vec::new();
            for e in &evs {
                // Inputs of one event with the same key merge into one match.
                let mut by_key: Vec<(Vec<String>, u64)> = Vec::new();
                for (bit, key) in inputs(e) {
                    let Some(key) = key else { continue };
                    match by_key.iter_mut().find(|(k, _)| k[0] == key) {
                        Some((_, b)) => *b |= bit,
                        None => by_key.push((vec![key], bit)),
                    }
                }
                for (key, bits) in by_key {
                    ms.push(M {
                        t: e.t,
                        inputs: bits,
                        key,
                        values: values(e),
                    });
                }
            }
            ms
        };
        let global =
            |m: Vec<M>| -> Vec<M> { m.into_iter().map(|m| M { key: vec![], ..m }).collect() };
        // The event as input 1 (a secret read) and input 2 (an exec), each under its key.
        let read_exec = |e: &Gen, read_key: Option<String>, exec_key: Option<String>| {
            let mut v = Vec::new();
            if e.read {
                v.push((1, read_key));
            }
            if e.exec {
                v.push((2, exec_key));
            }
            v
        };
        let read = |e: &Gen| if e.read { vec![(1, s(e.user))] } else { vec![] };
        let none = |_: &Gen| None;
        let gte = |n: f64| move |v: Option<f64>| v.is_some_and(|v| v >= n);

        // value_count of (namespace, name), gt 5 and lte 50, per user, 10 minutes.
        let ms = feed(&read, &|e| Some(vec![s(e.ns)?, s(e.name)?]));
        let want = reference(&ms, 600, Agg::Distinct, &|v| {
            v.is_some_and(|v| v > 5.0 && v <= 50.0)
        });
        assert_eq!(
            compiled(&alerts, "Secrets of many namespaces", &["user.username"]),
            want,
            "round {round}: value_count"
        );
        checked += want.len();

        // temporal over the alias `caller` (5 minutes), chained into event_count eq 3 in a day.
        let inputs = |e: &Gen| read_exec(e, s(e.user), s(e.impersonated));
        let ms = feed(&inputs, &none);
        let pairs = reference(&ms, 300, Agg::Present, &gte(2.0));
        let chained: Vec<M> = pairs
            .iter()
            .map(|(t, key, _, _)| M {
                t: *t,
                inputs: 1,
                key: key.clone(),
                values: None,
            })
            .collect();
        let want = reference(&chained, 86_400, Agg::Count, &|v| v == Some(3.0));
        assert_eq!(
            compiled(&alerts, "Repeated read-and-exec", &["caller"]),
            want,
            "round {round}: chained"
        );
        checked += want.len();

        // `secret_read and not pod_exec`, one global group, 5 minutes.
        let both = |e: &Gen| read_exec(e, Some(String::new()), Some(String::new()));
        fn read_not_exec(p: u64) -> bool {
            p & 1 != 0 && p & 2 == 0
        }
        let ms = global(feed(&both, &none));
        let want = reference(&ms, 300, Agg::Rules(read_not_exec), &|_| false);
        assert_eq!(
            compiled(&alerts, "Secret read, not followed by exec", &[]),
            want,
            "round {round}: extended"
        );
        checked += want.len();

        // temporal_ordered read then exec per user, 5 minutes.
        let by_user = |e: &Gen| read_exec(e, s(e.user), s(e.user));
        let ms = feed(&by_user, &none);
        let want = reference(&ms, 300, Agg::Ordered(2), &gte(2.0));
        assert_eq!(
            compiled(
                &alerts,
                "Secret read then exec, in order",
                &["user.username"]
            ),
            want,
            "round {round}: ordered"
        );
        checked += want.len();

        // The numeric ones, over secret reads.
        let all = |e: &Gen| {
            if e.read {
                vec![(1, Some(String::new()))]
            } else {
                vec![]
            }
        };
        let num = |f: fn(&Gen) -> Option<u32>| move |e: &Gen| f(e).map(|x| vec![x.to_string()]);
        let ms = global(feed(&all, &num(|e| e.size)));
        let want = reference(&ms, 604_800, Agg::Pct(95), &|v| v.is_some_and(|v| v > 1e6));
        assert_eq!(
            compiled(&alerts, "Large responses", &[]),
            want,
            "round {round}: percentile"
        );
        checked += want.len();
        let ms = feed(&read, &num(|e| e.latency));
        let want = reference(&ms, 2_629_746, Agg::Avg, &|v| v.is_some_and(|v| v != 0.0));
        assert_eq!(
            compiled(&alerts, "Mean latency", &["user.username"]),
            want,
            "round {round}: avg"
        );
        checked += want.len();
        let ms = global(feed(&all, &num(|e| e.bytes)));
        let want = reference(&ms, 30, Agg::Sum, &|v| v.is_some_and(|v| v < 10.5));
        assert_eq!(
            compiled(&alerts, "Sum and median", &[]),
            want,
            "round {round}: sum"
        );
        checked += want.len();
        let want = reference(&ms, 31_556_952, Agg::Pct(50), &|v| {
            v.is_some_and(|v| v >= -2.0)
        });
        assert_eq!(
            compiled(&alerts, "Median", &[]),
            want,
            "round {round}: median"
        );
        checked += want.len();
    }
    eprintln!("{checked} correlation alerts of the compiled code equal the reference's");
    assert!(checked > 300, "the comparison is not vacuous: {checked}");
}
