//! Step 1: sign in to Microsoft, with the method given or chosen, asking
//! for what it needs and again when what was typed does not sign in; or
//! learn that the admin makes the Azure changes in the portal.

use crate::settings::Flag;
use std::path::PathBuf;

use clap::ValueEnum as _;
use secrecy::SecretString;

use crate::auth::SignIn;
use crate::cli::AuthChoice;
use crate::error::Kind;
use crate::settings::{self, Inputs};
use crate::steps::sign_in;
use crate::validate;

use super::{Choice, SignedIn, Typed, Wizard, is_kind};

impl Wizard<'_> {
    /// Signs in to Microsoft, or learns that the admin makes the Azure
    /// changes in the portal (`None`).
    pub(super) async fn microsoft(&mut self) -> anyhow::Result<Option<SignedIn>> {
        self.heading(1, "Sign in to Microsoft");
        self.detail(
            "aad-setup makes the Azure portal's changes for you, through Microsoft Graph, as \
             someone allowed to register apps: an Application Administrator or Cloud Application \
             Administrator, or an app with the Application.ReadWrite.All permission.",
        );
        self.place(
            "Azure portal",
            "https://portal.azure.com, signed in as that admin",
        );
        // A method given by flag or variable is used first; after a failed
        // sign-in the admin may choose another.
        let mut given = self.inputs.given(Flag::Auth).cloned();
        loop {
            let method = match given.take() {
                Some(source) => {
                    let method = self.inputs.auth;
                    crate::prompt::shown(
                        self.printer,
                        "Method",
                        &auth_name(method),
                        &format!("from {source}"),
                    );
                    method
                }
                None => match self.choose_method().await? {
                    Choice::Method(method) => method,
                    Choice::Portal => return Ok(None),
                },
            };
            self.inputs.auth = method;
            if let Some(signed_in) = self.sign_in_with(method).await? {
                return Ok(Some(signed_in));
            }
        }
    }

    /// Signs in with `method`. A sign-in that fails on what was typed asks
    /// for it again; one that fails otherwise (a declined device code, an
    /// unknown tenant) offers to try again, to choose another way (`None`),
    /// or to stop.
    async fn sign_in_with(&mut self, method: AuthChoice) -> anyhow::Result<Option<SignedIn>> {
        let endpoints = self.endpoints.clone();
        let mut typed = Typed::default();
        loop {
            let (mut args, secret) = self.sign_in_values(method, &mut typed).await?;
            let mut method = settings::sign_in_method(&args, self.interaction, &endpoints, secret)?;
            if matches!(method, SignIn::DeviceCode(_) | SignIn::Browser(_))
                && self.inputs.given(Flag::AdminConsent).is_none()
            {
                // The scope is asked for at sign-in: decide consent first.
                let grant = match self.consent_first {
                    Some(grant) => grant,
                    None => self.ask_consent_first().await?,
                };
                self.consent_first = Some(grant);
                if grant != args.admin_consent {
                    args.admin_consent = grant;
                    // No secret for these methods: the scope is all that changes.
                    method = settings::sign_in_method(&args, self.interaction, &endpoints, None)?;
                }
            }
            let signed_in = sign_in::run(
                &self.http,
                &endpoints,
                &method,
                args.admin_consent,
                args.dry_run,
                self.printer,
            )
            .await;
            match signed_in {
                Ok((graph, session)) => {
                    self.inputs = args;
                    return Ok(Some(SignedIn {
                        graph,
                        session,
                        method,
                    }));
                }
                Err(err) if typed.any() && is_kind(&err, Kind::SignIn) => {
                    self.printer.error(&err);
                    crate::prompt::say(
                        self.printer,
                        "That did not sign in. Check what you typed, and try again.",
                    );
                }
                Err(err) if is_kind(&err, Kind::SignIn) => {
                    self.printer.error(&err);
                    let choices = vec![
                        "Try again".to_owned(),
                        "Sign in another way (or make the Azure changes in the portal)".to_owned(),
                        "Stop here (nothing was changed)".to_owned(),
                    ];
                    match self
                        .prompts
                        .select("That did not sign in. What now?", choices, 0)
                        .await?
                    {
                        0 => {}
                        1 => return Ok(None),
                        _ => return Err(err),
                    }
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// Before a sign-in as yourself: whether to grant tenant-wide consent,
    /// since the sign-in must then ask for DelegatedPermissionGrant.ReadWrite.All.
    async fn ask_consent_first(&self) -> anyhow::Result<bool> {
        crate::prompt::say(
            self.printer,
            &format!(
                "{} needs an administrator's consent before anyone can use it. aad-setup can grant \
             it for everyone in the directory; the sign-in then also asks for \
             DelegatedPermissionGrant.ReadWrite.All, which a Cloud Application Administrator \
             (or Application Administrator) can give. Otherwise an admin consents when selecting \
             Connect on the platform, or in the portal later.",
                self.inputs.permission
            ),
        );
        self.prompts
            .confirm(
                "Grant tenant-wide admin consent as part of this setup?",
                false,
            )
            .await
    }

    async fn choose_method(&self) -> anyhow::Result<Choice> {
        let az = settings::az_available(&self.inputs);
        let federated = settings::federated_available(&self.inputs);
        let choices: Vec<(Choice, &str)> = [
            (
                Some(AuthChoice::DeviceCode),
                "Device code: sign in as yourself, in any browser, with a code",
            ),
            (
                Some(AuthChoice::Browser),
                "Browser: sign in as yourself in a browser on this machine",
            ),
            (
                az.then_some(AuthChoice::AzCli),
                "Azure CLI: reuse your `az login`",
            ),
            (
                Some(AuthChoice::ClientSecret),
                "Client secret: an app's id and secret (AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)",
            ),
            (
                federated.then_some(AuthChoice::WorkloadIdentity),
                "Workload identity: this pipeline's federated token",
            ),
            (
                Some(AuthChoice::Token),
                "Access token: a Microsoft Graph token saved in a file",
            ),
        ]
        .into_iter()
        .filter_map(|(method, label)| method.map(|m| (Choice::Method(m), label)))
        .chain([(
            Choice::Portal,
            "None: I'll do the Azure steps in the portal myself, and give you the values",
        )])
        .collect();
        if !az {
            self.detail("(Azure CLI sign-in is not offered: `az` is not on PATH.)");
        }
        let auto = settings::auto_method(&self.inputs, self.interaction);
        let default = choices
            .iter()
            .position(|(c, _)| auto.is_some_and(|m| *c == Choice::Method(m)))
            .unwrap_or(0);
        let labels = choices.iter().map(|(_, l)| (*l).to_owned()).collect();
        let picked = self
            .prompts
            .select("How do you want to sign in to Microsoft?", labels, default)
            .await?;
        Ok(choices[picked].0)
    }

    /// Shows what `method` will use and asks for what is missing (again for
    /// what was `typed` before); returns the flags with the answers in, and
    /// a typed secret.
    async fn sign_in_values(
        &self,
        method: AuthChoice,
        typed: &mut Typed,
    ) -> anyhow::Result<(Inputs, Option<SecretString>)> {
        let mut args = self.inputs.clone();
        if matches!(
            method,
            AuthChoice::ClientSecret | AuthChoice::WorkloadIdentity
        ) {
            self.app_identity(&mut args, typed).await?;
        }
        let mut secret = None;
        if method == AuthChoice::ClientSecret {
            secret = self.client_secret_value(&args, typed).await?;
        }
        if method == AuthChoice::Token {
            self.graph_token_file(&mut args, typed).await?;
        }
        Ok((args, secret))
    }

    /// The tenant and the client id of an app that signs in (a client
    /// secret, a workload identity): shown when given, else asked.
    async fn app_identity(&self, args: &mut Inputs, typed: &mut Typed) -> anyhow::Result<()> {
        match (&args.tenant, args.given(Flag::Tenant)) {
            (Some(tenant), Some(source)) if typed.tenant.is_none() => {
                // Without --explain the sign-in's result line names it.
                if self.explain {
                    crate::prompt::shown(self.printer, "Tenant", tenant, &format!("from {source}"));
                }
            }
            _ => {
                let tenant = self
                    .prompts
                    .text(
                        "Tenant (directory id or domain, e.g. contoso.onmicrosoft.com)",
                        typed.tenant.as_deref(),
                        validate::tenant,
                    )
                    .await?;
                typed.tenant = Some(tenant.clone());
                args.tenant = Some(tenant);
                args.answer(Flag::Tenant);
            }
        }
        match settings::pipeline_client_id(args) {
            Some((id, source)) if typed.client_id.is_none() => {
                // Without --explain the sign-in's result line names it.
                if self.explain {
                    crate::prompt::shown(
                        self.printer,
                        "Signing-in app",
                        &id,
                        &format!("from {source}"),
                    );
                }
            }
            _ => {
                let id = self
                    .prompts
                    .text(
                        "Client ID of the app that signs in",
                        typed.client_id.as_deref(),
                        |v| validate::guid("the client id", v),
                    )
                    .await?;
                typed.client_id = Some(id.clone());
                args.client_id = Some(id);
                args.answer(Flag::ClientId);
            }
        }
        Ok(())
    }

    /// The signing-in app's secret: shown when a file or a variable has
    /// it, else typed (hidden) and returned.
    async fn client_secret_value(
        &self,
        args: &Inputs,
        typed: &mut Typed,
    ) -> anyhow::Result<Option<SecretString>> {
        let mut secret = None;
        match (
            &args.client_secret_file,
            settings::client_secret_source(args),
        ) {
            (Some(path), _) => crate::prompt::shown(
                self.printer,
                "Client secret",
                "(hidden)",
                &format!("from {}", path.display()),
            ),
            // The menu's choice already names the variable.
            (None, Some(source)) if !typed.secret => {
                if self.explain {
                    crate::prompt::shown(
                        self.printer,
                        "Client secret",
                        "(hidden)",
                        &format!("from {source}"),
                    );
                }
            }
            _ => {
                secret = Some(
                    self.prompts
                        .secret("Its client secret (typed hidden)")
                        .await?,
                );
                typed.secret = true;
            }
        }
        Ok(secret)
    }

    /// The file holding a Graph access token: shown when given, else asked.
    async fn graph_token_file(&self, args: &mut Inputs, typed: &mut Typed) -> anyhow::Result<()> {
        match &args.graph_token_file {
            Some(path) if typed.token_file.is_none() => crate::prompt::shown(
                self.printer,
                "Graph token",
                "(hidden)",
                &format!("from {}", path.display()),
            ),
            _ => {
                let path = self
                    .prompts
                    .text(
                        "Path of the file holding the Graph access token",
                        typed.token_file.as_deref(),
                        readable_file,
                    )
                    .await?;
                typed.token_file = Some(path.clone());
                args.graph_token_file = Some(PathBuf::from(path));
                args.answer(Flag::GraphTokenFile);
            }
        }
        Ok(())
    }
}

/// `client-secret` for `AuthChoice::ClientSecret`: the flag's own spelling.
fn auth_name(method: AuthChoice) -> String {
    method
        .to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_owned())
}

fn readable_file(value: &str) -> Result<String, String> {
    let value = value.trim();
    match std::fs::read_to_string(value) {
        Ok(text) if !text.trim().is_empty() => Ok(value.to_owned()),
        Ok(_) => Err(format!("{value} is empty")),
        Err(e) => Err(format!("cannot read {value}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_file_must_be_readable_and_not_empty() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty");
        std::fs::write(&empty, " \n").unwrap();
        assert!(
            readable_file(empty.to_str().unwrap())
                .unwrap_err()
                .contains("empty")
        );
        assert!(readable_file("/no/such/file").is_err());
    }

    #[test]
    fn methods_are_named_as_the_flag_spells_them() {
        assert_eq!(auth_name(AuthChoice::ClientSecret), "client-secret");
        assert_eq!(auth_name(AuthChoice::AzCli), "az-cli");
    }
}
