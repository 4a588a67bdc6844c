//! Stage de-duplication: a bounded memory of recent `(auditID, rule)` pairs, so that later
//! stages of a request already alerted on raise no second alert.

use std::collections::{HashSet, VecDeque};

/// A `(auditID, rule index)` remembered by the stage de-duplication.
pub type DedupeKey = (Box<str>, usize);

/// A bounded memory of recent `(auditID, rule)` pairs.
#[derive(Debug)]
pub struct Dedupe {
    window: usize,
    seen: HashSet<DedupeKey>,
    order: VecDeque<DedupeKey>,
}

impl Dedupe {
    /// Remembers at most `window` pairs (at least 1).
    pub fn new(window: usize) -> Dedupe {
        Dedupe {
            window: window.max(1),
            seen: HashSet::new(),
            order: VecDeque::new(),
        }
    }

    /// True (and remembers it) when the pair was not seen among the recent ones.
    pub fn first_time(&mut self, key: &DedupeKey) -> bool {
        if self.seen.contains(key) {
            return false;
        }
        if self.order.len() >= self.window {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        self.seen.insert(key.clone());
        self.order.push_back(key.clone());
        true
    }

    /// Forgets a pair (its alert could not be delivered, so a retry must alert again).
    pub fn forget(&mut self, key: &DedupeKey) {
        if self.seen.remove(key) {
            if let Some(i) = self.order.iter().rposition(|k| k == key) {
                self.order.remove(i);
            }
        }
    }

    /// How many pairs are remembered.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedupe_window_is_bounded() {
        let mut d = Dedupe::new(2);
        let k = |s: &str, r| (Box::<str>::from(s), r);
        assert!(d.first_time(&k("a", 0)));
        assert!(!d.first_time(&k("a", 0)));
        assert!(d.first_time(&k("a", 1)));
        assert!(d.first_time(&k("b", 0))); // evicts (a, 0)
        assert_eq!(d.len(), 2);
        assert!(d.first_time(&k("a", 0)));
        d.forget(&k("a", 0));
        assert!(d.first_time(&k("a", 0)));
    }
}
