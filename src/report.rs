//! What a run did, as data: the steps fill it in, each result says how it
//! reads for people and as JSON ([`Outcome`]), and [`crate::output`] prints
//! it. It holds the new secret only when the user asked to
//! see it, and never serializes it by itself.

mod code;

pub(crate) use code::Code;
use secrecy::{ExposeSecret as _, SecretString};
use serde::Serialize;

/// The version of the JSON documents' shape ([`envelope`]): raised when a
/// field is removed or changes meaning (adding one does not).
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// The JSON Schemas (draft 2020-12) of the documents, shipped in the binary
/// (README "Output"): `run` for setup, register, rotate and connect.
pub(crate) const SCHEMAS: &[(&str, &str)] = &[
    ("run", include_str!("schema/run.json")),
    ("status", include_str!("schema/status.json")),
    ("remove", include_str!("schema/remove.json")),
    ("platform-login", include_str!("schema/platform-login.json")),
    ("error", include_str!("schema/error.json")),
    ("emulator", include_str!("schema/emulator.json")),
    ("fleet", include_str!("schema/fleet.json")),
    ("matrix", include_str!("schema/matrix.json")),
    ("file", include_str!("schema/file.json")),
];

/// Every JSON document carries `schemaVersion` and the tool's `version`.
pub(crate) fn envelope(mut doc: serde_json::Value) -> serde_json::Value {
    if let Some(map) = doc.as_object_mut() {
        map.insert("schemaVersion".into(), SCHEMA_VERSION.into());
        map.insert("version".into(), env!("CARGO_PKG_VERSION").into());
    }
    doc
}

/// A timestamp for people: "30 Nov 2028, in 24 months" (the JSON keeps the
/// ISO form). Anything that does not parse is shown as it is.
pub(crate) fn when(iso: &str) -> String {
    when_from(iso, jiff::Timestamp::now())
}

fn when_from(iso: &str, now: jiff::Timestamp) -> String {
    let Ok(at) = iso.parse::<jiff::Timestamp>() else {
        return iso.to_owned();
    };
    let date = at.strftime("%-d %b %Y").to_string();
    let days = (at.as_second() - now.as_second()).div_euclid(86_400);
    let relative = match days {
        ..-1 => format!("{} days ago", -days),
        -1 => "yesterday".to_owned(),
        0 => "today".to_owned(),
        1 => "tomorrow".to_owned(),
        2..60 => format!("in {days} days"),
        _ => format!("in {} months", (days as f64 / 30.44).round() as i64),
    };
    format!("{date}, {relative}")
}

/// Whole days from now until `iso` (negative once past).
pub(crate) fn days_left(iso: &str) -> Option<i64> {
    days_left_at(iso, jiff::Timestamp::now())
}

/// Whole days from `now` until `iso` (negative once past).
pub(crate) fn days_left_at(iso: &str, now: jiff::Timestamp) -> Option<i64> {
    let at = iso.parse::<jiff::Timestamp>().ok()?;
    Some((at.as_second() - now.as_second()).div_euclid(86_400))
}

/// [`when`], seen from `now` (the directory's clock).
pub(crate) fn when_at(iso: &str, now: jiff::Timestamp) -> String {
    when_from(iso, now)
}

/// Where the policy that applies comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum PolicySource {
    /// The tenant's default app management policy.
    TenantDefault,
    /// A policy assigned to the app.
    App,
}

/// The app management policy that applies to the app's client secrets
/// (read by `crate::steps::credential_policy`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PolicyInfo {
    pub source: PolicySource,
    pub id: String,
    pub display_name: Option<String>,
    /// `passwordLifetime`: the longest a new secret may live (ISO 8601).
    pub max_lifetime: Option<String>,
    /// The same, in whole days (for people and scripts).
    pub max_days: Option<i64>,
    /// `passwordAddition` restricted for this app: no new client secret.
    pub blocks_secrets: bool,
    /// The date after which created apps are restricted, when it says.
    pub restricts_apps_created_after: Option<String>,
}

/// Whether the secret a connection holds is due for renewal
/// (`rotate --if-expiring-within`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RenewalInfo {
    /// It expires within the window: the run rotates it.
    pub due: bool,
    /// The window, as given (`30d`).
    pub window: String,
    /// When the secret the connection holds expires (ISO 8601), if known.
    pub expires: Option<String>,
    /// Whole days until then.
    pub days_left: Option<i64>,
}

/// Where a rotation made with `--keep-previous` stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum RotationState {
    /// Both connections and both secrets work: the platform admin connects
    /// the new one, then `rotate --finish`.
    InProgress,
    /// The previous connection and its secret are gone.
    Finished,
}

/// One side of a rotation: a connection and the secret it holds.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RotationSide {
    pub connection_id: String,
    pub connection_name: Option<String>,
    pub key_id: Option<String>,
    /// ISO 8601.
    pub expires: Option<String>,
    pub days_left: Option<i64>,
}

/// A rotation in two phases (`rotate --keep-previous`, `--finish`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RotationInfo {
    pub state: RotationState,
    /// The connection replaced, and its secret.
    pub previous: RotationSide,
    /// The new connection, and its secret.
    pub current: Option<RotationSide>,
    /// In progress: what the platform admin must do.
    pub admin_action: Option<String>,
    /// The platform, where the admin does it.
    pub platform: String,
}

impl RotationInfo {
    /// The lines for people.
    pub(crate) fn human(&self, lines: &mut Vec<String>) {
        let state = match self.state {
            RotationState::InProgress => "IN PROGRESS: both connections and both secrets work",
            RotationState::Finished => "finished: the previous connection and its secret are gone",
        };
        row(lines, "Rotation", state);
        let side = |s: &RotationSide| {
            format!(
                "\"{}\" ({}), secret {} expires {}",
                s.connection_name.as_deref().unwrap_or("?"),
                s.connection_id,
                s.key_id.as_deref().unwrap_or("?"),
                s.expires.as_deref().map_or("unknown".into(), when)
            )
        };
        if let Some(current) = &self.current {
            row(lines, "New", &side(current));
        }
        row(lines, "Previous", &side(&self.previous));
        if self.state == RotationState::InProgress {
            row(lines, "Platform", &self.platform);
        }
    }
}

/// What a step did with an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Action {
    Created,
    Reused,
    Updated,
    /// A new one made in place of the old one, which was then deleted (the
    /// platform connection: it cannot be edited).
    Replaced,
    Removed,
    /// Dry run: would be created / updated / replaced.
    WouldCreate,
    WouldUpdate,
    WouldReplace,
}

impl Action {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Reused => "reused",
            Action::Updated => "updated",
            Action::Replaced => "replaced",
            Action::Removed => "removed",
            Action::WouldCreate => "would create",
            Action::WouldUpdate => "would update",
            Action::WouldReplace => "would replace",
        }
    }
}

/// What a change does, shown by one set of plan markers everywhere (the
/// wizard's plan, `--dry-run`, `remove`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Op {
    /// `+`
    Create,
    /// `~`
    Change,
    /// `-`
    Delete,
    /// `=`: in place, kept as it is.
    Keep,
}

impl Op {
    pub(crate) fn marker(self) -> &'static str {
        match self {
            Op::Create => "+",
            Op::Change => "~",
            Op::Delete => "-",
            Op::Keep => "=",
        }
    }
}

/// One change of a plan: what it does (`op`), a stable `code` for
/// scripts, and the prose.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Change {
    pub op: Op,
    pub code: &'static str,
    pub message: String,
}

impl Change {
    pub(crate) fn new(op: Op, code: Code, message: impl Into<String>) -> Change {
        Change {
            op,
            code: code.into(),
            message: message.into(),
        }
    }
}

/// A warning or a next step: a stable `code` for scripts, and the prose.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Item {
    pub code: &'static str,
    pub message: String,
}

impl Item {
    pub(crate) fn new(code: Code, message: impl Into<String>) -> Item {
        Item {
            code: code.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Status {
    /// Everything is in place and verified.
    Done,
    /// Azure done, the platform not (exit 5).
    Partial,
    /// Nothing was changed (--dry-run).
    DryRun,
    /// Stopped by Ctrl-C once changes had begun, at a step boundary (exit
    /// 130); the report says what exists.
    Interrupted,
    /// Done, with something left to do by hand (the `warnings`): exit 6.
    NeedsAttention,
}

#[derive(Debug, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TenantInfo {
    pub id: String,
    /// The directory's display name, when Graph says (`GET /organization`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its default verified domain, likewise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_domain: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AppInfo {
    pub display_name: String,
    pub object_id: String,
    /// The Application (client) ID: the platform's Client ID.
    pub client_id: String,
    pub sign_in_audience: String,
    pub redirect_uri: String,
    pub action: Action,
    pub service_principal_id: String,
    pub service_principal_action: Action,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PermissionInfo {
    pub api: String,
    pub api_app_id: String,
    pub name: String,
    pub id: String,
    /// `Scope` (delegated).
    #[serde(rename = "type")]
    pub kind: String,
    pub admin_consent_required: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConsentInfo {
    pub action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SecretInfo {
    pub description: String,
    /// Absent in a dry run that would create the secret (it has no id yet).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// ISO 8601 (UTC).
    pub expires: Option<String>,
    pub action: Action,
    /// Written here (mode 0600) because --secret-file asked for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Only with --show-secret; rendered by the output module, never serialized here.
    #[serde(skip)]
    pub value: Option<SecretString>,
}

impl std::fmt::Debug for SecretInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretInfo")
            .field("description", &self.description)
            .field("key_id", &self.key_id)
            .field("action", &self.action)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConnectionInfo {
    pub id: String,
    pub name: String,
    pub integration_id: String,
    pub integration_name: String,
    pub team: String,
    /// What the run did with it: `created`, `reused`, `replaced` (a new
    /// connection in place of `previousId`, which was deleted), or a dry
    /// run's `would-create` / `would-replace`.
    #[serde(rename = "status")]
    pub action: Action,
    /// The connection this one replaced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_id: Option<String>,
}

impl ConnectionInfo {
    /// This connection replaced `old` (when there was one).
    pub(crate) fn replacing(mut self, old: Option<&str>) -> ConnectionInfo {
        if let Some(old) = old {
            self.previous_id = Some(old.to_owned());
            if self.action == Action::Updated || self.action == Action::Created {
                self.action = Action::Replaced;
            }
        }
        self
    }
}

#[derive(Debug, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Verification {
    /// The new secret obtained a token from Entra.
    pub secret_signs_in: Option<bool>,
    /// The connection is visible on the platform.
    pub connection_visible: Option<bool>,
}

/// Where to look at the result by hand (the human summary shows them).
#[derive(Debug, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Links {
    /// The app's page in the Azure portal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub azure_portal: Option<String>,
    /// The platform, where the connection is under Admin > Integrations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
}

/// The app's Overview page in the Azure portal.
pub(crate) fn portal_link(client_id: &str) -> String {
    format!(
        "https://portal.azure.com/#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Overview/appId/{client_id}"
    )
}

/// The result of `setup`, `register`, `rotate` and `connect`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Report {
    pub status: Status,
    pub tenant: TenantInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<AppInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission: Option<PermissionInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent: Option<ConsentInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<SecretInfo>,
    /// The Resource value given to the platform.
    pub resource: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<ConnectionInfo>,
    pub verification: Verification,
    /// `connect`: the Client ID of the app registered elsewhere (`setup`
    /// reports it under `app`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Dry run: the changes the run would make.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    /// Dry run: what is in place already and would be kept as it is.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unchanged: Vec<Item>,
    /// What the admin should do next.
    pub next_steps: Vec<Item>,
    /// Notes worth reading (reused values, old secrets left in place).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// What went wrong after the result was in place (an old connection
    /// or secret not removed): the run exits 6 after the summary.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Item>,
    pub links: Links,
    /// The human summary's first line when done, if not the whole
    /// integration's ("set up").
    #[serde(skip)]
    pub heading: Option<&'static str>,
    /// A first line made at run time (wins over `heading`): a renewal not
    /// due, a rotation finished.
    #[serde(skip)]
    pub headline: Option<String>,
    /// `rotate --if-expiring-within`: whether the secret was due.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renewal: Option<RenewalInfo>,
    /// A rotation in two phases: in progress, or finished by this run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation: Option<RotationInfo>,
    /// The app management policy that applies to the app's client
    /// secrets, when it was read and restricts them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyInfo>,
}

impl Report {
    /// Names the directory (display name, default domain) next to its id.
    pub(crate) fn in_directory(
        mut self,
        name: Option<String>,
        default_domain: Option<String>,
    ) -> Report {
        self.tenant.name = name;
        self.tenant.default_domain = default_domain;
        self
    }

    pub(crate) fn new(tenant_id: String) -> Report {
        Report {
            status: Status::Done,
            tenant: TenantInfo {
                id: tenant_id,
                ..TenantInfo::default()
            },
            app: None,
            permission: None,
            consent: None,
            secret: None,
            resource: String::new(),
            connection: None,
            verification: Verification::default(),
            client_id: None,
            changes: Vec::new(),
            unchanged: Vec::new(),
            next_steps: Vec::new(),
            notes: Vec::new(),
            warnings: Vec::new(),
            links: Links::default(),
            heading: None,
            headline: None,
            renewal: None,
            rotation: None,
            policy: None,
        }
    }

    /// A change the run would make.
    pub(crate) fn change(&mut self, op: Op, code: Code, message: impl Into<String>) {
        self.changes.push(Change::new(op, code, message));
    }

    /// Something in place that would be kept.
    pub(crate) fn keep(&mut self, code: Code, message: impl Into<String>) {
        self.unchanged.push(Item::new(code, message));
    }

    /// Something left to do by hand once the result is in place.
    pub(crate) fn warn(&mut self, code: Code, message: impl Into<String>) {
        self.warnings.push(Item::new(code, message));
    }

    /// What the admin should do next.
    pub(crate) fn next(&mut self, code: Code, message: impl Into<String>) {
        self.next_steps.push(Item::new(code, message));
    }

    /// The links, from what the report holds.
    fn fill_links(&self) -> Links {
        let client_id = self
            .app
            .as_ref()
            .map(|a| a.client_id.as_str())
            .or(self.client_id.as_deref())
            .filter(|id| !id.is_empty());
        Links {
            azure_portal: client_id.map(portal_link),
            platform: self
                .connection
                .as_ref()
                .map(|c| format!("https://{}", c.team)),
        }
    }
}

/// How a check of `status` came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum CheckResult {
    /// As it should be.
    Ok,
    /// Worth knowing, not a problem (admin consent not granted: optional).
    Info,
    /// Needs attention: the run exits 6.
    Attention,
}

/// Whether tenant-wide admin consent is granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ConsentState {
    Granted,
    NotGranted,
    /// Not known: the app has no service principal to hold a grant.
    Unknown,
}

/// One check of `status`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Check {
    /// Stable, for scripts (`client-secret`, `admin-consent`, …).
    pub code: &'static str,
    /// For people.
    pub name: &'static str,
    pub result: CheckResult,
    /// `result` is not `attention`.
    pub ok: bool,
    pub detail: String,
    /// `client-secret`: when it expires (ISO 8601) and the whole days left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_left: Option<i64>,
    /// `admin-consent`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent: Option<ConsentState>,
}

impl Check {
    pub(crate) fn new(
        code: &'static str,
        name: &'static str,
        ok: bool,
        detail: impl Into<String>,
    ) -> Check {
        Check {
            code,
            name,
            result: if ok {
                CheckResult::Ok
            } else {
                CheckResult::Attention
            },
            ok,
            detail: detail.into(),
            expires_at: None,
            days_left: None,
            consent: None,
        }
    }
}

/// `status`'s overall answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Health {
    Healthy,
    /// Some check needs attention: exit 6.
    NeedsAttention,
}

/// The result of `status`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StatusReport {
    pub status: Health,
    pub healthy: bool,
    pub tenant_id: String,
    /// The directory's display name, when Graph says (`GET /organization`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_name: Option<String>,
    /// Its default verified domain, likewise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_default_domain: Option<String>,
    pub checks: Vec<Check>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<Links>,
    /// A rotation made with `--keep-previous` and not finished.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation: Option<RotationInfo>,
    /// The app management policy that applies to the app's client
    /// secrets, when it was read and restricts them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyInfo>,
}

/// A command's result: what it prints on stdout, as one JSON document or
/// as lines for people. Every command's result implements it, and
/// [`crate::output::Printer::result`] is the one way to print one.
pub(crate) trait Outcome: Serialize {
    /// The lines of the human summary (`color`: a terminal without NO_COLOR).
    fn human(&self, color: bool) -> Vec<String>;

    /// The JSON document (without the [`envelope`], which the printer adds).
    fn json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// A secret the result hands on (the user asked to see it): masked in
    /// GitHub Actions logs before anything is printed.
    fn shown_secret(&self) -> Option<&SecretString> {
        None
    }

    /// GitHub Actions step outputs (`name=value`), written when the run is
    /// a step of a workflow.
    fn step_outputs(&self) -> Vec<String> {
        Vec::new()
    }

    /// The job summary (Markdown, `$GITHUB_STEP_SUMMARY`): what a person
    /// reading the workflow run must know. Never a secret.
    fn step_summary(&self) -> Vec<String> {
        Vec::new()
    }
}

/// `| key | value |` with the table's pipes escaped.
fn summary_row(key: &str, value: &str) -> String {
    format!("| {key} | {} |", value.replace('|', "\\|"))
}

/// The summary's "what a person must do" list.
fn summary_todo(lines: &mut Vec<String>, items: &[String]) {
    if items.is_empty() {
        return;
    }
    lines.push(String::new());
    lines.push("**What a person must do**".into());
    lines.push(String::new());
    for item in items {
        lines.push(format!("- {item}"));
    }
}

impl Outcome for Report {
    fn json(&self) -> serde_json::Value {
        let mut doc = serde_json::to_value(self).unwrap_or_default();
        if let Ok(links) = serde_json::to_value(self.fill_links()) {
            doc["links"] = links;
        }
        if let (Some(value), Some(secret)) = (
            self.shown_secret(),
            doc.get_mut("secret").and_then(|s| s.as_object_mut()),
        ) {
            secret.insert("value".into(), value.expose_secret().into());
        }
        doc
    }

    fn shown_secret(&self) -> Option<&SecretString> {
        self.secret.as_ref().and_then(|s| s.value.as_ref())
    }

    fn step_outputs(&self) -> Vec<String> {
        let r = self;
        let mut lines = vec![format!("tenant-id={}", r.tenant.id)];
        if let Some(app) = &r.app {
            lines.push(format!("client-id={}", app.client_id));
            lines.push(format!("object-id={}", app.object_id));
        }
        if !r.resource.is_empty() {
            lines.push(format!("resource={}", r.resource));
        }
        if let Some(c) = &r.connection {
            lines.push(format!("connection-id={}", c.id));
        }
        if let Some(value) = r.shown_secret() {
            lines.push(format!("client-secret={}", value.expose_secret()));
        }
        // For a scheduled pipeline's own notification.
        let expires = r
            .secret
            .as_ref()
            .and_then(|s| s.expires.clone())
            .or_else(|| r.renewal.as_ref().and_then(|n| n.expires.clone()));
        if let Some(days) = expires.as_deref().and_then(days_left) {
            lines.push(format!("days-left={days}"));
        }
        let attention = !r.warnings.is_empty()
            || matches!(
                r.status,
                Status::NeedsAttention | Status::Partial | Status::Interrupted
            );
        lines.push(format!("needs-attention={attention}"));
        lines
    }

    fn step_summary(&self) -> Vec<String> {
        let first = self.human_heading().into_iter().next().unwrap_or_default();
        let mut lines = vec![format!("### aad-setup: {first}"), String::new()];
        lines.push("| | |".into());
        lines.push("| --- | --- |".into());
        if let Some(c) = &self.connection {
            lines.push(summary_row(
                "Connection",
                &format!("{} ({}) on {}", c.name, c.id, c.team),
            ));
        }
        let expires = self
            .secret
            .as_ref()
            .and_then(|s| s.expires.clone())
            .or_else(|| self.renewal.as_ref().and_then(|r| r.expires.clone()));
        if let Some(end) = expires {
            let days = days_left(&end).map_or(String::new(), |d| format!(" ({d} days left)"));
            lines.push(summary_row(
                "Secret expires",
                &format!("{}{days}", when(&end)),
            ));
        }
        if let Some(r) = &self.rotation {
            let state = match r.state {
                RotationState::InProgress => "in progress: both connections work",
                RotationState::Finished => "finished",
            };
            lines.push(summary_row("Rotation", state));
        }
        if let Some(p) = &self.policy {
            let cap = p.max_days.map_or("restricts client secrets".into(), |d| {
                format!("caps client secrets at {d} days")
            });
            lines.push(summary_row("Credential policy", &cap));
        }
        let todo: Vec<String> = self.warnings.iter().map(|w| w.message.clone()).collect();
        summary_todo(&mut lines, &todo);
        lines
    }

    fn human(&self, _color: bool) -> Vec<String> {
        let mut lines = self.human_heading();
        lines.push(String::new());
        self.human_azure(&mut lines);
        self.human_platform(&mut lines);
        if let Some(rotation) = &self.rotation {
            rotation.human(&mut lines);
        }
        self.human_tail(&mut lines);
        lines
    }
}

impl Report {
    /// The first line, and a dry run's plan.
    fn human_heading(&self) -> Vec<String> {
        let heading = match self.status {
            Status::Done | Status::NeedsAttention if self.headline.is_some() => {
                self.headline.as_deref().unwrap_or_default()
            }
            Status::Done => self
                .heading
                .unwrap_or("Azure Active Directory integration is set up."),
            Status::Partial => {
                "Setup is PARTIAL: the Azure side exists, the platform connection does not."
            }
            Status::DryRun => "Dry run: nothing was changed. The run would:",
            Status::Interrupted => {
                "Setup was INTERRUPTED before it finished. What exists now is listed below."
            }
            Status::NeedsAttention => "Done, but something NEEDS YOUR ATTENTION (below).",
        };
        let mut lines = vec![heading.to_owned()];
        if self.status == Status::DryRun {
            lines.extend(plan_lines(&self.changes, &self.unchanged));
        }
        lines
    }

    /// Tenant, app, permission, consent, secret.
    fn human_azure(&self, lines: &mut Vec<String>) {
        row(lines, "Tenant ID", &self.tenant.id);
        if let Some(name) = &self.tenant.name {
            match &self.tenant.default_domain {
                Some(domain) => row(lines, "Tenant", &format!("{name} ({domain})")),
                None => row(lines, "Tenant", name),
            }
        }
        if let Some(app) = &self.app {
            let named = format!("{} ({})", app.display_name, app.action.as_str());
            row(lines, "App", &named);
            row(lines, "Client ID", &app.client_id);
            row(lines, "Object ID", &app.object_id);
            row(
                lines,
                "Redirect URI",
                &format!("{} (Web)", app.redirect_uri),
            );
            let sp = format!(
                "{} ({})",
                app.service_principal_id,
                app.service_principal_action.as_str()
            )
            .trim_start()
            .to_owned();
            row(lines, "Service principal", &sp);
        }
        if let (None, Some(client_id)) = (&self.app, &self.client_id) {
            row(lines, "Client ID", client_id);
        }
        if let Some(p) = &self.permission {
            row(
                lines,
                "Permission",
                &format!("{} / {} (delegated)", p.api, p.name),
            );
        }
        if let Some(c) = &self.consent {
            let consent = match c.action {
                Action::Created => "granted for all users",
                Action::Reused => "granted for all users (already)",
                Action::WouldCreate => "would grant for all users",
                other => other.as_str(),
            };
            row(lines, "Admin consent", consent);
        }
        if let Some(s) = &self.secret {
            let expires = s.expires.as_deref().map_or("unknown".into(), when);
            let what = format!(
                "{} ({}), expires {expires}",
                s.description,
                s.action.as_str()
            );
            row(lines, "Secret", &what);
            if let Some(file) = &s.file {
                row(lines, "Secret file", file);
            }
            if let Some(value) = &s.value {
                row(lines, "Client secret", value.expose_secret());
            }
        }
    }

    /// Resource, connection, verification, links.
    fn human_platform(&self, lines: &mut Vec<String>) {
        row(lines, "Resource", &self.resource);
        if let Some(c) = &self.connection {
            row(
                lines,
                "Connection",
                &format!("{} ({})", c.name, c.action.as_str()),
            );
            row(lines, "Connection ID", &c.id);
            if let Some(old) = &c.previous_id {
                row(lines, "Replaced", old);
            }
            let integration = format!("{} [{}]", c.integration_name, c.integration_id);
            row(lines, "Integration", &integration);
            row(lines, "Team", &c.team);
        }
        let verified = |v: Option<bool>| match v {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "not checked",
        };
        // A renewal not due, a rotation finished: nothing new to verify.
        let checked = self.renewal.as_ref().is_none_or(|r| r.due)
            && (self.headline.is_none()
                || self
                    .secret
                    .as_ref()
                    .is_some_and(|s| s.action == Action::Created));
        if checked && matches!(self.status, Status::Done | Status::NeedsAttention) {
            let signs_in = verified(self.verification.secret_signs_in);
            row(lines, "Secret signs in", signs_in);
            // `register` makes no connection: nothing to check there.
            if self.connection.is_some() || self.verification.connection_visible.is_some() {
                let visible = verified(self.verification.connection_visible);
                row(lines, "Connection visible", visible);
            }
        }
        let links = self.fill_links();
        if let Some(portal) = &links.azure_portal {
            row(lines, "Azure portal", portal);
        }
        if let Some(platform) = &links.platform {
            let at = format!("{platform} (Admin > Integrations > {})", self.integration());
            row(lines, "Platform", &at);
        }
    }

    fn integration(&self) -> &str {
        self.connection
            .as_ref()
            .map_or("Azure Active Directory", |c| c.integration_name.as_str())
    }

    /// Notes, warnings, next steps.
    fn human_tail(&self, lines: &mut Vec<String>) {
        if !self.notes.is_empty() {
            lines.push(String::new());
            for note in &self.notes {
                lines.push(format!("Note: {note}"));
            }
        }
        if !self.warnings.is_empty() {
            lines.push(String::new());
            for warning in &self.warnings {
                lines.push(format!("NEEDS ATTENTION: {}", warning.message));
            }
        }
        if !self.next_steps.is_empty() {
            lines.push(String::new());
            lines.push("Next:".into());
            for (i, step) in self.next_steps.iter().enumerate() {
                lines.push(format!("  {}. {}", i + 1, step.message));
            }
        }
    }
}

/// A plan as lines, with the markers (`+` create, `~` change, `-` delete,
/// `=` kept).
pub(crate) fn plan_lines(changes: &[Change], unchanged: &[Item]) -> Vec<String> {
    let mut lines = Vec::new();
    if changes.is_empty() {
        lines.push("  nothing: everything is in place".into());
    }
    for change in changes {
        lines.push(format!("  {} {}", change.op.marker(), change.message));
    }
    if !unchanged.is_empty() {
        lines.push("Already in place, kept as it is:".into());
        for kept in unchanged {
            lines.push(format!("  {} {}", Op::Keep.marker(), kept.message));
        }
    }
    lines
}

/// A row of the human summary; an empty value is left out.
fn row(lines: &mut Vec<String>, key: &str, value: &str) {
    if !value.trim().is_empty() {
        lines.push(format!("  {key:<20} {value}"));
    }
}

impl Outcome for StatusReport {
    fn human(&self, color: bool) -> Vec<String> {
        let tenant = match (&self.tenant_name, &self.tenant_default_domain) {
            (Some(name), Some(domain)) => format!("{name} ({domain}, id {})", self.tenant_id),
            (Some(name), None) => format!("{name} (id {})", self.tenant_id),
            _ => self.tenant_id.clone(),
        };
        let mut lines = vec![format!("Tenant {tenant}")];
        for check in &self.checks {
            let (mark, paint): (&str, fn(&str) -> String) = match check.result {
                CheckResult::Ok => ("✓", |m| console::style(m).green().to_string()),
                CheckResult::Info => ("•", |m| console::style(m).cyan().to_string()),
                CheckResult::Attention => ("✗", |m| console::style(m).red().to_string()),
            };
            let mark = if color { paint(mark) } else { mark.to_owned() };
            lines.push(format!("{mark} {:<20} {}", check.name, check.detail));
        }
        if let Some(rotation) = &self.rotation {
            rotation.human(&mut lines);
            if let Some(action) = &rotation.admin_action {
                lines.push(format!("  Next: {action}"));
            }
        }
        if let Some(portal) = self.links.as_ref().and_then(|l| l.azure_portal.as_ref()) {
            lines.push(format!("  {:<20} {portal}", "Azure portal"));
        }
        if let Some(platform) = self.links.as_ref().and_then(|l| l.platform.as_ref()) {
            lines.push(format!(
                "  {:<20} {platform} (Admin > Integrations)",
                "Platform"
            ));
        }
        lines.push(String::new());
        lines.push(
            match self.status {
                Health::Healthy => "Healthy.",
                Health::NeedsAttention => "Needs attention (marked ✗ above).",
            }
            .into(),
        );
        lines
    }

    fn step_summary(&self) -> Vec<String> {
        let health = if self.healthy {
            "healthy"
        } else {
            "NEEDS ATTENTION"
        };
        let mut lines = vec![
            format!("### aad-setup status: {health}"),
            String::new(),
            "| | check | |".into(),
            "| --- | --- | --- |".into(),
        ];
        for c in &self.checks {
            let mark = match c.result {
                CheckResult::Ok => "✓",
                CheckResult::Info => "•",
                CheckResult::Attention => "✗",
            };
            let days = c
                .days_left
                .map_or(String::new(), |d| format!(" ({d} days left)"));
            lines.push(format!(
                "| {mark} | {} | {}{days} |",
                c.name,
                c.detail.replace('|', "\\|")
            ));
        }
        let mut todo: Vec<String> = self
            .checks
            .iter()
            .filter(|c| !c.ok && c.code != "rotation")
            .map(|c| format!("{}: {}", c.name, c.detail))
            .collect();
        if let Some(action) = self.rotation.as_ref().and_then(|r| r.admin_action.clone()) {
            todo.push(action);
        }
        summary_todo(&mut lines, &todo);
        lines
    }

    fn step_outputs(&self) -> Vec<String> {
        let mut lines = vec![format!("needs-attention={}", !self.healthy)];
        let days = self
            .checks
            .iter()
            .find(|c| c.code == "client-secret")
            .and_then(|c| c.days_left);
        if let Some(days) = days {
            lines.push(format!("days-left={days}"));
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_for_people() {
        let now: jiff::Timestamp = "2026-11-30T13:05:12Z".parse().unwrap();
        assert_eq!(
            when_from("2028-11-30T13:05:12Z", now),
            "30 Nov 2028, in 24 months"
        );
        assert_eq!(
            when_from("2026-12-10T13:05:12Z", now),
            "10 Dec 2026, in 10 days"
        );
        assert_eq!(
            when_from("2026-12-01T14:00:00Z", now),
            "1 Dec 2026, tomorrow"
        );
        assert_eq!(
            when_from("2026-11-20T13:05:12Z", now),
            "20 Nov 2026, 10 days ago"
        );
        assert_eq!(when_from("not a date", now), "not a date");
    }

    #[test]
    fn the_schemas_are_json() {
        for (name, text) in SCHEMAS {
            let schema: serde_json::Value = serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("schema {name} is not JSON: {e}"));
            assert_eq!(
                schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
                "{name}"
            );
        }
    }
}
