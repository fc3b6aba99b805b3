//! What a run did, as data: the steps fill it in, [`crate::output`] renders
//! it (human or JSON). It holds the new secret only when the user asked to
//! see it, and never serializes it by itself.

use secrecy::SecretString;
use serde::Serialize;

/// What a step did with an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Created,
    Reused,
    Updated,
    Skipped,
    Removed,
    /// Dry run: would be created / updated.
    WouldCreate,
    WouldUpdate,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Reused => "reused",
            Action::Updated => "updated",
            Action::Skipped => "skipped",
            Action::Removed => "removed",
            Action::WouldCreate => "would create",
            Action::WouldUpdate => "would update",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
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
pub struct TenantInfo {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
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
pub struct PermissionInfo {
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
pub struct ConsentInfo {
    pub action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretInfo {
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
pub struct ConnectionInfo {
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
pub struct Verification {
    /// The new secret obtained a token from Entra.
    pub secret_signs_in: Option<bool>,
    /// The connection is visible on the platform.
    pub connection_visible: Option<bool>,
}

/// The whole result of `setup`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
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
    pub fn new(tenant_id: String) -> Report {
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
