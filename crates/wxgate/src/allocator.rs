//! The allocator, and giving its memory back when the load is over.
//!
//! mimalloc serves the callback path's many small allocations measurably faster than the system allocator. It
//! returns freed memory to the operating system only after a delay (1 s), and only when some thread frees a whole
//! page of its own after that — on a server that has gone idle after a burst, nothing does, and the burst's memory
//! stays resident for good. Freeing a block larger than mimalloc's largest size class releases its page at once
//! and, with it, lets mimalloc return whatever is past its delay: [`give_back`] does that once a second.
//!
//! Transparent huge pages are off for mimalloc's memory (its `no_thp` feature): with them, each such block could
//! make a whole 2 MiB page resident, and an idle process would grow instead of shrink.

use std::time::Duration;

/// The process's allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How often memory freed since is handed back (at least mimalloc's delay).
const EVERY: Duration = Duration::from_secs(1);

/// A block past mimalloc's largest size class (512 KiB): it has a page of its own, freed with it. Never written,
/// so it costs no resident memory.
const NUDGE: usize = 1 << 20;

/// Runs forever: once every [`EVERY`], lets the allocator return the memory freed since.
pub(crate) async fn give_back() {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        drop(std::hint::black_box(Vec::<u8>::with_capacity(NUDGE)));
    }
}
