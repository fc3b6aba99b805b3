//! App-only sign-in with client credentials (docs/sign-in.md §6, §7): the
//! one token exchange that a client secret, a federated assertion and the
//! verification of a new secret all use.

use secrecy::{ExposeSecret as _, SecretString};

use super::entra::{self, EntraError, TokenResponse};
use super::{Session, claims};
use crate::cloud::Endpoints;
use crate::error::{Failure, Kind};
use crate::http::Http;

/// Signing in as an app with its client secret.
#[derive(Debug)]
pub(crate) struct Request {
    pub tenant: String,
    pub client_id: String,
    pub secret: SecretString,
    /// Where the secret came from, for messages.
    pub source: String,
}

/// `https://graph.microsoft.com/.default` for the cloud's Graph.
pub(crate) fn graph_default_scope(endpoints: &Endpoints) -> String {
    format!("{}/.default", endpoints.cloud.graph.trim_end_matches('/'))
}

/// What proves the app's identity.
pub(crate) enum Credential<'a> {
    Secret(&'a SecretString),
    /// A federated JWT (`client_assertion`, jwt-bearer).
    Assertion(&'a SecretString),
}

/// The client-credentials request for a Graph token. The outer error is
/// transport; the inner one is Entra's answer.
pub(crate) async fn request(
    http: &Http,
    endpoints: &Endpoints,
    tenant: &str,
    client_id: &str,
    credential: Credential<'_>,
) -> anyhow::Result<Result<TokenResponse, EntraError>> {
    let scope = graph_default_scope(endpoints);
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("scope", scope.as_str()),
    ];
    match credential {
        Credential::Secret(secret) => form.push(("client_secret", secret.expose_secret())),
        Credential::Assertion(jwt) => {
            form.push((
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ));
            form.push(("client_assertion", jwt.expose_secret()));
        }
    }
    entra::request_token(http, &endpoints.login, tenant, &form).await
}

/// How an app-only sign-in is named: in messages, in the session, and the
/// hint given when Entra gives none.
pub(crate) struct Named<'a> {
    /// The credential in messages ("the client secret from AZURE_CLIENT_SECRET").
    pub what: &'a str,
    /// The `--auth` method, as the session records it.
    pub method: &'static str,
    pub fallback_hint: Option<&'a str>,
}

/// Signs in app-only as `client_id` with `credential`.
pub(crate) async fn sign_in_app(
    http: &Http,
    endpoints: &Endpoints,
    (tenant, client_id): (&str, &str),
    credential: Credential<'_>,
    named: Named<'_>,
) -> anyhow::Result<Session> {
    let Named {
        what,
        method,
        fallback_hint,
    } = named;
    let token = request(http, endpoints, tenant, client_id, credential)
        .await?
        .map_err(|error| {
            let mut failure = Failure::new(
                Kind::SignIn,
                format!("signing in to Microsoft as app {client_id} with {what} failed: {error}"),
            );
            if let Some(hint) = error.hint().or(fallback_hint) {
                failure = failure.with_hint(hint);
            }
            anyhow::Error::from(failure)
        })?;
    tracing::info!("signed in to Microsoft as app {client_id} ({what})");
    let read = claims::read(&token.access_token);
    Ok(Session {
        tenant_id: read
            .as_ref()
            .and_then(|c| c.tid.clone())
            .unwrap_or_else(|| tenant.to_owned()),
        permissions: read.as_ref().map(claims::Claims::permissions),
        app_only: true,
        identity: format!("app {client_id}"),
        method,
        token: token.access_token,
        directory: None,
    })
}

pub(crate) async fn sign_in(
    http: &Http,
    endpoints: &Endpoints,
    tenant: &str,
    client_id: &str,
    secret: &SecretString,
    source: &str,
) -> anyhow::Result<Session> {
    sign_in_app(
        http,
        endpoints,
        (tenant, client_id),
        Credential::Secret(secret),
        Named {
            what: &format!("the client secret from {source}"),
            method: "client-secret",
            fallback_hint: None,
        },
    )
    .await
}
