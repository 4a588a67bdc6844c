//! The encoding modifiers, run at generation time: `wide`/`utf16le`/`utf16be`/`utf16`,
//! `base64`/`base64offset` and `windash`.

use super::{merge_lits, Problem};
use crate::ir::GlobPart;

/// UTF-16 code units as bytes, read back as UTF-8 (pySigma's way: works for ASCII).
pub(super) fn utf16(s: &str, big_endian: bool) -> Option<String> {
    let mut bytes = Vec::with_capacity(s.len() * 2);
    for unit in s.encode_utf16() {
        bytes.extend(if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    String::from_utf8(bytes).ok()
}

/// The bytes `base64` encodes: the UTF-8 text, except that the byte order mark `utf16` put
/// in front is written as UTF-16LE's `FF FE`.
pub(super) fn base64_input(text: &str) -> Vec<u8> {
    match text.strip_prefix('\u{feff}') {
        Some(rest) => [&[0xFF, 0xFE][..], rest.as_bytes()].concat(),
        None => text.as_bytes().to_vec(),
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard Base64 with padding.
pub fn base64(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The three needles that find `data` inside a Base64 stream at any byte offset: Base64 of
/// (i spaces + data) with the chars that depend on neighbouring bytes cut off.
pub fn base64_offsets(data: &[u8]) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    const END_CUT: [usize; 3] = [0, 3, 2];
    (0..3)
        .map(|i| {
            let mut input = vec![b' '; i];
            input.extend_from_slice(data);
            let enc = base64(&input);
            let end = enc.len() - END_CUT[(data.len() + i) % 3];
            enc.get(START[i]..end.max(START[i]))
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Every combination of dash characters for the dashes that start a word (`\B[-/]\b` in each
/// literal piece), at most three of them as in pySigma.
pub(super) fn windash(parts: &[GlobPart]) -> Result<Vec<Vec<GlobPart>>, Problem> {
    // Split literals at expandable dashes: None marks a dash slot.
    let mut pieces: Vec<Option<GlobPart>> = Vec::new();
    for p in parts {
        let GlobPart::Lit(s) = p else {
            pieces.push(Some(p.clone()));
            continue;
        };
        let chars: Vec<char> = s.chars().collect();
        let mut lit = String::new();
        for (i, &c) in chars.iter().enumerate() {
            let before_is_word = i > 0 && is_word(chars[i - 1]);
            let after_is_word = chars.get(i + 1).is_some_and(|n| is_word(*n));
            if (c == '-' || c == '/') && !before_is_word && after_is_word {
                if !lit.is_empty() {
                    pieces.push(Some(GlobPart::Lit(std::mem::take(&mut lit))));
                }
                pieces.push(None);
            } else {
                lit.push(c);
            }
        }
        if !lit.is_empty() {
            pieces.push(Some(GlobPart::Lit(lit)));
        }
    }
    let slots = pieces.iter().filter(|p| p.is_none()).count();
    if slots > 3 {
        return Err(Problem::new(
            format!("`windash` expands at most three dashes in one value, this one has {slots}"),
            "split the value into several values, each with at most three option dashes",
        ));
    }
    let mut out = Vec::new();
    for combo in 0..DASHES.len().pow(slots as u32) {
        let mut n = combo;
        let mut variant = Vec::with_capacity(pieces.len());
        for p in &pieces {
            match p {
                Some(part) => variant.push(part.clone()),
                None => {
                    variant.push(GlobPart::Lit(DASHES[n % DASHES.len()].to_string()));
                    n /= DASHES.len();
                }
            }
        }
        out.push(merge_lits(variant));
    }
    Ok(out)
}
