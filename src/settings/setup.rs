//! `setup`'s settings: its values, and its plans (the whole guide's, or
//! the Azure half's when the wizard hands the platform to its Admin).

use super::inputs::{Inputs, Partial};
use super::plan::{Mode, Plan, Supplied, build};
use crate::cli::{Cmd, SetupArgs};
use crate::env::Environment;
use crate::output::Interaction;

/// `setup`: its values; the plan is made by [`SetupSettings::plan`] (at
/// once without a terminal, after the questions in the wizard).
#[derive(Debug)]
pub(crate) struct SetupSettings {
    pub inputs: Inputs,
}

impl SetupSettings {
    pub(crate) fn resolve(args: &SetupArgs, env: &Environment) -> anyhow::Result<SetupSettings> {
        let inputs = Inputs::resolve(Cmd::Setup, env, |_| {
            Ok(Partial {
                microsoft: Some(args.microsoft.clone()),
                target: Some(args.platform.target.clone()),
                resource: args.platform.resource.clone(),
                fields: args.platform.fields.clone(),
                app: Some(args.app.clone()),
                secret: Some(args.secret.clone()),
                admin_consent: args.admin_consent,
                dry_run: args.change.dry_run,
                replace: Some(args.replace),
                reclaim: Some(args.change.reclaim.clone()),
                explain: args.explain,
                state_dir: args.state.state_dir.clone(),
                ..Partial::default()
            })
        })?;
        Ok(SetupSettings { inputs })
    }

    /// The plan, with what the wizard supplied.
    pub(crate) fn plan(
        &self,
        interaction: &Interaction,
        supplied: Supplied,
    ) -> anyhow::Result<Plan> {
        build(Mode::Setup, &self.inputs, interaction, supplied)
    }

    /// The Azure half's plan (`register`'s), for the wizard's hand-off when
    /// there is no platform token: the platform is left to its Admin.
    pub(crate) fn register_plan(
        &self,
        interaction: &Interaction,
        supplied: Supplied,
    ) -> anyhow::Result<Plan> {
        build(Mode::Register, &self.inputs, interaction, supplied)
    }
}
