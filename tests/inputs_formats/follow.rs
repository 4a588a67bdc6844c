//! `detect scan --follow`: alerts from lines appended to a file, across rotation and
//! truncation, from a file that does not exist yet, and a clean stop on SIGTERM.

use super::{s, synthetic, TempDir, DETECT};
use crate::common;
use serde_json::Value;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Waits until `path` holds at least `n` alert lines, and returns them.
fn wait_for_alerts(path: &Path, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<Value> = text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        if lines.len() >= n {
            return lines;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {n} alerts after 30 s: {text}",
            lines.len()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn append(path: &Path, bytes: &[u8]) {
    let mut f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(bytes).unwrap();
}

#[test]
fn inputs_follow_survives_rotation_and_truncation() {
    if common::other_rule_set() {
        return;
    }
    let Some(raw) = synthetic("flagship_cases.ndjson") else {
        return;
    };
    let cases: Vec<String> = fs::read_to_string(&raw)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let (pos, neg) = (format!("{}\n", cases[0]), format!("{}\n", cases[7]));
    let tmp = TempDir::new("follow");
    let log = tmp.path("audit.log");
    let out = tmp.path("alerts.ndjson");
    fs::write(&log, format!("{neg}{pos}")).unwrap();
    let mut child = Command::new(DETECT)
        .args(["scan", "--follow", "--poll-interval", "20", "--output"])
        .arg(&out)
        .arg(&log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let log_name = s(&log);
    wait_for_alerts(&out, 1);

    // Growth, including a line written in two parts.
    append(&log, neg.as_bytes());
    append(&log, &pos.as_bytes()[..40]);
    std::thread::sleep(Duration::from_millis(100));
    append(&log, &pos.as_bytes()[40..]);
    wait_for_alerts(&out, 2);

    // Rotation: the file is renamed, the writer finishes it, and a new file appears.
    let rotated = tmp.path("audit.log.1");
    fs::rename(&log, &rotated).unwrap();
    append(&rotated, pos.as_bytes()); // audit.log.1 line 5
    fs::write(&log, format!("{pos}{neg}{pos}")).unwrap(); // new audit.log lines 1 and 3
    wait_for_alerts(&out, 5);

    // Truncation: read again from the start.
    std::thread::sleep(Duration::from_millis(100));
    fs::write(&log, pos.as_bytes()).unwrap();
    let got = wait_for_alerts(&out, 6);

    // Rotation while the file is missing for a while.
    fs::remove_file(&log).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    fs::write(&log, format!("{neg}{neg}{pos}")).unwrap();
    let got2 = wait_for_alerts(&out, 7);
    assert_eq!(got, got2[..6]);

    signal_term(child.id());
    let status = wait(&mut child);
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "{status:?}\n{stderr}");
    let lines: Vec<(String, u64)> = got2
        .iter()
        .map(|a| {
            (
                a["input"]["file"].as_str().unwrap().to_owned(),
                a["input"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    let l = |n| (log_name.clone(), n);
    // The old file keeps its name (the one followed) until the switch.
    assert_eq!(
        lines,
        [l(2), l(4), l(5), l(1), l(3), l(1), l(3)],
        "{stderr}"
    );
    assert!(
        stderr.contains("replaced; following the new file"),
        "{stderr}"
    );
    assert!(
        stderr.contains("truncated; reading from the start"),
        "{stderr}"
    );
    assert!(
        stderr.lines().last().unwrap().contains("7 alerts"),
        "{stderr}"
    );
}

fn signal_term(pid: u32) {
    assert!(Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap()
        .success());
}

fn wait(child: &mut std::process::Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("detect --follow did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn inputs_follow_waits_for_a_missing_file() {
    if common::other_rule_set() {
        return;
    }
    let Some(raw) = synthetic("flagship_cases.ndjson") else {
        return;
    };
    let first = fs::read_to_string(&raw)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned();
    let tmp = TempDir::new("follow_missing");
    let log = tmp.path("later.log");
    let out = tmp.path("alerts.ndjson");
    let mut child = Command::new(DETECT)
        .args(["scan", "-f", "--poll-interval", "20", "-o"])
        .arg(&out)
        .arg(&log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    fs::write(&log, format!("{first}\n")).unwrap();
    wait_for_alerts(&out, 1);
    signal_term(child.id());
    assert!(wait(&mut child).success());
}
