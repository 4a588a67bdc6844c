//! [`Slots`], the decoded values of one event, and [`Scalar`], one value: which fields were
//! reached, their leaves chained per field, and the reuse of the buffers across events.

use super::table::Cont;
use std::borrow::Cow;

/// How many emptied strings [`Slots`] keep for reuse, and the largest capacity kept.
const SPARES: usize = 64;
const SPARE_CAPACITY: usize = 4096;

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
    pub(super) present: Vec<u64>,
    /// (field id, leaf, index + 1 of the field's next leaf or 0), in document order.
    leaves: Vec<(u16, Scalar<'a>, u32)>,
    /// Per field id: index + 1 of its first and last leaf (0: none).
    chains: Vec<(u32, u32)>,
    /// Every scalar leaf, when the table asks for them (keyword search).
    pub(crate) all: Vec<Scalar<'a>>,
    /// The decoder's work stack (kept here so that it is reused too): what each key that
    /// matched a field in the objects being read leads to, to notice a duplicate (two keys of
    /// one object lead to the same fields only if they are equal).
    pub(super) keys: Vec<(Cont, Option<u16>)>,
    /// Emptied strings kept for reuse: unescaped text (request URIs often hold `\u0026`)
    /// is written into one of these rather than a new allocation per event.
    pub(super) spare: Vec<String>,
}

impl<'a> Slots<'a> {
    /// True when the field with this id was reached (with any value).
    #[inline]
    pub fn present(&self, id: usize) -> bool {
        self.present
            .get(id / 64)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    /// True when every field of `mask` (see [`FieldTable::mask`](super::FieldTable::mask)) was
    /// reached.
    #[inline]
    pub fn reaches(&self, mask: &[(usize, u64)]) -> bool {
        mask.iter()
            .all(|&(w, bits)| self.present.get(w).is_some_and(|p| p & bits == bits))
    }

    /// The leaves of the field with this id, in document order.
    #[inline(always)]
    pub fn leaves(&self, id: usize) -> impl Iterator<Item = &Scalar<'a>> {
        let first = self.chains.get(id).map_or(0, |c| c.0);
        std::iter::successors((first != 0).then_some(first), |&at| {
            let next = self.leaves[at as usize - 1].2;
            (next != 0).then_some(next)
        })
        .map(|at| &self.leaves[at as usize - 1].1)
    }

    // Inlined into the scanner (another module, so maybe another codegen unit).
    #[inline]
    pub(super) fn push_leaf(&mut self, f: u16, v: Scalar<'a>) {
        let at = self.leaves.len() as u32 + 1;
        self.leaves.push((f, v, 0));
        let chain = &mut self.chains[f as usize];
        if chain.0 == 0 {
            chain.0 = at;
        } else {
            self.leaves[chain.1 as usize - 1].2 = at;
        }
        chain.1 = at;
    }

    /// The same (emptied) allocations, for an event of another line.
    pub fn recycle<'b>(mut self) -> Slots<'b> {
        // Unescaped strings go back to the spares, emptied (a few, and none so long that
        // keeping it would hold on to much memory after one huge line).
        let owned = |s: Scalar<'a>| match s {
            Scalar::Str(Cow::Owned(mut text)) if text.capacity() <= SPARE_CAPACITY => {
                text.clear();
                Some(text)
            }
            _ => None,
        };
        let mut spare = std::mem::take(&mut self.spare);
        spare.extend(self.leaves.drain(..).filter_map(|(_, s, _)| owned(s)));
        spare.extend(self.all.drain(..).filter_map(owned));
        spare.truncate(SPARES);
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
            chains: self.chains,
            all: empty(self.all),
            keys: self.keys,
            spare,
        }
    }

    pub(super) fn reset(&mut self, n: usize) {
        self.present.clear();
        self.present.resize(n.div_ceil(64), 0);
        self.leaves.clear();
        self.chains.clear();
        self.chains.resize(n, (0, 0));
        self.all.clear();
        self.keys.clear();
    }
}
