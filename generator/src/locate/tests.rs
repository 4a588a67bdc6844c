//! Unit tests of the outline: positions, snippets, documents, odd keys, garbage input.

use super::Step::{Index, Key};
use super::*;

const SAMPLE: &str = r#"title: Suspicious Kubernetes Verb
id: 12345678-aaaa-bbbb-cccc-1234567890ab
status: experimental
description: |
    fake: key
    - not an item
    # still text, not a comment
references:
    - https://example.com/a
    - http://x
logsource:
    product: kubernetes
    service: audit
detection:
    selection:
        verb|cased:
            - create
            - update
            - delete
        'objectRef.resource': pods
    selection_maps:
        - annotations.authorization.k8s.io/decision|cased: allow
          user|contains: admin
        - "quoted\"key": 'a: b'
    filter:
        user: 'system:serviceaccount' # comment
    condition: selection and not filter
    # trailing comment

level: high
"#;

fn pos(line: usize, col: usize) -> Pos {
    Pos { line, col }
}

/// (at, len, value, lines, exact) of a path in document `doc`.
type Loc = (Pos, usize, Option<Pos>, (usize, usize), bool);
fn loc(o: &Outline, doc: usize, path: &[Step]) -> Loc {
    let l = o.locate(doc, path).expect("document has content");
    (l.at, l.len, l.value, l.lines, l.exact)
}

#[test]
fn sigma_rule_positions() {
    let o = Outline::new(SAMPLE);
    assert_eq!(o.documents(), 1);
    assert_eq!(loc(&o, 0, &[]), (pos(1, 1), 1, None, (1, 30), true));
    let desc = (pos(4, 1), 11, Some(pos(4, 14)), (4, 7), true);
    assert_eq!(loc(&o, 0, &[Key("description")]), desc);
    let fake = loc(&o, 0, &[Key("description"), Key("fake")]);
    assert_eq!(fake, (desc.0, desc.1, desc.2, desc.3, false));
    assert_eq!(
        loc(&o, 0, &[Key("fake")]),
        (pos(1, 1), 1, None, (1, 30), false)
    );
    let r1 = (pos(10, 5), 1, Some(pos(10, 7)), (10, 10), true);
    assert_eq!(loc(&o, 0, &[Key("references"), Index(1)]), r1);
    let svc = (pos(13, 5), 7, Some(pos(13, 14)), (13, 13), true);
    assert_eq!(loc(&o, 0, &[Key("logsource"), Key("service")]), svc);
    assert_eq!(
        loc(&o, 0, &[Key("detection")]),
        (pos(14, 1), 9, None, (14, 27), true)
    );
    let sel = [Key("detection"), Key("selection")];
    assert_eq!(loc(&o, 0, &sel), (pos(15, 5), 9, None, (15, 20), true));
    let verb = [Key("detection"), Key("selection"), Key("verb|cased")];
    assert_eq!(loc(&o, 0, &verb), (pos(16, 9), 10, None, (16, 19), true));
    let third = [
        Key("detection"),
        Key("selection"),
        Key("verb|cased"),
        Index(2),
    ];
    assert_eq!(
        loc(&o, 0, &third),
        (pos(19, 13), 1, Some(pos(19, 15)), (19, 19), true)
    );
    let fourth = [
        Key("detection"),
        Key("selection"),
        Key("verb|cased"),
        Index(3),
    ];
    assert_eq!(loc(&o, 0, &fourth), (pos(16, 9), 10, None, (16, 19), false));
    let res = [
        Key("detection"),
        Key("selection"),
        Key("objectRef.resource"),
    ];
    assert_eq!(
        loc(&o, 0, &res),
        (pos(20, 9), 20, Some(pos(20, 31)), (20, 20), true)
    );
    let maps = [Key("detection"), Key("selection_maps"), Index(0)];
    assert_eq!(
        loc(&o, 0, &maps),
        (pos(22, 9), 1, Some(pos(22, 11)), (22, 23), true)
    );
    let ann = "annotations.authorization.k8s.io/decision|cased";
    let p = [Key("detection"), Key("selection_maps"), Index(0), Key(ann)];
    assert_eq!(
        loc(&o, 0, &p),
        (
            pos(22, 11),
            ann.len(),
            Some(pos(22, 13 + ann.len())),
            (22, 22),
            true
        )
    );
    let p = [
        Key("detection"),
        Key("selection_maps"),
        Index(0),
        Key("user|contains"),
    ];
    assert_eq!(
        loc(&o, 0, &p),
        (pos(23, 11), 13, Some(pos(23, 26)), (23, 23), true)
    );
    let p = [
        Key("detection"),
        Key("selection_maps"),
        Index(1),
        Key("quoted\"key"),
    ];
    assert_eq!(
        loc(&o, 0, &p),
        (pos(24, 11), 13, Some(pos(24, 26)), (24, 24), true)
    );
    let p = [Key("detection"), Key("filter"), Key("user")];
    assert_eq!(
        loc(&o, 0, &p),
        (pos(26, 9), 4, Some(pos(26, 15)), (26, 26), true)
    );
    let cond = [Key("detection"), Key("condition")];
    assert_eq!(
        loc(&o, 0, &cond),
        (pos(27, 5), 9, Some(pos(27, 16)), (27, 27), true)
    );
    assert_eq!(
        loc(&o, 0, &[Key("level")]),
        (pos(30, 1), 5, Some(pos(30, 8)), (30, 30), true)
    );
    assert_eq!(o.locate(1, &[]), None);
}

#[test]
fn snippet_dedents() {
    let o = Outline::new(SAMPLE);
    let want = "selection:\n    verb|cased:\n        - create\n        - update\n        - delete\n    'objectRef.resource': pods";
    assert_eq!(o.snippet(15, 20), want);
    let want = "filter:\n    user: 'system:serviceaccount' # comment\ncondition: selection and not filter\n# trailing comment\n";
    assert_eq!(o.snippet(25, 29), want);
    assert_eq!(o.snippet(30, 99), "level: high");
    assert_eq!(o.snippet(5, 4), "");
    assert_eq!(o.snippet(0, 1), "title: Suspicious Kubernetes Verb");
}

#[test]
fn crlf_and_bom_keep_positions() {
    let lf = Outline::new(SAMPLE);
    let crlf = Outline::new(&format!("\u{feff}{}", SAMPLE.replace('\n', "\r\n")));
    let paths: [&[Step]; 4] = [
        &[],
        &[Key("title")],
        &[
            Key("detection"),
            Key("selection"),
            Key("verb|cased"),
            Index(2),
        ],
        &[Key("detection"), Key("condition")],
    ];
    for p in paths {
        assert_eq!(lf.locate(0, p), crlf.locate(0, p));
    }
    assert_eq!(
        loc(&crlf, 0, &[Key("title")]),
        (pos(1, 1), 5, Some(pos(1, 8)), (1, 1), true)
    );
    assert_eq!(crlf.snippet(16, 17), "verb|cased:\n    - create");
}

#[test]
fn multiple_documents() {
    let text = "%YAML 1.2\n---\ntitle: a\n...\n---  # second\ntitle: b\ndetection:\n  sel:\n    - x\n---\n# only a comment\n---\nk: [1,\n  2]\nafter: 1\n";
    let o = Outline::new(text);
    assert_eq!(o.documents(), 4);
    assert_eq!(
        loc(&o, 0, &[Key("title")]),
        (pos(3, 1), 5, Some(pos(3, 8)), (3, 3), true)
    );
    assert_eq!(loc(&o, 1, &[Key("title")]).0, pos(6, 1));
    let p = [Key("detection"), Key("sel"), Index(0)];
    assert_eq!(
        loc(&o, 1, &p),
        (pos(9, 5), 1, Some(pos(9, 7)), (9, 9), true)
    );
    assert_eq!(o.locate(2, &[]), None);
    assert_eq!(
        loc(&o, 3, &[Key("k"), Index(1)]),
        (pos(13, 1), 1, Some(pos(13, 4)), (13, 14), false)
    );
    assert_eq!(loc(&o, 3, &[Key("after")]).0, pos(15, 1));
    assert_eq!(o.locate(4, &[]), None);
    // No leading `---`; a bare document after `...`; a trailing `---` opens an empty one.
    let o = Outline::new("a: 1\n...\nb: 2\n---\n");
    assert_eq!(o.documents(), 3);
    assert_eq!(loc(&o, 1, &[Key("b")]).0, pos(3, 1));
    assert_eq!(o.locate(2, &[]), None);
    let o = Outline::new("# nothing\n\n");
    assert_eq!((o.documents(), o.locate(0, &[])), (1, None));
}

#[test]
fn quoted_and_odd_keys() {
    let o = Outline::new(
        "'a''b': 1\n\"c\\\\d\": 2\n\"e\\\"f\" : 3\nk: 'x: y' # c\na: 1\na: 2\n- http://x\n",
    );
    assert_eq!(
        loc(&o, 0, &[Key("a'b")]),
        (pos(1, 1), 6, Some(pos(1, 9)), (1, 1), true)
    );
    assert_eq!(
        loc(&o, 0, &[Key("c\\d")]),
        (pos(2, 1), 6, Some(pos(2, 9)), (2, 2), true)
    );
    assert_eq!(
        loc(&o, 0, &[Key("e\"f")]),
        (pos(3, 1), 6, Some(pos(3, 10)), (3, 3), true)
    );
    assert_eq!(loc(&o, 0, &[Key("k")]).2, Some(pos(4, 4)));
    assert!(!loc(&o, 0, &[Key("x")]).4);
    assert_eq!(loc(&o, 0, &[Key("a")]).0, pos(5, 1), "first duplicate wins");
    assert_eq!(
        loc(&o, 0, &[Index(0)]),
        (pos(7, 1), 1, Some(pos(7, 3)), (7, 7), true)
    );
    assert!(!loc(&o, 0, &[Key("http")]).4);
}

#[test]
fn sequences() {
    let o = Outline::new("key:\n- a\n- b\nother:\n  - - x\n    - y\n  -\n    k: v\n    j: |\n      z: 1\n\n      y: 2\n    l: 2\n");
    assert_eq!(
        loc(&o, 0, &[Key("key")]),
        (pos(1, 1), 3, None, (1, 3), true)
    );
    assert_eq!(loc(&o, 0, &[Key("key"), Index(1)]).0, pos(3, 1));
    let nested = [Key("other"), Index(0), Index(1)];
    assert_eq!(
        loc(&o, 0, &nested),
        (pos(6, 5), 1, Some(pos(6, 7)), (6, 6), true)
    );
    assert_eq!(loc(&o, 0, &[Key("other"), Index(0)]).2, Some(pos(5, 5)));
    let item = loc(&o, 0, &[Key("other"), Index(1)]);
    assert_eq!(item, (pos(7, 3), 1, None, (7, 13), true));
    assert_eq!(loc(&o, 0, &[Key("other"), Index(1), Key("j")]).3, (9, 12));
    assert!(!loc(&o, 0, &[Key("other"), Index(1), Key("j"), Key("y")]).4);
    assert_eq!(
        loc(&o, 0, &[Key("other"), Index(1), Key("l")]).0,
        pos(13, 5)
    );
    assert!(!loc(&o, 0, &[Key("other"), Index(1), Key("j"), Key("z")]).4);
}

#[test]
fn flow_and_multiline_scalars() {
    let text = "detection:\n  sel: {a: 1,\n    b: 2}\n  q: \"abc\nx: y\n  z\"\n  p: plain\n    w: v\n  cond: sel # c\n";
    let o = Outline::new(text);
    let sel = loc(&o, 0, &[Key("detection"), Key("sel"), Key("b")]);
    assert_eq!(sel, (pos(2, 3), 3, Some(pos(2, 8)), (2, 3), false));
    assert_eq!(loc(&o, 0, &[Key("detection"), Key("q")]).3, (4, 6));
    assert!(!loc(&o, 0, &[Key("x")]).4);
    let p = loc(&o, 0, &[Key("detection"), Key("p"), Key("w")]);
    assert_eq!((p.0, p.3, p.4), (pos(7, 3), (7, 8), false));
    let cond = loc(&o, 0, &[Key("detection"), Key("cond")]);
    assert_eq!(cond, (pos(9, 3), 4, Some(pos(9, 9)), (9, 9), true));
    assert_eq!(loc(&o, 0, &[Key("detection")]).3, (1, 9));
    // Single quotes open a scalar only at its start.
    let o = Outline::new("s: 'it''s\nfake: 1\n  end'\nt: it's\nu: 1\n");
    assert_eq!(loc(&o, 0, &[Key("s")]).3, (1, 3));
    assert!(!loc(&o, 0, &[Key("fake")]).4);
    assert_eq!(loc(&o, 0, &[Key("u")]).0, pos(5, 1));
    // A block scalar item, and an unterminated flow that swallows the rest.
    let o = Outline::new("a:\n  - >-\n    k: v\n  - [x,\nb: 1\n");
    assert_eq!(loc(&o, 0, &[Key("a"), Index(0)]).3, (2, 3));
    assert_eq!(loc(&o, 0, &[Key("a"), Index(1)]).3, (4, 5));
    assert!(!loc(&o, 0, &[Key("b")]).4);
}

#[test]
fn garbage_never_panics() {
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    const ALPHABET: &[u8] = b" \t\n\r-:#'\"|>[]{},.%!&*?\\ab\xc3\xa9\xef\xbb\xbf";
    let mut inputs: Vec<String> = (0..=SAMPLE.len())
        .filter_map(|i| SAMPLE.get(..i).map(String::from))
        .collect();
    for _ in 0..3000 {
        let len = (next() % 120) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
            .collect();
        inputs.push(String::from_utf8_lossy(&bytes).into_owned());
    }
    let paths: [&[Step]; 5] = [
        &[],
        &[Key("a")],
        &[Index(0), Index(1)],
        &[Key("detection"), Key("selection"), Index(0)],
        &[Index(2), Key("b"), Index(0)],
    ];
    for text in &inputs {
        let o = Outline::new(text);
        let lines = text.lines().count();
        assert!(o.documents() <= lines + 1);
        for doc in 0..=o.documents() {
            for p in paths {
                if let Some(l) = o.locate(doc, p) {
                    assert!(l.at.line >= 1 && l.at.col >= 1 && l.len >= 1);
                    assert!(l.lines.0 == l.at.line && l.lines.0 <= l.lines.1 && l.lines.1 <= lines);
                }
            }
        }
        let (a, b) = ((next() % 8) as usize, (next() % 8) as usize);
        assert!(o.snippet(a, b).lines().count() <= b.saturating_sub(a.max(1)) + 1);
    }
}
