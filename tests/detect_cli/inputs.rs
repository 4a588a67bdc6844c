//! Input handling: blank and bad lines with their numbers, CRLF line ends, several files and
//! stdin between them, unreadable inputs, empty input, and file names reported as given.

use super::{
    alert_lines, alerts, assert_summary, contains_bytes, expected, mentions, path_str, run, text,
    triples, TempDir, DETECT, NO_MATCH, ODD_MATCH,
};
use crate::common;
use std::fs;
use std::process::{Command, Output, Stdio};

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
