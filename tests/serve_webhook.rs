//! `detect serve`: a real HTTP client posting EventList batches to the server on 127.0.0.1.

mod common;
mod serve_support;

use serde_json::Value;
use serve_support::*;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn out_arg(p: &std::path::Path) -> String {
    p.to_str().unwrap().to_owned()
}

#[test]
fn serve_event_list_alerts_carry_request_and_item() {
    if common::other_rule_set() {
        return;
    }
    let tmp = TempDir::new("serve_event_list");
    let out = tmp.path("alerts.ndjson");
    let server = Server::start(&["--output", &out_arg(&out)]);
    let client = Client::plain(server.addr);

    let health = client.get("/healthz").unwrap();
    assert_eq!(health.status, 200);
    let events = vec![
        event("r1-a", false),
        event("r1-b", true),
        event("r1-c", true),
    ];
    let r = client
        .post("/audit/any/path", event_list(&events).as_bytes())
        .unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    let answer: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(answer["events"], 3);
    assert_eq!(answer["alerts"], 2);

    // A body holding a single Event is a batch of one.
    let single = event("r2-a", true);
    let r = client.post("/", single.as_bytes()).unwrap();
    assert_eq!(r.status, 200, "{r:?}");

    let (alerts, bad) = read_alerts(&out);
    assert!(bad.is_empty(), "{bad:?}");
    let located: Vec<(String, u64, u64, String)> = alerts
        .iter()
        .map(|a| {
            (
                a["input"]["file"].as_str().unwrap().to_owned(),
                a["input"]["line"].as_u64().unwrap(),
                a["input"]["item"].as_u64().unwrap(),
                a["event"]["auditID"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        located,
        [
            ("webhook".to_owned(), 1, 2, "r1-b".to_owned()),
            ("webhook".to_owned(), 1, 3, "r1-c".to_owned()),
            ("webhook".to_owned(), 2, 1, "r2-a".to_owned()),
        ]
    );
    // The event is embedded byte for byte.
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains(&format!("\"event\":{}}}", events[1])));
    let (status, stderr) = server.terminate();
    assert!(status.success(), "{status:?}\n{stderr}");
    assert!(
        stderr.contains("2 requests, 2 batches accepted, 4 events evaluated, 3 alerts"),
        "{stderr}"
    );
}

#[test]
fn serve_malformed_json_is_400_with_a_reason_and_loses_nothing() {
    if common::other_rule_set() {
        return;
    }
    let tmp = TempDir::new("serve_malformed");
    let out = tmp.path("alerts.ndjson");
    let server = Server::start(&["--output", &out_arg(&out)]);
    let client = Client::plain(server.addr);
    let mut want = Vec::new();
    for i in 0..6 {
        if i % 2 == 1 {
            for (body, reason) in [
                (
                    &b"{\"kind\":\"EventList\",\"items\":[{\"a\":"[..],
                    "invalid JSON",
                ),
                (b"[1,2,3]", "expected a JSON object, found an array"),
                (
                    b"{\"kind\":\"EventList\",\"items\":{}}",
                    "`items` is not an array",
                ),
                (b"", "invalid JSON"),
            ] {
                let r = client.post("/", body).unwrap();
                assert_eq!(r.status, 400, "{r:?}");
                assert!(r.body.contains(reason), "{reason}: {r:?}");
            }
        } else {
            let events: Vec<String> = (0..5).map(|j| event(&format!("m{i}-{j}"), true)).collect();
            want.extend(events.iter().map(|e| (e.clone(), expected_rules(e))));
            let r = client.post("/", event_list(&events).as_bytes()).unwrap();
            assert_eq!(r.status, 200, "{r:?}");
        }
    }
    // An item that is not an object is reported, the others are evaluated.
    let body = format!(
        r#"{{"kind":"EventList","items":[{},"not an event",{}]}}"#,
        event("mixed-1", true),
        event("mixed-3", true)
    );
    let r = client.post("/", body.as_bytes()).unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.body.contains("\"bad_items\":1"), "{r:?}");

    let (alerts, bad) = read_alerts(&out);
    assert!(bad.is_empty());
    let got: HashSet<(String, String)> = alert_keys(&alerts).into_iter().collect();
    for (ev, rules) in &want {
        let id: Value = serde_json::from_str(ev).unwrap();
        for rule in rules {
            let key = (id["auditID"].as_str().unwrap().to_owned(), rule.to_string());
            assert!(got.contains(&key), "missing {key:?}");
        }
    }
    assert!(got.iter().any(|(a, _)| a == "mixed-3"));
    let (status, stderr) = server.terminate();
    assert!(status.success());
    assert!(stderr.contains("webhook:2: 400 invalid JSON"), "{stderr}");
    // The bad item is reported with request and item number.
    assert!(
        stderr.contains(":2: bad item: expected a JSON object"),
        "{stderr}"
    );
}

#[test]
fn serve_oversize_bodies_get_413() {
    let tmp = TempDir::new("serve_oversize");
    let out = tmp.path("alerts.ndjson");
    let server = Server::start(&["--output", &out_arg(&out), "--max-body", "4KiB"]);
    let client = Client::plain(server.addr);
    let events: Vec<String> = (0..40).map(|j| event(&format!("big-{j}"), true)).collect();
    let big = event_list(&events);
    assert!(big.len() > 4096);
    // Declared length over the limit: refused before reading.
    let r = client.post("/", big.as_bytes()).unwrap();
    assert_eq!(r.status, 413, "{r:?}");
    assert!(r.body.contains("4096"), "{r:?}");
    // Chunked (no Content-Length): refused while reading.
    let r = client
        .post_with("/", &[("transfer-encoding", "chunked")], big.as_bytes())
        .unwrap();
    assert_eq!(r.status, 413, "{r:?}");
    // A body under the limit still works.
    let small = event_list(&events[..2]);
    let r = client.post("/", small.as_bytes()).unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    let (status, _) = server.terminate();
    assert!(status.success());
}

#[test]
fn serve_methods_and_encodings() {
    let server = Server::start(&[]);
    let client = Client::plain(server.addr);
    let r = client.get("/audit").unwrap();
    assert_eq!(r.status, 405);
    assert_eq!(r.headers["allow"], "POST");
    let r = client
        .post_with("/", &[("content-encoding", "gzip")], b"\x1f\x8b")
        .unwrap();
    assert_eq!(r.status, 415, "{r:?}");
    let (status, _) = server.terminate();
    assert!(status.success());
}

#[test]
fn serve_bearer_token() {
    let tmp = TempDir::new("serve_token");
    let token = tmp.write("token", b"s3cret-token\n");
    let server = Server::start(&["--auth-token-file", token.to_str().unwrap()]);
    let client = Client::plain(server.addr);
    let body = event_list(&[event("t-1", true)]);
    let r = client.post("/", body.as_bytes()).unwrap();
    assert_eq!(r.status, 401, "{r:?}");
    assert_eq!(r.headers["www-authenticate"], "Bearer");
    for wrong in [
        "Bearer nope",
        "Bearer s3cret-tokenX",
        "Basic s3cret-token",
        "s3cret-token",
    ] {
        let r = client
            .post_with("/", &[("authorization", wrong)], body.as_bytes())
            .unwrap();
        assert_eq!(r.status, 401, "{wrong}: {r:?}");
    }
    let r = client
        .post_with(
            "/",
            &[("authorization", "Bearer s3cret-token")],
            body.as_bytes(),
        )
        .unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    // Health checks need no token.
    assert_eq!(client.get("/healthz").unwrap().status, 200);
    let (status, _) = server.terminate();
    assert!(status.success());

    // An empty token file is refused at start.
    let empty = tmp.write("empty", b"\n");
    let out = std::process::Command::new(DETECT)
        .args(["serve", "--listen", "127.0.0.1:0", "--auth-token-file"])
        .arg(&empty)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn serve_tls_and_client_certificates() {
    if common::other_rule_set() {
        return;
    }
    let tmp = TempDir::new("serve_tls");
    let pki = Pki::new();
    let (cert, key, ca) = pki.write_server_files(&tmp);
    let out = tmp.path("alerts.ndjson");
    let body = event_list(&[event("tls-1", true)]);

    // TLS without client authentication.
    let server = Server::start(&[
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
        "--output",
        &out_arg(&out),
    ]);
    assert!(server.stderr().contains("https://"), "{}", server.stderr());
    let r = Client::tls(server.addr, pki.client_anonymous())
        .post("/", body.as_bytes())
        .unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    // A client that does not trust the server's CA fails the handshake.
    let e = Client::tls(server.addr, pki.client_trusting_nobody_useful())
        .post("/", body.as_bytes())
        .unwrap_err();
    assert!(e.contains("TLS"), "{e}");
    // Plain HTTP to a TLS port gets no answer.
    assert!(Client::plain(server.addr)
        .post("/", body.as_bytes())
        .is_err());
    let (status, _) = server.terminate();
    assert!(status.success());

    // Client certificates required.
    let server = Server::start(&[
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
        "--client-ca",
        ca.to_str().unwrap(),
        "--output",
        &out_arg(&out),
    ]);
    let r = Client::tls(server.addr, pki.client_with_cert())
        .post("/", body.as_bytes())
        .unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    for (what, config) in [
        ("no certificate", pki.client_anonymous()),
        (
            "a certificate from another CA",
            pki.client_with_stranger_cert(),
        ),
    ] {
        let r = Client::tls(server.addr, config).post("/", body.as_bytes());
        assert!(r.is_err(), "{what}: {r:?}");
    }
    let (status, stderr) = server.terminate();
    assert!(status.success());
    assert!(stderr.contains("TLS handshake"), "{stderr}");
    let (alerts, _) = read_alerts(&out);
    assert_eq!(alerts.len(), 2);

    // Unreadable certificate files: exit 1 at start.
    let out = std::process::Command::new(DETECT)
        .args(["serve", "--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(tmp.path("missing.crt"))
        .arg("--tls-key")
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.crt"));
}

#[test]
fn serve_full_queue_answers_503_with_retry_after() {
    let server = Server::start(&[
        "--max-concurrent",
        "1",
        "--queue",
        "0",
        "--retry-after",
        "7",
    ]);
    let body = event_list(&[event("q-1", true)]);
    // The first request is admitted once its head arrived and stays in flight.
    let slow = SlowPost::start(server.addr, body.as_bytes(), 10);
    // Give the server time to take it before anyone else asks.
    std::thread::sleep(Duration::from_millis(500));
    let client = Client::plain(server.addr);
    let deadline = Instant::now() + Duration::from_secs(30);
    let r = loop {
        let r = client.post("/", body.as_bytes()).unwrap();
        if r.status == 503 || Instant::now() > deadline {
            break r;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(r.status, 503, "{r:?}");
    assert_eq!(r.headers["retry-after"], "7");
    let (status, _) = slow.finish(body.as_bytes(), 10);
    assert_eq!(status, 200);
    // Room again.
    assert_eq!(client.post("/", body.as_bytes()).unwrap().status, 200);
    let (status, _) = server.terminate();
    assert!(status.success());
}

#[test]
fn serve_graceful_shutdown_finishes_batches_in_flight() {
    if common::other_rule_set() {
        return;
    }
    let tmp = TempDir::new("serve_graceful");
    let out = tmp.path("alerts.ndjson");
    let server = Server::start(&["--output", &out_arg(&out)]);
    let body = event_list(&[event("g-1", true), event("g-2", true)]);
    let slow = SlowPost::start(server.addr, body.as_bytes(), 20);
    // Let the server read the head, then ask it to stop.
    std::thread::sleep(Duration::from_millis(500));
    signal(server.pid(), "-TERM");
    std::thread::sleep(Duration::from_millis(300));
    let (status, answer) = slow.finish(body.as_bytes(), 20);
    assert_eq!(status, 200, "{answer}");
    let (exit, stderr) = server.terminate();
    assert!(exit.success(), "{stderr}");
    assert!(stderr.contains("shutting down"), "{stderr}");
    let (alerts, _) = read_alerts(&out);
    let ids: Vec<String> = alert_keys(&alerts).into_iter().map(|k| k.0).collect();
    assert_eq!(ids, ["g-1", "g-2"]);
}

/// Several senders at once, a fixed amount of work each (the test stops by itself), and every
/// alert of every batch in the output.
#[test]
fn serve_concurrent_senders_lose_nothing() {
    if common::other_rule_set() {
        return;
    }
    const SENDERS: usize = 6;
    const BATCHES: usize = 15;
    const EVENTS: usize = 30;
    let tmp = TempDir::new("serve_concurrent");
    let out = tmp.path("alerts.ndjson");
    let server = Server::start(&["--output", &out_arg(&out), "--queue", "2"]);
    let addr = server.addr;
    let retried = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..SENDERS)
        .map(|s| {
            let retried = retried.clone();
            std::thread::spawn(move || {
                let client = Client::plain(addr);
                let mut want = Vec::new();
                for b in 0..BATCHES {
                    let events: Vec<String> = (0..EVENTS)
                        .map(|e| event(&format!("c{s}-{b}-{e}"), e % 3 != 0))
                        .collect();
                    let body = event_list(&events);
                    let deadline = Instant::now() + Duration::from_secs(60);
                    loop {
                        let r = client.post("/", body.as_bytes()).expect("post");
                        if r.status == 200 {
                            break;
                        }
                        assert_eq!(r.status, 503, "{r:?}");
                        assert!(Instant::now() < deadline, "still busy after 60 s");
                        retried.fetch_add(1, Ordering::Relaxed);
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    for e in &events {
                        let id: Value = serde_json::from_str(e).unwrap();
                        for rule in expected_rules(e) {
                            want.push((
                                id["auditID"].as_str().unwrap().to_owned(),
                                rule.to_owned(),
                            ));
                        }
                    }
                }
                want
            })
        })
        .collect();
    let mut want: Vec<(String, String)> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("sender"))
        .collect();
    let (status, stderr) = server.terminate();
    assert!(status.success(), "{stderr}");
    let (alerts, bad) = read_alerts(&out);
    assert!(bad.is_empty());
    let mut got = alert_keys(&alerts);
    want.sort();
    got.sort();
    assert_eq!(got.len(), want.len());
    assert_eq!(got, want);
    eprintln!(
        "{} batches, {} alerts, {} retries after 503",
        SENDERS * BATCHES,
        got.len(),
        retried.load(Ordering::Relaxed)
    );
}

/// kill -9 while batches stream in, restart on the same output: every alert of every batch
/// that was answered 200 is in the file.
#[test]
fn serve_kill_9_loses_no_acknowledged_alert() {
    if common::other_rule_set() {
        return;
    }
    let tmp = TempDir::new("serve_kill9");
    let out = tmp.path("alerts.ndjson");
    let acked: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let acked_batches = Arc::new(AtomicU64::new(0));

    for round in 0..2 {
        let server = Server::start(&["--output", &out_arg(&out)]);
        let stop = Arc::new(AtomicBool::new(false));
        let senders: Vec<_> = (0..3)
            .map(|s| {
                let (addr, stop, acked, count) = (
                    server.addr,
                    stop.clone(),
                    acked.clone(),
                    acked_batches.clone(),
                );
                std::thread::spawn(move || {
                    let client = Client::plain(addr);
                    let mut b = 0;
                    while !stop.load(Ordering::SeqCst) && b < 2000 {
                        let events: Vec<String> = (0..20)
                            .map(|e| event(&format!("k{round}-{s}-{b}-{e}"), true))
                            .collect();
                        b += 1;
                        // A request cut by the kill is simply not acknowledged.
                        let Ok(r) = client.post("/", event_list(&events).as_bytes()) else {
                            continue;
                        };
                        if r.status != 200 {
                            continue;
                        }
                        count.fetch_add(1, Ordering::SeqCst);
                        let mut a = acked.lock().unwrap();
                        for e in &events {
                            let id: Value = serde_json::from_str(e).unwrap();
                            for rule in expected_rules(e) {
                                a.push((
                                    id["auditID"].as_str().unwrap().to_owned(),
                                    rule.to_owned(),
                                ));
                            }
                        }
                    }
                })
            })
            .collect();
        // Let some batches through, then kill -9 in the middle of the stream.
        let target = acked_batches.load(Ordering::SeqCst) + 20;
        let deadline = Instant::now() + Duration::from_secs(60);
        while acked_batches.load(Ordering::SeqCst) < target && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        if round == 0 {
            server.kill9();
            stop.store(true, Ordering::SeqCst);
        } else {
            stop.store(true, Ordering::SeqCst);
            for t in senders {
                t.join().unwrap();
            }
            let (status, stderr) = server.terminate();
            assert!(status.success(), "{stderr}");
            break;
        }
        for t in senders {
            t.join().unwrap();
        }
    }
    let (alerts, bad) = read_alerts(&out);
    // At most one fragment: an alert cut short by the kill (never an acknowledged one).
    assert!(bad.len() <= 1, "{bad:?}");
    let got: HashSet<(String, String)> = alert_keys(&alerts).into_iter().collect();
    let want = acked.lock().unwrap();
    assert!(acked_batches.load(Ordering::SeqCst) >= 40);
    let missing: Vec<_> = want.iter().filter(|k| !got.contains(*k)).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged alerts missing, e.g. {:?}",
        missing.len(),
        missing.first()
    );
}

#[test]
fn serve_ecs_alerts_and_stage_dedupe() {
    if common::other_rule_set() {
        return;
    }
    let tmp = TempDir::new("serve_ecs");
    let out = tmp.path("alerts.ndjson");
    let server = Server::start(&[
        "--output",
        &out_arg(&out),
        "--alert-format",
        "ecs",
        "--dedupe-stages",
    ]);
    let client = Client::plain(server.addr);
    let started = event("same", true).replace("ResponseComplete", "ResponseStarted");
    let r = client
        .post(
            "/",
            event_list(&[started.clone(), event("same", true)]).as_bytes(),
        )
        .unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    // A retried batch (same auditIDs) adds nothing either.
    let r = client.post("/", event_list(&[started]).as_bytes()).unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    let (status, stderr) = server.terminate();
    assert!(status.success());
    assert!(stderr.contains("2 duplicates dropped"), "{stderr}");
    let (alerts, _) = read_alerts(&out);
    assert_eq!(alerts.len(), 1);
    let a = &alerts[0];
    assert_eq!(a["event"]["kind"], "alert");
    assert_eq!(a["rule"]["ruleset"], "sigma");
    assert_eq!(a["kubernetes"]["audit"]["auditID"], "same");
    assert_eq!(a["kubernetes"]["audit"]["stage"], "ResponseStarted");
    assert_eq!(
        a["input"],
        serde_json::json!({"file": "webhook", "line": 1, "item": 1})
    );
    assert!(a["event"]["original"]
        .as_str()
        .unwrap()
        .contains("\"auditID\":\"same\""));
}
