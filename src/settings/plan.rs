//! The validated plan `setup`, `register`, `rotate`, `status` and
//! `remove` run from, and the checks that make it from their [`Inputs`]:
//! nothing below this module sees an `Option` a default should have
//! filled, and a bad value is a usage error naming where it came from.

use std::path::PathBuf;

use anyhow::Context as _;
use secrecy::SecretString;

use super::check::{check_new_file, resource_arg};
use super::endpoints::endpoints;
use super::global::{default_state_dir, http_options, pending_lease};
use super::inputs::Inputs;
use super::resolver::Source;
use super::sign_in::sign_in_method;
use crate::auth::SignIn;
use crate::cli::Flag;
use crate::cloud::Endpoints;
use crate::env;
use crate::error::usage;
use crate::guide::{DYNAMICS_APP_ID, GRAPH_APP_ID};
use crate::output::Interaction;
use crate::platform::token::PlatformToken;
use crate::platform::token_source::{find_platform_token, missing_platform_token, platform_token};
use crate::validate::{self, Expiry};

/// The API whose permission the app gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ApiRef {
    AppId(String),
    Name(String),
}

impl ApiRef {
    pub(crate) fn parse(value: &str) -> ApiRef {
        let value = value.trim();
        if validate::is_guid(value) {
            return ApiRef::AppId(value.to_ascii_lowercase());
        }
        let key: String = value
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        match key.as_str() {
            "microsoftgraph" | "graph" => ApiRef::AppId(GRAPH_APP_ID.into()),
            "dynamicscrm" | "dynamics" | "dynamicscrmonline" | "dataverse" => {
                ApiRef::AppId(DYNAMICS_APP_ID.into())
            }
            _ => ApiRef::Name(value.to_owned()),
        }
    }

    pub(crate) fn is_graph(&self) -> bool {
        matches!(self, ApiRef::AppId(id) if id == GRAPH_APP_ID)
    }
}

/// Which of the four values a connection field receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum ConnValue {
    ClientId,
    ClientSecret,
    Resource,
    Tenant,
}

impl ConnValue {
    pub(crate) const ALL: [ConnValue; 4] = [
        ConnValue::ClientId,
        ConnValue::ClientSecret,
        ConnValue::Resource,
        ConnValue::Tenant,
    ];

    pub(crate) fn key(self) -> &'static str {
        match self {
            ConnValue::ClientId => "clientId",
            ConnValue::ClientSecret => "clientSecret",
            ConnValue::Resource => "resource",
            ConnValue::Tenant => "tenant",
        }
    }

    fn parse(value: &str) -> Option<ConnValue> {
        ConnValue::ALL
            .into_iter()
            .find(|v| v.key().eq_ignore_ascii_case(value.trim()))
    }
}

#[derive(Debug)]
pub(crate) struct AppSpec {
    pub name: String,
    pub redirect_uri: String,
    pub api: ApiRef,
    pub permission: String,
    pub app_id: Option<String>,
    pub adopt: bool,
    pub admin_consent: bool,
}

#[derive(Debug)]
pub(crate) struct SecretSpec {
    pub description: String,
    pub expiry: Expiry,
    pub show: bool,
    pub file: Option<PathBuf>,
    pub rotate: bool,
    pub keep_on_failure: bool,
    /// `--secret-expiry` (or its variable) was given: no default to fit
    /// to the tenant's policy.
    pub expiry_given: bool,
    /// `rotate --keep-previous`: the replaced connection and its secret
    /// stay until the rotation is finished.
    pub keep_previous: bool,
}

#[derive(Debug)]
pub(crate) struct PlatformSpec {
    pub token: PlatformToken,
    pub integration: String,
    pub connection_name: String,
    /// `None`: the API's own URI (Graph: the cloud's Graph host).
    pub resource: Option<String>,
    /// Explicit value → field mappings from `--field`.
    pub fields: Vec<(ConnValue, String)>,
}

/// Which command a [`Plan`] is for: they share the steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The whole guide.
    Setup,
    /// The Azure half: no platform, the credentials handed on.
    Register,
    /// A new secret for an existing setup: never creates or changes the
    /// app registration.
    Rotate,
    /// Deleting what the tool made; with `platform: false`
    /// (`--azure-only`), the app registration alone.
    Remove { platform: bool },
}

/// Everything `setup`, `register` and `rotate` need, validated.
#[derive(Debug)]
pub(crate) struct Plan {
    pub mode: Mode,
    pub endpoints: Endpoints,
    pub sign_in: SignIn,
    pub app: AppSpec,
    pub secret: SecretSpec,
    /// `None` for `register`, which leaves the platform alone, and for
    /// `remove` without a platform token.
    pub platform: Option<PlatformSpec>,
    /// `--resource`; `None`: the API's own URI (Graph: the cloud's Graph
    /// host), or for `rotate` what the last run gave the platform.
    pub resource: Option<String>,
    pub dry_run: bool,
    /// `--replace` (`setup`, `rotate`, `remove`): take over a platform
    /// connection of the tool's name that no tag on the app and no local
    /// record says this tool made.
    pub replace: bool,
    /// `--reclaim RUN` (`setup`, `rotate`, `register`): runs the person knows
    /// are gone; what their intents explain is swept at once.
    pub reclaim: Vec<String>,
    pub state_dir: PathBuf,
    /// `AAD_SETUP_PENDING_LEASE`: how long another machine's secret in
    /// flight is kept ([`pending_lease`]; `None`: the default).
    pub pending_lease: Option<std::time::Duration>,
    /// The HTTP client's timeout, backoff and shared throttle.
    pub http: crate::http::Options,
    /// Warnings to show before the run (e.g. "never" expiry).
    pub warnings: Vec<String>,
}

/// What the wizard collected that no flag can carry: secrets typed hidden,
/// a sign-in already done, a token from the platform's approval flow. The
/// wizard supplies each only where the flags and the environment gave
/// nothing (or, for the sign-in, after using it), so each takes precedence.
#[derive(Default)]
pub(crate) struct Supplied {
    /// The sign-in the wizard already used (`setup`).
    pub sign_in: Option<SignIn>,
    /// A platform token from the approval flow.
    pub platform_token: Option<PlatformToken>,
    /// The client secret of the app `connect` puts on the platform.
    pub app_secret: Option<SecretString>,
}

impl Plan {
    /// The platform half's settings; every command but `register` has them.
    pub(crate) fn platform(&self) -> anyhow::Result<&PlatformSpec> {
        self.platform
            .as_ref()
            .context("internal: this command does not reach the platform")
    }
}

/// Checks the values and makes the plan for `mode`.
pub(super) fn build(
    mode: Mode,
    args: &Inputs,
    interaction: &Interaction,
    supplied: Supplied,
) -> anyhow::Result<Plan> {
    let mut warnings = Vec::new();
    let endpoints = endpoints(args)?;
    if endpoints.cloud.name != "public" {
        warnings.push(format!(
            "the {} cloud is selected; whether the workflow platform supports it is not known",
            endpoints.cloud.name
        ));
    }
    let app = app_spec(args)?;
    let secret = secret_spec(mode, args, &mut warnings)?;
    let resource = resource_arg(args.resource.as_deref())?;
    let needs_platform = !matches!(mode, Mode::Register | Mode::Remove { platform: false });
    let token = given_platform_token(mode, args, needs_platform, supplied.platform_token)?;
    let state_dir = match &args.state_dir {
        Some(dir) => dir.clone(),
        None => default_state_dir()?,
    };
    let sign_in = match supplied.sign_in {
        Some(sign_in) => sign_in,
        None => sign_in_method(args, interaction, &endpoints, None)?,
    };
    let platform = match token {
        Some(token) => Some(platform_spec(args, Some(token))?),
        None if needs_platform => return Err(missing_platform_token()),
        None => None,
    };
    Ok(Plan {
        mode,
        endpoints,
        sign_in,
        app,
        secret,
        platform,
        resource,
        dry_run: args.dry_run,
        replace: args.replace,
        reclaim: args.reclaim.clone(),
        state_dir,
        pending_lease: pending_lease(&args.env),
        http: http_options(&args.env),
        warnings,
    })
}

/// The app registration's values, checked.
fn app_spec(args: &Inputs) -> anyhow::Result<AppSpec> {
    let name = validate::name(&args.named(Flag::AppName), &args.app_name).map_err(usage)?;
    let redirect_uri = validate::redirect_uri(&args.redirect_uri).map_err(usage)?;
    let app_id = args
        .app_id
        .as_deref()
        .map(|v| validate::guid(&args.named(Flag::AppId), v))
        .transpose()
        .map_err(usage)?;
    let permission = args.permission.trim();
    if permission.is_empty() || permission.contains(char::is_whitespace) {
        return Err(usage(format!(
            "--permission '{}' is not a permission name (such as Directory.ReadWrite.All)",
            args.permission
        )));
    }
    Ok(AppSpec {
        name,
        redirect_uri,
        // Without --resource, another API's Resource comes from its service
        // principal once signed in (resolve_permission).
        api: ApiRef::parse(&args.api),
        permission: permission.to_owned(),
        app_id,
        adopt: args.adopt,
        admin_consent: args.admin_consent,
    })
}

/// The platform token, when the mode reaches the platform. A token that is
/// given is checked now; one that is missing is reported after the
/// sign-in, so that what is wrong is told before what is missing, and
/// Microsoft's half before the platform's. `remove` says so before the
/// sign-in: it would change nothing anyway.
fn given_platform_token(
    mode: Mode,
    args: &Inputs,
    needs_platform: bool,
    supplied: Option<PlatformToken>,
) -> anyhow::Result<Option<PlatformToken>> {
    if needs_platform {
        platform_values(args)?;
    }
    let token = match (supplied, needs_platform) {
        (Some(token), true) => Some(token),
        (_, false) => None,
        (None, true) => find_platform_token(args.platform_token_file.as_deref(), &args.env)?,
    };
    if token.is_none() && mode == (Mode::Remove { platform: true }) {
        return Err(crate::error::Failure::new(
            crate::error::Kind::Usage,
            "no platform access token was found, so the platform connection cannot be checked or deleted; nothing was removed",
        )
        .with_hint(format!(
            "give a platform token ({}, --platform-token-file, or `aad-setup platform-login --team TEAM`), or pass --azure-only to delete the app registration alone (a platform connection that holds its secret would stop working)",
            env::CATALYTIC_TOKEN
        ))
        .into());
    }
    Ok(token)
}

/// The client secret's values, checked; warnings about its lifetime.
fn secret_spec(
    mode: Mode,
    args: &Inputs,
    warnings: &mut Vec<String>,
) -> anyhow::Result<SecretSpec> {
    let description = validate::name(
        &args.named(Flag::SecretDescription),
        &args.secret_description,
    )
    .map_err(usage)?;
    let expiry = validate::expiry(&args.secret_expiry, jiff::Timestamp::now())
        .map_err(|e| usage(format!("{}: {e}", args.named(Flag::SecretExpiry))))?;
    if let Expiry::Never(_) = expiry {
        warnings.push(
            "--secret-expiry never: the portal removed \"Never\" in 2021; this asks Graph for 99 years, which tenant policies may refuse. Microsoft recommends under 12 months.".into(),
        );
    } else if expiry
        .timestamp()
        .duration_since(jiff::Timestamp::now())
        .as_secs()
        > 2 * 366 * 86_400
    {
        warnings.push(
            "--secret-expiry is longer than the portal's 24-month limit; tenant policies may refuse it".into(),
        );
    }
    if let Some(path) = &args.secret_file {
        check_new_file("--secret-file", path)?;
    }
    if mode == Mode::Register && !args.dry_run && !args.show_secret && args.secret_file.is_none() {
        return Err(crate::error::Failure::new(
            crate::error::Kind::Usage,
            "register hands the new client secret on, and its value is shown only once: say where it goes",
        )
        .with_hint(format!(
            "give --secret-file PATH (created with mode 0600; or {}) or --show-secret (printed on stdout, in the JSON with --output json)",
            env::SECRET_FILE
        ))
        .into());
    }
    Ok(SecretSpec {
        description,
        expiry,
        show: args.show_secret,
        file: args.secret_file.clone(),
        rotate: args.rotate,
        keep_on_failure: args.keep_secret_on_failure,
        // A flag, a variable or a typed answer: not the default.
        expiry_given: args
            .source(Flag::SecretExpiry)
            .is_some_and(|s| !matches!(s, Source::Default)),
        keep_previous: false,
    })
}

pub(super) fn platform_spec(
    p: &Inputs,
    supplied: Option<PlatformToken>,
) -> anyhow::Result<PlatformSpec> {
    // The values first: a value typed wrong is told before a missing token.
    let values = platform_values(p)?;
    let token = match supplied {
        Some(token) => token,
        None => platform_token(p.platform_token_file.as_deref(), &p.env)?,
    };
    Ok(PlatformSpec {
        token,
        integration: values.integration,
        connection_name: values.connection_name,
        resource: values.resource,
        fields: values.fields,
    })
}

/// The platform flags, checked.
struct PlatformValues {
    integration: String,
    connection_name: String,
    resource: Option<String>,
    fields: Vec<(ConnValue, String)>,
}

fn platform_values(p: &Inputs) -> anyhow::Result<PlatformValues> {
    let integration = validate::name(&p.named(Flag::Integration), &p.integration).map_err(usage)?;
    let connection_name =
        validate::name(&p.named(Flag::ConnectionName), &p.connection_name).map_err(usage)?;
    let resource = resource_arg(p.resource.as_deref())?;
    let mut fields = Vec::new();
    for entry in &p.fields {
        let (value, field) = validate::field(entry).map_err(usage)?;
        let value = ConnValue::parse(value).expect("validate::field names one of the four values");
        fields.push((value, field));
    }
    Ok(PlatformValues {
        integration,
        connection_name,
        resource,
        fields,
    })
}
