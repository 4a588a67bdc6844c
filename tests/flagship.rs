//! Clause-by-clause tests of the compiled flagship rule, "Kubernetes API Request Impersonating
//! Privileged Identity" (`detections/kubernetes/k8s_impersonating_privileged_identity.yml`).
//!
//! The logic and its traps are defined in `../shared/docs/flagship-rule.md`:
//! match = 1 ∧ 2 ∧ 3 ∧ 4 ∧ (5a ∨ 5b) ∧ 6 (clause 0 is implicit for raw audit events).
//! Every case starts from one realistic positive raw `audit.k8s.io/v1` event and changes exactly
//! one thing, so that a case that must not match fails only because of the clause it names:
//! deleting or loosening any clause, or any single value in one of its lists, fails a test.

mod common;

use detections::runtime::{Event, Rule};
use serde_json::{json, Value};

const FLAGSHIP_ID: &str = "3f0b6d1e-7c42-4a8e-9d5b-2e61c8a9f470";

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

// ---------------------------------------------------------------------------------------------
// Clause 1: impersonatedUser.username present and not null

#[test]
fn clause1_impersonated_username_present_and_not_null() {
    if common::other_rule_set() {
        return;
    }
    let rule = flagship();
    // The group base satisfies 5b, so only clause 1 can reject these.
    let g = group_base();
    expect(
        rule,
        &[
            (
                "username present (bob) with privileged group",
                g.clone(),
                true,
            ),
            (
                "username empty string is present and not null",
                with(&g, "/impersonatedUser/username", json!("")),
                true,
            ),
            (
                "username missing, privileged group present",
                without(&g, "/impersonatedUser/username"),
                false,
            ),
            (
                "username null, privileged group present",
                with(&g, "/impersonatedUser/username", Value::Null),
                false,
            ),
            (
                "username [] (no value), privileged group present",
                with(&g, "/impersonatedUser/username", json!([])),
                false,
            ),
            (
                "username [null], privileged group present",
                with(&g, "/impersonatedUser/username", json!([null])),
                false,
            ),
            (
                "no impersonatedUser object at all (5a base)",
                without(&base(), "/impersonatedUser"),
                false,
            ),
        ],
    );
}

#[test]
fn clause1_null_username_does_not_match_even_with_every_privileged_group() {
    if common::other_rule_set() {
        return;
    }
    let rule = flagship();
    let ev = with(
        &with(&base(), "/impersonatedUser/username", Value::Null),
        "/impersonatedUser/groups",
        json!(["system:masters", "system:cluster-admins", "cluster-admin"]),
    );
    expect(
        rule,
        &[(
            "username null, groups hold all three privileged groups",
            ev,
            false,
        )],
    );
}

// ---------------------------------------------------------------------------------------------
// Clause 2: not EKS's own impersonated identities

#[test]
fn clause2_eks_impersonated_usernames_excluded_even_with_system_masters() {
    if common::other_rule_set() {
        return;
    }
    let rule = flagship();
    // The group base carries system:masters, so 5b holds and only clause 2 can reject these.
    let g = group_base();
    let mut cases = each(
        &g,
        "/impersonatedUser/username",
        &[
            "eks-event-service:event-controller",
            "eks:",
            "eks:addon-manager",
            "eks:certificate-controller",
            "eks:node:x/y",
        ],
        false,
    );
    // Near-misses: exact, case-sensitive, anchored.
    cases.extend(each(
        &g,
        "/impersonatedUser/username",
        &[
            "eks-event-service:event-controller-x",
            "eks-event-service:event-controllers",
            "x-eks-event-service:event-controller",
            "EKS-EVENT-SERVICE:EVENT-CONTROLLER",
            "eks-event-service",
            "EKS:addon-manager",
            "Eks:addon-manager",
            "xeks:addon-manager",
            "eks",
            "eks-addon-manager",
            "eksadmin",
        ],
        true,
    ));
    // A 5a username behind an EKS one in an array of impersonated users: any element excludes.
    cases.push((
        "impersonatedUser array: [system:admin, eks:addon-manager]",
        with(
            &base(),
            "/impersonatedUser",
            json!([
                {"username": "system:admin", "groups": ["system:authenticated"]},
                {"username": "eks:addon-manager", "groups": ["system:authenticated"]}
            ]),
        ),
        false,
    ));
    expect(rule, &cases);
}

// ---------------------------------------------------------------------------------------------
// Clause 3: annotations["authorization.k8s.io/decision"] == "allow"

const DECISION: &str = "/annotations/authorization.k8s.io~1decision";

#[test]
fn clause3_decision_must_be_exactly_allow() {
    if common::other_rule_set() {
        return;
    }
    let rule = flagship();
    let b = base();
    let mut cases = each(&b, DECISION, &["allow"], true);
    cases.extend(each(
        &b,
        DECISION,
        &[
            "Allow", "ALLOW", "forbid", "deny", "allow ", " allow", "allowed", "", "reject",
        ],
        false,
    ));
    cases.extend([
        ("decision null", with(&b, DECISION, Value::Null), false),
        ("decision true", with(&b, DECISION, json!(true)), false),
        ("decision 1", with(&b, DECISION, json!(1)), false),
        (
            "decision as an array [deny, allow] (any element)",
            with(&b, DECISION, json!(["deny", "allow"])),
            true,
        ),
        (
            "decision as an array [deny, forbid]",
            with(&b, DECISION, json!(["deny", "forbid"])),
            false,
        ),
    ]);
    expect(rule, &cases);
}

#[test]
fn clause3_missing_annotations_or_decision_key_does_not_match() {
    if common::other_rule_set() {
        return;
    }
    let rule = flagship();
    let b = base();
    expect(
        rule,
        &[
            ("no annotations object", without(&b, "/annotations"), false),
            (
                "decision key missing (reason only)",
                without(&b, DECISION),
                false,
            ),
            (
                "annotations empty",
                with(&b, "/annotations", json!({})),
                false,
            ),
            (
                "annotations null",
                with(&b, "/annotations", Value::Null),
                false,
            ),
            (
                "allow only in the reason annotation",
                with(
                    &without(&b, DECISION),
                    "/annotations/authorization.k8s.io~1reason",
                    json!("allow"),
                ),
                false,
            ),
            (
                "ECS-style de-dotted key is a different field",
                with(
                    &without(&b, DECISION),
                    "/annotations/authorization_k8s_io~1decision",
                    json!("allow"),
                ),
                false,
            ),
            (
                "decision key without the annotations parent",
                with(
                    &without(&b, "/annotations"),
                    "/authorization.k8s.io~1decision",
                    json!("allow"),
                ),
                false,
            ),
            (
                "decision under another parent (metadata.annotations)",
                with(
                    &without(&b, "/annotations"),
                    "/metadata",
                    json!({"annotations": {"authorization.k8s.io/decision": "allow"}}),
                ),
                false,
            ),
        ],
    );
}

/// Project decision (sigma-semantics.md, "field path with dots"): the rule field names every
/// nesting of keys that, joined with `.`, spell it, and any of the values found passes.
#[test]
fn clause3_every_dotted_key_split_of_the_field_is_the_field() {
    if common::other_rule_set() {
        return;
    }
    let rule = flagship();
    let no_annotations = without(&base(), "/annotations");
    let shape = |pointer: &str, v: Value| with(&no_annotations, pointer, v);
    expect(
        rule,
        &[
            (
                "top-level key annotations.authorization.k8s.io/decision",
                shape(
                    "/annotations.authorization.k8s.io~1decision",
                    json!("allow"),
                ),
                true,
            ),
            (
                "top-level dotted key with deny",
                shape("/annotations.authorization.k8s.io~1decision", json!("deny")),
                false,
            ),
            (
                // Joined with dots these keys spell `...k8s.io.decision`: the `/` in the
                // field is part of a key, never a separator.
                "annotations > authorization.k8s.io > decision spells a different name",
                shape(
                    "/annotations",
                    json!({"authorization.k8s.io": {"decision": "allow"}}),
                ),
                false,
            ),
            (
                "annotations > authorization > k8s > io/decision",
                shape(
                    "/annotations",
                    json!({"authorization": {"k8s": {"io/decision": "allow"}}}),
                ),
                true,
            ),
            (
                "annotations.authorization > k8s.io/decision",
                shape(
                    "/annotations.authorization",
                    json!({"k8s.io/decision": "allow"}),
                ),
                true,
            ),
            (
                "annotations > authorization > k8s.io/decision",
                shape(
                    "/annotations",
                    json!({"authorization": {"k8s.io/decision": "allow"}}),
                ),
                true,
            ),
            (
                "annotations > authorization > k8s.io/decision = Allow",
                shape(
                    "/annotations",
                    json!({"authorization": {"k8s.io/decision": "Allow"}}),
                ),
                false,
            ),
            (
                "annotations > authorization.k8s > io/decision",
                shape(
                    "/annotations",
                    json!({"authorization.k8s": {"io/decision": "allow"}}),
                ),
                true,
            ),
            (
                "keys spelling annotations.authorization.k8s.io.decision (dot, not slash)",
                shape(
                    "/annotations",
                    json!({"authorization": {"k8s.io": {"decision": "allow"}}}),
                ),
                false,
            ),
            (
                "annotations as an array of objects (transparent)",
                shape(
                    "/annotations",
                    json!([{"authorization.k8s.io/reason": "x"}, {"authorization.k8s.io/decision": "allow"}]),
                ),
                true,
            ),
            (
                "no split is privileged: nested deny, top-level dotted allow",
                with(
                    &with(&base(), DECISION, json!("deny")),
                    "/annotations.authorization.k8s.io~1decision",
                    json!("allow"),
                ),
                true,
            ),
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// Clause 4: verb in create, delete, get, list, patch, update

#[test]
fn clause4_every_listed_verb_matches() {
    if common::other_rule_set() {
        return;
    }
    let rule = flagship();
    expect(
        rule,
        &each(
            &base(),
            "/verb",
            &["create", "delete", "get", "list", "patch", "update"],
            true,
        ),
    );
}

#[test]
fn clause4_other_verbs_and_spellings_do_not_match() {
    if common::other_rule_set() {
        return;
    }
    let rule = flagship();
    let b = base();
    let mut cases = each(
        &b,
        "/verb",
        &[
            "watch",
            "deletecollection",
            "proxy",
            "impersonate",
            "bind",
            "escalate",
            "approve",
            "GET",
            "Get",
            "LIST",
            "Create",
            "get ",
            " get",
            "gets",
            "xget",
            "created",
            "xcreate",
            "deleted",
            "xdelete",
            "lists",
            "xlist",
            "patched",
            "xpatch",
            "updated",
            "xupdate",
            "lis",
            "",
        ],
        false,
    );
    cases.extend([
        ("verb missing", without(&b, "/verb"), false),
        ("verb null", with(&b, "/verb", Value::Null), false),
        ("verb 1 (number)", with(&b, "/verb", json!(1)), false),
        ("verb true (boolean)", with(&b, "/verb", json!(true)), false),
        (
            "verb object",
            with(&b, "/verb", json!({"get": "get"})),
            false,
        ),
        (
            "verb array [watch, get] (any element)",
            with(&b, "/verb", json!(["watch", "get"])),
            true,
        ),
        (
            "verb array [watch, deletecollection]",
            with(&b, "/verb", json!(["watch", "deletecollection"])),
            false,
        ),
    ]);
    expect(rule, &cases);
}

// ---------------------------------------------------------------------------------------------
// Clause 5a: privileged impersonated username

const USERNAME: &str = "/impersonatedUser/username";

#[test]
fn clause5a_every_privileged_username_matches() {
    if common::other_rule_set() {
        return;
    }
    let rule = flagship();
    // base() has no privileged group, so these match through 5a alone.
    expect(
        rule,
        &each(
            &base(),
            USERNAME,
            &[
                "admin",
                "cluster-admin",
                "kubernetes-admin",
                "system:admin",
                "system:anonymous",
                "system:apiserver",
                "system:kube-controller-manager",
                "system:kube-proxy",
                "system:kube-scheduler",
                "system:volume-scheduler",
                "system:node:",
                "system:node:ip-10-0-1-5.ec2.internal",
                "system:node:aks-nodepool1-123-vmss000000",
                "system:node:a:b/c",
                "system:serviceaccount:kube-system:",
                "system:serviceaccount:kube-system:replicaset-controller",
                "system:serviceaccount:kube-system:a:b/c",
            ],
            true,
        ),
    );
}

#[test]
fn clause5a_near_miss_usernames_do_not_match() {
    if common::other_rule_set() {
        return;
    }
    let rule = flagship();
    expect(
        rule,
        &each(
            &base(),
            USERNAME,
            &[
                "bob",
                "System:Admin",
                "SYSTEM:ADMIN",
                "Admin",
                "Cluster-Admin",
                "Kubernetes-Admin",
                "admin ",
                " admin",
                "administrator",
                "cluster-admin-readonly",
                "kubernetes-admin2",
                "xadmin",
                "system:admin ",
                "system:administrator",
                "system:anonymous-x",
                "system:apiserver:x",
                "system:kube-controller-manager-x",
                "system:kube-proxy-x",
                "system:kube-scheduler-x",
                "x-system:kube-scheduler",
                "system:volume-scheduler-x",
                "system:nodes",
                "system:node",
                "System:Node:ip-10-0-1-5",
                "x-system:node:ip-10-0-1-5",
                "system:serviceaccount:default:x",
                "system:serviceaccount:kube-system",
                "system:serviceaccounts:kube-system:x",
                "System:ServiceAccount:kube-system:x",
                "x-system:serviceaccount:kube-system:x",
                "system:masters",
                "\u{0455}ystem:admin", // Cyrillic dze, looks like 's'
            ],
            false,
        ),
    );
}

// ---------------------------------------------------------------------------------------------
// Clause 5b: privileged impersonated group (any element)

const GROUPS: &str = "/impersonatedUser/groups";

#[test]
fn clause5b_every_privileged_group_matches_at_any_position() {
    if common::other_rule_set() {
        return;
    }
    let rule = flagship();
    let bob = with(&base(), USERNAME, json!("bob"));
    let mut cases = Vec::new();
    for group in ["cluster-admin", "system:cluster-admins", "system:masters"] {
        for (pos, groups) in [
            ("alone", json!([group])),
            ("first", json!([group, "system:authenticated", "devs"])),
            ("middle", json!(["system:authenticated", group, "devs"])),
            ("last", json!(["system:authenticated", "devs", group])),
            ("as a plain string", json!(group)),
        ] {
            cases.push((format!("{group} {pos}"), with(&bob, GROUPS, groups), true));
        }
    }
    let cases: Vec<(&str, Value, bool)> = cases
        .iter()
        .map(|(l, ev, want)| (l.as_str(), ev.clone(), *want))
        .collect();
    expect(rule, &cases);
}

#[test]
fn clause5b_near_miss_groups_do_not_match() {
    if common::other_rule_set() {
        return;
    }
    let rule = flagship();
    let bob = with(&base(), USERNAME, json!("bob"));
    let mut cases: Vec<(&str, Value, bool)> = [
        "System:Masters",
        "SYSTEM:MASTERS",
        "system:masters-readonly",
        "system:masters ",
        "system:master",
        "masters",
        "Cluster-Admin",
        "cluster-admin-readonly",
        "cluster-admins",
        "system:cluster-admin",
        "System:Cluster-Admins",
        "system:cluster-admins-x",
        "system:authenticated",
        "system:nodes",
        "system:serviceaccounts:kube-system",
        "",
    ]
    .iter()
    .map(|g| {
        (
            *g,
            with(&bob, GROUPS, json!(["system:authenticated", g])),
            false,
        )
    })
    .collect();
    cases.extend([
        ("groups []", with(&bob, GROUPS, json!([])), false),
        ("groups missing", without(&bob, GROUPS), false),
        ("groups null", with(&bob, GROUPS, Value::Null), false),
        (
            "groups of non-strings only",
            with(
                &bob,
                GROUPS,
                json!([1, true, null, {"name": "system:masters"}]),
            ),
            false,
        ),
        (
            "privileged group only among the caller's own user.groups",
            with(
                &bob,
                "/user/groups",
                json!(["system:masters", "cluster-admin", "system:cluster-admins"]),
            ),
            false,
        ),
        (
            "privileged group inside a single string",
            with(&bob, GROUPS, json!(["system:masters,system:authenticated"])),
            false,
        ),
    ]);
    expect(rule, &cases);
}

#[test]
fn clause5b_non_string_group_elements_do_not_hide_a_privileged_string() {
    if common::other_rule_set() {
        return;
    }
    let rule = flagship();
    let bob = with(&base(), USERNAME, json!("bob"));
    expect(
        rule,
        &[
            (
                "[1, system:masters]",
                with(&bob, GROUPS, json!([1, "system:masters"])),
                true,
            ),
            (
                "[null, true, {}, system:cluster-admins]",
                with(
                    &bob,
                    GROUPS,
                    json!([null, true, {}, "system:cluster-admins"]),
                ),
                true,
            ),
            (
                "nested array [[cluster-admin]]",
                with(
                    &bob,
                    GROUPS,
                    json!([["system:authenticated"], ["cluster-admin"]]),
                ),
                true,
            ),
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// Clause 6: the real caller (user.username) is not a trusted platform identity

const CALLER: &str = "/user/username";

#[test]
fn clause6_every_platform_caller_is_excluded() {
    if common::other_rule_set() {
        return;
    }
    let rule = flagship();
    // Tried against both bases, so the exclusion holds whichever of 5a/5b makes the match.
    let callers = [
        "acsService",
        "aksService",
        "masterclient",
        "nodeclient",
        "system:kube-controller-manager",
        "system:kube-scheduler",
        // arn:aws:iam:*:role/aws-service-role*
        "arn:aws:iam::123456789012:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS",
        "arn:aws:iam::123456789012:role/aws-service-role",
        // each `*` may match the empty string
        "arn:aws:iam::role/aws-service-role",
        // the first `*` spanning both `:` and `/`
        "arn:aws:iam:us-east-1/x:123456789012:path/to:role/aws-service-role/a",
        // arn:aws:sts:*:assumed-role/AWSServiceRoleForAmazonEKS*
        "arn:aws:sts::123456789012:assumed-role/AWSServiceRoleForAmazonEKS/abc",
        "arn:aws:sts::123456789012:assumed-role/AWSServiceRoleForAmazonEKS",
        "arn:aws:sts:a/b:c:assumed-role/AWSServiceRoleForAmazonEKS/x:y/z",
        "arn:aws:sts::assumed-role/AWSServiceRoleForAmazonEKS",
        // arn:aws:sts:*:assumed-role/AWSServiceRoleForAmazonEKSNodegroup*
        "arn:aws:sts::123456789012:assumed-role/AWSServiceRoleForAmazonEKSNodegroup/i-0abc",
        "arn:aws:sts::123456789012:assumed-role/AWSServiceRoleForAmazonEKSNodegroup",
        // eks:*
        "eks:",
        "eks:certificate-controller",
        "eks:a:b/c",
        // system:node:*
        "system:node:",
        "system:node:ip-10-0-1-5.ec2.internal",
        // system:serviceaccount:kube-system:*
        "system:serviceaccount:kube-system:",
        "system:serviceaccount:kube-system:generic-garbage-collector",
    ];
    let mut cases = each(&base(), CALLER, &callers, false);
    cases.extend(each(&group_base(), CALLER, &callers, false));
    expect(rule, &cases);
}

#[test]
fn clause6_near_miss_callers_are_not_excluded() {
    if common::other_rule_set() {
        return;
    }
    let rule = flagship();
    expect(
        rule,
        &each(
            &base(),
            CALLER,
            &[
                "alice@example.com",
                "ACSSERVICE",
                "acsservice",
            "acsServices",
            "x-acsService",
                "AksService",
                "aksService ",
                "xaksService",
                "MasterClient",
                "masterclient2",
                "nodeclient-x",
                "Nodeclient",
                "system:kube-controller-manager-x",
                "System:Kube-Controller-Manager",
                "x-system:kube-scheduler",
                "system:kube-scheduler-x",
                "system:kube-scheduler ",
                "arn:aws:iam::1:user/alice",
                "arn:aws:iam::111122223333:user/mallory",
                "arn:aws:iam::123456789012:role/my-role",
                "arn:aws:iam::123456789012:role/aws-service-rol",
                "arn:aws:iam::123456789012:role/AWS-Service-Role/x",
                "ARN:AWS:IAM::123456789012:role/aws-service-role/x",
                "x-arn:aws:iam::123456789012:role/aws-service-role/x",
                "arn:aws:iam::123456789012/role/aws-service-role/x",
                "arn:aws:sts::123456789012:assumed-role/MyRole/sess",
                "arn:aws:sts::123456789012:assumed-role/AWSServiceRoleForAmazonEK",
                "arn:aws:sts::123456789012:assumed-role/awsserviceroleforamazoneks/x",
                "arn:aws:sts::123456789012:role/AWSServiceRoleForAmazonEKS/x",
                "arn:aws:iam::123456789012:assumed-role/AWSServiceRoleForAmazonEKS/x",
                "x-arn:aws:sts::123456789012:assumed-role/AWSServiceRoleForAmazonEKS/x",
            "x-arn:aws:sts::123456789012:assumed-role/AWSServiceRoleForAmazonEKSNodegroup/i-0abc",
            "arn:aws:sts::123456789012:role/aws-service-role/x",
                "eksadmin",
                "eks",
                "EKS:certificate-controller",
                "x-eks:certificate-controller",
                "system:nodes",
                "system:node",
                "System:Node:ip-10-0-1-5",
                "system:serviceaccount:default:x",
                "system:serviceaccount:kube-system",
                "system:serviceaccounts:kube-system:x",
                "",
            ],
            true,
        ),
    );
}

#[test]
fn clause6_holds_when_the_caller_is_missing_or_not_a_string() {
    if common::other_rule_set() {
        return;
    }
    let rule = flagship();
    let b = base();
    expect(
        rule,
        &[
            ("no user object", without(&b, "/user"), true),
            ("user without username", without(&b, CALLER), true),
            ("user.username null", with(&b, CALLER, Value::Null), true),
            (
                "user.username 123 (number)",
                with(&b, CALLER, json!(123)),
                true,
            ),
            ("user.username []", with(&b, CALLER, json!([])), true),
            (
                "user.username array with one excluded element",
                with(&b, CALLER, json!(["alice@example.com", "aksService"])),
                false,
            ),
            (
                "excluded caller in user.groups only is not the caller",
                with(&b, "/user/groups", json!(["aksService", "eks:x"])),
                true,
            ),
            (
                "excluded name only in userAgent",
                with(&b, "/userAgent", json!("aksService")),
                true,
            ),
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// Arrays and types

#[test]
fn impersonated_user_as_an_array_of_objects_is_transparent() {
    if common::other_rule_set() {
        return;
    }
    let rule = flagship();
    let b = base();
    expect(
        rule,
        &[
            (
                "[{system:admin}]",
                with(
                    &b,
                    "/impersonatedUser",
                    json!([{"username": "system:admin", "groups": ["system:authenticated"]}]),
                ),
                true,
            ),
            (
                "[{bob}, {system:admin}]",
                with(
                    &b,
                    "/impersonatedUser",
                    json!([{"username": "bob"}, {"username": "system:admin"}]),
                ),
                true,
            ),
            (
                "[{bob, groups: [system:masters]}]",
                with(
                    &b,
                    "/impersonatedUser",
                    json!([{"username": "bob", "groups": ["system:masters"]}]),
                ),
                true,
            ),
            (
                "[{bob}, {carol}]",
                with(
                    &b,
                    "/impersonatedUser",
                    json!([{"username": "bob"}, {"username": "carol", "groups": ["devs"]}]),
                ),
                false,
            ),
            (
                "[] (no impersonated user)",
                with(&b, "/impersonatedUser", json!([])),
                false,
            ),
        ],
    );
}

#[test]
fn numbers_and_booleans_are_not_the_listed_strings() {
    if common::other_rule_set() {
        return;
    }
    let rule = flagship();
    let b = base();
    let bob = with(&b, USERNAME, json!("bob"));
    expect(
        rule,
        &[
            ("verb: 1", with(&b, "/verb", json!(1)), false),
            ("verb: false", with(&b, "/verb", json!(false)), false),
            ("decision: true", with(&b, DECISION, json!(true)), false),
            ("username: 0, no group", with(&b, USERNAME, json!(0)), false),
            (
                "username: true, no group",
                with(&b, USERNAME, json!(true)),
                false,
            ),
            (
                "groups: [1, true]",
                with(&bob, GROUPS, json!([1, true])),
                false,
            ),
            (
                "groups: [2, system:masters]",
                with(&bob, GROUPS, json!([2, "system:masters"])),
                true,
            ),
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// Traps listed in flagship-rule.md, one case each

#[test]
fn traps_from_the_flagship_rule_doc() {
    if common::other_rule_set() {
        return;
    }
    let rule = flagship();
    let b = base();
    let g = group_base();
    let bob = with(&b, USERNAME, json!("bob"));
    expect(
        rule,
        &[
            (
                "system:node: alone",
                with(&b, USERNAME, json!("system:node:")),
                true,
            ),
            (
                "system:nodes",
                with(&b, USERNAME, json!("system:nodes")),
                false,
            ),
            (
                "System:Admin",
                with(&b, USERNAME, json!("System:Admin")),
                false,
            ),
            ("Allow", with(&b, DECISION, json!("Allow")), false),
            ("GET", with(&b, "/verb", json!("GET")), false),
            (
                "group System:Masters",
                with(&bob, GROUPS, json!(["System:Masters"])),
                false,
            ),
            (
                "cluster-admin-readonly (username)",
                with(&b, USERNAME, json!("cluster-admin-readonly")),
                false,
            ),
            (
                "cluster-admin-readonly (group)",
                with(&bob, GROUPS, json!(["cluster-admin-readonly"])),
                false,
            ),
            (
                "system:masters-readonly",
                with(&bob, GROUPS, json!(["system:masters-readonly"])),
                false,
            ),
            (
                "admin with trailing space",
                with(&b, USERNAME, json!("admin ")),
                false,
            ),
            ("admin", with(&b, USERNAME, json!("admin")), true),
            (
                "caller x-system:kube-scheduler not excluded",
                with(&b, CALLER, json!("x-system:kube-scheduler")),
                true,
            ),
            (
                "caller system:kube-scheduler excluded",
                with(&b, CALLER, json!("system:kube-scheduler")),
                false,
            ),
            (
                "caller eks: excluded",
                with(&b, CALLER, json!("eks:")),
                false,
            ),
            (
                "caller eksadmin not excluded",
                with(&b, CALLER, json!("eksadmin")),
                true,
            ),
            ("no user object", without(&b, "/user"), true),
            ("no user.username", without(&b, CALLER), true),
            ("no annotations", without(&b, "/annotations"), false),
            ("no decision key", without(&b, DECISION), false),
            (
                "impersonated username null with system:masters",
                with(&g, USERNAME, Value::Null),
                false,
            ),
            (
                "impersonated username missing with system:masters",
                without(&g, USERNAME),
                false,
            ),
            (
                "unprivileged username, system:masters last of many groups",
                with(
                    &bob,
                    GROUPS,
                    json!(["system:authenticated", "devs", "ops", "system:masters"]),
                ),
                true,
            ),
            (
                "eks:* impersonated with system:masters",
                with(&g, USERNAME, json!("eks:addon-manager")),
                false,
            ),
            (
                "eks-event-service:event-controller with system:masters",
                with(&g, USERNAME, json!("eks-event-service:event-controller")),
                false,
            ),
        ],
    );
}

#[test]
fn stages_request_received_without_decision_never_matches() {
    if common::other_rule_set() {
        return;
    }
    let rule = flagship();
    // One request, two stages, one auditID: only the stage with the decision annotation matches.
    let complete = base();
    let mut received = with(&complete, "/stage", json!("RequestReceived"));
    let obj = received.as_object_mut().expect("object");
    obj.remove("annotations");
    obj.remove("responseStatus");
    obj.remove("stageTimestamp");
    expect(
        rule,
        &[
            ("ResponseComplete", complete, true),
            ("RequestReceived without annotations", received, false),
        ],
    );
}

#[test]
fn impersonated_user_bytes_outside_the_key_do_not_match() {
    if common::other_rule_set() {
        return;
    }
    let rule = flagship();
    // A ConfigMap create by an unimpersonated caller whose body mentions impersonatedUser.
    let plain = without(&base(), "/impersonatedUser");
    let plain = with(&plain, "/verb", json!("create"));
    let plain = with(
        &plain,
        "/objectRef",
        json!({"resource": "configmaps", "namespace": "default", "name": "audit-sample", "apiVersion": "v1"}),
    );
    let body = r#"{"impersonatedUser":{"username":"system:admin","groups":["system:masters"]}}"#;
    let configmap = with(
        &plain,
        "/requestObject",
        json!({
            "kind": "ConfigMap",
            "apiVersion": "v1",
            "metadata": {"name": "audit-sample", "namespace": "default"},
            "data": {"event.json": body, "impersonatedUser": "system:admin"}
        }),
    );
    expect(
        rule,
        &[
            (
                "ConfigMap body holding the bytes as a string",
                configmap,
                false,
            ),
            (
                "impersonatedUser object nested in requestObject, not at the root",
                with(
                    &plain,
                    "/requestObject",
                    json!({"impersonatedUser": {"username": "system:admin", "groups": ["system:masters"]}}),
                ),
                false,
            ),
            (
                "impersonatedUser in the userAgent string",
                with(
                    &plain,
                    "/userAgent",
                    json!("impersonatedUser.username=system:admin"),
                ),
                false,
            ),
            (
                "control: the same event with a top-level impersonatedUser.username key matches",
                with(&plain, "/impersonatedUser.username", json!("system:admin")),
                true,
            ),
        ],
    );
}
