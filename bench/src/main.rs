//! The benchmark: `cargo run --release -p sigma-bench -- [--events N] [--runs R] [--smoke]`.
//!
//! Generates a deterministic corpus of raw audit events under `target/bench-corpus/`, builds
//! the real `detect` binary once per rule set (`target/bench-build/<case>/`), and measures it
//! as a subprocess next to in-process baselines over the same file, interleaving the engines
//! run by run. Every figure printed is measured in this run; see `bench/README.md`.
//!
//! By job: this file holds the command line and the run's order; `setup.rs` paths, rule
//! staging and builds; `measure.rs` reading and timing; `peers.rs` sigma-rust and rsigma-eval;
//! `cases.rs` the engines of a case and their measurement; `report.rs` the tables and the
//! targets of issues 4 and 11; `sigmahq_case/` case (d), the SigmaHQ corpus against
//! rsigma-eval (not run by default), with its own targets block.

mod cases;
mod measure;
mod number;
mod peers;
mod report;
mod setup;
mod sigmahq_case;

use cases::{measure, Case, EngineSpec, Env, Kind};
use measure::{for_each_line, memchr_count, utf8};
use number::fmt_int;
use peers::{load_sigma_rust, per_rule_notes, probe_notes, rsigma};
use report::{check_counts, print_case, print_targets};
use setup::{
    build_detect, command_output, cpu_model, load_note, stage_rules, target_dir, workspace_root,
    yml_files,
};
use sigma_bench::corpus::{self, DEFAULT_SEED};
use sigma_bench::handwritten;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "\
usage: cargo run --release -p sigma-bench -- [OPTIONS]

  --events N      corpus size in events (default 1000000; case d: 200000; --smoke: 2000)
  --runs R        timed runs per engine, R >= 5 for reported figures (default 5; --smoke: 1)
  --seed S        corpus seed (default the fixed one)
  --cases LIST    which cases to run, e.g. a,c (default a,b,c,e; e is the flagship with
                  the 16 SigmaHQ Kubernetes rules); d (or sigmahq) is the SigmaHQ
                  corpus case: 3,780 rules, a mixed Windows/Linux/CloudTrail stream,
                  detect against rsigma-eval; heavy (a 5-minute build), never part of
                  the default or of --smoke; f (or correlations) is the shipped
                  detections/ with its correlation rules (value_count, temporal_ordered):
                  detect only, opt-in
  --no-rebuild    case d: do not touch the staged rules, so cargo rebuilds only what
                  changed (the build time printed is then not the rule set's)
  --smoke         tiny corpus, one run: checks that every engine runs and that detect's
                  match counts equal the hand-written matchers'; exits 1 otherwise
  --corpus-only   generate (or reuse) the corpus, print its path and statistics, and stop
  -h, --help      this text";

#[derive(Debug)]
struct Args {
    events: u64,
    /// Case (d)'s stream: `--events`, else its own default.
    sigmahq_events: u64,
    rebuild: bool,
    runs: usize,
    seed: u64,
    cases: Vec<char>,
    smoke: bool,
    corpus_only: bool,
}

/// The cases run when `--cases` is not given (and by `--smoke`).
const DEFAULT_CASES: [char; 4] = ['a', 'b', 'c', 'e'];

/// The command line, without the program name.
fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut events = None;
    let mut runs = None;
    let mut seed = DEFAULT_SEED;
    let mut cases = DEFAULT_CASES.to_vec();
    let mut smoke = false;
    let mut corpus_only = false;
    let mut rebuild = true;
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--events" => {
                let v = value("--events")?.replace(['_', ','], "");
                events = Some(v.parse::<u64>().map_err(|e| format!("--events: {e}"))?);
            }
            "--runs" => {
                runs = Some(
                    value("--runs")?
                        .parse::<usize>()
                        .map_err(|e| format!("--runs: {e}"))?,
                )
            }
            "--seed" => {
                seed = value("--seed")?
                    .parse::<u64>()
                    .map_err(|e| format!("--seed: {e}"))?
            }
            "--cases" => {
                cases = value("--cases")?
                    .split(',')
                    .map(|c| match c.trim() {
                        "a" => Ok('a'),
                        "b" => Ok('b'),
                        "c" => Ok('c'),
                        "d" | "sigmahq" => Ok('d'),
                        "e" => Ok('e'),
                        "f" | "correlations" => Ok('f'),
                        other => Err(format!(
                            "--cases: unknown case `{other}` (a, b, c, d, e or f)"
                        )),
                    })
                    .collect::<Result<_, _>>()?;
            }
            "--smoke" => smoke = true,
            "--corpus-only" => corpus_only = true,
            "--no-rebuild" => rebuild = false,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if smoke && cases.contains(&'d') {
        return Err("case d is too heavy for --smoke".into());
    }
    let sigmahq_events = events.unwrap_or(sigma_bench::sigmahq::DEFAULT_EVENTS);
    let events = events.unwrap_or(if smoke { 2_000 } else { 1_000_000 });
    let runs = runs.unwrap_or(if smoke { 1 } else { 5 });
    if events == 0 || runs == 0 {
        return Err("--events and --runs must be positive".into());
    }
    Ok(Args {
        events,
        sigmahq_events,
        rebuild,
        runs,
        seed,
        cases,
        smoke,
        corpus_only,
    })
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("sigma-bench: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("sigma-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<bool, String> {
    let root = workspace_root();
    let target = target_dir(&root);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let audit_cases = args.cases.iter().any(|c| *c != 'd');
    println!(
        "sigma-bench: {} events, {} run{} per engine{}, seed {:#x}",
        fmt_int(if audit_cases {
            args.events
        } else {
            args.sigmahq_events
        }),
        args.runs,
        if args.runs == 1 { "" } else { "s" },
        if args.smoke { " (smoke)" } else { "" },
        args.seed
    );
    println!(
        "machine: {} · {cores} cores · tree {}{}",
        cpu_model(),
        command_output("git", &["rev-parse", "--short", "HEAD"], &root)
            .unwrap_or_else(|| "?".into()),
        match command_output(
            "git",
            &["status", "--porcelain", "--untracked-files=no"],
            &root
        ) {
            Some(s) if !s.is_empty() => " (with uncommitted changes)",
            _ => "",
        }
    );
    println!("{}", load_note(cores));
    if !args.smoke && args.runs < 5 {
        println!("warning: fewer than 5 runs; the issue's figures are medians of at least 5");
    }
    let mut all_ok = true;
    if audit_cases {
        all_ok = run_audit(args, &root, &target, cores)?;
    }
    if args.cases.contains(&'d') {
        let opts = sigmahq_case::Options {
            events: args.sigmahq_events,
            runs: args.runs,
            seed: args.seed,
            rebuild: args.rebuild,
            corpus_only: args.corpus_only,
        };
        all_ok &= sigmahq_case::run(&opts, &root, &target, cores)?;
    }
    Ok(all_ok)
}

/// Cases (a), (b), (c) and (e), over the Kubernetes audit corpus, and the targets of issue 4
/// and those of issue 11 that these cases judge.
fn run_audit(
    args: &Args,
    root: &std::path::Path,
    target: &std::path::Path,
    cores: usize,
) -> Result<bool, String> {
    // Corpus.
    let t = Instant::now();
    let (corpus, stats, cached) =
        corpus::ensure_corpus(&target.join("bench-corpus"), args.events, args.seed)
            .map_err(|e| format!("cannot write the corpus: {e}"))?;
    println!(
        "corpus: {} ({}, {:.1} s)\n  {} events, {:.1} MB, {:.0} B/event (min {}, max {}), impersonation {:.3}%, decoys {:.3}%, flagship scenarios {}",
        corpus.display(),
        if cached { "reused" } else { "generated" },
        t.elapsed().as_secs_f64(),
        fmt_int(stats.events),
        stats.bytes as f64 / 1e6,
        stats.bytes as f64 / stats.events as f64,
        stats.min_line,
        stats.max_line,
        100.0 * stats.impersonation as f64 / stats.events as f64,
        100.0 * stats.decoys as f64 / stats.events as f64,
        fmt_int(stats.flagship_intended)
    );
    if args.corpus_only {
        return Ok(true);
    }

    // Rule sets.
    let flagship = root.join("detections/kubernetes/k8s_impersonating_privileged_identity.yml");
    let sigmahq_k8s = yml_files(&root.join("bench/rules/sigmahq")).map_err(|e| e.to_string())?;
    let mut set_files = vec![flagship.clone()];
    set_files.extend(sigmahq_k8s.iter().cloned());
    set_files.extend(yml_files(&root.join("bench/rules/extra")).map_err(|e| e.to_string())?);
    let mut k8s_files = vec![flagship.clone()];
    k8s_files.extend(sigmahq_k8s.iter().cloned());
    let read_files =
        yml_files(&root.join("bench/rules/no-prefilter")).map_err(|e| e.to_string())?;
    let staged = target.join("bench-build").join("rules");
    let plan: Vec<(char, &str, String, Vec<PathBuf>)> = vec![
        (
            'a',
            "flagship",
            "the flagship rule alone".to_string(),
            vec![flagship.clone()],
        ),
        (
            'b',
            "ruleset",
            "rule set (flagship + 16 SigmaHQ + bench/rules/extra)".to_string(),
            set_files.clone(),
        ),
        (
            'c',
            "no-prefilter",
            "no usable prefilter (verb, objectRef.resource)".to_string(),
            read_files,
        ),
        (
            'e',
            "k8s-sigmahq",
            format!(
                "flagship + {} SigmaHQ Kubernetes rules (case b without bench/rules/extra)",
                sigmahq_k8s.len()
            ),
            k8s_files,
        ),
        (
            'f',
            "correlations",
            "the shipped detections/: flagship + 2 correlations and their base rule".to_string(),
            yml_files(&root.join("detections/kubernetes")).map_err(|e| e.to_string())?,
        ),
    ];

    println!("building detect (release) per rule set:");
    let mut built = Vec::new();
    for (id, name, title, files) in plan.into_iter().filter(|p| args.cases.contains(&p.0)) {
        let dir = staged.join(name);
        stage_rules(&dir, &files).map_err(|e| format!("cannot stage rules: {e}"))?;
        let bin = build_detect(root, target, name, &dir)?;
        built.push((id, title, files, bin));
    }
    let help = built
        .first()
        .and_then(|(_, _, _, bin)| {
            command_output(&bin.to_string_lossy(), &["scan", "--help"], root)
        })
        .unwrap_or_default();
    let threads_flag = help.contains("--threads");
    let stats_flag = help.contains("--stats");
    if !threads_flag {
        println!("note: `detect scan --help` has no --threads: detect runs without it, and the 2-thread run is skipped");
    }

    // Warm the page cache (and count the floor once, untimed).
    let t = Instant::now();
    let occurrences = memchr_count(&corpus, b"impersonatedUser").map_err(|e| e.to_string())?;
    println!(
        "page cache warmed: read {:.1} MB in {:.2} s ({} occurrences of `impersonatedUser`)",
        stats.bytes as f64 / 1e6,
        t.elapsed().as_secs_f64(),
        fmt_int(occurrences)
    );

    let mut cases = Vec::new();
    let mut all_ok = true;
    for (id, title, files, bin) in &built {
        let mut notes = Vec::new();
        // The peers have no part in case (f): their correlation engines are not measured.
        let with_peers = !matches!(*id, 'c' | 'f');
        let sigma_rust = with_peers.then(|| load_sigma_rust(files, &mut notes));
        let rsigma = if with_peers {
            rsigma::load(files, &mut notes)
        } else {
            None
        };
        let mut engines = vec![EngineSpec::new(
            if threads_flag {
                "detect scan --threads 1 (ours)"
            } else {
                "detect scan (ours)"
            },
            Kind::Ours,
        )];
        if *id == 'c' && threads_flag {
            engines.push(EngineSpec::new(
                "detect scan --threads 2 (ours)",
                Kind::OursParallel,
            ));
        }
        engines.push(EngineSpec::new(
            "floor: memchr::memmem count of impersonatedUser",
            Kind::Floor,
        ));
        engines.push(EngineSpec::new(
            "serde_json::from_str::<Value>, parse only",
            Kind::Parse,
        ));
        match id {
            'a' => engines.push(EngineSpec::new(
                "hand-written serde borrowed struct",
                Kind::HandFlagship,
            )),
            'c' => engines.push(EngineSpec::new(
                "hand-written serde borrowed struct",
                Kind::HandRead,
            )),
            _ => {}
        }
        if let Some(sr) = &sigma_rust {
            engines.push(EngineSpec::new(
                format!(
                    "sigma-rust 0.7 ({} of {} rules)",
                    sr.rules.len(),
                    files.len()
                ),
                Kind::SigmaRust,
            ));
        }
        if rsigma.is_some() {
            engines.push(EngineSpec::new("rsigma-eval 0.23", Kind::Rsigma));
        }
        let mut case = Case {
            id: *id,
            title: title.clone(),
            rules: files.len(),
            engines,
            notes,
        };
        let env = Env {
            corpus: &corpus,
            stats,
            runs: args.runs,
            sigma_rust: sigma_rust.as_ref(),
            rsigma: rsigma.as_ref(),
            detect: bin,
            threads_flag,
        };
        measure(&mut case, &env);
        match id {
            'a' => {
                let mut group_only = 0u64;
                for_each_line(&corpus, |line| {
                    if utf8(line).and_then(handwritten::flagship_line) == Some(true) {
                        group_only += 1;
                    }
                })
                .map_err(|e| e.to_string())?;
                all_ok &= check_counts(&mut case, Kind::HandFlagship, Some(group_only));
                case.notes
                    .extend(probe_notes(sigma_rust.as_ref(), rsigma.as_ref()));
            }
            'c' => all_ok &= check_counts(&mut case, Kind::HandRead, None),
            _ => {
                let counts: Vec<String> = case
                    .engines
                    .iter()
                    .filter(|e| !matches!(e.kind, Kind::Floor | Kind::Parse))
                    .filter_map(|e| e.count().map(|c| format!("{}: {}", e.name, fmt_int(c))))
                    .collect();
                case.notes
                    .push(format!("alerts (event, rule pairs): {}", counts.join("; ")));
                if stats_flag {
                    case.notes.extend(per_rule_notes(
                        bin,
                        threads_flag,
                        &corpus,
                        sigma_rust.as_ref(),
                        rsigma.as_ref(),
                    ));
                }
            }
        }
        for e in &case.engines {
            if let Some(err) = &e.error {
                all_ok = false;
                case.notes.push(format!("{} failed: {err}", e.name));
            }
        }
        case.notes
            .push(format!("after this case: {}", load_note(cores)));
        print_case(&case, &env.stats, args.runs);
        cases.push(case);
    }

    // Targets.
    Ok(print_targets(
        args,
        &cases,
        &stats,
        threads_flag,
        sigmahq_k8s.len(),
        all_ok,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, String> {
        parse_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn default_and_smoke_cases_include_e() {
        assert_eq!(parse(&[]).unwrap().cases, ['a', 'b', 'c', 'e']);
        let smoke = parse(&["--smoke"]).unwrap();
        assert_eq!(smoke.cases, ['a', 'b', 'c', 'e']);
        assert_eq!((smoke.events, smoke.runs), (2_000, 1));
    }

    #[test]
    fn cases_accepts_e_and_d() {
        assert_eq!(parse(&["--cases", "e"]).unwrap().cases, ['e']);
        assert_eq!(
            parse(&["--cases", "f,correlations"]).unwrap().cases,
            ['f', 'f']
        );
        assert_eq!(
            parse(&["--cases", "a, e,sigmahq"]).unwrap().cases,
            ['a', 'e', 'd']
        );
        assert!(parse(&["--cases", "g"])
            .unwrap_err()
            .contains("a, b, c, d, e or f"));
        assert!(parse(&["--smoke", "--cases", "d"]).is_err());
    }
}
