//! The correlator over hand-written correlations shaped like generated code (the fixture
//! rule set's rules): chaining, aliases, `generate`, the alert's shape and cap.

use super::*;
use crate::detector::{Batch, Detector, Options};
use crate::fixtures;
use crate::input::Format;
use sigma_runtime::correlation::{
    values, Condition, Correlation, Count, Groups, Observed, Stats, Temporal,
};
use sigma_runtime::{Level, LogSource, RuleInfo};

const fn info(id: &'static str, title: &'static str) -> RuleInfo {
    RuleInfo {
        id,
        title,
        level: Some(Level::Critical),
        status: "test",
        tags: &["attack.t1098"],
        tactics: &[],
        techniques: &[],
        risk_score: Some(99.0),
        severity: Some(99),
        logsource: LogSource {
            product: "",
            category: "",
            service: "",
        },
        related: &[],
        custom: &[],
        source: "tests.rs",
    }
}

const CALLER: FieldPath = FieldPath::mapped("user.username", "user.name");
const REQUESTER: FieldPath = FieldPath::new("requester");
const SPAN: Micros = 60 * MICROS_PER_SEC;
const GTE2: Condition = Condition::Range {
    lo: Some((2.0, true)),
    hi: None,
};

// C0: two impersonations by one caller within a minute (quiet: only C1 reads it).
static INNER_INFO: RuleInfo = info("c0", "Two impersonations");
struct Inner(Groups<(Val,), Count>);
impl State for Inner {
    fn update(&mut self, obs: &Observation) -> Option<Fired> {
        self.0
            .observe((obs.key.first()?.clone(),), obs.time, (), obs.event.clone())
    }
    fn stats(&self) -> Stats {
        self.0.stats()
    }
}
fn inner_observe(input: usize, ev: &Event<'_>) -> Option<Observed> {
    match input {
        0 => Some((values(ev, &[CALLER])?, None)),
        _ => None,
    }
}
fn no_chain(_: usize, _: &[Val]) -> Option<Observed> {
    None
}
static INNER: Correlation = Correlation {
    info: &INNER_INFO,
    kind: "event_count",
    group_by: &["user.username"],
    timespan: SPAN,
    inputs: &[Input::Rule(0)],
    generate: false,
    fields: &[CALLER],
    observe: inner_observe,
    chain: no_chain,
    new_state: |l| Box::new(Inner(Groups::new(l, Count, SPAN, GTE2))),
};

// C1: C0 alerting twice for a caller within a minute (a chain).
static OUTER_INFO: RuleInfo = info("c1", "Repeated pairs");
fn outer_observe(_: usize, _: &Event<'_>) -> Option<Observed> {
    None
}
fn outer_chain(input: usize, group: &[Val]) -> Option<Observed> {
    match input {
        0 => Some((vec![group.first()?.clone()], None)),
        _ => None,
    }
}
static OUTER: Correlation = Correlation {
    info: &OUTER_INFO,
    kind: "event_count",
    group_by: &["user.username"],
    timespan: SPAN,
    inputs: &[Input::Correlation(0)],
    generate: true,
    fields: &[],
    observe: outer_observe,
    chain: outer_chain,
    new_state: |l| Box::new(Inner(Groups::new(l, Count, SPAN, GTE2))),
};

// C2: an impersonation and a secret read by the same `caller`, an alias: `user.username`
// for rule 0, `requester` for rule 1; generate: true.
static ALIASED_INFO: RuleInfo = info("c2", "Impersonation and secret read");
struct Aliased(Groups<(Val,), Temporal>);
impl State for Aliased {
    fn update(&mut self, obs: &Observation) -> Option<Fired> {
        self.0.observe(
            (obs.key.first()?.clone(),),
            obs.time,
            obs.inputs,
            obs.event.clone(),
        )
    }
    fn stats(&self) -> Stats {
        self.0.stats()
    }
}
fn aliased_observe(input: usize, ev: &Event<'_>) -> Option<Observed> {
    match input {
        0 => Some((values(ev, &[CALLER])?, None)),
        1 => Some((values(ev, &[REQUESTER])?, None)),
        _ => None,
    }
}
static ALIASED: Correlation = Correlation {
    info: &ALIASED_INFO,
    kind: "temporal",
    group_by: &["caller"],
    timespan: SPAN,
    inputs: &[Input::Rule(0), Input::Rule(1)],
    generate: true,
    fields: &[CALLER, REQUESTER],
    observe: aliased_observe,
    chain: no_chain,
    new_state: |l| Box::new(Aliased(Groups::new(l, Temporal::default(), SPAN, GTE2))),
};

static SET: CorrelationSet = CorrelationSet {
    correlations: &[&INNER, &OUTER, &ALIASED],
};

fn impersonation(caller: &str, secs: u32) -> String {
    format!(
        r#"{{"user":{{"username":"{caller}"}},"impersonatedUser":{{"username":"system:admin"}},"requestReceivedTimestamp":"2026-01-01T00:{:02}:{:02}Z"}}"#,
        secs / 60,
        secs % 60
    )
}

fn secret_read(requester: &str, secs: u32) -> String {
    format!(
        r#"{{"verb":"get","objectRef":{{"resource":"secrets"}},"requester":"{requester}","requestReceivedTimestamp":"2026-01-01T00:{:02}:{:02}Z"}}"#,
        secs / 60,
        secs % 60
    )
}

/// Runs `lines` through a detector and a correlator; the output lines and the correlator.
fn run(lines: &[String], settings: Settings) -> (Vec<Value>, Correlator, Batch) {
    let det = Detector::with_correlations(
        &fixtures::RULES,
        &SET,
        Options {
            correlation: settings,
            ..Options::default()
        },
    );
    let mut corr = Correlator::new(&SET, &settings, AlertFormat::Default);
    let mut all = Batch::default();
    let mut out = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        let mut batch = Batch::default();
        let items = det.decoder().line(line.as_bytes(), Format::Raw).unwrap();
        det.items(items, "f", n as u64 + 1, None, &mut batch);
        out.extend_from_slice(&batch.alerts);
        corr.feed(std::mem::take(&mut batch.hits), &mut out, &mut |w| {
            panic!("{w}")
        });
        all.counts.add(&batch.counts);
    }
    corr.flush(&mut out);
    let values = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (values, corr, all)
}

fn ids(alerts: &[Value]) -> Vec<String> {
    alerts
        .iter()
        .map(|a| a["rule"]["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn chained_correlations_alert_on_their_inner_alerts() {
    // Four impersonations by alice: C0 alerts at the 2nd and 4th (restart), C1 at C0's 2nd.
    let lines: Vec<String> = (0..4).map(|i| impersonation("alice", i * 5)).collect();
    let (alerts, corr, _) = run(&lines, Settings::default());
    let got = ids(&alerts);
    // Rule 0 keeps its alerts (C2 reads it with generate: true), and so does C0 (C1 reads
    // it with generate: true).
    assert_eq!(
        got.iter()
            .filter(|i| *i == fixtures::IMPERSONATION_ID)
            .count(),
        4
    );
    assert_eq!(got.iter().filter(|i| *i == "c0").count(), 2);
    assert_eq!(got.iter().filter(|i| *i == "c1").count(), 1);
    assert_eq!(corr.counts.alerts, [2, 1, 0]);
    assert_eq!(corr.counts.fed, [4, 2, 4]);
    let c1 = alerts.iter().find(|a| a["rule"]["id"] == "c1").unwrap();
    assert_eq!(
        c1["correlation"]["group"],
        json!({"user.username": "alice"})
    );
    assert_eq!(c1["correlation"]["count"], 2);
    assert_eq!(c1["correlation"]["last"], "2026-01-01T00:00:15.000000Z");
}

#[test]
fn an_inner_correlation_read_without_generate_only_feeds_the_outer_one() {
    static QUIET_OUTER: Correlation = Correlation {
        generate: false,
        ..OUTER
    };
    static QUIET_SET: CorrelationSet = CorrelationSet {
        correlations: &[&INNER, &QUIET_OUTER],
    };
    let mut corr = Correlator::new(&QUIET_SET, &Settings::default(), AlertFormat::Default);
    let mut out = Vec::new();
    let hits = (0..4)
        .map(|i| Hit {
            time: Some(i * MICROS_PER_SEC),
            correlation: 0,
            inputs: 1,
            key: vec![Val::from("alice")],
            values: None,
            event: EventRef {
                file: "f".into(),
                line: i as u64 + 1,
                item: None,
            },
        })
        .collect();
    let written = corr.feed(hits, &mut out, &mut |w| panic!("{w}"));
    let written = written + corr.flush(&mut out);
    let text = String::from_utf8(out).unwrap();
    assert_eq!(written, 1, "{text}");
    assert!(text.contains(r#""id":"c1""#) && !text.contains(r#""id":"c0""#));
    assert_eq!(corr.counts.alerts, [2, 1]);
}

#[test]
fn aliases_join_different_fields_into_one_group() {
    let lines = [
        impersonation("bob", 0),
        secret_read("bob", 30),
        secret_read("eve", 40),
    ];
    let (alerts, _, _) = run(&lines, Settings::default());
    let c2: Vec<&Value> = alerts.iter().filter(|a| a["rule"]["id"] == "c2").collect();
    assert_eq!(c2.len(), 1);
    let c = &c2[0]["correlation"];
    assert_eq!(c["group"], json!({"caller": "bob"}));
    assert_eq!(c["type"], "temporal");
    assert_eq!(c["value"], 2);
    assert_eq!(
        c["events"],
        json!([{"file": "f", "line": 1}, {"file": "f", "line": 2}])
    );
}

#[test]
fn generate_decides_which_rules_keep_their_own_alerts() {
    let feeds = Feeds::new(&fixtures::RULES, &SET, &Settings::default());
    // Rule 0: read by C0 (no generate) and C2 (generate): alerts. Rule 1: read by C2 only:
    // alerts. Rule 2: read by none: alerts.
    assert!(!feeds.quiet(0) && !feeds.quiet(1) && !feeds.quiet(2));
    assert!(feeds.feeds(0) && feeds.feeds(1) && !feeds.feeds(2));
    static QUIET: Correlation = Correlation {
        generate: false,
        ..ALIASED
    };
    static ONLY_QUIET: CorrelationSet = CorrelationSet {
        correlations: &[&QUIET],
    };
    let feeds = Feeds::new(&fixtures::RULES, &ONLY_QUIET, &Settings::default());
    assert!(feeds.quiet(0) && feeds.quiet(1) && !feeds.quiet(2));
    assert_eq!(quiet(&SET, Input::Correlation(0)), !OUTER.generate);
}

#[test]
fn alerts_list_at_most_the_cap_and_say_how_many_were_left_out() {
    let fired = Fired {
        group: vec![Val::from("a \"quoted\" caller")],
        first: 0,
        last: 1_500_000,
        count: 20,
        value: Some(2.5),
        events: (1..=16)
            .map(|line| EventRef {
                file: "x".into(),
                line,
                item: (line == 2).then_some(3),
            })
            .collect(),
        omitted: 4,
    };
    let text = correlation_json("value_avg", &["user.username"], &fired);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["events"].as_array().unwrap().len(), 16);
    assert_eq!(v["events"][1], json!({"file": "x", "line": 2, "item": 3}));
    assert_eq!(v["events_omitted"], 4);
    assert_eq!(v["value"], 2.5);
    assert_eq!(v["group"]["user.username"], "a \"quoted\" caller");
    assert_eq!(v["last"], "1970-01-01T00:00:01.500000Z");
    assert!(
        text.starts_with(r#"{"type":"value_avg","group":{"#),
        "{text}"
    );
}

#[test]
fn the_decoder_keeps_the_fields_correlations_read() {
    // `requester` is read by no rule: only the correlation needs it decoded.
    let lines = [impersonation("bob", 0), secret_read("bob", 30)];
    let (alerts, _, _) = run(&lines, Settings::default());
    assert!(alerts.iter().any(|a| a["rule"]["id"] == "c2"));
}

#[test]
fn bounds_are_counted_in_the_stats() {
    let settings = Settings {
        limits: Limits {
            max_groups: 2,
            max_window: 10,
            ..Limits::default()
        },
        ..Settings::default()
    };
    let lines: Vec<String> = ["a", "b", "c", "d"]
        .iter()
        .enumerate()
        .map(|(i, u)| impersonation(u, i as u32))
        .collect();
    let (_, corr, _) = run(&lines, settings);
    let table = corr.stats_table();
    // C0 saw four callers with room for two: two evicted.
    let row = table.lines().find(|l| l.starts_with("c0 ")).unwrap();
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(&cols[1..6], ["4", "0", "2", "2", "0"], "{table}");
}
