//! Every environment variable the tool reads, named once.
//!
//! The README's "Environment variables" table lists the same names; keep the
//! two together.

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
pub(crate) const REPLACE: &str = "AAD_SETUP_REPLACE";
pub(crate) const YES: &str = "AAD_SETUP_YES";
pub(crate) const AZURE_ONLY: &str = "AAD_SETUP_AZURE_ONLY";
pub(crate) const WARN_WITHIN: &str = "AAD_SETUP_WARN_WITHIN";
pub(crate) const TOKEN_NAME: &str = "AAD_SETUP_TOKEN_NAME";
pub(crate) const WAIT: &str = "AAD_SETUP_WAIT";
pub(crate) const PORT: &str = "AAD_SETUP_EMULATOR_PORT";
/// `connect`: the client id (appId) of the app registered elsewhere.
pub(crate) const APP_CLIENT_ID: &str = "AAD_SETUP_APP_CLIENT_ID";
/// `connect`: that app's client secret itself (there is no flag for it).
pub(crate) const APP_CLIENT_SECRET: &str = "AAD_SETUP_APP_CLIENT_SECRET";
/// `connect`: a file holding that app's client secret.
pub(crate) const APP_SECRET_FILE: &str = "AAD_SETUP_APP_SECRET_FILE";
/// `platform-login`: the platform team (name or address).
pub(crate) const TEAM: &str = "AAD_SETUP_TEAM";
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
pub(crate) const ACTIONS_ID_TOKEN_REQUEST_URL: &str = "ACTIONS_ID_TOKEN_REQUEST_URL";
pub(crate) const ACTIONS_ID_TOKEN_REQUEST_TOKEN: &str = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";

/// A variable's value, treating an empty value as unset (as the Azure SDKs do).
pub(crate) fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A boolean-ish variable: set and not `0`/`false`/empty.
pub(crate) fn flag(name: &str) -> bool {
    var(name)
        .is_some_and(|v| !matches!(v.trim().to_ascii_lowercase().as_str(), "0" | "false" | "no"))
}
