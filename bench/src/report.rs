//! The report: one table per case (events/s, MB/s, matches, ratio to `detect`), the count
//! checks against the hand-written matchers, and the targets blocks with PASS/FAIL: issue 4's
//! and issue 11's for the Kubernetes cases, and issue 11's for case (d), printed after it.

use crate::cases::{Case, EngineSpec, Kind};
use crate::number::fmt_int;
use crate::sigmahq_case::{BuildInfo, Compiled};
use crate::Args;
use sigma_bench::corpus::Stats;
use std::fmt::Write as _;

pub(crate) fn print_case(case: &Case, stats: &Stats, runs: usize) {
    let events = stats.events;
    let mb = stats.bytes as f64 / 1e6;
    println!();
    println!(
        "== case ({}) {}: {} rule{}, {} events, {:.1} MB, median of {} run{}",
        case.id,
        case.title,
        case.rules,
        if case.rules == 1 { "" } else { "s" },
        fmt_int(events),
        mb,
        runs,
        if runs == 1 { "" } else { "s" }
    );
    let ours = case.eps(Kind::Ours, events);
    println!(
        "{:<46} {:>12} {:>9} {:>9} {:>10} {:>13}",
        "engine", "events/s", "MB/s", "median s", "matches", "detect ÷ this"
    );
    for e in &case.engines {
        if let Some(err) = &e.error {
            println!(
                "{:<46} FAILED: {}",
                e.name,
                err.lines().next().unwrap_or("")
            );
            continue;
        }
        let Some(secs) = e.median_secs() else {
            continue;
        };
        let eps = events as f64 / secs;
        let ratio = match (ours, e.kind) {
            (Some(o), k) if k != Kind::Ours => format!("{:.2}×", o / eps),
            (Some(_), _) => "1.00×".into(),
            _ => "—".into(),
        };
        let count = match (e.kind, e.count()) {
            (Kind::Floor, Some(c)) => format!("({})", fmt_int(c)),
            (_, Some(c)) => fmt_int(c),
            _ => "—".into(),
        };
        println!(
            "{:<46} {:>12} {:>9.0} {:>9.3} {:>10} {:>13}{}",
            e.name,
            fmt_int(eps.round() as u64),
            mb / secs,
            secs,
            count,
            ratio,
            if e.count_stable() {
                ""
            } else {
                "  (count varied between runs!)"
            }
        );
    }
    let rss: Vec<String> = case
        .engines
        .iter()
        .filter_map(|e| {
            e.max_rss_kib()
                .map(|k| format!("{} {:.1} MiB", e.name, k as f64 / 1024.0))
        })
        .collect();
    if !rss.is_empty() {
        println!("peak RSS (max over runs): {}", rss.join("; "));
    }
    for n in &case.notes {
        println!("note: {n}");
    }
}

/// Compares each engine's count with the reference (the hand-written matcher), explaining the
/// known sigma-rust gap; returns whether `detect` agreed.
pub(crate) fn check_counts(case: &mut Case, reference: Kind, group_only: Option<u64>) -> bool {
    let Some(want) = case.engine(reference).and_then(|e| e.count()) else {
        return true;
    };
    let mut ok = true;
    let mut lines = Vec::new();
    for e in &case.engines {
        if matches!(e.kind, Kind::Floor | Kind::Parse) || e.kind == reference {
            continue;
        }
        let Some(got) = e.count() else { continue };
        if got == want {
            lines.push(format!("{}: {} = hand-written", e.name, fmt_int(got)));
            continue;
        }
        let mut msg = format!(
            "{}: {} ≠ hand-written {} ({:+})",
            e.name,
            fmt_int(got),
            fmt_int(want),
            got as i64 - want as i64
        );
        match e.kind {
            Kind::Ours | Kind::OursParallel => {
                ok = false;
                msg.push_str(" — MISMATCH: detect disagrees with the reference matcher");
            }
            Kind::SigmaRust => {
                msg.push_str(
                    " — sigma-rust is known never to match an array field (see its probe)",
                );
                if let Some(g) = group_only {
                    let _ = write!(
                        msg,
                        " ({} of the {} true matches match only through an element of impersonatedUser.groups)",
                        fmt_int(g),
                        fmt_int(want)
                    );
                }
            }
            Kind::Rsigma => msg.push_str(" — see its probe"),
            _ => {}
        }
        lines.push(msg);
    }
    case.notes
        .push(format!("match counts: {}", lines.join("; ")));
    ok
}

/// How a measured figure is held against its bound.
#[derive(Clone, Copy)]
pub(crate) enum Bound {
    /// `got >= need`
    AtLeast,
    /// `got <= need`
    AtMost,
    /// `got < need`
    Below,
}

/// One line of a targets block.
pub(crate) struct Target {
    pub(crate) what: String,
    /// The bound; `None`: the figure is stated, not judged (`[----]`).
    pub(crate) need: Option<(Bound, f64)>,
    pub(crate) got: Option<f64>,
    pub(crate) unit: &'static str,
    /// Why `got` is `None` (`[N/A ]`).
    why_missing: String,
    /// Measured, but not a figure the target is about, and why (`[N/A ]` with the figure).
    not_judged: Option<String>,
    /// Printed after the figure: the aim, the case it comes from, a caveat.
    note: String,
}

impl Target {
    fn new(
        what: impl Into<String>,
        need: Option<(Bound, f64)>,
        got: Option<f64>,
        unit: &'static str,
        why_missing: impl Into<String>,
    ) -> Self {
        Target {
            what: what.into(),
            need,
            got,
            unit,
            why_missing: why_missing.into(),
            not_judged: None,
            note: String::new(),
        }
    }
    fn at_least(what: &str, need: f64, got: Option<f64>, why_missing: String) -> Self {
        Target::new(what, Some((Bound::AtLeast, need)), got, "×", why_missing)
    }
    fn note(mut self, note: impl Into<String>) -> Self {
        self.note = note.into();
        self
    }

    /// The line as printed: `[PASS]`, `[FAIL]`, `[N/A ]` (not measured, or measured but not
    /// what the target is about) or `[----]` (printed, not judged: a smoke run, or a figure
    /// that is only stated).
    pub(crate) fn line(&self, smoke: bool) -> String {
        let Some(g) = self.got else {
            return format!("[N/A ] {:<66} {}", self.what, self.why_missing);
        };
        let measured = format!("measured {g:.2}{}{}", self.unit, self.note);
        let tag = match (&self.not_judged, self.need, smoke) {
            (Some(why), _, _) => {
                return format!("[N/A ] {:<66} {measured} — not judged: {why}", self.what)
            }
            (None, None, _) | (None, Some(_), true) => "----",
            (None, Some((bound, need)), false) => {
                let pass = match bound {
                    Bound::AtLeast => g >= need,
                    Bound::AtMost => g <= need,
                    Bound::Below => g < need,
                };
                if pass {
                    "PASS"
                } else {
                    "FAIL"
                }
            }
        };
        format!("[{tag}] {:<66} {measured}", self.what)
    }
}

fn print_block(header: &str, targets: &[Target], smoke: bool) {
    println!();
    println!("{header}");
    for t in targets {
        println!("{}", t.line(smoke));
    }
}

fn runs_text(runs: usize) -> String {
    format!("median of {runs} run{}", if runs == 1 { "" } else { "s" })
}

/// The Kubernetes cases whose `detect` peak RSS issue 11 bounds.
const RSS_CASES: [char; 4] = ['a', 'b', 'c', 'e'];

/// The targets the Kubernetes cases judge: issue 4's, and issue 11's (without case (d)'s).
/// `sigmahq_k8s` is the number of SigmaHQ rules in case (e).
fn kubernetes_targets(
    cases: &[Case],
    events: u64,
    threads_flag: bool,
    sigmahq_k8s: usize,
) -> (Vec<Target>, Vec<Target>) {
    let find = |id: char| cases.iter().find(|c| c.id == id);
    let ratio = |id: char, a: Kind, b: Kind| -> Option<f64> {
        let c = find(id)?;
        Some(c.eps(a, events)? / c.eps(b, events)?)
    };
    let missing = |id: char, what: &str| -> String {
        if find(id).is_none() {
            format!("case ({id}) not run")
        } else {
            format!("{what} not measured")
        }
    };
    // The largest peak RSS of `detect` over the cases a, b, c, e, and the case it was in.
    let peak_rss = cases
        .iter()
        .filter(|c| RSS_CASES.contains(&c.id))
        .flat_map(|c| c.engines.iter().map(move |e| (c.id, e)))
        .filter(|(_, e)| matches!(e.kind, Kind::Ours | Kind::OursParallel))
        .filter_map(|(id, e)| e.max_rss_kib().map(|k| (k, id)))
        .max();
    let rss_mib = peak_rss.map(|(k, _)| k as f64 / 1024.0);
    let rss_note = match peak_rss {
        Some((_, id)) => {
            let not_run: Vec<String> = RSS_CASES
                .iter()
                .filter(|c| find(**c).is_none())
                .map(char::to_string)
                .collect();
            format!(
                " (largest in case ({id}){})",
                if not_run.is_empty() {
                    String::new()
                } else {
                    format!("; not run: {}", not_run.join(", "))
                }
            )
        }
        None => String::new(),
    };
    let issue4 = vec![
        Target::at_least(
            "flagship: detect ≥ 0.8× the memchr floor",
            0.8,
            ratio('a', Kind::Ours, Kind::Floor),
            missing('a', "the floor"),
        ),
        Target::at_least(
            "no-prefilter rule: detect ≥ 1.2× the hand-written serde matcher",
            1.2,
            ratio('c', Kind::Ours, Kind::HandRead),
            missing('c', "the hand-written matcher"),
        ),
        Target::at_least(
            "flagship: detect ≥ 10× sigma-rust",
            10.0,
            ratio('a', Kind::Ours, Kind::SigmaRust),
            missing('a', "sigma-rust"),
        ),
        Target::at_least(
            "rule set: detect ≥ 10× sigma-rust",
            10.0,
            ratio('b', Kind::Ours, Kind::SigmaRust),
            missing('b', "sigma-rust"),
        ),
        Target::new(
            "peak RSS of detect < 64 MiB (max over every run of a, b, c, e)",
            Some((Bound::Below, 64.0)),
            rss_mib,
            " MiB",
            "no detect run",
        )
        .note(rss_note.clone()),
        Target::at_least(
            "no-prefilter rule: 2 threads ≥ 1.7× 1 thread",
            1.7,
            ratio('c', Kind::OursParallel, Kind::Ours),
            if threads_flag {
                missing('c', "the 2-thread run")
            } else {
                "detect scan has no --threads yet".into()
            },
        ),
    ];
    let issue11 = vec![
        Target::at_least(
            "flagship: detect ≥ 0.9× the memchr floor",
            0.9,
            ratio('a', Kind::Ours, Kind::Floor),
            missing('a', "the floor"),
        ),
        Target::at_least(
            &format!("flagship + {sigmahq_k8s} SigmaHQ rules: detect ≥ 6× serde_json Value parse"),
            6.0,
            ratio('e', Kind::Ours, Kind::Parse),
            missing('e', "the serde_json Value parse"),
        ),
        Target::at_least(
            "no-prefilter rule: detect ≥ 1.5× the hand-written serde matcher",
            1.5,
            ratio('c', Kind::Ours, Kind::HandRead),
            missing('c', "the hand-written matcher"),
        ),
        Target::new(
            "Kubernetes cases a, b, c, e: peak RSS of detect < 64 MiB",
            Some((Bound::Below, 64.0)),
            rss_mib,
            " MiB",
            "no detect run in cases a, b, c, e",
        )
        .note(rss_note),
    ];
    (issue4, issue11)
}

/// Prints the targets of issue 4 and those of issue 11 that the Kubernetes cases judge, with
/// PASS/FAIL (and, for a smoke run, its verdict); returns `all_ok` with the count check (and
/// the smoke check) folded in. `sigmahq_k8s` is the number of SigmaHQ rules in case (e).
pub(crate) fn print_targets(
    args: &Args,
    cases: &[Case],
    stats: &Stats,
    threads_flag: bool,
    sigmahq_k8s: usize,
    mut all_ok: bool,
) -> bool {
    let events = stats.events;
    let (issue4, mut issue11) = kubernetes_targets(cases, events, threads_flag, sigmahq_k8s);
    let smoke_note = if args.smoke {
        " — smoke run: speed figures meaningless and not judged ([----]), counts checked"
    } else {
        ""
    };
    print_block(
        &format!(
            "== targets (issue 4 §6), {} events, {}{smoke_note}",
            fmt_int(events),
            runs_text(args.runs)
        ),
        &issue4,
        args.smoke,
    );
    let counts_ok = cases.iter().all(|c| {
        c.engines
            .iter()
            .filter(|e| matches!(e.kind, Kind::Ours | Kind::OursParallel))
            .all(|e| {
                let reference = match c.id {
                    'a' => c.engine(Kind::HandFlagship),
                    'c' => c.engine(Kind::HandRead),
                    _ => None,
                };
                match (reference.and_then(EngineSpec::count), e.count()) {
                    (Some(want), Some(got)) => want == got,
                    _ => true,
                }
            })
    });
    println!(
        "[{}] {:<66} {}",
        if counts_ok { "PASS" } else { "FAIL" },
        "detect's match counts equal the hand-written matchers' (a, c)",
        if counts_ok {
            "equal"
        } else {
            "MISMATCH (see the notes above)"
        }
    );
    all_ok &= counts_ok;

    let d_later = args.cases.contains(&'d');
    if !d_later {
        issue11.extend(sigmahq_targets(None));
    }
    print_block(
        &format!(
            "== targets (issue 11), Kubernetes cases, {} events, {}{smoke_note}",
            fmt_int(events),
            runs_text(args.runs)
        ),
        &issue11,
        args.smoke,
    );
    if d_later {
        println!("       SigmaHQ corpus (case d): its targets are printed after case (d), below");
    }
    if args.smoke {
        let flagship_count = cases
            .iter()
            .find(|c| c.id == 'a')
            .and_then(|c| c.engine(Kind::Ours))
            .and_then(EngineSpec::count);
        if flagship_count == Some(0) {
            println!(
                "smoke: the flagship matched nothing in the corpus; the count check proves little"
            );
            all_ok = false;
        }
        println!("smoke: {}", if all_ok { "ok" } else { "FAILED" });
    }
    all_ok
}

/// What case (d) measured, for its targets.
pub(crate) struct Sigmahq<'a> {
    /// The case: `detect` on 1 and 2 threads (`Kind::Ours`, `Kind::OursParallel`) and
    /// rsigma-eval (`Kind::Rsigma`).
    pub(crate) case: &'a Case,
    pub(crate) events: u64,
    pub(crate) runs: usize,
    pub(crate) threads_flag: bool,
    pub(crate) build: &'a BuildInfo,
}

/// 1.5 GB, in bytes (GB as MB elsewhere in this report: powers of ten).
const BUILD_BYTES: f64 = 1.5e9;

/// Issue 11's targets for case (d); `None`: the case was not run, every line `N/A`.
pub(crate) fn sigmahq_targets(d: Option<&Sigmahq<'_>>) -> Vec<Target> {
    let eps = |k: Kind| {
        let d = d?;
        d.case.engine(k)?.median_secs().map(|s| d.events as f64 / s)
    };
    let ratio = |a: Kind, b: Kind| Some(eps(a)? / eps(b)?);
    let missing = |what: &str| match d {
        None => "case (d) not run (--cases d; heavy)".to_string(),
        Some(_) => format!("{what} not measured"),
    };
    let one_vs_rsigma = ratio(Kind::Ours, Kind::Rsigma);
    let aim = match one_vs_rsigma {
        Some(r) if r >= 10.0 => " (aim 10×: reached)",
        Some(_) => " (aim 10×: not reached)",
        None => "",
    };
    let mut targets = vec![
        Target::at_least(
            "SigmaHQ corpus: detect 1 thread ≥ 5× rsigma-eval (aim 10×)",
            5.0,
            one_vs_rsigma,
            missing("rsigma-eval"),
        )
        .note(aim),
        Target::at_least(
            "SigmaHQ corpus: detect 2 threads ≥ 1.8× 1 thread",
            1.8,
            ratio(Kind::OursParallel, Kind::Ours),
            match d {
                Some(d) if !d.threads_flag => "detect scan has no --threads".into(),
                _ => missing("the 2-thread run"),
            },
        ),
    ];
    let build = d.map(|d| d.build);
    let mut time = Target::new(
        "SigmaHQ corpus: build ≤ 2 min (wall time), after dependencies",
        Some((Bound::AtMost, 120.0)),
        build.map(|b| b.secs),
        " s",
        missing("the build"),
    );
    let mut memory = Target::new(
        "SigmaHQ corpus: largest build process ≤ 1.5 GB, after dependencies",
        Some((Bound::AtMost, BUILD_BYTES / 1e9)),
        build.map(|b| b.max_rss_kib as f64 * 1024.0 / 1e9),
        " GB",
        missing("the build"),
    );
    if let Some(b) = build {
        memory.note = format!(" ({} MiB)", fmt_int(b.max_rss_kib / 1024));
        if !b.forced {
            let why = "--no-rebuild: the build was only cargo's check of what changed";
            time.not_judged = Some(why.into());
            memory.not_judged = Some(why.into());
        } else {
            match &b.compiled {
                Compiled::Known {
                    dependencies,
                    workspace,
                } => {
                    if !dependencies.is_empty() {
                        time.not_judged = Some(format!(
                            "first build: {} dependency crates were compiled in it (run again to judge)",
                            dependencies.len()
                        ));
                        memory.note.push_str(
                            " — caveat: dependencies were compiled in this build too; the largest process may be one of theirs",
                        );
                    } else if !workspace.is_empty() {
                        let also = format!(
                            " — caveat: {} recompiled too (changed since the last build)",
                            workspace.join(", ")
                        );
                        time.note.push_str(&also);
                        memory.note.push_str(&also);
                    }
                }
                Compiled::Unknown { binary_existed } => {
                    let caveat = format!(
                        " — caveat: cargo reported no artifacts, so whether dependencies were compiled in this build is not known (the binary {} before)",
                        if *binary_existed { "existed" } else { "did not exist" }
                    );
                    time.note.push_str(&caveat);
                    memory.note.push_str(&caveat);
                }
            }
        }
    }
    targets.push(time);
    targets.push(memory);
    let rss = d.and_then(|d| {
        d.case
            .engines
            .iter()
            .filter(|e| matches!(e.kind, Kind::Ours | Kind::OursParallel))
            .filter_map(EngineSpec::max_rss_kib)
            .max()
    });
    targets.push(Target::new(
        "SigmaHQ corpus: peak RSS of detect (stated, not judged)",
        None,
        rss.map(|k| k as f64 / 1024.0),
        " MiB",
        missing("detect"),
    ));
    targets
}

/// Prints issue 11's targets block for case (d), at the end of its output.
pub(crate) fn print_sigmahq_targets(d: &Sigmahq<'_>) {
    print_block(
        &format!(
            "== targets (issue 11), case (d) SigmaHQ corpus, {} events, {}",
            fmt_int(d.events),
            runs_text(d.runs)
        ),
        &sigmahq_targets(Some(d)),
        false,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Sample;

    fn engine(kind: Kind, secs: f64, rss_kib: Option<u64>) -> EngineSpec {
        let mut e = EngineSpec::new("x", kind);
        e.samples.push(Sample {
            secs,
            count: 1,
            max_rss_kib: rss_kib,
        });
        e
    }

    fn case_d() -> Case {
        Case {
            id: 'd',
            title: "SigmaHQ".into(),
            rules: 3780,
            engines: vec![
                engine(Kind::Ours, 10.0, Some(300 * 1024)),
                engine(Kind::OursParallel, 5.0, Some(310 * 1024)),
                engine(Kind::Rsigma, 62.0, None),
            ],
            notes: Vec::new(),
        }
    }

    fn lines(targets: &[Target]) -> Vec<String> {
        targets.iter().map(|t| t.line(false)).collect()
    }

    #[test]
    fn line_formats() {
        let t = Target::at_least("x ≥ 2×", 2.0, Some(2.5), String::new());
        assert_eq!(
            t.line(false),
            format!("[PASS] {:<66} measured 2.50×", "x ≥ 2×")
        );
        assert_eq!(
            t.line(true),
            format!("[----] {:<66} measured 2.50×", "x ≥ 2×")
        );
        let t = Target::at_least("x ≥ 2×", 2.0, Some(1.5), String::new());
        assert!(t.line(false).starts_with("[FAIL] "));
        let t = Target::at_least("x ≥ 2×", 2.0, None, "case (e) not run".into());
        assert_eq!(
            t.line(false),
            format!("[N/A ] {:<66} case (e) not run", "x ≥ 2×")
        );
        let t = Target::new("rss", Some((Bound::Below, 64.0)), Some(64.0), " MiB", "");
        assert!(t.line(false).starts_with("[FAIL] "));
        let t = Target::new("t", Some((Bound::AtMost, 120.0)), Some(120.0), " s", "");
        assert!(t.line(false).starts_with("[PASS] "));
    }

    #[test]
    fn kubernetes_targets_of_issue_11() {
        let case = |id: char, engines: Vec<EngineSpec>| Case {
            id,
            title: String::new(),
            rules: 1,
            engines,
            notes: Vec::new(),
        };
        let cases = [
            case(
                'a',
                vec![
                    engine(Kind::Ours, 1.0, Some(20 * 1024)),
                    engine(Kind::Floor, 0.85, None),
                ],
            ),
            case(
                'e',
                vec![
                    engine(Kind::Ours, 1.0, Some(30 * 1024)),
                    engine(Kind::Parse, 7.0, None),
                ],
            ),
        ];
        let (issue4, issue11) = kubernetes_targets(&cases, 1_000_000, true, 16);
        let row = |tag: &str, what: &str, rest: &str| format!("[{tag}] {what:<66} {rest}");
        assert_eq!(
            lines(&issue11),
            [
                row(
                    "FAIL",
                    "flagship: detect ≥ 0.9× the memchr floor",
                    "measured 0.85×"
                ),
                row(
                    "PASS",
                    "flagship + 16 SigmaHQ rules: detect ≥ 6× serde_json Value parse",
                    "measured 7.00×"
                ),
                row(
                    "N/A ",
                    "no-prefilter rule: detect ≥ 1.5× the hand-written serde matcher",
                    "case (c) not run"
                ),
                row(
                    "PASS",
                    "Kubernetes cases a, b, c, e: peak RSS of detect < 64 MiB",
                    "measured 30.00 MiB (largest in case (e); not run: b, c)"
                ),
            ]
        );
        assert!(lines(&issue4)[0].starts_with("[PASS] flagship: detect ≥ 0.8× the memchr floor"));
    }

    #[test]
    fn case_d_targets_when_not_run() {
        for l in lines(&sigmahq_targets(None)) {
            assert!(l.starts_with("[N/A ] SigmaHQ corpus: "), "{l}");
            assert!(l.ends_with(" case (d) not run (--cases d; heavy)"), "{l}");
        }
    }

    #[test]
    fn case_d_targets_after_a_rebuild_of_the_rule_set() {
        let case = case_d();
        let build = BuildInfo {
            secs: 95.0,
            max_rss_kib: 1_200_000,
            forced: true,
            compiled: Compiled::Known {
                dependencies: Vec::new(),
                workspace: Vec::new(),
            },
        };
        let d = Sigmahq {
            case: &case,
            events: 200_000,
            runs: 5,
            threads_flag: true,
            build: &build,
        };
        let l = lines(&sigmahq_targets(Some(&d)));
        let row = |tag: &str, what: &str, rest: &str| format!("[{tag}] {what:<66} {rest}");
        assert_eq!(
            l,
            [
                row(
                    "PASS",
                    "SigmaHQ corpus: detect 1 thread ≥ 5× rsigma-eval (aim 10×)",
                    "measured 6.20× (aim 10×: not reached)"
                ),
                row(
                    "PASS",
                    "SigmaHQ corpus: detect 2 threads ≥ 1.8× 1 thread",
                    "measured 2.00×"
                ),
                row(
                    "PASS",
                    "SigmaHQ corpus: build ≤ 2 min (wall time), after dependencies",
                    "measured 95.00 s"
                ),
                row(
                    "PASS",
                    "SigmaHQ corpus: largest build process ≤ 1.5 GB, after dependencies",
                    "measured 1.23 GB (1,171 MiB)"
                ),
                row(
                    "----",
                    "SigmaHQ corpus: peak RSS of detect (stated, not judged)",
                    "measured 310.00 MiB"
                ),
            ]
        );
    }

    #[test]
    fn case_d_build_not_judged_on_a_first_build_or_without_rebuild() {
        let case = case_d();
        let mut build = BuildInfo {
            secs: 480.0,
            max_rss_kib: 1_200_000,
            forced: true,
            compiled: Compiled::Known {
                dependencies: vec!["registry+…#serde@1.0.0".into(); 3],
                workspace: Vec::new(),
            },
        };
        fn d<'a>(case: &'a Case, build: &'a BuildInfo) -> Sigmahq<'a> {
            Sigmahq {
                case,
                events: 200_000,
                runs: 5,
                threads_flag: true,
                build,
            }
        }
        let l = lines(&sigmahq_targets(Some(&d(&case, &build))));
        assert!(l[2].starts_with("[N/A ] SigmaHQ corpus: build ≤ 2 min"));
        assert!(l[2].ends_with(
            "measured 480.00 s — not judged: first build: 3 dependency crates were compiled in it (run again to judge)"
        ));
        assert!(l[3].starts_with("[PASS] "), "{}", l[3]);
        assert!(l[3].contains("caveat: dependencies were compiled in this build too"));
        build.forced = false;
        let l = lines(&sigmahq_targets(Some(&d(&case, &build))));
        for l in &l[2..4] {
            assert!(l.starts_with("[N/A ] "), "{l}");
            assert!(l.ends_with(
                "not judged: --no-rebuild: the build was only cargo's check of what changed"
            ));
        }
        build.forced = true;
        build.compiled = Compiled::Unknown {
            binary_existed: true,
        };
        let l = lines(&sigmahq_targets(Some(&d(&case, &build))));
        assert!(l[2].starts_with("[FAIL] "), "{}", l[2]);
        assert!(l[2].contains("caveat: cargo reported no artifacts"));
    }
}
