//! Unit tests of the lowering helpers (name globs, YAML 1.1 readings, UUIDs, JSON text).

use super::header::is_uuid;
use super::json::json_string;
use super::resolve::name_glob;
use super::values::yaml11_reading;

#[test]
fn of_patterns_match_whole_names() {
    assert!(name_glob("filter_*", "filter_cloud"));
    assert!(name_glob("filter_*", "filter_"));
    assert!(!name_glob("filter_*", "xfilter_a"));
    assert!(name_glob("*_a*b", "x_aab"));
    assert!(!name_glob("sel", "sel2"));
    assert!(name_glob("a*a", "aa"));
    assert!(!name_glob("a*a", "a"));
}

#[test]
fn yaml11_differences() {
    for (raw, want) in [
        ("yes", Some("a boolean")),
        ("Off", Some("a boolean")),
        ("010", Some("an octal number")),
        ("0o17", Some("a string")),
        ("1_000", Some("a number")),
        ("1:20", Some("a base-60 number")),
        ("2024-01-01", Some("a date")),
        ("1e3", Some("a string")),
        ("true", None),
        ("10", None),
        ("0", None),
        ("1.5", None),
        ("get", None),
        ("a:b", None),
        ("0x17", None),
    ] {
        assert_eq!(yaml11_reading(raw), want, "{raw}");
    }
}

#[test]
fn uuids() {
    assert!(is_uuid("abb7bc31-b865-4318-80a9-b9ee4edd57b6"));
    assert!(!is_uuid("abb7bc31b8654318-80a9-b9ee4edd57b6xx"));
    assert!(!is_uuid("not-a-uuid"));
}

#[test]
fn json_text_is_escaped() {
    assert_eq!(json_string("a\"b\\c\n\u{1}"), r#""a\"b\\c\n\u0001""#);
}
