//! Unit tests of the condition parser: trees, spans and error messages.

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
