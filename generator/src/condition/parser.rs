//! Recursive-descent parser over the tokens, with the precedence `or` < `and` < `not`.

use super::lex::{Tok, Token};
use super::{err, Expr, OfTarget, ParseError, Quantifier, Span, EXPECTED_OPERAND};

const MAX_DEPTH: usize = 200;

/// If `word` is a keyword written in the wrong case, the lowercase keyword.
fn miscased_keyword(word: &str) -> Option<&'static str> {
    ["and", "or", "not", "of", "them"]
        .into_iter()
        .find(|k| word.eq_ignore_ascii_case(k))
}

pub(super) struct Parser {
    pub(super) tokens: Vec<Token>,
    pub(super) pos: usize,
    pub(super) input_len: usize,
    pub(super) depth: usize,
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

    pub(super) fn parse_or(&mut self) -> Result<Expr, ParseError> {
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
    pub(super) fn unexpected_after_operand(&self, in_parens: bool) -> ParseError {
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
