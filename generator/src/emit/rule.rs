//! One rule → one module's items: `INFO`, `PREFILTER`, `matches`, one function per
//! selection, and the constants those functions name.

use super::consts::Consts;
use super::doc::Doc;
use super::ident::Names;
use super::pattern;
use crate::ir::{Expr, Level, Rule, Selection};
use proc_macro2::{Ident, Literal, TokenStream};
use quote::quote;

/// The items of a rule's module, in order (each formatted on its own).
pub fn items(rule: &Rule, label: &str) -> Vec<TokenStream> {
    let mut names = Names::default();
    let fns: Vec<Ident> = rule
        .selections
        .iter()
        .map(|s| names.mint("sel_", &s.name))
        .collect();
    // `RE` is the `static` each regex test declares in its own block.
    let mut consts = Consts::new(rule, &["INFO", "PREFILTER", "GATE", "RE"]);
    let mut items = vec![
        info(&rule.meta, &rule.source, label),
        prefilter(rule),
        gate(rule, &mut consts),
        matches(rule, &fns),
    ];
    items.extend(
        rule.selections
            .iter()
            .zip(&fns)
            .map(|(s, f)| selection(s, f, &mut consts)),
    );
    items.extend(consts.items());
    items
}

/// The `INFO` static of a rule or correlation document.
pub(super) fn info(m: &crate::ir::Meta, source: &str, label: &str) -> TokenStream {
    let level = match m.level {
        Some(l) => {
            let v = match l {
                Level::Informational => quote!(Informational),
                Level::Low => quote!(Low),
                Level::Medium => quote!(Medium),
                Level::High => quote!(High),
                Level::Critical => quote!(Critical),
            };
            quote!(::core::option::Option::Some(crate::runtime::Level::#v))
        }
        None => quote!(::core::option::Option::None),
    };
    let s = |o: &Option<String>| o.clone().unwrap_or_default();
    let (title, id, status) = (&m.title, s(&m.id), s(&m.status));
    let (product, category, service) = (
        s(&m.logsource.product),
        s(&m.logsource.category),
        s(&m.logsource.service),
    );
    let tags = &m.tags;
    let (tactics, techniques) = crate::attack::of_tags(tags);
    let pairs = |entries: Vec<crate::attack::Entry>| {
        let pairs = entries.into_iter().map(|e| {
            let (id, name) = (e.id, e.name);
            quote!((#id, #name))
        });
        quote!(&[#(#pairs),*])
    };
    let (tactics, techniques) = (pairs(tactics), pairs(techniques));
    let risk_score = match crate::risk::risk_score(m) {
        Some(score) => {
            let score = float(score);
            quote!(::core::option::Option::Some(#score))
        }
        None => quote!(::core::option::Option::None),
    };
    let severity = match m.level {
        Some(level) => {
            let severity = proc_macro2::Literal::u32_unsuffixed(crate::risk::severity(level));
            quote!(::core::option::Option::Some(#severity))
        }
        None => quote!(::core::option::Option::None),
    };
    let related = m.related.iter().map(|(t, i)| quote!((#t, #i)));
    let custom = m.custom.iter().map(|(k, v)| quote!((#k, #v)));
    let mut doc = Doc::default().line(title).blank();
    let level_name = m.level.map_or("none", |l| {
        Level::ALL
            .iter()
            .find(|(_, x)| *x == l)
            .map_or("?", |(n, _)| n)
    });
    doc = doc.line(&format!(
        "id: {} · level: {level_name} · status: {}",
        if id.is_empty() { "none" } else { &id },
        if status.is_empty() { "none" } else { &status }
    ));
    doc = doc.line(&format!("source: {label}/{source}"));
    if let Some(d) = &m.description {
        doc = doc.blank().fenced("text", d.trim_end());
    }
    let doc = doc.tokens();
    quote! {
        #doc
        pub static INFO: crate::runtime::RuleInfo = crate::runtime::RuleInfo {
            id: #id,
            title: #title,
            level: #level,
            status: #status,
            tags: &[#(#tags),*],
            tactics: #tactics,
            techniques: #techniques,
            risk_score: #risk_score,
            severity: #severity,
            logsource: crate::runtime::LogSource {
                product: #product,
                category: #category,
                service: #service,
            },
            related: &[#(#related),*],
            custom: &[#(#custom),*],
            source: #source,
        };
    }
}

/// An `f64` literal that reads back as exactly `x` (finite), the sign outside the literal.
pub(super) fn float(x: f64) -> TokenStream {
    let abs = Literal::f64_unsuffixed(x.abs());
    if x.is_sign_negative() {
        quote!(-#abs)
    } else {
        quote!(#abs)
    }
}

fn prefilter(rule: &Rule) -> TokenStream {
    // What the values mean is the same for every rule: the runtime documents it once.
    let doc = Doc::default()
        .line("Prefilter of this rule (see [`crate::runtime::Prefilter`]).")
        .tokens();
    let side = |lits: &Option<Vec<String>>| match lits {
        Some(l) => quote!(::core::option::Option::Some(&[#(#l),*])),
        None => quote!(::core::option::Option::None),
    };
    let (raw, ecs) = (side(&rule.prefilter.raw), side(&rule.prefilter.ecs));
    let (fields_raw, fields_ecs) = (&rule.prefilter.fields_raw, &rule.prefilter.fields_ecs);
    quote! {
        #doc
        pub static PREFILTER: crate::runtime::Prefilter = crate::runtime::Prefilter {
            raw: #raw,
            ecs: #ecs,
            fields_raw: &[#(#fields_raw),*],
            fields_ecs: &[#(#fields_ecs),*],
        };
    }
}

fn gate(rule: &Rule, consts: &mut Consts<'_>) -> TokenStream {
    let mut doc = Doc::default().line(
        "Gate of this rule (see [`crate::runtime::Gate`]): what every event it matches holds,",
    );
    let value = match &rule.gate {
        Some(g) => {
            doc = doc
                .line("values folded. The engine runs the rule only on events where it holds:")
                .blank()
                .fenced("text", &g.to_string());
            gate_value(g, consts)
        }
        None => {
            doc = doc.line("nothing: the rule runs on every event of its log source.");
            quote!(crate::runtime::Gate::Always)
        }
    };
    let doc = doc.tokens();
    quote! {
        #doc
        pub static GATE: crate::runtime::Gate = #value;
    }
}

fn gate_value(g: &crate::gate::Gate, consts: &mut Consts<'_>) -> TokenStream {
    use crate::gate::Gate;
    match g {
        Gate::Needle(n) => {
            let needle = needle(n, |f| {
                let c = consts.field(f);
                quote!(#c)
            });
            quote!(crate::runtime::Gate::Needle(#needle))
        }
        Gate::All(xs) | Gate::Any(xs) => {
            let xs: Vec<TokenStream> = xs.iter().map(|x| gate_value(x, consts)).collect();
            let op = if matches!(g, Gate::All(_)) {
                quote!(All)
            } else {
                quote!(Any)
            };
            quote!(crate::runtime::Gate::#op(&[#(#xs),*]))
        }
    }
}

/// A `crate::runtime::Needle` value, its field path written by `field`.
pub(super) fn needle(
    n: &crate::gate::Needle,
    field: impl FnOnce(&str) -> TokenStream,
) -> TokenStream {
    let field = match &n.field {
        Some(f) => {
            let path = field(f);
            quote!(::core::option::Option::Some(#path))
        }
        None => quote!(::core::option::Option::None),
    };
    let (kind, text) = (needle_kind(n.kind), &n.text);
    quote!(crate::runtime::Needle { field: #field, kind: #kind, text: #text })
}

/// The `crate::runtime::NeedleKind` variant of `k`.
pub(super) fn needle_kind(k: crate::gate::Kind) -> TokenStream {
    use crate::gate::Kind;
    match k {
        Kind::Exact => quote!(crate::runtime::NeedleKind::Exact),
        Kind::Prefix => quote!(crate::runtime::NeedleKind::Prefix),
        Kind::Suffix => quote!(crate::runtime::NeedleKind::Suffix),
        Kind::Contains => quote!(crate::runtime::NeedleKind::Contains),
    }
}

fn matches(rule: &Rule, fns: &[Ident]) -> TokenStream {
    let doc = Doc::default()
        .line("True when the event matches the rule's condition (tests run cheapest first):")
        .blank()
        .fenced("text", &rule.condition_text)
        .tokens();
    let body = expr(
        &crate::cost::cheapest_first(rule, &negation_normal_form(&rule.condition, false)),
        fns,
    );
    quote! {
        #doc
        pub fn matches(ev: &crate::runtime::Event) -> bool {
            #body
        }
    }
}

/// `e` (negated when `negated`) with every `not` moved down onto a selection by De Morgan's
/// laws, and nested groups of the same operator merged: `not (a or not b)` becomes
/// `!a && b`. Clippy's `nonminimal_bool` rewrites a `!` over a group that holds another `!`
/// (or a run of such groups); this form has none. Sound here: a selection is a plain `bool`
/// function (a missing field is decided inside it), and the selections are called in the
/// same order, with the same short circuits.
fn negation_normal_form(e: &Expr, negated: bool) -> Expr {
    match e {
        Expr::Sel(_) if negated => Expr::Not(Box::new(e.clone())),
        Expr::Sel(_) => e.clone(),
        Expr::Not(inner) => negation_normal_form(inner, !negated),
        Expr::And(items) | Expr::Or(items) => {
            let and = matches!(e, Expr::And(_)) != negated;
            let mut merged = Vec::with_capacity(items.len());
            for item in items {
                match negation_normal_form(item, negated) {
                    Expr::And(inner) if and => merged.extend(inner),
                    Expr::Or(inner) if !and => merged.extend(inner),
                    other => merged.push(other),
                }
            }
            if and {
                Expr::And(merged)
            } else {
                Expr::Or(merged)
            }
        }
    }
}

fn expr(e: &Expr, fns: &[Ident]) -> TokenStream {
    match e {
        Expr::Sel(i) => {
            let f = &fns[*i];
            quote!(#f(ev))
        }
        Expr::Not(inner) => {
            let t = expr(inner, fns);
            match inner.as_ref() {
                Expr::Sel(_) | Expr::Not(_) => quote!(!#t),
                _ => quote!(!(#t)),
            }
        }
        Expr::And(items) => {
            let items = items.iter().map(|i| group(i, fns));
            quote!(#(#items)&&*)
        }
        Expr::Or(items) => {
            let items = items.iter().map(|i| group(i, fns));
            quote!(#(#items)||*)
        }
    }
}

/// Parenthesises a sub-expression where Rust precedence would otherwise regroup it.
fn group(e: &Expr, fns: &[Ident]) -> TokenStream {
    let t = expr(e, fns);
    match e {
        Expr::And(_) | Expr::Or(_) => quote!((#t)),
        _ => t,
    }
}

fn selection(sel: &Selection, f: &Ident, consts: &mut Consts) -> TokenStream {
    let doc = Doc::default()
        .line(&format!("Selection `{}`:", sel.name))
        .blank()
        .fenced("yaml", &sel.yaml)
        .tokens();
    let alts: Vec<Vec<TokenStream>> = sel
        .alternatives
        .iter()
        .map(|clauses| {
            let mut clauses: Vec<&crate::ir::Clause> = clauses.iter().collect();
            clauses.sort_by_key(|c| crate::cost::clause(c));
            let groups: Vec<Vec<TokenStream>> = clauses
                .into_iter()
                .flat_map(|c| pattern::clause(c, consts))
                .collect();
            let in_and = groups.len() > 1;
            groups
                .into_iter()
                .map(|any| or_group(any, in_and))
                .collect()
        })
        .collect();
    let several = alts.len() > 1;
    let alts: Vec<TokenStream> = alts
        .into_iter()
        .map(|all| match all.len() {
            0 => quote!(true),
            1 => all.into_iter().next().unwrap_or_default(),
            _ if several => quote!((#(#all)&&*)),
            _ => quote!(#(#all)&&*),
        })
        .collect();
    let body = or_group(alts, false);
    quote! {
        #doc
        fn #f(ev: &crate::runtime::Event) -> bool {
            #body
        }
    }
}

/// `a || b`, parenthesised when it is an operand of `&&`.
fn or_group(items: Vec<TokenStream>, in_and: bool) -> TokenStream {
    match items.len() {
        0 => quote!(false),
        1 => items.into_iter().next().unwrap_or_default(),
        _ if in_and => quote!((#(#items)||*)),
        _ => quote!(#(#items)||*),
    }
}
