//! Step 2: the platform token, found where the platform's SDKs keep it or
//! obtained through the platform's approval flow, then checked.

use anyhow::Context as _;

use crate::engine;
use crate::error::{self, Kind};
use crate::platform::Platform;
use crate::platform::auth as platform_auth;
use crate::platform::token::PlatformToken;
use crate::settings;

use super::{Wizard, is_kind};

impl Wizard<'_> {
    /// The platform token: found where the SDKs keep it, or obtained through
    /// the platform's approval flow; then checked against the platform.
    pub(super) async fn platform(&self) -> anyhow::Result<Option<PlatformToken>> {
        self.heading(2, "Sign in to the platform");
        self.detail(
            "The connection is made on your team with a platform access token of a team Admin: \
             integrations can be set up only by Admins, and they are enabled per team.",
        );
        self.place(
            "Platform",
            "your access tokens; aad-setup looks where the platform's SDKs keep them",
        );
        let found = settings::find_platform_token(
            self.inputs.platform_token_file.as_deref(),
            &self.inputs.env,
        )?;
        let token = match found {
            Some(token) => {
                if self.explain {
                    crate::prompt::shown(
                        self.printer,
                        "Access token",
                        &format!("team {}", token.domain),
                        &format!("from {}", token.source),
                    );
                }
                token
            }
            None => match self.approval().await? {
                Some(token) => token,
                None => return Ok(None),
            },
        };
        let base = self.endpoints.platform.clone();
        Platform::new(self.http.clone(), &base, token.clone())
            .list_integrations(None)
            .await
            .context("checking the platform access token")?;
        self.printer.step(
            "Signed in to the platform",
            &format!("team {} (token from {})", token.domain, token.source),
        );
        Ok(Some(token))
    }

    /// No token anywhere: offer the approval flow, and save what it gives
    /// as `~/.catalytic/tokens/default`, for next time. `None`: declined.
    async fn approval(&self) -> anyhow::Result<Option<PlatformToken>> {
        let path = platform_auth::token_path("default").map_err(error::usage)?;
        crate::prompt::say(
            self.printer,
            &format!(
                "No platform access token was found (CATALYTIC_TOKEN, --platform-token-file, {path}). \
             aad-setup can ask the platform for one: you approve it in your browser, as an Admin \
             of your team, and it is saved as {path} (mode 0600), where the platform's SDKs and \
             aad-setup find it next time.",
                path = path.display()
            ),
        );
        if !self
            .prompts
            .confirm("Get a platform access token now?", true)
            .await?
        {
            return Ok(None);
        }
        platform_auth::ensure_free(&path)?;
        let team = self.prompts.team(self.printer).await?;
        let base = self.endpoints.platform.clone();
        let wait = settings::approval_wait(&self.inputs)?;
        loop {
            let approved = engine::platform_token::approve_and_save(
                &self.http,
                &base,
                &team,
                wait,
                &path,
                self.printer,
            )
            .await;
            match approved {
                Err(err) if is_kind(&err, Kind::SignIn) => {
                    // Declined, or not approved in time: nothing was saved.
                    self.printer.error(&err);
                    let choices = vec![
                        "Ask for another token to approve".to_owned(),
                        "Stop here (nothing was changed)".to_owned(),
                    ];
                    if self
                        .prompts
                        .select("The token was not approved. What now?", choices, 0)
                        .await?
                        != 0
                    {
                        return Err(err);
                    }
                }
                other => return other.map(Some),
            }
        }
    }
}
