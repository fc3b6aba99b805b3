//! The app management policy that applies to the app's client secrets, as
//! a result reports it.

use serde::Serialize;

/// Where the policy that applies comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum PolicySource {
    /// The tenant's default app management policy.
    TenantDefault,
    /// A policy assigned to the app.
    App,
}

/// The app management policy that applies to the app's client secrets
/// (read by `crate::steps::credential_policy`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PolicyInfo {
    pub source: PolicySource,
    pub id: String,
    pub display_name: Option<String>,
    /// `passwordLifetime`: the longest a new secret may live (ISO 8601).
    pub max_lifetime: Option<String>,
    /// The same, in whole days (for people and scripts).
    pub max_days: Option<i64>,
    /// `passwordAddition` restricted for this app: no new client secret.
    pub blocks_secrets: bool,
    /// The date after which created apps are restricted, when it says.
    pub restricts_apps_created_after: Option<String>,
}
