//! Runs the compiled rules over decoded events: log-source routing, stage de-duplication,
//! alert writing and per-rule counters. Shared by `detect scan` and `detect serve` (it is
//! `Sync`: the server evaluates batches on several threads at once).

use super::alert::{self, AlertFormat, Location};
use super::input::{Decoded, Source, AUDIT_LOGSOURCE};
use crate::runtime::{LogSource, Rule, Shape};
use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// True when `rule` runs on input of `source`: each of `product`, `category`, `service` that
/// the rule names (non-empty) equals the input's.
pub fn applies(rule: &LogSource, input: &LogSource) -> bool {
    let ok = |r: &str, i: &str| r.is_empty() || r == i;
    ok(rule.product, input.product)
        && ok(rule.category, input.category)
        && ok(rule.service, input.service)
}

/// Parses `product=...,category=...,service=...` (any subset, any order).
pub fn parse_logsource(text: &str) -> Result<LogSource, String> {
    let mut ls = LogSource {
        product: "",
        category: "",
        service: "",
    };
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| format!("`{part}`: expected KEY=VALUE"))?;
        // Leaked once per process: rule log sources are `&'static str` too.
        let value: &'static str = Box::leak(value.trim().to_owned().into_boxed_str());
        match key.trim() {
            "product" => ls.product = value,
            "category" => ls.category = value,
            "service" => ls.service = value,
            other => {
                return Err(format!(
                    "unknown log source key `{other}` (expected product, category or service)"
                ))
            }
        }
    }
    Ok(ls)
}

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
        }
    }
}

/// Counters of one rule.
#[derive(Debug, Default)]
pub struct RuleCounters {
    /// Events the rule ran on (its log source matched).
    pub evaluated: AtomicU64,
    /// Alerts written.
    pub alerts: AtomicU64,
    /// Matches dropped as later stages of a request already alerted on.
    pub duplicates: AtomicU64,
}

/// Per-rule evaluation counts kept by one caller (a worker's block of lines) and added to the
/// shared [`RuleCounters`] in one go by [`Detector::flush`]: counting each evaluation on the
/// shared atomics would cost a locked add per rule and event, and bounce their cache lines
/// between threads.
#[derive(Debug, Default)]
pub struct Tally {
    evaluated: Vec<u64>,
}

/// A `(auditID, rule index)` remembered by the stage de-duplication.
pub type DedupeKey = (Box<str>, usize);

/// A bounded memory of recent `(auditID, rule)` pairs.
#[derive(Debug)]
pub struct Dedupe {
    window: usize,
    seen: HashSet<DedupeKey>,
    order: VecDeque<DedupeKey>,
}

impl Dedupe {
    /// Remembers at most `window` pairs (at least 1).
    pub fn new(window: usize) -> Dedupe {
        Dedupe {
            window: window.max(1),
            seen: HashSet::new(),
            order: VecDeque::new(),
        }
    }

    /// True (and remembers it) when the pair was not seen among the recent ones.
    pub fn first_time(&mut self, key: &DedupeKey) -> bool {
        if self.seen.contains(key) {
            return false;
        }
        if self.order.len() >= self.window {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        self.seen.insert(key.clone());
        self.order.push_back(key.clone());
        true
    }

    /// Forgets a pair (its alert could not be delivered, so a retry must alert again).
    pub fn forget(&mut self, key: &DedupeKey) {
        if self.seen.remove(key) {
            if let Some(i) = self.order.iter().rposition(|k| k == key) {
                self.order.remove(i);
            }
        }
    }

    /// How many pairs are remembered.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

/// What evaluating one event did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Alerts written.
    pub alerts: u64,
    /// Matches dropped by the stage de-duplication.
    pub duplicates: u64,
}

/// The compiled rules, routed by log source, with their counters.
#[derive(Debug)]
pub struct Detector {
    rules: &'static [Rule],
    options: Options,
    audit_rules: Vec<usize>,
    other_rules: Vec<usize>,
    dedupe: Option<Mutex<Dedupe>>,
    counters: Vec<RuleCounters>,
    /// Each rule's part of a default alert, written once.
    rule_json: Vec<String>,
    /// Per rule, the fields every event it matches reaches, as masks over the decoder's
    /// field tables: raw, then ECS.
    needs: Vec<[Vec<(usize, u64)>; 2]>,
}

impl Detector {
    /// A detector over `rules`.
    pub fn new(rules: &'static [Rule], options: Options) -> Detector {
        let route = |ls: &LogSource| -> Vec<usize> {
            (0..rules.len())
                .filter(|&i| applies(&rules[i].info.logsource, ls))
                .collect()
        };
        Detector {
            rules,
            options,
            audit_rules: route(&AUDIT_LOGSOURCE),
            other_rules: route(&options.json_logsource),
            dedupe: options.dedupe_window.map(|n| Mutex::new(Dedupe::new(n))),
            counters: rules.iter().map(|_| RuleCounters::default()).collect(),
            rule_json: rules.iter().map(|r| alert::rule_json(r.info)).collect(),
            needs: rules
                .iter()
                .map(|r| {
                    [
                        crate::fields(Shape::Raw).mask(r.prefilter.fields_raw),
                        crate::fields(Shape::Ecs).mask(r.prefilter.fields_ecs),
                    ]
                })
                .collect(),
        }
    }

    /// The rules.
    pub fn rules(&self) -> &'static [Rule] {
        self.rules
    }

    /// The counters, one per rule, in rule order.
    pub fn counters(&self) -> &[RuleCounters] {
        &self.counters
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

    /// Runs the rules of the event's log source over it and appends one alert per match to
    /// `out`, in rule order. When de-duplicating, the pairs remembered for the alerts written
    /// are pushed on `remembered` (so that a caller who fails to deliver them can
    /// [`forget`](Detector::forget) them).
    pub fn evaluate(
        &self,
        decoded: &Decoded<'_>,
        at: &Location<'_>,
        out: &mut Vec<u8>,
        remembered: &mut Vec<DedupeKey>,
    ) -> Outcome {
        let mut tally = Tally::default();
        let outcome = self.evaluate_candidates(decoded, at, out, remembered, None, &mut tally);
        self.flush(&mut tally);
        outcome
    }

    /// Adds what `tally` counted to the per-rule counters, and empties it.
    pub fn flush(&self, tally: &mut Tally) {
        for (counters, n) in self.counters.iter().zip(&mut tally.evaluated) {
            if *n > 0 {
                counters.evaluated.fetch_add(*n, Ordering::Relaxed);
                *n = 0;
            }
        }
    }

    /// [`evaluate`](Detector::evaluate), running only the rules set in `candidates` (bit i =
    /// rule i: those whose prefilter the line passed), or every routed rule with `None`, and
    /// counting evaluations in `tally` (to be [flushed](Detector::flush)).
    pub fn evaluate_candidates(
        &self,
        decoded: &Decoded<'_>,
        at: &Location<'_>,
        out: &mut Vec<u8>,
        remembered: &mut Vec<DedupeKey>,
        candidates: Option<&[u64]>,
        tally: &mut Tally,
    ) -> Outcome {
        let mut outcome = Outcome::default();
        if tally.evaluated.len() < self.rules.len() {
            tally.evaluated.resize(self.rules.len(), 0);
        }
        // The auditID is looked up (parsing the document if the event was decoded
        // selectively) only when a rule matched and stages are de-duplicated.
        let mut doc: Option<std::borrow::Cow<'_, serde_json::Value>> = None;
        // The event's field table, and which of each rule's masks applies to it.
        let shape = decoded.event.shape();
        let table = crate::fields(shape);
        let k = match shape {
            Shape::Raw => 0,
            Shape::Ecs => 1,
        };
        for &i in self.route(decoded.source) {
            if candidates.is_some_and(|c| c[i / 64] & (1 << (i % 64)) == 0) {
                continue;
            }
            let rule = &self.rules[i];
            // A decoded event without a field the rule needs skips it unevaluated.
            if !decoded.event.reaches(table, &self.needs[i][k]) {
                continue;
            }
            let counters = &self.counters[i];
            tally.evaluated[i] += 1;
            if !(rule.matches)(&decoded.event) {
                continue;
            }
            let audit_id = match &self.dedupe {
                Some(_) => {
                    let d = doc
                        .get_or_insert_with(|| alert::document(&decoded.event, &decoded.original));
                    alert::audit_id(d, shape)
                }
                None => None,
            };
            if let (Some(dedupe), Some(id)) = (&self.dedupe, audit_id) {
                let key: DedupeKey = (id.into(), i);
                let first = dedupe
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .first_time(&key);
                if !first {
                    counters.duplicates.fetch_add(1, Ordering::Relaxed);
                    outcome.duplicates += 1;
                    continue;
                }
                remembered.push(key);
            }
            // Writing into a Vec cannot fail.
            let _ = alert::write_alert_with(
                out,
                self.options.alert_format,
                rule.info,
                &self.rule_json[i],
                at,
                &decoded.event,
                &decoded.original,
            );
            counters.alerts.fetch_add(1, Ordering::Relaxed);
            outcome.alerts += 1;
        }
        outcome
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

    /// A per-rule table (`--stats`): rule id, events evaluated, alerts, duplicates dropped,
    /// title.
    pub fn stats_table(&self) -> String {
        let mut rows = vec![[
            "rule id".to_owned(),
            "evaluated".to_owned(),
            "alerts".to_owned(),
            "duplicates".to_owned(),
            "title".to_owned(),
        ]];
        for (rule, c) in self.rules.iter().zip(&self.counters) {
            rows.push([
                rule.info.id.to_owned(),
                c.evaluated.load(Ordering::Relaxed).to_string(),
                c.alerts.load(Ordering::Relaxed).to_string(),
                c.duplicates.load(Ordering::Relaxed).to_string(),
                rule.info.title.to_owned(),
            ]);
        }
        let widths: Vec<usize> = (0..4)
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        for row in &rows {
            out.push_str(&format!("{:<w$}", row[0], w = widths[0]));
            for c in 1..4 {
                out.push_str(&format!("  {:>w$}", row[c], w = widths[c]));
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
    use crate::io::input::{decode_line, Format};

    #[test]
    fn routing_by_logsource() {
        let input = AUDIT_LOGSOURCE;
        let ls = |product, category, service| LogSource {
            product,
            category,
            service,
        };
        assert!(applies(&ls("", "", ""), &input));
        assert!(applies(&ls("kubernetes", "", "audit"), &input));
        assert!(applies(&ls("kubernetes", "application", "audit"), &input));
        assert!(!applies(&ls("windows", "", ""), &input));
        assert!(!applies(&ls("kubernetes", "", "kubelet"), &input));
        assert!(!applies(&ls("", "process_creation", ""), &input));
    }

    #[test]
    fn logsource_option() {
        let ls = parse_logsource("product=linux, service=auditd").unwrap();
        assert_eq!(
            (ls.product, ls.category, ls.service),
            ("linux", "", "auditd")
        );
        assert!(parse_logsource("os=linux").is_err());
        assert!(parse_logsource("linux").is_err());
        assert_eq!(parse_logsource("").unwrap().product, "");
    }

    #[test]
    fn dedupe_window_is_bounded() {
        let mut d = Dedupe::new(2);
        let k = |s: &str, r| (Box::<str>::from(s), r);
        assert!(d.first_time(&k("a", 0)));
        assert!(!d.first_time(&k("a", 0)));
        assert!(d.first_time(&k("a", 1)));
        assert!(d.first_time(&k("b", 0))); // evicts (a, 0)
        assert_eq!(d.len(), 2);
        assert!(d.first_time(&k("a", 0)));
        d.forget(&k("a", 0));
        assert!(d.first_time(&k("a", 0)));
    }

    #[test]
    fn json_input_runs_only_the_rules_of_its_logsource() {
        let det = Detector::new(crate::RULES, Options::default());
        assert!(det.routed(Source::Audit) >= 1 || crate::RULES.is_empty());
        let json_only = Detector::new(
            crate::RULES,
            Options {
                json_logsource: parse_logsource("product=windows").unwrap(),
                ..Options::default()
            },
        );
        let line = br#"{"auditID":"x","verb":"list"}"#;
        let items = decode_line(line, Format::Json).unwrap();
        let d = items[0].result.as_ref().unwrap();
        let mut out = Vec::new();
        let at = Location {
            file: "f",
            line: 1,
            item: None,
        };
        json_only.evaluate(d, &at, &mut out, &mut Vec::new());
        for (rule, c) in json_only.rules().iter().zip(json_only.counters()) {
            let ran = c.evaluated.load(Ordering::Relaxed);
            let expect = applies(&rule.info.logsource, &json_only.options.json_logsource);
            assert_eq!(ran, u64::from(expect), "{}", rule.info.id);
        }
    }
}
