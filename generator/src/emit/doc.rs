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
    /// Adds one line (split further if it holds line breaks).
    pub fn line(mut self, text: &str) -> Self {
        for l in text.split('\n') {
            self.lines.push(clean(l));
        }
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

fn clean(line: &str) -> String {
    line.trim_end()
        .chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            }
        })
        .collect()
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
    fn lines_split_and_trim() {
        let doc = Doc::default().line("x  \ny").blank();
        assert_eq!(doc.lines, vec!["x", "y", ""]);
    }
}
