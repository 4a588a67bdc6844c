//! The scanner's tokens: strings (plain runs found with SSE2 by [`special`], UTF-8 checks,
//! escapes and surrogates), numbers and literals, each read or skipped with validation.

use super::scan::Decoder;
use super::DecodeError;
use std::borrow::Cow;

/// The index of the first byte at or after `from` that ends a run of plain ASCII string
/// content: a quote, a backslash, a control character (which JSON forbids in strings) or a
/// non-ASCII byte (whose UTF-8 the caller checks); `s.len()` if none.
#[inline(always)]
fn special(s: &[u8], from: usize) -> usize {
    let mut i = from;
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_loadu_si128, _mm_movemask_epi8,
            _mm_or_si128, _mm_set1_epi8,
        };
        // Sixteen bytes at a time with SSE2 (part of every x86_64 target). A signed compare
        // below 0x20 catches control characters and every byte from 0x80 up.
        while i + 16 <= s.len() {
            // SAFETY: `i + 16 <= s.len()`, so the unaligned 16-byte load stays inside `s`, and
            // the cfg above guarantees SSE2.
            let mask = unsafe {
                let v = _mm_loadu_si128(s.as_ptr().add(i).cast::<__m128i>());
                let hits = _mm_or_si128(
                    _mm_or_si128(
                        _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8)),
                        _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8)),
                    ),
                    _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                );
                _mm_movemask_epi8(hits)
            };
            if mask != 0 {
                return i + mask.trailing_zeros() as usize;
            }
            i += 16;
        }
    }
    // Eight bytes at a time: for each word, a zero byte of `x ^ '"'` or `x ^ '\\'`, a byte
    // below 0x20 or a byte from 0x80 up sets that byte's high bit (borrows can only add false
    // hits above a true one, and the lowest hit is the one taken).
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    while i + 8 <= s.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[i..i + 8]);
        let x = u64::from_le_bytes(w);
        let q = x ^ (LO * b'"' as u64);
        let b = x ^ (LO * b'\\' as u64);
        let hits =
            ((q.wrapping_sub(LO) & !q) | (b.wrapping_sub(LO) & !b) | x.wrapping_sub(LO * 0x20) | x)
                & HI;
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < s.len() && !matches!(s[i], b'"' | b'\\' | 0..=0x1f | 0x80..) {
        i += 1;
    }
    i
}

/// Bytes the scanner has seen are all ASCII, as text.
#[inline]
fn ascii(bytes: &[u8]) -> &str {
    debug_assert!(bytes.is_ascii());
    // SAFETY: callers pass only bytes the scanner has checked are ASCII (`plain_run` without a
    // non-ASCII byte, or a validated number token), and ASCII is valid UTF-8.
    unsafe { std::str::from_utf8_unchecked(bytes) }
}

impl<'a> Decoder<'a, '_> {
    #[inline]
    pub(super) fn literal(&mut self, word: &[u8]) -> Result<(), DecodeError> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(self.err("expected value"))
        }
    }

    /// A number token, validated as JSON.
    pub(super) fn number(&mut self) -> Result<&'a str, DecodeError> {
        let start = self.i;
        self.skip_number()?;
        // The token is made of ASCII digits, signs, `.`, `e` and `E`.
        Ok(ascii(&self.s[start..self.i]))
    }

    /// Skips a number token, validating it as JSON.
    #[inline]
    pub(super) fn skip_number(&mut self) -> Result<(), DecodeError> {
        let start = self.i;
        let s = self.s;
        let mut i = self.i;
        if s.get(i) == Some(&b'-') {
            i += 1;
        }
        match s.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                while s.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
            }
            _ => {
                self.i = i;
                return Err(self.err("invalid number"));
            }
        }
        let int_end = i;
        if s.get(i) == Some(&b'.') {
            i += 1;
            let d = i;
            while s.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == d {
                self.i = i;
                return Err(self.err("invalid number"));
            }
        }
        if matches!(s.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(s.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let d = i;
            while s.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == d {
                self.i = i;
                return Err(self.err("invalid number"));
            }
        }
        if s.get(start) == Some(&b'0')
            || (s.get(start) == Some(&b'-') && s.get(start + 1) == Some(&b'0'))
        {
            // A leading zero may only stand alone before `.`/`e`: `01` is invalid.
            let digits_start = if s[start] == b'-' { start + 1 } else { start };
            if int_end - digits_start > 1 {
                self.i = digits_start + 1;
                return Err(self.err("invalid number"));
            }
        }
        self.i = i;
        // A number beyond the f64 range is kept (it reads as infinity), as Python's json and so
        // the reference evaluator keep it: serde_json would reject the whole line, which would
        // let one such number in a request body hide an event from every rule.
        Ok(())
    }

    /// `s[start..end]`, string content the scanner has read, as text: UTF-8 is checked
    /// again only when the content was not all ASCII.
    fn text(&self, start: usize, end: usize) -> Result<&'a str, DecodeError> {
        let bytes = &self.s[start..end];
        if self.wide {
            std::str::from_utf8(bytes).map_err(|e| {
                DecodeError::Invalid(format!("invalid UTF-8 at byte {}", start + e.valid_up_to()))
            })
        } else {
            Ok(ascii(bytes))
        }
    }

    /// From `from` inside a string, past plain content to the next quote or backslash (its
    /// index); control characters, bad UTF-8 and the end of the line are errors.
    #[inline(always)]
    fn plain_run(&mut self, from: usize) -> Result<usize, DecodeError> {
        self.wide = false;
        let mut i = from;
        loop {
            i = special(self.s, i);
            match self.s.get(i) {
                Some(b'"' | b'\\') => return Ok(i),
                Some(&c) if c >= 0x80 => i = self.utf8_char(i)?,
                _ => return Err(self.string_fault(i)),
            }
        }
    }

    /// The error for what stopped a string at `i`: a control character or the line's end.
    #[cold]
    fn string_fault(&mut self, i: usize) -> DecodeError {
        self.i = i;
        match self.s.get(i) {
            Some(_) => self.err("control character (\\u0000-\\u001F) found while parsing a string"),
            None => self.err("EOF while parsing a string"),
        }
    }

    /// Past the UTF-8 sequence that starts at `i` (a byte from 0x80 up), if it is one.
    #[cold]
    fn utf8_char(&mut self, i: usize) -> Result<usize, DecodeError> {
        self.wide = true;
        let width = match self.s[i] {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => 0,
        };
        match self.s.get(i..i + width) {
            Some(seq) if width > 0 && std::str::from_utf8(seq).is_ok() => Ok(i + width),
            _ => Err(DecodeError::Invalid(format!("invalid UTF-8 at byte {i}"))),
        }
    }

    /// A key (the cursor on its opening quote): borrowed bytes unless it has escapes.
    #[inline]
    pub(super) fn key(&mut self) -> Result<Cow<'a, [u8]>, DecodeError> {
        let start = self.i + 1;
        let end = self.plain_run(start)?;
        if self.s[end] == b'"' {
            self.i = end + 1;
            Ok(Cow::Borrowed(&self.s[start..end]))
        } else {
            self.i = start;
            self.string_escaped().map(|s| Cow::Owned(s.into_bytes()))
        }
    }

    /// A string token: borrowed when it has no escapes, unescaped otherwise.
    pub(super) fn string(&mut self) -> Result<Cow<'a, str>, DecodeError> {
        let start = self.i + 1;
        let end = self.plain_run(start)?;
        if self.s[end] == b'"' {
            self.i = end + 1;
            self.text(start, end).map(Cow::Borrowed)
        } else {
            self.i = start;
            self.string_escaped().map(Cow::Owned)
        }
    }

    /// The rest of a string with escapes, from its content's start at the cursor.
    fn string_escaped(&mut self) -> Result<String, DecodeError> {
        let mut out = self.slots.spare.pop().unwrap_or_default();
        loop {
            let end = self.plain_run(self.i)?;
            out.push_str(self.text(self.i, end)?);
            self.i = end + 1;
            if self.s[end] == b'"' {
                return Ok(out);
            }
            let c = match self.s.get(self.i) {
                Some(b'"') => '"',
                Some(b'\\') => '\\',
                Some(b'/') => '/',
                Some(b'b') => '\u{8}',
                Some(b'f') => '\u{c}',
                Some(b'n') => '\n',
                Some(b'r') => '\r',
                Some(b't') => '\t',
                Some(b'u') => {
                    self.i += 1;
                    let c = self.unicode_escape()?;
                    out.push(c);
                    continue;
                }
                _ => return Err(self.err("invalid escape")),
            };
            out.push(c);
            self.i += 1;
        }
    }

    /// The char of a `\\uXXXX` escape (the `\\u` already read), a surrogate pair included.
    fn unicode_escape(&mut self) -> Result<char, DecodeError> {
        let hi = self.hex4()?;
        let c = if (0xD800..0xDC00).contains(&hi) {
            if self.s.get(self.i) != Some(&b'\\') || self.s.get(self.i + 1) != Some(&b'u') {
                return Err(self.err("unexpected end of hex escape"));
            }
            self.i += 2;
            let lo = self.hex4()?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(self.err("lone leading surrogate in hex escape"));
            }
            char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
        } else if (0xDC00..0xE000).contains(&hi) {
            return Err(self.err("lone leading surrogate in hex escape"));
        } else {
            char::from_u32(hi)
        };
        c.ok_or_else(|| self.err("invalid escape"))
    }

    fn hex4(&mut self) -> Result<u32, DecodeError> {
        let digits = self
            .s
            .get(self.i..self.i + 4)
            .ok_or_else(|| self.err("EOF while parsing a string"))?;
        let mut n = 0u32;
        for d in digits {
            n = n * 16
                + (*d as char)
                    .to_digit(16)
                    .ok_or_else(|| self.err("invalid escape"))?;
        }
        self.i += 4;
        Ok(n)
    }

    /// Skips a string (the cursor on its opening quote), validating it.
    #[inline(always)]
    pub(super) fn skip_string(&mut self) -> Result<(), DecodeError> {
        let mut i = self.i + 1;
        loop {
            let end = self.plain_run(i)?;
            self.i = end + 1;
            if self.s[end] == b'"' {
                return Ok(());
            }
            match self.s.get(self.i) {
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 1,
                Some(b'u') => {
                    self.i += 1;
                    self.unicode_escape()?;
                }
                _ => return Err(self.err("invalid escape")),
            }
            i = self.i;
        }
    }
}
