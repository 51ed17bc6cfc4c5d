//! The JSON shapes the control API accepts: user actions and fault rules.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use wxgate_proto::Fields;

use crate::faults::{FaultKind, FaultRule, Trigger};
use crate::push::UserAction;

/// A user action as JSON (`type` selects the variant; see [`UserAction`]).
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum ActionSpec {
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
    pub(crate) fn action(self) -> UserAction {
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

/// A fault rule as JSON: `{"path":"/cgi-bin/token","kind":"errcode","value":-1,"count":2}`; `kind` is
/// `errcode`, `http_status`, `latency_ms` or `drop`; `count` or `rate` (neither = always).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaultSpec {
    path: String,
    kind: String,
    #[serde(default)]
    value: i64,
    #[serde(default)]
    count: Option<u32>,
    #[serde(default)]
    rate: Option<f64>,
}

impl FaultSpec {
    /// The rule this spec describes, or why it is not one.
    pub(crate) fn rule(self) -> Result<FaultRule, String> {
        let kind = match self.kind.as_str() {
            "errcode" => FaultKind::Errcode(self.value),
            "http_status" => FaultKind::HttpStatus(u16::try_from(self.value).map_err(|_| "bad HTTP status")?),
            "latency_ms" => FaultKind::Latency(Duration::from_millis(self.value.max(0) as u64)),
            "drop" => FaultKind::Drop,
            other => return Err(format!("unknown fault kind {other:?}")),
        };
        let trigger = match (self.count, self.rate) {
            (Some(n), _) => Trigger::Count(n),
            (None, Some(p)) => Trigger::Rate(p),
            (None, None) => Trigger::Always,
        };
        Ok(FaultRule::new(self.path, kind, trigger))
    }
}
