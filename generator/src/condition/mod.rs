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
//!
//! The lexer is in `lex`, the recursive-descent parser in `parser`; this file holds the
//! tree, the error type and the `parse` entry point.

use std::fmt;

mod lex;
mod parser;

#[cfg(test)]
mod tests;

use lex::lex;
use parser::Parser;

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

fn err(message: impl Into<String>, span: Span, help: Option<&str>) -> ParseError {
    ParseError {
        message: message.into(),
        span,
        help: help.map(str::to_owned),
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
