//! Runs a rule set over decoded events: log-source routing, the required-field check, stage
//! de-duplication and alert writing, counted in [`Counts`]. Shared by `detect scan` and
//! `detect serve` (it is `Sync`: the server evaluates batches on several threads at once).

mod counts;
mod dedupe;
mod recognise;
mod route;
mod source;

pub use counts::{Counts, RuleCounts};
pub use dedupe::{Dedupe, DedupeKey};
pub use route::{
    applies, parse_logsource, parse_logsource_fields, EventSource, JsonRouting, LogSourceError,
    LogSourceFields, Router,
};

use crate::alert::{self, AlertFormat, Location};
use crate::correlate::{Feeds, Hit, Settings};
use crate::gates::{Gates, Gating, Scratch};
use crate::input::{Decoded, Decoder, InputError, Item, Source, AUDIT_LOGSOURCE};
use sigma_runtime::correlation::CorrelationSet;
use sigma_runtime::{FieldTable, LogSource, RuleSet, Shape};
use std::cell::RefCell;
use std::sync::{Arc, Mutex};

/// What a detector does besides matching.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// The alert document format.
    pub alert_format: AlertFormat,
    /// With `Some(n)`, drop an alert when the same rule already alerted on the same `auditID`
    /// among the last `n` alerts remembered (later stages of one request).
    pub dedupe_window: Option<usize>,
    /// How the log source of `json` input is found.
    pub json_routing: JsonRouting,
    /// Parse every event fully into a JSON tree instead of decoding only the fields the rules
    /// read, and evaluate every routed rule on every event: the slow reference path the fast
    /// one is checked against.
    pub full_parse: bool,
    /// Whether only the rules whose gates an event's fields hold are evaluated
    /// ([`crate::gates`]); off, every routed rule runs on every event. Off with `full_parse`.
    pub gates: Gating,
    /// How correlation rules are run (event time, bounds).
    pub correlation: Settings,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            alert_format: AlertFormat::Default,
            dedupe_window: None,
            json_routing: JsonRouting::Fixed(LogSource {
                product: "",
                category: "",
                service: "",
            }),
            full_parse: false,
            gates: Gating::Auto,
            correlation: Settings::default(),
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
    /// Matches of rules that correlations read, in input order, for the
    /// [`Correlator`](crate::correlate::Correlator).
    pub hits: Vec<Hit>,
}

/// A rule set, routed by log source, with what running it needs.
#[derive(Debug)]
pub struct Detector {
    set: &'static RuleSet,
    options: Options,
    decoder: Decoder,
    /// The decoder's field tables, raw then ECS: the rule set's, with the fields per-event
    /// routing reads added when it reads any.
    tables: [&'static FieldTable; 2],
    /// The rules of audit events, with their gates.
    audit_rules: Gates,
    /// The rules `json` events may run, with their gates: those of the fixed log source, or
    /// every rule when each event is routed on its own.
    other_rules: Gates,
    router: Option<Router>,
    dedupe: Option<Mutex<Dedupe>>,
    /// Each rule's part of a default alert, written once.
    rule_json: Vec<String>,
    /// Per rule, the fields every event it matches reaches, as masks over the decoder's
    /// field tables: raw, then ECS.
    needs: Vec<[Vec<(usize, u64)>; 2]>,
    /// Which rules feed which correlations, and whose own alerts are withheld.
    feeds: Feeds,
}

/// No correlation rule.
static NO_CORRELATIONS: CorrelationSet = CorrelationSet::EMPTY;

impl Detector {
    /// A detector over the rule set `set` (without correlation rules).
    pub fn new(set: &'static RuleSet, options: Options) -> Detector {
        Detector::with_correlations(set, &NO_CORRELATIONS, options)
    }

    /// A detector over the rule set `set` whose matches also feed `correlations` (through
    /// [`Batch::hits`]).
    pub fn with_correlations(
        set: &'static RuleSet,
        correlations: &'static CorrelationSet,
        options: Options,
    ) -> Detector {
        let rules = set.rules;
        let feeds = Feeds::new(set, correlations, &options.correlation);
        let [corr_raw, corr_ecs] = feeds.fields();
        let gated = if options.full_parse {
            Gating::Off
        } else {
            options.gates
        };
        let gates = |list: Vec<usize>| Gates::build(set, list, gated);
        let route = |ls: &LogSource| -> Vec<usize> {
            (0..rules.len())
                .filter(|&i| applies(&rules[i].info.logsource, ls))
                .collect()
        };
        let router = Router::new(set, options.json_routing, gated);
        let other_rules = match (&router, options.json_routing) {
            (None, JsonRouting::Fixed(ls)) => gates(route(&ls)),
            // Each event is routed on its own: this list is only counted.
            _ => Gates::ungated((0..rules.len()).collect()),
        };
        let raw = match &router {
            Some(r) => with_fields(set.fields(Shape::Raw), &r.fields()),
            None => set.fields(Shape::Raw),
        };
        // Correlations read their group-by, field and time fields too.
        let tables = [
            with_fields(raw, &corr_raw),
            with_fields(set.fields(Shape::Ecs), &corr_ecs),
        ];
        Detector {
            set,
            options,
            decoder: Decoder::with_tables(tables[0], tables[1], options.full_parse),
            tables,
            audit_rules: gates(route(&AUDIT_LOGSOURCE)),
            other_rules,
            router,
            dedupe: options.dedupe_window.map(|n| Mutex::new(Dedupe::new(n))),
            rule_json: rules.iter().map(|r| alert::rule_json(r.info)).collect(),
            needs: rules
                .iter()
                .map(|r| {
                    [
                        tables[0].mask(r.prefilter.fields_raw),
                        tables[1].mask(r.prefilter.fields_ecs),
                    ]
                })
                .collect(),
            feeds,
        }
    }

    /// How events are decoded for this detector.
    pub fn decoder(&self) -> &Decoder {
        &self.decoder
    }

    /// How many rules run on events of `source`.
    pub fn routed(&self, source: Source) -> usize {
        self.route(source).len()
    }

    /// The rules that may run on events of `source` (for `json` events routed one by one,
    /// every rule: each event runs those of its own log source).
    pub fn route(&self, source: Source) -> &[usize] {
        self.gates(source).rules()
    }

    fn gates(&self, source: Source) -> &Gates {
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
        // The event's time and input name, for correlations: found once, when a rule that a
        // correlation reads matched.
        let mut time = None;
        let mut file = None;
        // The event's field table, and which of each rule's masks applies to it.
        let shape = decoded.event.shape();
        let k = match shape {
            Shape::Raw => 0,
            Shape::Ecs => 1,
        };
        let table = self.tables[k];
        let per_event: Arc<Gates>;
        let gates = match (&self.router, decoded.source) {
            (Some(router), Source::Other) => {
                per_event = router.rules_for(&decoded.event);
                &*per_event
            }
            (_, source) => self.gates(source),
        };
        SCRATCH.with_borrow_mut(|(scratch, picked)| {
            gates.candidates(&decoded.event, &decoded.original, scratch, picked);
            for &p in picked.iter() {
                let i = gates.rules()[p as usize];
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
                    let d = doc
                        .get_or_insert_with(|| alert::document(&decoded.event, &decoded.original));
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
                if self.feeds.feeds(i) {
                    let t = *time.get_or_insert_with(|| self.feeds.time_of(&decoded.event));
                    self.feeds
                        .hits(i, &decoded.event, t, at, &mut file, &mut batch.hits);
                    if self.feeds.quiet(i) {
                        counts.rules[i].withheld += 1;
                        counts.withheld += 1;
                        continue;
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
        });
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

thread_local! {
    /// Each thread's gate scratch and candidate list, reused from event to event.
    static SCRATCH: RefCell<(Scratch, Vec<u32>)> = RefCell::default();
}

/// `table` with `extra` fields added (leaked: one table per detector, for the process).
fn with_fields(table: &'static FieldTable, extra: &[&'static str]) -> &'static FieldTable {
    let mut names: Vec<&'static str> = table
        .names
        .iter()
        .copied()
        .chain(extra.iter().copied())
        .collect();
    names.sort_unstable();
    names.dedup();
    if names.len() == table.names.len() {
        return table;
    }
    let names: &'static [&'static str] = Box::leak(names.into_boxed_slice());
    Box::leak(Box::new(FieldTable::new(names, table.all_leaves)))
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
                json_routing: JsonRouting::Fixed(
                    parse_logsource("product=windows,category=process_creation").unwrap(),
                ),
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
            let JsonRouting::Fixed(ls) = json_only.options.json_routing else {
                unreachable!("a fixed log source")
            };
            let expect = applies(&rule.info.logsource, &ls);
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

    #[test]
    fn json_events_are_routed_one_by_one_by_their_shape() {
        let det = Detector::new(
            &fixtures::RULES,
            Options {
                json_routing: JsonRouting::Recognise,
                ..Options::default()
            },
        );
        let windows = fixtures::RULES
            .rules
            .iter()
            .position(|r| r.info.id == fixtures::WINDOWS_ID)
            .unwrap();
        let mut batch = Batch::default();
        let lines: [&[u8]; 3] = [
            // Sysmon process creation: the Windows rule runs and matches.
            br#"{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Image":"C:\\Windows\\cmd.exe"}"#,
            // Sysmon image load: another category, the rule does not run.
            br#"{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":7,"Image":"C:\\Windows\\cmd.exe"}"#,
            // No recognisable shape: no log source, the rule does not run.
            br#"{"Image":"C:\\Windows\\cmd.exe"}"#,
        ];
        for (n, line) in lines.iter().enumerate() {
            let items = det.decoder().line(line, Format::Json).unwrap();
            det.items(items, "f", n as u64 + 1, None, &mut batch);
        }
        assert_eq!(batch.counts.events, 3);
        assert_eq!(batch.counts.rules[windows].evaluated, 1);
        assert_eq!(batch.counts.rules[windows].alerts, 1);
        // The fixture's field table lacks `Channel` and `EventID`: the rule ran only because
        // the detector's decoder keeps the fields routing reads.
        assert_eq!(batch.counts.alerts, 1);
    }
}
