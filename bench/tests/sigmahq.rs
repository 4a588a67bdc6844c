//! The SigmaHQ stream generator: deterministic per seed, every line a JSON object that
//! `detect`'s recognition (engine/src/detector/recognise.rs, restated below for the channels
//! and event ids the stream uses) gives exactly the log source it was made for, and rule
//! literals present in the events.

use serde_json::Value;
use sigma_bench::sigmahq::rules::{self, Placeholders};
use sigma_bench::sigmahq::{Generator, Rule, SOURCES};
use std::path::Path;

const RULES: &[(&str, &str)] = &[
    (
        "proc.yml",
        r"title: Whoami
id: 00000000-0000-4000-8000-000000000001
logsource:
  category: process_creation
  product: windows
detection:
  selection:
    Image|endswith: '\whoami.exe'
    CommandLine|contains|all: ['/priv', '/groups']
  filter_main:
    ParentImage|endswith: '\svchost.exe'
  condition: selection and not filter_main
",
    ),
    (
        "security.yml",
        r"title: Service installed
id: 00000000-0000-4000-8000-000000000002
logsource:
  product: windows
  service: security
detection:
  selection:
    EventID: 4697
    ServiceFileName|contains: 'ADMIN$'
  condition: selection
",
    ),
    (
        "reg.yml",
        r"title: Run key
id: 00000000-0000-4000-8000-000000000003
logsource:
  category: registry_set
  product: windows
detection:
  selection:
    TargetObject|contains: '\CurrentVersion\Run\'
    Details|startswith: 'C:\Users\Public\'
  condition: selection
",
    ),
    (
        "aws.yml",
        r"title: Trail stopped
id: 00000000-0000-4000-8000-000000000004
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventSource: cloudtrail.amazonaws.com
    eventName: StopLogging
    userIdentity.type: Root
  condition: selection
",
    ),
];

fn small_rules() -> Vec<Rule> {
    RULES
        .iter()
        .map(|(name, text)| rules::parse_rule(name, text, &Placeholders::new()).unwrap())
        .collect()
}

fn lines(seed: u64, n: usize, rules: &[Rule]) -> (String, Vec<usize>) {
    let mut g = Generator::new(seed, rules);
    let mut out = String::new();
    let sources = (0..n).map(|_| g.next_line(&mut out)).collect();
    (out, sources)
}

/// The log source `detect` recognises from an event's shape, for the channels and ids the
/// stream uses: (product, service, categories).
fn recognise(v: &Value) -> (String, String, Vec<&'static str>) {
    let text = |k: &str| match &v[k] {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    if let Some(channel) = text("Channel") {
        let service = match channel.as_str() {
            "Microsoft-Windows-Sysmon/Operational" | "Linux-Sysmon/Operational" => "sysmon",
            "Microsoft-Windows-PowerShell/Operational" => "powershell",
            "Windows PowerShell" => "powershell-classic",
            "Security" => "security",
            "System" => "system",
            "Application" => "application",
            "Microsoft-Windows-Windows Defender/Operational" => "windefend",
            _ => "",
        };
        let linux = channel == "Linux-Sysmon/Operational";
        let id: Option<u32> = text("EventID").and_then(|t| t.parse().ok());
        let cats: Vec<&str> = match (service, id, linux) {
            ("sysmon", Some(1), true) => vec!["process_creation"],
            ("sysmon", Some(3), true) => vec!["network_connection"],
            ("sysmon", Some(11), true) => vec!["file_event"],
            ("sysmon", _, true) => vec![],
            ("sysmon", Some(1), _) => vec!["process_creation"],
            ("sysmon", Some(3), _) => vec!["network_connection"],
            ("sysmon", Some(6), _) => vec!["driver_load"],
            ("sysmon", Some(7), _) => vec!["image_load"],
            ("sysmon", Some(8), _) => vec!["create_remote_thread"],
            ("sysmon", Some(10), _) => vec!["process_access"],
            ("sysmon", Some(11), _) => vec!["file_event"],
            ("sysmon", Some(12), _) => match text("EventType").as_deref() {
                Some("CreateKey") => vec!["registry_event", "registry_add"],
                Some("DeleteKey" | "DeleteValue") => vec!["registry_event", "registry_delete"],
                _ => vec!["registry_event"],
            },
            ("sysmon", Some(13), _) => vec!["registry_event", "registry_set"],
            ("sysmon", Some(17 | 18), _) => vec!["pipe_created"],
            ("sysmon", Some(22), _) => vec!["dns_query"],
            ("sysmon", Some(23), _) => vec!["file_delete"],
            ("sysmon", _, _) => vec!["?"],
            ("powershell", Some(4104), _) => vec!["ps_script"],
            ("powershell", Some(4103), _) => vec!["ps_module"],
            ("powershell-classic", Some(400), _) => vec!["ps_classic_start"],
            _ => vec![],
        };
        let product = if linux { "linux" } else { "windows" };
        return (product.into(), service.into(), cats);
    }
    if text("eventSource").is_some() && text("eventName").is_some() && !v["userIdentity"].is_null()
    {
        return ("aws".into(), "cloudtrail".into(), vec![]);
    }
    (String::new(), String::new(), vec![])
}

fn check_recognised(out: &str, sources: &[usize]) {
    for (i, (line, &si)) in out.lines().zip(sources).enumerate() {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("line {}: not JSON ({e}): {line}", i + 1));
        assert!(v.is_object(), "line {}: not an object", i + 1);
        let src = &SOURCES[si];
        let (product, service, cats) = recognise(&v);
        assert_eq!(
            (product.as_str(), service.as_str(), cats.as_slice()),
            (src.product, src.service, src.categories),
            "line {} generated as {} is recognised otherwise: {line}",
            i + 1,
            src.name
        );
    }
}

#[test]
fn same_seed_same_bytes_and_prefix_stable() {
    let rules = small_rules();
    let (a, sa) = lines(7, 4_000, &rules);
    let (b, sb) = lines(7, 4_000, &rules);
    assert_eq!(a, b);
    assert_eq!(sa, sb);
    let (c, _) = lines(7, 5_000, &rules);
    assert!(c.starts_with(&a));
    let (d, _) = lines(8, 4_000, &rules);
    assert_ne!(a, d);
}

#[test]
fn every_event_is_recognised_as_its_source_and_every_source_occurs() {
    let rules = small_rules();
    let (out, sources) = lines(11, 20_000, &rules);
    check_recognised(&out, &sources);
    for (i, s) in SOURCES.iter().enumerate() {
        assert!(sources.contains(&i), "no event of {}", s.name);
    }
}

#[test]
fn events_carry_rule_literals() {
    let rules = small_rules();
    let mut g = Generator::new(3, &rules);
    let mut out = String::new();
    for _ in 0..20_000 {
        g.next_line(&mut out);
    }
    assert!(g.stats.rule_seeded > 0 && g.stats.field_literals > 0);
    // Whole selections: the process rule's, with both `|all` values.
    let whoami = out
        .lines()
        .filter(|l| l.contains("\\\\whoami.exe\"") && l.contains("/priv") && l.contains("/groups"))
        .count();
    assert!(whoami > 0, "no event made from the whoami rule");
    // The Security rule's event id picks the matching event layout.
    assert!(out
        .lines()
        .any(|l| l.contains("\"EventID\":4697") && l.contains("ADMIN$")));
    // Nested CloudTrail fields.
    assert!(out
        .lines()
        .any(|l| l.contains("\"StopLogging\"") && l.contains("\"type\":\"Root\"")));
    // A `startswith` literal starts the value.
    assert!(out.contains("\"Details\":\"C:\\\\Users\\\\Public\\\\"));
}

/// The SigmaHQ corpus, when this checkout has it beside it: every rule reads, many can
/// seed events, and the stream made from them still recognises as intended.
#[test]
fn with_the_sigmahq_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = root.join("../shared/data/sigmahq-full");
    if !dir.is_dir() {
        eprintln!("skipped: {} is missing", dir.display());
        return;
    }
    let placeholders =
        rules::read_placeholders(&root.join("tests/fixtures/corpus/placeholders.json")).unwrap();
    let loaded = rules::load_dir(&dir, &placeholders).unwrap();
    assert_eq!(loaded.skipped, Vec::<(String, String)>::new());
    assert_eq!(loaded.rules.len(), 3780);
    let mut g = Generator::new(5, &loaded.rules);
    let recipes = g.recipes_per_source();
    let process = SOURCES
        .iter()
        .position(|s| s.name == "sysmon/process_creation")
        .unwrap();
    assert!(recipes[process] > 1_300, "{recipes:?}");
    let mut out = String::new();
    let sources: Vec<usize> = (0..20_000).map(|_| g.next_line(&mut out)).collect();
    check_recognised(&out, &sources);
}
