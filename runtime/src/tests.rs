//! Field lookup semantics: dotted keys, arrays, null, missing, exists.

use super::{Event, FieldPath};

fn ev(json: &str) -> Event<'static> {
    Event::parse(json).expect("test event parses")
}

fn texts(e: &Event, path: &'static str) -> Vec<String> {
    let mut out = Vec::new();
    e.any_text(FieldPath::new(path), |v| {
        out.push(v.to_owned());
        false
    });
    out
}

#[test]
fn dotted_key_inside_an_object() {
    let e = ev(r#"{"annotations":{"authorization.k8s.io/decision":"allow"}}"#);
    assert_eq!(
        texts(&e, "annotations.authorization.k8s.io/decision"),
        ["allow"]
    );
    assert!(texts(&e, "annotations.authorization").is_empty());
}

#[test]
fn every_split_of_a_dotted_name_is_tried() {
    for json in [
        r#"{"a":{"b":{"c":"x"}}}"#,
        r#"{"a":{"b.c":"x"}}"#,
        r#"{"a.b":{"c":"x"}}"#,
        r#"{"a.b.c":"x"}"#,
    ] {
        assert_eq!(texts(&ev(json), "a.b.c"), ["x"], "{json}");
    }
    let both = ev(r#"{"a.b":"1","a":{"b":"2"}}"#);
    let mut found = texts(&both, "a.b");
    found.sort();
    assert_eq!(found, ["1", "2"]);
}

#[test]
fn arrays_are_transparent_and_flattened() {
    let e = ev(r#"{"g":["a",["b","c"]],"c":[{"n":"x"},{"n":"y"},{"m":"z"}]}"#);
    assert_eq!(texts(&e, "g"), ["a", "b", "c"]);
    assert_eq!(texts(&e, "c.n"), ["x", "y"]);
}

#[test]
fn text_forms_of_numbers_and_booleans() {
    let e = ev(r#"{"n":403,"f":1.5,"b":true,"z":null,"o":{}}"#);
    assert_eq!(texts(&e, "n"), ["403"]);
    assert_eq!(texts(&e, "f"), ["1.5"]);
    assert_eq!(texts(&e, "b"), ["true"]);
    assert!(texts(&e, "z").is_empty());
    assert!(texts(&e, "o").is_empty());
}

#[test]
fn null_and_exists_follow_the_project_reading() {
    let e = ev(r#"{"z":null,"e":[],"en":[null,[]],"s":"","o":{},"a":[null,"x"]}"#);
    for (path, null, exists) in [
        ("missing", true, false),
        ("z", true, true),
        ("e", true, true),
        ("en", true, true),
        ("s", false, true),
        ("o", false, true),
        ("a", false, true),
    ] {
        assert_eq!(e.is_null(FieldPath::new(path)), null, "is_null({path})");
        assert_eq!(e.exists(FieldPath::new(path)), exists, "exists({path})");
    }
}

#[test]
fn a_path_through_a_scalar_reaches_nothing() {
    let e = ev(r#"{"user":"alice"}"#);
    assert!(!e.exists(FieldPath::new("user.username")));
    assert!(e.is_null(FieldPath::new("user.username")));
}

#[test]
fn numbers_and_booleans_compare_by_value_and_text() {
    let e = ev(r#"{"n":403,"s":"403","p":"0403","f":403.0,"b":true,"t":"TRUE"}"#);
    let num = |p: &'static str| e.any_leaf(FieldPath::new(p), |l| super::num_eq(l, 403.0, "403"));
    assert!(num("n") && num("s") && num("f"));
    assert!(!num("p"));
    let boolean = |p: &'static str| e.any_leaf(FieldPath::new(p), |l| super::bool_eq(l, true));
    assert!(boolean("b") && boolean("t"));
    assert!(!boolean("n"));
}

#[test]
fn keyword_search_sees_every_leaf_but_no_keys() {
    let e = ev(r#"{"a":{"secret":"no"},"b":["x","needle here"],"c":7}"#);
    assert!(e.any_text_anywhere(|v| v.contains("needle")));
    assert!(e.any_text_anywhere(|v| v == "7"));
    assert!(!e.any_text_anywhere(|v| v.contains("secret")));
}

#[test]
fn lines_that_are_not_objects_are_errors() {
    assert!(Event::parse("[1,2]").is_err());
    assert!(Event::parse("\"x\"").is_err());
    assert!(Event::parse("{\"a\":").is_err());
    assert!(Event::parse_bytes(b"{\"a\":\"\xff\"}").is_err());
}

#[test]
fn number_text_values_equal_the_float_parse() {
    use super::field::Num;
    let mut rng = crate::test_rng::Rng(0x2545_f491_4f6c_dd1d);
    let mut cases: Vec<String> = [
        "0",
        "7",
        "401",
        "-401",
        "401.0",
        "4.01e2",
        "999999999999999",
        "1000000000000000",
        "9007199254740993",
        "18446744073709551616",
        "1e400",
        "-0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for _ in 0..20_000 {
        let digits = 1 + rng.below(19);
        let mut t = (1 + rng.below(9)).to_string();
        for _ in 1..digits {
            t.push(char::from(b'0' + rng.below(10) as u8));
        }
        cases.push(t);
    }
    for t in &cases {
        let fast = Num::Text(t).as_f64();
        let parsed: Option<f64> = t.parse().ok();
        assert_eq!(fast.map(f64::to_bits), parsed.map(f64::to_bits), "{t}");
    }
}
