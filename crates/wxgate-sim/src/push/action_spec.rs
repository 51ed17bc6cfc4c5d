//! The JSON form of a user action, as the control API takes it and transcript files keep it
//! (`{"type":"text","content":"…"}`); [`UserAction::to_json`] writes the same form.

use std::collections::BTreeMap;

use serde::Deserialize;
use wxgate_proto::Fields;

use super::action::UserAction;

/// A user action as JSON (`type` selects the variant; see [`UserAction`]).
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum ActionSpec {
    /// `{"type":"text","content":"…"}`
    Text { content: String },
    /// `{"type":"menu_option","id":"101","content":"满意"}`
    MenuOption { id: String, content: String },
    /// `{"type":"image"}`
    Image,
    /// `{"type":"voice","recognition":"…"}`
    Voice {
        #[serde(default)]
        recognition: Option<String>,
    },
    /// `{"type":"video"}`
    Video,
    /// `{"type":"short_video"}`
    ShortVideo,
    /// `{"type":"location","x":31.2,"y":121.4,"label":"…"}`
    Location {
        x: f64,
        y: f64,
        #[serde(default)]
        scale: Option<u32>,
        #[serde(default)]
        label: String,
    },
    /// `{"type":"link","title":"…","url":"…"}`
    Link {
        title: String,
        #[serde(default)]
        description: String,
        url: String,
    },
    /// `{"type":"subscribe"}` or with `"scene"`
    Subscribe {
        #[serde(default)]
        scene: Option<String>,
    },
    /// `{"type":"unsubscribe"}`
    Unsubscribe,
    /// `{"type":"scan","scene":"…"}`
    Scan { scene: String },
    /// `{"type":"click","key":"…"}`
    Click { key: String },
    /// `{"type":"view","url":"…"}`
    View { url: String },
    /// `{"type":"scan_code","key":"…","result":"…","wait_msg":true}`
    ScanCode {
        key: String,
        result: String,
        #[serde(default)]
        wait_msg: bool,
    },
    /// `{"type":"report_location","latitude":…,"longitude":…}`
    ReportLocation {
        latitude: f64,
        longitude: f64,
        #[serde(default)]
        precision: f64,
    },
    /// `{"type":"enter_session","session_from":"…"}`
    EnterSession {
        #[serde(default)]
        session_from: String,
    },
    /// `{"type":"event","event":"…","extra":{"K":"V"}}`
    Event {
        event: String,
        #[serde(default)]
        extra: BTreeMap<String, String>,
    },
}

impl ActionSpec {
    /// The user action this spec describes.
    fn action(self) -> UserAction {
        match self {
            ActionSpec::Text { content } => UserAction::Text(content),
            ActionSpec::MenuOption { id, content } => UserAction::MenuOption { id, content },
            ActionSpec::Image => UserAction::Image,
            ActionSpec::Voice { recognition } => UserAction::Voice { recognition },
            ActionSpec::Video => UserAction::Video,
            ActionSpec::ShortVideo => UserAction::ShortVideo,
            ActionSpec::Location { x, y, scale, label } => {
                UserAction::Location { x, y, scale: scale.unwrap_or(15), label }
            }
            ActionSpec::Link { title, description, url } => UserAction::Link { title, description, url },
            ActionSpec::Subscribe { scene } => UserAction::Subscribe { scene },
            ActionSpec::Unsubscribe => UserAction::Unsubscribe,
            ActionSpec::Scan { scene } => UserAction::Scan { scene },
            ActionSpec::Click { key } => UserAction::Click { key },
            ActionSpec::View { url } => UserAction::View { url },
            ActionSpec::ScanCode { key, result, wait_msg } => UserAction::ScanCode { key, result, wait_msg },
            ActionSpec::ReportLocation { latitude, longitude, precision } => {
                UserAction::ReportLocation { latitude, longitude, precision }
            }
            ActionSpec::EnterSession { session_from } => UserAction::EnterSession { session_from },
            ActionSpec::Event { event, extra } => {
                UserAction::Event { event, extra: extra.into_iter().fold(Fields::new(), |f, (k, v)| f.with_text(k, v)) }
            }
        }
    }
}

impl UserAction {
    /// Reads an action in the control API's JSON form, or says why it is not one.
    pub fn from_json(value: &serde_json::Value) -> Result<UserAction, String> {
        ActionSpec::deserialize(value).map(ActionSpec::action).map_err(|e| format!("bad action: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_reads_back_what_it_writes() {
        let actions = [
            UserAction::Text("回复文字".into()),
            UserAction::MenuOption { id: "101".into(), content: "满意".into() },
            UserAction::Image,
            UserAction::Voice { recognition: Some("你好".into()) },
            UserAction::Video,
            UserAction::ShortVideo,
            UserAction::Location { x: 31.2, y: 121.4, scale: 15, label: "上海".into() },
            UserAction::Link { title: "t".into(), description: "d".into(), url: "https://e.com".into() },
            UserAction::Subscribe { scene: Some("7".into()) },
            UserAction::Unsubscribe,
            UserAction::Scan { scene: "s".into() },
            UserAction::Click { key: "K".into() },
            UserAction::View { url: "https://e.com".into() },
            UserAction::ScanCode { key: "K".into(), result: "r".into(), wait_msg: true },
            UserAction::ReportLocation { latitude: 1.5, longitude: 2.5, precision: 3.0 },
            UserAction::EnterSession { session_from: "x".into() },
            UserAction::Event {
                event: "TEMPLATESENDJOBFINISH".into(),
                extra: Fields::new().with_text("Status", "success"),
            },
        ];
        for action in actions {
            assert_eq!(UserAction::from_json(&action.to_json()), Ok(action.clone()), "{action:?}");
        }
        assert!(UserAction::from_json(&serde_json::json!({"type": "fly"})).is_err());
    }
}
