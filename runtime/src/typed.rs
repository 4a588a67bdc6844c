//! Comparisons beyond plain strings: regexes, networks, numbers, timestamps, field references.

use super::calendar;
use super::field::Leaf;
use super::matchers::fold;
use std::net::IpAddr;
use std::sync::OnceLock;

/// A regular expression compiled on first use. The generator has already compiled the same
/// pattern with the same `regex` version, so compiling here cannot fail.
pub struct Regex {
    pattern: &'static str,
    compiled: OnceLock<regex::Regex>,
}

impl Regex {
    /// Wraps a pattern (used in `static` items of generated code).
    pub const fn new(pattern: &'static str) -> Self {
        Regex {
            pattern,
            compiled: OnceLock::new(),
        }
    }

    /// True when the pattern matches somewhere in `hay` (search, not whole-value, semantics).
    #[inline]
    pub fn is_match(&self, hay: &str) -> bool {
        self.compiled
            .get_or_init(|| {
                regex::Regex::new(self.pattern)
                    .expect("sigma-gen validated this regex with the same regex version")
            })
            .is_match(hay)
    }
}

/// True when `text` (surrounding whitespace ignored) is an IPv4 address inside the network.
#[inline]
pub fn in_cidr_v4(text: &str, network: [u8; 4], prefix: u8) -> bool {
    match text.trim().parse::<IpAddr>() {
        Ok(IpAddr::V4(a)) => prefix_eq(
            u128::from(u32::from(a)) << 96,
            u128::from(u32::from_be_bytes(network)) << 96,
            prefix,
        ),
        _ => false,
    }
}

/// True when `text` (surrounding whitespace ignored) is an IPv6 address inside the network.
#[inline]
pub fn in_cidr_v6(text: &str, network: [u16; 8], prefix: u8) -> bool {
    // A zone (`fe80::1%eth0`) names an interface, not part of the address.
    let text = text.trim();
    let text = text.split_once('%').map_or(text, |(addr, _)| addr);
    match text.parse::<IpAddr>() {
        Ok(IpAddr::V6(a)) => prefix_eq(
            u128::from(a),
            u128::from(std::net::Ipv6Addr::from(network)),
            prefix,
        ),
        _ => false,
    }
}

fn prefix_eq(a: u128, b: u128, prefix: u8) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(prefix.min(128)))
    };
    a & mask == b & mask
}

/// Numeric comparison operators of `|gt`, `|gte`, `|lt`, `|lte`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// `>`
    Gt,
    /// `>=`
    Gte,
    /// `<`
    Lt,
    /// `<=`
    Lte,
}

/// Compares a JSON number, or a string that spells a decimal number, with `value`. Anything
/// else (booleans, null, other strings) never matches.
#[inline]
pub fn num_cmp(leaf: Leaf<'_>, op: CompareOp, value: f64) -> bool {
    let n = match leaf {
        Leaf::Num(n) => n.as_f64(),
        Leaf::Str(s) => numeric_str(s),
        _ => None,
    };
    n.is_some_and(|n| match op {
        CompareOp::Gt => n > value,
        CompareOp::Gte => n >= value,
        CompareOp::Lt => n < value,
        CompareOp::Lte => n <= value,
    })
}

/// `[+-]?(digits[.digits]|.digits)([eE][+-]?digits)?`, surrounding whitespace allowed.
fn numeric_str(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
    let b = t.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let int = digits(&mut i);
    let frac = if b.get(i) == Some(&b'.') {
        i += 1;
        digits(&mut i)
    } else {
        0
    };
    if int == 0 && frac == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    t.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Calendar parts for `|minute` ... `|year`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimePart {
    /// Minute of the hour.
    Minute,
    /// Hour of the day.
    Hour,
    /// Day of the month.
    Day,
    /// ISO week of the year.
    Week,
    /// Month of the year.
    Month,
    /// The year.
    Year,
}

/// The part of a timestamp written `YYYY-MM-DD[(T| )HH:MM[:SS]]...`, as written (no time zone
/// conversion); `None` when the text does not start with a valid date.
pub fn time_part(text: &str, part: TimePart) -> Option<i64> {
    let b = text.trim().as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = b.get(r)?;
        s.iter()
            .all(u8::is_ascii_digit)
            .then(|| s.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
    };
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&m) || d < 1 || d > calendar::days_in_month(y, m) || y < 1 {
        return None;
    }
    let clock = (matches!(b.get(10), Some(b'T' | b' ')) && b.get(13) == Some(&b':'))
        .then(|| Some((num(11..13)?, num(14..16)?)))
        .flatten();
    let (hh, mm) = clock.unwrap_or((0, 0));
    Some(match part {
        TimePart::Minute => mm,
        TimePart::Hour => hh,
        TimePart::Day => d,
        TimePart::Week => calendar::iso_week(y, m, d),
        TimePart::Month => m,
        TimePart::Year => y,
    })
}

/// How a `|fieldref` value relates to the other field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefMode {
    /// Equal.
    Eq,
    /// Starts with the other value.
    Prefix,
    /// Ends with it.
    Suffix,
    /// Contains it.
    Contains,
}

/// Compares two event values case-insensitively (both folded) for `|fieldref`.
pub fn field_ref(a: &str, b: &str, mode: RefMode) -> bool {
    let (a, b) = (fold(a), fold(b));
    match mode {
        RefMode::Eq => a == b,
        RefMode::Prefix => a.starts_with(&*b),
        RefMode::Suffix => a.ends_with(&*b),
        RefMode::Contains => a.contains(&*b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_containment() {
        assert!(in_cidr_v4("10.1.2.3", [10, 0, 0, 0], 8));
        assert!(in_cidr_v4(" 10.1.2.3 ", [10, 0, 0, 0], 8));
        assert!(!in_cidr_v4("11.0.0.1", [10, 0, 0, 0], 8));
        assert!(in_cidr_v4("1.2.3.4", [0, 0, 0, 0], 0));
        assert!(!in_cidr_v4("::1", [0, 0, 0, 0], 0));
        assert!(!in_cidr_v4("not an ip", [10, 0, 0, 0], 8));
        assert!(in_cidr_v6(
            "2001:db8::1",
            [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0],
            32
        ));
        assert!(!in_cidr_v6(
            "2001:db9::1",
            [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0],
            32
        ));
        assert!(!in_cidr_v6("10.0.0.1", [0; 8], 0));
        assert!(in_cidr_v6("::1", [0, 0, 0, 0, 0, 0, 0, 1], 128));
        assert!(in_cidr_v6(
            "fe80::1%eth0",
            [0xfe80, 0, 0, 0, 0, 0, 0, 0],
            10
        ));
    }

    #[test]
    fn numeric_strings() {
        for (s, n) in [
            ("5", Some(5.0)),
            (" -1.5 ", Some(-1.5)),
            (".5", Some(0.5)),
            ("1e3", Some(1000.0)),
            ("5.", Some(5.0)),
        ] {
            assert_eq!(numeric_str(s), n, "{s}");
        }
        for s in ["", "abc", "1e", "--1", "0x10", "1.2.3", "."] {
            assert_eq!(numeric_str(s), None, "{s}");
        }
        let n = serde_json::Number::from(7);
        assert!(num_cmp(
            Leaf::Num(super::super::field::Num::Json(&n)),
            CompareOp::Gt,
            5.0
        ));
        assert!(!num_cmp(
            Leaf::Num(crate::field::Num::Json(&n)),
            CompareOp::Lt,
            5.0
        ));
        assert!(num_cmp(Leaf::Str("5"), CompareOp::Gte, 5.0));
        assert!(!num_cmp(Leaf::Bool(true), CompareOp::Gte, 0.0));
    }

    #[test]
    fn timestamp_parts() {
        let t = "2026-11-29T13:45:07.123Z";
        assert_eq!(time_part(t, TimePart::Year), Some(2026));
        assert_eq!(time_part(t, TimePart::Month), Some(11));
        assert_eq!(time_part(t, TimePart::Day), Some(29));
        assert_eq!(time_part(t, TimePart::Hour), Some(13));
        assert_eq!(time_part(t, TimePart::Minute), Some(45));
        assert_eq!(time_part(t, TimePart::Week), Some(48));
        assert_eq!(time_part("2026-01-01", TimePart::Hour), Some(0));
        assert_eq!(time_part("2021-01-03", TimePart::Week), Some(53)); // ISO: belongs to 2020-W53
        assert_eq!(time_part("2024-12-30", TimePart::Week), Some(1));
        assert_eq!(time_part("2026-02-30", TimePart::Day), None);
        assert_eq!(time_part("yesterday", TimePart::Day), None);
    }

    #[test]
    fn field_refs_fold_both_sides() {
        assert!(field_ref("Alice", "alice", RefMode::Eq));
        assert!(field_ref("alice@EXAMPLE.com", "Example", RefMode::Contains));
        assert!(!field_ref("alice", "bob", RefMode::Eq));
        assert!(field_ref("Ärger", "ä", RefMode::Prefix));
    }

    #[test]
    fn regex_searches() {
        static RE: Regex = Regex::new("b+c");
        assert!(RE.is_match("abbbcd"));
        assert!(!RE.is_match("ac"));
    }
}
