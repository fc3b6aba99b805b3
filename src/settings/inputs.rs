//! The values `setup` (and, partly, `register`, `rotate`, `status`,
//! `remove`, `connect`) works from: each flag resolved, with where it came
//! from, but not yet checked; the wizard writes its answers in.

use std::path::PathBuf;

use super::check::{check_new_file, resource_arg};
use super::resolver::{Resolver, Source, Sources, named};
use crate::cli::{AppArgs, AuthChoice, CloudChoice, Cmd, ConnectionArgs, Flag};
use crate::cli::{MicrosoftArgs, SecretArgs};
use crate::env::{self, Environment};
use crate::validate;

/// Every value `setup` (and, partly, `register`, `rotate`, `status`,
/// `remove`) works from, resolved but not yet checked: each flag's value
/// from the command line, its variable or its default, with where it came
/// from. The plan is made from them (`SetupSettings::plan`); the wizard
/// writes its answers in ([`Inputs::answer`]) and shows where the rest came
/// from.
#[derive(Debug, Clone, Default)]
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
    /// `--replace` (see `Plan::replace`).
    pub replace: bool,
    /// `--reclaim` (see `Plan::reclaim`).
    pub reclaim: Vec<String>,
    /// The wizard's explanations and portal places (`--explain`).
    pub explain: bool,
    pub state_dir: Option<PathBuf>,
    /// Where each flag's value came from.
    sources: Sources,
    /// The environment the values were resolved in: the sign-in and the
    /// platform token read their ecosystem variables from it.
    pub env: Environment,
}

/// What a command's flags give [`Inputs::resolve`]: the setup flags it
/// has; those it lacks take their variables and defaults.
#[derive(Default)]
pub(super) struct Partial {
    pub microsoft: Option<MicrosoftArgs>,
    pub target: Option<ConnectionArgs>,
    pub resource: Option<String>,
    pub fields: Vec<String>,
    pub app: Option<AppArgs>,
    pub secret: Option<SecretArgs>,
    pub rotate: bool,
    pub admin_consent: bool,
    pub dry_run: bool,
    /// `--replace`, for the commands that have it.
    pub replace: Option<bool>,
    /// `--reclaim`, for the commands that have it.
    pub reclaim: Option<Vec<String>>,
    pub explain: bool,
    pub state_dir: Option<PathBuf>,
}

impl Inputs {
    /// Where the value of `flag` came from (`None`: it has no value).
    pub(crate) fn source(&self, flag: Flag) -> Option<&Source> {
        self.sources.get(&flag)
    }

    /// What a message about `flag`'s value names: the variable it came
    /// from, when it came from one (the person never typed the flag), else
    /// the flag.
    pub(crate) fn named(&self, flag: Flag) -> String {
        named(&self.sources, flag)
    }

    /// The source of `flag` if the user gave it (flag or variable).
    pub(crate) fn given(&self, flag: Flag) -> Option<&Source> {
        self.source(flag).filter(|s| s.is_given())
    }

    /// Records that `flag`'s value was typed at the prompt.
    pub(crate) fn answer(&mut self, flag: Flag) {
        self.sources.insert(flag, Source::Prompt);
    }

    /// Resolves `command`'s values: `fill` resolves the command's own flags
    /// and says which of the setup flags the command has.
    pub(super) fn resolve(
        command: Cmd,
        env: &Environment,
        fill: impl FnOnce(&mut Resolver<'_>) -> anyhow::Result<Partial>,
    ) -> anyhow::Result<Inputs> {
        let mut r = Resolver::new(command, env);
        let p = fill(&mut r)?;
        let mut inputs = Inputs {
            env: env.clone(),
            ..Inputs::default()
        };
        inputs.sign_in(&mut r, command, p.microsoft.clone().unwrap_or_default())?;
        inputs.platform(&mut r, &p);
        inputs.app(&mut r, p.app.clone().unwrap_or_default());
        inputs.secret(&mut r, &p);
        inputs.run(&mut r, &p);
        for (flag, source) in &r.sources {
            if let Source::Variable(var) = source {
                tracing::debug!("{}: {flag} from {var}", command.name());
            }
        }
        inputs.sources = r.sources;
        Ok(inputs)
    }

    /// Microsoft: who signs in, and where. The tenant falls back to
    /// AZURE_TENANT_ID, as the Azure SDKs read it.
    fn sign_in(
        &mut self,
        r: &mut Resolver<'_>,
        command: Cmd,
        ms: MicrosoftArgs,
    ) -> anyhow::Result<()> {
        self.tenant = r.text(Flag::Tenant, ms.tenant.as_deref());
        if self.tenant.is_none()
            && let Some(tenant) = self.env.var(env::AZURE_TENANT_ID)
        {
            self.tenant = Some(tenant);
            r.sources
                .insert(Flag::Tenant, Source::Variable(env::AZURE_TENANT_ID));
        }
        self.auth = r.choice(Flag::Auth, ms.auth)?;
        // `connect --client-id` names the app put on the platform.
        let client_id = match command {
            Cmd::Connect => Flag::AppClientId,
            _ => Flag::ClientId,
        };
        self.client_id = r.text(client_id, ms.client_id.as_deref());
        self.client_secret_file = r.path(Flag::ClientSecretFile, ms.client_secret_file.as_deref());
        self.graph_token_file = r.path(Flag::GraphTokenFile, ms.graph_token_file.as_deref());
        self.cloud = r.choice_given(Flag::Cloud, ms.cloud)?;
        self.login_url = r.text(Flag::LoginUrl, ms.login_url.as_deref());
        self.graph_url = r.text(Flag::GraphUrl, ms.graph_url.as_deref());
        Ok(())
    }

    /// The platform, and what the connection is given.
    fn platform(&mut self, r: &mut Resolver<'_>, p: &Partial) {
        let target = p.target.clone().unwrap_or_default();
        self.platform_url = r.required(Flag::PlatformUrl, target.platform_url.as_deref());
        self.platform_token_file = r.text(
            Flag::PlatformTokenFile,
            target.platform_token_file.as_deref(),
        );
        self.integration = r.required(Flag::Integration, target.integration.as_deref());
        self.connection_name = r.required(Flag::ConnectionName, target.connection_name.as_deref());
        self.resource = r.text(Flag::Resource, p.resource.as_deref());
        self.fields = r.list(Flag::Field, &p.fields);
    }

    /// The app registration.
    fn app(&mut self, r: &mut Resolver<'_>, app: AppArgs) {
        self.app_name = r.required(Flag::AppName, app.app_name.as_deref());
        self.redirect_uri = r.required(Flag::RedirectUri, app.redirect_uri.as_deref());
        self.api = r.required(Flag::Api, app.api.as_deref());
        self.permission = r.required(Flag::Permission, app.permission.as_deref());
        self.app_id = r.text(Flag::AppId, app.app_id.as_deref());
        self.adopt = r.switch(Flag::Adopt, app.adopt);
    }

    /// The client secret.
    fn secret(&mut self, r: &mut Resolver<'_>, p: &Partial) {
        let secret = p.secret.clone().unwrap_or_default();
        self.secret_description = r.required(
            Flag::SecretDescription,
            secret.secret_description.as_deref(),
        );
        self.secret_expiry = r.required(Flag::SecretExpiry, secret.secret_expiry.as_deref());
        self.show_secret = r.switch(Flag::ShowSecret, secret.show_secret);
        self.secret_file = r.path(Flag::SecretFile, secret.secret_file.as_deref());
        self.rotate = p.rotate || r.switch(Flag::Rotate, secret.rotate);
        self.keep_secret_on_failure =
            r.switch(Flag::KeepSecretOnFailure, secret.keep_secret_on_failure);
    }

    /// What the run does, and where its record is.
    fn run(&mut self, r: &mut Resolver<'_>, p: &Partial) {
        self.admin_consent = r.switch(Flag::AdminConsent, p.admin_consent);
        self.dry_run = r.switch(Flag::DryRun, p.dry_run);
        if let Some(given) = p.replace {
            self.replace = r.switch(Flag::Replace, given);
        }
        if let Some(given) = &p.reclaim {
            self.reclaim = r.list(Flag::Reclaim, given);
        }
        self.explain = r.switch(Flag::Explain, p.explain);
        // Every command reads the variable, `connect` too, which has no
        // `--state-dir`.
        self.state_dir = p
            .state_dir
            .clone()
            .or_else(|| self.env.var(env::STATE_DIR).map(PathBuf::from));
    }

    /// The guide's values, nothing given: where `demo` starts.
    #[cfg(feature = "emulator")]
    pub(crate) fn guide(env: &Environment) -> Inputs {
        Inputs::resolve(Cmd::Setup, env, |_| Ok(Partial::default()))
            .expect("the defaults are valid")
    }

    /// Drops the value of `flag` for the guide's default (or none), to be
    /// asked for again.
    pub(crate) fn forget(&mut self, flag: Flag) {
        let default = || flag.default().unwrap_or_default().to_owned();
        match flag {
            Flag::AppName => self.app_name = default(),
            Flag::RedirectUri => self.redirect_uri = default(),
            Flag::SecretDescription => self.secret_description = default(),
            Flag::SecretExpiry => self.secret_expiry = default(),
            Flag::ConnectionName => self.connection_name = default(),
            Flag::Tenant => self.tenant = None,
            Flag::ClientId => self.client_id = None,
            _ => return,
        }
        self.sources.insert(flag, Source::Default);
    }
}

/// The values the wizard asks for at a step: one given with a bad value is
/// reported and asked again there. A bad value of any other flag ends the
/// wizard before its first question.
pub(crate) const ASKED: &[Flag] = &[
    Flag::AppName,
    Flag::RedirectUri,
    Flag::SecretDescription,
    Flag::SecretExpiry,
    Flag::ConnectionName,
    Flag::Tenant,
    Flag::ClientId,
];

/// Checks every value given by a flag or a variable (not the defaults, not
/// answers): `(flag, what is wrong, naming where it came from)`. The
/// wizard runs it before its first question; the plan makes the same
/// checks for a run without one.
pub(crate) fn check_given(inputs: &Inputs) -> Vec<(Flag, String)> {
    let mut problems = Vec::new();
    let mut check = |flag: Flag, result: Result<(), String>| {
        if let (Err(e), Some(source)) = (result, inputs.given(flag)) {
            problems.push((flag, format!("{source}: {e}")));
        }
    };
    let ok = |r: Result<String, String>| r.map(|_| ());
    let name = |what: &str, value: &str| ok(validate::name(what, value));
    check(Flag::AppName, name("the app name", &inputs.app_name));
    check(
        Flag::RedirectUri,
        ok(validate::redirect_uri(&inputs.redirect_uri)),
    );
    check(
        Flag::SecretDescription,
        name("the description", &inputs.secret_description),
    );
    check(
        Flag::SecretExpiry,
        validate::expiry(&inputs.secret_expiry, jiff::Timestamp::now()).map(|_| ()),
    );
    check(
        Flag::ConnectionName,
        name("the connection name", &inputs.connection_name),
    );
    check(
        Flag::Integration,
        name("the integration", &inputs.integration),
    );
    if let Some(tenant) = &inputs.tenant {
        check(Flag::Tenant, ok(validate::tenant(tenant)));
    }
    if let Some(id) = &inputs.client_id {
        check(Flag::ClientId, ok(validate::guid("the client id", id)));
    }
    if let Some(id) = &inputs.app_id {
        check(Flag::AppId, ok(validate::guid("the app id", id)));
    }
    check(Flag::Permission, permission(&inputs.permission));
    check(
        Flag::Resource,
        resource_arg(inputs.resource.as_deref())
            .map(|_| ())
            .map_err(|e| e.to_string()),
    );
    for (flag, url) in [
        (Flag::LoginUrl, inputs.login_url.as_deref()),
        (Flag::GraphUrl, inputs.graph_url.as_deref()),
        (Flag::PlatformUrl, Some(inputs.platform_url.as_str())),
    ] {
        if let Some(url) = url {
            check(flag, validate::service_url(flag.name(), url).map(|_| ()));
        }
    }
    if let Some(path) = &inputs.secret_file {
        check(
            Flag::SecretFile,
            check_new_file("--secret-file", path).map_err(|e| e.to_string()),
        );
    }
    problems
}

/// A delegated permission's name: one word.
fn permission(value: &str) -> Result<(), String> {
    let permission = value.trim();
    if permission.is_empty() || permission.contains(char::is_whitespace) {
        Err(format!("'{value}' is not a permission name"))
    } else {
        Ok(())
    }
}

/// How long the wizard waits for a platform token's approval: what
/// `platform-login --wait` takes from its variable, else its default.
pub(crate) fn approval_wait(inputs: &Inputs) -> anyhow::Result<std::time::Duration> {
    let mut r = Resolver::new(Cmd::PlatformLogin, &inputs.env);
    Ok(std::time::Duration::from_secs(r.number(
        Flag::Wait,
        None,
        1..=3600,
    )?))
}
