//! The shipped correlation rules end to end through `detect`: hand-derived timelines for
//! each (window ends, order, distinct values, missing group-by, the same caller), `generate`,
//! event time and lateness, the ECS forms, and the webhook keeping state across requests.
//! Semantics: docs/correlation.md.

mod common;
mod serve_support;

use serde_json::{json, Value};
use serve_support::{Client, Server, TempDir};
use std::io::Write;
use std::process::{Command, Output, Stdio};

const DETECT: &str = env!("CARGO_BIN_EXE_detect");
const FLAGSHIP: &str = "3f0b6d1e-7c42-4a8e-9d5b-2e61c8a9f470";
const SWEEP: &str = "2232ad1a-b125-4d2b-9aa6-82cced8b3ff3";
const FOLLOW_UP: &str = "dd7e1870-22b8-4e5e-86cd-13a9750b4192";
const SENSITIVE: &str = "01042c2b-7428-4208-bbff-3c0ca84b4a00";

/// `HH:MM:SS` on 2026-01-02 as RFC 3339.
fn at(hms: &str) -> String {
    format!("2026-01-02T{hms}.000000Z")
}

/// A privileged impersonation by `caller` (the flagship matches it).
fn impersonation(caller: &str, namespace: Option<&str>, time: &str) -> Value {
    let mut e = json!({
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "stage": "ResponseComplete",
        "verb": "list", "user": {"username": caller},
        "impersonatedUser": {"username": "system:admin"},
        "objectRef": {"resource": "secrets"},
        "requestReceivedTimestamp": time,
        "annotations": {"authorization.k8s.io/decision": "allow"},
    });
    if let Some(ns) = namespace {
        e["objectRef"]["namespace"] = json!(ns);
    }
    e
}

/// An action under the caller's own identity: `secret`, `token`, `rbac` or `csr`.
fn action(caller: &str, what: &str, time: &str) -> Value {
    let (verb, object) = match what {
        "secret" => (
            "get",
            json!({"resource": "secrets", "namespace": "default", "name": "db"}),
        ),
        "token" => (
            "create",
            json!({"resource": "serviceaccounts", "subresource": "token", "namespace": "default", "name": "ci"}),
        ),
        "rbac" => (
            "create",
            json!({"resource": "clusterrolebindings", "apiGroup": "rbac.authorization.k8s.io"}),
        ),
        "csr" => (
            "update",
            json!({"resource": "certificatesigningrequests", "subresource": "approval", "name": "node-csr"}),
        ),
        other => panic!("{other}"),
    };
    json!({
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "stage": "ResponseComplete",
        "verb": verb, "user": {"username": caller}, "objectRef": object,
        "requestReceivedTimestamp": time,
        "annotations": {"authorization.k8s.io/decision": "allow"},
    })
}

fn ndjson(events: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in events {
        out.extend_from_slice(e.to_string().as_bytes());
        out.push(b'\n');
    }
    out
}

fn scan(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(DETECT)
        .arg("scan")
        .args(args)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run detect");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// The correlation alerts of rule `id`: (group, 1-based lines of the events).
fn correlated(alerts: &[Value], id: &str) -> Vec<(Value, Vec<u64>)> {
    alerts
        .iter()
        .filter(|a| a["rule"]["id"] == id && a.get("correlation").is_some())
        .map(|a| {
            let c = &a["correlation"];
            let lines = c["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["line"].as_u64().unwrap())
                .collect();
            (c["group"].clone(), lines)
        })
        .collect()
}

fn group(caller: &str) -> Value {
    json!({"user.username": caller})
}

#[test]
fn sweep_three_namespaces_within_ten_minutes_both_ends_included() {
    if common::other_rule_set() {
        return;
    }
    let events = [
        impersonation("carol", Some("a"), &at("10:00:00")),
        // The same namespace again: still one value.
        impersonation("carol", Some("a"), &at("10:01:00")),
        // Another caller's namespaces do not count for carol.
        impersonation("erin", Some("b"), &at("10:02:00")),
        // No namespace: counts for nothing (but is a match of the group).
        impersonation("carol", None, &at("10:03:00")),
        impersonation("carol", Some("b"), &at("10:05:00")),
        // 10:10:00 − 10 minutes = 10:00:00: the first match is still in the window.
        impersonation("carol", Some("c"), &at("10:10:00")),
    ];
    let alerts = lines(&scan(&[], &ndjson(&events)));
    let got = correlated(&alerts, SWEEP);
    assert_eq!(got, [(group("carol"), vec![1, 2, 4, 5, 6])]);
    let c = &alerts.iter().find(|a| a["rule"]["id"] == SWEEP).unwrap()["correlation"];
    assert_eq!(c["type"], "value_count");
    assert_eq!(c["value"], 3);
    assert_eq!(c["count"], 5);
    assert_eq!(c["first"], "2026-01-02T10:00:00.000000Z");
    assert_eq!(c["last"], "2026-01-02T10:10:00.000000Z");
    // The keys in the documented order.
    let keys: Vec<&String> = c.as_object().unwrap().keys().collect();
    assert!(keys.len() == 7, "{keys:?}");
    // The impersonation rule keeps its own alerts (generate: true): one per event.
    assert_eq!(
        alerts
            .iter()
            .filter(|a| a["rule"]["id"] == FLAGSHIP)
            .count(),
        events.len()
    );
}

#[test]
fn sweep_one_second_too_slow_does_not_alert_and_a_burst_alerts_once() {
    if common::other_rule_set() {
        return;
    }
    // At 10:10:01 the window is [10:00:01, 10:10:01]: `a` has left it.
    let slow = [
        impersonation("carol", Some("a"), &at("10:00:00")),
        impersonation("carol", Some("b"), &at("10:05:00")),
        impersonation("carol", Some("c"), &at("10:10:01")),
    ];
    assert!(correlated(&lines(&scan(&[], &ndjson(&slow))), SWEEP).is_empty());
    // Five namespaces in a row: one alert at the third, then the window restarts (d, e
    // are two values: no second alert).
    let burst: Vec<Value> = ["a", "b", "c", "d", "e"]
        .iter()
        .enumerate()
        .map(|(i, ns)| impersonation("carol", Some(ns), &at(&format!("10:00:0{i}"))))
        .collect();
    let got = correlated(&lines(&scan(&[], &ndjson(&burst))), SWEEP);
    assert_eq!(got, [(group("carol"), vec![1, 2, 3])]);
}

#[test]
fn impersonation_then_each_sensitive_action_within_five_minutes() {
    if common::other_rule_set() {
        return;
    }
    for what in ["secret", "token", "rbac", "csr"] {
        let events = [
            impersonation("dave", Some("x"), &at("11:00:00")),
            // Another caller's action does not count.
            action("erin", what, &at("11:01:00")),
            // 11:05:00 − 5 minutes = 11:00:00: both ends included.
            action("dave", what, &at("11:05:00")),
        ];
        let alerts = lines(&scan(&[], &ndjson(&events)));
        let got = correlated(&alerts, FOLLOW_UP);
        assert_eq!(got, [(group("dave"), vec![1, 3])], "{what}");
        let c = &alerts
            .iter()
            .find(|a| a["rule"]["id"] == FOLLOW_UP)
            .unwrap()["correlation"];
        assert_eq!(c["type"], "temporal_ordered");
        assert_eq!(c["value"], 2);
        // The base rule of the actions is quiet (only this correlation reads it, without
        // generate): no alert of its own.
        assert!(
            alerts.iter().all(|a| a["rule"]["id"] != SENSITIVE),
            "{what}"
        );
    }
}

#[test]
fn the_action_must_follow_the_impersonation_in_time_and_in_five_minutes() {
    if common::other_rule_set() {
        return;
    }
    let cases: [(&str, Vec<Value>, bool); 4] = [
        (
            "action first",
            vec![
                action("dave", "rbac", &at("11:00:00")),
                impersonation("dave", Some("x"), &at("11:01:00")),
            ],
            false,
        ),
        (
            "one second too late",
            vec![
                impersonation("dave", Some("x"), &at("11:00:00")),
                action("dave", "rbac", &at("11:05:01")),
            ],
            false,
        ),
        (
            "an impersonated action is the base rule's, not a follow-up",
            vec![impersonation("dave", Some("x"), &at("11:00:00")), {
                let mut a = action("dave", "secret", &at("11:01:00"));
                a["impersonatedUser"] = json!({"username": "bob"});
                a
            }],
            false,
        ),
        (
            "written in the wrong order in the file, in order in time",
            vec![
                action("dave", "rbac", &at("11:02:00")),
                impersonation("dave", Some("x"), &at("11:00:00")),
            ],
            true,
        ),
    ];
    for (name, events, alerts) in cases {
        let got = correlated(&lines(&scan(&[], &ndjson(&events))), FOLLOW_UP);
        assert_eq!(!got.is_empty(), alerts, "{name}");
    }
}

#[test]
fn a_missing_caller_or_time_feeds_no_correlation_and_is_counted() {
    if common::other_rule_set() {
        return;
    }
    let mut no_caller = impersonation("x", Some("b"), &at("10:01:00"));
    no_caller["user"] = json!({});
    let mut no_time = impersonation("carol", Some("c"), &at("10:02:00"));
    no_time
        .as_object_mut()
        .unwrap()
        .remove("requestReceivedTimestamp");
    let mut bad_time = impersonation("carol", Some("c"), &at("10:02:00"));
    bad_time["requestReceivedTimestamp"] = json!("yesterday");
    let events = [
        impersonation("carol", Some("a"), &at("10:00:00")),
        no_caller,
        no_time,
        bad_time,
        impersonation("carol", Some("b"), &at("10:03:00")),
    ];
    let out = scan(&["--stats"], &ndjson(&events));
    let alerts = lines(&out);
    assert!(correlated(&alerts, SWEEP).is_empty());
    // Every event still raises the flagship's own alert.
    assert_eq!(alerts.len(), 5);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("correlations: 2 untimed matches, 0 late matches"),
        "{stderr}"
    );
    // The stage timestamp stands in for a missing requestReceivedTimestamp.
    let mut staged = impersonation("carol", Some("c"), &at("10:02:00"));
    staged
        .as_object_mut()
        .unwrap()
        .remove("requestReceivedTimestamp");
    staged["stageTimestamp"] = json!(at("10:02:00"));
    let events = [
        impersonation("carol", Some("a"), &at("10:00:00")),
        staged,
        impersonation("carol", Some("b"), &at("10:03:00")),
    ];
    assert_eq!(
        correlated(&lines(&scan(&[], &ndjson(&events))), SWEEP).len(),
        1
    );
}

#[test]
fn matches_later_than_the_lateness_bound_are_counted_and_not_correlated() {
    if common::other_rule_set() {
        return;
    }
    // b arrives 6 minutes behind the latest time seen (10:10): later than the default 5m.
    let events = [
        impersonation("carol", Some("a"), &at("10:00:00")),
        impersonation("carol", Some("c"), &at("10:10:00")),
        impersonation("carol", Some("b"), &at("10:04:00")),
    ];
    let out = scan(&["--stats"], &ndjson(&events));
    assert!(correlated(&lines(&out), SWEEP).is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("0 untimed matches, 1 late matches"),
        "{stderr}"
    );
    assert!(stderr.contains("later than --max-lateness"), "{stderr}");
    // With a bound of 10 minutes it is in time, and put back in order.
    let out = scan(&["--max-lateness", "10m"], &ndjson(&events));
    assert_eq!(
        correlated(&lines(&out), SWEEP),
        [(group("carol"), vec![1, 3, 2])]
    );
}

#[test]
fn time_field_overrides_the_default() {
    if common::other_rule_set() {
        return;
    }
    let events: Vec<Value> = ["a", "b", "c"]
        .iter()
        .enumerate()
        .map(|(i, ns)| {
            // requestReceivedTimestamp says an hour apart; `seen` says a minute apart.
            let mut e = impersonation("carol", Some(ns), &at(&format!("1{i}:00:00")));
            e["seen"] = json!(at(&format!("10:0{i}:00")));
            e
        })
        .collect();
    assert!(correlated(&lines(&scan(&[], &ndjson(&events))), SWEEP).is_empty());
    let got = correlated(
        &lines(&scan(&["--time-field", "seen"], &ndjson(&events))),
        SWEEP,
    );
    assert_eq!(got.len(), 1);
}

#[test]
fn ecs_documents_and_ecs_alerts() {
    if common::other_rule_set() {
        return;
    }
    let ecs = |ns: &str, time: &str| {
        json!({
            "@timestamp": time,
            "data_stream": {"dataset": "kubernetes.audit_logs"},
            "user": {"name": "carol"},
            "kubernetes": {"audit": {
                "verb": "list",
                "impersonatedUser": {"username": "system:admin"},
                "objectRef": {"resource": "secrets", "namespace": ns},
                "annotations": {"authorization_k8s_io/decision": "allow"},
            }},
        })
    };
    let events = [
        ecs("a", &at("10:00:00")),
        ecs("b", &at("10:01:00")),
        ecs("c", &at("10:02:00")),
    ];
    let alerts = lines(&scan(&["--input-format", "ecs"], &ndjson(&events)));
    assert_eq!(
        correlated(&alerts, SWEEP),
        [(group("carol"), vec![1, 2, 3])]
    );
    let alerts = lines(&scan(
        &["--input-format", "ecs", "--alert-format", "ecs"],
        &ndjson(&events),
    ));
    let a = alerts
        .iter()
        .find(|a| a["rule"]["id"] == SWEEP)
        .expect("an ECS correlation alert");
    assert_eq!(a["event"]["kind"], "alert");
    assert_eq!(a["@timestamp"], "2026-01-02T10:02:00.000000Z");
    assert_eq!(a["event"]["start"], "2026-01-02T10:00:00.000000Z");
    assert_eq!(
        a["rule"]["name"],
        "Privileged Impersonation in Many Namespaces"
    );
    assert_eq!(a["sigma"]["correlation"]["value"], 3);
}

#[test]
fn the_example_events_show_both_correlations() {
    if common::other_rule_set() {
        return;
    }
    let out = Command::new(DETECT)
        .args([
            "scan",
            "examples/audit-events.ndjson",
            "examples/correlation-events.ndjson",
        ])
        .current_dir(common::root())
        .output()
        .unwrap();
    assert!(out.status.success());
    let alerts = lines(&out);
    assert_eq!(
        correlated(&alerts, SWEEP),
        [(group("carol@example.com"), vec![1, 2, 4])]
    );
    assert_eq!(
        correlated(&alerts, FOLLOW_UP),
        [(group("dave@example.com"), vec![6, 7])]
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        "detect: 15 lines read, 14 events evaluated, 11 alerts (2 from correlations), 0 bad lines, 1 lines skipped by the prefilter"
    );
}

#[test]
fn the_webhook_keeps_correlation_state_across_requests() {
    if common::other_rule_set() {
        return;
    }
    let tmp = TempDir::new("serve_correlation");
    let out = tmp.path("alerts.ndjson");
    // A lateness bound of 0: each match is correlated as soon as it arrives.
    let server = Server::start(&["--output", out.to_str().unwrap(), "--max-lateness", "0"]);
    let client = Client::plain(server.addr);
    for (i, ns) in ["a", "b", "c"].iter().enumerate() {
        let body = json!({
            "kind": "EventList", "apiVersion": "audit.k8s.io/v1",
            "items": [impersonation("carol", Some(ns), &at(&format!("10:0{i}:00")))],
        });
        let r = client.post("/", body.to_string().as_bytes()).unwrap();
        assert_eq!(r.status, 200, "{r:?}");
    }
    let text = std::fs::read_to_string(&out).unwrap();
    let alerts: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got = correlated(&alerts, SWEEP);
    assert_eq!(got.len(), 1, "{text}");
    // The events are the three requests' items.
    let lines: Vec<u64> = alerts.iter().find(|a| a["rule"]["id"] == SWEEP).unwrap()["correlation"]
        ["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [1, 2, 3]);
    let (status, _) = server.terminate();
    assert!(status.success());
}

#[test]
fn the_webhook_releases_waiting_matches_by_the_wall_clock() {
    if common::other_rule_set() {
        return;
    }
    let tmp = TempDir::new("serve_correlation_clock");
    let out = tmp.path("alerts.ndjson");
    let server = Server::start(&["--output", out.to_str().unwrap(), "--max-lateness", "1s"]);
    let client = Client::plain(server.addr);
    // Three namespaces, stamped with the current time: the last match waits in the lateness
    // buffer after its request, until the wall clock is a second past it.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let stamp = |t: i64| {
        let (d, s) = (t.div_euclid(86_400), t.rem_euclid(86_400));
        let (y, m, dd) = detections::runtime::calendar::civil_from_days(d);
        format!(
            "{y:04}-{m:02}-{dd:02}T{:02}:{:02}:{:02}Z",
            s / 3600,
            s % 3600 / 60,
            s % 60
        )
    };
    for (i, ns) in ["a", "b", "c"].iter().enumerate() {
        let body = json!({
            "kind": "EventList", "apiVersion": "audit.k8s.io/v1",
            "items": [impersonation("carol", Some(ns), &stamp(now - 2 + i as i64))],
        });
        assert_eq!(
            client
                .post("/", body.to_string().as_bytes())
                .unwrap()
                .status,
            200
        );
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let found = loop {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        let alerts: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        if !correlated(&alerts, SWEEP).is_empty() {
            break true;
        }
        if std::time::Instant::now() > deadline {
            break false;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(found, "no correlation alert within 10 s");
    let (status, _) = server.terminate();
    assert!(status.success());
}
