//! Field-selective decoding: one pass over a JSON line that keeps exactly the values the
//! compiled rule set reads and skips everything else without building it.
//!
//! The rule set's field names (see the generated `FIELDS` tables) are matched against keys as
//! the scanner goes, under the dotted-key rule of `field.rs`: at each object a key matches a
//! field when it spells the field's remaining name up to a dot (descend) or to its end (a
//! value). Arrays are transparent. Strings borrow from the line unless they hold escapes.
//!
//! The scanner validates the whole line as serde_json would (grammar, escapes, surrogates,
//! nesting depth, trailing characters), so a line is an event on the fast path exactly when it
//! is one for a full parse, with one deliberate exception: a number beyond the f64 range is
//! accepted (as infinity), where serde_json rejects the line; the full parse then falls back
//! to this decoder (see `io::input`). The one shape it does not follow, a duplicate key
//! that a rule reads, is reported as [`DecodeError::Fallback`] so the caller uses the full parse.

use std::borrow::Cow;
use std::ops::Range;

/// serde_json's nesting limit: 127 nested arrays/objects parse, 128 do not.
const MAX_DEPTH: usize = 128;

/// The field names one event shape is decoded for.
#[derive(Debug)]
pub struct FieldTable {
    /// Field names (dotted), sorted, indexed by field id.
    pub names: &'static [&'static str],
    /// Some rule searches every value (keywords): keep every scalar leaf too.
    pub all_leaves: bool,
}

impl FieldTable {
    /// The id of a field name (names are sorted by the generator).
    #[inline]
    pub fn id(&self, name: &str) -> Option<usize> {
        self.names.binary_search(&name).ok()
    }
}

/// A decoded scalar.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar<'a> {
    /// A string (borrowed unless it had escapes).
    Str(Cow<'a, str>),
    /// A number, as written.
    Num(&'a str),
    /// A boolean.
    Bool(bool),
    /// `null`.
    Null,
    /// An object (present and not null, no text form).
    Object,
}

/// The decoded values of one event: which fields are present and their leaves, flat (one
/// allocation each, reused across events through [`Slots::recycle`]).
#[derive(Debug, Default)]
pub struct Slots<'a> {
    /// Bit f set: field f was reached.
    present: Vec<u64>,
    /// (field id, leaf), in document order.
    leaves: Vec<(u16, Scalar<'a>)>,
    /// Every scalar leaf, when the table asks for them (keyword search).
    pub(crate) all: Vec<Scalar<'a>>,
    /// The decoder's work stacks (kept here so that they are reused too): fields continuing
    /// into the current value (field id, offset past a dot) and fields ending at it.
    cont: Vec<(u16, usize)>,
    ends: Vec<u16>,
}

impl<'a> Slots<'a> {
    /// True when the field with this id was reached (with any value).
    #[inline]
    pub fn present(&self, id: usize) -> bool {
        self.present
            .get(id / 64)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    /// The leaves of the field with this id.
    #[inline]
    pub fn leaves(&self, id: usize) -> impl Iterator<Item = &Scalar<'a>> {
        self.leaves
            .iter()
            .filter(move |(f, _)| *f as usize == id)
            .map(|(_, s)| s)
    }

    /// The same (emptied) allocations, for an event of another line.
    pub fn recycle<'b>(self) -> Slots<'b> {
        fn empty<T, U>(mut v: Vec<T>) -> Vec<U> {
            // `T` and `U` differ only in lifetime: collecting an emptied vector into the other
            // reuses its allocation.
            v.clear();
            v.into_iter()
                .map(|_| unreachable!("the vector is empty"))
                .collect()
        }
        Slots {
            present: self.present,
            leaves: empty(self.leaves),
            all: empty(self.all),
            cont: self.cont,
            ends: self.ends,
        }
    }

    fn reset(&mut self, n: usize) {
        self.present.clear();
        self.present.resize(n.div_ceil(64), 0);
        self.leaves.clear();
        self.all.clear();
        self.cont.clear();
        self.ends.clear();
    }
}

/// Why a line was not decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Not valid JSON, or not an object: the message says why.
    Invalid(String),
    /// Valid, but a key the rules read appears twice in one object: decode with a full parse.
    Fallback,
}

/// Decodes one line into `slots` (which are cleared first).
pub fn decode<'a>(
    line: &'a [u8],
    table: &FieldTable,
    slots: &mut Slots<'a>,
) -> Result<(), DecodeError> {
    let text = std::str::from_utf8(line)
        .map_err(|e| DecodeError::Invalid(format!("invalid UTF-8 at byte {}", e.valid_up_to())))?;
    slots.reset(table.names.len());
    let mut d = Decoder {
        s: text.as_bytes(),
        text,
        i: 0,
        table,
        slots,
        depth: 0,
        duplicate: false,
    };
    d.ws();
    if d.peek() != Some(b'{') {
        return Err(match d.peek() {
            None => DecodeError::Invalid("EOF while parsing a value".into()),
            Some(b'[') => DecodeError::Invalid("expected a JSON object, found an array".into()),
            Some(b'"') => DecodeError::Invalid("expected a JSON object, found a string".into()),
            Some(b't' | b'f') => {
                DecodeError::Invalid("expected a JSON object, found a boolean".into())
            }
            Some(b'n') => DecodeError::Invalid("expected a JSON object, found null".into()),
            Some(b'-' | b'0'..=b'9') => {
                DecodeError::Invalid("expected a JSON object, found a number".into())
            }
            Some(_) => DecodeError::Invalid(format!("expected value at column {}", d.i + 1)),
        });
    }
    d.slots
        .cont
        .extend((0..table.names.len() as u16).map(|f| (f, 0)));
    let n = d.slots.cont.len();
    d.value(0..n, 0..0)?;
    d.ws();
    if d.i != d.s.len() {
        return Err(d.err("trailing characters"));
    }
    if d.duplicate {
        return Err(DecodeError::Fallback);
    }
    Ok(())
}

/// Byte equality for short slices (keys), without a call into `memcmp`.
#[inline]
fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// The index of the first byte at or after `from` that ends a run of plain string content: a
/// quote, a backslash or a control character (which JSON forbids in strings); `s.len()` if
/// none. Eight bytes at a time: for each word, a zero byte of `x ^ '"'` or `x ^ '\\'`, or a
/// byte below 0x20, sets that byte's high bit (borrows can only add false hits above a true
/// one, and the lowest hit is the one taken).
#[inline]
fn special(s: &[u8], from: usize) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut i = from;
    while i + 8 <= s.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[i..i + 8]);
        let x = u64::from_le_bytes(w);
        let q = x ^ (LO * b'"' as u64);
        let b = x ^ (LO * b'\\' as u64);
        let hits = ((q.wrapping_sub(LO) & !q)
            | (b.wrapping_sub(LO) & !b)
            | (x.wrapping_sub(LO * 0x20) & !x))
            & HI;
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < s.len() && !matches!(s[i], b'"' | b'\\' | 0..=0x1f) {
        i += 1;
    }
    i
}

struct Decoder<'a, 's> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    table: &'s FieldTable,
    slots: &'s mut Slots<'a>,
    depth: usize,
    /// A key the rules read appeared twice in one object.
    duplicate: bool,
}

impl<'a> Decoder<'a, '_> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    fn err(&self, what: &str) -> DecodeError {
        DecodeError::Invalid(format!("{what} at column {}", self.i + 1))
    }

    fn expect(&mut self, b: u8) -> Result<(), DecodeError> {
        self.ws();
        if self.peek() == Some(b) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.err(&format!("expected `{}`", b as char)))
        }
    }

    fn record(&mut self, ends: Range<usize>, v: Scalar<'a>) {
        if self.table.all_leaves && !matches!(v, Scalar::Object) {
            self.slots.all.push(v.clone());
        }
        for k in ends {
            let f = self.slots.ends[k];
            self.slots.leaves.push((f, v.clone()));
        }
    }

    /// A value whose position completes the fields in `ends` and continues those in `cont`
    /// (field id, offset into its name just past a dot).
    fn value(&mut self, cont: Range<usize>, ends: Range<usize>) -> Result<(), DecodeError> {
        for k in ends.clone() {
            let f = self.slots.ends[k];
            self.slots.present[f as usize / 64] |= 1 << (f % 64);
        }
        self.ws();
        match self.peek() {
            Some(b'{') => {
                self.enter()?;
                if !ends.is_empty() {
                    self.record(ends, Scalar::Object);
                }
                self.object(cont)?;
                self.depth -= 1;
            }
            Some(b'[') => self.array(|d| d.value(cont.clone(), ends.clone()))?,
            Some(b'"') => {
                let s = self.string()?;
                if !ends.is_empty() || self.table.all_leaves {
                    self.record(ends, Scalar::Str(s));
                }
            }
            Some(b't') => {
                self.literal(b"true")?;
                self.record(ends, Scalar::Bool(true));
            }
            Some(b'f') => {
                self.literal(b"false")?;
                self.record(ends, Scalar::Bool(false));
            }
            Some(b'n') => {
                self.literal(b"null")?;
                self.record(ends, Scalar::Null);
            }
            Some(b'-' | b'0'..=b'9') => {
                let n = self.number()?;
                self.record(ends, Scalar::Num(n));
            }
            Some(_) => return Err(self.err("expected value")),
            None => return Err(self.err("EOF while parsing a value")),
        }
        Ok(())
    }

    /// An array (the cursor on its `[`): `each` reads every element (arrays are transparent,
    /// so decoding and skipping only differ in what they do per element).
    #[inline]
    fn array(
        &mut self,
        mut each: impl FnMut(&mut Self) -> Result<(), DecodeError>,
    ) -> Result<(), DecodeError> {
        self.enter()?;
        self.i += 1;
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
        } else {
            loop {
                each(self)?;
                if !self.separator(b']')? {
                    break;
                }
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// After an element of an object or array: true after a `,` (another element follows),
    /// false after the closing `close`.
    #[inline]
    fn separator(&mut self, close: u8) -> Result<bool, DecodeError> {
        self.ws();
        match self.peek() {
            Some(b',') => {
                self.i += 1;
                Ok(true)
            }
            Some(c) if c == close => {
                self.i += 1;
                Ok(false)
            }
            _ if close == b'}' => Err(self.err("expected `,` or `}`")),
            _ => Err(self.err("expected `,` or `]`")),
        }
    }

    fn enter(&mut self) -> Result<(), DecodeError> {
        self.depth += 1;
        if self.depth >= MAX_DEPTH {
            return Err(self.err("recursion limit exceeded"));
        }
        Ok(())
    }

    fn object(&mut self, cont: Range<usize>) -> Result<(), DecodeError> {
        self.i += 1; // `{`
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        let mut matched: Vec<Cow<'a, [u8]>> = Vec::new();
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.err("key must be a string"));
            }
            // Most keys have no escapes: take their bytes straight from the line.
            let owned: Cow<'a, str>;
            let plain = self.plain_string();
            let kb: &[u8] = match plain {
                Some(b) => b,
                None => {
                    owned = self.string()?;
                    owned.as_bytes()
                }
            };
            self.expect(b':')?;
            // The fields this key continues or completes, pushed on the work stacks.
            let (c0, e0) = (self.slots.cont.len(), self.slots.ends.len());
            for k in cont.clone() {
                let (f, off) = self.slots.cont[k];
                let rest = &self.table.names[f as usize].as_bytes()[off..];
                // Cheap rejections first: the key must end where the name has a dot or ends,
                // and start with the name's next byte.
                let after = match rest.get(kb.len()) {
                    None if rest.len() == kb.len() => None,
                    Some(b'.') => Some(()),
                    _ => continue,
                };
                if rest.first() != kb.first() || !bytes_eq(&rest[..kb.len()], kb) {
                    continue;
                }
                match after {
                    None => self.slots.ends.push(f),
                    Some(()) => self.slots.cont.push((f, off + kb.len() + 1)),
                }
            }
            let (c1, e1) = (self.slots.cont.len(), self.slots.ends.len());
            if c1 == c0 && e1 == e0 {
                if self.table.all_leaves {
                    self.value(c0..c0, e0..e0)?;
                } else {
                    self.skip()?;
                }
            } else {
                if matched.iter().any(|m| **m == *kb) {
                    self.duplicate = true; // reported once the whole line is validated
                }
                matched.push(match plain {
                    Some(b) => Cow::Borrowed(b),
                    None => Cow::Owned(kb.to_vec()),
                });
                self.value(c0..c1, e0..e1)?;
            }
            self.slots.cont.truncate(c0);
            self.slots.ends.truncate(e0);
            if !self.separator(b'}')? {
                return Ok(());
            }
        }
    }

    /// Skips one value, validating it, without building anything.
    fn skip(&mut self) -> Result<(), DecodeError> {
        self.ws();
        match self.peek() {
            Some(b'"') => self.skip_string(),
            Some(b'{') => {
                self.enter()?;
                self.i += 1;
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        if self.peek() != Some(b'"') {
                            return Err(self.err("key must be a string"));
                        }
                        self.skip_string()?;
                        self.expect(b':')?;
                        self.skip()?;
                        if !self.separator(b'}')? {
                            break;
                        }
                    }
                }
                self.depth -= 1;
                Ok(())
            }
            Some(b'[') => self.array(Self::skip),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number().map(|_| ()),
            Some(_) => Err(self.err("expected value")),
            None => Err(self.err("EOF while parsing a value")),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), DecodeError> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(self.err("expected value"))
        }
    }

    /// A number token, validated as JSON and as a finite f64 (as serde_json requires).
    fn number(&mut self) -> Result<&'a str, DecodeError> {
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
        Ok(&self.text[start..i])
    }

    /// A string token: borrowed when it has no escapes, unescaped otherwise.
    /// A string without escapes (the opening quote at the cursor): its bytes, the cursor moved
    /// past it. `None`, cursor unmoved, when it has an escape, a control char or no end.
    #[inline]
    fn plain_string(&mut self) -> Option<&'a [u8]> {
        let s: &'a [u8] = self.s;
        let end = special(s, self.i + 1);
        if s.get(end) == Some(&b'"') {
            let b = &s[self.i + 1..end];
            self.i = end + 1;
            Some(b)
        } else {
            None
        }
    }

    fn string(&mut self) -> Result<Cow<'a, str>, DecodeError> {
        self.i += 1; // opening quote
        let start = self.i;
        let end = special(self.s, self.i);
        match self.s.get(end) {
            Some(b'"') => {
                self.i = end + 1;
                Ok(Cow::Borrowed(&self.text[start..end]))
            }
            // An escape: unescape from the start into an owned string.
            Some(b'\\') => self.string_escaped().map(Cow::Owned),
            Some(_) => {
                self.i = end;
                Err(self.err("control character (\\u0000-\\u001F) found while parsing a string"))
            }
            None => {
                self.i = end;
                Err(self.err("EOF while parsing a string"))
            }
        }
    }

    fn string_escaped(&mut self) -> Result<String, DecodeError> {
        let mut out = String::new();
        loop {
            let end = special(self.s, self.i);
            match self.s.get(end) {
                Some(b'"' | b'\\') => {}
                Some(_) => {
                    self.i = end;
                    return Err(self
                        .err("control character (\\u0000-\\u001F) found while parsing a string"));
                }
                None => {
                    self.i = end;
                    return Err(self.err("EOF while parsing a string"));
                }
            }
            out.push_str(&self.text[self.i..end]);
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

    fn skip_string(&mut self) -> Result<(), DecodeError> {
        self.i += 1;
        loop {
            let end = special(self.s, self.i);
            self.i = end + 1;
            match self.s.get(end) {
                Some(b'"') => return Ok(()),
                Some(b'\\') => match self.s.get(self.i) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 1,
                    Some(b'u') => {
                        self.i += 1;
                        self.unicode_escape()?;
                    }
                    _ => return Err(self.err("invalid escape")),
                },
                Some(_) => {
                    self.i = end;
                    return Err(self
                        .err("control character (\\u0000-\\u001F) found while parsing a string"));
                }
                None => {
                    self.i = end;
                    return Err(self.err("EOF while parsing a string"));
                }
            }
        }
    }
}
