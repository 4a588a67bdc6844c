//! A tolerant outline of block-style YAML text: where each mapping key and each sequence
//! item sits and which lines it spans.
//!
//! serde_yaml's value tree carries no positions, so diagnostics (`file:line:col`) and the
//! YAML excerpts shown in generated doc comments come from this separate, line-based scan
//! of the raw text. Flow collections (`[a, b]`, `{k: v}`) are not decomposed: a lookup
//! into one stops at the entry holding it and is flagged as inexact.

/// 1-based line and column (column counted in chars, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, counted in chars.
    pub col: usize,
}

/// One step of a path into a YAML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<'a> {
    /// A mapping key, compared with the key's text after unquoting and unescaping.
    Key(&'a str),
    /// The n-th (0-based) item of a block sequence.
    Index(usize),
}

/// Where a node sits in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// Start of the key (for Key steps; the key's first char, or its opening quote) or of
    /// the `-` (for Index steps). For an empty path: the document's first content char.
    pub at: Pos,
    /// Length in chars of the key token as written (incl. quotes), or 1 for a `-` (and for
    /// a whole document).
    pub len: usize,
    /// Start of the value when it begins on the same line after `key:` / `- ` (None if
    /// the value starts on a later line or is absent).
    pub value: Option<Pos>,
    /// First and last line (1-based, inclusive) of the whole entry: the key line plus
    /// every more-indented continuation line, trailing blank and comment-only lines
    /// excluded.
    pub lines: (usize, usize),
    /// False when the path could not be followed to the end and this is the deepest
    /// ancestor found.
    pub exact: bool,
}

/// Block-structure outline of one YAML file (all its documents).
pub struct Outline {
    lines: Vec<String>,
    nodes: Vec<Node>,
    docs: Vec<Doc>,
}

/// A mapping entry (`key` is Some) or a sequence item.
struct Node {
    key: Option<String>,
    at: Pos,
    len: usize,
    value: Option<Pos>,
    last: usize,
    children: Vec<usize>,
}

#[derive(Default)]
struct Doc {
    roots: Vec<usize>,
    first: Option<Pos>,
    last: usize,
}

/// Whether a scalar that began on an earlier line is still inside quotes or brackets.
#[derive(Default)]
struct Scan {
    quote: Option<char>,
    depth: usize,
}

/// Line-by-line state while building an [`Outline`].
#[derive(Default)]
struct Builder {
    nodes: Vec<Node>,
    docs: Vec<Doc>,
    /// A document has been started and not yet ended.
    open: bool,
    /// Open nodes, outermost first.
    stack: Vec<usize>,
    /// Inside a block scalar: lines indented more than this (0-based column) are content.
    block: Option<usize>,
    /// After a scalar value: lines indented more than this are its continuation.
    cont: Option<usize>,
    scan: Scan,
}

fn is_ws(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn skip_ws(s: &[char], mut i: usize) -> usize {
    while s.get(i).is_some_and(|&c| is_ws(c)) {
        i += 1;
    }
    i
}

/// `true` for `---`, `false` for `...`, when the line is such a marker (optionally
/// followed by whitespace and anything, e.g. a comment).
fn marker(s: &[char]) -> Option<bool> {
    let end = s.len() == 3 || s.get(3).is_some_and(|&c| is_ws(c));
    match s.get(..3) {
        Some(['-', '-', '-']) if end => Some(true),
        Some(['.', '.', '.']) if end => Some(false),
        _ => None,
    }
}

/// `|`, `>-`, `|2+` ... optionally followed by a comment.
fn is_block_header(v: &[char]) -> bool {
    if !matches!(v.first(), Some('|' | '>')) {
        return false;
    }
    let mut i = 1;
    while v.get(i).is_some_and(|c| matches!(c, '+' | '-' | '0'..='9')) {
        i += 1;
    }
    let j = skip_ws(v, i);
    j == v.len() || (j > i && v[j] == '#')
}

/// Parses a key at `p`: returns (unescaped key, token length, index after the `:`).
fn parse_key(s: &[char], p: usize) -> Option<(String, usize, usize)> {
    let q = *s.get(p)?;
    let mut key = String::new();
    let end = if q == '\'' || q == '"' {
        let mut i = p + 1;
        loop {
            let c = *s.get(i)?;
            i += 1;
            if c == q && q == '\'' && s.get(i) == Some(&'\'') {
                key.push('\'');
                i += 1;
            } else if c == q {
                break i;
            } else if c == '\\' && q == '"' {
                key.push(match *s.get(i)? {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    '0' => '\0',
                    e => e,
                });
                i += 1;
            } else {
                key.push(c);
            }
        }
    } else {
        if "[]{}|>#!&*%@`,".contains(q) {
            return None;
        }
        let mut i = p;
        while !(s.get(i)? == &':' && s.get(i + 1).is_none_or(|&c| is_ws(c))) {
            if s[i] == '#' && i > p && is_ws(s[i - 1]) {
                return None;
            }
            i += 1;
        }
        while i > p && is_ws(s[i - 1]) {
            i -= 1;
        }
        key.extend(&s[p..i]);
        if i == p {
            return None;
        }
        i
    };
    let colon = skip_ws(s, end);
    let ok = s.get(colon) == Some(&':') && s.get(colon + 1).is_none_or(|&c| is_ws(c));
    ok.then_some((key, end - p, colon + 1))
}

impl Scan {
    fn open(&self) -> bool {
        self.quote.is_some() || self.depth > 0
    }

    /// Follows quotes and flow brackets through `s[from..]`; `start` tells that `from` is
    /// the first char of a scalar value (where a quote or bracket opens one).
    fn run(&mut self, s: &[char], from: usize, start: bool) {
        let mut prev: Option<char> = None;
        let mut i = from;
        while let Some(&c) = s.get(i) {
            match self.quote {
                Some('\'') if c == '\'' && s.get(i + 1) == Some(&'\'') => i += 1,
                Some('"') if c == '\\' => i += 1,
                Some(q) if c == q => self.quote = None,
                Some(_) => {}
                None if c == '#' && (i == 0 || is_ws(s[i - 1])) => return,
                None => {
                    let nested = self.depth > 0 && prev.is_none_or(|p| "[{,:".contains(p));
                    let opener = (start && i == from) || nested;
                    match c {
                        '\'' | '"' if opener => self.quote = Some(c),
                        '[' | '{' if opener || self.depth > 0 => self.depth += 1,
                        ']' | '}' if self.depth > 0 => self.depth -= 1,
                        _ => {}
                    }
                }
            }
            if !is_ws(c) {
                prev = Some(c);
            }
            i += 1;
        }
    }
}

impl Builder {
    fn line(&mut self, lno: usize, s: &[char]) {
        let ind = skip_ws(s, 0);
        let blank = ind == s.len();
        let comment = !blank && s[ind] == '#';
        if let Some(start) = marker(s) {
            if start {
                self.docs.push(Doc::default());
            }
            self.open = start;
            self.stack.clear();
            (self.block, self.cont, self.scan) = (None, None, Scan::default());
            return;
        }
        if !self.open && s.first() == Some(&'%') {
            return; // directive
        }
        if let Some(th) = self.block {
            if blank || ind > th {
                if !blank {
                    self.touch(lno);
                }
                return;
            }
            self.block = None;
        }
        if self.scan.open() {
            if !blank {
                let plain_comment = comment && self.scan.quote.is_none();
                self.scan.run(s, ind, false);
                if !plain_comment {
                    self.touch(lno);
                }
            }
            return;
        }
        if blank || comment {
            return;
        }
        if self.cont.is_some_and(|th| ind > th) {
            self.touch(lno);
            return;
        }
        self.cont = None;
        if !self.open {
            self.docs.push(Doc::default());
            self.open = true;
        }
        if let Some(d) = self.docs.last_mut() {
            d.first.get_or_insert(Pos {
                line: lno,
                col: ind + 1,
            });
        }
        self.entries(lno, s, ind);
        self.touch(lno);
    }

    /// Parses the `- ` markers and the key starting a content line.
    fn entries(&mut self, lno: usize, s: &[char], ind: usize) {
        let mut p = ind;
        let mut first = true;
        while p < s.len() {
            let at = Pos {
                line: lno,
                col: p + 1,
            };
            let is_key;
            if s[p] == '-' && s.get(p + 1).is_none_or(|&c| is_ws(c)) {
                self.attach(None, at, 1, first);
                p = skip_ws(s, p + 1);
                is_key = false;
            } else if let Some((key, len, after)) = parse_key(s, p) {
                self.attach(Some(key), at, len, first);
                p = skip_ws(s, after);
                is_key = true;
            } else {
                if first {
                    while self.stack.last().is_some_and(|&t| self.nodes[t].at.col > p) {
                        self.stack.pop();
                    }
                }
                let th = self.stack.last().map(|&t| self.nodes[t].at.col - 1);
                self.value(s, p, th);
                return;
            }
            first = false;
            if s.get(p).is_none_or(|&c| c == '#') {
                return;
            }
            let top = self.stack.len() - 1;
            self.nodes[self.stack[top]].value = Some(Pos {
                line: lno,
                col: p + 1,
            });
            if is_key {
                self.value(s, p, Some(at.col - 1));
                return;
            }
        }
    }

    /// Notes what a scalar value starting at `p` means for the following lines.
    fn value(&mut self, s: &[char], p: usize, th: Option<usize>) {
        if is_block_header(&s[p..]) {
            self.block = th;
        } else {
            self.cont = th;
            self.scan = Scan::default();
            self.scan.run(s, p, true);
        }
    }

    /// Opens a new node; `first` tells that it starts its line, so it closes the open
    /// nodes that are not its ancestors.
    fn attach(&mut self, key: Option<String>, at: Pos, len: usize, first: bool) {
        while let Some(&t) = self.stack.last().filter(|_| first) {
            let top = &self.nodes[t];
            // A sequence may sit at its parent key's indentation.
            let seq_of_key = top.key.is_some() && key.is_none() && top.value.is_none();
            if top.at.col < at.col || (top.at.col == at.col && seq_of_key) {
                break;
            }
            self.stack.pop();
        }
        let i = self.nodes.len();
        match self.stack.last() {
            Some(&t) => self.nodes[t].children.push(i),
            None => {
                if let Some(d) = self.docs.last_mut() {
                    d.roots.push(i);
                }
            }
        }
        let (value, last, children) = (None, at.line, Vec::new());
        let node = Node {
            key,
            at,
            len,
            value,
            last,
            children,
        };
        self.nodes.push(node);
        self.stack.push(i);
    }

    /// Records that line `lno` holds content of every open node.
    fn touch(&mut self, lno: usize) {
        for &i in &self.stack {
            self.nodes[i].last = lno;
        }
        if let Some(d) = self.docs.last_mut() {
            d.last = lno;
        }
    }
}

impl Outline {
    /// Builds the outline. Never panics, whatever the text (tabs, garbage, unterminated
    /// quotes, CRLF line endings, BOM).
    pub fn new(text: &str) -> Outline {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let mut b = Builder::default();
        for (i, line) in lines.iter().enumerate() {
            let chars: Vec<char> = line.chars().collect();
            b.line(i + 1, &chars);
        }
        if b.docs.is_empty() {
            b.docs.push(Doc::default()); // like serde_yaml: an empty stream is one null document
        }
        Outline {
            lines,
            nodes: b.nodes,
            docs: b.docs,
        }
    }

    /// Number of YAML documents (split on lines that are `---`, optionally followed by
    /// whitespace and a comment (or anything else, which is ignored); a leading `---`
    /// before the first document does not create an empty first document; `...` ends a
    /// document). Like serde_yaml, a text
    /// without any document (empty, or only comments) counts as one empty document.
    pub fn documents(&self) -> usize {
        self.docs.len()
    }

    /// Locates a path inside document `doc` (0-based). An empty path returns the
    /// document's first content line (exact). Returns None only when `doc` does not exist
    /// or the document has no content at all.
    pub fn locate(&self, doc: usize, path: &[Step<'_>]) -> Option<Located> {
        let d = self.docs.get(doc)?;
        let at = d.first?;
        let mut found = Located {
            at,
            len: 1,
            value: None,
            lines: (at.line, d.last),
            exact: true,
        };
        let mut children = &d.roots;
        for step in path {
            let mut candidates = children.iter().map(|&i| (i, &self.nodes[i]));
            let next = match *step {
                Step::Key(k) => candidates.find(|(_, n)| n.key.as_deref() == Some(k)),
                Step::Index(nth) => candidates.filter(|(_, n)| n.key.is_none()).nth(nth),
            };
            let Some((_, n)) = next else {
                found.exact = false;
                return Some(found);
            };
            let lines = (n.at.line, n.last);
            found = Located {
                at: n.at,
                len: n.len,
                value: n.value,
                lines,
                exact: true,
            };
            children = &n.children;
        }
        Some(found)
    }

    /// The text of lines `first..=last` (1-based), joined with '\n', common leading
    /// indentation removed — used to show a selection's YAML in a doc comment. Trailing
    /// whitespace is dropped; lines outside the text are skipped.
    pub fn snippet(&self, first: usize, last: usize) -> String {
        let first = first.max(1);
        let take = (last + 1).saturating_sub(first);
        let sel: Vec<&str> = self
            .lines
            .iter()
            .skip(first - 1)
            .take(take)
            .map(|l| l.trim_end())
            .collect();
        let indent = |l: &&str| l.chars().take_while(|&c| is_ws(c)).count();
        let common = sel
            .iter()
            .filter(|l| !l.is_empty())
            .map(indent)
            .min()
            .unwrap_or(0);
        let dedented: Vec<String> = sel
            .iter()
            .map(|l| l.chars().skip(common).collect())
            .collect();
        dedented.join("\n")
    }
}

#[cfg(test)]
mod tests {
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
                        assert!(
                            l.lines.0 == l.at.line && l.lines.0 <= l.lines.1 && l.lines.1 <= lines
                        );
                    }
                }
            }
            let (a, b) = ((next() % 8) as usize, (next() % 8) as usize);
            assert!(o.snippet(a, b).lines().count() <= b.saturating_sub(a.max(1)) + 1);
        }
    }
}
