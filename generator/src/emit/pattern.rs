//! Clauses and patterns → boolean expressions over runtime calls. Every constant is computed
//! already (folded needles, glob parts, sorted sets, networks); strings enter only as literals.
//! Field paths and glob part lists are named constants of the rule file ([`Consts`]).

use super::consts::Consts;
use crate::ir::{Case, Cidr, Clause, CompareOp, Pattern, RefMode, StrPattern, Test, TimePart};
use proc_macro2::{Ident, Literal, TokenStream};
use quote::quote;

/// Sets larger than this use a sorted slice and binary search instead of `matches!`.
const MATCH_ARMS_MAX: usize = 16;

/// One clause as a conjunction of disjunctions of `bool` expressions over `ev: &Event`
/// (outer Vec: AND, inner Vec: OR), so the caller can parenthesise only where needed.
pub fn clause(c: &Clause, consts: &mut Consts) -> Vec<Vec<TokenStream>> {
    let field = c.field.as_deref().map(|f| consts.field(f));
    match (&c.test, field) {
        (Test::Exists(true), Some(f)) => vec![vec![quote!(ev.exists(#f))]],
        (Test::Exists(false), Some(f)) => vec![vec![quote!(!ev.exists(#f))]],
        (Test::Exists(_), None) => vec![vec![quote!(false)]], // rejected by lowering
        (Test::Match { groups, negate }, f) => {
            let conj: Vec<Vec<TokenStream>> = groups
                .iter()
                .map(|g| alternatives(g, f.as_ref(), consts))
                .collect();
            if !negate {
                return conj;
            }
            // `!(g1 && g2)`, each group `a || b`, with the `!` moved onto each test (the
            // tests are plain `bool`s, so De Morgan's laws hold; clippy's `nonminimal_bool`
            // would rewrite a `!` over a group next to another `!`).
            if conj.len() == 1 {
                // `!(a || b)` is `!a && !b`.
                return conj
                    .into_iter()
                    .flatten()
                    .map(|t| vec![quote!(!#t)])
                    .collect();
            }
            // `!(g1 && g2)` is `!g1 || !g2`, and `!(a || b)` is `!a && !b`.
            let any = conj.into_iter().map(|all| match all.len() {
                1 => {
                    let t = all.into_iter().next().unwrap_or_default();
                    quote!(!#t)
                }
                _ => quote!((#(!#all)&&*)),
            });
            vec![any.collect()]
        }
    }
}

/// The tests one OR group needs: text tests share one walk of the field, leaf tests another.
fn alternatives(
    patterns: &[Pattern],
    field: Option<&Ident>,
    consts: &mut Consts,
) -> Vec<TokenStream> {
    let text: Vec<TokenStream> = patterns
        .iter()
        .filter_map(|p| text_test(p, consts))
        .collect();
    let mut out = Vec::new();
    // A group of simple tests is a constant slice handed to the runtime: no closure.
    let simple: Option<Vec<TokenStream>> = patterns
        .iter()
        .filter(|p| is_text_test(p))
        .map(simple_text_test)
        .collect();
    if let (false, Some(simple)) = (text.is_empty(), simple) {
        out.push(match field {
            Some(f) => quote!(ev.text_is(#f, &[#(#simple),*])),
            None => quote!(ev.any_text_is(&[#(#simple),*])),
        });
    } else if !text.is_empty() {
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
    let leaf: Vec<TokenStream> = patterns.iter().filter_map(leaf_test).collect();
    let simple: Option<Vec<TokenStream>> = patterns
        .iter()
        .filter(|p| leaf_test(p).is_some())
        .map(simple_leaf_test)
        .collect();
    match (leaf.is_empty(), field, simple) {
        (false, Some(f), Some(simple)) => out.push(quote!(ev.leaf_is(#f, &[#(#simple),*]))),
        (false, Some(f), None) => {
            let body = join_or(leaf);
            out.push(quote!(ev.any_leaf(#f, |l| #body)));
        }
        _ => {}
    }
    if let Some(f) = field {
        for p in patterns {
            match p {
                Pattern::Null => out.push(quote!(ev.is_null(#f))),
                Pattern::FieldRef { field: other, mode } => {
                    let other = consts.field(other);
                    let mode = match mode {
                        RefMode::Eq => quote!(Eq),
                        RefMode::Prefix => quote!(Prefix),
                        RefMode::Suffix => quote!(Suffix),
                        RefMode::Contains => quote!(Contains),
                    };
                    out.push(quote!(ev.any_text(#f, |a| ev.any_text(#other, |b| crate::runtime::field_ref(a, b, crate::runtime::RefMode::#mode)))));
                }
                _ => {}
            }
        }
    }
    out
}

/// Whether `p` is a test on text (see [`text_test`]).
fn is_text_test(p: &Pattern) -> bool {
    !matches!(
        p,
        Pattern::Num { .. }
            | Pattern::Bool(_)
            | Pattern::Null
            | Pattern::Compare { .. }
            | Pattern::FieldRef { .. }
    )
}

/// A text test as a `TextTest` constant, when it is one of the simple kinds.
fn simple_text_test(p: &Pattern) -> Option<TokenStream> {
    let (kind, arg) = match p {
        Pattern::Str(s, case) => {
            let ci = *case == Case::Insensitive;
            let (kind, n) = match s {
                StrPattern::Exact(n) => (if ci { "EqCi" } else { "Eq" }, n),
                StrPattern::Prefix(n) => (if ci { "PrefixCi" } else { "Prefix" }, n),
                StrPattern::Suffix(n) => (if ci { "SuffixCi" } else { "Suffix" }, n),
                StrPattern::Contains(n) => (if ci { "ContainsCi" } else { "Contains" }, n),
                StrPattern::Any | StrPattern::Glob(_) => return None,
            };
            (kind, quote!(#n))
        }
        Pattern::OneOf(set, case) => {
            let items = set.iter();
            let kind = match case {
                Case::Insensitive => "InSortedCi",
                Case::Sensitive => "InSorted",
            };
            (kind, quote!(&[#(#items),*]))
        }
        Pattern::Prefixes(set, case) => {
            let items = set.iter();
            let kind = match case {
                Case::Insensitive => "PrefixesCi",
                Case::Sensitive => "Prefixes",
            };
            (kind, quote!(&[#(#items),*]))
        }
        _ => return None,
    };
    let kind = Ident::new(kind, proc_macro2::Span::call_site());
    Some(quote!(crate::runtime::TextTest::#kind(#arg)))
}

/// A leaf test as a `LeafTest` constant, when it is one of the simple kinds.
fn simple_leaf_test(p: &Pattern) -> Option<TokenStream> {
    Some(match p {
        Pattern::Num { value, text } => quote!(crate::runtime::LeafTest::Num(#value, #text)),
        Pattern::Bool(b) => quote!(crate::runtime::LeafTest::Bool(#b)),
        _ => return None,
    })
}

fn join_or(items: Vec<TokenStream>) -> TokenStream {
    match items.len() {
        0 => quote!(false),
        _ => quote!(#(#items)||*),
    }
}

/// A test on a leaf `l: Leaf` (numbers and booleans compare by value, not text).
fn leaf_test(p: &Pattern) -> Option<TokenStream> {
    Some(match p {
        Pattern::Num { value, text } => quote!(crate::runtime::num_eq(l, #value, #text)),
        Pattern::Bool(b) => quote!(crate::runtime::bool_eq(l, #b)),
        Pattern::Compare { op, value } => {
            let op = match op {
                CompareOp::Gt => quote!(Gt),
                CompareOp::Gte => quote!(Gte),
                CompareOp::Lt => quote!(Lt),
                CompareOp::Lte => quote!(Lte),
            };
            quote!(crate::runtime::num_cmp(l, crate::runtime::CompareOp::#op, #value))
        }
        _ => return None,
    })
}

/// A test on the text `v: &str`.
fn text_test(p: &Pattern, consts: &mut Consts) -> Option<TokenStream> {
    Some(match p {
        Pattern::Str(s, Case::Sensitive) => match s {
            StrPattern::Exact(n) => quote!(v == #n),
            StrPattern::Prefix(n) => quote!(v.starts_with(#n)),
            StrPattern::Suffix(n) => quote!(v.ends_with(#n)),
            StrPattern::Contains(n) => quote!(v.contains(#n)),
            StrPattern::Any => quote!(true),
            StrPattern::Glob(parts) => {
                let parts = consts.glob(parts);
                quote!(crate::runtime::glob(v, #parts, false))
            }
        },
        Pattern::Str(s, Case::Insensitive) => match s {
            StrPattern::Exact(n) => quote!(crate::runtime::eq_ci(v, #n)),
            StrPattern::Prefix(n) => quote!(crate::runtime::starts_with_ci(v, #n)),
            StrPattern::Suffix(n) => quote!(crate::runtime::ends_with_ci(v, #n)),
            StrPattern::Contains(n) => quote!(crate::runtime::contains_ci(v, #n)),
            StrPattern::Any => quote!(true),
            StrPattern::Glob(parts) => {
                let parts = consts.glob(parts);
                quote!(crate::runtime::glob(v, #parts, true))
            }
        },
        Pattern::OneOf(set, Case::Sensitive) if set.len() <= MATCH_ARMS_MAX => {
            let arms = set.iter();
            // Not `::core::matches!`: the prelude macro cannot be shadowed from outside the
            // crate, and the shorter call lets prettyplease keep more of them on one line.
            quote!(matches!(v, #(#arms)|*))
        }
        Pattern::OneOf(set, Case::Sensitive) => {
            let items = set.iter();
            quote!(crate::runtime::in_sorted(v, &[#(#items),*]))
        }
        Pattern::Prefixes(set, Case::Sensitive) => {
            let items = set.iter();
            quote!(crate::runtime::starts_with_any(v, &[#(#items),*]))
        }
        Pattern::Prefixes(set, Case::Insensitive) => {
            let items = set.iter();
            quote!(crate::runtime::starts_with_any_ci(v, &[#(#items),*]))
        }
        Pattern::OneOf(set, Case::Insensitive) => {
            let items = set.iter();
            quote!(crate::runtime::in_sorted_ci(v, &[#(#items),*]))
        }
        Pattern::Regex(re) => quote!({
            static RE: crate::runtime::Regex = crate::runtime::Regex::new(#re);
            RE.is_match(v)
        }),
        Pattern::Cidr(Cidr::V4(addr, len)) => {
            let octets = addr.to_be_bytes().map(Literal::u8_unsuffixed);
            let len = Literal::u8_unsuffixed(*len);
            quote!(crate::runtime::in_cidr_v4(v, [#(#octets),*], #len))
        }
        Pattern::Cidr(Cidr::V6(addr, len)) => {
            let segments = std::net::Ipv6Addr::from(*addr).segments().map(hex_u16);
            let len = Literal::u8_unsuffixed(*len);
            quote!(crate::runtime::in_cidr_v6(v, [#(#segments),*], #len))
        }
        Pattern::TimePart { part, value } => {
            let part = match part {
                TimePart::Minute => quote!(Minute),
                TimePart::Hour => quote!(Hour),
                TimePart::Day => quote!(Day),
                TimePart::Week => quote!(Week),
                TimePart::Month => quote!(Month),
                TimePart::Year => quote!(Year),
            };
            let value = Literal::i64_unsuffixed(*value);
            quote!(crate::runtime::time_part(v, crate::runtime::TimePart::#part) == ::core::option::Option::Some(#value))
        }
        Pattern::Num { .. }
        | Pattern::Bool(_)
        | Pattern::Null
        | Pattern::Compare { .. }
        | Pattern::FieldRef { .. } => return None,
    })
}

fn hex_u16(x: u16) -> TokenStream {
    // A hex literal is how people read IPv6 segments; it is a valid integer token.
    format!("{x:#x}").parse().unwrap_or_else(|_| quote!(#x))
}
