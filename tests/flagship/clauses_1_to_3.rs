//! Flagship clauses 1 to 3: the impersonated username is present and not null, is not one of
//! EKS's own identities, and the authorizer's decision is exactly `allow`.

use super::{base, each, expect, flagship, group_base, with, without, DECISION};
use crate::common;
use serde_json::{json, Value};

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
