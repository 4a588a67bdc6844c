//! Gates over hand-written rules: folding, anchoring, overlapping needles, AND/OR, arrays,
//! keywords, ungated rules, and that no rule that matches is ever left out.

use super::*;
use crate::fixtures;
use sigma_runtime::{
    contains_ci, Event, FieldNeedles, FieldPath, FieldTable, Level, LogSource, Needle, NeedleTable,
    Prefilter, Rule,
};

const CMD: FieldPath = FieldPath::new("CommandLine");
const IMAGE: FieldPath = FieldPath::new("Image");
const WIN: LogSource = LogSource {
    product: "windows",
    category: "process_creation",
    service: "",
};

const fn info(id: &'static str) -> RuleInfo {
    RuleInfo {
        id,
        title: id,
        level: Some(Level::Low),
        status: "test",
        tags: &[],
        tactics: &[],
        techniques: &[],
        risk_score: None,
        severity: None,
        logsource: WIN,
        related: &[],
        custom: &[],
        source: "tests.rs",
    }
}

static PREFIX: RuleInfo = info("prefix");
static SUFFIX: RuleInfo = info("suffix");
static BOTH: RuleInfo = info("both");
static EITHER: RuleInfo = info("either");
static INNER: RuleInfo = info("inner");
static KEYWORD: RuleInfo = info("keyword");
static UNGATED: RuleInfo = info("ungated");
static EXACT: RuleInfo = info("exact");

const fn needle(field: Option<FieldPath>, kind: NeedleKind, text: &'static str) -> Gate {
    Gate::Needle(Needle { field, kind, text })
}

const NO_PREFILTER: Prefilter = Prefilter {
    raw: None,
    ecs: None,
    fields_raw: &[],
    fields_ecs: &[],
};

fn any_cmd(ev: &Event, needle: &str) -> bool {
    ev.any_text(CMD, |v| contains_ci(v, needle))
}

// The matchers are what the gates promise about: each matches only events its gate holds on.
fn m_prefix(ev: &Event) -> bool {
    ev.any_text(IMAGE, |v| sigma_runtime::starts_with_ci(v, "c:\\tools\\"))
}
fn m_suffix(ev: &Event) -> bool {
    ev.any_text(IMAGE, |v| sigma_runtime::ends_with_ci(v, "\\evil.exe"))
}
fn m_both(ev: &Event) -> bool {
    any_cmd(ev, "sekurlsa") && any_cmd(ev, "logonpasswords")
}
fn m_either(ev: &Event) -> bool {
    any_cmd(ev, "kelvin") || any_cmd(ev, "ärger")
}
fn m_inner(ev: &Event) -> bool {
    any_cmd(ev, "urls")
}
fn m_keyword(ev: &Event) -> bool {
    ev.any_text_anywhere(|v| contains_ci(v, "needle"))
}
fn m_ungated(ev: &Event) -> bool {
    ev.exists(IMAGE)
}
fn m_exact(ev: &Event) -> bool {
    ev.any_text(IMAGE, |v| sigma_runtime::eq_ci(v, "c:\\x.exe"))
}

static SET: RuleSet = RuleSet {
    rules: &[
        Rule {
            info: &PREFIX,
            matches: m_prefix,
            prefilter: &NO_PREFILTER,
            gate: &needle(Some(IMAGE), NeedleKind::Prefix, "c:\\tools\\"),
        },
        Rule {
            info: &SUFFIX,
            matches: m_suffix,
            prefilter: &NO_PREFILTER,
            gate: &needle(Some(IMAGE), NeedleKind::Suffix, "\\evil.exe"),
        },
        Rule {
            info: &BOTH,
            matches: m_both,
            prefilter: &NO_PREFILTER,
            gate: &Gate::All(&[
                needle(Some(CMD), NeedleKind::Contains, "sekurlsa"),
                needle(Some(CMD), NeedleKind::Contains, "logonpasswords"),
            ]),
        },
        Rule {
            info: &EITHER,
            matches: m_either,
            prefilter: &NO_PREFILTER,
            gate: &Gate::Any(&[
                needle(Some(CMD), NeedleKind::Contains, "kelvin"),
                needle(Some(CMD), NeedleKind::Contains, "ärger"),
            ]),
        },
        Rule {
            info: &INNER,
            matches: m_inner,
            prefilter: &NO_PREFILTER,
            gate: &needle(Some(CMD), NeedleKind::Contains, "urls"),
        },
        Rule {
            info: &KEYWORD,
            matches: m_keyword,
            prefilter: &NO_PREFILTER,
            gate: &needle(None, NeedleKind::Contains, "needle"),
        },
        Rule {
            info: &UNGATED,
            matches: m_ungated,
            prefilter: &NO_PREFILTER,
            gate: &Gate::Always,
        },
        Rule {
            info: &EXACT,
            matches: m_exact,
            prefilter: &NO_PREFILTER,
            gate: &needle(Some(IMAGE), NeedleKind::Exact, "c:\\x.exe"),
        },
    ],
    fields_raw: &FIELDS,
    fields_ecs: &FIELDS,
    needles: &[&TABLE],
};

static FIELDS: FieldTable = FieldTable::new(&["CommandLine", "Image"], true);

static TABLE: NeedleTable = NeedleTable {
    fields: &[
        FieldNeedles {
            field: None,
            needles: &[(NeedleKind::Contains, "needle", &[&KEYWORD])],
        },
        FieldNeedles {
            field: Some(CMD),
            needles: &[
                (NeedleKind::Contains, "kelvin", &[&EITHER]),
                (NeedleKind::Contains, "logonpasswords", &[&BOTH]),
                (NeedleKind::Contains, "sekurlsa", &[&BOTH]),
                (NeedleKind::Contains, "urls", &[&INNER]),
                (NeedleKind::Contains, "ärger", &[&EITHER]),
            ],
        },
        FieldNeedles {
            field: Some(IMAGE),
            needles: &[
                (NeedleKind::Exact, "c:\\x.exe", &[&EXACT]),
                (NeedleKind::Prefix, "c:\\tools\\", &[&PREFIX]),
                (NeedleKind::Suffix, "\\evil.exe", &[&SUFFIX]),
            ],
        },
    ],
};

/// The ids of the candidate rules for one event line, parsed and decoded (both must agree).
fn candidates(gates: &Gates, line: &str) -> Vec<&'static str> {
    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    let parsed = Event::parse(line).unwrap();
    gates.candidates(&parsed, line.as_bytes(), &mut scratch, &mut out);
    let ids: Vec<&'static str> = out
        .iter()
        .map(|&p| SET.rules[gates.rules()[p as usize]].info.id)
        .collect();
    let decoded = Event::decode(line.as_bytes(), sigma_runtime::Shape::Raw, &FIELDS).unwrap();
    gates.candidates(&decoded, line.as_bytes(), &mut scratch, &mut out);
    let again: Vec<&'static str> = out
        .iter()
        .map(|&p| SET.rules[gates.rules()[p as usize]].info.id)
        .collect();
    assert_eq!(ids, again, "parsed and decoded events agree on {line}");
    // The rule without a gate runs on every event; the tests look at the others.
    let ungated = ids.iter().filter(|&&id| id == "ungated").count();
    assert_eq!(ungated, usize::from(gates.rules().contains(&6)), "{line}");
    ids.into_iter().filter(|&id| id != "ungated").collect()
}

fn all_gates() -> Gates {
    Gates::new(&SET, (0..SET.rules.len()).collect())
}

#[test]
fn needles_are_found_folded_and_anchored() {
    let g = all_gates();
    assert_eq!(g.needles(), 9);
    assert_eq!(g.always_run(), 1);
    assert_eq!(
        candidates(&g, r#"{"Image":"C:\\Tools\\a.exe"}"#),
        ["prefix"]
    );
    // The prefix in the middle of the value is not a prefix.
    assert_eq!(
        candidates(&g, r#"{"Image":"D:\\c:\\tools\\a.exe"}"#),
        Vec::<&str>::new()
    );
    assert_eq!(candidates(&g, r#"{"Image":"D:\\EVIL.EXE"}"#), ["suffix"]);
    assert_eq!(
        candidates(&g, r#"{"Image":"D:\\evil.exe.txt"}"#),
        Vec::<&str>::new()
    );
    assert_eq!(candidates(&g, r#"{"Image":"C:\\X.exe"}"#), ["exact"]);
    assert_eq!(
        candidates(&g, r#"{"Image":"C:\\X.exe "}"#),
        Vec::<&str>::new()
    );
}

#[test]
fn and_needs_every_part_or_needs_one() {
    let g = all_gates();
    assert_eq!(
        candidates(&g, r#"{"CommandLine":"mimikatz kerberos::list"}"#),
        Vec::<&str>::new()
    );
    assert_eq!(
        candidates(&g, r#"{"CommandLine":"mimikatz LOGONPASSWORDS"}"#),
        Vec::<&str>::new()
    );
    // (`sekurlsa` holds `urls`: `inner` is a candidate too.)
    assert_eq!(
        candidates(&g, r#"{"CommandLine":"SEKURLSA::LogonPasswords"}"#),
        ["both", "inner"]
    );
    // Across array elements: each part may hold in another element.
    assert_eq!(
        candidates(&g, r#"{"CommandLine":["sekurlsa", "x", "logonpasswords"]}"#),
        ["both", "inner"]
    );
}

#[test]
fn non_ascii_values_are_folded_per_char() {
    let g = all_gates();
    // The Kelvin sign folds to `k`; `Ä` to `ä`.
    assert_eq!(
        candidates(&g, "{\"CommandLine\":\"\u{212A}ELVIN\"}"),
        ["either"]
    );
    assert_eq!(candidates(&g, r#"{"CommandLine":"ÄRGER"}"#), ["either"]);
}

#[test]
fn a_needle_inside_another_is_found_too() {
    let g = all_gates();
    // `urls` sits inside `sekurlsa`: overlapping matches report both needles.
    assert_eq!(
        candidates(&g, r#"{"CommandLine":"logonpasswords sekurlsa"}"#),
        ["both", "inner"]
    );
    assert_eq!(candidates(&g, r#"{"CommandLine":"sekurlsa"}"#), ["inner"]);
}

#[test]
fn keywords_scan_every_value() {
    let g = all_gates();
    assert_eq!(
        candidates(&g, r#"{"a":{"b":["x","a NEEDLE"]}}"#),
        ["keyword"]
    );
    assert_eq!(candidates(&g, r#"{"a":7}"#), Vec::<&str>::new());
    // The search of the JSON text before the values: escapes that hide a letter, or the
    // needle in another case, still reach the value scan.
    assert_eq!(candidates(&g, r#"{"a":"\u006eeedle"}"#), ["keyword"]);
    assert_eq!(candidates(&g, r#"{"a":"NeEdLe"}"#), ["keyword"]);
    assert_eq!(
        candidates(&g, r#"{"needle":"a key, not a value"}"#),
        Vec::<&str>::new()
    );
}

#[test]
fn only_the_routed_rules_are_gated() {
    // Routed to every rule but `either`: its needles are not scanned for.
    let rules: Vec<usize> = (0..SET.rules.len()).filter(|&i| i != 3).collect();
    let g = Gates::new(&SET, rules);
    assert_eq!(g.needles(), 7);
    assert_eq!(
        candidates(&g, r#"{"CommandLine":"kelvin"}"#),
        Vec::<&str>::new()
    );
    let ungated = Gates::ungated(vec![0, 2]);
    assert_eq!(candidates(&ungated, r#"{"a":1}"#), ["prefix", "both"]);
}

#[test]
fn a_gate_needle_missing_from_the_tables_runs_the_rule_always() {
    static LONE: RuleInfo = info("lone");
    static ODD: RuleSet = RuleSet {
        rules: &[Rule {
            info: &LONE,
            matches: m_inner,
            prefilter: &NO_PREFILTER,
            gate: &needle(Some(CMD), NeedleKind::Contains, "nowhere"),
        }],
        fields_raw: &FIELDS,
        fields_ecs: &FIELDS,
        needles: &[],
    };
    let g = Gates::new(&ODD, vec![0]);
    assert_eq!(g.always_run(), 1);
}

/// Random events over the needles' alphabet: a rule that matches is always a candidate.
#[test]
fn no_matching_rule_is_ever_left_out() {
    let g = all_gates();
    let mut rng = sigma_runtime::test_rng::Rng(0x9e37_79b9_7f4a_7c15);
    let words = [
        "c:\\tools\\",
        "\\evil.exe",
        "C:\\X.exe",
        "SEKURLSA",
        "logonpasswords",
        "urls",
        "kelvin",
        "\u{212A}elvin",
        "Ärger",
        "needle",
        "x",
        " ",
        "\\",
    ];
    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    let mut matched = 0;
    for _ in 0..3000 {
        let value = |rng: &mut sigma_runtime::test_rng::Rng| {
            let n = rng.below(4);
            (0..n)
                .map(|_| words[rng.below(words.len())])
                .collect::<String>()
        };
        let ev = serde_json::json!({
            "Image": value(&mut rng),
            "CommandLine": [value(&mut rng), value(&mut rng)],
            "Other": value(&mut rng),
        });
        let text = serde_json::to_vec(&ev).unwrap();
        let ev = Event::from_value(ev).unwrap();
        g.candidates(&ev, &text, &mut scratch, &mut out);
        for (i, rule) in SET.rules.iter().enumerate() {
            if (rule.matches)(&ev) {
                matched += 1;
                assert!(
                    out.contains(&(i as u32)),
                    "{} matches but is no candidate",
                    rule.info.id
                );
            }
        }
    }
    assert!(matched > 3000, "the events match often enough: {matched}");
}

#[test]
fn fixture_rules_get_gates_too() {
    let g = Gates::new(&fixtures::RULES, vec![0, 1]);
    assert_eq!(g.needles(), 2);
    assert_eq!(g.always_run(), 0);
}

static SHORT: RuleInfo = info("short");

fn m_short(ev: &Event) -> bool {
    any_cmd(ev, "a")
}

/// A set whose only rule is gated by a needle too short for the matchers.
static SHORT_SET: RuleSet = RuleSet {
    rules: &[Rule {
        info: &SHORT,
        matches: m_short,
        prefilter: &NO_PREFILTER,
        gate: &needle(Some(CMD), NeedleKind::Contains, "a"),
    }],
    fields_raw: &FIELDS,
    fields_ecs: &FIELDS,
    needles: &[&NeedleTable {
        fields: &[FieldNeedles {
            field: Some(CMD),
            needles: &[(NeedleKind::Contains, "a", &[&SHORT])],
        }],
    }],
};

#[test]
fn a_needle_too_short_to_find_makes_its_rule_run_always() {
    let g = Gates::new(&SHORT_SET, vec![0]);
    assert_eq!((g.needles(), g.always_run()), (0, 1));
    let line = r#"{"CommandLine":"xaby"}"#;
    let ev = Event::parse(line).unwrap();
    let mut out = Vec::new();
    g.candidates(&ev, line.as_bytes(), &mut Scratch::default(), &mut out);
    assert_eq!(out, [0]);
}
