//! The benchmark: `cargo run --release -p sigma-bench -- [--events N] [--runs R] [--smoke]`.
//!
//! Generates a deterministic corpus of raw audit events under `target/bench-corpus/`, builds
//! the real `detect` binary once per rule set (`target/bench-build/<case>/`), and measures it
//! as a subprocess next to in-process baselines over the same file, interleaving the engines
//! run by run. Every figure printed is measured in this run; see `bench/README.md`.

use sigma_bench::corpus::{self, Stats, DEFAULT_SEED};
use sigma_bench::handwritten;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

const USAGE: &str = "\
usage: cargo run --release -p sigma-bench -- [OPTIONS]

  --events N      corpus size in events (default 1000000; --smoke: 2000)
  --runs R        timed runs per engine, R >= 5 for reported figures (default 5; --smoke: 1)
  --seed S        corpus seed (default the fixed one)
  --cases LIST    which cases to run, e.g. a,c (default a,b,c)
  --smoke         tiny corpus, one run: checks that every engine runs and that detect's
                  match counts equal the hand-written matchers'; exits 1 otherwise
  --corpus-only   generate (or reuse) the corpus, print its path and statistics, and stop
  -h, --help      this text";

struct Args {
    events: u64,
    runs: usize,
    seed: u64,
    cases: Vec<char>,
    smoke: bool,
    corpus_only: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut events = None;
    let mut runs = None;
    let mut seed = DEFAULT_SEED;
    let mut cases = vec!['a', 'b', 'c'];
    let mut smoke = false;
    let mut corpus_only = false;
    let mut it = std::env::args().skip(1);
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
                        other => Err(format!("--cases: unknown case `{other}` (a, b or c)")),
                    })
                    .collect::<Result<_, _>>()?;
            }
            "--smoke" => smoke = true,
            "--corpus-only" => corpus_only = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let events = events.unwrap_or(if smoke { 2_000 } else { 1_000_000 });
    let runs = runs.unwrap_or(if smoke { 1 } else { 5 });
    if events == 0 || runs == 0 {
        return Err("--events and --runs must be positive".into());
    }
    Ok(Args {
        events,
        runs,
        seed,
        cases,
        smoke,
        corpus_only,
    })
}

fn main() -> ExitCode {
    let args = match parse_args() {
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

// ----- paths and setup ------------------------------------------------------------------------

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench/ has a parent")
        .to_path_buf()
}

fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if Path::new(&d).is_absolute() => PathBuf::from(d),
        Some(d) => root.join(d),
        None => root.join("target"),
    }
}

/// Copies `files` into `dir` (only `.yml`), rewriting only what changed and removing the rest,
/// so that an unchanged rule set does not make cargo rebuild `detect`.
fn stage_rules(dir: &Path, files: &[PathBuf]) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let mut wanted = Vec::new();
    for f in files {
        let name = f.file_name().expect("rule file has a name").to_owned();
        let content = fs::read(f)?;
        let dest = dir.join(&name);
        if fs::read(&dest).ok().as_deref() != Some(&content[..]) {
            fs::write(&dest, &content)?;
        }
        wanted.push(name);
    }
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if !wanted.contains(&entry.file_name()) {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

fn yml_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    v.sort();
    Ok(v)
}

/// Builds `detect` for the rules in `rules` into `target/bench-build/<case>`.
fn build_detect(root: &Path, target: &Path, case: &str, rules: &Path) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let dir = target.join("bench-build").join(case);
    let t = Instant::now();
    let out = Command::new(&cargo)
        .current_dir(root)
        .args(["build", "--release", "--bin", "detect", "--target-dir"])
        .arg(&dir)
        .env("SIGMA_RULES_DIR", rules)
        .env_remove("CARGO_TARGET_DIR")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "building detect for case {case} failed (SIGMA_RULES_DIR={}):\n{}",
            rules.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    println!(
        "  built detect for {case:<13} in {:>6.1} s  ({})",
        t.elapsed().as_secs_f64(),
        dir.join("release/detect").display()
    );
    Ok(dir.join("release").join("detect"))
}

fn command_output(cmd: &str, args: &[&str], dir: &Path) -> Option<String> {
    let out = Command::new(cmd)
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The 1, 5 and 15 minute load averages, from /proc/loadavg.
fn load_average() -> Option<[f64; 3]> {
    let text = fs::read_to_string("/proc/loadavg").ok()?;
    let mut it = text.split_whitespace().map(|w| w.parse::<f64>().ok());
    Some([it.next()??, it.next()??, it.next()??])
}

fn load_note(cores: usize) -> String {
    match load_average() {
        Some([one, five, fifteen]) => format!(
            "load average {one:.2} {five:.2} {fifteen:.2} (1/5/15 min) on {cores} cores{}",
            if one > cores as f64 * 0.75 {
                " — busy: every figure is noisier, and a 2-thread speed-up cannot show while other processes hold the cores"
            } else {
                ""
            }
        ),
        None => "load average unavailable".into(),
    }
}

fn cpu_model() -> String {
    fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

// ----- measuring ------------------------------------------------------------------------------

/// Reads land on addresses aligned to this, as `detect`'s do: the kernel copies several times
/// faster to an aligned destination, and a baseline read to an odd address would be slowed
/// by that alone.
const READ_ALIGN: usize = 4096;

/// Where a read of `BLOCK` bytes goes in `buf` so that it lands aligned with `before` bytes
/// of room in front of it (the buffer grown as needed).
fn aligned_start(buf: &mut Vec<u8>, before: usize, block: usize) -> usize {
    let room = before + READ_ALIGN + block;
    if buf.len() < room {
        buf.resize(room, 0);
    }
    let base = buf.as_ptr() as usize;
    (base + before).next_multiple_of(READ_ALIGN) - base
}

/// Calls `f` on every line of the file (newline excluded, blank lines skipped), reading it in
/// 1 MiB blocks and splitting lines in place (no copy per line; a line cut by a block is
/// carried in front of the next read).
fn for_each_line(path: &Path, mut f: impl FnMut(&[u8])) -> io::Result<()> {
    const BLOCK: usize = 1 << 20;
    let mut file = fs::File::open(path)?;
    let mut buf = Vec::new();
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let start = aligned_start(&mut buf, carry.len(), BLOCK);
        let from = start - carry.len();
        buf[from..start].copy_from_slice(&carry);
        carry.clear();
        let n = file.read(&mut buf[start..start + BLOCK])?;
        let data = &buf[from..start + n];
        if n == 0 {
            if !data.is_empty() {
                f(data);
            }
            return Ok(());
        }
        let mut pos = 0;
        for nl in memchr::memchr_iter(b'\n', data) {
            let line = &data[pos..nl];
            if !line.is_empty() {
                f(line);
            }
            pos = nl + 1;
        }
        carry.extend_from_slice(&data[pos..]);
    }
}

/// The floor: occurrences of `needle` in the file, read in 1 MiB blocks (each read aligned,
/// with the last `needle.len() - 1` bytes of the previous one in front of it).
fn memchr_count(path: &Path, needle: &[u8]) -> io::Result<u64> {
    const BLOCK: usize = 1 << 20;
    let finder = memchr::memmem::Finder::new(needle);
    let keep = needle.len() - 1;
    let mut file = fs::File::open(path)?;
    let mut buf = Vec::new();
    let start = aligned_start(&mut buf, keep, BLOCK);
    let mut carried = 0;
    let mut count = 0u64;
    loop {
        let n = file.read(&mut buf[start..start + BLOCK])?;
        if n == 0 {
            return Ok(count);
        }
        let window = start - carried..start + n;
        count += finder.find_iter(&buf[window.clone()]).count() as u64;
        let next = keep.min(window.len());
        buf.copy_within(window.end - next..window.end, start - next);
        carried = next;
    }
}

/// The lines of the file that are UTF-8 and satisfy `keep`.
fn count_lines(path: &Path, mut keep: impl FnMut(&str) -> bool) -> io::Result<u64> {
    let mut n = 0u64;
    for_each_line(path, |line| {
        if utf8(line).is_some_and(&mut keep) {
            n += 1;
        }
    })?;
    Ok(n)
}

fn utf8(line: &[u8]) -> Option<&str> {
    std::str::from_utf8(line).ok()
}

/// One timed run: the match count (or alert count) and, for `detect`, its peak RSS in KiB.
struct Sample {
    secs: f64,
    count: u64,
    max_rss_kib: Option<u64>,
}

/// Runs `detect` on `file` as a subprocess, stdout to /dev/null, and reads its summary.
fn run_detect(bin: &Path, threads: Option<usize>, file: &Path) -> Result<Sample, String> {
    let mut cmd = Command::new(bin);
    cmd.arg("scan");
    if let Some(t) = threads {
        cmd.args(["--threads", &t.to_string()]);
    }
    cmd.arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let t = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    let mut stderr = String::new();
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut stderr);
    }
    // wait4 gives this child's own resource usage (getrusage(RUSAGE_CHILDREN) would be the
    // maximum over every child, cargo and rustc included).
    let mut status = 0;
    // SAFETY: `rusage` is plain data and wait4 fills it for the child we spawned and have
    // not waited for.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let secs = t.elapsed().as_secs_f64();
    if r != pid {
        return Err(format!("wait4 failed: {}", io::Error::last_os_error()));
    }
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        return Err(format!(
            "{} exited with status {status:#x}:\n{}",
            bin.display(),
            stderr.lines().take(20).collect::<Vec<_>>().join("\n")
        ));
    }
    let count = parse_alerts(&stderr)
        .ok_or_else(|| format!("no alert count in detect's summary: {stderr}"))?;
    Ok(Sample {
        secs,
        count,
        max_rss_kib: Some(usage.ru_maxrss as u64),
    })
}

/// The alert count from `detect: … N alerts …` on stderr.
fn parse_alerts(stderr: &str) -> Option<u64> {
    let line = stderr.lines().rev().find(|l| l.starts_with("detect:"))?;
    line.trim_start_matches("detect:")
        .split(',')
        .find_map(|part| {
            let mut words = part.split_whitespace();
            let n = words.next()?.replace(',', "");
            matches!(words.next(), Some("alerts" | "alert")).then(|| n.parse().ok())?
        })
}

fn timed(f: impl FnOnce() -> io::Result<u64>) -> Result<Sample, String> {
    let t = Instant::now();
    let count = f().map_err(|e| e.to_string())?;
    Ok(Sample {
        secs: t.elapsed().as_secs_f64(),
        count,
        max_rss_kib: None,
    })
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

// ----- peers ----------------------------------------------------------------------------------

/// sigma-rust 0.7: each line becomes its `Event` (`event_from_json`), then every rule runs.
struct SigmaRust {
    rules: Vec<sigma_rust::Rule>,
}

fn load_sigma_rust(files: &[PathBuf], notes: &mut Vec<String>) -> SigmaRust {
    let mut rules = Vec::new();
    for f in files {
        let text = fs::read_to_string(f).unwrap_or_default();
        match sigma_rust::rule_from_yaml(&text) {
            Ok(r) => rules.push(r),
            Err(e) => notes.push(format!(
                "sigma-rust cannot load {}: {e}",
                f.file_name().unwrap_or_default().to_string_lossy()
            )),
        }
    }
    SigmaRust { rules }
}

impl SigmaRust {
    /// Matches per rule id over the file.
    fn per_rule(&self, path: &Path) -> io::Result<HashMap<String, u64>> {
        let mut m = HashMap::new();
        for_each_line(path, |line| {
            let Some(ev) = utf8(line).and_then(|s| sigma_rust::event_from_json(s).ok()) else {
                return;
            };
            for r in self.rules.iter().filter(|r| r.is_match(&ev)) {
                *m.entry(r.id.clone().unwrap_or_default()).or_insert(0) += 1;
            }
        })?;
        Ok(m)
    }

    /// Matches (rule, event pairs) on one line.
    fn line(&self, s: &str) -> u64 {
        match sigma_rust::event_from_json(s) {
            Ok(ev) => self.rules.iter().filter(|r| r.is_match(&ev)).count() as u64,
            Err(_) => 0,
        }
    }

    fn scan(&self, path: &Path) -> io::Result<u64> {
        let mut n = 0u64;
        for_each_line(path, |line| {
            if let Some(s) = utf8(line) {
                n += self.line(s);
            }
        })?;
        Ok(n)
    }
}

#[cfg(feature = "rsigma")]
mod rsigma {
    use super::*;
    use rsigma_eval::{Engine, JsonEvent};

    /// rsigma-eval 0.23: each line parsed to `serde_json::Value`, wrapped as its `JsonEvent`,
    /// evaluated by an `Engine` holding every rule of the case (default settings).
    pub struct Rsigma {
        engine: Engine,
    }

    pub fn load(files: &[PathBuf], notes: &mut Vec<String>) -> Option<Rsigma> {
        let mut engine = Engine::new();
        for f in files {
            let name = f
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            let text = fs::read_to_string(f).unwrap_or_default();
            match rsigma_parser::parse_sigma_yaml(&text) {
                Ok(c) => {
                    if c.has_errors() {
                        notes.push(format!("rsigma-eval: {name}: {}", c.errors.join("; ")));
                    }
                    if let Err(e) = engine.add_collection(&c) {
                        notes.push(format!("rsigma-eval cannot compile {name}: {e}"));
                    }
                }
                Err(e) => notes.push(format!("rsigma-eval cannot parse {name}: {e}")),
            }
        }
        Some(Rsigma { engine })
    }

    impl Rsigma {
        /// Matches per rule id over the file.
        pub fn per_rule(&self, path: &Path) -> io::Result<HashMap<String, u64>> {
            let mut m = HashMap::new();
            for_each_line(path, |line| {
                let Some(v) = utf8(line).and_then(|s| serde_json::from_str(s).ok()) else {
                    return;
                };
                for r in self.engine.evaluate(&JsonEvent::borrow(&v)) {
                    *m.entry(r.header.rule_id.clone().unwrap_or_default())
                        .or_insert(0) += 1;
                }
            })?;
            Ok(m)
        }

        /// Matches (rule, event pairs) on one line.
        pub fn line(&self, s: &str) -> u64 {
            match serde_json::from_str::<serde_json::Value>(s) {
                Ok(v) => self.engine.evaluate(&JsonEvent::borrow(&v)).len() as u64,
                Err(_) => 0,
            }
        }

        pub fn scan(&self, path: &Path) -> io::Result<u64> {
            let mut n = 0u64;
            for_each_line(path, |line| {
                if let Some(s) = utf8(line) {
                    n += self.line(s);
                }
            })?;
            Ok(n)
        }
    }
}

#[cfg(not(feature = "rsigma"))]
mod rsigma {
    use super::*;
    pub struct Rsigma;
    pub fn load(_: &[PathBuf], notes: &mut Vec<String>) -> Option<Rsigma> {
        notes.push("rsigma-eval 0.23 not compiled in (built without the `rsigma` feature)".into());
        None
    }
    impl Rsigma {
        pub fn per_rule(&self, _: &Path) -> io::Result<HashMap<String, u64>> {
            Ok(HashMap::new())
        }
        pub fn line(&self, _: &str) -> u64 {
            0
        }
        pub fn scan(&self, _: &Path) -> io::Result<u64> {
            Ok(0)
        }
    }
}

/// `detect scan --stats`: alerts and title per rule id.
fn detect_per_rule(
    bin: &Path,
    threads_flag: bool,
    file: &Path,
) -> Result<Vec<(String, u64, String)>, String> {
    let mut cmd = Command::new(bin);
    cmd.args(["scan", "--stats"]);
    if threads_flag {
        cmd.args(["--threads", "1"]);
    }
    let out = cmd
        .arg(file)
        .stdout(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stderr);
    let mut rows = Vec::new();
    let mut in_table = false;
    for line in text.lines() {
        if line.starts_with("rule id") {
            in_table = true;
            continue;
        }
        if !in_table || line.starts_with("detect:") {
            continue;
        }
        let mut words = line.split_whitespace();
        let (Some(id), Some(_evaluated), Some(alerts)) = (words.next(), words.next(), words.next())
        else {
            continue;
        };
        let Ok(alerts) = alerts.replace(',', "").parse() else {
            continue;
        };
        let title: Vec<&str> = words.skip(1).collect();
        rows.push((id.to_string(), alerts, title.join(" ")));
    }
    if rows.is_empty() {
        return Err(format!(
            "no per-rule table in `detect scan --stats`: {text}"
        ));
    }
    Ok(rows)
}

/// One untimed pass per engine counting alerts per rule; notes the rules where the engines
/// disagree with `detect`.
fn per_rule_notes(
    bin: &Path,
    threads_flag: bool,
    file: &Path,
    sigma_rust: Option<&SigmaRust>,
    rsigma: Option<&rsigma::Rsigma>,
) -> Vec<String> {
    let ours = match detect_per_rule(bin, threads_flag, file) {
        Ok(rows) => rows,
        Err(e) => return vec![format!("per-rule counts unavailable: {e}")],
    };
    let sr = sigma_rust.map(|s| s.per_rule(file).unwrap_or_default());
    let rs = rsigma.map(|r| r.per_rule(file).unwrap_or_default());
    let cell = |m: &Option<HashMap<String, u64>>, id: &str| {
        m.as_ref().map(|m| m.get(id).copied().unwrap_or(0))
    };
    let mut rows = Vec::new();
    for (id, n, title) in &ours {
        let (a, b) = (cell(&sr, id), cell(&rs, id));
        if a.is_some_and(|a| a != *n) || b.is_some_and(|b| b != *n) {
            let show = |x: Option<u64>| x.map_or("—".to_string(), fmt_int);
            rows.push(format!(
                "    {:<60} {:>9} {:>11} {:>12}",
                title.chars().take(60).collect::<String>(),
                fmt_int(*n),
                show(a),
                show(b)
            ));
        }
    }
    if rows.is_empty() {
        return vec![format!(
            "per-rule alerts (untimed pass): every engine agrees with detect on all {} rules",
            ours.len()
        )];
    }
    let mut note = format!(
        "per-rule alerts where an engine disagrees with detect (untimed pass; {} of {} rules):\n    {:<60} {:>9} {:>11} {:>12}",
        rows.len(),
        ours.len(),
        "rule",
        "detect",
        "sigma-rust",
        "rsigma-eval"
    );
    for r in rows {
        note.push('\n');
        note.push_str(&r);
    }
    vec![note]
}

fn probe_notes(sigma_rust: Option<&SigmaRust>, rsigma: Option<&rsigma::Rsigma>) -> Vec<String> {
    let mut notes = Vec::new();
    let mut add = |name: &str, f: &dyn Fn(&str) -> u64| {
        let verdicts: Vec<String> = handwritten::FLAGSHIP_PROBES
            .iter()
            .map(|(what, ev)| format!("{what}: {}", if f(ev) > 0 { "match" } else { "NO MATCH" }))
            .collect();
        notes.push(format!(
            "probe, {name} on events the flagship must match — {}",
            verdicts.join("; ")
        ));
    };
    if let Some(sr) = sigma_rust {
        add("sigma-rust 0.7", &|s| sr.line(s));
    }
    if let Some(rs) = rsigma {
        add("rsigma-eval 0.23", &|s| rs.line(s));
    }
    notes
}

// ----- cases ----------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ours,
    OursParallel,
    Floor,
    Parse,
    HandFlagship,
    HandRead,
    SigmaRust,
    Rsigma,
}

struct EngineSpec {
    name: String,
    kind: Kind,
    samples: Vec<Sample>,
    error: Option<String>,
}

impl EngineSpec {
    fn new(name: impl Into<String>, kind: Kind) -> Self {
        EngineSpec {
            name: name.into(),
            kind,
            samples: Vec::new(),
            error: None,
        }
    }
    fn median_secs(&self) -> Option<f64> {
        (!self.samples.is_empty() && self.error.is_none())
            .then(|| median(&self.samples.iter().map(|s| s.secs).collect::<Vec<_>>()))
    }
    fn count(&self) -> Option<u64> {
        self.samples.last().map(|s| s.count)
    }
    /// Whether every run gave the same count.
    fn count_stable(&self) -> bool {
        self.samples.windows(2).all(|w| w[0].count == w[1].count)
    }
    fn max_rss_kib(&self) -> Option<u64> {
        self.samples.iter().filter_map(|s| s.max_rss_kib).max()
    }
}

struct Case {
    id: char,
    title: String,
    rules: usize,
    engines: Vec<EngineSpec>,
    notes: Vec<String>,
}

impl Case {
    fn engine(&self, kind: Kind) -> Option<&EngineSpec> {
        self.engines.iter().find(|e| e.kind == kind)
    }
    fn eps(&self, kind: Kind, events: u64) -> Option<f64> {
        self.engine(kind)?.median_secs().map(|s| events as f64 / s)
    }
}

struct Env<'a> {
    corpus: &'a Path,
    stats: Stats,
    runs: usize,
    sigma_rust: Option<&'a SigmaRust>,
    rsigma: Option<&'a rsigma::Rsigma>,
    detect: &'a Path,
    threads_flag: bool,
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

fn measure(case: &mut Case, env: &Env<'_>) {
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

fn fmt_int(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn print_case(case: &Case, stats: &Stats, runs: usize) {
    let events = stats.events;
    let mb = stats.bytes as f64 / 1e6;
    println!();
    println!(
        "== case ({}) {}: {} rule{}, {} events, {:.1} MB, median of {} run{}",
        case.id,
        case.title,
        case.rules,
        if case.rules == 1 { "" } else { "s" },
        fmt_int(events),
        mb,
        runs,
        if runs == 1 { "" } else { "s" }
    );
    let ours = case.eps(Kind::Ours, events);
    println!(
        "{:<46} {:>12} {:>9} {:>9} {:>10} {:>13}",
        "engine", "events/s", "MB/s", "median s", "matches", "detect ÷ this"
    );
    for e in &case.engines {
        if let Some(err) = &e.error {
            println!(
                "{:<46} FAILED: {}",
                e.name,
                err.lines().next().unwrap_or("")
            );
            continue;
        }
        let Some(secs) = e.median_secs() else {
            continue;
        };
        let eps = events as f64 / secs;
        let ratio = match (ours, e.kind) {
            (Some(o), k) if k != Kind::Ours => format!("{:.2}×", o / eps),
            (Some(_), _) => "1.00×".into(),
            _ => "—".into(),
        };
        let count = match (e.kind, e.count()) {
            (Kind::Floor, Some(c)) => format!("({})", fmt_int(c)),
            (_, Some(c)) => fmt_int(c),
            _ => "—".into(),
        };
        println!(
            "{:<46} {:>12} {:>9.0} {:>9.3} {:>10} {:>13}{}",
            e.name,
            fmt_int(eps.round() as u64),
            mb / secs,
            secs,
            count,
            ratio,
            if e.count_stable() {
                ""
            } else {
                "  (count varied between runs!)"
            }
        );
    }
    let rss: Vec<String> = case
        .engines
        .iter()
        .filter_map(|e| {
            e.max_rss_kib()
                .map(|k| format!("{} {:.1} MiB", e.name, k as f64 / 1024.0))
        })
        .collect();
    if !rss.is_empty() {
        println!("peak RSS (max over runs): {}", rss.join("; "));
    }
    for n in &case.notes {
        println!("note: {n}");
    }
}

/// Compares each engine's count with the reference (the hand-written matcher), explaining the
/// known sigma-rust gap; returns whether `detect` agreed.
fn check_counts(case: &mut Case, reference: Kind, group_only: Option<u64>) -> bool {
    let Some(want) = case.engine(reference).and_then(|e| e.count()) else {
        return true;
    };
    let mut ok = true;
    let mut lines = Vec::new();
    for e in &case.engines {
        if matches!(e.kind, Kind::Floor | Kind::Parse) || e.kind == reference {
            continue;
        }
        let Some(got) = e.count() else { continue };
        if got == want {
            lines.push(format!("{}: {} = hand-written", e.name, fmt_int(got)));
            continue;
        }
        let mut msg = format!(
            "{}: {} ≠ hand-written {} ({:+})",
            e.name,
            fmt_int(got),
            fmt_int(want),
            got as i64 - want as i64
        );
        match e.kind {
            Kind::Ours | Kind::OursParallel => {
                ok = false;
                msg.push_str(" — MISMATCH: detect disagrees with the reference matcher");
            }
            Kind::SigmaRust => {
                msg.push_str(
                    " — sigma-rust is known never to match an array field (see its probe)",
                );
                if let Some(g) = group_only {
                    let _ = write!(
                        msg,
                        " ({} of the {} true matches match only through an element of impersonatedUser.groups)",
                        fmt_int(g),
                        fmt_int(want)
                    );
                }
            }
            Kind::Rsigma => msg.push_str(" — see its probe"),
            _ => {}
        }
        lines.push(msg);
    }
    case.notes
        .push(format!("match counts: {}", lines.join("; ")));
    ok
}

struct Target {
    what: &'static str,
    need: f64,
    got: Option<f64>,
    /// true: `got` must be at least `need`; false: below it.
    at_least: bool,
    unit: &'static str,
    why_missing: String,
}

fn run(args: &Args) -> Result<bool, String> {
    let root = workspace_root();
    let target = target_dir(&root);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "sigma-bench: {} events, {} run{} per engine{}, seed {:#x}",
        fmt_int(args.events),
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
    let mut set_files = vec![flagship.clone()];
    set_files.extend(yml_files(&root.join("bench/rules/sigmahq")).map_err(|e| e.to_string())?);
    set_files.extend(yml_files(&root.join("bench/rules/extra")).map_err(|e| e.to_string())?);
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
    ];

    println!("building detect (release) per rule set:");
    let mut built = Vec::new();
    for (id, name, title, files) in plan.into_iter().filter(|p| args.cases.contains(&p.0)) {
        let dir = staged.join(name);
        stage_rules(&dir, &files).map_err(|e| format!("cannot stage rules: {e}"))?;
        let bin = build_detect(&root, &target, name, &dir)?;
        built.push((id, title, files, bin));
    }
    let help = built
        .first()
        .and_then(|(_, _, _, bin)| {
            command_output(&bin.to_string_lossy(), &["scan", "--help"], &root)
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
        let with_peers = *id != 'c';
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
    let events = stats.events;
    let find = |id: char| cases.iter().find(|c| c.id == id);
    let ratio = |id: char, a: Kind, b: Kind| -> Option<f64> {
        let c = find(id)?;
        Some(c.eps(a, events)? / c.eps(b, events)?)
    };
    let missing = |id: char, what: &str| -> String {
        if find(id).is_none() {
            format!("case ({id}) not run")
        } else {
            format!("{what} not measured")
        }
    };
    let peak_rss = cases
        .iter()
        .flat_map(|c| c.engines.iter())
        .filter(|e| matches!(e.kind, Kind::Ours | Kind::OursParallel))
        .filter_map(EngineSpec::max_rss_kib)
        .max()
        .map(|k| k as f64 / 1024.0);
    let targets = [
        Target {
            what: "flagship: detect ≥ 0.8× the memchr floor",
            need: 0.8,
            got: ratio('a', Kind::Ours, Kind::Floor),
            at_least: true,
            unit: "×",
            why_missing: missing('a', "the floor"),
        },
        Target {
            what: "no-prefilter rule: detect ≥ 1.2× the hand-written serde matcher",
            need: 1.2,
            got: ratio('c', Kind::Ours, Kind::HandRead),
            at_least: true,
            unit: "×",
            why_missing: missing('c', "the hand-written matcher"),
        },
        Target {
            what: "flagship: detect ≥ 10× sigma-rust",
            need: 10.0,
            got: ratio('a', Kind::Ours, Kind::SigmaRust),
            at_least: true,
            unit: "×",
            why_missing: missing('a', "sigma-rust"),
        },
        Target {
            what: "rule set: detect ≥ 10× sigma-rust",
            need: 10.0,
            got: ratio('b', Kind::Ours, Kind::SigmaRust),
            at_least: true,
            unit: "×",
            why_missing: missing('b', "sigma-rust"),
        },
        Target {
            what: "peak RSS of detect < 64 MiB (max over every detect run)",
            need: 64.0,
            got: peak_rss,
            at_least: false,
            unit: " MiB",
            why_missing: "no detect run".into(),
        },
        Target {
            what: "no-prefilter rule: 2 threads ≥ 1.7× 1 thread",
            need: 1.7,
            got: ratio('c', Kind::OursParallel, Kind::Ours),
            at_least: true,
            unit: "×",
            why_missing: if threads_flag {
                missing('c', "the 2-thread run")
            } else {
                "detect scan has no --threads yet".into()
            },
        },
    ];
    println!();
    println!(
        "== targets (issue 4 §6), {} events, median of {} run{}{}",
        fmt_int(events),
        args.runs,
        if args.runs == 1 { "" } else { "s" },
        if args.smoke {
            " — smoke run: speed figures meaningless and not judged ([----]), counts checked"
        } else {
            ""
        }
    );
    for t in &targets {
        match t.got {
            Some(g) => {
                let pass = if t.at_least { g >= t.need } else { g < t.need };
                println!(
                    "[{}] {:<66} measured {:.2}{}",
                    match (args.smoke, pass) {
                        (true, _) => "----",
                        (false, true) => "PASS",
                        (false, false) => "FAIL",
                    },
                    t.what,
                    g,
                    t.unit
                );
            }
            None => println!("[N/A ] {:<66} {}", t.what, t.why_missing),
        }
    }
    let counts_ok = cases.iter().all(|c| {
        c.engines
            .iter()
            .filter(|e| matches!(e.kind, Kind::Ours | Kind::OursParallel))
            .all(|e| {
                let reference = match c.id {
                    'a' => c.engine(Kind::HandFlagship),
                    'c' => c.engine(Kind::HandRead),
                    _ => None,
                };
                match (reference.and_then(EngineSpec::count), e.count()) {
                    (Some(want), Some(got)) => want == got,
                    _ => true,
                }
            })
    });
    println!(
        "[{}] {:<66} {}",
        if counts_ok { "PASS" } else { "FAIL" },
        "detect's match counts equal the hand-written matchers' (a, c)",
        if counts_ok {
            "equal"
        } else {
            "MISMATCH (see the notes above)"
        }
    );
    all_ok &= counts_ok;
    if args.smoke {
        let flagship_count = find('a')
            .and_then(|c| c.engine(Kind::Ours))
            .and_then(EngineSpec::count);
        if flagship_count == Some(0) {
            println!(
                "smoke: the flagship matched nothing in the corpus; the count check proves little"
            );
            all_ok = false;
        }
        println!("smoke: {}", if all_ok { "ok" } else { "FAILED" });
    }
    Ok(all_ok)
}
