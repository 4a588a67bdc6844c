//! The corpus generator: deterministic, valid JSON, realistic sizes, and the documented
//! impersonation and decoy rates; and the hand-written flagship matcher agrees with the
//! scenarios the generator meant to match.

use sigma_bench::corpus::{
    self, Generator, DECOY_RATE, DEFAULT_SEED, IMPERSONATION_RATE, MAX_EVENT_BYTES, MIN_EVENT_BYTES,
};
use sigma_bench::handwritten;

fn lines(seed: u64, n: usize) -> (String, corpus::Stats) {
    let mut g = Generator::new(seed);
    let mut out = String::new();
    for _ in 0..n {
        g.next_line(&mut out);
    }
    (out, g.stats)
}

#[test]
fn same_seed_same_bytes_and_prefix_stable() {
    let (a, sa) = lines(DEFAULT_SEED, 5_000);
    let (b, sb) = lines(DEFAULT_SEED, 5_000);
    assert_eq!(a, b);
    assert_eq!(sa, sb);
    // A longer corpus starts with the shorter one.
    let (c, _) = lines(DEFAULT_SEED, 6_000);
    assert!(c.starts_with(&a));
    // Another seed gives another corpus.
    let (d, _) = lines(DEFAULT_SEED ^ 1, 5_000);
    assert_ne!(a, d);
}

#[test]
fn written_files_are_identical() {
    let dir = std::env::temp_dir().join(format!("sigma-bench-test-{}", std::process::id()));
    let p1 = dir.join("one.ndjson");
    let p2 = dir.join("two.ndjson");
    let s1 = corpus::write_corpus(&p1, 3_000, 7).unwrap();
    let s2 = corpus::write_corpus(&p2, 3_000, 7).unwrap();
    let (b1, b2) = (std::fs::read(&p1).unwrap(), std::fs::read(&p2).unwrap());
    assert_eq!(b1, b2);
    assert_eq!(s1, s2);
    assert_eq!(s1.bytes, b1.len() as u64);
    assert_eq!(s1.events, 3_000);
    let (cached, stats, reused) = corpus::ensure_corpus(&dir, 1_000, 7).unwrap();
    assert!(!reused);
    let (again, stats2, reused2) = corpus::ensure_corpus(&dir, 1_000, 7).unwrap();
    assert!(reused2);
    assert_eq!((cached, stats), (again, stats2));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_line_is_a_valid_audit_event() {
    let (text, stats) = lines(DEFAULT_SEED, 20_000);
    let mut received = 0;
    let mut escaped_reasons = 0;
    let mut with_bodies = 0;
    for line in text.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let o = v.as_object().expect("an object");
        assert_eq!(o["kind"], "Event");
        assert_eq!(o["apiVersion"], "audit.k8s.io/v1");
        for key in [
            "level",
            "auditID",
            "stage",
            "requestURI",
            "verb",
            "user",
            "sourceIPs",
            "userAgent",
        ] {
            assert!(o.contains_key(key), "missing {key}: {line}");
        }
        assert!(o["user"]["username"].is_string());
        match o["stage"].as_str().unwrap() {
            "RequestReceived" => {
                received += 1;
                assert!(!o.contains_key("annotations"), "{line}");
                assert!(!o.contains_key("responseStatus"), "{line}");
                assert!(!o.contains_key("impersonatedUser"), "{line}");
            }
            "ResponseComplete" | "ResponseStarted" => {
                let decision = o["annotations"]["authorization.k8s.io/decision"]
                    .as_str()
                    .unwrap();
                assert!(decision == "allow" || decision == "forbid");
                assert!(o["responseStatus"]["code"].is_u64());
                if line.contains(r#"\"of ClusterRole"#) || line.contains(r#"ClusterRole \""#) {
                    escaped_reasons += 1;
                }
            }
            other => panic!("stage {other}"),
        }
        if o.contains_key("requestObject") || o.contains_key("responseObject") {
            with_bodies += 1;
            assert_ne!(o["level"], "Metadata");
        }
    }
    assert_eq!(stats.events, 20_000);
    assert!(received > 1_000, "RequestReceived events: {received}");
    assert!(
        escaped_reasons > 10_000,
        "reasons with escaped quotes: {escaped_reasons}"
    );
    assert!(with_bodies > 4_000, "events with bodies: {with_bodies}");
}

#[test]
fn callers_cover_every_kind() {
    let (text, _) = lines(DEFAULT_SEED, 20_000);
    for who in [
        r#""username":"system:node:ip-"#,
        r#""username":"system:serviceaccount:kube-system:"#,
        r#""username":"system:serviceaccount:monitoring:"#,
        r#""username":"system:kube-controller-manager""#,
        r#""username":"system:kube-scheduler""#,
        r#""username":"system:apiserver""#,
        r#""username":"alice@example.com""#,
        r#""username":"arn:aws:sts::123456789012:assumed-role/"#,
        r#""username":"eks:"#,
        r#""username":"aksService""#,
        r#""username":"system:anonymous""#,
        r#""kind":"Pod""#,
        r#""kind":"ConfigMap""#,
        r#""kind":"Lease""#,
        r#""kind":"PartialObjectMetadataList""#,
    ] {
        assert!(text.contains(who), "no {who}");
    }
}

#[test]
fn sizes_and_rates() {
    let n = 100_000usize;
    let (text, stats) = lines(DEFAULT_SEED, n);
    let mut sizes: Vec<usize> = text.lines().map(str::len).collect();
    sizes.sort_unstable();
    assert_eq!(sizes.len(), n);
    assert!(sizes[0] >= MIN_EVENT_BYTES, "shortest {}", sizes[0]);
    assert!(sizes[n - 1] <= MAX_EVENT_BYTES, "longest {}", sizes[n - 1]);
    assert_eq!((stats.min_line, stats.max_line), (sizes[0], sizes[n - 1]));
    let mean = stats.bytes as f64 / n as f64;
    assert!((1_200.0..2_000.0).contains(&mean), "mean {mean}");
    // A spread, not one size: a tenth below 1 KB, a tenth above 2 KB, some above 3.5 KB.
    assert!(sizes[n / 10] < 1_000, "p10 {}", sizes[n / 10]);
    assert!(sizes[9 * n / 10] > 2_000, "p90 {}", sizes[9 * n / 10]);
    assert!(sizes[n - n / 200] > 3_500, "p99.5 {}", sizes[n - n / 200]);

    let key = text
        .lines()
        .filter(|l| l.contains(r#""impersonatedUser":{"#))
        .count() as u64;
    let bytes = text
        .lines()
        .filter(|l| l.contains("impersonatedUser"))
        .count() as u64;
    assert_eq!(key, stats.impersonation);
    assert_eq!(bytes - key, stats.decoys);
    let imp = key as f64 / n as f64;
    let decoy = stats.decoys as f64 / n as f64;
    assert!(
        (imp / IMPERSONATION_RATE - 1.0).abs() < 0.15,
        "impersonation rate {imp}"
    );
    assert!(
        (decoy / DECOY_RATE - 1.0).abs() < 0.35,
        "decoy rate {decoy}"
    );
    // Decoys hold the bytes only inside a string value.
    for line in text
        .lines()
        .filter(|l| l.contains("impersonatedUser") && !l.contains(r#""impersonatedUser":{"#))
    {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v.get("impersonatedUser").is_none());
    }
}

#[test]
fn hand_written_flagship_matches_the_intended_scenarios() {
    for seed in [DEFAULT_SEED, 1, 2] {
        let (text, stats) = lines(seed, 60_000);
        let mut matches = 0;
        let mut by_group = 0;
        for line in text.lines() {
            if let Some(g) = handwritten::flagship_line(line) {
                matches += 1;
                by_group += u64::from(g);
            }
        }
        assert_eq!(matches, stats.flagship_intended, "seed {seed}");
        assert_eq!(
            by_group, stats.flagship_intended_by_group_only,
            "seed {seed}"
        );
        assert!(
            matches > 50 && by_group > 10,
            "seed {seed}: {matches} {by_group}"
        );
        // Some impersonation lines are meant not to match.
        assert!(stats.impersonation > matches + 50);
    }
}
