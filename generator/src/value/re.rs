//! Sigma (RE2-flavoured) regexes translated for the runtime's `regex` crate.

use super::Problem;
use std::collections::BTreeSet;

/// Translates a Sigma (RE2-flavoured) regex for the runtime's `regex` crate, checks that it
/// compiles there, and prefixes the flags. `\d`, `\w`, `\s` and `\b` are ASCII, as in RE2.
pub fn regex_for_runtime(pattern: &str, flags: &BTreeSet<char>) -> Result<String, Problem> {
    let mut out = String::with_capacity(pattern.len() + 8);
    if !flags.is_empty() {
        out.push_str("(?");
        out.extend(flags.iter());
        out.push(')');
    }
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(n) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let sub = match (in_class, n) {
                    (false, 'd') => "[0-9]",
                    (false, 'D') => "[^0-9]",
                    (false, 'w') => "[0-9A-Za-z_]",
                    (false, 'W') => "[^0-9A-Za-z_]",
                    (false, 's') => r"[\t\n\f\r ]",
                    (false, 'S') => r"[^\t\n\f\r ]",
                    (false, 'b') => r"(?-u:\b)",
                    (false, 'B') => r"(?-u:\B)",
                    (true, 'd') => "0-9",
                    (true, 'D') => "[:^digit:]",
                    (true, 'w') => "0-9A-Za-z_",
                    (true, 'W') => "[:^word:]",
                    (true, 's') => r"\t\n\f\r ",
                    (true, 'S') => "[:^space:]",
                    _ => {
                        out.push('\\');
                        out.push(n);
                        continue;
                    }
                };
                out.push_str(sub);
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str(r"\]");
                    chars.next();
                }
            }
            '[' if in_class && chars.peek() == Some(&':') => {
                // POSIX class `[:alpha:]` inside a bracket: copy through its closing `:]`.
                out.push('[');
                for d in chars.by_ref() {
                    out.push(d);
                    if d == ']' {
                        break;
                    }
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            _ => out.push(c),
        }
    }
    match regex::Regex::new(&out) {
        Ok(_) => Ok(out),
        Err(e) => Err(Problem::new(
            format!("the regular expression does not compile: {}", first_line(&e.to_string())),
            "Sigma regexes are RE2-style: no look-around (`(?=`, `(?!`, `(?<=`) and no backreferences (`\\1`)",
        )),
    }
}

/// The regex crate's message without its pattern excerpt: the last non-empty line.
fn first_line(s: &str) -> String {
    let last = s
        .lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or(s)
        .trim();
    last.strip_prefix("error: ").unwrap_or(last).to_owned()
}
