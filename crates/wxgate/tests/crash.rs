//! Accepted work survives `kill -9`: a burst of slow messages reaches a real `wxgate serve` process, which is
//! killed while the answers are being worked out and queued, then restarted on the same SQLite file; every user
//! still receives every answer exactly once and in order (the simulated platform counts what reached the phone).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use wxgate_llm::fake::FakeModel;
use wxgate_sim::{Account, Item, Settings, Simulator};

const APPID: &str = "wx2c2769f8efd9abc2";
const GH: &str = "gh_0123456789ab";
const TOKEN: &str = "crash-token";
const USERS: usize = 4;
const MESSAGES: usize = 3;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn serve(config: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_wxgate"))
        .args(["serve", "--config"])
        .arg(config)
        .env("RUST_LOG", "warn")
        .env_remove("RUST_BACKTRACE")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start wxgate serve")
}

async fn wait_healthy(port: u16) {
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if http.get(format!("http://127.0.0.1:{port}/healthz")).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("wxgate serve did not come up on {port}");
}

fn answers(sim: &Simulator, openid: &str) -> Vec<String> {
    sim.transcript(APPID, openid)
        .iter()
        .filter_map(|e| match &e.item {
            Item::CustomerService { text: Some(t), .. } => Some(t.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_is_delivered_once_after_kill_9() {
    let model = FakeModel::start().await.unwrap();
    model.set_delay(Duration::from_millis(1500));
    let settings = Settings { push_timeout: Duration::from_millis(500), push_attempts: 1, ..Settings::default() };
    let sim = Simulator::builder().settings(settings).start().await.unwrap();

    let dir = std::env::temp_dir().join(format!("wxgate-crash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let config = dir.join("wxgate.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\n[store]\npath = \"{}\"\n\
             [[accounts]]\nname = \"acct\"\npath = \"/wx\"\nappid = \"{APPID}\"\ntoken = \"{TOKEN}\"\n\
             secret = \"crash-secret\"\napi_base = \"{}\"\ndeadline = {{ budget_ms = 300, attempts = 1 }}\n\
             [accounts.llm]\nbase_url = \"{}\"\nmodel = \"fake\"\nstream = false\nrate_per_minute = 100\n",
            dir.join("wxgate.sqlite").display(),
            sim.base_url(),
            model.base_url()
        ),
    )
    .unwrap();
    let mut server = serve(&config);
    wait_healthy(port).await;

    let account = Account::new(APPID, "crash-secret", GH, TOKEN).with_url(format!("http://127.0.0.1:{port}/wx"));
    sim.add_account(account).unwrap();
    let users: Vec<String> = (0..USERS).map(|u| format!("oCrashUser{u:018}")).collect();
    for u in &users {
        sim.add_user(APPID, u).unwrap();
    }
    // The burst: every push is accepted (answered `success`) while the model is still thinking.
    for m in 0..MESSAGES {
        for u in &users {
            let outcome = sim.user(APPID, u).send_text(&format!("question {m}")).await.unwrap();
            assert!(matches!(outcome.verdict, wxgate_sim::Verdict::Nothing), "{:?}", outcome.verdict);
        }
    }
    // kill -9 while answers are being worked out and queued.
    server.kill().unwrap();
    server.wait().unwrap();
    let delivered_before: usize = users.iter().map(|u| answers(&sim, u).len()).sum();
    assert!(delivered_before < USERS * MESSAGES, "the kill must interrupt the work");

    let mut server = serve(&config);
    wait_healthy(port).await;
    for u in &users {
        sim.user(APPID, u)
            .wait_for(Duration::from_secs(30), |t| {
                t.iter().filter(|e| matches!(e.item, Item::CustomerService { .. })).count() >= MESSAGES
            })
            .await
            .unwrap_or_else(|e| panic!("{u}: {e}"));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    for u in &users {
        let answers = answers(&sim, u);
        assert_eq!(answers.len(), MESSAGES, "{u}: exactly one answer per message: {answers:?}");
        for (m, a) in answers.iter().enumerate() {
            assert!(a.starts_with(&format!("echo: question {m} ")), "{u}: in order: {answers:?}");
        }
    }
    server.kill().unwrap();
    server.wait().unwrap();
    std::fs::remove_dir_all(&dir).ok();
}
