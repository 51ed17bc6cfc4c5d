//! The outbox's sender on the real platform: the API client of each account.

use std::collections::HashMap;
use std::sync::Arc;

use wxgate_client::{Client, ClientError, RetryClass};
use wxgate_proto::ReplyBody;
use wxgate_proto::kf::{KfBody, KfMessage, MediaRef, Music, News, NewsArticle, Text, TypingCommand, Video};

use super::send::{CustomerService, Retry, SendError, SendFut};

/// Sends customer-service messages through each account's [`Client`].
#[derive(Debug, Default, Clone)]
pub struct PlatformSender {
    clients: HashMap<String, Arc<Client>>,
}

impl PlatformSender {
    /// No accounts yet.
    pub fn new() -> Self {
        PlatformSender::default()
    }

    /// Adds an account's client.
    pub fn with_account(mut self, account: &str, client: Arc<Client>) -> Self {
        self.clients.insert(account.to_owned(), client);
        self
    }

    fn client(&self, account: &str) -> Result<&Arc<Client>, SendError> {
        self.clients.get(account).ok_or_else(|| SendError {
            code: None,
            message: format!("no platform client for account {account} (set its secret, or delivery = \"cloud\")"),
            retry: Retry::Never,
        })
    }
}

fn send_error(e: ClientError) -> SendError {
    let retry = match e.retry_class() {
        RetryClass::Backoff | RetryClass::RefreshToken => Retry::Later,
        RetryClass::Permanent => Retry::Never,
    };
    SendError { code: e.errcode().map(|c| c.code()), message: e.to_string(), retry }
}

/// The customer-service message for a passive-reply body (news keeps its first article: the platform sends one).
pub fn kf_body(reply: &ReplyBody) -> Result<KfBody, SendError> {
    Ok(match reply {
        ReplyBody::Text { content } => KfBody::Text(Text { content: content.clone() }),
        ReplyBody::Image { media_id } => KfBody::Image(MediaRef { media_id: media_id.clone() }),
        ReplyBody::Voice { media_id } => KfBody::Voice(MediaRef { media_id: media_id.clone() }),
        ReplyBody::Video { media_id, title, description } => KfBody::Video(Video {
            media_id: media_id.clone(),
            thumb_media_id: None,
            title: title.clone(),
            description: description.clone(),
        }),
        ReplyBody::Music(m) => KfBody::Music(Music {
            title: m.title.clone(),
            description: m.description.clone(),
            musicurl: m.music_url.clone().unwrap_or_default(),
            hqmusicurl: m.hq_music_url.clone().or_else(|| m.music_url.clone()).unwrap_or_default(),
            thumb_media_id: Some(m.thumb_media_id.clone()),
        }),
        ReplyBody::News { articles } => KfBody::News(News {
            articles: articles
                .iter()
                .take(1)
                .map(|a| NewsArticle {
                    title: a.title.clone(),
                    description: Some(a.description.clone()).filter(|d| !d.is_empty()),
                    url: a.url.clone(),
                    picurl: Some(a.pic_url.clone()).filter(|p| !p.is_empty()),
                })
                .collect(),
        }),
        ReplyBody::TransferCustomerService { .. } => {
            return Err(SendError {
                code: None,
                message: "transfer_customer_service is a passive reply only".into(),
                retry: Retry::Never,
            });
        }
    })
}

impl CustomerService for PlatformSender {
    fn send<'a>(&'a self, account: &'a str, openid: &'a str, message: &'a ReplyBody) -> SendFut<'a> {
        Box::pin(async move {
            let client = self.client(account)?;
            let msg = KfMessage::new(openid, kf_body(message)?);
            client.send(&msg).await.map_err(send_error)
        })
    }

    fn typing<'a>(&'a self, account: &'a str, openid: &'a str, on: bool) -> SendFut<'a> {
        Box::pin(async move {
            let client = self.client(account)?;
            let command = if on { TypingCommand::Typing } else { TypingCommand::CancelTyping };
            client.typing(openid, command).await.map_err(send_error)
        })
    }
}
