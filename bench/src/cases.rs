//! The cases and their engines: what each engine is ([`Kind`]), its samples, and one
//! measurement of a case, every engine run by run, interleaved.

use crate::measure::{count_lines, median, memchr_count, run_detect, timed, Sample};
use crate::peers::{rsigma, SigmaRust};
use sigma_bench::corpus::Stats;
use sigma_bench::handwritten;
use std::path::Path;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Ours,
    OursParallel,
    Floor,
    Parse,
    HandFlagship,
    HandRead,
    SigmaRust,
    Rsigma,
}

pub(crate) struct EngineSpec {
    pub(crate) name: String,
    pub(crate) kind: Kind,
    pub(crate) samples: Vec<Sample>,
    pub(crate) error: Option<String>,
}

impl EngineSpec {
    pub(crate) fn new(name: impl Into<String>, kind: Kind) -> Self {
        EngineSpec {
            name: name.into(),
            kind,
            samples: Vec::new(),
            error: None,
        }
    }
    pub(crate) fn median_secs(&self) -> Option<f64> {
        (!self.samples.is_empty() && self.error.is_none())
            .then(|| median(&self.samples.iter().map(|s| s.secs).collect::<Vec<_>>()))
    }
    pub(crate) fn count(&self) -> Option<u64> {
        self.samples.last().map(|s| s.count)
    }
    /// Whether every run gave the same count.
    pub(crate) fn count_stable(&self) -> bool {
        self.samples.windows(2).all(|w| w[0].count == w[1].count)
    }
    pub(crate) fn max_rss_kib(&self) -> Option<u64> {
        self.samples.iter().filter_map(|s| s.max_rss_kib).max()
    }
}

pub(crate) struct Case {
    pub(crate) id: char,
    pub(crate) title: String,
    pub(crate) rules: usize,
    pub(crate) engines: Vec<EngineSpec>,
    pub(crate) notes: Vec<String>,
}

impl Case {
    pub(crate) fn engine(&self, kind: Kind) -> Option<&EngineSpec> {
        self.engines.iter().find(|e| e.kind == kind)
    }
    pub(crate) fn eps(&self, kind: Kind, events: u64) -> Option<f64> {
        self.engine(kind)?.median_secs().map(|s| events as f64 / s)
    }
}

pub(crate) struct Env<'a> {
    pub(crate) corpus: &'a Path,
    pub(crate) stats: Stats,
    pub(crate) runs: usize,
    pub(crate) sigma_rust: Option<&'a SigmaRust>,
    pub(crate) rsigma: Option<&'a rsigma::Rsigma>,
    pub(crate) detect: &'a Path,
    pub(crate) threads_flag: bool,
}

fn run_engine(env: &Env<'_>, kind: Kind) -> Result<Sample, String> {
    let path = env.corpus;
    match kind {
        Kind::Ours => run_detect(env.detect, env.threads_flag.then_some(1), path),
        Kind::OursParallel => run_detect(env.detect, Some(2), path),
        Kind::Floor => timed(|| memchr_count(path, b"impersonatedUser")),
        Kind::Parse => timed(|| {
            count_lines(path, |s| {
                serde_json::from_str::<serde_json::Value>(s).is_ok()
            })
        }),
        Kind::HandFlagship => timed(|| count_lines(path, handwritten::flagship)),
        Kind::HandRead => timed(|| count_lines(path, handwritten::read_pods_or_secrets)),
        Kind::SigmaRust => {
            let sr = env.sigma_rust.ok_or("sigma-rust not loaded")?;
            timed(|| sr.scan(path))
        }
        Kind::Rsigma => {
            let rs = env.rsigma.ok_or("rsigma-eval not available")?;
            timed(|| rs.scan(path))
        }
    }
}

pub(crate) fn measure(case: &mut Case, env: &Env<'_>) {
    for run in 0..env.runs {
        for e in case.engines.iter_mut() {
            if e.error.is_some() {
                continue;
            }
            match run_engine(env, e.kind) {
                Ok(s) => e.samples.push(s),
                Err(err) => e.error = Some(err),
            }
        }
        eprint!("\r  case ({}): run {}/{} done", case.id, run + 1, env.runs);
    }
    eprintln!();
}
