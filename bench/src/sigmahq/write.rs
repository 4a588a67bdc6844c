//! The stream's files: the events (`.ndjson`), each event's source as one byte per line
//! (`.sources`, the index in [`SOURCES`]), and the generator's statistics (`.stats`); a complete
//! cached set is reused.

use super::{Generator, Rule, GENERATOR_VERSION, SOURCES};
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// What was generated, counted by the generator itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub events: u64,
    /// Bytes written, newlines included.
    pub bytes: u64,
    /// Events per source, in the order of [`SOURCES`].
    pub per_source: Vec<u64>,
    /// Events made from one rule's selections.
    pub rule_seeded: u64,
    /// Of those, events that also carry one of the rule's filters.
    pub filter_seeded: u64,
    /// Single rule literals put into a field.
    pub field_literals: u64,
}

/// Writes `n` events to `path` and their sources beside it (through temporary files renamed
/// at the end).
pub fn write_stream(path: &Path, n: u64, seed: u64, rules: &[Rule]) -> io::Result<Stats> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    let tmp_sources = path.with_extension("sources.tmp");
    let mut w = BufWriter::with_capacity(1 << 20, fs::File::create(&tmp)?);
    let mut sources = Vec::with_capacity(n as usize);
    let mut g = Generator::new(seed, rules);
    let mut line = String::with_capacity(4096);
    for _ in 0..n {
        line.clear();
        sources.push(g.next_line(&mut line) as u8);
        w.write_all(line.as_bytes())?;
    }
    w.flush()?;
    drop(w);
    fs::write(&tmp_sources, &sources)?;
    fs::rename(&tmp_sources, path.with_extension("sources"))?;
    fs::rename(&tmp, path)?;
    Ok(g.stats)
}

/// The stream for `(n, seed)` and rules whose files hash to `fingerprint`, under `dir`,
/// generated unless a complete one is there. Returns its path, the statistics, and whether
/// it was already there.
pub fn ensure_stream(
    dir: &Path,
    n: u64,
    seed: u64,
    rules: &[Rule],
    fingerprint: u64,
) -> io::Result<(PathBuf, Stats, bool)> {
    let path = dir.join(format!(
        "sigmahq-v{GENERATOR_VERSION}-{n}-{seed:016x}-{fingerprint:016x}.ndjson"
    ));
    let stats_path = path.with_extension("stats");
    if let (Ok(meta), Ok(src), Ok(saved)) = (
        fs::metadata(&path),
        fs::metadata(path.with_extension("sources")),
        fs::read_to_string(&stats_path),
    ) {
        if let Some(stats) = parse_stats(&saved) {
            if stats.bytes == meta.len() && stats.events == n && src.len() == n {
                return Ok((path, stats, true));
            }
        }
    }
    let stats = write_stream(&path, n, seed, rules)?;
    fs::write(&stats_path, format_stats(&stats))?;
    Ok((path, stats, false))
}

/// Each event's source (index in [`SOURCES`]), from the `.sources` file beside `stream`.
pub fn read_sources(stream: &Path) -> io::Result<Vec<u8>> {
    let v = fs::read(stream.with_extension("sources"))?;
    if let Some(bad) = v.iter().find(|&&b| usize::from(b) >= SOURCES.len()) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("source index {bad} out of range"),
        ));
    }
    Ok(v)
}

fn format_stats(s: &Stats) -> String {
    let mut out = format!(
        "events {}\nbytes {}\nrule_seeded {}\nfilter_seeded {}\nfield_literals {}\n",
        s.events, s.bytes, s.rule_seeded, s.filter_seeded, s.field_literals
    );
    for (src, n) in SOURCES.iter().zip(&s.per_source) {
        out.push_str(&format!("source {} {n}\n", src.name));
    }
    out
}

fn parse_stats(text: &str) -> Option<Stats> {
    let mut s = Stats {
        per_source: vec![0; SOURCES.len()],
        ..Stats::default()
    };
    let mut seen = 0;
    for line in text.lines() {
        let mut words = line.split(' ');
        let key = words.next()?;
        if key == "source" {
            let name = words.next()?;
            let i = SOURCES.iter().position(|x| x.name == name)?;
            s.per_source[i] = words.next()?.parse().ok()?;
            continue;
        }
        let v: u64 = words.next()?.parse().ok()?;
        match key {
            "events" => s.events = v,
            "bytes" => s.bytes = v,
            "rule_seeded" => s.rule_seeded = v,
            "filter_seeded" => s.filter_seeded = v,
            "field_literals" => s.field_literals = v,
            _ => return None,
        }
        seen += 1;
    }
    (seen == 5).then_some(s)
}
