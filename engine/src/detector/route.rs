//! Log-source routing: which rules run on events of which source.
//!
//! A rule runs on an event when every log-source key the rule names (product, category,
//! service) equals the event's, as pySigma decides it: a rule naming only `product: windows`
//! runs on every Windows event, a rule naming only `category: proxy` on every proxy event of
//! any product. Audit formats are `kubernetes/application/audit`; `json` events get theirs
//! from `--logsource` (the whole input), from fields of each event (`--logsource-field`), or
//! by recognising their shape ([`super::recognise`]). Per-event sources are resolved through a
//! cache: the rules of each distinct source are listed once.

pub use super::source::EventSource;
use crate::gates::{Gates, Gating};
use sigma_runtime::{Event, FieldPath, LogSource, RuleSet};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// True when `rule` runs on input of `source`: each of `product`, `category`, `service` that
/// the rule names (non-empty) equals the input's.
pub fn applies(rule: &LogSource, input: &LogSource) -> bool {
    let ok = |r: &str, i: &str| r.is_empty() || r == i;
    ok(rule.product, input.product)
        && ok(rule.category, input.category)
        && ok(rule.service, input.service)
}

/// Why a `--logsource` text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogSourceError {
    /// A part without `=`.
    #[error("`{0}`: expected KEY=VALUE")]
    NotKeyValue(String),
    /// A key other than product, category, service.
    #[error("unknown log source key `{0}` (expected product, category or service)")]
    UnknownKey(String),
}

/// Parses `product=...,category=...,service=...` (any subset, any order).
pub fn parse_logsource(text: &str) -> Result<LogSource, LogSourceError> {
    let [product, category, service] = key_values(text)?;
    Ok(LogSource {
        product: product.unwrap_or(""),
        category: category.unwrap_or(""),
        service: service.unwrap_or(""),
    })
}

/// The values of `product=...,category=...,service=...`, in that order; each leaked once per
/// process (rule log sources and field paths are `&'static str` too).
fn key_values(text: &str) -> Result<[Option<&'static str>; 3], LogSourceError> {
    let mut values = [None; 3];
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| LogSourceError::NotKeyValue(part.to_owned()))?;
        let value: &'static str = Box::leak(value.trim().to_owned().into_boxed_str());
        let slot = match key.trim() {
            "product" => 0,
            "category" => 1,
            "service" => 2,
            other => return Err(LogSourceError::UnknownKey(other.to_owned())),
        };
        values[slot] = Some(value);
    }
    Ok(values)
}

/// The fields of `json` events that hold their log source (`--logsource-field`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogSourceFields {
    /// The field holding the product.
    pub product: Option<&'static str>,
    /// The field holding the category.
    pub category: Option<&'static str>,
    /// The field holding the service.
    pub service: Option<&'static str>,
}

impl LogSourceFields {
    /// The field names given.
    pub fn names(&self) -> impl Iterator<Item = &'static str> {
        [self.product, self.category, self.service]
            .into_iter()
            .flatten()
    }
}

/// Parses `product=FIELD,category=FIELD,service=FIELD` (any subset, any order).
pub fn parse_logsource_fields(text: &str) -> Result<LogSourceFields, LogSourceError> {
    let [product, category, service] = key_values(text)?;
    Ok(LogSourceFields {
        product,
        category,
        service,
    })
}

/// How the log source of `json` input is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonRouting {
    /// The same for every event (`--logsource`; empty: only rules naming no key run).
    Fixed(LogSource),
    /// Read from fields of each event; keys without a field come from `fixed`.
    Fields {
        /// The fields.
        fields: LogSourceFields,
        /// The keys given with `--logsource`.
        fixed: LogSource,
    },
    /// Recognised from the event's shape (Windows channels, Sysmon and PowerShell event ids,
    /// CloudTrail).
    Recognise,
}

/// How many distinct event sources the routing cache remembers; beyond that, an event's
/// rules are listed without caching (a stream with that many log sources is not a log).
const CACHE_LIMIT: usize = 4096;

/// How a [`Router`] finds each event's log source: the per-event kinds of [`JsonRouting`].
#[derive(Debug, Clone, Copy)]
enum PerEvent {
    Fields {
        fields: LogSourceFields,
        fixed: LogSource,
    },
    Recognise,
}

/// Routes `json` events to rules per event.
#[derive(Debug)]
pub struct Router {
    set: &'static RuleSet,
    per_event: PerEvent,
    /// Whether each source's rules get gates ([`Gates::new`]) or run on every event.
    gated: Gating,
    cache: RwLock<HashMap<EventSource, Arc<Gates>>>,
}

impl Router {
    /// A router over the rules of `set`; `None` when every event gets the same rules
    /// (`Fixed`). The rules of each source are gated as `gated` says.
    pub fn new(set: &'static RuleSet, routing: JsonRouting, gated: Gating) -> Option<Router> {
        let per_event = match routing {
            JsonRouting::Fixed(_) => return None,
            JsonRouting::Fields { fields, fixed } => PerEvent::Fields { fields, fixed },
            JsonRouting::Recognise => PerEvent::Recognise,
        };
        Some(Router {
            set,
            per_event,
            // Events routed one by one skip the byte prefilter, which sifts a small rule set
            // as well as gates do: here gates pay whatever the number of rules.
            gated: match gated {
                Gating::Auto => Gating::On,
                other => other,
            },
            cache: RwLock::new(HashMap::new()),
        })
    }

    /// The fields routing reads, which the decoder must keep.
    pub fn fields(&self) -> Vec<&'static str> {
        match self.per_event {
            PerEvent::Fields { fields, .. } => fields.names().collect(),
            PerEvent::Recognise => super::recognise::FIELDS.to_vec(),
        }
    }

    /// The log source of one event.
    pub fn source_of(&self, event: &Event<'_>) -> EventSource {
        match self.per_event {
            PerEvent::Recognise => super::recognise::recognise(event),
            PerEvent::Fields { fields, fixed } => {
                let read = |field: Option<&'static str>, fixed: &'static str| -> Box<str> {
                    let mut value = None;
                    if let Some(name) = field {
                        event.any_text(FieldPath::new(name), |v| {
                            value = Some(v.into());
                            true
                        });
                    }
                    value.unwrap_or_else(|| fixed.into())
                };
                let category = read(fields.category, fixed.category);
                EventSource {
                    product: read(fields.product, fixed.product),
                    service: read(fields.service, fixed.service),
                    categories: if category.is_empty() {
                        Vec::new()
                    } else {
                        vec![category]
                    },
                }
            }
        }
    }

    /// The rules that run on `event`, in rule order, with their gates.
    pub fn rules_for(&self, event: &Event<'_>) -> Arc<Gates> {
        let source = self.source_of(event);
        if let Some(rules) = self
            .cache
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&source)
        {
            return rules.clone();
        }
        let rules = self.set.rules;
        let rules: Vec<usize> = (0..rules.len())
            .filter(|&i| source.admits(&rules[i].info.logsource))
            .collect();
        let rules = Arc::new(Gates::build(self.set, rules, self.gated));
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        if cache.len() < CACHE_LIMIT {
            cache.insert(source, rules.clone());
        }
        rules
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::AUDIT_LOGSOURCE;

    #[test]
    fn routing_by_logsource() {
        let input = AUDIT_LOGSOURCE;
        let ls = |product, category, service| LogSource {
            product,
            category,
            service,
        };
        assert!(applies(&ls("", "", ""), &input));
        assert!(applies(&ls("kubernetes", "", "audit"), &input));
        assert!(applies(&ls("kubernetes", "application", "audit"), &input));
        assert!(!applies(&ls("windows", "", ""), &input));
        assert!(!applies(&ls("kubernetes", "", "kubelet"), &input));
        assert!(!applies(&ls("", "process_creation", ""), &input));
    }

    #[test]
    fn logsource_option() {
        let ls = parse_logsource("product=linux, service=auditd").unwrap();
        assert_eq!(
            (ls.product, ls.category, ls.service),
            ("linux", "", "auditd")
        );
        assert!(matches!(
            parse_logsource("os=linux"),
            Err(LogSourceError::UnknownKey(k)) if k == "os"
        ));
        assert!(matches!(
            parse_logsource("linux"),
            Err(LogSourceError::NotKeyValue(_))
        ));
        assert_eq!(parse_logsource("").unwrap().product, "");
    }
}

#[cfg(test)]
mod routing_tests {
    use super::*;
    use crate::fixtures;

    fn ls(product: &'static str, category: &'static str, service: &'static str) -> LogSource {
        LogSource {
            product,
            category,
            service,
        }
    }

    fn source_of(json: &str) -> EventSource {
        let event = Event::parse(json).unwrap();
        super::super::recognise::recognise(&event)
    }

    #[test]
    fn an_event_source_admits_the_rules_whose_keys_all_match() {
        let sysmon = source_of(r#"{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1}"#);
        assert!(sysmon.admits(&ls("windows", "process_creation", "")));
        assert!(sysmon.admits(&ls("windows", "", "")));
        assert!(sysmon.admits(&ls("", "process_creation", "")));
        assert!(sysmon.admits(&ls("windows", "", "sysmon")));
        assert!(sysmon.admits(&ls("", "", "")));
        assert!(!sysmon.admits(&ls("windows", "", "security")));
        assert!(!sysmon.admits(&ls("windows", "image_load", "")));
        assert!(!sysmon.admits(&ls("linux", "process_creation", "")));
        // An unknown source admits only rules naming no key.
        let unknown = EventSource::default();
        assert!(unknown.admits(&ls("", "", "")));
        assert!(!unknown.admits(&ls("windows", "", "")));
    }

    #[test]
    fn windows_channels_and_event_ids_are_recognised() {
        let registry =
            source_of(r#"{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":"13"}"#);
        assert_eq!(&*registry.product, "windows");
        assert_eq!(&*registry.service, "sysmon");
        assert!(registry.admits(&ls("windows", "registry_set", "")));
        assert!(registry.admits(&ls("windows", "registry_event", "")));
        assert!(!registry.admits(&ls("windows", "registry_add", "")));
        let add = source_of(
            r#"{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":12,"EventType":"CreateKey"}"#,
        );
        assert!(add.admits(&ls("windows", "registry_add", "")));
        assert!(!add.admits(&ls("windows", "registry_delete", "")));
        let script =
            source_of(r#"{"Channel":"Microsoft-Windows-PowerShell/Operational","EventID":4104}"#);
        assert!(script.admits(&ls("windows", "ps_script", "")));
        assert!(!script.admits(&ls("windows", "ps_module", "")));
        // Security 4688 is not process_creation: those rules read Sysmon's field names.
        let security = source_of(r#"{"Channel":"Security","EventID":4688}"#);
        assert!(security.admits(&ls("windows", "", "security")));
        assert!(!security.admits(&ls("windows", "process_creation", "")));
        let linux = source_of(r#"{"Channel":"Linux-Sysmon/Operational","EventID":1}"#);
        assert!(linux.admits(&ls("linux", "process_creation", "")));
        assert!(!linux.admits(&ls("windows", "process_creation", "")));
    }

    #[test]
    fn ecs_documents_are_recognised_by_their_dataset() {
        let sysmon = source_of(
            r#"{"event":{"dataset":"windows.sysmon_operational","code":"1"},"process":{}}"#,
        );
        assert!(sysmon.admits(&ls("windows", "process_creation", "sysmon")));
        assert!(!sysmon.admits(&ls("windows", "network_connection", "")));
        // Dotted keys as ECS flattens them.
        let flat =
            source_of(r#"{"event.dataset":"windows.powershell_operational","event.code":4104}"#);
        assert!(flat.admits(&ls("windows", "ps_script", "powershell")));
        let audit = source_of(r#"{"event":{"dataset":"kubernetes.audit_logs"}}"#);
        assert!(audit.admits(&crate::input::AUDIT_LOGSOURCE));
        let auth = source_of(r#"{"event":{"dataset":"system.auth"}}"#);
        assert!(auth.admits(&ls("linux", "", "auth")));
        assert!(!auth.admits(&ls("linux", "process_creation", "")));
        let trail = source_of(r#"{"event":{"dataset":"aws.cloudtrail"}}"#);
        assert!(trail.admits(&ls("aws", "", "cloudtrail")));
        // An unknown dataset is just JSON.
        let other = source_of(r#"{"event":{"dataset":"nginx.access"}}"#);
        assert_eq!(other, EventSource::default());
    }

    #[test]
    fn cloudtrail_is_recognised_by_its_shape() {
        let ct = source_of(
            r#"{"eventSource":"iam.amazonaws.com","eventName":"CreateUser","userIdentity":{"type":"Root"}}"#,
        );
        assert!(ct.admits(&ls("aws", "", "cloudtrail")));
        // Without userIdentity it is just JSON.
        let other = source_of(r#"{"eventSource":"x","eventName":"y"}"#);
        assert_eq!(other, EventSource::default());
    }

    #[test]
    fn fields_name_the_log_source_and_fixed_keys_fill_the_rest() {
        let fields = parse_logsource_fields("product=os, category=kind").unwrap();
        assert_eq!(fields.names().collect::<Vec<_>>(), ["os", "kind"]);
        let router = Router::new(
            &fixtures::RULES,
            JsonRouting::Fields {
                fields,
                fixed: parse_logsource("service=edr").unwrap(),
            },
            Gating::On,
        )
        .unwrap();
        let event = Event::parse(r#"{"os":"windows","kind":"process_creation"}"#).unwrap();
        let source = router.source_of(&event);
        assert_eq!(
            (&*source.product, &*source.service, source.categories.len()),
            ("windows", "edr", 1)
        );
        let rules = router.rules_for(&event);
        let windows = fixtures::RULES
            .rules
            .iter()
            .position(|r| r.info.id == fixtures::WINDOWS_ID)
            .unwrap();
        assert_eq!(rules.rules(), [windows]);
        // The same source again comes from the cache, with the same rules.
        assert!(Arc::ptr_eq(&rules, &router.rules_for(&event)));
        assert!(Router::new(
            &fixtures::RULES,
            JsonRouting::Fixed(ls("", "", "")),
            Gating::On
        )
        .is_none());
    }
}
