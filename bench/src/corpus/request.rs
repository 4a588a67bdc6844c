//! The request model ([`Caller`], [`Body`], [`Request`]) and the parts every scenario shares:
//! the base request, names, query strings, reads, RBAC reasons, the regular mix by caller
//! kind, and the finishing touches (status, level, annotations).

use super::values::{Level, Res, APPS, APP_NAMESPACES};
use super::Generator;

/// The authenticated caller.
#[derive(Clone)]
pub(super) struct Caller {
    pub(super) username: String,
    pub(super) uid: Option<String>,
    pub(super) groups: Vec<String>,
    /// `user.extra`, already rendered as a JSON object.
    pub(super) extra: Option<String>,
    pub(super) source_ips: Vec<String>,
    pub(super) user_agent: String,
}

/// The body shapes the generator can attach.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Body {
    None,
    Pod,
    ConfigMap,
    DecoyConfigMap,
    Lease,
    NodeStatusPatch,
    PodStatusPatch,
    Event,
    RoleBinding,
    DeploymentPatch,
    SecretMetadataList,
    AccessReview,
}

/// One API request, rendered into one or two audit events.
pub(super) struct Request {
    pub(super) caller: Caller,
    pub(super) impersonated: Option<(String, Vec<String>)>,
    pub(super) verb: &'static str,
    pub(super) res: Option<Res>,
    /// For non-resource requests (`/healthz`, …).
    pub(super) path: Option<&'static str>,
    pub(super) namespace: Option<String>,
    pub(super) name: Option<String>,
    pub(super) subresource: Option<&'static str>,
    pub(super) query: String,
    pub(super) level: Level,
    pub(super) body: Body,
    pub(super) allowed: bool,
    /// RBAC reason for `allow`, or empty.
    pub(super) reason: String,
    pub(super) code: u16,
    /// Extra annotations, already rendered as `"k":"v"` pairs.
    pub(super) annotations: Vec<(String, String)>,
}

impl Generator {
    pub(super) fn base(
        &mut self,
        caller: Caller,
        verb: &'static str,
        res: Res,
        namespace: Option<&str>,
        name: Option<String>,
    ) -> Request {
        Request {
            caller,
            impersonated: None,
            verb,
            res: Some(res),
            path: None,
            namespace: if res.namespaced {
                namespace.map(str::to_string)
            } else {
                None
            },
            name,
            subresource: None,
            query: String::new(),
            level: Level::Metadata,
            body: Body::None,
            allowed: true,
            reason: String::new(),
            code: if verb == "create" { 201 } else { 200 },
            annotations: Vec::new(),
        }
    }

    pub(super) fn app_ns(&mut self) -> &'static str {
        self.rng.pick_str(APP_NAMESPACES)
    }

    pub(super) fn pod_name(&mut self) -> String {
        let app = *self.rng.pick(APPS);
        format!(
            "{app}-{}-{}",
            self.rng.kube_suffix(10),
            self.rng.kube_suffix(5)
        )
    }

    pub(super) fn list_query(&mut self) -> String {
        match self.rng.below(4) {
            0 => "?limit=500".into(),
            1 => "?resourceVersion=0".into(),
            2 => format!(
                "?labelSelector=app.kubernetes.io%2Fname%3D{}&limit=500",
                self.rng.pick(APPS)
            ),
            _ => String::new(),
        }
    }

    pub(super) fn watch_query(&mut self) -> String {
        let timeout = self.rng.range(300, 600);
        format!(
            "?allowWatchBookmarks=true&resourceVersion={}&timeout={}m{}s&timeoutSeconds={timeout}&watch=true",
            self.resource_version - self.rng.below(5000),
            timeout / 60,
            timeout % 60
        )
    }

    /// A read (`get`/`list`/`watch`) with its query string.
    pub(super) fn read(&mut self, caller: Caller, res: Res, ns: Option<&str>) -> Request {
        let verb = *self.rng.weighted(&[(5, "get"), (3, "list"), (2, "watch")]);
        let name = if verb == "get" {
            Some(self.object_name(res))
        } else {
            None
        };
        let mut r = self.base(caller, verb, res, ns, name);
        r.query = match verb {
            "get" => String::new(),
            "list" => self.list_query(),
            _ => self.watch_query(),
        };
        r
    }

    pub(super) fn object_name(&mut self, res: Res) -> String {
        match res.plural {
            "pods" => self.pod_name(),
            "nodes" => self.rng.pick(&self.nodes).clone(),
            "secrets" => format!(
                "{}-{}",
                self.rng.pick(APPS),
                self.rng
                    .pick(&["tls", "db-credentials", "api-token", "registry-pull", "env"])
            ),
            "configmaps" => format!(
                "{}-{}",
                self.rng.pick(APPS),
                self.rng
                    .pick(&["config", "settings", "feature-flags", "nginx-conf"])
            ),
            "namespaces" => self.app_ns().to_string(),
            "leases" => self.rng.pick(&self.nodes).clone(),
            _ => format!("{}-{}", self.rng.pick(APPS), self.rng.kube_suffix(5)),
        }
    }

    fn rbac_reason(&mut self, caller: &Caller) -> String {
        let (kind, binding, role, subject_kind, subject) =
            if caller.username.starts_with("system:node:") {
                return String::new();
            } else if let Some(rest) = caller.username.strip_prefix("system:serviceaccount:") {
                let (ns, name) = rest.split_once(':').unwrap_or(("default", rest));
                if ns == "kube-system" {
                    (
                        "ClusterRoleBinding",
                        format!("system:controller:{name}"),
                        format!("system:controller:{name}"),
                        "ServiceAccount",
                        format!("{name}/{ns}"),
                    )
                } else {
                    (
                        "RoleBinding",
                        format!("{name}/{ns}"),
                        format!("{name}-role"),
                        "ServiceAccount",
                        format!("{name}/{ns}"),
                    )
                }
            } else if caller.groups.iter().any(|g| g == "system:masters") {
                (
                    "ClusterRoleBinding",
                    "cluster-admin".into(),
                    "cluster-admin".into(),
                    "Group",
                    "system:masters".into(),
                )
            } else if caller.username.starts_with("system:kube-")
                || caller.username.starts_with("eks:")
            {
                let role = caller.username.clone();
                (
                    "ClusterRoleBinding",
                    role.clone(),
                    role.clone(),
                    "User",
                    role,
                )
            } else {
                let group = caller
                    .groups
                    .iter()
                    .find(|g| !g.starts_with("system:"))
                    .cloned()
                    .unwrap_or_else(|| "system:authenticated".into());
                let role = *self
                    .rng
                    .pick(&["edit", "view", "admin", "platform-operator"]);
                (
                    "ClusterRoleBinding",
                    format!("{group}-{role}"),
                    role.to_string(),
                    "Group",
                    group,
                )
            };
        format!("RBAC: allowed by {kind} \"{binding}\" of ClusterRole \"{role}\" to {subject_kind} \"{subject}\"")
    }

    pub(super) fn regular(&mut self) -> Request {
        let category = *self
            .rng
            .weighted(&[(32, 0u8), (28, 1), (18, 2), (8, 3), (12, 4), (2, 5)]);
        let mut r = match category {
            0 => self.node_request(),
            1 => self.service_account_request(),
            2 => self.control_plane_request(),
            3 => {
                let c = self.human_caller();
                self.human_request(c)
            }
            4 => self.cloud_request(),
            _ => self.anonymous_request(),
        };
        self.finish(&mut r);
        r
    }

    /// Fills in status, reason and the policy level once the request is chosen.
    pub(super) fn finish(&mut self, r: &mut Request) {
        if r.allowed && r.reason.is_empty() && r.path.is_none() {
            r.reason = self.rbac_reason(&r.caller);
        }
        if !r.allowed {
            r.code = 403;
            r.reason.clear();
        } else if r.verb == "get" && self.rng.chance(0.03) {
            r.code = 404;
        } else if r.verb == "update" && self.rng.chance(0.02) {
            r.code = 409;
        }
        if r.level == Level::Metadata && r.body == Body::None {
            // Audit policies commonly log writes of these at Request level.
            if let Some(res) = r.res {
                if matches!(r.verb, "create" | "update" | "patch")
                    && matches!(
                        res.plural,
                        "deployments" | "replicasets" | "statefulsets" | "daemonsets" | "jobs"
                    )
                {
                    r.level = Level::Request;
                    r.body = Body::DeploymentPatch;
                }
            }
        }
        if self.rng.chance(0.01) {
            r.annotations.push((
                "apiserver.latency.k8s.io/etcd".into(),
                format!("{}.{:03}ms", self.rng.range(500, 900), self.rng.below(1000)),
            ));
            r.annotations.push((
                "apiserver.latency.k8s.io/total".into(),
                format!(
                    "{}.{:03}ms",
                    self.rng.range(900, 1500),
                    self.rng.below(1000)
                ),
            ));
        }
    }
}
