//! Test support: a gateway on 127.0.0.1:0 and a signing HTTP client playing WeChat's side of the wire.
#![allow(dead_code, missing_docs)]

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;
use wxgate_proto::crypto::{MessageCrypto, SealedReply, url_signature};
use wxgate_proto::{Format, Reply, tree};

use wxgate_proto::kf::{KfBody, KfMessage};
use wxgate_server::{BoxFut, Caller, CustomerService, Gateway, Router, SendError, Stores, config};

pub const TOKEN: &str = "test-token";
pub const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
pub const APPID: &str = "wx2c2769f8efd9abc2";
pub const GH: &str = "gh_0123456789ab";
pub const USER: &str = "oUserOpenId0000000000000001";

pub struct TestServer {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Starts a gateway from TOML text (no environment) with Rust handlers.
pub async fn start(config_toml: &str, router: Router) -> TestServer {
    let cfg = config::load_str(config_toml, "test", Vec::new()).expect("test config");
    start_gateway(Gateway::builder(cfg).router(router).build().unwrap()).await
}

/// Serves a built gateway on 127.0.0.1:0 until the returned server is dropped.
pub async fn start_gateway(gateway: Gateway) -> TestServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(gateway.serve(listener, async {
        let _ = rx.await;
    }));
    TestServer { addr, http: reqwest::Client::new(), _stop: tx }
}

/// One account on /wx with the test token, key and appid, plus extra TOML for the account.
pub fn account_toml(extra: &str) -> String {
    format!(
        "[[accounts]]\npath = \"/wx\"\nappid = \"{APPID}\"\ntoken = \"{TOKEN}\"\naes_key = \"{AES_KEY}\"\n{extra}\n\
         [[accounts.rules]]\nmsg_type = \"text\"\nreply = {{ type = \"text\", content = \"echo: {{content}}\" }}\n"
    )
}

/// A MsgId never used before in this test binary (pushes with equal ids are retries of one message).
pub fn fresh_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1_000_000);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

pub fn crypto() -> MessageCrypto {
    MessageCrypto::new(TOKEN, Some(AES_KEY), APPID).unwrap()
}

pub fn text_fields(content: &str, msg_id: u64) -> wxgate_proto::Fields {
    wxgate_proto::Fields::new()
        .with_text("ToUserName", GH)
        .with_text("FromUserName", USER)
        .with_text("CreateTime", now().to_string())
        .with_text("MsgType", "text")
        .with_text("Content", content)
        .with_text("MsgId", msg_id.to_string())
}

pub fn text_xml(content: &str, msg_id: u64) -> String {
    wxgate_proto::write::fields_to_xml(&text_fields(content, msg_id))
}

pub fn text_json(content: &str, msg_id: u64) -> String {
    wxgate_proto::write::fields_to_json(&text_fields(content, msg_id))
}

/// How a push is wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Plain,
    Compatible,
    Safe,
}

pub struct Sent {
    pub status: u16,
    pub body: String,
    pub timestamp: String,
    pub nonce: String,
}

impl Sent {
    /// The reply of a safe-mode push, opened back into plain XML.
    pub fn into_plain(self) -> Sent {
        let reply = open_reply(&self, true, Format::Xml);
        Sent { body: reply.to_xml(), ..self }
    }
}

impl TestServer {
    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{}", self.addr, path_and_query)
    }

    /// Sends a classic push of `inner` (XML or JSON) in `mode`, signed with `token`.
    pub async fn push_with(&self, path: &str, token: &str, inner: &str, mode: Mode, ts: i64) -> Sent {
        let (path_and_query, body, timestamp, nonce) = signed_push(path, token, inner, mode, ts);
        let resp = self
            .http
            .post(self.url(&path_and_query))
            .header("content-type", "text/xml")
            .body(body)
            .send()
            .await
            .unwrap();
        Sent { status: resp.status().as_u16(), body: resp.text().await.unwrap(), timestamp, nonce }
    }

    pub async fn push(&self, inner: &str, mode: Mode) -> Sent {
        self.push_with("/wx", TOKEN, inner, mode, now()).await
    }

    pub async fn post_raw(&self, path_and_query: &str, body: impl Into<reqwest::Body>) -> (u16, String) {
        let resp = self.http.post(self.url(path_and_query)).body(body).send().await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    /// A freshly signed query (new nonce each call, as WeChat signs each push).
    pub fn signed_query(&self) -> String {
        let ts = now().to_string();
        let nonce = fresh_nonce();
        format!("signature={}&timestamp={ts}&nonce={nonce}", url_signature(TOKEN, &ts, &nonce))
    }
}

/// A nonce not used before in this process: WeChat signs every push with its own.
pub fn fresh_nonce() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1_320_562_132);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed).to_string()
}

/// A classic push as WeChat sends it: the signed path and query, the body (sealed in compatible and safe mode),
/// and the timestamp and nonce it was signed with.
pub fn signed_push(path: &str, token: &str, inner: &str, mode: Mode, ts: i64) -> (String, String, String, String) {
    let timestamp = ts.to_string();
    let nonce = fresh_nonce();
    let sig = url_signature(token, &timestamp, &nonce);
    let mut query = format!("signature={sig}&timestamp={timestamp}&nonce={nonce}&openid={USER}");
    let body = match mode {
        Mode::Plain => inner.to_owned(),
        Mode::Compatible | Mode::Safe => {
            let c = MessageCrypto::new(token, Some(AES_KEY), APPID).unwrap();
            let sealed = c.seal(inner.as_bytes(), &timestamp, &nonce).unwrap();
            query.push_str(&format!("&encrypt_type=aes&msg_signature={}", sealed.msg_signature));
            let json = Format::sniff(inner.as_bytes()).unwrap() == Format::Json;
            match (mode, json) {
                (Mode::Safe, false) => {
                    format!(
                        "<xml><ToUserName><![CDATA[{GH}]]></ToUserName><Encrypt><![CDATA[{}]]></Encrypt></xml>",
                        sealed.encrypt
                    )
                }
                (Mode::Safe, true) => format!("{{\"ToUserName\":\"{GH}\",\"Encrypt\":\"{}\"}}", sealed.encrypt),
                (_, false) => {
                    inner.replace("</xml>", &format!("<Encrypt><![CDATA[{}]]></Encrypt></xml>", sealed.encrypt))
                }
                (_, true) => inner.replacen('{', &format!("{{\"Encrypt\":\"{}\",", sealed.encrypt), 1),
            }
        }
    };
    (format!("{path}?{query}"), body, timestamp, nonce)
}

/// A gateway served in this process without a socket (its axum app, called with `oneshot`), so a test can run
/// it on tokio's paused clock: handlers that sleep for seconds and WeChat's 5-second attempts take no time.
#[derive(Clone)]
pub struct InProcess {
    app: axum::Router,
}

impl InProcess {
    pub fn new(gateway: Gateway) -> InProcess {
        InProcess { app: gateway.into_axum() }
    }

    /// POSTs `body`; `None` when WeChat gives up on the attempt after `timeout` (the request is dropped).
    pub async fn post(&self, path_and_query: &str, body: String, timeout: Duration) -> Option<(u16, String)> {
        use tower::ServiceExt;
        let req = axum::http::Request::post(path_and_query).body(axum::body::Body::from(body)).unwrap();
        let resp = tokio::time::timeout(timeout, self.app.clone().oneshot(req)).await.ok()?.unwrap();
        let status = resp.status().as_u16();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        Some((status, String::from_utf8(bytes.to_vec()).unwrap()))
    }

    /// A classic push of `inner` in `mode` to `/wx`, waiting as long as it takes.
    pub async fn push(&self, inner: &str, mode: Mode) -> Sent {
        let (path_and_query, body, timestamp, nonce) = signed_push("/wx", TOKEN, inner, mode, now());
        let (status, body) = self.post(&path_and_query, body, Duration::from_secs(3600)).await.unwrap();
        Sent { status, body, timestamp, nonce }
    }
}

/// Decodes a reply: opens the sealed envelope first when the push was encrypted.
pub fn open_reply(sent: &Sent, encrypted: bool, format: Format) -> Reply {
    assert_eq!(sent.status, 200, "body: {}", sent.body);
    if !encrypted {
        return Reply::decode(sent.body.as_bytes(), format).expect("plain reply");
    }
    let fields = tree::decode(sent.body.as_bytes(), format).expect("envelope");
    let sealed = SealedReply::from_fields(&fields).expect("sealed reply");
    assert_eq!(sealed.timestamp, sent.timestamp);
    let inner = crypto().open_reply(&sealed).expect("reply signature and appid verify");
    Reply::decode(&inner, format).expect("inner reply")
}

/// A customer-service sender that records what it sends (with scripted failures), standing in for the platform
/// where a test is about the gateway's own logic.
#[derive(Debug, Default)]
pub struct Phone {
    pub received: Mutex<Vec<(String, KfBody)>>,
    pub typing: Mutex<Vec<bool>>,
    pub failures: Mutex<VecDeque<SendError>>,
    /// Consulted before `failures`, one step per send: `None` lets the send through, `Some` fails it.
    pub script: Mutex<VecDeque<Option<SendError>>>,
}

impl CustomerService for Phone {
    fn send<'a>(&'a self, _caller: Caller<'a>, message: &'a KfMessage) -> BoxFut<'a, Result<(), SendError>> {
        Box::pin(async move {
            let scripted = self.script.lock().unwrap().pop_front();
            if let Some(e) = scripted.flatten().or_else(|| self.failures.lock().unwrap().pop_front()) {
                return Err(e);
            }
            self.received.lock().unwrap().push((message.touser.clone(), message.body.clone()));
            Ok(())
        })
    }
    fn typing<'a>(&'a self, _: Caller<'a>, _: &'a str, on: bool) -> BoxFut<'a, Result<(), SendError>> {
        self.typing.lock().unwrap().push(on);
        Box::pin(async { Ok(()) })
    }
}

impl Phone {
    pub async fn wait_for(&self, n: usize) -> Vec<(String, KfBody)> {
        for _ in 0..200 {
            if self.received.lock().unwrap().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.received.lock().unwrap().clone()
    }
}

/// A shipped example config (`examples/NAME`) with this test's credentials.
pub fn example_config(name: &str) -> String {
    let text = std::fs::read_to_string(format!("{}/../../examples/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    with_test_credentials(&text)
}

/// The embedded default config (`wxgate serve` without `--config`) with this test's credentials.
pub fn default_config() -> String {
    with_test_credentials(config::DEFAULT_CONFIG)
}

fn with_test_credentials(text: &str) -> String {
    text.replace("wxgate-demo-token", TOKEN).replace("wx0000000000000001", APPID).replace("gh_0000000000000001", GH)
}

/// Starts a gateway whose late answers and rule files go to the platform at the config's `api_base` (the
/// simulator) through the real client, with an in-memory SQLite outbox; returns the server and the outbox store.
pub async fn start_on_platform(
    config_toml: &str,
    router: Router,
) -> (TestServer, std::sync::Arc<dyn wxgate_store::OutboxStore>) {
    use std::sync::Arc;
    let config = config::load_str(config_toml, "test", Vec::new()).expect("test config");
    let store: Arc<dyn wxgate_store::OutboxStore> = Arc::new(wxgate_store_sqlite::SqliteStore::in_memory().unwrap());
    let worker = wxgate_server::WorkerConfig { poll: Duration::from_millis(50), ..Default::default() };
    let stores = Stores { outbox: Some(store.clone()), ..Stores::default() };
    let gateway = Gateway::builder(config).router(router).stores(stores).worker(worker).build().unwrap();
    (start_gateway(gateway).await, store)
}

/// The seed-000 demo keywords with the reply type each gets from the embedded default config (the last is echoed).
pub const DEMO_KEYWORDS: [(&str, &str); 7] = [
    ("回复文字", "text"),
    ("回复图片", "image"),
    ("回复语音", "voice"),
    ("回复视频", "video"),
    ("回复音乐", "music"),
    ("回复图文", "news"),
    ("anything else", "text"),
];
