//! The intermediate representation: plain data, no token types. Lowering produces it (all
//! validation is done by then), passes rewrite it, emission turns it into Rust. Everything is
//! ordered (Vec in source order, BTreeMap/BTreeSet) so output never depends on hash order.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Every document of a rule set, each list sorted by source path then document index.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleSet {
    /// The detection rules (with the filters that apply to them already folded in).
    pub rules: Vec<Rule>,
    /// Sigma filter documents.
    pub filters: Vec<Filter>,
    /// Correlation rules, inner ones (those another chains) first.
    pub correlations: Vec<Correlation>,
}

/// What one rule file document is.
#[derive(Debug, Clone, PartialEq)]
pub enum Document {
    /// A detection rule.
    Rule(Rule),
    /// A filter (meta-filter) document.
    Filter(Filter),
    /// A correlation rule.
    Correlation(Correlation),
}

/// A reference to another rule by id or name, with where it is written (a diagnostic with
/// no message yet, for errors found when the whole set is known).
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    /// The id or name.
    pub name: String,
    /// Its position.
    pub at: crate::diagnostic::Diagnostic,
}

/// A Sigma filter: selections and a condition AND-ed onto the rules it names.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// Source file, `/`-separated, relative to the rules directory.
    pub source: String,
    /// Document index in the file.
    pub doc: usize,
    /// Metadata (title, id, logsource, ...).
    pub meta: Meta,
    /// The rules it applies to: `None` for `any` (every rule its logsource covers).
    pub rules: Option<Vec<Reference>>,
    /// Its selections.
    pub selections: Vec<Selection>,
    /// Its condition over its own selections.
    pub condition: Expr,
    /// The condition as written.
    pub condition_text: String,
}

/// The kinds of correlation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CorrelationType {
    /// `event_count`
    EventCount,
    /// `value_count`
    ValueCount,
    /// `temporal`
    Temporal,
    /// `temporal_ordered`
    TemporalOrdered,
    /// `value_sum`
    ValueSum,
    /// `value_avg`
    ValueAvg,
    /// `value_percentile`
    ValuePercentile,
    /// `value_median`
    ValueMedian,
}

/// A correlation rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Correlation {
    /// Source file.
    pub source: String,
    /// Document index in the file.
    pub doc: usize,
    /// Metadata.
    pub meta: Meta,
    /// The kind.
    pub kind: CorrelationType,
    /// The rules (or correlations) it correlates, as written (or, for an extended condition
    /// without `rules`, as its expression names them).
    pub rules: Vec<Reference>,
    /// `group-by` fields (aliases by their alias name).
    pub group_by: Vec<String>,
    /// The window, in seconds.
    pub timespan: u64,
    /// The condition.
    pub condition: CorrCondition,
    /// `condition.field` (value_* types).
    pub fields: Vec<String>,
    /// `condition.percentile` (value_percentile; value_median is 50).
    pub percentile: Option<u8>,
    /// `aliases`: alias → (rule reference → field).
    pub aliases: BTreeMap<String, BTreeMap<String, String>>,
    /// `generate`.
    pub generate: bool,
    /// Where it is written (for errors found when the whole set is known).
    pub at: crate::diagnostic::Diagnostic,
    /// Where each `group-by` field is written.
    pub group_by_at: Vec<crate::diagnostic::Diagnostic>,
    /// Where each alias (key `(alias, None)`) and each of its rule keys (`(alias, Some(rule))`)
    /// is written.
    pub aliases_at: BTreeMap<(String, Option<String>), crate::diagnostic::Diagnostic>,
    /// Per entry of `rules`, what it reads: filled when the rule set is linked.
    pub inputs: Vec<CorrInput>,
}

/// A correlation's condition.
#[derive(Debug, Clone, PartialEq)]
pub enum CorrCondition {
    /// Bounds on the value: `gt`/`gte` (`(n, inclusive)`), `lt`/`lte`, `eq`, `neq`; a range
    /// has a lower and an upper bound.
    Threshold {
        /// `gt` (false) or `gte` (true).
        lo: Option<(f64, bool)>,
        /// `lt` (false) or `lte` (true).
        hi: Option<(f64, bool)>,
        /// `eq`.
        eq: Option<f64>,
        /// `neq`.
        neq: Option<f64>,
    },
    /// An extended temporal condition (pySigma): a boolean expression over the inputs.
    Expr(CorrExpr),
}

/// An extended temporal condition: `Rule(i)` is true when the window holds a match of input `i`.
#[derive(Debug, Clone, PartialEq)]
pub enum CorrExpr {
    /// Input `i` (its position in `rules`) is present.
    Rule(usize),
    /// `not`
    Not(Box<CorrExpr>),
    /// `and`
    And(Vec<CorrExpr>),
    /// `or`
    Or(Vec<CorrExpr>),
}

/// What one referenced rule or correlation contributes to a correlation.
#[derive(Debug, Clone, PartialEq)]
pub enum CorrInput {
    /// A detection rule (index in the rule set's rules), read through these fields.
    Rule {
        /// Index in `RuleSet::rules`.
        index: usize,
        /// The group-by fields as this rule's events name them: (raw, ECS).
        group: Vec<(String, String)>,
        /// The `condition.field` fields: (raw, ECS).
        values: Vec<(String, String)>,
    },
    /// A correlation (index in `RuleSet::correlations`); `group[k]` is the position, in the
    /// inner group, of the outer group-by field `k`.
    Correlation {
        /// Index in `RuleSet::correlations` (after they are ordered inner first).
        index: usize,
        /// Positions in the inner correlation's group.
        group: Vec<usize>,
    },
}

/// One detection rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Source file relative to the rules directory, `/`-separated.
    pub source: String,
    /// 0-based document index inside the file.
    pub doc: usize,
    /// Metadata.
    pub meta: Meta,
    /// Search identifiers, in source order.
    pub selections: Vec<Selection>,
    /// The condition; `Expr::Sel(i)` indexes `selections`.
    pub condition: Expr,
    /// The condition as written (several conditions are joined with ` | `).
    pub condition_text: String,
    /// Field names in ECS documents, for fields an ECS pipeline renames (rule field → ECS).
    pub ecs_fields: BTreeMap<String, String>,
    /// Byte literals every matching line contains one of, per shape (`None`: no prefilter).
    pub prefilter: Prefilter,
    /// Needles every event the rule matches holds (`None`: nothing is required).
    pub gate: Option<crate::gate::Gate>,
}

/// A rule's byte prefilter for raw and ECS lines.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Prefilter {
    /// For raw events.
    pub raw: Option<Vec<String>>,
    /// For ECS documents.
    pub ecs: Option<Vec<String>>,
    /// Fields every event the rule can match reaches, as named in raw events.
    pub fields_raw: Vec<String>,
    /// The same, as named in ECS documents.
    pub fields_ecs: Vec<String>,
}

impl Rule {
    /// Every field the rule reads (tested fields and `fieldref` targets), sorted.
    pub fn fields(&self) -> BTreeSet<&str> {
        let mut out = BTreeSet::new();
        for clause in self
            .selections
            .iter()
            .flat_map(|s| s.alternatives.iter().flatten())
        {
            out.extend(clause.field.as_deref());
            if let Test::Match { groups, .. } = &clause.test {
                for p in groups.iter().flatten() {
                    if let Pattern::FieldRef { field, .. } = p {
                        out.insert(field.as_str());
                    }
                }
            }
        }
        out
    }
}

/// Sigma metadata, as written.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Meta {
    /// `title`.
    pub title: String,
    /// `id`.
    pub id: Option<String>,
    /// `name`.
    pub name: Option<String>,
    /// `status`.
    pub status: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `references`.
    pub references: Vec<String>,
    /// `author`.
    pub author: Option<String>,
    /// `date`.
    pub date: Option<String>,
    /// `modified`.
    pub modified: Option<String>,
    /// `tags`.
    pub tags: Vec<String>,
    /// `logsource`.
    pub logsource: LogSource,
    /// `level`.
    pub level: Option<Level>,
    /// `falsepositives`.
    pub falsepositives: Vec<String>,
    /// `fields`.
    pub fields: Vec<String>,
    /// `related`: (type, id).
    pub related: Vec<(String, String)>,
    /// Keys Sigma does not define, with their values as JSON text.
    pub custom: BTreeMap<String, String>,
}

/// Sigma `logsource`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogSource {
    /// `product`.
    pub product: Option<String>,
    /// `category`.
    pub category: Option<String>,
    /// `service`.
    pub service: Option<String>,
    /// `definition`.
    pub definition: Option<String>,
}

/// Sigma `level`.
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
    /// Every level with its spelling.
    pub const ALL: [(&'static str, Level); 5] = [
        ("informational", Level::Informational),
        ("low", Level::Low),
        ("medium", Level::Medium),
        ("high", Level::High),
        ("critical", Level::Critical),
    ];
}

/// One search identifier of `detection`.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// Its name.
    pub name: String,
    /// Its YAML as written in the rule file (for doc comments).
    pub yaml: String,
    /// Alternatives (OR), each a conjunction (AND) of clauses.
    pub alternatives: Vec<Vec<Clause>>,
}

/// One test on one field (or on every value of the event, for keywords).
#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    /// The field as written (dotted); `None` for keyword search.
    pub field: Option<String>,
    /// The test.
    pub test: Test,
}

/// What a clause checks.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// `|exists: true/false`: the field is present (any value, null included) or not.
    Exists(bool),
    /// Value patterns: every group must hold (AND), and a group holds when one of its
    /// patterns matches (OR). Without `|all` there is one group holding every value; with
    /// `|all` there is one group per value, holding that value's expansions (`windash`,
    /// `base64offset`, placeholders), which stay OR-ed. Different groups may be satisfied by
    /// different array elements.
    Match {
        /// The groups, never empty, each non-empty.
        groups: Vec<Vec<Pattern>>,
        /// `|neq`: the whole test is negated (so it holds when the field is missing).
        negate: bool,
    },
}

/// Whether string comparison folds case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Case {
    /// Sigma's default: needles are stored folded.
    Insensitive,
    /// `|cased`.
    Sensitive,
}

/// One value to compare a field with.
#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    /// A string pattern on the text form of strings, numbers and booleans.
    Str(StrPattern, Case),
    /// Any of these exact strings (made by the `one_of` pass), stored folded when insensitive.
    OneOf(BTreeSet<String>, Case),
    /// Starts with any of these (made by the same pass from `value*` alternatives), stored
    /// folded when insensitive.
    Prefixes(BTreeSet<String>, Case),
    /// A rule number: an equal JSON number or a string spelling `text`.
    Num {
        /// Value.
        value: f64,
        /// Canonical decimal text.
        text: String,
    },
    /// A rule boolean: the JSON boolean, or the string in any case.
    Bool(bool),
    /// `null` (or `[]`): no value but null is present.
    Null,
    /// `|re`: a regular expression searched in the text (already translated to the runtime
    /// engine's syntax, flags prefixed as `(?ims)`).
    Regex(String),
    /// `|cidr`: the text is an IP address inside this network.
    Cidr(Cidr),
    /// `|gt` / `|gte` / `|lt` / `|lte`: a JSON number or numeric string compared with `value`.
    Compare {
        /// The operator.
        op: CompareOp,
        /// The rule's number.
        value: f64,
    },
    /// `|fieldref`: compared (case-insensitively) with any value of another field.
    FieldRef {
        /// The other field.
        field: String,
        /// How the two values must relate.
        mode: RefMode,
    },
    /// `|minute` ... `|year`: that part of an ISO-8601 timestamp equals `value`.
    TimePart {
        /// Which part.
        part: TimePart,
        /// The rule's number.
        value: i64,
    },
}

/// An IP network for `|cidr`, host bits clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cidr {
    /// IPv4 network address and prefix length.
    V4(u32, u8),
    /// IPv6 network address and prefix length.
    V6(u128, u8),
}

/// Numeric comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CompareOp {
    /// `>`
    Gt,
    /// `>=`
    Gte,
    /// `<`
    Lt,
    /// `<=`
    Lte,
}

/// How a `|fieldref` value relates to the other field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RefMode {
    /// Equal.
    Eq,
    /// Starts with the other value (`|fieldref|startswith`).
    Prefix,
    /// Ends with it.
    Suffix,
    /// Contains it.
    Contains,
}

/// A calendar part of a timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TimePart {
    /// 0–59
    Minute,
    /// 0–23
    Hour,
    /// 1–31
    Day,
    /// ISO week, 1–53
    Week,
    /// 1–12
    Month,
    /// The year.
    Year,
}

/// The shape of a string pattern after wildcards and modifiers; needles are folded when the
/// pattern is case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum StrPattern {
    /// The whole value.
    Exact(String),
    /// `value*`.
    Prefix(String),
    /// `*value`.
    Suffix(String),
    /// `*value*`.
    Contains(String),
    /// A lone `*`: any string, number or boolean (not null, not an object).
    Any,
    /// Anything else with wildcards.
    Glob(Vec<GlobPart>),
}

/// A piece of a wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum GlobPart {
    /// Literal text.
    Lit(String),
    /// `?`: exactly one char.
    AnyChar,
    /// `*`: any run of chars.
    AnyRun,
}

/// A condition over selections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// All of these.
    And(Vec<Expr>),
    /// One of these.
    Or(Vec<Expr>),
    /// Not this.
    Not(Box<Expr>),
    /// Selection by index.
    Sel(usize),
}

impl fmt::Display for RuleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for rule in &self.rules {
            write!(f, "{rule}")?;
        }
        Ok(())
    }
}

/// A stable text dump for snapshots.
impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "rule {:?} ({}#{})",
            self.meta.title, self.source, self.doc
        )?;
        writeln!(
            f,
            "  condition: {}",
            DisplayExpr(&self.condition, &self.selections)
        )?;
        for sel in &self.selections {
            writeln!(f, "  selection {}:", sel.name)?;
            for (i, alt) in sel.alternatives.iter().enumerate() {
                writeln!(f, "    alternative {i}:")?;
                for clause in alt {
                    let field = clause.field.as_deref().unwrap_or("<keywords>");
                    match &clause.test {
                        Test::Exists(b) => writeln!(f, "      {field}: exists={b}")?,
                        Test::Match { groups, negate } => {
                            let not = if *negate { "not " } else { "" };
                            writeln!(f, "      {field}: {not}all of {} group(s)", groups.len())?;
                            for (g, group) in groups.iter().enumerate() {
                                for p in group {
                                    writeln!(f, "        {g}: {p:?}")?;
                                }
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

struct DisplayExpr<'a>(&'a Expr, &'a [Selection]);

impl fmt::Display for DisplayExpr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |f: &mut fmt::Formatter<'_>, items: &[Expr], op: &str| -> fmt::Result {
            write!(f, "(")?;
            for (i, e) in items.iter().enumerate() {
                if i > 0 {
                    write!(f, " {op} ")?;
                }
                write!(f, "{}", DisplayExpr(e, self.1))?;
            }
            write!(f, ")")
        };
        match self.0 {
            Expr::And(items) => join(f, items, "and"),
            Expr::Or(items) => join(f, items, "or"),
            Expr::Not(e) => write!(f, "not {}", DisplayExpr(e, self.1)),
            Expr::Sel(i) => write!(f, "{}", self.1.get(*i).map_or("?", |s| s.name.as_str())),
        }
    }
}
