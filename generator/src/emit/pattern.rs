//! Clauses and patterns → boolean expressions over runtime calls. Every constant is computed
//! already (folded needles, glob parts, sorted sets); strings enter only as literals.

use crate::ir::{Case, Clause, GlobPart, Pattern, StrPattern, Test};
use proc_macro2::TokenStream;
use quote::quote;

/// Sets larger than this use a sorted slice and binary search instead of a `match`.
const MATCH_ARMS_MAX: usize = 16;

/// One clause as a conjunction of disjunctions of `bool` expressions over `ev: &Event`
/// (outer Vec: AND, inner Vec: OR), so the caller can parenthesise only where needed.
pub fn clause(c: &Clause) -> Vec<Vec<TokenStream>> {
    let field = c
        .field
        .as_deref()
        .map(|f| quote!(crate::runtime::FieldPath::new(#f)));
    match (&c.test, field) {
        (Test::Exists(true), Some(f)) => vec![vec![quote!(ev.exists(#f))]],
        (Test::Exists(false), Some(f)) => vec![vec![quote!(!ev.exists(#f))]],
        (Test::Exists(_), None) => vec![vec![quote!(false)]], // rejected by lowering
        (
            Test::Match {
                all: false,
                patterns,
            },
            f,
        ) => vec![alternatives(patterns, f.as_ref())],
        (
            Test::Match {
                all: true,
                patterns,
            },
            f,
        ) => patterns
            .iter()
            .map(|p| alternatives(std::slice::from_ref(p), f.as_ref()))
            .collect(),
    }
}

/// The tests one value list needs, text tests sharing one walk of the field.
fn alternatives(patterns: &[Pattern], field: Option<&TokenStream>) -> Vec<TokenStream> {
    let text: Vec<TokenStream> = patterns.iter().filter_map(text_test).collect();
    let mut out = Vec::new();
    if !text.is_empty() {
        // A lone `*` accepts any text, which makes the other text tests moot.
        let any = patterns
            .iter()
            .any(|p| matches!(p, Pattern::Str(StrPattern::Any, _)));
        let (arg, body) = if any {
            (quote!(_), quote!(true))
        } else {
            (quote!(v), join_or(text))
        };
        out.push(match field {
            Some(f) => quote!(ev.any_text(#f, |#arg| #body)),
            None => quote!(ev.any_text_anywhere(|#arg| #body)),
        });
    }
    let leaf: Vec<TokenStream> = patterns
        .iter()
        .filter_map(|p| match p {
            Pattern::Num { value, text } => Some(quote!(crate::runtime::num_eq(l, #value, #text))),
            Pattern::Bool(b) => Some(quote!(crate::runtime::bool_eq(l, #b))),
            _ => None,
        })
        .collect();
    if let (false, Some(f)) = (leaf.is_empty(), field) {
        let body = join_or(leaf);
        out.push(quote!(ev.any_leaf(#f, |l| #body)));
    }
    if let (true, Some(f)) = (patterns.contains(&Pattern::Null), field) {
        out.push(quote!(ev.is_null(#f)));
    }
    out
}

fn join_or(items: Vec<TokenStream>) -> TokenStream {
    match items.len() {
        0 => quote!(false),
        _ => quote!(#(#items)||*),
    }
}

/// A test on the text `v: &str`, for string patterns.
fn text_test(p: &Pattern) -> Option<TokenStream> {
    Some(match p {
        Pattern::Str(s, Case::Sensitive) => match s {
            StrPattern::Exact(n) => quote!(v == #n),
            StrPattern::Prefix(n) => quote!(v.starts_with(#n)),
            StrPattern::Suffix(n) => quote!(v.ends_with(#n)),
            StrPattern::Contains(n) => quote!(v.contains(#n)),
            StrPattern::Any => quote!(true),
            StrPattern::Glob(parts) => glob(parts, false),
        },
        Pattern::Str(s, Case::Insensitive) => match s {
            StrPattern::Exact(n) => quote!(crate::runtime::eq_ci(v, #n)),
            StrPattern::Prefix(n) => quote!(crate::runtime::starts_with_ci(v, #n)),
            StrPattern::Suffix(n) => quote!(crate::runtime::ends_with_ci(v, #n)),
            StrPattern::Contains(n) => quote!(crate::runtime::contains_ci(v, #n)),
            StrPattern::Any => quote!(true),
            StrPattern::Glob(parts) => glob(parts, true),
        },
        Pattern::OneOf(set, Case::Sensitive) if set.len() <= MATCH_ARMS_MAX => {
            let arms = set.iter();
            quote!(match v { #(#arms)|* => true, _ => false })
        }
        Pattern::OneOf(set, Case::Sensitive) => {
            let items = set.iter();
            quote!(crate::runtime::in_sorted(v, &[#(#items),*]))
        }
        Pattern::OneOf(set, Case::Insensitive) => {
            let items = set.iter();
            quote!(crate::runtime::in_sorted_ci(v, &[#(#items),*]))
        }
        Pattern::Num { .. } | Pattern::Bool(_) | Pattern::Null => return None,
    })
}

fn glob(parts: &[GlobPart], ci: bool) -> TokenStream {
    let parts = parts.iter().map(|p| match p {
        GlobPart::Lit(s) => quote!(crate::runtime::GlobPart::Lit(#s)),
        GlobPart::AnyChar => quote!(crate::runtime::GlobPart::AnyChar),
        GlobPart::AnyRun => quote!(crate::runtime::GlobPart::AnyRun),
    });
    quote!(crate::runtime::glob(v, &[#(#parts),*], #ci))
}
