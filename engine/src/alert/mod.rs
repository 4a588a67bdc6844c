//! Alert documents: the default shape, and ECS documents for Elastic.
//!
//! The default alert is `{"rule": {"id", "title", "level", "tags"}, "input": {"file", "line"
//! [, "item"]}, "event": <the event's original bytes>}`, one per line.
//!
//! `--alert-format ecs` writes documents that index cleanly in Elastic: `@timestamp`,
//! `event.{kind: alert, severity, risk_score, action, original}`, `rule.{name, id, uuid,
//! ruleset: sigma, level, tags}`, `threat.{framework, tactic.{id,name}, technique.{id,name}}`,
//! `user.name` (the caller), `source.ip`, `user_agent.original`,
//! `kubernetes.audit.{auditID, stage, verb, requestURI, impersonatedUser.{username,groups}}`,
//! and `input.{file, line, item}`. The ATT&CK ids and names and the risk score are the
//! rule's own (`RuleInfo`), resolved when it was generated.

use serde_json::{json, Map, Value};
use sigma_runtime::{calendar, Event, RuleInfo, Shape};
use std::borrow::Cow;
use std::io::{self, Write};

/// The alert document format (`--alert-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AlertFormat {
    /// `{"rule", "input", "event"}` with the event's original bytes.
    #[default]
    Default,
    /// Elastic Common Schema documents.
    Ecs,
}

/// Where an event came from.
#[derive(Debug, Clone, Copy)]
pub struct Location<'a> {
    /// The input as named on the command line (`-` for stdin, `webhook` for the server).
    pub file: &'a str,
    /// 1-based physical line number (for the webhook, the request number since start).
    pub line: u64,
    /// 1-based position inside the line's container (EventList items, AKS records).
    pub item: Option<u64>,
}

/// `event.risk_score`: the rule's risk score ([`RuleInfo::risk_score`]), an integral one
/// written as an integer.
pub fn risk_score(info: &RuleInfo) -> Option<Value> {
    info.risk_score.map(|f| {
        if f.fract() == 0.0 && f.abs() < 1e15 {
            json!(f as i64)
        } else {
            json!(f)
        }
    })
}

/// Writes one alert, ending with a newline.
pub fn write_alert(
    out: &mut impl Write,
    format: AlertFormat,
    info: &RuleInfo,
    at: &Location<'_>,
    event: &Event<'_>,
    original: &[u8],
) -> io::Result<()> {
    write_alert_with(out, format, info, &rule_json(info), at, event, original)
}

/// [`write_alert`] with the rule's part of a default alert already written by
/// [`rule_json`] (a detector writes it once per rule, not once per alert).
pub fn write_alert_with(
    out: &mut impl Write,
    format: AlertFormat,
    info: &RuleInfo,
    rule: &str,
    at: &Location<'_>,
    event: &Event<'_>,
    original: &[u8],
) -> io::Result<()> {
    match format {
        AlertFormat::Default => write_default(out, rule, at, original),
        AlertFormat::Ecs => {
            let doc = ecs_alert(info, at, event, original);
            serde_json::to_writer(&mut *out, &doc)?;
            out.write_all(b"\n")
        }
    }
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

/// The `rule` object of a default alert: `{"id":…,"title":…,"level":…,"tags":[…]}`.
pub fn rule_json(info: &RuleInfo) -> String {
    let level = info
        .level
        .map_or_else(|| "null".to_owned(), |l| json_str(l.as_str()));
    let tags: Vec<String> = info.tags.iter().map(|t| json_str(t)).collect();
    format!(
        "{{\"id\":{},\"title\":{},\"level\":{},\"tags\":[{}]}}",
        json_str(info.id),
        json_str(info.title),
        level,
        tags.join(",")
    )
}

fn write_default(
    out: &mut impl Write,
    rule: &str,
    at: &Location<'_>,
    original: &[u8],
) -> io::Result<()> {
    out.write_all(b"{\"rule\":")?;
    out.write_all(rule.as_bytes())?;
    write!(
        out,
        ",\"input\":{{\"file\":{},\"line\":{}",
        json_str(at.file),
        at.line
    )?;
    if let Some(item) = at.item {
        write!(out, ",\"item\":{item}")?;
    }
    out.write_all(b"},\"event\":")?;
    out.write_all(original)?;
    out.write_all(b"}\n")
}

/// The whole JSON document of an event: its tree when it was parsed fully, otherwise parsed
/// now from the bytes it was decoded from (the fast path keeps only the fields rules read;
/// this runs only for events that matched).
pub fn document<'e>(event: &'e Event<'_>, original: &[u8]) -> Cow<'e, Value> {
    match event.json() {
        Some(v) => Cow::Borrowed(v),
        None => Cow::Owned(serde_json::from_slice(original).unwrap_or(Value::Null)),
    }
}

/// The audit event inside a document of any shape (the ECS document's `kubernetes.audit`).
pub fn audit_root(doc: &Value, shape: Shape) -> Option<&Value> {
    match shape {
        Shape::Raw => Some(doc),
        Shape::Ecs => doc.get("kubernetes")?.get("audit"),
    }
}

/// The document's `auditID` (shared by every stage of one request), when it has one.
pub fn audit_id(doc: &Value, shape: Shape) -> Option<&str> {
    audit_root(doc, shape)?.get("auditID")?.as_str()
}

fn at_path<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

/// The first of `paths` present (and not null) in `v`.
fn first<'a>(v: &'a Value, paths: &[&[&str]]) -> Option<&'a Value> {
    paths
        .iter()
        .find_map(|p| at_path(v, p).filter(|x| !x.is_null()))
}

/// Builds the ECS alert document.
pub fn ecs_alert(info: &RuleInfo, at: &Location<'_>, event: &Event<'_>, original: &[u8]) -> Value {
    let doc = &*document(event, original);
    let audit = audit_root(doc, event.shape()).unwrap_or(&Value::Null);
    let ecs = event.shape() == Shape::Ecs;
    let get = |raw: &[&str], ecs_paths: &[&[&str]]| -> Option<Value> {
        if ecs {
            first(doc, ecs_paths)
                .or_else(|| first(audit, &[raw]))
                .cloned()
        } else {
            first(audit, &[raw]).cloned()
        }
    };

    let mut root = Map::new();
    let timestamp = if ecs {
        first(doc, &[&["@timestamp"]])
    } else {
        None
    }
    .or_else(|| {
        first(
            audit,
            &[
                &["stageTimestamp"],
                &["requestReceivedTimestamp"],
                &["timestamp"],
            ],
        )
    })
    .and_then(Value::as_str)
    .map(str::to_owned)
    .unwrap_or_else(calendar::now_rfc3339);
    root.insert("@timestamp".into(), json!(timestamp));

    let mut ev = Map::new();
    ev.insert("kind".into(), json!("alert"));
    if let Some(severity) = info.severity {
        ev.insert("severity".into(), json!(severity));
    }
    if let Some(score) = risk_score(info) {
        ev.insert("risk_score".into(), score);
    }
    let verb = get(&["verb"], &[&["kubernetes", "audit", "verb"]]);
    if let Some(verb) = &verb {
        ev.insert("action".into(), verb.clone());
    }
    ev.insert(
        "original".into(),
        json!(String::from_utf8_lossy(original).into_owned()),
    );
    root.insert("event".into(), Value::Object(ev));

    let mut rule = Map::new();
    rule.insert("name".into(), json!(info.title));
    rule.insert("id".into(), json!(info.id));
    rule.insert("uuid".into(), json!(info.id));
    rule.insert("ruleset".into(), json!("sigma"));
    if let Some(level) = info.level {
        rule.insert("level".into(), json!(level.as_str()));
    }
    rule.insert("tags".into(), json!(info.tags));
    root.insert("rule".into(), Value::Object(rule));

    let (tactics, techniques) = (info.tactics, info.techniques);
    if !tactics.is_empty() || !techniques.is_empty() {
        type Entries<'a> = &'a [(&'a str, &'a str)];
        let ids = |e: Entries| json!(e.iter().map(|t| t.0).collect::<Vec<_>>());
        let names = |e: Entries| json!(e.iter().map(|t| t.1).collect::<Vec<_>>());
        let mut threat = Map::new();
        threat.insert("framework".into(), json!("MITRE ATT&CK"));
        if !tactics.is_empty() {
            threat.insert(
                "tactic".into(),
                json!({"id": ids(tactics), "name": names(tactics)}),
            );
        }
        if !techniques.is_empty() {
            threat.insert(
                "technique".into(),
                json!({"id": ids(techniques), "name": names(techniques)}),
            );
        }
        root.insert("threat".into(), Value::Object(threat));
    }

    if let Some(user) = get(
        &["user", "username"],
        &[
            &["user", "name"],
            &["kubernetes", "audit", "user", "username"],
        ],
    ) {
        root.insert("user".into(), json!({ "name": user }));
    }
    if let Some(ips) = get(
        &["sourceIPs"],
        &[&["source", "ip"], &["kubernetes", "audit", "sourceIPs"]],
    ) {
        root.insert("source".into(), json!({ "ip": ips }));
    }
    if let Some(ua) = get(
        &["userAgent"],
        &[
            &["user_agent", "original"],
            &["kubernetes", "audit", "userAgent"],
        ],
    ) {
        root.insert("user_agent".into(), json!({ "original": ua }));
    }

    let mut k8s = Map::new();
    for key in ["auditID", "stage", "verb", "requestURI"] {
        if let Some(v) = first(audit, &[&[key]]) {
            k8s.insert(key.into(), v.clone());
        }
    }
    let mut imp = Map::new();
    for key in ["username", "groups"] {
        if let Some(v) = first(audit, &[&["impersonatedUser", key]]) {
            imp.insert(key.into(), v.clone());
        }
    }
    if !imp.is_empty() {
        k8s.insert("impersonatedUser".into(), Value::Object(imp));
    }
    if !k8s.is_empty() {
        root.insert("kubernetes".into(), json!({ "audit": k8s }));
    }

    let mut input = Map::new();
    input.insert("file".into(), json!(at.file));
    input.insert("line".into(), json!(at.line));
    if let Some(item) = at.item {
        input.insert("item".into(), json!(item));
    }
    root.insert("input".into(), Value::Object(input));
    Value::Object(root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sigma_runtime::{Level, LogSource};

    static INFO: RuleInfo = RuleInfo {
        id: "3f0b6d1e-0000-0000-0000-000000000000",
        title: "T \"quoted\"",
        level: Some(Level::High),
        status: "experimental",
        tags: &[
            "attack.privilege-escalation",
            "attack.defense-evasion",
            "attack.stealth",
            "attack.t1134",
            "attack.t0000",
        ],
        // As the generator resolves those tags: each id once, with its first tag's name.
        tactics: &[
            ("TA0004", "Privilege Escalation"),
            ("TA0005", "Defense Evasion"),
        ],
        techniques: &[("T1134", "Access Token Manipulation")],
        risk_score: Some(80.0),
        severity: Some(73),
        logsource: LogSource {
            product: "kubernetes",
            category: "application",
            service: "audit",
        },
        related: &[],
        custom: &[("risk_score", "80")],
        source: "x.yml",
    };

    const RAW: &str = r#"{"auditID":"a-1","stage":"ResponseComplete","verb":"list","requestURI":"/api/v1/secrets","user":{"username":"alice"},"impersonatedUser":{"username":"system:admin","groups":["system:masters"]},"sourceIPs":["10.0.0.1"],"userAgent":"kubectl","stageTimestamp":"2026-01-01T00:00:00.010000Z"}"#;

    #[test]
    fn default_alert_adds_item_only_when_given() {
        let ev = Event::parse(RAW).unwrap();
        let mut out = Vec::new();
        let at = Location {
            file: "f",
            line: 3,
            item: None,
        };
        write_alert(
            &mut out,
            AlertFormat::Default,
            &INFO,
            &at,
            &ev,
            RAW.as_bytes(),
        )
        .unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["input"], json!({"file": "f", "line": 3}));
        assert_eq!(v["rule"]["title"], "T \"quoted\"");
        let mut out = Vec::new();
        let at = Location {
            item: Some(2),
            ..at
        };
        write_alert(
            &mut out,
            AlertFormat::Default,
            &INFO,
            &at,
            &ev,
            RAW.as_bytes(),
        )
        .unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["input"], json!({"file": "f", "line": 3, "item": 2}));
        assert!(out.ends_with(b"}\n"));
    }

    #[test]
    fn ecs_alert_from_raw_event() {
        let ev = Event::parse(RAW).unwrap();
        let at = Location {
            file: "webhook",
            line: 7,
            item: Some(1),
        };
        let v = ecs_alert(&INFO, &at, &ev, RAW.as_bytes());
        assert_eq!(v["@timestamp"], "2026-01-01T00:00:00.010000Z");
        assert_eq!(v["event"]["kind"], "alert");
        assert_eq!(v["event"]["severity"], 73);
        assert_eq!(v["event"]["risk_score"], 80);
        assert_eq!(v["event"]["original"], RAW);
        assert_eq!(v["rule"]["name"], INFO.title);
        assert_eq!(v["rule"]["id"], INFO.id);
        assert_eq!(v["rule"]["uuid"], INFO.id);
        assert_eq!(v["rule"]["ruleset"], "sigma");
        assert_eq!(v["threat"]["framework"], "MITRE ATT&CK");
        assert_eq!(v["threat"]["tactic"]["id"], json!(["TA0004", "TA0005"]));
        assert_eq!(
            v["threat"]["tactic"]["name"],
            json!(["Privilege Escalation", "Defense Evasion"])
        );
        assert_eq!(v["threat"]["technique"]["id"], json!(["T1134"]));
        assert_eq!(
            v["threat"]["technique"]["name"],
            json!(["Access Token Manipulation"])
        );
        assert_eq!(v["user"]["name"], "alice");
        assert_eq!(v["source"]["ip"], json!(["10.0.0.1"]));
        assert_eq!(v["user_agent"]["original"], "kubectl");
        let k = &v["kubernetes"]["audit"];
        assert_eq!(k["verb"], "list");
        assert_eq!(k["requestURI"], "/api/v1/secrets");
        assert_eq!(k["auditID"], "a-1");
        assert_eq!(k["impersonatedUser"]["username"], "system:admin");
        assert_eq!(k["impersonatedUser"]["groups"], json!(["system:masters"]));
        assert_eq!(v["input"], json!({"file": "webhook", "line": 7, "item": 1}));
    }

    #[test]
    fn ecs_alert_from_ecs_document() {
        let doc = r#"{"@timestamp":"2026-02-02T00:00:00Z","kubernetes":{"audit":{"auditID":"b","verb":"get","requestURI":"/x","impersonatedUser":{"username":"admin"}}},"user":{"name":"bob"},"source":{"ip":["1.2.3.4"]},"user_agent":{"original":"curl"}}"#;
        let ev = Event::parse_bytes_as(doc.as_bytes(), Shape::Ecs).unwrap();
        assert_eq!(audit_id(ev.json().unwrap(), ev.shape()), Some("b"));
        let at = Location {
            file: "f",
            line: 1,
            item: None,
        };
        let v = ecs_alert(&INFO, &at, &ev, doc.as_bytes());
        assert_eq!(v["@timestamp"], "2026-02-02T00:00:00Z");
        assert_eq!(v["user"]["name"], "bob");
        assert_eq!(v["source"]["ip"], json!(["1.2.3.4"]));
        assert_eq!(v["user_agent"]["original"], "curl");
        assert_eq!(v["kubernetes"]["audit"]["verb"], "get");
        assert_eq!(v["event"]["action"], "get");
        assert_eq!(
            v["kubernetes"]["audit"]["impersonatedUser"]["username"],
            "admin"
        );
        assert_eq!(v["event"]["original"], doc);
    }

    #[test]
    fn risk_scores_are_integers_when_integral() {
        let mut info = INFO;
        info.risk_score = Some(73.0);
        assert_eq!(risk_score(&info), Some(json!(73)));
        assert_eq!(serde_json::to_string(&risk_score(&info)).unwrap(), "73");
        info.risk_score = Some(12.5);
        assert_eq!(risk_score(&info), Some(json!(12.5)));
        info.risk_score = Some(-0.0);
        assert_eq!(serde_json::to_string(&risk_score(&info)).unwrap(), "0");
        // From 1e15 on, written as a float.
        info.risk_score = Some(1e15);
        assert_eq!(
            serde_json::to_string(&risk_score(&info)).unwrap(),
            "1000000000000000.0"
        );
        info.risk_score = None;
        assert_eq!(risk_score(&info), None);
    }
}
