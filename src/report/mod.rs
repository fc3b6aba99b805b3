//! What a run did, as data: the steps fill it in, each result says how it
//! reads for people and as JSON ([`Outcome`]), and [`crate::output`] prints
//! it. It holds the new secret only when the user asked to
//! see it, and never serializes it by itself.
//!
//! By job: [`run`] the result of a run that sets up ([`Report`]) and
//! [`render`] how it reads; [`status`] the result of `status`; [`policy`]
//! and [`rotation`] the parts both carry; [`dates`] dates for people;
//! [`code`] the stable codes of changes, warnings and next steps.

mod code;
mod dates;
mod policy;
mod render;
mod rotation;
mod run;
mod status;

use secrecy::SecretString;
use serde::Serialize;

pub(crate) use code::Code;
pub(crate) use dates::{days_left_at, when, when_at};
pub(crate) use policy::{PolicyInfo, PolicySource};
pub(crate) use render::plan_lines;
pub(crate) use rotation::{RenewalInfo, RotationInfo, RotationSide, RotationState};
pub(crate) use run::{
    Action, AppInfo, Change, ConnectionInfo, ConsentInfo, Item, Links, Op, PermissionInfo, Report,
    SecretInfo, Status, portal_link,
};
pub(crate) use status::{Check, CheckResult, ConsentState, Health, StatusReport};

/// The version of the JSON documents' shape ([`envelope`]): raised when a
/// field is removed or changes meaning (adding one does not).
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// The JSON Schemas (draft 2020-12) of the documents, shipped in the binary
/// (README "Output"): `run` for setup, register, rotate and connect.
pub(crate) const SCHEMAS: &[(&str, &str)] = &[
    ("run", include_str!("../schema/run.json")),
    ("status", include_str!("../schema/status.json")),
    ("remove", include_str!("../schema/remove.json")),
    (
        "platform-login",
        include_str!("../schema/platform-login.json"),
    ),
    ("error", include_str!("../schema/error.json")),
    ("emulator", include_str!("../schema/emulator.json")),
    ("fleet", include_str!("../schema/fleet.json")),
    ("matrix", include_str!("../schema/matrix.json")),
    ("file", include_str!("../schema/file.json")),
];

/// Every JSON document carries `schemaVersion` and the tool's `version`.
pub(crate) fn envelope(mut doc: serde_json::Value) -> serde_json::Value {
    if let Some(map) = doc.as_object_mut() {
        map.insert("schemaVersion".into(), SCHEMA_VERSION.into());
        map.insert("version".into(), env!("CARGO_PKG_VERSION").into());
    }
    doc
}

/// A command's result: what it prints on stdout, as one JSON document or
/// as lines for people. Every command's result implements it, and
/// [`crate::output::Printer::result`] is the one way to print one.
pub(crate) trait Outcome: Serialize {
    /// The lines of the human summary (`color`: a terminal without NO_COLOR).
    fn human(&self, color: bool) -> Vec<String>;

    /// The JSON document (without the [`envelope`], which the printer adds).
    fn json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// A secret the result hands on (the user asked to see it): masked in
    /// GitHub Actions logs before anything is printed.
    fn shown_secret(&self) -> Option<&SecretString> {
        None
    }

    /// GitHub Actions step outputs (`name=value`), written when the run is
    /// a step of a workflow.
    fn step_outputs(&self) -> Vec<String> {
        Vec::new()
    }

    /// The job summary (Markdown, `$GITHUB_STEP_SUMMARY`): what a person
    /// reading the workflow run must know. Never a secret.
    fn step_summary(&self) -> Vec<String> {
        Vec::new()
    }
}

/// `| key | value |` with the table's pipes escaped.
fn summary_row(key: &str, value: &str) -> String {
    format!("| {key} | {} |", value.replace('|', "\\|"))
}

/// The summary's "what a person must do" list.
fn summary_todo(lines: &mut Vec<String>, items: &[String]) {
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
fn row(lines: &mut Vec<String>, key: &str, value: &str) {
    if !value.trim().is_empty() {
        lines.push(format!("  {key:<20} {value}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schemas_are_json() {
        for (name, text) in SCHEMAS {
            let schema: serde_json::Value = serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("schema {name} is not JSON: {e}"));
            assert_eq!(
                schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
                "{name}"
            );
        }
    }
}
