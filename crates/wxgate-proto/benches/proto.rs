//! Micro-benchmarks of the protocol core: the pieces of the callback path that run for every push.
//!
//! Decode (XML, JSON, a large event; the XML ones beside quick-xml reading the same body's events and nothing more,
//! the parser's own floor), encrypt and decrypt one frame, the whole safe-mode inbound path
//! (`MessageCrypto::open` + decode), reply encoding, the safe-mode reply path (encode + `seal` + envelope), and
//! the signed query of a safe-mode push.
//! Read the figures as ratios on one machine; no test asserts on them.

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use wxgate_proto::crypto::{self, AesKey, EncryptedEnvelope, MessageCrypto};
use wxgate_proto::query::SignedQuery;
use wxgate_proto::{Article, Format, Inbound, Reply, ReplyBody};

const TOKEN: &str = "spamtest";
const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const APPID: &str = "wx2c2769f8efd9abc2";
const TEXT_XML: &[u8] = include_bytes!("../tests/fixtures/xml/text.xml");
const TEXT_JSON: &[u8] = include_bytes!("../tests/fixtures/json/text.json");
const MASS_XML: &[u8] = include_bytes!("../tests/fixtures/xml/event_masssendjobfinish.xml");
const MASS_JSON: &[u8] = include_bytes!("../tests/fixtures/json/event_masssendjobfinish.json");

fn decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    for (name, body, format) in [
        ("xml_text", TEXT_XML, Format::Xml),
        ("json_text", TEXT_JSON, Format::Json),
        ("xml_masssendjobfinish", MASS_XML, Format::Xml),
        ("json_masssendjobfinish", MASS_JSON, Format::Json),
    ] {
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_function(name, |b| b.iter(|| Inbound::decode(black_box(body), format).unwrap()));
    }
    // The parser's own floor for the XML ones: every event read (with the end-name check, as decoding does) and
    // dropped, nothing decoded or kept. `decode/xml_text` over this is what the field tree and the typed model cost.
    for (name, body) in [("xml_text_events_only", TEXT_XML), ("xml_masssendjobfinish_events_only", MASS_XML)] {
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_function(name, |b| b.iter(|| xml_events(black_box(body))));
    }
    g.finish();
}

/// Reads every event of an XML body with quick-xml and returns how many there were.
fn xml_events(body: &[u8]) -> usize {
    let mut reader = quick_xml::Reader::from_str(std::str::from_utf8(body).expect("UTF-8 fixture"));
    reader.config_mut().check_end_names = true;
    let mut events = 0;
    loop {
        match reader.read_event().expect("well-formed fixture") {
            quick_xml::events::Event::Eof => return events,
            _ => events += 1,
        }
    }
}

fn cipher(c: &mut Criterion) {
    let key = AesKey::from_encoding_aes_key(KEY).unwrap();
    let encrypted = crypto::encrypt(&key, TEXT_XML, APPID);
    let mut g = c.benchmark_group("crypto");
    g.throughput(Throughput::Bytes(TEXT_XML.len() as u64));
    g.bench_function("encrypt", |b| b.iter(|| crypto::encrypt(&key, black_box(TEXT_XML), APPID)));
    g.bench_function("decrypt", |b| b.iter(|| crypto::decrypt(&key, black_box(&encrypted)).unwrap()));
    g.finish();
}

fn safe_mode_inbound(c: &mut Criterion) {
    let account = MessageCrypto::new(TOKEN, Some(KEY), APPID).unwrap();
    let sealed = account.seal(TEXT_XML, "1409735669", "1320562132").unwrap();
    let body = format!(
        "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><Encrypt><![CDATA[{}]]></Encrypt></xml>",
        sealed.encrypt
    );
    c.bench_function("safe_mode/open_and_decode", |b| {
        b.iter(|| {
            let outer = wxgate_proto::tree::from_xml(black_box(body.as_bytes())).unwrap();
            let inner = account
                .open(EncryptedEnvelope {
                    encrypt: outer.text("Encrypt").unwrap(),
                    timestamp: "1409735669",
                    nonce: "1320562132",
                    msg_signature: &sealed.msg_signature,
                })
                .unwrap();
            Inbound::decode(&inner, Format::Xml).unwrap()
        })
    });
}

fn replies(c: &mut Criterion) {
    let text = Reply {
        to_user: "oUserOpenId0000000000000001".into(),
        from_user: "gh_0123456789ab".into(),
        create_time: 1700000001,
        body: ReplyBody::text("订单 42 已发货，预计明天送达。"),
    };
    let article = |i: usize| Article {
        title: format!("第{i}条"),
        description: "点击查看详情".into(),
        pic_url: format!("https://example.com/pic/{i}.jpg"),
        url: format!("https://example.com/post/{i}"),
    };
    let news = Reply { body: ReplyBody::News { articles: (1..=8).map(article).collect() }, ..text.clone() };
    let mut g = c.benchmark_group("reply");
    g.bench_function("text_xml", |b| b.iter(|| black_box(&text).to_xml()));
    g.bench_function("text_json", |b| b.iter(|| black_box(&text).to_json()));
    g.bench_function("news8_xml", |b| b.iter(|| black_box(&news).to_xml()));
    g.bench_function("news8_json", |b| b.iter(|| black_box(&news).to_json()));
    g.finish();

    let account = MessageCrypto::new(TOKEN, Some(KEY), APPID).unwrap();
    c.bench_function("safe_mode/encode_and_seal", |b| {
        b.iter(|| account.seal(black_box(&text).to_xml().as_bytes(), "1409735669", "1320562132").unwrap().to_xml())
    });
}

fn query(c: &mut Criterion) {
    // The query WeChat sends with a safe-mode push, parameters in its order.
    const QUERY: &str = "signature=5c1a3c9d0e8b6f2a47d1e0c9b8a7f6e5d4c3b2a1&timestamp=1409735669&nonce=1320562132\
                         &openid=oUserOpenId0000000000000001&encrypt_type=aes\
                         &msg_signature=0a1b2c3d4e5f60718293a4b5c6d7e8f901234567";
    c.bench_function("query/parse", |b| b.iter(|| SignedQuery::parse(Some(black_box(QUERY)))));
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    query(&mut c);
    decode(&mut c);
    cipher(&mut c);
    safe_mode_inbound(&mut c);
    replies(&mut c);
    c.final_summary();
}
