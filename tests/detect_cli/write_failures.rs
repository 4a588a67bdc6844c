//! Output that cannot be written (`/dev/full`, a closed pipe) fails without a panic.

use super::{example_bytes, example_path, text, TempDir, DETECT};
use crate::common;
use std::fs::File;
use std::io::Write;
use std::process::{Command, Stdio};

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
