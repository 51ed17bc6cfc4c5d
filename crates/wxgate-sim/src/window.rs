//! The customer-service window and per-interaction quota (the 48-hour rule of 客服消息), as pure logic.
//!
//! Each qualifying user action resets the window: the quota goes back to the scenario's maximum and the deadline
//! to the scenario's validity. Quotas do not accumulate.

use std::time::Duration;

/// A user action that (possibly) opens the customer-service window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Interaction {
    /// The user sent an ordinary message: 5 messages within 48 h.
    Message,
    /// A click / scancode_push / scancode_waitmsg menu event, or a msgmenu tap: 3 within 1 min (OA).
    MenuClick,
    /// The user followed: 3 within 1 min (OA).
    Subscribe,
    /// The user scanned a QR code: 3 within 1 min (OA).
    Scan,
    /// Mini Program: the user entered the customer-service session: 2 within 1 min.
    EnterSession,
    /// Any other event: recorded as an interaction (for typing) but opens no window.
    Other,
}

impl Interaction {
    /// `(messages allowed, validity)` for this action on an OA (`mini_program == false`) or a Mini Program.
    pub fn allowance(self, mini_program: bool) -> Option<(u32, Duration)> {
        const H48: Duration = Duration::from_secs(48 * 3600);
        const MIN1: Duration = Duration::from_secs(60);
        match (self, mini_program) {
            (Interaction::Message, _) => Some((5, H48)),
            (Interaction::MenuClick | Interaction::Subscribe | Interaction::Scan, false) => Some((3, MIN1)),
            (Interaction::EnterSession, true) => Some((2, MIN1)),
            _ => None,
        }
    }
}

/// The open window of one (account, user).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Unix ms after which sending answers 45015.
    pub deadline_ms: u64,
    /// Messages still allowed (45047 at zero).
    pub remaining: u32,
}

/// Why a customer-service message may not be sent now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowDenied {
    /// No window, or it expired: 45015.
    OutOfTime,
    /// The quota of the current window is used up: 45047.
    OutOfCount,
}

impl Window {
    /// The window opened by `action` at `now_ms`, if that action opens one.
    pub fn open(action: Interaction, mini_program: bool, now_ms: u64) -> Option<Window> {
        let (count, validity) = action.allowance(mini_program)?;
        Some(Window { deadline_ms: now_ms + validity.as_millis() as u64, remaining: count })
    }

    /// Checks the window at `now_ms` and, when allowed, uses one message of the quota.
    pub fn take(window: &mut Option<Window>, now_ms: u64) -> Result<(), WindowDenied> {
        match window {
            Some(w) if now_ms < w.deadline_ms => {
                if w.remaining == 0 {
                    return Err(WindowDenied::OutOfCount);
                }
                w.remaining -= 1;
                Ok(())
            }
            _ => Err(WindowDenied::OutOfTime),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_window_allows_five_within_48h() {
        let mut w = Window::open(Interaction::Message, false, 0);
        for _ in 0..5 {
            Window::take(&mut w, 1000).unwrap();
        }
        assert_eq!(Window::take(&mut w, 1000), Err(WindowDenied::OutOfCount));
        let mut w = Window::open(Interaction::Message, false, 0);
        assert_eq!(Window::take(&mut w, 48 * 3600 * 1000), Err(WindowDenied::OutOfTime));
    }

    #[test]
    fn menu_window_is_three_in_a_minute_and_mp_session_two() {
        let mut w = Window::open(Interaction::MenuClick, false, 0);
        assert_eq!(w.unwrap().remaining, 3);
        assert_eq!(Window::take(&mut w, 60_000), Err(WindowDenied::OutOfTime));
        assert_eq!(Window::open(Interaction::EnterSession, true, 0).unwrap().remaining, 2);
        assert!(Window::open(Interaction::Subscribe, true, 0).is_none());
        assert!(Window::open(Interaction::Other, false, 0).is_none());
    }

    #[test]
    fn no_window_is_out_of_time() {
        assert_eq!(Window::take(&mut None, 0), Err(WindowDenied::OutOfTime));
    }
}
