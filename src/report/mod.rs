//! What a run did, as data: the steps fill it in, each result says how it
//! reads for people and as JSON ([`Outcome`]), and [`crate::output`] prints
//! it. It holds the new secret only when the user asked to
//! see it, and never serializes it by itself.
//!
//! By job: [`run`] the result of a run that sets up ([`Report`]) and
//! [`render`] how it reads; [`status`] the result of `status`; [`policy`]
//! and [`rotation`] the parts both carry; [`dates`] dates for people;
//! [`code`] the stable codes of changes, warnings and next steps;
//! [`outcome`] what every printed result is ([`Outcome`]) and the JSON
//! envelope; [`lines`] the rows the summaries are made of.

mod code;
mod dates;
mod lines;
mod outcome;
mod policy;
mod render;
mod rotation;
mod run;
mod status;

pub(crate) use code::Code;
pub(crate) use dates::{days_left_at, when, when_at};
pub(crate) use outcome::{Outcome, envelope};
pub(crate) use policy::{PolicyInfo, PolicySource};
pub(crate) use render::plan_lines;
pub(crate) use rotation::{RenewalInfo, RotationInfo, RotationSide, RotationState};
pub(crate) use run::{
    Action, AppInfo, Change, ConnectionInfo, ConsentInfo, Item, Links, Op, PermissionInfo, Report,
    SecretInfo, Status, portal_link,
};
pub(crate) use status::{Check, CheckCode, CheckResult, ConsentState, Health, StatusReport};

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
