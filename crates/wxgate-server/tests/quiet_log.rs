//! A flood of refused requests writes a bounded number of log lines: of each kind the first in a second, and
//! the rest counted and summed up — not one line per request. (Its own test binary: it owns the log.)

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use wxgate_server::Router;

/// Everything the gateway logs, as text.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn lines(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.0.lock().unwrap()).lines().map(str::to_owned).collect()
    }
}

/// How many refusals the log accounts for: one per `push refused` line, plus each summary's `more=N`.
fn accounted(lines: &[String]) -> u64 {
    lines
        .iter()
        .map(|l| {
            if l.contains("push refused") {
                return 1;
            }
            l.split_whitespace()
                .find_map(|w| w.strip_prefix("more="))
                .filter(|_| l.contains("more pushes refused"))
                .map_or(0, |n| n.parse::<u64>().unwrap())
        })
        .sum()
}

#[tokio::test]
async fn a_flood_of_bad_signatures_writes_few_lines() {
    let log = Captured::default();
    let writer = log.clone();
    tracing_subscriber::fmt().with_ansi(false).with_writer(move || writer.clone()).init();
    let s = start(&account_toml(""), Router::new()).await;
    const FLOOD: u64 = 2000;
    let started = Instant::now();
    for i in 0..FLOOD {
        let (status, _) = s.post_raw(&format!("/wx?signature=forged&timestamp={}&nonce={i}", now()), "x").await;
        assert_eq!(status, 401);
    }
    let seconds = started.elapsed().as_secs();
    let lines: Vec<String> = log.lines().into_iter().filter(|l| l.contains("refused")).collect();
    assert!(
        lines.len() as u64 <= 2 * (seconds + 2),
        "{} lines for {FLOOD} refusals in {seconds} s:\n{}",
        lines.len(),
        lines.join("\n")
    );
    // Nothing is lost: within a couple of seconds the summaries account for every refusal.
    for _ in 0..50 {
        if accounted(&log.lines()) == FLOOD {
            eprintln!("{FLOOD} refusals in {seconds} s, logged as:\n{}", log.lines().join("\n"));
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the log accounts for {} of {FLOOD} refusals:\n{}", accounted(&log.lines()), log.lines().join("\n"));
}
