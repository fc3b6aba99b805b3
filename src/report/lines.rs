//! The pieces the results' lines are made of: a row of the human summary
//! ([`row`]), and a row and the to-do list of the job summary
//! ([`summary_row`], [`summary_todo`]).

/// `| key | value |` with the table's pipes escaped.
pub(super) fn summary_row(key: &str, value: &str) -> String {
    format!("| {key} | {} |", value.replace('|', "\\|"))
}

/// The summary's "what a person must do" list.
pub(super) fn summary_todo(lines: &mut Vec<String>, items: &[String]) {
    if items.is_empty() {
        return;
    }
    lines.push(String::new());
    lines.push("**What a person must do**".into());
    lines.push(String::new());
    for item in items {
        lines.push(format!("- {item}"));
    }
}

/// A row of the human summary; an empty value is left out.
pub(super) fn row(lines: &mut Vec<String>, key: &str, value: &str) {
    if !value.trim().is_empty() {
        lines.push(format!("  {key:<20} {value}"));
    }
}
