//! Correlation rules at run time: which rule matches feed which correlation, event times,
//! the lateness bound, chaining, and correlation alerts. Semantics: `docs/correlation.md`.
//!
//! Evaluation is split in two. While events are evaluated (on any thread, [`Feeds::hits`]) a
//! match of a rule some correlation reads becomes a [`Hit`]: its time, group-by and field
//! values, and where it came from. The [`Correlator`] takes the hits in input order (the
//! scan's writer, the webhook's sink), holds them in the lateness buffer, and feeds them in
//! time order to the generated correlation states, writing one alert line per firing.

use crate::alert::{AlertFormat, Location};
use serde_json::{json, Map, Value};
use sigma_runtime::correlation::{
    parse_time, CorrelationSet, EventRef, Fired, Input, Limits, Micros, Observation, Pushed,
    Reorder, State, Val, MICROS_PER_SEC,
};
use sigma_runtime::{calendar, Event, FieldPath, RuleSet};
use std::fmt::Write as _;
use std::sync::Arc;

#[cfg(test)]
mod tests;

/// How correlations are run (`--time-field`, `--max-lateness`, `--max-groups`,
/// `--max-window`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// The field holding each event's time (the same name in every shape); `None`: raw events'
    /// `requestReceivedTimestamp`, else `stageTimestamp`, ECS documents' `@timestamp`.
    pub time_field: Option<&'static str>,
    /// How late (in event time) a match may arrive and still be correlated.
    pub max_lateness: Micros,
    /// Matches the lateness buffer holds at most.
    pub max_pending: usize,
    /// Bounds of each correlation's state.
    pub limits: Limits,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            time_field: None,
            max_lateness: 5 * 60 * MICROS_PER_SEC,
            max_pending: 1_000_000,
            limits: Limits::default(),
        }
    }
}

/// The default time fields: raw, its fallback, ECS.
const REQUEST_RECEIVED: FieldPath = FieldPath::mapped("requestReceivedTimestamp", "@timestamp");
const STAGE: FieldPath = FieldPath::mapped("stageTimestamp", "@timestamp");

/// One match of a rule that correlations read, waiting to be correlated.
#[derive(Debug, Clone)]
pub struct Hit {
    /// The event's time (`None`: it has none; it is counted and not correlated).
    pub time: Option<Micros>,
    /// The correlation.
    pub correlation: usize,
    /// Bit i: input i of the correlation matched.
    pub inputs: u64,
    /// Group-by values.
    pub key: Vec<Val>,
    /// `condition.field` values.
    pub values: Option<Vec<Val>>,
    /// Where the event came from.
    pub event: EventRef,
}

/// What a detector needs to know to produce [`Hit`]s: per rule, the correlations it feeds,
/// and which rules' own alerts are withheld (`generate`).
#[derive(Debug)]
pub struct Feeds {
    set: &'static CorrelationSet,
    /// Per rule: (correlation, input) pairs.
    per_rule: Vec<Vec<(usize, usize)>>,
    /// Per rule: whether its own alerts are withheld.
    quiet: Vec<bool>,
    time: Option<FieldPath>,
}

impl Feeds {
    /// The feeds of `correlations` over the rules of `rules`.
    pub fn new(
        rules: &RuleSet,
        correlations: &'static CorrelationSet,
        settings: &Settings,
    ) -> Self {
        let mut per_rule = vec![Vec::new(); rules.rules.len()];
        for (c, corr) in correlations.correlations.iter().enumerate() {
            for (k, input) in corr.inputs.iter().enumerate() {
                if let Input::Rule(i) = *input {
                    if let Some(v) = per_rule.get_mut(i) {
                        v.push((c, k));
                    }
                }
            }
        }
        let quiet = (0..rules.rules.len())
            .map(|i| quiet(correlations, Input::Rule(i)))
            .collect();
        Feeds {
            set: correlations,
            per_rule,
            quiet,
            time: settings.time_field.map(FieldPath::new),
        }
    }

    /// No correlation at all.
    pub fn is_empty(&self) -> bool {
        self.set.correlations.is_empty()
    }

    /// Whether rule `i` feeds any correlation.
    #[inline]
    pub fn feeds(&self, i: usize) -> bool {
        self.per_rule.get(i).is_some_and(|v| !v.is_empty())
    }

    /// Whether rule `i`'s own alerts are withheld: correlations read it, none with
    /// `generate: true`.
    #[inline]
    pub fn quiet(&self, i: usize) -> bool {
        self.quiet.get(i).copied().unwrap_or(false)
    }

    /// The fields events must be decoded with: the correlations' and the time fields, as
    /// named in each shape (raw, ECS).
    pub fn fields(&self) -> [Vec<&'static str>; 2] {
        let mut paths: Vec<FieldPath> = self
            .set
            .correlations
            .iter()
            .flat_map(|c| c.fields.iter().copied())
            .collect();
        if !self.is_empty() {
            match self.time {
                Some(t) => paths.push(t),
                None => paths.extend([REQUEST_RECEIVED, STAGE]),
            }
        }
        [sigma_runtime::Shape::Raw, sigma_runtime::Shape::Ecs]
            .map(|s| paths.iter().map(|p| p.name_for(s)).collect())
    }

    /// The event's time.
    pub fn time_of(&self, ev: &Event<'_>) -> Option<Micros> {
        let parse = |p: FieldPath| {
            let mut t = None;
            ev.any_text(p, |s| {
                t = parse_time(s);
                true
            });
            t
        };
        match self.time {
            Some(p) => parse(p),
            None => parse(REQUEST_RECEIVED).or_else(|| parse(STAGE)),
        }
    }

    /// Appends the hits of rule `i`'s match of `ev` (at `at`, of time `time`) to `out`; one
    /// hit per correlation and group even when several of its inputs matched (their bits
    /// are merged).
    pub fn hits(
        &self,
        i: usize,
        ev: &Event<'_>,
        time: Option<Micros>,
        at: &Location<'_>,
        file: &mut Option<Arc<str>>,
        out: &mut Vec<Hit>,
    ) {
        for &(c, k) in &self.per_rule[i] {
            let corr = self.set.correlations[c];
            let Some((key, values)) = (corr.observe)(k, ev) else {
                continue;
            };
            let bit = 1u64 << k;
            if let Some(h) = out
                .iter_mut()
                .rev()
                .take_while(|h| h.event.line == at.line && h.event.item == at.item)
                .find(|h| h.correlation == c && h.key == key && h.values == values)
            {
                h.inputs |= bit;
                continue;
            }
            let file = file.get_or_insert_with(|| Arc::from(at.file)).clone();
            out.push(Hit {
                time,
                correlation: c,
                inputs: bit,
                key,
                values,
                event: EventRef {
                    file,
                    line: at.line,
                    item: at.item,
                },
            });
        }
    }
}

/// Whether `what`'s own alerts are withheld: correlations read it and none of them says
/// `generate: true` (docs/correlation.md; pySigma withholds them when any reader lacks it).
fn quiet(set: &CorrelationSet, what: Input) -> bool {
    let mut readers = set
        .correlations
        .iter()
        .filter(|c| c.inputs.contains(&what))
        .peekable();
    readers.peek().is_some() && !readers.any(|c| c.generate)
}

/// What the correlator counted (`--stats`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorrCounts {
    /// Events matching rules that correlations read, without a parseable time.
    pub untimed: u64,
    /// Such events later than `--max-lateness`.
    pub late: u64,
    /// Matches released early from a full lateness buffer.
    pub pending_overflow: u64,
    /// Per correlation: matches fed, alerts raised (written or, without `generate`, chained
    /// only).
    pub fed: Vec<u64>,
    /// Per correlation: alerts.
    pub alerts: Vec<u64>,
}

/// The correlations' state over one run (a scan, a server's life).
pub struct Correlator {
    set: &'static CorrelationSet,
    states: Vec<Box<dyn State>>,
    reorder: Reorder<Hit>,
    /// Per correlation: the (outer correlation, input) pairs its alerts feed.
    chains: Vec<Vec<(usize, usize)>>,
    /// Per correlation: whether its own alerts are withheld (another reads it).
    quiet: Vec<bool>,
    rule_json: Vec<String>,
    format: AlertFormat,
    /// What was counted.
    pub counts: CorrCounts,
}

impl std::fmt::Debug for Correlator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Correlator")
            .field("pending", &self.reorder.len())
            .field("counts", &self.counts)
            .finish_non_exhaustive()
    }
}

impl Correlator {
    /// A fresh state for every correlation of `set`.
    pub fn new(set: &'static CorrelationSet, settings: &Settings, format: AlertFormat) -> Self {
        let n = set.correlations.len();
        let mut chains = vec![Vec::new(); n];
        for (c, corr) in set.correlations.iter().enumerate() {
            for (k, input) in corr.inputs.iter().enumerate() {
                if let Input::Correlation(inner) = *input {
                    chains[inner].push((c, k));
                }
            }
        }
        Correlator {
            set,
            states: set
                .correlations
                .iter()
                .map(|c| (c.new_state)(settings.limits))
                .collect(),
            reorder: Reorder::new(settings.max_lateness, settings.max_pending),
            chains,
            quiet: (0..n).map(|c| quiet(set, Input::Correlation(c))).collect(),
            rule_json: set
                .correlations
                .iter()
                .map(|c| crate::alert::rule_json(c.info))
                .collect(),
            format,
            counts: CorrCounts {
                fed: vec![0; n],
                alerts: vec![0; n],
                ..CorrCounts::default()
            },
        }
    }

    /// Matches waiting in the lateness buffer.
    pub fn pending(&self) -> usize {
        self.reorder.len()
    }

    /// Takes hits in input order; writes the alerts of every match released to `out`, and
    /// returns how many lines were written. Warns (once) through `warn` of the first late
    /// match.
    pub fn feed(&mut self, hits: Vec<Hit>, out: &mut Vec<u8>, warn: &mut dyn FnMut(String)) -> u64 {
        let mut written = 0;
        // An event feeding several correlations has one hit each (adjacent): it is counted
        // once as untimed or late.
        let mut previous: Option<EventRef> = None;
        for h in hits {
            let same = previous.as_ref() == Some(&h.event);
            previous = Some(h.event.clone());
            let Some(t) = h.time else {
                self.counts.untimed += u64::from(!same);
                continue;
            };
            let (file, line) = (h.event.file.clone(), h.event.line);
            let mut released = Vec::new();
            let pushed = self
                .reorder
                .push(t, h, |t, seq, h| released.push((t, seq, h)));
            if pushed == Pushed::Late && !same {
                self.counts.late += 1;
                if self.counts.late == 1 {
                    warn(format!("detect: {file}:{line}: a match later than --max-lateness is not correlated (late matches are counted in --stats)"));
                }
            }
            for (t, seq, h) in released {
                written += self.run(t, seq, h, out);
            }
        }
        self.counts.pending_overflow = self.reorder.overflow;
        written
    }

    /// Releases the matches no later than `until` (the webhook's wall clock minus the
    /// lateness bound).
    pub fn release_until(&mut self, until: Micros, out: &mut Vec<u8>) -> u64 {
        let mut released = Vec::new();
        self.reorder
            .release_until(until, |t, seq, h| released.push((t, seq, h)));
        released
            .into_iter()
            .map(|(t, seq, h)| self.run(t, seq, h, out))
            .sum()
    }

    /// Releases everything (the end of the input).
    pub fn flush(&mut self, out: &mut Vec<u8>) -> u64 {
        self.release_until(Micros::MAX, out)
    }

    /// Feeds one released match to its correlation, and an alert on to the correlations that
    /// chain it.
    fn run(&mut self, time: Micros, seq: u64, h: Hit, out: &mut Vec<u8>) -> u64 {
        let obs = Observation {
            time,
            seq,
            inputs: h.inputs,
            key: h.key,
            values: h.values,
            event: h.event,
        };
        self.step(h.correlation, &obs, out)
    }

    fn step(&mut self, c: usize, obs: &Observation, out: &mut Vec<u8>) -> u64 {
        self.counts.fed[c] += 1;
        let Some(fired) = self.states[c].update(obs) else {
            return 0;
        };
        self.counts.alerts[c] += 1;
        let mut written = 0;
        if !self.quiet[c] {
            self.write(c, &fired, out);
            written += 1;
        }
        for (outer, k) in self.chains[c].clone() {
            let corr = self.set.correlations[outer];
            if let Some((key, values)) = (corr.chain)(k, &fired.group) {
                let next = Observation {
                    time: fired.last,
                    seq: obs.seq,
                    inputs: 1 << k,
                    key,
                    values,
                    event: obs.event.clone(),
                };
                written += self.step(outer, &next, out);
            }
        }
        written
    }

    fn write(&self, c: usize, f: &Fired, out: &mut Vec<u8>) {
        let corr = self.set.correlations[c];
        let body = correlation_json(corr.kind, corr.group_by, f);
        match self.format {
            AlertFormat::Default => {
                out.extend_from_slice(b"{\"rule\":");
                out.extend_from_slice(self.rule_json[c].as_bytes());
                out.extend_from_slice(b",\"correlation\":");
                out.extend_from_slice(body.as_bytes());
                out.extend_from_slice(b"}\n");
            }
            AlertFormat::Ecs => {
                let info = corr.info;
                let mut rule = Map::new();
                rule.insert("name".into(), json!(info.title));
                rule.insert("id".into(), json!(info.id));
                rule.insert("uuid".into(), json!(info.id));
                rule.insert("ruleset".into(), json!("sigma"));
                if let Some(l) = info.level {
                    rule.insert("level".into(), json!(l.as_str()));
                }
                rule.insert("tags".into(), json!(info.tags));
                let mut event = Map::new();
                event.insert("kind".into(), json!("alert"));
                event.insert("category".into(), json!(["correlation"]));
                if let Some(s) = info.severity {
                    event.insert("severity".into(), json!(s));
                }
                if let Some(score) = crate::alert::risk_score(info) {
                    event.insert("risk_score".into(), score);
                }
                event.insert("start".into(), json!(time_text(f.first)));
                event.insert("end".into(), json!(time_text(f.last)));
                let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                let doc = json!({
                    "@timestamp": time_text(f.last),
                    "event": Value::Object(event),
                    "rule": Value::Object(rule),
                    "sigma": {"correlation": body},
                });
                out.extend_from_slice(doc.to_string().as_bytes());
                out.push(b'\n');
            }
        }
    }

    /// A warning when correlation input was lost (late, released early, evicted, dropped from
    /// a full window), for runs without `--stats`: losses are never silent.
    pub fn losses(&self) -> Option<String> {
        let (evicted, overflow) = self.states.iter().fold((0, 0), |(e, o), s| {
            let st = s.stats();
            (e + st.evicted, o + st.overflow)
        });
        let c = &self.counts;
        (c.late + c.pending_overflow + evicted + overflow > 0).then(|| {
            format!(
                "detect: correlations: {} late matches, {} released early from a full lateness buffer, {evicted} groups evicted, {overflow} matches dropped from full windows (see --stats)",
                c.late, c.pending_overflow
            )
        })
    }

    /// The `--stats` rows: the lateness counters, then one row per correlation.
    pub fn stats_table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "correlations: {} untimed matches, {} late matches, {} released early from a full lateness buffer",
            self.counts.untimed, self.counts.late, self.counts.pending_overflow
        );
        let mut rows = vec![[
            "correlation id".to_owned(),
            "fed".to_owned(),
            "alerts".to_owned(),
            "groups".to_owned(),
            "evicted".to_owned(),
            "overflow".to_owned(),
            "title".to_owned(),
        ]];
        for (c, corr) in self.set.correlations.iter().enumerate() {
            let st = self.states[c].stats();
            rows.push([
                if corr.info.id.is_empty() {
                    "-".to_owned()
                } else {
                    corr.info.id.to_owned()
                },
                self.counts.fed[c].to_string(),
                self.counts.alerts[c].to_string(),
                st.groups.to_string(),
                st.evicted.to_string(),
                st.overflow.to_string(),
                corr.info.title.to_owned(),
            ]);
        }
        let widths: Vec<usize> = (0..6)
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        for row in &rows {
            let _ = write!(s, "{:<w$}", row[0], w = widths[0]);
            for c in 1..6 {
                let _ = write!(s, "  {:>w$}", row[c], w = widths[c]);
            }
            s.push_str("  ");
            s.push_str(&row[6]);
            s.push('\n');
        }
        s
    }
}

/// The `correlation` object of an alert, its keys in the documented order: `type`, `group`,
/// `first`, `last`, `count`, `value`, `events` (at most [`EVENTS_CAP`]), then
/// `events_omitted` when some were left out.
///
/// [`EVENTS_CAP`]: sigma_runtime::correlation::EVENTS_CAP
pub fn correlation_json(kind: &str, group_by: &[&str], f: &Fired) -> String {
    let text = |s: &str| Value::from(s).to_string();
    let mut o = format!("{{\"type\":{},\"group\":{{", text(kind));
    for (i, (name, v)) in group_by.iter().zip(&f.group).enumerate() {
        if i > 0 {
            o.push(',');
        }
        let _ = write!(o, "{}:{}", text(name), text(v.as_str()));
    }
    let value = match f.value {
        Some(v) if v.fract() == 0.0 && v.abs() < 9e15 => (v as i64).to_string(),
        Some(v) if v.is_finite() => Value::from(v).to_string(),
        _ => "null".to_owned(),
    };
    let _ = write!(
        o,
        "}},\"first\":{},\"last\":{},\"count\":{},\"value\":{value},\"events\":[",
        text(&time_text(f.first)),
        text(&time_text(f.last)),
        f.count
    );
    for (i, e) in f.events.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        let _ = write!(o, "{{\"file\":{},\"line\":{}", text(&e.file), e.line);
        if let Some(item) = e.item {
            let _ = write!(o, ",\"item\":{item}");
        }
        o.push('}');
    }
    o.push(']');
    if f.omitted > 0 {
        let _ = write!(o, ",\"events_omitted\":{}", f.omitted);
    }
    o.push('}');
    o
}

/// A time as RFC 3339 UTC with microseconds.
pub fn time_text(t: Micros) -> String {
    calendar::rfc3339(
        t.div_euclid(MICROS_PER_SEC),
        t.rem_euclid(MICROS_PER_SEC) as u32,
    )
}
