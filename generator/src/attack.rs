//! MITRE ATT&CK (Enterprise) names for Sigma `attack.*` tags, resolved at generation time.
//!
//! Sigma tags a rule with tactics by their ATT&CK short name (`attack.privilege-escalation`)
//! and with techniques by id (`attack.t1134`, `attack.t1078.004`). ECS alerts want ids and
//! names for both, so this module holds a table: tactic short name → (id, name), and technique
//! id → name; each rule's `RuleInfo` carries the entries its tags name. Nothing is guessed: a
//! tag that is not in the tables is left out of the alert.
//!
//! Tactics are those of ATT&CK v19, which split the old *Defense Evasion* (TA0005) into
//! *Stealth* (which kept the id TA0005) and the new *Defense Impairment* (TA0112). Rules
//! written before v19 still say `attack.defense-evasion`; it keeps its old name and id.
//! Technique names are those that Elastic's Kubernetes detection rules carry
//! (`../shared/data/elastic-detection-rules/`), the techniques Kubernetes rules use.

/// `(short name as in Sigma tags, id, name)` of every ATT&CK Enterprise tactic.
const TACTICS: &[(&str, &str, &str)] = &[
    ("reconnaissance", "TA0043", "Reconnaissance"),
    ("resource-development", "TA0042", "Resource Development"),
    ("initial-access", "TA0001", "Initial Access"),
    ("execution", "TA0002", "Execution"),
    ("persistence", "TA0003", "Persistence"),
    ("privilege-escalation", "TA0004", "Privilege Escalation"),
    ("stealth", "TA0005", "Stealth"),
    ("defense-impairment", "TA0112", "Defense Impairment"),
    // Before ATT&CK v19; still used by many rules.
    ("defense-evasion", "TA0005", "Defense Evasion"),
    ("credential-access", "TA0006", "Credential Access"),
    ("discovery", "TA0007", "Discovery"),
    ("lateral-movement", "TA0008", "Lateral Movement"),
    ("collection", "TA0009", "Collection"),
    ("command-and-control", "TA0011", "Command and Control"),
    ("exfiltration", "TA0010", "Exfiltration"),
    ("impact", "TA0040", "Impact"),
];

/// `(id, name)` of the techniques and sub-techniques that Kubernetes rules use, sorted by id.
const TECHNIQUES: &[(&str, &str)] = &[
    ("T1059", "Command and Scripting Interpreter"),
    ("T1069", "Permission Groups Discovery"),
    ("T1069.003", "Cloud Groups"),
    ("T1070", "Indicator Removal"),
    ("T1070.004", "File Deletion"),
    ("T1078", "Valid Accounts"),
    ("T1078.001", "Default Accounts"),
    ("T1078.004", "Cloud Accounts"),
    ("T1098", "Account Manipulation"),
    ("T1098.006", "Additional Container Cluster Roles"),
    ("T1105", "Ingress Tool Transfer"),
    ("T1133", "External Remote Services"),
    ("T1134", "Access Token Manipulation"),
    ("T1213", "Data from Information Repositories"),
    ("T1489", "Service Stop"),
    ("T1529", "System Shutdown/Reboot"),
    ("T1530", "Data from Cloud Storage"),
    ("T1546", "Event Triggered Execution"),
    ("T1550", "Use Alternate Authentication Material"),
    ("T1550.001", "Application Access Token"),
    ("T1552", "Unsecured Credentials"),
    ("T1552.001", "Credentials In Files"),
    ("T1552.005", "Cloud Instance Metadata API"),
    ("T1552.007", "Container API"),
    ("T1562", "Impair Defenses"),
    ("T1562.001", "Disable or Modify Tools"),
    ("T1562.008", "Disable or Modify Cloud Logs"),
    ("T1565", "Data Manipulation"),
    ("T1565.001", "Stored Data Manipulation"),
    ("T1595", "Active Scanning"),
    ("T1595.003", "Wordlist Scanning"),
    ("T1609", "Container Administration Command"),
    ("T1610", "Deploy Container"),
    ("T1611", "Escape to Host"),
    ("T1613", "Container and Resource Discovery"),
];

/// An ATT&CK tactic or technique: its id and name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// `TA0004`, `T1134`, `T1078.004`.
    pub id: &'static str,
    /// `Privilege Escalation`, `Access Token Manipulation`.
    pub name: &'static str,
}

/// The tactic a Sigma tag names (`attack.privilege-escalation`), when it is a known tactic.
/// Tags are compared case-insensitively, `_` standing for `-` as in some older rules.
pub fn tactic(tag: &str) -> Option<Entry> {
    let short = strip_attack(tag)?.replace('_', "-");
    TACTICS
        .iter()
        .find(|(s, _, _)| s.eq_ignore_ascii_case(&short))
        .map(|&(_, id, name)| Entry { id, name })
}

/// The technique a Sigma tag names (`attack.t1134`, `attack.t1078.004`), when its id is in the
/// table.
pub fn technique(tag: &str) -> Option<Entry> {
    let rest = strip_attack(tag)?;
    let id = rest.to_ascii_uppercase();
    let i = TECHNIQUES
        .binary_search_by(|(t, _)| (*t).cmp(id.as_str()))
        .ok()?;
    let (id, name) = TECHNIQUES[i];
    Some(Entry { id, name })
}

fn strip_attack(tag: &str) -> Option<&str> {
    let (prefix, rest) = tag.split_once('.')?;
    prefix.eq_ignore_ascii_case("attack").then_some(rest)
}

/// The tactics and techniques of a rule's tags, each id once (with the name of its first
/// tag: `defense-evasion` and `stealth` share TA0005), in tag order.
pub fn of_tags<S: AsRef<str>>(tags: &[S]) -> (Vec<Entry>, Vec<Entry>) {
    let mut tactics: Vec<Entry> = Vec::new();
    let mut techniques: Vec<Entry> = Vec::new();
    for tag in tags.iter().map(AsRef::as_ref) {
        if let Some(t) = tactic(tag) {
            if !tactics.iter().any(|e| e.id == t.id) {
                tactics.push(t);
            }
        } else if let Some(t) = technique(tag) {
            if !techniques.contains(&t) {
                techniques.push(t);
            }
        }
    }
    (tactics, techniques)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn techniques_are_sorted_for_binary_search() {
        assert!(TECHNIQUES.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn v19_and_older_tactics() {
        assert_eq!(tactic("attack.stealth").unwrap().id, "TA0005");
        assert_eq!(tactic("attack.stealth").unwrap().name, "Stealth");
        let di = tactic("attack.defense-impairment").unwrap();
        assert_eq!((di.id, di.name), ("TA0112", "Defense Impairment"));
        let de = tactic("attack.defense-evasion").unwrap();
        assert_eq!((de.id, de.name), ("TA0005", "Defense Evasion"));
        assert_eq!(tactic("attack.privilege_escalation").unwrap().id, "TA0004");
        assert_eq!(tactic("attack.no-such-tactic"), None);
        assert_eq!(tactic("cve.2021-1234"), None);
    }

    #[test]
    fn techniques_by_id() {
        let t = technique("attack.t1134").unwrap();
        assert_eq!((t.id, t.name), ("T1134", "Access Token Manipulation"));
        assert_eq!(
            technique("attack.T1078.004").unwrap().name,
            "Cloud Accounts"
        );
        assert_eq!(technique("attack.t9999"), None);
        assert_eq!(technique("attack.g0001"), None);
    }

    #[test]
    fn of_tags_dedupes_and_leaves_unknowns_out() {
        let (ta, te) = of_tags(&[
            "attack.privilege-escalation",
            "attack.defense-evasion",
            "attack.stealth",
            "attack.t1134",
            "attack.t1134",
            "attack.t9999",
            "attack.s0001",
            "car.2016-04-005",
        ]);
        let ids: Vec<_> = ta.iter().map(|e| e.id).collect();
        assert_eq!(ids, ["TA0004", "TA0005"]);
        // `stealth` has the id of `defense-evasion`: each id once, with its first name.
        let names: Vec<_> = ta.iter().map(|e| e.name).collect();
        assert_eq!(names, ["Privilege Escalation", "Defense Evasion"]);
        let ids: Vec<_> = te.iter().map(|e| e.id).collect();
        assert_eq!(ids, ["T1134"]);
    }
}
