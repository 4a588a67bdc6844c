//! The value at the end of its modifier chain → the final `Pattern` (keywords searched in
//! every value, case, regex translation).

use super::re::regex_for_runtime;
use super::{Problem, V};
use crate::ir::{Case, Pattern, RefMode};
use crate::wildcard;

/// The final pattern of one value.
pub(super) fn finish(v: V, keyword: bool) -> Result<Pattern, Problem> {
    Ok(match v {
        V::Str { parts, cased, .. } => {
            let case = if cased {
                Case::Sensitive
            } else {
                Case::Insensitive
            };
            let parts = if keyword {
                wildcard::wrap(parts, true, true)
            } else {
                parts
            };
            Pattern::Str(wildcard::classify(parts, case), case)
        }
        V::Num(n) if keyword => {
            Pattern::Str(crate::ir::StrPattern::Contains(n.text), Case::Insensitive)
        }
        V::Num(n) => Pattern::Num {
            value: n.value,
            text: n.text,
        },
        V::Null if keyword => {
            return Err(Problem::new(
                "`null` cannot be a keyword",
                "keywords are strings searched in every value",
            ))
        }
        V::Bool(_) if keyword => {
            return Err(Problem::new(
                "a keyword must be a string or a number, found a boolean",
                "quote the value",
            ))
        }
        V::Bool(b) => Pattern::Bool(b),
        V::Null => Pattern::Null,
        V::Regex { pattern, flags } => Pattern::Regex(regex_for_runtime(&pattern, &flags)?),
        V::Cidr(c) => Pattern::Cidr(c),
        V::Cmp(op, value) => Pattern::Compare { op, value },
        V::Ref { .. } | V::Part(..) if keyword => {
            return Err(Problem::new(
                "this modifier needs a field",
                "write `field|modifier: value`",
            ))
        }
        V::Ref {
            field,
            prefix,
            suffix,
        } => Pattern::FieldRef {
            field,
            mode: match (prefix, suffix) {
                (true, true) => RefMode::Contains,
                (true, false) => RefMode::Prefix,
                (false, true) => RefMode::Suffix,
                (false, false) => RefMode::Eq,
            },
        },
        V::Part(part, value) => Pattern::TimePart { part, value },
    })
}
