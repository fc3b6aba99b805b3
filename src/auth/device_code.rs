//! The device authorization flow (docs/sign-in.md §4): for an admin on a
//! terminal with no browser on this machine (SSH, a server).
//!
//! The code and the URL go to stderr, prominently; polling honours the
//! server's `interval`, adds 5 s on `slow_down` (RFC 8628 §3.5), and stops
//! on `authorization_declined`, `expired_token`, `bad_verification_code`, or
//! the deadline. Ctrl-C ends it at once (the caller's select).

use std::time::{Duration, Instant};

use anyhow::Context as _;
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;

use super::{Session, claims, entra};
use crate::cloud::Endpoints;
use crate::error::{Failure, Kind};
use crate::http::{Http, Retry};
use crate::output::Printer;

/// Signing in as a user through the device authorization flow.
#[derive(Debug)]
pub(crate) struct Request {
    /// A tenant, or `organizations` (the token says which).
    pub tenant: String,
    pub client_id: String,
    pub scope: String,
}

/// Microsoft Graph Command Line Tools: a first-party public client that
/// accepts dynamic Graph scopes (docs/sign-in.md §10). Tenants can block
/// it; `--client-id` / AAD_SETUP_PUBLIC_CLIENT_ID names the organisation's own.
pub(crate) const GRAPH_CLI_CLIENT_ID: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";

#[derive(Deserialize)]
struct DeviceCode {
    device_code: SecretString,
    user_code: String,
    verification_uri: String,
    expires_in: u64,
    #[serde(default = "default_interval")]
    interval: u64,
    #[serde(default)]
    message: Option<String>,
}

fn default_interval() -> u64 {
    5
}

/// The scopes a run needs, and nothing more: User.Read reads the directory's
/// name (docs/graph.md §2.10).
pub(crate) fn scopes(endpoints: &Endpoints, admin_consent: bool) -> String {
    let graph = endpoints.cloud.graph.trim_end_matches('/');
    let mut scopes = vec![
        format!("{graph}/Application.ReadWrite.All"),
        format!("{graph}/User.Read"),
    ];
    if admin_consent {
        scopes.push(format!("{graph}/DelegatedPermissionGrant.ReadWrite.All"));
    }
    scopes.extend(["openid", "profile", "offline_access"].map(String::from));
    scopes.join(" ")
}

pub(crate) async fn sign_in(
    http: &Http,
    endpoints: &Endpoints,
    printer: &Printer,
    tenant: &str,
    client_id: &str,
    scope: &str,
) -> anyhow::Result<Session> {
    let url = entra::endpoint(&endpoints.login, tenant, "devicecode");
    let reply = http
        .send(
            "Microsoft Entra sign-in",
            Retry::Idempotent,
            http.request(reqwest::Method::POST, url)
                .form(&[("client_id", client_id), ("scope", scope)]),
        )
        .await?;
    if !reply.status.is_success() {
        let mut error: entra::EntraError = serde_json::from_str(&reply.body).unwrap_or_default();
        error.status = reply.status.as_u16();
        let mut failure = Failure::new(
            Kind::SignIn,
            format!("Entra refused to start a device code sign-in: {error}"),
        );
        if let Some(hint) = error.hint() {
            failure = failure.with_hint(hint);
        }
        return Err(failure.into());
    }
    let code: DeviceCode = reply.json().context("reading Entra's device code answer")?;
    printer.notice(&format!(
        "To sign in to Microsoft, open {} and enter the code {}",
        code.verification_uri, code.user_code
    ));
    if let Some(message) = &code.message {
        tracing::debug!("Entra says: {message}");
    }
    let deadline = Instant::now() + Duration::from_secs(code.expires_in);
    let mut interval = Duration::from_secs(code.interval.max(1));
    let _spinner = printer.spinner("Waiting for you to sign in in the browser");
    loop {
        tokio::time::sleep(interval).await;
        if Instant::now() >= deadline {
            return Err(expired());
        }
        let answer = entra::request_token(
            http,
            &endpoints.login,
            tenant,
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("client_id", client_id),
                ("device_code", code.device_code.expose_secret()),
            ],
        )
        .await?;
        match answer {
            Ok(token) => return Ok(delegated_session(token, tenant, "device-code")),
            Err(e) => match e.error.as_str() {
                "authorization_pending" => {}
                "slow_down" => {
                    interval += Duration::from_secs(5);
                    tracing::info!(
                        "Entra asked to poll more slowly; now every {}s",
                        interval.as_secs()
                    );
                }
                "authorization_declined" => {
                    return Err(Failure::new(
                        Kind::SignIn,
                        "the sign-in was declined in the browser",
                    )
                    .with_hint("run again and approve the sign-in, or choose another --auth method")
                    .into());
                }
                "expired_token" => return Err(expired()),
                _ => {
                    let mut failure =
                        Failure::new(Kind::SignIn, format!("device code sign-in failed: {e}"));
                    if let Some(hint) =
                        entra::consent_hint(&e, &endpoints.login, tenant, client_id, scope)
                    {
                        failure = failure.with_hint(hint);
                    } else if let Some(hint) = e.hint() {
                        failure = failure.with_hint(hint);
                    }
                    return Err(failure.into());
                }
            },
        }
    }
}

/// A user's session from a token answer (device code, browser): the
/// tenant and the user from the token's claims, the permissions from its
/// `scp` or else the answer's `scope`.
pub(crate) fn delegated_session(
    token: entra::TokenResponse,
    tenant: &str,
    method: &'static str,
) -> Session {
    let read = claims::read(&token.access_token);
    let scopes_granted = token.scope.as_deref().map(|s| {
        s.split_whitespace()
            .map(|x| x.rsplit('/').next().unwrap_or(x).to_owned())
            .collect::<Vec<_>>()
    });
    let permissions = read
        .as_ref()
        .map(claims::Claims::permissions)
        .or(scopes_granted);
    Session {
        tenant_id: read
            .as_ref()
            .and_then(|c| c.tid.clone())
            .unwrap_or_else(|| tenant.to_owned()),
        permissions,
        app_only: false,
        identity: read
            .as_ref()
            .and_then(|c| c.upn.clone())
            .map_or_else(|| "the signed-in user".to_owned(), |u| format!("user {u}")),
        method,
        token: token.access_token,
        directory: None,
    }
}

fn expired() -> anyhow::Error {
    Failure::new(
        Kind::SignIn,
        "the device code expired before the sign-in was completed",
    )
    .with_hint("run again and enter the code within the time shown")
    .into()
}
