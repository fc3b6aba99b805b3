//! Flags + environment + defaults → one validated [`Plan`].
//!
//! Nothing below this module sees a clap type, or an `Option` that a default
//! should have filled. Every value is checked here, before anything is
//! created; a bad value is a usage error (exit 2) naming the value, what is
//! accepted, and where it came from.

use std::io::{IsTerminal as _, Read as _};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use secrecy::SecretString;
use url::Url;

use clap::ValueEnum as _;

use crate::auth::{
    GivenToken, SignIn, az_cli, browser, client_secret, device_code, workload_identity,
};
use crate::cli::{AuthChoice, CloudChoice, ConnectArgs, GlobalArgs, PlatformArgs, SetupArgs};
use crate::cloud::{Cloud, Endpoints};
use crate::env;
use crate::error::usage;
use crate::guide::{DYNAMICS_APP_ID, GRAPH_APP_ID};
use crate::output::Interaction;
use crate::platform::token::{self, PlatformToken};
use crate::validate::{self, Expiry};

/// The API whose permission the app gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ApiRef {
    AppId(String),
    Name(String),
}

impl ApiRef {
    pub(crate) fn parse(value: &str) -> ApiRef {
        let value = value.trim();
        if validate::is_guid(value) {
            return ApiRef::AppId(value.to_ascii_lowercase());
        }
        let key: String = value
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        match key.as_str() {
            "microsoftgraph" | "graph" => ApiRef::AppId(GRAPH_APP_ID.into()),
            "dynamicscrm" | "dynamics" | "dynamicscrmonline" | "dataverse" => {
                ApiRef::AppId(DYNAMICS_APP_ID.into())
            }
            _ => ApiRef::Name(value.to_owned()),
        }
    }

    pub(crate) fn is_graph(&self) -> bool {
        matches!(self, ApiRef::AppId(id) if id == GRAPH_APP_ID)
    }
}

/// Which of the four values a connection field receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum ConnValue {
    ClientId,
    ClientSecret,
    Resource,
    Tenant,
}

impl ConnValue {
    pub(crate) const ALL: [ConnValue; 4] = [
        ConnValue::ClientId,
        ConnValue::ClientSecret,
        ConnValue::Resource,
        ConnValue::Tenant,
    ];

    pub(crate) fn key(self) -> &'static str {
        match self {
            ConnValue::ClientId => "clientId",
            ConnValue::ClientSecret => "clientSecret",
            ConnValue::Resource => "resource",
            ConnValue::Tenant => "tenant",
        }
    }

    fn parse(value: &str) -> Option<ConnValue> {
        ConnValue::ALL
            .into_iter()
            .find(|v| v.key().eq_ignore_ascii_case(value.trim()))
    }
}

#[derive(Debug)]
pub(crate) struct AppSpec {
    pub name: String,
    pub redirect_uri: String,
    pub api: ApiRef,
    pub permission: String,
    pub app_id: Option<String>,
    pub adopt: bool,
    pub admin_consent: bool,
}

#[derive(Debug)]
pub(crate) struct SecretSpec {
    pub description: String,
    pub expiry: Expiry,
    pub show: bool,
    pub file: Option<PathBuf>,
    pub rotate: bool,
    pub keep_on_failure: bool,
}

#[derive(Debug)]
pub(crate) struct PlatformSpec {
    pub token: PlatformToken,
    pub integration: String,
    pub connection_name: String,
    /// `None`: the API's own URI (Graph: the cloud's Graph host).
    pub resource: Option<String>,
    /// Explicit value → field mappings from `--field`.
    pub fields: Vec<(ConnValue, String)>,
}

/// Which command a [`Plan`] is for: they share the steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The whole guide.
    Setup,
    /// The Azure half: no platform, the credentials handed on.
    Register,
    /// A new secret for an existing setup: never creates or changes the
    /// app registration.
    Rotate,
    /// Deleting what the tool made; with `platform: false`
    /// (`--azure-only`), the app registration alone.
    Remove { platform: bool },
}

/// Everything `setup`, `register` and `rotate` need, validated.
#[derive(Debug)]
pub(crate) struct Plan {
    pub mode: Mode,
    pub endpoints: Endpoints,
    pub sign_in: SignIn,
    pub app: AppSpec,
    pub secret: SecretSpec,
    /// `None` for `register`, which leaves the platform alone, and for
    /// `remove` without a platform token.
    pub platform: Option<PlatformSpec>,
    /// `--resource`; `None`: the API's own URI (Graph: the cloud's Graph
    /// host), or for `rotate` what the last run gave the platform.
    pub resource: Option<String>,
    pub dry_run: bool,
    pub state_dir: PathBuf,
    /// Warnings to show before the run (e.g. "never" expiry).
    pub warnings: Vec<String>,
}

/// How the run talks to its user, from the global flags and the terminal.
pub(crate) fn interaction(global: &GlobalArgs) -> Interaction {
    let interactive = !global.no_input
        && !env::flag(env::CI)
        && std::io::stdin().is_terminal()
        && std::io::stderr().is_terminal();
    Interaction {
        format: global.output,
        interactive,
        verbose: global.verbose,
    }
}

/// What the wizard collected that no flag can carry: secrets typed hidden,
/// a sign-in already done, a token from the platform's approval flow. The
/// wizard supplies each only where the flags and the environment gave
/// nothing (or, for the sign-in, after using it), so each takes precedence.
#[derive(Default)]
pub(crate) struct Supplied {
    /// The sign-in the wizard already used (`setup`).
    pub sign_in: Option<SignIn>,
    /// A platform token from the approval flow.
    pub platform_token: Option<PlatformToken>,
    /// The client secret of the app `connect` puts on the platform.
    pub app_secret: Option<SecretString>,
}

impl Plan {
    /// The platform half's settings; every command but `register` has them.
    pub(crate) fn platform(&self) -> anyhow::Result<&PlatformSpec> {
        self.platform
            .as_ref()
            .context("internal: this command does not reach the platform")
    }
}

/// Builds the plan for `setup`.
pub(crate) fn plan(args: &SetupArgs, interaction: &Interaction) -> anyhow::Result<Plan> {
    plan_with(args, interaction, Supplied::default())
}

/// [`plan`], with what the wizard supplied.
pub(crate) fn plan_with(
    args: &SetupArgs,
    interaction: &Interaction,
    supplied: Supplied,
) -> anyhow::Result<Plan> {
    build(Mode::Setup, args, interaction, supplied)
}

/// Builds the plan for `register` or `rotate` (from their arguments, put in
/// `setup`'s shape).
pub(crate) fn plan_for(
    mode: Mode,
    args: &SetupArgs,
    interaction: &Interaction,
) -> anyhow::Result<Plan> {
    build(mode, args, interaction, Supplied::default())
}

fn build(
    mode: Mode,
    args: &SetupArgs,
    interaction: &Interaction,
    supplied: Supplied,
) -> anyhow::Result<Plan> {
    let mut warnings = Vec::new();
    let endpoints = endpoints(args)?;
    if endpoints.cloud.name != "public" {
        warnings.push(format!(
            "the {} cloud is selected; whether the workflow platform supports it is not known",
            endpoints.cloud.name
        ));
    }

    let app = &args.app;
    let name = validate::name("--app-name", &app.app_name).map_err(usage)?;
    let redirect_uri = validate::redirect_uri(&app.redirect_uri).map_err(usage)?;
    let app_id = app
        .app_id
        .as_deref()
        .map(|v| validate::guid("--app-id", v))
        .transpose()
        .map_err(usage)?;
    let permission = app.permission.trim();
    if permission.is_empty() || permission.contains(char::is_whitespace) {
        return Err(usage(format!(
            "--permission '{}' is not a permission name (such as Directory.ReadWrite.All)",
            app.permission
        )));
    }
    let api = ApiRef::parse(&app.api);
    if !api.is_graph() && args.platform.resource.is_none() {
        return Err(usage(format!(
            "--api '{}' is not Microsoft Graph, so the Resource cannot be derived: give --resource (the API's App ID URI)",
            app.api
        )));
    }

    let secret = &args.secret;
    let description =
        validate::name("--secret-description", &secret.secret_description).map_err(usage)?;
    let expiry = validate::expiry(&secret.secret_expiry, jiff::Timestamp::now())
        .map_err(|e| usage(format!("--secret-expiry: {e}")))?;
    if let Expiry::Never(_) = expiry {
        warnings.push(
            "--secret-expiry never: the portal removed \"Never\" in 2021; this asks Graph for 99 years, which tenant policies may refuse. Microsoft recommends under 12 months.".into(),
        );
    } else if expiry
        .timestamp()
        .duration_since(jiff::Timestamp::now())
        .as_secs()
        > 2 * 366 * 86_400
    {
        warnings.push(
            "--secret-expiry is longer than the portal's 24-month limit; tenant policies may refuse it".into(),
        );
    }
    if let Some(path) = &secret.secret_file {
        check_new_file("--secret-file", path)?;
    }
    if mode == Mode::Register
        && !args.dry_run
        && !secret.show_secret
        && secret.secret_file.is_none()
    {
        return Err(crate::error::Failure::new(
            crate::error::Kind::Usage,
            "register hands the new client secret on, and its value is shown only once: say where it goes",
        )
        .with_hint(format!(
            "give --secret-file PATH (created with mode 0600; or {}) or --show-secret (printed on stdout, in the JSON with --output json)",
            env::SECRET_FILE
        ))
        .into());
    }

    let resource = resource_arg(args.platform.resource.as_deref())?;
    let needs_platform = !matches!(mode, Mode::Register | Mode::Remove { platform: false });
    if needs_platform {
        platform_values(&args.platform)?;
    }
    // A token that is given is checked now; one that is missing is reported
    // after the sign-in, so that what is wrong is told before what is
    // missing, and Microsoft's half before the platform's. `remove` says so
    // before the sign-in: it would change nothing anyway.
    let token = match (supplied.platform_token, needs_platform) {
        (Some(token), true) => Some(token),
        (_, false) => None,
        (None, true) => find_platform_token(args.platform.platform_token_file.as_deref())?,
    };
    if token.is_none() && mode == (Mode::Remove { platform: true }) {
        return Err(crate::error::Failure::new(
            crate::error::Kind::Usage,
            "no platform access token was found, so the platform connection cannot be checked or deleted; nothing was removed",
        )
        .with_hint(format!(
            "give a platform token ({}, --platform-token-file, or `aad-setup platform-login --team TEAM`), or pass --azure-only to delete the app registration alone (a platform connection that holds its secret would stop working)",
            env::CATALYTIC_TOKEN
        ))
        .into());
    }
    let state_dir = match &args.state_dir {
        Some(dir) => dir.clone(),
        None => default_state_dir()?,
    };
    let sign_in = match supplied.sign_in {
        Some(sign_in) => sign_in,
        None => sign_in_method(args, interaction, &endpoints, None)?,
    };
    let platform = match token {
        Some(token) => Some(platform_spec(&args.platform, Some(token))?),
        None if needs_platform => return Err(missing_platform_token()),
        None => None,
    };

    Ok(Plan {
        mode,
        endpoints,
        sign_in,
        app: AppSpec {
            name,
            redirect_uri,
            api,
            permission: permission.to_owned(),
            app_id,
            adopt: app.adopt,
            admin_consent: args.admin_consent,
        },
        secret: SecretSpec {
            description,
            expiry,
            show: secret.show_secret,
            file: secret.secret_file.clone(),
            rotate: secret.rotate,
            keep_on_failure: secret.keep_secret_on_failure,
        },
        platform,
        resource,
        dry_run: args.dry_run,
        state_dir,
        warnings,
    })
}

/// Where the services are, for `setup`.
pub(crate) fn endpoints(args: &SetupArgs) -> anyhow::Result<Endpoints> {
    let ms = &args.microsoft;
    endpoints_of(
        ms.cloud,
        ms.login_url.as_deref(),
        ms.graph_url.as_deref(),
        &args.platform.platform_url,
    )
}

fn endpoints_of(
    cloud: CloudChoice,
    login_url: Option<&str>,
    graph_url: Option<&str>,
    platform_url: &str,
) -> anyhow::Result<Endpoints> {
    let cloud = match cloud {
        CloudChoice::Public => Cloud::PUBLIC,
        CloudChoice::Usgov => Cloud::USGOV,
        CloudChoice::China => Cloud::CHINA,
    };
    let (login_raw, login_from) = match (login_url, env::var(env::AZURE_AUTHORITY_HOST)) {
        (Some(v), _) => (v.to_owned(), "--login-url"),
        (None, Some(v)) => (v, env::AZURE_AUTHORITY_HOST),
        (None, None) => (cloud.login.to_owned(), "--cloud"),
    };
    let login = validate::service_url(login_from, &login_raw).map_err(usage)?;
    let graph =
        validate::service_url("--graph-url", graph_url.unwrap_or(cloud.graph)).map_err(usage)?;
    let platform = validate::service_url("--platform-url", platform_url).map_err(usage)?;
    Ok(Endpoints {
        cloud,
        login,
        graph,
        platform,
    })
}

/// The tenant from `--tenant` (or its variable), else AZURE_TENANT_ID.
fn tenant_arg(flag: Option<&str>) -> anyhow::Result<Option<String>> {
    let (raw, from) = match (flag, env::var(env::AZURE_TENANT_ID)) {
        (Some(t), _) => (t.to_owned(), format!("--tenant / {}", env::TENANT)),
        (None, Some(t)) => (t, env::AZURE_TENANT_ID.to_owned()),
        (None, None) => return Ok(None),
    };
    validate::tenant(&raw)
        .map(Some)
        .map_err(|e| usage(format!("{from}: {e}")))
}

/// How to sign in to Microsoft, from `--auth` and what it needs. A secret
/// the wizard had typed (`typed_secret`) is used only when neither
/// `--client-secret-file` nor AZURE_CLIENT_SECRET gives one.
pub(crate) fn sign_in_method(
    args: &SetupArgs,
    interaction: &Interaction,
    endpoints: &Endpoints,
    typed_secret: Option<SecretString>,
) -> anyhow::Result<SignIn> {
    let ms = &args.microsoft;
    let tenant = tenant_arg(ms.tenant.as_deref())?;
    let method = match ms.auth {
        AuthChoice::Auto => choose_auto(args, interaction)?,
        other => other,
    };
    let pipeline_client_id = |method: &str| -> anyhow::Result<String> {
        let id = ms
            .client_id
            .clone()
            .or_else(|| env::var(env::AZURE_CLIENT_ID))
            .ok_or_else(|| {
                usage(format!(
                    "--auth {method} needs the signing-in app's client id: --client-id or {}",
                    env::AZURE_CLIENT_ID
                ))
            })?;
        validate::guid("client id", &id).map_err(usage)
    };
    let need_tenant = |method: &str| -> anyhow::Result<String> {
        tenant.clone().ok_or_else(|| {
            usage(format!(
                "--auth {method} needs the tenant: --tenant, {} or {}",
                env::TENANT,
                env::AZURE_TENANT_ID
            ))
        })
    };
    match method {
        AuthChoice::Token => {
            let path = ms.graph_token_file.as_ref().ok_or_else(|| {
                usage(format!(
                    "--auth token needs --graph-token-file PATH (or {})",
                    env::GRAPH_TOKEN_FILE
                ))
            })?;
            let token = read_secret_file(path, "--graph-token-file")?;
            Ok(SignIn::Token(GivenToken { token, tenant }))
        }
        AuthChoice::ClientSecret => {
            let tenant = need_tenant("client-secret")?;
            let client_id = pipeline_client_id("client-secret")?;
            let (secret, source) = match &ms.client_secret_file {
                Some(path) => (
                    read_secret_file(path, "--client-secret-file")?,
                    path.display().to_string(),
                ),
                None => match (env::var(env::AZURE_CLIENT_SECRET), typed_secret) {
                    (Some(s), _) => (
                        SecretString::from(s.trim().to_owned()),
                        env::AZURE_CLIENT_SECRET.to_owned(),
                    ),
                    (None, Some(typed)) => (typed, "the prompt".to_owned()),
                    (None, None) => {
                        return Err(usage(format!(
                            "--auth client-secret needs the secret: {} or --client-secret-file",
                            env::AZURE_CLIENT_SECRET
                        )));
                    }
                },
            };
            Ok(SignIn::ClientSecret(client_secret::Request {
                tenant,
                client_id,
                secret,
                source,
            }))
        }
        AuthChoice::WorkloadIdentity => {
            use crate::auth::workload_identity::Assertion;
            let tenant = need_tenant("workload-identity")?;
            let client_id = pipeline_client_id("workload-identity")?;
            let assertion = if let Some(file) = env::var(env::AZURE_FEDERATED_TOKEN_FILE) {
                Assertion::File(PathBuf::from(file))
            } else if let (Some(url), Some(token)) = (
                env::var(env::ACTIONS_ID_TOKEN_REQUEST_URL),
                env::var(env::ACTIONS_ID_TOKEN_REQUEST_TOKEN),
            ) {
                let url = validate::service_url(env::ACTIONS_ID_TOKEN_REQUEST_URL, &url)
                    .or_else(|e| {
                        // The runner's URL carries a query string; validate the rest.
                        Url::parse(&url)
                            .ok()
                            .filter(|u| u.scheme() == "https" || validate::is_loopback(u))
                            .ok_or(e)
                    })
                    .map_err(usage)?;
                Assertion::GitHub {
                    url,
                    token: SecretString::from(token),
                }
            } else {
                return Err(usage(format!(
                    "--auth workload-identity needs a federated token: {} (a file), or GitHub Actions OIDC ({} and {}: give the workflow `permissions: id-token: write`)",
                    env::AZURE_FEDERATED_TOKEN_FILE,
                    env::ACTIONS_ID_TOKEN_REQUEST_URL,
                    env::ACTIONS_ID_TOKEN_REQUEST_TOKEN
                )));
            };
            Ok(SignIn::WorkloadIdentity(workload_identity::Request {
                tenant,
                client_id,
                assertion,
            }))
        }
        AuthChoice::AzCli => Ok(SignIn::AzCli(az_cli::Request { tenant })),
        AuthChoice::DeviceCode | AuthChoice::Browser => {
            let client_id = match ms
                .client_id
                .clone()
                .or_else(|| env::var(env::PUBLIC_CLIENT_ID))
            {
                Some(id) => validate::guid("public client id", &id).map_err(usage)?,
                None => {
                    tracing::info!(
                        "signing in as yourself through Microsoft Graph Command Line Tools ({}); give --client-id or {} to use your organisation's own public client",
                        crate::auth::device_code::GRAPH_CLI_CLIENT_ID,
                        env::PUBLIC_CLIENT_ID
                    );
                    crate::auth::device_code::GRAPH_CLI_CLIENT_ID.to_owned()
                }
            };
            let tenant = tenant.unwrap_or_else(|| "organizations".into());
            let scope = crate::auth::device_code::scopes(endpoints, args.admin_consent);
            Ok(if method == AuthChoice::Browser {
                SignIn::Browser(browser::Request {
                    tenant,
                    client_id,
                    scope,
                })
            } else {
                SignIn::DeviceCode(device_code::Request {
                    tenant,
                    client_id,
                    scope,
                })
            })
        }
        AuthChoice::Auto => unreachable!("auto was resolved above"),
    }
}

/// `--auth auto`: the first method the environment is configured for, in
/// the README's order. `-v` says which was chosen and why others were not.
fn choose_auto(args: &SetupArgs, interaction: &Interaction) -> anyhow::Result<AuthChoice> {
    if let Some(method) = auto_method(args, interaction) {
        return Ok(method);
    }
    tracing::info!("sign-in (auto): no terminal, so no device code sign-in");
    Err(crate::error::Failure::new(
        crate::error::Kind::SignIn,
        "no way to sign in to Microsoft was found",
    )
    .with_hint(format!(
        "in a pipeline set {tenant} and {client} with {secret} (client secret) or {fed} / GitHub OIDC (`permissions: id-token: write`) for workload identity; or log in with `az login`; or give --graph-token-file",
        tenant = env::AZURE_TENANT_ID,
        client = env::AZURE_CLIENT_ID,
        secret = env::AZURE_CLIENT_SECRET,
        fed = env::AZURE_FEDERATED_TOKEN_FILE,
    ))
    .into())
}

/// What `--auth auto` would pick (the wizard offers it as the default), or
/// `None` when nothing is configured and there is no terminal.
pub(crate) fn auto_method(args: &SetupArgs, interaction: &Interaction) -> Option<AuthChoice> {
    let ms = &args.microsoft;
    let pick = |method: AuthChoice, why: &str| {
        tracing::info!(
            "sign-in (auto): {why}: using --auth {}",
            method
                .to_possible_value()
                .map_or_else(String::new, |v| v.get_name().to_owned())
        );
        Some(method)
    };
    if ms.graph_token_file.is_some() {
        return pick(AuthChoice::Token, "a Graph token file is given");
    }
    tracing::info!(
        "sign-in (auto): no --graph-token-file / {}",
        env::GRAPH_TOKEN_FILE
    );
    if ms.client_secret_file.is_some() || env::var(env::AZURE_CLIENT_SECRET).is_some() {
        return pick(AuthChoice::ClientSecret, "a client secret is configured");
    }
    tracing::info!(
        "sign-in (auto): no {} / --client-secret-file",
        env::AZURE_CLIENT_SECRET
    );
    if env::var(env::AZURE_FEDERATED_TOKEN_FILE).is_some() {
        return pick(
            AuthChoice::WorkloadIdentity,
            "AZURE_FEDERATED_TOKEN_FILE is set",
        );
    }
    tracing::info!("sign-in (auto): no {}", env::AZURE_FEDERATED_TOKEN_FILE);
    let github = env::var(env::ACTIONS_ID_TOKEN_REQUEST_URL).is_some()
        && env::var(env::ACTIONS_ID_TOKEN_REQUEST_TOKEN).is_some();
    if github && (ms.client_id.is_some() || env::var(env::AZURE_CLIENT_ID).is_some()) {
        return pick(
            AuthChoice::WorkloadIdentity,
            "GitHub Actions OIDC is available",
        );
    }
    tracing::info!(
        "sign-in (auto): no GitHub Actions OIDC ({}{})",
        if github {
            ""
        } else {
            "ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN unset"
        },
        if github { "AZURE_CLIENT_ID unset" } else { "" }
    );
    if crate::auth::az_cli::available() {
        return pick(AuthChoice::AzCli, "the Azure CLI (az) is on PATH");
    }
    tracing::info!("sign-in (auto): the Azure CLI (az) is not on PATH");
    if interaction.interactive {
        return pick(AuthChoice::DeviceCode, "this is a terminal");
    }
    None
}

fn platform_spec(
    p: &PlatformArgs,
    supplied: Option<PlatformToken>,
) -> anyhow::Result<PlatformSpec> {
    // The values first: a value typed wrong is told before a missing token.
    let values = platform_values(p)?;
    let token = match supplied {
        Some(token) => token,
        None => platform_token(p.platform_token_file.as_deref())?,
    };
    Ok(PlatformSpec {
        token,
        integration: values.integration,
        connection_name: values.connection_name,
        resource: values.resource,
        fields: values.fields,
    })
}

/// The platform flags, checked.
struct PlatformValues {
    integration: String,
    connection_name: String,
    resource: Option<String>,
    fields: Vec<(ConnValue, String)>,
}

fn platform_values(p: &PlatformArgs) -> anyhow::Result<PlatformValues> {
    let integration = validate::name("--integration", &p.integration).map_err(usage)?;
    let connection_name = validate::name("--connection-name", &p.connection_name).map_err(usage)?;
    let resource = resource_arg(p.resource.as_deref())?;
    let mut fields = Vec::new();
    for entry in &p.fields {
        let (value, field) = validate::field(entry).map_err(usage)?;
        let value = ConnValue::parse(value).expect("validate::field names one of the four values");
        fields.push((value, field));
    }
    Ok(PlatformValues {
        integration,
        connection_name,
        resource,
        fields,
    })
}

/// `--resource`: an absolute URI (see [`validate::resource`]).
fn resource_arg(value: Option<&str>) -> anyhow::Result<Option<String>> {
    value
        .map(|r| validate::resource(r).map_err(usage))
        .transpose()
}

/// The platform token, in the SDKs' order: the flag, CATALYTIC_TOKEN,
/// `~/.catalytic/tokens/default` (platform-api.md §2.2).
pub(crate) fn platform_token(flag: Option<&str>) -> anyhow::Result<PlatformToken> {
    find_platform_token(flag)?.ok_or_else(missing_platform_token)
}

fn missing_platform_token() -> anyhow::Error {
    crate::error::Failure::new(
        crate::error::Kind::Usage,
        "no platform access token was found",
    )
    .with_hint(format!(
        "set {}, pass --platform-token-file PATH|NAME ({}), or save a token as ~/.catalytic/tokens/default: `aad-setup platform-login --team TEAM` gets one that you approve in your browser as a team Admin",
        env::CATALYTIC_TOKEN,
        env::PLATFORM_TOKEN_FILE
    ))
    .into()
}

/// [`platform_token`], or `None` when none of the places has one. A token
/// that is there but unreadable or malformed is an error.
pub(crate) fn find_platform_token(flag: Option<&str>) -> anyhow::Result<Option<PlatformToken>> {
    let (raw, source) = if let Some(value) = flag {
        if value == "-" {
            (read_stdin("--platform-token-file")?, "stdin".to_owned())
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
    } else if let Some(raw) = env::var(env::CATALYTIC_TOKEN) {
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

/// The app whose values `connect` puts on the platform: registered
/// elsewhere, identified by its client id, with its secret.
pub(crate) struct AppCredentials {
    pub tenant: String,
    pub client_id: String,
    pub secret: SecretString,
    /// Where the secret came from, for messages.
    pub source: String,
}

impl AppCredentials {
    /// Signing in as the app itself: how `connect` checks the secret.
    pub(crate) fn sign_in(&self) -> SignIn {
        SignIn::ClientSecret(client_secret::Request {
            tenant: self.tenant.clone(),
            client_id: self.client_id.clone(),
            secret: self.secret.clone(),
            source: self.source.clone(),
        })
    }
}

/// Everything `connect` needs, validated.
pub(crate) struct ConnectPlan {
    pub endpoints: Endpoints,
    pub app: AppCredentials,
    pub platform: PlatformSpec,
    /// The Resource value: `--resource`, else the cloud's Microsoft Graph.
    pub resource: String,
    pub replace: bool,
    pub dry_run: bool,
    /// Where `connect` records what it made (`AAD_SETUP_STATE_DIR`).
    pub state_dir: PathBuf,
}

/// Builds the plan for `connect`.
pub(crate) fn connect_plan(args: &ConnectArgs, supplied: Supplied) -> anyhow::Result<ConnectPlan> {
    let endpoints = endpoints_of(
        args.cloud,
        args.login_url.as_deref(),
        None,
        &args.platform.platform_url,
    )?;
    let client_id = args.client_id.as_deref().ok_or_else(|| {
        usage(format!(
            "connect needs the app's Application (client) ID: --client-id or {}",
            env::APP_CLIENT_ID
        ))
    })?;
    let client_id = validate::guid("--client-id", client_id).map_err(usage)?;
    let tenant = tenant_arg(args.tenant.as_deref())?.ok_or_else(|| {
        usage(format!(
            "connect needs the app's Directory (tenant) ID: --tenant, {} or {}",
            env::TENANT,
            env::AZURE_TENANT_ID
        ))
    })?;
    let (secret, source) = match (
        supplied.app_secret,
        &args.app_secret_file,
        env::var(env::APP_CLIENT_SECRET),
    ) {
        (Some(typed), _, _) => (typed, "the prompt".to_owned()),
        (None, Some(path), _) => (
            read_secret_file(path, "--app-secret-file")?,
            path.display().to_string(),
        ),
        (None, None, Some(s)) => (
            SecretString::from(s.trim().to_owned()),
            env::APP_CLIENT_SECRET.to_owned(),
        ),
        (None, None, None) => {
            return Err(usage(format!(
                "connect needs the app's client secret: {} or --app-secret-file PATH (no flag takes the secret itself)",
                env::APP_CLIENT_SECRET
            )));
        }
    };
    let platform = platform_spec(&args.platform, supplied.platform_token)?;
    let resource = platform
        .resource
        .clone()
        .unwrap_or_else(|| endpoints.cloud.graph.trim_end_matches('/').to_owned());
    let state_dir = match env::var(env::STATE_DIR) {
        Some(dir) => PathBuf::from(dir),
        None => default_state_dir()?,
    };
    Ok(ConnectPlan {
        endpoints,
        app: AppCredentials {
            tenant,
            client_id,
            secret,
            source,
        },
        platform,
        resource,
        replace: args.replace,
        dry_run: args.dry_run,
        state_dir,
    })
}

fn read_stdin(what: &str) -> anyhow::Result<String> {
    let mut buf = String::new();
    std::io::stdin()
        .read_to_string(&mut buf)
        .with_context(|| format!("{what}: reading stdin"))?;
    Ok(buf)
}

/// A secret from a file (`-` for stdin), trimmed; an empty one is refused.
pub(crate) fn read_secret_file(path: &Path, what: &str) -> anyhow::Result<SecretString> {
    let raw = if path == Path::new("-") {
        read_stdin(what)?
    } else {
        std::fs::read_to_string(path)
            .map_err(|e| usage(format!("{what}: cannot read {}: {e}", path.display())))?
    };
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(usage(format!("{what}: {} is empty", path.display())));
    }
    Ok(SecretString::from(trimmed.to_owned()))
}

/// A file the run will create: it must not exist, and its folder must.
pub(crate) fn check_new_file(what: &str, path: &Path) -> anyhow::Result<()> {
    if path.exists() {
        return Err(usage(format!(
            "{what} {} exists already; secrets are never written over an existing file",
            path.display()
        )));
    }
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return Err(usage(format!(
            "{what} {}: the folder {} does not exist",
            path.display(),
            parent.display()
        )));
    }
    Ok(())
}

fn default_state_dir() -> anyhow::Result<PathBuf> {
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .map(|d| d.join("aad-setup"))
        .or_else(|| dirs::home_dir().map(|h| h.join(".aad-setup")))
        .with_context(|| format!("no state directory could be found; set {}", env::STATE_DIR))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_names_resolve_to_the_well_known_ids() {
        assert!(ApiRef::parse(crate::guide::API).is_graph());
        assert_eq!(
            ApiRef::parse("Dynamics CRM"),
            ApiRef::AppId(DYNAMICS_APP_ID.into())
        );
        assert_eq!(
            ApiRef::parse("Dynamics"),
            ApiRef::AppId(DYNAMICS_APP_ID.into())
        );
        assert_eq!(
            ApiRef::parse("Contoso API"),
            ApiRef::Name("Contoso API".into())
        );
        assert_eq!(
            ApiRef::parse("00000003-0000-0000-C000-000000000000"),
            ApiRef::AppId(GRAPH_APP_ID.into())
        );
    }

    #[test]
    fn new_files_must_not_exist() {
        let dir = tempfile::tempdir().unwrap();
        let existing = dir.path().join("x");
        std::fs::write(&existing, "").unwrap();
        assert!(check_new_file("--secret-file", &existing).is_err());
        assert!(check_new_file("--secret-file", &dir.path().join("y")).is_ok());
        assert!(check_new_file("--secret-file", &dir.path().join("no/such/y")).is_err());
    }
}
