//! Rule text is data, never code: a rule set full of quotes, `"); }`, `*/`, escaped stars,
//! newlines, `#[`, raw-string markers and non-ASCII compiles, and matches those strings
//! literally.

mod common;

#[test]
fn hostile_strings_compile_and_match_literally() {
    let rules = common::root().join("tests/fixtures/hostile");
    let detect = common::build_detector(&rules, "hostile");
    // (event, expected rule id suffix or "" for no alert)
    let cases: &[(&str, &str)] = &[
        (r#"{"q\"uote":"say \"hi\""}"#, "01"),
        (
            r#"{"breakout":"\"); } fn evil() { panic!(\"x\"); } //"}"#,
            "01",
        ),
        (r#"{"star":"a*/b"}"#, "01"),
        (r#"{"star":"aXX/b"}"#, ""),
        (r#"{"newline":"first\nsecond"}"#, "01"),
        (r#"{"newline":"first\\nsecond"}"#, ""),
        (r##"{"attr":"#[allow(warnings)]"}"##, "01"),
        (r#"{"unicode":"été ☃ 日本"}"#, "01"),
        (r#"{"unicode":"ete ☃ 日本"}"#, ""),
        (r#"{"backslash":"C:\\Windows\\System32\\"}"#, "01"),
        (r#"{"backslash":"C:\\Windows\\System32"}"#, ""),
        (r##"{"kw":"r#\"raw\"#"}"##, "01"),
        (r#"{"bidi":"a\u202Eb\u2066c"}"#, "01"),
        (r#"{"bidi":"abc"}"#, ""),
        ("{\"bidi2\":\"x\u{202e}y\"}", "01"),
        (r#"{"crate::x":"}"}"#, "02"),
        (r#"{"crate::x":"}}"}"#, ""),
    ];
    let input: String = cases.iter().map(|(e, _)| format!("{e}\n")).collect();
    let out = common::run_with_stdin(&detect, &["scan", "-"], input.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut got = Vec::new();
    for line in String::from_utf8(out.stdout).expect("utf-8 alerts").lines() {
        let alert: serde_json::Value = serde_json::from_str(line).expect("alert is JSON");
        let id = alert["rule"]["id"].as_str().expect("rule id").to_owned();
        let n = alert["input"]["line"].as_u64().expect("line") as usize;
        got.push((n, id[id.len() - 2..].to_owned()));
    }
    let want: Vec<(usize, String)> = cases
        .iter()
        .enumerate()
        .filter(|(_, (_, id))| !id.is_empty())
        .map(|(i, (_, id))| (i + 1, (*id).to_owned()))
        .collect();
    assert_eq!(got, want);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{} events evaluated", cases.len())),
        "{stderr}"
    );
}
