//! `--input-format json` routed event by event: `--logsource-field` names the fields that hold
//! each event's log source, keys without a field come from `--logsource`, and without either
//! an event gets the log source its shape says (none for an audit event read as plain JSON).

mod common;

use std::path::Path;

const DETECT: &str = env!("CARGO_BIN_EXE_detect");

/// An event the flagship matches (a privileged impersonation, allowed), with extra top-level
/// fields `extra` (JSON members, without braces).
fn flagship_event(extra: &str) -> String {
    format!(
        r#"{{{extra}"kind":"Event","verb":"list","user":{{"username":"alice"}},"impersonatedUser":{{"username":"system:admin"}},"annotations":{{"authorization.k8s.io/decision":"allow"}}}}"#
    )
}

/// Runs `detect scan ARGS... -` over `input`; returns (exit code, alert lines, stderr).
fn scan(args: &[&str], input: &str) -> (i32, Vec<String>, String) {
    let args: Vec<&str> = ["scan"]
        .into_iter()
        .chain(args.iter().copied())
        .chain(["-"])
        .collect();
    let out = common::run_with_stdin(Path::new(DETECT), &args, input.as_bytes());
    let alerts = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    (
        out.status.code().unwrap_or(-1),
        alerts,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn logsource_fields_route_each_event_by_its_own_fields() {
    if common::other_rule_set() {
        return;
    }
    // The flagship's log source is kubernetes / application / audit.
    let input = [
        flagship_event(r#""p":"kubernetes","c":"application","s":"audit","#),
        flagship_event(r#""p":"windows","c":"application","s":"audit","#),
        // No category field: the key is missing, so a rule naming it does not run ...
        flagship_event(r#""p":"kubernetes","s":"audit","#),
        flagship_event(r#""p":"kubernetes","c":"application","s":"audit","#),
    ]
    .join("\n");
    let args = [
        "--input-format",
        "json",
        "--logsource-field",
        "product=p,category=c,service=s",
    ];
    let (code, alerts, err) = scan(&args, &input);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<u64> = alerts
        .iter()
        .map(|a| {
            let v: serde_json::Value = serde_json::from_str(a).unwrap();
            v["input"]["line"].as_u64().unwrap()
        })
        .collect();
    assert_eq!(lines, [1, 4], "{err}");
    // ... unless --logsource supplies it for every event.
    let mut with_fixed = args.to_vec();
    with_fixed[3] = "product=p,service=s";
    with_fixed.extend(["--logsource", "category=application"]);
    let (code, alerts, err) = scan(&with_fixed, &input);
    assert_eq!(code, 0, "{err}");
    assert_eq!(alerts.len(), 3, "lines 1, 3 and 4: {err}");
}

#[test]
fn json_without_a_logsource_gets_the_one_its_shape_says() {
    if common::other_rule_set() {
        return;
    }
    // An audit event read as plain JSON has no recognised shape: no log source, so the
    // Kubernetes rules do not run; --logsource routes the same line to them.
    let input = flagship_event("");
    let (code, alerts, err) = scan(&["--input-format", "json"], &input);
    assert_eq!((code, alerts.len()), (0, 0), "{err}");
    let (code, alerts, err) = scan(
        &[
            "--input-format",
            "json",
            "--logsource",
            "product=kubernetes,category=application,service=audit",
        ],
        &input,
    );
    assert_eq!((code, alerts.len()), (0, 1), "{err}");
}

#[test]
fn logsource_field_needs_json_input_and_known_keys() {
    let (code, _, err) = scan(&["--logsource-field", "product=p"], "");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--logsource-field applies to --input-format json only"),
        "{err}"
    );
    let (code, _, err) = scan(&["--input-format", "json", "--logsource-field", "os=p"], "");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown log source key `os`"), "{err}");
}
