//! Field-name mapping pipelines (a subset of pySigma's processing pipelines), applied at
//! generation time: a rule written against one event shape also compiles for another.
//!
//! Supported transformations: `field_name_mapping` (exact names), `field_name_prefix_mapping`
//! (prefixes; with our `replace_dots_in_rest` extension for de-dotted keys such as Elastic's
//! annotation keys) and `field_name_prefix` (prepend to any name). Each may carry
//! `rule_conditions` of type `logsource`. The first transformation that matches a field renames
//! it.

use crate::ast::{Node, Value};
use crate::diagnostic::Diagnostic;
use crate::ir::LogSource;
use crate::locate::Outline;
use std::collections::BTreeMap;

/// A parsed pipeline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pipeline {
    /// `name`.
    pub name: String,
    transformations: Vec<Transformation>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Transformation {
    kind: Kind,
    /// Logsource conditions (any may match); empty = every rule.
    conditions: Vec<LogSource>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Exact(BTreeMap<String, String>),
    Prefix {
        mapping: Vec<(String, String)>,
        dots: Option<String>,
    },
    AddPrefix(String),
}

impl Pipeline {
    /// Parses a pipeline file.
    pub fn parse(file: &str, text: &str) -> Result<Pipeline, Vec<Diagnostic>> {
        let outline = Outline::new(text);
        let docs = crate::yaml::parse(file, text, &outline)?;
        let root = docs
            .first()
            .map(|d| &d.root)
            .ok_or_else(|| vec![Diagnostic::error(file, "empty pipeline file")])?;
        let err = |node: &Node, msg: String| {
            Diagnostic::error(file, msg).at(text, node.loc.at.line, node.loc.at.col, node.loc.len)
        };
        let mut errors = Vec::new();
        let name = root
            .get("name")
            .and_then(Node::as_str)
            .unwrap_or("pipeline")
            .to_owned();
        let mut transformations = Vec::new();
        let Some(Value::Seq(items)) = root.get("transformations").map(|n| &n.value) else {
            return Err(vec![err(
                root,
                "a pipeline needs a `transformations` list".into(),
            )]);
        };
        for item in items {
            let ty = item.get("type").and_then(Node::as_str).unwrap_or("");
            let kind = match ty {
                "field_name_mapping" => {
                    string_map(item.get("mapping")).map(|m| Kind::Exact(m.into_iter().collect()))
                }
                "field_name_prefix_mapping" => {
                    string_map(item.get("mapping")).map(|mapping| Kind::Prefix {
                        mapping,
                        dots: item
                            .get("replace_dots_in_rest")
                            .and_then(Node::as_str)
                            .map(str::to_owned),
                    })
                }
                "field_name_prefix" => item
                    .get("prefix")
                    .and_then(Node::as_str)
                    .map(|p| Kind::AddPrefix(p.to_owned())),
                other => {
                    errors.push(err(
                        item,
                        format!("unsupported transformation type `{other}`"),
                    ));
                    continue;
                }
            };
            let Some(kind) = kind else {
                errors.push(err(
                    item,
                    format!("transformation `{ty}` is missing its mapping or prefix"),
                ));
                continue;
            };
            let mut conditions = Vec::new();
            if let Some(Value::Seq(conds)) = item.get("rule_conditions").map(|n| &n.value) {
                for c in conds {
                    if c.get("type").and_then(Node::as_str) != Some("logsource") {
                        errors.push(err(
                            c,
                            "only `logsource` rule conditions are supported".into(),
                        ));
                        continue;
                    }
                    let get = |k: &str| c.get(k).and_then(Node::as_str).map(str::to_owned);
                    conditions.push(LogSource {
                        product: get("product"),
                        category: get("category"),
                        service: get("service"),
                        definition: None,
                    });
                }
            }
            transformations.push(Transformation { kind, conditions });
        }
        if errors.is_empty() {
            Ok(Pipeline {
                name,
                transformations,
            })
        } else {
            Err(errors)
        }
    }

    /// The name `field` has for a rule of `logsource`, if the pipeline renames it.
    pub fn map(&self, field: &str, logsource: &LogSource) -> Option<String> {
        self.transformations
            .iter()
            .filter(|t| t.applies(logsource))
            .find_map(|t| t.kind.map(field))
    }
}

impl Transformation {
    fn applies(&self, ls: &LogSource) -> bool {
        self.conditions.is_empty()
            || self.conditions.iter().any(|c| {
                [
                    (&c.product, &ls.product),
                    (&c.category, &ls.category),
                    (&c.service, &ls.service),
                ]
                .iter()
                .all(|(want, have)| want.is_none() || want == have)
            })
    }
}

impl Kind {
    fn map(&self, field: &str) -> Option<String> {
        match self {
            Kind::Exact(m) => m.get(field).cloned(),
            Kind::Prefix { mapping, dots } => mapping.iter().find_map(|(from, to)| {
                let rest = field.strip_prefix(from.as_str())?;
                Some(match dots {
                    Some(d) => format!("{to}{}", rest.replace('.', d)),
                    None => format!("{to}{rest}"),
                })
            }),
            Kind::AddPrefix(p) => Some(format!("{p}{field}")),
        }
    }
}

fn string_map(node: Option<&Node>) -> Option<Vec<(String, String)>> {
    node?
        .as_map()?
        .iter()
        .map(|e| Some((e.key.clone(), e.value.as_str()?.to_owned())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k8s() -> LogSource {
        LogSource {
            product: Some("kubernetes".into()),
            category: Some("application".into()),
            service: Some("audit".into()),
            definition: None,
        }
    }

    #[test]
    fn the_shipped_ecs_pipeline_maps_the_flagship_fields() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../pipelines/kubernetes-ecs.yml"
        );
        let p = Pipeline::parse("ecs", &std::fs::read_to_string(path).unwrap()).unwrap();
        let ls = k8s();
        assert_eq!(p.map("user.username", &ls).as_deref(), Some("user.name"));
        assert_eq!(p.map("verb", &ls).as_deref(), Some("kubernetes.audit.verb"));
        assert_eq!(
            p.map("impersonatedUser.groups", &ls).as_deref(),
            Some("kubernetes.audit.impersonatedUser.groups")
        );
        assert_eq!(
            p.map("annotations.authorization.k8s.io/decision", &ls)
                .as_deref(),
            Some("kubernetes.audit.annotations.authorization_k8s_io/decision")
        );
        let windows = LogSource {
            product: Some("windows".into()),
            ..Default::default()
        };
        assert_eq!(p.map("verb", &windows), None);
    }

    #[test]
    fn unknown_transformations_are_errors() {
        let e = Pipeline::parse("p.yml", "transformations:\n  - type: drop_detection_item\n")
            .unwrap_err();
        assert!(e[0].message.contains("drop_detection_item"));
    }
}
