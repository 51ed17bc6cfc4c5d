//! One account's model: inputs, guards, the per-user conversation, and the call.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use wxgate_llm::guard::{Guard, Limit};
use wxgate_llm::{ChatClient, ChatMessage, LlmConfig, Role, history};
use wxgate_proto::{Event, InboundKind, ReplyBody};
use wxgate_store::{ConversationStore, Turn};

use super::Cutter;
use crate::clock::Clock;
use crate::context::Context;

/// Answers one account's users with its model.
#[derive(Debug)]
pub(crate) struct LlmResponder {
    cfg: LlmConfig,
    client: ChatClient,
    store: Arc<dyn ConversationStore>,
    guard: Guard,
    /// One lock per user: a user's messages are answered one after another, in order.
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    clock: Clock,
}

impl LlmResponder {
    /// A responder for an account's `[llm]` settings, keeping conversations in `store`.
    pub(crate) fn new(cfg: LlmConfig, store: Arc<dyn ConversationStore>, clock: Clock) -> Self {
        LlmResponder {
            client: ChatClient::new(&cfg),
            guard: Guard::new(cfg.rate_per_minute, cfg.daily_cap),
            cfg,
            store,
            locks: Mutex::new(HashMap::new()),
            clock,
        }
    }

    /// The answer to a push, or `None` when the model has nothing to do with it. A long streamed answer goes out
    /// part by part while the model writes it; the answer returned is then its last part.
    pub(crate) async fn answer(&self, ctx: &Arc<Context>) -> Option<ReplyBody> {
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
        match self.guard.check(openid, self.clock.now_ms()) {
            Ok(()) => {}
            Err(Limit::Rate | Limit::Daily) => return Some(ReplyBody::text(&self.cfg.limit_reply)),
        }
        let lock = self.lock_for(openid);
        let _turn = lock.lock().await;
        Some(ReplyBody::text(self.converse(ctx, input).await))
    }

    fn lock_for(&self, openid: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.locks.lock().expect("locks").entry(openid.to_owned()).or_default().clone()
    }

    async fn converse(&self, ctx: &Arc<Context>, input: Input) -> String {
        let (account, openid) = (ctx.account.name.as_str(), ctx.inbound.from_user.as_str());
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
        let (result, streamed) = self.call(ctx, &messages, model).await;
        let answer = match result {
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
        // What is left to say: the whole answer, or after parts already sent, the rest.
        streamed.unwrap_or(answer)
    }

    /// Calls the model; while it streams, every finished part of a long answer is sent at once. Returns the
    /// result and, when parts were sent, the rest still to say.
    async fn call(
        &self,
        ctx: &Arc<Context>,
        messages: &[ChatMessage],
        model: Option<&str>,
    ) -> (Result<String, wxgate_llm::LlmError>, Option<String>) {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let forward = async {
            let (mut cutter, mut held, mut sent) = (Cutter::default(), Vec::new(), 0usize);
            while let Some(delta) = rx.recv().await {
                for part in cutter.push(&delta) {
                    // Once a part could not go early, the later ones wait too, so the order holds.
                    if held.is_empty() && ctx.send_early(ReplyBody::text(part.clone())).await {
                        sent += 1;
                    } else {
                        held.push(part);
                    }
                }
            }
            (cutter, held, sent)
        };
        let started = std::time::Instant::now();
        let (result, (cutter, mut held, sent)) =
            tokio::join!(self.client.complete_counted(messages, model, tx), forward);
        count_call(&ctx.account.name, &result, started.elapsed());
        let result = result.map(|c| c.text);
        if sent == 0 {
            return (result, None);
        }
        tracing::debug!(account = %ctx.account.name, parts = sent, "parts of a long answer sent while it was written");
        held.push(cutter.finish());
        (result, Some(held.join("\n\n")))
    }
}

/// Counts a model call: its outcome, how long it took, and the tokens the API reported.
fn count_call(account: &str, result: &Result<wxgate_llm::Completion, wxgate_llm::LlmError>, took: std::time::Duration) {
    use crate::metrics::{self, Metrics};
    let m = metrics::get();
    Metrics::inc(&m.model_calls, account, "outcome", if result.is_ok() { "ok" } else { "error" });
    Metrics::observe(&m.model_seconds, account, took);
    if let Ok(wxgate_llm::Completion { usage: Some(usage), .. }) = result {
        Metrics::add(&m.model_tokens, account, "direction", "in", usage.prompt_tokens);
        Metrics::add(&m.model_tokens, account, "direction", "out", usage.completion_tokens);
    }
}

enum Input {
    Text(String),
    Image(String),
}
