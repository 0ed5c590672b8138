//! A form body read strictly: every name and value must be valid UTF-8 once
//! percent-decoded. Axum's `Form` replaces bad bytes with U+FFFD, which would store
//! garbage in a report instead of saying that the body was damaged. Pure so that the store
//! can read the bodies it keeps (forms parked offline) by the same rule as the web.

use super::message::Message;

/// Parses `application/x-www-form-urlencoded` strictly, fields in order, repeated names kept.
pub fn parse(body: &[u8]) -> Result<Vec<(String, String)>, Message> {
    body.split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(at) => (&pair[..at], &pair[at + 1..]),
                None => (pair, &b""[..]),
            };
            Ok((decode(name)?, decode(value)?))
        })
        .collect()
}

fn decode(part: &[u8]) -> Result<String, Message> {
    let spaced: Vec<u8> = part
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    let decoded: Vec<u8> = percent_encoding::percent_decode(&spaced).collect();
    String::from_utf8(decoded).map_err(|_| Message::new("error.form_not_text"))
}

/// The form and place a kept body names (`form_id`, `region_id`), or None for a body that
/// is damaged or names neither.
pub fn form_and_place(body: &[u8]) -> Option<(i64, i64)> {
    let fields = parse(body).ok()?;
    let id_of = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.trim().parse::<i64>().ok())
    };
    Some((id_of("form_id")?, id_of("region_id")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_forms_and_refuses_broken_text() {
        let pairs = parse(b"a=1&q.who=police&q.who=youths&text=Hello+w%C3%B6rld%21&empty=&flag")
            .expect("valid");
        assert_eq!(pairs[3], ("text".to_owned(), "Hello wörld!".to_owned()));
        assert_eq!(pairs[2].1, "youths");
        assert_eq!(pairs[5], ("flag".to_owned(), String::new()));
        assert!(parse(b"q.comments=%FF%FEabc").is_err());
        assert!(parse(b"%C3=x").is_err());
        assert!(parse(&[b'a', b'=', 0xff]).is_err(), "raw bytes too");
    }

    #[test]
    fn a_kept_body_names_its_form_and_place_or_nothing() {
        assert_eq!(
            form_and_place(b"form_id=3&region_id=+12+&q.x=1"),
            Some((3, 12))
        );
        assert_eq!(form_and_place(b"form_id=3"), None);
        assert_eq!(form_and_place(b"form_id=x&region_id=1"), None);
        assert_eq!(
            form_and_place(b"form_id=3&region_id=1&q=%FF"),
            None,
            "damaged body"
        );
    }
}
