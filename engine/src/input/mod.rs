//! Input shapes: how one line (or one webhook body) becomes events.
//!
//! Audit events reach a detector in several wrappers (details in
//! `../shared/docs/kubernetes-audit.md`, sections 4 and 5):
//!
//! | format | one line is | events |
//! | --- | --- | --- |
//! | `raw` | an `audit.k8s.io/v1` `Event` (the API server's log backend) | the line |
//! | `ecs` | an ECS document from Elastic's Kubernetes integration | the line, as [`Shape::Ecs`] |
//! | `eventlist` | an `EventList` (a webhook body) | each of `items` |
//! | `aks` | an AKS diagnostic record, or `{"records": [...]}` of them | each `properties.log` |
//! | `json` | any JSON object (not an audit event) | the line |
//! | `auto` | any of the audit shapes, told apart line by line | |
//!
//! `auto` looks at the top-level keys: `kind: "EventList"` is an EventList, a `records` array
//! is a batch of AKS records, a `properties` object holding `log` is an AKS record, a
//! `kubernetes` object holding `audit` is an ECS document, and any other object is a raw event.
//!
//! Each event keeps the bytes it came from ([`Decoded::original`]): the line itself, an item's
//! own bytes inside an EventList, the object inside `properties.log`, or the decoded text of
//! `properties.log` when AKS sent it as a JSON string.

use serde_json::value::RawValue;
use serde_json::Value;
use sigma_runtime::{Event, EventError, FieldTable, LogSource, RuleSet, Shape};
use std::borrow::Cow;
use std::collections::HashMap;

/// The shape of the input lines (`--input-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Tell the audit shapes apart line by line.
    #[default]
    Auto,
    /// Raw `audit.k8s.io/v1` events, one per line.
    Raw,
    /// ECS documents (Elastic's Kubernetes integration), one per line.
    Ecs,
    /// `EventList` bodies, one per line.
    EventList,
    /// AKS diagnostic records, one per line, or `{"records": [...]}` arrays.
    Aks,
    /// Any other JSON objects, one per line; their log source comes from `--logsource`.
    Json,
}

impl Format {
    /// Every format with its command-line name.
    pub const ALL: [(&'static str, Format); 6] = [
        ("auto", Format::Auto),
        ("raw", Format::Raw),
        ("ecs", Format::Ecs),
        ("eventlist", Format::EventList),
        ("aks", Format::Aks),
        ("json", Format::Json),
    ];

    /// Parses a command-line name.
    pub fn parse(name: &str) -> Option<Format> {
        Format::ALL
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|&(_, f)| f)
    }
}

/// The log source of every audit format: `product: kubernetes, category: application,
/// service: audit`.
pub const AUDIT_LOGSOURCE: LogSource = LogSource {
    product: "kubernetes",
    category: "application",
    service: "audit",
};

/// What kind of source an event came from, which decides the rules that run on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Kubernetes audit events (raw, ECS, EventList, AKS): [`AUDIT_LOGSOURCE`].
    Audit,
    /// Other JSON (`--input-format json`): the log source given on the command line.
    Other,
}

/// One event decoded from an input.
#[derive(Debug)]
pub struct Decoded<'a> {
    /// The event, with its shape.
    pub event: Event<'a>,
    /// The bytes the event was decoded from (embedded in alerts as they are).
    pub original: Cow<'a, [u8]>,
    /// Which rules apply.
    pub source: Source,
}

/// One event of a line or body, or why that item is not one.
#[derive(Debug)]
pub struct Item<'a> {
    /// The 1-based position inside a container (EventList `items`, AKS `records`), or `None`
    /// when the line is the event itself (or its only wrapper).
    pub item: Option<u64>,
    /// The event, or why it is bad.
    pub result: Result<Decoded<'a>, InputError>,
}

impl<'a> Item<'a> {
    fn single(result: Result<Decoded<'a>, InputError>) -> Vec<Item<'a>> {
        vec![Item { item: None, result }]
    }
}

/// Why a line, a body or one item of them is not an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// Not JSON, or not an object.
    #[error(transparent)]
    Event(#[from] EventError),
    /// `--input-format eventlist`, and the line has no `items`.
    #[error("expected an EventList (an object with `items`)")]
    NotAnEventList,
    /// `--input-format aks`, and the line is neither a record nor `records`.
    #[error("expected an AKS diagnostic record (`properties.log`) or `records`")]
    NotAksRecords,
    /// A container key (`items`, `records`) that does not hold an array.
    #[error("`{0}` is not an array")]
    NotAnArray(&'static str),
    /// An AKS record lacks `properties` or `properties.log`.
    #[error("AKS record without `{0}`")]
    AksMissing(&'static str),
    /// An AKS record's `properties` is not an object.
    #[error("AKS record: `properties` is not an object")]
    AksProperties,
    /// An AKS record's `properties.log` string is not a valid JSON string.
    #[error("AKS record: `properties.log`: {0}")]
    AksLogText(String),
    /// An AKS record's `properties.log` string holds no event.
    #[error("AKS record: `properties.log` holds no event: {0}")]
    AksLogEvent(EventError),
    /// An AKS record's `properties.log` is neither a string nor an object.
    #[error("AKS record: `properties.log` is neither a JSON string nor an object")]
    AksLogKind,
}

/// How events are decoded from their bytes: selectively, keeping only the fields of the rule
/// set's tables (the fast path), or fully into a JSON tree (the slow reference path that
/// tests compare the fast one with, `detect scan --reference`).
#[derive(Debug, Clone, Copy)]
pub struct Decoder {
    raw: &'static FieldTable,
    ecs: &'static FieldTable,
    full_parse: bool,
}

impl Decoder {
    /// Decodes selectively by `set`'s field tables, or fully with `full_parse`.
    pub fn new(set: &'static RuleSet, full_parse: bool) -> Decoder {
        Decoder::with_tables(set.fields_raw, set.fields_ecs, full_parse)
    }

    /// Decodes selectively by the given field tables (raw events, ECS documents), or fully
    /// with `full_parse`.
    pub fn with_tables(
        raw: &'static FieldTable,
        ecs: &'static FieldTable,
        full_parse: bool,
    ) -> Decoder {
        Decoder {
            raw,
            ecs,
            full_parse,
        }
    }

    /// Decodes one line (already stripped of surrounding whitespace) in `format`.
    ///
    /// `Err` means the whole line is bad (not JSON, not an object, not the declared wrapper);
    /// otherwise every item carries its own result, so one bad item in an EventList does not
    /// lose the others.
    pub fn line<'a>(&self, line: &'a [u8], format: Format) -> Result<Vec<Item<'a>>, InputError> {
        match format {
            Format::Raw => Ok(Item::single(Ok(self.plain(
                line,
                Shape::Raw,
                Source::Audit,
            )?))),
            Format::Ecs => Ok(Item::single(Ok(self.plain(
                line,
                Shape::Ecs,
                Source::Audit,
            )?))),
            Format::Json => Ok(Item::single(Ok(self.plain(
                line,
                Shape::Raw,
                Source::Other,
            )?))),
            Format::EventList => {
                let top = top_level(line)?;
                if !top.contains_key("items") {
                    return Err(InputError::NotAnEventList);
                }
                self.event_list(&top)
            }
            Format::Aks => {
                let top = top_level(line)?;
                if top.contains_key("records") {
                    self.aks_records(&top)
                } else if top.contains_key("properties") {
                    Ok(Item::single(self.aks_record(&top)))
                } else {
                    Err(InputError::NotAksRecords)
                }
            }
            Format::Auto => {
                // A raw event (no wrapper key decoded) needs no full parse.
                if let Some(single) = self.single(line, format) {
                    return Ok(Item::single(Ok(single?)));
                }
                let value = parse_json(line)?;
                match sniff(&value) {
                    Sniffed::EventList => self.event_list(&top_level(line)?),
                    Sniffed::AksRecords => self.aks_records(&top_level(line)?),
                    Sniffed::AksRecord => Ok(Item::single(self.aks_record(&top_level(line)?))),
                    Sniffed::Ecs => Ok(Item::single(Ok(decoded(
                        value,
                        line,
                        Shape::Ecs,
                        Source::Audit,
                    )?))),
                    Sniffed::Raw => Ok(Item::single(Ok(decoded(
                        value,
                        line,
                        Shape::Raw,
                        Source::Audit,
                    )?))),
                }
            }
        }
    }

    /// The fast case of [`Decoder::line`]: a line that is one event on its own (raw, ECS,
    /// other JSON, or `auto` with no wrapper key in sight), decoded without building a list.
    /// `None` when the line needs [`Decoder::line`].
    pub fn single<'a>(
        &self,
        line: &'a [u8],
        format: Format,
    ) -> Option<Result<Decoded<'a>, InputError>> {
        let (shape, source) = match format {
            Format::Raw => (Shape::Raw, Source::Audit),
            Format::Ecs => (Shape::Ecs, Source::Audit),
            Format::Json => (Shape::Raw, Source::Other),
            Format::Auto if !self.full_parse => {
                let decoded = self.plain(line, Shape::Raw, Source::Audit);
                return match &decoded {
                    Ok(d) if may_be_wrapped(&d.event) => None,
                    // A line that is not a JSON object is as bad in every shape.
                    _ => Some(decoded),
                };
            }
            _ => return None,
        };
        Some(self.plain(line, shape, source))
    }

    /// Decodes a webhook body: an `EventList` (its items numbered from 1), or a single `Event`
    /// (item 1). `Err` is the reason for a 400 answer.
    pub fn body<'a>(&self, body: &'a [u8]) -> Result<Vec<Item<'a>>, InputError> {
        let body = trim_json_whitespace(body);
        let top = top_level(body)?;
        if top.contains_key("items") {
            return self.event_list(&top);
        }
        let decoded = self.plain(body, Shape::Raw, Source::Audit)?;
        Ok(vec![Item {
            item: Some(1),
            result: Ok(decoded),
        }])
    }

    /// One event on its own line: decoded selectively (only the fields the rules read), or
    /// fully on the reference path.
    fn plain<'a>(
        &self,
        line: &'a [u8],
        shape: Shape,
        source: Source,
    ) -> Result<Decoded<'a>, InputError> {
        let table = match shape {
            Shape::Raw => self.raw,
            Shape::Ecs => self.ecs,
        };
        let event = if self.full_parse {
            // serde_json rejects numbers beyond f64, which the decoder keeps (see its docs),
            // and that is the only line it rejects where the decoder accepts one: for those
            // lines the reference path decodes too.
            Event::parse_bytes_as(line, shape)
                .or_else(|e| Event::decode(line, shape, table).map_err(|_| e))
        } else {
            Event::decode(line, shape, table)
        }?;
        Ok(Decoded {
            event,
            original: Cow::Borrowed(line),
            source,
        })
    }

    fn event_list<'a>(&self, top: &Object<'a>) -> Result<Vec<Item<'a>>, InputError> {
        let items = match top.get("items") {
            Some(raw) => array(raw, "items")?,
            None => Vec::new(),
        };
        Ok(items
            .into_iter()
            .enumerate()
            .map(|(i, raw)| Item {
                item: Some(i as u64 + 1),
                result: self.plain(raw_bytes(raw), Shape::Raw, Source::Audit),
            })
            .collect())
    }

    fn aks_records<'a>(&self, top: &Object<'a>) -> Result<Vec<Item<'a>>, InputError> {
        let records = match top.get("records") {
            Some(raw) => array(raw, "records")?,
            None => Vec::new(),
        };
        Ok(records
            .into_iter()
            .enumerate()
            .map(|(i, raw)| Item {
                item: Some(i as u64 + 1),
                result: top_level(raw_bytes(raw)).and_then(|record| self.aks_record(&record)),
            })
            .collect())
    }

    /// Unwraps `properties.log` of one AKS record: a JSON string holding the event, or the
    /// event as an object.
    fn aks_record<'a>(&self, record: &Object<'a>) -> Result<Decoded<'a>, InputError> {
        let properties = record
            .get("properties")
            .ok_or(InputError::AksMissing("properties"))?;
        let properties: Object<'a> =
            serde_json::from_str(properties.get()).map_err(|_| InputError::AksProperties)?;
        let log = properties
            .get("log")
            .ok_or(InputError::AksMissing("properties.log"))?;
        match log.get().as_bytes().first() {
            Some(b'"') => {
                let text: String = serde_json::from_str(log.get())
                    .map_err(|e| InputError::AksLogText(e.to_string()))?;
                let event =
                    Event::parse_bytes_as(trim_json_whitespace(text.as_bytes()), Shape::Raw)
                        .map_err(InputError::AksLogEvent)?;
                let trimmed = trim_json_whitespace(text.as_bytes());
                let original = if trimmed.len() == text.len() {
                    text.into_bytes()
                } else {
                    trimmed.to_vec()
                };
                Ok(Decoded {
                    event,
                    original: Cow::Owned(original),
                    source: Source::Audit,
                })
            }
            Some(b'{') => self.plain(raw_bytes(log), Shape::Raw, Source::Audit),
            _ => Err(InputError::AksLogKind),
        }
    }
}

/// Strips the whitespace JSON allows around a value (space, tab, CR, LF) and nothing else.
pub fn trim_json_whitespace(mut line: &[u8]) -> &[u8] {
    let ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    while let [first, rest @ ..] = line {
        if !ws(first) {
            break;
        }
        line = rest;
    }
    while let [rest @ .., last] = line {
        if !ws(last) {
            break;
        }
        line = rest;
    }
    line
}

/// True when a raw-decoded event may be a wrapper that `auto` must unwrap: `kind` is
/// `EventList`, or `records`, `properties.log` or `kubernetes.audit` is present (the generator
/// puts these keys in the decoder's table). Then the line takes the full sniffing path.
fn may_be_wrapped(event: &Event<'_>) -> bool {
    use sigma_runtime::FieldPath;
    event.any_text(FieldPath::new("kind"), |v| v == "EventList")
        || ["records", "properties.log", "kubernetes.audit"]
            .iter()
            .any(|f| event.exists(FieldPath::new(f)))
}

enum Sniffed {
    Raw,
    Ecs,
    EventList,
    AksRecord,
    AksRecords,
}

fn sniff(value: &Value) -> Sniffed {
    let Value::Object(map) = value else {
        return Sniffed::Raw; // not an object: `decoded` reports it
    };
    if map.get("kind").and_then(Value::as_str) == Some("EventList") {
        return Sniffed::EventList;
    }
    if map.get("records").is_some_and(Value::is_array) {
        return Sniffed::AksRecords;
    }
    if map
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| p.contains_key("log"))
    {
        return Sniffed::AksRecord;
    }
    if map
        .get("kubernetes")
        .and_then(Value::as_object)
        .is_some_and(|k| k.get("audit").is_some_and(Value::is_object))
    {
        return Sniffed::Ecs;
    }
    Sniffed::Raw
}

fn parse_json(bytes: &[u8]) -> Result<Value, EventError> {
    serde_json::from_slice(bytes).map_err(|e| EventError::Json(e.to_string()))
}

fn decoded(
    value: Value,
    line: &[u8],
    shape: Shape,
    source: Source,
) -> Result<Decoded<'_>, InputError> {
    let event = Event::from_value_as(value, shape)?;
    Ok(Decoded {
        event,
        original: Cow::Borrowed(line),
        source,
    })
}

type Object<'a> = HashMap<String, &'a RawValue>;

/// The top-level keys of an object, each value kept as its bytes.
fn top_level(bytes: &[u8]) -> Result<Object<'_>, InputError> {
    match serde_json::from_slice::<Object<'_>>(bytes) {
        Ok(map) => Ok(map),
        Err(e) => {
            // Say what it is when it is valid JSON but not an object.
            let value = parse_json(bytes)?;
            Err(match Event::from_value_as(value, Shape::Raw) {
                Err(not_an_object) => not_an_object,
                Ok(_) => EventError::Json(e.to_string()),
            }
            .into())
        }
    }
}

fn raw_bytes(raw: &RawValue) -> &[u8] {
    raw.get().as_bytes()
}

/// The elements of a JSON array given as bytes; `null` is an empty array.
fn array<'a>(raw: &'a RawValue, what: &'static str) -> Result<Vec<&'a RawValue>, InputError> {
    if raw.get() == "null" {
        return Ok(Vec::new());
    }
    serde_json::from_str(raw.get()).map_err(|_| InputError::NotAnArray(what))
}

#[cfg(test)]
mod tests;
