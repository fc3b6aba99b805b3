//! What a run did, as data: the steps fill it in, each result says how it
//! reads for people and as JSON ([`Outcome`]), and [`crate::output`] prints
//! it. It holds the new secret only when the user asked to
//! see it, and never serializes it by itself.

use secrecy::{ExposeSecret as _, SecretString};
use serde::Serialize;

/// What a step did with an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Action {
    Created,
    Reused,
    Updated,
    Removed,
    /// Dry run: would be created / updated.
    WouldCreate,
    WouldUpdate,
}

impl Action {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Reused => "reused",
            Action::Updated => "updated",
            Action::Removed => "removed",
            Action::WouldCreate => "would create",
            Action::WouldUpdate => "would update",
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
    /// Done, with something left to do by hand (the `warnings`): exit 1.
    NeedsAttention,
}

#[derive(Debug, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TenantInfo {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
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
    pub key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
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
    pub action: Action,
    /// The connection this one replaced (a rotation or `--replace` makes a
    /// new object: the platform has no update).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_id: Option<String>,
}

#[derive(Debug, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Verification {
    /// The new secret obtained a token from Entra.
    pub secret_signs_in: Option<bool>,
    /// The connection is visible on the platform.
    pub connection_visible: Option<bool>,
}

/// The whole result of `setup`.
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
    pub changes: Vec<String>,
    /// Dry run: what is in place already and would be kept as it is.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unchanged: Vec<String>,
    /// What the admin should do next.
    pub next_steps: Vec<String>,
    /// Notes worth reading (reused values, old secrets left in place).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// What went wrong after the result was in place (an old connection
    /// or secret not removed): the run exits 1 after the summary.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The human summary's first line when done, if not the whole
    /// integration's ("set up").
    #[serde(skip)]
    pub heading: Option<&'static str>,
}

impl Report {
    pub(crate) fn new(tenant_id: String) -> Report {
        Report {
            status: Status::Done,
            tenant: TenantInfo {
                id: tenant_id,
                name: None,
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
            heading: None,
        }
    }
}

/// One check of `status`.
#[derive(Debug, Serialize)]
pub(crate) struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
}

/// The result of `status`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StatusReport {
    pub healthy: bool,
    pub tenant_id: String,
    pub checks: Vec<Check>,
}

/// A command's result: what it prints on stdout, as one JSON document or
/// as lines for people. Every command's result implements it, and
/// [`crate::output::Printer::result`] is the one way to print one.
pub(crate) trait Outcome: Serialize {
    /// The lines of the human summary (`color`: a terminal without NO_COLOR).
    fn human(&self, color: bool) -> Vec<String>;

    /// The JSON document.
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
}

impl Outcome for Report {
    fn json(&self) -> serde_json::Value {
        let mut doc = serde_json::to_value(self).unwrap_or_default();
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
        lines
    }

    fn human(&self, _color: bool) -> Vec<String> {
        let r = self;
        let mut lines = Vec::new();
        let heading = match r.status {
            Status::Done => r
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
        lines.push(heading.to_owned());
        if r.status == Status::DryRun {
            for change in &r.changes {
                lines.push(format!("  - {change}"));
            }
            if !r.unchanged.is_empty() {
                lines.push("Already in place:".into());
                for kept in &r.unchanged {
                    lines.push(format!("  = {kept}"));
                }
            }
        }
        lines.push(String::new());
        row(&mut lines, "Tenant ID", &r.tenant.id);
        if let Some(name) = &r.tenant.name {
            row(&mut lines, "Tenant", name);
        }
        if let Some(app) = &r.app {
            row(
                &mut lines,
                "App",
                &format!("{} ({})", app.display_name, app.action.as_str()),
            );
            row(&mut lines, "Client ID", &app.client_id);
            row(&mut lines, "Object ID", &app.object_id);
            row(
                &mut lines,
                "Redirect URI",
                &format!("{} (Web)", app.redirect_uri),
            );
            row(
                &mut lines,
                "Service principal",
                &format!(
                    "{} ({})",
                    app.service_principal_id,
                    app.service_principal_action.as_str()
                ),
            );
        }
        if let (None, Some(client_id)) = (&r.app, &r.client_id) {
            row(&mut lines, "Client ID", client_id);
        }
        if let Some(p) = &r.permission {
            row(
                &mut lines,
                "Permission",
                &format!("{} / {} (delegated)", p.api, p.name),
            );
        }
        if let Some(c) = &r.consent {
            row(&mut lines, "Admin consent", c.action.as_str());
        }
        if let Some(s) = &r.secret {
            let expires = s.expires.as_deref().unwrap_or("unknown");
            row(
                &mut lines,
                "Secret",
                &format!(
                    "{} ({}), expires {expires}",
                    s.description,
                    s.action.as_str()
                ),
            );
            if let Some(file) = &s.file {
                row(&mut lines, "Secret file", file);
            }
            if let Some(value) = &s.value {
                row(&mut lines, "Client secret", value.expose_secret());
            }
        }
        row(&mut lines, "Resource", &r.resource);
        if let Some(c) = &r.connection {
            row(
                &mut lines,
                "Connection",
                &format!("{} ({})", c.name, c.action.as_str()),
            );
            row(&mut lines, "Connection ID", &c.id);
            row(
                &mut lines,
                "Integration",
                &format!("{} [{}]", c.integration_name, c.integration_id),
            );
            row(&mut lines, "Team", &c.team);
        }
        let verified = |v: Option<bool>| match v {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "not checked",
        };
        if matches!(r.status, Status::Done | Status::NeedsAttention) {
            row(
                &mut lines,
                "Secret signs in",
                verified(r.verification.secret_signs_in),
            );
            // `register` makes no connection: nothing to check there.
            if r.connection.is_some() || r.verification.connection_visible.is_some() {
                row(
                    &mut lines,
                    "Connection visible",
                    verified(r.verification.connection_visible),
                );
            }
        }
        if !r.notes.is_empty() {
            lines.push(String::new());
            for note in &r.notes {
                lines.push(format!("Note: {note}"));
            }
        }
        if !r.warnings.is_empty() {
            lines.push(String::new());
            for warning in &r.warnings {
                lines.push(format!("NEEDS ATTENTION: {warning}"));
            }
        }
        if !r.next_steps.is_empty() {
            lines.push(String::new());
            lines.push("Next:".into());
            for (i, step) in r.next_steps.iter().enumerate() {
                lines.push(format!("  {}. {step}", i + 1));
            }
        }
        lines
    }
}

/// A row of the human summary; an empty value is left out.
fn row(lines: &mut Vec<String>, key: &str, value: &str) {
    if !value.trim().is_empty() {
        lines.push(format!("  {key:<20} {value}"));
    }
}

impl Outcome for StatusReport {
    fn human(&self, color: bool) -> Vec<String> {
        let mut lines = vec![format!("Tenant {}", self.tenant_id)];
        for check in &self.checks {
            let mark = match (check.ok, color) {
                (true, true) => console::style("✓").green().to_string(),
                (false, true) => console::style("✗").red().to_string(),
                (true, false) => "✓".into(),
                (false, false) => "✗".into(),
            };
            lines.push(format!("{mark} {:<20} {}", check.name, check.detail));
        }
        lines.push(String::new());
        lines.push(
            if self.healthy {
                "Healthy."
            } else {
                "Needs attention."
            }
            .into(),
        );
        lines
    }
}
