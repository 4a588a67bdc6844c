//! A rule's risk score (ECS `event.risk_score`), resolved at generation time.

use crate::ir::{Level, Meta};
use serde_json::Value;

/// Elastic's severity for a Sigma level: 21/47/73/99 for low/medium/high/critical, 1 for
/// informational (`RuleInfo::severity`, which the engine writes as `event.severity`).
pub fn severity(level: Level) -> u32 {
    match level {
        Level::Informational => 1,
        Level::Low => 21,
        Level::Medium => 47,
        Level::High => 73,
        Level::Critical => 99,
    }
}

/// The rule's custom `risk_score` key when it is a finite number (or a string holding one),
/// else the severity of its level; `None` when it has neither. Custom keys are kept as JSON
/// text (as in `RuleInfo::custom`), so the key is read as JSON.
pub fn risk_score(meta: &Meta) -> Option<f64> {
    let custom = meta
        .custom
        .get("risk_score")
        .and_then(|v| serde_json::from_str::<Value>(v).ok())
        .and_then(|v| match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        })
        .filter(|f| f.is_finite());
    custom.or_else(|| meta.level.map(|l| f64::from(severity(l))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(level: Option<Level>, risk: Option<&str>) -> Meta {
        let mut m = Meta {
            level,
            ..Meta::default()
        };
        if let Some(r) = risk {
            m.custom.insert("risk_score".into(), r.into());
        }
        m
    }

    #[test]
    fn severity_scale() {
        assert_eq!(severity(Level::Informational), 1);
        assert_eq!(severity(Level::Low), 21);
        assert_eq!(severity(Level::Medium), 47);
        assert_eq!(severity(Level::High), 73);
        assert_eq!(severity(Level::Critical), 99);
    }

    #[test]
    fn custom_score_then_level_then_none() {
        let high = Some(Level::High);
        assert_eq!(risk_score(&meta(high, Some("80"))), Some(80.0));
        assert_eq!(risk_score(&meta(high, None)), Some(73.0));
        assert_eq!(risk_score(&meta(high, Some("\" 12.5 \""))), Some(12.5));
        assert_eq!(risk_score(&meta(high, Some("-3.25"))), Some(-3.25));
        // Not a number, or not a finite one: the level decides.
        for text in [
            "[1]", "\"high\"", "\"inf\"", "\"NaN\"", "null", "true", "{}",
        ] {
            assert_eq!(risk_score(&meta(Some(Level::Low), Some(text))), Some(21.0));
        }
        assert_eq!(risk_score(&meta(None, Some("[1]"))), None);
        assert_eq!(risk_score(&meta(None, None)), None);
        assert_eq!(risk_score(&meta(None, Some("7"))), Some(7.0));
    }
}
