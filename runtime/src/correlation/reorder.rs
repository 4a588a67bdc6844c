//! The lateness bound: matches wait until no earlier one may still come, then leave in time
//! order.

use super::Micros;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// What became of a pushed item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// Buffered (or released at once).
    Accepted,
    /// Older than the latest time seen minus the lateness bound: dropped.
    Late,
}

/// Items ordered by (time, arrival), released once their time is at most the latest time seen
/// minus `lateness`; at most `capacity` wait (past it the earliest leaves early).
#[derive(Debug)]
pub struct Reorder<T> {
    heap: BinaryHeap<Reverse<(Micros, u64, Slot<T>)>>,
    lateness: Micros,
    capacity: usize,
    latest: Option<Micros>,
    /// The latest time released: nothing earlier may be accepted any more.
    floor: Micros,
    seq: u64,
    /// Items released early because the buffer was full.
    pub overflow: u64,
    /// Items dropped as late.
    pub late: u64,
}

/// An item compared by nothing (the heap orders by time and sequence only).
#[derive(Debug)]
struct Slot<T>(T);

impl<T> PartialEq for Slot<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl<T> Eq for Slot<T> {}
impl<T> PartialOrd for Slot<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Slot<T> {
    fn cmp(&self, _: &Self) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }
}

impl<T> Reorder<T> {
    /// An empty buffer.
    pub fn new(lateness: Micros, capacity: usize) -> Self {
        Reorder {
            heap: BinaryHeap::new(),
            lateness: lateness.max(0),
            capacity: capacity.max(1),
            latest: None,
            floor: Micros::MIN,
            seq: 0,
            overflow: 0,
            late: 0,
        }
    }

    /// Items waiting.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether none waits.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Adds an item of time `time`, then hands every releasable item to `out` in order
    /// (with its arrival number).
    pub fn push(&mut self, time: Micros, item: T, mut out: impl FnMut(Micros, u64, T)) -> Pushed {
        let watermark = self.latest.map(|l| l - self.lateness);
        if watermark.is_some_and(|w| time < w) || time < self.floor {
            self.late += 1;
            return Pushed::Late;
        }
        self.latest = Some(self.latest.map_or(time, |l| l.max(time)));
        self.seq += 1;
        self.heap.push(Reverse((time, self.seq, Slot(item))));
        if self.heap.len() > self.capacity {
            self.overflow += 1;
            if let Some(Reverse((t, s, Slot(x)))) = self.heap.pop() {
                self.floor = self.floor.max(t);
                out(t, s, x);
            }
        }
        let w = self.latest.map_or(Micros::MIN, |l| l - self.lateness);
        self.release_until(w, &mut out);
        Pushed::Accepted
    }

    /// Releases every item whose time is at most `until`.
    pub fn release_until(&mut self, until: Micros, mut out: impl FnMut(Micros, u64, T)) {
        while self
            .heap
            .peek()
            .is_some_and(|Reverse((t, _, _))| *t <= until)
        {
            if let Some(Reverse((t, s, Slot(x)))) = self.heap.pop() {
                self.floor = self.floor.max(t);
                out(t, s, x);
            }
        }
    }

    /// Releases everything (the end of the input).
    pub fn flush(&mut self, out: impl FnMut(Micros, u64, T)) {
        self.release_until(Micros::MAX, out);
    }
}
