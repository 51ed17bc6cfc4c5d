//! The durable outbox end to end, on tokio's paused clock (the gateway's app called in this process): late answers are sent once, in order per user; retryable failures
//! back off, permanent ones are dead-lettered with the reason; awaited pushes are worked again after a restart,
//! once per push even when the crash came between two parts of an answer.
//! The customer-service side here is a recording sender with scripted failures; the platform client against the
//! simulator is exercised by its own tests.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use wxgate_proto::ReplyBody;
use wxgate_proto::kf::{KfBody, News, NewsArticle};
use wxgate_proto::reply::Article;
use wxgate_server::router::Text;
use wxgate_server::{Clock, Gateway, Retry, Router, SendError, Stores, WorkerConfig, config};
use wxgate_store::{Job, JobState, NewJob, OutboxCounts, OutboxStore, StoreError};
use wxgate_store_sqlite::{Durability, SqliteStore};

fn worker_config() -> WorkerConfig {
    WorkerConfig {
        poll: Duration::from_millis(50),
        backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
        max_attempts: 4,
        ..WorkerConfig::default()
    }
}

fn router() -> Router {
    Router::new().on_text(|Text(t): Text| async move {
        // "slow N" answers after N ms.
        let ms = t.strip_prefix("slow ").and_then(|n| n.parse().ok()).unwrap_or(0);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        format!("answer to {t}")
    })
}

fn gateway(store: Arc<dyn OutboxStore>, phone: Arc<Phone>) -> InProcess {
    let cfg = format!(
        "[[accounts]]\nname = \"acct\"\npath = \"/wx\"\ntoken = \"{TOKEN}\"\ndeadline = {{ budget_ms = 100, attempts = 1 }}\n"
    );
    let config = config::load_str(&cfg, "t", Vec::new()).unwrap();
    InProcess::new(outbox_gateway(config, store, phone))
}

/// A gateway whose late answers go through `store` to `phone`.
fn outbox_gateway(config: config::Config, store: Arc<dyn OutboxStore>, phone: Arc<Phone>) -> Gateway {
    let stores = Stores { outbox: Some(store), ..Stores::default() };
    Gateway::builder(config)
        .router(router())
        .stores(stores)
        .customer_service(phone)
        .worker(worker_config())
        .clock(Clock::following_tokio())
        .build()
        .unwrap()
}

/// A push of `USER` accepted under `key` by a process that died before its answer was known (nobody holds it).
fn orphaned(key: &str, push: Vec<u8>) -> NewJob {
    let (account, openid) = ("acct".into(), USER.into());
    NewJob {
        account,
        openid,
        dedup_key: key.into(),
        push,
        accepted_at: 1,
        lease: None,
        from_appid: None,
        not_before: 0,
    }
}

fn temp_db(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("wxgate-outbox-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("wxgate.sqlite");
    let _ = std::fs::remove_file(&path);
    path
}

#[tokio::test(start_paused = true)]
async fn late_answers_go_out_once_and_in_order() {
    let store: Arc<dyn OutboxStore> = Arc::new(SqliteStore::open(temp_db("order"), Durability::Full).unwrap());
    let phone = Arc::new(Phone::default());
    let s = gateway(store.clone(), phone.clone());
    // The first question takes longer than the second; the user still gets the answers in order.
    for q in ["slow 900", "slow 300"] {
        let sent = s.push(&text_xml(q, fresh_id()), Mode::Plain).await;
        assert_eq!((sent.status, sent.body.as_str()), (200, "success"));
    }
    let received = phone.wait_for(2).await;
    assert_eq!(
        received.iter().map(|(_, m)| m.clone()).collect::<Vec<_>>(),
        vec![KfBody::text("answer to slow 900"), KfBody::text("answer to slow 300")]
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(phone.received.lock().unwrap().len(), 2, "each answer exactly once");
    assert_eq!(store.list(JobState::Done, 10).await.unwrap().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn retryable_failures_back_off_and_permanent_ones_are_dead_lettered() {
    let store: Arc<dyn OutboxStore> = Arc::new(SqliteStore::in_memory().unwrap());
    let phone = Arc::new(Phone::default());
    let later = |code| SendError { code: Some(code), message: "system busy".into(), retry: Retry::Later };
    phone.failures.lock().unwrap().extend([later(-1), later(-1)]);
    let s = gateway(store.clone(), phone.clone());
    s.push(&text_xml("slow 200", fresh_id()), Mode::Plain).await;
    let received = phone.wait_for(1).await;
    assert_eq!(received.len(), 1);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let done = store.list(JobState::Done, 10).await.unwrap();
    assert_eq!(done[0].attempts, 3, "two failures, then success");

    phone.failures.lock().unwrap().push_back(SendError {
        code: Some(45015),
        message: "response out of time limit or subscription is canceled".into(),
        retry: Retry::Never,
    });
    s.push(&text_xml("slow 200", fresh_id()), Mode::Plain).await;
    let mut dead = Vec::new();
    for _ in 0..100 {
        dead = store.list(JobState::Dead, 10).await.unwrap();
        if !dead.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(dead.len(), 1);
    assert!(dead[0].last_error.as_deref().unwrap().starts_with("45015"), "{:?}", dead[0].last_error);
    assert_eq!(phone.received.lock().unwrap().len(), 1, "nothing sent for the dead job");
}

#[tokio::test(start_paused = true)]
async fn awaited_pushes_are_worked_again_after_a_restart() {
    let path = temp_db("recover");
    {
        // A push accepted by a process that then died before its answer was known.
        let store = SqliteStore::open(&path, Durability::Full).unwrap();
        let push = text_xml("slow 10", fresh_id()).into_bytes();
        store.accept(orphaned("k-crash", push)).await.unwrap();
    }
    let store: Arc<dyn OutboxStore> = Arc::new(SqliteStore::open(&path, Durability::Full).unwrap());
    let phone = Arc::new(Phone::default());
    let _s = gateway(store.clone(), phone.clone());
    let received = phone.wait_for(1).await;
    assert_eq!(received, vec![(USER.to_owned(), KfBody::text("answer to slow 10"))]);
}

#[tokio::test(start_paused = true)]
async fn a_crash_between_two_parts_still_sends_the_rest_once() {
    let path = temp_db("parts");
    {
        // The process died inside `send_early`: the next part's job was accepted, the current one not yet answered.
        let store = SqliteStore::open(&path, Durability::Full).unwrap();
        let push = text_xml("slow 10", fresh_id()).into_bytes();
        for key in ["k-parts", "k-parts\u{1f}part1"] {
            store.accept(orphaned(key, push.clone())).await.unwrap();
        }
    }
    let store: Arc<dyn OutboxStore> = Arc::new(SqliteStore::open(&path, Durability::Full).unwrap());
    let phone = Arc::new(Phone::default());
    let _s = gateway(store.clone(), phone.clone());
    assert_eq!(phone.wait_for(1).await, vec![(USER.to_owned(), KfBody::text("answer to slow 10"))]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(phone.received.lock().unwrap().len(), 1, "the answer is worked out again once, not once per part");
    assert_eq!(store.list(JobState::Done, 10).await.unwrap().len(), 2);
    assert!(store.list(JobState::Awaiting, 10).await.unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn slow_work_shows_typing_first_and_cancels_it() {
    let store: Arc<dyn OutboxStore> = Arc::new(SqliteStore::in_memory().unwrap());
    let phone = Arc::new(Phone::default());
    let s = gateway(store, phone.clone());
    s.push(&text_xml("slow 1500", fresh_id()), Mode::Plain).await;
    assert_eq!(phone.wait_for(1).await.len(), 1);
    for _ in 0..40 {
        if phone.typing.lock().unwrap().len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(*phone.typing.lock().unwrap(), vec![true, false]);
    // Fast work shows no typing.
    s.push(&text_xml("slow 0", fresh_id()), Mode::Plain).await;
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_eq!(phone.typing.lock().unwrap().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn auto_switches_to_passive_only_on_48001_without_losing_the_answer() {
    let store: Arc<dyn OutboxStore> = Arc::new(SqliteStore::in_memory().unwrap());
    let phone = Arc::new(Phone::default());
    phone.failures.lock().unwrap().push_back(SendError {
        code: Some(48001),
        message: "api unauthorized".into(),
        retry: Retry::Never,
    });
    let cfg = format!(
        "[[accounts]]\nname = \"acct\"\npath = \"/wx\"\ntoken = \"{TOKEN}\"\n\
         deadline = {{ budget_ms = 100, attempts = 1, strategy = \"auto\", placeholder = \"稍等\" }}\n"
    );
    let config = config::load_str(&cfg, "t", Vec::new()).unwrap();
    let s = InProcess::new(outbox_gateway(config, store.clone(), phone.clone()));

    let first = s.push(&text_xml("slow 300", fresh_id()), Mode::Plain).await;
    assert_eq!(first.body, "success", "customer service is tried first");
    for _ in 0..100 {
        if !store.list(JobState::Done, 10).await.unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The next message receives the answer the platform refused to send.
    let next = s.push(&text_xml("slow 0", fresh_id()), Mode::Plain).await;
    assert!(next.body.contains("answer to slow 300"), "{}", next.body);
    // From now on late answers are parked: the second message's own answer comes with the third.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let third = s.push(&text_xml("slow 0", fresh_id()), Mode::Plain).await;
    assert!(third.body.contains("answer to slow 0"), "{}", third.body);
    assert!(phone.received.lock().unwrap().is_empty(), "nothing went through customer service");
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_the_first_article_does_not_send_it_again() {
    let store: Arc<dyn OutboxStore> = Arc::new(SqliteStore::in_memory().unwrap());
    let phone = Arc::new(Phone::default());
    let busy = SendError { code: Some(-1), message: "system busy".into(), retry: Retry::Later };
    phone.script.lock().unwrap().extend([None, Some(busy)]);
    let cfg = format!(
        "[[accounts]]\nname = \"acct\"\npath = \"/wx\"\ntoken = \"{TOKEN}\"\ndeadline = {{ budget_ms = 100, attempts = 1 }}\n"
    );
    let article = |t: &str| Article { title: t.into(), url: format!("https://example.com/{t}"), ..Article::default() };
    let news = ReplyBody::News { articles: vec![article("a"), article("b"), article("c")] };
    let answer = news.clone();
    let router = Router::new().on_click("NEWS", move || {
        let answer = answer.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            answer
        }
    });
    let stores = Stores { outbox: Some(store.clone()), ..Stores::default() };
    let config = config::load_str(&cfg, "t", Vec::new()).unwrap();
    let gateway = Gateway::builder(config)
        .router(router)
        .stores(stores)
        .customer_service(phone.clone())
        .worker(worker_config())
        .clock(Clock::following_tokio());
    let s = InProcess::new(gateway.build().unwrap());
    let click = wxgate_proto::write::fields_to_xml(
        &wxgate_proto::Fields::new()
            .with_text("ToUserName", GH)
            .with_text("FromUserName", USER)
            .with_text("CreateTime", now().to_string())
            .with_text("MsgType", "event")
            .with_text("Event", "CLICK")
            .with_text("EventKey", "NEWS"),
    );
    assert_eq!(s.push(&click, Mode::Plain).await.body, "success");
    let received = phone.wait_for(3).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent: Vec<KfBody> = phone.received.lock().unwrap().iter().map(|(_, m)| m.clone()).collect();
    let one_each: Vec<KfBody> = ["a", "b", "c"]
        .map(|t| {
            let url = format!("https://example.com/{t}");
            KfBody::News(News { articles: vec![NewsArticle { title: t.into(), description: None, url, picurl: None }] })
        })
        .to_vec();
    assert_eq!(sent, one_each, "one message per article, none twice: {received:?}");
    assert_eq!(store.list(JobState::Done, 10).await.unwrap()[0].attempts, 2, "one failure, then the rest");
}

/// Answers ready for three users, one each (`u1`, `u2`, `u3`); their ids.
async fn three_ready(store: &dyn OutboxStore, prefix: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    for user in ["u1", "u2", "u3"] {
        let job = NewJob { openid: user.into(), ..orphaned(&format!("{prefix}/{user}"), b"<xml/>".to_vec()) };
        let id = store.accept(job).await.unwrap();
        let answer = format!(r#"[{{"touser":"{user}","msgtype":"text","text":{{"content":"hi"}}}}]"#);
        store.set_answer(id, Some(answer)).await.unwrap();
        ids.push(id);
    }
    ids
}

/// A gateway serving, whose worker has one sender.
struct Serving {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Serving {
    /// Stops it and waits until it has drained.
    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap().unwrap();
    }
}

/// Serves a gateway over `store` whose worker sends through `cs` with one sender.
async fn serve_one_sender(store: Arc<dyn OutboxStore>, cs: Arc<dyn wxgate_server::CustomerService>) -> Serving {
    let cfg = format!("[[accounts]]\nname = \"acct\"\npath = \"/wx\"\ntoken = \"{TOKEN}\"\n");
    let gateway = Gateway::builder(config::load_str(&cfg, "t", Vec::new()).unwrap())
        .stores(Stores { outbox: Some(store), ..Stores::default() })
        .customer_service(cs)
        .worker(WorkerConfig { concurrency: 1, ..worker_config() })
        .clock(Clock::following_tokio())
        .build()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(gateway.serve(listener, async {
        let _ = stopped.await;
    }));
    Serving { stop, task }
}

/// Sends that take 10 s each.
#[derive(Debug, Default)]
struct SlowPhone;

impl wxgate_server::CustomerService for SlowPhone {
    fn send<'a>(
        &'a self,
        _: wxgate_server::Caller<'a>,
        _: &'a wxgate_proto::kf::KfMessage,
    ) -> wxgate_server::BoxFut<'a, Result<(), SendError>> {
        Box::pin(async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            Ok(())
        })
    }
    fn typing<'a>(
        &'a self,
        _: wxgate_server::Caller<'a>,
        _: &'a str,
        _: bool,
    ) -> wxgate_server::BoxFut<'a, Result<(), SendError>> {
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test(start_paused = true)]
async fn jobs_claimed_ahead_are_given_back_at_shutdown_and_the_send_under_way_finishes() {
    let store: Arc<dyn OutboxStore> = Arc::new(SqliteStore::open(temp_db("ahead"), Durability::Full).unwrap());
    let clock = Clock::following_tokio();
    let ids = three_ready(&*store, "ahead").await;
    let serving = serve_one_sender(store.clone(), Arc::new(SlowPhone)).await;
    // One sender: the first job is being sent, the other two are claimed ahead of it.
    tokio::time::sleep(Duration::from_secs(1)).await;
    serving.stop().await;
    assert_eq!(store.list(JobState::Done, 10).await.unwrap().iter().map(|j| j.id).collect::<Vec<_>>(), [ids[0]]);
    // Another process finds the ones claimed ahead due at once.
    let next = store.claim("next", clock.now_ms(), 60_000, 10).await.unwrap();
    assert_eq!(next.iter().map(|j| j.id).collect::<Vec<_>>(), [ids[1], ids[2]]);
    assert_eq!(next[0].last_error.as_deref(), Some("released unsent at shutdown"));
}

/// A store whose claims after the first wait until `gate` opens: a store slow to answer a claim.
#[derive(Debug)]
struct SlowClaims {
    inner: wxgate_store::memory::MemoryStore,
    claims: std::sync::atomic::AtomicUsize,
    gate: tokio::sync::Semaphore,
}

#[async_trait::async_trait]
impl OutboxStore for SlowClaims {
    async fn accept(&self, job: NewJob) -> Result<i64, StoreError> {
        self.inner.accept(job).await
    }
    async fn set_answer(&self, id: i64, answer: Option<String>) -> Result<(), StoreError> {
        self.inner.set_answer(id, answer).await
    }
    async fn renew(&self, owner: &str, until: i64) -> Result<u64, StoreError> {
        self.inner.renew(owner, until).await
    }
    async fn adopt(
        &self,
        owner: &str,
        previous: Option<&str>,
        now: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        self.inner.adopt(owner, previous, now, lease_ms, limit).await
    }
    async fn claim(&self, worker: &str, now: i64, lease_ms: i64, limit: usize) -> Result<Vec<Job>, StoreError> {
        if self.claims.fetch_add(1, std::sync::atomic::Ordering::SeqCst) > 0 {
            drop(self.gate.acquire().await);
        }
        self.inner.claim(worker, now, lease_ms, limit).await
    }
    async fn ack(&self, id: i64, worker: &str) -> Result<bool, StoreError> {
        self.inner.ack(id, worker).await
    }
    async fn set_remaining(&self, id: i64, worker: &str, answer: &str) -> Result<bool, StoreError> {
        self.inner.set_remaining(id, worker, answer).await
    }
    async fn has_later(&self, account: &str, openid: &str, id: i64) -> Result<bool, StoreError> {
        self.inner.has_later(account, openid, id).await
    }
    async fn wake(&self, account: &str, openid: &str) -> Result<u64, StoreError> {
        self.inner.wake(account, openid).await
    }
    async fn retry(&self, id: i64, worker: &str, not_before: i64, error: &str) -> Result<bool, StoreError> {
        self.inner.retry(id, worker, not_before, error).await
    }
    async fn sleep(&self, id: i64, worker: &str) -> Result<bool, StoreError> {
        self.inner.sleep(id, worker).await
    }
    async fn kill(&self, id: i64, worker: &str, reason: &str) -> Result<bool, StoreError> {
        self.inner.kill(id, worker, reason).await
    }
    async fn list(&self, state: JobState, limit: usize) -> Result<Vec<Job>, StoreError> {
        self.inner.list(state, limit).await
    }
    async fn revive(&self, id: i64) -> Result<bool, StoreError> {
        self.inner.revive(id).await
    }
    async fn remove(&self, id: i64) -> Result<bool, StoreError> {
        self.inner.remove(id).await
    }
    async fn counts(&self) -> Result<OutboxCounts, StoreError> {
        self.inner.counts().await
    }
}

#[tokio::test(start_paused = true)]
async fn jobs_claimed_ahead_are_sent_while_the_next_claim_waits_for_the_store() {
    let store = Arc::new(SlowClaims {
        inner: Default::default(),
        claims: Default::default(),
        gate: tokio::sync::Semaphore::new(0),
    });
    three_ready(&*store, "slow-claims").await;
    let phone = Arc::new(Phone::default());
    let serving = serve_one_sender(store.clone(), phone.clone()).await;
    // One sender: the first claim takes the three jobs, one to send and two ahead of it; the claims after it do
    // not come back. The jobs already held go out one after the other all the same.
    let sent = phone.wait_for(3).await;
    let mut users: Vec<&str> = sent.iter().map(|(user, _)| user.as_str()).collect();
    users.sort_unstable();
    assert_eq!(users, ["u1", "u2", "u3"], "every job claimed is sent while the next claim waits");
    assert!(store.claims.load(std::sync::atomic::Ordering::SeqCst) >= 2, "a second claim is on its way");
    store.gate.add_permits(1_000);
    serving.stop().await;
    assert_eq!(store.list(JobState::Done, 10).await.unwrap().len(), 3);
}
