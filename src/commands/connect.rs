//! `aad-setup connect`: the platform half of the guide only, for an app
//! registered elsewhere (the engine's [`crate::engine::connect`] does it).

use crate::engine::{self, Job};
use crate::output::Printer;
use crate::settings::ConnectSettings;

pub(crate) async fn run(settings: ConnectSettings, printer: &Printer) -> anyhow::Result<()> {
    engine::run(Job::Connect(&settings.plan), printer).await
}
