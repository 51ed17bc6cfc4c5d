//! A real `wxgate serve` under a low open-file limit (`ulimit -n 128`), held by more idle connections than it can
//! open and by clients that start bodies they never finish: it keeps answering the platform, its memory stays
//! bounded, and it does not flood its log.

mod common;

use std::time::Duration;

use common::{free_port, serve_with_open_files, wait_healthy};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use wxgate_sim::{Account, Simulator, Verdict};

const APPID: &str = "wx2c2769f8efd9abc2";
const GH: &str = "gh_0123456789ab";
const TOKEN: &str = "hostile-token";

/// The resident memory of process `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn idle_connections_beyond_the_open_file_limit_do_not_stop_answers() {
    let dir = std::env::temp_dir().join(format!("wxgate-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let config = dir.join("wxgate.toml");
    // Idle connections are not timed out during the test: room is made by closing the ones idle longest.
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\nheader_timeout_ms = 120000\n[store]\npath = \"{}\"\n\
             [[accounts]]\npath = \"/wx\"\nappid = \"{APPID}\"\ntoken = \"{TOKEN}\"\n\
             [[accounts.rules]]\nmsg_type = \"text\"\nreply = {{ type = \"text\", content = \"echo: {{content}}\" }}\n",
            dir.join("wxgate.sqlite").display()
        ),
    )
    .unwrap();
    let server = serve_with_open_files(&config, 128);
    wait_healthy(port).await;
    let sim = Simulator::builder().start().await.unwrap();
    sim.add_account(Account::new(APPID, "s", GH, TOKEN).with_url(format!("http://127.0.0.1:{port}/wx"))).unwrap();
    sim.add_user(APPID, "oHostileUser000000000000001").unwrap();
    let user = sim.user(APPID, "oHostileUser000000000000001");
    let before = rss_kib(server.pid());

    // 300 idle connections, more than 128 open files allow, and 100 bodies started without a signature.
    let mut held = Vec::new();
    for _ in 0..300 {
        held.push(TcpStream::connect(("127.0.0.1", port)).await.unwrap());
    }
    for _ in 0..100 {
        let mut conn = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let head = "POST /wx HTTP/1.1\r\nHost: wxgate\r\nContent-Length: 60000\r\n\r\n";
        // The server may already have closed it to make room; what it costs is what is measured.
        if conn.write_all(head.as_bytes()).await.is_ok() {
            let _ = conn.write_all(&[b'x'; 30_000]).await;
        }
        held.push(conn);
    }
    for i in 0..5 {
        let outcome = user.send_text(&format!("ping {i}")).await.unwrap();
        match outcome.verdict {
            Verdict::Reply(r) => assert_eq!(r.body, wxgate_proto::ReplyBody::text(format!("echo: ping {i}"))),
            other => panic!("not answered while held: {other:?}"),
        }
    }
    let grown = rss_kib(server.pid()).saturating_sub(before);
    assert!(grown < 32 * 1024, "memory grew by {grown} KiB");
    drop(held);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = std::fs::read_to_string(config.with_extension("log")).unwrap();
    let noisy = log.lines().filter(|l| l.contains("Too many open files") || l.contains("refused")).count();
    assert!(noisy <= 10, "{noisy} lines of trouble:\n{log}");
    drop(server);
    std::fs::remove_dir_all(&dir).ok();
}
