//! `remove`'s settings: what to delete, and whether that was confirmed.

use super::inputs::{Inputs, Partial};
use super::plan::{Mode, Plan, Supplied, build};
use crate::cli::{AppArgs, Cmd, Flag, RemoveArgs};
use crate::env::Environment;
use crate::output::Interaction;

/// `remove`: what to delete, and whether that was confirmed.
#[derive(Debug)]
pub(crate) struct RemoveSettings {
    pub plan: Plan,
    /// `--yes`.
    pub yes: bool,
}

impl RemoveSettings {
    pub(crate) fn resolve(
        args: &RemoveArgs,
        env: &Environment,
        interaction: &Interaction,
    ) -> anyhow::Result<RemoveSettings> {
        let (mut azure_only, mut yes) = (false, false);
        let inputs = Inputs::resolve(Cmd::Remove, env, |r| {
            azure_only = r.switch(Flag::AzureOnly, args.azure_only);
            yes = r.switch(Flag::Yes, args.yes);
            Ok(Partial {
                microsoft: Some(args.microsoft.clone()),
                target: Some(args.platform.clone()),
                app: Some(AppArgs {
                    app_name: args.app_name.clone(),
                    app_id: args.app_id.clone(),
                    ..AppArgs::default()
                }),
                dry_run: args.dry_run,
                replace: Some(args.replace),
                state_dir: args.state.state_dir.clone(),
                ..Partial::default()
            })
        })?;
        let mode = Mode::Remove {
            platform: !azure_only,
        };
        let plan = build(mode, &inputs, interaction, Supplied::default())?;
        Ok(RemoveSettings { plan, yes })
    }
}
