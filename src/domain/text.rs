//! Text as people type it into forms.

/// `text` with every line break as `\n`. Browsers send `\r\n`; a lone `\r` (old phones,
/// pasted text) is a line break too. Replacing only `\r\n` would leave `\r\r\n` as `\r\n`,
/// so that the same text read twice would change the second time.
pub fn unix_newlines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_line_break_becomes_one_newline_once_and_for_all() {
        assert_eq!(unix_newlines("a\r\nb\rc\nd"), "a\nb\nc\nd");
        let once = unix_newlines("¡\r\r\n0");
        assert_eq!(once, "¡\n\n0");
        assert_eq!(unix_newlines(&once), once);
    }
}
