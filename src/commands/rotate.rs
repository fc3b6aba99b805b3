//! `aad-setup rotate`: a new client secret for an existing setup. It is
//! `setup` with a new secret asked for, in a plan of its own kind
//! ([`Mode::Rotate`](crate::settings::Mode::Rotate)) that never creates the app registration or changes its
//! settings (only its held-secret tag) and gives the connection the Resource
//! it had: a new secret → a new platform connection holding it → verified →
//! the old connection deleted and the secret it held removed.

use crate::output::Printer;
use crate::settings::RotateSettings;

pub(crate) async fn run(settings: RotateSettings, printer: &Printer) -> anyhow::Result<()> {
    super::setup::run(&settings.plan, printer).await
}
