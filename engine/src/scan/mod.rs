//! `detect scan`: JSON lines from files, directories, `.gz` files and stdin, optionally
//! followed like `tail -F`, evaluated in blocks on one thread or several with alerts written
//! in input order.

mod blocks;
mod evaluate;
mod follow;
mod inputs;
mod mapped;
mod pipeline;

use crate::correlate::Correlator;
use crate::detector::{Counts, Detector, Options};
use crate::input::{Format, Source};
use crate::prefilter::LineFilter;
use evaluate::Evaluator;
use follow::{stop_on_signal, Followed};
use inputs::{expand, is_gzip, progress_bar, reader, Input, GZIP_MAGIC};
use mapped::Mapped;
use pipeline::{Failure, Scanner};
use sigma_runtime::correlation::CorrelationSet;
use sigma_runtime::{RuleSet, Shape};
use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// What to scan and how.
#[derive(Debug, Clone)]
pub struct Config {
    /// Files or directories; `-` or nothing reads stdin.
    pub files: Vec<OsString>,
    /// The shape of the input lines.
    pub format: Format,
    /// Keep reading files as they grow (tail -F).
    pub follow: bool,
    /// How often `follow` polls for new data.
    pub poll_interval: Duration,
    /// Show a progress bar when stderr is a terminal and files are read.
    pub progress: bool,
    /// Worker threads (default: every core).
    pub threads: Option<usize>,
    /// Parse every line (no byte prefilter), so that every bad line is reported.
    pub strict: bool,
    /// Read files instead of mapping them into memory.
    pub no_mmap: bool,
    /// Append alerts to this file instead of writing them to stdout.
    pub output: Option<PathBuf>,
    /// Print the per-rule table at the end.
    pub stats: bool,
    /// The detector's options (alert format, de-duplication, log source of `json` input,
    /// the reference path).
    pub options: Options,
}

/// Scans `config.files` with the rule set `set`: alerts to the output, a summary line (and
/// the `--stats` table) to stderr.
pub fn run(set: &'static RuleSet, config: &Config) -> ExitCode {
    static NONE: CorrelationSet = CorrelationSet::EMPTY;
    run_with_correlations(set, &NONE, config)
}

/// [`run`], with the correlation rules `correlations` over the rules' matches.
pub fn run_with_correlations(
    set: &'static RuleSet,
    correlations: &'static CorrelationSet,
    config: &Config,
) -> ExitCode {
    let det = Detector::with_correlations(set, correlations, config.options);
    let correlator = Correlator::new(
        correlations,
        &config.options.correlation,
        config.options.alert_format,
    );

    let stdout;
    let mut sink: Box<dyn Write> = match &config.output {
        Some(path) => match OpenOptions::new().create(true).append(true).open(path) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("detect: {}: cannot open for writing: {e}", path.display());
                return ExitCode::FAILURE;
            }
        },
        None => {
            stdout = io::stdout();
            Box::new(stdout.lock())
        }
    };
    let mut out = BufWriter::with_capacity(1 << 16, &mut sink);

    let files = if config.files.is_empty() {
        vec![OsString::from("-")]
    } else {
        config.files.clone()
    };
    let inputs = expand(&files);

    let progress = (config.progress
        && !config.follow
        && io::stderr().is_terminal()
        && !inputs.iter().any(|i| matches!(i, Input::Stdin))
        && inputs.iter().any(|i| matches!(i, Input::File { .. })))
    .then(|| progress_bar(&inputs));

    let format = config.format;
    let (source, shapes): (Source, &[Shape]) = match format {
        Format::Raw | Format::EventList | Format::Aks => (Source::Audit, &[Shape::Raw]),
        Format::Ecs => (Source::Audit, &[Shape::Ecs]),
        Format::Auto => (Source::Audit, &[Shape::Raw, Shape::Ecs]),
        Format::Json => (Source::Other, &[Shape::Raw]),
    };
    let filter = if config.strict || config.options.full_parse {
        None
    } else {
        LineFilter::new(set.rules, det.route(source), shapes)
    };
    let ev = Evaluator {
        det: &det,
        format,
        filter,
    };
    // Stage de-duplication depends on the order events are seen in: one thread.
    let one_thread = config.options.dedupe_window.is_some() || config.options.full_parse;
    let threads = match (one_thread, config.threads) {
        (true, _) => 1,
        (false, Some(n)) => n.max(1),
        (false, None) => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let mut sc = Scanner {
        ev: &ev,
        threads,
        out: &mut out,
        counts: Counts::default(),
        progress,
        correlator,
        wall_clock_lateness: config
            .follow
            .then_some(config.options.correlation.max_lateness),
    };
    let mut failed = false;
    let mut followers: Vec<Followed> = Vec::new();

    for input in inputs {
        let (name, result) = match input {
            Input::Stdin => {
                let result = reader(io::stdin())
                    .map_err(Failure::Read)
                    .and_then(|r| sc.stream("-", r));
                ("-".to_owned(), result)
            }
            Input::File { name, path } if config.follow && !is_gzip(&path) => {
                let mut f = Followed::new(name, path);
                if let Err(e) = f.poll(&mut sc) {
                    write_failed(&e);
                    return ExitCode::FAILURE;
                }
                followers.push(f);
                continue;
            }
            Input::File { name, path } => {
                let result = match File::open(&path) {
                    Ok(f) => {
                        // Mapped unless asked not to, shown a progress bar (it counts bytes
                        // read) or gzip.
                        let map = (!config.no_mmap && sc.progress.is_none())
                            .then(|| Mapped::new(&f))
                            .flatten()
                            .filter(|m| !m.bytes().starts_with(&GZIP_MAGIC));
                        match map {
                            Some(map) => sc.mapped(&name, &map).and_then(|()| {
                                if map.lost_pages() {
                                    Err(Failure::Read(mapped::shrank()))
                                } else {
                                    Ok(())
                                }
                            }),
                            None => {
                                let r: Box<dyn Read + Send> = match &sc.progress {
                                    Some(pb) => Box::new(pb.wrap_read(f)),
                                    None => Box::new(f),
                                };
                                reader(r)
                                    .map_err(Failure::Read)
                                    .and_then(|r| sc.stream(&name, r))
                            }
                        }
                    }
                    Err(e) => Err(Failure::Read(e)),
                };
                (name, result)
            }
            Input::Failed { name, path, error }
                if config.follow && error.kind() == io::ErrorKind::NotFound =>
            {
                let mut f = Followed::new(name, path);
                let _ = f.poll(&mut sc); // reports that it will retry
                followers.push(f);
                continue;
            }
            Input::Failed { name, error, .. } => (name, Err(Failure::Read(error))),
        };
        match result {
            Ok(()) => {}
            Err(Failure::Read(e)) => {
                sc.warn(&format!("detect: {name}: cannot read: {e}"));
                failed = true;
            }
            Err(Failure::Write(e)) => {
                write_failed(&e);
                return ExitCode::FAILURE;
            }
        }
    }

    if !followers.is_empty() {
        let stop = stop_on_signal();
        let interval = config.poll_interval.max(Duration::from_millis(1));
        if let Err(e) = sc.out.flush() {
            write_failed(&e);
            return ExitCode::FAILURE;
        }
        while !stop.load(Ordering::SeqCst) {
            let mut progressed = false;
            for f in &mut followers {
                match f.poll(&mut sc) {
                    Ok(p) => progressed |= p,
                    Err(e) => {
                        write_failed(&e);
                        return ExitCode::FAILURE;
                    }
                }
            }
            // While the files are idle, matches still come out of the lateness buffer by
            // the wall clock.
            let ticked = match sc.tick() {
                Ok(n) => n > 0,
                Err(e) => {
                    write_failed(&e);
                    return ExitCode::FAILURE;
                }
            };
            if progressed || ticked {
                if let Err(e) = sc.out.flush() {
                    write_failed(&e);
                    return ExitCode::FAILURE;
                }
            } else {
                std::thread::sleep(interval);
            }
        }
        // A last line without its newline still counts once we stop.
        for f in &mut followers {
            if let Err(e) = f.finish_partial(&mut sc) {
                write_failed(&e);
                return ExitCode::FAILURE;
            }
        }
    }

    if let Some(pb) = sc.progress.take() {
        pb.finish_and_clear();
    }
    if let Err(e) = sc.finish().and_then(|()| sc.out.flush()) {
        write_failed(&e);
        return ExitCode::FAILURE;
    }
    if config.stats {
        eprint!("{}", sc.counts.stats_table(set));
        if !correlations.correlations.is_empty() {
            eprint!("{}", sc.correlator.stats_table());
        }
    } else if let Some(w) = sc.correlator.losses() {
        eprintln!("{w}");
    }
    eprintln!("{}", sc.counts.scan_summary());
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn write_failed(e: &io::Error) {
    eprintln!("detect: cannot write alerts: {e}");
}
