//! Field-selective decoding: one pass over a JSON line that keeps exactly the values the
//! compiled rule set reads and skips everything else without building it.
//!
//! The rule set's field names (see the generated `FIELDS` tables) are matched against keys as
//! the scanner goes, under the dotted-key rule of `field.rs`: at each object a key matches a
//! field when it spells the field's remaining name up to a dot (descend) or to its end (a
//! value). Arrays are transparent. Strings borrow from the line unless they hold escapes.
//!
//! The scanner validates the whole line as serde_json would (grammar, escapes, surrogates,
//! nesting depth, trailing characters), so a line is an event on the fast path exactly when it
//! is one for a full parse, with one deliberate exception: a number beyond the f64 range is
//! accepted (as infinity), where serde_json rejects the line; the full parse then falls back
//! to this decoder (see the engine's input layer). The one shape it does not follow, a duplicate key
//! that a rule reads, is reported as [`DecodeError::Fallback`] so the caller uses the full parse.
//!
//! By job: `table.rs` holds the field names and their indexes, `slots.rs` the decoded values
//! of one event, `scan.rs` the scanner's structure (objects, arrays, skipping) and `tokens.rs`
//! its strings and numbers.

mod scan;
mod slots;
mod table;
mod tokens;

pub use slots::{Scalar, Slots};
pub use table::FieldTable;

use scan::Decoder;

/// Why a line was not decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Not valid JSON: the message says why.
    Invalid(String),
    /// Valid so far, but the line is not an object: what it is (`an array`, `null`, ...).
    NotAnObject(&'static str),
    /// Valid, but a key the rules read appears twice in one object: decode with a full parse.
    Fallback,
}

/// Decodes one line into `slots` (which are cleared first). `table.names` must be sorted.
pub fn decode<'a>(
    line: &'a [u8],
    table: &FieldTable,
    slots: &mut Slots<'a>,
) -> Result<(), DecodeError> {
    debug_assert!(
        table.names.windows(2).all(|w| w[0] < w[1]),
        "unsorted table"
    );
    slots.reset(table.names.len());
    let mut d = Decoder {
        s: line,
        i: 0,
        table,
        slots,
        depth: 0,
        duplicate: false,
        wide: false,
    };
    let result = d.root();
    match result {
        // UTF-8 is checked only where the scanner meets a non-ASCII byte; on a bad line whose
        // first fault is bad UTF-8, say so as a full parse would.
        Err(DecodeError::Invalid(_) | DecodeError::NotAnObject(_)) => {
            match std::str::from_utf8(line) {
                Err(e) => Err(DecodeError::Invalid(format!(
                    "invalid UTF-8 at byte {}",
                    e.valid_up_to()
                ))),
                Ok(_) => result,
            }
        }
        Ok(()) if d.duplicate => Err(DecodeError::Fallback),
        other => other,
    }
}
