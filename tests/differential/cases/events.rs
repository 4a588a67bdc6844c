//! Events: putting values at dotted paths, instances of patterns, encodings, timestamps and
//! addresses, and the values that hit or miss each clause.

use super::draw::typed;
use super::render::yaml_number;
use super::{Clause, Enc, Mode, Piece, RePart, Rng, FILLER, WORDS};
use serde_json::{Map, Value};
use std::net::{Ipv4Addr, Ipv6Addr};

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/// Sets `field` (a dotted path) in the event. An existing value is kept beside the new one
/// (as an array) half of the time, so that any-element matching is exercised too.
pub(super) fn put(rng: &mut Rng, ev: &mut Map<String, Value>, field: &str, v: Value) {
    let v = if rng.chance(5) {
        Value::Array(vec![Value::Array(vec![v]), Value::Null])
    } else {
        v
    };
    if field == "d.k" && rng.chance(50) {
        return put_leaf(rng, ev, "d.k", v);
    }
    let mut parts: Vec<&str> = field.split('.').collect();
    let leaf = parts.pop().expect("a field has a name");
    let mut map = ev;
    for part in parts {
        if part == "objs" {
            let arr = map
                .entry("objs")
                .or_insert_with(|| Value::Array(Vec::new()));
            if !arr.is_array() {
                *arr = Value::Array(Vec::new());
            }
            let items = arr.as_array_mut().expect("array");
            let mut item = Map::new();
            item.insert(leaf.to_owned(), v);
            items.push(Value::Object(item));
            return;
        }
        let next = map.entry(part).or_insert_with(|| Value::Object(Map::new()));
        if !next.is_object() {
            *next = Value::Object(Map::new());
        }
        map = next.as_object_mut().expect("object");
    }
    put_leaf(rng, map, leaf, v);
}

fn put_leaf(rng: &mut Rng, map: &mut Map<String, Value>, leaf: &str, v: Value) {
    match map.get_mut(leaf) {
        Some(Value::Array(items)) if rng.chance(60) => items.push(v),
        Some(old) if rng.chance(50) => {
            let old = old.take();
            map.insert(leaf.to_owned(), Value::Array(vec![old, v]));
        }
        _ => {
            map.insert(leaf.to_owned(), v);
        }
    }
}

/// Changes the case of some characters (only where that maps one char to one char).
fn vary_case(rng: &mut Rng, s: &str) -> String {
    s.chars()
        .map(|c| {
            let mut up = c.to_uppercase();
            let mut low = c.to_lowercase();
            match rng.below(3) {
                0 if up.len() == 1 => up.next().expect("one"),
                1 if low.len() == 1 => low.next().expect("one"),
                _ => c,
            }
        })
        .collect()
}

fn filler(rng: &mut Rng, max: usize) -> String {
    (0..rng.below(max + 1)).map(|_| *rng.pick(FILLER)).collect()
}

/// Text the pattern matches (case varied unless `cased`).
fn instance(rng: &mut Rng, pieces: &[Piece], cased: bool) -> String {
    let mut out = String::new();
    for p in pieces {
        match p {
            Piece::Lit(s) if cased => out.push_str(s),
            Piece::Lit(s) => out.push_str(&vary_case(rng, s)),
            Piece::Star => out.push_str(&filler(rng, 3)),
            Piece::Qmark => out.push(*rng.pick(FILLER)),
        }
    }
    out
}

fn around(rng: &mut Rng, s: String, mode: Mode) -> String {
    match mode {
        Mode::Eq => s,
        Mode::Contains => format!("{}{s}{}", filler(rng, 3), filler(rng, 3)),
        Mode::StartsWith => format!("{s}{}", filler(rng, 3)),
        Mode::EndsWith => format!("{}{s}", filler(rng, 3)),
    }
}

/// Text close to `s` that should not match it: one character changed, or a prefix cut.
fn mutate(rng: &mut Rng, s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        return "x".to_owned();
    }
    let i = rng.below(chars.len());
    match rng.below(3) {
        0 => chars[i] = *rng.pick(FILLER),
        1 => {
            chars.remove(i);
        }
        _ => {
            let c = chars[i];
            chars[i] = if c.is_ascii_alphabetic() {
                ((c as u8) ^ 0x01) as char
            } else {
                'q'
            };
        }
    }
    chars.into_iter().collect()
}

pub(super) fn noise(rng: &mut Rng) -> Value {
    match rng.below(8) {
        0 => Value::Null,
        1 => Value::Array(Vec::new()),
        2 => Value::from(rng.range(-5, 500)),
        3 => Value::from(rng.chance(50)),
        4 => Value::from(""),
        5 => Value::Object(Map::new()),
        _ => {
            let w = rng.pick_str(WORDS);
            Value::from(vary_case(rng, w))
        }
    }
}

fn num_value(rng: &mut Rng, n: f64) -> Value {
    let text = yaml_number(n);
    match rng.below(4) {
        0 => Value::from(text),
        1 if n.fract() == 0.0 => Value::from(n as i64),
        _ => serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number),
    }
}

fn regex_instance(rng: &mut Rng, parts: &[RePart], ci: bool) -> String {
    let mut out = String::new();
    for p in parts {
        match p {
            RePart::Lit(s) if ci => out.push_str(&vary_case(rng, s)),
            RePart::Lit(s) => out.push_str(s),
            RePart::Dot => out.push(*rng.pick(&['x', 'é', ' ', '\n'])),
            RePart::Digits => out.push_str(rng.pick_str(&["7", "42", "٤٢", "0"])),
            RePart::Word => out.push_str(rng.pick_str(&["abc", "x_1", "é", "ab日"])),
            RePart::Space => out.push(*rng.pick(&[' ', '\t', '\n', '\u{a0}'])),
            RePart::Class => out.push_str(rng.pick_str(&["ab", "XZ", "c", "d"])),
            RePart::Alt(a, b) => out.push_str(if rng.chance(50) { a } else { b }),
        }
    }
    out
}

fn encode(enc: Enc, text: &str) -> Vec<u8> {
    match enc {
        Enc::Utf8 => text.as_bytes().to_vec(),
        Enc::Wide => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        Enc::Utf16Be => text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        Enc::Utf16 => [0xff, 0xfe]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect(),
    }
}

pub(super) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn timestamp(rng: &mut Rng, fixed: Option<(&str, i64)>) -> String {
    let mut parts = [
        ("year", rng.range(2019, 2026)),
        ("month", rng.range(1, 12)),
        ("day", rng.range(1, 28)),
        ("hour", rng.range(0, 23)),
        ("minute", rng.range(0, 59)),
    ];
    if let Some((name, v)) = fixed {
        for p in &mut parts {
            if p.0 == name {
                p.1 = v;
            }
        }
    }
    let [y, mo, d, h, mi] = parts.map(|p| p.1);
    let sec = rng.range(0, 59);
    match rng.below(4) {
        0 => format!(
            "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{sec:02}.{:06}Z",
            rng.range(0, 999_999)
        ),
        1 => format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{sec:02}"),
        _ => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{sec:02}Z"),
    }
}

fn host_in(rng: &mut Rng, net: u128, prefix: u8, v6: bool) -> String {
    let bits: u32 = if v6 { 128 } else { 32 };
    let host_bits = bits - u32::from(prefix);
    let mask = match host_bits {
        0 => 0,
        128 => !0,
        n => (1u128 << n) - 1,
    };
    let r = u128::from(rng.next()) << 64 | u128::from(rng.next());
    ip_text(rng, net | (r & mask), v6)
}

fn ip_text(rng: &mut Rng, addr: u128, v6: bool) -> String {
    if v6 {
        let a = Ipv6Addr::from(addr);
        if rng.chance(30) {
            let s = a.segments();
            s.iter()
                .map(|x| format!("{x:X}"))
                .collect::<Vec<_>>()
                .join(":")
        } else {
            a.to_string()
        }
    } else {
        Ipv4Addr::from(addr as u32).to_string()
    }
}

pub(super) fn hit(rng: &mut Rng, c: &Clause, ev: &mut Map<String, Value>) {
    match c {
        Clause::Invalid { .. } => {}
        Clause::Str {
            field,
            mode,
            cased,
            all,
            values,
        } => {
            if *all && *mode != Mode::Eq {
                let joined: String = values
                    .iter()
                    .map(|v| instance(rng, v, *cased))
                    .collect::<Vec<_>>()
                    .join(" ");
                let v = around(rng, joined, Mode::Contains);
                put(rng, ev, field, Value::from(v));
            } else if *all {
                for v in values {
                    let s = instance(rng, v, *cased);
                    let v = typed(rng, s);
                    put(rng, ev, field, v);
                }
            } else {
                let v = rng.pick(values).clone();
                let s = instance(rng, &v, *cased);
                let s = around(rng, s, *mode);
                let v = typed(rng, s);
                put(rng, ev, field, v);
            }
        }
        Clause::Re {
            field,
            flags,
            mode,
            parts,
            ..
        } => {
            let s = regex_instance(rng, parts, flags.contains('i'));
            let s = if rng.chance(50) {
                around(rng, s, *mode)
            } else {
                s
            };
            let s = if flags.contains('m') && rng.chance(50) {
                format!("first line\n{s}\nlast")
            } else {
                s
            };
            put(rng, ev, field, Value::from(s));
        }
        Clause::Windash {
            contains,
            head,
            word,
            ..
        } => {
            let dash = *rng.pick(&['-', '/', '\u{2013}', '\u{2014}', '\u{2015}']);
            let s = format!("{} {dash}{}", vary_case(rng, head), vary_case(rng, word));
            let s = if *contains {
                around(rng, s, Mode::Contains)
            } else {
                s
            };
            put(rng, ev, "cmd", Value::from(s));
        }
        Clause::Base64 {
            offset,
            contains,
            enc,
            cased,
            text,
        } => {
            let payload = encode(*enc, text);
            let s = if *offset {
                let mut bytes: Vec<u8> = (0..rng.below(5))
                    .map(|_| b'A' + rng.below(26) as u8)
                    .collect();
                bytes.extend(&payload);
                bytes.extend((0..rng.below(5)).map(|_| b'a' + rng.below(26) as u8));
                base64(&bytes)
            } else if *contains {
                format!("{}{}{}", filler(rng, 2), base64(&payload), filler(rng, 2))
            } else {
                base64(&payload)
            };
            let s = if !cased && rng.chance(20) {
                vary_case(rng, &s)
            } else {
                s
            };
            put(rng, ev, "enc", Value::from(s));
        }
        Clause::Cidr { nets } => {
            let &(net, prefix, v6) = rng.pick(nets);
            let ip = host_in(rng, net, prefix, v6);
            put(rng, ev, "ip", Value::from(ip));
        }
        Clause::Cmp { field, op, n } => {
            let d = rng.range(0, 30) as f64 + if rng.chance(20) { 0.5 } else { 0.0 };
            let v = match *op {
                "gt" => n + d.max(0.5),
                "gte" => n + d,
                "lt" => n - d.max(0.5),
                _ => n - d,
            };
            let v = num_value(rng, v);
            put(rng, ev, field, v);
        }
        Clause::Neq { field, values } => {
            if rng.chance(70) {
                let v = rng.pick(values).clone();
                let s = mutate(rng, &v);
                put(rng, ev, field, Value::from(s));
            }
        }
        Clause::Exists { field, exists } => {
            if *exists {
                let v = noise(rng);
                put(rng, ev, field, v);
            }
        }
        Clause::Null { field } => match rng.below(3) {
            0 => put(rng, ev, field, Value::Null),
            1 => put(rng, ev, field, Value::Array(Vec::new())),
            _ => {}
        },
        Clause::Star { field } => {
            let v = match rng.below(4) {
                0 => Value::from(""),
                1 => Value::from(rng.range(0, 9)),
                2 => Value::from(false),
                _ => Value::from("v"),
            };
            put(rng, ev, field, v);
        }
        Clause::Num { field, n } => {
            let v = num_value(rng, *n);
            put(rng, ev, field, v);
        }
        Clause::Bool { b, .. } => {
            let v = if rng.chance(60) {
                Value::from(*b)
            } else {
                Value::from(vary_case(rng, &b.to_string()))
            };
            put(rng, ev, "b1", v);
        }
        Clause::FieldRef { field, other, mode } => {
            let w = rng.pick_str(WORDS);
            let base = vary_case(rng, w);
            let mine = around(rng, base.clone(), *mode);
            put(rng, ev, field, Value::from(mine));
            let theirs = vary_case(rng, &base);
            put(rng, ev, other, Value::from(theirs));
        }
        Clause::Time { part, value } => {
            let ts = timestamp(rng, Some((part, *value)));
            put(rng, ev, "ts", Value::from(ts));
        }
        Clause::Keywords { all, words } => {
            let chosen: Vec<&Vec<Piece>> = if *all {
                words.iter().collect()
            } else {
                vec![rng.pick(words)]
            };
            for w in chosen {
                let s = instance(rng, w, false);
                let s = if rng.chance(70) {
                    around(rng, s, Mode::Contains)
                } else {
                    s
                };
                let field = rng.pick_str(&["kw", "s2", "objs.note", "n1"]);
                let v = typed(rng, s);
                put(rng, ev, field, v);
            }
        }
    }
}

pub(super) fn miss(rng: &mut Rng, c: &Clause, ev: &mut Map<String, Value>) {
    match c {
        Clause::Invalid { .. } => {}
        Clause::Str {
            field,
            mode,
            cased,
            values,
            ..
        } => {
            let v = rng.pick(values).clone();
            let keep_case = *cased && rng.chance(50);
            let s = instance(rng, &v, keep_case);
            let s = mutate(rng, &s);
            let s = around(rng, s, *mode);
            let v = typed(rng, s);
            put(rng, ev, field, v);
        }
        Clause::Re {
            field,
            parts,
            flags,
            ..
        } => {
            let ci = !flags.contains('i') || rng.chance(50);
            let s = regex_instance(rng, parts, ci);
            let s = mutate(rng, &s);
            put(rng, ev, field, Value::from(s));
        }
        Clause::Windash { head, word, .. } => {
            let dash = *rng.pick(&['_', '+', '\u{2212}', '~']);
            let s = format!("{head} {dash}{word}");
            put(rng, ev, "cmd", Value::from(s));
        }
        Clause::Base64 { enc, text, .. } => {
            let s = base64(&encode(*enc, &mutate(rng, text)));
            put(rng, ev, "enc", Value::from(s));
        }
        Clause::Cidr { nets } => {
            let &(net, prefix, v6) = rng.pick(nets);
            let addr = if prefix == 0 {
                net
            } else {
                let bits = if v6 { 128 } else { 32 };
                net ^ (1u128 << (bits - u32::from(prefix)))
            };
            let s = match rng.below(4) {
                0 => "not-an-ip".to_owned(),
                1 => ip_text(rng, addr, !v6),
                _ => ip_text(rng, addr, v6),
            };
            put(rng, ev, "ip", Value::from(s));
        }
        Clause::Cmp { field, op, n } => {
            let d = rng.range(0, 30) as f64;
            let v = match *op {
                "gt" => n - d,
                "gte" => n - d - 0.5,
                "lt" => n + d,
                _ => n + d + 0.5,
            };
            let v = if rng.chance(15) {
                Value::from(format!("n{}", yaml_number(v)))
            } else {
                num_value(rng, v)
            };
            put(rng, ev, field, v);
        }
        Clause::Neq { field, values } => {
            let v = rng.pick(values).clone();
            let s = vary_case(rng, &v);
            put(rng, ev, field, Value::from(s));
        }
        Clause::Exists { field, exists } => {
            if !exists {
                let v = noise(rng);
                put(rng, ev, field, v);
            }
        }
        Clause::Null { field } | Clause::Star { field } => {
            let v = if matches!(c, Clause::Null { .. }) {
                noise(rng)
            } else {
                Value::Null
            };
            put(rng, ev, field, v);
        }
        Clause::Num { field, n } => {
            let v = match rng.below(3) {
                0 => Value::from(format!("0{}", yaml_number(*n))),
                1 => Value::from(format!("{}.0", yaml_number(*n))),
                _ => num_value(rng, n + 1.0),
            };
            put(rng, ev, field, v);
        }
        Clause::Bool { b, .. } => {
            let v = match rng.below(3) {
                0 => Value::from(!b),
                1 => Value::from(if *b { "yes" } else { "no" }),
                _ => Value::from(i64::from(*b)),
            };
            put(rng, ev, "b1", v);
        }
        Clause::FieldRef { field, other, .. } => {
            let a = rng.pick_str(WORDS).to_string();
            let b = mutate(rng, &a);
            put(rng, ev, field, Value::from(a));
            put(rng, ev, other, Value::from(b));
        }
        Clause::Time { part, value } => {
            let other = match *part {
                "year" => value + 1,
                "minute" => (value + 1) % 60,
                "hour" => (value + 1) % 24,
                "month" => value % 12 + 1,
                _ => value % 28 + 1,
            };
            let ts = timestamp(rng, Some((part, other)));
            put(rng, ev, "ts", Value::from(ts));
        }
        Clause::Keywords { words, .. } => {
            let w = rng.pick(words).clone();
            let s = instance(rng, &w, false);
            let s = mutate(rng, &s);
            put(rng, ev, "kw", Value::from(s));
        }
    }
}
