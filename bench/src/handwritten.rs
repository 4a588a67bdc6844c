//! Hand-written matchers: what a careful engineer would write for one rule with serde, by
//! deserialising each line into a struct of borrowed strings holding exactly the fields the
//! rule reads and evaluating the rule's logic by hand. Every other key is skipped without
//! being built: serde's derive reads the value of a key the struct does not name as
//! `serde::de::IgnoredAny`. They are the baselines the generated code must beat, and the reference for the
//! match counts.
//!
//! Strings are `Cow<str>`: borrowed from the line unless they hold an escape. A line that is
//! not an object of the expected shape (a field of another type) does not match.

use serde::Deserialize;
use std::borrow::Cow;

#[derive(Deserialize)]
struct Impersonated<'a> {
    #[serde(borrow, default)]
    username: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    groups: Option<Vec<Cow<'a, str>>>,
}

#[derive(Deserialize)]
struct User<'a> {
    #[serde(borrow, default)]
    username: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Annotations<'a> {
    #[serde(borrow, default, rename = "authorization.k8s.io/decision")]
    decision: Option<Cow<'a, str>>,
}

/// The fields the flagship rule reads.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FlagshipEvent<'a> {
    #[serde(borrow, default)]
    impersonated_user: Option<Impersonated<'a>>,
    #[serde(borrow, default)]
    annotations: Option<Annotations<'a>>,
    #[serde(borrow, default)]
    verb: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    user: Option<User<'a>>,
}

/// `*` wildcard at the end only: `prefix*`.
fn starts(s: &str, prefix: &str) -> bool {
    s.starts_with(prefix)
}

/// `head*mid*`: `s` starts with `head` and contains `mid` after it.
fn head_then(s: &str, head: &str, mid: &str) -> bool {
    s.strip_prefix(head).is_some_and(|rest| rest.contains(mid))
}

fn privileged_user(u: &str) -> bool {
    matches!(
        u,
        "admin"
            | "cluster-admin"
            | "kubernetes-admin"
            | "system:admin"
            | "system:anonymous"
            | "system:apiserver"
            | "system:kube-controller-manager"
            | "system:kube-proxy"
            | "system:kube-scheduler"
            | "system:volume-scheduler"
    ) || starts(u, "system:node:")
        || starts(u, "system:serviceaccount:kube-system:")
}

fn privileged_group(g: &str) -> bool {
    matches!(
        g,
        "cluster-admin" | "system:cluster-admins" | "system:masters"
    )
}

fn platform_caller(u: &str) -> bool {
    matches!(
        u,
        "acsService"
            | "aksService"
            | "masterclient"
            | "nodeclient"
            | "system:kube-controller-manager"
            | "system:kube-scheduler"
    ) || head_then(u, "arn:aws:iam:", ":role/aws-service-role")
        || head_then(u, "arn:aws:sts:", ":assumed-role/AWSServiceRoleForAmazonEKS")
        // `…AWSServiceRoleForAmazonEKSNodegroup*` is covered by the line above.
        || starts(u, "eks:")
        || starts(u, "system:node:")
        || starts(u, "system:serviceaccount:kube-system:")
}

/// The verdict of the flagship rule on one parsed event, with whether it matched only through
/// an element of `impersonatedUser.groups`.
fn flagship_verdict(e: &FlagshipEvent<'_>) -> Option<bool> {
    let imp = e.impersonated_user.as_ref()?;
    // 1: present and not null; 2: not EKS's own.
    let user = imp.username.as_deref()?;
    if user == "eks-event-service:event-controller" || starts(user, "eks:") {
        return None;
    }
    // 3: allowed.
    if e.annotations.as_ref()?.decision.as_deref()? != "allow" {
        return None;
    }
    // 4: verb.
    if !matches!(
        e.verb.as_deref()?,
        "create" | "delete" | "get" | "list" | "patch" | "update"
    ) {
        return None;
    }
    // 6: caller not a platform identity (true when missing).
    if let Some(caller) = e.user.as_ref().and_then(|u| u.username.as_deref()) {
        if platform_caller(caller) {
            return None;
        }
    }
    // 5a or 5b.
    if privileged_user(user) {
        return Some(false);
    }
    let by_group = imp
        .groups
        .as_ref()
        .is_some_and(|gs| gs.iter().any(|g| privileged_group(g)));
    by_group.then_some(true)
}

/// The flagship rule on one line: `Some(by_group_only)` when it matches.
pub fn flagship_line(line: &str) -> Option<bool> {
    let e: FlagshipEvent<'_> = serde_json::from_str(line).ok()?;
    flagship_verdict(&e)
}

/// Whether the flagship rule matches the line.
pub fn flagship(line: &str) -> bool {
    flagship_line(line).is_some()
}

#[derive(Deserialize)]
struct ObjectRef<'a> {
    #[serde(borrow, default)]
    resource: Option<Cow<'a, str>>,
}

/// The fields of the no-prefilter rule.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReadEvent<'a> {
    #[serde(borrow, default)]
    verb: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    object_ref: Option<ObjectRef<'a>>,
}

/// Sigma's default comparison: each character folded to its lowercase form when that is one
/// character. `lit` is already lowercase ASCII.
fn eq_fold(s: &str, lit: &str) -> bool {
    if s.is_ascii() {
        return s.eq_ignore_ascii_case(lit);
    }
    let mut a = s.chars().map(|c| {
        let mut l = c.to_lowercase();
        match (l.next(), l.next()) {
            (Some(x), None) => x,
            _ => c,
        }
    });
    let mut b = lit.chars();
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) if x == y => {}
            _ => return false,
        }
    }
}

/// `verb: [get, list]` and `objectRef.resource: [pods, secrets]`, case-insensitive.
pub fn read_pods_or_secrets(line: &str) -> bool {
    let Ok(e) = serde_json::from_str::<ReadEvent<'_>>(line) else {
        return false;
    };
    let verb_ok = e
        .verb
        .as_deref()
        .is_some_and(|v| eq_fold(v, "get") || eq_fold(v, "list"));
    verb_ok
        && e.object_ref
            .as_ref()
            .and_then(|o| o.resource.as_deref())
            .is_some_and(|r| eq_fold(r, "pods") || eq_fold(r, "secrets"))
}

/// Three events the flagship matches under the project's semantics, each exercising one
/// construct: a privileged username; a privileged group that is not the array's first element;
/// and, for contrast, the first event with the decision annotation written as one flat key
/// (matched through the dotted-key rule; the API server never writes it so, and the
/// hand-written struct above does not read it). The peers' verdicts on them, printed with the
/// counts, explain a peer's count from this run rather than from a claim written in advance.
pub const FLAGSHIP_PROBES: [(&str, &str); 3] = [
    (
        "privileged impersonatedUser.username",
        r#"{"verb":"get","user":{"username":"alice@example.com"},"impersonatedUser":{"username":"system:admin","groups":["system:authenticated"]},"annotations":{"authorization.k8s.io/decision":"allow"}}"#,
    ),
    (
        "privileged group as 2nd element of impersonatedUser.groups",
        r#"{"verb":"get","user":{"username":"alice@example.com"},"impersonatedUser":{"username":"bob","groups":["system:authenticated","system:masters"]},"annotations":{"authorization.k8s.io/decision":"allow"}}"#,
    ),
    (
        "1st probe with the annotation as one flat key `annotations.authorization.k8s.io/decision` (not how the API server writes it)",
        r#"{"verb":"get","user":{"username":"alice@example.com"},"impersonatedUser":{"username":"system:admin","groups":["system:authenticated"]},"annotations.authorization.k8s.io/decision":"allow"}"#,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flagship_traps() {
        let ev = |imp: &str, caller: &str, verb: &str, decision: &str| {
            format!(
                r#"{{"verb":"{verb}","user":{{"username":"{caller}"}},"impersonatedUser":{imp},"annotations":{{"authorization.k8s.io/decision":"{decision}"}}}}"#
            )
        };
        let m = |imp: &str| flagship(&ev(imp, "alice", "get", "allow"));
        assert!(m(r#"{"username":"system:admin"}"#));
        assert!(m(r#"{"username":"system:node:"}"#));
        assert!(!m(r#"{"username":"system:nodes"}"#));
        assert!(!m(r#"{"username":"System:Admin"}"#));
        assert!(m(r#"{"username":"bob","groups":["a","system:masters"]}"#));
        assert_eq!(
            flagship_line(&ev(
                r#"{"username":"bob","groups":["system:masters"]}"#,
                "alice",
                "get",
                "allow"
            )),
            Some(true)
        );
        assert!(!m(
            r#"{"username":"bob","groups":["system:masters-readonly"]}"#
        ));
        assert!(!m(r#"{"username":"eks:x","groups":["system:masters"]}"#));
        assert!(!m(r#"{"username":null,"groups":["system:masters"]}"#));
        assert!(!flagship(&ev(
            r#"{"username":"admin"}"#,
            "alice",
            "watch",
            "allow"
        )));
        assert!(!flagship(&ev(
            r#"{"username":"admin"}"#,
            "alice",
            "get",
            "forbid"
        )));
        assert!(!flagship(&ev(
            r#"{"username":"admin"}"#,
            "eks:",
            "get",
            "allow"
        )));
        assert!(flagship(&ev(
            r#"{"username":"admin"}"#,
            "eksadmin",
            "get",
            "allow"
        )));
        assert!(flagship(&ev(
            r#"{"username":"admin"}"#,
            "x-system:kube-scheduler",
            "get",
            "allow"
        )));
        assert!(!flagship(&ev(
            r#"{"username":"admin"}"#,
            "arn:aws:sts::1:assumed-role/AWSServiceRoleForAmazonEKSNodegroup/EKS",
            "get",
            "allow"
        )));
        assert!(!flagship(&ev(
            r#"{"username":"admin"}"#,
            "arn:aws:iam::1:role/aws-service-role/x",
            "get",
            "allow"
        )));
        // No `user` at all: clause 6 holds.
        assert!(flagship(
            r#"{"verb":"get","impersonatedUser":{"username":"admin"},"annotations":{"authorization.k8s.io/decision":"allow"}}"#
        ));
        // Escapes are decoded.
        assert!(flagship(&ev(
            r#"{"username":"system:\u0061dmin"}"#,
            "alice",
            "get",
            "allow"
        )));
    }

    #[test]
    fn probes_are_true_matches() {
        assert!(flagship(FLAGSHIP_PROBES[0].1));
        assert_eq!(flagship_line(FLAGSHIP_PROBES[1].1), Some(true));
        // The flat spelling is not what this struct reads (nor what the API server writes).
        assert!(!flagship(FLAGSHIP_PROBES[2].1));
    }

    #[test]
    fn read_rule() {
        assert!(read_pods_or_secrets(
            r#"{"verb":"GET","objectRef":{"resource":"Pods"}}"#
        ));
        assert!(read_pods_or_secrets(
            r#"{"verb":"list","objectRef":{"resource":"secrets"}}"#
        ));
        assert!(!read_pods_or_secrets(
            r#"{"verb":"watch","objectRef":{"resource":"pods"}}"#
        ));
        assert!(!read_pods_or_secrets(
            r#"{"verb":"get","objectRef":{"resource":"podsx"}}"#
        ));
        assert!(!read_pods_or_secrets(r#"{"verb":"get"}"#));
        assert!(read_pods_or_secrets(
            r#"{"verb":"g\u0045t","objectRef":{"resource":"pods"}}"#
        ));
        // The Kelvin sign folds to `k`, not relevant here; the long s does not fold to `s`.
        assert!(!read_pods_or_secrets(
            "{\"verb\":\"get\",\"objectRef\":{\"resource\":\"pod\u{17f}\"}}"
        ));
    }
}
