//! One correlation → one module: `INFO`, the group key type, the typed `State` and its update
//! function, the functions that read a match's values, and `CORRELATION`, the runtime's view
//! of it (see `sigma_runtime::correlation` and `docs/correlation.md`).

use super::doc::Doc;
use super::ident::Names;
use super::rule::{float, info};
use crate::ir::{CorrCondition, CorrExpr, CorrInput, Correlation, CorrelationType, RuleSet};
use proc_macro2::{Literal, TokenStream};
use quote::quote;

/// The Sigma spelling of a type.
pub fn type_name(kind: CorrelationType) -> &'static str {
    match kind {
        CorrelationType::EventCount => "event_count",
        CorrelationType::ValueCount => "value_count",
        CorrelationType::Temporal => "temporal",
        CorrelationType::TemporalOrdered => "temporal_ordered",
        CorrelationType::ValueSum => "value_sum",
        CorrelationType::ValueAvg => "value_avg",
        CorrelationType::ValuePercentile => "value_percentile",
        CorrelationType::ValueMedian => "value_median",
    }
}

/// The items of a correlation's module, in order.
pub fn items(set: &RuleSet, c: &Correlation, label: &str) -> Vec<TokenStream> {
    let rt = quote!(crate::runtime::correlation);
    let mut names = Names::default();
    for n in [
        "INFO",
        "TIMESPAN",
        "CONDITION",
        "FIELDS",
        "CORRELATION",
        "Key",
        "State",
    ] {
        names.reserve(n);
    }
    // One `FieldPath` constant per distinct (raw, ECS) field pair, in first-use order.
    let mut fields: Vec<((String, String), proc_macro2::Ident)> = Vec::new();
    let mut field = |f: &(String, String)| -> proc_macro2::Ident {
        if let Some((_, id)) = fields.iter().find(|(k, _)| k == f) {
            return id.clone();
        }
        let id = names.mint_const(&f.0);
        fields.push((f.clone(), id.clone()));
        id
    };
    let mut observe_arms = Vec::new();
    let mut chain_arms = Vec::new();
    let mut inputs = Vec::new();
    let mut reads = Vec::new();
    for (k, (input, r)) in c.inputs.iter().zip(&c.rules).enumerate() {
        let lit = Literal::usize_unsuffixed(k);
        match input {
            CorrInput::Rule {
                index,
                group,
                values,
            } => {
                let i = Literal::usize_unsuffixed(*index);
                inputs.push(quote!(#rt::Input::Rule(#i)));
                let rule = &set.rules[*index];
                reads.push(format!(
                    "{k}. rule `{}`: {} ({}/{}); group-by {}",
                    r.name,
                    rule.meta.title,
                    label,
                    rule.source,
                    if group.is_empty() {
                        "none".to_owned()
                    } else {
                        group
                            .iter()
                            .map(|g| format!("`{}`", g.0))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ));
                let g: Vec<_> = group.iter().map(&mut field).collect();
                let v: Vec<_> = values.iter().map(&mut field).collect();
                let values = if v.is_empty() {
                    quote!(::core::option::Option::None)
                } else {
                    quote!(#rt::values(ev, &[#(#v),*]))
                };
                observe_arms.push(quote! {
                    #lit => ::core::option::Option::Some((#rt::values(ev, &[#(#g),*])?, #values)),
                });
            }
            CorrInput::Correlation { index, group } => {
                let i = Literal::usize_unsuffixed(*index);
                inputs.push(quote!(#rt::Input::Correlation(#i)));
                let inner = &set.correlations[*index];
                reads.push(format!(
                    "{k}. correlation `{}`: {} ({}/{})",
                    r.name, inner.meta.title, label, inner.source
                ));
                let at = group.iter().map(|p| nth(*p));
                chain_arms.push(quote! {
                    #lit => ::core::option::Option::Some((::std::vec![#(group.#at?.clone()),*], ::core::option::Option::None)),
                });
            }
        }
    }
    let n = c.group_by.len();
    let val = quote!(#rt::Val);
    let key_parts = (0..n).map(|_| val.clone());
    let key_type = if n == 0 {
        quote!(())
    } else {
        quote!((#(#key_parts,)*))
    };
    let key_from = (0..n).map(|i| {
        let at = nth(i);
        quote!(obs.key.#at?.clone())
    });
    let key_expr = if n == 0 {
        quote!(())
    } else {
        quote!((#(#key_from,)*))
    };
    let nf = c.fields.len();
    let value_parts = (0..nf).map(|i| {
        let at = nth(i);
        quote!(v.#at?.clone())
    });
    let (aggregate, fresh, input, what) = match c.kind {
        CorrelationType::EventCount => (
            quote!(#rt::Count),
            quote!(#rt::Count),
            quote!(()),
            "the number of matches".to_owned(),
        ),
        CorrelationType::ValueCount => {
            let v = if nf == 1 {
                quote!(#val)
            } else {
                let parts = (0..nf).map(|_| val.clone());
                quote!((#(#parts,)*))
            };
            let pick = if nf == 1 {
                quote!(obs.values.as_ref().and_then(|v| v.first().cloned()))
            } else {
                quote!(obs.values.as_ref().and_then(|v| ::core::option::Option::Some((#(#value_parts,)*))))
            };
            (
                quote!(#rt::Distinct<#v>),
                quote!(#rt::Distinct::default()),
                pick,
                format!("the number of distinct values of {}", tick_list(&c.fields)),
            )
        }
        CorrelationType::Temporal => (
            quote!(#rt::Temporal),
            quote!(#rt::Temporal::default()),
            quote!(obs.inputs),
            "the number of the rules matched".to_owned(),
        ),
        CorrelationType::TemporalOrdered => {
            let k = Literal::u32_unsuffixed(c.rules.len() as u32);
            (
                quote!(#rt::Ordered),
                quote!(#rt::Ordered(#k)),
                quote!(obs.inputs),
                "how many of the rules matched in order".to_owned(),
            )
        }
        kind => {
            let (which, what) = match kind {
                CorrelationType::ValueSum => (quote!(Sum), "the sum"),
                CorrelationType::ValueAvg => (quote!(Avg), "the mean"),
                _ => {
                    let p = Literal::u8_unsuffixed(c.percentile.unwrap_or(50));
                    (quote!(Percentile(#p)), "the nearest-rank percentile")
                }
            };
            (
                quote!(#rt::Numeric),
                quote!(#rt::Numeric(#rt::NumericKind::#which)),
                quote!(obs.values.as_ref().and_then(|v| v.first()).and_then(#val::as_f64)),
                format!("{what} of the numeric values of {}", tick_list(&c.fields)),
            )
        }
    };
    let (condition, condition_fn, condition_text) = condition(c);
    let title = &c.meta.title;
    let group_text = if c.group_by.is_empty() {
        "one global group (no `group-by`)".to_owned()
    } else {
        format!("group-by {}", tick_list(&c.group_by))
    };
    let mut state_doc = Doc::default()
        .line(&format!("State of the correlation “{title}” ({}).", type_name(c.kind)))
        .blank()
        .line(&format!(
            "Per group ({group_text}), the matches of the last {} s since the group last alerted; the condition compares {what}: {condition_text}.",
            c.timespan
        ))
        .blank()
        .line("Fed only by the matches of:");
    for r in &reads {
        state_doc = state_doc.line(r);
    }
    let state_doc = state_doc.tokens();
    let key_doc = Doc::default()
        .line(&format!(
            "The group key: {}.",
            if n == 0 {
                "none, one global group".to_owned()
            } else {
                format!("the values of {}", tick_list(&c.group_by))
            }
        ))
        .tokens();
    let secs = Literal::u64_unsuffixed(c.timespan);
    let generate = c.generate;
    let kind = type_name(c.kind);
    let group_by = &c.group_by;
    let field_items = fields.iter().map(|((raw, ecs), id)| {
        let doc = Doc::default().line(&format!("Field `{raw}`.")).tokens();
        if raw == ecs {
            quote!(#doc const #id: crate::runtime::FieldPath = crate::runtime::FieldPath::new(#raw);)
        } else {
            quote!(#doc const #id: crate::runtime::FieldPath = crate::runtime::FieldPath::mapped(#raw, #ecs);)
        }
    });
    let field_ids = fields.iter().map(|(_, id)| id);
    let observe_body = if observe_arms.is_empty() {
        quote!(let _ = (input, ev); ::core::option::Option::None)
    } else {
        quote!(match input { #(#observe_arms)* _ => ::core::option::Option::None })
    };
    let chain_body = if chain_arms.is_empty() {
        quote!(let _ = (input, group); ::core::option::Option::None)
    } else {
        quote!(match input { #(#chain_arms)* _ => ::core::option::Option::None })
    };
    let mut items = vec![
        info(&c.meta, &c.source, label),
        quote! {
            /// The window.
            pub const TIMESPAN: #rt::Micros = #secs * #rt::MICROS_PER_SEC;
        },
        {
            let doc = Doc::default()
                .line(&format!("The condition: {condition_text}."))
                .tokens();
            quote!(#doc pub const CONDITION: #rt::Condition = #condition;)
        },
    ];
    if let Some(f) = condition_fn {
        items.push(f);
    }
    items.extend([
        quote!(#key_doc pub type Key = #key_type;),
        quote! {
            #state_doc
            pub struct State(#rt::Groups<Key, #aggregate>);
        },
        quote! {
            impl #rt::State for State {
                fn update(&mut self, obs: &#rt::Observation) -> ::core::option::Option<#rt::Fired> {
                    let key: Key = #key_expr;
                    self.0.observe(key, obs.time, #input, obs.event.clone())
                }

                fn stats(&self) -> #rt::Stats {
                    self.0.stats()
                }
            }
        },
        quote! {
            /// A fresh state under `limits`.
            pub fn new_state(limits: #rt::Limits) -> ::std::boxed::Box<dyn #rt::State> {
                ::std::boxed::Box::new(State(#rt::Groups::new(limits, #fresh, TIMESPAN, CONDITION)))
            }
        },
        quote! {
            /// The group-by values (and `condition.field` values) of a match of rule input
            /// `input`; `None` when a group-by field is missing (the match does not count).
            pub fn observe(input: usize, ev: &crate::runtime::Event<'_>) -> ::core::option::Option<#rt::Observed> {
                #observe_body
            }
        },
        quote! {
            /// The same for an alert of correlation input `input`, from its group values.
            pub fn chain(input: usize, group: &[#rt::Val]) -> ::core::option::Option<#rt::Observed> {
                #chain_body
            }
        },
        quote! {
            /// Every field this correlation reads.
            pub static FIELDS: &[crate::runtime::FieldPath] = &[#(#field_ids),*];
        },
        quote! {
            /// This correlation, as the engine runs it.
            pub static CORRELATION: #rt::Correlation = #rt::Correlation {
                info: &INFO,
                kind: #kind,
                group_by: &[#(#group_by),*],
                timespan: TIMESPAN,
                inputs: &[#(#inputs),*],
                generate: #generate,
                fields: FIELDS,
                observe,
                chain,
                new_state,
            };
        },
    ]);
    items.extend(field_items);
    items
}

/// `first()` or `get(i)` (what clippy prefers).
fn nth(i: usize) -> TokenStream {
    if i == 0 {
        quote!(first())
    } else {
        let i = Literal::usize_unsuffixed(i);
        quote!(get(#i))
    }
}

fn tick_list(xs: &[String]) -> String {
    xs.iter()
        .map(|x| format!("`{x}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `Condition` value, the extended condition's function, and the condition as text.
fn condition(c: &Correlation) -> (TokenStream, Option<TokenStream>, String) {
    let rt = quote!(crate::runtime::correlation);
    match &c.condition {
        CorrCondition::Threshold { eq: Some(n), .. } => {
            let v = float(*n);
            (quote!(#rt::Condition::Eq(#v)), None, format!("eq {n}"))
        }
        CorrCondition::Threshold { neq: Some(n), .. } => {
            let v = float(*n);
            (quote!(#rt::Condition::Neq(#v)), None, format!("neq {n}"))
        }
        CorrCondition::Threshold { lo, hi, .. } => {
            let bound = |b: &Option<(f64, bool)>| match b {
                Some((n, inc)) => {
                    let v = float(*n);
                    quote!(::core::option::Option::Some((#v, #inc)))
                }
                None => quote!(::core::option::Option::None),
            };
            let (l, h) = (bound(lo), bound(hi));
            let mut text = Vec::new();
            if let Some((n, inc)) = lo {
                text.push(format!("{} {n}", if *inc { "gte" } else { "gt" }));
            }
            if let Some((n, inc)) = hi {
                text.push(format!("{} {n}", if *inc { "lte" } else { "lt" }));
            }
            (
                quote!(#rt::Condition::Range { lo: #l, hi: #h }),
                None,
                text.join(" and "),
            )
        }
        CorrCondition::Expr(e) => {
            let body = expr(e);
            let text = expr_text(e, c);
            let doc = Doc::default()
                .line(&format!("The extended condition `{text}`: bit i of `present` is set when the window holds a match of input i."))
                .tokens();
            (
                quote!(#rt::Condition::Rules(condition)),
                Some(quote! {
                    #doc
                    pub fn condition(present: u64) -> bool {
                        #body
                    }
                }),
                format!("the expression `{text}`"),
            )
        }
    }
}

fn expr(e: &CorrExpr) -> TokenStream {
    match e {
        CorrExpr::Rule(i) => {
            let mask = Literal::u64_unsuffixed(1 << i);
            quote!((present & #mask != 0))
        }
        CorrExpr::Not(x) => {
            let x = expr(x);
            quote!(!#x)
        }
        CorrExpr::And(xs) => {
            let xs = xs.iter().map(expr);
            quote!((#(#xs)&&*))
        }
        CorrExpr::Or(xs) => {
            let xs = xs.iter().map(expr);
            quote!((#(#xs)||*))
        }
    }
}

fn expr_text(e: &CorrExpr, c: &Correlation) -> String {
    match e {
        CorrExpr::Rule(i) => c.rules[*i].name.clone(),
        CorrExpr::Not(x) => format!("not {}", expr_text(x, c)),
        CorrExpr::And(xs) => format!(
            "({})",
            xs.iter()
                .map(|x| expr_text(x, c))
                .collect::<Vec<_>>()
                .join(" and ")
        ),
        CorrExpr::Or(xs) => format!(
            "({})",
            xs.iter()
                .map(|x| expr_text(x, c))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
    }
}
