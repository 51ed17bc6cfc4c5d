//! `wxgate check`: a good config passes every item with exit code 0; each kind of mistake fails on its own line
//! with its fix and exit code 1 — a key of the wrong length, an unreachable Redis, a wrong AppSecret (the
//! simulated platform answers 40125), an unreachable model, a credential of the wrong form, a rule file over its
//! limit. `--offline` skips the platform and the model.

mod common;

use std::process::Command;

use common::free_port;
use wxgate_llm::fake::FakeModel;
use wxgate_sim::{Account, Simulator};

const APPID: &str = "wx2c2769f8efd9abc2";
const GH: &str = "gh_0123456789ab";
const TOKEN: &str = "checkToken2026";
const SECRET: &str = "0123456789abcdef0123456789abcdef";
const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

/// Runs `wxgate check --config <config> [extra]` with no `WXGATE_…` variable; returns the exit code and stdout.
fn check(config: &std::path::Path, extra: &[&str]) -> (i32, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wxgate"));
    command.args(["check", "--config"]).arg(config).args(extra);
    for (name, _) in std::env::vars() {
        if name.starts_with("WXGATE_") {
            command.env_remove(name);
        }
    }
    let out = command.output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    eprintln!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap(), stdout)
}

/// A scratch folder with a small image for a rule.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("wxgate-check-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("logo.png"), b"\x89PNG\r\n\x1a\n a small image").unwrap();
    dir
}

/// A config with one account on the simulator and the model, its store and its rule file in `dir`; `account`
/// and `store` replace parts of it.
fn config(dir: &std::path::Path, sim: &Simulator, model_url: &str, account: &str, store: &str) -> std::path::PathBuf {
    let store =
        if store.is_empty() { format!("path = \"{}\"", dir.join("wxgate.sqlite").display()) } else { store.into() };
    let text = format!(
        "[store]\n{store}\n\
         [[accounts]]\nname = \"acct\"\npath = \"/wx\"\nappid = \"{APPID}\"\noriginal_id = \"{GH}\"\n\
         token = \"{TOKEN}\"\naes_key = \"{AES_KEY}\"\nsecret = \"{SECRET}\"\napi_base = \"{}\"\n{account}\n\
         [[accounts.rules]]\nkeyword = \"logo\"\nimage = \"{}\"\n\
         [accounts.llm]\nbase_url = \"{model_url}\"\nmodel = \"fake\"\n",
        sim.base_url(),
        dir.join("logo.png").display()
    );
    let path = dir.join("wxgate.toml");
    std::fs::write(&path, text).unwrap();
    path
}

async fn platform(secret: &str) -> Simulator {
    let sim = Simulator::builder().start().await.unwrap();
    sim.add_account(Account::new(APPID, secret, GH, TOKEN)).unwrap();
    sim
}

fn line<'a>(stdout: &'a str, start: &str) -> &'a str {
    stdout.lines().find(|l| l.starts_with(start)).unwrap_or_else(|| panic!("no line {start:?} in:\n{stdout}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_config_passes_every_check() {
    let (sim, model) = (platform(SECRET).await, FakeModel::start().await.unwrap());
    let dir = scratch("good");
    let (code, out) = check(&config(&dir, &sim, &model.base_url(), "", ""), &[]);
    assert_eq!(code, 0, "{out}");
    for item in ["config", "account acct", "store", "platform acct", "model acct", "file acct"] {
        assert!(line(&out, &format!("ok    {item}")).len() > 10);
    }
    assert!(!out.contains("FAIL"), "{out}");
    assert!(line(&out, "ok    platform acct").contains("access token obtained"));
    assert_eq!(model.requests().len(), 1, "one small request to the model");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_mistake_fails_on_its_own_line_with_its_fix() {
    let (sim, model) = (platform(SECRET).await, FakeModel::start().await.unwrap());
    let dir = scratch("mistakes");

    // An EncodingAESKey one character short: the config itself is refused, naming the key.
    let short_key = config(&dir, &sim, &model.base_url(), "", "");
    let text = std::fs::read_to_string(&short_key).unwrap().replace(AES_KEY, &AES_KEY[1..]);
    std::fs::write(&short_key, text).unwrap();
    let (code, out) = check(&short_key, &[]);
    assert_eq!(code, 1);
    let fail = line(&out, "FAIL  config");
    assert!(fail.contains("aes_key") && out.contains("fix:"), "{out}");

    // Redis nobody listens on.
    let redis = format!("backend = \"redis\"\nurl = \"redis://127.0.0.1:{}/\"", free_port());
    let (code, out) = check(&config(&dir, &sim, &model.base_url(), "", &redis), &["--offline"]);
    assert_eq!(code, 1);
    assert!(line(&out, "FAIL  store").contains("Redis"), "{out}");
    assert_eq!(out.matches("FAIL").count(), 1, "only the store fails: {out}");

    // A model endpoint nobody listens on.
    let nowhere = format!("http://127.0.0.1:{}/v1", free_port());
    let (code, out) = check(&config(&dir, &sim, &nowhere, "", ""), &[]);
    assert_eq!(code, 1);
    assert!(line(&out, "FAIL  model acct").contains(&nowhere), "{out}");
    assert!(out.contains("accounts[0].llm.base_url"), "{out}");
    // … which --offline does not call.
    let (code, out) = check(&config(&dir, &sim, &nowhere, "", ""), &["--offline"]);
    assert_eq!(code, 0, "{out}");
    assert!(line(&out, "skip  model acct").contains("--offline"));
    assert!(line(&out, "skip  platform acct").contains("--offline"));
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_appsecret_is_named_by_its_errcode() {
    let (sim, model) = (platform("fedcba9876543210fedcba9876543210").await, FakeModel::start().await.unwrap());
    let dir = scratch("secret");
    let (code, out) = check(&config(&dir, &sim, &model.base_url(), "", ""), &[]);
    assert_eq!(code, 1);
    let fail = line(&out, "FAIL  platform acct");
    assert!(fail.contains("40125"), "{out}");
    assert!(out.contains("copy the AppSecret again into accounts[0].secret"), "{out}");
    assert_eq!(out.matches("FAIL").count(), 1, "{out}");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_of_the_wrong_form_and_oversized_files_fail() {
    let (sim, model) = (platform(SECRET).await, FakeModel::start().await.unwrap());
    let dir = scratch("form");
    let path = config(&dir, &sim, &model.base_url(), "", "");
    let text = std::fs::read_to_string(&path).unwrap().replace(TOKEN, "a token!").replace(GH, "gh_01234");
    std::fs::write(&path, text).unwrap();
    std::fs::write(dir.join("logo.png"), vec![0u8; 11 * 1024 * 1024]).unwrap();
    let (code, out) = check(&path, &["--offline"]);
    assert_eq!(code, 1);
    assert!(out.contains("accounts[0].token: 8 characters"), "{out}");
    assert!(out.contains("accounts[0].original_id"), "{out}");
    assert!(line(&out, "FAIL  file acct").contains("over the image limit"), "{out}");
    assert_eq!(out.matches("FAIL").count(), 3, "{out}");
    std::fs::remove_dir_all(&dir).ok();
}
