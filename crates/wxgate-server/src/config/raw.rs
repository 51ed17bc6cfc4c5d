//! The raw configuration: serde types mirroring the TOML file, with every default documented.

use serde::{Deserialize, Serialize};
use wxgate_proto::ReplyBody;

use crate::account::{AccountKind, DedupMode, DeliveryMode, EncryptionMode, LateStrategy};

/// The whole file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawConfig {
    /// `[server]`: listener and request limits.
    pub server: ServerConfig,
    /// `[[accounts]]`: one entry per Official Account or Mini Program.
    pub accounts: Vec<AccountConfig>,
    /// `[store]`: where durable state (the outbox, shared tokens) lives.
    pub store: StoreConfig,
    /// `[media]`: size limits of the files uploaded as temporary media.
    pub media: MediaConfig,
}

/// `[media]`: the largest file of each temporary media type, in bytes, checked before any upload. The defaults
/// are the platform's documented limits for Cloud Hosting: image 10 MB (PNG, JPEG, GIF), voice 2 MB (AMR, MP3;
/// WeChat plays at most 60 s), video 10 MB (MP4), thumb 64 KB (JPEG).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MediaConfig {
    /// Default 10485760.
    pub image_max_bytes: usize,
    /// Default 2097152.
    pub voice_max_bytes: usize,
    /// Default 10485760.
    pub video_max_bytes: usize,
    /// Default 65536.
    pub thumb_max_bytes: usize,
}

impl Default for MediaConfig {
    fn default() -> Self {
        MediaConfig {
            image_max_bytes: 10 << 20,
            voice_max_bytes: 2 << 20,
            video_max_bytes: 10 << 20,
            thumb_max_bytes: 64 << 10,
        }
    }
}

/// `[store]`. `Debug` hides the credentials a Redis URL may carry.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// `sqlite` (default: one file on this machine) or `redis` (several replicas share one Redis)
    /// (`WXGATE_STORE_BACKEND`).
    pub backend: String,
    /// The SQLite file. Default `wxgate.sqlite` in the working directory (`WXGATE_STORE`).
    pub path: String,
    /// `full` (default: every commit reaches the disk, survives power loss) or `normal` (survives a process
    /// crash; faster). SQLite only; Redis's own `appendfsync` decides there.
    pub durability: String,
    /// The Redis URL, `redis://[:password@]host[:port][/db]` (`WXGATE_REDIS_URL`). Redis only.
    pub url: String,
    /// Prefix of every Redis key, so one Redis can serve several deployments. Default `wxgate:`.
    pub prefix: String,
    /// How long a push being worked out stays with its process unless renewed; when a process dies, another
    /// sharing the store adopts its pushes after this long. Default 30000.
    pub work_lease_ms: u64,
    /// Redis only: the local SQLite file where late answers wait while Redis does not answer, forwarded to it in
    /// order once it answers again. Default `wxgate-spool-<server.instance>.sqlite` in the working directory
    /// (`WXGATE_SPOOL`).
    pub spool: String,
}

impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreConfig")
            .field("backend", &self.backend)
            .field("path", &self.path)
            .field("durability", &self.durability)
            .field("url", &redacted(&self.url))
            .field("prefix", &self.prefix)
            .field("work_lease_ms", &self.work_lease_ms)
            .field("spool", &self.spool)
            .finish()
    }
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            backend: "sqlite".into(),
            path: "wxgate.sqlite".into(),
            durability: "full".into(),
            url: String::new(),
            prefix: "wxgate:".into(),
            work_lease_ms: 30_000,
            spool: String::new(),
        }
    }
}

/// `[server]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to listen on. Default `127.0.0.1:8080`; in a container use `0.0.0.0:80` (`WXGATE_LISTEN`).
    pub listen: String,
    /// Largest accepted request body in bytes. Default 65536 (a real push is a few KB); larger bodies get 413
    /// before being read whole.
    pub body_limit: usize,
    /// How long a request body may take to arrive, in milliseconds; a slower one gets 408 and its connection is
    /// closed. Default 10000.
    pub body_timeout_ms: u64,
    /// How long a client may take to send a request's headers, and how long a kept-alive connection may stay
    /// idle, in milliseconds; then the connection is closed. Default 10000.
    pub header_timeout_ms: u64,
    /// Connections served at once; beyond it a new connection is closed at once (the accept loop never stalls).
    /// Default 4096, lowered to fit the process's open-file limit.
    pub max_connections: usize,
    /// Request bodies being read at once; beyond it a push gets 503 at once. Default 256.
    pub max_body_reads: usize,
    /// Accept a push only if its `timestamp` is within this many seconds of now. Default 300; 0 turns it off.
    pub timestamp_window_secs: u64,
    /// This replica's name, stable across its restarts (a restarted replica takes back its unfinished work at
    /// once). Default: the host name and the listen address (`WXGATE_INSTANCE`).
    pub instance: String,
    /// After SIGTERM or Ctrl-C, how long in-flight pushes, running handlers and the send in progress may take
    /// before the process exits, in milliseconds. Default 10000.
    pub drain_ms: u64,
    /// A second address serving only `/metrics`, `/healthz` and `/readyz` (to keep metrics off the public port).
    /// Default empty: they are served on `listen` too.
    pub metrics_listen: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            body_limit: 64 * 1024,
            body_timeout_ms: 10_000,
            header_timeout_ms: 10_000,
            max_connections: 4096,
            max_body_reads: 256,
            timestamp_window_secs: 300,
            instance: String::new(),
            drain_ms: 10_000,
            metrics_listen: String::new(),
        }
    }
}

/// `[[accounts]]`: one account. `Debug` hides the token, the AES key and the secret.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccountConfig {
    /// A name for logs. Default: the appid.
    pub name: String,
    /// `official_account` (default) or `mini_program` (`WXGATE_KIND`): a Mini Program answers every push by
    /// customer service.
    pub kind: AccountKind,
    /// URL path WeChat calls. Default `/wx`. Several accounts may share a path (told apart by signature, original
    /// id or the Cloud Hosting appid header).
    pub path: String,
    /// AppID (`wx…`): checked inside encrypted frames and used for Cloud Hosting routing.
    pub appid: String,
    /// Original id (`gh_…`), the `ToUserName` of pushes. Optional; when set, pushes for another account are refused.
    pub original_id: String,
    /// AppSecret, for platform API calls (also `WXGATE_APPSECRET`). Never logged.
    pub secret: String,
    /// The Token from 服务器配置 (classic delivery). Never logged.
    pub token: String,
    /// Platform API base. Default `https://api.weixin.qq.com` (classic) or `http://api.weixin.qq.com` (Cloud
    /// Hosting open interface service); point it at the simulator or a proxy to test (`WXGATE_API_BASE`).
    pub api_base: String,
    /// The 43-character EncodingAESKey; empty for plaintext mode. Never logged.
    pub aes_key: String,
    /// Encryption modes accepted. Default `auto`.
    pub encryption: EncryptionMode,
    /// `classic` (default) or `cloud`.
    pub delivery: DeliveryMode,
    /// Cloud Hosting only: refuse pushes without the `x-wx-source` header. Keep `true` (the default) whenever
    /// the service is reachable from the public network; `false` only when public access is disabled.
    pub require_wx_source: bool,
    /// Replies to send by keyword, regex, event or menu click; the first match wins, before any Rust handler.
    pub rules: Vec<RuleConfig>,
    /// Time limits for answering, and what to do with late answers.
    pub deadline: DeadlineConfig,
    /// How retries are recognised: `sender` (FromUserName + MsgId; default), `msg_id`, or `off`.
    pub dedup: DedupMode,
    /// `[accounts.llm]`: a language model answers what rules and handlers leave unanswered.
    pub llm: Option<wxgate_llm::LlmConfig>,
}

impl std::fmt::Debug for AccountConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |s: &str| if s.is_empty() { "" } else { "<redacted>" };
        f.debug_struct("AccountConfig")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("path", &self.path)
            .field("appid", &self.appid)
            .field("original_id", &self.original_id)
            .field("secret", &hidden(&self.secret))
            .field("token", &hidden(&self.token))
            .field("api_base", &self.api_base)
            .field("aes_key", &hidden(&self.aes_key))
            .field("encryption", &self.encryption)
            .field("delivery", &self.delivery)
            .field("require_wx_source", &self.require_wx_source)
            .field("rules", &self.rules.len())
            .field("deadline", &self.deadline)
            .field("dedup", &self.dedup)
            .field("llm", &self.llm)
            .finish()
    }
}

impl Default for AccountConfig {
    fn default() -> Self {
        AccountConfig {
            name: String::new(),
            kind: AccountKind::OfficialAccount,
            path: "/wx".into(),
            appid: String::new(),
            original_id: String::new(),
            secret: String::new(),
            token: String::new(),
            api_base: String::new(),
            aes_key: String::new(),
            encryption: EncryptionMode::Auto,
            delivery: DeliveryMode::Classic,
            require_wx_source: true,
            rules: Vec::new(),
            deadline: DeadlineConfig::default(),
            dedup: DedupMode::Sender,
            llm: None,
        }
    }
}

/// `[accounts.deadline]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeadlineConfig {
    /// How long one attempt may wait for the answer, in milliseconds from its arrival. Default 4500 (WeChat waits
    /// 5 s per attempt).
    pub budget_ms: u64,
    /// How many attempts WeChat makes for one push. Default 3 (1 + 2 retries, ~15 s in all).
    pub attempts: u32,
    /// How long an attempt that is not the last may hold its connection waiting for the answer after its budget,
    /// in milliseconds (WeChat drops it at 5 s and retries; this only bounds a connection nobody closes).
    pub hold_ms: u64,
    /// How long WeChat waits for an attempt before it retries, in milliseconds. Default 5000. When the attempt
    /// count shared by replicas cannot be read, the attempt is judged by the push's age against this.
    pub retry_after_ms: u64,
    /// Late answers: `customer_service`, `passive_only` or `auto`.
    pub strategy: LateStrategy,
    /// Passive-only: the text answered on the last attempt while the real answer is parked. Empty = `success`.
    pub placeholder: String,
}

impl Default for DeadlineConfig {
    fn default() -> Self {
        DeadlineConfig {
            budget_ms: 4500,
            attempts: 3,
            hold_ms: 20_000,
            retry_after_ms: 5_000,
            strategy: LateStrategy::CustomerService,
            placeholder: "正在处理，请稍后发送任意消息获取结果".into(),
        }
    }
}

/// `[[accounts.rules]]`: every condition given must hold.
///
/// Reply text may use `{content}` (the user's text), `{openid}`, `{event_key}` and `{scene}` (QR scene).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuleConfig {
    /// `MsgType` to match (`text`, `image`, `event`, …).
    pub msg_type: Option<String>,
    /// Text equal to this keyword (surrounding whitespace ignored).
    pub keyword: Option<String>,
    /// Text equal to any of these keywords.
    pub keywords: Vec<String>,
    /// Text matching this regular expression.
    pub regex: Option<String>,
    /// `Event` name, exactly as WeChat sends it (`subscribe`, `CLICK`, `SCAN`, …).
    pub event: Option<String>,
    /// `EventKey` equal to this value (for `subscribe`, the `qrscene_` prefix is part of the key).
    pub event_key: Option<String>,
    /// Shorthand for `event = "CLICK"` with this `event_key`.
    pub menu_click: Option<String>,
    /// The reply; `{ type = "text", content = "…" }`, `image`/`voice` with `media_id`, `video`, `music`,
    /// `news` with `articles`, or `transfer_customer_service`.
    pub reply: Option<ReplyBody>,
    /// Instead of `reply`: an image file to send (uploaded as temporary media on first use, cached after).
    pub image: Option<String>,
    /// Instead of `reply`: a voice file (AMR or MP3) to send, uploaded and cached like `image`.
    pub voice: Option<String>,
    /// Instead of `reply`: a video file (MP4) to send, uploaded and cached like `image`.
    pub video: Option<String>,
    /// Instead of `reply`: customer-service messages sent in order, for an Official Account too (any type:
    /// `text`, `image`, `voice`, `video`, `music`, `news`, `link`, `miniprogrampage`, `msgmenu`, `wxcard`,
    /// `mpnews`, `mpnewsarticle`).
    pub send: Vec<SendConfig>,
    /// With `send`: the messages appear as sent by this customer-service agent (`agent@gh_…`).
    pub kf_account: Option<String>,
    /// `official_account` or `mini_program`: the rule answers only that kind of account (a config shared by both
    /// kinds, the kind set by `WXGATE_KIND`); on the other kind a push it matches is logged and skipped.
    pub only: Option<AccountKind>,
    /// The rule applies only while the account has no model (`[accounts.llm]`): a catch-all the model replaces,
    /// such as the embedded default's echo, which would otherwise answer every text before the model.
    pub unless_model: bool,
}

/// One customer-service message of `send`. Media may be a `media_id` or a local `file` (and a thumbnail a
/// `thumb_media_id` or a `thumb_file`), uploaded as temporary media on first use and reused while it lives.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum SendConfig {
    /// `{ type = "text", content = "…" }`; `{content}`, `{openid}`, `{event_key}` and `{scene}` are filled in.
    Text {
        /// The text.
        content: String,
    },
    /// An image.
    Image {
        /// A media id.
        media_id: Option<String>,
        /// Or a PNG, JPEG or GIF file.
        file: Option<String>,
    },
    /// A voice message (Official Accounts).
    Voice {
        /// A media id.
        media_id: Option<String>,
        /// Or an AMR or MP3 file.
        file: Option<String>,
    },
    /// A video (Official Accounts).
    Video {
        /// A media id.
        media_id: Option<String>,
        /// Or an MP4 file.
        file: Option<String>,
        /// Thumbnail media id.
        thumb_media_id: Option<String>,
        /// Or a JPEG thumbnail file (64 KB).
        thumb_file: Option<String>,
        /// Title.
        title: Option<String>,
        /// Description.
        description: Option<String>,
    },
    /// Music (Official Accounts).
    Music {
        /// Title.
        title: Option<String>,
        /// Description.
        description: Option<String>,
        /// The music's URL.
        music_url: String,
        /// The high-quality URL (Wi-Fi); default the music URL.
        hq_music_url: Option<String>,
        /// Thumbnail media id.
        thumb_media_id: Option<String>,
        /// Or a JPEG thumbnail file.
        thumb_file: Option<String>,
    },
    /// One news article, an external link card (Official Accounts).
    News {
        /// Title.
        title: String,
        /// Description.
        description: Option<String>,
        /// Where a tap goes.
        url: String,
        /// Picture URL.
        pic_url: Option<String>,
    },
    /// A link card.
    Link {
        /// Title.
        title: String,
        /// Description.
        #[serde(default)]
        description: String,
        /// Where a tap goes.
        url: String,
        /// Thumbnail URL.
        #[serde(default)]
        thumb_url: String,
    },
    /// A mini-program card.
    MiniProgramPage {
        /// Title.
        title: String,
        /// The Mini Program's appid (an Official Account's linked Mini Program; a Mini Program sends none).
        appid: Option<String>,
        /// Page path, may carry a query (`pages/index/index?foo=bar`).
        pagepath: String,
        /// Cover image media id.
        thumb_media_id: Option<String>,
        /// Or a cover image file (PNG or JPEG).
        thumb_file: Option<String>,
    },
    /// Clickable options (verified Official Accounts); a tap pushes a text with `bizmsgmenuid`.
    MsgMenu {
        /// Text above the options.
        head_content: Option<String>,
        /// The options.
        list: Vec<MenuItemConfig>,
        /// Text below the options.
        tail_content: Option<String>,
    },
    /// A card (Official Accounts).
    WxCard {
        /// Card id.
        card_id: String,
    },
    /// An article from permanent material (Official Accounts).
    MpNews {
        /// Its media id.
        media_id: String,
    },
    /// A published article (Official Accounts).
    MpNewsArticle {
        /// Its article id.
        article_id: String,
    },
}

/// One option of a `msgmenu`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MenuItemConfig {
    /// Pushed back as `bizmsgmenuid` when tapped.
    pub id: String,
    /// The option's text.
    pub content: String,
}

/// A Redis URL for logs and `Debug`: the host and database, never what may be a password.
pub(crate) fn redacted(url: &str) -> String {
    match url.rsplit_once('@') {
        Some((_, host)) => format!("redis://<credentials>@{host}"),
        None => url.to_owned(),
    }
}
