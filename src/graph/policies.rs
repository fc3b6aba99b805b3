//! App management policies, read (docs/graph.md §4.2; the shapes are
//! the Graph schema's `tenantAppManagementPolicy`, `appManagementPolicy` and
//! `passwordCredentialConfiguration`): the tenant default and the tenant's
//! other app management policies (Policy.Read.All), and the objects a
//! policy applies to. Microsoft's permissions map has no `GET` on an
//! application's `appManagementPolicies` (only `POST`/`DELETE`, assigning and
//! unassigning): which policy applies to an app is read from the policy's
//! side, `appliesTo`.

use serde::Deserialize;

use super::client::Graph;

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

/// One of `GET /policies/appManagementPolicies`.
#[derive(Debug, Clone, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct AppPolicy {
    pub id: String,
    pub display_name: Option<String>,
    pub is_enabled: bool,
    pub restrictions: Option<Restrictions>,
}

/// One of `appliesTo` (a `directoryObject`: an application or a service
/// principal), by its id.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
struct DirectoryObject {
    id: String,
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

    /// The tenant's app management policies, assigned or not
    /// (`GET /policies/appManagementPolicies`, Policy.Read.All).
    pub(crate) async fn app_management_policies(&self) -> anyhow::Result<Vec<AppPolicy>> {
        self.list(
            "read the tenant's app management policies",
            "policies/appManagementPolicies",
            &[],
        )
        .await
    }

    /// The object ids of the applications and service principals a policy
    /// is assigned to (`GET /policies/appManagementPolicies/{id}/appliesTo`).
    pub(crate) async fn app_management_policy_applies_to(
        &self,
        policy_id: &str,
    ) -> anyhow::Result<Vec<String>> {
        let objects: Vec<DirectoryObject> = self
            .list(
                "read which apps an app management policy applies to",
                &format!("policies/appManagementPolicies/{policy_id}/appliesTo"),
                &[("$select", "id".to_owned())],
            )
            .await?;
        Ok(objects.into_iter().map(|o| o.id).collect())
    }
}
