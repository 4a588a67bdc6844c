//! Integration tests for the `detect` binary: runs the real executable and pins down its
//! command-line contract (alerts on stdout, one summary line on stderr, bad lines, exit codes).

mod common;

use detections::runtime::Event;
use detections::RULES as RULE_SET;
/// The compiled rules.
static RULES: &[sigma_runtime::Rule] = RULE_SET.rules;
use serde_json::Value;
use std::fs::{self, File};
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

/// Blank and bad lines, then good lines whose line numbers must still be right.
fn mixed_input() -> Vec<u8> {
    let mut input = Vec::new();
    input.extend_from_slice(ODD_MATCH.as_bytes()); // 1: alert
    input.extend_from_slice(b"\n");
    input.extend_from_slice(b"\n"); // 2: empty
    input.extend_from_slice(b"   \t  \n"); // 3: whitespace only
    input.extend_from_slice(b"[1, 2, {\"verb\": \"list\"}]\n"); // 4: array
    input.extend_from_slice(b"\"a string\"\n"); // 5: string
    input.extend_from_slice(b"42\n"); // 6: number
    input.extend_from_slice(b"{\"kind\": \"Event\", \"verb\": \n"); // 7: truncated
    input.extend_from_slice(b"\xff\xfe{}\n"); // 8: invalid UTF-8
    input.extend_from_slice(b"{\"kind\":\"\xff\"}\n"); // 9: invalid UTF-8 in a string
    input.extend_from_slice(b"null\n"); // 10: null
    input.extend_from_slice(ODD_MATCH.as_bytes()); // 11: alert
    input.extend_from_slice(b"\n");
    input.extend_from_slice(NO_MATCH.as_bytes()); // 12: evaluated, no alert
    input.extend_from_slice(b"\n");
    input.extend_from_slice(ODD_MATCH.as_bytes()); // 13: alert, no final newline
    input
}

fn check_mixed(out: &Output, file: &str) {
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let got = triples(&alerts(out));
    let lines: Vec<u64> = got.iter().map(|t| t.1).collect();
    assert_eq!(lines, [1, 11, 13], "alert lines");
    assert!(got.iter().all(|t| t.0 == file), "input.file: {got:?}");
    assert_eq!(got, expected(file, &mixed_input()));
    for raw in alert_lines(out) {
        assert!(contains_bytes(raw, ODD_MATCH.as_bytes()), "{}", text(raw));
    }
    let stderr = text(&out.stderr);
    for bad in 4..=10 {
        assert!(
            mentions(&stderr, file, bad),
            "bad line {file}:{bad} not reported:\n{stderr}"
        );
    }
    for good in [1, 2, 3, 11, 12, 13] {
        assert!(
            !mentions(&stderr, file, good),
            "line {file}:{good} reported as bad:\n{stderr}"
        );
    }
    assert_summary(out, 13, 4, 3, 7);
}

#[test]
fn blank_lines_skipped_and_bad_lines_reported_from_file() {
    if common::other_rule_set() {
        return;
    }
    let tmp = TempDir::new("blank_lines_skipped_and_bad_lines_reported_from_file");
    let file = tmp.file("mixed.ndjson", &mixed_input());
    let out = run(&["scan", &file], None);
    check_mixed(&out, &file);
}

#[test]
fn blank_lines_skipped_and_bad_lines_reported_from_stdin() {
    if common::other_rule_set() {
        return;
    }
    let out = run(&["scan", "-"], Some(&mixed_input()));
    check_mixed(&out, "-");
}

#[test]
fn crlf_line_endings_are_not_part_of_the_event() {
    if common::other_rule_set() {
        return;
    }
    let tmp = TempDir::new("crlf_line_endings_are_not_part_of_the_event");
    let input = format!("{ODD_MATCH}\r\n\r\n{NO_MATCH}\r\n[1]\r\n{ODD_MATCH}\r\n");
    let file = tmp.file("crlf.ndjson", input.as_bytes());
    let out = run(&["scan", &file], None);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert!(
        !out.stdout.contains(&b'\r'),
        "stdout contains a CR: {:?}",
        text(&out.stdout)
    );
    let lines = alert_lines(&out);
    assert_eq!(lines.len(), 2, "stdout: {}", text(&out.stdout));
    for raw in &lines {
        assert!(contains_bytes(raw, ODD_MATCH.as_bytes()), "{}", text(raw));
    }
    let got = triples(&alerts(&out));
    let nums: Vec<u64> = got.iter().map(|t| t.1).collect();
    assert_eq!(nums, [1, 5]);
    assert!(
        mentions(&text(&out.stderr), &file, 4),
        "bad line 4 not reported"
    );
    assert_summary(&out, 5, 3, 2, 1);
}

#[test]
fn multiple_files_restart_line_numbers_and_unreadable_ones_fail() {
    if common::other_rule_set() {
        return;
    }
    let tmp = TempDir::new("multiple_files_restart_line_numbers_and_unreadable_ones_fail");
    let a_input = format!("{NO_MATCH}\n{ODD_MATCH}\n{ODD_MATCH}\n");
    let b_input = format!("{ODD_MATCH}\n\n[]\n{NO_MATCH}\n{ODD_MATCH}\n");
    let a = tmp.file("a.ndjson", a_input.as_bytes());
    let b = tmp.file("b.ndjson", b_input.as_bytes());
    let missing = tmp.path("missing.ndjson");
    let dir = tmp.path("a-directory");
    fs::create_dir(&dir).expect("create dir");

    let out = run(&["scan", &a, &missing, &dir, &b], None);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", text(&out.stderr));
    let mut want = expected(&a, a_input.as_bytes());
    want.extend(expected(&b, b_input.as_bytes()));
    let got = triples(&alerts(&out));
    assert_eq!(got, want);
    let located: Vec<(&str, u64)> = got.iter().map(|t| (t.0.as_str(), t.1)).collect();
    assert_eq!(
        located,
        [
            (a.as_str(), 2),
            (a.as_str(), 3),
            (b.as_str(), 1),
            (b.as_str(), 5)
        ]
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&missing),
        "missing file not reported:\n{stderr}"
    );
    assert!(stderr.contains(&dir), "directory not reported:\n{stderr}");
    assert!(
        mentions(&stderr, &b, 3),
        "bad line b:3 not reported:\n{stderr}"
    );
    assert_summary(&out, 8, 6, 4, 1);
}

#[test]
fn only_unreadable_inputs_fail_with_a_summary() {
    let tmp = TempDir::new("only_unreadable_inputs_fail_with_a_summary");
    let missing = tmp.path("missing.ndjson");
    let out = run(&["scan", &missing], None);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    assert!(text(&out.stderr).contains(&missing));
    assert_summary(&out, 0, 0, 0, 0);

    let out = run(&["scan", &path_str(&tmp.0)], None);
    assert_eq!(
        out.status.code(),
        Some(1),
        "directory: {}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    assert_summary(&out, 0, 0, 0, 0);
}

#[test]
fn stdin_between_files() {
    if common::other_rule_set() {
        return;
    }
    let tmp = TempDir::new("stdin_between_files");
    let a = tmp.file("a.ndjson", format!("{ODD_MATCH}\n").as_bytes());
    let b = tmp.file("b.ndjson", format!("\n{ODD_MATCH}\n").as_bytes());
    let stdin = format!("{NO_MATCH}\n{NO_MATCH}\n{ODD_MATCH}\n");
    let out = run(&["scan", &a, "-", &b], Some(stdin.as_bytes()));
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let got = triples(&alerts(&out));
    let located: Vec<(&str, u64)> = got.iter().map(|t| (t.0.as_str(), t.1)).collect();
    assert_eq!(located, [(a.as_str(), 1), ("-", 3), (b.as_str(), 2)]);
    assert_summary(&out, 6, 5, 3, 0);
}

#[test]
fn no_match_and_empty_input_exit_0() {
    let tmp = TempDir::new("no_match_and_empty_input_exit_0");
    let quiet = tmp.file("quiet.ndjson", format!("{NO_MATCH}\n{{}}\n").as_bytes());
    let empty = tmp.file("empty.ndjson", b"");
    let out = run(&["scan", &quiet, &empty], None);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    if !common::other_rule_set() {
        assert!(out.stdout.is_empty(), "stdout: {}", text(&out.stdout));
        assert_summary(&out, 2, 2, 0, 0);
    }

    let out = run(&["scan"], Some(b""));
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    assert_summary(&out, 0, 0, 0, 0);

    // Only bad lines: reported, but everything was read.
    let out = run(&["scan", "-"], Some(b"[]\nnope\n"));
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    assert_summary(&out, 2, 0, 0, 2);
}

#[test]
fn file_name_is_reported_as_given() {
    if common::other_rule_set() {
        return;
    }
    let tmp = TempDir::new("file_name_is_reported_as_given");
    tmp.file(
        "we\"ird \\ name.ndjson",
        format!("{ODD_MATCH}\n").as_bytes(),
    );
    let out = Command::new(DETECT)
        .args(["scan", "./we\"ird \\ name.ndjson"])
        .current_dir(&tmp.0)
        .stdin(Stdio::null())
        .output()
        .expect("run detect");
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let alerts = alerts(&out);
    assert_eq!(alerts.len(), 1, "stdout: {}", text(&out.stdout));
    assert_eq!(alerts[0]["input"]["file"], "./we\"ird \\ name.ndjson");
}

#[cfg(target_os = "linux")]
#[test]
fn write_failure_to_dev_full_fails() {
    if common::other_rule_set() {
        return;
    }
    let path = example_path();
    // Small output (fits in any buffer) and large output (written while scanning).
    let line1 = example_bytes()
        .split(|&b| b == b'\n')
        .next()
        .unwrap()
        .to_vec();
    let mut big = Vec::new();
    for _ in 0..500 {
        big.extend_from_slice(&line1);
        big.push(b'\n');
    }
    let tmp = TempDir::new("write_failure_to_dev_full_fails");
    let big_file = tmp.file("big.ndjson", &big);
    for file in [&path, &big_file] {
        let out = Command::new(DETECT)
            .args(["scan", file])
            .stdin(Stdio::null())
            .stdout(Stdio::from(
                File::create("/dev/full").expect("open /dev/full"),
            ))
            .stderr(Stdio::piped())
            .output()
            .expect("run detect");
        let stderr = text(&out.stderr);
        assert!(
            !out.status.success(),
            "{file} to /dev/full: {:?}",
            out.status
        );
        assert!(!stderr.contains("panicked"), "panic:\n{stderr}");
    }
}

#[test]
fn write_failure_to_closed_pipe_fails() {
    if common::other_rule_set() {
        return;
    }
    let bytes = example_bytes();
    let mut child = Command::new(DETECT)
        .args(["scan", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn detect");
    // Close the read end before the child sees any input, so no alert can be written.
    drop(child.stdout.take());
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin.write_all(&bytes);
    drop(stdin);
    let out = child.wait_with_output().expect("wait for detect");
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "closed stdout: {:?}", out.status);
    assert!(!stderr.contains("panicked"), "panic:\n{stderr}");
}

#[test]
fn prefilter_skips_lines_no_rule_can_match() {
    if common::other_rule_set() {
        return;
    }
    let literal = RULES
        .iter()
        .find_map(|r| r.prefilter.raw.map(|l| l[0]))
        .expect("a rule with a prefilter");
    let example =
        std::fs::read(common::root().join("examples/audit-events.ndjson")).expect("example");
    let mut input = example.clone();
    input.extend_from_slice(b"not json, and no literal\n[1,2]\n");
    let candidates = input
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty() && l.windows(literal.len()).any(|w| w == literal.as_bytes()))
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
