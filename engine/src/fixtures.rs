//! A hand-written rule set for the engine's own tests, shaped like generated code: the engine
//! is tested without `build.rs` or any generated rule.

use sigma_runtime::{
    ends_with_ci, eq_ci, Event, FieldNeedles, FieldPath, FieldTable, Gate, Level, LogSource,
    Needle, NeedleKind, NeedleTable, Prefilter, Rule, RuleInfo, RuleSet,
};

/// Id of the rule with a byte literal (`impersonatedUser`).
pub const IMPERSONATION_ID: &str = "00000000-0000-4000-8000-000000000001";
/// Id of the rule without a literal (`verb` and `objectRef.resource` only).
pub const READ_SECRETS_ID: &str = "00000000-0000-4000-8000-000000000002";
/// Id of the Windows rule (`product: windows`), routed only to matching `json` input.
pub const WINDOWS_ID: &str = "00000000-0000-4000-8000-000000000003";

const AUDIT: LogSource = LogSource {
    product: "kubernetes",
    category: "application",
    service: "audit",
};

const fn info(id: &'static str, title: &'static str, logsource: LogSource) -> RuleInfo {
    RuleInfo {
        id,
        title,
        level: Some(Level::High),
        status: "test",
        tags: &["attack.t1134"],
        tactics: &[],
        techniques: &[("T1134", "Access Token Manipulation")],
        risk_score: Some(73.0),
        severity: Some(73),
        logsource,
        related: &[],
        custom: &[],
        source: "fixtures.rs",
    }
}

static IMPERSONATION: RuleInfo = info(IMPERSONATION_ID, "Impersonates a system user", AUDIT);
static READ_SECRETS: RuleInfo = info(READ_SECRETS_ID, "Reads secrets", AUDIT);
static WINDOWS: RuleInfo = info(
    WINDOWS_ID,
    "Runs cmd.exe",
    LogSource {
        product: "windows",
        category: "process_creation",
        service: "",
    },
);

const USER: FieldPath = FieldPath::mapped(
    "impersonatedUser.username",
    "kubernetes.audit.impersonatedUser.username",
);
const VERB: FieldPath = FieldPath::mapped("verb", "kubernetes.audit.verb");
const RESOURCE: FieldPath =
    FieldPath::mapped("objectRef.resource", "kubernetes.audit.objectRef.resource");
const IMAGE: FieldPath = FieldPath::new("Image");

fn impersonation(ev: &Event) -> bool {
    ev.any_text(USER, |v| v.starts_with("system:"))
}

fn read_secrets(ev: &Event) -> bool {
    ev.any_text(VERB, |v| v == "get" || v == "list")
        && ev.any_text(RESOURCE, |v| eq_ci(v, "secrets"))
}

fn windows(ev: &Event) -> bool {
    ev.any_text(IMAGE, |v| ends_with_ci(v, "\\cmd.exe"))
}

/// The fixture rule set: a rule with a literal, one without, one for another log source.
pub static RULES: RuleSet = RuleSet {
    rules: &[
        Rule {
            info: &IMPERSONATION,
            matches: impersonation,
            prefilter: &Prefilter {
                raw: Some(&["impersonatedUser"]),
                ecs: Some(&["impersonatedUser"]),
                fields_raw: &["impersonatedUser.username"],
                fields_ecs: &["kubernetes.audit.impersonatedUser.username"],
            },
            gate: &Gate::Needle(Needle {
                field: Some(USER),
                kind: NeedleKind::Prefix,
                text: "system:",
            }),
        },
        Rule {
            info: &READ_SECRETS,
            matches: read_secrets,
            prefilter: &Prefilter {
                raw: None,
                ecs: None,
                fields_raw: &["objectRef.resource", "verb"],
                fields_ecs: &[
                    "kubernetes.audit.objectRef.resource",
                    "kubernetes.audit.verb",
                ],
            },
            // Gated on its case-insensitive test only (the verb's needles are left out, as
            // the generator may leave out any), so that a rule can run on a hit it then
            // rejects.
            gate: &Gate::Needle(Needle {
                field: Some(RESOURCE),
                kind: NeedleKind::Exact,
                text: "secrets",
            }),
        },
        Rule {
            info: &WINDOWS,
            matches: windows,
            prefilter: &Prefilter {
                raw: Some(&["cmd"]),
                ecs: Some(&["cmd"]),
                fields_raw: &["Image"],
                fields_ecs: &["Image"],
            },
            gate: &Gate::Needle(Needle {
                field: Some(IMAGE),
                kind: NeedleKind::Suffix,
                text: "\\cmd.exe",
            }),
        },
    ],
    fields_raw: &FIELDS_RAW,
    fields_ecs: &FIELDS_ECS,
    needles: &[&AUDIT_NEEDLES, &WINDOWS_NEEDLES],
};

/// The needles of the Kubernetes fixture rules, as the generator writes a table.
static AUDIT_NEEDLES: NeedleTable = NeedleTable {
    fields: &[
        FieldNeedles {
            field: Some(USER),
            needles: &[(NeedleKind::Prefix, "system:", &[&IMPERSONATION])],
        },
        FieldNeedles {
            field: Some(RESOURCE),
            needles: &[(NeedleKind::Exact, "secrets", &[&READ_SECRETS])],
        },
    ],
};

/// The needles of the Windows fixture rule.
static WINDOWS_NEEDLES: NeedleTable = NeedleTable {
    fields: &[FieldNeedles {
        field: Some(IMAGE),
        needles: &[(NeedleKind::Suffix, "\\cmd.exe", &[&WINDOWS])],
    }],
};

/// Every field the fixture rules read, and the wrapper keys `auto` looks at (as the generator
/// writes them).
static FIELDS_RAW: FieldTable = FieldTable::new(
    &[
        "Image",
        "impersonatedUser.username",
        "kind",
        "kubernetes.audit",
        "objectRef.resource",
        "properties.log",
        "records",
        "verb",
    ],
    false,
);

static FIELDS_ECS: FieldTable = FieldTable::new(
    &[
        "Image",
        "kubernetes.audit.impersonatedUser.username",
        "kubernetes.audit.objectRef.resource",
        "kubernetes.audit.verb",
    ],
    false,
);
