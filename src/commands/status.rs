//! `aad-setup status`: the health of an existing setup, read-only (the
//! engine's checks, [`crate::engine::Job::Status`]); exit 6 when something
//! needs attention.

use crate::engine::{self, Job};
use crate::output::Printer;
use crate::settings::StatusSettings;

pub(crate) async fn run(settings: StatusSettings, printer: &Printer) -> anyhow::Result<()> {
    engine::run(Job::Status(&settings), printer).await
}
