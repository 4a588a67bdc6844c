//! Integration tests for the `detect` binary: runs the real executable and pins down its
//! command-line contract (alerts on stdout, one summary line on stderr, bad lines, exit codes).
//!
//! The helpers, usage and alert tests are here; input handling and write failures are in
//! `detect_cli/`.

mod common;
#[path = "detect_cli/inputs.rs"]
mod inputs;
#[path = "detect_cli/write_failures.rs"]
mod write_failures;

use detections::runtime::Event;
use detections::RULES as RULE_SET;
/// The compiled rules.
static RULES: &[sigma_runtime::Rule] = RULE_SET.rules;
use serde_json::Value;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const DETECT: &str = env!("CARGO_BIN_EXE_detect");

/// An event that the shipped rule matches, written so that re-serialising it would change its
/// bytes: keys out of order, spaces around `:` and `,`, `\/` and `\u0061` escapes.
const ODD_MATCH: &str = r#"{ "verb" : "list",  "annotations":{"authorization.k8s.io\/decision" :"allow"}, "impersonatedUser": {"username": "system:\u0061dmin", "groups" : [ ]}, "user":{"username":"alice\/dev"}, "kind":"Event" }"#;

/// A JSON object that the shipped rule does not match.
const NO_MATCH: &str = r#"{"kind":"Event","verb":"list","user":{"username":"alice"}}"#;

/// A per-test directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("detect_cli-{test}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    /// Writes `bytes` to `name` inside the directory and returns the path as a string.
    fn file(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.0.join(name);
        fs::write(&path, bytes).expect("write temp file");
        path_str(&path)
    }

    fn path(&self, name: &str) -> String {
        path_str(&self.0.join(name))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn path_str(path: &Path) -> String {
    path.to_str().expect("UTF-8 temp path").to_owned()
}

fn example_path() -> String {
    path_str(&common::root().join("examples").join("audit-events.ndjson"))
}

fn example_bytes() -> Vec<u8> {
    fs::read(example_path()).expect("read examples/audit-events.ndjson")
}

/// Runs `detect` with `args`, feeding `stdin` (or nothing: stdin is then closed/empty).
/// Runs `detect`. `scan` gets `--strict`: these tests pin down that every line is parsed and
/// every bad line counted; `prefilter_skips_lines_no_rule_can_match` covers the default.
fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut args: Vec<&str> = args.to_vec();
    if args.first() == Some(&"scan") && !args.contains(&"--strict") {
        args.insert(1, "--strict");
    }
    run_exact(&args, stdin)
}

fn run_exact(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(DETECT)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn detect");
    let mut pipe = child.stdin.take().expect("stdin pipe");
    let input = stdin.unwrap_or_default().to_vec();
    let writer = std::thread::spawn(move || {
        // The child may legitimately stop reading early; ignore a broken pipe.
        let _ = pipe.write_all(&input);
    });
    let output = child.wait_with_output().expect("wait for detect");
    writer.join().expect("stdin writer thread");
    output
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The stdout lines (alerts), without their `\n`.
fn alert_lines(out: &Output) -> Vec<&[u8]> {
    let stdout = &out.stdout[..];
    if stdout.is_empty() {
        return Vec::new();
    }
    assert!(
        stdout.ends_with(b"\n"),
        "stdout does not end with a newline: {}",
        text(stdout)
    );
    stdout[..stdout.len() - 1].split(|&b| b == b'\n').collect()
}

/// Every alert parsed as JSON, checking the nested shape on the way.
fn alerts(out: &Output) -> Vec<Value> {
    alert_lines(out)
        .into_iter()
        .map(|line| {
            let v: Value = serde_json::from_slice(line).unwrap_or_else(|e| {
                panic!("alert is not JSON ({e}): {}", text(line));
            });
            check_shape(&v);
            v
        })
        .collect()
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect();
    k.sort_unstable();
    k
}

fn check_shape(v: &Value) {
    assert_eq!(keys(v), ["event", "input", "rule"], "alert keys: {v}");
    assert_eq!(
        keys(&v["rule"]),
        ["id", "level", "tags", "title"],
        "rule keys: {v}"
    );
    assert_eq!(keys(&v["input"]), ["file", "line"], "input keys: {v}");
    assert!(v["rule"]["id"].is_string(), "rule.id: {v}");
    assert!(v["rule"]["title"].is_string(), "rule.title: {v}");
    assert!(
        v["rule"]["level"].is_string() || v["rule"]["level"].is_null(),
        "rule.level: {v}"
    );
    assert!(
        v["rule"]["tags"]
            .as_array()
            .is_some_and(|t| t.iter().all(Value::is_string)),
        "rule.tags: {v}"
    );
    assert!(v["input"]["file"].is_string(), "input.file: {v}");
    assert!(
        v["input"]["line"].as_u64().is_some_and(|n| n >= 1),
        "input.line: {v}"
    );
    assert!(v["event"].is_object(), "event: {v}");
}

/// `(file, line, rule id)` of every alert, in output order.
fn triples(alerts: &[Value]) -> Vec<(String, u64, String)> {
    alerts
        .iter()
        .map(|a| {
            (
                a["input"]["file"].as_str().unwrap().to_owned(),
                a["input"]["line"].as_u64().unwrap(),
                a["rule"]["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// What the alerts must be for `input` read as `file`, per the library's own matchers: for each
/// line in order, one alert per matching rule in `RULES` order.
fn expected(file: &str, input: &[u8]) -> Vec<(String, u64, String)> {
    let mut out = Vec::new();
    for (i, line) in input.split(|&b| b == b'\n').enumerate() {
        let Ok(event) = Event::parse_bytes(line.trim_ascii()) else {
            continue;
        };
        for rule in RULES {
            if (rule.matches)(&event) {
                out.push((file.to_owned(), i as u64 + 1, rule.info.id.to_owned()));
            }
        }
    }
    out
}

fn summary(lines: u64, events: u64, alerts: u64, bad: u64) -> String {
    format!(
        "detect: {lines} lines read, {events} events evaluated, {alerts} alerts, {bad} bad lines"
    )
}

/// Asserts that stderr ends with exactly this summary line and has no other summary line.
fn assert_summary(out: &Output, lines: u64, events: u64, alerts: u64, bad: u64) {
    let stderr = text(&out.stderr);
    let want = summary(lines, events, alerts, bad);
    let last = stderr.lines().last().unwrap_or_default();
    assert_eq!(last, want, "last stderr line; stderr was:\n{stderr}");
    let count = stderr
        .lines()
        .filter(|l| l.contains(" lines read, "))
        .count();
    assert_eq!(count, 1, "summary lines on stderr:\n{stderr}");
}

/// True when `haystack` mentions `FILE:LINE` (not followed by another digit).
fn mentions(haystack: &str, file: &str, line: u64) -> bool {
    let needle = format!("{file}:{line}");
    haystack.match_indices(&needle).any(|(i, _)| {
        !haystack[i + needle.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
    })
}

fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

fn rule_ids() -> Vec<&'static str> {
    RULES.iter().map(|r| r.info.id).collect()
}

#[test]
fn help_mentions_scan() {
    let top = run(&["--help"], None);
    assert!(top.status.success(), "detect --help: {:?}", top.status);
    assert!(
        text(&top.stdout).contains("scan"),
        "detect --help: {}",
        text(&top.stdout)
    );

    let sub = run(&["scan", "--help"], None);
    assert!(sub.status.success(), "detect scan --help: {:?}", sub.status);
    assert!(
        text(&sub.stdout).contains("scan"),
        "detect scan --help: {}",
        text(&sub.stdout)
    );
}

#[test]
fn bad_usage_exits_2() {
    for args in [
        &["no-such-subcommand"][..],
        &["scan", "--no-such-flag"][..],
        &[][..],
    ] {
        let out = run(args, Some(ODD_MATCH.as_bytes()));
        assert_eq!(
            out.status.code(),
            Some(2),
            "detect {args:?}: {:?}",
            out.status
        );
        assert!(out.stdout.is_empty(), "detect {args:?} wrote alerts");
    }
}

#[test]
fn examples_file_gives_four_alerts() {
    if common::other_rule_set() {
        return;
    }
    let path = example_path();
    let bytes = example_bytes();
    let source: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    let out = run(&["scan", &path], None);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));

    let alerts = alerts(&out);
    let lines: Vec<u64> = alerts
        .iter()
        .map(|a| a["input"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [1, 2, 3, 8], "alert lines");
    for (alert, raw) in alerts.iter().zip(alert_lines(&out)) {
        assert_eq!(alert["input"]["file"], path.as_str());
        assert_eq!(alert["rule"]["level"], "high");
        assert_eq!(alert["rule"]["id"], RULES[0].info.id);
        assert_eq!(alert["rule"]["title"], RULES[0].info.title);
        let tags: Vec<&str> = alert["rule"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert!(tags.contains(&"attack.t1134"), "tags: {tags:?}");
        assert_eq!(tags, RULES[0].info.tags, "tags in the rule's order");
        // The event is the source line, byte for byte.
        let n = alert["input"]["line"].as_u64().unwrap() as usize;
        let original = source[n - 1];
        assert!(
            contains_bytes(raw, original),
            "alert does not embed line {n} verbatim: {}",
            text(raw)
        );
        let original: Value = serde_json::from_slice(original).unwrap();
        assert_eq!(alert["event"], original, "event of line {n}");
    }
    assert_summary(&out, 8, 8, 4, 0);
}

#[test]
fn alerts_follow_input_order_and_rules_order() {
    if common::other_rule_set() {
        return;
    }
    let path = example_path();
    let bytes = example_bytes();
    let out = run(&["scan", &path], None);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let got = triples(&alerts(&out));
    let want = expected(&path, &bytes);
    assert_eq!(want.len(), 4, "oracle sanity: RULES ids {:?}", rule_ids());
    assert_eq!(got, want);
    // Every alert names a compiled rule.
    let ids = rule_ids();
    for (_, _, id) in &got {
        assert!(ids.contains(&id.as_str()), "unknown rule id {id}");
    }
}

#[test]
fn stdin_is_read_with_dash_or_no_file() {
    if common::other_rule_set() {
        return;
    }
    let bytes = example_bytes();
    for args in [&["scan"][..], &["scan", "-"][..]] {
        let out = run(args, Some(&bytes));
        assert_eq!(out.status.code(), Some(0), "detect {args:?}");
        let got = triples(&alerts(&out));
        assert_eq!(got, expected("-", &bytes), "detect {args:?}");
        assert_eq!(got.len(), 4, "detect {args:?}");
        assert_summary(&out, 8, 8, 4, 0);
    }
}

#[test]
fn event_is_embedded_verbatim() {
    if common::other_rule_set() {
        return;
    }
    let tmp = TempDir::new("event_is_embedded_verbatim");
    let input = format!("{NO_MATCH}\n{ODD_MATCH}\n");
    let file = tmp.file("odd.ndjson", input.as_bytes());
    let out = run(&["scan", &file], None);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let lines = alert_lines(&out);
    assert_eq!(lines.len(), 1, "stdout: {}", text(&out.stdout));
    assert!(
        contains_bytes(lines[0], ODD_MATCH.as_bytes()),
        "event not verbatim: {}",
        text(lines[0])
    );
    let alert = &alerts(&out)[0];
    assert_eq!(alert["input"]["line"], 2);
    assert_eq!(alert["input"]["file"], file.as_str());
    let original: Value = serde_json::from_str(ODD_MATCH).unwrap();
    assert_eq!(alert["event"], original);
    assert_eq!(
        alert["event"]["impersonatedUser"]["username"],
        "system:admin"
    );
    assert_summary(&out, 2, 2, 1, 0);
}

#[test]
fn prefilter_skips_lines_no_rule_can_match() {
    if common::other_rule_set() {
        return;
    }
    // A line is a candidate when it holds a literal of some rule (`(?i)` ones in any ASCII
    // case).
    let literals: Vec<&str> = RULES
        .iter()
        .flat_map(|r| r.prefilter.raw.expect("every shipped rule has a prefilter"))
        .copied()
        .collect();
    let holds = |line: &[u8]| {
        literals.iter().any(|l| match l.strip_prefix("(?i)") {
            Some(ci) => line
                .windows(ci.len())
                .any(|w| w.eq_ignore_ascii_case(ci.as_bytes())),
            None => line.windows(l.len()).any(|w| w == l.as_bytes()),
        })
    };
    let example =
        std::fs::read(common::root().join("examples/audit-events.ndjson")).expect("example");
    let mut input = example.clone();
    input.extend_from_slice(b"not json, and no literal\n[1,2]\n");
    let candidates = input
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty() && holds(l))
        .count() as u64;
    let lines = input
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .count() as u64;
    let fast = run_exact(&["scan", "-"], Some(&input));
    let strict = run_exact(&["scan", "--strict", "-"], Some(&input));
    assert!(fast.status.success() && strict.status.success());
    assert_eq!(
        fast.stdout, strict.stdout,
        "the prefilter must not change the alerts"
    );
    let last = text(&fast.stderr)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        last,
        format!(
            "{}, {} lines skipped by the prefilter",
            summary(lines, candidates, 4, 0),
            lines - candidates
        ),
        "{}",
        text(&fast.stderr)
    );
    // The skipped bad lines are not parsed, so not reported; --strict reports them.
    assert!(!text(&fast.stderr).contains(": bad line:"));
    assert!(text(&strict.stderr).contains(&format!("-:{}: bad line", lines)));
}
