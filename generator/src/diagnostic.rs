//! One diagnostic type for every rule problem, rendered the way compilers do.
//!
//! ```text
//! detections/k8s/x.yml:12:11: error: unknown modifier `contians`
//!     at: detection.selection
//!    12 |     user|contians: foo
//!       |          ^^^^^^^^
//!     help: did you mean `contains`?
//! ```

use std::fmt;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The rule set cannot be compiled.
    Error,
    /// Worth fixing, but the rule compiles.
    Warning,
}

/// One problem in one rule file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The rule file as the user named it (relative to the rules directory's parent when
    /// possible), with `/` separators.
    pub file: String,
    /// 1-based line; 0 when the problem has no position (an unreadable file).
    pub line: usize,
    /// 1-based column in chars; 0 when unknown.
    pub col: usize,
    /// How many chars to underline from `col` (at least 1 when `line` is known).
    pub len: usize,
    /// YAML path of the offending node, e.g. `detection.selection`; empty for the document.
    pub path: String,
    /// What is wrong, lowercase, no trailing period.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// The source line at `line`, for the excerpt.
    pub source_line: Option<String>,
}

impl Diagnostic {
    /// A new error with no position yet.
    pub fn error(file: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            file: file.into(),
            line: 0,
            col: 0,
            len: 0,
            path: String::new(),
            message: message.into(),
            help: None,
            source_line: None,
        }
    }

    /// The same diagnostic as a warning.
    pub fn warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
    }

    /// Adds a hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets the YAML path.
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// Sets the position and takes the excerpt line from `text`.
    pub fn at(mut self, text: &str, line: usize, col: usize, len: usize) -> Self {
        self.line = line;
        self.col = col;
        self.len = len.max(1);
        self.source_line = line
            .checked_sub(1)
            .and_then(|i| text.lines().nth(i))
            .map(|l| l.trim_end_matches('\r').to_owned());
        self
    }

    /// The diagnostic on one line (for `cargo::error=` / `cargo::warning=`, which cannot hold
    /// line breaks): position, message, YAML path and help.
    pub fn one_line(&self) -> String {
        let mut out = match (self.line, self.col) {
            (0, _) => format!("{}: {}", self.file, self.message),
            (l, c) => format!("{}:{l}:{c}: {}", self.file, self.message),
        };
        if !self.path.is_empty() {
            out.push_str(&format!(" (at {})", self.path));
        }
        if let Some(help) = &self.help {
            out.push_str(&format!("; help: {help}"));
        }
        out.replace(['\n', '\r'], " ")
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match (self.line, self.col) {
            (0, _) => write!(f, "{}: {kind}: {}", self.file, self.message)?,
            (l, c) => write!(f, "{}:{l}:{c}: {kind}: {}", self.file, self.message)?,
        }
        if !self.path.is_empty() {
            write!(f, "\n    at: {}", self.path)?;
        }
        if let Some(src) = &self.source_line {
            let num = self.line.to_string();
            let pad = " ".repeat(num.len());
            let shown: String = src.chars().map(printable).collect();
            let lead: String = src
                .chars()
                .take(self.col.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(
                f,
                "\n    {num} | {shown}\n    {pad} | {lead}{}",
                "^".repeat(self.len.max(1))
            )?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n    help: {help}")?;
        }
        Ok(())
    }
}

/// Keeps an excerpt on one terminal line: control chars become `?`, tabs stay.
fn printable(c: char) -> char {
    if c.is_control() && c != '\t' {
        '?'
    } else {
        c
    }
}

/// Every diagnostic of a run, sorted by file, line and column.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Adds one.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    /// True when at least one is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// Number of errors.
    pub fn error_count(&self) -> usize {
        self.0.iter().filter(|d| d.is_error()).count()
    }

    /// Sorts into the order they are shown in (stable for equal positions).
    pub fn sort(&mut self) {
        self.0
            .sort_by(|a, b| (&a.file, a.line, a.col).cmp(&(&b.file, b.line, b.col)));
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(f, "{d}")?;
        }
        Ok(())
    }
}
