//! The command line, as clap sees it: definitions only, no behaviour.
//!
//! Everything here is "what was typed"; [`crate::settings`] turns it into the
//! validated plan the commands run. No flag takes a secret as its value:
//! argv is visible to every local user. Secrets come from the environment, a
//! file (`-` for stdin), or a hidden prompt.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory as _, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::env;
use crate::guide;
use crate::output::OutputFormat;

const AFTER_HELP: &str = "\
Without a command, `aad-setup` runs `setup`. On a terminal it walks you
through the guide (the wizard): it asks only for what it cannot find, shows
the plan, and changes nothing until you confirm. With --no-input, without a
terminal, or with CI=true it never asks.

Try it first against the built-in emulator (no tenant, no platform account):
  aad-setup demo

Exit codes: 0 done, 1 failed, 2 usage or bad input (nothing changed),
3 sign-in failed, 4 insufficient privileges, 5 partial (Azure done, platform not),
130 interrupted.";

/// Connects the workflow platform (PagerDuty Workflow Automation, formerly
/// Catalytic) to Microsoft Entra ID: registers the app through Microsoft Graph
/// and creates the platform's Azure Active Directory connection.
#[derive(Debug, Parser)]
#[command(name = "aad-setup", version, after_help = AFTER_HELP, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Before `setup`: reading the setup flags' values takes them out of
    /// clap's matches, and with them the record of where they came from.
    #[command(flatten)]
    pub given: Given,

    /// `aad-setup` alone is `aad-setup setup`.
    #[command(flatten)]
    pub setup: SetupArgs,

    #[command(flatten)]
    pub global: GlobalArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole guide: register the app, add the permission and a
    /// secret, create the platform connection, verify. On a terminal, asks
    /// for what it needs and confirms the plan first.
    Setup(Box<SetupCommand>),
    /// The Azure half only: register the app with its permission and a new
    /// client secret, verify the secret signs in, and hand the credentials
    /// on (--secret-file, or --show-secret / --output json) for `connect` or
    /// for someone who sets up the platform by hand.
    Register(Box<RegisterArgs>),
    /// The platform half only: create the connection for an app registered
    /// elsewhere (in the Azure portal, say) from its Client ID, Tenant ID and
    /// client secret, after checking that the secret signs in.
    Connect(Box<ConnectArgs>),
    /// Replace the client secret: a new secret, the platform connection
    /// replaced with one that holds it, verified, then the old secret
    /// removed. Needs an existing app registration; never creates one.
    Rotate(Box<RotateArgs>),
    /// Check an existing setup: the app, its redirect URI and permission, the
    /// service principal, consent, the secret's expiry, the platform
    /// connection. Read-only; exit 6 when something needs attention.
    Status(Box<StatusArgs>),
    /// Delete the platform connection and the app registration this tool
    /// made (asks first at a terminal; --yes elsewhere).
    Remove(Box<RemoveArgs>),
    /// Get a platform access token by approving it in your browser, and save
    /// it where the platform's SDKs look (~/.catalytic/tokens/NAME, mode
    /// 0600, never over an existing file). Prints the file's path.
    PlatformLogin(PlatformLoginArgs),
    /// Print the JSON Schema (draft 2020-12) of a command's `--output json`
    /// document: `run` (setup, register, rotate, connect), `status`,
    /// `remove`, `platform-login`, `error`, `emulator`.
    Schema(SchemaArgs),
    /// Run the whole setup against the built-in emulator: no Azure tenant or
    /// platform account needed.
    #[cfg(feature = "emulator")]
    Demo(DemoArgs),
    /// Run the built-in emulator of Entra sign-in, Microsoft Graph and the
    /// platform API on a local port, for pipelines and development.
    #[cfg(feature = "emulator")]
    Emulator(EmulatorArgs),
}

/// `aad-setup schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which document: run, status, remove, platform-login, error or emulator.
    #[arg(value_parser = ["run", "status", "remove", "platform-login", "error", "emulator"])]
    pub name: String,
}

/// Options every command takes.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Output and input")]
pub struct GlobalArgs {
    /// Result format on stdout. Progress and messages always go to stderr.
    #[arg(short, long, global = true, value_enum, default_value_t = OutputFormat::Human, env = env::OUTPUT)]
    pub output: OutputFormat,

    /// Never prompt; a missing value is an error naming the flag and variable
    /// that supply it. Implied without a terminal and when CI=true.
    #[arg(long, global = true, env = env::NO_INPUT, value_parser = clap::builder::FalseyValueParser::new())]
    pub no_input: bool,

    /// More detail on stderr: -v the choices made and each HTTP exchange
    /// (method, path, status, request-id, timing), -vv also query strings.
    /// Never a header value or a body.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// Signing in to Microsoft, and where Microsoft is.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Microsoft sign-in")]
pub struct MicrosoftArgs {
    /// How to sign in to Microsoft. `auto` tries, in order: a Graph token
    /// file, a client secret, a federated token file, GitHub Actions OIDC, an
    /// Azure CLI login, and (on a terminal only) the device code flow;
    /// `browser` is chosen only by name.
    #[arg(long, value_enum, env = env::AUTH, default_value_t = AuthChoice::Auto)]
    pub auth: AuthChoice,

    /// The directory: tenant id (GUID) or a verified domain
    /// (contoso.onmicrosoft.com). Also read from AZURE_TENANT_ID.
    #[arg(long, env = env::TENANT)]
    pub tenant: Option<String>,

    /// The client id (appId) of the identity that signs in: with a secret or
    /// a federated token, the pipeline's app (also read from AZURE_CLIENT_ID);
    /// with --auth device-code or browser, a public client of your
    /// organisation's (also read from AAD_SETUP_PUBLIC_CLIENT_ID). Never the app this tool creates.
    #[arg(long, value_name = "GUID")]
    pub client_id: Option<String>,

    /// A file holding the client secret of --client-id (`-` for stdin).
    /// Without it, AZURE_CLIENT_SECRET is used.
    #[arg(long, value_name = "PATH", env = env::CLIENT_SECRET_FILE)]
    pub client_secret_file: Option<PathBuf>,

    /// A file holding a Microsoft Graph access token (`-` for stdin), for
    /// `--auth token`.
    #[arg(long, value_name = "PATH", env = env::GRAPH_TOKEN_FILE)]
    pub graph_token_file: Option<PathBuf>,

    /// The Microsoft cloud: sets the sign-in and Graph hosts.
    #[arg(long, value_enum, env = env::CLOUD, default_value_t = CloudChoice::Public)]
    pub cloud: CloudChoice,

    /// Override the sign-in host (https; http only on loopback). Also read
    /// from AZURE_AUTHORITY_HOST.
    #[arg(long, value_name = "URL", env = env::LOGIN_URL)]
    pub login_url: Option<String>,

    /// Override the Microsoft Graph host (https; http only on loopback).
    #[arg(long, value_name = "URL", env = env::GRAPH_URL)]
    pub graph_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum AuthChoice {
    /// Use what the environment provides, in a documented order.
    #[default]
    Auto,
    /// Reuse an Azure CLI login (`az account get-access-token`).
    AzCli,
    /// Show a code to enter at microsoft.com/devicelogin from any browser.
    DeviceCode,
    /// Sign in in a browser on this machine (authorization code with PKCE;
    /// where Conditional Access blocks the device code).
    Browser,
    /// App-only: AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET
    /// (or --client-secret-file).
    ClientSecret,
    /// App-only, secretless: a federated token from AZURE_FEDERATED_TOKEN_FILE
    /// or GitHub Actions OIDC, with AZURE_CLIENT_ID and AZURE_TENANT_ID.
    WorkloadIdentity,
    /// A Graph access token from --graph-token-file.
    Token,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum CloudChoice {
    /// login.microsoftonline.com, graph.microsoft.com
    #[default]
    Public,
    /// login.microsoftonline.us, graph.microsoft.us (GCC High)
    Usgov,
    /// login.chinacloudapi.cn, microsoftgraph.chinacloudapi.cn (21Vianet)
    China,
}

/// The platform's public API (platform-api.md §1).
pub const DEFAULT_PLATFORM_URL: &str = "https://sdk.catalytic.com/v2.0.0";

/// The workflow platform.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Workflow platform")]
pub struct PlatformArgs {
    /// The platform's API base.
    #[arg(long, value_name = "URL", env = env::PLATFORM_URL, default_value = DEFAULT_PLATFORM_URL)]
    pub platform_url: String,

    /// The platform access token: a file path, or a token name under
    /// ~/.catalytic/tokens/ (`-` for stdin). Without it: CATALYTIC_TOKEN,
    /// then ~/.catalytic/tokens/default.
    #[arg(long, value_name = "PATH|NAME", env = env::PLATFORM_TOKEN_FILE)]
    pub platform_token_file: Option<String>,

    /// The integration to connect: its name or id on the platform.
    #[arg(long, value_name = "NAME|ID", env = env::INTEGRATION, default_value = guide::INTEGRATION)]
    pub integration: String,

    /// The name of the connection to create (and to find on re-runs).
    #[arg(long, value_name = "NAME", env = env::CONNECTION_NAME, default_value = guide::CONNECTION_NAME)]
    pub connection_name: String,

    /// The Resource value for the platform (the v1 token endpoint's
    /// `resource`). Default: the chosen API's URI, https://graph.microsoft.com
    /// for Microsoft Graph.
    #[arg(long, value_name = "URI", env = env::RESOURCE)]
    pub resource: Option<String>,

    /// Map a value onto a connection field whose name the tool cannot guess:
    /// VALUE=FIELD, VALUE one of clientId, clientSecret, resource, tenant;
    /// FIELD the field's referenceName or name. Repeatable.
    #[arg(long = "field", value_name = "VALUE=FIELD", env = env::FIELD, value_delimiter = ',')]
    pub fields: Vec<String>,
}

/// The app registration.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "App registration")]
pub struct AppArgs {
    /// The app's display name (portal: App registrations > New registration > Name).
    #[arg(long, value_name = "NAME", env = env::APP_NAME, default_value = guide::APP_NAME)]
    pub app_name: String,

    /// The Web redirect URI (portal: Redirect URI, type Web).
    #[arg(long, value_name = "URL", env = env::REDIRECT_URI, default_value = guide::REDIRECT_URI)]
    pub redirect_uri: String,

    /// The API whose permission the app gets: a name ("Microsoft Graph",
    /// "Dynamics CRM") or its appId. The guide's "Dynamics" no longer offers
    /// Directory.ReadWrite.All; Microsoft Graph does.
    #[arg(long, value_name = "NAME|APPID", env = env::API, default_value = guide::API)]
    pub api: String,

    /// The delegated permission (portal: API permissions > Delegated).
    #[arg(long, value_name = "NAME", env = env::PERMISSION, default_value = guide::PERMISSION)]
    pub permission: String,

    /// Use this existing app (its Application (client) ID or Object ID), even
    /// if this tool did not create it.
    #[arg(long, value_name = "GUID", env = env::APP_ID)]
    pub app_id: Option<String>,

    /// Take over an existing app of the same name that this tool did not
    /// create (it is tagged and reconciled).
    #[arg(long, env = env::ADOPT, value_parser = clap::builder::FalseyValueParser::new())]
    pub adopt: bool,
}

/// The client secret.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Client secret")]
pub struct SecretArgs {
    /// The secret's description (portal: Certificates & secrets > Description).
    #[arg(long, value_name = "TEXT", env = env::SECRET_DESCRIPTION, default_value = guide::SECRET_DESCRIPTION)]
    pub secret_description: String,

    /// When the secret expires: a duration (24 months, 18mo, 1y, P2Y, 90d), a
    /// date (2027-11-29), or `never` (99 years; the portal removed it, tenant
    /// policies may refuse it).
    #[arg(long, value_name = "WHEN", env = env::SECRET_EXPIRY, default_value = guide::SECRET_EXPIRY)]
    pub secret_expiry: String,

    /// Print the new secret in the result (stdout). Off by default.
    #[arg(long, env = env::SHOW_SECRET, value_parser = clap::builder::FalseyValueParser::new())]
    pub show_secret: bool,

    /// Also write the new secret to this file, created with mode 0600 (it
    /// must not exist).
    #[arg(long, value_name = "PATH", env = env::SECRET_FILE)]
    pub secret_file: Option<PathBuf>,

    /// Create a new secret and replace the connection even if the existing
    /// ones work.
    #[arg(long, env = env::ROTATE, value_parser = clap::builder::FalseyValueParser::new())]
    pub rotate: bool,

    /// If the platform step fails after the secret exists, keep the secret
    /// and write it to a 0600 file (path printed) instead of removing it.
    #[arg(long, env = env::KEEP_SECRET_ON_FAILURE, value_parser = clap::builder::FalseyValueParser::new())]
    pub keep_secret_on_failure: bool,
}

#[derive(Debug, Args, Clone, Default)]
pub struct SetupArgs {
    #[command(flatten)]
    pub microsoft: MicrosoftArgs,
    #[command(flatten)]
    pub platform: PlatformArgs,
    #[command(flatten)]
    pub app: AppArgs,
    #[command(flatten)]
    pub secret: SecretArgs,

    /// Also grant tenant-wide admin consent for the permission (portal: API
    /// permissions > Grant admin consent). Needs
    /// DelegatedPermissionGrant.ReadWrite.All.
    #[arg(long, help_heading = "App registration", env = env::ADMIN_CONSENT, value_parser = clap::builder::FalseyValueParser::new())]
    pub admin_consent: bool,

    /// Sign in and read, then print every change the run would make, and
    /// change nothing.
    #[arg(long, help_heading = "Output and input", env = env::DRY_RUN, value_parser = clap::builder::FalseyValueParser::new())]
    pub dry_run: bool,

    /// Where the local record of what was created lives (no secrets in it).
    /// Default: the user's state directory.
    #[arg(long, value_name = "DIR", env = env::STATE_DIR, hide = true)]
    pub state_dir: Option<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct StatusArgs {
    #[command(flatten)]
    pub microsoft: MicrosoftArgs,
    #[command(flatten)]
    pub platform: PlatformArgs,
    #[command(flatten)]
    pub app: AppArgs,

    /// The description of the secret to check.
    #[arg(long, value_name = "TEXT", env = env::SECRET_DESCRIPTION, default_value = guide::SECRET_DESCRIPTION)]
    pub secret_description: String,

    /// Report the secret as needing rotation when it expires within this
    /// long (30d, 2 weeks, 3mo).
    #[arg(long, value_name = "DURATION", env = env::WARN_WITHIN, default_value = "30d")]
    pub warn_within: String,

    #[arg(long, value_name = "DIR", env = env::STATE_DIR, hide = true)]
    pub state_dir: Option<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct RemoveArgs {
    #[command(flatten)]
    pub microsoft: MicrosoftArgs,
    #[command(flatten)]
    pub platform: PlatformArgs,
    #[command(flatten)]
    pub app: AppArgs,

    /// Delete the app registration only: the platform is not checked or
    /// changed (for an app made by `register`, or without a platform token).
    #[arg(long, env = env::AZURE_ONLY, value_parser = clap::builder::FalseyValueParser::new())]
    pub azure_only: bool,

    /// Confirm the removal (required: it deletes the app registration).
    #[arg(long, env = env::YES, value_parser = clap::builder::FalseyValueParser::new())]
    pub yes: bool,

    /// List what would be removed, remove nothing.
    #[arg(long, env = env::DRY_RUN, value_parser = clap::builder::FalseyValueParser::new())]
    pub dry_run: bool,

    #[arg(long, value_name = "DIR", env = env::STATE_DIR, hide = true)]
    pub state_dir: Option<PathBuf>,
}

/// The guide's secret settings, for commands that only read or delete.
fn guide_secret(description: &str) -> SecretArgs {
    SecretArgs {
        secret_description: description.to_owned(),
        secret_expiry: guide::SECRET_EXPIRY.into(),
        ..SecretArgs::default()
    }
}

impl StatusArgs {
    /// The same inputs as `setup`, for one validation path.
    pub fn as_setup(&self) -> SetupArgs {
        SetupArgs {
            microsoft: self.microsoft.clone(),
            platform: self.platform.clone(),
            app: self.app.clone(),
            secret: guide_secret(&self.secret_description),
            state_dir: self.state_dir.clone(),
            ..SetupArgs::default()
        }
    }
}

impl RemoveArgs {
    pub fn as_setup(&self) -> SetupArgs {
        SetupArgs {
            microsoft: self.microsoft.clone(),
            platform: self.platform.clone(),
            app: self.app.clone(),
            secret: guide_secret(guide::SECRET_DESCRIPTION),
            state_dir: self.state_dir.clone(),
            dry_run: self.dry_run,
            ..SetupArgs::default()
        }
    }
}

/// `aad-setup register`: the Azure half.
#[derive(Debug, Args, Clone)]
pub struct RegisterArgs {
    #[command(flatten)]
    pub microsoft: MicrosoftArgs,
    #[command(flatten)]
    pub app: AppArgs,

    /// The secret's description (portal: Certificates & secrets > Description).
    #[arg(long, value_name = "TEXT", env = env::SECRET_DESCRIPTION, default_value = guide::SECRET_DESCRIPTION, help_heading = "Client secret")]
    pub secret_description: String,

    /// When the secret expires: a duration (24 months, 18mo, 1y, P2Y, 90d), a
    /// date (2027-11-29), or `never` (99 years; the portal removed it, tenant
    /// policies may refuse it).
    #[arg(long, value_name = "WHEN", env = env::SECRET_EXPIRY, default_value = guide::SECRET_EXPIRY, help_heading = "Client secret")]
    pub secret_expiry: String,

    /// Write the new secret to this file, created with mode 0600 (it must
    /// not exist). This or --show-secret is required: the secret's value is
    /// shown once, when it is created.
    #[arg(long, value_name = "PATH", env = env::SECRET_FILE, help_heading = "Client secret")]
    pub secret_file: Option<PathBuf>,

    /// Print the new secret in the result (stdout; with --output json, as
    /// `secret.value`).
    #[arg(long, help_heading = "Client secret", env = env::SHOW_SECRET, value_parser = clap::builder::FalseyValueParser::new())]
    pub show_secret: bool,

    /// Add a new secret even if the app has an unexpired one of this
    /// description (without it, such a secret makes the run stop: its value
    /// cannot be read back to hand on). The older secrets are kept, as
    /// something may hold them: remove those no one uses in the portal.
    #[arg(long, help_heading = "Client secret", env = env::NEW_SECRET, value_parser = clap::builder::FalseyValueParser::new())]
    pub new_secret: bool,

    /// The Resource value to hand on with the credentials. Default: the
    /// chosen API's URI, https://graph.microsoft.com for Microsoft Graph.
    #[arg(long, value_name = "URI", env = env::RESOURCE, help_heading = "App registration")]
    pub resource: Option<String>,

    /// Also grant tenant-wide admin consent for the permission (portal: API
    /// permissions > Grant admin consent). Needs
    /// DelegatedPermissionGrant.ReadWrite.All.
    #[arg(long, help_heading = "App registration", env = env::ADMIN_CONSENT, value_parser = clap::builder::FalseyValueParser::new())]
    pub admin_consent: bool,

    /// Sign in and read, then print every change the run would make, and
    /// change nothing.
    #[arg(long, help_heading = "Output and input", env = env::DRY_RUN, value_parser = clap::builder::FalseyValueParser::new())]
    pub dry_run: bool,

    #[arg(long, value_name = "DIR", env = env::STATE_DIR, hide = true)]
    pub state_dir: Option<PathBuf>,
}

impl RegisterArgs {
    pub fn as_setup(&self) -> SetupArgs {
        SetupArgs {
            microsoft: self.microsoft.clone(),
            platform: PlatformArgs {
                platform_url: DEFAULT_PLATFORM_URL.into(),
                resource: self.resource.clone(),
                ..PlatformArgs::default()
            },
            app: self.app.clone(),
            secret: SecretArgs {
                secret_description: self.secret_description.clone(),
                secret_expiry: self.secret_expiry.clone(),
                show_secret: self.show_secret,
                secret_file: self.secret_file.clone(),
                rotate: self.new_secret,
                keep_secret_on_failure: false,
            },
            admin_consent: self.admin_consent,
            dry_run: self.dry_run,
            state_dir: self.state_dir.clone(),
        }
    }
}

/// `aad-setup rotate`: a new secret for an existing setup.
#[derive(Debug, Args, Clone)]
pub struct RotateArgs {
    #[command(flatten)]
    pub microsoft: MicrosoftArgs,
    #[command(flatten)]
    pub platform: PlatformArgs,

    /// The app's display name: the app to find.
    #[arg(long, value_name = "NAME", env = env::APP_NAME, default_value = guide::APP_NAME, help_heading = "App registration")]
    pub app_name: String,

    /// The app by its Application (client) ID or Object ID, even if this
    /// tool did not create it.
    #[arg(long, value_name = "GUID", env = env::APP_ID, help_heading = "App registration")]
    pub app_id: Option<String>,

    /// The secret's description: the old secret has it, the new one gets it.
    #[arg(long, value_name = "TEXT", env = env::SECRET_DESCRIPTION, default_value = guide::SECRET_DESCRIPTION, help_heading = "Client secret")]
    pub secret_description: String,

    /// When the new secret expires (24 months, 18mo, 1y, P2Y, 90d, a date,
    /// or `never`).
    #[arg(long, value_name = "WHEN", env = env::SECRET_EXPIRY, default_value = guide::SECRET_EXPIRY, help_heading = "Client secret")]
    pub secret_expiry: String,

    /// Print the new secret in the result (stdout). Off by default.
    #[arg(long, help_heading = "Client secret", env = env::SHOW_SECRET, value_parser = clap::builder::FalseyValueParser::new())]
    pub show_secret: bool,

    /// Also write the new secret to this file, created with mode 0600 (it
    /// must not exist).
    #[arg(long, value_name = "PATH", env = env::SECRET_FILE, help_heading = "Client secret")]
    pub secret_file: Option<PathBuf>,

    /// If the platform refuses the new connection, keep the new secret and
    /// write it to a 0600 file (path printed) instead of removing it. The
    /// old secret and connection are untouched either way.
    #[arg(long, help_heading = "Client secret", env = env::KEEP_SECRET_ON_FAILURE, value_parser = clap::builder::FalseyValueParser::new())]
    pub keep_secret_on_failure: bool,

    /// Sign in and read, then print every change the run would make, and
    /// change nothing.
    #[arg(long, help_heading = "Output and input", env = env::DRY_RUN, value_parser = clap::builder::FalseyValueParser::new())]
    pub dry_run: bool,

    #[arg(long, value_name = "DIR", env = env::STATE_DIR, hide = true)]
    pub state_dir: Option<PathBuf>,
}

impl RotateArgs {
    pub fn as_setup(&self) -> SetupArgs {
        SetupArgs {
            microsoft: self.microsoft.clone(),
            platform: self.platform.clone(),
            app: AppArgs {
                app_name: self.app_name.clone(),
                app_id: self.app_id.clone(),
                ..guide_app()
            },
            secret: SecretArgs {
                secret_description: self.secret_description.clone(),
                secret_expiry: self.secret_expiry.clone(),
                show_secret: self.show_secret,
                secret_file: self.secret_file.clone(),
                rotate: true,
                keep_secret_on_failure: self.keep_secret_on_failure,
            },
            admin_consent: false,
            dry_run: self.dry_run,
            state_dir: self.state_dir.clone(),
        }
    }
}

/// The guide's app settings, for commands that do not take them all.
fn guide_app() -> AppArgs {
    AppArgs {
        app_name: guide::APP_NAME.into(),
        redirect_uri: guide::REDIRECT_URI.into(),
        api: guide::API.into(),
        permission: guide::PERMISSION.into(),
        app_id: None,
        adopt: false,
    }
}

/// `aad-setup setup`: the setup flags, and which of them were given.
#[derive(Debug, Args, Clone)]
pub struct SetupCommand {
    /// First, as in [`Cli`].
    #[command(flatten)]
    pub given: Given,
    #[command(flatten)]
    pub args: SetupArgs,
}

/// `aad-setup connect`: the platform half, from an app registered elsewhere.
#[derive(Debug, Args, Clone)]
pub struct ConnectArgs {
    /// The app's Application (client) ID (portal: App registrations > the
    /// app > Overview). Not AZURE_CLIENT_ID: that names who signs in.
    #[arg(long, value_name = "GUID", env = env::APP_CLIENT_ID)]
    pub client_id: Option<String>,

    /// The app's Directory (tenant) ID, or a verified domain (portal: the
    /// app's Overview). Also read from AZURE_TENANT_ID.
    #[arg(long, value_name = "GUID", env = env::TENANT)]
    pub tenant: Option<String>,

    /// A file holding the app's client secret: its Value, not its Secret ID
    /// (`-` for stdin). Without it, AAD_SETUP_APP_CLIENT_SECRET.
    #[arg(long, value_name = "PATH", env = env::APP_SECRET_FILE)]
    pub app_secret_file: Option<PathBuf>,

    /// Replace a connection of the same name: the new one is created and
    /// checked first, then the old one is deleted.
    #[arg(long, env = env::REPLACE, value_parser = clap::builder::FalseyValueParser::new())]
    pub replace: bool,

    /// Check the secret and the platform, print what would be done, and
    /// change nothing.
    #[arg(long, env = env::DRY_RUN, value_parser = clap::builder::FalseyValueParser::new())]
    pub dry_run: bool,

    /// The Microsoft cloud: where the secret is checked, and the default
    /// Resource (its Microsoft Graph host).
    #[arg(long, value_enum, env = env::CLOUD, default_value_t = CloudChoice::Public, help_heading = "Microsoft sign-in")]
    pub cloud: CloudChoice,

    /// Override the sign-in host (https; http only on loopback). Also read
    /// from AZURE_AUTHORITY_HOST.
    #[arg(long, value_name = "URL", env = env::LOGIN_URL, help_heading = "Microsoft sign-in")]
    pub login_url: Option<String>,

    #[command(flatten)]
    pub platform: PlatformArgs,
}

/// `aad-setup platform-login`: the platform's access-token approval flow.
#[derive(Debug, Args, Clone)]
pub struct PlatformLoginArgs {
    /// Your team: its name (acme) or its address (acme.pushbot.com). On a
    /// terminal it is asked for when missing.
    #[arg(long, value_name = "TEAM", env = env::TEAM)]
    pub team: Option<String>,

    /// Save the token as ~/.catalytic/tokens/NAME. `default` is the one the
    /// platform's SDKs and aad-setup use unasked; another name is used with
    /// --platform-token-file NAME.
    #[arg(long, value_name = "NAME", env = env::TOKEN_NAME, default_value = "default")]
    pub name: String,

    /// How long to wait for the approval, in seconds.
    #[arg(long, value_name = "SECONDS", env = env::WAIT, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub wait: u64,

    /// The platform's API base.
    #[arg(long, value_name = "URL", env = env::PLATFORM_URL, default_value = DEFAULT_PLATFORM_URL)]
    pub platform_url: String,
}

/// Which values were given on the command line or in the environment, as
/// opposed to filled in by a default: the wizard shows those and asks for
/// the rest. It adds no arguments; it reads clap's record of where each
/// value came from, labelled with the flag or variable that supplied it.
#[derive(Debug, Clone, Default)]
pub struct Given {
    /// Argument id → "--app-name" or "AAD_SETUP_APP_NAME".
    by: BTreeMap<String, String>,
}

impl Given {
    /// Where the value of argument `id` (the field name) came from, if it
    /// was given.
    pub fn source(&self, id: &str) -> Option<&str> {
        self.by.get(id).map(String::as_str)
    }

    pub fn has(&self, id: &str) -> bool {
        self.by.contains_key(id)
    }
}

impl FromArgMatches for Given {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        // The setup flags are defined alike at the top level and under
        // `setup`, so the top level's definitions label both.
        let command = Cli::command();
        let mut by = BTreeMap::new();
        for id in matches.ids() {
            let Some(arg) = command.get_arguments().find(|a| a.get_id() == id) else {
                continue;
            };
            let label = match matches.value_source(id.as_str()) {
                Some(ValueSource::CommandLine) => arg.get_long().map(|l| format!("--{l}")),
                Some(ValueSource::EnvVariable) => {
                    arg.get_env().map(|e| e.to_string_lossy().into_owned())
                }
                _ => None,
            };
            if let Some(label) = label {
                by.insert(id.as_str().to_owned(), label);
            }
        }
        Ok(Given { by })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Given::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Args for Given {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        cmd
    }
}

#[cfg(feature = "emulator")]
#[derive(Debug, Args, Clone)]
pub struct DemoArgs {
    /// Turn off the emulator's replication delay and throttling (on by
    /// default, so the demo shows the retries a real tenant needs).
    #[arg(long)]
    pub no_faults: bool,

    /// Print the demo's secret (it is the emulator's, not a real one).
    #[arg(long, env = env::SHOW_SECRET, value_parser = clap::builder::FalseyValueParser::new())]
    pub show_secret: bool,
}

#[cfg(feature = "emulator")]
#[derive(Debug, Args, Clone)]
pub struct EmulatorArgs {
    /// The port on 127.0.0.1 (0 picks a free one).
    #[arg(long, env = env::PORT, default_value_t = 0)]
    pub port: u16,

    /// A JSON file with the emulator's configuration (tenant, replication,
    /// throttling, faults, the platform's integration fields).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Replication delay and throttling as in `demo`.
    #[arg(long)]
    pub faults: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn given_values_are_told_from_defaults_with_their_source() {
        let cli = Cli::try_parse_from(["aad-setup", "--app-name", "x"]).unwrap();
        assert_eq!(cli.given.source("app_name"), Some("--app-name"));
        assert!(!cli.given.has("redirect_uri"), "a default is not given");
        assert!(!cli.given.has("auth"));

        let cli = Cli::try_parse_from(["aad-setup", "setup", "--secret-expiry", "1y"]).unwrap();
        let Some(Command::Setup(setup)) = cli.command else {
            panic!("setup")
        };
        assert_eq!(setup.given.source("secret_expiry"), Some("--secret-expiry"));
        assert_eq!(setup.args.secret.secret_expiry, "1y");
        assert!(!setup.given.has("app_name"));
    }
}
