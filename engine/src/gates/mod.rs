//! The rule set compiled per log source: for the rules routed to a source, one matcher per
//! field over the needles of every rule's [`Gate`], so that each field of an event is folded
//! and scanned once, and only the rules whose gates hold are evaluated.
//!
//! Built at start-up (and per distinct log source of `json` events, when first seen) from the
//! generated [`NeedleTable`]s: per field, a hash table for exact needles, and a gram filter for
//! prefix, suffix and contains ones (`literals.rs`; every needle a value holds is found, one
//! inside another too). A rule is a candidate when its
//! gate holds over the needles found; rules gated by nothing always are. Candidates come out in
//! rule order, so alerts keep their order. See `docs/rule-set-compilation.md`.

mod literals;
mod raw;
mod scan;
#[cfg(test)]
mod tests;

pub use scan::Scratch;

use literals::{Literals, LiteralsBuild};
use raw::RawCheck;
use sigma_runtime::{FieldPath, Gate, NeedleKind, RuleInfo, RuleSet};
use std::collections::HashMap;

/// The hasher of the exact-value tables, looked up once per field value of every event: a
/// multiplicative hash of 8 bytes at a time (no defence against chosen collisions is needed
/// for keys that come from the rules; an event's values only look them up).
type FastHash = std::hash::BuildHasherDefault<literals::WordHasher>;

/// A needle's identity: its field's raw name (`None` for keywords), kind and folded text.
type Key<'a> = (Option<&'static str>, NeedleKind, &'a str);

/// When the rules of a log source are evaluated through their gates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Gating {
    /// For `json` events routed one by one (they skip the byte prefilter), and for other
    /// sources with at least [`AUTO_MIN_RULES`] rules or [`AUTO_MIN_NEEDLES`] needles.
    #[default]
    Auto,
    /// Always.
    On,
    /// Never: every routed rule is evaluated on every event.
    Off,
}

/// [`Gating::Auto`] gates a log source's rules when there are at least this many, or when
/// their needles number at least [`AUTO_MIN_NEEDLES`]. Scanning every field an event's rules
/// read costs about what evaluating a few dozen cheap rules that a byte prefilter and the
/// required-field check already sifted does: on the Kubernetes pack (17 rules, 74 needles,
/// 1,000,000 audit events) gates made a pass 1.43 s -> 1.80 s; on the SigmaHQ corpus (200,000
/// events) gating every source took 2.23 s, gating only sources of 24 or more rules 2.98 s: events
/// routed one by one skip the byte prefilter, so there gates pay however few the rules.
pub const AUTO_MIN_RULES: usize = 24;

/// See [`AUTO_MIN_RULES`].
pub const AUTO_MIN_NEEDLES: usize = 256;

/// The rules routed to one log source, with the matchers that pick, per event, those to run.
#[derive(Debug)]
pub struct Gates {
    /// The rules, as indices into the rule set, in rule order.
    rules: Vec<usize>,
    /// Per rule (by position in `rules`), its gate over needle ids.
    formulas: Vec<Formula>,
    /// Positions of the rules that run on every event.
    always: Vec<u32>,
    /// Per needle id, the positions of the rules it wakes: those whose gates name it among
    /// their anchors (see [`Gates::new`]).
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
    exact: HashMap<Box<str>, Vec<u32>, FastHash>,
    /// Prefix, suffix and contains needles, when the field has any.
    literals: Option<Literals>,
    /// For keywords: the search of the event's JSON text that rules out most events before
    /// their every value is scanned (`None` when some needle could escape it).
    raw: Option<RawCheck>,
}

/// Builds a field's scan.
#[derive(Default)]
struct FieldBuild {
    field: Option<FieldPath>,
    exact: HashMap<Box<str>, Vec<u32>, FastHash>,
    literals: LiteralsBuild,
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

    /// The rules `rules` (indices into `set.rules`, in rule order), gated as `mode` says.
    pub fn build(set: &'static RuleSet, rules: Vec<usize>, mode: Gating) -> Gates {
        match mode {
            Gating::On => Gates::new(set, rules),
            Gating::Off => Gates::ungated(rules),
            Gating::Auto => {
                let gates = Gates::new(set, rules);
                if gates.rules.len() >= AUTO_MIN_RULES || gates.needles() >= AUTO_MIN_NEEDLES {
                    gates
                } else {
                    Gates::ungated(gates.rules)
                }
            }
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
                    // A needle the matchers cannot find is left out: the gates naming it
                    // then find it missing from the tables, and their rules always run.
                    if served.is_empty()
                        || (kind != NeedleKind::Exact && !LiteralsBuild::takes(text))
                    {
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
                users[n as usize].push(p);
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
        // A rule is looked at only when one of its *anchor* needles is found: for an AND,
        // those of the conjunct whose needles the fewest rules share (the likeliest to be
        // rare in events too), for an OR those of every branch. Its gate cannot hold
        // otherwise, and a needle common to many rules then wakes few of them.
        let popularity: Vec<usize> = users.iter().map(Vec::len).collect();
        let mut anchored: Vec<Vec<u32>> = vec![Vec::new(); users.len()];
        for (p, formula) in formulas.iter().enumerate() {
            let mut anchors = Vec::new();
            anchors_of(formula, &popularity, &mut anchors);
            for n in anchors {
                anchored[n as usize].push(p as u32);
            }
        }
        for u in &mut anchored {
            u.sort_unstable();
            u.dedup();
        }
        let users = anchored;
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
            NeedleKind::Prefix => self.literals.prefix(text, id),
            NeedleKind::Suffix => self.literals.suffix(text, id),
            NeedleKind::Contains => self.literals.contains(text, id),
        }
    }

    fn finish(self) -> FieldScan {
        let raw = match self.field {
            None => {
                let mut texts: Vec<&str> = self.exact.keys().map(|k| &**k).collect();
                for t in self.literals.texts() {
                    texts.push(t);
                }
                RawCheck::new(texts)
            }
            Some(_) => None,
        };
        FieldScan {
            field: self.field,
            exact: self.exact,
            literals: (!self.literals.is_empty()).then(|| self.literals.finish()),
            raw,
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

/// The needles one of which every event the formula holds on has: see [`Gates::new`].
fn anchors_of(f: &Formula, popularity: &[usize], out: &mut Vec<u32>) {
    match f {
        Formula::Always => {}
        Formula::Needle(n) => out.push(*n),
        Formula::Any(xs) => xs.iter().for_each(|x| anchors_of(x, popularity, out)),
        Formula::All(xs) => {
            let cost = |x: &Formula| {
                let mut ns = Vec::new();
                anchors_of(x, popularity, &mut ns);
                ns.iter().map(|&n| popularity[n as usize]).sum::<usize>()
            };
            if let Some(best) = xs
                .iter()
                .filter(|x| !matches!(x, Formula::Always))
                .min_by_key(|x| cost(x))
            {
                anchors_of(best, popularity, out);
            }
        }
    }
}

fn needles_of(f: &Formula, out: &mut Vec<u32>) {
    match f {
        Formula::Always => {}
        Formula::Needle(n) => out.push(*n),
        Formula::All(xs) | Formula::Any(xs) => xs.iter().for_each(|x| needles_of(x, out)),
    }
}
