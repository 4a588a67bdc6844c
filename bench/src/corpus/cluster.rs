//! Regular requests by the cluster's own identities: nodes (kubelet), service accounts
//! (controllers, operators, monitoring) and the control plane.

use super::request::{Body, Request};
use super::values::{
    Level, CLUSTERROLEBINDINGS, CLUSTERROLES, CONFIGMAPS, CRDS, CRONJOBS, CSRS, DAEMONSETS,
    DEPLOYMENTS, ENDPOINTS, ENDPOINTSLICES, EVENTS, FLOWSCHEMAS, JOBS, K8S_COMMIT, K8S_VERSION,
    LEASES, MUTATING_WEBHOOKS, NAMESPACES, NODES, PODS, PVCS, REPLICASETS, ROLES, SECRETS,
    SERVICEACCOUNTS, SERVICES, STATEFULSETS, TOKENREVIEWS, VALIDATING_WEBHOOKS,
};
use super::Generator;

impl Generator {
    pub(super) fn node_request(&mut self) -> Request {
        let c = self.node_caller();
        let node = c.username["system:node:".len()..].to_string();
        match self.rng.below(100) {
            0..=34 => {
                let mut r = self.base(c, "update", LEASES, Some("kube-node-lease"), Some(node));
                r.query = "?timeout=10s".into();
                r.level = Level::RequestResponse;
                r.body = Body::Lease;
                r
            }
            35..=49 => {
                let mut r = self.base(c, "get", NODES, None, Some(node));
                r.query = "?resourceVersion=0&timeout=10s".into();
                r
            }
            50..=64 => {
                let mut r = self.base(c, "patch", NODES, None, Some(node));
                r.subresource = Some("status");
                r.query = "?timeout=10s".into();
                r.level = Level::Request;
                r.body = Body::NodeStatusPatch;
                r
            }
            65..=74 => {
                let ns = self.app_ns();
                let res = *self.rng.pick(&[CONFIGMAPS, SECRETS]);
                let mut r = self.base(c, "watch", res, Some(ns), None);
                let name = self.object_name(res);
                r.query = format!(
                    "?allowWatchBookmarks=true&fieldSelector=metadata.name%3D{name}&resourceVersion={}&timeout=6m14s&timeoutSeconds=374&watch=true",
                    self.resource_version
                );
                r
            }
            75..=84 => {
                let ns = self.app_ns();
                let name = self.pod_name();
                if self.rng.chance(0.5) {
                    self.base(c, "get", PODS, Some(ns), Some(name))
                } else {
                    let mut r = self.base(c, "patch", PODS, Some(ns), Some(name));
                    r.subresource = Some("status");
                    r.level = Level::Request;
                    r.body = Body::PodStatusPatch;
                    r
                }
            }
            85..=94 => {
                let res = *self.rng.pick(&[SERVICES, ENDPOINTSLICES]);
                let mut r = self.base(c, "watch", res, None, None);
                r.query = self.watch_query();
                r
            }
            _ => {
                let ns = self.app_ns();
                let mut r = self.base(c, "create", EVENTS, Some(ns), None);
                r.level = Level::Request;
                r.body = Body::Event;
                r
            }
        }
    }

    pub(super) fn service_account_request(&mut self) -> Request {
        const KCM_AGENT: &str = "kube-controller-manager/v1.30.4 (linux/amd64) kubernetes/a51b3b7/system:serviceaccount:kube-system:";
        let pick = self.rng.below(100);
        match pick {
            0..=11 => {
                let c = self.service_account_caller(
                    "kube-system",
                    "replicaset-controller",
                    &format!("{KCM_AGENT}replicaset-controller"),
                );
                let ns = self.app_ns();
                let mut r = self.base(c, "create", PODS, Some(ns), None);
                r.level = Level::Request;
                r.body = Body::Pod;
                r
            }
            12..=21 => {
                let (sa, res, verb) = *self.rng.pick(&[
                    ("deployment-controller", REPLICASETS, "update"),
                    ("endpointslice-controller", ENDPOINTSLICES, "update"),
                    ("endpoint-controller", ENDPOINTS, "update"),
                    ("namespace-controller", NAMESPACES, "get"),
                    ("generic-garbage-collector", PODS, "list"),
                    ("job-controller", JOBS, "update"),
                    ("cronjob-controller", CRONJOBS, "get"),
                    ("daemon-set-controller", DAEMONSETS, "update"),
                    ("statefulset-controller", STATEFULSETS, "update"),
                    ("pvc-protection-controller", PVCS, "get"),
                    ("horizontal-pod-autoscaler", DEPLOYMENTS, "get"),
                ]);
                let c = self.service_account_caller("kube-system", sa, &format!("{KCM_AGENT}{sa}"));
                let ns = self.app_ns();
                let name = (verb != "list").then(|| self.object_name(res));
                let mut r = self.base(c, verb, res, Some(ns), name);
                if verb == "update" {
                    r.subresource = (res.plural != "endpointslices" && res.plural != "endpoints")
                        .then_some("status");
                }
                r
            }
            22..=37 => {
                let sa = *self.rng.pick(&[
                    "coredns",
                    "kube-proxy",
                    "aws-node",
                    "cilium",
                    "ebs-csi-controller-sa",
                ]);
                let agent = match sa {
                    "coredns" => "coredns/v1.11.1 (linux/amd64) kubernetes/$Format".to_string(),
                    "kube-proxy" => format!(
                        "kube-proxy/{K8S_VERSION} (linux/amd64) kubernetes/{}",
                        &K8S_COMMIT[..7]
                    ),
                    "cilium" => "cilium-agent/v1.15.6 (linux/amd64) kubernetes/$Format".to_string(),
                    _ => "Go-http-client/2.0".to_string(),
                };
                let c = self.service_account_caller("kube-system", sa, &agent);
                let res = *self
                    .rng
                    .pick(&[SERVICES, ENDPOINTSLICES, NAMESPACES, PODS, NODES]);
                let mut r = self.base(c, "watch", res, None, None);
                if self.rng.chance(0.3) {
                    r.verb = "list";
                    r.query = self.list_query();
                } else {
                    r.query = self.watch_query();
                }
                r
            }
            38..=55 => {
                let c =
                    self.service_account_caller("monitoring", "prometheus", "Prometheus/2.53.1");
                let res = *self.rng.pick(&[PODS, ENDPOINTS, SERVICES, NODES]);
                let ns = self.app_ns();
                self.read(c, res, Some(ns))
            }
            56..=63 => {
                let c = self.service_account_caller(
                    "monitoring",
                    "kube-state-metrics",
                    "kube-state-metrics/v2.12.0 (linux/amd64) kubernetes/$Format",
                );
                let res = *self.rng.pick(&[
                    PODS,
                    DEPLOYMENTS,
                    SECRETS,
                    CONFIGMAPS,
                    JOBS,
                    CRONJOBS,
                    NODES,
                    PVCS,
                ]);
                let mut r = self.base(c, "list", res, None, None);
                r.query = "?limit=500&resourceVersion=0".into();
                if res.plural == "secrets" && self.rng.chance(0.5) {
                    r.level = Level::RequestResponse;
                    r.body = Body::SecretMetadataList;
                }
                r
            }
            64..=75 => {
                let c = self.service_account_caller(
                    "argocd",
                    "argocd-application-controller",
                    "argocd-application-controller/v0.0.0 (linux/amd64) kubernetes/$Format",
                );
                let ns = self.app_ns();
                match self.rng.below(10) {
                    0..=5 => {
                        let res =
                            *self
                                .rng
                                .pick(&[DEPLOYMENTS, SERVICES, CONFIGMAPS, STATEFULSETS]);
                        self.read(c, res, Some(ns))
                    }
                    6..=8 => {
                        let name = self.object_name(CONFIGMAPS);
                        let verb = *self.rng.pick(&["patch", "update", "create"]);
                        let mut r = self.base(c, verb, CONFIGMAPS, Some(ns), Some(name));
                        r.level = Level::RequestResponse;
                        r.body = Body::ConfigMap;
                        r
                    }
                    _ => {
                        let name = self.object_name(DEPLOYMENTS);
                        let mut r = self.base(c, "patch", DEPLOYMENTS, Some(ns), Some(name));
                        r.level = Level::Request;
                        r.body = Body::DeploymentPatch;
                        r
                    }
                }
            }
            76..=85 => {
                let c = self.service_account_caller(
                    "cert-manager",
                    "cert-manager",
                    "cert-manager-controller/v1.15.1 (linux/amd64) cert-manager/$Format",
                );
                let ns = self.app_ns();
                let name = self.object_name(SECRETS);
                let verb = *self.rng.pick(&["get", "update", "create", "list"]);
                let mut r = self.base(c, verb, SECRETS, Some(ns), (verb != "list").then_some(name));
                if verb == "list" {
                    r.level = Level::RequestResponse;
                    r.body = Body::SecretMetadataList;
                }
                r
            }
            86..=92 => {
                let c = self.service_account_caller(
                    "ingress-nginx",
                    "ingress-nginx",
                    "nginx-ingress-controller/v1.11.1 (linux/amd64) ingress-nginx/$Format",
                );
                let mut r = self.base(
                    c,
                    "update",
                    LEASES,
                    Some("ingress-nginx"),
                    Some("ingress-nginx-leader".into()),
                );
                r.level = Level::RequestResponse;
                r.body = Body::Lease;
                r
            }
            _ => {
                let ns = self.app_ns();
                let c = self.service_account_caller(ns, "default", "Go-http-client/2.0");
                if self.rng.chance(0.5) {
                    let mut r = self.base(c, "create", TOKENREVIEWS, None, None);
                    r.level = Level::Request;
                    r.body = Body::AccessReview;
                    r
                } else {
                    let res = *self.rng.pick(&[CONFIGMAPS, SECRETS, PODS]);
                    let mut r = self.read(c, res, Some(ns));
                    if self.rng.chance(0.15) {
                        r.allowed = false;
                    }
                    r
                }
            }
        }
    }

    pub(super) fn control_plane_request(&mut self) -> Request {
        let who = *self.rng.weighted(&[
            (5, "system:kube-controller-manager"),
            (3, "system:kube-scheduler"),
            (4, "system:apiserver"),
        ]);
        let c = self.control_plane_caller(who);
        let mut r = match (who, self.rng.below(10)) {
            ("system:kube-controller-manager", 0..=5) | ("system:kube-scheduler", 0..=4) => {
                let lease = who.trim_start_matches("system:").to_string();
                let verb = *self.rng.pick(&["get", "update"]);
                let mut r = self.base(c, verb, LEASES, Some("kube-system"), Some(lease));
                r.query = "?timeout=5s".into();
                if verb == "update" {
                    r.level = Level::RequestResponse;
                    r.body = Body::Lease;
                }
                r
            }
            ("system:kube-scheduler", _) => {
                let ns = self.app_ns();
                let name = self.pod_name();
                let mut r = self.base(c, "create", PODS, Some(ns), Some(name));
                r.subresource = Some("binding");
                r
            }
            ("system:kube-controller-manager", _) => {
                let res = *self
                    .rng
                    .pick(&[CSRS, SERVICEACCOUNTS, NAMESPACES, CLUSTERROLES, CRDS]);
                self.read(c, res, None)
            }
            (_, 0..=3) => {
                let name = format!("apiserver-{}", self.rng.kube_suffix(26));
                let mut r = self.base(c, "update", LEASES, Some("kube-system"), Some(name));
                r.level = Level::RequestResponse;
                r.body = Body::Lease;
                r
            }
            (_, 4 | 5) => {
                let name = *self.rng.pick(&[
                    "exempt",
                    "probes",
                    "system-leader-election",
                    "workload-leader-election",
                    "global-default",
                ]);
                let mut r = self.base(c, "patch", FLOWSCHEMAS, None, Some(name.to_string()));
                r.subresource = Some("status");
                r
            }
            _ => {
                let res = *self.rng.pick(&[
                    ENDPOINTS,
                    NAMESPACES,
                    SERVICES,
                    CLUSTERROLEBINDINGS,
                    ROLES,
                    MUTATING_WEBHOOKS,
                    VALIDATING_WEBHOOKS,
                    SECRETS,
                    CONFIGMAPS,
                ]);
                let mut r = self.read(c, res, Some("kube-system"));
                if r.verb == "get" && res.plural == "endpoints" {
                    r.namespace = Some("default".into());
                    r.name = Some("kubernetes".into());
                }
                r
            }
        };
        if r.reason.is_empty() {
            r.reason = match who {
                "system:apiserver" => {
                    "RBAC: allowed by ClusterRoleBinding \"system:masters\" of ClusterRole \"cluster-admin\" to Group \"system:masters\"".into()
                }
                _ => format!(
                    "RBAC: allowed by ClusterRoleBinding \"{who}\" of ClusterRole \"{who}\" to User \"{who}\""
                ),
            };
        }
        r
    }
}
