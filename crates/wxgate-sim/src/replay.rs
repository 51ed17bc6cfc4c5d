//! Transcript files: a conversation saved as what the user did and what they saw, and replaying it against the
//! server to show what changed — a regression test an account owner can keep next to their config.
//!
//! A file is JSON:
//!
//! ```json
//! {"format": "wxgate-transcript/1", "appid": "wx…", "openid": "o…",
//!  "steps": [{"action": {"type": "text", "content": "回复文字"},
//!             "saw": [{"kind": "passive_reply", "msg_type": "text", "text": "这是回复的消息"}]}]}
//! ```
//!
//! `action` is the control API's action (`POST /sim/send`); `saw` lists what reached the phone after it, in
//! order: passive replies, customer-service messages and system notices, each by kind, message type and what the
//! user reads (a text, a card's titles). The typing indicator is left out: when it shows depends on timing.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::SimError;
use crate::transcript::{Entry, Item, Transcript};
use crate::world::Shared;

/// The `format` of transcript files this version writes and reads.
pub const FORMAT: &str = "wxgate-transcript/1";

/// How long a replayed step may wait for what it saw last time (customer-service answers come after ~15 s).
pub const STEP_WAIT: Duration = Duration::from_secs(40);
/// After a step saw as much as last time, how long to wait for anything more.
pub const SETTLE: Duration = Duration::from_millis(600);

/// A saved conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TranscriptFile {
    /// [`FORMAT`].
    pub format: String,
    /// The account.
    pub appid: String,
    /// The user it was recorded with (a replay uses a new user, so history and windows start afresh).
    pub openid: String,
    /// What the user did, and saw after each action.
    pub steps: Vec<Step>,
}

/// One action and what followed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// The action (control API form).
    pub action: Value,
    /// What the user saw, summarised (see [`seen`]).
    pub saw: Vec<Value>,
}

/// The comparison of one replayed step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepReport {
    /// The action.
    pub action: Value,
    /// What the file says the user saw.
    pub expected: Vec<Value>,
    /// What the user saw this time.
    pub got: Vec<Value>,
    /// `expected == got`.
    pub same: bool,
}

/// The result of a replay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplayReport {
    /// The user the replay ran as.
    pub openid: String,
    /// Every step.
    pub steps: Vec<StepReport>,
    /// Steps whose outcome changed.
    pub changed: usize,
}

/// What the user saw of one transcript line, as compared across runs; `None` for lines not compared (what the
/// user sent, the typing indicator).
pub fn seen(entry: &Entry) -> Option<Value> {
    match &entry.item {
        Item::Sent { .. } | Item::Typing { .. } => None,
        Item::PassiveReply { msg_type, text, body } => Some(summary("passive_reply", msg_type, text, body)),
        Item::CustomerService { msg_type, text, body } => Some(summary("customer_service", msg_type, text, body)),
        Item::SystemNotice { text, .. } => Some(json!({"kind": "system_notice", "text": text})),
    }
}

fn summary(kind: &str, msg_type: &str, text: &Option<String>, body: &Value) -> Value {
    let mut v = json!({"kind": kind, "msg_type": msg_type});
    if let Some(text) = text {
        v["text"] = json!(text);
    }
    let titles = titles(body);
    if !titles.is_empty() {
        v["titles"] = json!(titles);
    }
    v
}

/// The titles a card shows (news articles, music, video, link, mini-program page), in either body shape.
fn titles(body: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut take = |v: &Value| {
        if let Some(t) = v.get("Title").or_else(|| v.get("title")).and_then(Value::as_str) {
            out.push(t.to_owned());
        }
    };
    for key in ["Articles", "articles"] {
        if let Some(list) = body.get(key).and_then(Value::as_array) {
            list.iter().for_each(&mut take);
        }
    }
    if let Some(list) = body.pointer("/news/articles").and_then(Value::as_array) {
        list.iter().for_each(&mut take);
    }
    for key in ["Music", "Video", "music", "video", "link", "miniprogrampage"] {
        if let Some(v) = body.get(key) {
            take(v);
        }
    }
    out
}

/// Cuts a transcript into steps: each `Sent` line and what was seen until the next.
pub fn steps_of(transcript: &Transcript, actions: &[Value]) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut actions = actions.iter();
    for entry in transcript {
        if matches!(entry.item, Item::Sent { .. }) {
            let action = actions.next().cloned().unwrap_or(Value::Null);
            steps.push(Step { action, saw: Vec::new() });
        } else if let (Some(step), Some(s)) = (steps.last_mut(), seen(entry)) {
            step.saw.push(s);
        }
    }
    steps
}

impl TranscriptFile {
    /// Reads a file's text, checking its format.
    pub fn parse(text: &str) -> Result<TranscriptFile, SimError> {
        let file: TranscriptFile =
            serde_json::from_str(text).map_err(|e| SimError::Transcript(format!("not a transcript file: {e}")))?;
        if file.format != FORMAT {
            return Err(SimError::Transcript(format!("format {:?}; this version reads {FORMAT:?}", file.format)));
        }
        Ok(file)
    }
}

/// The saved form of a user's conversation so far.
pub(crate) fn save(shared: &Shared, appid: &str, openid: &str) -> TranscriptFile {
    let actions = shared.actions_of(appid, openid);
    let steps = steps_of(&shared.transcripts.get(appid, openid), &actions);
    TranscriptFile { format: FORMAT.into(), appid: appid.into(), openid: openid.into(), steps }
}

/// Plays `file`'s actions as user `openid` (best a new one) and compares what the user sees with the file.
pub(crate) async fn run(shared: &Arc<Shared>, file: &TranscriptFile, openid: &str) -> Result<ReplayReport, SimError> {
    let mut steps = Vec::new();
    for step in &file.steps {
        let action = crate::push::UserAction::from_json(&step.action).map_err(SimError::Transcript)?;
        let start = shared.transcripts.get(&file.appid, openid).len();
        let count_after = |t: &Transcript| t.iter().skip(start + 1).filter_map(seen).count();
        crate::push::push(shared, &file.appid, openid, &action).await?;
        let want = step.saw.len();
        let _ = shared.transcripts.wait_for(&file.appid, openid, STEP_WAIT, |t| count_after(t) >= want).await;
        tokio::time::sleep(SETTLE).await;
        let got: Vec<Value> =
            shared.transcripts.get(&file.appid, openid).iter().skip(start + 1).filter_map(seen).collect();
        let same = got == step.saw;
        steps.push(StepReport { action: step.action.clone(), expected: step.saw.clone(), got, same });
    }
    let changed = steps.iter().filter(|s| !s.same).count();
    Ok(ReplayReport { openid: openid.to_owned(), steps, changed })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(item: Item) -> Entry {
        Entry { at_ms: 0, item }
    }

    #[test]
    fn steps_keep_what_the_user_saw_but_not_typing() {
        let sent = || Item::Sent { msg_type: "text".into(), fields: json!({}) };
        let t = vec![
            line(sent()),
            line(Item::Typing { on: true }),
            line(Item::CustomerService {
                msg_type: "news".into(),
                text: None,
                body: json!({"news": {"articles": [{"title": "A"}]}}),
            }),
            line(sent()),
            line(Item::SystemNotice {
                text: "该公众号暂时无法提供服务，请稍后再试".into(), reason: "timeout".into()
            }),
        ];
        let steps = steps_of(&t, &[json!({"type": "text", "content": "a"}), json!({"type": "image"})]);
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[0].saw, [json!({"kind": "customer_service", "msg_type": "news", "titles": ["A"]})]);
        assert_eq!(steps[1].action, json!({"type": "image"}));
        assert_eq!(steps[1].saw[0]["kind"], "system_notice");
        let file = TranscriptFile { format: FORMAT.into(), appid: "wx1".into(), openid: "o1".into(), steps };
        let text = serde_json::to_string(&file).unwrap();
        assert_eq!(TranscriptFile::parse(&text).unwrap(), file);
        assert!(TranscriptFile::parse(&text.replace(FORMAT, "x/2")).is_err());
    }
}
