//! `detect scan` reads ~1 MiB blocks of whole lines: line numbers, alerts and counts must not
//! depend on where the blocks are cut, on lines longer than a block, on the thread count or on
//! how the input arrives (a file mapped or read, or stdin).

mod common;

use std::fs;
use std::io::Write;
use std::process::{Command, Stdio};

const DETECT: &str = env!("CARGO_BIN_EXE_detect");

/// Matches the flagship rule (through its prefilter literal).
const MATCH: &str = r#"{"pad":"PAD","verb":"list","annotations":{"authorization.k8s.io/decision":"allow"},"impersonatedUser":{"username":"system:admin"},"user":{"username":"alice"}}"#;
/// Matches too, but only a `\u00XX` escape can tell the prefilter so.
const ESCAPED: &str = r#"{"pad":"PAD","verb":"get","annotations":{"authorization.k8s.io/decision":"allow"},"\u0069mpersonatedUser":{"username":"system:admin"},"user":{"username":"bob"}}"#;
/// Holds the literal but does not match (not allowed).
const NEAR: &str = r#"{"pad":"PAD","verb":"list","annotations":{"authorization.k8s.io/decision":"forbid"},"impersonatedUser":{"username":"system:admin"}}"#;
/// A candidate through an escape that hides a letter, not matching.
const ESCAPE_ONLY: &str = r#"{"pad":"PAD","verb":"list","user":{"username":"\u0061lice"}}"#;
/// Neither literal nor hiding escape (`\u0026` is `&`).
const PLAIN: &str = r#"{"pad":"PAD","verb":"list","user":{"username":"a\u0026b"}}"#;

/// A small xorshift generator.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// The input, the 1-based lines that must alert, the number of lines and how many of them the
/// prefilter lets through.
struct Input {
    bytes: Vec<u8>,
    alerts: Vec<usize>,
    lines: usize,
    candidates: usize,
}

fn input() -> Input {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let (mut bytes, mut alerts, mut candidates) = (Vec::new(), Vec::new(), 0);
    let mut line = 0;
    // About 20 MiB: many blocks, each cut somewhere else in a line, lines longer than a
    // block, and more than one step of a mapped file's pages mapped in and released.
    while bytes.len() < 20 << 20 {
        line += 1;
        let pad = match rng.below(400) {
            0 => (1 << 20) + rng.below(1 << 20) as usize,
            1..=20 => rng.below(64) as usize,
            _ => rng.below(4000) as usize,
        };
        let pad = "x".repeat(pad);
        let (template, alerts_here, candidate) = match rng.below(20) {
            0 => (MATCH, true, true),
            1 => (ESCAPED, true, true),
            2 => (NEAR, false, true),
            3 => (ESCAPE_ONLY, false, true),
            4 => ("", false, false),
            _ => (PLAIN, false, false),
        };
        if line == 1 || pad.len() > 1 << 20 {
            // The first line and the long ones alert, so a miscount shows up at once.
            bytes.extend_from_slice(MATCH.replace("PAD", &pad).as_bytes());
            alerts.push(line);
            candidates += 1;
        } else {
            bytes.extend_from_slice(template.replace("PAD", &pad).as_bytes());
            if alerts_here {
                alerts.push(line);
            }
            candidates += usize::from(candidate);
        }
        bytes.push(b'\n');
    }
    // A last line without its newline.
    line += 1;
    bytes.extend_from_slice(MATCH.replace("PAD", "end").as_bytes());
    alerts.push(line);
    candidates += 1;
    Input {
        bytes,
        alerts,
        lines: line,
        candidates,
    }
}

/// Runs `detect scan ARGS` with `stdin` on its standard input; returns the alerts' lines and
/// the summary.
fn scan(args: &[&str], stdin: Option<&[u8]>) -> (Vec<usize>, String) {
    let mut child = Command::new(DETECT)
        .arg("scan")
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("detect runs");
    let writer = stdin.map(|bytes| {
        let mut pipe = child.stdin.take().expect("stdin");
        let bytes = bytes.to_vec();
        std::thread::spawn(move || pipe.write_all(&bytes).expect("write stdin"))
    });
    let out = child.wait_with_output().expect("detect finishes");
    if let Some(w) = writer {
        w.join().expect("stdin writer");
    }
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "detect scan {args:?} failed:\n{stderr}"
    );
    let lines = String::from_utf8(out.stdout)
        .expect("alerts are UTF-8")
        .lines()
        .map(|alert| {
            let at = alert.find("\"line\":").expect("input.line") + 7;
            let digits: String = alert[at..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().expect("a line number")
        })
        .collect();
    let summary = stderr.lines().last().unwrap_or_default().to_owned();
    (lines, summary)
}

#[test]
fn line_numbers_and_counts_do_not_depend_on_block_cuts() {
    if common::other_rule_set() {
        return;
    }
    let input = input();
    let dir = std::env::temp_dir().join(format!("block_boundaries-{}", std::process::id()));
    fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("audit.ndjson");
    fs::write(&path, &input.bytes).expect("write input");
    let file = path.to_str().expect("UTF-8 path");

    let lines_read = format!("detect: {} lines read, ", input.lines);
    let skipped = format!(
        ", {} lines skipped by the prefilter",
        input.lines - input.candidates
    );
    let runs: [(&[&str], bool); 7] = [
        (&["--threads", "1", file], false),
        (&["--threads", "2", file], false),
        (&["--threads", "1", "--no-mmap", file], false),
        (&["--threads", "2", "--no-mmap", file], false),
        (&["--threads", "3", "-"], true),
        (&["--threads", "1", "-"], true),
        (&["--threads", "2", "--strict", file], false),
    ];
    for (args, from_stdin) in runs {
        let (alerts, summary) = scan(args, from_stdin.then_some(&input.bytes[..]));
        assert_eq!(alerts, input.alerts, "alert lines of detect scan {args:?}");
        assert!(
            summary.starts_with(&lines_read),
            "detect scan {args:?}: {summary}"
        );
        let alerts = format!(", {} alerts, 0 bad lines", input.alerts.len());
        assert!(summary.contains(&alerts), "detect scan {args:?}: {summary}");
        if !args.contains(&"--strict") {
            assert!(
                summary.ends_with(&skipped),
                "detect scan {args:?}: {summary}"
            );
        }
    }
    let _ = fs::remove_dir_all(&dir);
}
