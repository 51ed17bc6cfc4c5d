//! Push and reply bodies, XML or JSON: decoding never panics, whatever decodes is written back well-formed and
//! decodes again, and a reply echoing the user's text is well-formed XML and clean JSON.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wxgate_proto::write::is_xml_char;
use wxgate_proto::{Format, Inbound, Reply, ReplyBody, tree};

/// Asserts `xml` is well-formed to a strict parser (one that refuses what XML 1.0 forbids).
fn well_formed(xml: &str) {
    if let Err(e) = roxmltree::Document::parse(xml) {
        panic!("not well-formed ({e}): {xml:?}");
    }
}

/// Asserts `json` parses and none of its strings holds a character XML 1.0 forbids.
fn clean_json(json: &str) {
    let value: serde_json::Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("bad JSON ({e}): {json:?}"));
    let mut stack = vec![&value];
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::String(s) => assert!(s.chars().all(is_xml_char), "{json:?}"),
            serde_json::Value::Array(items) => stack.extend(items),
            serde_json::Value::Object(map) => {
                assert!(map.keys().all(|k| k.chars().all(is_xml_char)), "{json:?}");
                stack.extend(map.values());
            }
            _ => {}
        }
    }
}

fuzz_target!(|body: &[u8]| {
    let _ = Format::sniff(body);
    for format in [Format::Xml, Format::Json] {
        let _ = Reply::decode(body, format);
        if let Ok(fields) = tree::decode(body, format) {
            let xml = wxgate_proto::write::fields_to_xml(&fields);
            well_formed(&xml);
            tree::from_xml(xml.as_bytes()).expect("written fields read back");
            clean_json(&wxgate_proto::write::fields_to_json(&fields));
        }
        let Ok(inbound) = Inbound::decode(body, format) else { continue };
        let xml = inbound.to_xml();
        well_formed(&xml);
        let again = Inbound::from_xml(xml.as_bytes()).expect("a written push decodes");
        // Once written, it is stable.
        assert_eq!(Inbound::from_xml(again.to_xml().as_bytes()).expect("stable").kind, again.kind);
        clean_json(&inbound.to_json());
        Inbound::from_json(inbound.to_json().as_bytes()).expect("a written push decodes from JSON");
        // The echo of whatever the user sent is a reply WeChat can read.
        let content = match &inbound.kind {
            wxgate_proto::InboundKind::Text(text) => text.content.clone(),
            _ => inbound.from_user.clone(),
        };
        let reply = Reply::to(&inbound, 1, ReplyBody::text(format!("echo: {content}")));
        well_formed(&reply.to_xml());
        clean_json(&reply.to_json());
    }
});
