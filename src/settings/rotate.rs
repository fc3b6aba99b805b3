//! `rotate`'s settings: a new secret for an existing setup, and when.

use super::inputs::{Inputs, Partial};
use super::plan::{Mode, Plan, Supplied, build};
use crate::cli::{AppArgs, Cmd, Flag, RotateArgs, SecretArgs};
use crate::env::Environment;
use crate::error::usage;
use crate::output::Interaction;
use crate::validate;

/// `rotate`: a new secret for the app of an existing setup.
#[derive(Debug)]
pub(crate) struct RotateSettings {
    pub plan: Plan,
    /// When to rotate, and what to do with what is replaced.
    pub renewal: Renewal,
}

/// `rotate`'s renewal flags, checked.
#[derive(Debug, Clone, Default)]
pub(crate) struct Renewal {
    /// `--if-expiring-within`: as given (for messages), and parsed.
    pub if_expiring_within: Option<(String, jiff::Span)>,
    /// `--keep-previous`.
    pub keep_previous: bool,
    /// `--finish`.
    pub finish: bool,
}

impl RotateSettings {
    pub(crate) fn resolve(
        args: &RotateArgs,
        env: &Environment,
        interaction: &Interaction,
    ) -> anyhow::Result<RotateSettings> {
        let mut renewal = Renewal::default();
        let inputs = Inputs::resolve(Cmd::Rotate, env, |r| {
            if let Some(value) = r.text(Flag::IfExpiringWithin, args.if_expiring_within.as_deref())
            {
                let span =
                    validate::window(&Flag::IfExpiringWithin.to_string(), &value).map_err(usage)?;
                renewal.if_expiring_within = Some((value, span));
            }
            renewal.keep_previous = r.switch(Flag::KeepPrevious, args.keep_previous);
            renewal.finish = r.switch(Flag::Finish, args.finish);
            if renewal.finish && (renewal.keep_previous || renewal.if_expiring_within.is_some()) {
                return Err(usage(
                    "--finish finishes a rotation and makes none: give it without --keep-previous and --if-expiring-within",
                ));
            }
            Ok(Partial {
                microsoft: Some(args.microsoft.clone()),
                target: Some(args.platform.target.clone()),
                resource: args.platform.resource.clone(),
                fields: args.platform.fields.clone(),
                app: Some(AppArgs {
                    app_name: args.app_name.clone(),
                    app_id: args.app_id.clone(),
                    ..AppArgs::default()
                }),
                secret: Some(SecretArgs {
                    secret_description: args.secret_description.clone(),
                    secret_expiry: args.secret_expiry.clone(),
                    show_secret: args.show_secret,
                    secret_file: args.secret_file.clone(),
                    keep_secret_on_failure: args.keep_secret_on_failure,
                    ..SecretArgs::default()
                }),
                rotate: true,
                dry_run: args.change.dry_run,
                replace: Some(args.replace),
                reclaim: Some(args.change.reclaim.clone()),
                state_dir: args.state.state_dir.clone(),
                ..Partial::default()
            })
        })?;
        let mut plan = build(Mode::Rotate, &inputs, interaction, Supplied::default())?;
        plan.secret.keep_previous = renewal.keep_previous;
        Ok(RotateSettings { plan, renewal })
    }
}
