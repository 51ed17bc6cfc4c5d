//! Client configuration: where the API is, how the client authenticates, retries, margins and media limits.
//! Every default is documented on its field; [`ClientConfig::from_env`] reads the `WXGATE_…` variables so a
//! container is configured by environment alone. The AppSecret never comes from a command-line argument.

use std::time::Duration;

use crate::media::MediaLimits;
use crate::{ClientError, RetryPolicy, Secret};

/// The public API host.
pub const DEFAULT_API_BASE: &str = "https://api.weixin.qq.com";
/// The API host inside a Cloud Hosting container (open interface service, plain HTTP per the docs).
pub const DEFAULT_CLOUD_API_BASE: &str = "http://api.weixin.qq.com";

/// Which endpoint issues the access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenEndpoint {
    /// `POST /cgi-bin/stable_token` (normal mode, never `force_refresh`): the default; fetching it does not
    /// invalidate a token other processes hold.
    #[default]
    Stable,
    /// `GET /cgi-bin/token`: every fetch invalidates the previous token after 5 minutes.
    Classic,
}

impl TokenEndpoint {
    /// `stable` or `classic` (part of the token store key: the two endpoints' tokens are isolated).
    pub fn as_str(self) -> &'static str {
        match self {
            TokenEndpoint::Stable => "stable",
            TokenEndpoint::Classic => "classic",
        }
    }
}

/// How calls are authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// An access token obtained with the AppSecret.
    AccessToken {
        /// `wx…` appid.
        appid: String,
        /// The AppSecret.
        secret: Secret,
        /// Which token endpoint.
        endpoint: TokenEndpoint,
    },
    /// Cloud Hosting open interface service: no `access_token`; `from_appid` (resource reuse) passed through.
    CloudHosting {
        /// The using account's appid (`X-WX-FROM-APPID`), or `None` for the environment owner.
        from_appid: Option<String>,
    },
}

/// Which typing endpoint to call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TypingPath {
    /// `/cgi-bin/message/custom/typing` (Official Accounts; Mini Programs in older docs). Default.
    #[default]
    Official,
    /// `/cgi-bin/message/custom/business/typing` (Mini Programs and mini games, newer docs).
    Business,
}

impl TypingPath {
    /// The request path.
    pub fn path(self) -> &'static str {
        match self {
            TypingPath::Official => "/cgi-bin/message/custom/typing",
            TypingPath::Business => "/cgi-bin/message/custom/business/typing",
        }
    }
}

/// Everything the client needs.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// API base URL without a trailing slash. Default [`DEFAULT_API_BASE`] ([`DEFAULT_CLOUD_API_BASE`] in Cloud
    /// Hosting mode); point it at the simulator, a proxy or a central token service.
    pub api_base: String,
    /// Authentication.
    pub auth: Auth,
    /// Retries of transient failures. Default [`RetryPolicy::default`] (4 attempts, 200 ms doubling, ≤ 5 s).
    pub retry: RetryPolicy,
    /// A token is refreshed this long before it expires. Default 5 min (the stable endpoint renews its token in
    /// the last 5 minutes, so a refresh then obtains the next one).
    pub token_refresh_margin: Duration,
    /// How long a process may hold the cross-process refresh lease. Default 30 s.
    pub token_lease: Duration,
    /// How often a process waiting for another's refresh looks at the store. Default 50 ms.
    pub token_poll: Duration,
    /// A cached media id is reused until this long before its 3-day life ends. Default 1 h.
    pub media_cache_margin: Duration,
    /// Local media size limits. Default [`MediaLimits::default`].
    pub media_limits: MediaLimits,
    /// Typing endpoint. Default [`TypingPath::Official`].
    pub typing_path: TypingPath,
    /// Per-request timeout. Default 30 s.
    pub request_timeout: Duration,
}

impl ClientConfig {
    fn with_auth(auth: Auth, api_base: &str) -> ClientConfig {
        ClientConfig {
            api_base: api_base.to_owned(),
            auth,
            retry: RetryPolicy::default(),
            token_refresh_margin: Duration::from_secs(300),
            token_lease: Duration::from_secs(30),
            token_poll: Duration::from_millis(50),
            media_cache_margin: Duration::from_secs(3600),
            media_limits: MediaLimits::default(),
            typing_path: TypingPath::default(),
            request_timeout: Duration::from_secs(30),
        }
    }

    /// Access-token mode with the stable endpoint against [`DEFAULT_API_BASE`].
    pub fn new(appid: impl Into<String>, secret: Secret) -> ClientConfig {
        let auth = Auth::AccessToken { appid: appid.into(), secret, endpoint: TokenEndpoint::Stable };
        Self::with_auth(auth, DEFAULT_API_BASE)
    }

    /// Cloud Hosting token-free mode against [`DEFAULT_CLOUD_API_BASE`].
    pub fn cloud(from_appid: Option<String>) -> ClientConfig {
        Self::with_auth(Auth::CloudHosting { from_appid }, DEFAULT_CLOUD_API_BASE)
    }

    /// Sets the API base URL (a trailing `/` is dropped).
    pub fn api_base(mut self, base: impl Into<String>) -> ClientConfig {
        self.api_base = base.into().trim_end_matches('/').to_owned();
        self
    }

    /// Chooses the token endpoint (no effect in Cloud Hosting mode).
    pub fn token_endpoint(mut self, endpoint: TokenEndpoint) -> ClientConfig {
        if let Auth::AccessToken { endpoint: e, .. } = &mut self.auth {
            *e = endpoint;
        }
        self
    }

    /// From the environment: `WXGATE_CLOUD=1` (token-free, with `WXGATE_FROM_APPID`), otherwise `WXGATE_APPID`
    /// and `WXGATE_APPSECRET`; `WXGATE_TOKEN_ENDPOINT=stable|classic`; `WXGATE_API_BASE`.
    pub fn from_env() -> Result<ClientConfig, ClientError> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let cloud = var("WXGATE_CLOUD").is_some_and(|v| matches!(v.as_str(), "1" | "true" | "yes"));
        let mut cfg = if cloud {
            ClientConfig::cloud(var("WXGATE_FROM_APPID"))
        } else {
            let appid = var("WXGATE_APPID").ok_or(ClientError::Config("WXGATE_APPID is not set".into()))?;
            let secret = var("WXGATE_APPSECRET").ok_or(ClientError::Config("WXGATE_APPSECRET is not set".into()))?;
            ClientConfig::new(appid, Secret::new(secret))
        };
        if let Some(e) = var("WXGATE_TOKEN_ENDPOINT") {
            cfg = cfg.token_endpoint(match e.as_str() {
                "stable" => TokenEndpoint::Stable,
                "classic" => TokenEndpoint::Classic,
                other => {
                    return Err(ClientError::Config(format!("WXGATE_TOKEN_ENDPOINT={other:?}: use stable or classic")));
                }
            });
        }
        if let Some(base) = var("WXGATE_API_BASE") {
            cfg = cfg.api_base(base);
        }
        Ok(cfg)
    }

    /// The account name used in store keys: the appid, the `from_appid`, or `cloud` for the environment owner.
    pub fn account(&self) -> &str {
        match &self.auth {
            Auth::AccessToken { appid, .. } => appid,
            Auth::CloudHosting { from_appid } => from_appid.as_deref().unwrap_or("cloud"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_secret_and_base_is_normalised() {
        let cfg = ClientConfig::new("wx1", Secret::new("TOPSECRET")).api_base("http://127.0.0.1:9/");
        assert!(!format!("{cfg:?}").contains("TOPSECRET"));
        assert_eq!(cfg.api_base, "http://127.0.0.1:9");
        assert_eq!(cfg.account(), "wx1");
        assert_eq!(ClientConfig::cloud(None).api_base, DEFAULT_CLOUD_API_BASE);
        assert_eq!(ClientConfig::cloud(Some("wxF".into())).account(), "wxF");
    }
}
