//! Rule text can never become code: not in items (strings are literals, identifiers are
//! sanitised) and not in doctests (doc text cannot open a Rust code block).

use sigma_gen::SourceFile;
use std::path::Path;

fn hostile_sources() -> Vec<SourceFile> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/hostile");
    let mut out: Vec<SourceFile> = std::fs::read_dir(&dir)
        .expect("hostile fixtures")
        .map(|e| e.expect("entry").path())
        .map(|p| SourceFile {
            rel_path: p.file_name().unwrap().to_string_lossy().into_owned(),
            text: std::fs::read_to_string(&p).expect("text"),
        })
        .collect();
    out.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
    out
}

#[test]
fn hostile_rules_generate_valid_rust_with_only_expected_items() {
    let generated =
        sigma_gen::generate(&hostile_sources(), "hostile").unwrap_or_else(|d| panic!("{d}"));
    for (name, text) in &generated.output.files {
        let file = syn::parse_file(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        for item in &file.items {
            let ok = match item {
                syn::Item::Static(s) => [
                    "INFO",
                    "PREFILTER",
                    "GATE",
                    "RULES",
                    "CORRELATIONS",
                    "FIELDS_RAW",
                    "FIELDS_ECS",
                    "TABLE",
                    "FIELDS",
                    "CORRELATION",
                ]
                .iter()
                .any(|n| s.ident == n),
                syn::Item::Fn(f) => {
                    ["matches", "new_state", "observe", "chain", "condition"]
                        .iter()
                        .any(|n| f.sig.ident == n)
                        || f.sig.ident.to_string().starts_with("sel_")
                }
                // A correlation's key type, state and its impl of the runtime's trait.
                syn::Item::Type(t) => t.ident == "Key",
                syn::Item::Struct(s) => s.ident == "State",
                syn::Item::Impl(i) => {
                    quote::ToTokens::to_token_stream(&i.self_ty).to_string() == "State"
                        && i.trait_.as_ref().is_some_and(|(p, _)| {
                            quote::ToTokens::to_token_stream(p).to_string()
                                == "crate :: runtime :: correlation :: State"
                        })
                }
                // Field paths and wildcard part lists, named in upper snake case.
                syn::Item::Const(c) => {
                    let ident = c.ident.to_string();
                    let ty = quote::ToTokens::to_token_stream(&c.ty).to_string();
                    ident.starts_with(|c: char| c.is_ascii_uppercase())
                        && ident
                            .chars()
                            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                        && (ty == "crate :: runtime :: FieldPath"
                            || ty == "crate :: runtime :: correlation :: Micros"
                            || ty == "crate :: runtime :: correlation :: Condition"
                            || ty == "& [crate :: runtime :: GlobPart]"
                            || (name.starts_with("needles_")
                                && ty == "crate :: runtime :: FieldNeedles"))
                }
                syn::Item::Mod(m) => {
                    name == "mod.rs"
                        && m.content
                            .as_ref()
                            .is_some_and(|(_, items)| items.len() == 1)
                }
                _ => false,
            };
            assert!(
                ok,
                "{name}: unexpected item {}",
                quote::ToTokens::to_token_stream(item)
            );
        }
    }
}

/// A doc line that opens a code block (``` or ~~~ fence, or a 4-space indent outside a fence)
/// would be compiled and run by `cargo test --doc`. Every fence we emit says `yaml` or `text`.
#[test]
fn doc_comments_cannot_open_a_doctest() {
    let generated =
        sigma_gen::generate(&hostile_sources(), "hostile").unwrap_or_else(|d| panic!("{d}"));
    for (name, text) in &generated.output.files {
        let mut fence: Option<String> = None;
        for line in text.lines() {
            let Some(doc) = line.trim_start().strip_prefix("///") else {
                continue;
            };
            let doc = doc.strip_prefix(' ').unwrap_or(doc);
            match &fence {
                Some(f) if doc.trim_end() == f => fence = None,
                Some(_) => {}
                None => {
                    let ticks = doc.chars().take_while(|c| *c == '`').count();
                    if ticks >= 3 {
                        let info = &doc[ticks..];
                        assert!(
                            info == "yaml" || info == "text",
                            "{name}: fence with info `{info}`: {line}"
                        );
                        fence = Some("`".repeat(ticks));
                    } else {
                        assert!(!doc.starts_with("~~~"), "{name}: tilde fence: {line}");
                        assert!(
                            !doc.starts_with("    "),
                            "{name}: indented code block: {line}"
                        );
                    }
                }
            }
        }
        assert!(fence.is_none(), "{name}: unclosed fence");
    }
}

#[test]
fn hostile_custom_keys_are_kept_as_json_text() {
    let generated =
        sigma_gen::generate(&hostile_sources(), "hostile").unwrap_or_else(|d| panic!("{d}"));
    let rule = &generated.rules.rules[0];
    assert_eq!(
        rule.meta
            .custom
            .get("tricky_custom_key")
            .map(String::as_str),
        Some(r#""\"); }""#)
    );
}
