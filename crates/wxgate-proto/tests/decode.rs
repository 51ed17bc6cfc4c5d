//! Every ordinary message and event WeChat pushes (接收普通消息, 接收事件推送, the msgmenu tap), as XML and as
//! JSON fixtures, decoded into the typed model with every typed field checked; unknown types and fields kept raw;
//! and `to_xml` / `to_json` decoding back to the same `Inbound` (exactly in the same format, field for field in the
//! other). The two formats differ in one place, as WeChat sends them: JSON push mode carries the subscribe-message
//! `List` at the top level, XML inside a wrapper element; both decode to the same entries.

use std::path::PathBuf;

use serde_json::{Value as Json, json};
use wxgate_proto::inbound::{
    Event, KfSwitch, Link, Location, MassSendJob, MediaCheck, MiniProgramPage, PicInfo, PublishJob, ScanCode,
    SelectedLocation, SubscribeMsg, Text, Video, Voice,
};
use wxgate_proto::tree::{Fields, Value};
use wxgate_proto::{Format, Inbound, InboundKind};

const OA: &str = "gh_0123456789ab";
const MP: &str = "gh_miniprogram01";
const USER1: &str = "oUserOpenId0000000000000001";
const USER2: &str = "oUserOpenId0000000000000002";
const USER5: &str = "oUserOpenId0000000000000005";
const USER6: &str = "oUserOpenId0000000000000006";
const MP_USER: &str = "oMpUserOpenId000000000000001";
const TICKET: &str = "gQFx7zwAAAAAAAAAAS5odHRwOi8vd2VpeGluLnFxLmNvbS9xL2V4YW1wbGVUaWNrZXQAAgQA";
const TPL1: &str = "VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc";
const TPL2: &str = "9nLIlbOQZC5Y89AZteFEux3WCXRRRG5Wfzkpssu4bLI";
const CARD_OA: &str = "gh_fc0a06a20993";
const CARD_USER: &str = "oZI8Fj040-be6rlDohc6gkoPOQTQ";

/// What one fixture must decode to, in both formats.
struct Case {
    name: &'static str,
    to: &'static str,
    from: &'static str,
    time: i64,
    msg_type: &'static str,
    msg_id: Option<u64>,
    kind: InboundKind,
    /// The XML wrapper element whose `List` the JSON fixture carries at the top level instead.
    json_list_at_top: Option<&'static str>,
}

fn case(name: &'static str, from: &'static str, time: i64, msg_type: &'static str, kind: InboundKind) -> Case {
    Case { name, to: OA, from, time, msg_type, msg_id: None, kind, json_list_at_top: None }
}

fn event(name: &'static str, from: &'static str, time: i64, ev: Event) -> Case {
    case(name, from, time, "event", InboundKind::Event(ev))
}

impl Case {
    fn id(mut self, id: u64) -> Self {
        self.msg_id = Some(id);
        self
    }

    fn to(mut self, to: &'static str) -> Self {
        self.to = to;
        self
    }

    fn json_list_at_top(mut self, wrapper: &'static str) -> Self {
        self.json_list_at_top = Some(wrapper);
        self
    }
}

fn s(v: &str) -> String {
    v.to_owned()
}

fn some(v: &str) -> Option<String> {
    Some(v.to_owned())
}

fn text(content: &str) -> Text {
    Text { content: s(content), biz_msg_menu_id: None, msg_data_id: None, idx: None }
}

fn scan(key: &str, scan_type: &str, result: &str) -> ScanCode {
    ScanCode { event_key: s(key), scan_type: s(scan_type), scan_result: s(result) }
}

fn pics(key: &str, count: u32, sums: &[&str]) -> PicInfo {
    PicInfo { event_key: s(key), count, md5_sums: sums.iter().map(|m| s(m)).collect() }
}

fn popup(template: &str, status: &str) -> SubscribeMsg {
    SubscribeMsg {
        template_id: s(template),
        status: some(status),
        popup_scene: some("2"),
        msg_id: None,
        error_code: None,
        error_status: None,
    }
}

fn sent(template: &str) -> SubscribeMsg {
    SubscribeMsg {
        template_id: s(template),
        status: None,
        popup_scene: None,
        msg_id: some("1700827132819554304"),
        error_code: some("0"),
        error_status: some("success"),
    }
}

fn cases() -> Vec<Case> {
    use InboundKind as K;
    vec![
        case("text", USER1, 1700000000, "text", K::Text(text("查询订单 42 😀👍🏽 \"quoted\" & <tag> done")))
            .id(24301234567890123),
        case(
            "text_msgmenu",
            "oUserOpenId0000000000000003",
            1700000500,
            "text",
            K::Text(Text { biz_msg_menu_id: some("101"), ..text("满意") }),
        )
        .id(24301234567890199),
        case(
            "text_article",
            USER1,
            1700000010,
            "text",
            K::Text(Text { msg_data_id: some("2247483658"), idx: some("2"), ..text("写得好") }),
        )
        .id(24301234567890130),
        case("text_msgid_big", "oyORnuP8q7ou2gfYjqLzSIWZf0rs", 1409735668, "text", K::Text(text("abcdteT")))
            .to("gh_10f6c3c3ac5a")
            .id(6054768590064713728),
        case("text_msgid_max", USER1, 1700000020, "text", K::Text(text("max"))).id(u64::MAX),
        case("text_extra_fields", USER1, 1700000030, "text", K::Text(text("hi"))).id(24301234567890131),
        case(
            "image",
            USER1,
            1700000040,
            "image",
            K::Image { pic_url: some("http://mmbiz.qpic.cn/mmbiz_jpg/abc/0"), media_id: s("ImageMediaAbc123") },
        )
        .id(24301234567890132),
        case(
            "voice",
            USER1,
            1700000060,
            "voice",
            K::Voice(Voice {
                media_id: s("VoiceMedia8kAbc123"),
                format: some("amr"),
                recognition: some("明天天气怎么样"),
                media_id_16k: some("VoiceMedia16kAbc123"),
            }),
        )
        .id(24301234567890124),
        case(
            "voice_empty_recognition",
            USER1,
            1700000060,
            "voice",
            K::Voice(Voice {
                media_id: s("VoiceMedia8kAbc123"),
                format: some("speex"),
                recognition: None,
                media_id_16k: some("VoiceMedia16kAbc123"),
            }),
        )
        .id(24301234567890124),
        case(
            "video",
            USER1,
            1700000070,
            "video",
            K::Video(Video { media_id: s("VideoMediaAbc"), thumb_media_id: some("VideoThumbAbc") }),
        )
        .id(24301234567890133),
        case(
            "shortvideo",
            USER1,
            1700000080,
            "shortvideo",
            K::ShortVideo(Video { media_id: s("ShortVideoMediaAbc"), thumb_media_id: some("ShortVideoThumbAbc") }),
        )
        .id(24301234567890134),
        case(
            "location",
            USER1,
            1700000120,
            "location",
            K::Location(Location {
                latitude: 31.230416,
                longitude: 121.473701,
                scale: Some(16.0),
                label: some("上海市黄浦区人民广场"),
            }),
        )
        .id(24301234567890125),
        case(
            "link",
            USER1,
            1700000130,
            "link",
            K::Link(Link {
                title: s("公众号文章"),
                description: some("一篇值得读的文章"),
                url: s("https://mp.weixin.qq.com/s?__biz=MzA&mid=1&idx=1&sn=abc"),
            }),
        )
        .id(24301234567890135),
        case(
            "miniprogrampage",
            USER1,
            1700000140,
            "miniprogrampage",
            K::MiniProgramPage(MiniProgramPage {
                title: s("商品详情"),
                app_id: some("wx0123456789abcdef"),
                page_path: some("pages/item/index?id=9"),
                thumb_url: some("https://example.com/thumb.jpg"),
                thumb_media_id: some("MiniThumbAbc"),
            }),
        )
        .id(24301234567890136),
        event("event_subscribe", USER2, 1700000190, Event::Subscribe { event_key: None, ticket: None }),
        event(
            "event_subscribe_qrscene",
            USER2,
            1700000200,
            Event::Subscribe { event_key: some("qrscene_promo2024"), ticket: some(TICKET) },
        ),
        event("event_unsubscribe", USER2, 1700000210, Event::Unsubscribe),
        event("event_scan", USER2, 1700000220, Event::Scan { event_key: s("123123"), ticket: some(TICKET) }),
        event(
            "event_location",
            USER2,
            1700000230,
            Event::Location { latitude: 23.137466, longitude: 113.352425, precision: Some(119.38504) },
        ),
        event(
            "event_click",
            USER2,
            1700000240,
            Event::Click { event_key: s("MENU_TODAY_SONG"), menu_id: some("208396938") },
        ),
        event(
            "event_view",
            USER2,
            1700000250,
            Event::View { url: s("https://example.com/shop?a=1&b=2"), menu_id: some("208396939") },
        ),
        event(
            "event_view_miniprogram",
            USER2,
            1700000260,
            Event::ViewMiniProgram { page_path: s("pages/index/index"), menu_id: some("208396940") },
        ),
        event(
            "event_scancode_push",
            USER2,
            1700000290,
            Event::ScanCodePush(scan("MENU_SCAN_PUSH", "barcode", "EAN_13,6901234567892")),
        ),
        event(
            "event_scancode_waitmsg",
            USER2,
            1700000300,
            Event::ScanCodeWaitMsg(scan("MENU_SCAN", "qrcode", "https://example.com/item/9")),
        ),
        event(
            "event_pic_sysphoto",
            USER2,
            1700000310,
            Event::PicSysPhoto(pics("MENU_PHOTO", 1, &["1b5f7c23b5bf75682a53e7b6d163e185"])),
        ),
        event(
            "event_pic_photo_or_album",
            USER2,
            1700000320,
            Event::PicPhotoOrAlbum(pics("MENU_ALBUM", 1, &["5a75aaca956d97be686719218f275c6b"])),
        ),
        event(
            "event_pic_weixin",
            USER2,
            1700000330,
            Event::PicWeixin(pics(
                "MENU_WX_ALBUM",
                3,
                &[
                    "aaaa0000aaaa0000aaaa0000aaaa0000",
                    "bbbb1111bbbb1111bbbb1111bbbb1111",
                    "cccc2222cccc2222cccc2222cccc2222",
                ],
            )),
        ),
        event(
            "event_location_select",
            USER2,
            1700000340,
            Event::LocationSelect(SelectedLocation {
                event_key: s("MENU_LOCATION"),
                latitude: 23.0,
                longitude: 113.0,
                scale: Some(15.0),
                label: some(" 广州市海珠区客村艺苑路 106号"),
                poi_name: None,
            }),
        ),
        event(
            "event_templatesendjobfinish",
            "oUserOpenId0000000000000004",
            1700000350,
            Event::TemplateSendJobFinish { status: s("failed: system failed") },
        )
        .id(200163836),
        event(
            "event_masssendjobfinish",
            USER5,
            1700000360,
            Event::MassSendJobFinish(MassSendJob {
                status: s("err(30003)"),
                total_count: Some(100),
                filter_count: Some(80),
                sent_count: Some(75),
                error_count: Some(5),
            }),
        )
        .id(1000001625),
        event(
            "event_publishjobfinish",
            USER5,
            1700000370,
            Event::PublishJobFinish(PublishJob {
                publish_id: some("2247503051"),
                publish_status: Some(0),
                article_id: some("b5O2OUs25HBxRceL7hfReg-U9QGeq9zQjiDvy3mQ"),
            }),
        ),
        event("event_kf_create_session", USER1, 1700000380, Event::KfCreateSession { kf_account: s("alice@gh_demo") }),
        event("event_kf_close_session", USER1, 1700000390, Event::KfCloseSession { kf_account: s("alice@gh_demo") }),
        event(
            "event_kf_switch_session",
            USER2,
            1700000400,
            Event::KfSwitchSession(KfSwitch { from_kf_account: s("alice@gh_demo"), to_kf_account: s("bob@gh_demo") }),
        ),
        event(
            "event_subscribe_msg_popup",
            USER6,
            1610969440,
            Event::SubscribeMsgPopup(vec![popup(TPL1, "accept"), popup(TPL2, "reject")]),
        )
        .json_list_at_top("SubscribeMsgPopupEvent"),
        event(
            "event_subscribe_msg_popup_single",
            USER6,
            1610969440,
            Event::SubscribeMsgPopup(vec![popup(TPL1, "accept")]),
        )
        .json_list_at_top("SubscribeMsgPopupEvent"),
        event(
            "event_subscribe_msg_change",
            USER6,
            1610969468,
            Event::SubscribeMsgChange(vec![SubscribeMsg { popup_scene: None, ..popup(TPL1, "reject") }]),
        )
        .json_list_at_top("SubscribeMsgChangeEvent"),
        event("event_subscribe_msg_sent", USER6, 1610969480, Event::SubscribeMsgSent(vec![sent(TPL1)]))
            .json_list_at_top("SubscribeMsgSentEvent"),
        event(
            "event_user_enter_tempsession",
            MP_USER,
            1700000410,
            Event::UserEnterTempSession { session_from: some("order-42") },
        )
        .to(MP),
        event(
            "event_wxa_media_check",
            MP_USER,
            1700000420,
            Event::MediaCheck(MediaCheck {
                is_risky: some("0"),
                extra_info_json: some(r#"{"label":100}"#),
                trace_id: some("60ae120f-371d5872-7941a05b"),
                status_code: some("0"),
            }),
        )
        .to(MP),
        event("event_unknown", USER2, 1700000430, Event::Unknown(s("weapp_audit_success"))),
        event("event_user_get_card", CARD_USER, 1472551036, Event::Unknown(s("user_get_card"))).to(CARD_OA),
        case("unknown_msgtype", USER1, 1700000440, "device_text", K::Unknown).id(24301234567890140),
    ]
}

fn fixture_dir(format: Format) -> PathBuf {
    let sub = match format {
        Format::Xml => "xml",
        Format::Json => "json",
    };
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(sub)
}

fn load(name: &str, format: Format) -> Vec<u8> {
    let ext = if format == Format::Xml { "xml" } else { "json" };
    let path = fixture_dir(format).join(format!("{name}.{ext}"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn decode(name: &str, format: Format) -> Inbound {
    let body = load(name, format);
    assert_eq!(Format::sniff(&body).unwrap(), format, "{name}");
    Inbound::decode(&body, format).unwrap_or_else(|e| panic!("{name} ({format:?}): {e}"))
}

fn assert_typed(c: &Case, got: &Inbound, what: &str) {
    assert_eq!(got.to_user, c.to, "{what}: ToUserName");
    assert_eq!(got.from_user, c.from, "{what}: FromUserName");
    assert_eq!(got.create_time, c.time, "{what}: CreateTime");
    assert_eq!(got.msg_type, c.msg_type, "{what}: MsgType");
    assert_eq!(got.msg_id, c.msg_id, "{what}: MsgId");
    assert_eq!(got.kind, c.kind, "{what}: kind");
}

/// The fields in a shape both wire formats agree on: repeated names, `<item>` wrappers and JSON arrays all become
/// one array (a single element stays bare), and an empty element, object or array is the empty string. A decimal
/// is compared by value: JSON decoding goes through `f64`, so `119.385040` reads back as `119.38504`.
fn canonical(fields: &Fields) -> Json {
    let mut names: Vec<&str> = Vec::new();
    for (name, _) in fields.iter() {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let mut obj = serde_json::Map::new();
    for name in names {
        let values: Vec<&Value> = fields.iter().filter(|(n, _)| *n == name).map(|(_, v)| v).collect();
        obj.insert(name.to_owned(), canonical_list(&values));
    }
    Json::Object(obj)
}

fn canonical_list(values: &[&Value]) -> Json {
    let mut flat = Vec::new();
    for v in values {
        match v {
            Value::List(items) => flat.extend(items.iter().map(canonical_value)),
            other => flat.push(canonical_value(other)),
        }
    }
    match flat.len() {
        0 => json!(""),
        1 => flat.remove(0),
        _ => Json::Array(flat),
    }
}

fn canonical_value(v: &Value) -> Json {
    match v {
        Value::Text(t) => match t.parse::<f64>() {
            Ok(x) if t.contains('.') => json!(x.to_string()),
            _ => json!(t),
        },
        Value::List(items) => canonical_list(&items.iter().collect::<Vec<_>>()),
        Value::Map(m) if m.is_empty() => json!(""),
        Value::Map(m) if m.iter().all(|(n, _)| n == "item") => {
            canonical_list(&m.iter().map(|(_, v)| v).collect::<Vec<_>>())
        }
        Value::Map(m) => canonical(m),
    }
}

#[test]
fn every_fixture_decodes_to_its_typed_model_in_both_formats() {
    for c in cases() {
        for format in [Format::Xml, Format::Json] {
            let got = decode(c.name, format);
            assert_typed(&c, &got, &format!("{} ({format:?})", c.name));
        }
    }
}

/// The fields with the wrapper element replaced by what it holds, in its place: the shape JSON push mode gives a
/// subscribe-message event (`List` at the top level).
fn unwrapped(fields: &Fields, wrapper: &str) -> Fields {
    let mut out = Fields::new();
    for (name, value) in fields.iter() {
        match value.as_map() {
            Some(inner) if name == wrapper => {
                for (inner_name, inner_value) in inner.iter() {
                    out.push(inner_name.to_owned(), inner_value.clone());
                }
            }
            _ => out.push(name.to_owned(), value.clone()),
        }
    }
    out
}

#[test]
fn both_formats_carry_the_same_fields() {
    for c in cases() {
        let xml = decode(c.name, Format::Xml);
        let json = decode(c.name, Format::Json);
        let xml_fields = match c.json_list_at_top {
            Some(wrapper) => unwrapped(&xml.fields, wrapper),
            None => xml.fields.clone(),
        };
        assert_eq!(canonical(&xml_fields), canonical(&json.fields), "{}", c.name);
    }
}

#[test]
fn every_fixture_file_has_a_case_and_a_twin() {
    let names: Vec<&str> = cases().iter().map(|c| c.name).collect();
    for (format, ext) in [(Format::Xml, ".xml"), (Format::Json, ".json")] {
        let mut files: Vec<String> = std::fs::read_dir(fixture_dir(format))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        files.sort();
        for file in &files {
            let stem = file.strip_suffix(ext).unwrap_or_else(|| panic!("unexpected fixture {file}"));
            assert!(names.contains(&stem), "fixture {file} is not checked by any case");
        }
        assert_eq!(files.len(), names.len(), "{format:?} fixtures");
    }
    assert_eq!(names.len(), 43);
}

#[test]
fn re_encoding_decodes_back_to_the_same_inbound() {
    for c in cases() {
        for format in [Format::Xml, Format::Json] {
            let original = decode(c.name, format);
            let what = format!("{} ({format:?})", c.name);
            // Same format: exactly the same Inbound, raw fields included.
            let same = match format {
                Format::Xml => Inbound::from_xml(original.to_xml().as_bytes()),
                Format::Json => Inbound::from_json(original.to_json().as_bytes()),
            }
            .unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(same, original, "{what}: same-format round trip");
            // Other format: the same typed model and the same fields.
            let other = match format {
                Format::Xml => Inbound::from_json(original.to_json().as_bytes()),
                Format::Json => Inbound::from_xml(original.to_xml().as_bytes()),
            }
            .unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_typed(&c, &other, &format!("{what} re-encoded in the other format"));
            assert_eq!(canonical(&other.fields), canonical(&original.fields), "{what}: cross-format fields");
            // And back again: a second trip is stable.
            let again = match format {
                Format::Xml => Inbound::from_xml(other.to_xml().as_bytes()),
                Format::Json => Inbound::from_json(other.to_json().as_bytes()),
            }
            .unwrap();
            assert_eq!(again.kind, original.kind, "{what}: two trips");
        }
    }
}

#[test]
fn big_msg_ids_keep_every_digit() {
    for format in [Format::Xml, Format::Json] {
        assert_eq!(decode("text_msgid_big", format).msg_id, Some(6054768590064713728));
        let max = decode("text_msgid_max", format);
        assert_eq!(max.msg_id, Some(18446744073709551615));
        assert!(max.to_json().contains(r#""MsgId":18446744073709551615"#), "{}", max.to_json());
        assert!(max.to_xml().contains("<MsgId>18446744073709551615</MsgId>"), "{}", max.to_xml());
    }
}

#[test]
fn create_time_as_a_json_string() {
    let body = load("event_subscribe_msg_popup", Format::Json);
    assert!(String::from_utf8_lossy(&body).contains(r#""CreateTime":"1610969440""#));
    assert_eq!(decode("event_subscribe_msg_popup", Format::Json).create_time, 1610969440);
}

#[test]
fn unknown_types_and_fields_stay_in_fields() {
    for format in [Format::Xml, Format::Json] {
        let extra = decode("text_extra_fields", format);
        assert_eq!(extra.fields.text("FutureFlag"), Some("on"));
        assert_eq!(extra.fields.number::<u32>("FutureCount").unwrap(), Some(7));
        let info = extra.fields.map("FutureInfo").expect("nested unknown map");
        assert_eq!(info.text("Kind"), Some("nested"));
        assert_eq!(info.text("Level"), Some("3"));

        let unknown = decode("unknown_msgtype", format);
        assert_eq!(unknown.fields.text("DeviceType"), Some("gh_device"));
        assert_eq!(unknown.fields.text("DeviceID"), Some("dev-001"));
        assert_eq!(unknown.fields.text("Content"), Some("aGVsbG8="));
        assert_eq!(unknown.fields.text("SessionID"), Some("9"));
        assert_eq!(unknown.text(), None);

        let ev = decode("event_unknown", format);
        assert_eq!(ev.event_name(), Some("weapp_audit_success"));
        assert_eq!(ev.fields.text("SuccTime"), Some("1700000429"));
        assert_eq!(ev.fields.map("Detail").unwrap().text("Reason"), Some("ok"));

        let media = decode("event_wxa_media_check", format);
        assert_eq!(media.fields.text("appid"), Some("wx0123456789abcdef"));

        let mass = decode("event_masssendjobfinish", format);
        let copyright = mass.fields.map("CopyrightCheckResult").expect("CopyrightCheckResult");
        assert_eq!(copyright.number::<u32>("Count").unwrap(), Some(2));
        assert_eq!(copyright.number::<u32>("CheckState").unwrap(), Some(2));
        let results = copyright.items("ResultList");
        assert_eq!(results.len(), 2);
        let urls: Vec<&str> = results.iter().filter_map(|r| r.as_map()?.text("OriginalArticleUrl")).collect();
        assert_eq!(urls, ["Url_1", "Url_2"]);
        let first = results[0].as_map().unwrap();
        for (field, value) in [
            ("ArticleIdx", "1"),
            ("UserDeclareState", "0"),
            ("AuditState", "2"),
            ("OriginalArticleType", "1"),
            ("CanReprint", "1"),
            ("NeedReplaceContent", "1"),
            ("NeedShowReprintSource", "1"),
        ] {
            assert_eq!(first.text(field), Some(value), "{field}");
        }
        let article_urls = mass.fields.map("ArticleUrlResult").unwrap().items("ResultList");
        assert_eq!(article_urls[0].as_map().unwrap().text("ArticleUrl"), Some("https://mp.weixin.qq.com/s/abc"));

        let publish = decode("event_publishjobfinish", format);
        let detail = publish.fields.map("PublishEventInfo").unwrap().map("article_detail").unwrap();
        assert_eq!(detail.text("count"), Some("1"));
        let items = detail.items("item");
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].as_map().unwrap().text("article_url"), Some("https://mp.weixin.qq.com/s/abcdef"));
    }
}

#[test]
fn helpers_on_the_typed_model() {
    let qr = decode("event_subscribe_qrscene", Format::Xml);
    assert_eq!(qr.event_name(), Some("subscribe"));
    assert_eq!(qr.event_key(), Some("qrscene_promo2024"));
    let InboundKind::Event(ev) = &qr.kind else { panic!("not an event") };
    assert_eq!(ev.qr_scene(), Some("promo2024"));

    let plain = decode("event_subscribe", Format::Json);
    assert_eq!(plain.event_key(), None);
    let InboundKind::Event(ev) = &plain.kind else { panic!("not an event") };
    assert_eq!(ev.qr_scene(), None);

    let scan = decode("event_scan", Format::Json);
    let InboundKind::Event(ev) = &scan.kind else { panic!("not an event") };
    assert_eq!(ev.qr_scene(), Some("123123"));

    assert_eq!(decode("text", Format::Json).text(), Some("查询订单 42 😀👍🏽 \"quoted\" & <tag> done"));
    assert_eq!(decode("text", Format::Xml).event_name(), None);
    // The news limit: one article after the six message kinds, eight after events.
    for (name, one) in [("text", true), ("image", true), ("voice", true), ("video", true), ("location", true)] {
        assert_eq!(decode(name, Format::Xml).limits_news_to_one(), one, "{name}");
    }
    for name in ["event_click", "event_subscribe", "unknown_msgtype", "miniprogrampage"] {
        assert!(!decode(name, Format::Xml).limits_news_to_one(), "{name}");
    }
}

#[test]
fn cdata_numbers_and_plain_numbers_read_alike() {
    // WeChat sends the numbers inside SendLocationInfo as CDATA.
    let body = load("event_location_select", Format::Xml);
    assert!(String::from_utf8_lossy(&body).contains("<Location_X><![CDATA[23]]></Location_X>"));
    let plain = String::from_utf8_lossy(&body)
        .replace("<![CDATA[23]]>", "23")
        .replace("<![CDATA[113]]>", "113")
        .replace("<![CDATA[15]]>", "15");
    assert_eq!(Inbound::from_xml(plain.as_bytes()).unwrap(), decode("event_location_select", Format::Xml));
}

#[test]
fn json_subscribe_message_events_carry_the_list_at_the_top_level() {
    // Regression: in JSON push mode `List` is a top-level field (an object for one template, an array for
    // several), not inside the XML wrapper element; such pushes decoded with an empty list, dropping the user's
    // accept / reject.
    for (name, wrapper, several) in [
        ("event_subscribe_msg_popup", "SubscribeMsgPopupEvent", true),
        ("event_subscribe_msg_popup_single", "SubscribeMsgPopupEvent", false),
        ("event_subscribe_msg_change", "SubscribeMsgChangeEvent", false),
        ("event_subscribe_msg_sent", "SubscribeMsgSentEvent", false),
    ] {
        let raw: Json = serde_json::from_slice(&load(name, Format::Json)).unwrap();
        assert!(raw.get(wrapper).is_none(), "{name}: JSON mode has no wrapper");
        assert_eq!((raw["List"].is_array(), raw["List"].is_object()), (several, !several), "{name}: List shape");
        let json = decode(name, Format::Json);
        let InboundKind::Event(
            Event::SubscribeMsgPopup(list) | Event::SubscribeMsgChange(list) | Event::SubscribeMsgSent(list),
        ) = &json.kind
        else {
            panic!("{name}: {:?}", json.kind)
        };
        assert_eq!(list.len(), if several { 2 } else { 1 }, "{name}");
        assert_eq!(list[0].template_id, TPL1, "{name}");
        assert_eq!(json.kind, decode(name, Format::Xml).kind, "{name}: the same entries as the XML wrapper form");
    }
    let popup_json = decode("event_subscribe_msg_popup", Format::Json);
    let InboundKind::Event(Event::SubscribeMsgPopup(list)) = &popup_json.kind else { panic!("not a popup event") };
    let statuses: Vec<_> = list.iter().map(|m| (m.template_id.as_str(), m.status.as_deref())).collect();
    assert_eq!(statuses, [(TPL1, Some("accept")), (TPL2, Some("reject"))]);
}

#[test]
fn json_subscribe_message_wrapper_forms_still_decode() {
    let head = format!(r#""ToUserName":"{OA}","FromUserName":"{USER6}","CreateTime":1610969440,"MsgType":"event""#);
    let accept = format!(r#"{{"TemplateId":"{TPL1}","SubscribeStatusString":"accept","PopupScene":2}}"#);
    let reject = format!(r#"{{"TemplateId":"{TPL2}","SubscribeStatusString":"reject","PopupScene":"2"}}"#);
    let popup_event = r#""Event":"subscribe_msg_popup_event""#;
    let both = vec![popup(TPL1, "accept"), popup(TPL2, "reject")];
    for (wrapped, want) in [
        (format!(r#""SubscribeMsgPopupEvent":{{"List":[{accept},{reject}]}}"#), both.clone()),
        (format!(r#""SubscribeMsgPopupEvent":{{"List":{accept}}}"#), vec![popup(TPL1, "accept")]),
        // The wrapper holding the entries directly.
        (format!(r#""SubscribeMsgPopupEvent":[{accept},{reject}]"#), both.clone()),
        (format!(r#""SubscribeMsgPopupEvent":{accept}"#), vec![popup(TPL1, "accept")]),
    ] {
        let body = format!("{{{head},{popup_event},{wrapped}}}");
        let inbound = Inbound::from_json(body.as_bytes()).unwrap_or_else(|e| panic!("{body}: {e}"));
        assert_eq!(inbound.kind, InboundKind::Event(Event::SubscribeMsgPopup(want)), "{body}");
    }
    let sent_body = format!(
        r#"{{{head},"Event":"subscribe_msg_sent_event","SubscribeMsgSentEvent":{{"List":{{"TemplateId":"{TPL1}","MsgID":1700827132819554304,"ErrorCode":0,"ErrorStatus":"success"}}}}}}"#
    );
    let inbound = Inbound::from_json(sent_body.as_bytes()).unwrap();
    assert_eq!(inbound.kind, InboundKind::Event(Event::SubscribeMsgSent(vec![sent(TPL1)])));
    // A JSON push re-encoded as XML puts `List` at the top level of `<xml>`; that reads the same.
    let top = decode("event_subscribe_msg_popup", Format::Json);
    let xml = top.to_xml();
    assert!(xml.contains("<Event><![CDATA[subscribe_msg_popup_event]]></Event><List><TemplateId>"), "{xml}");
    assert_eq!(Inbound::from_xml(xml.as_bytes()).unwrap().kind, InboundKind::Event(Event::SubscribeMsgPopup(both)));
}

#[test]
fn card_event_with_whitespace_around_cdata_reads_each_value_exactly() {
    // Regression: whitespace-only text beside CDATA was kept, so `<MsgType> <![CDATA[event]]> </MsgType>` read as
    // " event ", an unknown message type.
    let body = String::from_utf8(load("event_user_get_card", Format::Xml)).unwrap();
    assert!(body.contains("  <MsgType> <![CDATA[event]]> </MsgType>\n"), "{body}");
    let card = decode("event_user_get_card", Format::Xml);
    assert_eq!(card.msg_type, "event");
    assert_eq!(card.to_user, CARD_OA);
    assert_eq!(card.from_user, CARD_USER);
    assert_eq!(card.create_time, 1472551036);
    assert_eq!(card.event_name(), Some("user_get_card"));
    assert_eq!(card.kind, InboundKind::Event(Event::Unknown(s("user_get_card"))));
    for (field, value) in [
        ("CardId", "pZI8Fjwsy5fVPRBeD78J4RmqVvBc"),
        ("IsGiveByFriend", "0"),
        ("UserCardCode", "226009850808"),
        ("FriendUserName", ""),
        ("OuterId", "0"),
        ("OldUserCardCode", ""),
        ("OuterStr", "12b"),
        ("IsRestoreMemberCard", "0"),
        ("UnionId", "o6_bmasdasdsad6_2sgVt7hMZOPfL"),
    ] {
        assert_eq!(card.fields.text(field), Some(value), "{field}");
    }
    // The same push with each CDATA section on a line of its own reads the same.
    let spread = body.replace("> <![CDATA[", ">\n    <![CDATA[").replace("]]> </", "]]>\n  </");
    assert!(spread.contains("<Event>\n    <![CDATA[user_get_card]]>\n  </Event>"), "{spread}");
    assert_eq!(Inbound::from_xml(spread.as_bytes()).unwrap(), card);
}
