//! Retries join the running work; answers ready in time go out passively, late ones to the late-delivery sink,
//! and passive-only accounts park them for the user's next message; replicas that share a store count a push's
//! attempts together, so the last is known wherever it lands, and a hanging shared store holds no answer up.
//! WeChat's side calls the gateway's app in this process on tokio's paused clock: an attempt that gets no answer in
//! time is abandoned (its request dropped) and the same push is sent again; the seconds pass in virtual time.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use tokio::sync::mpsc;
use wxgate_proto::{Format, Reply, ReplyBody};
use wxgate_server::router::Text;
use wxgate_server::{
    Accepted, Answer, BoxFut, Context, Gateway, LateDelivery, Outcome, Router, SinkError, Stores, config,
};
use wxgate_store::memory::MemoryStore;
use wxgate_store::{AttemptCounter, StoredWindow, WindowStore};

/// Sends the same push up to `attempts` times, abandoning each after `per_attempt`, like WeChat does.
async fn deliver(s: &InProcess, body: &str, attempts: u32, per_attempt: Duration) -> Option<Sent> {
    for _ in 0..attempts {
        let (ts, nonce) = (now().to_string(), fresh_nonce());
        let sig = wxgate_proto::crypto::url_signature(TOKEN, &ts, &nonce);
        let q = format!("/wx?signature={sig}&timestamp={ts}&nonce={nonce}");
        if let Some((status, body)) = s.post(&q, body.to_owned(), per_attempt).await {
            return Some(Sent { status, body, timestamp: ts, nonce });
        }
    }
    None
}

/// A gateway on a config and router, in this process.
fn start(config_toml: &str, router: Router) -> InProcess {
    let config = config::load_str(config_toml, "t", Vec::new()).unwrap();
    InProcess::new(Gateway::builder(config).router(router).build().unwrap())
}

fn slow_router(calls: Arc<AtomicUsize>, delay: Duration) -> Router {
    Router::new().on_text(move |Text(t): Text| {
        let calls = calls.clone();
        async move {
            calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(delay).await;
            format!("done: {t}")
        }
    })
}

fn cfg(deadline: &str) -> String {
    format!("[[accounts]]\npath = \"/wx\"\ntoken = \"{TOKEN}\"\ndeadline = {{ {deadline} }}\n")
}

fn text_of(sent: &Sent) -> ReplyBody {
    Reply::decode(sent.body.as_bytes(), Format::Xml).expect("a passive reply").body
}

#[tokio::test(start_paused = true)]
async fn a_retry_gets_the_answer_the_first_attempt_started() {
    let calls = Arc::new(AtomicUsize::new(0));
    let s = start(&cfg("budget_ms = 200"), slow_router(calls.clone(), Duration::from_millis(700)));
    let sent = deliver(&s, &text_xml("q", fresh_id()), 3, Duration::from_millis(500)).await.expect("answered");
    assert_eq!(text_of(&sent), ReplyBody::text("done: q"));
    assert_eq!(calls.load(Ordering::SeqCst), 1, "the handler ran once for three attempts");
}

#[tokio::test(start_paused = true)]
async fn a_late_retry_gets_the_cached_answer() {
    let calls = Arc::new(AtomicUsize::new(0));
    let s = start(&cfg("budget_ms = 1000"), slow_router(calls.clone(), Duration::from_millis(10)));
    let body = text_xml("again", fresh_id());
    let first = deliver(&s, &body, 1, Duration::from_secs(5)).await.unwrap();
    let second = deliver(&s, &body, 1, Duration::from_secs(5)).await.unwrap();
    assert_eq!(text_of(&first), text_of(&second));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

/// A late-delivery sink recording what it is given.
#[derive(Debug)]
struct Recorder {
    accepted: AtomicUsize,
    done: mpsc::UnboundedSender<(u64, Outcome)>,
}

impl LateDelivery for Recorder {
    fn accept<'a>(&'a self, _ctx: &'a Arc<Context>) -> BoxFut<'a, Result<Accepted, SinkError>> {
        let ticket = self.accepted.fetch_add(1, Ordering::SeqCst) as u64 + 100;
        Box::pin(async move { Ok(Accepted { ticket, placeholder: None }) })
    }
    fn complete(&self, ticket: u64, _ctx: Arc<Context>, outcome: Outcome) -> BoxFut<'_, ()> {
        self.done.send((ticket, outcome)).unwrap();
        Box::pin(async {})
    }
    fn cancel(&self, _ticket: u64) -> BoxFut<'_, ()> {
        Box::pin(async {})
    }
}

#[tokio::test(start_paused = true)]
async fn the_last_attempt_hands_a_late_answer_off_exactly_once() {
    let calls = Arc::new(AtomicUsize::new(0));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let recorder = Arc::new(Recorder { accepted: AtomicUsize::new(0), done: tx });
    let config = config::load_str(&cfg("budget_ms = 150, attempts = 2"), "t", Vec::new()).unwrap();
    let gateway = Gateway::builder(config)
        .router(slow_router(calls.clone(), Duration::from_millis(1200)))
        .late_delivery(recorder.clone())
        .build()
        .unwrap();
    let s = InProcess::new(gateway);

    let sent =
        deliver(&s, &text_xml("slow", fresh_id()), 2, Duration::from_millis(400)).await.expect("last attempt answered");
    assert_eq!((sent.status, sent.body.as_str()), (200, "success"));
    let (ticket, outcome) = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.unwrap().unwrap();
    assert_eq!(ticket, 100);
    assert_eq!(outcome, Some(Answer::Reply(ReplyBody::text("done: slow"))));
    assert_eq!(recorder.accepted.load(Ordering::SeqCst), 1);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn passive_only_parks_the_answer_for_the_next_message() {
    let calls = Arc::new(AtomicUsize::new(0));
    let deadline = "budget_ms = 150, attempts = 1, strategy = \"passive_only\", placeholder = \"稍等\"";
    let s = start(&cfg(deadline), slow_router(calls.clone(), Duration::from_millis(400)));
    let first = deliver(&s, &text_xml("question", fresh_id()), 1, Duration::from_secs(5)).await.unwrap();
    assert_eq!(text_of(&first), ReplyBody::text("稍等"));
    tokio::time::sleep(Duration::from_millis(700)).await;
    let next = deliver(&s, &text_xml("anything", fresh_id()), 1, Duration::from_secs(5)).await.unwrap();
    assert_eq!(text_of(&next), ReplyBody::text("done: question"));
    // The second message's own answer is parked in turn and arrives with the third.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let third = deliver(&s, &text_xml("more", fresh_id()), 1, Duration::from_secs(5)).await.unwrap();
    assert_eq!(text_of(&third), ReplyBody::text("done: anything"));
}

/// Two replicas behind a load balancer that sends a push's first attempt to one and the retries to the other.
async fn spread_attempts(shared: Option<Arc<dyn AttemptCounter>>) -> (Option<Sent>, Option<(u64, Outcome)>, usize) {
    let calls = Arc::new(AtomicUsize::new(0));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let recorder = Arc::new(Recorder { accepted: AtomicUsize::new(0), done: tx });
    let mut replicas = Vec::new();
    for _ in 0..2 {
        let config = config::load_str(&cfg("budget_ms = 150, attempts = 3"), "t", Vec::new()).unwrap();
        let gateway = Gateway::builder(config)
            .router(slow_router(calls.clone(), Duration::from_millis(3000)))
            .late_delivery(recorder.clone())
            .stores(Stores { attempts: shared.clone(), ..Stores::default() })
            .build()
            .unwrap();
        replicas.push(InProcess::new(gateway));
    }
    let body = text_xml("spread", fresh_id());
    let per_attempt = Duration::from_millis(1000);
    assert!(deliver(&replicas[0], &body, 1, per_attempt).await.is_none(), "the first attempt is held");
    assert!(deliver(&replicas[1], &body, 1, per_attempt).await.is_none(), "so is the second");
    let last = deliver(&replicas[1], &body, 1, per_attempt).await;
    let handed = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.ok().flatten();
    (last, handed, calls.load(Ordering::SeqCst))
}

#[tokio::test(start_paused = true)]
async fn attempts_spread_over_replicas_are_counted_in_the_shared_store() {
    let counter: Arc<dyn AttemptCounter> = Arc::new(MemoryStore::new());
    let (last, handed, calls) = spread_attempts(Some(counter)).await;
    let last = last.expect("the third attempt is known as the last and answered");
    assert_eq!((last.status, last.body.as_str()), (200, "success"));
    assert_eq!(
        handed,
        Some((100, Some(Answer::Reply(ReplyBody::text("done: spread"))))),
        "the answer goes to late delivery"
    );
    assert_eq!(calls, 2, "the replica that saw only retries ran the handler too");

    // Counting locally, the replica that saw two attempts takes the third for the second and holds it: WeChat
    // gives up and the answer is lost. This is what the shared count prevents.
    let (last, handed, _) = spread_attempts(None).await;
    assert!(last.is_none() && handed.is_none(), "without the shared count the answer is lost");
}

/// Shared state that never answers: a Redis that hangs.
#[derive(Debug)]
struct Hanging;

#[async_trait::async_trait]
impl AttemptCounter for Hanging {
    async fn count_attempt(&self, _key: &str, _ttl_ms: u64) -> Result<u32, wxgate_store::StoreError> {
        std::future::pending().await
    }
}

#[async_trait::async_trait]
impl WindowStore for Hanging {
    async fn put_window(&self, _: &str, _: &str, _: StoredWindow) -> Result<(), wxgate_store::StoreError> {
        std::future::pending().await
    }
    async fn window(&self, _: &str, _: &str) -> Result<Option<StoredWindow>, wxgate_store::StoreError> {
        std::future::pending().await
    }
    async fn spend(&self, _: &str, _: &str) -> Result<(), wxgate_store::StoreError> {
        std::future::pending().await
    }
}

#[tokio::test(start_paused = true)]
async fn a_hanging_shared_store_does_not_hold_up_the_answers() {
    let calls = Arc::new(AtomicUsize::new(0));
    let config = config::load_str(&cfg("budget_ms = 300, attempts = 2"), "t", Vec::new()).unwrap();
    let store: Arc<dyn wxgate_store::OutboxStore> = Arc::new(MemoryStore::new());
    let stores = Stores {
        outbox: Some(store),
        attempts: Some(Arc::new(Hanging)),
        windows: Some(Arc::new(Hanging)),
        ..Stores::default()
    };
    let gateway = Gateway::builder(config)
        .router(slow_router(calls.clone(), Duration::from_millis(10)))
        .stores(stores)
        .customer_service(Arc::new(Phone::default()))
        .build()
        .unwrap();
    let s = InProcess::new(gateway);
    // A fast answer goes out passively (the window is given up on after a moment, the count is not needed).
    let sent = deliver(&s, &text_xml("quick", fresh_id()), 1, Duration::from_secs(3)).await.expect("answered");
    assert_eq!(text_of(&sent), ReplyBody::text("done: quick"));
    // A slow one: the attempt number falls back to this replica's own count; the second attempt is the last.
    let slow = Gateway::builder(config::load_str(&cfg("budget_ms = 300, attempts = 2"), "t", Vec::new()).unwrap())
        .router(slow_router(calls.clone(), Duration::from_millis(5000)))
        .stores(Stores { attempts: Some(Arc::new(Hanging)), ..Stores::default() })
        .build()
        .unwrap();
    let s = InProcess::new(slow);
    let sent = deliver(&s, &text_xml("slow", fresh_id()), 2, Duration::from_secs(2)).await.expect("the last answers");
    assert_eq!((sent.status, sent.body.as_str()), (200, "success"));
}

/// A shared attempt counter that is down.
#[derive(Debug)]
struct Down;

#[async_trait::async_trait]
impl AttemptCounter for Down {
    async fn count_attempt(&self, _key: &str, _ttl_ms: u64) -> Result<u32, wxgate_store::StoreError> {
        Err(wxgate_store::StoreError::Backend("connection refused".into()))
    }
}

/// With the shared count down, a replica that sees one attempt of a push WeChat sent 10 s ago (its earlier
/// attempts went to other replicas) takes it for the last by its age and hands the slow answer over, instead of
/// holding it for a retry that will not come; a fresh push is still held.
#[tokio::test(start_paused = true)]
async fn without_the_shared_count_the_push_s_age_tells_the_last_attempt() {
    let calls = Arc::new(AtomicUsize::new(0));
    let gateway = Gateway::builder(config::load_str(&cfg("budget_ms = 300, attempts = 3"), "t", Vec::new()).unwrap())
        .router(slow_router(calls.clone(), Duration::from_millis(5000)))
        .stores(Stores {
            attempts: Some(Arc::new(Down)),
            outbox: Some(Arc::new(MemoryStore::new())),
            ..Stores::default()
        })
        .customer_service(Arc::new(Phone::default()))
        .build()
        .unwrap();
    let s = InProcess::new(gateway);
    let mut fields = text_fields("an old push", fresh_id());
    fields.set_text("CreateTime", (now() - 10).to_string());
    let old = wxgate_proto::write::fields_to_xml(&fields);
    let sent = deliver(&s, &old, 1, Duration::from_secs(2)).await.expect("the last attempt answers");
    assert_eq!((sent.status, sent.body.as_str()), (200, "success"));
    // A fresh push with the same one attempt seen here is a first attempt: held for WeChat's retry.
    assert!(deliver(&s, &text_xml("a new push", fresh_id()), 1, Duration::from_secs(2)).await.is_none(), "held");
}
