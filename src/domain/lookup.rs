//! What a reviewer types to find one observer or one place among tens of thousands: the
//! patterns the store matches it with, and how the matches settle into a choice.

/// Typed text, ready for the store: a contained-in pattern, and the phone digits in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// The text as typed, trimmed: compared whole for an exact match.
    pub text: String,
    /// `%text%` for `LIKE ... ESCAPE '\'`, with the text's own wildcards escaped.
    pub pattern: String,
    /// For text that reads as a phone number: its digits without leading zeros, so that a
    /// number typed the local way (`0799 123 456`) is found in one stored the
    /// international way (`+254 799 123 456`).
    pub phone_digits: Option<String>,
}

/// The longest text looked up: names and codes are short, and a search is a scan.
pub const MAX_TEXT: usize = 100;

/// Digits a phone search needs: fewer would match most numbers, and would let a
/// coordinator's account page through the observers' numbers by their digits.
const PHONE_DIGITS_MIN: usize = 7;

/// A phone number as a list of people to choose from shows it: its last three digits,
/// enough to tell two namesakes apart, too few to give anyone the number.
pub fn phone_tail(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits[digits.len().saturating_sub(3)..].iter().collect();
    format!("…{tail}")
}

impl Lookup {
    /// `None` for text with nothing to look for.
    pub fn new(typed: &str) -> Option<Lookup> {
        let text: String = typed.trim().chars().take(MAX_TEXT).collect();
        if text.is_empty() {
            return None;
        }
        let escaped = text
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let phone_like = text
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        let digits = digits.trim_start_matches('0');
        let phone_digits =
            (phone_like && digits.len() >= PHONE_DIGITS_MIN).then(|| digits.to_owned());
        Some(Lookup {
            pattern: format!("%{escaped}%"),
            text,
            phone_digits,
        })
    }
}

/// What a search found, settled: nothing, the one meant, or several to choose from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found<T> {
    Nothing,
    One(T),
    /// The first matches, to choose from; `more` when others were left out.
    Several {
        shown: Vec<T>,
        more: bool,
    },
}

impl<T> Found<T> {
    /// Settles matches (each with whether it matched exactly: the whole name, username,
    /// code or number), given at most `shown + 1` of them, exact ones first. The one match,
    /// or the only exact one, is meant; otherwise the reviewer chooses.
    pub fn settle(mut matches: Vec<(T, bool)>, shown: usize) -> Found<T> {
        let exact = matches.iter().filter(|(_, exact)| *exact).count();
        if matches.len() == 1 || exact == 1 {
            let index = matches.iter().position(|(_, e)| *e).unwrap_or(0);
            return Found::One(matches.swap_remove(index).0);
        }
        if matches.is_empty() {
            return Found::Nothing;
        }
        let more = matches.len() > shown;
        matches.truncate(shown);
        Found::Several {
            shown: matches.into_iter().map(|(m, _)| m).collect(),
            more,
        }
    }

    /// The one match, if the search settled on one.
    pub fn one(&self) -> Option<&T> {
        match self {
            Found::One(found) => Some(found),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_wildcards_match_themselves() {
        let lookup = Lookup::new("  50%_off\\ ").expect("text");
        assert_eq!(lookup.text, "50%_off\\");
        assert_eq!(lookup.pattern, "%50\\%\\_off\\\\%");
        assert_eq!(lookup.phone_digits, None, "letters: not a phone number");
        assert_eq!(Lookup::new("   "), None);
        assert_eq!(
            Lookup::new(&"x".repeat(500)).map(|l| l.text.len()),
            Some(MAX_TEXT)
        );
    }

    #[test]
    fn a_listed_phone_number_shows_only_its_end() {
        assert_eq!(phone_tail("+254 799 123 456"), "…456");
        assert_eq!(phone_tail("12"), "…12");
    }

    #[test]
    fn phone_numbers_are_compared_by_their_digits() {
        let local = Lookup::new("0799 123-456").expect("text");
        assert_eq!(local.phone_digits.as_deref(), Some("799123456"));
        let international = Lookup::new("+254 (799) 123456").expect("text");
        assert_eq!(international.phone_digits.as_deref(), Some("254799123456"));
        assert_eq!(
            Lookup::new("0001").and_then(|l| l.phone_digits),
            None,
            "a code such as a ward's is too short to be a phone number"
        );
        assert_eq!(
            Lookup::new("1428001")
                .and_then(|l| l.phone_digits)
                .as_deref(),
            Some("1428001")
        );
    }

    #[test]
    fn the_one_or_the_only_exact_match_is_meant() {
        assert_eq!(Found::<u8>::settle(vec![], 3), Found::Nothing);
        assert_eq!(Found::settle(vec![(7, false)], 3), Found::One(7));
        assert_eq!(
            Found::settle(vec![(1, true), (2, false), (3, false)], 3),
            Found::One(1),
            "the username typed whole, among names that contain it"
        );
        assert_eq!(
            Found::settle(vec![(1, true), (2, true), (3, false)], 3),
            Found::Several {
                shown: vec![1, 2, 3],
                more: false
            },
            "two people of the same name: the reviewer chooses"
        );
        assert_eq!(
            Found::settle(vec![(1, false), (2, false), (3, false), (4, false)], 3),
            Found::Several {
                shown: vec![1, 2, 3],
                more: true
            }
        );
        assert_eq!(Found::settle(vec![(9, false)], 3).one(), Some(&9));
    }
}
