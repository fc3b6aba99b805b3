//! `aad-setup rotate`: a new client secret for an existing setup. It is
//! `setup` with a new secret asked for, in a plan of its own kind
//! ([`Mode::Rotate`]) that never creates the app registration or changes its
//! settings (only its held-secret tag) and gives the connection the Resource
//! it had: a new secret → a new platform connection holding it → verified →
//! the old connection deleted and the secret it held removed.

use crate::cli::RotateArgs;
use crate::output::Interaction;
use crate::output::Printer;
use crate::settings::{self, Mode};

pub(crate) async fn run(
    args: &RotateArgs,
    interaction: &Interaction,
    printer: &Printer,
) -> anyhow::Result<()> {
    let plan = settings::plan_for(Mode::Rotate, &args.as_setup(), interaction)?;
    super::setup::run(&plan, printer).await
}
