//! Case (d): the whole SigmaHQ corpus (`../shared/data/sigmahq-full`, 3,780 rules) compiled
//! into one `detect`, run over a mixed stream of the events those rules read
//! (`sigma_bench::sigmahq`), against rsigma-eval 0.23 evaluating the same rules in-process.
//!
//! What it prints: how long generating and building `detect` took, the largest process of
//! that build and the binary's size; events/s of `detect scan --input-format json` on one
//! and two threads and of rsigma on one, with `detect`'s peak RSS; and the (event, rule)
//! pairs each engine found, with the rules on which they disagree and a guess at why.
//!
//! At the end, issue 11's targets for this case (`report::print_sigmahq_targets`).
//!
//! By job: `child.rs` runs a process (time, peak RSS), `build.rs` builds `detect` and tells
//! what the build compiled, `peer.rs` is rsigma, `compare.rs` the pairs and their report.

mod build;
mod child;
mod compare;
mod peer;

pub(crate) use build::{BuildInfo, Compiled};

use crate::cases::{Case, EngineSpec, Kind};
use crate::measure::{for_each_line, utf8, Sample};
use crate::number::fmt_int;
use crate::report::{print_case, print_sigmahq_targets, Sigmahq};
use crate::setup::{load_note, stage_rules};
use sigma_bench::corpus;
use sigma_bench::sigmahq::{self, rules, SOURCES};
use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// What the command line says about this case.
pub(crate) struct Options {
    pub(crate) events: u64,
    pub(crate) runs: usize,
    pub(crate) seed: u64,
    /// Make cargo regenerate and recompile the rule set, so that the build time printed is
    /// that of generating and compiling 3,780 rules (otherwise cargo may find it up to date).
    pub(crate) rebuild: bool,
    pub(crate) corpus_only: bool,
}

/// The corpus directory: `SIGMA_BENCH_SIGMAHQ_DIR`, else `../shared/data/sigmahq-full`
/// beside the workspace.
fn corpus_dir(root: &Path) -> PathBuf {
    match std::env::var_os("SIGMA_BENCH_SIGMAHQ_DIR") {
        Some(d) => PathBuf::from(d),
        None => root.join("../shared/data/sigmahq-full"),
    }
}

pub(crate) fn run(
    opts: &Options,
    root: &Path,
    target: &Path,
    cores: usize,
) -> Result<bool, String> {
    let dir = corpus_dir(root);
    if !dir.is_dir() {
        return Err(format!(
            "case (d): no SigmaHQ corpus at {} (set SIGMA_BENCH_SIGMAHQ_DIR)",
            dir.display()
        ));
    }
    let dir = dir.canonicalize().map_err(|e| e.to_string())?;
    let placeholders_path = root.join("tests/fixtures/corpus/placeholders.json");
    let placeholders = rules::read_placeholders(&placeholders_path)
        .map_err(|e| format!("{}: {e}", placeholders_path.display()))?;

    // The rules, as the generator reads them.
    let t = Instant::now();
    let loaded = rules::load_dir(&dir, &placeholders).map_err(|e| e.to_string())?;
    println!();
    println!(
        "case (d) SigmaHQ corpus: {} rules under {} read in {:.1} s{}",
        fmt_int(loaded.rules.len() as u64),
        dir.display(),
        t.elapsed().as_secs_f64(),
        if loaded.skipped.is_empty() {
            String::new()
        } else {
            format!(
                " ({} files not read: {:?})",
                loaded.skipped.len(),
                loaded.skipped
            )
        }
    );

    // The stream.
    let t = Instant::now();
    let (stream, stats, cached) = sigmahq::ensure_stream(
        &target.join("bench-corpus"),
        opts.events,
        opts.seed,
        &loaded.rules,
        loaded.fingerprint,
    )
    .map_err(|e| format!("cannot write the stream: {e}"))?;
    println!(
        "stream: {} ({}, {:.1} s)\n  {} events, {:.1} MB, {:.0} B/event; {} made from one rule ({} with one of its filters), {} single rule literals in fields",
        stream.display(),
        if cached { "reused" } else { "generated" },
        t.elapsed().as_secs_f64(),
        fmt_int(stats.events),
        stats.bytes as f64 / 1e6,
        stats.bytes as f64 / stats.events as f64,
        fmt_int(stats.rule_seeded),
        fmt_int(stats.filter_seeded),
        fmt_int(stats.field_literals)
    );
    let mix: Vec<String> = SOURCES
        .iter()
        .zip(&stats.per_source)
        .map(|(s, n)| format!("{} {}", s.name, fmt_int(*n)))
        .collect();
    println!("  by log source: {}", mix.join(", "));
    if opts.corpus_only {
        return Ok(true);
    }
    let sources = sigmahq::read_sources(&stream).map_err(|e| e.to_string())?;

    // Rules staged flat (their file names are unique) and detect built from them.
    let files = rules::rule_files(&dir).map_err(|e| e.to_string())?;
    let mut by_name: BTreeMap<String, &Path> = BTreeMap::new();
    for f in &files {
        let name = f
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if let Some(prev) = by_name.insert(name.clone(), f) {
            return Err(format!(
                "two rule files are named {name} ({} and {}): staging flattens by name",
                prev.display(),
                f.display()
            ));
        }
    }
    let staged = target.join("bench-build").join("rules").join("sigmahq");
    stage_rules(&staged, &files).map_err(|e| format!("cannot stage rules: {e}"))?;
    if opts.rebuild {
        build::touch(&staged.join(by_name.keys().next().ok_or("no rules")?))?;
    }
    let (bin, build_info) = build::build(root, target, &staged, &placeholders_path, opts.rebuild)?;
    let help = Command::new(&bin)
        .args(["scan", "--help"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let threads_flag = help.contains("--threads");

    // Warm the page cache.
    let mut bytes = 0u64;
    for_each_line(&stream, |l| bytes += l.len() as u64 + 1).map_err(|e| e.to_string())?;

    // rsigma.
    let t = Instant::now();
    let named: Vec<(String, PathBuf)> = files
        .iter()
        .map(|f| {
            (
                f.strip_prefix(&dir)
                    .unwrap_or(f)
                    .to_string_lossy()
                    .into_owned(),
                f.clone(),
            )
        })
        .collect();
    let mut notes = Vec::new();
    let peer = match peer::load(&named, &placeholders, SOURCES) {
        Ok(p) => {
            notes.push(format!(
                "rsigma-eval loaded {} rules in {:.1} s (placeholders given as its pipeline's `vars`, expanded by `value_placeholders`){}",
                fmt_int(p.rules as u64),
                t.elapsed().as_secs_f64(),
                if p.rejected.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; it rejected {}: {}",
                        p.rejected.len(),
                        p.rejected
                            .iter()
                            .map(|(f, e)| format!("{f} ({e})"))
                            .collect::<Vec<_>>()
                            .join("; ")
                    )
                }
            ));
            Some(p)
        }
        Err(e) => {
            notes.push(e);
            None
        }
    };

    // Timed runs, interleaved.
    let mut engines = vec![EngineSpec::new(
        if threads_flag {
            "detect scan --input-format json --threads 1"
        } else {
            "detect scan --input-format json"
        },
        Kind::Ours,
    )];
    if threads_flag {
        engines.push(EngineSpec::new(
            "detect scan --input-format json --threads 2",
            Kind::OursParallel,
        ));
    }
    if peer.is_some() {
        engines.push(EngineSpec::new(
            "rsigma-eval 0.23, evaluate_with_logsource",
            Kind::Rsigma,
        ));
    }
    for run in 0..opts.runs {
        for e in engines.iter_mut().filter(|e| e.error.is_none()) {
            let sample = match e.kind {
                Kind::Ours => run_detect(&bin, threads_flag.then_some(1), &stream),
                Kind::OursParallel => run_detect(&bin, Some(2), &stream),
                _ => match &peer {
                    Some(p) => rsigma_scan(p, &stream, &sources),
                    None => Err("rsigma-eval not loaded".into()),
                },
            };
            match sample {
                Ok(s) => e.samples.push(s),
                Err(err) => e.error = Some(err),
            }
        }
        eprint!("\r  case (d): run {}/{} done", run + 1, opts.runs);
    }
    eprintln!();
    let mut case = Case {
        id: 'd',
        title: "SigmaHQ corpus, mixed Windows/Linux/CloudTrail stream".into(),
        rules: loaded.rules.len(),
        engines,
        notes,
    };
    let mut ok = case.engines.iter().all(|e| e.error.is_none());
    for e in &case.engines {
        if let Some(err) = &e.error {
            case.notes.push(format!("{} failed: {err}", e.name));
        }
    }
    let eps = |k: Kind| {
        case.engine(k)
            .and_then(EngineSpec::median_secs)
            .map(|s| stats.events as f64 / s)
    };
    let show = |x: Option<f64>| x.map_or("—".to_string(), |r| format!("{r:.2}×"));
    let (one, two, rs) = (eps(Kind::Ours), eps(Kind::OursParallel), eps(Kind::Rsigma));
    case.notes.push(format!(
        "detect 1 thread ÷ rsigma-eval: {}; detect 2 threads ÷ 1 thread: {}",
        show(one.zip(rs).map(|(a, b)| a / b)),
        show(two.zip(one).map(|(a, b)| a / b))
    ));

    // Untimed passes: every (event, rule) pair of each engine.
    match detect_pairs(&bin, threads_flag, &stream) {
        Ok((ours, table)) => {
            let theirs = peer.as_ref().map(|p| rsigma_pairs(p, &stream, &sources));
            match theirs {
                Some(Ok(theirs)) => {
                    let report = compare::Report::new(
                        &ours,
                        &theirs,
                        &table,
                        &loaded.rules,
                        peer.as_ref().map_or(&[][..], |p| &p.rejected),
                        &sources,
                    );
                    let tsv = stream.with_extension("disagreements.tsv");
                    if let Err(e) = fs::write(&tsv, report.tsv()) {
                        case.notes
                            .push(format!("cannot write {}: {e}", tsv.display()));
                    }
                    case.notes.extend(report.notes(&tsv));
                    case.notes.push(peer::probes());
                }
                Some(Err(e)) => case
                    .notes
                    .push(format!("rsigma-eval pairs unavailable: {e}")),
                None => case.notes.push(format!(
                    "detect found {} (event, rule) pairs; no peer to compare with",
                    fmt_int(ours.len() as u64)
                )),
            }
        }
        Err(e) => {
            ok = false;
            case.notes.push(format!("detect's alerts unavailable: {e}"));
        }
    }
    case.notes
        .push(format!("after this case: {}", load_note(cores)));
    let k8s_stats = corpus::Stats {
        events: stats.events,
        bytes: stats.bytes,
        ..corpus::Stats::default()
    };
    print_case(&case, &k8s_stats, opts.runs);
    print_sigmahq_targets(&Sigmahq {
        case: &case,
        events: stats.events,
        runs: opts.runs,
        threads_flag,
        build: &build_info,
    });
    Ok(ok)
}

/// The alert count from `detect: … N alerts …` on stderr.
fn summary_alerts(stderr: &str) -> Option<u64> {
    let line = stderr.lines().rev().find(|l| l.starts_with("detect:"))?;
    line.trim_start_matches("detect:")
        .split(',')
        .find_map(|part| {
            let mut words = part.split_whitespace();
            let n = words.next()?.replace(',', "");
            matches!(words.next(), Some("alerts" | "alert")).then(|| n.parse().ok())?
        })
}

/// One timed run of `detect scan --input-format json` over the stream, alerts to /dev/null.
fn run_detect(bin: &Path, threads: Option<usize>, stream: &Path) -> Result<Sample, String> {
    let mut cmd = Command::new(bin);
    cmd.args(["scan", "--input-format", "json"]);
    if let Some(t) = threads {
        cmd.args(["--threads", &t.to_string()]);
    }
    cmd.arg(stream).stdout(Stdio::null());
    let (done, ()) = child::run(&mut cmd, |_| ())?;
    let count = summary_alerts(&done.stderr)
        .ok_or_else(|| format!("no alert count in detect's summary: {}", done.stderr))?;
    Ok(Sample {
        secs: done.secs,
        count,
        max_rss_kib: Some(done.max_rss_kib),
    })
}

/// One timed pass of rsigma over the stream: (event, rule) pairs.
fn rsigma_scan(peer: &peer::Peer, stream: &Path, sources: &[u8]) -> Result<Sample, String> {
    let t = Instant::now();
    let mut n = 0u64;
    let mut i = 0usize;
    let mut ids = Vec::new();
    for_each_line(stream, |line| {
        if let Some(s) = utf8(line) {
            peer.matches(s, usize::from(sources[i]), &mut ids);
            n += ids.len() as u64;
        }
        i += 1;
    })
    .map_err(|e| e.to_string())?;
    Ok(Sample {
        secs: t.elapsed().as_secs_f64(),
        count: n,
        max_rss_kib: None,
    })
}

/// (line number, rule id), as detect's alerts and rsigma's results give them.
pub(crate) type Pair = (u64, String);

/// `detect --stats`: rule id → (events evaluated, alerts).
pub(crate) type RuleTable = BTreeMap<String, (u64, u64)>;

#[derive(serde::Deserialize)]
struct Alert {
    rule: AlertRule,
    input: AlertInput,
}

#[derive(serde::Deserialize)]
struct AlertRule {
    id: String,
}

#[derive(serde::Deserialize)]
struct AlertInput {
    line: u64,
}

/// `detect scan --input-format json --stats` on one thread: every alert's (line, rule id),
/// and the per-rule table (rule id → events evaluated, alerts).
fn detect_pairs(
    bin: &Path,
    threads_flag: bool,
    stream: &Path,
) -> Result<(Vec<Pair>, RuleTable), String> {
    let mut cmd = Command::new(bin);
    cmd.args(["scan", "--input-format", "json", "--stats"]);
    if threads_flag {
        cmd.args(["--threads", "1"]);
    }
    cmd.arg(stream).stdout(Stdio::piped());
    let (done, pairs) = child::run(&mut cmd, |out| -> Result<Vec<Pair>, String> {
        let mut pairs = Vec::new();
        let Some(out) = out else { return Ok(pairs) };
        for line in BufReader::with_capacity(1 << 20, out).lines() {
            let line = line.map_err(|e| e.to_string())?;
            let a: Alert = serde_json::from_str(&line)
                .map_err(|e| format!("an alert is not what was expected ({e}): {line}"))?;
            pairs.push((a.input.line, a.rule.id));
        }
        Ok(pairs)
    })?;
    let pairs = pairs?;
    let mut table = BTreeMap::new();
    let mut in_table = false;
    for line in done.stderr.lines() {
        if line.starts_with("rule id") {
            in_table = true;
            continue;
        }
        if !in_table || line.starts_with("detect:") {
            continue;
        }
        let mut w = line.split_whitespace();
        if let (Some(id), Some(ev), Some(al)) = (w.next(), w.next(), w.next()) {
            if let (Ok(ev), Ok(al)) = (ev.replace(',', "").parse(), al.replace(',', "").parse()) {
                table.insert(id.to_owned(), (ev, al));
            }
        }
    }
    let summary = summary_alerts(&done.stderr);
    if summary != Some(pairs.len() as u64) {
        return Err(format!(
            "detect's summary says {summary:?} alerts, its output holds {}",
            pairs.len()
        ));
    }
    Ok((pairs, table))
}

/// rsigma's (line, rule id) pairs over the stream.
fn rsigma_pairs(peer: &peer::Peer, stream: &Path, sources: &[u8]) -> Result<Vec<Pair>, String> {
    let mut pairs = Vec::new();
    let mut i = 0usize;
    let mut ids = Vec::new();
    for_each_line(stream, |line| {
        if let Some(s) = utf8(line) {
            peer.matches(s, usize::from(sources[i]), &mut ids);
            pairs.extend(ids.drain(..).map(|id| (i as u64 + 1, id)));
        }
        i += 1;
    })
    .map_err(|e| e.to_string())?;
    Ok(pairs)
}
