//! `wxgate dev` as a newcomer meets it: the real binary, the chat console in real headless Chromium, typing and
//! clicking as a user does. The page must show what WeChat would show — a passive text reply, a news card, the
//! typing indicator and then a customer-service message for a slow model, the red system notice when the server
//! never answers in time — and its inspector must show the decrypted push. A conversation saved from the page
//! replays with nothing changed, in the page and with `wxgate dev --replay`; an edited one shows the change.
//!
//! Needs Debian's `chromium` (and `fonts-noto-cjk` for readable screenshots): without it the browser tests say
//! so and pass, unless `WXGATE_TEST_REQUIRE_BROWSER=1` (set by `.ci/run`). A failing browser test saves a
//! screenshot under `target/console-failures/`. `WXGATE_CONSOLE_SCREENSHOTS=DIR` saves the README's screenshots.

mod browser;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, ensure};
use serde_json::{Value, json};
use tokio::io::AsyncBufReadExt as _;

use browser::Browser;

const APPID: &str = "wx0000000000000001";
const NOTICE: &str = "该公众号暂时无法提供服务，请稍后再试";

/// A running `wxgate dev`, killed when dropped.
struct Dev {
    child: tokio::process::Child,
    url: String,
}

impl Drop for Dev {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// Starts `wxgate dev ARGS --listen 127.0.0.1:0` with no `WXGATE_…` variables of the test's environment, and
/// reads the console's URL from its first line.
async fn start_dev(args: &[&str]) -> anyhow::Result<Dev> {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_wxgate"));
    command.arg("dev").args(args).args(["--listen", "127.0.0.1:0"]);
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("WXGATE_")) {
        command.env_remove(k);
    }
    let mut child = command
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .context("starting wxgate dev")?;
    let mut lines = tokio::io::BufReader::new(child.stdout.take().context("stdout")?).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .context("wxgate dev printed nothing in 30 s")??
        .context("wxgate dev exited")?;
    let url = first.split_whitespace().find(|w| w.starts_with("http://")).context("no URL")?.to_owned();
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(Dev { child, url })
}

fn out_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The browser, or `None` (with a note) when Chromium is not installed and not required.
async fn browser() -> Option<Browser> {
    let Some(binary) = browser::chromium() else {
        assert!(
            std::env::var("WXGATE_TEST_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "WXGATE_TEST_REQUIRE_BROWSER=1 but no chromium: apt-get install chromium fonts-noto-cjk"
        );
        eprintln!("note: no chromium (apt-get install chromium fonts-noto-cjk); browser test skipped");
        return None;
    };
    Some(Browser::launch(&binary, 1360, 900).await.expect("launch chromium"))
}

/// Runs a scenario; on failure saves a screenshot and fails with the scenario's error.
async fn run(b: &mut Browser, name: &str, scenario: impl AsyncFnOnce(&mut Browser) -> anyhow::Result<()>) {
    if let Err(e) = scenario(b).await {
        let shot =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/console-failures").join(format!("{name}.png"));
        let saved = b.screenshot(&shot).await.map(|_| shot.display().to_string());
        panic!("{name}: {e:#}\nscreenshot: {saved:?}");
    }
}

/// Where the README's screenshots go, if asked for.
fn screenshots() -> Option<PathBuf> {
    std::env::var_os("WXGATE_CONSOLE_SCREENSHOTS").map(PathBuf::from)
}

/// How many chat lines of `kind` the page shows.
fn count(kind: &str) -> String {
    format!("document.querySelectorAll('#chat > li[data-kind=\"{kind}\"]').length")
}

/// What the page must never show in a conversation that went well: a notice, or text no phone shows.
async fn shows_nothing_wechat_would_not(b: &mut Browser) -> anyhow::Result<()> {
    let notices = b.eval(&count("system_notice")).await?;
    ensure!(notices == json!(0), "a system notice where none belongs");
    let text = b.eval("document.getElementById('chat').innerText").await?;
    let text = text.as_str().unwrap_or_default();
    for bad in ["undefined", "null", "[object", "NaN", "<xml", "<![CDATA["] {
        ensure!(!text.contains(bad), "the chat shows {bad:?}: {text}");
    }
    Ok(())
}

#[tokio::test]
async fn the_console_shows_what_a_wechat_user_would_see() {
    let Some(mut b) = browser().await else { return };
    let downloads = out_dir("console-downloads");
    b.download_to(&downloads).await.unwrap();
    // Safe mode (the default), the embedded default config, a fake model slower than WeChat's three attempts.
    let dev = start_dev(&["--fake-model", "--fake-model-delay-ms", "16000"]).await.expect("wxgate dev");
    b.goto(&dev.url).await.unwrap();

    run(&mut b, "passive_text_and_news", async |b| {
        b.wait_for("document.getElementById('connection').textContent.includes('live')", Duration::from_secs(20)).await?;
        b.type_and_enter("#text", "回复文字").await?;
        let reply = b
            .wait_for(
                "[...document.querySelectorAll('#chat li[data-kind=passive_reply] .bubble')].map(e => e.innerText).join('|')",
                Duration::from_secs(20),
            )
            .await?;
        ensure!(reply == json!("这是回复的消息"), "passive reply {reply}");
        b.type_and_enter("#text", "回复图文").await?;
        let card = b
            .wait_for("document.querySelector('#chat li[data-kind=passive_reply] .bubble.news strong')?.innerText", Duration::from_secs(20))
            .await?;
        ensure!(card == json!("Relax|今日推荐音乐"), "news card title {card}");
        let timeline = b.eval("document.querySelector('#chat li[data-kind=sent] .timeline').innerText").await?;
        ensure!(timeline.as_str().unwrap_or_default().contains("attempt 1 answered passively"), "timeline {timeline}");
        shows_nothing_wechat_would_not(b).await
    })
    .await;

    run(&mut b, "slow_model_by_customer_service", async |b| {
        b.type_and_enter("#text", "讲一个长故事").await?;
        // While the model writes, the title bar says the account is typing, as WeChat does.
        b.wait_for("document.getElementById('chat-title').innerText === '对方正在输入…'", Duration::from_secs(20))
            .await?;
        let cs = b
            .wait_for(
                "document.querySelector('#chat li[data-kind=customer_service] .bubble')?.innerText",
                Duration::from_secs(40),
            )
            .await?;
        ensure!(cs == json!("echo: 讲一个长故事 (turn 1)"), "customer-service message {cs}");
        ensure!(
            b.eval("document.getElementById('chat-title').innerText").await? != json!("对方正在输入…"),
            "still typing"
        );
        let timeline =
            b.eval("[...document.querySelectorAll('#chat li[data-kind=sent] .timeline')].pop().innerText").await?;
        let timeline = timeline.as_str().unwrap_or_default();
        ensure!(timeline.contains("attempt 1 held") && timeline.contains("attempt 3 success"), "timeline {timeline}");
        let status = b.eval("document.getElementById('user-status').innerText").await?;
        ensure!(status.as_str().unwrap_or_default().contains("quota 4 left"), "window and quota: {status}");
        shows_nothing_wechat_would_not(b).await?;
        if let Some(dir) = screenshots() {
            b.screenshot(&dir.join("console-chat.png")).await?;
        }
        Ok(())
    })
    .await;

    run(&mut b, "inspector_shows_the_decrypted_push", async |b| {
        b.click("#chat li[data-kind=sent]").await?;
        let text = b.wait_for("document.getElementById('inspect').innerText", Duration::from_secs(5)).await?;
        let text = text.as_str().unwrap_or_default();
        ensure!(text.contains("Decrypted push") && text.contains("<Content><![CDATA[回复文字]]></Content>"), "{text}");
        ensure!(text.contains("encrypt_type=aes") && text.contains("<Encrypt>"), "the encrypted push: {text}");
        ensure!(text.contains("Reply, decrypted") && text.contains("这是回复的消息"), "the reply: {text}");
        // The slow message, reached with the keyboard: its typing and customer-service calls, with their errcodes.
        b.eval("document.querySelector('#chat li[data-kind=customer_service]').focus()").await?;
        b.press("Enter").await?;
        let text = b.wait_for("document.getElementById('inspect').innerText", Duration::from_secs(5)).await?;
        let text = text.as_str().unwrap_or_default();
        ensure!(text.contains("/cgi-bin/message/custom/send → errcode 0"), "{text}");
        ensure!(text.contains("/cgi-bin/message/custom/typing → errcode 0"), "{text}");
        if let Some(dir) = screenshots() {
            b.screenshot(&dir.join("console-inspector.png")).await?;
        }
        Ok(())
    })
    .await;

    let saved = downloads.join("wxgate-oDevUser0000000000000000001.json");
    run(&mut b, "save_and_replay", async |b| {
        b.click("#more").await?;
        b.click("#save").await?;
        let start = tokio::time::Instant::now();
        while !saved.exists() {
            ensure!(start.elapsed() < Duration::from_secs(20), "no download in {}", downloads.display());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let file: Value = serde_json::from_str(&std::fs::read_to_string(&saved)?)?;
        ensure!(file["steps"].as_array().map(Vec::len) == Some(3), "saved {file}");
        b.pick_files("#replay-file", &[&saved]).await?;
        let summary =
            b.wait_for("document.getElementById('replay-summary')?.innerText", Duration::from_secs(90)).await?;
        ensure!(summary == json!("0 of 3 steps changed"), "replay: {summary}");
        // The replay ran as a new user, whose conversation the page now shows.
        ensure!(b.eval(&count("customer_service")).await? == json!(1), "the replayed conversation is shown");
        Ok(())
    })
    .await;
    drop(dev);

    // A config of our own: a menu button that sends a msgmenu, a picture from a file, and each attempt given 6 s,
    // longer than WeChat waits, so a slow answer is never given in time.
    let dir = out_dir("console-notice");
    b.screenshot_clip(&dir.join("picture.png"), 160, 120).await.unwrap();
    let config = dir.join("late.toml");
    std::fs::write(
        &config,
        format!(
            "[[accounts]]\nname = \"late\"\npath = \"/wx\"\nappid = \"wx0000000000000001\"\ntoken = \"t\"\n\
             [accounts.deadline]\nbudget_ms = 6000\n\
             [[accounts.rules]]\nmenu_click = \"SURVEY\"\n[[accounts.rules.send]]\ntype = \"msgmenu\"\n\
             head_content = \"您对本次服务是否满意？\"\n\
             list = [{{ id = \"101\", content = \"满意\" }}, {{ id = \"102\", content = \"不满意\" }}]\n\
             [[accounts.rules]]\nkeyword = \"满意\"\nreply = {{ type = \"text\", content = \"谢谢您的评价\" }}\n\
             [[accounts.rules]]\nkeyword = \"看图\"\nimage = \"{}\"\n",
            dir.join("picture.png").display()
        ),
    )
    .unwrap();
    let dev = start_dev(&["--config", config.to_str().unwrap(), "--fake-model", "--fake-model-delay-ms", "30000"])
        .await
        .expect("wxgate dev");
    b.goto(&dev.url).await.unwrap();
    run(&mut b, "menu_msgmenu_and_uploaded_picture", async |b| {
        b.wait_for("document.getElementById('connection').textContent.includes('live')", Duration::from_secs(20))
            .await?;
        b.click("#menu button").await?;
        b.wait_for(
            "document.querySelector('#chat li[data-kind=customer_service] .menu-option')",
            Duration::from_secs(20),
        )
        .await?;
        let head = b.eval("document.querySelector('#chat li[data-kind=customer_service] .bubble').innerText").await?;
        ensure!(head.as_str().unwrap_or_default().starts_with("您对本次服务是否满意？"), "msgmenu {head}");
        b.click("#chat li[data-kind=customer_service] .menu-option").await?;
        let thanks = b
            .wait_for(
                "document.querySelector('#chat li[data-kind=passive_reply] .bubble')?.innerText",
                Duration::from_secs(20),
            )
            .await?;
        ensure!(thanks == json!("谢谢您的评价"), "the tapped option was answered {thanks}");
        b.type_and_enter("#text", "看图").await?;
        // The media id of the passive reply is the file the gateway uploaded: the picture itself is shown.
        let width = b
            .wait_for(
                "document.querySelector('#chat li[data-kind=passive_reply] .bubble.media img')?.naturalWidth",
                Duration::from_secs(20),
            )
            .await?;
        ensure!(width == json!(160), "the uploaded picture, {width} px wide");
        shows_nothing_wechat_would_not(b).await
    })
    .await;
    run(&mut b, "system_notice_in_red", async |b| {
        b.wait_for("document.getElementById('connection').textContent.includes('live')", Duration::from_secs(20))
            .await?;
        b.type_and_enter("#text", "你好").await?;
        let notice = b
            .wait_for(
                "document.querySelector('#chat li[data-kind=system_notice] .notice-text')?.innerText",
                Duration::from_secs(40),
            )
            .await?;
        ensure!(notice == json!(NOTICE), "notice {notice}");
        let color = b.eval("getComputedStyle(document.querySelector('.notice-text')).color").await?;
        ensure!(color == json!("rgb(217, 48, 37)"), "the notice is red, not {color}");
        let reason = b.eval("document.querySelector('.notice-reason').innerText").await?;
        ensure!(reason.as_str().unwrap_or_default().contains("timeout"), "reason {reason}");
        Ok(())
    })
    .await;
}

/// Drives a `wxgate dev` through its control API and saves the conversation as a transcript file.
async fn record_conversation(dev: &Dev, dir: &Path) -> anyhow::Result<PathBuf> {
    let http = reqwest::Client::new();
    let user = "oDevUser0000000000000000002";
    for text in ["回复文字", "回复图文", "hello"] {
        let resp = http
            .post(format!("{}sim/send/{APPID}/{user}", dev.url))
            .body(json!({"type": "text", "content": text}).to_string())
            .send()
            .await?;
        ensure!(resp.status().is_success(), "send {text}: {}", resp.status());
    }
    let file = http.get(format!("{}sim/transcript-file/{APPID}/{user}", dev.url)).send().await?.text().await?;
    let path = dir.join("conversation.json");
    std::fs::write(&path, file)?;
    Ok(path)
}

async fn replay(file: &Path) -> anyhow::Result<(bool, String)> {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_wxgate"));
    command.arg("dev").arg("--replay").arg(file).args(["--listen", "127.0.0.1:0"]);
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("WXGATE_")) {
        command.env_remove(k);
    }
    let out = tokio::time::timeout(Duration::from_secs(120), command.env("RUST_LOG", "warn").output())
        .await
        .context("replay did not finish in 120 s")??;
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    Ok((out.status.success(), text))
}

#[tokio::test]
async fn a_saved_conversation_replays_the_same_and_an_edited_one_shows_what_changed() {
    let dir = out_dir("console-replay");
    let dev = start_dev(&[]).await.expect("wxgate dev");
    let file = record_conversation(&dev, &dir).await.unwrap();
    drop(dev);
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(
        saved["steps"][0]["saw"],
        json!([{"kind": "passive_reply", "msg_type": "text", "text": "这是回复的消息"}])
    );
    assert_eq!(saved["steps"][2]["saw"][0]["text"], "echo: hello");

    let (ok, out) = replay(&file).await.unwrap();
    assert!(ok, "{out}");
    assert!(out.contains("0 of 3 steps changed"), "{out}");

    let edited = dir.join("edited.json");
    std::fs::write(&edited, std::fs::read_to_string(&file).unwrap().replace("这是回复的消息", "旧的回复")).unwrap();
    let (ok, out) = replay(&edited).await.unwrap();
    assert!(!ok, "an edited transcript must fail the replay: {out}");
    assert!(
        out.contains("CHANGED step 1") && out.contains("旧的回复") && out.contains("1 of 3 steps changed"),
        "{out}"
    );
}

#[tokio::test]
async fn a_broken_transcript_file_is_refused_with_the_reason() {
    let dir = out_dir("console-broken");
    let file = dir.join("broken.json");
    std::fs::write(&file, r#"{"format":"wxgate-transcript/9","appid":"wx1","openid":"o","steps":[]}"#).unwrap();
    let (ok, out) = replay(&file).await.unwrap();
    assert!(!ok, "{out}");
    assert!(out.contains("format \"wxgate-transcript/9\"; this version reads \"wxgate-transcript/1\""), "{out}");
}
