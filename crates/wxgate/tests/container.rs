//! The container's contract, without a container engine: the `Dockerfile`'s final stage is read (its `ENV`,
//! `USER`, `EXPOSE`, `VOLUME` and `ENTRYPOINT`), and the binary the image is built from is run exactly as that
//! entrypoint runs it — no config file, the image's environment plus the operator's `-e` variables, port 80
//! mapped to a free port and the `/data` volume to a scratch folder. It must answer WeChat, keep its store in the
//! volume, report ready, and drain and exit 0 on SIGTERM (what `docker stop` sends).

mod common;

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{free_port, wait_healthy};
use wxgate_sim::{Account, Simulator, Verdict};

const APPID: &str = "wx2c2769f8efd9abc2";
const GH: &str = "gh_0123456789ab";
const TOKEN: &str = "containerToken";
const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

/// The instructions of the Dockerfile's last stage, continuation lines joined: (instruction, arguments).
fn final_stage() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Dockerfile")).unwrap();
    let mut joined = Vec::new();
    let mut current = String::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        match line.strip_suffix('\\') {
            Some(part) => current.push_str(part),
            None => {
                current.push_str(line);
                joined.push(std::mem::take(&mut current));
            }
        }
    }
    let last = joined.iter().rposition(|l| l.starts_with("FROM ")).expect("a FROM");
    joined[last..]
        .iter()
        .map(|l| {
            let (instruction, args) = l.split_once(char::is_whitespace).unwrap();
            (instruction.to_owned(), args.trim().to_owned())
        })
        .collect()
}

fn image_env(stage: &[(String, String)]) -> HashMap<String, String> {
    stage
        .iter()
        .filter(|(i, _)| i == "ENV")
        .flat_map(|(_, args)| args.split_whitespace().map(|kv| kv.split_once('=').expect("ENV key=value")))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_image_entrypoint_serves_with_env_only_and_stops_cleanly() {
    let stage = final_stage();
    let get = |name: &str| stage.iter().find(|(i, _)| i == name).map(|(_, a)| a.clone());
    let base = stage[0].1.clone();
    assert!(base == "scratch" || base.contains("distroless"), "a minimal final image: {base}");
    let user = get("USER").expect("a USER");
    assert!(!["root", "0", "0:0"].contains(&user.as_str()), "runs as non-root: {user}");
    assert_eq!(get("EXPOSE").as_deref(), Some("80"), "Cloud Hosting's port");
    assert_eq!(get("VOLUME").as_deref(), Some("/data"));
    let entrypoint: Vec<String> = serde_json::from_str(&get("ENTRYPOINT").expect("an ENTRYPOINT")).unwrap();
    assert_eq!(entrypoint, ["/wxgate", "serve"]);
    let env = image_env(&stage);
    assert_eq!(env["WXGATE_LISTEN"], "0.0.0.0:80");
    assert!(env["WXGATE_STORE"].starts_with("/data/"), "the store is on the volume");

    // docker run -p <port>:80 -v <scratch>/data:/data -e WXGATE_TOKEN=… -e WXGATE_APPID=… …
    let scratch = std::env::temp_dir().join(format!("wxgate-container-{}", std::process::id()));
    let volume = scratch.join("data");
    std::fs::create_dir_all(&volume).unwrap();
    let port = free_port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_wxgate"));
    command.args(&entrypoint[1..]).current_dir(&scratch).env_clear();
    for (k, v) in &env {
        let v =
            v.replace("0.0.0.0:80", &format!("127.0.0.1:{port}")).replace("/data/", &format!("{}/", volume.display()));
        command.env(k, v);
    }
    let operator = [("WXGATE_TOKEN", TOKEN), ("WXGATE_APPID", APPID), ("WXGATE_AES_KEY", AES_KEY)];
    command.envs(operator).env("RUST_LOG", "info");
    let log = std::fs::File::create(scratch.join("wxgate.log")).unwrap();
    let mut child = command.stdout(Stdio::null()).stderr(log).spawn().unwrap();
    wait_healthy(port).await;

    let ready = reqwest::get(format!("http://127.0.0.1:{port}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);
    let sim = Simulator::builder().start().await.unwrap();
    let account = Account::new(APPID, "s", GH, TOKEN)
        .with_mode(wxgate_sim::Mode::Safe, Some(AES_KEY))
        .with_url(format!("http://127.0.0.1:{port}/wx"));
    sim.add_account(account).unwrap();
    sim.add_user(APPID, "oContainerUser0000000000001").unwrap();
    let outcome = sim.user(APPID, "oContainerUser0000000000001").send_text("hello").await.unwrap();
    match outcome.verdict {
        Verdict::Reply(r) => assert_eq!(r.body, wxgate_proto::ReplyBody::text("echo: hello")),
        other => panic!("answered through the container's entrypoint: {other:?}"),
    }
    assert!(volume.join("wxgate.sqlite").exists(), "the store is in the volume");

    // docker stop: SIGTERM, then a drain and exit 0.
    let term = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(term.success());
    let mut status = None;
    for _ in 0..600 {
        if let Some(s) = child.try_wait().unwrap() {
            status = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = status.unwrap_or_else(|| {
        let _ = child.kill();
        panic!("no exit within 30 s of SIGTERM")
    });
    assert_eq!(status.code(), Some(0));
    let log = std::fs::read_to_string(scratch.join("wxgate.log")).unwrap();
    assert!(log.contains("drained"), "{log}");
    std::fs::remove_dir_all(&scratch).ok();
}

/// The Cloud Hosting service config's environment, on the image's, is a config `wxgate check` passes (offline:
/// the platform is Cloud Hosting's own). The image's working directory holds `examples/`, as the repository does.
#[test]
fn the_cloud_hosting_example_environment_passes_check() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/cloud-hosting/container.config.json");
    let service: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(service["containerPort"], 80);
    let scratch = std::env::temp_dir().join(format!("wxgate-container-check-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_wxgate"));
    command.args(["check", "--offline"]).current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).env_clear();
    for (k, v) in image_env(&final_stage()) {
        command.env(k, v.replace("/data/", &format!("{}/", scratch.display())));
    }
    for (k, v) in service["envParams"].as_object().expect("envParams") {
        command.env(k, v.as_str().expect("string values"));
    }
    let out = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("Mini Program") && stdout.contains("Cloud delivery"), "{stdout}");
    std::fs::remove_dir_all(&scratch).ok();
}
