//! The result of `status` ([`StatusReport`]): one [`Check`] per thing
//! looked at, and how it reads.

use serde::Serialize;

use super::lines::summary_todo;
use super::outcome::Outcome;
use super::policy::PolicyInfo;
use super::rotation::RotationInfo;
use super::run::Links;

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

/// What a check of `status` looked at: its stable code (the JSON's
/// `code`, listed with its meaning in `src/schema/status.json`) and its
/// name for people. A check cannot be made with a code the schema lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum CheckCode {
    AppRegistration,
    SingleTenant,
    RedirectUri,
    Permission,
    ServicePrincipal,
    AdminConsent,
    ClientSecret,
    PlatformConnection,
    CredentialPolicy,
    Rotation,
}

impl CheckCode {
    /// Every code, in the order `status` shows them.
    #[cfg(test)]
    pub(crate) const ALL: [CheckCode; 10] = [
        CheckCode::AppRegistration,
        CheckCode::SingleTenant,
        CheckCode::RedirectUri,
        CheckCode::Permission,
        CheckCode::ServicePrincipal,
        CheckCode::AdminConsent,
        CheckCode::ClientSecret,
        CheckCode::PlatformConnection,
        CheckCode::CredentialPolicy,
        CheckCode::Rotation,
    ];

    /// The check's name for people.
    pub(crate) fn name(self) -> &'static str {
        match self {
            CheckCode::AppRegistration => "app registration",
            CheckCode::SingleTenant => "single tenant",
            CheckCode::RedirectUri => "redirect URI",
            CheckCode::Permission => "permission",
            CheckCode::ServicePrincipal => "service principal",
            CheckCode::AdminConsent => "admin consent",
            CheckCode::ClientSecret => "client secret",
            CheckCode::PlatformConnection => "platform connection",
            CheckCode::CredentialPolicy => "credential policy",
            CheckCode::Rotation => "rotation",
        }
    }
}

/// One check of `status`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Check {
    /// Stable, for scripts (`client-secret`, `admin-consent`, …).
    pub code: CheckCode,
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
    pub(crate) fn new(code: CheckCode, ok: bool, detail: impl Into<String>) -> Check {
        Check {
            code,
            name: code.name(),
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
            .filter(|c| !c.ok && c.code != CheckCode::Rotation)
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
            .find(|c| c.code == CheckCode::ClientSecret)
            .and_then(|c| c.days_left);
        if let Some(days) = days {
            lines.push(format!("days-left={days}"));
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::CheckCode;

    /// `src/schema/status.json` lists exactly the codes a check can carry,
    /// each with its meaning, in the order `status` shows them.
    #[test]
    fn the_schema_lists_exactly_the_check_codes() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../schema/status.json")).expect("JSON");
        let listed: Vec<&str> = schema["$defs"]["check"]["properties"]["code"]["oneOf"]
            .as_array()
            .expect("a oneOf of codes")
            .iter()
            .map(|item| {
                let code = item["const"].as_str().expect("a const code");
                assert!(
                    item["description"].as_str().is_some_and(|d| !d.is_empty()),
                    "{code} has no description"
                );
                code
            })
            .collect();
        let ours: Vec<String> = CheckCode::ALL
            .iter()
            .map(|c| {
                serde_json::to_value(c)
                    .expect("a code serializes")
                    .as_str()
                    .expect("as a string")
                    .to_owned()
            })
            .collect();
        assert_eq!(listed, ours);
    }
}
