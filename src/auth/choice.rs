//! Which way to sign in to Microsoft, and the request it needs: `--auth`
//! by name, or (`auto`) the first way the environment is configured for,
//! in the README's order; then what that way needs, from the sign-in
//! values and the ecosystem's variables (`AZURE_*`, GitHub Actions OIDC,
//! `PATH`). Settings resolves the flags and hands them in as plain values
//! ([`Given`]): auth sits below it and knows nothing of clap or provenance.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use secrecy::SecretString;
use url::Url;

use super::{GivenToken, SignIn, az_cli, browser, client_secret, device_code, workload_identity};
use crate::cloud::Endpoints;
use crate::env::{self, Environment};
use crate::error::{Failure, Kind, usage};
use crate::validate;

/// A way to sign in, by name (`--auth`, but `auto`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    AzCli,
    DeviceCode,
    Browser,
    ClientSecret,
    WorkloadIdentity,
    Token,
}

impl Method {
    /// The name `--auth` takes.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Method::AzCli => "az-cli",
            Method::DeviceCode => "device-code",
            Method::Browser => "browser",
            Method::ClientSecret => "client-secret",
            Method::WorkloadIdentity => "workload-identity",
            Method::Token => "token",
        }
    }
}

/// What the sign-in is chosen from: the sign-in flags as settings resolved
/// them, whether there is a terminal, and the environment.
pub(crate) struct Given<'a> {
    /// `--auth`; `None` is `auto`.
    pub method: Option<Method>,
    /// `--client-id`: the identity that signs in.
    pub client_id: Option<&'a str>,
    pub client_secret_file: Option<&'a Path>,
    pub graph_token_file: Option<&'a Path>,
    /// `--admin-consent`: a user's sign-in asks for the scope to grant it.
    pub admin_consent: bool,
    /// A terminal is there (for a device code).
    pub interactive: bool,
    pub env: &'a Environment,
}

impl Given<'_> {
    /// How to sign in, with the tenant (checked) if one was given. A
    /// secret the wizard had typed (`typed_secret`) is used only when
    /// neither `--client-secret-file` nor AZURE_CLIENT_SECRET gives one.
    pub(crate) fn sign_in(
        &self,
        tenant: Option<String>,
        endpoints: &Endpoints,
        typed_secret: Option<SecretString>,
    ) -> anyhow::Result<SignIn> {
        let method = match self.method {
            Some(method) => method,
            None => self.choose_auto()?,
        };
        match method {
            Method::Token => self.token(tenant),
            Method::ClientSecret => self.client_secret(tenant, typed_secret),
            Method::WorkloadIdentity => Ok(SignIn::WorkloadIdentity(workload_identity::Request {
                tenant: need_tenant(tenant, method)?,
                client_id: self.pipeline_client_id(method)?,
                assertion: federated_assertion(self.env)?,
            })),
            Method::AzCli => Ok(SignIn::AzCli(az_cli::Request {
                tenant,
                program: az_cli::locate(self.env.os(env::PATH), self.env.os(env::PATHEXT)),
            })),
            Method::DeviceCode | Method::Browser => self.as_a_user(method, tenant, endpoints),
        }
    }

    /// `--auth token`: a Graph token from `--graph-token-file`.
    fn token(&self, tenant: Option<String>) -> anyhow::Result<SignIn> {
        let path = self.graph_token_file.ok_or_else(|| {
            usage(format!(
                "--auth token needs --graph-token-file PATH (or {})",
                env::GRAPH_TOKEN_FILE
            ))
        })?;
        let token = read_secret_file(path, "--graph-token-file")?;
        Ok(SignIn::Token(GivenToken { token, tenant }))
    }

    /// `--auth client-secret`: the pipeline's app and its secret.
    fn client_secret(
        &self,
        tenant: Option<String>,
        typed_secret: Option<SecretString>,
    ) -> anyhow::Result<SignIn> {
        let tenant = need_tenant(tenant, Method::ClientSecret)?;
        let client_id = self.pipeline_client_id(Method::ClientSecret)?;
        let (secret, source) = self.pipeline_secret(typed_secret)?;
        Ok(SignIn::ClientSecret(client_secret::Request {
            tenant,
            client_id,
            secret,
            source,
        }))
    }

    /// `--auth device-code` or `browser`: a person signs in, through
    /// `--client-id` (or AAD_SETUP_PUBLIC_CLIENT_ID), else Microsoft Graph
    /// Command Line Tools.
    fn as_a_user(
        &self,
        method: Method,
        tenant: Option<String>,
        endpoints: &Endpoints,
    ) -> anyhow::Result<SignIn> {
        let client_id = match self
            .client_id
            .map(str::to_owned)
            .or_else(|| self.env.var(env::PUBLIC_CLIENT_ID))
        {
            Some(id) => validate::guid("public client id", &id).map_err(usage)?,
            None => {
                tracing::info!(
                    "signing in as yourself through Microsoft Graph Command Line Tools ({}); give --client-id or {} to use your organisation's own public client",
                    device_code::GRAPH_CLI_CLIENT_ID,
                    env::PUBLIC_CLIENT_ID
                );
                device_code::GRAPH_CLI_CLIENT_ID.to_owned()
            }
        };
        let tenant = tenant.unwrap_or_else(|| "organizations".into());
        let scope = device_code::scopes(endpoints, self.admin_consent);
        Ok(if method == Method::Browser {
            SignIn::Browser(browser::Request {
                tenant,
                client_id,
                scope,
                browser: self.env.var(env::BROWSER),
            })
        } else {
            SignIn::DeviceCode(device_code::Request {
                tenant,
                client_id,
                scope,
            })
        })
    }

    /// The app-only methods' client id: `--client-id`, else AZURE_CLIENT_ID.
    fn pipeline_client_id(&self, method: Method) -> anyhow::Result<String> {
        let id = self
            .client_id
            .map(str::to_owned)
            .or_else(|| self.env.var(env::AZURE_CLIENT_ID))
            .ok_or_else(|| {
                usage(format!(
                    "--auth {} needs the signing-in app's client id: --client-id or {}",
                    method.name(),
                    env::AZURE_CLIENT_ID
                ))
            })?;
        validate::guid("client id", &id).map_err(usage)
    }

    /// The pipeline identity's client secret, and where it came from:
    /// `--client-secret-file`, else AZURE_CLIENT_SECRET, else what the
    /// wizard had typed.
    fn pipeline_secret(
        &self,
        typed_secret: Option<SecretString>,
    ) -> anyhow::Result<(SecretString, String)> {
        if let Some(path) = self.client_secret_file {
            return Ok((
                read_secret_file(path, "--client-secret-file")?,
                path.display().to_string(),
            ));
        }
        match (self.env.var(env::AZURE_CLIENT_SECRET), typed_secret) {
            (Some(s), _) => Ok((
                SecretString::from(s.trim().to_owned()),
                env::AZURE_CLIENT_SECRET.to_owned(),
            )),
            (None, Some(typed)) => Ok((typed, "the prompt".to_owned())),
            (None, None) => Err(usage(format!(
                "--auth client-secret needs the secret: {} or --client-secret-file",
                env::AZURE_CLIENT_SECRET
            ))),
        }
    }

    /// `--auth auto`: the first method the environment is configured for.
    fn choose_auto(&self) -> anyhow::Result<Method> {
        if let Some(method) = self.auto() {
            return Ok(method);
        }
        tracing::info!("sign-in (auto): no terminal, so no device code sign-in");
        Err(Failure::new(Kind::SignIn, "no way to sign in to Microsoft was found")
            .with_hint(format!(
                "in a pipeline set {tenant} and {client} with {secret} (client secret) or {fed} / GitHub OIDC (`permissions: id-token: write`) for workload identity; or log in with `az login`; or give --graph-token-file",
                tenant = env::AZURE_TENANT_ID,
                client = env::AZURE_CLIENT_ID,
                secret = env::AZURE_CLIENT_SECRET,
                fed = env::AZURE_FEDERATED_TOKEN_FILE,
            ))
            .into())
    }

    /// What `--auth auto` picks, in the README's order (the wizard offers
    /// it as the default), or `None` when nothing is configured and there
    /// is no terminal. `-v` says which was chosen and why others were not.
    pub(crate) fn auto(&self) -> Option<Method> {
        let environment = self.env;
        let pick = |method: Method, why: &str| {
            tracing::info!("sign-in (auto): {why}: using --auth {}", method.name());
            Some(method)
        };
        if self.graph_token_file.is_some() {
            return pick(Method::Token, "a Graph token file is given");
        }
        tracing::info!(
            "sign-in (auto): no --graph-token-file / {}",
            env::GRAPH_TOKEN_FILE
        );
        if self.client_secret_file.is_some() || environment.var(env::AZURE_CLIENT_SECRET).is_some()
        {
            return pick(Method::ClientSecret, "a client secret is configured");
        }
        tracing::info!(
            "sign-in (auto): no {} / --client-secret-file",
            env::AZURE_CLIENT_SECRET
        );
        if environment.var(env::AZURE_FEDERATED_TOKEN_FILE).is_some() {
            return pick(
                Method::WorkloadIdentity,
                "AZURE_FEDERATED_TOKEN_FILE is set",
            );
        }
        tracing::info!("sign-in (auto): no {}", env::AZURE_FEDERATED_TOKEN_FILE);
        let github = github_oidc(environment);
        if github && (self.client_id.is_some() || environment.var(env::AZURE_CLIENT_ID).is_some()) {
            return pick(Method::WorkloadIdentity, "GitHub Actions OIDC is available");
        }
        tracing::info!(
            "sign-in (auto): no GitHub Actions OIDC ({}{})",
            if github {
                ""
            } else {
                "ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN unset"
            },
            if github { "AZURE_CLIENT_ID unset" } else { "" }
        );
        if az_cli::available(environment.os(env::PATH), environment.os(env::PATHEXT)) {
            return pick(Method::AzCli, "the Azure CLI (az) is on PATH");
        }
        tracing::info!("sign-in (auto): the Azure CLI (az) is not on PATH");
        if self.interactive {
            return pick(Method::DeviceCode, "this is a terminal");
        }
        None
    }
}

/// The tenant an app-only method needs.
fn need_tenant(tenant: Option<String>, method: Method) -> anyhow::Result<String> {
    tenant.ok_or_else(|| {
        usage(format!(
            "--auth {} needs the tenant: --tenant, {} or {}",
            method.name(),
            env::TENANT,
            env::AZURE_TENANT_ID
        ))
    })
}

/// A federated token is available (a file, or GitHub Actions OIDC).
pub(crate) fn federated_available(environment: &Environment) -> bool {
    environment.var(env::AZURE_FEDERATED_TOKEN_FILE).is_some() || github_oidc(environment)
}

fn github_oidc(environment: &Environment) -> bool {
    environment.var(env::ACTIONS_ID_TOKEN_REQUEST_URL).is_some()
        && environment
            .var(env::ACTIONS_ID_TOKEN_REQUEST_TOKEN)
            .is_some()
}

/// The federated token `--auth workload-identity` presents: a file
/// (AZURE_FEDERATED_TOKEN_FILE), else GitHub Actions OIDC (with
/// AAD_SETUP_OIDC_AUDIENCE when set; else the cloud's audience).
fn federated_assertion(environment: &Environment) -> anyhow::Result<workload_identity::Assertion> {
    use workload_identity::Assertion;
    if let Some(file) = environment.var(env::AZURE_FEDERATED_TOKEN_FILE) {
        Ok(Assertion::File(PathBuf::from(file)))
    } else if let (Some(url), Some(token)) = (
        environment.var(env::ACTIONS_ID_TOKEN_REQUEST_URL),
        environment.var(env::ACTIONS_ID_TOKEN_REQUEST_TOKEN),
    ) {
        let url = validate::service_url(env::ACTIONS_ID_TOKEN_REQUEST_URL, &url)
            .or_else(|e| {
                // The runner's URL carries a query string; validate the rest.
                Url::parse(&url)
                    .ok()
                    .filter(|u| u.scheme() == "https" || validate::is_loopback(u))
                    .ok_or(e)
            })
            .map_err(usage)?;
        let audience = match environment.var(env::OIDC_AUDIENCE) {
            Some(a) if a.trim().contains(char::is_whitespace) => {
                return Err(usage(format!(
                    "{}: '{a}' is not an audience (such as api://AzureADTokenExchange)",
                    env::OIDC_AUDIENCE
                )));
            }
            other => other.map(|a| a.trim().to_owned()),
        };
        Ok(Assertion::GitHub {
            url,
            token: SecretString::from(token),
            audience,
        })
    } else {
        Err(usage(format!(
            "--auth workload-identity needs a federated token: {} (a file), or GitHub Actions OIDC ({} and {}: give the workflow `permissions: id-token: write`)",
            env::AZURE_FEDERATED_TOKEN_FILE,
            env::ACTIONS_ID_TOKEN_REQUEST_URL,
            env::ACTIONS_ID_TOKEN_REQUEST_TOKEN
        )))
    }
}

/// A secret from a file (`-` for stdin), trimmed; an empty one is refused.
pub(crate) fn read_secret_file(path: &Path, what: &str) -> anyhow::Result<SecretString> {
    let raw = if path == Path::new("-") {
        let mut buf = String::new();
        std::io::stdin()
            .read_to_string(&mut buf)
            .with_context(|| format!("{what}: reading stdin"))?;
        buf
    } else {
        std::fs::read_to_string(path)
            .map_err(|e| usage(format!("{what}: cannot read {}: {e}", path.display())))?
    };
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(usage(format!("{what}: {} is empty", path.display())));
    }
    Ok(SecretString::from(trimmed.to_owned()))
}
