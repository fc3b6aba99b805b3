//! `register`'s settings: the Azure half's plan.

use super::inputs::{Inputs, Partial};
use super::plan::{Mode, Plan, Supplied, build};
use crate::cli::{Cmd, Flag, RegisterArgs, SecretArgs};
use crate::env::Environment;
use crate::output::Interaction;

/// `register`: the Azure half's plan.
#[derive(Debug)]
pub(crate) struct RegisterSettings {
    pub plan: Plan,
}

impl RegisterSettings {
    pub(crate) fn resolve(
        args: &RegisterArgs,
        env: &Environment,
        interaction: &Interaction,
    ) -> anyhow::Result<RegisterSettings> {
        let inputs = Inputs::resolve(Cmd::Register, env, |r| {
            Ok(Partial {
                microsoft: Some(args.microsoft.clone()),
                resource: args.resource.clone(),
                app: Some(args.app.clone()),
                secret: Some(SecretArgs {
                    secret_description: args.secret_description.clone(),
                    secret_expiry: args.secret_expiry.clone(),
                    show_secret: args.show_secret,
                    secret_file: args.secret_file.clone(),
                    ..SecretArgs::default()
                }),
                rotate: r.switch(Flag::NewSecret, args.new_secret),
                admin_consent: args.admin_consent,
                dry_run: args.change.dry_run,
                reclaim: Some(args.change.reclaim.clone()),
                state_dir: args.state.state_dir.clone(),
                ..Partial::default()
            })
        })?;
        let plan = build(Mode::Register, &inputs, interaction, Supplied::default())?;
        Ok(RegisterSettings { plan })
    }
}
