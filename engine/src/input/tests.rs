//! Tests of the input shapes: each format's events and the bytes each keeps as its original.

use super::*;

fn decode_line(line: &[u8], format: Format) -> Result<Vec<Item<'_>>, InputError> {
    Decoder::new(&crate::fixtures::RULES, false).line(line, format)
}

fn decode_body(body: &[u8]) -> Result<Vec<Item<'_>>, InputError> {
    Decoder::new(&crate::fixtures::RULES, false).body(body)
}

const EV: &str = r#"{"kind":"Event","auditID":"a1","verb":"list"}"#;

fn originals(items: &[Item<'_>]) -> Vec<String> {
    items
        .iter()
        .map(|i| match &i.result {
            Ok(d) => String::from_utf8(d.original.to_vec()).unwrap(),
            Err(e) => format!("ERR {e}"),
        })
        .collect()
}

#[test]
fn raw_line_is_its_own_original() {
    for f in [Format::Auto, Format::Raw] {
        let items = decode_line(EV.as_bytes(), f).unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].item, None);
        assert_eq!(originals(&items), [EV]);
        let d = items[0].result.as_ref().unwrap();
        assert_eq!(d.event.shape(), Shape::Raw);
        assert_eq!(d.source, Source::Audit);
    }
}

#[test]
fn event_list_items_keep_their_bytes() {
    let line = format!(
        r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{EV}, 42 ,{{ "verb" : "get" }}]}}"#
    );
    for f in [Format::Auto, Format::EventList] {
        let items = decode_line(line.as_bytes(), f).unwrap();
        let pos: Vec<_> = items.iter().map(|i| i.item).collect();
        assert_eq!(pos, [Some(1), Some(2), Some(3)]);
        let o = originals(&items);
        assert_eq!(o[0], EV);
        assert!(o[1].starts_with("ERR expected a JSON object"), "{}", o[1]);
        assert_eq!(o[2], r#"{ "verb" : "get" }"#);
    }
    assert!(decode_line(EV.as_bytes(), Format::EventList).is_err());
    assert!(decode_line(br#"{"items":7}"#, Format::EventList).is_err());
    let empty = decode_line(br#"{"kind":"EventList","items":null}"#, Format::Auto).unwrap();
    assert!(empty.is_empty());
}

#[test]
fn aks_string_and_object_logs() {
    let as_string = format!(
        r#"{{"category":"kube-audit","properties":{{"log":{},"pod":"p"}}}}"#,
        serde_json::to_string(EV).unwrap()
    );
    let as_object = format!(r#"{{"category":"kube-audit","properties":{{"log":{EV}}}}}"#);
    for line in [&as_string, &as_object] {
        for f in [Format::Auto, Format::Aks] {
            let items = decode_line(line.as_bytes(), f).unwrap();
            assert_eq!(items.len(), 1);
            assert_eq!(items[0].item, None);
            assert_eq!(originals(&items), [EV]);
        }
    }
    let records =
        format!(r#"{{"records":[{as_string},{{"properties":{{"log":"text"}}}},{as_object}]}}"#);
    for f in [Format::Auto, Format::Aks] {
        let items = decode_line(records.as_bytes(), f).unwrap();
        let pos: Vec<_> = items.iter().map(|i| i.item).collect();
        assert_eq!(pos, [Some(1), Some(2), Some(3)]);
        let o = originals(&items);
        assert_eq!(o[0], EV);
        assert!(o[1].starts_with("ERR AKS record"), "{}", o[1]);
        assert_eq!(o[2], EV);
    }
    assert!(decode_line(EV.as_bytes(), Format::Aks).is_err());
    let bad = decode_line(br#"{"properties":{"log":3}}"#, Format::Aks).unwrap();
    assert!(bad[0].result.is_err());
}

#[test]
fn ecs_documents_are_recognised() {
    let doc = r#"{"@timestamp":"x","kubernetes":{"audit":{"verb":"list"}},"user":{"name":"a"}}"#;
    for f in [Format::Auto, Format::Ecs] {
        let items = decode_line(doc.as_bytes(), f).unwrap();
        let d = items[0].result.as_ref().unwrap();
        assert_eq!(d.event.shape(), Shape::Ecs);
        assert_eq!(originals(&items), [doc]);
    }
    // A raw event that merely mentions kubernetes is raw.
    let raw = r#"{"kubernetes":"x","verb":"list"}"#;
    let items = decode_line(raw.as_bytes(), Format::Auto).unwrap();
    assert_eq!(items[0].result.as_ref().unwrap().event.shape(), Shape::Raw);
}

#[test]
fn json_format_is_other_source() {
    let items = decode_line(br#"{"a":1}"#, Format::Json).unwrap();
    assert_eq!(items[0].result.as_ref().unwrap().source, Source::Other);
}

#[test]
fn bad_lines_say_why() {
    for f in Format::ALL.map(|(_, f)| f) {
        let e = decode_line(b"[1,2]", f).unwrap_err().to_string();
        assert!(e.contains("an array"), "{f:?}: {e}");
        let e = decode_line(b"{\"a\":", f).unwrap_err().to_string();
        assert!(e.contains("invalid JSON"), "{f:?}: {e}");
    }
}

#[test]
fn webhook_bodies() {
    let list = format!("\n{{\"kind\":\"EventList\",\"items\":[{EV},{EV}]}}\n");
    let items = decode_body(list.as_bytes()).unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[1].item, Some(2));
    let single = decode_body(EV.as_bytes()).unwrap();
    assert_eq!(single.len(), 1);
    assert_eq!(single[0].item, Some(1));
    assert_eq!(originals(&single), [EV]);
    assert!(decode_body(b"nope")
        .unwrap_err()
        .to_string()
        .contains("invalid JSON"));
    assert!(decode_body(b"[]")
        .unwrap_err()
        .to_string()
        .contains("an array"));
    assert!(decode_body(br#"{"items":{}}"#).is_err());
}
