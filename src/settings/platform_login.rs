//! `platform-login`'s settings: where the approval happens and where the
//! token goes.

use std::path::PathBuf;

use url::Url;

use super::global::http_options;
use super::resolver::Resolver;
use crate::cli::{Cmd, Flag, PlatformLoginArgs};
use crate::env::{self, Environment};
use crate::error::usage;
use crate::platform::auth as platform_auth;
use crate::validate;

/// `platform-login`: where the approval happens and where the token goes.
#[derive(Debug)]
pub(crate) struct PlatformLoginSettings {
    pub base: Url,
    /// `--name`, and the file it names under ~/.catalytic/tokens/.
    pub name: String,
    pub path: PathBuf,
    /// The team's address, checked; `None`: ask at a terminal.
    pub team: Option<String>,
    pub wait: std::time::Duration,
    /// The HTTP client's timeout, backoff and shared throttle.
    pub http: crate::http::Options,
}

impl PlatformLoginSettings {
    pub(crate) fn resolve(
        args: &PlatformLoginArgs,
        env: &Environment,
    ) -> anyhow::Result<PlatformLoginSettings> {
        let mut r = Resolver::new(Cmd::PlatformLogin, env);
        let url = r.required(Flag::PlatformUrl, args.platform_url.as_deref());
        let base = validate::service_url(&r.named(Flag::PlatformUrl), &url).map_err(usage)?;
        let name = r.required(Flag::TokenName, args.name.as_deref());
        let path = platform_auth::token_path(&name).map_err(|e| usage(format!("--name: {e}")))?;
        let team = r
            .text(Flag::Team, args.team.as_deref())
            .map(|team| {
                platform_auth::team_domain(&team)
                    .map_err(|e| usage(format!("--team / {}: {e}", env::TEAM)))
            })
            .transpose()?;
        let wait = r.number(Flag::Wait, args.wait, 1..=3600)?;
        Ok(PlatformLoginSettings {
            base,
            name,
            path,
            team,
            wait: std::time::Duration::from_secs(wait),
            http: http_options(env),
        })
    }
}
