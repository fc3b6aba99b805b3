//! Flags + environment + defaults → one validated [`Plan`].
//!
//! Nothing below this module sees a clap type, or an `Option` that a default
//! should have filled. Every value is checked here, before anything is
//! created; a bad value is a usage error (exit 2) naming the value, what is
//! accepted, and where it came from.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use secrecy::SecretString;
use url::Url;

use clap::ValueEnum;

use crate::auth::{
    GivenToken, SignIn, az_cli, browser, client_secret, device_code, workload_identity,
};
use crate::cli::{
    AppArgs, AuthChoice, CloudChoice, ConnectArgs, ConnectionArgs, GlobalArgs, MicrosoftArgs,
    PlatformLoginArgs, RegisterArgs, RemoveArgs, RotateArgs, SecretArgs, SetupArgs, StatusArgs,
};
#[cfg(feature = "emulator")]
use crate::cli::{DemoArgs, EmulatorArgs};
use crate::cloud::{Cloud, Endpoints};
use crate::env::{self, Environment};
use crate::error::usage;
use crate::guide::{DYNAMICS_APP_ID, GRAPH_APP_ID};
use crate::output::Interaction;
use crate::platform::auth as platform_auth;
use crate::platform::token::{self, PlatformToken};
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

/// Where a value came from: the wizard shows it beside a value it does not
/// ask for, and `-v` logs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// The command line (`--app-name`).
    Flag(String),
    /// An environment variable.
    Variable(&'static str),
    /// The flag's default.
    Default,
    /// Typed at the wizard's prompt.
    Prompt,
}

impl Source {
    /// Given by the user (a flag or a variable), not a default or an answer.
    pub(crate) fn is_given(&self) -> bool {
        matches!(self, Source::Flag(_) | Source::Variable(_))
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Flag(flag) => f.write_str(flag),
            Source::Variable(var) => f.write_str(var),
            Source::Default => f.write_str("the default"),
            Source::Prompt => f.write_str("your answer"),
        }
    }
}

/// Flag > variable > default, one flag at a time, remembering where each
/// value came from. The variable and the default of each flag come from
/// the tables the help shows ([`env::FLAGS`], [`crate::cli::DEFAULTS`]).
///
/// A flag the command does not have takes its default, never its variable:
/// `AAD_SETUP_API` is setup's, and `remove` does not read it.
struct Resolver<'a> {
    command: &'static str,
    env: &'a Environment,
    flags: std::collections::BTreeSet<String>,
    sources: BTreeMap<&'static str, Source>,
}

impl<'a> Resolver<'a> {
    fn new(command: &'static str, env: &'a Environment) -> Resolver<'a> {
        Resolver {
            command,
            env,
            flags: crate::cli::flags_of(command),
            sources: BTreeMap::new(),
        }
    }

    fn variable(&self, flag: &str) -> Option<(&'static str, String)> {
        if !self.flags.contains(flag) {
            return None;
        }
        let var = env::for_flag(self.command, flag)?;
        self.env.var(var).map(|v| (var, v))
    }

    /// A text value: the flag, else its variable, else its default.
    fn text(&mut self, flag: &'static str, given: Option<&str>) -> Option<String> {
        let (value, source) = match (given, self.variable(flag)) {
            (Some(v), _) => (v.to_owned(), Source::Flag(format!("--{flag}"))),
            (None, Some((var, v))) => (v, Source::Variable(var)),
            (None, None) => (
                crate::cli::default_for(self.command, flag)?.to_owned(),
                Source::Default,
            ),
        };
        self.sources.insert(flag, source);
        Some(value)
    }

    /// Where `flag`'s value came from, in a message: its variable when it
    /// came from one, else `--flag`.
    fn named(&self, flag: &str) -> String {
        match self.sources.get(flag) {
            Some(Source::Variable(var)) => (*var).to_owned(),
            _ => format!("--{flag}"),
        }
    }

    /// A value that has a default (in [`crate::cli::DEFAULTS`]).
    fn required(&mut self, flag: &'static str, given: Option<&str>) -> String {
        self.text(flag, given).unwrap_or_default()
    }

    fn path(&mut self, flag: &'static str, given: Option<&Path>) -> Option<PathBuf> {
        let given = given.map(|p| p.to_string_lossy().into_owned());
        self.text(flag, given.as_deref()).map(PathBuf::from)
    }

    /// A switch: on by the flag, else by its variable (`1`, `true`…).
    fn switch(&mut self, flag: &'static str, given: bool) -> bool {
        let var = env::for_flag(self.command, flag).filter(|_| self.flags.contains(flag));
        let (on, source) = if given {
            (true, Source::Flag(format!("--{flag}")))
        } else if let Some(var) = var.filter(|v| self.env.var(v).is_some()) {
            (self.env.flag(var), Source::Variable(var))
        } else {
            (false, Source::Default)
        };
        self.sources.insert(flag, source);
        on
    }

    /// One of a flag's possible values, spelled as the flag takes it.
    fn choice<T: ValueEnum + Clone>(
        &mut self,
        flag: &'static str,
        given: Option<T>,
    ) -> anyhow::Result<T> {
        if let Some(value) = given {
            self.sources.insert(flag, Source::Flag(format!("--{flag}")));
            return Ok(value);
        }
        let raw = self.required(flag, None);
        T::from_str(&raw, true).map_err(|_| {
            let accepted: Vec<String> = T::value_variants()
                .iter()
                .filter_map(|v| v.to_possible_value())
                .map(|v| v.get_name().to_owned())
                .collect();
            usage(format!(
                "{}: '{raw}' is not one of {}",
                self.sources
                    .get(flag)
                    .map_or_else(|| format!("--{flag}"), ToString::to_string),
                accepted.join(", ")
            ))
        })
    }

    /// A choice given by its flag or variable, else `None` (not its
    /// default): `--cloud` left out lets AZURE_AUTHORITY_HOST imply one.
    fn choice_given<T: ValueEnum + Clone>(
        &mut self,
        flag: &'static str,
        given: Option<T>,
    ) -> anyhow::Result<Option<T>> {
        if given.is_none() && self.variable(flag).is_none() {
            self.sources.insert(flag, Source::Default);
            return Ok(None);
        }
        self.choice(flag, given).map(Some)
    }

    /// A repeatable flag; its variable is a comma-separated list.
    fn list(&mut self, flag: &'static str, given: &[String]) -> Vec<String> {
        if !given.is_empty() {
            self.sources.insert(flag, Source::Flag(format!("--{flag}")));
            return given.to_vec();
        }
        match self.variable(flag) {
            Some((var, v)) => {
                self.sources.insert(flag, Source::Variable(var));
                v.split(',').map(|s| s.trim().to_owned()).collect()
            }
            None => Vec::new(),
        }
    }

    /// A number within `range`.
    fn number<T>(
        &mut self,
        flag: &'static str,
        given: Option<T>,
        range: std::ops::RangeInclusive<T>,
    ) -> anyhow::Result<T>
    where
        T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
    {
        let raw = self.required(flag, given.map(|g| g.to_string()).as_deref());
        raw.trim()
            .parse::<T>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                usage(format!(
                    "{}: '{raw}' is not a number from {} to {}",
                    self.sources[flag],
                    range.start(),
                    range.end()
                ))
            })
    }
}

/// How the run talks to its user: the global options, and whether stdin
/// and stderr are a terminal (`terminal`, the entry point's to find out).
pub(crate) fn interaction(
    global: &GlobalArgs,
    environment: &Environment,
    terminal: bool,
) -> anyhow::Result<Interaction> {
    let mut r = Resolver::new("*", environment);
    let format = r.choice("output", global.output)?;
    let no_input = r.switch("no-input", global.no_input);
    Ok(Interaction {
        format,
        interactive: !no_input && !environment.flag(env::CI) && terminal,
        verbose: global.verbose,
        color: environment.os(env::NO_COLOR).is_none(),
        github_actions: environment.flag(env::GITHUB_ACTIONS),
        github_output: environment.os(env::GITHUB_OUTPUT).map(PathBuf::from),
        github_step_summary: environment.os(env::GITHUB_STEP_SUMMARY).map(PathBuf::from),
    })
}

/// The run's HTTP policy ([`crate::http::Options`]): the timeout, the
/// retry delays' multiplier, and a fleet's shared throttle directory.
pub(crate) fn http_options(environment: &Environment) -> crate::http::Options {
    let default = crate::http::Options::default();
    crate::http::Options {
        timeout: http_timeout(environment).unwrap_or(default.timeout),
        backoff_scale: backoff_scale(environment),
        throttle_dir: environment.os(env::THROTTLE_DIR).map(PathBuf::from),
    }
}

/// The retry delays' multiplier, [`env::BACKOFF_SCALE`] (default 1).
pub(crate) fn backoff_scale(environment: &Environment) -> f64 {
    environment
        .var(env::BACKOFF_SCALE)
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .unwrap_or(1.0)
}

/// Seconds a request may take, [`env::HTTP_TIMEOUT`] (default 60).
pub(crate) fn http_timeout(environment: &Environment) -> Option<std::time::Duration> {
    environment
        .var(env::HTTP_TIMEOUT)
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(std::time::Duration::from_secs_f64)
}

/// The lease of a secret in flight elsewhere, [`env::PENDING_LEASE`]
/// (default [`crate::custody::DEFAULT_LEASE`]).
pub(crate) fn pending_lease(environment: &Environment) -> Option<std::time::Duration> {
    environment
        .var(env::PENDING_LEASE)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(std::time::Duration::from_secs)
}

/// Every value `setup` (and, partly, `register`, `rotate`, `status`,
/// `remove`) works from, resolved but not yet checked: each flag's value
/// from the command line, its variable or its default, with where it came
/// from. [`build`] checks them and makes the [`Plan`]; the wizard writes its
/// answers in ([`Inputs::answer`]) and shows where the rest came from.
#[derive(Debug, Clone)]
pub(crate) struct Inputs {
    pub auth: AuthChoice,
    pub tenant: Option<String>,
    pub client_id: Option<String>,
    pub client_secret_file: Option<PathBuf>,
    pub graph_token_file: Option<PathBuf>,
    /// `None`: not given; the cloud follows AZURE_AUTHORITY_HOST, else public.
    pub cloud: Option<CloudChoice>,
    pub login_url: Option<String>,
    pub graph_url: Option<String>,
    pub platform_url: String,
    pub platform_token_file: Option<String>,
    pub integration: String,
    pub connection_name: String,
    pub resource: Option<String>,
    pub fields: Vec<String>,
    pub app_name: String,
    pub redirect_uri: String,
    pub api: String,
    pub permission: String,
    pub app_id: Option<String>,
    pub adopt: bool,
    pub secret_description: String,
    pub secret_expiry: String,
    pub show_secret: bool,
    pub secret_file: Option<PathBuf>,
    pub rotate: bool,
    pub keep_secret_on_failure: bool,
    pub admin_consent: bool,
    pub dry_run: bool,
    /// `--replace` (see [`Plan::replace`]).
    pub replace: bool,
    /// `--reclaim` (see [`Plan::reclaim`]).
    pub reclaim: Vec<String>,
    /// The wizard's explanations and portal places (`--explain`).
    pub explain: bool,
    pub state_dir: Option<PathBuf>,
    /// Flag (without `--`) → where its value came from.
    sources: BTreeMap<&'static str, Source>,
    /// The environment the values were resolved in: the sign-in and the
    /// platform token read their ecosystem variables from it.
    pub env: Environment,
}

impl Inputs {
    /// Where the value of `--flag` came from (`None`: it has no value).
    pub(crate) fn source(&self, flag: &str) -> Option<&Source> {
        self.sources.get(flag)
    }

    /// What a message about `--flag`'s value names: the variable it came
    /// from, when it came from one (the person never typed the flag), else
    /// the flag.
    pub(crate) fn named(&self, flag: &str) -> String {
        match self.sources.get(flag) {
            Some(Source::Variable(var)) => (*var).to_owned(),
            _ => format!("--{flag}"),
        }
    }

    /// The source of `--flag` if the user gave it (flag or variable).
    pub(crate) fn given(&self, flag: &str) -> Option<&Source> {
        self.source(flag).filter(|s| s.is_given())
    }

    /// Records that `--flag`'s value was typed at the prompt.
    pub(crate) fn answer(&mut self, flag: &'static str) {
        self.sources.insert(flag, Source::Prompt);
    }

    fn resolve(
        command: &'static str,
        env: &Environment,
        fill: impl FnOnce(&mut Resolver<'_>) -> anyhow::Result<Partial>,
    ) -> anyhow::Result<Inputs> {
        let mut r = Resolver::new(command, env);
        let p = fill(&mut r)?;
        let ms = p.microsoft.unwrap_or_default();
        let (tenant, tenant_source) = match (
            r.text("tenant", ms.tenant.as_deref()),
            env.var(env::AZURE_TENANT_ID),
        ) {
            (Some(t), _) => (Some(t), None),
            (None, Some(t)) => (Some(t), Some(Source::Variable(env::AZURE_TENANT_ID))),
            (None, None) => (None, None),
        };
        if let Some(source) = tenant_source {
            r.sources.insert("tenant", source);
        }
        let mut inputs = Inputs {
            auth: r.choice("auth", ms.auth)?,
            tenant,
            client_id: r.text("client-id", ms.client_id.as_deref()),
            client_secret_file: r.path("client-secret-file", ms.client_secret_file.as_deref()),
            graph_token_file: r.path("graph-token-file", ms.graph_token_file.as_deref()),
            cloud: r.choice_given("cloud", ms.cloud)?,
            login_url: r.text("login-url", ms.login_url.as_deref()),
            graph_url: r.text("graph-url", ms.graph_url.as_deref()),
            platform_url: String::new(),
            platform_token_file: None,
            integration: String::new(),
            connection_name: String::new(),
            resource: None,
            fields: Vec::new(),
            app_name: String::new(),
            redirect_uri: String::new(),
            api: String::new(),
            permission: String::new(),
            app_id: None,
            adopt: false,
            secret_description: String::new(),
            secret_expiry: String::new(),
            show_secret: false,
            secret_file: None,
            rotate: p.rotate,
            keep_secret_on_failure: false,
            admin_consent: false,
            dry_run: false,
            replace: false,
            reclaim: Vec::new(),
            explain: false,
            state_dir: None,
            sources: BTreeMap::new(),
            env: env.clone(),
        };
        let target = p.target.unwrap_or_default();
        inputs.platform_url = r.required("platform-url", target.platform_url.as_deref());
        inputs.platform_token_file =
            r.text("platform-token-file", target.platform_token_file.as_deref());
        inputs.integration = r.required("integration", target.integration.as_deref());
        inputs.connection_name = r.required("connection-name", target.connection_name.as_deref());
        inputs.resource = r.text("resource", p.resource.as_deref());
        inputs.fields = r.list("field", &p.fields);
        let app = p.app.unwrap_or_default();
        inputs.app_name = r.required("app-name", app.app_name.as_deref());
        inputs.redirect_uri = r.required("redirect-uri", app.redirect_uri.as_deref());
        inputs.api = r.required("api", app.api.as_deref());
        inputs.permission = r.required("permission", app.permission.as_deref());
        inputs.app_id = r.text("app-id", app.app_id.as_deref());
        inputs.adopt = r.switch("adopt", app.adopt);
        let secret = p.secret.unwrap_or_default();
        inputs.secret_description =
            r.required("secret-description", secret.secret_description.as_deref());
        inputs.secret_expiry = r.required("secret-expiry", secret.secret_expiry.as_deref());
        inputs.show_secret = r.switch("show-secret", secret.show_secret);
        inputs.secret_file = r.path("secret-file", secret.secret_file.as_deref());
        inputs.rotate = p.rotate || r.switch("rotate", secret.rotate);
        inputs.keep_secret_on_failure =
            r.switch("keep-secret-on-failure", secret.keep_secret_on_failure);
        inputs.admin_consent = r.switch("admin-consent", p.admin_consent);
        inputs.dry_run = r.switch("dry-run", p.dry_run);
        if let Some(given) = p.replace {
            inputs.replace = r.switch("replace", given);
        }
        if let Some(given) = &p.reclaim {
            inputs.reclaim = r.list("reclaim", given);
        }
        inputs.explain = r.switch("explain", p.explain);
        inputs.state_dir = p
            .state_dir
            .clone()
            .or_else(|| env.var(env::STATE_DIR).map(PathBuf::from));
        for (flag, source) in &r.sources {
            if let Source::Variable(var) = source {
                tracing::debug!("{command}: --{flag} from {var}");
            }
        }
        inputs.sources = r.sources;
        Ok(inputs)
    }

    /// The guide's values, nothing given: where `demo` starts.
    #[cfg(feature = "emulator")]
    pub(crate) fn guide(env: &Environment) -> Inputs {
        Inputs::resolve("setup", env, |_| Ok(Partial::default())).expect("the defaults are valid")
    }
}

/// What a command's flags give [`Inputs::resolve`]: the setup flags it
/// has; those it lacks take their variables and defaults.
#[derive(Default)]
struct Partial {
    microsoft: Option<MicrosoftArgs>,
    target: Option<ConnectionArgs>,
    resource: Option<String>,
    fields: Vec<String>,
    app: Option<AppArgs>,
    secret: Option<SecretArgs>,
    rotate: bool,
    admin_consent: bool,
    dry_run: bool,
    /// `--replace`, for the commands that have it.
    replace: Option<bool>,
    /// `--reclaim`, for the commands that have it.
    reclaim: Option<Vec<String>>,
    explain: bool,
    state_dir: Option<PathBuf>,
}

/// `setup`: its values; the plan is made by [`SetupSettings::plan`] (at
/// once without a terminal, after the questions in the wizard).
#[derive(Debug)]
pub(crate) struct SetupSettings {
    pub inputs: Inputs,
}

impl SetupSettings {
    pub(crate) fn resolve(args: &SetupArgs, env: &Environment) -> anyhow::Result<SetupSettings> {
        let inputs = Inputs::resolve("setup", env, |_| {
            Ok(Partial {
                microsoft: Some(args.microsoft.clone()),
                target: Some(args.platform.target.clone()),
                resource: args.platform.resource.clone(),
                fields: args.platform.fields.clone(),
                app: Some(args.app.clone()),
                secret: Some(args.secret.clone()),
                admin_consent: args.admin_consent,
                dry_run: args.dry_run,
                replace: Some(args.replace),
                reclaim: Some(args.reclaim.clone()),
                explain: args.explain,
                state_dir: args.state_dir.clone(),
                ..Partial::default()
            })
        })?;
        Ok(SetupSettings { inputs })
    }

    /// The plan, with what the wizard supplied.
    pub(crate) fn plan(
        &self,
        interaction: &Interaction,
        supplied: Supplied,
    ) -> anyhow::Result<Plan> {
        build(Mode::Setup, &self.inputs, interaction, supplied)
    }

    /// The Azure half's plan (`register`'s), for the wizard's hand-off when
    /// there is no platform token: the platform is left to its Admin.
    pub(crate) fn register_plan(
        &self,
        interaction: &Interaction,
        supplied: Supplied,
    ) -> anyhow::Result<Plan> {
        build(Mode::Register, &self.inputs, interaction, supplied)
    }
}

/// `register`: the Azure half's plan.
#[derive(Debug)]
pub(crate) struct RegisterSettings {
    pub plan: Plan,
}

impl RegisterSettings {
    pub(crate) fn resolve(
        args: &RegisterArgs,
        env: &Environment,
        interaction: &Interaction,
    ) -> anyhow::Result<RegisterSettings> {
        let inputs = Inputs::resolve("register", env, |_| {
            Ok(Partial {
                microsoft: Some(args.microsoft.clone()),
                resource: args.resource.clone(),
                app: Some(args.app.clone()),
                secret: Some(SecretArgs {
                    secret_description: args.secret_description.clone(),
                    secret_expiry: args.secret_expiry.clone(),
                    show_secret: args.show_secret,
                    secret_file: args.secret_file.clone(),
                    ..SecretArgs::default()
                }),
                rotate: args.new_secret || env.flag(env::NEW_SECRET),
                admin_consent: args.admin_consent,
                dry_run: args.dry_run,
                reclaim: Some(args.reclaim.clone()),
                state_dir: args.state_dir.clone(),
                ..Partial::default()
            })
        })?;
        let plan = build(Mode::Register, &inputs, interaction, Supplied::default())?;
        Ok(RegisterSettings { plan })
    }
}

/// `rotate`: a new secret for the app of an existing setup.
#[derive(Debug)]
pub(crate) struct RotateSettings {
    pub plan: Plan,
    /// When to rotate, and what to do with what is replaced.
    pub renewal: Renewal,
}

/// `rotate`'s renewal flags, checked.
#[derive(Debug, Clone, Default)]
pub(crate) struct Renewal {
    /// `--if-expiring-within`: as given (for messages), and parsed.
    pub if_expiring_within: Option<(String, jiff::Span)>,
    /// `--keep-previous`.
    pub keep_previous: bool,
    /// `--finish`.
    pub finish: bool,
}

impl RotateSettings {
    pub(crate) fn resolve(
        args: &RotateArgs,
        env: &Environment,
        interaction: &Interaction,
    ) -> anyhow::Result<RotateSettings> {
        let mut renewal = Renewal::default();
        let inputs = Inputs::resolve("rotate", env, |r| {
            if let Some(value) = r.text("if-expiring-within", args.if_expiring_within.as_deref()) {
                let span = validate::window("--if-expiring-within", &value).map_err(usage)?;
                renewal.if_expiring_within = Some((value, span));
            }
            renewal.keep_previous = r.switch("keep-previous", args.keep_previous);
            renewal.finish = r.switch("finish", args.finish);
            if renewal.finish && (renewal.keep_previous || renewal.if_expiring_within.is_some()) {
                return Err(usage(
                    "--finish finishes a rotation and makes none: give it without --keep-previous and --if-expiring-within",
                ));
            }
            Ok(Partial {
                microsoft: Some(args.microsoft.clone()),
                target: Some(args.platform.target.clone()),
                resource: args.platform.resource.clone(),
                fields: args.platform.fields.clone(),
                app: Some(AppArgs {
                    app_name: args.app_name.clone(),
                    app_id: args.app_id.clone(),
                    ..AppArgs::default()
                }),
                secret: Some(SecretArgs {
                    secret_description: args.secret_description.clone(),
                    secret_expiry: args.secret_expiry.clone(),
                    show_secret: args.show_secret,
                    secret_file: args.secret_file.clone(),
                    keep_secret_on_failure: args.keep_secret_on_failure,
                    ..SecretArgs::default()
                }),
                rotate: true,
                dry_run: args.dry_run,
                replace: Some(args.replace),
                reclaim: Some(args.reclaim.clone()),
                state_dir: args.state_dir.clone(),
                ..Partial::default()
            })
        })?;
        let mut plan = build(Mode::Rotate, &inputs, interaction, Supplied::default())?;
        plan.secret.keep_previous = renewal.keep_previous;
        Ok(RotateSettings { plan, renewal })
    }
}

/// `status`: what to check, and how soon an expiry needs attention.
#[derive(Debug)]
pub(crate) struct StatusSettings {
    pub plan: Plan,
    /// `--warn-within` as given (for messages).
    pub warn_within: String,
}

impl StatusSettings {
    pub(crate) fn resolve(
        args: &StatusArgs,
        env: &Environment,
        interaction: &Interaction,
    ) -> anyhow::Result<StatusSettings> {
        let mut warn_within = String::new();
        let inputs = Inputs::resolve("status", env, |r| {
            warn_within = r.required("warn-within", args.warn_within.as_deref());
            // The window `rotate --if-expiring-within` uses, when given.
            if let Some(window) = r.text("if-expiring-within", args.if_expiring_within.as_deref()) {
                warn_within = window;
            }
            Ok(Partial {
                microsoft: Some(args.microsoft.clone()),
                target: Some(args.platform.target.clone()),
                resource: args.platform.resource.clone(),
                fields: args.platform.fields.clone(),
                app: Some(args.app.clone()),
                secret: Some(SecretArgs {
                    secret_description: args.secret_description.clone(),
                    ..SecretArgs::default()
                }),
                state_dir: args.state_dir.clone(),
                ..Partial::default()
            })
        })?;
        let plan = build(Mode::Setup, &inputs, interaction, Supplied::default())?;
        Ok(StatusSettings { plan, warn_within })
    }
}

/// `remove`: what to delete, and whether that was confirmed.
#[derive(Debug)]
pub(crate) struct RemoveSettings {
    pub plan: Plan,
    /// `--yes`.
    pub yes: bool,
}

impl RemoveSettings {
    pub(crate) fn resolve(
        args: &RemoveArgs,
        env: &Environment,
        interaction: &Interaction,
    ) -> anyhow::Result<RemoveSettings> {
        let mut r = Resolver::new("remove", env);
        let azure_only = r.switch("azure-only", args.azure_only);
        let yes = r.switch("yes", args.yes);
        let inputs = Inputs::resolve("remove", env, |_| {
            Ok(Partial {
                microsoft: Some(args.microsoft.clone()),
                target: Some(args.platform.clone()),
                app: Some(AppArgs {
                    app_name: args.app_name.clone(),
                    app_id: args.app_id.clone(),
                    ..AppArgs::default()
                }),
                dry_run: args.dry_run,
                replace: Some(args.replace),
                state_dir: args.state_dir.clone(),
                ..Partial::default()
            })
        })?;
        let mode = Mode::Remove {
            platform: !azure_only,
        };
        let plan = build(mode, &inputs, interaction, Supplied::default())?;
        Ok(RemoveSettings { plan, yes })
    }
}

/// `platform-login`: where the approval happens and where the token goes.
#[derive(Debug)]
pub(crate) struct PlatformLoginSettings {
    pub base: Url,
    /// `--name`, and the file it names under ~/.catalytic/tokens/.
    pub name: String,
    pub path: PathBuf,
    /// The team's address, checked; `None`: ask at a terminal.
    pub team: Option<String>,
    pub wait: std::time::Duration,
    /// The HTTP client's timeout, backoff and shared throttle.
    pub http: crate::http::Options,
}

impl PlatformLoginSettings {
    pub(crate) fn resolve(
        args: &PlatformLoginArgs,
        env: &Environment,
    ) -> anyhow::Result<PlatformLoginSettings> {
        let mut r = Resolver::new("platform-login", env);
        let url = r.required("platform-url", args.platform_url.as_deref());
        let base = validate::service_url(&r.named("platform-url"), &url).map_err(usage)?;
        let name = r.required("name", args.name.as_deref());
        let path = platform_auth::token_path(&name).map_err(|e| usage(format!("--name: {e}")))?;
        let team = r
            .text("team", args.team.as_deref())
            .map(|team| {
                platform_auth::team_domain(&team)
                    .map_err(|e| usage(format!("--team / {}: {e}", env::TEAM)))
            })
            .transpose()?;
        let wait = r.number("wait", args.wait, 1..=3600)?;
        Ok(PlatformLoginSettings {
            base,
            name,
            path,
            team,
            wait: std::time::Duration::from_secs(wait),
            http: http_options(env),
        })
    }
}

/// `demo`.
#[cfg(feature = "emulator")]
#[derive(Debug)]
pub(crate) struct DemoSettings {
    pub faults: bool,
    pub show_secret: bool,
}

#[cfg(feature = "emulator")]
impl DemoSettings {
    pub(crate) fn resolve(args: &DemoArgs, env: &Environment) -> DemoSettings {
        let mut r = Resolver::new("demo", env);
        DemoSettings {
            faults: !args.no_faults,
            show_secret: r.switch("show-secret", args.show_secret),
        }
    }
}

/// `emulator`.
#[cfg(feature = "emulator")]
#[derive(Debug)]
pub(crate) struct EmulatorSettings {
    pub port: u16,
    pub config: Option<PathBuf>,
    pub faults: bool,
}

#[cfg(feature = "emulator")]
impl EmulatorSettings {
    pub(crate) fn resolve(
        args: &EmulatorArgs,
        env: &Environment,
    ) -> anyhow::Result<EmulatorSettings> {
        let mut r = Resolver::new("emulator", env);
        Ok(EmulatorSettings {
            port: r.number("port", args.port, 0..=u16::MAX)?,
            config: args.config.clone(),
            faults: args.faults,
        })
    }
}

/// The values the wizard asks for at a step: one given with a bad value is
/// reported and asked again there. A bad value of any other flag ends the
/// wizard before its first question.
pub(crate) const ASKED: &[&str] = &[
    "app-name",
    "redirect-uri",
    "secret-description",
    "secret-expiry",
    "connection-name",
    "tenant",
    "client-id",
];

/// Checks every value given by a flag or a variable (not the defaults, not
/// answers): `(flag, what is wrong, naming where it came from)`. The
/// wizard runs it before its first question; [`build`] makes the same
/// checks for a run without one.
pub(crate) fn check_given(inputs: &Inputs) -> Vec<(&'static str, String)> {
    let mut problems = Vec::new();
    let mut check = |flag: &'static str, result: Result<(), String>| {
        if let (Err(e), Some(source)) = (result, inputs.given(flag)) {
            problems.push((flag, format!("{source}: {e}")));
        }
    };
    let ok = |r: Result<String, String>| r.map(|_| ());
    check(
        "app-name",
        ok(validate::name("the app name", &inputs.app_name)),
    );
    check(
        "redirect-uri",
        ok(validate::redirect_uri(&inputs.redirect_uri)),
    );
    check(
        "secret-description",
        ok(validate::name(
            "the description",
            &inputs.secret_description,
        )),
    );
    check(
        "secret-expiry",
        validate::expiry(&inputs.secret_expiry, jiff::Timestamp::now()).map(|_| ()),
    );
    check(
        "connection-name",
        ok(validate::name(
            "the connection name",
            &inputs.connection_name,
        )),
    );
    check(
        "integration",
        ok(validate::name("the integration", &inputs.integration)),
    );
    if let Some(tenant) = &inputs.tenant {
        check("tenant", ok(validate::tenant(tenant)));
    }
    if let Some(id) = &inputs.client_id {
        check("client-id", ok(validate::guid("the client id", id)));
    }
    if let Some(id) = &inputs.app_id {
        check("app-id", ok(validate::guid("the app id", id)));
    }
    let permission = inputs.permission.trim();
    check(
        "permission",
        if permission.is_empty() || permission.contains(char::is_whitespace) {
            Err(format!("'{}' is not a permission name", inputs.permission))
        } else {
            Ok(())
        },
    );
    check(
        "resource",
        resource_arg(inputs.resource.as_deref())
            .map(|_| ())
            .map_err(|e| e.to_string()),
    );
    for (flag, url) in [
        ("login-url", inputs.login_url.as_deref()),
        ("graph-url", inputs.graph_url.as_deref()),
        ("platform-url", Some(inputs.platform_url.as_str())),
    ] {
        if let Some(url) = url {
            check(flag, validate::service_url(flag, url).map(|_| ()));
        }
    }
    if let Some(path) = &inputs.secret_file {
        check(
            "secret-file",
            check_new_file("--secret-file", path).map_err(|e| e.to_string()),
        );
    }
    problems
}

impl Inputs {
    /// Drops the value of `--flag` for the guide's default (or none), to be
    /// asked for again.
    pub(crate) fn forget(&mut self, flag: &'static str) {
        let default = || {
            crate::cli::default_for("setup", flag)
                .unwrap_or_default()
                .to_owned()
        };
        match flag {
            "app-name" => self.app_name = default(),
            "redirect-uri" => self.redirect_uri = default(),
            "secret-description" => self.secret_description = default(),
            "secret-expiry" => self.secret_expiry = default(),
            "connection-name" => self.connection_name = default(),
            "tenant" => self.tenant = None,
            "client-id" => self.client_id = None,
            _ => return,
        }
        self.sources.insert(flag, Source::Default);
    }
}

/// How long the wizard waits for a platform token's approval: what
/// `platform-login --wait` takes from its variable, else its default.
pub(crate) fn approval_wait(inputs: &Inputs) -> anyhow::Result<std::time::Duration> {
    let mut r = Resolver::new("platform-login", &inputs.env);
    Ok(std::time::Duration::from_secs(r.number(
        "wait",
        None,
        1..=3600,
    )?))
}

/// Whether `az` is on PATH (`--auth auto` and the wizard's choices).
pub(crate) fn az_available(inputs: &Inputs) -> bool {
    crate::auth::az_cli::available(inputs.env.os(env::PATH), inputs.env.os(env::PATHEXT))
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
fn build(
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

    let name = validate::name(&args.named("app-name"), &args.app_name).map_err(usage)?;
    let redirect_uri = validate::redirect_uri(&args.redirect_uri).map_err(usage)?;
    let app_id = args
        .app_id
        .as_deref()
        .map(|v| validate::guid(&args.named("app-id"), v))
        .transpose()
        .map_err(usage)?;
    let permission = args.permission.trim();
    if permission.is_empty() || permission.contains(char::is_whitespace) {
        return Err(usage(format!(
            "--permission '{}' is not a permission name (such as Directory.ReadWrite.All)",
            args.permission
        )));
    }
    // Without --resource, another API's Resource comes from its service
    // principal once signed in (resolve_permission).
    let api = ApiRef::parse(&args.api);

    let secret = secret_spec(mode, args, &mut warnings)?;

    let resource = resource_arg(args.resource.as_deref())?;
    let needs_platform = !matches!(mode, Mode::Register | Mode::Remove { platform: false });
    if needs_platform {
        platform_values(args)?;
    }
    // A token that is given is checked now; one that is missing is reported
    // after the sign-in, so that what is wrong is told before what is
    // missing, and Microsoft's half before the platform's. `remove` says so
    // before the sign-in: it would change nothing anyway.
    let token = match (supplied.platform_token, needs_platform) {
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
        app: AppSpec {
            name,
            redirect_uri,
            api,
            permission: permission.to_owned(),
            app_id,
            adopt: args.adopt,
            admin_consent: args.admin_consent,
        },
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

/// The client secret's values, checked; warnings about its lifetime.
fn secret_spec(
    mode: Mode,
    args: &Inputs,
    warnings: &mut Vec<String>,
) -> anyhow::Result<SecretSpec> {
    let description = validate::name(&args.named("secret-description"), &args.secret_description)
        .map_err(usage)?;
    let expiry = validate::expiry(&args.secret_expiry, jiff::Timestamp::now())
        .map_err(|e| usage(format!("{}: {e}", args.named("secret-expiry"))))?;
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
            .source("secret-expiry")
            .is_some_and(|s| !matches!(s, Source::Default)),
        keep_previous: false,
    })
}

/// Where the services are.
pub(crate) fn endpoints(args: &Inputs) -> anyhow::Result<Endpoints> {
    endpoints_of(
        args.cloud,
        args.login_url.as_deref(),
        args.graph_url.as_deref(),
        &args.platform_url,
        &args.env,
        &|flag| args.named(flag),
    )
}

/// The cloud a run is in: `--cloud` when given; else the one whose sign-in
/// host AZURE_AUTHORITY_HOST names (a pipeline in GCC High may set only that;
/// its Graph host and scope must follow — docs/sign-in.md §2); else the
/// public cloud. The US Government host is shared by GCC High and DoD: it
/// means GCC High unless `--cloud usgov-dod` says DoD.
/// A host that names no Microsoft cloud is refused (it would silently mean the
/// public cloud's Graph), unless it is local (the emulator) or `--cloud` says.
fn resolve_cloud(
    explicit: Option<CloudChoice>,
    authority_host: Option<&str>,
) -> Result<Cloud, String> {
    if let Some(choice) = explicit {
        return Ok(match choice {
            CloudChoice::Public => Cloud::PUBLIC,
            CloudChoice::Usgov => Cloud::USGOV,
            CloudChoice::UsgovDod => Cloud::USGOV_DOD,
            CloudChoice::China => Cloud::CHINA,
        });
    }
    let Some(host) = authority_host
        .and_then(|h| validate::service_url(env::AZURE_AUTHORITY_HOST, h).ok())
        .and_then(|url| url.host_str().map(str::to_ascii_lowercase))
    else {
        return Ok(Cloud::PUBLIC);
    };
    if let Some(cloud) = Cloud::signing_in_at(&host) {
        return Ok(cloud);
    }
    if matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]") {
        return Ok(Cloud::PUBLIC);
    }
    Err(format!(
        "{} names {host}, which is not a Microsoft sign-in host aad-setup knows ({}): pass --cloud public|usgov|usgov-dod|china to say which cloud it signs in to",
        env::AZURE_AUTHORITY_HOST,
        crate::cloud::known_login_hosts()
    ))
}

fn endpoints_of(
    cloud: Option<CloudChoice>,
    login_url: Option<&str>,
    graph_url: Option<&str>,
    platform_url: &str,
    environment: &Environment,
    named: &dyn Fn(&str) -> String,
) -> anyhow::Result<Endpoints> {
    let authority_host = environment.var(env::AZURE_AUTHORITY_HOST);
    let cloud = resolve_cloud(cloud, authority_host.as_deref()).map_err(usage)?;
    // A bad value names where it came from: the flag, or its variable.
    let (login_raw, login_from) = match (login_url, authority_host) {
        (Some(v), _) => (v.to_owned(), named("login-url")),
        (None, Some(v)) => (v, env::AZURE_AUTHORITY_HOST.to_owned()),
        (None, None) => (cloud.login.to_owned(), "--cloud".to_owned()),
    };
    let login = validate::service_url(&login_from, &login_raw).map_err(usage)?;
    let graph = match graph_url {
        Some(url) => validate::service_url(&named("graph-url"), url),
        None => validate::service_url("--cloud", cloud.graph),
    }
    .map_err(usage)?;
    let platform = validate::service_url(&named("platform-url"), platform_url).map_err(usage)?;
    Ok(Endpoints {
        cloud,
        login,
        graph,
        platform,
    })
}

/// The tenant from `--tenant`, its variable, or AZURE_TENANT_ID, checked.
pub(crate) fn tenant(args: &Inputs) -> anyhow::Result<Option<String>> {
    let Some(raw) = &args.tenant else {
        return Ok(None);
    };
    let from = args
        .source("tenant")
        .map_or_else(|| "--tenant".to_owned(), ToString::to_string);
    validate::tenant(raw)
        .map(Some)
        .map_err(|e| usage(format!("{from}: {e}")))
}

/// The client id of the pipeline's identity (`--client-id`, else
/// AZURE_CLIENT_ID) and where it came from.
pub(crate) fn pipeline_client_id(args: &Inputs) -> Option<(String, Source)> {
    match (&args.client_id, args.env.var(env::AZURE_CLIENT_ID)) {
        (Some(id), _) => Some((
            id.clone(),
            args.source("client-id").cloned().unwrap_or(Source::Prompt),
        )),
        (None, Some(id)) => Some((id, Source::Variable(env::AZURE_CLIENT_ID))),
        (None, None) => None,
    }
}

/// Where the pipeline identity's client secret would come from, if anywhere.
pub(crate) fn client_secret_source(args: &Inputs) -> Option<Source> {
    match (
        &args.client_secret_file,
        args.env.var(env::AZURE_CLIENT_SECRET),
    ) {
        (Some(_), _) => args.source("client-secret-file").cloned(),
        (None, Some(_)) => Some(Source::Variable(env::AZURE_CLIENT_SECRET)),
        (None, None) => None,
    }
}

/// A federated token is available (a file, or GitHub Actions OIDC).
pub(crate) fn federated_available(args: &Inputs) -> bool {
    args.env.var(env::AZURE_FEDERATED_TOKEN_FILE).is_some() || github_oidc(&args.env)
}

fn github_oidc(environment: &Environment) -> bool {
    environment.var(env::ACTIONS_ID_TOKEN_REQUEST_URL).is_some()
        && environment
            .var(env::ACTIONS_ID_TOKEN_REQUEST_TOKEN)
            .is_some()
}

/// How to sign in to Microsoft, from `--auth` and what it needs. A secret
/// the wizard had typed (`typed_secret`) is used only when neither
/// `--client-secret-file` nor AZURE_CLIENT_SECRET gives one.
pub(crate) fn sign_in_method(
    args: &Inputs,
    interaction: &Interaction,
    endpoints: &Endpoints,
    typed_secret: Option<SecretString>,
) -> anyhow::Result<SignIn> {
    let ms = args;
    let environment = &args.env;
    let tenant = tenant(args)?;
    let method = match ms.auth {
        AuthChoice::Auto => choose_auto(args, interaction)?,
        other => other,
    };
    let pipeline_client_id = |method: &str| -> anyhow::Result<String> {
        let id = ms
            .client_id
            .clone()
            .or_else(|| environment.var(env::AZURE_CLIENT_ID))
            .ok_or_else(|| {
                usage(format!(
                    "--auth {method} needs the signing-in app's client id: --client-id or {}",
                    env::AZURE_CLIENT_ID
                ))
            })?;
        validate::guid("client id", &id).map_err(usage)
    };
    let need_tenant = |method: &str| -> anyhow::Result<String> {
        tenant.clone().ok_or_else(|| {
            usage(format!(
                "--auth {method} needs the tenant: --tenant, {} or {}",
                env::TENANT,
                env::AZURE_TENANT_ID
            ))
        })
    };
    match method {
        AuthChoice::Token => {
            let path = ms.graph_token_file.as_ref().ok_or_else(|| {
                usage(format!(
                    "--auth token needs --graph-token-file PATH (or {})",
                    env::GRAPH_TOKEN_FILE
                ))
            })?;
            let token = read_secret_file(path, "--graph-token-file")?;
            Ok(SignIn::Token(GivenToken { token, tenant }))
        }
        AuthChoice::ClientSecret => {
            let tenant = need_tenant("client-secret")?;
            let client_id = pipeline_client_id("client-secret")?;
            let (secret, source) = pipeline_secret(args, typed_secret)?;
            Ok(SignIn::ClientSecret(client_secret::Request {
                tenant,
                client_id,
                secret,
                source,
            }))
        }
        AuthChoice::WorkloadIdentity => {
            let tenant = need_tenant("workload-identity")?;
            let client_id = pipeline_client_id("workload-identity")?;
            let assertion = federated_assertion(environment)?;
            Ok(SignIn::WorkloadIdentity(workload_identity::Request {
                tenant,
                client_id,
                assertion,
            }))
        }
        AuthChoice::AzCli => Ok(SignIn::AzCli(az_cli::Request {
            tenant,
            program: az_cli::locate(environment.os(env::PATH), environment.os(env::PATHEXT)),
        })),
        AuthChoice::DeviceCode | AuthChoice::Browser => {
            let client_id = match ms
                .client_id
                .clone()
                .or_else(|| environment.var(env::PUBLIC_CLIENT_ID))
            {
                Some(id) => validate::guid("public client id", &id).map_err(usage)?,
                None => {
                    tracing::info!(
                        "signing in as yourself through Microsoft Graph Command Line Tools ({}); give --client-id or {} to use your organisation's own public client",
                        crate::auth::device_code::GRAPH_CLI_CLIENT_ID,
                        env::PUBLIC_CLIENT_ID
                    );
                    crate::auth::device_code::GRAPH_CLI_CLIENT_ID.to_owned()
                }
            };
            let tenant = tenant.unwrap_or_else(|| "organizations".into());
            let scope = crate::auth::device_code::scopes(endpoints, args.admin_consent);
            Ok(if method == AuthChoice::Browser {
                SignIn::Browser(browser::Request {
                    tenant,
                    client_id,
                    scope,
                    browser: environment.var(env::BROWSER),
                })
            } else {
                SignIn::DeviceCode(device_code::Request {
                    tenant,
                    client_id,
                    scope,
                })
            })
        }
        AuthChoice::Auto => unreachable!("auto was resolved above"),
    }
}

/// The pipeline identity's client secret, and where it came from:
/// `--client-secret-file`, else AZURE_CLIENT_SECRET, else what the wizard
/// had typed.
fn pipeline_secret(
    args: &Inputs,
    typed_secret: Option<SecretString>,
) -> anyhow::Result<(SecretString, String)> {
    if let Some(path) = &args.client_secret_file {
        return Ok((
            read_secret_file(path, "--client-secret-file")?,
            path.display().to_string(),
        ));
    }
    match (args.env.var(env::AZURE_CLIENT_SECRET), typed_secret) {
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

/// The federated token `--auth workload-identity` presents: a file
/// (AZURE_FEDERATED_TOKEN_FILE), else GitHub Actions OIDC (with
/// AAD_SETUP_OIDC_AUDIENCE when set; else the cloud's audience).
fn federated_assertion(
    environment: &Environment,
) -> anyhow::Result<crate::auth::workload_identity::Assertion> {
    use crate::auth::workload_identity::Assertion;
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

/// `--auth auto`: the first method the environment is configured for, in
/// the README's order. `-v` says which was chosen and why others were not.
fn choose_auto(args: &Inputs, interaction: &Interaction) -> anyhow::Result<AuthChoice> {
    if let Some(method) = auto_method(args, interaction) {
        return Ok(method);
    }
    tracing::info!("sign-in (auto): no terminal, so no device code sign-in");
    Err(crate::error::Failure::new(
        crate::error::Kind::SignIn,
        "no way to sign in to Microsoft was found",
    )
    .with_hint(format!(
        "in a pipeline set {tenant} and {client} with {secret} (client secret) or {fed} / GitHub OIDC (`permissions: id-token: write`) for workload identity; or log in with `az login`; or give --graph-token-file",
        tenant = env::AZURE_TENANT_ID,
        client = env::AZURE_CLIENT_ID,
        secret = env::AZURE_CLIENT_SECRET,
        fed = env::AZURE_FEDERATED_TOKEN_FILE,
    ))
    .into())
}

/// What `--auth auto` would pick (the wizard offers it as the default), or
/// `None` when nothing is configured and there is no terminal.
pub(crate) fn auto_method(args: &Inputs, interaction: &Interaction) -> Option<AuthChoice> {
    let ms = args;
    let environment = &args.env;
    let pick = |method: AuthChoice, why: &str| {
        tracing::info!(
            "sign-in (auto): {why}: using --auth {}",
            method
                .to_possible_value()
                .map_or_else(String::new, |v| v.get_name().to_owned())
        );
        Some(method)
    };
    if ms.graph_token_file.is_some() {
        return pick(AuthChoice::Token, "a Graph token file is given");
    }
    tracing::info!(
        "sign-in (auto): no --graph-token-file / {}",
        env::GRAPH_TOKEN_FILE
    );
    if ms.client_secret_file.is_some() || environment.var(env::AZURE_CLIENT_SECRET).is_some() {
        return pick(AuthChoice::ClientSecret, "a client secret is configured");
    }
    tracing::info!(
        "sign-in (auto): no {} / --client-secret-file",
        env::AZURE_CLIENT_SECRET
    );
    if environment.var(env::AZURE_FEDERATED_TOKEN_FILE).is_some() {
        return pick(
            AuthChoice::WorkloadIdentity,
            "AZURE_FEDERATED_TOKEN_FILE is set",
        );
    }
    tracing::info!("sign-in (auto): no {}", env::AZURE_FEDERATED_TOKEN_FILE);
    let github = github_oidc(environment);
    if github && (ms.client_id.is_some() || environment.var(env::AZURE_CLIENT_ID).is_some()) {
        return pick(
            AuthChoice::WorkloadIdentity,
            "GitHub Actions OIDC is available",
        );
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
    if crate::auth::az_cli::available(environment.os(env::PATH), environment.os(env::PATHEXT)) {
        return pick(AuthChoice::AzCli, "the Azure CLI (az) is on PATH");
    }
    tracing::info!("sign-in (auto): the Azure CLI (az) is not on PATH");
    if interaction.interactive {
        return pick(AuthChoice::DeviceCode, "this is a terminal");
    }
    None
}

fn platform_spec(p: &Inputs, supplied: Option<PlatformToken>) -> anyhow::Result<PlatformSpec> {
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
    let integration = validate::name(&p.named("integration"), &p.integration).map_err(usage)?;
    let connection_name =
        validate::name(&p.named("connection-name"), &p.connection_name).map_err(usage)?;
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

/// `--resource`: an absolute URI (see [`validate::resource`]).
fn resource_arg(value: Option<&str>) -> anyhow::Result<Option<String>> {
    value
        .map(|r| validate::resource(r).map_err(usage))
        .transpose()
}

/// The platform token, in the SDKs' order: the flag, CATALYTIC_TOKEN,
/// `~/.catalytic/tokens/default` (docs/platform.md §2.2).
pub(crate) fn platform_token(
    flag: Option<&str>,
    environment: &Environment,
) -> anyhow::Result<PlatformToken> {
    find_platform_token(flag, environment)?.ok_or_else(missing_platform_token)
}

fn missing_platform_token() -> anyhow::Error {
    crate::error::Failure::new(
        crate::error::Kind::Usage,
        "no platform access token was found",
    )
    .with_hint(format!(
        "set {}, pass --platform-token-file PATH|NAME ({}), or save a token as ~/.catalytic/tokens/default: `aad-setup platform-login --team TEAM` gets one that you approve in your browser as a team Admin",
        env::CATALYTIC_TOKEN,
        env::PLATFORM_TOKEN_FILE
    ))
    .into()
}

/// [`platform_token`], or `None` when none of the places has one. A token
/// that is there but unreadable or malformed is an error.
pub(crate) fn find_platform_token(
    flag: Option<&str>,
    environment: &Environment,
) -> anyhow::Result<Option<PlatformToken>> {
    let (raw, source) = if let Some(value) = flag {
        if value == "-" {
            (read_stdin("--platform-token-file")?, "stdin".to_owned())
        } else {
            let path = token::locate(value);
            let raw = std::fs::read_to_string(&path).map_err(|e| {
                usage(format!(
                    "--platform-token-file: cannot read {}: {e}",
                    path.display()
                ))
            })?;
            (raw, path.display().to_string())
        }
    } else if let Some(raw) = environment.var(env::CATALYTIC_TOKEN) {
        (raw, env::CATALYTIC_TOKEN.to_owned())
    } else {
        let default = token::store_dir().map(|d| d.join("default"));
        match default.filter(|p| p.exists()) {
            Some(path) => (
                std::fs::read_to_string(&path)
                    .map_err(|e| usage(format!("cannot read {}: {e}", path.display())))?,
                path.display().to_string(),
            ),
            None => return Ok(None),
        }
    };
    PlatformToken::parse(&raw, &source).map(Some).map_err(usage)
}

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
        let inputs = Inputs::resolve("connect", env, |r| {
            app_secret_file = r.path("app-secret-file", args.app_secret_file.as_deref());
            replace = r.switch("replace", args.replace);
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
    let client_id = validate::guid("--client-id", client_id).map_err(usage)?;
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
            read_secret_file(path, "--app-secret-file")?,
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

fn read_stdin(what: &str) -> anyhow::Result<String> {
    let mut buf = String::new();
    std::io::stdin()
        .read_to_string(&mut buf)
        .with_context(|| format!("{what}: reading stdin"))?;
    Ok(buf)
}

/// A secret from a file (`-` for stdin), trimmed; an empty one is refused.
pub(crate) fn read_secret_file(path: &Path, what: &str) -> anyhow::Result<SecretString> {
    let raw = if path == Path::new("-") {
        read_stdin(what)?
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

/// A file the run will create: it must not exist, and its folder must.
pub(crate) fn check_new_file(what: &str, path: &Path) -> anyhow::Result<()> {
    if path.exists() {
        return Err(usage(format!(
            "{what} {} exists already; secrets are never written over an existing file",
            path.display()
        )));
    }
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return Err(usage(format!(
            "{what} {}: the folder {} does not exist",
            path.display(),
            parent.display()
        )));
    }
    Ok(())
}

fn default_state_dir() -> anyhow::Result<PathBuf> {
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .map(|d| d.join("aad-setup"))
        .or_else(|| dirs::home_dir().map(|h| h.join(".aad-setup")))
        .with_context(|| format!("no state directory could be found; set {}", env::STATE_DIR))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guide;

    #[test]
    fn the_cloud_comes_from_the_flag_else_the_authority_host_else_public() {
        // (--cloud, AZURE_AUTHORITY_HOST) → (login, Graph, scope's resource, OIDC audience)
        let cases = [
            (None, None, Cloud::PUBLIC),
            (Some(CloudChoice::Usgov), None, Cloud::USGOV),
            (Some(CloudChoice::UsgovDod), None, Cloud::USGOV_DOD),
            (Some(CloudChoice::China), None, Cloud::CHINA),
            // The variable alone implies the cloud, with or without a scheme.
            (None, Some("login.microsoftonline.us"), Cloud::USGOV),
            (
                None,
                Some("https://login.microsoftonline.us/"),
                Cloud::USGOV,
            ),
            (None, Some("https://LOGIN.chinacloudapi.cn"), Cloud::CHINA),
            (None, Some("login.microsoftonline.com"), Cloud::PUBLIC),
            (None, Some("http://127.0.0.1:8080/login"), Cloud::PUBLIC),
            // An explicit --cloud wins.
            (
                Some(CloudChoice::China),
                Some("login.microsoftonline.us"),
                Cloud::CHINA,
            ),
            (
                Some(CloudChoice::UsgovDod),
                Some("login.microsoftonline.us"),
                Cloud::USGOV_DOD,
            ),
            (
                Some(CloudChoice::Public),
                Some("login.microsoftonline.us"),
                Cloud::PUBLIC,
            ),
        ];
        for (flag, host, want) in cases {
            assert_eq!(resolve_cloud(flag, host), Ok(want), "{flag:?} {host:?}");
        }
        // China's partner host, as Microsoft's national-cloud page gives it.
        assert_eq!(
            resolve_cloud(None, Some("https://login.partner.microsoftonline.cn")),
            Ok(Cloud::CHINA)
        );
        // An unknown host names --cloud, unless --cloud says.
        let err = resolve_cloud(None, Some("https://login.example.com")).unwrap_err();
        assert!(
            err.contains("--cloud") && err.contains("login.example.com"),
            "{err}"
        );
        assert_eq!(
            resolve_cloud(Some(CloudChoice::Usgov), Some("https://login.example.com")),
            Ok(Cloud::USGOV)
        );
        assert_eq!(Cloud::USGOV_DOD.graph, "https://dod-graph.microsoft.us");
        assert_eq!(Cloud::USGOV_DOD.login, "https://login.microsoftonline.us");
        assert_eq!(
            Cloud::USGOV.token_exchange_audience,
            "api://AzureADTokenExchangeUSGov"
        );
        assert_eq!(
            Cloud::CHINA.token_exchange_audience,
            "api://AzureADTokenExchangeChina"
        );
    }

    #[test]
    fn api_names_resolve_to_the_well_known_ids() {
        assert!(ApiRef::parse(crate::guide::API).is_graph());
        assert_eq!(
            ApiRef::parse("Dynamics CRM"),
            ApiRef::AppId(DYNAMICS_APP_ID.into())
        );
        assert_eq!(
            ApiRef::parse("Dynamics"),
            ApiRef::AppId(DYNAMICS_APP_ID.into())
        );
        assert_eq!(
            ApiRef::parse("Contoso API"),
            ApiRef::Name("Contoso API".into())
        );
        assert_eq!(
            ApiRef::parse("00000003-0000-0000-C000-000000000000"),
            ApiRef::AppId(GRAPH_APP_ID.into())
        );
    }

    use crate::cli::{Cli, Command};
    use base64::Engine as _;
    use clap::Parser as _;

    /// The command line as typed; no environment is read.
    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("aad-setup").chain(args.iter().copied()))
            .expect("parses")
    }

    fn setup(args: &[&str], env: &[(&'static str, &str)]) -> Inputs {
        let cli = parse(args);
        let args = match cli.command {
            Some(Command::Setup(args)) => *args,
            None => cli.setup,
            _ => panic!("setup"),
        };
        SetupSettings::resolve(&args, &Environment::from_pairs(env))
            .expect("resolves")
            .inputs
    }

    fn quiet() -> Interaction {
        Interaction {
            format: crate::output::OutputFormat::Human,
            interactive: false,
            verbose: 0,
            color: false,
            github_actions: false,
            github_output: None,
            github_step_summary: None,
        }
    }

    const TENANT_ID: &str = "11111111-2222-3333-4444-555555555555";
    const CLIENT_ID: &str = "66666666-7777-8888-9999-000000000000";

    fn platform_token() -> String {
        base64::engine::general_purpose::STANDARD.encode("id:secret:acme.pushbot.com:prod")
    }

    /// A pipeline's environment: a client secret and a platform token.
    fn pipeline() -> Vec<(&'static str, String)> {
        vec![
            (env::AZURE_TENANT_ID, TENANT_ID.to_owned()),
            (env::AZURE_CLIENT_ID, CLIENT_ID.to_owned()),
            (env::AZURE_CLIENT_SECRET, "s3cret".to_owned()),
            (env::CATALYTIC_TOKEN, platform_token()),
            (env::STATE_DIR, "/nonexistent/state".to_owned()),
        ]
    }

    fn with<'a>(
        base: &'a [(&'static str, String)],
        more: &[(&'static str, &'a str)],
    ) -> Vec<(&'static str, &'a str)> {
        base.iter()
            .map(|(k, v)| (*k, v.as_str()))
            .chain(more.iter().copied())
            .collect()
    }

    #[test]
    fn setup_flag_beats_variable_beats_default_and_says_which() {
        let inputs = setup(&[], &[]);
        assert_eq!(inputs.app_name, guide::APP_NAME);
        assert_eq!(inputs.source("app-name"), Some(&Source::Default));
        assert_eq!(inputs.given("app-name"), None);

        let inputs = setup(&[], &[(env::APP_NAME, "From Env")]);
        assert_eq!(inputs.app_name, "From Env");
        assert_eq!(
            inputs.given("app-name"),
            Some(&Source::Variable(env::APP_NAME))
        );

        let inputs = setup(
            &["setup", "--app-name", "From Flag"],
            &[(env::APP_NAME, "From Env")],
        );
        assert_eq!(inputs.app_name, "From Flag");
        assert_eq!(
            inputs.given("app-name").map(ToString::to_string).as_deref(),
            Some("--app-name")
        );

        // Switches and choices too.
        let inputs = setup(&[], &[(env::DRY_RUN, "true"), (env::AUTH, "device-code")]);
        assert!(inputs.dry_run);
        assert_eq!(inputs.auth, AuthChoice::DeviceCode);
        assert_eq!(inputs.source("auth"), Some(&Source::Variable(env::AUTH)));
        let inputs = setup(
            &["--auth", "az-cli"],
            &[(env::DRY_RUN, "0"), (env::AUTH, "device-code")],
        );
        assert!(!inputs.dry_run);
        assert_eq!(inputs.auth, AuthChoice::AzCli);
        // A repeatable flag's variable is a list.
        let inputs = setup(&[], &[(env::FIELD, "tenant=dir, resource=res")]);
        assert_eq!(inputs.fields, ["tenant=dir", "resource=res"]);
    }

    #[test]
    fn a_bad_variable_is_named_in_the_error() {
        let cli = parse(&[]);
        let err = SetupSettings::resolve(
            &cli.setup,
            &Environment::from_pairs(&[(env::AUTH, "magic")]),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains(env::AUTH) && err.contains("device-code"),
            "{err}"
        );
    }

    #[test]
    fn the_tenant_comes_from_the_flag_then_its_variable_then_azure_tenant_id() {
        let az = [(env::AZURE_TENANT_ID, "az.onmicrosoft.com")];
        let inputs = setup(&[], &az);
        assert_eq!(inputs.tenant.as_deref(), Some("az.onmicrosoft.com"));
        assert_eq!(
            inputs.given("tenant"),
            Some(&Source::Variable(env::AZURE_TENANT_ID))
        );
        let inputs = setup(&[], &[az[0], (env::TENANT, "ours.onmicrosoft.com")]);
        assert_eq!(inputs.given("tenant"), Some(&Source::Variable(env::TENANT)));
        let inputs = setup(
            &["--tenant", "flag.onmicrosoft.com"],
            &[az[0], (env::TENANT, "x")],
        );
        assert_eq!(inputs.tenant.as_deref(), Some("flag.onmicrosoft.com"));
        assert_eq!(setup(&[], &[]).tenant, None);
    }

    #[test]
    fn setup_plans_a_pipeline_run_from_the_environment_alone() {
        let env = pipeline();
        let inputs = setup(&[], &with(&env, &[]));
        let plan = SetupSettings { inputs }
            .plan(&quiet(), Supplied::default())
            .unwrap();
        assert_eq!(plan.mode, Mode::Setup);
        let SignIn::ClientSecret(request) = &plan.sign_in else {
            panic!("auto picks the client secret: {:?}", plan.sign_in)
        };
        assert_eq!(request.client_id, CLIENT_ID);
        assert_eq!(request.source, env::AZURE_CLIENT_SECRET);
        assert_eq!(plan.platform().unwrap().token.domain, "acme.pushbot.com");
        assert_eq!(plan.app.redirect_uri, guide::REDIRECT_URI);
    }

    #[test]
    fn register_needs_somewhere_to_put_the_secret_by_flag_or_variable() {
        let env = pipeline();
        let cli = parse(&["register"]);
        let Some(Command::Register(args)) = cli.command else {
            panic!()
        };
        let err =
            RegisterSettings::resolve(&args, &Environment::from_pairs(&with(&env, &[])), &quiet())
                .unwrap_err()
                .to_string();
        assert!(err.contains("say where it goes"), "{err}");
        let settings = RegisterSettings::resolve(
            &args,
            &Environment::from_pairs(&with(&env, &[(env::SHOW_SECRET, "1")])),
            &quiet(),
        )
        .unwrap();
        assert!(settings.plan.secret.show);
        assert!(
            settings.plan.platform.is_none(),
            "register leaves the platform alone"
        );
        // A setup-only variable does not reach register: it has no --connection-name.
        assert_eq!(settings.plan.mode, Mode::Register);
    }

    #[test]
    fn rotate_takes_its_expiry_from_flag_or_variable_and_always_rotates() {
        let env = pipeline();
        let resolve = |args: &[&str], more: &[(&'static str, &str)]| {
            let cli = parse(args);
            let Some(Command::Rotate(args)) = cli.command else {
                panic!()
            };
            RotateSettings::resolve(&args, &Environment::from_pairs(&with(&env, more)), &quiet())
                .unwrap()
                .plan
        };
        let plan = resolve(&["rotate"], &[]);
        assert!(plan.secret.rotate);
        assert_eq!(plan.mode, Mode::Rotate);
        let plan = resolve(&["rotate"], &[(env::SECRET_DESCRIPTION, "from-env")]);
        assert_eq!(plan.secret.description, "from-env");
        let plan = resolve(
            &["rotate", "--secret-description", "from-flag"],
            &[(env::SECRET_DESCRIPTION, "from-env")],
        );
        assert_eq!(plan.secret.description, "from-flag");
    }

    #[test]
    fn status_warns_within_flag_variable_or_thirty_days() {
        let env = pipeline();
        let resolve = |args: &[&str], more: &[(&'static str, &str)]| {
            let cli = parse(args);
            let Some(Command::Status(args)) = cli.command else {
                panic!()
            };
            StatusSettings::resolve(&args, &Environment::from_pairs(&with(&env, more)), &quiet())
                .unwrap()
                .warn_within
        };
        assert_eq!(resolve(&["status"], &[]), "30d");
        assert_eq!(
            resolve(&["status"], &[(env::WARN_WITHIN, "2 weeks")]),
            "2 weeks"
        );
        assert_eq!(
            resolve(
                &["status", "--warn-within", "3mo"],
                &[(env::WARN_WITHIN, "2 weeks")]
            ),
            "3mo"
        );
    }

    #[test]
    fn remove_ignores_setup_only_variables_and_reads_its_own() {
        let env = pipeline();
        // AAD_SETUP_API is setup's: a non-Graph API would need a Resource.
        let more = [(env::API, "foo"), (env::YES, "yes"), (env::DRY_RUN, "1")];
        let cli = parse(&["remove"]);
        let Some(Command::Remove(args)) = cli.command else {
            panic!()
        };
        let settings = RemoveSettings::resolve(
            &args,
            &Environment::from_pairs(&with(&env, &more)),
            &quiet(),
        )
        .unwrap();
        assert!(settings.yes && settings.plan.dry_run);
        assert!(settings.plan.app.api.is_graph());
        assert!(matches!(
            settings.plan.mode,
            Mode::Remove { platform: true }
        ));
    }

    #[test]
    fn connect_reads_the_apps_client_id_not_the_pipelines() {
        let env = [
            (env::AZURE_CLIENT_ID, CLIENT_ID),
            (env::APP_CLIENT_ID, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"),
            (env::APP_CLIENT_SECRET, "app-secret"),
            (env::TENANT, TENANT_ID),
        ];
        let token = platform_token();
        let env: Vec<_> = env
            .into_iter()
            .chain([(env::CATALYTIC_TOKEN, token.as_str())])
            .collect();
        let cli = parse(&["connect"]);
        let Some(Command::Connect(args)) = cli.command else {
            panic!()
        };
        let plan = ConnectSettings::resolve(&args, &Environment::from_pairs(&env))
            .unwrap()
            .plan;
        assert_eq!(plan.app.client_id, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
        assert_eq!(plan.app.source, env::APP_CLIENT_SECRET);
        assert_eq!(plan.app.tenant, TENANT_ID);
        assert_eq!(plan.resource, "https://graph.microsoft.com");
    }

    #[test]
    fn platform_login_defaults_and_checks_its_values() {
        let resolve = |args: &[&str], env: &[(&'static str, &str)]| {
            let cli = parse(args);
            let Some(Command::PlatformLogin(args)) = cli.command else {
                panic!()
            };
            PlatformLoginSettings::resolve(&args, &Environment::from_pairs(env))
        };
        let settings = resolve(&["platform-login"], &[]).unwrap();
        assert_eq!(
            (settings.name.as_str(), settings.wait.as_secs()),
            ("default", 300)
        );
        assert_eq!(settings.team, None);
        let settings = resolve(
            &["platform-login"],
            &[
                (env::TOKEN_NAME, "ci"),
                (env::TEAM, "acme"),
                (env::WAIT, "60"),
            ],
        )
        .unwrap();
        assert_eq!(
            (settings.name.as_str(), settings.wait.as_secs()),
            ("ci", 60)
        );
        assert_eq!(settings.team.as_deref(), Some("acme.pushbot.com"));
        let err = resolve(&["platform-login"], &[(env::WAIT, "9999")])
            .unwrap_err()
            .to_string();
        assert!(err.contains(env::WAIT), "{err}");
    }

    #[test]
    fn the_wizard_learns_which_given_values_are_bad_and_where_they_came_from() {
        let inputs = setup(
            &["--redirect-uri", "http://bad.example"],
            &[
                (env::SECRET_EXPIRY, "sometime"),
                (env::LOGIN_URL, "http://login.example"),
            ],
        );
        let problems = check_given(&inputs);
        let flags: Vec<&str> = problems.iter().map(|(f, _)| *f).collect();
        assert_eq!(flags, ["redirect-uri", "secret-expiry", "login-url"]);
        assert!(
            problems[0].1.starts_with("--redirect-uri: "),
            "{problems:?}"
        );
        assert!(
            problems[1].1.starts_with(env::SECRET_EXPIRY),
            "{problems:?}"
        );
        // The defaults are never reported; a forgotten value is asked again.
        assert!(check_given(&setup(&[], &[])).is_empty());
        let mut inputs = inputs;
        inputs.forget("redirect-uri");
        assert_eq!(inputs.redirect_uri, guide::REDIRECT_URI);
        assert_eq!(inputs.given("redirect-uri"), None);
        inputs.answer("redirect-uri");
        assert_eq!(inputs.source("redirect-uri"), Some(&Source::Prompt));
    }

    #[test]
    fn the_pipeline_identity_is_found_with_its_source() {
        let inputs = setup(
            &[],
            &[
                (env::AZURE_CLIENT_ID, CLIENT_ID),
                (env::AZURE_CLIENT_SECRET, "x"),
            ],
        );
        assert_eq!(
            pipeline_client_id(&inputs),
            Some((CLIENT_ID.to_owned(), Source::Variable(env::AZURE_CLIENT_ID)))
        );
        assert_eq!(
            client_secret_source(&inputs),
            Some(Source::Variable(env::AZURE_CLIENT_SECRET))
        );
        let inputs = setup(&["--client-id", CLIENT_ID], &[]);
        assert_eq!(
            pipeline_client_id(&inputs)
                .map(|(_, s)| s.to_string())
                .as_deref(),
            Some("--client-id")
        );
        assert_eq!(client_secret_source(&inputs), None);
        assert!(!federated_available(&inputs));
    }

    #[test]
    fn new_files_must_not_exist() {
        let dir = tempfile::tempdir().unwrap();
        let existing = dir.path().join("x");
        std::fs::write(&existing, "").unwrap();
        assert!(check_new_file("--secret-file", &existing).is_err());
        assert!(check_new_file("--secret-file", &dir.path().join("y")).is_ok());
        assert!(check_new_file("--secret-file", &dir.path().join("no/such/y")).is_err());
    }
}
