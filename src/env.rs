//! Every environment variable the tool reads, named once.
//!
//! The README's "Environment variables" table lists the same names; keep the
//! two together.

// Our own, one per flag (clap's `env`).
pub const AUTH: &str = "AAD_SETUP_AUTH";
pub const TENANT: &str = "AAD_SETUP_TENANT";
pub const CLIENT_SECRET_FILE: &str = "AAD_SETUP_CLIENT_SECRET_FILE";
/// The public client id for `--auth device-code` (default: Microsoft Graph Command Line Tools).
pub const PUBLIC_CLIENT_ID: &str = "AAD_SETUP_PUBLIC_CLIENT_ID";
pub const GRAPH_TOKEN_FILE: &str = "AAD_SETUP_GRAPH_TOKEN_FILE";
pub const CLOUD: &str = "AAD_SETUP_CLOUD";
pub const LOGIN_URL: &str = "AAD_SETUP_LOGIN_URL";
pub const GRAPH_URL: &str = "AAD_SETUP_GRAPH_URL";
pub const PLATFORM_URL: &str = "AAD_SETUP_PLATFORM_URL";
pub const PLATFORM_TOKEN_FILE: &str = "AAD_SETUP_PLATFORM_TOKEN_FILE";
pub const INTEGRATION: &str = "AAD_SETUP_INTEGRATION";
pub const CONNECTION_NAME: &str = "AAD_SETUP_CONNECTION_NAME";
pub const RESOURCE: &str = "AAD_SETUP_RESOURCE";
pub const FIELD: &str = "AAD_SETUP_FIELD";
pub const APP_NAME: &str = "AAD_SETUP_APP_NAME";
pub const APP_ID: &str = "AAD_SETUP_APP_ID";
pub const REDIRECT_URI: &str = "AAD_SETUP_REDIRECT_URI";
pub const API: &str = "AAD_SETUP_API";
pub const PERMISSION: &str = "AAD_SETUP_PERMISSION";
pub const SECRET_DESCRIPTION: &str = "AAD_SETUP_SECRET_DESCRIPTION";
pub const SECRET_EXPIRY: &str = "AAD_SETUP_SECRET_EXPIRY";
pub const SECRET_FILE: &str = "AAD_SETUP_SECRET_FILE";
pub const OUTPUT: &str = "AAD_SETUP_OUTPUT";
pub const NO_INPUT: &str = "AAD_SETUP_NO_INPUT";
pub const STATE_DIR: &str = "AAD_SETUP_STATE_DIR";
pub const ADOPT: &str = "AAD_SETUP_ADOPT";
pub const ADMIN_CONSENT: &str = "AAD_SETUP_ADMIN_CONSENT";
pub const SHOW_SECRET: &str = "AAD_SETUP_SHOW_SECRET";
pub const ROTATE: &str = "AAD_SETUP_ROTATE";
pub const NEW_SECRET: &str = "AAD_SETUP_NEW_SECRET";
pub const KEEP_SECRET_ON_FAILURE: &str = "AAD_SETUP_KEEP_SECRET_ON_FAILURE";
pub const DRY_RUN: &str = "AAD_SETUP_DRY_RUN";
pub const REPLACE: &str = "AAD_SETUP_REPLACE";
pub const YES: &str = "AAD_SETUP_YES";
pub const AZURE_ONLY: &str = "AAD_SETUP_AZURE_ONLY";
pub const WARN_WITHIN: &str = "AAD_SETUP_WARN_WITHIN";
pub const TOKEN_NAME: &str = "AAD_SETUP_TOKEN_NAME";
pub const WAIT: &str = "AAD_SETUP_WAIT";
pub const PORT: &str = "AAD_SETUP_EMULATOR_PORT";
/// `connect`: the client id (appId) of the app registered elsewhere.
pub const APP_CLIENT_ID: &str = "AAD_SETUP_APP_CLIENT_ID";
/// `connect`: that app's client secret itself (there is no flag for it).
pub const APP_CLIENT_SECRET: &str = "AAD_SETUP_APP_CLIENT_SECRET";
/// `connect`: a file holding that app's client secret.
pub const APP_SECRET_FILE: &str = "AAD_SETUP_APP_SECRET_FILE";
/// `platform-login`: the platform team (name or address).
pub const TEAM: &str = "AAD_SETUP_TEAM";
/// Multiplies every retry delay (default 1). `0` removes the sleeps: the test
/// suite sets it so that retries through replication and throttling are fast.
pub const BACKOFF_SCALE: &str = "AAD_SETUP_BACKOFF_SCALE";
/// Seconds a run on another machine may hold a new secret in flight before
/// a run here treats it as gone and removes the secret (default 1800).
pub const PENDING_LEASE: &str = "AAD_SETUP_PENDING_LEASE";
/// Seconds a request may take before it is given up as lost (default 60).
/// The fault-matrix tests lower it to turn a slow answer into a lost one.
pub const HTTP_TIMEOUT: &str = "AAD_SETUP_HTTP_TIMEOUT";
/// Where the Microsoft identity used to sign in came from (Azure SDK names).
pub const AZURE_TENANT_ID: &str = "AZURE_TENANT_ID";
pub const AZURE_CLIENT_ID: &str = "AZURE_CLIENT_ID";
pub const AZURE_CLIENT_SECRET: &str = "AZURE_CLIENT_SECRET";
pub const AZURE_FEDERATED_TOKEN_FILE: &str = "AZURE_FEDERATED_TOKEN_FILE";
pub const AZURE_AUTHORITY_HOST: &str = "AZURE_AUTHORITY_HOST";
// The platform's SDK convention.
pub const CATALYTIC_TOKEN: &str = "CATALYTIC_TOKEN";
// Ecosystem.
pub const NO_COLOR: &str = "NO_COLOR";
/// The browser `--auth browser` opens (a command), as other tools read it.
pub const BROWSER: &str = "BROWSER";
pub const CI: &str = "CI";
pub const GITHUB_ACTIONS: &str = "GITHUB_ACTIONS";
pub const GITHUB_OUTPUT: &str = "GITHUB_OUTPUT";
pub const ACTIONS_ID_TOKEN_REQUEST_URL: &str = "ACTIONS_ID_TOKEN_REQUEST_URL";
pub const ACTIONS_ID_TOKEN_REQUEST_TOKEN: &str = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";

/// A variable's value, treating an empty value as unset (as the Azure SDKs do).
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A boolean-ish variable: set and not `0`/`false`/empty.
pub fn flag(name: &str) -> bool {
    var(name)
        .is_some_and(|v| !matches!(v.trim().to_ascii_lowercase().as_str(), "0" | "false" | "no"))
}
