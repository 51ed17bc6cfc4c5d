//! `[accounts.llm]`: the model behind an account, and what to say when something stops it.

use serde::{Deserialize, Serialize};

/// Settings of the model for one account. Every field has a default except `base_url` and `model`.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LlmConfig {
    /// Base URL of the OpenAI-compatible API, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`
    /// (`WXGATE_LLM_BASE_URL`).
    pub base_url: String,
    /// Model name (`WXGATE_LLM_MODEL`).
    pub model: String,
    /// API key (`WXGATE_LLM_API_KEY`); empty for local servers that need none. Never logged.
    pub api_key: String,
    /// The system prompt.
    pub system_prompt: String,
    /// Sampling temperature; unset = the server's default.
    pub temperature: Option<f32>,
    /// Most output tokens; unset = the server's default.
    pub max_tokens: Option<u32>,
    /// Seconds before a model call is abandoned; when streaming, seconds without any new text (a long answer may
    /// take longer to write in full).
    pub timeout_secs: u64,
    /// Stream the answer (lower time to first part).
    pub stream: bool,
    /// Earlier turns (user + assistant pairs) kept per user.
    pub history_turns: usize,
    /// Approximate tokens of history kept per user.
    pub history_tokens: usize,
    /// Messages that clear the user's conversation.
    pub reset_commands: Vec<String>,
    /// Reply to a reset.
    pub reset_reply: String,
    /// A model that accepts images; without one, `image_reply` answers images.
    pub vision_model: Option<String>,
    /// Reply to an image when no vision model is configured.
    pub image_reply: String,
    /// Reply to a voice message whose recognition is empty.
    pub empty_voice_reply: String,
    /// Reply when the model fails or times out.
    pub apology: String,
    /// Messages per user per minute.
    pub rate_per_minute: u32,
    /// Messages per user per day.
    pub daily_cap: u32,
    /// Reply when a user hits the rate limit or the daily cap.
    pub limit_reply: String,
    /// Longest accepted input, in characters.
    pub max_input_chars: usize,
    /// Reply to a longer input.
    pub too_long_reply: String,
    /// Greeting for new followers (empty: none from the model layer).
    pub greeting: String,
}

impl std::fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmConfig")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &if self.api_key.is_empty() { "" } else { "<redacted>" })
            .field("stream", &self.stream)
            .field("timeout_secs", &self.timeout_secs)
            .finish_non_exhaustive()
    }
}

impl Default for LlmConfig {
    fn default() -> Self {
        LlmConfig {
            base_url: String::new(),
            model: String::new(),
            api_key: String::new(),
            system_prompt: "你是一个乐于助人的微信公众号助手。回答简洁，使用纯文本，不要使用 Markdown。".into(),
            temperature: None,
            max_tokens: None,
            timeout_secs: 60,
            stream: true,
            history_turns: 10,
            history_tokens: 3000,
            reset_commands: vec!["/reset".into(), "清除记忆".into()],
            reset_reply: "好的，我们重新开始。".into(),
            vision_model: None,
            image_reply: "暂时看不了图片，请用文字描述一下。".into(),
            empty_voice_reply: "没听清，请再说一遍或发文字。".into(),
            apology: "抱歉，我暂时无法回答，请稍后再试。".into(),
            rate_per_minute: 6,
            daily_cap: 200,
            limit_reply: "消息太频繁了，请稍后再试。".into(),
            max_input_chars: 2000,
            too_long_reply: "消息太长了，请精简后再发。".into(),
            greeting: String::new(),
        }
    }
}
