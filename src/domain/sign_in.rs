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

/// Failed sign-ins within [`THROTTLE_WINDOW_SECS`] that hold further attempts back. An
/// address is an IPv4 address or an IPv6 /64. A limit of 0 turns its rule off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleLimits {
    /// Of one account from one address: that account is locked from that address.
    pub per_pair: usize,
    /// From one address, whatever accounts they name: that address is locked.
    pub per_address: usize,
    /// Of one account from anywhere: the account is under attack, and only addresses that
    /// have not failed on it in the window may still try it. Not a lock, so that a flood
    /// from many addresses cannot keep the account's owner out.
    pub per_account: usize,
}

impl ThrottleLimits {
    /// A carrier's NAT puts many observers behind one address, whose typos add up: the
    /// address limit is ten times the pair limit.
    pub const DEFAULT: ThrottleLimits = ThrottleLimits {
        per_pair: 5,
        per_address: 50,
        per_account: 10,
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

/// The recent failure times (unix seconds, any order) that bear on one sign-in attempt.
/// Each list needs only its newest entries, as many as its rule's limit.
#[derive(Debug, Clone, Copy)]
pub struct RecentFailures<'a> {
    /// Of this account from this address.
    pub pair: &'a [i64],
    /// From this address, naming any account.
    pub address: &'a [i64],
    /// Of this account, from any address.
    pub account: &'a [i64],
}

/// Decides whether an attempt at `now` may have its password checked. Refused are: an
/// account tried `per_pair` times from this address; an address that failed `per_address`
/// times; and an account failed `per_account` times, from an address that has itself
/// failed on it in the window. An address with no recent failure on the account is always
/// let through to it: that is what keeps its owner able to sign in. The rule asks about
/// this account only, not the address's failures on others: behind a carrier's NAT, where
/// thousands share an address, someone's typo on another account must not shut everyone
/// behind it out of an account under attack.
pub fn sign_in_gate(failures: RecentFailures<'_>, limits: ThrottleLimits, now: i64) -> Gate {
    let pair = lock_lifts_at(failures.pair, limits.per_pair, now);
    let address = lock_lifts_at(failures.address, limits.per_address, now);
    let under_attack =
        lock_lifts_at(failures.account, limits.per_account, now).and_then(|attack_ends| {
            // Refused until the attack subsides or this pair's last failure ages out.
            let pair_clean_at = newest_in_window(failures.pair, now)? + THROTTLE_WINDOW_SECS;
            Some(attack_ends.min(pair_clean_at))
        });
    match [pair, address, under_attack].into_iter().flatten().max() {
        None => Gate::Open,
        Some(opens_at) => {
            let seconds = (opens_at - now).max(1);
            Gate::Locked {
                minutes: (seconds + 59) / 60,
            }
        }
    }
}

/// When a rule that `limit` failures in the window trigger stops holding, if it holds at
/// `now`: when enough failures age out to leave `limit - 1` in the window.
fn lock_lifts_at(failures: &[i64], limit: usize, now: i64) -> Option<i64> {
    let mut recent: Vec<i64> = failures
        .iter()
        .copied()
        .filter(|&at| at > now - THROTTLE_WINDOW_SECS)
        .collect();
    if limit == 0 || recent.len() < limit {
        return None;
    }
    recent.sort_unstable_by(|a, b| b.cmp(a));
    Some(recent[limit - 1] + THROTTLE_WINDOW_SECS)
}

/// The newest failure still in the window, if any.
fn newest_in_window(failures: &[i64], now: i64) -> Option<i64> {
    failures
        .iter()
        .copied()
        .filter(|&at| at > now - THROTTLE_WINDOW_SECS)
        .max()
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

    const LIMITS: ThrottleLimits = ThrottleLimits::DEFAULT;
    const NOW: i64 = 100_000;

    /// `n` failures, one a second up to a second ago.
    fn failures(n: i64) -> Vec<i64> {
        (1..=n).map(|ago| NOW - ago).collect()
    }

    fn gate(pair: &[i64], address: &[i64], account: &[i64]) -> Gate {
        let failures = RecentFailures {
            pair,
            address,
            account,
        };
        sign_in_gate(failures, LIMITS, NOW)
    }

    #[test]
    fn four_failures_of_a_pair_leave_it_open_and_five_lock_it() {
        let (four, five) = (failures(4), failures(5));
        assert_eq!(gate(&four, &four, &four), Gate::Open);
        // The oldest of the five, 5 s ago, leaves the window in 14 min 55 s.
        assert_eq!(gate(&five, &five, &five), Gate::Locked { minutes: 15 });
    }

    #[test]
    fn a_pair_lock_lifts_when_its_fifth_newest_failure_ages_out() {
        let five = [NOW - 60, NOW - 50, NOW - 40, NOW - 30, NOW - 20];
        let at = |now| {
            let failures = RecentFailures {
                pair: &five,
                address: &five,
                account: &five,
            };
            sign_in_gate(failures, LIMITS, now)
        };
        assert_eq!(at(NOW), Gate::Locked { minutes: 14 });
        assert_eq!(
            at(NOW - 61 + THROTTLE_WINDOW_SECS),
            Gate::Locked { minutes: 1 }
        );
        assert_eq!(at(NOW - 60 + THROTTLE_WINDOW_SECS), Gate::Open);
    }

    #[test]
    fn an_address_that_failed_fifty_times_is_locked_for_every_account() {
        let fifty = failures(50);
        assert_eq!(gate(&[], &fifty[1..], &[]), Gate::Open);
        assert_eq!(gate(&[], &fifty, &[]), Gate::Locked { minutes: 15 });
    }

    #[test]
    fn an_account_under_attack_is_tried_only_from_addresses_that_have_not_failed_on_it() {
        let ten = failures(10);
        assert_eq!(gate(&[], &[], &ten[1..]), Gate::Open, "nine: no attack");
        assert_eq!(gate(&[NOW - 1], &[NOW - 1], &ten[1..]), Gate::Open);
        assert_eq!(
            gate(&[], &[], &ten),
            Gate::Open,
            "a clean address is checked"
        );
        assert_eq!(
            gate(&[], &[NOW - 1], &ten),
            Gate::Open,
            "an address that failed on another account is checked too (a shared NAT)"
        );
        assert_eq!(
            gate(&[NOW - 1], &[NOW - 1], &ten),
            Gate::Locked { minutes: 15 },
            "an address that failed on this account is not"
        );
    }

    #[test]
    fn an_attack_holds_an_address_back_until_its_last_failure_on_the_account_ages_out() {
        let ten = failures(10);
        // The address failed on this account 10 minutes ago: clean again in 5.
        let earlier = [NOW - 600, NOW - 700];
        assert_eq!(gate(&earlier, &earlier, &ten), Gate::Locked { minutes: 5 });
        // An attack that subsides sooner frees it sooner: the oldest of ten failures
        // 14 minutes ago leaves the window in one.
        let mut subsiding = failures(9);
        subsiding.push(NOW - 14 * 60);
        assert_eq!(
            gate(&[NOW - 1], &[NOW - 1], &subsiding),
            Gate::Locked { minutes: 1 }
        );
    }

    #[test]
    fn the_longest_lock_wins() {
        let pair = [NOW - 100, NOW - 90, NOW - 80, NOW - 70, NOW - 60];
        let mut address = failures(49);
        address.push(NOW - 10 * 60);
        // Pair open in about 13 min 20 s; the address's 50th failure ages out in 5 min.
        assert_eq!(gate(&pair, &address, &[]), Gate::Locked { minutes: 14 });
        assert_eq!(gate(&pair[1..], &address, &[]), Gate::Locked { minutes: 5 });
    }

    #[test]
    fn old_failures_do_not_count() {
        let old = [NOW - THROTTLE_WINDOW_SECS; 100];
        assert_eq!(gate(&old, &old, &old), Gate::Open);
    }

    #[test]
    fn a_zero_limit_turns_its_rule_off() {
        let off = ThrottleLimits {
            per_pair: 0,
            per_address: 0,
            per_account: 0,
        };
        let many = failures(100);
        let failures = RecentFailures {
            pair: &many,
            address: &many,
            account: &many,
        };
        assert_eq!(sign_in_gate(failures, off, NOW), Gate::Open);
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
