//! Flagship cases across clauses: arrays and value types, the traps listed in
//! `flagship-rule.md`, request stages, and the bytes `impersonatedUser` outside the key.

use super::{
    base, expect, flagship, group_base, with, without, CALLER, DECISION, GROUPS, USERNAME,
};
use crate::common;
use serde_json::{json, Value};

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
