//! Gate derivation: which tests give needles, how AND/OR/NOT combine them, folding, globs.

use super::*;
use crate::SourceFile;

/// The gate (as text) of one rule whose detection part is `yaml`, lowered and optimised as
/// generation does.
fn gate(yaml: &str) -> Option<String> {
    let src = SourceFile {
        rel_path: "r.yml".into(),
        text: format!("title: t\nlogsource:\n    product: windows\ndetection:\n{yaml}"),
    };
    let (mut set, d) = crate::lower(&[src], "rules");
    assert!(!d.has_errors(), "{d}");
    let rule = crate::optimize::optimize(set.rules.remove(0));
    of_rule(&rule).map(|g| g.to_string())
}

#[test]
fn each_string_shape_gives_its_needle_folded() {
    assert_eq!(
        gate("    sel:\n        Image|endswith: '\\CMD.exe'\n    condition: sel\n").as_deref(),
        Some(r#"Image ends with "\\cmd.exe""#)
    );
    assert_eq!(
        gate("    sel:\n        Image|startswith|cased: 'C:\\Tools'\n    condition: sel\n")
            .as_deref(),
        Some(r#"Image starts with "c:\\tools""#)
    );
    assert_eq!(
        gate("    sel:\n        CommandLine|contains: 'Mimikatz'\n    condition: sel\n").as_deref(),
        Some(r#"CommandLine contains "mimikatz""#)
    );
    assert_eq!(
        gate("    sel:\n        User: 'SYSTEM'\n    condition: sel\n").as_deref(),
        Some(r#"User is "system""#)
    );
}

#[test]
fn lists_are_or_and_maps_are_and() {
    assert_eq!(
        gate("    sel:\n        Image|endswith:\n            - '\\a.exe'\n            - '\\b.exe'\n        CommandLine|contains|all:\n            - 'one'\n            - 'two'\n    condition: sel\n")
            .as_deref(),
        Some(r#"(Image ends with one of "\\a.exe", "\\b.exe") and CommandLine contains "one" and CommandLine contains "two""#)
    );
}

#[test]
fn a_branch_without_needles_opens_the_or_and_is_dropped_from_the_and() {
    // `|re` gives no needle: the OR holds on every event.
    assert_eq!(
        gate("    a:\n        CommandLine|contains: 'abc'\n    b:\n        CommandLine|re: 'x.*y'\n    condition: a or b\n"),
        None
    );
    assert_eq!(
        gate("    a:\n        CommandLine|contains: 'abc'\n    b:\n        CommandLine|re: 'x.*y'\n    condition: a and b\n")
            .as_deref(),
        Some(r#"CommandLine contains "abc""#)
    );
}

#[test]
fn negations_numbers_and_short_literals_give_nothing() {
    let none = [
        "    a:\n        Image|endswith: '\\x.exe'\n    condition: not a\n",
        "    a:\n        EventID: 4688\n    condition: a\n",
        "    a:\n        Image|contains: 'a'\n    condition: a\n",
        "    a:\n        Image: '*'\n    condition: a\n",
        "    a:\n        Image|exists: true\n    condition: a\n",
        "    a:\n        Image: null\n    condition: a\n",
        "    a:\n        Image: ''\n    condition: a\n",
        "    a:\n        IpAddress|cidr: '10.0.0.0/8'\n    condition: a\n",
    ];
    for yaml in none {
        assert_eq!(gate(yaml), None, "{yaml}");
    }
    // Two bytes are enough for a contains needle (`^^`, one non-ASCII char).
    assert_eq!(
        gate("    a:\n        Image|contains: '^^'\n    condition: a\n").as_deref(),
        Some(r#"Image contains "^^""#)
    );
    // A short exact value is still a needle: the hash lookup costs the same.
    assert_eq!(
        gate("    a:\n        Level: 'ab'\n    condition: a\n").as_deref(),
        Some(r#"Level is "ab""#)
    );
}

#[test]
fn wildcards_give_their_longest_literal_anchored_where_it_sits() {
    assert_eq!(
        gate("    a:\n        Image: 'C:\\Windows*\\x?.exe'\n    condition: a\n").as_deref(),
        Some(r#"Image starts with "c:\\windows""#)
    );
    assert_eq!(
        gate("    a:\n        Image: '*\\a*\\longer.exe'\n    condition: a\n").as_deref(),
        Some(r#"Image ends with "\\longer.exe""#)
    );
    assert_eq!(
        gate("    a:\n        Image: 'a?*middle part*b'\n    condition: a\n").as_deref(),
        Some(r#"Image contains "middle part""#)
    );
}

#[test]
fn keywords_are_needles_on_any_value() {
    assert_eq!(
        gate("    keywords:\n        - 'Evil'\n    condition: keywords\n").as_deref(),
        Some(r#"any value contains "evil""#)
    );
}

#[test]
fn folding_is_unicode_per_char() {
    assert_eq!(
        gate("    a:\n        Path|contains: 'ÄRGER'\n    condition: a\n").as_deref(),
        Some(r#"Path contains "ärger""#)
    );
}

#[test]
fn repeated_needles_are_kept_once() {
    assert_eq!(
        gate("    a:\n        Image|endswith: '\\x.exe'\n    b:\n        Image|endswith: '\\X.EXE'\n    condition: a or b\n")
            .as_deref(),
        Some(r#"Image ends with "\\x.exe""#)
    );
}

#[test]
fn a_regex_gives_the_literals_its_matches_start_with() {
    assert_eq!(
        gate("    sel:\n        CommandLine|re: 'ipconfig\\s+/all'\n    condition: sel\n")
            .as_deref(),
        Some(r#"CommandLine contains "ipconfig""#)
    );
    // Alternatives and case variants: one needle per folded literal.
    assert_eq!(
        gate("    sel:\n        CommandLine|re|i: '(Net|Arp)\\.exe'\n    condition: sel\n")
            .as_deref(),
        Some(r#"CommandLine contains one of "net.exe", "arp.exe""#)
    );
    // Literals too short, an unbounded start, or none at all: nothing is required.
    for re in ["a.*cdef", ".*mimikatz", "[a-z]+\\.exe", "(abc)?d"] {
        assert_eq!(
            gate(&format!(
                "    sel:\n        CommandLine|re: '{re}'\n    condition: sel\n"
            )),
            None,
            "{re}"
        );
    }
}
