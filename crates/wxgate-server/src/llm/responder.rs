//! One account's model: inputs, guards, the per-user conversation, and the call.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use wxgate_llm::guard::{Guard, Limit};
use wxgate_llm::{ChatClient, ChatMessage, LlmConfig, Role, history};
use wxgate_proto::{Event, InboundKind, ReplyBody};
use wxgate_store::{ConversationStore, Turn};

use crate::context::Context;

/// Answers one account's users with its model.
#[derive(Debug)]
pub struct LlmResponder {
    cfg: LlmConfig,
    client: ChatClient,
    store: Arc<dyn ConversationStore>,
    guard: Guard,
    /// One lock per user: a user's messages are answered one after another, in order.
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl LlmResponder {
    /// A responder for an account's `[llm]` settings, keeping conversations in `store`.
    pub fn new(cfg: LlmConfig, store: Arc<dyn ConversationStore>) -> Self {
        LlmResponder {
            client: ChatClient::new(&cfg),
            guard: Guard::new(cfg.rate_per_minute, cfg.daily_cap),
            cfg,
            store,
            locks: Mutex::new(HashMap::new()),
        }
    }

    /// The answer to a push, or `None` when the model has nothing to do with it.
    pub async fn answer(&self, ctx: &Context) -> Option<ReplyBody> {
        let openid = ctx.inbound.from_user.as_str();
        let account = ctx.account.name.as_str();
        let input = match &ctx.inbound.kind {
            InboundKind::Text(t) => Input::Text(t.content.trim().to_owned()),
            InboundKind::Voice(v) => match v.recognition.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
                Some(text) => Input::Text(text.to_owned()),
                None => return Some(ReplyBody::text(&self.cfg.empty_voice_reply)),
            },
            InboundKind::Image { pic_url: Some(url), .. } if self.cfg.vision_model.is_some() => {
                Input::Image(url.clone())
            }
            InboundKind::Image { .. } => return Some(ReplyBody::text(&self.cfg.image_reply)),
            InboundKind::Event(Event::Subscribe { .. }) if !self.cfg.greeting.is_empty() => {
                return Some(ReplyBody::text(&self.cfg.greeting));
            }
            _ => return None,
        };
        if let Input::Text(text) = &input {
            if text.is_empty() {
                return None;
            }
            if self.cfg.reset_commands.iter().any(|c| c == text) {
                if let Err(e) = self.store.clear(account, openid).await {
                    tracing::error!(account, error = %e, "cannot clear a conversation");
                }
                return Some(ReplyBody::text(&self.cfg.reset_reply));
            }
            if text.chars().count() > self.cfg.max_input_chars {
                return Some(ReplyBody::text(&self.cfg.too_long_reply));
            }
        }
        match self.guard.check(openid, crate::outbox::now_ms()) {
            Ok(()) => {}
            Err(Limit::Rate | Limit::Daily) => return Some(ReplyBody::text(&self.cfg.limit_reply)),
        }
        let lock = self.lock_for(openid);
        let _turn = lock.lock().await;
        Some(ReplyBody::text(self.converse(account, openid, input).await))
    }

    fn lock_for(&self, openid: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.locks.lock().expect("locks").entry(openid.to_owned()).or_default().clone()
    }

    async fn converse(&self, account: &str, openid: &str, input: Input) -> String {
        let stored = self.store.load(account, openid).await.unwrap_or_else(|e| {
            tracing::error!(account, error = %e, "cannot load a conversation; answering without it");
            Vec::new()
        });
        let mut history: Vec<ChatMessage> = stored
            .iter()
            .map(|t| ChatMessage::text(if t.role == "assistant" { Role::Assistant } else { Role::User }, &t.content))
            .collect();
        history::trim(&mut history, self.cfg.history_turns, self.cfg.history_tokens);
        let (question, model, said) = match &input {
            Input::Text(t) => (ChatMessage::text(Role::User, t), None, t.clone()),
            Input::Image(url) => {
                (ChatMessage::image(url, "请描述这张图片。"), self.cfg.vision_model.as_deref(), "[图片]".into())
            }
        };
        let mut messages = Vec::with_capacity(history.len() + 2);
        if !self.cfg.system_prompt.is_empty() {
            messages.push(ChatMessage::text(Role::System, &self.cfg.system_prompt));
        }
        messages.extend(history.iter().cloned());
        messages.push(question);
        let answer = match self.client.complete(&messages, model).await {
            Ok(a) => wxgate_proto::text::markdown_to_text(&a),
            Err(e) => {
                tracing::error!(account, error = %e, "model call failed; answering the apology");
                return self.cfg.apology.clone();
            }
        };
        history.push(ChatMessage::text(Role::User, said));
        history.push(ChatMessage::text(Role::Assistant, &answer));
        history::trim(&mut history, self.cfg.history_turns, self.cfg.history_tokens);
        let turns: Vec<Turn> = history
            .iter()
            .map(|m| Turn::new(if m.role == Role::Assistant { "assistant" } else { "user" }, m.text_content()))
            .collect();
        if let Err(e) = self.store.save(account, openid, &turns).await {
            tracing::error!(account, error = %e, "cannot save a conversation");
        }
        answer
    }
}

enum Input {
    Text(String),
    Image(String),
}
