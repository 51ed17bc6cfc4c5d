//! What the fuzz targets (`fuzz/`) found, kept as tests: each input as the fuzzer wrote it, and the property it
//! broke.

use wxgate_proto::text::markdown_to_text;
use wxgate_proto::write::{fields_to_xml, is_xml_char, is_xml_name};
use wxgate_proto::{Format, Inbound, tree};

/// `decode`: a JSON push whose keys are not all XML names (here `CreateTime2:170y`, which a namespace-aware
/// parser reads as an unbound prefix) was written to XML as it was — the form the outbox stores a push in — and
/// the document was not well-formed.
#[test]
fn json_keys_that_are_not_xml_names_are_left_out_of_xml() {
    let body = br#"{"ToUserName":"gh_0123456789ab","_romUserName":"oUserOpenId0000000000000002","CreateTime":1700000240,"MsgType":"event","Event":"CLh_0123456789ab","FromUserName":"oUserOpenId0000000000000002","CreateTime2:170y":"MENU_TODAY_SONGICK","EventKey":"MENU_TODAY_SONG","MenuId":"208396937"}"#;
    let inbound = Inbound::decode(body, Format::Json).unwrap();
    let xml = inbound.to_xml();
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    assert!(doc.root_element().children().all(|n| !n.has_tag_name("CreateTime2:170y")));
    assert_eq!(Inbound::from_xml(xml.as_bytes()).unwrap().kind, inbound.kind);
    // The other keys that are JSON but not XML names.
    for key in ["a:b", "1st", "a b", "x><y", "", "\u{aa}", "a\u{b2}"] {
        assert!(!is_xml_name(key), "{key:?}");
        let fields = tree::from_json(format!("{{{:?}:\"v\",\"Kept\":\"k\"}}", key).as_bytes()).unwrap();
        let xml = fields_to_xml(&fields);
        roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{key:?}: {e}: {xml}"));
        assert_eq!(tree::from_xml(xml.as_bytes()).unwrap().text("Kept"), Some("k"));
    }
    for key in ["ToUserName", "Location_X", "item", "中文", "a-b.c", "_x"] {
        assert!(is_xml_name(key), "{key:?}");
    }
}

/// `markdown`: a character reference (`&#4;`) brought a character XML 1.0 forbids into the plain text.
#[test]
fn character_references_cannot_bring_in_forbidden_characters() {
    let markdown = "| a | b |\n|---|---|\n| 1 | 2 |\n\n--</b> &amp; &#4xf6<b> 2 |\n\n--</b> &amp; &#4;\n";
    let text = markdown_to_text(markdown);
    assert!(text.chars().all(is_xml_char), "{text:?}");
    assert!(text.ends_with("--</b> &"), "{text:?}");
}

/// `decode`: a push repeating its fields (two `<ToUserName>`…) decoded from XML (the first of each wins), but the
/// JSON written from it — where the repeats become an array — did not decode: an array was no text.
#[test]
fn repeated_fields_read_alike_in_xml_and_json() {
    let xml = b"<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>\
                <MsgType>location</MsgType><ToUserName>gh_2</ToUserName><FromUserName>o2</FromUserName></xml>";
    let inbound = Inbound::from_xml(xml).unwrap();
    let json = inbound.to_json();
    assert!(json.contains(r#""ToUserName":["gh_1","gh_2"]"#), "{json}");
    let again = Inbound::from_json(json.as_bytes()).unwrap();
    assert_eq!((again.to_user.as_str(), again.from_user.as_str()), ("gh_1", "o1"));
    assert_eq!(again.kind, inbound.kind);
}

/// `decode`: an event name with NULs inside (`LO\0…\0CATION`) was an unknown event; written to its stored form
/// without the NULs it read back as a `LOCATION` event whose malformed `Precision` failed to decode. The field
/// tree now drops those characters as it reads, so the push means the same before and after it is stored.
#[test]
fn forbidden_characters_are_dropped_before_a_push_is_understood() {
    let body = format!(
        "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName>\
         <CreateTime>1700000230</CreateTime><MsgType><![CDATA[event]]></MsgType>\
         <Event><![CDATA[LO{}CATION]]></Event><Latitude>23.1</Latitude><Longitude>113.3</Longitude>\
         <Precision>1z19.3</Precision></xml>",
        "\0".repeat(60)
    );
    // Read as the event it spells once cleaned: a location report whose precision is malformed.
    assert!(Inbound::from_xml(body.as_bytes()).is_err());
    let fine = body.replace("1z19.3", "119.3");
    let inbound = Inbound::from_xml(fine.as_bytes()).unwrap();
    assert_eq!(Inbound::from_xml(inbound.to_xml().as_bytes()).unwrap().kind, inbound.kind);
    let json = br#"{"ToUserName":"gh_1","FromUserName":"o\u0001\u0000","CreateTime":1,"MsgType":"text","Content":"a\u000bb","MsgId":1}"#;
    let inbound = Inbound::from_json(json).unwrap();
    assert_eq!(inbound.from_user, "o");
    assert!(matches!(&inbound.kind, wxgate_proto::InboundKind::Text(t) if t.content == "ab"));
}
