//! What the generator takes from the rules: each rule's id, log source and, per selection of
//! its detection, the field values an event needs to satisfy it (wildcards resolved, the
//! `contains`/`startswith`/`endswith`/`all`/`cidr`/`expand` modifiers applied), plus the
//! Sigma features the rule uses, which the comparison names when engines disagree.
//!
//! Read with `serde_yaml` into a generic tree; only the keys the generator needs are looked
//! at. Items the generator cannot satisfy by a literal (`re`, `base64offset`, `fieldref`,
//! comparisons, `exists`, `null`, keyword lists) are left out, so an event made from such a
//! rule may not match it: the stream is realistic, not an oracle.

use serde_yaml::Value as Yaml;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Where a literal has to sit in the field's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum How {
    /// The whole value (compared case-insensitively by the engines).
    Exact,
    Contains,
    StartsWith,
    EndsWith,
}

/// A value as the event carries it.
#[derive(Clone, Debug, PartialEq)]
pub enum Lit {
    Str(String),
    Num(serde_json::Number),
    Bool(bool),
}

impl Lit {
    pub fn text(&self) -> String {
        match self {
            Lit::Str(s) => s.clone(),
            Lit::Num(n) => n.to_string(),
            Lit::Bool(b) => b.to_string(),
        }
    }
}

/// One `field|modifiers: values` entry of a selection.
#[derive(Clone, Debug)]
pub struct Item {
    pub field: String,
    /// `|all`: every value must be there; otherwise one of them.
    pub all: bool,
    /// Each value with where it has to sit (a value's own leading or trailing `*` can turn an
    /// exact match into `endswith`, `startswith` or `contains`).
    pub values: Vec<(How, Lit)>,
}

/// A named selection: one of its alternatives (a map each) must hold.
#[derive(Clone, Debug)]
pub struct Selection {
    pub name: String,
    /// Whether the condition only ever uses it under `not` (a filter).
    pub negated: bool,
    pub alternatives: Vec<Vec<Item>>,
}

/// A rule as the generator and the comparison see it.
#[derive(Clone, Debug)]
pub struct Rule {
    /// The file, relative to the corpus directory.
    pub path: String,
    pub id: String,
    pub title: String,
    pub product: Option<String>,
    pub category: Option<String>,
    pub service: Option<String>,
    pub selections: Vec<Selection>,
    /// Sigma features the rule uses that engines are known to treat differently (modifiers
    /// such as `re`, `windash`, `expand`, `cidr`; `keywords`; `null`; nested field names, …).
    pub features: BTreeSet<&'static str>,
}

/// `%name%` placeholders and their values (`tests/fixtures/corpus/placeholders.json`).
pub type Placeholders = BTreeMap<String, Vec<String>>;

/// Every `.yml`/`.yaml` file below `dir`, sorted by path.
pub fn rule_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d)? {
            let p = entry?.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Reads the placeholder file (a JSON object of string arrays).
pub fn read_placeholders(path: &Path) -> io::Result<Placeholders> {
    let text = fs::read_to_string(path)?;
    serde_json::from_str(&text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// The rules of a directory as the generator reads them.
pub struct Loaded {
    pub rules: Vec<Rule>,
    /// Files that are not a Sigma rule the generator can read, with the reason.
    pub skipped: Vec<(String, String)>,
    /// FNV-1a over every file's relative path and bytes, and the placeholders: names the
    /// cached stream.
    pub fingerprint: u64,
}

fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Parses every rule file below `dir`.
pub fn load_dir(dir: &Path, placeholders: &Placeholders) -> io::Result<Loaded> {
    let mut rules = Vec::new();
    let mut skipped = Vec::new();
    let mut h = 0xcbf2_9ce4_8422_2325;
    for f in rule_files(dir)? {
        let rel = f
            .strip_prefix(dir)
            .unwrap_or(&f)
            .to_string_lossy()
            .into_owned();
        let text = fs::read_to_string(&f)?;
        h = fnv(fnv(h, rel.as_bytes()), text.as_bytes());
        match parse_rule(&rel, &text, placeholders) {
            Ok(r) => rules.push(r),
            Err(e) => skipped.push((rel, e)),
        }
    }
    for (k, vs) in placeholders {
        h = fnv(h, k.as_bytes());
        for v in vs {
            h = fnv(h, v.as_bytes());
        }
    }
    Ok(Loaded {
        rules,
        skipped,
        fingerprint: h,
    })
}

fn get<'a>(map: &'a Yaml, key: &str) -> Option<&'a Yaml> {
    map.as_mapping()?.get(key)
}

fn get_str(map: &Yaml, key: &str) -> Option<String> {
    get(map, key)
        .and_then(Yaml::as_str)
        .map(|s| s.trim().to_lowercase())
}

/// Parses one rule (the first YAML document of `text`).
pub fn parse_rule(path: &str, text: &str, placeholders: &Placeholders) -> Result<Rule, String> {
    let doc: Yaml = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
    let detection = get(&doc, "detection").ok_or("no detection")?;
    let logsource = get(&doc, "logsource").ok_or("no logsource")?;
    let mut features = BTreeSet::new();
    let conditions: Vec<String> = match get(detection, "condition") {
        Some(Yaml::String(s)) => vec![s.clone()],
        Some(Yaml::Sequence(v)) => v
            .iter()
            .filter_map(|c| c.as_str().map(str::to_owned))
            .collect(),
        _ => return Err("no condition".into()),
    };
    let (positive, negative) = condition_names(&conditions);
    let mut selections = Vec::new();
    for (k, v) in detection.as_mapping().into_iter().flatten() {
        let Some(name) = k.as_str() else { continue };
        if name == "condition" || name == "timeframe" {
            continue;
        }
        let alternatives = match v {
            Yaml::Mapping(_) => vec![items(v, placeholders, &mut features)],
            Yaml::Sequence(list) if list.iter().all(|x| x.is_mapping()) => list
                .iter()
                .map(|m| items(m, placeholders, &mut features))
                .collect(),
            _ => {
                features.insert("keywords");
                continue;
            }
        };
        let used_positively = positive.iter().any(|p| glob_match(p, name));
        let used_negatively = negative.iter().any(|p| glob_match(p, name));
        selections.push(Selection {
            name: name.to_owned(),
            negated: used_negatively && !used_positively,
            alternatives,
        });
    }
    Ok(Rule {
        path: path.to_owned(),
        id: get(&doc, "id")
            .and_then(Yaml::as_str)
            .unwrap_or_default()
            .to_owned(),
        title: get(&doc, "title")
            .and_then(Yaml::as_str)
            .unwrap_or_default()
            .to_owned(),
        product: get_str(logsource, "product"),
        category: get_str(logsource, "category"),
        service: get_str(logsource, "service"),
        selections,
        features,
    })
}

/// The selection names (or `name*` patterns) the conditions use, split into those used
/// positively and those used under `not`.
fn condition_names(conditions: &[String]) -> (Vec<String>, Vec<String>) {
    let mut positive = Vec::new();
    let mut negative = Vec::new();
    for c in conditions {
        let spaced = c.replace(['(', ')'], " ");
        let mut negate = false;
        for w in spaced.split_whitespace() {
            match w.to_ascii_lowercase().as_str() {
                "not" => negate = true,
                "and" | "or" => negate = false,
                "of" | "all" | "any" => {}
                _ if w.parse::<u32>().is_ok() => {}
                lower => {
                    let name = if lower == "them" { "*" } else { w };
                    if negate {
                        negative.push(name.to_owned());
                    } else {
                        positive.push(name.to_owned());
                    }
                }
            }
        }
    }
    (positive, negative)
}

/// `pattern` with `*` wildcards (as `1 of selection_*` names them) against a name.
fn glob_match(pattern: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some((b'*', rest)) => (0..=n.len()).any(|i| go(rest, &n[i..])),
            Some((c, rest)) => n.first() == Some(c) && go(rest, &n[1..]),
        }
    }
    go(pattern.as_bytes(), name.as_bytes())
}

fn items(
    map: &Yaml,
    placeholders: &Placeholders,
    features: &mut BTreeSet<&'static str>,
) -> Vec<Item> {
    let mut out = Vec::new();
    for (k, v) in map.as_mapping().into_iter().flatten() {
        let Some(key) = k.as_str() else { continue };
        let mut parts = key.split('|');
        let field = parts.next().unwrap_or_default();
        let mods: Vec<&str> = parts.collect();
        if field.is_empty() {
            features.insert("keywords");
            continue;
        }
        if field.contains('.') {
            features.insert("nested field");
        }
        if let Some(item) = item(field, &mods, v, placeholders, features) {
            out.push(item);
        }
    }
    out
}

fn item(
    field: &str,
    mods: &[&str],
    value: &Yaml,
    placeholders: &Placeholders,
    features: &mut BTreeSet<&'static str>,
) -> Option<Item> {
    let mut how = How::Exact;
    let mut all = false;
    let mut cidr = false;
    let mut expand = false;
    let mut usable = true;
    for m in mods {
        match *m {
            "contains" => how = How::Contains,
            "startswith" => how = How::StartsWith,
            "endswith" => how = How::EndsWith,
            "all" => {
                all = true;
                features.insert("all");
            }
            "windash" => {
                features.insert("windash");
            }
            "cased" => {
                features.insert("cased");
            }
            "cidr" => {
                cidr = true;
                features.insert("cidr");
            }
            "expand" => {
                expand = true;
                features.insert("expand");
            }
            "re" => {
                usable = false;
                features.insert("re");
            }
            "i" | "m" | "s" => {}
            "base64" | "base64offset" => {
                usable = false;
                features.insert("base64");
            }
            "utf16le" | "utf16be" | "utf16" | "wide" => {
                usable = false;
                features.insert("utf16");
            }
            "fieldref" => {
                usable = false;
                features.insert("fieldref");
            }
            "exists" => {
                usable = false;
                features.insert("exists");
            }
            "gt" | "gte" | "lt" | "lte" => {
                usable = false;
                features.insert("compare");
            }
            _ => {
                usable = false;
                features.insert("other modifier");
            }
        }
    }
    let raw: Vec<&Yaml> = match value {
        Yaml::Sequence(v) => v.iter().collect(),
        other => vec![other],
    };
    let mut values = Vec::new();
    for v in raw {
        match v {
            Yaml::Null => {
                features.insert("null");
                usable = false;
            }
            Yaml::Bool(b) => values.push((how, Lit::Bool(*b))),
            Yaml::Number(n) => {
                if field != "EventID" {
                    features.insert("number");
                }
                let num = if let Some(i) = n.as_i64() {
                    serde_json::Number::from(i)
                } else if let Some(u) = n.as_u64() {
                    serde_json::Number::from(u)
                } else {
                    n.as_f64()
                        .and_then(serde_json::Number::from_f64)
                        .unwrap_or_else(|| serde_json::Number::from(0))
                };
                values.push((how, Lit::Num(num)));
            }
            Yaml::String(s) => {
                let s = if expand {
                    match expand_placeholders(s, placeholders) {
                        Some(s) => s,
                        None => {
                            usable = false;
                            continue;
                        }
                    }
                } else {
                    s.clone()
                };
                if cidr {
                    match cidr_member(&s) {
                        Some(ip) => values.push((How::Exact, Lit::Str(ip))),
                        None => usable = false,
                    }
                    continue;
                }
                if s.is_empty() {
                    features.insert("empty value");
                }
                let (text, lead, trail, inner) = resolve_wildcards(&s);
                let h = match (how, lead, trail) {
                    (How::Exact, true, true) => How::Contains,
                    (How::Exact, true, false) => How::EndsWith,
                    (How::Exact, false, true) => How::StartsWith,
                    (How::StartsWith, true, _) | (How::EndsWith, _, true) => How::Contains,
                    (h, _, _) => h,
                };
                if inner {
                    features.insert(match how {
                        How::EndsWith => "wildcard in endswith",
                        How::StartsWith => "wildcard in startswith",
                        _ => "inner wildcard",
                    });
                }
                if expand && how != How::Exact {
                    features.insert("expand with contains/startswith/endswith");
                }
                values.push((h, Lit::Str(text)));
            }
            _ => usable = false,
        }
    }
    if !usable || values.is_empty() {
        return None;
    }
    Some(Item {
        field: field.to_owned(),
        all,
        values,
    })
}

/// A Sigma string as a literal: escapes resolved (`\*`, `\?`, `\\`), `?` as one character,
/// inner `*` dropped. Returns the text, whether it began or ended with an unescaped `*`, and
/// whether a wildcard sat inside it.
fn resolve_wildcards(s: &str) -> (String, bool, bool, bool) {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let (mut lead, mut trail, mut inner) = (false, false, false);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if matches!(chars.get(i + 1), Some('*' | '?' | '\\')) => {
                out.push(chars[i + 1]);
                i += 2;
                continue;
            }
            '*' if i == 0 => lead = true,
            '*' if i == chars.len() - 1 => trail = true,
            '*' => inner = true,
            '?' => {
                inner = true;
                out.push('x');
            }
            _ => out.push(c),
        }
        i += 1;
    }
    (out, lead, trail, inner)
}

/// `%name%` replaced by the placeholder's first value; `None` when a name has none.
fn expand_placeholders(s: &str, placeholders: &Placeholders) -> Option<String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find('%') {
        let after = &rest[start + 1..];
        let end = after.find('%')?;
        out.push_str(&rest[..start]);
        out.push_str(placeholders.get(&after[..end])?.first()?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// An address inside an IPv4 or IPv6 CIDR block (the first host address).
fn cidr_member(s: &str) -> Option<String> {
    let (addr, bits) = s.split_once('/')?;
    let bits: u32 = bits.parse().ok()?;
    if let Ok(v4) = addr.parse::<std::net::Ipv4Addr>() {
        let n = u32::from(v4);
        let host = if bits < 31 { n | 1 } else { n };
        return Some(std::net::Ipv4Addr::from(host).to_string());
    }
    let v6: std::net::Ipv6Addr = addr.parse().ok()?;
    let n = u128::from(v6);
    let host = if bits < 127 { n | 1 } else { n };
    Some(std::net::Ipv6Addr::from(host).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_and_placements() {
        assert_eq!(
            resolve_wildcards("*\\cmd.exe"),
            ("\\cmd.exe".into(), true, false, false)
        );
        assert_eq!(
            resolve_wildcards("a\\*b?c*"),
            ("a*bxc".into(), false, true, true)
        );
        assert_eq!(
            resolve_wildcards("C:\\Windows\\"),
            ("C:\\Windows\\".into(), false, false, false)
        );
        assert_eq!(cidr_member("10.0.0.0/8").as_deref(), Some("10.0.0.1"));
        assert_eq!(cidr_member("fe80::/10").as_deref(), Some("fe80::1"));
    }

    #[test]
    fn conditions_and_globs() {
        let (pos, neg) = condition_names(&[
            "selection_img and (1 of selection_cli*) and not 1 of filter_main_*".into(),
        ]);
        assert_eq!(pos, ["selection_img", "selection_cli*"]);
        assert_eq!(neg, ["filter_main_*"]);
        assert!(glob_match("filter_main_*", "filter_main_generic"));
        assert!(!glob_match("filter_main_*", "filter_optional"));
        assert!(glob_match("*", "anything"));
        assert!(glob_match("sel*_x", "sel_a_x"));
    }

    #[test]
    fn parses_a_rule() {
        let text = "title: T\nid: 11111111-0000-0000-0000-000000000000\nlogsource:\n  category: process_creation\n  product: windows\ndetection:\n  selection:\n    Image|endswith: '\\whoami.exe'\n    CommandLine|contains|all: ['/all', '/priv']\n  filter:\n    User|contains: 'SYSTEM'\n  condition: selection and not filter\n";
        let r = parse_rule("x.yml", text, &Placeholders::new()).unwrap();
        assert_eq!(r.category.as_deref(), Some("process_creation"));
        assert_eq!(r.selections.len(), 2);
        assert!(!r.selections[0].negated);
        assert!(r.selections[1].negated);
        let items = &r.selections[0].alternatives[0];
        assert_eq!(items[0].values[0].0, How::EndsWith);
        assert!(items[1].all);
    }
}
