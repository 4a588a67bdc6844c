//! Conditions: a random expression over the selections, printed with the parentheses and
//! `not`s its precedence needs.

use super::Rng;
use std::fmt::Write as _;

// ---------------------------------------------------------------------------------------------
// Conditions
// ---------------------------------------------------------------------------------------------

enum Expr {
    Name(String),
    Of(&'static str, String),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

fn precedence(e: &Expr) -> u8 {
    match e {
        Expr::Or(..) => 1,
        Expr::And(..) => 2,
        Expr::Not(_) => 3,
        Expr::Name(_) | Expr::Of(..) => 4,
    }
}

fn print(rng: &mut Rng, e: &Expr, parent: u8, out: &mut String) {
    let p = precedence(e);
    let parens = p < parent || (p < 4 && rng.chance(10));
    if parens {
        out.push('(');
    }
    match e {
        Expr::Name(n) => out.push_str(n),
        Expr::Of(q, pat) => {
            let _ = write!(out, "{q} of {pat}");
        }
        Expr::Not(inner) => {
            out.push_str("not ");
            print(rng, inner, 3, out);
        }
        Expr::And(a, b) => {
            print(rng, a, 2, out);
            out.push_str(" and ");
            print(rng, b, 3, out);
        }
        Expr::Or(a, b) => {
            print(rng, a, 1, out);
            out.push_str(" or ");
            print(rng, b, 2, out);
        }
    }
    if parens {
        out.push(')');
    }
}

fn maybe_not(rng: &mut Rng, e: Expr, percent: usize) -> Expr {
    if rng.chance(percent) {
        Expr::Not(Box::new(e))
    } else {
        e
    }
}

/// A random expression using each of `atoms` once.
fn tree(rng: &mut Rng, mut atoms: Vec<Expr>) -> Expr {
    while atoms.len() > 1 {
        let i = rng.below(atoms.len() - 1);
        let a = atoms.remove(i);
        let b = atoms.remove(i);
        let a = maybe_not(rng, a, 25);
        let b = maybe_not(rng, b, 25);
        let joined = if rng.chance(55) {
            Expr::And(Box::new(a), Box::new(b))
        } else {
            Expr::Or(Box::new(a), Box::new(b))
        };
        atoms.insert(i, joined);
    }
    let only = atoms.pop().expect("one atom at least");
    maybe_not(rng, only, 15)
}

/// The `condition:` line(s) for these selection names.
pub(super) fn condition(rng: &mut Rng, names: &[&str]) -> String {
    let groups = |prefix: &str| names.iter().filter(|n| n.starts_with(prefix)).count();
    let mut atoms: Vec<Expr> = Vec::new();
    let mut rest: Vec<&str> = names.to_vec();
    if rng.chance(35) {
        for prefix in ["sel_", "filter_"] {
            if groups(prefix) >= 2 || (groups(prefix) == 1 && rng.chance(30)) {
                let q = rng.pick_str(&["1", "all", "any"]);
                atoms.push(Expr::Of(q, format!("{prefix}*")));
                rest.retain(|n| !n.starts_with(prefix));
            }
        }
    }
    atoms.extend(rest.iter().map(|n| Expr::Name((*n).to_owned())));
    let mut out = String::new();
    if rng.chance(1) {
        let bad = rng.pick_str(&[
            "AND",
            "and missing_selection",
            "| count() > 5",
            "and (",
            "or not",
        ]);
        let _ = writeln!(out, "    condition: '{} {bad}'", names[0]);
        return out;
    }
    if rng.chance(8) && !names.iter().any(|n| n.starts_with('_')) {
        let _ = writeln!(
            out,
            "    condition: '{} of them'",
            rng.pick_str(&["1", "all"])
        );
        return out;
    }
    if rng.chance(8) && atoms.len() >= 2 {
        let split = 1 + rng.below(atoms.len() - 1);
        let second = atoms.split_off(split);
        let _ = writeln!(out, "    condition:");
        for part in [atoms, second] {
            let e = tree(rng, part);
            let mut s = String::new();
            print(rng, &e, 0, &mut s);
            let _ = writeln!(out, "        - '{s}'");
        }
        return out;
    }
    let e = tree(rng, atoms);
    let mut s = String::new();
    print(rng, &e, 0, &mut s);
    let _ = writeln!(out, "    condition: '{s}'");
    out
}
