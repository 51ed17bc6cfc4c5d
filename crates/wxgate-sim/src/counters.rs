//! Request counters tests can read (how many token requests, sends, push attempts…).

/// A snapshot of what the simulator has seen. Every field counts requests or events since start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counters {
    /// `GET /cgi-bin/token` requests (any outcome).
    pub token_requests: u64,
    /// `POST /cgi-bin/stable_token` requests (any outcome).
    pub stable_token_requests: u64,
    /// New access tokens issued by either endpoint.
    pub tokens_issued: u64,
    /// `POST /cgi-bin/message/custom/send` requests (any outcome).
    pub custom_send_requests: u64,
    /// Customer-service messages accepted (errcode 0).
    pub custom_sent: u64,
    /// Typing requests (any outcome).
    pub typing_requests: u64,
    /// Media upload requests (any outcome).
    pub media_uploads: u64,
    /// Media download requests (any outcome).
    pub media_gets: u64,
    /// API requests answered with any non-zero errcode.
    pub api_errors: u64,
    /// Faults injected (any kind).
    pub faults_injected: u64,
    /// Pushes started (one per user message or event).
    pub pushes: u64,
    /// HTTP attempts made for pushes (retries included).
    pub push_attempts: u64,
    /// System notices shown to users.
    pub system_notices: u64,
}
