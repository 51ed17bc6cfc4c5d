//! The one error type of the simulator library.

/// What can go wrong driving the simulator (not platform errcodes: those are answers, not errors).
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// No account with this appid is configured.
    #[error("unknown account {0}")]
    UnknownAccount(String),
    /// The account has no delivery target.
    #[error("account {0} has no delivery target")]
    NoDelivery(String),
    /// The protocol core refused something: a bad EncodingAESKey, a push that does not encode.
    #[error("protocol: {0}")]
    Proto(#[from] wxgate_proto::ProtoError),
    /// Compatible or safe mode needs an EncodingAESKey.
    #[error("account {0}: compatible and safe mode need an encoding_aes_key")]
    MissingAesKey(String),
    /// Binding or serving the listener failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// The HTTP client could not be built or a request could not be sent.
    #[error("http client: {0}")]
    Http(String),
    /// A transcript condition did not become true in time.
    #[error("timed out waiting for a transcript condition")]
    WaitTimeout,
    /// A transcript file could not be read, or holds an action that is not one.
    #[error("transcript: {0}")]
    Transcript(String),
    /// The configuration file could not be read or parsed.
    #[error("config: {0}")]
    Config(String),
}
