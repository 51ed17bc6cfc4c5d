//! The ports on the real platform: each account's API client sends customer-service messages, the typing status,
//! and uploads rules' files as temporary media.

use std::collections::HashMap;
use std::sync::Arc;

use wxgate_client::{Client, ClientError, RetryClass};
use wxgate_proto::ReplyBody;
use wxgate_proto::kf::{KfMessage, TypingCommand};
use wxgate_proto::kf_reply::kf_body;

use crate::ports::{BoxFut, CustomerService, MediaUploader, Retry, SendError, UploadError};
use crate::rules::MediaFile;

/// The platform API of every account that has a client.
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

    fn client(&self, account: &str) -> Option<&Arc<Client>> {
        self.clients.get(account)
    }
}

fn send_error(e: ClientError) -> SendError {
    let retry = match e.retry_class() {
        RetryClass::Backoff | RetryClass::RefreshToken => Retry::Later,
        RetryClass::Permanent => Retry::Never,
    };
    SendError { code: e.errcode().map(|c| c.code()), message: e.to_string(), retry }
}

fn never(message: String) -> SendError {
    SendError { code: None, message, retry: Retry::Never }
}

fn no_client(account: &str) -> SendError {
    never(format!("no platform client for account {account} (set its secret, or delivery = \"cloud\")"))
}

impl CustomerService for PlatformSender {
    fn send<'a>(
        &'a self,
        account: &'a str,
        openid: &'a str,
        message: &'a ReplyBody,
    ) -> BoxFut<'a, Result<(), SendError>> {
        Box::pin(async move {
            let client = self.client(account).ok_or_else(|| no_client(account))?;
            let body = kf_body(message).ok_or_else(|| {
                never(format!("a {} reply cannot be sent as one customer-service message", message.msg_type()))
            })?;
            client.send(&KfMessage::new(openid, body)).await.map_err(send_error)
        })
    }

    fn typing<'a>(&'a self, account: &'a str, openid: &'a str, on: bool) -> BoxFut<'a, Result<(), SendError>> {
        Box::pin(async move {
            let client = self.client(account).ok_or_else(|| no_client(account))?;
            let command = if on { TypingCommand::Typing } else { TypingCommand::CancelTyping };
            client.typing(openid, command).await.map_err(send_error)
        })
    }
}

impl MediaUploader for PlatformSender {
    fn media_id<'a>(&'a self, account: &'a str, file: &'a MediaFile) -> BoxFut<'a, Result<String, UploadError>> {
        Box::pin(async move {
            let client = self.client(account).ok_or_else(|| UploadError::NoClient(account.to_owned()))?;
            let bytes = tokio::fs::read(&file.path)
                .await
                .map_err(|source| UploadError::Read { path: file.path.clone(), source })?;
            let name = file.path.file_name().and_then(|n| n.to_str()).unwrap_or("media");
            let (media_id, _) = client.upload_media_cached(file.kind, name, bytes.into(), None).await?;
            Ok(media_id)
        })
    }
}
