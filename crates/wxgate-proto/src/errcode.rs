//! Platform error codes (WeChat's global return codes, 全局返回码, as the customer-service, access-token and media
//! APIs answer them) as a typed enum with an `Unknown` fallback, and the retry class
//! each one implies, so the client, the outbox worker and the simulator share one reading of every code.
//!
//! Match on the number, never on `errmsg`: the platform appends ` rid: …` / ` hint: […]` suffixes.

/// What a caller should do after an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryClass {
    /// Transient: try again after an (exponential, jittered) back-off.
    Backoff,
    /// The access token was rejected: invalidate exactly that token, refresh once and replay once.
    RefreshToken,
    /// Retrying the same request cannot succeed; a person or a later user interaction must change something.
    Permanent,
}

macro_rules! errcodes {
    ($( $(#[$doc:meta])* $name:ident = $code:literal, $class:ident, $meaning:literal, $advice:literal; )*) => {
        /// A platform `errcode`. Codes not listed here keep their number in [`ErrCode::Unknown`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrCode {
            $( $(#[$doc])* $name, )*
            /// Any other code (treated as permanent).
            Unknown(i64),
        }

        impl ErrCode {
            /// The typed code for a number.
            pub fn from_code(code: i64) -> ErrCode {
                match code {
                    $( $code => ErrCode::$name, )*
                    other => ErrCode::Unknown(other),
                }
            }

            /// The number on the wire.
            pub fn code(self) -> i64 {
                match self {
                    $( ErrCode::$name => $code, )*
                    ErrCode::Unknown(c) => c,
                }
            }

            /// What to do after this error.
            pub fn retry_class(self) -> RetryClass {
                match self {
                    $( ErrCode::$name => RetryClass::$class, )*
                    ErrCode::Unknown(_) => RetryClass::Permanent,
                }
            }

            /// What the code means, in one line.
            pub fn meaning(self) -> &'static str {
                match self {
                    $( ErrCode::$name => $meaning, )*
                    ErrCode::Unknown(_) => "an error code wxgate does not know",
                }
            }

            /// What to do about it, in one line.
            pub fn advice(self) -> &'static str {
                match self {
                    $( ErrCode::$name => $advice, )*
                    ErrCode::Unknown(_) => "look the code up in the WeChat global error code table",
                }
            }
        }
    };
}

errcodes! {
    /// -1: system busy.
    SystemBusy = -1, Backoff, "the platform is busy", "retried automatically with back-off; try again later";
    /// 0: success.
    Ok = 0, Permanent, "success", "nothing to do";
    /// 40001: invalid credential (token overwritten/invalid, or a wrong AppSecret at the token endpoint).
    InvalidCredential = 40001, RefreshToken, "access token invalid or not the latest (or a wrong AppSecret)",
        "the token is refreshed once automatically; if it persists, check WXGATE_APPSECRET and that no other process calls /cgi-bin/token";
    /// 40002: invalid grant_type.
    InvalidGrantType = 40002, Permanent, "invalid grant_type", "grant_type must be client_credential";
    /// 40003: invalid openid.
    InvalidOpenid = 40003, Permanent, "the openid does not belong to this account", "check the openid and the appid";
    /// 40004: invalid media type.
    InvalidMediaType = 40004, Permanent, "invalid media type", "use image, voice, video or thumb (Mini Programs: image only)";
    /// 40005: invalid file type.
    InvalidFileType = 40005, Permanent, "invalid file format", "use a format the media type accepts";
    /// 40006: invalid file size.
    InvalidFileSize = 40006, Permanent, "invalid file size", "check the file is not empty and within the type's limit";
    /// 40007: invalid media_id.
    InvalidMediaId = 40007, Permanent, "unknown or expired media_id (temporary media live 3 days)", "upload the media again, then send";
    /// 40008: invalid message type.
    InvalidMessageType = 40008, Permanent, "this account cannot send this message type", "Mini Programs send only text, image, link and miniprogrampage";
    /// 40009: invalid image size.
    InvalidImageSize = 40009, Permanent, "image too large", "keep images within 2 MB";
    /// 40010: invalid voice size.
    InvalidVoiceSize = 40010, Permanent, "voice too large", "keep voice within 2 MB and 60 s";
    /// 40011: invalid video size.
    InvalidVideoSize = 40011, Permanent, "video too large", "keep videos within 10 MB";
    /// 40012: invalid thumb size.
    InvalidThumbSize = 40012, Permanent, "thumbnail too large", "keep thumbnails within 64 KB";
    /// 40013: invalid appid.
    InvalidAppid = 40013, Permanent, "invalid appid", "check WXGATE_APPID";
    /// 40014: invalid access_token.
    InvalidAccessToken = 40014, RefreshToken, "malformed or expired access token", "the token is refreshed once automatically";
    /// 40033: `\uXXXX` escapes in the body.
    InvalidCharset = 40033, Permanent, "the body contains \\uXXXX escapes", "send raw UTF-8";
    /// 40125: invalid AppSecret.
    InvalidAppSecret = 40125, Permanent, "invalid AppSecret", "check WXGATE_APPSECRET";
    /// 40164: caller IP not in the whitelist.
    IpNotWhitelisted = 40164, Permanent, "this machine's IP is not in the API IP whitelist", "add the IP in the console (基本配置 → IP白名单)";
    /// 41001: access_token missing.
    AccessTokenMissing = 41001, Permanent, "access token missing", "configure an AppSecret, or enable the Cloud Hosting open interface service";
    /// 41005: media data missing.
    MediaDataMissing = 41005, Permanent, "media data missing", "send the file as multipart field `media`";
    /// 42001: access_token expired.
    AccessTokenExpired = 42001, RefreshToken, "access token expired", "the token is refreshed once automatically";
    /// 43004: the user has not followed.
    RequireSubscribe = 43004, Permanent, "the user does not follow the account", "wait until the user follows";
    /// 44002: empty post data.
    EmptyPostData = 44002, Permanent, "empty request body", "send a JSON body";
    /// 44004: empty text content.
    EmptyContent = 44004, Permanent, "empty text content", "send non-empty text";
    /// 45002: content too long.
    ContentTooLong = 45002, Permanent, "content too long", "split the text into parts of at most 2048 bytes";
    /// 45008: too many articles.
    TooManyArticles = 45008, Permanent, "too many news articles", "send one article per message";
    /// 45009: daily API quota reached.
    DailyQuotaReached = 45009, Permanent, "daily API quota reached", "wait for the daily reset (or clear_quota)";
    /// 45011: calls too frequent.
    TooFrequent = 45011, Backoff, "API called too often", "retried automatically after a delay";
    /// 45015: the 48-hour window is closed or the user unfollowed.
    WindowClosed = 45015, Permanent, "customer-service window closed (no interaction within 48 h) or the user unfollowed",
        "wait for the user's next message, then send";
    /// 45047: per-interaction quota used up.
    QuotaExhausted = 45047, Permanent, "customer-service quota for this interaction used up (5 per 48 h)",
        "wait for the user's next message; pack answers into fewer messages";
    /// 45072: bad typing command.
    TypingBadCommand = 45072, Permanent, "typing command must be Typing or CancelTyping", "fix the command";
    /// 45080: typing needs an interaction within 30 s.
    TypingNoRecentInteraction = 45080, Permanent, "typing needs a user message within the last 30 seconds", "send typing right after the user writes";
    /// 45081: already typing.
    TypingAlreadyActive = 45081, Permanent, "typing status already shown", "wait 15 s or send the message";
    /// 47001: data format error.
    DataFormatError = 47001, Permanent, "malformed request body", "check the JSON body";
    /// 48001: API not authorised for this account.
    ApiUnauthorized = 48001, Permanent, "the account lacks permission for this API (e.g. unverified subscription account)",
        "verify the account or use passive replies only";
    /// 48004: API banned.
    ApiBanned = 48004, Permanent, "this API is banned for the account", "see the notice in the console";
    /// 50001: user unauthorised.
    UserUnauthorized = 50001, Permanent, "user not authorised for this API", "check the account's permissions";
    /// 50002: user limited.
    UserLimited = 50002, Permanent, "the user is limited", "nothing can be sent to this user now";
    /// 89503: the IP needs an administrator's confirmation.
    IpNeedsConfirmation = 89503, Permanent, "this IP needs an administrator's confirmation", "confirm the call in the console";
}

impl ErrCode {
    /// True for `0`.
    pub fn is_ok(self) -> bool {
        self == ErrCode::Ok
    }
}

impl std::fmt::Display for ErrCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.code(), self.meaning())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_classes() {
        for code in [-1, 0, 40001, 40014, 42001, 45002, 45009, 45011, 45015, 45047, 48001, 99999] {
            assert_eq!(ErrCode::from_code(code).code(), code);
        }
        assert_eq!(ErrCode::from_code(99999), ErrCode::Unknown(99999));
        assert_eq!(ErrCode::from_code(-1).retry_class(), RetryClass::Backoff);
        assert_eq!(ErrCode::from_code(45011).retry_class(), RetryClass::Backoff);
        for c in [40001, 40014, 42001] {
            assert_eq!(ErrCode::from_code(c).retry_class(), RetryClass::RefreshToken);
        }
        for c in [45015, 45047, 48001, 45002, 40003, 45009, 99999] {
            assert_eq!(ErrCode::from_code(c).retry_class(), RetryClass::Permanent, "{c}");
        }
        assert_eq!(ErrCode::WindowClosed.to_string().split(' ').next(), Some("45015"));
    }
}
