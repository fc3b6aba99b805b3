//! The Microsoft Graph v1.0 client: the calls of microsoft-graph.md §2, and
//! nothing else.
//!
//! Each method is one request (or one paged listing). Retrying through
//! replication delay is the steps' business, because only a step knows
//! whether it just created the object it cannot see; throttling is retried
//! below, in [`crate::http`].

pub(crate) mod types;

use std::fmt;

use anyhow::Context as _;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret as _, SecretString};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use url::Url;

use crate::http::{Http, Reply, Retry};
use types::*;

/// The properties read when looking for an application.
const APP_SELECT: &str =
    "id,appId,displayName,signInAudience,web,requiredResourceAccess,passwordCredentials,tags";

/// An error answer from Graph, classified by its `code` (never its message).
#[derive(Debug)]
pub(crate) struct GraphError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub detail_codes: Vec<String>,
    pub request_id: Option<String>,
    /// What was being done, in the user's words.
    pub action: String,
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Microsoft Graph refused to {}: {} {}",
            self.action,
            self.status.as_u16(),
            self.code
        )?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request-id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for GraphError {}

impl GraphError {
    fn from_reply(action: &str, reply: &Reply) -> GraphError {
        let body: ErrorBody = serde_json::from_str(&reply.body).unwrap_or_default();
        let code = if body.error.code.is_empty() {
            reply
                .status
                .canonical_reason()
                .unwrap_or("error")
                .to_owned()
        } else {
            body.error.code
        };
        GraphError {
            status: reply.status,
            code,
            message: body.error.message,
            detail_codes: body.error.details.into_iter().map(|d| d.code).collect(),
            request_id: reply.request_id().map(str::to_owned),
            action: action.to_owned(),
        }
    }

    pub(crate) fn has_code(&self, code: &str) -> bool {
        self.code.eq_ignore_ascii_case(code)
            || self
                .detail_codes
                .iter()
                .any(|c| c.eq_ignore_ascii_case(code))
    }

    pub(crate) fn is_not_found(&self) -> bool {
        self.status == StatusCode::NOT_FOUND
    }

    /// 403 Authorization_RequestDenied: the token or the user lacks a right.
    pub(crate) fn is_denied(&self) -> bool {
        self.status == StatusCode::FORBIDDEN
    }

    /// The signatures Entra gives while a just-created object replicates
    /// (microsoft-graph.md §5): 404 Request_ResourceNotFound, 400
    /// NoBackingApplicationObject / "does not reference a valid application
    /// object" / "reference-property objects are not present", the 403 "must
    /// in the local tenant" on service-principal create, and 409 on PATCH.
    pub(crate) fn is_replication(&self) -> bool {
        match self.status.as_u16() {
            404 => true,
            400 => {
                self.has_code("NoBackingApplicationObject")
                    || self
                        .message
                        .contains("does not reference a valid application object")
                    || self
                        .message
                        .contains("queried reference-property objects are not present")
            }
            403 => self.message.contains("must in the local tenant"),
            409 => true,
            _ => false,
        }
    }
}

/// Finds the [`GraphError`] in an error chain, if the failure was Graph's answer.
pub(crate) fn graph_error(err: &anyhow::Error) -> Option<&GraphError> {
    err.downcast_ref::<GraphError>()
}

/// A signed-in Graph client.
pub(crate) struct Graph {
    http: Http,
    /// `https://graph.microsoft.com/v1.0` or an override.
    base: Url,
    token: SecretString,
}

impl Graph {
    /// `graph_url` is the host (`https://graph.microsoft.com`); `/v1.0` is added.
    pub(crate) fn new(http: Http, graph_url: &Url, token: SecretString) -> Graph {
        let mut base = graph_url.clone();
        let path = format!("{}/v1.0", base.path().trim_end_matches('/'));
        base.set_path(&path);
        Graph { http, base, token }
    }

    fn url(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        let joined = format!(
            "{}/{}",
            url.path().trim_end_matches('/'),
            path.trim_start_matches('/')
        );
        url.set_path(&joined);
        url
    }

    async fn call(
        &self,
        action: &str,
        method: Method,
        url: Url,
        query: &[(&str, String)],
        body: Option<&Value>,
        retry: Retry,
    ) -> anyhow::Result<Reply> {
        let reply = self
            .http
            .send("Microsoft Graph", retry, |client| {
                let mut req = client
                    .request(method.clone(), url.clone())
                    .bearer_auth(self.token.expose_secret())
                    .header("client-request-id", uuid::Uuid::new_v4().to_string());
                if !query.is_empty() {
                    req = req.query(query);
                }
                if let Some(body) = body {
                    req = req.json(body);
                }
                req
            })
            .await?;
        if reply.status.is_success() {
            Ok(reply)
        } else {
            Err(GraphError::from_reply(action, &reply).into())
        }
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        action: &str,
        path: &str,
        query: &[(&str, String)],
    ) -> anyhow::Result<T> {
        let reply = self
            .call(
                action,
                Method::GET,
                self.url(path),
                query,
                None,
                Retry::Idempotent,
            )
            .await?;
        reply
            .json()
            .with_context(|| format!("reading Graph's answer while trying to {action}"))
    }

    /// A whole collection, following `@odata.nextLink` as an opaque URL (it
    /// must stay on Graph's host: the token goes with it).
    async fn list<T: DeserializeOwned>(
        &self,
        action: &str,
        path: &str,
        query: &[(&str, String)],
    ) -> anyhow::Result<Vec<T>> {
        let mut items = Vec::new();
        let mut page: Page<T> = self.get_json(action, path, query).await?;
        loop {
            items.append(&mut page.value);
            let Some(next) = page.next_link.take() else {
                return Ok(items);
            };
            let next = Url::parse(&next).with_context(|| {
                format!("Graph sent a next-page link that is not a URL while trying to {action}")
            })?;
            anyhow::ensure!(
                next.origin() == self.base.origin(),
                "Graph's next-page link points at another host ({}); not following it",
                next.origin().ascii_serialization()
            );
            let reply = self
                .call(action, Method::GET, next, &[], None, Retry::Idempotent)
                .await?;
            page = reply.json()?;
        }
    }

    /// The directory's name and domains: User.Read (delegated) or
    /// Organization.Read.All (app-only) reads them.
    pub(crate) async fn organization(&self) -> anyhow::Result<Option<Organization>> {
        let orgs: Vec<Organization> = self
            .list(
                "read the organization",
                "organization",
                &[("$select", "id,displayName,verifiedDomains".into())],
            )
            .await?;
        Ok(orgs.into_iter().next())
    }

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

    /// `POST /applications`. Retried on 429 only: a lost answer may mean the
    /// app exists, so the caller looks it up before trying again.
    pub(crate) async fn create_application(
        &self,
        app: &NewApplication,
    ) -> anyhow::Result<Application> {
        let body = serde_json::to_value(app)?;
        let reply = self
            .call(
                "create the application",
                Method::POST,
                self.url("applications"),
                &[],
                Some(&body),
                Retry::ThrottleOnly,
            )
            .await?;
        reply.json()
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
        self.call(
            "delete the application",
            Method::DELETE,
            self.url(&format!("applications/{object_id}")),
            &[],
            None,
            Retry::Idempotent,
        )
        .await?;
        Ok(())
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
                Retry::ThrottleOnly,
            )
            .await?;
        reply.json()
    }

    pub(crate) async fn remove_password(
        &self,
        object_id: &str,
        key_id: &str,
    ) -> anyhow::Result<()> {
        self.call(
            "remove a client secret",
            Method::POST,
            self.url(&format!("applications/{object_id}/removePassword")),
            &[],
            Some(&json!({ "keyId": key_id })),
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

    /// `POST /servicePrincipals`. A conflict means it exists already; the
    /// caller looks it up.
    pub(crate) async fn create_service_principal(
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
                Retry::ThrottleOnly,
            )
            .await?;
        reply.json()
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

    pub(crate) async fn create_grant(
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
                Retry::ThrottleOnly,
            )
            .await?;
        reply.json()
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

/// An OData string literal: quoted, with single quotes doubled.
pub(crate) fn odata_string(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

fn not_found_as_none<T>(result: anyhow::Result<T>) -> anyhow::Result<Option<T>> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(err) if graph_error(&err).is_some_and(GraphError::is_not_found) => Ok(None),
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odata_literals_double_single_quotes() {
        assert_eq!(odata_string("O'Brien"), "'O''Brien'");
        assert_eq!(odata_string("plain"), "'plain'");
    }

    fn err(status: u16, code: &str, message: &str, details: &[&str]) -> GraphError {
        GraphError {
            status: StatusCode::from_u16(status).unwrap(),
            code: code.into(),
            message: message.into(),
            detail_codes: details.iter().map(|s| s.to_string()).collect(),
            request_id: None,
            action: "test".into(),
        }
    }

    #[test]
    fn replication_signatures_are_recognised_by_code_and_known_text() {
        assert!(err(404, "Request_ResourceNotFound", "", &[]).is_replication());
        assert!(
            err(
                400,
                "Request_BadRequest",
                "x",
                &["NoBackingApplicationObject"]
            )
            .is_replication()
        );
        assert!(
            err(403, "Authorization_RequestDenied", "the backing application of the service principal being created must in the local tenant", &[])
                .is_replication()
        );
        assert!(
            !err(
                403,
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
                &[]
            )
            .is_replication()
        );
        assert!(!err(400, "Request_BadRequest", "Invalid property", &[]).is_replication());
    }
}
