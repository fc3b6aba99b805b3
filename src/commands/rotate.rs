//! `aad-setup rotate`: a new client secret for an existing setup, today,
//! when due (`--if-expiring-within`), or the end of a rotation in progress
//! (`--finish`); the engine decides which ([`crate::engine::Job::Rotate`]).

use crate::engine::{self, Job};
use crate::output::Printer;
use crate::settings::RotateSettings;

pub(crate) async fn run(settings: RotateSettings, printer: &Printer) -> anyhow::Result<()> {
    let RotateSettings { plan, renewal } = settings;
    engine::run(Job::Rotate(&plan, &renewal), printer).await
}
