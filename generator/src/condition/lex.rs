//! The condition's tokens: words (names and patterns), keywords and parentheses.

use super::{err, ParseError, Span, AGGREGATION_HELP};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Tok {
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
    pub(super) fn text(&self) -> &str {
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
pub(super) struct Token {
    pub(super) tok: Tok,
    pub(super) span: Span,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'*')
}

pub(super) fn lex(input: &str) -> Result<Vec<Token>, ParseError> {
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
