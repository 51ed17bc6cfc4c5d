//! Logging refusals without letting a flood of bad requests flood the log: of each kind (a refusal's status, or a
//! trouble of the listener), the first in a second is logged with its reason, and the others are counted and
//! summed up in one line later: when one of the same kind comes in another second, or when [`flush`] runs (the
//! gateway's housekeeping calls it every second).
//!
//! So a flood writes at most two lines per kind per second, whatever its rate.

use std::sync::{Mutex, OnceLock};
use std::time::Instant;

/// What is counted apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A request refused with this HTTP status.
    Refused(u16),
    /// A trouble of the listener or of a shared store, by its message.
    Trouble(&'static str),
}

/// Per kind: the second being counted and how many of it went unlogged.
#[derive(Debug)]
struct Tally {
    kind: Kind,
    second: u64,
    unlogged: u64,
}

/// The tallies; a handful of kinds, so a short list.
static TALLIES: Mutex<Vec<Tally>> = Mutex::new(Vec::new());
static START: OnceLock<Instant> = OnceLock::new();

/// Logs a refusal with `status` and `reason`, unless one of the same status was logged this second.
pub(crate) fn refused(status: u16, reason: &str) {
    crate::metrics::get().refusals.get_or_create(&crate::metrics::StatusLabel { status }).inc();
    once_a_second(Kind::Refused(status), || tracing::warn!(status, reason, "push refused"));
}

/// Logs a trouble (`what`, and why), at most once a second for each `what`.
pub(crate) fn quiet_warn(what: &'static str, why: &dyn std::fmt::Display) {
    once_a_second(Kind::Trouble(what), || tracing::warn!(error = %why, "{what}"));
}

/// Runs `log` for the first event of `kind` in a second; counts the others, and sums them up in one line when
/// the next one is logged.
fn once_a_second(kind: Kind, log: impl FnOnce()) {
    let second = START.get_or_init(Instant::now).elapsed().as_secs();
    let (log_this, unlogged) = {
        let mut tallies = TALLIES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let i = match tallies.iter().position(|t| t.kind == kind) {
            Some(i) => i,
            None => {
                tallies.push(Tally { kind, second: u64::MAX, unlogged: 0 });
                tallies.len() - 1
            }
        };
        let tally = &mut tallies[i];
        if tally.second == second {
            tally.unlogged += 1;
            (false, 0)
        } else {
            tally.second = second;
            (true, std::mem::take(&mut tally.unlogged))
        }
    };
    if !log_this {
        return;
    }
    summary(kind, unlogged);
    log();
}

/// Sums up, in one line per kind, what went unlogged in the seconds before this one.
pub(crate) fn flush() {
    let Some(start) = START.get() else { return };
    let second = start.elapsed().as_secs();
    let due: Vec<(Kind, u64)> = {
        let mut tallies = TALLIES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        tallies
            .iter_mut()
            .filter(|t| t.second != second && t.unlogged > 0)
            .map(|t| (t.kind, std::mem::take(&mut t.unlogged)))
            .collect()
    };
    for (kind, unlogged) in due {
        summary(kind, unlogged);
    }
}

fn summary(kind: Kind, unlogged: u64) {
    if unlogged == 0 {
        return;
    }
    match kind {
        Kind::Refused(status) => tracing::warn!(status, more = unlogged, "more pushes refused (not logged one by one)"),
        Kind::Trouble(what) => tracing::warn!(more = unlogged, "more of: {what} (not logged one by one)"),
    }
}
