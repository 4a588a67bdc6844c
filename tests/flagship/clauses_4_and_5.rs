//! Flagship clauses 4 and 5: the listed verbs, and a privileged impersonated username (5a) or
//! group at any position (5b), with their near misses.

use super::{base, each, expect, flagship, with, without, GROUPS, USERNAME};
use crate::common;
use serde_json::{json, Value};

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
