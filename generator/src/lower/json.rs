//! YAML values as JSON text (custom keys are kept this way in `RuleInfo`).

use crate::ast::Value;

pub(super) fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A YAML value as JSON text (custom keys are kept this way in `RuleInfo`).
pub(super) fn json_of(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => {
            if n.value.is_finite() {
                n.text.clone()
            } else {
                "null".into()
            }
        }
        Value::Str(s) => json_string(s),
        Value::Seq(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| json_of(&i.value))
                .collect::<Vec<_>>()
                .join(",")
        ),
        Value::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|e| format!("{}:{}", json_string(&e.key), json_of(&e.value.value)))
                .collect::<Vec<_>>()
                .join(",")
        ),
    }
}
