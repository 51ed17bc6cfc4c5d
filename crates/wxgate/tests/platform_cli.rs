//! The platform subcommands as separate processes against the simulator: `token` hides the token unless
//! `--reveal`, processes share one token through `WXGATE_STORE`, `send` (text with Markdown, image from a file),
//! `typing`, `media upload` (within a gateway config's `[media]` limits when given one), and errors that name the errcode, its meaning and what to do; with
//! `--redis-url` the processes share the token through Redis instead.

use std::path::{Path, PathBuf};
use std::process::Output;

use wxgate_sim::{Account, Interaction, Item, Simulator};
use wxgate_store_redis::testing::TestRedis;

const APPID: &str = "wx0123456789abcdef";
const SECRET: &str = "cli-test-secret-42";
const USER: &str = "oCliUser00000000000000000001";

struct Env {
    base: String,
    store: PathBuf,
    dir: PathBuf,
    /// Tokens and media ids in this Redis instead of the SQLite file.
    redis: Option<String>,
}

/// Runs the binary off the async runtime (the simulator keeps serving meanwhile).
async fn wxgate(env: &Env, args: &[&str]) -> Output {
    let (base, store, dir) = (env.base.clone(), env.store.clone(), env.dir.clone());
    let mut args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    if let Some(url) = &env.redis {
        args.extend(["--redis-url".to_owned(), url.clone(), "--redis-prefix".to_owned(), TestRedis::prefix("cli")]);
    }
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_wxgate"))
            .args(&args)
            .current_dir(&dir)
            .env("WXGATE_API_BASE", base)
            .env("WXGATE_APPID", APPID)
            .env("WXGATE_APPSECRET", SECRET)
            .env("WXGATE_STORE", store)
            .env("RUST_LOG", "warn")
            .env_remove("WXGATE_CLOUD")
            .output()
            .expect("the binary runs")
    })
    .await
    .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn jpeg(path: &Path, len: usize) {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00];
    v.resize(len, 0x42);
    std::fs::write(path, v).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn platform_commands_work_end_to_end() {
    let sim = Simulator::builder().account(Account::new(APPID, SECRET, "gh_0123456789ab", "t")).start().await.unwrap();
    sim.add_user(APPID, USER).unwrap();
    sim.record_interaction(APPID, USER, Interaction::Message).unwrap();
    let dir = std::env::temp_dir().join(format!("wxgate-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let env = Env { base: sim.base_url(), store: dir.join("wxgate.sqlite"), dir: dir.clone(), redis: None };

    let first = wxgate(&env, &["token"]).await;
    assert!(first.status.success(), "{}", text(&first.stderr));
    let shown = text(&first.stdout);
    assert!(shown.contains("source:     platform") && shown.contains("--reveal"), "{shown}");
    let revealed = wxgate(&env, &["token", "--reveal"]).await;
    let revealed = text(&revealed.stdout);
    assert!(revealed.contains("source:     store"), "a second process reuses the stored token: {revealed}");
    let token = revealed.lines().find_map(|l| l.strip_prefix("token:      ")).unwrap().trim().to_owned();
    assert!(token.len() >= 32);
    assert!(!shown.contains(&token), "the token is printed only with --reveal");
    assert!(!shown.contains(SECRET) && !revealed.contains(SECRET));

    let out =
        wxgate(&env, &["send", "text", "--to", USER, "**Hello** from the [CLI](https://e.com)", "--markdown"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    jpeg(&dir.join("logo.jpg"), 1000);
    let out = wxgate(&env, &["send", "image", "--to", USER, "--file", "logo.jpg"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = wxgate(&env, &["typing", "--to", USER]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = wxgate(&env, &["media", "upload", "logo.jpg"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("reused from the media cache"), "the send above cached it");

    let received: Vec<(String, Option<String>)> = sim
        .transcript(APPID, USER)
        .into_iter()
        .filter_map(|e| match e.item {
            Item::CustomerService { msg_type, text, .. } => Some((msg_type, text)),
            _ => None,
        })
        .collect();
    assert_eq!(received[0], ("text".to_owned(), Some("Hello from the CLI (https://e.com)".to_owned())));
    assert_eq!(received[1].0, "image");
    let n = sim.counters();
    assert_eq!(n.stable_token_requests + n.token_requests, 1, "six processes, one token");
    assert_eq!((n.media_uploads, n.typing_requests), (1, 1));

    // Errors name the code, its meaning and what to do; nothing reaches the network for a bad file.
    let out = wxgate(&env, &["send", "text", "--to", "oStranger", "hi"]).await;
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("40003") && err.contains("check the openid"), "{err}");
    jpeg(&dir.join("huge.jpg"), (2 << 20) + 1);
    let out = wxgate(&env, &["media", "upload", "huge.jpg"]).await;
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("limit is 2097152 bytes"), "{}", text(&out.stderr));
    assert_eq!(sim.counters().media_uploads, 1);
    // A gateway config's [media] limits decide instead.
    std::fs::write(dir.join("media.toml"), "[media]\nimage_max_bytes = 4194304\n[[accounts]]\ntoken = \"t\"\n")
        .unwrap();
    let out = wxgate(&env, &["media", "upload", "huge.jpg", "--config", "media.toml"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(sim.counters().media_uploads, 2);
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_share_the_token_through_redis() {
    let Some(redis) = TestRedis::start() else { return };
    let sim = Simulator::builder().account(Account::new(APPID, SECRET, "gh_0123456789ab", "t")).start().await.unwrap();
    let dir = std::env::temp_dir().join(format!("wxgate-cli-redis-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = dir.join("unused.sqlite");
    let env = Env { base: sim.base_url(), store: store.clone(), dir: dir.clone(), redis: Some(redis.url().to_owned()) };
    let first = wxgate(&env, &["token"]).await;
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(text(&first.stdout).contains("source:     platform"), "{}", text(&first.stdout));
    let second = wxgate(&env, &["token"]).await;
    assert!(
        text(&second.stdout).contains("source:     store"),
        "the second process reads Redis: {}",
        text(&second.stdout)
    );
    assert_eq!(sim.counters().tokens_issued, 1);
    assert!(!store.exists(), "the SQLite file is not used");
    std::fs::remove_dir_all(&dir).ok();
}
