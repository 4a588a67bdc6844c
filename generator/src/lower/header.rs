//! The header of a rule: its metadata keys (`title`, `id`, `status`, `level`, `tags`,
//! `logsource`, `related`, custom keys ...) and the typed readers for their values.

use super::json::{json_of, json_string};
use super::{value_loc, Lowerer};
use crate::ast::{Entry, Node, Value};
use crate::ir::{self, Level};
use crate::modifier::closest;

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

impl Lowerer<'_> {
    pub(super) fn meta(
        &mut self,
        root: &Node,
        entries: &[Entry],
        needs_logsource: bool,
    ) -> Option<ir::Meta> {
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

    pub(super) fn string(&mut self, node: &Node, path: &str) -> Option<String> {
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

    pub(super) fn strings(&mut self, node: &Node, path: &str) -> Vec<String> {
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
}

fn last(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

pub(super) fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}
