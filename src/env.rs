//! Every environment variable the tool reads, named once, and the one
//! place that reads them: [`Environment::capture`], called once by the entry
//! point ([`crate::commands::run`]). Everything else is handed the captured
//! [`Environment`] (settings resolves flags, variables and defaults from
//! it), so a test builds one from pairs and never touches the process's own.
//!
//! The README's "Flags and environment variables" table lists the same
//! names (a test in `cli::flag` checks). Which flag each variable stands in
//! for is said by the flag table (`cli::Flag`): the help shows it beside
//! the flag (`[env: …]`) and settings reads it from there.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};

// Our own, one per flag (clap's `env`).
pub(crate) const AUTH: &str = "AAD_SETUP_AUTH";
pub(crate) const TENANT: &str = "AAD_SETUP_TENANT";
pub(crate) const CLIENT_SECRET_FILE: &str = "AAD_SETUP_CLIENT_SECRET_FILE";
/// The public client id for `--auth device-code` (default: Microsoft Graph Command Line Tools).
pub(crate) const PUBLIC_CLIENT_ID: &str = "AAD_SETUP_PUBLIC_CLIENT_ID";
pub(crate) const GRAPH_TOKEN_FILE: &str = "AAD_SETUP_GRAPH_TOKEN_FILE";
pub(crate) const CLOUD: &str = "AAD_SETUP_CLOUD";
pub(crate) const LOGIN_URL: &str = "AAD_SETUP_LOGIN_URL";
pub(crate) const GRAPH_URL: &str = "AAD_SETUP_GRAPH_URL";
pub(crate) const PLATFORM_URL: &str = "AAD_SETUP_PLATFORM_URL";
pub(crate) const PLATFORM_TOKEN_FILE: &str = "AAD_SETUP_PLATFORM_TOKEN_FILE";
pub(crate) const INTEGRATION: &str = "AAD_SETUP_INTEGRATION";
pub(crate) const CONNECTION_NAME: &str = "AAD_SETUP_CONNECTION_NAME";
pub(crate) const RESOURCE: &str = "AAD_SETUP_RESOURCE";
pub(crate) const FIELD: &str = "AAD_SETUP_FIELD";
pub(crate) const APP_NAME: &str = "AAD_SETUP_APP_NAME";
pub(crate) const APP_ID: &str = "AAD_SETUP_APP_ID";
pub(crate) const REDIRECT_URI: &str = "AAD_SETUP_REDIRECT_URI";
pub(crate) const API: &str = "AAD_SETUP_API";
pub(crate) const PERMISSION: &str = "AAD_SETUP_PERMISSION";
pub(crate) const SECRET_DESCRIPTION: &str = "AAD_SETUP_SECRET_DESCRIPTION";
pub(crate) const SECRET_EXPIRY: &str = "AAD_SETUP_SECRET_EXPIRY";
pub(crate) const RECLAIM: &str = "AAD_SETUP_RECLAIM";
pub(crate) const SECRET_FILE: &str = "AAD_SETUP_SECRET_FILE";
pub(crate) const OUTPUT: &str = "AAD_SETUP_OUTPUT";
pub(crate) const NO_INPUT: &str = "AAD_SETUP_NO_INPUT";
pub(crate) const STATE_DIR: &str = "AAD_SETUP_STATE_DIR";
pub(crate) const ADOPT: &str = "AAD_SETUP_ADOPT";
pub(crate) const ADMIN_CONSENT: &str = "AAD_SETUP_ADMIN_CONSENT";
pub(crate) const SHOW_SECRET: &str = "AAD_SETUP_SHOW_SECRET";
pub(crate) const ROTATE: &str = "AAD_SETUP_ROTATE";
pub(crate) const NEW_SECRET: &str = "AAD_SETUP_NEW_SECRET";
pub(crate) const KEEP_SECRET_ON_FAILURE: &str = "AAD_SETUP_KEEP_SECRET_ON_FAILURE";
pub(crate) const DRY_RUN: &str = "AAD_SETUP_DRY_RUN";
pub(crate) const EXPLAIN: &str = "AAD_SETUP_EXPLAIN";
pub(crate) const REPLACE: &str = "AAD_SETUP_REPLACE";
pub(crate) const YES: &str = "AAD_SETUP_YES";
pub(crate) const AZURE_ONLY: &str = "AAD_SETUP_AZURE_ONLY";
pub(crate) const WARN_WITHIN: &str = "AAD_SETUP_WARN_WITHIN";
pub(crate) const IF_EXPIRING_WITHIN: &str = "AAD_SETUP_IF_EXPIRING_WITHIN";
pub(crate) const KEEP_PREVIOUS: &str = "AAD_SETUP_KEEP_PREVIOUS";
pub(crate) const FINISH: &str = "AAD_SETUP_FINISH";
pub(crate) const TOKEN_NAME: &str = "AAD_SETUP_TOKEN_NAME";
pub(crate) const WAIT: &str = "AAD_SETUP_WAIT";
pub(crate) const PORT: &str = "AAD_SETUP_EMULATOR_PORT";
/// The fleet file (`--file`): every target in it, one run each.
pub(crate) const FILE: &str = "AAD_SETUP_FILE";
/// How many targets of a fleet file run at once (`--jobs`).
pub(crate) const JOBS: &str = "AAD_SETUP_JOBS";
/// Set by a fleet run for its targets' runs: where they share their 429s.
pub(crate) const THROTTLE_DIR: &str = "AAD_SETUP_THROTTLE_DIR";
/// `connect`: the client id (appId) of the app registered elsewhere.
pub(crate) const APP_CLIENT_ID: &str = "AAD_SETUP_APP_CLIENT_ID";
/// `connect`: that app's client secret itself (there is no flag for it).
pub(crate) const APP_CLIENT_SECRET: &str = "AAD_SETUP_APP_CLIENT_SECRET";
/// `connect`: a file holding that app's client secret.
pub(crate) const APP_SECRET_FILE: &str = "AAD_SETUP_APP_SECRET_FILE";
/// `platform-login`: the platform team (name or address).
pub(crate) const TEAM: &str = "AAD_SETUP_TEAM";
/// The audience asked of GitHub Actions' OIDC endpoint (default: the
/// cloud's, `api://AzureADTokenExchange` in the public cloud): for a
/// federated credential made with another audience.
pub(crate) const OIDC_AUDIENCE: &str = "AAD_SETUP_OIDC_AUDIENCE";
/// Multiplies every retry delay (default 1). `0` removes the sleeps: the test
/// suite sets it so that retries through replication and throttling are fast.
pub(crate) const BACKOFF_SCALE: &str = "AAD_SETUP_BACKOFF_SCALE";
/// Seconds a run on another machine may hold a new secret in flight before
/// a run here treats it as gone and removes the secret (default 1800).
pub(crate) const PENDING_LEASE: &str = "AAD_SETUP_PENDING_LEASE";
/// Seconds a request may take before it is given up as lost (default 60).
/// The fault-matrix tests lower it to turn a slow answer into a lost one.
pub(crate) const HTTP_TIMEOUT: &str = "AAD_SETUP_HTTP_TIMEOUT";
/// Where the Microsoft identity used to sign in came from (Azure SDK names).
pub(crate) const AZURE_TENANT_ID: &str = "AZURE_TENANT_ID";
pub(crate) const AZURE_CLIENT_ID: &str = "AZURE_CLIENT_ID";
pub(crate) const AZURE_CLIENT_SECRET: &str = "AZURE_CLIENT_SECRET";
pub(crate) const AZURE_FEDERATED_TOKEN_FILE: &str = "AZURE_FEDERATED_TOKEN_FILE";
pub(crate) const AZURE_AUTHORITY_HOST: &str = "AZURE_AUTHORITY_HOST";
// The platform's SDK convention.
pub(crate) const CATALYTIC_TOKEN: &str = "CATALYTIC_TOKEN";
// Ecosystem.
pub(crate) const NO_COLOR: &str = "NO_COLOR";
/// The browser `--auth browser` opens (a command), as other tools read it.
pub(crate) const BROWSER: &str = "BROWSER";
pub(crate) const CI: &str = "CI";
pub(crate) const GITHUB_ACTIONS: &str = "GITHUB_ACTIONS";
pub(crate) const GITHUB_OUTPUT: &str = "GITHUB_OUTPUT";
/// Where a GitHub Actions step writes its job summary (Markdown).
pub(crate) const GITHUB_STEP_SUMMARY: &str = "GITHUB_STEP_SUMMARY";
pub(crate) const ACTIONS_ID_TOKEN_REQUEST_URL: &str = "ACTIONS_ID_TOKEN_REQUEST_URL";
pub(crate) const ACTIONS_ID_TOKEN_REQUEST_TOKEN: &str = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";

/// The executables' search path (`--auth auto` looks for `az` on it).
pub(crate) const PATH: &str = "PATH";
/// Windows: the extensions an executable may have (`az` is `az.cmd`).
pub(crate) const PATHEXT: &str = "PATHEXT";

/// Every variable above: what [`Environment::capture`] reads.
pub(crate) const ALL: &[&str] = &[
    AUTH,
    TENANT,
    CLIENT_SECRET_FILE,
    PUBLIC_CLIENT_ID,
    GRAPH_TOKEN_FILE,
    CLOUD,
    LOGIN_URL,
    GRAPH_URL,
    PLATFORM_URL,
    PLATFORM_TOKEN_FILE,
    INTEGRATION,
    CONNECTION_NAME,
    RESOURCE,
    FIELD,
    APP_NAME,
    APP_ID,
    REDIRECT_URI,
    API,
    PERMISSION,
    SECRET_DESCRIPTION,
    SECRET_EXPIRY,
    RECLAIM,
    SECRET_FILE,
    OUTPUT,
    NO_INPUT,
    STATE_DIR,
    ADOPT,
    ADMIN_CONSENT,
    SHOW_SECRET,
    ROTATE,
    NEW_SECRET,
    KEEP_SECRET_ON_FAILURE,
    DRY_RUN,
    EXPLAIN,
    REPLACE,
    YES,
    AZURE_ONLY,
    WARN_WITHIN,
    IF_EXPIRING_WITHIN,
    KEEP_PREVIOUS,
    FINISH,
    TOKEN_NAME,
    WAIT,
    PORT,
    FILE,
    JOBS,
    THROTTLE_DIR,
    APP_CLIENT_ID,
    APP_CLIENT_SECRET,
    APP_SECRET_FILE,
    TEAM,
    BACKOFF_SCALE,
    OIDC_AUDIENCE,
    PENDING_LEASE,
    HTTP_TIMEOUT,
    AZURE_TENANT_ID,
    AZURE_CLIENT_ID,
    AZURE_CLIENT_SECRET,
    AZURE_FEDERATED_TOKEN_FILE,
    AZURE_AUTHORITY_HOST,
    CATALYTIC_TOKEN,
    NO_COLOR,
    BROWSER,
    CI,
    GITHUB_ACTIONS,
    GITHUB_OUTPUT,
    GITHUB_STEP_SUMMARY,
    ACTIONS_ID_TOKEN_REQUEST_URL,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN,
];

/// The environment as the run sees it: the variables in [`ALL`], read once.
/// An empty value counts as unset (as the Azure SDKs treat it).
#[derive(Debug, Clone, Default)]
pub struct Environment {
    vars: BTreeMap<&'static str, OsString>,
    /// Variables a fleet file names (`platform-token-env`,
    /// `client-secret-env`): read by [`Environment::read_named`], once.
    named: BTreeMap<String, OsString>,
}

impl Environment {
    /// Reads every variable in [`ALL`] from the process: the only read of
    /// the environment in the product, done once by the entry point.
    pub fn capture() -> Environment {
        let vars = ALL
            .iter()
            .chain([&PATH, &PATHEXT])
            .filter_map(|name| std::env::var_os(name).map(|v| (*name, v)))
            .collect();
        Environment {
            vars,
            named: BTreeMap::new(),
        }
    }

    /// Also reads these variables, which a fleet file names (a target's
    /// `platform-token-env`, `client-secret-env`): the only other read of
    /// the process environment, done once, before any target runs.
    pub(crate) fn read_named<'a>(&mut self, names: impl IntoIterator<Item = &'a str>) {
        for name in names {
            if let Some(value) = std::env::var_os(name) {
                self.named.insert(name.to_owned(), value);
            }
        }
    }

    /// A variable a fleet file named (see [`Environment::read_named`]).
    pub(crate) fn named(&self, name: &str) -> Option<String> {
        self.named
            .get(name)
            .and_then(|v| v.to_str())
            .filter(|v| !v.trim().is_empty())
            .map(str::to_owned)
    }

    /// This environment with a variable a fleet file names (tests).
    #[cfg(test)]
    pub(crate) fn with_named(mut self, name: &str, value: &str) -> Environment {
        self.named.insert(name.to_owned(), OsString::from(value));
        self
    }

    /// This environment with `name` set to `value` (a fleet target's
    /// secret, given to its run under the variable the run reads).
    pub(crate) fn with_var(&self, name: &'static str, value: &str) -> Environment {
        let mut env = self.clone();
        env.vars.insert(name, OsString::from(value));
        env
    }

    /// This environment without `name`.
    pub(crate) fn without(&self, name: &str) -> Environment {
        let mut env = self.clone();
        env.vars.remove(name);
        env
    }

    /// An environment of exactly these variables (tests).
    #[cfg(test)]
    pub(crate) fn from_pairs(pairs: &[(&'static str, &str)]) -> Environment {
        Environment {
            vars: pairs.iter().map(|(k, v)| (*k, OsString::from(v))).collect(),
            named: BTreeMap::new(),
        }
    }

    /// A variable's value; unset, empty or not UTF-8 is `None`.
    pub(crate) fn var(&self, name: &str) -> Option<String> {
        self.vars
            .get(name)
            .and_then(|v| v.to_str())
            .filter(|v| !v.trim().is_empty())
            .map(str::to_owned)
    }

    /// A switch's variable: on unless unset, empty, or one of `0`, `f`,
    /// `false`, `n`, `no`, `off` (as clap reads a switch's variable).
    pub(crate) fn flag(&self, name: &str) -> bool {
        self.var(name).is_some_and(|v| {
            !matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "0" | "f" | "false" | "n" | "no" | "off"
            )
        })
    }

    /// A variable as it is, for paths that need not be UTF-8.
    pub(crate) fn os(&self, name: &str) -> Option<&OsStr> {
        self.vars
            .get(name)
            .map(OsString::as_os_str)
            .filter(|v| !v.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_are_unset_and_flags_read_as_people_write_them() {
        let env = Environment::from_pairs(&[
            (TENANT, " "),
            (DRY_RUN, "false"),
            (YES, "1"),
            (ADOPT, "Off"),
        ]);
        assert_eq!(env.var(TENANT), None);
        assert!(!env.flag(DRY_RUN));
        assert!(env.flag(YES));
        assert!(!env.flag(ADOPT));
    }
}
