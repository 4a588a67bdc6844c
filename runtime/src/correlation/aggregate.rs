//! What a window computes over its matches, one kind per correlation type.

use super::groups::Entry;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

/// The aggregate of a window: told of every match added and removed, and asked for the value
/// the condition compares.
pub trait Aggregate: Clone + Send + std::fmt::Debug {
    /// What each match carries for it.
    type Input: Clone + Send + std::fmt::Debug;
    /// A match entered the window.
    fn add(&mut self, input: &Self::Input);
    /// A match left the window.
    fn remove(&mut self, input: &Self::Input);
    /// The value over the window's matches (in time order).
    fn value(&self, entries: &VecDeque<Entry<Self::Input>>) -> Option<f64>;
    /// The inputs (bit i = input i) the window holds a match of (temporal types only).
    fn present(&self) -> u64 {
        0
    }
}

/// `event_count`: the number of matches.
#[derive(Debug, Clone, Copy, Default)]
pub struct Count;

impl Aggregate for Count {
    type Input = ();
    fn add(&mut self, _: &()) {}
    fn remove(&mut self, _: &()) {}
    fn value(&self, entries: &VecDeque<Entry<()>>) -> Option<f64> {
        Some(entries.len() as f64)
    }
}

/// `value_count`: the number of distinct values (a tuple for several fields); a match
/// without one carries `None` and counts for nothing.
#[derive(Debug, Clone)]
pub struct Distinct<V> {
    seen: HashMap<V, u32>,
}

impl<V> Default for Distinct<V> {
    fn default() -> Self {
        Distinct {
            seen: HashMap::new(),
        }
    }
}

impl<V: Hash + Eq + Clone + Send + std::fmt::Debug> Aggregate for Distinct<V> {
    type Input = Option<V>;
    fn add(&mut self, input: &Option<V>) {
        if let Some(v) = input {
            *self.seen.entry(v.clone()).or_insert(0) += 1;
        }
    }
    fn remove(&mut self, input: &Option<V>) {
        if let Some(v) = input {
            if let Some(n) = self.seen.get_mut(v) {
                *n -= 1;
                if *n == 0 {
                    self.seen.remove(v);
                }
            }
        }
    }
    fn value(&self, _: &VecDeque<Entry<Option<V>>>) -> Option<f64> {
        Some(self.seen.len() as f64)
    }
}

/// Which numeric aggregate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NumericKind {
    /// `value_sum`
    Sum,
    /// `value_avg`
    Avg,
    /// `value_percentile` (nearest rank, `0..=100`); `value_median` is 50.
    Percentile(u8),
}

/// `value_sum`, `value_avg`, `value_percentile`, `value_median` over the numeric values of
/// the matches that have one (no value at all: no aggregate, as SQL's `SUM` of no row). Recomputed from the window (in time order) at each evaluation,
/// so no floating-point error accumulates as values come and go.
#[derive(Debug, Clone, Copy)]
pub struct Numeric(pub NumericKind);

impl Aggregate for Numeric {
    type Input = Option<f64>;
    fn add(&mut self, _: &Option<f64>) {}
    fn remove(&mut self, _: &Option<f64>) {}
    fn value(&self, entries: &VecDeque<Entry<Option<f64>>>) -> Option<f64> {
        let values = entries.iter().filter_map(|e| e.input);
        match self.0 {
            NumericKind::Sum => {
                let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
                (n > 0).then_some(sum)
            }
            NumericKind::Avg => {
                let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
                (n > 0).then(|| sum / n as f64)
            }
            NumericKind::Percentile(p) => {
                let mut v: Vec<f64> = values.collect();
                if v.is_empty() {
                    return None;
                }
                v.sort_by(f64::total_cmp);
                Some(v[nearest_rank(p, v.len()) - 1])
            }
        }
    }
}

/// The 1-based nearest rank of percentile `p` among `n` values: `⌈p/100 · n⌉`, at least 1.
pub fn nearest_rank(p: u8, n: usize) -> usize {
    (usize::from(p) * n).div_ceil(100).clamp(1, n)
}

/// `temporal`: how many of the inputs the window holds a match of.
#[derive(Debug, Clone)]
pub struct Temporal {
    counts: [u32; 64],
}

impl Default for Temporal {
    fn default() -> Self {
        Temporal { counts: [0; 64] }
    }
}

impl Aggregate for Temporal {
    type Input = u64;
    fn add(&mut self, inputs: &u64) {
        for i in bits(*inputs) {
            self.counts[i] += 1;
        }
    }
    fn remove(&mut self, inputs: &u64) {
        for i in bits(*inputs) {
            self.counts[i] -= 1;
        }
    }
    fn value(&self, _: &VecDeque<Entry<u64>>) -> Option<f64> {
        Some(f64::from(self.present().count_ones()))
    }
    fn present(&self) -> u64 {
        (0..64)
            .filter(|&i| self.counts[i] > 0)
            .fold(0, |m, i| m | 1 << i)
    }
}

/// `temporal_ordered`: the length of the longest prefix of the inputs matched in order, each
/// step by a later match than the one before (greedy earliest, which is optimal).
#[derive(Debug, Clone, Copy)]
pub struct Ordered(pub u32);

impl Aggregate for Ordered {
    type Input = u64;
    fn add(&mut self, _: &u64) {}
    fn remove(&mut self, _: &u64) {}
    fn value(&self, entries: &VecDeque<Entry<u64>>) -> Option<f64> {
        let mut k = 0;
        for e in entries {
            if k < self.0 && e.input & (1 << k) != 0 {
                k += 1;
            }
        }
        Some(f64::from(k))
    }
}

fn bits(mut m: u64) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        (m != 0).then(|| {
            let i = m.trailing_zeros() as usize;
            m &= m - 1;
            i
        })
    })
}
