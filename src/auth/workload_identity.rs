//! Federated workload identity (docs/sign-in.md §7): a JWT from the
//! environment is exchanged as a `client_assertion` — the secretless way
//! pipelines should sign in.
//!
//! The assertion comes from `AZURE_FEDERATED_TOKEN_FILE` (re-read for every
//! request: the platform rotates it) or from GitHub Actions' OIDC endpoint
//! (`ACTIONS_ID_TOKEN_REQUEST_URL` + `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, with
//! the cloud's audience: `api://AzureADTokenExchange`, `…USGov` or `…China`,
//! what a federated credential expects there by default).

use std::path::PathBuf;

use anyhow::Context as _;
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use url::Url;

use super::Session;
use super::client_secret::{Credential, Named, sign_in_app};
use crate::cloud::Endpoints;
use crate::error::{Failure, Kind};
use crate::http::{Http, Retry};
use crate::output::Printer;

/// Signing in as an app with a federated assertion.
#[derive(Debug)]
pub(crate) struct Request {
    pub tenant: String,
    pub client_id: String,
    pub assertion: Assertion,
}

/// Where the federated assertion comes from.
#[derive(Debug, Clone)]
pub(crate) enum Assertion {
    File(PathBuf),
    GitHub {
        url: Url,
        token: SecretString,
        /// AAD_SETUP_OIDC_AUDIENCE; `None`: the cloud's default.
        audience: Option<String>,
    },
}

impl Assertion {
    pub(crate) fn describe(&self) -> String {
        match self {
            Assertion::File(p) => format!("the federated token file {}", p.display()),
            Assertion::GitHub { .. } => "GitHub Actions' OIDC token".to_owned(),
        }
    }

    async fn fetch(
        &self,
        http: &Http,
        printer: &Printer,
        default_audience: &str,
    ) -> anyhow::Result<SecretString> {
        match self {
            Assertion::File(path) => {
                let raw = std::fs::read_to_string(path).map_err(|e| {
                    Failure::new(
                        Kind::SignIn,
                        format!(
                            "cannot read the federated token file {}: {e}",
                            path.display()
                        ),
                    )
                })?;
                let raw = raw.trim();
                if raw.is_empty() {
                    return Err(Failure::new(
                        Kind::SignIn,
                        format!("the federated token file {} is empty", path.display()),
                    )
                    .into());
                }
                Ok(SecretString::from(raw.to_owned()))
            }
            Assertion::GitHub {
                url,
                token,
                audience: chosen,
            } => {
                let mut url = url.clone();
                let audience = chosen.as_deref().unwrap_or(default_audience);
                url.query_pairs_mut().append_pair("audience", audience);
                let reply = http
                    .send(
                        "GitHub Actions' OIDC endpoint",
                        Retry::Idempotent,
                        http.request(reqwest::Method::GET, url)
                            .bearer_auth(token.expose_secret()),
                    )
                    .await?;
                if !reply.status.is_success() {
                    return Err(Failure::new(
                        Kind::SignIn,
                        format!(
                            "GitHub Actions' OIDC endpoint answered {}",
                            reply.status.as_u16()
                        ),
                    )
                    .with_hint("give the workflow `permissions: id-token: write`")
                    .into());
                }
                #[derive(Deserialize)]
                struct Oidc {
                    value: SecretString,
                }
                let oidc: Oidc = reply.json().context("reading GitHub's OIDC token")?;
                printer.mask(oidc.value.expose_secret());
                Ok(oidc.value)
            }
        }
    }
}

pub(crate) async fn sign_in(
    http: &Http,
    endpoints: &Endpoints,
    printer: &Printer,
    tenant: &str,
    client_id: &str,
    assertion: &Assertion,
) -> anyhow::Result<Session> {
    let jwt = assertion
        .fetch(http, printer, endpoints.cloud.token_exchange_audience)
        .await?;
    sign_in_app(
        http,
        endpoints,
        (tenant, client_id),
        Credential::Assertion(&jwt),
        Named {
            what: &assertion.describe(),
            method: "workload-identity",
            fallback_hint: Some(
                "check the app's federated credential: its issuer, subject and audience must match the token exactly",
            ),
        },
    )
    .await
}
