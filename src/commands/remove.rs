//! `aad-setup remove`: the platform connection, then the app registration,
//! deleted (by the engine, [`crate::engine::Job::Remove`]); asks first at a
//! terminal, or needs `--yes`.

use crate::engine::{self, Job};
use crate::output::{Interaction, Printer};
use crate::settings::RemoveSettings;

pub(crate) async fn run(
    settings: RemoveSettings,
    interaction: &Interaction,
    printer: &Printer,
) -> anyhow::Result<()> {
    engine::run(Job::Remove(&settings, interaction), printer).await
}
