//! How reports are written out for spreadsheets and other tools: cell values, and the
//! neutralising of text that a spreadsheet would run as a formula.

use serde_json::Value;

/// A cell that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, or a tab or
/// carriage return first) gets a leading apostrophe, so that an observer's text can never
/// run in the core team's spreadsheet. Plain numbers (`-4`, `+3.5`) stay numbers.
pub fn neutralise(cell: &str) -> String {
    let risky = cell
        .chars()
        .next()
        .is_some_and(|c| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r'));
    if risky && cell.parse::<f64>().is_err() {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
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

/// The codes of a region path, top first: `/001/001/0001/` -> ["001", "001", "0001"].
pub fn path_codes(path: &str) -> Vec<&str> {
    path.split('/').filter(|c| !c.is_empty()).collect()
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
    fn answers_become_single_cells() {
        assert_eq!(answer_cell(&json!(true)), "yes");
        assert_eq!(answer_cell(&json!(12)), "12");
        assert_eq!(
            answer_cell(&json!(["seals", "kiems_kit"])),
            "seals;kiems_kit"
        );
        assert_eq!(answer_cell(&json!("good")), "good");
        assert_eq!(answer_cell(&Value::Null), "");
        assert_eq!(
            path_codes("/001/001/0001/0001002/"),
            ["001", "001", "0001", "0001002"]
        );
    }
}
