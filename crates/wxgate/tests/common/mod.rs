//! Running real `wxgate serve` processes in tests: start one on a config file, wait until it answers, kill it
//! with `kill -9`, and read what the simulated phone received.

#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use wxgate_sim::{Item, Simulator};

/// A port nobody listens on (yet).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A `wxgate serve` process, killed when dropped (so a failing test leaves none behind).
pub struct Server(Child);

impl Server {
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
    let log =
        std::fs::OpenOptions::new().create(true).append(true).open(config.with_extension("log")).expect("log file");
    let child = Command::new(env!("CARGO_BIN_EXE_wxgate"))
        .args(["serve", "--config"])
        .arg(config)
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
