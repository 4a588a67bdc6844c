//! rsigma-eval 0.23 as the peer of the SigmaHQ case: every rule file loaded into one `Engine`
//! whose pipeline gives the `%name%` placeholders the same values `detect` was built with
//! (rsigma's own `value_placeholders` transformation with the placeholder file as `vars`),
//! and each event evaluated with `Engine::evaluate_with_logsource` for the log source the
//! generator made it as (for an event with two categories, once per category, rule ids
//! united: `detect` runs a rule naming either).

use sigma_bench::sigmahq::rules::Placeholders;
use sigma_bench::sigmahq::Source;
use std::path::PathBuf;

#[cfg(feature = "rsigma")]
mod imp {
    use super::*;
    use rsigma_eval::{Engine, JsonEvent};
    use rsigma_parser::LogSource;
    use std::fs;

    pub(crate) struct Peer {
        engine: Engine,
        /// Per source, the log sources to evaluate with.
        sources: Vec<Vec<LogSource>>,
        pub(crate) rules: usize,
        /// Files rsigma did not take whole, with its reason.
        pub(crate) rejected: Vec<(String, String)>,
    }

    fn pipeline(placeholders: &Placeholders) -> Result<rsigma_eval::Pipeline, String> {
        // JSON is YAML: the pipeline as a JSON document.
        let doc = serde_json::json!({
            "name": "sigma-bench placeholders",
            "vars": placeholders,
            "transformations": [{"id": "placeholders", "type": "value_placeholders"}],
        });
        rsigma_eval::parse_pipeline(&doc.to_string()).map_err(|e| e.to_string())
    }

    pub(crate) fn load(
        files: &[(String, PathBuf)],
        placeholders: &Placeholders,
        sources: &[Source],
    ) -> Result<Peer, String> {
        let mut engine = Engine::new_with_pipeline(pipeline(placeholders)?);
        let mut rejected = Vec::new();
        let mut parsed = Vec::new();
        for (name, f) in files {
            let text = fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
            match rsigma_parser::parse_sigma_yaml(&text) {
                Ok(c) => {
                    if c.has_errors() {
                        rejected.push((name.clone(), c.errors.join("; ")));
                    }
                    if !c.filters.is_empty() || !c.correlations.is_empty() {
                        rejected.push((
                            name.clone(),
                            "filter or correlation rules: not loaded".to_owned(),
                        ));
                    }
                    parsed.extend(c.rules.into_iter().map(|r| (name.clone(), r)));
                }
                Err(e) => rejected.push((name.clone(), e.to_string())),
            }
        }
        // One batch: the index is built once (a collection per file would rebuild it per
        // file, quadratic in the rule count).
        for (i, e) in engine.add_rules(parsed.iter().map(|(_, r)| r)) {
            rejected.push((parsed[i].0.clone(), e.to_string()));
        }
        let sources = sources
            .iter()
            .map(|s| {
                let one = |category: Option<&str>| LogSource {
                    product: Some(s.product.to_owned()),
                    service: (!s.service.is_empty()).then(|| s.service.to_owned()),
                    category: category.map(str::to_owned),
                    ..LogSource::default()
                };
                if s.categories.is_empty() {
                    vec![one(None)]
                } else {
                    s.categories.iter().map(|c| one(Some(c))).collect()
                }
            })
            .collect();
        Ok(Peer {
            rules: engine.rule_count(),
            engine,
            sources,
            rejected,
        })
    }

    /// Two probes of Sigma semantics behind disagreements seen on this corpus, run through a
    /// fresh engine: a wildcard inside an `|endswith` value, and `|contains|expand`. Sigma
    /// (and pySigma) match both events.
    pub(crate) fn probes() -> String {
        let probe = |detection: &str, event: serde_json::Value| -> &'static str {
            let text = format!(
                "title: probe\nid: 00000000-0000-4000-8000-00000000000f\nlogsource:\n  product: windows\ndetection:\n  sel:\n    {detection}\n  condition: sel\n"
            );
            let vars = Placeholders::from([("p".to_owned(), vec!["DC01".to_owned()])]);
            let verdict = (|| {
                let c = rsigma_parser::parse_sigma_yaml(&text).ok()?;
                let mut e = Engine::new_with_pipeline(pipeline(&vars).ok()?);
                e.add_collection(&c).ok()?;
                Some(!e.evaluate(&JsonEvent::borrow(&event)).is_empty())
            })();
            match verdict {
                Some(true) => "match",
                Some(false) => "NO MATCH",
                None => "rule not loaded",
            }
        };
        format!(
            "probe, rsigma-eval on events Sigma matches — `A|endswith: 'F?'` on A = 0x1Fx: {}; `A|contains|expand: '%p%'` (p = DC01) on A = 'rmd: DC01': {}",
            probe("A|endswith: 'F?'", serde_json::json!({"A": "0x1Fx"})),
            probe("A|contains|expand: '%p%'", serde_json::json!({"A": "rmd: DC01"}))
        )
    }

    impl Peer {
        /// The ids of the rules matching `line`, an event of source `source`, sorted and
        /// unique; `None` when the line is not JSON.
        pub(crate) fn matches(&self, line: &str, source: usize, ids: &mut Vec<String>) -> bool {
            ids.clear();
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                return false;
            };
            let event = JsonEvent::borrow(&v);
            let sources = &self.sources[source];
            for ls in sources {
                for r in self.engine.evaluate_with_logsource(&event, ls) {
                    ids.push(
                        r.header
                            .rule_id
                            .clone()
                            .unwrap_or_else(|| r.header.rule_title.clone()),
                    );
                }
            }
            if sources.len() > 1 {
                ids.sort_unstable();
                ids.dedup();
            }
            true
        }
    }
}

#[cfg(not(feature = "rsigma"))]
mod imp {
    use super::*;

    pub(crate) struct Peer {
        pub(crate) rules: usize,
        pub(crate) rejected: Vec<(String, String)>,
    }

    pub(crate) fn load(
        _: &[(String, PathBuf)],
        _: &Placeholders,
        _: &[Source],
    ) -> Result<Peer, String> {
        Err("rsigma-eval 0.23 not compiled in (built without the `rsigma` feature)".into())
    }

    pub(crate) fn probes() -> String {
        String::new()
    }

    impl Peer {
        pub(crate) fn matches(&self, _: &str, _: usize, ids: &mut Vec<String>) -> bool {
            ids.clear();
            false
        }
    }
}

pub(crate) use imp::{load, probes, Peer};

#[cfg(all(test, feature = "rsigma"))]
mod tests {
    #[test]
    fn probes_load_and_run() {
        let note = super::probes();
        eprintln!("{note}");
        assert!(!note.contains("rule not loaded"), "{note}");
    }
}
