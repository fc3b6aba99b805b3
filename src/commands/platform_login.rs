//! `aad-setup platform-login`: a platform access token for a script that
//! wants one before anything else, through the platform's approval flow;
//! the wizard uses the same flow when it finds no token.
//!
//! It prints where the token was saved, never the token.

use crate::engine;
use crate::env;
use crate::error::usage;
use crate::http::Http;
use crate::output::Interaction;
use crate::output::Printer;
use crate::platform::auth;
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
    let token =
        engine::platform_token::approve_and_save(&http, &base, &team, wait, &path, printer).await?;
    printer.result(&Saved {
        path: path.display().to_string(),
        name,
        team: token.domain.clone(),
        token_id: token.id.clone(),
    });
    Ok(())
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
