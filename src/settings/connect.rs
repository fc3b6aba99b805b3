//! `connect`'s settings: the app registered elsewhere (its client id,
//! tenant and secret) and the platform's values, checked.

use std::path::{Path, PathBuf};

use secrecy::SecretString;

use super::endpoints::{endpoints_of, tenant};
use super::global::{default_state_dir, http_options};
use super::inputs::{Inputs, Partial};
use super::plan::{PlatformSpec, Supplied, platform_spec};
use crate::auth::choice::read_secret_file;
use crate::auth::{SignIn, client_secret};
use crate::cli::{Cmd, ConnectArgs, Flag, MicrosoftArgs};
use crate::cloud::Endpoints;
use crate::env::{self, Environment};
use crate::error::usage;
use crate::validate;

/// The app whose values `connect` puts on the platform: registered
/// elsewhere, identified by its client id, with its secret.
pub(crate) struct AppCredentials {
    pub tenant: String,
    pub client_id: String,
    pub secret: SecretString,
    /// Where the secret came from, for messages.
    pub source: String,
}

impl AppCredentials {
    /// Signing in as the app itself: how `connect` checks the secret.
    pub(crate) fn sign_in(&self) -> SignIn {
        SignIn::ClientSecret(client_secret::Request {
            tenant: self.tenant.clone(),
            client_id: self.client_id.clone(),
            secret: self.secret.clone(),
            source: self.source.clone(),
        })
    }
}

/// Everything `connect` needs, validated.
pub(crate) struct ConnectPlan {
    pub endpoints: Endpoints,
    pub app: AppCredentials,
    pub platform: PlatformSpec,
    /// The Resource value: `--resource`, else the cloud's Microsoft Graph.
    pub resource: String,
    pub replace: bool,
    pub dry_run: bool,
    /// Where `connect` records what it made (`AAD_SETUP_STATE_DIR`).
    pub state_dir: PathBuf,
    /// The HTTP client's timeout, backoff and shared throttle.
    pub http: crate::http::Options,
}

/// `connect`: its plan.
pub(crate) struct ConnectSettings {
    pub plan: ConnectPlan,
}

impl ConnectSettings {
    pub(crate) fn resolve(
        args: &ConnectArgs,
        env: &Environment,
    ) -> anyhow::Result<ConnectSettings> {
        let mut app_secret_file = None;
        let mut replace = false;
        let inputs = Inputs::resolve(Cmd::Connect, env, |r| {
            app_secret_file = r.path(Flag::AppSecretFile, args.app_secret_file.as_deref());
            replace = r.switch(Flag::Replace, args.replace);
            Ok(Partial {
                microsoft: Some(MicrosoftArgs {
                    tenant: args.tenant.clone(),
                    client_id: args.client_id.clone(),
                    cloud: args.cloud,
                    login_url: args.login_url.clone(),
                    ..MicrosoftArgs::default()
                }),
                target: Some(args.platform.target.clone()),
                resource: args.platform.resource.clone(),
                fields: args.platform.fields.clone(),
                dry_run: args.dry_run,
                ..Partial::default()
            })
        })?;
        let plan = connect_plan(
            &inputs,
            app_secret_file.as_deref(),
            replace,
            Supplied::default(),
        )?;
        Ok(ConnectSettings { plan })
    }
}

/// Builds the plan for `connect` from its values: the app's client id
/// (`--client-id`), tenant and secret, and the platform's values.
pub(crate) fn connect_plan(
    args: &Inputs,
    app_secret_file: Option<&Path>,
    replace: bool,
    supplied: Supplied,
) -> anyhow::Result<ConnectPlan> {
    let endpoints = endpoints_of(
        args.cloud,
        args.login_url.as_deref(),
        None,
        &args.platform_url,
        &args.env,
        &|flag| args.named(flag),
    )?;
    let client_id = args.client_id.as_deref().ok_or_else(|| {
        usage(format!(
            "connect needs the app's Application (client) ID: --client-id or {}",
            env::APP_CLIENT_ID
        ))
    })?;
    let client_id = validate::guid(&Flag::AppClientId.to_string(), client_id).map_err(usage)?;
    let tenant = tenant(args)?.ok_or_else(|| {
        usage(format!(
            "connect needs the app's Directory (tenant) ID: --tenant, {} or {}",
            env::TENANT,
            env::AZURE_TENANT_ID
        ))
    })?;
    let (secret, source) = match (
        supplied.app_secret,
        app_secret_file,
        args.env.var(env::APP_CLIENT_SECRET),
    ) {
        (Some(typed), _, _) => (typed, "the prompt".to_owned()),
        (None, Some(path), _) => (
            read_secret_file(path, &Flag::AppSecretFile.to_string())?,
            path.display().to_string(),
        ),
        (None, None, Some(s)) => (
            SecretString::from(s.trim().to_owned()),
            env::APP_CLIENT_SECRET.to_owned(),
        ),
        (None, None, None) => {
            return Err(usage(format!(
                "connect needs the app's client secret: {} or --app-secret-file PATH (no flag takes the secret itself)",
                env::APP_CLIENT_SECRET
            )));
        }
    };
    let platform = platform_spec(args, supplied.platform_token)?;
    let resource = platform
        .resource
        .clone()
        .unwrap_or_else(|| endpoints.cloud.graph.trim_end_matches('/').to_owned());
    let state_dir = match &args.state_dir {
        Some(dir) => dir.clone(),
        None => default_state_dir()?,
    };
    Ok(ConnectPlan {
        endpoints,
        app: AppCredentials {
            tenant,
            client_id,
            secret,
            source,
        },
        platform,
        resource,
        replace,
        dry_run: args.dry_run,
        state_dir,
        http: http_options(&args.env),
    })
}
