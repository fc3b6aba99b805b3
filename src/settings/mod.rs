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
//! they run from) with [`endpoints`] and [`sign_in`]; and one file per
//! command's settings. The sign-in method's choice is `auth::choice`'s, and
//! finding the platform token `platform::token_source`'s: they are handed
//! plain values.

mod connect;
#[cfg(feature = "emulator")]
mod emulator;
mod endpoints;
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

use std::path::{Path, PathBuf};

use anyhow::Context as _;

pub(crate) use self::connect::{AppCredentials, ConnectPlan, ConnectSettings, connect_plan};
#[cfg(feature = "emulator")]
pub(crate) use self::emulator::{DemoSettings, EmulatorSettings};
pub(crate) use self::endpoints::endpoints;
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

use self::resolver::Resolver;
use crate::cli::GlobalArgs;
use crate::env::{self, Environment};
use crate::error::usage;
use crate::output::Interaction;
use crate::validate;

/// How the run talks to its user: the global options, and whether stdin
/// and stderr are a terminal (`terminal`, the entry point's to find out).
pub(crate) fn interaction(
    global: &GlobalArgs,
    environment: &Environment,
    terminal: bool,
) -> anyhow::Result<Interaction> {
    let mut r = Resolver::global(environment);
    let format = r.choice(Flag::Output, global.output)?;
    let no_input = r.switch(Flag::NoInput, global.no_input);
    Ok(Interaction {
        format,
        interactive: !no_input && !environment.flag(env::CI) && terminal,
        verbose: global.verbose,
        color: environment.os(env::NO_COLOR).is_none(),
        github_actions: environment.flag(env::GITHUB_ACTIONS),
        github_output: environment.os(env::GITHUB_OUTPUT).map(PathBuf::from),
        github_step_summary: environment.os(env::GITHUB_STEP_SUMMARY).map(PathBuf::from),
    })
}

/// The run's HTTP policy ([`crate::http::Options`]): the timeout, the
/// retry delays' multiplier, and a fleet's shared throttle directory.
pub(crate) fn http_options(environment: &Environment) -> crate::http::Options {
    let default = crate::http::Options::default();
    crate::http::Options {
        timeout: http_timeout(environment).unwrap_or(default.timeout),
        backoff_scale: backoff_scale(environment),
        throttle_dir: environment.os(env::THROTTLE_DIR).map(PathBuf::from),
    }
}

/// The retry delays' multiplier, [`env::BACKOFF_SCALE`] (default 1).
pub(crate) fn backoff_scale(environment: &Environment) -> f64 {
    environment
        .var(env::BACKOFF_SCALE)
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .unwrap_or(1.0)
}

/// Seconds a request may take, [`env::HTTP_TIMEOUT`] (default 60).
pub(crate) fn http_timeout(environment: &Environment) -> Option<std::time::Duration> {
    environment
        .var(env::HTTP_TIMEOUT)
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(std::time::Duration::from_secs_f64)
}

/// The lease of a secret in flight elsewhere, [`env::PENDING_LEASE`]
/// (default [`crate::custody::DEFAULT_LEASE`]).
pub(crate) fn pending_lease(environment: &Environment) -> Option<std::time::Duration> {
    environment
        .var(env::PENDING_LEASE)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(std::time::Duration::from_secs)
}

/// `--resource`: an absolute URI (see [`validate::resource`]).
fn resource_arg(value: Option<&str>) -> anyhow::Result<Option<String>> {
    value
        .map(|r| validate::resource(r).map_err(usage))
        .transpose()
}

/// A file the run will create: it must not exist, and its folder must.
pub(crate) fn check_new_file(what: &str, path: &Path) -> anyhow::Result<()> {
    if path.exists() {
        return Err(usage(format!(
            "{what} {} exists already; secrets are never written over an existing file",
            path.display()
        )));
    }
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return Err(usage(format!(
            "{what} {}: the folder {} does not exist",
            path.display(),
            parent.display()
        )));
    }
    Ok(())
}

fn default_state_dir() -> anyhow::Result<PathBuf> {
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .map(|d| d.join("aad-setup"))
        .or_else(|| dirs::home_dir().map(|h| h.join(".aad-setup")))
        .with_context(|| format!("no state directory could be found; set {}", env::STATE_DIR))
}

#[cfg(test)]
mod tests;
