//! The result of `setup`, `register`, `rotate` and `connect` as data
//! ([`Report`]): what each step did with its object ([`Action`]), the
//! changes of a plan ([`Change`], [`Op`]), the warnings and next steps
//! ([`Item`]). How it reads is [`super::render`]'s.

use secrecy::SecretString;
use serde::Serialize;

use super::code::Code;
use super::policy::PolicyInfo;
use super::rotation::{RenewalInfo, RotationInfo};

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
}
