//! Per event: fold and scan each field once, then list the rules whose gates hold.

use super::{FieldScan, Gates};
use sigma_runtime::{fold, Event};

/// Per-thread working memory of [`Gates::candidates`], reused from event to event: needles
/// and rules are marked with the number of the event they were last seen in, so nothing is
/// cleared between events.
#[derive(Debug, Default)]
pub struct Scratch {
    epoch: u32,
    needle_seen: Vec<u32>,
    rule_seen: Vec<u32>,
    hits: Vec<u32>,
    touched: Vec<u32>,
    folded: String,
    lower: Vec<u8>,
}

impl Scratch {
    /// Starts an event over `needles` needles and `rules` rules.
    fn start(&mut self, needles: usize, rules: usize) {
        if self.needle_seen.len() < needles {
            self.needle_seen.resize(needles, 0);
        }
        if self.rule_seen.len() < rules {
            self.rule_seen.resize(rules, 0);
        }
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.needle_seen.fill(0);
            self.rule_seen.fill(0);
            self.epoch = 1;
        }
        self.hits.clear();
        self.touched.clear();
    }

    fn hit(&mut self, needle: u32) {
        let seen = &mut self.needle_seen[needle as usize];
        if *seen != self.epoch {
            *seen = self.epoch;
            self.hits.push(needle);
        }
    }
}

impl Gates {
    /// Puts into `out` the positions (in [`Gates::rules`]) of the rules to evaluate on
    /// `event`, in order: those whose gates hold, and those without one. `text` is the JSON
    /// text the event was decoded from.
    pub fn candidates(
        &self,
        event: &Event<'_>,
        text: &[u8],
        scratch: &mut Scratch,
        out: &mut Vec<u32>,
    ) {
        out.clear();
        if self.fields.is_empty() {
            out.extend_from_slice(&self.always);
            return;
        }
        scratch.start(self.users.len(), self.rules.len());
        for scan in &self.fields {
            if scan
                .raw
                .as_ref()
                .is_some_and(|r| !r.may_hold(text, &mut scratch.lower))
            {
                continue;
            }
            let mut visit = |v: &str| {
                scan_value(scan, v, scratch);
                false
            };
            match scan.field {
                Some(path) => event.any_text(path, &mut visit),
                None => event.any_text_anywhere(&mut visit),
            };
        }
        let epoch = scratch.epoch;
        for &n in &scratch.hits {
            for &p in &self.users[n as usize] {
                let seen = &mut scratch.rule_seen[p as usize];
                if *seen != epoch {
                    *seen = epoch;
                    scratch.touched.push(p);
                }
            }
        }
        let needle_seen = &scratch.needle_seen;
        let hit = |n: u32| needle_seen[n as usize] == epoch;
        out.extend(
            scratch
                .touched
                .iter()
                .copied()
                .filter(|&p| self.formulas[p as usize].holds(&hit)),
        );
        if !self.always.is_empty() {
            out.extend_from_slice(&self.always);
        }
        out.sort_unstable();
    }
}

/// Marks the needles of `scan` that the value `v` holds.
fn scan_value(scan: &FieldScan, v: &str, scratch: &mut Scratch) {
    let mut folded = std::mem::take(&mut scratch.folded);
    folded.clear();
    if v.is_ascii() {
        folded.push_str(v);
        folded.make_ascii_lowercase();
    } else {
        folded.push_str(&fold(v));
    }
    if let Some(ids) = scan.exact.get(folded.as_str()) {
        for &n in ids {
            scratch.hit(n);
        }
    }
    if let Some(literals) = &scan.literals {
        literals.scan(folded.as_bytes(), &mut |n| scratch.hit(n));
    }
    scratch.folded = folded;
}
