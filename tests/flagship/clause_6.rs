//! Flagship clause 6: the real caller is not a trusted platform identity.

use super::{base, each, expect, flagship, group_base, with, without, CALLER};
use crate::common;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// Clause 6: the real caller (user.username) is not a trusted platform identity

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
