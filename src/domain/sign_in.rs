//! The rules of signing in: when a session is still good, when sign-in is throttled,
//! and where a visitor may be sent back to afterwards.

/// Last use is recorded at most every idle limit / 64 (and at least every 5 minutes):
/// the idle limit is then honoured to within a few percent.
const TOUCH_FRACTION: i64 = 64;
const MAX_TOUCH_INTERVAL_SECS: i64 = 300;

/// How long sessions last, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session unused for this long ends.
    pub idle_secs: i64,
    /// A session ends this long after sign-in, however busy.
    pub absolute_secs: i64,
}

impl SessionPolicy {
    /// Observers sign in once before election day and keep working through a long night
    /// of counting, so the idle limit covers a full day; a week bounds a stolen cookie.
    pub const DEFAULT: SessionPolicy = SessionPolicy {
        idle_secs: 24 * 3600,
        absolute_secs: 7 * 24 * 3600,
    };

    /// Whether a session created at `created_at` and last used at `last_seen_at` is
    /// still valid at `now` (all unix seconds).
    pub fn is_live(&self, created_at: i64, last_seen_at: i64, now: i64) -> bool {
        now < created_at + self.absolute_secs && now < last_seen_at + self.idle_secs
    }

    /// Whether the last-use time is stale enough to be worth a write. Recording every
    /// request would put a database write on every page view; minutes of slack on a
    /// 24-hour idle limit cost nothing.
    pub fn needs_touch(&self, last_seen_at: i64, now: i64) -> bool {
        now - last_seen_at >= (self.idle_secs / TOUCH_FRACTION).min(MAX_TOUCH_INTERVAL_SECS)
    }
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The window over which failed sign-ins are counted.
pub const THROTTLE_WINDOW_SECS: i64 = 15 * 60;

/// Failed sign-ins allowed within [`THROTTLE_WINDOW_SECS`] before further attempts wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleLimits {
    /// For one account, wherever the attempts come from.
    pub per_account: usize,
    /// From one network address (an IPv6 /64), whatever accounts they name.
    pub per_address: usize,
}

impl ThrottleLimits {
    pub const DEFAULT: ThrottleLimits = ThrottleLimits {
        per_account: 5,
        per_address: 5,
    };
}

impl Default for ThrottleLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Whether a sign-in attempt may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Open,
    /// Locked for this many more minutes (at least 1).
    Locked {
        minutes: i64,
    },
}

/// Decides from the recent failure times (unix seconds, any order) of one subject, an
/// account or an address, whether another attempt is allowed at `now` when `limit`
/// failures in the window lock it.
pub fn sign_in_gate(failures: &[i64], now: i64, limit: usize) -> Gate {
    let mut recent: Vec<i64> = failures
        .iter()
        .copied()
        .filter(|&at| at > now - THROTTLE_WINDOW_SECS)
        .collect();
    if limit == 0 || recent.len() < limit {
        return Gate::Open;
    }
    // The lock lifts when enough failures age out to leave limit - 1 in the window.
    recent.sort_unstable_by(|a, b| b.cmp(a));
    let unlock_at = recent[limit - 1] + THROTTLE_WINDOW_SECS;
    let seconds = (unlock_at - now).max(1);
    Gate::Locked {
        minutes: (seconds + 59) / 60,
    }
}

/// The stricter of two gates.
pub fn stricter(a: Gate, b: Gate) -> Gate {
    match (a, b) {
        (Gate::Open, other) | (other, Gate::Open) => other,
        (Gate::Locked { minutes: x }, Gate::Locked { minutes: y }) => {
            Gate::Locked { minutes: x.max(y) }
        }
    }
}

/// Accepts a post-sign-in destination only if it is a path on this site, so that a
/// crafted link cannot send a freshly signed-in observer to another site.
pub fn safe_next(next: &str) -> Option<&str> {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control)
        && next.len() <= 2000;
    (local && next != "/login").then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_end_when_idle_or_too_old() {
        let p = SessionPolicy {
            idle_secs: 100,
            absolute_secs: 1000,
        };
        assert!(p.is_live(0, 0, 99));
        assert!(!p.is_live(0, 0, 100), "idle");
        assert!(p.is_live(0, 950, 999));
        assert!(!p.is_live(0, 950, 1000), "absolute");
        assert!(!p.needs_touch(0, 0));
        assert!(
            p.needs_touch(0, 1),
            "a 100 s idle limit is recorded every second or so"
        );
        let day = SessionPolicy::DEFAULT;
        assert!(!day.needs_touch(0, 299) && day.needs_touch(0, 300));
    }

    #[test]
    fn four_failures_leave_the_gate_open() {
        assert_eq!(sign_in_gate(&[10, 20, 30, 40], 50, 5), Gate::Open);
        assert_eq!(
            sign_in_gate(&[10, 20, 30, 40], 50, 4),
            Gate::Locked { minutes: 15 }
        );
    }

    #[test]
    fn five_failures_lock_until_the_fifth_newest_ages_out() {
        let now = 1_000;
        let failures = [now - 60, now - 50, now - 40, now - 30, now - 20];
        // The oldest of the five, 60 s ago, leaves the window in 14 minutes.
        assert_eq!(
            sign_in_gate(&failures, now, 5),
            Gate::Locked { minutes: 14 }
        );
        assert_eq!(
            sign_in_gate(&failures, now - 60 + THROTTLE_WINDOW_SECS, 5),
            Gate::Open
        );
        assert_eq!(
            sign_in_gate(&failures, now - 61 + THROTTLE_WINDOW_SECS, 5),
            Gate::Locked { minutes: 1 }
        );
    }

    #[test]
    fn old_failures_do_not_count() {
        let now = 100_000;
        let old = [now - THROTTLE_WINDOW_SECS; 10];
        assert_eq!(sign_in_gate(&old, now, 5), Gate::Open);
    }

    #[test]
    fn stricter_gate_wins() {
        let l = |m| Gate::Locked { minutes: m };
        assert_eq!(stricter(Gate::Open, Gate::Open), Gate::Open);
        assert_eq!(stricter(Gate::Open, l(3)), l(3));
        assert_eq!(stricter(l(5), l(3)), l(5));
    }

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next("/m/ke/overview?x=1"), Some("/m/ke/overview?x=1"));
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil",
            "",
            "/login",
            "/a\nb",
        ] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
        }
    }
}
