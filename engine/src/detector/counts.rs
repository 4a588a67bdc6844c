//! [`Counts`]: the one record of what a run counted. Workers count into their own (a block of
//! lines, a webhook batch) and the owner adds them up; `--stats`, the summary lines and the
//! webhook's answers are all made from it.

use sigma_runtime::RuleSet;
use std::fmt::Write as _;

/// What one rule did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RuleCounts {
    /// Events the rule ran on: its log source matched, the byte prefilter let the line
    /// through, and the event reached every field the rule needs.
    pub evaluated: u64,
    /// Alerts written.
    pub alerts: u64,
    /// Matches dropped as later stages of a request already alerted on.
    pub duplicates: u64,
    /// Matches whose alert was withheld: a correlation without `generate: true` reads the
    /// rule (the match fed it).
    pub withheld: u64,
}

/// What a run (or one part of it) counted.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    /// Physical lines read (`scan`), blank ones included.
    pub lines: u64,
    /// Lines the byte prefilter ruled out without parsing them (`scan`).
    pub skipped: u64,
    /// Lines that are not an event nor a container of events.
    pub bad_lines: u64,
    /// Items of a container (EventList, AKS records, webhook body) that are not events.
    pub bad_items: u64,
    /// Events evaluated.
    pub events: u64,
    /// Alerts written.
    pub alerts: u64,
    /// Matches dropped by the stage de-duplication.
    pub duplicates: u64,
    /// Matches whose alert was withheld (see [`RuleCounts::withheld`]).
    pub withheld: u64,
    /// Correlation alerts written (also counted in `alerts`).
    pub correlation_alerts: u64,
    /// Webhook requests received (`serve`).
    pub requests: u64,
    /// Webhook batches accepted (`serve`).
    pub batches: u64,
    /// Webhook requests refused (`serve`: 4xx, 5xx).
    pub rejected: u64,
    /// Per rule, in rule order; empty until a rule is counted.
    pub rules: Vec<RuleCounts>,
}

impl Counts {
    /// Adds `other` to these counts.
    pub fn add(&mut self, other: &Counts) {
        self.lines += other.lines;
        self.skipped += other.skipped;
        self.bad_lines += other.bad_lines;
        self.bad_items += other.bad_items;
        self.events += other.events;
        self.alerts += other.alerts;
        self.duplicates += other.duplicates;
        self.withheld += other.withheld;
        self.correlation_alerts += other.correlation_alerts;
        self.requests += other.requests;
        self.batches += other.batches;
        self.rejected += other.rejected;
        if self.rules.len() < other.rules.len() {
            self.rules.resize(other.rules.len(), RuleCounts::default());
        }
        for (mine, theirs) in self.rules.iter_mut().zip(&other.rules) {
            mine.evaluated += theirs.evaluated;
            mine.alerts += theirs.alerts;
            mine.duplicates += theirs.duplicates;
            mine.withheld += theirs.withheld;
        }
    }

    /// `detect scan`'s summary line: `detect: L lines read, E events evaluated, A alerts,
    /// B bad lines`, then the bad items, duplicates and skipped lines when there are any.
    pub fn scan_summary(&self) -> String {
        let mut s = format!(
            "detect: {} lines read, {} events evaluated, {} alerts{}, {} bad lines",
            self.lines,
            self.events,
            self.alerts,
            self.correlation_note(),
            self.bad_lines
        );
        if self.bad_items > 0 {
            let _ = write!(s, ", {} bad items", self.bad_items);
        }
        if self.duplicates > 0 {
            let _ = write!(s, ", {} duplicates dropped", self.duplicates);
        }
        if self.skipped > 0 {
            let _ = write!(s, ", {} lines skipped by the prefilter", self.skipped);
        }
        s
    }

    /// ` (N from correlations)` when correlations alerted.
    fn correlation_note(&self) -> String {
        if self.correlation_alerts > 0 {
            format!(" ({} from correlations)", self.correlation_alerts)
        } else {
            String::new()
        }
    }

    /// `detect serve`'s summary line, written at shutdown.
    pub fn serve_summary(&self) -> String {
        format!(
            "detect: {} requests, {} batches accepted, {} events evaluated, {} alerts{}, {} bad items, {} duplicates dropped, {} rejected",
            self.requests,
            self.batches,
            self.events,
            self.alerts,
            self.correlation_note(),
            self.bad_items,
            self.duplicates,
            self.rejected
        )
    }

    /// The webhook's answer to an accepted batch (request number `request`):
    /// `{"request":N,"events":E,"alerts":A,"bad_items":B}`.
    pub fn batch_answer(&self, request: u64) -> String {
        format!(
            "{{\"request\":{request},\"events\":{},\"alerts\":{},\"bad_items\":{}}}",
            self.events, self.alerts, self.bad_items
        )
    }

    /// The per-rule table of `--stats`: rule id, events evaluated, alerts, duplicates
    /// dropped, title; one row per rule of `set`.
    pub fn stats_table(&self, set: &RuleSet) -> String {
        let mut rows = vec![[
            "rule id".to_owned(),
            "evaluated".to_owned(),
            "alerts".to_owned(),
            "duplicates".to_owned(),
            "title".to_owned(),
        ]];
        for (i, rule) in set.rules.iter().enumerate() {
            let c = self.rules.get(i).copied().unwrap_or_default();
            rows.push([
                rule.info.id.to_owned(),
                c.evaluated.to_string(),
                c.alerts.to_string(),
                c.duplicates.to_string(),
                rule.info.title.to_owned(),
            ]);
        }
        let widths: Vec<usize> = (0..4)
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        for row in &rows {
            let _ = write!(out, "{:<w$}", row[0], w = widths[0]);
            for c in 1..4 {
                let _ = write!(out, "  {:>w$}", row[c], w = widths[c]);
            }
            out.push_str("  ");
            out.push_str(&row[4]);
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adding_counts_adds_every_field_and_rule() {
        let rule = |evaluated, alerts| RuleCounts {
            evaluated,
            alerts,
            duplicates: 0,
            withheld: 0,
        };
        let mut a = Counts {
            lines: 1,
            events: 2,
            rules: vec![rule(0, 0), rule(3, 0)],
            ..Counts::default()
        };
        let b = Counts {
            lines: 10,
            alerts: 4,
            rejected: 1,
            rules: vec![rule(0, 0), rule(7, 0), rule(0, 5)],
            ..Counts::default()
        };
        a.add(&b);
        assert_eq!((a.lines, a.events, a.alerts, a.rejected), (11, 2, 4, 1));
        assert_eq!(a.rules.len(), 3);
        assert_eq!(a.rules[1].evaluated, 10);
        assert_eq!(a.rules[2].alerts, 5);
        assert_eq!(a.rules[0], RuleCounts::default());
    }

    #[test]
    fn scan_summary_names_only_what_happened() {
        let mut c = Counts {
            lines: 3,
            events: 2,
            alerts: 1,
            ..Counts::default()
        };
        assert_eq!(
            c.scan_summary(),
            "detect: 3 lines read, 2 events evaluated, 1 alerts, 0 bad lines"
        );
        c.bad_items = 1;
        c.skipped = 4;
        assert_eq!(
            c.scan_summary(),
            "detect: 3 lines read, 2 events evaluated, 1 alerts, 0 bad lines, 1 bad items, 4 lines skipped by the prefilter"
        );
        assert_eq!(
            c.batch_answer(9),
            r#"{"request":9,"events":2,"alerts":1,"bad_items":1}"#
        );
    }
}
