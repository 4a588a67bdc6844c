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
//!
//! By job: `rng.rs` draws, `values.rs` holds the value tables, `request.rs` the request model
//! and the regular mix, `callers.rs` the callers, `cluster.rs`, `clients.rs` and
//! `impersonation.rs` the scenarios by kind, `render.rs` and `bodies.rs` the event text,
//! `json.rs` JSON strings and timestamps, and `write.rs` the corpus file and its statistics.

mod bodies;
mod callers;
mod clients;
mod cluster;
mod impersonation;
mod json;
mod render;
mod request;
mod rng;
mod values;
mod write;

pub use rng::Rng;
pub use write::{ensure_corpus, write_corpus, Stats};

use request::Request;

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
}
