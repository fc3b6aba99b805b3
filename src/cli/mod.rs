//! The command line, as clap sees it: definitions only, no behaviour.
//!
//! Everything here is "what was typed": a flag not typed is `None` (or
//! `false`), never its variable's value or its default. [`crate::settings`]
//! fills those in (flag > variable > default) from the captured environment
//! and the [`Flag`] table, checks them, and notes where each came from.
//! Clap's own `env = …` is not used: it would read the process environment
//! itself, at parse time, so the resolution could not be a pure function of
//! (arguments, environment) with its own tests, nor tell the wizard where a
//! value came from without going back to clap. The help still shows each
//! flag's variable and default: [`command`] writes them in from the same
//! table settings reads ([`Flag`]).
//!
//! The definitions are in [`args`]: one struct per command, made of the
//! groups several commands share, each declared once and flattened in.
//!
//! No flag takes a secret as its value: argv is visible to every local
//! user. Secrets come from the environment, a file (`-` for stdin), or a
//! hidden prompt.

mod args;
mod flag;

use clap::parser::ValueSource;
use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};

pub use self::args::{
    AppArgs, AuthChoice, ChangeArgs, CloudChoice, CompletionsArgs, ConnectArgs, ConnectionArgs,
    FleetArgs, GlobalArgs, MatrixArgs, MicrosoftArgs, PlatformArgs, PlatformLoginArgs,
    RegisterArgs, RemoveArgs, RotateArgs, SchemaArgs, SecretArgs, SetupArgs, StateArgs, StatusArgs,
};
#[cfg(feature = "emulator")]
pub use self::args::{DemoArgs, EmulatorArgs};
pub use self::flag::DEFAULT_PLATFORM_URL;
pub(crate) use self::flag::{Cmd, Flag};

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
/// shown in its help (from the [`Flag`] table: settings reads the same),
/// and the root's setup flags kept out of `-h`.
pub fn command() -> clap::Command {
    // The root takes setup's flags.
    let root = document(Cli::command(), Cmd::Setup);
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
        root.mut_subcommand(&name, |sub| sub.defer(document_subcommand))
    })
}

/// A command's flags documented when clap builds it (to parse into it, for
/// its help, the completions or the manual), not on every run: a run parses
/// one command, and documenting them all was some 200 look-ups in the table
/// before anything else. The options every command takes come documented
/// from the root: clap copies them in before this runs.
fn document_subcommand(sub: clap::Command) -> clap::Command {
    match Cmd::named(sub.get_name()) {
        Some(command) => sub.mut_args(|arg| {
            if arg.is_global_set() {
                arg
            } else {
                document_arg(arg, command)
            }
        }),
        None => sub,
    }
}

/// Appends `[env: VAR]` and `[default: X]` to each flag's help.
fn document(cmd: clap::Command, command: Cmd) -> clap::Command {
    cmd.mut_args(|arg| document_arg(arg, command))
}

/// Appends `[env: VAR]` and `[default: X]` to the help of `command`'s flag.
fn document_arg(arg: clap::Arg, command: Cmd) -> clap::Arg {
    let Some(flag) = arg.get_long().and_then(|long| Flag::find(command, long)) else {
        return arg;
    };
    let mut notes = Vec::new();
    if let Some(var) = flag.variable() {
        notes.push(format!("[env: {var}]"));
    }
    if let Some(default) = flag.default() {
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
}

/// The long flags `command` takes (`*`: the options every command takes),
/// from the [`Flag`] table.
pub(crate) fn flags_of(command: &str) -> std::collections::BTreeSet<String> {
    let command = Cmd::named(command);
    Flag::ALL
        .iter()
        .filter(|flag| match command {
            Some(command) => flag.on(command),
            None => flag.on_every_command(),
        })
        .map(|flag| flag.name().to_owned())
        .collect()
}

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

/// Parses a command line. Options every command takes (`-v`, `-o`,
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
        if cli.setup.change.dry_run {
            let taken = match &mut cli.command {
                Some(Command::Setup(a)) => Some(&mut a.change.dry_run),
                Some(Command::Register(a)) => Some(&mut a.change.dry_run),
                Some(Command::Rotate(a)) => Some(&mut a.change.dry_run),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        command().debug_assert();
    }
}
