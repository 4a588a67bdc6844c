//! A deterministic generator of realistic raw Kubernetes audit events (`audit.k8s.io/v1`
//! `Event`, one JSON object per line, as the API server's log backend writes them).
//!
//! The same `(seed, n)` always gives the same bytes: the only source of variation is a
//! xorshift64* generator seeded through splitmix64, and floating point is used only for
//! comparisons of IEEE doubles built from integers (identical on every platform).
//!
//! What a line can be:
//! - a regular request by a node (kubelet), a service account (controllers, operators,
//!   monitoring), a control-plane component, a human (`kubectl`, `helm`), or a cloud
//!   identity (EKS roles and `eks:*` service users, AKS `aksService`/`masterclient`/…);
//!   about one request in eight is logged twice, `RequestReceived` (no annotations, no
//!   status) followed by `ResponseComplete`, with the same `auditID`;
//! - 0.5% of lines: a request made with impersonation (`impersonatedUser`), in scenarios some
//!   of which the flagship rule must match (privileged user, or only a privileged group in the
//!   array) and most of which it must not (`eks:*` targets, unprivileged targets, forbidden,
//!   `watch`, trusted platform callers, near misses such as `system:masters-readonly`);
//! - about 0.07% of lines: decoys, ConfigMap writes whose data (a string value) contains the
//!   bytes `impersonatedUser`.
//!
//! Request bodies (and response bodies at level `RequestResponse`) are those of pods,
//! configmaps with data, leases, node status patches, events, RBAC bindings, deployment
//! patches, and secrets as metadata only (`PartialObjectMetadataList`). Every line is between
//! [`MIN_EVENT_BYTES`] and [`MAX_EVENT_BYTES`] bytes long, newline excluded.

use std::fmt::{self, Write as _};
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Bump when the generator's output changes, so cached corpora are regenerated.
pub const GENERATOR_VERSION: u32 = 1;
/// The default seed.
pub const DEFAULT_SEED: u64 = 0x5157_4d41_2d52_5321;
/// Share of lines that carry `impersonatedUser`.
pub const IMPERSONATION_RATE: f64 = 0.005;
/// Share of lines that contain the bytes `impersonatedUser` only inside a string value.
pub const DECOY_RATE: f64 = 0.0007;
/// Shortest line, newline excluded.
pub const MIN_EVENT_BYTES: usize = 600;
/// Longest line, newline excluded.
pub const MAX_EVENT_BYTES: usize = 4096;
/// Share of regular requests also logged at stage `RequestReceived`.
const REQUEST_RECEIVED_SHARE: f64 = 0.12;
/// 2026-11-29T08:00:00Z, the corpus's first timestamp.
const START_UNIX_SECONDS: u64 = 1_795_939_200;

/// xorshift64* seeded through splitmix64.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Rng(if z == 0 { 0x2545_F491_4F6C_DD1D } else { z })
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }

    pub fn pick_str(&mut self, xs: &[&'static str]) -> &'static str {
        xs[self.below(xs.len() as u64) as usize]
    }

    /// Picks by integer weights.
    pub fn weighted<'a, T>(&mut self, xs: &'a [(u32, T)]) -> &'a T {
        let total: u64 = xs.iter().map(|(w, _)| u64::from(*w)).sum();
        let mut r = self.below(total);
        for (w, x) in xs {
            if r < u64::from(*w) {
                return x;
            }
            r -= u64::from(*w);
        }
        &xs[xs.len() - 1].1
    }

    fn hex(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len);
        while s.len() < len {
            let _ = write!(s, "{:016x}", self.next_u64());
        }
        s.truncate(len);
        s
    }

    fn uuid(&mut self) -> String {
        let h = self.hex(32);
        format!(
            "{}-{}-4{}-{}{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            ["8", "9", "a", "b"][self.below(4) as usize],
            &h[17..20],
            &h[20..32]
        )
    }

    /// Kubernetes-style random suffix (`bcdfghjklmnpqrstvwxz2456789`).
    fn kube_suffix(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        (0..len)
            .map(|_| ALPHABET[self.below(ALPHABET.len() as u64) as usize] as char)
            .collect()
    }
}

/// What was generated, counted by the generator itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub events: u64,
    /// Bytes written, newlines included.
    pub bytes: u64,
    /// Lines carrying an `impersonatedUser` object.
    pub impersonation: u64,
    /// Lines containing `impersonatedUser` only inside a string value.
    pub decoys: u64,
    /// Lines generated in a scenario the flagship rule is meant to match.
    pub flagship_intended: u64,
    /// Of those, lines whose impersonated username is unprivileged: only an element of
    /// `impersonatedUser.groups` makes them match.
    pub flagship_intended_by_group_only: u64,
    pub min_line: usize,
    pub max_line: usize,
}

/// JSON string content (no quotes), escaped as Go's encoder does for these characters.
struct Esc<'a>(&'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let mut start = 0;
        for (i, b) in s.bytes().enumerate() {
            let rep = match b {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\t' => "\\t",
                b'\r' => "\\r",
                b'<' => "\\u003c",
                b'>' => "\\u003e",
                b'&' => "\\u0026",
                0..=0x1f => {
                    f.write_str(&s[start..i])?;
                    write!(f, "\\u{b:04x}")?;
                    start = i + 1;
                    continue;
                }
                _ => continue,
            };
            f.write_str(&s[start..i])?;
            f.write_str(rep)?;
            start = i + 1;
        }
        f.write_str(&s[start..])
    }
}

/// `"s"` as a JSON string.
fn q(s: &str) -> String {
    format!("\"{}\"", Esc(s))
}

/// `["a","b"]`.
fn str_array<S: AsRef<str>>(xs: &[S]) -> String {
    let mut out = String::from("[");
    for (i, x) in xs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&q(x.as_ref()));
    }
    out.push(']');
    out
}

const K8S_VERSION: &str = "v1.30.4";
const K8S_COMMIT: &str = "a51b3b711150f57ffc1f526a640ec058514ed596";
const ACCOUNT: &str = "123456789012";

const APP_NAMESPACES: &[&str] = &[
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
const APPS: &[&str] = &[
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
const HUMANS: &[&str] = &[
    "alice@example.com",
    "bob@example.com",
    "carol@example.com",
    "dave@example.com",
    "erin.oncall@example.com",
    "frank@example.com",
];
const HUMAN_GROUPS: &[&[&str]] = &[
    &["developers", "system:authenticated"],
    &["oidc:platform-team", "developers", "system:authenticated"],
    &["oidc:sre", "system:authenticated"],
    &["system:authenticated"],
];
const KUBECTL_AGENTS: &[&str] = &[
    "kubectl/v1.30.2 (darwin/arm64) kubernetes/3968350",
    "kubectl/v1.29.6 (linux/amd64) kubernetes/062798d",
    "kubectl/v1.31.0 (darwin/amd64) kubernetes/9edcffc",
    "helm/v3.15.2+g1a500d5 (linux/amd64)",
    "k9s/v0.32.5 (linux/amd64) kubernetes/$Format",
    "Lens/2024.6.261308 (darwin/arm64)",
    "python-requests/2.32.3",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Metadata,
    Request,
    RequestResponse,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::Metadata => "Metadata",
            Level::Request => "Request",
            Level::RequestResponse => "RequestResponse",
        }
    }
}

/// A resource: (plural, API group, version, namespaced).
#[derive(Clone, Copy)]
struct Res {
    plural: &'static str,
    group: &'static str,
    version: &'static str,
    namespaced: bool,
}

const fn res(
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

const PODS: Res = res("pods", "", "v1", true);
const NODES: Res = res("nodes", "", "v1", false);
const CONFIGMAPS: Res = res("configmaps", "", "v1", true);
const SECRETS: Res = res("secrets", "", "v1", true);
const SERVICES: Res = res("services", "", "v1", true);
const ENDPOINTS: Res = res("endpoints", "", "v1", true);
const EVENTS: Res = res("events", "", "v1", true);
const SERVICEACCOUNTS: Res = res("serviceaccounts", "", "v1", true);
const NAMESPACES: Res = res("namespaces", "", "v1", false);
const PVCS: Res = res("persistentvolumeclaims", "", "v1", true);
const LEASES: Res = res("leases", "coordination.k8s.io", "v1", true);
const DEPLOYMENTS: Res = res("deployments", "apps", "v1", true);
const REPLICASETS: Res = res("replicasets", "apps", "v1", true);
const DAEMONSETS: Res = res("daemonsets", "apps", "v1", true);
const STATEFULSETS: Res = res("statefulsets", "apps", "v1", true);
const JOBS: Res = res("jobs", "batch", "v1", true);
const CRONJOBS: Res = res("cronjobs", "batch", "v1", true);
const ENDPOINTSLICES: Res = res("endpointslices", "discovery.k8s.io", "v1", true);
const ROLES: Res = res("roles", "rbac.authorization.k8s.io", "v1", true);
const ROLEBINDINGS: Res = res("rolebindings", "rbac.authorization.k8s.io", "v1", true);
const CLUSTERROLES: Res = res("clusterroles", "rbac.authorization.k8s.io", "v1", false);
const CLUSTERROLEBINDINGS: Res = res(
    "clusterrolebindings",
    "rbac.authorization.k8s.io",
    "v1",
    false,
);
const SSAR: Res = res(
    "selfsubjectaccessreviews",
    "authorization.k8s.io",
    "v1",
    false,
);
const SSRR: Res = res(
    "selfsubjectrulesreviews",
    "authorization.k8s.io",
    "v1",
    false,
);
const TOKENREVIEWS: Res = res("tokenreviews", "authentication.k8s.io", "v1", false);
const CSRS: Res = res(
    "certificatesigningrequests",
    "certificates.k8s.io",
    "v1",
    false,
);
const MUTATING_WEBHOOKS: Res = res(
    "mutatingwebhookconfigurations",
    "admissionregistration.k8s.io",
    "v1",
    false,
);
const VALIDATING_WEBHOOKS: Res = res(
    "validatingwebhookconfigurations",
    "admissionregistration.k8s.io",
    "v1",
    false,
);
const CRDS: Res = res(
    "customresourcedefinitions",
    "apiextensions.k8s.io",
    "v1",
    false,
);
const FLOWSCHEMAS: Res = res("flowschemas", "flowcontrol.apiserver.k8s.io", "v1", false);

/// The authenticated caller.
#[derive(Clone)]
struct Caller {
    username: String,
    uid: Option<String>,
    groups: Vec<String>,
    /// `user.extra`, already rendered as a JSON object.
    extra: Option<String>,
    source_ips: Vec<String>,
    user_agent: String,
}

/// The body shapes the generator can attach.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Body {
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
struct Request {
    caller: Caller,
    impersonated: Option<(String, Vec<String>)>,
    verb: &'static str,
    res: Option<Res>,
    /// For non-resource requests (`/healthz`, …).
    path: Option<&'static str>,
    namespace: Option<String>,
    name: Option<String>,
    subresource: Option<&'static str>,
    query: String,
    level: Level,
    body: Body,
    allowed: bool,
    /// RBAC reason for `allow`, or empty.
    reason: String,
    code: u16,
    /// Extra annotations, already rendered as `"k":"v"` pairs.
    annotations: Vec<(String, String)>,
}

/// The generator: call [`Generator::next_line`] repeatedly.
pub struct Generator {
    rng: Rng,
    clock_us: u64,
    resource_version: u64,
    nodes: Vec<String>,
    pending: Option<(Request, String, u64, u64)>,
    imp_draw: f64,
    decoy_draw: f64,
    pub stats: Stats,
}

impl Generator {
    pub fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let nodes = (0..48)
            .map(|_| {
                format!(
                    "ip-10-0-{}-{}.ec2.internal",
                    rng.range(0, 63),
                    rng.range(2, 254)
                )
            })
            .collect();
        // A fresh draw is the start of a request; regular requests sometimes take two lines.
        // Solve x = rate * (1 + share * (1 - x - y)) so that the *line* rates are the
        // documented ones.
        let (mut x, mut y) = (IMPERSONATION_RATE, DECOY_RATE);
        for _ in 0..8 {
            let lines_per_draw = 1.0 + REQUEST_RECEIVED_SHARE * (1.0 - x - y);
            x = IMPERSONATION_RATE * lines_per_draw;
            y = DECOY_RATE * lines_per_draw;
        }
        Generator {
            rng,
            clock_us: START_UNIX_SECONDS * 1_000_000,
            resource_version: 48_211_907,
            nodes,
            pending: None,
            imp_draw: x,
            decoy_draw: y,
            stats: Stats {
                min_line: usize::MAX,
                ..Stats::default()
            },
        }
    }

    /// Appends one event line, newline included, to `out`.
    pub fn next_line(&mut self, out: &mut String) {
        let start = out.len();
        if let Some((req, audit_id, received, _)) = self.pending.take() {
            let done = received + self.rng.range(400, 40_000);
            self.render(out, &req, "ResponseComplete", &audit_id, received, done);
        } else {
            let u = self.rng.unit();
            self.clock_us += self.rng.below(1_900) + 1;
            let received = self.clock_us;
            let audit_id = self.rng.uuid();
            if u < self.imp_draw {
                let req = self.impersonation();
                self.stats.impersonation += 1;
                let done = received + self.rng.range(400, 40_000);
                let stage = if req.verb == "watch" {
                    "ResponseStarted"
                } else {
                    "ResponseComplete"
                };
                self.render(out, &req, stage, &audit_id, received, done);
            } else if u < self.imp_draw + self.decoy_draw {
                let req = self.decoy();
                self.stats.decoys += 1;
                let done = received + self.rng.range(400, 40_000);
                self.render(out, &req, "ResponseComplete", &audit_id, received, done);
            } else {
                let req = self.regular();
                // Probes and the API server's own loopback requests are logged once.
                let once = req.path.is_some() || req.caller.username == "system:apiserver";
                if !once && self.rng.chance(REQUEST_RECEIVED_SHARE) {
                    self.render(out, &req, "RequestReceived", &audit_id, received, received);
                    self.pending = Some((req, audit_id, received, 0));
                } else {
                    let done = received + self.rng.range(300, 25_000);
                    let stage = if req.verb == "watch" && self.rng.chance(0.5) {
                        "ResponseStarted"
                    } else {
                        "ResponseComplete"
                    };
                    self.render(out, &req, stage, &audit_id, received, done);
                }
            }
        }
        let len = out.len() - start;
        self.stats.events += 1;
        self.stats.bytes += len as u64;
        self.stats.min_line = self.stats.min_line.min(len - 1);
        self.stats.max_line = self.stats.max_line.max(len - 1);
    }

    fn next_rv(&mut self) -> u64 {
        self.resource_version += self.rng.range(1, 40);
        self.resource_version
    }

    // ----- callers -------------------------------------------------------------------------

    /// `user.extra` of a caller authenticated by a client certificate (Kubernetes ≥ 1.30).
    fn x509_extra(&mut self) -> String {
        format!(
            r#"{{"authentication.kubernetes.io/credential-id":["X509SHA256={}"]}}"#,
            self.rng.hex(64)
        )
    }

    fn node_caller(&mut self) -> Caller {
        let node = self.rng.pick(&self.nodes).clone();
        let ip = node_ip(&node);
        Caller {
            username: format!("system:node:{node}"),
            uid: None,
            groups: vec!["system:nodes".into(), "system:authenticated".into()],
            extra: Some(self.x509_extra()),
            source_ips: vec![ip],
            user_agent: format!(
                "kubelet/{K8S_VERSION} (linux/amd64) kubernetes/{}",
                &K8S_COMMIT[..7]
            ),
        }
    }

    fn service_account_caller(&mut self, ns: &str, name: &str, agent: &str) -> Caller {
        let node = self.rng.pick(&self.nodes).clone();
        let pod = format!(
            "{name}-{}-{}",
            self.rng.kube_suffix(10),
            self.rng.kube_suffix(5)
        );
        let extra = format!(
            r#"{{"authentication.kubernetes.io/credential-id":["JTI={}"],"authentication.kubernetes.io/node-name":[{}],"authentication.kubernetes.io/node-uid":["{}"],"authentication.kubernetes.io/pod-name":[{}],"authentication.kubernetes.io/pod-uid":["{}"]}}"#,
            self.rng.uuid(),
            q(&node),
            self.rng.uuid(),
            q(&pod),
            self.rng.uuid()
        );
        Caller {
            username: format!("system:serviceaccount:{ns}:{name}"),
            uid: Some(self.rng.uuid()),
            groups: vec![
                "system:serviceaccounts".into(),
                format!("system:serviceaccounts:{ns}"),
                "system:authenticated".into(),
            ],
            extra: Some(extra),
            source_ips: vec![format!(
                "10.1.{}.{}",
                self.rng.range(0, 255),
                self.rng.range(2, 254)
            )],
            user_agent: agent.to_string(),
        }
    }

    fn control_plane_caller(&mut self, which: &str) -> Caller {
        let agent = match which {
            "system:kube-controller-manager" => format!(
                "kube-controller-manager/{K8S_VERSION} (linux/amd64) kubernetes/{}/leader-election",
                &K8S_COMMIT[..7]
            ),
            "system:kube-scheduler" => format!(
                "kube-scheduler/{K8S_VERSION} (linux/amd64) kubernetes/{}/scheduler",
                &K8S_COMMIT[..7]
            ),
            _ => format!(
                "kube-apiserver/{K8S_VERSION} (linux/amd64) kubernetes/{}",
                &K8S_COMMIT[..7]
            ),
        };
        let (uid, groups, ip) = if which == "system:apiserver" {
            (
                Some(self.rng.uuid()),
                vec![
                    "system:authenticated".to_string(),
                    "system:masters".to_string(),
                ],
                "::1".to_string(),
            )
        } else {
            (
                None,
                vec!["system:authenticated".to_string()],
                format!("10.0.0.{}", self.rng.range(10, 12)),
            )
        };
        let extra = (which != "system:apiserver").then(|| self.x509_extra());
        Caller {
            username: which.to_string(),
            uid,
            groups,
            extra,
            source_ips: vec![ip],
            user_agent: agent,
        }
    }

    fn human_caller(&mut self) -> Caller {
        let user = *self.rng.pick(HUMANS);
        let groups = self
            .rng
            .pick(HUMAN_GROUPS)
            .iter()
            .map(|g| g.to_string())
            .collect();
        let ip = format!(
            "{}.{}",
            self.rng.pick(&["203.0.113", "198.51.100", "192.0.2"]),
            self.rng.range(2, 250)
        );
        let mut source_ips = vec![ip];
        if self.rng.chance(0.2) {
            source_ips.push(format!(
                "10.0.{}.{}",
                self.rng.range(0, 63),
                self.rng.range(2, 254)
            ));
        }
        Caller {
            username: user.to_string(),
            uid: None,
            groups,
            extra: Some(format!(
                r#"{{"authentication.kubernetes.io/credential-id":["JTI={}"],"oidc:iss":["https://login.example.com/realms/platform"]}}"#,
                self.rng.uuid()
            )),
            source_ips,
            user_agent: self.rng.pick(KUBECTL_AGENTS).to_string(),
        }
    }

    /// An EKS IAM role session (`arn:aws:sts::…:assumed-role/ROLE/SESSION`).
    fn eks_role_caller(&mut self, role: &str, session: &str) -> Caller {
        let arn = format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}");
        let principal = format!("AROA{}", self.rng.hex(17).to_uppercase());
        let extra = format!(
            r#"{{"accessKeyId":["ASIA{}"],"arn":[{}],"canonicalArn":["arn:aws:iam::{ACCOUNT}:role/{}"],"principalId":["{principal}"],"sessionName":[{}],"sigs.k8s.io/aws-iam-authenticator/principalId":["{principal}"]}}"#,
            self.rng.hex(16).to_uppercase(),
            q(&arn),
            Esc(role),
            q(session),
        );
        Caller {
            username: arn,
            uid: Some(format!("aws-iam-authenticator:{ACCOUNT}:{principal}")),
            groups: vec!["system:authenticated".into()],
            extra: Some(extra),
            source_ips: vec![format!(
                "10.0.{}.{}",
                self.rng.range(0, 63),
                self.rng.range(2, 254)
            )],
            user_agent: self
                .rng
                .pick(&[
                    "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64",
                    "kubectl/v1.30.2-eks-1552ad0 (linux/amd64) kubernetes/1552ad0",
                ])
                .to_string(),
        }
    }

    fn cloud_caller(&mut self) -> Caller {
        match self.rng.below(10) {
            0..=3 => {
                let user = *self.rng.pick(&[
                    "eks:certificate-controller",
                    "eks:node-manager",
                    "eks:cloud-controller-manager",
                    "eks:pod-identity-mutating-webhook",
                    "eks:addon-manager",
                    "eks:k8s-metrics",
                    "eks:authenticator",
                ]);
                Caller {
                    username: user.to_string(),
                    uid: None,
                    groups: vec!["system:authenticated".into()],
                    extra: Some(self.x509_extra()),
                    source_ips: vec![format!(
                        "10.0.{}.{}",
                        self.rng.range(0, 63),
                        self.rng.range(2, 254)
                    )],
                    user_agent: format!("{}/v0.0.0 (linux/amd64) kubernetes/$Format", &user[4..]),
                }
            }
            4 => self.eks_role_caller("AWSServiceRoleForAmazonEKS", "EKS"),
            5 => self.eks_role_caller("AWSServiceRoleForAmazonEKSNodegroup", "EKS"),
            6 | 7 => {
                let session = self
                    .rng
                    .pick(HUMANS)
                    .split('@')
                    .next()
                    .unwrap_or("ops")
                    .to_string();
                let role = *self.rng.pick(&[
                    "PlatformAdmin",
                    "DevOpsRole",
                    "ReadOnlyAccess",
                    "ci-deploy-role",
                ]);
                self.eks_role_caller(role, &session)
            }
            _ => {
                let user = *self.rng.pick(&[
                    "aksService",
                    "aksService",
                    "masterclient",
                    "nodeclient",
                    "acsService",
                ]);
                let groups = if user == "nodeclient" {
                    vec!["system:nodes".into(), "system:authenticated".into()]
                } else {
                    vec!["system:masters".into(), "system:authenticated".into()]
                };
                Caller {
                    username: user.to_string(),
                    uid: None,
                    groups,
                    extra: Some(self.x509_extra()),
                    source_ips: vec![format!(
                        "172.31.{}.{}",
                        self.rng.range(0, 255),
                        self.rng.range(2, 254)
                    )],
                    user_agent: self
                        .rng
                        .pick(&[
                            "Go-http-client/2.0",
                            "aks-operator/v0.0.0 (linux/amd64) kubernetes/$Format",
                            "kube-apiserver-proxy/v1.30.4",
                        ])
                        .to_string(),
                }
            }
        }
    }

    // ----- requests ------------------------------------------------------------------------

    fn base(
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

    fn app_ns(&mut self) -> &'static str {
        self.rng.pick_str(APP_NAMESPACES)
    }

    fn pod_name(&mut self) -> String {
        let app = *self.rng.pick(APPS);
        format!(
            "{app}-{}-{}",
            self.rng.kube_suffix(10),
            self.rng.kube_suffix(5)
        )
    }

    fn list_query(&mut self) -> String {
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

    fn watch_query(&mut self) -> String {
        let timeout = self.rng.range(300, 600);
        format!(
            "?allowWatchBookmarks=true&resourceVersion={}&timeout={}m{}s&timeoutSeconds={timeout}&watch=true",
            self.resource_version - self.rng.below(5000),
            timeout / 60,
            timeout % 60
        )
    }

    /// A read (`get`/`list`/`watch`) with its query string.
    fn read(&mut self, caller: Caller, res: Res, ns: Option<&str>) -> Request {
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

    fn object_name(&mut self, res: Res) -> String {
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

    fn regular(&mut self) -> Request {
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
    fn finish(&mut self, r: &mut Request) {
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

    fn node_request(&mut self) -> Request {
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

    fn service_account_request(&mut self) -> Request {
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

    fn control_plane_request(&mut self) -> Request {
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

    fn human_request(&mut self, c: Caller) -> Request {
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

    fn cloud_request(&mut self) -> Request {
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

    fn anonymous_request(&mut self) -> Request {
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

    /// A request made with `Impersonate-User` (and often `Impersonate-Group`).
    fn impersonation(&mut self) -> Request {
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
    fn decoy(&mut self) -> Request {
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

    // ----- rendering -----------------------------------------------------------------------

    fn uri(&self, r: &Request) -> String {
        if let Some(p) = r.path {
            return format!("{p}{}", r.query);
        }
        let res = r.res.expect("resource request");
        let mut s = if res.group.is_empty() {
            format!("/api/{}", res.version)
        } else {
            format!("/apis/{}/{}", res.group, res.version)
        };
        if let Some(ns) = &r.namespace {
            let _ = write!(s, "/namespaces/{ns}");
        }
        let _ = write!(s, "/{}", res.plural);
        if let Some(n) = &r.name {
            if r.verb != "create" || r.subresource.is_some() {
                let _ = write!(s, "/{n}");
            }
        }
        if let Some(sub) = r.subresource {
            let _ = write!(s, "/{sub}");
        }
        s.push_str(&r.query);
        s
    }

    fn render(
        &mut self,
        out: &mut String,
        r: &Request,
        stage: &str,
        audit_id: &str,
        received: u64,
        done: u64,
    ) {
        let line_start = out.len();
        self.render_with(out, r, stage, audit_id, received, done, true);
        if out.len() - line_start > MAX_EVENT_BYTES + 1 {
            // Too big with its bodies: log it as a policy would at level Metadata.
            out.truncate(line_start);
            self.render_with(out, r, stage, audit_id, received, done, false);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn render_with(
        &mut self,
        out: &mut String,
        r: &Request,
        stage: &str,
        audit_id: &str,
        received: u64,
        done: u64,
        with_bodies: bool,
    ) {
        let (req_body, resp_body) = if stage == "RequestReceived" || !with_bodies {
            (None, None)
        } else {
            self.bodies(r, done)
        };
        let level = if with_bodies {
            r.level
        } else {
            Level::Metadata
        };
        let _ = write!(
            out,
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"{}","auditID":"{audit_id}","stage":"{stage}","requestURI":{},"verb":"{}","user":{{"username":{}"#,
            level.as_str(),
            q(&self.uri(r)),
            r.verb,
            q(&r.caller.username),
        );
        if let Some(uid) = &r.caller.uid {
            let _ = write!(out, r#","uid":{}"#, q(uid));
        }
        let _ = write!(out, r#","groups":{}"#, str_array(&r.caller.groups));
        if let Some(extra) = &r.caller.extra {
            let _ = write!(out, r#","extra":{extra}"#);
        }
        out.push('}');
        if stage != "RequestReceived" {
            if let Some((user, groups)) = &r.impersonated {
                let _ = write!(
                    out,
                    r#","impersonatedUser":{{"username":{},"groups":{}}}"#,
                    q(user),
                    str_array(groups)
                );
            }
        }
        let _ = write!(
            out,
            r#","sourceIPs":{},"userAgent":{}"#,
            str_array(&r.caller.source_ips),
            q(&r.caller.user_agent)
        );
        if let Some(res) = r.res {
            let _ = write!(out, r#","objectRef":{{"resource":"{}""#, res.plural);
            if let Some(ns) = &r.namespace {
                let _ = write!(out, r#","namespace":{}"#, q(ns));
            }
            if let Some(n) = &r.name {
                let _ = write!(out, r#","name":{}"#, q(n));
            }
            if !res.group.is_empty() {
                let _ = write!(out, r#","apiGroup":"{}""#, res.group);
            }
            let _ = write!(out, r#","apiVersion":"{}""#, res.version);
            if let Some(sub) = r.subresource {
                let _ = write!(out, r#","subresource":"{sub}""#);
            }
            out.push('}');
        }
        if stage != "RequestReceived" {
            out.push_str(r#","responseStatus":{"metadata":{}"#);
            match r.code {
                403 => {
                    let what = r.res.map_or("", |x| x.plural);
                    let user = r
                        .impersonated
                        .as_ref()
                        .map_or(&r.caller.username, |(u, _)| u);
                    let group = r.res.map_or("", |x| x.group);
                    let scope = match &r.namespace {
                        Some(ns) => format!(" in the namespace \"{ns}\""),
                        None => " at the cluster scope".into(),
                    };
                    let msg = format!(
                        "{what} is forbidden: User \"{user}\" cannot {} resource \"{what}\" in API group \"{group}\"{scope}",
                        r.verb
                    );
                    let _ = write!(
                        out,
                        r#","status":"Failure","message":{},"reason":"Forbidden","details":{{"kind":"{what}"}},"code":403}}"#,
                        q(&msg)
                    );
                }
                404 => {
                    let what = r.res.map_or("", |x| x.plural);
                    let name = r.name.as_deref().unwrap_or("");
                    let msg = format!("{what} \"{name}\" not found");
                    let _ = write!(
                        out,
                        r#","status":"Failure","message":{},"reason":"NotFound","details":{{"name":{},"kind":"{what}"}},"code":404}}"#,
                        q(&msg),
                        q(name)
                    );
                }
                409 => {
                    let what = r.res.map_or("", |x| x.plural);
                    let name = r.name.as_deref().unwrap_or("");
                    let msg = format!(
                        "Operation cannot be fulfilled on {what} \"{name}\": the object has been modified; please apply your changes to the latest version and try again"
                    );
                    let _ = write!(
                        out,
                        r#","status":"Failure","message":{},"reason":"Conflict","details":{{"name":{},"kind":"{what}"}},"code":409}}"#,
                        q(&msg),
                        q(name)
                    );
                }
                code => {
                    let _ = write!(out, r#","code":{code}}}"#);
                }
            }
            if let Some(b) = &req_body {
                let _ = write!(out, r#","requestObject":{b}"#);
            }
            if let Some(b) = &resp_body {
                let _ = write!(out, r#","responseObject":{b}"#);
            }
        }
        let _ = write!(
            out,
            r#","requestReceivedTimestamp":"{}","stageTimestamp":"{}""#,
            Timestamp(received),
            Timestamp(if stage == "RequestReceived" {
                received
            } else {
                done
            })
        );
        if stage != "RequestReceived" {
            let decision = if r.allowed { "allow" } else { "forbid" };
            let _ = write!(
                out,
                r#","annotations":{{"authorization.k8s.io/decision":"{decision}","authorization.k8s.io/reason":{}"#,
                q(&r.reason)
            );
            if r.res.is_some_and(|x| x.plural == "pods")
                && r.verb == "create"
                && r.subresource.is_none()
            {
                out.push_str(r#","pod-security.kubernetes.io/enforce-policy":"baseline:latest""#);
                if self.rng.chance(0.3) {
                    let _ = write!(
                        out,
                        r#","mutation.webhook.admission.k8s.io/round_0_index_0":{}"#,
                        q(
                            r#"{"configuration":"pod-identity-webhook","webhook":"iam-for-pods.amazonaws.com","mutated":false}"#
                        )
                    );
                }
            }
            for (k, v) in &r.annotations {
                let _ = write!(out, r#",{}:{}"#, q(k), q(v));
            }
            out.push('}');
        }
        out.push('}');
        out.push('\n');
    }

    /// The request and response bodies for the request's level, bounded in size.
    fn bodies(&mut self, r: &Request, done: u64) -> (Option<String>, Option<String>) {
        if r.level == Level::Metadata || r.body == Body::None || r.code >= 400 {
            return (None, None);
        }
        let ns = r.namespace.clone().unwrap_or_else(|| "default".into());
        let name = r
            .name
            .clone()
            .unwrap_or_else(|| format!("{}-{}", self.rng.pick(APPS), self.rng.kube_suffix(5)));
        let with_response = r.level == Level::RequestResponse;
        match r.body {
            Body::None => (None, None),
            Body::Pod => (Some(self.pod_body(&ns)), None),
            Body::ConfigMap | Body::DecoyConfigMap => {
                let decoy = r.body == Body::DecoyConfigMap;
                let data = self.configmap_data(decoy);
                let req = format!(
                    r#"{{"kind":"ConfigMap","apiVersion":"v1","metadata":{{"name":{},"namespace":{},"labels":{{"app.kubernetes.io/managed-by":"argocd","app.kubernetes.io/part-of":{}}}}},"data":{data}}}"#,
                    q(&name),
                    q(&ns),
                    q(self.rng.pick_str(APPS))
                );
                let resp = (with_response && req.len() < 1400).then(|| {
                    format!(
                        r#"{{"kind":"ConfigMap","apiVersion":"v1","metadata":{{"name":{},"namespace":{},"uid":"{}","resourceVersion":"{}","creationTimestamp":"{}"}},"data":{data}}}"#,
                        q(&name),
                        q(&ns),
                        self.rng.uuid(),
                        self.next_rv(),
                        SecondsTimestamp(done - self.rng.below(86_400_000_000))
                    )
                });
                (Some(req), resp)
            }
            Body::Lease => {
                let holder = format!("{name}_{}", self.rng.uuid());
                let spec = format!(
                    r#""spec":{{"holderIdentity":{},"leaseDurationSeconds":{},"acquireTime":"{}","renewTime":"{}","leaseTransitions":{}}}"#,
                    q(&holder),
                    self.rng.pick(&[15, 40, 60]),
                    Timestamp(done - 3_600_000_000),
                    Timestamp(done),
                    self.rng.below(12)
                );
                let rv = self.next_rv();
                let uid = self.rng.uuid();
                let meta = format!(
                    r#""metadata":{{"name":{},"namespace":{},"uid":"{uid}","resourceVersion":"{rv}","creationTimestamp":"{}"}}"#,
                    q(&name),
                    q(&ns),
                    SecondsTimestamp(done - 30 * 86_400_000_000)
                );
                let req = format!(
                    r#"{{"kind":"Lease","apiVersion":"coordination.k8s.io/v1",{meta},{spec}}}"#
                );
                let resp = with_response.then(|| {
                    format!(
                        r#"{{"kind":"Lease","apiVersion":"coordination.k8s.io/v1","metadata":{{"name":{},"namespace":{},"uid":"{uid}","resourceVersion":"{}","creationTimestamp":"{}","managedFields":[{{"manager":"kubelet","operation":"Update","apiVersion":"coordination.k8s.io/v1","time":"{}","fieldsType":"FieldsV1","fieldsV1":{{"f:spec":{{"f:holderIdentity":{{}},"f:leaseDurationSeconds":{{}},"f:renewTime":{{}}}}}}}}]}},{spec}}}"#,
                        q(&name),
                        q(&ns),
                        rv + 1,
                        SecondsTimestamp(done - 30 * 86_400_000_000),
                        SecondsTimestamp(done)
                    )
                });
                (Some(req), resp)
            }
            Body::NodeStatusPatch => {
                let t = SecondsTimestamp(done);
                let mut s = String::from(
                    r#"{"status":{"$setElementOrder/conditions":[{"type":"MemoryPressure"},{"type":"DiskPressure"},{"type":"PIDPressure"},{"type":"Ready"}],"conditions":["#,
                );
                for (i, c) in ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]
                    .iter()
                    .enumerate()
                {
                    if i > 0 {
                        s.push(',');
                    }
                    let _ = write!(s, r#"{{"lastHeartbeatTime":"{t}","type":"{c}"}}"#);
                }
                s.push_str("]}}");
                (Some(s), None)
            }
            Body::PodStatusPatch => {
                let t = SecondsTimestamp(done);
                let s = format!(
                    r#"{{"metadata":{{"uid":"{}"}},"status":{{"$setElementOrder/conditions":[{{"type":"PodReadyToStartContainers"}},{{"type":"Initialized"}},{{"type":"Ready"}},{{"type":"ContainersReady"}},{{"type":"PodScheduled"}}],"conditions":[{{"lastTransitionTime":"{t}","status":"True","type":"Ready"}},{{"lastTransitionTime":"{t}","status":"True","type":"ContainersReady"}}],"containerStatuses":[{{"containerID":"containerd://{}","image":"registry.example.com/{}:1.4.2","imageID":"registry.example.com/{}@sha256:{}","lastState":{{}},"name":"app","ready":true,"restartCount":0,"started":true,"state":{{"running":{{"startedAt":"{t}"}}}}}}],"podIP":"10.1.{}.{}"}}}}"#,
                    self.rng.uuid(),
                    self.rng.hex(64),
                    self.rng.pick(APPS),
                    self.rng.pick(APPS),
                    self.rng.hex(64),
                    self.rng.range(0, 255),
                    self.rng.range(2, 254)
                );
                (Some(s), None)
            }
            Body::Event => {
                let pod = self.pod_name();
                let image = format!(
                    "registry.example.com/{}:1.{}.{}",
                    self.rng.pick(APPS),
                    self.rng.below(9),
                    self.rng.below(20)
                );
                let (reason, msg) = match self.rng.below(4) {
                    0 => ("Pulled", format!("Successfully pulled image \"{image}\" in 1.{}s (1.{}s including waiting)", self.rng.below(999), self.rng.below(999))),
                    1 => ("Created", "Created container app".to_string()),
                    2 => ("Started", "Started container app".to_string()),
                    _ => ("BackOff", format!("Back-off restarting failed container app in pod {pod}_{ns}({})", self.rng.uuid())),
                };
                let t = SecondsTimestamp(done);
                let node = self.rng.pick(&self.nodes).clone();
                let s = format!(
                    r#"{{"kind":"Event","apiVersion":"v1","metadata":{{"name":"{pod}.{}","namespace":{}}},"involvedObject":{{"kind":"Pod","namespace":{},"name":"{pod}","uid":"{}","apiVersion":"v1","resourceVersion":"{}","fieldPath":"spec.containers{{app}}"}},"reason":"{reason}","message":{},"source":{{"component":"kubelet","host":{}}},"firstTimestamp":"{t}","lastTimestamp":"{t}","count":1,"type":"{}","eventTime":null,"reportingComponent":"kubelet","reportingInstance":{}}}"#,
                    self.rng.hex(16),
                    q(&ns),
                    q(&ns),
                    self.rng.uuid(),
                    self.resource_version,
                    q(&msg),
                    q(&node),
                    if reason == "BackOff" {
                        "Warning"
                    } else {
                        "Normal"
                    },
                    q(&node)
                );
                (Some(s), None)
            }
            Body::RoleBinding => {
                let role = *self.rng.pick(&["edit", "view", "admin", "cluster-admin"]);
                let subject = *self.rng.pick(HUMANS);
                let kind = if r.res.is_some_and(|x| x.plural == "clusterrolebindings") {
                    "ClusterRoleBinding"
                } else {
                    "RoleBinding"
                };
                let body = format!(
                    r#"{{"kind":"{kind}","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{{"name":{}{}}},"subjects":[{{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":{}}}],"roleRef":{{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"{role}"}}}}"#,
                    q(&name),
                    if kind == "RoleBinding" {
                        format!(r#","namespace":{}"#, q(&ns))
                    } else {
                        String::new()
                    },
                    q(subject)
                );
                let resp = with_response.then(|| {
                    body.replacen(
                        r#""metadata":{"#,
                        &format!(
                            r#""metadata":{{"uid":"{}","resourceVersion":"{}","#,
                            self.rng.uuid(),
                            self.next_rv()
                        ),
                        1,
                    )
                });
                (Some(body), resp)
            }
            Body::DeploymentPatch => {
                let app = *self.rng.pick(APPS);
                let s = match self.rng.below(3) {
                    0 => format!(r#"{{"spec":{{"replicas":{}}}}}"#, self.rng.range(1, 12)),
                    1 => format!(
                        r#"{{"spec":{{"template":{{"spec":{{"containers":[{{"name":"{app}","image":"registry.example.com/{app}:1.{}.{}"}}]}}}}}}}}"#,
                        self.rng.below(9),
                        self.rng.below(30)
                    ),
                    _ => format!(
                        r#"{{"spec":{{"template":{{"metadata":{{"annotations":{{"kubectl.kubernetes.io/restartedAt":"{}"}}}}}}}}}}"#,
                        SecondsTimestamp(done)
                    ),
                };
                (Some(s), None)
            }
            Body::SecretMetadataList => {
                let mut s = format!(
                    r#"{{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","metadata":{{"resourceVersion":"{}"}},"items":["#,
                    self.resource_version
                );
                for i in 0..self.rng.range(1, 4) {
                    if i > 0 {
                        s.push(',');
                    }
                    let n = self.object_name(SECRETS);
                    let _ = write!(
                        s,
                        r#"{{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{{"name":{},"namespace":{},"uid":"{}","resourceVersion":"{}","creationTimestamp":"{}","labels":{{"app.kubernetes.io/name":{}}}}}}}"#,
                        q(&n),
                        q(&ns),
                        self.rng.uuid(),
                        self.resource_version - self.rng.below(100_000),
                        SecondsTimestamp(done - self.rng.below(90 * 86_400_000_000)),
                        q(self.rng.pick_str(APPS))
                    );
                }
                s.push_str("]}");
                (None, Some(s))
            }
            Body::AccessReview => {
                let res = self.rng.pick(&["pods", "secrets", "deployments", "nodes"]);
                let s = format!(
                    r#"{{"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1","metadata":{{"creationTimestamp":null}},"spec":{{"resourceAttributes":{{"namespace":{},"verb":"{}","resource":"{res}"}}}},"status":{{"allowed":false}}}}"#,
                    q(&ns),
                    self.rng.pick(&["get", "list", "create", "delete"])
                );
                (Some(s), None)
            }
        }
    }

    fn configmap_data(&mut self, decoy: bool) -> String {
        let mut data = String::from("{");
        if decoy {
            let content = match self.rng.below(3) {
                0 => format!(
                    "{{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"verb\":\"get\",\"user\":{{\"username\":\"alice@example.com\"}},\"impersonatedUser\":{{\"username\":\"system:admin\",\"groups\":[\"system:masters\"]}},\"annotations\":{{\"authorization.k8s.io/decision\":\"allow\"}},\"auditID\":\"{}\"}}\n",
                    self.rng.uuid()
                ),
                1 => "- rule: impersonation of privileged users\n  condition: ka.verb in (get, list) and impersonatedUser.username startswith system:\n  output: user=%ka.user.name target=%impersonatedUser.username\n  priority: WARNING\n".to_string(),
                _ => "# Notes for the on-call: when an alert fires, read impersonatedUser.username and\n# impersonatedUser.groups from the raw audit event, then check who holds the\n# impersonate verb: kubectl get clusterroles -o json | jq '.items[] | select(.rules[].verbs[] == \"impersonate\")'\n".to_string(),
            };
            let _ = write!(data, r#""sample.json":{}"#, q(&content));
            data.push('}');
            return data;
        }
        let entries = self.rng.range(1, 4);
        for i in 0..entries {
            if i > 0 {
                data.push(',');
            }
            let (key, value) = match self.rng.below(5) {
                0 => ("app.yaml", format!(
                    "server:\n  port: {}\n  readTimeout: 30s\nlogging:\n  level: {}\nfeatures:\n  newCheckout: {}\n  searchV2: {}\n",
                    self.rng.range(8000, 9000),
                    self.rng.pick(&["info", "debug", "warn"]),
                    self.rng.chance(0.5),
                    self.rng.chance(0.5)
                )),
                1 => ("nginx.conf", format!(
                    "server {{\n  listen 80;\n  location / {{\n    proxy_pass http://{}:{};\n    proxy_set_header Host $host;\n  }}\n}}\n",
                    self.rng.pick(APPS),
                    self.rng.range(8000, 9000)
                )),
                2 => ("LOG_LEVEL", self.rng.pick(&["info", "debug", "warn"]).to_string()),
                3 => ("feature-flags.json", format!(
                    "{{\"newCheckout\":{},\"searchV2\":{},\"rolloutPercent\":{}}}",
                    self.rng.chance(0.5),
                    self.rng.chance(0.5),
                    self.rng.below(101)
                )),
                _ => ("DATABASE_URL", format!(
                    "postgres://{}.{}.svc.cluster.local:5432/app?sslmode=require",
                    self.rng.pick(APPS),
                    self.rng.pick_str(APP_NAMESPACES)
                )),
            };
            let _ = write!(data, "\"{key}\":{}", q(&value));
        }
        data.push('}');
        data
    }

    fn pod_body(&mut self, ns: &str) -> String {
        let app = *self.rng.pick(APPS);
        let hash = self.rng.kube_suffix(10);
        let image = format!(
            "registry.example.com/{app}:1.{}.{}",
            self.rng.below(9),
            self.rng.below(30)
        );
        let mut s = format!(
            r#"{{"kind":"Pod","apiVersion":"v1","metadata":{{"generateName":"{app}-{hash}-","namespace":{},"creationTimestamp":null,"labels":{{"app.kubernetes.io/name":"{app}","pod-template-hash":"{hash}"}},"ownerReferences":[{{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"{app}-{hash}","uid":"{}","controller":true,"blockOwnerDeletion":true}}]}},"spec":{{"volumes":[{{"name":"kube-api-access-{}","projected":{{"sources":[{{"serviceAccountToken":{{"expirationSeconds":3607,"path":"token"}}}},{{"configMap":{{"name":"kube-root-ca.crt","items":[{{"key":"ca.crt","path":"ca.crt"}}]}}}},{{"downwardAPI":{{"items":[{{"path":"namespace","fieldRef":{{"apiVersion":"v1","fieldPath":"metadata.namespace"}}}}]}}}}],"defaultMode":420}}}}],"containers":[{{"name":"{app}","image":"{image}","ports":[{{"name":"http","containerPort":8080,"protocol":"TCP"}}],"env":["#,
            q(ns),
            self.rng.uuid(),
            self.rng.kube_suffix(5)
        );
        const ENV: &[(&str, &str)] = &[
            ("LOG_LEVEL", "info"),
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "http://otel-collector.monitoring:4317",
            ),
            ("JAVA_OPTS", "-XX:MaxRAMPercentage=75"),
            ("REGION", "eu-west-1"),
            ("FEATURE_FLAGS", "newCheckout,searchV2"),
        ];
        let first = self.rng.below(ENV.len() as u64) as usize;
        for i in 0..self.rng.range(1, 3) as usize {
            if i > 0 {
                s.push(',');
            }
            let (k, v) = ENV[(first + i) % ENV.len()];
            let _ = write!(s, r#"{{"name":"{k}","value":{}}}"#, q(v));
        }
        let _ = write!(
            s,
            r#"],"resources":{{"limits":{{"memory":"{}Mi"}},"requests":{{"cpu":"{}m","memory":"{}Mi"}}}},"volumeMounts":[{{"name":"kube-api-access","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}}],{}"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent","securityContext":{{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"runAsNonRoot":true}}}}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"{app}","serviceAccount":"{app}","securityContext":{{"fsGroup":2000}},"schedulerName":"default-scheduler","tolerations":[{{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}},{{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}}],"priority":0,"enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"}},"status":{{}}}}"#,
            self.rng.pick(&[256, 512, 1024]),
            self.rng.pick(&[50, 100, 250]),
            self.rng.pick(&[128, 256, 512]),
            if self.rng.chance(0.5) {
                r#""livenessProbe":{"httpGet":{"path":"/healthz","port":"http","scheme":"HTTP"},"timeoutSeconds":1,"periodSeconds":10,"successThreshold":1,"failureThreshold":3},"#
            } else {
                ""
            }
        );
        s
    }
}

/// A node's IP from its `ip-10-0-A-B.ec2.internal` name.
fn node_ip(node: &str) -> String {
    node.trim_start_matches("ip-")
        .split('.')
        .next()
        .unwrap_or("10-0-0-1")
        .replace('-', ".")
}

/// `2026-11-29T08:00:00.123456Z` from microseconds since the epoch.
struct Timestamp(u64);
/// `2026-11-29T08:00:00Z`.
struct SecondsTimestamp(u64);

fn civil(us: u64) -> (i64, u64, u64, u64, u64, u64, u64) {
    let secs = us / 1_000_000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u64;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u64;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, rem / 3600, rem / 60 % 60, rem % 60, us % 1_000_000)
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s, us) = civil(self.0);
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{us:06}Z")
    }
}

impl fmt::Display for SecondsTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s, _) = civil(self.0);
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }
}

/// Writes `n` events to `path` (through a temporary file, renamed at the end).
pub fn write_corpus(path: &Path, n: u64, seed: u64) -> io::Result<Stats> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    let mut w = BufWriter::with_capacity(1 << 20, fs::File::create(&tmp)?);
    let mut g = Generator::new(seed);
    let mut line = String::with_capacity(8192);
    for _ in 0..n {
        line.clear();
        g.next_line(&mut line);
        w.write_all(line.as_bytes())?;
    }
    w.flush()?;
    drop(w);
    fs::rename(&tmp, path)?;
    Ok(g.stats)
}

/// The corpus file for `(n, seed)` under `dir`, generated unless a complete one is there.
/// Returns its path, the generator's statistics (saved beside the file when it was made) and
/// whether the file was already there. The file name carries [`GENERATOR_VERSION`].
pub fn ensure_corpus(dir: &Path, n: u64, seed: u64) -> io::Result<(PathBuf, Stats, bool)> {
    let path = dir.join(format!("audit-v{GENERATOR_VERSION}-{n}-{seed:016x}.ndjson"));
    let stats_path = path.with_extension("stats");
    if let (Ok(meta), Ok(saved)) = (fs::metadata(&path), fs::read_to_string(&stats_path)) {
        if let Some(stats) = parse_stats(&saved) {
            if stats.bytes == meta.len() && stats.events == n {
                return Ok((path, stats, true));
            }
        }
    }
    let stats = write_corpus(&path, n, seed)?;
    fs::write(&stats_path, format_stats(&stats))?;
    Ok((path, stats, false))
}

fn format_stats(s: &Stats) -> String {
    format!(
        "events {}\nbytes {}\nimpersonation {}\ndecoys {}\nflagship_intended {}\nflagship_intended_by_group_only {}\nmin_line {}\nmax_line {}\n",
        s.events,
        s.bytes,
        s.impersonation,
        s.decoys,
        s.flagship_intended,
        s.flagship_intended_by_group_only,
        s.min_line,
        s.max_line
    )
}

fn parse_stats(text: &str) -> Option<Stats> {
    let mut s = Stats::default();
    let mut seen = 0;
    for line in text.lines() {
        let (k, v) = line.split_once(' ')?;
        let v: u64 = v.parse().ok()?;
        match k {
            "events" => s.events = v,
            "bytes" => s.bytes = v,
            "impersonation" => s.impersonation = v,
            "decoys" => s.decoys = v,
            "flagship_intended" => s.flagship_intended = v,
            "flagship_intended_by_group_only" => s.flagship_intended_by_group_only = v,
            "min_line" => s.min_line = v as usize,
            "max_line" => s.max_line = v as usize,
            _ => return None,
        }
        seen += 1;
    }
    (seen == 8).then_some(s)
}
