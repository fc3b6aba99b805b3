//! The interactive face of `setup`: `aad-setup` at a terminal walks an admin through
//! the platform's setup guide, in the guide's order and with its names; with
//! `--explain` (and always on the portal path) it also says what each step
//! does and where it lives in the Azure portal. By default it is compact: the
//! default path fits one screen before the plan.
//!
//! It asks only for what it cannot find: a value given by a flag or the
//! environment is shown, not asked; everything else is offered with the
//! guide's default. Each answer is checked as it is typed (with
//! [`crate::validate`]), and a bad one is explained and asked again. Then
//! the answers become flag values (or [`Supplied`] secrets) and go through
//! [`settings`] like any others, so the wizard cannot accept what the flags
//! would refuse. Before anything changes it shows the plan and asks.
//!
//! Two paths after step 1: aad-setup signs in and makes the Azure changes
//! ([`Wizard::automated`]), or the admin makes them in the portal, one step
//! at a time, and types in what the portal shows ([`Wizard::in_the_portal`],
//! which ends as `aad-setup connect` does). Step 2 (the platform) and step 7
//! (the connection) are the same in both.
//!
//! It runs only when [`Interaction::interactive`] allows prompts; the
//! prompts themselves, and the terminal they borrow, are in [`crate::prompt`].

use std::path::PathBuf;

use anyhow::Context as _;
use clap::ValueEnum as _;
use secrecy::SecretString;

use super::{connect, platform_login, setup::Setup};
use crate::auth::SignIn;
use crate::auth::{self, GRANT_CONSENT, Session};
use crate::cli::AuthChoice;
use crate::cloud::Endpoints;
use crate::error::{self, Kind};
use crate::graph::Graph;
use crate::http::Http;
use crate::output::Interaction;
use crate::output::Printer;
use crate::platform::Platform;
use crate::platform::auth as platform_auth;
use crate::platform::token::PlatformToken;
use crate::prompt::Prompts;
use crate::settings::{
    self, ApiRef, AppCredentials, Flag, Inputs, SetupSettings, Source, Supplied,
};
use crate::steps::{create_secret, credential_policy, sign_in};
use crate::validate;

/// Steps in either path; the headings count them.
const STEPS: usize = 7;

/// `aad-setup` / `aad-setup setup` at a terminal.
pub(crate) async fn run(
    settings: SetupSettings,
    interaction: &Interaction,
    printer: &Printer,
) -> anyhow::Result<()> {
    let mut inputs = settings.inputs;
    welcome(printer, inputs.explain);
    refuse_bad_values(&mut inputs, printer)?;
    // Where the services are: the wizard asks nothing that changes it.
    let endpoints = settings::endpoints(&inputs)?;
    let inputs_explain = inputs.explain;
    let http = Http::new(&settings::http_options(&inputs.env))?;
    let mut wizard = Wizard {
        printer,
        interaction,
        inputs,
        endpoints,
        http,
        prompts: Prompts::new(printer),
        consent_first: None,
        explain: inputs_explain,
    };
    match wizard.microsoft().await? {
        Some(signed_in) => wizard.automated(signed_in).await,
        None => wizard.in_the_portal().await,
    }
}

struct Wizard<'a> {
    printer: &'a Printer,
    interaction: &'a Interaction,
    /// Settings' values, with the answers written in as they come.
    inputs: Inputs,
    endpoints: Endpoints,
    http: Http,
    prompts: Prompts,
    /// The admin-consent answer, when it was asked before an interactive
    /// sign-in (whose scope depends on it).
    consent_first: Option<bool>,
    /// Explanations and portal places shown (`--explain`, or the portal path).
    explain: bool,
}

/// Signed in to Microsoft: the wizard makes the Azure changes.
struct SignedIn {
    graph: Graph,
    session: Session,
    method: SignIn,
}

/// Step 1's choices.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Choice {
    Method(AuthChoice),
    Portal,
}

/// What step 1 asked for: asked again, with the same defaults, when the
/// sign-in fails.
#[derive(Default)]
struct Typed {
    tenant: Option<String>,
    client_id: Option<String>,
    secret: bool,
    token_file: Option<String>,
}

impl Typed {
    fn any(&self) -> bool {
        self.tenant.is_some()
            || self.client_id.is_some()
            || self.secret
            || self.token_file.is_some()
    }
}

impl Wizard<'_> {
    /// A step begins; with `--explain`, after a blank line.
    fn heading(&self, number: usize, title: &str) {
        crate::prompt::heading(self.printer, number, STEPS, title, self.explain);
    }

    /// A step's explanation: shown with `--explain` (and on the portal
    /// path, which is all explanation).
    fn detail(&self, text: &str) {
        if self.explain {
            crate::prompt::say(self.printer, text);
        }
    }

    /// Where a step lives in the Azure portal or on the platform: shown
    /// with `--explain` (and on the portal path).
    fn place(&self, site: &str, path: &str) {
        if self.explain {
            crate::prompt::place(self.printer, site, path);
        }
    }

    /// The value of `--flag`: shown when it was given, else asked with
    /// `current` (the guide's default) offered.
    async fn value(
        &mut self,
        flag: Flag,
        label: &str,
        current: &str,
        check: impl Fn(&str) -> Result<String, String> + Send + Sync + 'static,
    ) -> anyhow::Result<String> {
        match self.inputs.given(flag) {
            Some(source) => {
                crate::prompt::shown(self.printer, label, current, &format!("from {source}"));
                Ok(current.to_owned())
            }
            None => {
                let answer = self.prompts.text(label, Some(current), check).await?;
                self.inputs.answer(flag);
                Ok(answer)
            }
        }
    }

    // --- Step 1 ------------------------------------------------------------

    /// Signs in to Microsoft, or learns that the admin makes the Azure
    /// changes in the portal (`None`).
    async fn microsoft(&mut self) -> anyhow::Result<Option<SignedIn>> {
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
            match (&args.tenant, args.given(Flag::Tenant)) {
                (Some(tenant), Some(source)) if typed.tenant.is_none() => {
                    // Without --explain the sign-in's result line names it.
                    if self.explain {
                        crate::prompt::shown(
                            self.printer,
                            "Tenant",
                            tenant,
                            &format!("from {source}"),
                        );
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
            match settings::pipeline_client_id(&args) {
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
        }
        let mut secret = None;
        if method == AuthChoice::ClientSecret {
            match (
                &args.client_secret_file,
                settings::client_secret_source(&args),
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
        }
        if method == AuthChoice::Token {
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
        }
        Ok((args, secret))
    }

    // --- Step 2 ------------------------------------------------------------

    /// The platform token: found where the SDKs keep it, or obtained through
    /// the platform's approval flow; then checked against the platform.
    async fn platform(&self) -> anyhow::Result<Option<PlatformToken>> {
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
            let approved = platform_login::approve_and_save(
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

    // --- Steps 3 to 7, made by aad-setup ----------------------------------

    async fn automated(mut self, signed_in: SignedIn) -> anyhow::Result<()> {
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
        let preview = {
            let _spinner = self
                .printer
                .spinner("Reading your directory and the platform to make the plan");
            setup.preview(&self.printer.without_steps()).await?
        };
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
        setup.apply().await
    }

    /// Step 3.
    async fn app_registration(&mut self) -> anyhow::Result<()> {
        self.heading(3, "Register the app");
        self.detail(
            "The platform signs in to your directory as an app registration of its own. \
             aad-setup registers it, with the service principal the portal makes alongside.",
        );
        self.place(
            "Azure portal",
            "Microsoft Entra ID > App registrations > New registration",
        );
        if let Some(app_id) = &self.inputs.app_id {
            crate::prompt::shown(
                self.printer,
                "Existing app",
                app_id,
                &source_or(&self.inputs, Flag::AppId),
            );
        }
        let (name, redirect_uri) = (
            self.inputs.app_name.clone(),
            self.inputs.redirect_uri.clone(),
        );
        self.inputs.app_name = self
            .value(Flag::AppName, "Name", &name, |v| {
                validate::name("the app name", v)
            })
            .await?;
        if self.explain {
            crate::prompt::shown(
                self.printer,
                "Supported account types",
                "this organizational directory only (single tenant)",
                "the guide",
            );
        }
        self.inputs.redirect_uri = self
            .value(
                Flag::RedirectUri,
                "Redirect URI (type Web)",
                &redirect_uri,
                validate::redirect_uri,
            )
            .await?;
        self.detail(
            "An app of this name that aad-setup made is reused and brought in line with the \
             guide; one it did not make is never changed without --adopt.",
        );
        Ok(())
    }

    /// Step 4: nothing to ask, only to explain.
    fn api_permission(&self) {
        self.heading(4, "Add the API permission");
        self.detail(
            "The platform works on your directory through Microsoft Graph with a delegated \
             permission: it acts as the admin who selects Connect on the platform, and only \
             within what that admin may do.",
        );
        self.place(
            "Azure portal",
            "the app > API permissions > Add a permission > Microsoft Graph > Delegated permissions",
        );
        let app = &self.inputs;
        let (api, permission) = (source_or(app, Flag::Api), source_or(app, Flag::Permission));
        if self.explain {
            crate::prompt::shown(self.printer, "API", &app.api, &api);
            crate::prompt::shown(
                self.printer,
                "Permission",
                &format!("{} (delegated)", app.permission),
                &permission,
            );
        } else {
            // One line: the API and its permission.
            let sources = if api == permission {
                api
            } else {
                format!("API {api}; permission {permission}")
            };
            crate::prompt::shown(
                self.printer,
                "Permission",
                &format!("{} (delegated) of {}", app.permission, app.api),
                &sources,
            );
        }
        self.detail(
            "The guide says to pick \"Dynamics\": Dynamics CRM no longer offers \
             Directory.ReadWrite.All, which is a Microsoft Graph permission. --api and \
             --permission choose otherwise.",
        );
    }

    /// Step 5.
    async fn client_secret(&mut self) -> anyhow::Result<()> {
        self.heading(5, "Create the client secret");
        self.detail(
            "The platform proves it is the app with a client secret. aad-setup creates it and \
             hands it straight to the platform: it is not shown or saved (unless you ask, with \
             --show-secret or --secret-file).",
        );
        self.place(
            "Azure portal",
            "the app > Certificates & secrets > Client secrets > New client secret",
        );
        let (description, expiry) = (
            self.inputs.secret_description.clone(),
            self.inputs.secret_expiry.clone(),
        );
        self.inputs.secret_description = self
            .value(Flag::SecretDescription, "Description", &description, |v| {
                validate::name("the description", v)
            })
            .await?;
        if self.inputs.given(Flag::SecretExpiry).is_none() {
            self.detail(
                "When it expires: the guide says Never, which the portal removed in 2021 (it \
                 meant 99 years), and tenant policies may refuse long lifetimes. 24 months is the \
                 portal's longest choice; a duration (18 months, 1y, 90d) or a date (2027-11-29) \
                 works too, and `never` is still accepted, as 99 years.",
            );
        }
        self.inputs.secret_expiry = self
            .value(Flag::SecretExpiry, "Expires", &expiry, check_expiry)
            .await?;
        Ok(())
    }

    /// Step 5, signed in: a secret of the app this tool made that expires
    /// soon is offered for renewal (a new secret and connection); the
    /// tenant's credential policy, when it may be read, is shown with its
    /// limit, and an expiry beyond it is asked again.
    async fn renewal_and_policy(&mut self, graph: &Graph) -> anyhow::Result<()> {
        let (apps, policy) = tokio::join!(
            graph.find_applications_by_name(&self.inputs.app_name),
            graph.default_app_management_policy()
        );
        let now = crate::graph::clock::now();
        let ours = apps
            .unwrap_or_default()
            .into_iter()
            .find(|a| a.tags.iter().any(|t| t == crate::guide::APP_TAG));
        let soon = ours.as_ref().and_then(|app| {
            let held = create_secret::current(app, &self.inputs.secret_description, None)?;
            let end = held.credential.end_date_time.clone()?;
            let days = crate::report::days_left_at(&end, now)?;
            (days <= RENEW_WITHIN_DAYS).then_some(end)
        });
        if let (Some(end), false) = (soon, self.inputs.rotate) {
            let question = format!(
                "The client secret \"{}\" expires {}. Make a new one now (and a new connection holding it)?",
                self.inputs.secret_description,
                crate::report::when_at(&end, now)
            );
            if self.prompts.confirm(&question, true).await? {
                self.inputs.rotate = true;
            }
        }
        let created = ours
            .as_ref()
            .and_then(|a| a.created_date_time.as_deref())
            .and_then(|c| c.parse().ok())
            .unwrap_or(now);
        let Some(policy) = policy
            .ok()
            .and_then(|p| credential_policy::effective(&p, &[], created))
        else {
            return Ok(());
        };
        crate::prompt::say(
            self.printer,
            &format!("{}.", upper_first(&credential_policy::describe(&policy))),
        );
        let Some(days) = policy.max_days.filter(|_| !policy.blocks_secrets) else {
            return Ok(());
        };
        let within = move |v: &str| {
            let now = jiff::Timestamp::now();
            let at = validate::expiry(v, now)?;
            // A minute's room: the expiry is rounded to the second.
            let latest = now + jiff::SignedDuration::from_hours(24 * days);
            if at.timestamp() > latest + jiff::SignedDuration::from_secs(60) {
                return Err(format!(
                    "the tenant's policy allows at most {days} days ({days}d)"
                ));
            }
            Ok(v.trim().to_owned())
        };
        let current = self.inputs.secret_expiry.clone();
        let beyond = within(&current).is_err();
        if beyond && self.inputs.given(Flag::SecretExpiry).is_none() {
            self.inputs.secret_expiry = self
                .prompts
                .text("Expires", Some(&format!("{days}d")), within)
                .await?;
            self.inputs.answer(Flag::SecretExpiry);
        }
        Ok(())
    }

    /// Step 6: offered when this sign-in may grant it.
    async fn admin_consent(&mut self, session: &Session) -> anyhow::Result<()> {
        self.heading(6, "Admin consent");
        self.detail(&format!(
            "{} needs an administrator's consent before anyone can use it. Granting it now \
             consents for everyone in the directory (a tenant-wide delegated grant); otherwise an \
             admin consents when selecting Connect on the platform, or in the portal later.",
            self.inputs.permission
        ));
        self.place(
            "Azure portal",
            "the app > API permissions > Grant admin consent for your directory",
        );
        if let Some(source) = self
            .inputs
            .given(Flag::AdminConsent)
            .filter(|_| self.inputs.admin_consent)
        {
            crate::prompt::shown(
                self.printer,
                "Admin consent",
                "grant it",
                &format!("from {source}"),
            );
        } else if let Some(grant) = self.consent_first {
            crate::prompt::shown(
                self.printer,
                "Admin consent",
                if grant { "grant it" } else { "not now" },
                "as answered before signing in",
            );
        } else if auth::require(session, &[GRANT_CONSENT]).is_err() {
            crate::prompt::say(
                self.printer,
                "This sign-in may not grant consent (it lacks \
                 DelegatedPermissionGrant.ReadWrite.All), so the summary says where to grant it. \
                 (Signing in as yourself, run again with --admin-consent to ask for that \
                 right.)",
            );
        } else {
            self.inputs.admin_consent = self
                .prompts
                .confirm("Grant tenant-wide admin consent now?", false)
                .await?;
            self.inputs.answer(Flag::AdminConsent);
        }
        Ok(())
    }

    /// Step 7, the same in both paths. Signed in (`directory`), the Resource of
    /// an API other than Microsoft Graph is offered as the plan would derive
    /// it: the App ID URI among its service principal's names.
    async fn connection(&mut self, directory: Option<&Graph>) -> anyhow::Result<()> {
        self.heading(7, "Create the platform connection");
        self.detail(
            "Last, your team's Azure Active Directory connection on the platform, with the app's \
             Client ID, Client Secret, Resource and Tenant: aad-setup fills in all four.",
        );
        self.place(
            "Platform",
            "Admin > Integrations > Azure Active Directory > Add this Connection",
        );
        let name = self.inputs.connection_name.clone();
        self.inputs.connection_name = self
            .value(Flag::ConnectionName, "Connection name", &name, |v| {
                validate::name("the connection name", v)
            })
            .await?;
        let graph = ApiRef::parse(&self.inputs.api).is_graph();
        match &self.inputs.resource {
            Some(resource) => crate::prompt::shown(
                self.printer,
                "Resource",
                resource,
                &source_or(&self.inputs, Flag::Resource),
            ),
            None if graph => {
                let host = self.endpoints.cloud.graph;
                crate::prompt::shown(self.printer, "Resource", host, "Microsoft Graph's address");
                self.detail(
                    "Resource is the address of the API the platform calls with the app (the \
                     guide gives no value): the one the permission belongs to. --resource \
                     changes it.",
                );
            }
            None => {
                // Another API: its App ID URI, read from the directory when
                // signed in (else, or if it cannot be read, asked blank: the
                // plan then says what is wrong with the API).
                let derived = match directory {
                    Some(directory) => api_uri(directory, &self.inputs.api).await,
                    None => None,
                };
                let offered = derived.clone();
                let resource = self
                    .prompts
                    .text(
                        &format!("Resource (the App ID URI of {})", self.inputs.api),
                        derived.as_deref(),
                        move |v| match &offered {
                            // What the plan derives (an appId, for an API
                            // whose principal names no URI, is one).
                            Some(d) if v.trim() == d => Ok(d.clone()),
                            _ => check_resource(v),
                        },
                    )
                    .await?;
                if derived.as_deref() != Some(resource.as_str()) {
                    self.inputs.resource = Some(resource);
                    self.inputs.answer(Flag::Resource);
                }
            }
        }
        Ok(())
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
        super::register::run_signed_in(
            &plan,
            self.http.clone(),
            &signed_in.graph,
            &signed_in.session,
            self.printer,
        )
        .await
    }

    /// The plan is shown: ask to go ahead ("no" by default when something
    /// that exists would be changed or replaced).
    /// The plan's confirmation, naming the directory it changes: guest and
    /// MSP admins can be signed in to another than they meant.
    async fn go_ahead(&self, destructive: bool, directory: Option<&str>) -> anyhow::Result<()> {
        if destructive {
            crate::prompt::say(
                self.printer,
                "Something that exists would be changed or replaced, so the answer defaults to no.",
            );
        }
        if self
            .prompts
            .confirm(
                &directory.map_or_else(
                    || "Make these changes?".to_owned(),
                    |d| format!("Make these changes in {d}?"),
                ),
                !destructive,
            )
            .await?
        {
            return Ok(());
        }
        Err(crate::error::declined("the plan"))
    }

    // --- Steps 3 to 7, made by the admin in the portal --------------------

    async fn in_the_portal(mut self) -> anyhow::Result<()> {
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

fn welcome(printer: &Printer, explain: bool) {
    let more = if explain {
        ""
    } else {
        " --explain says more at each step."
    };
    crate::prompt::say(
        printer,
        &format!(
            "aad-setup registers an app in Microsoft Entra ID and connects the platform to it. \
             Nothing changes until you accept the plan; Ctrl-C stops.{more}"
        ),
    );
}

/// Every value given by a flag or a variable is checked before the first
/// question: one the wizard asks for at a step is reported and asked again
/// there; any other is refused at once (exit 2), before anything is signed
/// in to.
fn refuse_bad_values(inputs: &mut Inputs, printer: &Printer) -> anyhow::Result<()> {
    for (flag, problem) in settings::check_given(inputs) {
        if settings::ASKED.contains(&flag) {
            printer.warn(&format!("{problem}; it is asked for again at its step"));
            inputs.forget(flag);
        } else {
            return Err(error::usage(problem));
        }
    }
    Ok(())
}

/// `client-secret` for `AuthChoice::ClientSecret`: the flag's own spelling.
fn auth_name(method: AuthChoice) -> String {
    method
        .to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_owned())
}

/// "from --api", "from AAD_SETUP_API", or "the guide" for a default.
fn source_or(inputs: &Inputs, flag: Flag) -> String {
    match inputs.source(flag) {
        Some(Source::Default) | None => "the guide".to_owned(),
        Some(source) => format!("from {source}"),
    }
}

/// The App ID URI of `api` (a name or an appId) in the signed-in
/// directory, as setup derives the connection's Resource; `None` when its
/// service principal cannot be read or named uniquely.
async fn api_uri(graph: &Graph, api: &str) -> Option<String> {
    const SELECT: &str = "id,appId,servicePrincipalNames";
    let sp = match ApiRef::parse(api) {
        ApiRef::AppId(id) => graph.find_service_principal(&id, SELECT).await.ok()?,
        ApiRef::Name(name) => {
            let mut found = graph
                .find_service_principals_by_name(&name, SELECT)
                .await
                .ok()?;
            if found.len() == 1 { found.pop() } else { None }
        }
    }?;
    Some(crate::steps::resolve_permission::app_id_uri(&sp))
}

fn is_kind(err: &anyhow::Error, kind: Kind) -> bool {
    error::failure(err).is_some_and(|f| f.kind == kind)
}

/// A secret that expires within this many days is offered for renewal.
const RENEW_WITHIN_DAYS: i64 = 30;

fn upper_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().collect::<String>() + chars.as_str()
    })
}

fn check_expiry(value: &str) -> Result<String, String> {
    validate::expiry(value, jiff::Timestamp::now()).map(|_| value.trim().to_owned())
}

fn check_resource(value: &str) -> Result<String, String> {
    // What --resource takes: an answer the plan would refuse is asked again.
    validate::resource(value)
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
    fn expiry_answers_are_checked_and_kept_as_typed() {
        assert_eq!(check_expiry(" 18mo ").unwrap(), "18mo");
        assert!(check_expiry("soon").unwrap_err().contains("not understood"));
    }

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
