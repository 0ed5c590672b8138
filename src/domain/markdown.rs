//! Text written into a Markdown document so that it reads as written: what a lead typed
//! in a finding can never become a heading, a list, a link, an image or HTML in the
//! statement's Markdown, and ordinary punctuation stays as it is.

/// Characters that start or end markup wherever they stand (emphasis, code, links and
/// images, raw HTML and autolinks, GitHub's strikethrough and tables, escapes): always
/// escaped. `!` needs no escape: an image starts with `![`, and `[` is escaped.
const ANYWHERE: [char; 9] = ['\\', '`', '*', '_', '[', ']', '<', '|', '~'];

/// `text` as Markdown that shows it as written. Each line loses its leading spaces (four
/// of them make a code block); a line that would start a block (a heading, a quote, a
/// list item, a rule or a heading's underline) has its first character escaped; the
/// characters of [`ANYWHERE`] are escaped wherever they are, and `&` where it could start
/// an entity (`&amp;`, `&#60;`). Everything else (`,`, `.`, `:`, `/`, `-` inside a line,
/// `!`, `?`, `#` inside a word) is left as it is. Addresses such as `https://e.x` stay
/// text, which some renderers show as a link to exactly that address: nothing hides a
/// link's target behind other words.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        escape_line(line.trim_start(), &mut out);
    }
    out
}

fn escape_line(line: &str, out: &mut String) {
    let escape_first = starts_a_block(line);
    let closing_hashes = closing_sequence(line);
    let chars: Vec<char> = line.chars().collect();
    let start = out.len();
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        let escaped = (i == 0 && escape_first)
            || Some(i) == closing_hashes
            || ANYWHERE.contains(&c)
            || (c == '&' && next.is_some_and(|n| n.is_ascii_alphanumeric() || n == '#'));
        if escaped {
            out.push('\\');
        }
        out.push(c);
    }
    // An ordered list's marker is the character after its digits, which are never
    // escaped: the marker is found at the same offset in what was written.
    if let Some(at) = ordered_list_marker(line) {
        out.insert(start + at, '\\');
    }
}

/// Whether a line (without leading spaces) would start a block by its first character.
fn starts_a_block(line: &str) -> bool {
    let mut chars = line.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let then_space = |rest: &str| rest.chars().next().is_none_or(char::is_whitespace);
    let only = |c: char| line.chars().all(|x| x == c || x == ' ' || x == '\t');
    match first {
        // A quote needs nothing after it.
        '>' => true,
        // A heading: one to six `#`, then a space or the end of the line.
        '#' => {
            let hashes = line.chars().take_while(|&c| c == '#').count();
            hashes <= 6 && then_space(&line[hashes..])
        }
        // A list item, a rule (`---`, `- - -`) or a heading's underline (`--`).
        '-' => then_space(chars.as_str()) || only('-'),
        '+' => then_space(chars.as_str()),
        // A heading's underline.
        '=' => only('='),
        _ => false,
    }
}

/// The byte offset of the `.` or `)` of an ordered list's marker (`1.`, `12)`) starting
/// the line: up to nine digits, then the marker, then a space or the end of the line.
fn ordered_list_marker(line: &str) -> Option<usize> {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if !(1..=9).contains(&digits) {
        return None;
    }
    let rest = &line[digits..];
    let marker = rest.chars().next()?;
    let after = &rest[marker.len_utf8()..];
    (matches!(marker, '.' | ')') && after.chars().next().is_none_or(char::is_whitespace))
        .then_some(digits)
}

/// The index (in chars) of the first `#` of a run of them that ends the line after a
/// space: in a heading, such a run closes it and is not shown.
fn closing_sequence(line: &str) -> Option<usize> {
    let chars: Vec<char> = line.trim_end().chars().collect();
    let hashes = chars.iter().rev().take_while(|&&c| c == '#').count();
    let start = chars.len() - hashes;
    (hashes > 0 && start > 0 && chars[start - 1].is_whitespace()).then_some(start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ordinary_punctuation_stays_as_written() {
        let text = "Mombasa, contrary to Nairobi: calm (mostly)! Queues at 06:00; see https://e.x/a?b=1. 3.5 million voters, 50% turnout - or so. C# and #hashtags too.";
        assert_eq!(escape(text), text);
        assert_eq!(escape("-4 degrees"), "-4 degrees");
        assert_eq!(escape("2017. A year"), "2017\\. A year");
        assert_eq!(escape("3.5 million"), "3.5 million");
        assert_eq!(escape("Tom & Jerry"), "Tom & Jerry");
        assert_eq!(escape("a > b, 1 + 1 = 2"), "a > b, 1 + 1 = 2");
        assert_eq!(escape("#1 concern"), "#1 concern");
        assert_eq!(escape("0à 1.é"), "0à 1.é");
    }

    #[test]
    fn a_line_never_starts_a_block() {
        for (text, expected) in [
            ("# Not a heading", "\\# Not a heading"),
            ("###### six", "\\###### six"),
            ("#", "\\#"),
            ("> quoted", "\\> quoted"),
            (">quoted", "\\>quoted"),
            ("- item", "\\- item"),
            ("+ item", "\\+ item"),
            ("* item", "\\* item"),
            ("---", "\\---"),
            ("- - -", "\\- - -"),
            ("===", "\\==="),
            ("1. one", "1\\. one"),
            ("12) twelve", "12\\) twelve"),
            ("7.", "7\\."),
            ("    indented code", "indented code"),
            ("\tindented code", "indented code"),
            ("```", "\\`\\`\\`"),
            ("~~~", "\\~\\~\\~"),
            ("| a | b |", "\\| a \\| b \\|"),
        ] {
            assert_eq!(escape(text), expected, "{text:?}");
        }
        assert_eq!(escape("Title\n===\nnext\n---"), "Title\n\\===\nnext\n\\---");
    }

    #[test]
    fn no_link_image_html_entity_or_emphasis_can_be_made() {
        for (text, expected) in [
            (
                "[click](http://evil.example)",
                "\\[click\\](http://evil.example)",
            ),
            (
                "![x](http://evil.example/x.png)",
                "!\\[x\\](http://evil.example/x.png)",
            ),
            (
                "[ref]: http://evil.example",
                "\\[ref\\]: http://evil.example",
            ),
            ("<b>bold</b>", "\\<b>bold\\</b>"),
            ("<http://evil.example>", "\\<http://evil.example>"),
            ("<script>alert(1)</script>", "\\<script>alert(1)\\</script>"),
            ("&amp; &#60; &#x3C;", "\\&amp; \\&#60; \\&#x3C;"),
            (
                "*bold* _em_ `code` ~~gone~~",
                "\\*bold\\* \\_em\\_ \\`code\\` \\~\\~gone\\~\\~",
            ),
            ("back\\slash", "back\\\\slash"),
            ("Rank #", "Rank \\#"),
        ] {
            assert_eq!(escape(text), expected, "{text:?}");
        }
    }

    /// The text a reader sees: every backslash escape undone (CommonMark's rule: a
    /// backslash before ASCII punctuation stands for that character).
    fn shown(markdown: &str) -> String {
        let mut out = String::new();
        let mut chars = markdown.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\\' && chars.peek().is_some_and(char::is_ascii_punctuation) {
                out.extend(chars.next());
            } else {
                out.push(c);
            }
        }
        out
    }

    proptest! {
        #[test]
        fn any_text_reads_as_written_and_makes_no_markup(
            text in "[ -~\n\tàé]{0,80}"
        ) {
            let markdown = escape(&text);
            let written: Vec<&str> = text.lines().map(str::trim_start).collect();
            prop_assert_eq!(shown(&markdown), written.join("\n"));
            for line in markdown.lines() {
                prop_assert!(!starts_a_block(line), "{:?}", line);
                prop_assert!(ordered_list_marker(line).is_none(), "{:?}", line);
                prop_assert!(!line.starts_with([' ', '\t']), "{:?}", line);
                let chars: Vec<char> = line.chars().collect();
                for (i, c) in chars.iter().enumerate() {
                    let escaped = i > 0 && chars[i - 1] == '\\'
                        && chars[..i].iter().rev().take_while(|&&b| b == '\\').count() % 2 == 1;
                    if ANYWHERE.contains(c) && *c != '\\' {
                        prop_assert!(escaped, "{:?} at {} in {:?}", c, i, line);
                    }
                }
            }
        }
    }
}
