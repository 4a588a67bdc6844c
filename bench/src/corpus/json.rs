//! JSON text as Go's encoder writes it ([`Esc`], [`q`], [`str_array`]) and the audit log's
//! timestamps ([`Timestamp`], [`SecondsTimestamp`]).

use std::fmt;

/// JSON string content (no quotes), escaped as Go's encoder does for these characters.
pub(super) struct Esc<'a>(pub(super) &'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let mut start = 0;
        for (i, b) in s.bytes().enumerate() {
            let rep = match b {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\t' => "\\t",
                b'\r' => "\\r",
                b'<' => "\\u003c",
                b'>' => "\\u003e",
                b'&' => "\\u0026",
                0..=0x1f => {
                    f.write_str(&s[start..i])?;
                    write!(f, "\\u{b:04x}")?;
                    start = i + 1;
                    continue;
                }
                _ => continue,
            };
            f.write_str(&s[start..i])?;
            f.write_str(rep)?;
            start = i + 1;
        }
        f.write_str(&s[start..])
    }
}

/// `"s"` as a JSON string.
pub(super) fn q(s: &str) -> String {
    format!("\"{}\"", Esc(s))
}

/// `["a","b"]`.
pub(super) fn str_array<S: AsRef<str>>(xs: &[S]) -> String {
    let mut out = String::from("[");
    for (i, x) in xs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&q(x.as_ref()));
    }
    out.push(']');
    out
}

/// `2026-11-29T08:00:00.123456Z` from microseconds since the epoch.
pub(super) struct Timestamp(pub(super) u64);
/// `2026-11-29T08:00:00Z`.
pub(super) struct SecondsTimestamp(pub(super) u64);

fn civil(us: u64) -> (i64, u64, u64, u64, u64, u64, u64) {
    let secs = us / 1_000_000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u64;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u64;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, rem / 3600, rem / 60 % 60, rem % 60, us % 1_000_000)
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s, us) = civil(self.0);
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{us:06}Z")
    }
}

impl fmt::Display for SecondsTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s, _) = civil(self.0);
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }
}
