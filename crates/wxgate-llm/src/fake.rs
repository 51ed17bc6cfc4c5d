//! A deterministic OpenAI-compatible server for tests and demos, on `127.0.0.1:0`.
//!
//! It answers `POST /v1/chat/completions` with `echo: <last user text> (turn <n>)` where `n` counts the user
//! messages it was sent (so a test sees whether history was carried), or with a fixed answer; it honours
//! `"stream": true` with server-sent events (optionally paced, like a model writing), can be slowed down or made to
//! fail, and records every request body. A question holding `think <N>ms` is answered after N milliseconds
//! instead of the set delay, so one test can mix fast and slow answers.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Characters per streamed piece.
pub const PIECE_CHARS: usize = 24;

#[derive(Debug, Default)]
struct Behaviour {
    delay: Duration,
    chunk_delay: Duration,
    completed: usize,
    answer: Option<String>,
    failures: Vec<u16>,
    requests: Vec<Value>,
}

/// A running fake model.
#[derive(Debug, Clone)]
pub struct FakeModel {
    addr: std::net::SocketAddr,
    state: Arc<Mutex<Behaviour>>,
}

impl FakeModel {
    /// Starts the server on an ephemeral port; it runs until the runtime stops.
    pub async fn start() -> std::io::Result<FakeModel> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(Behaviour::default()));
        let app =
            axum::Router::new().route("/v1/chat/completions", axum::routing::post(complete)).with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(FakeModel { addr, state })
    }

    /// The `base_url` to configure: `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Answers after this delay.
    pub fn set_delay(&self, delay: Duration) {
        self.state.lock().expect("fake lock").delay = delay;
    }

    /// The model writes one piece ([`PIECE_CHARS`] characters) every `delay`: a streamed answer sends each piece as it is
    /// written; a plain one is sent once all would have been written (a model takes as long either way).
    pub fn set_chunk_delay(&self, delay: Duration) {
        self.state.lock().expect("fake lock").chunk_delay = delay;
    }

    /// How many answers have been written to the end (a streamed one counts once its last piece is out).
    pub fn completed(&self) -> usize {
        self.state.lock().expect("fake lock").completed
    }

    /// Answers this text instead of the echo (`None`: echo again).
    pub fn set_answer(&self, answer: Option<String>) {
        self.state.lock().expect("fake lock").answer = answer;
    }

    /// The next `n` requests fail with HTTP `status`.
    pub fn fail_next(&self, n: usize, status: u16) {
        self.state.lock().expect("fake lock").failures.extend(std::iter::repeat_n(status, n));
    }

    /// Every request body received, in order.
    pub fn requests(&self) -> Vec<Value> {
        self.state.lock().expect("fake lock").requests.clone()
    }
}

/// The delay a question asks for with `think <N>ms` in its last user message.
fn asked_delay(body: &Value) -> Option<Duration> {
    let messages = body["messages"].as_array()?;
    let last = text_of(&messages.iter().rev().find(|m| m["role"] == "user")?["content"]);
    let (_, rest) = last.split_once("think ")?;
    let (ms, _) = rest.split_once("ms")?;
    ms.trim().parse().ok().map(Duration::from_millis)
}

async fn complete(State(state): State<Arc<Mutex<Behaviour>>>, Json(body): Json<Value>) -> Response {
    let (delay, chunk_delay, answer, failure) = {
        let mut b = state.lock().expect("fake lock");
        b.requests.push(body.clone());
        let failure = (!b.failures.is_empty()).then(|| b.failures.remove(0));
        (b.delay, b.chunk_delay, b.answer.clone(), failure)
    };
    tokio::time::sleep(asked_delay(&body).unwrap_or(delay)).await;
    if let Some(status) = failure {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return (status, Json(json!({"error": {"message": "injected failure"}}))).into_response();
    }
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let users: Vec<&Value> = messages.iter().filter(|m| m["role"] == "user").collect();
    let last = users.last().map(|m| text_of(&m["content"])).unwrap_or_default();
    let text = answer.unwrap_or_else(|| format!("echo: {last} (turn {})", users.len()));
    // Tokens as an API reports them: here one per character asked and answered.
    let asked: usize = messages.iter().map(|m| text_of(&m["content"]).chars().count()).sum();
    let usage = json!({"prompt_tokens": asked, "completion_tokens": text.chars().count()});
    if body["stream"].as_bool().unwrap_or(false) {
        let chars: Vec<char> = text.chars().collect();
        let mut events: Vec<String> = chars
            .chunks(PIECE_CHARS)
            .map(|chunk| {
                let delta = json!({"choices": [{"index": 0, "delta": {"content": chunk.iter().collect::<String>()}}]});
                format!("data: {delta}\n\n")
            })
            .collect();
        // The usage chunk an API sends last when asked for it (`stream_options.include_usage`).
        if body["stream_options"]["include_usage"].as_bool() == Some(true) {
            events.push(format!("data: {}\n\n", json!({"choices": [], "usage": usage})));
        }
        events.push("data: [DONE]\n\n".to_owned());
        // Piece i is written at start + i × delay (absolute times, so timer overshoot does not add up).
        let start = tokio::time::Instant::now();
        let pieces = futures_util::stream::unfold((events.into_iter(), 0u32), move |(mut events, i)| {
            let state = state.clone();
            async move {
                match events.next() {
                    Some(event) => {
                        tokio::time::sleep_until(start + chunk_delay * i).await;
                        Some((Ok::<_, std::convert::Infallible>(event), (events, i + 1)))
                    }
                    None => {
                        state.lock().expect("fake lock").completed += 1;
                        None
                    }
                }
            }
        });
        ([(axum::http::header::CONTENT_TYPE, "text/event-stream")], axum::body::Body::from_stream(pieces))
            .into_response()
    } else {
        let pieces = text.chars().count().div_ceil(PIECE_CHARS).max(1) as u32;
        tokio::time::sleep(chunk_delay * (pieces - 1)).await;
        state.lock().expect("fake lock").completed += 1;
        let message = json!({"role": "assistant", "content": text});
        Json(json!({"choices": [{"index": 0, "message": message, "finish_reason": "stop"}], "usage": usage}))
            .into_response()
    }
}

fn text_of(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts.iter().filter_map(|p| p["text"].as_str()).collect::<Vec<_>>().join(" "),
        _ => String::new(),
    }
}
