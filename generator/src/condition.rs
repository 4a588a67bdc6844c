//! Lexer and parser for the `condition` of a Sigma rule's `detection` section.
//!
//! Grammar (pySigma's, loosest to tightest binding):
//!
//! ```text
//! condition := or_expr
//! or_expr   := and_expr ( "or" and_expr )*
//! and_expr  := not_expr ( "and" not_expr )*
//! not_expr  := "not" not_expr | atom
//! atom      := "(" or_expr ")" | selector | IDENT
//! selector  := ("1" | "any" | "all") "of" ( "them" | PATTERN )
//! ```
//!
//! Every node and error carries byte offsets into the condition string so
//! that diagnostics can point at a column inside it.

use std::fmt;

/// Byte range inside the condition string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

/// How many of the identifiers an `x of` selector needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    /// `1 of` or `any of`: at least one must match.
    One,
    /// `all of`: every one must match.
    All,
}

/// What an `x of` selector ranges over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfTarget {
    /// `them`: every selection of the rule.
    Them,
    /// A selection name pattern, possibly containing `*` wildcards.
    Pattern(String),
}

/// A parsed condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// A reference to one selection by name.
    Ident {
        /// The selection name.
        name: String,
        /// Where the name is written.
        span: Span,
    },
    /// An `x of target` selector.
    Of {
        /// `1`/`any` or `all`.
        quantifier: Quantifier,
        /// `them` or a pattern.
        target: OfTarget,
        /// Covers the whole selector, from quantifier to target.
        span: Span,
    },
    /// `not operand`.
    Not(Box<Expr>),
    /// Conjunction of two or more operands (same-operator chains are flattened).
    And(Vec<Expr>),
    /// Disjunction of two or more operands (same-operator chains are flattened).
    Or(Vec<Expr>),
}

impl Expr {
    /// For an `x of` selector, the byte range of its target (`them` or the
    /// pattern); `None` for every other node.
    pub fn target_span(&self) -> Option<Span> {
        match self {
            Expr::Of { target, span, .. } => {
                let len = match target {
                    OfTarget::Them => "them".len(),
                    OfTarget::Pattern(p) => p.len(),
                };
                let start = span.end.saturating_sub(len).max(span.start);
                Some(Span {
                    start,
                    end: span.end,
                })
            }
            _ => None,
        }
    }
}

/// A condition that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What went wrong, lowercase, naming the offending token.
    pub message: String,
    /// The offending bytes (zero-width at the end for a premature end).
    pub span: Span,
    /// A suggestion for fixing it, if there is one.
    pub help: Option<String>,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseError {}

const EXPECTED_OPERAND: &str = "expected a selection name, `not`, `(` or `x of ...`";
const AGGREGATION_HELP: &str =
    "aggregations (`| count() ...`) were removed in Sigma 2; write a correlation rule instead";
const MAX_DEPTH: usize = 200;

fn err(message: impl Into<String>, span: Span, help: Option<&str>) -> ParseError {
    ParseError {
        message: message.into(),
        span,
        help: help.map(str::to_owned),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// Identifier or pattern (may contain `*`).
    Word(String),
    And,
    Or,
    Not,
    Of,
    Them,
    LParen,
    RParen,
}

impl Tok {
    fn text(&self) -> &str {
        match self {
            Tok::Word(w) => w,
            Tok::And => "and",
            Tok::Or => "or",
            Tok::Not => "not",
            Tok::Of => "of",
            Tok::Them => "them",
            Tok::LParen => "(",
            Tok::RParen => ")",
        }
    }
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    span: Span,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'*')
}

fn lex(input: &str) -> Result<Vec<Token>, ParseError> {
    let bytes = input.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let tok = match bytes[i] {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'(' => {
                i += 1;
                Tok::LParen
            }
            b')' => {
                i += 1;
                Tok::RParen
            }
            b'|' => {
                let span = Span { start, end: i + 1 };
                return Err(err("unexpected `|`", span, Some(AGGREGATION_HELP)));
            }
            b if is_word_byte(b) => {
                while i < bytes.len() && is_word_byte(bytes[i]) {
                    i += 1;
                }
                match &input[start..i] {
                    "and" => Tok::And,
                    "or" => Tok::Or,
                    "not" => Tok::Not,
                    "of" => Tok::Of,
                    "them" => Tok::Them,
                    word => Tok::Word(word.to_owned()),
                }
            }
            _ => {
                let ch = input[start..].chars().next().unwrap_or('\u{fffd}');
                let shown: String = if ch.is_control() {
                    ch.escape_debug().collect()
                } else {
                    ch.to_string()
                };
                let span = Span {
                    start,
                    end: start + ch.len_utf8(),
                };
                return Err(err(format!("invalid character `{shown}`"), span, None));
            }
        };
        tokens.push(Token {
            tok,
            span: Span { start, end: i },
        });
    }
    Ok(tokens)
}

/// If `word` is a keyword written in the wrong case, the lowercase keyword.
fn miscased_keyword(word: &str) -> Option<&'static str> {
    ["and", "or", "not", "of", "them"]
        .into_iter()
        .find(|k| word.eq_ignore_ascii_case(k))
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    input_len: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|t| &t.tok)
    }

    fn bump(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += usize::from(t.is_some());
        t
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        let hit = self.peek() == Some(tok);
        self.pos += usize::from(hit);
        hit
    }

    fn end_span(&self) -> Span {
        Span {
            start: self.input_len,
            end: self.input_len,
        }
    }

    fn parse_or(&mut self) -> Result<Expr, ParseError> {
        let mut items = vec![self.parse_and()?];
        while self.eat(&Tok::Or) {
            items.push(self.parse_and()?);
        }
        Ok(match items.len() {
            1 => items.remove(0),
            _ => Expr::Or(items),
        })
    }

    fn parse_and(&mut self) -> Result<Expr, ParseError> {
        let mut items = vec![self.parse_not()?];
        while self.eat(&Tok::And) {
            items.push(self.parse_not()?);
        }
        Ok(match items.len() {
            1 => items.remove(0),
            _ => Expr::And(items),
        })
    }

    /// Runs `f` one nesting level deeper, refusing absurd depths.
    fn nested<T>(
        &mut self,
        span: Span,
        f: impl FnOnce(&mut Self) -> Result<T, ParseError>,
    ) -> Result<T, ParseError> {
        if self.depth >= MAX_DEPTH {
            return Err(err("condition is nested too deeply", span, None));
        }
        self.depth += 1;
        let result = f(self);
        self.depth -= 1;
        result
    }

    fn parse_not(&mut self) -> Result<Expr, ParseError> {
        if self.peek() == Some(&Tok::Not) {
            let not = self.bump().map(|t| t.span).unwrap_or(self.end_span());
            let inner = self.nested(not, Self::parse_not)?;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.parse_atom()
    }

    fn parse_atom(&mut self) -> Result<Expr, ParseError> {
        let Some(token) = self.bump() else {
            let help = Some(EXPECTED_OPERAND);
            return Err(err("unexpected end of condition", self.end_span(), help));
        };
        match token.tok {
            Tok::LParen => {
                let inner = self.nested(token.span, Self::parse_or)?;
                match self.peek() {
                    Some(Tok::RParen) => {
                        self.pos += 1;
                        Ok(inner)
                    }
                    None => Err(err("unclosed `(`", token.span, Some("add a matching `)`"))),
                    Some(_) => Err(self.unexpected_after_operand(true)),
                }
            }
            Tok::Word(word) if self.peek() == Some(&Tok::Of) => {
                self.parse_selector(word, token.span)
            }
            Tok::Word(word) if word.contains('*') => Err(err(
                format!("wildcard in `{word}` outside an `x of` selector"),
                token.span,
                Some(&format!("use `1 of {word}` or `all of {word}`")),
            )),
            Tok::Word(name) => Ok(Expr::Ident {
                name,
                span: token.span,
            }),
            tok => Err(err(
                format!("unexpected `{}`", tok.text()),
                token.span,
                Some(EXPECTED_OPERAND),
            )),
        }
    }

    /// Parses the rest of `word of target`; the current token is `of`.
    fn parse_selector(&mut self, word: String, span: Span) -> Result<Expr, ParseError> {
        let quantifier = match word.as_str() {
            "1" | "any" => Quantifier::One,
            "all" => Quantifier::All,
            _ => {
                return Err(err(
                    format!("unsupported quantifier `{word}`"),
                    span,
                    Some("use `1 of`, `any of` or `all of`"),
                ));
            }
        };
        self.pos += 1; // `of`
        let (target, end) = match self.bump() {
            Some(Token {
                tok: Tok::Them,
                span,
            }) => (OfTarget::Them, span.end),
            Some(Token {
                tok: Tok::Word(pattern),
                span,
            }) => (OfTarget::Pattern(pattern), span.end),
            found => {
                let span = found.map_or(self.end_span(), |t| t.span);
                return Err(err(
                    "expected `of` target: `them` or a selection pattern like `filter_*`",
                    span,
                    None,
                ));
            }
        };
        Ok(Expr::Of {
            quantifier,
            target,
            span: Span {
                start: span.start,
                end,
            },
        })
    }

    /// The error for the current token, which cannot follow a complete operand.
    fn unexpected_after_operand(&self, in_parens: bool) -> ParseError {
        let token = &self.tokens[self.pos];
        // `a AND b` fails at `AND`; `NOT a` parses `NOT` as a name and fails at `a`.
        let previous = self.pos.checked_sub(1).map(|p| &self.tokens[p]);
        for t in std::iter::once(token).chain(previous) {
            if let Tok::Word(w) = &t.tok {
                if let Some(kw) = miscased_keyword(w) {
                    let kind = if kw == "of" || kw == "them" {
                        "keywords"
                    } else {
                        "operators"
                    };
                    return err(
                        format!("unexpected `{w}`"),
                        t.span,
                        Some(&format!("{kind} are lowercase in Sigma: write `{kw}`")),
                    );
                }
            }
        }
        let (message, help) = match &token.tok {
            Tok::RParen => (
                "unmatched `)`".to_owned(),
                "remove it or add a matching `(`",
            ),
            Tok::Not => (
                "unexpected `not`".to_owned(),
                "`not` is a prefix operator: write e.g. `a and not b`",
            ),
            Tok::Of => (
                "unexpected `of`".to_owned(),
                "use `1 of`, `any of` or `all of`",
            ),
            tok if in_parens => (
                format!("unexpected `{}`", tok.text()),
                "expected `and`, `or` or `)`",
            ),
            tok => (
                format!("unexpected `{}`", tok.text()),
                "expected `and`, `or` or the end of the condition",
            ),
        };
        err(message, token.span, Some(help))
    }
}

/// Parses one condition string.
pub fn parse(input: &str) -> Result<Expr, ParseError> {
    let tokens = lex(input)?;
    if tokens.is_empty() {
        let span = Span {
            start: 0,
            end: input.len(),
        };
        return Err(err("empty condition", span, Some(EXPECTED_OPERAND)));
    }
    let mut parser = Parser {
        tokens,
        pos: 0,
        input_len: input.len(),
        depth: 0,
    };
    let expr = parser.parse_or()?;
    if parser.pos < parser.tokens.len() {
        return Err(parser.unexpected_after_operand(false));
    }
    Ok(expr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str) -> Expr {
        match parse(name).unwrap() {
            Expr::Ident { name, .. } => Expr::Ident {
                name,
                span: Span { start: 0, end: 0 },
            },
            other => panic!("not an identifier: {other:?}"),
        }
    }

    /// Erases spans so trees can be compared structurally.
    fn strip(e: Expr) -> Expr {
        let zero = Span { start: 0, end: 0 };
        match e {
            Expr::Ident { name, .. } => Expr::Ident { name, span: zero },
            Expr::Of {
                quantifier, target, ..
            } => Expr::Of {
                quantifier,
                target,
                span: zero,
            },
            Expr::Not(inner) => Expr::Not(Box::new(strip(*inner))),
            Expr::And(v) => Expr::And(v.into_iter().map(strip).collect()),
            Expr::Or(v) => Expr::Or(v.into_iter().map(strip).collect()),
        }
    }

    fn tree(input: &str) -> Expr {
        strip(parse(input).unwrap_or_else(|e| panic!("{input:?}: {e:?}")))
    }

    fn not(e: Expr) -> Expr {
        Expr::Not(Box::new(e))
    }

    fn of(quantifier: Quantifier, target: OfTarget) -> Expr {
        Expr::Of {
            quantifier,
            target,
            span: Span { start: 0, end: 0 },
        }
    }

    fn pat(p: &str) -> OfTarget {
        OfTarget::Pattern(p.to_owned())
    }

    fn fail(input: &str) -> ParseError {
        match parse(input) {
            Err(e) => e,
            Ok(e) => panic!("{input:?} parsed as {e:?}"),
        }
    }

    fn span(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    #[test]
    fn precedence() {
        assert_eq!(
            tree("a or b and not c"),
            Expr::Or(vec![id("a"), Expr::And(vec![id("b"), not(id("c"))])])
        );
        assert_eq!(tree("not a and b"), Expr::And(vec![not(id("a")), id("b")]));
        assert_eq!(
            tree("a and b or c"),
            Expr::Or(vec![Expr::And(vec![id("a"), id("b")]), id("c")])
        );
    }

    #[test]
    fn double_not() {
        assert_eq!(tree("not not a"), not(not(id("a"))));
    }

    #[test]
    fn flat_chains() {
        assert_eq!(
            tree("a and b and c"),
            Expr::And(vec![id("a"), id("b"), id("c")])
        );
        assert_eq!(
            tree("a or b or c"),
            Expr::Or(vec![id("a"), id("b"), id("c")])
        );
    }

    #[test]
    fn parentheses() {
        assert_eq!(tree("(a)"), id("a"));
        assert_eq!(tree("((a))"), id("a"));
        assert_eq!(
            tree("(a and b) and c"),
            Expr::And(vec![Expr::And(vec![id("a"), id("b")]), id("c")])
        );
        assert_eq!(
            tree("a and (b or c)"),
            Expr::And(vec![id("a"), Expr::Or(vec![id("b"), id("c")])])
        );
        assert_eq!(tree("not (a or b)"), not(Expr::Or(vec![id("a"), id("b")])));
        assert_eq!(tree("(a)and(b)"), Expr::And(vec![id("a"), id("b")]));
    }

    #[test]
    fn selectors() {
        assert_eq!(tree("1 of sel*"), of(Quantifier::One, pat("sel*")));
        assert_eq!(tree("any of sel*"), of(Quantifier::One, pat("sel*")));
        assert_eq!(tree("all of them"), of(Quantifier::All, OfTarget::Them));
        assert_eq!(tree("1 of them"), of(Quantifier::One, OfTarget::Them));
        assert_eq!(tree("all of sel_*-x"), of(Quantifier::All, pat("sel_*-x")));
        assert_eq!(
            tree("1 of selection"),
            of(Quantifier::One, pat("selection"))
        );
        assert_eq!(
            tree("sel and not 1 of filter_*"),
            Expr::And(vec![id("sel"), not(of(Quantifier::One, pat("filter_*")))])
        );
    }

    #[test]
    fn selector_spans() {
        let e = parse("x or  all of  filter_*").unwrap();
        let Expr::Or(items) = e else { panic!("{e:?}") };
        assert_eq!(
            items[1],
            Expr::Of {
                quantifier: Quantifier::All,
                target: pat("filter_*"),
                span: span(6, 22),
            }
        );
        assert_eq!(items[1].target_span(), Some(span(14, 22)));
        assert_eq!(parse("1 of them").unwrap().target_span(), Some(span(5, 9)));
        assert_eq!(items[0].target_span(), None);
    }

    #[test]
    fn identifiers() {
        assert_eq!(
            parse("sel-1_x2").unwrap(),
            Expr::Ident {
                name: "sel-1_x2".into(),
                span: span(0, 8),
            }
        );
        for name in [
            "1", "all", "any", "notepad", "order", "android", "oft", "them2", "NEAR",
        ] {
            assert_eq!(
                parse(name).unwrap(),
                Expr::Ident {
                    name: name.into(),
                    span: span(0, name.len()),
                },
                "{name}"
            );
        }
        assert_eq!(tree("1 and all"), Expr::And(vec![id("1"), id("all")]));
        assert_eq!(
            tree("notepad or order"),
            Expr::Or(vec![id("notepad"), id("order")])
        );
    }

    #[test]
    fn ident_spans() {
        let e = parse("  a and\tfilter_x ").unwrap();
        assert_eq!(
            e,
            Expr::And(vec![
                Expr::Ident {
                    name: "a".into(),
                    span: span(2, 3),
                },
                Expr::Ident {
                    name: "filter_x".into(),
                    span: span(8, 16),
                },
            ])
        );
    }

    #[test]
    fn newlines() {
        assert_eq!(
            tree("selection\nand not\n  filter\r\n"),
            Expr::And(vec![id("selection"), not(id("filter"))])
        );
        let e = parse("a and\nb").unwrap();
        let Expr::And(items) = e else { panic!("{e:?}") };
        assert_eq!(
            items[1],
            Expr::Ident {
                name: "b".into(),
                span: span(6, 7),
            }
        );
    }

    #[test]
    fn empty() {
        let e = fail("");
        assert_eq!(
            (e.message.as_str(), e.span),
            ("empty condition", span(0, 0))
        );
        let e = fail(" \n\t ");
        assert_eq!(
            (e.message.as_str(), e.span),
            ("empty condition", span(0, 4))
        );
    }

    #[test]
    fn uppercase_operators() {
        let e = fail("sel AND filter");
        assert_eq!(e.message, "unexpected `AND`");
        assert_eq!(e.span, span(4, 7));
        assert_eq!(
            e.help.as_deref(),
            Some("operators are lowercase in Sigma: write `and`")
        );
        let e = fail("a Or b");
        assert_eq!(e.span, span(2, 4));
        assert_eq!(
            e.help.as_deref(),
            Some("operators are lowercase in Sigma: write `or`")
        );
        let e = fail("NOT filter");
        assert_eq!(e.span, span(0, 3));
        assert_eq!(
            e.help.as_deref(),
            Some("operators are lowercase in Sigma: write `not`")
        );
        let e = fail("a and (Not b)");
        assert_eq!(e.span, span(7, 10));
        let e = fail("1 OF them");
        assert_eq!(e.span, span(2, 4));
        assert_eq!(
            e.help.as_deref(),
            Some("keywords are lowercase in Sigma: write `of`")
        );
    }

    #[test]
    fn aggregation_pipe() {
        let e = fail("selection | count() by x > 5");
        assert_eq!(e.message, "unexpected `|`");
        assert_eq!(e.span, span(10, 11));
        assert_eq!(e.help.as_deref(), Some(AGGREGATION_HELP));
        // Reported even when the condition is broken before the pipe.
        assert_eq!(fail("(a |").span, span(3, 4));
    }

    #[test]
    fn unexpected_end() {
        for (input, at) in [("a and", 5), ("not", 3), ("a or ", 5), ("(", 1)] {
            let e = fail(input);
            assert_eq!(e.message, "unexpected end of condition", "{input}");
            assert_eq!(e.span, span(at, at), "{input}");
            assert_eq!(e.help.as_deref(), Some(EXPECTED_OPERAND));
        }
    }

    #[test]
    fn unbalanced_parens() {
        let e = fail("a and (b or (c)");
        assert_eq!(e.message, "unclosed `(`");
        assert_eq!(e.span, span(6, 7));
        let e = fail("(a and b))");
        assert_eq!(e.message, "unmatched `)`");
        assert_eq!(e.span, span(9, 10));
        let e = fail("a)");
        assert_eq!(e.span, span(1, 2));
        let e = fail("()");
        assert_eq!(e.message, "unexpected `)`");
        assert_eq!(e.span, span(1, 2));
        let e = fail(")");
        assert_eq!(e.span, span(0, 1));
    }

    #[test]
    fn unexpected_tokens() {
        let e = fail("a b");
        assert_eq!(e.message, "unexpected `b`");
        assert_eq!(e.span, span(2, 3));
        let e = fail("(a b)");
        assert_eq!(e.span, span(3, 4));
        assert_eq!(e.help.as_deref(), Some("expected `and`, `or` or `)`"));
        let e = fail("a and or b");
        assert_eq!(e.message, "unexpected `or`");
        assert_eq!(e.span, span(6, 8));
        let e = fail("a not b");
        assert_eq!(e.message, "unexpected `not`");
        assert_eq!(e.span, span(2, 5));
        let e = fail("a near b");
        assert_eq!(e.message, "unexpected `near`");
        assert_eq!(fail("them").message, "unexpected `them`");
        assert_eq!(fail("of sel").span, span(0, 2));
    }

    #[test]
    fn invalid_characters() {
        for (input, at, ch) in [
            ("a = b", 2, "="),
            ("\"sel\"", 0, "\""),
            ("sel.x", 3, "."),
            ("a, b", 1, ","),
        ] {
            let e = fail(input);
            assert_eq!(e.message, format!("invalid character `{ch}`"));
            assert_eq!(e.span, span(at, at + 1));
        }
        let e = fail("sél");
        assert_eq!(e.message, "invalid character `é`");
        assert_eq!(e.span, span(1, 3));
        assert_eq!(fail("a\u{0}").message, "invalid character `\\0`");
    }

    #[test]
    fn bad_of_target() {
        let msg = "expected `of` target: `them` or a selection pattern like `filter_*`";
        let e = fail("1 of");
        assert_eq!((e.message.as_str(), e.span), (msg, span(4, 4)));
        let e = fail("all of (a)");
        assert_eq!((e.message.as_str(), e.span), (msg, span(7, 8)));
        let e = fail("any of and");
        assert_eq!(e.span, span(7, 10));
        let e = fail("2 of them");
        assert_eq!(e.message, "unsupported quantifier `2`");
        assert_eq!(e.span, span(0, 1));
    }

    #[test]
    fn wildcard_without_selector() {
        let e = fail("a and sel*");
        assert_eq!(e.message, "wildcard in `sel*` outside an `x of` selector");
        assert_eq!(e.span, span(6, 10));
        assert_eq!(e.help.as_deref(), Some("use `1 of sel*` or `all of sel*`"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000));
        assert_eq!(fail(&deep).message, "condition is nested too deeply");
        let nots = format!("{}a", "not ".repeat(10_000));
        assert_eq!(fail(&nots).message, "condition is nested too deeply");
        let ok = format!("{}a{}", "(".repeat(50), ")".repeat(50));
        assert_eq!(tree(&ok), id("a"));
    }
}
