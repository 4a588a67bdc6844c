//! The line-by-line scan that builds an [`Outline`](super::Outline): block structure,
//! document markers, block scalars, quoted and flow scalars over several lines.

use super::{Doc, Node, Pos};

/// Whether a scalar that began on an earlier line is still inside quotes or brackets.
#[derive(Default)]
struct Scan {
    quote: Option<char>,
    depth: usize,
}

/// Line-by-line state while building an [`Outline`](super::Outline).
#[derive(Default)]
pub(super) struct Builder {
    pub(super) nodes: Vec<Node>,
    pub(super) docs: Vec<Doc>,
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

pub(super) fn is_ws(c: char) -> bool {
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
    pub(super) fn line(&mut self, lno: usize, s: &[char]) {
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
