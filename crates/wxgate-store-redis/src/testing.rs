//! A throwaway `redis-server` for tests (this crate's, the server's and the binary's): started on a free port
//! with persistence off, stopped when dropped.
//!
//! Without a Redis the tests that need one say so on stderr and pass, so `cargo test` works on a machine that
//! has none; with `WXGATE_TEST_REQUIRE_REDIS=1` (as in CI) a missing Redis fails them instead. `WXGATE_TEST_REDIS_URL`
//! points the tests at a running server instead of starting one.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A Redis for one test.
#[derive(Debug)]
pub struct TestRedis {
    child: Option<Child>,
    url: String,
}

impl TestRedis {
    /// Starts `redis-server` (or uses `WXGATE_TEST_REDIS_URL`). `None` when there is none and none is required.
    ///
    /// # Panics
    /// When `WXGATE_TEST_REQUIRE_REDIS` is set and no Redis can be started, or a started one does not answer.
    pub fn start() -> Option<TestRedis> {
        if let Ok(url) = std::env::var("WXGATE_TEST_REDIS_URL") {
            return Some(TestRedis { child: None, url });
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        let spawned = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(e) => {
                let why = format!("cannot start redis-server ({e}): install it (apt-get install redis-server)");
                let required = std::env::var("WXGATE_TEST_REQUIRE_REDIS").is_ok_and(|v| !v.is_empty() && v != "0");
                assert!(!required, "{why}; WXGATE_TEST_REQUIRE_REDIS is set");
                eprintln!("SKIPPED: {why} or set WXGATE_TEST_REDIS_URL");
                return None;
            }
        };
        let redis = TestRedis { child: Some(child), url: format!("redis://127.0.0.1:{port}/") };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ping(port) {
            assert!(Instant::now() < deadline, "redis-server on port {port} did not answer PING");
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(redis)
    }

    /// The server's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A key prefix unique to this process and `name`, so tests sharing a server stay apart.
    pub fn prefix(name: &str) -> String {
        format!("wxgate-test:{}:{name}:", std::process::id())
    }
}

fn ping(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let mut buf = [0u8; 7];
    s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
