//! What every command's run shares, from the global options and the
//! environment: how it talks to its user ([`interaction`]), its HTTP policy
//! ([`http_options`]), the lease it judges other machines' runs by
//! ([`pending_lease`]) and where its local state lives.

use std::path::PathBuf;

use anyhow::Context as _;

use crate::cli::{Flag, GlobalArgs};
use crate::env::{self, Environment};
use crate::output::Interaction;

use super::resolver::Resolver;

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
fn backoff_scale(environment: &Environment) -> f64 {
    environment
        .var(env::BACKOFF_SCALE)
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .unwrap_or(1.0)
}

/// Seconds a request may take, [`env::HTTP_TIMEOUT`] (default 60).
fn http_timeout(environment: &Environment) -> Option<std::time::Duration> {
    environment
        .var(env::HTTP_TIMEOUT)
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(std::time::Duration::from_secs_f64)
}

/// The lease of a secret in flight elsewhere, [`env::PENDING_LEASE`]
/// (default [`crate::custody::DEFAULT_LEASE`]).
pub(super) fn pending_lease(environment: &Environment) -> Option<std::time::Duration> {
    environment
        .var(env::PENDING_LEASE)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(std::time::Duration::from_secs)
}

/// Where the local state lives when neither `--state-dir` nor its
/// variable says: the platform's state (or local data) folder, else
/// `~/.aad-setup`.
pub(super) fn default_state_dir() -> anyhow::Result<PathBuf> {
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .map(|d| d.join("aad-setup"))
        .or_else(|| dirs::home_dir().map(|h| h.join(".aad-setup")))
        .with_context(|| format!("no state directory could be found; set {}", env::STATE_DIR))
}
