//! The command line, as clap sees it: definitions only, no behaviour.
//!
//! Everything here is "what was typed": a flag not typed is `None` (or
//! `false`), never its variable's value or its default. [`crate::settings`]
//! fills those in (flag > variable > default) from the captured environment
//! and the [`DEFAULTS`] table, checks them, and notes where each came from.
//! Clap's own `env = …` is not used: it would read the process environment
//! itself, at parse time, so the resolution could not be a pure function of
//! (arguments, environment) with its own tests, nor tell the wizard where a
//! value came from without going back to clap. The help still shows each
//! flag's variable and default: [`command`] writes them in from the same
//! tables settings reads ([`env::FLAGS`], [`DEFAULTS`]).
//!
//! No flag takes a secret as its value: argv is visible to every local
//! user. Secrets come from the environment, a file (`-` for stdin), or a
//! hidden prompt.

use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{Args, CommandFactory as _, FromArgMatches as _, Parser, Subcommand, ValueEnum};

use crate::env;
use crate::guide;
use crate::output::OutputFormat;

/// `aad-setup -h`: what it does, the commands, three examples, where to
/// start. `--help` adds every setup flag and the exit codes.
const AFTER_HELP: &str = "\
Examples:
  aad-setup                   # at a terminal: the wizard walks you through the guide
  aad-setup --no-input        # in a pipeline: AZURE_TENANT_ID, AZURE_CLIENT_ID,
                              #   AZURE_CLIENT_SECRET and CATALYTIC_TOKEN say the rest
  aad-setup rotate --dry-run  # what replacing the client secret would change

Start with `aad-setup demo` (the built-in emulator: no tenant, no platform account),
then run `aad-setup` at a terminal. `aad-setup <command> -h` shows a command's flags;
`--help` the long form.";

const AFTER_LONG_HELP: &str = "\
Without a command, `aad-setup` runs `setup`. On a terminal it walks you
through the guide (the wizard): it asks only for what it cannot find, shows
the plan, and changes nothing until you confirm. With --no-input, without a
terminal, or with CI=true it never asks.

Examples:
  aad-setup
  aad-setup --no-input --tenant contoso.onmicrosoft.com --auth client-secret
  aad-setup rotate --dry-run
  aad-setup status -o json

Try it first against the built-in emulator (no tenant, no platform account):
  aad-setup demo

Shell completions and the manual: `aad-setup completions bash`, `aad-setup man`.

Exit codes: 0 done, 1 failed, 2 usage or bad input (nothing changed),
3 sign-in failed, 4 insufficient privileges, 5 partial (Azure done, platform not),
130 interrupted.";

/// Connects the workflow platform (PagerDuty Workflow Automation, formerly
/// Catalytic) to Microsoft Entra ID: registers the app through Microsoft Graph
/// and creates the platform's Azure Active Directory connection.
#[derive(Debug, Parser)]
#[command(
    name = "aad-setup",
    version,
    long_version = LONG_VERSION,
    about = "Connects the workflow platform (PagerDuty Workflow Automation) to Microsoft Entra ID.",
    after_help = AFTER_HELP,
    after_long_help = AFTER_LONG_HELP,
    subcommand_help_heading = "Commands",
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// `aad-setup` alone is `aad-setup setup`: its flags are accepted here
    /// too (and shown by `--help`, not `-h`).
    #[command(flatten)]
    pub setup: SetupArgs,

    #[command(flatten)]
    pub global: GlobalArgs,

    /// The command line as typed (for a fleet file's runs: what they pass on).
    #[arg(skip)]
    pub typed: Vec<std::ffi::OsString>,
}

/// `--version`: the version, the commit it was built from and when
/// (build.rs; `unknown` from a tarball without git).
const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "\ncommit: ",
    env!("AAD_SETUP_BUILD_COMMIT"),
    "\nbuilt: ",
    env!("AAD_SETUP_BUILD_DATE"),
);

/// The command line's definition, with each flag's variable and default
/// shown in its help (from [`env::FLAGS`] and [`DEFAULTS`]: settings reads
/// the same tables), and the root's setup flags kept out of `-h`.
pub fn command() -> clap::Command {
    let root = document(Cli::command(), "*");
    let root = root.mut_args(|arg| {
        if arg.is_global_set() {
            arg
        } else {
            arg.hide_short_help(true)
        }
    });
    let names: Vec<String> = root
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect();
    names.into_iter().fold(root, |root, name| {
        root.mut_subcommand(&name, |sub| document(sub, &name))
    })
}

/// Appends `[env: VAR]` and `[default: X]` to each flag's help.
fn document(cmd: clap::Command, name: &str) -> clap::Command {
    cmd.mut_args(|arg| {
        let Some(long) = arg.get_long().map(str::to_owned) else {
            return arg;
        };
        let mut notes = Vec::new();
        if let Some(var) = env::for_flag(name, &long) {
            notes.push(format!("[env: {var}]"));
        }
        if let Some(default) = default_for(name, &long) {
            notes.push(format!("[default: {default}]"));
        }
        if notes.is_empty() {
            return arg;
        }
        let notes = notes.join(" ");
        let help = arg.get_help().map(|h| format!("{h} {notes}"));
        let long_help = arg.get_long_help().map(|h| format!("{h}\n\n{notes}"));
        let arg = match help {
            Some(help) => arg.help(help),
            None => arg,
        };
        match long_help {
            Some(long_help) => arg.long_help(long_help),
            None => arg,
        }
    })
}

/// The long flags `command` takes (`*`: the options every command takes).
pub(crate) fn flags_of(command: &str) -> std::collections::BTreeSet<String> {
    let root = Cli::command();
    let cmd = match command {
        "*" => None,
        name => root.find_subcommand(name),
    };
    let mut args: Vec<&clap::Arg> = root.get_arguments().filter(|a| a.is_global_set()).collect();
    if let Some(cmd) = cmd {
        args.extend(cmd.get_arguments());
    }
    args.into_iter()
        .filter_map(|a| a.get_long().map(str::to_owned))
        .collect()
}

/// Each flag's default where it has one: `(command, --flag, default)`, the
/// command `*` for every command that has the flag. Settings fills a flag
/// that neither the command line nor its variable gave from here.
pub(crate) const DEFAULTS: &[(&str, &str, &str)] = &[
    ("*", "output", "human"),
    ("*", "auth", "auto"),
    ("*", "cloud", "public"),
    ("*", "platform-url", DEFAULT_PLATFORM_URL),
    ("*", "integration", guide::INTEGRATION),
    ("*", "connection-name", guide::CONNECTION_NAME),
    ("*", "app-name", guide::APP_NAME),
    ("*", "redirect-uri", guide::REDIRECT_URI),
    ("*", "api", guide::API),
    ("*", "permission", guide::PERMISSION),
    ("*", "secret-description", guide::SECRET_DESCRIPTION),
    ("*", "secret-expiry", guide::SECRET_EXPIRY),
    ("*", "warn-within", "30d"),
    ("platform-login", "name", "default"),
    ("*", "wait", "300"),
    ("*", "port", "0"),
];

/// The default of `--flag` of `command`, if it has one.
pub(crate) fn default_for(command: &str, flag: &str) -> Option<&'static str> {
    DEFAULTS
        .iter()
        .find(|(c, f, _)| (*c == command || *c == "*") && *f == flag)
        .map(|(_, _, d)| *d)
}

/// Parses a command line. Options every command takes (`-v`, `-o`,
/// Whether a command line clap could not parse asks for `--output json`
/// (`-o json`, `-ojson`, `--output json`, `--output=json`, the last one
/// given wins); `None` when it gives no output format.
pub fn asks_for_json(args: &[std::ffi::OsString]) -> Option<bool> {
    let args: Vec<String> = args
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .take_while(|a| a != "--")
        .collect();
    let mut format = None;
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        let value = if arg == "-o" || arg == "--output" {
            i += 1;
            args.get(i).cloned()
        } else if let Some(v) = arg.strip_prefix("--output=") {
            Some(v.to_owned())
        } else {
            arg.strip_prefix("-o")
                .filter(|_| !arg.starts_with("--"))
                .map(|v| v.trim_start_matches('=').to_owned())
        };
        if let Some(value) = value {
            format = Some(value.trim().eq_ignore_ascii_case("json"));
        }
        i += 1;
    }
    format
}

/// `--no-input`) go before or after the command; so does `--dry-run` for a
/// command that has it. Setup's other flags before another command are
/// refused rather than ignored.
pub fn parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let mut cmd = command();
    let typed: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    let matches = cmd.try_get_matches_from_mut(typed.clone())?;
    let mut cli = Cli::from_arg_matches(&matches)?;
    cli.typed = typed;
    if let Some((name, _)) = matches.subcommand() {
        let before: Vec<String> = matches
            .ids()
            .filter(|id| matches.value_source(id.as_str()) == Some(ValueSource::CommandLine))
            .filter_map(|id| cmd.get_arguments().find(|a| a.get_id() == id))
            .filter(|arg| !arg.is_global_set() && arg.get_id() != "dry_run")
            .filter_map(|arg| arg.get_long().map(|l| format!("--{l}")))
            .collect();
        if let Some(flag) = before.first() {
            return Err(cmd.error(
                clap::error::ErrorKind::ArgumentConflict,
                format!(
                    "{flag} is a setup flag; give it after the command: `aad-setup {name} {flag} …`"
                ),
            ));
        }
        if cli.setup.dry_run {
            let taken = match &mut cli.command {
                Some(Command::Setup(a)) => Some(&mut a.dry_run),
                Some(Command::Register(a)) => Some(&mut a.dry_run),
                Some(Command::Rotate(a)) => Some(&mut a.dry_run),
                Some(Command::Remove(a)) => Some(&mut a.dry_run),
                Some(Command::Connect(a)) => Some(&mut a.dry_run),
                _ => None,
            };
            match taken {
                Some(dry_run) => *dry_run = true,
                None => {
                    return Err(cmd.error(
                        clap::error::ErrorKind::ArgumentConflict,
                        format!("`aad-setup {name}` has no --dry-run"),
                    ));
                }
            }
        }
    }
    Ok(cli)
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole guide (the default command).
    ///
    /// Register the app, add the permission and a secret, create the
    /// platform connection, verify. On a terminal, asks for what it needs
    /// and confirms the plan first.
    #[command(after_help = "Examples:
  aad-setup setup                  # at a terminal: the wizard
  aad-setup setup --dry-run        # the plan, nothing changed
  aad-setup setup --no-input --tenant contoso.onmicrosoft.com --auth client-secret")]
    Setup(Box<SetupArgs>),
    /// The Azure half only: the app, its permission and a new secret.
    ///
    /// Register the app with its permission and a new client secret, verify
    /// the secret signs in, and hand the credentials on (--secret-file, or
    /// --show-secret / --output json) for `connect` or for someone who sets
    /// up the platform by hand.
    #[command(after_help = "Examples:
  aad-setup register --secret-file ./aad-secret
  aad-setup register --show-secret -o json > credentials.json")]
    Register(Box<RegisterArgs>),
    /// The platform half only: the connection for an app made elsewhere.
    ///
    /// Create the connection for an app registered elsewhere (in the Azure
    /// portal, say) from its Client ID, Tenant ID and client secret, after
    /// checking that the secret signs in.
    #[command(after_help = "Example:
  AAD_SETUP_APP_CLIENT_SECRET=… aad-setup connect --client-id GUID --tenant GUID")]
    Connect(Box<ConnectArgs>),
    /// Replace the client secret, and the connection that holds it.
    ///
    /// A new secret, the platform connection replaced with one that holds
    /// it, verified, then the old secret removed. Needs an existing app
    /// registration; never creates one.
    #[command(after_help = "Examples:
  aad-setup rotate --dry-run
  aad-setup rotate --secret-expiry 12mo
  aad-setup rotate --if-expiring-within 30d --keep-previous   # daily, in a pipeline
  aad-setup rotate --finish   # once the platform admin has connected the new one")]
    Rotate(Box<RotateArgs>),
    /// Check an existing setup (read-only).
    ///
    /// The app, its redirect URI and permission, the service principal,
    /// consent, the secret's expiry, the platform connection. Read-only;
    /// exit 6 when something needs attention.
    #[command(after_help = "Examples:
  aad-setup status
  aad-setup status --warn-within 60d -o json")]
    Status(Box<StatusArgs>),
    /// Delete the connection and the app registration this tool made.
    ///
    /// Asks first at a terminal; --yes elsewhere. Only an app this tool
    /// made, or the one named with --app-id, is deleted.
    #[command(after_help = "Examples:
  aad-setup remove --dry-run
  aad-setup remove --yes --azure-only")]
    Remove(Box<RemoveArgs>),
    /// Get a platform access token, approved in your browser.
    ///
    /// Saves it where the platform's SDKs look (~/.catalytic/tokens/NAME,
    /// mode 0600, never over an existing file). Prints the file's path.
    #[command(after_help = "Example:
  aad-setup platform-login --team acme")]
    PlatformLogin(PlatformLoginArgs),
    /// Print a fleet file's targets as a GitHub Actions matrix.
    ///
    /// `{"include":[{"target":"NAME"},…]}` on stdout, for a workflow that
    /// runs one job per target with `--target ${{ matrix.target }}`.
    #[command(after_help = "Example:
  aad-setup matrix --file aad-setup.toml")]
    Matrix(MatrixArgs),
    /// Print the JSON Schema of a command's `--output json` document.
    ///
    /// Draft 2020-12. The documents: `run` (setup, register, rotate,
    /// connect), `status`, `remove`, `platform-login`, `error`, `emulator`,
    /// `fleet` (a command over a fleet file), `matrix`; and `file`, the
    /// fleet file itself.
    #[command(after_help = "Example:
  aad-setup schema status > status.schema.json")]
    Schema(SchemaArgs),
    /// Print a shell's completion script on stdout.
    ///
    /// For bash, zsh, fish, PowerShell or elvish.
    #[command(after_help = "Examples:
  aad-setup completions bash > ~/.local/share/bash-completion/completions/aad-setup
  aad-setup completions zsh > ~/.zfunc/_aad-setup")]
    Completions(CompletionsArgs),
    /// Print the manual page (roff) on stdout.
    #[command(after_help = "Example:
  aad-setup man > ~/.local/share/man/man1/aad-setup.1")]
    Man,
    /// The whole setup against the built-in emulator.
    ///
    /// No Azure tenant or platform account needed.
    #[cfg(feature = "emulator")]
    #[command(after_help = "Example:\n  aad-setup demo --no-faults")]
    Demo(DemoArgs),
    /// Run the built-in emulator (Entra, Graph, the platform) on a port.
    ///
    /// For pipelines and development.
    #[cfg(feature = "emulator")]
    #[command(after_help = "Example:\n  aad-setup emulator --port 8400")]
    Emulator(EmulatorArgs),
}

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

/// The platform's public API (docs/platform.md §1).
pub const DEFAULT_PLATFORM_URL: &str = "https://sdk.catalytic.com/v2.0.0";

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

    /// The wizard explains each step and says where it lives in the Azure
    /// portal and on the platform (by default it shows only the questions).
    #[arg(long, help_heading = "Output and input")]
    pub explain: bool,

    /// Where the local record of what was created lives (no secrets in it).
    /// Default: the user's state directory.
    #[arg(long, value_name = "DIR", hide = true)]
    pub state_dir: Option<PathBuf>,

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

    #[arg(long, value_name = "DIR", hide = true)]
    pub state_dir: Option<PathBuf>,

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

    #[arg(long, value_name = "DIR", hide = true)]
    pub state_dir: Option<PathBuf>,

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

    #[arg(long, value_name = "DIR", hide = true)]
    pub state_dir: Option<PathBuf>,
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

    #[arg(long, value_name = "DIR", hide = true)]
    pub state_dir: Option<PathBuf>,

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn every_flag_with_a_variable_or_default_exists() {
        let cmd = command();
        let mut longs = std::collections::BTreeSet::new();
        for c in std::iter::once(&cmd).chain(cmd.get_subcommands()) {
            for a in c.get_arguments() {
                if let Some(l) = a.get_long() {
                    longs.insert(l.to_owned());
                }
            }
        }
        for (_, flag, _) in env::FLAGS.iter().chain(DEFAULTS) {
            assert!(
                longs.contains(*flag),
                "--{flag} is in a table but not a flag"
            );
        }
    }
}
