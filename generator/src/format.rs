//! Token streams → reviewable text: each item through prettyplease, one blank line between
//! items, the `//` header on top, LF line endings, exactly one final newline.

use crate::emit::File;

/// Formats one file. Fails only if the emitter produced invalid Rust (a generator bug).
pub fn format(file: &File) -> Result<String, String> {
    let mut out = String::new();
    for line in &file.header {
        out.push_str("// ");
        out.push_str(line);
        out.push('\n');
    }
    for item in &file.items {
        let parsed: syn::File = syn::parse2(item.clone())
            .map_err(|e| format!("sigma-gen emitted invalid Rust in {}: {e}", file.name))?;
        out.push('\n');
        out.push_str(prettyplease::unparse(&parsed).trim_end());
        out.push('\n');
    }
    Ok(out.replace("\r\n", "\n"))
}
