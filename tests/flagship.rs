//! Clause-by-clause tests of the compiled flagship rule, "Kubernetes API Request Impersonating
//! Privileged Identity" (`detections/kubernetes/k8s_impersonating_privileged_identity.yml`).
//!
//! The logic and its traps are defined in `../shared/docs/flagship-rule.md`:
//! match = 1 ∧ 2 ∧ 3 ∧ 4 ∧ (5a ∨ 5b) ∧ 6 (clause 0 is implicit for raw audit events).
//! Every case starts from one realistic positive raw `audit.k8s.io/v1` event and changes exactly
//! one thing, so that a case that must not match fails only because of the clause it names:
//! deleting or loosening any clause, or any single value in one of its lists, fails a test.
//!
//! The helpers and the two base events are here; the cases, clause by clause, are in
//! `flagship/`.

#[path = "flagship/clause_6.rs"]
mod clause_6;
#[path = "flagship/clauses_1_to_3.rs"]
mod clauses_1_to_3;
#[path = "flagship/clauses_4_and_5.rs"]
mod clauses_4_and_5;
mod common;
#[path = "flagship/shapes_and_traps.rs"]
mod shapes_and_traps;

use detections::runtime::{Event, Rule};
use serde_json::{json, Value};

const FLAGSHIP_ID: &str = "3f0b6d1e-7c42-4a8e-9d5b-2e61c8a9f470";

/// JSON pointers of the fields the clauses read.
const DECISION: &str = "/annotations/authorization.k8s.io~1decision";
const USERNAME: &str = "/impersonatedUser/username";
const GROUPS: &str = "/impersonatedUser/groups";
const CALLER: &str = "/user/username";

/// The flagship rule; panics when the shipped rule set lacks it.
fn flagship() -> &'static Rule {
    detections::RULES
        .rules
        .iter()
        .find(|r| r.info.id == FLAGSHIP_ID)
        .unwrap_or_else(|| panic!("rule {FLAGSHIP_ID} is missing from detections::RULES"))
}

/// A positive event matched through clause 5a: caller `alice@example.com` impersonates
/// `system:admin` (no privileged group) and lists secrets; the authorizer allowed it.
fn base() -> Value {
    json!({
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "Metadata",
        "auditID": "7a3c1f52-2b9e-4d0a-8f61-0c4e5d9b1a27",
        "stage": "ResponseComplete",
        "requestURI": "/api/v1/namespaces/kube-system/secrets",
        "verb": "list",
        "user": {
            "username": "alice@example.com",
            "uid": "6f1d2c3b-0a9e-4e8d-b7c6-5a4f3e2d1c0b",
            "groups": ["developers", "system:authenticated"]
        },
        "impersonatedUser": {
            "username": "system:admin",
            "groups": ["system:authenticated"]
        },
        "sourceIPs": ["203.0.113.10"],
        "userAgent": "kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46",
        "objectRef": {
            "resource": "secrets",
            "namespace": "kube-system",
            "apiVersion": "v1"
        },
        "responseStatus": {"metadata": {}, "code": 200},
        "requestReceivedTimestamp": "2026-01-01T00:00:00.000000Z",
        "stageTimestamp": "2026-01-01T00:00:00.010000Z",
        "annotations": {
            "authorization.k8s.io/decision": "allow",
            "authorization.k8s.io/reason": "RBAC: allowed by ClusterRoleBinding \"cluster-admin\" of ClusterRole \"cluster-admin\" to Group \"system:masters\""
        }
    })
}

/// A positive event matched through clause 5b only: the impersonated username `bob` is not
/// privileged, the group `system:masters` is.
fn group_base() -> Value {
    let ev = with(&base(), "/impersonatedUser/username", json!("bob"));
    with(
        &ev,
        "/impersonatedUser/groups",
        json!(["system:masters", "system:authenticated"]),
    )
}

/// Decodes one RFC 6901 pointer token (`~1` is `/`, `~0` is `~`).
fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// Splits a pointer into its parent pointer and last token.
fn split(pointer: &str) -> (&str, String) {
    let at = pointer
        .rfind('/')
        .unwrap_or_else(|| panic!("bad JSON pointer {pointer:?}"));
    (&pointer[..at], unescape(&pointer[at + 1..]))
}

/// A copy of `base` with the value at `pointer` set (its parent must exist; a missing last key
/// is added).
fn with(base: &Value, pointer: &str, value: Value) -> Value {
    let mut ev = base.clone();
    if let Some(slot) = ev.pointer_mut(pointer) {
        *slot = value;
        return ev;
    }
    let (parent, key) = split(pointer);
    match ev.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.insert(key, value);
        }
        _ => panic!("with: no object at {parent:?} to hold {pointer:?}"),
    }
    ev
}

/// A copy of `base` without the value at `pointer` (which must exist, so that the case really
/// changes something).
fn without(base: &Value, pointer: &str) -> Value {
    let mut ev = base.clone();
    let (parent, key) = split(pointer);
    let removed = match ev.pointer_mut(parent) {
        Some(Value::Object(map)) => map.remove(&key).is_some(),
        _ => false,
    };
    assert!(removed, "without: nothing at {pointer:?}");
    ev
}

/// The rule's verdict on `ev`, going through the same JSON text a log line would hold.
fn verdict(rule: &Rule, ev: &Value) -> bool {
    let line = serde_json::to_string(ev).expect("serialize event");
    let event = Event::parse(&line).unwrap_or_else(|e| panic!("event does not parse: {e}"));
    (rule.matches)(&event)
}

/// Checks every case and reports all wrong verdicts at once, each with its label.
fn expect(rule: &Rule, cases: &[(&str, Value, bool)]) {
    assert!(!cases.is_empty(), "no cases");
    let wrong: Vec<String> = cases
        .iter()
        .filter(|(_, ev, want)| verdict(rule, ev) != *want)
        .map(|(label, ev, want)| {
            format!(
                "  {label}: expected {}, got {}\n    {ev}",
                verdict_word(*want),
                verdict_word(!*want)
            )
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "{} of {} cases wrong:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

fn verdict_word(m: bool) -> &'static str {
    if m {
        "match"
    } else {
        "no match"
    }
}

/// Cases that set one pointer of `base` to each value, all expecting `want`.
fn each<'a>(
    base: &Value,
    pointer: &str,
    values: &[&'a str],
    want: bool,
) -> Vec<(&'a str, Value, bool)> {
    values
        .iter()
        .map(|v| (*v, with(base, pointer, json!(v)), want))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The two base events

#[test]
fn base_events_match_through_5a_and_through_5b() {
    if common::other_rule_set() {
        return;
    }
    let rule = flagship();
    expect(
        rule,
        &[
            ("base (5a: system:admin)", base(), true),
            ("group base (5b: bob in system:masters)", group_base(), true),
            // The bases differ from their near-misses in one value, so they are the positives
            // every other case is measured against.
            (
                "base with an unprivileged username and group",
                with(&base(), "/impersonatedUser/username", json!("bob")),
                false,
            ),
            (
                "group base without its privileged group",
                with(
                    &group_base(),
                    "/impersonatedUser/groups",
                    json!(["system:authenticated"]),
                ),
                false,
            ),
        ],
    );
}
