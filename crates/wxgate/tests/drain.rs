//! SIGTERM under load: a real `wxgate serve` with slow model answers holding WeChat's attempts, and a load
//! generator of fast pushes. The process turns `/readyz` to 503, answers every attempt it holds, exits 0 with its
//! store closed (no log left beside the file), and no request it accepted is cut off; after a restart on the same
//! SQLite file every user has exactly one answer.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{answers, assert_one_answer_each_in_order, free_port, serve, wait_for_answers, wait_healthy};
use wxgate_llm::fake::FakeModel;
use wxgate_proto::crypto::url_signature;
use wxgate_sim::{Account, Simulator, Verdict};

const APPID: &str = "wx2c2769f8efd9abc2";
const GH: &str = "gh_0123456789ab";
const TOKEN: &str = "drain-token";
const USERS: usize = 4;

/// What the load generator saw.
#[derive(Default)]
struct Load {
    answered: AtomicUsize,
    refused: AtomicUsize,
    /// Requests that connected but got no whole response (a reset, or a cut body), and when.
    cut: AtomicUsize,
    cut_at: std::sync::Mutex<Vec<Instant>>,
    /// When the first connection was refused (the listener had closed).
    first_refused: std::sync::Mutex<Option<Instant>>,
    bad_status: AtomicUsize,
}

impl Load {
    fn cut(&self) -> usize {
        self.cut_at.lock().unwrap().push(Instant::now());
        self.cut.fetch_add(1, Ordering::Relaxed)
    }

    /// Cuts that are not the listener closing: a connection the kernel completed after the server's last accept
    /// and before the listener closed is reset, and its client cannot tell that from a request cut off — but it
    /// happens as the listener closes, when connections start being refused. Any other cut is a request the
    /// server accepted and did not answer.
    fn cut_apart_from_the_close(&self) -> usize {
        let Some(closed) = *self.first_refused.lock().unwrap() else { return self.cut.load(Ordering::Relaxed) };
        let near = |at: &Instant| at.max(&closed).duration_since(*at.min(&closed)) < Duration::from_millis(200);
        self.cut_at.lock().unwrap().iter().filter(|at| !near(at)).count()
    }
}

/// Posts signed `subscribe` pushes (answered at once by a rule) one connection each, until `stop`.
async fn generate(port: u16, stop: Arc<AtomicBool>, load: Arc<Load>) {
    let http = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let timestamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let (timestamp, nonce) = (timestamp.to_string(), format!("{n}"));
        let signature = url_signature(TOKEN, &timestamp, &nonce);
        let url = format!("http://127.0.0.1:{port}/wx?signature={signature}&timestamp={timestamp}&nonce={nonce}");
        let body = format!(
            "<xml><ToUserName><![CDATA[{GH}]]></ToUserName><FromUserName><![CDATA[oLoad{n:022}]]></FromUserName>\
             <CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[event]]></MsgType>\
             <Event><![CDATA[subscribe]]></Event></xml>"
        );
        match http.post(url).body(body).send().await {
            Ok(resp) => {
                let status = resp.status();
                match resp.text().await {
                    Ok(text) if status == 200 && text.contains("welcome") => {
                        load.answered.fetch_add(1, Ordering::Relaxed)
                    }
                    Ok(_) => load.bad_status.fetch_add(1, Ordering::Relaxed),
                    Err(_) => load.cut(),
                };
            }
            Err(e) if e.is_connect() => {
                load.refused.fetch_add(1, Ordering::Relaxed);
                load.first_refused.lock().unwrap().get_or_insert_with(Instant::now);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(_) => {
                load.cut();
            }
        }
    }
}

/// A running `wxgate serve` with the model behind its account (answers take 6 s), its simulator, and paths.
struct Setup {
    model: FakeModel,
    sim: Simulator,
    dir: std::path::PathBuf,
    config: std::path::PathBuf,
    port: u16,
    probes: u16,
    server: common::Server,
}

async fn setup(name: &str, drain_ms: u64) -> Setup {
    let model = FakeModel::start().await.unwrap();
    // Slower than an attempt's budget: every question is held for WeChat's retry when SIGTERM comes.
    model.set_delay(Duration::from_secs(6));
    let sim = Simulator::builder().start().await.unwrap();
    let dir = std::env::temp_dir().join(format!("wxgate-drain-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (port, probes) = (free_port(), free_port());
    let config = dir.join("wxgate.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\nmetrics_listen = \"127.0.0.1:{probes}\"\ndrain_ms = {drain_ms}\n\
             [store]\npath = \"{}\"\n\
             [[accounts]]\nname = \"acct\"\npath = \"/wx\"\nappid = \"{APPID}\"\ntoken = \"{TOKEN}\"\n\
             secret = \"drain-secret\"\napi_base = \"{}\"\n\
             [[accounts.rules]]\nevent = \"subscribe\"\nreply = {{ type = \"text\", content = \"welcome\" }}\n\
             [accounts.llm]\nbase_url = \"{}\"\nmodel = \"fake\"\nstream = false\nrate_per_minute = 100\n",
            dir.join("wxgate.sqlite").display(),
            sim.base_url(),
            model.base_url()
        ),
    )
    .unwrap();
    let server = serve(&config);
    wait_healthy(port).await;
    sim.add_account(Account::new(APPID, "drain-secret", GH, TOKEN).with_url(format!("http://127.0.0.1:{port}/wx")))
        .unwrap();
    Setup { model, sim, dir, config, port, probes, server }
}

/// Sends SIGTERM and waits for the exit; returns the status, how long it took, and whether `/readyz` on the probe
/// port answered 503 `draining` meanwhile.
async fn terminate(server: &mut common::Server, probes: u16) -> (std::process::ExitStatus, Duration, bool) {
    let term = Instant::now();
    let killed = std::process::Command::new("kill").args(["-TERM", &server.pid().to_string()]).status().unwrap();
    assert!(killed.success());
    let http = reqwest::Client::new();
    let mut saw_draining = false;
    loop {
        if let Some(status) = server.try_wait() {
            return (status, term.elapsed(), saw_draining);
        }
        if let Ok(resp) = http.get(format!("http://127.0.0.1:{probes}/readyz")).send().await {
            saw_draining |= resp.status() == 503 && resp.text().await.unwrap_or_default() == "draining";
        }
        assert!(term.elapsed() < Duration::from_secs(60), "still running a minute after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_exits_cleanly_and_loses_nothing() {
    let Setup { model, sim, dir, config, port, probes, mut server } = setup("load", 10_000).await;
    let (stop, load) = (Arc::new(AtomicBool::new(false)), Arc::new(Load::default()));
    let generator = tokio::spawn(generate(port, stop.clone(), load.clone()));
    let users: Vec<String> = (0..USERS).map(|u| format!("oDrainUser{u:017}")).collect();
    let mut asked = Vec::new();
    for u in &users {
        sim.add_user(APPID, u).unwrap();
        let user = sim.user(APPID, u);
        asked.push(tokio::spawn(async move { user.send_text("question 0").await.unwrap() }));
    }
    // The first attempts are held (the model takes 6 s) and the load runs.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(load.answered.load(Ordering::Relaxed) > 0, "the load is answered");

    let (status, drained, saw_draining) = terminate(&mut server, probes).await;
    stop.store(true, Ordering::Relaxed);
    generator.await.unwrap();
    eprintln!(
        "exited {status} {} ms after SIGTERM; load: {} answered, {} refused after the listener closed, {} cut, {} bad",
        drained.as_millis(),
        load.answered.load(Ordering::Relaxed),
        load.refused.load(Ordering::Relaxed),
        load.cut.load(Ordering::Relaxed),
        load.bad_status.load(Ordering::Relaxed),
    );
    assert_eq!(status.code(), Some(0), "exit 0");
    assert!(saw_draining, "/readyz answered 503 draining");
    assert_eq!(load.cut_apart_from_the_close(), 0, "no accepted request was cut off");
    assert_eq!(load.bad_status.load(Ordering::Relaxed), 0);
    for ask in asked {
        let outcome = ask.await.unwrap();
        assert!(matches!(outcome.verdict, Verdict::Nothing), "held attempts answered success: {:?}", outcome.verdict);
    }
    let log = std::fs::read_to_string(config.with_extension("log")).unwrap();
    assert!(log.contains("drained"), "{log}");
    // A clean stop closes the store: its write-ahead log is copied back into the file and removed.
    assert!(!dir.join("wxgate.sqlite-wal").exists(), "the store's log is left beside it after a clean stop");

    // The answers worked out during the drain went out then, or wait in the store for the restart.
    let mut server = serve(&config);
    wait_healthy(port).await;
    wait_for_answers(&sim, APPID, &users, 1).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_one_answer_each_in_order(&sim, APPID, &users, 1);
    let notices: usize = users
        .iter()
        .map(|u| {
            sim.transcript(APPID, u).iter().filter(|e| matches!(e.item, wxgate_sim::Item::SystemNotice { .. })).count()
        })
        .sum();
    assert_eq!(notices, 0, "no user saw the error notice");
    assert!(users.iter().all(|u| answers(&sim, APPID, u).len() == 1));
    assert_eq!(model.requests().len(), USERS, "each question asked of the model once");
    server.kill();
    std::fs::remove_dir_all(&dir).ok();
}

/// A drain cut short (the model is slower than `server.drain_ms`) releases the lease on the push still being
/// worked out, so another process may take it over at once rather than when the lease runs out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drain_cut_short_releases_unfinished_work_at_once() {
    use wxgate_store::OutboxStore;
    let Setup { model, sim, dir, config, port, probes, mut server } = setup("short", 1_000).await;
    let user = "oDrainShortUser000000000001";
    sim.add_user(APPID, user).unwrap();
    let asking = sim.user(APPID, user);
    let asked = tokio::spawn(async move { asking.send_text("question 0").await.unwrap() });
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (status, drained, _) = terminate(&mut server, probes).await;
    eprintln!("exited {status} {} ms after SIGTERM (drain_ms = 1000)", drained.as_millis());
    assert_eq!(status.code(), Some(0));
    assert!(matches!(asked.await.unwrap().verdict, Verdict::Nothing), "the held attempt was answered success");

    // Any other process may adopt the push now: its lease was released, not left to run out.
    let store =
        wxgate_store_sqlite::SqliteStore::open(dir.join("wxgate.sqlite"), wxgate_store_sqlite::Durability::Normal)
            .unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let adoptable = store.adopt("another-process", None, now, 1, 10).await.unwrap();
    assert_eq!(adoptable.len(), 1, "the unfinished push is free to take over");
    let log = std::fs::read_to_string(config.with_extension("log")).unwrap();
    assert!(log.contains("released the leases"), "{log}");

    // Restarted, the gateway works it out again and the user gets the answer once.
    let mut server = serve(&config);
    wait_healthy(port).await;
    wait_for_answers(&sim, APPID, &[user.to_owned()], 1).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_one_answer_each_in_order(&sim, APPID, &[user.to_owned()], 1);
    assert_eq!(model.requests().len(), 2, "asked again after the restart");
    server.kill();
    std::fs::remove_dir_all(&dir).ok();
}
