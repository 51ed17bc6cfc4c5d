//! The classic server URL: signature and timestamp checks, account choice, decryption (WeChat's 消息加解密).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use wxgate_proto::crypto::EncryptedEnvelope;
use wxgate_proto::{Format, Inbound, tree};

use super::reject::Reject;
use crate::account::{Account, DeliveryMode, EncryptionMode};
use crate::clock::Clock;
use wxgate_proto::query::SignedQuery;

/// The signed parts of a query, all present.
pub(crate) struct Signed<'a> {
    /// `timestamp`.
    pub(crate) timestamp: &'a str,
    /// `nonce`.
    pub(crate) nonce: &'a str,
    /// `signature`.
    pub(crate) signature: &'a str,
}

/// Requires `signature`, `timestamp` and `nonce`, and checks the timestamp window.
pub(crate) fn signed_parts<'a>(
    q: &'a SignedQuery<'_>,
    window: Option<Duration>,
    clock: Clock,
) -> Result<Signed<'a>, Reject> {
    let (Some(signature), Some(timestamp), Some(nonce)) = (&q.signature, &q.timestamp, &q.nonce) else {
        return Err(Reject::unauthorized("missing signature, timestamp or nonce"));
    };
    if let Some(window) = window {
        let ts: i64 = timestamp.trim().parse().map_err(|_| Reject::unauthorized("timestamp is not a number"))?;
        let now = clock.now_secs();
        if now.abs_diff(ts) > window.as_secs() {
            return Err(Reject::unauthorized("timestamp outside the accepted window"));
        }
    }
    Ok(Signed { timestamp, nonce, signature })
}

/// The classic account whose token verifies the signature.
pub(crate) fn account_for<'a>(accounts: &'a [Arc<Account>], s: &Signed<'_>) -> Result<&'a Arc<Account>, Reject> {
    accounts
        .iter()
        .filter(|a| a.delivery == DeliveryMode::Classic)
        .find(|a| a.crypto.verify_url(s.timestamp, s.nonce, s.signature).is_ok())
        .ok_or_else(|| Reject::unauthorized("signature mismatch"))
}

/// Decodes a classic push body, decrypting it when the query says so. Returns the push and its inner format.
pub(crate) fn open_push(
    account: &Account,
    q: &SignedQuery<'_>,
    s: &Signed<'_>,
    body: &Bytes,
) -> Result<(Inbound, Format), Reject> {
    let format = Format::sniff(body)?;
    if !q.is_encrypted() {
        if account.encryption == EncryptionMode::Safe {
            return Err(Reject::unauthorized("plaintext push refused: this account accepts encrypted pushes only"));
        }
        return Ok((Inbound::decode(body, format)?, format));
    }
    if account.encryption == EncryptionMode::Plain {
        return Err(Reject::bad_request("encrypted push refused: this account is configured for plaintext"));
    }
    if !account.crypto.can_encrypt() {
        tracing::error!(account = %account.name, "encrypted push but no aes_key is configured");
        return Err(Reject::bad_request("encrypted push but no EncodingAESKey is configured"));
    }
    let msg_signature = q.msg_signature.as_deref().ok_or_else(|| Reject::unauthorized("missing msg_signature"))?;
    let outer = tree::decode(body, format)?;
    let encrypt = outer.text("Encrypt").ok_or_else(|| Reject::bad_request("encrypted push without Encrypt"))?;
    let inner =
        account.crypto.open(EncryptedEnvelope { encrypt, timestamp: s.timestamp, nonce: s.nonce, msg_signature })?;
    let inner_format = Format::sniff(&inner)?;
    Ok((Inbound::decode(&inner, inner_format)?, inner_format))
}
