//! Steps 3 to 7 made by the admin in the portal: each step shown, the
//! app's values typed in and checked, then the platform half as `connect`
//! does it.

use crate::engine::connect;
use crate::error::Kind;
use crate::settings::{self, AppCredentials, Supplied};
use crate::validate;

use super::{Wizard, is_kind};

impl Wizard<'_> {
    pub(super) async fn in_the_portal(mut self) -> anyhow::Result<()> {
        // The admin makes each change: the explanations are the instructions.
        self.explain = true;
        crate::prompt::say(
            self.printer,
            "You make the Azure changes in the portal; aad-setup shows each step, then checks the \
             values you copy from it and makes the platform connection.",
        );
        let Some(token) = self.platform().await? else {
            // The portal path has no Azure half to hand on.
            return settings::platform_token(None, &self.inputs.env).map(|_| ());
        };
        self.portal_steps().await?;
        let (credentials, tenant_id) = self.portal_values().await?;
        self.connection(None).await?;

        // `connect`'s plan, from the values typed and the platform's flags.
        let mut values = self.inputs.clone();
        values.client_id = Some(credentials.client_id.clone());
        values.tenant = Some(credentials.tenant.clone());
        let plan = settings::connect_plan(
            &values,
            None,
            false,
            Supplied {
                sign_in: None,
                platform_token: Some(token),
                app_secret: Some(credentials.secret),
            },
        )?;
        let target = {
            let _spinner = self
                .printer
                .spinner("Reading the platform to make the plan");
            connect::preflight(&self.http, &plan, &self.printer.without_steps()).await?
        };
        let preview = connect::preview(&plan, &target, &tenant_id);
        if plan.dry_run {
            self.printer.result(&preview);
            return Ok(());
        }
        crate::prompt::plan(self.printer, &preview, true);
        self.go_ahead(target.existing.is_some(), None).await?;
        drop(self.prompts);
        let report = connect::apply(&plan, &target, &tenant_id, self.printer).await?;
        self.printer.result(&report);
        Ok(())
    }

    /// Steps 3 to 5, in the portal: each shown, then a wait for Enter.
    async fn portal_steps(&self) -> anyhow::Result<()> {
        let app = &self.inputs;
        self.heading(3, "Register the app (in the portal)");
        crate::prompt::place(
            self.printer,
            "Azure portal",
            "https://portal.azure.com > Microsoft Entra ID > App registrations",
        );
        crate::prompt::numbered(
            self.printer,
            &[
                "Select New registration.".into(),
                format!("Name: {}", app.app_name),
                "Supported account types: Accounts in this organizational directory only (single \
             tenant)."
                    .into(),
                format!(
                    "Redirect URI: keep the drop-down on Web (not SPA or public client) and enter {}",
                    app.redirect_uri
                ),
                "Select Register.".into(),
            ],
        );
        self.prompts
            .pause("Press Enter once the app is registered")
            .await?;

        self.heading(4, "Add the API permission (in the portal)");
        crate::prompt::place(self.printer, "Azure portal", "the app > API permissions");
        crate::prompt::numbered(self.printer, &[
            "Select Add a permission, then Microsoft Graph (the guide's \"Dynamics\" no longer \
             offers this permission)."
                .into(),
            format!(
                "Select Delegated permissions, tick {}, and select Add permissions.",
                app.permission
            ),
            "Optionally select Grant admin consent for your directory: it consents for everyone \
             now; otherwise an admin consents when selecting Connect on the platform."
                .into(),
        ]);
        self.prompts
            .pause("Press Enter once the permission is added")
            .await?;

        self.heading(5, "Create the client secret (in the portal)");
        crate::prompt::place(
            self.printer,
            "Azure portal",
            "the app > Certificates & secrets > Client secrets",
        );
        crate::prompt::numbered(self.printer, &[
            "Select New client secret.".into(),
            format!("Description: {}", self.inputs.secret_description),
            "Expires: 24 months, the longest the portal offers (the guide's Never no longer \
             exists). Note the date: the secret must be replaced before then."
                .into(),
            "Select Add, then copy the secret's Value now (not its Secret ID): the portal shows \
             it only once."
                .into(),
        ]);
        self.prompts
            .pause("Press Enter once you have copied the Value")
            .await
    }

    /// Step 6 in the portal: the app's IDs and secret, asked until the
    /// secret signs in with them. Returns them, and the tenant id.
    async fn portal_values(&self) -> anyhow::Result<(AppCredentials, String)> {
        self.heading(6, "Give aad-setup the app's values");
        crate::prompt::place(
            self.printer,
            "Azure portal",
            "the app > Overview: Application (client) ID and Directory (tenant) ID",
        );
        let endpoints = self.endpoints.clone();
        let mut client_id: Option<String> = None;
        let mut tenant = self
            .inputs
            .tenant
            .clone()
            .filter(|t| validate::is_guid(t.trim()));
        loop {
            let id = self
                .prompts
                .text("Application (client) ID", client_id.as_deref(), |v| {
                    validate::guid("the Application (client) ID", v)
                })
                .await?;
            let directory = self
                .prompts
                .text("Directory (tenant) ID", tenant.as_deref(), |v| {
                    validate::guid("the Directory (tenant) ID", v)
                })
                .await?;
            let secret = self
                .prompts
                .secret("Client secret Value (typed hidden)")
                .await?;
            let credentials = AppCredentials {
                tenant: directory.clone(),
                client_id: id.clone(),
                secret,
                source: "the prompt".into(),
            };
            match connect::check_secret(&self.http, &endpoints, &credentials, self.printer).await {
                Ok(tenant_id) => return Ok((credentials, tenant_id)),
                Err(err) if is_kind(&err, Kind::SignIn) => {
                    self.printer.error(&err);
                    crate::prompt::say(
                        self.printer,
                        "That secret does not sign in with these IDs, so the platform could not \
                         use it. Check the IDs on the app's Overview, and paste the secret's \
                         Value (not its Secret ID). A secret made a minute ago may need another \
                         minute before Entra knows it.",
                    );
                    client_id = Some(id);
                    tenant = Some(directory);
                }
                Err(err) => return Err(err),
            }
        }
    }
}
