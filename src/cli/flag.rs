//! Every long flag of the command line, in one table: its name, the
//! variable that stands in for it, its default, and which commands take it.
//!
//! Settings resolves a flag (flag > variable > default) from this table,
//! the help writes `[env: …] [default: …]` beside each flag from it, the
//! wizard says where a value came from by [`Flag`], and a message names a
//! flag through it: a flag is a variant, not a string, so a misspelt one
//! does not compile. What each flag means is said once, in its clap
//! definition ([`super::args`]); the tests below keep the two in step (every
//! flag clap has is a row here, on exactly the commands that take it).

use crate::env;
use crate::guide;

/// The platform's public API (docs/platform.md §1).
pub const DEFAULT_PLATFORM_URL: &str = "https://sdk.catalytic.com/v2.0.0";

/// A command, as the table names it. `aad-setup` without a command is
/// `setup`, and takes its flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Cmd {
    Setup,
    Register,
    Connect,
    Rotate,
    Status,
    Remove,
    PlatformLogin,
    Matrix,
    Schema,
    Completions,
    Man,
    Demo,
    Emulator,
}

impl Cmd {
    pub(crate) const ALL: [Cmd; 13] = [
        Cmd::Setup,
        Cmd::Register,
        Cmd::Connect,
        Cmd::Rotate,
        Cmd::Status,
        Cmd::Remove,
        Cmd::PlatformLogin,
        Cmd::Matrix,
        Cmd::Schema,
        Cmd::Completions,
        Cmd::Man,
        Cmd::Demo,
        Cmd::Emulator,
    ];

    /// The command's name as typed.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Cmd::Setup => "setup",
            Cmd::Register => "register",
            Cmd::Connect => "connect",
            Cmd::Rotate => "rotate",
            Cmd::Status => "status",
            Cmd::Remove => "remove",
            Cmd::PlatformLogin => "platform-login",
            Cmd::Matrix => "matrix",
            Cmd::Schema => "schema",
            Cmd::Completions => "completions",
            Cmd::Man => "man",
            Cmd::Demo => "demo",
            Cmd::Emulator => "emulator",
        }
    }

    /// The command of this name.
    pub(crate) fn named(name: &str) -> Option<Cmd> {
        Cmd::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// Which commands take a flag.
#[derive(Debug, Clone, Copy)]
enum On {
    /// Every command (the options that go before or after the command).
    Every,
    /// These commands only.
    Only(&'static [Cmd]),
}

// The commands of each shared clap group (`super::args`), so that a row
// says "the sign-in flags" as the definitions do.
use Cmd::{
    Connect, Demo, Emulator, Matrix, PlatformLogin, Register, Remove, Rotate, Setup, Status,
};
/// `MicrosoftArgs`: signing in to Microsoft.
const SIGN_IN: On = On::Only(&[Setup, Register, Rotate, Status, Remove]);
/// Where Microsoft is: the sign-in flags, and `connect`'s cloud.
const CLOUD: On = On::Only(&[Setup, Register, Rotate, Status, Remove, Connect]);
/// `ConnectionArgs`: the platform and the connection.
const CONNECTION: On = On::Only(&[Setup, Rotate, Status, Remove, Connect]);
/// `PlatformArgs`: what the connection is given.
const PLATFORM: On = On::Only(&[Setup, Rotate, Status, Connect]);
/// `AppArgs`: the app registration.
const APP: On = On::Only(&[Setup, Register, Status]);
/// The app to find: `AppArgs`, and `rotate` and `remove`'s own.
const FIND_APP: On = On::Only(&[Setup, Register, Status, Rotate, Remove]);
/// `ChangeArgs`: the commands that add a secret.
const CHANGE: On = On::Only(&[Setup, Register, Rotate]);
/// `StateArgs`: the commands that keep a local record.
const STATE: On = On::Only(&[Setup, Register, Rotate, Status, Remove]);
/// `FleetArgs`: the commands that run over a fleet file.
const FLEET: On = On::Only(&[Setup, Status, Rotate, Remove]);
/// The fleet file: `FleetArgs`, and `matrix`'s.
const FLEET_FILE: On = On::Only(&[Setup, Status, Rotate, Remove, Matrix]);

/// One row of the table.
struct Row {
    name: &'static str,
    variable: Option<&'static str>,
    default: Option<&'static str>,
    on: On,
}

/// The table: `Variant = "name", variable, default, commands;` makes the
/// [`Flag`] enum and its row.
macro_rules! flags {
    ($(
        $(#[doc = $doc:literal])*
        $flag:ident = $name:literal, $variable:expr, $default:expr, $on:expr;
    )*) => {
        /// A long flag (`--name`): see the table in this file.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub(crate) enum Flag {
            $( $(#[doc = $doc])* $flag, )*
        }

        /// The rows, in the enum's order: a flag's row is at its
        /// discriminant.
        const ROWS: &[Row] = &[$(Row {
            name: $name,
            variable: $variable,
            default: $default,
            on: $on,
        }),*];

        impl Flag {
            /// Every flag, in the table's order.
            pub(crate) const ALL: &[Flag] = &[$(Flag::$flag),*];

            /// The flag's row, read directly (the help asks for a row of
            /// every flag of every command it documents).
            fn row(self) -> &'static Row {
                &ROWS[self as usize]
            }

            /// `command`'s flag of this name (`--client-id` is two flags:
            /// who signs in, and for `connect` the app put on the
            /// platform): the first row of that name the command takes, by
            /// one `match` on the name rather than a scan of the table.
            pub(crate) fn find(command: Cmd, name: &str) -> Option<Flag> {
                match name {
                    $($name if Flag::$flag.on(command) => Some(Flag::$flag),)*
                    _ => None,
                }
            }
        }
    };
}

flags! {
    // Output and input: every command.
    Output = "output", Some(env::OUTPUT), Some("human"), On::Every;
    NoInput = "no-input", Some(env::NO_INPUT), None, On::Every;
    Verbose = "verbose", None, None, On::Every;

    // Microsoft sign-in.
    Auth = "auth", Some(env::AUTH), Some("auto"), SIGN_IN;
    Tenant = "tenant", Some(env::TENANT), None, CLOUD;
    /// The identity that signs in (AZURE_CLIENT_ID is read by the sign-in
    /// itself, as the Azure SDKs read it).
    ClientId = "client-id", None, None, SIGN_IN;
    /// `connect --client-id`: the app put on the platform, not who signs in.
    AppClientId = "client-id", Some(env::APP_CLIENT_ID), None, On::Only(&[Connect]);
    ClientSecretFile = "client-secret-file", Some(env::CLIENT_SECRET_FILE), None, SIGN_IN;
    GraphTokenFile = "graph-token-file", Some(env::GRAPH_TOKEN_FILE), None, SIGN_IN;
    Cloud = "cloud", Some(env::CLOUD), Some("public"), CLOUD;
    LoginUrl = "login-url", Some(env::LOGIN_URL), None, CLOUD;
    GraphUrl = "graph-url", Some(env::GRAPH_URL), None, SIGN_IN;

    // The workflow platform.
    PlatformUrl = "platform-url", Some(env::PLATFORM_URL), Some(DEFAULT_PLATFORM_URL),
        On::Only(&[Setup, Rotate, Status, Remove, Connect, PlatformLogin]);
    PlatformTokenFile = "platform-token-file", Some(env::PLATFORM_TOKEN_FILE), None, CONNECTION;
    Integration = "integration", Some(env::INTEGRATION), Some(guide::INTEGRATION), CONNECTION;
    ConnectionName = "connection-name", Some(env::CONNECTION_NAME), Some(guide::CONNECTION_NAME),
        CONNECTION;
    Resource = "resource", Some(env::RESOURCE), None,
        On::Only(&[Setup, Rotate, Status, Connect, Register]);
    Field = "field", Some(env::FIELD), None, PLATFORM;
    Replace = "replace", Some(env::REPLACE), None, On::Only(&[Setup, Rotate, Remove, Connect]);
    AppSecretFile = "app-secret-file", Some(env::APP_SECRET_FILE), None, On::Only(&[Connect]);

    // The app registration.
    AppName = "app-name", Some(env::APP_NAME), Some(guide::APP_NAME), FIND_APP;
    RedirectUri = "redirect-uri", Some(env::REDIRECT_URI), Some(guide::REDIRECT_URI), APP;
    Api = "api", Some(env::API), Some(guide::API), APP;
    Permission = "permission", Some(env::PERMISSION), Some(guide::PERMISSION), APP;
    AppId = "app-id", Some(env::APP_ID), None, FIND_APP;
    Adopt = "adopt", Some(env::ADOPT), None, APP;
    AdminConsent = "admin-consent", Some(env::ADMIN_CONSENT), None, On::Only(&[Setup, Register]);

    // The client secret.
    SecretDescription = "secret-description", Some(env::SECRET_DESCRIPTION),
        Some(guide::SECRET_DESCRIPTION), On::Only(&[Setup, Register, Rotate, Status]);
    SecretExpiry = "secret-expiry", Some(env::SECRET_EXPIRY), Some(guide::SECRET_EXPIRY), CHANGE;
    ShowSecret = "show-secret", Some(env::SHOW_SECRET), None,
        On::Only(&[Setup, Register, Rotate, Demo]);
    SecretFile = "secret-file", Some(env::SECRET_FILE), None, CHANGE;
    Rotate = "rotate", Some(env::ROTATE), None, On::Only(&[Setup]);
    NewSecret = "new-secret", Some(env::NEW_SECRET), None, On::Only(&[Register]);
    KeepSecretOnFailure = "keep-secret-on-failure", Some(env::KEEP_SECRET_ON_FAILURE), None,
        On::Only(&[Setup, Rotate]);
    Reclaim = "reclaim", Some(env::RECLAIM), None, CHANGE;

    // What a run does.
    DryRun = "dry-run", Some(env::DRY_RUN), None, On::Only(&[Setup, Register, Rotate, Remove, Connect]);
    Explain = "explain", Some(env::EXPLAIN), None, On::Only(&[Setup]);
    /// Hidden. Its variable is read by every command, `connect` too, which
    /// has no `--state-dir`.
    StateDir = "state-dir", Some(env::STATE_DIR), None, STATE;

    // Renewal and checks.
    WarnWithin = "warn-within", Some(env::WARN_WITHIN), Some("30d"), On::Only(&[Status]);
    IfExpiringWithin = "if-expiring-within", Some(env::IF_EXPIRING_WITHIN), None,
        On::Only(&[Status, Rotate]);
    KeepPrevious = "keep-previous", Some(env::KEEP_PREVIOUS), None, On::Only(&[Rotate]);
    Finish = "finish", Some(env::FINISH), None, On::Only(&[Rotate]);

    // Removal.
    AzureOnly = "azure-only", Some(env::AZURE_ONLY), None, On::Only(&[Remove]);
    Yes = "yes", Some(env::YES), None, On::Only(&[Remove]);

    // Many targets.
    File = "file", Some(env::FILE), None, FLEET_FILE;
    Target = "target", None, None, FLEET_FILE;
    Jobs = "jobs", Some(env::JOBS), None, FLEET;
    Save = "save", None, None, On::Only(&[Setup]);

    // platform-login.
    Team = "team", Some(env::TEAM), None, On::Only(&[PlatformLogin]);
    TokenName = "name", Some(env::TOKEN_NAME), Some("default"), On::Only(&[PlatformLogin]);
    Wait = "wait", Some(env::WAIT), Some("300"), On::Only(&[PlatformLogin]);

    // demo and emulator.
    NoFaults = "no-faults", None, None, On::Only(&[Demo]);
    Fleet = "fleet", None, None, On::Only(&[Demo]);
    Port = "port", Some(env::PORT), Some("0"), On::Only(&[Emulator]);
    Config = "config", None, None, On::Only(&[Emulator]);
    Faults = "faults", None, None, On::Only(&[Emulator]);
}

impl Flag {
    /// The flag as typed, without `--`.
    pub(crate) fn name(self) -> &'static str {
        self.row().name
    }

    /// The variable that stands in for the flag, if any.
    pub(crate) fn variable(self) -> Option<&'static str> {
        self.row().variable
    }

    /// The value a flag given neither on the command line nor by its
    /// variable takes, if any.
    pub(crate) fn default(self) -> Option<&'static str> {
        self.row().default
    }

    /// Whether `command` takes the flag.
    pub(crate) fn on(self, command: Cmd) -> bool {
        match self.row().on {
            On::Every => true,
            On::Only(commands) => commands.contains(&command),
        }
    }

    /// Whether every command takes the flag.
    pub(crate) fn on_every_command(self) -> bool {
        matches!(self.row().on, On::Every)
    }
}

/// `--name`, as messages and the wizard name the flag.
impl std::fmt::Display for Flag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "--{}", self.name())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use clap::CommandFactory as _;

    use super::*;

    /// The long flags clap defines for `command` (the global ones too).
    fn clap_flags(command: Cmd) -> BTreeSet<String> {
        let root = super::super::Cli::command();
        let sub = root
            .find_subcommand(command.name())
            .unwrap_or_else(|| panic!("no subcommand {}", command.name()));
        root.get_arguments()
            .filter(|a| a.is_global_set())
            .chain(sub.get_arguments())
            .filter_map(|a| a.get_long().map(str::to_owned))
            .filter(|l| !matches!(l.as_str(), "help" | "version"))
            .collect()
    }

    #[test]
    fn a_flag_is_found_and_read_directly_as_the_table_says() {
        for (i, flag) in Flag::ALL.iter().enumerate() {
            assert_eq!(*flag as usize, i, "{flag:?} is not at its row");
        }
        assert_eq!(ROWS.len(), Flag::ALL.len());
        // `find` says what a scan of the table in order would.
        for command in Cmd::ALL {
            for row in ROWS {
                let scanned = Flag::ALL
                    .iter()
                    .copied()
                    .find(|f| f.name() == row.name && f.on(command));
                assert_eq!(Flag::find(command, row.name), scanned, "{}", row.name);
            }
            assert_eq!(Flag::find(command, "no-such-flag"), None);
        }
        assert_eq!(
            Flag::find(Cmd::Connect, "client-id"),
            Some(Flag::AppClientId)
        );
        assert_eq!(Flag::find(Cmd::Setup, "client-id"), Some(Flag::ClientId));
    }

    #[test]
    fn the_table_lists_exactly_the_flags_each_command_takes() {
        for command in Cmd::ALL {
            if cfg!(not(feature = "emulator")) && matches!(command, Cmd::Demo | Cmd::Emulator) {
                continue;
            }
            let table: BTreeSet<String> = Flag::ALL
                .iter()
                .filter(|f| f.on(command))
                .map(|f| f.name().to_owned())
                .collect();
            assert_eq!(table, clap_flags(command), "{}", command.name());
        }
        // The root takes setup's flags.
        let root: BTreeSet<String> = super::super::Cli::command()
            .get_arguments()
            .filter_map(|a| a.get_long().map(str::to_owned))
            .filter(|l| !matches!(l.as_str(), "help" | "version"))
            .collect();
        assert_eq!(root, clap_flags(Cmd::Setup));
    }

    #[test]
    fn a_command_has_one_flag_of_each_name() {
        for command in Cmd::ALL {
            let mut names = BTreeSet::new();
            for flag in Flag::ALL.iter().filter(|f| f.on(command)) {
                assert!(
                    names.insert(flag.name()),
                    "{} has two --{}",
                    command.name(),
                    flag.name()
                );
            }
        }
        assert_eq!(
            Flag::find(Cmd::Connect, "client-id"),
            Some(Flag::AppClientId)
        );
        assert_eq!(Flag::find(Cmd::Setup, "client-id"), Some(Flag::ClientId));
        assert_eq!(Flag::find(Cmd::Remove, "api"), None);
    }

    #[test]
    fn every_flag_variable_is_read() {
        for flag in Flag::ALL {
            if let Some(var) = flag.variable() {
                assert!(env::ALL.contains(&var), "{var} is a flag's but not in ALL");
            }
        }
    }

    /// The README's "Flags and environment variables" table: its rows.
    fn readme_rows() -> Vec<(String, String)> {
        let readme = include_str!("../../README.md");
        let table = readme
            .split("| flag | variable | default | meaning |")
            .nth(1)
            .expect("the README has the flags table");
        table
            .lines()
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .map(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                (cells[1].to_owned(), cells[2].to_owned())
            })
            .collect()
    }

    #[test]
    fn the_readme_documents_every_flag_variable_and_no_other_flag() {
        let rows = readme_rows();
        for flag in Flag::ALL {
            let Some(var) = flag.variable() else {
                continue;
            };
            let shown = format!("`{var}`");
            assert!(
                rows.iter().any(|(_, vars)| vars.contains(&shown)),
                "README: {var} (--{}) is not in the table",
                flag.name()
            );
        }
        // A flag the table names is a flag; a variable it names is read
        // (a flag's, or one without a flag, or a fallback beside a flag:
        // AAD_SETUP_PUBLIC_CLIENT_ID beside --client-id).
        for (flags, vars) in &rows {
            for name in flags.split('`').skip(1).step_by(2).filter_map(|span| {
                span.split_whitespace()
                    .find_map(|word| word.strip_prefix("--"))
            }) {
                assert!(
                    Flag::ALL.iter().any(|f| f.name() == name),
                    "README: --{name} is not a flag"
                );
            }
            for var in vars
                .split('`')
                .skip(1)
                .step_by(2)
                .filter(|v| v.starts_with("AAD_SETUP_"))
            {
                assert!(env::ALL.contains(&var), "README: {var} is not read");
            }
        }
    }
}
