//! The one place where an answer becomes WeChat messages.
//!
//! A handler, a rule or the model answers with one [`ReplyBody`]. Whether it can go out as the passive reply of
//! the push, or must go by customer service as several messages, and how those messages fit the user's quota, is
//! decided here and nowhere else:
//!
//! - [`checked`]: a reply that breaks the platform's limits is dropped (logged), since sending it would show the
//!   user 「该公众号暂时无法提供服务」; a text too long for a passive reply is kept (it goes by customer service);
//! - [`fits_passive`]: whether the answer can be the passive reply;
//! - [`parts`]: the customer-service messages of an answer, one [`ReplyBody`] per message — a long text cut at
//!   paragraph, sentence or word boundaries into parts of at most [`PART_ROOM`] bytes, a news reply with several
//!   articles one message per article (customer-service news carries one);
//! - [`pack`]: what of those parts the user's remaining quota takes now, the last one carrying
//!   [`CONTINUE_HINT`] when the rest must wait for the user's next message.

use wxgate_proto::reply::MAX_TEXT_BYTES;
use wxgate_proto::text::split_trimmed;
use wxgate_proto::{Inbound, Reply, ReplyBody};

/// The result of the work for a push: the reply to send, or `None` for nothing to say (`success`).
pub type Outcome = Option<ReplyBody>;

/// Appended to the last part that fits when the rest must wait for the user's next message.
pub const CONTINUE_HINT: &str = "\n\n（回复任意文字继续）";

/// The longest part of a split answer: the text limit less the hint, so whichever part ends up last within the
/// user's quota can carry it.
pub const PART_ROOM: usize = MAX_TEXT_BYTES - CONTINUE_HINT.len();

/// The answer, unless it breaks the platform's limits for this push (then `None`, logged). A text longer than a
/// passive reply may hold is kept: it goes out by customer service, split into parts.
pub(crate) fn checked(account: &str, inbound: &Inbound, reply: Outcome) -> Outcome {
    let body = reply?;
    if !fits_passive(&body) {
        return Some(body);
    }
    match body.validate(Reply::max_articles_for(inbound)) {
        Ok(()) => Some(body),
        Err(e) => {
            tracing::error!(account, error = %e, "reply refused, answering success");
            None
        }
    }
}

/// True when the answer can be one passive reply: false for a text over the passive limit.
pub(crate) fn fits_passive(body: &ReplyBody) -> bool {
    !matches!(body, ReplyBody::Text { content } if content.len() > MAX_TEXT_BYTES)
}

/// The customer-service messages that deliver `reply`, in order, one body per message.
pub fn parts(reply: ReplyBody) -> Vec<ReplyBody> {
    match reply {
        ReplyBody::Text { content } if content.len() > MAX_TEXT_BYTES => {
            split_trimmed(&content, PART_ROOM).into_iter().map(ReplyBody::text).collect()
        }
        ReplyBody::News { articles } if articles.len() > 1 => {
            articles.into_iter().map(|article| ReplyBody::News { articles: vec![article] }).collect()
        }
        other => vec![other],
    }
}

/// Splits `parts` into what to send now (at most `remaining` messages; when something is left over — of these
/// parts, or `followed` by a later answer of the same user — the last one sent tells the user how to get the
/// rest) and what must wait for the next interaction.
pub(crate) fn pack(mut parts: Vec<ReplyBody>, remaining: u32, followed: bool) -> (Vec<ReplyBody>, Vec<ReplyBody>) {
    let n = remaining as usize;
    if parts.len() < n || (parts.len() == n && !followed) {
        return (parts, Vec::new());
    }
    let rest = parts.split_off(n);
    if let Some(ReplyBody::Text { content }) = parts.last_mut()
        && content.len() + CONTINUE_HINT.len() <= MAX_TEXT_BYTES
    {
        content.push_str(CONTINUE_HINT);
    }
    (parts, rest)
}

#[cfg(test)]
mod tests {
    use wxgate_proto::reply::Article;

    use super::*;

    #[test]
    fn packs_into_the_quota() {
        let parts: Vec<_> = (0..7).map(|i| ReplyBody::text(format!("p{i}"))).collect();
        let (now, later) = pack(parts.clone(), 5, false);
        assert_eq!(now.len(), 5);
        assert_eq!(later.len(), 2);
        assert_eq!(now[4], ReplyBody::text(format!("p4{CONTINUE_HINT}")));
        let (now, later) = pack(parts[..3].to_vec(), 5, true);
        assert_eq!((now.len(), later.len()), (3, 0));
        assert_eq!(now[2], ReplyBody::text("p2"));
        // Exactly filling the quota: the hint only when another answer follows.
        assert_eq!(pack(parts[..5].to_vec(), 5, false).0[4], ReplyBody::text("p4"));
        let (now, later) = pack(parts[..5].to_vec(), 5, true);
        assert_eq!((now[4].clone(), later.len()), (ReplyBody::text(format!("p4{CONTINUE_HINT}")), 0));
    }

    #[test]
    fn one_body_per_customer_service_message() {
        let long = "一句话。".repeat(700); // 8400 bytes
        let text_parts = parts(ReplyBody::text(long.clone()));
        assert_eq!(text_parts.len(), 5);
        assert!(text_parts.iter().all(|p| matches!(p, ReplyBody::Text { content } if content.len() <= PART_ROOM)));
        let article = |t: &str| Article { title: t.into(), url: "u".into(), ..Default::default() };
        let news = parts(ReplyBody::News { articles: vec![article("a"), article("b"), article("c")] });
        assert_eq!(news, ["a", "b", "c"].map(|t| ReplyBody::News { articles: vec![article(t)] }));
        assert_eq!(parts(ReplyBody::text("short")), [ReplyBody::text("short")]);
        assert!(!fits_passive(&ReplyBody::text(long)));
    }
}
