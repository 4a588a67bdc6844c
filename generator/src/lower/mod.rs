//! AST → IR. All validation happens here, and every problem of a file is reported, not just
//! the first.

use crate::ast::{Document, Entry, Node, Value};
use crate::condition::{self, OfTarget, Quantifier};
use crate::diagnostic::Diagnostic;
use crate::ir::{self, Clause, Expr, Level, Pattern, Selection, Test};
use crate::locate::{Located, Outline};
use crate::modifier::{closest, Modifier};
use crate::value::{self, Placeholders};
use std::collections::BTreeSet;

mod meta_docs;

/// Keys of a detection rule that Sigma defines; every other top-level key is kept as custom.
const RULE_KEYS: [&str; 21] = [
    "title",
    "id",
    "name",
    "related",
    "taxonomy",
    "status",
    "description",
    "license",
    "author",
    "references",
    "date",
    "modified",
    "logsource",
    "detection",
    "fields",
    "falsepositives",
    "level",
    "tags",
    "scope",
    "correlation",
    "filter",
];

const STATUSES: [&str; 5] = [
    "stable",
    "test",
    "experimental",
    "deprecated",
    "unsupported",
];
const RELATION_TYPES: [&str; 6] = [
    "derived",
    "obsolete",
    "obsoletes",
    "merged",
    "renamed",
    "similar",
];

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

/// A parsed `field|mod|mod` key: the field, and each modifier with its spelling and place.
struct Key<'k> {
    field: Option<&'k str>,
    modifiers: Vec<(Modifier, &'k str, Located)>,
}

impl Key<'_> {
    fn has(&self, m: Modifier) -> bool {
        self.modifiers.iter().any(|(x, _, _)| *x == m)
    }
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
        }))
    }

    // ---- metadata -----------------------------------------------------------------------

    fn meta(&mut self, root: &Node, entries: &[Entry], needs_logsource: bool) -> Option<ir::Meta> {
        let mut meta = ir::Meta::default();
        let mut ok = true;
        match root.get("title") {
            Some(node) => match self.string(node, "title") {
                Some(t) if !t.trim().is_empty() => meta.title = t,
                Some(_) => {
                    self.error_at_value(node, "title", "`title` is empty", None);
                    ok = false;
                }
                None => ok = false,
            },
            None => {
                self.error(
                    &root.loc,
                    "",
                    "missing `title`",
                    Some("every rule needs a short `title:`".into()),
                );
                ok = false;
            }
        }
        for entry in entries {
            let key = entry.key.as_str();
            let node = &entry.value;
            match key {
                "title" | "detection" | "filter" | "correlation" => {}
                "id" => {
                    meta.id = self.string(node, key);
                    if let Some(id) = &meta.id {
                        if !is_uuid(id) {
                            self.error_at_value(node, key, format!("`id` is not a UUID: `{id}`"), Some("Sigma rule ids are UUIDs (v4), e.g. `5f6c3a0e-8d3b-4c8a-9b1e-2f0d7c6a4b21`".into()));
                        }
                    }
                }
                "name" => meta.name = self.string(node, key),
                "status" => {
                    meta.status = self.string(node, key);
                    if let Some(s) = &meta.status {
                        if !STATUSES.contains(&s.as_str()) {
                            let help = closest(s, STATUSES).map_or_else(
                                || format!("use one of: {}", STATUSES.join(", ")),
                                |c| format!("did you mean `{c}`?"),
                            );
                            self.error_at_value(node, key, format!("bad status `{s}`"), Some(help));
                        }
                    }
                }
                "level" => {
                    if let Some(s) = self.string(node, key) {
                        match Level::ALL.iter().find(|(n, _)| *n == s) {
                            Some((_, l)) => meta.level = Some(*l),
                            None => {
                                let names = Level::ALL.map(|(n, _)| n);
                                let help = closest(&s, names).map_or_else(
                                    || format!("use one of: {}", names.join(", ")),
                                    |c| format!("did you mean `{c}`?"),
                                );
                                self.error_at_value(
                                    node,
                                    key,
                                    format!("bad level `{s}`"),
                                    Some(help),
                                );
                            }
                        }
                    }
                }
                "description" => meta.description = self.string(node, key),
                "author" => meta.author = self.string(node, key),
                "date" => meta.date = self.date(node, key),
                "modified" => meta.modified = self.date(node, key),
                "references" => meta.references = self.strings(node, key),
                "tags" => {
                    meta.tags = self.strings(node, key);
                    self.check_tags(node, &meta.tags);
                }
                "falsepositives" => meta.falsepositives = self.string_or_strings(node, key),
                "fields" => meta.fields = self.strings(node, key),
                "logsource" => meta.logsource = self.logsource(node),
                "related" => meta.related = self.related(node),
                "taxonomy" | "license" => {
                    if let Some(v) = self.string(node, key) {
                        meta.custom.insert(key.to_owned(), json_string(&v));
                    }
                }
                "scope" => {
                    let v = self.strings(node, key);
                    meta.custom.insert(
                        key.to_owned(),
                        json_of(&Value::Seq(
                            v.into_iter()
                                .map(|s| Node {
                                    value: Value::Str(s),
                                    loc: node.loc.clone(),
                                })
                                .collect(),
                        )),
                    );
                }
                _ => {
                    debug_assert!(!RULE_KEYS.contains(&key));
                    meta.custom.insert(key.to_owned(), json_of(&node.value));
                }
            }
        }
        if needs_logsource && root.get("logsource").is_none() {
            self.error(&root.loc, "", "missing `logsource`", Some("say where the rule applies, e.g. `logsource: {product: kubernetes, service: audit}`".into()));
            ok = false;
        }
        ok.then_some(meta)
    }

    fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            other => {
                self.error_at_value(
                    node,
                    path,
                    format!("`{}` must be a string, found {}", last(path), other.kind()),
                    Some("quote the value".into()),
                );
                None
            }
        }
    }

    fn strings(&mut self, node: &Node, path: &str) -> Vec<String> {
        match &node.value {
            Value::Seq(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| match &item.value {
                    Value::Str(s) => Some(s.clone()),
                    other => {
                        self.error_at_value(
                            item,
                            &format!("{path}[{i}]"),
                            format!(
                                "`{}` items must be strings, found {}",
                                last(path),
                                other.kind()
                            ),
                            Some("quote the value".into()),
                        );
                        None
                    }
                })
                .collect(),
            other => {
                self.error_at_value(
                    node,
                    path,
                    format!(
                        "`{}` must be a list of strings, found {}",
                        last(path),
                        other.kind()
                    ),
                    Some(format!(
                        "write `{}:` followed by `- item` lines",
                        last(path)
                    )),
                );
                Vec::new()
            }
        }
    }

    fn string_or_strings(&mut self, node: &Node, path: &str) -> Vec<String> {
        match &node.value {
            Value::Str(s) => vec![s.clone()],
            _ => self.strings(node, path),
        }
    }

    fn date(&mut self, node: &Node, path: &str) -> Option<String> {
        let s = self.string(node, path)?;
        let b = s.as_bytes();
        let ok = b.len() == 10
            && (b[4] == b'-' && b[7] == b'-' || b[4] == b'/' && b[7] == b'/')
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if !ok {
            self.error_at_value(
                node,
                path,
                format!("bad date `{s}`"),
                Some("write dates as `YYYY-MM-DD`, quoted".into()),
            );
        }
        Some(s)
    }

    fn check_tags(&mut self, node: &Node, tags: &[String]) {
        let Value::Seq(items) = &node.value else {
            return;
        };
        for (tag, item) in tags.iter().zip(items) {
            let valid = tag.split_once('.').is_some_and(|(ns, rest)| {
                !ns.is_empty()
                    && !rest.is_empty()
                    && ns.bytes().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_' || c == b'-'
                    })
                    && rest.bytes().all(|c| {
                        c.is_ascii_lowercase()
                            || c.is_ascii_digit()
                            || matches!(c, b'_' | b'-' | b'.')
                    })
            });
            if !valid {
                let d = self
                    .diag(
                        &value_loc(item),
                        "tags",
                        format!("tag `{tag}` is not `namespace.value` in lowercase"),
                    )
                    .with_help(
                        "Sigma tags look like `attack.privilege-escalation` or `attack.t1134`",
                    )
                    .warning();
                self.diags.push(d);
            }
        }
    }

    fn logsource(&mut self, node: &Node) -> ir::LogSource {
        let mut ls = ir::LogSource::default();
        let Some(entries) = node.as_map() else {
            self.error_at_value(node, "logsource", format!("`logsource` must be a mapping, found {}", node.value.kind()), Some("e.g. `logsource:` then `  product: kubernetes` and `  service: audit` on their own lines".into()));
            return ls;
        };
        for e in entries {
            let path = format!("logsource.{}", e.key);
            let v = self.string(&e.value, &path);
            match e.key.as_str() {
                "product" => ls.product = v,
                "category" => ls.category = v,
                "service" => ls.service = v,
                "definition" => ls.definition = v,
                _ => {}
            }
        }
        ls
    }

    fn related(&mut self, node: &Node) -> Vec<(String, String)> {
        let Value::Seq(items) = &node.value else {
            self.error_at_value(
                node,
                "related",
                format!(
                    "`related` must be a list of `{{id, type}}` mappings, found {}",
                    node.value.kind()
                ),
                None,
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("related[{i}]");
            let (Some(id), Some(ty)) = (item.get("id"), item.get("type")) else {
                self.error(
                    &item.loc,
                    &path,
                    "a `related` entry needs `id` and `type`",
                    Some("e.g. `- id: <uuid>` and `  type: derived`".into()),
                );
                continue;
            };
            let (Some(id), Some(ty)) = (
                self.string(id, &format!("{path}.id")),
                self.string(ty, &format!("{path}.type")),
            ) else {
                continue;
            };
            if !RELATION_TYPES.contains(&ty.as_str()) {
                self.error_at_value(
                    item.get("type").unwrap_or(item),
                    &format!("{path}.type"),
                    format!("bad relation type `{ty}`"),
                    Some(format!("use one of: {}", RELATION_TYPES.join(", "))),
                );
            }
            out.push((ty, id));
        }
        out
    }

    // ---- detection ----------------------------------------------------------------------

    fn detection(&mut self, node: &Node) -> Option<(Vec<Selection>, Expr, String)> {
        let Some(entries) = node.as_map() else {
            self.error_at_value(
                node,
                self.section,
                format!(
                    "`{}` must be a mapping, found {}",
                    self.section,
                    node.value.kind()
                ),
                Some(format!(
                    "put each selection and `condition` under `{}:`",
                    self.section
                )),
            );
            return None;
        };
        let mut selections = Vec::new();
        let mut condition_node = None;
        for e in entries {
            match e.key.as_str() {
                "condition" => condition_node = Some(&e.value),
                "rules" if self.section == "filter" => {}
                "timeframe" => self.error(
                    &e.value.loc,
                    &format!("{}.timeframe", self.section),
                    "`timeframe` is Sigma 1 syntax",
                    Some("time windows belong in a correlation rule".into()),
                ),
                name => {
                    // pySigma accepts any name; one a condition cannot spell (`a.b`,
                    // `x|y`) is still reachable through `1 of a*`, and if nothing reaches
                    // it the unused-selection warning says so.
                    if let Some(sel) = self.selection(name, &e.value) {
                        selections.push(sel);
                    }
                }
            }
        }
        let Some(cond) = condition_node else {
            self.error(
                &node.loc,
                self.section,
                "missing `condition`",
                Some(format!(
                    "add e.g. `condition: selection` under `{}:`",
                    self.section
                )),
            );
            return None;
        };
        if !entries.iter().any(|e| {
            !matches!(e.key.as_str(), "condition" | "timeframe" | "rules")
                || (e.key == "rules" && self.section == "detection")
        }) {
            self.error(
                &node.loc,
                self.section,
                format!("`{}` has no selection", self.section),
                Some("add a selection, e.g. `selection:` with `field: value` lines".into()),
            );
            return None;
        }
        let names: Vec<&str> = entries
            .iter()
            .map(|e| e.key.as_str())
            .filter(|k| {
                *k != "condition"
                    && *k != "timeframe"
                    && !(*k == "rules" && self.section == "filter")
            })
            .collect();
        let (expr, text) = self.condition(cond, &names)?;
        if selections.len() != names.len() {
            return None; // a selection failed; its errors are reported
        }
        let mut used = vec![false; selections.len()];
        mark_used(&expr, &mut used);
        for (sel, used) in selections.iter().zip(&used) {
            if !used {
                let loc = entries
                    .iter()
                    .find(|e| e.key == sel.name)
                    .map(|e| e.value.loc.clone());
                if let Some(loc) = loc {
                    let d = self
                        .diag(
                            &loc,
                            self.section,
                            format!("selection `{}` is not used in the condition", sel.name),
                        )
                        .with_help("use it in `condition` or delete it")
                        .warning();
                    self.diags.push(d);
                }
            }
        }
        Some((selections, expr, text))
    }

    fn condition(&mut self, node: &Node, names: &[&str]) -> Option<(Expr, String)> {
        let texts: Vec<(&str, &Node)> = match &node.value {
            Value::Str(s) => vec![(s.as_str(), node)],
            Value::Seq(items) if !items.is_empty() => {
                let mut out = Vec::new();
                for item in items {
                    match &item.value {
                        Value::Str(s) => out.push((s.as_str(), item)),
                        other => {
                            self.error_at_value(
                                item,
                                &format!("{}.condition", self.section),
                                format!("a condition must be a string, found {}", other.kind()),
                                None,
                            );
                            return None;
                        }
                    }
                }
                out
            }
            other => {
                self.error_at_value(
                    node,
                    &format!("{}.condition", self.section),
                    format!(
                        "`condition` must be a string or a list of strings, found {}",
                        other.kind()
                    ),
                    Some("e.g. `condition: selection and not filter`".into()),
                );
                return None;
            }
        };
        let mut exprs = Vec::new();
        for (text, at) in &texts {
            match condition::parse(text) {
                Ok(parsed) => {
                    if let Some(e) = self.resolve(&parsed, names, text, at) {
                        exprs.push(e);
                    }
                }
                Err(e) => {
                    let loc = self.condition_loc(at, text, e.span.start, e.span.end);
                    self.error(
                        &loc,
                        &format!("{}.condition", self.section),
                        format!("bad condition: {}", e.message),
                        e.help,
                    );
                }
            }
        }
        if exprs.len() != texts.len() {
            return None;
        }
        let expr = if exprs.len() == 1 {
            exprs.pop()?
        } else {
            Expr::Or(exprs)
        };
        let text = texts
            .iter()
            .map(|(t, _)| t.trim())
            .collect::<Vec<_>>()
            .join(" | ");
        Some((expr, text))
    }

    /// Where a byte range of a condition string is in the file: exact when the condition is
    /// written on the key's line as it reads (plain or simply quoted), else its value start.
    fn condition_loc(&self, node: &Node, text: &str, start: usize, end: usize) -> Located {
        let mut loc = value_loc(node);
        let line = self
            .text
            .lines()
            .nth(loc.at.line.saturating_sub(1))
            .unwrap_or("");
        let rest: String = line.chars().skip(loc.at.col.saturating_sub(1)).collect();
        let quoted = rest.starts_with('\'') || rest.starts_with('"');
        let body = if quoted { &rest[1..] } else { rest.as_str() };
        if body.starts_with(text) {
            let pre = text[..start.min(text.len())].chars().count();
            loc.at.col += pre + usize::from(quoted);
            loc.len = text[start.min(text.len())..end.min(text.len())]
                .chars()
                .count()
                .max(1);
        }
        loc
    }

    fn resolve(
        &mut self,
        e: &condition::Expr,
        names: &[&str],
        text: &str,
        at: &Node,
    ) -> Option<Expr> {
        match e {
            condition::Expr::Ident { name, span } => match names.iter().position(|n| n == name) {
                Some(i) => Some(Expr::Sel(i)),
                None => {
                    let loc = self.condition_loc(at, text, span.start, span.end);
                    let help = match closest(name, names.iter().copied()) {
                        Some(c) => format!("did you mean `{c}`?"),
                        None if names.iter().any(|n| n.eq_ignore_ascii_case(name)) => {
                            "selection names are case-sensitive".into()
                        }
                        None => format!("defined selections: {}", names.join(", ")),
                    };
                    self.error(
                        &loc,
                        &format!("{}.condition", self.section),
                        format!("undefined selection `{name}`"),
                        Some(help),
                    );
                    None
                }
            },
            condition::Expr::Of {
                quantifier,
                target,
                span,
            } => {
                let matched: Vec<usize> = match target {
                    OfTarget::Them => names
                        .iter()
                        .enumerate()
                        .filter(|(_, n)| !n.starts_with('_'))
                        .map(|(i, _)| i)
                        .collect(),
                    OfTarget::Pattern(p) => names
                        .iter()
                        .enumerate()
                        .filter(|(_, n)| {
                            (!n.starts_with('_') || p.starts_with('_')) && name_glob(p, n)
                        })
                        .map(|(i, _)| i)
                        .collect(),
                };
                if matched.is_empty() {
                    let loc = self.condition_loc(at, text, span.start, span.end);
                    let what = match target {
                        OfTarget::Them => {
                            "`them` matches no selection (names starting with `_` are left out)"
                                .to_owned()
                        }
                        OfTarget::Pattern(p) => format!("`{p}` matches no selection"),
                    };
                    self.error(
                        &loc,
                        &format!("{}.condition", self.section),
                        what,
                        Some(format!("defined selections: {}", names.join(", "))),
                    );
                    return None;
                }
                let mut items: Vec<Expr> = matched.into_iter().map(Expr::Sel).collect();
                Some(match (items.len(), quantifier) {
                    (1, _) => items.pop()?,
                    (_, Quantifier::One) => Expr::Or(items),
                    (_, Quantifier::All) => Expr::And(items),
                })
            }
            condition::Expr::Not(inner) => {
                Some(Expr::Not(Box::new(self.resolve(inner, names, text, at)?)))
            }
            condition::Expr::And(items) | condition::Expr::Or(items) => {
                let resolved: Vec<Option<Expr>> = items
                    .iter()
                    .map(|i| self.resolve(i, names, text, at))
                    .collect();
                let resolved: Vec<Expr> = resolved.into_iter().collect::<Option<_>>()?;
                Some(if matches!(e, condition::Expr::And(_)) {
                    Expr::And(resolved)
                } else {
                    Expr::Or(resolved)
                })
            }
        }
    }

    fn selection(&mut self, name: &str, node: &Node) -> Option<Selection> {
        let path = format!("{}.{name}", self.section);
        let errors_before = self.error_count();
        let mut alternatives = Vec::new();
        match &node.value {
            Value::Map(entries) => {
                if entries.is_empty() {
                    self.error(
                        &node.loc,
                        &path,
                        format!("selection `{name}` is empty"),
                        Some("add `field: value` lines".into()),
                    );
                }
                alternatives.push(self.conjunction(entries, &path));
            }
            Value::Seq(items) if !items.is_empty() => {
                let mut keywords = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match &item.value {
                        Value::Map(entries) => {
                            if entries.is_empty() {
                                self.error(
                                    &item.loc,
                                    &format!("{path}[{i}]"),
                                    "empty mapping in a selection list",
                                    None,
                                );
                            }
                            alternatives.push(self.conjunction(entries, &format!("{path}[{i}]")));
                        }
                        Value::Seq(_) => self.error(
                            &item.loc,
                            &format!("{path}[{i}]"),
                            "a selection list cannot hold a list",
                            Some("flatten the list".into()),
                        ),
                        _ => keywords.push(item),
                    }
                }
                if !keywords.is_empty() {
                    if let Some(clause) = self.keywords(&keywords, &path) {
                        alternatives.push(vec![clause]);
                    }
                }
            }
            Value::Seq(_) | Value::Null => {
                self.error(
                    &node.loc,
                    &path,
                    format!("selection `{name}` is empty"),
                    Some("add `field: value` lines".into()),
                );
            }
            _ => {
                if let Some(clause) = self.keywords(&[node], &path) {
                    alternatives.push(vec![clause]);
                }
            }
        }
        if self.error_count() > errors_before {
            return None;
        }
        let yaml = match node.loc.exact {
            true => self.outline.snippet(node.loc.lines.0, node.loc.lines.1),
            false => format!("{name}: (written in flow style)"),
        };
        Some(Selection {
            name: name.to_owned(),
            yaml,
            alternatives,
        })
    }

    fn error_count(&self) -> usize {
        self.diags.iter().filter(|d| d.is_error()).count()
    }

    fn conjunction(&mut self, entries: &[Entry], path: &str) -> Vec<Clause> {
        let mut clauses = Vec::new();
        for e in entries {
            let path = format!("{path}.{}", e.key);
            let Some(key) = self.key(&e.key, &e.value.loc, &path) else {
                continue;
            };
            if let Some(clause) = self.clause(&key, &e.value, &path) {
                clauses.push(clause);
            }
        }
        clauses
    }

    fn key<'k>(&mut self, raw: &'k str, loc: &Located, path: &str) -> Option<Key<'k>> {
        let mut parts = raw.split('|');
        let field = parts.next().filter(|f| !f.is_empty());
        let mut modifiers = Vec::new();
        let mut ok = true;
        let quoted = self
            .char_at(loc.at.line, loc.at.col)
            .is_some_and(|c| c == '\'' || c == '"');
        let key_col = loc.at.col + usize::from(quoted);
        let mut offset = raw.split('|').next().map_or(0, |f| f.chars().count()) + 1;
        for name in parts {
            let here = Located {
                at: crate::locate::Pos {
                    line: loc.at.line,
                    col: key_col + offset,
                },
                len: name.chars().count().max(1),
                ..loc.clone()
            };
            offset += name.chars().count() + 1;
            match Modifier::parse(name) {
                Some(m) => {
                    if modifiers.iter().any(|(x, _, _)| *x == m) && m != Modifier::Exists {
                        let d = self
                            .diag(&here, path, format!("modifier `{name}` is given twice"))
                            .with_help("the second one changes nothing; remove it")
                            .warning();
                        self.diags.push(d);
                    }
                    modifiers.push((m, name, here));
                }
                None if name.is_empty() => {
                    self.error(
                        &here,
                        path,
                        format!("empty modifier in `{raw}`"),
                        Some("remove the extra `|`".into()),
                    );
                    ok = false;
                }
                None => {
                    let help = match Modifier::suggest(name) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "modifiers are lowercase words such as `contains`, `startswith`, `endswith`, `all`, `cased`, `re`, `exists`".into(),
                    };
                    self.error(
                        &here,
                        path,
                        format!("unknown modifier `{name}`"),
                        Some(help),
                    );
                    ok = false;
                }
            }
        }
        let shapes: Vec<&str> = modifiers
            .iter()
            .filter(|(m, _, _)| {
                matches!(
                    m,
                    Modifier::Contains | Modifier::StartsWith | Modifier::EndsWith
                )
            })
            .map(|(_, n, _)| *n)
            .collect();
        let distinct: BTreeSet<&&str> = shapes.iter().collect();
        if distinct.len() > 1 {
            let d = self
                .diag(
                    loc,
                    path,
                    format!(
                        "`{}` together match like `contains`",
                        shapes.join("` and `")
                    ),
                )
                .with_help("keep just the one you mean, or use a wildcard value such as `abc*xyz`")
                .warning();
            self.diags.push(d);
        }
        if let Some(i) = modifiers
            .iter()
            .position(|(m, _, _)| *m == Modifier::Exists)
        {
            let (_, _, at) = &modifiers[i];
            let at = at.clone();
            if field.is_none() {
                self.error(
                    loc,
                    path,
                    "`exists` needs a field name",
                    Some("write `field|exists: true`".into()),
                );
                ok = false;
            } else if i > 0
                || modifiers
                    .iter()
                    .any(|(m, _, _)| !matches!(m, Modifier::Exists | Modifier::All | Modifier::Neq))
            {
                self.error(
                    &at,
                    path,
                    "`exists` cannot be combined with other value modifiers",
                    Some("write `field|exists: true` alone".into()),
                );
                ok = false;
            }
        }
        ok.then_some(Key { field, modifiers })
    }

    fn char_at(&self, line: usize, col: usize) -> Option<char> {
        self.text
            .lines()
            .nth(line.checked_sub(1)?)?
            .chars()
            .nth(col.checked_sub(1)?)
    }

    fn clause(&mut self, key: &Key<'_>, node: &Node, path: &str) -> Option<Clause> {
        let field = key.field.map(str::to_owned);
        let negate = key.has(Modifier::Neq);
        if key.has(Modifier::Exists) {
            return match node.value {
                Value::Bool(b) => Some(Clause {
                    field,
                    test: Test::Exists(b != negate),
                }),
                _ => {
                    self.error_at_value(
                        node,
                        path,
                        format!(
                            "`exists` takes `true` or `false`, found {}",
                            node.value.kind()
                        ),
                        Some("write `field|exists: true` (unquoted)".into()),
                    );
                    None
                }
            };
        }
        let null = Node {
            value: Value::Null,
            loc: node.loc.clone(),
        };
        let items: Vec<&Node> = match &node.value {
            // pySigma reads an empty list as `null`.
            Value::Seq(items) if items.is_empty() && field.is_some() => vec![&null],
            Value::Seq(items) if items.is_empty() => {
                self.error_at_value(
                    node,
                    path,
                    "empty keyword list",
                    Some("give at least one value".into()),
                );
                return None;
            }
            Value::Seq(items) => items.iter().collect(),
            _ => vec![node],
        };
        let all = key.has(Modifier::All);
        if all && items.len() == 1 {
            let d = self
                .diag(&node.loc, path, "`all` with a single value does nothing")
                .with_help("remove `|all`, or give several values")
                .warning();
            self.diags.push(d);
        }
        let mods: Vec<(Modifier, &str)> = key.modifiers.iter().map(|(m, n, _)| (*m, *n)).collect();
        let mut groups: Vec<Vec<Pattern>> = Vec::new();
        let mut failed = false;
        for item in items {
            self.yaml11_check(item, path);
            match value::apply(&item.value, &mods, field.is_none(), self.placeholders) {
                Ok(patterns) if all || groups.is_empty() => groups.push(patterns),
                Ok(patterns) => groups[0].extend(patterns),
                Err(problem) => {
                    failed = true;
                    let loc = match problem.modifier.and_then(|i| key.modifiers.get(i)) {
                        Some((_, _, at))
                            if matches!(
                                item.value,
                                Value::Str(_) | Value::Number(_) | Value::Bool(_) | Value::Null
                            ) && problem.message.starts_with('`') =>
                        {
                            at.clone()
                        }
                        _ => value_loc(item),
                    };
                    self.error(&loc, path, problem.message, problem.help);
                }
            }
        }
        if failed || groups.iter().any(Vec::is_empty) || groups.is_empty() {
            return None;
        }
        Some(Clause {
            field,
            test: Test::Match { groups, negate },
        })
    }

    /// Warns about an unquoted scalar that YAML 1.1 (PyYAML, so pySigma) reads differently
    /// from YAML 1.2 (serde_yaml, so us), e.g. `yes`, `010`, `1_000`, `1:20`, dates, `1e3`.
    fn yaml11_check(&mut self, node: &Node, path: &str) {
        let Some(at) = node.loc.value else { return };
        let Some(line) = self.text.lines().nth(at.line.saturating_sub(1)) else {
            return;
        };
        let raw: String = line.chars().skip(at.col.saturating_sub(1)).collect();
        let raw = match raw.find(" #") {
            Some(i) => &raw[..i],
            None => raw.as_str(),
        };
        let raw = raw.trim();
        if raw.starts_with(['\'', '"', '[', '{', '|', '>', '&', '*', '!']) || raw.is_empty() {
            return;
        }
        let reading = yaml11_reading(raw);
        if let Some(reading) = reading {
            let d = self
                .diag(&value_loc(node), path, format!("unquoted `{raw}` is {reading} in YAML 1.1 (pySigma) but {} here (YAML 1.2)", node.value.kind()))
                .with_help(format!("quote it (`'{raw}'`) so that every Sigma tool reads it the same way"))
                .warning();
            self.diags.push(d);
        }
    }

    /// A keyword list (`- value` items of a selection): each item is searched in every value.
    fn keywords(&mut self, items: &[&Node], path: &str) -> Option<Clause> {
        let mut patterns = Vec::new();
        let mut failed = false;
        for item in items {
            self.yaml11_check(item, path);
            match value::apply(&item.value, &[], true, self.placeholders) {
                Ok(p) => patterns.extend(p),
                Err(problem) => {
                    failed = true;
                    self.error_at_value(item, path, problem.message, problem.help);
                }
            }
        }
        (!failed && !patterns.is_empty()).then(|| Clause {
            field: None,
            test: Test::Match {
                groups: vec![patterns],
                negate: false,
            },
        })
    }
}

/// What YAML 1.1 makes of a plain scalar when YAML 1.2 reads it differently.
fn yaml11_reading(raw: &str) -> Option<&'static str> {
    const BOOLS: [&str; 16] = [
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
        "OFF",
    ];
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let unsigned = raw.strip_prefix(['+', '-']).unwrap_or(raw);
    if BOOLS.contains(&raw) {
        Some("a boolean")
    } else if unsigned.len() > 1
        && unsigned.starts_with('0')
        && unsigned.bytes().all(|b| (b'0'..=b'7').contains(&b))
    {
        Some("an octal number")
    } else if unsigned.starts_with("0o") {
        Some("a string")
    } else if unsigned.contains('_')
        && unsigned
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'_' || b == b'.')
        && unsigned.bytes().any(|b| b.is_ascii_digit())
    {
        Some("a number")
    } else if unsigned.contains(':')
        && unsigned.split(':').all(digits)
        && unsigned.split(':').skip(1).all(|p| p.len() <= 2)
    {
        Some("a base-60 number")
    } else if raw.len() >= 10
        && raw.as_bytes()[4] == b'-'
        && digits(&raw[..4])
        && raw[5..]
            .chars()
            .take(5)
            .all(|c| c.is_ascii_digit() || c == '-')
    {
        Some("a date")
    } else if !unsigned.contains('.')
        && unsigned.contains(['e', 'E'])
        && unsigned.parse::<f64>().is_ok()
        && !unsigned.starts_with(['e', 'E'])
    {
        Some("a string")
    } else {
        None
    }
}

fn mark_used(e: &Expr, used: &mut [bool]) {
    match e {
        Expr::Sel(i) => used[*i] = true,
        Expr::Not(inner) => mark_used(inner, used),
        Expr::And(items) | Expr::Or(items) => items.iter().for_each(|i| mark_used(i, used)),
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

fn last(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// `x of PATTERN`: `*` matches any run of chars, the rest literally, whole name.
fn name_glob(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first)
        || !name[first.len()..].ends_with(last)
        || name.len() < first.len() + last.len()
    {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A YAML value as JSON text (custom keys are kept this way in `RuleInfo`).
fn json_of(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => {
            if n.value.is_finite() {
                n.text.clone()
            } else {
                "null".into()
            }
        }
        Value::Str(s) => json_string(s),
        Value::Seq(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| json_of(&i.value))
                .collect::<Vec<_>>()
                .join(",")
        ),
        Value::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|e| format!("{}:{}", json_string(&e.key), json_of(&e.value.value)))
                .collect::<Vec<_>>()
                .join(",")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn of_patterns_match_whole_names() {
        assert!(name_glob("filter_*", "filter_cloud"));
        assert!(name_glob("filter_*", "filter_"));
        assert!(!name_glob("filter_*", "xfilter_a"));
        assert!(name_glob("*_a*b", "x_aab"));
        assert!(!name_glob("sel", "sel2"));
        assert!(name_glob("a*a", "aa"));
        assert!(!name_glob("a*a", "a"));
    }

    #[test]
    fn yaml11_differences() {
        for (raw, want) in [
            ("yes", Some("a boolean")),
            ("Off", Some("a boolean")),
            ("010", Some("an octal number")),
            ("0o17", Some("a string")),
            ("1_000", Some("a number")),
            ("1:20", Some("a base-60 number")),
            ("2024-01-01", Some("a date")),
            ("1e3", Some("a string")),
            ("true", None),
            ("10", None),
            ("0", None),
            ("1.5", None),
            ("get", None),
            ("a:b", None),
            ("0x17", None),
        ] {
            assert_eq!(yaml11_reading(raw), want, "{raw}");
        }
    }

    #[test]
    fn uuids() {
        assert!(is_uuid("abb7bc31-b865-4318-80a9-b9ee4edd57b6"));
        assert!(!is_uuid("abb7bc31b8654318-80a9-b9ee4edd57b6xx"));
        assert!(!is_uuid("not-a-uuid"));
    }

    #[test]
    fn json_text_is_escaped() {
        assert_eq!(json_string("a\"b\\c\n\u{1}"), r#""a\"b\\c\n\u0001""#);
    }
}
