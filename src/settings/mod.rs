//! Flags + environment + defaults → one validated plan per command.
//!
//! Nothing below this module sees a clap type, or an `Option` that a default
//! should have filled. Every value is checked here, before anything is
//! created; a bad value is a usage error (exit 2) naming the value, what is
//! accepted, and where it came from.
//!
//! By job: [`resolver`] (flag > variable > default, with where each value
//! came from, from the [`Flag`] table); [`inputs`] (the values `setup` and
//! its kin share, which the wizard fills in); [`plan`] (the checked plan
//! they run from) with [`endpoints`](mod@endpoints) and [`sign_in`]; and one file per
//! command's settings. The sign-in method's choice is `auth::choice`'s, and
//! finding the platform token `platform::token_source`'s: they are handed
//! plain values. What every run shares (the interaction, the HTTP policy,
//! the lease, the state directory) is [`global`]'s; the checks that make
//! usage errors of given values, [`check`]'s.

mod check;
mod connect;
#[cfg(feature = "emulator")]
mod emulator;
mod endpoints;
mod global;
mod inputs;
mod plan;
mod platform_login;
mod register;
mod remove;
mod resolver;
mod rotate;
mod setup;
mod sign_in;
mod status;

pub(crate) use self::check::check_new_file;
pub(crate) use self::connect::{AppCredentials, ConnectPlan, ConnectSettings, connect_plan};
#[cfg(feature = "emulator")]
pub(crate) use self::emulator::{DemoSettings, EmulatorSettings};
pub(crate) use self::endpoints::endpoints;
pub(crate) use self::global::{http_options, interaction};
pub(crate) use self::inputs::{ASKED, Inputs, approval_wait, check_given};
pub(crate) use self::plan::{
    ApiRef, AppSpec, ConnValue, Mode, Plan, PlatformSpec, SecretSpec, Supplied,
};
pub(crate) use self::platform_login::PlatformLoginSettings;
pub(crate) use self::register::RegisterSettings;
pub(crate) use self::remove::RemoveSettings;
pub(crate) use self::resolver::Source;
pub(crate) use self::rotate::{Renewal, RotateSettings};
pub(crate) use self::setup::SetupSettings;
pub(crate) use self::sign_in::{
    auto_method, az_available, client_secret_source, federated_available, pipeline_client_id,
    sign_in_method,
};
pub(crate) use self::status::StatusSettings;
pub(crate) use crate::cli::Flag;
pub(crate) use crate::platform::token_source::{find_platform_token, platform_token};

#[cfg(test)]
mod tests;
