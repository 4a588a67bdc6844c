//! Planning: how a set of literals is searched for ([`Search`]), and which of their bytes the
//! fused pass compares (a [`Pair`] for one literal, a [`Literal`] anchor and the nibble
//! [`Tables`] for up to [`FEW`]), guessed from byte [`commonness`] and [`EVERY_EVENT`].

use aho_corasick::{AhoCorasick, MatchKind};
use memchr::memmem;

/// The most distinct literals the fused pass looks for at every position (two groups of 8 in
/// the nibble tables); a rule set with more goes through Aho-Corasick.
pub(super) const FEW: usize = 16;

/// How the literals are searched for.
#[derive(Debug)]
pub(super) enum Search {
    /// One literal: a SIMD substring search (portable path), or the comparison of two of its
    /// bytes in the fused pass.
    One {
        finder: Box<memmem::Finder<'static>>,
        pair: Pair,
    },
    /// Two to [`FEW`] literals (in pattern order): the fused pass looks up three bytes of
    /// each in `tables`, the portable path runs `ac` as for [`Search::Many`].
    Few {
        literals: Vec<Literal>,
        tables: Box<Tables>,
        ac: AhoCorasick,
    },
    /// More: one Aho-Corasick pass reporting overlapping matches.
    Many(AhoCorasick),
}

impl Search {
    /// The search for `patterns` (sorted, distinct; pattern id = index); `None` when
    /// Aho-Corasick cannot be built for them.
    pub(super) fn new(patterns: &[&str]) -> Option<Search> {
        let search = match patterns {
            [one] => Search::One {
                finder: Box::new(memmem::Finder::new(one.as_bytes()).into_owned()),
                pair: Pair::new(one.as_bytes()),
            },
            _ => {
                let ac = AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .build(patterns)
                    .ok()?;
                // The fused pass looks for at least one byte of each literal.
                if patterns.len() <= FEW && patterns.iter().all(|l| !l.is_empty()) {
                    let literals: Vec<Literal> = patterns
                        .iter()
                        .map(|l| Literal::new(l.as_bytes()))
                        .collect();
                    let tables = Box::new(Tables::new(&literals));
                    Search::Few {
                        literals,
                        tables,
                        ac,
                    }
                } else {
                    Search::Many(ac)
                }
            }
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
    pub(super) fn new(bytes: &[u8]) -> Literal {
        let cost = |k: usize| {
            let three = &bytes[k..k + 3];
            let common = EVERY_EVENT.windows(3).any(|w| w == three);
            three.iter().map(|&b| commonness(b)).sum::<u16>() + if common { 1000 } else { 0 }
        };
        let anchor = (0..bytes.len().saturating_sub(2))
            .min_by_key(|&k| (cost(k), k))
            .unwrap_or(0);
        Literal {
            bytes: bytes.into(),
            anchor,
        }
    }

    /// True when the literal's three bytes at position `j` of `block` are part of the
    /// literal, in full (it starts at `j - anchor`).
    pub(super) fn found_at(&self, block: &[u8], j: usize) -> bool {
        block.get(j) == self.bytes.get(self.anchor)
            && j.checked_sub(self.anchor)
                .is_some_and(|start| block[start..].starts_with(&self.bytes))
    }
}

/// The nibble tables of [`Search::Few`], a bit per literal: literal `l` is bit `l % 8` of
/// group `l / 8`. Byte `b` at offset `k` (0, 1, 2) from a position is literal `l`'s byte
/// `anchor + k` when its bit is set in both `low[g][k][b & 15]` and `high[g][k][b >> 4]`
/// (exact, with one literal per bit); a byte past the literal's end matches anything.
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
                        t.low[g][k][usize::from(b & 15)] |= bit;
                        t.high[g][k][usize::from(b >> 4)] |= bit;
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
/// a position `i` of a block is a candidate when both bytes occur at `i + at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pair {
    pub(super) at: [usize; 2],
    pub(super) byte: [u8; 2],
}

impl Pair {
    pub(super) fn new(needle: &[u8]) -> Pair {
        let mut order: Vec<usize> = (0..needle.len()).collect();
        order.sort_by_key(|&i| (commonness(needle[i]), i));
        let first = order.first().copied().unwrap_or(0);
        let second = order
            .iter()
            .copied()
            .find(|&i| needle[i] != needle[first])
            .or_else(|| order.iter().copied().find(|&i| i != first))
            .unwrap_or(first);
        Pair {
            at: [first, second],
            byte: [
                needle.get(first).copied().unwrap_or(0),
                needle.get(second).copied().unwrap_or(0),
            ],
        }
    }
}

/// A guess at how common a byte is in JSON audit logs (higher is more common), for choosing
/// the literal bytes the fused pass compares.
fn commonness(b: u8) -> u16 {
    const LOWER_RAREST_FIRST: &[u8] = b"zqjxkvbywgpfmucdlhrsnioate";
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
