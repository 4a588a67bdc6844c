//! `generated/` must be a byte-identical mirror of the code that was compiled (OUT_DIR).
//!
//! On a mismatch the test names the files and the command that refreshes them. With
//! `UPDATE_GENERATED=1` (and `CI` unset) it rewrites `generated/` itself, then still fails
//! once so that the change is noticed and reviewed.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

fn rs_files(dir: &Path) -> BTreeMap<String, String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".rs"))
        .map(|e| {
            let text = std::fs::read_to_string(e.path()).expect("readable generated file");
            (
                e.file_name().to_string_lossy().into_owned(),
                text.replace("\r\n", "\n"),
            )
        })
        .collect()
}

#[test]
fn generated_mirror_matches_what_was_compiled() {
    if common::other_rule_set() {
        return;
    }
    let compiled_dir = Path::new(env!("OUT_DIR")).join("generated");
    let committed_dir = common::root().join("generated");
    let compiled = rs_files(&compiled_dir);
    let committed = rs_files(&committed_dir);
    assert!(
        compiled.contains_key("mod.rs"),
        "no generated index in {}",
        compiled_dir.display()
    );

    let mut stale = Vec::new();
    for (name, text) in &compiled {
        match committed.get(name) {
            Some(c) if c == text => {}
            Some(_) => stale.push(format!("changed: generated/{name}")),
            None => stale.push(format!("missing: generated/{name}")),
        }
    }
    stale.extend(
        committed
            .keys()
            .filter(|n| !compiled.contains_key(*n))
            .map(|n| format!("extra: generated/{n}")),
    );
    if stale.is_empty() {
        return;
    }
    let update = std::env::var_os("UPDATE_GENERATED").is_some_and(|v| v == "1");
    if update && std::env::var_os("CI").is_none() {
        let _ = std::fs::remove_dir_all(&committed_dir);
        std::fs::create_dir_all(&committed_dir).expect("create generated/");
        for (name, text) in &compiled {
            std::fs::write(committed_dir.join(name), text).expect("write generated/");
        }
        panic!("generated/ was stale and has been rewritten:\n  {}\nreview `git diff generated/` and commit", stale.join("\n  "));
    }
    panic!(
        "generated/ is stale:\n  {}\nrun `cargo regen` (or `UPDATE_GENERATED=1 cargo test`) and commit the result",
        stale.join("\n  ")
    );
}

#[test]
fn generated_code_compiled_from_the_shipped_rules_is_listed() {
    if common::other_rule_set() {
        return;
    }
    let yml = count_yml(&common::root().join("detections"));
    assert!(yml >= 1);
    assert_eq!(
        detections::RULES.rules.len() + detections::CORRELATIONS.correlations.len(),
        yml,
        "one compiled rule or correlation per shipped rule file"
    );
    let mut sources: Vec<&str> = detections::RULES
        .rules
        .iter()
        .map(|r| r.info.source)
        .collect();
    let sorted = {
        let mut s = sources.clone();
        s.sort_unstable();
        s
    };
    assert_eq!(sources, sorted, "RULES is sorted by rule file path");
    sources.dedup();
    assert_eq!(sources.len(), detections::RULES.rules.len());
}

fn count_yml(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .expect("detections/ readable")
        .filter_map(Result::ok)
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                count_yml(&p)
            } else {
                usize::from(p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
            }
        })
        .sum()
}
