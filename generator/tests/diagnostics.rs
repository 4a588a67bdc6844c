//! Broken rules: the exact diagnostics text is snapshotted, one snapshot per fixture, and
//! every fixture must produce at least one error (and never a panic).

mod common;

use sigma_gen::SourceFile;

fn load(dir: &str) -> Vec<(String, SourceFile)> {
    common::fixtures(dir)
}

#[test]
fn every_invalid_fixture_is_rejected_with_located_errors() {
    let fixtures = load("invalid");
    assert!(fixtures.len() >= 15);
    for (name, src) in fixtures {
        let diags = match sigma_gen::generate(std::slice::from_ref(&src), "rules") {
            Ok(_) => panic!("{name} must be rejected"),
            Err(d) => d,
        };
        assert!(diags.has_errors(), "{name}");
        for d in &diags.0 {
            assert_eq!(d.file, format!("rules/{}", src.rel_path));
            if name != "empty_file" {
                assert!(d.line > 0 && d.col > 0, "{name}: no position in {d}");
            }
            assert!(
                d.help.is_some() || name == "empty_file" || d.message.contains("YAML"),
                "{name}: no help in {d}"
            );
        }
        insta::assert_snapshot!(name, diags.to_string());
    }
}

#[test]
fn warnings_do_not_stop_generation() {
    for (name, src) in load("warnings") {
        let generated = sigma_gen::generate(std::slice::from_ref(&src), "rules")
            .unwrap_or_else(|d| panic!("{name}:\n{d}"));
        assert!(!generated.warnings.0.is_empty(), "{name} should warn");
        insta::assert_snapshot!(format!("warnings__{name}"), generated.warnings.to_string());
    }
}

#[test]
fn all_errors_of_a_rule_set_are_reported_at_once() {
    let fixtures: Vec<SourceFile> = load("invalid").into_iter().map(|(_, s)| s).collect();
    let diags = sigma_gen::generate(&fixtures, "rules").expect_err("rejected");
    let files: std::collections::BTreeSet<&str> = diags.0.iter().map(|d| d.file.as_str()).collect();
    assert_eq!(files.len(), fixtures.len(), "every broken file is reported");
    let unknown = diags
        .0
        .iter()
        .filter(|d| d.file.ends_with("unknown_modifier.yml"))
        .count();
    assert_eq!(unknown, 3, "every bad modifier of one file is reported");
}

/// serde_yaml is archived; if it is swapped, the exact position of a bad modifier and of a
/// YAML syntax error must survive.
#[test]
fn positions_are_pinned() {
    let src = SourceFile {
        rel_path: "x.yml".into(),
        text: "title: t\nlogsource:\n    product: p\ndetection:\n    sel:\n        user|contians: foo\n    condition: sel\n".into(),
    };
    let d = sigma_gen::generate(&[src], "rules").expect_err("rejected");
    assert_eq!((d.0[0].line, d.0[0].col, d.0[0].len), (6, 14, 8), "{d}");
    let src = SourceFile {
        rel_path: "y.yml".into(),
        text: "title: t\n  bad: [\n".into(),
    };
    let d = sigma_gen::generate(&[src], "rules").expect_err("rejected");
    assert_eq!((d.0[0].line, d.0[0].col), (2, 6), "{d}");
}

#[test]
fn condition_errors_point_inside_the_condition() {
    let src = SourceFile {
        rel_path: "c.yml".into(),
        text: "title: t\nlogsource:\n    product: p\ndetection:\n    sel:\n        verb: get\n    condition: sel and not filtr\n".into(),
    };
    let d = sigma_gen::generate(&[src], "rules").expect_err("rejected");
    let col = "    condition: sel and not ".chars().count() + 1;
    assert_eq!((d.0[0].line, d.0[0].col, d.0[0].len), (7, col, 5), "{d}");
}
