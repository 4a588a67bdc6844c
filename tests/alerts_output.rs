//! Alerts: ECS documents (`--alert-format ecs`), `--output` appending, `--dedupe-stages`.

mod common;

use detections::RULES as RULE_SET;
/// The compiled rules.
static RULES: &[sigma_runtime::Rule] = RULE_SET.rules;
use serde_json::{json, Value};
use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const DETECT: &str = env!("CARGO_BIN_EXE_detect");

struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("detect_alerts-{test}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn example() -> String {
    common::root()
        .join("examples/audit-events.ndjson")
        .to_str()
        .unwrap()
        .to_owned()
}

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(DETECT)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.to_vec();
    let w = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    w.join().unwrap();
    out
}

fn lines(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn alerts_ecs_documents_for_the_flagship() {
    if common::other_rule_set() {
        return;
    }
    let path = example();
    let source: Vec<String> = fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let out = run(&["scan", "--alert-format", "ecs", &path], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let alerts = lines(&out.stdout);
    assert_eq!(alerts.len(), 4);
    let rule = RULES[0].info;
    for a in &alerts {
        let n = a["input"]["line"].as_u64().unwrap() as usize;
        let ev: Value = serde_json::from_str(&source[n - 1]).unwrap();
        assert_eq!(a["input"]["file"], path.as_str());
        assert_eq!(a["rule"]["name"], rule.title);
        assert_eq!(a["rule"]["id"], rule.id);
        assert_eq!(a["rule"]["uuid"], rule.id);
        assert_eq!(a["rule"]["ruleset"], "sigma");
        assert_eq!(a["event"]["kind"], "alert");
        assert_eq!(a["event"]["severity"], 73, "high");
        assert_eq!(a["event"]["risk_score"], 73, "the rule's risk_score");
        assert_eq!(a["threat"]["framework"], "MITRE ATT&CK");
        assert_eq!(a["threat"]["tactic"]["id"], json!(["TA0004", "TA0005"]));
        assert_eq!(
            a["threat"]["tactic"]["name"],
            json!(["Privilege Escalation", "Defense Evasion"])
        );
        assert_eq!(a["threat"]["technique"]["id"], json!(["T1134"]));
        assert_eq!(
            a["threat"]["technique"]["name"],
            json!(["Access Token Manipulation"])
        );
        assert_eq!(a["user"]["name"], ev["user"]["username"]);
        let k = &a["kubernetes"]["audit"];
        assert_eq!(
            k["impersonatedUser"]["username"],
            ev["impersonatedUser"]["username"]
        );
        assert_eq!(
            k["impersonatedUser"]["groups"],
            ev["impersonatedUser"]["groups"]
        );
        assert_eq!(k["verb"], ev["verb"]);
        assert_eq!(k["requestURI"], ev["requestURI"]);
        assert_eq!(k["auditID"], ev["auditID"]);
        assert_eq!(a["event"]["action"], ev["verb"]);
        assert_eq!(a["source"]["ip"], ev["sourceIPs"]);
        assert_eq!(a["user_agent"]["original"], ev["userAgent"]);
        // The matched event, byte for byte, as a string.
        assert_eq!(a["event"]["original"], source[n - 1].as_str());
        assert!(a["@timestamp"].is_string());
    }
}

#[test]
fn alerts_output_file_is_appended_to() {
    if common::other_rule_set() {
        return;
    }
    let tmp = TempDir::new("output");
    let file = tmp.0.join("alerts.ndjson");
    let f = file.to_str().unwrap();
    for round in 1..=2 {
        let out = run(&["scan", "--output", f, &example()], b"");
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(out.stdout.is_empty());
        assert_eq!(lines(&fs::read(&file).unwrap()).len(), 4 * round);
    }
    let out = run(&["scan", "-o", f, "--alert-format", "ecs", &example()], b"");
    assert_eq!(out.status.code(), Some(0));
    let all = lines(&fs::read(&file).unwrap());
    assert_eq!(all.len(), 12);
    assert_eq!(all[11]["event"]["kind"], "alert");
    // An output that cannot be opened is an error.
    let out = run(
        &["scan", "--output", tmp.0.to_str().unwrap(), &example()],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
}

/// The stages of one request share its auditID.
fn stage(audit_id: &str, stage: &str) -> String {
    format!(
        r#"{{"kind":"Event","auditID":"{audit_id}","stage":"{stage}","verb":"get","user":{{"username":"alice"}},"impersonatedUser":{{"username":"system:admin"}},"annotations":{{"authorization.k8s.io/decision":"allow"}}}}"#
    )
}

#[test]
fn alerts_dedupe_stages_drops_later_stages_of_a_request() {
    if common::other_rule_set() {
        return;
    }
    let input = [
        stage("a", "ResponseStarted"),
        stage("a", "ResponseComplete"),
        stage("b", "ResponseComplete"),
        stage("a", "ResponseComplete"),
        // No auditID: never de-duplicated.
        stage("", "ResponseComplete").replace(r#""auditID":"","#, ""),
        stage("", "ResponseComplete").replace(r#""auditID":"","#, ""),
    ]
    .join("\n");
    let out = run(&["scan"], input.as_bytes());
    assert_eq!(lines(&out.stdout).len(), 6);

    let out = run(&["scan", "--dedupe-stages"], input.as_bytes());
    let alerts = lines(&out.stdout);
    let got: Vec<u64> = alerts
        .iter()
        .map(|a| a["input"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(got, [1, 3, 5, 6]);
    let last = stderr(&out).lines().last().unwrap().to_owned();
    assert_eq!(
        last,
        "detect: 6 lines read, 6 events evaluated, 4 alerts, 0 bad lines, 2 duplicates dropped"
    );

    // The memory is bounded: with a window of 1, `b` pushes `a` out.
    let out = run(
        &["scan", "--dedupe-stages", "--dedupe-window", "1"],
        input.as_bytes(),
    );
    let got: Vec<u64> = lines(&out.stdout)
        .iter()
        .map(|a| a["input"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(got, [1, 3, 4, 5, 6]);
}

#[test]
fn alerts_stats_table_per_rule() {
    if common::other_rule_set() {
        return;
    }
    // The flagship's row of `--stats` (with `extra` flags): its columns, and all of stderr.
    let file = example();
    let stats = |extra: &[&str]| {
        let out = run(&[&["scan", "--stats"][..], extra, &[&file]].concat(), b"");
        let err = stderr(&out);
        let row = err
            .lines()
            .find(|l| l.starts_with(RULES[0].info.id))
            .unwrap_or_else(|| panic!("no row for the rule:\n{err}"))
            .to_owned();
        let cols: Vec<String> = row.split_whitespace().map(str::to_owned).collect();
        (cols, err)
    };
    // 8 lines; the one without the rule's prefilter literal is never evaluated, nor the one
    // (a `RequestReceived` stage) without the decision annotation, a field the rule needs.
    // One rule is too few for gates by default (`--gates auto`).
    let (cols, _) = stats(&[]);
    assert_eq!(&cols[1..4], ["6", "4", "0"], "{cols:?}");
    // With gates, not the one whose decision is `forbid` either: it fails the rule's gate
    // (`allow`).
    let (cols, err) = stats(&["--gates", "on"]);
    assert_eq!(&cols[1..4], ["5", "4", "0"], "{cols:?}");
    assert!(err.lines().next().unwrap().contains("evaluated"), "{err}");
    assert!(err
        .lines()
        .last()
        .unwrap()
        .starts_with("detect: 8 lines read"));
}
