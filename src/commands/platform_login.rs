//! `aad-setup platform-login`: a platform access token for a script that
//! wants one before anything else, through the platform's approval flow;
//! the wizard uses the same flow when it finds no token.
//!
//! It prints where the token was saved, never the token.

use std::path::Path;
use std::time::Duration;

use url::Url;

use crate::env;
use crate::error::usage;
use crate::http::Http;
use crate::output::Interaction;
use crate::output::Printer;
use crate::platform::auth;
use crate::platform::token::PlatformToken;
use crate::report::Outcome;
use crate::settings::PlatformLoginSettings;

pub(crate) async fn run(
    settings: PlatformLoginSettings,
    interaction: &Interaction,
    printer: &Printer,
) -> anyhow::Result<()> {
    let PlatformLoginSettings {
        base,
        name,
        path,
        team,
        wait,
        http,
    } = settings;
    auth::ensure_free(&path)?;
    let team = match team {
        Some(team) => team,
        None if interaction.interactive => crate::prompt::ask_team(printer).await?,
        None => {
            return Err(usage(format!(
                "platform-login needs your team: --team TEAM or {} (the name before .pushbot.com in your sign-in address)",
                env::TEAM
            )));
        }
    };
    let http = Http::new(&http)?;
    let token = approve_and_save(&http, &base, &team, wait, &path, printer).await?;
    printer.result(&Saved {
        path: path.display().to_string(),
        name,
        team: token.domain.clone(),
        token_id: token.id.clone(),
    });
    Ok(())
}

/// The approval flow with the admin: a pending token, the address where a
/// team Admin approves it, the wait (a spinner; Ctrl-C gives up); then the
/// token saved as `path` (new, mode 0600).
pub(crate) async fn approve_and_save(
    http: &Http,
    base: &Url,
    team: &str,
    wait: Duration,
    path: &Path,
    printer: &Printer,
) -> anyhow::Result<PlatformToken> {
    let pending = auth::request(http, base, team).await?;
    printer.notice(&format!(
        "Open this address signed in as an Admin of {team}, and approve the access token for {}:\n      {}",
        auth::APPLICATION,
        pending.approval_url
    ));
    let spinner = printer.spinner(&format!(
        "Waiting for the approval (up to {} min; Ctrl-C gives up)",
        wait.as_secs().div_ceil(60)
    ));
    auth::wait_for_approval(http, base, &pending, wait).await?;
    drop(spinner);
    printer.step(
        "Signed in to the platform",
        &format!("access token approved for team {}", pending.token.domain),
    );
    auth::save(path, &pending.token)?;
    printer.step(
        "Saved the platform token",
        &format!("{} (mode 0600)", path.display()),
    );
    let mut token = pending.token;
    token.source = path.display().to_string();
    Ok(token)
}

/// Where `platform-login` saved the token (never the token itself).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Saved {
    path: String,
    name: String,
    team: String,
    token_id: String,
}

impl Outcome for Saved {
    fn human(&self, _color: bool) -> Vec<String> {
        vec![self.path.clone()]
    }
}
