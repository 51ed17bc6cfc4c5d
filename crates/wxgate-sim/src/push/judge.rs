//! Judging a developer server's answer as the platform does: `success` or an empty body means
//! "nothing to show"; otherwise the body must be a valid passive reply for this user, in the account's format,
//! encrypted and correctly signed in safe mode (either form in compatible mode). Anything else — JSON in classic
//! XML mode, bad XML (including a character XML 1.0 forbids, such as U+0001, which the platform's strict parser
//! refuses), a wrong signature, too many articles, empty text, an unknown MsgType — is invalid and the
//! user sees the system notice.

use wxgate_proto::crypto::{MessageCrypto, SealedReply};
use wxgate_proto::{Format, Inbound, Reply, ReplyBody, tree};

use crate::account::{Account, Delivery, Mode};

/// The platform's verdict on one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// `success` or empty: nothing appears.
    Nothing,
    /// A valid passive reply: it appears on the phone.
    Reply(Reply),
    /// An abnormal answer, with the reason: the system notice appears.
    Invalid(String),
}

/// What the judge needs to know about the push being answered.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The account.
    pub account: &'a Account,
    /// The user the reply must be addressed to.
    pub openid: &'a str,
    /// The inbound push (for the news-article rule).
    pub inbound: &'a Inbound,
    /// Article limit override; `None` applies the 1/8 rule.
    pub max_articles: Option<usize>,
}

fn invalid(reason: impl Into<String>) -> Verdict {
    Verdict::Invalid(reason.into())
}

/// Judges an HTTP 200 answer body.
pub fn judge(ctx: Context<'_>, body: &[u8]) -> Verdict {
    if body.is_empty() || body == b"success" {
        return Verdict::Nothing;
    }
    let account = ctx.account;
    let expected: Format = account.format.into();
    let format = match Format::sniff(body) {
        Ok(f) => f,
        Err(_) => return invalid("answer is neither `success`, empty, XML nor JSON"),
    };
    if format != expected {
        return invalid(match format {
            Format::Json => "JSON answer where XML was expected (classic callback)",
            Format::Xml => "XML answer where JSON was expected",
        });
    }
    if let Some(bad) = forbidden_char(body) {
        return invalid(format!("malformed answer: {bad}"));
    }
    let fields = match tree::decode(body, format) {
        Ok(f) => f,
        Err(e) => return invalid(format!("malformed answer: {e}")),
    };
    let cloud = matches!(account.delivery, Some(Delivery::CloudHosting { .. }));
    let encrypted = fields.text("Encrypt").is_some() || fields.text("encrypt").is_some();
    let inner;
    let fields = if encrypted {
        if cloud || account.mode == Mode::Plain {
            return invalid("encrypted answer but the account is in plaintext mode");
        }
        let opened = SealedReply::from_fields(&fields).and_then(|sealed| {
            MessageCrypto::new(&account.token, account.encoding_aes_key.as_deref(), &account.appid)?.open_reply(&sealed)
        });
        inner = match opened {
            Ok(bytes) => bytes,
            Err(e) => return invalid(format!("encrypted answer rejected: {e}")),
        };
        if inner.is_empty() || inner == b"success" {
            return Verdict::Nothing;
        }
        if let Some(bad) = forbidden_char(&inner) {
            return invalid(format!("malformed decrypted answer: {bad}"));
        }
        match Format::sniff(&inner).and_then(|f| tree::decode(&inner, f)) {
            Ok(f) => f,
            Err(e) => return invalid(format!("malformed decrypted answer: {e}")),
        }
    } else {
        if !cloud && account.mode == Mode::Safe {
            return invalid("plaintext answer in safe mode");
        }
        fields
    };
    let reply = match Reply::from_fields(&fields) {
        Ok(r) => r,
        Err(e) => return invalid(format!("not a valid reply: {e}")),
    };
    if reply.to_user != ctx.openid {
        return invalid(format!("reply addressed to {:?}, not to this user", reply.to_user));
    }
    let transfer = matches!(reply.body, ReplyBody::TransferCustomerService { .. });
    if account.kind.is_mini_program() && !transfer {
        return invalid("Mini Programs cannot answer passively (only transfer_customer_service)");
    }
    let max = ctx.max_articles.unwrap_or_else(|| Reply::max_articles_for(ctx.inbound));
    if let Err(e) = reply.validate(max) {
        return invalid(e.to_string());
    }
    Verdict::Reply(reply)
}

/// What makes `body` unreadable to a strict parser before any structure is looked at: bytes that are not UTF-8, or a
/// character XML 1.0 forbids (raw in XML, or escaped as `\uXXXX` in JSON — the platform reads the text into XML).
fn forbidden_char(body: &[u8]) -> Option<String> {
    let Ok(text) = std::str::from_utf8(body) else { return Some("not UTF-8".into()) };
    if let Some(c) = text.chars().find(|&c| !wxgate_proto::write::is_xml_char(c)) {
        return Some(format!("character U+{:04X} is not allowed in XML", c as u32));
    }
    let escaped = serde_json::from_str::<serde_json::Value>(text).ok()?;
    let mut stack = vec![&escaped];
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::String(s) if !s.chars().all(wxgate_proto::write::is_xml_char) => {
                return Some("a string escapes a character XML 1.0 forbids".into());
            }
            serde_json::Value::Array(items) => stack.extend(items),
            serde_json::Value::Object(map) => stack.extend(map.values()),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::{AccountKind, DataFormat};

    const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

    fn inbound() -> Inbound {
        Inbound::from_xml(
            b"<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>\
              <MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>",
        )
        .unwrap()
    }

    fn sealed(appid: &str, reply: &Reply, json: bool) -> Vec<u8> {
        let body = if json { reply.to_json() } else { reply.to_xml() };
        let s = MessageCrypto::new("tok", Some(KEY), appid).unwrap().seal(body.as_bytes(), "1700000000", "9").unwrap();
        if json { s.to_json() } else { s.to_xml() }.into_bytes()
    }

    #[test]
    fn encrypted_reply_for_another_appid_is_rejected() {
        let account = Account::new("wxA", "s", "gh_1", "tok").with_mode(Mode::Safe, Some(KEY));
        let inbound = inbound();
        let ctx = Context { account: &account, openid: "o1", inbound: &inbound, max_articles: None };
        let reply = Reply::to(&inbound, 1, ReplyBody::text("x"));
        assert!(matches!(judge(ctx, &sealed("wxA", &reply, false)), Verdict::Reply(_)));
        assert!(matches!(judge(ctx, &sealed("wxB", &reply, false)), Verdict::Invalid(r) if r.contains("rejected")));
    }

    #[test]
    fn json_mode_accepts_a_json_envelope_and_rejects_xml() {
        let account = Account::new("wxA", "s", "gh_1", "tok")
            .with_mode(Mode::Safe, Some(KEY))
            .with_format(DataFormat::Json)
            .with_kind(AccountKind::MiniProgram);
        let inbound = inbound();
        let ctx = Context { account: &account, openid: "o1", inbound: &inbound, max_articles: None };
        let transfer = Reply::to(&inbound, 1, ReplyBody::TransferCustomerService { kf_account: None });
        assert!(matches!(judge(ctx, &sealed("wxA", &transfer, true)), Verdict::Reply(_)));
        assert!(
            matches!(judge(ctx, &sealed("wxA", &transfer, false)), Verdict::Invalid(r) if r.contains("XML answer"))
        );
    }

    #[test]
    fn plaintext_mode_rejects_an_encrypted_answer_and_near_success() {
        let account = Account::new("wxA", "s", "gh_1", "tok");
        let inbound = inbound();
        let ctx = Context { account: &account, openid: "o1", inbound: &inbound, max_articles: None };
        let reply = Reply::to(&inbound, 1, ReplyBody::text("x"));
        assert!(
            matches!(judge(ctx, &sealed("wxA", &reply, false)), Verdict::Invalid(r) if r.contains("plaintext mode"))
        );
        assert!(matches!(judge(ctx, reply.to_xml().as_bytes()), Verdict::Reply(_)));
        assert!(matches!(judge(ctx, b"success\n"), Verdict::Invalid(_)), "only exactly `success` counts");
    }

    #[test]
    fn a_character_xml_forbids_makes_the_answer_malformed() {
        let account = Account::new("wxA", "s", "gh_1", "tok");
        let inbound = inbound();
        let ctx = Context { account: &account, openid: "o1", inbound: &inbound, max_articles: None };
        let good = Reply::to(&inbound, 1, ReplyBody::text("ab")).to_xml();
        assert!(matches!(judge(ctx, good.as_bytes()), Verdict::Reply(_)));
        // Written by hand: the library's writer would drop the character.
        let raw = good.replace("ab", "a\u{1}b");
        assert!(matches!(judge(ctx, raw.as_bytes()), Verdict::Invalid(r) if r.contains("U+0001")), "{raw:?}");
        let json = Account::new("wxA", "s", "gh_1", "tok").with_format(DataFormat::Json);
        let ctx = Context { account: &json, ..ctx };
        let escaped =
            r#"{"ToUserName":"o1","FromUserName":"gh_1","CreateTime":1,"MsgType":"text","Content":"a\u0001b"}"#;
        assert!(matches!(judge(ctx, escaped.as_bytes()), Verdict::Invalid(r) if r.contains("forbids")));
    }
}
