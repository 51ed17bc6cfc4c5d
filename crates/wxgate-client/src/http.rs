//! One platform call, end to end: authenticate (token or Cloud Hosting), build the request **from scratch** for
//! every attempt (a multipart body cannot be re-sent half-consumed), classify the answer, and apply the retry
//! rules — back-off for transient failures, invalidate-refresh-replay once for a rejected token.

use std::sync::Arc;

use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use reqwest::{Method, Url};
use wxgate_proto::errcode::{ErrCode, RetryClass};

use crate::config::{Auth, ClientConfig};
use crate::error::{ClientError, errcode_of};
use crate::media::upload::Progress;
use crate::token::TokenManager;

/// A request body, kept as bytes so each attempt can rebuild it.
#[derive(Clone)]
pub(crate) enum Payload {
    /// No body.
    Empty,
    /// A JSON body.
    Json(Bytes),
    /// A multipart upload of one file in field `media`.
    Media {
        /// File name sent in `Content-Disposition`.
        filename: String,
        /// `Content-Type` of the part.
        content_type: &'static str,
        /// The file.
        bytes: Bytes,
        /// Upload progress callback.
        progress: Option<Progress>,
    },
}

/// A call description: method, path, extra query and body.
#[derive(Clone)]
pub(crate) struct Call {
    pub method: Method,
    pub path: &'static str,
    pub query: Vec<(&'static str, String)>,
    pub payload: Payload,
}

/// A successful answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    /// The body as JSON.
    pub fn json(&self) -> Result<serde_json::Value, ClientError> {
        serde_json::from_slice(&self.body).map_err(|e| ClientError::Decode(format!("not JSON: {e}")))
    }
}

/// Which token a failed attempt used.
enum Used {
    /// Obtaining the token failed (already retried inside the token manager).
    TokenStep,
    /// This token.
    Token(String),
    /// None (Cloud Hosting).
    NoToken,
}

/// Sends calls with authentication and the retry rules.
#[derive(Debug)]
pub(crate) struct Transport {
    pub http: reqwest::Client,
    pub config: ClientConfig,
    pub tokens: Option<Arc<TokenManager>>,
}

impl Transport {
    /// Runs a call with retries and at most one token replay.
    pub async fn call(&self, call: &Call) -> Result<Answer, ClientError> {
        let policy = self.config.retry;
        let mut attempt = 0u32;
        let mut replayed = false;
        loop {
            attempt += 1;
            let (err, used) = match self.once(call).await {
                Ok(answer) => return Ok(answer),
                // The token manager already retried its own transient failures.
                Err((err, Used::TokenStep)) => return Err(err),
                Err((err, Used::Token(t))) => (err, Some(t)),
                Err((err, Used::NoToken)) => (err, None),
            };
            match err.retry_class() {
                RetryClass::RefreshToken if !replayed => {
                    if let (Some(tokens), Some(used)) = (&self.tokens, used) {
                        tracing::info!(path = call.path, errcode = ?err.errcode().map(ErrCode::code), "token rejected; refreshing once and replaying");
                        tokens.invalidate(&used).await?;
                        replayed = true;
                        attempt -= 1;
                        continue;
                    }
                    return Err(err);
                }
                RetryClass::Backoff if attempt < policy.max_attempts => {
                    let delay = policy.delay(attempt);
                    tracing::warn!(path = call.path, attempt, error = %err, ?delay, "transient failure; retrying");
                    tokio::time::sleep(delay).await;
                }
                _ => return Err(err),
            }
        }
    }

    /// One attempt. On failure, also says which token it used (to invalidate exactly that one).
    async fn once(&self, call: &Call) -> Result<Answer, (ClientError, Used)> {
        let token = match &self.tokens {
            Some(t) => Some(t.token().await.map_err(|e| (e, Used::TokenStep))?.token),
            None => None,
        };
        let fail = |e: ClientError| (e, token.clone().map_or(Used::NoToken, Used::Token));
        let url = self.url(call, token.as_deref()).map_err(fail)?;
        let mut req = self.http.request(call.method.clone(), url).timeout(self.config.request_timeout);
        req = match &call.payload {
            Payload::Empty => req,
            Payload::Json(b) => req.header(CONTENT_TYPE, "application/json; charset=utf-8").body(b.clone()),
            Payload::Media { filename, content_type, bytes, progress } => {
                req.multipart(crate::media::upload::form(filename, content_type, bytes.clone(), progress.clone()))
            }
        };
        let resp = req.send().await.map_err(|e| fail(ClientError::network(e)))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(|e| fail(ClientError::network(e)))?;
        if !status.is_success() {
            return Err(fail(ClientError::HttpStatus(status.as_u16())));
        }
        if let Some((code, errmsg)) = errcode_of(&body) {
            return Err(fail(ClientError::Api { code, errmsg }));
        }
        Ok(Answer { headers, body })
    }

    /// `base + path`, then `access_token` (token mode) or `from_appid` (Cloud Hosting), then the call's query.
    fn url(&self, call: &Call, token: Option<&str>) -> Result<Url, ClientError> {
        let raw = format!("{}{}", self.config.api_base, call.path);
        let mut url = Url::parse(&raw).map_err(|e| ClientError::Config(format!("bad API base URL: {e}")))?;
        {
            let mut q = url.query_pairs_mut();
            match (&self.config.auth, token) {
                (Auth::AccessToken { .. }, Some(t)) => {
                    q.append_pair("access_token", t);
                }
                (Auth::CloudHosting { from_appid: Some(f) }, _) => {
                    q.append_pair("from_appid", f);
                }
                _ => {}
            }
            for (k, v) in &call.query {
                q.append_pair(k, v);
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        Ok(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloud_urls_carry_no_token() {
        let t = Transport {
            http: reqwest::Client::new(),
            config: ClientConfig::cloud(Some("wxF".into())).api_base("http://127.0.0.1:1"),
            tokens: None,
        };
        let call =
            Call { method: Method::POST, path: "/cgi-bin/message/custom/send", query: vec![], payload: Payload::Empty };
        assert_eq!(
            t.url(&call, None).unwrap().as_str(),
            "http://127.0.0.1:1/cgi-bin/message/custom/send?from_appid=wxF"
        );
        let t = Transport { config: ClientConfig::cloud(None).api_base("http://h"), ..t };
        assert_eq!(t.url(&call, None).unwrap().as_str(), "http://h/cgi-bin/message/custom/send");
    }
}
