//! Applications and their secrets: find, read, create (looking after a
//! lost answer), update and delete an app; `addPassword` and
//! `removePassword`.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::http::Retry;

use super::client::{Graph, Made, not_found_as_none, odata_string};
use super::error::{GraphError, graph_error};
use super::types::{AddedPassword, Application, NewApplication};

/// The properties read when looking for an application.
const APP_SELECT: &str = "id,appId,displayName,signInAudience,web,requiredResourceAccess,passwordCredentials,tags,createdDateTime";
/// Looks for an app whose create lost its answer before creating again.
const LOOKS_AFTER_LOST_APP: u32 = 4;

impl Graph {
    pub(crate) async fn find_applications_by_name(
        &self,
        name: &str,
    ) -> anyhow::Result<Vec<Application>> {
        self.list(
            "look up applications by name",
            "applications",
            &[
                ("$filter", format!("displayName eq {}", odata_string(name))),
                ("$select", APP_SELECT.into()),
            ],
        )
        .await
    }

    pub(crate) async fn find_application_by_app_id(
        &self,
        app_id: &str,
    ) -> anyhow::Result<Option<Application>> {
        let apps: Vec<Application> = self
            .list(
                "look up the application by its client id",
                "applications",
                &[
                    ("$filter", format!("appId eq {}", odata_string(app_id))),
                    ("$select", APP_SELECT.into()),
                ],
            )
            .await?;
        Ok(apps.into_iter().next())
    }

    /// `None` when Graph answers 404 (absent, or not replicated yet).
    pub(crate) async fn get_application(
        &self,
        object_id: &str,
    ) -> anyhow::Result<Option<Application>> {
        let result = self
            .get_json(
                "read the application",
                &format!("applications/{object_id}"),
                &[("$select", APP_SELECT.into())],
            )
            .await;
        not_found_as_none(result)
    }

    /// `POST /applications`, once. Retried on 429 only: a lost answer may
    /// mean the app exists; see [`Graph::create_application`].
    async fn post_application(&self, app: &NewApplication) -> anyhow::Result<Application> {
        let body = serde_json::to_value(app)?;
        let reply = self
            .call(
                "create the application",
                Method::POST,
                self.url("applications"),
                &[],
                Some(&body),
                Retry::Create,
            )
            .await?;
        reply.json()
    }

    /// Creates the application. After a lost answer it looks for an app of
    /// that name carrying `tag` (the caller found none before creating, so
    /// one now is the lost call's), through a few short waits for the
    /// listing to catch up, and creates again only when none appears
    /// (docs/graph.md §2.2).
    pub(crate) async fn create_application(
        &self,
        app: &NewApplication,
        tag: &str,
    ) -> anyhow::Result<Made<Application>> {
        let find = || async {
            for n in 0..LOOKS_AFTER_LOST_APP {
                let found = self.find_applications_by_name(&app.display_name).await?;
                if let Some(a) = found.into_iter().find(|a| a.tags.iter().any(|t| t == tag)) {
                    return Ok(Some(a));
                }
                if n + 1 < LOOKS_AFTER_LOST_APP {
                    tokio::time::sleep(self.http.policy.look_delay(n)).await;
                }
            }
            Ok(None)
        };
        self.create_or_find(|| self.post_application(app), find)
            .await
    }

    pub(crate) async fn update_application(
        &self,
        object_id: &str,
        patch: &Value,
    ) -> anyhow::Result<()> {
        self.call(
            "update the application",
            Method::PATCH,
            self.url(&format!("applications/{object_id}")),
            &[],
            Some(patch),
            Retry::Idempotent,
        )
        .await?;
        Ok(())
    }

    pub(crate) async fn delete_application(&self, object_id: &str) -> anyhow::Result<()> {
        self.delete_call(
            "delete the application",
            Method::DELETE,
            self.url(&format!("applications/{object_id}")),
            None,
            GraphError::is_not_found,
        )
        .await
    }

    /// `addPassword`: mints a secret. Retried on 429 only; see
    /// [`crate::steps::create_secret`] for what happens when the answer is lost.
    pub(crate) async fn add_password(
        &self,
        object_id: &str,
        description: &str,
        end: Option<&str>,
    ) -> anyhow::Result<AddedPassword> {
        let mut credential = json!({ "displayName": description });
        if let Some(end) = end {
            credential["endDateTime"] = json!(end);
        }
        let reply = self
            .call(
                "add a client secret",
                Method::POST,
                self.url(&format!("applications/{object_id}/addPassword")),
                &[],
                Some(&json!({ "passwordCredential": credential })),
                Retry::Create,
            )
            .await?;
        reply.json()
    }

    /// `removePassword`; a key that is gone after a retry was removed by the
    /// attempt whose answer was lost.
    pub(crate) async fn remove_password(
        &self,
        object_id: &str,
        key_id: &str,
    ) -> anyhow::Result<()> {
        self.delete_call(
            "remove a client secret",
            Method::POST,
            self.url(&format!("applications/{object_id}/removePassword")),
            Some(&json!({ "keyId": key_id })),
            |e| e.is_not_found() || (e.status == StatusCode::BAD_REQUEST && names_key(e, key_id)),
        )
        .await
    }

    /// `removePassword` of a secret this run just added: while Entra has
    /// not replicated it, the key is unknown (400 naming it, or 404), so
    /// that answer is waited out, briefly.
    pub(crate) async fn remove_new_password(
        &self,
        object_id: &str,
        key_id: &str,
    ) -> anyhow::Result<()> {
        let mut n = 0u32;
        loop {
            match self.remove_password(object_id, key_id).await {
                Err(err)
                    if n < 15
                        && graph_error(&err).is_some_and(|g| {
                            g.is_not_found()
                                || (g.status == StatusCode::BAD_REQUEST && names_key(g, key_id))
                        }) =>
                {
                    tokio::time::sleep(self.http.policy.look_delay(n.min(3))).await;
                    n += 1;
                }
                other => return other,
            }
        }
    }
}

/// A 400 about the `keyId` of `removePassword`: no such key (removed
/// already, or not replicated yet).
fn names_key(e: &GraphError, key_id: &str) -> bool {
    e.message.contains(key_id) || e.message.contains("'keyId'")
}
