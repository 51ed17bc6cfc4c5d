//! Encoding replies as WeChat XML (CDATA, `<item>` per article) and Cloud Hosting JSON (an `Articles` array).

use serde_json::{Map, Value, json};

use super::{Reply, ReplyBody};
use crate::write::XmlOut;

impl Reply {
    /// The XML reply body.
    pub fn to_xml(&self) -> String {
        let mut out = XmlOut::with_capacity(256);
        out.open_root();
        out.cdata("ToUserName", &self.to_user);
        out.cdata("FromUserName", &self.from_user);
        out.bare("CreateTime", &self.create_time.to_string());
        out.cdata("MsgType", self.body.msg_type());
        match &self.body {
            ReplyBody::Text { content } => out.cdata("Content", content),
            ReplyBody::Image { media_id } => media(&mut out, "Image", media_id),
            ReplyBody::Voice { media_id } => media(&mut out, "Voice", media_id),
            ReplyBody::Video { media_id, title, description } => {
                out.open("Video");
                out.cdata("MediaId", media_id);
                opt(&mut out, "Title", title);
                opt(&mut out, "Description", description);
                out.close("Video");
            }
            ReplyBody::Music(m) => {
                out.open("Music");
                opt(&mut out, "Title", &m.title);
                opt(&mut out, "Description", &m.description);
                opt(&mut out, "MusicUrl", &m.music_url);
                opt(&mut out, "HQMusicUrl", &m.hq_music_url);
                out.cdata("ThumbMediaId", &m.thumb_media_id);
                out.close("Music");
            }
            ReplyBody::News { articles } => {
                out.bare("ArticleCount", &articles.len().to_string());
                out.open("Articles");
                for a in articles {
                    out.open("item");
                    out.cdata("Title", &a.title);
                    out.cdata("Description", &a.description);
                    out.cdata("PicUrl", &a.pic_url);
                    out.cdata("Url", &a.url);
                    out.close("item");
                }
                out.close("Articles");
            }
            ReplyBody::TransferCustomerService { kf_account } => {
                if let Some(kf) = kf_account {
                    out.open("TransInfo");
                    out.cdata("KfAccount", kf);
                    out.close("TransInfo");
                }
            }
        }
        out.close_root()
    }

    /// The Cloud Hosting JSON reply body (XML field names; `Articles` is an array without `item`).
    pub fn to_json(&self) -> String {
        let mut obj = Map::new();
        obj.insert("ToUserName".into(), json!(self.to_user));
        obj.insert("FromUserName".into(), json!(self.from_user));
        obj.insert("CreateTime".into(), json!(self.create_time));
        obj.insert("MsgType".into(), json!(self.body.msg_type()));
        match &self.body {
            ReplyBody::Text { content } => {
                obj.insert("Content".into(), json!(content));
            }
            ReplyBody::Image { media_id } => {
                obj.insert("Image".into(), json!({ "MediaId": media_id }));
            }
            ReplyBody::Voice { media_id } => {
                obj.insert("Voice".into(), json!({ "MediaId": media_id }));
            }
            ReplyBody::Video { media_id, title, description } => {
                let mut v = Map::new();
                v.insert("MediaId".into(), json!(media_id));
                put(&mut v, "Title", title);
                put(&mut v, "Description", description);
                obj.insert("Video".into(), Value::Object(v));
            }
            ReplyBody::Music(m) => {
                let mut v = Map::new();
                put(&mut v, "Title", &m.title);
                put(&mut v, "Description", &m.description);
                put(&mut v, "MusicUrl", &m.music_url);
                put(&mut v, "HQMusicUrl", &m.hq_music_url);
                v.insert("ThumbMediaId".into(), json!(m.thumb_media_id));
                obj.insert("Music".into(), Value::Object(v));
            }
            ReplyBody::News { articles } => {
                obj.insert("ArticleCount".into(), json!(articles.len()));
                let list: Vec<Value> = articles
                    .iter()
                    .map(|a| json!({"Title": a.title, "Description": a.description, "PicUrl": a.pic_url, "Url": a.url}))
                    .collect();
                obj.insert("Articles".into(), Value::Array(list));
            }
            ReplyBody::TransferCustomerService { kf_account } => {
                if let Some(kf) = kf_account {
                    obj.insert("TransInfo".into(), json!({ "KfAccount": kf }));
                }
            }
        }
        let mut doc = Value::Object(obj);
        crate::write::json_clean(&mut doc);
        doc.to_string()
    }
}

fn media(out: &mut XmlOut, wrapper: &str, media_id: &str) {
    out.open(wrapper);
    out.cdata("MediaId", media_id);
    out.close(wrapper);
}

fn opt(out: &mut XmlOut, name: &str, value: &Option<String>) {
    if let Some(v) = value {
        out.cdata(name, v);
    }
}

fn put(obj: &mut Map<String, Value>, name: &str, value: &Option<String>) {
    if let Some(v) = value {
        obj.insert(name.into(), json!(v));
    }
}
