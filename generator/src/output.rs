//! The generated files as text, and writing them or comparing them with a directory.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

/// Generated files: name → contents, sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// File name (inside the output directory) → text.
    pub files: BTreeMap<String, String>,
}

/// How a directory differs from the output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stale {
    /// Files whose contents differ.
    pub changed: Vec<String>,
    /// Files the directory lacks.
    pub missing: Vec<String>,
    /// `.rs` files in the directory that the output does not have (deleted rules).
    pub extra: Vec<String>,
}

impl Stale {
    /// True when the directory matches.
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.missing.is_empty() && self.extra.is_empty()
    }
}

impl std::fmt::Display for Stale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (what, list) in [
            ("changed", &self.changed),
            ("missing", &self.missing),
            ("extra", &self.extra),
        ] {
            for name in list {
                writeln!(f, "  {what}: {name}")?;
            }
        }
        Ok(())
    }
}

impl Output {
    /// Writes every file whose contents changed (unchanged files keep their mtime, so nothing
    /// recompiles), and deletes `.rs` files the output no longer has.
    pub fn write(&self, dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)?;
        for (name, text) in &self.files {
            let path = dir.join(name);
            if std::fs::read(&path).ok().as_deref() != Some(text.as_bytes()) {
                std::fs::write(&path, text)?;
            }
        }
        for name in rs_files(dir)? {
            if !self.files.contains_key(&name) {
                std::fs::remove_file(dir.join(name))?;
            }
        }
        Ok(())
    }

    /// Compares with a directory (line endings normalised to LF).
    pub fn diff(&self, dir: &Path) -> io::Result<Stale> {
        let mut stale = Stale::default();
        for (name, text) in &self.files {
            match std::fs::read_to_string(dir.join(name)) {
                Ok(on_disk) if on_disk.replace("\r\n", "\n") == *text => {}
                Ok(_) => stale.changed.push(name.clone()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => stale.missing.push(name.clone()),
                Err(e) => return Err(e),
            }
        }
        if dir.is_dir() {
            stale.extra = rs_files(dir)?
                .into_iter()
                .filter(|n| !self.files.contains_key(n))
                .collect();
        }
        Ok(stale)
    }
}

fn rs_files(dir: &Path) -> io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".rs") && entry.file_type()?.is_file() {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}
