//! A throwaway `redis-server` for tests (this crate's, the server's and the binary's): started on a free port
//! with persistence off, stopped when dropped; or, for outage tests, one that writes every change to an
//! append-only file and can be killed and started again from it.
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
    /// The port and the arguments it was started with, to start it again.
    port: u16,
    args: Vec<String>,
}

impl TestRedis {
    /// Starts `redis-server` (or uses `WXGATE_TEST_REDIS_URL`). `None` when there is none and none is required.
    ///
    /// # Panics
    /// When `WXGATE_TEST_REQUIRE_REDIS` is set and no Redis can be started, or a started one does not answer.
    pub fn start() -> Option<TestRedis> {
        if let Ok(url) = std::env::var("WXGATE_TEST_REDIS_URL") {
            return Some(TestRedis { child: None, url, port: 0, args: Vec::new() });
        }
        TestRedis::spawn(&["--save", "", "--appendonly", "no"])
    }

    /// Starts `redis-server` writing every change to an append-only file in `dir` before answering
    /// (`appendfsync always`), so [`TestRedis::kill`] loses nothing and [`TestRedis::restart`] finds it all.
    /// Never a server named by `WXGATE_TEST_REDIS_URL` (it could not be killed): `None` then.
    pub fn start_durable(dir: &std::path::Path) -> Option<TestRedis> {
        if std::env::var("WXGATE_TEST_REDIS_URL").is_ok() {
            eprintln!("SKIPPED: an outage test needs a redis-server of its own (WXGATE_TEST_REDIS_URL is set)");
            return None;
        }
        let dir = dir.to_str().expect("a UTF-8 directory");
        TestRedis::spawn(&["--save", "", "--appendonly", "yes", "--appendfsync", "always", "--dir", dir])
    }

    fn spawn(args: &[&str]) -> Option<TestRedis> {
        let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        let mut redis = TestRedis {
            child: None,
            url: format!("redis://127.0.0.1:{port}/"),
            port,
            args: args.iter().map(|a| a.to_string()).collect(),
        };
        match redis.run() {
            Ok(()) => Some(redis),
            Err(e) => {
                let why = format!("cannot start redis-server ({e}): install it (apt-get install redis-server)");
                let required = std::env::var("WXGATE_TEST_REQUIRE_REDIS").is_ok_and(|v| !v.is_empty() && v != "0");
                assert!(!required, "{why}; WXGATE_TEST_REQUIRE_REDIS is set");
                eprintln!("SKIPPED: {why} or set WXGATE_TEST_REDIS_URL");
                None
            }
        }
    }

    /// Starts the server process on its port and waits until it answers.
    fn run(&mut self) -> std::io::Result<()> {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ping(self.port) {
            assert!(Instant::now() < deadline, "redis-server on port {} did not answer PING", self.port);
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// Kills the server (`kill -9`): clients get refused connections until [`TestRedis::restart`].
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the killed server again on the same port (from its append-only file, if durable).
    ///
    /// # Panics
    /// When it cannot be started.
    pub fn restart(&mut self) {
        self.kill();
        self.run().expect("restart redis-server");
    }

    /// The server's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Empties the server this started (`FLUSHALL`), so a benchmark's next pass meets it as new; does nothing to
    /// a server named by `WXGATE_TEST_REDIS_URL` (not this process's to empty).
    ///
    /// # Panics
    /// When the server does not answer `+OK`.
    pub fn flush(&self) {
        if self.child.is_none() {
            return;
        }
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to the test redis");
        let mut buf = [0u8; 5];
        s.write_all(b"FLUSHALL\r\n").and_then(|()| s.read_exact(&mut buf)).expect("FLUSHALL");
        assert_eq!(&buf, b"+OK\r\n", "FLUSHALL answered");
    }

    /// The process id of the server this started (`None` for one named by `WXGATE_TEST_REDIS_URL`, or killed):
    /// for a benchmark to read its CPU time.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
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
