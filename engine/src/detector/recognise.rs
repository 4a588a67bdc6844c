//! Log sources recognised from the shape of an event (`--input-format json` without
//! `--logsource`): Windows event log channels, with Sysmon's and PowerShell's event ids as
//! categories, ECS documents by their `event.dataset`, and AWS CloudTrail records. The mappings are SigmaHQ's (its log-source taxonomy
//! and the Sysmon pipeline); a category needs no field mapping for these events, so none is
//! derived where one would be needed (Security 4688 is `windows/security`, not
//! `process_creation`, whose rules read Sysmon's field names).

use super::source::EventSource;
use sigma_runtime::{Event, FieldPath};

/// The fields recognition reads: the decoder keeps them besides the rules' own.
pub(super) const FIELDS: [&str; 8] = [
    "Channel",
    "EventID",
    "EventType",
    "event.code",
    "event.dataset",
    "eventName",
    "eventSource",
    "userIdentity",
];

/// Elastic integrations' `event.dataset` values and the Sigma product and service each is
/// (ECS documents as Elastic Agent and Beats store them).
const DATASETS: [(&str, &str, &str); 18] = [
    ("auditd.log", "linux", "auditd"),
    ("aws.cloudtrail", "aws", "cloudtrail"),
    ("azure.activitylogs", "azure", "activitylogs"),
    ("azure.auditlogs", "azure", "auditlogs"),
    ("azure.signinlogs", "azure", "signinlogs"),
    ("gcp.audit", "gcp", "gcp.audit"),
    ("github.audit", "github", "audit"),
    ("kubernetes.audit_logs", "kubernetes", "audit"),
    ("o365.audit", "m365", "audit"),
    ("okta.system", "okta", "okta"),
    ("system.application", "windows", "application"),
    ("system.auth", "linux", "auth"),
    ("system.security", "windows", "security"),
    ("system.syslog", "linux", "syslog"),
    ("system.system", "windows", "system"),
    ("windows.powershell", "windows", "powershell-classic"),
    ("windows.powershell_operational", "windows", "powershell"),
    ("windows.sysmon_operational", "windows", "sysmon"),
];

/// Windows event log channels and the Sigma `service` each is.
const CHANNELS: [(&str, &str); 18] = [
    ("Application", "application"),
    ("MSExchange Management", "msexchange-management"),
    (
        "Microsoft-Windows-AppXDeploymentServer/Operational",
        "appxdeployment-server",
    ),
    ("Microsoft-Windows-Bits-Client/Operational", "bits-client"),
    (
        "Microsoft-Windows-CodeIntegrity/Operational",
        "codeintegrity-operational",
    ),
    ("Microsoft-Windows-DNS-Client/Operational", "dns-client"),
    ("Microsoft-Windows-NTLM/Operational", "ntlm"),
    ("Microsoft-Windows-PowerShell/Operational", "powershell"),
    ("Microsoft-Windows-Sysmon/Operational", "sysmon"),
    (
        "Microsoft-Windows-TaskScheduler/Operational",
        "taskscheduler",
    ),
    ("Microsoft-Windows-WMI-Activity/Operational", "wmi"),
    (
        "Microsoft-Windows-Windows Defender/Operational",
        "windefend",
    ),
    (
        "Microsoft-Windows-Windows Firewall With Advanced Security/Firewall",
        "firewall-as",
    ),
    ("PowerShellCore/Operational", "powershell"),
    ("Security", "security"),
    ("System", "system"),
    ("Windows PowerShell", "powershell-classic"),
    ("Linux-Sysmon/Operational", "sysmon"),
];

/// The first text form of a field, when the event has one.
fn text(event: &Event<'_>, name: &'static str) -> Option<String> {
    let mut found = None;
    event.any_text(FieldPath::new(name), |v| {
        found = Some(v.to_owned());
        true
    });
    found
}

/// The log source of `event` when its shape is a known one; an empty source otherwise.
pub(super) fn recognise(event: &Event<'_>) -> EventSource {
    if let Some(channel) = text(event, "Channel") {
        let service = CHANNELS
            .iter()
            .find(|(c, _)| *c == channel)
            .map_or("", |&(_, s)| s);
        let linux = channel == "Linux-Sysmon/Operational";
        let id = text(event, "EventID").and_then(|t| t.trim().parse::<u32>().ok());
        let categories = match (service, id) {
            ("sysmon", Some(1)) if linux => vec!["process_creation"],
            ("sysmon", Some(3)) if linux => vec!["network_connection"],
            ("sysmon", Some(11)) if linux => vec!["file_event"],
            ("sysmon", Some(_)) if linux => vec![],
            ("sysmon", Some(id)) => sysmon(id, text(event, "EventType").as_deref()),
            ("powershell", Some(4104)) => vec!["ps_script"],
            ("powershell", Some(4103)) => vec!["ps_module"],
            ("powershell-classic", Some(400)) => vec!["ps_classic_start"],
            ("powershell-classic", Some(600)) => vec!["ps_classic_provider_start"],
            ("powershell-classic", Some(800)) => vec!["ps_classic_script"],
            _ => vec![],
        };
        return EventSource {
            product: (if linux { "linux" } else { "windows" }).into(),
            service: service.into(),
            categories: categories.into_iter().map(Into::into).collect(),
        };
    }
    if let Some(dataset) = text(event, "event.dataset") {
        if let Some(&(_, product, service)) = DATASETS.iter().find(|(d, _, _)| *d == dataset) {
            return EventSource {
                product: product.into(),
                service: service.into(),
                categories: dataset_categories(event, product, service)
                    .into_iter()
                    .map(Into::into)
                    .collect(),
            };
        }
    }
    let cloudtrail = text(event, "eventSource").is_some()
        && text(event, "eventName").is_some()
        && event.exists(FieldPath::new("userIdentity"));
    if cloudtrail {
        return EventSource {
            product: "aws".into(),
            service: "cloudtrail".into(),
            categories: Vec::new(),
        };
    }
    EventSource::default()
}

/// The categories of an ECS document of a known dataset: by `event.code` for Sysmon and
/// PowerShell, as their channels' events by `EventID`; `application` for Kubernetes audit
/// (as the audit formats are).
fn dataset_categories(event: &Event<'_>, product: &str, service: &str) -> Vec<&'static str> {
    let code = text(event, "event.code").and_then(|t| t.trim().parse::<u32>().ok());
    match (product, service, code) {
        ("kubernetes", _, _) => vec!["application"],
        ("windows", "sysmon", Some(id)) => sysmon(id, None),
        ("windows", "powershell", Some(4104)) => vec!["ps_script"],
        ("windows", "powershell", Some(4103)) => vec!["ps_module"],
        ("windows", "powershell-classic", Some(400)) => vec!["ps_classic_start"],
        ("windows", "powershell-classic", Some(600)) => vec!["ps_classic_provider_start"],
        ("windows", "powershell-classic", Some(800)) => vec!["ps_classic_script"],
        _ => vec![],
    }
}

/// The categories of a Sysmon event by its id (and, for registry events, its `EventType`).
fn sysmon(id: u32, event_type: Option<&str>) -> Vec<&'static str> {
    match id {
        1 => vec!["process_creation"],
        2 => vec!["file_change"],
        3 => vec!["network_connection"],
        4 | 16 => vec!["sysmon_status"],
        5 => vec!["process_termination"],
        6 => vec!["driver_load"],
        7 => vec!["image_load"],
        8 => vec!["create_remote_thread"],
        9 => vec!["raw_access_thread"],
        10 => vec!["process_access"],
        11 => vec!["file_event"],
        12 => match event_type {
            Some("CreateKey") => vec!["registry_event", "registry_add"],
            Some("DeleteKey" | "DeleteValue") => vec!["registry_event", "registry_delete"],
            _ => vec!["registry_event"],
        },
        13 => vec!["registry_event", "registry_set"],
        14 => vec!["registry_event", "registry_rename"],
        15 => vec!["create_stream_hash"],
        17 | 18 => vec!["pipe_created"],
        19..=21 => vec!["wmi_event"],
        22 => vec!["dns_query"],
        23 => vec!["file_delete"],
        24 => vec!["clipboard_capture"],
        25 => vec!["process_tampering"],
        26 => vec!["file_delete_detected"],
        27 => vec!["file_block_executable"],
        28 => vec!["file_block_shredding"],
        29 => vec!["file_executable_detected"],
        255 => vec!["sysmon_error"],
        _ => vec![],
    }
}
