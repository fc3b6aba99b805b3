//! `status`'s settings: what to check, and how soon an expiry needs
//! attention.

use super::inputs::{Inputs, Partial};
use super::plan::{Mode, Plan, Supplied, build};
use crate::cli::{Cmd, Flag, SecretArgs, StatusArgs};
use crate::env::Environment;
use crate::output::Interaction;

/// `status`: what to check, and how soon an expiry needs attention.
#[derive(Debug)]
pub(crate) struct StatusSettings {
    pub plan: Plan,
    /// `--warn-within` as given (for messages).
    pub warn_within: String,
}

impl StatusSettings {
    pub(crate) fn resolve(
        args: &StatusArgs,
        env: &Environment,
        interaction: &Interaction,
    ) -> anyhow::Result<StatusSettings> {
        let mut warn_within = String::new();
        let inputs = Inputs::resolve(Cmd::Status, env, |r| {
            warn_within = r.required(Flag::WarnWithin, args.warn_within.as_deref());
            // The window `rotate --if-expiring-within` uses, when given.
            if let Some(window) = r.text(Flag::IfExpiringWithin, args.if_expiring_within.as_deref())
            {
                warn_within = window;
            }
            Ok(Partial {
                microsoft: Some(args.microsoft.clone()),
                target: Some(args.platform.target.clone()),
                resource: args.platform.resource.clone(),
                fields: args.platform.fields.clone(),
                app: Some(args.app.clone()),
                secret: Some(SecretArgs {
                    secret_description: args.secret_description.clone(),
                    ..SecretArgs::default()
                }),
                state_dir: args.state.state_dir.clone(),
                ..Partial::default()
            })
        })?;
        let plan = build(Mode::Setup, &inputs, interaction, Supplied::default())?;
        Ok(StatusSettings { plan, warn_within })
    }
}
