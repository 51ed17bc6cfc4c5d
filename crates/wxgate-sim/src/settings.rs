//! Tunable platform behaviour. Defaults follow WeChat's documentation of access tokens, customer-service messages
//! and media, and its push retries; every number the documentation and SDKs disagree on is here so a test (or the
//! CLI config) can pick the other variant.

use std::time::Duration;

/// Platform-wide settings of one simulator.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Access token lifetime (`expires_in`), default 7200 s.
    pub token_ttl: Duration,
    /// How long the previous classic token stays valid after a new one is issued, default 5 min. Also the
    /// stable-token renewal lead.
    pub token_overlap: Duration,
    /// `/cgi-bin/token` calls per account per day (45009 beyond), default 2000.
    pub token_daily_quota: u32,
    /// The same for test accounts, default 200.
    pub test_account_token_daily_quota: u32,
    /// Forced stable-token refreshes per day, default 20.
    pub stable_force_daily_quota: u32,
    /// Minimum gap between forced stable refreshes, default 30 s.
    pub stable_force_min_gap: Duration,
    /// Maximum UTF-8 bytes of customer-service text (45002 beyond), default 2048.
    pub text_max_bytes: usize,
    /// Maximum customer-service news articles (45008 beyond), default 1.
    pub news_max_articles: usize,
    /// Typing needs a user interaction within this long (45080), default 30 s.
    pub typing_interaction: Duration,
    /// A Typing status lasts this long (45081 while active), default 15 s.
    pub typing_duration: Duration,
    /// Temporary media lifetime, default 3 days.
    pub media_ttl: Duration,
    /// Size limits per media type in bytes.
    pub media_limits: MediaLimits,
    /// Push attempts per message, default 3.
    pub push_attempts: u32,
    /// Per-attempt timeout, default 5 s.
    pub push_timeout: Duration,
    /// Fresh timestamp and nonce on each attempt (default true); false reuses the first attempt's.
    pub fresh_signature_per_attempt: bool,
    /// Seconds added to the wall clock for the signed `timestamp` of pushes and URL verification (default 0).
    /// The signed timestamp follows the wall clock, not the simulated [`crate::Clock`], because the server compares
    /// it with its own clock; set a skew to test a server's replay window.
    pub push_timestamp_skew_secs: i64,
    /// Answer 40033 when a customer-service body escapes a non-ASCII or a control character as `\uXXXX` (default
    /// true).
    pub reject_unicode_escapes: bool,
    /// `Content-Type` of pushes, default `text/xml` (also for JSON bodies, as observed).
    pub push_content_type: String,
    /// The system notice shown when the server fails, default 「该公众号暂时无法提供服务，请稍后再试」.
    pub system_notice: String,
    /// Maximum articles accepted in a passive news reply; `None` (default) applies the 1/8 rule
    /// (1 after a text, image, voice, video, link or location message; 8 after events).
    pub passive_max_articles: Option<usize>,
    /// The notice a Mini Program user sees instead, default 「该小程序客服暂时无法提供服务，请稍后再试」.
    pub mini_program_notice: String,
    /// Seeds the draw of rate-triggered faults, so a run's faults are the same draw each time (given the same
    /// order of requests); `None` (default) draws from the thread's generator.
    pub fault_seed: Option<u64>,
}

/// Per-type media size limits (新增临时素材; the documentation's variants disagree, the defaults are the lenient
/// one).
#[derive(Debug, Clone)]
pub struct MediaLimits {
    /// Image bytes, default 10 MB.
    pub image: usize,
    /// Voice bytes, default 2 MB.
    pub voice: usize,
    /// Video bytes, default 10 MB.
    pub video: usize,
    /// Thumb bytes, default 64 KB.
    pub thumb: usize,
}

impl Default for MediaLimits {
    fn default() -> Self {
        MediaLimits { image: 10 << 20, voice: 2 << 20, video: 10 << 20, thumb: 64 << 10 }
    }
}

/// The default system notice text.
pub const SYSTEM_NOTICE: &str = "该公众号暂时无法提供服务，请稍后再试";

/// The default Mini Program notice text.
pub const MINI_PROGRAM_NOTICE: &str = "该小程序客服暂时无法提供服务，请稍后再试";

impl Default for Settings {
    fn default() -> Self {
        Settings {
            token_ttl: Duration::from_secs(7200),
            token_overlap: Duration::from_secs(300),
            token_daily_quota: 2000,
            test_account_token_daily_quota: 200,
            stable_force_daily_quota: 20,
            stable_force_min_gap: Duration::from_secs(30),
            text_max_bytes: 2048,
            news_max_articles: 1,
            typing_interaction: Duration::from_secs(30),
            typing_duration: Duration::from_secs(15),
            media_ttl: Duration::from_secs(3 * 24 * 3600),
            media_limits: MediaLimits::default(),
            push_attempts: 3,
            push_timeout: Duration::from_secs(5),
            fresh_signature_per_attempt: true,
            push_timestamp_skew_secs: 0,
            reject_unicode_escapes: true,
            push_content_type: "text/xml".to_owned(),
            system_notice: SYSTEM_NOTICE.to_owned(),
            passive_max_articles: None,
            mini_program_notice: MINI_PROGRAM_NOTICE.to_owned(),
            fault_seed: None,
        }
    }
}
