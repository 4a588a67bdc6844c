//! AST → IR. All validation happens here, and every problem of a file is reported, not just
//! the first.
//!
//! This file is the entry point (`lower_file`, the `Lowerer` and its diagnostic helpers);
//! the work is split by job: `header` (metadata keys), `detection` (selections), `key`
//! (field keys and modifiers), `values` (values into clauses), `resolve` (the condition),
//! `meta_docs` (filter and correlation documents) and `json` (custom keys as JSON text).

use crate::ast::{Document, Node};
use crate::diagnostic::Diagnostic;
use crate::ir;
use crate::locate::{Located, Outline};
use crate::value::Placeholders;

mod detection;
mod header;
mod json;
mod key;
mod meta_docs;
mod resolve;
mod values;

#[cfg(test)]
mod tests;

/// Lowers every document of one file. Returns the rules and every diagnostic (warnings
/// included); a document with errors yields no rule.
/// `file` is the path shown in diagnostics; `rel` is the path relative to the rules directory.
pub fn lower_file(
    file: &str,
    rel: &str,
    text: &str,
    outline: &Outline,
    docs: &[Document],
    placeholders: Option<&Placeholders>,
) -> (Vec<ir::Document>, Vec<Diagnostic>) {
    let mut out = Vec::new();
    let mut diags = Vec::new();
    for doc in docs {
        let mut cx = Lowerer {
            file,
            rel,
            text,
            outline,
            placeholders,
            section: "detection",
            diags: Vec::new(),
        };
        let lowered = cx.document(doc);
        let failed = cx.diags.iter().any(Diagnostic::is_error);
        diags.append(&mut cx.diags);
        if let (Some(d), false) = (lowered, failed) {
            out.push(d);
        }
    }
    (out, diags)
}

struct Lowerer<'a> {
    file: &'a str,
    rel: &'a str,
    text: &'a str,
    outline: &'a Outline,
    placeholders: Option<&'a Placeholders>,
    /// `detection` for rules, `filter` for filter documents: where selections live.
    section: &'static str,
    diags: Vec<Diagnostic>,
}

impl Lowerer<'_> {
    fn diag(&self, loc: &Located, path: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(self.file, message).with_path(path).at(
            self.text,
            loc.at.line,
            loc.at.col,
            loc.len,
        )
    }

    fn error(
        &mut self,
        loc: &Located,
        path: &str,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        let mut d = self.diag(loc, path, message);
        d.help = help;
        self.diags.push(d);
    }

    /// Points at a node's value (after `key: ` or `- `) when it is on the key's line.
    fn error_at_value(
        &mut self,
        node: &Node,
        path: &str,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        let loc = value_loc(node);
        self.error(&loc, path, message, help);
    }

    fn document(&mut self, doc: &Document) -> Option<ir::Document> {
        let Some(entries) = doc.root.as_map() else {
            self.error(
                &doc.root.loc,
                "",
                format!("a rule must be a YAML mapping, found {}", doc.root.value.kind()),
                Some("a rule file holds `title:`, `logsource:` and `detection:` at the top level, without a leading `-`".into()),
            );
            return None;
        };
        if let Some(node) = doc.root.get("action") {
            self.error(
                &node.loc,
                "action",
                "Sigma 1 collection actions (`action: global` ...) are not supported",
                Some("write each rule as a complete document".into()),
            );
            return None;
        }
        if let Some(node) = doc.root.get("correlation") {
            let meta = self.meta(&doc.root, entries, false);
            return self
                .correlation(node, meta?, doc.index)
                .map(ir::Document::Correlation);
        }
        if let Some(node) = doc.root.get("filter") {
            let meta = self.meta(&doc.root, entries, true);
            return self
                .filter(node, meta?, doc.index)
                .map(ir::Document::Filter);
        }
        let meta = self.meta(&doc.root, entries, true);
        let Some(detection) = doc.root.get("detection") else {
            self.error(
                &doc.root.loc,
                "",
                "missing `detection`",
                Some(
                    "a rule needs `detection:` with at least one selection and a `condition`"
                        .into(),
                ),
            );
            return None;
        };
        let (selections, condition, condition_text) = self.detection(detection)?;
        Some(ir::Document::Rule(ir::Rule {
            source: self.rel.to_owned(),
            doc: doc.index,
            meta: meta?,
            selections,
            condition,
            condition_text,
            ecs_fields: Default::default(),
            prefilter: Default::default(),
            gate: None,
        }))
    }
}

fn value_loc(node: &Node) -> Located {
    let mut loc = node.loc.clone();
    if let Some(v) = loc.value {
        loc.at = v;
        loc.len = 1;
    }
    loc
}
