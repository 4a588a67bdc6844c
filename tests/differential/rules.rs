//! Rule files as this test reads them: their YAML documents and top-level scalars, the forced
//! logsource, reading a directory of rules, and the documented differences of
//! `docs/conformance.md`.

use super::LOGSOURCE;
use crate::common;
use std::collections::BTreeMap;
use std::path::Path;

/// One YAML document of a rule file, as far as this test needs to know it.
#[derive(Debug, Clone)]
pub(super) struct Doc {
    /// `detection`, `filter` or `correlation`.
    pub(super) kind: &'static str,
    /// The oracle's key for it: `id`, else `name`, else `title`.
    pub(super) key: Option<String>,
    /// `id`, as our alerts report it.
    pub(super) id: Option<String>,
}

/// The top-level scalars of each document of a rule file (a line-based reading: enough for
/// the rule files this test writes or copies).
pub(super) fn documents(text: &str) -> Vec<Doc> {
    let mut docs = Vec::new();
    for doc in split_documents(text) {
        let mut top: BTreeMap<&str, String> = BTreeMap::new();
        for line in doc.lines() {
            if line.starts_with([' ', '\t', '#', '-']) {
                continue;
            }
            if let Some((key, value)) = line.split_once(':') {
                top.insert(key.trim(), scalar(value));
            }
        }
        if top.is_empty() {
            continue;
        }
        let kind = if top.contains_key("correlation") {
            "correlation"
        } else if top.contains_key("filter") {
            "filter"
        } else {
            "detection"
        };
        let id = top.get("id").filter(|s| !s.is_empty()).cloned();
        let key = id
            .clone()
            .or_else(|| top.get("name").cloned())
            .or_else(|| top.get("title").cloned());
        docs.push(Doc { kind, key, id });
    }
    docs
}

pub(super) fn split_documents(text: &str) -> Vec<String> {
    let mut docs = vec![String::new()];
    for line in text.lines() {
        if line.trim_end() == "---" {
            docs.push(String::new());
        } else {
            let last = docs.last_mut().expect("one document at least");
            last.push_str(line);
            last.push('\n');
        }
    }
    docs
}

/// A YAML scalar as written after `key:` on one line: quotes and trailing comments removed.
pub(super) fn scalar(raw: &str) -> String {
    let raw = raw.trim();
    if let Some(inner) = raw.strip_prefix('\'') {
        let end = inner.rfind('\'').unwrap_or(inner.len());
        return inner[..end].replace("''", "'");
    }
    if let Some(inner) = raw.strip_prefix('"') {
        let end = inner.rfind('"').unwrap_or(inner.len());
        return inner[..end].to_owned();
    }
    raw.split(" #").next().unwrap_or_default().trim().to_owned()
}

/// Replaces the top-level `logsource:` block of every detection document with [`LOGSOURCE`].
pub(super) fn force_logsource(text: &str) -> String {
    let mut out = String::new();
    for (i, doc) in split_documents(text).iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        let mut skipping = false;
        let mut replaced = false;
        for line in doc.lines() {
            if skipping {
                if line.starts_with([' ', '\t']) || line.trim().is_empty() {
                    continue;
                }
                skipping = false;
            }
            if line.starts_with("logsource:") {
                out.push_str(LOGSOURCE);
                skipping = true;
                replaced = true;
                continue;
            }
            out.push_str(line);
            out.push('\n');
        }
        if !replaced && doc.lines().any(|l| l.starts_with("detection:")) {
            out.push_str(LOGSOURCE);
        }
    }
    out
}

/// Every `*.yml`/`*.yaml` below `dir`: relative path → contents.
pub(super) fn read_rules(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let rel = format!("{prefix}{name}");
        if path.is_dir() {
            read_rules(&path, &format!("{rel}/"), out);
        } else if name.ends_with(".yml") || name.ends_with(".yaml") {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            out.insert(rel, text);
        }
    }
}

/// The deliberate differences documented in `docs/conformance.md`: fixture file (relative to
/// `tests/fixtures/conformance/`) → case name. Rows of the table under the heading
/// "Deliberate differences" look like `| `case` | `fixture.yml`, `other.yml` | ... |`.
pub(super) fn documented_differences() -> BTreeMap<String, String> {
    let path = common::root().join("docs/conformance.md");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut in_table = false;
    let mut cases = BTreeMap::new();
    for line in text.lines() {
        if line.starts_with("## ") {
            in_table = line.contains("Deliberate differences");
            continue;
        }
        if !in_table || !line.starts_with("| `") {
            continue;
        }
        let cols: Vec<&str> = line.split('|').map(str::trim).collect();
        let case = cols[1].trim_matches('`').to_owned();
        let fixtures: Vec<&str> = cols[2]
            .split(',')
            .map(|f| f.trim().trim_matches('`'))
            .filter(|f| f.ends_with(".yml"))
            .collect();
        assert!(
            !fixtures.is_empty(),
            "{}: the deliberate difference `{case}` names no fixture file",
            path.display()
        );
        for f in fixtures {
            let previous = cases.insert(f.to_owned(), case.clone());
            assert!(
                previous.is_none(),
                "{}: {f} is listed twice",
                path.display()
            );
        }
    }
    assert!(
        !cases.is_empty(),
        "{}: no table of deliberate differences found",
        path.display()
    );
    cases
}
