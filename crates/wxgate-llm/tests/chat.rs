//! The chat client against the fake model over real HTTP: plain and streamed answers, history, errors, timeouts.

use std::time::Duration;

use wxgate_llm::fake::FakeModel;
use wxgate_llm::{ChatClient, ChatMessage, LlmConfig, LlmError, Role};

fn cfg(fake: &FakeModel, stream: bool) -> LlmConfig {
    LlmConfig {
        base_url: fake.base_url(),
        model: "test-model".into(),
        api_key: "sk-test".into(),
        stream,
        timeout_secs: 2,
        ..LlmConfig::default()
    }
}

#[tokio::test]
async fn plain_and_streamed_answers_carry_the_conversation() {
    let fake = FakeModel::start().await.unwrap();
    for stream in [false, true] {
        let client = ChatClient::new(&cfg(&fake, stream));
        let messages = vec![
            ChatMessage::text(Role::System, "be brief"),
            ChatMessage::text(Role::User, "first"),
            ChatMessage::text(Role::Assistant, "ok"),
            ChatMessage::text(Role::User, "你好，世界！这是一条足够长、会被分成好几段流式发送的消息。"),
        ];
        let answer = client.complete(&messages, None).await.unwrap();
        assert_eq!(
            answer, "echo: 你好，世界！这是一条足够长、会被分成好几段流式发送的消息。 (turn 2)",
            "stream={stream}"
        );
    }
    let sent = fake.requests();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0]["model"], "test-model");
    assert_eq!(sent[1]["stream"], true);
    assert_eq!(sent[0]["messages"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn errors_and_timeouts_are_typed() {
    let fake = FakeModel::start().await.unwrap();
    let client = ChatClient::new(&cfg(&fake, false));
    let ask = [ChatMessage::text(Role::User, "hi")];
    fake.fail_next(1, 503);
    assert!(matches!(client.complete(&ask, None).await, Err(LlmError::Status { status: 503, .. })));
    fake.set_delay(Duration::from_secs(3));
    assert!(matches!(client.complete(&ask, None).await, Err(LlmError::Timeout(_))));
    fake.set_delay(Duration::ZERO);
    fake.set_answer(Some("  ".into()));
    assert_eq!(client.complete(&ask, None).await, Err(LlmError::Empty));
    let nowhere = LlmConfig { base_url: "http://127.0.0.1:1/v1".into(), model: "m".into(), ..LlmConfig::default() };
    assert!(matches!(ChatClient::new(&nowhere).complete(&ask, None).await, Err(LlmError::Connect(_))));
}

#[tokio::test]
async fn a_stream_times_out_only_when_it_stalls() {
    let fake = FakeModel::start().await.unwrap();
    let client = ChatClient::new(&cfg(&fake, true)); // 2 s timeout
    let ask = [ChatMessage::text(Role::User, "hi")];
    // Six pieces 600 ms apart: 3 s in all, longer than the timeout, but never 2 s without text.
    let long = "x".repeat(24 * 6);
    fake.set_answer(Some(long.clone()));
    fake.set_chunk_delay(Duration::from_millis(600));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    assert_eq!(client.complete_streaming(&ask, None, tx).await.unwrap(), long);
    let mut pieces = Vec::new();
    while let Some(p) = rx.recv().await {
        pieces.push(p);
    }
    assert_eq!(pieces.len(), 6, "every piece was handed on as it came");
    // A stream that stalls longer than the timeout is abandoned.
    fake.set_chunk_delay(Duration::from_millis(2500));
    assert!(matches!(client.complete(&ask, None).await, Err(LlmError::Timeout(_))));
    // Without streaming the timeout bounds the whole call.
    let plain = ChatClient::new(&cfg(&fake, false));
    fake.set_chunk_delay(Duration::from_millis(600));
    assert!(matches!(plain.complete(&ask, None).await, Err(LlmError::Timeout(_))), "3 s to write > 2 s");
}
