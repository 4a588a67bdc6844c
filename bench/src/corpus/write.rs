//! The corpus file: [`Stats`], writing `n` events, reusing a complete cached file, and the
//! statistics saved beside it.

use super::Generator;
use super::GENERATOR_VERSION;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// What was generated, counted by the generator itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub events: u64,
    /// Bytes written, newlines included.
    pub bytes: u64,
    /// Lines carrying an `impersonatedUser` object.
    pub impersonation: u64,
    /// Lines containing `impersonatedUser` only inside a string value.
    pub decoys: u64,
    /// Lines generated in a scenario the flagship rule is meant to match.
    pub flagship_intended: u64,
    /// Of those, lines whose impersonated username is unprivileged: only an element of
    /// `impersonatedUser.groups` makes them match.
    pub flagship_intended_by_group_only: u64,
    pub min_line: usize,
    pub max_line: usize,
}

/// Writes `n` events to `path` (through a temporary file, renamed at the end).
pub fn write_corpus(path: &Path, n: u64, seed: u64) -> io::Result<Stats> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    let mut w = BufWriter::with_capacity(1 << 20, fs::File::create(&tmp)?);
    let mut g = Generator::new(seed);
    let mut line = String::with_capacity(8192);
    for _ in 0..n {
        line.clear();
        g.next_line(&mut line);
        w.write_all(line.as_bytes())?;
    }
    w.flush()?;
    drop(w);
    fs::rename(&tmp, path)?;
    Ok(g.stats)
}

/// The corpus file for `(n, seed)` under `dir`, generated unless a complete one is there.
/// Returns its path, the generator's statistics (saved beside the file when it was made) and
/// whether the file was already there. The file name carries [`GENERATOR_VERSION`].
pub fn ensure_corpus(dir: &Path, n: u64, seed: u64) -> io::Result<(PathBuf, Stats, bool)> {
    let path = dir.join(format!("audit-v{GENERATOR_VERSION}-{n}-{seed:016x}.ndjson"));
    let stats_path = path.with_extension("stats");
    if let (Ok(meta), Ok(saved)) = (fs::metadata(&path), fs::read_to_string(&stats_path)) {
        if let Some(stats) = parse_stats(&saved) {
            if stats.bytes == meta.len() && stats.events == n {
                return Ok((path, stats, true));
            }
        }
    }
    let stats = write_corpus(&path, n, seed)?;
    fs::write(&stats_path, format_stats(&stats))?;
    Ok((path, stats, false))
}

fn format_stats(s: &Stats) -> String {
    format!(
        "events {}\nbytes {}\nimpersonation {}\ndecoys {}\nflagship_intended {}\nflagship_intended_by_group_only {}\nmin_line {}\nmax_line {}\n",
        s.events,
        s.bytes,
        s.impersonation,
        s.decoys,
        s.flagship_intended,
        s.flagship_intended_by_group_only,
        s.min_line,
        s.max_line
    )
}

fn parse_stats(text: &str) -> Option<Stats> {
    let mut s = Stats::default();
    let mut seen = 0;
    for line in text.lines() {
        let (k, v) = line.split_once(' ')?;
        let v: u64 = v.parse().ok()?;
        match k {
            "events" => s.events = v,
            "bytes" => s.bytes = v,
            "impersonation" => s.impersonation = v,
            "decoys" => s.decoys = v,
            "flagship_intended" => s.flagship_intended = v,
            "flagship_intended_by_group_only" => s.flagship_intended_by_group_only = v,
            "min_line" => s.min_line = v as usize,
            "max_line" => s.max_line = v as usize,
            _ => return None,
        }
        seen += 1;
    }
    (seen == 8).then_some(s)
}
