//! The named constants of one rule file: every field path and every wildcard part list the
//! selection functions use, each emitted once, after the functions, and referred to by name.

use super::doc::Doc;
use super::ident::Names;
use crate::ir::{GlobPart, Rule};
use proc_macro2::{Ident, TokenStream};
use quote::quote;
use std::collections::{BTreeMap, BTreeSet};

/// Names of the rule's constants, and which of them the functions used.
pub struct Consts<'r> {
    ecs: &'r BTreeMap<String, String>,
    names: Names,
    /// Field name → constant, minted for every field of the rule in sorted order (so a name
    /// does not depend on which selection reads the field first).
    fields: BTreeMap<String, Ident>,
    /// The fields referred to, so only those are emitted.
    used: BTreeSet<String>,
    /// Wildcard part lists in order of first use, each once.
    globs: Vec<(Vec<GlobPart>, Ident)>,
}

impl<'r> Consts<'r> {
    /// The constants of `rule`. `reserved` are the names of the items the emitter writes
    /// itself in the same module.
    pub fn new(rule: &'r Rule, reserved: &[&str]) -> Self {
        let mut names = Names::default();
        for name in reserved {
            names.reserve(name);
        }
        let fields = rule
            .fields()
            .into_iter()
            .map(|f| (f.to_owned(), names.mint_const(f)))
            .collect();
        Consts {
            ecs: &rule.ecs_fields,
            names,
            fields,
            used: BTreeSet::new(),
            globs: Vec::new(),
        }
    }

    /// The constant holding the `crate::runtime::FieldPath` of `field`.
    pub fn field(&mut self, field: &str) -> Ident {
        let ident = match self.fields.get(field) {
            Some(ident) => ident.clone(),
            // `Rule::fields` lists every field a clause reads; this is only a fallback.
            None => {
                let ident = self.names.mint_const(field);
                self.fields.insert(field.to_owned(), ident.clone());
                ident
            }
        };
        self.used.insert(field.to_owned());
        ident
    }

    /// The constant holding the `&[crate::runtime::GlobPart]` of `parts`.
    pub fn glob(&mut self, parts: &[GlobPart]) -> Ident {
        if let Some((_, ident)) = self.globs.iter().find(|(p, _)| p == parts) {
            return ident.clone();
        }
        let ident = self
            .names
            .mint_const(&format!("glob {}", self.globs.len() + 1));
        self.globs.push((parts.to_vec(), ident.clone()));
        ident
    }

    /// The constants used, fields first (sorted by name), then part lists (in order of use).
    pub fn items(&self) -> Vec<TokenStream> {
        let fields = self.used.iter().map(|name| {
            let ident = &self.fields[name];
            let (doc, path) = match self.ecs.get(name) {
                Some(mapped) => (
                    format!("Field `{name}` (`{mapped}` in ECS documents)."),
                    quote!(crate::runtime::FieldPath::mapped(#name, #mapped)),
                ),
                None => (
                    format!("Field `{name}`."),
                    quote!(crate::runtime::FieldPath::new(#name)),
                ),
            };
            let doc = Doc::default().line(&doc).tokens();
            quote! {
                #doc
                const #ident: crate::runtime::FieldPath = #path;
            }
        });
        let globs = self.globs.iter().map(|(parts, ident)| {
            let doc = Doc::default()
                .line(&format!("Wildcard pattern `{}`.", pattern_text(parts)))
                .tokens();
            let parts = parts.iter().map(|p| match p {
                GlobPart::Lit(s) => quote!(crate::runtime::GlobPart::Lit(#s)),
                GlobPart::AnyChar => quote!(crate::runtime::GlobPart::AnyChar),
                GlobPart::AnyRun => quote!(crate::runtime::GlobPart::AnyRun),
            });
            quote! {
                #doc
                const #ident: &[crate::runtime::GlobPart] = &[#(#parts),*];
            }
        });
        fields.chain(globs).collect()
    }
}

/// The parts written back as a Sigma wildcard pattern, `*`, `?` and `\` in literals escaped.
fn pattern_text(parts: &[GlobPart]) -> String {
    let mut out = String::new();
    for p in parts {
        match p {
            GlobPart::Lit(s) => {
                for c in s.chars() {
                    if matches!(c, '*' | '?' | '\\') {
                        out.push('\\');
                    }
                    out.push(c);
                }
            }
            GlobPart::AnyChar => out.push('?'),
            GlobPart::AnyRun => out.push('*'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_text_escapes_wildcards_in_literals() {
        let parts = [
            GlobPart::Lit("a*b".into()),
            GlobPart::AnyRun,
            GlobPart::Lit("c\\".into()),
            GlobPart::AnyChar,
        ];
        assert_eq!(pattern_text(&parts), "a\\*b*c\\\\?");
    }
}
