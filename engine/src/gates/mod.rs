//! The rule set compiled per log source: for the rules routed to a source, one matcher per
//! field over the needles of every rule's [`Gate`], so that each field of an event is folded
//! and scanned once, and only the rules whose gates hold are evaluated.
//!
//! Built at start-up (and per distinct log source of `json` events, when first seen) from the
//! generated [`NeedleTable`]s: per field, an Aho-Corasick automaton (overlapping matches, so a
//! needle inside another is found too) for prefix, suffix and contains needles, with their
//! anchoring checked per match, and a hash table for exact ones. A rule is a candidate when its
//! gate holds over the needles found; rules gated by nothing always are. Candidates come out in
//! rule order, so alerts keep their order. See `docs/rule-set-compilation.md`.

mod scan;
#[cfg(test)]
mod tests;

pub use scan::Scratch;

use aho_corasick::{AhoCorasick, MatchKind};
use sigma_runtime::{FieldPath, Gate, NeedleKind, RuleInfo, RuleSet};
use std::collections::HashMap;

/// A needle's identity: its field's raw name (`None` for keywords), kind and folded text.
type Key<'a> = (Option<&'static str>, NeedleKind, &'a str);

/// The rules routed to one log source, with the matchers that pick, per event, those to run.
#[derive(Debug)]
pub struct Gates {
    /// The rules, as indices into the rule set, in rule order.
    rules: Vec<usize>,
    /// Per rule (by position in `rules`), its gate over needle ids.
    formulas: Vec<Formula>,
    /// Positions of the rules that run on every event.
    always: Vec<u32>,
    /// Per needle id, the positions of the rules whose gates name it.
    users: Vec<Vec<u32>>,
    /// One scan per field.
    fields: Vec<FieldScan>,
}

/// A gate over needle ids.
#[derive(Debug, Clone)]
enum Formula {
    Always,
    Needle(u32),
    All(Box<[Formula]>),
    Any(Box<[Formula]>),
}

impl Formula {
    fn holds(&self, hit: &impl Fn(u32) -> bool) -> bool {
        match self {
            Formula::Always => true,
            Formula::Needle(n) => hit(*n),
            Formula::All(xs) => xs.iter().all(|x| x.holds(hit)),
            Formula::Any(xs) => xs.iter().any(|x| x.holds(hit)),
        }
    }
}

/// The needles of one field.
#[derive(Debug)]
struct FieldScan {
    /// The field; `None`: every value of the event (keywords).
    field: Option<FieldPath>,
    /// Folded value → the exact needles it is.
    exact: HashMap<Box<str>, Vec<u32>>,
    /// Prefix, suffix and contains needles, when the field has any.
    automaton: Option<AhoCorasick>,
    /// Per automaton pattern, the needles spelled by it, with their kinds.
    patterns: Vec<Vec<(NeedleKind, u32)>>,
}

/// Builds a field's scan.
#[derive(Default)]
struct FieldBuild {
    field: Option<FieldPath>,
    exact: HashMap<Box<str>, Vec<u32>>,
    texts: Vec<&'static str>,
    patterns: Vec<Vec<(NeedleKind, u32)>>,
    pattern_of: HashMap<&'static str, usize>,
}

impl Gates {
    /// The rules `rules` (indices into `set.rules`, in rule order), every one evaluated on
    /// every event (the reference path, and what `--no-gates` asks for).
    pub fn ungated(rules: Vec<usize>) -> Gates {
        Gates {
            always: (0..rules.len() as u32).collect(),
            formulas: vec![Formula::Always; rules.len()],
            rules,
            users: Vec::new(),
            fields: Vec::new(),
        }
    }

    /// The gates of the rules `rules` (indices into `set.rules`, in rule order).
    pub fn new(set: &'static RuleSet, rules: Vec<usize>) -> Gates {
        let by_info: HashMap<usize, usize> = set
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.info as *const RuleInfo as usize, i))
            .collect();
        let position: HashMap<usize, u32> = rules
            .iter()
            .enumerate()
            .map(|(p, &i)| (i, p as u32))
            .collect();
        let mut ids: HashMap<Key<'static>, u32> = HashMap::new();
        let mut users: Vec<Vec<u32>> = Vec::new();
        let mut fields: Vec<FieldBuild> = Vec::new();
        let mut field_of: HashMap<Option<&'static str>, usize> = HashMap::new();
        for table in set.needles {
            for f in table.fields {
                let name = f.field.map(|p| p.name());
                for &(kind, text, infos) in f.needles {
                    let served: Vec<u32> = infos
                        .iter()
                        .filter_map(|info| by_info.get(&(*info as *const RuleInfo as usize)))
                        .filter_map(|i| position.get(i).copied())
                        .collect();
                    if served.is_empty() {
                        continue;
                    }
                    let id = *ids.entry((name, kind, text)).or_insert_with(|| {
                        users.push(Vec::new());
                        let at = *field_of.entry(name).or_insert_with(|| {
                            fields.push(FieldBuild {
                                field: f.field,
                                ..FieldBuild::default()
                            });
                            fields.len() - 1
                        });
                        let id = (users.len() - 1) as u32;
                        fields[at].add(kind, text, id);
                        id
                    });
                    users[id as usize].extend(served);
                }
            }
        }
        let mut formulas = Vec::with_capacity(rules.len());
        let mut always = Vec::new();
        for (p, &i) in rules.iter().enumerate() {
            let p = p as u32;
            // A needle missing from the tables would leave the rule unreachable: it then runs
            // on every event instead.
            let formula = compile(set.rules[i].gate, &ids).unwrap_or(Formula::Always);
            let mut named = Vec::new();
            needles_of(&formula, &mut named);
            for n in named {
                if !users[n as usize].contains(&p) {
                    users[n as usize].push(p);
                }
            }
            if matches!(formula, Formula::Always) {
                always.push(p);
            }
            formulas.push(formula);
        }
        for u in &mut users {
            u.sort_unstable();
            u.dedup();
        }
        Gates {
            rules,
            formulas,
            always,
            users,
            fields: fields.into_iter().map(FieldBuild::finish).collect(),
        }
    }

    /// The rules, as indices into the rule set, in rule order.
    pub fn rules(&self) -> &[usize] {
        &self.rules
    }

    /// How many needles the matchers hold.
    pub fn needles(&self) -> usize {
        self.users.len()
    }

    /// How many rules run on every event (no gate).
    pub fn always_run(&self) -> usize {
        self.always.len()
    }
}

impl FieldBuild {
    fn add(&mut self, kind: NeedleKind, text: &'static str, id: u32) {
        match kind {
            NeedleKind::Exact => self.exact.entry(text.into()).or_default().push(id),
            _ => {
                let at = *self.pattern_of.entry(text).or_insert_with(|| {
                    self.texts.push(text);
                    self.patterns.push(Vec::new());
                    self.texts.len() - 1
                });
                self.patterns[at].push((kind, id));
            }
        }
    }

    fn finish(self) -> FieldScan {
        let automaton = (!self.texts.is_empty()).then(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .build(&self.texts)
                .expect("needle automata stay far below the size limits")
        });
        FieldScan {
            field: self.field,
            exact: self.exact,
            automaton,
            patterns: self.patterns,
        }
    }
}

/// The gate over needle ids; `None` when a needle is not in the tables.
fn compile(gate: &Gate, ids: &HashMap<Key<'static>, u32>) -> Option<Formula> {
    let many =
        |xs: &[Gate]| -> Option<Box<[Formula]>> { xs.iter().map(|x| compile(x, ids)).collect() };
    Some(match gate {
        Gate::Always => Formula::Always,
        Gate::Needle(n) => {
            let key = (n.field.map(|p| p.name()), n.kind, n.text);
            Formula::Needle(*ids.get(&key)?)
        }
        // `Always` members are dropped from an AND and make an OR always hold.
        Gate::All(xs) => {
            let xs: Vec<Formula> = many(xs)?
                .into_vec()
                .into_iter()
                .filter(|x| !matches!(x, Formula::Always))
                .collect();
            match xs.len() {
                0 => Formula::Always,
                _ => Formula::All(xs.into()),
            }
        }
        Gate::Any(xs) => {
            let xs = many(xs)?;
            if xs.is_empty() || xs.iter().any(|x| matches!(x, Formula::Always)) {
                Formula::Always
            } else {
                Formula::Any(xs)
            }
        }
    })
}

fn needles_of(f: &Formula, out: &mut Vec<u32>) {
    match f {
        Formula::Always => {}
        Formula::Needle(n) => out.push(*n),
        Formula::All(xs) | Formula::Any(xs) => xs.iter().for_each(|x| needles_of(x, out)),
    }
}
