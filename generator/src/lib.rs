//! sigma-gen: compiles Sigma detection rules (YAML) into specialised Rust matcher code.
//!
//! Stages, each its own module with a typed boundary:
//! [`source`] (find files) → [`yaml`] (YAML → [`ast`], the only serde_yaml user) →
//! [`lower`] (AST → [`ir`], all validation) → [`optimize`] (IR → IR) →
//! [`emit`] (IR → tokens, infallible) → [`format`] (tokens → text) → [`output`].
//!
//! Same input, same bytes: inputs are sorted, the IR is ordered, and nothing in the output
//! depends on hash order, time or absolute paths.

#![deny(missing_docs)]

pub mod ast;
pub mod attack;
pub mod condition;
pub mod cost;
pub mod diagnostic;
pub mod emit;
pub mod format;
pub mod gate;
pub mod ir;
pub mod link;
pub mod locate;
pub mod lower;
pub mod modifier;
pub mod optimize;
pub mod output;
pub mod pipeline;
pub mod prefilter;
pub mod risk;
pub mod source;
pub mod value;
pub mod wildcard;
pub mod yaml;

pub use diagnostic::{Diagnostic, Diagnostics, Severity};
pub use output::{Output, Stale};
pub use source::SourceFile;

use std::path::Path;

/// A successful generation: the files, and the warnings met on the way.
#[derive(Debug)]
pub struct Generated {
    /// The generated files.
    pub output: Output,
    /// The lowered (and optimised) rules.
    pub rules: ir::RuleSet,
    /// Warnings (never errors).
    pub warnings: Diagnostics,
}

/// Settings beyond the rules themselves.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Values for `|expand` placeholders.
    pub placeholders: Option<value::Placeholders>,
    /// The field mapping for ECS documents.
    pub ecs: Option<pipeline::Pipeline>,
}

impl Options {
    /// Options with placeholder values read from a YAML file (`name: [value, ...]`).
    pub fn with_placeholders_file(mut self, path: &Path) -> Result<Options, Diagnostics> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            Diagnostics(vec![Diagnostic::error(
                &file,
                format!("cannot read placeholders: {e}"),
            )])
        })?;
        self.placeholders = Some(yaml::parse_placeholders(&file, &text).map_err(Diagnostics)?);
        Ok(self)
    }

    /// Options with the ECS field mapping read from a pipeline file.
    pub fn with_ecs_pipeline(mut self, path: &Path) -> Result<Options, Diagnostics> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            Diagnostics(vec![Diagnostic::error(
                &file,
                format!("cannot read pipeline: {e}"),
            )])
        })?;
        self.ecs = Some(pipeline::Pipeline::parse(&file, &text).map_err(Diagnostics)?);
        Ok(self)
    }
}

/// Parses and lowers rule files (no optimisation), reporting every diagnostic of every file.
/// `label` is how the rules directory is named in messages and generated headers (e.g.
/// `detections`).
pub fn lower(sources: &[SourceFile], label: &str) -> (ir::RuleSet, Diagnostics) {
    lower_with(sources, label, &Options::default())
}

/// [`lower`] with options.
pub fn lower_with(
    sources: &[SourceFile],
    label: &str,
    options: &Options,
) -> (ir::RuleSet, Diagnostics) {
    let mut rules = Vec::new();
    let mut diags = Diagnostics::default();
    for src in sources {
        let file = format!("{label}/{}", src.rel_path);
        let outline = locate::Outline::new(&src.text);
        match yaml::parse(&file, &src.text, &outline) {
            Ok(docs) => {
                if docs.is_empty() {
                    diags.push(
                        Diagnostic::error(&file, "the file holds no YAML document").with_help(
                            "a rule file needs at least `title`, `logsource` and `detection`",
                        ),
                    );
                }
                let (mut r, d) = lower::lower_file(
                    &file,
                    &src.rel_path,
                    &src.text,
                    &outline,
                    &docs,
                    options.placeholders.as_ref(),
                );
                rules.append(&mut r);
                d.into_iter().for_each(|d| diags.push(d));
            }
            Err(errors) => errors.into_iter().for_each(|d| diags.push(d)),
        }
    }
    let set = link::link(rules, &mut diags);
    diags.sort();
    (set, diags)
}

/// Generates the Rust for a set of rule files. Pure: no file system access.
pub fn generate(sources: &[SourceFile], label: &str) -> Result<Generated, Diagnostics> {
    generate_with(sources, label, &Options::default())
}

/// [`generate`] with options.
pub fn generate_with(
    sources: &[SourceFile],
    label: &str,
    options: &Options,
) -> Result<Generated, Diagnostics> {
    let (rules, diags) = lower_with(sources, label, options);
    if diags.has_errors() {
        return Err(diags);
    }
    let mut rules = ir::RuleSet {
        rules: rules.rules.into_iter().map(optimize::optimize).collect(),
        ..rules
    };
    for rule in &mut rules.rules {
        if let Some(ecs) = &options.ecs {
            rule.ecs_fields = rule
                .fields()
                .into_iter()
                .filter_map(|f| {
                    ecs.map(f, &rule.meta.logsource)
                        .filter(|m| m != f)
                        .map(|m| (f.to_owned(), m))
                })
                .collect();
        }
        let raw_name = |f: &str| f.to_owned();
        let ecs_name = |f: &str| {
            rule.ecs_fields
                .get(f)
                .cloned()
                .unwrap_or_else(|| f.to_owned())
        };
        rule.prefilter = ir::Prefilter {
            raw: prefilter::literals(rule, &raw_name),
            ecs: prefilter::literals(rule, &ecs_name),
            fields_raw: prefilter::required_fields(rule, &raw_name),
            fields_ecs: prefilter::required_fields(rule, &ecs_name),
        };
        rule.gate = gate::of_rule(rule);
    }
    // Correlation fields take the ECS names of the rule each input reads.
    if let Some(ecs) = &options.ecs {
        let ir::RuleSet {
            rules: list,
            correlations,
            ..
        } = &mut rules;
        for input in correlations.iter_mut().flat_map(|c| c.inputs.iter_mut()) {
            if let ir::CorrInput::Rule {
                index,
                group,
                values,
            } = input
            {
                let logsource = &list[*index].meta.logsource;
                for (raw, mapped) in group.iter_mut().chain(values.iter_mut()) {
                    if let Some(m) = ecs.map(raw, logsource) {
                        *mapped = m;
                    }
                }
            }
        }
    }
    let mut output = Output::default();
    for file in emit::emit(&rules, label) {
        match format::format(&file) {
            Ok(text) => {
                output.files.insert(file.name, text);
            }
            Err(e) => {
                return Err(Diagnostics(vec![Diagnostic::error(label, e.to_string())
                    .with_help(
                        "this is a bug in sigma-gen: please report it with the rule",
                    )]))
            }
        }
    }
    Ok(Generated {
        output,
        rules,
        warnings: diags,
    })
}

/// The name used for a rules directory in messages and headers: its last path component.
pub fn label_of(rules_dir: &Path) -> String {
    rules_dir
        .file_name()
        .map_or_else(|| "rules".to_owned(), |n| n.to_string_lossy().into_owned())
}

/// Reads a rules directory and generates its code.
pub fn generate_dir(rules_dir: &Path, options: &Options) -> Result<Generated, Diagnostics> {
    let label = label_of(rules_dir);
    let (sources, errors) = source::discover(rules_dir, &label);
    match generate_with(&sources, &label, options) {
        Ok(g) if errors.is_empty() => Ok(g),
        Ok(_) => Err(Diagnostics(errors)),
        Err(mut d) => {
            d.0.extend(errors);
            d.sort();
            Err(d)
        }
    }
}

/// What build.rs calls: generates from `rules_dir` into `out_dir/generated/`, with
/// placeholder values and an ECS field-mapping pipeline when given. Returns the warnings, or
/// every diagnostic when there is an error.
pub fn build(
    rules_dir: &Path,
    placeholders: Option<&Path>,
    ecs_pipeline: Option<&Path>,
    out_dir: &Path,
) -> Result<Diagnostics, Diagnostics> {
    let mut options = Options::default();
    if let Some(p) = placeholders {
        options = options.with_placeholders_file(p)?;
    }
    if let Some(p) = ecs_pipeline {
        options = options.with_ecs_pipeline(p)?;
    }
    let generated = generate_dir(rules_dir, &options)?;
    let dir = out_dir.join("generated");
    generated.output.write(&dir).map_err(|e| {
        Diagnostics(vec![Diagnostic::error(
            dir.display().to_string(),
            format!("cannot write generated code: {e}"),
        )])
    })?;
    Ok(generated.warnings)
}
