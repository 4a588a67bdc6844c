//! Finding and reading rule files, in a deterministic order.

use crate::diagnostic::Diagnostic;
use std::path::Path;

/// One rule file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Path relative to the rules directory, `/`-separated.
    pub rel_path: String,
    /// Contents.
    pub text: String,
}

/// Every `*.yml` / `*.yaml` file below `dir`, sorted by relative path. Unreadable files and
/// directories are reported (as `label/...`), not skipped silently.
pub fn discover(dir: &Path, label: &str) -> (Vec<SourceFile>, Vec<Diagnostic>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    if !dir.is_dir() {
        errors.push(Diagnostic::error(
            label,
            format!(
                "rules directory `{}` does not exist or is not a directory",
                dir.display()
            ),
        ));
        return (files, errors);
    }
    walk(dir, "", label, &mut files, &mut errors);
    files.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
    (files, errors)
}

fn walk(
    dir: &Path,
    rel: &str,
    label: &str,
    files: &mut Vec<SourceFile>,
    errors: &mut Vec<Diagnostic>,
) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(Diagnostic::error(
                format!("{label}/{rel}"),
                format!("cannot read directory: {e}"),
            ));
            return;
        }
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let rel_path = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        let path = entry.path();
        if path.is_dir() {
            walk(&path, &rel_path, label, files, errors);
        } else if name.ends_with(".yml") || name.ends_with(".yaml") {
            match std::fs::read(&path) {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => files.push(SourceFile { rel_path, text }),
                    Err(_) => errors.push(Diagnostic::error(
                        format!("{label}/{rel_path}"),
                        "rule file is not UTF-8",
                    )),
                },
                Err(e) => errors.push(Diagnostic::error(
                    format!("{label}/{rel_path}"),
                    format!("cannot read: {e}"),
                )),
            }
        }
    }
}
