//! The allocator, and giving its memory back when the load is over.
//!
//! mimalloc serves the callback path's many small allocations measurably faster than the system allocator. Each
//! thread owns the pages it allocated from; a block freed by another thread (a push's entry, allocated by the worker
//! that received it and dropped by whichever runs the expiry) goes back to its page only when the owner next does
//! its housekeeping, and a page goes back to the operating system only once all of its blocks have. mimalloc does
//! that housekeeping on a thread once every 10 000 allocations that miss its fast path (those above 1 KiB), so an
//! idle worker never does, and the pages of a burst stay resident after the burst is over.
//!
//! So each worker thread, when it goes idle (tokio's park hook) and at most once per [`EVERY`], makes those 10 000
//! allocations itself ([`collect_here`]). [`give_back`] wakes the workers once per [`EVERY`] so that an idle one
//! gets there too, and frees a block past mimalloc's largest size class, which releases its own page at once.
//!
//! Transparent huge pages are off for mimalloc's memory (its `no_thp` feature): with them, each such block could
//! make a whole 2 MiB page resident, and an idle process would grow instead of shrink.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// The process's allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How often memory freed since is handed back (at least mimalloc's purge delay, 1 s).
const EVERY: Duration = Duration::from_secs(1);

/// A block past mimalloc's largest size class (512 KiB): it has a page of its own, freed with it. Never written,
/// so it costs no resident memory.
const NUDGE: usize = 1 << 20;

/// Allocations past mimalloc's fast path that make it collect the calling thread's pages (its `generic_collect`
/// option, 10 000 by default).
const COLLECT_AFTER: usize = 10_000;

/// A size that always takes mimalloc's generic path (above its 1 KiB small-object limit).
const GENERIC: usize = 2048;

thread_local! {
    static COLLECTED: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Tokio's park hook: a worker going idle collects its own pages, at most once per [`EVERY`].
pub(crate) fn on_park() {
    COLLECTED.with(|last| {
        if last.get().is_none_or(|at| at.elapsed() >= EVERY) {
            last.set(Some(Instant::now()));
            collect_here();
        }
    });
}

/// Makes mimalloc collect the calling thread's pages: every block other threads freed goes back to its page, and
/// pages left empty go back to the operating system once past the purge delay.
fn collect_here() {
    for _ in 0..COLLECT_AFTER {
        drop(std::hint::black_box(Vec::<u8>::with_capacity(GENERIC)));
    }
}

/// Runs forever: once every [`EVERY`], wakes the workers (each collects as it parks again) and lets the allocator
/// return the memory freed since.
pub(crate) async fn give_back() {
    let workers = tokio::runtime::Handle::current().metrics().num_workers();
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        for _ in 0..workers {
            tokio::spawn(async {});
        }
        drop(std::hint::black_box(Vec::<u8>::with_capacity(NUDGE)));
    }
}
