//! A report form's ticket: proof that fieldreport itself gave this form, with this
//! submission id, to this observer of this mission.
//!
//! A form posted without a live session cannot be checked against the session's CSRF
//! token; yet it must be kept for its observer (their session lapsed in the field), and
//! a form planted by another site must not be (it would come back to the observer after
//! sign-in as "check your answers and send"). The ticket, an HMAC under a key of the
//! database's, is verifiable without any session and without reading the database: a
//! post that carries no valid ticket costs nothing and writes nothing.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The form field holding the ticket.
pub const FIELD: &str = "ticket";

/// How far ahead of the clock a ticket may be dated.
const CLOCK_SLACK_SECS: i64 = 300;

/// Who a valid ticket was given to, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    pub observer_id: i64,
    pub issued_at: i64,
}

fn mac(
    key: &[u8],
    mission_slug: &str,
    observer_id: i64,
    submission_id: &str,
    at: i64,
) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    // Unit separators keep the fields apart: no slug or id holds one.
    mac.update(
        format!(
            "report-form\u{1f}{mission_slug}\u{1f}{observer_id}\u{1f}{submission_id}\u{1f}{at}"
        )
        .as_bytes(),
    );
    mac
}

/// The ticket of a form with `submission_id` given to `observer_id` in `mission_slug` at
/// `now`: `observer.issued_at.mac` (the mac in hex).
pub fn issue(
    key: &[u8],
    mission_slug: &str,
    observer_id: i64,
    submission_id: &str,
    now: i64,
) -> String {
    let digest = mac(key, mission_slug, observer_id, submission_id, now)
        .finalize()
        .into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{observer_id}.{now}.{hex}")
}

/// The ticket in `text` if fieldreport issued it for this mission and submission id,
/// within `max_age_secs` before `now`.
pub fn verify(
    key: &[u8],
    mission_slug: &str,
    submission_id: &str,
    text: &str,
    now: i64,
    max_age_secs: i64,
) -> Option<Ticket> {
    let mut parts = text.trim().splitn(3, '.');
    let observer_id: i64 = parts.next()?.parse().ok()?;
    let issued_at: i64 = parts.next()?.parse().ok()?;
    let hex = parts.next()?;
    // A few minutes ahead are allowed: a clock set back (NTP) must not refuse the forms it
    // has just given out.
    if hex.len() != 64 || !(now - max_age_secs..=now + CLOCK_SLACK_SECS).contains(&issued_at) {
        return None;
    }
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect::<Option<_>>()?;
    mac(key, mission_slug, observer_id, submission_id, issued_at)
        .verify_slice(&bytes)
        .ok()?;
    Some(Ticket {
        observer_id,
        issued_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"a key of the database, 32 bytes!";
    const ID: &str = "0b0e3f8e-4f9a-4c36-9d0c-3b7a4b6c2d10";
    const DAY: i64 = 86_400;

    #[test]
    fn a_ticket_proves_its_observer_mission_and_form() {
        let ticket = issue(KEY, "kenya-2017", 42, ID, 1_000_000);
        let found = verify(KEY, "kenya-2017", ID, &ticket, 1_000_000 + DAY, 7 * DAY);
        assert_eq!(
            found,
            Some(Ticket {
                observer_id: 42,
                issued_at: 1_000_000
            })
        );
    }

    #[test]
    fn a_ticket_is_refused_for_anything_it_was_not_issued_for() {
        let now = 1_000_000;
        let ticket = issue(KEY, "kenya-2017", 42, ID, now);
        let other_id = "9f1c2d3e-0000-4000-8000-000000000000";
        assert_eq!(
            verify(KEY, "other-2019", ID, &ticket, now, DAY),
            None,
            "mission"
        );
        assert_eq!(
            verify(KEY, "kenya-2017", other_id, &ticket, now, DAY),
            None,
            "form"
        );
        assert_eq!(
            verify(b"another key", "kenya-2017", ID, &ticket, now, DAY),
            None,
            "key"
        );
        assert_eq!(
            verify(KEY, "kenya-2017", ID, &ticket, now + DAY + 1, DAY),
            None,
            "too old"
        );
        assert!(
            verify(KEY, "kenya-2017", ID, &ticket, now - 60, DAY).is_some(),
            "a clock set back a minute"
        );
        assert_eq!(
            verify(KEY, "kenya-2017", ID, &ticket, now - 301, DAY),
            None,
            "from the future"
        );
        let claimed = ticket.replacen("42.", "43.", 1);
        assert_eq!(
            verify(KEY, "kenya-2017", ID, &claimed, now, DAY),
            None,
            "another observer"
        );
        for junk in [
            "",
            "42",
            "42.1000000",
            "42.1000000.zz",
            "..",
            "42.1000000.🙂🙂",
        ] {
            assert_eq!(
                verify(KEY, "kenya-2017", ID, junk, now, DAY),
                None,
                "{junk:?}"
            );
        }
    }
}
