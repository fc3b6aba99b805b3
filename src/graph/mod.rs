//! The Microsoft Graph v1.0 client: the calls of docs/graph.md §2, and
//! nothing else.
//!
//! Each method is one request (or one paged listing). Retrying through
//! replication delay is the steps' business, because only a step knows
//! whether it just created the object it cannot see; throttling is retried
//! below, in [`crate::http`].

pub(crate) mod clock;
pub(crate) mod policies;
pub(crate) mod types;

use std::fmt;

use anyhow::Context as _;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret as _, SecretString};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use url::Url;

use crate::http::{Http, Reply, Retry, is_lost};
use types::*;

/// The properties read when looking for an application.
const APP_SELECT: &str = "id,appId,displayName,signInAudience,web,requiredResourceAccess,passwordCredentials,tags,createdDateTime";

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
    /// The request's method: a 409 is replication only on a PATCH.
    pub method: Method,
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
    fn from_reply(action: &str, method: &Method, reply: &Reply) -> GraphError {
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
            method: method.clone(),
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

    /// 409 on a create: the object exists already.
    pub fn is_conflict(&self) -> bool {
        self.status == StatusCode::CONFLICT
    }

    /// 403 Authorization_RequestDenied: the token or the user lacks a right.
    pub(crate) fn is_denied(&self) -> bool {
        self.status == StatusCode::FORBIDDEN
    }

    /// The signatures Entra gives while a just-created object replicates
    /// (docs/graph.md §5): 404 Request_ResourceNotFound, 400
    /// NoBackingApplicationObject / "does not reference a valid application
    /// object" / "reference-property objects are not present", the 403 "must
    /// in the local tenant" on service-principal create, and 409 on PATCH
    /// only (on a create, 409 means the object exists: look it up).
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
            409 => self.method == Method::PATCH,
            _ => false,
        }
    }
}

/// A lost answer to a create: dropped, garbled or a 5xx. The object may or
/// may not exist; look before trying again (see [`crate::http`]'s table).
pub fn is_ambiguous(err: &anyhow::Error) -> bool {
    graph_error(err).is_some_and(|g| g.status.is_server_error()) || is_lost(err)
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
    /// The directory's clock, moved by every answer's `Date` header.
    clock: clock::Clock,
}

impl Graph {
    /// `graph_url` is the host (`https://graph.microsoft.com`); `/v1.0` is added.
    pub(crate) fn new(http: Http, graph_url: &Url, token: SecretString) -> Graph {
        let mut base = graph_url.clone();
        let path = format!("{}/v1.0", base.path().trim_end_matches('/'));
        base.set_path(&path);
        Graph {
            http,
            base,
            token,
            clock: clock::Clock::default(),
        }
    }

    /// The directory's clock as this client's answers tell it: what every
    /// expiry is judged against.
    pub(crate) fn clock(&self) -> &clock::Clock {
        &self.clock
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
        let reply = self.exchange(&method, url, query, body, retry).await?;
        if reply.status.is_success() {
            Ok(reply)
        } else {
            Err(GraphError::from_reply(action, &method, &reply).into())
        }
    }

    /// A delete (or `removePassword`): not found after a retry means an
    /// earlier attempt did it, and its answer was lost.
    async fn delete_call(
        &self,
        action: &str,
        method: Method,
        url: Url,
        body: Option<&Value>,
        gone: impl Fn(&GraphError) -> bool,
    ) -> anyhow::Result<()> {
        let reply = self
            .exchange(&method, url, &[], body, Retry::Idempotent)
            .await?;
        if reply.status.is_success() {
            return Ok(());
        }
        let err = GraphError::from_reply(action, &method, &reply);
        if reply.attempts > 1 && gone(&err) {
            tracing::info!("{action}: already done by an attempt whose answer was lost");
            return Ok(());
        }
        Err(err.into())
    }

    async fn exchange(
        &self,
        method: &Method,
        url: Url,
        query: &[(&str, String)],
        body: Option<&Value>,
        retry: Retry,
    ) -> anyhow::Result<Reply> {
        let reply = self
            .http
            .send("Microsoft Graph", retry, {
                // One client-request-id for the request and its retries, as
                // Microsoft's SDKs send it, so a support case names them all.
                let mut req = self
                    .http
                    .request(method.clone(), url)
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
        self.clock.observe(&reply.headers);
        Ok(reply)
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

    /// The delay before look `n` while waiting for Entra to replicate.
    pub(crate) fn poll_delay(&self, n: u32) -> std::time::Duration {
        self.http.policy.poll_delay(n)
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

    /// The create-then-look loop of the retry table ([`crate::http`]): a
    /// lost answer is followed by a look, and the create is sent again only
    /// when nothing is found; a 409 is followed by looks (the existing
    /// object may not be listed yet), never by a second create.
    async fn create_or_find<T, C, CF, F, FF>(&self, create: C, find: F) -> anyhow::Result<Made<T>>
    where
        C: Fn() -> CF,
        CF: std::future::Future<Output = anyhow::Result<T>>,
        F: Fn() -> FF,
        FF: std::future::Future<Output = anyhow::Result<Option<T>>>,
    {
        let mut sent = 0u32;
        loop {
            sent += 1;
            let err = match create().await {
                Ok(value) => {
                    return Ok(Made {
                        value,
                        found: false,
                    });
                }
                Err(err) => err,
            };
            let conflict = graph_error(&err).is_some_and(GraphError::is_conflict);
            if !conflict && !is_ambiguous(&err) {
                return Err(err);
            }
            // A conflict: it exists, wait for it to be listed; a lost
            // answer: one look, then send again.
            let looks = if conflict { LOOKS_AFTER_CONFLICT } else { 1 };
            for n in 0..looks {
                if let Some(value) = find().await? {
                    return Ok(Made { value, found: true });
                }
                if n + 1 < looks {
                    tokio::time::sleep(self.http.policy.look_delay(n)).await;
                }
            }
            if conflict || sent >= self.http.policy.attempts {
                return Err(err);
            }
            tracing::info!("nothing found after a lost answer; creating again: {err:#}");
            tokio::time::sleep(self.http.policy.delay(sent - 1, None)).await;
        }
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

/// What a create-or-find call got: the object, and whether it existed
/// already (found) rather than being made by this call.
#[derive(Debug)]
pub struct Made<T> {
    pub value: T,
    pub found: bool,
}

/// Looks (with short waits between) for an object a 409 says exists: the
/// object is there, only the listing lags, as long as replication can (the
/// waits of [`crate::http::Policy::look_delay`]: 0.5, 1, 2, 4 s, then every
/// 5 s, about two minutes in all, within the three-minute replication budget
/// of docs/graph.md §5; it was 8 looks, about 20 s).
pub(crate) const LOOKS_AFTER_CONFLICT: u32 = 28;
/// Looks for an app whose create lost its answer before creating again.
const LOOKS_AFTER_LOST_APP: u32 = 4;

/// A 400 about the `keyId` of `removePassword`: no such key (removed
/// already, or not replicated yet).
fn names_key(e: &GraphError, key_id: &str) -> bool {
    e.message.contains(key_id) || e.message.contains("'keyId'")
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
            method: if status == 409 {
                Method::PATCH
            } else {
                Method::POST
            },
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
