//! Rules for a report as a whole: when it was observed, its human reference, amendments.

use super::message::Message;
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

use super::answers::parse_local_minute;
use super::form::FormKind;
use super::review::Action;

/// How far ahead of the server's clock an observation may be dated: a phone's clock is
/// often a few minutes off.
const FUTURE_SLACK_SECS: i64 = 10 * 60;
/// How far back: a mission runs for weeks, not years.
const PAST_LIMIT_SECS: i64 = 366 * 24 * 3600;

/// Reads when an observation was made, typed in the mission's time zone, as unix seconds.
pub fn parse_observed_at(raw: &str, time_zone: &str, now: i64) -> Result<i64, Message> {
    let local = parse_local_minute(raw).ok_or_else(|| Message::new("answer.observed_at"))?;
    let zone = TimeZone::get(time_zone).map_err(|_| Message::new("answer.zone_unknown"))?;
    // A time skipped or repeated by a clock change is refused rather than guessed.
    let at = zone
        .to_ambiguous_timestamp(local)
        .unambiguous()
        .map_err(|_| Message::new("answer.clock_change"))?
        .as_second();
    if at > now + FUTURE_SLACK_SECS {
        return Err(Message::new("answer.future"));
    }
    if at < now - PAST_LIMIT_SECS {
        return Err(Message::new("answer.too_old"));
    }
    Ok(at)
}

/// A local date-time typed in a filter, as unix seconds in the mission's time zone. Around
/// a clock change the earlier reading is taken: a filter boundary needs no precision there.
pub fn local_to_unix(raw: &str, time_zone: &str) -> Option<i64> {
    let local = parse_local_minute(raw)?;
    let zone = TimeZone::get(time_zone).ok()?;
    zone.to_ambiguous_timestamp(local)
        .compatible()
        .ok()
        .map(|t| t.as_second())
}

/// The earliest and latest date-time an answer may give, in the mission's time zone: the
/// same window as for when a report was observed.
pub fn answer_window(now: i64, time_zone: &str) -> (DateTime, DateTime) {
    let zone = TimeZone::get(time_zone).unwrap_or(TimeZone::UTC);
    let civil = |at: i64| {
        Timestamp::from_second(at).map_or(DateTime::MIN, |t| {
            t.to_zoned_datetime(zone.clone()).datetime()
        })
    };
    (civil(now - PAST_LIMIT_SECS), civil(now + FUTURE_SLACK_SECS))
}

/// `now` as a `datetime-local` value in the mission's time zone: the default of a form.
pub fn local_input_value(unix_seconds: i64, time_zone: &str) -> String {
    let Ok(at) = Timestamp::from_second(unix_seconds) else {
        return String::new();
    };
    let zone = TimeZone::get(time_zone).unwrap_or(TimeZone::UTC);
    at.to_zoned_datetime(zone)
        .strftime("%Y-%m-%dT%H:%M")
        .to_string()
}

/// Whether a form of this kind may be filed for a region at `depth`, when the mission's
/// polling stations are at `deepest`: a checklist describes one polling station, an
/// incident may have happened anywhere.
pub fn place_fits(kind: FormKind, depth: i64, deepest: i64) -> bool {
    kind == FormKind::Incident || depth == deepest
}

/// Crockford's base32 without look-alikes (no I, L, O, U): easy to read out on a phone.
const REFERENCE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters after the prefix: 32^6, about a billion, keeps random references from
/// colliding often even at a million reports (the store retries when they do).
pub const REFERENCE_LENGTH: usize = 6;

/// A short reference such as `KE-7Q4M9X`, from the mission's prefix and random bytes.
pub fn reference(prefix: &str, random: [u8; REFERENCE_LENGTH]) -> String {
    let code: String = random
        .iter()
        .map(|b| char::from(REFERENCE_ALPHABET[usize::from(*b) % 32]))
        .collect();
    format!("{prefix}-{code}")
}

/// The reference prefix of a mission: the first two letters of its slug, upper-case
/// (`kenya-2017` -> `KE`).
pub fn reference_prefix(slug: &str) -> String {
    let letters: String = slug
        .chars()
        .filter(char::is_ascii_alphabetic)
        .take(2)
        .collect();
    if letters.len() == 2 {
        letters.to_ascii_uppercase()
    } else {
        "FR".to_owned()
    }
}

/// How recent a report must be for a new submission saying the same to count as that
/// report sent again. Back, then Send, repeats a report within minutes, while the phone's
/// outbox may send both copies hours later: the times observed are close, whenever they
/// arrive. A second visit to the station is observed later than this, and an observer who
/// does mean a second, identical report sends it deliberately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResendWindow {
    /// The earliest arrival of a report the new one may repeat.
    pub received_since: i64,
    /// Seconds between the two reports' observed times.
    pub observed_within: i64,
    /// How many of the observer's latest reports the new one may repeat: a form sent
    /// again comes soon after its first send, whatever the outbox sent between them.
    pub latest: i64,
}

impl ResendWindow {
    const RECEIVED_WITHIN: i64 = 12 * 3600;
    const OBSERVED_WITHIN: i64 = 30 * 60;
    const LATEST: i64 = 10;

    pub fn at(now: i64) -> ResendWindow {
        ResendWindow {
            received_since: now - Self::RECEIVED_WITHIN,
            observed_within: Self::OBSERVED_WITHIN,
            latest: Self::LATEST,
        }
    }
}

/// What an observer adds to a report after filing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmendmentKind {
    /// Something in the report was wrong.
    Correction,
    /// Something happened or was noticed afterwards.
    Addition,
}

impl AmendmentKind {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "correction" => Some(AmendmentKind::Correction),
            "addition" => Some(AmendmentKind::Addition),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AmendmentKind::Correction => "correction",
            AmendmentKind::Addition => "addition",
        }
    }
}

/// What happened to a report, as its history records it: filed, amended by its observer,
/// or acted on by a reviewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Filed,
    Amended(AmendmentKind),
    Reviewed(Action),
}

impl EventKind {
    pub const ALL: [EventKind; 9] = [
        EventKind::Filed,
        EventKind::Amended(AmendmentKind::Correction),
        EventKind::Amended(AmendmentKind::Addition),
        EventKind::Reviewed(Action::Verify),
        EventKind::Reviewed(Action::Dismiss),
        EventKind::Reviewed(Action::Escalate),
        EventKind::Reviewed(Action::MarkDuplicate),
        EventKind::Reviewed(Action::Reopen),
        EventKind::Reviewed(Action::Comment),
    ];

    /// The stable name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Filed => "filed",
            EventKind::Amended(kind) => kind.as_str(),
            EventKind::Reviewed(action) => action.as_str(),
        }
    }

    pub fn parse(text: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Whether the observer who filed the report sees this in its history: their own
    /// filing and amendments, never the core team's review.
    pub fn shown_to_observer(self) -> bool {
        !matches!(self, EventKind::Reviewed(_))
    }
}

/// Longest amendment text, in characters.
pub const AMENDMENT_MAX: usize = 4000;

/// Checks the text of an amendment.
pub fn amendment_text(raw: &str) -> Result<String, Message> {
    let text = super::text::unix_newlines(raw.trim());
    if text.is_empty() {
        return Err(Message::new("observer.report.write_what"));
    }
    let count = text.chars().count();
    if count > AMENDMENT_MAX {
        return Err(Message::new("answer.too_long")
            .with("max", AMENDMENT_MAX)
            .with("count", count));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(Message::new("answer.bad_chars"));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2017-08-08 12:00 UTC
    const NOON_UTC: i64 = 1_502_193_600;

    #[test]
    fn observed_at_is_read_in_the_mission_zone() {
        // 14:30 in Nairobi is 11:30 UTC.
        assert_eq!(
            parse_observed_at("2017-08-08T14:30", "Africa/Nairobi", NOON_UTC),
            Ok(NOON_UTC - 1800)
        );
        assert_eq!(
            local_input_value(NOON_UTC, "Africa/Nairobi"),
            "2017-08-08T15:00"
        );
    }

    #[test]
    fn clock_changes_are_not_guessed() {
        // Berlin skipped 02:00-03:00 on 2024-03-31 and repeated 02:00-03:00 on 2024-10-27.
        let now = 1_730_000_000; // 2024-10-27
        assert!(
            parse_observed_at("2024-03-31T02:30", "Europe/Berlin", now)
                .is_err_and(|e| e.key == "answer.clock_change")
        );
        assert!(
            parse_observed_at("2024-10-27T02:30", "Europe/Berlin", now)
                .is_err_and(|e| e.key == "answer.clock_change")
        );
        assert!(parse_observed_at("2024-10-27T04:30", "Europe/Berlin", now + 3600 * 3).is_ok());
    }

    #[test]
    fn observed_at_must_be_plausible() {
        assert!(
            parse_observed_at("2017-08-08T15:05", "Africa/Nairobi", NOON_UTC).is_ok(),
            "a few minutes ahead"
        );
        let future = parse_observed_at("2017-08-08T16:00", "Africa/Nairobi", NOON_UTC);
        assert!(future.is_err_and(|e| e.to_string().contains("future")));
        let old = parse_observed_at("2015-08-08T16:00", "Africa/Nairobi", NOON_UTC);
        assert!(old.is_err_and(|e| e.to_string().contains("year")));
        assert!(parse_observed_at("yesterday", "Africa/Nairobi", NOON_UTC).is_err());
    }

    #[test]
    fn checklists_are_for_polling_stations() {
        assert!(place_fits(FormKind::Checklist, 4, 4));
        assert!(!place_fits(FormKind::Checklist, 3, 4));
        assert!(place_fits(FormKind::Incident, 1, 4));
    }

    #[test]
    fn references_are_short_and_readable() {
        assert_eq!(reference("KE", [0, 1, 31, 32, 255, 100]), "KE-01Z0Z4");
        assert_eq!(reference_prefix("kenya-2017"), "KE");
        assert_eq!(reference_prefix("2019-x"), "FR");
        assert!(!REFERENCE_ALPHABET.iter().any(|c| b"ILOU".contains(c)));
    }

    #[test]
    fn amendments_have_text() {
        assert!(amendment_text("   ").is_err());
        assert_eq!(
            amendment_text(" Count was 312\r\nnot 321 "),
            Ok("Count was 312\nnot 321".into())
        );
        assert!(amendment_text(&"x".repeat(AMENDMENT_MAX + 1)).is_err());
        assert!(amendment_text("bell\u{7} and nul\u{0}").is_err());
        assert_eq!(
            AmendmentKind::parse("addition"),
            Some(AmendmentKind::Addition)
        );
        assert_eq!(AmendmentKind::parse("rewrite"), None);
    }
}
