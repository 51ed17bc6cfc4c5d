//! A client for OpenAI-compatible `POST {base_url}/chat/completions`, plain or streamed (server-sent events).

use std::time::Duration;

use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::LlmConfig;

/// Who said a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The system prompt.
    System,
    /// The WeChat user.
    User,
    /// The model.
    Assistant,
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Who said it.
    pub role: Role,
    /// Text, or (for vision models) a JSON array of content parts.
    pub content: Value,
}

impl ChatMessage {
    /// A text message.
    pub fn text(role: Role, text: impl Into<String>) -> Self {
        ChatMessage { role, content: Value::String(text.into()) }
    }

    /// A user message with an image (for vision models).
    pub fn image(url: &str, prompt: &str) -> Self {
        let parts = json!([{"type": "text", "text": prompt}, {"type": "image_url", "image_url": {"url": url}}]);
        ChatMessage { role: Role::User, content: parts }
    }

    /// The text of the message (the text parts of a multi-part one).
    pub fn text_content(&self) -> String {
        match &self.content {
            Value::String(s) => s.clone(),
            Value::Array(parts) => parts.iter().filter_map(|p| p["text"].as_str()).collect::<Vec<_>>().join(" "),
            _ => String::new(),
        }
    }
}

/// An answer and, when the API reports it, what it cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The assistant's message.
    pub text: String,
    /// Tokens counted by the API (`usage`), if it said.
    pub usage: Option<Usage>,
}

/// Tokens of one call, as the API counted them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// Tokens of the messages sent (`prompt_tokens`).
    pub prompt_tokens: u64,
    /// Tokens of the answer (`completion_tokens`).
    pub completion_tokens: u64,
}

impl Usage {
    fn from_json(v: &Value) -> Option<Usage> {
        Some(Usage { prompt_tokens: v["prompt_tokens"].as_u64()?, completion_tokens: v["completion_tokens"].as_u64()? })
    }
}

/// Why a model call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    /// No answer within the configured time.
    #[error("the model did not answer within {0:?}")]
    Timeout(Duration),
    /// The endpoint could not be reached.
    #[error("cannot reach the model endpoint: {0}")]
    Connect(String),
    /// The endpoint answered with an error status.
    #[error("the model endpoint answered HTTP {status}: {body}")]
    Status {
        /// HTTP status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// The answer was not the expected JSON.
    #[error("unexpected answer from the model endpoint: {0}")]
    Decode(String),
    /// The model answered nothing.
    #[error("the model answered nothing")]
    Empty,
}

/// Calls one model.
#[derive(Debug, Clone)]
pub struct ChatClient {
    http: reqwest::Client,
    url: String,
    api_key: Option<String>,
    model: String,
    temperature: Option<f32>,
    max_tokens: Option<u32>,
    timeout: Duration,
    stream: bool,
}

impl ChatClient {
    /// A client from the account's settings.
    pub fn new(cfg: &LlmConfig) -> Self {
        ChatClient {
            http: reqwest::Client::new(),
            url: format!("{}/chat/completions", cfg.base_url.trim_end_matches('/')),
            api_key: (!cfg.api_key.is_empty()).then(|| cfg.api_key.clone()),
            model: cfg.model.clone(),
            temperature: cfg.temperature,
            max_tokens: cfg.max_tokens,
            timeout: Duration::from_secs(cfg.timeout_secs.max(1)),
            stream: cfg.stream,
        }
    }

    /// Asks the model (or `model`, e.g. a vision model) for the next assistant message.
    pub async fn complete(&self, messages: &[ChatMessage], model: Option<&str>) -> Result<String, LlmError> {
        self.complete_with(messages, model, None).await.map(|c| c.text)
    }

    /// Like [`ChatClient::complete`], and when streaming is on, every piece of text is also sent to `deltas` as it
    /// arrives (so the caller can use the start of a long answer before the end is written).
    pub async fn complete_streaming(
        &self,
        messages: &[ChatMessage],
        model: Option<&str>,
        deltas: tokio::sync::mpsc::UnboundedSender<String>,
    ) -> Result<String, LlmError> {
        self.complete_with(messages, model, Some(&deltas)).await.map(|c| c.text)
    }

    /// Like [`ChatClient::complete_streaming`], with the tokens the API reports (a streamed call asks for them
    /// with `stream_options.include_usage`).
    pub async fn complete_counted(
        &self,
        messages: &[ChatMessage],
        model: Option<&str>,
        deltas: tokio::sync::mpsc::UnboundedSender<String>,
    ) -> Result<Completion, LlmError> {
        self.complete_with(messages, model, Some(&deltas)).await
    }

    async fn complete_with(
        &self,
        messages: &[ChatMessage],
        model: Option<&str>,
        deltas: Option<&Deltas>,
    ) -> Result<Completion, LlmError> {
        if self.stream {
            // A streamed answer may take long to write in full; it is abandoned when no text comes for the timeout.
            return self.call(messages, model, deltas).await;
        }
        match tokio::time::timeout(self.timeout, self.call(messages, model, deltas)).await {
            Ok(r) => r,
            Err(_) => Err(LlmError::Timeout(self.timeout)),
        }
    }

    async fn call(
        &self,
        messages: &[ChatMessage],
        model: Option<&str>,
        deltas: Option<&Deltas>,
    ) -> Result<Completion, LlmError> {
        let mut body = json!({ "model": model.unwrap_or(&self.model), "messages": messages, "stream": self.stream });
        if self.stream {
            body["stream_options"] = json!({ "include_usage": true });
        }
        if let Some(t) = self.temperature {
            body["temperature"] = json!(t);
        }
        if let Some(m) = self.max_tokens {
            body["max_tokens"] = json!(m);
        }
        let mut req = self.http.post(&self.url).json(&body);
        if let Some(key) = &self.api_key {
            req = req.bearer_auth(key);
        }
        let resp = tokio::time::timeout(self.timeout, req.send())
            .await
            .map_err(|_| LlmError::Timeout(self.timeout))?
            .map_err(|e| LlmError::Connect(e.to_string()))?;
        let status = resp.status();
        if !status.is_success() {
            let text = resp.text().await.unwrap_or_default();
            return Err(LlmError::Status { status: status.as_u16(), body: text.chars().take(200).collect() });
        }
        let answer = if self.stream { read_stream(resp, deltas, self.timeout).await? } else { read_json(resp).await? };
        if answer.text.trim().is_empty() { Err(LlmError::Empty) } else { Ok(answer) }
    }
}

async fn read_json(resp: reqwest::Response) -> Result<Completion, LlmError> {
    let v: Value = resp.json().await.map_err(|e| LlmError::Decode(e.to_string()))?;
    let text = v["choices"][0]["message"]["content"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| LlmError::Decode("no choices[0].message.content".into()))?;
    Ok(Completion { text, usage: Usage::from_json(&v["usage"]) })
}

/// Where streamed pieces of text go.
type Deltas = tokio::sync::mpsc::UnboundedSender<String>;

/// Reads server-sent events until `[DONE]` or the end; gives up when no event comes within `idle`.
async fn read_stream(resp: reqwest::Response, deltas: Option<&Deltas>, idle: Duration) -> Result<Completion, LlmError> {
    let mut events = resp.bytes_stream().eventsource();
    let mut answer = String::new();
    let mut usage = None;
    while let Some(event) = tokio::time::timeout(idle, events.next()).await.map_err(|_| LlmError::Timeout(idle))? {
        let event = event.map_err(|e| LlmError::Decode(e.to_string()))?;
        if event.data.trim() == "[DONE]" {
            break;
        }
        let v: Value = serde_json::from_str(&event.data).map_err(|e| LlmError::Decode(e.to_string()))?;
        usage = Usage::from_json(&v["usage"]).or(usage);
        if let Some(delta) = v["choices"][0]["delta"]["content"].as_str() {
            answer.push_str(delta);
            if let Some(tx) = deltas {
                let _ = tx.send(delta.to_owned());
            }
        }
    }
    Ok(Completion { text: answer, usage })
}
