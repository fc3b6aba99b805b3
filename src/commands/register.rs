//! `aad-setup register`: the Azure half of the guide only (the engine's
//! [`crate::engine::register`] does it): the app registration, its
//! permission and a client secret, handed on to a file or the output.

use crate::engine::{self, Job};
use crate::output::Printer;
use crate::settings::RegisterSettings;

pub(crate) async fn run(settings: RegisterSettings, printer: &Printer) -> anyhow::Result<()> {
    engine::run(Job::Register(&settings.plan), printer).await
}
