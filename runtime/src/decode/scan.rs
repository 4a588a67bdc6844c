//! The scanner's structure: the [`Decoder`] over one line, its objects (keys matched against
//! the field table), arrays, separators and nesting depth, and the skipping of values no field
//! reads. Strings and numbers are in `tokens.rs`.

use super::slots::{Scalar, Slots};
use super::table::{Cont, FieldTable};
use super::DecodeError;

/// serde_json's nesting limit: 127 nested arrays/objects parse, 128 do not.
const MAX_DEPTH: usize = 128;

/// Byte equality for short slices (keys), without a call into `memcmp`.
#[inline]
fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// The first index in `lo..hi` where `before` turns false (it must be true, then false).
#[inline(always)]
fn lower_bound(mut lo: usize, mut hi: usize, before: impl Fn(usize) -> bool) -> usize {
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if before(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

pub(super) struct Decoder<'a, 's> {
    pub(super) s: &'a [u8],
    pub(super) i: usize,
    pub(super) table: &'s FieldTable,
    pub(super) slots: &'s mut Slots<'a>,
    pub(super) depth: usize,
    /// A key the rules read appeared twice in one object.
    pub(super) duplicate: bool,
    /// The last run of string content read held a non-ASCII character.
    pub(super) wide: bool,
}

impl<'a> Decoder<'a, '_> {
    /// The whole line: one object, then only whitespace.
    pub(super) fn root(&mut self) -> Result<(), DecodeError> {
        self.ws();
        if self.peek() != Some(b'{') {
            return Err(match self.peek() {
                None => DecodeError::Invalid("EOF while parsing a value".into()),
                Some(b'[') => DecodeError::NotAnObject("an array"),
                Some(b'"') => DecodeError::NotAnObject("a string"),
                Some(b't' | b'f') => DecodeError::NotAnObject("a boolean"),
                Some(b'n') => DecodeError::NotAnObject("null"),
                Some(b'-' | b'0'..=b'9') => DecodeError::NotAnObject("a number"),
                Some(_) => self.err("expected value"),
            });
        }
        let all = Cont {
            lo: 0,
            hi: self.table.names.len(),
            off: 0,
        };
        self.value(all, None)?;
        self.ws();
        if self.i != self.s.len() {
            return Err(self.err("trailing characters"));
        }
        Ok(())
    }

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

    pub(super) fn err(&self, what: &str) -> DecodeError {
        DecodeError::Invalid(format!("{what} at column {}", self.i + 1))
    }

    #[inline(always)]
    fn expect(&mut self, b: u8) -> Result<(), DecodeError> {
        if self.peek() == Some(b) {
            self.i += 1;
            return Ok(());
        }
        self.ws();
        if self.peek() == Some(b) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.err(&format!("expected `{}`", b as char)))
        }
    }

    #[inline]
    fn record(&mut self, end: Option<u16>, v: Scalar<'a>) {
        if self.table.all_leaves && !matches!(v, Scalar::Object) {
            self.slots.all.push(v.clone());
        }
        if let Some(f) = end {
            self.slots.push_leaf(f, v);
        }
    }

    /// The fields a key continues and completes, from the fields `c` of its object.
    #[inline]
    fn lookup(&self, c: Cont, key: &[u8]) -> (Cont, Option<u16>) {
        let names = self.table.names;
        let off = c.off;
        let (mut lo, mut hi) = (c.lo, c.hi);
        // Narrow a long list to the names whose rest starts with the key's first byte (two
        // binary searches on one byte), then compare the few left.
        if let (Some(&b0), 0) = (key.first(), off) {
            // At the top level: the names starting with the key's first byte, from the table.
            let (a, b) = self.table.by_first[b0 as usize];
            (lo, hi) = (a as usize, b as usize);
        } else if let (Some(&b0), true) = (key.first(), hi - lo > 8) {
            // The byte at `off` of each name, or -1 where the name ends there.
            let at = |k: usize| names[k].as_bytes().get(off).map_or(-1, |&b| i32::from(b));
            let b0 = i32::from(b0);
            lo = lower_bound(lo, hi, |k| at(k) < b0);
            hi = lower_bound(lo, hi, |k| at(k) <= b0);
        }
        let (mut end, mut cont) = (None, Cont::NONE);
        for (k, name) in (lo..hi).zip(&names[lo..hi]) {
            let rest = &name.as_bytes()[off..];
            // The name must end, or have a dot, where the key ends: checked first, it rules
            // out most names without comparing bytes.
            let after = rest.get(key.len());
            if !matches!(after, None | Some(b'.'))
                || rest.len() < key.len()
                || !bytes_eq(&rest[..key.len()], key)
            {
                continue;
            }
            match after {
                None => end = Some(k as u16),
                Some(b'.') => {
                    if cont.hi == 0 {
                        cont = Cont {
                            lo: k,
                            hi: k + 1,
                            off: off + key.len() + 1,
                        };
                    } else {
                        cont.hi = k + 1;
                    }
                }
                Some(_) => {}
            }
        }
        (cont, end)
    }

    /// A value at a position that continues the fields `cont` and completes `end`.
    fn value(&mut self, cont: Cont, end: Option<u16>) -> Result<(), DecodeError> {
        if let Some(f) = end {
            self.slots.present[f as usize / 64] |= 1 << (f % 64);
        }
        self.ws();
        match self.peek() {
            Some(b'{') => {
                self.enter()?;
                if end.is_some() {
                    self.record(end, Scalar::Object);
                }
                self.object(cont)?;
                self.depth -= 1;
            }
            Some(b'[') => self.array(|d| d.value(cont, end))?,
            // A scalar is built only when some field ends here or every leaf is kept.
            Some(b'"') if end.is_some() || self.table.all_leaves => {
                let s = self.string()?;
                self.record(end, Scalar::Str(s));
            }
            Some(b'-' | b'0'..=b'9') if end.is_some() || self.table.all_leaves => {
                let n = self.number()?;
                self.record(end, Scalar::Num(n));
            }
            Some(b't' | b'f' | b'n') if end.is_some() || self.table.all_leaves => {
                let v = match self.s[self.i] {
                    b't' => (b"true".as_slice(), Scalar::Bool(true)),
                    b'f' => (b"false".as_slice(), Scalar::Bool(false)),
                    _ => (b"null".as_slice(), Scalar::Null),
                };
                self.literal(v.0)?;
                self.record(end, v.1);
            }
            Some(b'"') => self.skip_string()?,
            Some(b'-' | b'0'..=b'9') => self.skip_number()?,
            Some(b't') => self.literal(b"true")?,
            Some(b'f') => self.literal(b"false")?,
            Some(b'n') => self.literal(b"null")?,
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
    #[inline(always)]
    fn separator(&mut self, close: u8) -> Result<bool, DecodeError> {
        if self.peek() == Some(b',') {
            self.i += 1;
            return Ok(true);
        }
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

    #[inline]
    fn enter(&mut self) -> Result<(), DecodeError> {
        self.depth += 1;
        if self.depth >= MAX_DEPTH {
            return Err(self.err("recursion limit exceeded"));
        }
        Ok(())
    }

    fn object(&mut self, cont: Cont) -> Result<(), DecodeError> {
        self.i += 1; // `{`
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        let base = self.slots.keys.len();
        // One bit per matched key, by what it leads to: a key is compared with the earlier
        // ones only when its bit is already set (so, nearly never).
        let mut seen = 0u64;
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.err("key must be a string"));
            }
            if cont.lo == cont.hi {
                // No field goes on below here: keys need no reading.
                self.skip_string()?;
                self.expect(b':')?;
                if self.table.all_leaves {
                    self.value(Cont::NONE, None)?;
                } else {
                    self.skip_value()?;
                }
            } else {
                let key = self.key()?;
                self.expect(b':')?;
                let (inner, end) = self.lookup(cont, &key);
                if inner.lo == inner.hi && end.is_none() {
                    if self.table.all_leaves {
                        self.value(inner, None)?;
                    } else {
                        self.skip_value()?;
                    }
                } else {
                    let led = (inner, end);
                    let bit = 1u64 << ((inner.lo ^ inner.off ^ end.map_or(0x3f, usize::from)) & 63);
                    if seen & bit != 0 && self.slots.keys[base..].contains(&led) {
                        self.duplicate = true; // reported once the whole line is validated
                    }
                    seen |= bit;
                    self.slots.keys.push(led);
                    self.value(inner, end)?;
                }
            }
            if !self.separator(b'}')? {
                self.slots.keys.truncate(base);
                return Ok(());
            }
        }
    }

    /// Skips one value, validating it, without building anything: one loop over its tokens
    /// with the open containers kept as bits (1 = object) instead of recursion.
    fn skip(&mut self) -> Result<(), DecodeError> {
        let mut objects: u128 = 0;
        let mut open = 0u32;
        loop {
            // A value is due.
            self.ws();
            match self.peek() {
                Some(b'"') => self.skip_string()?,
                Some(b'{') => {
                    self.enter()?;
                    self.i += 1;
                    self.ws();
                    if self.peek() == Some(b'}') {
                        self.i += 1;
                        self.depth -= 1;
                    } else {
                        objects |= 1 << open;
                        open += 1;
                        self.skip_key()?;
                        continue;
                    }
                }
                Some(b'[') => {
                    self.enter()?;
                    self.i += 1;
                    self.ws();
                    if self.peek() == Some(b']') {
                        self.i += 1;
                        self.depth -= 1;
                    } else {
                        objects &= !(1 << open);
                        open += 1;
                        continue;
                    }
                }
                Some(b't') => self.literal(b"true")?,
                Some(b'f') => self.literal(b"false")?,
                Some(b'n') => self.literal(b"null")?,
                Some(b'-' | b'0'..=b'9') => self.skip_number()?,
                Some(_) => return Err(self.err("expected value")),
                None => return Err(self.err("EOF while parsing a value")),
            }
            // After a value: close containers until one has another element.
            loop {
                if open == 0 {
                    return Ok(());
                }
                let in_object = objects >> (open - 1) & 1 == 1;
                if self.separator(if in_object { b'}' } else { b']' })? {
                    if in_object {
                        self.skip_key()?;
                    }
                    break;
                }
                open -= 1;
                self.depth -= 1;
            }
        }
    }

    /// [`skip`](Self::skip), with the commonest value, a string right at the cursor, read
    /// without a call.
    #[inline(always)]
    fn skip_value(&mut self) -> Result<(), DecodeError> {
        if self.peek() == Some(b'"') {
            self.skip_string()
        } else {
            self.skip()
        }
    }

    /// Skips an object key and its colon.
    #[inline(always)]
    fn skip_key(&mut self) -> Result<(), DecodeError> {
        self.ws();
        if self.peek() != Some(b'"') {
            return Err(self.err("key must be a string"));
        }
        self.skip_string()?;
        self.expect(b':')
    }
}
