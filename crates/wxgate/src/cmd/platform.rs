//! What `send`, `typing`, `media` and `token` share: the platform options and building a client from them.
//!
//! The AppSecret is read from `WXGATE_APPSECRET` only — never a command-line argument, which would end up in
//! shell history and `ps`. Tokens and the media cache live in the SQLite store at `WXGATE_STORE`, or in Redis
//! with `WXGATE_REDIS_URL`, so consecutive commands (and running servers on the same store) share one token.

use std::sync::Arc;

use anyhow::Context as _;
use wxgate_client::{Client, ClientConfig, Secret, TokenEndpoint};
use wxgate_store_redis::RedisStore;
use wxgate_store_sqlite::{Durability, SqliteStore};

/// Platform connection options.
#[derive(Debug, Clone, clap::Args)]
pub struct PlatformArgs {
    /// API base URL (the simulator, a proxy, a central token service).
    #[arg(long, env = "WXGATE_API_BASE", global = true)]
    pub api_base: Option<String>,
    /// The account's appid (the AppSecret comes from WXGATE_APPSECRET).
    #[arg(long, env = "WXGATE_APPID", global = true)]
    pub appid: Option<String>,
    /// Cloud Hosting open interface service: no access token at all.
    #[arg(long, env = "WXGATE_CLOUD", global = true)]
    pub cloud: bool,
    /// Cloud Hosting resource reuse: the using account's appid.
    #[arg(long, env = "WXGATE_FROM_APPID", global = true)]
    pub from_appid: Option<String>,
    /// Token endpoint: stable (default) or classic.
    #[arg(long, env = "WXGATE_TOKEN_ENDPOINT", global = true, default_value = "stable")]
    pub token_endpoint: String,
    /// SQLite file shared for tokens and the media cache.
    #[arg(long, env = "WXGATE_STORE", global = true, default_value = "wxgate.sqlite")]
    pub store: std::path::PathBuf,
    /// Redis shared for tokens and the media cache instead of the SQLite file (as `store.url` of the servers).
    #[arg(long, env = "WXGATE_REDIS_URL", global = true)]
    pub redis_url: Option<String>,
    /// The Redis key prefix (as `store.prefix` of the servers).
    #[arg(long, global = true, default_value = "wxgate:")]
    pub redis_prefix: String,
    /// A gateway config file whose `[media]` limits uploads are checked against (default: image and voice 2 MB,
    /// video 10 MB, thumb 64 KB, which every variant of the platform accepts).
    #[arg(long = "config", env = "WXGATE_CONFIG", global = true)]
    pub gateway_config: Option<std::path::PathBuf>,
}

impl PlatformArgs {
    /// The client configuration these options describe.
    pub fn config(&self) -> anyhow::Result<ClientConfig> {
        let mut cfg = if self.cloud {
            ClientConfig::cloud(self.from_appid.clone())
        } else {
            let appid = self.appid.clone().context("no appid: pass --appid or set WXGATE_APPID")?;
            let secret = std::env::var("WXGATE_APPSECRET")
                .ok()
                .filter(|s| !s.is_empty())
                .context("no AppSecret: set WXGATE_APPSECRET (it is never taken from the command line)")?;
            let endpoint = match self.token_endpoint.as_str() {
                "stable" => TokenEndpoint::Stable,
                "classic" => TokenEndpoint::Classic,
                other => anyhow::bail!("--token-endpoint {other:?}: use stable or classic"),
            };
            ClientConfig::new(appid, Secret::new(secret)).token_endpoint(endpoint)
        };
        if let Some(base) = &self.api_base {
            cfg = cfg.api_base(base.clone());
        }
        if let Some(path) = &self.gateway_config {
            cfg.media_limits = wxgate_server::config::load(Some(path))
                .with_context(|| format!("{} (--config, for its [media] limits)", path.display()))?
                .media_limits();
        }
        Ok(cfg)
    }

    /// A client sharing tokens and media ids through the store.
    pub async fn client(&self) -> anyhow::Result<Client> {
        self.client_with(self.config()?).await
    }

    /// A client for `cfg` (adjusted from [`PlatformArgs::config`]) on the store: Redis when a URL is given,
    /// else the SQLite file.
    pub async fn client_with(&self, cfg: ClientConfig) -> anyhow::Result<Client> {
        let builder = Client::builder(cfg);
        let builder = match &self.redis_url {
            Some(url) => {
                let store = Arc::new(
                    RedisStore::connect(url, &self.redis_prefix)
                        .await
                        .context("cannot reach Redis (--redis-url / WXGATE_REDIS_URL)")?,
                );
                builder.token_store(store.clone()).media_cache(store)
            }
            None => {
                let store = Arc::new(
                    SqliteStore::open(&self.store, Durability::Normal)
                        .with_context(|| format!("cannot open the store {} (WXGATE_STORE)", self.store.display()))?,
                );
                builder.token_store(store.clone()).media_cache(store)
            }
        };
        Ok(builder.build()?)
    }
}

/// Reads a local file for upload.
pub fn read_file(path: &std::path::Path) -> anyhow::Result<bytes::Bytes> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(bytes::Bytes::from(bytes))
}

/// The media type a file name suggests (`.jpg`/`.png`/`.gif` image, `.amr`/`.mp3` voice, `.mp4` video).
pub fn media_type_for(path: &std::path::Path) -> Option<wxgate_client::MediaType> {
    use wxgate_client::MediaType;
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "jpg" | "jpeg" | "png" | "gif" => MediaType::Image,
        "amr" | "mp3" => MediaType::Voice,
        "mp4" => MediaType::Video,
        _ => return None,
    })
}

/// Uploads `path` through the media cache and returns its media id.
pub async fn upload_cached(
    client: &Client,
    media_type: wxgate_client::MediaType,
    path: &std::path::Path,
) -> anyhow::Result<String> {
    let bytes = read_file(path)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let (id, outcome) = client.upload_media_cached(media_type, name, bytes, None).await?;
    eprintln!("{}: {:?} ({})", path.display(), outcome, media_type.as_str());
    Ok(id)
}
