//! The selective decoder against serde_json plus the tree lookup of `field.rs`: the same lines
//! are accepted, and every field reaches the same values.

use super::decode::{decode, DecodeError, FieldTable, Scalar, Slots};
use super::field::{self, Leaf};
use serde_json::Value;

/// Sorted, as the generator writes field tables.
const FIELDS: &[&str] = &["a", "a.b", "a.b.c", "arr.k", "b", "c.d.e", "k", "x/y"];

/// More than the decoder compares one by one at an object (it narrows longer lists by
/// binary search), with names that sort between a key and its dotted continuations.
const WIDE: &[&str] = &[
    "a", "a-b", "a.b", "a.b-c", "a.b.c", "a.bc", "arr", "arr.k", "b", "b.c", "b0", "c.d", "c.d.e",
    "d", "d.e", "k", "x/y", "zz",
];

use crate::test_rng::Rng;

fn gen_value(r: &mut Rng, depth: u32, out: &mut String) {
    let pick = if depth > 3 { r.below(5) } else { r.below(8) };
    match pick {
        0 => {
            const S: &[&str] = &[
                "\"x\"",
                "\"A\\\"b\"",
                "\"\\u0041\\ud83d\\ude00\"",
                "\"a\\/b\\\\\"",
                "\"\"",
                "\"tab\\tnl\\n\"",
                "\"é\"",
                "\"a long string with é, € and 😀 past sixteen bytes\"",
                "\"0123456789abcdef0123456789\\\"quoted\\\" after the first block\"",
            ];
            out.push_str(S[r.below(S.len())]);
        }
        1 => {
            const N: &[&str] = &[
                "0",
                "-1",
                "403",
                "1.5",
                "1e3",
                "-0",
                "12345678901234567890",
                "2.50",
            ];
            out.push_str(N[r.below(N.len())]);
        }
        2 => out.push_str(["true", "false"][r.below(2)]),
        3 => out.push_str("null"),
        4 => out.push_str("\"plain\""),
        5 | 6 => gen_object(r, depth + 1, out),
        _ => {
            out.push('[');
            for i in 0..r.below(4) {
                if i > 0 {
                    out.push(',');
                }
                gen_value(r, depth + 1, out);
            }
            out.push(']');
        }
    }
}

fn gen_object(r: &mut Rng, depth: u32, out: &mut String) {
    const KEYS: &[&str] = &[
        "a", "b", "c", "a.b", "b.c", "c.d", "d.e", "x/y", "x\\/y", "arr", "k", "\\u0061", "zz",
        "d", "a-b", "b0", "bc", "a.bc", "a.b-c",
    ];
    out.push('{');
    let n = r.below(5);
    let mut used = Vec::new();
    for i in 0..n {
        let k = KEYS[r.below(KEYS.len())];
        if used.contains(&k) {
            continue;
        }
        used.push(k);
        if i > 0 && !out.ends_with('{') {
            out.push(',');
        }
        out.push('"');
        out.push_str(k);
        out.push_str("\":");
        gen_value(r, depth, out);
    }
    out.push('}');
}

fn canon_scalar(s: &Scalar<'_>) -> String {
    match s {
        Scalar::Str(v) => format!("s:{v}"),
        Scalar::Num(n) => format!("n:{}", n.parse::<f64>().unwrap()),
        Scalar::Bool(b) => format!("b:{b}"),
        Scalar::Null => "null".into(),
        Scalar::Object => "obj".into(),
    }
}

fn canon_leaf(l: Leaf<'_>) -> String {
    match l {
        Leaf::Str(v) => format!("s:{v}"),
        Leaf::Num(n) => format!("n:{}", n.as_f64().unwrap()),
        Leaf::Bool(b) => format!("b:{b}"),
        Leaf::Null => "null".into(),
        Leaf::Object => "obj".into(),
    }
}

fn compare(line: &str) -> Option<bool> {
    compare_bytes(line.as_bytes())
}

/// Decodes `line` both ways: `None` when the decoder defers to a full parse, else whether the
/// line is an event (after checking that both agree, field by field).
fn compare_bytes(line: &[u8]) -> Option<bool> {
    // A duplicate key falls back only where the table reads it, so only two verdicts compare.
    match (compare_with(line, FIELDS), compare_with(line, WIDE)) {
        (Some(a), Some(b)) => {
            assert_eq!(a, b, "{:?}", String::from_utf8_lossy(line));
            Some(a)
        }
        (a, b) => a.and(b),
    }
}

fn compare_with(line: &[u8], fields: &'static [&'static str]) -> Option<bool> {
    let table = FieldTable::new(fields, false);
    let mut slots = Slots::default();
    let full: Result<Value, _> = serde_json::from_slice(line);
    let fast = decode(line, &table, &mut slots);
    let full_ok = matches!(&full, Ok(Value::Object(_)));
    let out_of_range = matches!(&full, Err(e) if e.to_string().contains("number out of range"));
    match (&fast, full_ok) {
        (Err(DecodeError::Fallback), true) => return None,
        // Deliberate: the decoder keeps numbers beyond f64 (as infinity).
        (Ok(()), false) if out_of_range => return None,
        (Ok(()), true) => {}
        (Err(DecodeError::Invalid(_) | DecodeError::NotAnObject(_)), false) => return Some(false),
        _ => panic!(
            "acceptance differs on {:?}: fast {fast:?}, full {:?}",
            String::from_utf8_lossy(line),
            full.map(|_| ())
        ),
    }
    let root = full.unwrap();
    for (id, name) in fields.iter().enumerate() {
        let mut want: Vec<String> = Vec::new();
        field::any_leaf(&root, name, &mut |l| {
            want.push(canon_leaf(l));
            false
        });
        let mut got: Vec<String> = slots.leaves(id).map(canon_scalar).collect();
        want.sort();
        got.sort();
        let text = String::from_utf8_lossy(line);
        assert_eq!(got, want, "field {name} in {text}");
        assert_eq!(
            slots.present(id),
            field::exists(&root, name),
            "presence of {name} in {text}"
        );
    }
    Some(true)
}

#[test]
fn random_events_decode_like_a_full_parse() {
    let mut r = Rng(0x2545_f491_4f6c_dd1d);
    let (mut checked, mut fallback) = (0, 0);
    for _ in 0..20_000 {
        let mut line = String::new();
        gen_object(&mut r, 0, &mut line);
        match compare(&line) {
            Some(true) => checked += 1,
            None => fallback += 1,
            Some(false) => panic!("generated invalid JSON: {line}"),
        }
    }
    assert!(checked > 19_000, "checked {checked}, fallback {fallback}");
}

#[test]
fn mutated_lines_are_accepted_and_rejected_like_a_full_parse() {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let mut rejected = 0;
    const BYTES: &[u8] = b"{}[],:\"\\ \t\nx0-.eE+u\x01\x7f";
    for _ in 0..20_000 {
        let mut line = String::new();
        gen_object(&mut r, 0, &mut line);
        let mut bytes = line.into_bytes();
        for _ in 0..1 + r.below(3) {
            let at = r.below(bytes.len() + 1);
            match r.below(3) {
                0 if at < bytes.len() => bytes[at] = BYTES[r.below(BYTES.len())],
                1 => bytes.insert(at, BYTES[r.below(BYTES.len())]),
                _ => bytes.truncate(at.max(1)),
            }
        }
        if let Ok(line) = String::from_utf8(bytes) {
            if compare(&line) == Some(false) {
                rejected += 1;
            }
        }
    }
    assert!(rejected > 5_000, "only {rejected} mutations were invalid");
}

#[test]
fn edge_cases_agree() {
    for line in [
        "{}",
        " {} ",
        "{\"a\":1}x",
        "{\"a\":01}",
        "{\"a\":1.}",
        "{\"a\":-}",
        "{\"a\":\"\\ud800\"}",
        "{\"a\":\"\\udc00\"}",
        "{\"a\":\"\\ud800\\udc00\"}",
        "{\"a\":\"\\ud800\\u0041\"}",
        "{\"a\":\"\t\"}",
        "{\"a\":[1,]}",
        "{\"a\":{\"b\":}}",
        "{\"zz\":[[[[]]]]}",
        "{\"a\":tru}",
        "[1]",
        "\"s\"",
        "nul",
        "",
        "{\"a\":1}\u{c}",
        "{\"a\":\"x\\qy\"}",
        "{\"k\":99999999999999999999999}",
    ] {
        compare(line);
    }
    let deep_ok = format!("{{\"zz\":{}1{}}}", "[".repeat(126), "]".repeat(126));
    let deep_bad = format!("{{\"zz\":{}1{}}}", "[".repeat(127), "]".repeat(127));
    assert_eq!(compare(&deep_ok), Some(true));
    assert_eq!(compare(&deep_bad), Some(false));
}

#[test]
fn numbers_beyond_f64_are_kept_as_infinity() {
    let table = FieldTable::new(FIELDS, false);
    let mut slots = Slots::default();
    assert_eq!(
        decode(br#"{"a":1e400,"b":-1e400}"#, &table, &mut slots),
        Ok(())
    );
    assert!(serde_json::from_str::<Value>(r#"{"a":1e400}"#).is_err());
    assert_eq!(slots.leaves(0).next(), Some(&Scalar::Num("1e400")));
}

#[test]
fn duplicate_keys_that_rules_read_fall_back() {
    let table = FieldTable::new(FIELDS, false);
    let mut slots = Slots::default();
    assert_eq!(
        decode(br#"{"a":1,"a":2}"#, &table, &mut slots),
        Err(DecodeError::Fallback)
    );
    assert_eq!(decode(br#"{"zz":1,"zz":2}"#, &table, &mut slots), Ok(()));
}

#[test]
fn strings_borrow_unless_escaped() {
    let table = FieldTable::new(&["a", "b"], false);
    let mut slots = Slots::default();
    decode(br#"{"a":"plain","b":"es\"caped"}"#, &table, &mut slots).unwrap();
    assert!(matches!(
        slots.leaves(0).next().unwrap(),
        Scalar::Str(std::borrow::Cow::Borrowed("plain"))
    ));
    assert!(
        matches!(slots.leaves(1).next().unwrap(), Scalar::Str(std::borrow::Cow::Owned(s)) if s == "es\"caped")
    );
}

#[test]
fn non_ascii_and_bad_utf8_are_judged_like_a_full_parse() {
    let mut r = Rng(0x51_7cc1_b727_220a);
    let (mut accepted, mut rejected) = (0, 0);
    // Lead bytes, continuation bytes, an overlong lead, surrogate-range and out-of-range leads.
    const BYTES: &[u8] = b"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xed\xa0\xc0\xff\xf5\x80\xbf\"x";
    for _ in 0..20_000 {
        let mut line = String::new();
        gen_object(&mut r, 0, &mut line);
        let mut bytes = line.into_bytes();
        for _ in 0..1 + r.below(3) {
            let at = r.below(bytes.len() + 1);
            let b = BYTES[r.below(BYTES.len())];
            match r.below(3) {
                0 if at < bytes.len() => bytes[at] = b,
                1 => bytes.insert(at, b),
                _ => {
                    let c = ["é", "€", "😀"][r.below(3)];
                    bytes.splice(at..at, c.bytes());
                }
            }
        }
        match compare_bytes(&bytes) {
            Some(true) => accepted += 1,
            Some(false) => rejected += 1,
            None => {}
        }
    }
    assert!(
        accepted > 500 && rejected > 1_000,
        "accepted {accepted}, rejected {rejected}"
    );
    for line in [
        &b"{\"a\":\"caf\xc3\xa9\"}"[..],
        b"{\"a\":\"caf\xc3\"}",
        b"{\"a\":\"\xed\xa0\x80\"}",
        b"{\"a\":\"\xc0\x80\"}",
        b"{\"\xc3\xa9\":1}",
        b"{\"a\":1}\xc3\xa9",
        b"\xef\xbb\xbf{}",
    ] {
        compare_bytes(line);
    }
}

#[test]
fn remembered_ids_agree_with_the_table() {
    let table = FieldTable::new(WIDE, false);
    // Twice each: the second answer comes from the cache. Slices of one literal share an
    // address and differ only in length.
    let text: &'static str = "a.b.c";
    let probes: Vec<&'static str> = WIDE
        .iter()
        .copied()
        .chain([&text[..1], &text[..3], text, "nope", "a.b.c.d"])
        .collect();
    for _ in 0..2 {
        for name in &probes {
            assert_eq!(table.id_of(name), table.id(name), "{name}");
            assert_eq!(
                table.id_of(name).map(|i| WIDE[i]),
                WIDE.iter().find(|n| *n == name).copied()
            );
        }
    }
}

#[test]
fn remembered_ids_of_a_large_table_agree_with_it() {
    // More names than 8 bits of id hold, as a large rule set has.
    let mut names: Vec<&'static str> = (0..3000)
        .map(|i| &*Box::leak(format!("f{i:05}.x").into_boxed_str()))
        .collect();
    names.sort_unstable();
    let names: &'static [&'static str] = Box::leak(names.into_boxed_slice());
    let table = FieldTable::new(names, false);
    for _ in 0..3 {
        for (i, name) in names.iter().enumerate().rev() {
            assert_eq!(table.id_of(name), Some(i), "{name}");
            // A prefix of the same text (same address, other length) is another name.
            assert_eq!(table.id_of(&name[..3]), None, "{name}");
        }
    }
}

#[test]
fn leaves_of_a_field_keep_document_order() {
    let table = FieldTable::new(FIELDS, false);
    let mut slots = Slots::default();
    decode(
        br#"{"a":[1,{"b":2}],"k":3,"a.b":[4,5],"b":6}"#,
        &table,
        &mut slots,
    )
    .unwrap();
    let id = |n: &str| table.id(n).unwrap();
    let nums = |f: &str| -> Vec<String> { slots.leaves(id(f)).map(canon_scalar).collect() };
    assert_eq!(nums("a.b"), ["n:2", "n:4", "n:5"]);
    assert_eq!(nums("k"), ["n:3"]);
    assert_eq!(nums("b"), ["n:6"]);
    assert_eq!(nums("a"), ["n:1", "obj"]);
    assert!(nums("c.d.e").is_empty());
}

#[test]
fn field_masks_hold_exactly_when_every_field_is_reached() {
    // More than 64 names, so that masks span words.
    let names: &'static [&'static str] = Box::leak(
        (0..70)
            .map(|i| &*Box::leak(format!("f{i:02}").into_boxed_str()))
            .collect::<Vec<&'static str>>()
            .into_boxed_slice(),
    );
    let table = FieldTable::new(names, false);
    let mask = table.mask(&["f03", "f68", "not-a-field"]);
    assert_eq!(mask, vec![(0, 1 << 3), (1, 1 << 4)]);
    for (line, reaches) in [
        (r#"{"f03":1,"f68":null}"#, true),
        (r#"{"f03":[],"f68":{},"f10":2}"#, true),
        (r#"{"f03":1}"#, false),
        (r#"{"f68":"x"}"#, false),
        (r#"{"f3":1,"f68":1}"#, false),
    ] {
        let mut slots = Slots::default();
        decode(line.as_bytes(), &table, &mut slots).expect("valid line");
        assert_eq!(slots.reaches(&mask), reaches, "{line}");
    }
    assert!(Slots::default().reaches(&[]));
}

#[test]
fn unescaped_strings_reuse_emptied_buffers_without_stale_text() {
    let table = FieldTable::new(&["a", "b"], false);
    let mut slots = Slots::default();
    let lines = [
        r#"{"a":"x\u0026yyyyyyyyyyyyyyyy","b":"\"quoted\""}"#,
        r#"{"a":"\u0041","b":"plain"}"#,
        r#"{"b":"z\\"}"#,
    ];
    for round in 0..3 {
        for line in lines {
            let mut s = slots.recycle();
            decode(line.as_bytes(), &table, &mut s).expect("valid line");
            let expected: Value = serde_json::from_str(line).expect("valid JSON");
            for (id, name) in ["a", "b"].iter().enumerate() {
                let got: Vec<String> = s
                    .leaves(id)
                    .map(|l| match l {
                        Scalar::Str(t) => t.to_string(),
                        other => panic!("{other:?}"),
                    })
                    .collect();
                let want: Vec<String> = expected
                    .get(*name)
                    .map(|v| v.as_str().expect("string").to_owned())
                    .into_iter()
                    .collect();
                assert_eq!(got, want, "round {round}, {line}, field {name}");
            }
            slots = s.recycle();
        }
    }
}
