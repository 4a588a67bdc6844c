//! `detect scan` inputs: the synthetic flagship cases in every shape (raw, ECS, AKS, EventList),
//! gzip, directories, `--follow` across rotation and truncation, `--input-format` and
//! `--logsource` routing.
//!
//! The `--follow` tests, with their waiting and signalling helpers, are in
//! `inputs_formats/follow.rs`.

mod common;
#[path = "inputs_formats/follow.rs"]
mod follow;

use serde_json::Value;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const DETECT: &str = env!("CARGO_BIN_EXE_detect");

struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("detect_inputs-{test}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    fn write(&self, name: &str, bytes: &[u8]) -> String {
        let p = self.path(name);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(&p, bytes).unwrap();
        s(&p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_owned()
}

/// Runs `detect`; `scan` gets `--strict` so that the counts below include every line (the
/// prefilter's skipping is covered in detect_cli.rs and fast_path.rs).
fn run(args: &[&str]) -> Output {
    let mut args: Vec<&str> = args.to_vec();
    if args.first() == Some(&"scan") && !args.contains(&"--strict") {
        args.insert(1, "--strict");
    }
    Command::new(DETECT)
        .args(&args)
        .stdin(Stdio::null())
        .output()
        .expect("run detect")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The per-event alerts (correlation alerts, which the synthetic cases also raise, have no
/// `input`: `tests/correlation.rs` covers them).
fn alerts(out: &Output) -> Vec<Value> {
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .filter(|a| a.get("correlation").is_none() && a["sigma"].get("correlation").is_none())
        .collect()
}

/// `(line, item)` of every alert.
fn places(alerts: &[Value]) -> Vec<(u64, Option<u64>)> {
    alerts
        .iter()
        .map(|a| {
            (
                a["input"]["line"].as_u64().unwrap(),
                a["input"]["item"].as_u64(),
            )
        })
        .collect()
}

fn synthetic(name: &str) -> Option<String> {
    let dir = common::shared()?.join("data").join("synthetic");
    Some(s(&dir.join(name)))
}

/// The 1-based line numbers of the positive cases, from `flagship_cases.expected.tsv`.
fn expected_positive_lines() -> Vec<u64> {
    let tsv = fs::read_to_string(synthetic("flagship_cases.expected.tsv").unwrap()).unwrap();
    tsv.lines()
        .skip(1)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (cols.get(1) == Some(&"1")).then(|| cols[0].parse().unwrap())
        })
        .collect()
}

fn summary(out: &Output) -> String {
    text(&out.stderr)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn inputs_raw_synthetic_cases_give_the_expected_verdicts() {
    if common::other_rule_set() {
        return;
    }
    let Some(raw) = synthetic("flagship_cases.ndjson") else {
        return;
    };
    let want = expected_positive_lines();
    assert_eq!(want.len(), 6);
    for format in ["auto", "raw"] {
        let out = run(&["scan", "--input-format", format, &raw]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let got: Vec<u64> = places(&alerts(&out)).into_iter().map(|p| p.0).collect();
        assert_eq!(got, want, "{format}");
        // Plus one correlation alert: alice impersonates (cases 1-5), then lists secrets
        // under her own name (case 9), the same second.
        assert_eq!(
            summary(&out),
            "detect: 20 lines read, 20 events evaluated, 7 alerts (1 from correlations), 0 bad lines"
        );
    }
}

/// The flagship gives the same verdicts on the ECS form of the 20 cases as on the raw form.
#[test]
fn inputs_ecs_synthetic_cases_match_the_raw_verdicts() {
    if common::other_rule_set() {
        return;
    }
    let (Some(raw), Some(ecs)) = (
        synthetic("flagship_cases.ndjson"),
        synthetic("flagship_cases_ecs.ndjson"),
    ) else {
        return;
    };
    let raw_lines: Vec<u64> = places(&alerts(&run(&["scan", &raw])))
        .into_iter()
        .map(|p| p.0)
        .collect();
    let ecs_docs: Vec<String> = fs::read_to_string(&ecs)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    for format in ["auto", "ecs"] {
        let out = run(&["scan", "--input-format", format, &ecs]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let got = alerts(&out);
        let lines: Vec<u64> = places(&got).into_iter().map(|p| p.0).collect();
        assert_eq!(lines, raw_lines, "{format}");
        for a in &got {
            // The alert's event is the ECS document.
            let n = a["input"]["line"].as_u64().unwrap() as usize;
            let doc: Value = serde_json::from_str(&ecs_docs[n - 1]).unwrap();
            assert_eq!(a["event"], doc);
        }
    }
}

/// ECS documents are recognised and evaluated as ECS, with `--input-format auto` or `ecs`; as
/// EventLists they are bad lines.
#[test]
fn inputs_ecs_documents_are_recognised() {
    let Some(ecs) = synthetic("flagship_cases_ecs.ndjson") else {
        return;
    };
    for format in ["auto", "ecs"] {
        let out = run(&["scan", "--input-format", format, &ecs, "--stats"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(
            summary(&out).starts_with("detect: 20 lines read, 20 events evaluated, "),
            "{}",
            text(&out.stderr)
        );
        assert!(summary(&out).ends_with(" 0 bad lines"));
    }
    // Told to read them as EventLists, they are bad lines.
    let out = run(&["scan", "--input-format", "eventlist", &ecs]);
    assert!(summary(&out).ends_with("20 bad lines"), "{}", summary(&out));
    assert!(text(&out.stderr).contains(&format!("{ecs}:7: bad line: expected an EventList")));
}

#[test]
fn inputs_aks_records_unwrap_properties_log() {
    if common::other_rule_set() {
        return;
    }
    let (Some(aks), Some(raw)) = (
        synthetic("flagship_cases_aks.ndjson"),
        synthetic("flagship_cases.ndjson"),
    ) else {
        return;
    };
    let raw_lines: Vec<String> = fs::read_to_string(&raw)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let aks_records: Vec<Value> = fs::read_to_string(&aks)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for format in ["auto", "aks"] {
        let out = run(&["scan", "--input-format", format, &aks]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let got = alerts(&out);
        assert_eq!(
            places(&got),
            expected_positive_lines()
                .into_iter()
                .map(|l| (l, None))
                .collect::<Vec<_>>()
        );
        for a in &got {
            let n = a["input"]["line"].as_u64().unwrap() as usize;
            // The event is the decoded `properties.log` string, byte for byte.
            let log = aks_records[n - 1]["properties"]["log"].as_str().unwrap();
            let raw_alert = text(&out.stdout);
            assert!(raw_alert.contains(&format!("\"event\":{log}}}")));
            let raw_event: Value = serde_json::from_str(&raw_lines[n - 1]).unwrap();
            assert_eq!(a["event"], raw_event);
        }
    }
}

#[test]
fn inputs_aks_wrapped_case_in_every_aks_encoding() {
    if common::other_rule_set() {
        return;
    }
    let Some(wrapped) = synthetic("flagship_rule_cases_aks_wrapped.jsonl") else {
        return;
    };
    let case: Value = serde_json::from_str(
        fs::read_to_string(&wrapped)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(case["expected_match"], true);
    let record = &case["event"];
    let log_text = record["properties"]["log"].as_str().unwrap();
    let inner: Value = serde_json::from_str(log_text).unwrap();
    // The object form of the same record (as Elastic's test data has it).
    let mut as_object = record.clone();
    as_object["properties"]["log"] = inner.clone();
    let negative = {
        let mut n = inner.clone();
        n["verb"] = "watch".into();
        let mut r = record.clone();
        r["properties"]["log"] = n.to_string().into();
        r
    };
    let batch = serde_json::json!({ "records": [negative, record, as_object] });
    let tmp = TempDir::new("aks_wrapped");
    let file = tmp.write(
        "aks.jsonl",
        format!("{record}\n{as_object}\n{batch}\n").as_bytes(),
    );
    for format in ["auto", "aks"] {
        let out = run(&["scan", "--input-format", format, &file]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let got = alerts(&out);
        assert_eq!(
            places(&got),
            [(1, None), (2, None), (3, Some(2)), (3, Some(3))]
        );
        for a in &got {
            assert_eq!(a["event"], inner);
            assert_eq!(
                a["event"]["auditID"],
                "00000000-0000-0000-0000-000000000099"
            );
        }
        // The string form embeds the decoded string itself.
        assert!(text(&out.stdout)
            .lines()
            .next()
            .unwrap()
            .contains(&format!("\"event\":{log_text}}}")));
        assert_eq!(
            summary(&out),
            "detect: 3 lines read, 5 events evaluated, 4 alerts, 0 bad lines"
        );
    }
}

#[test]
fn inputs_event_lists_one_per_line_carry_the_item() {
    if common::other_rule_set() {
        return;
    }
    let Some(lists) = synthetic("flagship_cases_eventlist.ndjson") else {
        return;
    };
    let bodies: Vec<Value> = fs::read_to_string(&lists)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for format in ["auto", "eventlist"] {
        let out = run(&["scan", "--input-format", format, &lists]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let got = alerts(&out);
        // Cases 1-6 are the first six items of the first list.
        assert_eq!(
            places(&got),
            (1..=6).map(|i| (1, Some(i))).collect::<Vec<_>>()
        );
        for a in &got {
            let item = a["input"]["item"].as_u64().unwrap() as usize;
            assert_eq!(a["event"], bodies[0]["items"][item - 1]);
        }
        // Plus the correlation alert of the raw cases (see above).
        assert_eq!(
            summary(&out),
            "detect: 3 lines read, 20 events evaluated, 7 alerts (1 from correlations), 0 bad lines"
        );
    }
}

#[test]
fn inputs_bad_items_are_reported_with_line_and_item() {
    let tmp = TempDir::new("bad_items");
    let file = tmp.write(
        "lists.ndjson",
        b"{\"kind\":\"EventList\",\"items\":[{\"verb\":\"get\"},[],3]}\n{\"records\":[{\"properties\":{\"log\":\"not json\"}}]}\n",
    );
    let out = run(&["scan", &file]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    for place in [":1:2: bad item", ":1:3: bad item", ":2:1: bad item"] {
        assert!(
            stderr.contains(&format!("{file}{place}")),
            "{place}: {stderr}"
        );
    }
    assert_eq!(
        summary(&out),
        "detect: 2 lines read, 1 events evaluated, 0 alerts, 0 bad lines, 3 bad items"
    );
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[test]
fn inputs_gzip_files_and_stdin() {
    if common::other_rule_set() {
        return;
    }
    let Some(raw) = synthetic("flagship_cases.ndjson") else {
        return;
    };
    let bytes = fs::read(&raw).unwrap();
    let tmp = TempDir::new("gzip");
    let gz = tmp.write("audit.log.1.gz", &gzip(&bytes));
    let out = run(&["scan", &gz]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let got = alerts(&out);
    assert_eq!(
        places(&got).into_iter().map(|p| p.0).collect::<Vec<_>>(),
        expected_positive_lines()
    );
    assert!(got.iter().all(|a| a["input"]["file"] == gz.as_str()));

    // Gzip on stdin is recognised too.
    let mut child = Command::new(DETECT)
        .args(["scan", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let compressed = gzip(&bytes);
    let writer = std::thread::spawn(move || stdin.write_all(&compressed));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert_eq!(alerts(&out).len(), 6);

    // A corrupt gzip file is an unreadable input (exit 1), after what could be read.
    let mut cut = gzip(&bytes);
    cut.truncate(cut.len() / 2);
    let bad = tmp.write("cut.gz", &cut);
    let out = run(&["scan", &bad]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains(&format!("{bad}: cannot read")));
}

#[test]
fn inputs_directories_are_read_recursively_in_order() {
    if common::other_rule_set() {
        return;
    }
    let Some(raw) = synthetic("flagship_cases.ndjson") else {
        return;
    };
    let first = fs::read_to_string(&raw)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned();
    let tmp = TempDir::new("dirs");
    let line = format!("{first}\n");
    tmp.write("logs/b.ndjson", line.as_bytes());
    tmp.write("logs/a/z.ndjson", line.as_bytes());
    tmp.write("logs/a.ndjson", line.as_bytes());
    tmp.write("logs/c.ndjson.gz", &gzip(line.as_bytes()));
    fs::create_dir_all(tmp.path("logs/empty")).unwrap();
    let dir = s(&tmp.path("logs"));
    let out = run(&["scan", &dir]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let files: Vec<String> = alerts(&out)
        .iter()
        .map(|a| a["input"]["file"].as_str().unwrap().to_owned())
        .collect();
    let want: Vec<String> = ["a/z.ndjson", "a.ndjson", "b.ndjson", "c.ndjson.gz"]
        .iter()
        .map(|f| s(&Path::new(&dir).join(f)))
        .collect();
    // Sorted by name at each level: "a" < "a.ndjson" < "b.ndjson" < "c.ndjson.gz".
    assert_eq!(files, want);
}

#[test]
fn inputs_json_lines_are_routed_by_logsource() {
    if common::other_rule_set() {
        return;
    }
    let Some(raw) = synthetic("flagship_cases.ndjson") else {
        return;
    };
    let audit = "product=kubernetes,category=application,service=audit";
    let out = run(&["scan", "--input-format", "json", "--logsource", audit, &raw]);
    assert_eq!(alerts(&out).len(), 6, "{}", text(&out.stderr));
    // A rule naming only product and service runs when those match.
    let out = run(&[
        "scan",
        "--input-format",
        "json",
        "--logsource",
        "service=audit,product=kubernetes,category=application",
        &raw,
    ]);
    assert_eq!(alerts(&out).len(), 6);
    for other in ["product=windows", "product=kubernetes,service=kubelet", ""] {
        let out = run(&["scan", "--input-format", "json", "--logsource", other, &raw]);
        assert_eq!(out.status.code(), Some(0));
        assert!(alerts(&out).is_empty(), "{other}");
        assert_eq!(
            summary(&out),
            "detect: 20 lines read, 20 events evaluated, 0 alerts, 0 bad lines"
        );
    }
    // Without --logsource, json input names no log source: rules that name one do not run.
    let out = run(&["scan", "--input-format", "json", &raw]);
    assert!(alerts(&out).is_empty());
    // --logsource is for json input only, and must be well formed.
    let out = run(&["scan", "--logsource", audit, &raw]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&[
        "scan",
        "--input-format",
        "json",
        "--logsource",
        "os=linux",
        &raw,
    ]);
    assert_eq!(out.status.code(), Some(2));
}
