//! A command's result as it is printed: the [`Outcome`] every result
//! implements (its lines for people, its JSON document, what it hands a
//! workflow), and the [`envelope`] every JSON document goes out in.

use secrecy::SecretString;
use serde::Serialize;

/// The version of the JSON documents' shape ([`envelope`]): raised when a
/// field is removed or changes meaning (adding one does not).
const SCHEMA_VERSION: u32 = 1;

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
