//! Customer-service calls (客服消息): `message/custom/send` and the typing indicator (客服输入状态).

use bytes::Bytes;
use reqwest::Method;
use wxgate_proto::kf::{KfBody, KfMessage, TypingCommand, TypingRequest};

use crate::http::{Call, Payload};
use crate::{Client, ClientError};

/// The send path.
pub const SEND_PATH: &str = "/cgi-bin/message/custom/send";

impl Client {
    /// Sends one customer-service message. The body is [`KfMessage::to_json`], rebuilt for every attempt.
    pub async fn send(&self, message: &KfMessage) -> Result<(), ClientError> {
        let call = Call {
            method: Method::POST,
            path: SEND_PATH,
            query: Vec::new(),
            payload: Payload::Json(Bytes::from(message.to_json())),
        };
        self.transport().call(&call).await.map(|_| ())
    }

    /// Sends a text message to `openid`.
    pub async fn send_text(&self, openid: &str, content: &str) -> Result<(), ClientError> {
        self.send(&KfMessage::new(openid, KfBody::text(content))).await
    }

    /// Shows or cancels "typing" for `openid`.
    pub async fn typing(&self, openid: &str, command: TypingCommand) -> Result<(), ClientError> {
        let body = serde_json::to_vec(&TypingRequest { touser: openid.to_owned(), command })
            .map_err(|e| ClientError::Decode(e.to_string()))?;
        let call = Call {
            method: Method::POST,
            path: self.config().typing_path.path(),
            query: Vec::new(),
            payload: Payload::Json(Bytes::from(body)),
        };
        self.transport().call(&call).await.map(|_| ())
    }
}
