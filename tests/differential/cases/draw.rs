//! Drawing a rule: its selections and clauses (field, modifiers, values), keywords, patterns
//! and numbers, from the grammar's tables.

use super::condition::condition;
use super::render::{key, render_clause, render_keywords};
use super::{
    Clause, Enc, Mode, Piece, RePart, Rng, ANY_FIELDS, INVALID, NUM_FIELDS, SCALAR_WORDS,
    STR_FIELDS, WORDS,
};
use serde_json::Value;
use std::fmt::Write as _;

/// A random rule: its YAML and every clause in it.
pub(super) fn rule(rng: &mut Rng, i: usize, logsource: &str) -> (String, Vec<Clause>) {
    let mut clauses = Vec::new();
    let families: &[&[&str]] = &[
        &["selection"],
        &["sel_a", "sel_b"],
        &["sel_a", "sel_b", "filter_x"],
        &["sel_1", "filter_1", "filter_2"],
        &["sel_a", "sel_b", "filter_x", "filter_y"],
        &["main", "_aux"],
        &["keywords", "sel"],
    ];
    let names: Vec<&str> = rng.pick(families).to_vec();
    let mut detection = String::new();
    for name in &names {
        let _ = writeln!(detection, "    {name}:");
        if *name == "keywords" {
            let c = keywords(rng);
            render_keywords(&c, &mut detection);
            clauses.push(c);
            continue;
        }
        if rng.chance(20) {
            for _ in 0..2 {
                let n = 1 + rng.below(2);
                let entries = entries(rng, n);
                for (j, c) in entries.iter().enumerate() {
                    let lead = if j == 0 {
                        "        -   "
                    } else {
                        "            "
                    };
                    render_clause(c, lead, "                ", &mut detection);
                }
                clauses.extend(entries);
            }
        } else {
            let n = 1 + rng.below(3);
            let entries = entries(rng, n);
            for c in &entries {
                render_clause(c, "        ", "            ", &mut detection);
            }
            clauses.extend(entries);
        }
    }
    let condition = condition(rng, &names);
    detection.push_str(&condition);
    let mut yaml = String::new();
    let _ = write!(
        yaml,
        "title: 'generated case {i:04}'\nid: '{}'\nstatus: 'test'\n{logsource}detection:\n{detection}level: 'low'\n",
        uuid(rng)
    );
    (yaml, clauses)
}

fn uuid(rng: &mut Rng) -> String {
    let a = rng.next();
    let b = rng.next();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | ((b >> 48) & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

/// `n` clauses with distinct keys.
fn entries(rng: &mut Rng, n: usize) -> Vec<Clause> {
    let mut out: Vec<Clause> = Vec::new();
    while out.len() < n {
        let c = clause(rng);
        if out.iter().all(|o| key(o) != key(&c)) {
            out.push(c);
        }
    }
    out
}

fn clause(rng: &mut Rng) -> Clause {
    if rng.chance(2) {
        let &(key, value) = rng.pick(INVALID);
        return Clause::Invalid { key, value };
    }
    match rng.below(100) {
        0..=29 => {
            let mode = *rng.pick(&[Mode::Eq, Mode::Contains, Mode::StartsWith, Mode::EndsWith]);
            let n = if rng.chance(35) { 2 + rng.below(2) } else { 1 };
            let scalars = rng.chance(20);
            Clause::Str {
                field: if scalars {
                    rng.pick_str(NUM_FIELDS)
                } else {
                    rng.pick_str(STR_FIELDS)
                },
                mode,
                cased: rng.chance(20),
                all: n > 1 && rng.chance(35),
                values: (0..n)
                    .map(|_| {
                        if scalars {
                            scalar_pattern(rng, mode != Mode::Eq)
                        } else {
                            pattern(rng, mode != Mode::Eq)
                        }
                    })
                    .collect(),
            }
        }
        30..=39 => {
            let mut parts = Vec::new();
            for _ in 0..1 + rng.below(3) {
                parts.push(match rng.below(9) {
                    0..=2 => RePart::Lit(rng.pick_str(WORDS).to_string()),
                    3 => RePart::Dot,
                    4 => RePart::Digits,
                    5 => RePart::Word,
                    6 => RePart::Space,
                    7 => RePart::Class,
                    _ => RePart::Alt(
                        rng.pick_str(WORDS).to_string(),
                        rng.pick_str(WORDS).to_string(),
                    ),
                });
            }
            Clause::Re {
                field: rng.pick_str(&["s1", "s2", "msg"]),
                flags: rng.pick_str(&["", "", "|i", "|m", "|s", "|i|m", "|i|s"]),
                mode: *rng.pick(&[
                    Mode::Eq,
                    Mode::Eq,
                    Mode::Contains,
                    Mode::StartsWith,
                    Mode::EndsWith,
                ]),
                anchored: (rng.chance(30), rng.chance(30)),
                parts,
            }
        }
        40..=44 => Clause::Windash {
            contains: rng.chance(80),
            head: rng.pick_str(&["tool", "cmd.exe", "x"]).to_string(),
            dash: *rng.pick(&['-', '/']),
            word: rng
                .pick_str(&["flag", "e", "EncodedCommand", "c", "v-v"])
                .to_string(),
        },
        45..=51 => {
            let offset = rng.chance(70);
            Clause::Base64 {
                offset,
                contains: offset || rng.chance(50),
                enc: *rng.pick(&[Enc::Utf8, Enc::Utf8, Enc::Wide, Enc::Utf16Be, Enc::Utf16]),
                cased: rng.chance(15),
                text: rng
                    .pick_str(&[
                        "whoami",
                        "/bin/sh",
                        "IEX(",
                        "Invoke-Expression",
                        "ab",
                        "abc",
                        "hello world",
                    ])
                    .to_string(),
            }
        }
        52..=57 => {
            let n = 1 + usize::from(rng.chance(30));
            Clause::Cidr {
                nets: (0..n)
                    .map(|_| {
                        let v6 = rng.chance(40);
                        let addr = if v6 {
                            u128::from(rng.next()) << 64 | u128::from(rng.next())
                        } else {
                            u128::from(rng.next() as u32)
                        };
                        let prefix = if v6 {
                            *rng.pick(&[16u8, 32, 48, 64, 96, 127, 128])
                        } else {
                            *rng.pick(&[8u8, 12, 16, 20, 24, 27, 31, 32])
                        };
                        let bits = if v6 { 128 } else { 32 };
                        let mask = if prefix == 0 {
                            0
                        } else {
                            (!0u128 << (bits - prefix)) & (if v6 { !0 } else { 0xffff_ffff })
                        };
                        (addr & mask, prefix, v6)
                    })
                    .collect(),
            }
        }
        58..=64 => Clause::Cmp {
            field: rng.pick_str(NUM_FIELDS),
            op: rng.pick_str(&["gt", "gte", "lt", "lte"]),
            n: number(rng),
        },
        65..=69 => Clause::Neq {
            field: rng.pick_str(&["s1", "s2", "arr"]),
            values: (0..1 + rng.below(2))
                .map(|_| rng.pick_str(WORDS).to_string())
                .collect(),
        },
        70..=72 => Clause::Exists {
            field: rng.pick_str(ANY_FIELDS),
            exists: rng.chance(60),
        },
        73..=75 => Clause::Null {
            field: rng.pick_str(ANY_FIELDS),
        },
        76..=78 => Clause::Star {
            field: rng.pick_str(ANY_FIELDS),
        },
        79..=84 => Clause::Num {
            field: rng.pick_str(NUM_FIELDS),
            n: number(rng),
        },
        85..=87 => Clause::Bool {
            field: "b1",
            b: rng.chance(50),
        },
        88..=93 => Clause::FieldRef {
            field: rng.pick_str(&["s1", "arr"]),
            other: rng.pick_str(&["ref1", "objs.ref"]),
            mode: *rng.pick(&[Mode::Eq, Mode::Contains, Mode::StartsWith, Mode::EndsWith]),
        },
        _ => {
            let part = rng.pick_str(&["minute", "hour", "day", "month", "year"]);
            let value = match part {
                "minute" => rng.range(0, 59),
                "hour" => rng.range(0, 23),
                "day" => rng.range(1, 28),
                "month" => rng.range(1, 12),
                _ => rng.range(2019, 2026),
            };
            Clause::Time { part, value }
        }
    }
}

fn number(rng: &mut Rng) -> f64 {
    let n = rng.range(-20, 300) as f64;
    if rng.chance(20) {
        n + 0.5
    } else {
        n
    }
}

fn keywords(rng: &mut Rng) -> Clause {
    let n = 1 + rng.below(3);
    Clause::Keywords {
        all: n > 1 && rng.chance(40),
        words: (0..n)
            .map(|_| {
                if rng.chance(25) {
                    scalar_pattern(rng, true)
                } else {
                    pattern(rng, true)
                }
            })
            .collect(),
    }
}

/// A string value that reads as a number or a boolean, sometimes with a wildcard.
fn scalar_pattern(rng: &mut Rng, wildcards: bool) -> Vec<Piece> {
    let word = rng.pick_str(SCALAR_WORDS).to_owned();
    if wildcards && rng.chance(30) {
        let cut = rng.below(word.len()) + 1;
        return vec![
            Piece::Lit(word[..cut].to_owned()),
            if rng.chance(50) {
                Piece::Star
            } else {
                Piece::Qmark
            },
        ];
    }
    vec![Piece::Lit(word)]
}

/// The JSON value for text: half of the time a number or boolean when the text is one (so
/// `42.0` becomes the JSON number written `42.0`), else the string.
pub(super) fn typed(rng: &mut Rng, s: String) -> Value {
    match serde_json::from_str::<Value>(&s) {
        Ok(v @ (Value::Number(_) | Value::Bool(_))) if rng.chance(50) => v,
        _ => Value::from(s),
    }
}

/// A string value: words, sometimes with wildcards.
fn pattern(rng: &mut Rng, allow_empty_edges: bool) -> Vec<Piece> {
    let mut out = Vec::new();
    for k in 0..1 + rng.below(2) {
        if k > 0 || (allow_empty_edges && rng.chance(10)) {
            out.push(match rng.below(3) {
                0 => Piece::Qmark,
                _ => Piece::Star,
            });
        }
        let mut word = rng.pick_str(WORDS).to_string();
        if rng.chance(15) {
            word.push(*rng.pick(&['*', '?', '\\']));
        }
        out.push(Piece::Lit(word));
    }
    if rng.chance(10) {
        out.push(Piece::Star);
    }
    out
}
