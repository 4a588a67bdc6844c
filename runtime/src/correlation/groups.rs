//! Bounded groups of sliding windows, the least recently seen group evicted first.

use super::aggregate::Aggregate;
use super::{Condition, EventRef, Fired, Limits, Micros, Stats, Val, EVENTS_CAP};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::Hash;

/// One match inside a window.
#[derive(Debug, Clone)]
pub struct Entry<I> {
    /// Event time.
    pub time: Micros,
    /// What the aggregate reads.
    pub input: I,
    /// Where it came from.
    pub event: EventRef,
}

/// The matches of one group since it last alerted, oldest first, and their aggregate.
#[derive(Debug, Clone)]
pub struct Window<A: Aggregate> {
    entries: VecDeque<Entry<A::Input>>,
    agg: A,
}

impl<A: Aggregate> Window<A> {
    fn new(agg: A) -> Self {
        Window {
            entries: VecDeque::new(),
            agg,
        }
    }

    /// Drops the matches older than `from`.
    fn expire(&mut self, from: Micros) {
        while self.entries.front().is_some_and(|e| e.time < from) {
            self.pop();
        }
    }

    fn pop(&mut self) {
        if let Some(e) = self.entries.pop_front() {
            self.agg.remove(&e.input);
        }
    }

    /// Matches held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A group key: a tuple of group-by values.
pub trait Key: Hash + Eq + Clone + Send {
    /// The values, in `group-by` order.
    fn values(&self) -> Vec<Val>;
}

macro_rules! tuple_key {
    ($($t:ident $i:tt),*) => {
        impl Key for ($($t,)*) {
            fn values(&self) -> Vec<Val> {
                vec![$(self.$i.clone()),*]
            }
        }
    };
}

impl Key for () {
    fn values(&self) -> Vec<Val> {
        Vec::new()
    }
}
tuple_key!(Val 0);
tuple_key!(Val 0, Val 1);
tuple_key!(Val 0, Val 1, Val 2);
tuple_key!(Val 0, Val 1, Val 2, Val 3);
tuple_key!(Val 0, Val 1, Val 2, Val 3, Val 4);
tuple_key!(Val 0, Val 1, Val 2, Val 3, Val 4, Val 5);
tuple_key!(Val 0, Val 1, Val 2, Val 3, Val 4, Val 5, Val 6);
tuple_key!(Val 0, Val 1, Val 2, Val 3, Val 4, Val 5, Val 6, Val 7);

/// Every group of one correlation: a window per key, at most `limits.max_groups` of them.
#[derive(Debug)]
pub struct Groups<K, A: Aggregate> {
    map: HashMap<K, (u64, Window<A>)>,
    /// Last-seen tick → key: the first entry is the least recently seen group.
    lru: BTreeMap<u64, K>,
    tick: u64,
    limits: Limits,
    fresh: A,
    span: Micros,
    condition: Condition,
    stats: Stats,
    /// Matches held, over every window.
    held: usize,
}

impl<K: Key, A: Aggregate> Groups<K, A> {
    /// No group yet; each new group's aggregate starts as `fresh`; windows are `span` long.
    pub fn new(limits: Limits, fresh: A, span: Micros, condition: Condition) -> Self {
        Groups {
            map: HashMap::new(),
            lru: BTreeMap::new(),
            tick: 0,
            limits: Limits {
                max_groups: limits.max_groups.max(1),
                max_window: limits.max_window.max(1),
                max_entries: limits.max_entries.max(1),
            },
            fresh,
            span,
            condition,
            stats: Stats::default(),
            held: 0,
        }
    }

    /// Adds a match of group `key` at `time` (not earlier than any before it), evaluates the
    /// condition over the group's window `[time − span, time]`, and when it holds returns the
    /// alert and forgets the group (its window restarts).
    pub fn observe(
        &mut self,
        key: K,
        time: Micros,
        input: A::Input,
        event: EventRef,
    ) -> Option<Fired> {
        self.tick += 1;
        let tick = self.tick;
        let window = match self.map.get_mut(&key) {
            Some((seen, window)) => {
                self.lru.remove(seen);
                *seen = tick;
                self.lru.insert(tick, key.clone());
                window
            }
            None => {
                if self.map.len() >= self.limits.max_groups {
                    if let Some((_, old)) = self.lru.pop_first() {
                        if let Some((_, w)) = self.map.remove(&old) {
                            self.held -= w.len();
                        }
                        self.stats.evicted += 1;
                    }
                }
                self.lru.insert(tick, key.clone());
                &mut self
                    .map
                    .entry(key.clone())
                    .or_insert((tick, Window::new(self.fresh.clone())))
                    .1
            }
        };
        let before = window.len();
        window.expire(time.saturating_sub(self.span));
        self.held -= before - window.len();
        if window.entries.len() >= self.limits.max_window {
            window.pop();
            self.held -= 1;
            self.stats.overflow += 1;
        }
        window.agg.add(&input);
        window.entries.push_back(Entry { time, input, event });
        self.held += 1;
        let value = window.agg.value(&window.entries);
        if !self.condition.holds(value, window.agg.present()) {
            self.within_budget(tick, &key);
            self.stats.groups = self.map.len();
            return None;
        }
        let n = window.entries.len();
        let alert = Fired {
            group: key.values(),
            first: window.entries.front().map_or(time, |e| e.time),
            last: time,
            count: n,
            value,
            events: window
                .entries
                .iter()
                .take(EVENTS_CAP)
                .map(|e| e.event.clone())
                .collect(),
            omitted: n.saturating_sub(EVENTS_CAP),
        };
        if let Some((seen, w)) = self.map.remove(&key) {
            self.lru.remove(&seen);
            self.held -= w.len();
        }
        self.stats.groups = self.map.len();
        Some(alert)
    }

    /// Evicts the least recently seen groups (never `key`, seen at `tick`) while more than
    /// `max_entries` matches are held; when `key` is left alone, drops its oldest matches.
    fn within_budget(&mut self, tick: u64, key: &K) {
        while self.held > self.limits.max_entries {
            match self.lru.first_key_value() {
                Some((&t, _)) if t != tick => {
                    if let Some((_, old)) = self.lru.pop_first() {
                        if let Some((_, w)) = self.map.remove(&old) {
                            self.held -= w.len();
                        }
                        self.stats.evicted += 1;
                    }
                }
                _ => match self.map.get_mut(key) {
                    Some((_, w)) if w.len() > 1 => {
                        w.pop();
                        self.held -= 1;
                        self.stats.overflow += 1;
                    }
                    _ => break,
                },
            }
        }
    }

    /// Matches held over every group.
    pub fn held(&self) -> usize {
        self.held
    }

    /// What was counted.
    pub fn stats(&self) -> Stats {
        Stats {
            groups: self.map.len(),
            ..self.stats
        }
    }
}
