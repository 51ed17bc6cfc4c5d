//! Property tests: the crypto frame round-trips for any message, prefix, key and appid; the field tree survives
//! XML and JSON for any string (CDATA terminators, markup characters, unicode, surrounding or only whitespace);
//! every reply survives encode → decode in both formats; and no input makes a decoder panic.

use proptest::collection::vec;
use proptest::prelude::*;
use wxgate_proto::crypto::{self, AesKey, MessageCrypto, SealedReply};
use wxgate_proto::tree::{self, Fields, Value};
use wxgate_proto::write::{fields_to_json, fields_to_xml};
use wxgate_proto::{Article, Format, Inbound, Music, Reply, ReplyBody};

/// Strings that stress the writers: anything, markup and CDATA terminators, whitespace-only, number-like.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        vec(
            prop_oneof![
                Just("]]>"),
                Just("]]"),
                Just("]"),
                Just("<![CDATA["),
                Just("&"),
                Just("&amp;"),
                Just("<"),
                Just(">"),
                Just("\""),
                Just("'"),
                Just(" "),
                Just("\t"),
                Just("\r\n"),
                Just("\n"),
                Just("汉"),
                Just("😀"),
                Just("\u{FEFF}"),
                Just("x"),
            ],
            0..12
        )
        .prop_map(|parts| parts.concat()),
        "[ \t\r\n]{0,6}",
        "-?[0-9]{1,22}(\\.[0-9]{0,8})?([eE][+-]?[0-9]{1,3})?",
        "[ ]?[0-9]{1,5}[ ]?",
    ]
}

/// Field names: ordinary ones and ones the writer treats as numeric.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Content"),
        Just("MsgId"),
        Just("CreateTime"),
        Just("Location_X"),
        Just("Count"),
        Just("item"),
        Just("bizmsgmenuid"),
        Just("List"),
    ]
    .prop_map(str::to_owned)
}

/// A tree of the shape XML can carry: leaves and non-empty maps, names may repeat.
fn xml_fields() -> impl Strategy<Value = Fields> {
    let leaf = vec((name(), text()), 1..6)
        .prop_map(|entries| entries.into_iter().fold(Fields::new(), |f, (k, v)| f.with_text(k, v)));
    leaf.prop_recursive(3, 24, 4, |inner| {
        vec((name(), prop_oneof![text().prop_map(Value::Text), inner.prop_map(Value::Map)]), 1..5).prop_map(|entries| {
            let mut f = Fields::new();
            for (k, v) in entries {
                f.push(k, v);
            }
            f
        })
    })
}

/// A tree of the shape JSON can carry: unique names per object, lists and empty objects allowed.
fn json_fields() -> impl Strategy<Value = Fields> {
    let value = text().prop_map(Value::Text).prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::List),
            vec((name(), inner), 0..4).prop_map(|entries| Value::Map(unique(entries))),
        ]
    });
    vec((name(), value), 0..8).prop_map(unique)
}

fn unique(entries: Vec<(String, Value)>) -> Fields {
    let mut f = Fields::new();
    for (k, v) in entries {
        if f.get(&k).is_none() {
            f.push(k, v);
        }
    }
    f
}

/// The same fields with every repeated name moved next to its first occurrence (recursively).
fn grouped(fields: &Fields) -> Fields {
    let mut names: Vec<&str> = Vec::new();
    for (name, _) in fields.iter() {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let mut out = Fields::new();
    for name in names {
        for (_, value) in fields.iter().filter(|(n, _)| *n == name) {
            let value = match value {
                Value::Map(m) => Value::Map(grouped(m)),
                other => other.clone(),
            };
            out.push(name.to_owned(), value);
        }
    }
    out
}

fn article() -> impl Strategy<Value = Article> {
    (text(), text(), text(), text()).prop_map(|(title, description, pic_url, url)| Article {
        title,
        description,
        pic_url,
        url,
    })
}

fn reply_body() -> impl Strategy<Value = ReplyBody> {
    let opt = || proptest::option::of(text());
    prop_oneof![
        text().prop_map(|content| ReplyBody::Text { content }),
        text().prop_map(|media_id| ReplyBody::Image { media_id }),
        text().prop_map(|media_id| ReplyBody::Voice { media_id }),
        (text(), opt(), opt()).prop_map(|(media_id, title, description)| ReplyBody::Video {
            media_id,
            title,
            description
        }),
        (opt(), opt(), opt(), opt(), text()).prop_map(|(title, description, music_url, hq_music_url, thumb)| {
            ReplyBody::Music(Music { title, description, music_url, hq_music_url, thumb_media_id: thumb })
        }),
        vec(article(), 0..10).prop_map(|articles| ReplyBody::News { articles }),
        opt().prop_map(|kf_account| ReplyBody::TransferCustomerService { kf_account }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn encrypt_then_decrypt_is_identity(
        message in vec(any::<u8>(), 0..3000),
        app_id in prop_oneof![any::<String>(), "wx[0-9a-f]{16}"],
        key in any::<[u8; 32]>(),
        random in any::<[u8; 16]>(),
    ) {
        let key = AesKey::from_bytes(key);
        let encrypt = crypto::encrypt_with_prefix(&key, &random, &message, &app_id);
        let dec = crypto::decrypt(&key, &encrypt).unwrap();
        prop_assert_eq!(&dec.message, &message);
        prop_assert_eq!(dec.random, random);
        prop_assert_eq!(&dec.receive_id, &app_id);
        dec.check_receive_id(&app_id).unwrap();
        let cipher_len = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &encrypt).unwrap().len();
        prop_assert_eq!(cipher_len % 32, 0);
        prop_assert!(cipher_len > 20 + message.len() + app_id.len());
        // The fresh-prefix path too.
        prop_assert_eq!(crypto::decrypt(&key, &crypto::encrypt(&key, &message, &app_id)).unwrap().message, message);
    }

    #[test]
    fn seal_then_open_reply_is_identity(
        message in vec(any::<u8>(), 0..600),
        token in any::<String>(),
        app_id in "wx[0-9a-f]{16}",
        timestamp in "[0-9]{1,12}",
        nonce in any::<String>(),
    ) {
        let account = MessageCrypto::new(token, Some("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"), app_id).unwrap();
        let sealed = account.seal(&message, &timestamp, &nonce).unwrap();
        prop_assert_eq!(&account.open_reply(&sealed).unwrap(), &message);
        // Through the wire envelopes and back.
        let from_xml = SealedReply::from_fields(&tree::from_xml(sealed.to_xml().as_bytes()).unwrap()).unwrap();
        prop_assert_eq!(&from_xml, &sealed);
        let from_json = SealedReply::from_fields(&tree::from_json(sealed.to_json().as_bytes()).unwrap()).unwrap();
        prop_assert_eq!(&from_json, &sealed);
    }

    #[test]
    fn fields_survive_xml(fields in xml_fields()) {
        let xml = fields_to_xml(&fields);
        prop_assert_eq!(tree::from_xml(xml.as_bytes()).unwrap(), fields, "{}", xml);
    }

    #[test]
    fn fields_survive_json(fields in json_fields()) {
        let json = fields_to_json(&fields);
        prop_assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok(), "{}", json);
        prop_assert_eq!(tree::from_json(json.as_bytes()).unwrap(), fields, "{}", json);
    }

    #[test]
    fn xml_shaped_fields_survive_a_trip_through_json(fields in xml_fields()) {
        // Repeated names become arrays in JSON and repeated elements again in XML. A JSON object cannot interleave
        // names, so `<A/><B/><A/>` comes back as `<A/><A/><B/>` (WeChat's repeated elements are adjacent anyway).
        let via_json = tree::from_json(fields_to_json(&fields).as_bytes()).unwrap();
        let back = fields_to_xml(&via_json);
        prop_assert_eq!(tree::from_xml(back.as_bytes()).unwrap(), grouped(&fields), "{}", back);
    }

    #[test]
    fn replies_survive_xml_and_json(
        body in reply_body(),
        to_user in text(),
        from_user in text(),
        create_time in any::<i64>(),
    ) {
        let reply = Reply { to_user, from_user, create_time, body };
        let xml = reply.to_xml();
        prop_assert_eq!(&Reply::decode(xml.as_bytes(), Format::Xml).unwrap(), &reply, "{}", xml);
        let json = reply.to_json();
        prop_assert_eq!(&Reply::decode(json.as_bytes(), Format::Json).unwrap(), &reply, "{}", json);
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in vec(any::<u8>(), 0..512)) {
        for format in [Format::Xml, Format::Json] {
            let _ = Inbound::decode(&body, format);
            let _ = Reply::decode(&body, format);
        }
        let _ = Format::sniff(&body);
        let key = AesKey::from_bytes([7; 32]);
        let _ = crypto::decrypt(&key, &String::from_utf8_lossy(&body));
        let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &body);
        let _ = crypto::decrypt(&key, &b64);
    }

    #[test]
    fn mutated_pushes_never_panic(pos in any::<prop::sample::Index>(), byte in any::<u8>(), json in any::<bool>()) {
        let mut body = if json {
            br#"{"ToUserName":"gh","FromUserName":"o","CreateTime":1,"MsgType":"event","Event":"pic_weixin","SendPicsInfo":{"Count":2,"PicList":[{"PicMd5Sum":"a"},{"PicMd5Sum":"b"}]}}"#.to_vec()
        } else {
            b"<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>location_select</Event><SendLocationInfo><Location_X><![CDATA[23]]></Location_X><Scale>15</Scale></SendLocationInfo></xml>".to_vec()
        };
        let i = pos.index(body.len());
        body[i] = byte;
        let decoded = Format::sniff(&body).and_then(|format| Inbound::decode(&body, format));
        if let Ok(inbound) = decoded {
            // Whatever decodes re-encodes and decodes again: the same message, or (when the mutation put in a
            // character XML forbids, which the writer drops) one that is then stable.
            let clean = std::str::from_utf8(&body).is_ok_and(|s| wxgate_proto::write::xml_clean(s) == s);
            for again in [
                Inbound::from_xml(inbound.to_xml().as_bytes()).unwrap(),
                Inbound::from_json(inbound.to_json().as_bytes()).unwrap(),
            ] {
                if clean {
                    prop_assert_eq!(&again.kind, &inbound.kind);
                }
                prop_assert_eq!(Inbound::from_xml(again.to_xml().as_bytes()).unwrap().kind, again.kind.clone());
            }
        }
    }
}

#[test]
fn whitespace_only_values_are_written_so_the_reader_keeps_them() {
    // The reader treats whitespace-only *plain* text as indentation (pretty-printed pushes) and reads it as "",
    // but keeps whitespace inside CDATA. The writer puts every string in CDATA, so such values survive.
    let pretty = tree::from_xml(b"<xml>\n  <A>   </A>\n  <B><![CDATA[   ]]></B>\n  <C> x </C>\n</xml>").unwrap();
    assert_eq!((pretty.text("A"), pretty.text("B"), pretty.text("C")), (Some(""), Some("   "), Some(" x ")));
    for value in ["", " ", "\t\r\n", " padded ", "\n12\n"] {
        let fields = Fields::new().with_text("Content", value).with_text("MsgId", value);
        let xml = fields_to_xml(&fields);
        assert_eq!(tree::from_xml(xml.as_bytes()).unwrap(), fields, "{xml}");
    }
    // A numeric field with surrounding whitespace is written as CDATA (not bare) and still parses as a number.
    let padded = Fields::new().with_text("MsgId", " 42 ");
    let xml = fields_to_xml(&padded);
    assert!(xml.contains("<MsgId><![CDATA[ 42 ]]></MsgId>"), "{xml}");
    assert_eq!(tree::from_xml(xml.as_bytes()).unwrap().number::<u64>("MsgId").unwrap(), Some(42));
}
