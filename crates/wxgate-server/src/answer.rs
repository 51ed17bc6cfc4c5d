//! The one place where an answer becomes WeChat messages.
//!
//! A rule, a handler or the model answers a push with an [`Answer`]: one reply of a passive type, or a list of
//! customer-service messages to send. Whether it goes out as the passive reply of the push or by customer
//! service, as which messages, and how those fit the user's quota, is decided here and nowhere else:
//!
//! - [`checked`]: a reply that breaks the passive limits of the push is dropped (logged) when it would go out
//!   passively, since WeChat would then show the user 「该公众号暂时无法提供服务」;
//! - [`passive`]: the passive reply the account may give, if any — an Official Account answers passively when the
//!   answer is one reply that fits; a Mini Program never does (only `transfer_customer_service`);
//! - [`messages`]: the customer-service messages of an answer, one [`KfMessage`] per message, in the types the
//!   account may send: a long text cut at paragraph, sentence or word boundaries into parts of at most
//!   [`PART_ROOM`] bytes, a news reply one message per article (a `link` for a Mini Program), and what the account
//!   cannot send left out with a log line (WeChat answers such a type with an error that is no fault of the
//!   gateway's);
//! - [`pack`]: what of those messages the user's remaining quota takes now, the last one carrying
//!   [`CONTINUE_HINT`] when the rest must wait for the user's next message.

use wxgate_proto::kf::{KfBody, KfMessage, Link, MediaRef, Music, News, NewsArticle, Text, Video};
use wxgate_proto::reply::MAX_TEXT_BYTES;
use wxgate_proto::text::split_trimmed;
use wxgate_proto::{Inbound, Reply, ReplyBody};

use crate::account::AccountKind;

/// What a push is answered with.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// One reply of a passive type: given passively where the account may and it fits, else sent as
    /// customer-service messages.
    Reply(ReplyBody),
    /// Customer-service messages, always sent actively, in order (any type the account may send).
    Send(Messages),
}

/// Customer-service messages answering one push.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Messages {
    /// The messages, in order.
    pub bodies: Vec<KfBody>,
    /// Sent as this customer-service agent (`agent@gh_…`), when given.
    pub kf_account: Option<String>,
}

impl Messages {
    /// These messages, sent as no agent in particular.
    pub fn new(bodies: Vec<KfBody>) -> Messages {
        Messages { bodies, kf_account: None }
    }

    /// Sent as the customer-service agent `kf_account`.
    pub fn as_agent(mut self, kf_account: impl Into<String>) -> Messages {
        self.kf_account = Some(kf_account.into());
        self
    }
}

impl From<ReplyBody> for Answer {
    fn from(reply: ReplyBody) -> Answer {
        Answer::Reply(reply)
    }
}

impl From<Messages> for Answer {
    fn from(messages: Messages) -> Answer {
        Answer::Send(messages)
    }
}

/// The result of the work for a push: the answer, or `None` for nothing to say (`success`).
pub type Outcome = Option<Answer>;

/// Appended to the last part that fits when the rest must wait for the user's next message.
pub const CONTINUE_HINT: &str = "\n\n（回复任意文字继续）";

/// The longest part of a split answer: the text limit less the hint, so whichever part ends up last within the
/// user's quota can carry it.
pub const PART_ROOM: usize = MAX_TEXT_BYTES - CONTINUE_HINT.len();

/// The answer, unless it would go out passively and breaks the platform's limits for this push (then `None`,
/// logged).
pub(crate) fn checked(account: &str, kind: AccountKind, inbound: &Inbound, outcome: Outcome) -> Outcome {
    let answer = outcome?;
    let Some(reply) = passive(kind, &answer) else { return Some(answer) };
    match reply.validate(Reply::max_articles_for(inbound)) {
        Ok(()) => Some(answer),
        Err(e) => {
            tracing::error!(account, error = %e, "reply refused, answering success");
            None
        }
    }
}

/// The passive reply an account of `kind` gives for `answer`, or `None` when the answer must go by customer
/// service: a list of messages, a text over the passive limit, and for a Mini Program anything but a transfer to
/// customer service.
pub(crate) fn passive(kind: AccountKind, answer: &Answer) -> Option<&ReplyBody> {
    match answer {
        Answer::Reply(reply) if may_reply_passively(kind, reply) => Some(reply),
        _ => None,
    }
}

/// The answer as the passive reply the account gives for it, or back as it is when it must go by customer service.
pub(crate) fn into_passive(kind: AccountKind, answer: Answer) -> Result<ReplyBody, Answer> {
    match answer {
        Answer::Reply(reply) if may_reply_passively(kind, &reply) => Ok(reply),
        other => Err(other),
    }
}

fn may_reply_passively(kind: AccountKind, reply: &ReplyBody) -> bool {
    match (kind, reply) {
        (AccountKind::MiniProgram, reply) => matches!(reply, ReplyBody::TransferCustomerService { .. }),
        (AccountKind::OfficialAccount, ReplyBody::Text { content }) => content.len() <= MAX_TEXT_BYTES,
        (AccountKind::OfficialAccount, _) => true,
    }
}

/// The customer-service messages that deliver `answer` to `openid` from an account of `kind`, in order.
pub fn messages(kind: AccountKind, answer: Answer, openid: &str) -> Vec<KfMessage> {
    let (bodies, kf_account) = match answer {
        Answer::Reply(reply) => (reply_bodies(kind, reply), None),
        Answer::Send(Messages { bodies, kf_account }) => (bodies, kf_account),
    };
    let mut out = Vec::with_capacity(bodies.len());
    for body in bodies {
        for body in one_per_message(body) {
            let Some(body) = sendable(kind, body) else { continue };
            let message = KfMessage::new(openid, body);
            out.push(match &kf_account {
                Some(agent) => message.as_agent(agent.clone()),
                None => message,
            });
        }
    }
    out
}

/// The customer-service bodies of a passive-type reply.
fn reply_bodies(kind: AccountKind, reply: ReplyBody) -> Vec<KfBody> {
    let non_empty = |s: String| (!s.is_empty()).then_some(s);
    match reply {
        ReplyBody::Text { content } => vec![KfBody::Text(Text { content })],
        ReplyBody::Image { media_id } => vec![KfBody::Image(MediaRef { media_id })],
        ReplyBody::Voice { media_id } => vec![KfBody::Voice(MediaRef { media_id })],
        ReplyBody::Video { media_id, title, description } => {
            vec![KfBody::Video(Video { media_id, thumb_media_id: None, title, description })]
        }
        ReplyBody::Music(m) => {
            let url = m.music_url.filter(|u| !u.is_empty());
            let hq = m.hq_music_url.filter(|u| !u.is_empty());
            match (url.clone().or_else(|| hq.clone()), hq.or(url)) {
                (Some(musicurl), Some(hqmusicurl)) => vec![KfBody::Music(Music {
                    title: m.title,
                    description: m.description,
                    musicurl,
                    hqmusicurl,
                    thumb_media_id: non_empty(m.thumb_media_id),
                })],
                _ => {
                    tracing::warn!("a music reply without a URL cannot be sent by customer service; left out");
                    Vec::new()
                }
            }
        }
        // One article per message; a Mini Program sends a link card instead of news.
        ReplyBody::News { articles } => articles
            .into_iter()
            .map(|a| match kind {
                AccountKind::MiniProgram => {
                    KfBody::Link(Link { title: a.title, description: a.description, url: a.url, thumb_url: a.pic_url })
                }
                AccountKind::OfficialAccount => KfBody::News(News {
                    articles: vec![NewsArticle {
                        title: a.title,
                        description: non_empty(a.description),
                        url: a.url,
                        picurl: non_empty(a.pic_url),
                    }],
                }),
            })
            .collect(),
        // A transfer is an instruction to the platform, not a message: nothing to send.
        ReplyBody::TransferCustomerService { .. } => Vec::new(),
    }
}

/// A body as the messages it takes: a long text in parts, news one article per message.
fn one_per_message(body: KfBody) -> Vec<KfBody> {
    match body {
        KfBody::Text(Text { content }) if content.len() > MAX_TEXT_BYTES => {
            split_trimmed(&content, PART_ROOM).into_iter().map(KfBody::text).collect()
        }
        KfBody::Text(Text { content }) if content.trim().is_empty() => Vec::new(),
        KfBody::News(News { articles }) if articles.len() > 1 => {
            articles.into_iter().map(|a| KfBody::News(News { articles: vec![a] })).collect()
        }
        other => vec![other],
    }
}

/// The body as an account of `kind` may send it, or `None` (logged) when it may not send that type at all.
fn sendable(kind: AccountKind, body: KfBody) -> Option<KfBody> {
    match (kind, body) {
        (AccountKind::OfficialAccount, body) => Some(body),
        (AccountKind::MiniProgram, KfBody::MiniProgramPage(mut page)) => {
            // A Mini Program's card always opens the Mini Program itself: no appid is sent.
            page.appid = None;
            Some(KfBody::MiniProgramPage(page))
        }
        (AccountKind::MiniProgram, body @ (KfBody::Text(_) | KfBody::Image(_) | KfBody::Link(_))) => Some(body),
        (AccountKind::MiniProgram, body) => {
            tracing::warn!(msg_type = body.msg_type(), "a Mini Program cannot send this message type; left out");
            None
        }
    }
}

/// The passive reply that says the same as a customer-service message, where there is one (for answers parked
/// until the user's next message).
pub(crate) fn as_passive(body: &KfBody) -> Option<ReplyBody> {
    Some(match body {
        KfBody::Text(t) => ReplyBody::text(t.content.clone()),
        KfBody::Image(m) => ReplyBody::Image { media_id: m.media_id.clone() },
        KfBody::Voice(m) => ReplyBody::Voice { media_id: m.media_id.clone() },
        KfBody::Video(v) => ReplyBody::Video {
            media_id: v.media_id.clone(),
            title: v.title.clone(),
            description: v.description.clone(),
        },
        KfBody::News(n) => ReplyBody::News {
            articles: n
                .articles
                .iter()
                .map(|a| wxgate_proto::reply::Article {
                    title: a.title.clone(),
                    description: a.description.clone().unwrap_or_default(),
                    pic_url: a.picurl.clone().unwrap_or_default(),
                    url: a.url.clone(),
                })
                .collect(),
        },
        KfBody::Link(l) => ReplyBody::News {
            articles: vec![wxgate_proto::reply::Article {
                title: l.title.clone(),
                description: l.description.clone(),
                pic_url: l.thumb_url.clone(),
                url: l.url.clone(),
            }],
        },
        _ => return None,
    })
}

/// Splits `messages` into what to send now (at most `remaining`; when something is left over — of these
/// messages, or `followed` by a later answer of the same user — the last one sent tells the user how to get the
/// rest, if it is a text with room for it) and what must wait for the next interaction.
pub(crate) fn pack(mut messages: Vec<KfMessage>, remaining: u32, followed: bool) -> (Vec<KfMessage>, Vec<KfMessage>) {
    let n = remaining as usize;
    if messages.len() < n || (messages.len() == n && !followed) {
        return (messages, Vec::new());
    }
    let rest = messages.split_off(n);
    if let Some(KfMessage { body: KfBody::Text(Text { content }), .. }) = messages.last_mut()
        && content.len() + CONTINUE_HINT.len() <= MAX_TEXT_BYTES
    {
        content.push_str(CONTINUE_HINT);
    }
    (messages, rest)
}

#[cfg(test)]
mod tests {
    use wxgate_proto::kf::MiniProgramPage;
    use wxgate_proto::reply::Article;

    use super::*;

    const OA: AccountKind = AccountKind::OfficialAccount;
    const MP: AccountKind = AccountKind::MiniProgram;

    fn texts(n: usize) -> Vec<KfMessage> {
        (0..n).map(|i| KfMessage::new("o", KfBody::text(format!("p{i}")))).collect()
    }

    fn text_of(m: &KfMessage) -> &str {
        match &m.body {
            KfBody::Text(t) => &t.content,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn packs_into_the_quota() {
        let parts = texts(7);
        let (now, later) = pack(parts.clone(), 5, false);
        assert_eq!(now.len(), 5);
        assert_eq!(later.len(), 2);
        assert_eq!(text_of(&now[4]), format!("p4{CONTINUE_HINT}"));
        let (now, later) = pack(parts[..3].to_vec(), 5, true);
        assert_eq!((now.len(), later.len()), (3, 0));
        assert_eq!(text_of(&now[2]), "p2");
        // Exactly filling the quota: the hint only when another answer follows.
        assert_eq!(text_of(&pack(parts[..5].to_vec(), 5, false).0[4]), "p4");
        let (now, later) = pack(parts[..5].to_vec(), 5, true);
        assert_eq!((text_of(&now[4]), later.len()), (format!("p4{CONTINUE_HINT}").as_str(), 0));
    }

    #[test]
    fn one_message_per_part_and_article() {
        let long = "一句话。".repeat(700); // 8400 bytes
        let parts = messages(OA, ReplyBody::text(long.clone()).into(), "o");
        assert_eq!(parts.len(), 5);
        assert!(parts.iter().all(|p| text_of(p).len() <= PART_ROOM && p.touser == "o"));
        let article = |t: &str| Article { title: t.into(), url: "u".into(), ..Default::default() };
        let news = ReplyBody::News { articles: vec![article("a"), article("b"), article("c")] };
        let oa = messages(OA, news.clone().into(), "o");
        assert_eq!(oa.iter().map(|m| m.body.msg_type()).collect::<Vec<_>>(), ["news"; 3]);
        let mp = messages(MP, news.into(), "o");
        assert_eq!(mp.iter().map(|m| m.body.msg_type()).collect::<Vec<_>>(), ["link"; 3], "a Mini Program sends links");
        assert_eq!(messages(OA, ReplyBody::text("short").into(), "o").len(), 1);
        assert!(passive(OA, &ReplyBody::text(long).into()).is_none());
    }

    #[test]
    fn a_mini_program_answers_actively_with_the_types_it_may_send() {
        assert!(passive(MP, &ReplyBody::text("hi").into()).is_none(), "never passively");
        let transfer = ReplyBody::TransferCustomerService { kf_account: None };
        assert!(passive(MP, &transfer.clone().into()).is_some(), "but a transfer to customer service");
        assert!(passive(OA, &ReplyBody::text("hi").into()).is_some());
        let page = KfBody::MiniProgramPage(MiniProgramPage {
            title: "t".into(),
            appid: Some("wxother".into()),
            pagepath: "pages/index/index".into(),
            thumb_media_id: "m".into(),
        });
        let voice = KfBody::Voice(MediaRef { media_id: "v".into() });
        let send = Messages::new(vec![KfBody::text("a"), voice, page]).as_agent("kf@gh");
        assert!(passive(OA, &send.clone().into()).is_none(), "a list of messages is never passive");
        let sent = messages(MP, send.into(), "o");
        assert_eq!(sent.iter().map(|m| m.body.msg_type()).collect::<Vec<_>>(), ["text", "miniprogrampage"]);
        assert!(matches!(&sent[1].body, KfBody::MiniProgramPage(p) if p.appid.is_none()), "no appid from an MP");
        assert!(sent.iter().all(|m| m.customservice.as_ref().is_some_and(|c| c.kf_account == "kf@gh")));
    }
}
