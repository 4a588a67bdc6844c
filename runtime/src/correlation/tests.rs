//! Hand-derived timelines for each aggregate, and a brute-force reference evaluator (every
//! window recomputed from scratch) compared with [`Groups`] over many random timelines.

use super::*;
use crate::test_rng::Rng;

const S: Micros = MICROS_PER_SEC;

fn ev(line: u64) -> EventRef {
    EventRef {
        file: "t".into(),
        line,
        item: None,
    }
}

fn gte(n: f64) -> Condition {
    Condition::Range {
        lo: Some((n, true)),
        hi: None,
    }
}

fn v(s: &str) -> Val {
    Val::from(s)
}

/// Feeds `(time in seconds, key, input)` in order; the lines (1-based positions) that alerted.
fn run<K: groups::Key, A: Aggregate>(
    mut g: Groups<K, A>,
    matches: Vec<(i64, K, A::Input)>,
) -> Vec<(u64, Fired)> {
    let mut out = Vec::new();
    for (n, (t, k, i)) in matches.into_iter().enumerate() {
        if let Some(f) = g.observe(k, t * S, i, ev(n as u64 + 1)) {
            out.push((n as u64 + 1, f));
        }
    }
    out
}

fn lines(alerts: &[(u64, Fired)]) -> Vec<u64> {
    alerts.iter().map(|(l, _)| *l).collect()
}

#[test]
fn event_count_window_ends_are_included() {
    // timespan 10 s, gte 3: matches at 0, 5, 10 → the window [0, 10] holds three.
    let g = Groups::new(Limits::default(), Count, 10 * S, gte(3.0));
    let a = run(g, vec![(0, (), ()), (5, (), ()), (10, (), ())]);
    assert_eq!(lines(&a), [3]);
    assert_eq!(a[0].1.first, 0);
    assert_eq!(a[0].1.last, 10 * S);
    assert_eq!(a[0].1.count, 3);
    // 0, 5, 11: at 11 the window is [1, 11], the match at 0 has left.
    let g = Groups::new(Limits::default(), Count, 10 * S, gte(3.0));
    assert!(run(g, vec![(0, (), ()), (5, (), ()), (11, (), ())]).is_empty());
}

#[test]
fn a_group_restarts_after_it_alerts() {
    // gte 2 over a burst of 5 in one second: alerts at the 2nd and 4th, not at each.
    let g = Groups::new(Limits::default(), Count, 60 * S, gte(2.0));
    let burst = (0..5).map(|i| (i, (), ())).collect();
    assert_eq!(lines(&run(g, burst)), [2, 4]);
}

#[test]
fn groups_are_separate() {
    let g = Groups::new(Limits::default(), Count, 60 * S, gte(2.0));
    let a = run(
        g,
        vec![
            (0, (v("a"),), ()),
            (1, (v("b"),), ()),
            (2, (v("a"),), ()),
            (3, (v("b"),), ()),
        ],
    );
    assert_eq!(lines(&a), [3, 4]);
    assert_eq!(a[0].1.group, [v("a")]);
    assert_eq!(a[1].1.group, [v("b")]);
}

#[test]
fn lt_lte_eq_neq_under_evaluation_at_every_match() {
    let lt = Condition::Range {
        lo: None,
        hi: Some((3.0, false)),
    };
    // lt 3 holds at the first match (1 < 3), and again after each restart.
    let g = Groups::new(Limits::default(), Count, 60 * S, lt);
    assert_eq!(
        lines(&run(g, (0..3).map(|i| (i, (), ())).collect())),
        [1, 2, 3]
    );
    // eq 3 holds at the third match of a burst.
    let g = Groups::new(Limits::default(), Count, 60 * S, Condition::Eq(3.0));
    assert_eq!(
        lines(&run(g, (0..7).map(|i| (i, (), ())).collect())),
        [3, 6]
    );
    // neq 1 never holds at the first match of a window: 2 ≠ 1 at the second.
    let g = Groups::new(Limits::default(), Count, 60 * S, Condition::Neq(1.0));
    assert_eq!(
        lines(&run(g, (0..4).map(|i| (i, (), ())).collect())),
        [2, 4]
    );
    // A range: 2 ≤ n ≤ 3 holds at the second.
    let range = Condition::Range {
        lo: Some((2.0, true)),
        hi: Some((3.0, true)),
    };
    let g = Groups::new(Limits::default(), Count, 60 * S, range);
    assert_eq!(
        lines(&run(g, (0..4).map(|i| (i, (), ())).collect())),
        [2, 4]
    );
}

#[test]
fn value_count_counts_distinct_values_only() {
    // Namespaces a, a, b, (none), c within 10 minutes: 3 distinct at the fifth match.
    let g = Groups::new(Limits::default(), Distinct::default(), 600 * S, gte(3.0));
    let a = run(
        g,
        vec![
            (0, (v("u"),), Some(v("a"))),
            (60, (v("u"),), Some(v("a"))),
            (120, (v("u"),), Some(v("b"))),
            (180, (v("u"),), None),
            (240, (v("u"),), Some(v("c"))),
        ],
    );
    assert_eq!(lines(&a), [5]);
    assert_eq!(a[0].1.value, Some(3.0));
    assert_eq!(a[0].1.count, 5);
    // Case matters: `A` and `a` are two values.
    let g = Groups::new(Limits::default(), Distinct::default(), 600 * S, gte(2.0));
    assert_eq!(
        lines(&run(g, vec![(0, (), Some(v("a"))), (1, (), Some(v("A")))])),
        [2]
    );
}

#[test]
fn temporal_needs_every_rule_in_the_window() {
    let g = Groups::new(Limits::default(), Temporal::default(), 300 * S, gte(2.0));
    // rule 0 at 0, rule 0 at 100, rule 1 at 400: the window [100, 400] holds both.
    assert_eq!(
        lines(&run(g, vec![(0, (), 1), (100, (), 1), (400, (), 2)])),
        [3]
    );
    let g = Groups::new(Limits::default(), Temporal::default(), 300 * S, gte(2.0));
    // rule 1 first is fine (no order), and one event matching both rules is enough.
    assert_eq!(lines(&run(g, vec![(0, (), 2), (1, (), 1)])), [2]);
    let g = Groups::new(Limits::default(), Temporal::default(), 300 * S, gte(2.0));
    assert_eq!(lines(&run(g, vec![(0, (), 3)])), [1]);
}

#[test]
fn temporal_extended_conditions_are_booleans_over_the_rules_present() {
    // `a and not b`
    fn a_and_not_b(present: u64) -> bool {
        present & 1 != 0 && present & 2 == 0
    }
    let g = Groups::new(
        Limits::default(),
        Temporal::default(),
        300 * S,
        Condition::Rules(a_and_not_b),
    );
    // b then a: not alerting; a alone after b has left (b at 0, a at 400): alerts.
    assert_eq!(
        lines(&run(g, vec![(0, (), 2), (100, (), 1), (400, (), 1)])),
        [3]
    );
}

#[test]
fn temporal_ordered_needs_the_order_of_rules() {
    let cond = gte(2.0);
    let g = Groups::new(Limits::default(), Ordered(2), 300 * S, cond);
    // b then a: no; then b again after a: yes.
    assert_eq!(
        lines(&run(g, vec![(0, (), 2), (1, (), 1), (2, (), 2)])),
        [3]
    );
    // One event matching both rules does not fill both steps.
    let g = Groups::new(Limits::default(), Ordered(2), 300 * S, cond);
    assert_eq!(lines(&run(g, vec![(0, (), 3), (1, (), 3)])), [2]);
    // a, then b 301 s later: a has left the window.
    let g = Groups::new(Limits::default(), Ordered(2), 300 * S, cond);
    assert!(run(g, vec![(0, (), 1), (301, (), 2)]).is_empty());
}

#[test]
fn numeric_aggregates() {
    let vals = |xs: &[f64]| -> Vec<(i64, (), Option<f64>)> {
        xs.iter()
            .enumerate()
            .map(|(i, x)| (i as i64, (), Some(*x)))
            .collect()
    };
    let g = Groups::new(
        Limits::default(),
        Numeric(NumericKind::Sum),
        60 * S,
        gte(10.0),
    );
    assert_eq!(lines(&run(g, vals(&[4.0, 5.0, 1.0]))), [3]);
    let g = Groups::new(
        Limits::default(),
        Numeric(NumericKind::Avg),
        60 * S,
        gte(5.0),
    );
    assert_eq!(lines(&run(g, vals(&[4.0, 5.0, 7.0]))), [3]);
    // Without a value, the mean is none and never satisfies `lt`.
    let lt = Condition::Range {
        lo: None,
        hi: Some((1.0, false)),
    };
    let g = Groups::new(Limits::default(), Numeric(NumericKind::Avg), 60 * S, lt);
    assert!(run(g, vec![(0, (), None)]).is_empty());
    // Median (nearest rank 50): of 1, 9, 10 it is 9.
    let g = Groups::new(
        Limits::default(),
        Numeric(NumericKind::Percentile(50)),
        60 * S,
        gte(9.0),
    );
    assert_eq!(lines(&run(g, vals(&[1.0, 9.0, 10.0]))), [3]);
    assert_eq!(aggregate::nearest_rank(50, 4), 2);
    assert_eq!(aggregate::nearest_rank(95, 20), 19);
    assert_eq!(aggregate::nearest_rank(0, 5), 1);
    assert_eq!(aggregate::nearest_rank(100, 5), 5);
}

#[test]
fn alerts_list_at_most_the_cap() {
    let g = Groups::new(Limits::default(), Count, 600 * S, gte(40.0));
    let a = run(g, (0..40).map(|i| (i, (), ())).collect());
    assert_eq!(a[0].1.events.len(), EVENTS_CAP);
    assert_eq!(a[0].1.omitted, 40 - EVENTS_CAP);
    assert_eq!(a[0].1.events[0].line, 1);
}

#[test]
fn bounds_evict_the_least_recently_seen_group_and_count_overflows() {
    let limits = Limits {
        max_groups: 2,
        max_window: 3,
        ..Limits::default()
    };
    let mut g = Groups::new(limits, Count, 600 * S, gte(100.0));
    for (t, k) in [(0, "a"), (1, "b"), (2, "a"), (3, "c")] {
        assert!(g.observe((v(k),), t * S, (), ev(1)).is_none());
    }
    // b was the least recently seen when c came.
    assert_eq!(g.stats().evicted, 1);
    assert_eq!(g.stats().groups, 2);
    for t in 4..10 {
        g.observe((v("a"),), t * S, (), ev(1));
    }
    // a held 2, then 6 more into a window of 3: 5 dropped.
    assert_eq!(g.stats().overflow, 5);
}

#[test]
fn memory_stays_flat() {
    // An unbounded stream of ever new groups: state never exceeds the bounds.
    let limits = Limits {
        max_groups: 1000,
        max_window: 50,
        max_entries: 5000,
    };
    let mut g = Groups::new(limits, Distinct::<Val>::default(), 60 * S, gte(1e9));
    let mut rng = Rng(7);
    for t in 0..200_000i64 {
        let key = (Val(format!("user{}", rng.below(1_000_000)).into()),);
        let val = Some(Val(format!("{}", rng.below(100)).into()));
        g.observe(key, t * S / 10, val, ev(1));
        assert!(g.stats().groups <= 1000);
        assert!(g.held() <= 5000);
    }
    assert!(g.stats().evicted > 190_000);
    // A hot group among cold ones: the budget of matches holds, by evicting the least
    // recently seen groups.
    let limits = Limits {
        max_groups: 1000,
        max_window: 10_000,
        max_entries: 100,
    };
    let mut g = Groups::new(limits, Count, 3600 * S, gte(1e9));
    for t in 0..10_000i64 {
        let key = if t % 2 == 0 {
            (v("hot"),)
        } else {
            (Val(format!("cold{t}").into()),)
        };
        g.observe(key, t * S, (), ev(1));
        assert!(g.held() <= 100);
    }
    assert!(g.stats().evicted > 0);
    // A group alone over the budget drops its oldest matches.
    let mut g = Groups::new(limits, Count, 3600 * S, gte(1e9));
    for t in 0..200i64 {
        g.observe((v("alone"),), t * S, (), ev(1));
    }
    assert_eq!(
        (g.held(), g.stats().overflow, g.stats().evicted),
        (100, 100, 0)
    );
}

#[test]
fn reorder_releases_in_time_order_and_drops_late_items() {
    let mut r = Reorder::new(10, 100);
    let mut out = Vec::new();
    for (t, x) in [
        (5, 'a'),
        (3, 'b'),
        (20, 'c'),
        (9, 'd'),
        (12, 'e'),
        (40, 'f'),
    ] {
        let p = r.push(t, x, |t, _, x| out.push((t, x)));
        // 9 < 20 − 10: late.
        assert_eq!(p == Pushed::Late, x == 'd', "{x}");
    }
    r.flush(|t, _, x| out.push((t, x)));
    assert_eq!(out, [(3, 'b'), (5, 'a'), (12, 'e'), (20, 'c'), (40, 'f')]);
    assert_eq!(r.late, 1);
    // A full buffer releases its earliest early, and nothing earlier is accepted after it.
    let mut r = Reorder::new(1000, 2);
    let mut out = Vec::new();
    for t in [5, 6, 7] {
        r.push(t, t, |_, _, x| out.push(x));
    }
    assert_eq!(out, [5]);
    assert_eq!(r.overflow, 1);
    assert_eq!(r.push(4, 4, |_, _, x| out.push(x)), Pushed::Late);
}

// ---- The reference: every window from scratch. ----

#[derive(Debug, Clone, Copy)]
enum Kind {
    Count,
    Distinct,
    Temporal,
    Ordered(u32),
    Sum,
    Avg,
    Pct(u8),
}

#[derive(Debug, Clone)]
struct M {
    time: Micros,
    key: u8,
    inputs: u64,
    value: Option<u8>,
}

/// The alerting positions, recomputed the slow way: for each match, the group's matches
/// since its last alert with time in [t − span, t], aggregated from scratch.
fn reference(kind: Kind, span: Micros, cond: &Condition, ms: &[M]) -> Vec<(usize, Option<f64>)> {
    let mut restart: std::collections::HashMap<u8, usize> = Default::default();
    let mut out = Vec::new();
    for (i, m) in ms.iter().enumerate() {
        let from = restart.get(&m.key).copied().unwrap_or(0);
        let w: Vec<&M> = ms[from..=i]
            .iter()
            .filter(|x| x.key == m.key && x.time >= m.time - span)
            .collect();
        let nums = || w.iter().filter_map(|x| x.value.map(f64::from));
        let present = w.iter().fold(0u64, |a, x| a | x.inputs);
        let value = match kind {
            Kind::Count => Some(w.len() as f64),
            Kind::Distinct => {
                let s: std::collections::BTreeSet<u8> = w.iter().filter_map(|x| x.value).collect();
                Some(s.len() as f64)
            }
            Kind::Temporal => Some(f64::from(present.count_ones())),
            Kind::Ordered(n) => {
                // Longest k such that r0..rk-1 occur at strictly increasing positions.
                let mut best = 0;
                'k: for k in 1..=n {
                    let mut pos = 0;
                    for step in 0..k {
                        match w[pos..].iter().position(|x| x.inputs & (1 << step) != 0) {
                            Some(p) => pos += p + 1,
                            None => break 'k,
                        }
                    }
                    best = k;
                }
                Some(f64::from(best))
            }
            Kind::Sum => {
                let v: Vec<f64> = nums().collect();
                (!v.is_empty()).then(|| v.iter().sum())
            }
            Kind::Avg => {
                let v: Vec<f64> = nums().collect();
                (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
            }
            Kind::Pct(p) => {
                let mut v: Vec<f64> = nums().collect();
                v.sort_by(f64::total_cmp);
                (!v.is_empty()).then(|| {
                    let rank = ((f64::from(p) / 100.0 * v.len() as f64).ceil() as usize).max(1);
                    v[rank - 1]
                })
            }
        };
        if cond.holds(value, present) {
            out.push((i, value));
            restart.insert(m.key, i + 1);
        }
    }
    out
}

fn compiled(kind: Kind, span: Micros, cond: Condition, ms: &[M]) -> Vec<(usize, Option<f64>)> {
    fn go<A: Aggregate>(
        mut g: Groups<(Val,), A>,
        ms: &[M],
        input: impl Fn(&M) -> A::Input,
    ) -> Vec<(usize, Option<f64>)> {
        let mut out = Vec::new();
        for (i, m) in ms.iter().enumerate() {
            let key = (Val(m.key.to_string().into()),);
            if let Some(f) = g.observe(key, m.time, input(m), ev(i as u64)) {
                out.push((i, f.value));
            }
        }
        out
    }
    let l = Limits::default();
    let val = |m: &M| m.value.map(|x| Val(x.to_string().into()));
    let num = |m: &M| m.value.map(f64::from);
    match kind {
        Kind::Count => go(Groups::new(l, Count, span, cond), ms, |_| ()),
        Kind::Distinct => go(Groups::new(l, Distinct::default(), span, cond), ms, val),
        Kind::Temporal => go(Groups::new(l, Temporal::default(), span, cond), ms, |m| {
            m.inputs
        }),
        Kind::Ordered(n) => go(Groups::new(l, Ordered(n), span, cond), ms, |m| m.inputs),
        Kind::Sum => go(
            Groups::new(l, Numeric(NumericKind::Sum), span, cond),
            ms,
            num,
        ),
        Kind::Avg => go(
            Groups::new(l, Numeric(NumericKind::Avg), span, cond),
            ms,
            num,
        ),
        Kind::Pct(p) => go(
            Groups::new(l, Numeric(NumericKind::Percentile(p)), span, cond),
            ms,
            num,
        ),
    }
}

fn present_ab(p: u64) -> bool {
    p & 1 != 0 && (p & 2 == 0 || p & 4 != 0)
}

#[test]
fn compiled_windows_agree_with_the_reference_on_random_timelines() {
    let mut rng = Rng(0x5eed_c0de);
    let mut alerts = 0;
    for round in 0..3000 {
        let kind = match rng.below(7) {
            0 => Kind::Count,
            1 => Kind::Distinct,
            2 => Kind::Temporal,
            3 => Kind::Ordered(1 + rng.below(3) as u32),
            4 => Kind::Sum,
            5 => Kind::Avg,
            _ => Kind::Pct([0, 25, 50, 95, 100][rng.below(5)]),
        };
        let n = rng.below(8) as f64;
        let cond = match rng.below(8) {
            0 => Condition::Range {
                lo: Some((n, false)),
                hi: None,
            },
            1 => Condition::Range {
                lo: Some((n, true)),
                hi: None,
            },
            2 => Condition::Range {
                lo: None,
                hi: Some((n, false)),
            },
            3 => Condition::Range {
                lo: None,
                hi: Some((n, true)),
            },
            4 => Condition::Eq(n),
            5 => Condition::Neq(n),
            6 => Condition::Range {
                lo: Some((n, true)),
                hi: Some((n + 2.0, true)),
            },
            // Extended conditions exist for `temporal` only.
            _ if matches!(kind, Kind::Temporal) => Condition::Rules(present_ab),
            _ => Condition::Eq(n),
        };
        let span = (1 + rng.below(20) as i64) * S;
        let mut t = 0;
        let ms: Vec<M> = (0..rng.below(60))
            .map(|_| {
                // Many equal times and many exact window edges.
                t += [0, 0, S, S, 5 * S, span][rng.below(6)];
                M {
                    time: t,
                    key: rng.below(3) as u8,
                    inputs: 1 + rng.below(7) as u64,
                    value: (rng.below(5) > 0).then(|| rng.below(6) as u8),
                }
            })
            .collect();
        let want = reference(kind, span, &cond, &ms);
        let got = compiled(kind, span, cond, &ms);
        assert_eq!(
            got, want,
            "round {round}: {kind:?} {cond:?} span {span} {ms:?}"
        );
        alerts += want.len();
    }
    // The comparison is not vacuous.
    assert!(alerts > 5000, "{alerts}");
}
