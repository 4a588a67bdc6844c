//! The value tables: Kubernetes version, account, namespaces, apps, humans and their groups,
//! client agents, audit levels, and the API resources requests name.

pub(super) const K8S_VERSION: &str = "v1.30.4";
pub(super) const K8S_COMMIT: &str = "a51b3b711150f57ffc1f526a640ec058514ed596";
pub(super) const ACCOUNT: &str = "123456789012";

pub(super) const APP_NAMESPACES: &[&str] = &[
    "default",
    "payments",
    "checkout",
    "search",
    "data-pipeline",
    "prod-web",
    "staging",
    "dev-alice",
    "ci",
    "monitoring",
    "argocd",
    "cert-manager",
    "ingress-nginx",
];
pub(super) const APPS: &[&str] = &[
    "web",
    "api",
    "worker",
    "frontend",
    "checkout-svc",
    "search-indexer",
    "redis",
    "postgres-proxy",
    "notifier",
    "billing",
    "etl-runner",
    "grafana",
];
pub(super) const HUMANS: &[&str] = &[
    "alice@example.com",
    "bob@example.com",
    "carol@example.com",
    "dave@example.com",
    "erin.oncall@example.com",
    "frank@example.com",
];
pub(super) const HUMAN_GROUPS: &[&[&str]] = &[
    &["developers", "system:authenticated"],
    &["oidc:platform-team", "developers", "system:authenticated"],
    &["oidc:sre", "system:authenticated"],
    &["system:authenticated"],
];
pub(super) const KUBECTL_AGENTS: &[&str] = &[
    "kubectl/v1.30.2 (darwin/arm64) kubernetes/3968350",
    "kubectl/v1.29.6 (linux/amd64) kubernetes/062798d",
    "kubectl/v1.31.0 (darwin/amd64) kubernetes/9edcffc",
    "helm/v3.15.2+g1a500d5 (linux/amd64)",
    "k9s/v0.32.5 (linux/amd64) kubernetes/$Format",
    "Lens/2024.6.261308 (darwin/arm64)",
    "python-requests/2.32.3",
];

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Level {
    Metadata,
    Request,
    RequestResponse,
}

impl Level {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Level::Metadata => "Metadata",
            Level::Request => "Request",
            Level::RequestResponse => "RequestResponse",
        }
    }
}

/// A resource: (plural, API group, version, namespaced).
#[derive(Clone, Copy)]
pub(super) struct Res {
    pub(super) plural: &'static str,
    pub(super) group: &'static str,
    pub(super) version: &'static str,
    pub(super) namespaced: bool,
}

pub(super) const fn res(
    plural: &'static str,
    group: &'static str,
    version: &'static str,
    namespaced: bool,
) -> Res {
    Res {
        plural,
        group,
        version,
        namespaced,
    }
}

pub(super) const PODS: Res = res("pods", "", "v1", true);
pub(super) const NODES: Res = res("nodes", "", "v1", false);
pub(super) const CONFIGMAPS: Res = res("configmaps", "", "v1", true);
pub(super) const SECRETS: Res = res("secrets", "", "v1", true);
pub(super) const SERVICES: Res = res("services", "", "v1", true);
pub(super) const ENDPOINTS: Res = res("endpoints", "", "v1", true);
pub(super) const EVENTS: Res = res("events", "", "v1", true);
pub(super) const SERVICEACCOUNTS: Res = res("serviceaccounts", "", "v1", true);
pub(super) const NAMESPACES: Res = res("namespaces", "", "v1", false);
pub(super) const PVCS: Res = res("persistentvolumeclaims", "", "v1", true);
pub(super) const LEASES: Res = res("leases", "coordination.k8s.io", "v1", true);
pub(super) const DEPLOYMENTS: Res = res("deployments", "apps", "v1", true);
pub(super) const REPLICASETS: Res = res("replicasets", "apps", "v1", true);
pub(super) const DAEMONSETS: Res = res("daemonsets", "apps", "v1", true);
pub(super) const STATEFULSETS: Res = res("statefulsets", "apps", "v1", true);
pub(super) const JOBS: Res = res("jobs", "batch", "v1", true);
pub(super) const CRONJOBS: Res = res("cronjobs", "batch", "v1", true);
pub(super) const ENDPOINTSLICES: Res = res("endpointslices", "discovery.k8s.io", "v1", true);
pub(super) const ROLES: Res = res("roles", "rbac.authorization.k8s.io", "v1", true);
pub(super) const ROLEBINDINGS: Res = res("rolebindings", "rbac.authorization.k8s.io", "v1", true);
pub(super) const CLUSTERROLES: Res = res("clusterroles", "rbac.authorization.k8s.io", "v1", false);
pub(super) const CLUSTERROLEBINDINGS: Res = res(
    "clusterrolebindings",
    "rbac.authorization.k8s.io",
    "v1",
    false,
);
pub(super) const SSAR: Res = res(
    "selfsubjectaccessreviews",
    "authorization.k8s.io",
    "v1",
    false,
);
pub(super) const SSRR: Res = res(
    "selfsubjectrulesreviews",
    "authorization.k8s.io",
    "v1",
    false,
);
pub(super) const TOKENREVIEWS: Res = res("tokenreviews", "authentication.k8s.io", "v1", false);
pub(super) const CSRS: Res = res(
    "certificatesigningrequests",
    "certificates.k8s.io",
    "v1",
    false,
);
pub(super) const MUTATING_WEBHOOKS: Res = res(
    "mutatingwebhookconfigurations",
    "admissionregistration.k8s.io",
    "v1",
    false,
);
pub(super) const VALIDATING_WEBHOOKS: Res = res(
    "validatingwebhookconfigurations",
    "admissionregistration.k8s.io",
    "v1",
    false,
);
pub(super) const CRDS: Res = res(
    "customresourcedefinitions",
    "apiextensions.k8s.io",
    "v1",
    false,
);
pub(super) const FLOWSCHEMAS: Res = res("flowschemas", "flowcontrol.apiserver.k8s.io", "v1", false);
