//! The impersonation scenarios (some the flagship rule must match, most it must not) and the
//! decoys that hold the bytes `impersonatedUser` only inside a string value.

use super::request::{Body, Request};
use super::values::{
    Level, CLUSTERROLEBINDINGS, CONFIGMAPS, DEPLOYMENTS, HUMANS, NAMESPACES, NODES, PODS, SECRETS,
};
use super::Generator;

impl Generator {
    /// A request made with `Impersonate-User` (and often `Impersonate-Group`).
    pub(super) fn impersonation(&mut self) -> Request {
        const PRIVILEGED_USERS: &[&str] = &[
            "system:admin",
            "kubernetes-admin",
            "cluster-admin",
            "admin",
            "system:anonymous",
            "system:apiserver",
            "system:kube-controller-manager",
            "system:kube-scheduler",
            "system:kube-proxy",
            "system:volume-scheduler",
            "system:serviceaccount:kube-system:replicaset-controller",
            "system:serviceaccount:kube-system:clusterrole-aggregation-controller",
            "system:serviceaccount:kube-system:generic-garbage-collector",
        ];
        const PRIVILEGED_GROUPS: &[&str] =
            &["system:masters", "cluster-admin", "system:cluster-admins"];
        const VERBS: &[&str] = &["get", "list", "create", "patch", "update", "delete"];

        fn user_groups(user: &str) -> Vec<String> {
            if let Some(rest) = user.strip_prefix("system:serviceaccount:") {
                let ns = rest.split(':').next().unwrap_or("default");
                vec![
                    "system:serviceaccounts".into(),
                    format!("system:serviceaccounts:{ns}"),
                    "system:authenticated".into(),
                ]
            } else if user.starts_with("system:node:") {
                vec!["system:nodes".into(), "system:authenticated".into()]
            } else {
                vec!["system:authenticated".into()]
            }
        }

        let scenario = *self.rng.weighted(&[
            (30u32, 'M'), // privileged user: match
            (12, 'G'),    // unprivileged user, privileged group: match (only through the array)
            (8, 'E'),     // eks:* / eks-event-service target: no
            (25, 'U'),    // unprivileged target: no
            (7, 'F'),     // forbidden: no
            (6, 'W'),     // watch / deletecollection: no
            (8, 'P'),     // trusted platform caller: no
            (4, 'N'),     // near misses (case, suffixes): no
        ]);
        // The real caller: humans with `kubectl --as`, CI, impersonating proxies.
        let mut caller = match self.rng.below(10) {
            0..=4 => self.human_caller(),
            5..=6 => {
                self.service_account_caller("ci", "deployer", "helm/v3.15.2+g1a500d5 (linux/amd64)")
            }
            7 => self.service_account_caller(
                "pinniped-concierge",
                "pinniped-concierge-impersonation-proxy",
                "kubectl/v1.30.2 (darwin/arm64) kubernetes/3968350",
            ),
            8 => self.service_account_caller(
                "cattle-system",
                "rancher",
                "rancher/v2.9.0 (linux/amd64) kubernetes/$Format",
            ),
            _ => {
                let session = self
                    .rng
                    .pick(HUMANS)
                    .split('@')
                    .next()
                    .unwrap_or("ops")
                    .to_string();
                self.eks_role_caller("PlatformAdmin", &session)
            }
        };
        let mut verb = *self.rng.pick(VERBS);
        let mut allowed = true;
        let (user, groups): (String, Vec<String>) = match scenario {
            'M' => {
                let user = if self.rng.chance(0.2) {
                    format!("system:node:{}", self.rng.pick(&self.nodes).clone())
                } else {
                    self.rng.pick(PRIVILEGED_USERS).to_string()
                };
                let mut groups = user_groups(&user);
                if user == "system:admin" || user == "kubernetes-admin" {
                    groups.insert(0, "system:masters".into());
                }
                (user, groups)
            }
            'G' => {
                let user = self
                    .rng
                    .pick(&[
                        "bob",
                        "ci-bot",
                        "deploy-robot@example.com",
                        "system:serviceaccount:ci:deployer",
                        "u-7xk2p",
                    ])
                    .to_string();
                let mut groups = user_groups(&user);
                let at = self.rng.below(groups.len() as u64 + 1) as usize;
                groups.insert(at, self.rng.pick(PRIVILEGED_GROUPS).to_string());
                (user, groups)
            }
            'E' => {
                let user = self
                    .rng
                    .pick(&[
                        "eks:node-manager",
                        "eks:addon-manager",
                        "eks:cluster-event-watcher",
                        "eks-event-service:event-controller",
                    ])
                    .to_string();
                (
                    user,
                    vec!["system:masters".into(), "system:authenticated".into()],
                )
            }
            'U' => {
                let user = if self.rng.chance(0.5) {
                    self.rng.pick(HUMANS).to_string()
                } else {
                    format!(
                        "system:serviceaccount:{}:{}",
                        self.app_ns(),
                        self.rng.pick(&["default", "builder", "app-runner"])
                    )
                };
                let mut groups = user_groups(&user);
                if !user.starts_with("system:") {
                    groups.insert(
                        0,
                        self.rng
                            .pick(&["developers", "oidc:sre", "system:cattle:authenticated"])
                            .to_string(),
                    );
                }
                (user, groups)
            }
            'F' => {
                allowed = false;
                let user = self.rng.pick(PRIVILEGED_USERS).to_string();
                let groups = user_groups(&user);
                (user, groups)
            }
            'W' => {
                verb = *self.rng.pick(&["watch", "deletecollection"]);
                let user = self.rng.pick(PRIVILEGED_USERS).to_string();
                let mut groups = user_groups(&user);
                groups.insert(0, "system:masters".into());
                (user, groups)
            }
            'P' => {
                caller = match self.rng.below(6) {
                    0 => {
                        let mut c = self.cloud_caller();
                        c.username = "aksService".into();
                        c
                    }
                    1 => self.control_plane_caller("system:kube-controller-manager"),
                    2 => self.node_caller(),
                    3 => self.eks_role_caller("AWSServiceRoleForAmazonEKS", "EKS"),
                    4 => self.service_account_caller(
                        "kube-system",
                        "clusterrole-aggregation-controller",
                        "kube-controller-manager/v1.30.4 (linux/amd64) kubernetes/a51b3b7",
                    ),
                    _ => {
                        let mut c = self.cloud_caller();
                        c.username = "eks:pod-identity-mutating-webhook".into();
                        c
                    }
                };
                let user = self.rng.pick(PRIVILEGED_USERS).to_string();
                let mut groups = user_groups(&user);
                groups.insert(0, "system:masters".into());
                (user, groups)
            }
            _ => {
                let (user, groups): (&str, &[&str]) = *self.rng.pick(&[
                    ("System:Admin", &["system:authenticated"][..]),
                    (
                        "bob",
                        &["system:masters-readonly", "system:authenticated"][..],
                    ),
                    ("bob", &["System:Masters", "system:authenticated"][..]),
                    ("cluster-admin-readonly", &["system:authenticated"][..]),
                    ("admin ", &["system:authenticated"][..]),
                    ("system:nodes", &["system:authenticated"][..]),
                ]);
                (
                    user.to_string(),
                    groups.iter().map(|g| g.to_string()).collect(),
                )
            }
        };
        let matches = matches!(scenario, 'M' | 'G');
        if matches {
            self.stats.flagship_intended += 1;
            if scenario == 'G' {
                self.stats.flagship_intended_by_group_only += 1;
            }
        }
        let ns = self.app_ns();
        let res = *self.rng.pick(&[
            SECRETS,
            PODS,
            CONFIGMAPS,
            DEPLOYMENTS,
            CLUSTERROLEBINDINGS,
            NODES,
            NAMESPACES,
        ]);
        let name =
            matches!(verb, "get" | "patch" | "update" | "delete").then(|| self.object_name(res));
        let mut r = self.base(caller, verb, res, Some(ns), name);
        match verb {
            "list" => r.query = self.list_query(),
            "watch" => r.query = self.watch_query(),
            _ => {}
        }
        if verb == "create" {
            r.code = 201;
            if res.plural == "configmaps" {
                r.level = Level::RequestResponse;
                r.body = Body::ConfigMap;
            }
        }
        r.allowed = allowed;
        r.impersonated = Some((user, groups));
        r.reason = if allowed {
            let (kind, binding, role) = if matches!(scenario, 'M' | 'G' | 'W' | 'P') {
                ("ClusterRoleBinding", "cluster-admin", "cluster-admin")
            } else {
                ("RoleBinding", "edit/default", "edit")
            };
            format!("RBAC: allowed by {kind} \"{binding}\" of ClusterRole \"{role}\" to Group \"system:authenticated\"")
        } else {
            String::new()
        };
        self.finish(&mut r);
        r
    }

    /// A ConfigMap write whose data holds the bytes `impersonatedUser` inside a string.
    pub(super) fn decoy(&mut self) -> Request {
        let c = if self.rng.chance(0.5) {
            self.human_caller()
        } else {
            self.service_account_caller(
                "argocd",
                "argocd-application-controller",
                "argocd-application-controller/v0.0.0 (linux/amd64) kubernetes/$Format",
            )
        };
        let ns = *self
            .rng
            .pick(&["monitoring", "security", "falco", "kube-system"]);
        let name = self
            .rng
            .pick(&[
                "audit-fixtures",
                "siem-parsers",
                "falco-rules-extra",
                "audit-policy",
                "detection-notes",
            ])
            .to_string();
        let verb = *self.rng.pick(&["create", "update", "patch"]);
        let mut r = self.base(c, verb, CONFIGMAPS, Some(ns), Some(name));
        r.level = Level::RequestResponse;
        r.body = Body::DecoyConfigMap;
        self.finish(&mut r);
        // A successful write, so that the body (and the bytes) are logged.
        r.allowed = true;
        r.code = if verb == "create" { 201 } else { 200 };
        r
    }
}
