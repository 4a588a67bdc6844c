//! Every correlation type as generated code, compiled and run: `detect` built from the
//! generator's correlation fixture (`generator/tests/fixtures/correlation/kinds.yml`, the
//! rules its snapshots show) and run over hand-derived timelines: chaining, aliases, the
//! extended temporal condition, distinct tuples, order, two group-by fields, the numeric
//! aggregates and a range.

mod common;

use serde_json::{json, Value};
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
