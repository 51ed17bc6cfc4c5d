//! Running real `wxgate serve` processes in tests: start one on a config file, wait until it answers, kill it
//! with `kill -9`, put a round-robin balancer in front of several, and read what the simulated phone received.

#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http_body_util::{BodyExt, Full};

use wxgate_sim::{Item, Simulator};

/// A port nobody listens on (yet).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A `wxgate serve` process, killed when dropped (so a failing test leaves none behind).
pub struct Server(Child);

impl Server {
    /// The process id.
    pub fn pid(&self) -> u32 {
        self.0.id()
    }

    /// The exit status, if the process has exited (reaped).
    pub fn try_wait(&mut self) -> Option<std::process::ExitStatus> {
        self.0.try_wait().unwrap()
    }

    /// `kill -9` and reap.
    pub fn kill(&mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `wxgate serve --config <config>`, its log beside the config (`<config>.log`).
pub fn serve(config: &std::path::Path) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wxgate"));
    command.args(["serve", "--config"]).arg(config);
    spawn(command, config)
}

/// Like [`serve`], with the process's open-file limit (soft and hard) set to `files` (`ulimit -n`).
pub fn serve_with_open_files(config: &std::path::Path, files: u32) -> Server {
    let mut command = Command::new("sh");
    command
        .args(["-c", &format!("ulimit -n {files} && exec \"$0\" serve --config \"$1\"")])
        .arg(env!("CARGO_BIN_EXE_wxgate"))
        .arg(config);
    spawn(command, config)
}

fn spawn(mut command: Command, config: &std::path::Path) -> Server {
    let log =
        std::fs::OpenOptions::new().create(true).append(true).open(config.with_extension("log")).expect("log file");
    let child = command
        .env("RUST_LOG", "info")
        .env_remove("RUST_BACKTRACE")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start wxgate serve");
    Server(child)
}

/// Waits until the server on `port` answers `/healthz`.
pub async fn wait_healthy(port: u16) {
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if http.get(format!("http://127.0.0.1:{port}/healthz")).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("wxgate serve did not come up on {port}");
}

/// The customer-service texts user `openid` of `appid` received, in order.
pub fn answers(sim: &Simulator, appid: &str, openid: &str) -> Vec<String> {
    sim.transcript(appid, openid)
        .iter()
        .filter_map(|e| match &e.item {
            Item::CustomerService { text: Some(t), .. } => Some(t.clone()),
            _ => None,
        })
        .collect()
}

/// A load balancer on a free port that sends each request to the next of `backends` in turn, as one spreading a
/// push's retries over replicas does, skipping a backend that refuses the connection. Returns its port.
pub async fn round_robin(backends: Vec<u16>) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let next = Arc::new(AtomicUsize::new(0));
    let http = reqwest::Client::new();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (next, http, backends) = (next.clone(), http.clone(), backends.clone());
            let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let first = next.fetch_add(1, Ordering::SeqCst);
                let (http, backends) = (http.clone(), backends.clone());
                async move {
                    let (parts, body) = req.into_parts();
                    let body = body.collect().await?.to_bytes();
                    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
                    // A backend that refuses the connection (down) is skipped, as nginx's `proxy_next_upstream
                    // error` does; any other failure is the client's 502.
                    let mut sent = None;
                    for i in 0..backends.len() {
                        let backend = backends[(first + i) % backends.len()];
                        let attempt = http
                            .request(parts.method.clone(), format!("http://127.0.0.1:{backend}{path}"))
                            .headers(parts.headers.clone())
                            .body(body.clone())
                            .send()
                            .await;
                        let refused = matches!(&attempt, Err(e) if e.is_connect());
                        sent = Some(attempt);
                        if !refused {
                            break;
                        }
                    }
                    let (status, bytes) = match sent.expect("at least one backend") {
                        Ok(resp) => (resp.status(), resp.bytes().await.unwrap_or_default()),
                        Err(_) => (hyper::StatusCode::BAD_GATEWAY, bytes::Bytes::new()),
                    };
                    Ok::<_, hyper::Error>(hyper::Response::builder().status(status).body(Full::new(bytes)).unwrap())
                }
            });
            tokio::spawn(async move {
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
            });
        }
    });
    port
}

/// The customer-service messages a long Markdown answer becomes: converted to plain text and split as the outbox
/// splits it.
pub fn text_parts(markdown: &str) -> Vec<String> {
    let whole = wxgate_proto::text::markdown_to_text(markdown);
    wxgate_server::messages(
        wxgate_server::AccountKind::OfficialAccount,
        wxgate_proto::ReplyBody::text(whole).into(),
        "o",
    )
    .into_iter()
    .map(|m| match m.body {
        wxgate_proto::kf::KfBody::Text(t) => t.content,
        other => panic!("{other:?}"),
    })
    .collect()
}

/// Waits until every one of `users` has received at least `n` customer-service messages.
pub async fn wait_for_answers(sim: &Simulator, appid: &str, users: &[String], n: usize) {
    for u in users {
        sim.user(appid, u)
            .wait_for(Duration::from_secs(30), |t| {
                t.iter().filter(|e| matches!(e.item, Item::CustomerService { .. })).count() >= n
            })
            .await
            .unwrap_or_else(|e| panic!("{u}: {e}"));
    }
}

/// Asserts that every one of `users`, having sent `question 0` … `question {n-1}` to the echoing fake model,
/// received exactly one answer per question, in order.
pub fn assert_one_answer_each_in_order(sim: &Simulator, appid: &str, users: &[String], n: usize) {
    for u in users {
        let got = answers(sim, appid, u);
        assert_eq!(got.len(), n, "{u}: exactly one answer per message: {got:?}");
        for (m, a) in got.iter().enumerate() {
            assert!(a.starts_with(&format!("echo: question {m} ")), "{u}: in order: {got:?}");
        }
    }
}
