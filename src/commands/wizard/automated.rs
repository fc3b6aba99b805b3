//! Steps 3 to 7 made by aad-setup: the plan from the answers, the engine's
//! look, the admin's yes, then the engine's run; or, without a platform
//! token, the Azure half handed to a platform Admin (`register`'s work).

use crate::settings::Flag;
use std::path::PathBuf;

use crate::engine::{self, Setup};
use crate::settings::{self, SetupSettings, Supplied};
use crate::steps::sign_in;

use super::{SignedIn, Wizard};

impl Wizard<'_> {
    pub(super) async fn automated(mut self, signed_in: SignedIn) -> anyhow::Result<()> {
        let Some(token) = self.platform().await? else {
            return self.hand_off(signed_in).await;
        };
        self.app_registration().await?;
        self.api_permission();
        self.client_secret().await?;
        self.renewal_and_policy(&signed_in.graph).await?;
        self.admin_consent(&signed_in.session).await?;
        self.connection(Some(&signed_in.graph)).await?;

        let plan = SetupSettings {
            inputs: self.inputs.clone(),
        }
        .plan(
            self.interaction,
            Supplied {
                sign_in: Some(signed_in.method),
                platform_token: Some(token),
                app_secret: None,
            },
        )?;
        for warning in &plan.warnings {
            self.printer.warn(warning);
        }
        let directory = sign_in::directory_name(&signed_in.session);
        let setup = Setup::new(
            &plan,
            self.printer,
            self.http.clone(),
            signed_in.graph,
            signed_in.session,
        );
        let previewed = {
            let _spinner = self
                .printer
                .spinner("Reading your directory and the platform to make the plan");
            setup.preview(&self.printer.without_steps()).await?
        };
        let preview = &previewed.preview;
        if plan.dry_run {
            self.printer.result(&preview.report);
            return Ok(());
        }
        crate::prompt::plan(self.printer, &preview.report, preview.changes);
        if preview.changes {
            self.go_ahead(preview.destructive, Some(&directory)).await?;
        }
        // No prompt from here on: give the terminal back before the changes.
        drop(self.prompts);
        previewed.apply().await
    }

    /// No platform token: offer what `register` does — the Azure half now,
    /// the secret in a new 0600 file, and the `aad-setup connect` command
    /// for a platform Admin — or stop with the error the flags give.
    async fn hand_off(mut self, signed_in: SignedIn) -> anyhow::Result<()> {
        let choices = vec![
            "Make the Azure half now, and hand the platform connection to a platform Admin"
                .to_owned(),
            "Stop here (nothing was changed)".to_owned(),
        ];
        if self
            .prompts
            .select("Without a platform token, what now?", choices, 0)
            .await?
            != 0
        {
            // The error the flags give, naming every other way.
            return settings::platform_token(None, &self.inputs.env).map(|_| ());
        }
        self.app_registration().await?;
        self.api_permission();
        self.client_secret().await?;
        self.admin_consent(&signed_in.session).await?;
        let path = self
            .prompts
            .text(
                "Save the new client secret in (a new file, mode 0600)",
                Some("aad-setup-client-secret"),
                |v| {
                    settings::check_new_file("the file", std::path::Path::new(v.trim()))
                        .map(|()| v.trim().to_owned())
                        .map_err(|e| e.to_string())
                },
            )
            .await?;
        self.inputs.secret_file = Some(PathBuf::from(path));
        self.inputs.answer(Flag::SecretFile);
        let plan = SetupSettings {
            inputs: self.inputs.clone(),
        }
        .register_plan(
            self.interaction,
            Supplied {
                sign_in: Some(signed_in.method),
                platform_token: None,
                app_secret: None,
            },
        )?;
        for warning in &plan.warnings {
            self.printer.warn(warning);
        }
        crate::prompt::say(
            self.printer,
            &format!(
                "aad-setup will register \"{}\" (or bring the one it made in line), add {} \
                 (delegated) and a client secret \"{}\", check that the secret signs in, and \
                 save it in {}. Then it prints the `aad-setup connect` command, and the values, \
                 for a platform Admin.",
                plan.app.name,
                plan.app.permission,
                plan.secret.description,
                self.inputs
                    .secret_file
                    .as_deref()
                    .unwrap_or(std::path::Path::new("?"))
                    .display()
            ),
        );
        if plan.dry_run {
            drop(self.prompts);
        } else {
            self.go_ahead(false, None).await?;
            drop(self.prompts);
        }
        engine::register::run_signed_in(
            &plan,
            self.http.clone(),
            &signed_in.graph,
            &signed_in.session,
            self.printer,
        )
        .await
    }
}
