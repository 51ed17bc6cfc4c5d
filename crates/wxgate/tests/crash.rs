//! Accepted work survives `kill -9`: a burst of slow messages reaches a real `wxgate serve` process, which is
//! killed while the answers are being worked out and queued, then restarted on the same SQLite file; every user
//! still receives every answer exactly once and in order (the simulated platform counts what reached the phone).
//! A long answer killed while it streams keeps what was sent and gets the rest after the restart. A Mini Program
//! on a Cloud Hosting environment it reuses gets its answers for the right account (`from_appid`) across a kill.

mod common;

use std::time::Duration;

use common::{
    Server, answers, assert_one_answer_each_in_order, free_port, serve, text_parts, wait_for_answers, wait_healthy,
};
use wxgate_llm::fake::FakeModel;
use wxgate_sim::{Account, AccountKind, DataFormat, Delivery, Item, Settings, Simulator};

const APPID: &str = "wx2c2769f8efd9abc2";
const GH: &str = "gh_0123456789ab";
const TOKEN: &str = "crash-token";
const USERS: usize = 4;
const MESSAGES: usize = 3;

/// A config for one account with the model behind it, on a free port and a fresh SQLite file.
fn write_config(
    name: &str,
    sim: &Simulator,
    model: &FakeModel,
    stream: bool,
) -> (std::path::PathBuf, u16, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("wxgate-crash-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let config = dir.join("wxgate.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\n[store]\npath = \"{}\"\n\
             [[accounts]]\nname = \"acct\"\npath = \"/wx\"\nappid = \"{APPID}\"\ntoken = \"{TOKEN}\"\n\
             secret = \"crash-secret\"\napi_base = \"{}\"\ndeadline = {{ budget_ms = 300, attempts = 1 }}\n\
             [accounts.llm]\nbase_url = \"{}\"\nmodel = \"fake\"\nstream = {stream}\nrate_per_minute = 100\n",
            dir.join("wxgate.sqlite").display(),
            sim.base_url(),
            model.base_url()
        ),
    )
    .unwrap();
    (dir, port, config)
}

/// A simulator (one attempt per push, WeChat's 5 s), and `wxgate serve` for its account with the model behind; the
/// gateway answers `success` after 300 ms, so a loaded machine has seconds to spare before the platform gives up.
async fn start(
    name: &str,
    model: &FakeModel,
    stream: bool,
) -> (Simulator, std::path::PathBuf, u16, std::path::PathBuf, Server) {
    let settings = Settings { push_attempts: 1, ..Settings::default() };
    let sim = Simulator::builder().settings(settings).start().await.unwrap();
    let (dir, port, config) = write_config(name, &sim, model, stream);
    let server = serve(&config);
    wait_healthy(port).await;
    let account = Account::new(APPID, "crash-secret", GH, TOKEN).with_url(format!("http://127.0.0.1:{port}/wx"));
    sim.add_account(account).unwrap();
    (sim, dir, port, config, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_is_delivered_once_after_kill_9() {
    let model = FakeModel::start().await.unwrap();
    model.set_delay(Duration::from_millis(1500));
    let (sim, dir, port, config, server) = start("burst", &model, false).await;
    burst_kill_restart(&sim, "oCrashUser", server, &config, port).await;
    std::fs::remove_dir_all(&dir).ok();
}

/// The burst: `USERS` users of `APPID` send `MESSAGES` questions each, every push accepted (answered `success`)
/// while the model is still thinking; then `kill -9` while the answers are being worked out and queued, a restart
/// on the same store, and every user gets every answer exactly once and in order.
async fn burst_kill_restart(sim: &Simulator, prefix: &str, mut server: Server, config: &std::path::Path, port: u16) {
    let users: Vec<String> = (0..USERS).map(|u| format!("{prefix}{u:018}")).collect();
    for u in &users {
        sim.add_user(APPID, u).unwrap();
    }
    for m in 0..MESSAGES {
        for u in &users {
            let outcome = sim.user(APPID, u).send_text(&format!("question {m}")).await.unwrap();
            assert!(matches!(outcome.verdict, wxgate_sim::Verdict::Nothing), "{:?}", outcome.verdict);
        }
    }
    server.kill();
    let delivered_before: usize = users.iter().map(|u| answers(sim, APPID, u).len()).sum();
    assert!(delivered_before < USERS * MESSAGES, "the kill must interrupt the work");

    let mut server = serve(config);
    wait_healthy(port).await;
    wait_for_answers(sim, APPID, &users, MESSAGES).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_one_answer_each_in_order(sim, APPID, &users, MESSAGES);
    server.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_answer_killed_while_it_streams_is_completed_after_the_restart() {
    let model = FakeModel::start().await.unwrap();
    // About 6 000 characters in paragraphs, written 24 characters every 30 ms (about 7.5 s).
    let paragraph = "A long answer is sent while the model is still writing it. ".repeat(10) + "\n\n";
    let long = paragraph.repeat(10);
    model.set_answer(Some(long.clone()));
    model.set_chunk_delay(Duration::from_millis(30));
    let (sim, dir, port, config, mut server) = start("stream", &model, true).await;
    let user = "oCrashStreamUser00000000000";
    sim.add_user(APPID, user).unwrap();
    let outcome = sim.user(APPID, user).send_text("tell me everything").await.unwrap();
    assert!(matches!(outcome.verdict, wxgate_sim::Verdict::Nothing), "{:?}", outcome.verdict);

    // kill -9 once the first part has reached the phone (and been acknowledged), while the model is still writing.
    let is_cs = |e: &wxgate_sim::Entry| matches!(e.item, Item::CustomerService { .. });
    sim.user(APPID, user).wait_for(Duration::from_secs(20), |t| t.iter().any(is_cs)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(model.completed(), 0, "the model is still writing");
    server.kill();
    let before = answers(&sim, APPID, user);
    let parts = text_parts(&long);
    assert!(!before.is_empty() && before.len() < parts.len(), "killed mid-answer: {} parts sent", before.len());
    assert_eq!(before, parts[..before.len()], "the parts sent before the kill are the answer's first parts");

    // After the restart the rest is worked out again from the stored push and follows what was sent.
    let mut server = serve(&config);
    wait_healthy(port).await;
    let expected = before.len() + parts.len();
    sim.user(APPID, user)
        .wait_for(Duration::from_secs(30), |t| t.iter().filter(|e| is_cs(e)).count() >= expected)
        .await
        .unwrap_or_else(|e| panic!("the rest arrives: {e}"));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = answers(&sim, APPID, user);
    assert_eq!(after.len(), expected, "nothing sent twice: {after:#?}");
    assert_eq!(after[..before.len()], before[..], "the parts sent before the kill stay first");
    assert_eq!(after[before.len()..], parts[..], "then the recovered answer, whole and in order");
    assert_eq!(model.requests().len(), 2, "the recovery asked the model once more");
    server.kill();
    std::fs::remove_dir_all(&dir).ok();
}

/// A Mini Program reuses another account's Cloud Hosting environment (资源复用): its pushes carry
/// `x-wx-from-appid`, every answer must be sent with that `from_appid` (the simulator resolves a token-free call
/// by it; the environment owner has no such users), and a `kill -9` between accepting the pushes and sending the
/// answers changes nothing: the `from_appid` is stored with each job.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_mini_program_is_answered_for_its_own_account_after_kill_9() {
    const OWNER: &str = "wx00000000000000f1";
    let model = FakeModel::start().await.unwrap();
    model.set_delay(Duration::from_millis(1500));
    let settings = Settings { push_attempts: 1, ..Settings::default() };
    let sim = Simulator::builder().settings(settings).start().await.unwrap();
    let dir = std::env::temp_dir().join(format!("wxgate-crash-reuse-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let config = dir.join("wxgate.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\n[store]\npath = \"{}\"\n\
             [[accounts]]\nname = \"env\"\nkind = \"mini_program\"\npath = \"/\"\ndelivery = \"cloud\"\n\
             appid = \"{OWNER}\"\napi_base = \"{}\"\n\
             [accounts.llm]\nbase_url = \"{}\"\nmodel = \"fake\"\nstream = false\nrate_per_minute = 100\n",
            dir.join("wxgate.sqlite").display(),
            sim.base_url(),
            model.base_url()
        ),
    )
    .unwrap();
    let server = serve(&config);
    wait_healthy(port).await;
    let owner =
        Account::new(OWNER, "s", "gh_00000000owner", "t").with_kind(AccountKind::MiniProgram).with_token_free(true);
    let reusing = Account::new(APPID, "s", GH, TOKEN)
        .with_kind(AccountKind::MiniProgram)
        .with_format(DataFormat::Json)
        .with_token_free(true)
        .with_delivery(Delivery::CloudHosting {
            url: format!("http://127.0.0.1:{port}/"),
            env: "shared".into(),
            owner_appid: Some(OWNER.into()),
        });
    sim.add_account(owner).unwrap();
    sim.add_account(reusing).unwrap();
    burst_kill_restart(&sim, "oReuseUser", server, &config, port).await;
    std::fs::remove_dir_all(&dir).ok();
}
