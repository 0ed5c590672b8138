//! Account fields as typed by an admin or on the command line, valid by construction.

use super::message::Message;
use std::fmt;

/// Why an account field was refused; the message is shown to the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AccountError(pub Message);

/// A sign-in name: 3 to 64 lowercase letters, digits, `.`, `-` or `_`, starting with a
/// letter or digit. Stored lower-case so sign-in is case-insensitive on a phone keyboard
/// that capitalises the first letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, AccountError> {
        let name = raw.trim().to_lowercase();
        if name.len() < 3 || name.len() > 64 {
            return Err(AccountError(Message::new("admin.account.username_length")));
        }
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c);
        if !name.chars().all(allowed) {
            return Err(AccountError(Message::new("admin.account.username_letters")));
        }
        if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(AccountError(Message::new("admin.account.username_start")));
        }
        Ok(Username(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What a sign-in form's username is looked up as: normalised like [`Username::parse`]
    /// but never refused (a typo is just a name that does not exist), and bounded so that
    /// throttle records stay small.
    pub fn normalize_for_sign_in(raw: &str) -> String {
        raw.trim().to_lowercase().chars().take(64).collect()
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Shortest password accepted. Observers type it on a phone, once; length matters more
/// than symbols, and the login throttle limits guessing.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted, so that hashing cost stays bounded.
pub const MAX_PASSWORD_BYTES: usize = 256;

/// A new password that meets the length rules. Not `Debug`-printable by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: &str) -> Result<Self, AccountError> {
        if raw.chars().count() < MIN_PASSWORD_CHARS {
            return Err(AccountError(
                Message::new("admin.account.password_short").with("min", MIN_PASSWORD_CHARS),
            ));
        }
        if raw.len() > MAX_PASSWORD_BYTES {
            return Err(AccountError(
                Message::new("admin.account.password_long").with("max", MAX_PASSWORD_BYTES),
            ));
        }
        if raw.trim() != raw {
            return Err(AccountError(Message::new("admin.account.password_space")));
        }
        Ok(NewPassword(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(..)")
    }
}

/// The name shown to teammates: 1 to 100 characters once trimmed.
pub fn parse_display_name(raw: &str) -> Result<String, AccountError> {
    let name = raw.trim();
    match name.chars().count() {
        0 => Err(AccountError(Message::new("admin.account.name_required"))),
        1..=100 => Ok(name.to_owned()),
        _ => Err(AccountError(Message::new("admin.account.name_long"))),
    }
}

/// An optional phone number, kept so that a coordinator can call an observer who went
/// silent. Digits, spaces and `+ - ( )` only; empty means none.
pub fn parse_phone(raw: &str) -> Result<Option<String>, AccountError> {
    let phone = raw.trim();
    if phone.is_empty() {
        return Ok(None);
    }
    let allowed = |c: char| c.is_ascii_digit() || " +-()".contains(c);
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    if !phone.chars().all(allowed) || !(6..=20).contains(&digits) {
        return Err(AccountError(Message::new("admin.account.phone")));
    }
    Ok(Some(phone.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(
            Username::parse("  Wanjiru.K ").map(|u| u.0),
            Ok("wanjiru.k".into())
        );
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse(&"a".repeat(65)).is_err());
        assert!(Username::parse("has space").is_err());
        assert!(Username::parse("émile").is_err());
        assert!(Username::parse("_hidden").is_err());
        assert!(Username::parse("obs-01_x.y").is_ok());
    }

    #[test]
    fn passwords_have_bounded_length() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("long enough pass").is_ok());
        assert!(NewPassword::parse(" padded password").is_err());
        assert!(NewPassword::parse(&"x".repeat(257)).is_err());
        assert_eq!(
            format!("{:?}", NewPassword::parse("secret-secret")),
            "Ok(NewPassword(..))"
        );
    }

    #[test]
    fn display_names_and_phones() {
        assert_eq!(
            parse_display_name("  Achieng Otieno "),
            Ok("Achieng Otieno".into())
        );
        assert!(parse_display_name("   ").is_err());
        assert_eq!(parse_phone(""), Ok(None));
        assert_eq!(
            parse_phone("+254 712 345 678"),
            Ok(Some("+254 712 345 678".into()))
        );
        assert!(parse_phone("call me").is_err());
        assert!(parse_phone("123").is_err());
    }
}
