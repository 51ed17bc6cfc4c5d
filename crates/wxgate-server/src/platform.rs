//! The ports on the real platform: each account's API client sends customer-service messages, the typing status,
//! and uploads rules' files as temporary media.
//!
//! A Cloud Hosting account may serve pushes of several accounts through resource reuse; a call made for such a
//! push acts for the using account (`from_appid`). Its client is made on first use and kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use wxgate_client::{Client, ClientError, RetryClass};
use wxgate_proto::kf::{KfMessage, TypingCommand};
use wxgate_store::{MediaCache, TokenStore};

use crate::account::{Account, Caller, DeliveryMode};
use crate::ports::{BoxFut, CustomerService, MediaUploader, Retry, SendError, UploadError};
use crate::rules::MediaFile;

/// The platform API of every account that has a client.
#[derive(Debug, Default, Clone)]
pub struct PlatformSender {
    accounts: HashMap<String, Arc<Clients>>,
}

/// One account's clients: its own, and for Cloud Hosting one per reusing account, made when first needed.
#[derive(Debug)]
struct Clients {
    own: Arc<Client>,
    reuse: Option<Reuse>,
}

/// What making a client for a reusing account takes.
#[derive(Debug)]
struct Reuse {
    account: Arc<Account>,
    media: Arc<dyn MediaCache>,
    made: Mutex<HashMap<String, Arc<Client>>>,
}

impl PlatformSender {
    /// No accounts yet.
    pub fn new() -> Self {
        PlatformSender::default()
    }

    /// Adds an account's client (used for every call of the account).
    pub fn with_account(mut self, account: &str, client: Arc<Client>) -> Self {
        self.accounts.insert(account.to_owned(), Arc::new(Clients { own: client, reuse: None }));
        self
    }

    /// A client for every account that can call the platform (with a secret, or on Cloud Hosting), sharing the
    /// token store and the media cache; the error names the account whose client cannot be made.
    pub(crate) fn for_accounts(
        accounts: &[Arc<Account>],
        tokens: Arc<dyn TokenStore>,
        media: Arc<dyn MediaCache>,
    ) -> Result<PlatformSender, (String, ClientError)> {
        let mut sender = PlatformSender::new();
        for account in accounts {
            let Some(config) = account.client_config(None) else { continue };
            let name = account.name.clone();
            let own = Client::builder(config)
                .on_token(move |source| {
                    let source = match source {
                        wxgate_client::TokenSource::Platform => "platform",
                        wxgate_client::TokenSource::Store => "store",
                        wxgate_client::TokenSource::Memory => "memory",
                    };
                    crate::metrics::Metrics::inc(&crate::metrics::get().token_refreshes, &name, "source", source);
                })
                .token_store(tokens.clone())
                .media_cache(media.clone())
                .build()
                .map_err(|e| (account.name.clone(), e))?;
            let reuse = (account.delivery == DeliveryMode::Cloud).then(|| Reuse {
                account: account.clone(),
                media: media.clone(),
                made: Mutex::new(HashMap::new()),
            });
            sender.accounts.insert(account.name.clone(), Arc::new(Clients { own: Arc::new(own), reuse }));
        }
        Ok(sender)
    }

    /// The client acting for `caller`.
    fn client(&self, caller: Caller<'_>) -> Result<Arc<Client>, SendError> {
        let clients = self.accounts.get(caller.account).ok_or_else(|| SendError {
            code: None,
            message: format!(
                "no platform client for account {} (set its secret, or delivery = \"cloud\")",
                caller.account
            ),
            retry: Retry::Never,
        })?;
        match (caller.from_appid, &clients.reuse) {
            (Some(from), Some(reuse)) => reuse.client(from),
            _ => Ok(clients.own.clone()),
        }
    }
}

impl Reuse {
    fn client(&self, from_appid: &str) -> Result<Arc<Client>, SendError> {
        let mut made = self.made.lock().expect("reuse clients lock");
        if let Some(client) = made.get(from_appid) {
            return Ok(client.clone());
        }
        let config = self.account.client_config(Some(from_appid)).expect("a Cloud Hosting account has a client");
        let client = Client::builder(config).media_cache(self.media.clone()).build().map_err(send_error)?;
        let client = Arc::new(client);
        made.insert(from_appid.to_owned(), client.clone());
        Ok(client)
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
    fn send<'a>(&'a self, caller: Caller<'a>, message: &'a KfMessage) -> BoxFut<'a, Result<(), SendError>> {
        Box::pin(async move { self.client(caller)?.send(message).await.map_err(send_error) })
    }

    fn typing<'a>(&'a self, caller: Caller<'a>, openid: &'a str, on: bool) -> BoxFut<'a, Result<(), SendError>> {
        Box::pin(async move {
            let command = if on { TypingCommand::Typing } else { TypingCommand::CancelTyping };
            self.client(caller)?.typing(openid, command).await.map_err(send_error)
        })
    }
}

impl MediaUploader for PlatformSender {
    fn media_id<'a>(&'a self, caller: Caller<'a>, file: &'a MediaFile) -> BoxFut<'a, Result<String, UploadError>> {
        Box::pin(async move {
            let client = self.client(caller).map_err(|_| UploadError::NoClient(caller.account.to_owned()))?;
            let bytes = tokio::fs::read(&file.path)
                .await
                .map_err(|source| UploadError::Read { path: file.path.clone(), source })?;
            let name = file.path.file_name().and_then(|n| n.to_str()).unwrap_or("media");
            let (media_id, _) = client.upload_media_cached(file.kind, name, bytes.into(), None).await?;
            Ok(media_id)
        })
    }
}
