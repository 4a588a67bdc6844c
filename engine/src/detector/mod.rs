//! Runs a rule set over decoded events: log-source routing, the required-field check, stage
//! de-duplication and alert writing, counted in [`Counts`]. Shared by `detect scan` and
//! `detect serve` (it is `Sync`: the server evaluates batches on several threads at once).

mod counts;
mod dedupe;
mod route;

pub use counts::{Counts, RuleCounts};
pub use dedupe::{Dedupe, DedupeKey};
pub use route::{applies, parse_logsource, LogSourceError};

use crate::alert::{self, AlertFormat, Location};
use crate::input::{Decoded, Decoder, InputError, Item, Source, AUDIT_LOGSOURCE};
use sigma_runtime::{LogSource, RuleSet, Shape};
use std::sync::Mutex;

/// What a detector does besides matching.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// The alert document format.
    pub alert_format: AlertFormat,
    /// With `Some(n)`, drop an alert when the same rule already alerted on the same `auditID`
    /// among the last `n` alerts remembered (later stages of one request).
    pub dedupe_window: Option<usize>,
    /// The log source of `json` input.
    pub json_logsource: LogSource,
    /// Parse every event fully into a JSON tree instead of decoding only the fields the rules
    /// read: the slow reference path the fast one is checked against.
    pub full_parse: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            alert_format: AlertFormat::Default,
            dedupe_window: None,
            json_logsource: LogSource {
                product: "",
                category: "",
                service: "",
            },
            full_parse: false,
        }
    }
}

/// What evaluating some input produced, to be written in input order: alerts, counts,
/// warnings about bad lines and items, and the de-duplication pairs remembered for the alerts
/// (so that a caller who fails to deliver them can [`forget`](Detector::forget) them).
#[derive(Debug, Default)]
pub struct Batch {
    /// Alert lines.
    pub alerts: Vec<u8>,
    /// What was counted.
    pub counts: Counts,
    /// One message per bad line or item, `detect: FILE:LINE[:ITEM]: ...`.
    pub warnings: Vec<String>,
    /// The de-duplication pairs remembered for these alerts.
    pub keys: Vec<DedupeKey>,
}

/// A rule set, routed by log source, with what running it needs.
#[derive(Debug)]
pub struct Detector {
    set: &'static RuleSet,
    options: Options,
    decoder: Decoder,
    audit_rules: Vec<usize>,
    other_rules: Vec<usize>,
    dedupe: Option<Mutex<Dedupe>>,
    /// Each rule's part of a default alert, written once.
    rule_json: Vec<String>,
    /// Per rule, the fields every event it matches reaches, as masks over the decoder's
    /// field tables: raw, then ECS.
    needs: Vec<[Vec<(usize, u64)>; 2]>,
}

impl Detector {
    /// A detector over the rule set `set`.
    pub fn new(set: &'static RuleSet, options: Options) -> Detector {
        let rules = set.rules;
        let route = |ls: &LogSource| -> Vec<usize> {
            (0..rules.len())
                .filter(|&i| applies(&rules[i].info.logsource, ls))
                .collect()
        };
        Detector {
            set,
            options,
            decoder: Decoder::new(set, options.full_parse),
            audit_rules: route(&AUDIT_LOGSOURCE),
            other_rules: route(&options.json_logsource),
            dedupe: options.dedupe_window.map(|n| Mutex::new(Dedupe::new(n))),
            rule_json: rules.iter().map(|r| alert::rule_json(r.info)).collect(),
            needs: rules
                .iter()
                .map(|r| {
                    [
                        set.fields(Shape::Raw).mask(r.prefilter.fields_raw),
                        set.fields(Shape::Ecs).mask(r.prefilter.fields_ecs),
                    ]
                })
                .collect(),
        }
    }

    /// The rule set.
    pub fn rule_set(&self) -> &'static RuleSet {
        self.set
    }

    /// The options it was built with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// How events are decoded for this detector.
    pub fn decoder(&self) -> &Decoder {
        &self.decoder
    }

    /// How many rules run on events of `source`.
    pub fn routed(&self, source: Source) -> usize {
        self.route(source).len()
    }

    /// The rules that run on events of `source`.
    pub fn route(&self, source: Source) -> &[usize] {
        match source {
            Source::Audit => &self.audit_rules,
            Source::Other => &self.other_rules,
        }
    }

    /// Evaluates the items of one line or body (`file`, `line` say where it came from):
    /// each event through [`event`](Detector::event), each bad item counted and reported.
    pub fn items(
        &self,
        items: Vec<Item<'_>>,
        file: &str,
        line: u64,
        candidates: Option<&[u64]>,
        batch: &mut Batch,
    ) {
        for item in items {
            match item.result {
                Ok(decoded) => {
                    let at = Location {
                        file,
                        line,
                        item: item.item,
                    };
                    self.event(&decoded, &at, candidates, batch);
                }
                Err(e) => match item.item {
                    Some(i) => {
                        batch.counts.bad_items += 1;
                        batch
                            .warnings
                            .push(format!("detect: {file}:{line}:{i}: bad item: {e}"));
                    }
                    None => self.bad_line(file, line, &e, batch),
                },
            }
        }
    }

    /// Counts and reports a line that is not an event nor a container of events.
    pub fn bad_line(&self, file: &str, line: u64, error: &InputError, batch: &mut Batch) {
        batch.counts.bad_lines += 1;
        batch
            .warnings
            .push(format!("detect: {file}:{line}: bad line: {error}"));
    }

    /// Runs the rules of the event's log source over it (only those set in `candidates`, bit
    /// i = rule i, when given: the rules whose prefilter the line passed) and appends one
    /// alert per match to the batch, in rule order.
    pub fn event(
        &self,
        decoded: &Decoded<'_>,
        at: &Location<'_>,
        candidates: Option<&[u64]>,
        batch: &mut Batch,
    ) {
        let counts = &mut batch.counts;
        counts.events += 1;
        if counts.rules.len() < self.set.rules.len() {
            counts
                .rules
                .resize(self.set.rules.len(), RuleCounts::default());
        }
        // The auditID is looked up (parsing the document if the event was decoded
        // selectively) only when a rule matched and stages are de-duplicated.
        let mut doc: Option<std::borrow::Cow<'_, serde_json::Value>> = None;
        // The event's field table, and which of each rule's masks applies to it.
        let shape = decoded.event.shape();
        let table = self.set.fields(shape);
        let k = match shape {
            Shape::Raw => 0,
            Shape::Ecs => 1,
        };
        for &i in self.route(decoded.source) {
            if candidates.is_some_and(|c| c[i / 64] & (1 << (i % 64)) == 0) {
                continue;
            }
            let rule = &self.set.rules[i];
            // A decoded event without a field the rule needs skips it unevaluated.
            if !decoded.event.reaches(table, &self.needs[i][k]) {
                continue;
            }
            counts.rules[i].evaluated += 1;
            if !(rule.matches)(&decoded.event) {
                continue;
            }
            if let Some(dedupe) = &self.dedupe {
                let d =
                    doc.get_or_insert_with(|| alert::document(&decoded.event, &decoded.original));
                if let Some(id) = alert::audit_id(d, shape) {
                    let key: DedupeKey = (id.into(), i);
                    let first = dedupe
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .first_time(&key);
                    if !first {
                        counts.rules[i].duplicates += 1;
                        counts.duplicates += 1;
                        continue;
                    }
                    batch.keys.push(key);
                }
            }
            // Writing into a Vec cannot fail.
            let _ = alert::write_alert_with(
                &mut batch.alerts,
                self.options.alert_format,
                rule.info,
                &self.rule_json[i],
                at,
                &decoded.event,
                &decoded.original,
            );
            counts.rules[i].alerts += 1;
            counts.alerts += 1;
        }
    }

    /// Forgets de-duplication pairs whose alerts were not delivered.
    pub fn forget(&self, keys: &[DedupeKey]) {
        if let Some(dedupe) = &self.dedupe {
            let mut d = dedupe.lock().unwrap_or_else(|p| p.into_inner());
            for key in keys {
                d.forget(key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use crate::input::Format;

    #[test]
    fn json_input_runs_only_the_rules_of_its_logsource() {
        let det = Detector::new(&fixtures::RULES, Options::default());
        assert!(det.routed(Source::Audit) >= 2);
        let json_only = Detector::new(
            &fixtures::RULES,
            Options {
                json_logsource: parse_logsource("product=windows,category=process_creation")
                    .unwrap(),
                ..Options::default()
            },
        );
        // Holds every field of every fixture rule, so only routing decides what runs.
        let line = br#"{"auditID":"x","verb":"list","Image":"C:\\cmd.exe","objectRef":{"resource":"secrets"},"impersonatedUser":{"username":"system:admin"}}"#;
        let items = json_only.decoder().line(line, Format::Json).unwrap();
        let mut batch = Batch::default();
        json_only.items(items, "f", 1, None, &mut batch);
        let mut ran = 0;
        for (i, rule) in fixtures::RULES.rules.iter().enumerate() {
            let expect = applies(&rule.info.logsource, &json_only.options.json_logsource);
            assert_eq!(
                batch.counts.rules[i].evaluated,
                u64::from(expect),
                "{}",
                rule.info.id
            );
            ran += u64::from(expect);
        }
        assert_eq!(
            ran, 1,
            "only the windows fixture rule routes to windows process creation"
        );
        assert_eq!(batch.counts.alerts, 1);
    }

    #[test]
    fn bad_items_and_lines_are_counted_and_reported() {
        let det = Detector::new(&fixtures::RULES, Options::default());
        let mut batch = Batch::default();
        let line = br#"{"kind":"EventList","items":[{"verb":"get"},3]}"#;
        let items = det.decoder().line(line, Format::Auto).unwrap();
        det.items(items, "f", 7, None, &mut batch);
        let bad = det.decoder().line(b"[]", Format::Auto).unwrap_err();
        det.bad_line("f", 8, &bad, &mut batch);
        assert_eq!(batch.counts.events, 1);
        assert_eq!(batch.counts.bad_items, 1);
        assert_eq!(batch.counts.bad_lines, 1);
        assert_eq!(
            batch.warnings,
            [
                "detect: f:7:2: bad item: expected a JSON object, found a number",
                "detect: f:8: bad line: expected a JSON object, found an array",
            ]
        );
    }

    #[test]
    fn a_missing_required_field_skips_the_rule() {
        let det = Detector::new(&fixtures::RULES, Options::default());
        let mut batch = Batch::default();
        // The no-literal rule needs verb and objectRef.resource: this event lacks the latter.
        for line in [
            &br#"{"verb":"get"}"#[..],
            br#"{"verb":"get","objectRef":{"resource":"Secrets"}}"#,
        ] {
            let items = det.decoder().line(line, Format::Raw).unwrap();
            det.items(items, "f", 1, None, &mut batch);
        }
        let i = fixtures::RULES
            .rules
            .iter()
            .position(|r| r.info.id == fixtures::READ_SECRETS_ID)
            .unwrap();
        assert_eq!(batch.counts.rules[i].evaluated, 1);
        assert_eq!(batch.counts.rules[i].alerts, 1);
    }
}
