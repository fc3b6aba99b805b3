//! App-only sign-in with a client secret (client credentials,
//! entra-sign-in.md §6).

use secrecy::{ExposeSecret as _, SecretString};

use super::{Session, claims, entra};
use crate::error::{Failure, Kind};
use crate::http::Http;
use crate::settings::Endpoints;

/// `https://graph.microsoft.com/.default` for the cloud's Graph.
pub fn graph_default_scope(endpoints: &Endpoints) -> String {
    format!("{}/.default", endpoints.cloud.graph.trim_end_matches('/'))
}

pub async fn sign_in(
    http: &Http,
    endpoints: &Endpoints,
    tenant: &str,
    client_id: &str,
    secret: &SecretString,
    source: &str,
) -> anyhow::Result<Session> {
    let scope = graph_default_scope(endpoints);
    let answer = entra::request_token(
        http,
        &endpoints.login,
        tenant,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret.expose_secret()),
            ("scope", &scope),
        ],
    )
    .await?;
    let token = match answer {
        Ok(token) => token,
        Err(error) => {
            let mut failure = Failure::new(
                Kind::SignIn,
                format!(
                    "signing in to Microsoft as app {client_id} with the client secret from {source} failed: {error}"
                ),
            );
            if let Some(hint) = error.hint() {
                failure = failure.with_hint(hint);
            }
            return Err(failure.into());
        }
    };
    let read = claims::read(&token.access_token);
    tracing::info!("signed in to Microsoft as app {client_id} (client secret from {source})");
    Ok(Session {
        tenant_id: read
            .as_ref()
            .and_then(|c| c.tid.clone())
            .unwrap_or_else(|| tenant.to_owned()),
        permissions: read.as_ref().map(claims::Claims::permissions),
        app_only: true,
        identity: format!("app {client_id}"),
        method: "client-secret",
        token: token.access_token,
    })
}
