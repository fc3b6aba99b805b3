//! App management policies, read (microsoft-graph.md §4.2; the shapes are
//! the Graph schema's `tenantAppManagementPolicy`, `appManagementPolicy` and
//! `passwordCredentialConfiguration`): the tenant default (Policy.Read.All)
//! and the policies assigned to an app.

use serde::Deserialize;

use super::Graph;

/// One `passwordCredentialConfiguration`.
#[derive(Debug, Clone, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct PasswordRestriction {
    /// `passwordAddition`, `passwordLifetime`, …
    pub restriction_type: String,
    /// `enabled` or `disabled` (absent: enabled).
    pub state: Option<String>,
    /// An ISO 8601 duration (`P90D`).
    pub max_lifetime: Option<String>,
    pub restrict_for_apps_created_after_date_time: Option<String>,
}

impl PasswordRestriction {
    pub(crate) fn enabled(&self) -> bool {
        self.state
            .as_deref()
            .is_none_or(|s| s.eq_ignore_ascii_case("enabled"))
    }
}

/// `applicationRestrictions` / `restrictions`.
#[derive(Debug, Clone, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Restrictions {
    pub password_credentials: Vec<PasswordRestriction>,
}

/// `GET /policies/defaultAppManagementPolicy`.
#[derive(Debug, Clone, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct TenantPolicy {
    pub id: String,
    pub display_name: Option<String>,
    pub is_enabled: bool,
    pub application_restrictions: Option<Restrictions>,
}

/// One of `GET /applications/{id}/appManagementPolicies`.
#[derive(Debug, Clone, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct AppPolicy {
    pub id: String,
    pub display_name: Option<String>,
    pub is_enabled: bool,
    pub restrictions: Option<Restrictions>,
}

impl Graph {
    /// The tenant's default app management policy (Policy.Read.All).
    pub(crate) async fn default_app_management_policy(&self) -> anyhow::Result<TenantPolicy> {
        self.get_json(
            "read the tenant's default app management policy",
            "policies/defaultAppManagementPolicy",
            &[],
        )
        .await
    }

    /// The app management policies assigned to an application (by object id).
    pub(crate) async fn app_management_policies(
        &self,
        app_object_id: &str,
    ) -> anyhow::Result<Vec<AppPolicy>> {
        self.list(
            "read the app management policies assigned to the application",
            &format!("applications/{app_object_id}/appManagementPolicies"),
            &[],
        )
        .await
    }
}
