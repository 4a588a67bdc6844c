//! Log-source routing: which rules run on events of which source.

use sigma_runtime::LogSource;

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
    let mut ls = LogSource {
        product: "",
        category: "",
        service: "",
    };
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| LogSourceError::NotKeyValue(part.to_owned()))?;
        // Leaked once per process: rule log sources are `&'static str` too.
        let value: &'static str = Box::leak(value.trim().to_owned().into_boxed_str());
        match key.trim() {
            "product" => ls.product = value,
            "category" => ls.category = value,
            "service" => ls.service = value,
            other => return Err(LogSourceError::UnknownKey(other.to_owned())),
        }
    }
    Ok(ls)
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
