//! The outbox's sender on the real platform: the API client of each account.

use std::collections::HashMap;
use std::sync::Arc;

use wxgate_client::{Client, ClientError, RetryClass};
use wxgate_proto::ReplyBody;
use wxgate_proto::kf::{KfMessage, TypingCommand};
use wxgate_proto::kf_reply::kf_bodies;

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

impl CustomerService for PlatformSender {
    fn send<'a>(&'a self, account: &'a str, openid: &'a str, message: &'a ReplyBody) -> SendFut<'a> {
        Box::pin(async move {
            let client = self.client(account)?;
            let bodies = kf_bodies(message);
            if bodies.is_empty() {
                return Err(SendError {
                    code: None,
                    message: format!("a {} reply cannot be sent as a customer-service message", message.msg_type()),
                    retry: Retry::Never,
                });
            }
            for body in bodies {
                client.send(&KfMessage::new(openid, body)).await.map_err(send_error)?;
            }
            Ok(())
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

impl crate::media::MediaUploader for PlatformSender {
    fn media_id<'a>(&'a self, account: &'a str, file: &'a crate::rules::MediaFile) -> crate::media::UploadFut<'a> {
        Box::pin(async move {
            let client = self.client(account).map_err(|e| e.message)?;
            let bytes =
                tokio::fs::read(&file.path).await.map_err(|e| format!("cannot read {}: {e}", file.path.display()))?;
            let name = file.path.file_name().and_then(|n| n.to_str()).unwrap_or("media");
            let (media_id, _) =
                client.upload_media_cached(file.kind, name, bytes.into(), None).await.map_err(|e| e.to_string())?;
            Ok(media_id)
        })
    }
}
