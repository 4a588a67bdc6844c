//! One event under construction: its fields in order (dotted names for nested ones), each a
//! benign value that rule literals can replace or be placed into, and the JSON line it
//! becomes.

use super::rules::{How, Lit};

/// One field: its benign value and the literals placed into it.
#[derive(Default)]
struct Slot {
    benign: Option<Lit>,
    exact: Option<Lit>,
    prefix: Option<String>,
    middles: Vec<String>,
    suffix: Option<String>,
}

fn is_sep(c: char) -> bool {
    c == '\\' || c == '/'
}

impl Slot {
    fn place(&mut self, how: How, lit: &Lit) {
        if how != How::Exact {
            if let Some(e) = self.exact.take() {
                self.benign = Some(e);
            }
        }
        match how {
            How::Exact => {
                self.exact = Some(lit.clone());
                self.prefix = None;
                self.middles.clear();
                self.suffix = None;
            }
            How::Contains => self.middles.push(lit.text()),
            How::StartsWith => self.prefix = Some(lit.text()),
            How::EndsWith => self.suffix = Some(lit.text()),
        }
    }

    /// The value: an exact literal, or the benign value with the literals placed into it
    /// (a path keeps its shape: `endswith \cmd.exe` replaces the file name of a benign path).
    fn value(&self) -> Option<Lit> {
        if let Some(e) = &self.exact {
            return Some(e.clone());
        }
        if self.prefix.is_none() && self.middles.is_empty() && self.suffix.is_none() {
            return self.benign.clone();
        }
        let base = self.benign.as_ref().map(Lit::text).unwrap_or_default();
        let pathy = !base.contains(' ') && base.contains(is_sep);
        let (dir, file) = match base.rfind(is_sep) {
            Some(i) if pathy => (&base[..=i], &base[i + 1..]),
            _ => ("", base.as_str()),
        };
        let mut out = match (&self.prefix, &self.suffix) {
            (Some(p), _) => p.clone(),
            (None, Some(_)) if pathy => dir.to_owned(),
            (None, _) => base.clone(),
        };
        for m in &self.middles {
            join(&mut out, m);
        }
        match &self.suffix {
            Some(s) => {
                if out.ends_with(is_sep) && s.starts_with(is_sep) {
                    out.pop();
                }
                out.push_str(s);
            }
            None if self.prefix.is_some() && out.ends_with(is_sep) => out.push_str(file),
            None => {}
        }
        Some(Lit::Str(out))
    }
}

/// Appends `piece`, with a space between two words.
fn join(out: &mut String, piece: &str) {
    let glued = out.is_empty()
        || out.ends_with(|c: char| c == ' ' || is_sep(c))
        || piece.starts_with(|c: char| c == ' ' || is_sep(c));
    if !glued {
        out.push(' ');
    }
    out.push_str(piece);
}

/// The fields of one event, in the order they are written.
#[derive(Default)]
pub(super) struct Fields {
    slots: Vec<(String, Slot)>,
}

impl Fields {
    pub fn set(&mut self, field: &str, value: Lit) {
        match self.slots.iter_mut().find(|(f, _)| f == field) {
            Some((_, slot)) => {
                *slot = Slot {
                    benign: Some(value),
                    ..Slot::default()
                }
            }
            None => self.slots.push((
                field.to_owned(),
                Slot {
                    benign: Some(value),
                    ..Slot::default()
                },
            )),
        }
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.slots.iter().map(|(f, _)| f.as_str())
    }

    /// Places a rule's literal into `field` (added when the event lacks it).
    pub fn place(&mut self, field: &str, how: How, lit: &Lit) {
        let i = match self.slots.iter().position(|(f, _)| f == field) {
            Some(i) => i,
            None => {
                self.slots.push((field.to_owned(), Slot::default()));
                self.slots.len() - 1
            }
        };
        self.slots[i].1.place(how, lit);
    }

    /// The event as one JSON line (no newline); dotted names become nested objects.
    pub fn render(&self, out: &mut String) {
        let mut root = Node::Obj(Vec::new());
        for (name, slot) in &self.slots {
            if let Some(v) = slot.value() {
                root.insert(name, v);
            }
        }
        root.write(out);
    }
}

enum Node {
    Leaf(Lit),
    Obj(Vec<(String, Node)>),
}

impl Node {
    /// Inserts at a dotted path: a later value replaces an earlier one, a leaf on the way
    /// becomes an object.
    fn insert(&mut self, path: &str, value: Lit) {
        let (head, rest) = match path.split_once('.') {
            Some((h, r)) if !h.is_empty() && !r.is_empty() => (h, Some(r)),
            _ => (path, None),
        };
        if let Node::Leaf(_) = self {
            *self = Node::Obj(Vec::new());
        }
        let Node::Obj(children) = self else { return };
        let i = match children.iter().position(|(k, _)| k == head) {
            Some(i) => i,
            None => {
                children.push((head.to_owned(), Node::Obj(Vec::new())));
                children.len() - 1
            }
        };
        match rest {
            None => children[i].1 = Node::Leaf(value),
            Some(r) => children[i].1.insert(r, value),
        }
    }

    fn write(&self, out: &mut String) {
        match self {
            Node::Leaf(Lit::Str(s)) => push_json_str(out, s),
            Node::Leaf(Lit::Num(n)) => out.push_str(&n.to_string()),
            Node::Leaf(Lit::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
            Node::Obj(children) => {
                out.push('{');
                for (i, (k, v)) in children.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    push_json_str(out, k);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

fn push_json_str(out: &mut String, s: &str) {
    out.push_str(&serde_json::to_string(s).expect("a string serialises"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placed(benign: &str, how: How, lit: &str) -> String {
        let mut f = Fields::default();
        f.set("x", Lit::Str(benign.into()));
        f.place("x", how, &Lit::Str(lit.into()));
        let mut out = String::new();
        f.render(&mut out);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["x"].as_str().unwrap().to_owned()
    }

    #[test]
    fn literals_keep_the_value_shape() {
        let p = "C:\\Windows\\System32\\svchost.exe";
        assert_eq!(
            placed(p, How::EndsWith, "\\cmd.exe"),
            "C:\\Windows\\System32\\cmd.exe"
        );
        assert_eq!(
            placed(p, How::StartsWith, "C:\\Users\\Public\\"),
            "C:\\Users\\Public\\svchost.exe"
        );
        assert_eq!(
            placed("\"a.exe\" -x", How::Contains, "-enc"),
            "\"a.exe\" -x -enc"
        );
        assert_eq!(placed(p, How::Exact, "x"), "x");
    }

    #[test]
    fn dotted_names_nest() {
        let mut f = Fields::default();
        f.set("userIdentity.type", Lit::Str("IAMUser".into()));
        f.set("eventName", Lit::Str("GetObject".into()));
        f.set("userIdentity.arn", Lit::Str("arn".into()));
        f.place("requestParameters", How::Contains, &Lit::Str("x".into()));
        let mut out = String::new();
        f.render(&mut out);
        assert_eq!(
            out,
            r#"{"userIdentity":{"type":"IAMUser","arn":"arn"},"eventName":"GetObject","requestParameters":"x"}"#
        );
    }
}
