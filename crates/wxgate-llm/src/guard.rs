//! Cost and abuse guards: a per-user rate limit (per minute) and a daily cap.

use std::collections::HashMap;
use std::sync::Mutex;

/// Why a message was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Over the per-minute rate.
    Rate,
    /// Over the daily cap.
    Daily,
}

#[derive(Debug, Default)]
struct Usage {
    minute: Vec<i64>,
    day: i64,
    today: u32,
}

/// Per-user counters.
#[derive(Debug)]
pub struct Guard {
    per_minute: u32,
    per_day: u32,
    users: Mutex<HashMap<String, Usage>>,
}

impl Guard {
    /// A guard allowing `per_minute` messages a minute and `per_day` a day per user (0 = unlimited).
    pub fn new(per_minute: u32, per_day: u32) -> Self {
        Guard { per_minute, per_day, users: Mutex::new(HashMap::new()) }
    }

    /// Counts a message of `user` at `now_ms`, or says which limit it breaks (a refused message is not counted).
    pub fn check(&self, user: &str, now_ms: i64) -> Result<(), Limit> {
        let mut users = self.users.lock().expect("guard lock");
        let u = users.entry(user.to_owned()).or_default();
        u.minute.retain(|t| now_ms - t < 60_000);
        let day = now_ms.div_euclid(86_400_000);
        if u.day != day {
            u.day = day;
            u.today = 0;
        }
        if self.per_minute > 0 && u.minute.len() as u32 >= self.per_minute {
            return Err(Limit::Rate);
        }
        if self.per_day > 0 && u.today >= self.per_day {
            return Err(Limit::Daily);
        }
        u.minute.push(now_ms);
        u.today += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_and_daily_cap() {
        let g = Guard::new(2, 3);
        assert_eq!(g.check("u", 0), Ok(()));
        assert_eq!(g.check("u", 1), Ok(()));
        assert_eq!(g.check("u", 2), Err(Limit::Rate));
        assert_eq!(g.check("other", 2), Ok(()), "users are counted apart");
        assert_eq!(g.check("u", 61_000), Ok(()));
        assert_eq!(g.check("u", 200_000), Err(Limit::Daily));
        assert_eq!(g.check("u", 86_400_000), Ok(()), "a new day");
    }
}
