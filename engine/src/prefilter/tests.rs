//! Unit tests of the prefilter: planning choices, line utilities, and property tests holding
//! the fused and portable paths to a line-by-line reference.

use super::check::{hides_alnum, SENTINEL};
use super::plan::{Literal, Pair, Tables, FEW};
use super::*;

#[test]
fn sentinel_only_counts_alphanumeric_escapes() {
    assert!(hides_alnum(b"69"));
    assert!(hides_alnum(b"4A"));
    assert!(hides_alnum(b"4a"));
    assert!(!hides_alnum(b"26")); // `&`, which Go escapes
    assert!(!hides_alnum(b"3c"));
    assert!(!hides_alnum(b"6"));
}

#[test]
fn line_starts_cover_the_block() {
    let mut s = Vec::new();
    line_starts(b"a\nbb\n\nc", &mut s);
    assert_eq!(s, [0, 2, 5, 6, 7]);
    line_starts(b"a\n", &mut s);
    assert_eq!(s, [0, 2]);
}

#[test]
fn line_count_counts_a_last_line_without_newline() {
    assert_eq!(line_count(b""), 0);
    assert_eq!(line_count(b"\n"), 1);
    assert_eq!(line_count(b"a"), 1);
    assert_eq!(line_count(b"a\n\nb"), 3);
}

#[test]
fn pair_prefers_rare_bytes_at_two_positions() {
    let p = Pair::new(b"impersonatedUser", false);
    assert_eq!(p.at[0], 12); // `U`
    assert_eq!((p.byte, p.fold), ([b'U', b'p'], [0, 0]));
    // In either case: lower-case bytes, 0x20 ORed into the block's; `U` is as common as `u`.
    let p = Pair::new(b"impersonatedUser", true);
    assert_eq!(p.at, [2, 1]); // `p`, `m`
    assert_eq!((p.byte, p.fold), ([b'p', b'm'], [0x20, 0x20]));
    let p = Pair::new(b"a1", true);
    assert_eq!((p.byte, p.fold), ([b'1', b'a'], [0, 0x20]));
    let p = Pair::new(b"aaa", false);
    assert_eq!(p.byte, [b'a', b'a']);
    assert_ne!(p.at[0], p.at[1]);
    let p = Pair::new(b"x", false);
    assert_eq!((p.at, p.byte), ([0, 0], [b'x', b'x']));
}

#[test]
fn lines_with_literals_or_escapes_are_candidates() {
    let rules = crate::fixtures::RULES.rules;
    // The fixture rules that have literals (a rule without one turns the filter off).
    let routed: Vec<usize> = (0..rules.len())
        .filter(|&i| rules[i].prefilter.raw.is_some())
        .collect();
    let f =
        LineFilter::new(rules, &routed, &[Shape::Raw]).expect("every routed rule has a literal");
    let lit = rules[routed[0]].prefilter.raw.unwrap()[0];
    let block = format!(
        "{{\"verb\":\"get\"}}\n{{\"{lit}\":1}}\n{{\"x\":\"\\u0069\"}}\n{{\"x\":\"\\u0026\"}}\n"
    );
    let mut hits = Hits::default();
    assert_eq!(f.hits(block.as_bytes(), &mut hits), 4);
    let lines: Vec<&str> = hits.lines.iter().map(|&(s, e)| &block[s..e]).collect();
    assert_eq!(
        lines,
        [format!("{{\"{lit}\":1}}"), "{\"x\":\"\\u0069\"}".to_owned()]
    );
    assert_eq!(hits.index, [1, 2]);
    assert!(hits.rules(0).iter().any(|w| *w != 0));
}

/// What a filter finds in a block, comparable across paths.
type Found = (u64, Vec<(usize, usize)>, Vec<u64>, Vec<u64>);

fn found(hits: &Hits, total: u64) -> Found {
    (
        total,
        hits.lines.clone(),
        hits.index.clone(),
        hits.bits.clone(),
    )
}

/// The reference: split into lines, a line is a candidate iff it holds a literal (for
/// that literal's rules) or a `\u00XX` escape of a letter or digit (for every rule).
fn naive(literals: &[(&str, usize)], rules: usize, block: &[u8]) -> Found {
    let words = rules.div_ceil(64).max(1);
    let (mut lines, mut index, mut bits) = (Vec::new(), Vec::new(), Vec::new());
    let mut total = 0u64;
    let mut start = 0;
    while start < block.len() {
        let end = memchr::memchr(b'\n', &block[start..]).map_or(block.len(), |i| start + i);
        let line = &block[start..end];
        let mut b = vec![0u64; words];
        let mut hit = false;
        for (lit, r) in literals {
            let (bytes, any_case) = super::plan::parse(lit);
            if line
                .windows(bytes.len())
                .any(|w| super::plan::starts_with(w, bytes, any_case))
            {
                b[r / 64] |= 1 << (r % 64);
                hit = true;
            }
        }
        let escaped =
            (0..line.len()).any(|i| line[i..].starts_with(SENTINEL) && hides_alnum(&line[i + 4..]));
        if escaped {
            for r in 0..rules {
                b[r / 64] |= 1 << (r % 64);
            }
            hit = true;
        }
        if hit {
            lines.push((start, end));
            index.push(total);
            bits.extend(b);
        }
        total += 1;
        start = end + 1;
    }
    (total, lines, index, bits)
}

use sigma_runtime::test_rng::Rng;

const PIECES: &[&str] = &[
    "impersonatedUser",
    "impersonated",
    "User",
    "imp",
    "persona",
    "tedUser",
    "U",
    "p",
    "Up",
    "\n",
    "\n",
    "\n\n",
    "\\u0069",
    "\\u0026",
    "\\u004A",
    "\\u004a",
    "\\u003c",
    "\\u00",
    "\\u0",
    "\\u00z9",
    "\\u007",
    "\\u0030",
    "\\\\u0061",
    "\\",
    "u",
    "\\u",
    "{\"user\":\"a\"}",
    "system:masters",
    "sys",
    "x",
    " ",
    "\"",
    "apiGroup",
    "subresource",
    "sub",
    "resource",
    "source",
    "kube",
    "cluster",
    "anonymous",
    "u0069",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaU",
    // Other cases of the literals, which only any-case literals match.
    "IMPERSONATEDuser",
    "ImPeRsOnAtEdUsEr",
    "SYSTEM:Masters",
    "SubResource",
    "APIGROUP",
    "uP",
    "u",
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAu",
];

fn random_block(rng: &mut Rng) -> Vec<u8> {
    let mut block = Vec::new();
    let pieces = match rng.below(4) {
        0 => rng.below(6),
        1 => rng.below(30),
        _ => rng.below(200),
    };
    for _ in 0..pieces {
        if rng.below(3) == 0 {
            // Filler of random length moves what follows across chunk boundaries.
            let n = rng.below(70);
            block.extend(std::iter::repeat_n(b'a' + rng.below(3) as u8, n));
        } else {
            block.extend_from_slice(PIECES[rng.below(PIECES.len())].as_bytes());
        }
    }
    if rng.below(2) == 0 {
        block.push(b'\n');
    }
    block
}

/// A literal whose pair lies more than 64 bytes apart: the fused pass reads furthest.
const LONG: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaU";

/// Sixteen literals (`FEW`): one inside another, shared starts and ends, one and two
/// bytes, repeated bytes, a far pair.
const SIXTEEN: [&str; 16] = [
    "impersonatedUser",
    "impersonated",
    "User",
    "tedUser",
    "imp",
    "persona",
    "sys",
    "system",
    "masters",
    "apiGroup",
    "subresource",
    "resource",
    "sub",
    "U",
    "Up",
    LONG,
];

/// Every literal set checked: one literal (the flagship's, and degenerate ones), two to
/// `FEW` (the fused pass looks for them all, in one or two groups of the nibble tables:
/// one inside another, shared starts and ends, one byte, repeated bytes, far pairs) and
/// more (Aho-Corasick).
fn literal_sets() -> Vec<(Vec<(&'static str, usize)>, usize)> {
    let sixteen: Vec<(&str, usize)> = SIXTEEN
        .iter()
        .enumerate()
        .map(|(i, l)| (*l, i % 13))
        .collect();
    let mut seventeen = sixteen.clone();
    seventeen.push(("kube", 13));
    vec![
        (vec![("impersonatedUser", 0)], 1),
        (vec![("impersonatedUser", 2), ("impersonatedUser", 0)], 3),
        (vec![("U", 0)], 1),
        (vec![("Up", 1)], 2),
        (vec![("aaaa", 0)], 1),
        (vec![(LONG, 0)], 1),
        (vec![("User", 0), ("impersonatedUser", 1)], 2),
        (vec![("imp", 0), ("impersonated", 1), ("User", 1)], 2),
        (vec![("U", 1), ("p", 0), ("Up", 2)], 3),
        (
            vec![
                ("sub", 0),
                ("resource", 1),
                ("source", 2),
                ("subresource", 3),
            ],
            4,
        ),
        (
            vec![
                ("impersonatedUser", 0),
                ("sys", 1),
                ("system", 2),
                ("masters", 70),
                ("imp", 70),
            ],
            71,
        ),
        (
            vec![
                ("apiGroup", 0),
                ("subresource", 1),
                ("cluster", 2),
                ("anonymous", 3),
                ("impersonatedUser", 4),
                ("resource", 5),
                ("aaaa", 6),
            ],
            7,
        ),
        (
            vec![
                ("impersonatedUser", 0),
                ("tedUser", 1),
                ("User", 2),
                ("imp", 3),
                ("persona", 4),
                ("u0069", 5),
                (LONG, 6),
                ("subresource", 7),
                ("User", 5),
            ],
            8,
        ),
        (
            vec![
                ("apiGroup", 0),
                ("subresource", 1),
                ("sub", 2),
                ("cluster", 3),
                ("anonymous", 4),
                ("impersonatedUser", 5),
                ("masters", 6),
                ("system", 7),
                ("resource", 8),
            ],
            9,
        ),
        (sixteen.clone(), 13),
        (seventeen.clone(), 14),
        // In either ASCII case: alone, beside exact ones, in both groups, and with more.
        (vec![("(?i)impersonatedUser", 0)], 1),
        (vec![("(?i)Up", 0)], 1),
        (vec![("(?i)u", 0)], 1),
        (
            vec![
                ("(?i)impersonatedUser", 0),
                ("impersonatedUser", 1),
                ("(?i)sys", 2),
            ],
            3,
        ),
        (any_case(&sixteen, 2), 13),
        (any_case(&seventeen, 3), 14),
    ]
}

/// `literals` with every `nth` one (the first included) matched in either ASCII case.
fn any_case(literals: &[(&str, usize)], nth: usize) -> Vec<(&'static str, usize)> {
    literals
        .iter()
        .enumerate()
        .map(|(i, &(l, r))| {
            let l: &'static str = if i % nth == 0 {
                Box::leak(format!("(?i){l}").into_boxed_str())
            } else {
                Box::leak(l.to_owned().into_boxed_str())
            };
            (l, r)
        })
        .collect()
}

#[test]
fn few_literals_compare_their_rarest_three_bytes() {
    assert_eq!(Literal::new(b"impersonatedUser", false).anchor, 11); // `dUs`
    assert_eq!(Literal::new(b"apiGroup", false).anchor, 1); // `piG`
    assert_eq!(Literal::new(b"abc", false).anchor, 0);
    assert_eq!(Literal::new(b"U", false).anchor, 0);
    // Not in `request`, which every event holds.
    assert!(Literal::new(b"tokenrequests", false).anchor < 3);
    // Half of them in either case.
    let literals: Vec<Literal> = SIXTEEN
        .iter()
        .enumerate()
        .map(|(i, l)| Literal::new(l.as_bytes(), i % 2 == 1))
        .collect();
    let t = Tables::new(&literals);
    // Exact for every byte up to ASCII case: one literal per bit, a byte past the end matches
    // anything.
    for (l, lit) in literals.iter().enumerate() {
        let (g, bit) = (l / 8, 1u8 << (l % 8));
        for k in 0..3 {
            for b in 0..=255u8 {
                let set = t.low[g][k][usize::from(b & 15)] & t.high[g][k][usize::from(b >> 4)];
                let wanted = lit.bytes.get(lit.anchor + k).is_none_or(|&c| {
                    if lit.any_case {
                        c.eq_ignore_ascii_case(&b)
                    } else {
                        c == b
                    }
                });
                assert_eq!(set & bit != 0, wanted, "{l} {k} {b}");
            }
        }
    }
}

#[test]
fn literal_sets_take_every_search() {
    let kind = |literals: &[(&str, usize)]| {
        let rules = literals.iter().map(|l| l.1 + 1).max().unwrap();
        let f = filter(literals, rules);
        match &f.search {
            Search::One { .. } => (1, 0),
            Search::Few { literals, .. } => (2, literals.len()),
            Search::Many(_) => (3, 0),
        }
    };
    let sets = literal_sets();
    let kinds: Vec<_> = sets.iter().map(|(l, _)| kind(l)).collect();
    assert!(kinds.contains(&(1, 0)));
    for n in [2, 3, 4, 5, 7, 8, 9, FEW] {
        assert!(kinds.contains(&(2, n)), "no set of {n} literals");
    }
    assert!(kinds.contains(&(3, 0)));
}

/// A filter over `literals` for `rules` rules, all of them routed.
fn filter(literals: &[(&str, usize)], rules: usize) -> LineFilter {
    let routed: Vec<usize> = (0..rules).collect();
    LineFilter::with_literals(literals, &routed, rules).expect("literals")
}

fn check_block(f: &LineFilter, literals: &[(&str, usize)], rules: usize, block: &[u8]) {
    let mut hits = Hits::default();
    let total = f.hits_portable(block, &mut hits);
    let portable = found(&hits, total);
    let expected = naive(literals, rules, block);
    let shown = String::from_utf8_lossy(block);
    assert_eq!(
        portable, expected,
        "portable, {literals:?}, block {shown:?}"
    );
    #[cfg(target_arch = "x86_64")]
    if fused_available() {
        // SAFETY: `hits_fused` requires AVX2 and POPCNT, which `fused_available` (the
        // runtime `is_x86_feature_detected!` check just above) found.
        let total = unsafe { f.hits_fused(block, &mut hits) };
        let fused = found(&hits, total);
        assert_eq!(fused, expected, "fused, {literals:?}, block {shown:?}");
    }
}

#[test]
fn fused_and_portable_paths_agree_with_a_line_by_line_reference() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for (literals, rules) in literal_sets() {
        let f = filter(&literals, rules);
        for _ in 0..3000 {
            let block = random_block(&mut rng);
            check_block(&f, &literals, rules, &block);
        }
    }
}

#[test]
fn long_blocks_count_every_newline() {
    // Past the 127 rounds of 64 bytes after which the vector counters are emptied, with
    // newlines as dense as they can be.
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    for (literals, rules) in literal_sets() {
        let f = filter(&literals, rules);
        for n in [8127, 8128, 8129, 8191, 8192, 8193, 20000, 40000] {
            let mut block = vec![b'\n'; n];
            check_block(&f, &literals, rules, &block);
            block.extend_from_slice(b"impersonatedUser\\u0069");
            check_block(&f, &literals, rules, &block);
            block.splice(
                n / 2..n / 2,
                b"impersonatedUser\nsystem\\u004a".iter().copied(),
            );
            check_block(&f, &literals, rules, &block);
        }
        for _ in 0..20 {
            let mut block = Vec::new();
            while block.len() < 40000 {
                block.extend(random_block(&mut rng));
            }
            check_block(&f, &literals, rules, &block);
        }
    }
}

#[test]
fn matches_at_every_offset_around_chunk_boundaries() {
    for (literals, rules) in literal_sets() {
        let f = filter(&literals, rules);
        for what in [
            "impersonatedUser",
            "\\u0069",
            "\n\\u004a",
            "system\nmasters",
            "subresourceapiGroupimpersonatedUser",
            "clusteranonymous\nimpersonatedUser",
            LONG,
        ] {
            for len in [0, 20, 31, 32, 63, 64, 65, 80, 96, 130, 200, 300] {
                for at in 0..len {
                    let mut block = vec![b'x'; len];
                    block[len / 3] = b'\n';
                    block.splice(at..at, what.bytes());
                    check_block(&f, &literals, rules, &block);
                    block.truncate(at + what.len());
                    check_block(&f, &literals, rules, &block);
                }
            }
        }
    }
}
