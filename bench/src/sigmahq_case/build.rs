//! Building `detect` for case (d), timed, with its largest process, and what cargo compiled in
//! that build: read from its JSON messages (`--message-format=json`), whose `fresh` flag says
//! for every artifact whether it was already built. A dependency (a crate that is not a path
//! crate of this workspace) that was not fresh means the build included dependencies, so its
//! time is not the rule set's; that is known for the build itself, not guessed from what the
//! target directory held before.

use super::child;
use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::SystemTime;

/// What the build compiled besides the rule set (the workspace's root package, `detections`).
pub(crate) enum Compiled {
    /// From cargo's messages: the dependencies compiled (package ids, not fresh) and the
    /// workspace's other crates recompiled (names: the engine, the runtime, the generator).
    Known {
        dependencies: Vec<String>,
        workspace: Vec<String>,
    },
    /// cargo reported no artifact, so this is not known; whether the binary was there before
    /// is the only hint.
    Unknown { binary_existed: bool },
}

pub(crate) struct BuildInfo {
    /// Wall time of `cargo build`.
    pub(crate) secs: f64,
    /// The largest process of the build (`wait4` on cargo: the biggest rustc), in KiB.
    pub(crate) max_rss_kib: u64,
    /// Whether a staged rule was touched first, so that the rule set was regenerated and
    /// recompiled (`false` with `--no-rebuild`).
    pub(crate) forced: bool,
    pub(crate) compiled: Compiled,
}

/// Sets a staged rule's modification time to now: cargo then reruns the build script, which
/// regenerates the rule set, and recompiles it.
pub(super) fn touch(path: &Path) -> Result<(), String> {
    fs::File::options()
        .append(true)
        .open(path)
        .and_then(|f| f.set_modified(SystemTime::now()))
        .map_err(|e| format!("cannot touch {}: {e}", path.display()))
}

/// Builds `detect` for the staged rules with the placeholder file, into
/// `target/bench-build/sigmahq`, and prints how long it took, its largest process, what it
/// compiled and the binary's size.
pub(super) fn build(
    root: &Path,
    target: &Path,
    rules: &Path,
    placeholders: &Path,
    forced: bool,
) -> Result<(PathBuf, BuildInfo), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let dir = target.join("bench-build").join("sigmahq");
    let bin = dir.join("release").join("detect");
    let binary_existed = bin.exists();
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args([
            "build",
            "--release",
            "--bin",
            "detect",
            "--message-format=json",
            "--target-dir",
        ])
        .arg(&dir)
        .env("SIGMA_RULES_DIR", rules)
        .env("SIGMA_PLACEHOLDERS", placeholders)
        .env_remove("CARGO_TARGET_DIR")
        .stdout(Stdio::piped());
    eprintln!("  building detect for case (d) (minutes: 3,780 rules)…");
    let root_manifest = root.join("Cargo.toml");
    let (done, tally) = child::run(&mut cmd, |out| {
        let mut tally = Tally::new(&root_manifest);
        if let Some(out) = out {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                // The compiler's errors come as JSON on stdout: show them as they come, since
                // the error returned quotes only cargo's stderr.
                if let Some(error) = tally.line(&line) {
                    eprintln!("{error}");
                }
            }
        }
        tally
    })
    .map_err(|e| {
        format!(
            "building detect for case (d) failed (SIGMA_RULES_DIR={}):\n{e}",
            rules.display()
        )
    })?;
    let compiled = tally.compiled(binary_existed);
    let size = fs::metadata(&bin).map(|m| m.len()).unwrap_or(0);
    println!(
        "built detect for sigmahq in {:.1} s ({}), largest process of the build {:.0} MiB (wait4 on cargo: the biggest rustc), binary {:.1} MB\n  ({})",
        done.secs,
        describe(&compiled, forced),
        done.max_rss_kib as f64 / 1024.0,
        size as f64 / 1e6,
        bin.display()
    );
    let info = BuildInfo {
        secs: done.secs,
        max_rss_kib: done.max_rss_kib,
        forced,
        compiled,
    };
    Ok((bin, info))
}

/// What the build line says about what was compiled.
fn describe(compiled: &Compiled, forced: bool) -> String {
    let what = if forced {
        "rule set regenerated and recompiled: a staged rule was touched"
    } else {
        "--no-rebuild: only what cargo found changed"
    };
    match compiled {
        Compiled::Known { dependencies, .. } if !dependencies.is_empty() => format!(
            "first build: {} dependency crates compiled in it; {what}",
            dependencies.len()
        ),
        Compiled::Known { workspace, .. } if !workspace.is_empty() => {
            format!("{what}; also recompiled: {}", workspace.join(", "))
        }
        Compiled::Known { .. } => format!("{what}; no dependency compiled"),
        Compiled::Unknown { binary_existed } => format!(
            "{what}; whether dependencies were compiled is not known (no artifact reported; the binary {} before)",
            if *binary_existed { "existed" } else { "did not exist" }
        ),
    }
}

/// Reads cargo's JSON messages, one line at a time.
pub(super) struct Tally {
    root_manifest: PathBuf,
    artifacts: usize,
    dependencies: BTreeSet<String>,
    workspace: BTreeSet<String>,
}

impl Tally {
    pub(super) fn new(root_manifest: &Path) -> Self {
        Tally {
            root_manifest: canonical(root_manifest),
            artifacts: 0,
            dependencies: BTreeSet::new(),
            workspace: BTreeSet::new(),
        }
    }

    /// Takes one line of cargo's stdout; returns a compiler error's rendered text.
    pub(super) fn line(&mut self, line: &str) -> Option<String> {
        let v: serde_json::Value = serde_json::from_str(line).ok()?;
        match v.get("reason")?.as_str()? {
            "compiler-artifact" => {
                // Without `fresh` the artifact says nothing, and is not counted.
                let fresh = v.get("fresh")?.as_bool()?;
                let id = v.get("package_id")?.as_str()?;
                self.artifacts += 1;
                if fresh {
                    return None;
                }
                if !is_path_package(id) {
                    self.dependencies.insert(id.to_string());
                } else if v
                    .get("manifest_path")
                    .and_then(|m| m.as_str())
                    .is_none_or(|m| canonical(Path::new(m)) != self.root_manifest)
                {
                    self.workspace.insert(package_name(id));
                }
                None
            }
            "compiler-message" => {
                let m = v.get("message")?;
                (m.get("level")?.as_str()? == "error")
                    .then(|| m.get("rendered")?.as_str().map(str::to_string))?
            }
            _ => None,
        }
    }

    pub(super) fn compiled(self, binary_existed: bool) -> Compiled {
        if self.artifacts == 0 {
            return Compiled::Unknown { binary_existed };
        }
        Compiled::Known {
            dependencies: self.dependencies.into_iter().collect(),
            workspace: self.workspace.into_iter().collect(),
        }
    }
}

fn canonical(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Whether a package id names a path package (this workspace's crates), in either of cargo's
/// spellings: `path+file:///…#name@1.0.0` or `name 1.0.0 (path+file:///…)`.
fn is_path_package(id: &str) -> bool {
    id.starts_with("path+") || id.contains("(path+")
}

/// The package's name from its id: `path+file:///w/engine#sigma-engine@0.1.0`,
/// `path+file:///w/engine#0.1.0` (the name is the directory's), or `sigma-engine 0.1.0 (…)`.
fn package_name(id: &str) -> String {
    if let Some((url, frag)) = id.split_once('#') {
        return match frag.split_once('@') {
            Some((name, _)) => name.to_string(),
            None => url.rsplit('/').next().unwrap_or(url).to_string(),
        };
    }
    id.split_whitespace().next().unwrap_or(id).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = "/w/Cargo.toml";

    fn artifact(id: &str, manifest: &str, fresh: bool) -> String {
        serde_json::json!({
            "reason": "compiler-artifact",
            "package_id": id,
            "manifest_path": manifest,
            "target": {"name": "x", "kind": ["lib"]},
            "fresh": fresh,
        })
        .to_string()
    }

    #[test]
    fn a_build_with_dependencies_is_known_as_such() {
        let mut t = Tally::new(Path::new(ROOT));
        let serde = "registry+https://github.com/rust-lang/crates.io-index#serde@1.0.228";
        let memchr = "registry+https://github.com/rust-lang/crates.io-index#memchr@2.7.6";
        for line in [
            artifact(serde, "/r/serde/Cargo.toml", false),
            artifact(memchr, "/r/memchr/Cargo.toml", true),
            artifact(
                "path+file:///w/engine#sigma-engine@0.1.0",
                "/w/engine/Cargo.toml",
                false,
            ),
            artifact("path+file:///w#detections@0.1.0", ROOT, false),
            r#"{"reason":"build-finished","success":true}"#.to_string(),
            "not json".to_string(),
            // No `fresh`: not counted.
            r#"{"reason":"compiler-artifact","package_id":"path+file:///w#detections@0.1.0"}"#
                .to_string(),
        ] {
            assert_eq!(t.line(&line), None);
        }
        match t.compiled(true) {
            Compiled::Known {
                dependencies,
                workspace,
            } => {
                assert_eq!(dependencies, [serde]);
                assert_eq!(workspace, ["sigma-engine"]);
            }
            Compiled::Unknown { .. } => panic!("artifacts were reported"),
        }
    }

    #[test]
    fn a_rebuild_of_the_rule_set_compiles_no_dependency() {
        let mut t = Tally::new(Path::new(ROOT));
        t.line(&artifact(
            "registry+https://github.com/rust-lang/crates.io-index#serde@1.0.228",
            "/r/serde/Cargo.toml",
            true,
        ));
        t.line(&artifact("path+file:///w#detections@0.1.0", ROOT, false));
        assert!(matches!(
            t.compiled(true),
            Compiled::Known { dependencies, workspace } if dependencies.is_empty() && workspace.is_empty()
        ));
        let mut t = Tally::new(Path::new(ROOT));
        t.line(r#"{"reason":"compiler-artifact","package_id":"path+file:///w#detections@0.1.0"}"#);
        assert!(matches!(
            t.compiled(false),
            Compiled::Unknown {
                binary_existed: false
            }
        ));
    }

    #[test]
    fn compiler_errors_are_passed_on() {
        let mut t = Tally::new(Path::new(ROOT));
        let msg = serde_json::json!({
            "reason": "compiler-message",
            "package_id": "path+file:///w#detections@0.1.0",
            "message": {"level": "error", "rendered": "error[E0308]: mismatched types"},
        });
        assert_eq!(
            t.line(&msg.to_string()).as_deref(),
            Some("error[E0308]: mismatched types")
        );
        let warning = msg.to_string().replace("\"error\"", "\"warning\"");
        assert_eq!(t.line(&warning), None);
    }

    #[test]
    fn package_names_and_kinds() {
        assert_eq!(
            package_name("path+file:///w/engine#sigma-engine@0.1.0"),
            "sigma-engine"
        );
        assert_eq!(package_name("path+file:///w/bench#0.1.0"), "bench");
        assert_eq!(
            package_name("sigma-engine 0.1.0 (path+file:///w/engine)"),
            "sigma-engine"
        );
        assert!(is_path_package("path+file:///w#detections@0.1.0"));
        assert!(is_path_package(
            "sigma-engine 0.1.0 (path+file:///w/engine)"
        ));
        assert!(!is_path_package(
            "registry+https://github.com/rust-lang/crates.io-index#serde@1.0.228"
        ));
        assert!(!is_path_package("git+https://github.com/x/y?rev=1#y@0.1.0"));
    }
}
