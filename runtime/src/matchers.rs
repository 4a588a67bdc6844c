//! String-matching primitives called by generated Sigma rule code.
//!
//! Case-insensitive matching folds each char on its own: a char is replaced
//! by its lowercase form when `char::to_lowercase` yields exactly one char,
//! and kept unchanged otherwise. Folding therefore maps one char to one char
//! (but may change its UTF-8 byte length, e.g. the Kelvin sign folds to `k`),
//! so every non-ASCII comparison below walks chars, never byte offsets.
//!
//! Needles passed to the `_ci` functions (and `GlobPart::Lit` under `ci`) are
//! already folded with [`fold`]; haystacks are raw event text.

use std::borrow::Cow;
use std::cmp::Ordering;

/// Folds one char per the project's case rule.
#[inline]
pub fn fold_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// Folds a whole string (borrowed when nothing changes).
pub fn fold(s: &str) -> Cow<'_, str> {
    match s.char_indices().find(|&(_, c)| fold_char(c) != c) {
        None => Cow::Borrowed(s),
        Some((i, _)) => {
            let mut out = String::with_capacity(s.len());
            out.push_str(&s[..i]);
            out.extend(s[i..].chars().map(fold_char));
            Cow::Owned(out)
        }
    }
}

/// Byte-wise `fold(hay) == needle` for an ASCII `hay` of equal length.
#[inline]
fn ascii_eq(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() == needle.len()
        && hay
            .iter()
            .zip(needle)
            .all(|(h, n)| h.to_ascii_lowercase() == *n)
}

/// If `hay` starts with a char sequence folding to `needle`, returns the
/// byte length of that prefix of `hay`.
#[inline]
fn prefix_len_ci(hay: &str, needle: &str) -> Option<usize> {
    let (hb, nb) = (hay.as_bytes(), needle.as_bytes());
    // ASCII fast path: an ASCII prefix folds byte-for-byte, and a non-ASCII
    // needle byte can never equal a folded ASCII byte.
    if hb.len() >= nb.len() && hb[..nb.len()].is_ascii() {
        return ascii_eq(&hb[..nb.len()], nb).then_some(nb.len());
    }
    let mut chars = hay.char_indices();
    for n in needle.chars() {
        match chars.next() {
            Some((_, c)) if fold_char(c) == n => {}
            _ => return None,
        }
    }
    Some(chars.offset())
}

/// hay == needle, case-insensitively (needle pre-folded).
#[inline(always)]
pub fn eq_ci(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    // An ASCII hay folds byte for byte, so it can only match a needle of its length.
    if h.len() == n.len() && h.is_ascii() {
        return ascii_eq(h, n);
    }
    // A char folding to an ASCII one is one byte, or three (the Kelvin sign): a shorter hay
    // cannot match an ASCII needle.
    if h.len() < n.len() && n.is_ascii() {
        return false;
    }
    eq_ci_wide(hay, needle)
}

/// [`eq_ci`] when the lengths differ or the hay is not all ASCII.
#[inline(never)]
fn eq_ci_wide(hay: &str, needle: &str) -> bool {
    if hay.is_ascii() {
        return false;
    }
    hay.chars().map(fold_char).eq(needle.chars())
}

/// hay starts with needle, case-insensitively (needle pre-folded).
#[inline]
pub fn starts_with_ci(hay: &str, needle: &str) -> bool {
    prefix_len_ci(hay, needle).is_some()
}

/// hay ends with needle, case-insensitively (needle pre-folded).
#[inline]
pub fn ends_with_ci(hay: &str, needle: &str) -> bool {
    let (hb, nb) = (hay.as_bytes(), needle.as_bytes());
    if hay.is_ascii() {
        return hb.len() >= nb.len() && ascii_eq(&hb[hb.len() - nb.len()..], nb);
    }
    let mut chars = hay.chars().rev();
    needle
        .chars()
        .rev()
        .all(|n| chars.next().is_some_and(|c| fold_char(c) == n))
}

/// hay contains needle, case-insensitively (needle pre-folded).
pub fn contains_ci(hay: &str, needle: &str) -> bool {
    let (hb, nb) = (hay.as_bytes(), needle.as_bytes());
    let Some(&first) = nb.first() else {
        return true;
    };
    if hay.is_ascii() {
        // Only where the needle's first byte is, in either case.
        let Some(last) = hb.len().checked_sub(nb.len()) else {
            return false;
        };
        let starts = &hb[..=last];
        let at = |i: usize| ascii_eq(&hb[i..i + nb.len()], nb);
        return if first.is_ascii_lowercase() {
            memchr::memchr2_iter(first, first.to_ascii_uppercase(), starts).any(at)
        } else {
            memchr::memchr_iter(first, starts).any(at)
        };
    }
    contains_ci_wide(hay, needle)
}

/// [`contains_ci`] on a hay that is not all ASCII: tried at each char that can fold to the
/// needle's first one, without folding the hay into a new string.
#[inline(never)]
fn contains_ci_wide(hay: &str, needle: &str) -> bool {
    let first = needle.as_bytes()[0];
    let at = |i: usize| prefix_len_ci(&hay[i..], needle).is_some();
    if first.is_ascii() {
        // The chars folding to an ASCII one: itself, its upper case, and for `k` the Kelvin
        // sign (U+212A, lead byte 0xE2); each starts at a byte of those values, and such a
        // byte always starts a char.
        let third = if first == b'k' { 0xE2 } else { first };
        memchr::memchr3_iter(first, first.to_ascii_uppercase(), third, hay.as_bytes()).any(at)
    } else {
        let n0 = needle.chars().next();
        hay.char_indices()
            .any(|(i, c)| Some(fold_char(c)) == n0 && at(i))
    }
}

/// One piece of a precomputed wildcard pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlobPart {
    /// Literal text (pre-folded when the pattern is matched with `ci`).
    Lit(&'static str),
    /// Exactly one char (`?`).
    AnyChar,
    /// Any run of chars, possibly empty (`*`).
    AnyRun,
}

/// Matches a whole value against a precomputed wildcard pattern.
///
/// Greedy two-pointer matching that, on a mismatch, retries from the most
/// recent `AnyRun` with it absorbing one more char: O(len(hay) * len(parts)
/// chars) time, no recursion, no allocation.
pub fn glob(hay: &str, parts: &[GlobPart], ci: bool) -> bool {
    let (mut pi, mut hi) = (0usize, 0usize);
    // (part index after the last AnyRun, hay offset where its retry resumes)
    let mut star: Option<(usize, usize)> = None;
    loop {
        let rest = &hay[hi..];
        let step = match parts.get(pi) {
            None if rest.is_empty() => return true,
            None => None,
            Some(GlobPart::AnyRun) => {
                star = Some((pi + 1, hi));
                Some(0)
            }
            Some(GlobPart::AnyChar) => rest.chars().next().map(char::len_utf8),
            Some(GlobPart::Lit(lit)) if ci => prefix_len_ci(rest, lit),
            Some(GlobPart::Lit(lit)) => rest.starts_with(lit).then_some(lit.len()),
        };
        match (step, star) {
            (Some(n), _) => {
                pi += 1;
                hi += n;
            }
            (None, Some((sp, sh))) => match hay[sh..].chars().next() {
                Some(c) => {
                    hi = sh + c.len_utf8();
                    pi = sp;
                    star = Some((sp, hi));
                }
                None => return false,
            },
            (None, None) => return false,
        }
    }
}

/// Case-sensitive membership in a sorted slice (binary search).
#[inline]
pub fn in_sorted(hay: &str, sorted: &[&str]) -> bool {
    sorted.binary_search(&hay).is_ok()
}

/// Case-insensitive membership in a sorted slice of pre-folded needles.
///
/// Compares against the folded haystack lazily, without allocating; char
/// order equals UTF-8 byte order, so this agrees with `str`'s sort order.
pub fn in_sorted_ci(hay: &str, sorted_folded: &[&str]) -> bool {
    let cmp = |p: &&str| -> Ordering {
        if hay.is_ascii() {
            p.bytes().cmp(hay.bytes().map(|b| b.to_ascii_lowercase()))
        } else {
            p.chars().cmp(hay.chars().map(fold_char))
        }
    };
    sorted_folded.binary_search_by(cmp).is_ok()
}

#[cfg(test)]
mod tests {
    use super::GlobPart::{AnyChar as Q, AnyRun as S, Lit as L};
    use super::*;

    const KELVIN: &str = "\u{212A}";

    #[test]
    fn fold_rules() {
        assert_eq!(fold_char('A'), 'a');
        assert_eq!(fold_char('Ä'), 'ä');
        assert_eq!(fold_char('\u{212A}'), 'k');
        assert_eq!(fold_char('İ'), 'İ');
        assert_eq!(fold_char('Σ'), 'σ');
        assert_eq!(fold_char('ς'), 'ς');
        assert_eq!(fold_char('ß'), 'ß');
        assert_eq!(fold_char('Ⱥ'), 'ⱥ'); // 2 bytes -> 3 bytes
        assert!(matches!(fold("already lower"), Cow::Borrowed(_)));
        assert!(matches!(fold("ä€"), Cow::Borrowed(_)));
        assert_eq!(fold("HeLLo ÄİΣ\u{212A}"), "hello äİσk");
        assert!(matches!(fold("abC"), Cow::Owned(_)));
    }

    #[test]
    fn eq_ci_cases() {
        assert!(eq_ci("HeLLo", "hello"));
        assert!(!eq_ci("HeLLo", "hell"));
        assert!(!eq_ci("Hello", "hello!"));
        assert!(eq_ci("ÄBC", "äbc"));
        assert!(eq_ci(KELVIN, "k"));
        assert!(eq_ci("K", "k"));
        assert!(!eq_ci("İ", "i"));
        assert!(eq_ci("İ", "İ"));
        assert!(!eq_ci("ß", "ss"));
        assert!(!eq_ci("SS", "ß"));
        assert!(eq_ci("Σ", "σ"));
        assert!(!eq_ci("ς", "σ"));
        assert!(eq_ci("Ⱥ", "ⱥ"));
        assert!(eq_ci("", ""));
        assert!(!eq_ci("a", ""));
        assert!(!eq_ci("", "a"));
        assert!(!eq_ci("abc", "äbc"));
    }

    #[test]
    fn starts_with_ci_cases() {
        assert!(starts_with_ci("PowerShell.exe", "powershell"));
        assert!(!starts_with_ci("Power", "powershell"));
        assert!(starts_with_ci("ÄRGER", "är"));
        assert!(starts_with_ci("\u{212A}ernel", "ker"));
        assert!(!starts_with_ci("İstanbul", "istanbul"));
        assert!(starts_with_ci("İstanbul", "İst"));
        assert!(!starts_with_ci("ßtraße", "ss"));
        assert!(starts_with_ci("ΣΑΣ", "σα"));
        assert!(!starts_with_ci("ςα", "σ"));
        assert!(starts_with_ci("Ⱥb", "ⱥb")); // hay shorter in bytes than needle
        assert!(starts_with_ci("", ""));
        assert!(starts_with_ci("x", ""));
        assert!(!starts_with_ci("", "x"));
    }

    #[test]
    fn ends_with_ci_cases() {
        assert!(ends_with_ci("C:\\Windows\\CMD.EXE", "\\cmd.exe"));
        assert!(!ends_with_ci("cmd.ex", "cmd.exe"));
        assert!(!ends_with_ci("exe", "a.exe"));
        assert!(ends_with_ci("straÄ", "aä"));
        // Folding changes byte length: 3-byte Kelvin sign vs 1-byte `k`.
        assert!(ends_with_ci("X\u{212A}", "xk"));
        assert!(ends_with_ci("\u{212A}\u{212A}", "kk"));
        assert!(!ends_with_ci("\u{212A}", "xk"));
        assert!(ends_with_ci("aaⱭ", "aɑ")); // 3-byte folds to 2-byte
        assert!(ends_with_ci("xȺ", "xⱥ")); // 2-byte folds to 3-byte
        assert!(!ends_with_ci("xİ", "i"));
        assert!(ends_with_ci("xİ", "İ"));
        assert!(!ends_with_ci("straße", "sse"));
        assert!(ends_with_ci("ΟΔΟΣ", "δοσ"));
        assert!(!ends_with_ci("οδος", "σ"));
        assert!(ends_with_ci("", ""));
        assert!(ends_with_ci("abc", ""));
        assert!(!ends_with_ci("", "c"));
    }

    /// On random text mixing ASCII, the Kelvin sign, 2- and 3-byte chars and chars whose case
    /// changes their length: `contains_ci` is the folded hay containing the folded needle.
    #[test]
    fn contains_ci_equals_folding_the_hay() {
        let alphabet = [
            'a', 'K', 'k', '\u{212A}', 'Ä', 'ä', '€', 'ß', 'Ⱥ', 'ⱥ', 'İ', 'x', ' ',
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for _ in 0..20_000 {
            let hay: String = (0..next(12))
                .map(|_| alphabet[next(alphabet.len())])
                .collect();
            let needle: String = (0..1 + next(3))
                .map(|_| alphabet[next(alphabet.len())])
                .collect();
            let needle = fold(&needle).into_owned();
            assert_eq!(
                contains_ci(&hay, &needle),
                fold(&hay).contains(needle.as_str()),
                "{hay:?} contains {needle:?}"
            );
        }
    }

    #[test]
    fn contains_ci_cases() {
        assert!(contains_ci("cmd /C WhoAmI", "whoami"));
        assert!(!contains_ci("cmd /C WhoAm", "whoami"));
        assert!(contains_ci("xxÄÖxx", "äö"));
        assert!(!contains_ci("xxAOxx", "äö"));
        assert!(contains_ci("a\u{212A}b", "kb"));
        assert!(contains_ci("ab€K", "k")); // non-ASCII hay, ASCII needle at end
        assert!(!contains_ci("abc", "ä"));
        assert!(!contains_ci("İİ", "i"));
        assert!(contains_ci("aİb", "İb"));
        assert!(!contains_ci("STRASSE", "ß"));
        assert!(!contains_ci("straße", "ss"));
        assert!(contains_ci("ΑΣΑ", "σ"));
        assert!(!contains_ci("ας", "σ"));
        assert!(contains_ci("", ""));
        assert!(contains_ci("abc", ""));
        assert!(!contains_ci("", "a"));
        assert!(!contains_ci("ab", "abc"));
    }

    #[test]
    fn glob_basics() {
        assert!(glob("", &[], false));
        assert!(!glob("a", &[], false));
        assert!(glob("", &[S], false));
        assert!(glob("anything", &[S], false));
        assert!(glob("", &[S, S], false));
        assert!(glob("abc", &[S, S, L("c")], false));
        assert!(glob("abc", &[L("a"), S], false));
        assert!(!glob("bac", &[L("a"), S], false));
        assert!(glob("cba", &[S, L("a")], false));
        assert!(!glob("cab", &[S, L("a")], false));
        assert!(glob("xay", &[S, L("a"), S], false));
        assert!(!glob("xyz", &[S, L("a"), S], false));
        assert!(glob("aXbYc", &[L("a"), S, L("b"), S, L("c")], false));
        assert!(glob("abc", &[L("a"), S, L("b"), S, L("c")], false));
        assert!(!glob("acb", &[L("a"), S, L("b"), S, L("c")], false));
        assert!(glob("x", &[Q], false));
        assert!(!glob("", &[Q], false));
        assert!(!glob("xy", &[Q], false));
        assert!(glob("xy", &[Q, Q], false));
        assert!(!glob("x", &[Q, Q], false));
        assert!(glob("abc", &[L("a"), Q, L("c")], false));
        assert!(!glob("ac", &[L("a"), Q, L("c")], false));
        assert!(!glob("", &[S, Q], false));
        assert!(glob("z", &[S, Q], false));
        assert!(glob("zzz", &[S, Q], false));
        // Multi-byte chars under `?`.
        assert!(glob("ä", &[Q], false));
        assert!(glob("€", &[Q], false));
        assert!(glob("a€c", &[L("a"), Q, L("c")], false));
        assert!(!glob("a€€c", &[L("a"), Q, L("c")], false));
        assert!(glob("😀😀", &[Q, Q], false));
        // Backtracking.
        assert!(glob("aab", &[S, L("ab")], false));
        assert!(glob("aab", &[L("a"), S, L("ab")], false));
        assert!(!glob("ab", &[L("a"), S, L("ab")], false));
        assert!(glob("abcabcabd", &[S, L("abd")], false));
        assert!(glob("mississippi", &[S, L("ss"), S, L("pi")], false));
    }

    #[test]
    fn glob_case() {
        let p = &[L("system:node:"), S];
        assert!(glob("System:Node:worker-1", p, true));
        assert!(!glob("System:Node:worker-1", p, false));
        assert!(glob("system:node:worker-1", p, false));
        assert!(glob("ÄX", &[L("ä"), Q], true));
        assert!(!glob("ÄX", &[L("ä"), Q], false));
        assert!(glob("x\u{212A}", &[S, L("k")], true));
        assert!(!glob("x\u{212A}", &[S, L("k")], false));
        assert!(!glob("İ", &[L("i")], true));
        assert!(glob("İ", &[L("İ")], true));
        assert!(!glob("ß", &[L("ss")], true));
        assert!(glob("ΣΣ", &[L("σ"), Q], true));
        assert!(!glob("ςx", &[L("σ"), Q], true));
        assert!(glob("aȺȺb", &[S, L("ⱥb")], true));
    }

    #[test]
    fn in_sorted_cases() {
        let mut set = vec!["cmd.exe", "powershell.exe", "äpfel", "İx", "k", "ß"];
        set.sort_unstable();
        assert!(in_sorted("cmd.exe", &set));
        assert!(!in_sorted("CMD.EXE", &set));
        assert!(!in_sorted("cmd", &set));
        assert!(in_sorted_ci("CMD.EXE", &set));
        assert!(in_sorted_ci("PowerShell.exe", &set));
        assert!(!in_sorted_ci("PowerShell", &set));
        assert!(in_sorted_ci("Äpfel", &set));
        assert!(in_sorted_ci("\u{212A}", &set));
        assert!(in_sorted_ci("K", &set));
        assert!(in_sorted_ci("İX", &set));
        assert!(!in_sorted_ci("ix", &set));
        assert!(!in_sorted_ci("SS", &set));
        assert!(in_sorted_ci("ß", &set));
        assert!(!in_sorted_ci("", &set));
        assert!(!in_sorted_ci("a", &[]));
    }

    // ---- differential tests ------------------------------------------------

    use crate::test_rng::Rng as XorShift;

    const ALPHABET: [char; 11] = ['a', 'b', 'A', 'ä', 'Ä', 'k', '\u{212A}', 'ß', 'Ⱥ', '1', '/'];

    fn random_str(rng: &mut XorShift, max_len: usize) -> String {
        let len = rng.below(max_len + 1);
        (0..len)
            .map(|_| ALPHABET[rng.below(ALPHABET.len())])
            .collect()
    }

    #[derive(Clone, Copy)]
    enum Tok {
        C(char),
        Any,
        Star,
    }

    fn reference(hay: &[char], pat: &[Tok]) -> bool {
        match pat.split_first() {
            None => hay.is_empty(),
            Some((Tok::Star, rest)) => (0..=hay.len()).any(|i| reference(&hay[i..], rest)),
            Some((Tok::Any, rest)) => !hay.is_empty() && reference(&hay[1..], rest),
            Some((Tok::C(c), rest)) => hay.first() == Some(c) && reference(&hay[1..], rest),
        }
    }

    #[test]
    fn glob_differential() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let mut outcomes = [0usize; 2];
        for round in 0..6000 {
            let ci = round % 2 == 0;
            let hay = random_str(&mut rng, 7);
            let mut toks = Vec::new();
            for _ in 0..rng.below(7) {
                toks.push(match rng.below(6) {
                    0 | 1 => Tok::Star,
                    2 => Tok::Any,
                    _ => Tok::C(ALPHABET[rng.below(ALPHABET.len())]),
                });
            }
            if ci {
                for t in &mut toks {
                    if let Tok::C(c) = t {
                        *c = fold_char(*c);
                    }
                }
            }
            // Group chars into literals, sometimes splitting adjacent ones.
            let mut parts = Vec::new();
            let mut lit = String::new();
            for t in &toks {
                if let Tok::C(c) = t {
                    if !lit.is_empty() && rng.below(4) == 0 {
                        parts.push(GlobPart::Lit(String::leak(std::mem::take(&mut lit))));
                    }
                    lit.push(*c);
                    continue;
                }
                if !lit.is_empty() {
                    parts.push(GlobPart::Lit(String::leak(std::mem::take(&mut lit))));
                }
                parts.push(if matches!(t, Tok::Star) { S } else { Q });
            }
            if !lit.is_empty() {
                parts.push(GlobPart::Lit(String::leak(lit)));
            }
            let hay_ref: Vec<char> = if ci {
                hay.chars().map(fold_char).collect()
            } else {
                hay.chars().collect()
            };
            let expected = reference(&hay_ref, &toks);
            assert_eq!(
                glob(&hay, &parts, ci),
                expected,
                "hay={hay:?} parts={parts:?} ci={ci}"
            );
            outcomes[expected as usize] += 1;
        }
        assert!(outcomes.iter().all(|&n| n > 500), "{outcomes:?}");
    }

    #[test]
    fn substring_differential() {
        let mut rng = XorShift(0x0123_4567_89AB_CDEF);
        let mut hits = [0usize; 4];
        for _ in 0..6000 {
            let hay = random_str(&mut rng, 6);
            let needle = fold(&random_str(&mut rng, 3)).into_owned();
            let folded = fold(&hay);
            let checks = [
                (eq_ci(&hay, &needle), *folded == *needle),
                (starts_with_ci(&hay, &needle), folded.starts_with(&*needle)),
                (ends_with_ci(&hay, &needle), folded.ends_with(&*needle)),
                (contains_ci(&hay, &needle), folded.contains(&*needle)),
            ];
            for (i, (got, want)) in checks.into_iter().enumerate() {
                assert_eq!(got, want, "fn #{i} hay={hay:?} needle={needle:?}");
                hits[i] += want as usize;
            }
            let mut set = vec![needle.as_str(), "a", "äb", "kk"];
            set.sort_unstable();
            set.dedup();
            assert_eq!(
                in_sorted_ci(&hay, &set),
                set.contains(&&*folded),
                "in_sorted_ci hay={hay:?} set={set:?}"
            );
        }
        assert!(hits.iter().all(|&n| n > 50), "{hits:?}");
    }
}

/// Case-sensitive: `hay` starts with one of the prefixes (a `value*` list).
#[inline]
pub fn starts_with_any(hay: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|p| hay.starts_with(p))
}

/// Case-insensitive: `hay` starts with one of the pre-folded prefixes.
#[inline]
pub fn starts_with_any_ci(hay: &str, prefixes_folded: &[&str]) -> bool {
    prefixes_folded.iter().any(|p| starts_with_ci(hay, p))
}

#[cfg(test)]
mod prefix_table_tests {
    use super::*;

    #[test]
    fn prefix_tables() {
        assert!(starts_with_any("system:node:x", &["eks:", "system:node:"]));
        assert!(!starts_with_any("System:node:x", &["eks:", "system:node:"]));
        assert!(starts_with_any_ci(
            "System:Node:x",
            &["eks:", "system:node:"]
        ));
        assert!(!starts_with_any("", &["a"]));
        assert!(starts_with_any("", &[""]));
    }
}
