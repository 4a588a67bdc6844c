//! What a compiled rule is: its metadata and its matcher.

use super::{Event, FieldTable, Gate, NeedleTable, Shape};

/// Severity of a rule (Sigma `level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// `informational`
    Informational,
    /// `low`
    Low,
    /// `medium`
    Medium,
    /// `high`
    High,
    /// `critical`
    Critical,
}

impl Level {
    /// The Sigma spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }
}

/// Where a rule applies (Sigma `logsource`); empty strings are absent keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogSource {
    /// `product`
    pub product: &'static str,
    /// `category`
    pub category: &'static str,
    /// `service`
    pub service: &'static str,
}

/// A rule's metadata, as written in its YAML, and what the generator resolved from it (ATT&CK
/// names, risk score).
#[derive(Debug, Clone, Copy)]
pub struct RuleInfo {
    /// Sigma `id` (empty when the rule has none).
    pub id: &'static str,
    /// Sigma `title`.
    pub title: &'static str,
    /// Sigma `level`, when given.
    pub level: Option<Level>,
    /// Sigma `status` (empty when absent).
    pub status: &'static str,
    /// Sigma `tags`.
    pub tags: &'static [&'static str],
    /// The MITRE ATT&CK tactics that the `attack.*` tags name, as `(id, name)`: each id once
    /// (with the name of its first tag), in tag order. Resolved by the generator; a tag it
    /// does not know is left out.
    pub tactics: &'static [(&'static str, &'static str)],
    /// The ATT&CK techniques and sub-techniques that the tags name, as `(id, name)`, the same
    /// way.
    pub techniques: &'static [(&'static str, &'static str)],
    /// The rule's risk score (ECS `event.risk_score`): its custom `risk_score` key when that
    /// is a number (or a string holding one), else the severity of its level (21, 47, 73, 99
    /// for low to critical, 1 for informational); `None` when it has neither.
    pub risk_score: Option<f64>,
    /// Elastic's severity of the rule's level (ECS `event.severity`): 21, 47, 73, 99 for low
    /// to critical, 1 for informational; `None` without a level. Resolved by the generator.
    pub severity: Option<u32>,
    /// Sigma `logsource`.
    pub logsource: LogSource,
    /// `related`: `(type, id)` pairs.
    pub related: &'static [(&'static str, &'static str)],
    /// Keys that Sigma does not define, with their values as JSON text.
    pub custom: &'static [(&'static str, &'static str)],
    /// The rule file, relative to the rules directory, with `/` separators.
    pub source: &'static str,
}

/// A compiled rule: metadata, the generated matcher and its byte prefilter.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Metadata.
    pub info: &'static RuleInfo,
    /// The generated matcher: true when the event matches the rule's condition.
    pub matches: fn(&Event) -> bool,
    /// Literals one of which every line the rule can match contains.
    pub prefilter: &'static Prefilter,
    /// Needles every event the rule matches holds (see [`Gate`]).
    pub gate: &'static Gate,
}

/// A rule's byte prefilter, per event shape: every line the rule can match contains one of the
/// literals (unless the line holds a `\u00XX` escape, which could hide one), byte for byte, or
/// in some ASCII case for a literal written `(?i)text` (from a case-insensitive value). `None`:
/// no literal is required and the rule sees every line. See [the crate docs](crate#prefilters).
#[derive(Debug, Clone, Copy)]
pub struct Prefilter {
    /// For raw audit events.
    pub raw: Option<&'static [&'static str]>,
    /// For ECS documents.
    pub ecs: Option<&'static [&'static str]>,
    /// Fields every event the rule can match reaches (with any value), as named in raw
    /// events: a decoded event lacking one skips the rule without running its matcher.
    pub fields_raw: &'static [&'static str],
    /// The same, as named in ECS documents.
    pub fields_ecs: &'static [&'static str],
}

/// A compiled rule set: the rules, and the field tables the selective decoder reads events
/// by (every field some rule reads, per event shape). The generated crate exposes one as a
/// `static`; the engine runs whatever set it is handed.
#[derive(Debug, Clone, Copy)]
pub struct RuleSet {
    /// Every rule, in the order of their rule files' paths.
    pub rules: &'static [Rule],
    /// The fields the rules read, as named in raw audit events.
    pub fields_raw: &'static FieldTable,
    /// The same fields, as named in ECS documents.
    pub fields_ecs: &'static FieldTable,
    /// The needles of the rules' gates, one table per log source.
    pub needles: &'static [&'static NeedleTable],
}

impl RuleSet {
    /// The decoder's field table for events of `shape`.
    #[inline]
    pub fn fields(&self, shape: Shape) -> &'static FieldTable {
        match shape {
            Shape::Raw => self.fields_raw,
            Shape::Ecs => self.fields_ecs,
        }
    }
}
