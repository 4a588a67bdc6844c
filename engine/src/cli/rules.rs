//! `detect rules`: lists the compiled rules, then the correlation rules.

use crate::cli::RulesArgs;
use serde_json::json;
use sigma_runtime::correlation::{CorrelationSet, Input};
use sigma_runtime::RuleSet;
use std::io::{self, Write};
use std::process::ExitCode;

/// Lists the rules of `set` and the correlations of `correlations`: a table, or one JSON
/// object per line.
pub fn run(set: &RuleSet, correlations: &CorrelationSet, args: &RulesArgs) -> ExitCode {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let result = if args.json {
        json_lines(set, correlations, &mut out)
    } else {
        table(set, correlations, &mut out)
    };
    match result.and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("detect: cannot write: {e}");
            ExitCode::FAILURE
        }
    }
}

fn logsource(ls: &sigma_runtime::LogSource) -> String {
    [
        ("product", ls.product),
        ("category", ls.category),
        ("service", ls.service),
    ]
    .iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| format!("{k}={v}"))
    .collect::<Vec<_>>()
    .join(",")
}

/// What a correlation reads: rule ids (or titles), and correlation ids (or titles).
fn inputs(set: &RuleSet, correlations: &CorrelationSet, inputs: &[Input]) -> Vec<String> {
    inputs
        .iter()
        .map(|i| {
            let info = match *i {
                Input::Rule(r) => set.rules[r].info,
                Input::Correlation(c) => correlations.correlations[c].info,
            };
            if info.id.is_empty() {
                info.title.to_owned()
            } else {
                info.id.to_owned()
            }
        })
        .collect()
}

fn json_lines(
    set: &RuleSet,
    correlations: &CorrelationSet,
    out: &mut impl Write,
) -> io::Result<()> {
    for rule in set.rules {
        let i = rule.info;
        let doc = json!({
            "id": i.id,
            "title": i.title,
            "level": i.level.map(|l| l.as_str()),
            "status": i.status,
            "tags": i.tags,
            "logsource": {
                "product": i.logsource.product,
                "category": i.logsource.category,
                "service": i.logsource.service,
            },
            "source": i.source,
        });
        serde_json::to_writer(&mut *out, &doc)?;
        out.write_all(b"\n")?;
    }
    for c in correlations.correlations {
        let i = c.info;
        let doc = json!({
            "id": i.id,
            "title": i.title,
            "level": i.level.map(|l| l.as_str()),
            "status": i.status,
            "tags": i.tags,
            "correlation": {
                "type": c.kind,
                "rules": inputs(set, correlations, c.inputs),
                "group_by": c.group_by,
                "timespan_secs": c.timespan / 1_000_000,
                "generate": c.generate,
            },
            "source": i.source,
        });
        serde_json::to_writer(&mut *out, &doc)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

fn table(set: &RuleSet, correlations: &CorrelationSet, out: &mut impl Write) -> io::Result<()> {
    let mut rows = vec![[
        "ID".to_owned(),
        "LEVEL".to_owned(),
        "LOGSOURCE".to_owned(),
        "TITLE".to_owned(),
        "TAGS".to_owned(),
    ]];
    for rule in set.rules {
        let i = rule.info;
        rows.push([
            i.id.to_owned(),
            i.level.map_or("-", |l| l.as_str()).to_owned(),
            logsource(&i.logsource),
            i.title.to_owned(),
            i.tags.join(","),
        ]);
    }
    for c in correlations.correlations {
        let i = c.info;
        rows.push([
            if i.id.is_empty() { "-" } else { i.id }.to_owned(),
            i.level.map_or("-", |l| l.as_str()).to_owned(),
            format!(
                "correlation:{} of {}",
                c.kind,
                inputs(set, correlations, c.inputs).join("+")
            ),
            i.title.to_owned(),
            i.tags.join(","),
        ]);
    }
    let width = |c: usize| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0);
    let widths = [width(0), width(1), width(2), width(3)];
    for r in &rows {
        writeln!(
            out,
            "{:<w0$}  {:<w1$}  {:<w2$}  {:<w3$}  {}",
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        )?;
    }
    match correlations.correlations.len() {
        0 => writeln!(out, "{} rules", set.rules.len()),
        n => writeln!(out, "{} rules, {n} correlations", set.rules.len()),
    }
}
