//! Regular requests from outside the cluster's workloads: humans (`kubectl`, `helm`), cloud
//! identities (EKS, AKS) and anonymous probes.

use super::request::{Body, Caller, Request};
use super::values::{
    Level, APPS, CLUSTERROLEBINDINGS, CLUSTERROLES, CONFIGMAPS, CRDS, CRONJOBS, CSRS, DAEMONSETS,
    DEPLOYMENTS, EVENTS, JOBS, LEASES, MUTATING_WEBHOOKS, NAMESPACES, NODES, PODS, ROLEBINDINGS,
    ROLES, SECRETS, SERVICEACCOUNTS, SERVICES, SSAR, SSRR, VALIDATING_WEBHOOKS,
};
use super::Generator;

impl Generator {
    pub(super) fn human_request(&mut self, c: Caller) -> Request {
        let ns = self.app_ns();
        let mut r = match self.rng.below(100) {
            0..=29 => {
                let res = *self.rng.pick(&[
                    PODS,
                    DEPLOYMENTS,
                    SERVICES,
                    EVENTS,
                    CONFIGMAPS,
                    NAMESPACES,
                    JOBS,
                ]);
                self.read(c, res, Some(ns))
            }
            30..=37 => {
                let name = self.pod_name();
                let mut r = self.base(c, "get", PODS, Some(ns), Some(name));
                r.subresource = Some("log");
                r.query = format!(
                    "?container={}&follow=true&tailLines=100",
                    self.rng.pick(APPS)
                );
                r
            }
            38..=43 => {
                let name = self.pod_name();
                let mut r = self.base(c, "create", PODS, Some(ns), Some(name));
                r.subresource = Some("exec");
                let cmd = *self.rng.pick(&[
                    "%2Fbin%2Fsh",
                    "bash",
                    "ls",
                    "env",
                    "%2Fbin%2Fbash",
                    "cat&command=%2Fetc%2Fconfig%2Fapp.yaml",
                ]);
                r.query = format!(
                    "?command={cmd}&container={}&stdin=true&stdout=true&tty=true",
                    self.rng.pick(APPS)
                );
                r.code = 101;
                r
            }
            44..=53 => {
                let name = self.object_name(SECRETS);
                let verb = *self.rng.pick(&["get", "list", "create", "delete", "patch"]);
                let mut r = self.base(c, verb, SECRETS, Some(ns), (verb != "list").then_some(name));
                if verb == "list" {
                    r.level = Level::RequestResponse;
                    r.body = Body::SecretMetadataList;
                }
                r
            }
            54..=63 => {
                let name = self.object_name(CONFIGMAPS);
                let verb = *self.rng.pick(&["create", "update", "patch", "delete"]);
                let mut r = self.base(c, verb, CONFIGMAPS, Some(ns), Some(name));
                if verb != "delete" {
                    r.level = Level::RequestResponse;
                    r.body = Body::ConfigMap;
                }
                r
            }
            64..=73 => {
                let name = self.object_name(DEPLOYMENTS);
                let verb = *self
                    .rng
                    .pick(&["patch", "patch", "update", "delete", "create"]);
                let mut r = self.base(c, verb, DEPLOYMENTS, Some(ns), Some(name));
                if verb != "delete" {
                    r.level = Level::Request;
                    r.body = Body::DeploymentPatch;
                }
                r
            }
            74..=79 => {
                let res = *self.rng.pick(&[ROLEBINDINGS, CLUSTERROLEBINDINGS, ROLES]);
                let verb = *self.rng.pick(&["create", "delete", "get", "list"]);
                let name = (verb != "list").then(|| self.object_name(res));
                let mut r = self.base(c, verb, res, Some(ns), name);
                if verb == "create" && res.plural != "roles" {
                    r.level = Level::RequestResponse;
                    r.body = Body::RoleBinding;
                }
                r
            }
            80..=85 => {
                let res = *self.rng.pick(&[SSAR, SSRR]);
                let mut r = self.base(c, "create", res, None, None);
                r.level = Level::Request;
                r.body = Body::AccessReview;
                r
            }
            86..=89 => {
                let res = *self
                    .rng
                    .pick(&[CRONJOBS, JOBS, SERVICEACCOUNTS, EVENTS, DAEMONSETS]);
                let verb = *self.rng.pick(&["create", "delete", "patch"]);
                let name = self.object_name(res);
                self.base(c, verb, res, Some(ns), Some(name))
            }
            90..=92 => {
                let node = self.rng.pick(&self.nodes).clone();
                let mut r = self.base(c, "get", NODES, None, Some(node));
                r.subresource = Some("proxy");
                r.query = String::new();
                r
            }
            _ => {
                let res =
                    *self
                        .rng
                        .pick(&[MUTATING_WEBHOOKS, VALIDATING_WEBHOOKS, CRDS, NAMESPACES]);
                self.read(c, res, None)
            }
        };
        if self.rng.chance(0.08) {
            r.allowed = false;
        }
        r
    }

    pub(super) fn cloud_request(&mut self) -> Request {
        let c = self.cloud_caller();
        let u = c.username.clone();
        if u == "eks:certificate-controller" {
            let verb = *self.rng.pick(&["list", "watch", "update", "get"]);
            let name = (verb == "get" || verb == "update")
                .then(|| format!("csr-{}", self.rng.kube_suffix(5)));
            let mut r = self.base(c, verb, CSRS, None, name);
            if verb == "update" {
                r.subresource = Some("approval");
            }
            return r;
        }
        if u == "eks:node-manager" || u.contains("AWSServiceRoleForAmazonEKSNodegroup") {
            let verb = *self.rng.pick(&["get", "get", "patch", "update"]);
            let mut r = self.base(
                c,
                verb,
                CONFIGMAPS,
                Some("kube-system"),
                Some("aws-auth".into()),
            );
            if verb != "get" {
                r.level = Level::RequestResponse;
                r.body = Body::ConfigMap;
            }
            return r;
        }
        if u.starts_with("eks:") || u.contains("AWSServiceRoleForAmazonEKS") {
            let res = *self.rng.pick(&[
                NODES,
                PODS,
                DAEMONSETS,
                DEPLOYMENTS,
                SERVICEACCOUNTS,
                CLUSTERROLES,
                LEASES,
            ]);
            let mut r = self.read(c, res, Some("kube-system"));
            if res.plural == "leases" {
                r.verb = "update";
                r.name = Some("cloud-controller-manager".into());
                r.query = "?timeout=5s".into();
                r.level = Level::RequestResponse;
                r.body = Body::Lease;
            }
            return r;
        }
        if u.starts_with("arn:aws:sts:") {
            return self.human_request(c);
        }
        // AKS identities
        let res = *self
            .rng
            .pick(&[DEPLOYMENTS, CONFIGMAPS, NODES, PODS, DAEMONSETS]);
        let mut r = self.read(c, res, Some("kube-system"));
        if res.plural == "deployments" && self.rng.chance(0.3) {
            r.verb = "patch";
            r.name = Some(
                self.rng
                    .pick(&["coredns", "metrics-server", "konnectivity-agent"])
                    .to_string(),
            );
            r.query.clear();
            r.level = Level::Request;
            r.body = Body::DeploymentPatch;
        }
        r
    }

    pub(super) fn anonymous_request(&mut self) -> Request {
        let path = *self.rng.pick(&[
            "/healthz",
            "/readyz",
            "/livez",
            "/version",
            "/openapi/v2",
            "/metrics",
        ]);
        let (user, groups, agent) = if path == "/metrics" {
            (
                "system:serviceaccount:monitoring:prometheus",
                vec![
                    "system:serviceaccounts".to_string(),
                    "system:serviceaccounts:monitoring".into(),
                    "system:authenticated".into(),
                ],
                "Prometheus/2.53.1",
            )
        } else {
            (
                "system:anonymous",
                vec!["system:unauthenticated".to_string()],
                "kube-probe/1.30",
            )
        };
        let caller = Caller {
            username: user.into(),
            uid: None,
            groups,
            extra: None,
            source_ips: vec![format!(
                "10.0.{}.{}",
                self.rng.range(0, 63),
                self.rng.range(2, 254)
            )],
            user_agent: agent.into(),
        };
        Request {
            caller,
            impersonated: None,
            verb: "get",
            res: None,
            path: Some(path),
            namespace: None,
            name: None,
            subresource: None,
            query: if path == "/readyz" {
                "?verbose".into()
            } else {
                String::new()
            },
            level: Level::Metadata,
            body: Body::None,
            allowed: true,
            reason: if path == "/metrics" {
                "RBAC: allowed by ClusterRoleBinding \"prometheus\" of ClusterRole \"prometheus\" to ServiceAccount \"prometheus/monitoring\"".into()
            } else {
                "RBAC: allowed by ClusterRoleBinding \"system:public-info-viewer\" of ClusterRole \"system:public-info-viewer\" to Group \"system:unauthenticated\"".into()
            },
            code: 200,
            annotations: Vec::new(),
        }
    }
}
