//! Service principals (enterprise applications) and the tenant-wide
//! delegated permission grants (admin consent) of an app's principal.

use reqwest::Method;
use serde_json::{Value, json};

use crate::http::Retry;

use super::client::{Graph, Made, odata_string};
use super::types::{PermissionGrant, ServicePrincipal};

impl Graph {
    pub(crate) async fn update_service_principal(
        &self,
        object_id: &str,
        patch: &Value,
    ) -> anyhow::Result<()> {
        self.call(
            "update the service principal",
            Method::PATCH,
            self.url(&format!("servicePrincipals/{object_id}")),
            &[],
            Some(patch),
            Retry::Idempotent,
        )
        .await?;
        Ok(())
    }

    pub(crate) async fn find_service_principal(
        &self,
        app_id: &str,
        select: &str,
    ) -> anyhow::Result<Option<ServicePrincipal>> {
        let sps: Vec<ServicePrincipal> = self
            .list(
                "look up a service principal",
                "servicePrincipals",
                &[
                    ("$filter", format!("appId eq {}", odata_string(app_id))),
                    ("$select", select.into()),
                ],
            )
            .await?;
        Ok(sps.into_iter().next())
    }

    pub(crate) async fn find_service_principals_by_name(
        &self,
        name: &str,
        select: &str,
    ) -> anyhow::Result<Vec<ServicePrincipal>> {
        self.list(
            "look up a service principal by name",
            "servicePrincipals",
            &[
                ("$filter", format!("displayName eq {}", odata_string(name))),
                ("$select", select.into()),
            ],
        )
        .await
    }

    /// `POST /servicePrincipals`, once. See [`Graph::create_service_principal`].
    async fn post_service_principal(
        &self,
        app_id: &str,
        tags: &[String],
    ) -> anyhow::Result<ServicePrincipal> {
        let reply = self
            .call(
                "create the service principal (enterprise application)",
                Method::POST,
                self.url("servicePrincipals"),
                &[],
                Some(&json!({ "appId": app_id, "accountEnabled": true, "tags": tags })),
                Retry::Create,
            )
            .await?;
        reply.json()
    }

    /// Creates the app's service principal, or finds it: a duplicate only
    /// answers 409, so a lost answer is looked up, then the create sent
    /// again; a 409 means it exists, and it is looked up, never re-posted
    /// (docs/graph.md §2.7). `found` says it existed.
    pub(crate) async fn create_service_principal(
        &self,
        app_id: &str,
        tags: &[String],
        select: &str,
    ) -> anyhow::Result<Made<ServicePrincipal>> {
        let find = || async { self.find_service_principal(app_id, select).await };
        self.create_or_find(|| self.post_service_principal(app_id, tags), find)
            .await
    }

    pub(crate) async fn list_grants(
        &self,
        client_sp_id: &str,
    ) -> anyhow::Result<Vec<PermissionGrant>> {
        self.list(
            "read delegated permission grants",
            "oauth2PermissionGrants",
            &[(
                "$filter",
                format!("clientId eq {}", odata_string(client_sp_id)),
            )],
        )
        .await
    }

    /// `POST /oauth2PermissionGrants`, once. See [`Graph::create_grant`].
    async fn post_grant(
        &self,
        client_sp_id: &str,
        resource_sp_id: &str,
        scope: &str,
    ) -> anyhow::Result<PermissionGrant> {
        let reply = self
            .call(
                "grant admin consent",
                Method::POST,
                self.url("oauth2PermissionGrants"),
                &[],
                Some(&json!({
                    "clientId": client_sp_id,
                    "consentType": "AllPrincipals",
                    "resourceId": resource_sp_id,
                    "scope": scope,
                })),
                Retry::Create,
            )
            .await?;
        reply.json()
    }

    /// Creates the tenant-wide grant, or finds it: "Permission entry already
    /// exists." (409) means a grant for this client and resource exists
    /// (one made by an earlier run may not be listed yet), so it is re-read
    /// and never posted again (docs/graph.md §2.9). The caller extends
    /// a found grant's scope.
    pub(crate) async fn create_grant(
        &self,
        client_sp_id: &str,
        resource_sp_id: &str,
        scope: &str,
    ) -> anyhow::Result<Made<PermissionGrant>> {
        let find = || async {
            let grants = self.list_grants(client_sp_id).await?;
            Ok(grants
                .into_iter()
                .find(|g| g.resource_id == resource_sp_id && g.consent_type == "AllPrincipals"))
        };
        self.create_or_find(
            || self.post_grant(client_sp_id, resource_sp_id, scope),
            find,
        )
        .await
    }

    pub(crate) async fn update_grant_scope(
        &self,
        grant_id: &str,
        scope: &str,
    ) -> anyhow::Result<()> {
        self.call(
            "extend the admin consent grant",
            Method::PATCH,
            self.url(&format!("oauth2PermissionGrants/{grant_id}")),
            &[],
            Some(&json!({ "scope": scope })),
            Retry::Idempotent,
        )
        .await?;
        Ok(())
    }
}
