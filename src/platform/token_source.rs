//! Finding the platform access token, in the platform SDKs' order: the
//! flag (a path, a token name under `~/.catalytic/tokens/`, or `-` for
//! stdin), CATALYTIC_TOKEN, then `~/.catalytic/tokens/default`
//! (docs/platform.md §2.2).

use std::io::Read as _;

use anyhow::Context as _;

use super::token::{self, PlatformToken};
use crate::env::{self, Environment};
use crate::error::{Failure, Kind, usage};

/// The platform token from the first place that has one (`flag` is
/// `--platform-token-file`'s value); none anywhere is a usage error.
pub(crate) fn platform_token(
    flag: Option<&str>,
    environment: &Environment,
) -> anyhow::Result<PlatformToken> {
    find_platform_token(flag, environment)?.ok_or_else(missing_platform_token)
}

/// The error of a run that needs a platform token and found none, with
/// where one may come from.
pub(crate) fn missing_platform_token() -> anyhow::Error {
    Failure::new(Kind::Usage, "no platform access token was found")
        .with_hint(format!(
            "set {}, pass --platform-token-file PATH|NAME ({}), or save a token as ~/.catalytic/tokens/default: `aad-setup platform-login --team TEAM` gets one that you approve in your browser as a team Admin",
            env::CATALYTIC_TOKEN,
            env::PLATFORM_TOKEN_FILE
        ))
        .into()
}

/// [`platform_token`], or `None` when none of the places has one. A token
/// that is there but unreadable or malformed is an error.
pub(crate) fn find_platform_token(
    flag: Option<&str>,
    environment: &Environment,
) -> anyhow::Result<Option<PlatformToken>> {
    let (raw, source) = if let Some(value) = flag {
        if value == "-" {
            let mut raw = String::new();
            std::io::stdin()
                .read_to_string(&mut raw)
                .context("--platform-token-file: reading stdin")?;
            (raw, "stdin".to_owned())
        } else {
            let path = token::locate(value);
            let raw = std::fs::read_to_string(&path).map_err(|e| {
                usage(format!(
                    "--platform-token-file: cannot read {}: {e}",
                    path.display()
                ))
            })?;
            (raw, path.display().to_string())
        }
    } else if let Some(raw) = environment.var(env::CATALYTIC_TOKEN) {
        (raw, env::CATALYTIC_TOKEN.to_owned())
    } else {
        let default = token::store_dir().map(|d| d.join("default"));
        match default.filter(|p| p.exists()) {
            Some(path) => (
                std::fs::read_to_string(&path)
                    .map_err(|e| usage(format!("cannot read {}: {e}", path.display())))?,
                path.display().to_string(),
            ),
            None => return Ok(None),
        }
    };
    PlatformToken::parse(&raw, &source).map(Some).map_err(usage)
}
