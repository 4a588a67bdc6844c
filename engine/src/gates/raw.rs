//! Keywords looked for in the event's JSON text before its values are: a keyword scan
//! visits every value of the event, while one search of the text it was decoded from tells,
//! for most events, that no value can hold any keyword needle.
//!
//! Sound because of what a value holding a needle implies about the text. Take a needle of
//! ASCII characters, none of them a control character, and not made only of characters a
//! number's text form can have (`0-9 . + - e i n f a`). A value whose folded text holds it is
//! a string (numbers' text forms cannot hold it; `true` and `false` are written as they
//! read) and, in a text that is all ASCII and has no `\u` or `\/` escape, is written
//! character by character, `\` as `\\` and `"` as `\"`, in its own ASCII case. So the text
//! holds the needle so escaped, in some ASCII case. (The folding of a non-ASCII character
//! can give an ASCII one, such as the Kelvin sign's `k`: hence all ASCII.)

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// One search over an event's JSON text for every keyword needle of a log source.
#[derive(Debug)]
pub(super) struct RawCheck {
    /// The needles as JSON writes them, in lower case, searched for in the text's lower-case
    /// copy (a case-sensitive search can use SIMD; an ASCII-case-insensitive one is several
    /// times slower).
    escaped: AhoCorasick,
    /// `\u` and `\/`, which are escapes unless their backslash is itself escaped.
    hiding: AhoCorasick,
}

impl RawCheck {
    /// The check for these needles (folded texts), or `None` when one of them could hide
    /// from it (see the module docs).
    pub(super) fn new<'t>(needles: impl IntoIterator<Item = &'t str>) -> Option<RawCheck> {
        let mut escaped = Vec::new();
        for n in needles {
            let number_like = n.bytes().all(|b| b"0123456789.+-einfa".contains(&b));
            if n.is_empty()
                || !n.is_ascii()
                || n.bytes().any(|b| b.is_ascii_control())
                || number_like
            {
                return None;
            }
            escaped.push(
                n.to_ascii_lowercase()
                    .replace('\\', "\\\\")
                    .replace('"', "\\\""),
            );
        }
        if escaped.is_empty() {
            return None;
        }
        // Leftmost-first (any kind will do for "is there a match") lets the automaton use
        // its SIMD searcher.
        let build = |patterns: &[&str]| {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostFirst)
                .build(patterns)
                .ok()
        };
        let escaped: Vec<&str> = escaped.iter().map(String::as_str).collect();
        Some(RawCheck {
            escaped: build(&escaped)?,
            hiding: build(&["\\u", "\\/"])?,
        })
    }

    /// False when no value of the event written as `text` can hold any of the needles
    /// (`lower` is a buffer to reuse).
    pub(super) fn may_hold(&self, text: &[u8], lower: &mut Vec<u8>) -> bool {
        if !text.is_ascii() {
            return true;
        }
        lower.clear();
        lower.extend_from_slice(text);
        lower.make_ascii_lowercase();
        self.escaped.is_match(&lower[..]) || self.hides_characters(text)
    }

    /// True when `text` has a `\u` or `\/` escape: one of those two-byte sequences
    /// preceded by an even number of backslashes (`\\` is an escaped backslash, so the
    /// character after it is not escaped). The two cannot overlap, so a search that does not
    /// report overlapping matches sees each.
    fn hides_characters(&self, text: &[u8]) -> bool {
        self.hiding.find_iter(text).any(|m| {
            let before = text[..m.start()]
                .iter()
                .rev()
                .take_while(|&&b| b == b'\\')
                .count();
            before % 2 == 0
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sigma_runtime::{fold, Event, Shape};

    /// Whether some leaf's text form, folded, holds one of `needles`: what the keyword scan
    /// would find.
    fn scan_finds(line: &str, needles: &[&str]) -> bool {
        let event = Event::parse_bytes_as(line.as_bytes(), Shape::Raw).unwrap();
        event.any_text_anywhere(|v| needles.iter().any(|n| fold(v).contains(n)))
    }

    #[test]
    fn never_rules_out_an_event_whose_values_hold_a_needle() {
        let needles = ["mimikatz", "c:\\users\\", "say \"hi\"", "true", "a/b"];
        let check = RawCheck::new(needles).expect("checkable needles");
        let lines = [
            r#"{"a":"run MimiKatz now"}"#,
            r#"{"p":"C:\\Users\\bob"}"#,
            r#"{"q":"they Say \"HI\""}"#,
            r#"{"flag":true}"#,
            r#"{"u":"a\/b"}"#,
            r#"{"e":"\u006dimikatz"}"#,
            "{\"k\":\"\u{212a}\"}",
            r#"{"n":{"deep":["x","MIMIKATZ"]}}"#,
            r#"{"plain":"nothing here","n":12.5,"b":false}"#,
            r#"{"path":"C:\\Windows\\system32","x":"users"}"#,
            r#"{"s":"\\u0041"}"#,
            r#"{"t":"\\\u006dimikatz"}"#,
        ];
        let mut ruled_out = 0;
        for line in lines {
            let finds = scan_finds(line, &needles);
            let may = check.may_hold(line.as_bytes(), &mut Vec::new());
            assert!(
                may || !finds,
                "ruled out, but a value holds a needle: {line}"
            );
            ruled_out += usize::from(!may);
        }
        // Not a check that always says maybe: three lines are ruled out (not the last: its
        // `\u` escape follows an escaped backslash).
        assert_eq!(ruled_out, 3);
        assert!(check.may_hold(lines[lines.len() - 1].as_bytes(), &mut Vec::new()));
    }

    #[test]
    fn needles_that_could_hide_are_not_checked() {
        for needle in ["42.0", "1e+20", "inf", "stra\u{df}e", "tab\there", ""] {
            assert!(RawCheck::new([needle]).is_none(), "{needle:?}");
        }
        assert!(RawCheck::new(["4624x"]).is_some());
    }
}
