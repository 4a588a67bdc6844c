//! The needle tables: per log source, every needle of its rules' gates, field by field, with
//! the rules each serves. One generated file per log source, so that a reviewer sees what a
//! rule change adds to the automata the engine builds from them.

use super::doc::Doc;
use super::ident::Names;
use crate::gate::{Kind, Needle};
use crate::ir::{LogSource, Rule};
use proc_macro2::{Ident, TokenStream};
use quote::quote;
use std::collections::BTreeMap;

/// One table file: its module name, its log source as text, and its items.
pub struct Table {
    /// The module.
    pub module: Ident,
    /// `product: windows, category: process_creation`.
    pub logsource: String,
    /// The items of its file.
    pub items: Vec<TokenStream>,
}

/// The log source of a rule as a sorting key and a label.
fn logsource_key(ls: &LogSource) -> (String, String, String) {
    let s = |o: &Option<String>| o.clone().unwrap_or_default();
    (s(&ls.product), s(&ls.category), s(&ls.service))
}

fn logsource_label(key: &(String, String, String)) -> String {
    let parts: Vec<String> = [
        ("product", &key.0),
        ("category", &key.1),
        ("service", &key.2),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| format!("{k}: {v}"))
    .collect();
    if parts.is_empty() {
        "none".to_owned()
    } else {
        parts.join(", ")
    }
}

/// The tables, one per log source whose rules have needles, in log-source order. `modules`
/// names each rule's module (same order as `rules`); `names` hands out module names.
pub fn tables(rules: &[Rule], modules: &[Ident], names: &mut Names) -> Vec<Table> {
    // log source → field (None first) → needle → the rules' modules, in rule order.
    type Fields<'r> = BTreeMap<Option<&'r str>, BTreeMap<(String, Kind), Vec<usize>>>;
    let mut by_source: BTreeMap<(String, String, String), (Fields<'_>, usize)> = BTreeMap::new();
    for (i, rule) in rules.iter().enumerate() {
        let Some(gate) = &rule.gate else { continue };
        let (fields, count) = by_source
            .entry(logsource_key(&rule.meta.logsource))
            .or_default();
        *count += 1;
        for Needle { field, kind, text } in gate.needles() {
            let users = fields
                .entry(field.as_deref())
                .or_default()
                .entry((text.clone(), *kind))
                .or_default();
            if users.last() != Some(&i) {
                users.push(i);
            }
        }
    }
    by_source
        .into_iter()
        .map(|(key, (fields, count))| {
            let label = logsource_label(&key);
            let module = names.mint("needles_", &label.replace(": ", "_"));
            let mut consts = Names::default();
            consts.reserve("TABLE");
            let mut field_items = Vec::new();
            let mut field_idents = Vec::new();
            let mut total = 0;
            for (field, needles) in &fields {
                let ident = consts.mint_const(field.unwrap_or("keywords"));
                total += needles.len();
                let users: std::collections::BTreeSet<usize> =
                    needles.values().flatten().copied().collect();
                let what = match field {
                    Some(f) => format!("Field `{f}`"),
                    None => "Keywords (any value of the event)".to_owned(),
                };
                let doc = Doc::default()
                    .line(&format!(
                        "{what}: {} needle(s) of {} rule(s).",
                        needles.len(),
                        users.len()
                    ))
                    .tokens();
                let path = match field {
                    Some(f) => {
                        // Every rule of one log source maps a field to the same ECS name.
                        let rule = &rules[*users.first().expect("a needle has a rule")];
                        let p = match rule.ecs_fields.get(*f) {
                            Some(m) => quote!(crate::runtime::FieldPath::mapped(#f, #m)),
                            None => quote!(crate::runtime::FieldPath::new(#f)),
                        };
                        quote!(::core::option::Option::Some(#p))
                    }
                    None => quote!(::core::option::Option::None),
                };
                let rows = needles.iter().map(|((text, kind), users)| {
                    let kind = super::rule::needle_kind(*kind);
                    // By rule file, whatever order the rules came in.
                    let mut users = users.clone();
                    users.sort_by(|&a, &b| {
                        (&rules[a].source, rules[a].doc).cmp(&(&rules[b].source, rules[b].doc))
                    });
                    let users = users.iter().map(|&u| {
                        let m = &modules[u];
                        quote!(&super::#m::INFO)
                    });
                    quote!((#kind, #text, &[#(#users),*]))
                });
                field_items.push(quote! {
                    #doc
                    const #ident: crate::runtime::FieldNeedles = crate::runtime::FieldNeedles {
                        field: #path,
                        needles: &[#(#rows),*],
                    };
                });
                field_idents.push(ident);
            }
            let doc = Doc::default()
                .line(&format!(
                    "Needles of the {count} gated rule(s) of log source `{label}`: {total} in {} field(s).",
                    fields.len()
                ))
                .tokens();
            let mut items = vec![quote! {
                #doc
                pub static TABLE: crate::runtime::NeedleTable = crate::runtime::NeedleTable {
                    fields: &[#(#field_idents),*],
                };
            }];
            items.extend(field_items);
            Table {
                module,
                logsource: label,
                items,
            }
        })
        .collect()
}
