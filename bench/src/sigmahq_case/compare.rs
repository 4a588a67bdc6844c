//! The (event, rule) pairs of `detect` and rsigma compared: how many both found, how many
//! only one did, and per rule where they disagree, its counts, an example line, the sources
//! of the events concerned, and a guess at the reason from what the rule uses.

use super::{Pair, RuleTable};
use crate::number::fmt_int;
use sigma_bench::sigmahq::{Rule, SOURCES};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// How many rows the printed report lists (the file beside the stream lists them all).
const SHOWN: usize = 30;

struct Row<'a> {
    id: String,
    rule: Option<&'a Rule>,
    both: u64,
    only_detect: Vec<u64>,
    only_rsigma: Vec<u64>,
    /// Source name → disagreeing events of that source.
    sources: BTreeMap<&'static str, u64>,
    reason: String,
}

pub(crate) struct Report<'a> {
    both: u64,
    only_detect: u64,
    only_rsigma: u64,
    detect_rules: usize,
    rsigma_rules: usize,
    rows: Vec<Row<'a>>,
}

impl<'a> Report<'a> {
    pub(crate) fn new(
        ours: &[Pair],
        theirs: &[Pair],
        table: &RuleTable,
        rules: &'a [Rule],
        rejected: &[(String, String)],
        sources: &[u8],
    ) -> Self {
        let ours: BTreeSet<(u64, &str)> = ours.iter().map(|(l, id)| (*l, id.as_str())).collect();
        let theirs: BTreeSet<(u64, &str)> =
            theirs.iter().map(|(l, id)| (*l, id.as_str())).collect();
        let by_id: BTreeMap<&str, &Rule> = rules.iter().map(|r| (r.id.as_str(), r)).collect();
        let rejected: BTreeMap<&str, &str> = rejected
            .iter()
            .map(|(f, e)| (f.as_str(), e.as_str()))
            .collect();
        let mut per_rule: BTreeMap<&str, (u64, Vec<u64>, Vec<u64>)> = BTreeMap::new();
        for p in ours.union(&theirs) {
            let e = per_rule.entry(p.1).or_default();
            match (ours.contains(p), theirs.contains(p)) {
                (true, true) => e.0 += 1,
                (true, false) => e.1.push(p.0),
                _ => e.2.push(p.0),
            }
        }
        let mut report = Report {
            both: 0,
            only_detect: 0,
            only_rsigma: 0,
            detect_rules: ours.iter().map(|p| p.1).collect::<BTreeSet<_>>().len(),
            rsigma_rules: theirs.iter().map(|p| p.1).collect::<BTreeSet<_>>().len(),
            rows: Vec::new(),
        };
        for (id, (both, only_d, only_r)) in per_rule {
            report.both += both;
            report.only_detect += only_d.len() as u64;
            report.only_rsigma += only_r.len() as u64;
            if only_d.is_empty() && only_r.is_empty() {
                continue;
            }
            let rule = by_id.get(id).copied();
            let mut srcs = BTreeMap::new();
            for l in only_d.iter().chain(&only_r) {
                if let Some(&s) = sources.get(*l as usize - 1) {
                    *srcs.entry(SOURCES[usize::from(s)].name).or_insert(0) += 1;
                }
            }
            let reason = reason(
                rule,
                rule.and_then(|r| rejected.get(r.path.as_str()).copied()),
                table.contains_key(id),
                !only_d.is_empty(),
                !only_r.is_empty(),
            );
            report.rows.push(Row {
                id: id.to_owned(),
                rule,
                both,
                only_detect: only_d,
                only_rsigma: only_r,
                sources: srcs,
                reason,
            });
        }
        report
            .rows
            .sort_by_key(|r| std::cmp::Reverse(r.only_detect.len() + r.only_rsigma.len()));
        report
    }

    /// The notes printed under the case's table.
    pub(crate) fn notes(&self, tsv: &Path) -> Vec<String> {
        let mut notes = vec![format!(
            "(event, rule) pairs: {} found by both; {} only by detect; {} only by rsigma-eval. Rules that matched: detect {}, rsigma-eval {}; rules on which they disagree: {}",
            fmt_int(self.both),
            fmt_int(self.only_detect),
            fmt_int(self.only_rsigma),
            fmt_int(self.detect_rules as u64),
            fmt_int(self.rsigma_rules as u64),
            fmt_int(self.rows.len() as u64),
        )];
        if self.rows.is_empty() {
            return notes;
        }
        let mut table = format!(
            "rules where they disagree, most pairs first ({} of {}; all of them in {}):\n    {:>7} {:>7} {:>7}  rule",
            self.rows.len().min(SHOWN),
            self.rows.len(),
            tsv.display(),
            "detect",
            "rsigma",
            "both"
        );
        for r in self.rows.iter().take(SHOWN) {
            let example = r
                .only_detect
                .first()
                .or(r.only_rsigma.first())
                .copied()
                .unwrap_or_default();
            table.push_str(&format!(
                "\n    {:>7} {:>7} {:>7}  {}\n    {:>23}  e.g. line {example}; events: {}; {}",
                fmt_int(r.only_detect.len() as u64),
                fmt_int(r.only_rsigma.len() as u64),
                fmt_int(r.both),
                r.rule
                    .map_or(r.id.clone(), |x| format!("{} ({})", x.title, x.path)),
                "",
                sources_text(&r.sources),
                r.reason
            ));
        }
        notes.push(table);
        notes
    }

    /// Every disagreeing rule, tab-separated, with every disagreeing line.
    pub(crate) fn tsv(&self) -> String {
        let mut out = String::from(
            "rule_id\tpath\ttitle\tonly_detect\tonly_rsigma\tboth\tsources\treason\tonly_detect_lines\tonly_rsigma_lines\n",
        );
        let lines = |v: &[u64]| v.iter().map(u64::to_string).collect::<Vec<_>>().join(",");
        for r in &self.rows {
            out.push_str(&format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                r.id,
                r.rule.map_or("", |x| x.path.as_str()),
                r.rule.map_or("", |x| x.title.as_str()),
                r.only_detect.len(),
                r.only_rsigma.len(),
                r.both,
                sources_text(&r.sources),
                r.reason,
                lines(&r.only_detect),
                lines(&r.only_rsigma)
            ));
        }
        out
    }
}

fn sources_text(s: &BTreeMap<&'static str, u64>) -> String {
    s.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A guess at why the engines disagree on a rule, from what it uses.
fn reason(
    rule: Option<&Rule>,
    rejected: Option<&str>,
    in_detect: bool,
    detect_only: bool,
    rsigma_only: bool,
) -> String {
    if let Some(e) = rejected {
        return format!("rsigma-eval rejected the rule: {e}");
    }
    if !in_detect {
        return "not in detect's --stats table: not compiled into detect".into();
    }
    let Some(rule) = rule else {
        return "a rule id the generator did not read".into();
    };
    let who = match (detect_only, rsigma_only) {
        (true, false) => "only detect matches",
        (false, true) => "only rsigma-eval matches",
        _ => "each matches events the other does not",
    };
    let hints: Vec<&str> = rule
        .features
        .iter()
        .filter_map(|f| {
            Some(match *f {
                "re" => "a regular expression (dialects and flags differ)",
                "windash" => "windash (which dash variants)",
                "keywords" => "keywords (which fields a field-less search reads)",
                "expand" => "placeholders",
                "cidr" => "cidr",
                "base64" => "base64/base64offset",
                "utf16" => "utf16/wide",
                "null" => "null (missing field vs null)",
                "nested field" => "a dotted field name (flat key or nested object)",
                "inner wildcard" => "a wildcard inside a value",
                "wildcard in endswith" => "a wildcard inside an |endswith value",
                "wildcard in startswith" => "a wildcard inside a |startswith value",
                "expand with contains/startswith/endswith" => {
                    "|expand with |contains, |startswith or |endswith"
                }
                "number" => "a number other than EventID (number vs string comparison)",
                "empty value" => "an empty string",
                "fieldref" => "fieldref",
                "exists" => "exists",
                "compare" => "gt/lt comparisons",
                "cased" => "cased",
                _ => return None,
            })
        })
        .collect();
    if hints.is_empty() {
        format!("{who}; plain literals only: see the example line")
    } else {
        format!("{who}; the rule uses {}", hints.join(", "))
    }
}
