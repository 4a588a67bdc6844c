//! Field tests as data: what a generated OR group of simple tests on one field becomes, so
//! that each group is a call with a constant slice (`ev.text_is(F, &[...])`) instead of a
//! closure of its own. A closure per test compiled a function, its `FnMut` glue and a
//! vtable per group: 13,634 of them in the SigmaHQ corpus.

use crate::event::{bool_eq, num_eq};
use crate::field::Leaf;
use crate::matchers::{
    contains_ci, ends_with_ci, eq_ci, in_sorted, in_sorted_ci, starts_with_any, starts_with_any_ci,
    starts_with_ci,
};

/// A test on a field's text (its value, or a number's or boolean's text form). Needles of
/// the `Ci` tests are folded already.
#[derive(Debug, Clone, Copy)]
pub enum TextTest {
    /// Equal.
    Eq(&'static str),
    /// Starts with.
    Prefix(&'static str),
    /// Ends with.
    Suffix(&'static str),
    /// Contains.
    Contains(&'static str),
    /// One of a sorted set.
    InSorted(&'static [&'static str]),
    /// Starts with one of these.
    Prefixes(&'static [&'static str]),
    /// Equal, ignoring case.
    EqCi(&'static str),
    /// Starts with, ignoring case.
    PrefixCi(&'static str),
    /// Ends with, ignoring case.
    SuffixCi(&'static str),
    /// Contains, ignoring case.
    ContainsCi(&'static str),
    /// One of a sorted set of folded values, ignoring case.
    InSortedCi(&'static [&'static str]),
    /// Starts with one of these folded prefixes, ignoring case.
    PrefixesCi(&'static [&'static str]),
}

impl TextTest {
    /// Whether `v` passes.
    #[inline]
    pub fn holds(&self, v: &str) -> bool {
        match *self {
            TextTest::Eq(n) => v == n,
            TextTest::Prefix(n) => v.starts_with(n),
            TextTest::Suffix(n) => v.ends_with(n),
            TextTest::Contains(n) => v.contains(n),
            TextTest::InSorted(set) => in_sorted(v, set),
            TextTest::Prefixes(set) => starts_with_any(v, set),
            TextTest::EqCi(n) => eq_ci(v, n),
            TextTest::PrefixCi(n) => starts_with_ci(v, n),
            TextTest::SuffixCi(n) => ends_with_ci(v, n),
            TextTest::ContainsCi(n) => contains_ci(v, n),
            TextTest::InSortedCi(set) => in_sorted_ci(v, set),
            TextTest::PrefixesCi(set) => starts_with_any_ci(v, set),
        }
    }
}

/// A test on a field's leaf by value: numbers and booleans.
#[derive(Debug, Clone, Copy)]
pub enum LeafTest {
    /// A number equal to this value (a string spelling exactly the text; see [`num_eq`]).
    Num(f64, &'static str),
    /// This boolean (see [`bool_eq`]).
    Bool(bool),
}

impl LeafTest {
    /// Whether `leaf` passes.
    #[inline]
    pub fn holds(&self, leaf: Leaf<'_>) -> bool {
        match *self {
            LeafTest::Num(value, text) => num_eq(leaf, value, text),
            LeafTest::Bool(b) => bool_eq(leaf, b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_test_is_its_function() {
        let cases: [(TextTest, &str, bool); 14] = [
            (TextTest::Eq("Ab"), "Ab", true),
            (TextTest::Eq("Ab"), "ab", false),
            (TextTest::Prefix("C:"), "C:\\x", true),
            (TextTest::Suffix(".exe"), "a.EXE", false),
            (TextTest::Contains("mid"), "amidb", true),
            (TextTest::InSorted(&["a", "c"]), "c", true),
            (TextTest::Prefixes(&["x", "y"]), "zy", false),
            (TextTest::EqCi("ab"), "AB", true),
            (TextTest::PrefixCi("c:\\"), "C:\\Windows", true),
            (TextTest::SuffixCi(".exe"), "A.EXE", true),
            (TextTest::ContainsCi("kiwi"), "gentilKIWI", true),
            (TextTest::ContainsCi("kiwi"), "kiw", false),
            (TextTest::InSortedCi(&["a.exe", "b.exe"]), "B.EXE", true),
            (TextTest::PrefixesCi(&["-e", "/c"]), "/C dir", true),
        ];
        for (test, v, want) in cases {
            assert_eq!(test.holds(v), want, "{test:?} on {v:?}");
        }
        assert!(LeafTest::Bool(true).holds(Leaf::Bool(true)));
        assert!(!LeafTest::Bool(false).holds(Leaf::Bool(true)));
        assert!(LeafTest::Num(4624.0, "4624").holds(Leaf::Str("4624")));
        assert!(!LeafTest::Num(4624.0, "4624").holds(Leaf::Str("4625")));
    }
}
