//! Doc-comment attributes: one `#[doc]` per line (so prettyplease prints `///`), text passed
//! as string literals (never as code), control characters made visible, and YAML fenced
//! with more backticks than it contains (so no rule text can open a doctest).

use proc_macro2::TokenStream;
use quote::quote;

/// Accumulates doc lines.
#[derive(Default)]
pub struct Doc {
    lines: Vec<String>,
}

impl Doc {
    /// Adds one line of text that may come from a rule: it is trimmed and a leading backtick
    /// or tilde is escaped, so it can never open a code block (which rustdoc would compile and
    /// run as a doctest). Line breaks become spaces.
    pub fn line(mut self, text: &str) -> Self {
        let one = text
            .split(['\n', '\r'])
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ");
        let one = clean(&one);
        self.lines.push(if one.starts_with(['`', '~']) {
            format!("\\{one}")
        } else {
            one
        });
        self
    }

    /// Adds an empty line.
    pub fn blank(mut self) -> Self {
        self.lines.push(String::new());
        self
    }

    /// Adds a fenced block.
    pub fn fenced(mut self, lang: &str, body: &str) -> Self {
        let longest = longest_backtick_run(body);
        let fence = "`".repeat(longest.max(2) + 1);
        self.lines.push(format!("{fence}{lang}"));
        for l in body.split('\n') {
            self.lines.push(clean(l));
        }
        self.lines.push(fence);
        self
    }

    /// The attributes.
    pub fn tokens(&self) -> TokenStream {
        let attrs = self.lines.iter().map(|l| {
            let text = if l.is_empty() {
                String::new()
            } else {
                format!(" {l}")
            };
            quote!(#[doc = #text])
        });
        quote!(#(#attrs)*)
    }
}

/// Makes a doc line safe and visible: a tab becomes `␉` (U+2409: inside a YAML value it is
/// data, which spaces would hide, and clippy's `tabs_in_doc_comments` rejects it), other
/// control characters become U+FFFD, and the Unicode bidirectional controls (which rustc
/// rejects in comments, as they can make code read differently from how it compiles) are
/// written as `\u{…}` escapes.
fn clean(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for c in line.trim_end().chars() {
        match c {
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            '\t' => out.push('\u{2409}'),
            c if c.is_control() => out.push(char::REPLACEMENT_CHARACTER),
            c => out.push(c),
        }
    }
    out
}

fn longest_backtick_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_outgrow_backticks_in_the_body() {
        let doc = Doc::default().fenced("yaml", "a: '````'\nb\rc");
        assert_eq!(
            doc.lines,
            vec!["`````yaml", "a: '````'", "b\u{fffd}c", "`````"]
        );
    }

    #[test]
    fn tabs_are_shown_as_a_symbol() {
        let doc = Doc::default().line("a\tb").fenced("yaml", "- '\t'");
        assert_eq!(
            doc.lines,
            vec!["a\u{2409}b", "```yaml", "- '\u{2409}'", "```"]
        );
    }

    #[test]
    fn bidi_controls_are_escaped() {
        let doc = Doc::default()
            .line("a\u{202e}b")
            .fenced("yaml", "- '\u{2066}'");
        assert_eq!(
            doc.lines,
            vec!["a\\u{202e}b", "```yaml", "- '\\u{2066}'", "```"]
        );
    }

    #[test]
    fn a_line_stays_one_line_and_cannot_open_a_code_block() {
        let doc = Doc::default()
            .line("  x  \ny")
            .blank()
            .line("```rust")
            .line("    indented");
        assert_eq!(doc.lines, vec!["x y", "", "\\```rust", "indented"]);
    }
}
