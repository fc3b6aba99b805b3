//! How a run's [`Report`] reads: for people (the summary, a dry run's
//! plan), as JSON (with the links filled in and the secret only when
//! shown), and as GitHub Actions step outputs and job summary.

use secrecy::{ExposeSecret as _, SecretString};

use super::dates::{days_left, when};
use super::lines::{row, summary_row, summary_todo};
use super::outcome::Outcome;
use super::rotation::RotationState;
use super::run::{Action, Change, Item, Links, Op, Report, Status, portal_link};

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
