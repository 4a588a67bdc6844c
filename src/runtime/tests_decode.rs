//! The selective decoder against serde_json plus the tree lookup of `field.rs`: the same lines
//! are accepted, and every field reaches the same values.

use super::decode::{decode, DecodeError, FieldTable, Scalar, Slots};
use super::field::{self, Leaf};
use serde_json::Value;

const FIELDS: &[&str] = &["a", "a.b", "a.b.c", "c.d.e", "x/y", "b", "arr.k", "k"];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

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
            ];
            out.push_str(S[r.below(S.len() as u64) as usize]);
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
            out.push_str(N[r.below(N.len() as u64) as usize]);
        }
        2 => out.push_str(["true", "false"][r.below(2) as usize]),
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
        "a", "b", "c", "a.b", "b.c", "c.d", "d.e", "x/y", "x\\/y", "arr", "k", "\\u0061", "zz", "d",
    ];
    out.push('{');
    let n = r.below(5);
    let mut used = Vec::new();
    for i in 0..n {
        let k = KEYS[r.below(KEYS.len() as u64) as usize];
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
    let table = FieldTable {
        names: FIELDS,
        all_leaves: false,
    };
    let mut slots = Slots::default();
    let full: Result<Value, _> = serde_json::from_str(line);
    let fast = decode(line.as_bytes(), &table, &mut slots);
    let full_ok = matches!(&full, Ok(Value::Object(_)));
    let out_of_range = matches!(&full, Err(e) if e.to_string().contains("number out of range"));
    match (&fast, full_ok) {
        (Err(DecodeError::Fallback), true) => return None,
        // Deliberate: the decoder keeps numbers beyond f64 (as infinity).
        (Ok(()), false) if out_of_range => return None,
        (Ok(()), true) => {}
        (Err(DecodeError::Invalid(_)), false) => return Some(false),
        _ => panic!(
            "acceptance differs on {line:?}: fast {fast:?}, full {:?}",
            full.map(|_| ())
        ),
    }
    let root = full.unwrap();
    for (id, name) in FIELDS.iter().enumerate() {
        let mut want: Vec<String> = Vec::new();
        field::any_leaf(&root, name, &mut |l| {
            want.push(canon_leaf(l));
            false
        });
        let mut got: Vec<String> = slots.leaves(id).map(canon_scalar).collect();
        want.sort();
        got.sort();
        assert_eq!(got, want, "field {name} in {line}");
        assert_eq!(
            slots.present(id),
            field::exists(&root, name),
            "presence of {name} in {line}"
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
            let at = r.below(bytes.len() as u64 + 1) as usize;
            match r.below(3) {
                0 if at < bytes.len() => bytes[at] = BYTES[r.below(BYTES.len() as u64) as usize],
                1 => bytes.insert(at, BYTES[r.below(BYTES.len() as u64) as usize]),
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
    let table = FieldTable {
        names: FIELDS,
        all_leaves: false,
    };
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
    let table = FieldTable {
        names: FIELDS,
        all_leaves: false,
    };
    let mut slots = Slots::default();
    assert_eq!(
        decode(br#"{"a":1,"a":2}"#, &table, &mut slots),
        Err(DecodeError::Fallback)
    );
    assert_eq!(decode(br#"{"zz":1,"zz":2}"#, &table, &mut slots), Ok(()));
}

#[test]
fn strings_borrow_unless_escaped() {
    let table = FieldTable {
        names: &["a", "b"],
        all_leaves: false,
    };
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
