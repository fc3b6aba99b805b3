//! The command line's definitions: one struct per command, made of the
//! groups several commands share (the sign-in, the platform, the app, the
//! secret, what a change may reclaim and whether it is a dry run, the
//! local record, a fleet file), each declared once and flattened in, as
//! uv does. A flag whose help differs between commands (`remove --dry-run`
//! lists, `connect --dry-run` checks) keeps its own declaration there.

// The doc comments below are clap's help text, written for a terminal
// (bare URLs, TOML table names in brackets), not for rustdoc.
#![allow(rustdoc::bare_urls, rustdoc::broken_intra_doc_links)]

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::output::OutputFormat;

/// `aad-setup schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which document: run, status, remove, platform-login, error, emulator,
    /// fleet, matrix, or file (the fleet file).
    #[arg(value_parser = ["run", "status", "remove", "platform-login", "error", "emulator", "fleet", "matrix", "file"])]
    pub name: String,
}

/// A fleet file: many targets (tenants, teams) from one checked-in file.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Many targets")]
pub struct FleetArgs {
    /// Run the command for every target of this file (TOML, by convention
    /// aad-setup.toml: a [defaults] table and one [[target]] per team and
    /// tenant; `aad-setup schema file`).
    #[arg(short = 'f', long, value_name = "PATH")]
    pub file: Option<PathBuf>,

    /// Only the target of this name (repeatable), with --file.
    #[arg(long = "target", value_name = "NAME")]
    pub targets: Vec<String>,

    /// How many targets run at once (1 to 64).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: Option<u16>,
}

/// `aad-setup matrix`.
#[derive(Debug, Args, Clone)]
pub struct MatrixArgs {
    /// The fleet file. Default: aad-setup.toml.
    #[arg(short = 'f', long, value_name = "PATH")]
    pub file: Option<PathBuf>,

    /// Only the target of this name (repeatable).
    #[arg(long = "target", value_name = "NAME")]
    pub targets: Vec<String>,
}

/// Options every command takes.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Output and input")]
pub struct GlobalArgs {
    /// Result format on stdout. Progress and messages always go to stderr.
    #[arg(short, long, global = true, value_enum)]
    pub output: Option<OutputFormat>,

    /// Never prompt; a missing value is an error naming the flag and variable
    /// that supply it. Implied without a terminal and when CI=true.
    #[arg(long, global = true)]
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
    #[arg(long, value_enum)]
    pub auth: Option<AuthChoice>,

    /// The directory: tenant id (GUID) or a verified domain
    /// (contoso.onmicrosoft.com). Also read from AZURE_TENANT_ID.
    #[arg(long)]
    pub tenant: Option<String>,

    /// The client id (appId) of the identity that signs in: with a secret or
    /// a federated token, the pipeline's app (also read from AZURE_CLIENT_ID);
    /// with --auth device-code or browser, a public client of your
    /// organisation's (also read from AAD_SETUP_PUBLIC_CLIENT_ID). Never the app this tool creates.
    #[arg(long, value_name = "GUID")]
    pub client_id: Option<String>,

    /// A file holding the client secret of --client-id (`-` for stdin).
    /// Without it, AZURE_CLIENT_SECRET is used.
    #[arg(long, value_name = "PATH")]
    pub client_secret_file: Option<PathBuf>,

    /// A file holding a Microsoft Graph access token (`-` for stdin), for
    /// `--auth token`.
    #[arg(long, value_name = "PATH")]
    pub graph_token_file: Option<PathBuf>,

    /// The Microsoft cloud: sets the sign-in and Graph hosts, the token's
    /// scope and the GitHub OIDC audience. Default: the cloud whose sign-in
    /// host AZURE_AUTHORITY_HOST names, else public.
    #[arg(long, value_enum)]
    pub cloud: Option<CloudChoice>,

    /// Override the sign-in host (https; http only on loopback). Also read
    /// from AZURE_AUTHORITY_HOST.
    #[arg(long, value_name = "URL")]
    pub login_url: Option<String>,

    /// Override the Microsoft Graph host (https; http only on loopback).
    #[arg(long, value_name = "URL")]
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
    /// login.microsoftonline.us, dod-graph.microsoft.us (DoD)
    UsgovDod,
    /// login.chinacloudapi.cn, microsoftgraph.chinacloudapi.cn (21Vianet)
    China,
}

/// The workflow platform: where it is and which connection.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Workflow platform")]
pub struct ConnectionArgs {
    /// The platform's API base.
    #[arg(long, value_name = "URL")]
    pub platform_url: Option<String>,

    /// The platform access token: a file path, or a token name under
    /// ~/.catalytic/tokens/ (`-` for stdin). Without it: CATALYTIC_TOKEN,
    /// then ~/.catalytic/tokens/default.
    #[arg(long, value_name = "PATH|NAME")]
    pub platform_token_file: Option<String>,

    /// The integration to connect: its name or id on the platform.
    #[arg(long, value_name = "NAME|ID")]
    pub integration: Option<String>,

    /// The name of the connection to create (and to find on re-runs).
    #[arg(long, value_name = "NAME")]
    pub connection_name: Option<String>,
}

/// The workflow platform, and what the connection is given.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Workflow platform")]
pub struct PlatformArgs {
    #[command(flatten)]
    pub target: ConnectionArgs,

    /// The Resource value for the platform (the v1 token endpoint's
    /// `resource`). Default: the chosen API's URI, https://graph.microsoft.com
    /// for Microsoft Graph.
    #[arg(long, value_name = "URI")]
    pub resource: Option<String>,

    /// Map a value onto a connection field whose name the tool cannot guess:
    /// VALUE=FIELD, VALUE one of clientId, clientSecret, resource, tenant;
    /// FIELD the field's referenceName or name. Repeatable.
    #[arg(long = "field", value_name = "VALUE=FIELD", value_delimiter = ',')]
    pub fields: Vec<String>,
}

/// The app registration.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "App registration")]
pub struct AppArgs {
    /// The app's display name (portal: App registrations > New registration > Name).
    #[arg(long, value_name = "NAME")]
    pub app_name: Option<String>,

    /// The Web redirect URI (portal: Redirect URI, type Web).
    #[arg(long, value_name = "URL")]
    pub redirect_uri: Option<String>,

    /// The API whose permission the app gets: a name ("Microsoft Graph",
    /// "Dynamics CRM") or its appId. The guide's "Dynamics" no longer offers
    /// Directory.ReadWrite.All; Microsoft Graph does.
    #[arg(long, value_name = "NAME|APPID")]
    pub api: Option<String>,

    /// The delegated permission (portal: API permissions > Delegated).
    #[arg(long, value_name = "NAME")]
    pub permission: Option<String>,

    /// Use this existing app (its Application (client) ID or Object ID), even
    /// if this tool did not create it.
    #[arg(long, value_name = "GUID")]
    pub app_id: Option<String>,

    /// Take over an existing app of the same name that this tool did not
    /// create (it is tagged and reconciled).
    #[arg(long)]
    pub adopt: bool,
}

/// The client secret.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Client secret")]
pub struct SecretArgs {
    /// The secret's description (portal: Certificates & secrets > Description).
    #[arg(long, value_name = "TEXT")]
    pub secret_description: Option<String>,

    /// When the secret expires: a duration (24 months, 18mo, 1y, P2Y, 90d), a
    /// date (2027-11-29), or `never` (99 years; the portal removed it, tenant
    /// policies may refuse it).
    #[arg(long, value_name = "WHEN")]
    pub secret_expiry: Option<String>,

    /// Print the new secret in the result (stdout). Off by default.
    #[arg(long)]
    pub show_secret: bool,

    /// Also write the new secret to this file, created with mode 0600 (it
    /// must not exist).
    #[arg(long, value_name = "PATH")]
    pub secret_file: Option<PathBuf>,

    /// Create a new secret and replace the connection even if the existing
    /// ones work.
    #[arg(long)]
    pub rotate: bool,

    /// If the platform step fails after the secret exists, keep the secret
    /// and write it to a 0600 file (path printed) instead of removing it.
    #[arg(long)]
    pub keep_secret_on_failure: bool,
}

/// What a change may sweep, and whether it is only a look: `setup`,
/// `register` and `rotate`.
#[derive(Debug, Args, Clone, Default)]
pub struct ChangeArgs {
    /// A run that left a secret in flight and is known to be gone (a
    /// cancelled job, a killed process): its id, as a run that found it
    /// said. What it added and no one holds is removed now rather than when
    /// its lease ends. Repeatable.
    #[arg(long, value_name = "RUN", help_heading = "Client secret")]
    pub reclaim: Vec<String>,

    /// Sign in and read, then print every change the run would make, and
    /// change nothing.
    #[arg(long, help_heading = "Output and input")]
    pub dry_run: bool,
}

/// The local record: every command that keeps one.
#[derive(Debug, Args, Clone, Default)]
pub struct StateArgs {
    /// Where the local record of what was created lives (no secrets in it).
    /// Default: the user's state directory.
    #[arg(long, value_name = "DIR", hide = true)]
    pub state_dir: Option<PathBuf>,
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
    #[arg(long, help_heading = "App registration")]
    pub admin_consent: bool,

    /// Take over a platform connection of this name that nothing says this
    /// tool made (no tag on the app, no local record): it is replaced.
    #[arg(long, help_heading = "Workflow platform")]
    pub replace: bool,

    #[command(flatten)]
    pub change: ChangeArgs,

    /// The wizard explains each step and says where it lives in the Azure
    /// portal and on the platform (by default it shows only the questions).
    #[arg(long, help_heading = "Output and input")]
    pub explain: bool,

    #[command(flatten)]
    pub state: StateArgs,

    #[command(flatten)]
    pub fleet: FleetArgs,

    /// After a setup, add this target (or update it) in the fleet file at
    /// PATH, so that `setup --file PATH` repeats it without questions.
    /// Secrets are named there, never written.
    #[arg(
        long,
        value_name = "PATH",
        help_heading = "Many targets",
        conflicts_with = "file"
    )]
    pub save: Option<PathBuf>,
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
    #[arg(long, value_name = "TEXT", help_heading = "Checks")]
    pub secret_description: Option<String>,

    /// Report the secret as needing rotation when it expires within this
    /// long (30d, 2 weeks, 3mo).
    #[arg(long, value_name = "DURATION", help_heading = "Checks")]
    pub warn_within: Option<String>,

    /// The same window as `rotate --if-expiring-within`: the secret needs
    /// attention when it expires within this long (wins over --warn-within).
    #[arg(long, value_name = "DURATION", help_heading = "Checks")]
    pub if_expiring_within: Option<String>,

    #[command(flatten)]
    pub state: StateArgs,

    #[command(flatten)]
    pub fleet: FleetArgs,
}

#[derive(Debug, Args, Clone)]
pub struct RemoveArgs {
    #[command(flatten)]
    pub microsoft: MicrosoftArgs,
    #[command(flatten)]
    pub platform: ConnectionArgs,

    /// The app's display name: the app to find.
    #[arg(long, value_name = "NAME", help_heading = "App registration")]
    pub app_name: Option<String>,

    /// The app by its Application (client) ID or Object ID.
    #[arg(long, value_name = "GUID", help_heading = "App registration")]
    pub app_id: Option<String>,

    /// Delete the app registration only: the platform is not checked or
    /// changed (for an app made by `register`, or without a platform token).
    #[arg(long, help_heading = "Removal")]
    pub azure_only: bool,

    /// Confirm the removal (required: it deletes the app registration).
    #[arg(long, help_heading = "Removal")]
    pub yes: bool,

    /// List what would be removed, remove nothing.
    #[arg(long, help_heading = "Removal")]
    pub dry_run: bool,

    /// Also delete a platform connection of this name that nothing says
    /// this tool made (no tag on the app, no local record).
    #[arg(long, help_heading = "Removal")]
    pub replace: bool,

    #[command(flatten)]
    pub state: StateArgs,

    #[command(flatten)]
    pub fleet: FleetArgs,
}

/// `aad-setup register`: the Azure half.
#[derive(Debug, Args, Clone)]
pub struct RegisterArgs {
    #[command(flatten)]
    pub microsoft: MicrosoftArgs,
    #[command(flatten)]
    pub app: AppArgs,

    /// The secret's description (portal: Certificates & secrets > Description).
    #[arg(long, value_name = "TEXT", help_heading = "Client secret")]
    pub secret_description: Option<String>,

    /// When the secret expires: a duration (24 months, 18mo, 1y, P2Y, 90d), a
    /// date (2027-11-29), or `never` (99 years; the portal removed it, tenant
    /// policies may refuse it).
    #[arg(long, value_name = "WHEN", help_heading = "Client secret")]
    pub secret_expiry: Option<String>,

    /// Write the new secret to this file, created with mode 0600 (it must
    /// not exist). This or --show-secret is required: the secret's value is
    /// shown once, when it is created.
    #[arg(long, value_name = "PATH", help_heading = "Client secret")]
    pub secret_file: Option<PathBuf>,

    /// Print the new secret in the result (stdout; with --output json, as
    /// `secret.value`).
    #[arg(long, help_heading = "Client secret")]
    pub show_secret: bool,

    /// Add a new secret even if the app has an unexpired one of this
    /// description (without it, such a secret makes the run stop: its value
    /// cannot be read back to hand on). The older secrets are kept, as
    /// something may hold them: remove those no one uses in the portal.
    #[arg(long, help_heading = "Client secret")]
    pub new_secret: bool,

    /// The Resource value to hand on with the credentials. Default: the
    /// chosen API's URI, https://graph.microsoft.com for Microsoft Graph.
    #[arg(long, value_name = "URI", help_heading = "App registration")]
    pub resource: Option<String>,

    /// Also grant tenant-wide admin consent for the permission (portal: API
    /// permissions > Grant admin consent). Needs
    /// DelegatedPermissionGrant.ReadWrite.All.
    #[arg(long, help_heading = "App registration")]
    pub admin_consent: bool,

    #[command(flatten)]
    pub change: ChangeArgs,

    #[command(flatten)]
    pub state: StateArgs,
}

/// `aad-setup rotate`: a new secret for an existing setup.
#[derive(Debug, Args, Clone)]
pub struct RotateArgs {
    #[command(flatten)]
    pub microsoft: MicrosoftArgs,
    #[command(flatten)]
    pub platform: PlatformArgs,

    /// The app's display name: the app to find.
    #[arg(long, value_name = "NAME", help_heading = "App registration")]
    pub app_name: Option<String>,

    /// The app by its Application (client) ID or Object ID, even if this
    /// tool did not create it.
    #[arg(long, value_name = "GUID", help_heading = "App registration")]
    pub app_id: Option<String>,

    /// The secret's description: the old secret has it, the new one gets it.
    #[arg(long, value_name = "TEXT", help_heading = "Client secret")]
    pub secret_description: Option<String>,

    /// When the new secret expires (24 months, 18mo, 1y, P2Y, 90d, a date,
    /// or `never`).
    #[arg(long, value_name = "WHEN", help_heading = "Client secret")]
    pub secret_expiry: Option<String>,

    /// Print the new secret in the result (stdout). Off by default.
    #[arg(long, help_heading = "Client secret")]
    pub show_secret: bool,

    /// Also write the new secret to this file, created with mode 0600 (it
    /// must not exist).
    #[arg(long, value_name = "PATH", help_heading = "Client secret")]
    pub secret_file: Option<PathBuf>,

    /// If the platform refuses the new connection, keep the new secret and
    /// write it to a 0600 file (path printed) instead of removing it. The
    /// old secret and connection are untouched either way.
    #[arg(long, help_heading = "Client secret")]
    pub keep_secret_on_failure: bool,

    /// Rotate only when the secret the connection holds expires within this
    /// long (30d, 2 weeks, 3mo); otherwise change nothing and exit 0. Safe
    /// to run daily.
    #[arg(long, value_name = "DURATION", help_heading = "Renewal")]
    pub if_expiring_within: Option<String>,

    /// Leave the previous connection and its secret working beside the new
    /// ones until `rotate --finish` (or until the previous secret expires):
    /// nothing breaks while the platform admin connects the new connection.
    /// Exit 6 until finished.
    #[arg(long, help_heading = "Renewal")]
    pub keep_previous: bool,

    /// Finish a rotation made with --keep-previous: delete the previous
    /// connection and remove its secret (only those this tool recorded).
    #[arg(long, help_heading = "Renewal", conflicts_with_all = ["keep_previous", "if_expiring_within"])]
    pub finish: bool,

    /// Take over a platform connection of this name that nothing says this
    /// tool made (no tag on the app, no local record): it is replaced.
    #[arg(long, help_heading = "Workflow platform")]
    pub replace: bool,

    #[command(flatten)]
    pub change: ChangeArgs,

    #[command(flatten)]
    pub state: StateArgs,

    #[command(flatten)]
    pub fleet: FleetArgs,
}

/// `aad-setup connect`: the platform half, from an app registered elsewhere.
#[derive(Debug, Args, Clone)]
pub struct ConnectArgs {
    /// The app's Application (client) ID (portal: App registrations > the
    /// app > Overview). Not AZURE_CLIENT_ID: that names who signs in.
    #[arg(long, value_name = "GUID")]
    pub client_id: Option<String>,

    /// The app's Directory (tenant) ID, or a verified domain (portal: the
    /// app's Overview). Also read from AZURE_TENANT_ID.
    #[arg(long, value_name = "GUID")]
    pub tenant: Option<String>,

    /// A file holding the app's client secret: its Value, not its Secret ID
    /// (`-` for stdin). Without it, AAD_SETUP_APP_CLIENT_SECRET.
    #[arg(long, value_name = "PATH")]
    pub app_secret_file: Option<PathBuf>,

    /// Replace a connection of the same name: the new one is created and
    /// checked first, then the old one is deleted.
    #[arg(long)]
    pub replace: bool,

    /// Check the secret and the platform, print what would be done, and
    /// change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// The Microsoft cloud: where the secret is checked, and the default
    /// Resource (its Microsoft Graph host). Default: the cloud whose sign-in
    /// host AZURE_AUTHORITY_HOST names, else public.
    #[arg(long, value_enum, help_heading = "Microsoft sign-in")]
    pub cloud: Option<CloudChoice>,

    /// Override the sign-in host (https; http only on loopback). Also read
    /// from AZURE_AUTHORITY_HOST.
    #[arg(long, value_name = "URL", help_heading = "Microsoft sign-in")]
    pub login_url: Option<String>,

    #[command(flatten)]
    pub platform: PlatformArgs,
}

/// `aad-setup platform-login`: the platform's access-token approval flow.
#[derive(Debug, Args, Clone)]
pub struct PlatformLoginArgs {
    /// Your team: its name (acme) or its address (acme.pushbot.com). On a
    /// terminal it is asked for when missing.
    #[arg(long, value_name = "TEAM")]
    pub team: Option<String>,

    /// Save the token as ~/.catalytic/tokens/NAME. `default` is the one the
    /// platform's SDKs and aad-setup use unasked; another name is used with
    /// --platform-token-file NAME.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// How long to wait for the approval, in seconds.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub wait: Option<u64>,

    /// The platform's API base.
    #[arg(long, value_name = "URL")]
    pub platform_url: Option<String>,
}

/// `aad-setup completions SHELL`.
#[derive(Debug, Args, Clone)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[cfg(feature = "emulator")]
#[derive(Debug, Args, Clone)]
pub struct DemoArgs {
    /// Turn off the emulator's replication delay and throttling (on by
    /// default, so the demo shows the retries a real tenant needs).
    #[arg(long)]
    pub no_faults: bool,

    /// Print the demo's secret (it is the emulator's, not a real one).
    #[arg(long)]
    pub show_secret: bool,

    /// Many targets: a fleet file of 3 tenants × 4 platform teams against
    /// the emulator, its plan, the apply and the drift check.
    #[arg(long)]
    pub fleet: bool,
}

#[cfg(feature = "emulator")]
#[derive(Debug, Args, Clone)]
pub struct EmulatorArgs {
    /// The port on 127.0.0.1 (0 picks a free one).
    #[arg(long)]
    pub port: Option<u16>,

    /// A JSON file with the emulator's configuration (tenant, replication,
    /// throttling, faults, the platform's integration fields).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Replication delay and throttling as in `demo`.
    #[arg(long)]
    pub faults: bool,
}
