//! `detect`: runs every compiled Sigma rule over audit events.
//!
//! Exit codes: 0 when every input was read (whether or not anything matched), 1 when an
//! input could not be read or the alerts could not be written, 2 for bad usage.

use clap::{Parser, Subcommand};
use detections::runtime::{Event, Rule};
use detections::RULES;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "detect",
    version,
    about = "Run compiled Sigma detections over Kubernetes audit events"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan JSON lines (one audit event per line) and print one JSON alert per rule match.
    ///
    /// Alerts go to stdout as `{"rule": {...}, "input": {"file", "line"}, "event": {...}}`;
    /// a summary line goes to stderr. Blank lines are skipped; lines that are not JSON
    /// objects are counted and reported, and the scan goes on.
    #[command(
        after_help = "Examples:\n  detect scan examples/audit-events.ndjson\n  kubectl logs ... | detect scan -"
    )]
    Scan {
        /// Files to read; `-` or nothing reads stdin.
        files: Vec<std::ffi::OsString>,
    },
}

/// Counters for the summary line.
#[derive(Default)]
struct Stats {
    lines: u64,
    events: u64,
    alerts: u64,
    bad: u64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan { files } => scan(&files),
    }
}

fn scan(files: &[std::ffi::OsString]) -> ExitCode {
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut stats = Stats::default();
    let mut failed = false;
    let dash = std::ffi::OsString::from("-");
    let inputs: Vec<&std::ffi::OsString> = if files.is_empty() {
        vec![&dash]
    } else {
        files.iter().collect()
    };
    for path in inputs {
        // Named as given; a name that is not UTF-8 is shown with replacement characters.
        let name = &*path.to_string_lossy();
        let result = if *path == dash {
            scan_reader(name, io::stdin().lock(), &mut out, &mut stats)
        } else {
            match File::open(path) {
                Ok(f) => scan_reader(
                    name,
                    BufReader::with_capacity(1 << 16, f),
                    &mut out,
                    &mut stats,
                ),
                Err(e) => Err(Failure::Read(e)),
            }
        };
        match result {
            Ok(()) => {}
            Err(Failure::Read(e)) => {
                eprintln!("detect: {name}: cannot read: {e}");
                failed = true;
            }
            Err(Failure::Write(e)) => {
                eprintln!("detect: cannot write alerts: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if let Err(e) = out.flush() {
        eprintln!("detect: cannot write alerts: {e}");
        return ExitCode::FAILURE;
    }
    eprintln!(
        "detect: {} lines read, {} events evaluated, {} alerts, {} bad lines",
        stats.lines, stats.events, stats.alerts, stats.bad
    );
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

enum Failure {
    Read(io::Error),
    Write(io::Error),
}

fn scan_reader(
    name: &str,
    mut input: impl BufRead,
    out: &mut impl Write,
    stats: &mut Stats,
) -> Result<(), Failure> {
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf).map_err(Failure::Read)? == 0 {
            return Ok(());
        }
        line_no += 1;
        stats.lines += 1;
        let line = trim_json_whitespace(&buf);
        if line.is_empty() {
            continue;
        }
        let event = match Event::parse_bytes(line) {
            Ok(ev) => ev,
            Err(e) => {
                stats.bad += 1;
                eprintln!("detect: {name}:{line_no}: bad line: {e}");
                continue;
            }
        };
        stats.events += 1;
        for rule in RULES {
            if (rule.matches)(&event) {
                stats.alerts += 1;
                write_alert(out, rule, name, line_no, line).map_err(Failure::Write)?;
            }
        }
    }
}

fn write_alert(
    out: &mut impl Write,
    rule: &Rule,
    file: &str,
    line: u64,
    event: &[u8],
) -> io::Result<()> {
    let info = rule.info;
    let json = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned());
    let level = info
        .level
        .map_or_else(|| "null".to_owned(), |l| json(l.as_str()));
    let tags: Vec<String> = info.tags.iter().map(|t| json(t)).collect();
    write!(
        out,
        "{{\"rule\":{{\"id\":{},\"title\":{},\"level\":{},\"tags\":[{}]}},\"input\":{{\"file\":{},\"line\":{}}},\"event\":",
        json(info.id),
        json(info.title),
        level,
        tags.join(","),
        json(file),
        line
    )?;
    out.write_all(event)?;
    out.write_all(b"}\n")
}

/// Strips the whitespace JSON allows around a value (space, tab, CR, LF) and nothing else.
fn trim_json_whitespace(mut line: &[u8]) -> &[u8] {
    let ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    while let [first, rest @ ..] = line {
        if !ws(first) {
            break;
        }
        line = rest;
    }
    while let [rest @ .., last] = line {
        if !ws(last) {
            break;
        }
        line = rest;
    }
    line
}
