//! Planning: how a set of literals is searched for ([`Search`]), and which of their bytes the
//! fused pass compares (a [`Pair`] for one literal, a [`Literal`] anchor and the nibble
//! [`Tables`] for up to [`FEW`]), guessed from byte [`commonness`] and [`EVERY_EVENT`].

use aho_corasick::{AhoCorasick, MatchKind};

/// The most distinct literals the fused pass looks for at every position (two groups of 8 in
/// the nibble tables); a rule set with more goes through Aho-Corasick.
pub(super) const FEW: usize = 16;

/// The prefix of a literal that matches in either ASCII case (`(?i)secrets`): the generator
/// writes one for a case-insensitive value. Literals are ASCII letters and digits, so the
/// prefix cannot be part of one.
pub(super) const ANY_CASE: &str = "(?i)";

/// A literal's bytes and whether it matches in either ASCII case.
pub(super) fn parse(literal: &str) -> (&[u8], bool) {
    match literal.strip_prefix(ANY_CASE) {
        Some(rest) => (rest.as_bytes(), true),
        None => (literal.as_bytes(), false),
    }
}

/// True when `hay` starts with `literal` (in either ASCII case with `any_case`).
#[inline]
pub(super) fn starts_with(hay: &[u8], literal: &[u8], any_case: bool) -> bool {
    match hay.get(..literal.len()) {
        Some(head) if any_case => head.eq_ignore_ascii_case(literal),
        Some(head) => head == literal,
        None => false,
    }
}

/// How the literals are searched for.
#[derive(Debug)]
pub(super) enum Search {
    /// One literal: an Aho-Corasick search (portable path), or the comparison of two of its
    /// bytes in the fused pass.
    One {
        literal: Box<[u8]>,
        any_case: bool,
        ac: AhoCorasick,
        pair: Pair,
    },
    /// Two to [`FEW`] literals (in pattern order): the fused pass looks up three bytes of
    /// each in `tables`, the portable path runs `ac` as for [`Search::Many`].
    Few {
        literals: Vec<Literal>,
        tables: Box<Tables>,
        ac: AhoCorasick,
    },
    /// More: one Aho-Corasick pass reporting overlapping matches (ignoring ASCII case when
    /// some literal does, which only adds candidates for the others).
    Many(AhoCorasick),
}

impl Search {
    /// The search for `patterns` (sorted, distinct, each maybe [`ANY_CASE`]-prefixed;
    /// pattern id = index); `None` when Aho-Corasick cannot be built for them.
    pub(super) fn new(patterns: &[&str]) -> Option<Search> {
        let parsed: Vec<(&[u8], bool)> = patterns.iter().map(|p| parse(p)).collect();
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .ascii_case_insensitive(parsed.iter().any(|&(_, any)| any))
            .build(parsed.iter().map(|&(b, _)| b))
            .ok()?;
        let search = match parsed[..] {
            [(one, any_case)] => Search::One {
                literal: one.into(),
                any_case,
                ac,
                pair: Pair::new(one, any_case),
            },
            // The fused pass looks for at least one byte of each literal.
            _ if parsed.len() <= FEW && parsed.iter().all(|(l, _)| !l.is_empty()) => {
                let literals: Vec<Literal> = parsed
                    .iter()
                    .map(|&(l, any)| Literal::new(l, any))
                    .collect();
                let tables = Box::new(Tables::new(&literals));
                Search::Few {
                    literals,
                    tables,
                    ac,
                }
            }
            _ => Search::Many(ac),
        };
        Some(search)
    }
}

/// A literal of [`Search::Few`]: the fused pass flags the positions where three of its bytes
/// in a row occur, those starting `anchor` bytes into it.
#[derive(Debug)]
pub(super) struct Literal {
    pub(super) bytes: Box<[u8]>,
    /// Where its rarest three bytes start, as far as [`commonness`] and [`EVERY_EVENT`] tell;
    /// 0 in a literal shorter than three bytes, whose missing bytes match anything.
    pub(super) anchor: usize,
    /// It matches in either ASCII case.
    pub(super) any_case: bool,
}

/// Text that nearly every audit event holds (the keys and usual values of raw events and of
/// ECS documents): three bytes in a row found here would flag positions in every line, such
/// as `equ` of `tokenrequests` in `requestURI`.
const EVERY_EVENT: &[u8] = b"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\",\
    \"auditID\":\"\",\"stage\":\"ResponseComplete\",\"requestURI\":\"/api/v1/namespaces/kube-system/\",\
    \"verb\":\"get\",\"user\":{\"username\":\"system:serviceaccount:kube-system:\",\"uid\":\"\",\
    \"groups\":[\"system:serviceaccounts\",\"system:authenticated\"],\"extra\":{}},\"sourceIPs\":[],\
    \"userAgent\":\"kubernetes/\",\"objectRef\":{\"resource\":\"\",\"namespace\":\"\",\"name\":\"\",\
    \"apiVersion\":\"v1\"},\"responseStatus\":{\"metadata\":{},\"code\":200},\
    \"requestReceivedTimestamp\":\"\",\"stageTimestamp\":\"\",\"annotations\":{\
    \"authorization.k8s.io/decision\":\"allow\",\"authorization.k8s.io/reason\":\"\"}}\
    RequestReceived RequestResponse requestObject responseObject \
    {\"@timestamp\":\"\",\"event\":{\"dataset\":\"kubernetes.audit_logs\"},\"kubernetes\":{\"audit\":{}},\
    \"user\":{\"name\":\"\"},\"source\":{\"ip\":\"\"},\"user_agent\":{\"original\":\"\"}}";

impl Literal {
    pub(super) fn new(bytes: &[u8], any_case: bool) -> Literal {
        let cost = |k: usize| {
            let three = &bytes[k..k + 3];
            let common = EVERY_EVENT
                .windows(3)
                .any(|w| starts_with(w, three, any_case));
            three.iter().map(|&b| commonness(b, any_case)).sum::<u16>()
                + if common { 1000 } else { 0 }
        };
        let anchor = (0..bytes.len().saturating_sub(2))
            .min_by_key(|&k| (cost(k), k))
            .unwrap_or(0);
        Literal {
            bytes: bytes.into(),
            anchor,
            any_case,
        }
    }

    /// True when the literal's three bytes at position `j` of `block` are part of the
    /// literal, in full (it starts at `j - anchor`).
    pub(super) fn found_at(&self, block: &[u8], j: usize) -> bool {
        let same = match (block.get(j), self.bytes.get(self.anchor)) {
            (Some(a), Some(b)) if self.any_case => a.eq_ignore_ascii_case(b),
            (Some(a), Some(b)) => a == b,
            _ => false,
        };
        same && j
            .checked_sub(self.anchor)
            .is_some_and(|start| starts_with(&block[start..], &self.bytes, self.any_case))
    }
}

/// The nibble tables of [`Search::Few`], a bit per literal: literal `l` is bit `l % 8` of
/// group `l / 8`. Byte `b` at offset `k` (0, 1, 2) from a position is literal `l`'s byte
/// `anchor + k` (in either ASCII case for an any-case literal) when its bit is set in both `low[g][k][b & 15]` and
/// `high[g][k][b >> 4]` (exact, with one literal per bit: the two cases of a letter differ
/// only in their high nibble); a byte past the literal's end matches anything.
#[derive(Debug, Default)]
pub(super) struct Tables {
    pub(super) low: [[[u8; 16]; 3]; 2],
    pub(super) high: [[[u8; 16]; 3]; 2],
}

impl Tables {
    pub(super) fn new(literals: &[Literal]) -> Tables {
        let mut t = Tables::default();
        for (l, lit) in literals.iter().enumerate() {
            let (g, bit) = (l / 8, 1u8 << (l % 8));
            for k in 0..3 {
                match lit.bytes.get(lit.anchor + k) {
                    Some(&b) => {
                        let cases = if lit.any_case {
                            [b.to_ascii_lowercase(), b.to_ascii_uppercase()]
                        } else {
                            [b, b]
                        };
                        for b in cases {
                            t.low[g][k][usize::from(b & 15)] |= bit;
                            t.high[g][k][usize::from(b >> 4)] |= bit;
                        }
                    }
                    None => {
                        t.low[g][k].iter_mut().for_each(|e| *e |= bit);
                        t.high[g][k].iter_mut().for_each(|e| *e |= bit);
                    }
                }
            }
        }
        t
    }
}

/// Two positions of a literal and the bytes there (its rarest ones, as far as we can guess):
/// a position `i` of a block is a candidate when both bytes occur at `i + at`: a block byte
/// ORed with `fold` is compared with `byte`. For an any-case literal a letter's `fold` is 0x20
/// and its `byte` lower case; otherwise `fold` is 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pair {
    pub(super) at: [usize; 2],
    pub(super) byte: [u8; 2],
    pub(super) fold: [u8; 2],
}

impl Pair {
    pub(super) fn new(needle: &[u8], any_case: bool) -> Pair {
        let mut order: Vec<usize> = (0..needle.len()).collect();
        order.sort_by_key(|&i| (commonness(needle[i], any_case), i));
        let first = order.first().copied().unwrap_or(0);
        let same = |a: u8, b: u8| {
            if any_case {
                a.eq_ignore_ascii_case(&b)
            } else {
                a == b
            }
        };
        let second = order
            .iter()
            .copied()
            .find(|&i| !same(needle[i], needle[first]))
            .or_else(|| order.iter().copied().find(|&i| i != first))
            .unwrap_or(first);
        let byte = [first, second].map(|i| needle.get(i).copied().unwrap_or(0));
        let letter = |b: u8| any_case && b.is_ascii_alphabetic();
        Pair {
            at: [first, second],
            byte: byte.map(|b| if letter(b) { b.to_ascii_lowercase() } else { b }),
            fold: byte.map(|b| if letter(b) { 0x20 } else { 0 }),
        }
    }
}

/// A guess at how common a byte is in JSON audit logs (higher is more common), for choosing
/// the literal bytes the fused pass compares; a letter matched in either case is as common as
/// its lower case.
fn commonness(b: u8, any_case: bool) -> u16 {
    const LOWER_RAREST_FIRST: &[u8] = b"zqjxkvbywgpfmucdlhrsnioate";
    let b = if any_case { b.to_ascii_lowercase() } else { b };
    match b {
        b'A'..=b'Z' => 20,
        b'0'..=b'9' => 150,
        b'a'..=b'z' => {
            let rank = LOWER_RAREST_FIRST.iter().position(|&c| c == b).unwrap_or(0);
            40 + 8 * rank as u16
        }
        b'"' | b':' | b',' | b' ' | b'{' | b'}' | b'/' | b'.' | b'-' | b'_' => 300,
        _ => 10,
    }
}
