//! How reports are written out for spreadsheets and other tools: cell values, column
//! names, and the neutralising of text that a spreadsheet would run as a formula.

use serde_json::Value;

/// The characters that make a spreadsheet read a cell as a formula when they come first:
/// the ASCII ones, and their full-width forms, which some spreadsheets take for them.
fn starts_a_formula(c: char) -> bool {
    matches!(
        c,
        '=' | '+' | '-' | '@' | '\t' | '\r' | '\n' | '＝' | '＋' | '－' | '＠'
    )
}

/// A plain decimal number as a spreadsheet reads one: a sign, digits with at most one
/// decimal point, and an optional exponent (`-4`, `+3.5`, `-.5`, `-1e5`). Not `-inf`,
/// `+nan` or `-infinity`, which Rust's float parser accepts but a spreadsheet reads as
/// the name of something in a formula.
fn is_plain_number(cell: &str) -> bool {
    let body = cell.strip_prefix(['+', '-']).unwrap_or(cell);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok =
        digits(whole) && digits(fraction) && !(whole.is_empty() && fraction.is_empty());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

/// A cell that a spreadsheet would read as a formula gets a leading apostrophe, so that
/// an observer's text can never run in the core team's spreadsheet: one whose first
/// character, after any spaces, is `=`, `+`, `-`, `@` (or their full-width forms), a
/// tab, a carriage return or a line feed. Plain decimal numbers (`-4`, `+3.5`, `-1e5`)
/// stay numbers, so a negative answer keeps its meaning; anything else that starts so
/// (`-inf`, `+nan`, `-1+1`, `+254 700 000`) is text, and reads as the text written.
pub fn neutralise(cell: &str) -> String {
    let risky = cell
        .trim_start_matches(' ')
        .chars()
        .next()
        .is_some_and(starts_a_formula);
    if risky && !is_plain_number(cell.trim_start_matches(' ')) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

/// The columns of a CSV export: the fixed columns as named, then one per question by its
/// key. A key that is already a column's name (the incident form's `category` and
/// `severity` questions, a question `reference` or `county_code`) is written `q.KEY`: a
/// question key has no `.`, so that name is taken by nothing else, and every column of
/// the file has a name of its own.
pub fn csv_header(fixed: &[String], question_keys: &[String]) -> Vec<String> {
    let mut header: Vec<String> = fixed.to_vec();
    for key in question_keys {
        let name = if header.contains(key) {
            format!("q.{key}")
        } else {
            key.clone()
        };
        header.push(name);
    }
    header
}

/// A stored answer as one cell: choices joined with `;`, yes/no as words.
pub fn answer_cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.to_owned(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(answer_cell).collect::<Vec<_>>().join(";"),
        Value::Object(_) => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        assert_eq!(
            neutralise("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(neutralise("+254 700 000"), "'+254 700 000");
        assert_eq!(neutralise("-1+1"), "'-1+1");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("\tcmd"), "'\tcmd");
        assert_eq!(neutralise("-4"), "-4");
        assert_eq!(neutralise("3.5"), "3.5");
        assert_eq!(neutralise("Queue orderly"), "Queue orderly");
        assert_eq!(neutralise(""), "");
    }

    #[test]
    fn words_a_float_parser_takes_for_numbers_are_text_to_a_spreadsheet() {
        for word in [
            "-inf",
            "+inf",
            "-nan",
            "+nan",
            "-NaN",
            "-infinity",
            "+Infinity",
            "-",
            "+",
            "-.",
            "-e5",
            "-1e",
            "-1e+",
            "-1.2.3",
            "-1,5",
            "-0x10",
            "- 4",
        ] {
            assert_eq!(neutralise(word), format!("'{word}"), "{word}");
        }
        // Unsigned, nothing makes them a formula: they stay as written.
        for word in ["inf", "nan", "NaN"] {
            assert_eq!(neutralise(word), word);
        }
    }

    #[test]
    fn real_numbers_keep_their_sign_and_meaning() {
        for number in [
            "-4", "+4", "-3.5", "+3.5", "-.5", "-5.", "-1e5", "-1E-5", "+2.5e+3", "-0",
        ] {
            assert_eq!(neutralise(number), number, "{number}");
        }
    }

    #[test]
    fn formulas_behind_spaces_or_in_full_width_are_neutralised() {
        for cell in [
            " =1+1",
            "  @SUM(A1)",
            "＝1+1",
            "＋1",
            "－1",
            "＠SUM(A1)",
            "\n=1+1",
            "\r=1",
        ] {
            assert_eq!(neutralise(cell), format!("'{cell}"), "{cell:?}");
        }
        assert_eq!(
            neutralise(" -4"),
            " -4",
            "a number behind a space is no formula"
        );
        assert_eq!(neutralise(" Queue"), " Queue");
    }

    #[test]
    fn every_column_has_a_name_of_its_own() {
        let fixed: Vec<String> = ["reference", "category", "severity", "county_code"]
            .map(String::from)
            .to_vec();
        let keys: Vec<String> = [
            "category",
            "severity",
            "summary",
            "county_code",
            "reference",
        ]
        .map(String::from)
        .to_vec();
        let header = csv_header(&fixed, &keys);
        assert_eq!(
            header,
            [
                "reference",
                "category",
                "severity",
                "county_code",
                "q.category",
                "q.severity",
                "summary",
                "q.county_code",
                "q.reference",
            ]
        );
        let mut unique = header.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), header.len());
    }

    #[test]
    fn answers_become_single_cells() {
        assert_eq!(answer_cell(&json!(true)), "yes");
        assert_eq!(answer_cell(&json!(12)), "12");
        assert_eq!(
            answer_cell(&json!(["seals", "kiems_kit"])),
            "seals;kiems_kit"
        );
        assert_eq!(answer_cell(&json!("good")), "good");
        assert_eq!(answer_cell(&Value::Null), "");
    }
}
