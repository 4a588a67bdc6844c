//! The peer engines: sigma-rust 0.7 and rsigma-eval 0.23 (behind the `rsigma` feature) loading
//! a case's rules and scanning the corpus, the per-rule comparison with `detect scan --stats`,
//! and the probes on events the flagship must match.

use crate::measure::{for_each_line, utf8};
use crate::number::fmt_int;
use sigma_bench::handwritten;
use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// sigma-rust 0.7: each line becomes its `Event` (`event_from_json`), then every rule runs.
pub(crate) struct SigmaRust {
    pub(crate) rules: Vec<sigma_rust::Rule>,
}

pub(crate) fn load_sigma_rust(files: &[PathBuf], notes: &mut Vec<String>) -> SigmaRust {
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

    pub(crate) fn scan(&self, path: &Path) -> io::Result<u64> {
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
pub(crate) mod rsigma {
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
pub(crate) mod rsigma {
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
pub(crate) fn per_rule_notes(
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

pub(crate) fn probe_notes(
    sigma_rust: Option<&SigmaRust>,
    rsigma: Option<&rsigma::Rsigma>,
) -> Vec<String> {
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
