//! Unit tests of the value steps: encodings, windash, CIDR, regex translation, placeholders.

use super::cidr::parse_cidr;
use super::encode::{utf16, windash};
use super::expand::expand;
use super::*;

#[test]
fn base64_matches_known_vectors() {
    assert_eq!(base64(b""), "");
    assert_eq!(base64(b"f"), "Zg==");
    assert_eq!(base64(b"fo"), "Zm8=");
    assert_eq!(base64(b"foo"), "Zm9v");
    assert_eq!(base64(b"foobar"), "Zm9vYmFy");
}

#[test]
fn base64_offsets_follow_the_three_alignments() {
    // pySigma's documented example: "/bin/bash" → L2Jpbi9iYXNo, 9iaW4vYmFza, vYmluL2Jhc2
    assert_eq!(
        base64_offsets(b"/bin/bash"),
        ["L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2"]
    );
    for needle in base64_offsets(b"secret") {
        let hits = (0..3)
            .filter(|pad| {
                base64(&[vec![b'x'; *pad], b"secret".to_vec(), b"yy".to_vec()].concat())
                    .contains(&needle)
            })
            .count();
        assert!(hits >= 1, "{needle} found at no offset");
    }
}

#[test]
fn wide_encodes_ascii_only() {
    assert_eq!(utf16("ab", false).as_deref(), Some("a\0b\0"));
    assert_eq!(utf16("ab", true).as_deref(), Some("\0a\0b"));
    assert_eq!(utf16("é", false), None);
}

#[test]
fn windash_expands_option_dashes_only() {
    let lit = |s: &str| vec![GlobPart::Lit(s.to_owned())];
    let v = windash(&lit("-x a-b")).unwrap();
    assert_eq!(v.len(), 5);
    assert!(v.contains(&lit("/x a-b")) && v.contains(&lit("\u{2015}x a-b")));
    assert_eq!(windash(&lit("--long")).unwrap().len(), 5); // only the second dash
    assert!(windash(&lit("-a -b -c -d")).is_err());
    assert_eq!(windash(&lit("x")).unwrap(), vec![lit("x")]);
}

#[test]
fn cidr_rejects_host_bits() {
    assert_eq!(parse_cidr("10.0.0.0/8").unwrap(), Cidr::V4(0x0A00_0000, 8));
    assert!(parse_cidr("10.0.0.1/8").is_err());
    assert_eq!(parse_cidr("::1").unwrap(), Cidr::V6(1, 128));
    assert!(parse_cidr("fd00::1/8").is_err());
    assert!(parse_cidr("10.0.0.0/33").is_err());
}

#[test]
fn regex_classes_become_ascii() {
    let f = BTreeSet::new();
    assert_eq!(
        regex_for_runtime(r"\d+\s\w", &f).unwrap(),
        r"[0-9]+[\t\n\f\r ][0-9A-Za-z_]"
    );
    assert_eq!(regex_for_runtime(r"[\d.]", &f).unwrap(), r"[0-9.]");
    assert_eq!(
        regex_for_runtime(r"a\.b", &BTreeSet::from(['i', 's'])).unwrap(),
        r"(?is)a\.b"
    );
    assert!(regex_for_runtime(r"(?<=a)b", &f).is_err());
    assert!(regex_for_runtime(r"(a)\1", &f).is_err());
    let re = regex::Regex::new(&regex_for_runtime(r"^\d$", &f).unwrap()).unwrap();
    assert!(re.is_match("7") && !re.is_match("٣"));
}

#[test]
fn placeholders_expand_to_every_combination() {
    let p = Placeholders(BTreeMap::from([(
        "a".into(),
        vec!["x".into(), "y*".into()],
    )]));
    let out = expand(wildcard::parse("pre%a%post"), Some(&p)).unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!(out[0], vec![GlobPart::Lit("prexpost".into())]);
    assert!(expand(wildcard::parse("%b%"), Some(&p)).is_err());
    assert_eq!(
        expand(wildcard::parse("100%"), None).unwrap(),
        vec![vec![GlobPart::Lit("100%".into())]]
    );
}
