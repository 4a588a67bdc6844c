//! Token streams → reviewable text: each item through prettyplease, one blank line between
//! items, the `//` header on top, LF line endings, exactly one final newline.

use crate::emit::File;
use std::fmt;

/// The emitter produced tokens that do not parse as Rust: a generator bug.
#[derive(Debug)]
pub struct InvalidRust {
    /// The generated file.
    pub file: String,
    /// What syn said.
    pub error: syn::Error,
}

impl fmt::Display for InvalidRust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "sigma-gen emitted invalid Rust in {}: {}",
            self.file, self.error
        )
    }
}

impl std::error::Error for InvalidRust {}

/// Formats one file. Fails only if the emitter produced invalid Rust (a generator bug).
pub fn format(file: &File) -> Result<String, InvalidRust> {
    let mut out = String::new();
    for line in &file.header {
        out.push_str("// ");
        out.push_str(line);
        out.push('\n');
    }
    for item in &file.items {
        let parsed: syn::File = syn::parse2(item.clone()).map_err(|error| InvalidRust {
            file: file.name.clone(),
            error,
        })?;
        out.push('\n');
        out.push_str(prettyplease::unparse(&parsed).trim_end());
        out.push('\n');
    }
    Ok(out.replace("\r\n", "\n"))
}
