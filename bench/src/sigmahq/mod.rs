//! A deterministic, mixed stream of the events SigmaHQ's rules read: Windows Sysmon (process
//! creation, network, image and driver loads, files, registry, DNS, process access, pipes,
//! remote threads), Windows Security, System, Application and Defender, PowerShell script
//! blocks, modules and classic engine starts, Sysmon for Linux (processes, files, network),
//! and AWS CloudTrail. One JSON object per line, shaped so that `detect scan --input-format
//! json` recognises each line as the log source it was made for ([`sources::SOURCES`]).
//!
//! Field values are benign ([`values`]) unless a rule's literal is put there: each field a
//! rule of the event's log source names takes one of their literals with probability
//! [`FIELD_LITERAL_RATE`] (placed as the rule's modifier asks: whole, prefix, suffix, or
//! embedded in the benign value), and [`RULE_EVENT_RATE`] of the events are made from one rule:
//! every selection its condition uses positively is filled with its literals, and in a
//! quarter of those, also one of its filters, so that engines must agree on `not` as well.
//!
//! Deterministic: the same seed and the same rules give the same bytes (the corpus's
//! xorshift64* [`Rng`], rule files read in sorted order, no hash-map iteration).
//!
//! By job: `sources.rs` the log sources, `rules.rs` what is read from the rules, `values.rs`
//! the benign values, `event.rs` one event's fields and its JSON, `write.rs` the stream's
//! files.

mod event;
pub mod rules;
pub mod sources;
mod values;
mod write;

pub use rules::{How, Item, Lit, Rule};
pub use sources::{Layout, Source, SOURCES};
pub use write::{ensure_stream, read_sources, write_stream, Stats};

use crate::corpus::Rng;
use event::Fields;
use std::collections::BTreeMap;
use values::Ctx;

/// Bump when the generator's output changes, so cached streams are regenerated.
pub const GENERATOR_VERSION: u32 = 1;
/// The default number of events.
pub const DEFAULT_EVENTS: u64 = 200_000;
/// Share of the fields named by a rule of the event's log source that take a rule literal.
pub const FIELD_LITERAL_RATE: f64 = 0.12;
/// Share of the events made from one rule's selections.
pub const RULE_EVENT_RATE: f64 = 0.15;
/// Share of the rule-made events that also carry one of the rule's filters.
pub const FILTER_RATE: f64 = 0.25;
/// 2026-11-29T08:00:00Z, the stream's first timestamp.
const START_UNIX_SECONDS: u64 = 1_795_939_200;

/// What one rule contributes to the events of a source: the alternatives of each selection
/// its condition uses positively, and of each filter.
struct Recipe {
    positive: Vec<Vec<Vec<Item>>>,
    filters: Vec<Vec<Vec<Item>>>,
}

/// The rules of one source: recipes, and per field the literals any of them can take.
#[derive(Default)]
struct SourceRules {
    recipes: Vec<Recipe>,
    pool: BTreeMap<String, Vec<(How, Lit)>>,
}

/// The generator: call [`Generator::next_line`] repeatedly.
pub struct Generator {
    rng: Rng,
    clock_us: u64,
    record_id: u64,
    weights: Vec<(u32, usize)>,
    by_source: Vec<SourceRules>,
    pub stats: Stats,
}

impl Generator {
    /// A generator drawing literals from `rules` (rules whose log source is none of
    /// [`SOURCES`] contribute nothing).
    pub fn new(seed: u64, rules: &[Rule]) -> Self {
        let mut by_source: Vec<SourceRules> =
            SOURCES.iter().map(|_| SourceRules::default()).collect();
        for (si, src) in SOURCES.iter().enumerate() {
            let target = &mut by_source[si];
            for r in rules {
                if !src.admits(
                    r.product.as_deref(),
                    r.category.as_deref(),
                    r.service.as_deref(),
                ) {
                    continue;
                }
                let usable = |alts: &Vec<Vec<Item>>| alts.iter().any(|a| !a.is_empty());
                let positive: Vec<Vec<Vec<Item>>> = r
                    .selections
                    .iter()
                    .filter(|s| !s.negated && usable(&s.alternatives))
                    .map(|s| s.alternatives.clone())
                    .collect();
                let filters: Vec<Vec<Vec<Item>>> = r
                    .selections
                    .iter()
                    .filter(|s| s.negated && usable(&s.alternatives))
                    .map(|s| s.alternatives.clone())
                    .collect();
                for alt in positive.iter().flatten() {
                    for item in alt.iter().filter(|i| !src.locked(&i.field)) {
                        let pool = target.pool.entry(item.field.clone()).or_default();
                        pool.extend(item.values.iter().cloned());
                    }
                }
                if !positive.is_empty() {
                    target.recipes.push(Recipe { positive, filters });
                }
            }
            for v in target.pool.values_mut() {
                v.sort_by_key(|(how, lit)| (*how, lit.text(), matches!(lit, Lit::Str(_))));
                v.dedup();
            }
        }
        Generator {
            rng: Rng::new(seed),
            clock_us: START_UNIX_SECONDS * 1_000_000,
            record_id: 4_812_093,
            weights: SOURCES
                .iter()
                .enumerate()
                .map(|(i, s)| (s.weight, i))
                .collect(),
            by_source,
            stats: Stats {
                per_source: vec![0; SOURCES.len()],
                ..Stats::default()
            },
        }
    }

    /// How many rules can seed events of each source.
    pub fn recipes_per_source(&self) -> Vec<usize> {
        self.by_source.iter().map(|s| s.recipes.len()).collect()
    }

    /// Appends one event line, newline included, to `out`; returns its source's index in
    /// [`SOURCES`].
    pub fn next_line(&mut self, out: &mut String) -> usize {
        let start = out.len();
        let si = *self.rng.weighted(&self.weights);
        let src = &SOURCES[si];
        self.clock_us += self.rng.below(4_000) + 1;
        self.record_id += 1;
        let cx = Ctx::new(&mut self.rng, self.clock_us);

        // The literals of one rule, when this event is made from one.
        let mut seeded: Vec<(String, How, Lit)> = Vec::new();
        let rules = &self.by_source[si];
        if !rules.recipes.is_empty() && self.rng.chance(RULE_EVENT_RATE) {
            let recipe = self.rng.pick(&rules.recipes);
            for alts in &recipe.positive {
                take(&mut self.rng, alts, &mut seeded);
            }
            self.stats.rule_seeded += 1;
            if !recipe.filters.is_empty() && self.rng.chance(FILTER_RATE) {
                let alts = self.rng.pick(&recipe.filters);
                take(&mut self.rng, alts, &mut seeded);
                self.stats.filter_seeded += 1;
            }
        }

        // The event id: the one the rule names, when the source has it.
        let wanted = seeded
            .iter()
            .find_map(|(f, h, l)| match (f.as_str(), h, l) {
                ("EventID", How::Exact, Lit::Num(n)) => n.as_u64(),
                _ => None,
            });
        let variant =
            match wanted.and_then(|id| src.variants.iter().find(|v| u64::from(v.event_id) == id)) {
                Some(v) => v,
                None => {
                    let ws: Vec<(u32, usize)> = src
                        .variants
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (v.weight, i))
                        .collect();
                    &src.variants[*self.rng.weighted(&ws)]
                }
            };

        let mut fields = Fields::default();
        match src.layout {
            Layout::Windows | Layout::Linux => {
                let host = if src.layout == Layout::Linux {
                    values::linux_host(&mut self.rng).to_owned()
                } else {
                    format!("{}.corp.example", cx.host)
                };
                fields.set("EventID", Lit::Num(variant.event_id.into()));
                fields.set("Channel", Lit::Str(src.channel.into()));
                fields.set("Provider_Name", Lit::Str(variant.provider.into()));
                fields.set("Computer", Lit::Str(host));
                fields.set("EventRecordID", Lit::Num(self.record_id.into()));
                fields.set("Level", Lit::Num(4.into()));
                fields.set("TimeCreated", Lit::Str(values::timestamp(self.clock_us)));
                for f in variant.fields {
                    if let Some(v) = values::benign(f, src, variant.event_id, &cx, &mut self.rng) {
                        fields.set(f, v);
                    }
                }
            }
            Layout::CloudTrail => self.cloudtrail(&mut fields),
        }

        // Single literals in fields the source's rules name.
        let names: Vec<String> = fields.names().map(str::to_owned).collect();
        for name in names {
            if src.locked(&name) {
                continue;
            }
            if let Some(pool) = self.by_source[si].pool.get(&name) {
                if self.rng.chance(FIELD_LITERAL_RATE) {
                    let (how, lit) = self.rng.pick(pool).clone();
                    fields.place(&name, how, &lit);
                    self.stats.field_literals += 1;
                }
            }
        }
        for (field, how, lit) in &seeded {
            if !src.locked(field) {
                fields.place(field, *how, lit);
            }
        }

        fields.render(out);
        out.push('\n');
        let len = out.len() - start;
        self.stats.events += 1;
        self.stats.bytes += len as u64;
        self.stats.per_source[si] += 1;
        si
    }

    fn cloudtrail(&mut self, fields: &mut Fields) {
        let rng = &mut self.rng;
        let (source, name, read_only) = values::cloud_call(rng);
        let account = "123456789012";
        let s = |v: &str| Lit::Str(v.to_owned());
        fields.set("eventVersion", s("1.09"));
        match rng.below(10) {
            0..=4 => {
                let role = *rng.pick(&[
                    "ci-deploy",
                    "eks-node-group",
                    "lambda-exec-reports",
                    "AWSReservedSSO_ReadOnly_4f2a9c",
                ]);
                fields.set("userIdentity.type", s("AssumedRole"));
                fields.set(
                    "userIdentity.principalId",
                    s(&format!(
                        "AROA{}:session-{}",
                        values::hex(rng, 16).to_uppercase(),
                        rng.range(1000, 9999)
                    )),
                );
                fields.set(
                    "userIdentity.arn",
                    s(&format!(
                        "arn:aws:sts::{account}:assumed-role/{role}/session"
                    )),
                );
                fields.set("userIdentity.accountId", s(account));
                fields.set(
                    "userIdentity.accessKeyId",
                    s(&format!("ASIA{}", values::hex(rng, 16).to_uppercase())),
                );
                fields.set("userIdentity.sessionContext.sessionIssuer.type", s("Role"));
                fields.set(
                    "userIdentity.sessionContext.sessionIssuer.userName",
                    s(role),
                );
            }
            5..=7 => {
                let user = *rng.pick(&["alice", "bob", "terraform", "backup-bot"]);
                fields.set("userIdentity.type", s("IAMUser"));
                fields.set(
                    "userIdentity.principalId",
                    s(&format!("AIDA{}", values::hex(rng, 16).to_uppercase())),
                );
                fields.set(
                    "userIdentity.arn",
                    s(&format!("arn:aws:iam::{account}:user/{user}")),
                );
                fields.set("userIdentity.accountId", s(account));
                fields.set(
                    "userIdentity.accessKeyId",
                    s(&format!("AKIA{}", values::hex(rng, 16).to_uppercase())),
                );
                fields.set("userIdentity.userName", s(user));
            }
            _ => {
                fields.set("userIdentity.type", s("AWSService"));
                fields.set(
                    "userIdentity.invokedBy",
                    s(rng.pick_str(&[
                        "ec2.amazonaws.com",
                        "lambda.amazonaws.com",
                        "cloudformation.amazonaws.com",
                    ])),
                );
            }
        }
        fields.set(
            "eventTime",
            s(&values::timestamp(self.clock_us).replace(' ', "T")[..19]),
        );
        fields.set("eventSource", s(source));
        fields.set("eventName", s(name));
        fields.set(
            "awsRegion",
            s(rng.pick_str(&["us-east-1", "us-east-1", "eu-west-1", "us-west-2"])),
        );
        fields.set("sourceIPAddress", s(&values::cloud_ip(rng)));
        fields.set("userAgent", s(values::cloud_agent(rng)));
        match name {
            "GetObject" | "PutObject" => {
                fields.set("requestParameters.bucketName", s("corp-reports-prod"));
                fields.set(
                    "requestParameters.key",
                    s(&format!("daily/{}.csv", rng.range(1, 999))),
                );
            }
            "AssumeRole" => {
                fields.set(
                    "requestParameters.roleArn",
                    s(&format!("arn:aws:iam::{account}:role/ci-deploy")),
                );
                fields.set(
                    "requestParameters.roleSessionName",
                    s(&format!("gha-{}", rng.range(100_000, 999_999))),
                );
            }
            "GetParameter" | "GetSecretValue" => {
                fields.set("requestParameters.name", s("/prod/app/db-url"));
            }
            "DescribeInstances" => {
                fields.set("requestParameters.maxResults", Lit::Num(1000.into()));
            }
            "ConsoleLogin" => {
                fields.set("responseElements.ConsoleLogin", s("Success"));
                fields.set("additionalEventData.MFAUsed", s("Yes"));
            }
            _ => {}
        }
        let uuid = |rng: &mut Rng| {
            let h = values::hex(rng, 32);
            format!(
                "{}-{}-4{}-a{}-{}",
                &h[0..8],
                &h[8..12],
                &h[13..16],
                &h[17..20],
                &h[20..32]
            )
        };
        fields.set("requestID", s(&uuid(rng)));
        fields.set("eventID", s(&uuid(rng)));
        fields.set("readOnly", Lit::Bool(read_only));
        fields.set(
            "eventType",
            s(if name == "ConsoleLogin" {
                "AwsConsoleSignIn"
            } else {
                "AwsApiCall"
            }),
        );
        fields.set("managementEvent", Lit::Bool(true));
        fields.set("recipientAccountId", s(account));
        fields.set("eventCategory", s("Management"));
    }
}

/// Adds the literals of one alternative of a selection: every value of an `|all` item, one
/// value of any other.
fn take(rng: &mut Rng, alts: &[Vec<Item>], out: &mut Vec<(String, How, Lit)>) {
    let alt = rng.pick(alts);
    for item in alt {
        if item.all {
            for (how, lit) in &item.values {
                let how = if *how == How::Exact {
                    How::Contains
                } else {
                    *how
                };
                out.push((item.field.clone(), how, lit.clone()));
            }
        } else {
            let (how, lit) = rng.pick(&item.values);
            out.push((item.field.clone(), *how, lit.clone()));
        }
    }
}
