//! Paths and setup: the workspace and target directories, the rule sets staged for each case,
//! building `detect` once per rule set, and the machine description (CPU, load, git tree).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench/ has a parent")
        .to_path_buf()
}

pub(crate) fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if Path::new(&d).is_absolute() => PathBuf::from(d),
        Some(d) => root.join(d),
        None => root.join("target"),
    }
}

/// Copies `files` into `dir` (only `.yml`), rewriting only what changed and removing the rest,
/// so that an unchanged rule set does not make cargo rebuild `detect`.
pub(crate) fn stage_rules(dir: &Path, files: &[PathBuf]) -> io::Result<()> {
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

pub(crate) fn yml_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    v.sort();
    Ok(v)
}

/// Builds `detect` for the rules in `rules` into `target/bench-build/<case>`.
pub(crate) fn build_detect(
    root: &Path,
    target: &Path,
    case: &str,
    rules: &Path,
) -> Result<PathBuf, String> {
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

pub(crate) fn command_output(cmd: &str, args: &[&str], dir: &Path) -> Option<String> {
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

pub(crate) fn load_note(cores: usize) -> String {
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

pub(crate) fn cpu_model() -> String {
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
